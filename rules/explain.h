/* SPDX-License-Identifier: GPL-2.0-only */
/* Why one rule did or did not match one inspection (`shrike explain`): each of its
 * conditions in order with matched or failed, and for a buffer group the match where it
 * stopped, the offset reached and the bytes around it. The groups are judged by the
 * reference matcher (rules/reference.h) on the same buffer values detection saw, one growing
 * prefix of the group's matches at a time. */
#ifndef SK_EXPLAIN_H
#define SK_EXPLAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "rules/rule.h"

/* The values of one buffer group in the inspection: byte instances, numbers, or a flag. */
struct sk_explain_group {
    const uint8_t *const *p; /* instance bytes (n of them) */
    const size_t *len;
    const uint64_t *num; /* numbers (numeric buffers) */
    size_t n;
    bool flag;      /* flag buffers: raised */
    bool is_stream; /* p[0] is the stream's window (the last detect.stream-window bytes) */
};

/* What the inspection knew besides the groups, in rule_matches() order. */
struct sk_explain_conds {
    bool candidate;  /* a prefilter candidate in this inspection */
    bool has_fp;     /* the rule has a fast pattern in a prefilter database */
    bool smtp_seen;  /* for an smtp rule: the flow was parsed as SMTP */
    bool header;     /* protocol, addresses, ports */
    bool flow;       /* flow: keyword */
    bool app_events; /* app-layer-event: all raised */
    bool starttls;   /* smtp.starttls when the rule needs it */
    bool flowbits;   /* flowbits:isset/isnotset */
};

/* Writes the explanation of r on groups[0..r->n_groups) to out, two spaces of indent a
 * line, and sets *holds when every condition held. Returns 0, or SK_E_NOMEM / SK_E_PCRE
 * from the reference matcher. */
int sk_explain_rule(const struct sk_rule *r, const struct sk_explain_conds *c,
                    const struct sk_explain_group *groups, FILE *out, bool *holds);

#endif
