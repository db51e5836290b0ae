/* SPDX-License-Identifier: GPL-2.0-only */
/* Internal to the SMTP parser: the per-flow state shared by the command/reply state machine
 * (smtp.c), the message-data path (smtp_data.c) and the event helpers (smtp_emit.c). Nothing
 * outside parsers/smtp/ includes this. */
#ifndef SK_SMTP_INT_H
#define SK_SMTP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "parsers/parser.h"
#include "parsers/smtp/smtp.h"
#include "parsers/smtp/smtp_cmd.h"
#include "parsers/smtp/smtp_line.h"

/* A command waiting for its reply. */
struct sk_smtp__pending {
    uint64_t tx_id; /* transaction of the command, or SK_TX_NONE */
    uint8_t cmd;    /* enum sk_smtp_cmd */
    bool ends_tx;   /* the reply closes tx_id ('.', BDAT LAST, RSET) */
    uint8_t why;    /* enum sk_tx_end when ends_tx */
    bool lost;      /* stands for the commands lost in a gap */
    bool resets;    /* HELO/EHLO sent inside an envelope: accepted, it ends the transaction */
    bool cut;       /* DATA line cut at the line limit: no message begun; a 354 begins it */
};

/* Replies one reading of held bytes can be checked against before the hold gives up. */
#define SK_SMTP__SLOTS 32

/* One reading of the client bytes held after a smuggling marker (smtp_smuggle.c): the
 * replies it owes the server so far, each with the kind of command it answers. */
struct sk_smtp__reading {
    uint8_t slot[SK_SMTP__SLOTS]; /* kind of the command each owed reply answers */
    size_t owed;                  /* replies owed for the bytes seen (may pass SK_SMTP__SLOTS) */
    bool alive;                   /* every reply so far fits this reading */
    bool in_body;                 /* inside a message */
    bool mid;                     /* the current line did not begin at a line start */
    bool prev_crlf;               /* the line before ended with CRLF */
    uint8_t pre[6];               /* the current line's first bytes */
    uint8_t pre_len;
    uint8_t last; /* the last byte */
    size_t line_len;
};

/* The hold: bytes of both directions, in arrival order, kept from a non-canonical end of data
 * until the server's replies tell which reading it took. Records are a direction byte, a
 * 32-bit length and the bytes. */
struct sk_smtp__hold {
    bool on;
    uint8_t *buf;
    size_t len, alloc;
    size_t last_rec;   /* offset of the last record's header */
    size_t marker_len; /* client bytes at the head of the hold that are the marker */
    bool mid_line;     /* the hold began inside a message line */
    size_t replies;    /* final replies held */
    struct sk_smtp__reading body, cmds;
    /* the server's line being held: its first bytes, for its reply code */
    bool srv_mid;
    uint8_t srv_pre[4];
    uint8_t srv_pre_len;
    bool replaying;  /* held bytes are being fed again */
    unsigned nested; /* holds begun while a replay ran, since the last outside feed */
};

struct sk_smtp__state {
    struct sk_smtp_config cfg;
    struct sk_sink sink;
    struct sk_smtp_line_reader rd[2]; /* indexed by is_orig */
    bool client_is_orig;              /* flips on an accepted TURN */
    bool done;                        /* STARTTLS accepted: no more SMTP */
    bool tls_wait; /* STARTTLS accepted: the next bytes tell TLS from decrypted plaintext */
    bool tls_checked[2];
    bool fed[2];      /* bytes of this direction were seen (index: is_orig) */
    bool tls_dir[2];  /* this direction opened with a TLS record: implicit TLS, not parsed */
    size_t tls_lines; /* lines skipped in a client that opened with a TLS record */

    /* Commands awaiting replies: a ring of q_cap entries, grown up to max_pending_commands. */
    struct sk_smtp__pending *q;
    size_t q_head, q_len, q_cap;
    bool q_overflow;  /* TOO_MANY_PENDING_COMMANDS raised, until the queue drains */
    bool desync;      /* pairing lost by a gap: unmatched replies are not anomalies */
    size_t q_dropped; /* commands not queued (overflow) whose replies are still to come */

    /* Transactions. */
    uint64_t next_tx;        /* id of the next transaction */
    uint64_t cur_tx;         /* open on the client side, or SK_TX_NONE */
    uint64_t first_unclosed; /* every id below it has had SK_EV_TX_CLOSE */
    bool tx_mail;            /* MAIL FROM seen in cur_tx (and not refused) */
    bool tx_envelope;        /* MAIL FROM seen in cur_tx, refused or not */
    size_t tx_rcpts;
    uint8_t *helo; /* last HELO/EHLO argument, re-emitted in every transaction */
    size_t helo_len, helo_alloc;
    uint8_t *scratch; /* upper-cased verbs, masked arguments */
    size_t scratch_alloc;
    size_t line_cap;  /* longest piece a line reader hands out; helo and scratch hold one */
    bool mem_refused; /* the memory budget refused a growth: nothing more is parsed */

