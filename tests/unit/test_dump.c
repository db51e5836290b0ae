/* SPDX-License-Identifier: GPL-2.0-only */
/* Stream dumping: file names for IPv4 and IPv6 flows, the bytes of each direction in
 * their own file, gaps counted but not written, and files reopened for appending when
 * more flows are open than the open-file bound. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "engine/flow/dump.h"
#include "engine/error.h"

static struct sk_flow mkflow(int family, int n)
{
    struct sk_flow f;
    memset(&f, 0, sizeof(f));
    snprintf(f.uid, sizeof(f.uid), "CTestUid%d", n);
    f.orig_h.family = f.resp_h.family = (uint8_t)family;
    if (family == 4) {
        uint8_t o[4] = {192, 0, 2, 1}, r[4] = {198, 51, 100, 7};
        memcpy(f.orig_h.bytes, o, 4);
        memcpy(f.resp_h.bytes, r, 4);
    } else {
        uint8_t o[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
        uint8_t r[16] = {0x20, 0x01, 0x0d, 0xb8, [14] = 0xab, [15] = 0xcd};
        memcpy(f.orig_h.bytes, o, 16);
        memcpy(f.resp_h.bytes, r, 16);
    }
    f.orig_p = (uint16_t)(40000 + n);
    f.resp_p = 25;
    return f;
}

static char *read_all(const char *dir, const struct sk_flow *f, bool is_orig)
{
    char name[256], path[512];
    sk_dump_name(f, is_orig, name, sizeof(name));
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    static char buf[4096];
    size_t n = fread(buf, 1, sizeof(buf) - 1, fp);
    buf[n] = '\0';
    fclose(fp);
    return buf;
}

static void rm_dir(const char *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_dump_names(void **state)
{
    (void)state;
    char buf[256];
    struct sk_flow f4 = mkflow(4, 1), f6 = mkflow(6, 2);
    sk_dump_name(&f4, true, buf, sizeof(buf));
    assert_string_equal(buf, "CTestUid1-192.0.2.1.40001-198.51.100.7.25-orig.bin");
    sk_dump_name(&f6, false, buf, sizeof(buf));
    assert_string_equal(buf, "CTestUid2-2001_db8__1.40002-2001_db8__abcd.25-resp.bin");
}

static void test_dump_writes_each_direction(void **state)
{
    (void)state;
    char dir[] = "/tmp/sk_dump_XXXXXX";
    assert_non_null(mkdtemp(dir));
    struct sk_dump *d;
    assert_int_equal(sk_dump_new(&d, dir), 0);
    struct sk_flow f = mkflow(4, 1);
    assert_int_equal(sk_dump_data(d, &f, false, (const uint8_t *)"220 hi\r\n", 8), 0);
    assert_int_equal(sk_dump_data(d, &f, true, (const uint8_t *)"EHLO ", 5), 0);
    sk_dump_gap(d, &f, true, 100);
    assert_int_equal(sk_dump_data(d, &f, true, (const uint8_t *)"x\r\n", 3), 0);
    sk_dump_close(d, &f);
    assert_string_equal(read_all(dir, &f, true), "EHLO x\r\n");
    assert_string_equal(read_all(dir, &f, false), "220 hi\r\n");
    const struct sk_dump_stats *st = sk_dump_stats(d);
    assert_int_equal(st->files, 2);
    assert_int_equal(st->bytes, 16);
    assert_int_equal(st->gaps, 1);
    assert_int_equal(st->gap_bytes, 100);
    /* The same flow seen again (same uid) starts its files afresh. */
    assert_int_equal(sk_dump_data(d, &f, true, (const uint8_t *)"new", 3), 0);
    sk_dump_free(d);
    assert_string_equal(read_all(dir, &f, true), "new");
    rm_dir(dir);
}

static void test_dump_bounds_open_files(void **state)
{
    (void)state;
    char dir[] = "/tmp/sk_dump_XXXXXX";
    assert_non_null(mkdtemp(dir));
    struct sk_dump *d;
    assert_int_equal(sk_dump_new(&d, dir), 0);
    enum { N = SK_DUMP_MAX_OPEN * 2 + 3 };
    static struct sk_flow flows[N];
    for (int i = 0; i < N; i++) {
        flows[i] = mkflow(6, i);
        assert_int_equal(sk_dump_data(d, &flows[i], true, (const uint8_t *)"a", 1), 0);
    }
    for (int i = 0; i < N; i++)
        assert_int_equal(sk_dump_data(d, &flows[i], true, (const uint8_t *)"b", 1), 0);
    assert_true(sk_dump_stats(d)->reopens > 0);
    assert_int_equal(sk_dump_stats(d)->files, N);
    for (int i = 0; i < N; i += 2)
        sk_dump_close(d, &flows[i]);
    sk_dump_free(d);
    for (int i = 0; i < N; i++)
        assert_string_equal(read_all(dir, &flows[i], true), "ab");
    rm_dir(dir);
}

static void test_dump_rejects_empty_dir(void **state)
{
    (void)state;
    struct sk_dump *d;
    assert_int_equal(sk_dump_new(&d, ""), SK_E_INVAL);
    assert_null(d);
    sk_dump_free(NULL);
    assert_int_equal(sk_dump_new(&d, "/nonexistent/dir/for/sure"), 0);
    struct sk_flow f = mkflow(4, 1);
    assert_int_equal(sk_dump_data(d, &f, true, (const uint8_t *)"a", 1), SK_E_IO);
    sk_dump_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dump_names),
        cmocka_unit_test(test_dump_writes_each_direction),
        cmocka_unit_test(test_dump_bounds_open_files),
        cmocka_unit_test(test_dump_rejects_empty_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
