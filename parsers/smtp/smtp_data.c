/* SPDX-License-Identifier: GPL-2.0-only */
/* The message path of the SMTP parser: DATA lines (dot-unstuffing, the end-of-data marker,
 * SMTP-smuggling markers) and BDAT chunks, feeding smtp_data events, the smtp.data stream
 * and the MIME body hook with the message as the server would store it. */
#include <string.h>

#include "parsers/line_end.h"
#include "parsers/smtp/smtp_int.h"

void sk_smtp__msg_begin(struct sk_smtp__state *st)
{
    /* A message still open (BDAT chunks cut by a gap, then a 354 nobody asked for) is ended
     * as cut short first: its body hook must see its end, or its decoder is never freed. */
    if (st->msg_active)
        sk_smtp__msg_end(st, st->client_is_orig, false);
    st->msg_active = true;
    st->msg_started = false;
    st->msg_incomplete = false;
    st->msg_tx = st->cur_tx;
    st->body = NULL;
    st->prev_crlf = true; /* the command line before the message ended with CRLF */
    st->last_byte = '\n';
    st->hist[0] = 0;
    st->hist[1] = '\r';
    st->hist[2] = '\n';
    st->smuggle_raised = false;
    st->pipeline_raised = false;
}

static void msg_start(struct sk_smtp__state *st)
{
    if (st->msg_started)
        return;
    st->msg_started = true;
    const struct sk_smtp_body_ops *b = st->cfg.body;
    if (b && b->begin)
        st->body = b->begin(b->ctx, st->msg_tx, &st->sink);
}

void sk_smtp__msg_bytes(struct sk_smtp__state *st, bool is_orig, const uint8_t *buf, size_t len)
{
    if (len == 0)
        return;
    unsigned flags = st->msg_started ? 0 : SK_FIELD_F_BEGIN;
    msg_start(st);
    sk_smtp__field(st, is_orig, st->msg_tx, SK_FIELD_SMTP_DATA, buf, len, flags);
    if (st->body && st->cfg.body->data)
        st->cfg.body->data(st->body, buf, len);
}

void sk_smtp__msg_end(struct sk_smtp__state *st, bool is_orig, bool complete)
{
    if (!st->msg_active)
        return;
    if (!st->msg_started && !complete) {
        /* Nothing was sent (a refused DATA, an empty abandoned BDAT): no message. */
        st->msg_active = false;
        st->data_mode = false;
        st->bdat_left = 0;
        st->bdat_last = false;
        st->data_frame_on = false;
        return;
    }
    unsigned flags = SK_FIELD_F_END | (st->msg_started ? 0 : SK_FIELD_F_BEGIN);
    msg_start(st);
    sk_smtp__field(st, is_orig, st->msg_tx, SK_FIELD_SMTP_DATA, NULL, 0, flags);
    if (st->body && st->cfg.body->end)
        st->cfg.body->end(st->body, complete && !st->msg_incomplete);
    st->body = NULL;
    st->msg_active = false;
    st->msg_started = false;
    st->data_mode = false;
    st->bdat_left = 0;
    st->bdat_last = false;
    st->data_frame_on = false;
}

/* SMTP smuggling: a '.' between two line-end bytes (CR or LF) that is not the one marker
 * RFC 5321 allows, CRLF "." CRLF. Lenient servers end the message at such a marker while
 * strict ones (and this parser) do not, so whatever follows is read differently by the two.
 * Runs over raw bytes with a three-byte history, so splits do not matter. */
static bool eolish(uint8_t c)
{
    return c == '\r' || c == '\n';
}

/* The byte at index i of p, or of the history before it for i in -3..-1. */
static uint8_t byte_at(const uint8_t *h, const uint8_t *p, ptrdiff_t i)
{
    return i >= 0 ? p[i] : h[3 + i];
}

/* x "." LF is never the real marker; x "." CR is not either once the real one (CRLF "." CRLF
 * at a line start) has been taken off by the line logic. A hit is decided at the byte one or
 * two after a '.', so only those are looked at (memchr finds the dots). */
static bool smuggle_hit(const uint8_t *h, const uint8_t *p, ptrdiff_t i)
{
    uint8_t h0 = byte_at(h, p, i - 3), h1 = byte_at(h, p, i - 2), h2 = byte_at(h, p, i - 1);
    uint8_t c = p[i];
    return (h2 == '.' && eolish(h1) && c == '\n') || (h2 == '\r' && h1 == '.' && eolish(h0));
}

/* Index of the byte of p[0..n) at which the first smuggling marker is decided, or n. Hits are
 * found in increasing order, so the first found is the first in the bytes. */
