/* SPDX-License-Identifier: GPL-2.0-only */
/* Packet sources over libpcap: one capture file (pcap or pcapng), a folder of captures read
 * in name order, or a live interface. A damaged file inside a folder is reported once and
 * skipped so one bad capture never hides the others. A classic pcap file is read from a
 * memory mapping while its records are ones libpcap would hand out unchanged. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <pthread.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "engine/capture/afpacket.h"
#include "engine/capture/fmap.h"
#include "engine/capture/source.h"
#include "engine/config.h"
#include "engine/error.h"
#include "engine/log.h"

#define SK_SOURCE_SNAPLEN    65535
#define SK_SOURCE_TIMEOUT_MS 100
#define PUBLISH_US           1000000u /* readers publish their counters this often */

#define READ_AHEAD         (1u << 20) /* a plain file is read this much at a time */
/* The longest record read ahead. A file's header may claim any snapshot length up to 2^31 - 1
 * (libpcap takes it as written), and a buffer sized by it is the file's to choose: a hostile
 * file asked for 2 GiB (tests/fuzz/regressions/pcap/snaplen-2g-readahead-oom). libpcap
 * itself takes no longer record on the link types Shrike reads; a longer one is left to it
 * (from that record on), which reports it as it did. */
#define READ_AHEAD_MAX_REC (256u * 1024)

/* A capture file read from a mapping of it (fmap.h), else ahead in large pieces (pread),
 * rather than by libpcap's two stdio reads a record: no call and no copy per record, and
 * several workers reading the same file share the page cache's pages instead of each copying
 * the file (docs/performance.md, "Two workers (session 8)"). Records are handed out from the
 * mapping or the buffer, valid until the next one, as libpcap's are. The mapping covers the
 * file's size when it was opened: what it grows by is read on with pread, and one that
 * shrinks ends where its bytes end, as a truncated file (libpcap reads from the record the
 * cut met). */
/* Pages behind the reader are given back every MAP_RELEASE bytes, so a reader keeps about
 * that much of the file resident. One of several readers in the process (sk_source_set_shared)
 * gives them back less often and in whole 2 MiB pieces: every release flushes the
 * translation from the CPUs the other readers run on (an interrupt to each, in a virtual
 * machine an exit), and a file whose page cache holds large folios is mapped by 2 MiB
 * entries, which a release of part of one splits first: once a MiB, 200 of a 100 MB
 * two-worker run's 400 flushes ("Two workers (session 9)"). */
#define MAP_RELEASE              ((size_t)1 << 20)
#define MAP_RELEASE_SHARED       ((size_t)8 << 20)
#define MAP_RELEASE_SHARED_ALIGN ((size_t)2 << 20)

struct readahead {
    const uint8_t *base; /* records are read here: map.base or buf; NULL when libpcap reads */
    struct sk_fmap map;  /* the file's mapping, while records are read from it */
    uint8_t *buf;        /* the read-ahead buffer, once reading by pread */
    size_t cap;          /* READ_AHEAD plus the largest record */
    off_t at;            /* the file offset of base[0] */
    size_t len;          /* bytes of base readable (a mapping: sk_fmap_usable()) */
    off_t off;           /* the next record's file offset */
    int fd;              /* borrowed from libpcap's FILE */
    bool swapped;        /* the file's byte order is not ours */
    bool nsec;           /* nanosecond time stamps */
    uint32_t snap;       /* libpcap's snapshot length for the file, at most READ_AHEAD_MAX_REC */
    int linktype;        /* the file's */
};

/* One live interface (libpcap) or one AF_PACKET socket: counted by its reading thread only;
 * pub is the copy other threads read, under the source's lock. */
struct live_part {
    pcap_t *pcap;       /* libpcap, else NULL */
    struct sk_afp *afp; /* AF_PACKET, else NULL */
    const char *name;   /* borrowed: the source's path or ifnames */
    struct sk_iface_stats own, pub;
    uint64_t next_publish; /* wall time, microseconds */
};

struct sk_source {
    pcap_t *pcap;             /* the handle being read, NULL between files */
    char *path;               /* the file or folder given to open */
    char **files;             /* offline: capture files in reading order */
    size_t nfiles, next_file; /* next_file: index of the next file to open */
    const char *cur_file;     /* borrowed from files while pcap is open */
    char *bpf;                /* NULL when no filter */
    bool live;
    bool quiet;          /* sk_source_read() logs no error */
    size_t release_step; /* MAP_RELEASE, or MAP_RELEASE_SHARED (sk_source_set_shared) */
    size_t release_mask; /* all ones, or the whole MAP_RELEASE_SHARED_ALIGN pieces */
    uint64_t bytes;      /* offline: the sizes of the files listed, summed */
    _Atomic int stop;    /* set by sk_source_break(), maybe in another thread */
    struct sk_source_stats stats;
    uint64_t cut_in_file; /* packets of the open file shorter than on the wire */
    struct readahead ra;  /* the open file, when read ahead */
    /* live: libpcap's interfaces (one queue read as a set) or AF_PACKET's sockets (a queue each) */
    struct live_part *parts;
    size_t n_parts;
    size_t rr; /* libpcap: the interface to try first */
    bool afpacket;
    /* offline: called before a mapping whose records were handed out is unmapped */
    void (*unmap_hook)(void *ctx);
    void *unmap_ctx;
    char **ifnames;     /* libpcap: the interface names */
    pthread_mutex_t mu; /* guards every part's pub */
    bool mu_init;
    char err[PCAP_ERRBUF_SIZE + 512];
};

