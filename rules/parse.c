/* SPDX-License-Identifier: GPL-2.0-only */
/* The rule parser: `action proto src sport dir dst dport (name:value; ...)`. It splits
 * the header and the option list, keeping text offsets so every diagnostic points at the
 * offending keyword or value, and hands each option to its keyword's setup
 * (keywords.c). It also owns the parse state helpers the setups share. */
#include <ctype.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/error.h"
#include "rules/address.h"
#include "rules/parse.h"

/* ---- diagnostics and positions ---- */

void sk_rule__pos(const struct sk_rule_ctx *ctx, size_t off, unsigned *line, unsigned *col)
{
    *line = 0;
    *col = 0;
    for (size_t i = 0; i < ctx->n_segs; i++) {
        if (ctx->segs[i].off > off && i > 0)
            break;
        *line = ctx->segs[i].line;
        *col = ctx->segs[i].col + (unsigned)(off - ctx->segs[i].off);
    }
}

static int vfail(struct sk_rule_ctx *ctx, size_t off, const char *reason, const char *fmt,
                 va_list ap)
{
    if (ctx->failed)
        return SK_E_PARSE;
    ctx->failed = true;
    ctx->err_off = off;
    vsnprintf(ctx->msg, sizeof(ctx->msg), fmt, ap);
    const char *src = reason ? reason : ctx->msg;
    size_t n = strlen(src);
    if (n >= sizeof(ctx->reason))
        n = sizeof(ctx->reason) - 1;
    memcpy(ctx->reason, src, n);
    ctx->reason[n] = '\0';
    return SK_E_PARSE;
}

int sk_rule__fail(struct sk_rule_ctx *ctx, size_t off, const char *reason, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = vfail(ctx, off, reason, fmt, ap);
    va_end(ap);
    return rc;
}

int sk_rule__failm(struct sk_rule_ctx *ctx, size_t off, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = vfail(ctx, off, NULL, fmt, ap);
    va_end(ap);
    return rc;
}

void sk_rule__warn(struct sk_rule_ctx *ctx, size_t off, const char *reason, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    unsigned line, col;
    sk_rule__pos(ctx, off, &line, &col);
    struct sk_rule_diag d = {.file = ctx->file,
                             .line = line,
                             .col = col,
                             .sid = ctx->sid,
                             .warning = true,
                             .reason = reason ? reason : msg,
                             .msg = msg};
    sk_ruleset__report(ctx->rs, &d);
}

/* ---- groups and matches ---- */

/* A buffer selected and then left without a single match is a mistake in the rule (a
 * group without matches would match whenever the buffer exists). */
static int fail_empty_group(struct sk_rule_ctx *ctx)
{
    const char *p = ctx->text + ctx->group_off;
    size_t n = strcspn(p, "; \t");
    return sk_rule__fail(ctx, ctx->group_off, "sticky buffer without matches",
                         "sticky buffer '%.*s' has no matches", (int)(n > 40 ? 40 : n), p);
}

int sk_rule__open_group(struct sk_rule_ctx *ctx, int buffer)
{
    struct sk_rule *r = ctx->rule;
    if (ctx->cur_group >= 0) {
        struct sk_buffer_group *g = &r->groups[ctx->cur_group];
        if (g->buffer == buffer && g->n_matches == 0 && g->n_transforms == 0)
            return 0;
        if (g->n_matches == 0)
            return fail_empty_group(ctx);
    }
    struct sk_buffer_group *v = realloc(r->groups, (r->n_groups + 1) * sizeof(*v));
    if (!v)
        return SK_E_NOMEM;
    r->groups = v;
    memset(&v[r->n_groups], 0, sizeof(v[0]));
    v[r->n_groups].buffer = buffer;
    ctx->cur_group = (long)r->n_groups++;
    ctx->group_off = ctx->kw_off;
    return 0;
}

struct sk_buffer_group *sk_rule__group(struct sk_rule_ctx *ctx)
{
    if (ctx->cur_group < 0 && sk_rule__open_group(ctx, ctx->default_buffer))
        return NULL;
    return &ctx->rule->groups[ctx->cur_group];
}

int sk_rule__add_match(struct sk_rule_ctx *ctx, enum sk_match_kind kind, struct sk_match **out)
{
    struct sk_buffer_group *g = sk_rule__group(ctx);
    if (!g)
        return SK_E_NOMEM;
    struct sk_match *v = realloc(g->matches, (g->n_matches + 1) * sizeof(*v));
    if (!v)
        return SK_E_NOMEM;
    g->matches = v;
    struct sk_match *m = &v[g->n_matches++];
    memset(m, 0, sizeof(*m));
    m->kind = kind;
    *out = m;
    return 0;
}

/* ---- freeing ---- */

