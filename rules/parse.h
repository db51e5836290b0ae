/* SPDX-License-Identifier: GPL-2.0-only */
/* Internal to rules/: the state of one rule being parsed, shared by the parser
 * (parse.c), the keyword setups (keywords.c, content.c) and the rule set (ruleset.c).
 * Not part of the public API: names are sk_<module>__<verb>. */
#ifndef SK_RULES_PARSE_H
#define SK_RULES_PARSE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules/ruleset.h"

/* Where a piece of the joined rule text came from: text[off..] is line `line`, column
 * `col` onwards (continuation lines are joined without their backslash and newline). */
struct sk_rule_seg {
    size_t off;
    unsigned line, col;
};

struct sk_rule_ctx {
    struct sk_ruleset *rs;
    struct sk_rule *rule;
    const char *file;
    const char *text; /* the joined rule text, NUL-terminated */
    const struct sk_rule_seg *segs;
    size_t n_segs;

    uint32_t sid;       /* from a pre-scan of the options, for diagnostics; 0: unknown */
    int default_buffer; /* SK_BUF_STREAM or SK_BUF_SMTP_LINE */
    long cur_group;     /* index into rule->groups, -1: none yet */
    size_t kw_off;      /* text offset of the keyword being applied */
    size_t group_off;   /* text offset of the keyword that opened the current group */
    long last_group;    /* group and match index of the last content/pcre, -1: none */
    long last_match;
    bool fast_pattern_seen;
    bool snort3; /* the file is read in the Snort 3 dialect (rules/snort3.c) */

    /* byte_extract/byte_math variables: name and the group that defined it */
    size_t n_vars;
    char var_names[SK_BYTE_MAX_VARS][32];
    long var_group[SK_BYTE_MAX_VARS];

    /* the first error; parsing stops at it */
    bool failed;
    size_t err_off;
    char reason[160];
    char msg[512];
};

/* Records the failure of the rule at text offset off (the first one wins). reason is the
 * summary category, msg the full message (both lower case, quoting their subject).
 * Returns SK_E_PARSE so a setup can `return sk_rule__fail(...)`. */
