/* SPDX-License-Identifier: GPL-2.0-only */
/* The stream-rule memo (rules/stream_memo.c): sk_smemo_match() against sk_match_group() on
 * growing and sliding windows, and the detection engine with the memo against the
 * reference matcher (which never uses it) on TCP streams fed chunk by chunk: the same
 * alerts after every chunk. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "rules/detect.h"
#include "rules/match.h"
#include "rules/ruleset.h"
#include "rules/stream_memo.h"

#define MAX_ALERTS 256

struct run {
    struct sk_ruleset *rs;
    struct sk_detect *d;
    struct sk_detect_thread *t;
    struct sk_detect_flow *df;
    struct sk_flow f;
    uint32_t sid[MAX_ALERTS];
    size_t n;
};

static void on_alert(void *ctx, const struct sk_alert *a)
{
    struct run *r = ctx;
    if (r->n < MAX_ALERTS)
        r->sid[r->n++] = a->rule->sid;
}

static void run_new(struct run *r, const char *rules, size_t window, bool reference)
{
    struct sk_ruleset_config rc = {0};
    struct sk_detect_config cfg = {.stream_window = window, .reference = reference};
    char err[256];
    memset(r, 0, sizeof(*r));
    assert_int_equal(sk_ruleset_new(&r->rs, &rc), 0);
    assert_int_equal(sk_ruleset_load_string(r->rs, "t.rules", rules), 0);
    assert_int_equal(sk_detect_build(&r->d, r->rs, &cfg, err, sizeof(err)), 0);
    assert_int_equal(sk_detect_thread_new(&r->t, r->d, on_alert, r), 0);
    r->f.flow_id = 1;
    r->f.orig_h.family = r->f.resp_h.family = 4;
    r->f.orig_p = 40000;
    r->f.resp_p = 25;
    r->f.state = SK_TCP_ESTABLISHED;
    assert_int_equal(sk_detect_flow_new(&r->df, r->t, &r->f), 0);
}

static void run_free(struct run *r)
{
    sk_detect_flow_end(r->t, r->df, &r->f, 1);
    sk_detect_flow_free(r->df);
    sk_detect_thread_free(r->t);
    sk_detect_free(r->d);
    sk_ruleset_free(r->rs);
}

/* Feeds s to the engine and to the reference in chunks of the sizes in chunks (cycled),
 * comparing their alerts after every chunk; returns the alerts as "sid,sid,...". */
static void both(const char *rules, size_t window, const uint8_t *s, size_t len,
                 const size_t *chunks, size_t n_chunks, char *out, size_t outlen)
{
    struct run e, ref;
    run_new(&e, rules, window, false);
    run_new(&ref, rules, window, true);
    for (size_t at = 0, k = 0; at < len; k++) {
        size_t n = chunks[k % n_chunks];
        n = n < len - at ? n : len - at;
        sk_detect_stream(e.t, e.df, &e.f, true, s + at, n, 1);
        sk_detect_stream(ref.t, ref.df, &ref.f, true, s + at, n, 1);
        at += n;
        if (e.n != ref.n || memcmp(e.sid, ref.sid, e.n * sizeof(e.sid[0])) != 0)
            fail_msg("after byte %zu: engine %zu alerts, reference %zu", at, e.n, ref.n);
    }
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < e.n && o < outlen; i++)
        o += (size_t)snprintf(out + o, outlen - o, "%s%u", i ? "," : "", e.sid[i]);
    run_free(&e);
    run_free(&ref);
}

/* want_fine: the alerts with chunks of 1-7 bytes; want_whole: with chunks of 64 bytes and
 * more (the window semantics: a rule sees the window as it is after each chunk). */
static void check(const char *rules, size_t window, const char *stream, const char *want_fine,
                  const char *want_whole)
{
    static const size_t sizes[][3] = {{1, 1, 1}, {3, 5, 2}, {7, 7, 7}, {64, 64, 64}, {4096, 1, 1}};
    char got[512];
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        both(rules, window, (const uint8_t *)stream, strlen(stream), sizes[i], 3, got, sizeof(got));
        const char *want = sizes[i][0] < 64 ? want_fine : want_whole;
        if (strcmp(got, want) != 0)
            fail_msg("chunks %zu: alerts '%s', want '%s'", sizes[i][0], got, want);
    }
}

