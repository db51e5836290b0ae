/* SPDX-License-Identifier: GPL-2.0-only */
/* Parsing byte_test, byte_jump, byte_extract, byte_math (evaluated in bytes.c) and the
 * packet and stream conditions dsize, flags and stream_size, with Suricata's syntax. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/error.h"
#include "rules/parse.h"

/* ---- parsing ---- */

int sk_bytes__var(const struct sk_rule_ctx *ctx, long group, const char *name, size_t len)
{
    for (size_t i = 0; i < ctx->n_vars; i++)
        if (ctx->var_group[i] == group && strlen(ctx->var_names[i]) == len &&
            memcmp(ctx->var_names[i], name, len) == 0)
            return (int)i;
    return -1;
}

struct tokens {
    size_t n;
    char *t[16];
    size_t off[16]; /* text offset of each token */
};

static int bad(struct sk_rule_ctx *ctx, const struct sk_kw_arg *a, size_t off, const char *what)
{
    char reason[96];
    snprintf(reason, sizeof(reason), "invalid value for '%s'", a->name);
    return sk_rule__fail(ctx, off, reason, "%s in '%s'", what, a->name);
}

/* Splits a->value at commas into trimmed tokens (in buf). */
static int split(struct sk_rule_ctx *ctx, const struct sk_kw_arg *a, char *buf, size_t cap,
                 struct tokens *tk)
{
    size_t n = strlen(a->value);
    if (n >= cap)
        return bad(ctx, a, a->value_off, "value too long");
    memcpy(buf, a->value, n + 1);
    tk->n = 0;
    char *p = buf;
    for (;;) {
        char *e = strchr(p, ',');
        if (e)
            *e = '\0';
        while (isspace((unsigned char)*p))
            p++;
        char *t = p + strlen(p);
        while (t > p && isspace((unsigned char)t[-1]))
            *--t = '\0';
        if (tk->n == 16)
            return bad(ctx, a, a->value_off, "too many options");
        tk->off[tk->n] = a->value_off + (size_t)(p - buf);
        tk->t[tk->n++] = p;
        if (!e)
            break;
        p = e + 1;
    }
    return 0;
}

static bool parse_int(const char *s, int64_t min, int64_t max, int64_t *out)
{
    char *end;
    if (!*s)
        return false;
    long long v = strtoll(s, &end, 0);
    if (*end || v < min || v > max)
        return false;
    *out = v;
    return true;
}

/* A number or a variable of the current group. */
static int parse_value(struct sk_rule_ctx *ctx, const struct sk_kw_arg *a, const char *s,
                       size_t off, int64_t min, int64_t max, struct sk_byte_value *out)
{
    if (isalpha((unsigned char)*s) || *s == '_') {
        int v = sk_bytes__var(ctx, ctx->cur_group, s, strlen(s));
        if (v < 0)
            return sk_rule__fail(ctx, off, "unknown byte variable",
                                 "'%.31s' is not a byte_extract/byte_math variable of this buffer",
                                 s);
        out->var = (uint8_t)(v + 1);
        return 0;
    }
    if (!parse_int(s, min, max, &out->n))
        return bad(ctx, a, off, "invalid number");
    return 0;
}

/* Options shared by the four keywords. Returns 1 when tok was one, 0 when not, <0 error. */
static int common_opt(struct sk_rule_ctx *ctx, const struct sk_kw_arg *a, const char *tok,
                      size_t off, struct sk_bytes *b, bool *string)
{
    if (strcmp(tok, "relative") == 0)
        b->relative = true;
    else if (strcmp(tok, "big") == 0 || strcmp(tok, "endian big") == 0)
        b->little = false;
    else if (strcmp(tok, "little") == 0 || strcmp(tok, "endian little") == 0)
        b->little = true;
    else if (strcmp(tok, "string") == 0)
        *string = true;
    else if (strcmp(tok, "hex") == 0 || strcmp(tok, "string hex") == 0)
        b->base = 16, *string = true;
    else if (strcmp(tok, "dec") == 0 || strcmp(tok, "string dec") == 0)
        b->base = 10, *string = true;
    else if (strcmp(tok, "oct") == 0 || strcmp(tok, "string oct") == 0)
        b->base = 8, *string = true;
    else if (strcmp(tok, "dce") == 0)
        return sk_rule__fail(ctx, off, "unsupported option 'dce'",
                             "'dce' in '%s' is for DCE/RPC, which shrike does not parse", a->name);
    else if (strncmp(tok, "bitmask ", 8) == 0) {
        char *end;
        unsigned long long m = strtoull(tok + 8, &end, 16);
        if (*end || m == 0)
            return bad(ctx, a, off, "invalid bitmask");
        b->bitmask = m;
    } else
        return 0;
    return 1;
}

