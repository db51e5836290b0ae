/* SPDX-License-Identifier: GPL-2.0-only */
/* The MIME decoder's structure: line assembly in a bounded buffer, the header blocks of the
 * message and of each entity, the stack of multipart and message/rfc822 containers with
 * exact boundary checks, and the leaf parts whose decoded content streams out as file.data
 * chunks, into the hashes and the filestore, and through the URL extractor. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "engine/error.h"
#include "parsers/line_end.h"
#include "parsers/mime/mime.h"
#include "parsers/mime/mime_decode.h"
#include "parsers/mime/mime_file.h"
#include "parsers/mime/mime_header.h"
#include "parsers/mime/mime_md5.h"
#include "parsers/mime/mime_url.h"

#define CHUNK_SIZE 8192

static const char *const default_schemes[] = {"http", "https", "ftp", "mailto", "www"};

void sk_mime_config_defaults(struct sk_mime_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->max_depth = 16;
    cfg->max_header_name = 75;
    cfg->max_header_value = 2000;
    cfg->max_header_size = 65536;
    cfg->max_line = 998;
    cfg->max_enc_line = 76;
    cfg->max_boundary = 254;
    cfg->max_filename = 255;
    cfg->file_data_max = 1024 * 1024;
    cfg->extract_urls = true;
    cfg->url_schemes = default_schemes;
    cfg->url_scheme_count = sizeof(default_schemes) / sizeof(default_schemes[0]);
    cfg->log_url_scheme = false;
    cfg->max_urls = 256;
    cfg->body_md5 = true;
    cfg->body_md5_stuffed = true;
    cfg->hash_files = true;
    cfg->file_hashes = SK_FILE_ALL;
    cfg->filestore_dir = NULL;
    cfg->filestore_max = 64ull * 1024 * 1024;
    cfg->body_files = true;
    cfg->message_files = true;
    cfg->magic = NULL;
}

enum cte { CTE_IDENTITY = 0, CTE_BASE64, CTE_QP, CTE_UU };
/* ST_MSG_PROBE: after the headers of a message/rfc822 part that claims an encoding; the
 * first line says whether it is a message or encoded content. */
enum state { ST_HEADERS = 0, ST_BODY, ST_PREAMBLE, ST_EPILOGUE, ST_MSG_PROBE, ST_DONE };

/* At most this many message/rfc822 files are open at once (nested inside each other);
 * a message deeper than that is parsed but is not a file itself. */
#define MSG_FILES_MAX 4

/* A message/rfc822 that is a file (mime.message-files): its bytes as sent, line breaks
 * included but the one before the boundary that ends it. Allocated on first use and kept
 * with the decoder. */
struct msg_file {
    struct sk_mime__file file;
    struct sk_mime__buf name;
    uint32_t file_id;
    uint8_t eol[2];
    size_t eol_len;
};

/* A container on the stack: a multipart (with its "--boundary") or a message/rfc822. */
struct level {
    bool multipart;
    bool digest;    /* multipart/digest: parts are message/rfc822 unless they say otherwise */
    uint8_t *delim; /* "--" + boundary, room for max_boundary + 2 */
    size_t delim_len;
    struct msg_file *mf; /* the message's file while it is open, else NULL */
};

/* What the header block being read says about its entity. */
struct entity {
    bool top; /* the outer message: its headers are the email.* fields */
    bool any_header, has_type, attachment, name_from_disposition, over;
    char type[96];
    enum cte cte;
    size_t bytes;
    struct sk_mime__buf name;     /* UTF-8, max_filename */
    struct sk_mime__buf boundary; /* max_boundary */
    bool has_boundary;
};

/* The leaf part being decoded. */
struct part {
    bool active, text, is_file, uu_probe, uu_in;
    bool body_file; /* a file because mime.body-files says so, not an attachment */
    enum cte cte;
    uint32_t file_id;
    struct sk_mime__b64 b64;
    struct sk_mime__qp qp;
    uint8_t eol[2];
    size_t eol_len;
    uint64_t data_bytes;
    bool data_begun, any_content;
};

struct sk_mime {
    struct sk_mime_config cfg;
    struct sk_mime_pool *pool; /* where sk_mime_put() returns it; NULL: sk_mime_new() */
    struct sk_sink sink;
    uint64_t tx_id;
    uint32_t *next_file_id;
    uint8_t *line;
    size_t line_len, line_cap;
    bool cont; /* the line being assembled continues a piece already handled */
    struct level *levels;
    size_t nlevels;
    enum state state;
    bool top_body, ended, failed, complete;
    struct entity ent;
    struct sk_mime__buf hname, hval, tmp;
    bool in_header, hname_long;
    struct part part;
    uint8_t *scratch;
    uint8_t *chunk;
    size_t chunk_len;
    struct sk_mime__url url;
    struct sk_mime__file file;
    struct msg_file *msg_files[MSG_FILES_MAX]; /* allocated on first use */
    size_t msg_files_open;
    /* The body MD5: touched only by the body_job_* calls; the digest is in body_digest
     * after a sync. A decoder made by a pool hashes its MD5s side by side with the pool's
     * other decoders' (the pool's group), else with its own file's (md5s). */
    struct sk_mime__md5 body_md5;
    uint8_t body_digest[16];
    struct sk_mime__md5_group md5s;
    bool body_md5_ok; /* the body is being hashed */
    struct sk_mime__iconv iconv;
    bool anom_seen[SK_ANOMALY_COUNT];
    bool single_seen[SK_FIELD_COUNT];
};

/* ---- emitting ---- */

static void emit_anomaly(struct sk_mime *m, enum sk_anomaly_id id)
{
    /* Once per message: rules fire once per transaction anyway, and a bad message must not
     * flood the event log. */
    if (m->anom_seen[id])
        return;
    m->anom_seen[id] = true;
    if (!sk_sink_wants(&m->sink, SK_EV_ANOMALY))
        return;
    struct sk_event ev = {.type = SK_EV_ANOMALY, .is_orig = true, .tx_id = m->tx_id};
    ev.u.anomaly.id = id;
    m->sink.emit(m->sink.ctx, &ev);
}

static void emit_field(struct sk_mime *m, enum sk_field_id id, const void *p, size_t n,
                       unsigned flags)
{
    if (!sk_sink_wants(&m->sink, SK_EV_FIELD))
        return;
    struct sk_event ev = {.type = SK_EV_FIELD, .is_orig = true, .tx_id = m->tx_id};
    ev.u.field.id = id;
    ev.u.field.value = (struct sk_str){p, n};
    ev.u.field.flags = flags;
    m->sink.emit(m->sink.ctx, &ev);
}

