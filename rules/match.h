/* SPDX-License-Identifier: GPL-2.0-only */
/* Confirmation: evaluates the matches of one buffer group on one buffer instance with
 * Suricata's semantics (content offset/depth/distance/within/startswith/endswith/nocase/
 * negation, relative chains with backtracking, isdataat, bsize, pcre with R, numeric
 * compares). Used on prefilter candidates by rules/detect.c. */
#ifndef SK_MATCH_H
#define SK_MATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules/rule.h"
#include "rules/transform.h"

/* Upper bound on backtracking steps for one group on one instance; a group that needs
 * more does not match (like Suricata's inspection recursion limit). */
#define SK_MATCH_MAX_STEPS 200000u

/* Per-thread matching state: PCRE2 match data and context, transform buffers. */
struct sk_match_ctx;

/* match_limit: PCRE2 match limit (0: 3500, Suricata's default). Caller frees with
 * sk_match_ctx_free(). Returns 0 or SK_E_NOMEM. */
int sk_match_ctx_new(struct sk_match_ctx **out, uint32_t match_limit);
void sk_match_ctx_free(struct sk_match_ctx *mc);

/* Steps abandoned because a group hit SK_MATCH_MAX_STEPS, since the context was made. */
uint64_t sk_match_ctx_aborts(const struct sk_match_ctx *mc);

/* pcre2_match() calls cut off by the match or depth limit (detect.pcre-match-limit), since
 * the context was made: the rule did not match (a negated pcre neither). */
uint64_t sk_match_ctx_pcre_limit_hits(const struct sk_match_ctx *mc);

/* Compiles p's pattern with its options and JIT (when available). The caller frees *out
 * with sk_match_pcre_free(). Returns 0, or SK_E_PCRE with a message in err. */
int sk_match_pcre_compile(const struct sk_pcre *p, void **out, char *err, size_t errlen);
void sk_match_pcre_free(void *code);

/* Evaluates g's transforms, then its matches, on buf[0..len). pcre[i] is the compiled code
 * (from sk_match_pcre_compile) of g->matches[i] when it is a pcre, else ignored; NULL pcre
 * makes every pcre fail. Returns true when the instance satisfies the whole group. */
bool sk_match_group(struct sk_match_ctx *mc, const struct sk_buffer_group *g, void *const *pcre,
                    const uint8_t *buf, size_t len);

/* As sk_match_group, with the base64_data group data (and its compiled pcres data_pcre)
 * that a base64_decode of g feeds; data NULL makes base64_decode fail, as a rule without
 * base64_data does in Suricata. data's transforms are not applied. */
bool sk_match_group_full(struct sk_match_ctx *mc, const struct sk_buffer_group *g,
                         void *const *pcre, const struct sk_buffer_group *data,
                         void *const *data_pcre, const uint8_t *buf, size_t len);

/* As sk_match_group_full but buf is already transformed. */
bool sk_match_group_b64(struct sk_match_ctx *mc, const struct sk_buffer_group *g, void *const *pcre,
                        const struct sk_buffer_group *data, void *const *data_pcre,
                        const uint8_t *buf, size_t len);

/* Input bytes base64_decode reads when its rule gives no `bytes` (Suricata's maximum). */
#define SK_MATCH_BASE64_DEFAULT_BYTES 65535u

/* Suricata's relaxed base64 (base64_decode): bytes outside the alphabet are skipped, '='
 * pads, a trailing partial quantum is dropped. Writes the decoded bytes to out (room for
 * len / 4 * 3 bytes) unless out is NULL; returns their count. */
size_t sk_match_base64_relax(const uint8_t *in, size_t len, uint8_t *out);

/* As sk_match_group but buf is already transformed. */
bool sk_match_group_raw(struct sk_match_ctx *mc, const struct sk_buffer_group *g, void *const *pcre,
                        const uint8_t *buf, size_t len);

/* What the rest of a group does from one occurrence of its first content, when no bytes
 * appended to the buffer can change it (see sk_match_group_occ). */
enum sk_occ_verdict {
    SK_OCC_LIVE = 0, /* evaluate again */
    SK_OCC_NOMATCH,  /* the pcre right after the content fails */
    SK_OCC_CUTOFF,   /* the pcre right after the content is cut off by a limit */
};

/* As sk_match_group_raw for a group whose first match is a positive content with no
 * absolute or relative modifier (sk_smemo_eligible), given every position where that
 * content occurs in buf, ascending (occ[0..n)): the content is not searched for. Same
 * result, same steps, as sk_match_group_raw.
 * verdict (NULL, or one per occurrence, SK_OCC_LIVE for a new one) carries what is known
 * from earlier calls on shorter prefixes of the same bytes (buf may start later, at an
 * occurrence or before, but holds the same bytes from each occurrence on): when the match
 * after the content is an anchored relative pcre whose first attempt failed or was cut off
 * without reaching the end of buf (checked once more with PCRE2_PARTIAL_HARD), every
 * longer buf gives the same, so the pcre is not run for that occurrence again. */
bool sk_match_group_occ(struct sk_match_ctx *mc, const struct sk_buffer_group *g, void *const *pcre,
                        const uint8_t *buf, size_t len, const size_t *occ, uint8_t *verdict,
                        size_t n);

/* A group on a numeric buffer (smtp.reply_code): true when v satisfies every
 * SK_MATCH_NUMBER of g. */
bool sk_match_number(const struct sk_buffer_group *g, uint64_t v);

/* One numeric comparison. */
bool sk_numcmp_eval(const struct sk_numcmp *c, uint64_t v);

/* The first position p >= from where pat[0..plen) occurs in buf[0..len), ASCII
 * case-insensitively when nocase, or SIZE_MAX. */
size_t sk_match_find(const uint8_t *buf, size_t len, size_t from, const uint8_t *pat, size_t plen,
                     bool nocase);

/* Compares a[0..n) with b[0..n), ASCII case-insensitively when nocase. */
bool sk_match_bytes_equal(const uint8_t *a, const uint8_t *b, size_t n, bool nocase);

#endif
