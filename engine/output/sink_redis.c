/* SPDX-License-Identifier: GPL-2.0-only */
/* The Redis sink (sink_int.h) with hiredis: each record LPUSHed or RPUSHed to a list,
 * PUBLISHed to a channel or XADDed to a stream (field "eve"), as Suricata's redis filetype.
 * A batch is pipelined: every command appended, then every reply read, so one round trip
 * carries batch-size records. A reply that is an error (a key of the wrong type) drops its
 * record; a connection that breaks leaves the batch's unanswered records queued, to be sent
 * again on the next connection (at least once: a record Redis executed but did not answer
 * before the break is sent twice). */
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "engine/error.h"
#include "engine/log.h"
#include "engine/output/sink_int.h"

enum redis_mode { M_LPUSH, M_RPUSH, M_PUBLISH, M_XADD };

struct redis_t {
    redisContext *c;
    char *server, *key;
    int port;
    enum redis_mode mode;
    uint64_t maxlen;
    struct timeval timeout;
    bool refusal_reported;
};

static int redis_init(void **out, const struct sk_sink_params *p, struct sk_sinkq *q, char *err,
                      size_t errlen)
{
    static const struct {
        const char *name;
        enum redis_mode mode;
    } modes[] = {{"list", M_LPUSH},      {"lpush", M_LPUSH},     {"rpush", M_RPUSH},
                 {"channel", M_PUBLISH}, {"publish", M_PUBLISH}, {"stream", M_XADD},
                 {"xadd", M_XADD}};
    uint64_t port, timeout, maxlen;
    int rc;
    (void)q;
    if ((rc = sk_sink_u64(p, "port", &port)) < 0 ||
        (rc = sk_sink_u64(p, "timeout-ms", &timeout)) < 0 ||
        (rc = sk_sink_u64(p, "stream-maxlen", &maxlen)) < 0)
        return rc;
    const char *mode = sk_sink_str(p, "mode");
    struct redis_t *t = calloc(1, sizeof(*t));
    if (!t)
        return SK_E_NOMEM;
    t->mode = (enum redis_mode) - 1;
    for (size_t i = 0; mode && i < sizeof(modes) / sizeof(modes[0]); i++)
        if (strcmp(mode, modes[i].name) == 0)
            t->mode = modes[i].mode;
    if ((int)t->mode < 0 || port == 0 || port > 65535) {
        if ((int)t->mode < 0)
            snprintf(err, errlen,
                     "mode: '%s' is not list, lpush, rpush, channel, publish, "
                     "stream or xadd",
                     mode ? mode : "");
        else
            snprintf(err, errlen, "port: %llu is not a TCP port", (unsigned long long)port);
        free(t);
        return SK_E_INVAL;
    }
    const char *server = sk_sink_str(p, "server"), *key = sk_sink_str(p, "key");
    t->server = strdup(server ? server : "127.0.0.1");
    t->key = strdup(key ? key : "shrike");
    if (!t->server || !t->key) {
        free(t->server);
        free(t->key);
        free(t);
        return SK_E_NOMEM;
    }
    t->port = (int)port;
    t->maxlen = maxlen;
    t->timeout.tv_sec = (time_t)(timeout / 1000);
    t->timeout.tv_usec = (suseconds_t)(timeout % 1000) * 1000;
    *out = t;
    return 0;
}

static void redis_disconnect(void *tp)
{
    struct redis_t *t = tp;
    if (t->c)
        redisFree(t->c);
    t->c = NULL;
}

static int redis_connect(void *tp, char *err, size_t errlen)
{
    struct redis_t *t = tp;
    t->c = t->server[0] == '/' ? redisConnectUnixWithTimeout(t->server, t->timeout)
                               : redisConnectWithTimeout(t->server, t->port, t->timeout);
    if (!t->c || t->c->err) {
        if (t->server[0] == '/')
            snprintf(err, errlen, "%s: %s", t->server, t->c ? t->c->errstr : "no memory");
        else
            snprintf(err, errlen, "%s:%d: %s", t->server, t->port,
                     t->c ? t->c->errstr : "no memory");
        redis_disconnect(t);
        return SK_E_IO;
    }
    /* a Redis that stops answering holds the sender this long, not forever */
    redisSetTimeout(t->c, t->timeout);
    return 0;
}

static int append(struct redis_t *t, const struct sk_sinkq_rec *r)
{
    /* the record without its newline: a list item or a message is one JSON object */
    size_t len = r->len && r->buf[r->len - 1] == '\n' ? r->len - 1 : r->len;
    switch (t->mode) {
    case M_LPUSH:
        return redisAppendCommand(t->c, "LPUSH %s %b", t->key, r->buf, len);
    case M_RPUSH:
        return redisAppendCommand(t->c, "RPUSH %s %b", t->key, r->buf, len);
    case M_PUBLISH:
        return redisAppendCommand(t->c, "PUBLISH %s %b", t->key, r->buf, len);
    case M_XADD:
        if (t->maxlen)
            return redisAppendCommand(t->c, "XADD %s MAXLEN ~ %llu * eve %b", t->key,
                                      (unsigned long long)t->maxlen, r->buf, len);
        return redisAppendCommand(t->c, "XADD %s * eve %b", t->key, r->buf, len);
    }
    return REDIS_ERR;
}

static int redis_send(void *tp, const struct sk_sinkq_rec *r, size_t n, size_t *consumed,
                      size_t *written, size_t *dropped, char *err, size_t errlen)
{
    struct redis_t *t = tp;
    for (size_t i = 0; i < n; i++) {
        if (append(t, &r[i]) != REDIS_OK) {
            snprintf(err, errlen, "%s", t->c->errstr[0] ? t->c->errstr : "out of memory");
            return SK_E_IO;
        }
    }
    for (size_t i = 0; i < n; i++) {
        redisReply *reply = NULL;
        if (redisGetReply(t->c, (void **)&reply) != REDIS_OK || !reply) {
            snprintf(err, errlen, "%s:%d: %s", t->server, t->port, t->c->errstr);
            return SK_E_IO;
        }
        (*consumed)++;
        if (reply->type != REDIS_REPLY_ERROR) {
            (*written)++;
        } else {
            (*dropped)++;
            if (!t->refusal_reported)
                sk_warn("redis %s: a record was refused: %s (refused records are dropped)", t->key,
                        reply->str);
            t->refusal_reported = true;
        }
        freeReplyObject(reply);
    }
    return 0;
}

static void redis_free(void *tp)
{
    struct redis_t *t = tp;
    redis_disconnect(t);
    free(t->server);
    free(t->key);
    free(t);
}

const struct sk_transport_ops sk_transport_redis = {
    .filetype = "redis",
    .init = redis_init,
    .connect = redis_connect,
    .disconnect = redis_disconnect,
    .send = redis_send,
    .free = redis_free,
};
