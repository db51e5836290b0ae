/* SPDX-License-Identifier: GPL-2.0-only */
/* The address and port language of rule headers. Each value is evaluated with interval
 * arithmetic (lists are unions minus their negated items, `!x` is a complement), so
 * nested negations mean what they say and the result is a short list of positive
 * ranges; variables are expanded in place with a depth limit so `$A` naming `$A` fails
 * cleanly. */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "engine/error.h"
#include "rules/address.h"
#include "rules/parse.h"

/* A set under construction: sorted, disjoint, non-adjacent intervals. Keys are big-endian
 * byte strings whose width depends on the family: 4 (IPv4), 6 (IPv6: 16 bytes) or
 * PORT_FAMILY (2 bytes), so one set of operations serves addresses and ports. */
#define PORT_FAMILY 2

struct iv {
    uint8_t fam;
    uint8_t lo[16], hi[16];
};

struct ivset {
    size_t n;
    struct iv *v;
};

static size_t width(uint8_t fam)
{
    return fam == 4 ? 4 : fam == 6 ? 16 : 2;
}

static int key_cmp(uint8_t fam, const uint8_t *a, const uint8_t *b)
{
    return memcmp(a, b, width(fam));
}

/* a += 1 / a -= 1; false on wrap */
static bool key_inc(uint8_t fam, uint8_t *a)
{
    for (size_t i = width(fam); i-- > 0;)
        if (++a[i] != 0)
            return true;
    return false;
}

static bool key_dec(uint8_t fam, uint8_t *a)
{
    for (size_t i = width(fam); i-- > 0;)
        if (a[i]-- != 0)
            return true;
    return false;
}

static int iv_cmp(const void *pa, const void *pb)
{
    const struct iv *a = pa, *b = pb;
    if (a->fam != b->fam)
        return a->fam < b->fam ? -1 : 1;
    return key_cmp(a->fam, a->lo, b->lo);
}

static int ivset_push(struct ivset *s, const struct iv *x)
{
    struct iv *v = realloc(s->v, (s->n + 1) * sizeof(*v));
    if (!v)
        return SK_E_NOMEM;
    s->v = v;
    v[s->n++] = *x;
    return 0;
}

static void ivset_free(struct ivset *s)
{
    free(s->v);
    s->v = NULL;
    s->n = 0;
}

/* Sorts and merges overlapping or adjacent intervals. */
static void ivset_normalize(struct ivset *s)
{
    if (s->n < 2)
        return;
    qsort(s->v, s->n, sizeof(s->v[0]), iv_cmp);
    size_t o = 0;
    for (size_t i = 1; i < s->n; i++) {
        struct iv *last = &s->v[o], *cur = &s->v[i];
        uint8_t next[16];
        memcpy(next, last->hi, 16);
        bool nowrap = key_inc(last->fam, next);
        if (cur->fam == last->fam && (!nowrap || key_cmp(cur->fam, cur->lo, next) <= 0)) {
            if (key_cmp(cur->fam, cur->hi, last->hi) > 0)
                memcpy(last->hi, cur->hi, 16);
        } else {
            s->v[++o] = *cur;
        }
    }
    s->n = o + 1;
}

static int ivset_add_full(struct ivset *s, uint8_t fam)
{
    struct iv x = {.fam = fam};
    memset(x.hi, 0xff, width(fam));
    return ivset_push(s, &x);
}

static int ivset_all(struct ivset *s, bool port)
{
    if (port)
        return ivset_add_full(s, PORT_FAMILY);
    int rc = ivset_add_full(s, 4);
    return rc ? rc : ivset_add_full(s, 6);
}

/* out = everything (of the families of the universe) not in s; s normalized. */
static int ivset_complement(const struct ivset *s, bool port, struct ivset *out)
{
    const uint8_t fams[2] = {port ? PORT_FAMILY : 4, 6};
    int rc = 0;
    for (int f = 0; f < (port ? 1 : 2) && !rc; f++) {
        uint8_t fam = fams[f];
        uint8_t cur[16] = {0};
        bool more = true;
        for (size_t i = 0; i < s->n && more && !rc; i++) {
            const struct iv *x = &s->v[i];
            if (x->fam != fam)
                continue;
            if (key_cmp(fam, cur, x->lo) < 0) {
                struct iv g = {.fam = fam};
                memcpy(g.lo, cur, 16);
                memcpy(g.hi, x->lo, 16);
                key_dec(fam, g.hi);
                rc = ivset_push(out, &g);
            }
            memcpy(cur, x->hi, 16);
            more = key_inc(fam, cur);
        }
        if (more && !rc) {
            struct iv g = {.fam = fam};
            memcpy(g.lo, cur, 16);
            memset(g.hi, 0xff, width(fam));
            rc = ivset_push(out, &g);
        }
    }
    return rc;
}

