/* SPDX-License-Identifier: GPL-2.0-only */
/* Packet decode from the link layer to TCP/UDP. Every length is checked against the bytes
 * captured before it is read; a header that fails a check counts its named anomaly and the
 * packet goes no further. IP fragments are handed to defrag.c and decoded once whole. */
#include <stdlib.h>
#include <string.h>

#include <pcap/dlt.h>

#include "engine/capture/decode.h"
#include "engine/capture/defrag.h"
#include "engine/error.h"

#define SK_DECODE_DEFAULT_FRAG_MEMCAP  ((size_t)16 << 20)
#define SK_DECODE_DEFAULT_FRAG_TIMEOUT (60ull * 1000000ull)
#define SK_DECODE_MAX_VLAN             2
#define SK_DECODE_MAX_EXTHDRS          8

/* Link-type values that libpcap headers spell differently per platform or that appear
 * unmapped in files: LINKTYPE_RAW (101), DLT_RAW as on OpenBSD (14) and elsewhere (12). */
#define SK_LINKTYPE_RAW    101
#define SK_DLT_RAW_OPENBSD 14
#define SK_DLT_RAW_OTHER   12
#define SK_LINKTYPE_LOOP   108

#define SK_ETH_IPV4   0x0800
#define SK_ETH_IPV6   0x86dd
#define SK_ETH_VLAN   0x8100
#define SK_ETH_QINQ   0x88a8
#define SK_ETH_QINQ_9 0x9100

#define SK_IPPROTO_HOPOPTS  0
#define SK_IPPROTO_TCP      6
#define SK_IPPROTO_UDP      17
#define SK_IPPROTO_ROUTING  43
#define SK_IPPROTO_FRAGMENT 44
#define SK_IPPROTO_AH       51
#define SK_IPPROTO_DSTOPTS  60

static const char *const anomaly_names[] = {
#define SK__DEC_NAME(id, name) name,
    SK_DECODE_ANOMALIES(SK__DEC_NAME)
#undef SK__DEC_NAME
};

struct sk_decoder {
    struct sk_decode_stats stats;
    struct sk_defrag *defrag;
    uint64_t now_us; /* time of the packet being decoded */
};

const char *sk_decode_anomaly_name(enum sk_decode_anomaly a)
{
    if ((unsigned)a >= SK_DECODE_ANOMALY_COUNT)
        return NULL;
    return anomaly_names[a];
}

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int anomaly(struct sk_decoder *d, enum sk_decode_anomaly a)
{
    d->stats.anomalies[a]++;
    return 0;
}

int sk_decoder_new(struct sk_decoder **out, const struct sk_decode_config *cfg)
{
    size_t memcap = cfg && cfg->frag_memcap ? cfg->frag_memcap : SK_DECODE_DEFAULT_FRAG_MEMCAP;
    uint64_t timeout =
        cfg && cfg->frag_timeout_us ? cfg->frag_timeout_us : SK_DECODE_DEFAULT_FRAG_TIMEOUT;

    if (!out)
        return SK_E_INVAL;
    struct sk_decoder *d = calloc(1, sizeof(*d));
    if (!d)
        return SK_E_NOMEM;
    int rc = sk_defrag_new(&d->defrag, memcap, timeout);
    if (rc < 0)
        goto out_free_d;
    *out = d;
    return 0;

out_free_d:
    free(d);
    return rc;
}

void sk_decoder_free(struct sk_decoder *d)
{
    if (!d)
        return;
    sk_defrag_free(d->defrag);
    free(d);
}

const struct sk_decode_stats *sk_decoder_stats(const struct sk_decoder *d)
{
    return &d->stats;
}

