/* SPDX-License-Identifier: GPL-2.0-only */
/* The reference matcher walks a group's matches forward over the set of every position
 * where the previous positive match may have ended (a bitmap), instead of the detection
 * path's depth-first search, so that both meet only in the semantics they implement. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "rules/reference.h"

#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "engine/error.h"
#include "parsers/fields.h"
#include "rules/bytes.h"
#include "rules/transform.h"

static bool byte_eq(uint8_t a, uint8_t b, bool nocase)
{
    if (nocase) {
        if (a >= 'A' && a <= 'Z')
            a = (uint8_t)(a - 'A' + 'a');
        if (b >= 'A' && b <= 'Z')
            b = (uint8_t)(b - 'A' + 'a');
    }
    return a == b;
}

static bool occurs_at(const struct sk_content *c, const uint8_t *p, size_t len, size_t at)
{
    if (at + c->len > len)
        return false;
    for (size_t i = 0; i < c->len; i++)
        if (!byte_eq(p[at + i], c->bytes[i], c->nocase))
            return false;
    return true;
}

/* May the content start at position at, the previous match having ended at prev? */
static bool allowed(const struct sk_content *c, size_t len, long prev, long at)
{
    long clen = (long)c->len, end = at + clen;
    if (at < 0 || end > (long)len)
        return false;
    if (c->startswith && at != 0)
        return false;
    if (c->endswith && end != (long)len)
        return false;
    long off = c->offset != SK_MOD_UNSET ? c->offset : 0;
    if (c->offset != SK_MOD_UNSET && at < off)
        return false;
    if (c->depth != SK_MOD_UNSET && end > off + c->depth)
        return false;
    bool rel = c->distance != SK_MOD_UNSET || c->within != SK_MOD_UNSET;
    if (rel) {
        long dist = c->distance != SK_MOD_UNSET ? c->distance : 0;
        long from = prev + dist < 0 ? 0 : prev + dist;
        if (at < from)
            return false;
        if (c->within != SK_MOD_UNSET && end > prev + dist + c->within)
            return false;
    }
    return true;
}

static bool numcmp(const struct sk_numcmp *c, uint64_t v)
{
    switch (c->op) {
    case SK_NUM_EQ:
        return v == c->a;
    case SK_NUM_NE:
        return v != c->a;
    case SK_NUM_LT:
        return v < c->a;
    case SK_NUM_LE:
        return v <= c->a;
    case SK_NUM_GT:
        return v > c->a;
    case SK_NUM_GE:
        return v >= c->a;
    case SK_NUM_RANGE:
        return c->a < v && v < c->b;
    }
    return false;
}

/* Ends of the matches of code anchored at each position from base: ends[k] set for
 * every end. */
static int pcre_ends(pcre2_code *code, pcre2_match_data *md, const uint8_t *p, size_t len,
                     size_t base, bool *ends, bool *any)
{
    *any = false;
    for (size_t s = base; s <= len; s++) {
        int rc = pcre2_match(code, p + base, len - base, s - base, PCRE2_ANCHORED, md, NULL);
        if (rc == PCRE2_ERROR_NOMATCH)
            continue;
        if (rc < 0)
            continue; /* limits: treated as no match, like the detection path */
        ends[base + pcre2_get_ovector_pointer(md)[1]] = true;
        *any = true;
    }
    return 0;
}

/* Suricata's relaxed base64, written out plainly: keep the alphabet and '=', decode each
 * full quantum (3 bytes less one per '='), drop a trailing partial one. Caller frees
 * *out. */
static int b64_relax(const uint8_t *in, size_t len, uint8_t **out, size_t *olen)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    uint8_t *keep = malloc(len + 1), *o = malloc(len + 1);
    if (keep == NULL || o == NULL) {
        free(keep);
        free(o);
        return SK_E_NOMEM;
    }
    size_t k = 0, n = 0;
    for (size_t i = 0; i < len; i++)
        if (in[i] == '=' || (in[i] != 0 && strchr(abc, in[i]) != NULL))
            keep[k++] = in[i];
    for (size_t q = 0; q + 4 <= k; q += 4) {
        unsigned v = 0, pad = 0;
        for (size_t j = 0; j < 4; j++) {
            const char *at = keep[q + j] == '=' ? NULL : strchr(abc, keep[q + j]);
            pad += at == NULL;
            v = v * 64 + (at ? (unsigned)(at - abc) : 0);
        }
        for (unsigned j = 0; j + pad < 3; j++)
            o[n++] = (uint8_t)(v >> (16 - 8 * j));
    }
    free(keep);
    *out = o;
    *olen = n;
    return 0;
}

