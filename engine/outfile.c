/* SPDX-License-Identifier: GPL-2.0-only */
/* Log files and address formatting for the outputs (outfile.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "engine/error.h"
#include "engine/log.h"
#include "engine/outfile.h"

#define POOL_MAX 16

struct pool_entry {
    char *path;
    FILE *fp;
    unsigned users;
};

struct sk_outfile_pool {
    pthread_mutex_t mu;
    struct pool_entry v[POOL_MAX];
    size_t n;
};

int sk_outfile_pool_new(struct sk_outfile_pool **out)
{
    struct sk_outfile_pool *p = calloc(1, sizeof(*p));
    if (!p)
        return SK_E_NOMEM;
    if (pthread_mutex_init(&p->mu, NULL) != 0) {
        free(p);
        return SK_E_NOMEM;
    }
    *out = p;
    return 0;
}

void sk_outfile_pool_free(struct sk_outfile_pool *pool)
{
    if (!pool)
        return;
    for (size_t i = 0; i < pool->n; i++) {
        if (pool->v[i].fp)
            fclose(pool->v[i].fp);
        free(pool->v[i].path);
    }
    pthread_mutex_destroy(&pool->mu);
    free(pool);
}

static struct pool_entry *pool_find_fp(struct sk_outfile_pool *pool, FILE *fp)
{
    for (size_t i = 0; i < pool->n; i++)
        if (pool->v[i].fp == fp)
            return &pool->v[i];
    return NULL;
}

static int open_file(FILE **out, const char *path);

int sk_outfile_open(FILE **out, struct sk_outfile_pool *pool, const char *dir, const char *name,
                    bool *first)
{
    if (!dir || !name)
        return SK_E_INVAL;
    char path[4096];
    int n = snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= sizeof(path)) {
        sk_error("log path too long: '%s/%s'", dir, name);
        return SK_E_INVAL;
    }
    if (first)
        *first = true;
    if (!pool)
        return open_file(out, path);

    int rc = 0;
    pthread_mutex_lock(&pool->mu);
    for (size_t i = 0; i < pool->n; i++) {
        if (pool->v[i].fp && strcmp(pool->v[i].path, path) == 0) {
            pool->v[i].users++;
            *out = pool->v[i].fp;
            if (first)
                *first = false;
            goto out_unlock;
        }
    }
    if (pool->n == POOL_MAX) {
        rc = SK_E_NOMEM;
        goto out_unlock;
    }
    struct pool_entry *e = &pool->v[pool->n];
    if (!(e->path = strdup(path))) {
        rc = SK_E_NOMEM;
        goto out_unlock;
    }
    if ((rc = open_file(&e->fp, path)) < 0) {
        free(e->path);
        e->path = NULL;
        goto out_unlock;
    }
    e->users = 1;
    pool->n++;
    *out = e->fp;
out_unlock:
    pthread_mutex_unlock(&pool->mu);
    return rc;
}

bool sk_outfile_is_last(FILE *fp, struct sk_outfile_pool *pool)
{
    if (!pool)
        return true;
    pthread_mutex_lock(&pool->mu);
    struct pool_entry *e = pool_find_fp(pool, fp);
    bool last = !e || e->users <= 1;
    pthread_mutex_unlock(&pool->mu);
    return last;
}

void sk_outfile_close(FILE *fp, struct sk_outfile_pool *pool)
{
    if (!fp)
        return;
    if (!pool) {
        fclose(fp);
        return;
    }
    pthread_mutex_lock(&pool->mu);
    struct pool_entry *e = pool_find_fp(pool, fp);
    if (!e) {
        fclose(fp);
    } else if (--e->users == 0) {
        fclose(fp);
        e->fp = NULL; /* the slot stays used; its path is freed with the pool */
    } else {
        fflush(fp);
    }
    pthread_mutex_unlock(&pool->mu);
}

static int open_file(FILE **out, const char *path)
{
    FILE *fp = fopen(path, "w");
    if (!fp) {
        sk_error("cannot open '%s': %s", path, strerror(errno));
        return SK_E_IO;
    }
    if (setvbuf(fp, NULL, _IOFBF, 64 * 1024) != 0) {
        fclose(fp);
        sk_error("cannot set a buffer on '%s'", path);
        return SK_E_IO;
    }
    *out = fp;
    return 0;
}

int sk_outfile_write(FILE *fp, const char *buf, size_t len)
{
    if (len && fwrite(buf, 1, len, fp) != len) {
        sk_error("log write failed: %s", strerror(errno));
        return SK_E_IO;
    }
    return 0;
}

void sk_addr_format(const struct sk_addr *a, bool expanded, char *out, size_t n)
{
    if (n == 0)
        return;
    out[0] = '\0';
    if (a->family == 4) {
        /* every record prints two addresses: no snprintf() for them */
        char buf[16];
        size_t o = 0;
        for (int i = 0; i < 4; i++) {
            unsigned v = a->bytes[i];
            if (i)
                buf[o++] = '.';
            if (v >= 100)
                buf[o++] = (char)('0' + v / 100);
            if (v >= 10)
                buf[o++] = (char)('0' + v / 10 % 10);
            buf[o++] = (char)('0' + v % 10);
        }
        buf[o] = '\0';
        if (o + 1 <= n)
            memcpy(out, buf, o + 1);
        return;
    }
    if (a->family != 6)
        return;
    if (!expanded) {
        if (!inet_ntop(AF_INET6, a->bytes, out, (socklen_t)n))
            out[0] = '\0';
        return;
    }
    static const char hex[] = "0123456789abcdef";
    char buf[40];
    size_t o = 0;
    for (int i = 0; i < 16; i++) {
        if (i && i % 2 == 0)
            buf[o++] = ':';
        buf[o++] = hex[a->bytes[i] >> 4];
        buf[o++] = hex[a->bytes[i] & 15];
    }
    buf[o] = '\0';
    if (o + 1 <= n)
        memcpy(out, buf, o + 1);
}

const char *sk_ip_proto_name(uint8_t proto, char *buf, size_t n)
{
    switch (proto) {
    case 1:
        return "ICMP";
    case 6:
        return "TCP";
    case 17:
        return "UDP";
    case 58:
        return "IPv6-ICMP";
    case 132:
        return "SCTP";
    default:
        snprintf(buf, n, "%u", proto);
        return buf;
    }
}
