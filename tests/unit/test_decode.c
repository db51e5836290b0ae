/* SPDX-License-Identifier: GPL-2.0-only */
/* The decoder on hand-built frames: every link type, VLAN and QinQ, IPv4 options, IPv4 and
 * IPv6 fragments in every order, IPv6 extension headers, TCP options, and every valid frame
 * cut at every length (each cut must count exactly one anomaly and never read past it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "engine/capture/decode.h"
#include "engine/capture/defrag.h"
#include "engine/error.h"

#define LT_EN10MB 1
#define LT_NULL   0
#define LT_SLL    113
#define LT_SLL2   276
#define LT_LOOP   108
#define LT_IPV4   228
#define LT_IPV6   229

static const uint8_t SRC4[4] = {10, 0, 0, 1};
static const uint8_t DST4[4] = {192, 168, 1, 2};
static const uint8_t SRC6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
static const uint8_t DST6[16] = {0x20, 0x01, 0x0d, 0xb8, [14] = 0xab, [15] = 2};

static void w16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void w32(uint8_t *p, uint32_t v)
{
    w16(p, (uint16_t)(v >> 16));
    w16(p + 2, (uint16_t)v);
}

/* memcpy that accepts (NULL, 0). */
static void put(uint8_t *dst, const void *src, size_t n)
{
    if (n)
        memcpy(dst, src, n);
}

/* TCP: ports 1025 -> 25, seq 1000, ack 2000, PSH|ACK, window 512, options then payload. */
static size_t mk_tcp(uint8_t *b, const uint8_t *opts, size_t optlen, const char *payload)
{
    size_t plen = strlen(payload);
    memset(b, 0, 20);
    w16(b, 1025);
    w16(b + 2, 25);
    w32(b + 4, 1000);
    w32(b + 8, 2000);
    b[12] = (uint8_t)(((20 + optlen) / 4) << 4);
    b[13] = 0x18;
    w16(b + 14, 512);
    put(b + 20, opts, optlen);
    put(b + 20 + optlen, payload, plen);
    return 20 + optlen + plen;
}

static size_t mk_udp(uint8_t *b, const uint8_t *payload, size_t plen)
{
    w16(b, 5353);
    w16(b + 2, 53);
    w16(b + 4, (uint16_t)(8 + plen));
    w16(b + 6, 0);
    put(b + 8, payload, plen);
    return 8 + plen;
}

static size_t mk_ipv4(uint8_t *b, uint8_t proto, const uint8_t *opts, size_t optlen, uint16_t id,
                      uint16_t frag, const uint8_t *l4, size_t l4len)
{
    size_t hlen = 20 + optlen;
    memset(b, 0, 20);
    b[0] = (uint8_t)(0x40 | (hlen / 4));
    w16(b + 2, (uint16_t)(hlen + l4len));
    w16(b + 4, id);
    w16(b + 6, frag);
    b[8] = 64;
    b[9] = proto;
    memcpy(b + 12, SRC4, 4);
    memcpy(b + 16, DST4, 4);
    put(b + 20, opts, optlen);
    put(b + hlen, l4, l4len);
    return hlen + l4len;
}

static size_t mk_ipv6(uint8_t *b, uint8_t nh, const uint8_t *ext, size_t extlen, const uint8_t *l4,
                      size_t l4len)
{
    memset(b, 0, 40);
    b[0] = 0x60;
    w16(b + 4, (uint16_t)(extlen + l4len));
    b[6] = nh;
    b[7] = 64;
    memcpy(b + 8, SRC6, 16);
    memcpy(b + 24, DST6, 16);
    put(b + 40, ext, extlen);
    put(b + 40 + extlen, l4, l4len);
    return 40 + extlen + l4len;
}

static size_t mk_eth(uint8_t *b, uint16_t type, const uint8_t *inner, size_t n)
{
    static const uint8_t macs[12] = {0, 1, 2, 3, 4, 5, 0, 6, 7, 8, 9, 10};
    memcpy(b, macs, 12);
    w16(b + 12, type);
    put(b + 14, inner, n);
    return 14 + n;
}

static size_t mk_vlan(uint8_t *b, uint16_t tpid, uint16_t id, uint16_t type, const uint8_t *inner,
                      size_t n)
{
    w16(b, tpid);
    w16(b + 2, id);
    w16(b + 4, type);
    put(b + 6, inner, n);
    return 6 + n; /* tpid + tag + inner type: prepend to the Ethernet header's 12 MACs */
}

/* A raw packet of a heap copy of exactly len bytes, so the sanitizers see any read past it;
 * the caller frees raw.data. */
static struct sk_raw_packet raw_copy(int linktype, const uint8_t *buf, size_t len, uint64_t ts_us)
{
    uint8_t *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    put(copy, buf, len);
    return (struct sk_raw_packet){.data = copy,
                                  .caplen = (uint32_t)len,
                                  .wirelen = (uint32_t)len,
                                  .ts_us = ts_us,
                                  .linktype = linktype};
}

static int decode(struct sk_decoder *d, int linktype, const uint8_t *buf, size_t len,
                  uint64_t ts_us, struct sk_packet *pkt)
{
    struct sk_raw_packet raw = raw_copy(linktype, buf, len, ts_us);
    uint8_t *copy = (uint8_t *)raw.data;
    int rc = sk_decoder_decode(d, &raw, pkt);
    /* The payload may point into copy: check it before freeing by copying it out. */
    static uint8_t keep[70000];
    if (rc == 1 && pkt->payload_len) {
        assert_true(pkt->payload_len <= sizeof(keep));
        memcpy(keep, pkt->payload, pkt->payload_len);
        pkt->payload = keep;
    }
    free(copy);
    return rc;
}

static uint64_t anomaly_sum(const struct sk_decoder *d)
{
    uint64_t n = 0;
    for (int i = 0; i < SK_DECODE_ANOMALY_COUNT; i++)
        n += sk_decoder_stats(d)->anomalies[i];
    return n;
}

static uint64_t anom(const struct sk_decoder *d, enum sk_decode_anomaly a)
{
    return sk_decoder_stats(d)->anomalies[a];
}

static struct sk_decoder *new_decoder(size_t memcap)
{
    struct sk_decoder *d = NULL;
    struct sk_decode_config cfg = {.frag_memcap = memcap, .frag_timeout_us = 0};
    assert_int_equal(sk_decoder_new(&d, memcap ? &cfg : NULL), 0);
    return d;
}

static const uint8_t TCP_OPTS[] = {2, 4, 0x05, 0xb4, /* MSS 1460 */
                                   1, 3, 3,    7,    /* NOP, WS 7 */
                                   4, 2, 1,    1};   /* SACK permitted, NOP, NOP */

/* An IPv4 TCP segment with options on both layers: 24 + 32 + 5 bytes. */
static size_t mk_ipv4_tcp(uint8_t *b)
{
    static const uint8_t ipopts[4] = {1, 1, 1, 0}; /* NOP NOP NOP EOL */
    uint8_t l4[128];
    size_t n = mk_tcp(l4, TCP_OPTS, sizeof(TCP_OPTS), "HELO\n");
    return mk_ipv4(b, 6, ipopts, sizeof(ipopts), 7, 0x4000, l4, n);
}

static size_t mk_ipv6_tcp(uint8_t *b)
{
    uint8_t l4[128];
    size_t n = mk_tcp(l4, TCP_OPTS, sizeof(TCP_OPTS), "EHLO\n");
    /* hop-by-hop (8 bytes, PadN) -> destination options (8 bytes) -> TCP */
    uint8_t ext[16] = {60, 0, 1, 4, 0, 0, 0, 0, 6, 0, 1, 4, 0, 0, 0, 0};
    return mk_ipv6(b, 0, ext, sizeof(ext), l4, n);
}

