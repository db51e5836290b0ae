/* SPDX-License-Identifier: GPL-2.0-only */
/* The per-worker chain and the app-layer glue. A TCP flow's bytes go to the SMTP parser
 * when the flow is on an SMTP port or its first bytes look like SMTP (probe); every event
 * the parser raises goes, in order, to the transaction records, the raw event log, the
 * detector and the outputs. The flow's app state lives in f->app and ends with the flow; all
 * of it is charged to the flow table's memory budget (flow.memcap): the parser charges its
 * own state and buffers, this file the app state, the transaction records, detection's
 * per-flow state and each message's MIME decoder. */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <stdatomic.h>

#include "engine/capture/decode.h"
#include "engine/flow/dump.h"
#include "engine/error.h"
#include "engine/flow/flow.h"
#include "engine/log.h"
#include "engine/offload.h"
#include "engine/output/output_set.h"
#include "engine/output/txrec.h"
#include "engine/worker.h"
#include "engine/stats.h"
#include "parsers/mime/mime.h"
#include "parsers/mime/mime_magic.h"
#include "parsers/smtp/smtp.h"

/* Bytes of a direction kept while deciding whether a flow off the SMTP ports is SMTP. */
#define PROBE_MAX 512

enum app_mode { APP_PROBING = 0, APP_SMTP, APP_NONE };

struct probe_buf {
    uint8_t buf[PROBE_MAX];
    size_t len;
    bool said_no;
};

struct app_flow {
    struct sk_worker *w;
    struct sk_flow *flow;
    enum app_mode mode;
    struct probe_buf probe[2]; /* [0] orig, [1] resp */
    void *parser;
    struct sk_txrec *txrec;
    struct sk_detect_flow *df;
    uint64_t ts_us; /* time of the packet being processed */
    uint32_t next_file_id;
    bool alerted;
    bool dirty;           /* events since the last charge_sync() */
    uint64_t data_tx;     /* the message whose smtp_data bytes data_logged counts */
    uint64_t data_logged; /* smtp_data bytes of that message passed to the event log */
    size_t charged; /* budget bytes for this struct, txrec and df (the parser charges its own) */
};

/* A message's MIME decoder, charged to the budget for its whole life. */
struct body {
    struct sk_mime *m;
    struct sk_worker *w;
};

struct app_stats {
    uint64_t smtp_flows;
    uint64_t events[SK_EV_TYPE_COUNT];
    uint64_t anomalies[SK_ANOMALY_COUNT];
    uint64_t transactions;
    uint64_t files;
    uint64_t alerts;
    uint64_t app_refused;  /* app state refused by the memory budget (APP_LAYER_MEMCAP) */
    uint64_t data_dropped; /* smtp_data events past outputs.events.message-limit */
};

struct sk_worker {
    const struct sk_config *cfg;
    struct sk_output_set *outputs;
    struct sk_decoder *dec;
    struct sk_flow_table *flows;
    struct sk_detect_thread *det;
    _Atomic(struct sk_rules_gen *) gen; /* written by w's thread, read by the control thread */
    bool rule_profile;                  /* settings a new rule set gets too */
    uint32_t explain_sid;
    sk_explain_fn explain_fn;
    void *explain_ctx;
    struct sk_thresh_table *thresh; /* shared by the workers (borrowed), or NULL */
    struct sk_dump *dump;
    struct sk_smtp_config smtp_cfg;
    const char **refused, **allowed; /* NULL-terminated, strings borrowed from cfg */
    struct sk_smtp_body_ops body_ops;
    struct sk_mime_config mime_cfg;
    struct sk_mime_pool *mime_pool;   /* idle decoders, reset per message */
    size_t mime_mem;                  /* sk_mime_memuse(&mime_cfg) */
    struct sk_mem_budget *budget;     /* the flow table's */
    struct sk_txrec_limits txrec_lim; /* defaults, with the MD5 fetched once */
    EVP_MD *md5, *sha1, *sha256;      /* fetched once, not per message and file */
    EVP_MD_CTX *md5_ctx;              /* every flow's subject_md5 (txrec_lim.md5_ctx) */
    struct sk_mime_magic *magic;      /* libmagic handle of this worker (mime.file-magic) */
    struct sk_offload *offload;       /* the digests' thread (mime.hash-thread), or NULL */
    struct sk_mime_jobs jobs;         /* mime_cfg.jobs: the offload's run and sync */
    bool mime_on;
    uint16_t smtp_ports[32];
    size_t n_smtp_ports;
    struct app_stats st;
    bool skip_input_counters;
    uint32_t want;           /* events the parser builds: smtp_data only when an output logs it */
    uint64_t msg_data_limit; /* outputs.events.message-limit (0: none) */
    /* the latest packet time read: written by the thread that decodes for w (one reader: the
     * reading thread), read by w's own thread when it publishes its counters */
    _Atomic uint64_t last_ts;
    uint64_t packets, bytes;
    uint64_t alerts_prio[4]; /* alerts of priority 1, 2, 3, and 4 or more */
    /* stats.h: copies of the counters on the board, about once a second */
    struct sk_stats_board *board;
    const _Atomic unsigned *board_gen;
    size_t board_slot;
    struct publish_clock {
        unsigned seen; /* the board's generation last published at */
    } pub_input, pub_rest;
};

/* ---- outputs ---- */

int sk_outputs_open(struct sk_output_set **out, const struct sk_config *cfg, const char *log_dir,
                    struct sk_outfile_pool *files, char *errbuf, size_t errlen)
{
    struct sk_output_config oc = {.config = cfg, .log_dir = log_dir, .files = files};
    const struct sk_output_ops *ops[4];
    size_t n = 0;
    bool events, eve, fast, smtplog;
    uint64_t limit, list_max;
    int rc;

