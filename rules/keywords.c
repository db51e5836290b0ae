/* SPDX-License-Identifier: GPL-2.0-only */
/* The keyword table: every rule option Shrike understands, with its setup, value rule
 * and one line of documentation (printed by `shrike --list-keywords`). Sticky buffers
 * come from the parser's field table (parsers/fields.h) and are not repeated here. This
 * file also holds the setups of the meta, flow and state keywords; payload keywords are
 * in content.c. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/error.h"
#include "parsers/anomaly.h"
#include "parsers/fields.h"
#include "parsers/parser.h"
#include "rules/classification.h"
#include "rules/hashlist.h"
#include "rules/parse.h"

enum kw_value {
    KW_NOVALUE = 0, /* `nocase;` */
    KW_VALUE,       /* `sid:1;` */
    KW_OPTVALUE,    /* `fast_pattern;` or `fast_pattern:only;` */
};

struct kw_def {
    const char *name;
    sk_kw_setup_fn setup;
    enum kw_value value;
    int data;
    const char *syntax;
    const char *doc;
};

/* ---- helpers ---- */

static int bad_value(struct sk_rule_ctx *ctx, const struct sk_kw_arg *a)
{
    char reason[96];
    snprintf(reason, sizeof(reason), "invalid value for '%s'", a->name);
    return sk_rule__fail(ctx, a->value_off, reason, "invalid value '%.60s' for '%s'", a->value,
                         a->name);
}

static int parse_u32(const char *s, uint32_t *out)
{
    if (!isdigit((unsigned char)*s))
        return -1;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    while (isspace((unsigned char)*end))
        end++;
    if (*end || v > UINT32_MAX)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

/* Copies a possibly quoted string value, undoing \" \; \\ \: escapes. */
static char *unquote(const char *v)
{
    size_t n = strlen(v);
    if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
        v++;
        n -= 2;
    }
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] == '\\' && i + 1 < n &&
            (v[i + 1] == '"' || v[i + 1] == ';' || v[i + 1] == '\\' || v[i + 1] == ':'))
            i++;
        out[j++] = v[i];
    }
    out[j] = '\0';
    return out;
}

static int set_string(char **dst, const char *v)
{
    free(*dst);
    *dst = unquote(v);
    return *dst ? 0 : SK_E_NOMEM;
}

/* ---- meta ---- */

static int kw_msg(struct sk_rule_ctx *ctx, const struct sk_kw_arg *a)
{
    return set_string(&ctx->rule->msg, a->value);
}

static int kw_u32(struct sk_rule_ctx *ctx, const struct sk_kw_arg *a)
{
    uint32_t v;
    if (parse_u32(a->value, &v))
        return bad_value(ctx, a);
    struct sk_rule *r = ctx->rule;
    switch (a->data) {
    case 0:
        if (v == 0)
            return bad_value(ctx, a);
        if (r->sid)
            return sk_rule__fail(ctx, a->name_off, "keyword given twice", "'sid' given twice");
        r->sid = v;
        ctx->sid = v;
        break;
    case 1:
        r->rev = v;
        break;
    case 2:
        r->gid = v;
        break;
    default:
        if (v < 1 || v > 255)
            return bad_value(ctx, a);
        r->priority = (int)v;
        break;
    }
    return 0;
}

static int kw_classtype(struct sk_rule_ctx *ctx, const struct sk_kw_arg *a)
{
    struct sk_rule *r = ctx->rule;
    const char *desc = NULL;
    int prio = 0;
    bool known;
    if (sk_ruleset__classtype(ctx->rs, a->value, &desc, &prio, &known) != 0) {
        if (known)
            return sk_rule__fail(ctx, a->value_off, "unknown classtype",
                                 "unknown classtype '%.60s'", a->value);
    }
    free(r->classtype);
    r->classtype = strdup(a->value);
    if (!r->classtype)
        return SK_E_NOMEM;
    if (desc) {
        free(r->class_desc);
        r->class_desc = strdup(desc);
        if (!r->class_desc)
            return SK_E_NOMEM;
        if (r->priority == 0)
            r->priority = prio;
    }
    return 0;
}

