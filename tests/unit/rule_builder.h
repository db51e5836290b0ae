/* SPDX-License-Identifier: GPL-2.0-only */
/* Test-only helpers: struct sk_rule values built by hand, and FAKE_RULESET, a minimal
 * stand-in for the rule set of rules/ruleset.h (only sk_ruleset_count, sk_ruleset_rule
 * and sk_ruleset_flowbit_count) until the tests switch to the real parser. Every
 * function aborts on allocation failure. */
#ifndef SK_TEST_RULE_BUILDER_H
#define SK_TEST_RULE_BUILDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules/rule.h"
#include "rules/ruleset.h"

/* A rule "alert smtp any any -> any any (sid:sid;)": gid 1, rev 1, msg "sid N",
 * priority 3. Caller frees with rb_rule_free() unless a fake rule set took it. */
struct sk_rule *rb_rule_new(uint32_t sid);
void rb_rule_free(struct sk_rule *r);

/* Appends a group on buffer (enum sk_field_id or enum sk_rule_buffer). The pointer is
 * valid until the next rb_group on r. */
struct sk_buffer_group *rb_group(struct sk_rule *r, int buffer);

/* Appends matches to g. Returned pointers are valid until the next append to g. All
 * numeric modifiers start unset. */
struct sk_content *rb_content(struct sk_buffer_group *g, const char *s);
struct sk_content *rb_content_bytes(struct sk_buffer_group *g, const uint8_t *b, size_t n);
/* options are PCRE2 compile options; the pattern is compiled into p->code as the parser
 * does (aborts when it does not compile). */
struct sk_pcre *rb_pcre(struct sk_buffer_group *g, const char *pattern, uint32_t options);
void rb_isdataat(struct sk_buffer_group *g, int32_t pos, bool relative, bool negated);
void rb_base64_decode(struct sk_buffer_group *g, uint32_t bytes, uint32_t offset, bool relative);
void rb_bsize(struct sk_buffer_group *g, enum sk_numop op, uint64_t a, uint64_t b);
void rb_number(struct sk_buffer_group *g, enum sk_numop op, uint64_t a, uint64_t b);
void rb_transform(struct sk_buffer_group *g, enum sk_transform t);

/* Rule options: one flowbit command on one name; an app-layer-event. */
void rb_flowbit(struct sk_rule *r, enum sk_flowbit_cmd cmd, uint32_t id);
void rb_app_event(struct sk_rule *r, int anomaly_id);

/* FAKE_RULESET: holds rules in order; the three accessors above read it. */
struct sk_ruleset *rb_fake_ruleset_new(size_t n_flowbits);
/* Takes ownership of r. */
void rb_fake_ruleset_add(struct sk_ruleset *rs, struct sk_rule *r);
void rb_fake_ruleset_free(struct sk_ruleset *rs);
/* The flowbit names (borrowed; n_flowbits of them) a reload maps ids by. */
void rb_fake_ruleset_flowbit_names(struct sk_ruleset *rs, const char *const *names);

#endif
