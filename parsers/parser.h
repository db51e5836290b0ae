/* SPDX-License-Identifier: GPL-2.0-only */
/* Seams 2 and 3 of DESIGN.md from the parser's side. A parser gets the ordered bytes of
 * one direction of one flow, plus gap and close notices, and raises events through a
 * sink: the SMTP events of Zeek's analyzer, fields becoming available (fields.h),
 * anomalies (anomaly.h), transactions opening and closing, and finished files. Bytes in
 * an event are borrowed for the duration of the emit call. rules/ includes this header
 * and fields.h/anomaly.h, never a parser's internals. */
#ifndef SK_PARSER_H
#define SK_PARSER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "parsers/anomaly.h"
#include "parsers/fields.h"

/* A borrowed byte string; not NUL-terminated. */
struct sk_str {
    const uint8_t *ptr;
    size_t len;
};

enum sk_event_type {
    SK_EV_SMTP_REQUEST = 0, /* u.request */
    SK_EV_SMTP_REPLY,       /* u.reply */
    SK_EV_SMTP_DATA,        /* u.data */
    SK_EV_SMTP_STARTTLS,    /* no arguments */
    SK_EV_SMTP_UNEXPECTED,  /* u.unexpected */
    SK_EV_FIELD,            /* u.field */
    SK_EV_ANOMALY,          /* u.anomaly */
    SK_EV_TX_OPEN,          /* a transaction starts: tx_id */
    SK_EV_TX_CLOSE,         /* a transaction ends: tx_id, u.tx_close */
    SK_EV_FILE,             /* a file (attachment or body part) ended: u.file */
    SK_EV_TYPE_COUNT
};

#define SK_EV_BIT(t) (1u << (t))

/* Flags of a field event. */
#define SK_FIELD_F_BEGIN 0x1u /* stream: first chunk of a new instance (message, part) */
#define SK_FIELD_F_END   0x2u /* stream: last chunk of the instance (value may be empty) */

enum sk_file_state { SK_FILE_CLOSED = 0, SK_FILE_TRUNCATED, SK_FILE_ERROR };

enum sk_tx_end {
    SK_TX_END_DATA = 0, /* the message ended ('.' or BDAT LAST acknowledged) */
    SK_TX_END_RSET,     /* RSET */
    SK_TX_END_SESSION,  /* the session ended with the transaction open */
    SK_TX_END_STARTTLS, /* the session switched to TLS */
    SK_TX_END_MAIL,     /* a MAIL FROM began another envelope (Zeek's new smtp.log row) */
};

/* Digests of a file (sk_file_info.digests, mime.file-hashes). */
#define SK_FILE_MD5    1u
#define SK_FILE_SHA1   2u
#define SK_FILE_SHA256 4u
#define SK_FILE_ALL    7u

/* The finished file of an SK_EV_FILE event. */
struct sk_file_info {
    uint32_t file_id;   /* per flow, from 1, in order of appearance */
    struct sk_str name; /* may be empty for a body part */
    uint64_t size;      /* decoded bytes */
    unsigned digests;   /* SK_FILE_MD5 | SK_FILE_SHA1 | SK_FILE_SHA256: which are valid */
    uint8_t md5[16], sha1[20], sha256[32];
    enum sk_file_state state;
    bool gaps;
    bool stored; /* written by filestore */
    struct sk_str stored_path;
    struct sk_str magic; /* libmagic's description of its first bytes; empty when off */
};

#define SK_TX_NONE UINT64_MAX

/* Suricata's SMTP frames (docs/outputs.md, frame): the raw bytes of one protocol unit in one
 * direction's stream. A command line and a reply line are whole lines with their line end;
 * the data frame is a DATA message as sent (dot-stuffed), without its end-of-data line. */
enum sk_frame_type {
    SK_FRAME_COMMAND_LINE = 0,
    SK_FRAME_DATA,
    SK_FRAME_RESPONSE_LINE,
    SK_FRAME_TYPE_COUNT
};

/* Bytes of a frame kept for its payload: Suricata's frame logger writes at most 256. */
#define SK_FRAME_HEAD 256

struct sk_frame {
    enum sk_frame_type type;
    bool complete;   /* its last byte has been seen (a data frame: its end-of-data line) */
    uint64_t id;     /* per flow and direction, from 1, in stream order */
    uint64_t offset; /* of its first byte in its direction's stream (from 0) */
    uint64_t len;    /* bytes; a data frame not complete: the bytes seen so far */
    /* A line frame: its bytes, line end included (what frame:smtp.command_line and
     * frame:smtp.response_line inspect). A data frame: its first bytes, at most SK_FRAME_HEAD.
     * The payload logged is the first SK_FRAME_HEAD of them. */
    struct sk_str bytes;
};