static void fail(struct sk_mime *m)
{
    emit_anomaly(m, SK_ANOMALY_MIME_PARSE_FAILED);
    m->failed = true;
}

/* ---- the body MD5: only these calls touch m->body_md5 (cfg.jobs may make them in its
 * thread) ---- */

static struct sk_mime__md5_group *md5_group(struct sk_mime *m);

static void body_job_init(void *arg, const uint8_t *p, size_t n)
{
    struct sk_mime *m = arg;
    sk_mime__md5_init(&m->body_md5, md5_group(m));
}

static void body_job_update(void *arg, const uint8_t *p, size_t n)
{
    sk_mime__md5_update(&((struct sk_mime *)arg)->body_md5, p, n);
}

static void body_job_final(void *arg, const uint8_t *p, size_t n)
{
    struct sk_mime *m = arg;
    sk_mime__md5_final(&m->body_md5, m->body_digest);
}

/* Not hashing: the body's MD5 leaves the group. */
static void body_job_stop(void *arg, const uint8_t *p, size_t n)
{
    sk_mime__md5_stop(&((struct sk_mime *)arg)->body_md5);
}

/* Before the decoder goes: every MD5 of it leaves the group. */
static void mime_job_quiesce(void *arg, const uint8_t *p, size_t n);

static void body_md5_add(struct sk_mime *m, const void *p, size_t n)
{
    sk_mime__job(&m->cfg, body_job_update, m, p, n);
}

/* ---- part output ---- */

/* Decoded content is gathered in the chunk buffer and goes out a whole chunk at a time (the
 * file's digests and filestore, the URL search, file.data), so each consumer costs one call
 * per 8 KB rather than one per line. URLs are searched in text parts that are not files,
 * as Suricata does (attachments, even text ones, are not). */
static void flush_chunk(struct sk_mime *m, bool final)
{
    struct part *pt = &m->part;
    size_t n = m->chunk_len;
    if (n == 0 && !final)
        return;
    m->chunk_len = 0;
    if (pt->is_file)
        sk_mime__file_write(&m->file, m->chunk, n);
    if (pt->text && (!pt->is_file || pt->body_file) && m->cfg.extract_urls) {
        sk_mime__url_feed(&m->url, m->chunk, n);
        if (final)
            sk_mime__url_flush(&m->url);
    }
    if (!sk_sink_wants(&m->sink, SK_EV_FIELD))
        return;
    if (m->cfg.file_data_max != 0 && pt->data_bytes + n > m->cfg.file_data_max) {
        emit_anomaly(m, SK_ANOMALY_MIME_FILE_LIMIT);
        n = (size_t)(m->cfg.file_data_max - pt->data_bytes);
    }
    if (n == 0 && !final)
        return;
    pt->data_bytes += n;
    unsigned flags = (pt->data_begun ? 0 : SK_FIELD_F_BEGIN) | (final ? SK_FIELD_F_END : 0);
    emit_field(m, SK_FIELD_FILE_DATA, m->chunk, n, flags);
    pt->data_begun = true;
}

static void start_file(struct sk_mime *m);

static void out(struct sk_mime *m, const uint8_t *p, size_t n)
{
    if (n == 0)
        return;
    if (!m->part.any_content && !m->part.is_file && m->cfg.body_files) {
        /* A body part is a file from its first byte, as in Zeek (an empty part is none). */
        start_file(m);
        m->part.body_file = true;
    }
    m->part.any_content = true;
    while (n > 0) {
        size_t take = CHUNK_SIZE - m->chunk_len;
        if (take > n)
            take = n;
        memcpy(m->chunk + m->chunk_len, p, take);
        m->chunk_len += take;
        p += take;
        n -= take;
        if (m->chunk_len == CHUNK_SIZE)
            flush_chunk(m, false);
    }
}

static void url_found(void *ctx, const uint8_t *url, size_t len)
{
    struct sk_mime *m = ctx;
    if (url == NULL)
        emit_anomaly(m, SK_ANOMALY_MIME_URL_LIMIT);
    else
        emit_field(m, SK_FIELD_EMAIL_URL, url, len, 0);
}

/* Cuts a UTF-8 string that was truncated back to a whole character. */
static void trim_utf8(struct sk_mime__buf *b)
{
    size_t n = b->len, k = 0;
    while (k < 4 && n > 0 && (b->p[n - 1] & 0xc0) == 0x80) {
        n--;
        k++;
    }
    if (n > 0 && b->p[n - 1] >= 0xc0) {
        uint8_t c = b->p[n - 1];
        size_t want = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : 1;
        b->len = k >= want ? n + k : n - 1;
    }
}

static void start_file(struct sk_mime *m)
{
    struct part *pt = &m->part;
    /* A uuencoded file starts inside a text part: what came before it is not the file's. */
    flush_chunk(m, false);
    pt->is_file = true;
    pt->file_id = (*m->next_file_id)++;
    if (m->ent.name.len > 0)
        emit_field(m, SK_FIELD_FILE_NAME, m->ent.name.p, m->ent.name.len, 0);
    sk_mime__file_open(&m->file, m->tx_id, pt->file_id, md5_group(m));
}

static void start_part(struct sk_mime *m)
{
    struct part *pt = &m->part;
    memset(pt, 0, sizeof(*pt));
    pt->active = true;
    pt->cte = m->ent.cte;
    const char *t = m->ent.type;
    pt->text = !m->ent.has_type || strcmp(t, "text/plain") == 0 || strcmp(t, "text/html") == 0;
    pt->uu_probe = pt->cte == CTE_IDENTITY && pt->text;
    m->chunk_len = 0;
    if (m->ent.attachment || m->ent.name.len > 0)
        start_file(m);
    m->state = ST_BODY;
}

