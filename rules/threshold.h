/* SPDX-License-Identifier: GPL-2.0-only */
/* threshold: and detection_filter: state, one bounded table that every worker of a process
 * shares (as Suricata's host and IP-pair tables), so a host's matches count together
 * whichever worker has their flows. Semantics follow
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
 * the probe window is reused. Returns 0 or SK_E_NOMEM. Thread safe: sk_thresh_check() takes
 * the table's lock. */
int sk_thresh_table_new(struct sk_thresh_table **out, size_t capacity);
/* Another reference to t (sk_thresh_table_free() drops one; the last frees it). */
struct sk_thresh_table *sk_thresh_table_ref(struct sk_thresh_table *t);
void sk_thresh_table_free(struct sk_thresh_table *t);

/* What a tracked match is about. */
struct sk_thresh_key {
    uint32_t gid, sid;
    bool is_filter; /* detection_filter (else threshold) */
    const struct sk_addr *src, *dst;
    uint64_t flow_id;
};

/* Counts one match of a rule with threshold th at ts_us. Returns true when it may alert,
 * false when suppressed. th->type SK_THRESH_NONE always returns true, without the lock. A
 * match timed before the interval's start (another worker's, counted first) is in it. */
bool sk_thresh_check(struct sk_thresh_table *t, const struct sk_threshold *th,
                     const struct sk_thresh_key *k, uint64_t ts_us);

#endif
