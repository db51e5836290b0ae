/* SPDX-License-Identifier: GPL-2.0-only */
/* The shrike command line: options, configuration, rule loading, the packet loop, signals
 * and the counters printed at exit. The only place that may exit(). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/commands.h"
#include "engine/config.h"
#include "engine/control.h"
#include "engine/daemon.h"
#include "engine/error.h"
#include "engine/log.h"
#include "engine/output/outfile.h"
#include "engine/pipeline.h"
#include "engine/reload.h"
#include "engine/capture/source.h"
#include "engine/rule_profile.h"
#include "engine/stats.h"
#include "engine/worker.h"
#include "engine/workbench.h"
#include "parsers/anomaly.h"
#include "parsers/fields.h"
#include "rules/detect.h"
#include "rules/ruleset.h"
#include "rules/threshold.h"

/* docs/cli.md lists them: 3 is a run that went to its end but could not write every record
 * (a full disk, a closed pipe); 4 a capture interface that cannot be opened; 5 a start
 * refused because another instance holds the pid file. */
enum exit_code {
    EXIT_OK = 0,
    EXIT_FAILURE_RUN = 1,
    EXIT_USAGE = 2,
    EXIT_OUTPUT_LOST = 3,
    EXIT_NO_CAPTURE = 4, /* a capture interface could not be opened */
    EXIT_REFUSED = 5
};

struct options {
    const char *read_path;
    const char *iface;   /* live: the first -i, or --af-packet's interface */
    const char **ifaces; /* every -i */
    size_t n_ifaces;
    const char *afpacket; /* --af-packet IFACE */
    char **owned_sets;    /* --snaplen and the like, as --set KEY=VALUE strings */
    size_t n_owned_sets;
    const char *bpf_file;
    char *bpf;
    const char *log_dir;
    const char *config_path;
    const char *dump_dir;
    const char *workers; /* --workers: N or auto */
    const char **rule_files;
    size_t n_rule_files;
    bool rules_exclusive; /* -S: only these; -s: in addition to the configuration's */
    const char **sets;
    size_t n_sets;
    bool test_only;
    bool list_keywords, list_events, list_config, list_fields;
    bool detect_reference;     /* --detect-reference */
    bool rule_profile;         /* --rule-profile */
    bool explain;              /* shrike explain */
    unsigned long explain_sid; /* --sid */
    bool quiet;
    int verbose;
    const char *user, *group, *pidfile; /* --user, --group, --pidfile */
};

/* Lock-free atomics: the handler may run on any thread while the readers look at them. */
static _Atomic(struct sk_source *) running_source;
static _Atomic int stop_requested;
/* SIGHUP and SIGUSR2 set a request bit and wake the control thread (control.h) */
static _Atomic unsigned control_requests;
static _Atomic int control_wake_fd = -1;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
    struct sk_source *src = running_source;
    if (src)
        sk_source_break(src);
}

static void on_request(int sig)
{
    atomic_fetch_or(&control_requests, sig == SIGHUP ? SK_CONTROL_REOPEN : SK_CONTROL_RELOAD);
    int fd = control_wake_fd;
    if (fd >= 0)
        (void)!write(fd, "x", 1);
}

/* shutdown on the control socket: as SIGTERM */
static void stop_run(void *ctx)
{
    (void)ctx;
    on_signal(SIGTERM);
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: shrike [options] (-r PATH | -i IFACE) [BPF expression]\n"
            "       shrike explain --sid N -r PATH [-S FILE] [options]\n"
            "\n"
            "  -r PATH              read a pcap/pcapng file, or every capture in a folder\n"
            "  -i IFACE             capture live from an interface (repeatable)\n"
            "  --af-packet IFACE    capture with AF_PACKET, one fan-out socket per worker\n"
            "  --snaplen N          live: bytes kept of each packet (default 65535)\n"
            "  --pcap-buffer-size SIZE  -i: libpcap's kernel buffer per interface\n"
            "  --af-packet-ring-size SIZE   ring per worker socket (default 16mb)\n"
            "  --af-packet-block-size SIZE  bytes per ring block (default 1mb)\n"
            "  -F FILE              read the BPF filter from FILE\n"
            "  -l DIR               write logs to DIR (default: log-dir, else .)\n"
            "  -c FILE              configuration file (YAML)\n"
            "  -S FILE              load rules from FILE only (repeatable)\n"
            "  -s FILE              load rules from FILE as well as the configured ones\n"
            "  -T                   test the configuration and rules, then exit\n"
            "  --set KEY=VALUE      override a configuration key (repeatable)\n"
            "  --dump-streams DIR   write each flow's reassembled bytes to DIR\n"
            "  --workers N|auto     worker threads (default: workers, else 1; auto: cores)\n"
            "  --list-keywords      print the rule keywords\n"
            "  --list-events        print the anomaly table\n"
            "  --list-fields        print the rule buffers (fields)\n"
            "  --detect-reference   detect with the reference matcher, no prefilter\n"
            "  --rule-profile       time every rule check; worst rules at exit, rule_perf.json\n"
            "  --list-config        print the configuration keys\n"
            "  --user USER          run as USER once the capture and the logs are open\n"
            "  --group GROUP        run as GROUP (default: USER's group)\n"
            "  --pidfile FILE       write the pid to FILE, locked; refuse a second instance\n"
            "  --sid N              (explain) the rule to explain, by its sid\n"
            "  -q                   do not print the counters at exit\n"
            "  -v                   more log output (repeat for debug)\n"
            "  -V, --version        print the version\n"
            "  -h, --help           this help\n");
}

