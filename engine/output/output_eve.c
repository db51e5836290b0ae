/* SPDX-License-Identifier: GPL-2.0-only */
/* eve.json: Suricata's EVE JSON, one object a line, with Suricata's field names and
 * nesting (event types alert, smtp, fileinfo, anomaly, flow, stats) so SIEM parsers for
 * Suricata ingest it unchanged. Shrike adds one top-level member, "uid" (the Zeek uid of
 * the flow), to join EVE with events.json and smtp.log; docs/outputs.md says why. */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "engine/config.h"
#include "engine/error.h"
#include "engine/log.h"
#include "engine/output/json.h"
#include "engine/output/outfile.h"
#include "engine/output/output.h"
#include "engine/output/sink.h"
#include "rules/rule.h"

/* Flow ids that alerted and have not ended yet, for flow.alerted: open addressing with
 * linear probing, 0 marks an empty slot (flow ids are positive). */
struct idset {
    uint64_t *v;
    size_t cap, n;
};

/* The members every record of a flow repeats, written once per flow and copied: flow_id and
 * uid, and the endpoints seen from either side. */
struct flow_head {
    const struct sk_flow *f;
    uint64_t flow_id;
    char uid[sizeof(((struct sk_flow *)0)->uid)];
    bool ok;
    struct sk_buf ids;
    struct sk_buf ends[2]; /* [1]: the originator is src */
    bool ends_ok[2];       /* built for this flow: each when a record first needs it */
};

#define EVE_SINKS_MAX 8

struct eve_state {
    /* where each record goes: outputs.eve's own sink ("eve") and outputs.eve.sinks.* */
    struct sk_sink *sinks[EVE_SINKS_MAX];
    size_t nsinks;
    struct sk_sink_meta meta; /* of the record being built */
    char *host;               /* sensor-name, or NULL */
    struct sk_outfile_pool *files;
    struct sk_buf line;
    struct sk_output_config cfg;
    struct idset alerted;
    struct flow_head head;
    struct sk_json_clock clock;
    uint64_t file_items_dropped; /* list items left out of fileinfo records */
};

static size_t idset_slot(const struct idset *s, uint64_t id)
{
    uint64_t h = id * 0x9e3779b97f4a7c15ull;
    return (size_t)(h >> 17) & (s->cap - 1);
}

static bool idset_has(const struct idset *s, uint64_t id)
{
    if (!s->cap || id == 0)
        return false;
    for (size_t i = idset_slot(s, id);; i = (i + 1) & (s->cap - 1)) {
        if (s->v[i] == id)
            return true;
        if (s->v[i] == 0)
            return false;
    }
}

static void idset_insert_raw(struct idset *s, uint64_t id)
{
    size_t i = idset_slot(s, id);
    while (s->v[i] != 0 && s->v[i] != id)
        i = (i + 1) & (s->cap - 1);
    if (s->v[i] == 0) {
        s->v[i] = id;
        s->n++;
    }
}

static void idset_add(struct idset *s, uint64_t id)
{
    if (id == 0 || idset_has(s, id))
        return;
    if ((s->n + 1) * 2 > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        struct idset ns = {calloc(cap, sizeof(uint64_t)), cap, 0};
        if (!ns.v)
            return; /* flow.alerted may then say false: better than failing the alert */
        for (size_t i = 0; i < s->cap; i++)
            if (s->v[i])
                idset_insert_raw(&ns, s->v[i]);
        free(s->v);
        *s = ns;
    }
    idset_insert_raw(s, id);
}

static void idset_remove(struct idset *s, uint64_t id)
{
    if (!idset_has(s, id))
        return;
    size_t m = s->cap - 1, i = idset_slot(s, id);
    while (s->v[i] != id)
        i = (i + 1) & m;
    /* backward-shift deletion keeps every probe chain unbroken */
    size_t j = i;
    for (;;) {
        j = (j + 1) & m;
        if (s->v[j] == 0)
            break;
        size_t k = idset_slot(s, s->v[j]);
        bool between = i <= j ? (i < k && k <= j) : (i < k || k <= j);
        if (between)
            continue;
        s->v[i] = s->v[j];
        i = j;
    }
    s->v[i] = 0;
    s->n--;
}

static void eve_close(void *state);

/* The sinks of outputs.eve: its own (filetype and the keys beside it), then one per
 * outputs.eve.sinks.NAME, in the configuration's order. */
