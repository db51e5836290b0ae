/* SPDX-License-Identifier: GPL-2.0-only */
/* Hashing and filestore. A stored file is named by the SHA-256 of its content, so the same
 * attachment seen twice is kept once; it is written under a temporary name while it
 * streams so a reader never sees half a file under its final name. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "engine/error.h"
#include "engine/log.h"
#include "parsers/mime/mime_file.h"

void sk_mime__hex(const uint8_t *p, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = '\0';
}

void sk_mime__job(const struct sk_mime_config *cfg, sk_mime_job_fn fn, void *arg, const void *p,
                  size_t n)
{
    if (cfg->jobs != NULL)
        cfg->jobs->run(cfg->jobs->ctx, fn, arg, p, n);
    else
        fn(arg, p, n);
}

void sk_mime__job_sync(const struct sk_mime_config *cfg)
{
    if (cfg->jobs != NULL)
        cfg->jobs->sync(cfg->jobs->ctx);
}

/* ---- the digest calls: only these touch f->h ---- */

static void file_job_open(void *arg, const uint8_t *p, size_t n)
{
    struct sk_mime__file *f = arg;
    const struct sk_mime_config *cfg = f->cfg;
    unsigned want;
    memcpy(&want, p, sizeof(want));
    f->h.on = f->h.done = 0;
    sk_mime__md5_stop(&f->h.md5);
    if (want & SK_FILE_MD5) {
        sk_mime__md5_init(&f->h.md5, f->md5s);
        f->h.on |= SK_FILE_MD5;
    }
    if ((want & SK_FILE_SHA1) &&
        EVP_DigestInit_ex(f->h.sha1, cfg->sha1 ? cfg->sha1 : EVP_sha1(), NULL) == 1)
        f->h.on |= SK_FILE_SHA1;
    if ((want & SK_FILE_SHA256) &&
        EVP_DigestInit_ex(f->h.sha256, cfg->sha256 ? cfg->sha256 : EVP_sha256(), NULL) == 1)
        f->h.on |= SK_FILE_SHA256;
}

static void file_job_write(void *arg, const uint8_t *p, size_t n)
{
    struct sk_mime__file *f = arg;
    if (f->h.on & SK_FILE_MD5)
        sk_mime__md5_update(&f->h.md5, p, n);
    if (f->h.on & SK_FILE_SHA1)
        EVP_DigestUpdate(f->h.sha1, p, n);
    if (f->h.on & SK_FILE_SHA256)
        EVP_DigestUpdate(f->h.sha256, p, n);
}

static void file_job_close(void *arg, const uint8_t *p, size_t n)
{
    struct sk_mime__file *f = arg;
    unsigned len;
    f->h.done = 0;
    if (f->h.on & SK_FILE_MD5) {
        sk_mime__md5_final(&f->h.md5, f->h.md5_out);
        f->h.done |= SK_FILE_MD5;
    }
    if ((f->h.on & SK_FILE_SHA1) && EVP_DigestFinal_ex(f->h.sha1, f->h.sha1_out, &len) == 1)
        f->h.done |= SK_FILE_SHA1;
    if ((f->h.on & SK_FILE_SHA256) && EVP_DigestFinal_ex(f->h.sha256, f->h.sha256_out, &len) == 1)
        f->h.done |= SK_FILE_SHA256;
    f->h.on = 0;
}

/* A file dropped unfinished: its MD5 leaves the group. */
static void file_job_stop(void *arg, const uint8_t *p, size_t n)
{
    struct sk_mime__file *f = arg;
    f->h.on = 0;
    sk_mime__md5_stop(&f->h.md5);
}

int sk_mime__file_init(struct sk_mime__file *f, const struct sk_mime_config *cfg)
{
    memset(f, 0, sizeof(*f));
    f->cfg = cfg;
    f->fd = -1;
    f->h.sha1 = EVP_MD_CTX_new();
    f->h.sha256 = EVP_MD_CTX_new();
    if (f->h.sha1 == NULL || f->h.sha256 == NULL)
        goto out_free;
    if (cfg->magic != NULL && (f->head = malloc(SK_MIME_MAGIC_BYTES)) == NULL)
        goto out_free;
    if (cfg->filestore_dir != NULL) {
        size_t n = strlen(cfg->filestore_dir) + 128;
        f->tmp_path = malloc(n);
        f->path = malloc(n);
        if (f->tmp_path == NULL || f->path == NULL)
            goto out_free;
        f->path[0] = '\0';
    }
    return 0;
out_free:
    sk_mime__file_release(f);
    return SK_E_NOMEM;
}

static void drop_tmp(struct sk_mime__file *f)
{
    if (f->fd >= 0) {
        close(f->fd);
        unlink(f->tmp_path);
        f->fd = -1;
    }
    f->storing = false;
}