struct sk_event {
    enum sk_event_type type;
    bool is_orig;   /* sent by the flow's originator; meaningless for TX_*, FILE */
    uint64_t tx_id; /* transaction, from 0 per flow, or SK_TX_NONE outside one */
    union {
        struct {
            struct sk_str command; /* upper-cased verb */
            struct sk_str arg;
        } request;
        struct {
            uint16_t code;
            struct sk_str cmd; /* command answered; ">" for the greeting, "." for end of data */
            struct sk_str msg;
            bool cont_resp;
        } reply;
        struct {
            struct sk_str data;
        } data;
        struct {
            struct sk_str msg;
            struct sk_str detail;
        } unexpected;
        struct {
            enum sk_field_id id;
            struct sk_str value; /* empty for FLAG and NUMBER */
            uint64_t number;     /* NUMBER only */
            unsigned flags;      /* SK_FIELD_F_* */
        } field;
        struct {
            enum sk_anomaly_id id;
        } anomaly;
        struct {
            enum sk_tx_end why;
        } tx_close;
        struct sk_file_info file;
    } u;
    /* The frame the event's bytes belong to, or NULL: set on the smtp.command_line field of a
     * command line, the smtp_reply of a reply line and the smtp.data fields of a DATA
     * message (the inspections of frame:smtp.* rules). Borrowed like the bytes. */
    const struct sk_frame *frame;
};

/* Where a parser sends its events. want is a mask of SK_EV_BIT(type): a parser may skip
 * building an event nobody wants (it must still keep its state right). skipped (optional)
 * is told how many smtp_data events were left unbuilt that way, so that they can still be
 * counted without the cost of building each one. */
struct sk_sink {
    void (*emit)(void *ctx, const struct sk_event *ev);
    void *ctx;
    uint32_t want;
    void (*skipped)(void *ctx, enum sk_event_type type, uint64_t n);
};

static inline bool sk_sink_wants(const struct sk_sink *s, enum sk_event_type t)
{
    return (s->want & SK_EV_BIT(t)) != 0;
}

/* A memory budget: bytes charged against a cap by everything a flow allocates (the flow
 * table's node and held segments, the parser's state and buffers, detection state, the MIME
 * decoder). The engine owns it, one per worker flow table, and hands parsers a pointer to it
 * through their config; a NULL budget is unlimited. A charge is made before the allocation
 * and fails, changing nothing but the refused count, when it would take used past cap: the
 * caller then goes on without that memory. Not thread safe: one worker's flows only. */
struct sk_mem_budget {
    size_t cap;       /* bytes */
    size_t used;      /* bytes charged now */
    size_t peak;      /* highest used */
    uint64_t refused; /* charges refused */
};

/* What the allocator adds to each allocation (glibc: a size word and 16-byte rounding):
 * charged with it, so that the budget follows RSS, not only the bytes asked for. */
#define SK_MEM_ALLOC_OVERHEAD 16

/* The charge for one allocation of n bytes (0 for none). */
static inline size_t sk_mem_alloc_cost(size_t n)
{
    return n ? n + SK_MEM_ALLOC_OVERHEAD : 0;
}

/* Charges n bytes. Returns true, or false (refused counted) when used + n would pass cap. */
static inline bool sk_mem_charge(struct sk_mem_budget *b, size_t n)
{
    if (!b)
        return true;
    if (n > b->cap || b->used > b->cap - n) {
        b->refused++;
        return false;
    }
    b->used += n;
    if (b->used > b->peak)
        b->peak = b->used;
    return true;
}

/* Charges n bytes even past cap, for memory already allocated that must be counted (its
 * growth is bounded by the owner's own limits); the cap is restored by evicting flows. */
static inline void sk_mem_charge_force(struct sk_mem_budget *b, size_t n)
{
    if (!b)
        return;
    b->used += n;
    if (b->used > b->peak)
        b->peak = b->used;
}

/* Returns n bytes charged before. */
static inline void sk_mem_uncharge(struct sk_mem_budget *b, size_t n)
{
    if (b)
        b->used = b->used >= n ? b->used - n : 0;
}

/* A protocol parser. One state per flow; states are independent, so different flows may
 * be parsed on different threads. Every member but name, state_new, feed and state_free is
 * optional. */
struct sk_parser_ops {
    const char *name;
    /* Looks at the first bytes of one direction. Returns 1 (this protocol), 0 (not), or -1
     * (need more bytes). */
    int (*probe)(bool is_orig, const uint8_t *buf, size_t len);
    /* config is the parser's own config struct (or NULL for defaults); sink is copied.
     * Returns 0 or a negative SK_E_* code. */
    int (*state_new)(void **out, const void *config, const struct sk_sink *sink);
    /* The flow was seen from its TCP handshake: the bytes fed are the session's first ones,
     * so what is missing at its start (a greeting) was never sent. Called at most once,
     * before the first feed. Without it a parser assumes the capture may have begun late. */
    void (*session_start)(void *state);
    /* Ordered bytes of one direction. */
    void (*feed)(void *state, bool is_orig, const uint8_t *buf, size_t len);
    /* len bytes of this direction were lost before the next feed. */
    void (*gap)(void *state, bool is_orig, uint64_t len);
    /* The flow ended: flush what is pending and close the open transaction. */
    void (*close)(void *state);
    /* The protocol one direction (is_orig: the originator's) turned out to speak: this
     * parser's name once it parsed a line of it, "tls" when the direction opened with a TLS
     * record (implicit TLS, as on an SMTPS port: those bytes are not parsed), NULL when
     * nothing is known. Borrowed static string. */
    const char *(*direction_proto)(const void *state, bool is_orig);
    /* True once the parser wants no more bytes (e.g. after STARTTLS). */
    bool (*done)(const void *state);
    void (*state_free)(void *state);
};

#endif
