/* SPDX-License-Identifier: GPL-2.0-only */
/* The streaming MIME decoder: the SMTP parser hands it the unstuffed bytes of one message
 * (one transaction) in chunks of any size, and it raises the email.* and file.* fields,
 * MIME_* anomalies and one SK_EV_FILE per file (attachment, body part, attached message).
 * Memory is bounded by the configuration whatever the message size: lines are handled in
 * pieces of at most max_line bytes and part contents are decoded and emitted in chunks.
 * docs/mime.md lists every field, config key and anomaly. */
#ifndef SK_MIME_H
#define SK_MIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "parsers/parser.h"

/* A call the decoder can have made in another thread: the bytes are a copy, valid during
 * the call; an update may come in several pieces. */
typedef void (*sk_mime_job_fn)(void *arg, const uint8_t *p, size_t n);

/* run() queues fn(arg, copy of p[0..n), n); calls are made one at a time in the order
 * queued. sync() returns when every call queued so far has returned, its effects visible.
 * The decoder queues its digest work (init, update, final) and syncs where it needs a
 * digest: when a file or the message ends, and before it is freed. */
struct sk_mime_jobs {
    void (*run)(void *ctx, sk_mime_job_fn fn, void *arg, const void *p, size_t n);
    void (*sync)(void *ctx);
    void *ctx;
};

/* Limits and switches of the decoder. The config key each member comes from is named on
 * its line; sk_mime_config_defaults() gives the defaults of docs/mime.md. Strings and the
 * url_schemes array are borrowed: they must outlive every decoder made from the config. */
struct sk_mime_config {
    uint32_t max_depth;      /* mime.max-depth: nested multipart/message levels (16) */
    size_t max_header_name;  /* mime.max-header-name: bytes of a header name (75) */
    size_t max_header_value; /* mime.max-header-value: bytes of an unfolded value (2000) */
    size_t max_header_size;  /* mime.max-header-size: bytes of one header block (65536) */
    size_t max_line;         /* mime.max-line: bytes of a line, without CRLF (998) */
    size_t max_enc_line;     /* mime.max-enc-line: bytes of a base64/QP line (76) */
    size_t max_boundary;     /* mime.max-boundary: bytes of a boundary (254) */
    size_t max_filename;     /* mime.max-filename: bytes of a file name, decoded (255) */
    uint64_t file_data_max;  /* mime.file-data-max: bytes of file.data per part, 0 = all */
    bool extract_urls;       /* mime.extract-urls (true) */
    /* mime.url-schemes: "http", "https", "ftp", "mailto", "www" ... A scheme X matches
     * "X://" ("mailto" matches "mailto:"); "www" matches a bare "www." host. */
    const char *const *url_schemes;
    size_t url_scheme_count;
    bool log_url_scheme; /* mime.log-url-scheme: keep "http://" in email.url (false) */
    uint32_t max_urls;   /* mime.max-urls: distinct URLs per message (256) */
    bool body_md5;       /* mime.body-md5 (true) */
    /* mime.body-md5-stuffed: hash lines starting with '.' as sent inside DATA, with the
     * stuffed dot, as Suricata does (true). Set false for BDAT transactions. */
    bool body_md5_stuffed;
    bool hash_files; /* mime.hash-files: digests of each file (true) */
    /* mime.file-hashes: which digests of each file, SK_FILE_MD5 | SK_FILE_SHA1 |
     * SK_FILE_SHA256 (all); the filestore adds SHA-256, which names the stored files. */
    unsigned file_hashes;
    /* Digests the rules need (filemd5, filesha1, filesha256: sk_detect_file_hashes()),
     * computed for every file even when hash_files is off, as Suricata's force-hash. */
    unsigned rule_hashes;
    /* Digests fetched once by the caller (EVP_MD_fetch(), borrowed, shareable between
     * threads); NULL: EVP_md5() and the like, which OpenSSL 3 fetches again on every use. */
    const struct evp_md_st *md5, *sha1, *sha256;
    const char *filestore_dir; /* filestore.dir: where files are written; NULL = off */
    uint64_t filestore_max;    /* filestore.max-size: larger files are not kept, 0 = any */
    /* mime.body-files: every leaf part with content is a file, text and HTML bodies
     * included, as in Zeek (true); false: only attachments, as in Suricata. */
    bool body_files;
    /* mime.message-files: an attached message/rfc822 (or message/global) is a file too, its
     * bytes as sent, besides the files of its own parts (true). */
    bool message_files;
    /* mime.file-magic: libmagic handle for each file's `magic` (borrowed, used by one thread
     * at a time, so one per worker); NULL = no magic. */
    struct sk_mime_magic *magic;
    /* mime.hash-thread: where the digests are computed (borrowed, one per worker); NULL:
     * in the decoder's own thread. */
    const struct sk_mime_jobs *jobs;
};

