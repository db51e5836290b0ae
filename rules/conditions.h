/* SPDX-License-Identifier: GPL-2.0-only */
/* The conditions of a rule outside its buffers: the header (addresses and ports, -> and
 * <>), flow: flags, and flowbits checks and commands on a flow's bit set. Pure functions
 * of the rule, the flow and the bits; thread safe. */
#ifndef SK_CONDITIONS_H
#define SK_CONDITIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/flow/stream.h"
#include "rules/rule.h"

/* The rule's addresses and ports against data sent by the originator (is_orig) or the
 * responder of f: the sender is the source. A bidirectional rule also matches reversed. */
bool sk_cond_header(const struct sk_rule *r, const struct sk_flow *f, bool is_orig);

/* flow: to_server/to_client against the direction of the data, established/not_established
 * against the flow (established once the handshake completed, or picked up midstream).
 * only_stream, no_stream and stateless do not restrict anything. */
bool sk_cond_flow(const struct sk_rule *r, const struct sk_flow *f, bool is_orig);

/* flowbits isset/isnotset against bits[0..n_bits) (ids past n_bits are unset). */
bool sk_cond_flowbits(const struct sk_rule *r, const uint8_t *bits, size_t n_bits);

/* Applies the rule's flowbits set/unset/toggle to bits. */
void sk_cond_flowbits_apply(const struct sk_rule *r, uint8_t *bits, size_t n_bits);

/* dsize and flags: against the packet's TCP flags and payload length. */
bool sk_cond_packet(const struct sk_rule *r, uint8_t tcp_flags, size_t dsize);

/* stream_size: against the bytes the client and the server sent so far. */
bool sk_cond_stream_size(const struct sk_rule *r, uint64_t client, uint64_t server);

/* Bit i of a byte array. */
bool sk_bit_get(const uint8_t *bits, size_t i);
void sk_bit_put(uint8_t *bits, size_t i, bool v);

#endif
