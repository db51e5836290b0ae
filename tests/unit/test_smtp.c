/* SPDX-License-Identifier: GPL-2.0-only */
/* The SMTP parser from literal byte strings: a recording sink turns every event into a line of
 * text, each script is checked against its expected text, and every script is replayed split
 * at every byte offset and byte by byte with the same text out. Adjacent smtp_data events and
 * smtp.data chunks are joined before comparing, since their cut depends on the feeds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <malloc.h>
#include <cmocka.h>

#include "engine/error.h"
#include "parsers/line_end.h"
#include "parsers/parser.h"
#include "parsers/smtp/smtp.h"

/* ---- recording sink ---- */

struct rec {
    char *text;
    size_t len, cap;
    bool coalesce;
    /* While coalescing, a run of smtp_data events and smtp.data chunks of one direction and
     * transaction is held here and written as one DATA line and one smtp.data line. */
    bool run;
    bool run_orig;
    uint64_t run_tx;
    bool run_has_ev, run_has_f, run_begin;
    char *ev_buf, *f_buf;
    size_t ev_len, f_len;
};

static void put(struct rec *r, const char *s, size_t n)
{
    if (r->len + n + 1 > r->cap) {
        r->cap = (r->len + n + 1) * 2;
        r->text = realloc(r->text, r->cap);
        assert_non_null(r->text);
    }
    memcpy(r->text + r->len, s, n);
    r->len += n;
    r->text[r->len] = 0;
}

static void putf(struct rec *r, const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    put(r, buf, (size_t)n);
}

static void put_esc(struct rec *r, struct sk_str s)
{
    for (size_t i = 0; i < s.len; i++) {
        uint8_t c = s.ptr[i];
        if (c == '\r')
            put(r, "\\r", 2);
        else if (c == '\n')
            put(r, "\\n", 2);
        else if (c == '"' || c == '\\')
            putf(r, "\\%c", c);
        else if (c < 32 || c > 126)
            putf(r, "\\x%02x", c);
        else
            put(r, (const char *)&c, 1);
    }
}

static void put_str(struct rec *r, struct sk_str s)
{
    put(r, "\"", 1);
    put_esc(r, s);
    put(r, "\"", 1);
}

static void put_tx(struct rec *r, uint64_t tx)
{
    if (tx == SK_TX_NONE)
        put(r, " -", 2);
    else
        putf(r, " %llu", (unsigned long long)tx);
}

static void grow_append(char **buf, size_t *len, const uint8_t *p, size_t n)
{
    *buf = realloc(*buf, *len + n + 1);
    assert_non_null(*buf);
    memcpy(*buf + *len, p, n);
    *len += n;
}

static void flush_run(struct rec *r)
{
    if (!r->run)
        return;
    r->run = false;
    const char *side = r->run_orig ? "c" : "s";
    if (r->run_has_ev) {
        putf(r, "DATA %s", side);
        put_tx(r, r->run_tx);
        put(r, " ", 1);
        put_str(r, (struct sk_str){(const uint8_t *)r->ev_buf, r->ev_len});
        put(r, "\n", 1);
    }
    if (r->run_has_f) {
        putf(r, "F %s", side);
        put_tx(r, r->run_tx);
        put(r, " smtp.data ", 11);
        put_str(r, (struct sk_str){(const uint8_t *)r->f_buf, r->f_len});
        if (r->run_begin)
            put(r, " B", 2);
        put(r, "\n", 1);
    }
    free(r->ev_buf);
    free(r->f_buf);
    r->ev_buf = r->f_buf = NULL;
    r->ev_len = r->f_len = 0;
}

/* Takes a data event or a data chunk into the run; returns false when it does not belong. */
static bool take_run(struct rec *r, const struct sk_event *ev)
{
    bool is_ev = ev->type == SK_EV_SMTP_DATA;
    bool is_f = ev->type == SK_EV_FIELD && ev->u.field.id == SK_FIELD_SMTP_DATA &&
                !(ev->u.field.flags & SK_FIELD_F_END);
    if (!r->coalesce || (!is_ev && !is_f))
        return false;
    if (r->run && (r->run_orig != ev->is_orig || r->run_tx != ev->tx_id ||
                   (is_f && r->run_has_f && (ev->u.field.flags & SK_FIELD_F_BEGIN))))
        flush_run(r);
    if (!r->run) {
        r->run = true;
        r->run_orig = ev->is_orig;
        r->run_tx = ev->tx_id;
        r->run_has_ev = r->run_has_f = r->run_begin = false;
    }
    if (is_ev) {
        r->run_has_ev = true;
        grow_append(&r->ev_buf, &r->ev_len, ev->u.data.data.ptr, ev->u.data.data.len);
    } else {
        r->run_has_f = true;
        r->run_begin |= (ev->u.field.flags & SK_FIELD_F_BEGIN) != 0;
        grow_append(&r->f_buf, &r->f_len, ev->u.field.value.ptr, ev->u.field.value.len);
    }
    return true;
}

static const char *const why_names[] = {"data", "rset", "session", "starttls", "mail"};

static void record(void *ctx, const struct sk_event *ev)
{
    struct rec *r = ctx;
    const char *side = ev->is_orig ? "c" : "s";
    if (take_run(r, ev))
        return;
    flush_run(r);
    switch (ev->type) {
    case SK_EV_SMTP_REQUEST:
        putf(r, "REQ %s", side);
        put_tx(r, ev->tx_id);
        put(r, " ", 1);
        put_str(r, ev->u.request.command);
        put(r, " ", 1);
        put_str(r, ev->u.request.arg);
        break;
    case SK_EV_SMTP_REPLY:
        putf(r, "REP %s", side);
        put_tx(r, ev->tx_id);
        putf(r, " %u ", ev->u.reply.code);
        put_str(r, ev->u.reply.cmd);
        put(r, " ", 1);
        put_str(r, ev->u.reply.msg);
        if (ev->u.reply.cont_resp)
            put(r, " cont", 5);
        break;
    case SK_EV_SMTP_DATA:
        putf(r, "DATA %s", side);
        put_tx(r, ev->tx_id);
        put(r, " ", 1);
        put_str(r, ev->u.data.data);
        break;
    case SK_EV_SMTP_STARTTLS:
        put(r, "STARTTLS", 8);
        put_tx(r, ev->tx_id);
        break;
    case SK_EV_SMTP_UNEXPECTED:
        putf(r, "UNEXP %s", side);
        put_tx(r, ev->tx_id);
        put(r, " ", 1);
        put_str(r, ev->u.unexpected.msg);
        put(r, " ", 1);
        put_str(r, ev->u.unexpected.detail);
        break;
    case SK_EV_FIELD: {
        const struct sk_field_def *d = sk_field_def(ev->u.field.id);
        putf(r, "F %s", side);
        put_tx(r, ev->tx_id);
        putf(r, " %s", d->name);
        if (d->kind == SK_FIELD_NUMBER) {
            putf(r, " =%llu", (unsigned long long)ev->u.field.number);
        } else if (d->kind != SK_FIELD_FLAG) {
            put(r, " ", 1);
            put_str(r, ev->u.field.value);
        }
        if (ev->u.field.flags & SK_FIELD_F_BEGIN)
            put(r, " B", 2);
        if (ev->u.field.flags & SK_FIELD_F_END)
            put(r, " E", 2);
        break;
    }
    case SK_EV_ANOMALY:
        putf(r, "ANOM %s", side);
        put_tx(r, ev->tx_id);
        putf(r, " %s", sk_anomaly_name(ev->u.anomaly.id));
        break;
    case SK_EV_TX_OPEN:
        put(r, "OPEN", 4);
        put_tx(r, ev->tx_id);
        break;
    case SK_EV_TX_CLOSE:
        put(r, "CLOSE", 5);
        put_tx(r, ev->tx_id);
        putf(r, " %s", why_names[ev->u.tx_close.why]);
        break;
    default:
        fail_msg("unexpected event type %d", ev->type);
    }
    put(r, "\n", 1);
}

/* ---- scripts ---- */

enum step_kind { C, S, GAP_C, GAP_S, DONE, START };

struct step {
    enum step_kind kind;
    const char *bytes; /* for C and S */
    size_t len;        /* bytes, or the gap length; 0 with bytes: strlen */
};

#define W_ALL 0xffffffffu
#define W_PROTO                                                                                    \
    (SK_EV_BIT(SK_EV_SMTP_REQUEST) | SK_EV_BIT(SK_EV_SMTP_REPLY) | SK_EV_BIT(SK_EV_SMTP_DATA) |    \
     SK_EV_BIT(SK_EV_SMTP_STARTTLS) | SK_EV_BIT(SK_EV_SMTP_UNEXPECTED) |                           \
     SK_EV_BIT(SK_EV_ANOMALY) | SK_EV_BIT(SK_EV_TX_OPEN) | SK_EV_BIT(SK_EV_TX_CLOSE))
#define W_ANOM (SK_EV_BIT(SK_EV_ANOMALY))

static size_t step_len(const struct step *s)
{
    if (s->kind == C || s->kind == S)
        return s->len ? s->len : strlen(s->bytes);
    return s->len;
}

/* Runs a script; split_step/split_at cut one feed in two (split_at 0: no cut); bytewise feeds
 * every data step one byte at a time. Returns the recorded text (caller frees). */
static char *run_script(const struct sk_smtp_config *cfg, const struct step *steps, size_t n,
                        uint32_t want, bool coalesce, size_t split_step, size_t split_at,
                        bool bytewise, bool *done_out)
{
    struct rec r = {.coalesce = coalesce};
    put(&r, "", 0);
    struct sk_sink sink = {.emit = record, .ctx = &r, .want = want};
    void *st = NULL;
    assert_int_equal(sk_smtp_parser.state_new(&st, cfg, &sink), 0);
    bool closed = false;
    for (size_t i = 0; i < n; i++) {
        const struct step *s = &steps[i];
        size_t len = step_len(s);
        switch (s->kind) {
        case C:
        case S: {
            bool orig = s->kind == C;
            const uint8_t *b = (const uint8_t *)s->bytes;
            if (bytewise) {
                for (size_t k = 0; k < len; k++)
                    sk_smtp_parser.feed(st, orig, b + k, 1);
            } else if (i == split_step && split_at > 0 && split_at < len) {
                sk_smtp_parser.feed(st, orig, b, split_at);
                sk_smtp_parser.feed(st, orig, b + split_at, len - split_at);
            } else {
                sk_smtp_parser.feed(st, orig, b, len);
            }
            break;
        }
        case GAP_C:
        case GAP_S:
            sk_smtp_parser.gap(st, s->kind == GAP_C, len);
            break;
        case DONE:
            sk_smtp_parser.close(st);
            closed = true;
            break;
        case START: /* the flow was seen from its handshake */
            sk_smtp_parser.session_start(st);
            break;
        }
    }
    if (done_out)
        *done_out = sk_smtp_parser.done(st);
    flush_run(&r);
    (void)closed;
    sk_smtp_parser.state_free(st);
    return r.text;
}

/* Prints recorded text as C string literals, to compare by eye with what is expected. */
static void dump(const char *t)
{
    fprintf(stderr, "---- got ----\n");
    for (const char *l = t; *l;) {
        const char *nl = strchr(l, '\n');
        size_t n = nl ? (size_t)(nl - l) : strlen(l);
        fputs("        \"", stderr);
        for (size_t i = 0; i < n; i++) {
            if (l[i] == '"' || l[i] == '\\')
                fputc('\\', stderr);
            fputc(l[i], stderr);
        }
        fputs("\\n\"\n", stderr);
        l += n + (nl ? 1 : 0);
    }
    fprintf(stderr, "---- end ----\n");
}

/* Checks a script's output against expected (NULL: print it), then replays it split at every
 * byte offset of every step and byte by byte, wanting everything and wanting only want. */
static void check_cfg(const struct sk_smtp_config *cfg, const struct step *steps, size_t n,
                      uint32_t want, const char *expected)
{
    char *out = run_script(cfg, steps, n, want, true, 0, 0, false, NULL);
    if (!expected || strcmp(out, expected) != 0)
        dump(out);
    assert_non_null(expected);
    assert_string_equal(out, expected);

    char *all = run_script(cfg, steps, n, W_ALL, true, 0, 0, false, NULL);
    for (size_t i = 0; i < n; i++) {
        if (steps[i].kind != C && steps[i].kind != S)
            continue;
        size_t len = step_len(&steps[i]);
        for (size_t k = 1; k < len; k++) {
            char *o = run_script(cfg, steps, n, W_ALL, true, i, k, false, NULL);
            if (strcmp(o, all) != 0)
                fprintf(stderr, "split step %zu at %zu differs:\n%s----\n%s", i, k, o, all);
            assert_string_equal(o, all);
            free(o);
        }
    }
    char *b = run_script(cfg, steps, n, W_ALL, true, 0, 0, true, NULL);
    assert_string_equal(b, all);
    free(b);
    b = run_script(cfg, steps, n, want, true, 0, 0, true, NULL);
    assert_string_equal(b, out);
    free(b);
    free(all);
    free(out);
}

#define CHECK(steps, want, expected)                                                               \
    check_cfg(NULL, steps, sizeof(steps) / sizeof(steps[0]), want, expected)
#define CHECK_CFG(cfg, steps, want, expected)                                                      \
    check_cfg(cfg, steps, sizeof(steps) / sizeof(steps[0]), want, expected)

/* ---- sessions ---- */

static const char greeting[] = "220 mx.example.org ESMTP\r\n";

static void test_smtp_basic_session(void **state)
{
    (void)state;
    static const struct step steps[] = {
        {S, greeting, 0},
        {C, "EHLO client.example.com\r\n", 0},
        {S, "250-mx.example.org\r\n250-PIPELINING\r\n250 CHUNKING\r\n", 0},
        {C, "MAIL FROM:<alice@example.com> SIZE=100\r\n", 0},
        {S, "250 2.1.0 Ok\r\n", 0},
        {C, "RCPT TO:<bob@example.org>\r\n", 0},
        {S, "250 2.1.5 Ok\r\n", 0},
        {C, "DATA\r\n", 0},
        {S, "354 End data with <CR><LF>.<CR><LF>\r\n", 0},
        {C, "Subject: hi\r\n\r\nbody\r\n.\r\n", 0},
        {S, "250 2.0.0 Ok: queued\r\n", 0},
        {C, "QUIT\r\n", 0},
        {S, "221 2.0.0 Bye\r\n", 0},
        {DONE, NULL, 0},
    };
    CHECK(steps, W_ALL,
          "REP s - 220 \">\" \"mx.example.org ESMTP\"\n"
          "F s - smtp.reply_code =220\n"
          "F s - smtp.reply_msg \"mx.example.org ESMTP\"\n"
          "OPEN 0\n"
          "REQ c 0 \"EHLO\" \"client.example.com\"\n"
          "F c 0 smtp.command \"EHLO\"\n"
          "F c 0 smtp.arg \"client.example.com\"\n"
          "F c 0 smtp.command_line \"EHLO client.example.com\"\n"
          "F c 0 smtp.helo \"client.example.com\"\n"
          "REP s 0 250 \"EHLO\" \"mx.example.org\" cont\n"
          "F s 0 smtp.reply_code =250\n"
          "F s 0 smtp.reply_msg \"mx.example.org\"\n"
          "REP s 0 250 \"EHLO\" \"PIPELINING\" cont\n"
          "F s 0 smtp.reply_code =250\n"
          "F s 0 smtp.reply_msg \"PIPELINING\"\n"
          "REP s 0 250 \"EHLO\" \"CHUNKING\"\n"
          "F s 0 smtp.reply_code =250\n"
          "F s 0 smtp.reply_msg \"CHUNKING\"\n"
          "REQ c 0 \"MAIL\" \"FROM:<alice@example.com> SIZE=100\"\n"
          "F c 0 smtp.command \"MAIL\"\n"
          "F c 0 smtp.arg \"FROM:<alice@example.com> SIZE=100\"\n"
          "F c 0 smtp.command_line \"MAIL FROM:<alice@example.com> SIZE=100\"\n"
          "F c 0 smtp.mail_from \"<alice@example.com>\"\n"
          "REP s 0 250 \"MAIL\" \"2.1.0 Ok\"\n"
          "F s 0 smtp.reply_code =250\n"
          "F s 0 smtp.reply_msg \"2.1.0 Ok\"\n"
          "REQ c 0 \"RCPT\" \"TO:<bob@example.org>\"\n"
          "F c 0 smtp.command \"RCPT\"\n"
          "F c 0 smtp.arg \"TO:<bob@example.org>\"\n"
          "F c 0 smtp.command_line \"RCPT TO:<bob@example.org>\"\n"
          "F c 0 smtp.rcpt_to \"<bob@example.org>\"\n"
          "REP s 0 250 \"RCPT\" \"2.1.5 Ok\"\n"
          "F s 0 smtp.reply_code =250\n"
          "F s 0 smtp.reply_msg \"2.1.5 Ok\"\n"
          "REQ c 0 \"DATA\" \"\"\n"
          "F c 0 smtp.command \"DATA\"\n"
          "F c 0 smtp.arg \"\"\n"
          "F c 0 smtp.command_line \"DATA\"\n"
          "REP s 0 354 \"DATA\" \"End data with <CR><LF>.<CR><LF>\"\n"
          "F s 0 smtp.reply_code =354\n"
          "F s 0 smtp.reply_msg \"End data with <CR><LF>.<CR><LF>\"\n"
          "DATA c 0 \"Subject: hibody\"\n"
          "F c 0 smtp.data \"Subject: hi\\r\\n\\r\\nbody\\r\\n\" B\n"
          "F c 0 smtp.data \"\" E\n"
          "REQ c 0 \".\" \".\"\n"
          "F c 0 smtp.command \".\"\n"
          "F c 0 smtp.arg \".\"\n"
          "F c 0 smtp.command_line \".\"\n"
          "REP s 0 250 \".\" \"2.0.0 Ok: queued\"\n"
          "F s 0 smtp.reply_code =250\n"
          "F s 0 smtp.reply_msg \"2.0.0 Ok: queued\"\n"
          "CLOSE 0 data\n"
          "REQ c - \"QUIT\" \"\"\n"
          "F c - smtp.command \"QUIT\"\n"
          "F c - smtp.arg \"\"\n"
          "F c - smtp.command_line \"QUIT\"\n"
          "REP s - 221 \"QUIT\" \"2.0.0 Bye\"\n"
          "F s - smtp.reply_code =221\n"
          "F s - smtp.reply_msg \"2.0.0 Bye\"\n");
}

