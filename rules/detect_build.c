/* SPDX-License-Identifier: GPL-2.0-only */
/* Compiling a rule set for detection: each rule's confirmation data, the prefilter lists
 * (one Hyperscan database per buffer, transform chain and direction) and the rules every
 * event or stream must see. */
#include <stdio.h>

#include "engine/log.h"
#include "rules/conditions.h"
#include "rules/detect_int.h"
#include "rules/hashlist.h"
#include "rules/reference.h"

/* ---- build ---- */

static void crule_release(struct crule *cr)
{
    free(cr->b64_data);
    if (cr->pcre == NULL)
        return;
    for (size_t g = 0; g < cr->r->n_groups; g++) {
        if (cr->pcre[g] == NULL)
            continue;
        for (size_t m = 0; m < cr->r->groups[g].n_matches; m++)
            sk_match_pcre_free(cr->pcre[g][m]);
        free(cr->pcre[g]);
    }
    free(cr->pcre);
}

unsigned sk_detect_file_hashes(const struct sk_detect *d)
{
    return d != NULL ? d->file_hashes : 0;
}

bool sk_detect_uses_buffer(const struct sk_detect *d, int buffer)
{
    if (d == NULL || buffer < 0 || buffer >= SK_BUF_COUNT)
        return false;
    for (size_t i = 0; i < d->n_rules; i++)
        if ((d->rules[i].bufmask >> buffer) & 1u)
            return true;
    return false;
}

void sk_detect_free(struct sk_detect *d)
{
    if (d == NULL)
        return;
    for (size_t i = 0; i < d->n_rules; i++)
        crule_release(&d->rules[i]);
    free(d->rules);
    for (size_t i = 0; i < d->n_lists; i++) {
        sk_pf_db_free(d->lists[i].db);
        free(d->lists[i].pats);
    }
    free(d->lists);
    for (int b = 0; b < SK_BUF_COUNT; b++) {
        u32_release(&d->nofp[b]);
        u32_release(&d->block_lists[b]);
    }
    u32_release(&d->every_app);
    u32_release(&d->every_stream);
    u32_release(&d->anomaly_rules);
    u32_release(&d->starttls_rules);
    u32_release(&d->file_rules);
    if (d->pcre_lock != NULL)
        pthread_mutex_destroy(d->pcre_lock);
    free(d->pcre_lock);
    free(d);
}

/* Compiles the rule's pcres and checks its buffers. A rule that fails is disabled with a
 * warning; only allocation failures are errors. */
static int crule_init(struct crule *cr, const struct sk_rule *r, bool reference)
{
    char err[256];
    cr->r = r;
    if (r == NULL) {
        cr->disabled = true;
        return 0;
    }
    for (size_t g = 0; g < r->n_groups; g++) {
        int b = r->groups[g].buffer;
        if (b < 0 || b >= SK_BUF_COUNT) {
            sk_warn("sid %u: buffer id %d out of range, rule disabled", r->sid, b);
            cr->disabled = true;
            return 0;
        }
        cr->bufmask |= 1ull << b;
    }
    if (r->n_groups == 0)
        return 0;
    const struct sk_buffer_group *g0 = &r->groups[0];
    cr->stream_mono = r->n_groups == 1 && g0->n_transforms == 0 &&
                      buffer_kind(g0->buffer) == SK_FIELD_STREAM && g0->n_matches <= 32;
    for (size_t m = 0; m < g0->n_matches; m++) {
        const struct sk_match *mt = &g0->matches[m];
        if (mt->kind != SK_MATCH_CONTENT || mt->u.content.negated || mt->u.content.endswith ||
            mt->u.content.len == 0)
            cr->stream_mono = false;
    }
    if (reference || r->has_dsize)
        cr->stream_mono = false; /* the memo searches with sk_match_find: not in reference;
                                  * a dsize rule sees only the packet's bytes */
    cr->shift_inv = cr->stream_mono;
    /* stream_mono's memo skips the window altogether; this one still confirms */
    cr->occ_memo = !reference && !cr->stream_mono && !r->has_dsize && r->n_groups == 1 &&
                   buffer_kind(g0->buffer) == SK_FIELD_STREAM && sk_smemo_eligible(g0);
    for (size_t m = 0; m < g0->n_matches && cr->shift_inv; m++) {
        const struct sk_content *c = &g0->matches[m].u.content;
        if (c->offset != SK_MOD_UNSET || c->depth != SK_MOD_UNSET || c->startswith)
            cr->shift_inv = false;
    }
    for (size_t g = 0; g < r->n_groups; g++) {
        const struct sk_buffer_group *data = sk_reference_data_group(r, g);
        if (data == NULL)
            continue;
        if (cr->b64_data == NULL) {
            if ((cr->b64_data = malloc(r->n_groups * sizeof(*cr->b64_data))) == NULL)
                return SK_E_NOMEM;
            for (size_t k = 0; k < r->n_groups; k++)
                cr->b64_data[k] = -1;
        }
        cr->b64_data[g] = (int)(data - r->groups);
    }
    /* pcres are compiled and JITed on the rule's first confirmation (pcre_prepare), so a
     * cached rule set starts without compiling the thousands it holds; the parser has
     * already checked that each compiles */
    for (size_t g = 0; g < r->n_groups; g++) {
        const struct sk_buffer_group *grp = &r->groups[g];
        for (size_t m = 0; m < grp->n_matches; m++) {
            if (grp->matches[m].kind != SK_MATCH_PCRE)
                continue;
            if (cr->pcre == NULL && (cr->pcre = calloc(r->n_groups, sizeof(*cr->pcre))) == NULL)
                return SK_E_NOMEM;
            if (cr->pcre[g] == NULL &&
                (cr->pcre[g] = calloc(grp->n_matches, sizeof(*cr->pcre[g]))) == NULL)
                return SK_E_NOMEM;
            if (grp->matches[m].u.pcre.code != NULL)
                continue;
            void *code = NULL;
            if (sk_match_pcre_compile(&grp->matches[m].u.pcre, &code, err, sizeof(err)) != 0) {
                sk_warn("sid %u: %s, rule disabled", r->sid, err);
                cr->disabled = true;
            }
            sk_match_pcre_free(code);
        }
    }
    return 0;
}

