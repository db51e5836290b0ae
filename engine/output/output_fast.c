/* SPDX-License-Identifier: GPL-2.0-only */
/* fast.log: one line per alert in Suricata's format, byte for byte, so existing fast.log
 * parsers work: "MM/DD/YYYY-HH:MM:SS.uuuuuu  [**] [gid:sid:rev] msg [**] [Classification:
 * desc] [Priority: n] {PROTO} src:sport -> dst:dport". Times are UTC; a rule without a
 * classtype prints "(null)" as Suricata does. */
#include <stdlib.h>
#include <time.h>

#include "engine/error.h"
#include "engine/output/json.h"
#include "engine/output/outfile.h"
#include "engine/output/output.h"
#include "rules/rule.h"

struct fast_state {
    struct sk_outfile *fp;
    struct sk_outfile_pool *files;
    struct sk_buf line;
};

static int fast_open(void **state, const struct sk_output_config *cfg)
{
    struct fast_state *s = calloc(1, sizeof(*s));
    if (!s)
        return SK_E_NOMEM;
    int rc = sk_outfile_open(&s->fp, cfg->files, cfg->log_dir, "fast.log", NULL);
    if (rc < 0)
        goto out_free_s;
    s->files = cfg->files;
    sk_buf_init(&s->line);
    *state = s;
    return 0;
out_free_s:
    free(s);
    return rc;
}

static void fast_alert(void *state, const struct sk_alert *a, const struct sk_tx_record *tx)
{
    struct fast_state *s = state;
    const struct sk_rule *r = a->rule;
    const struct sk_flow *f = a->flow;
    time_t secs = (time_t)(a->ts_us / 1000000u);
    struct tm tm;
    if (!gmtime_r(&secs, &tm))
        return;
    sk_buf_reset(&s->line);
    sk_buf_addf(&s->line, "%02d/%02d/%04d-%02d:%02d:%02d.%06u  [**] [%u:%u:%u] ", tm.tm_mon + 1,
                tm.tm_mday, tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec,
                (unsigned)(a->ts_us % 1000000u), r->gid, r->sid, r->rev);
    if (r->msg)
        sk_buf_addstr(&s->line, r->msg);
    sk_buf_addf(&s->line, " [**] [Classification: %s] [Priority: %d]",
                r->class_desc ? r->class_desc : "(null)", r->priority);
    if (f) {
        char src[SK_ADDR_STRLEN], dst[SK_ADDR_STRLEN], pbuf[8];
        sk_addr_format(a->to_server ? &f->orig_h : &f->resp_h, true, src, sizeof(src));
        sk_addr_format(a->to_server ? &f->resp_h : &f->orig_h, true, dst, sizeof(dst));
        sk_buf_addf(&s->line, " {%s} %s:%u -> %s:%u",
                    sk_ip_proto_name(f->ip_proto, pbuf, sizeof(pbuf)), src,
                    (unsigned)(a->to_server ? f->orig_p : f->resp_p), dst,
                    (unsigned)(a->to_server ? f->resp_p : f->orig_p));
    }
    sk_buf_addch(&s->line, '\n');
    if (!sk_buf_failed(&s->line))
        sk_outfile_write(s->fp, s->line.buf, s->line.len);
}

static void fast_flush(void *state)
{
    struct fast_state *s = state;
    sk_outfile_flush(s->fp);
}

static void fast_close(void *state)
{
    struct fast_state *s = state;
    if (!s)
        return;
    sk_outfile_close(s->fp, s->files);
    sk_buf_release(&s->line);
    free(s);
}

const struct sk_output_ops sk_output_fast = {
    .name = "fast",
    .open = fast_open,
    .alert = fast_alert,
    .flush = fast_flush,
    .close = fast_close,
};
