/* SPDX-License-Identifier: GPL-2.0-only */
/* Address and port sets of a rule header: parsing (single, CIDR v4/v6, ranges, lists
 * `[..]` nested, negation `!`, `any`, `$VARS` resolved recursively) and matching. */
#ifndef SK_RULES_ADDRESS_H
#define SK_RULES_ADDRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules/rule.h"

struct sk_rule_ctx;

/* Maximum nesting of variables inside variables (and of brackets). */
#define SK_ADDRESS_MAX_DEPTH 16

/* Parses the address set written in s[0..len) at text offset off of ctx's rule into *out
 * (released with sk_addr_set_release). Returns 0, SK_E_PARSE (ctx failed with the
 * position and reason) or SK_E_NOMEM. */
int sk_address_parse(struct sk_rule_ctx *ctx, const char *s, size_t len, size_t off,
                     struct sk_addr_set *out);

/* Same for a port set. */
int sk_address_parse_ports(struct sk_rule_ctx *ctx, const char *s, size_t len, size_t off,
                           struct sk_port_set *out);

/* Whether addr / port is in the set (see struct sk_addr_set for the semantics). */
bool sk_addr_set_match(const struct sk_addr_set *set, const struct sk_addr *addr);
bool sk_port_set_match(const struct sk_port_set *set, uint16_t port);

void sk_addr_set_release(struct sk_addr_set *set);
void sk_port_set_release(struct sk_port_set *set);

#endif
