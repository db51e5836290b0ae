/* SPDX-License-Identifier: GPL-2.0-only */
/* Payload keywords: content (hex, escapes, negation) and its modifiers, fast_pattern,
 * pcre (validated and compiled with PCRE2 at load time), isdataat, bsize and numeric
 * compares, transforms and base64_decode/base64_data. Modifiers attach to the last
 * content of the rule, as in Suricata. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/error.h"
#include "parsers/fields.h"
#include "rules/parse.h"
#include "rules/transform.h"

/* Finds the quoted part of a value: optional '!', then "...". Sets *body and *blen to the
 * text between the quotes (escapes intact) and *neg. */
static int quoted(struct sk_rule_ctx *ctx, const struct sk_kw_arg *a, bool allow_neg, bool *neg,
                  const char **body, size_t *blen)
{
    const char *v = a->value;
    const char *p = v;
    *neg = false;
    if (*p == '!') {
        if (!allow_neg)
            return sk_rule__fail(ctx, a->value_off, "invalid negation", "'%s' cannot be negated",
                                 a->name);
        *neg = true;
        p++;
        while (isspace((unsigned char)*p))
            p++;
    }
    size_t n = strlen(p);
    if (n < 2 || p[0] != '"' || p[n - 1] != '"' ||
        (n >= 3 && p[n - 2] == '\\' && (n < 4 || p[n - 3] != '\\')))
        return sk_rule__fail(ctx, a->value_off + (size_t)(p - v), "missing quotes",
                             "'%s' value must be in double quotes", a->name);
    *body = p + 1;
    *blen = n - 2;
    return 0;
}

/* ---- content ---- */

int sk_content__setup_content(struct sk_rule_ctx *ctx, const struct sk_kw_arg *a)
{
    bool neg;
    const char *b;
    size_t bl;
    int rc = quoted(ctx, a, true, &neg, &b, &bl);
    if (rc)
        return rc;
    size_t boff = a->value_off + (size_t)(b - a->value);
    uint8_t *out = malloc(bl + 1);
    if (!out)
        return SK_E_NOMEM;
    size_t n = 0;
    bool hex = false;
    size_t hex_start = 0;
    for (size_t i = 0; i < bl; i++) {
        char c = b[i];
        if (hex) {
            if (c == '|') {
                hex = false;
                continue;
            }
            if (isspace((unsigned char)c))
                continue;
            int h = sk_xform_hexval(c), l = i + 1 < bl ? sk_xform_hexval(b[i + 1]) : -1;
            if (h < 0 || l < 0) {
                free(out);
                return sk_rule__fail(ctx, boff + i, "invalid content",
                                     "invalid hex in content at '%.2s'", b + i);
            }
            out[n++] = (uint8_t)(h << 4 | l);
            i++;
            continue;
        }
        if (c == '|') {
            hex = true;
            hex_start = i;
            continue;
        }
        if (c == '\\') {
            char e = i + 1 < bl ? b[i + 1] : '\0';
            if (e != '"' && e != ';' && e != '\\' && e != ':' && e != '|') {
                free(out);
                return sk_rule__fail(ctx, boff + i, "invalid content",
                                     "invalid escape '\\%c' in content", e ? e : ' ');
            }
            out[n++] = (uint8_t)e;
            i++;
            continue;
        }
        if (c == '"' || c == ';') {
            free(out);
            return sk_rule__fail(ctx, boff + i, "invalid content", "unescaped '%c' in content", c);
        }
        out[n++] = (uint8_t)c;
    }
    if (hex) {
        free(out);
        return sk_rule__fail(ctx, boff + hex_start, "invalid content",
                             "unterminated hex in content");
    }
    if (n == 0) {
        free(out);
        return sk_rule__fail(ctx, a->value_off, "invalid content", "empty content");
    }
    struct sk_match *m;
    rc = sk_rule__add_match(ctx, SK_MATCH_CONTENT, &m);
    if (rc) {
        free(out);
        return rc;
    }
    struct sk_content *c = &m->u.content;
    c->bytes = out;
    c->len = n;
    c->negated = neg;
    c->offset = c->depth = c->distance = c->within = SK_MOD_UNSET;
    c->fp_chop_offset = c->fp_chop_len = SK_MOD_UNSET;
    ctx->last_group = ctx->cur_group;
    ctx->last_match = (long)ctx->rule->groups[ctx->cur_group].n_matches - 1;
    return 0;
}

