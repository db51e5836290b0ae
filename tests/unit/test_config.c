/* SPDX-License-Identifier: GPL-2.0-only */
/* The configuration store: YAML flattening, lists, typed getters with defaults, bad
 * values and bad YAML reported with their place, --set overrides. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "engine/config.h"
#include "engine/error.h"

static char *write_temp(const char *text)
{
    char *path = strdup("/tmp/shrike-test-config-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static void test_config_yaml_is_flattened(void **state)
{
    (void)state;
    char *path = write_temp("vars:\n"
                            "  address-groups:\n"
                            "    HOME_NET: \"[10.0.0.0/8]\"\n"
                            "    EXTERNAL_NET: \"!$HOME_NET\"\n"
                            "rule-files:\n  - a.rules\n  - b.rules\n"
                            "flow:\n  timeout:\n    new: 7\n"
                            "stream:\n  max-queued: 2mb\n");
    struct sk_config *c;
    char err[256] = "";
    assert_int_equal(sk_config_new(&c), 0);
    assert_int_equal(sk_config_load_file(c, path, err, sizeof(err)), 0);
    assert_string_equal(sk_config_get(c, "vars.address-groups.HOME_NET"), "[10.0.0.0/8]");

    const char *const *items;
    assert_int_equal(sk_config_list(c, "rule-files", &items), 2);
    assert_string_equal(items[1], "b.rules");

    const char *const *names;
    assert_int_equal(sk_config_children(c, "vars.address-groups", &names), 2);
    assert_string_equal(names[0], "HOME_NET");
    assert_string_equal(names[1], "EXTERNAL_NET");

    uint64_t v;
    assert_int_equal(sk_config_u64(c, "flow.timeout.new", &v, err, sizeof(err)), 0);
    assert_int_equal(v, 7);
    assert_int_equal(sk_config_u64(c, "flow.timeout.established", &v, err, sizeof(err)), 0);
    assert_int_equal(v, 600); /* the default */
    assert_int_equal(sk_config_size(c, "stream.max-queued", &v, err, sizeof(err)), 0);
    assert_int_equal(v, 2 * 1024 * 1024);
    /* list defaults are there without a file */
    assert_int_equal(sk_config_list(c, "smtp.ports", &items), 4);
    assert_string_equal(items[0], "25");

    sk_config_free(c);
    unlink(path);
    free(path);
}

static void test_config_bad_value_names_key_and_place(void **state)
{
    (void)state;
    char *path = write_temp("flow:\n  max-flows: lots\n");
    struct sk_config *c;
    char err[256] = "";
    uint64_t v;
    assert_int_equal(sk_config_new(&c), 0);
    assert_int_equal(sk_config_load_file(c, path, err, sizeof(err)), 0);
    assert_int_equal(sk_config_u64(c, "flow.max-flows", &v, err, sizeof(err)), SK_E_INVAL);
    assert_non_null(strstr(err, ":2:14: 'flow.max-flows' must be a whole number, not 'lots'"));
    sk_config_free(c);
    unlink(path);
    free(path);
}

static void test_config_bad_yaml_gives_line_and_column(void **state)
{
    (void)state;
    char *path = write_temp("flow:\n  max-flows: [1, 2\nstream: x\n");
    struct sk_config *c;
    char err[256] = "";
    assert_int_equal(sk_config_new(&c), 0);
    assert_int_equal(sk_config_load_file(c, path, err, sizeof(err)), SK_E_PARSE);
    assert_non_null(strstr(err, path));
    assert_non_null(strstr(err, ":3:"));
    sk_config_free(c);
    unlink(path);
    free(path);
}

static void test_config_set_overrides_and_splits_lists(void **state)
{
    (void)state;
    struct sk_config *c;
    char err[256];
    bool b;
    const char *const *items;
    assert_int_equal(sk_config_new(&c), 0);
    assert_int_equal(sk_config_set(c, "smtp.log-credentials=yes"), 0);
    assert_int_equal(sk_config_bool(c, "smtp.log-credentials", &b, err, sizeof(err)), 0);
    assert_true(b);
    assert_int_equal(sk_config_set(c, "smtp.ports=25,2525"), 0);
    assert_int_equal(sk_config_list(c, "smtp.ports", &items), 2);
    assert_string_equal(items[1], "2525");
    assert_int_equal(sk_config_set(c, "no-equals-sign"), SK_E_INVAL);
    assert_int_equal(sk_config_set(c, "outputs.eve.enabled=maybe"), 0);
    assert_int_equal(sk_config_bool(c, "outputs.eve.enabled", &b, err, sizeof(err)), SK_E_INVAL);
    assert_non_null(strstr(err, "--set: 'outputs.eve.enabled' must be yes or no"));
    sk_config_free(c);
}