static int eval(const struct sk_buffer_group *g, const struct sk_buffer_group *data,
                const uint8_t *p, size_t len, bool *result);

/* base64_decode after a match that ended at prev: decode, then the base64_data group. */
static int b64_step(const struct sk_base64_decode *d, const struct sk_buffer_group *data,
                    const uint8_t *p, size_t len, size_t prev, bool *hit)
{
    *hit = false;
    if (data == NULL)
        return 0;
    size_t start = d->relative ? prev : 0;
    if (start > len || (d->offset && d->offset >= len - start))
        return 0;
    start += d->offset;
    size_t n = len - start, cap = d->bytes ? d->bytes : 65535u;
    uint8_t *dec = NULL;
    size_t dlen = 0;
    int rc = b64_relax(p + start, n < cap ? n : cap, &dec, &dlen);
    if (rc == 0 && dlen > 0)
        rc = eval(data, NULL, dec, dlen, hit);
    free(dec);
    return rc;
}

static int eval(const struct sk_buffer_group *g, const struct sk_buffer_group *data,
                const uint8_t *p, size_t len, bool *result)
{
    bool b64_hit = false;
    int rc = SK_E_NOMEM;
    bool *reach = calloc(len + 1, 1), *next = calloc(len + 1, 1), *ends = calloc(len + 1, 1);
    /* byte_extract/byte_math variables: one assignment per reachable position (the first
     * path that reached it) */
    typedef uint64_t varset[SK_BYTE_MAX_VARS];
    varset *rv = calloc(len + 1, sizeof(varset)), *nv = calloc(len + 1, sizeof(varset));
    pcre2_match_data *md = pcre2_match_data_create(16, NULL);
    pcre2_code *code = NULL;
    if (reach == NULL || next == NULL || ends == NULL || md == NULL || rv == NULL || nv == NULL)
        goto out;
    reach[0] = true;
    for (size_t m = 0; m < g->n_matches; m++) {
        const struct sk_match *mt = &g->matches[m];
        memset(next, 0, len + 1);
        memset(nv, 0, (len + 1) * sizeof(varset));
        if (mt->kind == SK_MATCH_PCRE) {
            int ec;
            PCRE2_SIZE eo;
            code = pcre2_compile((PCRE2_SPTR)mt->u.pcre.pattern, PCRE2_ZERO_TERMINATED,
                                 mt->u.pcre.options, &ec, &eo, NULL);
            if (code == NULL) {
                rc = SK_E_PCRE;
                goto out;
            }
        }
        for (size_t prev = 0; prev <= len; prev++) {
            if (!reach[prev])
                continue;
            switch (mt->kind) {
            case SK_MATCH_CONTENT: {
                struct sk_content rc_;
                sk_bytes_resolve_content(&mt->u.content, rv[prev], &rc_);
                const struct sk_content *c = &rc_;
                bool found = false;
                for (size_t at = 0; at + c->len <= len; at++) {
                    if (allowed(c, len, (long)prev, (long)at) && occurs_at(c, p, len, at)) {
                        found = true;
                        if (!c->negated && !next[at + c->len]) {
                            next[at + c->len] = true;
                            memcpy(nv[at + c->len], rv[prev], sizeof(varset));
                        }
                    }
                }
                if (c->negated && !found && !next[prev]) {
                    next[prev] = true;
                    memcpy(nv[prev], rv[prev], sizeof(varset));
                }
                break;
            }
            case SK_MATCH_BYTE_TEST:
            case SK_MATCH_BYTE_JUMP:
            case SK_MATCH_BYTE_EXTRACT:
            case SK_MATCH_BYTE_MATH: {
                varset vs;
                size_t to;
                memcpy(vs, rv[prev], sizeof(varset));
                if (sk_bytes_eval(mt, p, len, prev, vs, &to) && !next[to]) {
                    next[to] = true;
                    memcpy(nv[to], vs, sizeof(varset));
                }
                break;
            }
            case SK_MATCH_PCRE: {
                const struct sk_pcre *pc = &mt->u.pcre;
                size_t base = pc->relative ? prev : 0;
                bool any;
                memset(ends, 0, len + 1);
                pcre_ends(code, md, p, len, base, ends, &any);
                if (pc->negated) {
                    if (!any)
                        next[prev] = true;
                } else {
                    for (size_t e = 0; e <= len; e++)
                        next[e] = next[e] || ends[e];
                }
                break;
            }
            case SK_MATCH_ISDATAAT: {
                const struct sk_isdataat *d = &mt->u.isdataat;
                long pos = (d->relative ? (long)prev : 0) + d->pos;
                bool ok = pos >= 0 && pos < (long)len;
                if (ok != d->negated)
                    next[prev] = true;
                break;
            }
            case SK_MATCH_BSIZE:
                if (numcmp(&mt->u.num, len))
                    next[prev] = true;
                break;
            case SK_MATCH_NUMBER:
                break;
            case SK_MATCH_BASE64_DECODE: {
                /* terminal: the group holds when base64_data holds on what was decoded */
                bool hit;
                if ((rc = b64_step(&mt->u.b64, data, p, len, prev, &hit)) != 0)
                    goto out;
                b64_hit = b64_hit || hit;
                break;
            }
            }
        }
        pcre2_code_free(code);
        code = NULL;
        /* the other kinds keep the variables of the position they came from */
        for (size_t k = 0; k <= len; k++)
            if (next[k] && mt->kind != SK_MATCH_CONTENT && mt->kind < SK_MATCH_BYTE_TEST &&
                reach[k])
                memcpy(nv[k], rv[k], sizeof(varset));
        bool *tmp = reach;
        reach = next;
        next = tmp;
        varset *vt = rv;
        rv = nv;
        nv = vt;
    }
    *result = b64_hit;
    for (size_t i = 0; i <= len; i++)
        *result = *result || reach[i];
    rc = 0;
out:
    pcre2_code_free(code);
    pcre2_match_data_free(md);
    free(reach);
    free(next);
    free(ends);
    free(rv);
    free(nv);
    return rc;
}