    if ((rc = sk_config_bool(cfg, "outputs.events.enabled", &events, errbuf, errlen)) < 0 ||
        (rc = sk_config_bool(cfg, "outputs.eve.enabled", &eve, errbuf, errlen)) < 0 ||
        (rc = sk_config_bool(cfg, "outputs.fast.enabled", &fast, errbuf, errlen)) < 0 ||
        (rc = sk_config_bool(cfg, "outputs.smtp-log.enabled", &smtplog, errbuf, errlen)) < 0 ||
        (rc = sk_config_size(cfg, "outputs.events.data-limit", &limit, errbuf, errlen)) < 0 ||
        (rc = sk_config_bool(cfg, "outputs.eve.smtp", &oc.eve_smtp, errbuf, errlen)) < 0 ||
        (rc = sk_config_bool(cfg, "outputs.eve.anomaly", &oc.eve_anomaly, errbuf, errlen)) < 0 ||
        (rc = sk_config_bool(cfg, "outputs.eve.fileinfo", &oc.eve_fileinfo, errbuf, errlen)) < 0 ||
        (rc = sk_config_u64(cfg, "outputs.eve.fileinfo-list-max", &list_max, errbuf, errlen)) < 0 ||
        (rc = sk_config_bool(cfg, "outputs.eve.flow", &oc.eve_flow, errbuf, errlen)) < 0 ||
        (rc = sk_config_bool(cfg, "outputs.eve.stats", &oc.eve_stats, errbuf, errlen)) < 0 ||
        (rc = sk_config_bool(cfg, "outputs.eve.frame", &oc.eve_frame, errbuf, errlen)) < 0)
        return rc;
    oc.data_log_limit = (size_t)limit;
    oc.eve_file_list_max = (size_t)list_max;
    if (events)
        ops[n++] = &sk_output_events;
    if (eve)
        ops[n++] = &sk_output_eve;
    if (fast)
        ops[n++] = &sk_output_fast;
    if (smtplog)
        ops[n++] = &sk_output_smtplog;
    rc = sk_output_set_open(out, ops, n, &oc);
    if (rc == SK_E_INVAL) /* a bad EVE sink setting, reported with its key */
        snprintf(errbuf, errlen, "the outputs cannot be opened as configured");
    else if (rc < 0)
        snprintf(errbuf, errlen, "cannot open the logs in '%s': %s", log_dir, sk_strerror(rc));
    return rc;
}

/* ---- parser events ---- */

/* The event log keeps at most outputs.events.message-limit bytes of smtp_data a message (a
 * 1 GB body would log more than 4 GB of events); the chunks past it are counted instead. */
static bool data_logged(struct sk_worker *w, struct app_flow *af, const struct sk_event *ev)
{
    if (w->msg_data_limit == 0)
        return true;
    if (ev->tx_id != af->data_tx) {
        af->data_tx = ev->tx_id;
        af->data_logged = 0;
    }
    if (af->data_logged >= w->msg_data_limit) {
        w->st.data_dropped++;
        return false;
    }
    af->data_logged += ev->u.data.data.len;
    return true;
}

static void emit(void *ctx, const struct sk_event *ev)
{
    struct app_flow *af = ctx;
    struct sk_worker *w = af->w;

    w->st.events[ev->type]++;
    af->dirty = true;
    if (ev->type == SK_EV_ANOMALY) {
        w->st.anomalies[ev->u.anomaly.id]++;
        if (ev->u.anomaly.id == SK_ANOMALY_APP_LAYER_MEMCAP)
            w->st.app_refused++;
    } else if (ev->type == SK_EV_FILE)
        w->st.files++;
    else if (ev->type == SK_EV_TX_CLOSE)
        w->st.transactions++;
    /* The transaction record takes the event first, so an alert the detector raises on it
     * is logged with a record that holds the field that matched. */
    if (w->outputs && (ev->type != SK_EV_SMTP_DATA || data_logged(w, af, ev)))
        sk_output_set_event(w->outputs, af->txrec, af->flow, af->ts_us, ev);
    else
        sk_txrec_event(af->txrec, ev, af->ts_us, NULL, NULL);
    if (af->df)
        sk_detect_event(w->det, af->df, af->flow, ev, af->ts_us);
}

/* smtp_data events nobody logs are counted, not built. */
static void skipped(void *ctx, enum sk_event_type type, uint64_t n)
{
    struct app_flow *af = ctx;
    af->w->st.events[type] += n;
}

static void on_alert(void *ctx, const struct sk_alert *a)
{
    struct sk_worker *w = ctx;
    struct app_flow *af = a->flow->app;
    const struct sk_tx_record *tx = NULL;

    w->st.alerts++;
    w->alerts_prio[a->rule->priority <= 1   ? 0
                   : a->rule->priority >= 4 ? 3
                                            : a->rule->priority - 1]++;
    if (af) {
        af->alerted = true;
        if (a->tx_id != SK_TX_NONE)
            tx = sk_txrec_get(af->txrec, a->tx_id);
    }
    if (w->outputs)
        sk_output_set_alert(w->outputs, a, tx);
}

/* ---- memory budget ---- */

/* APP_LAYER_MEMCAP: through the flow's parser events when it has app state (counted in
 * emit()), else straight to the outputs as a flow anomaly record. */
static void raise_refused(struct sk_worker *w, struct app_flow *af, struct sk_flow *f,
                          uint64_t ts_us)
{
    struct sk_event ev = {
        .type = SK_EV_ANOMALY,
        .is_orig = true,
        .tx_id = SK_TX_NONE,
        .u.anomaly.id = SK_ANOMALY_APP_LAYER_MEMCAP,
    };
    if (af) {
        emit(af, &ev);
        return;
    }
    w->st.events[SK_EV_ANOMALY]++;
    w->st.anomalies[SK_ANOMALY_APP_LAYER_MEMCAP]++;
    w->st.app_refused++;
    if (w->outputs)
        sk_output_set_event(w->outputs, NULL, f, ts_us, &ev);
}

/* Detection's per-flow allocations besides their bytes (the state, flowbits, lists). */
#define DETECT_FLOW_ALLOCS 4

static size_t app_mem(const struct app_flow *af)
{
    size_t det = 0;
    if (af->df)
        det = sk_detect_flow_memuse(af->df) + DETECT_FLOW_ALLOCS * SK_MEM_ALLOC_OVERHEAD;
    return sk_mem_alloc_cost(sizeof(*af)) + sk_txrec_memuse(af->txrec) + det;
}

/* Brings the charge for af, its records and detection state up to date. Their growth is
 * bounded by their own limits (txrec values and items, detection stream windows) and is
 * counted after the fact; the flow table evicts before the next packet to make room. */
static void charge_sync(struct app_flow *af)
{
    if (!af->dirty)
        return;
    af->dirty = false;
    size_t now = app_mem(af);
    if (now > af->charged)
        sk_mem_charge_force(af->w->budget, now - af->charged);
    else
        sk_mem_uncharge(af->w->budget, af->charged - now);
    af->charged = now;
}

/* ---- MIME through the SMTP parser's body hook ---- */

