/* SPDX-License-Identifier: GPL-2.0-only */
/* The reference matcher: a plain, independent implementation of content, pcre, isdataat,
 * bsize and numeric matching (naive byte comparison, PCRE2 tried at every position, no
 * Hyperscan, no prefilter), used by the differential test to check the detection path.
 * Slow by design; not for production use. */
#ifndef SK_REFERENCE_H
#define SK_REFERENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules/rule.h"

/* One value of a buffer: bytes, or a number for numeric buffers. */
struct sk_ref_value {
    int buffer;
    const uint8_t *p;
    size_t len;
    uint64_t number;
};

/* Does group g (transforms, then matches) hold on p[0..len)? Returns 0 with *result, or
 * SK_E_NOMEM / SK_E_PCRE. */
int sk_reference_group(const struct sk_buffer_group *g, const uint8_t *p, size_t len, bool *result);

/* As sk_reference_group, with the base64_data group that a base64_decode of g feeds
 * (NULL: base64_decode never holds). */
int sk_reference_group_b64(const struct sk_buffer_group *g, const struct sk_buffer_group *data,
                           const uint8_t *p, size_t len, bool *result);

/* The base64_data group fed by group gi of r (the next base64_data group when gi holds a
 * base64_decode), or NULL. */
const struct sk_buffer_group *sk_reference_data_group(const struct sk_rule *r, size_t gi);

/* Does every group of r hold on some value of its buffer among the n values? Only the
 * groups are checked (no header, flow, flowbits or thresholds). Returns 0 with *result,
 * or a negative SK_E_* code. */
int sk_reference_rule(const struct sk_rule *r, const struct sk_ref_value *values, size_t n,
                      bool *result);

#endif
