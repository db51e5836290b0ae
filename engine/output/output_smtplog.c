/* SPDX-License-Identifier: GPL-2.0-only */
/* smtp.log: Zeek's SMTP log in Zeek's ASCII (TSV) format, one line per transaction with
 * client activity, under the #separator/#fields/#types header and closed by #close, so
 * zeek-cut and Zeek log readers take it as it is. Values are escaped as Zeek's writer
 * does with UTF-8 pass-through: separators, backslash, control bytes and invalid UTF-8
 * as \xHH; "-" and "(empty)" are reserved for unset and empty. After Zeek's columns come
 * two of Shrike's, flow_id and tx_id, to join with eve.json and events.json. */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/error.h"
#include "engine/output/json.h"
#include "engine/output/outfile.h"
#include "engine/output/output.h"

struct smtplog_state {
    struct sk_outfile *fp;
    struct sk_outfile_pool *files;
    struct sk_buf line;
    struct sk_buf tmp;
    char **addrs; /* the rcptto addresses of one line, kept for the next */
    size_t addrs_cap;
};

static const char fields_line[] =
    "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\ttrans_depth\thelo\tmailfrom"
    "\trcptto\tdate\tfrom\tto\tcc\treply_to\tmsg_id\tin_reply_to\tsubject\tx_originating_ip"
    "\tfirst_received\tsecond_received\tlast_reply\tpath\tuser_agent\ttls\tfuids\tflow_id\ttx_id\n";
static const char types_line[] =
    "#types\ttime\tstring\taddr\tport\taddr\tport\tcount\tstring\tstring\tset[string]\tstring"
    "\tstring\tset[string]\tset[string]\tstring\tstring\tstring\tstring\taddr\tstring\tstring"
    "\tstring\tvector[addr]\tstring\tbool\tvector[string]\tcount\tcount\n";

