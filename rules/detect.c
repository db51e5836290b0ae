/* SPDX-License-Identifier: GPL-2.0-only */
/* The detection engine at run time: keeps each flow's transaction buffers and stream
 * windows, and on every event turns prefilter hits into candidates, confirms them
 * (rules/match.c) and applies flowbits, thresholds and the once-per-transaction rule before
 * alerting. Compiling a rule set is detect_build.c; moving to a new one, detect_move.c. */
#include "rules/detect.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/error.h"
#include "engine/log.h"
#include "rules/conditions.h"
#include "rules/match.h"
#include "rules/prefilter.h"
#include "rules/explain.h"
#include "rules/hashlist.h"
#include "rules/reference.h"
#include "rules/stream_memo.h"
#include "rules/threshold.h"
#include "rules/transform.h"
#include "rules/detect_int.h"

/* ---- threads ---- */

int sk_detect_thread_new(struct sk_detect_thread **out, const struct sk_detect *d,
                         sk_alert_fn on_alert, void *ctx)
{
    struct sk_detect_thread *t = calloc(1, sizeof(*t));
    int rc = SK_E_NOMEM;
    if (t == NULL)
        return SK_E_NOMEM;
    t->d = d;
    t->on_alert = on_alert;
    t->ctx = ctx;
    sk_xform_init(&t->xf);
    size_t n = d->n_rules ? d->n_rules : 1;
    t->mark = calloc(n, sizeof(*t->mark));
    t->emark = calloc(n, sizeof(*t->emark));
    if (t->mark == NULL || t->emark == NULL)
        goto out_free;
    if ((rc = sk_match_ctx_new(&t->mc, d->cfg.pcre_match_limit)) != 0)
        goto out_free;
    if ((rc = sk_thresh_table_new(&t->thresh, 0)) != 0)
        goto out_free;
    if ((rc = sk_pf_scratch_add(&t->scratch, NULL)) != 0)
        goto out_free;
    for (size_t i = 0; i < d->n_lists; i++)
        if ((rc = sk_pf_scratch_add(&t->scratch, d->lists[i].db)) != 0)
            goto out_free;
    t->st.build_seconds = d->build_seconds;
    t->st.from_cache = d->from_cache;
    *out = t;
    return 0;

out_free:
    sk_detect_thread_free(t);
    return rc;
}

void sk_detect_thread_share_thresh(struct sk_detect_thread *t, struct sk_thresh_table *shared)
{
    sk_thresh_table_free(t->thresh);
    t->thresh = sk_thresh_table_ref(shared);
}

void sk_detect_thread_free(struct sk_detect_thread *t)
{
    if (t == NULL)
        return;
    sk_pf_scratch_free(t->scratch);
    sk_match_ctx_free(t->mc);
    sk_thresh_table_free(t->thresh);
    sk_xform_release(&t->xf);
    free(t->mark);
    free(t->emark);
    u32_release(&t->cands);
    free(t->line);
    for (size_t i = 0; i < t->n_wpool; i++)
        free(t->wpool[i]);
    free(t->prof);
    free(t);
}

void sk_detect_thread_stats(const struct sk_detect_thread *t, struct sk_detect_stats *out)
{
    *out = t->st;
    out->pcre_limit_hits = sk_match_ctx_pcre_limit_hits(t->mc);
}

static const char *const scanned_names[SK_BUF_COUNT] = {
#define SK__SCANNED_NAME(id, name, kind, doc) [SK_FIELD_##id] = "detect.bytes_scanned." name,
    SK_FIELDS(SK__SCANNED_NAME)
#undef SK__SCANNED_NAME
        [SK_BUF_STREAM] = "detect.bytes_scanned.stream",
    [SK_BUF_SMTP_LINE] = "detect.bytes_scanned.smtp_line",
    [SK_BUF_BASE64_DATA] = "detect.bytes_scanned.base64_data",
    [SK_BUF_SMTP_RESPONSE_LINE] = "detect.bytes_scanned.response_line_frame",
    [SK_BUF_SMTP_COMMAND_FRAME] = "detect.bytes_scanned.command_line_frame",
};

void sk_detect_thread_counters(const struct sk_detect_thread *t, sk_detect_counter_fn fn, void *ctx)
{
    bool has_db[SK_BUF_COUNT] = {false};
    for (size_t i = 0; i < t->d->n_lists; i++)
        if (t->d->lists[i].db != NULL)
            has_db[t->d->lists[i].buffer] = true;
    fn(ctx, "detect.inspections", t->st.inspections);
    fn(ctx, "detect.candidates", t->st.candidates);
    fn(ctx, "detect.suppressed", t->st.suppressed);
    fn(ctx, "detect.pcre_limit_hits", sk_match_ctx_pcre_limit_hits(t->mc));
    fn(ctx, "detect.bytes_scanned", t->st.bytes_scanned);
    for (int b = 0; b < SK_BUF_COUNT; b++)
        if (has_db[b] && scanned_names[b] != NULL)
            fn(ctx, scanned_names[b], t->st.buf_scanned[b]);
}

/* ---- per-flow state ---- */

int sk_detect_flow_new(struct sk_detect_flow **out, struct sk_detect_thread *t,
                       const struct sk_flow *f)
{
    struct sk_detect_flow *df = calloc(1, sizeof(*df));
    if (df == NULL)
        return SK_E_NOMEM;
    df->d = t->d;
    df->t = t;
    df->app.tx_id = SK_TX_NONE;
    df->dir[0].buffer = df->dir[1].buffer = SK_BUF_STREAM;
    df->strm.tx_id = SK_TX_NONE;
    if (t->d->n_flowbits > 0) {
        df->flowbits = calloc((t->d->n_flowbits + 7) / 8, 1);
        if (df->flowbits == NULL) {
            free(df);
            return SK_E_NOMEM;
        }
    }
    df->mem = sizeof(*df) + (t->d->n_flowbits + 7) / 8;
    *out = df;
    return 0;
}

/* Ends the instance: its end-of-data matches go to hit, and its Hyperscan stream is reset
 * for the flow's next instance. The window stays for confirmations until the next
 * instance or transaction. */
static void sinst_close(struct sinst *s, struct sk_pf_scratch *scratch, sk_pf_hit_fn hit, void *ctx)
{
    if (s->hs_live)
        (void)sk_pf_stream_reset(s->hs, scratch, hit, ctx);
    s->hs_live = false;
    s->open = false;
}

