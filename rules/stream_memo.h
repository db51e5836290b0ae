/* SPDX-License-Identifier: GPL-2.0-only */
/* Per-flow memo of stream-rule confirmations. A stream rule stays pending while its
 * instance grows and is confirmed again on the window after every chunk; for a rule whose
 * first match is an unanchored content, the memo keeps where that content occurs in the
 * instance (absolute byte positions) and how far it was searched, so each chunk searches
 * only the new bytes (and the content's length - 1 before them, for an occurrence spanning
 * two chunks). The rest of the group is then evaluated from the kept occurrences by
 * sk_match_group_occ(), in the same order as a full confirmation: the result is the same.
 * Where the rest starts with an anchored relative pcre whose outcome from an occurrence
 * can no longer change (it failed or was cut off short of the window's end), the memo
 * keeps that verdict and the pcre is not run from that occurrence again. */
#ifndef SK_STREAM_MEMO_H
#define SK_STREAM_MEMO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules/match.h"
#include "rules/rule.h"

/* Occurrences of the first content kept per rule and instance; a rule with more in its
 * window is confirmed in full from then on in that instance. */
#define SK_SMEMO_MAX_OCC 32u

struct sk_smemo_entry {
    uint32_t id, serial;
    bool full;         /* too many occurrences: confirm in full */
    uint32_t n;        /* occurrences kept in occ */
    uint64_t searched; /* the instance's bytes before this were searched for the content */
    uint64_t occ[SK_SMEMO_MAX_OCC];
    uint8_t verdict[SK_SMEMO_MAX_OCC]; /* enum sk_occ_verdict of each occurrence */
};

/* The last search of new bytes for a content, shared by rules whose first content is the
 * same (six ET rules start with "|0D 0A 0D 0A|UEsDB"): the same bytes searched from the
 * same position give the same occurrences. */
#define SK_SMEMO_KEY_MAX 64u

struct sk_smemo_search {
    bool valid, more; /* more: over SK_SMEMO_MAX_OCC occurrences, not all in pos */
    bool nocase;
    uint32_t serial, n, len;
    uint64_t from, end; /* the instance's bytes [from, end) were searched */
    uint8_t key[SK_SMEMO_KEY_MAX];
    uint64_t pos[SK_SMEMO_MAX_OCC];
};

/* One per flow and rule class; zero-initialised. */
struct sk_smemo {
    struct sk_smemo_entry *v;
    size_t n, cap;
    struct sk_smemo_search last;
};

/* Can a confirmation of g on a stream window use the memo? Its first match must be a
 * positive content with no offset, depth, distance, within, startswith or endswith, and g
 * has no transform and no base64_decode. */
bool sk_smemo_eligible(const struct sk_buffer_group *g);

/* Forgets every entry (a new transaction); keeps the memory. */
void sk_smemo_reset(struct sk_smemo *m);

void sk_smemo_release(struct sk_smemo *m);

/* Bytes the memo holds. */
size_t sk_smemo_memuse(const struct sk_smemo *m);

/* Evaluates the eligible group g of rule id on the window w[0..wlen) of stream instance
 * serial, whose first byte is the instance's byte start, as sk_match_group() would, and
 * updates the rule's entry. pcre as for sk_match_group(). */
bool sk_smemo_match(struct sk_smemo *m, uint32_t id, uint32_t serial, uint64_t start,
                    struct sk_match_ctx *mc, const struct sk_buffer_group *g, void *const *pcre,
                    const uint8_t *w, size_t wlen);

#endif
