/* SPDX-License-Identifier: GPL-2.0-only */
/* A parsed rule: what the rule language (rules/parse.c) produces and the detection
 * engine (rules/detect.c) compiles and evaluates. Plain data, owned by the rule set
 * (struct sk_ruleset); immutable once the set is built. */
#ifndef SK_RULE_H
#define SK_RULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/capture/decode.h"
#include "parsers/fields.h"

enum sk_rule_action { SK_ACTION_ALERT = 0, SK_ACTION_PASS, SK_ACTION_DROP, SK_ACTION_REJECT };

enum sk_rule_proto { SK_PROTO_SMTP = 0, SK_PROTO_TCP, SK_PROTO_IP, SK_PROTO_ANY };

/* An address set: entries are ranges, each positive or negated. An address matches when
 * (there is no positive entry or one positive entry holds it) and no negated entry holds
 * it. any=true matches everything. */
struct sk_addr_range {
    struct sk_addr lo, hi; /* inclusive; same family */
    bool negated;
};
struct sk_addr_set {
    bool any;
    size_t n;
    struct sk_addr_range *v;
};

struct sk_port_range {
    uint16_t lo, hi; /* inclusive */
    bool negated;
};
struct sk_port_set {
    bool any;
    size_t n;
    struct sk_port_range *v;
};

/* Buffers a rule can inspect besides the parser fields of fields.h: ids from
 * SK_FIELD_COUNT up. */
enum sk_rule_buffer {
    SK_BUF_STREAM = SK_FIELD_COUNT, /* the reassembled TCP stream, both directions (proto tcp
                                     * or a legacy rule without sticky buffer) */
    SK_BUF_SMTP_LINE,               /* legacy smtp rule without sticky buffer: each command
                                     * line and reply line */
    SK_BUF_BASE64_DATA,             /* base64_data: the bytes decoded by the last
                                     * base64_decode match of the previous group */
    SK_BUF_SMTP_RESPONSE_LINE,      /* frame:smtp.response_line: each reply line as sent,
                                     * line end included (Suricata's response_line frame) */
    SK_BUF_SMTP_COMMAND_FRAME,      /* frame:smtp.command_line: each command line as sent,
                                     * line end included (Suricata's command_line frame) */
    SK_BUF_COUNT
};

/* Transforms, applied in rule order to a buffer before its matches. */
enum sk_transform {
    SK_XFORM_TO_LOWERCASE = 0,
    SK_XFORM_TO_UPPERCASE,
    SK_XFORM_STRIP_WHITESPACE,
    SK_XFORM_COMPRESS_WHITESPACE,
    SK_XFORM_URL_DECODE,
    SK_XFORM_FROM_BASE64,
    SK_XFORM_DOTPREFIX,
};

#define SK_RULE_MAX_TRANSFORMS 8

/* content: and its modifiers. Unset numeric modifiers are SK_MOD_UNSET. */
#define SK_MOD_UNSET INT32_MIN
struct sk_content {
    uint8_t *bytes; /* decoded (hex, escapes) */
    size_t len;
    bool negated;
    bool nocase;
    bool startswith, endswith;
    int32_t offset, depth;               /* absolute */
    int32_t distance, within;            /* relative to the previous match in the group */
    bool fast_pattern;                   /* fast_pattern given */
    bool fast_pattern_only;              /* fast_pattern:only */
    int32_t fp_chop_offset, fp_chop_len; /* fast_pattern:o,l; SK_MOD_UNSET when absent */
    /* offset/depth/distance/within given as a byte_extract/byte_math variable: its index
     * + 1 (0: the number above). The number is then SK_MOD_UNSET for offset and depth, and
     * 0 (distance) or SK_MOD_UNSET (within) so that the content still counts as relative. */
    uint8_t var_offset, var_depth, var_distance, var_within;
};

/* byte_test, byte_jump, byte_extract, byte_math (rules/bytes.c). A value is a number or
 * (var > 0) the variable var - 1 set by an earlier byte_extract/byte_math of the group. */