static void *body_begin(void *ctx, uint64_t tx_id, const struct sk_sink *sink)
{
    struct sk_worker *w = ctx;
    struct app_flow *af = sink->ctx;
    size_t need = sk_mem_alloc_cost(sizeof(struct body)) + w->mime_mem;
    if (!sk_mem_charge(w->budget, need)) {
        raise_refused(w, af, af->flow, af->ts_us); /* the message is not decoded */
        return NULL;
    }
    struct body *b = malloc(sizeof(*b));
    if (!b)
        goto out_uncharge;
    b->w = w;
    if (sk_mime_pool_get(w->mime_pool, &b->m, sink, tx_id, &af->next_file_id) < 0)
        goto out_free;
    return b;

out_free:
    free(b);
out_uncharge:
    sk_mem_uncharge(w->budget, need);
    return NULL;
}

static void body_data(void *body, const uint8_t *buf, size_t len)
{
    struct body *b = body;
    if (b)
        sk_mime_feed(b->m, buf, len);
}

static void body_end(void *body, bool complete)
{
    struct body *b = body;
    if (!b)
        return;
    sk_mime_end(b->m, complete);
    sk_mime_put(b->m);
    sk_mem_uncharge(b->w->budget, sk_mem_alloc_cost(sizeof(*b)) + b->w->mime_mem);
    free(b);
}

/* ---- stream consumer ---- */

static bool on_smtp_port(const struct sk_worker *w, const struct sk_flow *f)
{
    for (size_t i = 0; i < w->n_smtp_ports; i++)
        if (f->resp_p == w->smtp_ports[i] || f->orig_p == w->smtp_ports[i])
            return true;
    return false;
}

static int start_smtp(struct app_flow *af)
{
    struct sk_worker *w = af->w;
    struct sk_sink sink = {
        .emit = emit,
        .ctx = af,
        .want = w->want,
        .skipped = skipped,
    };
    int rc = sk_smtp_parser.state_new(&af->parser, &w->smtp_cfg, &sink);
    if (rc < 0) {
        af->parser = NULL;
        return rc;
    }
    if (!af->flow->midstream)
        sk_smtp_parser.session_start(af->parser);
    af->mode = APP_SMTP;
    w->st.smtp_flows++;
    return 0;
}

/* Without app state (out of memory or refused by the budget) a flow goes on with flow
 * records only; a refusal is raised as APP_LAYER_MEMCAP. */
static void flow_open(void *ctx, struct sk_flow *f, uint64_t ts_us)
{
    struct sk_worker *w = ctx;
    int rc = SK_E_LIMIT;
    if (!sk_mem_charge(w->budget, sk_mem_alloc_cost(sizeof(struct app_flow))))
        goto out_refused;
    rc = SK_E_NOMEM;
    struct app_flow *af = calloc(1, sizeof(*af));
    if (!af)
        goto out_uncharge;
    af->w = w;
    af->flow = f;
    af->ts_us = ts_us;
    af->next_file_id = 1;
    af->data_tx = SK_TX_NONE;
    af->charged = sk_mem_alloc_cost(sizeof(*af));
    if ((rc = sk_txrec_new(&af->txrec, &w->txrec_lim, f->uid)) < 0)
        goto out_free;
    if (w->det && (rc = sk_detect_flow_new(&af->df, w->det, f)) < 0)
        goto out_free_txrec;
    size_t more = app_mem(af) - af->charged;
    rc = SK_E_LIMIT;
    if (!sk_mem_charge(w->budget, more))
        goto out_free_df;
    af->charged += more;
    if (on_smtp_port(w, f) && (rc = start_smtp(af)) < 0)
        goto out_free_df;
    f->app = af;
    return;

out_free_df:
    sk_detect_flow_free(af->df);
out_free_txrec:
    sk_txrec_free(af->txrec);
out_free:
    sk_mem_uncharge(w->budget, af->charged - sk_mem_alloc_cost(sizeof(*af)));
    free(af);
out_uncharge:
    sk_mem_uncharge(w->budget, sk_mem_alloc_cost(sizeof(struct app_flow)));
out_refused:
    if (rc == SK_E_LIMIT)
        raise_refused(w, NULL, f, ts_us);
}

static void parser_feed(struct app_flow *af, bool is_orig, const uint8_t *buf, size_t len)
{
    if (sk_smtp_parser.done && sk_smtp_parser.done(af->parser))
        return;
    sk_smtp_parser.feed(af->parser, is_orig, buf, len);
}

/* Off the SMTP ports: keep the first bytes of each direction until the probe decides. */
static void probe_data(struct app_flow *af, bool is_orig, const uint8_t *buf, size_t len)
{
    struct probe_buf *pb = &af->probe[is_orig ? 0 : 1];
    size_t take = len < PROBE_MAX - pb->len ? len : PROBE_MAX - pb->len;

    if (pb->said_no)
        return;
    memcpy(pb->buf + pb->len, buf, take);
    pb->len += take;
    int r = sk_smtp_parser.probe(is_orig, pb->buf, pb->len);
    if (r < 0 && pb->len == PROBE_MAX)
        r = 0;
    if (r == 0) {
        pb->said_no = true;
        if (af->probe[0].said_no && af->probe[1].said_no)
            af->mode = APP_NONE;
        return;
    }
    if (r < 0)
        return;
    int rc = start_smtp(af);
    if (rc < 0) {
        af->mode = APP_NONE;
        if (rc == SK_E_LIMIT)
            raise_refused(af->w, af, af->flow, af->ts_us);
        return;
    }
    /* Replay what was held, the other direction's first if it came first is unknowable:
     * the probing side's bytes go first, then the rest of this chunk. */
    struct probe_buf *other = &af->probe[is_orig ? 1 : 0];
    if (other->len && !other->said_no)
        parser_feed(af, !is_orig, other->buf, other->len);
    parser_feed(af, is_orig, pb->buf, pb->len);
    if (take < len)
        parser_feed(af, is_orig, buf + take, len - take);
}

static void flow_data(void *ctx, struct sk_flow *f, bool is_orig, const uint8_t *buf, size_t len,
                      uint64_t ts_us)
{
    struct sk_worker *w = ctx;
    struct app_flow *af = f->app;

    if (w->dump)
        sk_dump_data(w->dump, f, is_orig, buf, len);
    if (!af)
        return;
    af->ts_us = ts_us;
    /* Alerts and files of this packet's bytes are logged once all of them are parsed. */
    if (w->outputs)
        sk_output_set_batch_begin(w->outputs);
    if (af->df)
        sk_detect_stream(w->det, af->df, f, is_orig, buf, len, ts_us);
    switch (af->mode) {
    case APP_SMTP:
        parser_feed(af, is_orig, buf, len);
        break;
    case APP_PROBING:
        probe_data(af, is_orig, buf, len);
        break;
    case APP_NONE:
        break;
    }
    if (w->outputs)
        sk_output_set_batch_end(w->outputs, af->txrec);
    af->dirty |= af->df != NULL;
    charge_sync(af);
}

