/* SPDX-License-Identifier: GPL-2.0-only */
/* Hyperscan behind a small interface: fast pattern choice, literal databases (patterns as
 * hex-escaped expressions, single-match, caseless for nocase), the optional on-disk cache
 * of serialized databases, scratch and streams. A pattern Hyperscan refuses is dropped
 * and the database rebuilt, so one bad rule never fails the whole build. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "rules/prefilter.h"

#include <fcntl.h>
#include <hs/hs.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/error.h"
#include "engine/log.h"

struct sk_pf_db {
    hs_database_t *db;
    bool stream;
};

struct sk_pf_scratch {
    hs_scratch_t *s;
};

struct sk_pf_stream {
    const struct sk_pf_db *db;
    hs_stream_t *st;
};

struct hit_ctx {
    sk_pf_hit_fn fn;
    void *ctx;
};

static size_t fp_len(const struct sk_content *c)
{
    if (c->fp_chop_offset != SK_MOD_UNSET && c->fp_chop_len != SK_MOD_UNSET &&
        c->fp_chop_offset >= 0 && c->fp_chop_len > 0 &&
        (size_t)c->fp_chop_offset + (size_t)c->fp_chop_len <= c->len)
        return (size_t)c->fp_chop_len;
    return c->len;
}

#define REGEX_OPTIONS (PCRE2_CASELESS | PCRE2_DOTALL | PCRE2_MULTILINE)

/* Can Hyperscan prefilter this pcre without missing a match of it, wherever the buffer
 * (a stream window, a prefix of a stream) starts or ends? Anchors, assertions and
 * (?...) groups are refused outright; so is any option Hyperscan has no flag for. */
static bool regex_prefilterable(const struct sk_pcre *p)
{
    if (p->negated || p->relative || (p->options & ~(uint32_t)REGEX_OPTIONS) != 0)
        return false;
    for (const char *c = p->pattern; *c != '\0'; c++) {
        if (*c == '^' || *c == '$' || (c[0] == '(' && c[1] == '?'))
            return false;
        if (*c == '\\') {
            if (c[1] == '\0' || strchr("AbBzZGKQE0123456789gkpPX", c[1]) != NULL)
                return false;
            c++;
        }
    }
    return true;
}

static bool choose_regex(const struct sk_rule *r, struct sk_fast_pattern *fp)
{
    for (size_t g = 0; g < r->n_groups; g++) {
        const struct sk_buffer_group *grp = &r->groups[g];
        if (grp->buffer == SK_BUF_BASE64_DATA)
            continue; /* no buffer is scanned for it: reached only through base64_decode */
        for (size_t m = 0; m < grp->n_matches; m++) {
            const struct sk_match *mt = &grp->matches[m];
            if (mt->kind != SK_MATCH_PCRE || !regex_prefilterable(&mt->u.pcre))
                continue;
            *fp = (struct sk_fast_pattern){.group = g,
                                           .match = m,
                                           .regex = mt->u.pcre.pattern,
                                           .pcre_options = mt->u.pcre.options};
            return true;
        }
    }
    return false;
}

bool sk_prefilter_choose(const struct sk_rule *r, struct sk_fast_pattern *fp)
{
    const struct sk_content *best = NULL;
    size_t bg = 0, bm = 0;
    bool explicit = false;
    for (size_t g = 0; g < r->n_groups && !explicit; g++) {
        const struct sk_buffer_group *grp = &r->groups[g];
        if (grp->buffer == SK_BUF_BASE64_DATA)
            continue; /* as Suricata: no fast pattern in base64_data */
        for (size_t m = 0; m < grp->n_matches; m++) {
            if (grp->matches[m].kind != SK_MATCH_CONTENT)
                continue;
            const struct sk_content *c = &grp->matches[m].u.content;
            if (c->len == 0)
                continue;
            if (c->fast_pattern || c->fast_pattern_only) {
                best = c, bg = g, bm = m, explicit = true;
                break;
            }
            if (!c->negated && (best == NULL || fp_len(c) > fp_len(best)))
                best = c, bg = g, bm = m;
        }
    }
    if (best == NULL)
        return choose_regex(r, fp);
    if (best->negated)
        return false;
    fp->regex = NULL;
    fp->pcre_options = 0;
    fp->group = bg;
    fp->match = bm;
    fp->len = fp_len(best);
    fp->bytes = best->bytes + (fp->len != best->len ? (size_t)best->fp_chop_offset : 0);
    fp->nocase = best->nocase;
    return true;
}