static size_t smuggle_find(const uint8_t *h, const uint8_t *p, size_t n)
{
    /* dots in the history */
    for (ptrdiff_t i = 0; i < 2 && (size_t)i < n; i++)
        if (smuggle_hit(h, p, i))
            return (size_t)i;
    for (const uint8_t *d = memchr(p, '.', n); d; d = memchr(d + 1, '.', n - (size_t)(d + 1 - p))) {
        ptrdiff_t j = d - p;
        for (ptrdiff_t i = j + 1; i <= j + 2 && (size_t)i < n; i++)
            if (i >= 2 && smuggle_hit(h, p, i))
                return (size_t)i;
        if ((size_t)(j + 1) >= n)
            break;
    }
    return n;
}

/* The history after p[0..n). */
static void hist_push(uint8_t *h, const uint8_t *p, size_t n)
{
    uint8_t nh[3];
    for (int k = 0; k < 3; k++)
        nh[k] = byte_at(h, p, (ptrdiff_t)n - 3 + k);
    memcpy(h, nh, 3);
}

/* Finds the first smuggling marker of a message in p[0..n) and raises its anomaly: true with
 * the index of its dot (negative: in bytes before p) and of the first byte after it. */
static bool scan_smuggling(struct sk_smtp__state *st, bool is_orig, const uint8_t *p, size_t n,
                           ptrdiff_t *dot, size_t *after)
{
    if (st->smuggle_raised || n == 0)
        return false;
    size_t i = smuggle_find(st->hist, p, n);
    if (i < n) {
        bool lf_form = byte_at(st->hist, p, (ptrdiff_t)i - 1) == '.'; /* x "." LF */
        *dot = (ptrdiff_t)i - (lf_form ? 1 : 2);
        *after = lf_form || p[i] == '\n' ? i + 1 : i;
    }
    hist_push(st->hist, p, n);
    if (i == n)
        return false;
    st->smuggle_raised = true;
    sk_smtp__anomaly(st, is_orig, st->msg_tx, SK_ANOMALY_SMUGGLING_END_OF_DATA);
    return true;
}

/* RFC 2920: DATA ends a pipelined group; the client waits for 354. */
static void check_pipelined(struct sk_smtp__state *st, bool is_orig)
{
    if (st->data_wait_354 && !st->pipeline_raised) {
        st->pipeline_raised = true;
        sk_smtp__anomaly(st, is_orig, st->msg_tx, SK_ANOMALY_INVALID_PIPELINED_SEQUENCE);
    }
}

static size_t eol_len(const struct sk_smtp__state *st, const struct sk_smtp_piece *p)
{
    if (!p->ends_line)
        return 0;
    if (p->len >= 2 && p->ptr[p->len - 2] == '\r')
        return 2;
    return 1;
}

void sk_smtp__end_of_data(struct sk_smtp__state *st, bool is_orig, const uint8_t *dot)
{
    uint64_t tx = st->msg_tx;
    sk_smtp__msg_end(st, is_orig, true);
    /* Zeek: smtp_request(".", "."), the line itself as the argument */
    sk_smtp__request(st, is_orig, tx, ".", 1, dot, 1);
    sk_smtp__field(st, is_orig, tx, SK_FIELD_SMTP_COMMAND, dot, 1, 0);
    sk_smtp__field(st, is_orig, tx, SK_FIELD_SMTP_ARG, dot, 1, 0);
    sk_smtp__field(st, is_orig, tx, SK_FIELD_SMTP_COMMAND_LINE, dot, 1, 0);
    sk_smtp__push(st, is_orig, SK_SMTP_CMD_END_OF_DATA, tx, true, SK_TX_END_DATA);
    if (st->cur_tx == tx)
        st->cur_tx = SK_TX_NONE;
}

/* A piece of a message line as message bytes: dot-unstuffed, smtp_data and the body hook. */
static void message_piece(struct sk_smtp__state *st, bool is_orig, const struct sk_smtp_piece *p)
{
    const uint8_t *b = p->ptr;
    size_t n = p->len;
    size_t el = eol_len(st, p);
    /* A line that only "." (followed by a line end) is not unstuffed: it is a marker this
     * parser did not accept, kept as sent. */
    if (p->starts_line && n > el + 1 && b[0] == '.') {
        b++;
        n--;
    }
    size_t content = n - el;
    if (p->ends_line && el == 1 && p->len == 1 && st->last_byte == '\r')
        content = 0; /* the CR of this CRLF ended the previous piece */
    if (p->starts_line || content > 0)
        sk_smtp__data_event(st, is_orig, st->msg_tx, b, content);
    sk_smtp__msg_bytes(st, is_orig, b, n);

    if (p->ends_line)
        st->prev_crlf = el == 2 || (p->len == 1 && st->last_byte == '\r');
    else
        st->prev_crlf = false;
    st->last_byte = p->ptr[p->len - 1];
}

