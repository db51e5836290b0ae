/* SPDX-License-Identifier: GPL-2.0-only */
/* The four outputs, end to end on synthetic flows: each writes into a fresh mkdtemp folder,
 * the files are read back, and lines and fields are checked. Every JSON line must be one
 * valid JSON value; eve.json is also checked against Suricata's schema by
 * tests/tools/eve-schema-check.py when ../shared and python3-jsonschema are there. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "engine/error.h"
#include "engine/output/output.h"
#include "engine/output/output_set.h"
#include "engine/output/txrec.h"
#include "rules/rule.h"
#include "tests/unit/json_check.h"

#ifndef SK_TEST_SRCDIR
#define SK_TEST_SRCDIR "."
#endif

#define TS0 1795714149123456ull /* 2026-11-26T17:29:09.123456Z */

struct fixture {
    char dir[64];
    struct sk_flow flow, flow6;
    struct sk_output_config cfg;
};

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    assert_non_null(fx);
    snprintf(fx->dir, sizeof(fx->dir), "/tmp/sk-outputs-XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    struct sk_flow *f = &fx->flow;
    f->flow_id = 1234567890123ull;
    snprintf(f->uid, sizeof(f->uid), "CabcDEF123");
    f->orig_h = (struct sk_addr){.family = 4, .bytes = {10, 10, 1, 4}};
    f->resp_h = (struct sk_addr){.family = 4, .bytes = {74, 53, 140, 153}};
    f->orig_p = 1470;
    f->resp_p = 25;
    f->ip_proto = 6;
    f->ts_first_us = TS0 - 8500000;
    f->ts_last_us = TS0;
    f->pkts_toserver = 28;
    f->pkts_toclient = 29;
    f->bytes_toserver = 22065;
    f->bytes_toclient = 4340;
    f->state = SK_TCP_CLOSED;
    fx->flow6 = *f;
    fx->flow6.flow_id = 42;
    snprintf(fx->flow6.uid, sizeof(fx->flow6.uid), "C6");
    fx->flow6.orig_h = (struct sk_addr){.family = 6, .bytes = {0x20, 0x01, 0x0d, 0xb8, [15] = 1}};
    fx->flow6.resp_h = (struct sk_addr){.family = 6, .bytes = {0x20, 0x01, 0x0d, 0xb8, [15] = 2}};
    fx->flow6.vlan[0] = 100;
    fx->cfg = (struct sk_output_config){.log_dir = fx->dir,
                                        .data_log_limit = 8,
                                        .eve_smtp = true,
                                        .eve_anomaly = true,
                                        .eve_fileinfo = true,
                                        .eve_flow = true,
                                        .eve_stats = true};
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    const char *names[] = {"events.json", "eve.json", "fast.log", "smtp.log"};
    char path[128];
    for (size_t i = 0; i < 4; i++) {
        snprintf(path, sizeof(path), "%s/%s", fx->dir, names[i]);
        unlink(path);
    }
    rmdir(fx->dir);
    free(fx);
    return 0;
}

