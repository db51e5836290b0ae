/* SPDX-License-Identifier: GPL-2.0-only */
/* A worker's second thread for work that only has to be done in order, not at once: the
 * MIME decoder's digests (mime.hash-thread). The worker queues calls with a copy of their
 * bytes into a ring, shown to the offload thread a few KiB at a time; the offload thread
 * makes them one by one, in the order queued; the worker waits only when the ring is full or
 * when it needs a result (sk_offload_sync()).
 * One producer (the worker thread) and one consumer (the offload thread). */
#ifndef SK_OFFLOAD_H
#define SK_OFFLOAD_H

#include <stddef.h>
#include <stdint.h>

/* A queued call: arg as given, p the copy of the bytes (valid during the call). */
typedef void (*sk_offload_fn)(void *arg, const uint8_t *p, size_t n);

struct sk_offload;

/* Starts the thread with a ring of ring_bytes (rounded up to a power of two, at least
 * 64 KiB). Returns 0, SK_E_NOMEM or SK_E_IO (no thread); *out is freed with
 * sk_offload_free(). */
int sk_offload_new(struct sk_offload **out, size_t ring_bytes);
/* Queues fn(arg, copy of p[0..n), n); n may be larger than the ring: the call is then made
 * once per piece, in order. Waits while the ring is full. */
void sk_offload_run(struct sk_offload *o, sk_offload_fn fn, void *arg, const void *p, size_t n);
/* Returns when every call queued so far has returned (their effects are then visible to
 * the caller). When the thread has made every call it was shown, the calls not shown to it
 * yet are made here, in order, instead of waking it: so a call runs in one of the two
 * threads, never in both at once, and always after the ones queued before it. */
void sk_offload_sync(struct sk_offload *o);
/* The ring's size in bytes (for the memory budget). */
size_t sk_offload_memuse(const struct sk_offload *o);
/* How often the worker waited: for room in the ring, and for a result. */
void sk_offload_waits(const struct sk_offload *o, uint64_t *full, uint64_t *sync);
/* Makes the calls still queued, stops and joins the thread, frees. NULL is a no-op. */
void sk_offload_free(struct sk_offload *o);

#endif