static int kw_reference(struct sk_rule_ctx *ctx, const struct sk_kw_arg *a)
{
    struct sk_rule *r = ctx->rule;
    const char *comma = strchr(a->value, ',');
    if (!comma || comma == a->value || !comma[1])
        return sk_rule__fail(ctx, a->value_off, "invalid value for 'reference'",
                             "reference needs 'system,id', got '%.60s'", a->value);
    struct sk_reference ref = {0};
    char *sys = strndup(a->value, (size_t)(comma - a->value));
    char *id = strdup(comma + 1);
    int rc = SK_E_NOMEM;
    if (!sys || !id)
        goto out_free;
    ref.system = strdup(sk_classification_trim(sys));
    ref.id = unquote(sk_classification_trim(id));
    if (!ref.system || !ref.id)
        goto out_free;
    bool known;
    const char *prefix = sk_ruleset__reference_prefix(ctx->rs, ref.system, &known);
    if (prefix) {
        size_t n = strlen(prefix) + strlen(ref.id) + 1;
        ref.url = malloc(n);
        if (!ref.url)
            goto out_free;
        snprintf(ref.url, n, "%s%s", prefix, ref.id);
    } else if (known) {
        sk_rule__warn(ctx, a->value_off, "unknown reference system",
                      "unknown reference system '%.40s'", ref.system);
    }
    struct sk_reference *v = realloc(r->references, (r->n_references + 1) * sizeof(*v));
    if (!v)
        goto out_free;
    r->references = v;
    v[r->n_references++] = ref;
    free(sys);
    free(id);
    return 0;
out_free:
    free(ref.system);
    free(ref.id);
    free(ref.url);
    free(sys);
    free(id);
    return rc;
}

static int kw_metadata(struct sk_rule_ctx *ctx, const struct sk_kw_arg *a)
{
    struct sk_rule *r = ctx->rule;
    char *copy = strdup(a->value);
    if (!copy)
        return SK_E_NOMEM;
    int rc = 0;
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *s = sk_classification_trim(tok);
        if (!*s)
            continue;
        char **v = realloc(r->metadata, (r->n_metadata + 1) * sizeof(*v));
        if (!v) {
            rc = SK_E_NOMEM;
            break;
        }
        r->metadata = v;
        v[r->n_metadata] = strdup(s);
        if (!v[r->n_metadata]) {
            rc = SK_E_NOMEM;
            break;
        }
        r->n_metadata++;
    }
    free(copy);
    return rc;
}

static int kw_target(struct sk_rule_ctx *ctx, const struct sk_kw_arg *a)
{
    if (strcmp(a->value, "src_ip") != 0 && strcmp(a->value, "dest_ip") != 0)
        return sk_rule__fail(ctx, a->value_off, "invalid value for 'target'",
                             "target must be 'src_ip' or 'dest_ip', got '%.40s'", a->value);
    return set_string(&ctx->rule->target, a->value);
}

/* ---- flow and state ---- */

static int kw_flow(struct sk_rule_ctx *ctx, const struct sk_kw_arg *a)
{
    static const struct {
        const char *name;
        unsigned flag;
    } opts[] = {
        {"to_server", SK_FLOW_TO_SERVER},     {"from_client", SK_FLOW_TO_SERVER},
        {"to_client", SK_FLOW_TO_CLIENT},     {"from_server", SK_FLOW_TO_CLIENT},
        {"established", SK_FLOW_ESTABLISHED}, {"not_established", SK_FLOW_NOT_ESTABLISHED},
        {"only_stream", SK_FLOW_ONLY_STREAM}, {"no_stream", SK_FLOW_NO_STREAM},
        {"stateless", SK_FLOW_STATELESS},
    };
    struct sk_rule *r = ctx->rule;
    const char *p = a->value;
    while (*p) {
        while (isspace((unsigned char)*p) || *p == ',')
            p++;
        if (!*p)
            break;
        const char *s = p;
        while (*p && *p != ',' && !isspace((unsigned char)*p))
            p++;
        size_t n = (size_t)(p - s);
        size_t off = a->value_off + (size_t)(s - a->value);
        unsigned flag = 0;
        for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
            if (strlen(opts[i].name) == n && memcmp(opts[i].name, s, n) == 0)
                flag = opts[i].flag;
        if (!flag)
            return sk_rule__fail(ctx, off, "unknown flow option", "unknown flow option '%.*s'",
                                 (int)(n > 40 ? 40 : n), s);
        r->flow_flags |= flag;
    }
    unsigned f = r->flow_flags;
    if ((f & SK_FLOW_TO_SERVER) && (f & SK_FLOW_TO_CLIENT))
        return sk_rule__fail(ctx, a->value_off, "conflicting flow options",
                             "flow cannot be both to_server and to_client");
    if ((f & SK_FLOW_ESTABLISHED) && (f & SK_FLOW_NOT_ESTABLISHED))
        return sk_rule__fail(ctx, a->value_off, "conflicting flow options",
                             "flow cannot be both established and not_established");
    if ((f & SK_FLOW_ONLY_STREAM) && (f & SK_FLOW_NO_STREAM))
        return sk_rule__fail(ctx, a->value_off, "conflicting flow options",
                             "flow cannot be both only_stream and no_stream");
    return 0;
}

