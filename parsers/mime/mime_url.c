/* SPDX-License-Identifier: GPL-2.0-only */
/* URL extraction. A URL starts at a configured scheme ("http://", "mailto:", a bare
 * "www.") found without regard to case and ends at a blank, a quote, '<', '>' or a control
 * byte, like Suricata's; trailing sentence punctuation is dropped. Duplicates are found by
 * a 64-bit hash, so the memory is bounded by the URL limit. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/error.h"
#include "parsers/mime/mime_url.h"

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
    u->line = malloc(u->cap);
    u->seen = malloc(sizeof(*u->seen) * (cfg->max_urls ? cfg->max_urls : 1));
    u->pats = calloc(cfg->url_scheme_count ? cfg->url_scheme_count : 1, sizeof(*u->pats));
    if (u->line == NULL || u->seen == NULL || u->pats == NULL)
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
        u->npats++;
    }
    return 0;
out_free:
    sk_mime__url_release(u);
    return SK_E_NOMEM;
}

void sk_mime__url_release(struct sk_mime__url *u)
{
    free(u->line);
    free(u->seen);
    free(u->pats);
    u->line = NULL;
    u->seen = NULL;
    u->pats = NULL;
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

static void scan(struct sk_mime__url *u, const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n && !u->full) {
        const struct sk_mime__url_pat *hit = NULL;
        for (size_t k = 0; k < u->npats; k++) {
            const struct sk_mime__url_pat *pt = &u->pats[k];
            if ((p[i] | 0x20) != pt->pat[0] || n - i < pt->len ||
                strncasecmp((const char *)p + i, pt->pat, pt->len) != 0)
                continue;
            if (pt->bare && i > 0 && (is_alnum(p[i - 1]) || p[i - 1] == '.' || p[i - 1] == '/'))
                continue;
            hit = pt;
            break;
        }
        if (hit == NULL) {
            i++;
            continue;
        }
        size_t e = i + hit->len;
        while (e < n && !url_end(p[e]))
            e++;
        size_t end = e;
        while (end > i + hit->len && strchr(".,;:!?)", p[end - 1]) != NULL)
            end--;
        size_t start = u->keep_scheme ? i : i + hit->strip;
        if (end > i + hit->len)
            report(u, p + start, end - start);
        i = e;
    }
}

void sk_mime__url_feed(struct sk_mime__url *u, const uint8_t *p, size_t n)
{
    while (n > 0 && !u->full) {
        const uint8_t *nl = memchr(p, '\n', n);
        size_t take = nl ? (size_t)(nl - p) + 1 : n;
        if (take > u->cap - u->len)
            take = u->cap - u->len;
        memcpy(u->line + u->len, p, take);
        u->len += take;
        p += take;
        n -= take;
        if (u->len == u->cap || u->line[u->len - 1] == '\n') {
            scan(u, u->line, u->len);
            u->len = 0;
        }
    }
}

void sk_mime__url_flush(struct sk_mime__url *u)
{
    if (u->len > 0 && !u->full)
        scan(u, u->line, u->len);
    u->len = 0;
}