static void assert_tcp_fields(const struct sk_packet *p, const char *payload)
{
    assert_int_equal(p->ip_proto, 6);
    assert_int_equal(p->sport, 1025);
    assert_int_equal(p->dport, 25);
    assert_int_equal(p->seq, 1000);
    assert_int_equal(p->ack, 2000);
    assert_int_equal(p->tcp_flags, SK_TCP_PSH | SK_TCP_ACK);
    assert_int_equal(p->tcp_win, 512);
    assert_int_equal(p->tcp_mss, 1460);
    assert_int_equal(p->wscale, 7);
    assert_true(p->has_sack_perm);
    assert_int_equal(p->payload_len, strlen(payload));
    assert_memory_equal(p->payload, payload, strlen(payload));
}

static void test_decode_ethernet_ipv4_tcp(void **state)
{
    (void)state;
    uint8_t ip[256], f[300];
    struct sk_packet p;
    struct sk_decoder *d = new_decoder(0);
    size_t n = mk_eth(f, 0x0800, ip, mk_ipv4_tcp(ip));

    assert_int_equal(decode(d, LT_EN10MB, f, n, 42, &p), 1);
    assert_tcp_fields(&p, "HELO\n");
    assert_int_equal(p.ts_us, 42);
    assert_int_equal(p.src.family, 4);
    assert_memory_equal(p.src.bytes, SRC4, 4);
    assert_memory_equal(p.dst.bytes, DST4, 4);
    assert_int_equal(p.vlan[0], 0);
    const struct sk_decode_stats *s = sk_decoder_stats(d);
    assert_int_equal(s->packets, 1);
    assert_int_equal(s->ipv4, 1);
    assert_int_equal(s->tcp, 1);
    assert_int_equal(anomaly_sum(d), 0);
    sk_decoder_free(d);
}

static void test_decode_ethernet_padding_trimmed(void **state)
{
    (void)state;
    uint8_t l4[64], ip[128], f[128];
    struct sk_packet p;
    struct sk_decoder *d = new_decoder(0);
    /* 14 + 20 + 20 + 2 = 56 bytes: Ethernet pads to 60 with bytes that are not payload. */
    size_t n = mk_eth(f, 0x0800, ip, mk_ipv4(ip, 6, NULL, 0, 1, 0, l4, mk_tcp(l4, NULL, 0, "OK")));
    memset(f + n, 0xee, 60 - n);
    assert_int_equal(decode(d, LT_EN10MB, f, 60, 0, &p), 1);
    assert_int_equal(p.payload_len, 2);
    assert_memory_equal(p.payload, "OK", 2);
    assert_int_equal(p.wscale, 0xff);
    assert_int_equal(p.tcp_mss, 0);
    assert_false(p.has_sack_perm);
    sk_decoder_free(d);
}

static void test_decode_every_link_type(void **state)
{
    (void)state;
    uint8_t ip4[256], ip6[256], f[400];
    struct sk_packet p;
    struct sk_decoder *d = new_decoder(0);
    size_t n4 = mk_ipv4_tcp(ip4), n6 = mk_ipv6_tcp(ip6);

    /* Linux SLL: 16-byte header, protocol last. */
    memset(f, 0, 16);
    w16(f + 14, 0x0800);
    memcpy(f + 16, ip4, n4);
    assert_int_equal(decode(d, LT_SLL, f, 16 + n4, 0, &p), 1);
    assert_tcp_fields(&p, "HELO\n");
    w16(f + 14, 0x86dd);
    memcpy(f + 16, ip6, n6);
    assert_int_equal(decode(d, LT_SLL, f, 16 + n6, 0, &p), 1);
    assert_tcp_fields(&p, "EHLO\n");
    assert_int_equal(p.src.family, 6);
    assert_memory_equal(p.src.bytes, SRC6, 16);
    assert_memory_equal(p.dst.bytes, DST6, 16);

    /* Linux SLL2: 20-byte header, protocol first. */
    memset(f, 0, 20);
    w16(f, 0x0800);
    memcpy(f + 20, ip4, n4);
    assert_int_equal(decode(d, LT_SLL2, f, 20 + n4, 0, &p), 1);
    assert_tcp_fields(&p, "HELO\n");

    /* BSD loopback, both byte orders, IPv4 (2) and each IPv6 value (24, 28, 30). */
    static const uint8_t afs[][4] = {{2, 0, 0, 0},  {0, 0, 0, 2},  {24, 0, 0, 0},
                                     {0, 0, 0, 28}, {30, 0, 0, 0}, {0, 0, 0, 30}};
    for (size_t i = 0; i < sizeof(afs) / sizeof(afs[0]); i++) {
        bool v6 = afs[i][0] + afs[i][3] != 2;
        memcpy(f, afs[i], 4);
        memcpy(f + 4, v6 ? ip6 : ip4, v6 ? n6 : n4);
        assert_int_equal(decode(d, LT_NULL, f, 4 + (v6 ? n6 : n4), 0, &p), 1);
        assert_int_equal(p.src.family, v6 ? 6 : 4);
        assert_int_equal(decode(d, LT_LOOP, f, 4 + (v6 ? n6 : n4), 0, &p), 1);
        assert_int_equal(p.src.family, v6 ? 6 : 4);
    }
    memcpy(f, (uint8_t[]){99, 0, 0, 0}, 4);
    assert_int_equal(decode(d, LT_NULL, f, 4 + n4, 0, &p), 0);
    assert_int_equal(anom(d, SK_DECODE_NULL_UNKNOWN_FAMILY), 1);

    /* Raw IP under DLT_RAW (12), OpenBSD's DLT_RAW (14) and LINKTYPE_RAW (101). */
    static const int raws[] = {12, 14, 101};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(decode(d, raws[i], ip4, n4, 0, &p), 1);
        assert_int_equal(p.src.family, 4);
        assert_int_equal(decode(d, raws[i], ip6, n6, 0, &p), 1);
        assert_int_equal(p.src.family, 6);
        assert_tcp_fields(&p, "EHLO\n");
    }
    assert_int_equal(decode(d, LT_IPV4, ip4, n4, 0, &p), 1);
    assert_int_equal(decode(d, LT_IPV6, ip6, n6, 0, &p), 1);
    assert_int_equal(decode(d, LT_IPV4, ip6, n6, 0, &p), 0);
    assert_int_equal(anom(d, SK_DECODE_IPV4_WRONG_VERSION), 1);
    assert_int_equal(decode(d, LT_IPV6, ip4, n4, 0, &p), 0);
    assert_int_equal(anom(d, SK_DECODE_IPV6_WRONG_VERSION), 1);
    ip4[0] = 0x55;
    assert_int_equal(decode(d, 12, ip4, n4, 0, &p), 0);
    assert_int_equal(anom(d, SK_DECODE_RAW_INVALID_VERSION), 1);

    assert_int_equal(decode(d, 9999, ip6, n6, 0, &p), 0);
    assert_int_equal(anom(d, SK_DECODE_LINK_UNSUPPORTED), 1);
    assert_int_equal(anomaly_sum(d), 5);
    assert_int_equal(sk_decoder_stats(d)->tcp, 2 + 1 + 12 + 6 + 2);
    sk_decoder_free(d);
}

