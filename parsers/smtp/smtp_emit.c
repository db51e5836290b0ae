/* SPDX-License-Identifier: GPL-2.0-only */
/* Event construction for the SMTP parser: one helper per event kind, each returning at once
 * when the sink does not want that kind, so an unwanted event costs one test. */
#include <string.h>

#include "parsers/smtp/smtp_int.h"

static struct sk_str str(const uint8_t *p, size_t len)
{
    struct sk_str s = {p, len};
    return s;
}

static struct sk_str zstr(const char *z, size_t len)
{
    return str((const uint8_t *)z, len);
}

static void deliver(struct sk_smtp__state *st, struct sk_event *ev)
{
    st->sink.emit(st->sink.ctx, ev);
}

void sk_smtp__anomaly(struct sk_smtp__state *st, bool is_orig, uint64_t tx, enum sk_anomaly_id id)
{
    if (!sk_sink_wants(&st->sink, SK_EV_ANOMALY))
        return;
    struct sk_event ev = {.type = SK_EV_ANOMALY, .is_orig = is_orig, .tx_id = tx};
    ev.u.anomaly.id = id;
    deliver(st, &ev);
}

void sk_smtp__unexpected(struct sk_smtp__state *st, bool is_orig, uint64_t tx, const char *msg,
                         const uint8_t *detail, size_t len)
{
    struct sk_event ev = {.type = SK_EV_SMTP_UNEXPECTED, .is_orig = is_orig, .tx_id = tx};
    ev.u.unexpected.msg = zstr(msg, strlen(msg));
    ev.u.unexpected.detail = str(detail, len);
    if (sk_sink_wants(&st->sink, SK_EV_SMTP_UNEXPECTED))
        deliver(st, &ev);
    sk_smtp__field(st, is_orig, tx, SK_FIELD_SMTP_UNEXPECTED, (const uint8_t *)msg, strlen(msg), 0);
    if (len)
        sk_smtp__field(st, is_orig, tx, SK_FIELD_SMTP_UNEXPECTED, detail, len, 0);
}

void sk_smtp__request(struct sk_smtp__state *st, bool is_orig, uint64_t tx, const char *cmd,
                      size_t cmdlen, const uint8_t *arg, size_t arglen)
{
    if (!sk_sink_wants(&st->sink, SK_EV_SMTP_REQUEST))
        return;
    struct sk_event ev = {.type = SK_EV_SMTP_REQUEST, .is_orig = is_orig, .tx_id = tx};
    ev.u.request.command = zstr(cmd, cmdlen);
    ev.u.request.arg = str(arg, arglen);
    deliver(st, &ev);
}

void sk_smtp__reply(struct sk_smtp__state *st, bool is_orig, uint64_t tx, uint16_t code,
                    const char *cmd, const uint8_t *msg, size_t len, bool cont)
{
    if (!sk_sink_wants(&st->sink, SK_EV_SMTP_REPLY))
        return;
    struct sk_event ev = {.type = SK_EV_SMTP_REPLY, .is_orig = is_orig, .tx_id = tx};
    ev.u.reply.code = code;
    ev.u.reply.cmd = zstr(cmd, strlen(cmd));
    ev.u.reply.msg = str(msg, len);
    ev.u.reply.cont_resp = cont;
    if (st->line_frame_on && st->line_frame_orig == is_orig)
        ev.frame = &st->line_frame;
    deliver(st, &ev);
}

