/* SPDX-License-Identifier: GPL-2.0-only */
/* MD5's vector block loops where there are none (CPUs other than x86; see mime_md5_x86.c):
 * the scalar loops of mime_md5.c do all the work. */
#include "parsers/mime/mime_md5.h"

bool sk_mime__md5_wide1(uint32_t h[4], const uint8_t *p, size_t n)
{
    return false;
}

bool sk_mime__md5_wide2(uint32_t h0[4], const uint8_t *p0, uint32_t h1[4], const uint8_t *p1,
                        size_t n)
{
    return false;
}
