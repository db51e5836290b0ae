/* SPDX-License-Identifier: GPL-2.0-only */
/* Packet sources (seam 1 of DESIGN.md): a pcap or pcapng file, a folder of captures
 * read in name order, or live interfaces: one or more through libpcap (read as one pollable
 * set by one thread), or one through AF_PACKET with one fan-out socket per worker, each a
 * queue of the source read by its own thread. A queue hands out one packet at a time; the
 * bytes are borrowed until the next call on that queue. */
#ifndef SK_SOURCE_H
#define SK_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One captured packet. data is borrowed until the next sk_source_next() call. */
struct sk_raw_packet {
    const uint8_t *data;
    uint32_t caplen;   /* bytes in data */
    uint32_t wirelen;  /* bytes on the wire */
    uint64_t ts_us;    /* capture time, microseconds since the epoch */
    int linktype;      /* DLT_* of the capture it came from */
    uint64_t pcap_cnt; /* 1 for the first packet of the source, counting across files */
};

/* sk_source_next() on a live source: no packet came within the read timeout (about 100 ms).
 * The caller runs its clock on wall time (idle flows expire) and calls again. */
#define SK_SOURCE_IDLE 2

struct sk_source_stats {
    uint64_t files;          /* capture files opened */
    uint64_t files_failed;   /* captures that could not be opened or were cut short */
    uint64_t packets;        /* packets handed out */
    uint64_t bytes;          /* captured bytes handed out */
    uint64_t packets_cut;    /* packets captured shorter than on the wire (snapshot length) */
    uint64_t kernel_packets; /* live: pcap_stats ps_recv; AF_PACKET: tp_packets (drops in) */
    uint64_t kernel_drops;   /* live: ps_drop (no room in the buffer); AF_PACKET: tp_drops */
    uint64_t kernel_ifdrops; /* live: ps_ifdrop (dropped by the interface or its driver) */
    uint64_t kernel_freezes; /* AF_PACKET: tp_freeze_q_cnt (times the ring was full) */
};

/* One live interface's counters (sk_source_iface_stats()). */
struct sk_iface_stats {
    const char *name; /* the interface; borrowed, valid while the source lives */
    uint64_t packets, bytes, packets_cut;
    uint64_t kernel_packets, kernel_drops, kernel_ifdrops, kernel_freezes; /* as above */
};

/* How live interfaces are opened. Zero values take the defaults. */
struct sk_live_config {
    const char *const *ifaces; /* libpcap: every interface; AF_PACKET: ifaces[0] only */
    size_t n_ifaces;
    const char *bpf;         /* NULL: no filter */
    unsigned snaplen;        /* bytes kept of each packet (0: 65535) */
    size_t pcap_buffer_size; /* libpcap's kernel buffer per interface (0: libpcap's) */
    size_t afp_ring_size;    /* AF_PACKET: ring bytes per socket (0: 16 MiB) */
    size_t afp_block_size;   /* AF_PACKET: bytes per ring block (0: 1 MiB) */
};

struct sk_config;

/* Fills *lc from the capture.* keys of cfg (ifaces and bpf are left alone). Returns 0 or a
 * negative SK_E_* code with the key and its place in errbuf. */
int sk_source_live_config(const struct sk_config *cfg, struct sk_live_config *lc, char *errbuf,
                          size_t errlen);

struct sk_source;

/* Opens a capture file or, when path is a folder, every regular file in it in name order.
 * bpf may be NULL. On failure returns a negative SK_E_* code and, when errbuf is given,
 * writes a message naming the file; *out is then NULL. Caller frees with sk_source_free(). */
int sk_source_open_offline(struct sk_source **out, const char *path, const char *bpf, char *errbuf,
                           size_t errlen);

/* Opens a live interface, promiscuous, snaplen 65535. Same contract as above. */
int sk_source_open_live(struct sk_source **out, const char *iface, const char *bpf, char *errbuf,
                        size_t errlen);

/* Opens every interface of lc with libpcap (promiscuous, immediate mode), read as one set by
 * one thread: packets of all of them come out of one queue, each with its interface's link
 * type. On failure nothing stays open, errbuf names the interface, and the code is
 * SK_E_NOTFOUND (no such interface), SK_E_INVAL (bad filter) or SK_E_PCAP. */
int sk_source_open_pcap_live(struct sk_source **out, const struct sk_live_config *lc, char *errbuf,
                             size_t errlen);

/* Opens lc->ifaces[0] with n_queues AF_PACKET sockets (Linux), one fan-out group (hash mode,
 * defrag), a TPACKET_V3 ring each, and lc->bpf compiled with libpcap and attached to each.
 * Queue i is read by one thread (sk_source_next_queue()). Same failure contract as above. */
int sk_source_open_afpacket(struct sk_source **out, const struct sk_live_config *lc,
                            size_t n_queues, char *errbuf, size_t errlen);

/* Queues of the source: n_queues for AF_PACKET, else 1. */
size_t sk_source_queues(const struct sk_source *src);

