/* SPDX-License-Identifier: GPL-2.0-only */
/* Header value helpers of the MIME decoder: a bounded byte buffer, RFC 2047 encoded words,
 * charset conversion to UTF-8 through iconv, Content-Type/Content-Disposition parameters
 * with RFC 2231 continuations and charsets, and address-list splitting. Internal to parsers/mime/
 * (hence the sk_mime__ prefix). */
#ifndef SK_MIME_HEADER_H
#define SK_MIME_HEADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A growable byte buffer that never holds more than max bytes: appends beyond it are cut
 * and set truncated. */
struct sk_mime__buf {
    uint8_t *p;
    size_t len, cap, max;
    bool truncated;
};

void sk_mime__buf_init(struct sk_mime__buf *b, size_t max);
void sk_mime__buf_release(struct sk_mime__buf *b);
/* Appends (cut at max). Returns 0 or SK_E_NOMEM. */
int sk_mime__buf_add(struct sk_mime__buf *b, const void *p, size_t n);
void sk_mime__buf_reset(struct sk_mime__buf *b);

/* Converters to UTF-8 kept open between encoded words and messages: opening one loads a
 * gconv module, closing it unloads it, which cost more than the conversion. A few charsets
 * are cached by name (unknown ones too); the oldest entry is replaced. */
#define SK_MIME__ICONV_SLOTS 4
struct sk_mime__iconv {
    struct {
        char cs[64]; /* "" when the slot is free */
        void *cd;    /* iconv_t; NULL when iconv does not know cs */
    } slot[SK_MIME__ICONV_SLOTS];
    unsigned next; /* slot to replace */
};

/* Closes every cached converter. */
void sk_mime__iconv_release(struct sk_mime__iconv *ic);

/* Appends in, in charset, converted to UTF-8. Bytes that do not convert (or all non-ASCII
 * bytes when iconv does not know charset) are written as "\xNN". A NULL or empty charset,
 * "us-ascii" and "utf-8" copy the bytes as they are. ic: the converter cache (zeroed before
 * first use), or NULL to open and close a converter per call. Returns 0 or SK_E_NOMEM. */
int sk_mime__to_utf8(struct sk_mime__iconv *ic, struct sk_mime__buf *out, const char *charset,
                     size_t charset_len, const uint8_t *in, size_t len);

/* Appends the header value v with its RFC 2047 encoded words (B and Q, any charset iconv
 * knows) decoded to UTF-8; blanks between two encoded words are dropped, other text is
 * copied as it is. ic as for sk_mime__to_utf8. Returns 0 or SK_E_NOMEM. */
int sk_mime__decode_2047(struct sk_mime__iconv *ic, struct sk_mime__buf *out, const uint8_t *v,
                         size_t len);

/* Writes the lower-cased first token of a Content-Type/Disposition value ("text/plain",
 * "attachment") to out (size outsz, NUL-terminated, cut to fit). */
void sk_mime__value_token(const uint8_t *v, size_t len, char *out, size_t outsz);

/* Finds parameter name (ASCII, case-insensitive) in a Content-Type/Disposition value and
 * appends its value to out in UTF-8: quoted strings unquoted, RFC 2231 continuations
 * (name*0, name*1*, ...) joined in order and percent-decoded in their charset, RFC 2047
 * words in the value decoded. *found says whether the parameter was there. ic as for
 * sk_mime__to_utf8. Returns 0 or SK_E_NOMEM. */
int sk_mime__param(struct sk_mime__iconv *ic, const uint8_t *v, size_t len, const char *name,
                   struct sk_mime__buf *out, bool *found);

/* Iterates over the addresses of an address list (To, Cc): commas inside quotes, angle
 * brackets or comments do not split. Returns false at the end; else sets *item and *item_len
 * to the next address without surrounding blanks (empty ones skipped). */
bool sk_mime__addr_next(const uint8_t *v, size_t len, size_t *pos, const uint8_t **item,
                        size_t *item_len);

#endif
