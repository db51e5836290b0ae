/* SPDX-License-Identifier: GPL-2.0-only */
/* The flow table: a chained hash table keyed by a symmetric SipHash-2-4 of the 5-tuple
 * (seeded, so buckets cannot be targeted), the TCP state machine, the originator guess
 * for flows picked up mid-stream, and three idle lists (new, established, closed) kept in
 * time order so expiry and LRU eviction touch only the flows they end. Flow ids and uids
 * come from a fixed-key hash, never from the seed: a capture always gives the same ids. */
#include "engine/flow/flow.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "engine/error.h"
#include "engine/flow/reassembly.h"

#define DEFAULT_MAX_FLOWS   65536
#define DEFAULT_MEMCAP      ((size_t)512 << 20)
#define DEFAULT_MAX_QUEUED  ((size_t)1 << 20)
#define DEFAULT_TIMEOUT_NEW (30ULL * 1000000)
#define DEFAULT_TIMEOUT_EST (600ULL * 1000000)
#define DEFAULT_TIMEOUT_CLO (10ULL * 1000000)
#define MAX_BUCKETS         ((size_t)1 << 22)
#define FLOW_ID_MASK        ((1ULL << 53) - 1)
/* Bytes kept free of the memory cap at each packet, by evicting idle flows, for what the
 * packet itself allocates (segments, parser buffers, a MIME decoder): memcap / 8, at most: */
#define MAX_HEADROOM        ((size_t)1 << 20)

/* Idle lists, one per timeout. */
enum { LIST_NEW = 0, LIST_EST, LIST_CLOSED, LIST_COUNT };

/* Fixed SipHash keys for ids and uids: never the table's seed, so ids are reproducible. */
static const uint64_t id_key[2] = {0x5368726b65466c6fULL, 0x7749642d76312e30ULL};
static const uint64_t uid_key_a[2] = {0x5368726b65556964ULL, 0x412d76312e302e30ULL};
static const uint64_t uid_key_b[2] = {0x5368726b65556964ULL, 0x422d76312e302e30ULL};

static const char base62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/* Ports that mark the responder of a flow picked up mid-stream (besides any port < 1024). */
static const uint16_t smtp_ports[] = {25, 465, 587, 2525};

struct flow_node {
    struct sk_flow f;              /* first: handed to the consumer */
    struct flow_node *hnext;       /* hash chain */
    struct flow_node *prev, *next; /* idle list, oldest first */
    uint64_t hash;
    uint64_t last_us; /* table clock at the last packet */
    uint32_t gen;     /* flows before this one on the same tuple in this table */
    int list;
    bool fin[2];
    bool have_isn;            /* the originator's SYN was seen */
    bool stopped;             /* f.no_reassembly was acted on */
    bool syn_seen[2];         /* a SYN (or SYN-ACK) was seen from this side */
    uint8_t wscale[2];        /* window scale option of that SYN, 0xff when absent */
    uint16_t win[2];          /* last window advertised by this side, unscaled */
    uint32_t isn;             /* its sequence number */
    enum sk_flow_end end_why; /* FIN or RST once closed */
    struct sk_reasm dir[2];   /* [0] orig to resp, [1] resp to orig */
};

struct flow_list {
    struct flow_node *head, *tail;
};

struct sk_flow_table {
    struct sk_flow_config cfg;
    struct sk_stream_consumer consumer;
    struct sk_flow_stats stats;
    struct sk_mem_budget budget; /* everything the flows allocate, app state included */
    struct sk_reasm_ctx rctx;
    uint64_t seed;
    uint64_t key[2]; /* SipHash key derived from seed */
    struct flow_node **buckets;
    size_t mask;
    struct flow_list lists[LIST_COUNT];
    uint64_t timeout[LIST_COUNT];
    uint64_t now;
};

/* ---- SipHash ---- */

static uint64_t rotl(uint64_t x, int b)
{
    return (x << b) | (x >> (64 - b));
}

