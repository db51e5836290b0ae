/* SPDX-License-Identifier: GPL-2.0-only */
/* The worker threads (pipeline.h). Reading capture files, the first worker's thread reads
 * them and hands the other workers their flows' records through rings. A source read once (a live
 * interface, a pipe) has one reader: each worker then has one queue (a mutex, two condition
 * variables, the full batches in order and the empty ones to reuse), and a batch holds decoded
 * packets back to back, each a struct sk_packet followed by its payload bytes. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "engine/error.h"
#include "engine/flow/flow.h"
#include "engine/log.h"
#include "engine/output/outfile.h"
#include "engine/output/stage.h"
#include "engine/pipeline.h"

#define DEFAULT_QUEUE 8
#define DEFAULT_BATCH (256 * 1024)
#define MIN_BATCH     (128 * 1024) /* holds the largest packet the decoder hands out (64 KiB) */

/* A packet in a batch; its payload bytes follow. */
struct rec {
    uint64_t clock; /* the reader's clock (latest packet time) with this packet read */
    struct sk_packet pkt;
};

struct batch {
    struct batch *next;
    size_t used; /* bytes of data[] in use */
    size_t n;    /* packets */
    _Alignas(16) uint8_t data[];
};

struct queue {
    pthread_mutex_t mu;
    pthread_cond_t has_full, has_empty;
    struct batch *head, *tail; /* full, oldest first */
    size_t n_full;
    struct batch *empty; /* to reuse */
    size_t n_alloc;      /* batches made for this worker (bounded by the queue size + 2) */
    bool done;           /* no more batches will come */
    uint64_t end_clock;  /* with done: the time of the last packet read */
};

/* ---- the end of the capture: every worker's open flows, in time order ---- */

/* Each worker ends its own flows, oldest last packet first; the turn interleaves the workers so
 * that together they end them in the order of the flows' last packets, and the records these
 * flows still write (the tail of each log) are in time order across workers. A worker waits
 * until every worker has finished reading (none writes anything else meanwhile), then writes
 * its next flow's records only when no other worker's next flow is older (ties: the lower
 * index first). The state is atomic: a worker whose turn comes sees it by polling, without a
 * lock; the mutex and condition variable are only for one that waits long enough to sleep. */
struct end_turn {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    _Atomic size_t n;          /* workers taking part (lowered when a thread could not start) */
    _Atomic size_t arrived;    /* workers done reading */
    _Atomic uint64_t *next;    /* per worker: its next flow's last packet time, UINT64_MAX: none */
    _Atomic uint64_t seq;      /* bumped after every change of the above */
    _Atomic unsigned sleepers; /* workers asleep on cv, or about to be */
};

/* How long a worker whose turn it is not polls for the others' change before it sleeps on
 * the condition variable: writing a flow's records takes microseconds, and a sleep and
 * wake-up per flow cost more than the flow (docs/performance.md, "Two workers"). */
#define TURN_SPIN 20000

/* After a change of the turn's state: wakes the workers asleep. Sequentially consistent with
 * turn_await()'s sleepers and seq, so a worker either sees the change or is woken. */
static void turn_changed(struct end_turn *et)
{
    atomic_fetch_add(&et->seq, 1);
    if (atomic_load(&et->sleepers) != 0) {
        pthread_mutex_lock(&et->mu);
        pthread_cond_broadcast(&et->cv);
        pthread_mutex_unlock(&et->mu);
    }
}

static int turn_init(struct end_turn *et, size_t n)
{
    atomic_init(&et->n, n);
    atomic_init(&et->arrived, 0);
    atomic_init(&et->seq, 0);
    atomic_init(&et->sleepers, 0);
    et->next = malloc((n ? n : 1) * sizeof(*et->next));
    if (et->next == NULL)
        return SK_E_NOMEM;
    for (size_t i = 0; i < n; i++)
        atomic_init(&et->next[i], UINT64_MAX);
    pthread_mutex_init(&et->mu, NULL);
    pthread_cond_init(&et->cv, NULL);
    return 0;
}

static void turn_release(struct end_turn *et)
{
    pthread_cond_destroy(&et->cv);
    pthread_mutex_destroy(&et->mu);
    free((void *)et->next);
}

/* Only n workers were started: the others never arrive. */
static void turn_expect(struct end_turn *et, size_t n)
{
    atomic_store(&et->n, n);
    turn_changed(et);
}

static bool turn_mine(struct end_turn *et, size_t idx)
{
    size_t n = atomic_load(&et->n);
    if (atomic_load(&et->arrived) < n)
        return false;
    uint64_t mine = atomic_load(&et->next[idx]);
    for (size_t j = 0; j < n; j++) {
        uint64_t other = atomic_load(&et->next[j]);
        if (other < mine || (other == mine && j < idx))
            return false;
    }
    return true;
}

/* Returns when it is worker idx's turn. */
static void turn_await(struct end_turn *et, size_t idx)
{
    for (;;) { /* bounded: every pass sees a change, and the workers' flows run out */
        uint64_t seen = atomic_load(&et->seq);
        if (turn_mine(et, idx))
            return;
        int i = 0;
        while (i < TURN_SPIN && atomic_load_explicit(&et->seq, memory_order_relaxed) == seen)
            i++;
        if (i < TURN_SPIN)
            continue;
        pthread_mutex_lock(&et->mu);
        atomic_fetch_add(&et->sleepers, 1);
        if (atomic_load(&et->seq) == seen)
            pthread_cond_wait(&et->cv, &et->mu); /* a spurious wake-up only polls again */
        atomic_fetch_sub(&et->sleepers, 1);
        pthread_mutex_unlock(&et->mu);
    }
}

/* How far a worker ends its flows ahead of writing them: flows, and bytes kept (a single
 * flow may keep more). */
#define STAGE_FLOWS 64
#define STAGE_BYTES ((size_t)1 << 20)

/* A flow ended ahead: its key (last packet time) and the bytes its output calls keep. */
struct staged {
    uint64_t key;
    size_t bytes;
};

/* sk_worker_finish() after writing worker idx's flows in their turns. With a stage (NULL:
 * none, out of memory: each flow is ended in its turn), the worker ends its next flows ahead,
 * their output calls kept in st, up to STAGE_FLOWS or STAGE_BYTES, while the others end or
 * write theirs; in its turn it only makes the calls kept for its oldest flow. The records and
 * their order are those of ending each flow in its turn. The key the worker shows the others
 * (et->next[idx]) is always its oldest flow not written yet. */
static void finish_in_turn(struct end_turn *et, size_t idx, struct sk_worker *w,
                           struct sk_stage *st)
{
    struct staged q[STAGE_FLOWS];
    size_t qh = 0, qn = 0;

