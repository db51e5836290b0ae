/* SPDX-License-Identifier: GPL-2.0-only */
/* Packet sources on captures written at test time into a temporary folder: one file, a
 * folder in name order, truncated and foreign files inside a folder, an empty folder, BPF
 * filters good and bad, a hand-written pcapng file, hand-written classic files read as libpcap
 * reads them, and a live capture stopped by a signal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "engine/error.h"
#include "engine/capture/source.h"

#define FRAME_LEN 60

struct ctx {
    char dir[64];
};

/* An Ethernet + IPv4 + TCP frame to dport whose one payload byte is marker. */
static void mk_frame(uint8_t *f, uint8_t marker, uint16_t dport)
{
    memset(f, 0, FRAME_LEN);
    f[12] = 0x08;
    f[14] = 0x45;
    f[16] = 0;
    f[17] = 41; /* 20 + 20 + 1 */
    f[23] = 6;
    f[26] = 10, f[29] = 1;
    f[30] = 10, f[33] = 2;
    f[34] = 0x04, f[35] = 0x01;
    f[36] = (uint8_t)(dport >> 8), f[37] = (uint8_t)dport;
    f[46] = 0x50;
    f[54] = marker;
}

static const char *path_in(const struct ctx *c, const char *name, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s", c->dir, name);
    return buf;
}

/* Writes n frames with markers first, first+1, ... (dports from ports, or 25). */
static void write_pcap(const char *path, uint8_t first, int n, const uint16_t *ports)
{
    pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
    assert_non_null(dead);
    pcap_dumper_t *dp = pcap_dump_open(dead, path);
    assert_non_null(dp);
    for (int i = 0; i < n; i++) {
        uint8_t f[FRAME_LEN];
        struct pcap_pkthdr h = {.caplen = FRAME_LEN, .len = FRAME_LEN};
        h.ts.tv_sec = 1700000000 + first + i;
        h.ts.tv_usec = 1000 * (first + i);
        mk_frame(f, (uint8_t)(first + i), ports ? ports[i] : 25);
        pcap_dump((u_char *)dp, &h, f);
    }
    pcap_dump_close(dp);
    pcap_close(dead);
}