static int kw_flowbits(struct sk_rule_ctx *ctx, const struct sk_kw_arg *a)
{
    static const char *const cmds[] = {"set", "unset", "toggle", "isset", "isnotset", "noalert"};
    struct sk_rule *r = ctx->rule;
    const char *v = a->value;
    const char *comma = strchr(v, ',');
    size_t clen = comma ? (size_t)(comma - v) : strlen(v);
    while (clen && isspace((unsigned char)v[clen - 1]))
        clen--;
    int cmd = -1;
    for (int i = 0; i < 6; i++)
        if (strlen(cmds[i]) == clen && memcmp(cmds[i], v, clen) == 0)
            cmd = i;
    if (cmd < 0)
        return sk_rule__fail(ctx, a->value_off, "unknown flowbits command",
                             "unknown flowbits command '%.*s'", (int)(clen > 40 ? 40 : clen), v);
    struct sk_flowbit fb = {.cmd = (enum sk_flowbit_cmd)cmd};
    if (cmd == SK_FLOWBIT_NOALERT) {
        if (comma)
            return sk_rule__fail(ctx, a->value_off, "invalid value for 'flowbits'",
                                 "flowbits:noalert takes no name");
        r->noalert = true;
    } else {
        if (!comma)
            return sk_rule__fail(ctx, a->value_off, "invalid value for 'flowbits'",
                                 "flowbits:%s needs a name", cmds[cmd]);
        const char *names = comma + 1;
        bool has_or = strchr(names, '|') != NULL, has_and = strchr(names, '&') != NULL;
        if (has_or && has_and)
            return sk_rule__fail(ctx, a->value_off, "invalid value for 'flowbits'",
                                 "flowbits cannot mix '|' and '&'");
        if ((has_or || has_and) && cmd != SK_FLOWBIT_ISSET && cmd != SK_FLOWBIT_ISNOTSET)
            return sk_rule__fail(ctx, a->value_off, "invalid value for 'flowbits'",
                                 "flowbits:%s takes one name", cmds[cmd]);
        fb.and_names = has_and;
        const char *p = names;
        for (;;) {
            const char *e = p;
            while (*e && *e != '|' && *e != '&')
                e++;
            const char *s = p, *t = e;
            while (s < t && isspace((unsigned char)*s))
                s++;
            while (t > s && isspace((unsigned char)t[-1]))
                t--;
            size_t off = a->value_off + (size_t)(s - a->value);
            if (s == t) {
                free(fb.ids);
                return sk_rule__fail(ctx, off, "invalid value for 'flowbits'",
                                     "empty flowbit name");
            }
            for (const char *c = s; c < t; c++) {
                if (isspace((unsigned char)*c) || *c == ',') {
                    free(fb.ids);
                    return sk_rule__fail(ctx, off, "invalid value for 'flowbits'",
                                         "invalid flowbit name '%.*s'", (int)(t - s), s);
                }
            }
            uint32_t *nv = realloc(fb.ids, (fb.n_names + 1) * sizeof(*nv));
            if (!nv) {
                free(fb.ids);
                return SK_E_NOMEM;
            }
            fb.ids = nv;
            int rc = sk_ruleset__flowbit_id(ctx->rs, s, (size_t)(t - s), &fb.ids[fb.n_names]);
            if (rc) {
                free(fb.ids);
                return rc;
            }
            fb.n_names++;
            if (!*e)
                break;
            p = e + 1;
        }
    }
    struct sk_flowbit *nv = realloc(r->flowbits, (r->n_flowbits + 1) * sizeof(*nv));
    if (!nv) {
        free(fb.ids);
        return SK_E_NOMEM;
    }
    r->flowbits = nv;
    nv[r->n_flowbits++] = fb;
    return 0;
}