static void end_part(struct sk_mime *m, bool truncated)
{
    struct part *pt = &m->part;
    bool invalid = false;
    if (!pt->active)
        return;
    if (pt->cte == CTE_BASE64) {
        size_t n = sk_mime__b64_finish(&pt->b64, m->scratch, &invalid);
        out(m, m->scratch, n);
        if (invalid)
            emit_anomaly(m, SK_ANOMALY_MIME_INVALID_BASE64);
    } else if (pt->cte == CTE_QP && pt->qp.n > 0) {
        emit_anomaly(m, SK_ANOMALY_MIME_INVALID_QP);
        out(m, pt->qp.carry, pt->qp.n);
    }
    /* The line break before a boundary belongs to the boundary (RFC 2046 5.1.1), and the one
     * before the end of the message to the SMTP end marker ("\r\n.\r\n"): a part's last line
     * break is never content (as in Suricata). */
    flush_chunk(m, true);
    if (pt->is_file && sk_sink_wants(&m->sink, SK_EV_FILE)) {
        struct sk_event ev = {.type = SK_EV_FILE, .is_orig = true, .tx_id = m->tx_id};
        struct sk_file_info *fi = &ev.u.file;
        fi->file_id = pt->file_id;
        fi->name = (struct sk_str){m->ent.name.p, m->ent.name.len};
        sk_mime__file_close(&m->file, fi);
        fi->state = truncated ? SK_FILE_TRUNCATED : SK_FILE_CLOSED;
        m->sink.emit(m->sink.ctx, &ev);
    } else if (pt->is_file) {
        struct sk_file_info fi;
        sk_mime__file_close(&m->file, &fi);
    }
    pt->active = false;
}

/* ---- message/rfc822 files ---- */

/* The next free message file (a stack: messages nest), allocated on first use; NULL when
 * MSG_FILES_MAX are open or memory is short (the message is then parsed but is no file). */
static struct msg_file *msg_file_get(struct sk_mime *m)
{
    if (m->msg_files_open >= MSG_FILES_MAX)
        return NULL;
    struct msg_file **slot = &m->msg_files[m->msg_files_open];
    if (*slot == NULL) {
        struct msg_file *mf = calloc(1, sizeof(*mf));
        if (mf == NULL)
            return NULL;
        if (sk_mime__file_init(&mf->file, &m->cfg) != 0) {
            free(mf);
            return NULL;
        }
        sk_mime__buf_init(&mf->name, m->cfg.max_filename);
        *slot = mf;
    }
    m->msg_files_open++;
    return *slot;
}

/* Level l (just pushed) is a message/rfc822 part whose entity is still m->ent: it becomes a
 * file named by that entity, numbered before the files of its own parts. */
static void open_msg_file(struct sk_mime *m, struct level *l)
{
    l->mf = NULL;
    if (!m->cfg.message_files)
        return;
    struct msg_file *mf = msg_file_get(m);
    if (mf == NULL)
        return;
    mf->file_id = (*m->next_file_id)++;
    mf->eol_len = 0;
    sk_mime__buf_reset(&mf->name);
    if (m->ent.name.len > 0) {
        if (sk_mime__buf_add(&mf->name, m->ent.name.p, m->ent.name.len) != 0)
            fail(m);
        emit_field(m, SK_FIELD_FILE_NAME, m->ent.name.p, m->ent.name.len, 0);
    }
    sk_mime__file_open(&mf->file, m->tx_id, mf->file_id, md5_group(m));
    l->mf = mf;
}

static void close_msg_file(struct sk_mime *m, struct level *l, bool truncated)
{
    struct msg_file *mf = l->mf;
    if (mf == NULL)
        return;
    l->mf = NULL;
    m->msg_files_open--;
    struct sk_event ev = {.type = SK_EV_FILE, .is_orig = true, .tx_id = m->tx_id};
    struct sk_file_info *fi = &ev.u.file;
    fi->file_id = mf->file_id;
    fi->name = (struct sk_str){mf->name.p, mf->name.len};
    sk_mime__file_close(&mf->file, fi);
    fi->state = truncated ? SK_FILE_TRUNCATED : SK_FILE_CLOSED;
    if (sk_sink_wants(&m->sink, SK_EV_FILE))
        m->sink.emit(m->sink.ctx, &ev);
}

/* Closes the message files of levels [from, nlevels), innermost first. */
static void close_msg_files(struct sk_mime *m, size_t from, bool truncated)
{
    for (size_t j = m->nlevels; j-- > from;)
        close_msg_file(m, &m->levels[j], truncated);
}

/* A line (or piece of one) inside every open message file of levels [from, upto): the line
 * break before it goes in first, its own waits, since the one before a boundary is not the
 * message's. */
static void msg_files_line(struct sk_mime *m, size_t from, size_t upto, const uint8_t *p, size_t n,
                           const uint8_t *eol, size_t eol_len, bool last)
{
    if (m->msg_files_open == 0)
        return;
    for (size_t j = from; j < upto; j++) {
        struct msg_file *mf = m->levels[j].mf;
        if (mf == NULL)
            continue;
        sk_mime__file_write(&mf->file, mf->eol, mf->eol_len);
        sk_mime__file_write(&mf->file, p, n);
        mf->eol_len = last ? eol_len : 0;
        if (mf->eol_len > 0)
            memcpy(mf->eol, eol, eol_len);
    }
}

/* "begin 644 name": returns the name or NULL. */
static const uint8_t *uu_begin(const uint8_t *p, size_t n, size_t *name_len)
{
    if (n < 10 || memcmp(p, "begin ", 6) != 0)
        return NULL;
    size_t i = 6;
    while (i < n && p[i] >= '0' && p[i] <= '7')
        i++;
    if (i == 6 || i >= n || p[i] != ' ')
        return NULL;
    i++;
    *name_len = n - i;
    return p + i;
}

