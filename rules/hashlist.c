/* SPDX-License-Identifier: GPL-2.0-only */
/* Hash lists of filemd5 / filesha1 / filesha256 (hashlist.h): Suricata's list format
 * parsed into an open-addressing set of fixed-size digests, and the match of a finished
 * file against a rule's lists. */
#include "rules/hashlist.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/error.h"
#include "rules/transform.h"

#define MAX_DIGEST            32
#define SK_HASHLIST_MAX_BYTES (1 << 30) /* a list file (about 23 million SHA-256 lines) */

struct sk_hashlist {
    size_t dlen;    /* bytes of one digest */
    size_t n;       /* distinct digests in v */
    uint8_t *v;     /* n * dlen bytes */
    size_t cap;     /* slots, a power of two, at least twice n */
    uint32_t *slot; /* index + 1 into v, 0: empty */
};

static const struct {
    const char *keyword, *digest;
    size_t len;
} kinds[] = {
    [SK_HASH_MD5] = {"filemd5", "md5", 16},
    [SK_HASH_SHA1] = {"filesha1", "sha1", 20},
    [SK_HASH_SHA256] = {"filesha256", "sha256", 32},
};

size_t sk_hashlist_digest_len(enum sk_hash_kind kind)
{
    return kinds[kind].len;
}

const char *sk_hashlist_keyword(enum sk_hash_kind kind)
{
    return kinds[kind].keyword;
}

const char *sk_hashlist_digest_name(enum sk_hash_kind kind)
{
    return kinds[kind].digest;
}

/* A digest's bytes are uniform already; mixing the first eight anyway keeps a list made of
 * digests that share their low bits (or crafted ones) from piling up in one probe run. */
static size_t slot_of(const uint8_t *d, size_t mask)
{
    uint64_t k;
    memcpy(&k, d, sizeof(k));
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    return (size_t)k & mask;
}

/* Adds digest d unless it is there; the table is sized for every line beforehand. */
static void set_add(struct sk_hashlist *l, const uint8_t *d)
{
    size_t mask = l->cap - 1;
    size_t j = slot_of(d, mask);
    while (l->slot[j] != 0) {
        if (memcmp(l->v + (size_t)(l->slot[j] - 1) * l->dlen, d, l->dlen) == 0)
            return;
        j = (j + 1) & mask;
    }
    memcpy(l->v + l->n * l->dlen, d, l->dlen);
    l->slot[j] = (uint32_t)++l->n;
}

int sk_hashlist_parse(struct sk_hashlist **out, enum sk_hash_kind kind, const char *text,
                      size_t len, unsigned *bad_line, char *errbuf, size_t errlen)
{
    size_t dlen = kinds[kind].len;
    size_t lines = 1;
    for (size_t i = 0; i < len; i++)
        lines += text[i] == '\n';
    if (lines > UINT32_MAX / 2)
        return SK_E_LIMIT;
    struct sk_hashlist *l = calloc(1, sizeof(*l));
    if (l == NULL)
        return SK_E_NOMEM;
    l->dlen = dlen;
    l->cap = 16;
    while (l->cap < 2 * lines)
        l->cap *= 2;
    l->slot = calloc(l->cap, sizeof(*l->slot));
    l->v = malloc(lines * dlen);
    if (l->slot == NULL || l->v == NULL) {
        sk_hashlist_free(l);
        return SK_E_NOMEM;
    }
    unsigned line_no = 0;
    for (size_t pos = 0; pos < len;) {
        const char *p = text + pos;
        const char *nl = memchr(p, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - p) : len - pos;
        pos += n + 1;
        line_no++;
        size_t hex = 0;
        while (hex < n && sk_xform_hexval((unsigned char)p[hex]) >= 0)
            hex++;
        if (hex == 0)
            continue; /* blank, a comment, a header: Suricata skips what is not hex */
        if (hex != 2 * dlen) {
            *bad_line = line_no;
            snprintf(errbuf, errlen, "'%.*s' is %zu hex digits, an %s hash has %zu",
                     (int)(hex > 70 ? 70 : hex), p, hex, kinds[kind].digest, 2 * dlen);
            sk_hashlist_free(l);
            return SK_E_PARSE;
        }
        uint8_t d[MAX_DIGEST];
        for (size_t i = 0; i < dlen; i++)
            d[i] = (uint8_t)(sk_xform_hexval((unsigned char)p[2 * i]) << 4 |
                             sk_xform_hexval((unsigned char)p[2 * i + 1]));
        set_add(l, d);
    }
    *out = l;
    return 0;
}