static int push(const char ***v, size_t *n, const char *s)
{
    const char **nv = realloc(*v, (*n + 1) * sizeof(*nv));
    if (!nv)
        return SK_E_NOMEM;
    nv[(*n)++] = s;
    *v = nv;
    return 0;
}

static char *join_args(int argc, char **argv, int from)
{
    size_t len = 1;
    for (int i = from; i < argc; i++)
        len += strlen(argv[i]) + 1;
    char *s = malloc(len);
    if (!s)
        return NULL;
    s[0] = '\0';
    for (int i = from; i < argc; i++) {
        if (i > from)
            strcat(s, " ");
        strcat(s, argv[i]);
    }
    return s;
}

static char *read_text_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int c;
    while ((c = fgetc(f)) != EOF) {
        if (len + 2 > cap) {
            size_t ncap = cap ? cap * 2 : 256;
            char *nb = realloc(buf, ncap);
            if (!nb) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
            cap = ncap;
        }
        buf[len++] = (char)(c == '\n' || c == '\r' ? ' ' : c);
    }
    fclose(f);
    if (!buf)
        buf = calloc(1, 1);
    else
        buf[len] = '\0';
    return buf;
}

enum long_only {
    OPT_SET = 256,
    OPT_DUMP,
    OPT_LIST_KEYWORDS,
    OPT_LIST_EVENTS,
    OPT_LIST_CONFIG,
    OPT_LIST_FIELDS,
    OPT_DETECT_REFERENCE,
    OPT_RULE_PROFILE,
    OPT_SID,
    OPT_WORKERS,
    OPT_USER,
    OPT_GROUP,
    OPT_PIDFILE,
    OPT_AFPACKET,
    OPT_SNAPLEN,
    OPT_PCAP_BUFFER,
    OPT_RING_SIZE,
    OPT_BLOCK_SIZE,
};

/* --snaplen and the other capture options are their configuration keys set from the command
 * line, as --set would (docs/capture.md). */
static int push_capture_set(struct options *o, int opt, const char *value)
{
    static const char *const keys[] = {
        [OPT_SNAPLEN - OPT_SNAPLEN] = "capture.snaplen",
        [OPT_PCAP_BUFFER - OPT_SNAPLEN] = "capture.pcap.buffer-size",
        [OPT_RING_SIZE - OPT_SNAPLEN] = "capture.af-packet.ring-size",
        [OPT_BLOCK_SIZE - OPT_SNAPLEN] = "capture.af-packet.block-size",
    };
    size_t len = strlen(keys[opt - OPT_SNAPLEN]) + strlen(value) + 2;
    char *set = malloc(len);
    char **v = realloc(o->owned_sets, (o->n_owned_sets + 1) * sizeof(*v));
    if (v)
        o->owned_sets = v;
    if (!set || !v) {
        free(set);
        return SK_E_NOMEM;
    }
    snprintf(set, len, "%s=%s", keys[opt - OPT_SNAPLEN], value);
    o->owned_sets[o->n_owned_sets++] = set;
    return push(&o->sets, &o->n_sets, set);
}

