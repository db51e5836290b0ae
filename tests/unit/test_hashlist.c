/* SPDX-License-Identifier: GPL-2.0-only */
/* Hash lists of filemd5 / filesha1 / filesha256 (rules/hashlist.c): Suricata's list format,
 * bad lines with their number, a large set, the match of a finished file (negation, state,
 * digests not computed), lists shared between the rules of a set and found where Suricata
 * looks for them, and the detection engine judging file rules on SK_EV_FILE events. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "engine/error.h"
#include "rules/detect.h"
#include "rules/hashlist.h"
#include "rules/ruleset.h"

/* md5, sha1 of "abc" and md5 of "" */
#define MD5_ABC   "900150983cd24fb0d6963f7d28e17f72"
#define SHA1_ABC  "a9993e364706816aba3e25717850c26c9cd0d89d"
#define MD5_EMPTY "d41d8cd98f00b204e9800998ecf8427e"

static void unhex(const char *h, uint8_t *out)
{
    for (size_t i = 0; h[2 * i] != '\0' && h[2 * i] != '\n'; i++) {
        unsigned v;
        sscanf(h + 2 * i, "%2x", &v);
        out[i] = (uint8_t)v;
    }
}

static struct sk_hashlist *parse_ok(enum sk_hash_kind kind, const char *text)
{
    struct sk_hashlist *l = NULL;
    unsigned line = 0;
    char err[256] = "";
    int rc = sk_hashlist_parse(&l, kind, text, strlen(text), &line, err, sizeof(err));
    if (rc != 0)
        fail_msg("parse failed at line %u: %s", line, err);
    return l;
}

/* md5sum output, upper case, CRLF, comments, blank lines, a header and duplicates. */
static void test_hashlist_parse_formats(void **state)
{
    (void)state;
    struct sk_hashlist *l =
        parse_ok(SK_HASH_MD5, "# md5 list\n"
                              "\n"
                              "   \n"
                              "name,hash\n" /* not hex: skipped */
                 MD5_ABC "  abc.txt\n"
                              "D41D8CD98F00B204E9800998ECF8427E *empty\r\n" MD5_ABC "\n"
                              "\t" MD5_ABC "\n" /* indented: skipped */
                              "# end");
    uint8_t d[16];
    assert_int_equal(sk_hashlist_count(l), 2);
    unhex(MD5_ABC, d);
    assert_true(sk_hashlist_contains(l, d));
    unhex(MD5_EMPTY, d);
    assert_true(sk_hashlist_contains(l, d));
    d[15] ^= 1;
    assert_false(sk_hashlist_contains(l, d));
    sk_hashlist_free(l);

    /* an empty list loads and holds nothing */
    l = parse_ok(SK_HASH_SHA256, "");
    assert_int_equal(sk_hashlist_count(l), 0);
    uint8_t z[32] = {0};
    assert_false(sk_hashlist_contains(l, z));
    sk_hashlist_free(l);
}

static void parse_bad(enum sk_hash_kind kind, const char *text, unsigned want_line,
                      const char *want_msg)
{
    struct sk_hashlist *l = NULL;
    unsigned line = 0;
    char err[256] = "";
    assert_int_equal(sk_hashlist_parse(&l, kind, text, strlen(text), &line, err, sizeof(err)),
                     SK_E_PARSE);
    assert_null(l);
    assert_int_equal(line, want_line);
    assert_string_equal(err, want_msg);
}

static void test_hashlist_parse_bad_lines(void **state)
{
    (void)state;
    parse_bad(SK_HASH_MD5, "# x\n\n" MD5_ABC "\nabc def\n", 4,
              "'abc' is 3 hex digits, an md5 hash has 32");
    /* a SHA-1 in an md5 list, an md5 in a sha256 list */
    parse_bad(SK_HASH_MD5, SHA1_ABC "  f\n", 1,
              "'" SHA1_ABC "' is 40 hex digits, an md5 hash has 32");
    parse_bad(SK_HASH_SHA256, MD5_ABC, 1, "'" MD5_ABC "' is 32 hex digits, an sha256 hash has 64");
}