/* threshold: type T, track K, count N, seconds S; detection_filter: without type. */
static int kw_threshold(struct sk_rule_ctx *ctx, const struct sk_kw_arg *a)
{
    bool df = a->data == 1;
    struct sk_threshold *t = df ? &ctx->rule->detection_filter : &ctx->rule->threshold;
    if (t->type != SK_THRESH_NONE)
        return sk_rule__fail(ctx, a->name_off, "keyword given twice", "'%s' given twice", a->name);
    struct sk_threshold th = {.type = df ? SK_THRESH_DETECTION_FILTER : SK_THRESH_NONE};
    bool have_track = false, have_count = false, have_seconds = false;
    char *copy = strdup(a->value);
    if (!copy)
        return SK_E_NOMEM;
    int rc = 0;
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok && !rc; tok = strtok_r(NULL, ",", &save)) {
        char *s = sk_classification_trim(tok);
        size_t off = a->value_off + (size_t)(s - copy);
        char *sp = s;
        while (*sp && !isspace((unsigned char)*sp))
            sp++;
        char *val = *sp ? sk_classification_trim(sp + 1) : sp;
        *sp = '\0';
        if (!df && strcmp(s, "type") == 0) {
            if (strcmp(val, "limit") == 0)
                th.type = SK_THRESH_LIMIT;
            else if (strcmp(val, "threshold") == 0)
                th.type = SK_THRESH_THRESHOLD;
            else if (strcmp(val, "both") == 0)
                th.type = SK_THRESH_BOTH;
            else
                rc = sk_rule__fail(ctx, off, "invalid value for 'threshold'",
                                   "unknown threshold type '%.40s'", val);
        } else if (strcmp(s, "track") == 0) {
            have_track = true;
            if (strcmp(val, "by_src") == 0)
                th.track = SK_TRACK_BY_SRC;
            else if (strcmp(val, "by_dst") == 0)
                th.track = SK_TRACK_BY_DST;
            else if (strcmp(val, "by_rule") == 0)
                th.track = SK_TRACK_BY_RULE;
            else if (strcmp(val, "by_flow") == 0)
                th.track = SK_TRACK_BY_FLOW;
            else if (strcmp(val, "by_both") == 0)
                th.track = SK_TRACK_BY_BOTH;
            else
                rc = sk_rule__fail(ctx, off, "invalid value for 'threshold'",
                                   "unknown track '%.40s' in '%s'", val, a->name);
        } else if (strcmp(s, "count") == 0) {
            have_count = true;
            if (parse_u32(val, &th.count))
                rc = sk_rule__fail(ctx, off, "invalid value for 'threshold'",
                                   "invalid count '%.40s' in '%s'", val, a->name);
        } else if (strcmp(s, "seconds") == 0) {
            have_seconds = true;
            if (parse_u32(val, &th.seconds))
                rc = sk_rule__fail(ctx, off, "invalid value for 'threshold'",
                                   "invalid seconds '%.40s' in '%s'", val, a->name);
        } else {
            rc = sk_rule__fail(ctx, off, "invalid value for 'threshold'",
                               "unknown option '%.40s' in '%s'", s, a->name);
        }
    }
    free(copy);
    if (rc)
        return rc;
    if (th.type == SK_THRESH_NONE || !have_track || !have_count || !have_seconds)
        return sk_rule__fail(ctx, a->value_off, "invalid value for 'threshold'",
                             df ? "'%s' needs track, count and seconds"
                                : "'%s' needs type, track, count and seconds",
                             a->name);
    *t = th;
    return 0;
}

static int kw_noalert(struct sk_rule_ctx *ctx, const struct sk_kw_arg *a)
{
    ctx->rule->noalert = true;
    return 0;
}

static int kw_flowint(struct sk_rule_ctx *ctx, const struct sk_kw_arg *a)
{
    sk_rule__warn(ctx, a->name_off, "'flowint' ignored", "'flowint' is not supported: ignored");
    return 0;
}

static int kw_app_layer_event(struct sk_rule_ctx *ctx, const struct sk_kw_arg *a)
{
    struct sk_rule *r = ctx->rule;
    const char *v = a->value;
    if (strncasecmp(v, "smtp.", 5) != 0) {
        char reason[96];
        const char *dot = strchr(v, '.');
        snprintf(reason, sizeof(reason), "unsupported app-layer-event '%.*s'",
                 dot ? (int)(dot - v > 30 ? 30 : dot - v) : 30, v);
        return sk_rule__fail(ctx, a->value_off, reason, "unsupported app-layer-event '%.60s'", v);
    }
    int id = sk_anomaly_lookup(v + 5);
    if (id < 0)
        return sk_rule__fail(ctx, a->value_off + 5, "unknown smtp event",
                             "unknown smtp event '%.60s'", v + 5);
    int *nv = realloc(r->app_events, (r->n_app_events + 1) * sizeof(*nv));
    if (!nv)
        return SK_E_NOMEM;
    r->app_events = nv;
    nv[r->n_app_events++] = id;
    return 0;
}

