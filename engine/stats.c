/* SPDX-License-Identifier: GPL-2.0-only */
/* The statistics board the workers publish their counters on, and the stats thread that
 * turns the latest copies into periodic EVE stats records and the progress line. Reading a
 * worker's live counters from another thread would race; a copy taken by the worker itself
 * once a second under the slot's lock does not, and costs nothing per packet. */
#include "engine/stats.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <time.h>

#include "engine/error.h"

int sk_counters_add(struct sk_counter **sum, size_t *n_sum, const struct sk_counter *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t k = 0;
        while (k < *n_sum && strcmp((*sum)[k].name, c[i].name) != 0)
            k++;
        if (k < *n_sum) {
            (*sum)[k].value += c[i].value;
            continue;
        }
        struct sk_counter *v = realloc(*sum, (*n_sum + 1) * sizeof(*v));
        if (!v)
            return SK_E_NOMEM;
        v[(*n_sum)++] = c[i];
        *sum = v;
    }
    return 0;
}

uint64_t sk_counters_get(const struct sk_counter *c, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(c[i].name, name) == 0)
            return c[i].value;
    return 0;
}

struct slot {
    struct sk_counter *c;
    size_t n, cap;
    uint64_t last_ts;
};

struct sk_stats_board {
    _Atomic unsigned gen; /* raised by the stats thread when it wants fresh copies */
    pthread_mutex_t mu;
    struct slot *slots;
    size_t n_slots;
};

const _Atomic unsigned *sk_stats_board_generation(const struct sk_stats_board *b)
{
    return &b->gen;
}

int sk_stats_board_new(struct sk_stats_board **out, size_t n_slots)
{
    struct sk_stats_board *b = calloc(1, sizeof(*b));
    if (!b)
        return SK_E_NOMEM;
    /* two slots a worker: what its decode path counts, and the rest (stats.h) */
    if (!(b->slots = calloc(2 * (n_slots ? n_slots : 1), sizeof(*b->slots))))
        goto out_free_board;
    if (pthread_mutex_init(&b->mu, NULL) != 0)
        goto out_free_slots;
    b->n_slots = 2 * n_slots;
    *out = b;
    return 0;

out_free_slots:
    free(b->slots);
out_free_board:
    free(b);
    return SK_E_NOMEM;
}

void sk_stats_board_free(struct sk_stats_board *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->n_slots; i++)
        free(b->slots[i].c);
    free(b->slots);
    pthread_mutex_destroy(&b->mu);
    free(b);
}

int sk_stats_board_publish(struct sk_stats_board *b, size_t worker, bool input,
                           const struct sk_counter *c, size_t n, uint64_t last_ts_us)
{
    int rc = 0;
    size_t slot = 2 * worker + !input;
    if (slot >= b->n_slots)
        return SK_E_INVAL;
    pthread_mutex_lock(&b->mu);
    struct slot *s = &b->slots[slot];
    if (n > s->cap) {
        struct sk_counter *v = realloc(s->c, n * sizeof(*v));
        if (!v) {
            rc = SK_E_NOMEM;
            goto out_unlock;
        }
        s->c = v;
        s->cap = n;
    }
    memcpy(s->c, c, n * sizeof(*c));
    s->n = n;
    s->last_ts = last_ts_us;
out_unlock:
    pthread_mutex_unlock(&b->mu);
    return rc;
}

/* The sum of every slot's copy, and the latest packet time of all. */
int sk_stats_board_total(struct sk_stats_board *b, struct sk_counter **c, size_t *n,
                         uint64_t *last_ts)
{
    int rc = 0;
    *last_ts = 0;
    pthread_mutex_lock(&b->mu);
    for (size_t i = 0; i < b->n_slots && rc == 0; i++) {
        rc = sk_counters_add(c, n, b->slots[i].c, b->slots[i].n);
        if (b->slots[i].last_ts > *last_ts)
            *last_ts = b->slots[i].last_ts;
    }
    pthread_mutex_unlock(&b->mu);
    return rc;
}

struct sk_stats_names {
    char **v;
    size_t n;
};

void sk_stats_names_free(struct sk_stats_names *names)
{
    if (!names)
        return;
    for (size_t i = 0; i < names->n; i++)
        free(names->v[i]);
    free(names->v);
    free(names);
}