void sk_decode_stats_foreach(const struct sk_decode_stats *s, sk_decode_counter_fn fn, void *ctx)
{
    fn(ctx, "decode.packets", s->packets);
    fn(ctx, "decode.ipv4", s->ipv4);
    fn(ctx, "decode.ipv6", s->ipv6);
    fn(ctx, "decode.tcp", s->tcp);
    fn(ctx, "decode.udp", s->udp);
    fn(ctx, "decode.other", s->other);
    fn(ctx, "decode.non_ip", s->non_ip);
    fn(ctx, "decode.fragments", s->fragments);
    fn(ctx, "decode.reassembled", s->reassembled);
    for (int i = 0; i < SK_DECODE_ANOMALY_COUNT; i++)
        fn(ctx, anomaly_names[i], s->anomalies[i]);
}

static int decode_tcp(struct sk_decoder *d, const uint8_t *p, size_t len, struct sk_packet *pkt)
{
    if (len < 20)
        return anomaly(d, SK_DECODE_TCP_TRUNCATED);
    size_t hlen = (size_t)(p[12] >> 4) * 4;
    if (hlen < 20)
        return anomaly(d, SK_DECODE_TCP_HLEN_TOO_SMALL);
    if (hlen > len)
        return anomaly(d, SK_DECODE_TCP_TRUNCATED);

    uint8_t wscale = 0xff;
    uint16_t mss = 0;
    bool sack_perm = false;
    for (size_t i = 20; i < hlen;) {
        uint8_t kind = p[i];
        if (kind == 0)
            break;
        if (kind == 1) {
            i++;
            continue;
        }
        if (i + 1 >= hlen || p[i + 1] < 2 || i + p[i + 1] > hlen)
            return anomaly(d, SK_DECODE_TCP_OPT_INVALID_LEN);
        uint8_t olen = p[i + 1];
        switch (kind) {
        case 2: /* MSS */
            if (olen != 4)
                return anomaly(d, SK_DECODE_TCP_OPT_INVALID_LEN);
            mss = rd16(p + i + 2);
            break;
        case 3: /* window scale; RFC 7323 caps the shift at 14 */
            if (olen != 3)
                return anomaly(d, SK_DECODE_TCP_OPT_INVALID_LEN);
            wscale = p[i + 2] > 14 ? 14 : p[i + 2];
            break;
        case 4: /* SACK permitted */
            if (olen != 2)
                return anomaly(d, SK_DECODE_TCP_OPT_INVALID_LEN);
            sack_perm = true;
            break;
        case 5: /* SACK blocks */
            if ((olen - 2) % 8 != 0)
                return anomaly(d, SK_DECODE_TCP_OPT_INVALID_LEN);
            break;
        case 8: /* timestamps */
            if (olen != 10)
                return anomaly(d, SK_DECODE_TCP_OPT_INVALID_LEN);
            break;
        default:
            break;
        }
        i += olen;
    }
    pkt->sport = rd16(p);
    pkt->dport = rd16(p + 2);
    pkt->seq = rd32(p + 4);
    pkt->ack = rd32(p + 8);
    pkt->tcp_flags = p[13] & 0x3f;
    pkt->tcp_win = rd16(p + 14);
    pkt->wscale = wscale;
    pkt->tcp_mss = mss;
    pkt->has_sack_perm = sack_perm;
    pkt->payload = p + hlen;
    pkt->payload_len = len - hlen;
    d->stats.tcp++;
    return 1;
}

static int decode_udp(struct sk_decoder *d, const uint8_t *p, size_t len, struct sk_packet *pkt)
{
    if (len < 8)
        return anomaly(d, SK_DECODE_UDP_TRUNCATED);
    size_t ulen = rd16(p + 4);
    if (ulen < 8 || ulen > len)
        return anomaly(d, SK_DECODE_UDP_LEN_INVALID);
    pkt->sport = rd16(p);
    pkt->dport = rd16(p + 2);
    pkt->payload = p + 8;
    pkt->payload_len = ulen - 8;
    d->stats.udp++;
    return 1;
}