/* ---- buffers ---- */

static int kw_buffer(struct sk_rule_ctx *ctx, const struct sk_kw_arg *a)
{
    return sk_rule__open_group(ctx, a->data < 0 ? ctx->default_buffer : a->data);
}

static int kw_frame(struct sk_rule_ctx *ctx, const struct sk_kw_arg *a)
{
    static const struct {
        const char *name;
        int buffer;
        int frame; /* enum sk_frame_type + 1; 0: no frame object (the stream) */
    } frames[] = {
        {"smtp.command_line", SK_BUF_SMTP_COMMAND_FRAME, SK_FRAME_COMMAND_LINE + 1},
        {"smtp.response_line", SK_BUF_SMTP_RESPONSE_LINE, SK_FRAME_RESPONSE_LINE + 1},
        {"smtp.data", SK_FIELD_SMTP_DATA, SK_FRAME_DATA + 1},
        {"smtp.stream", SK_BUF_STREAM, 0},
    };
    for (size_t i = 0; i < sizeof(frames) / sizeof(frames[0]); i++)
        if (strcmp(a->value, frames[i].name) == 0) {
            if (frames[i].frame)
                ctx->rule->frame = frames[i].frame;
            return sk_rule__open_group(ctx, frames[i].buffer);
        }
    return sk_rule__fail(ctx, a->value_off, "unsupported frame", "unsupported frame '%.60s'",
                         a->value);
}

static bool keyword_known(const char *name);

/* requires: (Suricata 7/8): `keyword X` must name a keyword or sticky buffer Shrike has;
 * `feature X` names an engine feature, which Shrike does not have; `version`/`lt-version`
 * are Suricata's release numbers and are not checked (Shrike follows Suricata 7/8
 * syntax). An unmet requirement skips the rule with the requirement as the reason. */
static int kw_requires(struct sk_rule_ctx *ctx, const struct sk_kw_arg *a)
{
    char buf[512];
    snprintf(buf, sizeof(buf), "%s", a->value);
    char *save = NULL;
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        while (isspace((unsigned char)*t))
            t++;
        size_t off = a->value_off + (size_t)(t - buf);
        char *end = t + strlen(t);
        while (end > t && isspace((unsigned char)end[-1]))
            *--end = '\0';
        if (strncmp(t, "keyword", 7) == 0 && isspace((unsigned char)t[7])) {
            char *k = t + 7;
            while (isspace((unsigned char)*k))
                k++;
            if (!keyword_known(k))
                return sk_rule__fail(ctx, off, "requires an unsupported keyword",
                                     "requires keyword '%.40s', which shrike does not support", k);
        } else if (strncmp(t, "feature", 7) == 0 && isspace((unsigned char)t[7])) {
            char *k = t + 7;
            while (isspace((unsigned char)*k))
                k++;
            return sk_rule__fail(ctx, off, "requires an unsupported feature",
                                 "requires feature '%.40s', which shrike does not have", k);
        } else if (strncmp(t, "version", 7) != 0 && strncmp(t, "lt-version", 10) != 0) {
            return sk_rule__fail(ctx, off, "invalid value for 'requires'",
                                 "invalid requirement '%.40s'", t);
        }
    }
    return 0;
}

/* service: (Snort 3; Suricata 8 too): the rule applies to SMTP flows only. Other services
 * are protocols shrike does not parse. */
static int kw_service(struct sk_rule_ctx *ctx, const struct sk_kw_arg *a)
{
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", a->value);
    char *save = NULL;
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        t = sk_classification_trim(t);
        if (strcmp(t, "smtp") == 0) {
            if (ctx->rule->proto == SK_PROTO_TCP || ctx->rule->proto == SK_PROTO_ANY ||
                ctx->rule->proto == SK_PROTO_IP)
                ctx->rule->proto = SK_PROTO_SMTP;
            return 0;
        }
    }
    char reason[96];
    snprintf(reason, sizeof(reason), "unsupported service '%.40s'", a->value);
    return sk_rule__fail(ctx, a->value_off, reason, "%s", reason);
}

/* filemd5 / filesha1 / filesha256: [!]list file (Suricata's detect-file-hash-common.c). The
 * list is read when the rule loads (so -T checks it); a missing or bad list fails the
 * rule, at the file name. */