void sk_smtp__field(struct sk_smtp__state *st, bool is_orig, uint64_t tx, enum sk_field_id id,
                    const uint8_t *val, size_t len, unsigned flags)
{
    if (!sk_sink_wants(&st->sink, SK_EV_FIELD))
        return;
    struct sk_event ev = {.type = SK_EV_FIELD, .is_orig = is_orig, .tx_id = tx};
    ev.u.field.id = id;
    ev.u.field.value = str(val, len);
    ev.u.field.flags = flags;
    if (id == SK_FIELD_SMTP_COMMAND_LINE && st->line_frame_on && st->line_frame_orig == is_orig) {
        /* credentials masked (smtp.log-credentials: no): the frame's bytes are shown and
         * inspected as smtp.command_line has them, without the line end */
        if (val != st->line_frame.bytes.ptr)
            st->line_frame.bytes = str(val, len);
        ev.frame = &st->line_frame;
    } else if (id == SK_FIELD_SMTP_DATA && st->data_frame_on)
        ev.frame = &st->data_frame;
    deliver(st, &ev);
}

void sk_smtp__frame_data(struct sk_smtp__state *st, bool is_orig, uint64_t off, const uint8_t *raw,
                         size_t n)
{
    struct sk_frame *fr = &st->data_frame;
    if (!st->data_frame_on) {
        st->data_frame_on = true;
        /* a budget that refuses these bytes leaves the frame without payload, nothing more */
        if (st->data_head == NULL)
            (void)sk_smtp_buf_grow(st->cfg.budget, &st->data_head, &st->data_head_alloc,
                                   SK_FRAME_HEAD, SK_FRAME_HEAD);
        *fr = (struct sk_frame){.type = SK_FRAME_DATA,
                                .id = ++st->frame_ids[is_orig],
                                .offset = off,
                                .bytes = {st->data_head, 0}};
    }
    size_t have = fr->bytes.len;
    if (st->data_head && have < SK_FRAME_HEAD && off == fr->offset + have) {
        size_t k = n < SK_FRAME_HEAD - have ? n : SK_FRAME_HEAD - have;
        memcpy(st->data_head + have, raw, k);
        fr->bytes.len = have + k;
    }
    if (off + n > fr->offset)
        fr->len = off + n - fr->offset;
}

void sk_smtp__field_num(struct sk_smtp__state *st, bool is_orig, uint64_t tx, enum sk_field_id id,
                        uint64_t num)
{
    if (!sk_sink_wants(&st->sink, SK_EV_FIELD))
        return;
    struct sk_event ev = {.type = SK_EV_FIELD, .is_orig = is_orig, .tx_id = tx};
    ev.u.field.id = id;
    ev.u.field.number = num;
    deliver(st, &ev);
}

void sk_smtp__data_event(struct sk_smtp__state *st, bool is_orig, uint64_t tx, const uint8_t *data,
                         size_t len)
{
    if (!sk_sink_wants(&st->sink, SK_EV_SMTP_DATA)) {
        sk_smtp__data_skipped(st, 1);
        return;
    }
    struct sk_event ev = {.type = SK_EV_SMTP_DATA, .is_orig = is_orig, .tx_id = tx};
    ev.u.data.data = str(data, len);
    deliver(st, &ev);
}

void sk_smtp__data_skipped(struct sk_smtp__state *st, uint64_t n)
{
    if (n && st->sink.skipped)
        st->sink.skipped(st->sink.ctx, SK_EV_SMTP_DATA, n);
}

void sk_smtp__simple(struct sk_smtp__state *st, enum sk_event_type type, uint64_t tx)
{
    if (!sk_sink_wants(&st->sink, type))
        return;
    struct sk_event ev = {.type = type, .is_orig = st->client_is_orig, .tx_id = tx};
    deliver(st, &ev);
}

void sk_smtp__tx_close(struct sk_smtp__state *st, uint64_t tx, enum sk_tx_end why)
{
    for (; st->first_unclosed <= tx && st->first_unclosed < st->next_tx; st->first_unclosed++) {
        if (!sk_sink_wants(&st->sink, SK_EV_TX_CLOSE))
            continue;
        struct sk_event ev = {.type = SK_EV_TX_CLOSE, .tx_id = st->first_unclosed};
        ev.u.tx_close.why = why;
        deliver(st, &ev);
    }
}
