/* SPDX-License-Identifier: GPL-2.0-only */
/* The detection engine end to end on hand-built rules and synthetic event sequences:
 * alerts once per transaction, patterns split across stream chunks, multi-buffer
 * instances, flowbits, thresholds, anomalies, flow and header checks; and a differential
 * test of the Hyperscan path against the reference matcher on generated rules and inputs. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "rules/conditions.h"
#include "rules/detect.h"
#include "rules/reference.h"
#include "tests/unit/rule_builder.h"

#define MAX_ALERTS 4096

struct rec {
    size_t n;
    struct {
        uint32_t sid;
        uint64_t tx;
        bool to_server;
    } a[MAX_ALERTS];
};

/* One flow under test. */
struct env {
    struct sk_ruleset *rs;
    struct sk_detect *d;
    struct sk_detect_thread *t;
    struct sk_detect_flow *df;
    struct sk_flow f;
    struct rec rec;
    uint64_t ts;
};

static void on_alert(void *ctx, const struct sk_alert *a)
{
    struct rec *r = ctx;
    if (r->n < MAX_ALERTS) {
        r->a[r->n].sid = a->rule->sid;
        r->a[r->n].tx = a->tx_id;
        r->a[r->n].to_server = a->to_server;
        r->n++;
    }
}

static struct env *env_new_mode(struct sk_ruleset *rs, size_t window, bool reference)
{
    struct env *e = calloc(1, sizeof(*e));
    char err[256];
    struct sk_detect_config cfg = {.stream_window = window, .reference = reference};
    assert_non_null(e);
    e->rs = rs;
    assert_int_equal(sk_detect_build(&e->d, rs, &cfg, err, sizeof(err)), 0);
    assert_int_equal(sk_detect_thread_new(&e->t, e->d, on_alert, &e->rec), 0);
    e->f.flow_id = 1;
    e->f.orig_h.family = e->f.resp_h.family = 4;
    memcpy(e->f.orig_h.bytes, "\x0a\x00\x00\x01", 4);
    memcpy(e->f.resp_h.bytes, "\x0a\x00\x00\x02", 4);
    e->f.orig_p = 40000;
    e->f.resp_p = 25;
    e->f.state = SK_TCP_ESTABLISHED;
    assert_int_equal(sk_detect_flow_new(&e->df, e->t, &e->f), 0);
    e->ts = 1000000;
    return e;
}

static struct env *env_new(struct sk_ruleset *rs, size_t window)
{
    return env_new_mode(rs, window, false);
}

/* A new flow on the same thread (threshold state is per thread). */
static void env_new_flow(struct env *e)
{
    sk_detect_flow_end(e->t, e->df, &e->f, e->ts);
    sk_detect_flow_free(e->df);
    e->f.flow_id++;
    assert_int_equal(sk_detect_flow_new(&e->df, e->t, &e->f), 0);
}

static void env_free(struct env *e)
{
    sk_detect_flow_end(e->t, e->df, &e->f, e->ts);
    sk_detect_flow_free(e->df);
    sk_detect_thread_free(e->t);
    sk_detect_free(e->d);
    rb_fake_ruleset_free(e->rs);
    free(e);
}

static void send(struct env *e, const struct sk_event *ev)
{
    sk_detect_event(e->t, e->df, &e->f, ev, e->ts);
}

static void field_n(struct env *e, uint64_t tx, int id, const void *s, size_t n, unsigned flags)
{
    struct sk_event ev = {.type = SK_EV_FIELD, .is_orig = true, .tx_id = tx};
    ev.u.field.id = (enum sk_field_id)id;
    ev.u.field.value = (struct sk_str){(const uint8_t *)s, n};
    ev.u.field.flags = flags;
    send(e, &ev);
}

static void field(struct env *e, uint64_t tx, int id, const char *s)
{
    field_n(e, tx, id, s, strlen(s), 0);
}

static void number(struct env *e, uint64_t tx, int id, uint64_t v)
{
    struct sk_event ev = {.type = SK_EV_FIELD, .is_orig = false, .tx_id = tx};
    ev.u.field.id = (enum sk_field_id)id;
    ev.u.field.number = v;
    send(e, &ev);
}

static void request(struct env *e, uint64_t tx, const char *cmd, const char *arg)
{
    struct sk_event ev = {.type = SK_EV_SMTP_REQUEST, .is_orig = true, .tx_id = tx};
    ev.u.request.command = (struct sk_str){(const uint8_t *)cmd, strlen(cmd)};
    ev.u.request.arg = (struct sk_str){(const uint8_t *)arg, strlen(arg)};
    send(e, &ev);
}

static void reply(struct env *e, uint64_t tx, uint16_t code, const char *msg)
{
    struct sk_event ev = {.type = SK_EV_SMTP_REPLY, .is_orig = false, .tx_id = tx};
    ev.u.reply.code = code;
    ev.u.reply.msg = (struct sk_str){(const uint8_t *)msg, strlen(msg)};
    send(e, &ev);
}

static void anomaly(struct env *e, uint64_t tx, enum sk_anomaly_id id)
{
    struct sk_event ev = {.type = SK_EV_ANOMALY, .is_orig = true, .tx_id = tx};
    ev.u.anomaly.id = id;
    send(e, &ev);
}

static size_t count_sid(const struct env *e, uint32_t sid)
{
    size_t n = 0;
    for (size_t i = 0; i < e->rec.n; i++)
        n += e->rec.a[i].sid == sid;
    return n;
}

static struct sk_rule *content_rule(uint32_t sid, int buffer, const char *s)
{
    struct sk_rule *r = rb_rule_new(sid);
    rb_content(rb_group(r, buffer), s);
    return r;
}

static void test_detect_once_per_tx(void **state)
{
    struct sk_ruleset *rs = rb_fake_ruleset_new(0);
    rb_fake_ruleset_add(rs, content_rule(1, SK_FIELD_SMTP_MAIL_FROM, "evil"));
    rb_fake_ruleset_add(rs, content_rule(2, SK_FIELD_SMTP_MAIL_FROM, "absent"));
    struct env *e = env_new(rs, 0);
    field(e, 0, SK_FIELD_SMTP_MAIL_FROM, "<evil@example.com>");
    field(e, 0, SK_FIELD_SMTP_RCPT_TO, "<a@b>");
    field(e, 0, SK_FIELD_SMTP_MAIL_FROM, "<evil@example.org>");
    assert_int_equal(e->rec.n, 1);
    assert_int_equal(e->rec.a[0].sid, 1);
    assert_int_equal(e->rec.a[0].tx, 0);
    assert_true(e->rec.a[0].to_server);
    field(e, 1, SK_FIELD_SMTP_MAIL_FROM, "<good@example.com>");
    field(e, 2, SK_FIELD_SMTP_MAIL_FROM, "<EVIL@example.com>");
    field(e, 3, SK_FIELD_SMTP_MAIL_FROM, "<evil@example.com>");
    assert_int_equal(e->rec.n, 2);
    assert_int_equal(e->rec.a[1].tx, 3);
    struct sk_detect_stats st;
    sk_detect_thread_stats(e->t, &st);
    assert_int_equal(st.alerts, 2);
    assert_true(st.candidates >= 2 && st.inspections >= 2);
    env_free(e);
}

/* mime.body-md5: auto asks whether any rule inspects email.body_md5. */
static void test_detect_uses_buffer(void **state)
{
    (void)state;
    struct sk_ruleset *rs = rb_fake_ruleset_new(0);
    rb_fake_ruleset_add(rs, content_rule(1, SK_FIELD_EMAIL_BODY_MD5, "0123"));
    struct env *e = env_new(rs, 0);
    assert_true(sk_detect_uses_buffer(e->d, SK_FIELD_EMAIL_BODY_MD5));
    assert_false(sk_detect_uses_buffer(e->d, SK_FIELD_EMAIL_URL));
    assert_false(sk_detect_uses_buffer(e->d, -1));
    assert_false(sk_detect_uses_buffer(NULL, SK_FIELD_EMAIL_BODY_MD5));
    env_free(e);
}