/* Reads dir/name; returns a NUL-terminated malloc'd buffer. */
static char *slurp(const struct fixture *fx, const char *name, size_t *len)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/%s", fx->dir, name);
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    size_t r;
    while ((r = fread(buf + n, 1, cap - n - 1, fp)) > 0) {
        n += r;
        if (cap - n < 2) {
            cap *= 2;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
    }
    fclose(fp);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

/* Splits buf into lines in place; returns the count. */
static size_t split_lines(char *buf, char **lines, size_t max)
{
    size_t n = 0;
    for (char *p = buf; *p && n < max;) {
        char *nl = strchr(p, '\n');
        assert_non_null(nl); /* every line ends with a newline */
        *nl = '\0';
        lines[n++] = p;
        p = nl + 1;
    }
    return n;
}

#define assert_contains(hay, needle)                                                               \
    do {                                                                                           \
        if (!strstr((hay), (needle)))                                                              \
            fail_msg("'%s' not in '%s'", (needle), (hay));                                         \
    } while (0)

static struct sk_str S(const char *s) {
    return (struct sk_str){(const uint8_t *)s, strlen(s)};
}

/* ---- events.json ---- */

static void
test_outputs_events_json_lines(void **state)
{
    struct fixture *fx = *state;
    void *st = NULL;
    assert_int_equal(sk_output_events.open(&st, &fx->cfg), 0);
    struct sk_event ev = {.type = SK_EV_SMTP_REQUEST, .is_orig = true, .tx_id = 0};
    ev.u.request.command = S("EHLO");
    ev.u.request.arg = S("GP");
    sk_output_events.event(st, &fx->flow, TS0, &ev);

    ev = (struct sk_event){.type = SK_EV_SMTP_REPLY, .is_orig = false, .tx_id = SK_TX_NONE};
    ev.u.reply.code = 250;
    ev.u.reply.cmd = S("EHLO");
    ev.u.reply.msg = S("PIPELINING");
    ev.u.reply.cont_resp = true;
    sk_output_events.event(st, &fx->flow, TS0 + 1, &ev);

    static const uint8_t data[] = "\x00\xff\"\\\n\xc3\xa9xyz-rest-not-logged";
    ev = (struct sk_event){.type = SK_EV_SMTP_DATA, .is_orig = true, .tx_id = 3};
    ev.u.data.data = (struct sk_str){data, sizeof(data) - 1};
    sk_output_events.event(st, &fx->flow, TS0 + 2, &ev);

    ev = (struct sk_event){.type = SK_EV_SMTP_STARTTLS, .tx_id = SK_TX_NONE};
    sk_output_events.event(st, &fx->flow, TS0 + 3, &ev);

    ev = (struct sk_event){.type = SK_EV_SMTP_UNEXPECTED, .is_orig = true, .tx_id = SK_TX_NONE};
    ev.u.unexpected.msg = S("unknown command");
    ev.u.unexpected.detail = S("FOO\tbar");
    sk_output_events.event(st, &fx->flow6, TS0 + 4, &ev);

    /* not raw events: ignored */
    ev = (struct sk_event){.type = SK_EV_FIELD, .tx_id = 0};
    sk_output_events.event(st, &fx->flow, TS0, &ev);
    ev = (struct sk_event){.type = SK_EV_TX_CLOSE, .tx_id = 0};
    sk_output_events.event(st, &fx->flow, TS0, &ev);
    sk_output_events.flush(st);
    sk_output_events.close(st);

    char *buf = slurp(fx, "events.json", NULL), *l[16];
    size_t n = split_lines(buf, l, 16);
    assert_int_equal(n, 5);
    for (size_t i = 0; i < n; i++)
        assert_true(json_valid(l[i], strlen(l[i])));
    assert_string_equal(l[0], "{\"ts\":\"2026-11-26T17:29:09.123456+0000\",\"uid\":\"CabcDEF123\","
                              "\"flow_id\":1234567890123,\"tx_id\":0,\"id\":{\"orig_h\":"
                              "\"10.10.1.4\",\"orig_p\":1470,\"resp_h\":\"74.53.140.153\","
                              "\"resp_p\":25},\"event\":\"smtp_request\",\"is_orig\":true,"
                              "\"command\":\"EHLO\",\"arg\":\"GP\"}");
    assert_contains(l[1], "\"event\":\"smtp_reply\",\"is_orig\":false,\"code\":250,"
                          "\"cmd\":\"EHLO\",\"msg\":\"PIPELINING\",\"cont_resp\":true}");
    assert_null(strstr(l[1], "tx_id")); /* outside a transaction */
    /* the first 8 bytes, escaped, and the full length */
    assert_contains(l[2], "\"event\":\"smtp_data\",\"is_orig\":true,"
                          "\"data\":\"\\u0000\\u00ff\\\"\\\\\\n\xc3\xa9x\",\"data_len\":26}");
    assert_contains(l[3], "\"event\":\"smtp_starttls\"}");
    assert_contains(l[4], "\"orig_h\":\"2001:db8::1\"");
    assert_contains(l[4], "\"msg\":\"unknown command\",\"detail\":\"FOO\\tbar\"}");
    free(buf);
}

/* ---- a transaction record built the way the engine builds it ---- */

struct captured {
    struct fixture *fx;
    void *eve, *smtplog;
};

static void on_close(void *ctx, const struct sk_tx_record *tx, enum sk_tx_end why)
{
    struct captured *c = ctx;
    (void)why;
    sk_output_eve.tx_close(c->eve, &c->fx->flow, TS0 + 10, tx);
    sk_output_smtplog.tx_close(c->smtplog, &c->fx->flow, TS0 + 10, tx);
}

static void feed_field(struct sk_txrec *r, struct captured *c, enum sk_field_id id, const char *v)
{
    struct sk_event ev = {.type = SK_EV_FIELD, .tx_id = 0};
    ev.u.field.id = id;
    ev.u.field.value = S(v);
    sk_txrec_event(r, &ev, TS0, on_close, c);
}

static struct sk_rule test_rule(void)
{
    static char *meta[] = {"policy balanced", "created_at 2024_01_01", "policy security"};
    return (struct sk_rule){.gid = 1,
                            .sid = 2000001,
                            .rev = 3,
                            .msg = "SHRIKE test \"quoted\"",
                            .class_desc = "Potentially Bad Traffic",
                            .priority = 2,
                            .n_metadata = 3,
                            .metadata = meta};
}

static void test_outputs_eve_smtplog_fast_one_session(void **state)
{
    struct fixture *fx = *state;
    struct captured c = {.fx = fx};
    void *fast = NULL;
    assert_int_equal(sk_output_eve.open(&c.eve, &fx->cfg), 0);
    assert_int_equal(sk_output_smtplog.open(&c.smtplog, &fx->cfg), 0);
    assert_int_equal(sk_output_fast.open(&fast, &fx->cfg), 0);

    struct sk_txrec *r;
    assert_int_equal(sk_txrec_new(&r, NULL, fx->flow.uid), 0);
    feed_field(r, &c, SK_FIELD_SMTP_HELO, "GP");
    feed_field(r, &c, SK_FIELD_SMTP_MAIL_FROM, "<gurpartap@patriots.in> SIZE=1234");
    feed_field(r, &c, SK_FIELD_SMTP_RCPT_TO, "<raj_deol2002in@yahoo.co.in>");
    feed_field(r, &c, SK_FIELD_SMTP_RCPT_TO, "<raj_deol2002in@yahoo.co.in>");
    feed_field(r, &c, SK_FIELD_SMTP_RCPT_TO, "<b@example.org> ORCPT=rfc822;b@example.org");
    feed_field(r, &c, SK_FIELD_EMAIL_FROM, "\"Gurpartap Singh\" <gurpartap@patriots.in>");
    feed_field(r, &c, SK_FIELD_EMAIL_TO, "<raj_deol2002in@yahoo.co.in>");
    feed_field(r, &c, SK_FIELD_EMAIL_SUBJECT, "SMTP\tTest, \xff-");
    feed_field(r, &c, SK_FIELD_EMAIL_DATE, "Mon, 5 Oct 2009 11:36:07 +0530");
    feed_field(r, &c, SK_FIELD_EMAIL_MESSAGE_ID, "<000301ca4581$ef9e57f0$cedb07d0$@in>");
    feed_field(r, &c, SK_FIELD_EMAIL_X_MAILER, "Microsoft Office Outlook 12.0");
    feed_field(r, &c, SK_FIELD_EMAIL_RECEIVED, "from b ([192.0.2.2]) by c");
    feed_field(r, &c, SK_FIELD_EMAIL_RECEIVED, "from a (unknown [198.51.100.1]) by b");
    feed_field(r, &c, SK_FIELD_FILE_NAME, "NEWS.txt");
    struct sk_event fe = {.type = SK_EV_FILE, .tx_id = 0};
    fe.u.file = (struct sk_file_info){.file_id = 1,
                                      .name = S("NEWS.txt"),
                                      .size = 10807,
                                      .digests = SK_FILE_ALL,
                                      .state = SK_FILE_CLOSED};
    memset(fe.u.file.md5, 0xab, sizeof(fe.u.file.md5));
    sk_txrec_event(r, &fe, TS0 + 5, on_close, &c);
    sk_output_eve.file(c.eve, &fx->flow, TS0 + 5, &fe.u.file, sk_txrec_get(r, 0));
    struct sk_event rep = {.type = SK_EV_SMTP_REPLY, .tx_id = 0};
    rep.u.reply.code = 250;
    rep.u.reply.msg = S("2.0.0 Ok: queued as 1");
    sk_txrec_event(r, &rep, TS0 + 6, on_close, &c);

    /* an anomaly inside the transaction and an alert each way */
    sk_output_eve.anomaly(c.eve, &fx->flow, TS0 + 7, true, SK_ANOMALY_BARE_LF, sk_txrec_get(r, 0));
    struct sk_rule rule = test_rule();
    struct sk_alert a = {
        .rule = &rule, .flow = &fx->flow, .ts_us = TS0, .tx_id = 0, .to_server = true};
    sk_output_eve.alert(c.eve, &a, sk_txrec_get(r, 0));
    sk_output_fast.alert(fast, &a, sk_txrec_get(r, 0));
    struct sk_rule bare = {
        .gid = 1, .sid = 7, .rev = 1, .msg = "stream", .priority = 3, .target = "dest_ip"};
    struct sk_alert b = {
        .rule = &bare, .flow = &fx->flow6, .ts_us = TS0, .tx_id = SK_TX_NONE, .to_server = false};
    sk_output_eve.alert(c.eve, &b, NULL);
    sk_output_fast.alert(fast, &b, NULL);

    struct sk_event close = {.type = SK_EV_TX_CLOSE, .tx_id = 0};
    close.u.tx_close.why = SK_TX_END_DATA;
    sk_txrec_event(r, &close, TS0 + 10, on_close, &c);
    /* a HELO-only transaction: an EVE smtp record, but no smtp.log line (as Zeek) */
    close.tx_id = 1;
    sk_txrec_event(r, &close, TS0 + 11, on_close, &c);
    sk_txrec_free(r);

    sk_output_eve.flow_end(c.eve, &fx->flow, SK_FLOW_END_SHUTDOWN, "smtp", NULL);
    sk_output_eve.flow_end(c.eve, &fx->flow6, SK_FLOW_END_EVICTED, "tls", "smtp");
    const struct sk_counter ctr[] = {{"packets", 60},
                                     {"flows", 1},
                                     {"bytes", 26866},
                                     {"smtp.requests", 6},
                                     {"workers", 2},
                                     {"workers.queue_drops", 0},
                                     {"decoder.link.unsupported", 1},
                                     {"decoder.ipv4.trunc_pkt", 2},
                                     {"uptime", 9},
                                     {"threads.W#01.packets", 60},
                                     {"threads.W#01.smtp.requests", 4}};
    sk_output_eve.stats(c.eve, TS0 + 20, ctr, sizeof(ctr) / sizeof(ctr[0]));
    sk_output_eve.close(c.eve);
    sk_output_smtplog.close(c.smtplog);
    sk_output_fast.close(fast);

    /* eve.json */
    char *buf = slurp(fx, "eve.json", NULL), *l[32];
    size_t n = split_lines(buf, l, 32);
    assert_int_equal(n, 9);
    for (size_t i = 0; i < n; i++)
        if (!json_valid(l[i], strlen(l[i])))
            fail_msg("invalid JSON: %s", l[i]);
    /* fileinfo */
    assert_contains(l[0], "\"event_type\":\"fileinfo\",\"src_ip\":\"10.10.1.4\",\"src_port\":1470,"
                          "\"dest_ip\":\"74.53.140.153\",\"dest_port\":25,\"proto\":\"TCP\"");
    assert_contains(l[0], "\"fileinfo\":{\"filename\":\"NEWS.txt\",\"gaps\":false,\"state\":"
                          "\"CLOSED\",\"md5\":\"abababababababababababababababab\"");
    assert_contains(l[0], "\"stored\":false,\"file_id\":1,\"size\":10807,\"tx_id\":0}");
    assert_contains(l[0], "\"email\":{\"status\":\"BODY_STARTED\"");
    /* anomaly */
    assert_contains(l[1],
                    "\"tx_id\":0,\"app_proto\":\"smtp\",\"anomaly\":{\"app_proto\":\"smtp\","
                    "\"type\":\"applayer\",\"event\":\"BARE_LF\",\"layer\":\"proto_parser\"}");
    /* alert to the server */
    assert_contains(l[2], "{\"timestamp\":\"2026-11-26T17:29:09.123456+0000\",\"flow_id\":"
                          "1234567890123,\"uid\":\"CabcDEF123\",\"event_type\":\"alert\","
                          "\"src_ip\":\"10.10.1.4\"");
    assert_contains(l[2], "\"alert\":{\"action\":\"allowed\",\"gid\":1,\"signature_id\":2000001,"
                          "\"rev\":3,\"signature\":\"SHRIKE test \\\"quoted\\\"\",\"category\":"
                          "\"Potentially Bad Traffic\",\"severity\":2,\"metadata\":{\"policy\":"
                          "[\"balanced\",\"security\"],\"created_at\":[\"2024_01_01\"]}}");
    assert_contains(l[2], "\"smtp\":{\"helo\":\"GP\",\"mail_from\":"
                          "\"<gurpartap@patriots.in> SIZE=1234\",\"rcpt_to\":[");
    assert_contains(l[2], "\"app_proto\":\"smtp\",\"direction\":\"to_server\",\"flow\":{"
                          "\"pkts_toserver\":28,\"pkts_toclient\":29,\"bytes_toserver\":22065,"
                          "\"bytes_toclient\":4340,\"start\":\"2026-11-26T17:29:00.623456+0000\"");
    /* alert to the client on the IPv6 flow: src is the server, Suricata's IPv6 spelling */
    assert_contains(l[3], "\"vlan\":[100],\"src_ip\":\"2001:0db8:0000:0000:0000:0000:0000:0002\","
                          "\"src_port\":25");
    assert_contains(l[3], "\"category\":\"\",\"severity\":3,\"source\":{\"ip\":"
                          "\"2001:0db8:0000:0000:0000:0000:0000:0002\",\"port\":25},\"target\":"
                          "{\"ip\":\"2001:0db8:0000:0000:0000:0000:0000:0001\",\"port\":1470}}");
    assert_null(strstr(l[3], "app_proto"));
    assert_contains(l[3], "\"direction\":\"to_client\"");
    /* the smtp record of tx 0 */
    assert_contains(l[4], "\"event_type\":\"smtp\",\"src_ip\":\"10.10.1.4\"");
    assert_contains(l[4], "\"tx_id\":0,\"smtp\":{\"helo\":\"GP\"");
    assert_contains(l[4], "\"email\":{\"status\":\"PARSE_DONE\",\"from\":"
                          "\"\\\"Gurpartap Singh\\\" <gurpartap@patriots.in>\",\"to\":"
                          "[\"<raj_deol2002in@yahoo.co.in>\"],\"attachment\":[\"NEWS.txt\"],"
                          "\"subject\":\"SMTP\\tTest, \\u00ff-\",\"subject_md5\":\"");
    assert_contains(l[4], "\"received\":[\"from b ([192.0.2.2]) by c\",");
    assert_contains(l[5], "\"tx_id\":1,\"smtp\":{\"helo\":\"GP\"}}");
    /* flows */
    assert_contains(l[6], "\"event_type\":\"flow\"");
    assert_contains(l[6], "\"app_proto\":\"smtp\",\"flow\":{\"pkts_toserver\":28");
    assert_contains(l[6], "\"end\":\"2026-11-26T17:29:09.123456+0000\",\"age\":8,\"state\":"
                          "\"closed\",\"reason\":\"shutdown\",\"alerted\":true}");
    assert_contains(l[7], "\"reason\":\"forced\",\"alerted\":true}");
    /* a TLS client answered by an SMTP server: Suricata's app_proto / app_proto_tc */
    assert_contains(l[7], "\"app_proto\":\"tls\",\"app_proto_tc\":\"smtp\",\"flow\":{");
    /* stats, no flow members: Suricata's names under "stats", nested from the dots, a
     * decode anomaly Suricata knows under decoder.event; Shrike's own under "shrike", a name
     * that is also a prefix as its child "total", each worker under shrike.threads */
    assert_contains(l[8], "{\"timestamp\":\"2026-11-26T17:29:09.123476+0000\",\"event_type\":"
                          "\"stats\",\"stats\":{\"decoder\":{\"pkts\":60,\"bytes\":26866,"
                          "\"event\":{\"ipv4\":{\"trunc_pkt\":2}}},\"flow\":{\"total\":1,"
                          "\"tcp\":1},\"tcp\":{\"sessions\":1},\"uptime\":9},\"shrike\":{"
                          "\"smtp\":{\"requests\":6},\"workers\":{\"total\":2,\"queue_drops\":0},"
                          "\"decoder\":{\"link\":{\"unsupported\":1}},\"threads\":{\"W#01\":{"
                          "\"decoder\":{\"pkts\":60},\"smtp\":{\"requests\":4}}}}}");
    free(buf);

    /* fast.log */
    buf = slurp(fx, "fast.log", NULL);
    assert_string_equal(
        buf, "11/26/2026-17:29:09.123456  [**] [1:2000001:3] SHRIKE test \"quoted\" [**] "
             "[Classification: Potentially Bad Traffic] [Priority: 2] {TCP} 10.10.1.4:1470 -> "
             "74.53.140.153:25\n"
             "11/26/2026-17:29:09.123456  [**] [1:7:1] stream [**] [Classification: (null)] "
             "[Priority: 3] {TCP} 2001:0db8:0000:0000:0000:0000:0000:0002:25 -> "
             "2001:0db8:0000:0000:0000:0000:0000:0001:1470\n");
    free(buf);

    /* smtp.log */
    buf = slurp(fx, "smtp.log", NULL);
    n = split_lines(buf, l, 32);
    assert_int_equal(n, 10);
    assert_string_equal(l[0], "#separator \\x09");
    assert_string_equal(l[1], "#set_separator\t,");
    assert_string_equal(l[2], "#empty_field\t(empty)");
    assert_string_equal(l[3], "#unset_field\t-");
    assert_string_equal(l[4], "#path\tsmtp");
    assert_true(strncmp(l[5], "#open\t20", 8) == 0 && strlen(l[5]) == 25);
    assert_true(strncmp(l[6], "#fields\tts\tuid\tid.orig_h\t", 24) == 0);
    assert_true(strncmp(l[7], "#types\ttime\tstring\taddr\tport\t", 29) == 0);
    assert_true(strncmp(l[9], "#close\t20", 9) == 0);
    char *col[32];
    size_t nc = 0;
    for (char *p = l[8], *t; nc < 32; p = t + 1) {
        col[nc++] = p;
        t = strchr(p, '\t');
        if (!t)
            break;
        *t = '\0';
    }
    assert_int_equal(nc, 28);
    assert_string_equal(col[0], "1795714149.123456");
    assert_string_equal(col[1], "CabcDEF123");
    assert_string_equal(col[2], "10.10.1.4");
    assert_string_equal(col[3], "1470");
    assert_string_equal(col[4], "74.53.140.153");
    assert_string_equal(col[5], "25");
    assert_string_equal(col[6], "1");
    assert_string_equal(col[7], "GP");
    assert_string_equal(col[8], "gurpartap@patriots.in");
    assert_string_equal(col[9], "raj_deol2002in@yahoo.co.in,b@example.org");
    assert_string_equal(col[10], "Mon, 5 Oct 2009 11:36:07 +0530");
    assert_string_equal(col[11], "\"Gurpartap Singh\" <gurpartap@patriots.in>");
    assert_string_equal(col[12], "<raj_deol2002in@yahoo.co.in>");
    assert_string_equal(col[13], "-");
    assert_string_equal(col[14], "-");
    assert_string_equal(col[15], "<000301ca4581$ef9e57f0$cedb07d0$@in>");
    assert_string_equal(col[16], "-");
    assert_string_equal(col[17], "SMTP\\x09Test, \\xff-");
    assert_string_equal(col[18], "-");
    assert_string_equal(col[19], "from a (unknown [198.51.100.1]) by b");
    assert_string_equal(col[20], "from b ([192.0.2.2]) by c");
    assert_string_equal(col[21], "250 2.0.0 Ok: queued as 1");
    assert_string_equal(col[22], "74.53.140.153,10.10.1.4,192.0.2.2,198.51.100.1");
    assert_string_equal(col[23], "Microsoft Office Outlook 12.0");
    assert_string_equal(col[24], "F");
    assert_string_equal(col[25], "FabcDEF123.1");
    assert_string_equal(col[26], "1234567890123");
    assert_string_equal(col[27], "0"); /* tx_id */
    free(buf);

    /* and against Suricata's schema, when it is at hand */
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "/usr/bin/python3 %s/tests/tools/eve-schema-check.py %s/eve.json",
             SK_TEST_SRCDIR, fx->dir);
    if (access("/usr/bin/python3", X_OK) != 0)
        skip();
    int rc = system(cmd);
    assert_true(WIFEXITED(rc));
    if (WEXITSTATUS(rc) == 77)
        skip();
    assert_int_equal(WEXITSTATUS(rc), 0);
}