static struct sk_content *last_content(struct sk_rule_ctx *ctx, const struct sk_kw_arg *a)
{
    if (ctx->last_group < 0) {
        sk_rule__fail(ctx, a->name_off, "modifier without content",
                      "'%s' needs a preceding content", a->name);
        return NULL;
    }
    return &ctx->rule->groups[ctx->last_group].matches[ctx->last_match].u.content;
}

static int parse_i32(const char *s, int32_t min, int32_t *out)
{
    char *end;
    if (!*s || (!isdigit((unsigned char)*s) && *s != '-'))
        return -1;
    long long v = strtoll(s, &end, 10);
    while (isspace((unsigned char)*end))
        end++;
    if (*end || v < min || v > 65535 * 16)
        return -1;
    *out = (int32_t)v;
    return 0;
}

int sk_content__setup_modifier(struct sk_rule_ctx *ctx, const struct sk_kw_arg *a)
{
    if (a->data == SK_CMOD_RAWBYTES)
        return 0;
    struct sk_content *c = last_content(ctx, a);
    if (!c)
        return SK_E_PARSE;
    bool rel = a->data == SK_CMOD_DISTANCE || a->data == SK_CMOD_WITHIN;
    bool abs = a->data == SK_CMOD_DEPTH || a->data == SK_CMOD_OFFSET;
    int32_t *slot = NULL;
    int32_t min = 0;
    switch (a->data) {
    case SK_CMOD_NOCASE:
        c->nocase = true;
        return 0;
    case SK_CMOD_STARTSWITH:
        if (c->depth != SK_MOD_UNSET || c->offset != SK_MOD_UNSET || c->distance != SK_MOD_UNSET ||
            c->within != SK_MOD_UNSET)
            return sk_rule__fail(ctx, a->name_off, "conflicting modifiers",
                                 "'startswith' cannot be mixed with depth, offset, distance or "
                                 "within");
        c->startswith = true;
        return 0;
    case SK_CMOD_ENDSWITH:
        c->endswith = true;
        return 0;
    case SK_CMOD_DEPTH:
        slot = &c->depth;
        min = 1;
        break;
    case SK_CMOD_OFFSET:
        slot = &c->offset;
        break;
    case SK_CMOD_DISTANCE:
        slot = &c->distance;
        min = -65535;
        break;
    default:
        slot = &c->within;
        min = 1;
        break;
    }
    uint8_t *vslot = a->data == SK_CMOD_DEPTH      ? &c->var_depth
                     : a->data == SK_CMOD_OFFSET   ? &c->var_offset
                     : a->data == SK_CMOD_DISTANCE ? &c->var_distance
                                                   : &c->var_within;
    if (*slot != SK_MOD_UNSET || *vslot)
        return sk_rule__fail(ctx, a->name_off, "modifier given twice", "'%s' given twice", a->name);
    if (isalpha((unsigned char)a->value[0])) {
        /* a byte_extract/byte_math variable of the content's buffer */
        int v = sk_bytes__var(ctx, ctx->last_group, a->value, strlen(a->value));
        if (v < 0)
            return sk_rule__fail(ctx, a->value_off, "unknown byte variable",
                                 "'%.31s' is not a byte_extract/byte_math variable of this buffer",
                                 a->value);
        if ((rel && (c->depth != SK_MOD_UNSET || c->offset != SK_MOD_UNSET || c->var_depth ||
                     c->var_offset)) ||
            (abs && (c->distance != SK_MOD_UNSET || c->within != SK_MOD_UNSET)))
            return sk_rule__fail(ctx, a->name_off, "conflicting modifiers",
                                 "'%s' cannot be mixed with %s", a->name,
                                 rel ? "depth or offset" : "distance or within");
        *vslot = (uint8_t)(v + 1);
        /* keeps the content relative for the matchers; the value comes from the variable */
        if (a->data == SK_CMOD_DISTANCE)
            c->distance = 0;
        else if (a->data == SK_CMOD_WITHIN)
            c->within = 65535 * 16;
        return 0;
    }
    if (c->startswith)
        return sk_rule__fail(ctx, a->name_off, "conflicting modifiers",
                             "'%s' cannot be mixed with startswith", a->name);
    if ((rel && (c->depth != SK_MOD_UNSET || c->offset != SK_MOD_UNSET)) ||
        (abs && (c->distance != SK_MOD_UNSET || c->within != SK_MOD_UNSET)))
        return sk_rule__fail(ctx, a->name_off, "conflicting modifiers",
                             "'%s' cannot be mixed with %s", a->name,
                             rel ? "depth or offset" : "distance or within");
    int32_t v;
    if (parse_i32(a->value, min, &v)) {
        char reason[96];
        snprintf(reason, sizeof(reason), "invalid value for '%s'", a->name);
        return sk_rule__fail(ctx, a->value_off, reason, "invalid value '%.40s' for '%s'", a->value,
                             a->name);
    }
    if (a->data == SK_CMOD_WITHIN && (size_t)v < c->len)
        return sk_rule__fail(ctx, a->value_off, "invalid value for 'within'",
                             "within %d is shorter than the content (%zu bytes)", (int)v, c->len);
    if (a->data == SK_CMOD_DEPTH && (size_t)v < c->len)
        return sk_rule__fail(ctx, a->value_off, "invalid value for 'depth'",
                             "depth %d is shorter than the content (%zu bytes)", (int)v, c->len);
    *slot = v;
    return 0;
}

