/* SPDX-License-Identifier: GPL-2.0-only */
/* libFuzzer target for the rule language: any bytes loaded as a rule file must give
 * diagnostics, never a crash, leak or undefined behaviour. Built by --enable-fuzzers and run
 * by make fuzz-smoke (docs/development.md); make check replays its regressions. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rules/ruleset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void quiet(void *ctx, const struct sk_rule_diag *d)
{
    (void)ctx;
    (void)d;
}

static const char *const vars[][2] = {
    {"HOME_NET", "[10.0.0.0/8,!10.1.0.0/16,2001:db8::/32]"},
    {"SELF", "[1.1.1.1,$SELF]"},
    {NULL, NULL},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    struct sk_ruleset_config cfg = {.address_vars = vars, .diag = quiet};
    struct sk_ruleset *rs;
    if (sk_ruleset_new(&rs, &cfg) == 0) {
        sk_ruleset_load_string(rs, "fuzz", text);
        for (size_t i = 0; i < sk_ruleset_count(rs); i++)
            (void)sk_ruleset_rule(rs, i)->sid;
        sk_ruleset_free(rs);
    }
    free(text);
    return 0;
}