    atomic_store(&et->next[idx], sk_worker_next_end(w));
    atomic_fetch_add(&et->arrived, 1);
    turn_changed(et);
    /* bounded: each pass ends a flow, writes one, or waits for another worker's write */
    while (atomic_load(&et->next[idx]) != UINT64_MAX) {
        if (!st) {
            turn_await(et, idx);
            sk_worker_end_next(w);
        } else if (qn > 0 && turn_mine(et, idx)) {
            sk_stage_replay(st, q[qh].bytes);
            qh = (qh + 1) % STAGE_FLOWS;
            qn--;
        } else {
            uint64_t key = sk_worker_next_end(w);
            if (key != UINT64_MAX && qn < STAGE_FLOWS &&
                (qn == 0 || sk_stage_len(st) < STAGE_BYTES)) {
                size_t before = sk_stage_len(st);
                sk_stage_set(st);
                sk_worker_end_next(w);
                sk_stage_set(NULL);
                q[(qh + qn) % STAGE_FLOWS] = (struct staged){key, sk_stage_len(st) - before};
                qn++;
            } else {
                turn_await(et, idx);
            }
            continue; /* what the others see is unchanged */
        }
        atomic_store(&et->next[idx], qn > 0 ? q[qh].key : sk_worker_next_end(w));
        turn_changed(et);
    }
    sk_worker_finish(w);
}

/* finish_in_turn() with a stage of its own when there is memory for one. */
static void finish_staged(struct end_turn *et, size_t idx, struct sk_worker *w)
{
    struct sk_stage *st = NULL;
    if (sk_stage_new(&st) < 0)
        st = NULL; /* each flow is ended in its turn */
    finish_in_turn(et, idx, w, st);
    sk_stage_free(st);
}

/* A worker thread's allocations come from a malloc arena of its own, whose heap glibc grows
 * a page at a time as the flows' state grows, each step an mprotect() that holds the
 * process's memory map lock (the other workers' page faults wait) and changes the
 * mapping: thousands in a run ("Two workers (session 7)"). One block of ARENA_PRIME taken
 * and given back at the start grows it once: glibc keeps a heap's writable size, so later
 * growth takes that room without a call (the pages come as they are used). The block is
 * taken twice: over the mmap threshold the first one is mapped on its own, and freeing it
 * raises the threshold to its size (glibc's dynamic threshold, up to 32 MiB), so the second
 * comes from this thread's heap; as the top of the heap is then under the trim threshold
 * (twice the mmap threshold), it stays. One mprotect() a worker, where pieces under the
 * threshold took 170 ("Two workers (session 9)"). Elsewhere it only costs the calls. */
#define ARENA_PRIME ((size_t)16 << 20)

static void arena_prime(void)
{
    for (int i = 0; i < 2; i++) {
        void *volatile p = malloc(ARENA_PRIME); /* volatile: the pair is not optimised away */
        free(p);
    }
}

struct wthread {
    struct queue q;
    struct sk_worker *w;
    struct pipeline *p;
    pthread_t tid;
    struct batch *cur; /* being filled by the reader */
    _Atomic int rc;    /* first error of sk_worker_decoded(), 0 when none */
};

struct pipeline {
    const struct sk_pipeline_config *cfg;
    size_t queue_max, batch_bytes;
    struct wthread *wt;
    struct sk_pipeline_stats st;
    uint64_t clock; /* latest packet time read */
    struct end_turn turn;
};

static uint64_t wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static size_t align16(size_t n)
{
    return (n + 15) & ~(size_t)15;
}

static void run_batch(struct wthread *t, struct batch *b)
{
    size_t off = 0;
    for (size_t i = 0; i < b->n; i++) {
        struct rec r;
        memcpy(&r, b->data + off, sizeof(r));
        r.pkt.payload = b->data + off + sizeof(r);
        off += align16(sizeof(r) + r.pkt.payload_len);
        if (atomic_load_explicit(&t->rc, memory_order_relaxed) < 0)
            continue; /* after an error: drain, so the reader never waits forever */
        /* The flow table's clock follows every packet read, not only this worker's, so flows
         * age and time out as they would with one worker. */
        if (r.clock > r.pkt.ts_us)
            sk_worker_tick(t->w, r.clock);
        int rc = sk_worker_decoded(t->w, &r.pkt);
        if (rc < 0)
            atomic_store(&t->rc, rc);
    }
}

static void *worker_main(void *arg)
{
    struct wthread *t = arg;
    arena_prime();
    struct queue *q = &t->q;
    bool live = t->p->cfg->live;
    uint64_t last_tick = 0;

    for (;;) {
        pthread_mutex_lock(&q->mu);
        while (!q->head && !q->done) {
            if (!live) {
                pthread_cond_wait(&q->has_full, &q->mu);
                continue;
            }
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_sec += 1;
            if (pthread_cond_timedwait(&q->has_full, &q->mu, &until) != 0)
                break; /* a second without traffic: expire idle flows below */
        }
        struct batch *b = q->head;
        if (b) {
            q->head = b->next;
            if (!q->head)
                q->tail = NULL;
            q->n_full--;
        }
        bool done = q->done && !b;
        pthread_mutex_unlock(&q->mu);
        if (done)
            break;
        if (b) {
            run_batch(t, b);
            b->used = b->n = 0;
            pthread_mutex_lock(&q->mu);
            b->next = q->empty;
            q->empty = b;
            pthread_cond_signal(&q->has_empty);
            pthread_mutex_unlock(&q->mu);
        }
        if (live) {
            uint64_t now = wall_us();
            if (now - last_tick > 1000000u) {
                sk_worker_tick(t->w, now);
                last_tick = now;
            }
        }
    }
    /* A flow one worker would have timed out by the end of the capture ends the same way
     * here, however the packets were spread. */
    if (!live)
        sk_worker_tick(t->w, q->end_clock);
    finish_staged(&t->p->turn, (size_t)(t - t->p->wt), t->w);
    return NULL;
}

/* An empty batch for worker t: a recycled one, a new one while under the bound, or (pipe)
 * wait for the worker to give one back. NULL only when out of memory. */
static struct batch *get_empty(struct pipeline *p, struct wthread *t)
{
    struct queue *q = &t->q;
    struct batch *b = NULL;
    pthread_mutex_lock(&q->mu);
    for (;;) {
        if (q->empty) {
            b = q->empty;
            q->empty = b->next;
            break;
        }
        if (q->n_alloc < p->queue_max + 2) {
            b = malloc(sizeof(*b) + p->batch_bytes);
            if (b)
                q->n_alloc++;
            break;
        }
        p->st.reader_waits++;
        pthread_cond_wait(&q->has_empty, &q->mu);
    }
    pthread_mutex_unlock(&q->mu);
    if (b) {
        b->next = NULL;
        b->used = b->n = 0;
    }
    return b;
}

/* Hands t's current batch to its worker. Reading a pipe, waits while the queue is full; live,
 * drops the batch instead (its packets are counted) and reuses it. */