/* Gives the window buffer back to the thread's pool (or frees it). */
void sk_detect__window_drop(struct sk_detect_flow *df, struct sinst *s)
{
    struct sk_detect_thread *t = df->t;
    if (s->buf == NULL)
        return;
    df->mem -= s->cap;
    if (t->n_wpool < WPOOL_MAX) {
        t->wpool[t->n_wpool] = s->buf;
        t->wpool_cap[t->n_wpool++] = s->cap;
    } else {
        free(s->buf);
    }
    s->buf = NULL;
    s->len = s->cap = 0;
}

static void sinst_release(struct sk_detect_flow *df, struct sinst *s)
{
    sinst_close(s, NULL, NULL, NULL);
    if (s->hs != NULL) {
        df->mem -= sk_pf_db_stream_size(sk_pf_stream_db(s->hs));
        sk_pf_stream_close(s->hs, NULL, NULL, NULL);
    }
    sk_detect__window_drop(df, s);
    memset(s, 0, sizeof(*s));
}

/* The values of buffer b in the transaction; NULL when there are none (create: allocate,
 * NULL only when out of memory). */
static struct fieldbuf *fieldbuf_get(struct sk_detect_flow *df, int b, bool create)
{
    if (df->f[b] == NULL && create) {
        df->f[b] = calloc(1, sizeof(*df->f[b]));
        if (df->f[b] != NULL)
            df->mem += sizeof(*df->f[b]);
    }
    return df->f[b];
}

/* The current instance of a stream buffer, or NULL when it has none. */
static struct sinst *stream_of(struct sk_detect_flow *df, int b, bool is_orig)
{
    if (b == SK_BUF_STREAM)
        return &df->dir[is_orig ? 0 : 1];
    int slot = df->d->stream_slot[b];
    return slot >= 0 ? &df->s[slot] : NULL;
}

/* Empties fb, keeping its arrays for the next transaction. */
static void fieldbuf_clear(struct fieldbuf *fb)
{
    if (fb == NULL)
        return;
    fb->n = fb->nn = 0;
    fb->flag = false;
}

static void ctx_reset(struct dctx *c, uint64_t tx_id)
{
    c->tx_id = tx_id;
    c->closed = false;
    c->pending.n = 0;
    c->done.n = 0;
    c->n_memo = 0;
    sk_smemo_reset(&c->smemo);
}

void sk_detect_flow_free(struct sk_detect_flow *df)
{
    if (df == NULL)
        return;
    for (int b = 0; b < SK_BUF_COUNT; b++) {
        if (df->f[b] != NULL) {
            free(df->f[b]->v);
            free(df->f[b]->num);
        }
        free(df->f[b]);
    }
    free(df->arena);
    for (size_t i = 0; i < STREAM_SLOTS; i++)
        sinst_release(df, &df->s[i]);
    sinst_release(df, &df->dir[0]);
    sinst_release(df, &df->dir[1]);
    u32_release(&df->app.pending);
    u32_release(&df->app.done);
    u32_release(&df->strm.pending);
    u32_release(&df->strm.done);
    free(df->app.memo);
    free(df->strm.memo);
    sk_smemo_release(&df->app.smemo);
    sk_smemo_release(&df->strm.smemo);
    free(df->flowbits);
    free(df);
}

size_t sk_detect_flow_memuse(const struct sk_detect_flow *df)
{
    size_t lists =
        df->app.pending.cap + df->app.done.cap + df->strm.pending.cap + df->strm.done.cap;
    size_t insts = 0;
    for (int b = 0; b < SK_BUF_COUNT; b++)
        if (df->f[b] != NULL)
            insts += df->f[b]->cap * sizeof(struct inst) + df->f[b]->ncap * sizeof(uint64_t);
    return df->mem + df->arena_cap + insts + lists * sizeof(uint32_t) +
           (df->app.cap_memo + df->strm.cap_memo) * sizeof(struct memo) +
           sk_smemo_memuse(&df->app.smemo) + sk_smemo_memuse(&df->strm.smemo);
}

/* ---- prefilter hits and candidates ---- */

static void on_hit(void *ctx, uint32_t id)
{
    struct sk_detect_thread *t = ctx;
    struct sk_detect_flow *df = t->cur;
    if (t->mark[id] == t->gen)
        return;
    t->mark[id] = t->gen;
    struct dctx *c = t->d->rules[id].cls == RC_APP ? &df->app : &df->strm;
    if (c->pending.n >= PENDING_MAX)
        return;
    if (u32_push(&c->pending, id) == 0)
        t->st.candidates++;
}

/* Starts an inspection of df: rules pending or done in it are marked so that a hit adds
 * a rule once. */
static void begin(struct sk_detect_thread *t, struct sk_detect_flow *df)
{
    if (++t->gen == 0) {
        memset(t->mark, 0, (t->d->n_rules ? t->d->n_rules : 1) * sizeof(*t->mark));
        t->gen = 1;
    }
    t->cur = df;
    const struct u32vec *lists[] = {&df->app.pending, &df->app.done, &df->strm.pending,
                                    &df->strm.done};
    for (size_t k = 0; k < 4; k++)
        for (size_t i = 0; i < lists[k]->n; i++)
            t->mark[lists[k]->v[i]] = t->gen;
}

static void cand_add(struct sk_detect_thread *t, uint32_t id)
{
    if (t->emark[id] == t->egen)
        return;
    t->emark[id] = t->egen;
    (void)u32_push(&t->cands, id);
}

static void cands_begin(struct sk_detect_thread *t)
{
    if (++t->egen == 0) {
        memset(t->emark, 0, (t->d->n_rules ? t->d->n_rules : 1) * sizeof(*t->emark));
        t->egen = 1;
    }
    t->cands.n = 0;
}

/* Adds the rules of class cls in list that are not pending or done (rules without a fast
 * pattern are never pending, so a mark means done). */
static void cands_from_list(struct sk_detect_thread *t, const struct u32vec *list, uint8_t cls)
{
    for (size_t i = 0; i < list->n; i++) {
        uint32_t id = list->v[i];
        if (t->d->rules[id].cls == cls && t->mark[id] != t->gen)
            cand_add(t, id);
    }
}

/* ---- evaluation ---- */

