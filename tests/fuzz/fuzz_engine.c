/* SPDX-License-Identifier: GPL-2.0-only */
/* libFuzzer target for the whole engine: the input is a capture file, run as `shrike -r`
 * runs it with one worker (source, decode, flows and reassembly, the SMTP parser and MIME
 * decoder, detection with the shipped rules, and every output: events.json, eve.json with
 * stats, fast.log, smtp.log, the file store and the stream dump) into a temporary folder
 * that is emptied after each input. Every line of events.json and eve.json must be one valid
 * JSON value, and every record of smtp.log must have as many fields as its header says,
 * whatever bytes the traffic held. The rules, configuration (shrike.yaml) and folder are
 * made once, in LLVMFuzzerInitialize, and are immutable afterwards, as in a run. */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/config.h"
#include "engine/log.h"
#include "engine/capture/source.h"
#include "engine/worker.h"
#include "rules/detect.h"
#include "rules/ruleset.h"
#include "tests/fuzz/fuzz_common.h"
#include "tests/unit/json_check.h"

/* Built once and then only read, like the shared state of a run's workers. */
static struct {
    struct sk_config *cfg;
    struct sk_ruleset *rs;
    struct sk_detect *det;
    char dir[256], store[300], dump[300];
} engine;

static void quiet(void *ctx, const struct sk_rule_diag *d)
{
    (void)ctx;
    (void)d;
}

/* The variable pairs of one configuration mapping, NULL-terminated; caller frees. */
static const char *(*vars_of(const char *prefix))[2]
{
    const char *const *names;
    char key[256];
    size_t n = sk_config_children(engine.cfg, prefix, &names);
    const char *(*v)[2] = calloc(n + 1, sizeof(*v));
    for (size_t i = 0; v && i < n; i++) {
        snprintf(key, sizeof(key), "%s.%s", prefix, names[i]);
        v[i][0] = names[i];
        v[i][1] = sk_config_get(engine.cfg, key);
    }
    return v;
}

static void fail(const char *what, const char *err)
{
    fprintf(stderr, "fuzz_engine: %s: %s\n", what, err);
    abort();
}

/* Removes the files of dir (the store's and the dump's are flat), keeping dir. */
static void empty_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[600];
    if (!d)
        return;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (unlink(path) < 0 && rmdir(path) < 0) {
            empty_dir(path);
            rmdir(path);
        }
    }
    closedir(d);
}

/* At exit (libFuzzer leaves through exit()): the shared state is freed and the folder goes. */
static void engine_free(void)
{
    sk_detect_free(engine.det);
    sk_ruleset_free(engine.rs);
    sk_config_free(engine.cfg);
    empty_dir(engine.dir);
    rmdir(engine.dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *top = getenv("SK_TOP_SRCDIR") ? getenv("SK_TOP_SRCDIR") : SK_TOP_SRCDIR;
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char path[512], set[512], err[1024];

    sk_log_set_level(SK_LOG_ERROR);
    snprintf(engine.dir, sizeof(engine.dir), "%s/shrike-fuzz-XXXXXX", tmp);
    if (!mkdtemp(engine.dir))
        fail("cannot make a temporary folder", engine.dir);
    snprintf(engine.store, sizeof(engine.store), "%s/filestore", engine.dir);
    snprintf(engine.dump, sizeof(engine.dump), "%s/dump", engine.dir);
    if (mkdir(engine.dump, 0700) < 0)
        fail("cannot make", engine.dump);
    atexit(engine_free);
    snprintf(path, sizeof(path), "%s/shrike.yaml", top);
    if (sk_config_new(&engine.cfg) < 0 ||
        sk_config_load_file(engine.cfg, path, err, sizeof(err)) < 0)
        fail("cannot load the configuration", err);
    snprintf(set, sizeof(set), "filestore.dir=%s", engine.store);
    if (sk_config_set(engine.cfg, set) < 0 ||
        sk_config_set(engine.cfg, "filestore.enabled=yes") < 0 ||
        sk_config_set(engine.cfg, "flow.hash-seed=1") < 0)
        fail("cannot set", set);

    const char *(*avars)[2] = vars_of("vars.address-groups");
    const char *(*pvars)[2] = vars_of("vars.port-groups");
    char class_file[512], ref_file[512];
    snprintf(class_file, sizeof(class_file), "%s/rules/classification.config", top);
    snprintf(ref_file, sizeof(ref_file), "%s/rules/reference.config", top);
    struct sk_ruleset_config rc = {
        .address_vars = (const char *const(*)[2])avars,
        .port_vars = (const char *const(*)[2])pvars,
        .classification_file = class_file,
        .reference_file = ref_file,
        .diag = quiet,
    };
    if (!avars || !pvars || sk_ruleset_new(&engine.rs, &rc) < 0)
        fail("cannot make the rule set", "out of memory");
    free(avars);
    free(pvars);
    static const char *const files[] = {"shrike.rules", "smtp-events.rules"};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(path, sizeof(path), "%s/rules/%s", top, files[i]);
        if (sk_ruleset_load_file(engine.rs, path) < 0)
            fail("cannot load", path);
    }
    struct sk_detect_config dc = {.stream_window = 64 * 1024, .pcre_match_limit = 3500};
    if (sk_detect_build(&engine.det, engine.rs, &dc, err, sizeof(err)) < 0)
        fail("cannot build the rules", err);
    return 0;
}

