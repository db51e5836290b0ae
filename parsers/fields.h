/* SPDX-License-Identifier: GPL-2.0-only */
/* The field table (DESIGN.md "Fields and rule buffers"): every normalised field a parser
 * can emit, with the rule-buffer name rules use for it and how it is matched. Rules
 * resolve names to ids through sk_field_lookup(); nothing else of a parser is visible to
 * rules/. Names follow Suricata's where Suricata has one. */
#ifndef SK_FIELDS_H
#define SK_FIELDS_H

#include <stddef.h>

enum sk_field_kind {
    SK_FIELD_SINGLE, /* at most one value per transaction */
    SK_FIELD_MULTI,  /* any number of values per transaction; a rule matches any one */
    SK_FIELD_STREAM, /* chunks of a byte stream, BEGIN..END per instance (message, part) */
    SK_FIELD_FLAG,   /* set or not, no value */
    SK_FIELD_NUMBER, /* an unsigned number per instance (multi) */
};

/* X(ID, "rule.buffer.name", KIND, "what it holds") */
#define SK_FIELDS(X)                                                                               \
    X(SMTP_COMMAND, "smtp.command", MULTI, "the verb of each command, upper-cased")                \
    X(SMTP_ARG, "smtp.arg", MULTI, "the argument of each command, after the verb and one space")   \
    X(SMTP_COMMAND_LINE, "smtp.command_line", MULTI, "each whole command line, without CRLF")      \
    X(SMTP_REPLY_MSG, "smtp.reply_msg", MULTI, "the text of each reply line, after the code")      \
    X(SMTP_REPLY_CODE, "smtp.reply_code", NUMBER, "the code of each reply line")                   \
    X(SMTP_HELO, "smtp.helo", SINGLE, "the argument of HELO or EHLO")                              \
    X(SMTP_MAIL_FROM, "smtp.mail_from", SINGLE, "the argument of MAIL FROM, without 'FROM:'")      \
    X(SMTP_RCPT_TO, "smtp.rcpt_to", MULTI, "each RCPT TO argument, without 'TO:'")                 \
    X(SMTP_DATA, "smtp.data", STREAM, "the message as sent after DATA or in BDAT, unstuffed")      \
    X(SMTP_UNEXPECTED, "smtp.unexpected", MULTI, "smtp_unexpected msg and detail")                 \
    X(SMTP_STARTTLS, "smtp.starttls", FLAG, "the server accepted STARTTLS")                        \
    X(SMTP_AUTH_MECH, "smtp.auth_mechanism", SINGLE, "the SASL mechanism named by AUTH")           \
    X(EMAIL_FROM, "email.from", SINGLE, "From header, RFC 2047 decoded")                           \
    X(EMAIL_TO, "email.to", MULTI, "To header, RFC 2047 decoded")                                  \
    X(EMAIL_CC, "email.cc", MULTI, "Cc header, RFC 2047 decoded")                                  \
    X(EMAIL_SUBJECT, "email.subject", SINGLE, "Subject header, RFC 2047 decoded")                  \
    X(EMAIL_DATE, "email.date", SINGLE, "Date header")                                             \
    X(EMAIL_MESSAGE_ID, "email.message_id", SINGLE, "Message-ID header")                           \
    X(EMAIL_X_MAILER, "email.x_mailer", SINGLE, "X-Mailer header")                                 \
    X(EMAIL_RECEIVED, "email.received", MULTI, "each Received header")                             \
    X(EMAIL_URL, "email.url", MULTI, "each URL found in text and HTML parts")                      \
    X(EMAIL_BODY_MD5, "email.body_md5", SINGLE, "MD5 of the message body, lower-case hex")         \
    X(EMAIL_REPLY_TO, "email.reply_to", SINGLE, "Reply-To header, RFC 2047 decoded")               \
    X(EMAIL_IN_REPLY_TO, "email.in_reply_to", SINGLE, "In-Reply-To header")                        \
    X(EMAIL_X_ORIGINATING_IP, "email.x_originating_ip", SINGLE, "X-Originating-IP header")         \
    X(EMAIL_USER_AGENT, "email.user_agent", SINGLE, "User-Agent header, RFC 2047 decoded")         \
    X(EMAIL_SUBJECT_MD5, "email.subject_md5", SINGLE, "MD5 of the raw Subject, lower-case hex")    \
    X(EMAIL_STATUS, "email.status", SINGLE, "MIME parse state at the end of the message")          \
    X(FILE_DATA, "file.data", STREAM, "decoded content of each body part and attachment")          \
    X(FILE_NAME, "file.name", MULTI, "each attachment file name")

enum sk_field_id {
#define SK__FIELD_ENUM(id, name, kind, doc) SK_FIELD_##id,
    SK_FIELDS(SK__FIELD_ENUM)
#undef SK__FIELD_ENUM
        SK_FIELD_COUNT
};

struct sk_field_def {
    enum sk_field_id id;
    const char *name;
    enum sk_field_kind kind;
    const char *doc;
};

/* Returns the definition of id, or NULL when out of range. */
const struct sk_field_def *sk_field_def(enum sk_field_id id);

/* Returns the field id named name (exact, e.g. "smtp.mail_from"), or -1. */
int sk_field_lookup(const char *name);

#endif