/* The inspection window of a stream instance: its last stream_window bytes. */
static void window(const struct sk_detect *d, const struct sinst *s, const uint8_t **p, size_t *len)
{
    size_t w = s->len < d->cfg.stream_window ? s->len : d->cfg.stream_window;
    *p = s->buf != NULL ? s->buf + (s->len - w) : (const uint8_t *)"";
    *len = w;
}

/* One instance: the detection path, or in reference mode the plain reference matcher. */
static bool instance_matches(struct sk_detect_thread *t, const struct crule *cr, size_t gi,
                             const uint8_t *p, size_t len)
{
    const struct sk_buffer_group *g = &cr->r->groups[gi];
    int dg = cr->b64_data != NULL ? cr->b64_data[gi] : -1;
    const struct sk_buffer_group *data = dg >= 0 ? &cr->r->groups[dg] : NULL;
    if (t->d->cfg.reference) {
        bool res = false;
        return sk_reference_group_b64(g, data, p, len, &res) == 0 && res;
    }
    if (cr->pcre == NULL)
        return sk_match_group_full(t->mc, g, NULL, data, NULL, p, len);
    if (!atomic_load_explicit(&cr->pcre_ready, memory_order_acquire))
        sk_detect__pcre_prepare(t->d, (uint32_t)(cr - t->d->rules));
    return sk_match_group_full(t->mc, g, cr->pcre[gi], data, dg >= 0 ? cr->pcre[dg] : NULL, p, len);
}

static bool group_matches(struct sk_detect_thread *t, const struct sk_detect_flow *df,
                          const struct crule *cr, size_t gi, bool is_orig)
{
    const struct sk_buffer_group *g = &cr->r->groups[gi];
    int b = g->buffer;
    const struct sinst *s = NULL;
    const struct fieldbuf *fb = df->f[b];
    if (b == SK_BUF_BASE64_DATA)
        return true; /* evaluated by the base64_decode that feeds it */
    switch (buffer_kind(b)) {
    case SK_FIELD_STREAM:
        s = stream_of((struct sk_detect_flow *)df, b, is_orig);
        if (s == NULL || (s->total == 0 && !s->open))
            return false;
        const uint8_t *p;
        size_t len;
        window(t->d, s, &p, &len);
        if (cr->r->has_dsize && b == SK_BUF_STREAM && t->pkt_dsize < len) {
            /* as Suricata, a dsize rule inspects the packet: the bytes it just released */
            p += len - t->pkt_dsize;
            len = t->pkt_dsize;
        }
        return instance_matches(t, cr, gi, p, len);
    case SK_FIELD_SINGLE:
    case SK_FIELD_MULTI:
        if (b == SK_FIELD_FILE_NAME && t->file != NULL && cr->r->n_filehash > 0)
            return instance_matches(t, cr, gi,
                                    t->file->name.len ? t->file->name.ptr : (const uint8_t *)"",
                                    t->file->name.len);
        for (size_t i = 0; fb != NULL && i < fb->n; i++)
            if (instance_matches(t, cr, gi, df->arena + fb->v[i].off, fb->v[i].len))
                return true;
        return false;
    case SK_FIELD_NUMBER:
        for (size_t i = 0; fb != NULL && i < fb->nn; i++)
            if (sk_match_number(g, fb->num[i]))
                return true;
        return false;
    case SK_FIELD_FLAG:
        return fb != NULL && fb->flag;
    }
    return false;
}

static struct memo *memo_find(struct dctx *c, uint32_t id)
{
    for (size_t i = 0; i < c->n_memo; i++)
        if (c->memo[i].id == id)
            return &c->memo[i];
    return NULL;
}

static struct memo *memo_put(struct dctx *c, struct memo *m, uint32_t id)
{
    if (m == NULL) {
        if (c->n_memo == c->cap_memo) {
            size_t cap = c->cap_memo ? c->cap_memo * 2 : 8;
            struct memo *p = realloc(c->memo, cap * sizeof(*p));
            if (p == NULL)
                return NULL;
            c->memo = p;
            c->cap_memo = cap;
        }
        m = &c->memo[c->n_memo++];
        m->id = id;
    }
    return m;
}

/* Contents of g (at most 32) that occur nowhere in w[from..wlen), among those in mask. */
static uint32_t absent_contents(const struct sk_buffer_group *g, const uint8_t *w, size_t wlen,
                                size_t from, uint32_t mask)
{
    uint32_t out = 0;
    for (size_t k = 0; k < g->n_matches && k < 32; k++) {
        const struct sk_content *c = &g->matches[k].u.content;
        size_t p = from >= c->len ? from - c->len + 1 : 0;
        if (((mask >> k) & 1u) &&
            sk_match_find(w, wlen, p, c->bytes, c->len, c->nocase) == SIZE_MAX)
            out |= 1u << k;
    }
    return out;
}

/* A stream_mono rule that failed on its instance keeps failing while (a) one of its
 * contents that was absent from the window is still absent from the bytes that arrived
 * since, or (b) none of its contents occurs in those bytes and the old bytes kept their
 * positions (the window has not slid, or the rule has no absolute modifier). Either way
 * the window is not searched again. */
static bool mono_group_matches(struct sk_detect_thread *t, struct sk_detect_flow *df, uint32_t id,
                               bool is_orig)
{
    const struct crule *cr = &t->d->rules[id];
    const struct sk_buffer_group *g = &cr->r->groups[0];
    const struct sinst *s = stream_of(df, g->buffer, is_orig);
    struct dctx *c = cr->cls == RC_APP ? &df->app : &df->strm;
    const uint8_t *w;
    size_t wlen;
    if (s == NULL || (s->total == 0 && !s->open))
        return false;
    window(t->d, s, &w, &wlen);
    bool slid = s->total > wlen;
    struct memo *m = memo_find(c, id);
    if (m != NULL && m->serial == s->serial && m->total <= s->total &&
        s->total - m->total <= wlen) {
        size_t from = wlen - (size_t)(s->total - m->total);
        uint32_t still = m->absent ? absent_contents(g, w, wlen, from, m->absent) : 0;
        if (still != 0 || ((!slid || cr->shift_inv) &&
                           absent_contents(g, w, wlen, from, UINT32_MAX) ==
                               (g->n_matches >= 32 ? UINT32_MAX : (1u << g->n_matches) - 1))) {
            if (still != 0)
                m->absent = still;
            m->total = s->total;
            return false;
        }
    }
    bool ok = group_matches(t, df, cr, 0, is_orig);
    if (!ok && (m = memo_put(c, m, id)) != NULL) {
        m->serial = s->serial;
        m->total = s->total;
        m->absent = absent_contents(g, w, wlen, 0, UINT32_MAX);
    }
    return ok;
}