static void set_err(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void readahead_open(struct sk_source *src);

/* Writes a message into the caller's buffer, when there is one. */
static void set_err(char *buf, size_t len, const char *fmt, ...)
{
    va_list ap;

    if (!buf || !len)
        return;
    va_start(ap, fmt);
    vsnprintf(buf, len, fmt, ap);
    va_end(ap);
}

/* Compiles and installs the filter; on failure writes pcap's message. */
static int apply_filter(pcap_t *p, const char *bpf, const char *what, char *err, size_t errlen)
{
    struct bpf_program prog;

    if (!bpf)
        return 0;
    if (pcap_compile(p, &prog, bpf, 1, PCAP_NETMASK_UNKNOWN) != 0) {
        set_err(err, errlen, "bad filter '%s' for '%s': %s", bpf, what, pcap_geterr(p));
        return SK_E_INVAL;
    }
    int rc = pcap_setfilter(p, &prog);
    pcap_freecode(&prog);
    if (rc != 0) {
        set_err(err, errlen, "cannot set filter on '%s': %s", what, pcap_geterr(p));
        return SK_E_INVAL;
    }
    return 0;
}

/* Opens one capture file: SK_E_NOTFOUND or SK_E_IO when it cannot be read, SK_E_FORMAT when
 * it is not a pcap or pcapng file, SK_E_INVAL when the filter does not compile for it. */
/* The link types engine/capture/decode.c decodes (12, 14, 101: raw IP; 108: OpenBSD loopback). */
static bool linktype_known(int dlt)
{
    static const int known[] = {DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_NULL, 108, 12,
                                14,         101,           DLT_IPV4,       DLT_IPV6};
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        if (known[i] == dlt)
            return true;
    return false;
}

static int open_file(const char *file, const char *bpf, pcap_t **out, char *err, size_t errlen)
{
    char pcap_err[PCAP_ERRBUF_SIZE] = "";
    int rc;

    FILE *fp = fopen(file, "rb");
    if (!fp) {
        rc = errno == ENOENT ? SK_E_NOTFOUND : SK_E_IO;
        set_err(err, errlen, "cannot open '%s': %s", file, strerror(errno));
        return rc;
    }
    pcap_t *p = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_MICRO, pcap_err);
    if (!p) {
        set_err(err, errlen, "'%s' is not a pcap or pcapng file: %s", file, pcap_err);
        rc = SK_E_FORMAT;
        goto out_close_fp;
    }
    if (!linktype_known(pcap_datalink(p))) {
        const char *name = pcap_datalink_val_to_name(pcap_datalink(p));
        set_err(err, errlen, "'%s' has link type %d (%s), which shrike does not decode", file,
                pcap_datalink(p), name ? name : "unknown");
        pcap_close(p);
        return SK_E_FORMAT;
    }
    rc = apply_filter(p, bpf, file, err, errlen);
    if (rc < 0) {
        pcap_close(p); /* closes fp too */
        return rc;
    }
    *out = p;
    return 0;

out_close_fp:
    fclose(fp);
    return rc;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lists the regular files of dir (symlinks followed), sorted by name. */
static int list_folder(struct sk_source *src, const char *dir, char *err, size_t errlen)
{
    size_t cap = 0;
    int rc = 0;
    struct dirent *de;

    DIR *dp = opendir(dir);
    if (!dp) {
        int e = errno;
        set_err(err, errlen, "cannot open folder '%s': %s", dir, strerror(e));
        return e == ENOENT ? SK_E_NOTFOUND : SK_E_IO;
    }
    int dirlen = (int)strlen(dir);
    while (dirlen > 1 && dir[dirlen - 1] == '/')
        dirlen--; /* "caps/" names its files "caps/a.pcap" */
    while ((de = readdir(dp)) != NULL) {
        struct stat st;
        size_t n = (size_t)dirlen + strlen(de->d_name) + 2;
        char *full = malloc(n);
        if (!full) {
            rc = SK_E_NOMEM;
            goto out_closedir;
        }
        snprintf(full, n, "%.*s/%s", dirlen, dir, de->d_name);
        if (stat(full, &st) != 0 || !S_ISREG(st.st_mode)) {
            free(full);
            continue;
        }
        src->bytes += (uint64_t)st.st_size;
        if (src->nfiles == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            char **nf = realloc(src->files, ncap * sizeof(*nf));
            if (!nf) {
                free(full);
                rc = SK_E_NOMEM;
                goto out_closedir;
            }
            src->files = nf;
            cap = ncap;
        }
        src->files[src->nfiles++] = full;
    }
    if (src->nfiles == 0) {
        set_err(err, errlen, "no capture files in '%s'", dir);
        rc = SK_E_NOTFOUND;
        goto out_closedir;
    }
    qsort(src->files, src->nfiles, sizeof(*src->files), cmp_names);

out_closedir:
    closedir(dp);
    return rc;
}

static struct sk_source *source_alloc(const char *path, const char *bpf)
{
    struct sk_source *src = calloc(1, sizeof(*src));
    if (!src)
        return NULL;
    src->release_step = MAP_RELEASE;
    src->release_mask = SIZE_MAX;
    src->path = strdup(path);
    if (!src->path)
        goto out_free_src;
    if (bpf) {
        src->bpf = strdup(bpf);
        if (!src->bpf)
            goto out_free_path;
    }
    return src;

out_free_path:
    free(src->path);
out_free_src:
    free(src);
    return NULL;
}

/* Checks the filter's syntax once, so a folder with a bad filter fails at open time. */
static int check_filter(const char *bpf, char *err, size_t errlen)
{
    struct bpf_program prog;
    int rc = 0;

    if (!bpf)
        return 0;
    pcap_t *dead = pcap_open_dead(DLT_EN10MB, SK_SOURCE_SNAPLEN);
    if (!dead) {
        set_err(err, errlen, "cannot check filter: out of memory");
        return SK_E_NOMEM;
    }
    if (pcap_compile(dead, &prog, bpf, 1, PCAP_NETMASK_UNKNOWN) != 0) {
        set_err(err, errlen, "bad filter '%s': %s", bpf, pcap_geterr(dead));
        rc = SK_E_INVAL;
    } else {
        pcap_freecode(&prog);
    }
    pcap_close(dead);
    return rc;
}

int sk_source_open_offline(struct sk_source **out, const char *path, const char *bpf, char *errbuf,
                           size_t errlen)
{
    struct stat st;
    int rc;

    if (!out || !path) {
        set_err(errbuf, errlen, "no capture path given");
        return SK_E_INVAL;
    }
    *out = NULL;
    if (errbuf && errlen)
        errbuf[0] = '\0';
    if (stat(path, &st) != 0) {
        rc = errno == ENOENT ? SK_E_NOTFOUND : SK_E_IO;
        set_err(errbuf, errlen, "cannot open '%s': %s", path, strerror(errno));
        return rc;
    }
    struct sk_source *src = source_alloc(path, bpf);
    if (!src)
        return SK_E_NOMEM;

    if (S_ISDIR(st.st_mode)) {
        rc = check_filter(bpf, errbuf, errlen);
        if (rc < 0)
            goto out_free_src;
        rc = list_folder(src, path, errbuf, errlen);
        if (rc < 0)
            goto out_free_src;
        /* Files are opened lazily by sk_source_next() so a bad one is reported in order. */
    } else {
        src->files = malloc(sizeof(*src->files));
        if (!src->files) {
            rc = SK_E_NOMEM;
            goto out_free_src;
        }
        src->files[0] = strdup(path);
        if (!src->files[0]) {
            rc = SK_E_NOMEM;
            goto out_free_src;
        }
        src->nfiles = 1;
        src->bytes = S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
        rc = open_file(path, bpf, &src->pcap, errbuf, errlen);
        if (rc < 0)
            goto out_free_src;
        src->cur_file = src->files[0];
        src->next_file = 1;
        src->stats.files = 1;
        readahead_open(src);
    }
    *out = src;
    return 0;

out_free_src:
    sk_source_free(src);
    return rc;
}

static uint64_t wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int sk_source_live_config(const struct sk_config *cfg, struct sk_live_config *lc, char *errbuf,
                          size_t errlen)
{
    uint64_t v[4];
    int rc;
    if ((rc = sk_config_u64(cfg, "capture.snaplen", &v[0], errbuf, errlen)) < 0 ||
        (rc = sk_config_size(cfg, "capture.pcap.buffer-size", &v[1], errbuf, errlen)) < 0 ||
        (rc = sk_config_size(cfg, "capture.af-packet.ring-size", &v[2], errbuf, errlen)) < 0 ||
        (rc = sk_config_size(cfg, "capture.af-packet.block-size", &v[3], errbuf, errlen)) < 0)
        return rc;
    if (v[0] < 64 || v[0] > 262144 || v[1] > (1u << 30)) {
        snprintf(errbuf, errlen,
                 "capture.snaplen must be 64 to 262144 and capture.pcap.buffer-size at most 1gb");
        return SK_E_INVAL;
    }
    lc->snaplen = (unsigned)v[0];
    lc->pcap_buffer_size = (size_t)v[1];
    lc->afp_ring_size = (size_t)v[2];
    lc->afp_block_size = (size_t)v[3];
    return 0;
}

static struct sk_source *live_alloc(const struct sk_live_config *lc, size_t n_parts)
{
    struct sk_source *src = source_alloc(lc->ifaces[0], lc->bpf);
    if (!src)
        return NULL;
    src->live = true;
    src->cur_file = src->path;
    if (!(src->parts = calloc(n_parts, sizeof(*src->parts))) ||
        pthread_mutex_init(&src->mu, NULL) != 0) {
        sk_source_free(src);
        return NULL;
    }
    src->mu_init = true;
    src->n_parts = n_parts;
    return src;
}

/* One libpcap handle on iface, activated and filtered. */
static int open_pcap_iface(const char *iface, const struct sk_live_config *lc, pcap_t **out,
                           char *errbuf, size_t errlen)
{
    char pcap_err[PCAP_ERRBUF_SIZE] = "";
    int rc = SK_E_PCAP;

    pcap_t *p = pcap_create(iface, pcap_err);
    if (!p) {
        set_err(errbuf, errlen, "cannot open interface '%s': %s", iface, pcap_err);
        return SK_E_PCAP;
    }
    if (pcap_set_promisc(p, 1) != 0 ||
        pcap_set_snaplen(p, lc->snaplen ? (int)lc->snaplen : SK_SOURCE_SNAPLEN) != 0 ||
        pcap_set_timeout(p, SK_SOURCE_TIMEOUT_MS) != 0 || pcap_set_immediate_mode(p, 1) != 0 ||
        (lc->pcap_buffer_size && pcap_set_buffer_size(p, (int)lc->pcap_buffer_size) != 0) ||
        pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_MICRO) != 0) {
        set_err(errbuf, errlen, "cannot configure interface '%s': %s", iface, pcap_geterr(p));
        goto out_close;
    }
    int act = pcap_activate(p);
    if (act < 0) {
        const char *msg = act == PCAP_ERROR ? pcap_geterr(p) : pcap_statustostr(act);
        set_err(errbuf, errlen, "cannot open interface '%s': %s", iface, msg);
        rc = act == PCAP_ERROR_NO_SUCH_DEVICE ? SK_E_NOTFOUND : SK_E_PCAP;
        goto out_close;
    }
    if ((rc = apply_filter(p, lc->bpf, iface, errbuf, errlen)) < 0)
        goto out_close;
    /* one thread reads every interface: none may block while another has packets */
    if (pcap_setnonblock(p, 1, pcap_err) != 0 || pcap_get_selectable_fd(p) < 0) {
        set_err(errbuf, errlen, "cannot poll interface '%s': %s", iface, pcap_err);
        rc = SK_E_PCAP;
        goto out_close;
    }
    *out = p;
    return 0;

out_close:
    pcap_close(p);
    return rc;
}