static void write_text(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static int setup(void **state)
{
    struct ctx *c = calloc(1, sizeof(*c));
    if (!c)
        return -1;
    strcpy(c->dir, "/tmp/sk_source_XXXXXX");
    if (!mkdtemp(c->dir)) {
        free(c);
        return -1;
    }
    *state = c;
    return 0;
}

static int teardown(void **state)
{
    struct ctx *c = *state;
    nftw(c->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(c);
    return 0;
}

/* Reads one packet and checks its marker. */
static void expect_marker(struct sk_source *src, uint8_t marker)
{
    struct sk_raw_packet p;
    int rc = sk_source_next(src, &p);
    if (rc != 1)
        fail_msg("expected packet %u, got %d (%s)", marker, rc, sk_source_error(src));
    assert_int_equal(p.caplen, FRAME_LEN);
    assert_int_equal(p.data[54], marker);
}

static void expect_error(struct sk_source *src, int code, const char *needle)
{
    struct sk_raw_packet p;
    assert_int_equal(sk_source_next(src, &p), code);
    if (!strstr(sk_source_error(src), needle))
        fail_msg("error '%s' does not mention '%s'", sk_source_error(src), needle);
}

static void expect_end(struct sk_source *src)
{
    struct sk_raw_packet p;
    assert_int_equal(sk_source_next(src, &p), 0);
    assert_int_equal(sk_source_next(src, &p), 0);
}

/* ctx: [0] counters seen, [1] the value of source.packets. */
static void count_cb(void *ctx, const char *name, uint64_t v)
{
    uint64_t *seen = ctx;
    seen[0]++;
    if (strcmp(name, "source.packets") == 0)
        seen[1] = v;
}

static void test_source_reads_one_file(void **state)
{
    struct ctx *c = *state;
    char path[128], err[256];
    struct sk_raw_packet p;
    struct sk_source *src = NULL;
    write_pcap(path_in(c, "one.pcap", path, sizeof(path)), 1, 3, NULL);

    assert_int_equal(sk_source_open_offline(&src, path, NULL, err, sizeof(err)), 0);
    assert_int_equal(sk_source_next(src, &p), 1);
    assert_int_equal(p.linktype, DLT_EN10MB);
    assert_int_equal(p.wirelen, FRAME_LEN);
    assert_int_equal(p.ts_us, 1700000001ull * 1000000 + 1000);
    assert_int_equal(p.data[54], 1);
    expect_marker(src, 2);
    expect_marker(src, 3);
    expect_end(src);
    assert_string_equal(sk_source_error(src), "");
    struct sk_source_stats st;
    sk_source_get_stats(src, &st);
    assert_int_equal(st.files, 1);
    assert_int_equal(st.files_failed, 0);
    assert_int_equal(st.packets, 3);
    assert_int_equal(st.bytes, 3 * FRAME_LEN);
    assert_int_equal(sk_source_bytes(src), 24 + 3 * (16 + FRAME_LEN)); /* the file's size */
    uint64_t seen[2] = {0, 0};
    sk_source_stats_foreach(&st, count_cb, seen);
    assert_int_equal(seen[0], 9); /* with source.packets_cut and the capture.* of live */
    assert_int_equal(seen[1], 3);
    sk_source_free(src);
    sk_source_free(NULL);
}

static void test_source_folder_in_name_order(void **state)
{
    struct ctx *c = *state;
    char path[128], err[256];
    struct sk_source *src = NULL;
    write_pcap(path_in(c, "b.pcap", path, sizeof(path)), 20, 2, NULL);
    write_pcap(path_in(c, "a.pcap", path, sizeof(path)), 10, 1, NULL);
    write_pcap(path_in(c, "c.pcap", path, sizeof(path)), 30, 1, NULL);
    assert_int_equal(mkdir(path_in(c, "b_subdir", path, sizeof(path)), 0700), 0);

    char slash[80];
    snprintf(slash, sizeof(slash), "%s/", c->dir);
    assert_int_equal(sk_source_open_offline(&src, slash, NULL, err, sizeof(err)), 0);
    /* the sizes of the files it reads, not of the folder's other entries */
    assert_int_equal(sk_source_bytes(src), 3 * 24 + 4 * (16 + FRAME_LEN));
    expect_marker(src, 10);
    expect_marker(src, 20);
    expect_marker(src, 21);
    expect_marker(src, 30);
    expect_end(src);
    struct sk_source_stats st;
    sk_source_get_stats(src, &st);
    assert_int_equal(st.files, 3);
    assert_int_equal(st.files_failed, 0);
    assert_int_equal(st.packets, 4);
    sk_source_free(src);
}

/* Cuts a 3-packet file at `at` bytes. */
static void write_cut_pcap(const char *path, uint8_t first, off_t at)
{
    write_pcap(path, first, 3, NULL);
    assert_int_equal(truncate(path, at), 0);
}

static void test_source_truncated_file(void **state)
{
    struct ctx *c = *state;
    char path[128], err[256];
    struct sk_source *src = NULL;
    /* 24-byte file header, records of 16 + 60: cut in the third record's data. */
    write_cut_pcap(path_in(c, "cut.pcap", path, sizeof(path)), 40, 24 + 2 * 76 + 16 + 30);

    assert_int_equal(sk_source_open_offline(&src, path, NULL, err, sizeof(err)), 0);
    expect_marker(src, 40);
    expect_marker(src, 41);
    expect_error(src, SK_E_TRUNCATED, "cut.pcap");
    expect_end(src);
    struct sk_source_stats st;
    sk_source_get_stats(src, &st);
    assert_int_equal(st.packets, 2);
    assert_int_equal(st.files_failed, 1);
    sk_source_free(src);

    /* Cut inside the second record's header. */
    write_cut_pcap(path, 40, 24 + 76 + 8);
    assert_int_equal(sk_source_open_offline(&src, path, NULL, err, sizeof(err)), 0);
    expect_marker(src, 40);
    expect_error(src, SK_E_TRUNCATED, "cut.pcap");
    expect_end(src);
    sk_source_free(src);
}

static void test_source_folder_goes_on_after_bad_files(void **state)
{
    struct ctx *c = *state;
    char path[128], err[256];
    struct sk_source *src = NULL;
    write_pcap(path_in(c, "a.pcap", path, sizeof(path)), 10, 1, NULL);
    write_text(path_in(c, "b.txt", path, sizeof(path)), "220 mail.example.com ESMTP\r\n");
    write_pcap(path_in(c, "c.pcap", path, sizeof(path)), 30, 1, NULL);
    write_cut_pcap(path_in(c, "d.pcap", path, sizeof(path)), 40, 24 + 2 * 76 + 16 + 30);
    write_pcap(path_in(c, "e.pcap", path, sizeof(path)), 50, 1, NULL);

    assert_int_equal(sk_source_open_offline(&src, c->dir, NULL, err, sizeof(err)), 0);
    expect_marker(src, 10);
    expect_error(src, SK_E_FORMAT, "b.txt");
    expect_marker(src, 30);
    expect_marker(src, 40);
    expect_marker(src, 41);
    expect_error(src, SK_E_TRUNCATED, "d.pcap");
    expect_marker(src, 50);
    expect_end(src);
    struct sk_source_stats st;
    sk_source_get_stats(src, &st);
    assert_int_equal(st.files, 4);
    assert_int_equal(st.files_failed, 2);
    assert_int_equal(st.packets, 5);
    sk_source_free(src);
}

static void test_source_open_errors(void **state)
{
    struct ctx *c = *state;
    char path[128], err[512], want[256];
    struct sk_source *src = NULL;

    /* An empty folder. */
    assert_int_equal(sk_source_open_offline(&src, c->dir, NULL, err, sizeof(err)), SK_E_NOTFOUND);
    snprintf(want, sizeof(want), "no capture files in '%s'", c->dir);
    assert_string_equal(err, want);
    assert_null(src);

    /* A file that is not a capture. */
    write_text(path_in(c, "mail.eml", path, sizeof(path)), "From: a@example.com\r\n\r\nhi\r\n");
    assert_int_equal(sk_source_open_offline(&src, path, NULL, err, sizeof(err)), SK_E_FORMAT);
    assert_non_null(strstr(err, "mail.eml"));
    /* An empty file is not a capture either. */
    write_text(path, "");
    assert_int_equal(sk_source_open_offline(&src, path, NULL, err, sizeof(err)), SK_E_FORMAT);

    /* A path that does not exist. */
    assert_int_equal(sk_source_open_offline(&src, path_in(c, "nope", path, sizeof(path)), NULL, err,
                                            sizeof(err)),
                     SK_E_NOTFOUND);
    assert_non_null(strstr(err, "nope"));
    assert_null(src);
}

static void test_source_bpf_filter(void **state)
{
    struct ctx *c = *state;
    char path[128], err[512];
    struct sk_source *src = NULL;
    static const uint16_t ports[4] = {25, 80, 25, 443};
    write_pcap(path_in(c, "mixed.pcap", path, sizeof(path)), 1, 4, ports);

    assert_int_equal(sk_source_open_offline(&src, path, "tcp dst port 25", err, sizeof(err)), 0);
    expect_marker(src, 1);
    expect_marker(src, 3);
    expect_end(src);
    sk_source_free(src);

    /* A filter that does not compile, on a file and on a folder. */
    assert_int_equal(sk_source_open_offline(&src, path, "tcp prot 25", err, sizeof(err)),
                     SK_E_INVAL);
    assert_non_null(strstr(err, "syntax error"));
    assert_non_null(strstr(err, "mixed.pcap"));
    assert_null(src);
    assert_int_equal(sk_source_open_offline(&src, c->dir, "port port", err, sizeof(err)),
                     SK_E_INVAL);
    assert_non_null(strstr(err, "syntax error"));
    assert_null(src);
}

static size_t put32(uint8_t *b, size_t at, uint32_t v)
{
    memcpy(b + at, &v, 4); /* host order, as the byte-order magic says */
    return at + 4;
}

static size_t put16(uint8_t *b, size_t at, uint16_t v)
{
    memcpy(b + at, &v, 2);
    return at + 2;
}

/* SHB + IDB (linktype) + one EPB per frame; timestamps in microseconds (no if_tsresol). */
static size_t mk_pcapng(uint8_t *b, uint16_t linktype, const uint8_t *const *frames,
                        const uint32_t *lens, const uint64_t *ts, int n)
{
    size_t at = 0;
    at = put32(b, at, 0x0A0D0D0A);
    at = put32(b, at, 28);
    at = put32(b, at, 0x1A2B3C4D);
    at = put16(b, at, 1);
    at = put16(b, at, 0);
    at = put32(b, at, 0xffffffff);
    at = put32(b, at, 0xffffffff);
    at = put32(b, at, 28);

    at = put32(b, at, 1);
    at = put32(b, at, 20);
    at = put16(b, at, linktype);
    at = put16(b, at, 0);
    at = put32(b, at, 65535);
    at = put32(b, at, 20);

    for (int i = 0; i < n; i++) {
        uint32_t padded = (lens[i] + 3) & ~3u;
        uint32_t blen = 32 + padded;
        at = put32(b, at, 6);
        at = put32(b, at, blen);
        at = put32(b, at, 0);
        at = put32(b, at, (uint32_t)(ts[i] >> 32));
        at = put32(b, at, (uint32_t)ts[i]);
        at = put32(b, at, lens[i]);
        at = put32(b, at, lens[i]);
        memset(b + at, 0, padded);
        memcpy(b + at, frames[i], lens[i]);
        at += padded;
        at = put32(b, at, blen);
    }
    return at;
}

static void test_source_reads_pcapng(void **state)
{
    struct ctx *c = *state;
    char path[128], err[256];
    uint8_t f1[FRAME_LEN], f2[FRAME_LEN], file[512];
    struct sk_raw_packet p;
    struct sk_source *src = NULL;
    mk_frame(f1, 7, 25);
    mk_frame(f2, 8, 25);
    const uint8_t *frames[2] = {f1, f2};
    const uint32_t lens[2] = {FRAME_LEN, 57};
    const uint64_t ts[2] = {1700000000123456ull, 1700000001654321ull};

    size_t n = mk_pcapng(file, DLT_EN10MB, frames, lens, ts, 2);
    FILE *fp = fopen(path_in(c, "cap.pcapng", path, sizeof(path)), "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(file, 1, n, fp), n);
    fclose(fp);

    assert_int_equal(sk_source_open_offline(&src, path, NULL, err, sizeof(err)), 0);
    assert_int_equal(sk_source_next(src, &p), 1);
    assert_int_equal(p.ts_us, ts[0]);
    assert_int_equal(p.caplen, FRAME_LEN);
    assert_int_equal(p.linktype, DLT_EN10MB);
    assert_memory_equal(p.data, f1, FRAME_LEN);
    assert_int_equal(sk_source_next(src, &p), 1);
    assert_int_equal(p.ts_us, ts[1]);
    assert_int_equal(p.caplen, 57);
    assert_memory_equal(p.data, f2, 57);
    expect_end(src);
    sk_source_free(src);

    /* LINKTYPE_RAW (101) in a file is handed out as libpcap's DLT_RAW. */
    const uint8_t *ipf[1] = {f1 + 14};
    const uint32_t iplen[1] = {41};
    n = mk_pcapng(file, 101, ipf, iplen, ts, 1);
    fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(file, 1, n, fp), n);
    fclose(fp);
    assert_int_equal(sk_source_open_offline(&src, path, NULL, err, sizeof(err)), 0);
    assert_int_equal(sk_source_next(src, &p), 1);
    assert_int_equal(p.linktype, DLT_RAW);
    assert_int_equal(p.data[0], 0x45);
    sk_source_free(src);
}

static size_t put_rec(uint8_t *b, size_t at, bool swap, uint32_t sec, uint32_t frac,
                      uint32_t caplen, uint32_t len, uint8_t marker)
{
    uint32_t v[4] = {sec, frac, caplen, len};
    for (int i = 0; i < 4; i++) {
        uint32_t x = swap ? __builtin_bswap32(v[i]) : v[i];
        memcpy(b + at, &x, 4);
        at += 4;
    }
    mk_frame(b + at, marker, 25);
    return at + caplen;
}

/* Reads src to its end beside libpcap reading path: every record the same (length, wire
 * length, time, bytes, link type, number), then the end for both. The records are read by
 * turns with sk_source_next() and with sk_source_read(), the workers' call, which takes
 * plain records straight from the read-ahead buffer. Returns the number of records. */
static int same_as_libpcap(struct sk_source *src, const char *path)
{
    char perr[PCAP_ERRBUF_SIZE];
    pcap_t *ref = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_MICRO, perr);
    assert_non_null(ref);
    struct pcap_pkthdr *h;
    const u_char *data;
    struct sk_raw_packet p;
    _Atomic int stop = 0;
    int n = 0, damaged = 0;
    while (pcap_next_ex(ref, &h, &data) == 1) {
        if (n % 2)
            assert_int_equal(sk_source_read(src, &p, &stop, &damaged), 1);
        else
            assert_int_equal(sk_source_next(src, &p), 1);
        assert_int_equal(p.caplen, h->caplen);
        assert_int_equal(p.wirelen, h->len);
        assert_int_equal(p.ts_us, (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec);
        assert_memory_equal(p.data, data, h->caplen);
        assert_int_equal(p.linktype, pcap_datalink(ref));
        assert_int_equal(p.pcap_cnt, (uint64_t)n + 1);
        n++;
    }
    assert_int_equal(damaged, 0);
    expect_end(src);
    pcap_close(ref);
    return n;
}

/* Classic pcap files are read from a mapping (or ahead in large pieces) while their records
 * are plain; each packet must be what libpcap hands out: byte-swapped files, nanosecond
 * stamps (cut to microseconds), a record longer than the snapshot length (libpcap cuts it;
 * the rest of the file is then read by libpcap), a time stamp past 2038, and a record
 * appended after the source was opened. Each file is written small (under three pages: read
 * ahead with pread) and with 400 plain records after those (mapped: the records above are
 * read from the mapping until the long one hands the file to libpcap); then 400 plain
 * records and 50 appended after the source was opened (the mapping's end, then pread). */
static void test_source_read_ahead_as_libpcap(void **state)
{
    struct ctx *c = *state;
    char path[128], err[256];
    enum { PAD = 400, MORE = 50 };
    uint8_t *file = malloc(1024 + (PAD + MORE) * (16 + FRAME_LEN));
    assert_non_null(file);

    for (int v = 0; v < 12; v++) {
        bool swap = v & 1, nsec = v & 2;
        int layout = v >> 2; /* 0: small, 1: padded, 2: plain and grown */
        uint32_t hdr[6] = {nsec ? 0xa1b23c4du : 0xa1b2c3d4u, 2u | 4u << 16, 0, 0, 50, DLT_EN10MB};
        size_t at = 0;
        for (int i = 0; i < 6; i++) {
            uint32_t x = swap ? __builtin_bswap32(hdr[i]) : hdr[i];
            if (i == 1 && swap) /* two 16-bit fields */
                x = (uint32_t)__builtin_bswap16(2) | (uint32_t)__builtin_bswap16(4) << 16;
            memcpy(file + at, &x, 4);
            at += 4;
        }
        int n = 0;
        if (layout < 2) {
            at = put_rec(file, at, swap, 1700000000, nsec ? 123456789 : 123456, 41, 41, 1);
            at = put_rec(file, at, swap, 1700000001, 999, 50, 60, 2);
            at = put_rec(file, at, swap, 1700000002, 7, FRAME_LEN, FRAME_LEN, 3); /* > snaplen */
            at = put_rec(file, at, swap, 0x90000000u, 0xf0000000u, 44, 44, 4);
            at = put_rec(file, at, swap, 1700000003, 8, 44, 44, 5);
            n = 5;
        }
        for (int i = 0; layout > 0 && i < PAD; i++, n++)
            at = put_rec(file, at, swap, 1700000100 + (uint32_t)i, (uint32_t)i, 44, 44, (uint8_t)i);
        size_t appended = at;
        for (int i = 0; i < (layout == 2 ? MORE : 1); i++, n++)
            appended = put_rec(file, appended, swap, 1700001000 + (uint32_t)i, 9, 45, 45, 6);
        FILE *fp = fopen(path_in(c, "classic.pcap", path, sizeof(path)), "wb");
        assert_non_null(fp);
        assert_int_equal(fwrite(file, 1, at, fp), at);
        fclose(fp);

        struct sk_source *src = NULL;
        assert_int_equal(sk_source_open_offline(&src, path, NULL, err, sizeof(err)), 0);
        fp = fopen(path, "ab");
        assert_non_null(fp);
        assert_int_equal(fwrite(file + at, 1, appended - at, fp), appended - at);
        fclose(fp);
        assert_int_equal(same_as_libpcap(src, path), n);
        sk_source_free(src);
    }
    free(file);
}

/* A file whose header claims a snapshot length of 2^31 - 1 (a fuzzer's: the read-ahead once
 * sized its buffer by it, 2 GiB): a small record, one of 200,000 bytes (near the 256 KiB
 * that libpcap takes at most on the link types Shrike reads, and the read-ahead's bound) and
 * one after it come out as libpcap hands them out. */
static void test_source_huge_snaplen_as_libpcap(void **state)
{
    struct ctx *c = *state;
    char path[128], err[256];
    enum { BIG = 200000 };
    uint8_t *file = calloc(1, BIG + 1024);
    assert_non_null(file);
    uint32_t hdr[6] = {0xa1b2c3d4u, 2u | 4u << 16, 0, 0, 0x7fffffffu, DLT_EN10MB};
    memcpy(file, hdr, sizeof(hdr));
    size_t at = sizeof(hdr);
    at = put_rec(file, at, false, 1700000000, 1, 60, 60, 1);
    /* the long record written by hand: put_rec fills a frame of FRAME_LEN bytes */
    uint32_t rec[4] = {1700000001, 2, BIG, BIG};
    memcpy(file + at, rec, sizeof(rec));
    for (size_t i = 0; i < BIG; i++)
        file[at + sizeof(rec) + i] = (uint8_t)(i * 13);
    at += sizeof(rec) + BIG;
    at = put_rec(file, at, false, 1700000002, 3, 44, 44, 3);
    FILE *fp = fopen(path_in(c, "huge-snap.pcap", path, sizeof(path)), "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(file, 1, at, fp), at);
    fclose(fp);

    struct sk_source *src = NULL;
    assert_int_equal(sk_source_open_offline(&src, path, NULL, err, sizeof(err)), 0);
    assert_int_equal(same_as_libpcap(src, path), 3);
    sk_source_free(src);
    free(file);
}

/* The read-ahead's memory does not follow the header's snapshot length: 64 MiB of 1,500-byte
 * records under a header claiming 2^31 - 1 are read in a child whose peak resident memory
 * may grow by less than 32 MiB (sized by the header, the buffer took in the whole file at
 * the first read). */
static void test_source_huge_snaplen_memory_bounded(void **state)
{
    struct ctx *c = *state;
    char path[128], err[256];
    enum { REC = 1500, N = 64 * 1024 * 1024 / (REC + 16) };
    FILE *fp = fopen(path_in(c, "huge-snap-big.pcap", path, sizeof(path)), "wb");
    assert_non_null(fp);
    uint32_t hdr[6] = {0xa1b2c3d4u, 2u | 4u << 16, 0, 0, 0x7fffffffu, DLT_EN10MB};
    assert_int_equal(fwrite(hdr, sizeof(hdr), 1, fp), 1);
    static uint8_t frame[REC];
    mk_frame(frame, 1, 25);
    for (uint32_t i = 0; i < N; i++) {
        uint32_t rec[4] = {1700000000 + i / 1000, i % 1000, REC, REC};
        assert_int_equal(fwrite(rec, sizeof(rec), 1, fp), 1);
        assert_int_equal(fwrite(frame, REC, 1, fp), 1);
    }
    fclose(fp);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct rusage before, after;
        getrusage(RUSAGE_SELF, &before);
        struct sk_source *src = NULL;
        if (sk_source_open_offline(&src, path, NULL, err, sizeof(err)) != 0)
            _exit(2);
        struct sk_raw_packet p;
        uint32_t n = 0;
        while (sk_source_next(src, &p) == 1)
            n++;
        getrusage(RUSAGE_SELF, &after);
        sk_source_free(src);
        _exit(n != N ? 3 : after.ru_maxrss - before.ru_maxrss >= 32 * 1024 ? 4 : 0);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    unlink(path);
}

/* A capture file cut shorter while it is read (a ring of files rewritten by tcpdump -W):
 * what was read is handed out, then the reading ends exactly at the bytes that are left, the
 * end of a file or a truncated file, and never faults, though the file is read from a
 * mapping whose pages past the new end raise SIGBUS (fmap.h). 3 MiB of 1,500-byte records,
 * cut after the first packets at a record boundary, in a record's bytes and in a record's
 * header; read by turns with sk_source_next() and sk_source_read() (the workers' call). Each
 * record's first and last bytes are its number, so a byte read as zero past the end shows. */
static void test_source_file_shrinks_while_read(void **state)
{
    struct ctx *c = *state;
    char path[128], err[256];
    enum { N = 2100, LEN = 1500 };
    size_t size = 24 + (size_t)N * (16 + LEN);
    uint8_t *file = calloc(1, size);
    assert_non_null(file);
    uint32_t hdr[6] = {0xa1b2c3d4u, 2u | 4u << 16, 0, 0, 65535, DLT_EN10MB};
    memcpy(file, hdr, sizeof(hdr));
    size_t at = 24;
    for (int i = 0; i < N; i++) {
        uint32_t rec[4] = {1700000000u + (uint32_t)i, 0, LEN, LEN};
        memcpy(file + at, rec, sizeof(rec));
        file[at + 16] = (uint8_t)i;
        file[at + 16 + LEN - 1] = (uint8_t)(i | 1);
        at += 16 + LEN;
    }
    const struct {
        off_t to;
        int whole, rc;
    } cuts[] = {
        {24 + 1100 * (16 + LEN), 1100, 0},
        {24 + 1500 * (16 + LEN) + 700, 1500, SK_E_TRUNCATED},
        {24 + 1700 * (16 + LEN) + 8, 1700, SK_E_TRUNCATED},
    };
    for (size_t k = 0; k < sizeof(cuts) / sizeof(cuts[0]); k++) {
        FILE *fp = fopen(path_in(c, "shrinks.pcap", path, sizeof(path)), "wb");
        assert_non_null(fp);
        assert_int_equal(fwrite(file, 1, size, fp), size);
        fclose(fp);
        struct sk_source *src = NULL;
        assert_int_equal(sk_source_open_offline(&src, path, NULL, err, sizeof(err)), 0);
        sk_source_set_quiet(src, true);
        struct sk_raw_packet p;
        _Atomic int stop = 0;
        int n = 0, rc, damaged = 0;
        for (; n < 5; n++) {
            assert_int_equal(sk_source_next(src, &p), 1);
            assert_int_equal(p.data[0], (uint8_t)n);
        }
        assert_int_equal(truncate(path, cuts[k].to), 0);
        for (;;) {
            if (n % 2) {
                rc = sk_source_read(src, &p, &stop, &damaged);
            } else if ((rc = sk_source_next(src, &p)) < 0) {
                damaged++;
                rc = sk_source_next(src, &p); /* the end, after the error */
                assert_int_equal(rc, 0);
            }
            if (rc != 1)
                break;
            assert_int_equal(p.caplen, LEN);
            assert_int_equal(p.data[0], (uint8_t)n);
            assert_int_equal(p.data[LEN - 1], (uint8_t)(n | 1));
            n++;
        }
        assert_int_equal(rc, 0);
        assert_int_equal(n, cuts[k].whole);
        assert_int_equal(damaged, cuts[k].rc ? 1 : 0);
        sk_source_free(src);
    }
    free(file);
}

/* A SIGBUS that is not a mapped capture's still ends the process as it would without
 * Shrike's handler: in a child with the default action, a capture is opened (which puts the
 * handler in place), then a page of another mapping past its file's end is read. */
static void test_source_other_sigbus_still_faults(void **state)
{
    struct ctx *c = *state;
    char path[128], other[128], err[256];
    uint8_t *file = calloc(1, 64 * 1024);
    assert_non_null(file);
    uint32_t hdr[6] = {0xa1b2c3d4u, 2u | 4u << 16, 0, 0, 65535, DLT_EN10MB};
    memcpy(file, hdr, sizeof(hdr));
    size_t at = 24;
    for (int i = 0; i < 30; i++)
        at = put_rec(file, at, false, 1700000000u + (uint32_t)i, 0, FRAME_LEN, FRAME_LEN, 1);
    FILE *fp = fopen(path_in(c, "mapped.pcap", path, sizeof(path)), "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(file, 1, 64 * 1024, fp), 64 * 1024);
    fclose(fp);
    fp = fopen(path_in(c, "other.bin", other, sizeof(other)), "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(file, 1, 64 * 1024, fp), 64 * 1024);
    fclose(fp);
    free(file);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        signal(SIGBUS, SIG_DFL);
        struct sk_source *src = NULL;
        struct sk_raw_packet p;
        if (sk_source_open_offline(&src, path, NULL, err, sizeof(err)) != 0 ||
            sk_source_next(src, &p) != 1)
            _exit(2);
        int fd = open(other, O_RDONLY);
        const volatile uint8_t *m = mmap(NULL, 64 * 1024, PROT_READ, MAP_SHARED, fd, 0);
        if (fd < 0 || m == MAP_FAILED || truncate(other, 0) != 0)
            _exit(3);
        (void)m[40000];
        _exit(4); /* read past the end and did not fault */
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGBUS);
}

static void test_source_filter_not_for_this_link_type(void **state)
{
    struct ctx *c = *state;
    char path[128], err[512];
    uint8_t f[FRAME_LEN], file[512];
    struct sk_source *src = NULL;
    mk_frame(f, 20, 25);
    const uint8_t *ipf[1] = {f + 14};
    const uint32_t iplen[1] = {41};
    const uint64_t ts[1] = {1};

    write_pcap(path_in(c, "a.pcap", path, sizeof(path)), 10, 1, NULL);
    size_t n = mk_pcapng(file, 101, ipf, iplen, ts, 1);
    FILE *fp = fopen(path_in(c, "b.pcapng", path, sizeof(path)), "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(file, 1, n, fp), n);
    fclose(fp);
    write_pcap(path_in(c, "c.pcap", path, sizeof(path)), 30, 1, NULL);

    /* An Ethernet-only filter: fine for the pcap files, meaningless for raw IP. */
    assert_int_equal(
        sk_source_open_offline(&src, c->dir, "ether src 00:00:00:00:00:00", err, sizeof(err)), 0);
    expect_marker(src, 10);
    expect_error(src, SK_E_INVAL, "b.pcapng");
    expect_marker(src, 30);
    expect_end(src);
    sk_source_free(src);
}

/* Test-only: the source the signal handler stops. */
static struct sk_source *live_src;

static void on_alarm(int sig)
{
    (void)sig;
    sk_source_break(live_src);
}

static void test_source_live_break_from_signal(void **state)
{
    (void)state;
    char err[512];
    struct sk_raw_packet p;

    assert_int_equal(sk_source_open_live(&live_src, "no-such-iface0", NULL, err, sizeof(err)) < 0,
                     1);
    assert_non_null(strstr(err, "no-such-iface0"));
    const char *names[] = {"no-such-iface0"};
    struct sk_live_config lc = {.ifaces = names, .n_ifaces = 1};
    assert_int_equal(sk_source_open_afpacket(&live_src, &lc, 2, err, sizeof(err)), SK_E_NOTFOUND);
    assert_non_null(strstr(err, "no-such-iface0"));
    assert_null(live_src);
    int rc = sk_source_open_live(&live_src, "lo", "tcp port 1", err, sizeof(err));
    if (rc < 0) {
        print_message("live capture unavailable here: %s\n", err);
        skip();
    }
    struct sigaction sa = {.sa_handler = on_alarm};
    sigemptyset(&sa.sa_mask);
    assert_int_equal(sigaction(SIGALRM, &sa, NULL), 0);
    struct itimerval it = {.it_value = {.tv_usec = 250000}};
    assert_int_equal(setitimer(ITIMER_REAL, &it, NULL), 0);
    /* Nothing matches the filter on lo: the source is idle until the signal ends it. */
    int r = SK_SOURCE_IDLE, idles = 0;
    for (int i = 0; i < 100 && r == SK_SOURCE_IDLE; i++, idles++)
        r = sk_source_next(live_src, &p);
    assert_int_equal(r, 0);
    assert_true(idles >= 2); /* about 100 ms each, the signal at 250 ms */
    assert_int_equal(sk_source_next(live_src, &p), 0);
    struct sk_source_stats st;
    sk_source_get_stats(live_src, &st);
    assert_int_equal(st.packets, 0);
    assert_int_equal(sk_source_iface_count(live_src), 1);
    struct sk_iface_stats is;
    assert_int_equal(sk_source_iface_stats(live_src, 0, &is), 0);
    assert_string_equal(is.name, "lo");
    assert_int_equal(sk_source_iface_stats(live_src, 1, &is), SK_E_INVAL);
    sk_source_free(live_src);
    live_src = NULL;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_source_reads_one_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_source_folder_in_name_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_source_truncated_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_source_folder_goes_on_after_bad_files, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_source_open_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_source_bpf_filter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_source_reads_pcapng, setup, teardown),
        cmocka_unit_test_setup_teardown(test_source_read_ahead_as_libpcap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_source_file_shrinks_while_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_source_other_sigbus_still_faults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_source_huge_snaplen_as_libpcap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_source_huge_snaplen_memory_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_source_filter_not_for_this_link_type, setup, teardown),
        cmocka_unit_test(test_source_live_break_from_signal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