/* An occ_memo rule: its first content searched only in the window's new bytes. */
static bool occ_group_matches(struct sk_detect_thread *t, struct sk_detect_flow *df, uint32_t id,
                              bool is_orig)
{
    const struct crule *cr = &t->d->rules[id];
    const struct sk_buffer_group *g = &cr->r->groups[0];
    const struct sinst *s = stream_of(df, g->buffer, is_orig);
    struct dctx *c = cr->cls == RC_APP ? &df->app : &df->strm;
    const uint8_t *w;
    size_t wlen;
    if (s == NULL || (s->total == 0 && !s->open))
        return false;
    window(t->d, s, &w, &wlen);
    if (cr->pcre != NULL && !atomic_load_explicit(&cr->pcre_ready, memory_order_acquire))
        sk_detect__pcre_prepare(t->d, id);
    return sk_smemo_match(&c->smemo, id, s->serial, s->total - wlen, t->mc, g,
                          cr->pcre != NULL ? cr->pcre[0] : NULL, w, wlen);
}

static bool rule_matches(struct sk_detect_thread *t, struct sk_detect_flow *df, uint32_t id,
                         const struct trig *tr)
{
    const struct crule *cr = &t->d->rules[id];
    const struct sk_rule *r = cr->r;
    const struct sk_flow *f = tr->f;
    if (r->proto == SK_PROTO_SMTP && !df->smtp_seen)
        return false;
    if (!sk_cond_header(r, f, tr->is_orig) || !sk_cond_flow(r, f, tr->is_orig))
        return false;
    bool trig_ok = tr->anomaly < 0;
    for (size_t i = 0; i < r->n_app_events; i++) {
        int a = r->app_events[i];
        if (a < 0 || a >= SK_ANOMALY_COUNT || !sk_bit_get(df->anomalies, (size_t)a))
            return false;
        trig_ok = trig_ok || a == tr->anomaly;
    }
    if (!trig_ok)
        return false;
    if (r->needs_starttls && !df->starttls)
        return false;
    if (!sk_cond_flowbits(r, df->flowbits, t->d->n_flowbits))
        return false;
    if ((r->has_dsize || r->flags.set) &&
        (!t->pkt_valid || !sk_cond_packet(r, t->pkt_flags, t->pkt_dsize)))
        return false;
    if (r->stream_size.set && !sk_cond_stream_size(r, df->sent[0], df->sent[1]))
        return false;
    if (r->n_filehash > 0 && (tr->file == NULL || !sk_hashlist_rule_matches(r, tr->file)))
        return false;
    if (cr->stream_mono)
        return mono_group_matches(t, df, id, tr->is_orig);
    if (cr->occ_memo)
        return occ_group_matches(t, df, id, tr->is_orig);
    for (size_t g = 0; g < r->n_groups; g++)
        if (!group_matches(t, df, cr, g, tr->is_orig))
            return false;
    return true;
}

static void matched(struct sk_detect_thread *t, struct sk_detect_flow *df, uint32_t id,
                    const struct trig *tr)
{
    const struct crule *cr = &t->d->rules[id];
    const struct sk_rule *r = cr->r;
    struct dctx *c = cr->cls == RC_APP ? &df->app : &df->strm;
    sk_cond_flowbits_apply(r, df->flowbits, t->d->n_flowbits);
    u32_remove(&c->pending, id);
    /* As Suricata, a rule on a line frame alerts once per frame (each line is inspected
     * once): it stays eligible for the next line of the transaction */
    if (r->frame != SK_FRAME_COMMAND_LINE + 1 && r->frame != SK_FRAME_RESPONSE_LINE + 1)
        (void)u32_push(&c->done, id);
    t->mark[id] = t->gen;
    if (r->action == SK_ACTION_PASS) {
        df->passed = true;
        return;
    }
    if (r->noalert)
        return;
    for (size_t i = 0; i < r->n_flowbits; i++)
        if (r->flowbits[i].cmd == SK_FLOWBIT_NOALERT)
            return;
    const struct sk_flow *f = tr->f;
    struct sk_thresh_key k = {
        .gid = r->gid,
        .sid = r->sid,
        .src = tr->is_orig ? &f->orig_h : &f->resp_h,
        .dst = tr->is_orig ? &f->resp_h : &f->orig_h,
        .flow_id = f->flow_id,
    };
    k.is_filter = true;
    bool ok = sk_thresh_check(t->thresh, &r->detection_filter, &k, tr->ts_us);
    k.is_filter = false;
    ok = ok && sk_thresh_check(t->thresh, &r->threshold, &k, tr->ts_us);
    if (!ok) {
        t->st.suppressed++;
        return;
    }
    t->st.alerts++;
    if (t->on_alert == NULL)
        return;
    struct sk_alert a = {
        .rule = r,
        .flow = f,
        .ts_us = tr->ts_us,
        .tx_id = cr->cls == RC_APP ? df->app.tx_id : SK_TX_NONE,
        .to_server = tr->is_orig,
    };
    /* A frame rule's alert names the frame it matched in: the one of the event inspected */
    if (r->frame && tr->frame && (int)tr->frame->type + 1 == r->frame) {
        a.has_frame = true;
        a.frame.frame = *tr->frame;
        a.frame.frame.bytes.ptr = NULL;
        a.frame.tx_id = tr->tx_id;
        size_t n = tr->frame->bytes.len < SK_FRAME_HEAD ? tr->frame->bytes.len : SK_FRAME_HEAD;
        if (n)
            memcpy(a.frame.head, tr->frame->bytes.ptr, n);
    }
    t->on_alert(t->ctx, &a);
}

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* One check of rule id, timed and counted (--rule-profile). */
static void profiled_check(struct sk_detect_thread *t, struct sk_detect_flow *df, uint32_t id,
                           const struct trig *tr)
{
    struct sk_rule_prof *p = &t->prof[id];
    uint64_t t0 = mono_ns();
    bool m = rule_matches(t, df, id, tr);
    if (m)
        matched(t, df, id, tr);
    uint64_t ns = mono_ns() - t0;
    p->checks++;
    p->ns_total += ns;
    if (ns > p->ns_max)
        p->ns_max = ns;
    if (m) {
        p->matches++;
        p->ns_match += ns;
    }
}