    /* Client side. */
    bool seen_client_line;
    bool from_start;       /* session_start(): the flow's first bytes are the session's */
    bool client_resync;    /* after a gap: skip lines until one parses as a command */
    bool client_skip_rest; /* the rest of an over-long line */
    bool in_auth;          /* the server asked for an AUTH answer (334) */
    bool starttls_pending; /* STARTTLS sent, reply not seen */
    bool injection_raised;
    bool bdat_check_next; /* a BDAT chunk just ended: the next line must be a command */

    /* The message being sent (DATA or BDAT). */
    bool msg_active;     /* between DATA/first BDAT and its end */
    bool msg_started;    /* smtp.data BEGIN emitted / body begun */
    bool msg_incomplete; /* bytes lost in a gap */
    uint64_t msg_tx;
    void *body;         /* from cfg.body->begin, or NULL */
    bool data_mode;     /* DATA: client lines are message lines */
    bool data_wait_354; /* DATA sent, its reply not seen */
    bool pipeline_raised;
    bool prev_crlf;    /* the last message line ended with CRLF */
    uint8_t last_byte; /* last raw data byte, for CR at a piece boundary */
    uint8_t hist[3];   /* last raw data bytes, hist[2] newest, for smuggling markers */
    bool smuggle_raised;
    struct sk_smtp__hold hold; /* smtp_smuggle.c */
    uint64_t bdat_left;        /* bytes of the current BDAT chunk still to come */
    bool bdat_last;            /* the current chunk is the LAST one */

    /* Server side. */
    bool seen_server_line;
    bool server_resync; /* after a gap: skip lines until a valid reply */
    bool server_skip_rest;
    uint16_t cont_code; /* code of an unfinished multi-line reply, or 0 */
    uint16_t gap_cont;  /* cont_code when a gap hit, to continue that reply after it */
    struct sk_smtp__pending cur_reply; /* the command the current reply answers */

    /* Frames (parser.h): stream offsets and the frames being raised. */
    uint64_t pos[2];            /* stream offset of the next byte the parser takes, per is_orig */
    uint64_t frame_ids[2];      /* frames numbered so far, per is_orig */
    uint64_t piece_off;         /* stream offset of the line piece being parsed */
    struct sk_frame line_frame; /* of the line piece being parsed, when line_frame_on */
    bool line_frame_on;
    bool line_frame_orig; /* its direction */
    struct sk_frame data_frame;
    bool data_frame_on;
    uint8_t *data_head; /* the data frame's first bytes: SK_FRAME_HEAD allocated on first use */
    size_t data_head_alloc;

    /* Line ends seen per direction, and anomalies raised once per direction. */
    bool seen_lf[2], seen_crlf[2];
    bool raised_bare_lf[2], raised_bare_cr[2], raised_mix[2];
};

/* smtp_emit.c: frames. The data frame of the DATA message: the raw bytes raw[0..n) at stream
 * offset off are the message's (opened at its first bytes). */
void sk_smtp__frame_data(struct sk_smtp__state *st, bool is_orig, uint64_t off, const uint8_t *raw,
                         size_t n);

/* smtp_emit.c: building and sending events; each checks sink.want first. */
void sk_smtp__anomaly(struct sk_smtp__state *st, bool is_orig, uint64_t tx, enum sk_anomaly_id id);
void sk_smtp__unexpected(struct sk_smtp__state *st, bool is_orig, uint64_t tx, const char *msg,
                         const uint8_t *detail, size_t len);
void sk_smtp__request(struct sk_smtp__state *st, bool is_orig, uint64_t tx, const char *cmd,
                      size_t cmdlen, const uint8_t *arg, size_t arglen);
void sk_smtp__reply(struct sk_smtp__state *st, bool is_orig, uint64_t tx, uint16_t code,
                    const char *cmd, const uint8_t *msg, size_t len, bool cont);
void sk_smtp__field(struct sk_smtp__state *st, bool is_orig, uint64_t tx, enum sk_field_id id,
                    const uint8_t *val, size_t len, unsigned flags);
void sk_smtp__field_num(struct sk_smtp__state *st, bool is_orig, uint64_t tx, enum sk_field_id id,
                        uint64_t num);
