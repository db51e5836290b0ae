/* SPDX-License-Identifier: GPL-2.0-only */
/* The transaction builder: event sequences in, records out. Checks the session HELO is
 * carried into later transactions, records stay readable just after their close, limits
 * hold, the header scan finds the Zeek-only columns across chunk splits, and open records
 * are never lost (eviction and finish hand them over). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "engine/output/txrec.h"

struct closed {
    int n;
    uint64_t tx_id[16];
    enum sk_tx_end why[16];
    char *helo[16], *mail_from[16], *last_reply[16], *status[16], *subject_md5[16];
    size_t n_rcpt[16];
    bool tls[16], complete[16];
};

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static void on_close(void *ctx, const struct sk_tx_record *tx, enum sk_tx_end why)
{
    struct closed *c = ctx;
    assert_true(c->n < 16);
    int i = c->n++;
    c->tx_id[i] = tx->tx_id;
    c->why[i] = why;
    c->helo[i] = dup_or_null(tx->helo);
    c->mail_from[i] = dup_or_null(tx->mail_from);
    c->last_reply[i] = dup_or_null(tx->last_reply);
    c->status[i] = dup_or_null(tx->email_status);
    c->subject_md5[i] = dup_or_null(tx->subject_md5);
    c->n_rcpt[i] = tx->rcpt_to.n;
    c->tls[i] = tx->tls;
    c->complete[i] = tx->complete;
}

static void closed_free(struct closed *c)
{
    for (int i = 0; i < c->n; i++) {
        free(c->helo[i]);
        free(c->mail_from[i]);
        free(c->last_reply[i]);
        free(c->status[i]);
        free(c->subject_md5[i]);
    }
}

static struct sk_str S(const char *s) {
    return (struct sk_str){(const uint8_t *)s, strlen(s)};
}

static void
field(struct sk_txrec *r, struct closed *c, uint64_t tx, enum sk_field_id id, const char *v,
      unsigned flags)
{
    struct sk_event ev = {.type = SK_EV_FIELD, .is_orig = true, .tx_id = tx};
    ev.u.field.id = id;
    ev.u.field.value = S(v);
    ev.u.field.flags = flags;
    sk_txrec_event(r, &ev, 1000 + tx, on_close, c);
}

static void reply(struct sk_txrec *r, struct closed *c, uint64_t tx, unsigned code, const char *msg)
{
    struct sk_event ev = {.type = SK_EV_SMTP_REPLY, .is_orig = false, .tx_id = tx};
    ev.u.reply.code = (uint16_t)code;
    ev.u.reply.cmd = S("MAIL");
    ev.u.reply.msg = S(msg);
    sk_txrec_event(r, &ev, 2000, on_close, c);
}

static void simple(struct sk_txrec *r, struct closed *c, enum sk_event_type t, uint64_t tx)
{
    struct sk_event ev = {.type = t, .tx_id = tx};
    sk_txrec_event(r, &ev, 3000, on_close, c);
}

static void tx_close(struct sk_txrec *r, struct closed *c, uint64_t tx, enum sk_tx_end why)
{
    struct sk_event ev = {.type = SK_EV_TX_CLOSE, .tx_id = tx};
    ev.u.tx_close.why = why;
    sk_txrec_event(r, &ev, 4000, on_close, c);
}

static void anomaly(struct sk_txrec *r, struct closed *c, uint64_t tx, enum sk_anomaly_id id)
{
    struct sk_event ev = {.type = SK_EV_ANOMALY, .tx_id = tx};
    ev.u.anomaly.id = id;
    sk_txrec_event(r, &ev, 3000, on_close, c);
}

static void at(struct sk_txrec *r, struct closed *c, enum sk_event_type t, uint64_t tx,
               enum sk_tx_end why, uint64_t ts)
{
    struct sk_event ev = {.type = t, .tx_id = tx};
    if (t == SK_EV_TX_CLOSE)
        ev.u.tx_close.why = why;
    if (t == SK_EV_SMTP_REPLY) {
        ev.u.reply.code = 220;
        ev.u.reply.cmd = S(">");
        ev.u.reply.msg = S("mx");
    }
    sk_txrec_event(r, &ev, ts, on_close, c);
}

/* Zeek's smtp.log trans_depth (messages transferred before the row, plus one) and ts (when
 * Zeek begins the row: the session's first SMTP event, the reply to '.', the MAIL FROM that
 * split an envelope; after RSET, the next transaction's first command). */
