/* SPDX-License-Identifier: GPL-2.0-only */
/* The Kafka sink (sink_int.h) with librdkafka. Each record is produced with the flow id as
 * its key, so the default partitioner puts one flow's records in one partition, in order.
 * The topic is one name, or a template where %{event_type} becomes the record's event type
 * (shrike-%{event_type}: shrike-alert, shrike-smtp, ...). librdkafka keeps its own queue and
 * connections; a record leaves Shrike's queue once librdkafka took it, and is counted
 * written or dropped on its delivery report. mock-cluster makes librdkafka's in-process
 * mock cluster the broker (tests, the bench): its bootstrap servers are logged, and with
 * mock-linger it stays up after the run until SIGTERM so a consumer can read the end. */
#include <inttypes.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/config.h"
#include "engine/error.h"
#include "engine/log.h"
#include "engine/output/sink_int.h"

struct kafka_t {
    rd_kafka_t *rk;
    struct sk_sinkq *q;
    char *topic; /* the template */
    char *name;
    bool mock;
    uint64_t linger_s;
    bool error_reported;
};

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    struct kafka_t *t = opaque;
    (void)rk;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        sk_sinkq_count(t->q, 1, 0);
        return;
    }
    sk_sinkq_count(t->q, 0, 1);
    if (!t->error_reported)
        sk_warn("output %s (kafka): a record was not delivered: %s (undelivered records are "
                "dropped)",
                t->name, rd_kafka_err2str(m->err));
    t->error_reported = true;
}

static void on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk;
    if (level <= 3)
        sk_warn("kafka %s: %s", fac, buf);
    else
        sk_debug("kafka %s: %s", fac, buf);
}

struct conf_ctx {
    rd_kafka_conf_t *conf;
    char *err;
    size_t errlen;
    int rc;
};

static void set_property(void *ctx, const char *name, const char *value)
{
    struct conf_ctx *c = ctx;
    char e[256];
    if (c->rc == 0 && rd_kafka_conf_set(c->conf, name, value, e, sizeof(e)) != RD_KAFKA_CONF_OK) {
        snprintf(c->err, c->errlen, "librdkafka.%s: %s", name, e);
        c->rc = SK_E_INVAL;
    }
}

static void kafka_free(void *tp)
{
    struct kafka_t *t = tp;
    if (t->rk)
        rd_kafka_destroy(t->rk);
    free(t->topic);
    free(t->name);
    free(t);
}

static int kafka_init(void **out, const struct sk_sink_params *p, struct sk_sinkq *q, char *err,
                      size_t errlen)
{
    bool mock;
    uint64_t linger, timeout;
    int rc;
    if ((rc = sk_sink_bool(p, "mock-cluster", &mock)) < 0 ||
        (rc = sk_sink_u64(p, "mock-linger", &linger)) < 0 ||
        (rc = sk_sink_u64(p, "timeout-ms", &timeout)) < 0)
        return rc;
    struct kafka_t *t = calloc(1, sizeof(*t));
    const char *topic = sk_sink_str(p, "topic"), *brokers = sk_sink_str(p, "brokers");
    if (!t)
        return SK_E_NOMEM;
    t->q = q;
    t->mock = mock;
    t->linger_s = linger > 3600 ? 3600 : linger;
    if (!(t->topic = strdup(topic ? topic : "shrike")) || !(t->name = strdup(p->name))) {
        kafka_free(t);
        return SK_E_NOMEM;
    }
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    struct conf_ctx cc = {conf, err, errlen, 0};
    char tmo[32];
    snprintf(tmo, sizeof(tmo), "%" PRIu64, timeout < 1000 ? 1000 : timeout);
    set_property(&cc, "bootstrap.servers", brokers ? brokers : "127.0.0.1:9092");
    set_property(&cc, "socket.timeout.ms", tmo);
    if (mock)
        set_property(&cc, "test.mock.num.brokers", "1");
    /* outputs.eve...librdkafka.NAME: any producer property, passed as is */
    char prefix[300];
    snprintf(prefix, sizeof(prefix), "%s.librdkafka", p->prefix);
    if (p->cfg)
        sk_config_below(p->cfg, prefix, set_property, &cc);
    if (cc.rc < 0) {
        rd_kafka_conf_destroy(conf);
        kafka_free(t);
        return cc.rc;
    }
    rd_kafka_conf_set_opaque(conf, t);
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_log_cb(conf, on_log);
    char e[512];
    if (!(t->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, e, sizeof(e)))) {
        rd_kafka_conf_destroy(conf);
        snprintf(err, errlen, "kafka: %s", e);
        kafka_free(t);
        return SK_E_INVAL;
    }
    if (mock) {
        rd_kafka_mock_cluster_t *mc = rd_kafka_handle_mock_cluster(t->rk);
        /* a warning, not info: whoever reads the records must learn where they are */
        sk_warn("output %s (kafka): mock cluster at %s", p->name,
                mc ? rd_kafka_mock_cluster_bootstraps(mc) : "(none)");
    }
    *out = t;
    return 0;
}