static void test_outputs_smtplog_escapes_reserved_values(void **state)
{
    struct fixture *fx = *state;
    void *st = NULL;
    assert_int_equal(sk_output_smtplog.open(&st, &fx->cfg), 0);
    struct sk_tx_record tx = {.tx_id = 4, .ts_us = 5, .trans_depth = 5, .tls = true};
    char helo[] = "-", subj[] = "", from[] = "(empty)", ua[] = "a\\b\nc";
    char *rc_v[] = {"x,y@z", "ok@z"};
    tx.helo = helo;
    tx.email_subject = subj;
    tx.email_from = from;
    tx.email_user_agent = ua;
    tx.has_email = true;
    tx.email_to = (struct sk_strlist){.n = 2, .cap = 2, .v = rc_v};
    sk_output_smtplog.tx_close(st, &fx->flow, 5, &tx);
    sk_output_smtplog.close(st);
    char *buf = slurp(fx, "smtp.log", NULL), *l[16];
    size_t n = split_lines(buf, l, 16);
    assert_int_equal(n, 10);
    assert_contains(l[8], "0.000005\tCabcDEF123\t");
    assert_contains(l[8],
                    "\t5\t\\x2d\t-\t-\t-\t\\x28empty)\tx\\x2cy@z,ok@z\t-\t-\t-\t-\t(empty)\t");
    assert_contains(l[8], "\ta\\x5cb\\x0ac\tT\t-\t1234567890123");
    free(buf);
}