static void test_txrec_zeek_depth_and_ts(void **state)
{
    (void)state;
    struct sk_txrec *r;
    struct closed c = {0};
    assert_int_equal(sk_txrec_new(&r, NULL, "CabcDEF123"), 0);
    static const struct {
        uint64_t open_ts, close_ts;
        enum sk_tx_end why;
        uint64_t ts;
        unsigned depth;
    } want[] = {
        {200, 300, SK_TX_END_MAIL, 100, 1}, /* after the greeting at 100; split at a MAIL */
        {300, 400, SK_TX_END_DATA, 300, 1}, /* begun at that MAIL; a message */
        {500, 600, SK_TX_END_RSET, 400, 2}, /* begun at the reply to '.' */
        {700, 800, SK_TX_END_DATA, 700, 2}, /* after RSET: its first command */
        {900, 950, SK_TX_END_SESSION, 800, 3},
    };
    at(r, &c, SK_EV_SMTP_REPLY, SK_TX_NONE, SK_TX_END_DATA, 100);
    for (uint64_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        at(r, &c, SK_EV_TX_OPEN, i, SK_TX_END_DATA, want[i].open_ts);
        const struct sk_tx_record *t = sk_txrec_get(r, i);
        assert_non_null(t);
        assert_int_equal(t->ts_us, want[i].ts);
        assert_int_equal(t->trans_depth, want[i].depth);
        at(r, &c, SK_EV_TX_CLOSE, i, want[i].why, want[i].close_ts);
    }
    assert_int_equal(c.n, 5);
    closed_free(&c);
    sk_txrec_free(r);
}

static void test_txrec_full_transaction(void **state)
{
    (void)state;
    struct sk_txrec *r;
    struct closed c = {0};
    assert_int_equal(sk_txrec_new(&r, NULL, "CabcDEF123"), 0);
    simple(r, &c, SK_EV_TX_OPEN, 0);
    field(r, &c, 0, SK_FIELD_SMTP_HELO, "GP", 0);
    field(r, &c, 0, SK_FIELD_SMTP_MAIL_FROM, "<gurpartap@patriots.in>", 0);
    field(r, &c, 0, SK_FIELD_SMTP_RCPT_TO, "<raj_deol2002in@yahoo.co.in>", 0);
    field(r, &c, 0, SK_FIELD_SMTP_RCPT_TO, "<second@example.org>", 0);
    field(r, &c, 0, SK_FIELD_EMAIL_FROM, "\"Gurpartap Singh\" <gurpartap@patriots.in>", 0);
    field(r, &c, 0, SK_FIELD_EMAIL_SUBJECT, "hello", 0);
    field(r, &c, 0, SK_FIELD_FILE_NAME, "NEWS.txt", 0);
    struct sk_event fe = {.type = SK_EV_FILE, .tx_id = 0};
    fe.u.file.file_id = 1;
    sk_txrec_event(r, &fe, 3500, on_close, &c);
    reply(r, &c, 0, 250, "2.0.0 Ok: queued as 1234");

    const struct sk_tx_record *t = sk_txrec_get(r, 0);
    assert_non_null(t);
    assert_string_equal(t->helo, "GP");
    assert_int_equal(t->ts_us, 3000); /* the TX_OPEN event */
    assert_int_equal(t->trans_depth, 1);
    assert_int_equal(t->attachment.n, 1);
    assert_string_equal(t->attachment.v[0], "NEWS.txt");
    assert_int_equal(t->fuids.n, 1);
    assert_string_equal(t->fuids.v[0], "FabcDEF123.1");
    assert_true(t->has_email);

    tx_close(r, &c, 0, SK_TX_END_DATA);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.tx_id[0], 0);
    assert_int_equal(c.why[0], SK_TX_END_DATA);
    assert_string_equal(c.helo[0], "GP");
    assert_string_equal(c.mail_from[0], "<gurpartap@patriots.in>");
    assert_int_equal(c.n_rcpt[0], 2);
    assert_string_equal(c.last_reply[0], "250 2.0.0 Ok: queued as 1234");
    assert_string_equal(c.status[0], "PARSE_DONE");
    assert_string_equal(c.subject_md5[0], "5d41402abc4b2a76b9719d911017c592"); /* md5("hello") */
    assert_true(c.complete[0]);
    /* a second close of the same transaction is ignored */
    tx_close(r, &c, 0, SK_TX_END_DATA);
    assert_int_equal(c.n, 1);
    sk_txrec_free(r);
    closed_free(&c);
}

