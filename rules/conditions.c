/* SPDX-License-Identifier: GPL-2.0-only */
/* Rule conditions outside buffers: address and port sets (ranges, negation, any), the
 * header in either direction, flow: flags and flowbits. */
#include "rules/conditions.h"

#include "rules/match.h"

#include <string.h>

static bool addr_in_range(const struct sk_addr_range *r, const struct sk_addr *a)
{
    if (r->lo.family != a->family)
        return false;
    size_t n = a->family == 4 ? 4 : 16;
    return memcmp(a->bytes, r->lo.bytes, n) >= 0 && memcmp(a->bytes, r->hi.bytes, n) <= 0;
}

static bool addr_in(const struct sk_addr_set *s, const struct sk_addr *a)
{
    if (s->any)
        return true;
    bool has_pos = false, pos_hit = false;
    for (size_t i = 0; i < s->n; i++) {
        bool in = addr_in_range(&s->v[i], a);
        if (s->v[i].negated) {
            if (in)
                return false;
        } else {
            has_pos = true;
            pos_hit = pos_hit || in;
        }
    }
    return !has_pos || pos_hit;
}

static bool port_in(const struct sk_port_set *s, uint16_t p)
{
    if (s->any)
        return true;
    bool has_pos = false, pos_hit = false;
    for (size_t i = 0; i < s->n; i++) {
        bool in = p >= s->v[i].lo && p <= s->v[i].hi;
        if (s->v[i].negated) {
            if (in)
                return false;
        } else {
            has_pos = true;
            pos_hit = pos_hit || in;
        }
    }
    return !has_pos || pos_hit;
}

/* The rule header against the direction of the data: source is the sender. */
bool sk_cond_header(const struct sk_rule *r, const struct sk_flow *f, bool is_orig)
{
    const struct sk_addr *src = is_orig ? &f->orig_h : &f->resp_h;
    const struct sk_addr *dst = is_orig ? &f->resp_h : &f->orig_h;
    uint16_t sp = is_orig ? f->orig_p : f->resp_p, dp = is_orig ? f->resp_p : f->orig_p;
    if (addr_in(&r->src, src) && port_in(&r->sport, sp) && addr_in(&r->dst, dst) &&
        port_in(&r->dport, dp))
        return true;
    return r->bidirectional && addr_in(&r->src, dst) && port_in(&r->sport, dp) &&
           addr_in(&r->dst, src) && port_in(&r->dport, sp);
}

bool sk_cond_flow(const struct sk_rule *r, const struct sk_flow *f, bool is_orig)
{
    bool est = f->state >= SK_TCP_ESTABLISHED || f->midstream;
    if ((r->flow_flags & SK_FLOW_TO_SERVER) && !is_orig)
        return false;
    if ((r->flow_flags & SK_FLOW_TO_CLIENT) && is_orig)
        return false;
    if ((r->flow_flags & SK_FLOW_ESTABLISHED) && !est)
        return false;
    if ((r->flow_flags & SK_FLOW_NOT_ESTABLISHED) && est)
        return false;
    return true;
}

bool sk_bit_get(const uint8_t *bits, size_t i)
{
    return (bits[i / 8] >> (i % 8)) & 1u;
}

void sk_bit_put(uint8_t *bits, size_t i, bool v)
{
    if (v)
        bits[i / 8] |= (uint8_t)(1u << (i % 8));
    else
        bits[i / 8] &= (uint8_t) ~(1u << (i % 8));
}

bool sk_cond_flowbits(const struct sk_rule *r, const uint8_t *bits, size_t n_bits)
{
    for (size_t i = 0; i < r->n_flowbits; i++) {
        const struct sk_flowbit *fb = &r->flowbits[i];
        if (fb->cmd != SK_FLOWBIT_ISSET && fb->cmd != SK_FLOWBIT_ISNOTSET)
            continue;
        bool want = fb->cmd == SK_FLOWBIT_ISSET;
        size_t hits = 0;
        for (size_t k = 0; k < fb->n_names; k++) {
            bool set = fb->ids[k] < n_bits && sk_bit_get(bits, fb->ids[k]);
            hits += set == want;
        }
        /* a|b: one of them; a&b: all of them */
        if (fb->and_names ? hits != fb->n_names : hits == 0)
            return false;
    }
    return true;
}

void sk_cond_flowbits_apply(const struct sk_rule *r, uint8_t *bits, size_t n_bits)
{
    for (size_t i = 0; i < r->n_flowbits; i++) {
        const struct sk_flowbit *fb = &r->flowbits[i];
        for (size_t k = 0; k < fb->n_names; k++) {
            uint32_t id = fb->ids[k];
            if (id >= n_bits)
                continue;
            if (fb->cmd == SK_FLOWBIT_SET)
                sk_bit_put(bits, id, true);
            else if (fb->cmd == SK_FLOWBIT_UNSET)
                sk_bit_put(bits, id, false);
            else if (fb->cmd == SK_FLOWBIT_TOGGLE)
                sk_bit_put(bits, id, !sk_bit_get(bits, id));
        }
    }
}

bool sk_cond_packet(const struct sk_rule *r, uint8_t tcp_flags, size_t dsize)
{
    if (r->has_dsize && !sk_numcmp_eval(&r->dsize, dsize))
        return false;
    if (!r->flags.set)
        return true;
    uint8_t f = (uint8_t)(tcp_flags & ~r->flags.mask), want = r->flags.bits;
    switch (r->flags.mod) {
    case '+':
        return (f & want) == want;
    case '*':
        return (f & want) != 0;
    case '!':
        return (f & want) == 0;
    default:
        return f == want;
    }
}

bool sk_cond_stream_size(const struct sk_rule *r, uint64_t client, uint64_t server)
{
    const struct sk_stream_size *s = &r->stream_size;
    bool c = sk_numcmp_eval(&s->cmp, client), v = sk_numcmp_eval(&s->cmp, server);
    switch (s->side) {
    case SK_SS_SERVER:
        return v;
    case SK_SS_CLIENT:
        return c;
    case SK_SS_BOTH:
        return c && v;
    default:
        return c || v;
    }
}