static void flow_gap(void *ctx, struct sk_flow *f, bool is_orig, uint64_t len, uint64_t ts_us)
{
    struct sk_worker *w = ctx;
    struct app_flow *af = f->app;

    if (w->dump)
        sk_dump_gap(w->dump, f, is_orig, len);
    if (!af)
        return;
    af->ts_us = ts_us;
    if (af->mode == APP_SMTP && sk_smtp_parser.gap)
        sk_smtp_parser.gap(af->parser, is_orig, len);
    else if (af->mode == APP_PROBING)
        af->mode = APP_NONE; /* cannot tell what a flow with a hole at its start is */
    charge_sync(af);
}

static void flow_close(void *ctx, struct sk_flow *f, enum sk_flow_end why, uint64_t ts_us)
{
    struct sk_worker *w = ctx;
    struct app_flow *af = f->app;
    const char *app_proto = NULL, *app_proto_tc = NULL;

    if (w->dump)
        sk_dump_close(w->dump, f);
    if (af) {
        af->ts_us = ts_us;
        if (af->mode == APP_SMTP) {
            /* What each direction spoke: a TLS client answered by an SMTP server (SMTPS
             * port, plain server) is Suricata's app_proto "tls", app_proto_tc "smtp". */
            const char *ts = sk_smtp_parser.direction_proto(af->parser, true);
            const char *tc = sk_smtp_parser.direction_proto(af->parser, false);
            app_proto = ts ? ts : tc ? tc : "smtp";
            if (tc && strcmp(tc, app_proto) != 0)
                app_proto_tc = tc;
            if (sk_smtp_parser.close)
                sk_smtp_parser.close(af->parser);
        }
        if (af->df)
            sk_detect_flow_end(w->det, af->df, f, ts_us);
    }
    if (w->outputs)
        sk_output_set_flow_end(w->outputs, af ? af->txrec : NULL, f, why, app_proto, app_proto_tc);
    if (af) {
        if (af->parser)
            sk_smtp_parser.state_free(af->parser);
        sk_detect_flow_free(af->df);
        sk_txrec_free(af->txrec);
        sk_mem_uncharge(w->budget, af->charged);
        free(af);
        f->app = NULL;
    }
}

/* ---- configuration ---- */

static int read_ports(struct sk_worker *w, char *errbuf, size_t errlen)
{
    const char *const *items;
    size_t n = sk_config_list(w->cfg, "smtp.ports", &items);
    for (size_t i = 0; i < n; i++) {
        char *end;
        long p = strtol(items[i], &end, 10);
        if (*end || p < 1 || p > 65535) {
            snprintf(errbuf, errlen, "'smtp.ports' holds '%s', which is not a port", items[i]);
            return SK_E_INVAL;
        }
        if (w->n_smtp_ports < sizeof(w->smtp_ports) / sizeof(w->smtp_ports[0]))
            w->smtp_ports[w->n_smtp_ports++] = (uint16_t)p;
    }
    return 0;
}

static int read_decode_flow_config(const struct sk_config *c, struct sk_decode_config *dc,
                                   struct sk_flow_config *fc, char *errbuf, size_t errlen)
{
    uint64_t v[10];
    int rc;
    if ((rc = sk_config_size(c, "decode.frag-memcap", &v[0], errbuf, errlen)) < 0 ||
        (rc = sk_config_u64(c, "decode.frag-timeout", &v[1], errbuf, errlen)) < 0 ||
        (rc = sk_config_u64(c, "flow.max-flows", &v[2], errbuf, errlen)) < 0 ||
        (rc = sk_config_size(c, "flow.memcap", &v[3], errbuf, errlen)) < 0 ||
        (rc = sk_config_u64(c, "flow.hash-seed", &v[4], errbuf, errlen)) < 0 ||
        (rc = sk_config_u64(c, "flow.timeout.new", &v[5], errbuf, errlen)) < 0 ||
        (rc = sk_config_u64(c, "flow.timeout.established", &v[6], errbuf, errlen)) < 0 ||
        (rc = sk_config_u64(c, "flow.timeout.closed", &v[7], errbuf, errlen)) < 0 ||
        (rc = sk_config_size(c, "stream.depth", &v[8], errbuf, errlen)) < 0 ||
        (rc = sk_config_size(c, "stream.max-queued", &v[9], errbuf, errlen)) < 0)
        return rc;
    dc->frag_memcap = (size_t)v[0];
    dc->frag_timeout_us = v[1] * 1000000u;
    fc->max_flows = (size_t)v[2];
    fc->memcap = (size_t)v[3];
    fc->hash_seed = v[4];
    fc->timeout_new_us = v[5] * 1000000u;
    fc->timeout_est_us = v[6] * 1000000u;
    fc->timeout_closed_us = v[7] * 1000000u;
    fc->stream_depth = (size_t)v[8];
    fc->max_queued_per_stream = (size_t)v[9];
    return 0;
}

/* A NULL-terminated copy of a configuration list (strings borrowed). */
static int list_copy(const struct sk_config *cfg, const char *key, const char ***out)
{
    const char *const *items;
    size_t n = sk_config_list(cfg, key, &items);
    *out = NULL;
    if (n == 0)
        return 0;
    const char **v = calloc(n + 1, sizeof(*v));
    if (!v)
        return SK_E_NOMEM;
    memcpy(v, items, n * sizeof(*v));
    *out = v;
    return 0;
}