static void test_txrec_helo_carried_into_later_transactions(void **state)
{
    (void)state;
    struct sk_txrec *r;
    struct closed c = {0};
    assert_int_equal(sk_txrec_new(&r, NULL, "C1"), 0);
    field(r, &c, SK_TX_NONE, SK_FIELD_SMTP_HELO, "mx.example.org", 0);
    field(r, &c, 0, SK_FIELD_SMTP_MAIL_FROM, "<a@b>", 0);
    tx_close(r, &c, 0, SK_TX_END_DATA);
    field(r, &c, 1, SK_FIELD_SMTP_MAIL_FROM, "<c@d>", 0);
    tx_close(r, &c, 1, SK_TX_END_RSET);
    /* EHLO again inside tx 2 replaces the session's HELO for tx 2 and later */
    field(r, &c, 2, SK_FIELD_SMTP_HELO, "again", 0);
    tx_close(r, &c, 2, SK_TX_END_SESSION);
    field(r, &c, 3, SK_FIELD_SMTP_MAIL_FROM, "<e@f>", 0);
    sk_txrec_finish(r, on_close, &c);
    assert_int_equal(c.n, 4);
    assert_string_equal(c.helo[0], "mx.example.org");
    assert_string_equal(c.helo[1], "mx.example.org");
    assert_false(c.complete[1]);
    assert_string_equal(c.helo[2], "again");
    assert_string_equal(c.helo[3], "again");
    assert_int_equal(c.why[3], SK_TX_END_SESSION);
    assert_null(c.status[0]); /* no message: no email object */
    sk_txrec_free(r);
    closed_free(&c);
}

static void test_txrec_record_readable_after_close_until_pushed_out(void **state)
{
    (void)state;
    struct sk_txrec_limits lim = {.max_value_len = 64, .max_items = 8, .max_records = 2};
    struct sk_txrec *r;
    struct closed c = {0};
    assert_int_equal(sk_txrec_new(&r, &lim, "C1"), 0);
    field(r, &c, 0, SK_FIELD_SMTP_MAIL_FROM, "<a@b>", 0);
    tx_close(r, &c, 0, SK_TX_END_DATA);
    assert_non_null(sk_txrec_get(r, 0));
    assert_string_equal(sk_txrec_get(r, 0)->mail_from, "<a@b>");
    field(r, &c, 1, SK_FIELD_SMTP_MAIL_FROM, "<c@d>", 0);
    assert_non_null(sk_txrec_get(r, 0));
    field(r, &c, 2, SK_FIELD_SMTP_MAIL_FROM, "<e@f>", 0); /* pushes tx 0 out */
    assert_null(sk_txrec_get(r, 0));
    assert_non_null(sk_txrec_get(r, 1));
    assert_non_null(sk_txrec_get(r, 2));
    assert_null(sk_txrec_get(r, SK_TX_NONE));
    assert_int_equal(c.n, 1); /* nothing open was lost */
    sk_txrec_free(r);
    closed_free(&c);
}

static void test_txrec_open_record_evicted_is_handed_over(void **state)
{
    (void)state;
    struct sk_txrec_limits lim = {.max_value_len = 64, .max_items = 8, .max_records = 2};
    struct sk_txrec *r;
    struct closed c = {0};
    assert_int_equal(sk_txrec_new(&r, &lim, "C1"), 0);
    field(r, &c, 0, SK_FIELD_SMTP_MAIL_FROM, "<a@b>", 0);
    field(r, &c, 1, SK_FIELD_SMTP_MAIL_FROM, "<c@d>", 0);
    field(r, &c, 2, SK_FIELD_SMTP_MAIL_FROM, "<e@f>", 0);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.tx_id[0], 0);
    assert_int_equal(c.why[0], SK_TX_END_SESSION);
    assert_string_equal(c.mail_from[0], "<a@b>");
    sk_txrec_finish(r, on_close, &c);
    assert_int_equal(c.n, 3);
    assert_int_equal(c.tx_id[1], 1); /* in tx_id order */
    assert_int_equal(c.tx_id[2], 2);
    sk_txrec_free(r);
    closed_free(&c);
}