/* Whatever bytes a value holds, every smtp.log line keeps its 26 columns and every
 * events.json line stays one valid JSON object. */
static void test_outputs_random_values_keep_lines_whole(void **state)
{
    struct fixture *fx = *state;
    void *zs = NULL, *es = NULL;
    assert_int_equal(sk_output_smtplog.open(&zs, &fx->cfg), 0);
    assert_int_equal(sk_output_events.open(&es, &fx->cfg), 0);
    uint64_t x = 88172645463325252ull;
    enum { ROUNDS = 300 };
    for (int round = 0; round < ROUNDS; round++) {
        char v[3][40];
        for (int k = 0; k < 3; k++) {
            for (int i = 0; i < 39; i++) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                v[k][i] = (char)(x % 255 + 1); /* no NUL: records hold C strings */
            }
            v[k][39] = '\0';
        }
        char *set[] = {v[1], v[2]};
        struct sk_tx_record tx = {.tx_id = 0, .trans_depth = 1, .helo = v[0], .mail_from = v[1]};
        tx.email_to = (struct sk_strlist){.n = 2, .cap = 2, .v = set};
        tx.has_email = true;
        tx.email_subject = v[2];
        sk_output_smtplog.tx_close(zs, &fx->flow, TS0, &tx);
        struct sk_event ev = {.type = SK_EV_SMTP_REQUEST, .is_orig = true, .tx_id = 0};
        ev.u.request.command = S(v[0]);
        ev.u.request.arg = (struct sk_str){(const uint8_t *)v[1], 39};
        sk_output_events.event(es, &fx->flow, TS0, &ev);
    }
    sk_output_smtplog.close(zs);
    sk_output_events.close(es);

    char *buf = slurp(fx, "smtp.log", NULL), *l[ROUNDS + 16];
    size_t n = split_lines(buf, l, ROUNDS + 16);
    assert_int_equal(n, ROUNDS + 9);
    for (size_t i = 8; i < 8 + ROUNDS; i++) {
        size_t tabs = 0;
        for (const char *p = l[i]; *p; p++)
            tabs += *p == '\t';
        assert_int_equal(tabs, 27);
    }
    free(buf);
    buf = slurp(fx, "events.json", NULL);
    n = split_lines(buf, l, ROUNDS + 16);
    assert_int_equal(n, ROUNDS);
    for (size_t i = 0; i < n; i++)
        assert_true(json_valid(l[i], strlen(l[i])));
    free(buf);
}

