/* SPDX-License-Identifier: GPL-2.0-only */
/* Reads records back from Kafka for the tests and the bench: every partition of each topic
 * from the beginning, until COUNT records came or TIMEOUT seconds passed. Prints one line
 * per record, "TOPIC<TAB>PARTITION<TAB>OFFSET<TAB>KEY<TAB>VALUE" (KEY "-" when none).
 * Exits 0 with COUNT records, 1 when the time ran out first, 2 on a usage or setup error.
 *
 *   kafka-consume BOOTSTRAP TOPIC[,TOPIC...] COUNT TIMEOUT
 *
 * Assigning partitions (no consumer group) keeps it independent of group coordination,
 * which librdkafka's mock cluster serves too, but slowly. */
#include <inttypes.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: kafka-consume BOOTSTRAP TOPIC[,TOPIC...] COUNT TIMEOUT\n");
        return 2;
    }
    long want = strtol(argv[3], NULL, 10);
    double deadline = now() + strtod(argv[4], NULL);
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", argv[1], err, sizeof(err)) ||
        rd_kafka_conf_set(conf, "group.id", "shrike-test", err, sizeof(err)) ||
        rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof(err))) {
        fprintf(stderr, "kafka-consume: %s\n", err);
        return 2;
    }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
    if (!rk) {
        fprintf(stderr, "kafka-consume: %s\n", err);
        return 2;
    }
    rd_kafka_poll_set_consumer(rk);
    /* the topics' partitions, from the metadata; a topic not made yet is waited for */
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(16);
    char *topics = strdup(argv[2]), *save = NULL;
    for (char *t = strtok_r(topics, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        int got = 0;
        while (!got && now() < deadline) {
            rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, t, NULL);
            const struct rd_kafka_metadata *md = NULL;
            if (rd_kafka_metadata(rk, 0, rkt, &md, 2000) == RD_KAFKA_RESP_ERR_NO_ERROR &&
                md->topic_cnt == 1 && md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR &&
                md->topics[0].partition_cnt > 0) {
                for (int p = 0; p < md->topics[0].partition_cnt; p++)
                    rd_kafka_topic_partition_list_add(parts, t, md->topics[0].partitions[p].id)
                        ->offset = RD_KAFKA_OFFSET_BEGINNING;
                got = 1;
            }
            if (md)
                rd_kafka_metadata_destroy(md);
            rd_kafka_topic_destroy(rkt);
            if (!got) {
                struct timespec ts = {0, 200000000L};
                nanosleep(&ts, NULL);
            }
        }
        if (!got) {
            fprintf(stderr, "kafka-consume: topic '%s' never appeared\n", t);
            return 1;
        }
    }
    free(topics);
    rd_kafka_assign(rk, parts);
    rd_kafka_topic_partition_list_destroy(parts);
    long n = 0;
    while (n < want && now() < deadline) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);
        if (!m)
            continue;
        if (m->err) {
            if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                fprintf(stderr, "kafka-consume: %s\n", rd_kafka_message_errstr(m));
        } else {
            printf("%s\t%" PRId32 "\t%" PRId64 "\t", rd_kafka_topic_name(m->rkt), m->partition,
                   m->offset);
            if (m->key_len)
                fwrite(m->key, 1, m->key_len, stdout);
            else
                fputc('-', stdout);
            fputc('\t', stdout);
            fwrite(m->payload, 1, m->len, stdout);
            fputc('\n', stdout);
            n++;
        }
        rd_kafka_message_destroy(m);
    }
    fflush(stdout);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    if (n < want)
        fprintf(stderr, "kafka-consume: %ld of %ld records before the timeout\n", n, want);
    return n < want ? 1 : 0;
}
