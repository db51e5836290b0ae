/* SPDX-License-Identifier: GPL-2.0-only */
/* threshold: and detection_filter: state, one bounded table per worker. Semantics follow
 * Suricata's documentation: limit (alert on the first count matches per interval),
 * threshold (every count-th match), both (once per interval, at the count-th match) and
 * detection_filter (every match after the first count in the interval). */
#ifndef SK_THRESHOLD_H
#define SK_THRESHOLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/capture/decode.h"
#include "rules/rule.h"

struct sk_thresh_table;

/* capacity: entries held at most (0: 65536); when the table is full the stalest entry of
 * the probe window is reused. Returns 0 or SK_E_NOMEM. */
int sk_thresh_table_new(struct sk_thresh_table **out, size_t capacity);
void sk_thresh_table_free(struct sk_thresh_table *t);

/* What a tracked match is about. */
struct sk_thresh_key {
    uint32_t gid, sid;
    bool is_filter; /* detection_filter (else threshold) */
    const struct sk_addr *src, *dst;
    uint64_t flow_id;
};

/* Counts one match of a rule with threshold th at ts_us. Returns true when it may alert,
 * false when suppressed. th->type SK_THRESH_NONE always returns true. */
bool sk_thresh_check(struct sk_thresh_table *t, const struct sk_threshold *th,
                     const struct sk_thresh_key *k, uint64_t ts_us);

#endif