static void test_txrec_limits_cut_values_and_lists(void **state)
{
    (void)state;
    struct sk_txrec_limits lim = {.max_value_len = 8, .max_items = 3, .max_records = 2};
    struct sk_txrec *r;
    struct closed c = {0};
    assert_int_equal(sk_txrec_new(&r, &lim, "C1"), 0);
    field(r, &c, 0, SK_FIELD_SMTP_MAIL_FROM, "<0123456789@example.org>", 0);
    for (int i = 0; i < 10; i++)
        field(r, &c, 0, SK_FIELD_SMTP_RCPT_TO, "<x@y>", 0);
    struct sk_event ev = {.type = SK_EV_FIELD, .tx_id = 0};
    ev.u.field.id = SK_FIELD_EMAIL_SUBJECT;
    ev.u.field.value = (struct sk_str){(const uint8_t *)"a\0b\xff", 4};
    sk_txrec_event(r, &ev, 1, on_close, &c);
    const struct sk_tx_record *t = sk_txrec_get(r, 0);
    assert_string_equal(t->mail_from, "<0123456");
    assert_int_equal(t->rcpt_to.n, 3);
    assert_string_equal(t->email_subject, "ab\xff"); /* NUL dropped, other bytes kept */
    ev.u.field.id =
        SK_FIELD_EMAIL_FROM; /* NULs at both ends and in a row: cut first, then dropped */
    ev.u.field.value = (struct sk_str){(const uint8_t *)"\0\0x\0\0y\0z1234567890", 20};
    sk_txrec_event(r, &ev, 1, on_close, &c);
    assert_string_equal(t->email_from, "xyz");
    sk_txrec_free(r);
    closed_free(&c);
}

/* A record's values come from blocks of its slot: a value set again is rewritten in place
 * or copied out, so a value repeated with ever longer contents keeps the memory bounded; list
 * items spread over several blocks keep their contents; values of a pushed-out record leave
 * nothing behind (ASan). */
static void test_txrec_value_storage_reused_and_bounded(void **state)
{
    (void)state;
    struct sk_txrec_limits lim = {.max_value_len = 600, .max_items = 300, .max_records = 1};
    struct sk_txrec *r;
    struct closed c = {0};
    assert_int_equal(sk_txrec_new(&r, &lim, "C1"), 0);
    char v[700];
    field(r, &c, 0, SK_FIELD_SMTP_MAIL_FROM, "<a@b>", 0);
    size_t first = sk_txrec_memuse(r);
    for (int len = 1; len <= 600; len++) {
        memset(v, 'a' + len % 26, (size_t)len);
        v[len] = '\0';
        field(r, &c, 0, SK_FIELD_SMTP_MAIL_FROM, v, 0);
        assert_string_equal(sk_txrec_get(r, 0)->mail_from, v);
        field(r, &c, 0, SK_FIELD_SMTP_MAIL_FROM, "<x@y>", 0); /* in place, wherever it is */
        assert_string_equal(sk_txrec_get(r, 0)->mail_from, "<x@y>");
    }
    assert_true(sk_txrec_memuse(r) <= first + 2 * 600);
    for (int i = 0; i < 250; i++) {
        snprintf(v, sizeof(v), "<%d-%0*d@example.org>", i, i % 97, 0);
        field(r, &c, 0, SK_FIELD_SMTP_RCPT_TO, v, 0);
    }
    const struct sk_tx_record *t = sk_txrec_get(r, 0);
    assert_int_equal(t->rcpt_to.n, 250);
    for (int i = 0; i < 250; i++) {
        snprintf(v, sizeof(v), "<%d-%0*d@example.org>", i, i % 97, 0);
        assert_string_equal(t->rcpt_to.v[i], v);
    }
    field(r, &c, 1, SK_FIELD_SMTP_MAIL_FROM, "<next@b>", 0); /* pushes record 0 out */
    assert_null(sk_txrec_get(r, 0));
    assert_string_equal(sk_txrec_get(r, 1)->mail_from, "<next@b>");
    sk_txrec_free(r);
    closed_free(&c);
}