int sk_source_open_pcap_live(struct sk_source **out, const struct sk_live_config *lc, char *errbuf,
                             size_t errlen)
{
    int rc;

    *out = NULL;
    if (errbuf && errlen)
        errbuf[0] = '\0';
    if (!lc->n_ifaces) {
        set_err(errbuf, errlen, "no interface given");
        return SK_E_INVAL;
    }
    struct sk_source *src = live_alloc(lc, lc->n_ifaces);
    if (!src)
        return SK_E_NOMEM;
    if (!(src->ifnames = calloc(lc->n_ifaces, sizeof(*src->ifnames)))) {
        rc = SK_E_NOMEM;
        goto out_free_src;
    }
    for (size_t i = 0; i < lc->n_ifaces; i++) {
        if (!(src->ifnames[i] = strdup(lc->ifaces[i]))) {
            rc = SK_E_NOMEM;
            goto out_free_src;
        }
        src->parts[i].name = src->parts[i].own.name = src->parts[i].pub.name = src->ifnames[i];
        if ((rc = open_pcap_iface(lc->ifaces[i], lc, &src->parts[i].pcap, errbuf, errlen)) < 0)
            goto out_free_src;
    }
    *out = src;
    return 0;

out_free_src:
    sk_source_free(src);
    return rc;
}