/* Only a regular file is read: a device or a folder named as a list fails at once. */
static void test_hashlist_load_not_regular(void **state)
{
    (void)state;
    const char *paths[] = {"/dev/zero", "/tmp", "/nonexistent/list.md5"};
    const char *why[] = {"not a regular file", "not a regular file", "No such file or directory"};
    for (size_t i = 0; i < 3; i++) {
        struct sk_hashlist *l = NULL;
        unsigned line = 0;
        char err[256] = "";
        assert_int_equal(sk_hashlist_load(&l, SK_HASH_MD5, paths[i], &line, err, sizeof(err)),
                         SK_E_IO);
        assert_null(l);
        assert_int_equal(line, 0);
        assert_string_equal(err, why[i]);
    }
}

/* 100,000 digests: every one found, none of 100,000 others. */
static void test_hashlist_large_set(void **state)
{
    (void)state;
    enum { N = 100000 };
    char *text = malloc((size_t)N * 34 + 1);
    assert_non_null(text);
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    char *p = text;
    for (int i = 0; i < N; i++) {
        for (int k = 0; k < 2; k++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            p += sprintf(p, "%016llx", (unsigned long long)x);
        }
        *p++ = '\n';
    }
    *p = '\0';
    struct sk_hashlist *l = parse_ok(SK_HASH_MD5, text);
    assert_int_equal(sk_hashlist_count(l), N);
    size_t found = 0, strangers = 0;
    for (int i = 0; i < N; i++) {
        uint8_t d[16];
        unhex(text + (size_t)i * 33, d); /* up to the newline: 16 bytes */
        found += sk_hashlist_contains(l, d);
        d[0] ^= 0x80;
        strangers += sk_hashlist_contains(l, d);
    }
    assert_int_equal(found, N);
    assert_int_equal(strangers, 0);
    sk_hashlist_free(l);
    free(text);
}

/* Suricata's DetectFileHashMatch: a closed file with the digest computed, `!` inverts. */
static void test_hashlist_rule_matches(void **state)
{
    (void)state;
    struct sk_hashlist *md5 = parse_ok(SK_HASH_MD5, MD5_ABC "\n");
    struct sk_hashlist *sha1 = parse_ok(SK_HASH_SHA1, SHA1_ABC "\n");
    struct sk_filehash fh[2] = {{SK_HASH_MD5, false, md5}, {SK_HASH_SHA1, false, sha1}};
    struct sk_rule r = {.n_filehash = 1, .filehash = fh};
    struct sk_file_info fi = {.state = SK_FILE_CLOSED, .digests = SK_FILE_MD5 | SK_FILE_SHA1};
    unhex(MD5_ABC, fi.md5);
    unhex(SHA1_ABC, fi.sha1);

    assert_true(sk_hashlist_rule_matches(&r, &fi));
    fh[0].negated = true;
    assert_false(sk_hashlist_rule_matches(&r, &fi));
    fi.md5[0] ^= 1; /* another file */
    assert_true(sk_hashlist_rule_matches(&r, &fi));
    fh[0].negated = false;
    assert_false(sk_hashlist_rule_matches(&r, &fi));
    fi.md5[0] ^= 1;

    /* every list of the rule must hold */
    r.n_filehash = 2;
    assert_true(sk_hashlist_rule_matches(&r, &fi));
    fi.sha1[3] ^= 1;
    assert_false(sk_hashlist_rule_matches(&r, &fi));
    fi.sha1[3] ^= 1;

    /* a truncated file, or one without the digest, matches neither way */
    fi.state = SK_FILE_TRUNCATED;
    assert_false(sk_hashlist_rule_matches(&r, &fi));
    fi.state = SK_FILE_CLOSED;
    fi.digests = SK_FILE_MD5;
    assert_false(sk_hashlist_rule_matches(&r, &fi));
    fh[1].negated = true;
    assert_false(sk_hashlist_rule_matches(&r, &fi));
    sk_hashlist_free(md5);
    sk_hashlist_free(sha1);
}

/* ---- through the rule set and detection ---- */

struct env {
    char dir[64];
    char diags[2048];
    size_t n_alerts;
    uint32_t alerts[16];
};

static void on_diag(void *ctx, const struct sk_rule_diag *d)
{
    struct env *e = ctx;
    size_t n = strlen(e->diags);
    snprintf(e->diags + n, sizeof(e->diags) - n, "%u:%u:%s%s|", d->line, d->col,
             d->warning ? "warning: " : "", d->msg);
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static void cleanup(struct env *e)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", e->dir);
    assert_int_equal(system(cmd), 0);
}