/* subject_md5 with the digest the caller fetched once, as the worker passes it: the same hex as
 * with OpenSSL's own lookup. */
static void test_txrec_subject_md5_with_fetched_digest(void **state)
{
    (void)state;
    struct sk_txrec_limits lim;
    sk_txrec_limits_defaults(&lim);
    assert_int_equal(lim.max_value_len, 4096);
    assert_int_equal(lim.max_records, 4);
    EVP_MD *md5 = EVP_MD_fetch(NULL, "MD5", NULL);
    assert_non_null(md5);
    lim.md5 = md5;
    struct sk_txrec *r;
    struct closed c = {0};
    assert_int_equal(sk_txrec_new(&r, &lim, "C1"), 0);
    field(r, &c, 0, SK_FIELD_EMAIL_SUBJECT, "hello", 0);
    tx_close(r, &c, 0, SK_TX_END_DATA);
    assert_string_equal(c.subject_md5[0], "5d41402abc4b2a76b9719d911017c592");
    sk_txrec_free(r);
    /* and with a context the caller keeps for every builder, as the worker's: reused */
    lim.md5_ctx = EVP_MD_CTX_new();
    assert_non_null(lim.md5_ctx);
    for (int k = 0; k < 2; k++) {
        assert_int_equal(sk_txrec_new(&r, &lim, "C1"), 0);
        field(r, &c, 0, SK_FIELD_EMAIL_SUBJECT, k ? "hello" : "world", 0);
        tx_close(r, &c, 0, SK_TX_END_DATA);
        sk_txrec_free(r);
    }
    assert_string_equal(c.subject_md5[1], "7d793037a0760186574b0282f2f435e7");
    assert_string_equal(c.subject_md5[2], "5d41402abc4b2a76b9719d911017c592");
    EVP_MD_CTX_free(lim.md5_ctx);
    closed_free(&c);
    EVP_MD_free(md5);
}

/* last_reply is rewritten in place by every reply: a shorter one after a longer one, a longer
 * one after that, each cut to max_value_len with NULs dropped, as the other values are. */
static void test_txrec_last_reply_rewritten(void **state)
{
    (void)state;
    struct sk_txrec_limits lim = {.max_value_len = 96, .max_items = 3, .max_records = 2};
    struct sk_txrec *r;
    struct closed c = {0};
    assert_int_equal(sk_txrec_new(&r, &lim, "C1"), 0);
    reply(r, &c, 0, 250, "2.1.0 Ok, a reply long enough to need more than the first buffer");
    assert_string_equal(sk_txrec_get(r, 0)->last_reply,
                        "250 2.1.0 Ok, a reply long enough to need more than the first buffer");
    reply(r, &c, 0, 354, "go");
    assert_string_equal(sk_txrec_get(r, 0)->last_reply, "354 go");
    char longer[200];
    memset(longer, 'x', sizeof(longer) - 1);
    longer[sizeof(longer) - 1] = '\0';
    reply(r, &c, 0, 421, longer);
    const char *lr = sk_txrec_get(r, 0)->last_reply;
    assert_int_equal(strlen(lr), 96);
    assert_memory_equal(lr, "421 xxxx", 8);
    struct sk_event ev = {.type = SK_EV_SMTP_REPLY, .tx_id = 0};
    ev.u.reply.code = 550;
    ev.u.reply.msg = (struct sk_str){(const uint8_t *)"n\0o", 3};
    sk_txrec_event(r, &ev, 1, on_close, &c);
    tx_close(r, &c, 0, SK_TX_END_RSET);
    assert_string_equal(c.last_reply[0], "550 no");
    ev.tx_id = 1; /* codes the parser would not take are written whole too */
    ev.u.reply.code = 25;
    ev.u.reply.msg = (struct sk_str){(const uint8_t *)"\0a\0\0b\0", 6};
    sk_txrec_event(r, &ev, 1, on_close, &c);
    assert_string_equal(sk_txrec_get(r, 1)->last_reply, "25 ab");
    ev.u.reply.code = 12345;
    ev.u.reply.msg = (struct sk_str){NULL, 0};
    sk_txrec_event(r, &ev, 1, on_close, &c);
    assert_string_equal(sk_txrec_get(r, 1)->last_reply, "12345 ");
    sk_txrec_free(r);
    closed_free(&c);
}

