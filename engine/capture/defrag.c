/* SPDX-License-Identifier: GPL-2.0-only */
/* IP fragment reassembly. Each datagram keeps its fragments as a sorted list of
 * non-overlapping pieces; a new fragment only fills the gaps between pieces already held
 * (first wins), so the bytes delivered are always the first ones seen for each offset. */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "engine/capture/defrag.h"
#include "engine/error.h"

#define SK_DEFRAG_BUCKETS    16384u
/* Pieces held per datagram. Real traffic needs well under this (a 64 KiB datagram over a
 * 1280-byte MTU is 52 fragments); the cap keeps the per-fragment list walks cheap. */
#define SK_DEFRAG_MAX_PIECES 1024u

struct piece {
    struct piece *next;
    uint32_t off, len;
    uint8_t data[];
};

struct dgram {
    struct dgram *hnext;         /* hash chain */
    struct dgram *older, *newer; /* age list, by first fragment */
    struct sk_defrag_key key;
    uint64_t first_ts;
    struct piece *pieces; /* sorted by off, non-overlapping */
    uint32_t total;       /* payload length, once the last fragment is seen */
    bool have_last, have_first;
    uint8_t meta;
    uint32_t npieces;
    size_t mem; /* bytes counted against the memcap */
};

struct sk_defrag {
    size_t memcap, memuse, count;
    uint64_t timeout_us;
    uint32_t seed; /* keeps bucket choice unpredictable to whoever sends the fragments */
    struct dgram *buckets[SK_DEFRAG_BUCKETS];
    struct dgram *oldest, *newest;
    uint8_t *buf; /* the last reassembled payload */
};

int sk_defrag_new(struct sk_defrag **out, size_t memcap, uint64_t timeout_us)
{
    struct sk_defrag *df = calloc(1, sizeof(*df));
    if (!df)
        return SK_E_NOMEM;
    df->buf = malloc(SK_DEFRAG_MAX_PAYLOAD);
    if (!df->buf)
        goto out_free_df;
    df->memcap = memcap;
    df->timeout_us = timeout_us;
    if (getrandom(&df->seed, sizeof(df->seed), GRND_NONBLOCK) != (ssize_t)sizeof(df->seed))
        df->seed = (uint32_t)(uintptr_t)df ^ (uint32_t)time(NULL);
    *out = df;
    return 0;

out_free_df:
    free(df);
    return SK_E_NOMEM;
}

static uint32_t key_hash(const struct sk_defrag *df, const struct sk_defrag_key *k)
{
    /* Seeded FNV-1a over the fields (not the struct, whose padding is undefined). */
    uint32_t h = 2166136261u ^ df->seed;
    size_t alen = k->family == 4 ? 4 : 16;
    uint8_t head[6] = {k->family,
                       k->proto,
                       (uint8_t)(k->id >> 24),
                       (uint8_t)(k->id >> 16),
                       (uint8_t)(k->id >> 8),
                       (uint8_t)k->id};

    for (size_t i = 0; i < sizeof(head); i++)
        h = (h ^ head[i]) * 16777619u;
    for (size_t i = 0; i < alen; i++)
        h = (h ^ k->src[i]) * 16777619u;
    for (size_t i = 0; i < alen; i++)
        h = (h ^ k->dst[i]) * 16777619u;
    return h % SK_DEFRAG_BUCKETS;
}

static bool key_equal(const struct sk_defrag_key *a, const struct sk_defrag_key *b)
{
    return a->family == b->family && a->proto == b->proto && a->id == b->id &&
           memcmp(a->src, b->src, sizeof(a->src)) == 0 &&
           memcmp(a->dst, b->dst, sizeof(a->dst)) == 0;
}