static void zeek_time(char *out, size_t n, const char *prefix)
{
    time_t now = time(NULL);
    struct tm tm;
    if (!gmtime_r(&now, &tm))
        memset(&tm, 0, sizeof(tm));
    snprintf(out, n, "%s\t%04d-%02d-%02d-%02d-%02d-%02d\n", prefix, tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static int smtplog_open(void **state, const struct sk_output_config *cfg)
{
    struct smtplog_state *s = calloc(1, sizeof(*s));
    if (!s)
        return SK_E_NOMEM;
    bool first;
    int rc = sk_outfile_open(&s->fp, cfg->files, cfg->log_dir, "smtp.log", &first);
    if (rc < 0)
        goto out_free_s;
    s->files = cfg->files;
    sk_buf_init(&s->line);
    sk_buf_init(&s->tmp);
    if (first) { /* a file shared by several workers gets one header */
        char open_line[64];
        zeek_time(open_line, sizeof(open_line), "#open");
        static const char head[] =
            "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n"
            "#path\tsmtp\n";
        sk_outfile_write(s->fp, head, sizeof(head) - 1);
        sk_outfile_write(s->fp, open_line, strlen(open_line));
        sk_outfile_write(s->fp, fields_line, strlen(fields_line));
        sk_outfile_write(s->fp, types_line, strlen(types_line));
    }
    *state = s;
    return 0;
out_free_s:
    free(s);
    return rc;
}

/* Appends one value, escaped; in_set also escapes the set separator. */
static void add_escaped(struct sk_buf *b, const char *v, bool in_set)
{
    static const char hex[] = "0123456789abcdef";
    const uint8_t *p = (const uint8_t *)v;
    size_t n = strlen(v);
    if (n == 0) {
        sk_buf_addstr(b, "(empty)");
        return;
    }
    size_t i = 0;
    if ((n == 1 && v[0] == '-') || (n == 7 && memcmp(v, "(empty)", 7) == 0)) {
        /* would read as unset or empty: escape the first byte */
        sk_buf_addf(b, "\\x%02x", p[0]);
        i = 1;
    }
    while (i < n) {
        /* a run of bytes written as they are, in one copy, then the byte that ended it */
        size_t run = i;
        while (run < n && p[run] >= 0x20 && p[run] < 0x7f && p[run] != '\\' &&
               (!in_set || p[run] != ','))
            run++;
        sk_buf_add(b, p + i, run - i);
        if (run == n)
            break;
        i = run;
        uint8_t c = p[i];
        size_t l = c >= 0x80 ? sk_utf8_seq_len(p + i, n - i) : 0;
        if (l) {
            sk_buf_add(b, p + i, l);
            i += l;
        } else {
            char e[4] = {'\\', 'x', hex[c >> 4], hex[c & 0xf]};
            sk_buf_add(b, e, 4);
            i++;
        }
    }
}

static void col_str(struct sk_buf *b, const char *v)
{
    sk_buf_addch(b, '\t');
    if (!v)
        sk_buf_addch(b, '-');
    else
        add_escaped(b, v, false);
}

/* A set or vector column from l; dedup for sets. NULL l or an empty unset list is "-". */
static void col_list(struct sk_buf *b, char *const *v, size_t n, bool dedup, bool unset_if_empty)
{
    sk_buf_addch(b, '\t');
    if (n == 0) {
        sk_buf_addstr(b, unset_if_empty ? "-" : "(empty)");
        return;
    }
    bool first = true;
    for (size_t i = 0; i < n; i++) {
        bool dup = false;
        for (size_t k = 0; dedup && k < i && !dup; k++)
            dup = strcmp(v[k], v[i]) == 0;
        if (dup)
            continue;
        if (!first)
            sk_buf_addch(b, ',');
        first = false;
        add_escaped(b, v[i], true);
    }
}

/* Zeek's email address pattern: (^|[<,:blank])[^<,:blank@]+@[^>,;blank]+([>,;blank]|$). */
static bool is_pre(char c)
{
    return c == '<' || c == ',' || c == ':' || c == ' ' || c == '\t';
}
static bool is_post(char c)
{
    return c == '>' || c == ',' || c == ';' || c == ' ' || c == '\t';
}

/* Appends every address of s to out (NUL separated); returns the count. */
static size_t extract_addrs(const char *s, struct sk_buf *out, size_t max)
{
    size_t count = 0, n = strlen(s);
    for (size_t i = 0; i < n && count < max; i++) {
        if (s[i] != '@')
            continue;
        size_t a = i;
        while (a > 0 && !is_pre(s[a - 1]) && s[a - 1] != '@')
            a--;
        if (a == i || (a > 0 && s[a - 1] == '@'))
            continue;
        size_t e = i + 1;
        while (e < n && !is_post(s[e]))
            e++;
        if (e == i + 1)
            continue;
        sk_buf_add(out, s + a, e - a);
        sk_buf_addch(out, '\0');
        count++;
        i = e;
    }
    return count;
}

/* Removes Zeek's "ORCPT=rfc822;" noise from an extracted address, in place. */
static void strip_orcpt(char *a)
{
    static const char pat[] = "ORCPT=rfc822";
    char *p;
    while ((p = strstr(a, pat))) {
        size_t l = sizeof(pat) - 1 + (p[sizeof(pat) - 1] == ';');
        memmove(p, p + l, strlen(p + l) + 1);
    }
}

static bool valid_ip(const char *s)
{
    unsigned char tmp[16];
    return inet_pton(AF_INET, s, tmp) == 1 || inet_pton(AF_INET6, s, tmp) == 1;
}

/* Zeek's find_address_in_smtp_header: of the IPv4 addresses in h, the second if there
 * are several, else the first. */
static bool received_ip(const char *h, char *out, size_t n)
{
    int found = 0;
    size_t len = strlen(h);
    for (size_t i = 0; i < len && found < 2; i++) {
        if (!isdigit((unsigned char)h[i]) ||
            (i > 0 && (isalnum((unsigned char)h[i - 1]) || h[i - 1] == '.')))
            continue;
        size_t j = i;
        while (j < len && (isdigit((unsigned char)h[j]) || h[j] == '.'))
            j++;
        if (j - i >= 7 && j - i < 16 && (j == len || !isalnum((unsigned char)h[j]))) {
            char cand[16];
            memcpy(cand, h + i, j - i);
            cand[j - i] = '\0';
            unsigned char tmp[4];
            if (inet_pton(AF_INET, cand, tmp) == 1) {
                snprintf(out, n, "%s", cand);
                found++;
            }
        }
        i = j;
    }
    return found > 0;
}

/* Room for n address pointers, grown as needed rather than allocated per line. */
static char **addr_slots(struct smtplog_state *s, size_t n)
{
    if (n > s->addrs_cap) {
        char **v = realloc(s->addrs, n * sizeof(*v));
        if (!v)
            return NULL;
        s->addrs = v;
        s->addrs_cap = n;
    }
    return s->addrs;
}

static void smtplog_tx_close(void *state, const struct sk_flow *f, uint64_t ts_us,
                             const struct sk_tx_record *tx)
{
    struct smtplog_state *s = state;
    /* Zeek logs a transaction only once the client did something in it */
    if (!tx->mail_from && tx->rcpt_to.n == 0 && !tx->tls && !tx->has_email)
        return;
    struct sk_buf *b = &s->line;
    char orig[SK_ADDR_STRLEN], resp[SK_ADDR_STRLEN];
    sk_addr_format(&f->orig_h, false, orig, sizeof(orig));
    sk_addr_format(&f->resp_h, false, resp, sizeof(resp));
    sk_buf_reset(b);
    /* one line per transaction: the numbers without sk_buf_addf() */
    sk_buf_add_u64(b, tx->ts_us / 1000000u, 0);
    sk_buf_addch(b, '.');
    sk_buf_add_u64(b, tx->ts_us % 1000000u, 6);
    col_str(b, f->uid);
    sk_buf_addch(b, '\t');
    sk_buf_addstr(b, orig);
    sk_buf_addch(b, '\t');
    sk_buf_add_u64(b, f->orig_p, 0);
    sk_buf_addch(b, '\t');
    sk_buf_addstr(b, resp);
    sk_buf_addch(b, '\t');
    sk_buf_add_u64(b, f->resp_p, 0);
    sk_buf_addch(b, '\t');
    sk_buf_add_u64(b, tx->trans_depth, 0);
    col_str(b, tx->helo);

    /* mailfrom: the first address of the MAIL FROM argument */
    struct sk_buf *t = &s->tmp;
    sk_buf_reset(t);
    if (tx->mail_from && extract_addrs(tx->mail_from, t, 1))
        col_str(b, t->buf);
    else
        col_str(b, NULL);

    /* rcptto: every address of every RCPT TO */
    sk_buf_reset(t);
    size_t nr = 0;
    for (size_t i = 0; i < tx->rcpt_to.n; i++)
        nr += extract_addrs(tx->rcpt_to.v[i], t, 1000);
    char **rv = nr ? addr_slots(s, nr) : NULL;
    if (rv && !sk_buf_failed(t)) {
        char *p = t->buf;
        for (size_t i = 0; i < nr; i++) {
            rv[i] = p;
            strip_orcpt(p);
            p += strlen(p) + 1;
        }
    }
    col_list(b, rv, rv && !sk_buf_failed(t) ? nr : 0, true, true);

    col_str(b, tx->email_date);
    col_str(b, tx->email_from);
    col_list(b, tx->email_to.v, tx->email_to.n, true, true);
    col_list(b, tx->email_cc.v, tx->email_cc.n, true, true);
    col_str(b, tx->email_reply_to);
    col_str(b, tx->email_message_id);
    col_str(b, tx->email_in_reply_to);
    col_str(b, tx->email_subject);
    col_str(b, tx->email_x_originating_ip && valid_ip(tx->email_x_originating_ip)
                   ? tx->email_x_originating_ip
                   : NULL);
    /* Received headers are prepended on the way, so the last one is the first hop */
    size_t nrec = tx->received.n;
    col_str(b, nrec >= 1 ? tx->received.v[nrec - 1] : NULL);
    col_str(b, nrec >= 2 ? tx->received.v[nrec - 2] : NULL);
    col_str(b, tx->last_reply);

    /* path: the responder, the originator, then each Received hop in header order */
    sk_buf_addch(b, '\t');
    sk_buf_addstr(b, resp);
    sk_buf_addch(b, ',');
    sk_buf_addstr(b, orig);
    const char *last = orig;
    char ips[2][SK_ADDR_STRLEN]; /* the hop found and the one before, in turn */
    for (size_t i = 0, k = 0; i < nrec; i++) {
        char *ip = ips[k];
        if (!received_ip(tx->received.v[i], ip, SK_ADDR_STRLEN) || strcmp(ip, last) == 0)
            continue;
        sk_buf_addch(b, ',');
        sk_buf_addstr(b, ip);
        last = ip;
        k ^= 1;
    }

    col_str(b, tx->email_user_agent ? tx->email_user_agent : tx->email_x_mailer);
    sk_buf_addstr(b, tx->tls ? "\tT" : "\tF");
    col_list(b, tx->fuids.v, tx->fuids.n, false, true);
    /* Shrike's added columns, last so positional readers of Zeek's columns still work: the
     * flow and the transaction (trans_depth counts messages, as Zeek's, not transactions) */
    sk_buf_addch(b, '\t');
    sk_buf_add_u64(b, f->flow_id, 0);
    sk_buf_addch(b, '\t');
    sk_buf_add_u64(b, tx->tx_id, 0);
    sk_buf_addch(b, '\n');
    if (!sk_buf_failed(b))
        sk_outfile_write(s->fp, b->buf, b->len);
}

static void smtplog_flush(void *state)
{
    struct smtplog_state *s = state;
    sk_outfile_flush(s->fp);
}

static void smtplog_close(void *state)
{
    struct smtplog_state *s = state;
    if (!s)
        return;
    if (sk_outfile_is_last(s->fp, s->files)) {
        char close_line[64];
        zeek_time(close_line, sizeof(close_line), "#close");
        sk_outfile_write(s->fp, close_line, strlen(close_line));
    }
    sk_outfile_close(s->fp, s->files);
    sk_buf_release(&s->line);
    sk_buf_release(&s->tmp);
    free(s->addrs);
    free(s);
}

const struct sk_output_ops sk_output_smtplog = {
    .name = "smtplog",
    .open = smtplog_open,
    .tx_close = smtplog_tx_close,
    .flush = smtplog_flush,
    .close = smtplog_close,
};
