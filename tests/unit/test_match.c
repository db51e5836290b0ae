/* SPDX-License-Identifier: GPL-2.0-only */
/* The confirming matcher and the transforms: one table row per modifier, each a match
 * and a no-match, relative chains that need backtracking, pcre flags and R. Every row is
 * also run through the reference matcher, which must agree. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <pcre2.h>

#include "rules/match.h"
#include "rules/reference.h"
#include "rules/transform.h"
#include "tests/unit/rule_builder.h"

/* Which numeric modifiers a content row sets. */
#define HAS_OFF  0x1u
#define HAS_DEP  0x2u
#define HAS_DIST 0x4u
#define HAS_WIN  0x8u

enum kind { K_CONTENT = 0, K_PCRE, K_ISDATAAT, K_BSIZE };

struct item {
    enum kind kind;
    const char *s; /* content bytes or pcre pattern */
    bool neg, nocase, sw, ew, rel;
    unsigned has;
    int32_t off, dep, dist, win; /* isdataat: off is the position */
    uint32_t pcre_opts;
    enum sk_numop op;
    uint64_t a, b;
};

struct row {
    const char *name;
    const char *buf;
    bool expect;
    enum sk_transform xf[3];
    size_t n_xf;
    struct item it[4];
};

#define C(str, ...)                                                                                \
    {                                                                                              \
        .kind = K_CONTENT, .s = (str), __VA_ARGS__                                                 \
    }
#define P(str, ...)                                                                                \
    {                                                                                              \
        .kind = K_PCRE, .s = (str), __VA_ARGS__                                                    \
    }
#define ISD(pos, ...)                                                                              \
    {                                                                                              \
        .kind = K_ISDATAAT, .off = (pos), __VA_ARGS__                                              \
    }
#define BSZ(o, x, y)                                                                               \
    {                                                                                              \
        .kind = K_BSIZE, .op = (o), .a = (x), .b = (y)                                             \
    }