static void test_txrec_header_scan_across_chunks(void **state)
{
    (void)state;
    const char *msg = "Received: from a\r\nReply-To: <reply@example.org>\r\n"
                      "In-Reply-To: <orig@example.org>\r\nX-Originating-IP: [192.0.2.7]\r\n"
                      "User-Agent: Mutt/2.2\r\n\tfolded\r\nSubject: x\r\n\r\n"
                      "Reply-To: <body-not-header@example.org>\r\n";
    size_t n = strlen(msg);
    for (size_t split = 1; split < n; split += 7) {
        struct sk_txrec *r;
        struct closed c = {0};
        assert_int_equal(sk_txrec_new(&r, NULL, "C1"), 0);
        struct sk_event ev = {.type = SK_EV_FIELD, .tx_id = 0};
        ev.u.field.id = SK_FIELD_SMTP_DATA;
        ev.u.field.value = (struct sk_str){(const uint8_t *)msg, split};
        ev.u.field.flags = SK_FIELD_F_BEGIN;
        sk_txrec_event(r, &ev, 1, on_close, &c);
        ev.u.field.value = (struct sk_str){(const uint8_t *)msg + split, n - split};
        ev.u.field.flags = SK_FIELD_F_END;
        sk_txrec_event(r, &ev, 1, on_close, &c);
        const struct sk_tx_record *t = sk_txrec_get(r, 0);
        assert_string_equal(t->email_status, "PARSE_DONE"); /* data ended: before the close */
        assert_string_equal(t->email_reply_to, "<reply@example.org>");
        assert_string_equal(t->email_in_reply_to, "<orig@example.org>");
        assert_string_equal(t->email_x_originating_ip, "192.0.2.7");
        assert_string_equal(t->email_user_agent, "Mutt/2.2\tfolded");
        tx_close(r, &c, 0, SK_TX_END_DATA);
        assert_string_equal(c.status[0], "PARSE_DONE");
        sk_txrec_free(r);
        closed_free(&c);
    }
}

static void test_txrec_header_scan_cut_header_keeps_last_line(void **state)
{
    (void)state;
    struct sk_txrec *r;
    struct closed c = {0};
    assert_int_equal(sk_txrec_new(&r, NULL, "C1"), 0);
    struct sk_event ev = {.type = SK_EV_FIELD, .tx_id = 0};
    ev.u.field.id = SK_FIELD_SMTP_DATA;
    ev.u.field.value = S("Subject: x\r\nX-Mailer: swaks");
    ev.u.field.flags = SK_FIELD_F_BEGIN | SK_FIELD_F_END; /* message ends inside the header */
    sk_txrec_event(r, &ev, 1, on_close, &c);
    assert_string_equal(sk_txrec_get(r, 0)->email_user_agent, "swaks");
    sk_txrec_free(r);
    closed_free(&c);
}

static void test_txrec_starttls_anomalies_and_parse_error(void **state)
{
    (void)state;
    struct sk_txrec *r;
    struct closed c = {0};
    assert_int_equal(sk_txrec_new(&r, NULL, "C1"), 0);
    field(r, &c, 0, SK_FIELD_EMAIL_SUBJECT, "s", 0);
    assert_string_equal(sk_txrec_get(r, 0)->email_status, "BODY_STARTED");
    anomaly(r, &c, 0, SK_ANOMALY_MIME_PARSE_FAILED);
    anomaly(r, &c, 0, SK_ANOMALY_MIME_PARSE_FAILED);
    anomaly(r, &c, 0, SK_ANOMALY_BARE_LF);
    anomaly(r, &c, SK_TX_NONE, SK_ANOMALY_BARE_CR); /* outside: no record */
    const struct sk_tx_record *t = sk_txrec_get(r, 0);
    assert_int_equal(t->anomalies.n, 2);
    assert_string_equal(t->anomalies.v[0], "MIME_PARSE_FAILED");
    assert_string_equal(t->anomalies.v[1], "BARE_LF");
    simple(r, &c, SK_EV_SMTP_STARTTLS, SK_TX_NONE);
    assert_true(sk_txrec_get(r, 0)->tls);
    tx_close(r, &c, 0, SK_TX_END_STARTTLS);
    assert_string_equal(c.status[0], "PARSE_ERROR");
    assert_true(c.tls[0]);
    field(r, &c, 1, SK_FIELD_SMTP_MAIL_FROM, "<a@b>", 0);
    assert_true(sk_txrec_get(r, 1)->tls); /* the session stays TLS */
    sk_txrec_free(r);
    sk_txrec_free(NULL);
    closed_free(&c);
}