int sk_source_open_live(struct sk_source **out, const char *iface, const char *bpf, char *errbuf,
                        size_t errlen)
{
    if (!out || !iface) {
        set_err(errbuf, errlen, "no interface given");
        return SK_E_INVAL;
    }
    const char *ifaces[1] = {iface};
    struct sk_live_config lc = {.ifaces = ifaces, .n_ifaces = 1, .bpf = bpf};
    return sk_source_open_pcap_live(out, &lc, errbuf, errlen);
}

int sk_source_open_afpacket(struct sk_source **out, const struct sk_live_config *lc,
                            size_t n_queues, char *errbuf, size_t errlen)
{
    struct bpf_program prog;
    bool have_prog = false;
    int rc;

    *out = NULL;
    if (errbuf && errlen)
        errbuf[0] = '\0';
    if (!lc->n_ifaces || n_queues == 0) {
        set_err(errbuf, errlen, "no interface given");
        return SK_E_INVAL;
    }
    const char *iface = lc->ifaces[0];
    int dlt = sk_afp_linktype(iface, errbuf, errlen);
    if (dlt < 0)
        return dlt;
    if (lc->bpf) {
        /* the kernel runs the classic BPF program libpcap compiles for the link type */
        pcap_t *dead = pcap_open_dead(dlt, lc->snaplen ? (int)lc->snaplen : SK_SOURCE_SNAPLEN);
        if (!dead)
            return SK_E_NOMEM;
        if (pcap_compile(dead, &prog, lc->bpf, 1, PCAP_NETMASK_UNKNOWN) != 0) {
            set_err(errbuf, errlen, "bad filter '%s' for '%s': %s", lc->bpf, iface,
                    pcap_geterr(dead));
            pcap_close(dead);
            return SK_E_INVAL;
        }
        pcap_close(dead);
        have_prog = true;
    }
    struct sk_source *src = live_alloc(lc, n_queues);
    if (!src) {
        rc = SK_E_NOMEM;
        goto out_free_prog;
    }
    src->afpacket = true;
    struct sk_afp_config ac = {
        .iface = iface,
        .ring_size = lc->afp_ring_size ? lc->afp_ring_size : 16u << 20,
        .block_size = lc->afp_block_size ? lc->afp_block_size : 1u << 20,
        .bpf_prog = have_prog ? &prog : NULL,
        .snaplen = lc->snaplen,
    };
    for (size_t i = 0; i < n_queues; i++) {
        src->parts[i].name = src->parts[i].own.name = src->parts[i].pub.name = src->path;
        if ((rc = sk_afp_open(&src->parts[i].afp, &ac, dlt, errbuf, errlen)) < 0) {
            sk_source_free(src);
            goto out_free_prog;
        }
        ac.fanout_id = sk_afp_group(src->parts[i].afp); /* the others join the first's group */
    }
    *out = src;
    rc = 0;
out_free_prog:
    if (have_prog)
        pcap_freecode(&prog);
    return rc;
}