static const struct row rows[] = {
    {"content", "xxabcxx", true, {0}, 0, {C("abc")}},
    {"content no match", "xxabxcx", false, {0}, 0, {C("abc")}},
    {"nocase", "xaBcx", true, {0}, 0, {C("AbC", .nocase = true)}},
    {"case sensitive", "xaBcx", false, {0}, 0, {C("AbC")}},
    {"offset", "abcabc", true, {0}, 0, {C("abc", .has = HAS_OFF, .off = 3)}},
    {"offset past", "abcabc", false, {0}, 0, {C("abc", .has = HAS_OFF, .off = 4)}},
    {"depth", "xabc", true, {0}, 0, {C("abc", .has = HAS_DEP, .dep = 4)}},
    {"depth short", "xabc", false, {0}, 0, {C("abc", .has = HAS_DEP, .dep = 3)}},
    {"offset+depth",
     "xabcx",
     true,
     {0},
     0,
     {C("abc", .has = HAS_OFF | HAS_DEP, .off = 1, .dep = 3)}},
    {"offset+depth out",
     "xxabc",
     false,
     {0},
     0,
     {C("abc", .has = HAS_OFF | HAS_DEP, .off = 1, .dep = 3)}},
    {"startswith", "abcx", true, {0}, 0, {C("abc", .sw = true)}},
    {"startswith no", "xabc", false, {0}, 0, {C("abc", .sw = true)}},
    {"endswith", "xabc", true, {0}, 0, {C("abc", .ew = true)}},
    {"endswith no", "abcx", false, {0}, 0, {C("abc", .ew = true)}},
    {"startswith+endswith", "abc", true, {0}, 0, {C("abc", .sw = true, .ew = true)}},
    {"negated absent", "xyz", true, {0}, 0, {C("abc", .neg = true)}},
    {"negated present", "xabc", false, {0}, 0, {C("abc", .neg = true)}},
    {"negated outside depth",
     "xabc",
     true,
     {0},
     0,
     {C("abc", .neg = true, .has = HAS_DEP, .dep = 3)}},
    {"distance", "axb", true, {0}, 0, {C("a"), C("b", .has = HAS_DIST, .dist = 1)}},
    {"distance too near", "ab", false, {0}, 0, {C("a"), C("b", .has = HAS_DIST, .dist = 1)}},
    {"within", "ab", true, {0}, 0, {C("a"), C("b", .has = HAS_WIN, .win = 1)}},
    {"within too far", "axb", false, {0}, 0, {C("a"), C("b", .has = HAS_WIN, .win = 1)}},
    {"distance+within",
     "abc",
     true,
     {0},
     0,
     {C("a"), C("c", .has = HAS_DIST | HAS_WIN, .dist = 1, .win = 1)}},
    {"distance+within miss",
     "abbc",
     false,
     {0},
     0,
     {C("a"), C("c", .has = HAS_DIST | HAS_WIN, .dist = 1, .win = 1)}},
    {"negative distance",
     "abc",
     true,
     {0},
     0,
     {C("bc"), C("ab", .has = HAS_DIST | HAS_WIN, .dist = -3, .win = 2)}},
    {"relative negated",
     "abxc",
     true,
     {0},
     0,
     {C("ab"), C("c", .neg = true, .has = HAS_WIN, .win = 1)}},
    {"relative negated hit",
     "abc",
     false,
     {0},
     0,
     {C("ab"), C("c", .neg = true, .has = HAS_WIN, .win = 1)}},
    {"backtrack one", "axxab", true, {0}, 0, {C("a"), C("b", .has = HAS_WIN, .win = 1)}},
    {"backtrack two levels",
     "abxcdyyabcdef",
     true,
     {0},
     0,
     {C("ab"), C("cd", .has = HAS_DIST | HAS_WIN, .dist = 0, .win = 4),
      C("ef", .has = HAS_DIST | HAS_WIN, .dist = 0, .win = 2)}},
    {"backtrack exhausted",
     "abxcdyyabxcdef",
     false,
     {0},
     0,
     {C("ab"), C("cd", .has = HAS_DIST | HAS_WIN, .dist = 0, .win = 2),
      C("ef", .has = HAS_DIST | HAS_WIN, .dist = 0, .win = 2)}},
    {"backtrack past negated",
     "ab1 ab2",
     true,
     {0},
     0,
     {C("ab"), C("1", .neg = true, .has = HAS_WIN, .win = 1)}},
    {"isdataat", "abcd", true, {0}, 0, {ISD(3)}},
    {"isdataat short", "abc", false, {0}, 0, {ISD(3)}},
    {"isdataat relative", "abcd", true, {0}, 0, {C("ab"), ISD(1, .rel = true)}},
    {"isdataat relative short", "abc", false, {0}, 0, {C("ab"), ISD(1, .rel = true)}},
    {"isdataat negated relative", "abc", true, {0}, 0, {C("ab"), ISD(1, .rel = true, .neg = true)}},
    {"bsize eq", "abc", true, {0}, 0, {BSZ(SK_NUM_EQ, 3, 0)}},
    {"bsize eq no", "abcd", false, {0}, 0, {BSZ(SK_NUM_EQ, 3, 0)}},
    {"bsize range", "abc", true, {0}, 0, {BSZ(SK_NUM_RANGE, 1, 5)}},
    {"bsize range edge", "abcde", false, {0}, 0, {BSZ(SK_NUM_RANGE, 1, 5)}},
    {"bsize lt", "ab", true, {0}, 0, {BSZ(SK_NUM_LT, 3, 0)}},
    {"pcre", "xabcx", true, {0}, 0, {P("a.c")}},
    {"pcre no", "xabx", false, {0}, 0, {P("a.c")}},
    {"pcre anchored", "xabc", false, {0}, 0, {P("^abc")}},
    {"pcre caseless", "xabcx", true, {0}, 0, {P("ABC", .pcre_opts = PCRE2_CASELESS)}},
    {"pcre dotall", "a\nc", true, {0}, 0, {P("a.c", .pcre_opts = PCRE2_DOTALL)}},
    {"pcre no dotall", "a\nc", false, {0}, 0, {P("a.c")}},
    {"pcre multiline", "x\nabc", true, {0}, 0, {P("^abc", .pcre_opts = PCRE2_MULTILINE)}},
    {"pcre R", "foobar", true, {0}, 0, {C("foo"), P("^bar", .rel = true)}},
    {"pcre R no", "fooxbar", false, {0}, 0, {C("foo"), P("^bar", .rel = true)}},
    {"pcre R backtrack", "fooxfoobar", true, {0}, 0, {C("foo"), P("^bar", .rel = true)}},
    {"pcre negated", "good", true, {0}, 0, {P("evil", .neg = true)}},
    {"pcre negated hit", "evil", false, {0}, 0, {P("evil", .neg = true)}},
    {"content after pcre",
     "aaab",
     true,
     {0},
     0,
     {P("a+"), C("b", .has = HAS_DIST | HAS_WIN, .dist = 0, .win = 1)}},
    {"pcre retried for content",
     "ax ay",
     true,
     {0},
     0,
     {P("a."), C(" ", .neg = true, .has = HAS_WIN, .win = 1), C("y", .has = HAS_DIST, .dist = -1)}},
    {"to_lowercase", "ABC", true, {SK_XFORM_TO_LOWERCASE}, 1, {C("abc")}},
    {"to_lowercase no", "ABC", false, {SK_XFORM_TO_LOWERCASE}, 1, {C("ABC")}},
    {"to_uppercase", "abc", true, {SK_XFORM_TO_UPPERCASE}, 1, {C("ABC")}},
    {"strip_whitespace", "a b\tc", true, {SK_XFORM_STRIP_WHITESPACE}, 1, {C("abc")}},
    {"compress_whitespace",
     "a  \t b",
     true,
     {SK_XFORM_COMPRESS_WHITESPACE},
     1,
     {C("a b", .sw = true, .ew = true)}},
    {"url_decode",
     "%41b+c%2",
     true,
     {SK_XFORM_URL_DECODE},
     1,
     {C("Ab c%2", .sw = true, .ew = true)}},
    {"from_base64",
     "aGVsbG8=",
     true,
     {SK_XFORM_FROM_BASE64},
     1,
     {C("hello", .sw = true, .ew = true)}},
    {"dotprefix", "example.com", true, {SK_XFORM_DOTPREFIX}, 1, {C(".example.com", .sw = true)}},
    {"chain",
     "A B",
     true,
     {SK_XFORM_STRIP_WHITESPACE, SK_XFORM_TO_LOWERCASE},
     2,
     {C("ab", .sw = true, .ew = true)}},
};

