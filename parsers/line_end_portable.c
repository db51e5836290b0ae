/* SPDX-License-Identifier: GPL-2.0-only */
/* The run of whole lines where there is no wider version (CPUs other than x86; see
 * line_end_x86.c): the one of line_end.c. */
#include "parsers/line_end.h"

size_t sk_line_end_run(const uint8_t *p, size_t n, size_t limit, uint64_t *lines)
{
    return sk_line_end__run_base(p, n, limit, lines);
}
