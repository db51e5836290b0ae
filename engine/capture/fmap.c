/* SPDX-License-Identifier: GPL-2.0-only */
/* Read-only capture file mappings guarded against SIGBUS (fmap.h). */
#include "engine/capture/fmap.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* One slot a live mapping: every worker maps its capture once at a time. A full table only
 * means the next file is read without a mapping. */
#define FMAP_SLOTS 256

struct fslot {
    _Atomic uintptr_t lo; /* the mapping's first byte; 0 for a free slot */
    _Atomic size_t span;  /* its length in whole pages */
    _Atomic int cut;
};

static struct fslot slots[FMAP_SLOTS];
static pthread_mutex_t slots_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t page_once = PTHREAD_ONCE_INIT;
static struct sigaction prev_bus; /* the handler there was before ours */
static size_t page_size;

/* Async-signal-safe: atomics, mmap and sigaction-level calls only. */
static void on_bus(int sig, siginfo_t *si, void *uc)
{
    uintptr_t a = (uintptr_t)si->si_addr;
    for (size_t i = 0; si->si_code > 0 && i < FMAP_SLOTS; i++) {
        uintptr_t lo = atomic_load_explicit(&slots[i].lo, memory_order_acquire);
        size_t span = atomic_load_explicit(&slots[i].span, memory_order_relaxed);
        if (lo == 0 || a < lo || a - lo >= span)
            continue;
        /* the rest of the mapping from the faulting page on becomes zeros the file can no
         * longer take away; the read that faulted then reads a zero */
        uintptr_t pg = a & ~(uintptr_t)(page_size - 1);
        int saved = errno;
        void *p = mmap((void *)pg, lo + span - pg, PROT_READ,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
        errno = saved;
        if (p == MAP_FAILED)
            break;
        atomic_store_explicit(&slots[i].cut, 1, memory_order_relaxed);
        return;
    }
    /* Not in a mapping of ours: what the handler before would have done. */
    if ((prev_bus.sa_flags & SA_SIGINFO) && prev_bus.sa_sigaction) {
        prev_bus.sa_sigaction(sig, si, uc);
        return;
    }
    if (!(prev_bus.sa_flags & SA_SIGINFO) && prev_bus.sa_handler != SIG_DFL &&
        prev_bus.sa_handler != SIG_IGN) {
        prev_bus.sa_handler(sig);
        return;
    }
    /* The default action: a fault happens again on return and ends the process; a signal
     * someone sent is sent again. */
    signal(SIGBUS, SIG_DFL);
    if (si->si_code <= 0)
        raise(SIGBUS);
}

static void page_init(void)
{
    long ps = sysconf(_SC_PAGESIZE);
    if (ps > 0 && (ps & (ps - 1)) == 0)
        page_size = (size_t)ps;
}

/* The handler is put in place when a file is mapped, again if something replaced it since
 * (a test harness, a library): the one it replaced is the one it hands other faults to.
 * Called with slots_mu held. */
static bool install(void)
{
    struct sigaction cur;
    if (sigaction(SIGBUS, NULL, &cur) != 0)
        return false;
    if ((cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == on_bus)
        return true;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_bus;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    prev_bus = cur;
    return sigaction(SIGBUS, &sa, NULL) == 0;
}

int sk_fmap_open(struct sk_fmap *m, int fd, size_t len)
{
    memset(m, 0, sizeof(*m));
    m->slot = -1;
    pthread_once(&page_once, page_init);
    if (page_size == 0 || len == 0)
        return -1;
    void *p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED)
        return -1;
    int slot = -1;
    pthread_mutex_lock(&slots_mu);
    bool guarded = install();
    for (int i = 0; guarded && i < FMAP_SLOTS && slot < 0; i++)
        if (atomic_load_explicit(&slots[i].lo, memory_order_relaxed) == 0)
            slot = i;
    if (slot >= 0) {
        atomic_store_explicit(&slots[slot].span, (len + page_size - 1) & ~(page_size - 1),
                              memory_order_relaxed);
        atomic_store_explicit(&slots[slot].cut, 0, memory_order_relaxed);
        atomic_store_explicit(&slots[slot].lo, (uintptr_t)p, memory_order_release);
    }
    pthread_mutex_unlock(&slots_mu);
    if (slot < 0) {
        munmap(p, len);
        return -1;
    }
    /* read ahead of the faults, as a sequential read() is */
    (void)madvise(p, len, MADV_SEQUENTIAL);
    m->base = p;
    m->len = len;
    m->page = page_size;
    m->cut = &slots[slot].cut;
    m->slot = slot;
    return 0;
}

void sk_fmap_close(struct sk_fmap *m)
{
    if (m->base == NULL)
        return;
    /* out of the table first: no fault of this range is taken for ours once it is unmapped */
    atomic_store_explicit(&slots[m->slot].lo, 0, memory_order_release);
    munmap((void *)(uintptr_t)m->base, m->len);
    m->base = NULL;
    m->slot = -1;
}

void sk_fmap_release(struct sk_fmap *m, size_t upto)
{
    size_t to = upto & ~(m->page - 1);
    if (m->base == NULL || to <= m->released)
        return;
    (void)madvise((void *)(uintptr_t)(m->base + m->released), to - m->released, MADV_DONTNEED);
    m->released = to;
}
