/* SPDX-License-Identifier: GPL-2.0-only */
/* The detection engine's own types, shared by its files: detect.c (threads, flows, events,
 * evaluation), detect_build.c (compiling a rule set) and detect_move.c (moving threads and
 * flows to a new rule set). Nothing outside rules/detect*.c includes this. */
#ifndef SK_RULES_DETECT_INT_H
#define SK_RULES_DETECT_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "engine/error.h"
#include "rules/detect.h"
#include "rules/explain.h"
#include "rules/match.h"
#include "rules/prefilter.h"
#include "rules/stream_memo.h"
#include "rules/threshold.h"
#include "rules/transform.h"

#define DEFAULT_STREAM_WINDOW (64u * 1024u)
#define TX_MAX_BYTES          (1u << 20) /* bytes of non-stream instances kept per tx */
#define TX_MAX_INSTANCES      1024u      /* instances kept per buffer per tx */
#define PENDING_MAX           65536u     /* candidates waiting in one tx */
#define STREAM_SLOTS          4u         /* stream fields of fields.h kept per flow */
#define ARENA_KEEP            16384u     /* value arena bytes a flow keeps between txs */

/* Directions of the data a rule can match on (flow:to_server / to_client). */
#define DIR_TO_SERVER 0x1u
#define DIR_TO_CLIENT 0x2u
#define DIR_BOTH      (DIR_TO_SERVER | DIR_TO_CLIENT)
#define WPOOL_MAX     64u /* stream window buffers a thread keeps for reuse */

/* Rules evaluated on application events (per transaction) or on the reassembled stream
 * (per flow). */
enum rule_class { RC_APP = 0, RC_STREAM };

struct u32vec {
    uint32_t *v;
    size_t n, cap;
};

struct crule {
    const struct sk_rule *r;
    bool disabled;          /* a pcre that does not compile, a buffer out of range */
    bool has_fp;            /* a pattern in some prefilter database */
    bool stream_mono;       /* one group, on a stream buffer, of at most 32 positive contents */
    bool shift_inv;         /* stream_mono without offset, depth or startswith */
    bool occ_memo;          /* one group on a stream buffer confirmed through stream_memo.h */
    uint8_t cls;            /* enum rule_class */
    uint64_t bufmask;       /* buffers used by its groups */
    void ***pcre;           /* per group, per match: compiled pcre or NULL; NULL: no pcre at all */
    atomic_bool pcre_ready; /* pcre compiled (with JIT), on the rule's first confirmation */
    int *b64_data; /* per group: the base64_data group its base64_decode feeds, or -1; NULL:
                    * -1 for every group */
};

/* A prefilter list: the fast patterns of the rules whose fast pattern group inspects
 * buffer with this transform chain. */
struct plist {
    int buffer;
    size_t n_transforms;
    const enum sk_transform *transforms; /* borrowed from the first rule's group */
    bool stream;
    uint8_t dirs; /* SK_BUF_STREAM: DIR_TO_SERVER or DIR_TO_CLIENT (one database each);
                   * other buffers: both */
    size_t reach; /* no pattern can end past this byte of an instance (SIZE_MAX: no bound) */
    size_t n_pats, cap_pats;
    struct sk_pf_pattern *pats;
    struct sk_pf_db *db;
};

struct sk_detect {
    const struct sk_ruleset *rs;
    struct sk_detect_config cfg;
    size_t n_rules;
    struct crule *rules;
    size_t n_lists;
    struct plist *lists;
    int stream_list[SK_BUF_COUNT][2]; /* streaming list of a stream buffer per direction
                                       * ([0] to server, [1] to client), or -1 */
    uint8_t dirs[SK_BUF_COUNT];    /* DIR_* in which some rule inspects the buffer (SK_BUF_STREAM)
                                    * or uses it at all (other buffers: both or none) */
    bool shared[SK_BUF_COUNT];     /* some rule uses the buffer and another one: a closed stream
                                    * instance's window may still be confirmed against */
    int stream_slot[SK_BUF_COUNT]; /* a stream field's instance in the flow, or -1 */
    struct u32vec block_lists[SK_BUF_COUNT];
    struct u32vec nofp[SK_BUF_COUNT]; /* rules using the buffer without a fast pattern */
    struct u32vec every_app, every_stream, anomaly_rules, starttls_rules;
    struct u32vec file_rules; /* filemd5/filesha1/filesha256: checked on each finished file */
    unsigned file_hashes;     /* SK_FILE_* digests those rules need */
    size_t n_flowbits;
    double build_seconds;
    bool from_cache;
    pthread_mutex_t *pcre_lock; /* serialises the lazy pcre compiles of the workers */
};

/* One value of a single or multi buffer: bytes off..off+len of the flow's value arena. */
struct inst {
    size_t off, len;
};

struct fieldbuf {
    struct inst *v;
    size_t n, cap;
    uint64_t *num;
    size_t nn, ncap;
    bool flag;
};

/* One instance of a stream buffer: its Hyperscan stream and the last window bytes. The
 * Hyperscan stream is opened on the instance's first byte and kept for the flow's next
 * instances (reset, not reopened); the window buffer comes from the thread's pool. */