static void push(struct pipeline *p, struct wthread *t, bool may_drop)
{
    struct queue *q = &t->q;
    struct batch *b = t->cur;
    if (!b || b->n == 0)
        return;
    pthread_mutex_lock(&q->mu);
    if (q->n_full >= p->queue_max && may_drop) {
        pthread_mutex_unlock(&q->mu);
        p->st.dropped_packets += b->n;
        b->used = b->n = 0;
        return;
    }
    while (q->n_full >= p->queue_max) {
        p->st.reader_waits++;
        pthread_cond_wait(&q->has_empty, &q->mu);
    }
    if (q->tail)
        q->tail->next = b;
    else
        q->head = b;
    q->tail = b;
    q->n_full++;
    pthread_cond_signal(&q->has_full);
    pthread_mutex_unlock(&q->mu);
    p->st.batches++;
    t->cur = NULL;
}

/* Live traffic should not wait for a batch to fill: hand it over when the worker is idle. */
static bool worker_idle(struct wthread *t)
{
    pthread_mutex_lock(&t->q.mu);
    bool idle = t->q.n_full == 0;
    pthread_mutex_unlock(&t->q.mu);
    return idle;
}

static int dispatch(struct pipeline *p, const struct sk_packet *pkt)
{
    size_t n = p->cfg->n_workers;
    struct wthread *t = &p->wt[n > 1 ? sk_flow_hash(pkt, p->cfg->hash_seed) % n : 0];
    size_t need = align16(sizeof(struct rec) + pkt->payload_len);
    if (need > p->batch_bytes)
        return 0; /* cannot happen: the decoder hands out at most 64 KiB */
    if (t->cur && t->cur->used + need > p->batch_bytes)
        push(p, t, p->cfg->live);
    if (!t->cur && !(t->cur = get_empty(p, t)))
        return SK_E_NOMEM;
    uint8_t *dst = t->cur->data + t->cur->used;
    struct rec r = {.clock = p->clock, .pkt = *pkt};
    memcpy(dst, &r, sizeof(r));
    if (pkt->payload_len)
        memcpy(dst + sizeof(r), pkt->payload, pkt->payload_len);
    t->cur->used += need;
    t->cur->n++;
    if (p->cfg->live && worker_idle(t))
        push(p, t, true);
    return 0;
}

static int queue_init(struct queue *q)
{
    memset(q, 0, sizeof(*q));
    if (pthread_mutex_init(&q->mu, NULL) != 0)
        return SK_E_NOMEM;
    if (pthread_cond_init(&q->has_full, NULL) != 0)
        goto out_mutex;
    if (pthread_cond_init(&q->has_empty, NULL) != 0)
        goto out_cond;
    return 0;
out_cond:
    pthread_cond_destroy(&q->has_full);
out_mutex:
    pthread_mutex_destroy(&q->mu);
    return SK_E_NOMEM;
}

static void queue_release(struct queue *q)
{
    struct batch *lists[2] = {q->head, q->empty};
    for (int i = 0; i < 2; i++) {
        while (lists[i]) {
            struct batch *next = lists[i]->next;
            free(lists[i]);
            lists[i] = next;
        }
    }
    pthread_cond_destroy(&q->has_empty);
    pthread_cond_destroy(&q->has_full);
    pthread_mutex_destroy(&q->mu);
}

static int read_loop(struct pipeline *p, struct sk_source *src, _Atomic int *stop)
{
    struct sk_worker *dec = p->cfg->workers[0];
    struct sk_raw_packet raw;
    struct sk_packet pkt;
    int errors = 0;
    uint64_t n = 0;

    int r;

    while ((r = sk_source_read(src, &raw, stop, &errors)) > 0) {
        if (r == SK_SOURCE_IDLE) {
            /* a quiet link: what waits in a half-filled batch goes to its worker now */
            for (size_t i = 0; i < p->cfg->n_workers; i++)
                push(p, &p->wt[i], true);
            continue;
        }
        if ((r = sk_worker_decode(dec, &raw, &pkt)) < 0)
            return r;
        /* the flow table takes only TCP: other packets are counted by the decoder and end here */
        if (r == 0 || pkt.ip_proto != 6)
            continue;
        if (pkt.ts_us > p->clock)
            p->clock = pkt.ts_us;
        if ((r = dispatch(p, &pkt)) < 0)
            return r;
        if ((++n & 4095) == 0)
            for (size_t i = 0; i < p->cfg->n_workers; i++)
                if ((r = atomic_load(&p->wt[i].rc)) < 0)
                    return r;
    }
    return r < 0 ? r : errors;
}

int sk_pipeline_run(const struct sk_pipeline_config *cfg, struct sk_source *src, _Atomic int *stop,
                    struct sk_pipeline_stats *st)
{
    struct pipeline p = {.cfg = cfg};
    size_t started = 0, inited = 0;
    int rc;

    p.queue_max = cfg->queue_batches ? cfg->queue_batches : DEFAULT_QUEUE;
    p.batch_bytes = cfg->batch_bytes ? cfg->batch_bytes : DEFAULT_BATCH;
    if (p.batch_bytes < MIN_BATCH)
        p.batch_bytes = MIN_BATCH;
    p.wt = calloc(cfg->n_workers, sizeof(*p.wt));
    if (!p.wt)
        return SK_E_NOMEM;
    if (turn_init(&p.turn, cfg->n_workers) < 0) {
        free(p.wt);
        return SK_E_NOMEM;
    }
    for (; inited < cfg->n_workers; inited++) {
        struct wthread *t = &p.wt[inited];
        t->w = cfg->workers[inited];
        t->p = &p;
        atomic_init(&t->rc, 0);
        if ((rc = queue_init(&t->q)) < 0)
            goto out_stop;
    }
    for (; started < cfg->n_workers; started++) {
        if (pthread_create(&p.wt[started].tid, NULL, worker_main, &p.wt[started]) != 0) {
            sk_error("cannot start worker thread %zu", started);
            rc = SK_E_NOMEM;
            goto out_stop;
        }
    }

    rc = read_loop(&p, src, stop);

out_stop:
    turn_expect(&p.turn, started);
    /* Whatever ended the loop, the workers get what was read and finish their flows. */
    for (size_t i = 0; i < started; i++) {
        struct wthread *t = &p.wt[i];
        push(&p, t, false); /* the last batch is never dropped */
        pthread_mutex_lock(&t->q.mu);
        t->q.done = true;
        t->q.end_clock = p.clock;
        pthread_cond_signal(&t->q.has_full);
        pthread_mutex_unlock(&t->q.mu);
    }
    for (size_t i = 0; i < started; i++) {
        pthread_join(p.wt[i].tid, NULL);
        int wrc = atomic_load(&p.wt[i].rc);
        if (wrc < 0 && rc >= 0)
            rc = wrc;
    }
    for (size_t i = 0; i < inited; i++) {
        free(p.wt[i].cur);
        queue_release(&p.wt[i].q);
    }
    turn_release(&p.turn);
    free(p.wt);
    if (st)
        *st = p.st;
    return rc;
}