static void test_decode_vlan_and_qinq(void **state)
{
    (void)state;
    uint8_t ip[256], t1[300], t2[300], t3[300], f[400];
    struct sk_packet p;
    struct sk_decoder *d = new_decoder(0);
    size_t n = mk_ipv4_tcp(ip);

    /* 802.1Q, VLAN 100 (priority bits set, must be masked off). */
    size_t n1 = mk_vlan(t1, 0x8100, 0xe000 | 100, 0x0800, ip, n);
    size_t fl = mk_eth(f, 0, NULL, 0) - 2;
    memcpy(f + fl, t1, n1);
    assert_int_equal(decode(d, LT_EN10MB, f, fl + n1, 0, &p), 1);
    assert_int_equal(p.vlan[0], 100);
    assert_int_equal(p.vlan[1], 0);
    assert_tcp_fields(&p, "HELO\n");

    /* 802.1ad outer 200, 802.1Q inner 100. */
    size_t n2 = mk_vlan(t2, 0x88a8, 200, 0x8100, t1 + 2, n1 - 2);
    memcpy(f + fl, t2, n2);
    assert_int_equal(decode(d, LT_EN10MB, f, fl + n2, 0, &p), 1);
    assert_int_equal(p.vlan[0], 200);
    assert_int_equal(p.vlan[1], 100);
    assert_tcp_fields(&p, "HELO\n");

    /* Three tags: one too many. */
    size_t n3 = mk_vlan(t3, 0x9100, 300, 0x88a8, t2 + 2, n2 - 2);
    memcpy(f + fl, t3, n3);
    assert_int_equal(decode(d, LT_EN10MB, f, fl + n3, 0, &p), 0);
    assert_int_equal(anom(d, SK_DECODE_VLAN_TOO_MANY_LAYERS), 1);

    /* A tagged ARP frame is not IP: counted, not an anomaly. */
    n1 = mk_vlan(t1, 0x8100, 5, 0x0806, ip, 28);
    memcpy(f + fl, t1, n1);
    assert_int_equal(decode(d, LT_EN10MB, f, fl + n1, 0, &p), 0);
    assert_int_equal(sk_decoder_stats(d)->non_ip, 1);
    assert_int_equal(anomaly_sum(d), 1);
    sk_decoder_free(d);
}

static void test_decode_ipv4_options_and_bad_headers(void **state)
{
    (void)state;
    uint8_t l4[64], ip[128];
    struct sk_packet p;
    struct sk_decoder *d = new_decoder(0);
    size_t l4n = mk_tcp(l4, NULL, 0, "DATA");

    /* Record route (7 bytes) + EOL: valid. */
    static const uint8_t rr[8] = {7, 7, 4, 0, 0, 0, 0, 0};
    size_t n = mk_ipv4(ip, 6, rr, sizeof(rr), 1, 0, l4, l4n);
    assert_int_equal(decode(d, LT_IPV4, ip, n, 0, &p), 1);
    assert_int_equal(p.payload_len, 4);

    /* Option length 1 (shorter than itself), and one running past the header. */
    static const uint8_t bad1[4] = {7, 1, 0, 0};
    static const uint8_t bad2[4] = {1, 7, 9, 0};
    n = mk_ipv4(ip, 6, bad1, 4, 1, 0, l4, l4n);
    assert_int_equal(decode(d, LT_IPV4, ip, n, 0, &p), 0);
    n = mk_ipv4(ip, 6, bad2, 4, 1, 0, l4, l4n);
    assert_int_equal(decode(d, LT_IPV4, ip, n, 0, &p), 0);
    assert_int_equal(anom(d, SK_DECODE_IPV4_OPT_INVALID), 2);

    n = mk_ipv4(ip, 6, NULL, 0, 1, 0, l4, l4n);
    ip[0] = 0x44; /* header length 16 */
    assert_int_equal(decode(d, LT_IPV4, ip, n, 0, &p), 0);
    assert_int_equal(anom(d, SK_DECODE_IPV4_HLEN_TOO_SMALL), 1);
    ip[0] = 0x45;
    w16(ip + 2, 19);
    assert_int_equal(decode(d, LT_IPV4, ip, n, 0, &p), 0);
    assert_int_equal(anom(d, SK_DECODE_IPV4_IPLEN_SMALLER_THAN_HLEN), 1);
    w16(ip + 2, (uint16_t)(n + 1));
    assert_int_equal(decode(d, LT_IPV4, ip, n, 0, &p), 0);
    assert_int_equal(anom(d, SK_DECODE_IPV4_TRUNC_PKT), 1);

    /* TCP: data offset 4, bad option lengths, window scale above 14 capped. */
    n = mk_ipv4(ip, 6, NULL, 0, 1, 0, l4, l4n);
    ip[20 + 12] = 0x40;
    assert_int_equal(decode(d, LT_IPV4, ip, n, 0, &p), 0);
    assert_int_equal(anom(d, SK_DECODE_TCP_HLEN_TOO_SMALL), 1);
    static const uint8_t badopt[4][4] = {{2, 3, 5, 0}, {3, 0, 0, 0}, {1, 1, 8, 9}, {4, 3, 0, 0}};
    for (int i = 0; i < 4; i++) {
        n = mk_ipv4(ip, 6, NULL, 0, 1, 0, l4, mk_tcp(l4, badopt[i], 4, "x"));
        assert_int_equal(decode(d, LT_IPV4, ip, n, 0, &p), 0);
    }
    assert_int_equal(anom(d, SK_DECODE_TCP_OPT_INVALID_LEN), 4);
    static const uint8_t ws20[4] = {3, 3, 20, 0};
    n = mk_ipv4(ip, 6, NULL, 0, 1, 0, l4, mk_tcp(l4, ws20, 4, "x"));
    assert_int_equal(decode(d, LT_IPV4, ip, n, 0, &p), 1);
    assert_int_equal(p.wscale, 14);

    /* UDP length field below 8 or past the datagram; ICMP counted as other. */
    uint8_t u[16];
    size_t un = mk_udp(u, (const uint8_t *)"abcd", 4);
    n = mk_ipv4(ip, 17, NULL, 0, 1, 0, u, un);
    assert_int_equal(decode(d, LT_IPV4, ip, n, 0, &p), 1);
    assert_int_equal(p.payload_len, 4);
    assert_int_equal(p.dport, 53);
    w16(ip + 20 + 4, 13);
    assert_int_equal(decode(d, LT_IPV4, ip, n, 0, &p), 0);
    w16(ip + 20 + 4, 7);
    assert_int_equal(decode(d, LT_IPV4, ip, n, 0, &p), 0);
    assert_int_equal(anom(d, SK_DECODE_UDP_LEN_INVALID), 2);
    n = mk_ipv4(ip, 1, NULL, 0, 1, 0, u, 8);
    assert_int_equal(decode(d, LT_IPV4, ip, n, 0, &p), 1);
    assert_int_equal(p.ip_proto, 1);
    assert_int_equal(p.payload_len, 8);
    assert_int_equal(sk_decoder_stats(d)->other, 1);
    assert_int_equal(sk_decoder_stats(d)->udp, 1);
    sk_decoder_free(d);
}

/* A 72-byte UDP datagram (8 header + 64 payload) split into IPv4 fragments. */
struct frag {
    uint32_t off, len;
    bool more;
};

static size_t mk_ipv4_frag(uint8_t *b, uint16_t id, const uint8_t *whole, struct frag fr)
{
    return mk_ipv4(b, 17, NULL, 0, id, (uint16_t)((fr.more ? 0x2000 : 0) | (fr.off / 8)),
                   whole + fr.off, fr.len);
}

