/* SPDX-License-Identifier: GPL-2.0-only */
/* The rule author's workbench: `shrike explain` collects, for one rule, the explanation of
 * every inspection detection made of the buffers the rule uses (rules/detect.h), keeps the
 * last one of each transaction (or stream direction, for a stream rule) with its counts, and
 * prints them in the order the transactions were first inspected. */
#ifndef SK_WORKBENCH_H
#define SK_WORKBENCH_H

#include <stdio.h>

#include "rules/detect.h"

struct sk_workbench;

/* Caller frees with sk_workbench_free(). Returns 0 or SK_E_NOMEM. */
int sk_workbench_new(struct sk_workbench **out);
void sk_workbench_free(struct sk_workbench *wb);

/* The sk_explain_fn to give detection, with the workbench as ctx (one thread). */
void sk_workbench_on_explain(void *ctx, const struct sk_explain_report *rep);

/* Prints every transaction and stream the rule was explained on, and a summary line, for
 * rule r. Returns the number of them in which every condition held at some inspection. */
size_t sk_workbench_print(const struct sk_workbench *wb, const struct sk_rule *r, FILE *out);

#endif