static int new_var(struct sk_rule_ctx *ctx, const struct sk_kw_arg *a, const char *name, size_t off,
                   uint8_t *out)
{
    if (!isalpha((unsigned char)*name) || strlen(name) >= sizeof(ctx->var_names[0]))
        return bad(ctx, a, off, "invalid variable name");
    int v = sk_bytes__var(ctx, ctx->cur_group, name, strlen(name));
    if (v < 0) {
        if (ctx->n_vars == SK_BYTE_MAX_VARS)
            return bad(ctx, a, off, "too many variables");
        v = (int)ctx->n_vars++;
        snprintf(ctx->var_names[v], sizeof(ctx->var_names[v]), "%s", name);
        ctx->var_group[v] = ctx->cur_group;
    }
    *out = (uint8_t)v;
    return 0;
}

static int parse_test_op(const char *s, struct sk_bytes *b)
{
    if (*s == '!') {
        b->negated = true;
        s++;
        if (*s == '\0') { /* "!" alone: not equal */
            b->op = SK_BYTEOP_EQ;
            return 0;
        }
    }
    static const struct {
        const char *s;
        uint8_t op;
    } ops[] = {{"<=", SK_BYTEOP_LE}, {">=", SK_BYTEOP_GE}, {"<", SK_BYTEOP_LT}, {">", SK_BYTEOP_GT},
               {"=", SK_BYTEOP_EQ},  {"&", SK_BYTEOP_AND}, {"^", SK_BYTEOP_XOR}};
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
        if (strcmp(s, ops[i].s) == 0) {
            b->op = ops[i].op;
            return 0;
        }
    return -1;
}

static int parse_math_op(const char *s, struct sk_bytes *b)
{
    static const char *const ops[] = {"+", "-", "*", "/", "<<", ">>"};
    for (size_t i = 0; i < 6; i++)
        if (strcmp(s, ops[i]) == 0) {
            b->op = (uint8_t)(SK_BYTEOP_ADD + i);
            return 0;
        }
    return -1;
}

