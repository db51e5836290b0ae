/* SPDX-License-Identifier: GPL-2.0-only */
/* Loading rule files: the Suricata rule language (rules/parse.c, keyword table in
 * rules/keywords.c) into a set of struct sk_rule. A rule that does not parse is reported
 * as FILE:LINE:COL: sid N: reason, skipped and counted; the rest load. */
#ifndef SK_RULESET_H
#define SK_RULESET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "rules/rule.h"

/* One problem found while loading. Borrowed for the duration of the callback. */
struct sk_rule_diag {
    const char *file;
    unsigned line, col; /* 1-based; col 0 when unknown */
    uint32_t sid;       /* 0 when unknown */
    bool warning;       /* true: the rule still loaded */
    const char *reason; /* short category for the summary, e.g. "unsupported protocol 'http'" */
    const char *msg;    /* full message, lower case, quoting its subject */
};

struct sk_ruleset_config {
    /* Variables: name without '$' -> value as written in a rule ("[10.0.0.0/8,!10.1.0.0/16]",
     * "any", "25"). NULL-terminated arrays of pairs {name, value}. */
    const char *const (*address_vars)[2];
    const char *const (*port_vars)[2];
    const char *classification_file; /* NULL: none */
    const char *reference_file;      /* NULL: none */
    /* Called for each problem; NULL prints "FILE:LINE:COL: sid N: msg" to stderr, except
     * that the same reason after the first 5 times is only counted. */
    void (*diag)(void *ctx, const struct sk_rule_diag *d);
    void *diag_ctx;
    /* Warn about loaded rules that will be slow or never match (-T). */
    bool lint;
    /* rule-dialect: SK_DIALECT_AUTO decides per file (docs/rules.md, "Snort 3 dialect") */
    int dialect;
    /* default-rule-path: the folder where a relative filemd5/filesha1/filesha256 list is
     * looked for first (NULL: the working directory), then beside the rule file. Borrowed,
     * read only while files load. */
    const char *rule_path;
};

enum sk_rule_dialect { SK_DIALECT_AUTO = 0, SK_DIALECT_SURICATA, SK_DIALECT_SNORT3 };

struct sk_ruleset_stats {
    size_t loaded, failed, warnings, duplicates;
    /* failures grouped by reason: n_reasons entries, most frequent first */
    size_t n_reasons;
    struct {
        const char *reason;
        size_t count;
    } * reasons;
};

struct sk_ruleset;

/* Creates an empty rule set. cfg may be NULL (default variables, no classification, the
 * default printer); it is copied, but the strings and arrays it points to are borrowed
 * and must outlive the set. Reads the classification and reference files now. Returns 0,
 * SK_E_IO (a file could not be read; reported through diag), SK_E_NOMEM. A loaded set is
 * immutable and safe to share between threads; loading is not thread safe. Caller frees
 * with sk_ruleset_free(). */
int sk_ruleset_new(struct sk_ruleset **out, const struct sk_ruleset_config *cfg);

/* Loads one rule file. Returns 0 when the file was read (even if rules in it failed: see
 * the stats), SK_E_IO when it could not be read (reported through diag too). */
int sk_ruleset_load_file(struct sk_ruleset *rs, const char *path);

/* Loads rules from a string (tests, -e); name is used as the file name in diagnostics. */
int sk_ruleset_load_string(struct sk_ruleset *rs, const char *name, const char *text);

/* The loaded rules, in load order. A rule pointer stays valid (and its contents
 * unchanged) until sk_ruleset_free(), even while more files are loaded. NULL when i is out
 * of range. */
size_t sk_ruleset_count(const struct sk_ruleset *rs);
const struct sk_rule *sk_ruleset_rule(const struct sk_ruleset *rs, size_t i);

/* Number of distinct flowbit names (ids are 0..n-1). */
size_t sk_ruleset_flowbit_count(const struct sk_ruleset *rs);
/* The name of flowbit id (borrowed, until sk_ruleset_free()), or NULL when out of range. */
const char *sk_ruleset_flowbit_name(const struct sk_ruleset *rs, size_t id);

const struct sk_ruleset_stats *sk_ruleset_stats(const struct sk_ruleset *rs);

/* The dialect the last sk_ruleset_load_file/load_string read its file as. */
enum sk_rule_dialect sk_ruleset_last_dialect(const struct sk_ruleset *rs);

/* Prints the load summary: one line "rules: N loaded, M failed, W warnings, D duplicates",
 * then one line per failure reason with its count, most frequent first. */
void sk_ruleset_print_summary(const struct sk_ruleset *rs, FILE *out);

/* Prints the keyword table: name, what it does (for --list-keywords). */
void sk_ruleset_print_keywords(FILE *out);

void sk_ruleset_free(struct sk_ruleset *rs);

#endif