int sk_content__setup_fast_pattern(struct sk_rule_ctx *ctx, const struct sk_kw_arg *a)
{
    struct sk_content *c = last_content(ctx, a);
    if (!c)
        return SK_E_PARSE;
    if (ctx->fast_pattern_seen)
        return sk_rule__fail(ctx, a->name_off, "keyword given twice",
                             "'fast_pattern' given twice in the rule");
    ctx->fast_pattern_seen = true;
    c->fast_pattern = true;
    if (!a->value)
        return 0;
    if (strcmp(a->value, "only") == 0) {
        if (c->negated)
            return sk_rule__fail(ctx, a->value_off, "invalid value for 'fast_pattern'",
                                 "fast_pattern:only on a negated content");
        c->fast_pattern_only = true;
        return 0;
    }
    unsigned o, l;
    char tail;
    if (strchr(a->value, '-') || sscanf(a->value, "%u , %u %c", &o, &l, &tail) != 2 || l == 0 ||
        o > c->len || l > c->len - o)
        return sk_rule__fail(ctx, a->value_off, "invalid value for 'fast_pattern'",
                             "invalid value '%.40s' for 'fast_pattern' (content is %zu bytes)",
                             a->value, c->len);
    c->fp_chop_offset = (int32_t)o;
    c->fp_chop_len = (int32_t)l;
    return 0;
}

/* ---- pcre ---- */

int sk_content__setup_pcre(struct sk_rule_ctx *ctx, const struct sk_kw_arg *a)
{
    bool neg;
    const char *b;
    size_t bl;
    int rc = quoted(ctx, a, true, &neg, &b, &bl);
    if (rc)
        return rc;
    size_t boff = a->value_off + (size_t)(b - a->value);
    if (bl < 2 || b[0] != '/')
        return sk_rule__fail(ctx, boff, "invalid pcre", "pcre must be written \"/regex/flags\"");
    size_t last = bl - 1;
    while (last > 0 && b[last] != '/')
        last--;
    if (last == 0)
        return sk_rule__fail(ctx, boff, "invalid pcre", "pcre is missing its closing '/'");
    struct sk_pcre p = {.negated = neg};
    for (size_t i = last + 1; i < bl; i++) {
        switch (b[i]) {
        case 'i':
            p.options |= PCRE2_CASELESS;
            break;
        case 's':
            p.options |= PCRE2_DOTALL;
            break;
        case 'm':
            p.options |= PCRE2_MULTILINE;
            break;
        case 'x':
            p.options |= PCRE2_EXTENDED;
            break;
        case 'A':
            p.options |= PCRE2_ANCHORED;
            break;
        case 'E':
            p.options |= PCRE2_DOLLAR_ENDONLY;
            break;
        case 'G':
            p.options |= PCRE2_UNGREEDY;
            break;
        case 'R':
            p.relative = true;
            break;
        case 'O':
            break; /* Suricata: override match limits; ours are per engine */
        case 'U':
            sk_rule__warn(ctx, boff + i, "pcre flag 'U' ignored",
                          "pcre flag 'U' (http uri buffer) has no meaning here: ignored");
            break;
        default: {
            char reason[40];
            snprintf(reason, sizeof(reason), "unsupported pcre flag '%c'", b[i]);
            return sk_rule__fail(ctx, boff + i, reason, "%s", reason);
        }
        }
    }
    int err;
    PCRE2_SIZE eoff;
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)(b + 1), last - 1, p.options, &err, &eoff, NULL);
    if (!code) {
        PCRE2_UCHAR emsg[160];
        pcre2_get_error_message(err, emsg, sizeof(emsg));
        return sk_rule__fail(ctx, boff + 1 + eoff, "invalid pcre", "invalid pcre: %s at offset %zu",
                             (const char *)emsg, (size_t)eoff);
    }
    p.pattern = strndup(b + 1, last - 1);
    struct sk_match *m;
    if (!p.pattern || (rc = sk_rule__add_match(ctx, SK_MATCH_PCRE, &m)) != 0) {
        free(p.pattern);
        pcre2_code_free(code);
        return rc ? rc : SK_E_NOMEM;
    }
    p.code = code;
    m->u.pcre = p;
    return 0;
}