/* Suricata 8 (suricata-verify bug-1449-01): MIME anomalies other than a failed parse leave
 * email.status PARSE_DONE. */
static void test_txrec_mime_malformed_is_still_parse_done(void **state)
{
    (void)state;
    struct sk_txrec *r;
    struct closed c = {0};
    assert_int_equal(sk_txrec_new(&r, NULL, "C1"), 0);
    field(r, &c, 0, SK_FIELD_EMAIL_SUBJECT, "s", 0);
    anomaly(r, &c, 0, SK_ANOMALY_MIME_MALFORMED_MSG);
    anomaly(r, &c, 0, SK_ANOMALY_MIME_LONG_BOUNDARY);
    assert_string_equal(sk_txrec_get(r, 0)->email_status, "BODY_STARTED");
    tx_close(r, &c, 0, SK_TX_END_DATA);
    assert_string_equal(c.status[0], "PARSE_DONE");
    sk_txrec_free(r);
    closed_free(&c);
}

static void test_txrec_raw_data_event_marks_a_message(void **state)
{
    (void)state;
    struct sk_txrec *r;
    struct closed c = {0};
    assert_int_equal(sk_txrec_new(&r, NULL, "C1"), 0);
    field(r, &c, 0, SK_FIELD_SMTP_MAIL_FROM, "<a@b>", 0);
    assert_false(sk_txrec_get(r, 0)->has_email);
    struct sk_event ev = {.type = SK_EV_SMTP_DATA, .is_orig = true, .tx_id = 0};
    ev.u.data.data = S("Subject: x\r\n\r\nbody\r\n");
    sk_txrec_event(r, &ev, 5, on_close, &c);
    assert_true(sk_txrec_get(r, 0)->has_email);
    assert_string_equal(sk_txrec_get(r, 0)->email_status, "BODY_STARTED");
    tx_close(r, &c, 0, SK_TX_END_DATA);
    assert_string_equal(c.status[0], "PARSE_DONE");
    tx_close(r, &c, 7, SK_TX_END_RSET); /* a close first seen: a record anyway */
    assert_int_equal(c.n, 2);
    assert_int_equal(c.tx_id[1], 7);
    assert_false(c.complete[1]);
    sk_txrec_free(r);
    closed_free(&c);
}

/* One step of a random session: a field (kept or not, message bytes in pieces), a reply, a
 * command, an anomaly, a file, a close, for one of six transactions (more than the records
 * kept, so records are made and pushed out). Records closed are not looked at. */
