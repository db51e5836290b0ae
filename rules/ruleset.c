/* SPDX-License-Identifier: GPL-2.0-only */
/* The rule set: reads rule files into logical rules (comments, blank lines, trailing
 * backslash continuations with a map back to file positions), hands each to the parser,
 * rejects duplicate gid:sid, interns flowbit names, and keeps the load statistics and
 * diagnostics (the default printer shows each reason five times, then only counts it). */
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/error.h"
#include "rules/address.h"
#include "rules/classification.h"
#include "rules/hashlist.h"
#include "rules/parse.h"
#include "rules/ruleset.h"

#define SK_DIAG_PRINT_PER_REASON 5

struct reason_count {
    char *reason;
    size_t count;
};

/* A hash list file read for filemd5/filesha1/filesha256, once per path and digest; a list
 * that failed keeps its message so the next rule naming it fails the same way unread. */
struct hl_entry {
    char *path;
    enum sk_hash_kind kind;
    struct sk_hashlist *list; /* NULL: failed, msg says why */
    char *msg;
};

struct sk_ruleset {
    struct sk_ruleset_config cfg;
    struct sk_classification cls;

    size_t n_rules, cap_rules;
    struct sk_rule **rules; /* load order; each rule is its own allocation (stable) */

    size_t sid_cap, sid_n; /* open-addressing set of (gid << 32 | sid); 0 is empty */
    uint64_t *sids;

    size_t n_flowbits, cap_flowbits;
    char **flowbits;

    struct sk_ruleset_stats stats; /* reasons[] mirrors failures[] (strings borrowed) */
    size_t n_failures;
    struct reason_count *failures;
    enum sk_rule_dialect last_dialect;
    size_t n_seen; /* every reason printed so far, failures and warnings */
    struct reason_count *seen;
    size_t n_hl;
    struct hl_entry *hl;
};

/* Suricata's suricata.yaml defaults, used when the configuration does not define a
 * variable. */
static const char *const default_address_vars[][2] = {
    {"HOME_NET", "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]"},
    {"EXTERNAL_NET", "!$HOME_NET"},
    {"HTTP_SERVERS", "$HOME_NET"},
    {"SMTP_SERVERS", "$HOME_NET"},
    {"SQL_SERVERS", "$HOME_NET"},
    {"DNS_SERVERS", "$HOME_NET"},
    {"TELNET_SERVERS", "$HOME_NET"},
    {"AIM_SERVERS", "$EXTERNAL_NET"},
    {"DC_SERVERS", "$HOME_NET"},
    {"DNP3_SERVER", "$HOME_NET"},
    {"DNP3_CLIENT", "$HOME_NET"},
    {"MODBUS_CLIENT", "$HOME_NET"},
    {"MODBUS_SERVER", "$HOME_NET"},
    {"ENIP_CLIENT", "$HOME_NET"},
    {"ENIP_SERVER", "$HOME_NET"},
    {NULL, NULL},
};

static const char *const default_port_vars[][2] = {
    {"SMTP_PORTS", "[25,465,587,2525]"},
    {"HTTP_PORTS", "80"},
    {"SHELLCODE_PORTS", "!80"},
    {"ORACLE_PORTS", "1521"},
    {"SSH_PORTS", "22"},
    {"DNP3_PORTS", "20000"},
    {"MODBUS_PORTS", "502"},
    {"FILE_DATA_PORTS", "[$HTTP_PORTS,110,143]"},
    {"FTP_PORTS", "21"},
    {"GENEVE_PORTS", "6081"},
    {"VXLAN_PORTS", "4789"},
    {"TEREDO_PORTS", "3544"},
    {NULL, NULL},
};

/* ---- diagnostics ---- */

static struct reason_count *bump(struct reason_count **v, size_t *n, const char *reason)
{
    for (size_t i = 0; i < *n; i++) {
        if (strcmp((*v)[i].reason, reason) == 0) {
            (*v)[i].count++;
            /* keep most frequent first */
            while (i > 0 && (*v)[i - 1].count < (*v)[i].count) {
                struct reason_count t = (*v)[i - 1];
                (*v)[i - 1] = (*v)[i];
                (*v)[i] = t;
                i--;
            }
            return &(*v)[i];
        }
    }
    struct reason_count *nv = realloc(*v, (*n + 1) * sizeof(*nv));
    if (!nv)
        return NULL;
    *v = nv;
    char *r = strdup(reason);
    if (!r)
        return NULL;
    (*v)[*n] = (struct reason_count){.reason = r, .count = 1};
    return &(*v)[(*n)++];
}