int sk_detect_thread_profile(struct sk_detect_thread *t)
{
    if (!t->prof && !(t->prof = calloc(t->d->n_rules ? t->d->n_rules : 1, sizeof(*t->prof))))
        return SK_E_NOMEM;
    return 0;
}

const struct sk_rule_prof *sk_detect_thread_profile_get(const struct sk_detect_thread *t, size_t *n)
{
    *n = t->prof ? t->d->n_rules : 0;
    return t->prof;
}

bool sk_detect_rule_has_fp(const struct sk_detect *d, size_t i)
{
    return i < d->n_rules && d->rules[i].has_fp;
}

const struct sk_rule *sk_detect_rule(const struct sk_detect *d, size_t i)
{
    return i < d->n_rules ? d->rules[i].r : NULL;
}

/* Evaluates the gathered candidates in rule order. */
static void run_candidates(struct sk_detect_thread *t, struct sk_detect_flow *df,
                           const struct trig *tr)
{
    if (t->cands.n > 1)
        qsort(t->cands.v, t->cands.n, sizeof(*t->cands.v), cmp_u32);
    for (size_t i = 0; i < t->cands.n && !df->passed; i++) {
        uint32_t id = t->cands.v[i];
        t->st.inspections++;
        if (t->prof) {
            profiled_check(t, df, id, tr);
            continue;
        }
        if (rule_matches(t, df, id, tr))
            matched(t, df, id, tr);
    }
}

static bool u32_has(const struct u32vec *v, uint32_t x)
{
    for (size_t i = 0; i < v->n; i++)
        if (v->v[i] == x)
            return true;
    return false;
}

/* shrike explain: the explained rule's conditions on what this inspection of buffer b sees,
 * judged by rules/explain.c, handed to the thread's explain callback. */
static void explain_here(struct sk_detect_thread *t, struct sk_detect_flow *df, int b,
                         const struct trig *tr)
{
    uint32_t id = t->explain_id;
    const struct crule *cr = &t->d->rules[id];
    const struct sk_rule *r = cr->r;
    const struct dctx *c = cr->cls == RC_APP ? &df->app : &df->strm;
    struct sk_explain_conds ec = {
        .candidate = t->emark[id] == t->egen,
        .has_fp = cr->has_fp,
        .smtp_seen = df->smtp_seen,
        .header = sk_cond_header(r, tr->f, tr->is_orig),
        .flow = sk_cond_flow(r, tr->f, tr->is_orig),
        .app_events = true,
        .starttls = !r->needs_starttls || df->starttls,
        .flowbits = sk_cond_flowbits(r, df->flowbits, t->d->n_flowbits),
    };
    for (size_t i = 0; i < r->n_app_events; i++) {
        int a = r->app_events[i];
        ec.app_events =
            ec.app_events && a >= 0 && a < SK_ANOMALY_COUNT && sk_bit_get(df->anomalies, (size_t)a);
    }
    struct sk_explain_group *groups = calloc(r->n_groups ? r->n_groups : 1, sizeof(*groups));
    const uint8_t **ps = NULL;
    size_t *lens = NULL, n_all = 0;
    for (size_t gi = 0; gi < r->n_groups; gi++) {
        const struct fieldbuf *fb = df->f[r->groups[gi].buffer];
        n_all += fb ? fb->n : 0;
    }
    ps = calloc(n_all + r->n_groups + 1, sizeof(*ps));
    lens = calloc(n_all + r->n_groups + 1, sizeof(*lens));
    char *text = NULL;
    size_t text_len = 0;
    FILE *out = open_memstream(&text, &text_len);
    if (!groups || !ps || !lens || !out)
        goto out_free;
    size_t used = 0;
    for (size_t gi = 0; gi < r->n_groups; gi++) {
        int gb = r->groups[gi].buffer;
        const struct fieldbuf *fb = gb < SK_BUF_COUNT ? df->f[gb] : NULL;
        struct sk_explain_group *eg = &groups[gi];
        eg->p = ps + used;
        eg->len = lens + used;
        switch (buffer_kind(gb)) {
        case SK_FIELD_STREAM: {
            const struct sinst *si = stream_of(df, gb, tr->is_orig);
            eg->is_stream = true;
            if (si != NULL && (si->total > 0 || si->open)) {
                window(t->d, si, &ps[used], &lens[used]);
                used++;
                eg->n = 1;
            }
            break;
        }
        case SK_FIELD_SINGLE:
        case SK_FIELD_MULTI:
            for (size_t i = 0; fb != NULL && i < fb->n; i++) {
                ps[used] = df->arena + fb->v[i].off;
                lens[used++] = fb->v[i].len;
                eg->n++;
            }
            break;
        case SK_FIELD_NUMBER:
            eg->p = NULL;
            eg->len = NULL;
            eg->num = fb != NULL ? fb->num : (const uint64_t *)"";
            eg->n = fb != NULL ? fb->nn : 0;
            break;
        case SK_FIELD_FLAG:
            eg->p = NULL;
            eg->len = NULL;
            eg->flag = fb != NULL && fb->flag;
            break;
        }
    }
    bool holds = false;
    if (u32_has(&c->done, id))
        fputs("  already matched in this transaction or stream: not checked again\n", out);
    if (sk_explain_rule(r, &ec, groups, out, &holds) < 0)
        goto out_free;
    fclose(out);
    out = NULL;
    struct sk_explain_report rep = {
        .flow = tr->f,
        .tx_id = cr->cls == RC_APP ? df->app.tx_id : SK_TX_NONE,
        .to_server = tr->is_orig,
        .buffer = b,
        .ts_us = tr->ts_us,
        .candidate = ec.candidate,
        .holds = holds,
        .text = text,
    };
    t->explain_fn(t->explain_ctx, &rep);
out_free:
    if (out)
        fclose(out);
    free(text);
    free(lens);
    free(ps);
    free(groups);
}

int sk_detect_thread_explain(struct sk_detect_thread *t, uint32_t sid, sk_explain_fn fn, void *ctx)
{
    for (size_t i = 0; i < t->d->n_rules; i++) {
        if (t->d->rules[i].r->sid == sid && t->d->rules[i].r->gid == 1) {
            t->explain_id = (uint32_t)i;
            t->explain_fn = fn;
            t->explain_ctx = ctx;
            return 0;
        }
    }
    return SK_E_INVAL;
}

