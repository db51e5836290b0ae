/* SPDX-License-Identifier: GPL-2.0-only */
/* Hand-built rules for the detection tests, and the FAKE rule set that stands in for
 * rules/ruleset.c in this branch. Test-only: never linked into libshrike. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "tests/unit/rule_builder.h"

#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *xcalloc(size_t n, size_t sz)
{
    void *p = calloc(n ? n : 1, sz);
    if (p == NULL)
        abort();
    return p;
}

static void *xrealloc(void *p, size_t sz)
{
    p = realloc(p, sz);
    if (p == NULL)
        abort();
    return p;
}

static char *xstrdup(const char *s)
{
    char *d = xcalloc(strlen(s) + 1, 1);
    memcpy(d, s, strlen(s));
    return d;
}

struct sk_rule *rb_rule_new(uint32_t sid)
{
    char msg[32];
    struct sk_rule *r = xcalloc(1, sizeof(*r));
    snprintf(msg, sizeof(msg), "sid %u", sid);
    r->action = SK_ACTION_ALERT;
    r->proto = SK_PROTO_SMTP;
    r->src.any = r->dst.any = true;
    r->sport.any = r->dport.any = true;
    r->gid = 1;
    r->sid = sid;
    r->rev = 1;
    r->msg = xstrdup(msg);
    r->priority = 3;
    return r;
}

static void match_free(struct sk_match *m)
{
    if (m->kind == SK_MATCH_CONTENT)
        free(m->u.content.bytes);
    if (m->kind == SK_MATCH_PCRE) {
        free(m->u.pcre.pattern);
        pcre2_code_free(m->u.pcre.code);
    }
}

void rb_rule_free(struct sk_rule *r)
{
    if (r == NULL)
        return;
    for (size_t g = 0; g < r->n_groups; g++) {
        for (size_t m = 0; m < r->groups[g].n_matches; m++)
            match_free(&r->groups[g].matches[m]);
        free(r->groups[g].matches);
    }
    free(r->groups);
    for (size_t i = 0; i < r->n_flowbits; i++)
        free(r->flowbits[i].ids);
    free(r->flowbits);
    free(r->app_events);
    free(r->msg);
    free(r);
}

struct sk_buffer_group *rb_group(struct sk_rule *r, int buffer)
{
    r->groups = xrealloc(r->groups, (r->n_groups + 1) * sizeof(*r->groups));
    struct sk_buffer_group *g = &r->groups[r->n_groups++];
    memset(g, 0, sizeof(*g));
    g->buffer = buffer;
    return g;
}

static struct sk_match *append(struct sk_buffer_group *g, enum sk_match_kind kind)
{
    g->matches = xrealloc(g->matches, (g->n_matches + 1) * sizeof(*g->matches));
    struct sk_match *m = &g->matches[g->n_matches++];
    memset(m, 0, sizeof(*m));
    m->kind = kind;
    return m;
}

struct sk_content *rb_content_bytes(struct sk_buffer_group *g, const uint8_t *b, size_t n)
{
    struct sk_content *c = &append(g, SK_MATCH_CONTENT)->u.content;
    c->bytes = xcalloc(n, 1);
    memcpy(c->bytes, b, n);
    c->len = n;
    c->offset = c->depth = c->distance = c->within = SK_MOD_UNSET;
    c->fp_chop_offset = c->fp_chop_len = SK_MOD_UNSET;
    return c;
}

struct sk_content *rb_content(struct sk_buffer_group *g, const char *s)
{
    return rb_content_bytes(g, (const uint8_t *)s, strlen(s));
}

struct sk_pcre *rb_pcre(struct sk_buffer_group *g, const char *pattern, uint32_t options)
{
    struct sk_pcre *p = &append(g, SK_MATCH_PCRE)->u.pcre;
    int ec;
    PCRE2_SIZE eo;
    p->pattern = xstrdup(pattern);
    p->options = options;
    p->code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, options, &ec, &eo, NULL);
    if (p->code == NULL)
        abort();
    return p;
}

void rb_isdataat(struct sk_buffer_group *g, int32_t pos, bool relative, bool negated)
{
    struct sk_isdataat *d = &append(g, SK_MATCH_ISDATAAT)->u.isdataat;
    d->pos = pos;
    d->relative = relative;
    d->negated = negated;
}

void rb_base64_decode(struct sk_buffer_group *g, uint32_t bytes, uint32_t offset, bool relative)
{
    struct sk_base64_decode *d = &append(g, SK_MATCH_BASE64_DECODE)->u.b64;
    d->bytes = bytes;
    d->offset = offset;
    d->relative = relative;
}

void rb_bsize(struct sk_buffer_group *g, enum sk_numop op, uint64_t a, uint64_t b)
{
    struct sk_numcmp *n = &append(g, SK_MATCH_BSIZE)->u.num;
    n->op = op;
    n->a = a;
    n->b = b;
}

void rb_number(struct sk_buffer_group *g, enum sk_numop op, uint64_t a, uint64_t b)
{
    struct sk_numcmp *n = &append(g, SK_MATCH_NUMBER)->u.num;
    n->op = op;
    n->a = a;
    n->b = b;
}

void rb_transform(struct sk_buffer_group *g, enum sk_transform t)
{
    if (g->n_transforms < SK_RULE_MAX_TRANSFORMS)
        g->transforms[g->n_transforms++] = t;
}

void rb_flowbit(struct sk_rule *r, enum sk_flowbit_cmd cmd, uint32_t id)
{
    r->flowbits = xrealloc(r->flowbits, (r->n_flowbits + 1) * sizeof(*r->flowbits));
    struct sk_flowbit *fb = &r->flowbits[r->n_flowbits++];
    memset(fb, 0, sizeof(*fb));
    fb->cmd = cmd;
    if (cmd != SK_FLOWBIT_NOALERT) {
        fb->ids = xcalloc(1, sizeof(*fb->ids));
        fb->ids[0] = id;
        fb->n_names = 1;
    }
}

void rb_app_event(struct sk_rule *r, int anomaly_id)
{
    r->app_events = xrealloc(r->app_events, (r->n_app_events + 1) * sizeof(*r->app_events));
    r->app_events[r->n_app_events++] = anomaly_id;
}

/* ---- FAKE_RULESET ---- */

