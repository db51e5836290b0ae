/* SPDX-License-Identifier: GPL-2.0-only */
/* Moving to a new rule set (SIGUSR2, reload-rules): a map from the old set's rules and
 * flowbits to the new one's, and the move of each worker's thread state and each flow's
 * detection state along it, so flowbits, thresholds and open transactions survive. */
#include "rules/detect_int.h"

/* ---- moving to a new rule set ---- */

struct sk_detect_remap {
    const struct sk_detect *from, *to;
    uint32_t *rule;    /* old rule index -> new index, or UINT32_MAX */
    uint32_t *flowbit; /* old flowbit id -> new id, or UINT32_MAX */
    size_t kept;
};

struct keyed {
    uint64_t key; /* gid << 32 | sid */
    uint32_t i;
};

static int cmp_keyed(const void *a, const void *b)
{
    const struct keyed *x = a, *y = b;
    return x->key < y->key ? -1 : x->key > y->key;
}

static uint64_t rule_key(const struct sk_rule *r)
{
    return (uint64_t)r->gid << 32 | r->sid;
}

int sk_detect_remap_new(struct sk_detect_remap **out, const struct sk_detect *from,
                        const struct sk_detect *to)
{
    struct sk_detect_remap *m = calloc(1, sizeof(*m));
    struct keyed *idx = calloc(to->n_rules ? to->n_rules : 1, sizeof(*idx));
    if (m == NULL || idx == NULL)
        goto out_nomem;
    m->from = from;
    m->to = to;
    m->rule = calloc(from->n_rules ? from->n_rules : 1, sizeof(*m->rule));
    m->flowbit = calloc(from->n_flowbits ? from->n_flowbits : 1, sizeof(*m->flowbit));
    if (m->rule == NULL || m->flowbit == NULL)
        goto out_nomem;
    for (size_t i = 0; i < to->n_rules; i++)
        idx[i] = (struct keyed){rule_key(to->rules[i].r), (uint32_t)i};
    qsort(idx, to->n_rules, sizeof(*idx), cmp_keyed);
    for (size_t i = 0; i < from->n_rules; i++) {
        struct keyed k = {rule_key(from->rules[i].r), 0};
        const struct keyed *hit =
            to->n_rules ? bsearch(&k, idx, to->n_rules, sizeof(*idx), cmp_keyed) : NULL;
        m->rule[i] = hit ? hit->i : UINT32_MAX;
        m->kept += hit != NULL;
    }
    /* flowbit names are few (tens to a few thousand): a plain search is enough */
    for (size_t i = 0; i < from->n_flowbits; i++) {
        const char *name = sk_ruleset_flowbit_name(from->rs, i);
        m->flowbit[i] = UINT32_MAX;
        for (size_t j = 0; name && j < to->n_flowbits; j++) {
            const char *nn = sk_ruleset_flowbit_name(to->rs, j);
            if (nn && strcmp(nn, name) == 0) {
                m->flowbit[i] = (uint32_t)j;
                break;
            }
        }
    }
    free(idx);
    *out = m;
    return 0;
out_nomem:
    free(idx);
    sk_detect_remap_free(m);
    return SK_E_NOMEM;
}

void sk_detect_remap_free(struct sk_detect_remap *m)
{
    if (m == NULL)
        return;
    free(m->rule);
    free(m->flowbit);
    free(m);
}

size_t sk_detect_remap_kept(const struct sk_detect_remap *m)
{
    return m->kept;
}

int sk_detect_thread_move(struct sk_detect_thread **out, struct sk_detect_thread *old,
                          const struct sk_detect_remap *m)
{
    struct sk_detect_thread *t;
    int rc = sk_detect_thread_new(&t, m->to, old->on_alert, old->ctx);
    if (rc != 0)
        return rc;
    if (old->prof != NULL) {
        if ((rc = sk_detect_thread_profile(t)) != 0) {
            sk_detect_thread_free(t);
            return rc;
        }
        for (size_t i = 0; i < m->from->n_rules; i++)
            if (m->rule[i] != UINT32_MAX)
                t->prof[m->rule[i]] = old->prof[i];
    }
    if (old->explain_fn != NULL)
        (void)sk_detect_thread_explain(t, m->from->rules[old->explain_id].r->sid, old->explain_fn,
                                       old->explain_ctx);
    /* rule-independent state changes hands: swap, so that freeing old frees t's fresh ones */
    struct sk_thresh_table *th = t->thresh;
    t->thresh = old->thresh;
    old->thresh = th;
    struct sk_match_ctx *mc = t->mc;
    t->mc = old->mc;
    old->mc = mc;
    t->st = old->st;
    t->st.build_seconds = m->to->build_seconds;
    t->st.from_cache = m->to->from_cache;
    *out = t;
    return 0;
}

/* Closes s's Hyperscan stream (its state belongs to the old databases) without hits. */
static void sinst_unstream(struct sk_detect_flow *df, struct sinst *s)
{
    if (s->hs != NULL) {
        df->mem -= sk_pf_db_stream_size(sk_pf_stream_db(s->hs));
        sk_pf_stream_close(s->hs, NULL, NULL, NULL);
    }
    s->hs = NULL;
    s->hs_live = false;
}

static bool sinst_used(const struct sinst *s)
{
    return s->open || s->buf != NULL || s->hs != NULL;
}

/* Keeps the rules of v the new set has, renumbered. */
static void ids_move(struct u32vec *v, const struct sk_detect_remap *m)
{
    size_t k = 0;
    for (size_t i = 0; i < v->n; i++)
        if (m->rule[v->v[i]] != UINT32_MAX)
            v->v[k++] = m->rule[v->v[i]];
    v->n = k;
}

int sk_detect_flow_move(struct sk_detect_flow *df, struct sk_detect_thread *t,
                        const struct sk_detect_remap *m)
{
    const struct sk_detect *to = m->to;
    uint8_t *bits = NULL;
    if (to->n_flowbits > 0 && (bits = calloc((to->n_flowbits + 7) / 8, 1)) == NULL)
        return SK_E_NOMEM;
    for (size_t i = 0; i < m->from->n_flowbits; i++)
        if (m->flowbit[i] != UINT32_MAX && (df->flowbits[i / 8] >> (i % 8) & 1))
            bits[m->flowbit[i] / 8] |= (uint8_t)(1u << (m->flowbit[i] % 8));
    df->mem -= (m->from->n_flowbits + 7) / 8;
    df->mem += (to->n_flowbits + 7) / 8;
    free(df->flowbits);
    df->flowbits = bits;

    struct dctx *ctxs[] = {&df->app, &df->strm};
    for (size_t i = 0; i < 2; i++) {
        ids_move(&ctxs[i]->pending, m);
        ids_move(&ctxs[i]->done, m);
        ctxs[i]->n_memo = 0; /* memos name old rules */
    }

    /* stream field instances go to the slot the new set gives their buffer */
    struct sinst moved[STREAM_SLOTS];
    memset(moved, 0, sizeof(moved));
    for (size_t i = 0; i < STREAM_SLOTS; i++) {
        struct sinst *s = &df->s[i];
        if (!sinst_used(s))
            continue;
        sinst_unstream(df, s);
        int slot = to->stream_slot[s->buffer];
        if (slot >= 0 && !sinst_used(&moved[slot]))
            moved[slot] = *s;
        else
            sk_detect__window_drop(df, s);
    }
    memcpy(df->s, moved, sizeof(moved));
    sinst_unstream(df, &df->dir[0]);
    sinst_unstream(df, &df->dir[1]);
    df->d = to;
    df->t = t;
    return 0;
}