void sk_smtp__data_event(struct sk_smtp__state *st, bool is_orig, uint64_t tx, const uint8_t *data,
                         size_t len);
/* n smtp_data events the sink does not want: counted through sink.skipped. */
void sk_smtp__data_skipped(struct sk_smtp__state *st, uint64_t n);
void sk_smtp__simple(struct sk_smtp__state *st, enum sk_event_type type, uint64_t tx);
void sk_smtp__tx_close(struct sk_smtp__state *st, uint64_t tx, enum sk_tx_end why);

/* smtp_data.c: the message path. */
/* Starts a message in cur_tx (DATA or the first BDAT), ending one still open as cut short. */
void sk_smtp__msg_begin(struct sk_smtp__state *st);
/* Hands unstuffed message bytes to smtp.data and the body hook. */
void sk_smtp__msg_bytes(struct sk_smtp__state *st, bool is_orig, const uint8_t *buf, size_t len);
/* Ends the message: complete when its marker or BDAT LAST was seen. */
void sk_smtp__msg_end(struct sk_smtp__state *st, bool is_orig, bool complete);
/* One piece of a line in DATA mode. */
void sk_smtp__data_piece(struct sk_smtp__state *st, bool is_orig, const struct sk_smtp_piece *p);
/* DATA mode at a line start: takes the run of whole lines at the head of buf that need no
 * line-by-line handling and hands it on as one smtp.data chunk and one body call. Returns the
 * bytes used; 0 when the first line needs sk_smtp__data_piece(). */
size_t sk_smtp__data_run(struct sk_smtp__state *st, bool is_orig, const uint8_t *buf, size_t len);
/* Raw BDAT chunk bytes; returns how many it used (at most bdat_left). */
size_t sk_smtp__bdat_bytes(struct sk_smtp__state *st, bool is_orig, const uint8_t *buf, size_t len);

/* smtp_data.c: the end of a message at its marker: smtp_request(".", "."), the fields, the
 * queued END_OF_DATA whose reply closes the transaction. dot points at a "." byte. */
void sk_smtp__end_of_data(struct sk_smtp__state *st, bool is_orig, const uint8_t *dot);

/* smtp_smuggle.c: SMTP smuggling decided by the server's replies (docs/smtp.md, Smuggling). */
/* Whether n client bytes from a marker's dot may be held now: holding is on, the message was
 * answered with 354 and no other command awaits a reply (so the server's next reply is about
 * the message), and the hold has room. */
bool sk_smtp__may_hold(const struct sk_smtp__state *st, size_t n);
/* Begins a hold at a non-canonical marker: p[0..n) are the client's bytes from the marker's dot
 * (the first marker_len of them are the marker), mid_line when the dot is inside a line.
 * Call only when sk_smtp__may_hold() said yes. */
void sk_smtp__hold_begin(struct sk_smtp__state *st, const uint8_t *p, size_t n, size_t marker_len,
                         bool mid_line);
/* Bytes of either direction while a hold is on: held, and the reading decided as soon as the
 * server's replies tell it (the held bytes are then fed again as the server read them).
 * Returns the bytes used: up to the deciding reply, or all. */
size_t sk_smtp__hold_bytes(struct sk_smtp__state *st, bool is_orig, const uint8_t *p, size_t n);
/* Ends a hold undecided (gap, end of the flow): the held bytes were body. */
void sk_smtp__hold_abandon(struct sk_smtp__state *st);
/* Frees the hold's buffers and returns their charge. */
void sk_smtp__hold_release(struct sk_smtp__state *st);

/* smtp.c: the parser's feed, also used to feed held bytes again. */
void sk_smtp__feed_bytes(struct sk_smtp__state *st, bool is_orig, const uint8_t *buf, size_t len);
/* smtp.c: the pending command at position i of the queue (0 = oldest). */
struct sk_smtp__pending *sk_smtp__queued(struct sk_smtp__state *st, size_t i);

/* smtp.c: grows *p (*size bytes) to need (at most max) against the budget; on refusal or
 * out of memory raises APP_LAYER_MEMCAP once, stops the parser and returns false. */
bool sk_smtp__grow(struct sk_smtp__state *st, uint8_t **p, size_t *size, size_t need, size_t max);

/* smtp.c: queue and transactions, used by smtp_data.c. */
void sk_smtp__push(struct sk_smtp__state *st, bool is_orig, enum sk_smtp_cmd cmd, uint64_t tx,
                   bool ends_tx, enum sk_tx_end why);

#endif