int sk_bytes__setup(struct sk_rule_ctx *ctx, const struct sk_kw_arg *a)
{
    char buf[512];
    struct tokens tk;
    int rc = split(ctx, a, buf, sizeof(buf), &tk);
    if (rc)
        return rc;
    enum sk_match_kind kind = (enum sk_match_kind)a->data;
    struct sk_bytes b = {0};
    if (sk_rule__group(ctx) == NULL) /* variables belong to the group: open it first */
        return SK_E_NOMEM;
    bool string = false;
    size_t first_opt;
    int64_t n;
    if (kind == SK_MATCH_BYTE_MATH) {
        bool have[5] = {0};
        for (size_t i = 0; i < tk.n; i++) {
            char *t = tk.t[i], *sp = strchr(t, ' ');
            char *v = sp ? sp + 1 : t + strlen(t);
            while (isspace((unsigned char)*v))
                v++;
            size_t klen = sp ? (size_t)(sp - t) : strlen(t);
            if (klen == 5 && strncmp(t, "bytes", 5) == 0) {
                if (!parse_int(v, 1, 10, &n))
                    return bad(ctx, a, tk.off[i], "bytes must be 1..10");
                b.nbytes = (uint8_t)n;
                have[0] = true;
            } else if (klen == 6 && strncmp(t, "offset", 6) == 0) {
                if ((rc = parse_value(ctx, a, v, tk.off[i], -65535, 65535, &b.offset)))
                    return rc;
                have[1] = true;
            } else if (klen == 4 && strncmp(t, "oper", 4) == 0) {
                if (parse_math_op(v, &b))
                    return bad(ctx, a, tk.off[i], "oper must be + - * / << >>");
                have[2] = true;
            } else if (klen == 6 && strncmp(t, "rvalue", 6) == 0) {
                if ((rc = parse_value(ctx, a, v, tk.off[i], 0, UINT32_MAX, &b.value)))
                    return rc;
                have[3] = true;
            } else if (klen == 6 && strncmp(t, "result", 6) == 0) {
                if ((rc = new_var(ctx, a, v, tk.off[i], &b.result)))
                    return rc;
                have[4] = true;
            } else if ((rc = common_opt(ctx, a, t, tk.off[i], &b, &string)) <= 0) {
                return rc < 0 ? rc : bad(ctx, a, tk.off[i], "unknown option");
            }
        }
        for (int i = 0; i < 5; i++)
            if (!have[i])
                return bad(ctx, a, a->value_off, "needs bytes, offset, oper, rvalue and result");
        first_opt = tk.n;
    } else {
        size_t need = kind == SK_MATCH_BYTE_TEST ? 4 : kind == SK_MATCH_BYTE_EXTRACT ? 3 : 2;
        if (tk.n < need)
            return bad(ctx, a, a->value_off, "too few arguments");
        if (!parse_int(tk.t[0], 1, 23, &n))
            return bad(ctx, a, tk.off[0], "invalid number of bytes");
        b.nbytes = (uint8_t)n;
        size_t oi = kind == SK_MATCH_BYTE_TEST ? 3 : 1;
        if ((rc = parse_value(ctx, a, tk.t[oi], tk.off[oi], -65535, 65535, &b.offset)))
            return rc;
        if (kind == SK_MATCH_BYTE_TEST) {
            if (parse_test_op(tk.t[1], &b))
                return bad(ctx, a, tk.off[1], "invalid operator");
            if ((rc = parse_value(ctx, a, tk.t[2], tk.off[2], 0, INT64_MAX, &b.value)))
                return rc;
        }
        first_opt = need;
    }
    for (size_t i = first_opt; i < tk.n; i++) {
        const char *t = tk.t[i];
        int64_t v;
        if ((rc = common_opt(ctx, a, t, tk.off[i], &b, &string)) < 0)
            return rc;
        if (rc == 1)
            continue;
        if (kind != SK_MATCH_BYTE_TEST && strncmp(t, "multiplier ", 11) == 0 &&
            parse_int(t + 11, 1, 65535, &v))
            b.multiplier = (uint32_t)v;
        else if (kind == SK_MATCH_BYTE_JUMP && strcmp(t, "align") == 0)
            b.align = true;
        else if (kind == SK_MATCH_BYTE_JUMP && strcmp(t, "from_beginning") == 0)
            b.from_beginning = true;
        else if (kind == SK_MATCH_BYTE_JUMP && strcmp(t, "from_end") == 0)
            b.from_end = true;
        else if (kind == SK_MATCH_BYTE_JUMP && strncmp(t, "post_offset ", 12) == 0 &&
                 parse_int(t + 12, -65535, 65535, &v))
            b.post_offset = (int32_t)v;
        else if (kind == SK_MATCH_BYTE_EXTRACT && strncmp(t, "align ", 6) == 0 &&
                 parse_int(t + 6, 2, 4, &v) && v != 3)
            b.align_to = (uint8_t)v;
        else
            return bad(ctx, a, tk.off[i], "unknown or invalid option");
    }
    if (b.from_beginning && b.from_end)
        return bad(ctx, a, a->value_off, "from_beginning and from_end together");
    if (string && b.base == 0)
        b.base = 10;
    if (!string && b.nbytes > 8)
        return bad(ctx, a, tk.off[0], "more than 8 bytes without 'string'");
    if (string && b.nbytes > 20 && kind != SK_MATCH_BYTE_TEST)
        return bad(ctx, a, tk.off[0], "more than 20 bytes");
    if (kind == SK_MATCH_BYTE_EXTRACT && (rc = new_var(ctx, a, tk.t[2], tk.off[2], &b.result)))
        return rc;
    struct sk_match *m;
    if ((rc = sk_rule__add_match(ctx, kind, &m)) != 0)
        return rc;
    m->u.bytes = b;
    return 0;
}