static int smtp_config_from(struct sk_worker *w, char *errbuf, size_t errlen)
{
    const struct sk_config *c = w->cfg;
    struct sk_smtp_config *sc = &w->smtp_cfg;
    uint64_t v[8];
    int rc;

    sk_smtp_config_defaults(sc);
    if ((rc = sk_config_size(c, "smtp.max-command-line", &v[0], errbuf, errlen)) < 0 ||
        (rc = sk_config_size(c, "smtp.max-reply-line", &v[1], errbuf, errlen)) < 0 ||
        (rc = sk_config_size(c, "smtp.max-rfc-command-line", &v[2], errbuf, errlen)) < 0 ||
        (rc = sk_config_size(c, "smtp.max-auth-line", &v[3], errbuf, errlen)) < 0 ||
        (rc = sk_config_size(c, "smtp.max-data-chunk", &v[4], errbuf, errlen)) < 0 ||
        (rc = sk_config_u64(c, "smtp.max-pending-commands", &v[5], errbuf, errlen)) < 0 ||
        (rc = sk_config_u64(c, "smtp.max-recipients", &v[6], errbuf, errlen)) < 0 ||
        (rc = sk_config_size(c, "smtp.smuggling-hold", &v[7], errbuf, errlen)) < 0 ||
        (rc = sk_config_bool(c, "smtp.log-credentials", &sc->log_credentials, errbuf, errlen)) < 0)
        return rc;
    sc->max_command_line = (size_t)v[0];
    sc->max_reply_line = (size_t)v[1];
    sc->max_rfc_command_line = (size_t)v[2];
    sc->max_auth_line = (size_t)v[3];
    sc->max_data_chunk = (size_t)v[4];
    sc->max_pending_commands = (size_t)v[5];
    sc->max_recipients = (size_t)v[6];
    sc->smuggling_hold = (size_t)v[7];
    if ((rc = list_copy(c, "smtp.refused-commands", &w->refused)) < 0 ||
        (rc = list_copy(c, "smtp.allowed-commands", &w->allowed)) < 0)
        return rc;
    sc->refused_commands = w->refused;
    sc->allowed_commands = w->allowed;
    /* The parser checks the limits when a flow starts; check them once here instead. */
    if (sc->max_command_line < 16 || sc->max_reply_line < 16 || sc->max_data_chunk < 16 ||
        sc->max_pending_commands == 0 || sc->max_rfc_command_line == 0 || sc->max_auth_line == 0) {
        snprintf(errbuf, errlen,
                 "smtp line and chunk limits must be at least 16 bytes, and the pending, RFC and "
                 "AUTH limits above 0");
        return SK_E_INVAL;
    }
    return 0;
}

static void ignore_event(void *ctx, const struct sk_event *ev)
{
    (void)ctx;
    (void)ev;
}

/* mime.file-hashes: "md5", "sha1", "sha256" (items may also be comma-separated, as --set
 * gives them); an empty list computes none. */
static int file_hashes_from(const struct sk_config *c, unsigned *out, char *errbuf, size_t errlen)
{
    static const struct {
        const char *name;
        unsigned bit;
    } names[] = {{"md5", SK_FILE_MD5}, {"sha1", SK_FILE_SHA1}, {"sha256", SK_FILE_SHA256}};
    const char *const *items;
    size_t n = sk_config_list(c, "mime.file-hashes", &items);
    *out = 0;
    for (size_t i = 0; i < n; i++) {
        const char *p = items[i];
        while (*p != '\0') {
            size_t len = strcspn(p, ", ");
            size_t k = 0;
            while (len > 0 && k < sizeof(names) / sizeof(names[0]) &&
                   !(strlen(names[k].name) == len && strncasecmp(p, names[k].name, len) == 0))
                k++;
            if (len > 0 && k == sizeof(names) / sizeof(names[0])) {
                snprintf(errbuf, errlen, "'mime.file-hashes' holds '%.*s', which is not a digest",
                         (int)len, p);
                return SK_E_INVAL;
            }
            if (len > 0)
                *out |= names[k].bit;
            p += len;
            p += strspn(p, ", ");
        }
    }
    return 0;
}

/* mime.body-files, mime.message-files, mime.file-magic (docs/mime.md, Files). */
static int mime_files_from(struct sk_worker *w, char *errbuf, size_t errlen)
{
    struct sk_mime_config *mc = &w->mime_cfg;
    bool magic;
    int rc;
    if ((rc = sk_config_bool(w->cfg, "mime.body-files", &mc->body_files, errbuf, errlen)) < 0 ||
        (rc = sk_config_bool(w->cfg, "mime.message-files", &mc->message_files, errbuf, errlen)) <
            0 ||
        (rc = sk_config_bool(w->cfg, "mime.file-magic", &magic, errbuf, errlen)) < 0)
        return rc;
    if (magic && w->mime_on && (rc = sk_mime_magic_new(&w->magic, errbuf, errlen)) < 0)
        return rc;
    mc->magic = w->magic;
    return 0;
}

static void jobs_run(void *ctx, sk_mime_job_fn fn, void *arg, const void *p, size_t n)
{
    sk_offload_run(ctx, fn, arg, p, n);
}

static void jobs_sync(void *ctx)
{
    sk_offload_sync(ctx);
}

/* mime.hash-thread: the digests (file MD5/SHA-1/SHA-256, body MD5) are computed on a second
 * thread of this worker, fed through a ring of mime.hash-thread-ring bytes. */
static int hash_thread_from(struct sk_worker *w, char *errbuf, size_t errlen)
{
    bool on = false;
    size_t ring = 0;
    int rc;
    if ((rc = sk_config_bool(w->cfg, "mime.hash-thread", &on, errbuf, errlen)) < 0 ||
        (rc = sk_config_size(w->cfg, "mime.hash-thread-ring", &ring, errbuf, errlen)) < 0)
        return rc;
    if (!on || !w->mime_on)
        return 0;
    if ((rc = sk_offload_new(&w->offload, ring)) < 0) {
        snprintf(errbuf, errlen, "mime.hash-thread: cannot start the thread: %s", sk_strerror(rc));
        return rc;
    }
    w->jobs = (struct sk_mime_jobs){.run = jobs_run, .sync = jobs_sync, .ctx = w->offload};
    w->mime_cfg.jobs = &w->jobs;
    return 0;
}

