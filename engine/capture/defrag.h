/* SPDX-License-Identifier: GPL-2.0-only */
/* IP fragment reassembly for the decoder, shared by IPv4 and IPv6: datagrams keyed by
 * addresses, id and (IPv4) protocol, first-wins overlap policy, a byte memcap and a
 * timeout driven by packet time. Internal to the decoder; not thread safe. */
#ifndef SK_DEFRAG_H
#define SK_DEFRAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/capture/decode.h"

/* Largest reassembled payload (bytes after the fixed IP header). */
#define SK_DEFRAG_MAX_PAYLOAD 65535u

struct sk_defrag_key {
    uint8_t family; /* 4 or 6 */
    uint8_t proto;  /* IPv4 protocol; 0 for IPv6 */
    uint32_t id;    /* IPv4 identification or IPv6 fragment id */
    uint8_t src[16], dst[16];
};

/* One fragment: its payload bytes at byte offset off of the datagram's payload. */
struct sk_defrag_frag {
    uint64_t ts_us;
    uint32_t off;
    const uint8_t *data; /* borrowed for the call */
    size_t len;
    bool more;        /* more fragments follow */
    uint8_t meta;     /* kept from the offset-0 fragment (IPv6: next header) */
    uint32_t max_len; /* off + len above this is too large for the datagram */
};

struct sk_defrag;

/* memcap counts fragment bytes plus bookkeeping; timeout_us ages datagrams by their first
 * fragment's time. Caller frees with sk_defrag_free(). */
int sk_defrag_new(struct sk_defrag **out, size_t memcap, uint64_t timeout_us);

/* Drops datagrams older than the timeout at now_us, counting SK_DECODE_FRAG_TIMEOUT in
 * anomalies (an array of SK_DECODE_ANOMALY_COUNT counters). */
void sk_defrag_expire(struct sk_defrag *df, uint64_t now_us, uint64_t *anomalies);

/* Adds one fragment. Returns 1 when it completed its datagram: *payload (borrowed, valid
 * until the next sk_defrag_add) and *payload_len hold the reassembled payload and *meta the
 * offset-0 fragment's meta. Returns 0 when the fragment is held or dropped (anomalies
 * counted), SK_E_NOMEM on allocation failure. */
int sk_defrag_add(struct sk_defrag *df, const struct sk_defrag_key *key,
                  const struct sk_defrag_frag *frag, uint64_t *anomalies, const uint8_t **payload,
                  size_t *payload_len, uint8_t *meta);

/* Bytes held now, and datagrams held now. */
size_t sk_defrag_memuse(const struct sk_defrag *df);
size_t sk_defrag_count(const struct sk_defrag *df);

/* _free(NULL) is a no-op. */
void sk_defrag_free(struct sk_defrag *df);

#endif