/* a = a minus b (both normalized). */
static int ivset_subtract(struct ivset *a, const struct ivset *b, bool port)
{
    struct ivset nb = {0}, out = {0};
    int rc = ivset_complement(b, port, &nb);
    /* intersect a with nb: both sorted by family then lo */
    size_t i = 0, j = 0;
    while (!rc && i < a->n && j < nb.n) {
        const struct iv *x = &a->v[i], *y = &nb.v[j];
        if (x->fam != y->fam) {
            if (x->fam < y->fam)
                i++;
            else
                j++;
            continue;
        }
        uint8_t fam = x->fam;
        const uint8_t *lo = key_cmp(fam, x->lo, y->lo) > 0 ? x->lo : y->lo;
        const uint8_t *hi = key_cmp(fam, x->hi, y->hi) < 0 ? x->hi : y->hi;
        if (key_cmp(fam, lo, hi) <= 0) {
            struct iv r = {.fam = fam};
            memcpy(r.lo, lo, 16);
            memcpy(r.hi, hi, 16);
            rc = ivset_push(&out, &r);
        }
        if (key_cmp(fam, x->hi, y->hi) < 0)
            i++;
        else
            j++;
    }
    ivset_free(&nb);
    if (rc) {
        ivset_free(&out);
        return rc;
    }
    ivset_free(a);
    *a = out;
    return 0;
}

static bool ivset_is_all(const struct ivset *s, bool port)
{
    struct ivset all = {0};
    if (ivset_all(&all, port))
        return false;
    bool eq = all.n == s->n;
    for (size_t i = 0; eq && i < s->n; i++)
        eq = memcmp(&all.v[i], &s->v[i], sizeof(all.v[i])) == 0;
    ivset_free(&all);
    return eq;
}

struct ap {
    struct sk_rule_ctx *ctx;
    bool port;
    const char *var; /* name of the variable being expanded, NULL at top level */
    size_t var_off;  /* text offset of that variable's '$' (errors inside it point there) */
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
static int parse_addr_token(struct ap *p, const char *s, size_t len, size_t off, struct ivset *out)
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
        bool ok = parse_ip(tok, &lo);
        *slash = '/';
        if (!ok)
            return ap_fail(p, off, "invalid address '%s'", tok);
        char *end;
        unsigned bits = lo.family == 4 ? 32 : 128;
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
    struct iv x = {.fam = lo.family};
    memcpy(x.lo, lo.bytes, 16);
    memcpy(x.hi, hi.bytes, 16);
    return ivset_push(out, &x);
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
static int parse_port_token(struct ap *p, const char *s, size_t len, size_t off, struct ivset *out)
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
        if ((l1 == 0 && l2 == 0) || (l1 && parse_port_num(s, l1, &lo)) ||
            (l2 && parse_port_num(colon + 1, l2, &hi)) || lo > hi)
            return ap_fail(p, off, "invalid port range '%s'", tok);
    }
    struct iv x = {.fam = PORT_FAMILY};
    x.lo[0] = (uint8_t)(lo >> 8);
    x.lo[1] = (uint8_t)lo;
    x.hi[0] = (uint8_t)(hi >> 8);
    x.hi[1] = (uint8_t)hi;
    return ivset_push(out, &x);
}

static int parse_item(struct ap *p, const char *s, size_t len, size_t *pos, size_t base, int depth,
                      struct ivset *out);

/* A whole value (the header token or a variable's value) into out. */
static int parse_value(struct ap *p, const char *s, size_t len, size_t base, int depth,
                       struct ivset *out)
{
    size_t pos = 0;
    while (pos < len && isspace((unsigned char)s[pos]))
        pos++;
    int rc = parse_item(p, s, len, &pos, base, depth, out);
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

static int expand_var(struct ap *p, const char *name, size_t nlen, size_t off, int depth,
                      struct ivset *out)
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
    int rc = parse_value(p, val, strlen(val), p->var_off, depth + 1, out);
    p->var = saved;
    p->var_off = saved_off;
    return rc;
}

static bool is_tok_end(char c)
{
    return c == ',' || c == ']' || c == '[' || isspace((unsigned char)c);
}

/* A list [a, !b, ...]: the union of its positive items (everything when there is none)
 * minus the union of its negated items. */
static int parse_list(struct ap *p, const char *s, size_t len, size_t *pos, size_t base, int depth,
                      struct ivset *out)
{
    struct ivset pos_set = {0}, neg_set = {0};
    bool any_pos = false;
    size_t i = *pos + 1;
    int rc = 0;
    for (;;) {
        while (i < len && isspace((unsigned char)s[i]))
            i++;
        bool neg = false;
        while (i < len && s[i] == '!') {
            neg = !neg;
            i++;
        }
        rc = parse_item(p, s, len, &i, base, depth + 1, neg ? &neg_set : &pos_set);
        if (rc)
            goto out_free;
        any_pos |= !neg;
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
        rc = ap_fail(p, base + (i < len ? i : len), "unterminated list%s", "");
        goto out_free;
    }
    if (!any_pos && (rc = ivset_all(&pos_set, p->port)) != 0)
        goto out_free;
    ivset_normalize(&pos_set);
    ivset_normalize(&neg_set);
    if ((rc = ivset_subtract(&pos_set, &neg_set, p->port)) != 0)
        goto out_free;
    for (size_t k = 0; k < pos_set.n && !rc; k++)
        rc = ivset_push(out, &pos_set.v[k]);
    *pos = i;
out_free:
    ivset_free(&pos_set);
    ivset_free(&neg_set);
    return rc;
}

