/* SPDX-License-Identifier: GPL-2.0-only */
/* MD5 (RFC 1321) of the MIME decoder, computed two streams at a time. A message is hashed
 * twice over with MD5: the raw body (body MD5, as Suricata's body-md5) and each decoded
 * file; and a worker has many messages under way at once. MD5 is one long chain of
 * dependent additions, so one stream leaves most of the CPU idle (OpenSSL's MD5 runs at
 * ~600 MB/s here against ~1.7 GB/s for SHA-1 and SHA-256 with the SHA extensions). The
 * contexts of a group (a worker's: every body and file being hashed) hold their input back
 * in a small buffer; when one is full, its blocks are hashed side by side with those another
 * member holds, the two chains interleaved, and what it has alone is hashed alone. The
 * digests are exactly MD5's: pairing changes when a block is hashed, never what is hashed.
 * A group is used by one thread at a time (the worker's, or its digest thread's).
 * Internal to parsers/mime/ (hence the sk_mime__ prefix). */
#ifndef SK_MIME_MD5_H
#define SK_MIME_MD5_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Input held back per context: when it is full, the blocks a partner can match go side by
 * side and the rest down to half alone. A decoded chunk (8 KB) fits, so a file's chunk
 * finds the raw body lines it came from still held (up to the optimum, every decoded byte
 * paired, in a simulation of 1.4 KB to 4 KB raw pieces; 4 KB pairs half as many). */
#define SK_MIME_MD5_HOLD 8192

struct sk_mime__md5;

/* The contexts being hashed, least recently drained first. */
struct sk_mime__md5_group {
    struct sk_mime__md5 *head, *tail;
    bool scalar; /* the scalar loops even where vector ones run (tests compare the two) */
};

struct sk_mime__md5 {
    uint32_t h[4];
    uint64_t len; /* bytes given, hashed or held */
    size_t held;
    bool on;                          /* between init and final (or stop): a member of its group */
    struct sk_mime__md5_group *group; /* borrowed */
    struct sk_mime__md5 *prev, *next; /* in the group */
    uint8_t buf[SK_MIME_MD5_HOLD];
};

/* Starts a digest of c as a member of g (a context still on leaves its old group first). */
void sk_mime__md5_init(struct sk_mime__md5 *c, struct sk_mime__md5_group *g);
void sk_mime__md5_update(struct sk_mime__md5 *c, const void *p, size_t n);
/* Writes the 16-byte digest; c leaves its group. */
void sk_mime__md5_final(struct sk_mime__md5 *c, uint8_t out[16]);
/* Drops the digest under way, if any; c leaves its group. */
void sk_mime__md5_stop(struct sk_mime__md5 *c);

/* The block loops on vector registers where this CPU has them (mime_md5_x86.c: AVX-512VL,
 * four cycles a step against five for half of the scalar steps; two streams for the cost of
 * one): n blocks of one stream, or of two side by side. False, and nothing hashed, where
 * there are none: the scalar loops run. */
bool sk_mime__md5_wide1(uint32_t h[4], const uint8_t *p, size_t n);
bool sk_mime__md5_wide2(uint32_t h0[4], const uint8_t *p0, uint32_t h1[4], const uint8_t *p1,
                        size_t n);

#endif