/* The transport layer of a whole (possibly reassembled) IP payload. */
static int decode_l4(struct sk_decoder *d, uint8_t proto, const uint8_t *p, size_t len,
                     struct sk_packet *pkt)
{
    pkt->ip_proto = proto;
    if (proto == SK_IPPROTO_TCP)
        return decode_tcp(d, p, len, pkt);
    if (proto == SK_IPPROTO_UDP)
        return decode_udp(d, p, len, pkt);
    pkt->payload = p;
    pkt->payload_len = len;
    d->stats.other++;
    return 1;
}

/* Options after the 20 fixed bytes: each needs a length that covers itself and fits. */
static bool ipv4_options_valid(const uint8_t *o, size_t len)
{
    for (size_t i = 0; i < len;) {
        if (o[i] == 0)
            return true;
        if (o[i] == 1) {
            i++;
            continue;
        }
        if (i + 1 >= len || o[i + 1] < 2 || i + o[i + 1] > len)
            return false;
        i += o[i + 1];
    }
    return true;
}

static int decode_ipv4(struct sk_decoder *d, const uint8_t *p, size_t len, struct sk_packet *pkt)
{
    if (len < 20)
        return anomaly(d, SK_DECODE_IPV4_TRUNCATED);
    if (p[0] >> 4 != 4)
        return anomaly(d, SK_DECODE_IPV4_WRONG_VERSION);
    size_t hlen = (size_t)(p[0] & 0x0f) * 4;
    if (hlen < 20)
        return anomaly(d, SK_DECODE_IPV4_HLEN_TOO_SMALL);
    size_t iplen = rd16(p + 2);
    if (iplen < hlen)
        return anomaly(d, SK_DECODE_IPV4_IPLEN_SMALLER_THAN_HLEN);
    if (len < iplen)
        return anomaly(d, SK_DECODE_IPV4_TRUNC_PKT);
    len = iplen; /* drops link-layer padding (Ethernet's 60-byte minimum) */
    if (!ipv4_options_valid(p + 20, hlen - 20))
        return anomaly(d, SK_DECODE_IPV4_OPT_INVALID);

    d->stats.ipv4++;
    pkt->src.family = pkt->dst.family = 4;
    memcpy(pkt->src.bytes, p + 12, 4);
    memcpy(pkt->dst.bytes, p + 16, 4);
    uint8_t proto = p[9];
    uint16_t frag = rd16(p + 6);
    bool more = frag & 0x2000;
    uint32_t off = (uint32_t)(frag & 0x1fff) * 8;
    if (!more && off == 0)
        return decode_l4(d, proto, p + hlen, len - hlen, pkt);

    d->stats.fragments++;
    struct sk_defrag_key key = {.family = 4, .proto = proto, .id = rd16(p + 4)};
    memcpy(key.src, p + 12, 4);
    memcpy(key.dst, p + 16, 4);
    struct sk_defrag_frag f = {
        .ts_us = d->now_us,
        .off = off,
        .data = p + hlen,
        .len = len - hlen,
        .more = more,
        .max_len = (uint32_t)(65535 - hlen),
    };
    const uint8_t *whole;
    size_t whole_len;
    uint8_t meta;
    int rc = sk_defrag_add(d->defrag, &key, &f, d->stats.anomalies, &whole, &whole_len, &meta);
    if (rc <= 0)
        return rc;
    d->stats.reassembled++;
    return decode_l4(d, proto, whole, whole_len, pkt);
}

static bool is_exthdr(uint8_t nh)
{
    return nh == SK_IPPROTO_HOPOPTS || nh == SK_IPPROTO_ROUTING || nh == SK_IPPROTO_DSTOPTS ||
           nh == SK_IPPROTO_AH || nh == SK_IPPROTO_FRAGMENT;
}

/* Walks extension headers from nh at p; *nexthdrs counts them across fragment reassembly.
 * Fragments are reassembled only when allow_frag (not inside a reassembled payload). */