#define SK_BYTE_MAX_VARS 8
struct sk_byte_value {
    int64_t n;
    uint8_t var;
};
enum sk_byte_op {
    SK_BYTEOP_LT = 0,
    SK_BYTEOP_GT,
    SK_BYTEOP_EQ,
    SK_BYTEOP_LE,
    SK_BYTEOP_GE,
    SK_BYTEOP_AND,
    SK_BYTEOP_XOR,
    /* byte_math */
    SK_BYTEOP_ADD,
    SK_BYTEOP_SUB,
    SK_BYTEOP_MUL,
    SK_BYTEOP_DIV,
    SK_BYTEOP_SHL,
    SK_BYTEOP_SHR,
};
struct sk_bytes {
    uint8_t nbytes; /* bytes read */
    uint8_t base;   /* 0: binary; 8, 10, 16: an ASCII number (string) */
    bool little;    /* endian little (binary only) */
    bool relative;  /* offset counts from the end of the previous match */
    bool negated;   /* byte_test: ! */
    uint8_t op;     /* enum sk_byte_op: byte_test compare, byte_math operator */
    struct sk_byte_value offset;
    struct sk_byte_value value;    /* byte_test value, byte_math rvalue */
    uint64_t bitmask;              /* 0: none */
    uint32_t multiplier;           /* byte_jump/byte_extract: 0 = 1 */
    bool align;                    /* byte_jump: round up to 4 */
    uint8_t align_to;              /* byte_extract: 0, 2 or 4 */
    bool from_beginning, from_end; /* byte_jump */
    int32_t post_offset;           /* byte_jump */
    uint8_t result;                /* byte_extract/byte_math: variable index */
};

struct sk_pcre {
    char *pattern;    /* the regex text between the slashes */
    uint32_t options; /* PCRE2 compile options from the flags (i s m x A E G U) */
    bool relative;    /* R */
    bool negated;
    void *code; /* pcre2_code_8 *, compiled at parse time (validates the regex) */
};

/* base64_decode[:bytes N, offset N, relative]: decodes base64 from the buffer (relative to
 * the previous match when relative) for a following base64_data group. bytes 0: all. */
struct sk_base64_decode {
    uint32_t bytes, offset;
    bool relative;
};

struct sk_isdataat {
    int32_t pos;
    bool relative, negated;
};

enum sk_numop {
    SK_NUM_EQ = 0,
    SK_NUM_LT,
    SK_NUM_LE,
    SK_NUM_GT,
    SK_NUM_GE,
    SK_NUM_NE,
    SK_NUM_RANGE /* a < x < b, Suricata's a-b */
};
struct sk_numcmp {
    enum sk_numop op;
    uint64_t a, b;
};

enum sk_match_kind {
    SK_MATCH_CONTENT = 0,
    SK_MATCH_PCRE,
    SK_MATCH_ISDATAAT,
    SK_MATCH_BSIZE,         /* size of the buffer instance: u.num */
    SK_MATCH_NUMBER,        /* numeric fields (smtp.reply_code): u.num */
    SK_MATCH_BASE64_DECODE, /* base64_decode: u.b64; always true, feeds SK_BUF_BASE64_DATA */
    SK_MATCH_BYTE_TEST,     /* u.bytes; does not move the position */
    SK_MATCH_BYTE_JUMP,     /* u.bytes; moves the position to where it jumps */
    SK_MATCH_BYTE_EXTRACT,  /* u.bytes; sets a variable, moves past the bytes read */
    SK_MATCH_BYTE_MATH,     /* u.bytes; sets a variable, moves past the bytes read */
};

struct sk_match {
    enum sk_match_kind kind;
    union {
        struct sk_content content;
        struct sk_pcre pcre;
        struct sk_isdataat isdataat;
        struct sk_numcmp num;
        struct sk_base64_decode b64;
        struct sk_bytes bytes;
    } u;
};

/* Everything a rule checks in one buffer: set by a sticky buffer keyword, followed by
 * its transforms and matches in rule order. A group matches when one instance of the
 * buffer (for multi buffers) satisfies all of its matches. */
struct sk_buffer_group {
    int buffer; /* enum sk_field_id or enum sk_rule_buffer */
    size_t n_transforms;
    enum sk_transform transforms[SK_RULE_MAX_TRANSFORMS];
    size_t n_matches;
    struct sk_match *matches;
};

/* flow: keyword */
#define SK_FLOW_TO_SERVER       0x01u
#define SK_FLOW_TO_CLIENT       0x02u
#define SK_FLOW_ESTABLISHED     0x04u
#define SK_FLOW_NOT_ESTABLISHED 0x08u
#define SK_FLOW_ONLY_STREAM     0x10u
#define SK_FLOW_NO_STREAM       0x20u
#define SK_FLOW_STATELESS       0x40u

