/* SPDX-License-Identifier: GPL-2.0-only */
/* `shrike explain`: one rule's conditions on one inspection, in order, with where a buffer
 * group stopped. A group of matches m1..mn is judged by asking the reference matcher about
 * the prefixes m1..mk: the first k that fails is the match that stopped it, and the shortest
 * start of the buffer on which m1..m(k-1) still hold is how far it got. */
#define PCRE2_CODE_UNIT_WIDTH 8

#include "rules/explain.h"

#include <ctype.h>
#include <pcre2.h>
#include <inttypes.h>
#include <string.h>

#include "engine/error.h"
#include "rules/match.h"
#include "rules/prefilter.h"
#include "rules/reference.h"

static const char *buffer_name(int b)
{
    if (b == SK_BUF_STREAM)
        return "stream";
    if (b == SK_BUF_SMTP_LINE)
        return "smtp line";
    if (b == SK_BUF_BASE64_DATA)
        return "base64_data";
    if (b == SK_BUF_SMTP_RESPONSE_LINE)
        return "smtp response line";
    if (b == SK_BUF_SMTP_COMMAND_FRAME)
        return "smtp command line frame";
    const struct sk_field_def *def = sk_field_def((enum sk_field_id)b);
    return def ? def->name : "?";
}

/* Bytes as a rule writes them: printable ASCII as is, the rest as |HH|. */
static void show_bytes(FILE *out, const uint8_t *p, size_t n)
{
    bool hex = false;
    for (size_t i = 0; i < n; i++) {
        bool plain = isprint(p[i]) && p[i] != '|' && p[i] != '"' && p[i] != '\\';
        if (plain) {
            if (hex)
                fputc('|', out);
            fputc(p[i], out);
        } else {
            fputs(hex ? " " : "|", out);
            fprintf(out, "%02X", p[i]);
        }
        hex = !plain;
    }
    if (hex)
        fputc('|', out);
}

static void show_mod(FILE *out, const char *name, int32_t v)
{
    if (v != SK_MOD_UNSET)
        fprintf(out, "; %s:%d", name, (int)v);
}

static const char *const numop_text[] = {
    [SK_NUM_EQ] = "=",  [SK_NUM_LT] = "<",  [SK_NUM_LE] = "<=",    [SK_NUM_GT] = ">",
    [SK_NUM_GE] = ">=", [SK_NUM_NE] = "!=", [SK_NUM_RANGE] = "<>",
};

static void show_numcmp(FILE *out, const struct sk_numcmp *c)
{
    if (c->op == SK_NUM_RANGE)
        fprintf(out, "%" PRIu64 "<>%" PRIu64, c->a, c->b);
    else if ((size_t)c->op < sizeof(numop_text) / sizeof(numop_text[0]))
        fprintf(out, "%s%" PRIu64, numop_text[c->op], c->a);
}

