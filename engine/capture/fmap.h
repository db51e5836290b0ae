/* SPDX-License-Identifier: GPL-2.0-only */
/* Read-only mappings of capture files that a file cut shorter cannot turn into a crash.
 *
 * A page of a shared file mapping that lies past the file's end (the file was truncated
 * after it was mapped, as a ring of files rewritten by `tcpdump -W` is) raises SIGBUS when
 * it is read. Here a handler takes that signal when the address is in one of these
 * mappings: it maps zero pages over the rest of the mapping, sets the mapping's cut flag and
 * lets the read go on; any other SIGBUS goes to the handler there was before (by default,
 * the end of the process). The reader checks the flag after reading, and from a cut on
 * reads the file another way (source.c: libpcap, which sees the bytes that are left).
 *
 * Bytes past the new end in the page the end falls in read as zeros without a signal, so a
 * reader trusts a byte only once a byte of the page after it was read with no cut:
 * sk_fmap_readable(). A record already handed out when the file is cut reads zeros past the
 * cut from then on (the cut races with the reading; it never faults). */
#ifndef SK_CAPTURE_FMAP_H
#define SK_CAPTURE_FMAP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sk_fmap {
    const uint8_t *base; /* NULL when nothing is mapped */
    size_t len;          /* bytes mapped (the file's size when it was mapped) */
    size_t page;         /* the system's page size */
    size_t released;     /* bytes before this were given back (sk_fmap_release) */
    _Atomic int *cut;    /* set by the handler when a page of the mapping was past the end */
    int slot;            /* in the handler's table */
};

/* Maps fd's first len bytes (len > 0). 0, or -1 when the file cannot be mapped here (the
 * caller reads it another way). */
int sk_fmap_open(struct sk_fmap *m, int fd, size_t len);

/* Unmaps; nothing when nothing is mapped. */
void sk_fmap_close(struct sk_fmap *m);

/* The bytes a reader may take from the mapping: every byte before it has a whole page of the
 * mapping after its own page (sk_fmap_readable() reads that page). */
static inline size_t sk_fmap_usable(const struct sk_fmap *m)
{
    size_t whole = m->len & ~(m->page - 1);
    return whole > m->page ? whole - m->page : 0;
}

/* Whether the bytes before end (end <= sk_fmap_usable(), end > 0) are the file's: reads the
 * first byte of the page after the one holding byte end - 1; false once the file was found
 * cut shorter (then every later call says false too). */
static inline bool sk_fmap_readable(const struct sk_fmap *m, size_t end)
{
    const volatile uint8_t *next = m->base + (((end - 1) | (m->page - 1)) + 1);
    (void)*next;
    return !atomic_load_explicit(m->cut, memory_order_relaxed);
}

/* Gives the pages wholly before `upto` back to the kernel (they are read again from the page
 * cache if touched): a mapping read from start to end keeps a few MiB resident, not the file. */
void sk_fmap_release(struct sk_fmap *m, size_t upto);

#endif