void sk_smtp__data_piece(struct sk_smtp__state *st, bool is_orig, const struct sk_smtp_piece *p)
{
    check_pipelined(st, is_orig);
    if (p->starts_line && p->ends_line && p->len == 3 && memcmp(p->ptr, ".\r\n", 3) == 0 &&
        st->prev_crlf) {
        /* the data frame ends before its end-of-data line */
        st->data_frame.complete = st->data_frame_on;
        sk_smtp__end_of_data(st, is_orig, p->ptr);
        return;
    }
    ptrdiff_t dot = 0;
    size_t after = 0;
    if (scan_smuggling(st, is_orig, p->ptr, p->len, &dot, &after)) {
        /* Hold from the marker's dot until the server's replies tell whether it ended the
         * message there (smtp_smuggle.c); the bytes before it are the message's either way. */
        size_t from = dot > 0 ? (size_t)dot : 0;
        if (sk_smtp__may_hold(st, p->len - from)) {
            bool mid = from > 0 || !p->starts_line;
            if (from > 0) {
                sk_smtp__frame_data(st, is_orig, st->piece_off, p->ptr, from);
                struct sk_smtp_piece head = {p->ptr, from, p->starts_line, false};
                message_piece(st, is_orig, &head);
            }
            sk_smtp__hold_begin(st, p->ptr + from, p->len - from, after - from, mid);
            return;
        }
    }
    sk_smtp__frame_data(st, is_orig, st->piece_off, p->ptr, p->len);
    message_piece(st, is_orig, p);
}

/* Length of the line end of the whole line p[0..n) (which ends with LF). */
static size_t line_eol(const uint8_t *p, size_t n)
{
    return n >= 2 && p[n - 2] == '\r' ? 2 : 1;
}

/* Where the line holding p[at] starts: just after the last LF before at, or 0. */
static size_t line_start(const uint8_t *p, size_t at)
{
    while (at > 0 && p[at - 1] != '\n')
        at--;
    return at;
}

/* What sk_smtp__data_piece() does line by line, done once for a run of whole lines: none starts
 * with a dot (the end marker or a stuffed dot), none is longer than a piece, and none holds the
 * byte at which a smuggling marker is decided (its anomaly comes before the bytes of its line).
 * The smtp_data events stay one per line, as the line path raises them. */
size_t sk_smtp__data_run(struct sk_smtp__state *st, bool is_orig, const uint8_t *buf, size_t len)
{
    /* after a gap mid-line the next LF may end a CRLF begun before it: the line path knows */
    if (st->last_byte != '\n' || len == 0 || buf[0] == '.')
        return 0;
    uint64_t lines = 0;
    size_t used = sk_line_end_run(buf, len, st->cfg.max_data_chunk, &lines);
    struct sk_line_ends lfs;
    if (used > 0 && !st->smuggle_raised) {
        size_t hit = smuggle_find(st->hist, buf, used);
        if (hit < used) {
            used = line_start(buf, hit);
            lines = 0;
            sk_line_ends_init(&lfs, buf, used);
            for (size_t at = 0; (at = sk_line_ends_next(&lfs, at)) < used; at++)
                lines++;
        }
    }
    if (used == 0)
        return 0;
    /* the outer loop counts the run in st->pos after it: it starts there */
    sk_smtp__frame_data(st, is_orig, st->pos[is_orig], buf, used);
    check_pipelined(st, is_orig);
    if (sk_sink_wants(&st->sink, SK_EV_SMTP_DATA)) {
        sk_line_ends_init(&lfs, buf, used);
        for (size_t at = 0; at < used;) {
            size_t n = sk_line_ends_next(&lfs, at) + 1 - at;
            sk_smtp__data_event(st, is_orig, st->msg_tx, buf + at, n - line_eol(buf + at, n));
            at += n;
        }
    } else {
        sk_smtp__data_skipped(st, lines);
    }
    if (!st->smuggle_raised)
        hist_push(st->hist, buf, used);
    sk_smtp__msg_bytes(st, is_orig, buf, used);
    size_t last_start = line_start(buf, used - 1);
    st->prev_crlf = line_eol(buf + last_start, used - last_start) == 2;
    st->last_byte = '\n';
    return used;
}

size_t sk_smtp__bdat_bytes(struct sk_smtp__state *st, bool is_orig, const uint8_t *buf, size_t len)
{
    size_t n = len < st->bdat_left ? len : (size_t)st->bdat_left;
    if (n) {
        sk_smtp__data_event(st, is_orig, st->msg_tx, buf, n);
        sk_smtp__msg_bytes(st, is_orig, buf, n);
        st->bdat_left -= n;
    }
    if (st->bdat_left == 0) {
        st->bdat_check_next = true;
        if (st->bdat_last) {
            uint64_t tx = st->msg_tx;
            sk_smtp__msg_end(st, is_orig, true);
            if (st->cur_tx == tx)
                st->cur_tx = SK_TX_NONE;
        }
    }
    return n;
}
