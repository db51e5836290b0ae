/* SPDX-License-Identifier: GPL-2.0-only */
/* SMTP smuggling decided by the server: from a non-canonical end of data the bytes of both
 * directions are held, and two readings of the client's bytes (still the message; the message
 * ended at the marker and commands follow) are checked against the server's replies until only
 * one fits. The held bytes are then fed again as the server read them. docs/smtp.md, Smuggling. */
#include <stdlib.h>
#include <string.h>

#include "parsers/smtp/smtp_int.h"

enum { SLOT_OTHER, SLOT_DATA, SLOT_QUIT };
enum { UNDECIDED, READ_CMDS, READ_BODY };
#define REC_HDR 5 /* direction byte, 32-bit length */

static void owe(struct sk_smtp__reading *r, uint8_t kind)
{
    if (r->owed < SK_SMTP__SLOTS)
        r->slot[r->owed] = kind;
    r->owed++;
}

static bool verb_is(const struct sk_smtp__reading *r, const char *v)
{
    if (r->pre_len < 5)
        return false;
    for (int i = 0; i < 4; i++)
        if ((r->pre[i] & ~0x20) != (uint8_t)v[i])
            return false;
    return r->pre[4] == ' ' || r->pre[4] == '\r' || r->pre[4] == '\n';
}

/* A whole line of the reading: in a message only CRLF "." CRLF ends it (the server answers);
 * outside, every line is a command the server answers, and DATA begins a message (its 354 is
 * assumed: a refusal is a 4xx/5xx, which fits every slot). */
static void line_end(struct sk_smtp__reading *r)
{
    if (r->in_body) {
        if (!r->mid && r->prev_crlf && r->line_len == 3 && r->pre[0] == '.' && r->pre[1] == '\r') {
            owe(r, SLOT_OTHER);
            r->in_body = false;
        }
    } else if (verb_is(r, "DATA")) {
        owe(r, SLOT_DATA);
        r->in_body = true;
    } else {
        owe(r, verb_is(r, "QUIT") ? SLOT_QUIT : SLOT_OTHER);
    }
    r->prev_crlf = r->last == '\r';
    r->mid = false;
    r->pre_len = 0;
    r->line_len = 0;
}

static void reading_bytes(struct sk_smtp__reading *r, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (r->pre_len < sizeof(r->pre))
            r->pre[r->pre_len++] = p[i];
        r->line_len++;
        if (p[i] == '\n')
            line_end(r);
        r->last = p[i];
    }
}

/* Whether the k-th reply (from 1) since the marker, with this code, fits the reading: the
 * reading owes that many replies for the bytes already sent, 354 answers only DATA and 221
 * only QUIT; a refusal fits anything. */
static bool fits(const struct sk_smtp__reading *r, size_t k, int code)
{
    if (k > r->owed)
        return false;
    if (k > SK_SMTP__SLOTS || code >= 400)
        return true;
    switch (r->slot[k - 1]) {
    case SLOT_DATA:
        return code == 354;
    case SLOT_QUIT:
        return code == 221;
    default:
        return code != 354 && code != 221;
    }
}