static int parse_args(int argc, char **argv, struct options *o)
{
    static const struct option longopts[] = {
        {"set", required_argument, NULL, OPT_SET},
        {"dump-streams", required_argument, NULL, OPT_DUMP},
        {"workers", required_argument, NULL, OPT_WORKERS},
        {"af-packet", required_argument, NULL, OPT_AFPACKET},
        {"snaplen", required_argument, NULL, OPT_SNAPLEN},
        {"pcap-buffer-size", required_argument, NULL, OPT_PCAP_BUFFER},
        {"af-packet-ring-size", required_argument, NULL, OPT_RING_SIZE},
        {"af-packet-block-size", required_argument, NULL, OPT_BLOCK_SIZE},
        {"list-keywords", no_argument, NULL, OPT_LIST_KEYWORDS},
        {"list-events", no_argument, NULL, OPT_LIST_EVENTS},
        {"list-config", no_argument, NULL, OPT_LIST_CONFIG},
        {"list-fields", no_argument, NULL, OPT_LIST_FIELDS},
        {"detect-reference", no_argument, NULL, OPT_DETECT_REFERENCE},
        {"rule-profile", no_argument, NULL, OPT_RULE_PROFILE},
        {"sid", required_argument, NULL, OPT_SID},
        {"user", required_argument, NULL, OPT_USER},
        {"group", required_argument, NULL, OPT_GROUP},
        {"pidfile", required_argument, NULL, OPT_PIDFILE},
        {"version", no_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "r:i:F:l:c:S:s:TqvVh", longopts, NULL)) != -1) {
        switch (c) {
        case 'r':
            o->read_path = optarg;
            break;
        case 'i':
            if (!o->iface)
                o->iface = optarg;
            if (push(&o->ifaces, &o->n_ifaces, optarg) < 0)
                return SK_E_NOMEM;
            break;
        case OPT_AFPACKET:
            o->afpacket = o->iface = optarg;
            break;
        case OPT_SNAPLEN:
        case OPT_PCAP_BUFFER:
        case OPT_RING_SIZE:
        case OPT_BLOCK_SIZE:
            if (push_capture_set(o, c, optarg) < 0)
                return SK_E_NOMEM;
            break;
        case 'F':
            o->bpf_file = optarg;
            break;
        case 'l':
            o->log_dir = optarg;
            break;
        case 'c':
            o->config_path = optarg;
            break;
        case 'S':
            o->rules_exclusive = true;
            /* fall through */
        case 's':
            if (push(&o->rule_files, &o->n_rule_files, optarg) < 0)
                return SK_E_NOMEM;
            break;
        case 'T':
            o->test_only = true;
            break;
        case 'q':
            o->quiet = true;
            break;
        case 'v':
            o->verbose++;
            break;
        case OPT_SET:
            if (push(&o->sets, &o->n_sets, optarg) < 0)
                return SK_E_NOMEM;
            break;
        case OPT_DUMP:
            o->dump_dir = optarg;
            break;
        case OPT_WORKERS:
            o->workers = optarg;
            break;
        case OPT_USER:
            o->user = optarg;
            break;
        case OPT_GROUP:
            o->group = optarg;
            break;
        case OPT_PIDFILE:
            o->pidfile = optarg;
            break;
        case OPT_LIST_KEYWORDS:
            o->list_keywords = true;
            break;
        case OPT_LIST_EVENTS:
            o->list_events = true;
            break;
        case OPT_LIST_CONFIG:
            o->list_config = true;
            break;
        case OPT_RULE_PROFILE:
            o->rule_profile = true;
            break;
        case OPT_SID: {
            char *end;
            errno = 0;
            o->explain_sid = strtoul(optarg, &end, 10);
            if (errno || *end || !*optarg || o->explain_sid == 0 || o->explain_sid > UINT32_MAX) {
                sk_error("--sid: expected a signature id, got '%s'", optarg);
                return SK_E_INVAL;
            }
            break;
        }
        case OPT_DETECT_REFERENCE:
            o->detect_reference = true;
            break;
        case OPT_LIST_FIELDS:
            o->list_fields = true;
            break;
        case 'V':
            printf("shrike %s\n", PACKAGE_VERSION);
            exit(EXIT_OK);
        case 'h':
            usage(stdout);
            exit(EXIT_OK);
        default:
            usage(stderr);
            return SK_E_INVAL;
        }
    }
    if (optind < argc) {
        if (o->bpf_file) {
            sk_error("give the BPF filter either with -F or on the command line, not both");
            return SK_E_INVAL;
        }
        if (!(o->bpf = join_args(argc, argv, optind)))
            return SK_E_NOMEM;
    } else if (o->bpf_file) {
        if (!(o->bpf = read_text_file(o->bpf_file))) {
            sk_error("cannot read BPF filter file '%s': %s", o->bpf_file, strerror(errno));
            return SK_E_IO;
        }
    }
    return 0;
}

static void print_events(void)
{
    for (int i = 0; i < SK_ANOMALY_COUNT; i++)
        printf("smtp.%-36s %s\n", sk_anomaly_name((enum sk_anomaly_id)i),
               sk_anomaly_doc((enum sk_anomaly_id)i));
}

static void print_fields(void)
{
    static const char *const kinds[] = {"single", "multi", "stream", "flag", "number"};
    for (int i = 0; i < SK_FIELD_COUNT; i++) {
        const struct sk_field_def *d = sk_field_def((enum sk_field_id)i);
        printf("%-22s %-7s %s\n", d->name, kinds[d->kind], d->doc);
    }
}

static void print_rule_summary(const struct sk_ruleset *rs)
{
    const struct sk_ruleset_stats *st = sk_ruleset_stats(rs);
    sk_info("rules: %zu loaded, %zu failed, %zu warnings", st->loaded, st->failed, st->warnings);
    for (size_t i = 0; i < st->n_reasons; i++)
        sk_info("rules failed: %zu: %s", st->reasons[i].count, st->reasons[i].reason);
}

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static double mono_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int make_dir(const char *dir)
{
    if (mkdir(dir, 0755) == 0 || errno == EEXIST)
        return 0;
    sk_error("cannot create log folder '%s': %s", dir, strerror(errno));
    return SK_E_IO;
}

/* Reads packets until the end of input or a stop request. Returns the number of source
 * errors reported (damaged files), or a negative SK_E_* code on an error that ended it. */
static int packet_loop(struct sk_source *src, struct sk_worker *w, bool live)
{
    struct sk_raw_packet pkt;
    int errors = 0;
    uint64_t last_tick = 0;

    int r;

    while ((r = sk_source_read(src, &pkt, &stop_requested, &errors)) > 0) {
        if (r == SK_SOURCE_IDLE) {
            /* no packet: the flow clock runs on wall time, so idle flows expire */
            sk_worker_tick(w, now_us());
            last_tick = now_us();
            continue;
        }
        if ((r = sk_worker_packet(w, &pkt)) < 0) {
            sk_error("packet processing failed: %s", sk_strerror(r));
            return r;
        }
        if (live) {
            uint64_t t = now_us();
            if (t - last_tick > 1000000u) {
                sk_worker_tick(w, t);
                last_tick = t;
            }
        }
    }
    return r < 0 ? r : errors;
}

/* A regular file or a folder (whose captures are its regular files), read by the first
 * worker, which hands the others their packets; a pipe or a device is read by a reader
 * thread. */
static bool is_file_or_folder(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode));
}

#define MAX_WORKERS 64

