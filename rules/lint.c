/* SPDX-License-Identifier: GPL-2.0-only */
/* Warnings for rules that load but will be slow or can never match, given under -T
 * (struct sk_ruleset_config.lint) at the keyword's FILE:LINE:COL: a content longer than
 * bsize allows, a case that a transform rules out, an empty range, no fast pattern, a one- or
 * two-byte fast pattern on a stream, an unanchored pcre on a stream. (A content longer than
 * its depth or within is already an error of the parser.) The rule is judged as parsed;
 * nothing here changes how it matches. */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <ctype.h>
#include <pcre2.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "rules/parse.h"
#include "rules/prefilter.h"
#include "rules/ruleset.h"

/* The text offset of the nth (0-based) option named kw in the rule text, or (size_t)-1.
 * Options run from '(' to ')', separated by ';' outside double quotes (a backslash escapes
 * the next byte). */
static size_t option_offset(const char *text, const char *kw, size_t nth)
{
    const char *p = strchr(text, '(');
    size_t kl = strlen(kw);
    if (!p)
        return (size_t)-1;
    for (p++; *p;) {
        while (*p == ' ' || *p == '\t')
            p++;
        const char *start = p;
        if (strncmp(p, kw, kl) == 0 && (p[kl] == ':' || p[kl] == ';' || p[kl] == ' ')) {
            if (nth == 0)
                return (size_t)(start - text);
            nth--;
        }
        bool quoted = false;
        for (; *p && (quoted || *p != ';'); p++) {
            if (*p == '\\' && p[1])
                p++;
            else if (*p == '"')
                quoted = !quoted;
        }
        if (*p == ';')
            p++;
    }
    return (size_t)-1;
}

struct lint {
    struct sk_ruleset *rs;
    const struct sk_rule_ctx *ctx;
    const struct sk_rule *r;
};

static void warn(const struct lint *l, size_t off, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void warn(const struct lint *l, size_t off, const char *reason, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    unsigned line = l->r->line, col = 0;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (off != (size_t)-1)
        sk_rule__pos(l->ctx, off, &line, &col);
    struct sk_rule_diag d = {.file = l->ctx->file,
                             .line = line,
                             .col = col,
                             .sid = l->r->sid,
                             .warning = true,
                             .reason = reason,
                             .msg = msg};
    sk_ruleset__report(l->rs, &d);
}

/* A printable rendering of a content for messages: at most 24 bytes, others as |HH|. */
static void show(const uint8_t *b, size_t len, char *out, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < len && i < 24 && o + 5 < n; i++) {
        if (isprint(b[i]) && b[i] != '|' && b[i] != '"')
            out[o++] = (char)b[i];
        else
            o += (size_t)snprintf(out + o, n - o, "|%02X|", b[i]);
    }
    if (len > 24 && o + 4 < n) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
}

static const char *buffer_name(int b)
{
    if (b == SK_BUF_STREAM)
        return "the TCP stream";
    if (b == SK_BUF_SMTP_LINE)
        return "each SMTP line";
    if (b == SK_BUF_BASE64_DATA)
        return "base64_data";
    if (b == SK_BUF_SMTP_RESPONSE_LINE)
        return "each SMTP reply line";
    if (b == SK_BUF_SMTP_COMMAND_FRAME)
        return "each SMTP command line";
    const struct sk_field_def *def = sk_field_def((enum sk_field_id)b);
    return def ? def->name : "?";
}

static bool is_stream(int b)
{
    if (b == SK_BUF_STREAM)
        return true;
    if (b >= SK_FIELD_COUNT)
        return false;
    const struct sk_field_def *def = sk_field_def((enum sk_field_id)b);
    return def && def->kind == SK_FIELD_STREAM;
}

/* The largest buffer size bsize allows, or UINT64_MAX. */
static uint64_t bsize_max(const struct sk_numcmp *c)
{
    switch (c->op) {
    case SK_NUM_EQ:
    case SK_NUM_LE:
        return c->a;
    case SK_NUM_LT:
        return c->a ? c->a - 1 : 0;
    case SK_NUM_RANGE:
        return c->b ? c->b - 1 : 0;
    default:
        return UINT64_MAX;
    }
}