/* Compiles the pcres of rule id once, whichever worker confirms it first. A pcre that
 * fails to compile here (out of memory) stays NULL and never matches. */
void sk_detect__pcre_prepare(const struct sk_detect *d, uint32_t id)
{
    struct crule *cr = &d->rules[id];
    char err[256];
    pthread_mutex_lock(d->pcre_lock);
    if (!atomic_load_explicit(&cr->pcre_ready, memory_order_relaxed)) {
        const struct sk_rule *r = cr->r;
        for (size_t g = 0; g < r->n_groups; g++)
            for (size_t m = 0; cr->pcre[g] != NULL && m < r->groups[g].n_matches; m++)
                if (r->groups[g].matches[m].kind == SK_MATCH_PCRE &&
                    sk_match_pcre_compile(&r->groups[g].matches[m].u.pcre, &cr->pcre[g][m], err,
                                          sizeof(err)) != 0)
                    sk_warn("sid %u: %s", r->sid, err);
        atomic_store_explicit(&cr->pcre_ready, true, memory_order_release);
    }
    pthread_mutex_unlock(d->pcre_lock);
}

/* The directions of the data r can match on: its flow:to_server / to_client. */
static uint8_t rule_dirs(const struct sk_rule *r)
{
    unsigned f = r->flow_flags & (SK_FLOW_TO_SERVER | SK_FLOW_TO_CLIENT);
    if (f == SK_FLOW_TO_SERVER)
        return DIR_TO_SERVER;
    if (f == SK_FLOW_TO_CLIENT)
        return DIR_TO_CLIENT;
    return DIR_BOTH;
}

/* How far into an instance the fast pattern can end: a content anchored by startswith or
 * by an absolute depth (from its offset) cannot be found past it. SIZE_MAX: anywhere. */
static size_t fp_reach(const struct sk_rule *r, const struct sk_fast_pattern *fp)
{
    if (fp->regex != NULL)
        return SIZE_MAX;
    const struct sk_content *c = &r->groups[fp->group].matches[fp->match].u.content;
    if (c->distance != SK_MOD_UNSET || c->within != SK_MOD_UNSET)
        return SIZE_MAX;
    if (c->startswith)
        return c->len;
    if (c->depth == SK_MOD_UNSET || c->depth < 0)
        return SIZE_MAX;
    size_t off = c->offset != SK_MOD_UNSET && c->offset > 0 ? (size_t)c->offset : 0;
    return off + (size_t)c->depth;
}

static bool same_chain(const struct plist *l, const struct sk_buffer_group *g, uint8_t dirs)
{
    return l->buffer == g->buffer && l->dirs == dirs && l->n_transforms == g->n_transforms &&
           memcmp(l->transforms, g->transforms, g->n_transforms * sizeof(*g->transforms)) == 0;
}