static void build(struct sk_buffer_group *g, const struct row *r)
{
    for (size_t i = 0; i < r->n_xf; i++)
        rb_transform(g, r->xf[i]);
    for (size_t i = 0; i < 4; i++) {
        const struct item *it = &r->it[i];
        if (it->kind == K_CONTENT && it->s == NULL)
            break;
        if (it->kind == K_CONTENT) {
            struct sk_content *c = rb_content(g, it->s);
            c->negated = it->neg;
            c->nocase = it->nocase;
            c->startswith = it->sw;
            c->endswith = it->ew;
            if (it->has & HAS_OFF)
                c->offset = it->off;
            if (it->has & HAS_DEP)
                c->depth = it->dep;
            if (it->has & HAS_DIST)
                c->distance = it->dist;
            if (it->has & HAS_WIN)
                c->within = it->win;
        } else if (it->kind == K_PCRE) {
            struct sk_pcre *p = rb_pcre(g, it->s, it->pcre_opts);
            p->relative = it->rel;
            p->negated = it->neg;
        } else if (it->kind == K_ISDATAAT) {
            rb_isdataat(g, it->off, it->rel, it->neg);
        } else {
            rb_bsize(g, it->op, it->a, it->b);
        }
    }
}

static void test_match_table(void **state)
{
    struct sk_match_ctx *mc;
    char err[128];
    assert_int_equal(sk_match_ctx_new(&mc, 0), 0);
    for (size_t k = 0; k < sizeof(rows) / sizeof(rows[0]); k++) {
        const struct row *r = &rows[k];
        struct sk_rule *rule = rb_rule_new(1);
        struct sk_buffer_group *g = rb_group(rule, SK_FIELD_SMTP_MAIL_FROM);
        build(g, r);
        void *pcre[4] = {0};
        for (size_t m = 0; m < g->n_matches; m++)
            if (g->matches[m].kind == SK_MATCH_PCRE)
                assert_int_equal(
                    sk_match_pcre_compile(&g->matches[m].u.pcre, &pcre[m], err, sizeof(err)), 0);
        bool got = sk_match_group(mc, g, pcre, (const uint8_t *)r->buf, strlen(r->buf));
        bool ref = !got;
        assert_int_equal(sk_reference_group(g, (const uint8_t *)r->buf, strlen(r->buf), &ref), 0);
        if (got != r->expect || ref != r->expect)
            fail_msg("row '%s': matcher %d reference %d expected %d", r->name, got, ref, r->expect);
        for (size_t m = 0; m < 4; m++)
            sk_match_pcre_free(pcre[m]);
        rb_rule_free(rule);
    }
    sk_match_ctx_free(mc);
}

static void check_xform(enum sk_transform t, const char *in, const char *want)
{
    struct sk_xform x;
    const uint8_t *out;
    size_t len;
    sk_xform_init(&x);
    assert_int_equal(sk_xform_apply(&x, &t, 1, (const uint8_t *)in, strlen(in), &out, &len), 0);
    assert_int_equal(len, strlen(want));
    assert_memory_equal(out, want, len);
    sk_xform_release(&x);
}

