/* SPDX-License-Identifier: GPL-2.0-only */
/* MD5 (RFC 1321) of the MIME decoder, computed two streams at a time. A message body is
 * hashed twice over: the raw body (body MD5, as Suricata's body-md5) and each decoded
 * file. MD5 is one long chain of dependent additions, so one stream leaves most of the
 * CPU idle (OpenSSL's MD5 runs at ~600 MB/s here against ~1.7 GB/s for SHA-1 and SHA-256
 * with the SHA extensions). Two contexts made mates with sk_mime__md5_pair() hold their
 * input back in a small buffer and hash their blocks side by side, the two chains
 * interleaved, whenever both have some; what one has alone is hashed alone. The digests
 * are exactly MD5's: pairing changes when a block is hashed, never what is hashed.
 * Internal to parsers/mime/ (hence the sk_mime__ prefix). */
#ifndef SK_MIME_MD5_H
#define SK_MIME_MD5_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Input held back per context: when it is full, the blocks the mate can match go side by
 * side and the rest down to half alone. A decoded chunk (8 KB) fits, so a file's chunk
 * finds the raw body lines it came from still held (up to the optimum, every decoded byte
 * paired, in a simulation of 1.4 KB to 4 KB raw pieces; 4 KB pairs half as many). */
#define SK_MIME_MD5_HOLD 8192

struct sk_mime__md5 {
    uint32_t h[4];
    uint64_t len; /* bytes given, hashed or held */
    size_t held;
    bool on;                   /* between init and final */
    struct sk_mime__md5 *mate; /* borrowed; NULL when alone */
    uint8_t buf[SK_MIME_MD5_HOLD];
};

/* Makes a and b mates (each may be reset and finalised on its own; a context that is
 * not on simply has nothing to share). */
void sk_mime__md5_pair(struct sk_mime__md5 *a, struct sk_mime__md5 *b);
void sk_mime__md5_init(struct sk_mime__md5 *c);
void sk_mime__md5_update(struct sk_mime__md5 *c, const void *p, size_t n);
/* Writes the 16-byte digest and turns c off. */
void sk_mime__md5_final(struct sk_mime__md5 *c, uint8_t out[16]);

#endif
