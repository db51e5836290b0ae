/* SPDX-License-Identifier: GPL-2.0-only */
/* Packet sources over libpcap: one capture file (pcap or pcapng), a folder of captures read
 * in name order, or a live interface. A damaged file inside a folder is reported once and
 * skipped so one bad capture never hides the others. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <pcap/pcap.h>

#include "engine/error.h"
#include "engine/log.h"
#include "engine/capture/source.h"

#define SK_SOURCE_SNAPLEN    65535
#define SK_SOURCE_TIMEOUT_MS 100

struct sk_source {
    pcap_t *pcap;             /* the handle being read, NULL between files */
    char *path;               /* the file or folder given to open */
    char **files;             /* offline: capture files in reading order */
    size_t nfiles, next_file; /* next_file: index of the next file to open */
    const char *cur_file;     /* borrowed from files while pcap is open */
    char *bpf;                /* NULL when no filter */
    bool live;
    bool quiet;       /* sk_source_read() logs no error */
    _Atomic int stop; /* set by sk_source_break(), maybe in another thread */
    struct sk_source_stats stats;
    uint64_t cut_in_file; /* packets of the open file shorter than on the wire */
    char err[PCAP_ERRBUF_SIZE + 512];
};

static void set_err(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

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
        rc = open_file(path, bpf, &src->pcap, errbuf, errlen);
        if (rc < 0)
            goto out_free_src;
        src->cur_file = src->files[0];
        src->next_file = 1;
        src->stats.files = 1;
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
    char pcap_err[PCAP_ERRBUF_SIZE] = "";
    int rc;

    if (!out || !iface) {
        set_err(errbuf, errlen, "no interface given");
        return SK_E_INVAL;
    }
    *out = NULL;
    if (errbuf && errlen)
        errbuf[0] = '\0';
    struct sk_source *src = source_alloc(iface, bpf);
    if (!src)
        return SK_E_NOMEM;
    src->live = true;

    pcap_t *p = pcap_create(iface, pcap_err);
    if (!p) {
        set_err(errbuf, errlen, "cannot open interface '%s': %s", iface, pcap_err);
        rc = SK_E_PCAP;
        goto out_free_src;
    }
    src->pcap = p;
    if (pcap_set_promisc(p, 1) != 0 || pcap_set_snaplen(p, SK_SOURCE_SNAPLEN) != 0 ||
        pcap_set_timeout(p, SK_SOURCE_TIMEOUT_MS) != 0 || pcap_set_immediate_mode(p, 1) != 0 ||
        pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_MICRO) != 0) {
        set_err(errbuf, errlen, "cannot configure interface '%s': %s", iface, pcap_geterr(p));
        rc = SK_E_PCAP;
        goto out_free_src;
    }
    int act = pcap_activate(p);
    if (act < 0) {
        const char *msg = act == PCAP_ERROR ? pcap_geterr(p) : pcap_statustostr(act);
        set_err(errbuf, errlen, "cannot activate interface '%s': %s", iface, msg);
        rc = act == PCAP_ERROR_NO_SUCH_DEVICE ? SK_E_NOTFOUND : SK_E_PCAP;
        goto out_free_src;
    }
    rc = apply_filter(p, bpf, iface, errbuf, errlen);
    if (rc < 0)
        goto out_free_src;
    src->cur_file = src->path;
    *out = src;
    return 0;

out_free_src:
    sk_source_free(src);
    return rc;
}

static void fill_packet(struct sk_source *src, const struct pcap_pkthdr *h, const uint8_t *data,
                        struct sk_raw_packet *pkt)
{
    pkt->data = data;
    pkt->caplen = h->caplen;
    pkt->wirelen = h->len;
    pkt->ts_us = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
    pkt->linktype = pcap_datalink(src->pcap);
    src->stats.packets++;
    if (h->caplen < h->len) {
        src->stats.packets_cut++;
        src->cut_in_file++;
    }
    pkt->pcap_cnt = src->stats.packets;
    src->stats.bytes += h->caplen;
}

static void close_current(struct sk_source *src)
{
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

static int next_live(struct sk_source *src, struct sk_raw_packet *pkt)
{
    struct pcap_pkthdr *h;
    const u_char *data;

    while (!src->stop) {
        int rc = pcap_next_ex(src->pcap, &h, &data);
        if (rc == 1) {
            fill_packet(src, h, data, pkt);
            return 1;
        }
        if (rc == 0)
            continue; /* read timeout: look at the stop flag again */
        if (rc == PCAP_ERROR_BREAK)
            return 0;
        snprintf(src->err, sizeof(src->err), "capture on '%s' failed: %s", src->path,
                 pcap_geterr(src->pcap));
        src->stop = 1;
        return SK_E_PCAP;
    }
    return 0;
}

int sk_source_next(struct sk_source *src, struct sk_raw_packet *pkt)
{
    struct pcap_pkthdr *h;
    const u_char *data;

    if (!src || !pkt)
        return SK_E_INVAL;
    if (src->live)
        return next_live(src, pkt);
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

void sk_source_break(struct sk_source *src)
{
    /* Only a lock-free atomic store and pcap_breakloop (a flag plus, on Linux, an eventfd
     * write): both async-signal-safe. */
    if (!src)
        return;
    src->stop = 1;
    if (src->live && src->pcap)
        pcap_breakloop(src->pcap);
}

void sk_source_get_stats(const struct sk_source *src, struct sk_source_stats *out)
{
    struct pcap_stat ps;

    if (!out)
        return;
    memset(out, 0, sizeof(*out));
    if (!src)
        return;
    *out = src->stats;
    if (src->live && src->pcap && pcap_stats(src->pcap, &ps) == 0)
        out->kernel_drops = (uint64_t)ps.ps_drop + ps.ps_ifdrop;
}

void sk_source_stats_foreach(const struct sk_source_stats *s, sk_source_counter_fn fn, void *ctx)
{
    fn(ctx, "source.files", s->files);
    fn(ctx, "source.files_failed", s->files_failed);
    fn(ctx, "source.packets", s->packets);
    fn(ctx, "source.bytes", s->bytes);
    fn(ctx, "source.packets_cut", s->packets_cut);
    fn(ctx, "source.kernel_drops", s->kernel_drops);
}

void sk_source_free(struct sk_source *src)
{
    if (!src)
        return;
    close_current(src);
    for (size_t i = 0; i < src->nfiles; i++)
        free(src->files[i]);
    free(src->files);
    free(src->bpf);
    free(src->path);
    free(src);
}

int sk_source_read(struct sk_source *src, struct sk_raw_packet *pkt, const _Atomic int *stop,
                   int *damaged)
{
    while (!*stop) {
        int r = sk_source_next(src, pkt);
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
    return 0;
}