static void test_match_transforms(void **state)
{
    check_xform(SK_XFORM_TO_LOWERCASE, "AbC1", "abc1");
    check_xform(SK_XFORM_TO_UPPERCASE, "AbC1", "ABC1");
    check_xform(SK_XFORM_STRIP_WHITESPACE, " a\r\nb\t", "ab");
    check_xform(SK_XFORM_COMPRESS_WHITESPACE, "a \t b\r\n\r\nc", "a b\rc");
    check_xform(SK_XFORM_URL_DECODE, "a%20b+c%zz%4", "a b c%zz%4");
    check_xform(SK_XFORM_FROM_BASE64, "TWFu", "Man");
    check_xform(SK_XFORM_FROM_BASE64, "TWE=", "Ma");
    check_xform(SK_XFORM_FROM_BASE64, "TQ", "M");
    check_xform(SK_XFORM_FROM_BASE64, "TWFu!TWFu", "Man");
    check_xform(SK_XFORM_DOTPREFIX, "x.org", ".x.org");
    check_xform(SK_XFORM_DOTPREFIX, "", ".");
}

static void test_match_number(void **state)
{
    struct sk_rule *r = rb_rule_new(1);
    struct sk_buffer_group *g = rb_group(r, SK_FIELD_SMTP_REPLY_CODE);
    rb_number(g, SK_NUM_GE, 500, 0);
    assert_true(sk_match_number(g, 554));
    assert_false(sk_match_number(g, 250));
    rb_number(g, SK_NUM_NE, 554, 0);
    assert_true(sk_match_number(g, 550));
    assert_false(sk_match_number(g, 554));
    rb_rule_free(r);
}

/* A pathological chain stops at the step bound instead of running for minutes. */
static void test_match_step_bound(void **state)
{
    struct sk_match_ctx *mc;
    assert_int_equal(sk_match_ctx_new(&mc, 0), 0);
    struct sk_rule *r = rb_rule_new(1);
    struct sk_buffer_group *g = rb_group(r, SK_FIELD_SMTP_MAIL_FROM);
    rb_content(g, "a");
    for (int i = 0; i < 3; i++)
        rb_content(g, "a")->distance = 0;
    rb_content(g, "b")->distance = 0;
    uint8_t buf[2000];
    memset(buf, 'a', sizeof(buf));
    assert_false(sk_match_group(mc, g, NULL, buf, sizeof(buf)));
    assert_int_equal(sk_match_ctx_aborts(mc), 1);
    rb_rule_free(r);
    sk_match_ctx_free(mc);
}

/* A pattern that backtracks catastrophically, (a+)+$ on a long run of a's then a 'b', is cut
 * off by the match limit and counted; it never matches, negated or not. */
static void test_match_pcre_limit(void **state)
{
    char err[128];
    uint8_t buf[4000];
    memset(buf, 'a', sizeof(buf));
    buf[sizeof(buf) - 1] = 'b';
    for (int neg = 0; neg < 2; neg++) {
        struct sk_match_ctx *mc;
        assert_int_equal(sk_match_ctx_new(&mc, 0), 0);
        struct sk_rule *r = rb_rule_new(1);
        struct sk_buffer_group *g = rb_group(r, SK_FIELD_SMTP_MAIL_FROM);
        struct sk_pcre *p = rb_pcre(g, "(a+)+$", 0);
        p->negated = neg;
        void *pcre[1] = {0};
        assert_int_equal(sk_match_pcre_compile(p, &pcre[0], err, sizeof(err)), 0);
        assert_false(sk_match_group(mc, g, pcre, buf, sizeof(buf)));
        assert_true(sk_match_ctx_pcre_limit_hits(mc) >= 1);
        sk_match_pcre_free(pcre[0]);
        rb_rule_free(r);
        sk_match_ctx_free(mc);
    }
}

/* base64_decode / base64_data, table-driven: the outer group is `content:"<pre>";
 * base64_decode:...;` (pre empty: no content), base64_data holds one content. */
struct b64row {
    const char *name;
    const char *pre;
    uint32_t bytes, offset;
    bool relative;
    const char *want; /* content in base64_data; NULL: the rule has no base64_data */
    const char *buf;
    bool expect;
};