int sk_stats_board_threads(struct sk_stats_board *b, struct sk_counter **c, size_t *n,
                           struct sk_stats_names **names)
{
    struct sk_stats_names *nm = calloc(1, sizeof(*nm));
    if (!nm)
        return SK_E_NOMEM;
    int rc = 0;
    pthread_mutex_lock(&b->mu);
    size_t more = 0;
    for (size_t i = 0; i < b->n_slots; i++)
        more += b->slots[i].n;
    struct sk_counter *v = realloc(*c, (*n + more) * sizeof(*v));
    if (more && !v) {
        rc = SK_E_NOMEM;
        goto out_unlock;
    }
    if (v)
        *c = v;
    if (more && !(nm->v = calloc(more, sizeof(*nm->v)))) {
        rc = SK_E_NOMEM;
        goto out_unlock;
    }
    for (size_t i = 0; i < b->n_slots; i++) {
        for (size_t k = 0; k < b->slots[i].n; k++) {
            const struct sk_counter *src = &b->slots[i].c[k];
            size_t len = strlen(src->name) + 20;
            char *name = malloc(len);
            if (!name) {
                rc = SK_E_NOMEM;
                goto out_unlock;
            }
            snprintf(name, len, "threads.W#%02zu.%s", i / 2 + 1, src->name);
            nm->v[nm->n++] = name;
            (*c)[(*n)++] = (struct sk_counter){name, src->value};
        }
    }
out_unlock:
    pthread_mutex_unlock(&b->mu);
    if (rc < 0) {
        sk_stats_names_free(nm);
        return rc;
    }
    *names = nm;
    return 0;
}

struct sk_stats_thread {
    struct sk_stats_thread_config cfg;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    bool stop;
    struct timespec start;
    bool drew; /* a progress line is on the terminal */
};

static double since(const struct timespec *t0)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

static uint64_t wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void write_record(struct sk_stats_thread *t)
{
    struct sk_counter *c = NULL;
    struct sk_stats_names *names = NULL;
    size_t n = 0;
    uint64_t last_ts;
    if (sk_stats_board_total(t->cfg.board, &c, &n, &last_ts) < 0)
        goto out_free;
    /* reading a capture, records carry packet time: none before the first packet */
    if (!t->cfg.live && !last_ts)
        goto out_free;
    struct sk_counter *v = realloc(c, (n + 5) * sizeof(*v));
    if (!v)
        goto out_free;
    c = v;
    c[n++] = (struct sk_counter){"uptime", (uint64_t)since(&t->start)};
    if (t->cfg.source) {
        struct sk_source_stats ss;
        sk_source_get_stats(t->cfg.source, &ss);
        c[n++] = (struct sk_counter){"capture.kernel_packets", ss.kernel_packets};
        c[n++] = (struct sk_counter){"capture.kernel_drops", ss.kernel_drops};
        c[n++] = (struct sk_counter){"capture.kernel_ifdrops", ss.kernel_ifdrops};
        c[n++] = (struct sk_counter){"capture.kernel_freezes", ss.kernel_freezes};
    }
    if (t->cfg.threads && sk_stats_board_threads(t->cfg.board, &c, &n, &names) < 0)
        goto out_free;
    sk_output_set_stats(t->cfg.outputs, t->cfg.live ? wall_us() : last_ts, c, n);
    sk_output_set_flush(t->cfg.outputs);
out_free:
    sk_stats_names_free(names);
    free(c);
}

/* Capture bytes read so far: packet bytes plus pcap's 16-byte record header each (the
 * 24-byte file headers are left out: an estimate for the progress line). */
static uint64_t bytes_done(struct sk_stats_board *b)
{
    struct sk_counter *c = NULL;
    size_t n = 0;
    uint64_t last_ts, done = 0;
    if (sk_stats_board_total(b, &c, &n, &last_ts) == 0)
        done = sk_counters_get(c, n, "bytes") + 16 * sk_counters_get(c, n, "packets");
    free(c);
    return done;
}

static void draw_progress(struct sk_stats_thread *t)
{
    const struct sk_stats_thread_config *cfg = &t->cfg;
    uint64_t done = bytes_done(cfg->board);
    double el = since(&t->start);
    if (!cfg->input_bytes) { /* a pipe: its size is not known */
        fprintf(stderr, "\r\033[Kshrike: %.1f MB read, %.1f MB/s", (double)done / 1e6,
                el > 0 ? (double)done / 1e6 / el : 0.0);
        fflush(stderr);
        t->drew = true;
        return;
    }
    if (done > cfg->input_bytes)
        done = cfg->input_bytes;
    size_t file = 0;
    uint64_t upto = 0;
    while (file < cfg->n_files && upto + cfg->file_sizes[file] <= done)
        upto += cfg->file_sizes[file++];
    double rate = el > 0 ? (double)done / el : 0;
    char left[32] = "?";
    if (rate > 0) {
        unsigned long s = (unsigned long)((double)(cfg->input_bytes - done) / rate);
        snprintf(left, sizeof(left), "%lu:%02lu", s / 60, s % 60);
    }
    fprintf(stderr,
            "\r\033[Kshrike: %.1f of %.1f MB (%.0f%%), %zu of %zu files, %.1f MB/s, %s left",
            (double)done / 1e6, (double)cfg->input_bytes / 1e6,
            cfg->input_bytes ? 100.0 * (double)done / (double)cfg->input_bytes : 100.0,
            file < cfg->n_files ? file : cfg->n_files, cfg->n_files, rate / 1e6, left);
    fflush(stderr);
    t->drew = true;
}