struct sinst {
    int buffer;
    bool open;
    bool hs_live;    /* hs has seen bytes of the current instance */
    uint32_t serial; /* which instance of the flow */
    struct sk_pf_stream *hs;
    uint8_t *buf;
    size_t len, cap;
    uint64_t total;
};

/* A stream_mono rule that did not match stream instance serial when total bytes of it
 * had arrived. */
struct memo {
    uint32_t id, serial;
    uint64_t total;
    uint32_t absent; /* bit k: content k did not occur in the window */
};

/* Detection state of a transaction (app) or of the flow's stream rules. */
struct dctx {
    uint64_t tx_id;
    bool closed;
    struct u32vec pending; /* fast pattern seen, not yet matched */
    struct u32vec done;    /* matched: never evaluated again in this context */
    struct memo *memo;
    size_t n_memo, cap_memo;
    struct sk_smemo smemo;
};

struct sk_detect_flow {
    const struct sk_detect *d;
    struct sk_detect_thread *t; /* the worker's: window buffers go back to its pool */
    struct dctx app, strm;
    struct fieldbuf *f[SK_BUF_COUNT]; /* allocated on first use */
    struct sinst s[STREAM_SLOTS];     /* stream fields (smtp.data, file.data) */
    struct sinst dir[2];              /* SK_BUF_STREAM: [0] to server, [1] to client */
    uint8_t *flowbits;
    uint8_t anomalies[(SK_ANOMALY_COUNT + 7) / 8];
    bool starttls, smtp_seen, passed;
    uint32_t next_serial;
    uint64_t sent[2]; /* stream bytes from the client [0] and the server [1] (stream_size) */
    uint8_t *arena;   /* the transaction's values (and the session's HELO, first) */
    size_t arena_len, arena_cap;
    size_t mem;
};

struct sk_detect_thread {
    const struct sk_detect *d;
    sk_alert_fn on_alert;
    void *ctx;
    struct sk_pf_scratch *scratch;
    struct sk_match_ctx *mc;
    struct sk_xform xf;
    struct sk_thresh_table *thresh;
    uint32_t *mark; /* == gen: pending or done in the flow being inspected */
    uint32_t gen;
    uint32_t *emark; /* == egen: already a candidate of this inspection */
    uint32_t egen;
    struct u32vec cands;
    uint8_t *line;
    size_t line_cap;
    uint8_t *wpool[WPOOL_MAX]; /* free window buffers, kept mapped for the next instance */
    size_t wpool_cap[WPOOL_MAX];
    size_t n_wpool;
    struct sk_detect_stats st;
    /* the inspection in progress, for the prefilter callback */
    struct sk_detect_flow *cur;
    struct sk_rule_prof *prof; /* per rule, with --rule-profile; NULL: not profiling */
    sk_explain_fn explain_fn;  /* shrike explain: the rule explained at each inspection */
    void *explain_ctx;
    uint32_t explain_id;
    /* the packet being processed (dsize, flags): sk_detect_thread_packet() */
    bool pkt_valid;
    uint8_t pkt_flags;
    size_t pkt_dsize;
    /* the file that just ended, while its file rules are judged: their file.name is its
     * name, as Suricata inspects a file's keywords on the same file */
    const struct sk_file_info *file;
};

/* What triggered an inspection. */
struct trig {
    const struct sk_flow *f;
    bool is_orig;
    uint64_t ts_us;
    int anomaly;                     /* the anomaly raised, or -1 */
    const struct sk_file_info *file; /* the file that ended (file rules), or NULL */
    const struct sk_frame *frame;    /* of the event inspected, or NULL */
    uint64_t tx_id;                  /* of the event inspected */
};

static inline int u32_push(struct u32vec *v, uint32_t x)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 16;
        uint32_t *p = realloc(v->v, cap * sizeof(*p));
        if (p == NULL)
            return SK_E_NOMEM;
        v->v = p;
        v->cap = cap;
    }
    v->v[v->n++] = x;
    return 0;
}

static inline void u32_remove(struct u32vec *v, uint32_t x)
{
    for (size_t i = 0; i < v->n;)
        if (v->v[i] == x)
            v->v[i] = v->v[--v->n];
        else
            i++;
}

static inline void u32_release(struct u32vec *v)
{
    free(v->v);
    memset(v, 0, sizeof(*v));
}

static inline int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static inline enum sk_field_kind buffer_kind(int b)
{
    if (b == SK_BUF_STREAM)
        return SK_FIELD_STREAM;
    if (b == SK_BUF_SMTP_LINE)
        return SK_FIELD_MULTI;
    if (b == SK_BUF_SMTP_COMMAND_FRAME || b == SK_BUF_SMTP_RESPONSE_LINE)
        return SK_FIELD_SINGLE; /* a frame rule inspects the frame at hand, not earlier ones */
    const struct sk_field_def *def = sk_field_def((enum sk_field_id)b);
    return def ? def->kind : SK_FIELD_MULTI;
}

/* detect_build.c: compile rule id's pcres (with JIT), once, on its first confirmation. */
void sk_detect__pcre_prepare(const struct sk_detect *d, uint32_t id);
/* detect.c: give a stream instance's window buffer back to the thread's pool. */
void sk_detect__window_drop(struct sk_detect_flow *df, struct sinst *s);

#endif