static void mk_payload(uint8_t *pl, size_t n)
{
    for (size_t i = 0; i < n; i++)
        pl[i] = (uint8_t)('a' + i % 26);
}

/* Feeds fragments in the given order; only the last may complete the datagram. */
static void feed_v4(struct sk_decoder *d, const struct frag *fr, size_t nfr, const uint8_t *whole,
                    const uint8_t *expect, size_t expect_len)
{
    uint8_t ip[2048];
    struct sk_packet p;
    for (size_t i = 0; i < nfr; i++) {
        size_t n = mk_ipv4_frag(ip, 77, whole, fr[i]);
        int rc = decode(d, LT_IPV4, ip, n, 1000 + i, &p);
        if (i + 1 < nfr) {
            assert_int_equal(rc, 0);
            continue;
        }
        assert_int_equal(rc, 1);
        assert_int_equal(p.ip_proto, 17);
        assert_int_equal(p.sport, 5353);
        assert_int_equal(p.payload_len, expect_len);
        assert_memory_equal(p.payload, expect, expect_len);
    }
}

static void test_decode_ipv4_fragments_any_order(void **state)
{
    (void)state;
    uint8_t pl[64], whole[80];
    mk_payload(pl, sizeof(pl));
    mk_udp(whole, pl, sizeof(pl));
    const struct frag in_order[] = {{0, 24, true}, {24, 24, true}, {48, 24, false}};
    const struct frag reversed[] = {{48, 24, false}, {24, 24, true}, {0, 24, true}};
    const struct frag middle_last[] = {{48, 24, false}, {0, 24, true}, {24, 24, true}};
    const struct frag dup[] = {
        {0, 24, true}, {0, 24, true}, {48, 24, false}, {48, 24, false}, {24, 24, true}};
    const struct frag overlap[] = {{0, 32, true}, {16, 32, true}, {40, 32, false}};

    struct sk_decoder *d = new_decoder(0);
    feed_v4(d, in_order, 3, whole, pl, sizeof(pl));
    feed_v4(d, reversed, 3, whole, pl, sizeof(pl));
    feed_v4(d, middle_last, 3, whole, pl, sizeof(pl));
    assert_int_equal(anomaly_sum(d), 0);
    feed_v4(d, dup, 5, whole, pl, sizeof(pl));
    assert_int_equal(anomaly_sum(d), 0); /* exact duplicates are benign */
    feed_v4(d, overlap, 3, whole, pl, sizeof(pl));
    assert_int_equal(anom(d, SK_DECODE_IPV4_FRAG_OVERLAP), 2);
    const struct sk_decode_stats *s = sk_decoder_stats(d);
    assert_int_equal(s->fragments, 3 + 3 + 3 + 5 + 3);
    assert_int_equal(s->reassembled, 5);
    assert_int_equal(s->udp, 5);
    sk_decoder_free(d);
}

static void test_decode_ipv4_fragment_overlap_first_wins(void **state)
{
    (void)state;
    uint8_t pl[64], whole[80], evil[80], ip[256];
    struct sk_packet p;
    struct sk_decoder *d = new_decoder(0);
    mk_payload(pl, sizeof(pl));
    mk_udp(whole, pl, sizeof(pl));
    memset(whole, 0, sizeof(whole));
    mk_udp(whole, pl, sizeof(pl));
    memcpy(evil, whole, sizeof(evil));
    memset(evil + 16, 'X', 40);

    size_t n = mk_ipv4_frag(ip, 9, whole, (struct frag){0, 24, true});
    assert_int_equal(decode(d, LT_IPV4, ip, n, 0, &p), 0);
    n = mk_ipv4_frag(ip, 9, whole, (struct frag){48, 24, false});
    assert_int_equal(decode(d, LT_IPV4, ip, n, 0, &p), 0);
    /* Covers the hole [24, 48) and rewrites bytes on both sides of it: only the hole counts. */
    n = mk_ipv4_frag(ip, 9, evil, (struct frag){16, 40, true});
    assert_int_equal(decode(d, LT_IPV4, ip, n, 0, &p), 1);
    uint8_t expect[64];
    memcpy(expect, pl, 64);
    memset(expect + 16, 'X', 24); /* datagram bytes 24..47 = payload 16..39 */
    assert_int_equal(p.payload_len, 64);
    assert_memory_equal(p.payload, expect, 64);
    assert_int_equal(anom(d, SK_DECODE_IPV4_FRAG_OVERLAP), 1);

    /* A second "last" fragment that moves the end, and a fragment past the end. */
    n = mk_ipv4_frag(ip, 10, whole, (struct frag){48, 24, false});
    assert_int_equal(decode(d, LT_IPV4, ip, n, 0, &p), 0);
    n = mk_ipv4_frag(ip, 10, whole, (struct frag){40, 24, false});
    assert_int_equal(decode(d, LT_IPV4, ip, n, 0, &p), 0);
    n = mk_ipv4_frag(ip, 10, whole, (struct frag){72, 8, true});
    assert_int_equal(decode(d, LT_IPV4, ip, n, 0, &p), 0);
    /* A non-final fragment whose length is not a multiple of 8. */
    n = mk_ipv4_frag(ip, 11, whole, (struct frag){0, 20, true});
    assert_int_equal(decode(d, LT_IPV4, ip, n, 0, &p), 0);
    assert_int_equal(anom(d, SK_DECODE_FRAG_INVALID), 3);
    /* Offset 65528 + 16 bytes exceeds the 65535-byte datagram. */
    n = mk_ipv4(ip, 17, NULL, 0, 12, 0x2000 | 8191, whole, 16);
    assert_int_equal(decode(d, LT_IPV4, ip, n, 0, &p), 0);
    assert_int_equal(anom(d, SK_DECODE_IPV4_FRAG_TOO_LARGE), 1);
    sk_decoder_free(d);
}

static uint32_t xorshift(uint64_t *st)
{
    *st ^= *st << 13;
    *st ^= *st >> 7;
    *st ^= *st << 17;
    return (uint32_t)*st;
}

/* Random datagrams cut into random 8-aligned fragments, with extra overlapping copies, fed in
 * random order: the datagram completes exactly when its bytes are all covered, and equals
 * the original. */