void sk_mime__file_release(struct sk_mime__file *f)
{
    drop_tmp(f);
    if (f->cfg != NULL)
        sk_mime__job_sync(f->cfg); /* no digest call of f is left queued */
    EVP_MD_CTX_free(f->h.sha1);
    EVP_MD_CTX_free(f->h.sha256);
    free(f->tmp_path);
    free(f->path);
    free(f->head);
    memset(f, 0, sizeof(*f));
    f->fd = -1;
}

void sk_mime__file_open(struct sk_mime__file *f, uint64_t tx_id, uint32_t file_id,
                        struct sk_mime__md5_group *md5s)
{
    drop_tmp(f);
    f->open = true;
    f->size = 0;
    f->head_len = 0;
    f->described = false;
    f->magic[0] = '\0';
    /* Only the digests asked for (by the outputs or by filemd5/filesha1/filesha256 rules);
     * the filestore names files by SHA-256, so it needs that. */
    unsigned want = (f->cfg->hash_files ? f->cfg->file_hashes : 0) | f->cfg->rule_hashes;
    if (f->cfg->filestore_dir != NULL)
        want |= SK_FILE_SHA256;
    f->digests = want;
    f->md5s = md5s;
    sk_mime__job(f->cfg, file_job_open, f, &want, sizeof(want));
    if (f->cfg->filestore_dir == NULL || !(f->digests & SK_FILE_SHA256))
        return;
    f->path[0] = '\0';
    snprintf(f->tmp_path, strlen(f->cfg->filestore_dir) + 128, "%s/.shrike-%ld-%llu-%lu.XXXXXX",
             f->cfg->filestore_dir, (long)getpid(), (unsigned long long)tx_id,
             (unsigned long)file_id);
    f->fd = mkstemp(f->tmp_path);
    if (f->fd < 0) {
        sk_warn("filestore: cannot create a file in '%s': %s", f->cfg->filestore_dir,
                strerror(errno));
        return;
    }
    f->storing = true;
}

static void describe(struct sk_mime__file *f)
{
    f->described = true;
    sk_mime_magic_describe(f->cfg->magic, f->head, f->head_len, f->magic);
}

void sk_mime__file_abort(struct sk_mime__file *f)
{
    drop_tmp(f);
    if (f->open && f->digests != 0)
        sk_mime__job(f->cfg, file_job_stop, f, NULL, 0);
    f->open = false;
}

void sk_mime__file_write(struct sk_mime__file *f, const uint8_t *p, size_t n)
{
    if (!f->open || n == 0)
        return;
    f->size += n;
    if (f->head != NULL && !f->described) {
        /* Described once, from the first bytes: libmagic reads no further than that of a
         * file either (its default bytes_max), and a large part costs one call. */
        size_t take = SK_MIME_MAGIC_BYTES - f->head_len;
        if (take > n)
            take = n;
        memcpy(f->head + f->head_len, p, take);
        f->head_len += take;
        if (f->head_len == SK_MIME_MAGIC_BYTES)
            describe(f);
    }
    if (f->digests != 0)
        sk_mime__job(f->cfg, file_job_write, f, p, n);
    if (!f->storing)
        return;
    if (f->cfg->filestore_max != 0 && f->size > f->cfg->filestore_max) {
        drop_tmp(f);
        return;
    }
    while (n > 0) {
        ssize_t w = write(f->fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            sk_warn("filestore: cannot write '%s': %s", f->tmp_path, strerror(errno));
            drop_tmp(f);
            return;
        }
        p += w;
        n -= (size_t)w;
    }
}

void sk_mime__file_close(struct sk_mime__file *f, struct sk_file_info *info)
{
    info->size = f->size;
    info->digests = 0;
    info->stored = false;
    info->stored_path = (struct sk_str){NULL, 0};
    if (f->head != NULL && !f->described)
        describe(f);
    info->magic =
        (struct sk_str){(const uint8_t *)f->magic, f->head != NULL ? strlen(f->magic) : 0};
    if (f->open && f->digests != 0) {
        sk_mime__job(f->cfg, file_job_close, f, NULL, 0);
        sk_mime__job_sync(f->cfg);
        info->digests = f->h.done;
        memcpy(info->md5, f->h.md5_out, sizeof(info->md5));
        memcpy(info->sha1, f->h.sha1_out, sizeof(info->sha1));
        memcpy(info->sha256, f->h.sha256_out, sizeof(info->sha256));
    }
    f->open = false;
    if (!f->storing)
        return;
    char hex[65];
    sk_mime__hex(info->sha256, 32, hex);
    snprintf(f->path, strlen(f->cfg->filestore_dir) + 128, "%s/%s", f->cfg->filestore_dir, hex);
    int rc = close(f->fd);
    f->fd = -1;
    if (!(info->digests & SK_FILE_SHA256) || rc != 0 || rename(f->tmp_path, f->path) != 0) {
        sk_warn("filestore: cannot keep '%s': %s", f->path, strerror(errno));
        unlink(f->tmp_path);
        f->storing = false;
        return;
    }
    f->storing = false;
    info->stored = true;
    info->stored_path = (struct sk_str){(const uint8_t *)f->path, strlen(f->path)};
}