#define W_EV                                                                                       \
    (SK_EV_BIT(SK_EV_SMTP_REQUEST) | SK_EV_BIT(SK_EV_SMTP_REPLY) | SK_EV_BIT(SK_EV_SMTP_DATA) |    \
     SK_EV_BIT(SK_EV_SMTP_STARTTLS) | SK_EV_BIT(SK_EV_SMTP_UNEXPECTED))
#define W_TX    (SK_EV_BIT(SK_EV_TX_OPEN) | SK_EV_BIT(SK_EV_TX_CLOSE))
#define W_AT    (W_ANOM | W_TX)
#define W_FIELD (SK_EV_BIT(SK_EV_FIELD))

static const char ehlo[] = "EHLO c.example\r\n";
static const char ehlo_ok[] = "250-mx\r\n250 PIPELINING\r\n";

static void test_smtp_probe(void **state)
{
    (void)state;
    int (*probe)(bool, const uint8_t *, size_t) = sk_smtp_parser.probe;
#define P(o, s) probe(o, (const uint8_t *)(s), sizeof(s) - 1)
    assert_int_equal(P(false, "220 mx ESMTP\r\n"), 1);
    assert_int_equal(P(false, "220-mx\r\n"), 1);
    assert_int_equal(P(false, "22"), -1);
    assert_int_equal(P(false, "220"), -1);
    assert_int_equal(P(false, "HTTP/1.1 200 OK\r\n"), 0);
    assert_int_equal(P(false, "2200"), 0);
    assert_int_equal(P(true, "EHLO x\r\n"), 1);
    assert_int_equal(P(true, "helo x\r\n"), 1);
    assert_int_equal(P(true, "EHL"), -1);
    assert_int_equal(P(true, "GET / HTTP/1.1\r\n"), 0);
    assert_int_equal(P(true, "EHLOX"), 0);
#undef P
}

static void test_smtp_config_defaults_and_invalid(void **state)
{
    (void)state;
    struct sk_smtp_config cfg;
    sk_smtp_config_defaults(&cfg);
    assert_int_equal(cfg.max_command_line, 4096);
    assert_int_equal(cfg.max_pending_commands, 128);
    assert_int_equal(cfg.max_recipients, 100);
    assert_true(cfg.log_credentials); /* Zeek's arguments, unmasked, by default */
    assert_null(cfg.body);
    struct rec r = {0};
    struct sk_sink sink = {.emit = record, .ctx = &r, .want = W_ALL};
    void *st = NULL;
    cfg.max_pending_commands = 0;
    assert_int_equal(sk_smtp_parser.state_new(&st, &cfg, &sink), SK_E_INVAL);
    sk_smtp_config_defaults(&cfg);
    cfg.max_command_line = 4;
    assert_int_equal(sk_smtp_parser.state_new(&st, &cfg, &sink), SK_E_INVAL);
    assert_int_equal(sk_smtp_parser.state_new(&st, NULL, &sink), 0);
    assert_false(sk_smtp_parser.done(st));
    sk_smtp_parser.state_free(st);
    sk_smtp_parser.state_free(NULL);
}

/* Runs steps without joining smtp_data events and smtp.data chunks, and checks the smtp_data
 * events and fields from the first client smtp_data on. */
static void check_data_trace(const struct step *steps, size_t n, const char *expected)
{
    char *out =
        run_script(NULL, steps, n, SK_EV_BIT(SK_EV_SMTP_DATA) | W_FIELD, false, 0, 0, false, NULL);
    const char *data = strstr(out, "DATA c");
    assert_non_null(data);
    assert_string_equal(data, expected);
    free(out);
}

/* Non-coalesced: one smtp_data per line, the leading dot of a stuffed line removed. */
struct anom_count {
    int memcap;
};

static void count_memcap(void *ctx, const struct sk_event *ev)
{
    struct anom_count *c = ctx;
    if (ev->type == SK_EV_ANOMALY && ev->u.anomaly.id == SK_ANOMALY_APP_LAYER_MEMCAP)
        c->memcap++;
}

static void feed_str(void *st, bool orig, const char *s)
{
    sk_smtp_parser.feed(st, orig, (const uint8_t *)s, strlen(s));
}

/* The state is charged to the budget, buffers only when a line spans feeds (or a HELO is
 * kept, or the queue grows), and a refused growth stops parsing with APP_LAYER_MEMCAP. */
static void test_smtp_budget_charged_and_refused(void **state)
{
    (void)state;
    struct sk_smtp_config cfg;
    sk_smtp_config_defaults(&cfg);
    struct sk_mem_budget b = {.cap = 1 << 20};
    cfg.budget = &b;
    struct anom_count n = {0};
    struct sk_sink sink = {.emit = count_memcap, .ctx = &n, .want = ~0u};
    void *st = NULL;
    assert_int_equal(sk_smtp_parser.state_new(&st, &cfg, &sink), 0);
    size_t base = b.used;
    assert_true(base > 0 && base < 1024); /* no line buffer up front */
    feed_str(st, false, "220 mx ready\r\n");
    assert_int_equal(b.used, base); /* a whole line is parsed in place */
    feed_str(st, true, "NOOP");
    feed_str(st, true, "\r\n");
    assert_int_equal(b.used, base + sk_mem_alloc_cost(256)); /* a line across feeds: the smallest */
    for (int i = 0; i < 10; i++)
        feed_str(st, true, "NOOP\r\n"); /* pipelined: the queue grows */
    size_t grown = b.used;
    assert_true(grown > base + 256);
    assert_int_equal(n.memcap, 0);
    assert_false(sk_smtp_parser.done(st));
    sk_smtp_parser.state_free(st);
    assert_int_equal(b.used, 0);

    /* Room for the state but not for a line buffer. */
    b = (struct sk_mem_budget){.cap = base + 100};
    assert_int_equal(sk_smtp_parser.state_new(&st, &cfg, &sink), 0);
    feed_str(st, false, "220 mx ready\r\n");
    feed_str(st, true, "EHLO clie");
    assert_int_equal(n.memcap, 1);
    assert_true(b.refused >= 1);
    assert_true(sk_smtp_parser.done(st));
    feed_str(st, true, "nt\r\nMAIL FROM:<a@b>\r\n"); /* ignored: no more events */
    assert_int_equal(n.memcap, 1);
    sk_smtp_parser.state_free(st);
    assert_int_equal(b.used, 0);

    /* No room for the state itself. */
    b = (struct sk_mem_budget){.cap = 64};
    assert_int_equal(sk_smtp_parser.state_new(&st, &cfg, &sink), SK_E_LIMIT);
    assert_int_equal(b.used, 0);
    assert_int_equal(b.refused, 1);
}

static void test_smtp_dot_unstuffing(void **state)
{
    (void)state;
    static const struct step steps[] = {
        {S, greeting, 0},
        {C, "HELO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n", 0},
        {S, "250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n", 0},
        {C, "..leading dot\r\n.\r\n", 0},
    };
    check_data_trace(steps, 4,
                     "DATA c 0 \".leading dot\"\n"
                     "F c 0 smtp.data \".leading dot\\r\\n\" B\n"
                     "F c 0 smtp.data \"\" E\n"
                     "F c 0 smtp.command \".\"\n"
                     "F c 0 smtp.arg \".\"\n"
                     "F c 0 smtp.command_line \".\"\n");
    CHECK(steps, SK_EV_BIT(SK_EV_SMTP_DATA) | SK_EV_BIT(SK_EV_SMTP_REQUEST),
          "REQ c 0 \"HELO\" \"x\"\n"
          "REQ c 0 \"MAIL\" \"FROM:<a@b>\"\n"
          "REQ c 0 \"RCPT\" \"TO:<c@d>\"\n"
          "REQ c 0 \"DATA\" \"\"\n"
          "DATA c 0 \".leading dot\"\n"
          "REQ c 0 \".\" \".\"\n");
}

static void test_smtp_rcpt_to_pipelined(void **state)
{
    (void)state;
    static const struct step steps[] = {
        {S, greeting, 0},
        {C, ehlo, 0},
        {S, ehlo_ok, 0},
        {C, "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nRCPT TO:<c@y>\r\nRCPT TO:<d@y>\r\nDATA\r\n", 0},
        {S, "250 ok\r\n250 ok\r\n550 no such user\r\n250 ok\r\n354 go\r\n", 0},
        {C, "hello\r\n.\r\nMAIL FROM:<e@x>\r\n", 0},
        {S, "250 queued\r\n250 ok\r\n", 0},
        {DONE, NULL, 0},
    };
    CHECK(steps, SK_EV_BIT(SK_EV_SMTP_REQUEST) | SK_EV_BIT(SK_EV_SMTP_REPLY) | W_AT,
          "REP s - 220 \">\" \"mx.example.org ESMTP\"\n"
          "OPEN 0\n"
          "REQ c 0 \"EHLO\" \"c.example\"\n"
          "REP s 0 250 \"EHLO\" \"mx\" cont\n"
          "REP s 0 250 \"EHLO\" \"PIPELINING\"\n"
          "REQ c 0 \"MAIL\" \"FROM:<a@x>\"\n"
          "REQ c 0 \"RCPT\" \"TO:<b@y>\"\n"
          "REQ c 0 \"RCPT\" \"TO:<c@y>\"\n"
          "REQ c 0 \"RCPT\" \"TO:<d@y>\"\n"
          "REQ c 0 \"DATA\" \"\"\n"
          "REP s 0 250 \"MAIL\" \"ok\"\n"
          "REP s 0 250 \"RCPT\" \"ok\"\n"
          "REP s 0 550 \"RCPT\" \"no such user\"\n"
          "REP s 0 250 \"RCPT\" \"ok\"\n"
          "REP s 0 354 \"DATA\" \"go\"\n"
          "REQ c 0 \".\" \".\"\n"
          "OPEN 1\n"
          "REQ c 1 \"MAIL\" \"FROM:<e@x>\"\n"
          "REP s 0 250 \".\" \"queued\"\n"
          "CLOSE 0 data\n"
          "REP s 1 250 \"MAIL\" \"ok\"\n"
          "CLOSE 1 session\n");
}

static void test_smtp_helo_in_every_transaction(void **state)
{
    (void)state;
    static const struct step steps[] = {
        {S, greeting, 0},
        {C, "EHLO c.example\r\nMAIL FROM:<a@x>\r\nRSET\r\nMAIL FROM:<b@x>\r\n", 0},
        {S, "250 mx\r\n250 ok\r\n250 reset\r\n250 ok\r\n", 0},
        {DONE, NULL, 0},
    };
    CHECK(steps, W_TX | W_FIELD,
          "F s - smtp.reply_code =220\n"
          "F s - smtp.reply_msg \"mx.example.org ESMTP\"\n"
          "OPEN 0\n"
          "F c 0 smtp.command \"EHLO\"\n"
          "F c 0 smtp.arg \"c.example\"\n"
          "F c 0 smtp.command_line \"EHLO c.example\"\n"
          "F c 0 smtp.helo \"c.example\"\n"
          "F c 0 smtp.command \"MAIL\"\n"
          "F c 0 smtp.arg \"FROM:<a@x>\"\n"
          "F c 0 smtp.command_line \"MAIL FROM:<a@x>\"\n"
          "F c 0 smtp.mail_from \"<a@x>\"\n"
          "F c 0 smtp.command \"RSET\"\n"
          "F c 0 smtp.arg \"\"\n"
          "F c 0 smtp.command_line \"RSET\"\n"
          "OPEN 1\n"
          "F c 1 smtp.helo \"c.example\"\n"
          "F c 1 smtp.command \"MAIL\"\n"
          "F c 1 smtp.arg \"FROM:<b@x>\"\n"
          "F c 1 smtp.command_line \"MAIL FROM:<b@x>\"\n"
          "F c 1 smtp.mail_from \"<b@x>\"\n"
          "F s 0 smtp.reply_code =250\n"
          "F s 0 smtp.reply_msg \"mx\"\n"
          "F s 0 smtp.reply_code =250\n"
          "F s 0 smtp.reply_msg \"ok\"\n"
          "F s 0 smtp.reply_code =250\n"
          "F s 0 smtp.reply_msg \"reset\"\n"
          "CLOSE 0 rset\n"
          "F s 1 smtp.reply_code =250\n"
          "F s 1 smtp.reply_msg \"ok\"\n"
          "CLOSE 1 session\n");
}

static void test_smtp_auth_login_masked(void **state)
{
    (void)state;
    static const struct step steps[] = {
        {S, greeting, 0},
        {C, ehlo, 0},
        {S, ehlo_ok, 0},
        {C, "AUTH LOGIN\r\n", 0},
        {S, "334 VXNlcm5hbWU6\r\n", 0},
        {C, "dXNlcg==\r\n", 0},
        {S, "334 UGFzc3dvcmQ6\r\n", 0},
        {C, "c2VjcmV0\r\n", 0},
        {S, "235 2.7.0 Authentication successful\r\n", 0},
        {C, "AUTH PLAIN AHVzZXIAc2VjcmV0\r\n", 0},
        {S, "503 already authenticated\r\n", 0},
        {C, "NOOP\r\n", 0},
        {S, "250 ok\r\n", 0},
    };
    struct sk_smtp_config cfg;
    sk_smtp_config_defaults(&cfg);
    cfg.log_credentials = false; /* masking is a choice: smtp.log-credentials: no */
    CHECK_CFG(&cfg, steps, W_EV | W_ANOM,
              "REP s - 220 \">\" \"mx.example.org ESMTP\"\n"
              "REQ c 0 \"EHLO\" \"c.example\"\n"
              "REP s 0 250 \"EHLO\" \"mx\" cont\n"
              "REP s 0 250 \"EHLO\" \"PIPELINING\"\n"
              "REQ c 0 \"AUTH\" \"LOGIN\"\n"
              "REP s 0 334 \"AUTH\" \"VXNlcm5hbWU6\"\n"
              "REQ c 0 \"**\" \"***\"\n"
              "REP s 0 334 \"AUTH_ANSWER\" \"UGFzc3dvcmQ6\"\n"
              "REQ c 0 \"**\" \"***\"\n"
              "REP s 0 235 \"AUTH_ANSWER\" \"2.7.0 Authentication successful\"\n"
              "REQ c 0 \"AUTH\" \"PLAIN ***\"\n"
              "REP s 0 503 \"AUTH\" \"already authenticated\"\n"
              "REQ c 0 \"NOOP\" \"\"\n"
              "REP s 0 250 \"NOOP\" \"ok\"\n");
    CHECK_CFG(&cfg, steps, W_FIELD,
              "F s - smtp.reply_code =220\n"
              "F s - smtp.reply_msg \"mx.example.org ESMTP\"\n"
              "F c 0 smtp.command \"EHLO\"\n"
              "F c 0 smtp.arg \"c.example\"\n"
              "F c 0 smtp.command_line \"EHLO c.example\"\n"
              "F c 0 smtp.helo \"c.example\"\n"
              "F s 0 smtp.reply_code =250\n"
              "F s 0 smtp.reply_msg \"mx\"\n"
              "F s 0 smtp.reply_code =250\n"
              "F s 0 smtp.reply_msg \"PIPELINING\"\n"
              "F c 0 smtp.command \"AUTH\"\n"
              "F c 0 smtp.arg \"LOGIN\"\n"
              "F c 0 smtp.command_line \"AUTH LOGIN\"\n"
              "F c 0 smtp.auth_mechanism \"LOGIN\"\n"
              "F s 0 smtp.reply_code =334\n"
              "F s 0 smtp.reply_msg \"VXNlcm5hbWU6\"\n"
              "F c 0 smtp.command \"**\"\n"
              "F c 0 smtp.arg \"***\"\n"
              "F c 0 smtp.command_line \"***\"\n"
              "F s 0 smtp.reply_code =334\n"
              "F s 0 smtp.reply_msg \"UGFzc3dvcmQ6\"\n"
              "F c 0 smtp.command \"**\"\n"
              "F c 0 smtp.arg \"***\"\n"
              "F c 0 smtp.command_line \"***\"\n"
              "F s 0 smtp.reply_code =235\n"
              "F s 0 smtp.reply_msg \"2.7.0 Authentication successful\"\n"
              "F c 0 smtp.command \"AUTH\"\n"
              "F c 0 smtp.arg \"PLAIN ***\"\n"
              "F c 0 smtp.command_line \"AUTH PLAIN ***\"\n"
              "F c 0 smtp.auth_mechanism \"PLAIN\"\n"
              "F s 0 smtp.reply_code =503\n"
              "F s 0 smtp.reply_msg \"already authenticated\"\n"
              "F c 0 smtp.command \"NOOP\"\n"
              "F c 0 smtp.arg \"\"\n"
              "F c 0 smtp.command_line \"NOOP\"\n"
              "F s 0 smtp.reply_code =250\n"
              "F s 0 smtp.reply_msg \"ok\"\n");
}

static void test_smtp_auth_plain_logged(void **state)
{
    (void)state;
    struct sk_smtp_config cfg;
    sk_smtp_config_defaults(&cfg);
    cfg.log_credentials = true;
    static const struct step steps[] = {
        {S, greeting, 0},
        {C, ehlo, 0},
        {S, ehlo_ok, 0},
        {C, "AUTH PLAIN\r\n", 0},
        {S, "334 \r\n", 0},
        {C, "AHVzZXIAc2VjcmV0\r\n", 0},
        {S, "535 5.7.8 bad\r\n", 0},
    };
    CHECK_CFG(&cfg, steps, SK_EV_BIT(SK_EV_SMTP_REQUEST) | SK_EV_BIT(SK_EV_SMTP_REPLY),
              "REP s - 220 \">\" \"mx.example.org ESMTP\"\n"
              "REQ c 0 \"EHLO\" \"c.example\"\n"
              "REP s 0 250 \"EHLO\" \"mx\" cont\n"
              "REP s 0 250 \"EHLO\" \"PIPELINING\"\n"
              "REQ c 0 \"AUTH\" \"PLAIN\"\n"
              "REP s 0 334 \"AUTH\" \"\"\n"
              "REQ c 0 \"**\" \"AHVzZXIAc2VjcmV0\"\n"
              "REP s 0 535 \"AUTH_ANSWER\" \"5.7.8 bad\"\n");
}

static const char mail_hdr[] = "EHLO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\n";
static const char mail_ok[] = "250 mx\r\n250 ok\r\n250 ok\r\n";