/* The whole of a log file, NUL-terminated; NULL when it is absent. Caller frees. */
static char *slurp(const char *name, size_t *len)
{
    char path[400];
    snprintf(path, sizeof(path), "%s/%s", engine.dir, name);
    struct stat st;
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    if (!f)
        return NULL;
    if (fstat(fileno(f), &st) < 0 || !(buf = malloc((size_t)st.st_size + 1)))
        fail("cannot read", path);
    *len = fread(buf, 1, (size_t)st.st_size, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

/* Each line of a JSON-lines log is one JSON value, and the file ends with a whole line. */
static void check_json_lines(const char *name)
{
    size_t len = 0;
    char *buf = slurp(name, &len);
    if (!buf)
        return;
    if (len && buf[len - 1] != '\n')
        fail("a record is cut", name);
    for (char *line = buf, *nl; line < buf + len; line = nl + 1) {
        nl = memchr(line, '\n', (size_t)(buf + len - line));
        if (!json_valid(line, (size_t)(nl - line)))
            fail("not JSON", line);
    }
    free(buf);
}

/* Each record of a Zeek log has as many tab-separated fields as its #fields line. */
static void check_zeek_log(const char *name)
{
    size_t len = 0, fields = 0;
    char *buf = slurp(name, &len);
    if (!buf)
        return;
    if (len && buf[len - 1] != '\n')
        fail("a record is cut", name);
    for (char *line = buf, *nl; line < buf + len; line = nl + 1) {
        nl = memchr(line, '\n', (size_t)(buf + len - line));
        size_t tabs = 0;
        for (char *p = line; p < nl; p++)
            tabs += *p == '\t';
        if (strncmp(line, "#fields\t", 8) == 0)
            fields = tabs - 1; /* "#fields" itself is not a field */
        else if (line[0] != '#' && tabs != fields)
            fail("a record with the wrong number of fields", line);
    }
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const _Atomic int no_stop = 0;
    struct sk_source *src = NULL;
    struct sk_output_set *outs = NULL;
    struct sk_worker *w = NULL;
    struct sk_counter *counters = NULL;
    struct sk_raw_packet pkt;
    size_t n_counters = 0;
    char path[64], err[1024];
    int damaged = 0, r;
    int fd = sk_fuzz_memfile(data, size, path, sizeof(path));
    if (fd < 0)
        abort();
    if (sk_source_open_offline(&src, path, NULL, err, sizeof(err)) < 0)
        goto out;
    if (sk_outputs_open(&outs, engine.cfg, engine.dir, NULL, err, sizeof(err)) < 0)
        fail("cannot open the outputs", err);
    struct sk_worker_config wc = {
        .cfg = engine.cfg, .detect = engine.det, .outputs = outs, .dump_dir = engine.dump};
    if (sk_worker_new(&w, &wc, err, sizeof(err)) < 0)
        fail("cannot make the worker", err);
    while ((r = sk_source_read(src, &pkt, &no_stop, &damaged)) > 0)
        if (sk_worker_packet(w, &pkt) < 0)
            break;
    sk_worker_finish(w);
    if (sk_worker_counters(w, &counters, &n_counters) == 0)
        sk_output_set_stats(outs, sk_worker_last_ts(w), counters, n_counters);
    free(counters);
    sk_worker_free(w);
    sk_output_set_close(outs);
    check_json_lines("events.json");
    check_json_lines("eve.json");
    check_zeek_log("smtp.log");
    empty_dir(engine.store);
    empty_dir(engine.dump);
out:
    sk_source_free(src);
    close(fd);
    return 0;
}