/* ---- isdataat, bsize, numbers ---- */

int sk_content__setup_isdataat(struct sk_rule_ctx *ctx, const struct sk_kw_arg *a)
{
    const char *v = a->value;
    struct sk_isdataat d = {0};
    if (*v == '!') {
        d.negated = true;
        v++;
    }
    char *end;
    if (!isdigit((unsigned char)*v))
        goto out_bad;
    long n = strtol(v, &end, 10);
    if (n < 0 || n > INT32_MAX)
        goto out_bad;
    while (isspace((unsigned char)*end))
        end++;
    if (*end == ',') {
        end++;
        while (isspace((unsigned char)*end))
            end++;
        if (strncmp(end, "relative", 8) != 0)
            goto out_bad;
        end += 8;
        while (isspace((unsigned char)*end))
            end++;
        d.relative = true;
    }
    if (*end)
        goto out_bad;
    d.pos = (int32_t)n;
    struct sk_match *m;
    int rc = sk_rule__add_match(ctx, SK_MATCH_ISDATAAT, &m);
    if (rc)
        return rc;
    m->u.isdataat = d;
    return 0;
out_bad:
    return sk_rule__fail(ctx, a->value_off, "invalid value for 'isdataat'",
                         "invalid value '%.40s' for 'isdataat'", a->value);
}

static int parse_u64(const char **p, uint64_t *out)
{
    const char *s = *p;
    while (isspace((unsigned char)*s))
        s++;
    if (!isdigit((unsigned char)*s))
        return -1;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    *out = v;
    while (isspace((unsigned char)*end))
        end++;
    *p = end;
    return 0;
}

int sk_content__parse_numcmp(struct sk_rule_ctx *ctx, const struct sk_kw_arg *a,
                             struct sk_numcmp *out)
{
    const char *p = a->value;
    struct sk_numcmp n = {.op = SK_NUM_EQ};
    while (isspace((unsigned char)*p))
        p++;
    if (p[0] == '<' && p[1] == '=') {
        n.op = SK_NUM_LE;
        p += 2;
    } else if (p[0] == '>' && p[1] == '=') {
        n.op = SK_NUM_GE;
        p += 2;
    } else if (p[0] == '!' && p[1] == '=') {
        n.op = SK_NUM_NE;
        p += 2;
    } else if (*p == '<' || *p == '>' || *p == '!' || *p == '=') {
        n.op = *p == '<' ? SK_NUM_LT : *p == '>' ? SK_NUM_GT : *p == '!' ? SK_NUM_NE : SK_NUM_EQ;
        p++;
    }
    if (parse_u64(&p, &n.a))
        goto out_bad;
    if (n.op == SK_NUM_EQ && (strncmp(p, "<>", 2) == 0 || *p == '-')) {
        p += *p == '-' ? 1 : 2;
        if (parse_u64(&p, &n.b) || n.b <= n.a)
            goto out_bad;
        n.op = SK_NUM_RANGE;
    }
    if (*p)
        goto out_bad;
    *out = n;
    return 0;
out_bad:;
    char reason[96];
    snprintf(reason, sizeof(reason), "invalid value for '%s'", a->name);
    return sk_rule__fail(ctx, a->value_off, reason, "invalid value '%.40s' for '%s'", a->value,
                         a->name);
}

static bool on_sticky_buffer(const struct sk_rule_ctx *ctx)
{
    if (ctx->cur_group < 0)
        return false;
    int b = ctx->rule->groups[ctx->cur_group].buffer;
    return b < SK_FIELD_COUNT || b == SK_BUF_BASE64_DATA || b == SK_BUF_SMTP_RESPONSE_LINE ||
           b == SK_BUF_SMTP_COMMAND_FRAME;
}