bool sk_smtp__may_hold(const struct sk_smtp__state *st, size_t n)
{
    const struct sk_smtp__hold *h = &st->hold;
    return st->cfg.smuggling_hold > 0 && n + REC_HDR <= st->cfg.smuggling_hold &&
           !st->data_wait_354 && st->q_len == 0 && st->q_dropped == 0 && !st->msg_incomplete &&
           !st->desync && !(h->replaying && h->nested >= 16);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* Appends bytes of one direction; the limit was checked by the caller. */
static void append(struct sk_smtp__state *st, bool is_orig, const uint8_t *p, size_t n)
{
    struct sk_smtp__hold *h = &st->hold;
    if (n == 0)
        return;
    bool extend = h->len > 0 && h->buf[h->last_rec] == (uint8_t)is_orig;
    size_t need = h->len + n + (extend ? 0 : REC_HDR);
    if (need > h->alloc && !sk_smtp__grow(st, &h->buf, &h->alloc, need, st->cfg.smuggling_hold))
        return;
    if (!extend) {
        h->last_rec = h->len;
        h->buf[h->len] = (uint8_t)is_orig;
        put32(h->buf + h->len + 1, 0);
        h->len += REC_HDR;
    }
    memcpy(h->buf + h->len, p, n);
    h->len += n;
    put32(h->buf + h->last_rec + 1, get32(h->buf + h->last_rec + 1) + (uint32_t)n);
}

void sk_smtp__hold_begin(struct sk_smtp__state *st, const uint8_t *p, size_t n, size_t marker_len,
                         bool mid_line)
{
    struct sk_smtp__hold *h = &st->hold;
    bool c = st->client_is_orig;
    if (h->replaying)
        h->nested++;
    h->on = true;
    h->len = 0;
    h->marker_len = marker_len;
    h->mid_line = mid_line;
    h->replies = 0;
    h->body = (struct sk_smtp__reading){
        .alive = true, .in_body = true, .mid = mid_line, .prev_crlf = st->prev_crlf};
    h->cmds = (struct sk_smtp__reading){.alive = true, .last = '\n'};
    owe(&h->cmds, SLOT_OTHER); /* the reply to the message ended at the marker */
    h->srv_mid = sk_smtp_line_pending(&st->rd[!c]) > 0 || st->rd[!c].mid_line;
    h->srv_pre_len = 0;
    reading_bytes(&h->body, p, n);
    reading_bytes(&h->cmds, p + marker_len, n - marker_len);
    append(st, c, p, n);
    /* held bytes are counted in st->pos when they are fed again (resolve) */
    st->pos[c] -= n;
}

/* Feeds the held bytes again as the server read them: commands after the marker, or the
 * message going on. The buffer is taken from the hold first, so the bytes fed may begin a
 * new hold (a smuggled message smuggling another; at most 16 per outside feed). */
static void resolve(struct sk_smtp__state *st, bool cmds)
{
    struct sk_smtp__hold *h = &st->hold;
    bool c = st->client_is_orig;
    uint8_t *buf = h->buf;
    size_t len = h->len, alloc = h->alloc, skip = 0;
    h->buf = NULL;
    h->len = h->alloc = 0;
    h->on = false;
    if (cmds) {
        sk_smtp__anomaly(st, c, st->msg_tx, SK_ANOMALY_SMUGGLING_ACCEPTED);
        st->data_frame.complete = st->data_frame_on; /* it ended at the marker */
        sk_smtp__end_of_data(st, c, (const uint8_t *)".");
        sk_smtp_line_reset(&st->rd[c]);
        skip = h->marker_len;
    } else if (h->mid_line) {
        st->rd[c].mid_line = true; /* the held bytes go on the line before them */
    }
    bool was = h->replaying;
    h->replaying = true;
    for (size_t at = 0; at + REC_HDR <= len && !st->mem_refused;) {
        bool dir = buf[at] != 0;
        size_t n = get32(buf + at + 1);
        const uint8_t *q = buf + at + REC_HDR;
        at += REC_HDR + n;
        if (dir == c && skip > 0) {
            size_t s = skip < n ? skip : n;
            q += s;
            n -= s;
            skip -= s;
            st->pos[dir] += s;
        }
        if (n > 0)
            sk_smtp__feed_bytes(st, dir, q, n);
    }
    h->replaying = was;
    free(buf);
    sk_mem_uncharge(st->cfg.budget, sk_mem_alloc_cost(alloc));
}

/* A final reply while holding: which reading it leaves standing. */
static int judge(struct sk_smtp__state *st, int code)
{
    struct sk_smtp__hold *h = &st->hold;
    size_t k = ++h->replies;
    if (code == 421 || code == 521)
        return READ_BODY; /* the server closes: it never read what followed as commands */
    h->body.alive = h->body.alive && fits(&h->body, k, code);
    h->cmds.alive = h->cmds.alive && fits(&h->cmds, k, code);
    if (!h->body.alive && h->cmds.alive)
        return READ_CMDS;
    if (!h->cmds.alive)
        return READ_BODY;
    if (k >= SK_SMTP__SLOTS) {
        sk_smtp__anomaly(st, !st->client_is_orig, st->msg_tx, SK_ANOMALY_SMUGGLING_HOLD_EXCEEDED);
        return READ_BODY;
    }
    return UNDECIDED;
}

static bool is_digit(uint8_t c)
{
    return c >= '0' && c <= '9';
}

size_t sk_smtp__hold_bytes(struct sk_smtp__state *st, bool is_orig, const uint8_t *p, size_t n)
{
    struct sk_smtp__hold *h = &st->hold;
    if (h->len + REC_HDR + n > st->cfg.smuggling_hold) {
        sk_smtp__anomaly(st, is_orig, st->msg_tx, SK_ANOMALY_SMUGGLING_HOLD_EXCEEDED);
        resolve(st, false);
        return 0; /* fed after the held bytes, as the message's */
    }
    if (is_orig == st->client_is_orig) {
        reading_bytes(&h->body, p, n);
        reading_bytes(&h->cmds, p, n);
        append(st, is_orig, p, n);
        return n;
    }
    for (size_t i = 0; i < n; i++) {
        if (!h->srv_mid && h->srv_pre_len < sizeof(h->srv_pre))
            h->srv_pre[h->srv_pre_len++] = p[i];
        if (p[i] != '\n')
            continue;
        const uint8_t *c = h->srv_pre;
        bool final = !h->srv_mid && h->srv_pre_len == 4 && is_digit(c[0]) && is_digit(c[1]) &&
                     is_digit(c[2]) && (c[3] == ' ' || c[3] == '\r' || c[3] == '\n');
        h->srv_mid = false;
        h->srv_pre_len = 0;
        if (!final)
            continue;
        int d = judge(st, (c[0] - '0') * 100 + (c[1] - '0') * 10 + (c[2] - '0'));
        if (d != UNDECIDED) {
            append(st, is_orig, p, i + 1);
            resolve(st, d == READ_CMDS);
            return i + 1;
        }
    }
    append(st, is_orig, p, n);
    return n;
}

void sk_smtp__hold_abandon(struct sk_smtp__state *st)
{
    if (st->hold.on)
        resolve(st, false);
}

void sk_smtp__hold_release(struct sk_smtp__state *st)
{
    struct sk_smtp__hold *h = &st->hold;
    free(h->buf);
    sk_mem_uncharge(st->cfg.budget, sk_mem_alloc_cost(h->alloc));
    h->buf = NULL;
    h->len = h->alloc = 0;
}