static void test_detect_stream_split_across_chunks(void **state)
{
    struct sk_ruleset *rs = rb_fake_ruleset_new(0);
    rb_fake_ruleset_add(rs, content_rule(1, SK_FIELD_SMTP_DATA, "MALWARE-SIGNATURE"));
    struct sk_rule *r = content_rule(2, SK_FIELD_FILE_DATA, "x-evil");
    r->groups[0].matches[0].u.content.nocase = true;
    rb_fake_ruleset_add(rs, r);
    struct env *e = env_new(rs, 32);
    char filler[200];
    memset(filler, 'f', sizeof(filler));
    field_n(e, 0, SK_FIELD_SMTP_DATA, filler, sizeof(filler), SK_FIELD_F_BEGIN);
    field_n(e, 0, SK_FIELD_SMTP_DATA, "MALW", 4, 0);
    assert_int_equal(e->rec.n, 0);
    field_n(e, 0, SK_FIELD_SMTP_DATA, "ARE-SIG", 7, 0);
    assert_true(sk_detect_flow_memuse(e->df) > 0);
    field_n(e, 0, SK_FIELD_SMTP_DATA, "NATURE\r\n", 8, SK_FIELD_F_END);
    assert_int_equal(count_sid(e, 1), 1);
    /* one byte at a time, caseless, a second part of file.data */
    field_n(e, 0, SK_FIELD_FILE_DATA, "nothing", 7, SK_FIELD_F_BEGIN | SK_FIELD_F_END);
    const char *s = "..X-EviL..";
    for (size_t i = 0; i < strlen(s); i++)
        field_n(e, 0, SK_FIELD_FILE_DATA, s + i, 1, i == 0 ? SK_FIELD_F_BEGIN : 0);
    assert_int_equal(count_sid(e, 2), 1);
    env_free(e);
}

/* A pattern older than the window is still a candidate (the prefilter saw it) but the
 * confirmation sees only the window. */
static void test_detect_stream_window_bounds_confirmation(void **state)
{
    struct sk_ruleset *rs = rb_fake_ruleset_new(0);
    struct sk_rule *r = rb_rule_new(1);
    struct sk_buffer_group *g = rb_group(r, SK_FIELD_SMTP_DATA);
    rb_content(g, "needle");
    rb_content(g, "haystack")->distance = 0;
    rb_fake_ruleset_add(rs, r);
    struct env *e = env_new(rs, 16);
    field_n(e, 0, SK_FIELD_SMTP_DATA, "needle", 6, SK_FIELD_F_BEGIN);
    char pad[64];
    memset(pad, '-', sizeof(pad));
    field_n(e, 0, SK_FIELD_SMTP_DATA, pad, sizeof(pad), 0);
    field_n(e, 0, SK_FIELD_SMTP_DATA, "haystack", 8, 0);
    assert_int_equal(e->rec.n, 0);
    field_n(e, 0, SK_FIELD_SMTP_DATA, "needle haystack", 15, SK_FIELD_F_END);
    assert_int_equal(e->rec.n, 1);
    env_free(e);
}

static void test_detect_multi_buffer_one_instance(void **state)
{
    struct sk_ruleset *rs = rb_fake_ruleset_new(0);
    struct sk_rule *r = rb_rule_new(1);
    struct sk_buffer_group *g = rb_group(r, SK_FIELD_SMTP_RCPT_TO);
    rb_content(g, "<adm")->startswith = true;
    rb_content(g, "corp>")->endswith = true;
    rb_fake_ruleset_add(rs, r);
    /* two groups, two buffers: both must hold */
    r = content_rule(2, SK_FIELD_SMTP_MAIL_FROM, "spoof");
    rb_content(rb_group(r, SK_FIELD_SMTP_RCPT_TO), "ceo@");
    rb_fake_ruleset_add(rs, r);
    struct env *e = env_new(rs, 0);
    field(e, 0, SK_FIELD_SMTP_RCPT_TO, "<admin@home>");
    field(e, 0, SK_FIELD_SMTP_RCPT_TO, "<user@corp>");
    assert_int_equal(e->rec.n, 0);
    field(e, 0, SK_FIELD_SMTP_RCPT_TO, "<admin@corp>");
    assert_int_equal(count_sid(e, 1), 1);
    field(e, 1, SK_FIELD_SMTP_RCPT_TO, "<ceo@corp>");
    assert_int_equal(count_sid(e, 2), 0);
    field(e, 1, SK_FIELD_SMTP_MAIL_FROM, "<spoof@x>");
    assert_int_equal(count_sid(e, 2), 1);
    env_free(e);
}

static void test_detect_flowbits(void **state)
{
    struct sk_ruleset *rs = rb_fake_ruleset_new(2);
    struct sk_rule *r = content_rule(1, SK_FIELD_SMTP_AUTH_MECH, "LOGIN");
    rb_flowbit(r, SK_FLOWBIT_SET, 0);
    rb_flowbit(r, SK_FLOWBIT_NOALERT, 0);
    rb_fake_ruleset_add(rs, r);
    r = content_rule(2, SK_FIELD_SMTP_RCPT_TO, "victim");
    rb_flowbit(r, SK_FLOWBIT_ISSET, 0);
    rb_fake_ruleset_add(rs, r);
    r = content_rule(3, SK_FIELD_SMTP_RCPT_TO, "victim");
    rb_flowbit(r, SK_FLOWBIT_ISNOTSET, 0);
    rb_fake_ruleset_add(rs, r);
    struct env *e = env_new(rs, 0);
    field(e, 0, SK_FIELD_SMTP_RCPT_TO, "<victim@x>");
    assert_int_equal(count_sid(e, 2), 0);
    assert_int_equal(count_sid(e, 3), 1);
    field(e, 1, SK_FIELD_SMTP_AUTH_MECH, "LOGIN");
    field(e, 1, SK_FIELD_SMTP_RCPT_TO, "<victim@x>");
    assert_int_equal(count_sid(e, 1), 0); /* noalert */
    assert_int_equal(count_sid(e, 2), 1);
    assert_int_equal(count_sid(e, 3), 1);
    /* flowbits are per flow */
    env_new_flow(e);
    field(e, 0, SK_FIELD_SMTP_RCPT_TO, "<victim@x>");
    assert_int_equal(count_sid(e, 2), 1);
    assert_int_equal(count_sid(e, 3), 2);
    env_free(e);
}

/* A reload in the middle of a transaction: the flow moves to a new set whose rules and
 * flowbits are numbered differently; the flowbit set before stays set, a rule that alerted in
 * the open transaction does not alert again, a rule only the new set has alerts. */
static void test_detect_move_to_new_set(void **state)
{
    static const char *const old_names[] = {"authed", "other"};
    static const char *const new_names[] = {"unused", "authed"};
    struct sk_ruleset *rs = rb_fake_ruleset_new(2);
    rb_fake_ruleset_flowbit_names(rs, old_names);
    rb_fake_ruleset_add(rs, content_rule(1, SK_FIELD_SMTP_MAIL_FROM, "evil"));
    struct sk_rule *r = content_rule(10, SK_FIELD_SMTP_AUTH_MECH, "LOGIN");
    rb_flowbit(r, SK_FLOWBIT_SET, 0);
    rb_flowbit(r, SK_FLOWBIT_NOALERT, 0);
    rb_fake_ruleset_add(rs, r);
    r = content_rule(2, SK_FIELD_SMTP_RCPT_TO, "victim");
    rb_flowbit(r, SK_FLOWBIT_ISSET, 0);
    rb_fake_ruleset_add(rs, r);
    struct env *e = env_new(rs, 0);
    field(e, 0, SK_FIELD_SMTP_MAIL_FROM, "<evil@x>");
    field(e, 0, SK_FIELD_SMTP_AUTH_MECH, "LOGIN");
    assert_int_equal(count_sid(e, 1), 1);

    struct sk_ruleset *nrs = rb_fake_ruleset_new(2);
    rb_fake_ruleset_flowbit_names(nrs, new_names);
    rb_fake_ruleset_add(nrs, content_rule(3, SK_FIELD_SMTP_RCPT_TO, "victim"));
    r = content_rule(2, SK_FIELD_SMTP_RCPT_TO, "victim");
    rb_flowbit(r, SK_FLOWBIT_ISSET, 1);
    rb_fake_ruleset_add(nrs, r);
    rb_fake_ruleset_add(nrs, content_rule(1, SK_FIELD_SMTP_MAIL_FROM, "evil"));
    struct sk_detect *nd;
    struct sk_detect_remap *m;
    struct sk_detect_thread *nt;
    char err[256];
    struct sk_detect_config cfg = {0};
    assert_int_equal(sk_detect_build(&nd, nrs, &cfg, err, sizeof(err)), 0);
    assert_int_equal(sk_detect_remap_new(&m, e->d, nd), 0);
    assert_int_equal(sk_detect_remap_kept(m), 2); /* sids 1 and 2; 10 is gone */
    assert_int_equal(sk_detect_thread_move(&nt, e->t, m), 0);
    assert_int_equal(sk_detect_flow_move(e->df, nt, m), 0);
    sk_detect_thread_free(e->t);
    sk_detect_remap_free(m);
    sk_detect_free(e->d);
    rb_fake_ruleset_free(e->rs);
    e->t = nt;
    e->d = nd;
    e->rs = nrs;

    field(e, 0, SK_FIELD_SMTP_MAIL_FROM, "<evil@y>");
    field(e, 0, SK_FIELD_SMTP_RCPT_TO, "<victim@x>");
    assert_int_equal(count_sid(e, 1), 1); /* matched before the move: not again */
    assert_int_equal(count_sid(e, 2), 1); /* the flowbit, now id 1, is still set */
    assert_int_equal(count_sid(e, 3), 1); /* the new rule */
    field(e, 1, SK_FIELD_SMTP_MAIL_FROM, "<evil@z>");
    assert_int_equal(count_sid(e, 1), 2);
    struct sk_detect_stats st;
    sk_detect_thread_stats(e->t, &st);
    assert_int_equal(st.alerts, 4); /* the counters carried over */
    env_free(e);
}