/* librdkafka connects by itself, and reconnects. */
static int kafka_connect(void *tp, char *err, size_t errlen)
{
    (void)tp;
    (void)err;
    (void)errlen;
    return 0;
}

static void kafka_disconnect(void *tp)
{
    (void)tp;
}

/* The record's topic: the template with %{event_type} replaced. */
static void topic_of(const struct kafka_t *t, const struct sk_sinkq_rec *r, char *out, size_t n)
{
    const char *at = strstr(t->topic, "%{event_type}");
    if (!at) {
        snprintf(out, n, "%s", t->topic);
        return;
    }
    snprintf(out, n, "%.*s%s%s", (int)(at - t->topic), t->topic,
             r->event_type[0] ? r->event_type : "unknown", at + 13);
}

static int kafka_send(void *tp, const struct sk_sinkq_rec *r, size_t n, size_t *consumed,
                      size_t *written, size_t *dropped, char *err, size_t errlen)
{
    struct kafka_t *t = tp;
    (void)written;
    (void)err;
    (void)errlen;
    for (size_t i = 0; i < n; i++) {
        char topic[256], key[24];
        topic_of(t, &r[i], topic, sizeof(topic));
        int kl = r[i].flow_id ? snprintf(key, sizeof(key), "%" PRIu64, r[i].flow_id) : 0;
        size_t len = r[i].len && r[i].buf[r[i].len - 1] == '\n' ? r[i].len - 1 : r[i].len;
        /* a variable, not an expression: librdkafka's macro casts its argument unparenthesised */
        const char *kp = kl ? key : NULL;
        rd_kafka_resp_err_t e = rd_kafka_producev(
            t->rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_KEY(kp, (size_t)kl), RD_KAFKA_V_VALUE(r[i].buf, len), RD_KAFKA_V_END);
        if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            /* librdkafka's queue is full: serve reports, and the rest waits in ours */
            rd_kafka_poll(t->rk, 50);
            return 0;
        }
        (*consumed)++;
        if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
            (*dropped)++;
            if (!t->error_reported)
                sk_warn("output %s (kafka): a record was refused: %s", t->name,
                        rd_kafka_err2str(e));
            t->error_reported = true;
        }
    }
    rd_kafka_poll(t->rk, 0);
    return 0;
}

static void kafka_idle(void *tp)
{
    struct kafka_t *t = tp;
    rd_kafka_poll(t->rk, 0);
}

static uint64_t kafka_inflight(void *tp)
{
    struct kafka_t *t = tp;
    int n = rd_kafka_outq_len(t->rk);
    return n > 0 ? (uint64_t)n : 0;
}

/* Keeps the mock cluster up until SIGTERM or mock-linger seconds, so that a consumer reads
 * the last records (the mock cluster lives in this process). The threads still running are
 * librdkafka's, which block every signal, so SIGTERM comes here. */
static void mock_linger(struct kafka_t *t)
{
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, &old);
    sk_warn("output %s (kafka): mock cluster kept up for %" PRIu64 " s or until SIGTERM", t->name,
            t->linger_s);
    struct timespec ts = {(time_t)t->linger_s, 0};
    sigtimedwait(&set, NULL, &ts);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

static void kafka_drain(void *tp, uint64_t deadline_us)
{
    struct kafka_t *t = tp;
    uint64_t now = sk_sink_now_us();
    int ms = now < deadline_us ? (int)((deadline_us - now) / 1000) : 0;
    rd_kafka_flush(t->rk, ms);
    if (rd_kafka_outq_len(t->rk) > 0) {
        /* past the deadline: what is left fails its delivery report, counted dropped */
        rd_kafka_purge(t->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        for (int i = 0; i < 100 && rd_kafka_outq_len(t->rk) > 0; i++)
            rd_kafka_poll(t->rk, 10);
    }
}

static void kafka_linger(void *tp)
{
    struct kafka_t *t = tp;
    if (t->mock && t->linger_s)
        mock_linger(t);
}

const struct sk_transport_ops sk_transport_kafka = {
    .filetype = "kafka",
    .init = kafka_init,
    .connect = kafka_connect,
    .disconnect = kafka_disconnect,
    .send = kafka_send,
    .idle = kafka_idle,
    .inflight = kafka_inflight,
    .drain = kafka_drain,
    .linger = kafka_linger,
    .free = kafka_free,
};