#define R(body) "alert tcp any any -> any any (msg:\"t\"; " body ")\n"

static void test_memo_content_spans_chunks(void **state)
{
    (void)state;
    check(R("content:\"ABCDEF\"; content:\"XYZ\"; distance:2; within:6; sid:1;")
              R("content:\"ABCDEF\"; content:\"QQ\"; distance:0; sid:2;"),
          4096, "....ABCDEF..XYZ....ABCDEF..", "1", "1");
}

static void test_memo_absolute_and_relative_modifiers(void **state)
{
    (void)state;
    /* later matches with offset/depth are absolute in the window: it slides (32 bytes) */
    check(R("content:\"key\"; content:\"val\"; offset:2; depth:20; sid:1;")
              R("content:\"key\"; content:\"v\"; distance:1; within:3; sid:2;")
                  R("content:\"key\"; content:\"zz\"; distance:-6; within:4; sid:3;"),
          32, "..zzkey v.....val.........................key..v", "3,2,1", "2");
    check(R("content:\"key\"; content:\"val\"; offset:2; depth:20; sid:1;"), 4096, "..key.val", "1",
          "1");
}

static void test_memo_pcre_relative(void **state)
{
    (void)state;
    check(
        R("content:\"|0d 0a 0d 0a|UEsDB\"; pcre:\"/^[A-Za-z0-9\\/\\+\\x0d\\x0a]+?(5leG|LmV4)/R\"; "
          "sid:1;") R("content:\"|0d 0a 0d 0a|UEsDB\"; pcre:\"/^[A-Z]+$/R\"; sid:2;"),
        4096, "hdr\r\n\r\nUEsDBAbc12\r\nxyZZ-\r\n\r\nUEsDBQQQ\r\n\r\nUEsDBaaa\r\nqq5leGrest", "2,1",
        "1");
}

static void test_memo_negated_content(void **state)
{
    (void)state;
    /* alerts on the chunk where GET arrives and evil has not (yet) */
    check(R("content:\"GET\"; content:!\"evil\"; within:10; sid:1;")
              R("content:\"PUT\"; content:!\"evil\"; sid:2;"),
          4096, "PUT evil GET ..... evil", "2,1", "1");
}

static void test_memo_flowbits(void **state)
{
    (void)state;
    check(R("content:\"LOGIN\"; flowbits:set,in; flowbits:noalert; sid:1;")
              R("flowbits:isset,in; content:\"DATA\"; pcre:\"/^\\s+go/R\"; sid:2;"),
          4096, "DATA  x DATA go LOGIN DATA  x DATA go", "2", "2");
}

/* A rule whose chain needs the whole window: its first content slides out of it before the
 * rest arrives (no alert), then occurs again close enough (alert). */
static void test_memo_whole_window_and_sliding(void **state)
{
    (void)state;
    check(R("content:\"head\"; content:\"tail\"; distance:0; sid:1;")
              R("content:\"head\"; isdataat:20,relative; sid:2;"),
          32, "head.................................tail...head....tail", "2,1", "1");
}

/* More occurrences of the first content than the memo keeps: confirmed in full. */
static void test_memo_many_occurrences(void **state)
{
    (void)state;
    char s[400];
    memset(s, 0, sizeof(s));
    for (size_t i = 0; i < 100; i++)
        memcpy(s + 3 * i, "AB.", 3);
    memcpy(s + 300, "ABZ", 3);
    check(R("content:\"AB\"; content:\"Z\"; within:1; sid:1;"), 4096, s, "1", "1");
    check(R("content:\"AB\"; content:\"Z\"; within:1; sid:1;"), 64, s, "1", "1");
}