static const struct b64row b64rows[] = {
    {"whole buffer", "", 0, 0, false, "Man", "TWFu", true},
    {"no match in decoded", "", 0, 0, false, "Mad", "TWFu", false},
    {"relative after content", "x:", 0, 0, true, "hello", "aGVsbG8=x:aGVsbG8=", true},
    {"relative: decodes only after", "x:", 0, 0, true, "hello", "aGVsbG8=x:", false},
    {"offset skips", "", 0, 4, false, "Man", "!!!!TWFu", true},
    {"offset past the end", "", 0, 8, false, "Man", "TWFu", false},
    {"bytes limits input", "", 4, 0, false, "Man", "TWFuTWFu", true},
    {"bytes cuts the quantum", "", 3, 0, false, "M", "TWFu", false},
    {"line breaks skipped", "", 0, 0, false, "ManMan", "TWFu\r\nTWFu", true},
    {"junk skipped (relaxed)", "", 0, 0, false, "Man", "T.W-F*u", true},
    {"padding", "", 0, 0, false, "Ma", "TWE=", true},
    {"partial quantum dropped", "", 0, 0, false, "M", "TQ", false},
    {"nothing decoded", "", 0, 0, false, "", "!!!!", false},
    {"no base64_data: never", "", 0, 0, false, NULL, "TWFu", false},
    {"relative retries the content", "k=", 0, 0, true, "hello", "k=!!k=aGVsbG8=", true},
    {"offset relative", "k=", 0, 1, true, "Man", "k=.TWFu", true},
};

/* C-escape-light: \r \n in the table become CR LF. */
static size_t unescape(const char *in, char *out)
{
    size_t n = 0;
    for (size_t i = 0; in[i]; i++) {
        if (in[i] == '\\' && in[i + 1] == 'r')
            out[n++] = '\r', i++;
        else if (in[i] == '\\' && in[i + 1] == 'n')
            out[n++] = '\n', i++;
        else
            out[n++] = in[i];
    }
    out[n] = '\0';
    return n;
}

static void test_match_base64_table(void **state)
{
    struct sk_match_ctx *mc;
    assert_int_equal(sk_match_ctx_new(&mc, 0), 0);
    for (size_t k = 0; k < sizeof(b64rows) / sizeof(b64rows[0]); k++) {
        const struct b64row *row = &b64rows[k];
        struct sk_rule *r = rb_rule_new(1);
        struct sk_buffer_group *g = rb_group(r, SK_FIELD_SMTP_DATA);
        if (row->pre[0])
            rb_content(g, row->pre);
        rb_base64_decode(g, row->bytes, row->offset, row->relative);
        const struct sk_buffer_group *data = NULL;
        if (row->want != NULL) {
            struct sk_buffer_group *d = rb_group(r, SK_BUF_BASE64_DATA);
            if (row->want[0])
                rb_content(d, row->want);
            data = d;
        }
        g = &r->groups[0];
        char buf[128];
        size_t len = unescape(row->buf, buf);
        bool got = sk_match_group_full(mc, g, NULL, data, NULL, (const uint8_t *)buf, len);
        bool ref = !got;
        assert_int_equal(sk_reference_group_b64(g, data, (const uint8_t *)buf, len, &ref), 0);
        bool rule_ref = !ref;
        struct sk_ref_value v = {
            .buffer = SK_FIELD_SMTP_DATA, .p = (const uint8_t *)buf, .len = len};
        assert_int_equal(sk_reference_rule(r, &v, 1, &rule_ref), 0);
        if (got != row->expect || ref != row->expect || rule_ref != row->expect)
            fail_msg("row '%s': matcher %d reference %d rule %d expected %d", row->name, got, ref,
                     rule_ref, row->expect);
        rb_rule_free(r);
    }
    sk_match_ctx_free(mc);
}

static void test_match_base64_relax(void **state)
{
    uint8_t out[16];
    assert_int_equal(sk_match_base64_relax((const uint8_t *)"TWFu", 4, out), 3);
    assert_memory_equal(out, "Man", 3);
    assert_int_equal(sk_match_base64_relax((const uint8_t *)"TQ==TWFu", 8, out), 4);
    assert_memory_equal(out, "MMan", 4);
    assert_int_equal(sk_match_base64_relax((const uint8_t *)"TWF", 3, NULL), 0);
    assert_int_equal(sk_match_base64_relax((const uint8_t *)"T W\nF u", 8, out), 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_match_table),        cmocka_unit_test(test_match_transforms),
        cmocka_unit_test(test_match_number),       cmocka_unit_test(test_match_step_bound),
        cmocka_unit_test(test_match_pcre_limit),   cmocka_unit_test(test_match_base64_table),
        cmocka_unit_test(test_match_base64_relax),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