/* Five matching transactions in a row, one second apart; alerts per threshold type. */
static size_t run_threshold(enum sk_thresh_type type, bool filter, uint32_t count, uint32_t seconds,
                            size_t n_tx, uint64_t step_us, char *pattern)
{
    struct sk_ruleset *rs = rb_fake_ruleset_new(0);
    struct sk_rule *r = content_rule(1, SK_FIELD_SMTP_MAIL_FROM, "spam");
    struct sk_threshold th = {type, SK_TRACK_BY_SRC, count, seconds};
    if (filter)
        r->detection_filter = th;
    else
        r->threshold = th;
    rb_fake_ruleset_add(rs, r);
    struct env *e = env_new(rs, 0);
    for (size_t i = 0; i < n_tx; i++) {
        size_t before = e->rec.n;
        field(e, i, SK_FIELD_SMTP_MAIL_FROM, "spam@x");
        pattern[i] = e->rec.n > before ? 'A' : '.';
        e->ts += step_us;
    }
    pattern[n_tx] = '\0';
    struct sk_detect_stats st;
    sk_detect_thread_stats(e->t, &st);
    assert_int_equal(st.alerts + st.suppressed, n_tx);
    size_t n = e->rec.n;
    env_free(e);
    return n;
}

static void test_detect_thresholds(void **state)
{
    char p[16];
    run_threshold(SK_THRESH_LIMIT, false, 2, 60, 6, 1000000, p);
    assert_string_equal(p, "AA....");
    run_threshold(SK_THRESH_THRESHOLD, false, 2, 60, 6, 1000000, p);
    assert_string_equal(p, ".A.A.A");
    run_threshold(SK_THRESH_BOTH, false, 2, 60, 6, 1000000, p);
    assert_string_equal(p, ".A....");
    run_threshold(SK_THRESH_DETECTION_FILTER, true, 2, 60, 6, 1000000, p);
    assert_string_equal(p, "..AAAA");
    /* the interval expires: limit starts over */
    run_threshold(SK_THRESH_LIMIT, false, 1, 10, 4, 6000000, p);
    assert_string_equal(p, "A.A.");
}

static void test_detect_threshold_by_dst_across_flows(void **state)
{
    struct sk_ruleset *rs = rb_fake_ruleset_new(0);
    struct sk_rule *r = content_rule(1, SK_FIELD_SMTP_MAIL_FROM, "spam");
    r->threshold = (struct sk_threshold){SK_THRESH_LIMIT, SK_TRACK_BY_DST, 1, 60};
    rb_fake_ruleset_add(rs, r);
    r = content_rule(2, SK_FIELD_SMTP_MAIL_FROM, "spam");
    r->threshold = (struct sk_threshold){SK_THRESH_LIMIT, SK_TRACK_BY_FLOW, 1, 60};
    rb_fake_ruleset_add(rs, r);
    struct env *e = env_new(rs, 0);
    field(e, 0, SK_FIELD_SMTP_MAIL_FROM, "spam");
    env_new_flow(e);
    field(e, 0, SK_FIELD_SMTP_MAIL_FROM, "spam");
    assert_int_equal(count_sid(e, 1), 1);
    assert_int_equal(count_sid(e, 2), 2);
    e->f.resp_h.bytes[3] = 9; /* another server */
    env_new_flow(e);
    field(e, 0, SK_FIELD_SMTP_MAIL_FROM, "spam");
    assert_int_equal(count_sid(e, 1), 2);
    env_free(e);
}

static void test_detect_app_layer_event(void **state)
{
    struct sk_ruleset *rs = rb_fake_ruleset_new(0);
    struct sk_rule *r = rb_rule_new(1);
    rb_app_event(r, SK_ANOMALY_INVALID_REPLY);
    rb_fake_ruleset_add(rs, r);
    struct env *e = env_new(rs, 0);
    anomaly(e, SK_TX_NONE, SK_ANOMALY_TLS_REJECTED);
    assert_int_equal(e->rec.n, 0);
    anomaly(e, SK_TX_NONE, SK_ANOMALY_INVALID_REPLY);
    anomaly(e, SK_TX_NONE, SK_ANOMALY_INVALID_REPLY);
    assert_int_equal(e->rec.n, 1);
    assert_true(e->rec.a[0].tx == SK_TX_NONE);
    anomaly(e, 0, SK_ANOMALY_TLS_REJECTED);
    assert_int_equal(e->rec.n, 1);
    anomaly(e, 0, SK_ANOMALY_INVALID_REPLY);
    assert_int_equal(e->rec.n, 2);
    env_free(e);
}

static void test_detect_flow_direction_and_header(void **state)
{
    struct sk_ruleset *rs = rb_fake_ruleset_new(0);
    struct sk_rule *r = content_rule(1, SK_BUF_SMTP_LINE, "550 ");
    r->flow_flags = SK_FLOW_TO_CLIENT | SK_FLOW_ESTABLISHED;
    rb_fake_ruleset_add(rs, r);
    r = content_rule(2, SK_BUF_SMTP_LINE, "550 ");
    r->flow_flags = SK_FLOW_TO_SERVER;
    rb_fake_ruleset_add(rs, r);
    /* alert smtp any any -> any 25: matches the client's data only */
    static struct sk_port_range p25 = {25, 25, false};
    r = content_rule(3, SK_BUF_SMTP_LINE, "MAIL FROM:<x>");
    r->dport = (struct sk_port_set){false, 1, &p25};
    rb_fake_ruleset_add(rs, r);
    r = content_rule(4, SK_BUF_SMTP_LINE, "550 ");
    r->dport = (struct sk_port_set){false, 1, &p25};
    rb_fake_ruleset_add(rs, r);
    /* <> matches either way */
    r = content_rule(5, SK_BUF_SMTP_LINE, "550 ");
    r->dport = (struct sk_port_set){false, 1, &p25};
    r->bidirectional = true;
    rb_fake_ruleset_add(rs, r);
    struct env *e = env_new(rs, 0);
    request(e, 0, "MAIL", "FROM:<x>");
    reply(e, 0, 550, "no such user");
    assert_int_equal(count_sid(e, 1), 1);
    assert_int_equal(count_sid(e, 2), 0);
    assert_int_equal(count_sid(e, 3), 1);
    assert_int_equal(count_sid(e, 4), 0);
    assert_int_equal(count_sid(e, 5), 1);
    e->f.state = SK_TCP_SYN_SENT;
    reply(e, 1, 550, "again");
    assert_int_equal(count_sid(e, 1), 1);
    env_free(e);
}

static void test_detect_reply_code_and_contentless(void **state)
{
    struct sk_ruleset *rs = rb_fake_ruleset_new(0);
    struct sk_rule *r = rb_rule_new(1);
    rb_number(rb_group(r, SK_FIELD_SMTP_REPLY_CODE), SK_NUM_GE, 500, 0);
    rb_fake_ruleset_add(rs, r);
    rb_fake_ruleset_add(rs, rb_rule_new(2)); /* no condition: once per transaction */
    r = rb_rule_new(3);
    r->needs_starttls = true;
    rb_fake_ruleset_add(rs, r);
    struct env *e = env_new(rs, 0);
    number(e, 0, SK_FIELD_SMTP_REPLY_CODE, 250);
    assert_int_equal(count_sid(e, 1), 0);
    assert_int_equal(count_sid(e, 2), 1);
    number(e, 0, SK_FIELD_SMTP_REPLY_CODE, 554);
    assert_int_equal(count_sid(e, 1), 1);
    assert_int_equal(count_sid(e, 2), 1);
    field(e, 1, SK_FIELD_SMTP_HELO, "x");
    assert_int_equal(count_sid(e, 2), 2);
    assert_int_equal(count_sid(e, 3), 0);
    struct sk_event ev = {.type = SK_EV_SMTP_STARTTLS, .tx_id = 1};
    send(e, &ev);
    assert_int_equal(count_sid(e, 3), 1);
    env_free(e);
}

