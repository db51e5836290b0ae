/* SPDX-License-Identifier: GPL-2.0-only */
/* A fixed-size open-addressing table of threshold counters keyed by rule, track type and
 * tracked address (or flow); the update rules mirror Suricata's ThresholdHandlePacket. */
#include "rules/threshold.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "engine/error.h"

#define PROBE 8

struct entry {
    bool used;
    uint8_t track;
    bool is_filter;
    uint32_t gid, sid;
    struct sk_addr a, b;
    uint64_t flow_id;
    uint64_t tv1_us;
    uint32_t count;
};

struct sk_thresh_table {
    size_t cap; /* power of two */
    struct entry *e;
    pthread_mutex_t mu; /* guards e */
    _Atomic size_t refs;
};

int sk_thresh_table_new(struct sk_thresh_table **out, size_t capacity)
{
    struct sk_thresh_table *t = malloc(sizeof(*t));
    if (t == NULL)
        return SK_E_NOMEM;
    size_t cap = 1024;
    size_t want = capacity ? capacity : 65536;
    while (cap < want)
        cap *= 2;
    t->cap = cap;
    t->e = calloc(cap, sizeof(*t->e));
    if (t->e == NULL || pthread_mutex_init(&t->mu, NULL) != 0) {
        free(t->e);
        free(t);
        return SK_E_NOMEM;
    }
    atomic_init(&t->refs, 1);
    *out = t;
    return 0;
}

struct sk_thresh_table *sk_thresh_table_ref(struct sk_thresh_table *t)
{
    atomic_fetch_add(&t->refs, 1);
    return t;
}

void sk_thresh_table_free(struct sk_thresh_table *t)
{
    if (t == NULL || atomic_fetch_sub(&t->refs, 1) != 1)
        return;
    pthread_mutex_destroy(&t->mu);
    free(t->e);
    free(t);
}

static uint64_t mix(uint64_t h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}

/* The key as stored: unused addresses zeroed so they compare equal. */
static void fill(struct entry *e, const struct sk_threshold *th, const struct sk_thresh_key *k)
{
    memset(e, 0, sizeof(*e));
    e->track = (uint8_t)th->track;
    e->is_filter = k->is_filter;
    e->gid = k->gid;
    e->sid = k->sid;
    switch (th->track) {
    case SK_TRACK_BY_SRC:
        e->a = *k->src;
        break;
    case SK_TRACK_BY_DST:
        e->a = *k->dst;
        break;
    case SK_TRACK_BY_BOTH:
        /* one pair for both directions, as Suricata's by_both */
        e->a = *k->src;
        e->b = *k->dst;
        if (memcmp(&e->a, &e->b, sizeof(e->a)) > 0) {
            e->a = *k->dst;
            e->b = *k->src;
        }
        break;
    case SK_TRACK_BY_FLOW:
        e->flow_id = k->flow_id;
        break;
    case SK_TRACK_BY_RULE:
        break;
    }
}

static bool same(const struct entry *x, const struct entry *y)
{
    return x->track == y->track && x->is_filter == y->is_filter && x->gid == y->gid &&
           x->sid == y->sid && x->flow_id == y->flow_id &&
           memcmp(&x->a, &y->a, sizeof(x->a)) == 0 && memcmp(&x->b, &y->b, sizeof(x->b)) == 0;
}

static struct entry *lookup(struct sk_thresh_table *t, const struct entry *key, bool *found)
{
    uint64_t h = 0xcbf29ce484222325ull;
    h = mix(h, &key->track, 1);
    h = mix(h, &key->is_filter, 1);
    h = mix(h, &key->gid, 4);
    h = mix(h, &key->sid, 4);
    h = mix(h, &key->a, sizeof(key->a));
    h = mix(h, &key->b, sizeof(key->b));
    h = mix(h, &key->flow_id, 8);
    struct entry *victim = NULL;
    for (size_t i = 0; i < PROBE; i++) {
        struct entry *e = &t->e[(h + i) & (t->cap - 1)];
        if (!e->used) {
            *found = false;
            return e;
        }
        if (same(e, key)) {
            *found = true;
            return e;
        }
        if (victim == NULL || e->tv1_us < victim->tv1_us)
            victim = e;
    }
    *found = false;
    return victim;
}

bool sk_thresh_check(struct sk_thresh_table *t, const struct sk_threshold *th,
                     const struct sk_thresh_key *k, uint64_t ts_us)
{
    if (th->type == SK_THRESH_NONE)
        return true;
    struct entry key;
    bool found;
    fill(&key, th, k);
    pthread_mutex_lock(&t->mu);
    struct entry *e = lookup(t, &key, &found);
    bool in_time =
        found && (ts_us <= e->tv1_us || ts_us - e->tv1_us <= (uint64_t)th->seconds * 1000000u);
    if (!found) {
        *e = key;
        e->used = true;
        e->tv1_us = ts_us;
        e->count = 1;
    } else if (!in_time) {
        e->tv1_us = ts_us;
        e->count = 1;
    } else {
        e->count++;
    }
    bool ok = true;
    switch (th->type) {
    case SK_THRESH_LIMIT:
        ok = e->count <= th->count;
        break;
    case SK_THRESH_THRESHOLD:
        ok = e->count >= th->count;
        if (ok)
            e->count = 0;
        break;
    case SK_THRESH_BOTH:
        ok = e->count == th->count;
        break;
    case SK_THRESH_DETECTION_FILTER:
        ok = e->count > th->count;
        break;
    case SK_THRESH_NONE:
        break;
    }
    pthread_mutex_unlock(&t->mu);
    return ok;
}
