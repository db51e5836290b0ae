/* SPDX-License-Identifier: GPL-2.0-only */
/* Files of the MIME decoder: MD5 (mime_md5.c, paired with the body MD5), SHA-1 and SHA-256
 * (OpenSSL's EVP interface) of a part's decoded content, and the filestore, which writes the
 * content to a temporary name while it streams and renames it to its SHA-256 when the part ends.
 * Internal to parsers/mime/ (hence the sk_mime__ prefix). */
#ifndef SK_MIME_FILE_H
#define SK_MIME_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "parsers/mime/mime.h"
#include "parsers/mime/mime_magic.h"
#include "parsers/mime/mime_md5.h"

struct evp_md_ctx_st;

struct sk_mime__file {
    const struct sk_mime_config *cfg; /* borrowed */
    unsigned digests;                 /* SK_FILE_* asked for the open file */
    struct sk_mime__md5_group *md5s;  /* borrowed: where the open file's MD5 pairs */
    /* The digest state, touched only by the digest calls (file_job_*), which run in the
     * thread of cfg->jobs when there is one; the decoder reads the results after a sync. */
    struct {
        struct sk_mime__md5 md5;
        struct evp_md_ctx_st *sha1, *sha256;
        unsigned on;   /* SK_FILE_* being computed */
        unsigned done; /* SK_FILE_* in the results */
        uint8_t md5_out[16], sha1_out[20], sha256_out[32];
    } h;
    bool open, storing;
    int fd;
    uint64_t size;
    char *tmp_path; /* filestore_dir + temporary name */
    char *path;     /* filestore_dir + sha256 hex, after close */
    uint8_t *head;  /* the first SK_MIME_MAGIC_BYTES of the file, when cfg->magic */
    size_t head_len;
    bool described; /* magic is set (once per file) */
    char magic[SK_MIME_MAGIC_MAX];
};

/* Returns 0 or SK_E_NOMEM. */
int sk_mime__file_init(struct sk_mime__file *f, const struct sk_mime_config *cfg);
/* Removes a half-written temporary file and frees everything. */
void sk_mime__file_release(struct sk_mime__file *f);
/* Starts a file: hashes reset (its MD5 a member of md5s), temporary file opened when the filestore
 * is on (a failure to open only turns storing off, with a warning). */
void sk_mime__file_open(struct sk_mime__file *f, uint64_t tx_id, uint32_t file_id,
                        struct sk_mime__md5_group *md5s);
/* Adds decoded content: called with whole chunks, each byte once per digest. */
void sk_mime__file_write(struct sk_mime__file *f, const uint8_t *p, size_t n);
/* Drops an open file (its temporary file is removed) without reporting it. */
void sk_mime__file_abort(struct sk_mime__file *f);
/* Ends the file and fills size, digests, md5/sha1/sha256, magic, stored and stored_path of
 * info (magic and stored_path point into f, valid until the next open or release). */
void sk_mime__file_close(struct sk_mime__file *f, struct sk_file_info *info);

/* Queues fn(arg, p, n) where the digests are computed (cfg->jobs), or calls it. */
void sk_mime__job(const struct sk_mime_config *cfg, sk_mime_job_fn fn, void *arg, const void *p,
                  size_t n);
/* Returns when every digest call queued with cfg has been made. */
void sk_mime__job_sync(const struct sk_mime_config *cfg);

/* Writes the lower-case hex of n bytes to out (room for 2n + 1). */
void sk_mime__hex(const uint8_t *p, size_t n, char *out);

#endif
