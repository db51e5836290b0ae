/* SPDX-License-Identifier: GPL-2.0-only */
/* The one table of error codes. A function that can fail returns 0 or a negative
 * SK_E_* code; sk_strerror() names it. Malformed traffic is never an error: it is an
 * anomaly raised through a sink. */
#ifndef SK_ERROR_H
#define SK_ERROR_H

#define SK_ERRORS(X)                                                                               \
    X(OK, 0, "success")                                                                            \
    X(NOMEM, -1, "out of memory")                                                                  \
    X(INVAL, -2, "invalid argument")                                                               \
    X(IO, -3, "input/output error")                                                                \
    X(FORMAT, -4, "bad file format")                                                               \
    X(NOTFOUND, -5, "not found")                                                                   \
    X(LIMIT, -6, "limit reached")                                                                  \
    X(PARSE, -7, "parse error")                                                                    \
    X(UNSUPPORTED, -8, "unsupported")                                                              \
    X(PCAP, -9, "libpcap error")                                                                   \
    X(HS, -10, "hyperscan error")                                                                  \
    X(PCRE, -11, "pcre2 error")                                                                    \
    X(EXISTS, -12, "already exists")                                                               \
    X(TRUNCATED, -13, "truncated input")                                                           \
    X(AGAIN, -14, "try again")

enum sk_error {
#define SK__ERR_ENUM(name, code, text) SK_E_##name = (code),
    SK_ERRORS(SK__ERR_ENUM)
#undef SK__ERR_ENUM
};

/* Returns a static, lower-case description of an SK_E_* code ("unknown error" for
 * anything else). Thread safe. */
const char *sk_strerror(int err);

#endif