/* The number of workers from --workers or the workers key: 1..MAX_WORKERS or "auto". */
static int worker_count(const struct options *o, const struct sk_config *cfg, size_t *out)
{
    const char *v = o->workers ? o->workers : sk_config_str(cfg, "workers");
    if (!v || !*v) {
        *out = 1;
        return 0;
    }
    if (strcmp(v, "auto") == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        *out = n < 1 ? 1 : n > MAX_WORKERS ? MAX_WORKERS : (size_t)n;
        return 0;
    }
    char *end;
    long n = strtol(v, &end, 10);
    if (*end || n < 1 || n > MAX_WORKERS) {
        if (o->workers)
            sk_error("--workers '%s' is not a number of workers (1 to %d) or auto", v, MAX_WORKERS);
        else
            sk_error("'workers' holds '%s', which is not a number of workers (1 to %d) or auto", v,
                     MAX_WORKERS);
        return SK_E_INVAL;
    }
    *out = (size_t)n;
    return 0;
}

struct counter_vec {
    struct sk_counter *v;
    size_t n;
    bool failed;
};

/* sk_outfile_pool_foreach(): the log files' error counters, after the others. */
static void add_output_counter(void *ctx, const char *name, uint64_t value)
{
    struct counter_vec *cv = ctx;
    struct sk_counter *v = realloc(cv->v, (cv->n + 1) * sizeof(*v));
    if (!v) {
        cv->failed = true;
        return;
    }
    v[cv->n++] = (struct sk_counter){name, value};
    cv->v = v;
}

static void print_counters(const struct sk_counter *c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        printf("%s: %llu\n", c[i].name, (unsigned long long)c[i].value);
}

/* The statistics of a run (stats.h): the board the workers publish on, the stats thread with
 * its own output set for the periodic EVE stats records, and the progress line. */
struct run_stats {
    struct sk_stats_board *board;
    struct sk_stats_thread *thread;
    struct sk_output_set *out;
    uint64_t *sizes;
    bool threads;
};

static int run_stats_start(struct run_stats *rs, const struct options *o,
                           const struct sk_config *cfg, const char *log_dir,
                           struct sk_outfile_pool *files, struct sk_worker **ws, size_t n,
                           const struct sk_source *src)
{
    char err[512];
    bool enabled;
    uint64_t interval;
    struct sk_stats_thread_config tc = {0};
    int rc;

    if ((rc = sk_config_bool(cfg, "stats.enabled", &enabled, err, sizeof(err))) < 0 ||
        (rc = sk_config_u64(cfg, "stats.interval", &interval, err, sizeof(err))) < 0 ||
        (rc = sk_config_bool(cfg, "stats.threads", &rs->threads, err, sizeof(err))) < 0) {
        sk_error("%s", err);
        return rc;
    }
    if ((rc = sk_stats_board_new(&rs->board, n)) < 0)
        return rc;
    for (size_t i = 0; i < n; i++)
        sk_worker_set_board(ws[i], rs->board, i);
    tc.board = rs->board;
    tc.threads = rs->threads;
    tc.live = o->iface != NULL;
    tc.source = tc.live ? src : NULL;
    tc.interval_s = enabled ? (unsigned)(interval > 86400 ? 86400 : interval) : 0;
    tc.progress = !tc.live && !o->quiet && isatty(STDERR_FILENO);
    if (o->read_path &&
        (rc = sk_stats_input_sizes(o->read_path, &rs->sizes, &tc.n_files, &tc.input_bytes)) < 0)
        return rc;
    tc.file_sizes = rs->sizes;
    if (tc.interval_s) {
        if ((rc = sk_outputs_open(&rs->out, cfg, log_dir, files, err, sizeof(err))) < 0) {
            if (rc != SK_E_IO)
                sk_error("%s", err);
            return rc;
        }
        tc.outputs = rs->out;
    }
    /* live, the thread also asks the workers for fresh copies (dump-counters) */
    if (!tc.interval_s && !tc.progress && !tc.live)
        return 0;
    return sk_stats_thread_start(&rs->thread, &tc);
}

/* The control thread, and the unix-command socket when the configuration enables it. */
static int control_start(struct sk_control **out, const struct sk_config *cfg,
                         struct sk_run_ctl *ctl)
{
    char err[512];
    bool on;
    int rc;
    if ((rc = sk_config_bool(cfg, "unix-command.enabled", &on, err, sizeof(err))) < 0) {
        sk_error("%s", err);
        return rc;
    }
    struct sk_control_config cc = {.socket_path =
                                       on ? sk_config_str(cfg, "unix-command.filename") : NULL,
                                   .ops = &sk_run_ctl_ops,
                                   .ctx = ctl,
                                   .requests = &control_requests};
    if ((rc = sk_control_start(out, &cc, err, sizeof(err))) < 0) {
        sk_error("%s", err);
        return rc;
    }
    control_wake_fd = sk_control_wake_fd(*out);
    return 0;
}

/* The end of the run's summary, on a terminal only: what was seen, in one short block. */
static void print_summary(const struct sk_counter *c, size_t n, double elapsed)
{
    uint64_t bytes = sk_counters_get(c, n, "bytes");
    fprintf(stderr,
            "shrike: %" PRIu64 " packets, %" PRIu64 " flows, %" PRIu64 " SMTP sessions, %" PRIu64
            " transactions, %" PRIu64 " files\n",
            sk_counters_get(c, n, "packets"), sk_counters_get(c, n, "flows"),
            sk_counters_get(c, n, "smtp.flows"), sk_counters_get(c, n, "smtp.transactions"),
            sk_counters_get(c, n, "files"));
    fprintf(
        stderr,
        "shrike: %" PRIu64 " alerts (priority 1: %" PRIu64 ", 2: %" PRIu64 ", 3: %" PRIu64
        ", 4 or more: %" PRIu64 "), %" PRIu64 " anomalies\n",
        sk_counters_get(c, n, "detect.alerts"), sk_counters_get(c, n, "detect.alerts_priority_1"),
        sk_counters_get(c, n, "detect.alerts_priority_2"),
        sk_counters_get(c, n, "detect.alerts_priority_3"),
        sk_counters_get(c, n, "detect.alerts_priority_4"), sk_counters_get(c, n, "smtp.anomalies"));
    fprintf(stderr, "shrike: %.1f MB in %.2f s, %.1f MB/s\n", (double)bytes / 1e6, elapsed,
            elapsed > 0 ? (double)bytes / 1e6 / elapsed : 0.0);
}