static const char rules[] =
    "alert smtp any any -> any any (msg:\"in\"; filemd5:abc.md5; sid:1;)\n"
    "alert smtp any any -> any any (msg:\"not in\"; filemd5:!abc.md5; sid:2;)\n"
    "alert smtp any any -> any any (msg:\"sha1\"; filesha1:abc.sha1; sid:3;)\n"
    "alert smtp any any -> any any (msg:\"missing\"; filemd5:nope.md5; sid:4;)\n"
    "alert smtp any any -> any any (msg:\"bad\"; filemd5:\"bad.md5\"; sid:5;)\n"
    "alert smtp any any -> any any (msg:\"named\"; file.name; content:\"a.txt\"; "
    "filemd5:!abc.md5; sid:6;)\n";

/* Loads rules from dir/t.rules with rule_path (NULL: none). */
static struct sk_ruleset *load(struct env *e, const char *rule_path)
{
    struct sk_ruleset_config cfg = {.diag = on_diag, .diag_ctx = e, .rule_path = rule_path};
    struct sk_ruleset *rs = NULL;
    char path[128];
    snprintf(path, sizeof(path), "%s/t.rules", e->dir);
    e->diags[0] = '\0';
    assert_int_equal(sk_ruleset_new(&rs, &cfg), 0);
    assert_int_equal(sk_ruleset_load_file(rs, path), 0);
    return rs;
}

static void env_init(struct env *e)
{
    memset(e, 0, sizeof(*e));
    snprintf(e->dir, sizeof(e->dir), "/tmp/test_hashlist.XXXXXX");
    assert_non_null(mkdtemp(e->dir));
    write_file(e->dir, "t.rules", rules);
    write_file(e->dir, "abc.md5", "# abc\n" MD5_ABC "  abc\n");
    write_file(e->dir, "abc.sha1", SHA1_ABC "  abc\n");
    write_file(e->dir, "bad.md5", MD5_ABC "\n" MD5_ABC "0\n");
}

/* One list per file and digest, shared; a missing or bad list fails only its rule, at the
 * list's name, with the list's line; the lists are found beside the rule file, or under
 * the rule path first. */
static void test_hashlist_ruleset(void **state)
{
    (void)state;
    struct env e;
    env_init(&e);
    struct sk_ruleset *rs = load(&e, NULL);
    const struct sk_ruleset_stats *st = sk_ruleset_stats(rs);
    assert_int_equal(st->loaded, 4);
    assert_int_equal(st->failed, 2);
    char want[1024];
    snprintf(want, sizeof(want),
             "4:55:cannot open hash list 'nope.md5': No such file or directory (looked for "
             "'nope.md5' and '%s/nope.md5')|"
             "5:51:hash list '%s/bad.md5' line 2: '" MD5_ABC "0' is 33 hex digits, an md5 "
             "hash has 32|",
             e.dir, e.dir);
    assert_string_equal(e.diags, want);
    const struct sk_rule *r1 = sk_ruleset_rule(rs, 0), *r2 = sk_ruleset_rule(rs, 1);
    const struct sk_rule *r3 = sk_ruleset_rule(rs, 2), *r6 = sk_ruleset_rule(rs, 3);
    assert_int_equal(r1->n_filehash, 1);
    assert_false(r1->filehash[0].negated);
    assert_true(r2->filehash[0].negated);
    assert_ptr_equal(r1->filehash[0].list, r2->filehash[0].list); /* read once */
    assert_ptr_equal(r1->filehash[0].list, r6->filehash[0].list);
    assert_int_equal(r3->filehash[0].kind, SK_HASH_SHA1);
    sk_ruleset_free(rs);

    /* under the rule path first: an empty abc.md5 there wins over the one beside */
    char sub[96];
    snprintf(sub, sizeof(sub), "%s/path", e.dir);
    assert_int_equal(mkdir(sub, 0755), 0);
    write_file(sub, "abc.md5", "# nothing\n");
    rs = load(&e, sub);
    assert_int_equal(sk_hashlist_count(sk_ruleset_rule(rs, 0)->filehash[0].list), 0);
    assert_int_equal(sk_hashlist_count(sk_ruleset_rule(rs, 2)->filehash[0].list), 1);
    sk_ruleset_free(rs);
    cleanup(&e);
}

