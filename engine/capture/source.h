/* SPDX-License-Identifier: GPL-2.0-only */
/* Packet sources (seam 1 of DESIGN.md): a pcap or pcapng file, a folder of captures
 * read in name order, or a live interface, all through libpcap. A source hands out one
 * packet at a time; the bytes are borrowed until the next call. */
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

struct sk_source_stats {
    uint64_t files;        /* capture files opened */
    uint64_t files_failed; /* captures that could not be opened or were cut short */
    uint64_t packets;      /* packets handed out */
    uint64_t bytes;        /* captured bytes handed out */
    uint64_t packets_cut;  /* packets captured shorter than on the wire (snapshot length) */
    uint64_t kernel_drops; /* live only: pcap_stats ps_drop + ps_ifdrop */
};

struct sk_source;

/* Opens a capture file or, when path is a folder, every regular file in it in name order.
 * bpf may be NULL. On failure returns a negative SK_E_* code and, when errbuf is given,
 * writes a message naming the file; *out is then NULL. Caller frees with sk_source_free(). */
int sk_source_open_offline(struct sk_source **out, const char *path, const char *bpf, char *errbuf,
                           size_t errlen);

/* Opens a live interface, promiscuous, snaplen 65535. Same contract as above. */
int sk_source_open_live(struct sk_source **out, const char *iface, const char *bpf, char *errbuf,
                        size_t errlen);

/* Returns 1 with *pkt filled, 0 at the end of input, or a negative SK_E_* code.
 * Offline, an error concerns one file and is reported once through sk_source_error(), naming
 * the file; reading then goes on with the next file of a folder, so call again until 0. The
 * codes: SK_E_TRUNCATED (cut short or damaged record; every packet before it was handed
 * out), SK_E_FORMAT (not a pcap or pcapng file), SK_E_IO or SK_E_NOTFOUND (cannot be read),
 * SK_E_INVAL (the filter does not apply to the file's link type).
 * Live, an error (SK_E_PCAP) ends the source: the next call returns 0. */
int sk_source_next(struct sk_source *src, struct sk_raw_packet *pkt);

/* The reading loop's view of sk_source_next(): returns 1 with *pkt filled, 0 at the end of
 * input or once *stop is set (a read cut short by the stop signal is the stop, not damage),
 * or a negative SK_E_* code on an error that ends the source. A damaged or unreadable file
 * of a folder is logged with its name, counted in *damaged, and reading goes on. Every
 * packet loop uses this, so all of them treat damage and stops the same way. *stop is a
 * lock-free atomic, so a signal handler on any thread may set it while readers look. */
int sk_source_read(struct sk_source *src, struct sk_raw_packet *pkt, const _Atomic int *stop,
                   int *damaged);

/* A quiet source still returns and counts its errors, but sk_source_read() does not log
 * them: for the second and later readers of one capture, whose damage the first reports. */
void sk_source_set_quiet(struct sk_source *src, bool quiet);

/* The last error message, or "" when none. Borrowed; valid until the next call. */
const char *sk_source_error(const struct sk_source *src);

/* Asks a live source to stop; safe from a signal handler. sk_source_next() then returns 0. */
void sk_source_break(struct sk_source *src);

void sk_source_get_stats(const struct sk_source *src, struct sk_source_stats *out);

/* Calls fn once per counter with its printable name: "source.files", "source.files_failed",
 * "source.packets", "source.bytes", "source.kernel_drops". */
typedef void (*sk_source_counter_fn)(void *ctx, const char *name, uint64_t value);
void sk_source_stats_foreach(const struct sk_source_stats *s, sk_source_counter_fn fn, void *ctx);

/* _free(NULL) is a no-op. */
void sk_source_free(struct sk_source *src);

#endif
