/* SPDX-License-Identifier: GPL-2.0-only */
/* Packet decode: link layer (Ethernet, Linux SLL and SLL2, BSD NULL/loopback, raw IP),
 * 802.1Q/QinQ VLAN, IPv4 (options, fragment reassembly), IPv6 (extension headers,
 * fragments), TCP (options) and enough UDP to count it. Every malformed header is a named
 * decode anomaly and a counter, never an error. */
#ifndef SK_DECODE_H
#define SK_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/capture/source.h"

/* Decode anomalies: one X-macro table; the name is what the counters and docs print. */
#define SK_DECODE_ANOMALIES(X)                                                                     \
    X(LINK_UNSUPPORTED, "decoder.link.unsupported")                                                \
    X(RAW_INVALID_VERSION, "decoder.ipraw.invalid_ip_version")                                     \
    X(ETH_TRUNCATED, "decoder.ethernet.pkt_too_small")                                             \
    X(SLL_TRUNCATED, "decoder.sll.pkt_too_small")                                                  \
    X(SLL2_TRUNCATED, "decoder.sll2.pkt_too_small")                                                \
    X(NULL_TRUNCATED, "decoder.null.pkt_too_small")                                                \
    X(NULL_UNKNOWN_FAMILY, "decoder.null.unsupported_type")                                        \
    X(VLAN_TRUNCATED, "decoder.vlan.pkt_too_small")                                                \
    X(VLAN_TOO_MANY_LAYERS, "decoder.vlan.too_many_layers")                                        \
    X(IPV4_TRUNCATED, "decoder.ipv4.pkt_too_small")                                                \
    X(IPV4_HLEN_TOO_SMALL, "decoder.ipv4.hlen_too_small")                                          \
    X(IPV4_IPLEN_SMALLER_THAN_HLEN, "decoder.ipv4.iplen_smaller_than_hlen")                        \
    X(IPV4_TRUNC_PKT, "decoder.ipv4.trunc_pkt")                                                    \
    X(IPV4_WRONG_VERSION, "decoder.ipv4.wrong_ip_version")                                         \
    X(IPV4_OPT_INVALID, "decoder.ipv4.opt_invalid")                                                \
    X(IPV4_FRAG_OVERLAP, "decoder.ipv4.frag_overlap")                                              \
    X(IPV4_FRAG_TOO_LARGE, "decoder.ipv4.frag_pkt_too_large")                                      \
    X(IPV6_TRUNCATED, "decoder.ipv6.pkt_too_small")                                                \
    X(IPV6_TRUNC_PKT, "decoder.ipv6.trunc_pkt")                                                    \
    X(IPV6_WRONG_VERSION, "decoder.ipv6.wrong_ip_version")                                         \
    X(IPV6_EXTHDR_TRUNCATED, "decoder.ipv6.trunc_exthdr")                                          \
    X(IPV6_EXTHDR_TOO_MANY, "decoder.ipv6.exthdr_too_many")                                        \
    X(IPV6_FRAG_OVERLAP, "decoder.ipv6.frag_overlap")                                              \
    X(IPV6_FRAG_TOO_LARGE, "decoder.ipv6.frag_pkt_too_large")                                      \
    X(FRAG_MEMCAP, "decoder.frag.memcap_reached")                                                  \
    X(FRAG_TIMEOUT, "decoder.frag.timeout")                                                        \
    X(FRAG_INVALID, "decoder.frag.invalid")                                                        \
    X(FRAG_TOO_MANY, "decoder.frag.too_many_fragments")                                            \
    X(TCP_TRUNCATED, "decoder.tcp.pkt_too_small")                                                  \
    X(TCP_HLEN_TOO_SMALL, "decoder.tcp.hlen_too_small")                                            \
    X(TCP_OPT_INVALID_LEN, "decoder.tcp.opt_invalid_len")                                          \
    X(UDP_TRUNCATED, "decoder.udp.pkt_too_small")                                                  \
    X(UDP_LEN_INVALID, "decoder.udp.len_invalid")

enum sk_decode_anomaly {
#define SK__DEC_ENUM(id, name) SK_DECODE_##id,
    SK_DECODE_ANOMALIES(SK__DEC_ENUM)
#undef SK__DEC_ENUM
        SK_DECODE_ANOMALY_COUNT
};

/* Returns the printable name of a decode anomaly, or NULL when out of range. */
const char *sk_decode_anomaly_name(enum sk_decode_anomaly a);