size_t sk_source_queues(const struct sk_source *src)
{
    return src && src->afpacket ? src->n_parts : 1;
}

/* Counts a packet handed out of a file and numbers it. */
static inline void count_packet(struct sk_source *src, struct sk_raw_packet *pkt)
{
    src->stats.packets++;
    if (pkt->caplen < pkt->wirelen) {
        src->stats.packets_cut++;
        src->cut_in_file++;
    }
    pkt->pcap_cnt = src->stats.packets;
    src->stats.bytes += pkt->caplen;
}

static void fill_packet(struct sk_source *src, const struct pcap_pkthdr *h, const uint8_t *data,
                        struct sk_raw_packet *pkt)
{
    pkt->data = data;
    pkt->caplen = h->caplen;
    pkt->wirelen = h->len;
    pkt->ts_us = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
    pkt->linktype = pcap_datalink(src->pcap);
    count_packet(src, pkt);
}

static uint32_t swap32(uint32_t v)
{
    return v >> 24 | (v >> 8 & 0xff00u) | (v << 8 & 0xff0000u) | v << 24;
}

/* Unmaps the open file's mapping, after the hook (sk_source_set_unmap_hook()). */
static void map_close(struct sk_source *src)
{
    if (src->ra.map.base && src->unmap_hook)
        src->unmap_hook(src->unmap_ctx);
    sk_fmap_close(&src->ra.map);
}

static void readahead_drop(struct sk_source *src)
{
    struct readahead *m = &src->ra;
    map_close(src);
    free(m->buf);
    m->buf = NULL;
    m->base = NULL;
}

/* Reads the file libpcap has just opened ahead when it is a classic pcap file (version 2.4
 * or later, the versions whose record lengths libpcap takes as written) with no filter to
 * apply and no pseudo-header libpcap would rewrite (Linux cooked headers in a byte-swapped
 * file). libpcap has read the file header only, so its position is the first record's. */
static void readahead_open(struct sk_source *src)
{
    struct readahead *m = &src->ra;
    struct stat st;
    FILE *fp = pcap_file(src->pcap);
    int dlt = pcap_datalink(src->pcap);
    uint8_t hdr[8];

    memset(m, 0, sizeof(*m));
    m->map.slot = -1;
    if (src->bpf || !fp || fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode) ||
        ftello(fp) != 24 || pread(fileno(fp), hdr, sizeof(hdr), 0) != (ssize_t)sizeof(hdr))
        return;
    uint32_t magic;
    uint16_t major, minor;
    memcpy(&magic, hdr, 4);
    memcpy(&major, hdr + 4, 2);
    memcpy(&minor, hdr + 6, 2);
    m->swapped = magic == 0xd4c3b2a1u || magic == 0x4d3cb2a1u;
    m->nsec = magic == 0xa1b23c4du || magic == 0x4d3cb2a1u;
    if (m->swapped) {
        major = (uint16_t)(major << 8 | major >> 8);
        minor = (uint16_t)(minor << 8 | minor >> 8);
    }
    bool ok = (magic == 0xa1b2c3d4u || magic == 0xa1b23c4du || m->swapped) && major == 2 &&
              minor >= 4 && pcap_snapshot(src->pcap) > 0 &&
              !(m->swapped && (dlt == DLT_LINUX_SLL || dlt == DLT_LINUX_SLL2));
    if (!ok)
        return;
    m->snap = (uint32_t)pcap_snapshot(src->pcap);
    if (m->snap > READ_AHEAD_MAX_REC)
        m->snap = READ_AHEAD_MAX_REC;
    m->fd = fileno(fp);
    m->linktype = dlt;
    m->off = 24;
    if ((uintmax_t)st.st_size <= SIZE_MAX &&
        sk_fmap_open(&m->map, m->fd, (size_t)st.st_size) == 0) {
        if (sk_fmap_usable(&m->map) > 24) {
            m->base = m->map.base;
            m->at = 0;
            m->len = sk_fmap_usable(&m->map);
            return;
        }
        sk_fmap_close(&m->map); /* under three pages: not worth a mapping */
    }
    m->cap = READ_AHEAD + 16 + m->snap;
    if ((m->buf = malloc(m->cap)) == NULL)
        return; /* libpcap reads it */
    m->base = m->buf;
    m->at = 24;
    m->len = 0;
}

/* Reading from the mapping, the pages before the record at `from` go back to the kernel
 * every MAP_RELEASE bytes (MAP_RELEASE_SHARED): the record before it, the caller's until this
 * read, is done. */
static inline void map_advance(const struct sk_source *src, struct readahead *m, size_t from)
{
    if (from - m->map.released >= src->release_step)
        sk_fmap_release(&m->map, from & src->release_mask);
}

/* The next record when it is in the read-ahead buffer whole, in our byte order and plain (as
 * readahead_next() would take it): 1, else 0 and the caller goes the general way. Most
 * records of a file are read here, with no call and no copy of the record header. */
static inline int readahead_fast(struct sk_source *src, struct sk_raw_packet *pkt)
{
    struct readahead *m = &src->ra;
    if (!m->base || m->swapped)
        return 0;
    size_t from = (size_t)(m->off - m->at);
    if (m->len - from < 16)
        return 0;
    const uint8_t *p = m->base + from;
    uint32_t rec[4];
    memcpy(rec, p, sizeof(rec));
    if ((rec[0] | rec[1]) >> 31 || rec[2] > m->snap || rec[2] > rec[3] ||
        m->len - from - 16 < rec[2])
        return 0;
    if (m->map.base) {
        if (!sk_fmap_readable(&m->map, from + 16 + rec[2]))
            return 0;
        map_advance(src, m, from);
    }
    pkt->data = p + 16;
    pkt->caplen = rec[2];
    pkt->wirelen = rec[3];
    pkt->ts_us = (uint64_t)rec[0] * 1000000u + (m->nsec ? rec[1] / 1000 : rec[1]);
    pkt->linktype = m->linktype;
    count_packet(src, pkt);
    m->off += (off_t)(16 + rec[2]);
    return 1;
}