static void test_detect_tcp_stream_once_per_flow(void **state)
{
    struct sk_ruleset *rs = rb_fake_ruleset_new(0);
    struct sk_rule *r = content_rule(1, SK_BUF_STREAM, "EHLO evil");
    r->proto = SK_PROTO_TCP;
    rb_fake_ruleset_add(rs, r);
    r = content_rule(2, SK_BUF_STREAM, "220 ");
    r->proto = SK_PROTO_TCP;
    r->flow_flags = SK_FLOW_TO_SERVER;
    rb_fake_ruleset_add(rs, r);
    struct env *e = env_new(rs, 0);
    sk_detect_stream(e->t, e->df, &e->f, false, (const uint8_t *)"220 mx\r\n", 8, e->ts);
    sk_detect_stream(e->t, e->df, &e->f, true, (const uint8_t *)"EHLO ev", 7, e->ts);
    sk_detect_stream(e->t, e->df, &e->f, true, (const uint8_t *)"il\r\nEHLO evil\r\n", 15, e->ts);
    assert_int_equal(count_sid(e, 1), 1);
    assert_int_equal(count_sid(e, 2), 0);
    assert_true(e->rec.a[0].tx == SK_TX_NONE);
    env_free(e);
}

static void test_detect_fast_pattern_chop_and_transform(void **state)
{
    struct sk_ruleset *rs = rb_fake_ruleset_new(0);
    struct sk_rule *r = rb_rule_new(1);
    struct sk_content *c = rb_content(rb_group(r, SK_FIELD_EMAIL_SUBJECT), "xxEVILyy");
    c->fast_pattern = true;
    c->fp_chop_offset = 2;
    c->fp_chop_len = 4;
    rb_fake_ruleset_add(rs, r);
    r = rb_rule_new(2);
    struct sk_buffer_group *g = rb_group(r, SK_FIELD_EMAIL_SUBJECT);
    rb_transform(g, SK_XFORM_TO_LOWERCASE);
    rb_content(g, "invoice");
    rb_fake_ruleset_add(rs, r);
    struct env *e = env_new(rs, 0);
    field(e, 0, SK_FIELD_EMAIL_SUBJECT, "EVIL");
    field(e, 1, SK_FIELD_EMAIL_SUBJECT, "..xxEVILyy..");
    field(e, 2, SK_FIELD_EMAIL_SUBJECT, "Your INVOICE");
    assert_int_equal(e->rec.n, 2);
    assert_int_equal(e->rec.a[0].sid, 1);
    assert_int_equal(e->rec.a[0].tx, 1);
    assert_int_equal(e->rec.a[1].sid, 2);
    env_free(e);
}

static void test_detect_pass_stops_flow(void **state)
{
    struct sk_ruleset *rs = rb_fake_ruleset_new(0);
    struct sk_rule *r = content_rule(1, SK_FIELD_SMTP_HELO, "trusted");
    r->action = SK_ACTION_PASS;
    rb_fake_ruleset_add(rs, r);
    rb_fake_ruleset_add(rs, content_rule(2, SK_FIELD_SMTP_MAIL_FROM, "x"));
    struct env *e = env_new(rs, 0);
    field(e, 0, SK_FIELD_SMTP_HELO, "trusted.example");
    field(e, 0, SK_FIELD_SMTP_MAIL_FROM, "x");
    assert_int_equal(e->rec.n, 0);
    env_free(e);
}

static void test_detect_bad_pcre_disables_one_rule(void **state)
{
    struct sk_ruleset *rs = rb_fake_ruleset_new(0);
    struct sk_rule *r = content_rule(1, SK_FIELD_SMTP_MAIL_FROM, "x");
    rb_pcre(&r->groups[0], "a", 0);
    free(r->groups[0].matches[1].u.pcre.pattern);
    r->groups[0].matches[1].u.pcre.pattern = strdup("(unclosed");
    rb_fake_ruleset_add(rs, r);
    rb_fake_ruleset_add(rs, content_rule(2, SK_FIELD_SMTP_MAIL_FROM, "x"));
    struct env *e = env_new(rs, 0);
    field(e, 0, SK_FIELD_SMTP_MAIL_FROM, "xa");
    assert_int_equal(e->rec.n, 1);
    assert_int_equal(e->rec.a[0].sid, 2);
    env_free(e);
}

/* Hyperscan refuses a 5000-byte literal: that rule loses its prefilter, keeps working, and
 * the rest of the database is built. */
static void test_detect_refused_pattern_keeps_rule(void **state)
{
    static uint8_t big[5000];
    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (uint8_t)('a' + (i * 7) % 26);
    struct sk_ruleset *rs = rb_fake_ruleset_new(0);
    struct sk_rule *r = rb_rule_new(1);
    rb_content_bytes(rb_group(r, SK_FIELD_SMTP_MAIL_FROM), big, sizeof(big));
    rb_fake_ruleset_add(rs, r);
    rb_fake_ruleset_add(rs, content_rule(2, SK_FIELD_SMTP_MAIL_FROM, "zzz"));
    struct env *e = env_new(rs, 0);
    field(e, 0, SK_FIELD_SMTP_MAIL_FROM, "zzz");
    field_n(e, 1, SK_FIELD_SMTP_MAIL_FROM, big, sizeof(big), 0);
    field_n(e, 2, SK_FIELD_SMTP_MAIL_FROM, big, sizeof(big) - 1, 0);
    assert_int_equal(e->rec.n, 2);
    assert_int_equal(e->rec.a[0].sid, 2);
    assert_int_equal(e->rec.a[1].sid, 1);
    assert_int_equal(e->rec.a[1].tx, 1);
    env_free(e);
}

/* detect.cache-dir: the second build loads the serialized databases and matches the same. */
static void test_detect_cache_dir(void **state)
{
    char dir[] = "/tmp/shrike-hscache-XXXXXX";
    assert_non_null(mkdtemp(dir));
    for (int round = 0; round < 2; round++) {
        struct sk_ruleset *rs = rb_fake_ruleset_new(0);
        rb_fake_ruleset_add(rs, content_rule(1, SK_FIELD_SMTP_MAIL_FROM, "cached"));
        rb_fake_ruleset_add(rs, content_rule(2, SK_FIELD_SMTP_DATA, "streamed"));
        struct sk_detect_config cfg = {.cache_dir = dir};
        struct sk_detect *d;
        struct sk_detect_thread *t;
        struct sk_detect_flow *df;
        struct rec *rec = calloc(1, sizeof(*rec));
        char err[128];
        struct sk_flow f = {.flow_id = 1, .state = SK_TCP_ESTABLISHED};
        assert_int_equal(sk_detect_build(&d, rs, &cfg, err, sizeof(err)), 0);
        assert_int_equal(sk_detect_thread_new(&t, d, on_alert, rec), 0);
        struct sk_detect_stats st;
        sk_detect_thread_stats(t, &st);
        assert_int_equal(st.from_cache, round == 1);
        assert_int_equal(sk_detect_flow_new(&df, t, &f), 0);
        struct sk_event ev = {.type = SK_EV_FIELD, .is_orig = true, .tx_id = 0};
        ev.u.field.id = SK_FIELD_SMTP_MAIL_FROM;
        ev.u.field.value = (struct sk_str){(const uint8_t *)"cached", 6};
        sk_detect_event(t, df, &f, &ev, 0);
        ev.u.field.id = SK_FIELD_SMTP_DATA;
        ev.u.field.value = (struct sk_str){(const uint8_t *)"streamed", 8};
        sk_detect_event(t, df, &f, &ev, 0);
        assert_int_equal(rec->n, 2);
        sk_detect_flow_free(df);
        sk_detect_thread_free(t);
        sk_detect_free(d);
        rb_fake_ruleset_free(rs);
        free(rec);
    }
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static struct sk_addr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
    struct sk_addr x = {.family = 4, .bytes = {a, b, c, d}};
    return x;
}

