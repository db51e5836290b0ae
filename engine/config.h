/* SPDX-License-Identifier: GPL-2.0-only */
/* Configuration: a YAML file (libyaml) flattened into dotted keys ("flow.timeout.new"),
 * plus --set KEY=VALUE overrides. Every key Shrike reads is in one static table
 * (config.c) with its type, default and documentation; an unknown key in a file is
 * reported with file:line:col and otherwise ignored. Values are read through typed
 * getters that report bad values the same way. Immutable once loaded; shared by
 * workers. */
#ifndef SK_CONFIG_H
#define SK_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct sk_config;

/* An empty configuration (every getter returns its default). */
int sk_config_new(struct sk_config **out);

/* Loads a YAML file on top of what cfg holds. Returns 0, or SK_E_IO / SK_E_PARSE with a
 * message "FILE:LINE:COL: reason" in errbuf. Keys are checked by sk_config_check(). */
int sk_config_load_file(struct sk_config *cfg, const char *path, char *errbuf, size_t errlen);

/* Sets one scalar: "key=value". Returns SK_E_INVAL for text without '='. */
int sk_config_set(struct sk_config *cfg, const char *assignment);

/* Checks every key set (by files and --set) once all are loaded: a list or mapping where a
 * known key wants another type is an error, and so is an unknown key unless `strict` (or
 * `config.strict`) is no, when it is a warning (logged). Returns 0, or SK_E_INVAL with the
 * first error "WHERE: reason" in errbuf (the others are logged). */
int sk_config_check(const struct sk_config *cfg, char *errbuf, size_t errlen);

/* Raw access: the scalar at key, or NULL. Borrowed. */
const char *sk_config_get(const struct sk_config *cfg, const char *key);

/* The items of the list at key (or a single scalar as a list of one): returns the count and
 * sets *items (borrowed array of borrowed strings). 0 when absent. */
size_t sk_config_list(const struct sk_config *cfg, const char *key, const char *const **items);

/* Direct children of a mapping: for prefix "vars.address-groups" returns the child names
 * ("HOME_NET", ...) in file order. Borrowed; count returned. */
size_t sk_config_children(const struct sk_config *cfg, const char *prefix,
                          const char *const **names);

/* The distinct names one level below prefix, whatever lies below them: for
 * "outputs.eve.sinks" the NAME of every outputs.eve.sinks.NAME.KEY, in file order. The caller
 * frees each name and the array. Returns the count (0 when out of memory). */
size_t sk_config_groups(const struct sk_config *cfg, const char *prefix, char ***names);

/* Calls fn with every scalar below prefix: the key's rest after "prefix." and its value
 * (a later setting of the same key comes later). */
void sk_config_below(const struct sk_config *cfg, const char *prefix,
                     void (*fn)(void *ctx, const char *rest, const char *value), void *ctx);

/* Typed getters: the value at key, or the documented default when absent. A value that does
 * not parse is reported (errbuf, naming the key and where it was set) and returns
 * SK_E_INVAL. Sizes accept suffixes kb, mb, gb (powers of 1024); durations are seconds. */
int sk_config_bool(const struct sk_config *cfg, const char *key, bool *out, char *errbuf,
                   size_t errlen);
int sk_config_u64(const struct sk_config *cfg, const char *key, uint64_t *out, char *errbuf,
                  size_t errlen);
int sk_config_size(const struct sk_config *cfg, const char *key, uint64_t *out, char *errbuf,
                   size_t errlen);
/* The string at key, or its default (may be NULL). Borrowed. */
const char *sk_config_str(const struct sk_config *cfg, const char *key);

/* The path of the file the configuration was loaded from, or NULL. */
const char *sk_config_path(const struct sk_config *cfg);

/* Prints the key table (name, type, default, meaning), for --list-config. */
void sk_config_print_keys(FILE *out);

void sk_config_free(struct sk_config *cfg);

#endif
