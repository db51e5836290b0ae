/* SPDX-License-Identifier: GPL-2.0-only */
/* The JSON writer: every byte value escapes to valid JSON that decodes back to itself
 * (or to U+00XX for bytes that are not UTF-8), valid UTF-8 passes through, long strings
 * and deep nesting behave, and timestamps look like EVE's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "engine/output/json.h"
#include "tests/unit/json_check.h"

static void escape_one(struct sk_buf *b, const uint8_t *p, size_t n)
{
    sk_buf_reset(b);
    sk_json_escape(b, p, n);
    assert_false(sk_buf_failed(b));
}

static void test_json_every_byte_round_trips(void **state)
{
    (void)state;
    struct sk_buf b = SK_BUF_INIT;
    for (unsigned v = 0; v < 256; v++) {
        uint8_t byte = (uint8_t)v;
        escape_one(&b, &byte, 1);
        assert_true(json_valid(b.buf, b.len));
        uint32_t cp[4];
        assert_int_equal(json_decode_string(b.buf, b.len, cp, 4), 1);
        assert_int_equal(cp[0], v); /* ASCII as is, other bytes as U+00XX */
        if (v >= 0x80) {
            char want[16];
            snprintf(want, sizeof(want), "\"\\u00%02x\"", v);
            assert_string_equal(b.buf, want);
        }
    }
    sk_buf_release(&b);
}

static void test_json_all_bytes_in_one_string(void **state)
{
    (void)state;
    uint8_t all[512];
    for (int i = 0; i < 512; i++)
        all[i] = (uint8_t)(i * 7 + 3);
    struct sk_buf b = SK_BUF_INIT;
    escape_one(&b, all, sizeof(all));
    assert_true(json_valid(b.buf, b.len));
    assert_null(memchr(b.buf, '\n', b.len)); /* one line, always */
    sk_buf_release(&b);
}

static void test_json_short_escapes(void **state)
{
    (void)state;
    struct sk_buf b = SK_BUF_INIT;
    const char *in = "a\"b\\c\n\r\t\b\f\x01/";
    escape_one(&b, (const uint8_t *)in, strlen(in));
    assert_string_equal(b.buf, "\"a\\\"b\\\\c\\n\\r\\t\\b\\f\\u0001/\"");
    sk_buf_release(&b);
}

static void test_json_valid_utf8_passes(void **state)
{
    (void)state;
    struct sk_buf b = SK_BUF_INIT;
    const char *in = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80";
    escape_one(&b, (const uint8_t *)in, strlen(in));
    char want[64];
    snprintf(want, sizeof(want), "\"%s\"", in);
    assert_string_equal(b.buf, want);
    sk_buf_release(&b);
}

static void test_json_invalid_utf8_escaped(void **state)
{
    (void)state;
    struct sk_buf b = SK_BUF_INIT;
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"\xc3", "\"\\u00c3\""},                                  /* truncated sequence */
        {"\xc0\xaf", "\"\\u00c0\\u00af\""},                       /* overlong '/' */
        {"\xed\xa0\x80", "\"\\u00ed\\u00a0\\u0080\""},            /* surrogate U+D800 */
        {"\xf4\x90\x80\x80", "\"\\u00f4\\u0090\\u0080\\u0080\""}, /* > U+10FFFF */
        {"\xff"
         "a\xc3\xa9",
         "\"\\u00ffa\xc3\xa9\""},           /* mixed: bad byte, ASCII, good */
        {"\xe2\x82", "\"\\u00e2\\u0082\""}, /* truncated at the end */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        escape_one(&b, (const uint8_t *)cases[i].in, strlen(cases[i].in));
        assert_string_equal(b.buf, cases[i].out);
        assert_true(json_valid(b.buf, b.len));
    }
    sk_buf_release(&b);
}

static void test_json_long_string(void **state)
{
    (void)state;
    size_t n = 1u << 20;
    uint8_t *big = malloc(n);
    assert_non_null(big);
    for (size_t i = 0; i < n; i++)
        big[i] = (uint8_t)(i % 251);
    struct sk_buf b = SK_BUF_INIT;
    escape_one(&b, big, n);
    assert_true(json_valid(b.buf, b.len));
    assert_true(b.len > n);
    free(big);
    sk_buf_release(&b);
}

/* A key is copied as it is only when nothing in it needs escaping: a byte to escape at any
 * position of keys of every length (the check reads a word at a time) gives the key's
 * escaped form, exactly as a value's; and a value with one odd byte anywhere round-trips. */
