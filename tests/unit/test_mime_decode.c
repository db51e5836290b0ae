/* SPDX-License-Identifier: GPL-2.0-only */
/* The base64 decoder's vector fast path (parsers/mime/mime_b64_*.c) against its scalar code:
 * each vector variant this CPU runs, called directly on every byte value at every place of a
 * block and on random runs, and the whole decoder with each variant and with none on random
 * base64 with blanks, line breaks, '=' and junk, cut into random pieces. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "parsers/mime/mime_decode.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* xorshift64: the same inputs on every run. */
static uint64_t next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static size_t below(uint64_t *s, size_t n)
{
    return (size_t)(next(s) % n);
}

static bool in_alphabet(uint8_t c)
{
    return c != 0 && strchr(alphabet, c) != NULL;
}

static void fill_alphabet(uint64_t *s, uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)alphabet[below(s, 64)];
}

/* The vector decoders that run here, and none (the scalar code alone) last. */
static size_t variants(struct sk_mime__b64_vec *v, size_t n)
{
    size_t k = sk_mime__b64_vec_list(v, n - 1);
    v[k++] = (struct sk_mime__b64_vec){"none", sk_mime__b64_vec_none};
    return k;
}

/* One call of a vector decoder against the contract in mime_decode.h: what it used is all
 * alphabet, whole quanta, decoded as the scalar code does; it stopped only where fewer than
 * 16 characters were left or the next 16 hold another byte; it wrote nothing past its
 * output. */
static void check_vec(sk_mime__b64_vec_fn fn, const uint8_t *text, size_t len)
{
    size_t room = len / 4 * 3;
    /* In a block of its own size, so that ASan sees a read past it. */
    uint8_t *in = malloc(len + 1), *out = malloc(room + 16), *want = malloc(room + 1);
    assert_non_null(in);
    assert_non_null(out);
    assert_non_null(want);
    memcpy(in, text, len);
    memset(out, 0xa5, room + 16);
    size_t used = fn(in, len, out);
    assert_true(used <= len);
    assert_int_equal(used % 4, 0);
    assert_int_equal(sk_mime__b64_quanta(in, used, want), used);
    assert_memory_equal(out, want, used / 4 * 3);
    for (size_t i = used / 4 * 3; i < room + 16; i++)
        assert_int_equal(out[i], 0xa5);
    if (fn != sk_mime__b64_vec_none && len - used >= 16) {
        bool stopped = false;
        for (size_t i = used; i < used + 16; i++)
            stopped |= !in_alphabet(in[i]);
        assert_true(stopped);
    }
    free(want);
    free(out);
    free(in);
}

static void test_mime_b64_vec_every_byte(void **state)
{
    (void)state;
    struct sk_mime__b64_vec v[4];
    size_t nv = variants(v, 4);
    uint64_t s = 0x9e3779b97f4a7c15u;
    uint8_t in[64];
    for (size_t k = 0; k < nv; k++) {
        for (unsigned c = 0; c < 256; c++) {
            for (size_t at = 0; at < sizeof(in); at++) {
                fill_alphabet(&s, in, sizeof(in));
                in[at] = (uint8_t)c;
                check_vec(v[k].decode, in, sizeof(in));
                check_vec(v[k].decode, in, at + 1);
            }
        }
    }
}

static void test_mime_b64_vec_random_runs(void **state)
{
    (void)state;
    struct sk_mime__b64_vec v[4];
    size_t nv = variants(v, 4);
    uint64_t s = 0x2545f4914f6cdd1du;
    uint8_t in[300];
    for (size_t k = 0; k < nv; k++) {
        for (int round = 0; round < 20000; round++) {
            size_t len = below(&s, sizeof(in) + 1);
            fill_alphabet(&s, in, len);
            size_t bad = below(&s, 4);
            for (size_t j = 0; j < bad && len > 0; j++)
                in[below(&s, len)] = (uint8_t)below(&s, 256);
            /* Start anywhere: the caller's pointer has no alignment. */
            size_t skip = len > 0 ? below(&s, len < 8 ? len : 8) : 0;
            check_vec(v[k].decode, in + skip, len - skip);
        }
    }
}

/* A random base64 text of about len characters: mostly the alphabet, with line breaks,
 * blanks, '=' and other bytes at random places when noisy. */