/* ---- files: the first worker reads the capture, the others follow it ---- */

/* The flows' owners when flows are claimed (cfg->claim), kept by the lead, the only thread that
 * places packets: an open-addressing table of one 32-bit word a flow, the upper half of the
 * flow hash with the owner's index in its low 6 bits (at most 64 workers); the slot comes
 * from other bits of the hash. A word is written once, so a flow's owner never changes. Two
 * flows that share a slot's run and the 25 free bits of tag share an owner: still one owner a
 * flow, which is all the workers need. The table is sized to the capture
 * (CLAIM_BYTES_A_SLOT), within CLAIM_MIN_BITS..CLAIM_MAX_BITS. */
#define CLAIM_MIN_BITS     16
#define CLAIM_MAX_BITS     21
#define CLAIM_BYTES_A_SLOT 512 /* the bench's smallest sessions take 3 KB a flow */
#define CLAIM_PROBES       32

struct claims {
    _Atomic uint32_t *slot;
    size_t mask; /* slots - 1 */
    /* look-ups of a new flow that found its run of slots full: workers.claims_full */
    _Alignas(64) _Atomic uint64_t full;
};

/* The number of slots for a capture of the given size (0: unknown, the most). */
static size_t claim_slots(uint64_t capture_bytes)
{
    size_t n = (size_t)1 << CLAIM_MIN_BITS;
    while (n < ((size_t)1 << CLAIM_MAX_BITS) &&
           (capture_bytes == 0 || n < capture_bytes / CLAIM_BYTES_A_SLOT))
        n <<= 1;
    return n;
}

/* The table, zeroed, every page mapped before the workers start. Left to fault in as flows
 * land, each page would first be read as the kernel's shared zero page and then written,
 * and that copy-on-write fault flushes the page's translation from every CPU the workers
 * run on (an interrupt to each; in a virtual machine an exit): 7 ms of a 0.4 s two-worker
 * run (docs/performance.md, "Two workers (session 6)"). Zeroing is what the table costs at
 * the start (1.5 ms for 8 MiB), hence its size follows the capture's. */
static int claims_new(struct claims *c, uint64_t capture_bytes)
{
    size_t slots = claim_slots(capture_bytes);
    size_t bytes = slots * sizeof(*c->slot);
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return SK_E_NOMEM;
    /* huge pages where the system gives them on request; then every page written now (the
     * kernel zeroes them; without MADV_POPULATE_WRITE, before Linux 5.14, by hand) */
    (void)madvise(p, bytes, MADV_HUGEPAGE);
#ifdef MADV_POPULATE_WRITE
    if (madvise(p, bytes, MADV_POPULATE_WRITE) != 0)
#endif
        memset(p, 0, bytes);
    c->slot = p;
    c->mask = slots - 1;
    return 0;
}

static void claims_free(struct claims *c)
{
    if (c->slot != NULL)
        munmap((void *)c->slot, (c->mask + 1) * sizeof(*c->slot));
    c->slot = NULL;
}

/* The owner of the flow of hash h: the one claimed for it, else `want`, claimed now. A run of
 * slots found full is counted (the lead alone looks flows up: once a flow, while its memo
 * keeps it). */
static size_t claim_owner(struct claims *c, uint64_t h, size_t want, size_t n)
{
    uint32_t tag = ((uint32_t)(h >> 32) | 64u) & ~(uint32_t)63;
    size_t i = (size_t)(h >> 6) & c->mask;
    for (size_t probe = 0; probe < CLAIM_PROBES; probe++, i = (i + 1) & c->mask) {
        uint32_t v = atomic_load_explicit(&c->slot[i], memory_order_relaxed);
        if (v == 0) {
            atomic_store_explicit(&c->slot[i], tag | (uint32_t)want, memory_order_relaxed);
            return want;
        }
        if ((v & ~(uint32_t)63) == tag)
            return (size_t)(v & 63);
    }
    /* Slots are only ever filled: every look-up of h finds the same full run of slots and
     * falls back to the same choice. */
    atomic_fetch_add_explicit(&c->full, 1, memory_order_relaxed);
    return h % n;
}

/* Each worker's memo of the owners it has looked up: most packets of a capture belong to a
 * flow seen a few packets before, so the memo spares them the seeded hash and the claims
 * table (an owner never changes, so a remembered one is the one the table or the hash would
 * give). Direct mapped: an IPv4 TCP flow in 16 bytes a slot, both directions in one (two
 * words: its two endpoints in order, the VLAN ids and the owner + 1 in the low byte, 0 for
 * an empty slot); other flows by their whole tuple in the packet's direction. */
#define OWNER_BITS4 13 /* 8192 IPv4 TCP slots */
#define OWNER_BITS  10 /* 1024 others */

struct owner_key {
    uint8_t src[16], dst[16];
    uint16_t sport, dport, vlan[2];
    uint8_t family, proto, pad[2];
};

struct owner_slot {
    struct owner_key key;
    uint32_t owner; /* the owner + 1, 0 for an empty slot */
};

struct owner_memo {
    uint64_t v4[1u << OWNER_BITS4][2];
    struct owner_slot other[1u << OWNER_BITS];
};

static size_t mix_index(uint64_t a, uint64_t b, unsigned bits)
{
    uint64_t x = a ^ b * 0x9e3779b97f4a7c15u;
    x ^= x >> 29;
    x *= 0xbf58476d1ce4e5b9u;
    return (size_t)(x >> (64 - bits));
}

/* Reading files with several workers, the first worker (the lead) reads the capture and hands
 * each other worker (a follower) its records through a ring of its own: a record read from the
 * file's mapping as a pointer into it (the file is not unmapped before every worker is done
 * with its records: sk_source_set_unmap_hook()), any other as a copy. The lead places every
 * record by its headers and decodes those they cannot place (IP fragments among them: its
 * decoder alone reassembles, as one worker's would), so a follower never reads another
 * worker's records. The lead's own packets, decoded, wait in a ring of its own while a
 * follower has little to do: the lead reads on, through a burst of its own flows, until every
 * follower has HAND_LOW packets waiting (or half its ring full), then runs its own. With
 * claims (workers-balance), a new flow goes to the worker with the fewest packets waiting,
 * the lead's own ring included ("Two workers (session 13)" in docs/performance.md). */
#define HAND_BYTES   ((size_t)2 << 20) /* a ring: several of the largest records (256 KiB) fit */
#define HAND_PUBLISH 2048              /* bytes the lead writes before it shows them */
#define HAND_RETURN  (16 * 1024)       /* bytes a follower is done with before it says so */
#define HAND_LOW     1024              /* packets a follower has waiting to be busy */
#define HAND_SPIN    4000              /* polls before a wait sleeps */
#define HAND_TICK_US 1000000u          /* a follower's clock is moved at least once a second */

