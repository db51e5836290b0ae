/* SPDX-License-Identifier: GPL-2.0-only */
/* Stream dumping: one record per flow that has written bytes, found by uid through a
 * small chained hash table, and an LRU list of the records' open files so no more than
 * SK_DUMP_MAX_OPEN are open. A file closed for that bound is reopened in append mode. */
#include "engine/flow/dump.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/error.h"

#define NBUCKETS 1024

/* One direction of one flow. */
struct dump_file {
    FILE *fp;
    bool created;                          /* the file exists: reopen for appending */
    struct dump_file *lru_prev, *lru_next; /* open files, least recently written first */
};

struct dump_rec {
    char uid[24];
    struct dump_rec *hnext;
    struct dump_file dir[2]; /* [0] orig, [1] resp */
};

struct sk_dump {
    char *dir;
    struct dump_rec *buckets[NBUCKETS];
    struct dump_file *lru_head, *lru_tail;
    size_t nopen;
    struct sk_dump_stats stats;
};

static size_t uid_bucket(const char *uid)
{
    uint32_t h = 2166136261u; /* FNV-1a: uids are already uniformly random */
    for (; *uid; uid++)
        h = (h ^ (uint8_t)*uid) * 16777619u;
    return h % NBUCKETS;
}

static void lru_unlink(struct sk_dump *d, struct dump_file *df)
{
    if (df->lru_prev)
        df->lru_prev->lru_next = df->lru_next;
    else
        d->lru_head = df->lru_next;
    if (df->lru_next)
        df->lru_next->lru_prev = df->lru_prev;
    else
        d->lru_tail = df->lru_prev;
    df->lru_prev = df->lru_next = NULL;
}

static void lru_append(struct sk_dump *d, struct dump_file *df)
{
    df->lru_next = NULL;
    df->lru_prev = d->lru_tail;
    if (d->lru_tail)
        d->lru_tail->lru_next = df;
    else
        d->lru_head = df;
    d->lru_tail = df;
}

static void file_close(struct sk_dump *d, struct dump_file *df)
{
    if (!df->fp)
        return;
    fclose(df->fp);
    df->fp = NULL;
    lru_unlink(d, df);
    d->nopen--;
}

static void addr_str(const struct sk_addr *a, char *buf, size_t size)
{
    if (!inet_ntop(a->family == 6 ? AF_INET6 : AF_INET, a->bytes, buf, (socklen_t)size)) {
        snprintf(buf, size, "invalid");
        return;
    }
    for (char *p = buf; *p; p++)
        if (*p == ':')
            *p = '_';
}

int sk_dump_name(const struct sk_flow *f, bool is_orig, char *buf, size_t size)
{
    char oh[INET6_ADDRSTRLEN], rh[INET6_ADDRSTRLEN];
    addr_str(&f->orig_h, oh, sizeof(oh));
    addr_str(&f->resp_h, rh, sizeof(rh));
    return snprintf(buf, size, "%s-%s.%u-%s.%u-%s.bin", f->uid, oh, (unsigned)f->orig_p, rh,
                    (unsigned)f->resp_p, is_orig ? "orig" : "resp");
}

int sk_dump_new(struct sk_dump **out, const char *dir)
{
    *out = NULL;
    if (!dir || !*dir)
        return SK_E_INVAL;
    struct sk_dump *d = calloc(1, sizeof(*d));
    if (!d)
        return SK_E_NOMEM;
    d->dir = strdup(dir);
    if (!d->dir)
        goto out_free_dump;
    *out = d;
    return 0;

out_free_dump:
    free(d);
    return SK_E_NOMEM;
}

static struct dump_rec *rec_find(struct sk_dump *d, const char *uid, struct dump_rec ***slot)
{
    struct dump_rec **pp = &d->buckets[uid_bucket(uid)];
    while (*pp && strcmp((*pp)->uid, uid) != 0)
        pp = &(*pp)->hnext;
    if (slot)
        *slot = pp;
    return *pp;
}

static int file_open(struct sk_dump *d, const struct sk_flow *f, bool is_orig, struct dump_file *df)
{
    char name[160];
    int n = sk_dump_name(f, is_orig, name, sizeof(name));
    if (n < 0 || (size_t)n >= sizeof(name))
        return SK_E_INVAL;
    size_t plen = strlen(d->dir) + 1 + (size_t)n + 1;
    char *path = malloc(plen);
    if (!path)
        return SK_E_NOMEM;
    snprintf(path, plen, "%s/%s", d->dir, name);

    if (d->nopen >= SK_DUMP_MAX_OPEN && d->lru_head)
        file_close(d, d->lru_head);
    df->fp = fopen(path, df->created ? "ab" : "wb");
    free(path);
    if (!df->fp)
        return SK_E_IO;
    if (df->created)
        d->stats.reopens++;
    else
        d->stats.files++;
    df->created = true;
    d->nopen++;
    lru_append(d, df);
    return 0;
}

int sk_dump_data(struct sk_dump *d, const struct sk_flow *f, bool is_orig, const uint8_t *buf,
                 size_t len)
{
    struct dump_rec **slot;
    struct dump_rec *r = rec_find(d, f->uid, &slot);
    if (!r) {
        r = calloc(1, sizeof(*r));
        if (!r)
            return SK_E_NOMEM;
        memcpy(r->uid, f->uid, sizeof(r->uid));
        r->uid[sizeof(r->uid) - 1] = '\0';
        *slot = r;
    }
    struct dump_file *df = &r->dir[is_orig ? 0 : 1];
    if (!df->fp) {
        int rc = file_open(d, f, is_orig, df);
        if (rc < 0)
            return rc;
    } else {
        lru_unlink(d, df);
        lru_append(d, df);
    }
    if (len && fwrite(buf, 1, len, df->fp) != len)
        return SK_E_IO;
    d->stats.bytes += len;
    return 0;
}

void sk_dump_gap(struct sk_dump *d, const struct sk_flow *f, bool is_orig, uint64_t len)
{
    (void)f;
    (void)is_orig;
    d->stats.gaps++;
    d->stats.gap_bytes += len;
}

void sk_dump_close(struct sk_dump *d, const struct sk_flow *f)
{
    struct dump_rec **slot;
    struct dump_rec *r = rec_find(d, f->uid, &slot);
    if (!r)
        return;
    file_close(d, &r->dir[0]);
    file_close(d, &r->dir[1]);
    *slot = r->hnext;
    free(r);
}

const struct sk_dump_stats *sk_dump_stats(const struct sk_dump *d)
{
    return &d->stats;
}

void sk_dump_free(struct sk_dump *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < NBUCKETS; i++) {
        struct dump_rec *r = d->buckets[i];
        while (r) {
            struct dump_rec *next = r->hnext;
            file_close(d, &r->dir[0]);
            file_close(d, &r->dir[1]);
            free(r);
            r = next;
        }
    }
    free(d->dir);
    free(d);
}