static void emit(struct sk_ruleset *rs, const struct sk_rule_diag *d)
{
    if (rs->cfg.diag) {
        rs->cfg.diag(rs->cfg.diag_ctx, d);
        return;
    }
    struct reason_count *seen = bump(&rs->seen, &rs->n_seen, d->reason ? d->reason : "");
    if (seen && seen->count > SK_DIAG_PRINT_PER_REASON)
        return;
    char sid[32] = "";
    if (d->sid)
        snprintf(sid, sizeof(sid), " sid %u:", (unsigned)d->sid);
    fprintf(stderr, "%s:%u:%u:%s %s%s\n", d->file ? d->file : "-", d->line, d->col, sid,
            d->warning ? "warning: " : "", d->msg);
}

void sk_ruleset__report(struct sk_ruleset *rs, const struct sk_rule_diag *d)
{
    if (d->warning) {
        rs->stats.warnings++;
    } else {
        rs->stats.failed++;
        bump(&rs->failures, &rs->n_failures, d->reason ? d->reason : d->msg);
        void *nv = realloc(rs->stats.reasons, rs->n_failures * sizeof(*rs->stats.reasons));
        if (nv) {
            rs->stats.reasons = nv;
            for (size_t i = 0; i < rs->n_failures; i++) {
                rs->stats.reasons[i].reason = rs->failures[i].reason;
                rs->stats.reasons[i].count = rs->failures[i].count;
            }
            rs->stats.n_reasons = rs->n_failures;
        }
    }
    emit(rs, d);
}

static void class_report(void *ctx, const char *file, unsigned line, const char *msg)
{
    struct sk_rule_diag d = {.file = file, .line = line, .reason = msg, .msg = msg};
    emit(ctx, &d);
}

/* ---- variables, flowbits, classification ---- */

static const char *find_var(const char *const (*vars)[2], const char *name)
{
    for (size_t i = 0; vars && vars[i][0]; i++)
        if (strcmp(vars[i][0], name) == 0)
            return vars[i][1];
    return NULL;
}

const char *sk_ruleset__var(const struct sk_ruleset *rs, bool port, const char *name)
{
    const char *v = find_var(port ? rs->cfg.port_vars : rs->cfg.address_vars, name);
    if (!v)
        v = find_var(port ? default_port_vars : default_address_vars, name);
    return v;
}

int sk_ruleset__flowbit_id(struct sk_ruleset *rs, const char *name, size_t len, uint32_t *id)
{
    for (size_t i = 0; i < rs->n_flowbits; i++) {
        if (strlen(rs->flowbits[i]) == len && memcmp(rs->flowbits[i], name, len) == 0) {
            *id = (uint32_t)i;
            return 0;
        }
    }
    if (rs->n_flowbits == rs->cap_flowbits) {
        size_t ncap = rs->cap_flowbits ? rs->cap_flowbits * 2 : 64;
        char **nv = realloc(rs->flowbits, ncap * sizeof(*nv));
        if (!nv)
            return SK_E_NOMEM;
        rs->flowbits = nv;
        rs->cap_flowbits = ncap;
    }
    char *s = strndup(name, len);
    if (!s)
        return SK_E_NOMEM;
    rs->flowbits[rs->n_flowbits] = s;
    *id = (uint32_t)rs->n_flowbits++;
    return 0;
}

int sk_ruleset__classtype(const struct sk_ruleset *rs, const char *name, const char **desc,
                          int *priority, bool *known)
{
    *known = rs->cls.has_classes;
    const struct sk_classtype *c = sk_classification_class(&rs->cls, name);
    if (!c)
        return SK_E_NOTFOUND;
    *desc = c->desc;
    *priority = c->priority;
    return 0;
}

const char *sk_ruleset__reference_prefix(const struct sk_ruleset *rs, const char *system,
                                         bool *known)
{
    *known = rs->cls.has_refs;
    const struct sk_refsystem *r = sk_classification_ref(&rs->cls, system);
    return r ? r->prefix : NULL;
}