static void test_decode_ipv4_fragments_random_orders(void **state)
{
    (void)state;
    static uint8_t whole[1600], ip[1700];
    uint64_t rng = 0x5eed;
    struct sk_packet p;
    struct sk_decoder *d = new_decoder(0);

    for (int round = 0; round < 300; round++) {
        size_t plen = 16 + xorshift(&rng) % 1400;
        uint8_t pl[1500];
        for (size_t i = 0; i < plen; i++)
            pl[i] = (uint8_t)xorshift(&rng);
        uint32_t total = (uint32_t)mk_udp(whole, pl, plen);
        struct frag fr[64];
        int nfr = 0;
        for (uint32_t at = 0; at < total;) {
            uint32_t e = at + 8 * (1 + xorshift(&rng) % 24);
            e = e > total ? total : e;
            if (at == 0 && e == total) /* that would be a whole datagram, not a fragment */
                e = 8 * ((total - 1) / 8);
            fr[nfr++] = (struct frag){at, e - at, e < total};
            at = e;
        }
        for (int extra = (int)(xorshift(&rng) % 6); extra > 0 && nfr < 64; extra--) {
            uint32_t at = 8 * (xorshift(&rng) % ((total + 7) / 8));
            uint32_t e = at + 8 * (1 + xorshift(&rng) % 24);
            e = e > total ? total : e;
            if (at == 0 && e == total) /* that would be a whole datagram, not a fragment */
                e = 8 * ((total - 1) / 8);
            fr[nfr++] = (struct frag){at, e - at, e < total};
        }
        for (int i = nfr - 1; i > 0; i--) {
            int j = (int)(xorshift(&rng) % (uint32_t)(i + 1));
            struct frag t = fr[i];
            fr[i] = fr[j];
            fr[j] = t;
        }
        uint8_t covered[1600] = {0};
        size_t ncovered = 0;
        bool done = false;
        for (int i = 0; i < nfr && !done; i++) {
            for (uint32_t k = fr[i].off; k < fr[i].off + fr[i].len; k++)
                if (!covered[k]++)
                    ncovered++;
            size_t n = mk_ipv4_frag(ip, (uint16_t)round, whole, fr[i]);
            int rc = decode(d, LT_IPV4, ip, n, (uint64_t)round, &p);
            assert_int_equal(rc, ncovered == total ? 1 : 0);
            done = rc == 1;
        }
        assert_true(done);
        assert_int_equal(p.payload_len, plen);
        assert_memory_equal(p.payload, pl, plen);
    }
    assert_int_equal(sk_decoder_stats(d)->reassembled, 300);
    assert_int_equal(anom(d, SK_DECODE_FRAG_INVALID), 0);
    assert_int_equal(anom(d, SK_DECODE_FRAG_MEMCAP), 0);
    sk_decoder_free(d);
}

static void test_decode_fragment_memcap_and_timeout(void **state)
{
    (void)state;
    uint8_t big[600], ip[700];
    struct sk_packet p;
    memset(big, 'm', sizeof(big));
    struct sk_decoder *d = new_decoder(8192);

    /* 40 first fragments of 512 bytes each, all different datagrams: the cap must stop them. */
    for (uint16_t id = 0; id < 40; id++) {
        size_t n = mk_ipv4(ip, 17, NULL, 0, id, 0x2000, big, 512);
        assert_int_equal(decode(d, LT_IPV4, ip, n, 0, &p), 0);
    }
    uint64_t refused = anom(d, SK_DECODE_FRAG_MEMCAP);
    assert_true(refused >= 25 && refused < 40);
    /* After the timeout (default 60 s) the held datagrams expire and the memory is free. */
    size_t n = mk_ipv4(ip, 17, NULL, 0, 999, 0x2000, big, 512);
    assert_int_equal(decode(d, LT_IPV4, ip, n, 61000000, &p), 0);
    assert_int_equal(anom(d, SK_DECODE_FRAG_TIMEOUT), 40 - refused);
    assert_int_equal(anom(d, SK_DECODE_FRAG_MEMCAP), refused);
    sk_decoder_free(d);

    /* The reassembler itself never holds more than its cap. */
    struct sk_defrag *df = NULL;
    uint64_t an[SK_DECODE_ANOMALY_COUNT] = {0};
    assert_int_equal(sk_defrag_new(&df, 4096, 1000), 0);
    for (uint32_t i = 0; i < 100; i++) {
        struct sk_defrag_key key = {.family = 4, .proto = 17, .id = i};
        struct sk_defrag_frag f = {
            .ts_us = 5, .off = 8 * i, .data = big, .len = 256, .more = true, .max_len = 65515};
        const uint8_t *out;
        size_t out_len;
        uint8_t meta;
        assert_int_equal(sk_defrag_add(df, &key, &f, an, &out, &out_len, &meta), 0);
        assert_true(sk_defrag_memuse(df) <= 4096);
    }
    assert_true(an[SK_DECODE_FRAG_MEMCAP] > 80);
    assert_int_equal(an[SK_DECODE_FRAG_TOO_MANY], 0);
    assert_true(sk_defrag_count(df) > 0);
    sk_defrag_expire(df, 2000, an);
    assert_int_equal(sk_defrag_count(df), 0);
    assert_int_equal(sk_defrag_memuse(df), 0);
    sk_defrag_free(df);
}

/* A datagram cut into 8-byte pieces: the 1,025th held piece gives the whole datagram up. */
static void test_decode_fragment_piece_cap(void **state)
{
    (void)state;
    static const uint8_t eight[8] = "12345678";
    struct sk_defrag *df = NULL;
    uint64_t an[SK_DECODE_ANOMALY_COUNT] = {0};
    const uint8_t *out;
    size_t out_len;
    uint8_t meta;
    assert_int_equal(sk_defrag_new(&df, (size_t)64 << 20, 1000000), 0);
    struct sk_defrag_key key = {.family = 6, .id = 42};
    for (uint32_t i = 0; i < 1024; i++) {
        struct sk_defrag_frag f = {
            .off = 8 * (i + 1), .data = eight, .len = 8, .more = true, .max_len = 65535};
        assert_int_equal(sk_defrag_add(df, &key, &f, an, &out, &out_len, &meta), 0);
    }
    assert_int_equal(sk_defrag_count(df), 1);
    assert_int_equal(an[SK_DECODE_FRAG_TOO_MANY], 0);
    struct sk_defrag_frag last = {.off = 8 * 1025, .data = eight, .len = 8, .max_len = 65535};
    assert_int_equal(sk_defrag_add(df, &key, &last, an, &out, &out_len, &meta), 0);
    assert_int_equal(an[SK_DECODE_FRAG_TOO_MANY], 1);
    assert_int_equal(sk_defrag_count(df), 0);
    assert_int_equal(sk_defrag_memuse(df), 0);
    sk_defrag_free(df);
}

static void test_decode_fragment_timeout_splits_datagram(void **state)
{
    (void)state;
    uint8_t pl[64], whole[80], ip[256];
    struct sk_packet p;
    struct sk_decode_config cfg = {.frag_timeout_us = 1000};
    struct sk_decoder *d = NULL;
    assert_int_equal(sk_decoder_new(&d, &cfg), 0);
    mk_payload(pl, sizeof(pl));
    mk_udp(whole, pl, sizeof(pl));
    size_t n = mk_ipv4_frag(ip, 5, whole, (struct frag){0, 40, true});
    assert_int_equal(decode(d, LT_IPV4, ip, n, 10, &p), 0);
    n = mk_ipv4_frag(ip, 5, whole, (struct frag){40, 32, false});
    assert_int_equal(decode(d, LT_IPV4, ip, n, 5000, &p), 0);
    assert_int_equal(anom(d, SK_DECODE_FRAG_TIMEOUT), 1);
    assert_int_equal(sk_decoder_stats(d)->reassembled, 0);
    sk_decoder_free(d);
}