static int parse_item(struct ap *p, const char *s, size_t len, size_t *pos, size_t base, int depth,
                      struct ivset *out)
{
    size_t i = *pos;
    if (depth > SK_ADDRESS_MAX_DEPTH)
        return ap_fail(p, base + i, "nested too deep%s", "");
    if (i >= len)
        return ap_fail(p, base + i, "missing %s", p->port ? "port" : "address");
    if (s[i] == '!') {
        struct ivset inner = {0}, comp = {0};
        *pos = i + 1;
        int rc = parse_item(p, s, len, pos, base, depth + 1, &inner);
        if (!rc) {
            ivset_normalize(&inner);
            rc = ivset_complement(&inner, p->port, &comp);
        }
        for (size_t k = 0; k < comp.n && !rc; k++)
            rc = ivset_push(out, &comp.v[k]);
        ivset_free(&inner);
        ivset_free(&comp);
        return rc;
    }
    if (s[i] == '[')
        return parse_list(p, s, len, pos, base, depth, out);
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
        return expand_var(p, s + start + 1, tlen - 1, base + start, depth, out);
    if (tlen == 3 && strncmp(s + start, "any", 3) == 0)
        return ivset_all(out, p->port);
    if (p->port)
        return parse_port_token(p, s + start, tlen, base + start, out);
    return parse_addr_token(p, s + start, tlen, base + start, out);
}

static int parse_set(struct sk_rule_ctx *ctx, bool port, const char *s, size_t len, size_t off,
                     struct ivset *out)
{
    struct ap p = {.ctx = ctx, .port = port};
    int rc = parse_value(&p, s, len, off, 0, out);
    if (rc)
        return rc;
    ivset_normalize(out);
    if (out->n == 0) {
        char tok[64];
        snprintf(tok, sizeof(tok), "%.*s", (int)(len > 60 ? 60 : len), s);
        return ap_fail(&p, off, "'%s' matches nothing", tok);
    }
    return 0;
}

/* Is the value the word any alone? Most rules say so; what parse_set() would make of it
 * (every address or port) is known without building the interval set. */
static bool just_any(const char *s, size_t len)
{
    return len == 3 && memcmp(s, "any", 3) == 0;
}

int sk_address_parse(struct sk_rule_ctx *ctx, const char *s, size_t len, size_t off,
                     struct sk_addr_set *out)
{
    memset(out, 0, sizeof(*out));
    if (just_any(s, len)) {
        out->any = true;
        return 0;
    }
    struct ivset set = {0};
    int rc = parse_set(ctx, false, s, len, off, &set);
    if (rc)
        goto out_free;
    if (ivset_is_all(&set, false)) {
        out->any = true;
        goto out_free;
    }
    out->v = calloc(set.n, sizeof(*out->v));
    if (!out->v) {
        rc = SK_E_NOMEM;
        goto out_free;
    }
    for (size_t i = 0; i < set.n; i++) {
        struct sk_addr_range *r = &out->v[out->n++];
        r->lo.family = r->hi.family = set.v[i].fam;
        memcpy(r->lo.bytes, set.v[i].lo, 16);
        memcpy(r->hi.bytes, set.v[i].hi, 16);
    }
out_free:
    ivset_free(&set);
    return rc;
}

int sk_address_parse_ports(struct sk_rule_ctx *ctx, const char *s, size_t len, size_t off,
                           struct sk_port_set *out)
{
    memset(out, 0, sizeof(*out));
    if (just_any(s, len)) {
        out->any = true;
        return 0;
    }
    struct ivset set = {0};
    int rc = parse_set(ctx, true, s, len, off, &set);
    if (rc)
        goto out_free;
    if (ivset_is_all(&set, true)) {
        out->any = true;
        goto out_free;
    }
    out->v = calloc(set.n, sizeof(*out->v));
    if (!out->v) {
        rc = SK_E_NOMEM;
        goto out_free;
    }
    for (size_t i = 0; i < set.n; i++) {
        struct sk_port_range *r = &out->v[out->n++];
        r->lo = (uint16_t)(set.v[i].lo[0] << 8 | set.v[i].lo[1]);
        r->hi = (uint16_t)(set.v[i].hi[0] << 8 | set.v[i].hi[1]);
    }
out_free:
    ivset_free(&set);
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