static void test_json_key_escaped_at_every_position(void **state)
{
    (void)state;
    static const uint8_t odd[] = {0x01, 0x1f, '"', '\\', 0x7f, 0x80, 0xc3, 0xff, ' ', '~'};
    struct sk_buf b = SK_BUF_INIT, want = SK_BUF_INIT;
    for (size_t len = 1; len <= 40; len++) {
        for (size_t pos = 0; pos < len; pos++) {
            for (size_t k = 0; k < sizeof(odd); k++) {
                char *key = malloc(len + 1); /* exactly sized: a read past it is a bug */
                assert_non_null(key);
                memset(key, 'k', len);
                key[pos] = (char)odd[k];
                key[len] = '\0';
                struct sk_json j;
                sk_buf_reset(&b);
                sk_json_init(&j, &b);
                sk_json_object_open(&j, NULL);
                sk_json_u64(&j, key, 7);
                sk_json_object_close(&j);
                sk_buf_reset(&want);
                sk_buf_addch(&want, '{');
                sk_json_escape(&want, (const uint8_t *)key, len);
                sk_buf_addstr(&want, ":7}");
                assert_false(sk_buf_failed(&b));
                assert_string_equal(b.buf, want.buf);
                assert_true(json_valid(b.buf, b.len));
                /* and the value's escaping, a word at a time around the odd byte, decodes to
                 * the bytes (a lone byte from 0x80 as U+00XX) */
                uint32_t cp[40];
                escape_one(&want, (const uint8_t *)key, len);
                assert_int_equal(json_decode_string(want.buf, want.len, cp, 40), (long)len);
                for (size_t i = 0; i < len; i++)
                    assert_int_equal(cp[i], (uint8_t)key[i]);
                free(key);
            }
        }
    }
    sk_buf_release(&b);
    sk_buf_release(&want);
}

/* Numbers at every length and both ends of the range, alone and zero padded, as snprintf
 * writes them. */
static void test_json_numbers_every_length(void **state)
{
    (void)state;
    struct sk_buf b = SK_BUF_INIT;
    char want[64];
    uint64_t v = 0;
    for (int k = 0; k <= 20; k++) {
        uint64_t vals[] = {v, v + 1, v ? v - 1 : 0, UINT64_MAX - v};
        for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
            for (unsigned width = 0; width <= 21; width += 3) {
                sk_buf_reset(&b);
                sk_buf_add_u64(&b, vals[i], width);
                snprintf(want, sizeof(want), "%0*llu", width > 20 ? 20 : (int)width,
                         (unsigned long long)vals[i]);
                assert_string_equal(b.buf, want);
            }
            struct sk_json j;
            sk_buf_reset(&b);
            sk_json_init(&j, &b);
            sk_json_object_open(&j, NULL);
            sk_json_u64(&j, "n", vals[i]);
            sk_json_object_close(&j);
            snprintf(want, sizeof(want), "{\"n\":%llu}", (unsigned long long)vals[i]);
            assert_string_equal(b.buf, want);
        }
        v = v ? v * 10 : 1;
        if (k == 19)
            v = UINT64_MAX;
    }
    sk_buf_release(&b);
}

static void test_json_writer_nesting_and_types(void **state)
{
    (void)state;
    struct sk_buf b = SK_BUF_INIT;
    struct sk_json j;
    sk_json_init(&j, &b);
    sk_json_object_open(&j, NULL);
    sk_json_str(&j, "s", "x");
    sk_json_u64(&j, "u", UINT64_MAX);
    sk_json_i64(&j, "i", -5);
    sk_json_bool(&j, "t", true);
    sk_json_bool(&j, "f", false);
    sk_json_null(&j, "n");
    sk_json_str(&j, "null_str", NULL);
    sk_json_array_open(&j, "a");
    sk_json_u64(&j, NULL, 1);
    sk_json_object_open(&j, NULL);
    sk_json_object_close(&j);
    sk_json_array_open(&j, NULL);
    sk_json_array_close(&j);
    sk_json_array_close(&j);
    sk_json_object_close(&j);
    assert_false(sk_buf_failed(&b));
    assert_string_equal(b.buf, "{\"s\":\"x\",\"u\":18446744073709551615,\"i\":-5,\"t\":true,"
                               "\"f\":false,\"n\":null,\"null_str\":null,\"a\":[1,{},[]]}");
    assert_true(json_valid(b.buf, b.len));
    sk_buf_release(&b);
}

static void test_json_too_deep_fails_cleanly(void **state)
{
    (void)state;
    struct sk_buf b = SK_BUF_INIT;
    struct sk_json j;
    sk_json_init(&j, &b);
    for (int i = 0; i < SK_JSON_MAX_DEPTH + 4; i++)
        sk_json_array_open(&j, NULL);
    assert_true(sk_buf_failed(&b));
    sk_buf_release(&b);
}

