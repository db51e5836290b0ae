/* SPDX-License-Identifier: GPL-2.0-only */
/* `shrike explain` reports: one entry per transaction or stream direction of each flow,
 * with the last explanation detection gave for it (the one that saw the most data) and how
 * often the rule was a candidate or held there. */
#include "engine/workbench.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "engine/error.h"
#include "engine/flow/stream.h"
#include "engine/output/json.h"
#include "engine/output/outfile.h"
#include "rules/rule.h"

struct entry {
    uint64_t flow_id, tx_id;
    bool to_server; /* stream rules: one entry a direction */
    char uid[24];
    char where[160]; /* "10.0.0.1:1234 -> 10.0.0.2:25" */
    uint64_t inspections, candidate, held;
    uint64_t ts_last;
    char *buffer; /* of the last inspection */
    bool last_to_server;
    char *text;
};

struct sk_workbench {
    struct entry *v;
    size_t n, cap;
};

int sk_workbench_new(struct sk_workbench **out)
{
    struct sk_workbench *wb = calloc(1, sizeof(*wb));
    if (!wb)
        return SK_E_NOMEM;
    *out = wb;
    return 0;
}

void sk_workbench_free(struct sk_workbench *wb)
{
    if (!wb)
        return;
    for (size_t i = 0; i < wb->n; i++) {
        free(wb->v[i].text);
        free(wb->v[i].buffer);
    }
    free(wb->v);
    free(wb);
}

static const char *buffer_name(int b)
{
    if (b == SK_BUF_STREAM)
        return "stream";
    if (b == SK_BUF_SMTP_LINE)
        return "smtp line";
    if (b == SK_BUF_SMTP_RESPONSE_LINE)
        return "smtp.response_line";
    if (b == SK_BUF_SMTP_COMMAND_FRAME)
        return "frame smtp.command_line";
    const struct sk_field_def *def = sk_field_def((enum sk_field_id)b);
    return def ? def->name : "?";
}

static struct entry *find(struct sk_workbench *wb, const struct sk_explain_report *rep)
{
    bool stream = rep->tx_id == SK_TX_NONE;
    for (size_t i = wb->n; i-- > 0;) {
        struct entry *e = &wb->v[i];
        if (e->flow_id == rep->flow->flow_id && e->tx_id == rep->tx_id &&
            (!stream || e->to_server == rep->to_server))
            return e;
    }
    if (wb->n == wb->cap) {
        size_t ncap = wb->cap ? wb->cap * 2 : 16;
        struct entry *nv = realloc(wb->v, ncap * sizeof(*nv));
        if (!nv)
            return NULL;
        wb->v = nv;
        wb->cap = ncap;
    }
    struct entry *e = &wb->v[wb->n++];
    memset(e, 0, sizeof(*e));
    const struct sk_flow *f = rep->flow;
    char a[SK_ADDR_STRLEN], b[SK_ADDR_STRLEN];
    sk_addr_format(&f->orig_h, false, a, sizeof(a));
    sk_addr_format(&f->resp_h, false, b, sizeof(b));
    snprintf(e->where, sizeof(e->where), "%s:%u -> %s:%u", a, (unsigned)f->orig_p, b,
             (unsigned)f->resp_p);
    memcpy(e->uid, f->uid, sizeof(e->uid));
    e->flow_id = f->flow_id;
    e->tx_id = rep->tx_id;
    e->to_server = rep->to_server;
    return e;
}

void sk_workbench_on_explain(void *ctx, const struct sk_explain_report *rep)
{
    struct sk_workbench *wb = ctx;
    struct entry *e = find(wb, rep);
    if (!e)
        return;
    char *text = strdup(rep->text);
    char *buf = strdup(buffer_name(rep->buffer));
    if (!text || !buf) {
        free(text);
        free(buf);
        return;
    }
    free(e->text);
    free(e->buffer);
    e->text = text;
    e->buffer = buf;
    e->inspections++;
    e->candidate += rep->candidate;
    e->held += rep->holds;
    e->ts_last = rep->ts_us;
    e->last_to_server = rep->to_server;
}

size_t sk_workbench_print(const struct sk_workbench *wb, const struct sk_rule *r, FILE *out)
{
    size_t held = 0, cand = 0;
    fprintf(out, "rule %u:%u:%u \"%s\" (%s:%u)\n", (unsigned)r->gid, (unsigned)r->sid,
            (unsigned)r->rev, r->msg ? r->msg : "", r->file ? r->file : "-", r->line);
    for (size_t i = 0; i < wb->n; i++) {
        const struct entry *e = &wb->v[i];
        char ts[SK_JSON_TIME_LEN];
        sk_json_format_time(ts, e->ts_last);
        if (e->tx_id == SK_TX_NONE)
            fprintf(out, "\nflow %" PRIu64 " %s (uid %s), stream %s:\n", e->flow_id, e->where,
                    e->uid, e->to_server ? "to server" : "to client");
        else
            fprintf(out, "\nflow %" PRIu64 " %s (uid %s), transaction %" PRIu64 ":\n", e->flow_id,
                    e->where, e->uid, e->tx_id);
        fprintf(out,
                "  %" PRIu64 " inspection%s, a candidate in %" PRIu64 ", every condition held in "
                "%" PRIu64 "\n",
                e->inspections, e->inspections == 1 ? "" : "s", e->candidate, e->held);
        fprintf(out, "  the last, of %s (%s) at %s:\n", e->buffer,
                e->last_to_server ? "to server" : "to client", ts);
        for (const char *p = e->text; p && *p;) {
            const char *nl = strchr(p, '\n');
            size_t l = nl ? (size_t)(nl - p) : strlen(p);
            fprintf(out, "  %.*s\n", (int)l, p);
            p += l + (nl != NULL);
        }
        held += e->held > 0;
        cand += e->candidate > 0;
    }
    fprintf(out,
            "\nsummary: sid %u inspected in %zu transaction%s or stream%s, a candidate in %zu, "
            "every condition held in %zu\n",
            (unsigned)r->sid, wb->n, wb->n == 1 ? "" : "s", wb->n == 1 ? "" : "s", cand, held);
    return held;
}
