/* SPDX-License-Identifier: GPL-2.0-only */
/* The --rule-profile report: per-rule sums over the workers, sorted by time spent, printed
 * as a table and written as rule_perf.json. */
#include "engine/rule_profile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine/error.h"
#include "engine/log.h"
#include "engine/output/json.h"
#include "rules/rule.h"

struct row {
    size_t rule;
    struct sk_rule_prof p;
};

static int cmp_time(const void *a, const void *b)
{
    const struct row *x = a, *y = b;
    if (x->p.ns_total != y->p.ns_total)
        return x->p.ns_total < y->p.ns_total ? 1 : -1;
    return x->rule < y->rule ? -1 : x->rule > y->rule;
}

static uint64_t avg(uint64_t total, uint64_t n)
{
    return n ? total / n : 0;
}

static void print_table(FILE *out, const struct sk_detect *d, const struct row *rows, size_t n,
                        uint64_t all_ns, size_t top)
{
    fprintf(out, "rule profile: %zu rules checked, %.3f ms in rule checks; worst first\n", n,
            (double)all_ns / 1e6);
    fprintf(out, "%4s %10s %5s %10s %10s %10s %10s %6s %10s  %s\n", "#", "sid", "rev", "checks",
            "matches", "fp fails", "avg ns", "%", "max ns", "msg");
    for (size_t i = 0; i < n && i < top; i++) {
        const struct sk_rule *r = sk_detect_rule(d, rows[i].rule);
        const struct sk_rule_prof *p = &rows[i].p;
        char fails[24] = "-";
        if (sk_detect_rule_has_fp(d, rows[i].rule))
            snprintf(fails, sizeof(fails), "%llu", (unsigned long long)(p->checks - p->matches));
        fprintf(out, "%4zu %10u %5u %10llu %10llu %10s %10llu %6.2f %10llu  %.60s\n", i + 1,
                (unsigned)r->sid, (unsigned)r->rev, (unsigned long long)p->checks,
                (unsigned long long)p->matches, fails,
                (unsigned long long)avg(p->ns_total, p->checks),
                all_ns ? 100.0 * (double)p->ns_total / (double)all_ns : 0.0,
                (unsigned long long)p->ns_max, r->msg ? r->msg : "");
    }
}

static void json_rows(struct sk_json *j, const struct sk_detect *d, const struct row *rows,
                      size_t n, uint64_t all_ns)
{
    sk_json_array_open(j, "rules");
    for (size_t i = 0; i < n; i++) {
        const struct sk_rule *r = sk_detect_rule(d, rows[i].rule);
        const struct sk_rule_prof *p = &rows[i].p;
        uint64_t nomatch = p->checks - p->matches;
        sk_json_object_open(j, NULL);
        sk_json_u64(j, "signature_id", r->sid);
        sk_json_u64(j, "gid", r->gid);
        sk_json_u64(j, "rev", r->rev);
        sk_json_str(j, "msg", r->msg);
        sk_json_u64(j, "checks", p->checks);
        sk_json_u64(j, "matches", p->matches);
        sk_json_bool(j, "fast_pattern", sk_detect_rule_has_fp(d, rows[i].rule));
        if (sk_detect_rule_has_fp(d, rows[i].rule))
            sk_json_u64(j, "candidates_failed", nomatch);
        sk_json_u64(j, "ns_total", p->ns_total);
        sk_json_u64(j, "ns_max", p->ns_max);
        sk_json_u64(j, "ns_avg", avg(p->ns_total, p->checks));
        sk_json_u64(j, "ns_avg_match", avg(p->ns_match, p->matches));
        sk_json_u64(j, "ns_avg_nomatch", avg(p->ns_total - p->ns_match, nomatch));
        sk_buf_addf(j->out, ",\"percent\":%.2f",
                    all_ns ? 100.0 * (double)p->ns_total / (double)all_ns : 0.0);
        sk_json_object_close(j);
    }
    sk_json_array_close(j);
}

int sk_rule_profile_write(const struct sk_detect *d, const struct sk_rule_prof *const *prof,
                          size_t n_workers, size_t n_rules, const char *log_dir, uint64_t ts_us,
                          FILE *table, size_t top)
{
    struct row *rows = calloc(n_rules ? n_rules : 1, sizeof(*rows));
    struct sk_buf b;
    int rc = 0;
    if (!rows)
        return SK_E_NOMEM;
    size_t n = 0;
    uint64_t all_ns = 0;
    for (size_t i = 0; i < n_rules; i++) {
        struct row r = {.rule = i};
        for (size_t w = 0; w < n_workers; w++) {
            if (!prof[w])
                continue;
            const struct sk_rule_prof *p = &prof[w][i];
            r.p.checks += p->checks;
            r.p.matches += p->matches;
            r.p.ns_total += p->ns_total;
            r.p.ns_match += p->ns_match;
            if (p->ns_max > r.p.ns_max)
                r.p.ns_max = p->ns_max;
        }
        if (r.p.checks) {
            rows[n++] = r;
            all_ns += r.p.ns_total;
        }
    }
    qsort(rows, n, sizeof(*rows), cmp_time);
    if (table)
        print_table(table, d, rows, n, all_ns, top);

    sk_buf_init(&b);
    struct sk_json j;
    sk_json_init(&j, &b);
    sk_json_object_open(&j, NULL);
    sk_json_time(&j, "timestamp", ts_us);
    sk_json_str(&j, "sort", "time");
    sk_json_u64(&j, "rules_checked", n);
    sk_json_u64(&j, "ns_total", all_ns);
    json_rows(&j, d, rows, n, all_ns);
    sk_json_object_close(&j);
    sk_buf_addch(&b, '\n');
    if (sk_buf_failed(&b)) {
        rc = SK_E_NOMEM;
        goto out_free;
    }
    char path[4096];
    snprintf(path, sizeof(path), "%s/rule_perf.json", log_dir);
    FILE *f = fopen(path, "w");
    bool written = f && fwrite(b.buf, 1, b.len, f) == b.len;
    if (f && fclose(f) != 0)
        written = false;
    if (!written) {
        sk_error("cannot write '%s': %s", path, strerror(errno));
        rc = SK_E_IO;
    }
out_free:
    sk_buf_release(&b);
    free(rows);
    return rc;
}