static void describe(FILE *out, const struct sk_match *m)
{
    switch (m->kind) {
    case SK_MATCH_CONTENT: {
        const struct sk_content *c = &m->u.content;
        fprintf(out, "content:%s\"", c->negated ? "!" : "");
        show_bytes(out, c->bytes, c->len);
        fputc('"', out);
        if (c->nocase)
            fputs("; nocase", out);
        if (c->startswith)
            fputs("; startswith", out);
        if (c->endswith)
            fputs("; endswith", out);
        show_mod(out, "offset", c->offset);
        show_mod(out, "depth", c->depth);
        show_mod(out, "distance", c->distance);
        show_mod(out, "within", c->within);
        break;
    }
    case SK_MATCH_PCRE:
        fprintf(out, "pcre:%s\"/%s/%s%s%s%s\"", m->u.pcre.negated ? "!" : "", m->u.pcre.pattern,
                (m->u.pcre.options & PCRE2_CASELESS) ? "i" : "",
                (m->u.pcre.options & PCRE2_DOTALL) ? "s" : "",
                (m->u.pcre.options & PCRE2_MULTILINE) ? "m" : "", m->u.pcre.relative ? "R" : "");
        break;
    case SK_MATCH_ISDATAAT:
        fprintf(out, "isdataat:%s%d%s", m->u.isdataat.negated ? "!" : "", (int)m->u.isdataat.pos,
                m->u.isdataat.relative ? ",relative" : "");
        break;
    case SK_MATCH_BSIZE:
        fputs("bsize:", out);
        show_numcmp(out, &m->u.num);
        break;
    case SK_MATCH_NUMBER:
        fputs("value ", out);
        show_numcmp(out, &m->u.num);
        break;
    case SK_MATCH_BASE64_DECODE:
        fprintf(out, "base64_decode:bytes %u,offset %u%s", (unsigned)m->u.b64.bytes,
                (unsigned)m->u.b64.offset, m->u.b64.relative ? ",relative" : "");
        break;
    case SK_MATCH_BYTE_TEST:
    case SK_MATCH_BYTE_JUMP:
    case SK_MATCH_BYTE_EXTRACT:
    case SK_MATCH_BYTE_MATH: {
        static const char *const names[] = {"byte_test", "byte_jump", "byte_extract", "byte_math"};
        fprintf(out, "%s:%u bytes at offset %lld%s", names[m->kind - SK_MATCH_BYTE_TEST],
                (unsigned)m->u.bytes.nbytes, (long long)m->u.bytes.offset.n,
                m->u.bytes.relative ? ",relative" : "");
        break;
    }
    default:
        fprintf(out, "match of kind %d", (int)m->kind);
        break;
    }
}

static int prefix_holds(const struct sk_buffer_group *g, const struct sk_buffer_group *data,
                        size_t k, const uint8_t *p, size_t len, bool *res)
{
    struct sk_buffer_group part = *g;
    part.n_matches = k;
    return sk_reference_group_b64(&part, data, p, len, res);
}

/* The first match (1-based) whose prefix fails on p[0..len), or n_matches + 1 when all hold. */
static int first_failing(const struct sk_buffer_group *g, const struct sk_buffer_group *data,
                         const uint8_t *p, size_t len, size_t *k_out)
{
    for (size_t k = 1; k <= g->n_matches; k++) {
        bool res = false;
        int rc = prefix_holds(g, data, k, p, len, &res);
        if (rc < 0)
            return rc;
        if (!res) {
            *k_out = k;
            return 0;
        }
    }
    *k_out = g->n_matches + 1;
    return 0;
}

/* The shortest start p[0..L) on which the first k matches hold (they hold on all of p). */
static int reached(const struct sk_buffer_group *g, const struct sk_buffer_group *data, size_t k,
                   const uint8_t *p, size_t len, size_t *out)
{
    size_t lo = 0, hi = len;
    if (k == 0) {
        *out = 0;
        return 0;
    }
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        bool res = false;
        int rc = prefix_holds(g, data, k, p, mid, &res);
        if (rc < 0)
            return rc;
        if (res)
            hi = mid;
        else
            lo = mid + 1;
    }
    *out = lo;
    return 0;
}

static int explain_bytes(const struct sk_rule *r, size_t gi, const struct sk_explain_group *v,
                         FILE *out, bool *holds)
{
    const struct sk_buffer_group *g = &r->groups[gi];
    const struct sk_buffer_group *data = sk_reference_data_group(r, gi);
    size_t best_k = 0, best_i = 0;
    int rc;

    if (v->n == 0) {
        fprintf(out, "    no value of %s in this inspection: FAILED\n", buffer_name(g->buffer));
        *holds = false;
        return 0;
    }
    for (size_t i = 0; i < v->n; i++) {
        size_t k;
        if ((rc = first_failing(g, data, v->p[i], v->len[i], &k)) < 0)
            return rc;
        if (k > best_k) {
            best_k = k;
            best_i = i;
        }
        if (k > g->n_matches)
            break;
    }
    const uint8_t *p = v->p[best_i];
    size_t len = v->len[best_i];
    if (v->n > 1)
        fprintf(out, "    value %zu of %zu (%zu bytes):\n", best_i + 1, v->n, len);
    else
        fprintf(out, "    %s%zu bytes:\n", v->is_stream ? "window of " : "", len);
    for (size_t m = 0; m < g->n_matches && m + 1 < best_k; m++) {
        fputs("      ", out);
        describe(out, &g->matches[m]);
        fputs(": matched\n", out);
    }
    *holds = best_k > g->n_matches;
    if (*holds)
        return 0;
    size_t at;
    if ((rc = reached(g, data, best_k - 1, p, len, &at)) < 0)
        return rc;
    fputs("      ", out);
    describe(out, &g->matches[best_k - 1]);
    fprintf(out, ": FAILED after offset %zu\n", at);
    for (size_t m = best_k; m < g->n_matches; m++) {
        fputs("      ", out);
        describe(out, &g->matches[m]);
        fputs(": not reached\n", out);
    }
    size_t from = at > 16 ? at - 16 : 0, to = at + 48 < len ? at + 48 : len;
    fprintf(out, "      bytes %zu..%zu: \"", from, to);
    show_bytes(out, p + from, to - from);
    fputs("\"\n", out);
    return 0;
}

