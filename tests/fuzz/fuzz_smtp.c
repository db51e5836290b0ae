/* SPDX-License-Identifier: GPL-2.0-only */
/* libFuzzer target for the SMTP parser with the MIME decoder on its body hook, wired as the
 * worker wires them. The input is a script: a first byte of settings (handshake seen, small
 * limits, credentials logged, MIME on), then records: 0 client bytes, 1 server bytes (each
 * a 16-bit length and the bytes, so the input also chooses every split), 2 a gap in one
 * direction, 3 the end of the session. Besides memory errors, the target checks that every
 * transaction opened is closed once and every message body begun is ended once. Seeds are
 * the captures' sessions, written in this form by fuzz_seeds. */
#include <stdlib.h>
#include <string.h>

#include "parsers/mime/mime.h"
#include "parsers/smtp/smtp.h"
#include "tests/fuzz/fuzz_common.h"

#define MAX_TX 4096

struct check {
    struct sk_mime_config mime;
    uint32_t next_file_id;
    size_t bodies_open;
    size_t tx_open;
    uint8_t open[MAX_TX / 8];
    uint64_t sum;
};

static void touch(struct check *c, struct sk_str s)
{
    for (size_t i = 0; i < s.len; i++)
        c->sum += s.ptr[i];
}

static void tx_mark(struct check *c, uint64_t tx, bool open)
{
    if (tx >= MAX_TX)
        return;
    uint8_t bit = (uint8_t)(1u << (tx % 8));
    bool was = (c->open[tx / 8] & bit) != 0;
    if (was == open)
        abort(); /* opened twice, or closed without being open */
    c->open[tx / 8] ^= bit;
    c->tx_open += open ? 1 : (size_t)-1;
}

static void emit(void *ctx, const struct sk_event *ev)
{
    struct check *c = ctx;
    switch (ev->type) {
    case SK_EV_SMTP_REQUEST:
        touch(c, ev->u.request.command);
        touch(c, ev->u.request.arg);
        break;
    case SK_EV_SMTP_REPLY:
        touch(c, ev->u.reply.cmd);
        touch(c, ev->u.reply.msg);
        break;
    case SK_EV_SMTP_DATA:
        touch(c, ev->u.data.data);
        break;
    case SK_EV_SMTP_UNEXPECTED:
        touch(c, ev->u.unexpected.msg);
        touch(c, ev->u.unexpected.detail);
        break;
    case SK_EV_FIELD:
        if (ev->u.field.id >= SK_FIELD_COUNT)
            abort();
        touch(c, ev->u.field.value);
        break;
    case SK_EV_ANOMALY:
        if (ev->u.anomaly.id >= SK_ANOMALY_COUNT)
            abort();
        break;
    case SK_EV_TX_OPEN:
        tx_mark(c, ev->tx_id, true);
        break;
    case SK_EV_TX_CLOSE:
        tx_mark(c, ev->tx_id, false);
        break;
    case SK_EV_FILE:
        touch(c, ev->u.file.name);
        break;
    case SK_EV_SMTP_STARTTLS:
        break;
    default:
        abort();
    }
}

/* One message body: the decoder and the checker it reports to. */
struct body {
    struct sk_mime *m;
    struct check *c;
};

static void *body_begin(void *ctx, uint64_t tx_id, const struct sk_sink *sink)
{
    struct check *c = ctx;
    struct body *b = malloc(sizeof(*b));
    if (!b)
        abort();
    b->c = c;
    b->m = NULL;
    if (sk_mime_new(&b->m, &c->mime, sink, tx_id, &c->next_file_id) < 0)
        abort();
    c->bodies_open++;
    return b;
}

static void body_data(void *body, const uint8_t *buf, size_t len)
{
    struct body *b = body;
    sk_mime_feed(b->m, buf, len);
}

static void body_end(void *body, bool complete)
{
    struct body *b = body;
    if (b->c->bodies_open == 0)
        abort(); /* ended twice */
    b->c->bodies_open--;
    sk_mime_end(b->m, complete);
    sk_mime_free(b->m);
    free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sk_fuzz_in in = {data, size};
    struct check *c = calloc(1, sizeof(*c));
    struct sk_smtp_config cfg;
    void *st = NULL;
    if (!c)
        abort();
    uint8_t flags = sk_fuzz_u8(&in);
    struct sk_smtp_body_ops body = {body_begin, body_data, body_end, c};
    sk_smtp_config_defaults(&cfg);
    sk_mime_config_defaults(&c->mime);
    c->next_file_id = 1;
    if (flags & 0x02) {
        cfg.max_command_line = 64;
        cfg.max_reply_line = 64;
        cfg.max_rfc_command_line = 32;
        cfg.max_auth_line = 48;
        cfg.max_data_chunk = 16;
        cfg.max_pending_commands = 4;
        cfg.max_recipients = 3;
        cfg.smuggling_hold = 128;
        c->mime.max_line = 80;
        c->mime.max_depth = 3;
        c->mime.max_header_value = 40;
        c->mime.max_header_size = 200;
        c->mime.max_boundary = 20;
        c->mime.max_filename = 12;
        c->mime.max_urls = 3;
        c->mime.file_data_max = 100;
    }
    cfg.log_credentials = (flags & 0x04) != 0;
    if (flags & 0x08)
        cfg.body = &body;
    struct sk_sink sink = {.emit = emit, .ctx = c, .want = ~0u};
    if (sk_smtp_parser.state_new(&st, &cfg, &sink) < 0)
        abort();
    if (flags & 0x01)
        sk_smtp_parser.session_start(st);
    bool closed = false;
    while (in.n > 0 && !closed) {
        uint8_t op = sk_fuzz_u8(&in);
        const uint8_t *buf;
        size_t len;
        switch (op & 3) {
        case 0:
        case 1:
            len = sk_fuzz_take(&in, sk_fuzz_u16(&in), &buf);
            if (!sk_smtp_parser.done(st))
                sk_smtp_parser.feed(st, (op & 3) == 0, buf, len);
            break;
        case 2:
            if (!sk_smtp_parser.done(st))
                sk_smtp_parser.gap(st, (op & 4) == 0, sk_fuzz_u16(&in) + 1u);
            break;
        default:
            closed = true;
            break;
        }
    }
    sk_smtp_parser.close(st);
    if (c->tx_open != 0)
        abort(); /* a transaction outlived the session */
    sk_smtp_parser.state_free(st);
    if (c->bodies_open != 0)
        abort();                     /* a message body was never ended */
    volatile uint64_t keep = c->sum; /* the reads of event bytes are not optimised away */
    (void)keep;
    free(c);
    return 0;
}