static int eve_open_sinks(struct eve_state *s, const struct sk_output_config *cfg)
{
    struct sk_sink_params p = {.name = "eve",
                               .prefix = "outputs.eve",
                               .cfg = cfg->config,
                               .log_dir = cfg->log_dir,
                               .files = cfg->files};
    char **names = NULL;
    size_t n = cfg->config ? sk_config_groups(cfg->config, "outputs.eve.sinks", &names) : 0;
    int rc;
    if ((rc = sk_sink_open(&s->sinks[s->nsinks], &p)) < 0)
        goto out;
    s->nsinks++;
    for (size_t i = 0; i < n; i++) {
        char prefix[256];
        if (s->nsinks == EVE_SINKS_MAX) {
            sk_error("outputs.eve.sinks: at most %d sinks", EVE_SINKS_MAX - 1);
            rc = SK_E_INVAL;
            goto out;
        }
        snprintf(prefix, sizeof(prefix), "outputs.eve.sinks.%s", names[i]);
        p.name = names[i];
        p.prefix = prefix;
        if ((rc = sk_sink_open(&s->sinks[s->nsinks], &p)) < 0)
            goto out;
        s->nsinks++;
    }
out:
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

static int eve_open(void **state, const struct sk_output_config *cfg)
{
    struct eve_state *s = calloc(1, sizeof(*s));
    if (!s)
        return SK_E_NOMEM;
    s->files = cfg->files;
    sk_buf_init(&s->line);
    s->cfg = *cfg;
    s->cfg.log_dir = NULL; /* borrowed; not needed after open */
    const char *host = cfg->config ? sk_config_str(cfg->config, "sensor-name") : NULL;
    if (host && !(s->host = strdup(host))) {
        eve_close(s);
        return SK_E_NOMEM;
    }
    int rc = eve_open_sinks(s, cfg);
    if (rc < 0) {
        eve_close(s);
        return rc;
    }
    *state = s;
    return 0;
}

static void ids_members(struct sk_json *j, const void *arg)
{
    const struct sk_flow *f = arg;
    sk_json_u64(j, "flow_id", f->flow_id);
    sk_json_str(j, "uid", f->uid);
}

static void ends_members(struct sk_json *j, const struct sk_flow *f, bool src_is_orig)
{
    if (f->vlan[0]) {
        sk_json_array_open(j, "vlan");
        sk_json_u64(j, NULL, f->vlan[0]);
        if (f->vlan[1])
            sk_json_u64(j, NULL, f->vlan[1]);
        sk_json_array_close(j);
    }
    char a[SK_ADDR_STRLEN], b[SK_ADDR_STRLEN], pbuf[8];
    sk_addr_format(src_is_orig ? &f->orig_h : &f->resp_h, true, a, sizeof(a));
    sk_addr_format(src_is_orig ? &f->resp_h : &f->orig_h, true, b, sizeof(b));
    sk_json_str(j, "src_ip", a);
    sk_json_u64(j, "src_port", src_is_orig ? f->orig_p : f->resp_p);
    sk_json_str(j, "dest_ip", b);
    sk_json_u64(j, "dest_port", src_is_orig ? f->resp_p : f->orig_p);
    sk_json_str(j, "proto", sk_ip_proto_name(f->ip_proto, pbuf, sizeof(pbuf)));
}

static void ends_from_orig(struct sk_json *j, const void *arg)
{
    ends_members(j, arg, true);
}

static void ends_from_resp(struct sk_json *j, const void *arg)
{
    ends_members(j, arg, false);
}

/* The head members of f's records with src the originator (src_is_orig) or the responder. */
static bool flow_head(struct flow_head *h, const struct sk_flow *f, bool src_is_orig)
{
    if (!h->ok || h->f != f || h->flow_id != f->flow_id || strcmp(h->uid, f->uid) != 0) {
        h->f = f;
        h->flow_id = f->flow_id;
        memcpy(h->uid, f->uid, sizeof(h->uid));
        h->ends_ok[0] = h->ends_ok[1] = false;
        h->ok = sk_json_members_build(&h->ids, ids_members, f);
        if (!h->ok)
            return false;
    }
    /* records of a flow come in small numbers and mostly with the originator as src: the
     * other direction is built only when a record has it */
    if (!h->ends_ok[src_is_orig])
        h->ends_ok[src_is_orig] = sk_json_members_build(
            &h->ends[src_is_orig], src_is_orig ? ends_from_orig : ends_from_resp, f);
    return h->ends_ok[src_is_orig];
}

/* Starts a record: the common members in Suricata's order. src is the originator when
 * src_is_orig. */
static void eve_head(struct eve_state *s, struct sk_json *j, uint64_t ts_us,
                     const struct sk_flow *f, const char *event_type, bool src_is_orig)
{
    sk_buf_reset(&s->line);
    sk_json_init(j, &s->line);
    sk_json_object_open(j, NULL);
    sk_json_time_at(j, "timestamp", ts_us, &s->clock);
    if (f && !flow_head(&s->head, f, src_is_orig))
        s->line.failed = true; /* out of memory: the record is dropped like any other */
    if (f) {
        sk_json_members(j, s->head.ids.buf, s->head.ids.len);
        if (f->pcap_cnt)
            sk_json_u64(j, "pcap_cnt", f->pcap_cnt);
    }
    sk_json_str(j, "event_type", event_type);
    s->meta.event_type = event_type;
    s->meta.flow_id = f ? f->flow_id : 0;
    if (!f)
        return;
    const struct sk_buf *e = &s->head.ends[src_is_orig ? 1 : 0];
    sk_json_members(j, e->buf, e->len);
    /* Suricata names where a packet came from; every packet Shrike reads comes from libpcap
     * (a file or an interface), which Suricata calls "wire/pcap". */
    if (f->pcap_cnt)
        sk_json_str(j, "pkt_src", "wire/pcap");
}

static void eve_end(struct eve_state *s, struct sk_json *j)
{
    /* Suricata's sensor-name, last as Suricata writes it: which sensor of a fleet saw it */
    if (s->host)
        sk_json_str(j, "host", s->host);
    sk_json_object_close(j);
    sk_buf_addch(&s->line, '\n');
    if (sk_buf_failed(&s->line))
        return;
    for (size_t i = 0; i < s->nsinks; i++)
        sk_sink_write(s->sinks[i], s->line.buf, s->line.len, &s->meta);
}

/* At most max items of l (0: all); *dropped counts those left out. */
static void str_array(struct sk_json *j, const char *key, const struct sk_strlist *l, size_t max,
                      uint64_t *dropped)
{
    if (l->n == 0)
        return; /* the schema wants at least one item */
    size_t n = max && l->n > max ? max : l->n;
    *dropped += l->n - n;
    sk_json_array_open(j, key);
    for (size_t i = 0; i < n; i++)
        sk_json_str(j, NULL, l->v[i]);
    sk_json_array_close(j);
}

static void opt_str(struct sk_json *j, const char *key, const char *v)
{
    if (v)
        sk_json_str(j, key, v);
}

/* The smtp and email objects of a transaction, as Suricata's SMTP logger writes them, with at
 * most max items a list (0: all); *dropped counts the items left out. */
static void smtp_email(struct sk_json *j, const struct sk_tx_record *tx, size_t max,
                       uint64_t *dropped)
{
    sk_json_object_open(j, "smtp");
    opt_str(j, "helo", tx->helo);
    opt_str(j, "mail_from", tx->mail_from);
    str_array(j, "rcpt_to", &tx->rcpt_to, max, dropped);
    sk_json_object_close(j);
    if (!tx->has_email)
        return;
    sk_json_object_open(j, "email");
    opt_str(j, "status", tx->email_status);
    opt_str(j, "from", tx->email_from);
    str_array(j, "to", &tx->email_to, max, dropped);
    str_array(j, "cc", &tx->email_cc, max, dropped);
    str_array(j, "attachment", &tx->attachment, max, dropped);
    str_array(j, "url", &tx->url, max, dropped);
    opt_str(j, "subject", tx->email_subject);
    opt_str(j, "subject_md5", tx->subject_md5);
    opt_str(j, "body_md5", tx->body_md5);
    opt_str(j, "date", tx->email_date);
    opt_str(j, "message_id", tx->email_message_id);
    opt_str(j, "x_mailer", tx->email_x_mailer);
    str_array(j, "received", &tx->received, max, dropped);
    sk_json_object_close(j);
}

static void flow_counters(struct sk_json *j, const struct sk_flow *f)
{
    sk_json_u64(j, "pkts_toserver", f->pkts_toserver);
    sk_json_u64(j, "pkts_toclient", f->pkts_toclient);
    sk_json_u64(j, "bytes_toserver", f->bytes_toserver);
    sk_json_u64(j, "bytes_toclient", f->bytes_toclient);
    sk_json_time(j, "start", f->ts_first_us);
}

/* alert.metadata: "key value" strings grouped by key, values in rule order. */
static void alert_metadata(struct sk_json *j, const struct sk_rule *r)
{
    if (r->n_metadata == 0 || !r->metadata)
        return;
    sk_json_object_open(j, "metadata");
    for (size_t i = 0; i < r->n_metadata; i++) {
        const char *m = r->metadata[i];
        size_t klen = strcspn(m, " ");
        bool seen = false;
        for (size_t k = 0; k < i && !seen; k++)
            seen = strcspn(r->metadata[k], " ") == klen && strncmp(r->metadata[k], m, klen) == 0;
        if (seen)
            continue;
        char key[128];
        size_t kl = klen < sizeof(key) - 1 ? klen : sizeof(key) - 1;
        memcpy(key, m, kl);
        key[kl] = '\0';
        sk_json_array_open(j, key);
        for (size_t k = i; k < r->n_metadata; k++) {
            const char *o = r->metadata[k];
            if (strcspn(o, " ") != klen || strncmp(o, m, klen) != 0)
                continue;
            const char *v = o + klen;
            while (*v == ' ')
                v++;
            sk_json_str(j, NULL, v);
        }
        sk_json_array_close(j);
    }
    sk_json_object_close(j);
}

static void endpoint(struct sk_json *j, const char *key, const struct sk_addr *a, uint16_t port)
{
    char buf[SK_ADDR_STRLEN];
    sk_addr_format(a, true, buf, sizeof(buf));
    sk_json_object_open(j, key);
    sk_json_str(j, "ip", buf);
    sk_json_u64(j, "port", port);
    sk_json_object_close(j);
}

static const char *file_state_name(enum sk_file_state st)
{
    switch (st) {
    case SK_FILE_CLOSED:
        return "CLOSED";
    case SK_FILE_TRUNCATED:
        return "TRUNCATED";
    case SK_FILE_ERROR:
        return "ERROR";
    }
    return "UNKNOWN";
}

static void hex_member(struct sk_json *j, const char *key, const uint8_t *d, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    char out[65];
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[d[i] >> 4];
        out[2 * i + 1] = hex[d[i] & 0xf];
    }
    out[2 * n] = '\0';
    sk_json_str(j, key, out);
}