static char *hex_escape(const uint8_t *b, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    char *s = malloc(n * 4 + 1);
    if (s == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        s[i * 4] = '\\';
        s[i * 4 + 1] = 'x';
        s[i * 4 + 2] = digits[b[i] >> 4];
        s[i * 4 + 3] = digits[b[i] & 15];
    }
    s[n * 4] = '\0';
    return s;
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

static uint64_t cache_key(const struct sk_pf_pattern *pats, size_t n, bool stream)
{
    const char *v = hs_version();
    uint64_t h = fnv(0xcbf29ce484222325ull, v, strlen(v));
    h = fnv(h, &stream, sizeof(stream));
    for (size_t i = 0; i < n; i++) {
        uint8_t nc = pats[i].nocase;
        uint64_t len = pats[i].regex ? strlen(pats[i].regex) : pats[i].len;
        h = fnv(h, &pats[i].id, sizeof(pats[i].id));
        h = fnv(h, &nc, 1);
        h = fnv(h, &len, sizeof(len));
        if (pats[i].regex) {
            h = fnv(h, pats[i].regex, len);
            h = fnv(h, &pats[i].pcre_options, sizeof(pats[i].pcre_options));
        } else {
            h = fnv(h, pats[i].bytes, pats[i].len);
        }
    }
    return h;
}

/* Maps the file rather than reading it: Hyperscan copies the bytes into its database
 * anyway, so a read buffer would be one more copy of megabytes at start-up. */
static hs_database_t *cache_read(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    hs_database_t *db = NULL;
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size <= 0)
        goto out_close;
    void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    if (p == MAP_FAILED)
        goto out_close;
    if (hs_deserialize_database(p, (size_t)st.st_size, &db) != HS_SUCCESS)
        db = NULL;
    munmap(p, (size_t)st.st_size);
out_close:
    close(fd);
    return db;
}

static void cache_write(const char *path, const hs_database_t *db)
{
    char *bytes = NULL;
    size_t len = 0;
    char tmp[4096];
    if (hs_serialize_database(db, &bytes, &len) != HS_SUCCESS)
        return;
    if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
        goto out_free;
    FILE *fp = fopen(tmp, "wb");
    if (fp == NULL)
        goto out_free;
    bool ok = fwrite(bytes, 1, len, fp) == len;
    ok = (fclose(fp) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        remove(tmp);
        sk_warn("cannot write hyperscan cache '%s'", path);
    }
out_free:
    free(bytes);
}

/* Compiles the patterns still alive; on a per-expression error marks it dead, reports it
 * and returns SK_E_AGAIN so the caller retries. */