static void test_decode_ipv6_extension_headers(void **state)
{
    (void)state;
    uint8_t ip[512], l4[128], ext[128];
    struct sk_packet p;
    struct sk_decoder *d = new_decoder(0);
    size_t l4n = mk_tcp(l4, TCP_OPTS, sizeof(TCP_OPTS), "EHLO\n");

    size_t n = mk_ipv6_tcp(ip);
    assert_int_equal(decode(d, LT_IPV6, ip, n, 0, &p), 1);
    assert_tcp_fields(&p, "EHLO\n");

    /* Routing header of 24 bytes (hdr ext len 2), then AH of 12 bytes (payload len 1). */
    memset(ext, 0, sizeof(ext));
    ext[0] = 51;
    ext[1] = 2;
    ext[24] = 6;
    ext[25] = 1;
    n = mk_ipv6(ip, 43, ext, 36, l4, l4n);
    assert_int_equal(decode(d, LT_IPV6, ip, n, 0, &p), 1);
    assert_tcp_fields(&p, "EHLO\n");

    /* An atomic fragment (offset 0, no more) passes straight through. */
    memset(ext, 0, 8);
    ext[0] = 6;
    w32(ext + 4, 1234);
    n = mk_ipv6(ip, 44, ext, 8, l4, l4n);
    assert_int_equal(decode(d, LT_IPV6, ip, n, 0, &p), 1);
    assert_tcp_fields(&p, "EHLO\n");
    assert_int_equal(sk_decoder_stats(d)->fragments, 0);

    /* Nine destination-options headers: more than the 8 allowed. */
    for (int i = 0; i < 9; i++) {
        memset(ext + 8 * i, 0, 8);
        ext[8 * i] = i == 8 ? 6 : 60;
    }
    n = mk_ipv6(ip, 60, ext, 72, l4, l4n);
    assert_int_equal(decode(d, LT_IPV6, ip, n, 0, &p), 0);
    assert_int_equal(anom(d, SK_DECODE_IPV6_EXTHDR_TOO_MANY), 1);

    /* A header whose length runs past the payload. */
    memset(ext, 0, 8);
    ext[0] = 6;
    ext[1] = 200;
    n = mk_ipv6(ip, 0, ext, 8, l4, l4n);
    assert_int_equal(decode(d, LT_IPV6, ip, n, 0, &p), 0);
    assert_int_equal(anom(d, SK_DECODE_IPV6_EXTHDR_TRUNCATED), 1);

    /* Payload length longer than captured. */
    n = mk_ipv6(ip, 6, NULL, 0, l4, l4n);
    w16(ip + 4, (uint16_t)(l4n + 1));
    assert_int_equal(decode(d, LT_IPV6, ip, n, 0, &p), 0);
    assert_int_equal(anom(d, SK_DECODE_IPV6_TRUNC_PKT), 1);
    sk_decoder_free(d);
}

/* IPv6 fragment: hop-by-hop header (unfragmentable) then the fragment header. */
static size_t mk_ipv6_frag(uint8_t *b, const uint8_t *whole, struct frag fr)
{
    uint8_t ext[16] = {44, 0, 1, 4, 0, 0, 0, 0, 6, 0};
    w16(ext + 10, (uint16_t)(fr.off | (fr.more ? 1 : 0)));
    w32(ext + 12, 0xdeadbeef);
    return mk_ipv6(b, 0, ext, sizeof(ext), whole + fr.off, fr.len);
}

static void test_decode_ipv6_fragments(void **state)
{
    (void)state;
    uint8_t whole[512], ip[512];
    struct sk_packet p;
    struct sk_decoder *d = new_decoder(0);
    char text[200];
    for (int i = 0; i < 199; i++)
        text[i] = (char)('A' + i % 26);
    text[199] = '\0';
    size_t wn = mk_tcp(whole, TCP_OPTS, sizeof(TCP_OPTS), text); /* 32 + 199 = 231 bytes */
    const struct frag fr[3] = {{0, 80, true}, {80, 80, true}, {160, 71, false}};
    assert_int_equal(wn, 231);

    static const int orders[3][3] = {{0, 1, 2}, {2, 1, 0}, {1, 2, 0}};
    for (int o = 0; o < 3; o++) {
        for (int i = 0; i < 3; i++) {
            size_t n = mk_ipv6_frag(ip, whole, fr[orders[o][i]]);
            int rc = decode(d, LT_IPV6, ip, n, 0, &p);
            assert_int_equal(rc, i == 2 ? 1 : 0);
        }
        assert_tcp_fields(&p, text);
        assert_int_equal(p.src.family, 6);
    }
    /* Overlap: first wins, counted. */
    assert_int_equal(decode(d, LT_IPV6, ip, mk_ipv6_frag(ip, whole, fr[0]), 0, &p), 0);
    assert_int_equal(
        decode(d, LT_IPV6, ip, mk_ipv6_frag(ip, whole, (struct frag){40, 80, true}), 0, &p), 0);
    assert_int_equal(
        decode(d, LT_IPV6, ip, mk_ipv6_frag(ip, whole, (struct frag){120, 111, false}), 0, &p), 1);
    assert_tcp_fields(&p, text);
    assert_int_equal(anom(d, SK_DECODE_IPV6_FRAG_OVERLAP), 1);
    assert_int_equal(sk_decoder_stats(d)->reassembled, 4);
    sk_decoder_free(d);
}

/* Every proper prefix of a valid frame is dropped with exactly one anomaly. */
static void check_every_cut(int linktype, const uint8_t *f, size_t n)
{
    struct sk_packet p;
    struct sk_decoder *d = new_decoder(0);
    assert_int_equal(decode(d, linktype, f, n, 0, &p), 1);
    for (size_t cut = 0; cut < n; cut++) {
        uint64_t before = anomaly_sum(d);
        assert_int_equal(decode(d, linktype, f, cut, 0, &p), 0);
        if (anomaly_sum(d) != before + 1)
            fail_msg("link %d cut at %zu: %llu anomalies", linktype, cut,
                     (unsigned long long)(anomaly_sum(d) - before));
    }
    sk_decoder_free(d);
}

static void test_decode_truncated_at_every_length(void **state)
{
    (void)state;
    uint8_t ip4[256], ip6[256], t[400], f[400];
    size_t n4 = mk_ipv4_tcp(ip4), n6 = mk_ipv6_tcp(ip6);

    /* Ethernet + QinQ + IPv4 with options + TCP with options + payload. */
    size_t tn = mk_vlan(t, 0x88a8, 200, 0x8100, NULL, 0);
    w16(t + tn, 100);
    w16(t + tn + 2, 0x0800);
    memcpy(t + tn + 4, ip4, n4);
    size_t fl = mk_eth(f, 0, NULL, 0) - 2;
    memcpy(f + fl, t, tn + 4 + n4);
    check_every_cut(LT_EN10MB, f, fl + tn + 4 + n4);

    size_t n = mk_eth(f, 0x86dd, ip6, n6);
    check_every_cut(LT_EN10MB, f, n);

    memset(f, 0, 16);
    w16(f + 14, 0x0800);
    memcpy(f + 16, ip4, n4);
    check_every_cut(LT_SLL, f, 16 + n4);
    memset(f, 0, 20);
    w16(f, 0x86dd);
    memcpy(f + 20, ip6, n6);
    check_every_cut(LT_SLL2, f, 20 + n6);
    memcpy(f, (uint8_t[]){30, 0, 0, 0}, 4);
    memcpy(f + 4, ip6, n6);
    check_every_cut(LT_NULL, f, 4 + n6);
    check_every_cut(12, ip4, n4);
    check_every_cut(LT_IPV6, ip6, n6);

    uint8_t u[64];
    size_t un = mk_udp(u, (const uint8_t *)"udp!", 4);
    n = mk_ipv4(ip4, 17, NULL, 0, 1, 0, u, un);
    check_every_cut(LT_IPV4, ip4, n);
}

/* ---- sk_decoder_peek(): the flow from the headers alone, never another than the decoder's ---- */

static int peek(int linktype, const uint8_t *buf, size_t len, struct sk_packet *pkt)
{
    struct sk_raw_packet raw = raw_copy(linktype, buf, len, 77);
    int rc = sk_decoder_peek(&raw, pkt);
    free((void *)raw.data);
    return rc;
}

/* What the peek promises: 1, the decoder hands out a TCP packet of the same flow and counts
 * what sk_decoder_count_peeked() counts; 0, it hands out no TCP packet and holds no fragment;
 * -1, nothing. Returns the peek's answer. */