static int kw_filehash(struct sk_rule_ctx *ctx, const struct sk_kw_arg *a)
{
    struct sk_rule *r = ctx->rule;
    struct sk_filehash fh = {.kind = (enum sk_hash_kind)a->data};
    size_t off = a->value_off;
    char *name = unquote(a->value);
    if (name == NULL)
        return SK_E_NOMEM;
    char *n = name;
    if (*n == '!') {
        fh.negated = true;
        n++;
        off++;
    }
    if (*n == '\0') {
        free(name);
        return sk_rule__fail(ctx, a->value_off, "missing value", "'%s' needs a file name", a->name);
    }
    char msg[512];
    int rc = sk_ruleset__hashlist(ctx->rs, ctx->file, n, fh.kind, &fh.list, msg, sizeof(msg));
    free(name);
    if (rc == SK_E_NOMEM)
        return rc;
    if (rc < 0)
        return sk_rule__fail(ctx, off, rc == SK_E_IO ? "cannot read hash list" : "bad hash list",
                             "%s", msg);
    struct sk_filehash *v = realloc(r->filehash, (r->n_filehash + 1) * sizeof(*v));
    if (v == NULL)
        return SK_E_NOMEM;
    r->filehash = v;
    v[r->n_filehash++] = fh;
    return 0;
}

static int kw_starttls(struct sk_rule_ctx *ctx, const struct sk_kw_arg *a)
{
    ctx->rule->needs_starttls = true;
    return 0;
}