static int mime_config_from(struct sk_worker *w, const struct sk_detect *det, char *errbuf,
                            size_t errlen)
{
    const struct sk_config *c = w->cfg;
    struct sk_mime_config *mc = &w->mime_cfg;
    uint64_t v[10];
    bool store;
    int rc;

    sk_mime_config_defaults(mc);
    if ((rc = sk_config_bool(c, "mime.enabled", &w->mime_on, errbuf, errlen)) < 0 ||
        (rc = sk_config_u64(c, "mime.max-depth", &v[0], errbuf, errlen)) < 0 ||
        (rc = sk_config_size(c, "mime.max-header-name", &v[1], errbuf, errlen)) < 0 ||
        (rc = sk_config_size(c, "mime.max-header-value", &v[2], errbuf, errlen)) < 0 ||
        (rc = sk_config_size(c, "mime.max-header-size", &v[3], errbuf, errlen)) < 0 ||
        (rc = sk_config_size(c, "mime.max-line", &v[4], errbuf, errlen)) < 0 ||
        (rc = sk_config_size(c, "mime.max-enc-line", &v[5], errbuf, errlen)) < 0 ||
        (rc = sk_config_size(c, "mime.max-boundary", &v[6], errbuf, errlen)) < 0 ||
        (rc = sk_config_size(c, "mime.max-filename", &v[7], errbuf, errlen)) < 0 ||
        (rc = sk_config_size(c, "mime.file-data-max", &v[8], errbuf, errlen)) < 0 ||
        (rc = sk_config_u64(c, "mime.max-urls", &v[9], errbuf, errlen)) < 0 ||
        (rc = sk_config_bool(c, "mime.extract-urls", &mc->extract_urls, errbuf, errlen)) < 0 ||
        (rc = sk_config_bool(c, "mime.log-url-scheme", &mc->log_url_scheme, errbuf, errlen)) < 0 ||
        (rc = sk_config_bool(c, "mime.body-md5-stuffed", &mc->body_md5_stuffed, errbuf, errlen)) <
            0 ||
        (rc = sk_config_bool(c, "mime.hash-files", &mc->hash_files, errbuf, errlen)) < 0 ||
        (rc = sk_config_bool(c, "filestore.enabled", &store, errbuf, errlen)) < 0 ||
        (rc = sk_config_size(c, "filestore.max-size", &mc->filestore_max, errbuf, errlen)) < 0)
        return rc;
    if ((rc = file_hashes_from(c, &mc->file_hashes, errbuf, errlen)) < 0)
        return rc;
    mc->rule_hashes = sk_detect_file_hashes(det);
    const char *md5 = sk_config_str(c, "mime.body-md5");
    if (md5 && strcasecmp(md5, "auto") == 0)
        mc->body_md5 = sk_detect_uses_buffer(det, SK_FIELD_EMAIL_BODY_MD5);
    else if ((rc = sk_config_bool(c, "mime.body-md5", &mc->body_md5, errbuf, errlen)) < 0)
        return rc;
    mc->max_depth = (uint32_t)v[0];
    mc->max_header_name = (size_t)v[1];
    mc->max_header_value = (size_t)v[2];
    mc->max_header_size = (size_t)v[3];
    mc->max_line = (size_t)v[4];
    mc->max_enc_line = (size_t)v[5];
    mc->max_boundary = (size_t)v[6];
    mc->max_filename = (size_t)v[7];
    mc->file_data_max = v[8];
    mc->max_urls = (uint32_t)v[9];
    mc->url_scheme_count = sk_config_list(c, "mime.url-schemes", &mc->url_schemes);
    mc->filestore_dir = store ? sk_config_str(c, "filestore.dir") : NULL;
    /* NULL on failure: the MIME decoder then falls back to EVP_md5() and the like */
    w->md5 = EVP_MD_fetch(NULL, "MD5", NULL);
    w->sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
    w->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    mc->md5 = w->md5;
    mc->sha1 = w->sha1;
    mc->sha256 = w->sha256;
    if ((rc = mime_files_from(w, errbuf, errlen)) < 0 ||
        (rc = hash_thread_from(w, errbuf, errlen)) < 0)
        return rc;
    /* sk_mime_new() validates the rest (limits, schemes) per message; try it once here so a
     * bad value is reported at start-up rather than silently skipping every message. */
    struct sk_sink sink = {.emit = ignore_event};
    uint32_t file_id = 1;
    struct sk_mime *m = NULL;
    if (w->mime_on && (rc = sk_mime_new(&m, mc, &sink, 0, &file_id)) < 0) {
        snprintf(errbuf, errlen, "the mime.* settings are not usable: %s", sk_strerror(rc));
        return rc;
    }
    sk_mime_free(m);
    return 0;
}

int sk_worker_new(struct sk_worker **out, const struct sk_worker_config *wc, char *errbuf,
                  size_t errlen)
{
    struct sk_decode_config dc = {0};
    struct sk_flow_config fc = {0};
    int rc;

    struct sk_worker *w = calloc(1, sizeof(*w));
    if (!w)
        return SK_E_NOMEM;
    w->cfg = wc->cfg;
    w->outputs = wc->outputs;
    w->skip_input_counters = wc->skip_input_counters;
    w->want = ~0u;
    if (!sk_output_set_logs(w->outputs, SK_EV_SMTP_DATA))
        w->want &= ~SK_EV_BIT(SK_EV_SMTP_DATA);
    if ((rc = sk_config_size(wc->cfg, "outputs.events.message-limit", &w->msg_data_limit, errbuf,
                             errlen)) < 0)
        goto out_free;

    if ((rc = read_decode_flow_config(wc->cfg, &dc, &fc, errbuf, errlen)) < 0 ||
        (rc = read_ports(w, errbuf, errlen)) < 0 ||
        (rc = smtp_config_from(w, errbuf, errlen)) < 0 ||
        (rc = mime_config_from(w, wc->detect, errbuf, errlen)) < 0)
        goto out_free;
    if (w->mime_on && (rc = sk_mime_pool_new(&w->mime_pool, &w->mime_cfg, 16)) < 0)
        goto out_free;
    sk_txrec_limits_defaults(&w->txrec_lim);
    w->txrec_lim.md5 = w->md5;
    w->txrec_lim.md5_ctx = w->md5_ctx = EVP_MD_CTX_new(); /* NULL: one per digest */
    if (w->mime_on) {
        w->body_ops = (struct sk_smtp_body_ops){
            .begin = body_begin,
            .data = body_data,
            .end = body_end,
            .ctx = w,
        };
        w->smtp_cfg.body = &w->body_ops;
    }
    if ((rc = sk_decoder_new(&w->dec, &dc)) < 0)
        goto out_free;
    w->rule_profile = wc->rule_profile;
    w->explain_sid = wc->explain_sid;
    w->explain_fn = wc->explain_fn;
    w->explain_ctx = wc->explain_ctx;
    w->thresh = wc->thresh;
    atomic_store_explicit(&w->gen, wc->gen, memory_order_relaxed);
    if (wc->detect && (rc = sk_detect_thread_new(&w->det, wc->detect, on_alert, w)) < 0)
        goto out_free;
    if (w->det && w->thresh)
        sk_detect_thread_share_thresh(w->det, w->thresh);
    if (w->det && wc->rule_profile && (rc = sk_detect_thread_profile(w->det)) < 0)
        goto out_free;
    if (w->det && wc->explain_fn &&
        (rc = sk_detect_thread_explain(w->det, wc->explain_sid, wc->explain_fn, wc->explain_ctx)) <
            0) {
        snprintf(errbuf, errlen, "explain: no rule with sid %u among the loaded rules",
                 (unsigned)wc->explain_sid);
        goto out_free;
    }
    if (wc->dump_dir && (rc = sk_dump_new(&w->dump, wc->dump_dir)) < 0) {
        snprintf(errbuf, errlen, "cannot write streams to '%s': %s", wc->dump_dir, sk_strerror(rc));
        goto out_free;
    }
    struct sk_stream_consumer consumer = {
        .ctx = w,
        .open = flow_open,
        .data = flow_data,
        .gap = flow_gap,
        .close = flow_close,
    };
    if ((rc = sk_flow_table_new(&w->flows, &fc, &consumer)) < 0)
        goto out_free;
    w->budget = sk_flow_table_budget(w->flows);
    w->smtp_cfg.budget = w->budget;
    w->mime_mem = sk_mime_memuse(&w->mime_cfg);
    *out = w;
    return 0;

out_free:
    if (rc == SK_E_NOMEM && !errbuf[0])
        snprintf(errbuf, errlen, "%s", sk_strerror(rc));
    sk_worker_free(w);
    return rc;
}