static void test_outputs_open_fails_on_missing_dir(void **state)
{
    struct fixture *fx = *state;
    struct sk_output_config cfg = fx->cfg;
    cfg.log_dir = "/nonexistent/shrike/dir";
    void *st = NULL;
    const struct sk_output_ops *ops[] = {&sk_output_events, &sk_output_eve, &sk_output_fast,
                                         &sk_output_smtplog};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(ops[i]->open(&st, &cfg), SK_E_IO);
        assert_non_null(ops[i]->name);
    }
}

static void test_outputs_eve_flags_off_write_only_alerts(void **state)
{
    struct fixture *fx = *state;
    struct sk_output_config cfg = {.log_dir = fx->dir};
    void *st = NULL;
    assert_int_equal(sk_output_eve.open(&st, &cfg), 0);
    struct sk_tx_record tx = {.tx_id = 0};
    sk_output_eve.tx_close(st, &fx->flow, TS0, &tx);
    sk_output_eve.anomaly(st, &fx->flow, TS0, true, SK_ANOMALY_BARE_CR, NULL);
    sk_output_eve.flow_end(st, &fx->flow, SK_FLOW_END_FIN, "smtp", NULL);
    struct sk_rule rule = test_rule();
    struct sk_alert a = {
        .rule = &rule, .flow = &fx->flow, .ts_us = TS0, .tx_id = 0, .to_server = true};
    sk_output_eve.alert(st, &a, NULL);
    sk_output_eve.close(st);
    char *buf = slurp(fx, "eve.json", NULL), *l[4];
    assert_int_equal(split_lines(buf, l, 4), 1);
    assert_contains(l[0], "\"event_type\":\"alert\"");
    free(buf);
}

