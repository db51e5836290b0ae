/* SPDX-License-Identifier: GPL-2.0-only */
/* --rule-profile at exit: every worker's per-rule checks, matches and time summed, worst
 * first, as a table on a stream and as rule_perf.json in the log folder (Suricata's
 * rule_perf.log habit, with nanoseconds where Suricata has CPU ticks). */
#ifndef SK_RULE_PROFILE_H
#define SK_RULE_PROFILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "rules/detect.h"

/* Sums prof[0..n_workers) (each sk_detect_thread_profile_get()'s, n_rules entries or NULL),
 * prints the top `top` rules by time to table (may be NULL) and writes every checked rule to
 * log_dir/rule_perf.json. ts_us is the record's timestamp. Returns 0, SK_E_NOMEM or SK_E_IO
 * (rule_perf.json could not be written; reported). */
int sk_rule_profile_write(const struct sk_detect *d, const struct sk_rule_prof *const *prof,
                          size_t n_workers, size_t n_rules, const char *log_dir, uint64_t ts_us,
                          FILE *table, size_t top);

#endif