static void test_smtp_bdat_chunks(void **state)
{
    (void)state;
    static const struct step steps[] = {
        {S, greeting, 0},
        {C, mail_hdr, 0},
        {S, mail_ok, 0},
        {C, "BDAT 5\r\nab\r\ncBDAT 3 LAST\r\nxyz", 0},
        {S, "250 5 octets\r\n250 message ok\r\n", 0},
        {C, "QUIT\r\n", 0},
        {S, "221 bye\r\n", 0},
        {DONE, NULL, 0},
    };
    CHECK(steps, W_PROTO | W_FIELD,
          "REP s - 220 \">\" \"mx.example.org ESMTP\"\n"
          "F s - smtp.reply_code =220\n"
          "F s - smtp.reply_msg \"mx.example.org ESMTP\"\n"
          "OPEN 0\n"
          "REQ c 0 \"EHLO\" \"c\"\n"
          "F c 0 smtp.command \"EHLO\"\n"
          "F c 0 smtp.arg \"c\"\n"
          "F c 0 smtp.command_line \"EHLO c\"\n"
          "F c 0 smtp.helo \"c\"\n"
          "REQ c 0 \"MAIL\" \"FROM:<a@x>\"\n"
          "F c 0 smtp.command \"MAIL\"\n"
          "F c 0 smtp.arg \"FROM:<a@x>\"\n"
          "F c 0 smtp.command_line \"MAIL FROM:<a@x>\"\n"
          "F c 0 smtp.mail_from \"<a@x>\"\n"
          "REQ c 0 \"RCPT\" \"TO:<b@y>\"\n"
          "F c 0 smtp.command \"RCPT\"\n"
          "F c 0 smtp.arg \"TO:<b@y>\"\n"
          "F c 0 smtp.command_line \"RCPT TO:<b@y>\"\n"
          "F c 0 smtp.rcpt_to \"<b@y>\"\n"
          "REP s 0 250 \"EHLO\" \"mx\"\n"
          "F s 0 smtp.reply_code =250\n"
          "F s 0 smtp.reply_msg \"mx\"\n"
          "REP s 0 250 \"MAIL\" \"ok\"\n"
          "F s 0 smtp.reply_code =250\n"
          "F s 0 smtp.reply_msg \"ok\"\n"
          "REP s 0 250 \"RCPT\" \"ok\"\n"
          "F s 0 smtp.reply_code =250\n"
          "F s 0 smtp.reply_msg \"ok\"\n"
          "REQ c 0 \"BDAT\" \"5\"\n"
          "F c 0 smtp.command \"BDAT\"\n"
          "F c 0 smtp.arg \"5\"\n"
          "F c 0 smtp.command_line \"BDAT 5\"\n"
          "DATA c 0 \"ab\\r\\nc\"\n"
          "F c 0 smtp.data \"ab\\r\\nc\" B\n"
          "REQ c 0 \"BDAT\" \"3 LAST\"\n"
          "F c 0 smtp.command \"BDAT\"\n"
          "F c 0 smtp.arg \"3 LAST\"\n"
          "F c 0 smtp.command_line \"BDAT 3 LAST\"\n"
          "DATA c 0 \"xyz\"\n"
          "F c 0 smtp.data \"xyz\"\n"
          "F c 0 smtp.data \"\" E\n"
          "REP s 0 250 \"BDAT\" \"5 octets\"\n"
          "F s 0 smtp.reply_code =250\n"
          "F s 0 smtp.reply_msg \"5 octets\"\n"
          "REP s 0 250 \"BDAT\" \"message ok\"\n"
          "F s 0 smtp.reply_code =250\n"
          "F s 0 smtp.reply_msg \"message ok\"\n"
          "CLOSE 0 data\n"
          "REQ c - \"QUIT\" \"\"\n"
          "F c - smtp.command \"QUIT\"\n"
          "F c - smtp.arg \"\"\n"
          "F c - smtp.command_line \"QUIT\"\n"
          "REP s - 221 \"QUIT\" \"bye\"\n"
          "F s - smtp.reply_code =221\n"
          "F s - smtp.reply_msg \"bye\"\n");
}

static void test_smtp_bdat_zero_last(void **state)
{
    (void)state;
    static const struct step steps[] = {
        {S, greeting, 0},
        {C, mail_hdr, 0},
        {S, mail_ok, 0},
        {C, "BDAT 4\r\nabcdBDAT 0 LAST\r\n", 0},
        {S, "250 ok\r\n250 ok\r\n", 0},
    };
    CHECK(steps, W_ALL & ~SK_EV_BIT(SK_EV_SMTP_REPLY),
          "F s - smtp.reply_code =220\n"
          "F s - smtp.reply_msg \"mx.example.org ESMTP\"\n"
          "OPEN 0\n"
          "REQ c 0 \"EHLO\" \"c\"\n"
          "F c 0 smtp.command \"EHLO\"\n"
          "F c 0 smtp.arg \"c\"\n"
          "F c 0 smtp.command_line \"EHLO c\"\n"
          "F c 0 smtp.helo \"c\"\n"
          "REQ c 0 \"MAIL\" \"FROM:<a@x>\"\n"
          "F c 0 smtp.command \"MAIL\"\n"
          "F c 0 smtp.arg \"FROM:<a@x>\"\n"
          "F c 0 smtp.command_line \"MAIL FROM:<a@x>\"\n"
          "F c 0 smtp.mail_from \"<a@x>\"\n"
          "REQ c 0 \"RCPT\" \"TO:<b@y>\"\n"
          "F c 0 smtp.command \"RCPT\"\n"
          "F c 0 smtp.arg \"TO:<b@y>\"\n"
          "F c 0 smtp.command_line \"RCPT TO:<b@y>\"\n"
          "F c 0 smtp.rcpt_to \"<b@y>\"\n"
          "F s 0 smtp.reply_code =250\n"
          "F s 0 smtp.reply_msg \"mx\"\n"
          "F s 0 smtp.reply_code =250\n"
          "F s 0 smtp.reply_msg \"ok\"\n"
          "F s 0 smtp.reply_code =250\n"
          "F s 0 smtp.reply_msg \"ok\"\n"
          "REQ c 0 \"BDAT\" \"4\"\n"
          "F c 0 smtp.command \"BDAT\"\n"
          "F c 0 smtp.arg \"4\"\n"
          "F c 0 smtp.command_line \"BDAT 4\"\n"
          "DATA c 0 \"abcd\"\n"
          "F c 0 smtp.data \"abcd\" B\n"
          "REQ c 0 \"BDAT\" \"0 LAST\"\n"
          "F c 0 smtp.command \"BDAT\"\n"
          "F c 0 smtp.arg \"0 LAST\"\n"
          "F c 0 smtp.command_line \"BDAT 0 LAST\"\n"
          "F c 0 smtp.data \"\" E\n"
          "F s 0 smtp.reply_code =250\n"
          "F s 0 smtp.reply_msg \"ok\"\n"
          "F s 0 smtp.reply_code =250\n"
          "F s 0 smtp.reply_msg \"ok\"\n"
          "CLOSE 0 data\n");
}

/* Binary chunk content: NULs, bare CR/LF, a CRLF.CRLF that ends nothing, a "BDAT" look-alike. */
static void test_smtp_bdat_binary_pipelined(void **state)
{
    (void)state;
    static const char chunk[] = "BDAT 14\r\n\x00\xff\r\n.\r\nBDAT 1\n"
                                "BDAT 2 LAST\r\n\r\n"
                                "MAIL FROM:<n@x>\r\n";
    static const struct step steps[] = {
        {S, greeting, 0},
        {C, mail_hdr, 0},
        {S, mail_ok, 0},
        {C, chunk, sizeof(chunk) - 1},
        {S, "250 ok\r\n250 ok\r\n250 ok\r\n", 0},
    };
    CHECK(steps, SK_EV_BIT(SK_EV_SMTP_REQUEST) | SK_EV_BIT(SK_EV_SMTP_DATA) | W_AT,
          "OPEN 0\n"
          "REQ c 0 \"EHLO\" \"c\"\n"
          "REQ c 0 \"MAIL\" \"FROM:<a@x>\"\n"
          "REQ c 0 \"RCPT\" \"TO:<b@y>\"\n"
          "REQ c 0 \"BDAT\" \"14\"\n"
          "DATA c 0 \"\\x00\\xff\\r\\n.\\r\\nBDAT 1\\n\"\n"
          "REQ c 0 \"BDAT\" \"2 LAST\"\n"
          "DATA c 0 \"\\r\\n\"\n"
          "OPEN 1\n"
          "REQ c 1 \"MAIL\" \"FROM:<n@x>\"\n"
          "CLOSE 0 data\n");
}

static void test_smtp_bdat_invalid_and_negative(void **state)
{
    (void)state;
    static const struct step steps[] = {
        {S, greeting, 0},
        {C, mail_hdr, 0},
        {S, mail_ok, 0},
        {C, "BDAT -5\r\nBDAT lots\r\nBDAT 99999999999999999999999\r\nBDAT 1 LAST junk\r\n", 0},
        {S, "501 bad\r\n501 bad\r\n501 bad\r\n501 bad\r\n", 0},
    };
    CHECK(steps, SK_EV_BIT(SK_EV_SMTP_REQUEST) | W_AT,
          "OPEN 0\n"
          "REQ c 0 \"EHLO\" \"c\"\n"
          "REQ c 0 \"MAIL\" \"FROM:<a@x>\"\n"
          "REQ c 0 \"RCPT\" \"TO:<b@y>\"\n"
          "REQ c 0 \"BDAT\" \"-5\"\n"
          "ANOM c 0 BDAT_NEGATIVE_LENGTH\n"
          "ANOM c 0 INVALID_BDAT\n"
          "REQ c 0 \"BDAT\" \"lots\"\n"
          "ANOM c 0 INVALID_BDAT\n"
          "REQ c 0 \"BDAT\" \"99999999999999999999999\"\n"
          "ANOM c 0 INVALID_BDAT\n"
          "REQ c 0 \"BDAT\" \"1 LAST junk\"\n"
          "ANOM c 0 INVALID_BDAT\n");
}

static void test_smtp_bdat_chunk_len_exceeded(void **state)
{
    (void)state;
    static const struct step steps[] = {
        {S, greeting, 0},
        {C, mail_hdr, 0},
        {S, mail_ok, 0},
        {C, "BDAT 3\r\nabcdef\r\nRSET\r\n", 0},
    };
    CHECK(steps, W_EV | W_AT,
          "REP s - 220 \">\" \"mx.example.org ESMTP\"\n"
          "OPEN 0\n"
          "REQ c 0 \"EHLO\" \"c\"\n"
          "REQ c 0 \"MAIL\" \"FROM:<a@x>\"\n"
          "REQ c 0 \"RCPT\" \"TO:<b@y>\"\n"
          "REP s 0 250 \"EHLO\" \"mx\"\n"
          "REP s 0 250 \"MAIL\" \"ok\"\n"
          "REP s 0 250 \"RCPT\" \"ok\"\n"
          "REQ c 0 \"BDAT\" \"3\"\n"
          "DATA c 0 \"abc\"\n"
          "ANOM c 0 BDAT_CHUNK_LEN_EXCEEDED\n"
          "ANOM c 0 UNKNOWN_COMMAND\n"
          "UNEXP c 0 \"unknown command\" \"def\"\n"
          "REQ c 0 \"RSET\" \"\"\n");
}

static void test_smtp_starttls_accepted(void **state)
{
    (void)state;
    static const struct step steps[] = {
        {S, greeting, 0},
        {C, ehlo, 0},
        {S, "250-mx\r\n250 STARTTLS\r\n", 0},
        {C, "STARTTLS\r\n", 0},
        {S, "220 2.0.0 Ready to start TLS\r\n\x16\x03\x01", 0},
        {C, "\x16\x03\x01\x02\x00", 0},
        {C, "EHLO after\r\n", 0},
        {DONE, NULL, 0},
    };
    CHECK(steps, W_ALL,
          "REP s - 220 \">\" \"mx.example.org ESMTP\"\n"
          "F s - smtp.reply_code =220\n"
          "F s - smtp.reply_msg \"mx.example.org ESMTP\"\n"
          "OPEN 0\n"
          "REQ c 0 \"EHLO\" \"c.example\"\n"
          "F c 0 smtp.command \"EHLO\"\n"
          "F c 0 smtp.arg \"c.example\"\n"
          "F c 0 smtp.command_line \"EHLO c.example\"\n"
          "F c 0 smtp.helo \"c.example\"\n"
          "REP s 0 250 \"EHLO\" \"mx\" cont\n"
          "F s 0 smtp.reply_code =250\n"
          "F s 0 smtp.reply_msg \"mx\"\n"
          "REP s 0 250 \"EHLO\" \"STARTTLS\"\n"
          "F s 0 smtp.reply_code =250\n"
          "F s 0 smtp.reply_msg \"STARTTLS\"\n"
          "REQ c 0 \"STARTTLS\" \"\"\n"
          "F c 0 smtp.command \"STARTTLS\"\n"
          "F c 0 smtp.arg \"\"\n"
          "F c 0 smtp.command_line \"STARTTLS\"\n"
          "REP s 0 220 \"STARTTLS\" \"2.0.0 Ready to start TLS\"\n"
          "F s 0 smtp.reply_code =220\n"
          "F s 0 smtp.reply_msg \"2.0.0 Ready to start TLS\"\n"
          "F s 0 smtp.starttls\n"
          "STARTTLS 0\n"
          "CLOSE 0 starttls\n");
    bool done = false;
    free(run_script(NULL, steps, 6, W_ALL, true, 0, 0, false, &done));
    assert_true(done);
}

static void test_smtp_starttls_failed_protocol_change(void **state)
{
    (void)state;
    static const struct step steps[] = {
        {S, greeting, 0},
        {C, "EHLO c\r\nSTARTTLS\r\n", 0},
        {S, "250 mx\r\n220 go ahead\r\n", 0},
        {C, "\x01\x02 not tls\r\nMAIL FROM:<plain@x>\r\n", 0},
    };
    CHECK(steps, W_EV | W_AT,
          "REP s - 220 \">\" \"mx.example.org ESMTP\"\n"
          "OPEN 0\n"
          "REQ c 0 \"EHLO\" \"c\"\n"
          "REQ c 0 \"STARTTLS\" \"\"\n"
          "REP s 0 250 \"EHLO\" \"mx\"\n"
          "REP s 0 220 \"STARTTLS\" \"go ahead\"\n"
          "STARTTLS 0\n"
          "CLOSE 0 starttls\n"
          "ANOM c - FAILED_PROTOCOL_CHANGE\n");
}

/* Plain SMTP after an accepted STARTTLS (a decrypted capture, a TLS-terminating proxy): the
 * session goes on, in new transactions; a TLS record would have stopped the parser. */
static void test_smtp_starttls_plaintext_continues(void **state)
{
    (void)state;
    static const struct step steps[] = {
        {S, greeting, 0},
        {C, "EHLO c\r\nSTARTTLS\r\n", 0},
        {S, "250 mx\r\n220 go ahead\r\n", 0},
        {C, "EHLO c\r\nMAIL FROM:<plain@x>\r\n", 0},
        {S, "250 mx\r\n250 ok\r\n", 0},
        {DONE, NULL, 0},
    };
    CHECK(steps, W_EV | W_AT,
          "REP s - 220 \">\" \"mx.example.org ESMTP\"\n"
          "OPEN 0\n"
          "REQ c 0 \"EHLO\" \"c\"\n"
          "REQ c 0 \"STARTTLS\" \"\"\n"
          "REP s 0 250 \"EHLO\" \"mx\"\n"
          "REP s 0 220 \"STARTTLS\" \"go ahead\"\n"
          "STARTTLS 0\n"
          "CLOSE 0 starttls\n"
          "OPEN 1\n"
          "REQ c 1 \"EHLO\" \"c\"\n"
          "REQ c 1 \"MAIL\" \"FROM:<plain@x>\"\n"
          "REP s 1 250 \"EHLO\" \"mx\"\n"
          "REP s 1 250 \"MAIL\" \"ok\"\n"
          "CLOSE 1 session\n");
}

static void test_smtp_starttls_injection(void **state)
{
    (void)state;
    static const struct step steps[] = {
        {S, greeting, 0},        {C, ehlo, 0}, {S, ehlo_ok, 0}, {C, "STARTTLS\r\nRSET\r\n", 0},
        {S, "220 ready\r\n", 0},
    };
    CHECK(steps, SK_EV_BIT(SK_EV_SMTP_REQUEST) | SK_EV_BIT(SK_EV_SMTP_STARTTLS) | W_AT,
          "OPEN 0\n"
          "REQ c 0 \"EHLO\" \"c.example\"\n"
          "REQ c 0 \"STARTTLS\" \"\"\n"
          "ANOM c 0 STARTTLS_INJECTION\n"
          "REQ c 0 \"RSET\" \"\"\n"
          "STARTTLS 0\n"
          "CLOSE 0 starttls\n");
}

static void test_smtp_starttls_rejected(void **state)
{
    (void)state;
    static const struct step steps[] = {
        {S, greeting, 0},
        {C, ehlo, 0},
        {S, ehlo_ok, 0},
        {C, "STARTTLS\r\n", 0},
        {S, "454 4.7.0 TLS not available\r\n", 0},
        {C, "MAIL FROM:<a@x>\r\n", 0},
        {S, "250 ok\r\n", 0},
    };
    CHECK(steps, SK_EV_BIT(SK_EV_SMTP_REQUEST) | SK_EV_BIT(SK_EV_SMTP_REPLY) | W_AT,
          "REP s - 220 \">\" \"mx.example.org ESMTP\"\n"
          "OPEN 0\n"
          "REQ c 0 \"EHLO\" \"c.example\"\n"
          "REP s 0 250 \"EHLO\" \"mx\" cont\n"
          "REP s 0 250 \"EHLO\" \"PIPELINING\"\n"
          "REQ c 0 \"STARTTLS\" \"\"\n"
          "REP s 0 454 \"STARTTLS\" \"4.7.0 TLS not available\"\n"
          "ANOM s 0 TLS_REJECTED\n"
          "REQ c 0 \"MAIL\" \"FROM:<a@x>\"\n"
          "REP s 0 250 \"MAIL\" \"ok\"\n");
}

static const char to_data[] = "EHLO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n";
static const char to_data_ok[] = "250 mx\r\n250 ok\r\n250 ok\r\n354 go\r\n";

#define SMUGGLE_TEST(name, body, expected)                                                         \
    static void name(void **state)                                                                 \
    {                                                                                              \
        (void)state;                                                                               \
        static const struct step steps[] = {                                                       \
            {S, greeting, 0}, {C, to_data, 0}, {S, to_data_ok, 0}, {C, body, 0}, {DONE, NULL, 0},  \
        };                                                                                         \
        CHECK(steps, W_AT | SK_EV_BIT(SK_EV_SMTP_REQUEST), expected);                              \
    }