static int peek_agrees(int linktype, const uint8_t *buf, size_t len)
{
    struct sk_packet pp, dp;
    int pr = peek(linktype, buf, len, &pp);
    struct sk_decoder *d = new_decoder(0);
    int dr = decode(d, linktype, buf, len, 5, &dp);
    if (pr == 1) {
        assert_int_equal(dr, 1);
        assert_int_equal(dp.ip_proto, 6);
        assert_int_equal(pp.ip_proto, 6);
        assert_int_equal(pp.ts_us, 77);
        assert_int_equal(pp.src.family, dp.src.family);
        assert_int_equal(pp.dst.family, dp.dst.family);
        assert_memory_equal(pp.src.bytes, dp.src.bytes, 16);
        assert_memory_equal(pp.dst.bytes, dp.dst.bytes, 16);
        assert_int_equal(pp.sport, dp.sport);
        assert_int_equal(pp.dport, dp.dport);
        assert_int_equal(pp.vlan[0], dp.vlan[0]);
        assert_int_equal(pp.vlan[1], dp.vlan[1]);
        assert_int_equal(anomaly_sum(d), 0);
        /* counted without decoding, a decoder's counters are the same */
        struct sk_decoder *c = new_decoder(0);
        struct sk_raw_packet raw = {.caplen = (uint32_t)len, .ts_us = 5, .linktype = linktype};
        sk_decoder_count_peeked(c, &raw, &pp);
        assert_memory_equal(sk_decoder_stats(c), sk_decoder_stats(d),
                            sizeof(struct sk_decode_stats));
        sk_decoder_free(c);
    } else if (pr == 0) {
        assert_true(dr == 0 || dp.ip_proto != 6);
        assert_int_equal(sk_decoder_stats(d)->fragments, 0);
    } else {
        assert_int_equal(pr, -1);
    }
    sk_decoder_free(d);
    return pr;
}

static void test_decode_peek_common_frames(void **state)
{
    (void)state;
    static const uint8_t nop_nop_ts[12] = {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2};
    uint8_t l4[128], ip[256], t1[300], t2[300], f[400];
    struct sk_packet p;

    /* Ethernet, IPv4, TCP without options and with the timestamps of a data segment */
    size_t n = mk_tcp(l4, NULL, 0, "DATA\r\n");
    size_t ni = mk_ipv4(ip, 6, NULL, 0, 1, 0x4000, l4, n);
    size_t nf = mk_eth(f, 0x0800, ip, ni);
    assert_int_equal(peek_agrees(LT_EN10MB, f, nf), 1);
    assert_int_equal(peek(LT_EN10MB, f, nf, &p), 1);
    assert_int_equal(p.src.family, 4);
    assert_memory_equal(p.src.bytes, SRC4, 4);
    assert_memory_equal(p.dst.bytes, DST4, 4);
    assert_int_equal(p.sport, 1025);
    assert_int_equal(p.dport, 25);
    n = mk_tcp(l4, nop_nop_ts, sizeof(nop_nop_ts), "DATA\r\n");
    ni = mk_ipv4(ip, 6, NULL, 0, 1, 0x4000, l4, n);
    nf = mk_eth(f, 0x0800, ip, ni);
    assert_int_equal(peek_agrees(LT_EN10MB, f, nf), 1);
    /* link padding after the IP packet, as on a short Ethernet frame */
    memset(f + nf, 0, 8);
    assert_int_equal(peek_agrees(LT_EN10MB, f, nf + 8), 1);

    /* two VLAN tags, then a third (the decoder's limit: an anomaly, so the peek cannot tell) */
    size_t n1 = mk_vlan(t1, 0x8100, 0x2064, 0x0800, ip, ni);
    size_t n2 = mk_vlan(t2, 0x88a8, 0x0007, 0x8100, t1 + 2, n1 - 2);
    memcpy(f + 12, t2, n2);
    assert_int_equal(peek_agrees(LT_EN10MB, f, 12 + n2), 1);
    assert_int_equal(peek(LT_EN10MB, f, 12 + n2, &p), 1);
    assert_int_equal(p.vlan[0], 7);
    assert_int_equal(p.vlan[1], 0x064);
    size_t n3 = mk_vlan(t1, 0x9100, 9, 0x88a8, t2 + 2, n2 - 2);
    memcpy(f + 12, t1, n3);
    assert_int_equal(peek_agrees(LT_EN10MB, f, 12 + n3), -1);

    /* Linux cooked captures */
    memset(f, 0, 16);
    w16(f + 14, 0x0800);
    memcpy(f + 16, ip, ni);
    assert_int_equal(peek_agrees(LT_SLL, f, 16 + ni), 1);
    memset(f, 0, 20);
    w16(f, 0x0800);
    memcpy(f + 20, ip, ni);
    assert_int_equal(peek_agrees(LT_SLL2, f, 20 + ni), 1);

    /* IPv6 straight to TCP; with extension headers the decoder walks them */
    size_t n6 = mk_ipv6(ip, 6, NULL, 0, l4, n);
    nf = mk_eth(f, 0x86dd, ip, n6);
    assert_int_equal(peek_agrees(LT_EN10MB, f, nf), 1);
    assert_int_equal(peek(LT_EN10MB, f, nf, &p), 1);
    assert_int_equal(p.src.family, 6);
    assert_memory_equal(p.src.bytes, SRC6, 16);
    n6 = mk_ipv6_tcp(ip);
    nf = mk_eth(f, 0x86dd, ip, n6);
    assert_int_equal(peek_agrees(LT_EN10MB, f, nf), -1);

    /* what the peek leaves to the decoder: TCP options of a SYN, IPv4 options, fragments,
     * link types without an Ethernet type */
    ni = mk_ipv4_tcp(ip);
    nf = mk_eth(f, 0x0800, ip, ni);
    assert_int_equal(peek_agrees(LT_EN10MB, f, nf), -1);
    n = mk_tcp(l4, TCP_OPTS, sizeof(TCP_OPTS), "");
    ni = mk_ipv4(ip, 6, NULL, 0, 1, 0x4000, l4, n);
    nf = mk_eth(f, 0x0800, ip, ni);
    assert_int_equal(peek_agrees(LT_EN10MB, f, nf), -1);
    n = mk_tcp(l4, NULL, 0, "DATA\r\n");
    ni = mk_ipv4(ip, 6, NULL, 0, 1, 0x2000, l4, n); /* more fragments */
    nf = mk_eth(f, 0x0800, ip, ni);
    assert_int_equal(peek_agrees(LT_EN10MB, f, nf), -1);
    ni = mk_ipv4(ip, 6, NULL, 0, 1, 0x0001, l4, n); /* a later fragment */
    nf = mk_eth(f, 0x0800, ip, ni);
    assert_int_equal(peek_agrees(LT_EN10MB, f, nf), -1);
    ni = mk_ipv4(ip, 6, NULL, 0, 1, 0, l4, n);
    assert_int_equal(peek_agrees(LT_IPV4, ip, ni), -1);
    assert_int_equal(peek_agrees(LT_NULL, ip, ni), -1);

    /* nothing for the flow table: UDP, and a frame without IP */
    uint8_t u[16] = {1, 2, 3};
    n = mk_udp(l4, u, sizeof(u));
    ni = mk_ipv4(ip, 17, NULL, 0, 1, 0, l4, n);
    nf = mk_eth(f, 0x0800, ip, ni);
    assert_int_equal(peek_agrees(LT_EN10MB, f, nf), 0);
    n6 = mk_ipv6(ip, 17, NULL, 0, l4, n);
    nf = mk_eth(f, 0x86dd, ip, n6);
    assert_int_equal(peek_agrees(LT_EN10MB, f, nf), 0);
    nf = mk_eth(f, 0x0806, u, sizeof(u));
    assert_int_equal(peek_agrees(LT_EN10MB, f, nf), 0);
}