static int counters_part(const struct sk_worker *w, bool input, bool rest, struct sk_counter **c,
                         size_t *n);

/* Publishes one part of w's counters when the stats thread asked for fresh copies (about
 * once a second), or now when force. */
static void maybe_publish(struct sk_worker *w, struct publish_clock *pc, bool input, bool force)
{
    struct sk_counter *c = NULL;
    size_t n = 0;

    if (!w->board || (input && w->skip_input_counters))
        return;
    unsigned gen = atomic_load_explicit(w->board_gen, memory_order_relaxed);
    if (!force && gen == pc->seen)
        return;
    pc->seen = gen;
    if (counters_part(w, input, !input, &c, &n) == 0)
        sk_stats_board_publish(w->board, w->board_slot, input, c, n,
                               atomic_load_explicit(&w->last_ts, memory_order_relaxed));
    free(c);
}

void sk_worker_set_board(struct sk_worker *w, struct sk_stats_board *board, size_t slot)
{
    w->board = board;
    w->board_gen = sk_stats_board_generation(board);
    w->board_slot = slot;
}

const struct sk_rule_prof *sk_worker_rule_profile(const struct sk_worker *w, size_t *n)
{
    *n = 0;
    return w->det ? sk_detect_thread_profile_get(w->det, n) : NULL;
}

void sk_worker_publish(struct sk_worker *w)
{
    maybe_publish(w, &w->pub_input, true, true);
    maybe_publish(w, &w->pub_rest, false, true);
}

static void count_input(struct sk_worker *w, const struct sk_raw_packet *raw)
{
    w->packets++;
    w->bytes += raw->caplen;
    if (raw->ts_us > atomic_load_explicit(&w->last_ts, memory_order_relaxed))
        atomic_store_explicit(&w->last_ts, raw->ts_us, memory_order_relaxed);
    maybe_publish(w, &w->pub_input, true, false);
}

int sk_worker_decode(struct sk_worker *w, const struct sk_raw_packet *raw, struct sk_packet *pkt)
{
    count_input(w, raw);
    return sk_decoder_decode(w->dec, raw, pkt);
}

void sk_worker_count_peeked(struct sk_worker *w, const struct sk_raw_packet *raw,
                            const struct sk_packet *peeked)
{
    count_input(w, raw);
    sk_decoder_count_peeked(w->dec, raw, peeked);
}

/* ---- rule reloads ---- */

struct move_ctx {
    struct sk_worker *w;
    struct sk_detect_thread *t;
    const struct sk_detect_remap *m;
};

static void move_flow(void *ctx, struct sk_flow *f)
{
    struct move_ctx *mc = ctx;
    struct app_flow *af = f->app;
    if (!af)
        return;
    af->dirty = true; /* its charge is brought up to date at its next packet */
    if (af->df && mc->m && sk_detect_flow_move(af->df, mc->t, mc->m) == 0)
        return;
    /* no earlier state to carry (no rules before) or no memory for it: detection of the
     * flow starts afresh */
    sk_detect_flow_free(af->df);
    af->df = NULL;
    (void)sk_detect_flow_new(&af->df, mc->t, f);
}

/* A detection thread for d with the worker's settings (shared thresholds, profile, explain). */
static int detect_thread_for(struct sk_worker *w, const struct sk_detect *d,
                             struct sk_detect_thread **out)
{
    int rc = sk_detect_thread_new(out, d, on_alert, w);
    if (rc < 0)
        return rc;
    if (w->thresh)
        sk_detect_thread_share_thresh(*out, w->thresh);
    if (w->rule_profile && (rc = sk_detect_thread_profile(*out)) < 0) {
        sk_detect_thread_free(*out);
        return rc;
    }
    if (w->explain_fn)
        (void)sk_detect_thread_explain(*out, w->explain_sid, w->explain_fn, w->explain_ctx);
    return 0;
}

/* Moves w along the generations to the newest, between two packets. */
static void move_rules(struct sk_worker *w)
{
    struct sk_rules_gen *g = atomic_load_explicit(&w->gen, memory_order_relaxed);
    struct sk_rules_gen *next;
    while (g && (next = atomic_load_explicit(&g->next, memory_order_acquire)) != NULL) {
        struct sk_detect_thread *t = NULL;
        int rc = w->det && next->remap ? sk_detect_thread_move(&t, w->det, next->remap)
                                       : detect_thread_for(w, next->detect, &t);
        if (rc < 0) /* tried again at the next packet; the old rules go on meanwhile */
            return;
        /* the new rules' filemd5/filesha1/filesha256 need their digests from the next file */
        w->mime_cfg.rule_hashes = sk_detect_file_hashes(next->detect);
        sk_mime_pool_set_rule_hashes(w->mime_pool, w->mime_cfg.rule_hashes);
        struct move_ctx mc = {w, t, w->det ? next->remap : NULL};
        sk_flow_table_foreach(w->flows, move_flow, &mc);
        sk_detect_thread_free(w->det);
        w->det = t;
        atomic_store_explicit(&w->gen, next, memory_order_release);
        g = next;
    }
}

static inline void maybe_move_rules(struct sk_worker *w)
{
    struct sk_rules_gen *g = atomic_load_explicit(&w->gen, memory_order_relaxed);
    if (g && atomic_load_explicit(&g->next, memory_order_relaxed))
        move_rules(w);
}

unsigned long sk_worker_rules_gen(const struct sk_worker *w)
{
    struct sk_rules_gen *g = atomic_load_explicit(&w->gen, memory_order_acquire);
    return g ? g->id : 0;
}

void sk_worker_rules_catch_up(struct sk_worker *w)
{
    move_rules(w);
}