/* The digests that were computed (mime.file-hashes), in Suricata's order. */
static void hex_digests(struct sk_json *j, unsigned digests, const uint8_t *md5,
                        const uint8_t *sha1, const uint8_t *sha256)
{
    if (digests & SK_FILE_MD5)
        hex_member(j, "md5", md5, 16);
    if (digests & SK_FILE_SHA1)
        hex_member(j, "sha1", sha1, 20);
    if (digests & SK_FILE_SHA256)
        hex_member(j, "sha256", sha256, 32);
}

/* Suricata's alert `files`: the transaction's files that have ended. */
static void alert_files(struct sk_json *j, const struct sk_tx_record *tx)
{
    if (tx->nfiles == 0)
        return;
    sk_json_array_open(j, "files");
    for (size_t i = 0; i < tx->nfiles; i++) {
        const struct sk_tx_file *tf = &tx->files[i];
        sk_json_object_open(j, NULL);
        sk_json_str(j, "filename", tf->name);
        sk_json_bool(j, "gaps", tf->gaps);
        sk_json_str(j, "state", file_state_name(tf->state));
        hex_digests(j, tf->digests, tf->md5, tf->sha1, tf->sha256);
        sk_json_bool(j, "stored", tf->stored);
        sk_json_u64(j, "file_id", tf->file_id);
        sk_json_u64(j, "size", tf->size);
        sk_json_u64(j, "tx_id", tx->tx_id);
        sk_json_object_close(j);
    }
    sk_json_array_close(j);
}

