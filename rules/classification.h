/* SPDX-License-Identifier: GPL-2.0-only */
/* classification.config (classtype -> description, priority) and reference.config
 * (reference system -> URL prefix), in Suricata's format:
 *   config classification: shortname,description,priority
 *   config reference: system url_prefix */
#ifndef SK_RULES_CLASSIFICATION_H
#define SK_RULES_CLASSIFICATION_H

#include <stdbool.h>
#include <stddef.h>

struct sk_classtype {
    char *name, *desc;
    int priority;
};

struct sk_refsystem {
    char *system, *prefix;
};

struct sk_classification {
    bool has_classes, has_refs; /* a file with such lines was loaded */
    size_t n_classes;
    struct sk_classtype *classes;
    size_t n_refs;
    struct sk_refsystem *refs;
};

/* Called for a bad line: file, 1-based line, message (borrowed for the call). */
typedef void (*sk_classification_report_fn)(void *ctx, const char *file, unsigned line,
                                            const char *msg);

/* Reads path (either kind of file; both kinds of line are understood) into c, which must
 * be zeroed or already loaded. Bad lines are reported and skipped. Returns 0, SK_E_IO
 * when the file cannot be read, SK_E_NOMEM. Later definitions of a name replace earlier
 * ones. */
int sk_classification_load(struct sk_classification *c, const char *path,
                           sk_classification_report_fn report, void *report_ctx);

/* Same, from a string; name is used in reports. */
int sk_classification_load_string(struct sk_classification *c, const char *name, const char *text,
                                  sk_classification_report_fn report, void *report_ctx);

/* Lookups (case-sensitive for classtypes as in Suricata, case-insensitive for reference
 * systems). NULL when unknown. Borrowed from c. */
const struct sk_classtype *sk_classification_class(const struct sk_classification *c,
                                                   const char *name);
const struct sk_refsystem *sk_classification_ref(const struct sk_classification *c,
                                                 const char *system);

void sk_classification_release(struct sk_classification *c);

/* Strips leading and trailing white space in place; returns the first kept character. Used
 * for the config files here and for rule option values (keywords.c). */
char *sk_classification_trim(char *s);

#endif