/* Random streams over a small alphabet, random chunks, small windows. */
static void test_memo_random_against_reference(void **state)
{
    (void)state;
    const char *rules = R("content:\"ab\"; content:\"ba\"; distance:0; within:5; sid:1;")
        R("content:\"abc\"; pcre:\"/^[ab]{2,}c/R\"; sid:2;")
            R("content:\"ca\"; content:!\"bb\"; within:4; content:\"cc\"; sid:3;")
                R("content:\"bca\"; content:\"a\"; offset:3; depth:4; sid:4;")
                    R("content:\"cab\"; isdataat:6,relative; content:\"b\"; distance:2; sid:5;")
                        R("content:\"ab\"; pcre:\"/^[ab]+?cc/R\"; sid:6;")
                            R("content:\"AB\"; nocase; content:\"cc\"; distance:1; sid:7;")
                                R("content:\"ab\"; content:\"cb\"; within:4; sid:8;");
    uint64_t x = 88172645463325252ull;
    char got[512];
    for (int seed = 0; seed < 300; seed++) {
        uint8_t s[300];
        size_t chunks[3];
        for (size_t i = 0; i < sizeof(s); i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            s[i] = (uint8_t)("abc"[x % 3]);
        }
        for (size_t i = 0; i < 3; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            chunks[i] = 1 + x % 9;
        }
        both(rules, 8 + (size_t)seed % 40, s, sizeof(s), chunks, 3, got, sizeof(got));
    }
}

static const struct sk_buffer_group *parsed_group(struct sk_ruleset **rs, const char *rule)
{
    struct sk_ruleset_config rc = {0};
    assert_int_equal(sk_ruleset_new(rs, &rc), 0);
    assert_int_equal(sk_ruleset_load_string(*rs, "t.rules", rule), 0);
    assert_int_equal(sk_ruleset_count(*rs), 1);
    return &sk_ruleset_rule(*rs, 0)->groups[0];
}

/* sk_smemo_match directly: the same result as sk_match_group on every window. */
static void test_memo_direct(void **state)
{
    (void)state;
    struct sk_ruleset *rs, *rs2;
    const struct sk_buffer_group *g =
        parsed_group(&rs, R("content:\"xy\"; content:\"q\"; distance:1; within:4; sid:1;"));
    assert_true(sk_smemo_eligible(g));
    struct sk_match_ctx *mc;
    assert_int_equal(sk_match_ctx_new(&mc, 0), 0);
    struct sk_smemo m = {0};
    const char *s = "axyzxyxy..q.xy.zq.xyxyxyxy...xy..q";
    size_t len = strlen(s), w = 9;
    size_t matches = 0;
    for (size_t end = 1; end <= len; end++) {
        size_t start = end > w ? end - w : 0;
        bool want = sk_match_group(mc, g, NULL, (const uint8_t *)s + start, end - start);
        bool got =
            sk_smemo_match(&m, 7, 1, start, mc, g, NULL, (const uint8_t *)s + start, end - start);
        assert_int_equal(got, want);
        matches += got;
    }
    assert_true(matches > 0);
    assert_true(sk_smemo_memuse(&m) > 0);
    /* a new instance starts over */
    assert_false(sk_smemo_match(&m, 7, 2, 0, mc, g, NULL, (const uint8_t *)"xy", 2));
    assert_true(sk_smemo_match(&m, 7, 2, 0, mc, g, NULL, (const uint8_t *)"xy.q", 4));
    sk_smemo_reset(&m);
    assert_int_equal(m.n, 0);
    assert_false(sk_smemo_eligible(parsed_group(&rs2, R("content:\"a\"; offset:1; sid:2;"))));
    sk_ruleset_free(rs2);
    sk_smemo_release(&m);
    sk_match_ctx_free(mc);
    sk_ruleset_free(rs);
}

/* Evaluates rule (content, then an anchored relative pcre) with the memo and in full on
 * every prefix of s (window w), with match limit limit: the same result and the same abort
 * and pcre-limit counts each time. Returns the verdicts of the first two occurrences seen
 * at the end (as "LN": L live, N no match, C cut off) in got[3]. */