static void body_line(struct sk_mime *m, const uint8_t *p, size_t n, const uint8_t *eol,
                      size_t eol_len, bool first, bool last)
{
    struct part *pt = &m->part;
    bool invalid = false, soft = false;
    if (pt->uu_probe && first && last && n > 0) {
        size_t nl;
        const uint8_t *name = uu_begin(p, n, &nl);
        pt->uu_probe = false;
        if (name != NULL && !pt->any_content) {
            pt->cte = CTE_UU;
            pt->eol_len = 0;
        }
    }
    switch (pt->cte) {
    case CTE_IDENTITY:
        if (pt->eol_len > 0)
            out(m, pt->eol, pt->eol_len);
        out(m, p, n);
        pt->eol_len = last ? eol_len : 0;
        if (eol_len > 0)
            memcpy(pt->eol, eol, eol_len);
        break;
    case CTE_BASE64:
        if (first && last && n > m->cfg.max_enc_line)
            emit_anomaly(m, SK_ANOMALY_MIME_LONG_ENC_LINE);
        n = sk_mime__b64_decode(&pt->b64, p, n, m->scratch, &invalid);
        out(m, m->scratch, n);
        if (invalid)
            emit_anomaly(m, SK_ANOMALY_MIME_INVALID_BASE64);
        break;
    case CTE_QP:
        if (first && last && n > m->cfg.max_enc_line)
            emit_anomaly(m, SK_ANOMALY_MIME_LONG_ENC_LINE);
        if (pt->eol_len > 0)
            out(m, pt->eol, pt->eol_len);
        pt->eol_len = 0;
        n = sk_mime__qp_decode(&pt->qp, p, n, last, m->scratch, &soft, &invalid);
        out(m, m->scratch, n);
        if (invalid)
            emit_anomaly(m, SK_ANOMALY_MIME_INVALID_QP);
        if (last && !soft && eol_len > 0) {
            memcpy(pt->eol, eol, eol_len);
            pt->eol_len = eol_len;
        }
        break;
    case CTE_UU:
        if (!first || !last)
            break;
        if (!pt->uu_in) {
            size_t nl;
            const uint8_t *name = uu_begin(p, n, &nl);
            if (name == NULL)
                break;
            pt->uu_in = true;
            if (m->ent.name.len == 0) {
                sk_mime__buf_reset(&m->ent.name);
                if (sk_mime__buf_add(&m->ent.name, name, nl) != 0)
                    fail(m);
                if (m->ent.name.truncated)
                    emit_anomaly(m, SK_ANOMALY_MIME_LONG_FILENAME);
            }
            if (!pt->is_file)
                start_file(m);
            break;
        }
        if (n == 3 && memcmp(p, "end", 3) == 0) {
            pt->uu_in = false;
            break;
        }
        n = sk_mime__uu_decode(p, n, m->scratch);
        out(m, m->scratch, n);
        break;
    }
}

/* ---- headers ---- */

enum how { RAW, DECODED, ADDRS, SUBJECT };

struct top_header {
    const char *name;
    enum sk_field_id id;
    enum how how;
    bool single;
};

static const struct top_header top_headers[] = {
    {"from", SK_FIELD_EMAIL_FROM, DECODED, true},
    {"to", SK_FIELD_EMAIL_TO, ADDRS, false},
    {"cc", SK_FIELD_EMAIL_CC, ADDRS, false},
    {"subject", SK_FIELD_EMAIL_SUBJECT, SUBJECT, true},
    {"date", SK_FIELD_EMAIL_DATE, RAW, true},
    {"message-id", SK_FIELD_EMAIL_MESSAGE_ID, RAW, true},
    {"x-mailer", SK_FIELD_EMAIL_X_MAILER, DECODED, true},
    {"received", SK_FIELD_EMAIL_RECEIVED, RAW, false},
    {"reply-to", SK_FIELD_EMAIL_REPLY_TO, DECODED, true},
    {"in-reply-to", SK_FIELD_EMAIL_IN_REPLY_TO, RAW, true},
    {"x-originating-ip", SK_FIELD_EMAIL_X_ORIGINATING_IP, RAW, true},
    {"user-agent", SK_FIELD_EMAIL_USER_AGENT, DECODED, true},
};

static void emit_decoded(struct sk_mime *m, enum sk_field_id id, const uint8_t *v, size_t n)
{
    sk_mime__buf_reset(&m->tmp);
    if (sk_mime__decode_2047(&m->iconv, &m->tmp, v, n) != 0) {
        fail(m);
        return;
    }
    emit_field(m, id, m->tmp.p, m->tmp.len, 0);
}

static void top_header(struct sk_mime *m, const struct top_header *h, const uint8_t *v, size_t n)
{
    if (h->single) {
        if (m->single_seen[h->id]) {
            emit_anomaly(m, SK_ANOMALY_DUPLICATE_FIELDS);
            return;
        }
        m->single_seen[h->id] = true;
    }
    switch (h->how) {
    case RAW:
        emit_field(m, h->id, v, n, 0);
        break;
    case DECODED:
        emit_decoded(m, h->id, v, n);
        break;
    case ADDRS: {
        size_t pos = 0, il;
        const uint8_t *item;
        while (sk_mime__addr_next(v, n, &pos, &item, &il))
            emit_decoded(m, h->id, item, il);
        break;
    }
    case SUBJECT: {
        /* Suricata's subject_md5 is the MD5 of the value as sent, before decoding. */
        uint8_t md[EVP_MAX_MD_SIZE];
        unsigned int mdlen = 0;
        char hex[2 * EVP_MAX_MD_SIZE + 1];
        emit_decoded(m, h->id, v, n);
        if (EVP_Digest(v, n, md, &mdlen, m->cfg.md5 ? m->cfg.md5 : EVP_md5(), NULL) == 1) {
            sk_mime__hex(md, mdlen, hex);
            emit_field(m, SK_FIELD_EMAIL_SUBJECT_MD5, hex, 2 * mdlen, 0);
        }
        break;
    }
    }
}

static bool name_is(const struct sk_mime__buf *b, const char *name)
{
    return b->len == strlen(name) && strncasecmp((const char *)b->p, name, b->len) == 0;
}

static void set_name(struct sk_mime *m, const uint8_t *v, size_t n, const char *param,
                     bool from_disposition)
{
    struct entity *e = &m->ent;
    bool found = false;
    if (e->name_from_disposition && !from_disposition)
        return;
    sk_mime__buf_reset(&m->tmp);
    if (sk_mime__param(&m->iconv, v, n, param, &m->tmp, &found) != 0) {
        fail(m);
        return;
    }
    if (!found || m->tmp.len == 0)
        return;
    sk_mime__buf_reset(&e->name);
    if (sk_mime__buf_add(&e->name, m->tmp.p, m->tmp.len) != 0) {
        fail(m);
        return;
    }
    if (e->name.truncated || m->tmp.truncated) {
        trim_utf8(&e->name);
        emit_anomaly(m, SK_ANOMALY_MIME_LONG_FILENAME);
    }
    e->name_from_disposition = from_disposition;
}

