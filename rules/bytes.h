/* SPDX-License-Identifier: GPL-2.0-only */
/* byte_test, byte_jump, byte_extract and byte_math on one buffer instance, with
 * Suricata's semantics (detect-bytetest.c, detect-bytejump.c, detect-byte-extract.c,
 * detect-bytemath.c): read N bytes (binary big/little endian, or an ASCII number in base
 * 8/10/16) at an offset (from the start, or from the end of the previous match when
 * relative), then compare, jump, or store a variable. Shared by the detection matcher
 * (rules/match.c) and the reference matcher (rules/reference.c); pure functions. */
#ifndef SK_BYTES_H
#define SK_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules/rule.h"

/* Evaluates byte keyword m (kind SK_MATCH_BYTE_*) on buf[0..len), the previous match
 * having ended at prev. vars holds the group's variables (SK_BYTE_MAX_VARS). Returns
 * false when the keyword does not hold; else true with *pos the position the next
 * relative match counts from (prev for byte_test), and the result variable set for
 * byte_extract and byte_math. */
bool sk_bytes_eval(const struct sk_match *m, const uint8_t *buf, size_t len, size_t prev,
                   uint64_t *vars, size_t *pos);

/* c with its variable offset/depth/distance/within replaced by the values in vars. */
void sk_bytes_resolve_content(const struct sk_content *c, const uint64_t *vars,
                              struct sk_content *out);

/* Does any content of g use a variable, or g hold a byte keyword? */
bool sk_bytes_group_uses(const struct sk_buffer_group *g);

#endif