/* Frames with random bytes changed, cut short or grown: whatever the peek answers, the decoder
 * agrees (peek_agrees). Bounded: a fixed number of frames from a fixed seed. */
static void test_decode_peek_never_disagrees(void **state)
{
    (void)state;
    static const uint8_t nop_nop_ts[12] = {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2};
    uint8_t l4[128], ip[256], t1[300], bases[6][400];
    size_t lens[6];
    int links[6] = {LT_EN10MB, LT_EN10MB, LT_EN10MB, LT_SLL, LT_SLL2, LT_EN10MB};
    size_t n = mk_tcp(l4, nop_nop_ts, sizeof(nop_nop_ts), "MAIL FROM:<a@b>\r\n");
    size_t ni = mk_ipv4(ip, 6, NULL, 0, 1, 0x4000, l4, n);
    lens[0] = mk_eth(bases[0], 0x0800, ip, ni);
    size_t n1 = mk_vlan(t1, 0x8100, 5, 0x0800, ip, ni);
    memcpy(bases[1], bases[0], 12);
    memcpy(bases[1] + 12, t1, n1);
    lens[1] = 12 + n1;
    size_t n6 = mk_ipv6(ip, 6, NULL, 0, l4, n);
    lens[2] = mk_eth(bases[2], 0x86dd, ip, n6);
    ni = mk_ipv4(ip, 6, NULL, 0, 1, 0x4000, l4, n);
    memset(bases[3], 0, 16);
    w16(bases[3] + 14, 0x0800);
    memcpy(bases[3] + 16, ip, ni);
    lens[3] = 16 + ni;
    memset(bases[4], 0, 20);
    w16(bases[4], 0x0800);
    memcpy(bases[4] + 20, ip, ni);
    lens[4] = 20 + ni;
    n = mk_tcp(l4, NULL, 0, "");
    ni = mk_ipv4(ip, 6, NULL, 0, 1, 0, l4, n);
    lens[5] = mk_eth(bases[5], 0x0800, ip, ni);

    uint64_t x = 0x9e3779b97f4a7c15u;
    int seen[3] = {0, 0, 0};
    for (int i = 0; i < 30000; i++) {
        uint8_t f[400] = {0};
        int b = i % 6;
        size_t len = lens[b];
        memcpy(f, bases[b], len);
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        /* change one to three bytes of the headers (the first 80 bytes) */
        for (uint64_t k = 0; k <= (x >> 60) % 3; k++) {
            uint64_t r = x >> (8 * k);
            f[(r >> 8) % (len < 80 ? len : 80)] = (uint8_t)(r >> 40);
        }
        /* cut it short or grow it, now and then */
        if ((x & 7) == 0)
            len = (size_t)((x >> 20) % (len + 1));
        else if ((x & 7) == 1)
            len += (size_t)((x >> 20) % 16);
        seen[peek_agrees(links[b], f, len) + 1]++;
    }
    /* every answer was met */
    assert_true(seen[0] > 0 && seen[1] > 0 && seen[2] > 0);
}

static void test_decode_anomaly_names_and_counters(void **state)
{
    (void)state;
    for (int i = 0; i < SK_DECODE_ANOMALY_COUNT; i++) {
        const char *name = sk_decode_anomaly_name((enum sk_decode_anomaly)i);
        assert_non_null(name);
        assert_int_equal(strncmp(name, "decoder.", 8), 0);
        for (int j = 0; j < i; j++)
            assert_string_not_equal(name, sk_decode_anomaly_name((enum sk_decode_anomaly)j));
    }
    assert_null(sk_decode_anomaly_name(SK_DECODE_ANOMALY_COUNT));
    assert_null(sk_decode_anomaly_name((enum sk_decode_anomaly) - 1));
    assert_string_equal(sk_decode_anomaly_name(SK_DECODE_IPV4_FRAG_OVERLAP),
                        "decoder.ipv4.frag_overlap");
}

struct counters {
    int n;
    uint64_t ipv4, trunc;
};

static void count_cb(void *ctx, const char *name, uint64_t v)
{
    struct counters *c = ctx;
    c->n++;
    if (strcmp(name, "decode.ipv4") == 0)
        c->ipv4 = v;
    if (strcmp(name, "decoder.ipv4.trunc_pkt") == 0)
        c->trunc = v;
}

static void test_decode_stats_foreach_names(void **state)
{
    (void)state;
    uint8_t ip[256];
    struct sk_packet p;
    struct sk_decoder *d = new_decoder(0);
    size_t n = mk_ipv4_tcp(ip);
    assert_int_equal(decode(d, LT_IPV4, ip, n, 0, &p), 1);
    assert_int_equal(decode(d, LT_IPV4, ip, n - 1, 0, &p), 0);
    struct counters c = {0};
    sk_decode_stats_foreach(sk_decoder_stats(d), count_cb, &c);
    assert_int_equal(c.n, 9 + SK_DECODE_ANOMALY_COUNT);
    assert_int_equal(c.ipv4, 1);
    assert_int_equal(c.trunc, 1);
    sk_decoder_free(d);
    sk_decoder_free(NULL);
}

/* docs/decode.md lists every anomaly and every counter under its printed name. */
static void doc_cb(void *ctx, const char *name, uint64_t v)
{
    (void)v;
    char quoted[128];
    snprintf(quoted, sizeof(quoted), "`%s`", name);
    if (!strstr(ctx, quoted))
        fail_msg("docs/decode.md does not mention %s", quoted);
}

static void test_decode_docs_name_every_counter(void **state)
{
    (void)state;
    static char doc[65536];
    FILE *fp = fopen(SK_SRCDIR "/docs/decode.md", "r");
    assert_non_null(fp);
    size_t n = fread(doc, 1, sizeof(doc) - 1, fp);
    fclose(fp);
    doc[n] = '\0';
    struct sk_decode_stats zero = {0};
    sk_decode_stats_foreach(&zero, doc_cb, doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode_ethernet_ipv4_tcp),
        cmocka_unit_test(test_decode_ethernet_padding_trimmed),
        cmocka_unit_test(test_decode_every_link_type),
        cmocka_unit_test(test_decode_vlan_and_qinq),
        cmocka_unit_test(test_decode_ipv4_options_and_bad_headers),
        cmocka_unit_test(test_decode_ipv4_fragments_any_order),
        cmocka_unit_test(test_decode_ipv4_fragment_overlap_first_wins),
        cmocka_unit_test(test_decode_ipv4_fragments_random_orders),
        cmocka_unit_test(test_decode_fragment_memcap_and_timeout),
        cmocka_unit_test(test_decode_fragment_piece_cap),
        cmocka_unit_test(test_decode_fragment_timeout_splits_datagram),
        cmocka_unit_test(test_decode_ipv6_extension_headers),
        cmocka_unit_test(test_decode_ipv6_fragments),
        cmocka_unit_test(test_decode_truncated_at_every_length),
        cmocka_unit_test(test_decode_peek_common_frames),
        cmocka_unit_test(test_decode_peek_never_disagrees),
        cmocka_unit_test(test_decode_anomaly_names_and_counters),
        cmocka_unit_test(test_decode_stats_foreach_names),
        cmocka_unit_test(test_decode_docs_name_every_counter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