enum { H_WRAP, H_RAW, H_COPY, H_DECODED, H_PKT, H_TICK };

/* An entry of a ring, 16-byte aligned, followed by a struct sk_raw_packet (H_RAW; H_COPY with
 * its bytes after it) or a struct sk_packet and its payload (H_DECODED); H_WRAP: the rest of
 * the ring is unused, the next entry is at its start. */
struct hent {
    uint32_t size; /* bytes of the entry with what follows it, a multiple of 16 */
    uint32_t kind;
    uint64_t clock; /* the lead's clock (latest packet time) with this record read */
};

struct hand {
    uint8_t *buf;
    _Alignas(64) _Atomic size_t head;    /* bytes written and shown by the lead */
    size_t wpos;                         /* the lead's: bytes written */
    size_t wcount;                       /* the lead's: packets written */
    uint64_t sent_clock;                 /* the lead's: the clock last sent */
    _Alignas(64) _Atomic size_t done_to; /* bytes the follower is done with (shown) */
    _Atomic size_t done_count;           /* and packets, shown before done_to */
    _Alignas(64) _Atomic int lead_sleeps, follower_sleeps;
    _Atomic bool done;  /* the lead wrote its last entry (head is final) */
    _Atomic bool alive; /* the follower's thread runs (or will) */
    uint64_t end_clock; /* with done: the lead's clock at its end */
    pthread_mutex_t mu;
    pthread_cond_t cv;
};

static void hand_wake(struct hand *h)
{
    pthread_mutex_lock(&h->mu);
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
}

/* The lead shows what it wrote; wakes the follower when it sleeps (sequentially consistent
 * with its flag and its check of head, so it either sees head or is woken). */
static void hand_publish(struct hand *h)
{
    atomic_store(&h->head, h->wpos);
    if (atomic_load(&h->follower_sleeps))
        hand_wake(h);
}

/* Waits until the follower is done with every byte before `upto` or is gone. */
static void hand_await_done(struct hand *h, size_t upto)
{
    for (int i = 0;; i++) {
        if (atomic_load_explicit(&h->done_to, memory_order_acquire) >= upto ||
            !atomic_load_explicit(&h->alive, memory_order_relaxed))
            return;
        if (i < HAND_SPIN)
            continue;
        pthread_mutex_lock(&h->mu);
        atomic_store(&h->lead_sleeps, 1);
        if (atomic_load(&h->done_to) < upto && atomic_load(&h->alive)) {
            /* timed: a follower that could not start is only marked, not woken for */
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_nsec += 20 * 1000000;
            if (until.tv_nsec >= 1000000000) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000;
            }
            pthread_cond_timedwait(&h->cv, &h->mu, &until);
        }
        atomic_store(&h->lead_sleeps, 0);
        pthread_mutex_unlock(&h->mu);
        i = 0;
    }
}

/* Ends an entry started with hand_room(): shows the ring's news now and then. */
static void hand_put(struct hand *h, struct hent *e, uint32_t size, uint32_t kind, uint64_t clock)
{
    e->size = size;
    e->kind = kind;
    e->clock = clock;
    h->sent_clock = clock;
    h->wpos += size;
    h->wcount += kind != H_TICK;
    if (h->wpos - atomic_load_explicit(&h->head, memory_order_relaxed) >= HAND_PUBLISH)
        hand_publish(h);
}

static uint32_t hand_size(size_t n)
{
    return (uint32_t)((sizeof(struct hent) + n + 15) & ~(size_t)15);
}

struct fthread {
    const struct sk_pipeline_config *cfg;
    struct owner_memo *owners; /* reading files with several workers */
    bool queue;                /* live fan-out: reads queue idx of src, every packet its own */
    struct claims *claims;     /* NULL: the hash decides */
    struct hand *hands;        /* lead and followers: a ring a worker, hands[0] the lead's own */
    int lead_rc;               /* the lead: the first error running its own ring */
    size_t idx;
    struct sk_source *src;
    const _Atomic int *stop;
    _Atomic int *failed; /* shared: set when a worker's error ends the run */
    struct end_turn *turn;
    pthread_t tid;
    int rc; /* damaged files read, or a negative SK_E_* code */
};

static int lead_run_own(struct fthread *t);

/* Whether the lead's own ring holds an entry it has not run. */
static bool own_queued(const struct fthread *t)
{
    return atomic_load_explicit(&t->hands[0].done_to, memory_order_relaxed) != t->hands[0].wpos;
}

/* Room for an entry of `size` bytes in worker k's ring, after a wrap mark where the ring's end
 * leaves too little: its start, or NULL when the follower is gone. The lead makes room in its
 * own by running its oldest entries, else waits for the follower. */
static struct hent *hand_room(struct fthread *t, size_t k, size_t size)
{
    struct hand *h = &t->hands[k];
    size_t at = h->wpos & (HAND_BYTES - 1);
    size_t need = HAND_BYTES - at < size ? HAND_BYTES - at + size : size;
    if (k == 0) {
        while (h->wpos + need - atomic_load_explicit(&h->done_to, memory_order_relaxed) >
               HAND_BYTES)
            lead_run_own(t);
    } else {
        /* a follower's ring is full: the lead runs its own meanwhile, else waits */
        while (h->wpos + need - atomic_load_explicit(&h->done_to, memory_order_acquire) >
                   HAND_BYTES &&
               atomic_load_explicit(&h->alive, memory_order_relaxed)) {
            hand_publish(h); /* what the follower waits for */
            if (own_queued(t))
                lead_run_own(t);
            else
                hand_await_done(h, h->wpos + need - HAND_BYTES);
        }
    }
    if (!atomic_load_explicit(&h->alive, memory_order_relaxed))
        return NULL;
    if (need != size) {
        struct hent *mark = (struct hent *)(h->buf + at);
        mark->size = (uint32_t)(HAND_BYTES - at);
        mark->kind = H_WRAP;
        h->wpos += HAND_BYTES - at;
        at = 0;
    }
    return (struct hent *)(h->buf + at);
}

/* Packets handed to worker k that it has not run yet. */
static size_t hand_waiting(const struct fthread *t, size_t k)
{
    return t->hands[k].wcount - atomic_load_explicit(&t->hands[k].done_count, memory_order_relaxed);
}

/* An empty memo, its pages written now for the reason claims_new() gives (explicit_bzero():
 * memset() after malloc() is compiled into calloc(), which leaves fresh pages unwritten). */
static struct owner_memo *owners_new(void)
{
    struct owner_memo *o = malloc(sizeof(*o));
    if (o != NULL)
        explicit_bzero(o, sizeof(*o));
    return o;
}

