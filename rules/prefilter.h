/* SPDX-License-Identifier: GPL-2.0-only */
/* The Hyperscan prefilter: the choice of each rule's fast pattern (like Suricata's), and
 * compiled literal databases in block mode (single and multi fields) or streaming mode
 * (stream buffers), with per-thread scratch and per-instance streams. A database is
 * immutable once built and may be shared by threads; scratch and streams may not. */
#ifndef SK_PREFILTER_H
#define SK_PREFILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules/rule.h"

/* Where a rule's fast pattern is: group and match index, and the bytes fed to Hyperscan
 * (the content, or its fast_pattern:o,l chop). */
struct sk_fast_pattern {
    size_t group, match;
    const uint8_t *bytes; /* borrowed from the rule */
    size_t len;
    bool nocase;
    const char *regex;     /* a pcre used as fast pattern (bytes unused), or NULL */
    uint32_t pcre_options; /* its PCRE2 options */
};

/* Chooses r's fast pattern: the content with fast_pattern if one has it, else the longest
 * positive content (the first of equal length); without any content, the first pcre that
 * Hyperscan can prefilter (positive, not relative, no anchors, assertions or groups with
 * options, only the i, s and m flags). Returns false when there is nothing to prefilter on
 * (the rule is then a candidate on every inspection of its buffers), and also when the
 * chosen content is negated. */
bool sk_prefilter_choose(const struct sk_rule *r, struct sk_fast_pattern *fp);

/* One literal, or one regex compiled in Hyperscan's prefilter mode (which may report
 * more matches than the regex has, never fewer); id is reported on a hit. */
struct sk_pf_pattern {
    const uint8_t *bytes;
    size_t len;
    bool nocase;
    uint32_t id;
    const char *regex;     /* NULL for a literal */
    uint32_t pcre_options; /* PCRE2 options of regex */
};

struct sk_pf_db;
struct sk_pf_scratch;
struct sk_pf_stream;

/* Called for a pattern Hyperscan refused; the database is rebuilt without it. */
typedef void (*sk_pf_drop_fn)(void *ctx, uint32_t id, const char *why);
/* Called once per pattern per scan (single match), per stream for stream databases. */
typedef void (*sk_pf_hit_fn)(void *ctx, uint32_t id);

/* Compiles the n patterns (n > 0) into a database, streaming mode when stream is true.
 * A pattern Hyperscan refuses is passed to drop and left out. cache_dir, when not NULL,
 * holds serialized databases keyed by a hash of the patterns (read when present, written
 * after a compile; failures to use it only cost the compile). *from_cache tells whether
 * it was used. Returns 0 (with *out NULL when every pattern was dropped) or SK_E_HS /
 * SK_E_NOMEM with a message in err. Caller frees with sk_pf_db_free(). */
int sk_pf_db_build(struct sk_pf_db **out, const struct sk_pf_pattern *pats, size_t n, bool stream,
                   const char *cache_dir, sk_pf_drop_fn drop, void *drop_ctx, bool *from_cache,
                   char *err, size_t errlen);
void sk_pf_db_free(struct sk_pf_db *db);

/* Bytes of stream state per open stream of db. */
size_t sk_pf_db_stream_size(const struct sk_pf_db *db);

/* Scratch big enough for every database added to it. *s may be NULL (a new scratch).
 * Returns 0 or SK_E_HS. */
int sk_pf_scratch_add(struct sk_pf_scratch **s, const struct sk_pf_db *db);
void sk_pf_scratch_free(struct sk_pf_scratch *s);

/* Block-mode scan of buf. Returns 0 or SK_E_HS. */
int sk_pf_scan(const struct sk_pf_db *db, struct sk_pf_scratch *s, const uint8_t *buf, size_t len,
               sk_pf_hit_fn hit, void *ctx);

/* Streams: open one per instance; scan chunks in order; close reports nothing new for
 * literals but must be called (scratch may be NULL to discard). */
int sk_pf_stream_open(const struct sk_pf_db *db, struct sk_pf_stream **out);
int sk_pf_stream_scan(struct sk_pf_stream *st, struct sk_pf_scratch *s, const uint8_t *buf,
                      size_t len, sk_pf_hit_fn hit, void *ctx);
/* Ends the stream's current instance as sk_pf_stream_close() does (end-of-data matches go
 * to hit when scratch and hit are not NULL) but keeps its memory: the stream starts over
 * empty, ready for the next instance without a new allocation. Returns 0 or SK_E_HS. */
int sk_pf_stream_reset(struct sk_pf_stream *st, struct sk_pf_scratch *s, sk_pf_hit_fn hit,
                       void *ctx);
/* The database st was opened on (borrowed). */
const struct sk_pf_db *sk_pf_stream_db(const struct sk_pf_stream *st);
void sk_pf_stream_close(struct sk_pf_stream *st, struct sk_pf_scratch *s, sk_pf_hit_fn hit,
                        void *ctx);

#endif