enum sk_flowbit_cmd {
    SK_FLOWBIT_SET = 0,
    SK_FLOWBIT_UNSET,
    SK_FLOWBIT_TOGGLE,
    SK_FLOWBIT_ISSET,
    SK_FLOWBIT_ISNOTSET,
    SK_FLOWBIT_NOALERT
};
struct sk_flowbit {
    enum sk_flowbit_cmd cmd;
    size_t n_names;
    uint32_t *ids; /* flowbit ids, interned per rule set; `a|b` is an OR for isset,
                    * `a&b` an AND (and_names=true) */
    bool and_names;
};

enum sk_thresh_type {
    SK_THRESH_NONE = 0,
    SK_THRESH_LIMIT,
    SK_THRESH_THRESHOLD,
    SK_THRESH_BOTH,
    SK_THRESH_DETECTION_FILTER
};
enum sk_thresh_track {
    SK_TRACK_BY_SRC = 0,
    SK_TRACK_BY_DST,
    SK_TRACK_BY_RULE,
    SK_TRACK_BY_FLOW,
    SK_TRACK_BY_BOTH
};
struct sk_threshold {
    enum sk_thresh_type type;
    enum sk_thresh_track track;
    uint32_t count;
    uint32_t seconds;
};

/* flags: (TCP flags of the packet, rules/conditions.c) */
struct sk_tcpflags {
    bool set;
    char mod;     /* 0: exactly these; '+': at least these; '*': any of these; '!': none */
    uint8_t bits; /* the TCP header flag bits: FIN 0x01 ... URG 0x20, ECE 0x40, CWR 0x80 */
    uint8_t mask; /* bits ignored */
};

/* stream_size: */
enum sk_stream_side { SK_SS_SERVER = 0, SK_SS_CLIENT, SK_SS_BOTH, SK_SS_EITHER };
struct sk_stream_size {
    bool set;
    enum sk_stream_side side;
    struct sk_numcmp cmp;
};

/* filemd5 / filesha1 / filesha256: the file's digest is (or, negated, is not) in a list
 * loaded from a file (rules/hashlist.h). The list is owned by the rule set and shared by
 * every rule naming the same file for the same digest. */
enum sk_hash_kind { SK_HASH_MD5 = 0, SK_HASH_SHA1, SK_HASH_SHA256 };
struct sk_hashlist;
struct sk_filehash {
    enum sk_hash_kind kind;
    bool negated;
    const struct sk_hashlist *list; /* borrowed from the rule set */
};

struct sk_reference {
    char *system; /* "url", "cve", ... */
    char *id;
    char *url; /* resolved prefix from reference.config + id, or NULL */
};

struct sk_rule {
    /* where it came from, for diagnostics */
    char *file;
    unsigned line;
    char *text; /* the whole rule as written (continuations joined) */

    enum sk_rule_action action;
    enum sk_rule_proto proto;
    struct sk_addr_set src, dst;
    struct sk_port_set sport, dport;
    bool bidirectional; /* <> */

    uint32_t gid, sid, rev;
    char *msg;
    char *classtype;  /* short name, or NULL */
    char *class_desc; /* description from classification.config, or NULL */
    int priority;     /* priority: keyword, else the classtype's, else 3 */
    size_t n_metadata;
    char **metadata; /* "key value" strings as written */
    size_t n_references;
    struct sk_reference *references;
    char *target; /* "src_ip" / "dest_ip" or NULL */

    unsigned flow_flags; /* SK_FLOW_* */
    size_t n_flowbits;
    struct sk_flowbit *flowbits;
    struct sk_threshold threshold;        /* threshold: */
    struct sk_threshold detection_filter; /* detection_filter: (type DETECTION_FILTER) */
    bool noalert;

    size_t n_app_events;
    int *app_events;     /* enum sk_anomaly_id: app-layer-event:smtp.NAME (all must be raised) */
    bool needs_starttls; /* smtp.starttls flag keyword */
    int frame;           /* enum sk_frame_type + 1 of its frame:smtp.* buffer; 0: none */

    bool has_dsize;
    struct sk_numcmp dsize; /* payload bytes of the packet (tcp rules on the stream) */
    struct sk_tcpflags flags;
    struct sk_stream_size stream_size;
    size_t n_filehash;
    struct sk_filehash *filehash; /* all must hold on a file when it closes */

    size_t n_groups;
    struct sk_buffer_group *groups;
};

#endif
