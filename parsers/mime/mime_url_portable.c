/* SPDX-License-Identifier: GPL-2.0-only */
/* The URL search's wide filter where there is none (CPUs other than x86; see
 * mime_url_x86.c): the 16-byte filter of mime_url.c does all the work. */
#include "parsers/mime/mime_url.h"

size_t sk_mime__url_skip_wide(const uint8_t (*pre)[3], size_t npre, const uint8_t *p, size_t i,
                              size_t n)
{
    return i;
}