/* Suricata's frame object (output-json-frame.c): payload is its first bytes in base64 and as
 * PrintStringsToBuffer() shows them (printable ASCII, CR and LF kept, any other byte '.'). */
static void frame_object(struct sk_json *j, const struct sk_frame *fr, const uint8_t *head,
                         bool is_orig, uint64_t tx_id)
{
    static const char *const names[SK_FRAME_TYPE_COUNT] = {
        [SK_FRAME_COMMAND_LINE] = "command_line",
        [SK_FRAME_DATA] = "data",
        [SK_FRAME_RESPONSE_LINE] = "response_line",
    };
    char b64[(SK_FRAME_HEAD + 2) / 3 * 4 + 1];
    uint8_t shown[SK_FRAME_HEAD];
    size_t n = fr->bytes.len < SK_FRAME_HEAD ? fr->bytes.len : SK_FRAME_HEAD;
    EVP_EncodeBlock((unsigned char *)b64, head, (int)n); /* NUL-terminated, no line breaks */
    for (size_t i = 0; i < n; i++)
        shown[i] = (head[i] >= 0x20 && head[i] < 0x7f) || head[i] == '\r' || head[i] == '\n'
                       ? head[i]
                       : '.';
    sk_json_object_open(j, "frame");
    sk_json_str(j, "type", fr->type < SK_FRAME_TYPE_COUNT ? names[fr->type] : "unknown");
    sk_json_u64(j, "id", fr->id);
    sk_json_str(j, "direction", is_orig ? "toserver" : "toclient");
    sk_json_u64(j, "stream_offset", fr->offset);
    sk_json_u64(j, "length", fr->len);
    sk_json_bool(j, "complete", fr->complete);
    sk_json_str(j, "payload", b64);
    sk_json_strn(j, "payload_printable", shown, n);
    if (tx_id != SK_TX_NONE)
        sk_json_u64(j, "tx_id", tx_id);
    sk_json_object_close(j);
}

static void eve_frame(void *state, const struct sk_flow *f, uint64_t ts_us, bool is_orig,
                      uint64_t tx_id, const struct sk_frame *fr)
{
    struct eve_state *s = state;
    if (!s->cfg.eve_frame)
        return;
    struct sk_json j;
    eve_head(s, &j, ts_us, f, "frame", is_orig);
    sk_json_str(&j, "app_proto", "smtp");
    frame_object(&j, fr, fr->bytes.ptr, is_orig, tx_id);
    eve_end(s, &j);
}

