/* SPDX-License-Identifier: GPL-2.0-only */
/* The MIME decoder's two-stream MD5 (parsers/mime/mime_md5.c): RFC 1321's test suite, and
 * two mates fed in random pieces and finished in either order, each digest compared with
 * OpenSSL's MD5 of the same bytes; a mate that is off, finished or never paired. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>

#include "parsers/mime/mime_md5.h"

static void hex(const uint8_t d[16], char out[33])
{
    for (int i = 0; i < 16; i++) {
        out[2 * i] = "0123456789abcdef"[d[i] >> 4];
        out[2 * i + 1] = "0123456789abcdef"[d[i] & 15];
    }
    out[32] = '\0';
}

static void openssl_md5(const uint8_t *p, size_t n, uint8_t out[16])
{
    unsigned len = 0;
    assert_int_equal(EVP_Digest(p, n, out, &len, EVP_md5(), NULL), 1);
    assert_int_equal(len, 16);
}

/* RFC 1321 A.5, fed whole and byte by byte. */
static void test_md5_rfc1321(void **state)
{
    (void)state;
    static const struct {
        const char *in, *md5;
    } suite[] = {
        {"", "d41d8cd98f00b204e9800998ecf8427e"},
        {"a", "0cc175b9c0f1b6a831c399e269772661"},
        {"abc", "900150983cd24fb0d6963f7d28e17f72"},
        {"message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
        {"abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"},
        {"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
         "d174ab98d277d9f5a5611c2c9f419d9f"},
        {"1234567890"
         "1234567890"
         "1234567890"
         "1234567890"
         "1234567890"
         "1234567890"
         "1234567890"
         "1234567890",
         "57edf4a22be3c955ac49da2e2107b67a"},
    };
    static struct sk_mime__md5 c;
    for (size_t i = 0; i < sizeof(suite) / sizeof(suite[0]); i++) {
        uint8_t d[16];
        char h[33];
        sk_mime__md5_init(&c);
        sk_mime__md5_update(&c, suite[i].in, strlen(suite[i].in));
        sk_mime__md5_final(&c, d);
        hex(d, h);
        assert_string_equal(h, suite[i].md5);
        sk_mime__md5_init(&c);
        for (const char *p = suite[i].in; *p != '\0'; p++)
            sk_mime__md5_update(&c, p, 1);
        sk_mime__md5_final(&c, d);
        hex(d, h);
        assert_string_equal(h, suite[i].md5);
        assert_false(c.on);
    }
}

static uint32_t rnd(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

/* Mates fed in random pieces (1 byte to twice the hold), sometimes one of them off for a
 * while, finished in a random order: each digest is OpenSSL's of the bytes it was given.
 * Lengths cross every padding case (55, 56, 63, 64 bytes past a block). */
static void test_md5_pairs_random(void **state)
{
    (void)state;
    static struct sk_mime__md5 a, b;
    enum { MAX = 5 * SK_MIME_MD5_HOLD + 131 };
    uint8_t *x = malloc(MAX), *y = malloc(MAX);
    assert_non_null(x);
    assert_non_null(y);
    uint32_t s = 0x9e3779b9u;
    sk_mime__md5_pair(&a, &b);
    for (int round = 0; round < 400; round++) {
        size_t nx = rnd(&s) % MAX, ny = round % 3 == 0 ? 0 : rnd(&s) % MAX;
        if (round < 64) {
            nx = (size_t)round;
            ny = (size_t)(127 - round);
        }
        for (size_t i = 0; i < nx; i++)
            x[i] = (uint8_t)rnd(&s);
        for (size_t i = 0; i < ny; i++)
            y[i] = (uint8_t)rnd(&s);
        sk_mime__md5_init(&a);
        bool b_on = ny > 0 || round % 2 == 0;
        b.on = false;
        if (b_on)
            sk_mime__md5_init(&b);
        size_t ix = 0, iy = 0;
        while (ix < nx || (b_on && iy < ny)) {
            size_t k = 1 + rnd(&s) % (2 * SK_MIME_MD5_HOLD);
            if (rnd(&s) % 4 == 0)
                k = 1 + rnd(&s) % 70;
            if ((rnd(&s) & 1) && ix < nx) {
                k = k < nx - ix ? k : nx - ix;
                sk_mime__md5_update(&a, x + ix, k);
                ix += k;
            } else if (b_on && iy < ny) {
                k = k < ny - iy ? k : ny - iy;
                sk_mime__md5_update(&b, y + iy, k);
                iy += k;
            }
        }
        uint8_t da[16], db[16], ea[16], eb[16];
        if (rnd(&s) & 1) {
            sk_mime__md5_final(&a, da);
            if (b_on)
                sk_mime__md5_final(&b, db);
        } else {
            if (b_on)
                sk_mime__md5_final(&b, db);
            sk_mime__md5_final(&a, da);
        }
        openssl_md5(x, nx, ea);
        assert_memory_equal(da, ea, 16);
        if (b_on) {
            openssl_md5(y, ny, eb);
            assert_memory_equal(db, eb, 16);
        }
    }
    free(x);
    free(y);
}

/* A context with no mate, and one whose mate is finished halfway: nothing of one
 * stream reaches the other. */
static void test_md5_alone_and_mate_finished(void **state)
{
    (void)state;
    static struct sk_mime__md5 a, b, lone;
    enum { N = 3 * SK_MIME_MD5_HOLD + 17 };
    uint8_t *x = malloc(N), e[16], d[16];
    assert_non_null(x);
    for (size_t i = 0; i < N; i++)
        x[i] = (uint8_t)(i * 7 + 3);
    openssl_md5(x, N, e);
    memset(&lone, 0, sizeof(lone));
    sk_mime__md5_init(&lone);
    sk_mime__md5_update(&lone, x, N);
    sk_mime__md5_final(&lone, d);
    assert_memory_equal(d, e, 16);

    sk_mime__md5_pair(&a, &b);
    sk_mime__md5_init(&a);
    sk_mime__md5_init(&b);
    sk_mime__md5_update(&a, x, 1000);
    sk_mime__md5_update(&b, "abc", 3);
    uint8_t dabc[16];
    sk_mime__md5_final(&b, dabc);
    assert_memory_equal(dabc, "\x90\x01\x50\x98\x3c\xd2\x4f\xb0\xd6\x96\x3f\x7d\x28\xe1\x7f\x72",
                        16);
    sk_mime__md5_update(&a, x + 1000, N - 1000);
    sk_mime__md5_final(&a, d);
    assert_memory_equal(d, e, 16);
    free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_md5_rfc1321),
        cmocka_unit_test(test_md5_pairs_random),
        cmocka_unit_test(test_md5_alone_and_mate_finished),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