int sk_worker_decoded(struct sk_worker *w, const struct sk_packet *pkt)
{
    maybe_move_rules(w);
    maybe_publish(w, &w->pub_rest, false, false);
    if (w->det == NULL)
        return sk_flow_table_packet(w->flows, pkt);
    /* dsize and flags are judged on the packet whose bytes are being inspected */
    sk_detect_thread_packet(w->det, pkt->ip_proto == 6, pkt->tcp_flags, pkt->payload_len);
    int rc = sk_flow_table_packet(w->flows, pkt);
    sk_detect_thread_packet(w->det, false, 0, 0);
    return rc;
}

int sk_worker_packet(struct sk_worker *w, const struct sk_raw_packet *raw)
{
    struct sk_packet pkt;
    int r = sk_worker_decode(w, raw, &pkt);
    if (r <= 0)
        return r;
    return sk_worker_decoded(w, &pkt);
}

void sk_worker_tick(struct sk_worker *w, uint64_t now_us)
{
    maybe_move_rules(w);
    sk_flow_table_expire(w->flows, now_us);
    maybe_publish(w, &w->pub_rest, false, false);
}

uint64_t sk_worker_next_end(const struct sk_worker *w)
{
    return sk_flow_table_next_end(w->flows);
}

void sk_worker_end_next(struct sk_worker *w)
{
    (void)sk_flow_table_end_next(w->flows);
}

void sk_worker_finish(struct sk_worker *w)
{
    sk_flow_table_flush(w->flows);
    maybe_publish(w, &w->pub_rest, false, true);
}

uint64_t sk_worker_last_ts(const struct sk_worker *w)
{
    return atomic_load_explicit(&w->last_ts, memory_order_relaxed);
}

/* ---- counters ---- */

static const char *const app_anomaly_counter_names[SK_ANOMALY_COUNT] = {
#define SK__ANOM_COUNTER(id, name, doc) "smtp.anomaly." name,
    SK_ANOMALIES(SK__ANOM_COUNTER)
#undef SK__ANOM_COUNTER
};

struct counter_list {
    struct sk_counter *v;
    size_t n, cap;
    int rc;
};

static void add(struct counter_list *l, const char *name, uint64_t value)
{
    if (l->rc < 0)
        return;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        struct sk_counter *v = realloc(l->v, cap * sizeof(*v));
        if (!v) {
            l->rc = SK_E_NOMEM;
            return;
        }
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n].name = name;
    l->v[l->n].value = value;
    l->n++;
}

static void add_counter(void *ctx, const char *name, uint64_t value)
{
    add(ctx, name, value);
}

/* Anomaly counters appear when they are not zero: a clean run prints a short list. */
static void add_decode_counter(void *ctx, const char *name, uint64_t value)
{
    if (value == 0 && strncmp(name, "decoder.", 8) == 0)
        return;
    add(ctx, name, value);
}

int sk_worker_counters(const struct sk_worker *w, struct sk_counter **c, size_t *n)
{
    return counters_part(w, !w->skip_input_counters, true, c, n);
}

/* The input part: what the decode path counts; the rest: everything else. */
static int counters_part(const struct sk_worker *w, bool input, bool rest, struct sk_counter **c,
                         size_t *n)
{
    struct counter_list l = {.v = *c, .n = *n, .cap = *n, .rc = 0};
    const struct sk_decode_stats *ds = sk_decoder_stats(w->dec);
    const struct sk_flow_stats *fs = sk_flow_table_stats(w->flows);

    if (input) {
        add(&l, "packets", w->packets);
        add(&l, "bytes", w->bytes);
        sk_decode_stats_foreach(ds, add_decode_counter, &l);
    }
    if (!rest)
        goto out;
#define SK__FLOW_COUNTER(name, field) add(&l, name, fs->field);
    SK_FLOW_COUNTERS(SK__FLOW_COUNTER)
#undef SK__FLOW_COUNTER
    add(&l, "flow.app_memcap_refused", w->st.app_refused);
    if (w->offload != NULL) {
        uint64_t full, sync;
        sk_offload_waits(w->offload, &full, &sync);
        add(&l, "mime.hash_thread_waits_full", full);
        add(&l, "mime.hash_thread_waits_result", sync);
    }
    add(&l, "smtp.flows", w->st.smtp_flows);
    add(&l, "smtp.transactions", w->st.transactions);
    add(&l, "smtp.requests", w->st.events[SK_EV_SMTP_REQUEST]);
    add(&l, "smtp.replies", w->st.events[SK_EV_SMTP_REPLY]);
    add(&l, "smtp.data_chunks", w->st.events[SK_EV_SMTP_DATA]);
    add(&l, "smtp.starttls", w->st.events[SK_EV_SMTP_STARTTLS]);
    add(&l, "smtp.unexpected", w->st.events[SK_EV_SMTP_UNEXPECTED]);
    add(&l, "smtp.anomalies", w->st.events[SK_EV_ANOMALY]);
    for (size_t i = 0; i < SK_ANOMALY_COUNT; i++)
        if (w->st.anomalies[i])
            add(&l, app_anomaly_counter_names[i], w->st.anomalies[i]);
    add(&l, "files", w->st.files);
    if (w->outputs) {
        add(&l, "output.events.data_dropped", w->st.data_dropped);
        sk_output_set_counters(w->outputs, add_counter, &l);
    }
    if (w->det)
        sk_detect_thread_counters(w->det, add_counter, &l);
    add(&l, "detect.alerts", w->st.alerts);
    add(&l, "detect.alerts_priority_1", w->alerts_prio[0]);
    add(&l, "detect.alerts_priority_2", w->alerts_prio[1]);
    add(&l, "detect.alerts_priority_3", w->alerts_prio[2]);
    add(&l, "detect.alerts_priority_4", w->alerts_prio[3]);
out:
    *c = l.v;
    *n = l.n;
    return l.rc;
}

void sk_worker_free(struct sk_worker *w)
{
    if (!w)
        return;
    /* The flow table closes its flows first, so their app state goes while the detector
     * thread and the dump still exist. */
    sk_flow_table_free(w->flows);
    sk_mime_pool_free(w->mime_pool);
    sk_offload_free(w->offload); /* after every decoder: they sync with it when freed */
    sk_dump_free(w->dump);
    sk_detect_thread_free(w->det);
    sk_decoder_free(w->dec);
    free(w->refused);
    free(w->allowed);
    EVP_MD_CTX_free(w->md5_ctx); /* after the flows: their builders borrow it */
    EVP_MD_free(w->md5);
    sk_mime_magic_free(w->magic);
    EVP_MD_free(w->sha1);
    EVP_MD_free(w->sha256);
    free(w);
}
