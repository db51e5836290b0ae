/* SPDX-License-Identifier: GPL-2.0-only */
/* The address and port language of rule headers. Lists are flattened into ranges, each
 * carrying the parity of the negations around it, so matching is one pass over ranges;
 * variables are expanded in place with a depth limit so `$A` naming `$A` fails cleanly. */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "engine/error.h"
#include "rules/address.h"
#include "rules/parse.h"

struct ap {
    struct sk_rule_ctx *ctx;
    bool port;
    const char *var;  /* name of the variable being expanded, NULL at top level */
    size_t var_off;   /* text offset of that variable's '$' (errors inside it point there) */
    bool saw_any;     /* a positive `any` inside a list */
    /* output: one of the two */
    struct sk_addr_set *aset;
    struct sk_port_set *pset;
};

static int ap_fail(struct ap *p, size_t off, const char *fmt, const char *subject)
{
    char msg[256];
    snprintf(msg, sizeof(msg), fmt, subject);
    if (p->var)
        return sk_rule__fail(p->ctx, p->var_off, "invalid variable", "in variable '$%s': %s",
                             p->var, msg);
    return sk_rule__fail(p->ctx, off, p->port ? "invalid port" : "invalid address", "%s", msg);
}

static int add_addr(struct ap *p, const struct sk_addr *lo, const struct sk_addr *hi, bool neg)
{
    struct sk_addr_set *s = p->aset;
    struct sk_addr_range *v = realloc(s->v, (s->n + 1) * sizeof(*v));
    if (!v)
        return SK_E_NOMEM;
    s->v = v;
    v[s->n].lo = *lo;
    v[s->n].hi = *hi;
    v[s->n].negated = neg;
    s->n++;
    return 0;
}

static int add_port(struct ap *p, uint16_t lo, uint16_t hi, bool neg)
{
    struct sk_port_set *s = p->pset;
    struct sk_port_range *v = realloc(s->v, (s->n + 1) * sizeof(*v));
    if (!v)
        return SK_E_NOMEM;
    s->v = v;
    v[s->n].lo = lo;
    v[s->n].hi = hi;
    v[s->n].negated = neg;
    s->n++;
    return 0;
}

static int add_everything(struct ap *p, bool neg)
{
    if (p->port)
        return add_port(p, 0, 65535, neg);
    struct sk_addr lo = {.family = 4}, hi = {.family = 4};
    memset(hi.bytes, 0xff, 4);
    int rc = add_addr(p, &lo, &hi, neg);
    if (rc)
        return rc;
    struct sk_addr lo6 = {.family = 6}, hi6 = {.family = 6};
    memset(hi6.bytes, 0xff, 16);
    return add_addr(p, &lo6, &hi6, neg);
}

static bool parse_ip(const char *tok, struct sk_addr *a)
{
    memset(a, 0, sizeof(*a));
    if (strchr(tok, ':')) {
        a->family = 6;
        return inet_pton(AF_INET6, tok, a->bytes) == 1;
    }
    a->family = 4;
    return inet_pton(AF_INET, tok, a->bytes) == 1;
}

static int addr_cmp(const struct sk_addr *a, const struct sk_addr *b)
{
    return memcmp(a->bytes, b->bytes, a->family == 4 ? 4 : 16);
}

/* One address token: a, a/n, a-b. */
static int parse_addr_token(struct ap *p, const char *s, size_t len, size_t off, bool neg)
{
    char tok[128];
    if (len >= sizeof(tok))
        return ap_fail(p, off, "address too long '%s'", "...");
    memcpy(tok, s, len);
    tok[len] = '\0';

    struct sk_addr lo, hi;
    char *slash = strchr(tok, '/');
    char *dash = strchr(tok, '-');
    if (slash) {
        *slash = '\0';
        if (!parse_ip(tok, &lo)) {
            *slash = '/';
            return ap_fail(p, off, "invalid address '%s'", tok);
        }
        char *end;
        unsigned bits = lo.family == 4 ? 32 : 128;
        *slash = '/';
        if (!isdigit((unsigned char)slash[1]))
            return ap_fail(p, off, "invalid netmask in '%s'", tok);
        unsigned long n = strtoul(slash + 1, &end, 10);
        if (*end || n > bits)
            return ap_fail(p, off, "invalid netmask in '%s'", tok);
        hi = lo;
        for (unsigned i = 0; i < bits / 8; i++) {
            unsigned keep = n >= (i + 1) * 8 ? 8 : (n > i * 8 ? (unsigned)n - i * 8 : 0);
            uint8_t mask = (uint8_t)(keep ? 0xffu << (8 - keep) : 0);
            lo.bytes[i] &= mask;
            hi.bytes[i] = (uint8_t)(lo.bytes[i] | (uint8_t)~mask);
        }
    } else if (dash) {
        *dash = '\0';
        bool ok = parse_ip(tok, &lo) && parse_ip(dash + 1, &hi);
        *dash = '-';
        if (!ok || lo.family != hi.family || addr_cmp(&lo, &hi) > 0)
            return ap_fail(p, off, "invalid address range '%s'", tok);
    } else {
        if (!parse_ip(tok, &lo))
            return ap_fail(p, off, "invalid address '%s'", tok);
        hi = lo;
    }
    return add_addr(p, &lo, &hi, neg);
}

