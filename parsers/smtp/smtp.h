/* SPDX-License-Identifier: GPL-2.0-only */
/* The SMTP parser's public face: its ops table (parser.h), its configuration (limits,
 * command lists, credential logging) and the hook through which the MIME decoder receives
 * the unstuffed message bytes. Events, fields, transactions and anomalies are described
 * in docs/smtp.md. */
#ifndef SK_SMTP_H
#define SK_SMTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "parsers/parser.h"

/* The message-body hook. begin() is called when a message (DATA or BDAT) starts, with the
 * transaction it belongs to and the flow's sink (borrowed, valid until end()); it returns
 * an opaque body handle, or NULL to skip this message. data() receives the message as sent,
 * dot-unstuffed for DATA, with its CRLFs, in order; the bytes are borrowed for the call.
 * end() is called exactly once per begin() that returned non-NULL (at the latest by
 * state_free): complete is true when the message ended with its end-of-data marker or BDAT
 * LAST, false when it was rejected, cut by a gap, or the session ended. Calls for one flow come
 * from one thread. */
struct sk_smtp_body_ops {
    void *(*begin)(void *ctx, uint64_t tx_id, const struct sk_sink *sink);
    void (*data)(void *body, const uint8_t *buf, size_t len);
    void (*end)(void *body, bool complete);
    void *ctx;
};

/* Limits and lists. Sizes count the whole line with its CRLF. The string lists are
 * NULL-terminated arrays of verbs, compared without regard to case; they and body are
 * borrowed and must outlive every state made with this config. */
struct sk_smtp_config {
    size_t max_command_line;     /* smtp.max-command-line: MAX_COMMAND_LINE_LEN_EXCEEDED, 4096 */
    size_t max_reply_line;       /* smtp.max-reply-line: MAX_REPLY_LINE_LEN_EXCEEDED, 4096 */
    size_t max_rfc_command_line; /* smtp.max-rfc-command-line: COMMAND_LINE_LEN_EXCEEDED, 512 */
    size_t max_auth_line;        /* smtp.max-auth-line: AUTH_LINE_LEN_EXCEEDED, 2048 */
    size_t max_data_chunk;       /* smtp.max-data-chunk: longest smtp_data piece, 4096 */
    size_t max_pending_commands; /* smtp.max-pending-commands: TOO_MANY_PENDING_COMMANDS, 128 */
    size_t max_recipients;       /* smtp.max-recipients: TOO_MANY_RECIPIENTS, 100 */
    bool log_credentials;        /* smtp.log-credentials: AUTH data in clear (Zeek), true */
    size_t smuggling_hold;       /* smtp.smuggling-hold: bytes held at a smuggling marker, 64 KiB */
    const char *const *refused_commands; /* smtp.refused-commands: ILLEGAL_COMMAND, NULL */
    const char *const *allowed_commands; /* smtp.allowed-commands: extra known verbs, NULL */
    const struct sk_smtp_body_ops *body; /* MIME hook, NULL: none */
    /* The flow table's memory budget (parser.h), borrowed; NULL: unlimited. The state, its
     * line buffers, HELO copy, scratch and command queue are charged to it as they grow;
     * when a growth is refused the parser raises APP_LAYER_MEMCAP and parses no more of the
     * flow (done() turns true). */
    struct sk_mem_budget *budget;
};

/* Fills cfg with the defaults above. */
void sk_smtp_config_defaults(struct sk_smtp_config *cfg);

/* The parser. state_new() takes a struct sk_smtp_config (copied; its lists and body are
 * borrowed) or NULL for the defaults, and returns 0, SK_E_NOMEM, or SK_E_INVAL (a line or
 * chunk limit under 16 bytes, a zero pending/RFC/AUTH limit, or a sink without emit), or
 * SK_E_LIMIT when the budget refuses the state. A state starts small (no line buffer, a
 * queue of 4 commands) and grows on demand up to the limits, charging the budget. States
 * are independent: one per flow, one thread at a time. Events, transactions and fields are
 * described in docs/smtp.md. */
extern const struct sk_parser_ops sk_smtp_parser;

#endif