#define SMUGGLE_HEAD                                                                               \
    "OPEN 0\n"                                                                                     \
    "REQ c 0 \"EHLO\" \"c\"\n"                                                                     \
    "REQ c 0 \"MAIL\" \"FROM:<a@x>\"\n"                                                            \
    "REQ c 0 \"RCPT\" \"TO:<b@y>\"\n"                                                              \
    "REQ c 0 \"DATA\" \"\"\n"
#define SMUGGLED                                                                                   \
    SMUGGLE_HEAD "ANOM c 0 SMUGGLING_END_OF_DATA\nREQ c 0 \".\" \".\"\nCLOSE 0 session\n"

/* Each marker below ends the message on some lenient server; only CRLF.CRLF ends it here. */
SMUGGLE_TEST(test_smtp_smuggling_lf_dot_lf, "a\r\nb\n.\nMAIL FROM:<evil@x>\r\n.\r\n", SMUGGLED)
SMUGGLE_TEST(test_smtp_smuggling_lf_dot_crlf, "a\r\nb\n.\r\nMAIL FROM:<evil@x>\r\n.\r\n", SMUGGLED)
SMUGGLE_TEST(test_smtp_smuggling_cr_dot_cr, "a\r\nb\r.\rMAIL FROM:<evil@x>\r\n.\r\n", SMUGGLED)
SMUGGLE_TEST(test_smtp_smuggling_crlf_dot_lf, "a\r\n.\nMAIL FROM:<evil@x>\r\n.\r\n", SMUGGLED)
SMUGGLE_TEST(test_smtp_smuggling_crlf_dot_cr, "a\r\n.\rMAIL FROM:<evil@x>\r\n.\r\n", SMUGGLED)
SMUGGLE_TEST(test_smtp_smuggling_cr_dot_lf, "a\r\nb\r.\nMAIL FROM:<evil@x>\r\n.\r\n", SMUGGLED)
SMUGGLE_TEST(test_smtp_smuggling_none_for_stuffed_dots, "a\r\n..\r\n.b\r\n\r\n.\r\n",
             SMUGGLE_HEAD "REQ c 0 \".\" \".\"\nCLOSE 0 session\n")

/* A lenient server answers at a marker this parser did not accept: the message ends there (as
 * far as the server is concerned), the reply is unmatched, and the client is read as commands
 * again from the next line that parses. */
static void test_smtp_smuggling_lenient_server_resync(void **state)
{
    (void)state;
    static const struct step steps[] = {
        {S, greeting, 0},
        {C, to_data, 0},
        {S, to_data_ok, 0},
        {C, "a\r\n.\n", 0},
        {S, "250 queued as 1\r\n", 0},
        {C, "junk line\r\nMAIL FROM:<b@x>\r\n", 0},
        {S, "250 ok\r\n", 0},
        {DONE, NULL, 0},
    };
    CHECK(steps, W_EV | W_AT,
          "REP s - 220 \">\" \"mx.example.org ESMTP\"\n"
          "OPEN 0\n"
          "REQ c 0 \"EHLO\" \"c\"\n"
          "REQ c 0 \"MAIL\" \"FROM:<a@x>\"\n"
          "REQ c 0 \"RCPT\" \"TO:<b@y>\"\n"
          "REQ c 0 \"DATA\" \"\"\n"
          "REP s 0 250 \"EHLO\" \"mx\"\n"
          "REP s 0 250 \"MAIL\" \"ok\"\n"
          "REP s 0 250 \"RCPT\" \"ok\"\n"
          "REP s 0 354 \"DATA\" \"go\"\n"
          "DATA c 0 \"a\"\n"
          "ANOM c 0 SMUGGLING_END_OF_DATA\n"
          "ANOM c 0 SMUGGLING_ACCEPTED\n"
          "REQ c 0 \".\" \".\"\n"
          "REP s 0 250 \".\" \"queued as 1\"\n"
          "CLOSE 0 data\n"
          "OPEN 1\n"
          "ANOM c 1 UNKNOWN_COMMAND\n"
          "UNEXP c 1 \"unknown command\" \"junk\"\n"
          "REQ c 1 \"MAIL\" \"FROM:<b@x>\"\n"
          "REP s 1 250 \"(UNKNOWN)\" \"ok\"\n"
          "CLOSE 1 session\n");
}

/* The smuggled envelope came inside the first message; the lenient server answers it and
 * then 354: the client's next bytes are the smuggled message, seen as a message (its own
 * transaction, its data), not skipped as lines without a verb. */
static void test_smtp_smuggling_lenient_server_354(void **state)
{
    (void)state;
    static const struct step steps[] = {
        {S, greeting, 0},
        {C, to_data, 0},
        {S, to_data_ok, 0},
        {C, "a\n.\nMAIL FROM:<x@y>\r\nRCPT TO:<b@y>\r\nDATA\r\n", 0},
        {S, "250 queued as 1\r\n250 ok\r\n250 ok\r\n354 go\r\n", 0},
        {C, "Subject: spoof\r\n\r\nhi\r\n.\r\n", 0},
        {S, "250 queued as 2\r\n", 0},
        {DONE, NULL, 0},
    };
    CHECK(steps, W_EV | W_AT,
          "REP s - 220 \">\" \"mx.example.org ESMTP\"\n"
          "OPEN 0\n"
          "REQ c 0 \"EHLO\" \"c\"\n"
          "REQ c 0 \"MAIL\" \"FROM:<a@x>\"\n"
          "REQ c 0 \"RCPT\" \"TO:<b@y>\"\n"
          "REQ c 0 \"DATA\" \"\"\n"
          "REP s 0 250 \"EHLO\" \"mx\"\n"
          "REP s 0 250 \"MAIL\" \"ok\"\n"
          "REP s 0 250 \"RCPT\" \"ok\"\n"
          "REP s 0 354 \"DATA\" \"go\"\n"
          "DATA c 0 \"a\"\n"
          "ANOM c 0 SMUGGLING_END_OF_DATA\n"
          "ANOM c 0 SMUGGLING_ACCEPTED\n"
          "REQ c 0 \".\" \".\"\n"
          "OPEN 1\n"
          "REQ c 1 \"MAIL\" \"FROM:<x@y>\"\n"
          "REQ c 1 \"RCPT\" \"TO:<b@y>\"\n"
          "REQ c 1 \"DATA\" \"\"\n"
          "REP s 0 250 \".\" \"queued as 1\"\n"
          "CLOSE 0 data\n"
          "REP s 1 250 \"MAIL\" \"ok\"\n"
          "REP s 1 250 \"RCPT\" \"ok\"\n"
          "REP s 1 354 \"DATA\" \"go\"\n"
          "DATA c 1 \"Subject: spoofhi\"\n"
          "REQ c 1 \".\" \".\"\n"
          "REP s 1 250 \".\" \"queued as 2\"\n"
          "CLOSE 1 data\n");
}

/* A strict server (Postfix with smtpd_forbid_bare_newline) answers once, at the canonical end,
 * and then QUIT: the reply 221 does not fit the smuggled MAIL, so the bytes were the message. */
static void test_smtp_smuggling_strict_server_body(void **state)
{
    (void)state;
    static const struct step steps[] = {
        {S, greeting, 0},
        {C, to_data, 0},
        {S, to_data_ok, 0},
        {C, "a\n.\nMAIL FROM:<x@y>\r\nRCPT TO:<b@y>\r\nDATA\r\nhi\r\n.\r\nQUIT\r\n", 0},
        {S, "250 queued as 1\r\n221 bye\r\n", 0},
        {DONE, NULL, 0},
    };
    CHECK(steps, W_EV | W_AT,
          "REP s - 220 \">\" \"mx.example.org ESMTP\"\n"
          "OPEN 0\n"
          "REQ c 0 \"EHLO\" \"c\"\n"
          "REQ c 0 \"MAIL\" \"FROM:<a@x>\"\n"
          "REQ c 0 \"RCPT\" \"TO:<b@y>\"\n"
          "REQ c 0 \"DATA\" \"\"\n"
          "REP s 0 250 \"EHLO\" \"mx\"\n"
          "REP s 0 250 \"MAIL\" \"ok\"\n"
          "REP s 0 250 \"RCPT\" \"ok\"\n"
          "REP s 0 354 \"DATA\" \"go\"\n"
          "DATA c 0 \"a\"\n"
          "ANOM c 0 SMUGGLING_END_OF_DATA\n"
          "DATA c 0 \".MAIL FROM:<x@y>RCPT TO:<b@y>DATAhi\"\n"
          "REQ c 0 \".\" \".\"\n"
          "REQ c - \"QUIT\" \"\"\n"
          "REP s 0 250 \".\" \"queued as 1\"\n"
          "CLOSE 0 data\n"
          "REP s - 221 \"QUIT\" \"bye\"\n");
}

/* The hold is bounded: past smtp.smuggling-hold the bytes are the message's. */
static void test_smtp_smuggling_hold_exceeded(void **state)
{
    (void)state;
    static const struct step steps[] = {
        {S, greeting, 0},
        {C, to_data, 0},
        {S, to_data_ok, 0},
        {C, "a\n.\nMAIL FROM:<x@y>\r\nRCPT TO:<b@y>\r\nDATA\r\n", 0},
        {C, "0123456789012345678901234567890123456789\r\n.\r\n", 0},
        {S, "250 queued as 1\r\n", 0},
        {DONE, NULL, 0},
    };
    struct sk_smtp_config cfg;
    sk_smtp_config_defaults(&cfg);
    cfg.smuggling_hold = 64;
    CHECK_CFG(
        &cfg, steps, W_EV | W_AT,
        "REP s - 220 \">\" \"mx.example.org ESMTP\"\n"
        "OPEN 0\n"
        "REQ c 0 \"EHLO\" \"c\"\n"
        "REQ c 0 \"MAIL\" \"FROM:<a@x>\"\n"
        "REQ c 0 \"RCPT\" \"TO:<b@y>\"\n"
        "REQ c 0 \"DATA\" \"\"\n"
        "REP s 0 250 \"EHLO\" \"mx\"\n"
        "REP s 0 250 \"MAIL\" \"ok\"\n"
        "REP s 0 250 \"RCPT\" \"ok\"\n"
        "REP s 0 354 \"DATA\" \"go\"\n"
        "DATA c 0 \"a\"\n"
        "ANOM c 0 SMUGGLING_END_OF_DATA\n"
        "ANOM c 0 SMUGGLING_HOLD_EXCEEDED\n"
        "DATA c 0 \".MAIL FROM:<x@y>RCPT TO:<b@y>DATA0123456789012345678901234567890123456789\"\n"
        "REQ c 0 \".\" \".\"\n"
        "REP s 0 250 \".\" \"queued as 1\"\n"
        "CLOSE 0 data\n");
}

static void test_smtp_gap_in_commands_resync(void **state)
{
    (void)state;
    static const struct step steps[] = {
        {S, greeting, 0},
        {C, "EHLO c\r\nMAIL FR", 0},
        {GAP_C, NULL, 100},
        {C, "tail of a line\r\nRCPT TO:<b@y>\r\n", 0},
        {S, "250 mx\r\n250 ok\r\n250 ok\r\n", 0},
        {DONE, NULL, 0},
    };
    CHECK(steps, W_EV | W_AT,
          "REP s - 220 \">\" \"mx.example.org ESMTP\"\n"
          "OPEN 0\n"
          "REQ c 0 \"EHLO\" \"c\"\n"
          "UNEXP c 0 \"content gap\" \"len = 100\"\n"
          "ANOM c 0 CONTENT_GAP\n"
          "ANOM c 0 TRUNCATED_LINE\n"
          "REQ c 0 \"RCPT\" \"TO:<b@y>\"\n"
          "REP s 0 250 \"EHLO\" \"mx\"\n"
          "REP s 0 250 \"(UNKNOWN)\" \"ok\"\n"
          "REP s 0 250 \"RCPT\" \"ok\"\n"
          "CLOSE 0 session\n");
}

static void test_smtp_gap_in_data(void **state)
{
    (void)state;
    static const struct step steps[] = {
        {S, greeting, 0},     {C, to_data, 0},
        {S, to_data_ok, 0},   {C, "line one\r\nline t", 0},
        {GAP_C, NULL, 1000},  {C, "wo\r\nlast\r\n.\r\n", 0},
        {S, "250 ok\r\n", 0}, {DONE, NULL, 0},
    };
    CHECK(steps, W_EV | W_AT | W_FIELD,
          "REP s - 220 \">\" \"mx.example.org ESMTP\"\n"
          "F s - smtp.reply_code =220\n"
          "F s - smtp.reply_msg \"mx.example.org ESMTP\"\n"
          "OPEN 0\n"
          "REQ c 0 \"EHLO\" \"c\"\n"
          "F c 0 smtp.command \"EHLO\"\n"
          "F c 0 smtp.arg \"c\"\n"
          "F c 0 smtp.command_line \"EHLO c\"\n"
          "F c 0 smtp.helo \"c\"\n"
          "REQ c 0 \"MAIL\" \"FROM:<a@x>\"\n"
          "F c 0 smtp.command \"MAIL\"\n"
          "F c 0 smtp.arg \"FROM:<a@x>\"\n"
          "F c 0 smtp.command_line \"MAIL FROM:<a@x>\"\n"
          "F c 0 smtp.mail_from \"<a@x>\"\n"
          "REQ c 0 \"RCPT\" \"TO:<b@y>\"\n"
          "F c 0 smtp.command \"RCPT\"\n"
          "F c 0 smtp.arg \"TO:<b@y>\"\n"
          "F c 0 smtp.command_line \"RCPT TO:<b@y>\"\n"
          "F c 0 smtp.rcpt_to \"<b@y>\"\n"
          "REQ c 0 \"DATA\" \"\"\n"
          "F c 0 smtp.command \"DATA\"\n"
          "F c 0 smtp.arg \"\"\n"
          "F c 0 smtp.command_line \"DATA\"\n"
          "REP s 0 250 \"EHLO\" \"mx\"\n"
          "F s 0 smtp.reply_code =250\n"
          "F s 0 smtp.reply_msg \"mx\"\n"
          "REP s 0 250 \"MAIL\" \"ok\"\n"
          "F s 0 smtp.reply_code =250\n"
          "F s 0 smtp.reply_msg \"ok\"\n"
          "REP s 0 250 \"RCPT\" \"ok\"\n"
          "F s 0 smtp.reply_code =250\n"
          "F s 0 smtp.reply_msg \"ok\"\n"
          "REP s 0 354 \"DATA\" \"go\"\n"
          "F s 0 smtp.reply_code =354\n"
          "F s 0 smtp.reply_msg \"go\"\n"
          "DATA c 0 \"line one\"\n"
          "F c 0 smtp.data \"line one\\r\\n\" B\n"
          "UNEXP c 0 \"content gap\" \"len = 1000\"\n"
          "F c 0 smtp.unexpected \"content gap\"\n"
          "F c 0 smtp.unexpected \"len = 1000\"\n"
          "ANOM c 0 CONTENT_GAP\n"
          "ANOM c 0 TRUNCATED_LINE\n"
          "DATA c 0 \"wolast\"\n"
          "F c 0 smtp.data \"wo\\r\\nlast\\r\\n\"\n"
          "F c 0 smtp.data \"\" E\n"
          "REQ c 0 \".\" \".\"\n"
          "F c 0 smtp.command \".\"\n"
          "F c 0 smtp.arg \".\"\n"
          "F c 0 smtp.command_line \".\"\n"
          "REP s 0 250 \".\" \"ok\"\n"
          "F s 0 smtp.reply_code =250\n"
          "F s 0 smtp.reply_msg \"ok\"\n"
          "CLOSE 0 data\n");
}

static void test_smtp_gap_over_end_of_data(void **state)
{
    (void)state;
    static const struct step steps[] = {
        {S, greeting, 0},  {C, to_data, 0},      {S, to_data_ok, 0}, {C, "line one\r\n", 0},
        {GAP_C, NULL, 50}, {S, "250 ok\r\n", 0}, {C, "QUIT\r\n", 0}, {S, "221 bye\r\n", 0},
    };
    CHECK(steps, W_EV | W_AT,
          "REP s - 220 \">\" \"mx.example.org ESMTP\"\n"
          "OPEN 0\n"
          "REQ c 0 \"EHLO\" \"c\"\n"
          "REQ c 0 \"MAIL\" \"FROM:<a@x>\"\n"
          "REQ c 0 \"RCPT\" \"TO:<b@y>\"\n"
          "REQ c 0 \"DATA\" \"\"\n"
          "REP s 0 250 \"EHLO\" \"mx\"\n"
          "REP s 0 250 \"MAIL\" \"ok\"\n"
          "REP s 0 250 \"RCPT\" \"ok\"\n"
          "REP s 0 354 \"DATA\" \"go\"\n"
          "DATA c 0 \"line one\"\n"
          "UNEXP c 0 \"content gap\" \"len = 50\"\n"
          "ANOM c 0 CONTENT_GAP\n"
          "REP s 0 250 \".\" \"ok\"\n"
          "CLOSE 0 data\n"
          "REQ c - \"QUIT\" \"\"\n"
          "REP s - 221 \"QUIT\" \"bye\"\n");
}