static size_t make_text(uint64_t *s, uint8_t *p, size_t len, bool noisy)
{
    static const char *const noise[] = {"\r\n", "\n", " ", "\t", "=",    "==", "*",
                                        "\x80", "-",  ".", "\0", "\xff", "A=", "\r"};
    size_t n = 0;
    while (n < len) {
        if (noisy && below(s, 24) == 0) {
            const char *w = noise[below(s, sizeof(noise) / sizeof(noise[0]))];
            size_t wl = w[0] == '\0' ? 1 : strlen(w);
            for (size_t j = 0; j < wl && n < len; j++)
                p[n++] = (uint8_t)w[j];
        } else {
            p[n++] = (uint8_t)alphabet[below(s, 64)];
        }
    }
    return n;
}

/* Lengths near the vector block sizes come up often. */
static size_t pick_len(uint64_t *s)
{
    static const size_t edges[] = {0, 4, 12, 16, 32, 48, 64, 76, 96, 128, 256};
    if (below(s, 2) == 0)
        return below(s, 400);
    size_t e = edges[below(s, sizeof(edges) / sizeof(edges[0]))] + below(s, 9);
    return e >= 4 ? e - 4 : e;
}

/* Decodes text in pieces ending at ends[0..n) with vec; the output, *invalid after each call
 * and the state carried between calls go to the log. */
static size_t decode_pieces(sk_mime__b64_vec_fn vec, const uint8_t *text, const size_t *ends,
                            size_t n, uint8_t *log)
{
    struct sk_mime__b64 st = {{0}, 0, vec};
    size_t at = 0, ln = 0;
    for (size_t c = 0; c < n; c++) {
        size_t len = ends[c] - at;
        /* Exactly the room the header promises, so that ASan sees a write past it. */
        uint8_t *in = malloc(len + 1), *out = malloc(len * 3 / 4 + 3);
        assert_non_null(in);
        assert_non_null(out);
        memcpy(in, text + at, len);
        bool bad = false;
        size_t got = sk_mime__b64_decode(&st, in, len, out, &bad);
        memcpy(log + ln, out, got);
        ln += got;
        log[ln++] = bad;
        log[ln++] = (uint8_t)st.n;
        memcpy(log + ln, st.q, st.n);
        ln += st.n;
        free(out);
        free(in);
        at = ends[c];
    }
    bool bad = false;
    ln += sk_mime__b64_finish(&st, log + ln, &bad);
    log[ln++] = bad;
    return ln;
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

static void test_mime_b64_decode_pieces(void **state)
{
    (void)state;
    struct sk_mime__b64_vec v[4];
    size_t nv = variants(v, 4);
    v[nv++] = (struct sk_mime__b64_vec){"best", NULL};
    uint64_t s = 0xd1b54a32d192ed03u;
    uint8_t text[512], want[2048], got[2048];
    size_t ends[8];
    for (int round = 0; round < 20000; round++) {
        size_t len = make_text(&s, text, pick_len(&s), round % 4 != 0);
        size_t n = 1 + below(&s, 8);
        for (size_t c = 0; c + 1 < n; c++)
            ends[c] = below(&s, len + 1);
        ends[n - 1] = len;
        qsort(ends, n, sizeof(ends[0]), cmp_size);
        size_t wn = decode_pieces(sk_mime__b64_vec_none, text, ends, n, want);
        for (size_t k = 0; k < nv; k++) {
            size_t gn = decode_pieces(v[k].decode, text, ends, n, got);
            assert_int_equal(gn, wn);
            assert_memory_equal(got, want, wn);
        }
    }
}

/* The whole decoder on a clean run: the same bytes as the scalar code, at every length
 * around the block sizes. */
static void test_mime_b64_decode_lengths(void **state)
{
    (void)state;
    uint64_t s = 0x853c49e6748fea9bu;
    uint8_t text[200], want[160], got[160];
    fill_alphabet(&s, text, sizeof(text));
    for (size_t len = 0; len <= sizeof(text); len++) {
        bool wbad = false, gbad = false;
        struct sk_mime__b64 ws = {{0}, 0, sk_mime__b64_vec_none}, gs = {{0}, 0, NULL};
        size_t wn = sk_mime__b64_decode(&ws, text, len, want, &wbad);
        size_t gn = sk_mime__b64_decode(&gs, text, len, got, &gbad);
        assert_int_equal(gn, wn);
        assert_int_equal(wn, len / 4 * 3);
        assert_memory_equal(got, want, wn);
        assert_int_equal(gs.n, ws.n);
        assert_false(gbad || wbad);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mime_b64_vec_every_byte),
        cmocka_unit_test(test_mime_b64_vec_random_runs),
        cmocka_unit_test(test_mime_b64_decode_pieces),
        cmocka_unit_test(test_mime_b64_decode_lengths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