int sk_hashlist_load(struct sk_hashlist **out, enum sk_hash_kind kind, const char *path,
                     unsigned *bad_line, char *errbuf, size_t errlen)
{
    /* O_NONBLOCK: a FIFO named as a list must not hang the load; only a regular file of
     * bounded size is read (a rule naming /dev/zero fails instead of eating memory) */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    int rc = SK_E_IO;
    if (fd < 0) {
        snprintf(errbuf, errlen, "%s", strerror(errno));
        return SK_E_IO;
    }
    if (fstat(fd, &st) != 0) {
        snprintf(errbuf, errlen, "%s", strerror(errno));
        goto out_close;
    }
    if (!S_ISREG(st.st_mode) || st.st_size > SK_HASHLIST_MAX_BYTES) {
        snprintf(errbuf, errlen, S_ISREG(st.st_mode) ? "larger than %d MiB" : "not a regular file",
                 SK_HASHLIST_MAX_BYTES >> 20);
        goto out_close;
    }
    size_t len = 0, cap = (size_t)st.st_size + 1;
    char *buf = malloc(cap);
    rc = SK_E_NOMEM;
    if (buf == NULL)
        goto out_close;
    for (;;) { /* bounded by cap: a file that grows meanwhile is read up to its old size */
        ssize_t got = read(fd, buf + len, cap - len);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            snprintf(errbuf, errlen, "%s", strerror(errno));
            rc = SK_E_IO;
            goto out_free;
        }
        if (got == 0 || (len += (size_t)got) == cap)
            break;
    }
    rc = sk_hashlist_parse(out, kind, buf, len, bad_line, errbuf, errlen);
out_free:
    free(buf);
out_close:
    close(fd);
    return rc;
}

size_t sk_hashlist_count(const struct sk_hashlist *l)
{
    return l ? l->n : 0;
}

bool sk_hashlist_contains(const struct sk_hashlist *l, const uint8_t *digest)
{
    size_t mask = l->cap - 1;
    for (size_t j = slot_of(digest, mask); l->slot[j] != 0; j = (j + 1) & mask)
        if (memcmp(l->v + (size_t)(l->slot[j] - 1) * l->dlen, digest, l->dlen) == 0)
            return true;
    return false;
}

void sk_hashlist_free(struct sk_hashlist *l)
{
    if (l == NULL)
        return;
    free(l->v);
    free(l->slot);
    free(l);
}

bool sk_hashlist_rule_matches(const struct sk_rule *r, const struct sk_file_info *fi)
{
    if (fi->state != SK_FILE_CLOSED)
        return false;
    for (size_t i = 0; i < r->n_filehash; i++) {
        const struct sk_filehash *fh = &r->filehash[i];
        static const unsigned bit[] = {SK_FILE_MD5, SK_FILE_SHA1, SK_FILE_SHA256};
        const uint8_t *d = fh->kind == SK_HASH_MD5    ? fi->md5
                           : fh->kind == SK_HASH_SHA1 ? fi->sha1
                                                      : fi->sha256;
        if (!(fi->digests & bit[fh->kind]))
            return false; /* not computed: neither in nor out of the list */
        if (sk_hashlist_contains(fh->list, d) == fh->negated)
            return false;
    }
    return true;
}