static void test_smtp_gap_in_bdat(void **state)
{
    (void)state;
    static const struct step steps[] = {
        {S, greeting, 0},
        {C, mail_hdr, 0},
        {S, mail_ok, 0},
        {C, "BDAT 10 LAST\r\nab", 0},
        {GAP_C, NULL, 5},
        {C, "xyzQUIT\r\n", 0},
        {S, "250 ok\r\n221 bye\r\n", 0},
    };
    CHECK(steps, W_EV | W_AT | W_FIELD,
          "REP s - 220 \">\" \"mx.example.org ESMTP\"\n"
          "F s - smtp.reply_code =220\n"
          "F s - smtp.reply_msg \"mx.example.org ESMTP\"\n"
          "OPEN 0\n"
          "REQ c 0 \"EHLO\" \"c\"\n"
          "F c 0 smtp.command \"EHLO\"\n"
          "F c 0 smtp.arg \"c\"\n"
          "F c 0 smtp.command_line \"EHLO c\"\n"
          "F c 0 smtp.helo \"c\"\n"
          "REQ c 0 \"MAIL\" \"FROM:<a@x>\"\n"
          "F c 0 smtp.command \"MAIL\"\n"
          "F c 0 smtp.arg \"FROM:<a@x>\"\n"
          "F c 0 smtp.command_line \"MAIL FROM:<a@x>\"\n"
          "F c 0 smtp.mail_from \"<a@x>\"\n"
          "REQ c 0 \"RCPT\" \"TO:<b@y>\"\n"
          "F c 0 smtp.command \"RCPT\"\n"
          "F c 0 smtp.arg \"TO:<b@y>\"\n"
          "F c 0 smtp.command_line \"RCPT TO:<b@y>\"\n"
          "F c 0 smtp.rcpt_to \"<b@y>\"\n"
          "REP s 0 250 \"EHLO\" \"mx\"\n"
          "F s 0 smtp.reply_code =250\n"
          "F s 0 smtp.reply_msg \"mx\"\n"
          "REP s 0 250 \"MAIL\" \"ok\"\n"
          "F s 0 smtp.reply_code =250\n"
          "F s 0 smtp.reply_msg \"ok\"\n"
          "REP s 0 250 \"RCPT\" \"ok\"\n"
          "F s 0 smtp.reply_code =250\n"
          "F s 0 smtp.reply_msg \"ok\"\n"
          "REQ c 0 \"BDAT\" \"10 LAST\"\n"
          "F c 0 smtp.command \"BDAT\"\n"
          "F c 0 smtp.arg \"10 LAST\"\n"
          "F c 0 smtp.command_line \"BDAT 10 LAST\"\n"
          "DATA c 0 \"ab\"\n"
          "F c 0 smtp.data \"ab\" B\n"
          "UNEXP c 0 \"content gap\" \"len = 5\"\n"
          "F c 0 smtp.unexpected \"content gap\"\n"
          "F c 0 smtp.unexpected \"len = 5\"\n"
          "ANOM c 0 CONTENT_GAP\n"
          "DATA c 0 \"xyz\"\n"
          "F c 0 smtp.data \"xyz\"\n"
          "F c 0 smtp.data \"\" E\n"
          "REQ c - \"QUIT\" \"\"\n"
          "F c - smtp.command \"QUIT\"\n"
          "F c - smtp.arg \"\"\n"
          "F c - smtp.command_line \"QUIT\"\n"
          "REP s 0 250 \"BDAT\" \"ok\"\n"
          "F s 0 smtp.reply_code =250\n"
          "F s 0 smtp.reply_msg \"ok\"\n"
          "CLOSE 0 data\n"
          "REP s - 221 \"QUIT\" \"bye\"\n"
          "F s - smtp.reply_code =221\n"
          "F s - smtp.reply_msg \"bye\"\n");
}

static void test_smtp_gap_in_reply(void **state)
{
    (void)state;
    static const struct step steps[] = {
        {S, greeting, 0},
        {C, "EHLO c\r\nMAIL FROM:<a@x>\r\n", 0},
        {S, "250-mx\r\n25", 0},
        {GAP_S, NULL, 30},
        {S, "0-more\r\n250 last\r\n250 ok\r\n", 0},
        {C, "RCPT TO:<b@y>\r\n", 0},
        {S, "250 ok\r\n", 0},
    };
    CHECK(steps, W_EV | W_AT,
          "REP s - 220 \">\" \"mx.example.org ESMTP\"\n"
          "OPEN 0\n"
          "REQ c 0 \"EHLO\" \"c\"\n"
          "REQ c 0 \"MAIL\" \"FROM:<a@x>\"\n"
          "REP s 0 250 \"EHLO\" \"mx\" cont\n"
          "UNEXP s - \"content gap\" \"len = 30\"\n"
          "ANOM s - CONTENT_GAP\n"
          "ANOM s - TRUNCATED_LINE\n"
          "REP s 0 250 \"EHLO\" \"last\"\n"
          "REP s 0 250 \"MAIL\" \"ok\"\n"
          "REQ c 0 \"RCPT\" \"TO:<b@y>\"\n"
          "REP s 0 250 \"RCPT\" \"ok\"\n");
}

static void test_smtp_command_line_limit(void **state)
{
    (void)state;
    struct sk_smtp_config cfg;
    sk_smtp_config_defaults(&cfg);
    cfg.max_command_line = 32;
    cfg.max_rfc_command_line = 24;
    static const struct step steps[] = {
        {S, greeting, 0},
        {C,
         "EHLO c\r\nMAIL FROM:<aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@x>\r\n"
         "RCPT TO:<bbbb@yyyyyy>\r\nRCPT TO:<b@y>\r\n",
         0},
        {S, "250 mx\r\n250 ok\r\n250 ok\r\n250 ok\r\n", 0},
    };
    CHECK_CFG(&cfg, steps, W_EV | W_AT,
              "REP s - 220 \">\" \"mx.example.org ESMTP\"\n"
              "OPEN 0\n"
              "REQ c 0 \"EHLO\" \"c\"\n"
              "ANOM c 0 MAX_COMMAND_LINE_LEN_EXCEEDED\n"
              "ANOM c 0 TRUNCATED_LINE\n"
              "ANOM c 0 COMMAND_LINE_LEN_EXCEEDED\n"
              "REQ c 0 \"MAIL\" \"FROM:<aaaaaaaaaaaaaaaaaaaaa\"\n"
              "REQ c 0 \"RCPT\" \"TO:<bbbb@yyyyyy>\"\n"
              "REQ c 0 \"RCPT\" \"TO:<b@y>\"\n"
              "REP s 0 250 \"EHLO\" \"mx\"\n"
              "REP s 0 250 \"MAIL\" \"ok\"\n"
              "REP s 0 250 \"RCPT\" \"ok\"\n"
              "REP s 0 250 \"RCPT\" \"ok\"\n");
}

static void test_smtp_reply_line_limit(void **state)
{
    (void)state;
    struct sk_smtp_config cfg;
    sk_smtp_config_defaults(&cfg);
    cfg.max_reply_line = 20;
    static const struct step steps[] = {
        {S, "220 mx.example.org ESMTP Postfix (Debian)\r\n", 0},
        {C, "EHLO c\r\n", 0},
        {S, "250 ok\r\n", 0},
    };
    CHECK_CFG(&cfg, steps, W_EV | W_AT,
              "ANOM s - MAX_REPLY_LINE_LEN_EXCEEDED\n"
              "ANOM s - TRUNCATED_LINE\n"
              "REP s - 220 \">\" \"mx.example.org E\"\n"
              "OPEN 0\n"
              "REQ c 0 \"EHLO\" \"c\"\n"
              "REP s 0 250 \"EHLO\" \"ok\"\n");
}

static void test_smtp_recipient_limit(void **state)
{
    (void)state;
    struct sk_smtp_config cfg;
    sk_smtp_config_defaults(&cfg);
    cfg.max_recipients = 2;
    static const struct step steps[] = {
        {S, greeting, 0},
        {C,
         "EHLO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<1@y>\r\nRCPT TO:<2@y>\r\nRCPT TO:<3@y>\r\n"
         "RCPT TO:<4@y>\r\n",
         0},
    };
    CHECK_CFG(&cfg, steps, W_AT,
              "OPEN 0\n"
              "ANOM c 0 TOO_MANY_RECIPIENTS\n");
}

static void test_smtp_bare_lf_cr_mix(void **state)
{
    (void)state;
    static const struct step steps[] = {
        {S, greeting, 0},
        {C, "EHLO c\nMAIL FROM:<a@x>\r\nRCPT TO:<b\r@y>\r\nNOOP\r\r\n", 0},
        {S, "250 mx\n250 ok\r\n", 0},
    };
    CHECK(steps, W_EV | W_ANOM,
          "REP s - 220 \">\" \"mx.example.org ESMTP\"\n"
          "UNEXP c 0 \"line does not end with <CR><LF>\" \"EHLO c\"\n"
          "ANOM c 0 BARE_LF\n"
          "REQ c 0 \"EHLO\" \"c\"\n"
          "ANOM c 0 LF_CRLF_MIX\n"
          "REQ c 0 \"MAIL\" \"FROM:<a@x>\"\n"
          "UNEXP c 0 \"Bare <CR> or <LF> appears in the middle of line\" \"RCPT TO:<b\\r@y>\"\n"
          "ANOM c 0 BARE_CR\n"
          "REQ c 0 \"RCPT\" \"TO:<b\\r@y>\"\n"
          "UNEXP c 0 \"more than one <CR> at the end of line\" \"NOOP\\r\"\n"
          "REQ c 0 \"NOOP\" \"\"\n"
          "UNEXP s 0 \"line does not end with <CR><LF>\" \"250 mx\"\n"
          "ANOM s 0 BARE_LF\n"
          "ANOM s 0 LF_CRLF_MIX\n"
          "REP s 0 250 \"EHLO\" \"mx\"\n"
          "REP s 0 250 \"MAIL\" \"ok\"\n");
}

static void test_smtp_nested_mail(void **state)
{
    (void)state;
    static const struct step steps[] = {
        {S, greeting, 0},
        {C, "EHLO c\r\nMAIL FROM:<a@x>\r\n", 0},
        {S, "250 mx\r\n550 refused\r\n", 0},
        {C, "MAIL FROM:<b@x>\r\n", 0},
        {S, "250 ok\r\n", 0},
        {C, "MAIL FROM:<c@x>\r\n", 0},
    };
    CHECK(steps, SK_EV_BIT(SK_EV_SMTP_REQUEST) | W_AT,
          /* every MAIL after an envelope begins a transaction (Zeek's smtp.log row); the
           * refused one (a) is a transaction of its own, b in an open one is nested */
          "OPEN 0\n"
          "REQ c 0 \"EHLO\" \"c\"\n"
          "REQ c 0 \"MAIL\" \"FROM:<a@x>\"\n"
          "CLOSE 0 mail\n"
          "OPEN 1\n"
          "REQ c 1 \"MAIL\" \"FROM:<b@x>\"\n"
          "ANOM c 1 NESTED_MAIL\n"
          "ANOM c 1 DUPLICATE_FIELDS\n"
          "CLOSE 1 mail\n"
          "OPEN 2\n"
          "REQ c 2 \"MAIL\" \"FROM:<c@x>\"\n");
}

static void test_smtp_too_many_pending_commands(void **state)
{
    (void)state;
    struct sk_smtp_config cfg;
    sk_smtp_config_defaults(&cfg);
    cfg.max_pending_commands = 4;
    static const struct step steps[] = {
        {S, greeting, 0},
        {C, "EHLO c\r\nNOOP\r\nNOOP\r\nNOOP\r\nVRFY x\r\nHELP\r\n", 0},
        {S, "250 mx\r\n250 1\r\n250 2\r\n250 3\r\n252 4\r\n214 5\r\n", 0},
    };
    CHECK_CFG(&cfg, steps, SK_EV_BIT(SK_EV_SMTP_REPLY) | W_ANOM,
              "REP s - 220 \">\" \"mx.example.org ESMTP\"\n"
              "ANOM c 0 TOO_MANY_PENDING_COMMANDS\n"
              "REP s 0 250 \"EHLO\" \"mx\"\n"
              "REP s 0 250 \"NOOP\" \"1\"\n"
              "REP s 0 250 \"NOOP\" \"2\"\n"
              "REP s 0 250 \"NOOP\" \"3\"\n"
              "REP s - 252 \"(UNKNOWN)\" \"4\"\n"
              "REP s - 214 \"(UNKNOWN)\" \"5\"\n");
}

static void test_smtp_reply_anomalies(void **state)
{
    (void)state;
    static const struct step steps[] = {
        {S, greeting, 0},
        {C, "EHLO c\r\nNOOP\r\nNOOP\r\nNOOP\r\nNOOP\r\n", 0},
        {S, "250-mx\r\n251 other\r\n", 0},
        {S, "hello there\r\n099 low\r\n150 odd\r\n250x glued\r\n250\r\n", 0},
    };
    CHECK(steps, W_EV | W_ANOM,
          "REP s - 220 \">\" \"mx.example.org ESMTP\"\n"
          "REQ c 0 \"EHLO\" \"c\"\n"
          "REQ c 0 \"NOOP\" \"\"\n"
          "REQ c 0 \"NOOP\" \"\"\n"
          "REQ c 0 \"NOOP\" \"\"\n"
          "REQ c 0 \"NOOP\" \"\"\n"
          "REP s 0 250 \"EHLO\" \"mx\" cont\n"
          "ANOM s 0 CONT_CODE_MISMATCH\n"
          "UNEXP s 0 \"reply code does not match the continuing reply\" \"251 other\"\n"
          "REP s 0 251 \"NOOP\" \"other\"\n"
          "ANOM s 0 INVALID_REPLY\n"
          "UNEXP s 0 \"reply code out of range\" \"hello there\"\n"
          "ANOM s 0 REPLY_CODE_OUT_OF_RANGE\n"
          "UNEXP s 0 \"reply code out of range\" \"099 low\"\n"
          "ANOM s 0 REPLY_CODE_OUT_OF_RANGE\n"
          "REP s 0 150 \"NOOP\" \"odd\"\n"
          "ANOM s 0 INVALID_REPLY\n"
          "REP s 0 250 \"NOOP\" \"x glued\"\n"
          "REP s 0 250 \"NOOP\" \"\"\n");
}

/* suricata-verify smtp-errors: a code no SMTP RFC defines (472, 402) is INVALID_REPLY, on the
 * first line of a reply only; it is still reported. */
static void test_smtp_reply_code_undefined(void **state)
{
    (void)state;
    static const struct step steps[] = {
        {S, greeting, 0},
        {C, "EHLO c\r\nNOOP\r\nNOOP\r\n", 0},
        {S, "250 mx\r\n472-no\r\n472 dns\r\n454 tls\r\n", 0},
    };
    CHECK(steps, W_EV | W_ANOM,
          "REP s - 220 \">\" \"mx.example.org ESMTP\"\n"
          "REQ c 0 \"EHLO\" \"c\"\n"
          "REQ c 0 \"NOOP\" \"\"\n"
          "REQ c 0 \"NOOP\" \"\"\n"
          "REP s 0 250 \"EHLO\" \"mx\"\n"
          "ANOM s 0 INVALID_REPLY\n"
          "REP s 0 472 \"NOOP\" \"no\" cont\n"
          "REP s 0 472 \"NOOP\" \"dns\"\n"
          "REP s 0 454 \"NOOP\" \"tls\"\n");
}

static void test_smtp_no_server_welcome_message(void **state)
{
    (void)state;
    static const struct step steps[] = {
        {S, "554 no service for you\r\n", 0},
        {C, "QUIT\r\n", 0},
        {S, "221 bye\r\n", 0},
    };
    CHECK(steps, W_EV | W_ANOM,
          "REP s - 554 \">\" \"no service for you\"\n"
          "ANOM s - NO_SERVER_WELCOME_MESSAGE\n"
          "REQ c 0 \"QUIT\" \"\"\n"
          "REP s 0 221 \"QUIT\" \"bye\"\n");
}

static void test_smtp_data_command_rejected(void **state)
{
    (void)state;
    static const struct step steps[] = {
        {S, greeting, 0},
        {C, "EHLO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n", 0},
        {S, "250 mx\r\n250 ok\r\n550 no\r\n554 no valid recipients\r\n", 0},
        {C, "RSET\r\n", 0},
        {S, "250 ok\r\n", 0},
        {DONE, NULL, 0},
    };
    CHECK(steps, W_ALL & ~W_FIELD,
          "REP s - 220 \">\" \"mx.example.org ESMTP\"\n"
          "OPEN 0\n"
          "REQ c 0 \"EHLO\" \"c\"\n"
          "REQ c 0 \"MAIL\" \"FROM:<a@x>\"\n"
          "REQ c 0 \"RCPT\" \"TO:<b@y>\"\n"
          "REQ c 0 \"DATA\" \"\"\n"
          "REP s 0 250 \"EHLO\" \"mx\"\n"
          "REP s 0 250 \"MAIL\" \"ok\"\n"
          "REP s 0 550 \"RCPT\" \"no\"\n"
          "REP s 0 554 \"DATA\" \"no valid recipients\"\n"
          "ANOM s 0 DATA_COMMAND_REJECTED\n"
          "REQ c 0 \"RSET\" \"\"\n"
          "REP s 0 250 \"RSET\" \"ok\"\n"
          "CLOSE 0 rset\n");
}

static void test_smtp_unmatched_reply(void **state)
{
    (void)state;
    static const struct step steps[] = {
        {S, greeting, 0},
        {S, "421 shutting down\r\n", 0},
    };
    CHECK(steps, W_EV | W_ANOM,
          "REP s - 220 \">\" \"mx.example.org ESMTP\"\n"
          "ANOM s - UNABLE_TO_MATCH_REPLY_WITH_REQUEST\n"
          "REP s - 421 \"(UNKNOWN)\" \"shutting down\"\n");
}

static void test_smtp_invalid_pipelined_sequence(void **state)
{
    (void)state;
    static const struct step steps[] = {
        {S, greeting, 0},
        {C, "EHLO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\nSubject: x\r\n\r\nhi\r\n.\r\n",
         0},
        {S, "250 mx\r\n250 ok\r\n250 ok\r\n354 go\r\n250 queued\r\n", 0},
    };
    CHECK(steps, SK_EV_BIT(SK_EV_SMTP_REQUEST) | W_AT,
          "OPEN 0\n"
          "REQ c 0 \"EHLO\" \"c\"\n"
          "REQ c 0 \"MAIL\" \"FROM:<a@x>\"\n"
          "REQ c 0 \"RCPT\" \"TO:<b@y>\"\n"
          "REQ c 0 \"DATA\" \"\"\n"
          "ANOM c 0 INVALID_PIPELINED_SEQUENCE\n"
          "REQ c 0 \".\" \".\"\n"
          "CLOSE 0 data\n");
}

/* The capture starts after the greeting: the first reply answers the first command. */
static void test_smtp_midstream_pickup(void **state)
{
    (void)state;
    static const struct step steps[] = {
        {C, "MAIL FROM:<a@x>\r\n", 0},
        {S, "250 ok\r\n", 0},
        {C, "RCPT TO:<b@y>\r\n", 0},
        {S, "250 ok\r\n", 0},
    };
    CHECK(steps, W_EV | W_AT,
          "OPEN 0\n"
          "REQ c 0 \"MAIL\" \"FROM:<a@x>\"\n"
          "REP s 0 250 \"MAIL\" \"ok\"\n"
          "REQ c 0 \"RCPT\" \"TO:<b@y>\"\n"
          "REP s 0 250 \"RCPT\" \"ok\"\n");
}

