/* SPDX-License-Identifier: GPL-2.0-only */
/* Seam 5 of DESIGN.md: outputs. An output gets const records (raw parser events, the
 * transaction summaries built by engine/output/txrec.c, alerts, finished files, flows, counters)
 * and copies what it keeps. Adding an output never touches a parser or the detector.
 * Every output buffers its writes and flushes on sk_output flush and close, so nothing
 * produced is lost on exit or SIGTERM. */
#ifndef SK_OUTPUT_H
#define SK_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "engine/flow/stream.h"
#include "parsers/parser.h"
#include "rules/detect.h"

/* An owned, growable list of strings, used by transaction records. */
struct sk_strlist {
    size_t n, cap;
    char **v; /* NUL-terminated; may contain any byte but NUL (bytes kept as \xNN) */
};

/* A file of a transaction that has ended (SK_EV_FILE), for the `files` array of alerts.
 * name is owned by the record. */
struct sk_tx_file {
    uint32_t file_id;
    char *name; /* NUL-terminated, "" for a body part without a name */
    uint64_t size;
    unsigned digests; /* SK_FILE_MD5 ... */
    uint8_t md5[16], sha1[20], sha256[32];
    enum sk_file_state state;
    bool gaps, stored;
};

/* Everything known about one SMTP transaction, for EVE smtp/email objects, smtp.log and
 * alerts. Built from parser events by engine/output/txrec.c; strings are NUL-terminated and owned
 * by the record (but email_status); NULL when absent. */
struct sk_tx_record {
    uint64_t tx_id;
    uint64_t ts_us;       /* when Zeek begins its smtp.log row (docs/outputs.md, smtp.log ts) */
    unsigned trans_depth; /* Zeek's trans_depth: tx_id + 1 */
    char *helo;
    char *mail_from;
    struct sk_strlist rcpt_to;
    char *last_reply; /* "250 2.0.0 Ok: queued as ..." */
    bool tls;         /* STARTTLS accepted in this session */
    bool complete;    /* the message ended normally */
    /* email (from the MIME decoder) */
    bool has_email;
    char *email_from, *email_subject, *email_date, *email_message_id, *email_x_mailer;
    char *email_reply_to, *email_in_reply_to, *email_x_originating_ip, *email_user_agent;
    char *body_md5, *subject_md5; /* lower-case hex */
    const char *email_status;     /* "PARSE_DONE", ...: a static string, not owned */
    struct sk_strlist email_to, email_cc, received, url, attachment;
    struct sk_strlist fuids;     /* file ids of the transaction's files, as strings */
    struct sk_strlist anomalies; /* anomaly names raised in the transaction */
    struct sk_tx_file *files;    /* the files that ended, in order (at most max_items) */
    size_t nfiles;
};

/* Engine counters, printed at exit and written as an EVE stats record: name -> value in
 * the order given. */
struct sk_counter {
    const char *name;
    uint64_t value;
};

struct sk_outfile_pool;
struct sk_config;

struct sk_output_config {
    /* the configuration, for outputs with keys of their own (EVE's sinks); may be NULL */
    const struct sk_config *config;
    const char *log_dir; /* folder for the log files (exists) */
    /* NULL: each output opens its own files. Else the files are shared with the other output
     * sets opened on the same pool (one per worker) and each record is appended whole. */
    struct sk_outfile_pool *files;
    size_t data_log_limit; /* events.json: bytes of an smtp_data chunk logged */
    /* eve.json: items of each list (rcpt_to, to, cc, attachment, url, received) in a fileinfo
     * record's smtp and email objects, which every file of a message repeats; 0: all */
    size_t eve_file_list_max;
    bool eve_smtp, eve_anomaly, eve_fileinfo, eve_flow, eve_stats, eve_alert_payload;
    bool eve_frame; /* EVE frame records (outputs.eve.frame) */
};

/* One output. Every member but name and open is optional. */
struct sk_output_ops {
    const char *name;
    /* Opens the output's file(s) in cfg->log_dir; returns 0 or a negative SK_E_* code. */
    int (*open)(void **state, const struct sk_output_config *cfg);
    void (*event)(void *state, const struct sk_flow *f, uint64_t ts_us, const struct sk_event *ev);
    /* tx is the alert's transaction (NULL for stream alerts). */
    void (*alert)(void *state, const struct sk_alert *a, const struct sk_tx_record *tx);
    /* a transaction ended */
    void (*tx_close)(void *state, const struct sk_flow *f, uint64_t ts_us,
                     const struct sk_tx_record *tx);
    /* a file ended; tx may be NULL */
    void (*file)(void *state, const struct sk_flow *f, uint64_t ts_us,
                 const struct sk_file_info *fi, const struct sk_tx_record *tx);
    /* an anomaly raised by a parser; tx may be NULL */
    void (*anomaly)(void *state, const struct sk_flow *f, uint64_t ts_us, bool is_orig,
                    enum sk_anomaly_id id, const struct sk_tx_record *tx);
    /* app_proto: the flow's protocol ("smtp", "tls") or NULL; app_proto_tc: the server's
     * when it differs (Suricata's app_proto_tc: a TLS client answered by an SMTP server),
     * else NULL. */
    void (*flow_end)(void *state, const struct sk_flow *f, enum sk_flow_end why,
                     const char *app_proto, const char *app_proto_tc);
    /* a frame (parser.h) ended: a line, or a DATA message (complete or cut short); tx_id is
     * SK_TX_NONE outside a transaction */
    void (*frame)(void *state, const struct sk_flow *f, uint64_t ts_us, bool is_orig,
                  uint64_t tx_id, const struct sk_frame *fr);
    void (*stats)(void *state, uint64_t ts_us, const struct sk_counter *c, size_t n);
    void (*flush)(void *state);
    void (*close)(void *state); /* flushes and frees */
    /* The output's own counters, each passed to fn with a static name. */
    void (*counters)(void *state, void (*fn)(void *ctx, const char *name, uint64_t value),
                     void *ctx);
};

extern const struct sk_output_ops sk_output_events;  /* events.json */
extern const struct sk_output_ops sk_output_eve;     /* eve.json */
extern const struct sk_output_ops sk_output_fast;    /* fast.log */
extern const struct sk_output_ops sk_output_smtplog; /* smtp.log */

#endif
