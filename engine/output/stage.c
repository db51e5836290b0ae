/* SPDX-License-Identifier: GPL-2.0-only */
/* Output calls kept for later (stage.h): one growing buffer of entries, each a header and the
 * record's bytes (an EVE record's event type after them), replayed front to back. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/error.h"
#include "engine/output/json.h"
#include "engine/output/outfile.h"
#include "engine/output/sink.h"
#include "engine/output/stage.h"

_Thread_local struct sk_stage *sk__stage;

#define STAGE_KEEP (1u << 20) /* room kept between replays */

enum kind { FILE_WRITE, FILE_FLUSH, SINK_WRITE, SINK_FLUSH };

struct entry {
    enum kind kind;
    void *target;     /* the struct sk_outfile or struct sk_sink */
    uint64_t flow_id; /* SINK_WRITE: the record's meta */
    size_t len;       /* record bytes after the header */
    size_t type_len;  /* SINK_WRITE: event type bytes after the record (no NUL) */
};

struct sk_stage {
    struct sk_buf buf;
    size_t head; /* the first call not made yet */
};

int sk_stage_new(struct sk_stage **out)
{
    struct sk_stage *st = calloc(1, sizeof(*st));
    if (!st)
        return SK_E_NOMEM;
    sk_buf_init(&st->buf);
    *out = st;
    return 0;
}

void sk_stage_free(struct sk_stage *st)
{
    if (!st)
        return;
    sk_buf_release(&st->buf);
    free(st);
}

void sk_stage_set(struct sk_stage *st)
{
    sk__stage = st;
}

size_t sk_stage_len(const struct sk_stage *st)
{
    return st->buf.len - st->head;
}

static bool keep(struct sk_stage *st, enum kind kind, void *target, const char *rec, size_t len,
                 const struct sk_sink_meta *m)
{
    struct entry e = {.kind = kind, .target = target, .len = len};
    if (m) {
        e.flow_id = m->flow_id;
        e.type_len = strlen(m->event_type);
    }
    if (st->buf.failed || sk_buf_grow(&st->buf, sizeof(e) + len + e.type_len) < 0) {
        st->buf.failed = false; /* what it holds is whole: later calls may fit again */
        return false;
    }
    sk_buf_add(&st->buf, &e, sizeof(e));
    sk_buf_add(&st->buf, rec, len);
    if (m)
        sk_buf_add(&st->buf, m->event_type, e.type_len);
    return true;
}

bool sk__stage_file_write(struct sk_stage *st, struct sk_outfile *f, const char *buf, size_t len)
{
    return keep(st, FILE_WRITE, f, buf, len, NULL);
}

bool sk__stage_file_flush(struct sk_stage *st, struct sk_outfile *f)
{
    return keep(st, FILE_FLUSH, f, NULL, 0, NULL);
}

bool sk__stage_sink_write(struct sk_stage *st, struct sk_sink *s, const char *rec, size_t len,
                          const struct sk_sink_meta *m)
{
    return keep(st, SINK_WRITE, s, rec, len, m);
}

bool sk__stage_sink_flush(struct sk_stage *st, struct sk_sink *s)
{
    return keep(st, SINK_FLUSH, s, NULL, 0, NULL);
}

void sk_stage_replay(struct sk_stage *st, size_t n)
{
    char type[64];
    size_t at = st->head, end = st->head + n;
    if (end > st->buf.len)
        end = st->buf.len;
    while (at + sizeof(struct entry) <= end) {
        struct entry e;
        memcpy(&e, st->buf.buf + at, sizeof(e));
        const char *rec = st->buf.buf + at + sizeof(e);
        at += sizeof(e) + e.len + e.type_len;
        switch (e.kind) {
        case FILE_WRITE:
            sk_outfile_write(e.target, rec, e.len);
            break;
        case FILE_FLUSH:
            sk_outfile_flush(e.target);
            break;
        case SINK_WRITE: {
            /* event types are short names ("smtp", "fileinfo"): cut, never overrun */
            size_t tn = e.type_len < sizeof(type) - 1 ? e.type_len : sizeof(type) - 1;
            memcpy(type, rec + e.len, tn);
            type[tn] = '\0';
            struct sk_sink_meta m = {.event_type = type, .flow_id = e.flow_id};
            sk_sink_write(e.target, rec, e.len, &m);
            break;
        }
        case SINK_FLUSH:
            sk_sink_flush(e.target);
            break;
        }
    }
    st->head = at;
    if (st->head == st->buf.len) {
        st->head = 0;
        /* a flow that wrote much at its end does not keep the room for the rest of the run */
        if (st->buf.alloc > STAGE_KEEP) {
            sk_buf_release(&st->buf);
            sk_buf_init(&st->buf);
        }
        sk_buf_reset(&st->buf);
    } else if (st->head >= STAGE_KEEP / 16 && st->head >= st->buf.len / 2) {
        /* calls are kept while older ones are made: the made ones' room is taken back */
        memmove(st->buf.buf, st->buf.buf + st->head, st->buf.len - st->head);
        st->buf.len -= st->head;
        st->head = 0;
    }
}