static void test_smtp_unknown_refused_allowed_xlink2state(void **state)
{
    (void)state;
    static const char *const refused[] = {"vrfy", "EXPN", NULL};
    static const char *const allowed[] = {"xyzzy", NULL};
    struct sk_smtp_config cfg;
    sk_smtp_config_defaults(&cfg);
    cfg.refused_commands = refused;
    cfg.allowed_commands = allowed;
    static const struct step steps[] = {
        {S, greeting, 0},
        {C, "EHLO c\r\nvrfy root\r\nXyzzy magic\r\nFOO bar\r\nX-LINK2STATE LAST CHUNK=x\r\n", 0},
        {S, "250 mx\r\n252 maybe\r\n250 nothing happens\r\n500 what\r\n500 no\r\n", 0},
    };
    CHECK_CFG(&cfg, steps, W_EV | W_ANOM,
              "REP s - 220 \">\" \"mx.example.org ESMTP\"\n"
              "REQ c 0 \"EHLO\" \"c\"\n"
              "ANOM c 0 ILLEGAL_COMMAND\n"
              "REQ c 0 \"VRFY\" \"root\"\n"
              "REQ c 0 \"XYZZY\" \"magic\"\n"
              "ANOM c 0 UNKNOWN_COMMAND\n"
              "UNEXP c 0 \"unknown command\" \"FOO\"\n"
              "REQ c 0 \"X-LINK2STATE\" \"LAST CHUNK=x\"\n"
              "ANOM c 0 XLINK2STATE\n"
              "REP s 0 250 \"EHLO\" \"mx\"\n"
              "REP s 0 252 \"VRFY\" \"maybe\"\n"
              "REP s 0 250 \"(UNKNOWN)\" \"nothing happens\"\n"
              "REP s 0 500 \"(UNKNOWN)\" \"what\"\n"
              "REP s 0 500 \"X-LINK2STATE\" \"no\"\n");
}

static void test_smtp_turn_swaps_roles(void **state)
{
    (void)state;
    static const struct step steps[] = {
        {S, greeting, 0},          {C, "EHLO c\r\nTURN\r\n", 0}, {S, "250 mx\r\n250 OK\r\n", 0},
        {C, "220 c ready\r\n", 0}, {S, "HELO mx\r\n", 0},        {C, "250 hi\r\n", 0},
    };
    CHECK(steps, W_EV | W_AT,
          "REP s - 220 \">\" \"mx.example.org ESMTP\"\n"
          "OPEN 0\n"
          "REQ c 0 \"EHLO\" \"c\"\n"
          "REQ c 0 \"TURN\" \"\"\n"
          "REP s 0 250 \"EHLO\" \"mx\"\n"
          "REP s 0 250 \"TURN\" \"OK\"\n"
          "CLOSE 0 session\n"
          "REP c - 220 \">\" \"c ready\"\n"
          "OPEN 1\n"
          "REQ s 1 \"HELO\" \"mx\"\n"
          "REP c 1 250 \"HELO\" \"hi\"\n");
}

/* An accepted HELO/EHLO inside an envelope ends the transaction like RSET (RFC 5321 4.1.4, as
 * suricata-verify smtp-ehlo-reset); a refused one keeps it (smtp-rejected-ehlo-preserves-
 * envelope). A second HELO raises DUPLICATE_FIELDS, as in Suricata. */
static void test_smtp_ehlo_resets_envelope(void **state)
{
    (void)state;
    static const struct step steps[] = {
        {S, greeting, 0},
        {C, "helo client.example.com\r\n", 0},
        {S, "250 mx\r\n", 0},
        {C, "mail from:<alice@example.com>\r\n", 0},
        {S, "250 ok\r\n", 0},
        {C, "EHLO\r\n", 0},
        {S, "501 syntax: EHLO hostname\r\n", 0},
        {C, "ehlo client.example.com\r\n", 0},
        {S, "250 mx\r\n", 0},
        {C, "mail from:<bob@example.com>\r\nrcpt to:<alice@example.com>\r\n", 0},
        {S, "250 ok\r\n250 ok\r\n", 0},
        {DONE, NULL, 0},
    };
    CHECK(steps, W_AT | SK_EV_BIT(SK_EV_SMTP_REQUEST),
          "OPEN 0\n"
          "REQ c 0 \"HELO\" \"client.example.com\"\n"
          "REQ c 0 \"MAIL\" \"from:<alice@example.com>\"\n"
          "REQ c 0 \"EHLO\" \"\"\n"
          "REQ c 0 \"EHLO\" \"client.example.com\"\n"
          "ANOM c 0 DUPLICATE_FIELDS\n"
          "CLOSE 0 rset\n"
          "OPEN 1\n"
          "REQ c 1 \"MAIL\" \"from:<bob@example.com>\"\n"
          "REQ c 1 \"RCPT\" \"to:<alice@example.com>\"\n"
          "CLOSE 1 session\n");
}

/* suricata-verify smtp-no-helo-quit / -rset: the session's first command opens a transaction
 * even when it is QUIT or RSET; later ones outside a transaction do not. */
static void test_smtp_quit_first_opens_tx(void **state)
{
    (void)state;
    static const struct step steps[] = {
        {S, greeting, 0},
        {C, "QUIT\r\n", 0},
        {S, "221 bye\r\n", 0},
        {DONE, NULL, 0},
    };
    CHECK(steps, W_AT | SK_EV_BIT(SK_EV_SMTP_REQUEST),
          "OPEN 0\n"
          "REQ c 0 \"QUIT\" \"\"\n"
          "CLOSE 0 session\n");
}

/* suricata-verify smtp-pipelined-post-data-rset-sequence: RSET and a new envelope pipelined
 * before the reply to '.': two transactions, no anomaly, the RSET's reply changes nothing. */
static void test_smtp_pipelined_rset_after_data(void **state)
{
    (void)state;
    static const struct step steps[] = {
        {S, greeting, 0},
        {C, to_data, 0},
        {S, to_data_ok, 0},
        {C, "hi\r\n.\r\nRSET\r\nMAIL FROM:<b@x>\r\nRCPT TO:<a@y>\r\nDATA\r\n", 0},
        {S, "250 queued\r\n250 reset\r\n250 ok\r\n250 ok\r\n354 go\r\n", 0},
        {C, "second\r\n.\r\nQUIT\r\n", 0},
        {S, "250 queued\r\n221 bye\r\n", 0},
        {DONE, NULL, 0},
    };
    CHECK(steps, W_AT | SK_EV_BIT(SK_EV_SMTP_REPLY),
          "REP s - 220 \">\" \"mx.example.org ESMTP\"\n"
          "OPEN 0\n"
          "REP s 0 250 \"EHLO\" \"mx\"\n"
          "REP s 0 250 \"MAIL\" \"ok\"\n"
          "REP s 0 250 \"RCPT\" \"ok\"\n"
          "REP s 0 354 \"DATA\" \"go\"\n"
          "OPEN 1\n"
          "REP s 0 250 \".\" \"queued\"\n"
          "CLOSE 0 data\n"
          "REP s - 250 \"RSET\" \"reset\"\n"
          "REP s 1 250 \"MAIL\" \"ok\"\n"
          "REP s 1 250 \"RCPT\" \"ok\"\n"
          "REP s 1 354 \"DATA\" \"go\"\n"
          "REP s 1 250 \".\" \"queued\"\n"
          "CLOSE 1 data\n"
          "REP s - 221 \"QUIT\" \"bye\"\n");
}

/* ---- the MIME hook ---- */

struct body_rec {
    char text[4096];
    size_t len;
    int open;
};

static void body_put(struct body_rec *b, const char *s, size_t n)
{
    assert_true(b->len + n < sizeof(b->text));
    memcpy(b->text + b->len, s, n);
    b->len += n;
    b->text[b->len] = 0;
}

static void *body_begin(void *ctx, uint64_t tx_id, const struct sk_sink *sink)
{
    struct body_rec *b = ctx;
    char buf[64];
    assert_non_null(sink);
    int n = snprintf(buf, sizeof(buf), "[begin %llu]", (unsigned long long)tx_id);
    body_put(b, buf, (size_t)n);
    b->open++;
    return b;
}

static void body_data(void *body, const uint8_t *buf, size_t len)
{
    body_put(body, (const char *)buf, len);
}

static void body_end(void *body, bool complete)
{
    struct body_rec *b = body;
    body_put(b, complete ? "[end ok]" : "[end cut]", complete ? 8 : 9);
    b->open--;
}

static void test_smtp_body_hook(void **state)
{
    (void)state;
    static const struct step steps[] = {
        {S, greeting, 0},
        {C, to_data, 0},
        {S, to_data_ok, 0},
        {C, "Subject: x\r\n\r\n..dot\r\n.\r\n", 0},
        {S, "250 ok\r\n", 0},
        {C, "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n", 0},
        {S, "250 ok\r\n250 ok\r\n554 no\r\n", 0},
        {C, "RSET\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nBDAT 3\r\nabcBDAT 0 LAST\r\n", 0},
        {S, "250 ok\r\n250 ok\r\n250 ok\r\n250 ok\r\n250 ok\r\n", 0},
        {C, "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nBDAT 10\r\nabc", 0},
        {DONE, NULL, 0},
    };
    static const struct sk_smtp_body_ops ops = {
        .begin = body_begin, .data = body_data, .end = body_end};
    struct body_rec b = {0};
    struct sk_smtp_body_ops o = ops;
    o.ctx = &b;
    struct sk_smtp_config cfg;
    sk_smtp_config_defaults(&cfg);
    cfg.body = &o;
    for (int bytewise = 0; bytewise < 2; bytewise++) {
        b.len = 0;
        free(run_script(&cfg, steps, sizeof(steps) / sizeof(steps[0]), W_ALL, true, 0, 0, bytewise,
                        NULL));
        assert_string_equal(b.text, "[begin 0]Subject: x\r\n\r\n.dot\r\n[end ok]"
                                    "[begin 2]abc[end ok]"
                                    "[begin 3]abc[end cut]");
        assert_int_equal(b.open, 0);
    }
}

/* A sink that wants only anomalies still gets them all, and nothing else. */
static void test_smtp_want_mask(void **state)
{
    (void)state;
    static const struct step steps[] = {
        {S, greeting, 0},     {C, to_data, 0},
        {S, to_data_ok, 0},   {C, "hello\n.\nmore\r\n.\r\n", 0},
        {S, "250 ok\r\n", 0},
    };
    CHECK(steps, W_ANOM, "ANOM c 0 SMUGGLING_END_OF_DATA\n");
    CHECK(steps, 0, "");
}

/* Message lines that need nothing line by line (no leading dot, no smuggling marker, none
 * longer than a piece) go on as one smtp.data chunk per run, while smtp_data stays one event
 * per line: the stuffed line splits the feed into two runs around it. */
static void test_smtp_data_runs_one_chunk(void **state)
{
    (void)state;
    static const struct step steps[] = {
        {S, greeting, 0},
        {C, to_data, 0},
        {S, to_data_ok, 0},
        {C, "one\r\ntwo\n..three\r\nfour\r\nfive\r\n.\r\n", 0},
    };
    check_data_trace(steps, 4,
                     "DATA c 0 \"one\"\n"
                     "DATA c 0 \"two\"\n"
                     "F c 0 smtp.data \"one\\r\\ntwo\\n\" B\n"
                     "DATA c 0 \".three\"\n"
                     "F c 0 smtp.data \".three\\r\\n\"\n"
                     "DATA c 0 \"four\"\n"
                     "DATA c 0 \"five\"\n"
                     "F c 0 smtp.data \"four\\r\\nfive\\r\\n\"\n"
                     "F c 0 smtp.data \"\" E\n"
                     "F c 0 smtp.command \".\"\n"
                     "F c 0 smtp.arg \".\"\n"
                     "F c 0 smtp.command_line \".\"\n");
}

struct skip_count {
    size_t built, skipped;
};

static void skip_emit(void *ctx, const struct sk_event *ev)
{
    struct skip_count *c = ctx;
    if (ev->type == SK_EV_SMTP_DATA)
        c->built++;
}

static void skip_note(void *ctx, enum sk_event_type type, uint64_t n)
{
    struct skip_count *c = ctx;
    assert_int_equal(type, SK_EV_SMTP_DATA);
    c->skipped += n;
}

/* Feeds a message cut in two at split (0: whole) and returns the smtp_data count. */
static struct skip_count skip_run(const struct sk_smtp_config *cfg, uint32_t want, const char *msg,
                                  size_t len, size_t split)
{
    struct skip_count c = {0};
    struct sk_sink sink = {.emit = skip_emit, .ctx = &c, .want = want, .skipped = skip_note};
    void *st = NULL;
    assert_int_equal(sk_smtp_parser.state_new(&st, cfg, &sink), 0);
    sk_smtp_parser.feed(st, false, (const uint8_t *)greeting, strlen(greeting));
    sk_smtp_parser.feed(st, true, (const uint8_t *)to_data, strlen(to_data));
    sk_smtp_parser.feed(st, false, (const uint8_t *)to_data_ok, strlen(to_data_ok));
    if (split > 0)
        sk_smtp_parser.feed(st, true, (const uint8_t *)msg, split);
    sk_smtp_parser.feed(st, true, (const uint8_t *)msg + split, len - split);
    sk_smtp_parser.close(st);
    sk_smtp_parser.state_free(st);
    return c;
}

/* smtp_data events nobody wants are not built but counted through sink.skipped: as many as
 * would have been built, however the bytes are split, with long lines in pieces, stuffed
 * dots, a smuggling marker and a gap-free CR at a piece boundary among them. */
static void test_smtp_data_skipped_counted(void **state)
{
    (void)state;
    struct sk_smtp_config cfg;
    sk_smtp_config_defaults(&cfg);
    cfg.max_data_chunk = 16;
    static const char msg[] = "Subject: x\r\n\r\na line longer than sixteen bytes\r\n..dot\r\n"
                              "fifteen bytes\r\r\nb\r.\rc\r\n\n\r\nlast\r\n.\r\n";
    size_t len = sizeof(msg) - 1;
    struct skip_count all = skip_run(&cfg, W_ALL, msg, len, 0);
    assert_int_equal(all.skipped, 0);
    assert_true(all.built > 8);
    for (size_t k = 0; k < len; k++) {
        struct skip_count some = skip_run(&cfg, W_ALL & ~SK_EV_BIT(SK_EV_SMTP_DATA), msg, len, k);
        assert_int_equal(some.built, 0);
        assert_int_equal(some.skipped, all.built);
        assert_int_equal(skip_run(&cfg, W_ALL, msg, len, k).built, all.built);
    }
}

/* Regression: a partial line held in DATA mode (data limit above the command limit) outlives a
 * refused DATA and comes out as one command piece longer than the command limit; upper-casing
 * its unknown verb overflowed a buffer sized by the command limit (found by ASan). */
static void test_smtp_partial_line_across_mode_change(void **state)
{
    (void)state;
    struct sk_smtp_config cfg;
    sk_smtp_config_defaults(&cfg);
    cfg.max_command_line = 16;
    cfg.max_data_chunk = 64;
    static const struct step steps[] = {
        {S, greeting, 0},
        {C, "EHLO c\r\nMAIL FROM:<a>\r\nRCPT TO:<b>\r\nDATA\r\n", 0},
        {C, "abcdefghijklmnopqrstuvwxyzabcdefghijklmn", 0},
        {S, "250 mx\r\n250 ok\r\n250 ok\r\n554 no\r\n", 0},
        {C, "\r\nQUIT\r\n", 0},
    };
    CHECK_CFG(&cfg, steps, W_EV | W_ANOM,
              "REP s - 220 \">\" \"mx.example.org ESMTP\"\n"
              "REQ c 0 \"EHLO\" \"c\"\n"
              "REQ c 0 \"MAIL\" \"FROM:<a>\"\n"
              "REQ c 0 \"RCPT\" \"TO:<b>\"\n"
              "REQ c 0 \"DATA\" \"\"\n"
              "REP s 0 250 \"EHLO\" \"mx\"\n"
              "REP s 0 250 \"MAIL\" \"ok\"\n"
              "REP s 0 250 \"RCPT\" \"ok\"\n"
              "REP s 0 554 \"DATA\" \"no\"\n"
              "ANOM s 0 DATA_COMMAND_REJECTED\n"
              "ANOM c 0 MAX_COMMAND_LINE_LEN_EXCEEDED\n"
              "ANOM c 0 TRUNCATED_LINE\n"
              "ANOM c 0 UNKNOWN_COMMAND\n"
              "REQ c 0 \"QUIT\" \"\"\n");
}

/* Regression: a state freed without close() left the body hook's message open (LeakSanitizer). */
static void test_smtp_free_ends_body(void **state)
{
    (void)state;
    static const struct step steps[] = {
        {S, greeting, 0},
        {C, to_data, 0},
        {S, to_data_ok, 0},
        {C, "cut short\r\n", 0},
    };
    struct body_rec b = {0};
    struct sk_smtp_body_ops o = {.begin = body_begin, .data = body_data, .end = body_end};
    o.ctx = &b;
    struct sk_smtp_config cfg;
    sk_smtp_config_defaults(&cfg);
    cfg.body = &o;
    free(run_script(&cfg, steps, sizeof(steps) / sizeof(steps[0]), W_ALL, true, 0, 0, false, NULL));
    assert_int_equal(b.open, 0);
    assert_string_equal(b.text, "[begin 0]cut short\r\n[end cut]");
}

/* Regression (issue 11): BDAT chunks, a gap that swallows the rest of the chunk, then a 354
 * the parser did not ask for began a second message over the first, whose body hook never saw
 * its end (its MIME decoder leaked, about 15 KB a flow an attacker could repeat). */
static void test_smtp_unexpected_354_ends_open_bdat(void **state)
{
    (void)state;
    static const struct step steps[] = {
        {S, greeting, 0},
        {C, mail_hdr, 0},
        {S, mail_ok, 0},
        {C, "BDAT 100\r\nab", 0},
        {GAP_C, NULL, 500},
        {S, "250 ok\r\n250 lost\r\n354 go on\r\n", 0},
        {C, "Subject: y\r\n\r\nz\r\n.\r\n", 0},
        {S, "250 queued\r\n", 0},
        {DONE, NULL, 0},
    };
    struct body_rec b = {0};
    struct sk_smtp_body_ops o = {.begin = body_begin, .data = body_data, .end = body_end};
    o.ctx = &b;
    struct sk_smtp_config cfg;
    sk_smtp_config_defaults(&cfg);
    cfg.body = &o;
    for (int bytewise = 0; bytewise < 2; bytewise++) {
        b.len = 0;
        free(run_script(&cfg, steps, sizeof(steps) / sizeof(steps[0]), W_ALL, true, 0, 0, bytewise,
                        NULL));
        assert_int_equal(b.open, 0);
        assert_string_equal(b.text, "[begin 0]ab[end cut][begin 0]Subject: y\r\n\r\nz\r\n[end ok]");
    }
}