/* ---- hash lists ---- */

/* Where Suricata looks for a hash list (DetectLoadCompleteSigPath, then the rule file's
 * folder): an absolute name as it is; else under default-rule-path (the working directory
 * without one); else beside the rule file. *out is the first that exists, or NULL with
 * the places tried in msg. */
static int hl_resolve(const struct sk_ruleset *rs, const char *rule_file, const char *name,
                      char **out, char *msg, size_t msglen)
{
    char *cand[2] = {NULL, NULL};
    int rc = SK_E_NOMEM;
    *out = NULL;
    if (name[0] == '/')
        cand[0] = strdup(name);
    else if (rs->cfg.rule_path != NULL && rs->cfg.rule_path[0] != '\0')
        cand[0] = sk_ruleset__path_join(rs->cfg.rule_path, strlen(rs->cfg.rule_path), name);
    else
        cand[0] = strdup(name);
    if (cand[0] == NULL)
        return SK_E_NOMEM;
    const char *slash = rule_file != NULL ? strrchr(rule_file, '/') : NULL;
    if (name[0] != '/' &&
        (cand[1] = slash ? sk_ruleset__path_join(rule_file, (size_t)(slash - rule_file), name)
                         : strdup(name)) == NULL)
        goto out_free;
    for (int i = 0; i < 2; i++) {
        if (cand[i] != NULL && access(cand[i], F_OK) == 0) {
            *out = cand[i];
            cand[i] = NULL;
            rc = 0;
            goto out_free;
        }
    }
    int e = errno;
    if (cand[1] != NULL && strcmp(cand[0], cand[1]) != 0)
        snprintf(msg, msglen,
                 "cannot open hash list '%.100s': %s (looked for '%.200s' and '%.200s')", name,
                 strerror(e), cand[0], cand[1]);
    else
        snprintf(msg, msglen, "cannot open hash list '%.100s': %s", name, strerror(e));
    rc = SK_E_IO;
out_free:
    free(cand[0]);
    free(cand[1]);
    return rc;
}

char *sk_ruleset__path_join(const char *dir, size_t dir_len, const char *name)
{
    size_t n = dir_len + 1 + strlen(name) + 1;
    char *p = malloc(n);
    if (p != NULL)
        snprintf(p, n, "%.*s/%s", (int)dir_len, dir, name);
    return p;
}

int sk_ruleset__hashlist(struct sk_ruleset *rs, const char *rule_file, const char *name,
                         enum sk_hash_kind kind, const struct sk_hashlist **out, char *msg,
                         size_t msglen)
{
    char *path = NULL;
    int rc = hl_resolve(rs, rule_file, name, &path, msg, msglen);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < rs->n_hl; i++) {
        const struct hl_entry *e = &rs->hl[i];
        if (e->kind != kind || strcmp(e->path, path) != 0)
            continue;
        free(path);
        if (e->list == NULL) {
            snprintf(msg, msglen, "%s", e->msg);
            return SK_E_PARSE;
        }
        *out = e->list;
        return 0;
    }
    struct hl_entry *nv = realloc(rs->hl, (rs->n_hl + 1) * sizeof(*nv));
    if (nv == NULL) {
        free(path);
        return SK_E_NOMEM;
    }
    rs->hl = nv;
    struct hl_entry *e = &rs->hl[rs->n_hl];
    *e = (struct hl_entry){.path = path, .kind = kind};
    char why[256];
    unsigned line = 0;
    rc = sk_hashlist_load(&e->list, kind, path, &line, why, sizeof(why));
    if (rc == SK_E_NOMEM) {
        free(path);
        return rc;
    }
    rs->n_hl++;
    if (rc == 0) {
        *out = e->list;
        return 0;
    }
    if (line > 0)
        snprintf(msg, msglen, "hash list '%.200s' line %u: %s", path, line, why);
    else
        snprintf(msg, msglen, "cannot read hash list '%.200s': %s", path, why);
    e->msg = strdup(msg);
    return rc == SK_E_IO ? SK_E_IO : SK_E_PARSE;
}

/* ---- lifecycle ---- */

