/* SPDX-License-Identifier: GPL-2.0-only */
/* Routing to the open outputs (output_set.h). The transaction builder sees every event
 * before the outputs do, so records are complete when logged. */
#include <stdlib.h>
#include <string.h>

#include "engine/error.h"
#include "engine/output/output_set.h"

static const struct sk_output_ops *const all_outputs[] = {
    &sk_output_eve,
    &sk_output_events,
    &sk_output_fast,
    &sk_output_smtplog,
};

/* The raw SMTP events, which go to event(). */
#define SMTP_EVENTS                                                                                \
    (SK_EV_BIT(SK_EV_SMTP_REQUEST) | SK_EV_BIT(SK_EV_SMTP_REPLY) | SK_EV_BIT(SK_EV_SMTP_DATA) |    \
     SK_EV_BIT(SK_EV_SMTP_STARTTLS) | SK_EV_BIT(SK_EV_SMTP_UNEXPECTED))

/* Bounds the records held in one batch; past it they are written at once. */
#define MAX_PENDING 4096

/* An alert or a file held until the end of the batch. */
struct pending {
    bool is_alert;
    struct sk_alert alert;
    const struct sk_flow *f;
    uint64_t ts_us, tx_id;
    struct sk_file_info fi; /* name, stored_path and magic point into names */
    char *names;
};

struct sk_output_set {
    size_t n;
    const struct sk_output_ops **ops;
    void **state;
    bool batching;
    /* SK_EV_BIT()s of the event types some output's event(), anomaly() or file() takes, and
     * whether one takes frames: every other event stops at the transaction builder */
    unsigned wanted;
    bool frames;
    struct pending *pend;
    size_t npend, pend_cap;
};

const struct sk_output_ops *sk_output_lookup(const char *name)
{
    for (size_t i = 0; i < sizeof(all_outputs) / sizeof(all_outputs[0]); i++)
        if (strcmp(all_outputs[i]->name, name) == 0)
            return all_outputs[i];
    return NULL;
}

int sk_output_set_open(struct sk_output_set **out, const struct sk_output_ops *const *ops, size_t n,
                       const struct sk_output_config *cfg)
{
    int rc = SK_E_NOMEM;
    struct sk_output_set *s = calloc(1, sizeof(*s));
    if (!s)
        return SK_E_NOMEM;
    s->ops = calloc(n ? n : 1, sizeof(*s->ops));
    if (!s->ops)
        goto out_free_s;
    s->state = calloc(n ? n : 1, sizeof(*s->state));
    if (!s->state)
        goto out_free_ops;
    for (size_t i = 0; i < n; i++) {
        rc = ops[i]->open(&s->state[s->n], cfg);
        if (rc < 0)
            goto out_close_opened;
        s->ops[s->n++] = ops[i];
        if (ops[i]->event)
            s->wanted |= SMTP_EVENTS;
        if (ops[i]->anomaly)
            s->wanted |= SK_EV_BIT(SK_EV_ANOMALY);
        if (ops[i]->file)
            s->wanted |= SK_EV_BIT(SK_EV_FILE);
        s->frames = s->frames || ops[i]->frame;
    }
    *out = s;
    return 0;
out_close_opened:
    for (size_t i = 0; i < s->n; i++)
        if (s->ops[i]->close)
            s->ops[i]->close(s->state[i]);
    free(s->state);
out_free_ops:
    free(s->ops);
out_free_s:
    free(s);
    return rc;
}

struct close_ctx {
    struct sk_output_set *s;
    const struct sk_flow *f;
    uint64_t ts_us;
};

static void on_tx_close(void *ctx, const struct sk_tx_record *tx, enum sk_tx_end why)
{
    struct close_ctx *c = ctx;
    (void)why;
    for (size_t i = 0; i < c->s->n; i++)
        if (c->s->ops[i]->tx_close)
            c->s->ops[i]->tx_close(c->s->state[i], c->f, c->ts_us, tx);
}

static struct pending *hold(struct sk_output_set *s)
{
    if (s->npend == s->pend_cap) {
        size_t cap = s->pend_cap ? s->pend_cap * 2 : 8;
        if (cap > MAX_PENDING)
            return NULL;
        struct pending *v = realloc(s->pend, cap * sizeof(*v));
        if (!v)
            return NULL;
        s->pend = v;
        s->pend_cap = cap;
    }
    struct pending *p = &s->pend[s->npend];
    memset(p, 0, sizeof(*p));
    return p;
}

static bool hold_file(struct sk_output_set *s, const struct sk_flow *f, uint64_t ts_us,
                      const struct sk_event *ev)
{
    struct pending *p = hold(s);
    const struct sk_file_info *fi = &ev->u.file;
    if (!p)
        return false;
    p->names = malloc(fi->name.len + fi->stored_path.len + fi->magic.len + 3);
    if (!p->names)
        return false;
    p->f = f;
    p->ts_us = ts_us;
    p->tx_id = ev->tx_id;
    p->fi = *fi;
    if (fi->name.len)
        memcpy(p->names, fi->name.ptr, fi->name.len);
    p->names[fi->name.len] = '\0';
    if (fi->stored_path.len)
        memcpy(p->names + fi->name.len + 1, fi->stored_path.ptr, fi->stored_path.len);
    p->names[fi->name.len + 1 + fi->stored_path.len] = '\0';
    char *magic = p->names + fi->name.len + 1 + fi->stored_path.len + 1;
    if (fi->magic.len)
        memcpy(magic, fi->magic.ptr, fi->magic.len);
    magic[fi->magic.len] = '\0';
    p->fi.name.ptr = (const uint8_t *)p->names;
    p->fi.stored_path.ptr = (const uint8_t *)p->names + fi->name.len + 1;
    p->fi.magic.ptr = (const uint8_t *)magic;
    s->npend++;
    return true;
}

