/* SPDX-License-Identifier: GPL-2.0-only */
/* Hash lists of the filemd5 / filesha1 / filesha256 rule keywords: a list file in
 * Suricata's format (one hex digest at the start of each line) parsed into a read-only
 * hash set, and the check of a finished file against a rule's lists. A list is loaded
 * once per rule set and shared by the rules that name it (rules/ruleset.c keeps them). */
#ifndef SK_HASHLIST_H
#define SK_HASHLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "parsers/parser.h"
#include "rules/rule.h"

struct sk_hashlist;

/* Bytes of a digest of kind: 16, 20 or 32. */
size_t sk_hashlist_digest_len(enum sk_hash_kind kind);

/* The keyword name of kind ("filemd5") and the digest's name ("md5"). */
const char *sk_hashlist_keyword(enum sk_hash_kind kind);
const char *sk_hashlist_digest_name(enum sk_hash_kind kind);

/* Parses a list held in text (len bytes, need not be NUL-terminated), as Suricata reads
 * one: each line starts with the digest in hex (either case); what follows the hex digits
 * is ignored (`md5sum` output works); a line that does not start with a hex digit (blank,
 * `#` comment, a header) is skipped. Duplicates are kept once. Returns 0 with *out (caller
 * frees with sk_hashlist_free()), SK_E_PARSE for a line whose leading hex digits are not
 * one digest of kind (*bad_line is its 1-based number, errbuf says why), SK_E_NOMEM. */
int sk_hashlist_parse(struct sk_hashlist **out, enum sk_hash_kind kind, const char *text,
                      size_t len, unsigned *bad_line, char *errbuf, size_t errlen);

/* Reads the list file path (a regular file of at most 1 GiB) and parses it as above.
 * SK_E_IO when it cannot be read, is not a regular file or is larger (errbuf says why). */
int sk_hashlist_load(struct sk_hashlist **out, enum sk_hash_kind kind, const char *path,
                     unsigned *bad_line, char *errbuf, size_t errlen);

/* Distinct digests in l. */
size_t sk_hashlist_count(const struct sk_hashlist *l);

/* Is digest (sk_hashlist_digest_len(kind) bytes) in l? One probe sequence of an open
 * addressing table: constant time whatever the list's size. Thread safe (read only). */
bool sk_hashlist_contains(const struct sk_hashlist *l, const uint8_t *digest);

void sk_hashlist_free(struct sk_hashlist *l);

/* Do all of r's filemd5/filesha1/filesha256 conditions hold on the finished file fi? As
 * Suricata's DetectFileHashMatch: only a closed file (not truncated, not in error) whose
 * digest was computed can match; `!` matches a file whose digest is not in the list. */
bool sk_hashlist_rule_matches(const struct sk_rule *r, const struct sk_file_info *fi);

#endif