static int compile_alive(const struct sk_pf_pattern *pats, size_t n, bool *alive, bool stream,
                         sk_pf_drop_fn drop, void *drop_ctx, hs_database_t **db, char *err,
                         size_t errlen)
{
    int rc = SK_E_NOMEM;
    char **exprs = calloc(n, sizeof(*exprs));
    unsigned *flags = calloc(n, sizeof(*flags));
    unsigned *ids = calloc(n, sizeof(*ids));
    size_t *map = calloc(n, sizeof(*map));
    size_t k = 0;
    if (exprs == NULL || flags == NULL || ids == NULL || map == NULL)
        goto out_free;
    for (size_t i = 0; i < n; i++) {
        if (!alive[i])
            continue;
        flags[k] = HS_FLAG_SINGLEMATCH;
        if (pats[i].regex != NULL) {
            uint32_t o = pats[i].pcre_options;
            exprs[k] = strdup(pats[i].regex);
            flags[k] |= HS_FLAG_PREFILTER | (o & PCRE2_CASELESS ? HS_FLAG_CASELESS : 0u) |
                        (o & PCRE2_DOTALL ? HS_FLAG_DOTALL : 0u) |
                        (o & PCRE2_MULTILINE ? HS_FLAG_MULTILINE : 0u);
        } else {
            exprs[k] = hex_escape(pats[i].bytes, pats[i].len);
            flags[k] |= pats[i].nocase ? HS_FLAG_CASELESS : 0u;
        }
        if (exprs[k] == NULL)
            goto out_free;
        ids[k] = pats[i].id;
        map[k] = i;
        k++;
    }
    *db = NULL;
    if (k == 0) {
        rc = 0;
        goto out_free;
    }
    hs_compile_error_t *ce = NULL;
    hs_error_t he = hs_compile_multi((const char *const *)exprs, flags, ids, (unsigned)k,
                                     stream ? HS_MODE_STREAM : HS_MODE_BLOCK, NULL, db, &ce);
    if (he == HS_SUCCESS) {
        rc = 0;
    } else if (he == HS_COMPILER_ERROR && ce != NULL && ce->expression >= 0 &&
               (size_t)ce->expression < k) {
        size_t bad = map[ce->expression];
        alive[bad] = false;
        if (drop)
            drop(drop_ctx, pats[bad].id, ce->message);
        rc = SK_E_AGAIN;
    } else {
        snprintf(err, errlen, "hyperscan compile: %s", ce ? ce->message : "unknown error");
        rc = SK_E_HS;
    }
    hs_free_compile_error(ce);
out_free:
    for (size_t i = 0; exprs != NULL && i < k; i++)
        free(exprs[i]);
    free(exprs);
    free(flags);
    free(ids);
    free(map);
    if (rc == SK_E_NOMEM)
        snprintf(err, errlen, "out of memory compiling patterns");
    return rc;
}

int sk_pf_db_build(struct sk_pf_db **out, const struct sk_pf_pattern *pats, size_t n, bool stream,
                   const char *cache_dir, sk_pf_drop_fn drop, void *drop_ctx, bool *from_cache,
                   char *err, size_t errlen)
{
    char path[4096] = "";
    hs_database_t *db = NULL;
    bool dropped = false;
    int rc;
    *out = NULL;
    if (from_cache)
        *from_cache = false;
    if (cache_dir != NULL) {
        unsigned long long key = cache_key(pats, n, stream);
        if (snprintf(path, sizeof(path), "%s/shrike-%016llx.hsdb", cache_dir, key) >=
            (int)sizeof(path))
            path[0] = '\0';
        if (path[0] != '\0' && (db = cache_read(path)) != NULL && from_cache)
            *from_cache = true;
    }
    if (db == NULL) {
        bool *alive = malloc(n * sizeof(*alive));
        if (alive == NULL) {
            snprintf(err, errlen, "out of memory compiling patterns");
            return SK_E_NOMEM;
        }
        for (size_t i = 0; i < n; i++)
            alive[i] = true;
        while ((rc = compile_alive(pats, n, alive, stream, drop, drop_ctx, &db, err, errlen)) ==
               SK_E_AGAIN)
            dropped = true;
        free(alive);
        if (rc != 0)
            return rc;
        if (db == NULL)
            return 0;
        /* a cached database must not hide which patterns were dropped */
        if (path[0] != '\0' && !dropped)
            cache_write(path, db);
    }
    struct sk_pf_db *p = malloc(sizeof(*p));
    if (p == NULL) {
        hs_free_database(db);
        snprintf(err, errlen, "out of memory compiling patterns");
        return SK_E_NOMEM;
    }
    p->db = db;
    p->stream = stream;
    *out = p;
    return 0;
}

