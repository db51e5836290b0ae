/* SPDX-License-Identifier: GPL-2.0-only */
/* The Snort 3 rule dialect: options whose value carries comma-separated modifiers
 * (`content:"x",nocase,depth 5,fast_pattern;`), `service:smtp;`, and header-less rules
 * (`alert smtp (...)`, handled in parse.c). Each modifier is handed to the Suricata
 * keyword of the same meaning with its own text offset, so diagnostics still point at
 * FILE:LINE:COL. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/error.h"
#include "rules/parse.h"

/* A pragma line `# shrike: dialect snort3` (or suricata) decides; else a rule with a
 * content followed by `",modifier` or with a `service:` option makes the file Snort 3. */
bool sk_snort3__detect(const char *text)
{
    static const char *const mods[] = {"nocase", "fast_pattern", "depth",
                                       "offset", "distance",     "within"};
    const char *p = text;
    for (size_t lines = 0; *p && lines < 1000000; lines++) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        const char *q = p;
        while (q < p + n && isspace((unsigned char)*q))
            q++;
        if (*q == '#') {
            const char *pr = strstr(q, "shrike: dialect ");
            if (pr != NULL && pr < p + n)
                return strncmp(pr + 16, "snort3", 6) == 0;
        } else {
            for (const char *c = q; c + 1 < p + n; c++) {
                /* the first byte before strncmp: this runs over every byte of the file */
                if (c[0] == 's' && strncmp(c, "service:", 8) == 0 &&
                    (c == q || c[-1] == ' ' || c[-1] == ';'))
                    return true;
                if (c[0] != '"' || c[1] != ',')
                    continue;
                const char *m = c + 2;
                while (*m == ' ')
                    m++;
                for (size_t k = 0; k < sizeof(mods) / sizeof(mods[0]); k++)
                    if (strncmp(m, mods[k], strlen(mods[k])) == 0)
                        return true;
            }
        }
        if (!nl)
            break;
        p = nl + 1;
    }
    return false;
}

/* Snort 3 names that differ from Suricata's. */
static const char *map_name(const char *name, size_t len, size_t *out_len)
{
    static const struct {
        const char *snort, *suricata;
    } names[] = {{"raw_data", "pkt_data"}, {"bufferlen", "bsize"}};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strlen(names[i].snort) == len && memcmp(names[i].snort, name, len) == 0) {
            *out_len = strlen(names[i].suricata);
            return names[i].suricata;
        }
    *out_len = len;
    return name;
}

/* The end of the quoted part at v (v[0] == '"' or "!\""), or NULL. */
static const char *quote_end(const char *v)
{
    const char *p = v;
    if (*p == '!')
        p++;
    while (isspace((unsigned char)*p))
        p++;
    if (*p != '"')
        return NULL;
    for (p++; *p; p++) {
        if (*p == '\\' && p[1])
            p++;
        else if (*p == '"')
            return p + 1;
    }
    return NULL;
}

int sk_snort3__apply(struct sk_rule_ctx *ctx, const char *name, size_t name_len, const char *value,
                     size_t name_off, size_t value_off)
{
    size_t mlen;
    const char *mname = map_name(name, name_len, &mlen);
    if (!(name_len == 7 && memcmp(name, "content", 7) == 0) || value == NULL)
        return sk_keyword__apply(ctx, mname, mlen, value, name_off, value_off);
    const char *qe = quote_end(value);
    if (qe == NULL)
        return sk_keyword__apply(ctx, name, name_len, value, name_off, value_off);
    char *main_v = strndup(value, (size_t)(qe - value));
    if (main_v == NULL)
        return SK_E_NOMEM;
    int rc = sk_keyword__apply(ctx, name, name_len, main_v, name_off, value_off);
    free(main_v);
    if (rc || ctx->failed)
        return rc ? rc : SK_E_PARSE;
    /* the modifiers: "name" or "name arg", comma separated */
    long fp_off = -1, fp_len = -1;
    size_t fp_at = 0;
    bool fp = false;
    const char *p = qe;
    while (*p) {
        while (isspace((unsigned char)*p))
            p++;
        if (*p != ',') {
            size_t off = value_off + (size_t)(p - value);
            return sk_rule__fail(ctx, off, "invalid content modifier",
                                 "expected ',' before content modifier, got '%.20s'", p);
        }
        p++;
        while (isspace((unsigned char)*p))
            p++;
        const char *s = p;
        while (*p && *p != ',')
            p++;
        const char *e = p;
        while (e > s && isspace((unsigned char)e[-1]))
            e--;
        size_t off = value_off + (size_t)(s - value);
        const char *sp = s;
        while (sp < e && !isspace((unsigned char)*sp))
            sp++;
        size_t klen = (size_t)(sp - s);
        const char *arg = sp;
        while (arg < e && isspace((unsigned char)*arg))
            arg++;
        if (klen == 0)
            return sk_rule__fail(ctx, off, "invalid content modifier", "empty content modifier");
        if ((klen == 19 && memcmp(s, "fast_pattern_offset", 19) == 0) ||
            (klen == 19 && memcmp(s, "fast_pattern_length", 19) == 0)) {
            char *end;
            long v = strtol(arg, &end, 10);
            if (end != e || arg == e || v < 0)
                return sk_rule__fail(ctx, off, "invalid content modifier",
                                     "invalid value for '%.*s'", (int)klen, s);
            if (s[13] == 'o')
                fp_off = v;
            else
                fp_len = v;
            fp_at = off;
            continue;
        }
        if (klen == 12 && memcmp(s, "fast_pattern", 12) == 0 && arg == e) {
            fp = true;
            fp_at = off;
            continue;
        }
        char *av = arg < e ? strndup(arg, (size_t)(e - arg)) : NULL;
        if (arg < e && av == NULL)
            return SK_E_NOMEM;
        rc = sk_keyword__apply(ctx, s, klen, av, off, value_off + (size_t)(arg - value));
        free(av);
        if (rc || ctx->failed)
            return rc ? rc : SK_E_PARSE;
    }
    if (fp || fp_off >= 0 || fp_len >= 0) {
        char chop[48];
        if (fp_off >= 0 || fp_len >= 0)
            snprintf(chop, sizeof(chop), "%ld,%ld", fp_off < 0 ? 0 : fp_off,
                     fp_len < 0 ? 1 : fp_len);
        return sk_keyword__apply(ctx, "fast_pattern", 12, fp_off >= 0 || fp_len >= 0 ? chop : NULL,
                                 fp_at, fp_at);
    }
    return 0;
}