/* The flow members written once per flow and copied into each record follow the flow: the
 * same struct reused for another flow (as the flow table reuses nodes), flows interleaved, and
 * both directions of an EVE record get their own uid, ids and endpoints. */
static void test_outputs_flow_members_follow_the_flow(void **state)
{
    struct fixture *fx = *state;
    const struct sk_output_ops *ops[2] = {sk_output_lookup("events"), sk_output_lookup("eve")};
    struct sk_output_set *set;
    assert_int_equal(sk_output_set_open(&set, ops, 2, &fx->cfg), 0);
    struct sk_flow reused = fx->flow;
    struct sk_event ev = {.type = SK_EV_SMTP_REQUEST, .is_orig = true, .tx_id = SK_TX_NONE};
    ev.u.request.command = S("NOOP");
    struct sk_event an = {.type = SK_EV_ANOMALY, .is_orig = false, .tx_id = SK_TX_NONE};
    an.u.anomaly.id = SK_ANOMALY_BARE_LF;
    sk_output_set_event(set, NULL, &reused, TS0, &ev);
    sk_output_set_event(set, NULL, &fx->flow6, TS0, &ev);
    sk_output_set_event(set, NULL, &reused, TS0, &an);
    reused.flow_id = 77;
    snprintf(reused.uid, sizeof(reused.uid), "Cother");
    reused.orig_h.bytes[3] = 9;
    sk_output_set_event(set, NULL, &reused, TS0 + 1, &ev);
    sk_output_set_event(set, NULL, &reused, TS0 + 1, &an);
    sk_output_set_close(set);

    char *buf = slurp(fx, "events.json", NULL);
    char *lines[8];
    assert_int_equal(split_lines(buf, lines, 8), 3);
    assert_contains(lines[0], "\"uid\":\"CabcDEF123\",\"flow_id\":1234567890123,");
    assert_contains(lines[0], "\"orig_h\":\"10.10.1.4\"");
    assert_contains(lines[1], "\"uid\":\"C6\",\"flow_id\":42,");
    assert_contains(lines[1], "\"orig_h\":\"2001:db8::1\"");
    assert_contains(lines[2], "\"ts\":\"2026-11-26T17:29:09.123457+0000\"");
    assert_contains(lines[2], "\"uid\":\"Cother\",\"flow_id\":77,");
    assert_contains(lines[2], "\"orig_h\":\"10.10.1.9\"");
    free(buf);
    buf = slurp(fx, "eve.json", NULL);
    assert_int_equal(split_lines(buf, lines, 8), 2);
    assert_contains(lines[0], "\"flow_id\":1234567890123,\"uid\":\"CabcDEF123\"");
    assert_contains(lines[0], "\"src_ip\":\"74.53.140.153\",\"src_port\":25,"
                              "\"dest_ip\":\"10.10.1.4\",\"dest_port\":1470");
    assert_contains(lines[1], "\"flow_id\":77,\"uid\":\"Cother\"");
    assert_contains(lines[1], "\"dest_ip\":\"10.10.1.9\"");
    free(buf);
}