static void random_step(struct sk_txrec *r, uint32_t *seed)
{
    static const enum sk_field_id ids[] = {
        SK_FIELD_SMTP_HELO,         SK_FIELD_SMTP_MAIL_FROM, SK_FIELD_SMTP_RCPT_TO,
        SK_FIELD_SMTP_DATA,         SK_FIELD_SMTP_DATA,      SK_FIELD_SMTP_DATA,
        SK_FIELD_EMAIL_SUBJECT,     SK_FIELD_EMAIL_TO,       SK_FIELD_EMAIL_URL,
        SK_FIELD_FILE_DATA,         SK_FIELD_FILE_NAME,      SK_FIELD_SMTP_STARTTLS,
        SK_FIELD_SMTP_COMMAND_LINE, SK_FIELD_SMTP_REPLY_MSG, SK_FIELD_EMAIL_STATUS};
    static const char *vals[] = {"x", "Subject: hello\r\nTo: <a@b.example>\r\n",
                                 "a somewhat longer value that takes more room", "\r\n\r\nbody"};
    uint32_t v = *seed = *seed * 1103515245u + 12345u;
    /* some events outside any transaction */
    struct sk_event ev = {.tx_id = (v >> 8) % 7 == 6 ? SK_TX_NONE : (v >> 8) % 7, .is_orig = true};
    switch ((v >> 16) % 8) {
    case 0:
    case 1:
    case 2:
        ev.type = SK_EV_FIELD;
        ev.u.field.id = ids[(v >> 4) % (sizeof(ids) / sizeof(ids[0]))];
        ev.u.field.value = S(vals[(v >> 20) % 4]);
        ev.u.field.flags = (v >> 24) % 3 == 0 ? SK_FIELD_F_BEGIN : 0;
        break;
    case 3:
        ev.type = SK_EV_SMTP_REPLY;
        ev.u.reply.code = 250;
        ev.u.reply.cmd = S("MAIL");
        ev.u.reply.msg = S(vals[(v >> 20) % 4]);
        break;
    case 4:
        ev.type = (v >> 20) % 2 ? SK_EV_SMTP_DATA : SK_EV_SMTP_REQUEST;
        break;
    case 5:
        ev.type = SK_EV_ANOMALY;
        ev.u.anomaly.id = (enum sk_anomaly_id)((v >> 20) % 4);
        break;
    case 6:
        ev.type = SK_EV_FILE;
        ev.u.file.file_id = (v >> 20) % 5 + 1;
        ev.u.file.name = S("f.pdf");
        break;
    default:
        ev.type = SK_EV_TX_CLOSE;
        ev.u.tx_close.why = SK_TX_END_DATA;
        break;
    }
    sk_txrec_event(r, &ev, 1000 + (v >> 10) % 100, NULL, NULL);
}

/* sk_txrec_memuse() answers from its last walk while no event could change the memory: asked
 * after every event of a random session, it always equals a fresh walk (a new builder given
 * the same events, asked once). */
static void test_txrec_memuse_cached_equals_walk(void **state)
{
    (void)state;
    enum { STEPS = 300 };
    struct sk_txrec *r;
    assert_int_equal(sk_txrec_new(&r, NULL, "C1"), 0);
    uint32_t seed = 7;
    size_t changed = 0, last = 0;
    for (int k = 1; k <= STEPS; k++) {
        random_step(r, &seed);
        size_t cached = sk_txrec_memuse(r);
        changed += cached != last;
        last = cached;
        struct sk_txrec *fresh;
        assert_int_equal(sk_txrec_new(&fresh, NULL, "C1"), 0);
        uint32_t s2 = 7;
        for (int j = 0; j < k; j++)
            random_step(fresh, &s2);
        assert_int_equal(cached, sk_txrec_memuse(fresh));
        sk_txrec_free(fresh);
    }
    assert_true(changed > STEPS / 10); /* the session did grow and shrink its records */
    sk_txrec_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_txrec_full_transaction),
        cmocka_unit_test(test_txrec_zeek_depth_and_ts),
        cmocka_unit_test(test_txrec_helo_carried_into_later_transactions),
        cmocka_unit_test(test_txrec_record_readable_after_close_until_pushed_out),
        cmocka_unit_test(test_txrec_open_record_evicted_is_handed_over),
        cmocka_unit_test(test_txrec_limits_cut_values_and_lists),
        cmocka_unit_test(test_txrec_value_storage_reused_and_bounded),
        cmocka_unit_test(test_txrec_subject_md5_with_fetched_digest),
        cmocka_unit_test(test_txrec_last_reply_rewritten),
        cmocka_unit_test(test_txrec_header_scan_across_chunks),
        cmocka_unit_test(test_txrec_header_scan_cut_header_keeps_last_line),
        cmocka_unit_test(test_txrec_starttls_anomalies_and_parse_error),
        cmocka_unit_test(test_txrec_mime_malformed_is_still_parse_done),
        cmocka_unit_test(test_txrec_raw_data_event_marks_a_message),
        cmocka_unit_test(test_txrec_memuse_cached_equals_walk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
