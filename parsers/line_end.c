/* SPDX-License-Identifier: GPL-2.0-only */
/* The run of whole lines over sk_line_end_mask64(): the x86-64 baseline's (SSE2), or the
 * word-at-a-time one elsewhere. */
#include "parsers/line_end.h"

size_t sk_line_end__run_base(const uint8_t *p, size_t n, size_t limit, uint64_t *lines)
{
    SK_LINE_END_RUN(sk_line_end_mask64);
}