#define SIPROUND                                                                                   \
    do {                                                                                           \
        v0 += v1;                                                                                  \
        v1 = rotl(v1, 13);                                                                         \
        v1 ^= v0;                                                                                  \
        v0 = rotl(v0, 32);                                                                         \
        v2 += v3;                                                                                  \
        v3 = rotl(v3, 16);                                                                         \
        v3 ^= v2;                                                                                  \
        v0 += v3;                                                                                  \
        v3 = rotl(v3, 21);                                                                         \
        v3 ^= v0;                                                                                  \
        v2 += v1;                                                                                  \
        v1 = rotl(v1, 17);                                                                         \
        v1 ^= v2;                                                                                  \
        v2 = rotl(v2, 32);                                                                         \
    } while (0)

/* Written out so that compilers see one little-endian load (a loop over the bytes stays a
 * loop: a quarter of the hash's instructions, once per packet). */
static uint64_t load_le64(const uint8_t *p)
{
    return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24 |
           (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 |
           (uint64_t)p[7] << 56;
}

/* SipHash with c rounds per 8-byte block and d to finish (constants at each call, so that the
 * rounds unroll). */
static inline uint64_t siphash(const uint64_t key[2], const uint8_t *in, size_t len, int c, int d)
{
    uint64_t v0 = 0x736f6d6570736575ULL ^ key[0];
    uint64_t v1 = 0x646f72616e646f6dULL ^ key[1];
    uint64_t v2 = 0x6c7967656e657261ULL ^ key[0];
    uint64_t v3 = 0x7465646279746573ULL ^ key[1];
    size_t full = len & ~(size_t)7;

    for (size_t i = 0; i < full; i += 8) {
        uint64_t m = load_le64(in + i);
        v3 ^= m;
        for (int r = 0; r < c; r++)
            SIPROUND;
        v0 ^= m;
    }
    uint8_t tail[8] = {0};
    for (size_t i = 0; i < (len & 7); i++)
        tail[i] = in[full + i];
    uint64_t b = (uint64_t)len << 56 | load_le64(tail);
    v3 ^= b;
    for (int r = 0; r < c; r++)
        SIPROUND;
    v0 ^= b;
    v2 ^= 0xff;
    for (int r = 0; r < d; r++)
        SIPROUND;
    return v0 ^ v1 ^ v2 ^ v3;
}

/* SipHash-2-4: the ids, which are logged and must not change. */
static uint64_t siphash24(const uint64_t key[2], const uint8_t *in, size_t len)
{
    return siphash(key, in, len, 2, 4);
}

/* SipHash-1-3 (as Rust's and Python's hash tables): the table's and the workers' hash, once
 * per packet, keyed by the seed. Still a keyed PRF, so flows cannot be aimed at one bucket
 * without the key, at a little more than half the rounds of SipHash-2-4 (two blocks and the
 * tail of an IPv4 key: 6 rounds instead of 10). */
static uint64_t siphash13(const uint64_t key[2], const uint8_t *in, size_t len)
{
    return siphash(key, in, len, 1, 3);
}

/* splitmix64: spreads a 64-bit seed over the 128-bit SipHash key. */
static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* ---- keys ---- */

static size_t addr_len(const struct sk_addr *a)
{
    return a->family == 6 ? 16 : 4;
}

static bool addr_eq(const struct sk_addr *a, const struct sk_addr *b)
{
    return a->family == b->family && memcmp(a->bytes, b->bytes, addr_len(a)) == 0;
}

/* Orders endpoints by address bytes, then port. */
static int endpoint_cmp(const struct sk_addr *a, uint16_t pa, const struct sk_addr *b, uint16_t pb)
{
    int c = memcmp(a->bytes, b->bytes, addr_len(a));
    if (c)
        return c;
    return (int)pa - (int)pb;
}

static size_t put_endpoint(uint8_t *p, const struct sk_addr *a, uint16_t port)
{
    size_t n = addr_len(a);
    if (n == 4) /* a copy of known length, not a call: once per packet */
        memcpy(p, a->bytes, 4);
    else
        memcpy(p, a->bytes, 16);
    p[n] = (uint8_t)(port >> 8);
    p[n + 1] = (uint8_t)port;
    return n + 2;
}

/* Serialises the key with the endpoints in the given order. */
static size_t put_key(uint8_t *buf, const struct sk_addr *a, uint16_t pa, const struct sk_addr *b,
                      uint16_t pb, uint8_t proto, const uint16_t vlan[2])
{
    size_t n = 0;
    buf[n++] = a->family;
    buf[n++] = proto;
    for (int i = 0; i < 2; i++) {
        buf[n++] = (uint8_t)(vlan[i] >> 8);
        buf[n++] = (uint8_t)vlan[i];
    }
    n += put_endpoint(buf + n, a, pa);
    n += put_endpoint(buf + n, b, pb);
    return n;
}

static uint64_t key_hash(const uint64_t key[2], const struct sk_packet *pkt)
{
    uint8_t buf[64];
    size_t n;
    if (endpoint_cmp(&pkt->src, pkt->sport, &pkt->dst, pkt->dport) <= 0)
        n = put_key(buf, &pkt->src, pkt->sport, &pkt->dst, pkt->dport, pkt->ip_proto, pkt->vlan);
    else
        n = put_key(buf, &pkt->dst, pkt->dport, &pkt->src, pkt->sport, pkt->ip_proto, pkt->vlan);
    return siphash13(key, buf, n);
}

static void seed_key(uint64_t seed, uint64_t key[2])
{
    uint64_t x = seed;
    key[0] = splitmix64(&x);
    key[1] = splitmix64(&x);
}

uint64_t sk_flow_hash(const struct sk_packet *pkt, uint64_t seed)
{
    uint64_t key[2];
    seed_key(seed, key);
    return key_hash(key, pkt);
}

/* flow_id and uid from the originator-ordered key, the first timestamp and the tuple's
 * generation: nothing that depends on the seed, the worker or other flows. */
static void make_ids(struct flow_node *n)
{
    struct sk_flow *f = &n->f;
    uint8_t buf[80];
    size_t len = put_key(buf, &f->orig_h, f->orig_p, &f->resp_h, f->resp_p, f->ip_proto, f->vlan);
    for (int i = 0; i < 8; i++)
        buf[len++] = (uint8_t)(f->ts_first_us >> (8 * i));
    for (int i = 0; i < 4; i++)
        buf[len++] = (uint8_t)(n->gen >> (8 * i));

    f->flow_id = siphash24(id_key, buf, len) & FLOW_ID_MASK;
    if (f->flow_id == 0)
        f->flow_id = 1;

    /* 96 bits as three 32-bit words, most significant first, written in base 62. */
    uint64_t a = siphash24(uid_key_a, buf, len);
    uint64_t b = siphash24(uid_key_b, buf, len);
    uint32_t w[3] = {(uint32_t)(b >> 32), (uint32_t)(a >> 32), (uint32_t)a};
    char digits[17];
    for (int d = 16; d >= 0; d--) {
        uint64_t rem = 0;
        for (int i = 0; i < 3; i++) {
            uint64_t cur = (rem << 32) | w[i];
            w[i] = (uint32_t)(cur / 62);
            rem = cur % 62;
        }
        digits[d] = base62[rem];
    }
    f->uid[0] = 'C';
    memcpy(f->uid + 1, digits, sizeof(digits));
    f->uid[1 + sizeof(digits)] = '\0';
}

/* ---- idle lists ---- */

static void list_unlink(struct sk_flow_table *t, struct flow_node *n)
{
    struct flow_list *l = &t->lists[n->list];
    if (n->prev)
        n->prev->next = n->next;
    else
        l->head = n->next;
    if (n->next)
        n->next->prev = n->prev;
    else
        l->tail = n->prev;
    n->prev = n->next = NULL;
}

static void list_append(struct sk_flow_table *t, struct flow_node *n, int list)
{
    struct flow_list *l = &t->lists[list];
    n->list = list;
    n->next = NULL;
    n->prev = l->tail;
    if (l->tail)
        l->tail->next = n;
    else
        l->head = n;
    l->tail = n;
}

static int list_for_state(enum sk_tcp_state s)
{
    if (s == SK_TCP_CLOSED)
        return LIST_CLOSED;
    if (s == SK_TCP_ESTABLISHED || s == SK_TCP_CLOSING)
        return LIST_EST;
    return LIST_NEW;
}

/* The least recently seen flow other than keep (may be NULL), or the first to expire at
 * `now` when expired_only. */
static struct flow_node *oldest(const struct sk_flow_table *t, bool expired_only, uint64_t now,
                                const struct flow_node *keep)
{
    struct flow_node *best = NULL;
    for (int i = 0; i < LIST_COUNT; i++) {
        struct flow_node *n = t->lists[i].head;
        if (n && n == keep)
            n = n->next;
        if (!n)
            continue;
        if (expired_only && now - n->last_us < t->timeout[i])
            continue;
        if (!best || n->last_us < best->last_us)
            best = n;
    }
    return best;
}

/* ---- flow lifecycle ---- */

static void end_flow(struct sk_flow_table *t, struct flow_node *n, enum sk_flow_end why,
                     uint64_t ts_us)
{
    sk_reasm_flush(&n->dir[0], &t->rctx, &n->f, true, ts_us);
    sk_reasm_flush(&n->dir[1], &t->rctx, &n->f, false, ts_us);
    if (t->consumer.close)
        t->consumer.close(t->consumer.ctx, &n->f, why, ts_us);
    sk_reasm_release(&n->dir[0], &t->budget);
    sk_reasm_release(&n->dir[1], &t->budget);

    struct flow_node **pp = &t->buckets[n->hash & t->mask];
    while (*pp && *pp != n)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = n->hnext;
    list_unlink(t, n);
    t->stats.flows_active--;
    sk_mem_uncharge(&t->budget, sk_mem_alloc_cost(sizeof(*n)));
    free(n);
}

/* The stats mirror the budget: flow.memuse is everything charged, app state included. */
static void sync_mem(struct sk_flow_table *t)
{
    t->stats.memuse = t->budget.used;
    t->stats.memuse_peak = t->budget.peak;
    t->stats.memcap_refused = t->budget.refused;
}

static size_t headroom(const struct sk_flow_table *t)
{
    size_t h = t->budget.cap / 8;
    return h < MAX_HEADROOM ? h : MAX_HEADROOM;
}

/* Ends the least recently used flows (never keep) until need bytes and the headroom fit
 * under the cap, so that what this packet allocates is refused only when it alone needs
 * more than the headroom. Runs between packets only: no flow is ended under a parser. */
static void reclaim(struct sk_flow_table *t, const struct flow_node *keep, size_t need,
                    uint64_t ts_us)
{
    size_t want = need + headroom(t);
    while (t->budget.used > (t->budget.cap > want ? t->budget.cap - want : 0)) {
        struct flow_node *victim = oldest(t, false, 0, keep);
        if (!victim)
            return;
        t->stats.memcap_hits++;
        t->stats.flows_evicted++;
        end_flow(t, victim, SK_FLOW_END_EVICTED, ts_us);
    }
}

static bool is_server_port(uint16_t p)
{
    for (size_t i = 0; i < sizeof(smtp_ports) / sizeof(smtp_ports[0]); i++)
        if (smtp_ports[i] == p)
            return true;
    return false;
}

/* Mid-stream pickup: true when the packet's sender should be taken as the originator. */
static bool sender_is_orig(const struct sk_packet *pkt)
{
    bool s_smtp = is_server_port(pkt->sport), d_smtp = is_server_port(pkt->dport);
    if (s_smtp != d_smtp)
        return d_smtp;
    bool s_low = pkt->sport < 1024, d_low = pkt->dport < 1024;
    if (s_low != d_low)
        return d_low;
    return true;
}

static int flow_create(struct sk_flow_table *t, const struct sk_packet *pkt, uint64_t hash,
                       uint32_t gen, struct flow_node **out)
{
    *out = NULL;
    while (t->stats.flows_active >= t->cfg.max_flows) {
        struct flow_node *victim = oldest(t, false, 0, NULL);
        t->stats.memcap_hits++;
        if (!victim)
            return 0;
        t->stats.flows_evicted++;
        end_flow(t, victim, SK_FLOW_END_EVICTED, pkt->ts_us);
    }
    size_t cost = sk_mem_alloc_cost(sizeof(struct flow_node));
    reclaim(t, NULL, cost, pkt->ts_us);
    if (!sk_mem_charge(&t->budget, cost)) {
        t->stats.memcap_hits++;
        return 0; /* the cap cannot hold even one flow: the packet is ignored */
    }
    struct flow_node *n = calloc(1, sizeof(*n));
    if (!n) {
        sk_mem_uncharge(&t->budget, cost);
        return SK_E_NOMEM;
    }

    bool syn = pkt->tcp_flags & SK_TCP_SYN, ack = pkt->tcp_flags & SK_TCP_ACK;
    bool from_orig;
    if (syn && !ack) {
        from_orig = true;
        n->have_isn = true;
        n->isn = pkt->seq;
    } else if (syn && ack) {
        from_orig = false; /* the SYN was missed; its receiver answers */
        n->f.midstream = true;
    } else {
        from_orig = sender_is_orig(pkt);
        n->f.midstream = true;
    }
    struct sk_flow *f = &n->f;
    f->orig_h = from_orig ? pkt->src : pkt->dst;
    f->resp_h = from_orig ? pkt->dst : pkt->src;
    f->orig_p = from_orig ? pkt->sport : pkt->dport;
    f->resp_p = from_orig ? pkt->dport : pkt->sport;
    f->ip_proto = pkt->ip_proto;
    f->vlan[0] = pkt->vlan[0];
    f->vlan[1] = pkt->vlan[1];
    f->ts_first_us = f->ts_last_us = pkt->ts_us;
    f->pcap_cnt = pkt->pcap_cnt;
    f->state = SK_TCP_NONE;
    n->hash = hash;
    n->gen = gen;
    n->last_us = t->now;
    sk_reasm_init(&n->dir[0]);
    sk_reasm_init(&n->dir[1]);
    make_ids(n);

    size_t b = hash & t->mask;
    n->hnext = t->buckets[b];
    t->buckets[b] = n;
    list_append(t, n, LIST_NEW);
    t->stats.flows_tcp++;
    t->stats.flows_active++;
    if (f->midstream)
        t->stats.midstream_pickups++;
    if (t->consumer.open)
        t->consumer.open(t->consumer.ctx, f, pkt->ts_us);
    *out = n;
    return 0;
}

static struct flow_node *lookup(const struct sk_flow_table *t, const struct sk_packet *pkt,
                                uint64_t hash, bool *from_orig)
{
    for (struct flow_node *n = t->buckets[hash & t->mask]; n; n = n->hnext) {
        const struct sk_flow *f = &n->f;
        if (n->hash != hash || f->ip_proto != pkt->ip_proto || f->vlan[0] != pkt->vlan[0] ||
            f->vlan[1] != pkt->vlan[1])
            continue;
        if (f->orig_p == pkt->sport && f->resp_p == pkt->dport && addr_eq(&f->orig_h, &pkt->src) &&
            addr_eq(&f->resp_h, &pkt->dst)) {
            *from_orig = true;
            return n;
        }
        if (f->orig_p == pkt->dport && f->resp_p == pkt->sport && addr_eq(&f->orig_h, &pkt->dst) &&
            addr_eq(&f->resp_h, &pkt->src)) {
            *from_orig = false;
            return n;
        }
    }
    return NULL;
}

/* The TCP state machine; returns false when the packet's payload is not stream data. */
/* The shift to apply to side d's advertised windows. */
static unsigned win_shift(const struct flow_node *n, int d)
{
    if (!n->syn_seen[0] || !n->syn_seen[1])
        return 14; /* handshake not seen: the scale is unknown, assume the largest */
    if (n->wscale[0] == 0xff || n->wscale[1] == 0xff)
        return 0; /* scaling is on only when both SYNs carry the option */
    return n->wscale[d] > 14 ? 14 : n->wscale[d];
}

/* An RST counts only when its sequence number lies in the receiver's window (from one
 * before the next expected byte), as a host would check it: a blind RST injected to stop
 * inspection is ignored. Sides whose stream has not started cannot be checked. */
static bool rst_in_window(const struct flow_node *n, const struct sk_packet *pkt, int d)
{
    const struct sk_reasm *r = &n->dir[d];
    if (!r->started)
        return true;
    uint64_t w = (uint64_t)n->win[1 - d] << win_shift(n, 1 - d);
    if (w < 65535)
        w = 65535;
    if (w > (1u << 30))
        w = 1u << 30;
    uint32_t off = pkt->seq - (r->next_seq - 1);
    return off <= w;
}

static bool update_state(struct sk_flow_table *t, struct flow_node *n, const struct sk_packet *pkt,
                         bool from_orig)
{
    struct sk_flow *f = &n->f;
    uint8_t fl = pkt->tcp_flags;
    bool syn = fl & SK_TCP_SYN, ack = fl & SK_TCP_ACK;
    int d = from_orig ? 0 : 1;

    if (f->state == SK_TCP_CLOSED)
        return n->end_why != SK_FLOW_END_RST;
    if (fl & SK_TCP_RST) {
        if (!rst_in_window(n, pkt, d)) {
            t->stats.rst_invalid++;
            return false;
        }
        f->state = SK_TCP_CLOSED;
        n->end_why = SK_FLOW_END_RST;
        return false;
    }
    n->win[d] = pkt->tcp_win;
    if (syn && !n->syn_seen[d]) {
        n->syn_seen[d] = true;
        n->wscale[d] = pkt->wscale;
    }
    switch (f->state) {
    case SK_TCP_NONE:
        if (syn)
            f->state = ack ? SK_TCP_SYN_RECV : SK_TCP_SYN_SENT;
        else
            f->state = SK_TCP_ESTABLISHED;
        break;
    case SK_TCP_SYN_SENT:
        if (syn && ack && !from_orig)
            f->state = SK_TCP_SYN_RECV;
        else if (!syn && ack)
            f->state = SK_TCP_ESTABLISHED; /* the SYN-ACK was missed */
        break;
    case SK_TCP_SYN_RECV:
        if (!syn && ack)
            f->state = SK_TCP_ESTABLISHED;
        break;
    default:
        break;
    }
    if (fl & SK_TCP_FIN) {
        n->fin[from_orig ? 0 : 1] = true;
        if (n->fin[0] && n->fin[1]) {
            f->state = SK_TCP_CLOSED;
            n->end_why = SK_FLOW_END_FIN;
        } else {
            f->state = SK_TCP_CLOSING;
        }
    }
    return true;
}

/* A SYN (without ACK) on a known tuple starts a new connection unless it repeats the
 * originator's SYN: the old flow is closed, or it was abandoned without a close we saw
 * (port reuse). Keeping the old flow would discard the new stream as out of window. */
static bool is_reuse(const struct flow_node *n, const struct sk_packet *pkt, bool from_orig)
{
    if (n->f.state == SK_TCP_CLOSED)
        return true;
    return !(from_orig && n->have_isn && pkt->seq == n->isn);
}

/* ---- public ---- */

void sk_flow_config_defaults(struct sk_flow_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->max_flows = DEFAULT_MAX_FLOWS;
    cfg->memcap = DEFAULT_MEMCAP;
    cfg->stream_depth = 0;
    cfg->max_queued_per_stream = DEFAULT_MAX_QUEUED;
    cfg->timeout_new_us = DEFAULT_TIMEOUT_NEW;
    cfg->timeout_est_us = DEFAULT_TIMEOUT_EST;
    cfg->timeout_closed_us = DEFAULT_TIMEOUT_CLO;
}

int sk_flow_table_new(struct sk_flow_table **out, const struct sk_flow_config *cfg,
                      const struct sk_stream_consumer *consumer)
{
    int rc = SK_E_NOMEM;
    *out = NULL;
    struct sk_flow_table *t = calloc(1, sizeof(*t));
    if (!t)
        return SK_E_NOMEM;
    sk_flow_config_defaults(&t->cfg);
    if (cfg) {
        struct sk_flow_config d = t->cfg;
        t->cfg = *cfg;
        if (!t->cfg.max_flows)
            t->cfg.max_flows = d.max_flows;
        if (!t->cfg.memcap)
            t->cfg.memcap = d.memcap;
        if (!t->cfg.timeout_new_us)
            t->cfg.timeout_new_us = d.timeout_new_us;
        if (!t->cfg.timeout_est_us)
            t->cfg.timeout_est_us = d.timeout_est_us;
        if (!t->cfg.timeout_closed_us)
            t->cfg.timeout_closed_us = d.timeout_closed_us;
    }
    if (consumer)
        t->consumer = *consumer;

    t->seed = t->cfg.hash_seed;
    if (!t->seed) {
        if (getrandom(&t->seed, sizeof(t->seed), 0) != (ssize_t)sizeof(t->seed)) {
            rc = SK_E_IO;
            goto out_free_table;
        }
    }
    seed_key(t->seed, t->key);

    size_t nb = 1024;
    while (nb < t->cfg.max_flows && nb < MAX_BUCKETS)
        nb <<= 1;
    /* written now: a bucket page read as the kernel's zero page and written later costs a
     * copy-on-write fault, with workers on several CPUs a TLB flush on each (pipeline.c).
     * explicit_bzero(), as memset() after malloc() is compiled into calloc(), which leaves
     * fresh pages unwritten (200 flushes in a two-worker run of the realistic corpus). */
    t->buckets = malloc(nb * sizeof(*t->buckets));
    if (!t->buckets)
        goto out_free_table;
    explicit_bzero(t->buckets, nb * sizeof(*t->buckets));
    t->mask = nb - 1;

    t->timeout[LIST_NEW] = t->cfg.timeout_new_us;
    t->timeout[LIST_EST] = t->cfg.timeout_est_us;
    t->timeout[LIST_CLOSED] = t->cfg.timeout_closed_us;
    t->rctx.consumer = &t->consumer;
    t->rctx.stats = &t->stats;
    t->budget.cap = t->cfg.memcap;
    t->rctx.budget = &t->budget;
    t->rctx.stream_depth = t->cfg.stream_depth;
    t->rctx.max_queued = t->cfg.max_queued_per_stream;
    *out = t;
    return 0;

out_free_table:
    free(t);
    return rc;
}

static void expire(struct sk_flow_table *t, uint64_t now)
{
    struct flow_node *n;
    while ((n = oldest(t, true, now, NULL)) != NULL) {
        enum sk_flow_end why = SK_FLOW_END_TIMEOUT;
        if (n->list == LIST_CLOSED) {
            why = n->end_why;
        } else {
            t->stats.flows_timed_out++;
        }
        /* The flow ends when its timeout ran out, not when a later packet happened to show
         * it: the same time however flows are spread over workers. */
        uint64_t deadline = n->last_us + t->timeout[n->list];
        end_flow(t, n, why, deadline < now ? deadline : now);
    }
}

void sk_flow_table_expire(struct sk_flow_table *t, uint64_t now_us)
{
    if (now_us > t->now)
        t->now = now_us;
    expire(t, t->now);
    sync_mem(t);
}

int sk_flow_table_packet(struct sk_flow_table *t, const struct sk_packet *pkt)
{
    if (pkt->ip_proto != IPPROTO_TCP)
        return 0;
    /* The clock never runs backwards, so the idle lists stay in time order. */
    if (pkt->ts_us > t->now)
        t->now = pkt->ts_us;
    expire(t, t->now);

    uint64_t hash = key_hash(t->key, pkt);
    bool from_orig = true;
    struct flow_node *n = lookup(t, pkt, hash, &from_orig);
    bool syn_only = (pkt->tcp_flags & (SK_TCP_SYN | SK_TCP_ACK | SK_TCP_RST)) == SK_TCP_SYN;
    uint32_t gen = 0;
    if (n && syn_only && is_reuse(n, pkt, from_orig)) {
        gen = n->gen + 1;
        end_flow(t, n, n->f.state == SK_TCP_CLOSED ? n->end_why : SK_FLOW_END_TIMEOUT, pkt->ts_us);
        n = NULL;
    }
    if (!n) {
        int rc = flow_create(t, pkt, hash, gen, &n);
        if (rc < 0 || !n) {
            sync_mem(t);
            return rc;
        }
        from_orig = addr_eq(&n->f.orig_h, &pkt->src) && n->f.orig_p == pkt->sport;
    } else {
        reclaim(t, n, 0, pkt->ts_us);
    }

    struct sk_flow *f = &n->f;
    f->ts_last_us = pkt->ts_us;
    f->pcap_cnt = pkt->pcap_cnt;
    if (from_orig) {
        f->pkts_toserver++;
        f->bytes_toserver += pkt->wirelen;
    } else {
        f->pkts_toclient++;
        f->bytes_toclient += pkt->wirelen;
    }
    bool stream = update_state(t, n, pkt, from_orig);
    if (f->no_reassembly && !n->stopped) {
        n->stopped = true;
        sk_reasm_stop(&n->dir[0], &t->budget);
        sk_reasm_stop(&n->dir[1], &t->budget);
    }
    if (stream) {
        sk_reasm_segment(&n->dir[from_orig ? 0 : 1], &t->rctx, f, from_orig, pkt->seq,
                         pkt->tcp_flags & SK_TCP_SYN, pkt->tcp_flags & SK_TCP_FIN, pkt->payload,
                         pkt->payload_len, pkt->ts_us);
    }
    list_unlink(t, n);
    n->last_us = t->now;
    list_append(t, n, list_for_state(f->state));
    sync_mem(t);
    return 0;
}

uint64_t sk_flow_table_next_end(const struct sk_flow_table *t)
{
    const struct flow_node *n = oldest(t, false, 0, NULL);
    return n ? n->f.ts_last_us : UINT64_MAX;
}

bool sk_flow_table_end_next(struct sk_flow_table *t)
{
    /* Oldest last packet first, each flow ending at its own last packet, not at the capture's
     * end: what it still delivers and logs carries that time (issue 10). */
    struct flow_node *n = oldest(t, false, 0, NULL);
    if (n == NULL) {
        sync_mem(t);
        return false;
    }
    end_flow(t, n, SK_FLOW_END_SHUTDOWN, n->f.ts_last_us);
    return true;
}

void sk_flow_table_flush(struct sk_flow_table *t)
{
    while (sk_flow_table_end_next(t))
        ;
}

void sk_flow_table_foreach(struct sk_flow_table *t, void (*fn)(void *ctx, struct sk_flow *f),
                           void *ctx)
{
    for (int l = 0; l < LIST_COUNT; l++)
        for (struct flow_node *n = t->lists[l].head; n; n = n->next)
            fn(ctx, &n->f);
}

struct sk_mem_budget *sk_flow_table_budget(struct sk_flow_table *t)
{
    return &t->budget;
}

const struct sk_flow_stats *sk_flow_table_stats(const struct sk_flow_table *t)
{
    return &t->stats;
}

void sk_flow_table_free(struct sk_flow_table *t)
{
    if (!t)
        return;
    sk_flow_table_flush(t);
    free(t->buckets);
    free(t);
}