/* Returns 1 with *pkt filled, 0 at the end of input, or a negative SK_E_* code.
 * Offline, an error concerns one file and is reported once through sk_source_error(), naming
 * the file; reading then goes on with the next file of a folder, so call again until 0. The
 * codes: SK_E_TRUNCATED (cut short or damaged record; every packet before it was handed
 * out), SK_E_FORMAT (not a pcap or pcapng file), SK_E_IO or SK_E_NOTFOUND (cannot be read),
 * SK_E_INVAL (the filter does not apply to the file's link type).
 * Live, an error (SK_E_PCAP) ends the source: the next call returns 0. */
int sk_source_next(struct sk_source *src, struct sk_raw_packet *pkt);

/* sk_source_next() on queue q (AF_PACKET: one thread per queue; queue 0 is sk_source_next()).
 * Live, returns SK_SOURCE_IDLE when no packet came within the read timeout. */
int sk_source_next_queue(struct sk_source *src, size_t q, struct sk_raw_packet *pkt);

/* The reading loop's view of sk_source_next(): returns 1 with *pkt filled, 0 at the end of
 * input or once *stop is set (a read cut short by the stop signal is the stop, not damage),
 * or a negative SK_E_* code on an error that ends the source. A damaged or unreadable file
 * of a folder is logged with its name, counted in *damaged, and reading goes on. Every
 * packet loop uses this, so all of them treat damage and stops the same way. *stop is a
 * lock-free atomic, so a signal handler on any thread may set it while readers look. */
int sk_source_read(struct sk_source *src, struct sk_raw_packet *pkt, const _Atomic int *stop,
                   int *damaged);

/* sk_source_read() on queue q; live, SK_SOURCE_IDLE passes through. */
int sk_source_read_queue(struct sk_source *src, size_t q, struct sk_raw_packet *pkt,
                         const _Atomic int *stop, int *damaged);

/* A quiet source still returns and counts its errors, but sk_source_read() does not log
 * them: for the second and later readers of one capture, whose damage the first reports. */
void sk_source_set_quiet(struct sk_source *src, bool quiet);

/* One of several readers of the same capture in this process (a worker each): the pages of a
 * mapped file behind the reader go back to the kernel 8 MiB at a time in whole 2 MiB pieces
 * rather than a MiB at a time, as each release interrupts the CPUs the others run on. */
void sk_source_set_shared(struct sk_source *src, bool shared);

/* Offline: fn(ctx) is called (in the reading thread, inside sk_source_next()) before the
 * source unmaps a file whose records it handed out from the mapping: at the file's end, and
 * when it goes on reading the file another way. Until then such records stay readable after
 * the next call (sk_source_mapped()), so a reader can lend them to other threads and wait
 * for them in fn. NULL: none. */
void sk_source_set_unmap_hook(struct sk_source *src, void (*fn)(void *ctx), void *ctx);

/* Whether pkt, handed out by src's last sk_source_next(), was read from a mapping of the
 * file: its bytes then stay readable until the unmap hook is called, not only until the
 * next call. */
bool sk_source_mapped(const struct sk_source *src, const struct sk_raw_packet *pkt);

/* Offline: the bytes of the capture file, or of the files of the folder it reads (their sizes
 * when listed). 0 for a live source. */
uint64_t sk_source_bytes(const struct sk_source *src);

/* The last error message, or "" when none. Borrowed; valid until the next call. */
const char *sk_source_error(const struct sk_source *src);

/* Asks a live source to stop; safe from a signal handler. sk_source_next() then returns 0. */
void sk_source_break(struct sk_source *src);

/* The source's counters. Offline: exact, from the reading thread. Live (libpcap or AF_PACKET):
 * thread safe, from any thread at any time (the stats thread, the control socket): the sum of
 * the copies each reading thread publishes about once a second and when it stops, so a value
 * may be up to a second old while capturing and is exact once the readers returned 0. */
void sk_source_get_stats(const struct sk_source *src, struct sk_source_stats *out);

/* Live: the number of interfaces (libpcap: one per -i; AF_PACKET: 1), else 0. */
size_t sk_source_iface_count(const struct sk_source *src);

/* Live: interface i's counters (for AF_PACKET, summed over its sockets), with the same thread
 * safety and freshness as sk_source_get_stats(). Returns 0, or SK_E_INVAL when i is out of
 * range or the source is not live. Meant for `iface-stat` of the control socket. */
int sk_source_iface_stats(const struct sk_source *src, size_t i, struct sk_iface_stats *out);

/* Calls fn once per counter with its printable name: "source.files", "source.files_failed",
 * "source.packets", "source.bytes", "source.packets_cut", then the live ones under Suricata's
 * names: "capture.kernel_packets", "capture.kernel_drops", "capture.kernel_ifdrops", and
 * Shrike's "capture.kernel_freezes". */
typedef void (*sk_source_counter_fn)(void *ctx, const char *name, uint64_t value);
void sk_source_stats_foreach(const struct sk_source_stats *s, sk_source_counter_fn fn, void *ctx);

/* _free(NULL) is a no-op. */
void sk_source_free(struct sk_source *src);

#endif
