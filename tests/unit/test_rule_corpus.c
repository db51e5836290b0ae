/* SPDX-License-Identifier: GPL-2.0-only */
/* Loads real rule sets: every file of ET Open 2024-04-21 and Suricata's smtp-events.rules
 * from ../shared/corpus (skipped when absent). Nothing may crash, every `alert smtp` rule
 * of ET Open must load, and the load summary is printed (docs/rules.md quotes it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "engine/error.h"
#include "rules/ruleset.h"

static char corpus[4096]; /* set once by main() before the tests run */
static char et_dir[4096];

struct seen {
    size_t n;
    struct {
        char reason[160];
        size_t count;
    } v[256];
    size_t errors;
};

/* Prints the first 3 diagnostics of each reason. */
static void diag(void *ctx, const struct sk_rule_diag *d)
{
    struct seen *s = ctx;
    if (!d->warning)
        s->errors++;
    size_t i;
    for (i = 0; i < s->n; i++)
        if (strcmp(s->v[i].reason, d->reason) == 0)
            break;
    if (i == s->n && s->n < 256)
        snprintf(s->v[s->n++].reason, sizeof(s->v[0].reason), "%s", d->reason);
    if (i < 256 && s->v[i].count++ < 3)
        fprintf(stderr, "%s:%u:%u: sid %u: %s%s\n", d->file, d->line, d->col, (unsigned)d->sid,
                d->warning ? "warning: " : "", d->msg);
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* ../shared next to the source tree (the main checkout), or two levels up (a worktree in
 * wt/NAME), or $SK_SHARED_DIR. */
static void find_corpus(void)
{
    const char *env = getenv("SK_SHARED_DIR");
    const char *cands[] = {env, SK_TOP_SRCDIR "/../shared", SK_TOP_SRCDIR "/../../shared"};
    for (size_t i = 0; i < 3; i++) {
        if (!cands[i])
            continue;
        char buf[4096];
        snprintf(buf, sizeof(buf), "%s/corpus", cands[i]);
        if (realpath(buf, corpus))
            break;
        corpus[0] = '\0';
    }
    snprintf(et_dir, sizeof(et_dir), "%s/rules/et-open-2024-04-21", corpus);
}

static char *path_of(char *buf, size_t n, const char *dir, const char *name)
{
    snprintf(buf, n, "%s/%s", dir, name);
    return buf;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* SMTP-related: an smtp rule, or a tcp rule that names SMTP (ET's emerging-smtp.rules and
 * the SMTP rules spread over the other files). */
static bool smtp_related(const char *text)
{
    return strncmp(text, "alert smtp ", 11) == 0 ||
           (strncmp(text, "alert tcp ", 10) == 0 && strcasestr(text, "smtp"));
}

static size_t count_smtp_related(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    static char line[65536];
    size_t n = 0;
    while (fgets(line, sizeof(line), f))
        n += smtp_related(line);
    fclose(f);
    return n;
}

/* Counts lines starting with prefix in path. */
static size_t count_prefix(const char *path, const char *prefix)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char line[65536];
    size_t n = 0;
    while (fgets(line, sizeof(line), f))
        n += strncmp(line, prefix, strlen(prefix)) == 0;
    fclose(f);
    return n;
}

static void test_rule_corpus_et_open(void **state)
{
    (void)state;
    if (!corpus[0] || !exists(et_dir))
        skip();
    static struct seen seen;
    char cls[4200], ref[4200];
    struct sk_ruleset_config cfg = {
        .classification_file = path_of(cls, sizeof(cls), et_dir, "classification.config"),
        .reference_file = path_of(ref, sizeof(ref), corpus, "suricata/reference.config"),
        .diag = diag,
        .diag_ctx = &seen,
    };
    struct sk_ruleset *rs;
    assert_int_equal(sk_ruleset_new(&rs, &cfg), 0);

    DIR *dir = opendir(et_dir);
    assert_non_null(dir);
    char *names[256];
    size_t n_names = 0;
    struct dirent *e;
    while ((e = readdir(dir)) && n_names < 256) {
        size_t l = strlen(e->d_name);
        if (l > 6 && strcmp(e->d_name + l - 6, ".rules") == 0)
            names[n_names++] = strdup(e->d_name);
    }
    closedir(dir);
    qsort(names, n_names, sizeof(names[0]), cmp_str);
    assert_true(n_names > 40);

    size_t smtp_lines = 0, related_lines = 0;
    for (size_t i = 0; i < n_names; i++) {
        char path[4400];
        path_of(path, sizeof(path), et_dir, names[i]);
        assert_int_equal(sk_ruleset_load_file(rs, path), 0);
        smtp_lines += count_prefix(path, "alert smtp ");
        related_lines += count_smtp_related(path);
        free(names[i]);
    }

    size_t smtp_loaded = 0, related_loaded = 0;
    for (size_t i = 0; i < sk_ruleset_count(rs); i++) {
        const struct sk_rule *r = sk_ruleset_rule(rs, i);
        assert_non_null(r);
        smtp_loaded += strncmp(r->text, "alert smtp ", 11) == 0;
        related_loaded += smtp_related(r->text);
    }
    fprintf(stderr, "ET Open %s: %zu files\n", et_dir, n_names);
    sk_ruleset_print_summary(rs, stderr);
    fprintf(stderr, "alert smtp: %zu in the files, %zu loaded\n", smtp_lines, smtp_loaded);
    fprintf(stderr, "alert smtp + alert tcp naming SMTP: %zu in the files, %zu loaded\n",
            related_lines, related_loaded);

    const struct sk_ruleset_stats *st = sk_ruleset_stats(rs);
    assert_true(smtp_lines >= 80);
    assert_int_equal(smtp_loaded, smtp_lines);
    assert_true(related_lines > 100);
    assert_int_equal(related_loaded, related_lines);
    assert_true(st->loaded > 2500);
    assert_int_equal(st->loaded, sk_ruleset_count(rs));
    assert_int_equal(st->failed, seen.errors);
    sk_ruleset_free(rs);
}

static void test_rule_corpus_suricata_smtp_events(void **state)
{
    (void)state;
    char path[4200], cls[4200];
    path_of(path, sizeof(path), corpus, "suricata/smtp-events.rules");
    if (!corpus[0] || !exists(path))
        skip();
    static struct seen seen;
    struct sk_ruleset_config cfg = {
        .classification_file = path_of(cls, sizeof(cls), corpus, "suricata/classification.config"),
        .diag = diag,
        .diag_ctx = &seen,
    };
    struct sk_ruleset *rs;
    assert_int_equal(sk_ruleset_new(&rs, &cfg), 0);
    assert_int_equal(sk_ruleset_load_file(rs, path), 0);
    sk_ruleset_print_summary(rs, stderr);
    const struct sk_ruleset_stats *st = sk_ruleset_stats(rs);
    assert_int_equal(st->failed, 0);
    assert_int_equal(st->loaded, count_prefix(path, "alert smtp "));
    for (size_t i = 0; i < sk_ruleset_count(rs); i++) {
        const struct sk_rule *r = sk_ruleset_rule(rs, i);
        assert_int_equal(r->n_app_events, 1);
        assert_non_null(r->class_desc);
    }
    sk_ruleset_free(rs);
}

int main(void)
{
    find_corpus();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rule_corpus_et_open),
        cmocka_unit_test(test_rule_corpus_suricata_smtp_events),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
