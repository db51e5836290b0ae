/* SPDX-License-Identifier: GPL-2.0-only */
/* The input reader and in-memory files of the fuzz targets (fuzz_common.h). */
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tests/fuzz/fuzz_common.h"

uint8_t sk_fuzz_u8(struct sk_fuzz_in *in)
{
    if (in->n == 0)
        return 0;
    in->n--;
    return *in->p++;
}

uint16_t sk_fuzz_u16(struct sk_fuzz_in *in)
{
    uint16_t hi = sk_fuzz_u8(in);
    return (uint16_t)(hi << 8 | sk_fuzz_u8(in));
}

uint32_t sk_fuzz_u32(struct sk_fuzz_in *in)
{
    uint32_t hi = sk_fuzz_u16(in);
    return hi << 16 | sk_fuzz_u16(in);
}

size_t sk_fuzz_take(struct sk_fuzz_in *in, size_t len, const uint8_t **out)
{
    if (len > in->n)
        len = in->n;
    *out = in->p;
    in->p += len;
    in->n -= len;
    return len;
}

int sk_fuzz_memfile(const uint8_t *data, size_t size, char *path, size_t pathlen)
{
    int fd = memfd_create("shrike-fuzz", MFD_CLOEXEC);
    if (fd < 0)
        return -1;
    for (size_t off = 0; off < size;) {
        ssize_t w = write(fd, data + off, size - off);
        if (w <= 0) {
            close(fd);
            return -1;
        }
        off += (size_t)w;
    }
    snprintf(path, pathlen, "/proc/self/fd/%d", fd);
    return fd;
}