void sk_pf_db_free(struct sk_pf_db *db)
{
    if (db == NULL)
        return;
    hs_free_database(db->db);
    free(db);
}

size_t sk_pf_db_stream_size(const struct sk_pf_db *db)
{
    size_t sz = 0;
    if (db == NULL || !db->stream || hs_stream_size(db->db, &sz) != HS_SUCCESS)
        return 0;
    return sz;
}

int sk_pf_scratch_add(struct sk_pf_scratch **s, const struct sk_pf_db *db)
{
    if (*s == NULL) {
        *s = calloc(1, sizeof(**s));
        if (*s == NULL)
            return SK_E_NOMEM;
    }
    if (db == NULL)
        return 0;
    return hs_alloc_scratch(db->db, &(*s)->s) == HS_SUCCESS ? 0 : SK_E_HS;
}

void sk_pf_scratch_free(struct sk_pf_scratch *s)
{
    if (s == NULL)
        return;
    hs_free_scratch(s->s);
    free(s);
}

static int on_match(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
                    void *ctx)
{
    const struct hit_ctx *h = ctx;
    h->fn(h->ctx, id);
    return 0;
}

int sk_pf_scan(const struct sk_pf_db *db, struct sk_pf_scratch *s, const uint8_t *buf, size_t len,
               sk_pf_hit_fn hit, void *ctx)
{
    struct hit_ctx h = {hit, ctx};
    if (len > UINT32_MAX)
        len = UINT32_MAX;
    hs_error_t e = hs_scan(db->db, (const char *)buf, (unsigned)len, 0, s->s, on_match, &h);
    return e == HS_SUCCESS ? 0 : SK_E_HS;
}

int sk_pf_stream_open(const struct sk_pf_db *db, struct sk_pf_stream **out)
{
    struct sk_pf_stream *st = malloc(sizeof(*st));
    if (st == NULL)
        return SK_E_NOMEM;
    st->db = db;
    if (hs_open_stream(db->db, 0, &st->st) != HS_SUCCESS) {
        free(st);
        return SK_E_HS;
    }
    *out = st;
    return 0;
}

int sk_pf_stream_scan(struct sk_pf_stream *st, struct sk_pf_scratch *s, const uint8_t *buf,
                      size_t len, sk_pf_hit_fn hit, void *ctx)
{
    struct hit_ctx h = {hit, ctx};
    while (len > 0) {
        unsigned n = len > UINT32_MAX ? UINT32_MAX : (unsigned)len;
        if (hs_scan_stream(st->st, (const char *)buf, n, 0, s->s, on_match, &h) != HS_SUCCESS)
            return SK_E_HS;
        buf += n;
        len -= n;
    }
    return 0;
}

int sk_pf_stream_reset(struct sk_pf_stream *st, struct sk_pf_scratch *s, sk_pf_hit_fn hit,
                       void *ctx)
{
    struct hit_ctx h = {hit, ctx};
    hs_error_t e = hs_reset_stream(st->st, 0, s != NULL && hit != NULL ? s->s : NULL,
                                   s != NULL && hit != NULL ? on_match : NULL, &h);
    return e == HS_SUCCESS ? 0 : SK_E_HS;
}

const struct sk_pf_db *sk_pf_stream_db(const struct sk_pf_stream *st)
{
    return st->db;
}

void sk_pf_stream_close(struct sk_pf_stream *st, struct sk_pf_scratch *s, sk_pf_hit_fn hit,
                        void *ctx)
{
    if (st == NULL)
        return;
    struct hit_ctx h = {hit, ctx};
    if (s != NULL && hit != NULL)
        hs_close_stream(st->st, s->s, on_match, &h);
    else
        hs_close_stream(st->st, NULL, NULL, NULL);
    free(st);
}