/* Makes the n bytes from the next record's offset readable in the buffer: false when the
 * file has fewer (its end, or a read error). */
static bool ahead(struct sk_source *src, size_t n)
{
    struct readahead *m = &src->ra;
    size_t from = (size_t)(m->off - m->at);
    if (m->map.base) {
        if (m->len - from >= n && sk_fmap_readable(&m->map, from + n))
            return true;
        if (atomic_load_explicit(m->map.cut, memory_order_relaxed))
            return false; /* the file was cut shorter: libpcap reads what is left */
        /* past the mapping's end (the file's at the time, or what it has grown by): on with
         * a buffer read by pread from this record */
        uint8_t *b = malloc(READ_AHEAD + 16 + m->snap);
        if (b == NULL)
            return false;
        map_close(src);
        m->buf = b;
        m->base = b;
        m->cap = READ_AHEAD + 16 + m->snap;
        m->at = m->off;
        m->len = 0;
        from = 0;
    } else if (m->len - from >= n) {
        return true;
    }
    memmove(m->buf, m->buf + from, m->len - from);
    m->len -= from;
    m->at = m->off;
    while (m->len < n) {
        ssize_t r = pread(m->fd, m->buf + m->len, m->cap - m->len, m->at + (off_t)m->len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        m->len += (size_t)r;
    }
    return true;
}

/* The next record from the buffer as libpcap would hand it out: 1, or 0 when the record is
 * not plain (cut to the snapshot length, or not whole in the file: its end, a damaged tail).
 * Then libpcap reads the rest of the file from that record on. */
static int readahead_next(struct sk_source *src, struct pcap_pkthdr *h, const u_char **data)
{
    struct readahead *m = &src->ra;
    uint32_t rec[4];
    if (!ahead(src, sizeof(rec)))
        goto out_libpcap;
    memcpy(rec, m->base + (m->off - m->at), sizeof(rec));
    if (m->swapped)
        for (int i = 0; i < 4; i++)
            rec[i] = swap32(rec[i]);
    /* Time stamps past 2^31 (2038, or damage), whose sign libpcap versions treat differently,
     * and lengths it may adjust are left to libpcap. */
    if ((rec[0] | rec[1]) >> 31 || rec[2] > m->snap || rec[2] > rec[3] ||
        !ahead(src, sizeof(rec) + rec[2]))
        goto out_libpcap;
    h->ts.tv_sec = (time_t)rec[0];
    h->ts.tv_usec = (suseconds_t)(m->nsec ? rec[1] / 1000 : rec[1]);
    h->caplen = rec[2];
    h->len = rec[3];
    if (m->map.base)
        map_advance(src, m, (size_t)(m->off - m->at));
    *data = m->base + (m->off - m->at) + sizeof(rec);
    m->off += (off_t)(sizeof(rec) + rec[2]);
    return 1;

out_libpcap:
    if (fseeko(pcap_file(src->pcap), m->off, SEEK_SET) != 0)
        sk_warn("'%s': cannot seek to offset %lld", src->cur_file ? src->cur_file : src->path,
                (long long)m->off);
    readahead_drop(src);
    return 0;
}

static void close_current(struct sk_source *src)
{
    readahead_drop(src);
    if (src->cut_in_file && src->pcap)
        sk_warn("'%s': %" PRIu64 " packets cut short by the capture's snapshot length (%d "
                "bytes): what they lack is not decoded or inspected",
                src->cur_file ? src->cur_file : src->path, src->cut_in_file,
                pcap_snapshot(src->pcap));
    src->cut_in_file = 0;
    if (src->pcap)
        pcap_close(src->pcap);
    src->pcap = NULL;
    src->cur_file = NULL;
}

/* Publishes part's counters for other threads (sk_source_get_stats()), reading the kernel's
 * first. Only part's reading thread calls this. */
static void publish(struct sk_source *src, struct live_part *part, uint64_t now)
{
    struct pcap_stat ps;
    part->next_publish = now + PUBLISH_US;
    if (part->afp)
        sk_afp_kernel_stats(part->afp, &part->own.kernel_packets, &part->own.kernel_drops,
                            &part->own.kernel_freezes);
    if (part->pcap && pcap_stats(part->pcap, &ps) == 0) {
        part->own.kernel_packets = ps.ps_recv;
        part->own.kernel_drops = ps.ps_drop;
        part->own.kernel_ifdrops = ps.ps_ifdrop;
    }
    pthread_mutex_lock(&src->mu);
    part->pub = part->own;
    pthread_mutex_unlock(&src->mu);
}

static void count_live(struct sk_source *src, struct live_part *part, struct sk_raw_packet *pkt)
{
    part->own.packets++;
    part->own.bytes += pkt->caplen;
    if (pkt->caplen < pkt->wirelen)
        part->own.packets_cut++;
    pkt->pcap_cnt = part->own.packets;
    if ((part->own.packets & 255) == 0) {
        uint64_t now = wall_us();
        if (now >= part->next_publish)
            publish(src, part, now);
    }
}

/* The end of a live queue: its last counters are published, so they are exact after it. */
static int live_end(struct sk_source *src, size_t first, size_t n, int rc)
{
    for (size_t i = first; i < first + n; i++)
        publish(src, &src->parts[i], wall_us());
    return rc;
}

static int idle(struct sk_source *src, size_t first, size_t n)
{
    uint64_t now = wall_us();
    for (size_t i = first; i < first + n; i++)
        if (now >= src->parts[i].next_publish)
            publish(src, &src->parts[i], now);
    return SK_SOURCE_IDLE;
}

static int next_afpacket(struct sk_source *src, size_t q, struct sk_raw_packet *pkt)
{
    struct live_part *part = &src->parts[q];
    if (src->stop)
        return live_end(src, q, 1, 0);
    int rc = sk_afp_next(part->afp, pkt, SK_SOURCE_TIMEOUT_MS, src->err, sizeof(src->err));
    if (rc == 1) {
        count_live(src, part, pkt);
        return 1;
    }
    if (rc == 0)
        return idle(src, q, 1);
    src->stop = 1;
    return live_end(src, q, 1, rc);
}

/* libpcap: every interface, non-blocking, the one after the last that gave a packet first;
 * when none has one, poll them all for up to the read timeout. */
static int next_pcap_live(struct sk_source *src, struct sk_raw_packet *pkt)
{
    struct pcap_pkthdr *h;
    const u_char *data;
    struct pollfd fds[64];
    size_t n = src->n_parts;

    while (!src->stop) {
        for (size_t k = 0; k < n; k++) {
            size_t i = (src->rr + k) % n;
            struct live_part *part = &src->parts[i];
            int rc = pcap_next_ex(part->pcap, &h, &data);
            if (rc == 1) {
                src->rr = (i + 1) % n;
                pkt->data = data;
                pkt->caplen = h->caplen;
                pkt->wirelen = h->len;
                pkt->ts_us = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
                pkt->linktype = pcap_datalink(part->pcap);
                count_live(src, part, pkt);
                return 1;
            }
            if (rc == 0)
                continue;
            if (rc == PCAP_ERROR_BREAK)
                return live_end(src, 0, n, 0);
            snprintf(src->err, sizeof(src->err), "capture on '%s' failed: %s", part->name,
                     pcap_geterr(part->pcap));
            src->stop = 1;
            return live_end(src, 0, n, SK_E_PCAP);
        }
        size_t nf = n < 64 ? n : 64;
        for (size_t i = 0; i < nf; i++)
            fds[i] =
                (struct pollfd){.fd = pcap_get_selectable_fd(src->parts[i].pcap), .events = POLLIN};
        if (poll(fds, nf, SK_SOURCE_TIMEOUT_MS) == 0)
            return idle(src, 0, n);
    }
    return live_end(src, 0, n, 0);
}

int sk_source_next_queue(struct sk_source *src, size_t q, struct sk_raw_packet *pkt)
{
    if (!src || !pkt || q >= sk_source_queues(src))
        return SK_E_INVAL;
    if (src->afpacket)
        return next_afpacket(src, q, pkt);
    return sk_source_next(src, pkt);
}

int sk_source_next(struct sk_source *src, struct sk_raw_packet *pkt)
{
    struct pcap_pkthdr *h, hh;
    const u_char *data;

    if (!src || !pkt)
        return SK_E_INVAL;
    if (src->afpacket)
        return next_afpacket(src, 0, pkt);
    if (src->live)
        return next_pcap_live(src, pkt);
    for (;;) {
        if (src->stop)
            return 0;
        if (!src->pcap) {
            if (src->next_file >= src->nfiles)
                return 0;
            const char *file = src->files[src->next_file++];
            int rc = open_file(file, src->bpf, &src->pcap, src->err, sizeof(src->err));
            if (rc < 0) {
                src->stats.files_failed++;
                return rc;
            }
            src->cur_file = file;
            src->stats.files++;
            readahead_open(src);
        }
        if (src->ra.base && readahead_next(src, &hh, &data) == 1) {
            fill_packet(src, &hh, data, pkt);
            return 1;
        }
        int rc = pcap_next_ex(src->pcap, &h, &data);
        if (rc == 1) {
            fill_packet(src, h, data, pkt);
            return 1;
        }
        if (rc == PCAP_ERROR_BREAK || rc == 0) {
            close_current(src);
            continue;
        }
        /* Offline, PCAP_ERROR means a record that could not be read whole: the file was
         * cut short (or its record header is damaged). Everything before it was handed out. */
        snprintf(src->err, sizeof(src->err), "'%s' is truncated: %s", src->cur_file,
                 pcap_geterr(src->pcap));
        src->stats.files_failed++;
        close_current(src);
        return SK_E_TRUNCATED;
    }
}

const char *sk_source_error(const struct sk_source *src)
{
    return src ? src->err : "";
}

void sk_source_set_quiet(struct sk_source *src, bool quiet)
{
    if (src)
        src->quiet = quiet;
}

void sk_source_set_unmap_hook(struct sk_source *src, void (*fn)(void *ctx), void *ctx)
{
    src->unmap_hook = fn;
    src->unmap_ctx = ctx;
}

bool sk_source_mapped(const struct sk_source *src, const struct sk_raw_packet *pkt)
{
    const struct sk_fmap *m = &src->ra.map;
    return m->base && pkt->data >= m->base && pkt->data < m->base + m->len;
}

void sk_source_set_shared(struct sk_source *src, bool shared)
{
    if (!src)
        return;
    src->release_step = shared ? MAP_RELEASE_SHARED : MAP_RELEASE;
    src->release_mask = shared ? ~(MAP_RELEASE_SHARED_ALIGN - 1) : SIZE_MAX;
}

uint64_t sk_source_bytes(const struct sk_source *src)
{
    return src && !src->live ? src->bytes : 0;
}

void sk_source_break(struct sk_source *src)
{
    /* Only a lock-free atomic store and pcap_breakloop (a flag plus, on Linux, an eventfd
     * write): both async-signal-safe. Readers look at the flag at least every read timeout. */
    if (!src)
        return;
    src->stop = 1;
    for (size_t i = 0; i < src->n_parts; i++)
        if (src->parts[i].pcap)
            pcap_breakloop(src->parts[i].pcap);
}

size_t sk_source_iface_count(const struct sk_source *src)
{
    return !src || !src->live ? 0 : src->afpacket ? 1 : src->n_parts;
}

static void iface_add(struct sk_iface_stats *o, const struct sk_iface_stats *p)
{
    o->packets += p->packets;
    o->bytes += p->bytes;
    o->packets_cut += p->packets_cut;
    o->kernel_packets += p->kernel_packets;
    o->kernel_drops += p->kernel_drops;
    o->kernel_ifdrops += p->kernel_ifdrops;
    o->kernel_freezes += p->kernel_freezes;
}

int sk_source_iface_stats(const struct sk_source *src, size_t i, struct sk_iface_stats *out)
{
    if (!out || i >= sk_source_iface_count(src))
        return SK_E_INVAL;
    struct sk_source *s = (struct sk_source *)src; /* the lock is not the value */
    memset(out, 0, sizeof(*out));
    out->name = src->parts[i].name;
    pthread_mutex_lock(&s->mu);
    for (size_t k = src->afpacket ? 0 : i; k < (src->afpacket ? src->n_parts : i + 1); k++)
        iface_add(out, &src->parts[k].pub);
    pthread_mutex_unlock(&s->mu);
    return 0;
}

void sk_source_get_stats(const struct sk_source *src, struct sk_source_stats *out)
{
    if (!out)
        return;
    memset(out, 0, sizeof(*out));
    if (!src)
        return;
    if (!src->live) {
        *out = src->stats;
        return;
    }
    for (size_t i = 0; i < sk_source_iface_count(src); i++) {
        struct sk_iface_stats is;
        sk_source_iface_stats(src, i, &is);
        out->packets += is.packets;
        out->bytes += is.bytes;
        out->packets_cut += is.packets_cut;
        out->kernel_packets += is.kernel_packets;
        out->kernel_drops += is.kernel_drops;
        out->kernel_ifdrops += is.kernel_ifdrops;
        out->kernel_freezes += is.kernel_freezes;
    }
}

void sk_source_stats_foreach(const struct sk_source_stats *s, sk_source_counter_fn fn, void *ctx)
{
    fn(ctx, "source.files", s->files);
    fn(ctx, "source.files_failed", s->files_failed);
    fn(ctx, "source.packets", s->packets);
    fn(ctx, "source.bytes", s->bytes);
    fn(ctx, "source.packets_cut", s->packets_cut);
    fn(ctx, "capture.kernel_packets", s->kernel_packets);
    fn(ctx, "capture.kernel_drops", s->kernel_drops);
    fn(ctx, "capture.kernel_ifdrops", s->kernel_ifdrops);
    fn(ctx, "capture.kernel_freezes", s->kernel_freezes);
}

void sk_source_free(struct sk_source *src)
{
    if (!src)
        return;
    if (!src->live)
        close_current(src);
    for (size_t i = 0; i < src->n_parts; i++) {
        if (src->parts[i].pcap)
            pcap_close(src->parts[i].pcap);
        sk_afp_free(src->parts[i].afp);
    }
    free(src->parts);
    for (size_t i = 0; src->ifnames && i < src->n_parts; i++)
        free(src->ifnames[i]);
    free(src->ifnames);
    if (src->mu_init)
        pthread_mutex_destroy(&src->mu);
    for (size_t i = 0; i < src->nfiles; i++)
        free(src->files[i]);
    free(src->files);
    free(src->bpf);
    free(src->path);
    free(src);
}

int sk_source_read_queue(struct sk_source *src, size_t q, struct sk_raw_packet *pkt,
                         const _Atomic int *stop, int *damaged)
{
    if (!src->live && !src->stop && !atomic_load_explicit(stop, memory_order_relaxed) &&
        readahead_fast(src, pkt))
        return 1;
    while (!*stop) {
        int r = sk_source_next_queue(src, q, pkt);
        if (r >= 0)
            return r;
        if (*stop)
            break;
        if (!src->quiet)
            sk_error("%s", sk_source_error(src));
        if (r != SK_E_TRUNCATED && r != SK_E_FORMAT && r != SK_E_IO)
            return r;
        (*damaged)++;
    }
    if (src->live) /* the last counters of this queue, for the counters at exit */
        return live_end(src, src->afpacket ? q : 0, src->afpacket ? 1 : src->n_parts, 0);
    return 0;
}

int sk_source_read(struct sk_source *src, struct sk_raw_packet *pkt, const _Atomic int *stop,
                   int *damaged)
{
    return sk_source_read_queue(src, 0, pkt, stop, damaged);
}