static void test_outputs_set_routes_a_session(void **state)
{
    struct fixture *fx = *state;
    const struct sk_output_ops *ops[4];
    const char *names[] = {"eve", "events", "fast", "smtplog"};
    for (size_t i = 0; i < 4; i++)
        assert_non_null(ops[i] = sk_output_lookup(names[i]));
    assert_null(sk_output_lookup("nope"));
    struct sk_output_set *set;
    assert_int_equal(sk_output_set_open(&set, ops, 4, &fx->cfg), 0);
    struct sk_txrec *r;
    assert_int_equal(sk_txrec_new(&r, NULL, fx->flow.uid), 0);
    const struct sk_flow *f = &fx->flow;

    struct sk_event ev = {.type = SK_EV_SMTP_REPLY, .tx_id = SK_TX_NONE};
    ev.u.reply.code = 220;
    ev.u.reply.cmd = S(">");
    ev.u.reply.msg = S("mx ESMTP");
    sk_output_set_event(set, r, f, TS0, &ev);
    ev = (struct sk_event){.type = SK_EV_TX_OPEN, .tx_id = 0};
    sk_output_set_event(set, r, f, TS0 + 1, &ev);
    ev = (struct sk_event){.type = SK_EV_SMTP_REQUEST, .is_orig = true, .tx_id = 0};
    ev.u.request.command = S("EHLO");
    ev.u.request.arg = S("client.example");
    sk_output_set_event(set, r, f, TS0 + 1, &ev);
    ev = (struct sk_event){.type = SK_EV_FIELD, .is_orig = true, .tx_id = 0};
    ev.u.field.id = SK_FIELD_SMTP_HELO;
    ev.u.field.value = S("client.example");
    sk_output_set_event(set, r, f, TS0 + 1, &ev);
    ev.u.field.id = SK_FIELD_SMTP_MAIL_FROM;
    ev.u.field.value = S("<a@example.org>");
    sk_output_set_event(set, r, f, TS0 + 2, &ev);
    ev = (struct sk_event){.type = SK_EV_ANOMALY, .is_orig = true, .tx_id = 0};
    ev.u.anomaly.id = SK_ANOMALY_SMUGGLING_END_OF_DATA;
    sk_output_set_event(set, r, f, TS0 + 3, &ev);
    ev = (struct sk_event){.type = SK_EV_FILE, .tx_id = 0};
    ev.u.file = (struct sk_file_info){.file_id = 2, .name = S("a.exe"), .size = 3};
    sk_output_set_event(set, r, f, TS0 + 4, &ev);
    ev = (struct sk_event){.type = SK_EV_TX_CLOSE, .tx_id = 0};
    ev.u.tx_close.why = SK_TX_END_DATA;
    sk_output_set_event(set, r, f, TS0 + 5, &ev);
    struct sk_rule rule = test_rule();
    struct sk_alert a = {.rule = &rule, .flow = f, .ts_us = TS0 + 5, .tx_id = 0, .to_server = true};
    sk_output_set_alert(set, &a, sk_txrec_get(r, 0)); /* just after the close: still there */
    /* a second transaction left open: the flow end closes it */
    ev = (struct sk_event){.type = SK_EV_FIELD, .is_orig = true, .tx_id = 1};
    ev.u.field.id = SK_FIELD_SMTP_MAIL_FROM;
    ev.u.field.value = S("<b@example.org>");
    sk_output_set_event(set, r, f, TS0 + 6, &ev);
    sk_output_set_flow_end(set, r, f, SK_FLOW_END_FIN, "smtp", NULL);
    sk_txrec_free(r);
    const struct sk_counter ctr[] = {{"decoder.pkts", 1}};
    sk_output_set_stats(set, TS0 + 7, ctr, 1);
    sk_output_set_flush(set);
    sk_output_set_close(set);
    sk_output_set_close(NULL);

    char *buf = slurp(fx, "eve.json", NULL), *l[16];
    size_t n = split_lines(buf, l, 16);
    assert_int_equal(n, 7);
    static const char *const types[] = {"anomaly", "fileinfo", "smtp", "alert",
                                        "smtp",    "flow",     "stats"};
    for (size_t i = 0; i < n; i++) {
        char want[48];
        snprintf(want, sizeof(want), "\"event_type\":\"%s\"", types[i]);
        assert_contains(l[i], want);
        assert_true(json_valid(l[i], strlen(l[i])));
    }
    assert_contains(l[0], "\"tx_id\":0,\"app_proto\":\"smtp\"");
    assert_contains(l[1], "\"smtp\":{\"helo\":\"client.example\",\"mail_from\":"
                          "\"<a@example.org>\"}");
    assert_contains(l[3], "\"smtp\":{\"helo\":\"client.example\"");
    assert_contains(l[4], "\"tx_id\":1,\"smtp\":{\"helo\":\"client.example\",\"mail_from\":"
                          "\"<b@example.org>\"}");
    assert_contains(l[5], "\"reason\":\"timeout\",\"alerted\":true");
    free(buf);

    buf = slurp(fx, "events.json", NULL);
    assert_int_equal(split_lines(buf, l, 16), 2); /* the greeting and EHLO */
    assert_contains(l[0], "\"code\":220,\"cmd\":\">\"");
    free(buf);

    buf = slurp(fx, "smtp.log", NULL);
    n = split_lines(buf, l, 16);
    assert_int_equal(n, 11); /* 8 header lines, two transactions, #close */
    assert_contains(l[8], "\tclient.example\ta@example.org\t");
    assert_contains(l[8], "\tF\tFabcDEF123.2");
    assert_contains(l[9], "\t2\tclient.example\tb@example.org\t");
    free(buf);

    buf = slurp(fx, "fast.log", NULL);
    assert_true(strstr(buf, "[1:2000001:3]") != NULL);
    free(buf);
}