/* Fills cfg with the defaults (filestore off, schemes http https ftp mailto www, body and
 * message files on, no magic handle). */
void sk_mime_config_defaults(struct sk_mime_config *cfg);

struct sk_mime;

/* Makes a decoder for one message of transaction tx_id. cfg and sink are copied by value
 * (cfg's strings stay borrowed); next_file_id is the flow's file counter, borrowed for the
 * decoder's life: each file takes *next_file_id and increments it (start it at 1).
 * Returns 0, SK_E_INVAL (a NULL argument, max_line < 80, max_depth > 1000, a zero
 * max_header_value, max_boundary or max_filename) or SK_E_NOMEM.
 * A decoder is used by one thread at a time; decoders are independent. */
int sk_mime_new(struct sk_mime **out, const struct sk_mime_config *cfg, const struct sk_sink *sink,
                uint64_t tx_id, uint32_t *next_file_id);

/* The most bytes a decoder made with cfg holds at once (its state, line and chunk buffers, the
 * multipart stack, header, URL and file buffers, digest contexts): what the engine charges
 * to the flow memory budget (flow.memcap) while a message is open. */
size_t sk_mime_memuse(const struct sk_mime_config *cfg);

/* Feeds len message bytes (headers and body as delivered, unstuffed, without the final
 * ".\r\n"); any chunking gives the same events. Events are emitted during the call. */
void sk_mime_feed(struct sk_mime *m, const uint8_t *buf, size_t len);

/* Ends the message: complete is false when it was cut (RSET, session end, gap). Flushes the
 * last line, ends open parts (SK_EV_FILE with state TRUNCATED when !complete), and emits
 * email.body_md5 and email.status. Further feeds are ignored. */
void sk_mime_end(struct sk_mime *m, bool complete);

/* Suricata's parse state of the message so far: "HEADER_STARTED", "HEADER_DONE",
 * "BODY_STARTED", "PARSE_DONE" or "PARSE_ERROR". Static string. */
const char *sk_mime_status(const struct sk_mime *m);

/* Readies the decoder for the next message, as sk_mime_new() with the same config would,
 * keeping its buffers, digest contexts and charset converters (call sk_mime_end first to
 * flush the last message; a file still open is dropped). */
void sk_mime_reset(struct sk_mime *m, const struct sk_sink *sink, uint64_t tx_id,
                   uint32_t *next_file_id);

/* Frees the decoder (without emitting anything; call sk_mime_end first to flush). A
 * half-written filestore temp file is removed. NULL is a no-op. */
void sk_mime_free(struct sk_mime *m);

/* A per-thread pool of idle decoders of one config, so a message costs a reset rather than
 * a dozen allocations. The pool keeps at most `keep` idle decoders; more are freed when
 * they are put back. Not thread safe: one pool per worker. */
struct sk_mime_pool;

/* Returns 0, SK_E_INVAL (cfg as for sk_mime_new) or SK_E_NOMEM. cfg is copied (its
 * strings stay borrowed). Caller frees with sk_mime_pool_free(). */
int sk_mime_pool_new(struct sk_mime_pool **out, const struct sk_mime_config *cfg, size_t keep);

/* A decoder for one message, reset as sk_mime_reset() says: idle from the pool or new.
 * Give it back with sk_mime_put(). Returns 0 or SK_E_NOMEM. */
int sk_mime_pool_get(struct sk_mime_pool *p, struct sk_mime **out, const struct sk_sink *sink,
                     uint64_t tx_id, uint32_t *next_file_id);

/* Returns a decoder (after sk_mime_end) to the pool it came from, or frees it when that
 * pool is full or it came from sk_mime_new(). NULL is a no-op. */
void sk_mime_put(struct sk_mime *m);

/* Frees the pool and its idle decoders. Decoders still out must be put back first. NULL is
 * a no-op. */
/* The digests the rules need changed (a rule reload): the next decoders the pool hands
 * out compute them (sk_mime_config.rule_hashes). */
void sk_mime_pool_set_rule_hashes(struct sk_mime_pool *p, unsigned rule_hashes);

void sk_mime_pool_free(struct sk_mime_pool *p);

#endif