static void dgram_drop(struct sk_defrag *df, struct dgram *dg)
{
    struct dgram **pp = &df->buckets[key_hash(df, &dg->key)];
    while (*pp && *pp != dg)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = dg->hnext;
    if (dg->older)
        dg->older->newer = dg->newer;
    else
        df->oldest = dg->newer;
    if (dg->newer)
        dg->newer->older = dg->older;
    else
        df->newest = dg->older;
    for (struct piece *p = dg->pieces, *n; p; p = n) {
        n = p->next;
        free(p);
    }
    df->memuse -= dg->mem;
    df->count--;
    free(dg);
}

void sk_defrag_expire(struct sk_defrag *df, uint64_t now_us, uint64_t *anomalies)
{
    while (df->oldest && now_us > df->oldest->first_ts &&
           now_us - df->oldest->first_ts > df->timeout_us) {
        anomalies[SK_DECODE_FRAG_TIMEOUT]++;
        dgram_drop(df, df->oldest);
    }
}

static struct dgram *dgram_find(struct sk_defrag *df, const struct sk_defrag_key *key)
{
    for (struct dgram *dg = df->buckets[key_hash(df, key)]; dg; dg = dg->hnext)
        if (key_equal(&dg->key, key))
            return dg;
    return NULL;
}

static bool fits(const struct sk_defrag *df, size_t more)
{
    return df->memuse + more <= df->memcap;
}

static struct dgram *dgram_new(struct sk_defrag *df, const struct sk_defrag_key *key,
                               uint64_t ts_us)
{
    struct dgram *dg = calloc(1, sizeof(*dg));
    if (!dg)
        return NULL;
    dg->key = *key;
    dg->first_ts = ts_us;
    dg->mem = sizeof(*dg);
    uint32_t b = key_hash(df, key);
    dg->hnext = df->buckets[b];
    df->buckets[b] = dg;
    dg->older = df->newest;
    if (df->newest)
        df->newest->newer = dg;
    else
        df->oldest = dg;
    df->newest = dg;
    df->memuse += dg->mem;
    df->count++;
    return dg;
}

/* Returns true when the pieces cover [0, total) without a hole. */
static bool complete(const struct dgram *dg)
{
    uint32_t at = 0;

    if (!dg->have_last)
        return false;
    for (const struct piece *p = dg->pieces; p; p = p->next) {
        if (p->off != at)
            return false;
        at += p->len;
    }
    return at == dg->total;
}

enum insert_result { INSERT_OK, INSERT_NOMEM, INSERT_MEMCAP, INSERT_TOO_MANY };

/* Fills the holes of [off, off + len) with the fragment's bytes. Sets *overlap when some of
 * the range was held already. Stops early at the memcap or at SK_DEFRAG_MAX_PIECES. */
static enum insert_result insert(struct sk_defrag *df, struct dgram *dg,
                                 const struct sk_defrag_frag *f, bool *overlap)
{
    struct piece **pp = &dg->pieces;
    uint32_t s = f->off, e = f->off + (uint32_t)f->len;

    while (s < e) {
        while (*pp && (*pp)->off + (*pp)->len <= s)
            pp = &(*pp)->next;
        if (*pp && (*pp)->off <= s) {
            *overlap = true;
            s = (*pp)->off + (*pp)->len;
            pp = &(*pp)->next;
            continue;
        }
        uint32_t gap_end = (*pp && (*pp)->off < e) ? (*pp)->off : e;
        size_t need = sizeof(struct piece) + (gap_end - s);
        if (!fits(df, need))
            return INSERT_MEMCAP;
        if (dg->npieces >= SK_DEFRAG_MAX_PIECES)
            return INSERT_TOO_MANY;
        struct piece *np = malloc(need);
        if (!np)
            return INSERT_NOMEM;
        np->off = s;
        np->len = gap_end - s;
        memcpy(np->data, f->data + (s - f->off), np->len);
        np->next = *pp;
        *pp = np;
        pp = &np->next;
        dg->npieces++;
        dg->mem += need;
        df->memuse += need;
        s = gap_end;
    }
    return INSERT_OK;
}

/* The end of the bytes held, 0 when none. */
static uint32_t held_end(const struct dgram *dg)
{
    const struct piece *p = dg->pieces;

    if (!p)
        return 0;
    while (p->next)
        p = p->next;
    return p->off + p->len;
}

