/* SPDX-License-Identifier: GPL-2.0-only */
/* Loading rule sets and the generations of a reload (reload.h). */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "engine/error.h"
#include "engine/log.h"
#include "engine/reload.h"

/* The configuration's variable pairs for the rule loader (which adds Suricata's defaults
 * for the ones it lacks). Returns a NULL-terminated array the caller frees (strings are
 * borrowed). */
static const char *(*collect_vars(const struct sk_config *cfg, const char *prefix))[2]
{
    const char *const *names;
    size_t n = sk_config_children(cfg, prefix, &names);
    const char *(*v)[2] = calloc(n + 1, sizeof(*v));
    char key[256];
    if (!v)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        snprintf(key, sizeof(key), "%s.%s", prefix, names[i]);
        v[i][0] = names[i];
        v[i][1] = sk_config_get(cfg, key);
    }
    return v;
}

/* A path from the configuration, relative to the configuration file's folder. */
static char *config_relative(const struct sk_config *cfg, const char *base, const char *path)
{
    char *out;
    if (!path)
        return NULL;
    if (path[0] == '/' || (!base && !sk_config_path(cfg)))
        return strdup(path);
    if (base && base[0] == '/') {
        if (asprintf(&out, "%s/%s", base, path) < 0)
            return NULL;
        return out;
    }
    const char *cp = sk_config_path(cfg);
    const char *slash = cp ? strrchr(cp, '/') : NULL;
    int dlen = slash ? (int)(slash - cp) : 1;
    const char *dir = slash ? cp : ".";
    if (asprintf(&out, "%.*s/%s%s%s", dlen, dir, base ? base : "", base ? "/" : "", path) < 0)
        return NULL;
    return out;
}

/* -T (and -v) say which dialect each rule file was read as. */
static void say_dialect(const struct sk_rules_source *src, const struct sk_ruleset *rs,
                        const char *path)
{
    if (src->say_dialect)
        fprintf(stderr, "%s: read as %s rules\n", path,
                sk_ruleset_last_dialect(rs) == SK_DIALECT_SNORT3 ? "snort3" : "suricata");
}

static int load_files(const struct sk_rules_source *src, struct sk_rules *lr)
{
    const struct sk_config *cfg = src->cfg;
    const char *(*avars)[2] = collect_vars(cfg, "vars.address-groups");
    const char *(*pvars)[2] = collect_vars(cfg, "vars.port-groups");
    char *class_file = config_relative(cfg, NULL, sk_config_str(cfg, "classification-file"));
    char *ref_file = config_relative(cfg, NULL, sk_config_str(cfg, "reference-config-file"));
    char *rule_path = config_relative(cfg, NULL, sk_config_str(cfg, "default-rule-path"));
    int rc = SK_E_NOMEM;

    if (!avars || !pvars)
        goto out;
    const char *dialect = sk_config_str(cfg, "rule-dialect");
    int dia = SK_DIALECT_AUTO;
    if (dialect != NULL && strcmp(dialect, "suricata") == 0)
        dia = SK_DIALECT_SURICATA;
    else if (dialect != NULL && strcmp(dialect, "snort3") == 0)
        dia = SK_DIALECT_SNORT3;
    else if (dialect != NULL && strcmp(dialect, "auto") != 0) {
        sk_error("rule-dialect must be auto, suricata or snort3, not '%s'", dialect);
        rc = SK_E_INVAL;
        goto out;
    }
    struct sk_ruleset_config rc_cfg = {
        .dialect = dia,
        .address_vars = (const char *const(*)[2])avars,
        .port_vars = (const char *const(*)[2])pvars,
        .classification_file = class_file,
        .reference_file = ref_file,
        .lint = src->lint,
        .rule_path = rule_path,
    };
    if ((rc = sk_ruleset_new(&lr->rs, &rc_cfg)) < 0)
        goto out;
    if (!src->exclusive) {
        const char *const *files;
        size_t n = sk_config_list(cfg, "rule-files", &files);
        const char *base = sk_config_str(cfg, "default-rule-path");
        for (size_t i = 0; i < n; i++) {
            char *p = config_relative(cfg, base, files[i]);
            if (!p) {
                rc = SK_E_NOMEM;
                goto out;
            }
            if (sk_ruleset_load_file(lr->rs, p) < 0)
                lr->files_failed++;
            else
                say_dialect(src, lr->rs, p);
            free(p);
        }
    }
    for (size_t i = 0; i < src->n_rule_files; i++) {
        if (sk_ruleset_load_file(lr->rs, src->rule_files[i]) < 0)
            lr->files_failed++;
        else
            say_dialect(src, lr->rs, src->rule_files[i]);
    }
    rc = 0;
out:
    /* The rule set copies what it keeps of the variables and file names. */
    free(avars);
    free(pvars);
    free(class_file);
    free(ref_file);
    free(rule_path);
    return rc;
}