static void eve_alert(void *state, const struct sk_alert *a, const struct sk_tx_record *tx)
{
    struct eve_state *s = state;
    const struct sk_flow *f = a->flow;
    const struct sk_rule *r = a->rule;
    struct sk_json j;
    if (f)
        idset_add(&s->alerted, f->flow_id);
    eve_head(s, &j, a->ts_us, f, "alert", a->to_server);
    if (a->tx_id != SK_TX_NONE)
        sk_json_u64(&j, "tx_id", a->tx_id);
    sk_json_object_open(&j, "alert");
    sk_json_str(&j, "action", "allowed");
    sk_json_u64(&j, "gid", r->gid);
    sk_json_u64(&j, "signature_id", r->sid);
    sk_json_u64(&j, "rev", r->rev);
    sk_json_str(&j, "signature", r->msg ? r->msg : "");
    sk_json_str(&j, "category", r->class_desc ? r->class_desc : "");
    sk_json_i64(&j, "severity", r->priority);
    if (f && r->target) {
        /* src/dest of this record are the alert's: target names one of them */
        bool tgt_dest = strcmp(r->target, "dest_ip") == 0;
        const struct sk_addr *src = a->to_server ? &f->orig_h : &f->resp_h;
        const struct sk_addr *dst = a->to_server ? &f->resp_h : &f->orig_h;
        uint16_t sp = a->to_server ? f->orig_p : f->resp_p;
        uint16_t dp = a->to_server ? f->resp_p : f->orig_p;
        endpoint(&j, "source", tgt_dest ? src : dst, tgt_dest ? sp : dp);
        endpoint(&j, "target", tgt_dest ? dst : src, tgt_dest ? dp : sp);
    }
    alert_metadata(&j, r);
    sk_json_object_close(&j);
    if (tx) {
        uint64_t unused = 0; /* an alert carries its transaction whole */
        smtp_email(&j, tx, 0, &unused);
        alert_files(&j, tx);
    }
    if (a->tx_id != SK_TX_NONE || tx)
        sk_json_str(&j, "app_proto", "smtp");
    sk_json_str(&j, "direction", a->to_server ? "to_server" : "to_client");
    if (f) {
        char o[SK_ADDR_STRLEN], p[SK_ADDR_STRLEN];
        sk_addr_format(&f->orig_h, true, o, sizeof(o));
        sk_addr_format(&f->resp_h, true, p, sizeof(p));
        sk_json_object_open(&j, "flow");
        flow_counters(&j, f);
        sk_json_str(&j, "src_ip", o);
        sk_json_str(&j, "dest_ip", p);
        sk_json_u64(&j, "src_port", f->orig_p);
        sk_json_u64(&j, "dest_port", f->resp_p);
        sk_json_object_close(&j);
    }
    if (a->has_frame)
        frame_object(&j, &a->frame.frame, a->frame.head, a->to_server, a->frame.tx_id);
    eve_end(s, &j);
}

static void eve_tx_close(void *state, const struct sk_flow *f, uint64_t ts_us,
                         const struct sk_tx_record *tx)
{
    struct eve_state *s = state;
    if (!s->cfg.eve_smtp)
        return;
    struct sk_json j;
    eve_head(s, &j, ts_us, f, "smtp", true);
    sk_json_u64(&j, "tx_id", tx->tx_id);
    uint64_t unused = 0; /* one smtp record a transaction: its lists whole (up to txrec's) */
    smtp_email(&j, tx, 0, &unused);
    eve_end(s, &j);
}

static void eve_file(void *state, const struct sk_flow *f, uint64_t ts_us,
                     const struct sk_file_info *fi, const struct sk_tx_record *tx)
{
    struct eve_state *s = state;
    if (!s->cfg.eve_fileinfo)
        return;
    struct sk_json j;
    eve_head(s, &j, ts_us, f, "fileinfo", true);
    if (tx) {
        sk_json_u64(&j, "tx_id", tx->tx_id);
        /* every file of a message repeats these: bounded, or 100,000 parts would write
         * 100,000 records of 256 names each */
        smtp_email(&j, tx, s->cfg.eve_file_list_max, &s->file_items_dropped);
    }
    sk_json_str(&j, "app_proto", "smtp");
    sk_json_object_open(&j, "fileinfo");
    sk_json_strn(&j, "filename", fi->name.ptr, fi->name.len);
    if (fi->magic.len > 0)
        sk_json_strn(&j, "magic", fi->magic.ptr, fi->magic.len);
    sk_json_bool(&j, "gaps", fi->gaps);
    sk_json_str(&j, "state", file_state_name(fi->state));
    hex_digests(&j, fi->digests, fi->md5, fi->sha1, fi->sha256);
    sk_json_bool(&j, "stored", fi->stored);
    /* always, not only when stored as in Suricata: it is what joins smtp.log fuids */
    sk_json_u64(&j, "file_id", fi->file_id);
    sk_json_u64(&j, "size", fi->size);
    if (tx)
        sk_json_u64(&j, "tx_id", tx->tx_id);
    sk_json_object_close(&j);
    eve_end(s, &j);
}