/* Candidates after new data in buffer b: pending rules of the context that use b, rules
 * of b without fast pattern, and (every) the rules without any trigger. */
static void inspect_buffer(struct sk_detect_thread *t, struct sk_detect_flow *df, int b,
                           const struct trig *tr)
{
    uint8_t cls = b == SK_BUF_STREAM ? RC_STREAM : RC_APP;
    struct dctx *c = cls == RC_APP ? &df->app : &df->strm;
    cands_begin(t);
    for (size_t i = 0; i < c->pending.n; i++)
        if ((t->d->rules[c->pending.v[i]].bufmask >> b) & 1u)
            cand_add(t, c->pending.v[i]);
    cands_from_list(t, &t->d->nofp[b], cls);
    cands_from_list(t, cls == RC_APP ? &t->d->every_app : &t->d->every_stream, cls);
    if (t->explain_fn && ((t->d->rules[t->explain_id].bufmask >> b) & 1u))
        explain_here(t, df, b, tr);
    run_candidates(t, df, tr);
}

/* ---- transaction data ---- */

static void count_scanned(struct sk_detect_thread *t, int b, size_t n)
{
    t->st.bytes_scanned += n;
    t->st.buf_scanned[b] += n;
}

/* A new transaction: its buffers start empty, except the session's HELO/EHLO argument,
 * which every transaction of the session inspects (as Suricata's smtp.helo). */
static void tx_switch(struct sk_detect_thread *t, struct sk_detect_flow *df, uint64_t tx_id)
{
    for (size_t i = 0; i < STREAM_SLOTS; i++) {
        if (df->s[i].open)
            sinst_close(&df->s[i], t->scratch, on_hit, t);
        df->s[i].total = 0;
        sk_detect__window_drop(df, &df->s[i]);
    }
    size_t kept = 0;
    struct fieldbuf *helo = df->f[SK_FIELD_SMTP_HELO];
    for (size_t i = 0; helo != NULL && i < helo->n; i++) {
        memmove(df->arena + kept, df->arena + helo->v[i].off, helo->v[i].len);
        helo->v[i].off = kept;
        kept += helo->v[i].len;
    }
    for (int b = 0; b < SK_BUF_COUNT; b++)
        if (b != SK_FIELD_SMTP_HELO)
            fieldbuf_clear(df->f[b]);
    df->arena_len = kept;
    if (df->arena_cap > ARENA_KEEP && kept <= ARENA_KEEP) {
        /* a large transaction gives its memory back; a usual one keeps the arena */
        uint8_t *a = realloc(df->arena, ARENA_KEEP);
        if (a != NULL) {
            df->arena = a;
            df->arena_cap = ARENA_KEEP;
        }
    }
    ctx_reset(&df->app, tx_id);
}

/* Keeps one value of a single or multi buffer in the flow's arena (no allocation per
 * value once the arena has grown). Returns false when the transaction's limits are
 * reached (the value is then not inspected). */
static bool store_value(struct sk_detect_flow *df, int b, const uint8_t *p, size_t len)
{
    struct fieldbuf *fb = fieldbuf_get(df, b, true);
    if (fb == NULL)
        return false;
    if (buffer_kind(b) == SK_FIELD_SINGLE && fb->n > 0) {
        /* the old value's bytes are reused when they are the arena's last */
        if (fb->v[0].off + fb->v[0].len == df->arena_len)
            df->arena_len = fb->v[0].off;
        fb->n = 0;
    }
    if (fb->n >= TX_MAX_INSTANCES || df->arena_len + len > TX_MAX_BYTES)
        return false;
    if (fb->n == fb->cap) {
        size_t cap = fb->cap ? fb->cap * 2 : 4;
        struct inst *v = realloc(fb->v, cap * sizeof(*v));
        if (v == NULL)
            return false;
        fb->v = v;
        fb->cap = cap;
    }
    if (df->arena_len + len > df->arena_cap) {
        size_t cap = df->arena_cap ? df->arena_cap : 512;
        while (cap < df->arena_len + len)
            cap *= 2;
        uint8_t *a = realloc(df->arena, cap);
        if (a == NULL)
            return false;
        df->arena = a;
        df->arena_cap = cap;
    }
    if (len > 0)
        memcpy(df->arena + df->arena_len, p, len);
    fb->v[fb->n++] = (struct inst){df->arena_len, len};
    df->arena_len += len;
    return true;
}

static bool store_number(struct sk_detect_flow *df, int b, uint64_t v)
{
    struct fieldbuf *fb = fieldbuf_get(df, b, true);
    if (fb == NULL)
        return false;
    if (fb->nn >= TX_MAX_INSTANCES)
        return false;
    if (fb->nn == fb->ncap) {
        size_t cap = fb->ncap ? fb->ncap * 2 : 8;
        uint64_t *p = realloc(fb->num, cap * sizeof(*p));
        if (p == NULL)
            return false;
        fb->num = p;
        fb->ncap = cap;
    }
    fb->num[fb->nn++] = v;
    return true;
}

/* A new value of a single or multi buffer: prefilter it (each transform chain of the
 * buffer has its own database; a database whose patterns are all anchored scans only the
 * bytes they can reach), then inspect. */
static void on_value(struct sk_detect_thread *t, struct sk_detect_flow *df, int b, const uint8_t *p,
                     size_t len, const struct trig *tr)
{
    if (!store_value(df, b, p, len))
        return;
    begin(t, df);
    const struct u32vec *lists = &t->d->block_lists[b];
    for (size_t i = 0; i < lists->n; i++) {
        const struct plist *l = &t->d->lists[lists->v[i]];
        const uint8_t *x = p;
        size_t xlen = len;
        if (l->n_transforms > 0 &&
            sk_xform_apply(&t->xf, l->transforms, l->n_transforms, p, len, &x, &xlen) != 0)
            continue;
        if (xlen > l->reach)
            xlen = l->reach;
        if (xlen > 0) {
            (void)sk_pf_scan(l->db, t->scratch, x, xlen, on_hit, t);
            count_scanned(t, b, xlen);
        }
    }
    inspect_buffer(t, df, b, tr);
}

/* Appends to the window of s, keeping at least its last stream_window bytes. The buffer
 * holds up to twice the window, so the kept bytes move once per window's worth of input;
 * it comes from the thread's pool, whose pages are already mapped. */