int sk_rules_load(struct sk_rules *out, const struct sk_rules_source *src, char *errbuf,
                  size_t errlen)
{
    const struct sk_config *cfg = src->cfg;
    struct sk_detect_config dcfg = {0};
    uint64_t win, lim;
    int rc;

    memset(out, 0, sizeof(*out));
    if ((rc = load_files(src, out)) < 0) {
        snprintf(errbuf, errlen, "%s", sk_strerror(rc));
        return rc;
    }
    if (sk_ruleset_count(out->rs) == 0)
        return 0;
    if ((rc = sk_config_size(cfg, "detect.stream-window", &win, errbuf, errlen)) < 0 ||
        (rc = sk_config_u64(cfg, "detect.pcre-match-limit", &lim, errbuf, errlen)) < 0)
        return rc;
    dcfg.stream_window = (size_t)win;
    dcfg.pcre_match_limit = (uint32_t)lim;
    dcfg.cache_dir = sk_config_str(cfg, "detect.cache-dir");
    dcfg.reference = src->reference;
    /* The cache folder is made on first use; without it the rules still build, uncached. */
    if (dcfg.cache_dir && *dcfg.cache_dir && mkdir(dcfg.cache_dir, 0755) < 0 && errno != EEXIST) {
        sk_error("cannot create '%s': %s", dcfg.cache_dir, strerror(errno));
        dcfg.cache_dir = NULL;
    }
    if (dcfg.cache_dir && !*dcfg.cache_dir)
        dcfg.cache_dir = NULL;
    char why[512];
    if ((rc = sk_detect_build(&out->det, out->rs, &dcfg, why, sizeof(why))) < 0)
        snprintf(errbuf, errlen, "cannot build the rule set: %s", why);
    return rc;
}

void sk_rules_release(struct sk_rules *r)
{
    sk_detect_free(r->det);
    sk_ruleset_free(r->rs);
    memset(r, 0, sizeof(*r));
}

/* A generation: the rules, and the map from the previous one's. */
struct gen {
    struct sk_rules_gen g; /* first: what the workers see */
    struct sk_rules rules;
    struct sk_detect_remap *remap;
    struct gen *older, *newer;
};

struct sk_reloader {
    const struct sk_rules_source *src;
    struct gen *oldest, *newest;
    struct sk_worker **ws;
    size_t n_ws;
    _Atomic unsigned long done, failed;
};

int sk_reloader_new(struct sk_reloader **out, const struct sk_rules_source *src,
                    struct sk_rules *first)
{
    struct sk_reloader *r = calloc(1, sizeof(*r));
    struct gen *g = calloc(1, sizeof(*g));
    if (!r || !g) {
        free(r);
        free(g);
        return SK_E_NOMEM;
    }
    g->rules = *first;
    memset(first, 0, sizeof(*first));
    g->g.detect = g->rules.det;
    r->src = src;
    r->oldest = r->newest = g;
    *out = r;
    return 0;
}

struct sk_rules_gen *sk_reloader_first(struct sk_reloader *r)
{
    return &r->newest->g;
}

void sk_reloader_set_workers(struct sk_reloader *r, struct sk_worker **ws, size_t n)
{
    r->ws = ws;
    r->n_ws = n;
}

int sk_reloader_reload(struct sk_reloader *r, char *errbuf, size_t errlen)
{
    struct gen *g = calloc(1, sizeof(*g));
    int rc = SK_E_NOMEM;
    if (!g) {
        snprintf(errbuf, errlen, "out of memory");
        goto out_failed;
    }
    sk_info("reloading the rules");
    if ((rc = sk_rules_load(&g->rules, r->src, errbuf, errlen)) < 0)
        goto out_free;
    const struct sk_ruleset_stats *st = sk_ruleset_stats(g->rules.rs);
    rc = SK_E_INVAL;
    if (g->rules.files_failed) {
        snprintf(errbuf, errlen, "%zu rule file(s) could not be read", g->rules.files_failed);
        goto out_free;
    }
    if (!g->rules.det) {
        snprintf(errbuf, errlen, "no rule loaded (%zu failed)", st->failed);
        goto out_free;
    }
    const struct sk_detect *old = r->newest->rules.det;
    if (old && (rc = sk_detect_remap_new(&g->remap, old, g->rules.det)) < 0) {
        snprintf(errbuf, errlen, "out of memory");
        goto out_free;
    }
    g->g.detect = g->rules.det;
    g->g.remap = g->remap;
    g->g.id = r->newest->g.id + 1;
    g->older = r->newest;
    r->newest->newer = g;
    size_t kept = g->remap ? sk_detect_remap_kept(g->remap) : 0;
    snprintf(errbuf, errlen, "%zu rules loaded, %zu failed, %zu kept from the previous set",
             st->loaded, st->failed, kept);
    /* the workers see the new generation from here on; everything it holds is written */
    struct gen *prev = r->newest;
    r->newest = g;
    atomic_store_explicit(&prev->g.next, &g->g, memory_order_release);
    atomic_fetch_add(&r->done, 1);
    return 0;

out_free:
    sk_rules_release(&g->rules);
    free(g);
out_failed:
    atomic_fetch_add(&r->failed, 1);
    return rc;
}

static void gen_free(struct gen *g)
{
    sk_detect_remap_free(g->remap);
    sk_rules_release(&g->rules);
    free(g);
}

size_t sk_reloader_collect(struct sk_reloader *r)
{
    size_t behind = 0;
    unsigned long low = r->newest->g.id;
    for (size_t i = 0; i < r->n_ws; i++) {
        unsigned long at = sk_worker_rules_gen(r->ws[i]);
        behind += at != r->newest->g.id;
        if (at < low)
            low = at;
    }
    /* a generation's remap is read by workers moving past its predecessor: keep both until
     * every worker is at or past it */
    while (r->oldest != r->newest && r->oldest->g.id < low) {
        struct gen *g = r->oldest;
        r->oldest = g->newer;
        r->oldest->older = NULL;
        gen_free(g);
    }
    return behind;
}

const struct sk_rules *sk_reloader_current(const struct sk_reloader *r)
{
    return &r->newest->rules;
}

void sk_reloader_counts(const struct sk_reloader *r, unsigned long *done, unsigned long *failed)
{
    *done = atomic_load(&r->done);
    *failed = atomic_load(&r->failed);
}

void sk_reloader_free(struct sk_reloader *r)
{
    if (!r)
        return;
    for (struct gen *g = r->oldest, *n; g; g = n) {
        n = g->newer;
        gen_free(g);
    }
    free(r);
}