/* clang-format off */
static const struct kw_def keywords[] = {
    /* meta */
    {"msg", kw_msg, KW_VALUE, 0, "msg:\"text\"", "the alert's message"},
    {"sid", kw_u32, KW_VALUE, 0, "sid:N", "signature id (required, > 0)"},
    {"rev", kw_u32, KW_VALUE, 1, "rev:N", "revision"},
    {"gid", kw_u32, KW_VALUE, 2, "gid:N", "group id (default 1)"},
    {"priority", kw_u32, KW_VALUE, 3, "priority:1..255", "severity; overrides the classtype's"},
    {"classtype", kw_classtype, KW_VALUE, 0, "classtype:name", "class from classification.config"},
    {"reference", kw_reference, KW_VALUE, 0, "reference:system,id", "external reference (url from reference.config)"},
    {"metadata", kw_metadata, KW_VALUE, 0, "metadata:key value, ...", "free key/value pairs"},
    {"target", kw_target, KW_VALUE, 0, "target:src_ip|dest_ip", "which side is the target"},
    {"requires", kw_requires, KW_VALUE, 0, "requires:keyword X, version >= V", "skip the rule unless shrike has keyword X (feature X: never; versions are not checked)"},
    /* payload */
    {"content", sk_content__setup_content, KW_VALUE, 0, "content:[!]\"text|41 42|\"", "bytes to find in the current buffer"},
    {"nocase", sk_content__setup_modifier, KW_NOVALUE, SK_CMOD_NOCASE, "nocase", "previous content ignores case"},
    {"depth", sk_content__setup_modifier, KW_VALUE, SK_CMOD_DEPTH, "depth:N", "previous content ends within N bytes of the start"},
    {"offset", sk_content__setup_modifier, KW_VALUE, SK_CMOD_OFFSET, "offset:N", "previous content starts at or after byte N"},
    {"distance", sk_content__setup_modifier, KW_VALUE, SK_CMOD_DISTANCE, "distance:N", "previous content starts N bytes after the match before it"},
    {"within", sk_content__setup_modifier, KW_VALUE, SK_CMOD_WITHIN, "within:N", "previous content ends within N bytes of the match before it"},
    {"startswith", sk_content__setup_modifier, KW_NOVALUE, SK_CMOD_STARTSWITH, "startswith", "previous content is at the start of the buffer"},
    {"endswith", sk_content__setup_modifier, KW_NOVALUE, SK_CMOD_ENDSWITH, "endswith", "previous content is at the end of the buffer"},
    {"rawbytes", sk_content__setup_modifier, KW_NOVALUE, SK_CMOD_RAWBYTES, "rawbytes", "accepted for compatibility, no effect"},
    {"fast_pattern", sk_content__setup_fast_pattern, KW_OPTVALUE, 0, "fast_pattern[:only|:o,l]", "previous content is the prefilter pattern"},
    {"isdataat", sk_content__setup_isdataat, KW_VALUE, 0, "isdataat:[!]N[,relative]", "data exists at position N"},
    {"bsize", sk_content__setup_bsize, KW_VALUE, 0, "bsize:N|<N|>N|A<>B", "size of the sticky buffer"},
    {"pcre", sk_content__setup_pcre, KW_VALUE, 0, "pcre:[!]\"/re/ismxAEGRU\"", "PCRE2 regular expression"},
    {"base64_decode", sk_content__setup_base64_decode, KW_OPTVALUE, 0, "base64_decode[:bytes N, offset N, relative]", "decode base64 for base64_data"},
    {"byte_test", sk_bytes__setup, KW_VALUE, SK_MATCH_BYTE_TEST, "byte_test:N,[!]op,value,offset[,relative][,big|little][,string][,hex|dec|oct][,bitmask M]", "compare a number read from the buffer (value/offset may be variables)"},
    {"byte_jump", sk_bytes__setup, KW_VALUE, SK_MATCH_BYTE_JUMP, "byte_jump:N,offset[,relative][,multiplier M][,big|little][,string][,hex|dec|oct][,align][,from_beginning|from_end][,post_offset P][,bitmask M]", "move the position by a number read from the buffer"},
    {"byte_extract", sk_bytes__setup, KW_VALUE, SK_MATCH_BYTE_EXTRACT, "byte_extract:N,offset,name[,relative][,multiplier M][,big|little][,string][,hex|dec|oct][,align 2|4]", "read a number into a variable for later byte_* and content modifiers"},
    {"byte_math", sk_bytes__setup, KW_VALUE, SK_MATCH_BYTE_MATH, "byte_math:bytes N,offset O,oper +|-|*|/|<<|>>,rvalue V,result name[,relative][,endian big|little][,string hex|dec|oct][,bitmask M]", "arithmetic on a number read from the buffer, into a variable"},
    {"dsize", sk_bytes__setup_dsize, KW_VALUE, 0, "dsize:N|<N|>N|A<>B|!N", "payload bytes of the packet (tcp stream rules)"},
    {"flags", sk_bytes__setup_flags, KW_VALUE, 0, "flags:[+*!]FSRPAUCE0[,mask]", "TCP flags of the packet"},
    {"stream_size", sk_bytes__setup_stream_size, KW_VALUE, 0, "stream_size:server|client|both|either,op,N", "bytes the flow's sides sent so far"},
    {"filemd5", kw_filehash, KW_VALUE, SK_HASH_MD5, "filemd5:[!]list.txt", "the file's MD5 is (!: is not) in the list file (checked when the file closes)"},
    {"filesha1", kw_filehash, KW_VALUE, SK_HASH_SHA1, "filesha1:[!]list.txt", "the file's SHA-1 is (!: is not) in the list file"},
    {"filesha256", kw_filehash, KW_VALUE, SK_HASH_SHA256, "filesha256:[!]list.txt", "the file's SHA-256 is (!: is not) in the list file"},
    {"service", kw_service, KW_VALUE, 0, "service:smtp", "the rule applies to SMTP flows (Snort 3, Suricata 8)"},
    {"base64_data", sk_content__setup_base64_data, KW_NOVALUE, 0, "base64_data", "inspect what base64_decode decoded"},
    /* transforms */
    {"to_lowercase", sk_content__setup_transform, KW_NOVALUE, SK_XFORM_TO_LOWERCASE, "to_lowercase", "transform: lower-case the buffer"},
    {"to_uppercase", sk_content__setup_transform, KW_NOVALUE, SK_XFORM_TO_UPPERCASE, "to_uppercase", "transform: upper-case the buffer"},
    {"strip_whitespace", sk_content__setup_transform, KW_NOVALUE, SK_XFORM_STRIP_WHITESPACE, "strip_whitespace", "transform: remove all whitespace"},
    {"compress_whitespace", sk_content__setup_transform, KW_NOVALUE, SK_XFORM_COMPRESS_WHITESPACE, "compress_whitespace", "transform: runs of whitespace become one space"},
    {"url_decode", sk_content__setup_transform, KW_NOVALUE, SK_XFORM_URL_DECODE, "url_decode", "transform: decode %XX and +"},
    {"from_base64", sk_content__setup_transform, KW_OPTVALUE, SK_XFORM_FROM_BASE64, "from_base64", "transform: decode base64 (options ignored)"},
    {"dotprefix", sk_content__setup_transform, KW_NOVALUE, SK_XFORM_DOTPREFIX, "dotprefix", "transform: prepend a '.'"},
    /* buffers besides the field table */
    {"file_data", kw_buffer, KW_NOVALUE, SK_FIELD_FILE_DATA, "file_data", "legacy name of file.data"},
    {"pkt_data", kw_buffer, KW_NOVALUE, -1, "pkt_data", "back to the rule's default buffer"},
    {"frame", kw_frame, KW_VALUE, 0, "frame:smtp.command_line|smtp.response_line|smtp.data|smtp.stream", "Suricata frames mapped to buffers"},
    {"smtp.starttls", kw_starttls, KW_NOVALUE, 0, "smtp.starttls", "flag: the server accepted STARTTLS"},
    {"smtp.reply_code", sk_content__setup_reply_code, KW_VALUE, 0, "smtp.reply_code:250|>=500|400<>500", "numeric compare on each reply code"},
    {"app-layer-event", kw_app_layer_event, KW_VALUE, 0, "app-layer-event:smtp.NAME", "an SMTP/MIME anomaly was raised (see docs/anomalies.md)"},
    /* flow and state */
    {"flow", kw_flow, KW_VALUE, 0, "flow:to_server,established,...", "direction and state of the flow"},
    {"flowbits", kw_flowbits, KW_VALUE, 0, "flowbits:set|unset|toggle|isset|isnotset,name[|name]; flowbits:noalert", "per-flow named bits"},
    {"threshold", kw_threshold, KW_VALUE, 0, "threshold:type limit|threshold|both, track by_src|by_dst|by_rule|by_flow|by_both, count N, seconds S", "alert rate control"},
    {"detection_filter", kw_threshold, KW_VALUE, 1, "detection_filter:track by_src|..., count N, seconds S", "alert only after count hits in seconds"},
    {"noalert", kw_noalert, KW_NOVALUE, 0, "noalert", "match (set flowbits) without alerting"},
    {"flowint", kw_flowint, KW_VALUE, 0, "flowint:...", "accepted and ignored, with a warning"},
};
/* clang-format on */