/* ---- dsize, flags, stream_size ---- */

int sk_bytes__setup_dsize(struct sk_rule_ctx *ctx, const struct sk_kw_arg *a)
{
    struct sk_rule *r = ctx->rule;
    if (r->has_dsize)
        return sk_rule__fail(ctx, a->name_off, "keyword given twice", "'dsize' given twice");
    int rc = sk_content__parse_numcmp(ctx, a, &r->dsize);
    r->has_dsize = rc == 0;
    return rc;
}

static int flag_bit(char c)
{
    switch (toupper((unsigned char)c)) {
    case 'F':
        return 0x01;
    case 'S':
        return 0x02;
    case 'R':
        return 0x04;
    case 'P':
        return 0x08;
    case 'A':
        return 0x10;
    case 'U':
        return 0x20;
    case 'E':
    case '2':
        return 0x40;
    case 'C':
    case '1':
        return 0x80;
    case '0':
        return 0;
    }
    return -1;
}

/* flags:[modifier]FLAGS[,MASK], modifier + (these and maybe others), * (any of these),
 * ! (none of these); 0 is no flag set. */
int sk_bytes__setup_flags(struct sk_rule_ctx *ctx, const struct sk_kw_arg *a)
{
    struct sk_tcpflags f = {.set = true};
    const char *p = a->value;
    if (ctx->rule->flags.set)
        return sk_rule__fail(ctx, a->name_off, "keyword given twice", "'flags' given twice");
    for (; *p && *p != ','; p++) {
        if (isspace((unsigned char)*p))
            continue;
        if (*p == '+' || *p == '*' || *p == '!') {
            if (f.mod)
                return bad(ctx, a, a->value_off + (size_t)(p - a->value), "two modifiers");
            f.mod = *p;
            continue;
        }
        int bit = flag_bit(*p);
        if (bit < 0)
            return bad(ctx, a, a->value_off + (size_t)(p - a->value), "unknown flag");
        f.bits |= (uint8_t)bit;
    }
    if (*p == ',') {
        for (p++; *p; p++) {
            if (isspace((unsigned char)*p))
                continue;
            int bit = flag_bit(*p);
            if (bit <= 0)
                return bad(ctx, a, a->value_off + (size_t)(p - a->value), "unknown mask flag");
            f.mask |= (uint8_t)bit;
        }
    }
    ctx->rule->flags = f;
    return 0;
}

/* stream_size:<server|client|both|either>,<op>,<N> */
int sk_bytes__setup_stream_size(struct sk_rule_ctx *ctx, const struct sk_kw_arg *a)
{
    char buf[128];
    struct tokens tk;
    int rc = split(ctx, a, buf, sizeof(buf), &tk);
    if (rc)
        return rc;
    if (tk.n != 3)
        return bad(ctx, a, a->value_off, "needs side, operator and size");
    static const char *const sides[] = {"server", "client", "both", "either"};
    struct sk_stream_size s = {.set = true, .side = SK_SS_EITHER + 1};
    for (int i = 0; i < 4; i++)
        if (strcmp(tk.t[0], sides[i]) == 0)
            s.side = (enum sk_stream_side)i;
    if ((int)s.side > SK_SS_EITHER)
        return bad(ctx, a, tk.off[0], "side must be server, client, both or either");
    static const struct {
        const char *s;
        enum sk_numop op;
    } ops[] = {{"<", SK_NUM_LT},  {"<=", SK_NUM_LE}, {">", SK_NUM_GT},
               {">=", SK_NUM_GE}, {"=", SK_NUM_EQ},  {"!=", SK_NUM_NE}};
    bool found = false;
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
        if (strcmp(tk.t[1], ops[i].s) == 0) {
            s.cmp.op = ops[i].op;
            found = true;
        }
    if (!found)
        return bad(ctx, a, tk.off[1], "invalid operator");
    int64_t n;
    if (!parse_int(tk.t[2], 0, INT64_MAX, &n))
        return bad(ctx, a, tk.off[2], "invalid size");
    s.cmp.a = (uint64_t)n;
    ctx->rule->stream_size = s;
    return 0;
}