int sk_reference_group(const struct sk_buffer_group *g, const uint8_t *p, size_t len, bool *result)
{
    return sk_reference_group_b64(g, NULL, p, len, result);
}

int sk_reference_group_b64(const struct sk_buffer_group *g, const struct sk_buffer_group *data,
                           const uint8_t *p, size_t len, bool *result)
{
    struct sk_xform xf;
    const uint8_t *x = p ? p : (const uint8_t *)"";
    size_t xlen = len;
    sk_xform_init(&xf);
    int rc = sk_xform_apply(&xf, g->transforms, g->n_transforms, x, len, &x, &xlen);
    if (rc == 0)
        rc = eval(g, data, x, xlen, result);
    sk_xform_release(&xf);
    return rc;
}

static bool is_number_buffer(int b)
{
    const struct sk_field_def *d = b < SK_FIELD_COUNT ? sk_field_def((enum sk_field_id)b) : NULL;
    return d != NULL && d->kind == SK_FIELD_NUMBER;
}

const struct sk_buffer_group *sk_reference_data_group(const struct sk_rule *r, size_t gi)
{
    bool decodes = false;
    const struct sk_buffer_group *g = &r->groups[gi];
    for (size_t m = 0; m < g->n_matches; m++)
        decodes = decodes || g->matches[m].kind == SK_MATCH_BASE64_DECODE;
    for (size_t j = gi + 1; decodes && j < r->n_groups; j++)
        if (r->groups[j].buffer == SK_BUF_BASE64_DATA)
            return &r->groups[j];
    return NULL;
}

int sk_reference_rule(const struct sk_rule *r, const struct sk_ref_value *values, size_t n,
                      bool *result)
{
    for (size_t g = 0; g < r->n_groups; g++) {
        const struct sk_buffer_group *grp = &r->groups[g];
        const struct sk_buffer_group *data = sk_reference_data_group(r, g);
        bool any = false;
        if (grp->buffer == SK_BUF_BASE64_DATA)
            continue; /* evaluated by the base64_decode before it */
        for (size_t i = 0; i < n && !any; i++) {
            if (values[i].buffer != grp->buffer)
                continue;
            if (is_number_buffer(grp->buffer)) {
                any = true;
                for (size_t m = 0; m < grp->n_matches; m++)
                    if (grp->matches[m].kind == SK_MATCH_NUMBER &&
                        !numcmp(&grp->matches[m].u.num, values[i].number))
                        any = false;
                continue;
            }
            int rc = sk_reference_group_b64(grp, data, values[i].p, values[i].len, &any);
            if (rc != 0)
                return rc;
        }
        if (!any) {
            *result = false;
            return 0;
        }
    }
    *result = true;
    return 0;
}