static void finish_header(struct sk_mime *m)
{
    struct entity *e = &m->ent;
    if (!m->in_header)
        return;
    m->in_header = false;
    if (m->hval.truncated)
        emit_anomaly(m, SK_ANOMALY_MIME_LONG_HEADER_VALUE);
    const uint8_t *v = m->hval.p;
    size_t n = m->hval.len;
    while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    /* A value may start on a folded line ("Subject:" CRLF " =?utf-8?q?...?="): the blank
     * that unfolding keeps is not part of it. */
    while (n > 0 && (v[0] == ' ' || v[0] == '\t')) {
        v++;
        n--;
    }
    if (name_is(&m->hname, "content-type")) {
        bool found = false;
        e->has_type = true;
        sk_mime__value_token(v, n, e->type, sizeof(e->type));
        sk_mime__buf_reset(&e->boundary);
        if (sk_mime__param(&m->iconv, v, n, "boundary", &e->boundary, &found) != 0)
            fail(m);
        e->has_boundary = found && e->boundary.len > 0;
        if (e->boundary.truncated) {
            emit_anomaly(m, SK_ANOMALY_MIME_LONG_BOUNDARY);
            e->has_boundary = false;
        }
        set_name(m, v, n, "name", false);
    } else if (name_is(&m->hname, "content-transfer-encoding")) {
        char tok[32];
        sk_mime__value_token(v, n, tok, sizeof(tok));
        if (strcmp(tok, "base64") == 0)
            e->cte = CTE_BASE64;
        else if (strcmp(tok, "quoted-printable") == 0)
            e->cte = CTE_QP;
        else if (strcmp(tok, "x-uuencode") == 0 || strcmp(tok, "uuencode") == 0 ||
                 strcmp(tok, "x-uue") == 0)
            e->cte = CTE_UU;
        else
            e->cte = CTE_IDENTITY;
    } else if (name_is(&m->hname, "content-disposition")) {
        char tok[32];
        sk_mime__value_token(v, n, tok, sizeof(tok));
        e->attachment = strcmp(tok, "attachment") == 0;
        set_name(m, v, n, "filename", true);
    }
    if (!e->top)
        return;
    for (size_t i = 0; i < sizeof(top_headers) / sizeof(top_headers[0]); i++)
        if (name_is(&m->hname, top_headers[i].name)) {
            top_header(m, &top_headers[i], v, n);
            break;
        }
}

static void reset_entity(struct sk_mime *m, bool top)
{
    struct entity *e = &m->ent;
    e->top = top;
    e->any_header = e->has_type = e->attachment = e->name_from_disposition = false;
    e->over = e->has_boundary = false;
    e->type[0] = '\0';
    e->cte = CTE_IDENTITY;
    e->bytes = 0;
    sk_mime__buf_reset(&e->name);
    sk_mime__buf_reset(&e->boundary);
    m->in_header = false;
}

static bool push_level(struct sk_mime *m, bool multipart)
{
    if (m->nlevels >= m->cfg.max_depth) {
        emit_anomaly(m, SK_ANOMALY_MIME_DEPTH_EXCEEDED);
        return false;
    }
    struct level *l = &m->levels[m->nlevels++];
    l->mf = NULL;
    l->multipart = multipart;
    l->digest = multipart && strcmp(m->ent.type, "multipart/digest") == 0;
    l->delim_len = 0;
    if (multipart) {
        l->delim[0] = '-';
        l->delim[1] = '-';
        memcpy(l->delim + 2, m->ent.boundary.p, m->ent.boundary.len);
        l->delim_len = m->ent.boundary.len + 2;
    }
    return true;
}

static void headers_done(struct sk_mime *m)
{
    struct entity *e = &m->ent;
    finish_header(m);
    if (e->top)
        m->top_body = true;
    if (strncmp(e->type, "multipart/", 10) == 0) {
        if (!e->has_boundary)
            emit_anomaly(m, SK_ANOMALY_MIME_MALFORMED_MSG);
        else if (push_level(m, true)) {
            m->state = ST_PREAMBLE;
            return;
        }
    } else if (strcmp(e->type, "message/rfc822") == 0 || strcmp(e->type, "message/global") == 0) {
        if (e->cte != CTE_IDENTITY) {
            /* RFC 2046 5.2.1 forbids encoding a message/rfc822. Mail that does it is broken,
             * or hides the inner message from decoders that believe the label (Suricata
             * issue 8649): the first line decides. */
            emit_anomaly(m, SK_ANOMALY_MIME_MALFORMED_MSG);
            m->state = ST_MSG_PROBE;
            return;
        }
        if (push_level(m, false)) {
            open_msg_file(m, &m->levels[m->nlevels - 1]);
            reset_entity(m, false);
            m->state = ST_HEADERS;
            return;
        }
    }
    start_part(m);
}

static bool is_wsp(uint8_t c)
{
    return c == ' ' || c == '\t';
}

static void header_line(struct sk_mime *m, const uint8_t *p, size_t n, const uint8_t *eol,
                        size_t eol_len, bool first, bool last);

/* Length of the header name of a "Name: value" line, or 0 when the line is not one. */
static size_t header_name_len(const uint8_t *p, size_t n)
{
    const uint8_t *colon = memchr(p, ':', n);
    size_t nl = colon ? (size_t)(colon - p) : 0;
    while (nl > 0 && is_wsp(p[nl - 1]))
        nl--;
    for (size_t i = 0; i < nl; i++)
        if (p[i] <= ' ' || p[i] >= 0x7f)
            return 0;
    return nl;
}

static void add_value(struct sk_mime *m, const uint8_t *p, size_t n)
{
    if (m->in_header && !m->ent.over && sk_mime__buf_add(&m->hval, p, n) != 0)
        fail(m);
}

static void header_line(struct sk_mime *m, const uint8_t *p, size_t n, const uint8_t *eol,
                        size_t eol_len, bool first, bool last)
{
    struct entity *e = &m->ent;
    e->bytes += n + eol_len;
    if (!e->over && e->bytes > m->cfg.max_header_size) {
        emit_anomaly(m, SK_ANOMALY_MIME_HEADER_SIZE_EXCEEDED);
        finish_header(m);
        e->over = true;
    }
    if (!first) {
        add_value(m, p, n);
        return;
    }
    if (n == 0) {
        headers_done(m);
        return;
    }
    if (is_wsp(p[0])) {
        /* Unfolding (RFC 5322 2.2.3): the line break goes, the blank stays. */
        add_value(m, p, n);
        return;
    }
    finish_header(m);
    size_t nl = header_name_len(p, n);
    if (nl == 0) {
        /* Not a header: the block ended without its blank line. */
        emit_anomaly(m, SK_ANOMALY_MIME_MALFORMED_MSG);
        bool top = e->top;
        headers_done(m);
        /* The first body line: sk_mime_feed() hashes the lines after it. */
        if (top && m->cfg.body_md5 && m->body_md5_ok) {
            if (m->cfg.body_md5_stuffed && p[0] == '.')
                body_md5_add(m, ".", 1);
            body_md5_add(m, p, n);
            body_md5_add(m, eol, eol_len);
        }
        if (m->state == ST_BODY)
            body_line(m, p, n, eol, eol_len, first, last);
        else if (m->state == ST_HEADERS)
            header_line(m, p, n, eol, eol_len, first, last);
        return;
    }
    e->any_header = true;
    if (e->over)
        return;
    if (nl > m->cfg.max_header_name)
        emit_anomaly(m, SK_ANOMALY_MIME_LONG_HEADER_NAME);
    sk_mime__buf_reset(&m->hname);
    sk_mime__buf_reset(&m->hval);
    m->in_header = true;
    if (sk_mime__buf_add(&m->hname, p, nl) != 0)
        fail(m);
    size_t i = (size_t)((const uint8_t *)memchr(p, ':', n) - p) + 1;
    while (i < n && is_wsp(p[i]))
        i++;
    add_value(m, p + i, n - i);
}