static void free_match(struct sk_match *m)
{
    switch (m->kind) {
    case SK_MATCH_CONTENT:
        free(m->u.content.bytes);
        break;
    case SK_MATCH_PCRE:
        free(m->u.pcre.pattern);
        pcre2_code_free((pcre2_code *)m->u.pcre.code);
        break;
    default:
        break;
    }
}

void sk_rule__free(struct sk_rule *r)
{
    if (!r)
        return;
    free(r->file);
    free(r->text);
    sk_addr_set_release(&r->src);
    sk_addr_set_release(&r->dst);
    sk_port_set_release(&r->sport);
    sk_port_set_release(&r->dport);
    free(r->msg);
    free(r->classtype);
    free(r->class_desc);
    for (size_t i = 0; i < r->n_metadata; i++)
        free(r->metadata[i]);
    free(r->metadata);
    for (size_t i = 0; i < r->n_references; i++) {
        free(r->references[i].system);
        free(r->references[i].id);
        free(r->references[i].url);
    }
    free(r->references);
    free(r->target);
    for (size_t i = 0; i < r->n_flowbits; i++)
        free(r->flowbits[i].ids);
    free(r->flowbits);
    free(r->app_events);
    free(r->filehash);
    for (size_t i = 0; i < r->n_groups; i++) {
        for (size_t j = 0; j < r->groups[i].n_matches; j++)
            free_match(&r->groups[i].matches[j]);
        free(r->groups[i].matches);
    }
    free(r->groups);
    free(r);
}

/* ---- the option list ---- */

struct opt {
    size_t name_off, name_len;
    size_t value_off, value_len;
    bool has_value;
};

/* True when the quoted value of o ends with a '"' of its own (not escaped, not the opening
 * one). */
static bool closing_quote(const char *t, const struct opt *o)
{
    size_t end = o->value_off + o->value_len;
    if (o->value_len < 2 || t[end - 1] != '"')
        return false;
    size_t bs = 0;
    while (end - 1 - bs > o->value_off && t[end - 2 - bs] == '\\')
        bs++;
    return bs % 2 == 0;
}

/* Snort 3: the quoted part may be followed by ",modifier...": is there a closing '"'? */
static bool quote_closed(const char *t, const struct opt *o)
{
    for (size_t i = o->value_off + 1; i < o->value_off + o->value_len; i++) {
        if (t[i] == '\\')
            i++;
        else if (t[i] == '"')
            return true;
    }
    return false;
}

/* Splits text[open+1 .. close) into options. A value runs to the first ';' not escaped
 * by a backslash, as in Suricata. Returns 0 or SK_E_PARSE (ctx failed). */
static int split_options(struct sk_rule_ctx *ctx, size_t open, size_t close, struct opt **out,
                         size_t *n_out)
{
    const char *t = ctx->text;
    struct opt *v = NULL;
    size_t n = 0, cap = 0;
    size_t i = open + 1;
    for (;;) {
        while (i < close && isspace((unsigned char)t[i]))
            i++;
        if (i >= close)
            break;
        struct opt o = {.name_off = i};
        while (i < close && t[i] != ':' && t[i] != ';')
            i++;
        size_t ne = i;
        while (ne > o.name_off && isspace((unsigned char)t[ne - 1]))
            ne--;
        o.name_len = ne - o.name_off;
        if (o.name_len == 0) {
            free(v);
            return sk_rule__fail(ctx, o.name_off, "empty option", "empty option");
        }
        if (i < close && t[i] == ':') {
            i++;
            while (i < close && isspace((unsigned char)t[i]))
                i++;
            o.has_value = true;
            o.value_off = i;
            while (i < close && t[i] != ';') {
                if (t[i] == '\\' && i + 1 < close)
                    i++;
                i++;
            }
            size_t ve = i;
            while (ve > o.value_off && isspace((unsigned char)t[ve - 1]))
                ve--;
            o.value_len = ve - o.value_off;
            if (o.value_len && t[o.value_off] == '"' &&
                !(ctx->snort3 ? quote_closed(t, &o) : closing_quote(t, &o))) {
                free(v);
                return sk_rule__fail(ctx, o.value_off, "unterminated quote",
                                     "unterminated quote in the value of '%.*s'", (int)o.name_len,
                                     t + o.name_off);
            }
        }
        if (i >= close) {
            free(v);
            return sk_rule__fail(ctx, o.name_off, "missing ';'", "missing ';' after option '%.*s'",
                                 (int)o.name_len, t + o.name_off);
        }
        i++; /* ';' */
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            struct opt *nv = realloc(v, cap * sizeof(*nv));
            if (!nv) {
                free(v);
                return SK_E_NOMEM;
            }
            v = nv;
        }
        v[n++] = o;
    }
    *out = v;
    *n_out = n;
    return 0;
}