static void test_json_time_format(void **state)
{
    (void)state;
    char t[SK_JSON_TIME_LEN];
    sk_json_format_time(t, 0);
    assert_string_equal(t, "1970-01-01T00:00:00.000000+0000");
    /* 2026-11-26T17:29:09.123456Z */
    sk_json_format_time(t, 1795714149123456ull);
    assert_string_equal(t, "2026-11-26T17:29:09.123456+0000");
    sk_json_format_time(t, 1795714149000001ull);
    assert_string_equal(t, "2026-11-26T17:29:09.000001+0000");
    /* the date by arithmetic: leap days, century years, the end of a year */
    sk_json_format_time(t, 951782400123456ull);
    assert_string_equal(t, "2000-02-29T00:00:00.123456+0000");
    sk_json_format_time(t, 4102444799999999ull);
    assert_string_equal(t, "2099-12-31T23:59:59.999999+0000");
    sk_json_format_time(t, 1709251200000001ull);
    assert_string_equal(t, "2024-03-01T00:00:00.000001+0000");
}

static void test_json_buf_addf_grows(void **state)
{
    (void)state;
    struct sk_buf b = SK_BUF_INIT;
    char big[1000];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    sk_buf_addf(&b, "<%s>", big);
    assert_int_equal(b.len, 1001);
    assert_int_equal(b.buf[0], '<');
    assert_int_equal(b.buf[1000], '>');
    sk_buf_reset(&b);
    assert_int_equal(b.len, 0);
    sk_buf_release(&b);
    sk_buf_release(&b); /* twice is fine */
}

/* Random byte strings, biased towards UTF-8 lead and continuation bytes: every one escapes
 * to valid JSON that decodes to the expected code points (a valid UTF-8 sequence to its
 * code point, any other byte to U+00XX). */
static void test_json_random_strings_round_trip(void **state)
{
    (void)state;
    static const uint8_t pool[] = {0x00, 0x0a, 0x1f, '"',  '\\', 'a',  0x7f, 0x80,
                                   0xbf, 0xc2, 0xc0, 0xe0, 0xed, 0xef, 0xf0, 0xf4,
                                   0xf5, 0xff, 0xa0, 0x9f, 0x90, 0x8f, 0xc3, 0xa9};
    uint64_t x = 0x9e3779b97f4a7c15ull;
    struct sk_buf b = SK_BUF_INIT;
    uint8_t in[64];
    uint32_t got[64], want[64];
    for (int round = 0; round < 20000; round++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        size_t n = (size_t)(x % sizeof(in));
        uint64_t y = x;
        for (size_t i = 0; i < n; i++) {
            y = y * 6364136223846793005ull + 1442695040888963407ull;
            in[i] = (y >> 60) & 1 ? pool[(y >> 32) % sizeof(pool)] : (uint8_t)(y >> 40);
        }
        size_t nw = 0;
        for (size_t i = 0; i < n;) {
            size_t l = sk_utf8_seq_len(in + i, n - i);
            if (l <= 1) {
                want[nw++] = in[i++];
                continue;
            }
            uint32_t cp = l == 2 ? in[i] & 0x1fu : l == 3 ? in[i] & 0x0fu : in[i] & 0x07u;
            for (size_t k = 1; k < l; k++)
                cp = (cp << 6) | (in[i + k] & 0x3fu);
            want[nw++] = cp;
            i += l;
        }
        escape_one(&b, in, n);
        assert_true(json_valid(b.buf, b.len));
        long ng = json_decode_string(b.buf, b.len, got, 64);
        assert_int_equal(ng, (long)nw);
        assert_memory_equal(got, want, nw * sizeof(uint32_t));
    }
    sk_buf_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_every_byte_round_trips),
        cmocka_unit_test(test_json_all_bytes_in_one_string),
        cmocka_unit_test(test_json_short_escapes),
        cmocka_unit_test(test_json_valid_utf8_passes),
        cmocka_unit_test(test_json_invalid_utf8_escaped),
        cmocka_unit_test(test_json_long_string),
        cmocka_unit_test(test_json_random_strings_round_trip),
        cmocka_unit_test(test_json_writer_nesting_and_types),
        cmocka_unit_test(test_json_key_escaped_at_every_position),
        cmocka_unit_test(test_json_numbers_every_length),
        cmocka_unit_test(test_json_too_deep_fails_cleanly),
        cmocka_unit_test(test_json_time_format),
        cmocka_unit_test(test_json_buf_addf_grows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
