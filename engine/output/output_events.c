/* SPDX-License-Identifier: GPL-2.0-only */
/* events.json: the raw SMTP event log of DESIGN.md, one JSON object a line per Zeek SMTP
 * event (smtp_request, smtp_reply, smtp_data, smtp_starttls, smtp_unexpected) with Zeek's
 * argument names. Fields, anomalies and transaction notices are not raw events and are
 * logged by the EVE output instead. Addresses print as Zeek prints them. */
#include <stdlib.h>
#include <string.h>

#include "engine/error.h"
#include "engine/output/json.h"
#include "engine/output/outfile.h"
#include "engine/output/output.h"

struct events_state {
    struct sk_outfile *fp;
    struct sk_outfile_pool *files;
    struct sk_buf line;
    size_t data_log_limit;
    /* Every line repeats its flow's uid, flow_id and addresses: written once per flow (the
     * events of a flow come in runs) and copied. */
    const struct sk_flow *head_f;
    uint64_t head_flow_id;
    char head_uid[sizeof(((struct sk_flow *)0)->uid)];
    struct sk_buf uid_part, id_part;
    bool head_ok;
    struct sk_json_clock clock;
};

static int events_open(void **state, const struct sk_output_config *cfg)
{
    struct events_state *s = calloc(1, sizeof(*s));
    if (!s)
        return SK_E_NOMEM;
    int rc = sk_outfile_open(&s->fp, cfg->files, cfg->log_dir, "events.json", NULL);
    if (rc < 0)
        goto out_free_s;
    s->files = cfg->files;
    sk_buf_init(&s->line);
    sk_buf_init(&s->uid_part);
    sk_buf_init(&s->id_part);
    s->data_log_limit = cfg->data_log_limit;
    *state = s;
    return 0;
out_free_s:
    free(s);
    return rc;
}

static const char *event_name(enum sk_event_type t)
{
    switch (t) {
    case SK_EV_SMTP_REQUEST:
        return "smtp_request";
    case SK_EV_SMTP_REPLY:
        return "smtp_reply";
    case SK_EV_SMTP_DATA:
        return "smtp_data";
    case SK_EV_SMTP_STARTTLS:
        return "smtp_starttls";
    case SK_EV_SMTP_UNEXPECTED:
        return "smtp_unexpected";
    default:
        return NULL;
    }
}

static void uid_members(struct sk_json *j, const void *arg)
{
    const struct sk_flow *f = arg;
    sk_json_str(j, "uid", f->uid);
    sk_json_u64(j, "flow_id", f->flow_id);
}

static void id_member(struct sk_json *j, const void *arg)
{
    const struct sk_flow *f = arg;
    char orig[SK_ADDR_STRLEN], resp[SK_ADDR_STRLEN];
    sk_addr_format(&f->orig_h, false, orig, sizeof(orig));
    sk_addr_format(&f->resp_h, false, resp, sizeof(resp));
    sk_json_object_open(j, "id");
    sk_json_str(j, "orig_h", orig);
    sk_json_u64(j, "orig_p", f->orig_p);
    sk_json_str(j, "resp_h", resp);
    sk_json_u64(j, "resp_p", f->resp_p);
    sk_json_object_close(j);
}

/* The flow's parts of a line, written again only when the flow changes. */
static bool flow_head(struct events_state *s, const struct sk_flow *f)
{
    if (s->head_ok && s->head_f == f && s->head_flow_id == f->flow_id &&
        strcmp(s->head_uid, f->uid) == 0)
        return true;
    s->head_f = f;
    s->head_flow_id = f->flow_id;
    memcpy(s->head_uid, f->uid, sizeof(s->head_uid));
    s->head_ok = sk_json_members_build(&s->uid_part, uid_members, f) &&
                 sk_json_members_build(&s->id_part, id_member, f);
    return s->head_ok;
}

static void events_event(void *state, const struct sk_flow *f, uint64_t ts_us,
                         const struct sk_event *ev)
{
    struct events_state *s = state;
    const char *name = event_name(ev->type);
    if (!name || !flow_head(s, f))
        return;

    struct sk_json j;
    sk_buf_reset(&s->line);
    sk_json_init(&j, &s->line);
    sk_json_object_open(&j, NULL);
    sk_json_time_at(&j, "ts", ts_us, &s->clock);
    sk_json_members(&j, s->uid_part.buf, s->uid_part.len);
    if (ev->tx_id != SK_TX_NONE)
        sk_json_u64(&j, "tx_id", ev->tx_id);
    sk_json_members(&j, s->id_part.buf, s->id_part.len);
    sk_json_str(&j, "event", name);
    switch (ev->type) {
    case SK_EV_SMTP_REQUEST:
        sk_json_bool(&j, "is_orig", ev->is_orig);
        sk_json_strn(&j, "command", ev->u.request.command.ptr, ev->u.request.command.len);
        sk_json_strn(&j, "arg", ev->u.request.arg.ptr, ev->u.request.arg.len);
        break;
    case SK_EV_SMTP_REPLY:
        sk_json_bool(&j, "is_orig", ev->is_orig);
        sk_json_u64(&j, "code", ev->u.reply.code);
        sk_json_strn(&j, "cmd", ev->u.reply.cmd.ptr, ev->u.reply.cmd.len);
        sk_json_strn(&j, "msg", ev->u.reply.msg.ptr, ev->u.reply.msg.len);
        sk_json_bool(&j, "cont_resp", ev->u.reply.cont_resp);
        break;
    case SK_EV_SMTP_DATA: {
        size_t n = ev->u.data.data.len;
        if (n > s->data_log_limit)
            n = s->data_log_limit;
        sk_json_bool(&j, "is_orig", ev->is_orig);
        sk_json_strn(&j, "data", ev->u.data.data.ptr, n);
        sk_json_u64(&j, "data_len", ev->u.data.data.len);
        break;
    }
    case SK_EV_SMTP_UNEXPECTED:
        sk_json_bool(&j, "is_orig", ev->is_orig);
        sk_json_strn(&j, "msg", ev->u.unexpected.msg.ptr, ev->u.unexpected.msg.len);
        sk_json_strn(&j, "detail", ev->u.unexpected.detail.ptr, ev->u.unexpected.detail.len);
        break;
    default:
        break;
    }
    sk_json_object_close(&j);
    sk_buf_addch(&s->line, '\n');
    if (!sk_buf_failed(&s->line))
        sk_outfile_write(s->fp, s->line.buf, s->line.len);
}

static void events_flush(void *state)
{
    struct events_state *s = state;
    sk_outfile_flush(s->fp);
}

static void events_close(void *state)
{
    struct events_state *s = state;
    if (!s)
        return;
    sk_outfile_close(s->fp, s->files);
    sk_buf_release(&s->line);
    sk_buf_release(&s->uid_part);
    sk_buf_release(&s->id_part);
    free(s);
}

const struct sk_output_ops sk_output_events = {
    .name = "events",
    .open = events_open,
    .event = events_event,
    .flush = events_flush,
    .close = events_close,
};
