/* SPDX-License-Identifier: GPL-2.0-only */
/* What the libFuzzer targets of tests/fuzz/ share: a reader that takes bytes, numbers and
 * length-prefixed pieces off the fuzzer's input (never past its end), and an in-memory file
 * so that code which opens a path (captures, the YAML configuration) is fuzzed through its
 * real opening code. Test code only; not part of libshrike. */
#ifndef SK_FUZZ_COMMON_H
#define SK_FUZZ_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The entry points libFuzzer calls (and tests/fuzz/replay.c, which replays saved inputs). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* The unread part of an input. Borrowed from the fuzzer. */
struct sk_fuzz_in {
    const uint8_t *p;
    size_t n;
};

/* The next byte, or 0 once the input is used up. */
uint8_t sk_fuzz_u8(struct sk_fuzz_in *in);

/* The next two bytes, big-endian, or what is left of them. */
uint16_t sk_fuzz_u16(struct sk_fuzz_in *in);

/* The next four bytes, big-endian, or what is left of them. */
uint32_t sk_fuzz_u32(struct sk_fuzz_in *in);

/* Up to len bytes: *out points into the input, the count taken (maybe fewer) is returned. */
size_t sk_fuzz_take(struct sk_fuzz_in *in, size_t len, const uint8_t **out);

/* An anonymous in-memory file (memfd) holding data[0..size), reachable by the path written
 * to path ("/proc/self/fd/N"). Returns the descriptor, which the caller closes, or -1. */
int sk_fuzz_memfile(const uint8_t *data, size_t size, char *path, size_t pathlen);

#endif
