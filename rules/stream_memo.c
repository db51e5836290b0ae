/* SPDX-License-Identifier: GPL-2.0-only */
/* The stream-rule memo (see stream_memo.h). */
#include "rules/stream_memo.h"

#include <stdlib.h>
#include <string.h>

bool sk_smemo_eligible(const struct sk_buffer_group *g)
{
    if (g->n_matches == 0 || g->n_transforms != 0 || g->matches[0].kind != SK_MATCH_CONTENT)
        return false;
    const struct sk_content *c = &g->matches[0].u.content;
    if (c->negated || c->len == 0 || c->startswith || c->endswith || c->offset != SK_MOD_UNSET ||
        c->depth != SK_MOD_UNSET || c->distance != SK_MOD_UNSET || c->within != SK_MOD_UNSET)
        return false;
    for (size_t i = 0; i < g->n_matches; i++)
        if (g->matches[i].kind == SK_MATCH_BASE64_DECODE)
            return false;
    return true;
}

void sk_smemo_reset(struct sk_smemo *m)
{
    m->n = 0;
    m->last.valid = false;
}

void sk_smemo_release(struct sk_smemo *m)
{
    free(m->v);
    m->v = NULL;
    m->n = m->cap = 0;
    m->last.valid = false;
}

size_t sk_smemo_memuse(const struct sk_smemo *m)
{
    return m->cap * sizeof(*m->v);
}

/* The rule's entry, a new empty one when it has none, or NULL when out of memory. */
static struct sk_smemo_entry *entry(struct sk_smemo *m, uint32_t id)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->v[i].id == id)
            return &m->v[i];
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 4;
        struct sk_smemo_entry *p = realloc(m->v, cap * sizeof(*p));
        if (p == NULL)
            return NULL;
        m->v = p;
        m->cap = cap;
    }
    struct sk_smemo_entry *e = &m->v[m->n++];
    e->id = id;
    e->serial = 0;
    e->full = false;
    e->n = 0;
    e->searched = UINT64_MAX; /* set up by update() */
    return e;
}

/* The occurrences of c in the instance's bytes [start + from, start + wlen) (window w
 * starting at the instance's byte start), in m->last: searched, or left there by the
 * previous call for the same content and bytes. */
static const struct sk_smemo_search *search(struct sk_smemo *m, uint32_t serial, uint64_t start,
                                            const struct sk_content *c, const uint8_t *w,
                                            size_t wlen, size_t from)
{
    struct sk_smemo_search *l = &m->last;
    bool keyed = c->len <= SK_SMEMO_KEY_MAX;
    if (l->valid && keyed && l->serial == serial && l->from == start + from &&
        l->end == start + wlen && l->len == c->len && l->nocase == c->nocase &&
        memcmp(l->key, c->bytes, c->len) == 0)
        return l;
    l->valid = keyed;
    l->serial = serial;
    l->from = start + from;
    l->end = start + wlen;
    l->len = (uint32_t)c->len;
    l->nocase = c->nocase;
    if (keyed)
        memcpy(l->key, c->bytes, c->len);
    l->n = 0;
    l->more = false;
    for (size_t p = sk_match_find(w, wlen, from, c->bytes, c->len, c->nocase); p != SIZE_MAX;
         p = sk_match_find(w, wlen, p + 1, c->bytes, c->len, c->nocase)) {
        if (l->n == SK_SMEMO_MAX_OCC) {
            l->more = true;
            break;
        }
        l->pos[l->n++] = start + p;
    }
    return l;
}

/* Brings e up to the window: drops occurrences that slid out, adds those in the new bytes.
 * Returns false when e cannot be used (too many occurrences). */
static bool update(struct sk_smemo *m, struct sk_smemo_entry *e, uint32_t serial, uint64_t start,
                   const struct sk_content *c, const uint8_t *w, size_t wlen)
{
    uint64_t end = start + wlen;
    if (e->serial != serial || e->searched > end) {
        e->serial = serial;
        e->full = false;
        e->n = 0;
        e->searched = 0;
    }
    if (e->full)
        return false;
    uint32_t kept = 0;
    for (uint32_t i = 0; i < e->n; i++)
        if (e->occ[i] >= start) {
            e->verdict[kept] = e->verdict[i];
            e->occ[kept++] = e->occ[i];
        }
    e->n = kept;
    /* an occurrence ending after searched starts at searched - len + 1 or later */
    uint64_t from = e->searched > start ? e->searched - start : 0;
    from = from >= c->len - 1 ? from - (c->len - 1) : 0;
    const struct sk_smemo_search *found = search(m, serial, start, c, w, wlen, (size_t)from);
    if (found->more || e->n + found->n > SK_SMEMO_MAX_OCC) {
        e->full = true;
        return false;
    }
    for (uint32_t i = 0; i < found->n; i++) {
        e->verdict[e->n] = SK_OCC_LIVE;
        e->occ[e->n++] = found->pos[i];
    }
    e->searched = end;
    return true;
}

bool sk_smemo_match(struct sk_smemo *m, uint32_t id, uint32_t serial, uint64_t start,
                    struct sk_match_ctx *mc, const struct sk_buffer_group *g, void *const *pcre,
                    const uint8_t *w, size_t wlen)
{
    struct sk_smemo_entry *e = entry(m, id);
    if (e == NULL || !update(m, e, serial, start, &g->matches[0].u.content, w, wlen))
        return sk_match_group(mc, g, pcre, w, wlen);
    size_t occ[SK_SMEMO_MAX_OCC];
    for (uint32_t i = 0; i < e->n; i++)
        occ[i] = (size_t)(e->occ[i] - start);
    return sk_match_group_occ(mc, g, pcre, w, wlen, occ, e->verdict, e->n);
}