static int decode_ipv6_ext(struct sk_decoder *d, uint8_t nh, const uint8_t *p, size_t len,
                           int *nexthdrs, bool allow_frag, struct sk_packet *pkt)
{
    while (is_exthdr(nh)) {
        if (++*nexthdrs > SK_DECODE_MAX_EXTHDRS)
            return anomaly(d, SK_DECODE_IPV6_EXTHDR_TOO_MANY);
        if (len < 8)
            return anomaly(d, SK_DECODE_IPV6_EXTHDR_TRUNCATED);
        if (nh == SK_IPPROTO_FRAGMENT) {
            uint16_t offm = rd16(p + 2);
            uint32_t off = offm & 0xfff8;
            bool more = offm & 1;
            if (off == 0 && !more) { /* atomic fragment (RFC 6946): nothing to wait for */
                nh = p[0];
                p += 8;
                len -= 8;
                continue;
            }
            d->stats.fragments++;
            if (!allow_frag)
                return anomaly(d, SK_DECODE_FRAG_INVALID);
            struct sk_defrag_key key = {.family = 6, .id = rd32(p + 4)};
            memcpy(key.src, pkt->src.bytes, 16);
            memcpy(key.dst, pkt->dst.bytes, 16);
            struct sk_defrag_frag f = {
                .ts_us = d->now_us,
                .off = off,
                .data = p + 8,
                .len = len - 8,
                .more = more,
                .meta = p[0],
                .max_len = SK_DEFRAG_MAX_PAYLOAD,
            };
            const uint8_t *whole;
            size_t whole_len;
            uint8_t meta;
            int rc =
                sk_defrag_add(d->defrag, &key, &f, d->stats.anomalies, &whole, &whole_len, &meta);
            if (rc <= 0)
                return rc;
            d->stats.reassembled++;
            return decode_ipv6_ext(d, meta, whole, whole_len, nexthdrs, false, pkt);
        }
        size_t hlen = nh == SK_IPPROTO_AH ? ((size_t)p[1] + 2) * 4 : ((size_t)p[1] + 1) * 8;
        if (hlen > len)
            return anomaly(d, SK_DECODE_IPV6_EXTHDR_TRUNCATED);
        nh = p[0];
        p += hlen;
        len -= hlen;
    }
    return decode_l4(d, nh, p, len, pkt);
}

static int decode_ipv6(struct sk_decoder *d, const uint8_t *p, size_t len, struct sk_packet *pkt)
{
    if (len < 40)
        return anomaly(d, SK_DECODE_IPV6_TRUNCATED);
    if (p[0] >> 4 != 6)
        return anomaly(d, SK_DECODE_IPV6_WRONG_VERSION);
    size_t plen = rd16(p + 4);
    if (len - 40 < plen)
        return anomaly(d, SK_DECODE_IPV6_TRUNC_PKT);
    d->stats.ipv6++;
    pkt->src.family = pkt->dst.family = 6;
    memcpy(pkt->src.bytes, p + 8, 16);
    memcpy(pkt->dst.bytes, p + 24, 16);
    int nexthdrs = 0;
    return decode_ipv6_ext(d, p[6], p + 40, plen, &nexthdrs, true, pkt);
}

static int decode_ethertype(struct sk_decoder *d, uint16_t type, const uint8_t *p, size_t len,
                            struct sk_packet *pkt)
{
    int nvlan = 0;

    while (type == SK_ETH_VLAN || type == SK_ETH_QINQ || type == SK_ETH_QINQ_9) {
        if (len < 4)
            return anomaly(d, SK_DECODE_VLAN_TRUNCATED);
        if (nvlan == SK_DECODE_MAX_VLAN)
            return anomaly(d, SK_DECODE_VLAN_TOO_MANY_LAYERS);
        pkt->vlan[nvlan++] = rd16(p) & 0x0fff;
        type = rd16(p + 2);
        p += 4;
        len -= 4;
    }
    if (type == SK_ETH_IPV4)
        return decode_ipv4(d, p, len, pkt);
    if (type == SK_ETH_IPV6)
        return decode_ipv6(d, p, len, pkt);
    d->stats.non_ip++;
    return 0;
}