/* The owner by the flow hash and, when flows are claimed, the claims table. */
static size_t owner_lookup(struct fthread *t, const struct sk_packet *pkt)
{
    size_t n = t->cfg->n_workers;
    uint64_t h = sk_flow_hash(pkt, t->cfg->hash_seed);
    if (!t->claims)
        return h % n;
    /* the lead: the worker with the fewest packets waiting in its ring (its own included) */
    size_t want = 0, least = hand_waiting(t, 0);
    for (size_t k = 1; k < n && least > 0; k++) {
        size_t waiting = hand_waiting(t, k);
        if (waiting < least) {
            want = k;
            least = waiting;
        }
    }
    return claim_owner(t->claims, h, want, n);
}

/* The worker that owns pkt's flow; pkt is a TCP packet (the flow table takes no other).
 * The family alone is tested: a load of it and ip_proto together, two bytes stored apart by
 * sk_decoder_peek() just before, would wait for both stores to reach the cache (a third of
 * this function's time in a profile of two workers). */
static size_t owner_of(struct fthread *t, const struct sk_packet *pkt)
{
    if (pkt->src.family == 4) {
        uint32_t src, dst;
        memcpy(&src, pkt->src.bytes, 4);
        memcpy(&dst, pkt->dst.bytes, 4);
        /* both directions of a flow in one slot, looked up once for the flow: its endpoints
         * (address and port, 48 bits each) in order, the lower in the first word with the
         * upper's top 16 bits */
        uint64_t a = (uint64_t)src << 16 | pkt->sport, b = (uint64_t)dst << 16 | pkt->dport;
        uint64_t lo = a < b ? a : b, hi = a < b ? b : a;
        uint64_t w0 = lo << 16 | hi >> 32;
        uint64_t w1 = (hi & 0xffffffffu) << 32 | (uint64_t)(pkt->vlan[0] & 0xfff) << 20 |
                      (uint64_t)(pkt->vlan[1] & 0xfff) << 8;
        uint64_t *slot = t->owners->v4[mix_index(w0, w1, OWNER_BITS4)];
        if (slot[0] == w0 && (slot[1] & ~(uint64_t)0xff) == w1 && (slot[1] & 0xff) != 0)
            return (size_t)(slot[1] & 0xff) - 1;
        size_t owner = owner_lookup(t, pkt);
        slot[0] = w0;
        slot[1] = w1 | (owner + 1);
        return owner;
    }
    struct owner_key k;
    size_t alen = pkt->src.family == 6 ? 16 : 4;
    memset(&k, 0, sizeof(k));
    memcpy(k.src, pkt->src.bytes, alen);
    memcpy(k.dst, pkt->dst.bytes, alen);
    k.sport = pkt->sport;
    k.dport = pkt->dport;
    k.vlan[0] = pkt->vlan[0];
    k.vlan[1] = pkt->vlan[1];
    k.family = pkt->src.family;
    k.proto = pkt->ip_proto;
    uint64_t a, b;
    memcpy(&a, k.src + 8, 8);
    memcpy(&b, k.dst + 8, 8);
    struct owner_slot *s =
        &t->owners->other[mix_index(a ^ b, (uint64_t)k.sport << 16 | k.dport, OWNER_BITS)];
    if (s->owner && memcmp(&s->key, &k, sizeof(k)) == 0)
        return s->owner - 1;
    size_t owner = owner_lookup(t, pkt);
    s->key = k;
    s->owner = (uint32_t)owner + 1;
    return owner;
}

/* Live fan-out: reads queue idx of the source, whose packets are all this worker's. */
static int read_queue(struct fthread *t)
{
    struct sk_worker *w = t->cfg->workers[t->idx];
    struct sk_raw_packet raw;
    int damaged = 0;
    int r = 0;
    uint64_t last_tick = 0;

    while (!atomic_load_explicit(t->failed, memory_order_relaxed) &&
           (r = sk_source_read_queue(t->src, t->idx, &raw, t->stop, &damaged)) > 0) {
        /* the kernel gave this socket whole flows: the clock is wall time, so idle flows
         * expire on a silent link too */
        uint64_t now = wall_us();
        if (r == SK_SOURCE_IDLE || now - last_tick > 1000000u) {
            sk_worker_tick(w, now);
            last_tick = now;
        }
        if (r == SK_SOURCE_IDLE)
            continue;
        if ((r = sk_worker_packet(w, &raw)) < 0)
            return r;
    }
    return r < 0 ? r : damaged;
}

/* The lead hands follower k a record it placed in k's flow (H_RAW or H_COPY). */
static void hand_raw(struct fthread *t, size_t k, const struct sk_raw_packet *raw, uint64_t clock)
{
    bool lend = sk_source_mapped(t->src, raw);
    uint32_t size = hand_size(sizeof(*raw) + (lend ? 0 : raw->caplen));
    struct hent *e = hand_room(t, k, size);
    if (e == NULL)
        return; /* the follower is gone: the run is failing */
    struct sk_raw_packet *r = (struct sk_raw_packet *)(e + 1);
    *r = *raw;
    if (!lend)
        memcpy(r + 1, raw->data, raw->caplen);
    hand_put(&t->hands[k], e, size, lend ? H_RAW : H_COPY, clock);
}

/* A decoded packet for worker k (the lead's own ring included): H_PKT when its payload is
 * in the record read from the mapping (lent), else H_DECODED with the payload copied. */
static void hand_decoded(struct fthread *t, size_t k, const struct sk_raw_packet *raw,
                         const struct sk_packet *pkt, uint64_t clock)
{
    bool lend =
        sk_source_mapped(t->src, raw) &&
        (pkt->payload_len == 0 ||
         (pkt->payload >= raw->data && pkt->payload + pkt->payload_len <= raw->data + raw->caplen));
    uint32_t size = hand_size(sizeof(*pkt) + (lend ? 0 : pkt->payload_len));
    struct hent *e = hand_room(t, k, size);
    if (e == NULL)
        return;
    struct sk_packet *p = (struct sk_packet *)(e + 1);
    *p = *pkt;
    if (!lend && pkt->payload_len)
        memcpy(p + 1, pkt->payload, pkt->payload_len);
    hand_put(&t->hands[k], e, size, lend ? H_PKT : H_DECODED, clock);
}

/* Runs one entry through worker w (a record decoded first); H_WRAP does nothing. Returns 0
 * or a negative SK_E_* code. */