/* An address; IPv4 addresses use the first 4 bytes and family 4. */
struct sk_addr {
    uint8_t family; /* 4 or 6 */
    uint8_t bytes[16];
};

/* TCP flag bits as on the wire. */
#define SK_TCP_FIN 0x01
#define SK_TCP_SYN 0x02
#define SK_TCP_RST 0x04
#define SK_TCP_PSH 0x08
#define SK_TCP_ACK 0x10
#define SK_TCP_URG 0x20

/* A decoded packet. payload is borrowed: from the raw packet, or from the decoder's
 * fragment buffer; valid until the next sk_decoder_decode() call. */
struct sk_packet {
    uint64_t ts_us;
    uint64_t pcap_cnt; /* the raw packet\'s pcap_cnt */
    uint32_t wirelen;
    uint8_t ip_proto; /* IPPROTO_TCP, IPPROTO_UDP, ... */
    struct sk_addr src, dst;
    uint16_t sport, dport;
    uint16_t vlan[2]; /* outer first; 0 when absent */
    /* TCP only */
    uint32_t seq, ack;
    uint8_t tcp_flags;
    uint16_t tcp_win;
    uint8_t wscale; /* window scale option, 0xff when absent */
    bool has_sack_perm;
    uint16_t tcp_mss; /* MSS option, 0 when absent */
    const uint8_t *payload;
    size_t payload_len;
};

struct sk_decode_config {
    size_t frag_memcap;       /* bytes held by IP fragment reassembly (default 16 MiB) */
    uint64_t frag_timeout_us; /* drop incomplete datagrams after this (default 60 s) */
};

struct sk_decode_stats {
    uint64_t packets;                     /* packets given to the decoder */
    uint64_t ipv4, ipv6, tcp, udp, other; /* other: IP packets neither TCP nor UDP */
    uint64_t non_ip;                      /* frames carrying no IP (ARP, LLDP, ...) */
    uint64_t fragments, reassembled;
    uint64_t anomalies[SK_DECODE_ANOMALY_COUNT];
};

struct sk_decoder;

/* cfg may be NULL for the defaults. Caller frees with sk_decoder_free(). Not thread safe:
 * one decoder per worker. */
int sk_decoder_new(struct sk_decoder **out, const struct sk_decode_config *cfg);

/* Decodes one raw packet. Returns 1 when *pkt holds an IP packet (TCP, UDP or other, see
 * ip_proto), 0 when there is nothing to pass on (a fragment held for reassembly, a non-IP
 * frame, a malformed header: counted), or a negative SK_E_* code on allocation failure. */
int sk_decoder_decode(struct sk_decoder *d, const struct sk_raw_packet *raw, struct sk_packet *pkt);

/* Which flow a raw packet belongs to, read from its headers alone: no decoder, no counter,
 * no fragment reassembly. Returns 1 when sk_decoder_decode() would hand out this packet as a
 * TCP packet: *pkt then holds its time stamp and its flow's tuple (addresses, ports, VLAN ids,
 * ip_proto), as the decoder would set them; its other fields are left as they were. Returns 0 when
 * the decoder would hand out no TCP packet and keep nothing (a frame without IP, an IP packet of
 * another protocol that is no fragment), and -1 when it cannot tell without decoding: IP or TCP
 * options other than the common ones, fragments, IPv6 extension headers, other link types,
 * and every header the decoder would count as an anomaly. For a reader that skips other
 * workers' packets (pipeline.c). */
int sk_decoder_peek(const struct sk_raw_packet *raw, struct sk_packet *pkt);

/* A packet sk_decoder_peek() answered 1 for, left undecoded: counts it and moves the fragment
 * reassembly's clock as sk_decoder_decode() would have, so d's counters and state are those
 * of decoding it. */
void sk_decoder_count_peeked(struct sk_decoder *d, const struct sk_raw_packet *raw,
                             const struct sk_packet *peeked);

const struct sk_decode_stats *sk_decoder_stats(const struct sk_decoder *d);

/* Calls fn once per counter with its printable name: "decode.packets", "decode.ipv4", ...
 * then every anomaly under its "decoder.*" name, in table order. */
typedef void (*sk_decode_counter_fn)(void *ctx, const char *name, uint64_t value);
void sk_decode_stats_foreach(const struct sk_decode_stats *s, sk_decode_counter_fn fn, void *ctx);

/* _free(NULL) is a no-op. */
void sk_decoder_free(struct sk_decoder *d);

#endif