/* ---- bounded memory ---- */

static size_t heap_in_use(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks;
}

struct count_sink {
    size_t events[SK_EV_TYPE_COUNT];
    size_t anomalies[SK_ANOMALY_COUNT];
};

static void count_emit(void *ctx, const struct sk_event *ev)
{
    struct count_sink *c = ctx;
    c->events[ev->type]++;
    if (ev->type == SK_EV_ANOMALY)
        c->anomalies[ev->u.anomaly.id]++;
}

/* A client that sends its whole session before the greeting (flow seen from its handshake):
 * the greeting stays first in the queue, as in Zeek's analyzer, so every reply pairs with its
 * own command and the 220 answers the connection. */
static void test_smtp_pregreeting_pipelined(void **state)
{
    (void)state;
    static const struct step steps[] = {
        {START, NULL, 0},
        {C,
         "EHLO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\nSubject: "
         "x\r\n\r\nhi\r\n.\r\nQUIT\r\n",
         0},
        {S, "220 mx\r\n250 mx\r\n250 ok\r\n250 ok\r\n354 go\r\n250 queued\r\n221 bye\r\n", 0},
    };
    CHECK(steps, SK_EV_BIT(SK_EV_SMTP_REPLY) | W_ANOM,
          "ANOM s - NO_SERVER_WELCOME_MESSAGE\n"
          "ANOM c 0 INVALID_PIPELINED_SEQUENCE\n"
          "REP s - 220 \">\" \"mx\"\n"
          "REP s 0 250 \"EHLO\" \"mx\"\n"
          "REP s 0 250 \"MAIL\" \"ok\"\n"
          "REP s 0 250 \"RCPT\" \"ok\"\n"
          "REP s 0 354 \"DATA\" \"go\"\n"
          "REP s 0 250 \".\" \"queued\"\n"
          "REP s - 221 \"QUIT\" \"bye\"\n");
}

/* Every MAIL FROM after an envelope begins a transaction (Zeek's smtp.log row): a RCPT
 * without MAIL, a refused MAIL FROM and an envelope whose DATA was refused are transactions
 * of their own, and a refused MAIL FROM never becomes the next transaction's mail_from. */
static void test_smtp_tx_per_envelope(void **state)
{
    (void)state;
    static const struct step steps[] = {
        {S, greeting, 0},
        {C, "EHLO c\r\n", 0},
        {S, "250 mx\r\n", 0},
        {C, "RCPT TO:<b@y>\r\n", 0},
        {S, "503 need MAIL\r\n", 0},
        {C, "MAIL FROM:<m@x> BODY=X\r\n", 0},
        {S, "555 bad option\r\n", 0},
        {C, "MAIL FROM:<a@x>\r\n", 0},
        {S, "250 ok\r\n", 0},
        {C, "DATA\r\n", 0},
        {S, "554 no valid recipients\r\n", 0},
        {C, "MAIL FROM:<c@x>\r\n", 0},
        {S, "250 ok\r\n", 0},
        {C, "QUIT\r\n", 0},
        {S, "221 bye\r\n", 0},
        {DONE, NULL, 0},
    };
    CHECK(steps, W_AT | SK_EV_BIT(SK_EV_SMTP_REQUEST),
          "OPEN 0\n"
          "REQ c 0 \"EHLO\" \"c\"\n"
          "REQ c 0 \"RCPT\" \"TO:<b@y>\"\n"
          "CLOSE 0 mail\n"
          "OPEN 1\n"
          "REQ c 1 \"MAIL\" \"FROM:<m@x> BODY=X\"\n"
          "CLOSE 1 mail\n"
          "OPEN 2\n"
          "REQ c 2 \"MAIL\" \"FROM:<a@x>\"\n"
          "REQ c 2 \"DATA\" \"\"\n"
          "ANOM s 2 DATA_COMMAND_REJECTED\n"
          "ANOM c 2 NESTED_MAIL\n"
          "ANOM c 2 DUPLICATE_FIELDS\n"
          "CLOSE 2 mail\n"
          "OPEN 3\n"
          "REQ c 3 \"MAIL\" \"FROM:<c@x>\"\n"
          "REQ c 3 \"QUIT\" \"\"\n"
          "CLOSE 3 session\n");
}

/* A DATA line cut at the line limit begins no message; the server's 354 to it does. */
static void test_smtp_354_begins_body(void **state)
{
    (void)state;
    struct sk_smtp_config cfg;
    sk_smtp_config_defaults(&cfg);
    cfg.max_command_line = 20;
    static const struct step steps[] = {
        {S, greeting, 0},         {C, mail_hdr, 0},
        {S, mail_ok, 0},          {C, "DATA 0123456789abcdefghij\r\n", 0},
        {S, "354 go\r\n", 0},     {C, "Subject: x\r\n\r\nhi\r\n.\r\n", 0},
        {S, "250 queued\r\n", 0},
    };
    CHECK_CFG(&cfg, steps, W_AT | SK_EV_BIT(SK_EV_SMTP_REQUEST) | SK_EV_BIT(SK_EV_SMTP_DATA),
              "OPEN 0\n"
              "REQ c 0 \"EHLO\" \"c\"\n"
              "REQ c 0 \"MAIL\" \"FROM:<a@x>\"\n"
              "REQ c 0 \"RCPT\" \"TO:<b@y>\"\n"
              "ANOM c 0 MAX_COMMAND_LINE_LEN_EXCEEDED\n"
              "ANOM c 0 TRUNCATED_LINE\n"
              "REQ c 0 \"DATA\" \"0123456789abcde\"\n"
              "DATA c 0 \"Subject: xhi\"\n"
              "REQ c 0 \".\" \".\"\n"
              "CLOSE 0 data\n");
}

/* A flow seen from its handshake whose server never greets: NO_SERVER_WELCOME_MESSAGE when
 * the client speaks first, and pairing stays right. Without session_start (a capture that
 * may have begun late) the same bytes raise nothing. */
static void test_smtp_no_greeting_from_start(void **state)
{
    (void)state;
    for (int from_start = 0; from_start < 2; from_start++) {
        struct count_sink c = {0};
        struct sk_sink sink = {.emit = count_emit, .ctx = &c, .want = W_ALL};
        void *st = NULL;
        assert_int_equal(sk_smtp_parser.state_new(&st, NULL, &sink), 0);
        if (from_start)
            sk_smtp_parser.session_start(st);
        sk_smtp_parser.feed(st, true, (const uint8_t *)"EHLO c\r\n", 8);
        sk_smtp_parser.feed(st, false, (const uint8_t *)"250 ok\r\n", 8);
        sk_smtp_parser.feed(st, true, (const uint8_t *)"QUIT\r\n", 6);
        sk_smtp_parser.feed(st, false, (const uint8_t *)"221 bye\r\n", 9);
        sk_smtp_parser.close(st);
        assert_int_equal(c.anomalies[SK_ANOMALY_NO_SERVER_WELCOME_MESSAGE], from_start);
        assert_int_equal(c.anomalies[SK_ANOMALY_UNABLE_TO_MATCH_REPLY_WITH_REQUEST], 0);
        assert_int_equal(c.events[SK_EV_SMTP_REPLY], 2);
        sk_smtp_parser.state_free(st);
    }
}

/* Implicit TLS (SMTPS): a direction that opens with a TLS record is not parsed, raises no
 * anomaly, and is reported as "tls"; a plain SMTP server on the other side stays "smtp". */
static void test_smtp_implicit_tls_direction(void **state)
{
    (void)state;
    static const uint8_t hello[] = {0x16, 0x03, 0x01, 0x00, 0x05, 'H', '\n', 0x00, 0x0d, 0x0a};
    struct count_sink c = {0};
    struct sk_sink sink = {.emit = count_emit, .ctx = &c, .want = W_ALL};
    void *st = NULL;
    assert_int_equal(sk_smtp_parser.state_new(&st, NULL, &sink), 0);
    assert_null(sk_smtp_parser.direction_proto(st, true));
    sk_smtp_parser.session_start(st);
    sk_smtp_parser.feed(st, true, hello, sizeof(hello));
    sk_smtp_parser.feed(st, true, hello, sizeof(hello));
    sk_smtp_parser.feed(st, false, (const uint8_t *)"220 mx ESMTP\r\n", 14);
    sk_smtp_parser.close(st);
    assert_string_equal(sk_smtp_parser.direction_proto(st, true), "tls");
    assert_string_equal(sk_smtp_parser.direction_proto(st, false), "smtp");
    for (int a = 0; a < SK_ANOMALY_COUNT; a++)
        assert_int_equal(c.anomalies[a], 0);
    assert_int_equal(c.events[SK_EV_SMTP_UNEXPECTED], 0);
    assert_int_equal(c.events[SK_EV_SMTP_REPLY], 1);
    assert_false(sk_smtp_parser.done(st));
    sk_smtp_parser.state_free(st);
}

/* A client line that merely looks like a TLS record, then SMTP: it is not implicit TLS. The
 * line is flagged (UNKNOWN_COMMAND) and the commands after it are parsed, so a junk opening
 * does not blind the parser. */
static void test_smtp_fake_tls_opening_parsed(void **state)
{
    (void)state;
    static const struct step steps[] = {
        {S, greeting, 0},
        {C, "\x16\x03junk\r\nEHLO c\r\n", 0},
        {S, "500 what\r\n250 mx\r\n", 0},
    };
    CHECK(steps, W_EV | W_ANOM,
          "REP s - 220 \">\" \"mx.example.org ESMTP\"\n"
          "ANOM c - UNKNOWN_COMMAND\n"
          "REQ c 0 \"EHLO\" \"c\"\n"
          "REP s - 500 \"(UNKNOWN)\" \"what\"\n"
          "REP s 0 250 \"EHLO\" \"mx\"\n");
}

/* A 64 MB line without LF from either side: one anomaly each, memory does not grow. */
static void test_smtp_long_line_bounded(void **state)
{
    (void)state;
    struct count_sink c = {0};
    struct sk_sink sink = {.emit = count_emit, .ctx = &c, .want = W_ALL};
    void *st = NULL;
    assert_int_equal(sk_smtp_parser.state_new(&st, NULL, &sink), 0);
    static uint8_t block[65536];
    memset(block, 'A', sizeof(block));
    sk_smtp_parser.feed(st, false, (const uint8_t *)greeting, sizeof(greeting) - 1);
    size_t before = heap_in_use();
    for (int i = 0; i < 1024; i++) {
        sk_smtp_parser.feed(st, true, block, sizeof(block));
        sk_smtp_parser.feed(st, false, block, sizeof(block));
    }
    size_t after = heap_in_use();
    sk_smtp_parser.feed(st, true, (const uint8_t *)"\r\nQUIT\r\n", 8);
    assert_true(after < before + 65536);
    assert_int_equal(c.anomalies[SK_ANOMALY_MAX_COMMAND_LINE_LEN_EXCEEDED], 1);
    assert_int_equal(c.anomalies[SK_ANOMALY_MAX_REPLY_LINE_LEN_EXCEEDED], 1);
    assert_int_equal(c.events[SK_EV_SMTP_REQUEST], 1); /* QUIT; the long line is unknown */
    sk_smtp_parser.state_free(st);
}

/* 100,000 pipelined RCPTs without a reply: the queue stays at its limit. */
static void test_smtp_100k_pipelined_bounded(void **state)
{
    (void)state;
    struct count_sink c = {0};
    struct sk_sink sink = {.emit = count_emit, .ctx = &c, .want = W_ANOM | W_TX};
    void *st = NULL;
    assert_int_equal(sk_smtp_parser.state_new(&st, NULL, &sink), 0);
    static const char rcpt[] = "RCPT TO:<someone@example.org>\r\n";
    static char buf[sizeof(rcpt) * 1000];
    for (size_t i = 0; i < 1000; i++)
        memcpy(buf + i * (sizeof(rcpt) - 1), rcpt, sizeof(rcpt) - 1);
    sk_smtp_parser.feed(st, false, (const uint8_t *)greeting, sizeof(greeting) - 1);
    sk_smtp_parser.feed(st, true, (const uint8_t *)"EHLO c\r\nMAIL FROM:<a@x>\r\n", 25);
    size_t before = heap_in_use();
    for (int i = 0; i < 100; i++)
        sk_smtp_parser.feed(st, true, (const uint8_t *)buf, 1000 * (sizeof(rcpt) - 1));
    size_t after = heap_in_use();
    assert_true(after < before + 65536);
    assert_int_equal(c.anomalies[SK_ANOMALY_TOO_MANY_PENDING_COMMANDS], 1);
    assert_int_equal(c.anomalies[SK_ANOMALY_TOO_MANY_RECIPIENTS], 1);
    assert_int_equal(c.events[SK_EV_TX_OPEN], 1);
    sk_smtp_parser.close(st);
    assert_int_equal(c.events[SK_EV_TX_CLOSE], 1);
    sk_smtp_parser.state_free(st);
}

/* ---- the anomaly table agrees with the shipped rules and the docs ---- */

static char *slurp(const char *rel)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", SK_TOP_SRCDIR, rel);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char buf[1 << 17];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = 0;
    return strdup(buf);
}

static void test_smtp_anomalies_have_rules_and_docs(void **state)
{
    (void)state;
    char *rules = slurp("rules/smtp-events.rules");
    char *docs = slurp("docs/anomalies.md");
    for (int i = 0; i < SK_ANOMALY_COUNT; i++) {
        const char *name = sk_anomaly_name((enum sk_anomaly_id)i);
        char key[128];
        size_t k = (size_t)snprintf(key, sizeof(key), "app-layer-event:smtp.");
        for (const char *p = name; *p; p++)
            key[k++] = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
        key[k++] = ';';
        key[k] = 0;
        if (!strstr(rules, key))
            fail_msg("no rule for %s", name);
        snprintf(key, sizeof(key), "| `%s` |", name);
        if (!strstr(docs, key))
            fail_msg("no docs/anomalies.md entry for %s", name);
    }
    free(rules);
    free(docs);
}

static void test_smtp_auth_line_len_exceeded(void **state)
{
    (void)state;
    struct sk_smtp_config cfg;
    sk_smtp_config_defaults(&cfg);
    cfg.max_auth_line = 20;
    static const struct step steps[] = {
        {S, greeting, 0},
        {C, "EHLO c\r\nAUTH PLAIN AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\r\nAUTH LOGIN\r\n", 0},
        {S, "250 mx\r\n535 no\r\n334 VXNlcm5hbWU6\r\n", 0},
        {C, "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB\r\n", 0},
        {S, "535 no\r\n", 0},
    };
    CHECK_CFG(&cfg, steps, SK_EV_BIT(SK_EV_SMTP_REQUEST) | W_ANOM,
              "REQ c 0 \"EHLO\" \"c\"\n"
              "ANOM c 0 AUTH_LINE_LEN_EXCEEDED\n"
              "REQ c 0 \"AUTH\" \"PLAIN AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"\n"
              "REQ c 0 \"AUTH\" \"LOGIN\"\n"
              "ANOM c 0 AUTH_LINE_LEN_EXCEEDED\n"
              "REQ c 0 \"**\" \"QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB\"\n");
}

/* ---- random sessions: replays agree however the bytes are cut ---- */

static uint32_t lcg(uint32_t *seed)
{
    *seed = *seed * 1103515245u + 12345u;
    return *seed >> 8;
}

static void test_smtp_random_split_invariance(void **state)
{
    (void)state;
    static const char *const client_tokens[] = {"EHLO x\r\n",
                                                "MAIL FROM:<a@b>\r\n",
                                                "RCPT TO:<c@d>\r\n",
                                                "DATA\r\n",
                                                ".\r\n",
                                                "..x\r\n",
                                                "\r\n",
                                                "\n",
                                                "\r",
                                                ".",
                                                "BDAT 3\r\n",
                                                "BDAT 0 LAST\r\n",
                                                "BDAT 2 LAST\r\n",
                                                "abc",
                                                "RSET\r\n",
                                                "AUTH LOGIN\r\n",
                                                "dXNlcg==\r\n",
                                                "STARTTLS\r\n",
                                                "QUIT\r\n",
                                                "FOO\r\n",
                                                "BDAT -1\r\n",
                                                "\x16\x03",
                                                "NOOP\n"};
    static const char *const server_tokens[] = {
        "220 hi\r\n", "250 ok\r\n",  "250-a\r\n",   "354 go\r\n", "334 x\r\n",
        "235 ok\r\n", "454 no\r\n",  "220 tls\r\n", "550 no\r\n", "xyz\r\n",
        "\n",         "221 bye\r\n", "251-b\r\n"};
    struct sk_smtp_config cfg;
    sk_smtp_config_defaults(&cfg);
    cfg.max_command_line = 24;
    cfg.max_reply_line = 20;
    cfg.max_data_chunk = 16;
    cfg.max_pending_commands = 5;
    uint32_t seed = 12345;
    for (int round = 0; round < 1000; round++) {
        struct step steps[8];
        char bufs[8][160];
        size_t n = 2 + lcg(&seed) % 6;
        for (size_t i = 0; i < n; i++) {
            bool client = lcg(&seed) % 2;
            size_t len = 0;
            size_t k = 1 + lcg(&seed) % 6;
            for (size_t t = 0; t < k; t++) {
                const char *tok =
                    client ? client_tokens[lcg(&seed) % (sizeof(client_tokens) / sizeof(char *))]
                           : server_tokens[lcg(&seed) % (sizeof(server_tokens) / sizeof(char *))];
                size_t tl = strlen(tok);
                memcpy(bufs[i] + len, tok, tl);
                len += tl;
            }
            bufs[i][len] = 0;
            steps[i] = (struct step){client ? C : S, bufs[i], len};
            if (lcg(&seed) % 10 == 0)
                steps[i] = (struct step){client ? GAP_C : GAP_S, NULL, 1 + lcg(&seed) % 9};
        }
        steps[n++] = (struct step){DONE, NULL, 0};
        char *whole = run_script(&cfg, steps, n, W_ALL, true, 0, 0, false, NULL);
        for (size_t i = 0; i < n; i++) {
            if (steps[i].kind != C && steps[i].kind != S)
                continue;
            for (size_t k = 1; k < steps[i].len; k++) {
                char *o = run_script(&cfg, steps, n, W_ALL, true, i, k, false, NULL);
                if (strcmp(o, whole) != 0)
                    fprintf(stderr, "round %d step %zu at %zu:\n%s----\n%s", round, i, k, o, whole);
                assert_string_equal(o, whole);
                free(o);
            }
        }
        char *b = run_script(&cfg, steps, n, W_ALL, true, 0, 0, true, NULL);
        assert_string_equal(b, whole);
        free(b);
        free(whole);
    }
}

