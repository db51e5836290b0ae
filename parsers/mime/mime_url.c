/* SPDX-License-Identifier: GPL-2.0-only */
/* URL extraction. A URL starts at a configured scheme ("http://", "mailto:", a bare
 * "www.") found without regard to case and ends at a blank, a quote, '<', '>' or a control
 * byte, like Suricata's; trailing sentence punctuation is dropped. The search skips to the
 * first two letters of the schemes through a bit table, so most bytes cost one load and a
 * branch and few places are compared.
 * Duplicates are found by a 64-bit hash, so the memory is bounded by the URL limit. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/error.h"
#include "parsers/mime/mime_url.h"

static uint8_t lower(unsigned c)
{
    return (uint8_t)(c >= 'A' && c <= 'Z' ? c | 0x20 : c);
}

static unsigned upper(unsigned c)
{
    return c >= 'a' && c <= 'z' ? c & ~0x20u : c;
}

struct sk_mime__url_pat {
    char pat[40];
    size_t len;
    size_t strip; /* bytes dropped from the URL when the scheme is not logged */
    bool bare;    /* "www.": must not follow a letter, digit or '.' */
};

int sk_mime__url_init(struct sk_mime__url *u, const struct sk_mime_config *cfg, sk_mime__url_fn fn,
                      void *ctx)
{
    memset(u, 0, sizeof(*u));
    u->fn = fn;
    u->ctx = ctx;
    u->max = cfg->max_urls;
    u->keep_scheme = cfg->log_url_scheme;
    u->cap = cfg->max_line;
    u->carry = malloc(u->cap);
    u->seen = malloc(sizeof(*u->seen) * (cfg->max_urls ? cfg->max_urls : 1));
    u->pats = calloc(cfg->url_scheme_count ? cfg->url_scheme_count : 1, sizeof(*u->pats));
    bool too_many = false;
    if (u->carry == NULL || u->seen == NULL || u->pats == NULL)
        goto out_free;
    for (size_t i = 0; i < cfg->url_scheme_count; i++) {
        const char *s = cfg->url_schemes[i];
        struct sk_mime__url_pat *p = &u->pats[u->npats];
        size_t n = strlen(s);
        if (n == 0 || n > sizeof(p->pat) - 4)
            continue;
        if (!((s[0] | 0x20) >= 'a' && (s[0] | 0x20) <= 'z'))
            continue;
        if (strcasecmp(s, "www") == 0) {
            memcpy(p->pat, "www.", 5);
            p->bare = true;
            p->strip = 0;
        } else if (strcasecmp(s, "mailto") == 0 || strcasecmp(s, "news") == 0) {
            memcpy(p->pat, s, n);
            memcpy(p->pat + n, ":", 2);
        } else {
            memcpy(p->pat, s, n);
            memcpy(p->pat + n, "://", 4);
        }
        for (char *c = p->pat; *c != '\0'; c++)
            *c = (char)(*c >= 'A' && *c <= 'Z' ? *c | 0x20 : *c);
        p->len = strlen(p->pat);
        if (!p->bare)
            p->strip = p->len;
        /* Both cases of the first two bytes (the first is a letter). */
        const unsigned c0[2] = {(uint8_t)p->pat[0], (uint8_t)p->pat[0] & ~0x20u};
        const unsigned c1[2] = {(uint8_t)p->pat[1], upper((uint8_t)p->pat[1])};
        /* OR 0x20 as the filter does to the text, so it keeps every place that matches. */
        const uint8_t pre[3] = {(uint8_t)(p->pat[0] | 0x20), (uint8_t)(p->pat[1] | 0x20),
                                (uint8_t)(p->pat[2] | 0x20)};
        size_t k = 0;
        while (k < u->npre && memcmp(u->pre[k], pre, 3) != 0)
            k++;
        if (k == u->npre && k < sizeof(u->pre) / sizeof(u->pre[0]))
            memcpy(u->pre[u->npre++], pre, 3);
        else if (k == u->npre)
            too_many = true;
        for (size_t a = 0; a < 2; a++) {
            u->trigger[c0[a]] = true;
            for (size_t b = 0; b < 2; b++)
                u->pair[(c0[a] | c1[b] << 8) >> 3] |= (uint8_t)(1u << (c0[a] & 7));
        }
        u->npats++;
    }
    if (too_many)
        u->npre = 0;
    for (size_t k = 0; k < u->npre; k++)
        for (size_t j = 0; j < 3; j++)
            memset(u->pre16[k][j], u->pre[k][j], 16);
    return 0;
out_free:
    sk_mime__url_release(u);
    return SK_E_NOMEM;
}