static int parse_port_num(const char *s, size_t len, long *out)
{
    if (len == 0 || len > 5)
        return -1;
    long v = 0;
    for (size_t i = 0; i < len; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    if (v > 65535)
        return -1;
    *out = v;
    return 0;
}

/* One port token: p, a:b, a:, :b. */
static int parse_port_token(struct ap *p, const char *s, size_t len, size_t off, bool neg)
{
    char tok[64];
    snprintf(tok, sizeof(tok), "%.*s", (int)(len > 60 ? 60 : len), s);
    const char *colon = memchr(s, ':', len);
    long lo = 0, hi = 65535;
    if (!colon) {
        if (parse_port_num(s, len, &lo))
            return ap_fail(p, off, "invalid port '%s'", tok);
        hi = lo;
    } else {
        size_t l1 = (size_t)(colon - s), l2 = len - l1 - 1;
        if (l1 == 0 && l2 == 0)
            return ap_fail(p, off, "invalid port range '%s'", tok);
        if (l1 && parse_port_num(s, l1, &lo))
            return ap_fail(p, off, "invalid port range '%s'", tok);
        if (l2 && parse_port_num(colon + 1, l2, &hi))
            return ap_fail(p, off, "invalid port range '%s'", tok);
        if (lo > hi)
            return ap_fail(p, off, "invalid port range '%s'", tok);
    }
    return add_port(p, (uint16_t)lo, (uint16_t)hi, neg);
}

static int parse_item(struct ap *p, const char *s, size_t len, size_t *pos, size_t base, bool neg,
                      int depth);

static int parse_value(struct ap *p, const char *s, size_t len, size_t base, bool neg, int depth)
{
    size_t pos = 0;
    while (pos < len && isspace((unsigned char)s[pos]))
        pos++;
    int rc = parse_item(p, s, len, &pos, base, neg, depth);
    if (rc)
        return rc;
    while (pos < len && isspace((unsigned char)s[pos]))
        pos++;
    if (pos < len) {
        char c[2] = {s[pos], 0};
        return ap_fail(p, base + pos, "unexpected '%s'", c);
    }
    return 0;
}

static int expand_var(struct ap *p, const char *name, size_t nlen, size_t off, bool neg,
                      int depth)
{
    char nm[128];
    if (nlen == 0 || nlen >= sizeof(nm))
        return ap_fail(p, off, "invalid variable name%s", "");
    memcpy(nm, name, nlen);
    nm[nlen] = '\0';
    if (depth >= SK_ADDRESS_MAX_DEPTH)
        return ap_fail(p, off, "variables nested too deep at '$%s'", nm);
    const char *val = sk_ruleset__var(p->ctx->rs, p->port, nm);
    if (!val) {
        if (p->var)
            return ap_fail(p, off, "undefined variable '$%s'", nm);
        return sk_rule__fail(p->ctx, off, "undefined variable", "undefined variable '$%s'", nm);
    }
    const char *saved = p->var;
    size_t saved_off = p->var_off;
    if (!p->var) {
        p->var = nm;
        p->var_off = off;
    }
    int rc = parse_value(p, val, strlen(val), p->var_off, neg, depth + 1);
    p->var = saved;
    p->var_off = saved_off;
    return rc;
}

static bool is_tok_end(char c)
{
    return c == ',' || c == ']' || c == '[' || isspace((unsigned char)c);
}

static int parse_item(struct ap *p, const char *s, size_t len, size_t *pos, size_t base, bool neg,
                      int depth)
{
    size_t i = *pos;
    if (depth > SK_ADDRESS_MAX_DEPTH)
        return ap_fail(p, base + i, "nested too deep%s", "");
    if (i >= len)
        return ap_fail(p, base + i, "missing %s", p->port ? "port" : "address");
    if (s[i] == '!') {
        *pos = i + 1;
        return parse_item(p, s, len, pos, base, !neg, depth + 1);
    }
    if (s[i] == '[') {
        i++;
        for (;;) {
            while (i < len && isspace((unsigned char)s[i]))
                i++;
            int rc = parse_item(p, s, len, &i, base, neg, depth + 1);
            if (rc)
                return rc;
            while (i < len && isspace((unsigned char)s[i]))
                i++;
            if (i < len && s[i] == ',') {
                i++;
                continue;
            }
            if (i < len && s[i] == ']') {
                i++;
                break;
            }
            return ap_fail(p, base + (i < len ? i : len), "unterminated list%s", "");
        }
        *pos = i;
        return 0;
    }
    size_t start = i;
    while (i < len && !is_tok_end(s[i]))
        i++;
    *pos = i;
    size_t tlen = i - start;
    if (tlen == 0) {
        char c[2] = {s[start], 0};
        return ap_fail(p, base + start, "unexpected '%s'", c);
    }
    if (s[start] == '$')
        return expand_var(p, s + start + 1, tlen - 1, base + start, neg, depth);
    if (tlen == 3 && strncmp(s + start, "any", 3) == 0) {
        if (neg)
            return ap_fail(p, base + start, "'!any' matches nothing%s", "");
        p->saw_any = true;
        return 0;
    }
    if (p->port)
        return parse_port_token(p, s + start, tlen, base + start, neg);
    return parse_addr_token(p, s + start, tlen, base + start, neg);
}

static int finish(struct ap *p, size_t off)
{
    size_t n = p->port ? p->pset->n : p->aset->n;
    if (n == 0) {
        if (!p->saw_any)
            return ap_fail(p, off, "empty %s", p->port ? "port list" : "address list");
        if (p->port)
            p->pset->any = true;
        else
            p->aset->any = true;
        return 0;
    }
    if (p->saw_any) {
        /* `any` beside other entries: keep it as explicit full ranges so the positive
         * entries do not narrow it */
        bool has_pos = false;
        for (size_t i = 0; i < n; i++)
            has_pos |= p->port ? !p->pset->v[i].negated : !p->aset->v[i].negated;
        if (has_pos)
            return add_everything(p, false);
    }
    return 0;
}

int sk_address_parse(struct sk_rule_ctx *ctx, const char *s, size_t len, size_t off,
                     struct sk_addr_set *out)
{
    memset(out, 0, sizeof(*out));
    struct ap p = {.ctx = ctx, .port = false, .aset = out};
    int rc = parse_value(&p, s, len, off, false, 0);
    if (!rc)
        rc = finish(&p, off);
    if (rc)
        sk_addr_set_release(out);
    return rc;
}

int sk_address_parse_ports(struct sk_rule_ctx *ctx, const char *s, size_t len, size_t off,
                           struct sk_port_set *out)
{
    memset(out, 0, sizeof(*out));
    struct ap p = {.ctx = ctx, .port = true, .pset = out};
    int rc = parse_value(&p, s, len, off, false, 0);
    if (!rc)
        rc = finish(&p, off);
    if (rc)
        sk_port_set_release(out);
    return rc;
}

bool sk_addr_set_match(const struct sk_addr_set *set, const struct sk_addr *addr)
{
    if (set->any)
        return true;
    bool has_pos = false, pos_hit = false;
    for (size_t i = 0; i < set->n; i++) {
        const struct sk_addr_range *r = &set->v[i];
        bool in = r->lo.family == addr->family && addr_cmp(&r->lo, addr) <= 0 &&
                  addr_cmp(addr, &r->hi) <= 0;
        if (r->negated) {
            if (in)
                return false;
        } else {
            has_pos = true;
            pos_hit |= in;
        }
    }
    return !has_pos || pos_hit;
}

bool sk_port_set_match(const struct sk_port_set *set, uint16_t port)
{
    if (set->any)
        return true;
    bool has_pos = false, pos_hit = false;
    for (size_t i = 0; i < set->n; i++) {
        const struct sk_port_range *r = &set->v[i];
        bool in = r->lo <= port && port <= r->hi;
        if (r->negated) {
            if (in)
                return false;
        } else {
            has_pos = true;
            pos_hit |= in;
        }
    }
    return !has_pos || pos_hit;
}

void sk_addr_set_release(struct sk_addr_set *set)
{
    free(set->v);
    memset(set, 0, sizeof(*set));
}

void sk_port_set_release(struct sk_port_set *set)
{
    free(set->v);
    memset(set, 0, sizeof(*set));
}