static int hand_run(struct sk_worker *w, const struct hent *e)
{
    struct sk_packet pkt;
    int r = 0; /* H_TICK */
    switch (e->kind) {
    case H_WRAP:
        return 0;
    case H_RAW:
    case H_COPY: {
        struct sk_raw_packet raw;
        memcpy(&raw, e + 1, sizeof(raw));
        if (e->kind == H_COPY)
            raw.data = (const uint8_t *)(e + 1) + sizeof(raw);
        r = sk_worker_decode(w, &raw, &pkt);
        break;
    }
    case H_DECODED:
    case H_PKT:
        memcpy(&pkt, e + 1, sizeof(pkt));
        if (e->kind == H_DECODED)
            pkt.payload = (const uint8_t *)(e + 1) + sizeof(pkt);
        r = 1;
        break;
    }
    /* the table's clock is the latest packet the lead had read, as one worker's would be */
    if (r == 0 || (r > 0 && e->clock > pkt.ts_us))
        sk_worker_tick(w, e->clock);
    if (r > 0 && pkt.ip_proto == 6)
        r = sk_worker_decoded(w, &pkt);
    return r < 0 ? r : 0;
}

/* The lead runs the oldest entry of its own ring. */
static int lead_run_own(struct fthread *t)
{
    struct hand *h = &t->hands[0];
    size_t at = atomic_load_explicit(&h->done_to, memory_order_relaxed);
    const struct hent *e = (const struct hent *)(h->buf + (at & (HAND_BYTES - 1)));
    int r = t->lead_rc < 0 ? 0 : hand_run(t->cfg->workers[0], e);
    if (r < 0)
        t->lead_rc = r;
    atomic_store_explicit(&h->done_count,
                          atomic_load_explicit(&h->done_count, memory_order_relaxed) +
                              (e->kind != H_WRAP && e->kind != H_TICK),
                          memory_order_relaxed);
    atomic_store_explicit(&h->done_to, at + e->size, memory_order_relaxed);
    return r;
}

/* The unmap hook: the lead runs what its own ring holds, and every follower is done with its
 * records lent from the mapping. */
static void hand_drain(void *ctx)
{
    struct fthread *t = ctx;
    while (own_queued(t))
        lead_run_own(t);
    for (size_t k = 1; k < t->cfg->n_workers; k++) {
        hand_publish(&t->hands[k]);
        hand_await_done(&t->hands[k], t->hands[k].wpos);
    }
}

/* Whether every follower is busy (HAND_LOW packets or half its ring waiting): the lead runs
 * its own then. */
static bool followers_busy(const struct fthread *t)
{
    for (size_t k = 1; k < t->cfg->n_workers; k++)
        if (hand_waiting(t, k) < HAND_LOW &&
            t->hands[k].wpos - atomic_load_explicit(&t->hands[k].done_to, memory_order_relaxed) <
                HAND_BYTES / 2)
            return false;
    return true;
}

/* The lead's reading: it places every record, hands the followers theirs, and queues its own
 * (decoded) in its own ring, which it runs whenever every follower has enough waiting: so a
 * burst of the lead's own flows does not leave a follower without work. */
static int read_lead(struct fthread *t)
{
    struct sk_worker *w = t->cfg->workers[0];
    size_t n = t->cfg->n_workers;
    struct sk_raw_packet raw;
    struct sk_packet pkt;
    uint64_t clock = 0;
    int damaged = 0;
    int r = 0;

    sk_source_set_unmap_hook(t->src, hand_drain, t);
    while (!atomic_load_explicit(t->failed, memory_order_relaxed) && t->lead_rc >= 0 &&
           (r = sk_source_read(t->src, &raw, t->stop, &damaged)) > 0) {
        int peeked = sk_decoder_peek(&raw, &pkt);
        size_t k = 0;
        if (peeked > 0) {
            if (pkt.ts_us > clock)
                clock = pkt.ts_us;
            if ((k = owner_of(t, &pkt)) != 0) {
                sk_worker_count_peeked(w, &raw, &pkt);
                hand_raw(t, k, &raw, clock);
                goto next;
            }
        }
        if ((r = sk_worker_decode(w, &raw, &pkt)) < 0)
            break;
        if (r == 0 || pkt.ip_proto != 6)
            goto next;
        if (peeked < 0) {
            if (pkt.ts_us > clock)
                clock = pkt.ts_us;
            k = owner_of(t, &pkt);
        }
        if (k == 0 && hand_waiting(t, 0) == 0 && followers_busy(t)) {
            /* nothing queued before it, the followers have work: run it now */
            if (clock > pkt.ts_us)
                sk_worker_tick(w, clock);
            if ((r = sk_worker_decoded(w, &pkt)) < 0)
                break;
        } else {
            hand_decoded(t, k, &raw, &pkt, clock);
        }
    next:
        /* a follower whose flows are quiet still ages them as one worker would */
        for (k = 1; k < n; k++) {
            struct hand *h = &t->hands[k];
            if (clock - h->sent_clock >= HAND_TICK_US) {
                struct hent *e = hand_room(t, k, sizeof(*e));
                if (e != NULL)
                    hand_put(h, e, sizeof(*e), H_TICK, clock);
            }
        }
        while (hand_waiting(t, 0) > 0 && followers_busy(t))
            lead_run_own(t);
    }
    /* what is queued is run whatever ended the reading */
    while (own_queued(t))
        lead_run_own(t);
    /* no unmapping from here on is the pipeline's concern: the followers are joined first */
    sk_source_set_unmap_hook(t->src, NULL, NULL);
    for (size_t k = 1; k < n; k++) {
        struct hand *h = &t->hands[k];
        h->end_clock = clock;
        hand_publish(h);
        atomic_store(&h->done, true);
        hand_wake(h);
    }
    if (r < 0)
        return r;
    if (t->lead_rc < 0)
        return t->lead_rc;
    sk_worker_tick(w, clock);
    return damaged;
}

