/* SPDX-License-Identifier: GPL-2.0-only */
/* The MIME decoder's two-stream MD5 (parsers/mime/mime_md5.c): RFC 1321's test suite, and
 * the members of a group fed in random pieces, started again, stopped and finished in any
 * order, each digest compared with OpenSSL's MD5 of the same bytes; a member alone, and
 * the group's list kept right through it all. Each test runs twice: with the scalar loops,
 * and with the vector loops where this CPU has them (mime_md5_x86.c, AVX-512VL). */
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
    const bool scalar = *(const bool *)*state;
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
    struct sk_mime__md5_group g = {NULL, NULL, scalar};
    for (size_t i = 0; i < sizeof(suite) / sizeof(suite[0]); i++) {
        uint8_t d[16];
        char h[33];
        sk_mime__md5_init(&c, &g);
        sk_mime__md5_update(&c, suite[i].in, strlen(suite[i].in));
        sk_mime__md5_final(&c, d);
        hex(d, h);
        assert_string_equal(h, suite[i].md5);
        sk_mime__md5_init(&c, &g);
        for (const char *p = suite[i].in; *p != '\0'; p++)
            sk_mime__md5_update(&c, p, 1);
        sk_mime__md5_final(&c, d);
        hex(d, h);
        assert_string_equal(h, suite[i].md5);
        assert_false(c.on);
        assert_null(g.head);
        assert_null(g.tail);
    }
}

static uint32_t rnd(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

static size_t members(const struct sk_mime__md5_group *g)
{
    size_t n = 0;
    const struct sk_mime__md5 *prev = NULL;
    for (const struct sk_mime__md5 *m = g->head; m != NULL; prev = m, m = m->next) {
        assert_ptr_equal(m->prev, prev);
        assert_true(m->on);
        n++;
    }
    assert_ptr_equal(g->tail, prev);
    return n;
}

/* Five members of a group, each given random streams in random pieces (1 byte to twice the
 * hold), one at a time in random order; now and then one is started again midway (its
 * digest then covers what followed), stopped, or finished: each digest is OpenSSL's of the
 * bytes it was given since its start. Lengths cross every padding case. */
static void test_md5_group_random(void **state)
{
    const bool scalar = *(const bool *)*state;
    enum { K = 5, MAX = 5 * SK_MIME_MD5_HOLD + 131, STEPS = 6000 };
    static struct sk_mime__md5 c[K];
    struct sk_mime__md5_group g = {NULL, NULL, scalar};
    uint8_t *data[K];
    size_t len[K] = {0};
    bool on[K] = {false};
    size_t finished = 0;
    uint32_t s = 0x9e3779b9u;
    for (int k = 0; k < K; k++) {
        data[k] = malloc(MAX);
        assert_non_null(data[k]);
    }
    for (int step = 0; step < STEPS; step++) {
        int k = (int)(rnd(&s) % K);
        uint32_t what = rnd(&s) % 100;
        if (!on[k] || what < 2) { /* (re)start */
            sk_mime__md5_init(&c[k], &g);
            on[k] = true;
            len[k] = 0;
        } else if (what < 3) {
            sk_mime__md5_stop(&c[k]);
            on[k] = false;
        } else if (what < 8 || len[k] > MAX - 2 * SK_MIME_MD5_HOLD) {
            uint8_t d[16], e[16];
            sk_mime__md5_final(&c[k], d);
            openssl_md5(data[k], len[k], e);
            assert_memory_equal(d, e, 16);
            on[k] = false;
            finished++;
        } else {
            size_t n = 1 + rnd(&s) % (2 * SK_MIME_MD5_HOLD);
            if (rnd(&s) % 4 == 0)
                n = 1 + rnd(&s) % 70;
            for (size_t i = 0; i < n; i++)
                data[k][len[k] + i] = (uint8_t)rnd(&s);
            sk_mime__md5_update(&c[k], data[k] + len[k], n);
            len[k] += n;
        }
        size_t want = 0;
        for (int j = 0; j < K; j++)
            want += on[j];
        assert_int_equal(members(&g), want);
    }
    assert_true(finished > 100);
    for (int k = 0; k < K; k++) {
        if (on[k]) {
            uint8_t d[16], e[16];
            sk_mime__md5_final(&c[k], d);
            openssl_md5(data[k], len[k], e);
            assert_memory_equal(d, e, 16);
        }
        free(data[k]);
    }
    assert_int_equal(members(&g), 0);
}

/* Every length from 0 to 200 through a member alone, and beside a member finished
 * halfway: nothing of one stream reaches the other. */
static void test_md5_alone_and_partner_finished(void **state)
{
    const bool scalar = *(const bool *)*state;
    static struct sk_mime__md5 a, b, lone;
    struct sk_mime__md5_group g = {NULL, NULL, scalar}, g2 = {NULL, NULL, scalar};
    enum { N = 3 * SK_MIME_MD5_HOLD + 17 };
    uint8_t *x = malloc(N), e[16], d[16];
    assert_non_null(x);
    for (size_t i = 0; i < N; i++)
        x[i] = (uint8_t)(i * 7 + 3);
    for (size_t n = 0; n <= 200; n++) {
        sk_mime__md5_init(&lone, &g2);
        sk_mime__md5_update(&lone, x, n);
        sk_mime__md5_final(&lone, d);
        openssl_md5(x, n, e);
        assert_memory_equal(d, e, 16);
    }
    openssl_md5(x, N, e);
    sk_mime__md5_init(&a, &g);
    sk_mime__md5_init(&b, &g);
    sk_mime__md5_update(&a, x, 1000);
    sk_mime__md5_update(&b, "abc", 3);
    uint8_t dabc[16];
    sk_mime__md5_final(&b, dabc);
    assert_memory_equal(dabc, "\x90\x01\x50\x98\x3c\xd2\x4f\xb0\xd6\x96\x3f\x7d\x28\xe1\x7f\x72",
                        16);
    sk_mime__md5_update(&a, x + 1000, N - 1000);
    sk_mime__md5_final(&a, d);
    assert_memory_equal(d, e, 16);
    assert_int_equal(members(&g), 0);
    free(x);
}

int main(void)
{
    static const bool scalar = true, vector = false;
    uint32_t h[4] = {0};
    print_message("MD5 vector loops on this CPU: %s\n",
                  sk_mime__md5_wide1(h, NULL, 0) ? "yes (the second run of each test)" : "no");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_prestate(test_md5_rfc1321, (void *)&scalar),
        cmocka_unit_test_prestate(test_md5_rfc1321, (void *)&vector),
        cmocka_unit_test_prestate(test_md5_group_random, (void *)&scalar),
        cmocka_unit_test_prestate(test_md5_group_random, (void *)&vector),
        cmocka_unit_test_prestate(test_md5_alone_and_partner_finished, (void *)&scalar),
        cmocka_unit_test_prestate(test_md5_alone_and_partner_finished, (void *)&vector),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
