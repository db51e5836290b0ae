/* SPDX-License-Identifier: GPL-2.0-only */
/* One AF_PACKET socket with a TPACKET_V3 ring, a member of a PACKET_FANOUT group (Linux). The
 * kernel hashes each packet's flow symmetrically (both directions alike, IP fragments
 * reassembled first) and hands it to one socket of the group, so each worker reads its own
 * socket and owns every flow it sees. Used by source.c only; the packet it hands out is
 * borrowed from the ring until the next call on the same socket. */
#ifndef SK_AFPACKET_H
#define SK_AFPACKET_H

#include <stddef.h>
#include <stdint.h>

#include "engine/capture/source.h"

struct sk_afp;

/* What every socket of one group is opened with. */
struct sk_afp_config {
    const char *iface;
    uint16_t fanout_id;   /* the group; 0: a new group no other socket uses (the first socket) */
    size_t ring_size;     /* bytes of ring per socket, rounded down to whole blocks */
    size_t block_size;    /* bytes per ring block: a power of two, at least one page */
    const void *bpf_prog; /* a compiled filter (struct bpf_program of libpcap), or NULL */
    unsigned snaplen;     /* bytes of each packet handed out, at most */
};

/* The DLT_* of iface as an AF_PACKET raw socket delivers it, or a negative SK_E_* code with a
 * message (SK_E_NOTFOUND: no such interface). */
int sk_afp_linktype(const char *iface, char *err, size_t errlen);

/* Opens one socket of the group on cfg->iface. Returns 0, or a negative SK_E_* code with a
 * message naming the interface (SK_E_NOTFOUND when it does not exist, SK_E_PCAP otherwise).
 * Caller frees with sk_afp_free(). */
int sk_afp_open(struct sk_afp **out, const struct sk_afp_config *cfg, int linktype, char *err,
                size_t errlen);

/* The fan-out group a socket joined: the id the next sockets of the run join with. */
uint16_t sk_afp_group(const struct sk_afp *a);

/* Waits up to timeout_ms for a packet: 1 with *pkt filled (pcap_cnt not set), 0 when none
 * came, or SK_E_PCAP with a message in err. One thread per socket. */
int sk_afp_next(struct sk_afp *a, struct sk_raw_packet *pkt, int timeout_ms, char *err,
                size_t errlen);

/* Adds what the kernel counted since the last call (PACKET_STATISTICS, which the kernel
 * resets when read) to *packets (tp_packets: received, drops included), *drops (tp_drops)
 * and *freezes (tp_freeze_q_cnt). Any thread, but one caller at a time per socket. */
void sk_afp_kernel_stats(struct sk_afp *a, uint64_t *packets, uint64_t *drops, uint64_t *freezes);

/* _free(NULL) is a no-op. */
void sk_afp_free(struct sk_afp *a);

#endif