static void on_alert(void *ctx, const struct sk_alert *a)
{
    struct env *e = ctx;
    if (e->n_alerts < 16)
        e->alerts[e->n_alerts++] = a->rule->sid;
}

static void file_event(struct sk_detect_thread *t, struct sk_detect_flow *df,
                       const struct sk_flow *f, uint64_t tx, const char *name, const char *md5,
                       const char *sha1)
{
    struct sk_event ev = {.type = SK_EV_FIELD, .is_orig = true, .tx_id = tx};
    ev.u.field.id = SK_FIELD_FILE_NAME;
    ev.u.field.value = (struct sk_str){(const uint8_t *)name, strlen(name)};
    sk_detect_event(t, df, f, &ev, 1);
    ev = (struct sk_event){.type = SK_EV_FILE, .tx_id = tx};
    ev.u.file.name = (struct sk_str){(const uint8_t *)name, strlen(name)};
    ev.u.file.state = SK_FILE_CLOSED;
    ev.u.file.digests = SK_FILE_MD5 | SK_FILE_SHA1;
    unhex(md5, ev.u.file.md5);
    unhex(sha1, ev.u.file.sha1);
    sk_detect_event(t, df, f, &ev, 1);
}

/* Detection judges file rules on each finished file, once per transaction, with file.name
 * taken from that file; it asks for the digests its rules need. */
static void test_hashlist_detect(void **state)
{
    (void)state;
    struct env e;
    env_init(&e);
    struct sk_ruleset *rs = load(&e, NULL);
    struct sk_detect *d = NULL;
    struct sk_detect_thread *t = NULL;
    struct sk_detect_flow *df = NULL;
    char err[256];
    struct sk_detect_config cfg = {0};
    assert_int_equal(sk_detect_build(&d, rs, &cfg, err, sizeof(err)), 0);
    assert_int_equal(sk_detect_file_hashes(d), SK_FILE_MD5 | SK_FILE_SHA1);
    assert_int_equal(sk_detect_thread_new(&t, d, on_alert, &e), 0);
    struct sk_flow f = {.flow_id = 1, .orig_p = 40000, .resp_p = 25, .state = SK_TCP_ESTABLISHED};
    f.orig_h.family = f.resp_h.family = 4;
    assert_int_equal(sk_detect_flow_new(&df, t, &f), 0);

    /* tx 0: a.txt is "abc" (in the lists): 1 and 3 */
    file_event(t, df, &f, 0, "a.txt", MD5_ABC, SHA1_ABC);
    assert_int_equal(e.n_alerts, 2);
    assert_int_equal(e.alerts[0], 1);
    assert_int_equal(e.alerts[1], 3);
    /* tx 1: b.txt is not: 2 only (6 names a.txt) */
    file_event(t, df, &f, 1, "b.txt", MD5_EMPTY, SHA1_ABC);
    assert_int_equal(e.n_alerts, 4);
    assert_int_equal(e.alerts[2], 2);
    assert_int_equal(e.alerts[3], 3);
    /* tx 2: a.txt that is not "abc": 2 and 6, and once per transaction */
    file_event(t, df, &f, 2, "a.txt", MD5_EMPTY, MD5_EMPTY "00000000");
    file_event(t, df, &f, 2, "a.txt", MD5_EMPTY, MD5_EMPTY "00000000");
    assert_int_equal(e.n_alerts, 6);
    assert_int_equal(e.alerts[4], 2);
    assert_int_equal(e.alerts[5], 6);

    sk_detect_flow_end(t, df, &f, 1);
    sk_detect_flow_free(df);
    sk_detect_thread_free(t);
    sk_detect_free(d);
    sk_ruleset_free(rs);
    cleanup(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hashlist_parse_formats),
        cmocka_unit_test(test_hashlist_parse_bad_lines),
        cmocka_unit_test(test_hashlist_load_not_regular),
        cmocka_unit_test(test_hashlist_large_set),
        cmocka_unit_test(test_hashlist_rule_matches),
        cmocka_unit_test(test_hashlist_ruleset),
        cmocka_unit_test(test_hashlist_detect),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
