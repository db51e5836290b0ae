/* SPDX-License-Identifier: GPL-2.0-only */
/* The SMTP command table: every verb the parser knows, from one X-macro, with the pseudo
 * commands Zeek names in smtp_reply's cmd (">" for the greeting, "." for end of data,
 * "AUTH_ANSWER" for an AUTH answer), plus the small argument parsers (MAIL/RCPT paths, BDAT sizes).
 */
#ifndef SK_SMTP_CMD_H
#define SK_SMTP_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* X(ID, "VERB") — the verbs of RFC 5321, 3030, 3207, 4954, 2645, 1869 and the extensions
 * seen in the wild (Zeek's SMTP_cmd.def, Snort 3's default command list). */
#define SK_SMTP_COMMANDS(X)                                                                        \
    X(HELO, "HELO")                                                                                \
    X(EHLO, "EHLO")                                                                                \
    X(MAIL, "MAIL")                                                                                \
    X(RCPT, "RCPT")                                                                                \
    X(DATA, "DATA")                                                                                \
    X(BDAT, "BDAT")                                                                                \
    X(RSET, "RSET")                                                                                \
    X(NOOP, "NOOP")                                                                                \
    X(VRFY, "VRFY")                                                                                \
    X(EXPN, "EXPN")                                                                                \
    X(HELP, "HELP")                                                                                \
    X(QUIT, "QUIT")                                                                                \
    X(TURN, "TURN")                                                                                \
    X(ETRN, "ETRN")                                                                                \
    X(ATRN, "ATRN")                                                                                \
    X(AUTH, "AUTH")                                                                                \
    X(STARTTLS, "STARTTLS")                                                                        \
    X(SEND, "SEND")                                                                                \
    X(SOML, "SOML")                                                                                \
    X(SAML, "SAML")                                                                                \
    X(BURL, "BURL")                                                                                \
    X(VERB, "VERB")                                                                                \
    X(ONEX, "ONEX")                                                                                \
    X(XCLIENT, "XCLIENT")                                                                          \
    X(XFORWARD, "XFORWARD")                                                                        \
    X(XEXCH50, "XEXCH50")                                                                          \
    X(XLINK2STATE, "X-LINK2STATE")                                                                 \
    X(XAUTH, "XAUTH")                                                                              \
    X(XUSR, "XUSR")                                                                                \
    X(XQUE, "XQUE")                                                                                \
    X(XSTA, "XSTA")                                                                                \
    X(XTRN, "XTRN")                                                                                \
    X(XADR, "XADR")                                                                                \
    X(XCIR, "XCIR")                                                                                \
    X(XGEN, "XGEN")                                                                                \
    X(XLICENSE, "XLICENSE")                                                                        \
    X(XTLS, "X-ANONYMOUSTLS")                                                                      \
    /* pseudo commands: never parsed from a line */                                                \
    X(GREETING, ">")                                                                               \
    X(END_OF_DATA, ".")                                                                            \
    X(AUTH_ANSWER, "AUTH_ANSWER")                                                                  \
    X(OTHER, "(UNKNOWN)")

enum sk_smtp_cmd {
#define SK__SMTP_CMD_ENUM(id, verb) SK_SMTP_CMD_##id,
    SK_SMTP_COMMANDS(SK__SMTP_CMD_ENUM)
#undef SK__SMTP_CMD_ENUM
        SK_SMTP_CMD_COUNT
};

/* The verb of a command ("MAIL", ">", ...); static. */
const char *sk_smtp_cmd_name(enum sk_smtp_cmd cmd);

/* Looks up a verb (case-insensitive, not NUL-terminated). Returns its command, or
 * SK_SMTP_CMD_OTHER when it is not a real verb (pseudo commands never match). */
enum sk_smtp_cmd sk_smtp_cmd_lookup(const uint8_t *verb, size_t len);

/* True when verb (len bytes) equals one of the NUL-terminated strings of list, without regard
 * to case. A NULL list holds nothing. */
bool sk_smtp_cmd_in_list(const char *const *list, const uint8_t *verb, size_t len);

/* MAIL FROM / RCPT TO: when arg starts with prefix ("FROM:" or "TO:", any case), sets *out to
 * the path after it: spaces skipped, then "<...>" up to its '>', or the bytes up to the next
 * space. Returns false when the prefix is missing. */
bool sk_smtp_cmd_path(const uint8_t *arg, size_t len, const char *prefix, const uint8_t **out,
                      size_t *outlen);

enum sk_smtp_bdat_parse {
    SK_SMTP_BDAT_OK = 0,
    SK_SMTP_BDAT_INVALID,  /* no digits, junk, or too large for 64 bits */
    SK_SMTP_BDAT_NEGATIVE, /* a minus sign before the digits */
};

/* Parses a BDAT argument "<size> [LAST]". */
enum sk_smtp_bdat_parse sk_smtp_cmd_bdat(const uint8_t *arg, size_t len, uint64_t *size,
                                         bool *last);

#endif
