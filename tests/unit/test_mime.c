/* SPDX-License-Identifier: GPL-2.0-only */
/* The MIME decoder through a recording sink: each decoding step (base64, quoted-printable,
 * uuencode, RFC 2047, RFC 2231, addresses, URLs), whole messages with their fields, files,
 * hashes and anomalies, and every message fed split at every offset and byte by byte with
 * the same events out. Expected digests were computed with md5sum/sha1sum/sha256sum. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "engine/error.h"
#include "parsers/mime/mime.h"
#include "parsers/mime/mime_decode.h"
#include "parsers/mime/mime_file.h"
#include "parsers/mime/mime_header.h"
#include "parsers/mime/mime_magic.h"
#include "parsers/mime/mime_url.h"

/* ---- recording sink: every event as one text line ---- */

struct rec {
    char *log;
    size_t len, cap;
};

static void rec_add(struct rec *r, const char *s, size_t n)
{
    if (r->len + n + 1 > r->cap) {
        size_t cap = r->cap ? r->cap : 4096;
        while (cap < r->len + n + 1)
            cap *= 2;
        r->log = realloc(r->log, cap);
        assert_non_null(r->log);
        r->cap = cap;
    }
    memcpy(r->log + r->len, s, n);
    r->len += n;
    r->log[r->len] = '\0';
}

static void rec_fmt(struct rec *r, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    rec_add(r, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

/* Bytes as text; CR, LF, backslash and non-printables escaped so a log line is one line. */
static void rec_bytes(struct rec *r, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\r')
            rec_add(r, "\\r", 2);
        else if (p[i] == '\n')
            rec_add(r, "\\n", 2);
        else if (p[i] == '\\')
            rec_add(r, "\\\\", 2);
        else if (p[i] < 0x20 || p[i] == 0x7f)
            rec_fmt(r, "\\%02x", p[i]);
        else
            rec_add(r, (const char *)&p[i], 1);
    }
}

static void rec_emit(void *ctx, const struct sk_event *ev)
{
    struct rec *r = ctx;
    char hex[65];
    assert_int_equal(ev->tx_id, 7);
    switch (ev->type) {
    case SK_EV_FIELD:
        rec_fmt(r, "%s%s%s ", sk_field_def(ev->u.field.id)->name,
                ev->u.field.flags & SK_FIELD_F_BEGIN ? " B" : "",
                ev->u.field.flags & SK_FIELD_F_END ? " E" : "");
        rec_bytes(r, ev->u.field.value.ptr, ev->u.field.value.len);
        rec_add(r, "\n", 1);
        break;
    case SK_EV_ANOMALY:
        rec_fmt(r, "anomaly %s\n", sk_anomaly_name(ev->u.anomaly.id));
        break;
    case SK_EV_FILE: {
        const struct sk_file_info *f = &ev->u.file;
        rec_fmt(r, "file %u ", f->file_id);
        rec_bytes(r, f->name.ptr, f->name.len);
        rec_fmt(r, " size=%llu state=%d", (unsigned long long)f->size, (int)f->state);
        if (f->digests & SK_FILE_MD5) {
            sk_mime__hex(f->md5, 16, hex);
            rec_fmt(r, " md5=%s", hex);
        }
        if (f->digests & SK_FILE_SHA1) {
            sk_mime__hex(f->sha1, 20, hex);
            rec_fmt(r, " sha1=%s", hex);
        }
        if (f->digests & SK_FILE_SHA256) {
            sk_mime__hex(f->sha256, 32, hex);
            rec_fmt(r, " sha256=%s", hex);
        }
        if (f->stored) {
            rec_add(r, " stored=", 8);
            rec_bytes(r, f->stored_path.ptr, f->stored_path.len);
        }
        if (f->magic.len > 0) {
            rec_add(r, " magic=", 7);
            rec_bytes(r, f->magic.ptr, f->magic.len);
        }
        rec_add(r, "\n", 1);
        break;
    }
    default:
        fail_msg("unexpected event type %d", (int)ev->type);
    }
}

/* The defaults with only attachments as files (Suricata's choice): most tests here check
 * the transcript of attachments; test_mime_body_and_message_files covers the rest. */
static void attachment_defaults(struct sk_mime_config *cfg)
{
    sk_mime_config_defaults(cfg);
    cfg->body_files = false;
    cfg->message_files = false;
}

/* Feeds msg in pieces: cut at offset split (0: one piece), or byte by byte when bytewise. */
static char *run_cfg(const struct sk_mime_config *cfg, const char *msg, size_t len, size_t split,
                     bool bytewise, bool complete)
{
    struct rec r = {0};
    struct sk_sink sink = {.emit = rec_emit, .ctx = &r, .want = 0xffffffffu};
    struct sk_mime *m = NULL;
    uint32_t next_file_id = 1;
    assert_int_equal(sk_mime_new(&m, cfg, &sink, 7, &next_file_id), 0);
    const uint8_t *p = (const uint8_t *)msg;
    if (bytewise) {
        for (size_t i = 0; i < len; i++)
            sk_mime_feed(m, p + i, 1);
    } else {
        sk_mime_feed(m, p, split);
        sk_mime_feed(m, p + split, len - split);
    }
    sk_mime_end(m, complete);
    sk_mime_free(m);
    rec_add(&r, "", 0);
    return r.log;
}

static char *run(const char *msg)
{
    struct sk_mime_config cfg;
    attachment_defaults(&cfg);
    return run_cfg(&cfg, msg, strlen(msg), 0, false, true);
}

/* Asserts that the log has the line (without its "\n"). */
#define assert_line(log, line) assert_has_line(log, line, __LINE__)
static void assert_has_line(const char *log, const char *line, int at)
{
    size_t n = strlen(line);
    for (const char *p = log; (p = strstr(p, line)) != NULL; p++)
        if ((p == log || p[-1] == '\n') && p[n] == '\n')
            return;
    print_error("line %d: missing line '%s' in log:\n%s\n", at, line, log);
    fail();
}

static void assert_no(const char *log, const char *needle)
{
    if (strstr(log, needle) != NULL) {
        print_error("unexpected '%s' in log:\n%s\n", needle, log);
        fail();
    }
}

/* Every offset, and byte by byte, gives the same log as one piece. */
static void assert_split_invariant_cfg(const struct sk_mime_config *cfg, const char *msg)
{
    size_t len = strlen(msg);
    char *whole = run_cfg(cfg, msg, len, 0, false, true);
    for (size_t i = 1; i < len; i++) {
        char *s = run_cfg(cfg, msg, len, i, false, true);
        if (strcmp(s, whole) != 0) {
            print_error("split at %zu differs:\n%s\n---\n%s\n", i, whole, s);
            fail();
        }
        free(s);
    }
    char *b = run_cfg(cfg, msg, len, 0, true, true);
    assert_string_equal(b, whole);
    free(b);
    free(whole);
}

static void assert_split_invariant(const char *msg)
{
    struct sk_mime_config cfg;
    attachment_defaults(&cfg);
    assert_split_invariant_cfg(&cfg, msg);
}

/* ---- decoding steps ---- */

static void test_mime_base64_tolerant(void **state)
{
    (void)state;
    struct sk_mime__b64 st = {{0}, 0, NULL};
    uint8_t out[64];
    bool bad = false;
    /* "Hello, world!" split mid-quantum across two calls, with blanks. */
    size_t n = sk_mime__b64_decode(&st, (const uint8_t *)"SGVs bG8s IHdv", 14, out, &bad);
    n += sk_mime__b64_decode(&st, (const uint8_t *)"cmxk\r\nIQ==", 10, out + n, &bad);
    n += sk_mime__b64_finish(&st, out + n, &bad);
    assert_false(bad);
    assert_int_equal(n, 13);
    assert_memory_equal(out, "Hello, world!", 13);
    /* Junk is skipped and reported. */
    n = sk_mime__b64_decode_all((const uint8_t *)"SGV*sbG8", 8, out, &bad);
    assert_true(bad);
    assert_int_equal(n, 5);
    assert_memory_equal(out, "Hello", 5);
    /* A missing pad still yields the bytes and is tolerated (Suricata's MimeDecParseOddLen);
     * a lone trailing character is reported. */
    bad = false;
    n = sk_mime__b64_decode_all((const uint8_t *)"SGk", 3, out, &bad);
    assert_false(bad);
    assert_int_equal(n, 2);
    assert_memory_equal(out, "Hi", 2);
    n = sk_mime__b64_decode_all((const uint8_t *)"SGkhS", 5, out, &bad);
    assert_true(bad);
    assert_int_equal(n, 3);
    assert_memory_equal(out, "Hi!", 3);
}

static void test_mime_qp_soft_breaks_and_invalid(void **state)
{
    (void)state;
    struct sk_mime__qp st = {{0}, 0};
    uint8_t out[64];
    bool soft = false, bad = false;
    size_t n =
        sk_mime__qp_decode(&st, (const uint8_t *)"caf=C3=A9 =  ", 13, true, out, &soft, &bad);
    assert_true(soft);
    assert_false(bad);
    assert_int_equal(n, 6);
    assert_memory_equal(out, "caf\xc3\xa9 ", 6);
    /* An escape cut between two pieces of a long line. */
    n = sk_mime__qp_decode(&st, (const uint8_t *)"ab=4", 4, false, out, &soft, &bad);
    n += sk_mime__qp_decode(&st, (const uint8_t *)"1cd", 3, true, out + n, &soft, &bad);
    assert_false(soft);
    assert_int_equal(n, 5);
    assert_memory_equal(out, "abAcd", 5);
    n = sk_mime__qp_decode(&st, (const uint8_t *)"x=ZZy", 5, true, out, &soft, &bad);
    assert_true(bad);
    assert_int_equal(n, 5);
    assert_memory_equal(out, "x=ZZy", 5);
}

static void test_mime_uu_line(void **state)
{
    (void)state;
    uint8_t out[80];
    const char *l = "8=74@=&5S=\"!D871A(#$R,S0U-C<X.3 *";
    size_t n = sk_mime__uu_decode((const uint8_t *)l, strlen(l), out);
    assert_int_equal(n, 24);
    assert_memory_equal(out, "uu test data 1234567890\n", 24);
}

static char *decode2047(const char *s)
{
    struct sk_mime__buf b;
    sk_mime__buf_init(&b, 4096);
    assert_int_equal(sk_mime__decode_2047(NULL, &b, (const uint8_t *)s, strlen(s)), 0);
    char *r = strndup((const char *)b.p, b.len);
    sk_mime__buf_release(&b);
    return r;
}

static void test_mime_rfc2047_charsets(void **state)
{
    (void)state;
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"=?UTF-8?B?w6lsw6h2ZQ==?=", "\xc3\xa9l\xc3\xa8ve"},
        {"=?utf-8?q?=C3=A9l=C3=A8ve_x?=", "\xc3\xa9l\xc3\xa8ve x"},
        {"=?ISO-8859-1?Q?Caf=E9?= au lait", "Caf\xc3\xa9 au lait"},
        {"=?iso-8859-1?b?Q2Fm6Q==?=", "Caf\xc3\xa9"},
        {"=?GB2312?B?xOO6ww==?=", "\xe4\xbd\xa0\xe5\xa5\xbd"},
        {"=?gb2312?Q?=C4=E3=BA=C3?=", "\xe4\xbd\xa0\xe5\xa5\xbd"},
        {"=?windows-1252?Q?=93quoted=94_=80?=", "\xe2\x80\x9cquoted\xe2\x80\x9d \xe2\x82\xac"},
        {"=?windows-1252?B?RvzfZSCA?=", "F\xc3\xbc\xc3\x9f"
                                        "e \xe2\x82\xac"},
        /* Blanks between words go; a multibyte character split across words joins. */
        {"=?UTF-8?B?w6k=?= \r\n =?UTF-8?B?bA==?= end", "\xc3\xa9l end"},
        {"=?UTF-8?B?4oI=?= =?UTF-8?B?rA==?=", "\xe2\x82\xac"},
        {"a =?UTF-8?Q?b?= c", "a b c"},
        /* Undecodable bytes stay visible. */
        {"=?UTF-8?Q?ok=FFok?=", "ok\\xFFok"},
        {"=?x-no-such-charset?Q?a=E9?=", "a\\xE9"},
        {"=?UTF-8?X?broken?= plain", "=?UTF-8?X?broken?= plain"},
        {"no words here", "no words here"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *got = decode2047(cases[i].in);
        assert_string_equal(got, cases[i].want);
        free(got);
    }
}