static void lint_group(const struct lint *l, const struct sk_buffer_group *g, size_t *n_content,
                       size_t *n_pcre, size_t *n_bsize)
{
    bool lower = false, upper = false;
    for (size_t t = 0; t < g->n_transforms; t++) {
        lower = g->transforms[t] == SK_XFORM_TO_LOWERCASE ||
                (lower && g->transforms[t] != SK_XFORM_TO_UPPERCASE);
        upper = g->transforms[t] == SK_XFORM_TO_UPPERCASE ||
                (upper && g->transforms[t] != SK_XFORM_TO_LOWERCASE);
    }
    uint64_t max_size = UINT64_MAX;
    size_t bsize_off = (size_t)-1;
    for (size_t m = 0; m < g->n_matches; m++)
        if (g->matches[m].kind == SK_MATCH_BSIZE && bsize_max(&g->matches[m].u.num) < max_size)
            max_size = bsize_max(&g->matches[m].u.num);
    bool content_before = false;
    for (size_t m = 0; m < g->n_matches; m++) {
        const struct sk_match *mt = &g->matches[m];
        if (mt->kind == SK_MATCH_CONTENT) {
            const struct sk_content *c = &mt->u.content;
            size_t off = option_offset(l->ctx->text, "content", (*n_content)++);
            char shown[160];
            show(c->bytes, c->len, shown, sizeof(shown));
            if (!c->negated && max_size != UINT64_MAX &&
                (uint64_t)c->len + (c->offset > 0 ? (uint64_t)c->offset : 0) > max_size)
                warn(l, off, "content longer than bsize allows",
                     "content '%s' needs %zu bytes but bsize allows at most %llu: the rule never "
                     "matches",
                     shown, c->len + (size_t)(c->offset > 0 ? c->offset : 0),
                     (unsigned long long)max_size);
            if (!c->negated && !c->nocase && (lower || upper)) {
                for (size_t i = 0; i < c->len; i++) {
                    if ((lower && isupper(c->bytes[i])) || (upper && islower(c->bytes[i]))) {
                        warn(l, off, "content case ruled out by a transform",
                             "content '%s' has %s letters but the buffer is transformed %s: "
                             "the rule never matches (add nocase or change the content)",
                             shown, lower ? "upper-case" : "lower-case",
                             lower ? "to_lowercase" : "to_uppercase");
                        break;
                    }
                }
            }
            content_before = content_before || !c->negated;
        } else if (mt->kind == SK_MATCH_PCRE) {
            const struct sk_pcre *p = &mt->u.pcre;
            size_t off = option_offset(l->ctx->text, "pcre", (*n_pcre)++);
            bool anchored = p->pattern[0] == '^' || (p->options & PCRE2_ANCHORED) ||
                            strncmp(p->pattern, "\\A", 2) == 0;
            if (is_stream(g->buffer) && !p->relative && !p->negated && !anchored && !content_before)
                warn(l, off, "unanchored pcre on a stream buffer",
                     "pcre '/%.60s/' on %s has no anchor and no content before it: it is tried "
                     "at every offset of up to detect.stream-window bytes on each inspection",
                     p->pattern, buffer_name(g->buffer));
        } else if (mt->kind == SK_MATCH_BSIZE || mt->kind == SK_MATCH_NUMBER) {
            const struct sk_numcmp *c = &mt->u.num;
            if (mt->kind == SK_MATCH_BSIZE)
                bsize_off = option_offset(l->ctx->text, "bsize", (*n_bsize)++);
            if (c->op == SK_NUM_RANGE && c->a + 1 >= c->b)
                warn(l, mt->kind == SK_MATCH_BSIZE ? bsize_off : (size_t)-1, "empty range",
                     "range %llu-%llu holds no number (both ends are excluded): the rule never "
                     "matches",
                     (unsigned long long)c->a, (unsigned long long)c->b);
        }
    }
}

void sk_rule__lint(struct sk_ruleset *rs, const struct sk_rule_ctx *ctx, const struct sk_rule *r)
{
    struct lint l = {.rs = rs, .ctx = ctx, .r = r};
    size_t n_content = 0, n_pcre = 0, n_bsize = 0;
    bool inspects = false; /* some group checks bytes: content, pcre */
    int stream_buffer = -1;

    for (size_t g = 0; g < r->n_groups; g++) {
        lint_group(&l, &r->groups[g], &n_content, &n_pcre, &n_bsize);
        for (size_t m = 0; m < r->groups[g].n_matches; m++) {
            enum sk_match_kind k = r->groups[g].matches[m].kind;
            if (k == SK_MATCH_CONTENT || k == SK_MATCH_PCRE)
                inspects = true;
        }
        if (is_stream(r->groups[g].buffer) && stream_buffer < 0)
            stream_buffer = r->groups[g].buffer;
    }
    struct sk_fast_pattern fp;
    if (!sk_prefilter_choose(r, &fp)) {
        size_t c0 = option_offset(ctx->text, "content", 0);
        size_t p0 = option_offset(ctx->text, "pcre", 0);
        if (inspects)
            warn(&l, c0 < p0 ? c0 : p0, "no fast pattern",
                 "no fast pattern (no positive content, nor a pcre Hyperscan can prefilter): "
                 "the rule is confirmed on every inspection of its buffers");
        return;
    }
    const struct sk_buffer_group *fg = &r->groups[fp.group];
    if (!fp.regex && fp.len < 3 && is_stream(fg->buffer)) {
        char shown[160];
        show(fp.bytes, fp.len, shown, sizeof(shown));
        size_t nth = 0;
        for (size_t g = 0; g <= fp.group; g++)
            for (size_t m = 0; m < r->groups[g].n_matches && (g < fp.group || m < fp.match); m++)
                nth += r->groups[g].matches[m].kind == SK_MATCH_CONTENT;
        warn(&l, option_offset(ctx->text, "content", nth), "short fast pattern on a stream",
             "fast pattern '%s' is %zu byte%s on %s: it occurs in most traffic, so the rule is "
             "confirmed on most chunks",
             shown, fp.len, fp.len == 1 ? "" : "s", buffer_name(fg->buffer));
    }
}