static void verdicts(const char *rule, const char *s, size_t w, uint32_t limit, char got[3])
{
    struct sk_ruleset *rs;
    const struct sk_buffer_group *g = parsed_group(&rs, rule);
    assert_true(sk_smemo_eligible(g));
    void *pcre[2] = {NULL, NULL};
    char err[128];
    assert_int_equal(sk_match_pcre_compile(&g->matches[1].u.pcre, &pcre[1], err, sizeof(err)), 0);
    struct sk_match_ctx *mc, *ref;
    assert_int_equal(sk_match_ctx_new(&mc, limit), 0);
    assert_int_equal(sk_match_ctx_new(&ref, limit), 0);
    struct sk_smemo m = {0};
    size_t len = strlen(s);
    for (size_t end = 1; end <= len; end++) {
        size_t start = end > w ? end - w : 0;
        const uint8_t *b = (const uint8_t *)s + start;
        bool want = sk_match_group(ref, g, pcre, b, end - start);
        bool have = sk_smemo_match(&m, 3, 1, start, mc, g, pcre, b, end - start);
        if (have != want || sk_match_ctx_aborts(mc) != sk_match_ctx_aborts(ref) ||
            sk_match_ctx_pcre_limit_hits(mc) != sk_match_ctx_pcre_limit_hits(ref))
            fail_msg("end %zu: memo %d, full %d", end, have, want);
    }
    static const char code[] = {[SK_OCC_LIVE] = 'L', [SK_OCC_NOMATCH] = 'N', [SK_OCC_CUTOFF] = 'C'};
    got[0] = m.n && m.v[0].n > 0 ? code[m.v[0].verdict[0]] : '-';
    got[1] = m.n && m.v[0].n > 1 ? code[m.v[0].verdict[1]] : '-';
    got[2] = '\0';
    sk_smemo_release(&m);
    sk_match_ctx_free(mc);
    sk_match_ctx_free(ref);
    sk_match_pcre_free(pcre[1]);
    sk_ruleset_free(rs);
}

/* The verdicts the memo keeps for an anchored relative pcre after the first content: a
 * failure short of the window's end and a cut-off are final, a search that ran into the
 * end is not (the pcre runs again with more bytes). */
static void test_memo_pcre_verdicts(void **state)
{
    (void)state;
    char got[3];
    const char *zip = R("content:\"UEsDB\"; pcre:\"/^[A-Za-z0-9\\r\\n]+?(5leG|LmV4)/R\"; sid:1;");
    /* fails at '-' (final), then the second occurrence matches once 5leG is complete */
    verdicts(zip, "..UEsDBabc\r\nde-f..UEsDBqq5le", 64, 0, got);
    assert_string_equal(got, "NL");
    verdicts(zip, "..UEsDBabc\r\nde-f..UEsDBqq5leG..", 64, 0, got);
    assert_string_equal(got, "NL");
    /* a long run under a small match limit: cut off (final) while the window grows */
    char s[1200];
    memcpy(s, "UEsDB", 5);
    for (size_t i = 5; i < sizeof(s) - 1; i++)
        s[i] = "abcdXYZ019\r\n"[i % 12];
    s[sizeof(s) - 1] = '\0';
    verdicts(zip, s, 4096, 30, got);
    assert_string_equal(got, "C-");
    /* the same run under the default limit never reaches a verdict: it runs into the end */
    verdicts(zip, s, 4096, 0, got);
    assert_string_equal(got, "L-");
    /* not anchored: never final (a later start may match) */
    verdicts(R("content:\"UEsDB\"; pcre:\"/q[0-9]/R\"; sid:1;"), "UEsDB..-..q", 64, 0, got);
    assert_string_equal(got, "L-");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_memo_content_spans_chunks),
        cmocka_unit_test(test_memo_absolute_and_relative_modifiers),
        cmocka_unit_test(test_memo_pcre_relative),
        cmocka_unit_test(test_memo_negated_content),
        cmocka_unit_test(test_memo_flowbits),
        cmocka_unit_test(test_memo_whole_window_and_sliding),
        cmocka_unit_test(test_memo_many_occurrences),
        cmocka_unit_test(test_memo_random_against_reference),
        cmocka_unit_test(test_memo_direct),
        cmocka_unit_test(test_memo_pcre_verdicts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