static void msg_probe(struct sk_mime *m, const uint8_t *p, size_t n, const uint8_t *eol,
                      size_t eol_len, bool first, bool last)
{
    if (first && last && header_name_len(p, n) > 0 && push_level(m, false)) {
        open_msg_file(m, &m->levels[m->nlevels - 1]);
        msg_files_line(m, m->nlevels - 1, m->nlevels, p, n, eol, eol_len, last);
        reset_entity(m, false);
        m->state = ST_HEADERS;
        header_line(m, p, n, eol, eol_len, first, last);
        return;
    }
    start_part(m);
    body_line(m, p, n, eol, eol_len, first, last);
}

/* ---- structure ---- */

/* A line "--boundary" or "--boundary--" of an open multipart, followed only by blanks.
 * Searches from the innermost level out. */
static bool match_boundary(struct sk_mime *m, const uint8_t *p, size_t n, size_t *level,
                           bool *close)
{
    for (size_t k = m->nlevels; k-- > 0;) {
        const struct level *l = &m->levels[k];
        if (!l->multipart || n < l->delim_len || memcmp(p, l->delim, l->delim_len) != 0)
            continue;
        size_t i = l->delim_len;
        bool c = n - i >= 2 && p[i] == '-' && p[i + 1] == '-';
        if (c)
            i += 2;
        while (i < n && is_wsp(p[i]))
            i++;
        if (i != n)
            continue;
        *level = k;
        *close = c;
        return true;
    }
    return false;
}

/* Ends what is open at the current level: a leaf part, or a header block with no body. */
static void end_entity(struct sk_mime *m, bool truncated)
{
    if (m->state == ST_HEADERS) {
        finish_header(m);
        if (m->ent.any_header && strncmp(m->ent.type, "multipart/", 10) != 0 &&
            strncmp(m->ent.type, "message/", 8) != 0) {
            start_part(m);
            end_part(m, truncated);
        }
    } else if (m->state == ST_BODY) {
        end_part(m, truncated);
    } else if (m->state == ST_MSG_PROBE) {
        start_part(m);
        end_part(m, truncated);
    }
}

static void on_boundary(struct sk_mime *m, size_t k, bool close)
{
    end_entity(m, false);
    for (size_t j = m->nlevels; j-- > k + 1;)
        if (m->levels[j].multipart)
            emit_anomaly(m, SK_ANOMALY_MIME_MISSING_FINAL_BOUNDARY);
    close_msg_files(m, k + 1, false);
    m->nlevels = close ? k : k + 1;
    if (close) {
        m->state = ST_EPILOGUE;
    } else {
        reset_entity(m, false);
        if (m->levels[k].digest)
            strcpy(m->ent.type, "message/rfc822"); /* RFC 2046 5.1.5 */
        m->state = ST_HEADERS;
    }
}

static void process_line(struct sk_mime *m, const uint8_t *p, size_t n, const uint8_t *eol,
                         size_t eol_len, bool first, bool last)
{
    size_t k;
    bool close;
    if (first && last && n >= 2 && p[0] == '-' && p[1] == '-' && m->nlevels > 0 &&
        match_boundary(m, p, n, &k, &close)) {
        /* a boundary of a multipart inside a message is that message's content */
        msg_files_line(m, 0, k, p, n, eol, eol_len, last);
        on_boundary(m, k, close);
        return;
    }
    /* the levels open before the line: a message level this line opens gets it there */
    msg_files_line(m, 0, m->nlevels, p, n, eol, eol_len, last);
    switch (m->state) {
    case ST_HEADERS:
        header_line(m, p, n, eol, eol_len, first, last);
        break;
    case ST_BODY:
        body_line(m, p, n, eol, eol_len, first, last);
        break;
    case ST_MSG_PROBE:
        msg_probe(m, p, n, eol, eol_len, first, last);
        break;
    default:
        break;
    }
}

/* ---- public ---- */

struct sk_mime_pool {
    struct sk_mime_config cfg;
    struct sk_mime **idle;
    size_t nidle, keep;
    struct sk_mime__md5_group md5s; /* every MD5 its decoders have under way */
};

static struct sk_mime__md5_group *md5_group(struct sk_mime *m)
{
    return m->pool != NULL ? &m->pool->md5s : &m->md5s;
}

static void mime_job_quiesce(void *arg, const uint8_t *p, size_t n)
{
    struct sk_mime *m = arg;
    sk_mime__md5_stop(&m->body_md5);
    sk_mime__md5_stop(&m->file.h.md5);
    for (size_t i = 0; i < MSG_FILES_MAX; i++)
        if (m->msg_files[i] != NULL)
            sk_mime__md5_stop(&m->msg_files[i]->file.h.md5);
}

static bool config_ok(const struct sk_mime_config *cfg)
{
    return cfg != NULL && cfg->max_line >= 80 && cfg->max_depth <= 1000 &&
           cfg->max_header_value != 0 && cfg->max_boundary != 0 && cfg->max_filename != 0 &&
           (cfg->url_scheme_count == 0 || cfg->url_schemes != NULL);
}

/* Every allocation of a decoder is here, once per decoder (not per message). */
static int mime_alloc(struct sk_mime **out_m, const struct sk_mime_config *cfg)
{
    struct sk_mime *m = calloc(1, sizeof(*m));
    if (m == NULL)
        return SK_E_NOMEM;
    m->cfg = *cfg;
    m->line_cap = cfg->max_line + 2;
    m->line = malloc(m->line_cap);
    m->scratch = malloc(m->line_cap + 16);
    m->chunk = malloc(CHUNK_SIZE);
    m->levels = calloc(cfg->max_depth + 1, sizeof(*m->levels));
    sk_mime__buf_init(&m->hname, cfg->max_header_name + 1);
    sk_mime__buf_init(&m->hval, cfg->max_header_value);
    sk_mime__buf_init(&m->tmp, cfg->max_header_value * 4 + 16);
    sk_mime__buf_init(&m->ent.name, cfg->max_filename);
    sk_mime__buf_init(&m->ent.boundary, cfg->max_boundary);
    if (m->line == NULL || m->scratch == NULL || m->chunk == NULL || m->levels == NULL)
        goto out_free;
    for (size_t i = 0; i < cfg->max_depth; i++) {
        m->levels[i].delim = malloc(cfg->max_boundary + 2);
        if (m->levels[i].delim == NULL)
            goto out_free;
    }
    if (sk_mime__url_init(&m->url, &m->cfg, url_found, m) != 0)
        goto out_free;
    if (sk_mime__file_init(&m->file, &m->cfg) != 0)
        goto out_free;
    *out_m = m;
    return 0;
out_free:
    sk_mime_free(m);
    return SK_E_NOMEM;
}