int sk_rule__fail(struct sk_rule_ctx *ctx, size_t off, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Same, with msg also used as the reason. */
int sk_rule__failm(struct sk_rule_ctx *ctx, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Reports a warning at text offset off; the rule still loads. */
void sk_rule__warn(struct sk_rule_ctx *ctx, size_t off, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The current buffer group, creating the default one (legacy buffer) if none is open.
 * NULL when out of memory (ctx is then failed). */
struct sk_buffer_group *sk_rule__group(struct sk_rule_ctx *ctx);

/* Opens a new group on buffer (a sticky buffer keyword); reuses the current one when it
 * is on the same buffer and has no matches yet. Returns 0 or SK_E_NOMEM. */
int sk_rule__open_group(struct sk_rule_ctx *ctx, int buffer);

/* Appends a zeroed match of kind to the current group; *out points into the group until
 * the next append. */
int sk_rule__add_match(struct sk_rule_ctx *ctx, enum sk_match_kind kind, struct sk_match **out);

/* Frees everything a rule owns, and the rule. NULL is a no-op. */
void sk_rule__free(struct sk_rule *r);

/* Parses one rule (joined text with its segment map) into *out (caller frees with
 * sk_rule__free). On failure ctx->failed is set with the reason and position, and a
 * negative SK_E_* is returned. */
int sk_rule__parse(struct sk_rule_ctx *ctx, struct sk_rule **out);

/* Position of text offset off: line and column (1-based). */
void sk_rule__pos(const struct sk_rule_ctx *ctx, size_t off, unsigned *line, unsigned *col);

/* ---- from lint.c ---- */

/* Reports, as warnings at the keyword's position, what makes the loaded rule r slow or
 * unable to match (sk_ruleset_config.lint; docs/rules.md lists the checks). */
void sk_rule__lint(struct sk_ruleset *rs, const struct sk_rule_ctx *ctx, const struct sk_rule *r);

/* ---- from ruleset.c ---- */

/* Interns a flowbit name; *id is stable for the set's lifetime. */
int sk_ruleset__flowbit_id(struct sk_ruleset *rs, const char *name, size_t len, uint32_t *id);

/* The value of variable name (without '$'): the configuration's, else Shrike's default
 * (Suricata's suricata.yaml defaults); NULL when undefined. */
const char *sk_ruleset__var(const struct sk_ruleset *rs, bool port, const char *name);

/* classification.config / reference.config lookups. *known is false when no file was
 * configured (then any name is accepted). */
int sk_ruleset__classtype(const struct sk_ruleset *rs, const char *name, const char **desc,
                          int *priority, bool *known);
const char *sk_ruleset__reference_prefix(const struct sk_ruleset *rs, const char *system,
                                         bool *known);

/* The hash list name of a filemd5/filesha1/filesha256 rule in rule_file, read once per
 * set (hashlist.h): *out is borrowed until sk_ruleset_free(). Returns 0, SK_E_IO (no such
 * file, unreadable) or SK_E_PARSE (a bad line) with the message in msg, SK_E_NOMEM. */
int sk_ruleset__hashlist(struct sk_ruleset *rs, const char *rule_file, const char *name,
                         enum sk_hash_kind kind, const struct sk_hashlist **out, char *msg,
                         size_t msglen);

/* dir (dir_len bytes) + "/" + name, allocated (caller frees), NULL when out of memory. */
char *sk_ruleset__path_join(const char *dir, size_t dir_len, const char *name);

/* Passes one diagnostic on (counts it, prints or calls the configured callback). */
void sk_ruleset__report(struct sk_ruleset *rs, const struct sk_rule_diag *d);

/* ---- keyword setups (keywords.c, content.c) ---- */

/* One option as the setup sees it. value is NUL-terminated, escapes intact, NULL when
 * the option had none; data is the table entry's parameter. */
struct sk_kw_arg {
    const char *name;
    const char *value;
    size_t name_off, value_off;
    int data;
};

typedef int (*sk_kw_setup_fn)(struct sk_rule_ctx *ctx, const struct sk_kw_arg *a);

int sk_content__setup_content(struct sk_rule_ctx *ctx, const struct sk_kw_arg *a);
int sk_content__setup_modifier(struct sk_rule_ctx *ctx, const struct sk_kw_arg *a);
int sk_content__setup_fast_pattern(struct sk_rule_ctx *ctx, const struct sk_kw_arg *a);
int sk_content__setup_pcre(struct sk_rule_ctx *ctx, const struct sk_kw_arg *a);
int sk_content__setup_isdataat(struct sk_rule_ctx *ctx, const struct sk_kw_arg *a);
int sk_content__setup_bsize(struct sk_rule_ctx *ctx, const struct sk_kw_arg *a);
int sk_content__setup_transform(struct sk_rule_ctx *ctx, const struct sk_kw_arg *a);
int sk_content__setup_base64_decode(struct sk_rule_ctx *ctx, const struct sk_kw_arg *a);
int sk_content__setup_base64_data(struct sk_rule_ctx *ctx, const struct sk_kw_arg *a);
int sk_content__setup_reply_code(struct sk_rule_ctx *ctx, const struct sk_kw_arg *a);

/* Modifier ids for sk_content__setup_modifier (the table entry's data). */
enum sk_content_mod {
    SK_CMOD_NOCASE = 0,
    SK_CMOD_DEPTH,
    SK_CMOD_OFFSET,
    SK_CMOD_DISTANCE,
    SK_CMOD_WITHIN,
    SK_CMOD_STARTSWITH,
    SK_CMOD_ENDSWITH,
    SK_CMOD_RAWBYTES,
};

/* Parses a numeric comparison: N, <N, <=N, >N, >=N, !N, !=N, A<>B, A-B. */
int sk_content__parse_numcmp(struct sk_rule_ctx *ctx, const struct sk_kw_arg *a,
                             struct sk_numcmp *out);

/* ---- from bytes.c ---- */

int sk_bytes__setup(struct sk_rule_ctx *ctx, const struct sk_kw_arg *a); /* data: match kind */

/* The index of variable name (len bytes) defined in group, or -1. */
int sk_bytes__var(const struct sk_rule_ctx *ctx, long group, const char *name, size_t len);

/* ---- also from bytes.c: dsize, flags, stream_size ---- */

int sk_bytes__setup_dsize(struct sk_rule_ctx *ctx, const struct sk_kw_arg *a);
int sk_bytes__setup_flags(struct sk_rule_ctx *ctx, const struct sk_kw_arg *a);
int sk_bytes__setup_stream_size(struct sk_rule_ctx *ctx, const struct sk_kw_arg *a);

/* ---- from snort3.c ---- */

/* Is text (a whole rule file) written in the Snort 3 dialect? */
bool sk_snort3__detect(const char *text);

/* Applies one Snort 3 option (name, value with its comma-separated modifiers). */
int sk_snort3__apply(struct sk_rule_ctx *ctx, const char *name, size_t name_len, const char *value,
                     size_t name_off, size_t value_off);

/* ---- from keywords.c ---- */

/* Runs the setup of keyword name (len bytes) with value (NULL when none). name_off and
 * value_off are the text offsets of the name and value, for diagnostics. */
int sk_keyword__apply(struct sk_rule_ctx *ctx, const char *name, size_t name_len, const char *value,
                      size_t name_off, size_t value_off);

#endif
