/* SPDX-License-Identifier: GPL-2.0-only */
/* The confirming matcher. A group's matches are evaluated in rule order by a depth-first
 * search over the end of the previous positive match: when a later relative match fails,
 * the previous content or pcre is retried at its next occurrence, as Suricata does. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "rules/match.h"

#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/error.h"
#include "rules/bytes.h"

struct sk_match_ctx {
    pcre2_match_data *md;
    pcre2_match_context *mctx;
    struct sk_xform xf;
    uint8_t *b64; /* base64_decode output */
    size_t b64_cap;
    uint64_t aborts;
    uint64_t pcre_limit_hits;
};

/* The search of one group on one instance. */
struct search {
    struct sk_match_ctx *mc;
    const struct sk_buffer_group *g;
    void *const *pcre;
    const struct sk_buffer_group *data; /* the base64_data group, or NULL */
    void *const *data_pcre;
    const uint8_t *buf;
    size_t len;
    uint32_t steps;
    bool aborted;
    int pcre1_rc; /* what the first pcre2_match() of matches[1] returned (or 1: not run) */
    uint64_t vars[SK_BYTE_MAX_VARS]; /* byte_extract/byte_math values on the current path */
};

int sk_match_ctx_new(struct sk_match_ctx **out, uint32_t match_limit)
{
    struct sk_match_ctx *mc = calloc(1, sizeof(*mc));
    if (mc == NULL)
        return SK_E_NOMEM;
    mc->md = pcre2_match_data_create(16, NULL);
    if (mc->md == NULL)
        goto out_free;
    mc->mctx = pcre2_match_context_create(NULL);
    if (mc->mctx == NULL)
        goto out_free_md;
    pcre2_set_match_limit(mc->mctx, match_limit ? match_limit : 3500);
    /* the backtracking depth is bounded by the same number: no pattern can stall a worker */
    pcre2_set_depth_limit(mc->mctx, match_limit ? match_limit : 3500);
    sk_xform_init(&mc->xf);
    *out = mc;
    return 0;

out_free_md:
    pcre2_match_data_free(mc->md);
out_free:
    free(mc);
    return SK_E_NOMEM;
}

void sk_match_ctx_free(struct sk_match_ctx *mc)
{
    if (mc == NULL)
        return;
    pcre2_match_context_free(mc->mctx);
    pcre2_match_data_free(mc->md);
    sk_xform_release(&mc->xf);
    free(mc->b64);
    free(mc);
}

uint64_t sk_match_ctx_aborts(const struct sk_match_ctx *mc)
{
    return mc->aborts;
}

uint64_t sk_match_ctx_pcre_limit_hits(const struct sk_match_ctx *mc)
{
    return mc->pcre_limit_hits;
}

/* A pcre2_match() result that is neither a match nor a no-match: a limit cut the search
 * off. The search is abandoned (no alert, even for a negated pcre) and counted. */
static bool pcre_cut_off(struct search *s, int rc)
{
    if (rc != PCRE2_ERROR_MATCHLIMIT && rc != PCRE2_ERROR_DEPTHLIMIT && rc != PCRE2_ERROR_HEAPLIMIT)
        return false;
    s->mc->pcre_limit_hits++;
    s->aborted = true;
    return true;
}

int sk_match_pcre_compile(const struct sk_pcre *p, void **out, char *err, size_t errlen)
{
    int ec;
    PCRE2_SIZE eo;
    pcre2_code *code =
        pcre2_compile((PCRE2_SPTR)p->pattern, PCRE2_ZERO_TERMINATED, p->options, &ec, &eo, NULL);
    if (code == NULL) {
        PCRE2_UCHAR msg[128];
        pcre2_get_error_message(ec, msg, sizeof(msg));
        snprintf(err, errlen, "pcre '%s' at %zu: %s", p->pattern, (size_t)eo, (char *)msg);
        return SK_E_PCRE;
    }
    /* JIT is an optimisation: without it (unsupported platform) the interpreter runs. The
     * hard partial code is for sk_match_group_occ's check, which must count the match
     * limit as the complete code does (both JIT, or both interpreted). */
    (void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE | PCRE2_JIT_PARTIAL_HARD);
    *out = code;
    return 0;
}

void sk_match_pcre_free(void *code)
{
    pcre2_code_free(code);
}