int sk_ruleset_new(struct sk_ruleset **out, const struct sk_ruleset_config *cfg)
{
    struct sk_ruleset *rs = calloc(1, sizeof(*rs));
    if (!rs)
        return SK_E_NOMEM;
    if (cfg)
        rs->cfg = *cfg;
    const char *files[2] = {rs->cfg.classification_file, rs->cfg.reference_file};
    for (int i = 0; i < 2; i++) {
        if (!files[i])
            continue;
        int rc = sk_classification_load(&rs->cls, files[i], class_report, rs);
        if (rc) {
            char msg[512];
            snprintf(msg, sizeof(msg), "cannot read '%s': %s", files[i],
                     rc == SK_E_IO ? strerror(errno) : sk_strerror(rc));
            struct sk_rule_diag d = {.file = files[i], .reason = "cannot read file", .msg = msg};
            emit(rs, &d);
            sk_ruleset_free(rs);
            return rc;
        }
    }
    *out = rs;
    return 0;
}

void sk_ruleset_free(struct sk_ruleset *rs)
{
    if (!rs)
        return;
    for (size_t i = 0; i < rs->n_rules; i++)
        sk_rule__free(rs->rules[i]);
    free(rs->rules);
    free(rs->sids);
    for (size_t i = 0; i < rs->n_flowbits; i++)
        free(rs->flowbits[i]);
    free(rs->flowbits);
    for (size_t i = 0; i < rs->n_failures; i++)
        free(rs->failures[i].reason);
    free(rs->failures);
    free(rs->stats.reasons);
    for (size_t i = 0; i < rs->n_seen; i++)
        free(rs->seen[i].reason);
    free(rs->seen);
    for (size_t i = 0; i < rs->n_hl; i++) {
        free(rs->hl[i].path);
        sk_hashlist_free(rs->hl[i].list);
        free(rs->hl[i].msg);
    }
    free(rs->hl);
    sk_classification_release(&rs->cls);
    free(rs);
}

/* ---- duplicates ---- */

static uint64_t mix(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    return k;
}

/* Adds key; returns 1 when it was already there, 0 when added, SK_E_NOMEM. */
static int sid_add(struct sk_ruleset *rs, uint64_t key)
{
    if ((rs->sid_n + 1) * 2 > rs->sid_cap) {
        size_t ncap = rs->sid_cap ? rs->sid_cap * 2 : 1024;
        uint64_t *nv = calloc(ncap, sizeof(*nv));
        if (!nv)
            return SK_E_NOMEM;
        for (size_t i = 0; i < rs->sid_cap; i++) {
            if (!rs->sids[i])
                continue;
            size_t j = mix(rs->sids[i]) & (ncap - 1);
            while (nv[j])
                j = (j + 1) & (ncap - 1);
            nv[j] = rs->sids[i];
        }
        free(rs->sids);
        rs->sids = nv;
        rs->sid_cap = ncap;
    }
    size_t j = mix(key) & (rs->sid_cap - 1);
    while (rs->sids[j]) {
        if (rs->sids[j] == key)
            return 1;
        j = (j + 1) & (rs->sid_cap - 1);
    }
    rs->sids[j] = key;
    rs->sid_n++;
    return 0;
}

/* ---- loading ---- */

static int add_rule(struct sk_ruleset *rs, struct sk_rule_ctx *ctx, struct sk_rule *r)
{
    int dup = sid_add(rs, ((uint64_t)r->gid << 32) | r->sid);
    if (dup < 0) {
        sk_rule__free(r);
        return dup;
    }
    if (dup) {
        char msg[128];
        snprintf(msg, sizeof(msg), "duplicate signature %u:%u, rule skipped", (unsigned)r->gid,
                 (unsigned)r->sid);
        unsigned line, col;
        sk_rule__pos(ctx, 0, &line, &col);
        struct sk_rule_diag d = {.file = ctx->file,
                                 .line = line,
                                 .col = col,
                                 .sid = r->sid,
                                 .reason = "duplicate signature id",
                                 .msg = msg};
        rs->stats.duplicates++;
        sk_ruleset__report(rs, &d);
        sk_rule__free(r);
        return 0;
    }
    if (rs->n_rules == rs->cap_rules) {
        size_t ncap = rs->cap_rules ? rs->cap_rules * 2 : 256;
        struct sk_rule **nv = realloc(rs->rules, ncap * sizeof(*nv));
        if (!nv) {
            sk_rule__free(r);
            return SK_E_NOMEM;
        }
        rs->rules = nv;
        rs->cap_rules = ncap;
    }
    rs->rules[rs->n_rules++] = r;
    rs->stats.loaded++;
    if (rs->cfg.lint)
        sk_rule__lint(rs, ctx, r);
    return 0;
}