void sk_mime__url_release(struct sk_mime__url *u)
{
    free(u->carry);
    free(u->seen);
    free(u->pats);
    u->carry = NULL;
    u->seen = NULL;
    u->pats = NULL;
}

void sk_mime__url_reset(struct sk_mime__url *u)
{
    u->len = u->pos = 0;
    u->prev = 0;
    u->nseen = 0;
    u->full = false;
}

static bool url_end(uint8_t c)
{
    return c <= ' ' || c == 0x7f || c == '"' || c == '\'' || c == '<' || c == '>' || c == ']' ||
           c == '`';
}

static bool is_alnum(uint8_t c)
{
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

static uint64_t fnv1a(const uint8_t *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

static void report(struct sk_mime__url *u, const uint8_t *p, size_t n)
{
    uint64_t h = fnv1a(p, n);
    for (uint32_t i = 0; i < u->nseen; i++)
        if (u->seen[i] == h)
            return;
    if (u->nseen >= u->max) {
        if (!u->full)
            u->fn(u->ctx, NULL, 0);
        u->full = true;
        return;
    }
    u->seen[u->nseen++] = h;
    u->fn(u->ctx, p, n);
}

/* The patterns are lower case letters, digits and ":/."; p matches without regard to case. */
static bool prefix_eq(const uint8_t *p, const char *pat, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        if (lower(p[k]) != (uint8_t)pat[k])
            return false;
    }
    return true;
}

/* 16 bytes in a GCC/Clang generic vector: SSE2 on x86-64, NEON on arm64, plain code else. */
typedef uint8_t v16 __attribute__((vector_size(16)));

/* The first 16-byte block from i on where some pattern's first three bytes may start
 * (bytes OR 0x20 compared with the lower-case prefixes: a superset of the real places, which
 * the caller checks one by one), or where fewer than 18 bytes are left. */
static size_t skip_blocks(const struct sk_mime__url *u, const uint8_t *p, size_t i, size_t n)
{
    if (u->npre == 0)
        return i;
    i = sk_mime__url_skip_wide((const uint8_t(*)[3])u->pre, u->npre, p, i, n);
    for (; i + 18 <= n; i += 16) {
        v16 a, b, c, hit = {0};
        memcpy(&a, p + i, 16);
        memcpy(&b, p + i + 1, 16);
        memcpy(&c, p + i + 2, 16);
        a |= 0x20;
        b |= 0x20;
        c |= 0x20;
        for (size_t k = 0; k < u->npre; k++) {
            v16 x, y, z;
            memcpy(&x, u->pre16[k][0], 16);
            memcpy(&y, u->pre16[k][1], 16);
            memcpy(&z, u->pre16[k][2], 16);
            hit |= (v16)((a == x) & (b == y) & (c == z));
        }
        uint64_t w[2];
        memcpy(w, &hit, sizeof(w));
        if ((w[0] | w[1]) != 0)
            return i;
    }
    return i;
}

/* Searches p[0..n), a stretch of one line with prev the byte before it (0 at the line's
 * start). final: the line (or its max_line piece) ends at n. Returns how many bytes are
 * decided: n, or the offset of a scheme prefix or a URL that the next bytes may complete
 * (only when !final), which the caller carries. */
static size_t scan(struct sk_mime__url *u, const uint8_t *p, size_t n, uint8_t prev, bool final)
{
    size_t i = 0, block_end = 0;
    while (i < n && !u->full) {
        if (i >= block_end) {
            i = skip_blocks(u, p, i, n);
            block_end = i + 16;
        }
        /* Candidates are the places where a pattern's first two bytes are: rare in text. */
        while (i + 1 < n && i < block_end &&
               !(u->pair[(p[i] | p[i + 1] << 8) >> 3] & (1u << (p[i] & 7))))
            i++;
        if (i == block_end)
            continue;
        if (i + 1 == n && !u->trigger[p[i]])
            i++;
        if (i >= n)
            break;
        const struct sk_mime__url_pat *hit = NULL;
        uint8_t before = i > 0 ? p[i - 1] : prev;
        for (size_t k = 0; k < u->npats && hit == NULL; k++) {
            const struct sk_mime__url_pat *pt = &u->pats[k];
            size_t avail = n - i < pt->len ? n - i : pt->len;
            if (!prefix_eq(p + i, pt->pat, avail))
                continue;
            if (pt->bare && (is_alnum(before) || before == '.' || before == '/'))
                continue;
            if (avail == pt->len)
                hit = pt;
            else if (!final)
                return i; /* an earlier pattern may still match: undecided */
        }
        if (hit == NULL) {
            i++;
            continue;
        }
        size_t e = i + hit->len;
        while (e < n && !url_end(p[e]))
            e++;
        if (e == n && !final)
            return i;
        size_t end = e;
        while (end > i + hit->len && strchr(".,;:!?)", p[end - 1]) != NULL)
            end--;
        size_t start = u->keep_scheme ? i : i + hit->strip;
        if (end > i + hit->len)
            report(u, p + start, end - start);
        i = e;
    }
    return n;
}

/* Where the next search of p[0..n) ends: after as many whole lines (none longer than max_line)
 * as there are, so a chunk of short lines is searched in one call (a line break ends a URL
 * and no pattern holds one, so lines need no cutting); else at the max_line cut or the end
 * of p. With bytes carried, only to the end of the first line. Sets *final when the search
 * ends a line or a max_line piece, and *pos to the line position after it. */
static size_t next_stretch(const struct sk_mime__url *u, const uint8_t *p, size_t n, bool *final,
                           size_t *pos)
{
    size_t take = 0;
    *pos = u->pos;
    *final = false;
    do {
        /* The last line break within the longest line allowed from here: every line up to
         * it fits (it is shorter than the window), and one call takes them all. */
        size_t lim = u->cap - *pos < n - take ? u->cap - *pos : n - take;
        const uint8_t *nl = memrchr(p + take, '\n', lim);
        if (nl == NULL) {
            if (take > 0)
                break;
            *pos += lim;
            *final = *pos == u->cap;
            if (*final)
                *pos = 0;
            return lim;
        }
        take += (size_t)(nl - (p + take)) + 1;
        *pos = 0;
        *final = true;
    } while (u->len == 0 && take < n);
    return take;
}

void sk_mime__url_feed(struct sk_mime__url *u, const uint8_t *p, size_t n)
{
    while (n > 0 && !u->full) {
        bool final;
        size_t pos;
        size_t take = next_stretch(u, p, n, &final, &pos);
        if (u->len > 0) {
            /* Bounded: what is carried is part of this line, which is at most cap bytes. */
            memcpy(u->carry + u->len, p, take);
            u->len += take;
            size_t d = scan(u, u->carry, u->len, u->prev, final);
            if (d > 0)
                u->prev = u->carry[d - 1];
            if (d > 0 && d < u->len)
                memmove(u->carry, u->carry + d, u->len - d);
            u->len -= d;
        } else {
            size_t d = scan(u, p, take, u->prev, final);
            if (d < take) {
                memcpy(u->carry, p + d, take - d);
                u->len = take - d;
            }
            if (d > 0)
                u->prev = p[d - 1];
        }
        u->pos = pos;
        if (final) {
            u->len = 0;
            u->prev = 0;
        }
        p += take;
        n -= take;
    }
}

void sk_mime__url_flush(struct sk_mime__url *u)
{
    if (u->len > 0 && !u->full)
        scan(u, u->carry, u->len, u->prev, true);
    u->pos = u->len = 0;
    u->prev = 0;
}