static uint32_t prescan_sid(const char *t, const struct opt *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (v[i].name_len == 3 && memcmp(t + v[i].name_off, "sid", 3) == 0 && v[i].has_value) {
            unsigned long long s = strtoull(t + v[i].value_off, NULL, 10);
            return s <= UINT32_MAX ? (uint32_t)s : 0;
        }
    }
    return 0;
}

/* ---- the header ---- */

struct tok {
    size_t off, len;
};

/* Next whitespace-separated header token; brackets may contain spaces. */
static bool next_token(const char *t, size_t end, size_t *i, struct tok *tk)
{
    while (*i < end && isspace((unsigned char)t[*i]))
        (*i)++;
    if (*i >= end)
        return false;
    tk->off = *i;
    int depth = 0;
    while (*i < end && (depth > 0 || !isspace((unsigned char)t[*i]))) {
        if (t[*i] == '[')
            depth++;
        else if (t[*i] == ']' && depth > 0)
            depth--;
        (*i)++;
    }
    tk->len = *i - tk->off;
    return true;
}

static bool tok_is(const char *t, const struct tok *tk, const char *s)
{
    return tk->len == strlen(s) && memcmp(t + tk->off, s, tk->len) == 0;
}

static int parse_header(struct sk_rule_ctx *ctx, size_t open)
{
    static const char *const names[] = {"action",          "protocol",  "source address",
                                        "source port",     "direction", "destination address",
                                        "destination port"};
    const char *t = ctx->text;
    struct sk_rule *r = ctx->rule;
    struct tok tk[7];
    size_t i = 0;
    /* Snort 3's header-less form: `alert smtp (...)`, any addresses and ports */
    size_t pi = 0;
    struct tok probe;
    int n_tok = 0;
    while (n_tok < 3 && next_token(t, open, &pi, &probe))
        n_tok++;
    bool headerless = ctx->snort3 && n_tok == 2;
    for (int k = 0; k < 7; k++) {
        if (headerless && k >= 2) {
            tk[k] = tk[1]; /* implied `any any -> any any`, judged below */
            continue;
        }
        if (!next_token(t, open, &i, &tk[k]))
            return sk_rule__fail(ctx, open, "incomplete rule header",
                                 "incomplete rule header: missing %s", names[k]);
        int depth = 0;
        for (size_t j = tk[k].off; j < tk[k].off + tk[k].len; j++)
            depth += t[j] == '[' ? 1 : t[j] == ']' ? -1 : 0;
        if (depth > 0)
            return sk_rule__fail(ctx, tk[k].off, "invalid rule header", "unterminated '[' in %s",
                                 names[k]);
        if (k == 1) {
            /* the protocol decides early whether the rest is worth parsing */
            if (tok_is(t, &tk[1], "smtp"))
                r->proto = SK_PROTO_SMTP;
            else if (tok_is(t, &tk[1], "tcp"))
                r->proto = SK_PROTO_TCP;
            else if (tok_is(t, &tk[1], "ip"))
                r->proto = SK_PROTO_IP;
            else if (tok_is(t, &tk[1], "any"))
                r->proto = SK_PROTO_ANY;
            else {
                char reason[96];
                snprintf(reason, sizeof(reason), "unsupported protocol '%.*s'",
                         (int)(tk[1].len > 40 ? 40 : tk[1].len), t + tk[1].off);
                return sk_rule__fail(ctx, tk[1].off, reason, "%s", reason);
            }
        }
    }
    struct tok extra;
    if (next_token(t, open, &i, &extra))
        return sk_rule__fail(ctx, extra.off, "invalid rule header",
                             "unexpected '%.*s' before the option list",
                             (int)(extra.len > 40 ? 40 : extra.len), t + extra.off);

    if (tok_is(t, &tk[0], "alert")) {
        r->action = SK_ACTION_ALERT;
    } else if (tok_is(t, &tk[0], "pass")) {
        r->action = SK_ACTION_PASS;
    } else if (tok_is(t, &tk[0], "drop") || tok_is(t, &tk[0], "reject")) {
        r->action = SK_ACTION_ALERT;
        sk_rule__warn(ctx, tk[0].off, "drop/reject treated as alert",
                      "shrike is passive: '%.*s' treated as alert", (int)tk[0].len, t + tk[0].off);
    } else {
        return sk_rule__fail(ctx, tk[0].off, "unknown action", "unknown action '%.*s'",
                             (int)(tk[0].len > 40 ? 40 : tk[0].len), t + tk[0].off);
    }
    /* as Suricata, payload keywords without a sticky buffer inspect the flow's reassembled
     * stream for every protocol, smtp included (ET Open's smtp rules look into DATA that
     * way); SK_BUF_SMTP_LINE stays for the command/reply lines (smtp.command_line) */
    ctx->default_buffer = SK_BUF_STREAM;

    if (headerless)
        r->bidirectional = false;
    else if (tok_is(t, &tk[4], "->"))
        r->bidirectional = false;
    else if (tok_is(t, &tk[4], "<>"))
        r->bidirectional = true;
    else
        return sk_rule__fail(ctx, tk[4].off, "invalid direction", "invalid direction '%.*s'",
                             (int)(tk[4].len > 40 ? 40 : tk[4].len), t + tk[4].off);

    if (headerless) {
        r->src.any = r->dst.any = r->sport.any = r->dport.any = true;
        return 0;
    }
    int rc = sk_address_parse(ctx, t + tk[2].off, tk[2].len, tk[2].off, &r->src);
    if (!rc)
        rc = sk_address_parse_ports(ctx, t + tk[3].off, tk[3].len, tk[3].off, &r->sport);
    if (!rc)
        rc = sk_address_parse(ctx, t + tk[5].off, tk[5].len, tk[5].off, &r->dst);
    if (!rc)
        rc = sk_address_parse_ports(ctx, t + tk[6].off, tk[6].len, tk[6].off, &r->dport);
    return rc;
}