/* BSD loopback: the address family in host order of the capturing machine (DLT_NULL) or
 * network order (DLT_LOOP); either is accepted. 24, 28 and 30 are IPv6 on the BSDs and
 * macOS. */
static int null_family(uint32_t af)
{
    if (af == 2)
        return 4;
    if (af == 24 || af == 28 || af == 30)
        return 6;
    return 0;
}

static int decode_null(struct sk_decoder *d, const uint8_t *p, size_t len, struct sk_packet *pkt)
{
    if (len < 4)
        return anomaly(d, SK_DECODE_NULL_TRUNCATED);
    uint32_t be = rd32(p);
    uint32_t le = (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
    int fam = null_family(be);
    if (!fam)
        fam = null_family(le);
    if (fam == 4)
        return decode_ipv4(d, p + 4, len - 4, pkt);
    if (fam == 6)
        return decode_ipv6(d, p + 4, len - 4, pkt);
    return anomaly(d, SK_DECODE_NULL_UNKNOWN_FAMILY);
}

static int decode_raw(struct sk_decoder *d, const uint8_t *p, size_t len, struct sk_packet *pkt)
{
    if (len < 1)
        return anomaly(d, SK_DECODE_IPV4_TRUNCATED);
    if (p[0] >> 4 == 4)
        return decode_ipv4(d, p, len, pkt);
    if (p[0] >> 4 == 6)
        return decode_ipv6(d, p, len, pkt);
    return anomaly(d, SK_DECODE_RAW_INVALID_VERSION);
}

int sk_decoder_decode(struct sk_decoder *d, const struct sk_raw_packet *raw, struct sk_packet *pkt)
{
    const uint8_t *p = raw->data;
    size_t len = raw->caplen;

    memset(pkt, 0, sizeof(*pkt));
    pkt->ts_us = raw->ts_us;
    pkt->pcap_cnt = raw->pcap_cnt;
    pkt->wirelen = raw->wirelen;
    pkt->wscale = 0xff;
    d->stats.packets++;
    d->now_us = raw->ts_us;
    sk_defrag_expire(d->defrag, raw->ts_us, d->stats.anomalies);
    if (!p)
        len = 0;

    switch (raw->linktype) {
    case DLT_EN10MB:
        if (len < 14)
            return anomaly(d, SK_DECODE_ETH_TRUNCATED);
        return decode_ethertype(d, rd16(p + 12), p + 14, len - 14, pkt);
    case DLT_LINUX_SLL:
        if (len < 16)
            return anomaly(d, SK_DECODE_SLL_TRUNCATED);
        return decode_ethertype(d, rd16(p + 14), p + 16, len - 16, pkt);
    case DLT_LINUX_SLL2:
        if (len < 20)
            return anomaly(d, SK_DECODE_SLL2_TRUNCATED);
        return decode_ethertype(d, rd16(p), p + 20, len - 20, pkt);
    case DLT_NULL:
    case SK_LINKTYPE_LOOP:
        return decode_null(d, p, len, pkt);
    case SK_DLT_RAW_OTHER:
    case SK_DLT_RAW_OPENBSD:
    case SK_LINKTYPE_RAW:
        return decode_raw(d, p, len, pkt);
    case DLT_IPV4:
        return decode_ipv4(d, p, len, pkt);
    case DLT_IPV6:
        return decode_ipv6(d, p, len, pkt);
    default:
        return anomaly(d, SK_DECODE_LINK_UNSUPPORTED);
    }
}

/* ---- peeking at a packet's flow without decoding it ---- */

/* The TCP header at p (len bytes to the end of the IP payload) when the decoder would take it
 * as it is: no options, or the NOP, NOP, timestamps that most data segments carry. */
static int peek_tcp(const uint8_t *p, size_t len, struct sk_packet *pkt)
{
    static const uint8_t nop_nop_ts[4] = {1, 1, 8, 10};
    if (len < 20)
        return -1;
    size_t hlen = (size_t)(p[12] >> 4) * 4;
    if (hlen > len || (hlen != 20 && (hlen != 32 || memcmp(p + 20, nop_nop_ts, 4) != 0)))
        return -1;
    pkt->ip_proto = SK_IPPROTO_TCP;
    pkt->sport = rd16(p);
    pkt->dport = rd16(p + 2);
    return 1;
}

static int peek_ipv4(const uint8_t *p, size_t len, struct sk_packet *pkt)
{
    if (len < 20 || p[0] != 0x45)
        return -1; /* not version 4 with 20 bytes of header: options, or an anomaly */
    size_t iplen = rd16(p + 2);
    if (iplen < 20 || len < iplen || (rd16(p + 6) & 0x3fff) != 0)
        return -1; /* an anomaly, or a fragment for the reassembly */
    if (p[9] != SK_IPPROTO_TCP)
        return 0;
    pkt->src.family = pkt->dst.family = 4;
    memcpy(pkt->src.bytes, p + 12, 4);
    memcpy(pkt->dst.bytes, p + 16, 4);
    return peek_tcp(p + 20, iplen - 20, pkt);
}

static int peek_ipv6(const uint8_t *p, size_t len, struct sk_packet *pkt)
{
    if (len < 40 || p[0] >> 4 != 6)
        return -1;
    size_t plen = rd16(p + 4);
    if (len - 40 < plen)
        return -1;
    if (p[6] != SK_IPPROTO_TCP)
        return is_exthdr(p[6]) ? -1 : 0;
    pkt->src.family = pkt->dst.family = 6;
    memcpy(pkt->src.bytes, p + 8, 16);
    memcpy(pkt->dst.bytes, p + 24, 16);
    return peek_tcp(p + 40, plen, pkt);
}

void sk_decoder_count_peeked(struct sk_decoder *d, const struct sk_raw_packet *raw,
                             const struct sk_packet *peeked)
{
    /* what sk_decoder_decode() does with such a packet but the packet itself */
    d->stats.packets++;
    d->now_us = raw->ts_us;
    sk_defrag_expire(d->defrag, raw->ts_us, d->stats.anomalies);
    if (peeked->src.family == 6)
        d->stats.ipv6++;
    else
        d->stats.ipv4++;
    d->stats.tcp++;
}

int sk_decoder_peek(const struct sk_raw_packet *raw, struct sk_packet *pkt)
{
    const uint8_t *p = raw->data;
    size_t len = raw->caplen;
    uint16_t type;

    /* only the tuple: the rest of *pkt is left as it was */
    memset(&pkt->src, 0, sizeof(pkt->src));
    memset(&pkt->dst, 0, sizeof(pkt->dst));
    pkt->vlan[0] = pkt->vlan[1] = 0;
    pkt->ts_us = raw->ts_us;
    if (!p)
        return -1;
    size_t hlen, type_at; /* the link header's length, where its Ethernet type is */
    switch (raw->linktype) {
    case DLT_EN10MB:
        hlen = 14, type_at = 12;
        break;
    case DLT_LINUX_SLL:
        hlen = 16, type_at = 14;
        break;
    case DLT_LINUX_SLL2:
        hlen = 20, type_at = 0;
        break;
    default:
        return -1;
    }
    if (len < hlen)
        return -1;
    type = rd16(p + type_at);
    p += hlen;
    len -= hlen;
    for (int nvlan = 0; type == SK_ETH_VLAN || type == SK_ETH_QINQ || type == SK_ETH_QINQ_9;) {
        if (len < 4 || nvlan == SK_DECODE_MAX_VLAN)
            return -1;
        pkt->vlan[nvlan++] = rd16(p) & 0x0fff;
        type = rd16(p + 2);
        p += 4;
        len -= 4;
    }
    if (type == SK_ETH_IPV4)
        return peek_ipv4(p, len, pkt);
    if (type == SK_ETH_IPV6)
        return peek_ipv6(p, len, pkt);
    return 0; /* no IP: counted as such, nothing more */
}