static void window_append(struct sk_detect_flow *df, struct sinst *s, size_t w, const uint8_t *p,
                          size_t len)
{
    struct sk_detect_thread *t = df->t;
    if (len == 0)
        return;
    if (len >= w) {
        p += len - w;
        len = w;
    }
    if (s->len + len > 2 * w) {
        size_t keep = w - len < s->len ? w - len : s->len;
        memmove(s->buf, s->buf + s->len - keep, keep);
        s->len = keep;
    }
    if (s->buf == NULL && t->n_wpool > 0) {
        t->n_wpool--;
        s->buf = t->wpool[t->n_wpool];
        s->cap = t->wpool_cap[t->n_wpool];
        df->mem += s->cap;
    }
    if (s->len + len > s->cap) {
        size_t cap = s->cap ? s->cap : 4096;
        while (cap < s->len + len)
            cap *= 2;
        if (cap > 2 * w)
            cap = 2 * w;
        uint8_t *nb = realloc(s->buf, cap);
        if (nb == NULL)
            return;
        df->mem += cap - s->cap;
        s->buf = nb;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, p, len);
    s->len += len;
}

static void sinst_begin(struct sk_detect_thread *t, struct sinst *s, int b, uint32_t serial)
{
    if (s->open)
        sinst_close(s, t->scratch, on_hit, t);
    s->len = 0;
    s->total = 0;
    s->open = true;
    s->buffer = b;
    s->serial = serial;
}

/* The flow's Hyperscan stream for s on db: opened on the first byte s ever scans, then
 * reset and reused by the flow's later instances. Detection allocates per-flow state in
 * sk_detect_flow_new(), here (Hyperscan stream state), fieldbuf_get() and store_value()
 * (the transaction's values) and window_append() (stream windows); each adds what it
 * takes to df->mem or to what sk_detect_flow_memuse() sums. */
static struct sk_pf_stream *flow_stream(struct sk_detect_flow *df, struct sinst *s,
                                        const struct sk_pf_db *db)
{
    if (s->hs != NULL && sk_pf_stream_db(s->hs) != db) {
        df->mem -= sk_pf_db_stream_size(sk_pf_stream_db(s->hs));
        sk_pf_stream_close(s->hs, NULL, NULL, NULL);
        s->hs = NULL;
        s->hs_live = false;
    }
    if (s->hs == NULL && sk_pf_stream_open(db, &s->hs) == 0)
        df->mem += sk_pf_db_stream_size(db);
    return s->hs;
}

/* A chunk of a stream instance: streaming prefilter, window, inspection. */
static void on_chunk(struct sk_detect_thread *t, struct sk_detect_flow *df, struct sinst *s, int b,
                     const uint8_t *p, size_t len, const struct trig *tr)
{
    begin(t, df);
    int li = t->d->stream_list[b][tr->is_orig ? 0 : 1];
    struct sk_pf_stream *hs = li >= 0 && len > 0 ? flow_stream(df, s, t->d->lists[li].db) : NULL;
    if (hs != NULL) {
        (void)sk_pf_stream_scan(hs, t->scratch, p, len, on_hit, t);
        s->hs_live = true;
        count_scanned(t, b, len);
    }
    window_append(df, s, t->d->cfg.stream_window, p, len);
    s->total += len;
    inspect_buffer(t, df, b, tr);
}

static void on_field(struct sk_detect_thread *t, struct sk_detect_flow *df,
                     const struct sk_event *ev, const struct trig *tr)
{
    int b = (int)ev->u.field.id;
    if (b < 0 || b >= SK_FIELD_COUNT)
        return;
    if (b == SK_FIELD_SMTP_STARTTLS)
        df->starttls = true;
    /* frame:smtp.command_line: the line as sent, from the frame its smtp.command_line has */
    if (b == SK_FIELD_SMTP_COMMAND_LINE && ev->frame && t->d->dirs[SK_BUF_SMTP_COMMAND_FRAME])
        on_value(t, df, SK_BUF_SMTP_COMMAND_FRAME, ev->frame->bytes.ptr, ev->frame->bytes.len, tr);
    if (t->d->dirs[b] == 0)
        return; /* no rule uses the buffer: nothing to keep, scan or inspect */
    const struct sk_str *v = &ev->u.field.value;
    switch (buffer_kind(b)) {
    case SK_FIELD_SINGLE:
    case SK_FIELD_MULTI:
        on_value(t, df, b, v->ptr, v->len, tr);
        break;
    case SK_FIELD_NUMBER:
        if (store_number(df, b, ev->u.field.number)) {
            begin(t, df);
            inspect_buffer(t, df, b, tr);
        }
        break;
    case SK_FIELD_FLAG:
        if (fieldbuf_get(df, b, true) != NULL)
            df->f[b]->flag = true;
        begin(t, df);
        inspect_buffer(t, df, b, tr);
        break;
    case SK_FIELD_STREAM: {
        struct sinst *s = stream_of(df, b, ev->is_orig);
        if (s == NULL)
            break;
        if ((ev->u.field.flags & SK_FIELD_F_BEGIN) || !s->open)
            sinst_begin(t, s, b, ++df->next_serial);
        on_chunk(t, df, s, b, v->ptr, v->len, tr);
        if (ev->u.field.flags & SK_FIELD_F_END) {
            sinst_close(s, t->scratch, on_hit, t);
            if (!t->d->shared[b])
                sk_detect__window_drop(df, s); /* only rules of this buffer alone read it: done */
        }
        break;
    }
    }
}

/* A reply line for frame:smtp.response_line; a legacy rule's SMTP line: "VERB arg" for a
 * command, "CODE msg" for a reply. */