/* ---- the rule ---- */

static int finish_rule(struct sk_rule_ctx *ctx, size_t open)
{
    struct sk_rule *r = ctx->rule;
    if (r->sid == 0)
        return sk_rule__fail(ctx, open, "missing sid", "missing sid");
    if (ctx->cur_group >= 0 && r->groups[ctx->cur_group].n_matches == 0)
        return fail_empty_group(ctx);
    if (r->gid == 0)
        r->gid = 1;
    if (r->priority == 0)
        r->priority = 3;
    return 0;
}

int sk_rule__parse(struct sk_rule_ctx *ctx, struct sk_rule **out)
{
    const char *t = ctx->text;
    size_t len = strlen(t);
    struct opt *opts = NULL;
    size_t n_opts = 0;
    int rc;

    *out = NULL;
    ctx->cur_group = -1;
    ctx->last_group = -1;
    ctx->last_match = -1;

    struct sk_rule *r = calloc(1, sizeof(*r));
    if (!r)
        return SK_E_NOMEM;
    ctx->rule = r;

    const char *paren = memchr(t, '(', len);
    size_t open = paren ? (size_t)(paren - t) : len;
    size_t close = len;
    while (close > open + 1 && isspace((unsigned char)t[close - 1]))
        close--;
    bool closed = paren && close > open + 1 && t[close - 1] == ')';
    if (closed) {
        close--;
        /* split first only to learn the sid for diagnostics; errors are reported after
         * the header's */
        struct sk_rule_ctx probe = *ctx;
        if (split_options(&probe, open, close, &opts, &n_opts) == 0) {
            ctx->sid = prescan_sid(t, opts, n_opts);
        } else {
            opts = NULL;
            n_opts = 0;
        }
    }

    rc = parse_header(ctx, open);
    if (rc)
        goto out_free_rule;
    if (!paren) {
        rc = sk_rule__fail(ctx, len, "missing option list", "missing '(' and option list");
        goto out_free_rule;
    }
    if (!closed) {
        rc = sk_rule__fail(ctx, len, "missing ')'", "missing ')' at the end of the rule");
        goto out_free_rule;
    }
    if (!opts) {
        rc = split_options(ctx, open, close, &opts, &n_opts);
        if (rc)
            goto out_free_rule;
    }

    for (size_t i = 0; i < n_opts; i++) {
        const struct opt *o = &opts[i];
        char *value = NULL;
        if (o->has_value) {
            value = strndup(t + o->value_off, o->value_len);
            if (!value) {
                rc = SK_E_NOMEM;
                goto out_free_rule;
            }
        }
        rc = ctx->snort3 ? sk_snort3__apply(ctx, t + o->name_off, o->name_len, value, o->name_off,
                                            o->value_off)
                         : sk_keyword__apply(ctx, t + o->name_off, o->name_len, value, o->name_off,
                                             o->value_off);
        free(value);
        if (rc || ctx->failed) {
            if (!rc)
                rc = SK_E_PARSE;
            goto out_free_rule;
        }
    }
    rc = finish_rule(ctx, open);
    if (rc)
        goto out_free_rule;

    r->file = strdup(ctx->file ? ctx->file : "-");
    r->text = strdup(t);
    if (!r->file || !r->text) {
        rc = SK_E_NOMEM;
        goto out_free_rule;
    }
    unsigned col;
    sk_rule__pos(ctx, 0, &r->line, &col);
    free(opts);
    *out = r;
    ctx->rule = NULL;
    return 0;

out_free_rule:
    free(opts);
    sk_rule__free(r);
    ctx->rule = NULL;
    if (rc != SK_E_NOMEM && !ctx->failed)
        sk_rule__failm(ctx, 0, "%s", sk_strerror(rc));
    return rc;
}