static void *stats_main(void *arg)
{
    struct sk_stats_thread *t = arg;
    struct timespec next_tick, next_record;
    clock_gettime(CLOCK_MONOTONIC, &next_tick);
    next_record = next_tick;
    next_record.tv_sec += t->cfg.interval_s;

    pthread_mutex_lock(&t->mu);
    while (!t->stop) {
        next_tick.tv_sec += 1;
        while (!t->stop && pthread_cond_timedwait(&t->cond, &t->mu, &next_tick) != ETIMEDOUT)
            ;
        if (t->stop)
            break;
        pthread_mutex_unlock(&t->mu);
        atomic_fetch_add_explicit(&t->cfg.board->gen, 1, memory_order_relaxed);
        if (t->cfg.progress)
            draw_progress(t);
        if (t->cfg.interval_s && t->cfg.outputs &&
            (next_tick.tv_sec > next_record.tv_sec || (next_tick.tv_sec == next_record.tv_sec &&
                                                       next_tick.tv_nsec >= next_record.tv_nsec))) {
            write_record(t);
            next_record.tv_sec += t->cfg.interval_s;
        }
        pthread_mutex_lock(&t->mu);
    }
    pthread_mutex_unlock(&t->mu);
    return NULL;
}

int sk_stats_thread_start(struct sk_stats_thread **out, const struct sk_stats_thread_config *cfg)
{
    struct sk_stats_thread *t = calloc(1, sizeof(*t));
    pthread_condattr_t ca;
    if (!t)
        return SK_E_NOMEM;
    t->cfg = *cfg;
    clock_gettime(CLOCK_MONOTONIC, &t->start);
    if (pthread_mutex_init(&t->mu, NULL) != 0)
        goto out_free;
    if (pthread_condattr_init(&ca) != 0)
        goto out_mutex;
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    int rc = pthread_cond_init(&t->cond, &ca);
    pthread_condattr_destroy(&ca);
    if (rc != 0)
        goto out_mutex;
    if (pthread_create(&t->thread, NULL, stats_main, t) != 0)
        goto out_cond;
    *out = t;
    return 0;

out_cond:
    pthread_cond_destroy(&t->cond);
out_mutex:
    pthread_mutex_destroy(&t->mu);
out_free:
    free(t);
    return SK_E_IO;
}

void sk_stats_thread_stop(struct sk_stats_thread *t)
{
    if (!t)
        return;
    pthread_mutex_lock(&t->mu);
    t->stop = true;
    pthread_cond_signal(&t->cond);
    pthread_mutex_unlock(&t->mu);
    pthread_join(t->thread, NULL);
    if (t->drew) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
    pthread_cond_destroy(&t->cond);
    pthread_mutex_destroy(&t->mu);
    free(t);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int sk_stats_input_sizes(const char *path, uint64_t **sizes, size_t *n, uint64_t *total)
{
    struct stat st;
    char **names = NULL;
    size_t nn = 0;
    int rc = 0;

    *sizes = NULL;
    *n = 0;
    *total = 0;
    if (stat(path, &st) != 0)
        return 0;
    if (S_ISREG(st.st_mode)) {
        if (!(*sizes = malloc(sizeof(**sizes))))
            return SK_E_NOMEM;
        (*sizes)[0] = *total = (uint64_t)st.st_size;
        *n = 1;
        return 0;
    }
    DIR *dp = opendir(path);
    if (!dp)
        return 0;
    /* the source reads a folder's regular files in name order (source.c) */
    for (struct dirent *de; (de = readdir(dp)) != NULL;) {
        char **v = realloc(names, (nn + 1) * sizeof(*v));
        if (!v || !(v[nn] = strdup(de->d_name))) {
            names = v ? v : names;
            rc = SK_E_NOMEM;
            goto out_free;
        }
        names = v;
        nn++;
    }
    qsort(names, nn, sizeof(*names), cmp_str);
    if (nn && !(*sizes = calloc(nn, sizeof(**sizes)))) {
        rc = SK_E_NOMEM;
        goto out_free;
    }
    for (size_t i = 0; i < nn; i++) {
        char full[4096];
        snprintf(full, sizeof(full), "%s/%s", path, names[i]);
        if (stat(full, &st) == 0 && S_ISREG(st.st_mode)) {
            (*sizes)[(*n)++] = (uint64_t)st.st_size;
            *total += (uint64_t)st.st_size;
        }
    }
out_free:
    for (size_t i = 0; i < nn; i++)
        free(names[i]);
    free(names);
    closedir(dp);
    return rc;
}
