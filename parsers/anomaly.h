/* SPDX-License-Identifier: GPL-2.0-only */
/* The one table of application-layer anomalies raised by the SMTP and MIME parsers. The
 * names are Suricata's where Suricata has one (rules say app-layer-event:smtp.<name>,
 * matched without regard to case), so Suricata's smtp-events.rules load unchanged. Each
 * entry has a rule in rules/smtp-events.rules and a line in docs/anomalies.md. */
#ifndef SK_ANOMALY_H
#define SK_ANOMALY_H

/* X(ID, "NAME", "what it means") */
#define SK_ANOMALIES(X)                                                                            \
    /* Suricata's SMTP decoder events */                                                           \
    X(INVALID_REPLY, "INVALID_REPLY", "a server line that is not a valid reply")                   \
    X(UNABLE_TO_MATCH_REPLY_WITH_REQUEST, "UNABLE_TO_MATCH_REPLY_WITH_REQUEST",                    \
      "a reply with no command waiting for it")                                                    \
    X(MAX_COMMAND_LINE_LEN_EXCEEDED, "MAX_COMMAND_LINE_LEN_EXCEEDED",                              \
      "a command line longer than the configured limit")                                           \
    X(MAX_REPLY_LINE_LEN_EXCEEDED, "MAX_REPLY_LINE_LEN_EXCEEDED",                                  \
      "a reply line longer than the configured limit")                                             \
    X(INVALID_PIPELINED_SEQUENCE, "INVALID_PIPELINED_SEQUENCE",                                    \
      "commands pipelined where the protocol forbids it")                                          \
    X(BDAT_CHUNK_LEN_EXCEEDED, "BDAT_CHUNK_LEN_EXCEEDED",                                          \
      "more bytes after BDAT than its size announced")                                             \
    X(NO_SERVER_WELCOME_MESSAGE, "NO_SERVER_WELCOME_MESSAGE",                                      \
      "the first server line is not a 220 greeting")                                               \
    X(TLS_REJECTED, "TLS_REJECTED", "the server refused STARTTLS")                                 \
    X(DATA_COMMAND_REJECTED, "DATA_COMMAND_REJECTED", "the server refused DATA")                   \
    X(DUPLICATE_FIELDS, "DUPLICATE_FIELDS", "a field allowed once (HELO, MAIL, a header) twice")   \
    X(UNPARSABLE_CONTENT, "UNPARSABLE_CONTENT", "content that cannot be parsed as SMTP")           \
    X(FAILED_PROTOCOL_CHANGE, "FAILED_PROTOCOL_CHANGE",                                            \
      "traffic after an accepted STARTTLS that is not TLS")                                        \
    X(INVALID_BDAT, "INVALID_BDAT", "a BDAT command whose size does not parse")                    \
    X(TRUNCATED_LINE, "TRUNCATED_LINE", "a line cut by the line limit, a gap or the flow end")     \
    /* Suricata's MIME decoder events */                                                           \
    X(MIME_INVALID_BASE64, "MIME_INVALID_BASE64", "invalid base64 in a part")                      \
    X(MIME_INVALID_QP, "MIME_INVALID_QP", "invalid quoted-printable in a part")                    \
    X(MIME_LONG_LINE, "MIME_LONG_LINE", "a message line longer than the limit")                    \
    X(MIME_LONG_ENC_LINE, "MIME_LONG_ENC_LINE", "an encoded line longer than the limit")           \
    X(MIME_LONG_HEADER_NAME, "MIME_LONG_HEADER_NAME", "a header name longer than the limit")       \
    X(MIME_LONG_HEADER_VALUE, "MIME_LONG_HEADER_VALUE", "a header value longer than the limit")    \
    X(MIME_MALFORMED_MSG, "MIME_MALFORMED_MSG", "the message structure is malformed")              \
    X(MIME_LONG_BOUNDARY, "MIME_LONG_BOUNDARY", "a boundary longer than the limit")                \
    X(MIME_LONG_FILENAME, "MIME_LONG_FILENAME", "a file name longer than the limit")               \
    X(MIME_PARSE_FAILED, "MIME_PARSE_FAILED", "the MIME parser gave up on the message")            \
    X(MIME_DEPTH_EXCEEDED, "MIME_DEPTH_EXCEEDED", "multipart nesting deeper than the limit")       \
    X(MIME_HEADER_SIZE_EXCEEDED, "MIME_HEADER_SIZE_EXCEEDED",                                      \
      "a header block larger than the limit")                                                      \
    X(MIME_MISSING_FINAL_BOUNDARY, "MIME_MISSING_FINAL_BOUNDARY",                                  \
      "a multipart ended without its closing boundary")                                            \
    X(MIME_URL_LIMIT, "MIME_URL_LIMIT", "more URLs in a message than the limit")                   \
    X(MIME_FILE_LIMIT, "MIME_FILE_LIMIT", "an attachment larger than the inspection limit")        \
    /* Shrike's own: Snort 3 SMTP inspector, Zeek weirds, smuggling */                             \
    X(UNKNOWN_COMMAND, "UNKNOWN_COMMAND", "a command verb that is not known")                      \
    X(ILLEGAL_COMMAND, "ILLEGAL_COMMAND", "a command on the configured refused list")              \
    X(COMMAND_LINE_LEN_EXCEEDED, "COMMAND_LINE_LEN_EXCEEDED",                                      \
      "a command longer than its own per-command limit")                                           \
    X(AUTH_LINE_LEN_EXCEEDED, "AUTH_LINE_LEN_EXCEEDED", "an AUTH line longer than the limit")      \
    X(XLINK2STATE, "XLINK2STATE", "an X-LINK2STATE command (CVE-2005-0560)")                       \
    X(STARTTLS_INJECTION, "STARTTLS_INJECTION",                                                    \
      "bytes sent after STARTTLS before the server's reply")                                       \
    X(BARE_LF, "BARE_LF", "a line ended by LF without CR")                                         \
    X(BARE_CR, "BARE_CR", "a CR not followed by LF inside a line")                                 \
    X(LF_CRLF_MIX, "LF_CRLF_MIX", "lines ended both by LF and by CRLF in one direction")           \
    X(NESTED_MAIL, "NESTED_MAIL", "MAIL FROM inside an open transaction")                          \
    X(TOO_MANY_PENDING_COMMANDS, "TOO_MANY_PENDING_COMMANDS",                                      \
      "more commands waiting for replies than the limit")                                          \
    X(TOO_MANY_RECIPIENTS, "TOO_MANY_RECIPIENTS", "more RCPT TO than the limit")                   \
    X(BDAT_NEGATIVE_LENGTH, "BDAT_NEGATIVE_LENGTH", "a BDAT size with a minus sign")               \
    X(SMUGGLING_END_OF_DATA, "SMUGGLING_END_OF_DATA",                                              \
      "an end-of-data marker other than CRLF.CRLF, as in SMTP smuggling")                          \
    X(REPLY_CODE_OUT_OF_RANGE, "REPLY_CODE_OUT_OF_RANGE", "a reply code outside 200-599")          \
    X(CONT_CODE_MISMATCH, "CONT_CODE_MISMATCH",                                                    \
      "a multi-line reply whose lines carry different codes")                                      \
    X(CONTENT_GAP, "CONTENT_GAP", "bytes of the session were lost")                                \
    X(APP_LAYER_MEMCAP, "APP_LAYER_MEMCAP",                                                        \
      "the flow memory cap refused the flow's app-layer state: parsing stopped")                   \
    X(SMUGGLING_ACCEPTED, "SMUGGLING_ACCEPTED",                                                    \
      "the server took a non-canonical end-of-data marker as the end of the message")              \
    X(SMUGGLING_HOLD_EXCEEDED, "SMUGGLING_HOLD_EXCEEDED",                                          \
      "the bytes held after a non-canonical end of data passed smtp.smuggling-hold")

enum sk_anomaly_id {
#define SK__ANOM_ENUM(id, name, doc) SK_ANOMALY_##id,
    SK_ANOMALIES(SK__ANOM_ENUM)
#undef SK__ANOM_ENUM
        SK_ANOMALY_COUNT
};

/* Returns the NAME of an anomaly, or NULL when out of range. */
const char *sk_anomaly_name(enum sk_anomaly_id id);
const char *sk_anomaly_doc(enum sk_anomaly_id id);

/* Returns the id whose name equals name without regard to case ("invalid_reply" and
 * "INVALID_REPLY" both work), or -1. */
int sk_anomaly_lookup(const char *name);

#endif
