/* SPDX-License-Identifier: GPL-2.0-only */
/* The error, field and anomaly tables: every entry is named, lookups round-trip, and
 * Suricata's lower-case anomaly names resolve. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "engine/error.h"
#include "parsers/anomaly.h"
#include "parsers/fields.h"

static void test_registry_strerror_names_every_code(void **state)
{
    (void)state;
    assert_string_equal(sk_strerror(SK_E_OK), "success");
    assert_string_equal(sk_strerror(SK_E_NOMEM), "out of memory");
    assert_string_equal(sk_strerror(12345), "unknown error");
}

static void test_registry_fields_round_trip(void **state)
{
    (void)state;
    for (int i = 0; i < SK_FIELD_COUNT; i++) {
        const struct sk_field_def *d = sk_field_def((enum sk_field_id)i);
        assert_non_null(d);
        assert_int_equal(sk_field_lookup(d->name), i);
    }
    assert_int_equal(sk_field_lookup("smtp.mail_from"), SK_FIELD_SMTP_MAIL_FROM);
    assert_int_equal(sk_field_lookup("smtp.helo2"), -1);
    assert_null(sk_field_def(SK_FIELD_COUNT));
}

static void test_registry_anomaly_lookup_ignores_case(void **state)
{
    (void)state;
    assert_int_equal(sk_anomaly_lookup("invalid_reply"), SK_ANOMALY_INVALID_REPLY);
    assert_int_equal(sk_anomaly_lookup("MIME_INVALID_BASE64"), SK_ANOMALY_MIME_INVALID_BASE64);
    assert_int_equal(sk_anomaly_lookup("no_such_thing"), -1);
    for (int i = 0; i < SK_ANOMALY_COUNT; i++) {
        assert_non_null(sk_anomaly_doc((enum sk_anomaly_id)i));
        assert_int_equal(sk_anomaly_lookup(sk_anomaly_name((enum sk_anomaly_id)i)), i);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registry_strerror_names_every_code),
        cmocka_unit_test(test_registry_fields_round_trip),
        cmocka_unit_test(test_registry_anomaly_lookup_ignores_case),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