static uint8_t lower(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

bool sk_match_bytes_equal(const uint8_t *a, const uint8_t *b, size_t n, bool nocase)
{
    if (!nocase)
        return memcmp(a, b, n) == 0;
    for (size_t i = 0; i < n; i++)
        if (lower(a[i]) != lower(b[i]))
            return false;
    return true;
}

bool sk_numcmp_eval(const struct sk_numcmp *c, uint64_t v)
{
    switch (c->op) {
    case SK_NUM_EQ:
        return v == c->a;
    case SK_NUM_LT:
        return v < c->a;
    case SK_NUM_LE:
        return v <= c->a;
    case SK_NUM_GT:
        return v > c->a;
    case SK_NUM_GE:
        return v >= c->a;
    case SK_NUM_NE:
        return v != c->a;
    case SK_NUM_RANGE:
        return v > c->a && v < c->b;
    }
    return false;
}

bool sk_match_number(const struct sk_buffer_group *g, uint64_t v)
{
    for (size_t i = 0; i < g->n_matches; i++)
        if (g->matches[i].kind == SK_MATCH_NUMBER && !sk_numcmp_eval(&g->matches[i].u.num, v))
            return false;
    return true;
}

/* The window [lo, hi) a content must lie in, given the end of the previous positive match.
 * Returns false when the window is empty for a content of this length. */
static bool content_window(const struct sk_content *c, size_t len, size_t prev_end, size_t *lo_out,
                           size_t *last_out)
{
    int64_t lo = 0, hi = (int64_t)len, clen = (int64_t)c->len;
    if (c->startswith)
        hi = hi < clen ? hi : clen;
    if (c->offset != SK_MOD_UNSET)
        lo = c->offset > lo ? c->offset : lo;
    if (c->depth != SK_MOD_UNSET) {
        /* depth counts from offset when both are given */
        int64_t d = (c->offset != SK_MOD_UNSET ? c->offset : 0) + (int64_t)c->depth;
        hi = d < hi ? d : hi;
    }
    if (c->distance != SK_MOD_UNSET || c->within != SK_MOD_UNSET) {
        int64_t dist = c->distance != SK_MOD_UNSET ? c->distance : 0;
        int64_t start = (int64_t)prev_end + dist;
        if (start < 0)
            start = 0;
        lo = start > lo ? start : lo;
        if (c->within != SK_MOD_UNSET) {
            int64_t w = (int64_t)prev_end + dist + c->within;
            hi = w < hi ? w : hi;
        }
    }
    if (c->endswith) {
        int64_t at = (int64_t)len - clen;
        if (at < lo)
            return false;
        lo = at;
    }
    if (hi - lo < clen || lo < 0)
        return false;
    *lo_out = (size_t)lo;
    *last_out = (size_t)(hi - clen);
    return true;
}

size_t sk_match_find(const uint8_t *buf, size_t len, size_t from, const uint8_t *pat, size_t plen,
                     bool nocase)
{
    if (from > len || plen > len - from)
        return SIZE_MAX;
    if (plen == 0)
        return from;
    if (!nocase) {
        const uint8_t *q = memmem(buf + from, len - from, pat, plen);
        return q ? (size_t)(q - buf) : SIZE_MAX;
    }
    uint8_t first = lower(pat[0]);
    for (size_t p = from; p + plen <= len; p++)
        if (lower(buf[p]) == first && sk_match_bytes_equal(buf + p + 1, pat + 1, plen - 1, true))
            return p;
    return SIZE_MAX;
}

/* First position p in [from, last] where c occurs, or SIZE_MAX. */
static size_t find(const struct sk_content *c, const uint8_t *buf, size_t from, size_t last)
{
    return sk_match_find(buf, last + c->len, from, c->bytes, c->len, c->nocase);
}

static bool search_from(struct search *s, size_t i, size_t prev_end);

static bool is_relative(const struct sk_match *m)
{
    switch (m->kind) {
    case SK_MATCH_CONTENT:
        return m->u.content.distance != SK_MOD_UNSET || m->u.content.within != SK_MOD_UNSET;
    case SK_MATCH_PCRE:
        return m->u.pcre.relative;
    case SK_MATCH_ISDATAAT:
        return m->u.isdataat.relative;
    case SK_MATCH_BYTE_TEST:
    case SK_MATCH_BYTE_JUMP:
    case SK_MATCH_BYTE_EXTRACT:
    case SK_MATCH_BYTE_MATH:
        /* a variable may feed a later match: retry earlier matches as for a relative one */
        return m->u.bytes.relative || m->kind != SK_MATCH_BYTE_TEST;
    case SK_MATCH_BASE64_DECODE:
        return m->u.b64.relative;
    case SK_MATCH_BSIZE:
    case SK_MATCH_NUMBER:
        break;
    }
    return false;
}

/* Do the matches after i depend on where match i ended? Not when the next one that looks
 * at the position is an absolute positive content or pcre, which sets a new position.
 * When they do not, retrying match i at a later occurrence cannot help (Suricata too
 * retries only before a relative match). */
static bool rest_depends(const struct sk_buffer_group *g, size_t i)
{
    for (size_t j = i + 1; j < g->n_matches; j++) {
        const struct sk_match *m = &g->matches[j];
        if (is_relative(m))
            return true;
        if ((m->kind == SK_MATCH_CONTENT && !m->u.content.negated) ||
            (m->kind == SK_MATCH_PCRE && !m->u.pcre.negated))
            return false;
    }
    return false;
}

static bool step_content(struct search *s, size_t i, size_t prev_end)
{
    const struct sk_content *c = &s->g->matches[i].u.content;
    struct sk_content resolved;
    if (c->var_offset || c->var_depth || c->var_distance || c->var_within) {
        sk_bytes_resolve_content(c, s->vars, &resolved);
        c = &resolved;
    }
    size_t lo, last;
    bool window = content_window(c, s->len, prev_end, &lo, &last);
    if (c->negated) {
        if (window && find(c, s->buf, lo, last) != SIZE_MAX)
            return false;
        return search_from(s, i + 1, prev_end);
    }
    if (!window)
        return false;
    for (size_t p = find(c, s->buf, lo, last); p != SIZE_MAX && p <= last;
         p = p < last ? find(c, s->buf, p + 1, last) : SIZE_MAX) {
        if (search_from(s, i + 1, p + c->len))
            return true;
        if (s->aborted || !rest_depends(s->g, i))
            return false;
    }
    return false;
}

static bool step_pcre(struct search *s, size_t i, size_t prev_end)
{
    const struct sk_pcre *p = &s->g->matches[i].u.pcre;
    pcre2_code *code = s->pcre ? s->pcre[i] : NULL;
    if (code == NULL)
        return false;
    size_t base = p->relative ? prev_end : 0;
    if (base > s->len)
        return p->negated && search_from(s, i + 1, prev_end);
    const uint8_t *subj = s->buf + base;
    size_t slen = s->len - base;
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(s->mc->md);
    if (p->negated) {
        int rc = pcre2_match(code, subj, slen, 0, 0, s->mc->md, s->mc->mctx);
        if (rc >= 0 || pcre_cut_off(s, rc))
            return false;
        return search_from(s, i + 1, prev_end);
    }
    for (size_t start = 0; start <= slen;) {
        int rc = pcre2_match(code, subj, slen, start, 0, s->mc->md, s->mc->mctx);
        if (i == 1 && start == 0)
            s->pcre1_rc = rc;
        if (rc < 0) {
            pcre_cut_off(s, rc);
            return false;
        }
        size_t ms = ov[0], me = ov[1];
        if (search_from(s, i + 1, base + me))
            return true;
        if (s->aborted || !rest_depends(s->g, i))
            return false;
        start = ms + 1;
    }
    return false;
}

size_t sk_match_base64_relax(const uint8_t *in, size_t len, uint8_t *out)
{
    uint8_t q[4];
    size_t n = 0, pad = 0, o = 0;
    for (size_t i = 0; i < len; i++) {
        uint8_t c = in[i], v;
        if (c >= 'A' && c <= 'Z')
            v = (uint8_t)(c - 'A');
        else if (c >= 'a' && c <= 'z')
            v = (uint8_t)(c - 'a' + 26);
        else if (c >= '0' && c <= '9')
            v = (uint8_t)(c - '0' + 52);
        else if (c == '+')
            v = 62;
        else if (c == '/')
            v = 63;
        else if (c == '=')
            v = 0, pad++;
        else
            continue; /* relaxed: anything outside the alphabet is skipped */
        q[n++] = v;
        if (n < 4)
            continue;
        uint8_t b[3] = {(uint8_t)(q[0] << 2 | q[1] >> 4), (uint8_t)(q[1] << 4 | q[2] >> 2),
                        (uint8_t)(q[2] << 6 | q[3])};
        size_t k = pad < 3 ? 3 - pad : 0;
        if (out != NULL)
            memcpy(out + o, b, k);
        o += k;
        n = pad = 0;
    }
    return o; /* a trailing partial quantum is dropped, as Suricata's relaxed mode */
}

/* base64_decode: decodes from the buffer (relative to prev_end when relative, then offset,
 * at most bytes) and evaluates the base64_data group on the result. Terminal, as in
 * Suricata: the group holds exactly when something was decoded and base64_data matched;
 * the matches after base64_decode in its own group are never reached. */
static bool step_b64(struct search *s, size_t i, size_t prev_end)
{
    const struct sk_base64_decode *d = &s->g->matches[i].u.b64;
    if (s->data == NULL)
        return false;
    size_t start = d->relative ? prev_end : 0;
    if (start > s->len)
        return false;
    size_t avail = s->len - start;
    if (d->offset) {
        if (d->offset >= avail)
            return false;
        start += d->offset;
        avail -= d->offset;
    }
    size_t n = d->bytes ? d->bytes : SK_MATCH_BASE64_DEFAULT_BYTES;
    n = n < avail ? n : avail;
    size_t need = n / 4 * 3 + 3;
    if (need > s->mc->b64_cap) {
        uint8_t *p = realloc(s->mc->b64, need);
        if (p == NULL)
            return false;
        s->mc->b64 = p;
        s->mc->b64_cap = need;
    }
    size_t dl = sk_match_base64_relax(s->buf + start, n, s->mc->b64);
    if (dl == 0)
        return false;
    /* the decoded bytes are searched with no further base64_data below them */
    struct search in = {.mc = s->mc,
                        .g = s->data,
                        .pcre = s->data_pcre,
                        .buf = s->mc->b64,
                        .len = dl,
                        .steps = s->steps};
    bool r = search_from(&in, 0, 0);
    s->steps = in.steps;
    s->aborted = s->aborted || in.aborted;
    return r;
}

static bool search_from(struct search *s, size_t i, size_t prev_end)
{
    if (i == s->g->n_matches)
        return true;
    if (++s->steps > SK_MATCH_MAX_STEPS) {
        s->aborted = true;
        return false;
    }
    const struct sk_match *m = &s->g->matches[i];
    switch (m->kind) {
    case SK_MATCH_CONTENT:
        return step_content(s, i, prev_end);
    case SK_MATCH_PCRE:
        return step_pcre(s, i, prev_end);
    case SK_MATCH_ISDATAAT: {
        const struct sk_isdataat *d = &m->u.isdataat;
        int64_t pos = (d->relative ? (int64_t)prev_end : 0) + d->pos;
        bool ok = pos >= 0 && pos < (int64_t)s->len;
        if (ok == d->negated)
            return false;
        return search_from(s, i + 1, prev_end);
    }
    case SK_MATCH_BSIZE:
        if (!sk_numcmp_eval(&m->u.num, s->len))
            return false;
        return search_from(s, i + 1, prev_end);
    case SK_MATCH_NUMBER:
        return false; /* a numeric compare on a byte buffer never holds */
    case SK_MATCH_BASE64_DECODE:
        return step_b64(s, i, prev_end);
    case SK_MATCH_BYTE_TEST:
    case SK_MATCH_BYTE_JUMP:
    case SK_MATCH_BYTE_EXTRACT:
    case SK_MATCH_BYTE_MATH: {
        size_t pos;
        if (!sk_bytes_eval(m, s->buf, s->len, prev_end, s->vars, &pos))
            return false;
        return search_from(s, i + 1, pos);
    }
    }
    return false;
}

bool sk_match_group_raw(struct sk_match_ctx *mc, const struct sk_buffer_group *g, void *const *pcre,
                        const uint8_t *buf, size_t len)
{
    return sk_match_group_b64(mc, g, pcre, NULL, NULL, buf, len);
}

bool sk_match_group_b64(struct sk_match_ctx *mc, const struct sk_buffer_group *g, void *const *pcre,
                        const struct sk_buffer_group *data, void *const *data_pcre,
                        const uint8_t *buf, size_t len)
{
    struct search s = {.mc = mc,
                       .g = g,
                       .pcre = pcre,
                       .data = data,
                       .data_pcre = data_pcre,
                       .buf = buf,
                       .len = len};
    if (buf == NULL)
        s.buf = (const uint8_t *)"";
    bool r = search_from(&s, 0, 0);
    if (s.aborted)
        mc->aborts++;
    return r;
}

/* Is matches[1] of g a positive relative pcre, anchored where it starts, so that its
 * first attempt from an occurrence of matches[0] sees only bytes from there on? */
static bool pcre1_anchored(const struct sk_buffer_group *g, void *const *pcre)
{
    if (g->n_matches < 2 || g->matches[1].kind != SK_MATCH_PCRE || pcre == NULL || pcre[1] == NULL)
        return false;
    const struct sk_pcre *p = &g->matches[1].u.pcre;
    uint32_t opts = 0;
    return p->relative && !p->negated &&
           pcre2_pattern_info(pcre[1], PCRE2_INFO_ALLOPTIONS, &opts) == 0 &&
           (opts & PCRE2_ANCHORED) != 0;
}

/* The verdict on the occurrence whose content ended at base, after its search returned
 * false with s->pcre1_rc. A no-match or a cut-off that never reached the end of the buffer
 * is final: pcre2_match() follows the same steps on a longer subject up to the point where
 * it reads past the old end, and PCRE2_PARTIAL_HARD stops right there with
 * PCRE2_ERROR_PARTIAL. An empty subject is left live (the attempt inspected nothing). */
static uint8_t occ_verdict(struct search *s, size_t base)
{
    int rc = s->pcre1_rc;
    bool cut =
        rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT || rc == PCRE2_ERROR_HEAPLIMIT;
    if ((rc != PCRE2_ERROR_NOMATCH && !cut) || base >= s->len)
        return SK_OCC_LIVE;
    int again = pcre2_match(s->pcre[1], s->buf + base, s->len - base, 0, PCRE2_PARTIAL_HARD,
                            s->mc->md, s->mc->mctx);
    if (again != rc)
        return SK_OCC_LIVE;
    return cut ? SK_OCC_CUTOFF : SK_OCC_NOMATCH;
}

bool sk_match_group_occ(struct sk_match_ctx *mc, const struct sk_buffer_group *g, void *const *pcre,
                        const uint8_t *buf, size_t len, const size_t *occ, uint8_t *verdict,
                        size_t n)
{
    struct search s = {.mc = mc, .g = g, .pcre = pcre, .buf = buf, .len = len, .steps = 1};
    size_t clen = g->matches[0].u.content.len;
    bool r = false;
    if (buf == NULL)
        s.buf = (const uint8_t *)"";
    if (verdict != NULL && !pcre1_anchored(g, pcre))
        verdict = NULL;
    /* step_content's loop over the occurrences, which are given */
    for (size_t i = 0; i < n && occ[i] + clen <= len; i++) {
        uint8_t v = verdict != NULL ? verdict[i] : SK_OCC_LIVE;
        if (v != SK_OCC_LIVE) {
            /* what search_from(&s, 1, ...) did the first time: one step, the pcre fails */
            if (++s.steps > SK_MATCH_MAX_STEPS) {
                s.aborted = true;
                break;
            }
            if (v == SK_OCC_CUTOFF) {
                mc->pcre_limit_hits++;
                s.aborted = true;
                break;
            }
        } else {
            s.pcre1_rc = 1;
            if (search_from(&s, 1, occ[i] + clen)) {
                r = true;
                break;
            }
            if (verdict != NULL)
                verdict[i] = occ_verdict(&s, occ[i] + clen);
        }
        if (s.aborted || !rest_depends(g, 0))
            break;
    }
    if (s.aborted)
        mc->aborts++;
    return r;
}

bool sk_match_group(struct sk_match_ctx *mc, const struct sk_buffer_group *g, void *const *pcre,
                    const uint8_t *buf, size_t len)
{
    return sk_match_group_full(mc, g, pcre, NULL, NULL, buf, len);
}

bool sk_match_group_full(struct sk_match_ctx *mc, const struct sk_buffer_group *g,
                         void *const *pcre, const struct sk_buffer_group *data,
                         void *const *data_pcre, const uint8_t *buf, size_t len)
{
    const uint8_t *t = buf;
    size_t tlen = len;
    if (g->n_transforms > 0 &&
        sk_xform_apply(&mc->xf, g->transforms, g->n_transforms, buf, len, &t, &tlen) != 0)
        return false;
    return sk_match_group_b64(mc, g, pcre, data, data_pcre, t, tlen);
}