/* Loads text and runs sk_config_check(); returns its code, err holds the first error. */
static int check_text(const char *text, const char *set, char *err, size_t errlen)
{
    char *path = write_temp(text);
    struct sk_config *c;
    assert_int_equal(sk_config_new(&c), 0);
    assert_int_equal(sk_config_load_file(c, path, err, errlen), 0);
    if (set)
        assert_int_equal(sk_config_set(c, set), 0);
    err[0] = '\0';
    int rc = sk_config_check(c, err, errlen);
    sk_config_free(c);
    unlink(path);
    free(path);
    return rc;
}

static void test_config_check_unknown_and_types(void **state)
{
    (void)state;
    char err[256];
    /* a typo is an error by default, at its place */
    assert_int_equal(check_text("flow:\n  tmeout:\n    new: 3\n", NULL, err, sizeof(err)),
                     SK_E_INVAL);
    assert_non_null(strstr(err, ":3:10: unknown configuration key 'flow.tmeout.new'"));
    /* strict: no (in the file, or --set config.strict=no) keeps it a warning */
    assert_int_equal(
        check_text("strict: no\nflow:\n  tmeout:\n    new: 3\n", NULL, err, sizeof(err)), 0);
    assert_int_equal(
        check_text("flow:\n  tmeout:\n    new: 3\n", "config.strict=no", err, sizeof(err)), 0);
    /* a list where a scalar is wanted, a mapping where a list is: errors with key and type,
     * strict or not */
    assert_int_equal(check_text("strict: no\nworkers: [1, 2]\n", NULL, err, sizeof(err)),
                     SK_E_INVAL);
    assert_non_null(strstr(err, "'workers' must be a string, not a list"));
    assert_int_equal(check_text("strict: no\nrule-files: {a: b}\n", NULL, err, sizeof(err)),
                     SK_E_INVAL);
    assert_non_null(strstr(err, "'rule-files' must be a list, not a mapping"));
    /* known keys pass */
    assert_int_equal(
        check_text("flow:\n  timeout:\n    new: 3\nrule-files: [a]\n", NULL, err, sizeof(err)), 0);
}

/* EVE sinks: keys below outputs.eve.sinks.NAME (a wildcard segment in the middle), the
 * librdkafka pass-through (any depth), the sink names in file order, and their defaults. */
static void test_config_sink_keys(void **state)
{
    (void)state;
    char *path = write_temp("outputs:\n"
                            "  eve:\n"
                            "    filetype: regular\n"
                            "    sinks:\n"
                            "      siem:\n"
                            "        filetype: kafka\n"
                            "        librdkafka:\n"
                            "          queue.buffering.max.ms: 5\n"
                            "          acks: all\n"
                            "      bus:\n"
                            "        filetype: redis\n"
                            "        port: 6380\n");
    struct sk_config *c;
    char err[256] = "";
    assert_int_equal(sk_config_new(&c), 0);
    assert_int_equal(sk_config_load_file(c, path, err, sizeof(err)), 0);
    assert_int_equal(sk_config_check(c, err, sizeof(err)), 0);
    char **names;
    assert_int_equal(sk_config_groups(c, "outputs.eve.sinks", &names), 2);
    assert_string_equal(names[0], "siem");
    assert_string_equal(names[1], "bus");
    free(names[0]);
    free(names[1]);
    free(names);
    uint64_t port;
    assert_int_equal(sk_config_u64(c, "outputs.eve.sinks.bus.port", &port, err, sizeof(err)), 0);
    assert_int_equal(port, 6380);
    assert_int_equal(sk_config_u64(c, "outputs.eve.sinks.siem.port", &port, err, sizeof(err)), 0);
    assert_int_equal(port, 6379); /* the default below any sink name */
    assert_string_equal(sk_config_str(c, "outputs.eve.sinks.siem.topic"), "shrike");
    /* a key no sink has is unknown, however deep */
    assert_int_equal(sk_config_set(c, "outputs.eve.sinks.bus.colour=red"), 0);
    assert_int_equal(sk_config_check(c, err, sizeof(err)), SK_E_INVAL);
    assert_non_null(strstr(err, "outputs.eve.sinks.bus.colour"));
    sk_config_free(c);
    unlink(path);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_yaml_is_flattened),
        cmocka_unit_test(test_config_bad_value_names_key_and_place),
        cmocka_unit_test(test_config_bad_yaml_gives_line_and_column),
        cmocka_unit_test(test_config_set_overrides_and_splits_lists),
        cmocka_unit_test(test_config_check_unknown_and_types),
        cmocka_unit_test(test_config_sink_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