struct sk_ruleset {
    size_t n, cap;
    struct sk_rule **rules;
    size_t n_flowbits;
    const char *const *flowbit_names; /* NULL: "fb0", "fb1", ... */
};

struct sk_ruleset *rb_fake_ruleset_new(size_t n_flowbits)
{
    struct sk_ruleset *rs = xcalloc(1, sizeof(*rs));
    rs->n_flowbits = n_flowbits;
    return rs;
}

void rb_fake_ruleset_add(struct sk_ruleset *rs, struct sk_rule *r)
{
    if (rs->n == rs->cap) {
        rs->cap = rs->cap ? rs->cap * 2 : 8;
        rs->rules = xrealloc(rs->rules, rs->cap * sizeof(*rs->rules));
    }
    rs->rules[rs->n++] = r;
}

void rb_fake_ruleset_free(struct sk_ruleset *rs)
{
    if (rs == NULL)
        return;
    for (size_t i = 0; i < rs->n; i++)
        rb_rule_free(rs->rules[i]);
    free(rs->rules);
    free(rs);
}

size_t sk_ruleset_count(const struct sk_ruleset *rs)
{
    return rs->n;
}

const struct sk_rule *sk_ruleset_rule(const struct sk_ruleset *rs, size_t i)
{
    return i < rs->n ? rs->rules[i] : NULL;
}

size_t sk_ruleset_flowbit_count(const struct sk_ruleset *rs)
{
    return rs->n_flowbits;
}

void rb_fake_ruleset_flowbit_names(struct sk_ruleset *rs, const char *const *names)
{
    rs->flowbit_names = names;
}

const char *sk_ruleset_flowbit_name(const struct sk_ruleset *rs, size_t id)
{
    static const char *const dflt[] = {"fb0", "fb1", "fb2", "fb3", "fb4", "fb5", "fb6", "fb7"};
    if (id >= rs->n_flowbits)
        return NULL;
    if (rs->flowbit_names)
        return rs->flowbit_names[id];
    return id < sizeof(dflt) / sizeof(dflt[0]) ? dflt[id] : NULL;
}