void sk_output_set_batch_begin(struct sk_output_set *s)
{
    s->batching = true;
}

void sk_output_set_batch_end(struct sk_output_set *s, const struct sk_txrec *r)
{
    s->batching = false;
    for (size_t k = 0; k < s->npend; k++) {
        struct pending *p = &s->pend[k];
        uint64_t tx_id = p->is_alert ? p->alert.tx_id : p->tx_id;
        const struct sk_tx_record *tx = r && tx_id != SK_TX_NONE ? sk_txrec_get(r, tx_id) : NULL;
        for (size_t i = 0; i < s->n; i++) {
            if (p->is_alert && s->ops[i]->alert)
                s->ops[i]->alert(s->state[i], &p->alert, tx);
            else if (!p->is_alert && s->ops[i]->file)
                s->ops[i]->file(s->state[i], p->f, p->ts_us, &p->fi, tx);
        }
        free(p->names);
    }
    s->npend = 0;
}

void sk_output_set_event(struct sk_output_set *s, struct sk_txrec *r, const struct sk_flow *f,
                         uint64_t ts_us, const struct sk_event *ev)
{
    struct close_ctx cc = {s, f, ts_us};
    if (r)
        sk_txrec_event(r, ev, ts_us, on_tx_close, &cc);
    if (ev->type == SK_EV_FILE && s->batching && hold_file(s, f, ts_us, ev))
        return;
    /* A frame is logged once, when it ends: a line with its one event that carries it, a
     * message with its last smtp.data field */
    bool frame_ends = s->frames && ev->frame != NULL &&
                      (ev->frame->type != SK_FRAME_DATA ||
                       (ev->type == SK_EV_FIELD && (ev->u.field.flags & SK_FIELD_F_END) != 0));
    if (!frame_ends && !(s->wanted & SK_EV_BIT(ev->type)))
        return; /* most events: fields, transaction opens and closes */
    const struct sk_tx_record *tx = NULL;
    if (r && (ev->type == SK_EV_ANOMALY || ev->type == SK_EV_FILE))
        tx = sk_txrec_get(r, ev->tx_id);
    for (size_t i = 0; i < s->n; i++) {
        const struct sk_output_ops *o = s->ops[i];
        if (frame_ends && o->frame)
            o->frame(s->state[i], f, ts_us, ev->is_orig, ev->tx_id, ev->frame);
        switch (ev->type) {
        case SK_EV_SMTP_REQUEST:
        case SK_EV_SMTP_REPLY:
        case SK_EV_SMTP_DATA:
        case SK_EV_SMTP_STARTTLS:
        case SK_EV_SMTP_UNEXPECTED:
            if (o->event)
                o->event(s->state[i], f, ts_us, ev);
            break;
        case SK_EV_ANOMALY:
            if (o->anomaly)
                o->anomaly(s->state[i], f, ts_us, ev->is_orig, ev->u.anomaly.id, tx);
            break;
        case SK_EV_FILE:
            if (o->file)
                o->file(s->state[i], f, ts_us, &ev->u.file, tx);
            break;
        default:
            break;
        }
    }
}

void sk_output_set_counters(const struct sk_output_set *s,
                            void (*fn)(void *ctx, const char *name, uint64_t value), void *ctx)
{
    for (size_t i = 0; s && i < s->n; i++)
        if (s->ops[i]->counters)
            s->ops[i]->counters(s->state[i], fn, ctx);
}

bool sk_output_set_logs(const struct sk_output_set *s, enum sk_event_type type)
{
    /* only the raw SMTP events go to event() */
    return s && (s->wanted & SMTP_EVENTS & SK_EV_BIT(type)) != 0;
}

void sk_output_set_alert(struct sk_output_set *s, const struct sk_alert *a,
                         const struct sk_tx_record *tx)
{
    struct pending *p;
    if (s->batching && (p = hold(s)) != NULL) {
        p->is_alert = true;
        p->alert = *a;
        s->npend++;
        return;
    }
    for (size_t i = 0; i < s->n; i++)
        if (s->ops[i]->alert)
            s->ops[i]->alert(s->state[i], a, tx);
}

void sk_output_set_flow_end(struct sk_output_set *s, struct sk_txrec *r, const struct sk_flow *f,
                            enum sk_flow_end why, const char *app_proto, const char *app_proto_tc)
{
    struct close_ctx cc = {s, f, f->ts_last_us};
    if (r)
        sk_txrec_finish(r, on_tx_close, &cc);
    for (size_t i = 0; i < s->n; i++)
        if (s->ops[i]->flow_end)
            s->ops[i]->flow_end(s->state[i], f, why, app_proto, app_proto_tc);
}

void sk_output_set_stats(struct sk_output_set *s, uint64_t ts_us, const struct sk_counter *c,
                         size_t n)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->ops[i]->stats)
            s->ops[i]->stats(s->state[i], ts_us, c, n);
}

void sk_output_set_flush(struct sk_output_set *s)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->ops[i]->flush)
            s->ops[i]->flush(s->state[i]);
}

void sk_output_set_close(struct sk_output_set *s)
{
    if (!s)
        return;
    sk_output_set_batch_end(s, NULL);
    for (size_t i = 0; i < s->n; i++)
        if (s->ops[i]->close)
            s->ops[i]->close(s->state[i]);
    free(s->pend);
    free(s->state);
    free(s->ops);
    free(s);
}