/* Drops the message files still open (the message was not ended) without reporting them. */
static void abort_msg_files(struct sk_mime *m)
{
    for (size_t j = 0; j < m->nlevels; j++)
        m->levels[j].mf = NULL;
    for (size_t i = 0; i < MSG_FILES_MAX; i++)
        if (m->msg_files[i] != NULL)
            sk_mime__file_abort(&m->msg_files[i]->file);
    m->msg_files_open = 0;
}

void sk_mime_reset(struct sk_mime *m, const struct sk_sink *sink, uint64_t tx_id,
                   uint32_t *next_file_id)
{
    m->sink = *sink;
    m->tx_id = tx_id;
    m->next_file_id = next_file_id;
    m->line_len = 0;
    m->cont = false;
    abort_msg_files(m);
    m->nlevels = 0;
    m->top_body = m->ended = m->failed = m->complete = false;
    sk_mime__buf_reset(&m->hname);
    sk_mime__buf_reset(&m->hval);
    sk_mime__buf_reset(&m->tmp);
    m->hname_long = false;
    memset(&m->part, 0, sizeof(m->part));
    m->chunk_len = 0;
    sk_mime__url_reset(&m->url);
    sk_mime__file_abort(&m->file);
    memset(m->anom_seen, 0, sizeof(m->anom_seen));
    memset(m->single_seen, 0, sizeof(m->single_seen));
    m->body_md5_ok = m->cfg.body_md5;
    sk_mime__job(&m->cfg, m->body_md5_ok ? body_job_init : body_job_stop, m, NULL, 0);
    reset_entity(m, true);
    m->state = ST_HEADERS;
}

int sk_mime_new(struct sk_mime **out_m, const struct sk_mime_config *cfg,
                const struct sk_sink *sink, uint64_t tx_id, uint32_t *next_file_id)
{
    struct sk_mime *m;
    if (out_m == NULL || !config_ok(cfg) || sink == NULL || sink->emit == NULL ||
        next_file_id == NULL)
        return SK_E_INVAL;
    int rc = mime_alloc(&m, cfg);
    if (rc < 0)
        return rc;
    sk_mime_reset(m, sink, tx_id, next_file_id);
    *out_m = m;
    return 0;
}

/* Hashes the body as sent inside DATA, dots stuffed (as Suricata), in the largest
 * contiguous ranges of the input: [*from, to) goes out when a stuffed dot must be put in
 * between or the input ends. */
static void md5_range(struct sk_mime *m, const uint8_t **from, const uint8_t *to)
{
    if (*from != NULL && to > *from)
        body_md5_add(m, *from, (size_t)(to - *from));
    *from = NULL;
}

size_t sk_mime_memuse(const struct sk_mime_config *cfg)
{
    size_t line = cfg->max_line + 2;
    size_t depth = cfg->max_depth;
    /* An OpenSSL digest context with its SHA state, two of them (the file's SHA-1 and
     * SHA-256); the MD5 contexts are inside struct sk_mime. */
    size_t digests = 2 * 512;
    /* each file's first bytes for libmagic, and the message/rfc822 files */
    size_t head = cfg->magic ? SK_MIME_MAGIC_BYTES + SK_MEM_ALLOC_OVERHEAD : 0;
    size_t msg = cfg->message_files
                     ? MSG_FILES_MAX * (sizeof(struct msg_file) + 2 * 512 + cfg->max_filename +
                                        head + 5 * SK_MEM_ALLOC_OVERHEAD)
                     : 0;
    return head + msg + sizeof(struct sk_mime) + 2 * line + 16 + CHUNK_SIZE +
           (depth + 1) * sizeof(struct level) + depth * (cfg->max_boundary + 2) +
           cfg->max_header_name + 1 + cfg->max_header_value * 5 + 16 + cfg->max_filename +
           cfg->max_boundary + cfg->max_line + (cfg->max_urls ? cfg->max_urls : 1) * 8 +
           cfg->url_scheme_count * 32 + digests +
           (12 + depth + 2) * SK_MEM_ALLOC_OVERHEAD; /* one per allocation */
}

void sk_mime_feed(struct sk_mime *m, const uint8_t *buf, size_t len)
{
    const uint8_t *hashed_from = NULL;
    const uint8_t *in = buf;
    struct sk_line_ends lfs;
    sk_line_ends_init(&lfs, buf, len);
    while (len > 0 && !m->ended && !m->failed) {
        bool line_start = m->line_len == 0 && !m->cont;
        /* top_body turns true while a line is handled: the bytes of the lines after it
         * (header_line() hashes the one that turned it). */
        if (m->top_body && m->body_md5_ok) {
            if (line_start && m->cfg.body_md5_stuffed && buf[0] == '.') {
                md5_range(m, &hashed_from, buf);
                body_md5_add(m, ".", 1);
            } else if (hashed_from != NULL && (size_t)(buf - hashed_from) >= SK_MIME_MD5_HOLD / 2) {
                /* In pieces, so the decoded chunks these lines make find them held. */
                md5_range(m, &hashed_from, buf);
            }
            if (hashed_from == NULL)
                hashed_from = buf;
        }
        if (m->line_len == 0) {
            /* A whole line in the input is handled where it is, without a copy. */
            size_t at = (size_t)(buf - in);
            size_t lf = sk_line_ends_next(&lfs, at);
            if (lf < lfs.n && lf - at < m->line_cap) {
                size_t take = lf - at + 1;
                size_t eol = take >= 2 && buf[take - 2] == '\r' ? 2 : 1;
                size_t n = take - eol;
                if (n > m->cfg.max_line)
                    emit_anomaly(m, SK_ANOMALY_MIME_LONG_LINE);
                process_line(m, buf, n, buf + n, eol, !m->cont, true);
                m->cont = false;
                buf += take;
                len -= take;
                continue;
            }
        }
        size_t room = m->line_cap - m->line_len;
        const uint8_t *nl = memchr(buf, '\n', len < room ? len : room);
        size_t take = nl ? (size_t)(nl - buf) + 1 : (len < room ? len : room);
        memcpy(m->line + m->line_len, buf, take);
        m->line_len += take;
        buf += take;
        len -= take;
        if (m->line[m->line_len - 1] == '\n') {
            size_t eol = m->line_len >= 2 && m->line[m->line_len - 2] == '\r' ? 2 : 1;
            size_t n = m->line_len - eol;
            if (n > m->cfg.max_line)
                emit_anomaly(m, SK_ANOMALY_MIME_LONG_LINE);
            process_line(m, m->line, n, m->line + n, eol, !m->cont, true);
            m->cont = false;
            m->line_len = 0;
        } else if (m->line_len == m->line_cap) {
            /* Over-long line: handled in pieces so memory stays bounded. */
            emit_anomaly(m, SK_ANOMALY_MIME_LONG_LINE);
            process_line(m, m->line, m->line_len, NULL, 0, !m->cont, false);
            m->cont = true;
            m->line_len = 0;
        }
    }
    md5_range(m, &hashed_from, buf);
}