/* The smuggling scan against a plain byte-by-byte reference, on random message bodies made of
 * 'a', '.', CR and LF, ended by CRLF, that never hold the real end marker. */
static bool reference_smuggling(const char *body, size_t n)
{
    uint8_t h[3] = {0, '\r', '\n'};
    for (size_t i = 0; i < n; i++) {
        uint8_t c = (uint8_t)body[i];
        bool e1 = h[1] == '\r' || h[1] == '\n', e0 = h[0] == '\r' || h[0] == '\n';
        if ((h[2] == '.' && e1 && c == '\n') || (h[2] == '\r' && h[1] == '.' && e0))
            return true;
        h[0] = h[1];
        h[1] = h[2];
        h[2] = c;
    }
    return false;
}

static void test_smtp_smuggling_scan_matches_reference(void **state)
{
    (void)state;
    static const char alphabet[] = "a.\r\n";
    uint32_t seed = 777;
    int hits = 0;
    for (int round = 0; round < 3000; round++) {
        char body[48];
        size_t n = 1 + lcg(&seed) % 40;
        for (size_t i = 0; i < n; i++)
            body[i] = alphabet[lcg(&seed) % 4];
        /* the parser looks at whole lines: end the last one */
        body[n++] = '\r';
        body[n++] = '\n';
        body[n] = 0;
        if (strstr(body, "\r\n.\r\n") || strncmp(body, ".\r\n", 3) == 0)
            continue;
        struct step steps[] = {{S, greeting, 0}, {C, to_data, 0}, {S, to_data_ok, 0}, {C, body, n}};
        bool want = reference_smuggling(body, n);
        hits += want;
        for (int bytewise = 0; bytewise < 2; bytewise++) {
            char *out = run_script(NULL, steps, 4, W_ANOM, true, 0, 0, bytewise, NULL);
            bool got = strstr(out, "SMUGGLING_END_OF_DATA") != NULL;
            if (got != want) {
                struct rec r = {0};
                put_str(&r, (struct sk_str){(const uint8_t *)body, n});
                fail_msg("body %s: reference %d, parser %d", r.text, want, got);
            }
            free(out);
        }
    }
    assert_true(hits > 100);
}

/* ---- line ends (parsers/line_end.h) ---- */

/* Bytes near an LF in value or bits, so a mask that is off by a bit or a borrow shows. */
static uint8_t lf_byte(uint32_t r)
{
    static const uint8_t v[] = {'\n', '\r', '.', 'a', 0x8a, 0x00, 0xff, 0x0b, 0x09, 0x0e, 0x1a};
    return v[r % sizeof(v)];
}

static uint64_t mask_ref(const uint8_t *p)
{
    uint64_t m = 0;
    for (unsigned i = 0; i < 64; i++)
        if (p[i] == '\n')
            m |= 1ULL << i;
    return m;
}

/* The run as sk_smtp__data_run() found it before, a memchr per line bounded by the limit. */
static size_t run_ref(const uint8_t *buf, size_t len, size_t limit, uint64_t *lines)
{
    size_t used = 0;
    *lines = 0;
    while (used < len) {
        size_t room = len - used < limit ? len - used : limit;
        const uint8_t *lf = memchr(buf + used, '\n', room);
        if (!lf)
            break;
        used = (size_t)(lf - buf) + 1;
        (*lines)++;
        if (used < len && buf[used] == '.')
            break;
    }
    return used;
}

/* Checks both run functions against the reference on a copy of exactly len bytes (so ASan
 * sees a read past the end). */
static void check_run(const uint8_t *src, size_t len, size_t limit)
{
    uint8_t *b = malloc(len ? len : 1);
    assert_non_null(b);
    if (len)
        memcpy(b, src, len);
    uint64_t want_lines, got_lines = 99, base_lines = 99;
    size_t want = run_ref(b, len, limit, &want_lines);
    size_t got = sk_line_end_run(b, len, limit, &got_lines);
    size_t base = sk_line_end__run_base(b, len, limit, &base_lines);
    if (got != want || got_lines != want_lines || base != want || base_lines != want_lines)
        fprintf(stderr, "run: len %zu limit %zu: want %zu/%llu got %zu/%llu base %zu/%llu\n", len,
                limit, want, (unsigned long long)want_lines, got, (unsigned long long)got_lines,
                base, (unsigned long long)base_lines);
    assert_int_equal(got, want);
    assert_int_equal(got_lines, want_lines);
    assert_int_equal(base, want);
    assert_int_equal(base_lines, want_lines);
    free(b);
}

/* Checks the reader against memchr from every offset in order, and with the skips of a caller
 * that consumes some line ends itself (the MIME splitter), on a copy of exactly len bytes. */
static void check_reader(const uint8_t *src, size_t len, uint32_t *seed)
{
    uint8_t *b = malloc(len ? len : 1);
    assert_non_null(b);
    if (len)
        memcpy(b, src, len);
    struct sk_line_ends s;
    sk_line_ends_init(&s, b, len);
    for (size_t from = 0; from <= len + 1; from++) {
        const uint8_t *lf = from < len ? memchr(b + from, '\n', len - from) : NULL;
        size_t want = lf ? (size_t)(lf - b) : len;
        assert_int_equal(sk_line_ends_next(&s, from), want);
        assert_int_equal(sk_line_ends_next(&s, from), want); /* asked again */
    }
    sk_line_ends_init(&s, b, len);
    for (size_t from = 0; from < len;) {
        const uint8_t *lf = memchr(b + from, '\n', len - from);
        size_t want = lf ? (size_t)(lf - b) : len;
        assert_int_equal(sk_line_ends_next(&s, from), want);
        from = want + 1 + lcg(seed) % 3 * (lcg(seed) % 90);
    }
    free(b);
}

/* The LF mask of 64 bytes, vector and word at a time, with one LF at every position among
 * bytes close to it, and on random blocks. */
static void test_line_end_mask64(void **state)
{
    (void)state;
    uint8_t b[64];
    for (unsigned bg = 0; bg < 11; bg++) {
        for (unsigned i = 0; i < 64; i++) {
            memset(b, bg == 0 ? 'a' : lf_byte(bg), sizeof(b));
            b[i] = '\n';
            assert_int_equal(sk_line_end_mask64(b), mask_ref(b));
            assert_int_equal(sk_line_end_mask64_portable(b), mask_ref(b));
        }
    }
    uint32_t seed = 1;
    for (unsigned k = 0; k < 20000; k++) {
        for (unsigned i = 0; i < 64; i++)
            b[i] = lf_byte(lcg(&seed));
        assert_int_equal(sk_line_end_mask64(b), mask_ref(b));
        assert_int_equal(sk_line_end_mask64_portable(b), mask_ref(b));
    }
    memset(b, '\n', sizeof(b));
    assert_int_equal(sk_line_end_mask64(b), ~0ULL);
    assert_int_equal(sk_line_end_mask64_portable(b), ~0ULL);
}

/* The run of lines against the memchr loop it replaces: one LF at every position of every
 * length across three vector widths, "\n." at every position among short lines, lines longer
 * than the limit, CR/LF mixes, and random bytes, at limits around a block. */
static void test_line_end_run(void **state)
{
    (void)state;
    static const size_t limits[] = {0, 1, 2, 3, 5, 16, 63, 64, 65, 76, 127, 128, 1000, SIZE_MAX};
    const size_t nlim = sizeof(limits) / sizeof(limits[0]);
    uint8_t b[400];
    for (size_t len = 0; len <= 200; len++) {
        for (size_t i = 0; i <= len; i++) {
            memset(b, 'x', len);
            if (i < len)
                b[i] = '\n';
            for (size_t l = 0; l < nlim; l++)
                check_run(b, len, limits[l]);
            /* LFs every 7 bytes and "\n." at i */
            for (size_t k = 6; k < len; k += 7)
                b[k] = '\n';
            if (i + 1 < len) {
                b[i] = '\n';
                b[i + 1] = '.';
            }
            for (size_t l = 0; l < nlim; l++)
                check_run(b, len, limits[l]);
        }
    }
    uint32_t seed = 7;
    for (unsigned k = 0; k < 20000; k++) {
        size_t len = lcg(&seed) % sizeof(b);
        unsigned kind = k % 3;
        for (size_t i = 0; i < len; i++) {
            uint32_t r = lcg(&seed);
            if (kind == 0) /* any of the bytes near an LF */
                b[i] = lf_byte(r);
            else if (kind == 1) /* text lines ended by CRLF, LF or CR CR LF, a few dots */
                b[i] = r % 40 == 0 ? '\n' : r % 40 == 1 ? '\r' : r % 97 == 2 ? '.' : 'a';
            else /* long lines, dots after LFs */
                b[i] = r % 150 == 0 ? '\n' : r % 5 == 0 ? '.' : 'z';
        }
        check_run(b, len, limits[lcg(&seed) % nlim]);
    }
    /* long runs: stops at "\n." and at a line over the limit, far into the buffer */
    uint8_t *big = malloc(70000);
    assert_non_null(big);
    for (size_t i = 0; i < 70000; i++)
        big[i] = i % 77 == 76 ? '\n' : i % 77 == 75 ? '\r' : 'm';
    check_run(big, 70000, 1000);
    check_run(big, 70000, 77);
    check_run(big, 70000, 76);
    big[50001] = '\n';
    big[50002] = '.';
    check_run(big, 70000, 1000);
    memset(big + 60000, 'q', 5000);
    check_run(big, 70000, 1000);
    check_run(big, 70000, 4999);
    free(big);
}

/* The line-end reader against memchr from every offset, on the same kinds of bytes. */
static void test_line_end_reader(void **state)
{
    (void)state;
    uint8_t b[300];
    uint32_t seed = 3;
    for (size_t len = 0; len <= 200; len++) {
        for (size_t i = 0; i <= len; i++) {
            memset(b, 'y', len);
            if (i < len)
                b[i] = '\n';
            check_reader(b, len, &seed);
        }
    }
    for (unsigned k = 0; k < 3000; k++) {
        size_t len = lcg(&seed) % sizeof(b);
        unsigned every = 1 + lcg(&seed) % 100;
        for (size_t i = 0; i < len; i++) {
            uint32_t r = lcg(&seed);
            b[i] = r % every == 0 ? '\n' : lf_byte(r >> 3) == '\n' ? '\r' : lf_byte(r >> 3);
        }
        check_reader(b, len, &seed);
    }
}

/* The DATA path with the run finder gives what the line path gives: one message of lines of
 * every length from 0 to 150 (some over the data chunk limit of 100), CRLF, LF and CR CR LF
 * ends, and a stuffed-dot line placed after every fifth line in turn, fed whole, cut in two at
 * every 259th byte, and byte by byte (which goes line by line); smtp_data events counted or
 * skipped. */
static void test_smtp_data_run_line_ends(void **state)
{
    (void)state;
    struct sk_smtp_config cfg;
    sk_smtp_config_defaults(&cfg);
    cfg.max_data_chunk = 100;
    char *msg = malloc(16384);
    assert_non_null(msg);
    for (size_t dot = 0; dot <= 151; dot += 5) {
        size_t n = 0;
        for (size_t l = 0; l <= 150; l++) {
            for (size_t i = 0; i < l; i++)
                msg[n++] = (char)('a' + (l + i) % 26);
            static const char *const ends[] = {"\r\n", "\n", "\r\r\n"};
            const char *e = ends[l % 3];
            memcpy(msg + n, e, strlen(e));
            n += strlen(e);
            if (l == dot) {
                memcpy(msg + n, "..dot\r\n", 7);
                n += 7;
            }
        }
        memcpy(msg + n, ".\r\n", 4);
        n += 3;
        struct step steps[] = {
            {S, greeting, 0}, {C, to_data, 0},      {S, to_data_ok, 0},
            {C, msg, n},      {S, "250 ok\r\n", 0},
        };
        const size_t ns = sizeof(steps) / sizeof(steps[0]);
        char *whole = run_script(&cfg, steps, ns, W_ALL, true, 0, 0, false, NULL);
        char *bytes = run_script(&cfg, steps, ns, W_ALL, true, 0, 0, true, NULL);
        assert_string_equal(whole, bytes);
        assert_non_null(strstr(whole, "DATA c 0"));
        for (size_t k = 37; k < n; k += 37 * 7) {
            char *o = run_script(&cfg, steps, ns, W_ALL, true, 3, k, false, NULL);
            assert_string_equal(o, whole);
            free(o);
        }
        struct skip_count all = skip_run(&cfg, W_ALL, msg, n, 0);
        struct skip_count some =
            skip_run(&cfg, W_ALL & ~SK_EV_BIT(SK_EV_SMTP_DATA), msg, n, dot * 3);
        assert_int_equal(some.built, 0);
        assert_int_equal(some.skipped, all.built);
        free(whole);
        free(bytes);
    }
    free(msg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_smtp_probe),
        cmocka_unit_test(test_smtp_config_defaults_and_invalid),
        cmocka_unit_test(test_smtp_budget_charged_and_refused),
        cmocka_unit_test(test_smtp_basic_session),
        cmocka_unit_test(test_smtp_dot_unstuffing),
        cmocka_unit_test(test_smtp_rcpt_to_pipelined),
        cmocka_unit_test(test_smtp_helo_in_every_transaction),
        cmocka_unit_test(test_smtp_auth_login_masked),
        cmocka_unit_test(test_smtp_auth_plain_logged),
        cmocka_unit_test(test_smtp_bdat_chunks),
        cmocka_unit_test(test_smtp_bdat_zero_last),
        cmocka_unit_test(test_smtp_bdat_binary_pipelined),
        cmocka_unit_test(test_smtp_bdat_invalid_and_negative),
        cmocka_unit_test(test_smtp_bdat_chunk_len_exceeded),
        cmocka_unit_test(test_smtp_starttls_accepted),
        cmocka_unit_test(test_smtp_starttls_failed_protocol_change),
        cmocka_unit_test(test_smtp_starttls_plaintext_continues),
        cmocka_unit_test(test_smtp_starttls_injection),
        cmocka_unit_test(test_smtp_starttls_rejected),
        cmocka_unit_test(test_smtp_smuggling_lf_dot_lf),
        cmocka_unit_test(test_smtp_smuggling_lf_dot_crlf),
        cmocka_unit_test(test_smtp_smuggling_cr_dot_cr),
        cmocka_unit_test(test_smtp_smuggling_crlf_dot_lf),
        cmocka_unit_test(test_smtp_smuggling_crlf_dot_cr),
        cmocka_unit_test(test_smtp_smuggling_cr_dot_lf),
        cmocka_unit_test(test_smtp_smuggling_none_for_stuffed_dots),
        cmocka_unit_test(test_smtp_smuggling_lenient_server_resync),
        cmocka_unit_test(test_smtp_smuggling_lenient_server_354),
        cmocka_unit_test(test_smtp_smuggling_strict_server_body),
        cmocka_unit_test(test_smtp_smuggling_hold_exceeded),
        cmocka_unit_test(test_smtp_gap_in_commands_resync),
        cmocka_unit_test(test_smtp_gap_in_data),
        cmocka_unit_test(test_smtp_gap_over_end_of_data),
        cmocka_unit_test(test_smtp_gap_in_bdat),
        cmocka_unit_test(test_smtp_gap_in_reply),
        cmocka_unit_test(test_smtp_unexpected_354_ends_open_bdat),
        cmocka_unit_test(test_smtp_command_line_limit),
        cmocka_unit_test(test_smtp_reply_line_limit),
        cmocka_unit_test(test_smtp_recipient_limit),
        cmocka_unit_test(test_smtp_bare_lf_cr_mix),
        cmocka_unit_test(test_smtp_nested_mail),
        cmocka_unit_test(test_smtp_too_many_pending_commands),
        cmocka_unit_test(test_smtp_reply_anomalies),
        cmocka_unit_test(test_smtp_reply_code_undefined),
        cmocka_unit_test(test_smtp_no_server_welcome_message),
        cmocka_unit_test(test_smtp_data_command_rejected),
        cmocka_unit_test(test_smtp_unmatched_reply),
        cmocka_unit_test(test_smtp_invalid_pipelined_sequence),
        cmocka_unit_test(test_smtp_midstream_pickup),
        cmocka_unit_test(test_smtp_unknown_refused_allowed_xlink2state),
        cmocka_unit_test(test_smtp_turn_swaps_roles),
        cmocka_unit_test(test_smtp_ehlo_resets_envelope),
        cmocka_unit_test(test_smtp_quit_first_opens_tx),
        cmocka_unit_test(test_smtp_pipelined_rset_after_data),
        cmocka_unit_test(test_smtp_body_hook),
        cmocka_unit_test(test_smtp_want_mask),
        cmocka_unit_test(test_smtp_data_runs_one_chunk),
        cmocka_unit_test(test_smtp_data_skipped_counted),
        cmocka_unit_test(test_smtp_partial_line_across_mode_change),
        cmocka_unit_test(test_smtp_free_ends_body),
        cmocka_unit_test(test_smtp_no_greeting_from_start),
        cmocka_unit_test(test_smtp_pregreeting_pipelined),
        cmocka_unit_test(test_smtp_tx_per_envelope),
        cmocka_unit_test(test_smtp_354_begins_body),
        cmocka_unit_test(test_smtp_implicit_tls_direction),
        cmocka_unit_test(test_smtp_fake_tls_opening_parsed),
        cmocka_unit_test(test_smtp_long_line_bounded),
        cmocka_unit_test(test_smtp_100k_pipelined_bounded),
        cmocka_unit_test(test_smtp_anomalies_have_rules_and_docs),
        cmocka_unit_test(test_smtp_auth_line_len_exceeded),
        cmocka_unit_test(test_smtp_random_split_invariance),
        cmocka_unit_test(test_smtp_smuggling_scan_matches_reference),
        cmocka_unit_test(test_line_end_mask64),
        cmocka_unit_test(test_line_end_run),
        cmocka_unit_test(test_line_end_reader),
        cmocka_unit_test(test_smtp_data_run_line_ends),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
