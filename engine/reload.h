/* SPDX-License-Identifier: GPL-2.0-only */
/* Rule sets while a run goes on: loading one from the configuration and the command line
 * (at start and at each reload), and a reload (SIGUSR2, reload-rules) that builds the new set
 * beside the old one on the control thread and hands it to the workers as the next
 * generation. Each worker moves to the newest generation between two packets
 * (worker.h), carrying its flows' detection state over; a generation is freed once every
 * worker has gone past it. A reload that fails keeps the rules in use and says why. */
#ifndef SK_RELOAD_H
#define SK_RELOAD_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/config.h"
#include "engine/worker.h"
#include "rules/detect.h"
#include "rules/ruleset.h"

/* Where the rules come from: the configuration's rule-files (unless exclusive, -S), then
 * rule_files (-S / -s); the detection settings from cfg's detect.* keys. Borrowed: must
 * outlive every use. */
struct sk_rules_source {
    const struct sk_config *cfg;
    const char *const *rule_files;
    size_t n_rule_files;
    bool exclusive; /* -S: only rule_files */
    bool lint;      /* -T: warn about slow rules */
    bool reference; /* --detect-reference */
};

/* A loaded and compiled rule set. */
struct sk_rules {
    struct sk_ruleset *rs;
    struct sk_detect *det; /* NULL when no rule loaded */
    size_t files_failed;   /* rule files that could not be read */
};

/* Loads and compiles the rules of src into *out (both freed with sk_rules_release(), even on
 * failure). Rule errors are reported by the rule loader. Returns 0, SK_E_NOMEM, or another
 * negative SK_E_* code with a message in errbuf (a bad detect.* value, a build failure). */
int sk_rules_load(struct sk_rules *out, const struct sk_rules_source *src, char *errbuf,
                  size_t errlen);
void sk_rules_release(struct sk_rules *r);

struct sk_reloader;

/* Takes ownership of first (the rules the workers were made with: first->det is their
 * wc.detect) and makes its generation, given to each worker with wc.gen before it runs:
 * sk_reloader_first(). Returns 0 or SK_E_NOMEM. Caller frees with sk_reloader_free() after
 * the workers. */
int sk_reloader_new(struct sk_reloader **out, const struct sk_rules_source *src,
                    struct sk_rules *first);
struct sk_rules_gen *sk_reloader_first(struct sk_reloader *r);

/* The workers that move (borrowed; set once, before the run). */
void sk_reloader_set_workers(struct sk_reloader *r, struct sk_worker **ws, size_t n);

/* Loads and compiles the rules again and offers them to the workers. On failure (a rule file
 * that cannot be read, no rule loaded, a build error) the rules in use stay; the reason is
 * in errbuf. On success errbuf says how many rules loaded and how many carry over. Called by
 * one thread at a time (the control thread). Returns 0 or a negative SK_E_* code. */
int sk_reloader_reload(struct sk_reloader *r, char *errbuf, size_t errlen);

/* Frees the generations every worker has gone past. Returns how many workers are not yet on
 * the newest. Same thread as sk_reloader_reload(). */
size_t sk_reloader_collect(struct sk_reloader *r);

/* The newest rules (the ones every worker has after sk_worker_rules_catch_up()). */
const struct sk_rules *sk_reloader_current(const struct sk_reloader *r);

/* Reloads done and failed so far. */
void sk_reloader_counts(const struct sk_reloader *r, unsigned long *done, unsigned long *failed);

/* Frees every generation; the workers must be freed first. NULL is a no-op. */
void sk_reloader_free(struct sk_reloader *r);

#endif