static void on_line(struct sk_detect_thread *t, struct sk_detect_flow *df,
                    const struct sk_event *ev, const struct trig *tr)
{
    char code[8];
    const struct sk_str *a, *b;
    struct sk_str c;
    const char *sep;
    if (ev->type == SK_EV_SMTP_REPLY && ev->frame && t->d->dirs[SK_BUF_SMTP_RESPONSE_LINE] != 0)
        /* frame:smtp.response_line: the reply line as sent */
        on_value(t, df, SK_BUF_SMTP_RESPONSE_LINE, ev->frame->bytes.ptr, ev->frame->bytes.len, tr);
    if (t->d->dirs[SK_BUF_SMTP_LINE] == 0)
        return;
    if (ev->type == SK_EV_SMTP_REQUEST) {
        a = &ev->u.request.command;
        b = &ev->u.request.arg;
        sep = b->len > 0 ? " " : "";
    } else {
        unsigned v = (unsigned)ev->u.reply.code % 1000u; /* "%03u" without snprintf() */
        code[0] = (char)('0' + v / 100);
        code[1] = (char)('0' + v / 10 % 10);
        code[2] = (char)('0' + v % 10);
        code[3] = '\0';
        c = (struct sk_str){(const uint8_t *)code, 3};
        a = &c;
        b = &ev->u.reply.msg;
        sep = ev->u.reply.cont_resp ? "-" : " ";
    }
    size_t need = a->len + 1 + b->len;
    if (need > t->line_cap) {
        uint8_t *p = realloc(t->line, need);
        if (p == NULL)
            return;
        t->line = p;
        t->line_cap = need;
    }
    size_t n = 0;
    if (a->len)
        memcpy(t->line, a->ptr, a->len);
    n += a->len;
    memcpy(t->line + n, sep, strlen(sep));
    n += strlen(sep);
    if (b->len)
        memcpy(t->line + n, b->ptr, b->len);
    n += b->len;
    on_value(t, df, SK_BUF_SMTP_LINE, t->line, n, tr);
}

static void on_anomaly(struct sk_detect_thread *t, struct sk_detect_flow *df, int a,
                       struct trig *tr)
{
    if (a < 0 || a >= SK_ANOMALY_COUNT)
        return;
    sk_bit_put(df->anomalies, (size_t)a, true);
    tr->anomaly = a;
    begin(t, df);
    cands_begin(t);
    cands_from_list(t, &t->d->anomaly_rules, RC_APP);
    run_candidates(t, df, tr);
}

void sk_detect_event(struct sk_detect_thread *t, struct sk_detect_flow *df, const struct sk_flow *f,
                     const struct sk_event *ev, uint64_t ts_us)
{
    if (df->passed)
        return;
    df->smtp_seen = true;
    switch (ev->type) {
    case SK_EV_SMTP_DATA:       /* the message bytes arrive as smtp.data field events */
    case SK_EV_SMTP_UNEXPECTED: /* and these as smtp.unexpected */
    case SK_EV_TX_OPEN:
    case SK_EV_TYPE_COUNT:
        return;
    case SK_EV_FILE:
        if (t->d->file_rules.n == 0)
            return;
        break;
    default:
        break;
    }
    uint64_t tx = ev->tx_id;
    if ((tx != SK_TX_NONE && tx != df->app.tx_id) ||
        (tx == SK_TX_NONE && df->app.closed && df->app.tx_id != SK_TX_NONE)) {
        /* closing a stream may report hits: they belong to this flow */
        begin(t, df);
        tx_switch(t, df, tx);
    }
    struct trig tr = {.f = f,
                      .is_orig = ev->is_orig,
                      .ts_us = ts_us,
                      .anomaly = -1,
                      .frame = ev->frame,
                      .tx_id = ev->tx_id};
    switch (ev->type) {
    case SK_EV_SMTP_REQUEST:
    case SK_EV_SMTP_REPLY:
        on_line(t, df, ev, &tr);
        break;
    case SK_EV_FIELD:
        on_field(t, df, ev, &tr);
        break;
    case SK_EV_SMTP_STARTTLS:
        df->starttls = true;
        if (fieldbuf_get(df, SK_FIELD_SMTP_STARTTLS, true) != NULL)
            df->f[SK_FIELD_SMTP_STARTTLS]->flag = true;
        begin(t, df);
        cands_begin(t);
        cands_from_list(t, &t->d->starttls_rules, RC_APP);
        cands_from_list(t, &t->d->nofp[SK_FIELD_SMTP_STARTTLS], RC_APP);
        run_candidates(t, df, &tr);
        break;
    case SK_EV_ANOMALY:
        on_anomaly(t, df, (int)ev->u.anomaly.id, &tr);
        break;
    case SK_EV_FILE:
        /* an SMTP file comes from the client, whatever is_orig says (meaningless here) */
        tr.is_orig = true;
        tr.file = &ev->u.file;
        t->file = tr.file;
        begin(t, df);
        cands_begin(t);
        cands_from_list(t, &t->d->file_rules, RC_APP);
        run_candidates(t, df, &tr);
        t->file = NULL;
        break;
    case SK_EV_TX_CLOSE:
        begin(t, df);
        for (size_t i = 0; i < STREAM_SLOTS; i++)
            if (df->s[i].open)
                sinst_close(&df->s[i], t->scratch, on_hit, t);
        df->app.closed = true;
        break;
    default: /* returned above */
        break;
    }
    t->cur = NULL;
}

void sk_detect_stream(struct sk_detect_thread *t, struct sk_detect_flow *df,
                      const struct sk_flow *f, bool is_orig, const uint8_t *buf, size_t len,
                      uint64_t ts_us)
{
    df->sent[is_orig ? 0 : 1] += len;
    if (df->passed || len == 0 ||
        (t->d->dirs[SK_BUF_STREAM] & (is_orig ? DIR_TO_SERVER : DIR_TO_CLIENT)) == 0)
        return; /* no rule inspects the stream in this direction */
    struct sinst *s = &df->dir[is_orig ? 0 : 1];
    if (!s->open)
        sinst_begin(t, s, SK_BUF_STREAM, ++df->next_serial);
    struct trig tr = {.f = f, .is_orig = is_orig, .ts_us = ts_us, .anomaly = -1};
    on_chunk(t, df, s, SK_BUF_STREAM, buf, len, &tr);
    t->cur = NULL;
}

void sk_detect_thread_packet(struct sk_detect_thread *t, bool valid, uint8_t tcp_flags,
                             size_t payload_len)
{
    t->pkt_valid = valid;
    t->pkt_flags = tcp_flags;
    t->pkt_dsize = payload_len;
}

void sk_detect_flow_end(struct sk_detect_thread *t, struct sk_detect_flow *df,
                        const struct sk_flow *f, uint64_t ts_us)
{
    t->cur = df;
    begin(t, df);
    for (size_t i = 0; i < STREAM_SLOTS; i++)
        if (df->s[i].open)
            sinst_close(&df->s[i], t->scratch, on_hit, t);
    for (int i = 0; i < 2; i++)
        if (df->dir[i].open)
            sinst_close(&df->dir[i], t->scratch, on_hit, t);
    t->cur = NULL;
}