static void eve_anomaly(void *state, const struct sk_flow *f, uint64_t ts_us, bool is_orig,
                        enum sk_anomaly_id id, const struct sk_tx_record *tx)
{
    struct eve_state *s = state;
    if (!s->cfg.eve_anomaly)
        return;
    const char *name = sk_anomaly_name(id);
    struct sk_json j;
    eve_head(s, &j, ts_us, f, "anomaly", is_orig);
    if (tx)
        sk_json_u64(&j, "tx_id", tx->tx_id);
    sk_json_str(&j, "app_proto", "smtp");
    sk_json_object_open(&j, "anomaly");
    sk_json_str(&j, "app_proto", "smtp");
    sk_json_str(&j, "type", "applayer");
    sk_json_str(&j, "event", name ? name : "UNKNOWN");
    sk_json_str(&j, "layer", "proto_parser");
    sk_json_object_close(&j);
    eve_end(s, &j);
}

static const char *flow_state_name(enum sk_tcp_state st)
{
    switch (st) {
    case SK_TCP_ESTABLISHED:
    case SK_TCP_CLOSING:
        return "established";
    case SK_TCP_CLOSED:
        return "closed";
    default:
        return "new";
    }
}

static const char *flow_reason_name(enum sk_flow_end why)
{
    switch (why) {
    case SK_FLOW_END_EVICTED:
        return "forced";
    case SK_FLOW_END_SHUTDOWN:
        return "shutdown";
    default:
        return "timeout"; /* FIN, RST and idle flows leave the table by their timeouts */
    }
}

static void eve_flow_end(void *state, const struct sk_flow *f, enum sk_flow_end why,
                         const char *app_proto, const char *app_proto_tc)
{
    struct eve_state *s = state;
    bool alerted = idset_has(&s->alerted, f->flow_id);
    idset_remove(&s->alerted, f->flow_id);
    if (!s->cfg.eve_flow)
        return;
    struct sk_json j;
    eve_head(s, &j, f->ts_last_us, f, "flow", true);
    if (app_proto)
        sk_json_str(&j, "app_proto", app_proto);
    if (app_proto_tc)
        sk_json_str(&j, "app_proto_tc", app_proto_tc);
    sk_json_object_open(&j, "flow");
    flow_counters(&j, f);
    sk_json_time(&j, "end", f->ts_last_us);
    uint64_t age = f->ts_last_us > f->ts_first_us ? f->ts_last_us - f->ts_first_us : 0;
    sk_json_u64(&j, "age", age / 1000000u);
    sk_json_str(&j, "state", flow_state_name(f->state));
    sk_json_str(&j, "reason", flow_reason_name(why));
    sk_json_bool(&j, "alerted", alerted);
    sk_json_object_close(&j);
    eve_end(s, &j);
}

/* Counters with a name in Suricata's stats tree go there, so dashboards built for Suricata
 * read them (docs/outputs.md); the others keep Shrike's names under the record's top-level
 * "shrike" object, and each worker's copy (names "threads.W#NN.<name>") goes under
 * shrike.threads.W#NN, mapped the same way. */