static void test_detect_address_sets(void **state)
{
    struct sk_rule *r = rb_rule_new(1);
    struct sk_addr_range src[] = {{v4(10, 0, 0, 0), v4(10, 255, 255, 255), false},
                                  {v4(10, 0, 0, 1), v4(10, 0, 0, 1), true}};
    struct sk_port_range sport[] = {{1024, 65535, false}, {40001, 40001, true}};
    r->src = (struct sk_addr_set){false, 2, src};
    r->sport = (struct sk_port_set){false, 2, sport};
    struct sk_flow f = {
        .orig_h = v4(10, 0, 0, 5), .resp_h = v4(192, 0, 2, 1), .orig_p = 40000, .resp_p = 25};
    assert_true(sk_cond_header(r, &f, true));
    assert_false(sk_cond_header(r, &f, false)); /* the server sends: its address is the source */
    f.orig_p = 40001;
    assert_false(sk_cond_header(r, &f, true));
    f.orig_p = 40000;
    f.orig_h = v4(10, 0, 0, 1);
    assert_false(sk_cond_header(r, &f, true));
    f.orig_h = v4(11, 0, 0, 1);
    assert_false(sk_cond_header(r, &f, true));
    /* IPv6 against an IPv4 set never matches; an IPv6 range does */
    f.orig_h = (struct sk_addr){.family = 6, .bytes = {0x20, 0x01, 0x0d, 0xb8, [15] = 1}};
    assert_false(sk_cond_header(r, &f, true));
    struct sk_addr_range v6[] = {{{.family = 6, .bytes = {0x20, 0x01, 0x0d, 0xb8}},
                                  {.family = 6,
                                   .bytes = {0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff, 0xff, 0xff, 0xff,
                                             0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
                                  false}};
    r->src = (struct sk_addr_set){false, 1, v6};
    assert_true(sk_cond_header(r, &f, true));
    /* only negated entries: everything else matches */
    r->src = (struct sk_addr_set){false, 1, &src[1]};
    f.orig_h = v4(10, 0, 0, 2);
    assert_true(sk_cond_header(r, &f, true));
    rb_rule_free(r);
}

static void test_detect_flowbits_or_and(void **state)
{
    struct sk_rule *r = rb_rule_new(1);
    uint32_t ids[2] = {0, 1};
    struct sk_flowbit fb = {SK_FLOWBIT_ISSET, 2, ids, false};
    r->flowbits = &fb;
    r->n_flowbits = 1;
    uint8_t bits[1] = {0};
    assert_false(sk_cond_flowbits(r, bits, 2));
    sk_bit_put(bits, 1, true);
    assert_true(sk_cond_flowbits(r, bits, 2)); /* a|b */
    fb.and_names = true;
    assert_false(sk_cond_flowbits(r, bits, 2)); /* a&b */
    sk_bit_put(bits, 0, true);
    assert_true(sk_cond_flowbits(r, bits, 2));
    fb.cmd = SK_FLOWBIT_TOGGLE;
    sk_cond_flowbits_apply(r, bits, 2);
    assert_int_equal(bits[0], 0);
    r->flowbits = NULL;
    r->n_flowbits = 0;
    rb_rule_free(r);
}

/* Events outside a transaction belong to the open one until it closes; after the close
 * they start a new context, and a reply continuation line reads CODE-msg. */
static void test_detect_tx_none_and_lines(void **state)
{
    struct sk_ruleset *rs = rb_fake_ruleset_new(0);
    rb_fake_ruleset_add(rs, content_rule(1, SK_BUF_SMTP_LINE, "250-PIPELINING"));
    struct sk_rule *r = content_rule(2, SK_FIELD_SMTP_MAIL_FROM, "a@b");
    rb_content(rb_group(r, SK_BUF_SMTP_LINE), "QUIT");
    rb_fake_ruleset_add(rs, r);
    struct env *e = env_new(rs, 0);
    struct sk_event ev = {.type = SK_EV_SMTP_REPLY, .tx_id = SK_TX_NONE};
    ev.u.reply.code = 250;
    ev.u.reply.msg = (struct sk_str){(const uint8_t *)"PIPELINING", 10};
    ev.u.reply.cont_resp = true;
    send(e, &ev);
    assert_int_equal(count_sid(e, 1), 1);
    field(e, 0, SK_FIELD_SMTP_MAIL_FROM, "a@b");
    request(e, SK_TX_NONE, "QUIT", "");
    assert_int_equal(count_sid(e, 2), 1);
    struct sk_event close = {.type = SK_EV_TX_CLOSE, .tx_id = 0};
    send(e, &close);
    request(e, SK_TX_NONE, "QUIT", "");
    assert_int_equal(count_sid(e, 2), 1); /* mail_from belonged to the closed tx */
    env_free(e);
}

/* An empty stream instance (a body part with no bytes) is inspected like an empty value. */
static void test_detect_empty_stream_instance(void **state)
{
    struct sk_ruleset *rs = rb_fake_ruleset_new(0);
    struct sk_rule *r = rb_rule_new(1);
    rb_bsize(rb_group(r, SK_FIELD_FILE_DATA), SK_NUM_EQ, 0, 0);
    rb_fake_ruleset_add(rs, r);
    r = content_rule(2, SK_FIELD_FILE_DATA, "x");
    r->groups[0].matches[0].u.content.negated = true;
    rb_fake_ruleset_add(rs, r);
    struct env *e = env_new(rs, 0);
    field_n(e, 0, SK_FIELD_FILE_DATA, NULL, 0, SK_FIELD_F_BEGIN | SK_FIELD_F_END);
    assert_int_equal(count_sid(e, 1), 1);
    assert_int_equal(count_sid(e, 2), 1);
    env_free(e);
}

/* A rule with only a pcre is prefiltered by Hyperscan (prefilter mode) when the regex
 * allows it, across stream chunks too; an anchored one is inspected on every chunk. */
static void test_detect_pcre_only_prefilter(void **state)
{
    struct sk_ruleset *rs = rb_fake_ruleset_new(0);
    struct sk_rule *r = rb_rule_new(1);
    rb_pcre(rb_group(r, SK_FIELD_SMTP_DATA), "evil[0-9]{2,4}payload", 0x8u /* caseless */);
    rb_fake_ruleset_add(rs, r);
    struct env *e = env_new(rs, 0);
    struct sk_detect_stats st;
    field_n(e, 0, SK_FIELD_SMTP_DATA, "harmless text", 13, SK_FIELD_F_BEGIN);
    field_n(e, 0, SK_FIELD_SMTP_DATA, " EVIL12", 7, 0);
    sk_detect_thread_stats(e->t, &st);
    assert_int_equal(st.inspections, 0);
    field_n(e, 0, SK_FIELD_SMTP_DATA, "3PayLoad", 8, SK_FIELD_F_END);
    sk_detect_thread_stats(e->t, &st);
    assert_int_equal(st.candidates, 1);
    assert_int_equal(count_sid(e, 1), 1);
    env_free(e);

    rs = rb_fake_ruleset_new(0);
    r = rb_rule_new(1);
    rb_pcre(rb_group(r, SK_FIELD_SMTP_DATA), "^evil", 0);
    rb_fake_ruleset_add(rs, r);
    e = env_new(rs, 0);
    field_n(e, 0, SK_FIELD_SMTP_DATA, "harmless", 8, SK_FIELD_F_BEGIN);
    sk_detect_thread_stats(e->t, &st);
    assert_int_equal(st.inspections, 1);
    env_free(e);
}

/* base64_decode feeds base64_data through detection, on both paths: the rule's base64_data
 * group is evaluated by the decode (never on its own), base64_data gives no fast pattern,
 * a base64_decode without base64_data never matches. The message arrives in chunks. */
static void test_detect_base64_decode(void **state)
{
    static const char msg[] =
        "Content-Type: application/octet-stream; name=\"a.exe\"\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n"
        "TVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\r\n"
        "AAAAVGhpcyBwcm9ncmFtIGNhbm5vdCBiZSBydW4gaW4gRE9TIG1vZGUu\r\n\r\n--b--\r\n";
    for (int mode = 0; mode < 2; mode++) {
        struct sk_ruleset *rs = rb_fake_ruleset_new(0);
        struct sk_rule *r = rb_rule_new(1); /* matches: MZ at the start of the decoded part */
        struct sk_buffer_group *g = rb_group(r, SK_FIELD_SMTP_DATA);
        rb_content(g, "base64");
        rb_content(g, "\r\n\r\n")->distance = 0;
        rb_base64_decode(g, 0, 0, true);
        g = rb_group(r, SK_BUF_BASE64_DATA);
        rb_content(g, "MZ")->startswith = true;
        rb_content(g, "DOS mode")->distance = 0;
        rb_fake_ruleset_add(rs, r);
        r = rb_rule_new(2); /* the decoded part is not an ELF */
        g = rb_group(r, SK_FIELD_SMTP_DATA);
        rb_content(g, "base64");
        rb_base64_decode(g, 0, 0, true);
        rb_content(rb_group(r, SK_BUF_BASE64_DATA), "\x7f"
                                                    "ELF")
            ->startswith = true;
        rb_fake_ruleset_add(rs, r);
        r = rb_rule_new(3); /* no base64_data: never */
        g = rb_group(r, SK_FIELD_SMTP_DATA);
        rb_content(g, "base64");
        rb_base64_decode(g, 0, 0, true);
        rb_fake_ruleset_add(rs, r);
        /* no content outside base64_data: no prefilter, still found (the headers before the
         * body hold 72 alphabet characters, so the body decodes in step) */
        r = rb_rule_new(4);
        rb_base64_decode(rb_group(r, SK_FIELD_SMTP_DATA), 0, 0, false);
        rb_content(rb_group(r, SK_BUF_BASE64_DATA), "cannot be run");
        rb_fake_ruleset_add(rs, r);
        struct env *e = env_new_mode(rs, 0, mode == 1);
        size_t n = sizeof(msg) - 1, cut1 = 40, cut2 = 150;
        field_n(e, 0, SK_FIELD_SMTP_DATA, msg, cut1, SK_FIELD_F_BEGIN);
        field_n(e, 0, SK_FIELD_SMTP_DATA, msg + cut1, cut2 - cut1, 0);
        field_n(e, 0, SK_FIELD_SMTP_DATA, msg + cut2, n - cut2, SK_FIELD_F_END);
        if (count_sid(e, 1) != 1 || count_sid(e, 2) != 0 || count_sid(e, 3) != 0 ||
            count_sid(e, 4) != 1)
            fail_msg("mode %d: sids 1-4 alerted %zu %zu %zu %zu times", mode, count_sid(e, 1),
                     count_sid(e, 2), count_sid(e, 3), count_sid(e, 4));
        env_free(e);
    }
}

/* A transform on a stream buffer cannot be prefiltered chunk by chunk: the rule is
 * inspected on every chunk instead, and still matches. Transforms on a multi buffer get
 * their own prefilter database. */
static void test_detect_transforms_in_detection(void **state)
{
    struct sk_ruleset *rs = rb_fake_ruleset_new(0);
    struct sk_rule *r = rb_rule_new(1);
    struct sk_buffer_group *g = rb_group(r, SK_FIELD_FILE_DATA);
    rb_transform(g, SK_XFORM_FROM_BASE64);
    rb_content(g, "MZ")->startswith = true;
    rb_fake_ruleset_add(rs, r);
    r = rb_rule_new(2);
    g = rb_group(r, SK_FIELD_EMAIL_URL);
    rb_transform(g, SK_XFORM_URL_DECODE);
    rb_content(g, "/login.php?user=");
    rb_fake_ruleset_add(rs, r);
    struct env *e = env_new(rs, 0);
    field_n(e, 0, SK_FIELD_FILE_DATA, "TV", 2, SK_FIELD_F_BEGIN);
    field_n(e, 0, SK_FIELD_FILE_DATA, "qQAAMAAAAEAAAA", 14, SK_FIELD_F_END);
    assert_int_equal(count_sid(e, 1), 1);
    field(e, 0, SK_FIELD_EMAIL_URL, "http://x.example/index.html");
    field(e, 0, SK_FIELD_EMAIL_URL, "http://x.example/%6cogin.php%3Fuser=a");
    assert_int_equal(count_sid(e, 2), 1);
    env_free(e);
}

/* Memory held for a transaction is given back when the next one starts. */
static void test_detect_memuse_follows_transactions(void **state)
{
    struct sk_ruleset *rs = rb_fake_ruleset_new(0);
    rb_fake_ruleset_add(rs, content_rule(1, SK_FIELD_SMTP_RCPT_TO, "nobody-matches-this"));
    rb_fake_ruleset_add(rs, content_rule(2, SK_FIELD_SMTP_DATA, "nobody-matches-this"));
    struct env *e = env_new(rs, 0);
    size_t base = sk_detect_flow_memuse(e->df);
    char v[1000];
    memset(v, 'r', sizeof(v));
    for (int i = 0; i < 50; i++)
        field_n(e, 0, SK_FIELD_SMTP_RCPT_TO, v, sizeof(v), 0);
    field_n(e, 0, SK_FIELD_SMTP_DATA, v, sizeof(v), SK_FIELD_F_BEGIN);
    size_t during = sk_detect_flow_memuse(e->df);
    assert_true(during >= base + 50 * sizeof(v));
    field_n(e, 0, SK_FIELD_SMTP_DATA, v, sizeof(v), SK_FIELD_F_END);
    field(e, 1, SK_FIELD_SMTP_RCPT_TO, "x");
    size_t after = sk_detect_flow_memuse(e->df);
    assert_true(after < during - 50 * sizeof(v));
    env_free(e);
}

/* ---- bytes scanned ---- */

/* Each byte of a stream instance is scanned once by its database and counted, per buffer
 * and in total; a buffer no rule uses is neither scanned nor kept. */
static void test_detect_bytes_scanned_counts_each_byte_once(void **state)
{
    struct sk_ruleset *rs = rb_fake_ruleset_new(0);
    rb_fake_ruleset_add(rs, content_rule(1, SK_FIELD_SMTP_DATA, "needle"));
    rb_fake_ruleset_add(rs, content_rule(2, SK_FIELD_SMTP_MAIL_FROM, "evil"));
    struct env *e = env_new(rs, 0);
    field_n(e, 0, SK_FIELD_SMTP_DATA, "Subject: hi\r\n\r\nnee", 18, SK_FIELD_F_BEGIN);
    field_n(e, 0, SK_FIELD_SMTP_DATA, "dle\r\n", 5, SK_FIELD_F_END);
    field(e, 0, SK_FIELD_SMTP_MAIL_FROM, "<a@b.example>");
    size_t before = sk_detect_flow_memuse(e->df);
    for (int i = 0; i < 20; i++)
        field(e, 0, SK_FIELD_EMAIL_SUBJECT, "nobody matches on the subject");
    assert_int_equal(sk_detect_flow_memuse(e->df), before);
    struct sk_detect_stats st;
    sk_detect_thread_stats(e->t, &st);
    assert_int_equal(st.buf_scanned[SK_FIELD_SMTP_DATA], 23);
    assert_int_equal(st.buf_scanned[SK_FIELD_SMTP_MAIL_FROM], 13);
    assert_int_equal(st.buf_scanned[SK_FIELD_EMAIL_SUBJECT], 0);
    assert_int_equal(st.bytes_scanned, 23 + 13);
    assert_int_equal(count_sid(e, 1), 1);
    env_free(e);
}

/* The stream of a direction no rule inspects is not scanned (nor windowed). */
static void test_detect_direction_without_rules_scans_nothing(void **state)
{
    struct sk_ruleset *rs = rb_fake_ruleset_new(0);
    struct sk_rule *r = content_rule(1, SK_BUF_STREAM, "EHLO evil");
    r->proto = SK_PROTO_TCP;
    r->flow_flags = SK_FLOW_TO_SERVER;
    rb_fake_ruleset_add(rs, r);
    struct env *e = env_new(rs, 0);
    sk_detect_stream(e->t, e->df, &e->f, false, (const uint8_t *)"220 EHLO evil\r\n", 15, e->ts);
    size_t after_reply = sk_detect_flow_memuse(e->df);
    struct sk_detect_stats st;
    sk_detect_thread_stats(e->t, &st);
    assert_int_equal(st.buf_scanned[SK_BUF_STREAM], 0);
    assert_int_equal(count_sid(e, 1), 0);
    sk_detect_stream(e->t, e->df, &e->f, true, (const uint8_t *)"EHLO ev", 7, e->ts);
    sk_detect_stream(e->t, e->df, &e->f, true, (const uint8_t *)"il\r\n", 4, e->ts);
    sk_detect_thread_stats(e->t, &st);
    assert_int_equal(st.buf_scanned[SK_BUF_STREAM], 11);
    assert_int_equal(st.bytes_scanned, 11);
    assert_int_equal(count_sid(e, 1), 1);
    assert_true(sk_detect_flow_memuse(e->df) > after_reply);
    env_free(e);
}

/* A database whose patterns are all anchored by depth scans only the bytes they can
 * reach, and still finds a match within them. */
static void test_detect_depth_cuts_scan(void **state)
{
    struct sk_ruleset *rs = rb_fake_ruleset_new(0);
    struct sk_rule *r = rb_rule_new(1);
    rb_content(rb_group(r, SK_FIELD_SMTP_RCPT_TO), "evil")->depth = 10;
    rb_fake_ruleset_add(rs, r);
    r = rb_rule_new(2);
    struct sk_content *c = rb_content(rb_group(r, SK_FIELD_SMTP_RCPT_TO), "bad");
    c->offset = 2;
    c->depth = 6;
    rb_fake_ruleset_add(rs, r);
    struct env *e = env_new(rs, 0);
    char v[200];
    memset(v, 'x', sizeof(v));
    memcpy(v + 100, "evil", 4);
    field_n(e, 0, SK_FIELD_SMTP_RCPT_TO, v, sizeof(v), 0); /* past the depth: no match */
    memcpy(v + 5, "evil", 4);
    field_n(e, 0, SK_FIELD_SMTP_RCPT_TO, v, sizeof(v), 0);
    struct sk_detect_stats st;
    sk_detect_thread_stats(e->t, &st);
    assert_int_equal(count_sid(e, 1), 1);
    assert_int_equal(count_sid(e, 2), 0);
    assert_int_equal(st.buf_scanned[SK_FIELD_SMTP_RCPT_TO], 2 * 10);
    env_free(e);
}

/* Each message gets a fresh prefilter stream state: a pattern split across the end of one
 * message and the start of the next is not a match, one split inside a message is. */
static void test_detect_stream_reset_between_instances(void **state)
{
    struct sk_ruleset *rs = rb_fake_ruleset_new(0);
    rb_fake_ruleset_add(rs, content_rule(1, SK_FIELD_SMTP_DATA, "needle"));
    struct env *e = env_new(rs, 0);
    field_n(e, 0, SK_FIELD_SMTP_DATA, "a nee", 5, SK_FIELD_F_BEGIN | SK_FIELD_F_END);
    field_n(e, 1, SK_FIELD_SMTP_DATA, "dle b", 5, SK_FIELD_F_BEGIN | SK_FIELD_F_END);
    assert_int_equal(count_sid(e, 1), 0);
    size_t mem = sk_detect_flow_memuse(e->df);
    field_n(e, 2, SK_FIELD_SMTP_DATA, "no match", 8, SK_FIELD_F_BEGIN | SK_FIELD_F_END);
    assert_int_equal(sk_detect_flow_memuse(e->df), mem); /* the stream state is reused */
    field_n(e, 3, SK_FIELD_SMTP_DATA, "a nee", 5, SK_FIELD_F_BEGIN);
    field_n(e, 3, SK_FIELD_SMTP_DATA, "dle b", 5, SK_FIELD_F_END);
    assert_int_equal(count_sid(e, 1), 1);
    env_free(e);
}

/* A part's window outlives the part while a rule could still be confirmed against it:
 * here by an anomaly raised after the part ended (an anchored pcre: no fast pattern). */
static void test_detect_window_kept_for_later_trigger(void **state)
{
    struct sk_ruleset *rs = rb_fake_ruleset_new(0);
    struct sk_rule *r = rb_rule_new(1);
    rb_pcre(rb_group(r, SK_FIELD_FILE_DATA), "^the payload", 0);
    rb_app_event(r, SK_ANOMALY_INVALID_REPLY);
    rb_fake_ruleset_add(rs, r);
    struct env *e = env_new(rs, 0);
    field_n(e, 0, SK_FIELD_FILE_DATA, "the payload", 11, SK_FIELD_F_BEGIN | SK_FIELD_F_END);
    assert_int_equal(count_sid(e, 1), 0);
    anomaly(e, 0, SK_ANOMALY_INVALID_REPLY);
    assert_int_equal(count_sid(e, 1), 1);
    env_free(e);
}

/* ---- one compiled set, several workers ---- */

struct worker {
    const struct sk_detect *d;
    struct rec *rec;
    int rc;
};

static void *worker_run(void *arg)
{
    struct worker *w = arg;
    struct sk_detect_thread *t;
    struct sk_detect_flow *df;
    struct sk_flow f = {.flow_id = 7, .state = SK_TCP_ESTABLISHED};
    w->rc = sk_detect_thread_new(&t, w->d, on_alert, w->rec);
    if (w->rc != 0)
        return NULL;
    if ((w->rc = sk_detect_flow_new(&df, t, &f)) != 0) {
        sk_detect_thread_free(t);
        return NULL;
    }
    for (uint64_t tx = 0; tx < 200; tx++) {
        char from[32];
        snprintf(from, sizeof(from), "<user%llu@bad%llu.example>", (unsigned long long)tx,
                 (unsigned long long)(tx % 5));
        struct sk_event ev = {.type = SK_EV_FIELD, .is_orig = true, .tx_id = tx};
        ev.u.field.id = SK_FIELD_SMTP_MAIL_FROM;
        ev.u.field.value = (struct sk_str){(const uint8_t *)from, strlen(from)};
        sk_detect_event(t, df, &f, &ev, tx * 1000000);
        ev.u.field.id = SK_FIELD_SMTP_DATA;
        ev.u.field.flags = SK_FIELD_F_BEGIN | SK_FIELD_F_END;
        ev.u.field.value = (struct sk_str){(const uint8_t *)"X-Mailer: bad3 mailer\r\n", 23};
        sk_detect_event(t, df, &f, &ev, tx * 1000000);
    }
    sk_detect_flow_end(t, df, &f, 0);
    sk_detect_flow_free(df);
    sk_detect_thread_free(t);
    return NULL;
}

/* Workers share the compiled set and get the same alerts as one worker alone. */
static void test_detect_shared_by_threads(void **state)
{
    struct sk_ruleset *rs = rb_fake_ruleset_new(0);
    rb_fake_ruleset_add(rs, content_rule(1, SK_FIELD_SMTP_MAIL_FROM, "@bad3."));
    rb_fake_ruleset_add(rs, content_rule(2, SK_FIELD_SMTP_DATA, "bad3 mailer"));
    struct sk_rule *r = rb_rule_new(3);
    rb_pcre(rb_group(r, SK_FIELD_SMTP_MAIL_FROM), "user1[0-9]*@", 0);
    rb_fake_ruleset_add(rs, r);
    struct sk_detect *d;
    char err[128];
    assert_int_equal(sk_detect_build(&d, rs, NULL, err, sizeof(err)), 0);
    struct rec *solo = calloc(1, sizeof(*solo));
    struct worker one = {d, solo, -1};
    worker_run(&one);
    assert_int_equal(one.rc, 0);
    assert_int_equal(solo->n, 40 + 200 + 111);
    enum { N = 4 };
    pthread_t th[N];
    struct worker w[N];
    for (int i = 0; i < N; i++) {
        w[i] = (struct worker){d, calloc(1, sizeof(struct rec)), -1};
        assert_int_equal(pthread_create(&th[i], NULL, worker_run, &w[i]), 0);
    }
    for (int i = 0; i < N; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_int_equal(w[i].rc, 0);
        assert_int_equal(w[i].rec->n, solo->n);
        assert_memory_equal(w[i].rec->a, solo->a, solo->n * sizeof(solo->a[0]));
        free(w[i].rec);
    }
    free(solo);
    sk_detect_free(d);
    rb_fake_ruleset_free(rs);
}

/* ---- differential: Hyperscan path against the reference matcher ---- */

struct prng {
    uint64_t s;
};

static uint64_t rnd(struct prng *p)
{
    p->s ^= p->s << 13;
    p->s ^= p->s >> 7;
    p->s ^= p->s << 17;
    return p->s;
}

static unsigned below(struct prng *p, unsigned n)
{
    return (unsigned)(rnd(p) % n);
}

#define N_WORDS 16
#define N_RULES 400
#define N_TX    60

static const char alphabet[] = "abcdeABCDE01-@ ";

static void random_word(struct prng *p, char *w, size_t n)
{
    for (size_t i = 0; i < n; i++)
        w[i] = alphabet[below(p, sizeof(alphabet) - 1)];
    w[n] = '\0';
}

static const int diff_buffers[] = {SK_FIELD_SMTP_MAIL_FROM, SK_FIELD_SMTP_RCPT_TO,
                                   SK_FIELD_SMTP_DATA, SK_FIELD_EMAIL_SUBJECT};

static void pcre_escape(const char *w, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (strchr("-@ ", w[i]) != NULL)
            out[o++] = '\\';
        out[o++] = w[i];
    }
    out[o] = '\0';
}

static void random_group(struct prng *p, struct sk_rule *r, int buffer, char words[][8])
{
    struct sk_buffer_group *g = rb_group(r, buffer);
    if (below(p, 10) == 0)
        rb_transform(g, SK_XFORM_TO_LOWERCASE);
    unsigned n = 1 + below(p, 3);
    for (unsigned i = 0; i < n; i++) {
        const char *w = words[below(p, N_WORDS)];
        size_t wl = strlen(w);
        if (below(p, 5) == 0) {
            char pat[64], a[16], b[16];
            size_t cut = 1 + below(p, (unsigned)wl - 1);
            pcre_escape(w, cut, a);
            pcre_escape(w + cut, wl - cut, b);
            snprintf(pat, sizeof(pat), below(p, 2) ? "%s.{0,3}%s" : "%s%s", a, b);
            struct sk_pcre *pc = rb_pcre(g, pat, below(p, 3) == 0 ? 0x8u /* caseless */ : 0);
            pc->relative = i > 0 && below(p, 2);
            pc->negated = below(p, 10) == 0;
            continue;
        }
        struct sk_content *c = rb_content(g, w);
        c->nocase = below(p, 10) < 3;
        c->negated = below(p, 100) < 15;
        if (i > 0 && below(p, 10) < 4) {
            if (below(p, 2))
                c->distance = (int32_t)below(p, 6) - 2;
            if (below(p, 2))
                c->within = (int32_t)(wl + below(p, 7));
        } else {
            if (below(p, 100) < 15)
                c->offset = (int32_t)below(p, 5);
            if (below(p, 100) < 15)
                c->depth = (int32_t)(wl + below(p, 9));
        }
        c->startswith = below(p, 100) < 5;
        c->endswith = below(p, 100) < 5;
        if (below(p, 10) == 0) {
            c->fast_pattern = true;
            if (wl >= 2 && below(p, 3) == 0) {
                c->fp_chop_offset = (int32_t)below(p, (unsigned)wl - 1);
                c->fp_chop_len = (int32_t)(1 + below(p, (unsigned)(wl - c->fp_chop_offset)));
            }
        }
    }
}

/* One group, or (one rule in four) two groups on different buffers. */
static struct sk_rule *random_rule(struct prng *p, uint32_t sid, char words[][8])
{
    struct sk_rule *r = rb_rule_new(sid);
    unsigned b0 = below(p, 4);
    random_group(p, r, diff_buffers[b0], words);
    if (below(p, 4) == 0)
        random_group(p, r, diff_buffers[(b0 + 1 + below(p, 3)) % 4], words);
    return r;
}

/* Random text holding some of the words, some with their case flipped. */
static size_t random_text(struct prng *p, char words[][8], char *out, size_t max)
{
    size_t n = 0;
    while (n + 8 < max && below(p, 12) != 0) {
        if (below(p, 3) == 0) {
            const char *w = words[below(p, N_WORDS)];
            bool flip = below(p, 4) == 0;
            for (size_t i = 0; w[i]; i++) {
                char ch = w[i];
                if (flip && ch >= 'a' && ch <= 'z')
                    ch = (char)(ch - 32);
                else if (flip && ch >= 'A' && ch <= 'Z')
                    ch = (char)(ch + 32);
                out[n++] = ch;
            }
        } else {
            out[n++] = alphabet[below(p, sizeof(alphabet) - 1)];
        }
    }
    return n;
}

static bool ref_any(const struct sk_rule *r, const struct sk_ref_value *v, size_t n)
{
    bool res = false;
    assert_int_equal(sk_reference_rule(r, v, n, &res), 0);
    return res;
}

static void run_differential(uint64_t seed, size_t window)
{
    struct prng p = {seed};
    char words[N_WORDS][8];
    for (int i = 0; i < N_WORDS; i++)
        random_word(&p, words[i], 3 + below(&p, 4));
    struct sk_ruleset *rs = rb_fake_ruleset_new(0);
    for (uint32_t i = 0; i < N_RULES; i++)
        rb_fake_ruleset_add(rs, random_rule(&p, i + 1, words));
    struct env *e = env_new(rs, window);
    size_t total = 0;
    for (uint64_t tx = 0; tx < N_TX; tx++) {
        char mail[64], rcpt[3][64], subj[64], data[400];
        size_t ml = random_text(&p, words, mail, sizeof(mail));
        size_t nr = 1 + below(&p, 3), rl[3];
        for (size_t i = 0; i < nr; i++)
            rl[i] = random_text(&p, words, rcpt[i], sizeof(rcpt[i]));
        size_t sl = random_text(&p, words, subj, sizeof(subj));
        size_t dl = 0;
        while (dl < 60)
            dl += random_text(&p, words, data + dl, sizeof(data) - dl);
        size_t cuts[12], nc = 0;
        unsigned pieces = 1 + below(&p, 10);
        for (unsigned i = 1; i < pieces; i++)
            cuts[nc++] = below(&p, (unsigned)dl);
        cuts[nc++] = dl;
        for (size_t i = 0; i < nc; i++) /* sort the cuts */
            for (size_t j = i + 1; j < nc; j++)
                if (cuts[j] < cuts[i]) {
                    size_t tmp = cuts[i];
                    cuts[i] = cuts[j];
                    cuts[j] = tmp;
                }
        size_t before = e->rec.n;
        field_n(e, tx, SK_FIELD_SMTP_MAIL_FROM, mail, ml, 0);
        for (size_t i = 0; i < nr; i++)
            field_n(e, tx, SK_FIELD_SMTP_RCPT_TO, rcpt[i], rl[i], 0);
        field_n(e, tx, SK_FIELD_EMAIL_SUBJECT, subj, sl, 0);
        size_t at = 0;
        for (size_t i = 0; i < nc; i++) {
            unsigned flags = (i == 0 ? SK_FIELD_F_BEGIN : 0) | (i + 1 == nc ? SK_FIELD_F_END : 0);
            field_n(e, tx, SK_FIELD_SMTP_DATA, data + at, cuts[i] - at, flags);
            at = cuts[i];
        }
        /* the reference: block buffers at the end, the stream at every chunk boundary */
        struct sk_ref_value v[7];
        size_t nv = 0;
        v[nv++] = (struct sk_ref_value){SK_FIELD_SMTP_MAIL_FROM, (uint8_t *)mail, ml, 0};
        for (size_t i = 0; i < nr; i++)
            v[nv++] = (struct sk_ref_value){SK_FIELD_SMTP_RCPT_TO, (uint8_t *)rcpt[i], rl[i], 0};
        v[nv++] = (struct sk_ref_value){SK_FIELD_EMAIL_SUBJECT, (uint8_t *)subj, sl, 0};
        for (size_t k = 0; k < N_RULES; k++) {
            const struct sk_rule *r = sk_ruleset_rule(rs, k);
            bool want, stream = false;
            for (size_t g = 0; g < r->n_groups; g++)
                stream = stream || r->groups[g].buffer == SK_FIELD_SMTP_DATA;
            if (stream) {
                /* the other buffers are complete before the message starts */
                want = false;
                for (size_t i = 0; i < nc && !want; i++) {
                    /* the engine confirms on the last window bytes of the stream */
                    size_t from = cuts[i] > window ? cuts[i] - window : 0;
                    v[nv] = (struct sk_ref_value){SK_FIELD_SMTP_DATA, (uint8_t *)data + from,
                                                  cuts[i] - from, 0};
                    want = ref_any(r, v, nv + 1);
                }
            } else {
                want = ref_any(r, v, nv);
            }
            size_t got = 0;
            for (size_t i = before; i < e->rec.n; i++)
                got += e->rec.a[i].sid == r->sid;
            if (got != (want ? 1u : 0u))
                fail_msg("seed %llu tx %llu sid %u: engine %zu alerts, reference %d",
                         (unsigned long long)seed, (unsigned long long)tx, r->sid, got, want);
        }
        total += e->rec.n - before;
        e->rec.n = 0;
    }
    fprintf(stderr, "differential seed %llu window %zu: %zu alerts\n", (unsigned long long)seed,
            window, total);
    /* the generator must exercise both outcomes */
    assert_true(total > 0);
    assert_true(total < (size_t)N_RULES * N_TX);
    env_free(e);
}

static void test_detect_differential(void **state)
{
    for (uint64_t seed = 1; seed <= 6; seed++)
        run_differential(seed * 0x9e3779b97f4a7c15ull, 65536);
    /* a window smaller than the messages: confirmation on a sliding window */
    for (uint64_t seed = 7; seed <= 12; seed++)
        run_differential(seed * 0x9e3779b97f4a7c15ull, 40);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_detect_once_per_tx),
        cmocka_unit_test(test_detect_base64_decode),
        cmocka_unit_test(test_detect_uses_buffer),
        cmocka_unit_test(test_detect_stream_split_across_chunks),
        cmocka_unit_test(test_detect_stream_window_bounds_confirmation),
        cmocka_unit_test(test_detect_multi_buffer_one_instance),
        cmocka_unit_test(test_detect_flowbits),
        cmocka_unit_test(test_detect_move_to_new_set),
        cmocka_unit_test(test_detect_thresholds),
        cmocka_unit_test(test_detect_threshold_by_dst_across_flows),
        cmocka_unit_test(test_detect_app_layer_event),
        cmocka_unit_test(test_detect_flow_direction_and_header),
        cmocka_unit_test(test_detect_reply_code_and_contentless),
        cmocka_unit_test(test_detect_tcp_stream_once_per_flow),
        cmocka_unit_test(test_detect_fast_pattern_chop_and_transform),
        cmocka_unit_test(test_detect_pass_stops_flow),
        cmocka_unit_test(test_detect_bad_pcre_disables_one_rule),
        cmocka_unit_test(test_detect_refused_pattern_keeps_rule),
        cmocka_unit_test(test_detect_cache_dir),
        cmocka_unit_test(test_detect_address_sets),
        cmocka_unit_test(test_detect_flowbits_or_and),
        cmocka_unit_test(test_detect_tx_none_and_lines),
        cmocka_unit_test(test_detect_empty_stream_instance),
        cmocka_unit_test(test_detect_pcre_only_prefilter),
        cmocka_unit_test(test_detect_transforms_in_detection),
        cmocka_unit_test(test_detect_memuse_follows_transactions),
        cmocka_unit_test(test_detect_bytes_scanned_counts_each_byte_once),
        cmocka_unit_test(test_detect_direction_without_rules_scans_nothing),
        cmocka_unit_test(test_detect_depth_cuts_scan),
        cmocka_unit_test(test_detect_stream_reset_between_instances),
        cmocka_unit_test(test_detect_window_kept_for_later_trigger),
        cmocka_unit_test(test_detect_shared_by_threads),
        cmocka_unit_test(test_detect_differential),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