static int load_one(struct sk_ruleset *rs, const char *name, const char *text,
                    const struct sk_rule_seg *segs, size_t n_segs)
{
    struct sk_rule_ctx ctx = {.rs = rs,
                              .file = name,
                              .text = text,
                              .segs = segs,
                              .n_segs = n_segs,
                              .snort3 = rs->last_dialect == SK_DIALECT_SNORT3};
    struct sk_rule *r = NULL;
    int rc = sk_rule__parse(&ctx, &r);
    if (rc == SK_E_NOMEM)
        return rc;
    if (rc || ctx.failed) {
        unsigned line, col;
        sk_rule__pos(&ctx, ctx.err_off, &line, &col);
        struct sk_rule_diag d = {.file = name,
                                 .line = line,
                                 .col = col,
                                 .sid = ctx.sid,
                                 .reason = ctx.reason,
                                 .msg = ctx.msg};
        sk_ruleset__report(rs, &d);
        return 0;
    }
    return add_rule(rs, &ctx, r);
}

int sk_ruleset_load_string(struct sk_ruleset *rs, const char *name, const char *text)
{
    size_t tlen = strlen(text);
    char *joined = malloc(tlen + 1);
    size_t cap_segs = 16, n_segs = 0, jlen = 0;
    struct sk_rule_seg *segs = malloc(cap_segs * sizeof(*segs));
    int rc = 0;
    if (!joined || !segs) {
        rc = SK_E_NOMEM;
        goto out_free;
    }
    rs->last_dialect = rs->cfg.dialect != SK_DIALECT_AUTO ? (enum sk_rule_dialect)rs->cfg.dialect
                       : sk_snort3__detect(text)          ? SK_DIALECT_SNORT3
                                                          : SK_DIALECT_SURICATA;
    bool cont = false;
    unsigned lineno = 0;
    const char *p = text, *end = text + tlen;
    if (tlen >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
        p += 3; /* a UTF-8 byte order mark */
    const char *base = p;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        lineno++;
        const char *s = p;
        p = nl ? nl + 1 : end;
        while (le > s && (le[-1] == '\r' || le[-1] == ' ' || le[-1] == '\t'))
            le--;
        if (!cont) {
            while (s < le && (*s == ' ' || *s == '\t'))
                s++;
            if (s == le || *s == '#')
                continue;
            jlen = 0;
            n_segs = 0;
        }
        bool more = le > s && le[-1] == '\\';
        if (more)
            le--;
        if (n_segs == cap_segs) {
            cap_segs *= 2;
            struct sk_rule_seg *ns = realloc(segs, cap_segs * sizeof(*ns));
            if (!ns) {
                rc = SK_E_NOMEM;
                goto out_free;
            }
            segs = ns;
        }
        /* column of s within its physical line */
        const char *ls = s;
        while (ls > base && ls[-1] != '\n')
            ls--;
        segs[n_segs++] =
            (struct sk_rule_seg){.off = jlen, .line = lineno, .col = (unsigned)(s - ls) + 1};
        memcpy(joined + jlen, s, (size_t)(le - s));
        jlen += (size_t)(le - s);
        joined[jlen] = '\0';
        cont = more;
        if (!cont) {
            rc = load_one(rs, name, joined, segs, n_segs);
            if (rc)
                goto out_free;
        }
    }
    if (cont && jlen)
        rc = load_one(rs, name, joined, segs, n_segs);
out_free:
    free(segs);
    free(joined);
    return rc;
}

/* The length of the valid UTF-8 sequence at p (end excluded), or 0. */
static size_t utf8_len(const unsigned char *p, const unsigned char *end)
{
    size_t n = p[0] < 0x80             ? 1
               : (p[0] & 0xe0) == 0xc0 ? 2
               : (p[0] & 0xf0) == 0xe0 ? 3
               : (p[0] & 0xf8) == 0xf0 ? 4
                                       : 0;
    if (n == 0 || (size_t)(end - p) < n || (n == 2 && p[0] < 0xc2))
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    return n;
}