static const struct {
    const char *name, *suricata;
} suricata_stats[] = {
    {"packets", "decoder.pkts"},
    {"bytes", "decoder.bytes"},
    {"decode.ipv4", "decoder.ipv4"},
    {"decode.ipv6", "decoder.ipv6"},
    {"decode.tcp", "decoder.tcp"},
    {"decode.udp", "decoder.udp"},
    {"flows", "flow.total"},
    {"flows", "flow.tcp"},
    {"flows", "tcp.sessions"},
    {"flows.active", "flow.active"},
    {"memcap_hits", "flow.memcap"},
    {"flow.memuse", "flow.memuse"},
    {"tcp.midstream", "tcp.midstream_pickups"},
    {"tcp.reassembly_gaps", "tcp.reassembly_gap"},
    {"tcp.overlaps", "tcp.overlap"},
    {"tcp.overlaps_diff", "tcp.overlap_diff_data"},
    {"tcp.depth_reached", "tcp.stream_depth_reached"},
    {"smtp.flows", "app_layer.flow.smtp"},
    {"smtp.transactions", "app_layer.tx.smtp"},
    {"detect.alerts", "detect.alert"},
    {"capture.kernel_packets", "capture.kernel_packets"},
    {"capture.kernel_drops", "capture.kernel_drops"},
    {"capture.kernel_ifdrops", "capture.kernel_ifdrops"},
    {"uptime", "uptime"},
    {"decoder.ipraw.invalid_ip_version", "decoder.event.ipraw.invalid_ip_version"},
    {"decoder.ethernet.pkt_too_small", "decoder.event.ethernet.pkt_too_small"},
    {"decoder.sll.pkt_too_small", "decoder.event.sll.pkt_too_small"},
    {"decoder.sll2.pkt_too_small", "decoder.event.sll2.pkt_too_small"},
    {"decoder.vlan.too_many_layers", "decoder.event.vlan.too_many_layers"},
    {"decoder.ipv4.pkt_too_small", "decoder.event.ipv4.pkt_too_small"},
    {"decoder.ipv4.hlen_too_small", "decoder.event.ipv4.hlen_too_small"},
    {"decoder.ipv4.iplen_smaller_than_hlen", "decoder.event.ipv4.iplen_smaller_than_hlen"},
    {"decoder.ipv4.trunc_pkt", "decoder.event.ipv4.trunc_pkt"},
    {"decoder.ipv4.wrong_ip_version", "decoder.event.ipv4.wrong_ip_version"},
    {"decoder.ipv4.opt_invalid", "decoder.event.ipv4.opt_invalid"},
    {"decoder.ipv4.frag_overlap", "decoder.event.ipv4.frag_overlap"},
    {"decoder.ipv4.frag_pkt_too_large", "decoder.event.ipv4.frag_pkt_too_large"},
    {"decoder.ipv6.pkt_too_small", "decoder.event.ipv6.pkt_too_small"},
    {"decoder.ipv6.trunc_pkt", "decoder.event.ipv6.trunc_pkt"},
    {"decoder.ipv6.wrong_ip_version", "decoder.event.ipv6.wrong_ip_version"},
    {"decoder.ipv6.trunc_exthdr", "decoder.event.ipv6.trunc_exthdr"},
    {"decoder.ipv6.frag_overlap", "decoder.event.ipv6.frag_overlap"},
    {"decoder.ipv6.frag_pkt_too_large", "decoder.event.ipv6.frag_pkt_too_large"},
    {"decoder.tcp.pkt_too_small", "decoder.event.tcp.pkt_too_small"},
    {"decoder.tcp.hlen_too_small", "decoder.event.tcp.hlen_too_small"},
    {"decoder.tcp.opt_invalid_len", "decoder.event.tcp.opt_invalid_len"},
    {"decoder.udp.pkt_too_small", "decoder.event.udp.pkt_too_small"},
    {"decoder.udp.len_invalid", "decoder.event.udp.len_invalid"},
};

/* The stats tree: one node per dotted name segment, children in order of first use. */
struct snode {
    char seg[64];
    uint64_t value;
    bool has_value;
    size_t first_child, next; /* indexes + 1; 0 = none */
};

/* A node's own value when it also has children ("workers" and "workers.queue_drops") is
 * written as its child "total". */
static void emit_stats(struct sk_json *j, const struct snode *nodes, size_t idx)
{
    if (nodes[idx].has_value && nodes[idx].first_child)
        sk_json_u64(j, "total", nodes[idx].value);
    for (size_t c = nodes[idx].first_child; c; c = nodes[c - 1].next) {
        const struct snode *n = &nodes[c - 1];
        if (n->first_child) {
            sk_json_object_open(j, n->seg);
            emit_stats(j, nodes, c - 1);
            sk_json_object_close(j);
        } else {
            sk_json_u64(j, n->seg, n->value);
        }
    }
}

/* Puts value at prefix + path (dotted; prefix may be empty) below node root; a path given
 * twice keeps the larger value. */
static void stats_put(struct snode *nodes, size_t *used, size_t root, const char *prefix,
                      size_t prefix_len, const char *path, uint64_t value)
{
    char full[256];
    snprintf(full, sizeof(full), "%.*s%s%s", (int)prefix_len, prefix, prefix_len ? "." : "", path);
    size_t cur = root;
    for (const char *p = full;;) {
        size_t l = strcspn(p, ".");
        if (l >= sizeof(nodes[0].seg))
            l = sizeof(nodes[0].seg) - 1;
        size_t found = 0, last = 0;
        for (size_t k = nodes[cur].first_child; k; k = nodes[k - 1].next) {
            last = k;
            if (strlen(nodes[k - 1].seg) == l && memcmp(nodes[k - 1].seg, p, l) == 0) {
                found = k;
                break;
            }
        }
        if (!found) {
            memset(&nodes[*used], 0, sizeof(nodes[0]));
            memcpy(nodes[*used].seg, p, l);
            found = ++*used;
            if (last)
                nodes[last - 1].next = found;
            else
                nodes[cur].first_child = found;
        }
        cur = found - 1;
        p += l;
        if (*p != '.')
            break;
        p++;
    }
    if (!nodes[cur].has_value || value > nodes[cur].value)
        nodes[cur].value = value;
    nodes[cur].has_value = true;
}

/* Puts one counter (name without its "threads.W#NN." prefix) into the Suricata tree at
 * stats_root, or else under own_root with its own name. */