/* shrike explain runs the capture with one worker and no log files, and prints what the
 * workbench collected instead of the counters. */
static int explain_settings(struct options *o)
{
    static const char *const sets[] = {"outputs.events.enabled=no", "outputs.eve.enabled=no",
                                       "outputs.fast.enabled=no", "outputs.smtp-log.enabled=no",
                                       "stats.enabled=no"};
    for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++)
        if (push(&o->sets, &o->n_sets, sets[i]) < 0)
            return SK_E_NOMEM;
    o->workers = "1";
    o->quiet = true;
    return 0;
}

static void explain_print(const struct sk_workbench *wb, const struct sk_ruleset *rs, uint32_t sid)
{
    for (size_t i = 0; i < sk_ruleset_count(rs); i++) {
        const struct sk_rule *r = sk_ruleset_rule(rs, i);
        if (r->sid == sid && r->gid == 1) {
            sk_workbench_print(wb, r, stdout);
            return;
        }
    }
}

/* --rule-profile: the workers' profiles summed, the worst 20 on stdout, all in
 * rule_perf.json. */
static int write_rule_profile(const struct sk_detect *det, struct sk_worker **ws, size_t n,
                              const char *log_dir, uint64_t ts, bool quiet)
{
    const struct sk_rule_prof **prof = calloc(n, sizeof(*prof));
    size_t n_rules = 0;
    if (!prof)
        return SK_E_NOMEM;
    for (size_t i = 0; i < n; i++)
        prof[i] = sk_worker_rule_profile(ws[i], &n_rules);
    int rc = sk_rule_profile_write(det, prof, n, n_rules, log_dir, ts, quiet ? NULL : stdout, 20);
    free(prof);
    return rc;
}

/* The EVE stats record at exit: the totals, the uptime and, with stats.threads, each
 * worker's copy from the board. */
static void final_stats_record(struct sk_output_set *out, const struct run_stats *rs, uint64_t ts,
                               const struct sk_counter *all, size_t n, double elapsed)
{
    struct sk_counter *c = malloc((n + 1) * sizeof(*c));
    struct sk_stats_names *names = NULL;
    size_t nc = n;
    if (!c)
        return;
    memcpy(c, all, n * sizeof(*c));
    c[nc++] = (struct sk_counter){"uptime", (uint64_t)elapsed};
    if (rs->board && rs->threads && sk_stats_board_threads(rs->board, &c, &nc, &names) < 0)
        goto out_free;
    sk_output_set_stats(out, ts, c, nc);
out_free:
    sk_stats_names_free(names);
    free(c);
}

/* Live capture: every -i through libpcap, or --af-packet with one socket per worker. The
 * filter is the command line's, else capture.bpf-filter. */
static int open_capture(const struct options *o, const struct sk_config *cfg, size_t n_workers,
                        struct sk_source **src, char *err, size_t errlen)
{
    struct sk_live_config lc = {0};
    int rc = sk_source_live_config(cfg, &lc, err, errlen);
    if (rc < 0)
        return SK_E_NOMEM == rc ? rc : SK_E_INVAL;
    lc.bpf = o->bpf ? o->bpf : sk_config_str(cfg, "capture.bpf-filter");
    if (lc.bpf && !*lc.bpf)
        lc.bpf = NULL;
    if (o->afpacket) {
        lc.ifaces = &o->afpacket;
        lc.n_ifaces = 1;
        return sk_source_open_afpacket(src, &lc, n_workers, err, errlen);
    }
    lc.ifaces = o->ifaces;
    lc.n_ifaces = o->n_ifaces;
    return sk_source_open_pcap_live(src, &lc, err, errlen);
}