/* A line of a rule file (not a comment) holding a NUL, a control byte or invalid UTF-8
 * fails with a diagnostic at its byte and is blanked, so the other rules still load (a
 * rule continued onto it fails on its own). */
static void drop_bad_lines(struct sk_ruleset *rs, const char *path, char *buf, size_t len)
{
    unsigned line = 1;
    for (size_t start = 0; start < len; line++) {
        char *nl = memchr(buf + start, '\n', len - start);
        size_t end = nl ? (size_t)(nl - buf) : len;
        size_t i = start;
        while (i < end && (buf[i] == ' ' || buf[i] == '\t'))
            i++;
        bool comment = i < end && buf[i] == '#';
        for (const unsigned char *p = (unsigned char *)buf + start, *e = (unsigned char *)buf + end;
             !comment && p < e;) {
            size_t n = utf8_len(p, e);
            bool ctl = n == 1 && ((*p < 0x20 && *p != '\t' && *p != '\r') || *p == 0x7f);
            if (n && !ctl) {
                p += n;
                continue;
            }
            char msg[128];
            snprintf(msg, sizeof(msg), "%s byte 0x%02x in a rule",
                     *p == 0 ? "NUL"
                     : ctl   ? "control"
                             : "invalid UTF-8",
                     *p);
            struct sk_rule_diag d = {.file = path,
                                     .line = line,
                                     .col = (unsigned)((char *)p - (buf + start)) + 1,
                                     .reason = "invalid byte",
                                     .msg = msg};
            sk_ruleset__report(rs, &d);
            memset(buf + start, ' ', end - start);
            buf[start] = '#';
            break;
        }
        start = end + 1;
    }
}

int sk_ruleset_load_file(struct sk_ruleset *rs, const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int rc = 0;
    if (!f) {
        rc = SK_E_IO;
        goto out_report;
    }
    for (;;) {
        if (len + 65536 + 1 > cap) {
            size_t ncap = cap ? cap * 2 : 1 << 20;
            char *nb = realloc(buf, ncap);
            if (!nb) {
                rc = SK_E_NOMEM;
                goto out_close;
            }
            buf = nb;
            cap = ncap;
        }
        size_t n = fread(buf + len, 1, 65536, f);
        len += n;
        if (n == 0)
            break;
    }
    if (ferror(f)) {
        rc = SK_E_IO;
        goto out_close;
    }
    buf[len] = '\0';
    drop_bad_lines(rs, path, buf, len);
    rc = sk_ruleset_load_string(rs, path, buf);
out_close:
    fclose(f);
out_report:
    if (rc == SK_E_IO) {
        char msg[512];
        snprintf(msg, sizeof(msg), "cannot read rule file '%s': %s", path, strerror(errno));
        struct sk_rule_diag d = {.file = path, .reason = "cannot read file", .msg = msg};
        emit(rs, &d);
    }
    free(buf);
    return rc;
}

/* ---- accessors ---- */

size_t sk_ruleset_count(const struct sk_ruleset *rs)
{
    return rs->n_rules;
}

const struct sk_rule *sk_ruleset_rule(const struct sk_ruleset *rs, size_t i)
{
    return i < rs->n_rules ? rs->rules[i] : NULL;
}

size_t sk_ruleset_flowbit_count(const struct sk_ruleset *rs)
{
    return rs->n_flowbits;
}

enum sk_rule_dialect sk_ruleset_last_dialect(const struct sk_ruleset *rs)
{
    return rs->last_dialect;
}

const char *sk_ruleset_flowbit_name(const struct sk_ruleset *rs, size_t id)
{
    return id < rs->n_flowbits ? rs->flowbits[id] : NULL;
}

const struct sk_ruleset_stats *sk_ruleset_stats(const struct sk_ruleset *rs)
{
    return &rs->stats;
}

void sk_ruleset_print_summary(const struct sk_ruleset *rs, FILE *out)
{
    const struct sk_ruleset_stats *s = &rs->stats;
    fprintf(out, "rules: %zu loaded, %zu failed, %zu warnings, %zu duplicates\n", s->loaded,
            s->failed, s->warnings, s->duplicates);
    for (size_t i = 0; i < s->n_reasons; i++)
        fprintf(out, "  %6zu  %s\n", s->reasons[i].count, s->reasons[i].reason);
}