static void cond(FILE *out, const char *what, bool ok, bool *holds)
{
    fprintf(out, "  %s: %s\n", what, ok ? "matched" : "FAILED");
    *holds = *holds && ok;
}

int sk_explain_rule(const struct sk_rule *r, const struct sk_explain_conds *c,
                    const struct sk_explain_group *groups, FILE *out, bool *holds)
{
    struct sk_fast_pattern fp;
    bool all = true;

    if (!c->has_fp) {
        fputs("  prefilter: none (no fast pattern): checked on every inspection of its buffers\n",
              out);
    } else if (sk_prefilter_choose(r, &fp)) {
        fprintf(out, "  prefilter: %s (fast pattern ",
                c->candidate ? "candidate" : "NOT a candidate");
        if (fp.regex) {
            fprintf(out, "/%s/", fp.regex);
        } else {
            fputc('"', out);
            show_bytes(out, fp.bytes, fp.len);
            fputc('"', out);
        }
        fprintf(out, " in %s %s)\n", buffer_name(r->groups[fp.group].buffer),
                c->candidate ? "seen" : "not seen");
    }
    if (r->proto == SK_PROTO_SMTP)
        cond(out, "app-layer protocol smtp", c->smtp_seen, &all);
    cond(out, "header (protocol, addresses, ports)", c->header, &all);
    if (r->flow_flags)
        cond(out, "flow", c->flow, &all);
    if (r->n_app_events)
        cond(out, "app-layer-event", c->app_events, &all);
    if (r->needs_starttls)
        cond(out, "smtp.starttls", c->starttls, &all);
    for (size_t i = 0; i < r->n_flowbits; i++) {
        if (r->flowbits[i].cmd == SK_FLOWBIT_ISSET || r->flowbits[i].cmd == SK_FLOWBIT_ISNOTSET) {
            cond(out, "flowbits", c->flowbits, &all);
            break;
        }
    }
    for (size_t gi = 0; gi < r->n_groups; gi++) {
        const struct sk_buffer_group *g = &r->groups[gi];
        const struct sk_explain_group *v = &groups[gi];
        bool ok = true;
        fprintf(out, "  %s:\n", buffer_name(g->buffer));
        if (g->buffer == SK_BUF_BASE64_DATA) {
            fputs("    judged with the base64_decode before it\n", out);
            continue;
        }
        if (v->num) {
            ok = false;
            for (size_t i = 0; i < v->n && !ok; i++)
                ok = sk_match_number(g, v->num[i]);
            fprintf(out, "    %zu value%s: %s\n", v->n, v->n == 1 ? "" : "s",
                    ok ? "matched" : "FAILED");
        } else if (v->p == NULL && v->len == NULL) {
            ok = v->flag;
            fprintf(out, "    %s\n", ok ? "raised: matched" : "not raised: FAILED");
        } else {
            int rc = explain_bytes(r, gi, v, out, &ok);
            if (rc < 0)
                return rc;
        }
        all = all && ok;
    }
    fprintf(out, "  result: %s\n",
            all ? "every condition holds (an alert, unless a threshold, noalert or a pass rule "
                  "keeps it back)"
                : "no match");
    *holds = all;
    return 0;
}