/* In a batch (one packet), a file and an alert are logged at the end with the record as it
 * stands then: the message's status after the file ended, and the file in the alert. */
static void test_outputs_set_batch_logs_files_and_alerts_after_the_packet(void **state)
{
    struct fixture *fx = *state;
    const struct sk_output_ops *ops[] = {sk_output_lookup("eve")};
    struct sk_output_set *set;
    assert_int_equal(sk_output_set_open(&set, ops, 1, &fx->cfg), 0);
    struct sk_txrec *r;
    assert_int_equal(sk_txrec_new(&r, NULL, fx->flow.uid), 0);
    const struct sk_flow *f = &fx->flow;
    struct sk_rule rule = test_rule();

    sk_output_set_batch_begin(set);
    struct sk_event ev = {.type = SK_EV_FIELD, .is_orig = true, .tx_id = 0};
    ev.u.field.id = SK_FIELD_EMAIL_SUBJECT;
    ev.u.field.value = S("hi");
    sk_output_set_event(set, r, f, TS0, &ev);
    struct sk_alert a = {.rule = &rule, .flow = f, .ts_us = TS0, .tx_id = 0, .to_server = true};
    sk_output_set_alert(set, &a, sk_txrec_get(r, 0)); /* raised before the file ended */
    char name[] = "x.exe";
    ev = (struct sk_event){.type = SK_EV_FILE, .tx_id = 0};
    ev.u.file = (struct sk_file_info){.file_id = 1, .name = S(name), .size = 30};
    sk_output_set_event(set, r, f, TS0 + 1, &ev);
    name[0] = 'y'; /* the event's bytes were borrowed: the held record has its own copy */
    ev = (struct sk_event){.type = SK_EV_FIELD, .is_orig = true, .tx_id = 0};
    ev.u.field.id = SK_FIELD_SMTP_DATA; /* the message's last chunk: it ended */
    ev.u.field.value = S("\r\n");
    ev.u.field.flags = SK_FIELD_F_END;
    sk_output_set_event(set, r, f, TS0 + 2, &ev);
    sk_output_set_flush(set);
    char *buf = slurp(fx, "eve.json", NULL);
    assert_string_equal(buf, ""); /* nothing written inside the batch */
    free(buf);
    sk_output_set_batch_end(set, r);
    sk_output_set_flow_end(set, r, f, SK_FLOW_END_FIN, "smtp", NULL);
    sk_txrec_free(r);
    sk_output_set_close(set);

    char *l[8];
    buf = slurp(fx, "eve.json", NULL);
    size_t n = split_lines(buf, l, 8);
    assert_true(n >= 2);
    assert_contains(l[0], "\"event_type\":\"alert\"");
    assert_contains(l[0], "\"files\":[{\"filename\":\"x.exe\",\"gaps\":false,"
                          "\"state\":\"CLOSED\",\"stored\":false,\"file_id\":1,\"size\":30,"
                          "\"tx_id\":0}]");
    assert_contains(l[0], "\"status\":\"PARSE_DONE\"");
    assert_contains(l[1], "\"event_type\":\"fileinfo\"");
    assert_contains(l[1], "\"status\":\"PARSE_DONE\"");
    assert_contains(l[1], "\"filename\":\"x.exe\"");
    for (size_t i = 0; i < n; i++)
        assert_true(json_valid(l[i], strlen(l[i])));
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_outputs_events_json_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_outputs_eve_smtplog_fast_one_session, setup, teardown),
        cmocka_unit_test_setup_teardown(test_outputs_smtplog_escapes_reserved_values, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_outputs_random_values_keep_lines_whole, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_outputs_open_fails_on_missing_dir, setup, teardown),
        cmocka_unit_test_setup_teardown(test_outputs_eve_flags_off_write_only_alerts, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_outputs_flow_members_follow_the_flow, setup, teardown),
        cmocka_unit_test_setup_teardown(test_outputs_set_routes_a_session, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_outputs_set_batch_logs_files_and_alerts_after_the_packet, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