static int add_pattern(struct sk_detect *d, const struct sk_buffer_group *g,
                       const struct sk_fast_pattern *fp, uint32_t id, uint8_t dirs, size_t reach)
{
    struct plist *l = NULL;
    for (size_t i = 0; i < d->n_lists && l == NULL; i++)
        if (same_chain(&d->lists[i], g, dirs))
            l = &d->lists[i];
    if (l == NULL) {
        struct plist *p = realloc(d->lists, (d->n_lists + 1) * sizeof(*p));
        if (p == NULL)
            return SK_E_NOMEM;
        d->lists = p;
        l = &d->lists[d->n_lists++];
        memset(l, 0, sizeof(*l));
        l->buffer = g->buffer;
        l->n_transforms = g->n_transforms;
        l->transforms = g->transforms;
        l->stream = buffer_kind(g->buffer) == SK_FIELD_STREAM;
        l->dirs = dirs;
        l->reach = 0;
    }
    if (reach > l->reach)
        l->reach = reach;
    if (l->n_pats == l->cap_pats) {
        size_t cap = l->cap_pats ? l->cap_pats * 2 : 16;
        struct sk_pf_pattern *p = realloc(l->pats, cap * sizeof(*p));
        if (p == NULL)
            return SK_E_NOMEM;
        l->pats = p;
        l->cap_pats = cap;
    }
    l->pats[l->n_pats++] =
        (struct sk_pf_pattern){fp->bytes, fp->len, fp->nocase, id, fp->regex, fp->pcre_options};
    return 0;
}

/* The rule is a candidate on every inspection of each buffer it uses. */
static int add_nofp(struct sk_detect *d, uint32_t i)
{
    const struct crule *cr = &d->rules[i];
    for (int b = 0; b < SK_BUF_COUNT; b++)
        if ((cr->bufmask >> b) & 1u)
            if (u32_push(&d->nofp[b], i) != 0)
                return SK_E_NOMEM;
    return 0;
}

struct drop_ctx {
    struct sk_detect *d;
    int rc;
};

static void on_drop(void *ctx, uint32_t id, const char *why)
{
    struct drop_ctx *dc = ctx;
    struct crule *cr = &dc->d->rules[id];
    sk_warn("sid %u: fast pattern refused by hyperscan (%s); rule inspected without prefilter",
            cr->r->sid, why);
    cr->has_fp = false;
    if (add_nofp(dc->d, id) != 0)
        dc->rc = SK_E_NOMEM;
}

static int classify(struct sk_detect *d, uint32_t i)
{
    struct crule *cr = &d->rules[i];
    const struct sk_rule *r = cr->r;
    bool triggers =
        r->n_groups > 0 || r->n_app_events > 0 || r->needs_starttls || r->n_filehash > 0;
    /* a file rule belongs to the file's transaction, whatever buffers it also reads */
    cr->cls = r->n_filehash == 0 && (((cr->bufmask >> SK_BUF_STREAM) & 1u) ||
                                     (!triggers && r->proto != SK_PROTO_SMTP))
                  ? RC_STREAM
                  : RC_APP;
    /* a group on another buffer can be confirmed by an event of either direction; only the
     * stream keeps one instance per direction */
    uint64_t own = cr->bufmask & ~(1ull << SK_BUF_BASE64_DATA);
    for (int b = 0; b < SK_BUF_COUNT; b++) {
        if (((cr->bufmask >> b) & 1u) == 0)
            continue;
        d->dirs[b] |= b == SK_BUF_STREAM ? rule_dirs(r) : DIR_BOTH;
        /* an anomaly, STARTTLS or a file's end can confirm the rule after the instance ended */
        d->shared[b] = d->shared[b] || (own & ~(1ull << b)) != 0 || r->n_app_events > 0 ||
                       r->needs_starttls || r->n_filehash > 0;
    }
    if (!triggers)
        for (int b = 0; b < SK_BUF_COUNT; b++)
            if ((b == SK_BUF_STREAM) == (cr->cls == RC_STREAM))
                d->dirs[b] |= b == SK_BUF_STREAM ? rule_dirs(r) : DIR_BOTH;
    if (r->n_app_events > 0 && u32_push(&d->anomaly_rules, i) != 0)
        return SK_E_NOMEM;
    if (r->needs_starttls && u32_push(&d->starttls_rules, i) != 0)
        return SK_E_NOMEM;
    if (!triggers && u32_push(cr->cls == RC_APP ? &d->every_app : &d->every_stream, i) != 0)
        return SK_E_NOMEM;
    if (r->n_filehash > 0) {
        /* judged only when a file ends (as Suricata's, on a closed file with its digest): no
         * prefilter, never pending, so a mark in the flow means done */
        static const unsigned bit[] = {SK_FILE_MD5, SK_FILE_SHA1, SK_FILE_SHA256};
        for (size_t k = 0; k < r->n_filehash; k++)
            d->file_hashes |= bit[r->filehash[k].kind];
        return u32_push(&d->file_rules, i);
    }
    struct sk_fast_pattern fp;
    if (!d->cfg.reference && sk_prefilter_choose(r, &fp)) {
        const struct sk_buffer_group *g = &r->groups[fp.group];
        enum sk_field_kind k = buffer_kind(g->buffer);
        /* a transform cannot be applied chunk by chunk to a stream */
        bool usable = (k == SK_FIELD_SINGLE || k == SK_FIELD_MULTI) ||
                      (k == SK_FIELD_STREAM && g->n_transforms == 0);
        if (usable) {
            cr->has_fp = true;
            size_t reach = fp_reach(r, &fp);
            if (g->buffer != SK_BUF_STREAM)
                return add_pattern(d, g, &fp, i, DIR_BOTH, reach);
            int rc = 0;
            uint8_t dirs = rule_dirs(r);
            if (dirs & DIR_TO_SERVER)
                rc = add_pattern(d, g, &fp, i, DIR_TO_SERVER, reach);
            if (rc == 0 && (dirs & DIR_TO_CLIENT))
                rc = add_pattern(d, g, &fp, i, DIR_TO_CLIENT, reach);
            return rc;
        }
    }
    return add_nofp(d, i);
}

