/* SPDX-License-Identifier: GPL-2.0-only */
/* Reads Suricata's classification.config and reference.config. Both are small (tens of
 * lines), so lookups are linear. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/error.h"
#include "rules/classification.h"

char *sk_classification_trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

static void report_line(sk_classification_report_fn report, void *rctx, const char *file,
                        unsigned line, const char *msg)
{
    if (report)
        report(rctx, file, line, msg);
}

static int add_class(struct sk_classification *c, const char *name, const char *desc, int prio)
{
    struct sk_classtype *ex = (struct sk_classtype *)sk_classification_class(c, name);
    char *d = strdup(desc);
    if (!d)
        return SK_E_NOMEM;
    if (ex) {
        free(ex->desc);
        ex->desc = d;
        ex->priority = prio;
        return 0;
    }
    char *n = strdup(name);
    struct sk_classtype *v = n ? realloc(c->classes, (c->n_classes + 1) * sizeof(*v)) : NULL;
    if (!v) {
        free(n);
        free(d);
        return SK_E_NOMEM;
    }
    c->classes = v;
    v[c->n_classes++] = (struct sk_classtype){.name = n, .desc = d, .priority = prio};
    return 0;
}

static int add_ref(struct sk_classification *c, const char *system, const char *prefix)
{
    struct sk_refsystem *ex = (struct sk_refsystem *)sk_classification_ref(c, system);
    char *p = strdup(prefix);
    if (!p)
        return SK_E_NOMEM;
    if (ex) {
        free(ex->prefix);
        ex->prefix = p;
        return 0;
    }
    char *s = strdup(system);
    struct sk_refsystem *v = s ? realloc(c->refs, (c->n_refs + 1) * sizeof(*v)) : NULL;
    if (!v) {
        free(s);
        free(p);
        return SK_E_NOMEM;
    }
    c->refs = v;
    v[c->n_refs++] = (struct sk_refsystem){.system = s, .prefix = p};
    return 0;
}

static int parse_line(struct sk_classification *c, char *line, const char *file, unsigned lineno,
                      sk_classification_report_fn report, void *rctx)
{
    char *s = sk_classification_trim(line);
    if (*s == '\0' || *s == '#')
        return 0;
    char msg[256];
    if (strncmp(s, "config classification:", 22) == 0) {
        char *body = s + 22;
        char *c1 = strchr(body, ',');
        char *c2 = c1 ? strchr(c1 + 1, ',') : NULL;
        if (!c2) {
            report_line(report, rctx, file, lineno,
                        "classification needs name,description,priority");
            return 0;
        }
        *c1 = *c2 = '\0';
        char *name = sk_classification_trim(body), *desc = sk_classification_trim(c1 + 1),
             *prio = sk_classification_trim(c2 + 1), *end;
        long p = strtol(prio, &end, 10);
        if (!*name || *end || end == prio || p < 1 || p > 255) {
            snprintf(msg, sizeof(msg), "invalid classification '%s'", name);
            report_line(report, rctx, file, lineno, msg);
            return 0;
        }
        c->has_classes = true;
        return add_class(c, name, desc, (int)p);
    }
    if (strncmp(s, "config reference:", 17) == 0) {
        char *body = sk_classification_trim(s + 17);
        char *sp = body;
        while (*sp && !isspace((unsigned char)*sp))
            sp++;
        if (!*sp) {
            report_line(report, rctx, file, lineno, "reference needs a system and a url");
            return 0;
        }
        *sp = '\0';
        c->has_refs = true;
        return add_ref(c, body, sk_classification_trim(sp + 1));
    }
    snprintf(msg, sizeof(msg), "unknown line '%.60s'", s);
    report_line(report, rctx, file, lineno, msg);
    return 0;
}

int sk_classification_load_string(struct sk_classification *c, const char *name, const char *text,
                                  sk_classification_report_fn report, void *report_ctx)
{
    char *copy = strdup(text);
    if (!copy)
        return SK_E_NOMEM;
    int rc = 0;
    unsigned lineno = 0;
    /* strtok_r would skip empty lines and miscount, so split by hand */
    char *p = copy;
    while (p && !rc) {
        char *nl = strchr(p, '\n');
        if (nl)
            *nl = '\0';
        lineno++;
        rc = parse_line(c, p, name, lineno, report, report_ctx);
        p = nl ? nl + 1 : NULL;
    }
    free(copy);
    return rc;
}

int sk_classification_load(struct sk_classification *c, const char *path,
                           sk_classification_report_fn report, void *report_ctx)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return SK_E_IO;
    int rc = 0;
    char *buf = NULL;
    size_t cap = 0, len = 0;
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (len + n + 1 > cap) {
            size_t ncap = (cap ? cap * 2 : 8192) + n;
            char *nb = realloc(buf, ncap);
            if (!nb) {
                rc = SK_E_NOMEM;
                goto out_free_buf;
            }
            buf = nb;
            cap = ncap;
        }
        memcpy(buf + len, chunk, n);
        len += n;
    }
    if (ferror(f)) {
        rc = SK_E_IO;
        goto out_free_buf;
    }
    if (!buf) {
        fclose(f);
        return 0;
    }
    buf[len] = '\0';
    rc = sk_classification_load_string(c, path, buf, report, report_ctx);
out_free_buf:
    free(buf);
    fclose(f);
    return rc;
}

const struct sk_classtype *sk_classification_class(const struct sk_classification *c,
                                                   const char *name)
{
    for (size_t i = 0; i < c->n_classes; i++)
        if (strcmp(c->classes[i].name, name) == 0)
            return &c->classes[i];
    return NULL;
}

const struct sk_refsystem *sk_classification_ref(const struct sk_classification *c,
                                                 const char *system)
{
    for (size_t i = 0; i < c->n_refs; i++)
        if (strcasecmp(c->refs[i].system, system) == 0)
            return &c->refs[i];
    return NULL;
}

void sk_classification_release(struct sk_classification *c)
{
    for (size_t i = 0; i < c->n_classes; i++) {
        free(c->classes[i].name);
        free(c->classes[i].desc);
    }
    for (size_t i = 0; i < c->n_refs; i++) {
        free(c->refs[i].system);
        free(c->refs[i].prefix);
    }
    free(c->classes);
    free(c->refs);
    memset(c, 0, sizeof(*c));
}
