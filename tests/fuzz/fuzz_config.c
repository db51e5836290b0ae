/* SPDX-License-Identifier: GPL-2.0-only */
/* libFuzzer target for the YAML configuration: the input is a configuration file, loaded
 * by sk_config_load_file() from an in-memory file, then read the way a run reads it: the
 * variables and lists the rule loader takes, the raw and typed getters, and a worker built
 * from it (which reads and checks every setting of the chain). Any bytes must give a
 * diagnostic or a configuration, never a crash, leak or undefined behaviour. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/config.h"
#include "engine/error.h"
#include "engine/log.h"
#include "engine/worker.h"
#include "tests/fuzz/fuzz_common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    sk_log_set_level(SK_LOG_ERROR); /* unknown keys are warnings: keep the output readable */
    return 0;
}

static uint64_t touch(const char *s)
{
    uint64_t sum = 0;
    for (; s && *s; s++)
        sum += (uint8_t)*s;
    return sum;
}

static uint64_t read_children(const struct sk_config *cfg, const char *prefix)
{
    const char *const *names;
    char key[512];
    uint64_t sum = 0;
    size_t n = sk_config_children(cfg, prefix, &names);
    for (size_t i = 0; i < n; i++) {
        snprintf(key, sizeof(key), "%s.%s", prefix, names[i]);
        sum += touch(names[i]) + touch(sk_config_get(cfg, key));
    }
    return sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const lists[] = {"rule-files", "smtp.ports", "smtp.refused-commands",
                                        "smtp.allowed-commands", "mime.url-schemes"};
    static const char *const strs[] = {
        "default-rule-path", "classification-file", "reference-config-file", "log-dir",
        "workers",           "mime.body-md5",       "filestore.dir",         "detect.cache-dir"};
    struct sk_config *cfg = NULL;
    struct sk_worker *w = NULL;
    char path[64], err[1024];
    uint64_t sum = 0, v;
    int fd = sk_fuzz_memfile(data, size, path, sizeof(path));
    if (fd < 0 || sk_config_new(&cfg) < 0)
        abort();
    err[0] = '\0';
    if (sk_config_load_file(cfg, path, err, sizeof(err)) < 0) {
        if (err[0] == '\0')
            abort(); /* a failure always says why */
        goto out;
    }
    sum += read_children(cfg, "vars.address-groups") + read_children(cfg, "vars.port-groups");
    for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
        const char *const *items;
        size_t n = sk_config_list(cfg, lists[i], &items);
        for (size_t k = 0; k < n; k++)
            sum += touch(items[k]);
    }
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
        sum += touch(sk_config_str(cfg, strs[i]));
    if (sk_config_u64(cfg, "workers-queue", &v, err, sizeof(err)) == 0)
        sum += v;
    if (sk_config_size(cfg, "detect.stream-window", &v, err, sizeof(err)) == 0)
        sum += v;
    /* A worker reads and checks every setting of the chain, as shrike -T does. */
    struct sk_worker_config wc = {.cfg = cfg};
    err[0] = '\0';
    int rc = sk_worker_new(&w, &wc, err, sizeof(err));
    if (rc < 0 && rc != SK_E_NOMEM && err[0] == '\0')
        abort(); /* a refused setting is always named */
    sk_worker_free(w);
out:
    sk_config_free(cfg);
    close(fd);
    volatile uint64_t keep = sum; /* the reads above are not optimised away */
    (void)keep;
    return 0;
}