static bool exact_duplicate(const struct dgram *dg, const struct sk_defrag_frag *f)
{
    for (const struct piece *p = dg->pieces; p; p = p->next)
        if (p->off == f->off && p->len == f->len)
            return true;
    return false;
}

int sk_defrag_add(struct sk_defrag *df, const struct sk_defrag_key *key,
                  const struct sk_defrag_frag *f, uint64_t *anomalies, const uint8_t **payload,
                  size_t *payload_len, uint8_t *meta)
{
    bool v4 = key->family == 4;
    uint64_t end = (uint64_t)f->off + f->len;
    bool overlap = false;

    sk_defrag_expire(df, f->ts_us, anomalies);
    if (end > f->max_len || end > SK_DEFRAG_MAX_PAYLOAD) {
        anomalies[v4 ? SK_DECODE_IPV4_FRAG_TOO_LARGE : SK_DECODE_IPV6_FRAG_TOO_LARGE]++;
        return 0;
    }
    /* Every fragment but the last carries a multiple of 8 bytes; an empty one adds nothing. */
    if (f->len == 0 || (f->more && f->len % 8 != 0)) {
        anomalies[SK_DECODE_FRAG_INVALID]++;
        return 0;
    }
    struct dgram *dg = dgram_find(df, key);
    if (!dg) {
        if (!fits(df, sizeof(struct dgram) + sizeof(struct piece) + f->len)) {
            anomalies[SK_DECODE_FRAG_MEMCAP]++;
            return 0;
        }
        dg = dgram_new(df, key, f->ts_us);
        if (!dg)
            return SK_E_NOMEM;
    }
    /* The end of the datagram, once known, is fixed: fragments that contradict it are
     * dropped rather than allowed to move it. */
    bool bad_end;
    if (f->more)
        bad_end = dg->have_last && end > dg->total;
    else if (dg->have_last)
        bad_end = end != dg->total;
    else
        bad_end = held_end(dg) > end;
    if (bad_end) {
        anomalies[SK_DECODE_FRAG_INVALID]++;
        return 0;
    }
    if (!f->more) {
        dg->have_last = true;
        dg->total = (uint32_t)end;
    }
    if (f->off == 0 && !dg->have_first) {
        dg->have_first = true;
        dg->meta = f->meta;
    }
    bool dup = exact_duplicate(dg, f);
    enum insert_result ir = insert(df, dg, f, &overlap);
    if (ir == INSERT_NOMEM)
        return SK_E_NOMEM;
    if (ir == INSERT_MEMCAP)
        anomalies[SK_DECODE_FRAG_MEMCAP]++;
    if (ir == INSERT_TOO_MANY) {
        /* Too finely cut to be anything but an attack on the reassembler: give it up. */
        anomalies[SK_DECODE_FRAG_TOO_MANY]++;
        dgram_drop(df, dg);
        return 0;
    }
    if (overlap && !dup)
        anomalies[v4 ? SK_DECODE_IPV4_FRAG_OVERLAP : SK_DECODE_IPV6_FRAG_OVERLAP]++;
    if (!complete(dg))
        return 0;

    size_t at = 0;
    for (const struct piece *p = dg->pieces; p; p = p->next) {
        memcpy(df->buf + at, p->data, p->len);
        at += p->len;
    }
    *payload = df->buf;
    *payload_len = at;
    *meta = dg->meta;
    dgram_drop(df, dg);
    return 1;
}

size_t sk_defrag_memuse(const struct sk_defrag *df)
{
    return df ? df->memuse : 0;
}

size_t sk_defrag_count(const struct sk_defrag *df)
{
    return df ? df->count : 0;
}

void sk_defrag_free(struct sk_defrag *df)
{
    if (!df)
        return;
    while (df->oldest)
        dgram_drop(df, df->oldest);
    free(df->buf);
    free(df);
}