/* Python's email package folds a long encoded Subject right after the colon: the value
 * starts on the continuation line, and the blank unfolding keeps is not part of it. */
static void test_mime_header_value_on_folded_line(void **state)
{
    (void)state;
    char *log = run("From: a@example.org\r\n"
                    "Subject: \r\n"
                    " =?gb2312?q?=C4=E3=BA=C3?=\r\n"
                    "\r\n"
                    "body\r\n");
    assert_line(log, "email.subject \xe4\xbd\xa0\xe5\xa5\xbd");
    free(log);
}

static char *param(const char *v, const char *name)
{
    struct sk_mime__buf b;
    bool found = false;
    sk_mime__buf_init(&b, 4096);
    assert_int_equal(sk_mime__param(NULL, (const uint8_t *)v, strlen(v), name, &b, &found), 0);
    char *r = found ? strndup((const char *)b.p, b.len) : NULL;
    sk_mime__buf_release(&b);
    return r;
}

static void test_mime_rfc2231_params(void **state)
{
    (void)state;
    static const struct {
        const char *v, *name, *want;
    } cases[] = {
        {"attachment; filename=\"a \\\"b\\\".txt\"", "filename", "a \"b\".txt"},
        {"attachment; FileName=plain.pdf ; size=3", "filename", "plain.pdf"},
        {"attachment; filename*=iso-8859-1''caf%E9.txt", "filename", "caf\xc3\xa9.txt"},
        {"attachment; filename*1*=%20rates.txt; filename*0*=utf-8'en'%E2%82%AC", "filename",
         "\xe2\x82\xac rates.txt"},
        {"attachment; filename*0=\"long \"; filename*1=\"name.doc\"", "filename", "long name.doc"},
        {"attachment; filename=\"=?UTF-8?B?w6kuemlw?=\"", "filename", "\xc3\xa9.zip"},
        {"multipart/mixed; boundary=\"==b==\"", "boundary", "==b=="},
        {"text/plain; charset=us-ascii", "name", NULL},
        {"text/plain; xname=a", "name", NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *got = param(cases[i].v, cases[i].name);
        if (cases[i].want == NULL) {
            assert_null(got);
        } else {
            assert_non_null(got);
            assert_string_equal(got, cases[i].want);
        }
        free(got);
    }
}

static void test_mime_address_list(void **state)
{
    (void)state;
    const char *v = " \"Doe, John\" <j@x.org>, (c,d) k@y.org ,, <z@w>";
    const char *want[] = {"\"Doe, John\" <j@x.org>", "(c,d) k@y.org", "<z@w>"};
    size_t pos = 0, n, i = 0;
    const uint8_t *item;
    while (sk_mime__addr_next((const uint8_t *)v, strlen(v), &pos, &item, &n)) {
        assert_true(i < 3);
        assert_int_equal(n, strlen(want[i]));
        assert_memory_equal(item, want[i], n);
        i++;
    }
    assert_int_equal(i, 3);
}

struct urls {
    char got[16][128];
    int n, limit;
};

static void url_cb(void *ctx, const uint8_t *url, size_t len)
{
    struct urls *u = ctx;
    if (url == NULL) {
        u->limit++;
        return;
    }
    assert_true(u->n < 16 && len < 128);
    memcpy(u->got[u->n], url, len);
    u->got[u->n][len] = '\0';
    u->n++;
}

/* Feeds text to a fresh extractor in pieces of `step` bytes (0: one piece); returns the URLs
 * found, one a line, and the limit count. */
static char *urls_of(const struct sk_mime_config *cfg, const char *text, size_t len, size_t split,
                     bool bytewise)
{
    struct sk_mime__url u;
    struct urls got = {0};
    struct rec r = {0};
    assert_int_equal(sk_mime__url_init(&u, cfg, url_cb, &got), 0);
    if (bytewise) {
        for (size_t i = 0; i < len; i++)
            sk_mime__url_feed(&u, (const uint8_t *)text + i, 1);
    } else {
        sk_mime__url_feed(&u, (const uint8_t *)text, split);
        sk_mime__url_feed(&u, (const uint8_t *)text + split, len - split);
    }
    sk_mime__url_flush(&u);
    sk_mime__url_release(&u);
    for (int i = 0; i < got.n; i++)
        rec_fmt(&r, "%s\n", got.got[i]);
    rec_fmt(&r, "limit %d\n", got.limit);
    return r.log;
}

/* The in-place search finds the same URLs whatever the cuts: a scheme prefix or a URL cut
 * by a piece end is carried, lines longer than max_line are searched in max_line pieces,
 * and text long enough for the 16-byte filter is searched through it. */
static void test_mime_url_split_invariant(void **state)
{
    (void)state;
    struct sk_mime_config cfg;
    attachment_defaults(&cfg);
    cfg.max_line = 80;
    cfg.log_url_scheme = true;
    static const char *const schemes[] = {"http", "https", "ftp", "mailto", "www", "x_y"};
    cfg.url_schemes = schemes;
    cfg.url_scheme_count = 6;
    const char *text =
        "a nightlight, after the soft matter, www.one.example/a HTTP://Two.EX\n"
        "hthttp://three.ex/p?q=1). mailto:m@x.org,  X_Y://under.score htt\n"
        "0123456789012345678901234567890123456789012345678901234567890123456789http://cut.at."
        "eighty/abc\nwwwww.no xwww.no .www.no /www.no (www.yes.ex) https://last.ex";
    size_t len = strlen(text);
    char *whole = urls_of(&cfg, text, len, len, false);
    assert_non_null(strstr(whole, "HTTP://Two.EX\n"));
    assert_non_null(strstr(whole, "http://three.ex/p?q=1\n"));
    assert_non_null(strstr(whole, "X_Y://under.score\n"));
    assert_non_null(strstr(whole, "www.yes.ex\n"));
    assert_non_null(strstr(whole, "https://last.ex\n"));
    assert_null(strstr(whole, "www.no"));
    /* The 80-byte piece ends inside "http://cut.at.": the URL is cut there, as before. */
    assert_non_null(strstr(whole, "http://cut\n"));
    for (size_t i = 0; i <= len; i++) {
        char *s = urls_of(&cfg, text, len, i, false);
        if (strcmp(s, whole) != 0) {
            print_error("split at %zu differs:\n%s\n---\n%s\n", i, whole, s);
            fail();
        }
        free(s);
    }
    char *s = urls_of(&cfg, text, len, 0, true);
    assert_string_equal(s, whole);
    free(s);
    free(whole);
}

/* As Suricata (ProcessDecodedDataChunk skips CTNT_IS_ATTACHMENT): URLs are searched in text
 * parts, not in parts that are files, text or not. */
static void test_mime_url_not_in_attachments(void **state)
{
    (void)state;
    char *log = run("Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
                    "--b\r\nContent-Type: text/plain\r\n\r\nsee http://in.text/\r\n"
                    "--b\r\nContent-Type: text/plain; name=\"notes.txt\"\r\n"
                    "Content-Disposition: attachment; filename=\"notes.txt\"\r\n\r\n"
                    "http://in.attachment/\r\n"
                    "--b\r\nContent-Type: text/html\r\nContent-Transfer-Encoding: base64\r\n"
                    "Content-Disposition: attachment\r\n\r\n"
                    "PGEgaHJlZj0iaHR0cDovL2luLmh0bWwuZmlsZS8iPg==\r\n"
                    "--b--\r\n");
    assert_line(log, "email.url in.text/");
    assert_no(log, "email.url in.attachment");
    assert_no(log, "email.url in.html.file");
    assert_line(log, "file.data B E http://in.attachment/");
    free(log);
}

/* mime.file-hashes: only the digests listed are computed and reported. */
static void test_mime_file_hashes_chosen(void **state)
{
    (void)state;
    struct sk_mime_config cfg;
    attachment_defaults(&cfg);
    cfg.file_hashes = SK_FILE_SHA1;
    const char *msg = "Content-Type: application/octet-stream; name=\"a.bin\"\r\n\r\nabc";
    char *log = run_cfg(&cfg, msg, strlen(msg), 0, false, true);
    assert_line(log, "file 1 a.bin size=3 state=0 sha1=a9993e364706816aba3e25717850c26c9cd0d89d");
    free(log);
    cfg.file_hashes = 0;
    log = run_cfg(&cfg, msg, strlen(msg), 0, false, true);
    assert_line(log, "file 1 a.bin size=3 state=0");
    free(log);
}

/* A pooled decoder reset between messages gives each message the events a new decoder
 * gives it, whatever the previous message left behind (open parts and levels, a partial
 * line, anomalies seen, URLs seen, a file, charsets converted). */
static void test_mime_pool_reuse(void **state)
{
    (void)state;
    static const char *const msgs[] = {
        "Subject: =?iso-8859-1?q?caf=E9?= =?koi8-r?b?8NLJ18XU?=\r\nContent-Type: multipart/mixed; "
        "boundary=x\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\nhttp://a.ex/ "
        "www.b.ex\r\n--x\r\nContent-Disposition: attachment; filename=f.bin\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\nYWJj\r\n--x\r\nContent-Type: "
        "text/plain\r\n\r\npart",
        "Subject: =?windows-1252?q?=80?= =?big5?b?pKQ=?= =?utf-8?q?=C3=A9?=\r\n\r\nhttp://a.ex/\r\n"
        ".dot\r\n",
        "From: x\r\nContent-Type: application/pdf; name=\"r.pdf\"\r\nContent-Transfer-Encoding: "
        "base64\r\n\r\nJVBERi0=\r\n",
    };
    struct sk_mime_config cfg;
    attachment_defaults(&cfg);
    struct sk_mime_pool *pool = NULL;
    assert_int_equal(sk_mime_pool_new(&pool, &cfg, 1), 0);
    for (size_t round = 0; round < 2; round++) {
        for (size_t i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
            bool complete = i != 0; /* the first is cut in the middle of a part */
            char *fresh = run_cfg(&cfg, msgs[i], strlen(msgs[i]), 0, false, complete);
            struct rec r = {0};
            struct sk_sink sink = {.emit = rec_emit, .ctx = &r, .want = 0xffffffffu};
            struct sk_mime *m = NULL;
            uint32_t next_file_id = 1;
            assert_int_equal(sk_mime_pool_get(pool, &m, &sink, 7, &next_file_id), 0);
            /* fed in two pieces so a partial line is left over between them */
            sk_mime_feed(m, (const uint8_t *)msgs[i], 20);
            sk_mime_feed(m, (const uint8_t *)msgs[i] + 20, strlen(msgs[i]) - 20);
            sk_mime_end(m, complete);
            sk_mime_put(m);
            rec_add(&r, "", 0);
            assert_string_equal(r.log, fresh);
            free(r.log);
            free(fresh);
        }
    }
    sk_mime_pool_free(pool);
}

static void test_mime_url_extraction(void **state)
{
    (void)state;
    struct sk_mime_config cfg;
    struct sk_mime__url u;
    struct urls got = {0};
    attachment_defaults(&cfg);
    cfg.max_urls = 4;
    assert_int_equal(sk_mime__url_init(&u, &cfg, url_cb, &got), 0);
    const char *text = "see http://Example.com/a?b=1. and <a href=\"https://x.org/p\">x</a>\n"
                       "www.bare.net, mailto:bob@x.org ftp://f.io/file http://Example.com/a?b=1\n"
                       "not:www.no http://four.net http://five.net";
    /* Fed in odd pieces: lines are rebuilt before the search. */
    for (size_t i = 0; i < strlen(text); i += 7)
        sk_mime__url_feed(&u, (const uint8_t *)text + i,
                          strlen(text) - i < 7 ? strlen(text) - i : 7);
    sk_mime__url_flush(&u);
    sk_mime__url_release(&u);
    assert_int_equal(got.n, 4);
    assert_string_equal(got.got[0], "Example.com/a?b=1");
    assert_string_equal(got.got[1], "x.org/p");
    assert_string_equal(got.got[2], "www.bare.net");
    assert_string_equal(got.got[3], "bob@x.org");
    assert_int_equal(got.limit, 1);

    memset(&got, 0, sizeof(got));
    cfg.log_url_scheme = true;
    cfg.max_urls = 16;
    assert_int_equal(sk_mime__url_init(&u, &cfg, url_cb, &got), 0);
    sk_mime__url_feed(&u, (const uint8_t *)text, strlen(text));
    sk_mime__url_flush(&u);
    sk_mime__url_release(&u);
    assert_int_equal(got.n, 8);
    assert_string_equal(got.got[0], "http://Example.com/a?b=1");
    assert_string_equal(got.got[4], "ftp://f.io/file");
    assert_string_equal(got.got[5], "www.no");
    assert_string_equal(got.got[6], "http://four.net");
    assert_int_equal(got.limit, 0);
}

/* ---- whole messages ---- */

static const char MSG_SIMPLE[] =
    "Received: from a.example (a.example [192.0.2.1])\r\n"
    "\tby mx.example with ESMTP id 1; Mon, 1 Jan 2024 00:00:00 +0000\r\n"
    "Received: from b.example by a.example; Mon, 1 Jan 2024 00:00:00 +0000\r\n"
    "From: =?UTF-8?B?w4lsaXNl?= <elise@example.org>\r\n"
    "to: \"Doe, John\" <john@example.com>, bob@example.net\r\n"
    "CC: carol@example.com\r\n"
    "Subject: =?UTF-8?Q?R=C3=A9sum=C3=A9?=\r\n"
    " of the week\r\n"
    "Date: Mon, 1 Jan 2024 00:00:00 +0000\r\n"
    "Message-ID: <abc@example.org>\r\n"
    "X-Mailer: TestMailer 1.0\r\n"
    "Reply-To: replies@example.org\r\n"
    "In-Reply-To: <prev@example.org>\r\n"
    "X-Originating-IP: [192.0.2.9]\r\n"
    "User-Agent: Mutt/2.2\r\n"
    "\r\n"
    "Hello, see http://evil.example/path and www.example.com.\r\n"
    ".dotted\r\n"
    "Bye\r\n";

static void test_mime_simple_message_fields(void **state)
{
    (void)state;
    char *log = run(MSG_SIMPLE);
    assert_line(log, "email.received from a.example (a.example [192.0.2.1])\\09by mx.example "
                     "with ESMTP id 1; Mon, 1 Jan 2024 00:00:00 +0000");
    assert_line(log, "email.received from b.example by a.example; Mon, 1 Jan 2024 00:00:00 +0000");
    assert_line(log, "email.from \xc3\x89lise <elise@example.org>");
    assert_line(log, "email.to \"Doe, John\" <john@example.com>");
    assert_line(log, "email.to bob@example.net");
    assert_line(log, "email.cc carol@example.com");
    assert_line(log, "email.subject R\xc3\xa9sum\xc3\xa9 of the week");
    assert_line(log, "email.subject_md5 50d336a1396438bd8b4b6e96e4cf63f9");
    assert_line(log, "email.date Mon, 1 Jan 2024 00:00:00 +0000");
    assert_line(log, "email.message_id <abc@example.org>");
    assert_line(log, "email.x_mailer TestMailer 1.0");
    assert_line(log, "email.reply_to replies@example.org");
    assert_line(log, "email.in_reply_to <prev@example.org>");
    assert_line(log, "email.x_originating_ip [192.0.2.9]");
    assert_line(log, "email.user_agent Mutt/2.2");
    assert_line(log, "file.data B E Hello, see http://evil.example/path and www.example.com.\\r\\n"
                     ".dotted\\r\\nBye");
    assert_line(log, "email.url evil.example/path");
    assert_line(log, "email.url www.example.com");
    /* md5 of the body as sent in DATA (".dotted" stuffed), as Suricata computes it. */
    assert_line(log, "email.body_md5 aa64361ab4ef7abb31e1c5d1b90928d9");
    assert_line(log, "email.status PARSE_DONE");
    assert_no(log, "anomaly");
    assert_no(log, "file 1");
    free(log);
    assert_split_invariant(MSG_SIMPLE);
}

static void test_mime_duplicate_single_header(void **state)
{
    (void)state;
    char *log = run("Subject: one\r\nSubject: two\r\n\r\nx\r\n");
    assert_line(log, "email.subject one");
    assert_no(log, "email.subject two");
    assert_line(log, "anomaly DUPLICATE_FIELDS");
    free(log);
}

#define BIN_B64                                                                                    \
    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4\r\n"             \
    "OTo7PD0+P0BBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWltcXV5fYGFiY2RlZmdoaWprbG1ub3Bx\r\n"             \
    "cnN0dXZ3eHl6e3x9fn+AgYKDhIWGh4iJiouMjY6PkJGSk5SVlpeYmZqbnJ2en6ChoqOkpaanqKmq\r\n"             \
    "q6ytrq+wsbKztLW2t7i5uru8vb6/wMHCw8TFxsfIycrLzM3Oz9DR0tPU1dbX2Nna29zd3t/g4eLj\r\n"             \
    "5OXm5+jp6uvs7e7v8PHy8/T19vf4+fr7/P3+/wABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhsc\r\n"             \
    "HR4fICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj9AQUJDREVGR0hJSktMTU5PUFFSU1RV\r\n"             \
    "VldYWVpbXF1eX2BhYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ent8fX5/gIGCg4SFhoeIiYqLjI2O\r\n"             \
    "j5CRkpOUlZaXmJmam5ydnp+goaKjpKWmp6ipqqusra6vsLGys7S1tre4ubq7vL2+v8DBwsPExcbH\r\n"             \
    "yMnKy8zNzs/Q0dLT1NXW19jZ2tvc3d7f4OHi4+Tl5ufo6err7O3u7/Dx8vP09fb3+Pn6+/z9/v8A\r\n"             \
    "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyAhIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5\r\n"             \
    "Ojs8PT4/QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl9gYWJjZGVmZ2hpamtsbW5vcHFy\r\n"             \
    "c3R1dnd4eXp7fH1+f4CBgoOEhYaHiImKi4yNjo+QkZKTlJWWl5iZmpucnZ6foKGio6Slpqeoqaqr\r\n"             \
    "rK2ur7CxsrO0tba3uLm6u7y9vr/AwcLDxMXGx8jJysvMzc7P0NHS09TV1tfY2drb3N3e3+Dh4uPk\r\n"             \
    "5ebn6Onq6+zt7u/w8fLz9PX29/j5+vv8/f7/AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd\r\n"             \
    "Hh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+P0BBQkNERUZHSElKS0xNTk9QUVJTVFVW\r\n"             \
    "V1hZWltcXV5fYGFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6e3x9fn+AgYKDhIWGh4iJiouMjY6P\r\n"             \
    "kJGSk5SVlpeYmZqbnJ2en6ChoqOkpaanqKmqq6ytrq+wsbKztLW2t7i5uru8vb6/wMHCw8TFxsfI\r\n"             \
    "ycrLzM3Oz9DR0tPU1dbX2Nna29zd3t/g4eLj5OXm5+jp6uvs7e7v8PHy8/T19vf4+fr7/P3+/w==\r\n"             \
    ""

static const char MSG_MULTI[] = "From: a@example.org\r\n"
                                "To: b@example.org\r\n"
                                "Subject: multipart\r\n"
                                "MIME-Version: 1.0\r\n"
                                "Content-Type: multipart/mixed; boundary=\"outer\"\r\n"
                                "\r\n"
                                "This is the preamble. http://preamble.example/\r\n"
                                "--outer\r\n"
                                "Content-Type: multipart/alternative;\r\n"
                                "\tboundary=\"inner\"\r\n"
                                "\r\n"
                                "--inner\r\n"
                                "Content-Type: text/plain; charset=utf-8\r\n"
                                "Content-Transfer-Encoding: quoted-printable\r\n"
                                "\r\n"
                                "Caf=C3=A9 soft=\r\n"
                                "break http://qp.example/x=\r\n"
                                "yz\r\n"
                                "--inner\r\n"
                                "Content-Type: text/html\r\n"
                                "\r\n"
                                "<a href=\"https://html.example/\">x</a>\r\n"
                                "--inner--\r\n"
                                "--outer\r\n"
                                "Content-Type: text/plain; name=\"hello.txt\"\r\n"
                                "Content-Disposition: attachment; filename=\"hello.txt\"\r\n"
                                "Content-Transfer-Encoding: base64\r\n"
                                "\r\n"
                                "SGVsbG8sIHdvcmxkIQo=\r\n"
                                "--outer\r\n"
                                "Content-Type: application/octet-stream\r\n"
                                "Content-Disposition: attachment;\r\n"
                                " filename*0*=utf-8''%E2%82%AC;\r\n"
                                " filename*1*=%20rates.bin\r\n"
                                "Content-Transfer-Encoding: base64\r\n"
                                "\r\n" BIN_B64 "--outer--\r\n"
                                "epilogue --outer\r\n";

#define HELLO_FILE                                                                                 \
    " size=14 state=0 md5=746308829575e17c3331bbcb00c0898b"                                        \
    " sha1=09fac8dbfd27bd9b4d23a00eb648aa751789536d"                                               \
    " sha256=d9014c4624844aa5bac314773d6b689ad467fa4e1d1a50a1b8a99d5a95f72ff5"
#define BIN_FILE                                                                                   \
    " size=1024 state=0 md5=b2ea9f7fcea831a4a63b213f41a8855b"                                      \
    " sha1=5b00669c480d5cffbdfa8bdba99561160f2d1b77"                                               \
    " sha256=785b0751fc2c53dc14a4ce3d800e69ef9ce1009eb327ccf458afe09c242c26c9"

static void test_mime_multipart_attachments(void **state)
{
    (void)state;
    char *log = run(MSG_MULTI);
    assert_line(log, "file.data B E Caf\xc3\xa9 softbreak http://qp.example/xyz");
    assert_line(log, "file.data B E <a href=\"https://html.example/\">x</a>");
    assert_line(log, "email.url qp.example/xyz");
    assert_line(log, "email.url html.example/");
    assert_no(log, "preamble.example");
    assert_line(log, "file.name hello.txt");
    assert_line(log, "file.data B E Hello, world!\\n");
    assert_line(log, "file 1 hello.txt" HELLO_FILE);
    assert_line(log, "file.name \xe2\x82\xac rates.bin");
    assert_line(log, "file 2 \xe2\x82\xac rates.bin" BIN_FILE);
    assert_line(log, "email.status PARSE_DONE");
    assert_no(log, "anomaly");
    assert_no(log, "file 3");
    free(log);
    assert_split_invariant(MSG_MULTI);
}

static void test_mime_truncated_message(void **state)
{
    (void)state;
    struct sk_mime_config cfg;
    attachment_defaults(&cfg);
    const char *cut = strstr(MSG_MULTI, "SGVsbG8sIHdv") + 12;
    char *log = run_cfg(&cfg, MSG_MULTI, (size_t)(cut - MSG_MULTI), 0, false, false);
    assert_line(log, "file.data B E Hello, wo");
    assert_line(log, "file 1 hello.txt size=9 state=1 md5=ae0fdeca44bd1a73b88aab386ae737d9 "
                     "sha1=46bf1283600c5a259d58b2dd9c816ddb488cfa2f "
                     "sha256=f8e84baff23aebf408155005e8592a738b0a626d7ed9ddb51d491a06413dadd7");
    assert_line(log, "email.status BODY_STARTED");
    free(log);
}

static const char MSG_RFC822[] = "From: fwd@example.org\r\n"
                                 "Subject: Fwd: inner\r\n"
                                 "Content-Type: multipart/mixed; boundary=b1\r\n"
                                 "\r\n"
                                 "--b1\r\n"
                                 "Content-Type: text/plain\r\n"
                                 "\r\n"
                                 "See attached.\r\n"
                                 "--b1\r\n"
                                 "Content-Type: message/rfc822\r\n"
                                 "\r\n"
                                 "From: inner@example.com\r\n"
                                 "Subject: inner subject\r\n"
                                 "Content-Type: multipart/mixed; boundary=b2\r\n"
                                 "\r\n"
                                 "--b2\r\n"
                                 "Content-Type: text/plain\r\n"
                                 "Content-Disposition: attachment; filename=inner.txt\r\n"
                                 "\r\n"
                                 "inner attachment data\r\n"
                                 "\r\n"
                                 "--b2--\r\n"
                                 "--b1--\r\n";

static void test_mime_rfc822_inner_headers_are_not_email_fields(void **state)
{
    (void)state;
    char *log = run(MSG_RFC822);
    assert_line(log, "email.subject Fwd: inner");
    assert_line(log, "email.from fwd@example.org");
    assert_no(log, "inner subject");
    assert_no(log, "inner@example.com");
    assert_line(log, "file.data B E See attached.");
    assert_line(log, "file.data B E inner attachment data\\r\\n");
    assert_line(log, "file 1 inner.txt size=23 state=0 md5=912b242f6cdd502fba79f7373a720618 "
                     "sha1=b5acf0dbb8fc607e1992407f15dc8b6fc1a6f74a "
                     "sha256=e84bcbb5fc97b702e62bbf04e055daa9d3dd0ef00692f0a9361185b27d7c0339");
    assert_no(log, "anomaly");
    free(log);
    assert_split_invariant(MSG_RFC822);
}

/* With the real defaults, the text body and the forwarded message are files too, numbered
 * as they start (the message before its own attachment) and reported as they end; the
 * message file is its bytes as sent, without the line break before the closing boundary. */
static void test_mime_body_and_message_files(void **state)
{
    (void)state;
    struct sk_mime_config cfg;
    sk_mime_config_defaults(&cfg);
    char *log = run_cfg(&cfg, MSG_RFC822, strlen(MSG_RFC822), 0, false, true);
    const char *f1 = strstr(log, "file 1  size=13 state=0 md5=392635edad4a2184df20d5815e6b3f2d ");
    const char *f3 = strstr(log, "file 3 inner.txt size=23 ");
    const char *f2 = strstr(log, "file 2  size=213 state=0 md5=bf39bb7e51463b4025455330975e4bc4 "
                                 "sha1=044a9ad0d4ca0bfafa346295225fa5d55d87c018 ");
    assert_non_null(f1);
    assert_non_null(f2);
    assert_non_null(f3);
    assert_true(f1 < f3 && f3 < f2);
    assert_no(log, "file 4");
    assert_no(log, "magic=");
    free(log);
    /* a message cut inside the forwarded message: its file and its open part are TRUNCATED,
     * the message file holding what was sent of it */
    const char *cut = strstr(MSG_RFC822, "inner attachment data");
    log = run_cfg(&cfg, MSG_RFC822, (size_t)(cut - MSG_RFC822) + 5, 0, false, false);
    assert_non_null(strstr(log, "file 3 inner.txt size=5 state=1 "));
    assert_non_null(strstr(log, "file 2  size=187 state=1 "));
    free(log);
    /* an empty body part is no file; libmagic describes the others */
    struct sk_mime_magic *mg = NULL;
    char err[256];
    assert_int_equal(sk_mime_magic_new(&mg, err, sizeof(err)), 0);
    cfg.magic = mg;
    static const char msg[] = "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
                              "--b\r\nContent-Type: text/plain\r\n\r\n\r\n"
                              "--b\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4\r\n"
                              "--b--\r\n";
    log = run_cfg(&cfg, msg, strlen(msg), 0, false, true);
    assert_no(log, "file 2");
    assert_true(strstr(log, "file 1  size=8 ") != NULL);
    assert_true(strstr(log, " magic=PDF document, version 1.4\n") != NULL);
    free(log);
    assert_split_invariant_cfg(&cfg, msg);
    sk_mime_magic_free(mg);
    cfg.magic = NULL;
    assert_split_invariant_cfg(&cfg, MSG_RFC822);
}

static void test_mime_encoded_subjects(void **state)
{
    (void)state;
    static const struct {
        const char *msg, *want;
    } cases[] = {
        {"Subject: =?UTF-8?B?0J/RgNC40LLQtdGC?=\r\n\r\n", "email.subject \xd0\x9f\xd1\x80\xd0\xb8"
                                                          "\xd0\xb2\xd0\xb5\xd1\x82"},
        {"Subject: =?ISO-8859-1?Q?Caf=E9?=\r\n\r\n", "email.subject Caf\xc3\xa9"},
        {"Subject: =?ISO-8859-1?B?Q2Fm6Q==?=\r\n\r\n", "email.subject Caf\xc3\xa9"},
        {"Subject: =?GB2312?B?xOO6ww==?=\r\n\r\n", "email.subject \xe4\xbd\xa0\xe5\xa5\xbd"},
        {"Subject: =?GB2312?Q?=C4=E3=BA=C3?=\r\n\r\n", "email.subject \xe4\xbd\xa0\xe5\xa5\xbd"},
        {"Subject: =?windows-1252?Q?=80_=93x=94?=\r\n\r\n",
         "email.subject \xe2\x82\xac \xe2\x80\x9cx\xe2\x80\x9d"},
        {"Subject: =?windows-1252?B?gCCTeJQ=?=\r\n\r\n",
         "email.subject \xe2\x82\xac \xe2\x80\x9cx\xe2\x80\x9d"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *log = run(cases[i].msg);
        assert_line(log, cases[i].want);
        free(log);
        assert_split_invariant(cases[i].msg);
    }
}

static const char MSG_BAD_B64[] = "Content-Type: multipart/mixed; boundary=zz\r\n"
                                  "\r\n"
                                  "--zz\r\n"
                                  "Content-Type: application/pdf; name=doc.pdf\r\n"
                                  "Content-Transfer-Encoding: base64\r\n"
                                  "\r\n"
                                  "SGVsbG8@@@sIHdv\r\n"
                                  "cmxkIQo=\r\n"
                                  "--zz--\r\n";

static void test_mime_malformed_base64(void **state)
{
    (void)state;
    char *log = run(MSG_BAD_B64);
    assert_line(log, "anomaly MIME_INVALID_BASE64");
    assert_line(log, "file 1 doc.pdf" HELLO_FILE);
    free(log);
    assert_split_invariant(MSG_BAD_B64);
}

static const char MSG_NO_FINAL[] = "Content-Type: multipart/mixed; boundary=zz\r\n"
                                   "\r\n"
                                   "--zz\r\n"
                                   "Content-Type: application/pdf; name=doc.pdf\r\n"
                                   "Content-Transfer-Encoding: base64\r\n"
                                   "\r\n"
                                   "SGVsbG8sIHdvcmxkIQo=\r\n"
                                   "--zz-- not a close\r\n"
                                   "--zzz\r\n";

static void test_mime_missing_final_boundary(void **state)
{
    (void)state;
    char *log = run(MSG_NO_FINAL);
    assert_line(log, "anomaly MIME_MISSING_FINAL_BOUNDARY");
    /* Near-boundaries are content (junk for base64), the part ends with the message. */
    assert_line(log, "anomaly MIME_INVALID_BASE64");
    assert_line(log, "file.name doc.pdf");
    assert_line(log, "email.status PARSE_DONE");
    assert_non_null(strstr(log, "file 1 doc.pdf size="));
    free(log);
    assert_split_invariant(MSG_NO_FINAL);
}

static const char MSG_DEEP[] = "Content-Type: multipart/mixed; boundary=a\r\n"
                               "\r\n"
                               "--a\r\n"
                               "Content-Type: multipart/mixed; boundary=b\r\n"
                               "\r\n"
                               "--b\r\n"
                               "Content-Type: multipart/mixed; boundary=c\r\n"
                               "\r\n"
                               "--c\r\n"
                               "Content-Type: text/plain\r\n"
                               "\r\n"
                               "deep\r\n"
                               "--c--\r\n"
                               "--b--\r\n"
                               "--a--\r\n";

static void test_mime_depth_limit(void **state)
{
    (void)state;
    struct sk_mime_config cfg;
    attachment_defaults(&cfg);
    char *log = run_cfg(&cfg, MSG_DEEP, strlen(MSG_DEEP), 0, false, true);
    assert_line(log, "file.data B E deep");
    assert_no(log, "anomaly");
    free(log);
    cfg.max_depth = 2;
    log = run_cfg(&cfg, MSG_DEEP, strlen(MSG_DEEP), 0, false, true);
    assert_line(log, "anomaly MIME_DEPTH_EXCEEDED");
    /* The part over the limit is inspected as it is, boundaries and all. */
    assert_line(log, "file.data B E --c\\r\\nContent-Type: text/plain\\r\\n\\r\\ndeep\\r\\n--c--");
    free(log);
    assert_split_invariant_cfg(&cfg, MSG_DEEP);
}

static const char MSG_UU[] = "Subject: uu\r\n"
                             "\r\n"
                             "begin 644 uu.txt\r\n"
                             "8=74@=&5S=\"!D871A(#$R,S0U-C<X.3 *\r\n"
                             "`\r\n"
                             "end\r\n";

static void test_mime_uuencoded_body(void **state)
{
    (void)state;
    char *log = run(MSG_UU);
    assert_line(log, "file.name uu.txt");
    assert_line(log, "file 1 uu.txt size=24 state=0 md5=725eda3904d79306a8e9f29eb581ef9a "
                     "sha1=be61727238dc1c623314b5a2a2920ac678db574d "
                     "sha256=1702068f4c6fc940849dcb98586f9cc8ebbad8b5f762d323abdb599f5928f21e");
    free(log);
    assert_split_invariant(MSG_UU);
}

static const char MSG_LIMITS[] =
    "X-A-Very-Long-Header-Name: a\r\n"
    "X-Long-Value: 0123456789012345678901234567890123456789012345678901234567890123456789\r\n"
    "Content-Type: multipart/mixed; boundary=\"this-boundary-is-too-long\"\r\n"
    "\r\n"
    "--this-boundary-is-too-long\r\n"
    "Content-Disposition: attachment; filename=\"a-very-long-file-name.txt\"\r\n"
    "\r\n"
    "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890"
    "123456789\r\n";

static void test_mime_limits(void **state)
{
    (void)state;
    struct sk_mime_config cfg;
    attachment_defaults(&cfg);
    cfg.max_header_name = 20;
    cfg.max_header_value = 60;
    cfg.max_boundary = 10;
    cfg.max_filename = 8;
    cfg.max_line = 80;
    char *log = run_cfg(&cfg, MSG_LIMITS, strlen(MSG_LIMITS), 0, false, true);
    assert_line(log, "anomaly MIME_LONG_HEADER_NAME");
    assert_line(log, "anomaly MIME_LONG_HEADER_VALUE");
    assert_line(log, "anomaly MIME_LONG_BOUNDARY");
    assert_line(log, "anomaly MIME_LONG_LINE");
    /* Without a usable boundary, the body is one text part. */
    assert_no(log, "MIME_LONG_FILENAME");
    free(log);
    assert_split_invariant_cfg(&cfg, MSG_LIMITS);

    cfg.max_boundary = 254;
    log = run_cfg(&cfg, MSG_LIMITS, strlen(MSG_LIMITS), 0, false, true);
    assert_line(log, "anomaly MIME_LONG_FILENAME");
    assert_line(log, "file.name a-very-l");
    assert_line(log, "anomaly MIME_MISSING_FINAL_BOUNDARY");
    /* An 100-byte line handled in pieces of at most max_line + 2 bytes, content intact. */
    assert_line(log, "file.data B E 0123456789012345678901234567890123456789012345678901234567890"
                     "123456789012345678901234567890123456789");
    free(log);
    assert_split_invariant_cfg(&cfg, MSG_LIMITS);

    cfg.max_header_size = 64;
    log = run_cfg(&cfg, MSG_LIMITS, strlen(MSG_LIMITS), 0, false, true);
    assert_line(log, "anomaly MIME_HEADER_SIZE_EXCEEDED");
    free(log);
}

static void test_mime_file_data_limit_and_chunks(void **state)
{
    (void)state;
    struct sk_mime_config cfg;
    attachment_defaults(&cfg);
    /* 20,000 bytes of body: file.data in 8 KiB chunks, BEGIN on the first, END on the last. */
    size_t n = 20000;
    char *msg = malloc(n + 64);
    assert_non_null(msg);
    int h = sprintf(msg, "Subject: big\r\n\r\n");
    for (size_t i = 0; i < n; i++)
        msg[h + i] = (i % 100 == 98) ? '\r' : (i % 100 == 99) ? '\n' : 'a';
    msg[h + n] = '\0';
    char *log = run_cfg(&cfg, msg, strlen(msg), 0, false, true);
    const char *p = strstr(log, "file.data B ");
    assert_non_null(p);
    assert_non_null(strstr(p + 1, "\nfile.data a"));
    assert_non_null(strstr(p + 1, "\nfile.data E a"));
    assert_no(log, "MIME_FILE_LIMIT");
    free(log);
    cfg.file_data_max = 100;
    log = run_cfg(&cfg, msg, strlen(msg), 0, false, true);
    assert_line(log, "anomaly MIME_FILE_LIMIT");
    free(log);
    free(msg);
}

static void test_mime_filestore(void **state)
{
    (void)state;
    char dir[] = "/tmp/shrike-mime-test-XXXXXX";
    assert_non_null(mkdtemp(dir));
    struct sk_mime_config cfg;
    attachment_defaults(&cfg);
    cfg.filestore_dir = dir;
    cfg.filestore_max = 100; /* keeps hello.txt, not the 1024-byte file */
    char *log = run_cfg(&cfg, MSG_MULTI, strlen(MSG_MULTI), 0, false, true);
    char path[128], want[512];
    snprintf(path, sizeof(path),
             "%s/d9014c4624844aa5bac314773d6b689ad467fa4e1d1a50a1b8a99d5a95f72ff5", dir);
    snprintf(want, sizeof(want), "file 1 hello.txt" HELLO_FILE " stored=%s", path);
    assert_line(log, want);
    assert_line(log, "file 2 \xe2\x82\xac rates.bin" BIN_FILE);
    free(log);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char buf[64];
    size_t n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    assert_int_equal(n, 14);
    assert_memory_equal(buf, "Hello, world!\n", 14);
    unlink(path);
    /* Nothing else is left behind: no temporary files. */
    assert_int_equal(rmdir(dir), 0);
}

static void test_mime_sink_wants_nothing(void **state)
{
    (void)state;
    struct sk_sink sink = {.emit = rec_emit, .ctx = NULL, .want = 0};
    struct sk_mime_config cfg;
    struct sk_mime *m = NULL;
    uint32_t id = 1;
    attachment_defaults(&cfg);
    assert_int_equal(sk_mime_new(&m, &cfg, &sink, 7, &id), 0);
    sk_mime_feed(m, (const uint8_t *)MSG_MULTI, strlen(MSG_MULTI));
    sk_mime_end(m, true);
    assert_string_equal(sk_mime_status(m), "PARSE_DONE");
    sk_mime_free(m);
    /* The per-flow file counter moved on by the two files. */
    assert_int_equal(id, 3);
    sk_mime_free(NULL);
    assert_int_equal(sk_mime_new(&m, &cfg, NULL, 7, &id), SK_E_INVAL);
}

/* A message/rfc822 labelled base64 (forbidden by RFC 2046) whose content is a plain message:
 * the inner message is parsed, so its attachment is not hidden (Suricata issue 8649). */
static const char MSG_RFC822_LABELLED_B64[] =
    "Subject: outer\r\n"
    "Content-Type: message/rfc822\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "Content-Disposition: attachment; filename=\"harmless.txt\"\r\n"
    "\r\n"
    "Subject: inner\r\n"
    "Content-Type: application/octet-stream\r\n"
    "Content-Disposition: attachment; filename=\"payload.exe\"\r\n"
    "\r\n"
    "Hello, world!\r\n";

/* The same label on content that really is base64: decoded as one part. */
static const char MSG_RFC822_REALLY_B64[] = "Content-Type: message/rfc822\r\n"
                                            "Content-Transfer-Encoding: base64\r\n"
                                            "\r\n"
                                            "SGVsbG8sIHdvcmxkIQo=\r\n";

static void test_mime_rfc822_with_encoding_label(void **state)
{
    (void)state;
    char *log = run(MSG_RFC822_LABELLED_B64);
    assert_line(log, "anomaly MIME_MALFORMED_MSG");
    assert_line(log, "email.subject outer");
    assert_no(log, "email.subject inner");
    assert_line(log, "file.name payload.exe");
    assert_line(log, "file.data B E Hello, world!");
    assert_no(log, "MIME_INVALID_BASE64");
    free(log);
    assert_split_invariant(MSG_RFC822_LABELLED_B64);
    log = run(MSG_RFC822_REALLY_B64);
    assert_line(log, "file.data B E Hello, world!\\n");
    free(log);
    assert_split_invariant(MSG_RFC822_REALLY_B64);
}

/* Mangled messages (bytes flipped, lines cut, CRLF turned to LF) decode without a crash
 * under ASan/UBSan and give the same events whatever the chunking. */
static void test_mime_mangled_messages_are_split_invariant(void **state)
{
    (void)state;
    const char *seeds[] = {MSG_MULTI, MSG_RFC822, MSG_NO_FINAL,           MSG_DEEP,
                           MSG_UU,    MSG_SIMPLE, MSG_RFC822_LABELLED_B64};
    static const char noise[] = "-=\r\n:;\"?_ \tB Q%*'<>.";
    struct sk_mime_config cfg;
    uint32_t rnd = 12345;
    attachment_defaults(&cfg);
    cfg.max_line = 80;
    cfg.max_depth = 3;
    for (int round = 0; round < 60; round++) {
        const char *seed = seeds[round % (sizeof(seeds) / sizeof(seeds[0]))];
        size_t len = strlen(seed);
        char *msg = strdup(seed);
        assert_non_null(msg);
        for (int k = 0; k < 8; k++) {
            rnd = rnd * 1103515245u + 12345u;
            size_t at = (rnd >> 8) % len;
            rnd = rnd * 1103515245u + 12345u;
            msg[at] = noise[(rnd >> 8) % (sizeof(noise) - 1)];
        }
        char *whole = run_cfg(&cfg, msg, len, 0, false, true);
        for (size_t cut = 1; cut < len; cut += 1 + cut / 8) {
            /* Odd rounds also end the message early, for the truncation paths. */
            bool complete = round % 2 == 0;
            char *again = run_cfg(&cfg, msg, len, cut, false, complete);
            if (complete)
                assert_string_equal(again, whole);
            free(again);
        }
        char *b = run_cfg(&cfg, msg, len, 0, true, true);
        assert_string_equal(b, whole);
        free(b);
        free(whole);
        free(msg);
    }
}

/* URLs of quoted-printable and base64 text and HTML bodies in a message whose lines end in a
 * bare LF (BDAT, or a server that takes them): a soft line break inside a URL joins it,
 * `=0A` ends one, and they come in the order they appear, across parts, whatever the cuts. */
static void test_mime_urls_bare_lf_bodies(void **state)
{
    (void)state;
    struct sk_mime_config cfg;
    sk_mime_config_defaults(&cfg);
    static const char msg[] =
        "Content-Type: multipart/alternative; boundary=b\n"
        "\n"
        "--b\n"
        "Content-Type: text/plain\n"
        "Content-Transfer-Encoding: quoted-printable\n"
        "\n"
        "see http://qp.exa=\n"
        "mple/0=0Anext mailto:a@qp.example=0A\n"
        "--b\n"
        "Content-Type: text/html\n"
        "Content-Transfer-Encoding: base64\n"
        "\n"
        "PGEgaHJlZj0iaHR0cDovL2I2NC5leGFtcGxlLzEiPng8L2E+CjxhIGhyZWY9Imh0dHBzOi8vYjY0\n"
        "LmV4YW1wbGUvMiI+eTwvYT4Kd3d3LmI2NC5leGFtcGxlLzMK\n"
        "--b--\n";
    char *log = run_cfg(&cfg, msg, strlen(msg), 0, false, true);
    const char *u0 = strstr(log, "email.url qp.example/0\n");
    const char *u1 = strstr(log, "email.url a@qp.example\n");
    const char *u2 = strstr(log, "email.url b64.example/1\n");
    const char *u3 = strstr(log, "email.url b64.example/2\n");
    const char *u4 = strstr(log, "email.url www.b64.example/3\n");
    assert_true(u0 && u1 && u2 && u3 && u4);
    assert_true(u0 < u1 && u1 < u2 && u2 < u3 && u3 < u4);
    /* both bodies are files, the QP one with its =0A bytes */
    assert_line(log, "file.data B E see http://qp.example/0\\nnext mailto:a@qp.example\\n");
    assert_true(strstr(log, "file 1  size=49 ") != NULL);
    assert_true(strstr(log, "file 2  size=93 ") != NULL);
    assert_no(log, "anomaly");
    free(log);
    assert_split_invariant_cfg(&cfg, msg);
}

static void test_mime_small_cases(void **state)
{
    (void)state;
    /* LF-only line ends, transport padding after a boundary, an inline named part. */
    const char *lf = "Content-Type: multipart/mixed; boundary=b\n"
                     "\n"
                     "--b   \n"
                     "Content-Type: text/plain; name=notes.txt\n"
                     "\n"
                     "line one\n"
                     "line two\n"
                     "--b--\n";
    char *log = run(lf);
    assert_line(log, "file.data B E line one\\nline two");
    assert_line(log, "file.name notes.txt");
    assert_non_null(strstr(log, "file 1 notes.txt size=17 state=0"));
    assert_no(log, "anomaly");
    free(log);
    assert_split_invariant(lf);

    /* Invalid quoted-printable is kept as it is. */
    const char *qp = "Content-Transfer-Encoding: quoted-printable\r\n\r\na=ZZb=3D\r\n";
    log = run(qp);
    assert_line(log, "anomaly MIME_INVALID_QP");
    assert_line(log, "file.data B E a=ZZb=");
    free(log);
    assert_split_invariant(qp);

    /* No headers at all, and an empty message. */
    log = run("\r\nbody only\r\n");
    assert_line(log, "file.data B E body only");
    assert_line(log, "email.status PARSE_DONE");
    free(log);
    log = run("");
    assert_line(log, "email.status PARSE_DONE");
    assert_no(log, "file.data");
    free(log);

    /* Headers that run into the body without a blank line. */
    log = run("Subject: s\r\nthis is body text\r\n");
    assert_line(log, "anomaly MIME_MALFORMED_MSG");
    assert_line(log, "email.subject s");
    assert_line(log, "file.data B E this is body text");
    free(log);

    /* A multipart without a boundary is one part. */
    log = run("Content-Type: multipart/mixed\r\n\r\n--x\r\n");
    assert_line(log, "anomaly MIME_MALFORMED_MSG");
    assert_line(log, "file.data B E --x");
    free(log);
}

static void test_mime_cut_in_headers(void **state)
{
    (void)state;
    struct sk_mime_config cfg;
    attachment_defaults(&cfg);
    const char *msg = "Subject: cut\r\nFrom: a@b";
    char *log = run_cfg(&cfg, msg, strlen(msg), 0, false, false);
    assert_line(log, "email.subject cut");
    assert_line(log, "email.from a@b");
    assert_line(log, "email.status HEADER_STARTED");
    assert_no(log, "email.body_md5");
    free(log);
}

/* ---- the corpus of tests/data/mime: mail written by Python's email package and swaks ---- */

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    assert_true(n >= 0);
    rewind(f);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static void check_corpus_message(const char *name, char **want, size_t nwant)
{
    char path[512];
    size_t len;
    struct sk_mime_config cfg;
    attachment_defaults(&cfg);
    snprintf(path, sizeof(path), "%s/%s", SK_MIME_CORPUS, name);
    char *msg = read_file(path, &len);
    char *log = run_cfg(&cfg, msg, len, 0, false, true);
    for (size_t i = 0; i < nwant; i++)
        assert_has_line(log, want[i], (int)i);
    assert_no(log, "anomaly");
    /* Same events at every offset (every seventh for the bigger ones), and byte by byte. */
    for (size_t cut = 1; cut < len; cut += len < 4096 ? 1 : 7) {
        char *again = run_cfg(&cfg, msg, len, cut, false, true);
        assert_string_equal(again, log);
        free(again);
    }
    char *b = run_cfg(&cfg, msg, len, 0, true, true);
    assert_string_equal(b, log);
    free(b);
    free(log);
    free(msg);
}

static void test_mime_corpus_from_real_mailers(void **state)
{
    (void)state;
    size_t len, nmsg = 0, nwant = 0;
    char *want[64], *name = NULL;
    char *exp = read_file(SK_MIME_CORPUS "/expected.txt", &len);
    for (char *line = strtok(exp, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        if (line[0] == '#')
            continue;
        if (strncmp(line, "msg ", 4) == 0) {
            if (name != NULL)
                check_corpus_message(name, want, nwant);
            name = line + 4;
            nwant = 0;
            nmsg++;
            continue;
        }
        assert_true(nwant < 64);
        want[nwant++] = line;
    }
    if (name != NULL)
        check_corpus_message(name, want, nwant);
    assert_true(nmsg >= 9);
    free(exp);
}

static const char MSG_DIGEST[] = "Subject: digest\r\n"
                                 "Content-Type: multipart/digest; boundary=d\r\n"
                                 "\r\n"
                                 "--d\r\n"
                                 "\r\n"
                                 "Subject: first\r\n"
                                 "\r\n"
                                 "one\r\n"
                                 "--d\r\n"
                                 "Content-Type: text/plain\r\n"
                                 "\r\n"
                                 "Subject: not a header here\r\n"
                                 "--d--\r\n";

/* In a multipart/digest, a part without Content-Type is a message (RFC 2046 5.1.5). */
static void test_mime_digest_parts_are_messages(void **state)
{
    (void)state;
    char *log = run(MSG_DIGEST);
    assert_line(log, "email.subject digest");
    assert_no(log, "email.subject first");
    assert_line(log, "file.data B E one");
    assert_line(log, "file.data B E Subject: not a header here");
    assert_no(log, "anomaly");
    free(log);
    assert_split_invariant(MSG_DIGEST);
}

/* The wide URL filter (AVX-512BW or AVX2 where the CPU has them) never steps over a place
 * where a scheme's first three bytes start (in either case, as the 16-byte filter compares
 * them: ORed with 0x20), and where there is none it goes on to the last step of the text. */
static void test_mime_url_wide_filter(void **state)
{
    (void)state;
    static const uint8_t pre[4][3] = {
        {'h', 't', 't'}, {'f', 't', 'p'}, {'m', 'a', 'i'}, {'w', 'w', 'w'}};
    static const char alphabet[] = "htpHTPfFmMaiAIwW.:/ \r\n@`xyz";
    uint8_t p[700];
    uint32_t s = 99;
    for (int round = 0; round < 5000; round++) {
        s = s * 1103515245u + 12345u;
        size_t n = (s >> 8) % sizeof(p);
        for (size_t k = 0; k < n; k++) {
            s = s * 1103515245u + 12345u;
            /* mostly letters that do not start a scheme, now and then one that does */
            p[k] = (s >> 16) % 8 ? (uint8_t) "qrsvbcdegjklno"[(s >> 20) % 14]
                                 : (uint8_t)alphabet[(s >> 20) % (sizeof(alphabet) - 1)];
        }
        size_t i = n ? (s >> 4) % n : 0;
        size_t first = n; /* the first place from i on where a prefix may start */
        for (size_t k = i; k + 3 <= n && first == n; k++)
            for (size_t j = 0; j < 4; j++)
                if ((p[k] | 0x20) == pre[j][0] && (p[k + 1] | 0x20) == pre[j][1] &&
                    (p[k + 2] | 0x20) == pre[j][2])
                    first = k;
        size_t r = sk_mime__url_skip_wide(pre, 4, p, i, n);
        assert_true(r >= i);
        assert_true(r <= first);
        if (first == n)
            assert_true(r == i || r + 66 > n);
        assert_true(sk_mime__url_skip_wide(pre, 0, p, i, n) == i);
    }
}

/* Whole lines found in the input (parsers/line_end.h) and lines put together from pieces give
 * the same log: text lines of every length from 0 to 130 around the line limit (80: a line
 * buffer of 82), ended by CRLF, LF or CR CR LF, each with a URL that ends at its line end, in
 * one piece, cut at every offset and byte by byte. */
static void test_mime_line_ends_split_invariant(void **state)
{
    (void)state;
    struct sk_mime_config cfg;
    attachment_defaults(&cfg);
    cfg.max_line = 80;
    char *msg = malloc(20000);
    assert_non_null(msg);
    size_t n = (size_t)sprintf(msg, "Subject: lines\r\nContent-Type: text/plain\r\n\r\n");
    for (size_t l = 0; l <= 130; l++) {
        size_t at = n;
        if (l >= 12) {
            memcpy(msg + n, "http://x.ex/", 12);
            n += 12;
        }
        while (n - at < l) {
            msg[n] = (char)('a' + (n % 26));
            n++;
        }
        static const char *const ends[] = {"\r\n", "\n", "\r\r\n"};
        n += (size_t)sprintf(msg + n, "%s", ends[l % 3]);
    }
    msg[n] = 0;
    assert_split_invariant_cfg(&cfg, msg);
    char *log = run_cfg(&cfg, msg, n, 0, false, true);
    assert_non_null(strstr(log, "MIME_LONG_LINE"));
    free(log);
    free(msg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mime_base64_tolerant),
        cmocka_unit_test(test_mime_qp_soft_breaks_and_invalid),
        cmocka_unit_test(test_mime_uu_line),
        cmocka_unit_test(test_mime_rfc2047_charsets),
        cmocka_unit_test(test_mime_header_value_on_folded_line),
        cmocka_unit_test(test_mime_rfc2231_params),
        cmocka_unit_test(test_mime_address_list),
        cmocka_unit_test(test_mime_url_extraction),
        cmocka_unit_test(test_mime_simple_message_fields),
        cmocka_unit_test(test_mime_duplicate_single_header),
        cmocka_unit_test(test_mime_multipart_attachments),
        cmocka_unit_test(test_mime_truncated_message),
        cmocka_unit_test(test_mime_rfc822_inner_headers_are_not_email_fields),
        cmocka_unit_test(test_mime_body_and_message_files),
        cmocka_unit_test(test_mime_urls_bare_lf_bodies),
        cmocka_unit_test(test_mime_encoded_subjects),
        cmocka_unit_test(test_mime_malformed_base64),
        cmocka_unit_test(test_mime_missing_final_boundary),
        cmocka_unit_test(test_mime_depth_limit),
        cmocka_unit_test(test_mime_uuencoded_body),
        cmocka_unit_test(test_mime_limits),
        cmocka_unit_test(test_mime_file_data_limit_and_chunks),
        cmocka_unit_test(test_mime_filestore),
        cmocka_unit_test(test_mime_sink_wants_nothing),
        cmocka_unit_test(test_mime_rfc822_with_encoding_label),
        cmocka_unit_test(test_mime_mangled_messages_are_split_invariant),
        cmocka_unit_test(test_mime_small_cases),
        cmocka_unit_test(test_mime_cut_in_headers),
        cmocka_unit_test(test_mime_corpus_from_real_mailers),
        cmocka_unit_test(test_mime_digest_parts_are_messages),
        cmocka_unit_test(test_mime_url_split_invariant),
        cmocka_unit_test(test_mime_url_wide_filter),
        cmocka_unit_test(test_mime_line_ends_split_invariant),
        cmocka_unit_test(test_mime_url_not_in_attachments),
        cmocka_unit_test(test_mime_file_hashes_chosen),
        cmocka_unit_test(test_mime_pool_reuse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