int sk_content__setup_bsize(struct sk_rule_ctx *ctx, const struct sk_kw_arg *a)
{
    if (!on_sticky_buffer(ctx))
        return sk_rule__fail(ctx, a->name_off, "bsize without sticky buffer",
                             "'bsize' needs a sticky buffer before it");
    struct sk_numcmp n;
    int rc = sk_content__parse_numcmp(ctx, a, &n);
    if (rc)
        return rc;
    struct sk_match *m;
    rc = sk_rule__add_match(ctx, SK_MATCH_BSIZE, &m);
    if (rc)
        return rc;
    m->u.num = n;
    return 0;
}

int sk_content__setup_reply_code(struct sk_rule_ctx *ctx, const struct sk_kw_arg *a)
{
    struct sk_numcmp n;
    int rc = sk_content__parse_numcmp(ctx, a, &n);
    if (rc)
        return rc;
    rc = sk_rule__open_group(ctx, SK_FIELD_SMTP_REPLY_CODE);
    if (rc)
        return rc;
    struct sk_match *m;
    rc = sk_rule__add_match(ctx, SK_MATCH_NUMBER, &m);
    if (rc)
        return rc;
    m->u.num = n;
    return 0;
}

/* ---- transforms, base64 ---- */

int sk_content__setup_transform(struct sk_rule_ctx *ctx, const struct sk_kw_arg *a)
{
    if (!on_sticky_buffer(ctx))
        return sk_rule__fail(ctx, a->name_off, "transform without sticky buffer",
                             "transform '%s' needs a sticky buffer before it", a->name);
    struct sk_buffer_group *g = &ctx->rule->groups[ctx->cur_group];
    if (g->n_matches)
        return sk_rule__fail(ctx, a->name_off, "transform after match",
                             "transform '%s' must come before the buffer's matches", a->name);
    if (g->n_transforms == SK_RULE_MAX_TRANSFORMS)
        return sk_rule__fail(ctx, a->name_off, "too many transforms",
                             "more than %d transforms on one buffer", SK_RULE_MAX_TRANSFORMS);
    if (a->value)
        sk_rule__warn(ctx, a->value_off, "transform options ignored",
                      "options of '%s' are not supported: ignored", a->name);
    g->transforms[g->n_transforms++] = (enum sk_transform)a->data;
    return 0;
}

int sk_content__setup_base64_decode(struct sk_rule_ctx *ctx, const struct sk_kw_arg *a)
{
    struct sk_base64_decode d = {0};
    if (a->value && *a->value) {
        char *copy = strdup(a->value);
        if (!copy)
            return SK_E_NOMEM;
        char *save = NULL;
        int rc = 0;
        for (char *t = strtok_r(copy, ",", &save); t && !rc; t = strtok_r(NULL, ",", &save)) {
            while (isspace((unsigned char)*t))
                t++;
            unsigned v;
            char tail;
            if (strchr(t, '-'))
                rc = sk_rule__fail(ctx, a->value_off + (size_t)(t - copy),
                                   "invalid value for 'base64_decode'",
                                   "invalid option '%.40s' for 'base64_decode'", t);
            else if (strncmp(t, "relative", 8) == 0 && !t[8 + strspn(t + 8, " \t")])
                d.relative = true;
            else if (sscanf(t, "bytes %u %c", &v, &tail) == 1 && v > 0)
                d.bytes = v;
            else if (sscanf(t, "offset %u %c", &v, &tail) == 1)
                d.offset = v;
            else
                rc = sk_rule__fail(ctx, a->value_off + (size_t)(t - copy),
                                   "invalid value for 'base64_decode'",
                                   "invalid option '%.40s' for 'base64_decode'", t);
        }
        free(copy);
        if (rc)
            return rc;
    }
    struct sk_match *m;
    int rc = sk_rule__add_match(ctx, SK_MATCH_BASE64_DECODE, &m);
    if (rc)
        return rc;
    m->u.b64 = d;
    return 0;
}

int sk_content__setup_base64_data(struct sk_rule_ctx *ctx, const struct sk_kw_arg *a)
{
    bool have = false;
    for (size_t i = 0; i < ctx->rule->n_groups; i++)
        for (size_t j = 0; j < ctx->rule->groups[i].n_matches; j++)
            have |= ctx->rule->groups[i].matches[j].kind == SK_MATCH_BASE64_DECODE;
    if (!have)
        return sk_rule__fail(ctx, a->name_off, "base64_data without base64_decode",
                             "'base64_data' needs a preceding base64_decode");
    return sk_rule__open_group(ctx, SK_BUF_BASE64_DATA);
}