#define N_KEYWORDS (sizeof(keywords) / sizeof(keywords[0]))

int sk_keyword__apply(struct sk_rule_ctx *ctx, const char *name, size_t name_len, const char *value,
                      size_t name_off, size_t value_off)
{
    char nm[64];
    if (name_len >= sizeof(nm))
        return sk_rule__fail(ctx, name_off, "unsupported keyword", "unsupported keyword '%.*s'", 40,
                             name);
    memcpy(nm, name, name_len);
    nm[name_len] = '\0';
    ctx->kw_off = name_off;
    struct sk_kw_arg a = {.name = nm, .value = value, .name_off = name_off, .value_off = value_off};

    const struct kw_def *kw = NULL;
    for (size_t i = 0; i < N_KEYWORDS; i++) {
        if (keywords[i].name[0] == nm[0] && strcmp(keywords[i].name, nm) == 0) {
            kw = &keywords[i];
            break;
        }
    }
    if (!kw) {
        int id = sk_field_lookup(nm);
        const struct sk_field_def *fd = id >= 0 ? sk_field_def((enum sk_field_id)id) : NULL;
        if (!fd || fd->kind == SK_FIELD_FLAG || fd->kind == SK_FIELD_NUMBER) {
            char reason[96];
            snprintf(reason, sizeof(reason), "unsupported keyword '%s'", nm);
            return sk_rule__fail(ctx, name_off, reason, "%s", reason);
        }
        if (value)
            return sk_rule__fail(ctx, value_off, "unexpected value",
                                 "sticky buffer '%s' takes no value", nm);
        return sk_rule__open_group(ctx, id);
    }
    if (kw->value == KW_NOVALUE && value)
        return sk_rule__fail(ctx, value_off, "unexpected value", "'%s' takes no value", nm);
    if (kw->value == KW_VALUE && (!value || !*value))
        return sk_rule__fail(ctx, name_off, "missing value", "'%s' needs a value", nm);
    a.data = kw->data;
    return kw->setup(ctx, &a);
}

static bool keyword_known(const char *name)
{
    for (size_t i = 0; i < N_KEYWORDS; i++)
        if (strcmp(keywords[i].name, name) == 0)
            return true;
    return sk_field_lookup(name) >= 0;
}

void sk_ruleset_print_keywords(FILE *out)
{
    for (size_t i = 0; i < N_KEYWORDS; i++)
        fprintf(out, "%-20s %s\n  %s\n", keywords[i].name, keywords[i].doc, keywords[i].syntax);
    for (int i = 0; i < SK_FIELD_COUNT; i++) {
        const struct sk_field_def *d = sk_field_def((enum sk_field_id)i);
        if (d->kind == SK_FIELD_FLAG || d->kind == SK_FIELD_NUMBER)
            continue; /* in the table above */
        fprintf(out, "%-20s sticky buffer: %s\n  %s\n", d->name, d->doc, d->name);
    }
}