int sk_detect_build(struct sk_detect **out, const struct sk_ruleset *rs,
                    const struct sk_detect_config *cfg, char *errbuf, size_t errlen)
{
    struct timespec t0, t1;
    int rc = SK_E_NOMEM;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    snprintf(errbuf, errlen, "out of memory building detection");
    struct sk_detect *d = calloc(1, sizeof(*d));
    if (d == NULL)
        return SK_E_NOMEM;
    d->rs = rs;
    if (cfg != NULL)
        d->cfg = *cfg;
    if (d->cfg.stream_window == 0)
        d->cfg.stream_window = DEFAULT_STREAM_WINDOW;
    if (d->cfg.pcre_match_limit == 0)
        d->cfg.pcre_match_limit = 3500;
    d->n_flowbits = sk_ruleset_flowbit_count(rs);
    d->n_rules = sk_ruleset_count(rs);
    unsigned slots = 0;
    for (int b = 0; b < SK_BUF_COUNT; b++) {
        d->stream_list[b][0] = d->stream_list[b][1] = -1;
        d->stream_slot[b] = -1;
        if (b < SK_FIELD_COUNT && buffer_kind(b) == SK_FIELD_STREAM) {
            if (slots < STREAM_SLOTS)
                d->stream_slot[b] = (int)slots++;
            else
                sk_warn("stream field %d has no slot: raise STREAM_SLOTS", b);
        }
    }
    d->rules = calloc(d->n_rules ? d->n_rules : 1, sizeof(*d->rules));
    d->pcre_lock = malloc(sizeof(*d->pcre_lock));
    if (d->rules == NULL || d->pcre_lock == NULL || pthread_mutex_init(d->pcre_lock, NULL) != 0) {
        free(d->pcre_lock);
        d->pcre_lock = NULL;
        goto out_free;
    }
    for (size_t i = 0; i < d->n_rules; i++) {
        if ((rc = crule_init(&d->rules[i], sk_ruleset_rule(rs, i), d->cfg.reference)) != 0)
            goto out_free;
        if (d->rules[i].disabled)
            continue;
        if ((rc = classify(d, (uint32_t)i)) != 0)
            goto out_free;
    }
    struct drop_ctx dc = {d, 0};
    d->from_cache = d->n_lists > 0;
    for (size_t i = 0; i < d->n_lists; i++) {
        struct plist *l = &d->lists[i];
        bool cached = false;
        rc = sk_pf_db_build(&l->db, l->pats, l->n_pats, l->stream, d->cfg.cache_dir, on_drop, &dc,
                            &cached, errbuf, errlen);
        if (rc == 0)
            rc = dc.rc;
        if (rc != 0)
            goto out_free;
        d->from_cache = d->from_cache && cached;
        if (l->db == NULL)
            continue;
        if (l->stream && l->buffer == SK_BUF_STREAM)
            d->stream_list[l->buffer][l->dirs == DIR_TO_SERVER ? 0 : 1] = (int)i;
        else if (l->stream)
            d->stream_list[l->buffer][0] = d->stream_list[l->buffer][1] = (int)i;
        else if ((rc = u32_push(&d->block_lists[l->buffer], (uint32_t)i)) != 0)
            goto out_free;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    d->build_seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    if (errlen > 0)
        errbuf[0] = '\0';
    *out = d;
    return 0;

out_free:
    sk_detect_free(d);
    return rc;
}