/* A follower: the records the lead hands it, until the lead is done. */
static int read_follower(struct fthread *t)
{
    struct sk_worker *w = t->cfg->workers[t->idx];
    struct hand *h = &t->hands[t->idx];
    size_t rpos = 0, shown = 0, count = 0;
    int rc = 0;

    for (;;) {
        size_t head = atomic_load_explicit(&h->head, memory_order_acquire);
        if (head == rpos) {
            /* all taken: say so, then wait for more or for the end */
            atomic_store(&h->done_count, count);
            atomic_store(&h->done_to, rpos);
            shown = rpos;
            if (atomic_load(&h->lead_sleeps))
                hand_wake(h);
            for (int i = 0;; i++) {
                if ((head = atomic_load_explicit(&h->head, memory_order_acquire)) != rpos)
                    break;
                if (atomic_load(&h->done)) {
                    head = atomic_load(&h->head); /* final: shown before done was set */
                    break;
                }
                if (i < HAND_SPIN)
                    continue;
                pthread_mutex_lock(&h->mu);
                atomic_store(&h->follower_sleeps, 1);
                if (atomic_load(&h->head) == rpos && !atomic_load(&h->done))
                    pthread_cond_wait(&h->cv, &h->mu);
                atomic_store(&h->follower_sleeps, 0);
                pthread_mutex_unlock(&h->mu);
                i = 0;
            }
            if (head == rpos)
                break;
        }
        while (rpos != head) {
            const struct hent *e = (const struct hent *)(h->buf + (rpos & (HAND_BYTES - 1)));
            if (rc >= 0 && (rc = hand_run(w, e)) < 0)
                atomic_store(t->failed, 1); /* the lead stops; this one only drains */
            count += e->kind != H_WRAP && e->kind != H_TICK;
            rpos += e->size;
            if (rpos - shown >= HAND_RETURN) {
                atomic_store_explicit(&h->done_count, count, memory_order_relaxed);
                atomic_store(&h->done_to, rpos);
                shown = rpos;
                if (atomic_load(&h->lead_sleeps))
                    hand_wake(h);
            }
        }
    }
    if (rc < 0)
        return rc;
    sk_worker_tick(w, h->end_clock);
    return 0;
}

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *file_worker_main(void *arg)
{
    struct fthread *t = arg;
    struct timespec cpu;
    arena_prime();
    double t0 = mono_s();
    /* Reading files, no one waits for a record: each worker gathers its records in a batch
     * of its own (outfile.h) rather than taking a file's lock for each. No memory for it:
     * each record takes the lock. */
    struct sk_outfile_batch *batch = NULL;
    if (!t->queue && sk_outfile_batch_new(&batch) == 0)
        sk_outfile_batch_set(batch);
    t->rc = t->queue ? read_queue(t) : t->idx == 0 ? read_lead(t) : read_follower(t);
    if (t->rc < 0)
        atomic_store(t->failed, 1);
    /* what the batch kept goes out before any worker writes the end's records in turn */
    sk_outfile_batch_set(NULL);
    sk_outfile_batch_free(batch);
    double t_read = mono_s();
    /* Whatever ended the reading (the end, a stop signal, an error), every flow is logged. */
    finish_staged(t->turn, t->idx, t->cfg->workers[t->idx]);
    /* how evenly the flows spread (-v): each worker's own CPU time, when it finished reading
     * and when it had ended its last flow (it waits for the others' turns in between) */
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu) == 0)
        sk_info("worker %zu: %.3f s of CPU, read the capture in %.3f s, done at %.3f s", t->idx,
                (double)cpu.tv_sec + (double)cpu.tv_nsec / 1e9, t_read - t0, mono_s() - t0);
    return NULL;
}

static int run_readers(const struct sk_pipeline_config *cfg, struct sk_source *file,
                       struct sk_source *queues, _Atomic int *stop, struct sk_pipeline_stats *st);

static void hands_free(struct hand *hands, size_t n)
{
    for (size_t k = 0; hands && k < n; k++) {
        free(hands[k].buf);
        pthread_cond_destroy(&hands[k].cv);
        pthread_mutex_destroy(&hands[k].mu);
    }
    free(hands);
}

/* A ring for each worker: hands[0] is the lead's own. */
static int hands_new(struct hand **out, size_t n)
{
    struct hand *hands = calloc(n, sizeof(*hands));
    if (hands == NULL)
        return SK_E_NOMEM;
    for (size_t k = 0; k < n; k++) {
        struct hand *h = &hands[k];
        pthread_mutex_init(&h->mu, NULL);
        pthread_cond_init(&h->cv, NULL);
        atomic_init(&h->alive, true);
        if ((h->buf = malloc(HAND_BYTES)) == NULL) {
            hands_free(hands, k + 1);
            return SK_E_NOMEM;
        }
    }
    *out = hands;
    return 0;
}

int sk_pipeline_run_files(const struct sk_pipeline_config *cfg, struct sk_source *src,
                          _Atomic int *stop, struct sk_pipeline_stats *st)
{
    if (cfg->n_workers < 2)
        return SK_E_INVAL;
    return run_readers(cfg, src, NULL, stop, st);
}

int sk_pipeline_run_queues(const struct sk_pipeline_config *cfg, struct sk_source *src,
                           _Atomic int *stop)
{
    if (sk_source_queues(src) != cfg->n_workers)
        return SK_E_INVAL;
    return run_readers(cfg, NULL, src, stop, NULL);
}

/* Starts a thread a worker: with queues, worker i reads queue i (read_queue()); else the
 * first worker reads the file source and the others follow it (read_lead(), read_follower()). */
static int run_readers(const struct sk_pipeline_config *cfg, struct sk_source *file,
                       struct sk_source *queues, _Atomic int *stop, struct sk_pipeline_stats *st)
{
    size_t n = cfg->n_workers;
    _Atomic int failed;
    size_t started = 0;
    int rc = 0;

    atomic_init(&failed, 0);
    struct claims claims = {.slot = NULL, .mask = 0, .full = 0};
    if (file && cfg->claim && n <= 64 && claims_new(&claims, cfg->capture_bytes) < 0)
        return SK_E_NOMEM;
    struct fthread *ft = calloc(n, sizeof(*ft));
    struct hand *hands = NULL;
    struct owner_memo *owners = file ? owners_new() : NULL;
    struct end_turn turn;
    if (!ft || (file && (!owners || hands_new(&hands, n) < 0)) || turn_init(&turn, n) < 0) {
        hands_free(hands, n);
        free(owners);
        free(ft);
        claims_free(&claims);
        return SK_E_NOMEM;
    }
    if (file)
        /* the followers read the lead's mapping in this process: sk_source_set_shared() */
        sk_source_set_shared(file, true);
    for (; started < n; started++) {
        struct fthread *t = &ft[started];
        *t = (struct fthread){.cfg = cfg,
                              .queue = queues != NULL,
                              .owners = started == 0 ? owners : NULL,
                              .claims = claims.slot ? &claims : NULL,
                              .hands = hands,
                              .idx = started,
                              .src = queues ? queues : file,
                              .stop = stop,
                              .failed = &failed,
                              .turn = &turn};
        if (pthread_create(&t->tid, NULL, file_worker_main, t) != 0) {
            sk_error("cannot start worker thread %zu", started);
            atomic_store(&failed, 1);
            rc = SK_E_NOMEM;
            break;
        }
    }
    /* followers that did not start: the lead stops (failed), hands them nothing, waits for none */
    for (size_t k = started > 0 ? started : 1; hands && k < n; k++) {
        atomic_store(&hands[k].alive, false);
        hand_wake(&hands[k]);
    }
    turn_expect(&turn, started);
    for (size_t i = 0; i < started; i++) {
        pthread_join(ft[i].tid, NULL);
        if (ft[i].rc < 0 && rc >= 0)
            rc = ft[i].rc;
    }
    /* damaged files: the lead's count (followers and queues return 0) */
    for (size_t i = 0; i < started && rc >= 0; i++)
        if (ft[i].rc > rc)
            rc = ft[i].rc;
    free(owners);
    turn_release(&turn);
    hands_free(hands, n);
    free(ft);
    if (st)
        st->claims_full = atomic_load(&claims.full);
    claims_free(&claims);
    return rc;
}