const char *sk_mime_status(const struct sk_mime *m)
{
    if (m->failed)
        return "PARSE_ERROR";
    if (m->ended && m->complete)
        return "PARSE_DONE";
    if (m->top_body)
        return "BODY_STARTED";
    if (m->ent.any_header || m->line_len > 0)
        return "HEADER_STARTED";
    return "NONE";
}

void sk_mime_end(struct sk_mime *m, bool complete)
{
    if (m->ended)
        return;
    if (!m->failed) {
        if (m->line_len > 0 || m->cont)
            process_line(m, m->line, m->line_len, NULL, 0, !m->cont, true);
        m->line_len = 0;
        m->cont = false;
        end_entity(m, !complete);
        for (size_t j = 0; j < m->nlevels; j++)
            if (m->levels[j].multipart) {
                emit_anomaly(m, SK_ANOMALY_MIME_MISSING_FINAL_BOUNDARY);
                break;
            }
        close_msg_files(m, 0, !complete);
        m->nlevels = 0;
    }
    m->ended = true;
    m->complete = complete;
    m->state = ST_DONE;
    if (m->body_md5_ok) {
        m->body_md5_ok = false;
        if (m->top_body) {
            char hex[2 * sizeof(m->body_digest) + 1];
            sk_mime__job(&m->cfg, body_job_final, m, NULL, 0);
            sk_mime__job_sync(&m->cfg);
            sk_mime__hex(m->body_digest, sizeof(m->body_digest), hex);
            emit_field(m, SK_FIELD_EMAIL_BODY_MD5, hex, 2 * sizeof(m->body_digest), 0);
        } else {
            sk_mime__job(&m->cfg, body_job_stop, m, NULL, 0);
        }
    }
    const char *st = sk_mime_status(m);
    emit_field(m, SK_FIELD_EMAIL_STATUS, st, strlen(st), 0);
}

void sk_mime_free(struct sk_mime *m)
{
    if (m == NULL)
        return;
    /* its MD5s leave the group, and no digest call of m is left queued */
    sk_mime__job(&m->cfg, mime_job_quiesce, m, NULL, 0);
    sk_mime__job_sync(&m->cfg);
    if (m->levels != NULL)
        for (size_t i = 0; i < m->cfg.max_depth; i++)
            free(m->levels[i].delim);
    free(m->levels);
    free(m->line);
    free(m->scratch);
    free(m->chunk);
    sk_mime__buf_release(&m->hname);
    sk_mime__buf_release(&m->hval);
    sk_mime__buf_release(&m->tmp);
    sk_mime__buf_release(&m->ent.name);
    sk_mime__buf_release(&m->ent.boundary);
    sk_mime__url_release(&m->url);
    sk_mime__file_release(&m->file);
    for (size_t i = 0; i < MSG_FILES_MAX; i++)
        if (m->msg_files[i] != NULL) {
            sk_mime__file_release(&m->msg_files[i]->file);
            sk_mime__buf_release(&m->msg_files[i]->name);
            free(m->msg_files[i]);
        }
    sk_mime__iconv_release(&m->iconv);
    free(m);
}

int sk_mime_pool_new(struct sk_mime_pool **out, const struct sk_mime_config *cfg, size_t keep)
{
    if (out == NULL || !config_ok(cfg))
        return SK_E_INVAL;
    struct sk_mime_pool *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return SK_E_NOMEM;
    p->idle = calloc(keep ? keep : 1, sizeof(*p->idle));
    if (p->idle == NULL) {
        free(p);
        return SK_E_NOMEM;
    }
    p->cfg = *cfg;
    p->keep = keep;
    *out = p;
    return 0;
}

int sk_mime_pool_get(struct sk_mime_pool *p, struct sk_mime **out, const struct sk_sink *sink,
                     uint64_t tx_id, uint32_t *next_file_id)
{
    struct sk_mime *m;
    if (p->nidle > 0) {
        m = p->idle[--p->nidle];
    } else {
        int rc = mime_alloc(&m, &p->cfg);
        if (rc < 0)
            return rc;
        m->pool = p;
    }
    m->cfg.rule_hashes = p->cfg.rule_hashes; /* an idle decoder may predate a reload */
    sk_mime_reset(m, sink, tx_id, next_file_id);
    *out = m;
    return 0;
}

void sk_mime_pool_set_rule_hashes(struct sk_mime_pool *p, unsigned rule_hashes)
{
    if (p != NULL)
        p->cfg.rule_hashes = rule_hashes;
}

void sk_mime_put(struct sk_mime *m)
{
    if (m == NULL)
        return;
    struct sk_mime_pool *p = m->pool;
    if (p == NULL || p->nidle >= p->keep) {
        sk_mime_free(m);
        return;
    }
    /* Nothing of the message may outlive it in an idle decoder: a file left open (no
     * sk_mime_end) loses its temporary file now. */
    sk_mime__file_abort(&m->file);
    abort_msg_files(m);
    p->idle[p->nidle++] = m;
}

void sk_mime_pool_free(struct sk_mime_pool *p)
{
    if (p == NULL)
        return;
    for (size_t i = 0; i < p->nidle; i++)
        sk_mime_free(p->idle[i]);
    free(p->idle);
    free(p);
}