static void stats_add(struct snode *nodes, size_t *used, size_t stats_root, size_t own_root,
                      const char *prefix, size_t prefix_len, const char *name, uint64_t value)
{
    bool mapped = false;
    for (size_t i = 0; i < sizeof(suricata_stats) / sizeof(suricata_stats[0]); i++) {
        if (strcmp(suricata_stats[i].name, name) == 0) {
            stats_put(nodes, used, stats_root, prefix, prefix_len, suricata_stats[i].suricata,
                      value);
            mapped = true;
        }
    }
    if (!mapped)
        stats_put(nodes, used, own_root, prefix, prefix_len, name, value);
}

struct counter_list {
    struct sk_counter *v;
    size_t n, cap;
};

/* The sinks' counters that the record's list lacks (the periodic records come from the
 * workers' board, which does not hold them; the final one has them already). */
static void add_sink_counter(void *ctx, const char *name, uint64_t value)
{
    struct counter_list *l = ctx;
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i].name, name) == 0)
            return;
    if (l->n == l->cap) {
        size_t cap = l->cap * 2 + 8;
        struct sk_counter *v = realloc(l->v, cap * sizeof(*v));
        if (!v)
            return;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = (struct sk_counter){name, value};
}

static void eve_stats_record(struct eve_state *s, uint64_t ts_us, const struct sk_counter *c,
                             size_t n);

static void eve_stats(void *state, uint64_t ts_us, const struct sk_counter *call, size_t nall)
{
    struct eve_state *s = state;
    if (!s->cfg.eve_stats)
        return;
    struct counter_list l = {malloc((nall + 8) * sizeof(*l.v)), nall, nall + 8};
    if (!l.v)
        return;
    memcpy(l.v, call, nall * sizeof(*l.v));
    for (size_t i = 0; i < s->nsinks; i++)
        sk_sink_counters(s->sinks[i], add_sink_counter, &l);
    eve_stats_record(s, ts_us, l.v, l.n);
    free(l.v);
}

static void eve_stats_record(struct eve_state *s, uint64_t ts_us, const struct sk_counter *c,
                             size_t n)
{
    size_t cap = 3;
    for (size_t i = 0; i < n; i++) {
        cap += 4; /* one name maps to at most three Suricata paths, or its own */
        for (const char *p = c[i].name; *p; p++)
            cap += 3 * (*p == '.');
        cap += 8; /* the longest Suricata path's segments */
    }
    struct snode *nodes = calloc(cap, sizeof(*nodes));
    if (!nodes)
        return;
    size_t used = 2; /* nodes[0]: the "stats" object, nodes[1]: the "shrike" object */
    for (size_t i = 0; i < n; i++) {
        const char *name = c[i].name;
        if (strncmp(name, "threads.", 8) == 0) {
            /* "threads.W#NN.<name>": the worker's node is shrike.threads.W#NN */
            const char *rest = strchr(name + 8, '.');
            if (!rest)
                continue;
            size_t pl = (size_t)(rest - name);
            stats_add(nodes, &used, 1, 1, name, pl, rest + 1, c[i].value);
            continue;
        }
        stats_add(nodes, &used, 0, 1, "", 0, name, c[i].value);
    }
    struct sk_json j;
    eve_head(s, &j, ts_us, NULL, "stats", true);
    sk_json_object_open(&j, "stats");
    emit_stats(&j, nodes, 0);
    sk_json_object_close(&j);
    if (nodes[1].first_child) {
        sk_json_object_open(&j, "shrike");
        emit_stats(&j, nodes, 1);
        sk_json_object_close(&j);
    }
    eve_end(s, &j);
    free(nodes);
}

static void eve_flush(void *state)
{
    struct eve_state *s = state;
    for (size_t i = 0; i < s->nsinks; i++)
        sk_sink_flush(s->sinks[i]);
}

static void eve_close(void *state)
{
    struct eve_state *s = state;
    if (!s)
        return;
    for (size_t i = 0; i < s->nsinks; i++)
        sk_sink_close(s->sinks[i], s->files);
    free(s->host);
    sk_buf_release(&s->line);
    sk_buf_release(&s->head.ids);
    sk_buf_release(&s->head.ends[0]);
    sk_buf_release(&s->head.ends[1]);
    free(s->alerted.v);
    free(s);
}

static void eve_counters(void *state, void (*fn)(void *ctx, const char *name, uint64_t value),
                         void *ctx)
{
    struct eve_state *s = state;
    fn(ctx, "output.eve.fileinfo_items_dropped", s->file_items_dropped);
}

const struct sk_output_ops sk_output_eve = {
    .name = "eve",
    .open = eve_open,
    .alert = eve_alert,
    .tx_close = eve_tx_close,
    .file = eve_file,
    .anomaly = eve_anomaly,
    .flow_end = eve_flow_end,
    .frame = eve_frame,
    .stats = eve_stats,
    .flush = eve_flush,
    .close = eve_close,
    .counters = eve_counters,
};