int main(int argc, char **argv)
{
    struct options o = {0};
    struct sk_config *cfg = NULL;
    struct sk_rules lr = {0};
    struct sk_reloader *reloader = NULL;
    const struct sk_detect *det = NULL;
    struct sk_pidfile *pidfile = NULL;
    struct sk_control *control = NULL;
    struct sk_output_set **outs = NULL;
    struct sk_worker *w = NULL; /* -T only */
    struct sk_worker **ws = NULL;
    struct run_stats rstats = {0};
    struct sk_workbench *wb = NULL;        /* shrike explain */
    struct sk_thresh_table *thresh = NULL; /* several workers: their shared thresholds */
    size_t n_outs = 0, n_ws = 0;
    struct sk_outfile_pool *files = NULL;
    struct sk_source *src = NULL;
    char err[1024] = "";
    int status = EXIT_FAILURE_RUN;
    int rc;

    if (argc > 1 && strcmp(argv[1], "explain") == 0) {
        /* shrike explain: the rest is a run's command line, with --sid */
        o.explain = true;
        argv[1] = argv[0];
        argv++;
        argc--;
    }
    if (parse_args(argc, argv, &o) < 0) {
        status = EXIT_USAGE;
        goto out;
    }
    if (o.explain != (o.explain_sid != 0)) {
        sk_error(o.explain ? "explain needs --sid N" : "--sid is for shrike explain");
        status = EXIT_USAGE;
        goto out;
    }
    if (o.explain && explain_settings(&o) < 0)
        goto out_nomem;
    sk_log_set_level(o.verbose >= 2 ? SK_LOG_DEBUG : o.verbose == 1 ? SK_LOG_INFO : SK_LOG_WARN);
    if (o.list_keywords || o.list_events || o.list_config || o.list_fields) {
        if (o.list_keywords)
            sk_ruleset_print_keywords(stdout);
        if (o.list_events)
            print_events();
        if (o.list_fields)
            print_fields();
        if (o.list_config)
            sk_config_print_keys(stdout);
        status = EXIT_OK;
        goto out;
    }
    if (!o.test_only && (!o.read_path == !o.iface || (o.afpacket && o.n_ifaces))) {
        sk_error("give exactly one of -r PATH, -i IFACE or --af-packet IFACE (see shrike --help)");
        status = EXIT_USAGE;
        goto out;
    }

    /* From here a signal ends the run cleanly: one that comes while the rules load stops it
     * before the first packet, with whole (empty) logs. */
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    /* SIGHUP reopens the logs, SIGUSR2 reloads the rules: both on the control thread */
    struct sigaction sr = {.sa_handler = on_request, .sa_flags = SA_RESTART};
    sigemptyset(&sr.sa_mask);
    sigaction(SIGHUP, &sr, NULL);
    sigaction(SIGUSR2, &sr, NULL);
    /* a log on a pipe whose reader went away is a write error (EPIPE), not the end */
    signal(SIGPIPE, SIG_IGN);

    if (sk_config_new(&cfg) < 0)
        goto out_nomem;
    /* the installed configuration, when none is given (docs/operations.md) */
    if (!o.config_path && access(SK_DEFAULT_CONFIG, R_OK) == 0)
        o.config_path = SK_DEFAULT_CONFIG;
    if (o.config_path && (rc = sk_config_load_file(cfg, o.config_path, err, sizeof(err))) < 0) {
        sk_error("%s", err);
        goto out;
    }
    for (size_t i = 0; i < o.n_sets; i++) {
        if ((rc = sk_config_set(cfg, o.sets[i])) < 0) {
            sk_error("--set '%s': expected KEY=VALUE", o.sets[i]);
            status = EXIT_USAGE;
            goto out;
        }
    }
    if (sk_config_check(cfg, err, sizeof(err)) < 0) {
        sk_error("%s", err);
        goto out;
    }

    /* before anything is built or opened: a second instance stops here */
    if (o.pidfile && !o.test_only &&
        (rc = sk_pidfile_take(&pidfile, o.pidfile, err, sizeof(err))) < 0) {
        sk_error("%s", err);
        status = rc == SK_E_EXISTS ? EXIT_REFUSED : EXIT_FAILURE_RUN;
        goto out;
    }

    double t_rules = mono_seconds();
    struct sk_rules_source rsrc = {.cfg = cfg,
                                   .rule_files = o.rule_files,
                                   .n_rule_files = o.n_rule_files,
                                   .exclusive = o.rules_exclusive,
                                   .lint = o.test_only,
                                   .say_dialect = o.test_only || o.verbose,
                                   .reference = o.detect_reference};
    rc = sk_rules_load(&lr, &rsrc, err, sizeof(err));
    if (lr.rs && (o.test_only || o.verbose || sk_ruleset_stats(lr.rs)->failed))
        print_rule_summary(lr.rs);
    if (rc == SK_E_NOMEM)
        goto out_nomem;
    if (rc < 0) { /* rule errors were reported by the rule loader, with the file and reason */
        sk_error("%s", err);
        goto out;
    }
    sk_info("rule set ready in %.3f s", mono_seconds() - t_rules);
    size_t files_failed = lr.files_failed;
    if (sk_reloader_new(&reloader, &rsrc, &lr) < 0)
        goto out_nomem;
    const struct sk_ruleset *rules = sk_reloader_current(reloader)->rs;
    const struct sk_ruleset_stats *rst = sk_ruleset_stats(rules);
    det = sk_reloader_current(reloader)->det;

    if (o.test_only) {
        /* A worker reads and checks every setting it uses; the run's own keys are checked
         * here. */
        struct sk_worker_config wc = {.cfg = cfg, .detect = det};
        size_t n_check;
        uint64_t q_check;
        if ((rc = sk_worker_new(&w, &wc, err, sizeof(err))) < 0 ||
            (rc = sk_config_u64(cfg, "workers-queue", &q_check, err, sizeof(err))) < 0) {
            sk_error("%s", err);
            goto out;
        }
        if (worker_count(&o, cfg, &n_check) < 0) {
            status = o.workers ? EXIT_USAGE : EXIT_FAILURE_RUN; /* as in a run */
            goto out;
        }
        bool ok = rst->failed == 0 && files_failed == 0;
        printf("configuration and %zu rules: %s\n", sk_ruleset_count(rules),
               ok ? "ok" : "errors found");
        status = ok ? EXIT_OK : EXIT_FAILURE_RUN;
        goto out;
    }

    const char *log_dir = o.log_dir ? o.log_dir : sk_config_str(cfg, "log-dir");
    if (make_dir(log_dir) < 0)
        goto out;
    if (o.dump_dir && make_dir(o.dump_dir) < 0)
        goto out;
    size_t n_workers;
    uint64_t queue_batches, hash_seed;
    if (worker_count(&o, cfg, &n_workers) < 0) {
        /* --workers is the command line (2), the workers key the configuration (1) */
        status = o.workers ? EXIT_USAGE : EXIT_FAILURE_RUN;
        goto out;
    }
    if (sk_config_u64(cfg, "workers-queue", &queue_batches, err, sizeof(err)) < 0 ||
        sk_config_u64(cfg, "flow.hash-seed", &hash_seed, err, sizeof(err)) < 0) {
        sk_error("%s", err);
        goto out;
    }
    const char *balance = sk_config_str(cfg, "workers-balance");
    if (!balance || (strcmp(balance, "claim") != 0 && strcmp(balance, "hash") != 0)) {
        sk_error("workers-balance: expected 'claim' or 'hash', got '%s'", balance ? balance : "");
        goto out;
    }
    if (n_workers > 1 && hash_seed == 0 && getrandom(&hash_seed, sizeof(hash_seed), 0) < 0)
        hash_seed = (uint64_t)now_us();
    if (!(outs = calloc(n_workers, sizeof(*outs))) || !(ws = calloc(n_workers, sizeof(*ws))))
        goto out_nomem;
    if (sk_outfile_pool_new(&files) < 0)
        goto out_nomem;
    if (o.explain) {
        if (!det) {
            sk_error("explain: no rule loaded (give the rule file with -S)");
            goto out;
        }
        if (sk_workbench_new(&wb) < 0)
            goto out_nomem;
    }
    /* A capture file or folder is read by the first worker, which hands the others their
     * flows' packets (pipeline.h); a pipe has a reader thread. */
    bool from_files = o.read_path && is_file_or_folder(o.read_path);
    /* threshold and detection_filter count a host's matches together whichever worker has
     * its flows, as one worker would (and Suricata's host table) */
    if (n_workers > 1 && sk_thresh_table_new(&thresh, 0) < 0)
        goto out_nomem;
    for (size_t i = 0; i < n_workers; i++) {
        if ((rc = sk_outputs_open(&outs[i], cfg, log_dir, files, err, sizeof(err))) < 0) {
            if (rc != SK_E_IO) /* a file that cannot be opened was reported, with its reason */
                sk_error("%s", err);
            goto out;
        }
        n_outs++;
        /* Reading files, the first worker reads and counts every packet. */
        struct sk_worker_config wc = {.cfg = cfg,
                                      .detect = det,
                                      .gen = sk_reloader_first(reloader),
                                      .outputs = outs[i],
                                      .dump_dir = o.dump_dir,
                                      .skip_input_counters = i > 0 && from_files,
                                      .rule_profile = o.rule_profile,
                                      .explain_sid = (uint32_t)o.explain_sid,
                                      .explain_fn = wb ? sk_workbench_on_explain : NULL,
                                      .explain_ctx = wb,
                                      .thresh = thresh};
        if ((rc = sk_worker_new(&ws[i], &wc, err, sizeof(err))) < 0) {
            sk_error("%s", err);
            goto out;
        }
        n_ws++;
    }
    rc = o.read_path ? sk_source_open_offline(&src, o.read_path, o.bpf, err, sizeof(err))
                     : open_capture(&o, cfg, n_workers, &src, err, sizeof(err));
    if (rc < 0 && stop_requested) {
        /* the signal cut the capture's first read: nothing was read, nothing is lost */
        sk_warn("stopped by a signal before the first packet");
        status = EXIT_OK;
        goto out;
    }
    if (rc < 0) {
        sk_error("%s", err);
        /* an interface that cannot be opened has its own status (a bad filter is usage) */
        if (o.iface && rc != SK_E_NOMEM)
            status = rc == SK_E_INVAL ? EXIT_USAGE : EXIT_NO_CAPTURE;
        goto out;
    }
    if ((rc = run_stats_start(&rstats, &o, cfg, log_dir, files, ws, n_workers, src)) == SK_E_NOMEM)
        goto out_nomem;
    if (rc < 0)
        goto out;
    struct sk_run_ctl ctl = {.reloader = reloader,
                             .files = files,
                             .board = rstats.board,
                             .src = src,
                             .iface = o.iface,
                             .stop = &stop_requested,
                             .stop_fn = stop_run,
                             .t_start = mono_seconds()};
    sk_reloader_set_workers(reloader, ws, n_workers);
    if ((rc = control_start(&control, cfg, &ctl)) == SK_E_NOMEM)
        goto out_nomem;
    if (rc < 0)
        goto out;
    /* the capture, the logs and the socket are open: root is no longer needed */
    if ((o.user || o.group) && sk_drop_privileges(o.user, o.group, err, sizeof(err)) < 0) {
        sk_error("%s", err);
        goto out;
    }
    running_source = src;

    double t0 = mono_seconds();
    int errors;
    struct sk_pipeline_stats pst = {0};
    struct sk_pipeline_config pc = {
        .workers = ws,
        .n_workers = n_workers,
        .live = o.iface != NULL,
        .queue_batches = (size_t)queue_batches,
        .hash_seed = hash_seed,
        .claim = strcmp(balance, "claim") == 0,
        .capture_bytes = sk_source_bytes(src),
    };
    if (n_workers == 1) {
        errors = packet_loop(src, ws[0], o.iface != NULL);
        sk_worker_finish(ws[0]);
    } else if (from_files) {
        errors = sk_pipeline_run_files(&pc, src, &stop_requested, &pst);
    } else if (sk_source_queues(src) > 1) {
        errors = sk_pipeline_run_queues(&pc, src, &stop_requested);
    } else {
        errors = sk_pipeline_run(&pc, src, &stop_requested, &pst);
    }
    running_source = NULL;
    double elapsed = mono_seconds() - t0;
    control_wake_fd = -1;
    sk_control_stop(control);
    control = NULL;
    /* a worker that saw no packet since the last reload moves now, so that every worker's
     * profile and counters are of the newest rules */
    for (size_t i = 0; i < n_workers; i++)
        sk_worker_rules_catch_up(ws[i]);
    det = sk_reloader_current(reloader)->det;
    rules = sk_reloader_current(reloader)->rs;
    sk_stats_thread_stop(rstats.thread);
    rstats.thread = NULL;
    for (size_t i = 0; i < n_workers; i++)
        sk_worker_publish(ws[i]);
    if (stop_requested)
        sk_warn("stopped by a signal: everything read so far was processed and logged");

    struct sk_counter *counters = NULL, *one = NULL;
    size_t n_counters = 0, n_one = 0;
    for (size_t i = 0; i < n_workers; i++) {
        n_one = 0;
        if (sk_worker_counters(ws[i], &one, &n_one) < 0 ||
            sk_counters_add(&counters, &n_counters, one, n_one) < 0) {
            free(one);
            free(counters);
            goto out_nomem;
        }
    }
    free(one);
    uint64_t last_ts = 0;
    for (size_t i = 0; i < n_workers; i++)
        if (sk_worker_last_ts(ws[i]) > last_ts)
            last_ts = sk_worker_last_ts(ws[i]);
    struct sk_source_stats sst;
    sk_source_get_stats(src, &sst);
    uint64_t bytes = 0;
    for (size_t i = 0; i < n_counters; i++)
        if (strcmp(counters[i].name, "bytes") == 0)
            bytes = counters[i].value;
    struct sk_counter extra[] = {
        {"source.files", sst.files},
        {"source.files_failed", sst.files_failed},
        {"source.packets_cut", sst.packets_cut},
        {"capture.kernel_packets", sst.kernel_packets},
        {"capture.kernel_drops", sst.kernel_drops},
        {"capture.kernel_ifdrops", sst.kernel_ifdrops},
        {"capture.kernel_freezes", sst.kernel_freezes},
        {"workers", n_workers},
        {"workers.queue_drops", pst.dropped_packets},
        {"workers.claims_full", pst.claims_full},
        {"elapsed_ms", (uint64_t)(elapsed * 1000.0)},
        {"throughput_mbps", elapsed > 0 ? (uint64_t)((double)bytes * 8.0 / elapsed / 1e6) : 0},
    };
    size_t n_extra = sizeof(extra) / sizeof(extra[0]);
    struct sk_counter *all = realloc(counters, (n_counters + n_extra) * sizeof(*all));
    if (!all) {
        free(counters);
        goto out_nomem;
    }
    memcpy(all + n_counters, extra, sizeof(extra));
    n_counters += n_extra;
    /* what is buffered goes out now, so that its errors are counted */
    sk_outfile_pool_flush(files);
    struct counter_vec cv = {all, n_counters, false};
    sk_outfile_pool_foreach(files, add_output_counter, &cv);
    all = cv.v;
    n_counters = cv.n;
    if (cv.failed) {
        free(all);
        goto out_nomem;
    }
    if (n_outs)
        final_stats_record(outs[0], &rstats, last_ts, all, n_counters, elapsed);
    if (!o.quiet)
        print_counters(all, n_counters);
    if (!o.quiet && isatty(STDERR_FILENO))
        print_summary(all, n_counters, elapsed);
    if (wb)
        explain_print(wb, rules, (uint32_t)o.explain_sid);
    bool prof_lost = o.rule_profile && det &&
                     write_rule_profile(det, ws, n_workers, log_dir, last_ts, o.quiet) < 0;
    free(all);

    status = errors != 0 ? EXIT_FAILURE_RUN : prof_lost ? EXIT_OUTPUT_LOST : EXIT_OK;
    if (errors < 0)
        sk_error("reading stopped: %s", sk_strerror(errors));
    goto out;

out_nomem:
    sk_error("out of memory");
out:
    /* Outputs last: the workers' flows are closed (and logged) before the files close. */
    control_wake_fd = -1;
    sk_control_stop(control);
    sk_worker_free(w);
    for (size_t i = 0; i < n_ws; i++)
        sk_worker_free(ws[i]);
    sk_thresh_table_free(thresh);
    sk_stats_thread_stop(rstats.thread);
    for (size_t i = 0; i < n_outs; i++)
        sk_output_set_close(outs[i]);
    sk_output_set_close(rstats.out);
    sk_stats_board_free(rstats.board);
    sk_workbench_free(wb);
    free(rstats.sizes);
    if (status == EXIT_OK && sk_outfile_pool_lost(files) > 0) {
        sk_error("%" PRIu64 " log records could not be written (exit status %d)",
                 sk_outfile_pool_lost(files), EXIT_OUTPUT_LOST);
        status = EXIT_OUTPUT_LOST;
    }
    sk_outfile_pool_free(files);
    free(ws);
    free(outs);
    sk_source_free(src);
    sk_reloader_free(reloader);
    sk_rules_release(&lr);
    sk_pidfile_release(pidfile);
    sk_config_free(cfg);
    free(o.rule_files);
    free(o.sets);
    free(o.ifaces);
    for (size_t i = 0; i < o.n_owned_sets; i++)
        free(o.owned_sets[i]);
    free(o.owned_sets);
    free(o.bpf);
    fflush(stdout);
    return status;
}
