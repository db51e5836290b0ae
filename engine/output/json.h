/* SPDX-License-Identifier: GPL-2.0-only */
/* A growable byte buffer (after Git's strbuf) and a small streaming JSON writer on top of
 * it, used by the JSON outputs (events.json, eve.json). Any byte sequence becomes a valid
 * JSON string: valid UTF-8 passes through, every other byte is written as \u00XX of its
 * value, as Suricata does. Timestamps are ISO 8601 in UTC with microseconds, as in EVE.
 * Nothing here is shared: one buffer and one writer per thread. */
#ifndef SK_JSON_H
#define SK_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* A growable byte buffer. buf is always NUL-terminated (when non-NULL). An allocation
 * failure makes the buffer "failed": later appends are ignored and sk_buf_failed() says
 * so, so writers check once at the end of a record instead of after every append. */
struct sk_buf {
    char *buf;
    size_t len, alloc;
    bool failed;
};

#define SK_BUF_INIT                                                                                \
    {                                                                                              \
        NULL, 0, 0, false                                                                          \
    }

void sk_buf_init(struct sk_buf *b);
/* Frees the contents; the buffer may be reused after sk_buf_init(). */
void sk_buf_release(struct sk_buf *b);
/* Empties the buffer (keeps its memory) and clears the failed state. */
void sk_buf_reset(struct sk_buf *b);
/* Makes room for extra more bytes. Returns 0 or SK_E_NOMEM (and marks the buffer failed). */
int sk_buf__grow(struct sk_buf *b, size_t extra);
static inline int sk_buf_grow(struct sk_buf *b, size_t extra)
{
    /* the common case, room there is, without a call: every value of every record asks */
    if (!b->failed && extra < b->alloc - b->len)
        return 0;
    return sk_buf__grow(b, extra);
}
void sk_buf_add(struct sk_buf *b, const void *data, size_t len);
void sk_buf_addstr(struct sk_buf *b, const char *s);
/* Appends one byte: inline, as records are built a byte at a time between their values. */
static inline void sk_buf_addch(struct sk_buf *b, char c)
{
    /* the common case, a byte into room there is, without the checks of sk_buf_grow() */
    if (!b->failed && b->len + 2 <= b->alloc) {
        b->buf[b->len++] = c;
        b->buf[b->len] = '\0';
        return;
    }
    sk_buf_add(b, &c, 1);
}
void sk_buf_addf(struct sk_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* v in decimal, zero-padded to at least width digits (0: none); cheaper than sk_buf_addf(). */
void sk_buf_add_u64(struct sk_buf *b, uint64_t v, unsigned width);
static inline bool sk_buf_failed(const struct sk_buf *b)
{
    return b->failed;
}

/* Length of the valid UTF-8 sequence at p (1..4), or 0 when the bytes at p do not start
 * one (overlong forms, surrogates and code points above U+10FFFF are invalid). */
size_t sk_utf8_seq_len(const uint8_t *p, size_t n);

/* Appends p[0..n) as a quoted JSON string: '"' and '\' escaped, control bytes as \n, \r,
 * \t, \b, \f or \u00XX, valid UTF-8 unchanged, any other byte as \u00XX. */
void sk_json_escape(struct sk_buf *b, const uint8_t *p, size_t n);

/* Formats ts_us (microseconds since the epoch) as "2026-11-26T17:29:09.123456+0000" (UTC)
 * into out, which holds at least SK_JSON_TIME_LEN bytes. */
#define SK_JSON_TIME_LEN 64
void sk_json_format_time(char *out, uint64_t ts_us);

#define SK_JSON_MAX_DEPTH 32

/* A JSON writer appending to a borrowed buffer. Members with a key write "key": first and
 * are for objects; pass key NULL for array elements and the top-level value. Commas are
 * inserted as needed. Nesting deeper than SK_JSON_MAX_DEPTH marks the buffer failed. */
struct sk_json {
    struct sk_buf *out;
    unsigned depth;
    bool need_comma[SK_JSON_MAX_DEPTH + 1];
};

void sk_json_init(struct sk_json *j, struct sk_buf *out);

/* The writers take the key with its length (0 for NULL), which the inline wrappers below
 * compute: for the literal keys the outputs pass, the compiler does, and a key is checked
 * for bytes that need escaping a word at a time, never copied a byte at a time. Call the
 * wrappers; these are their bodies. */
void sk_json__object_open(struct sk_json *j, const char *key, size_t klen);
void sk_json__array_open(struct sk_json *j, const char *key, size_t klen);
void sk_json__strn(struct sk_json *j, const char *key, size_t klen, const uint8_t *p, size_t n);
void sk_json__null(struct sk_json *j, const char *key, size_t klen);
void sk_json__u64(struct sk_json *j, const char *key, size_t klen, uint64_t v);
void sk_json__i64(struct sk_json *j, const char *key, size_t klen, int64_t v);
void sk_json__bool(struct sk_json *j, const char *key, size_t klen, bool v);
struct sk_json_clock;
void sk_json__time_at(struct sk_json *j, const char *key, size_t klen, uint64_t ts_us,
                      struct sk_json_clock *c);

static inline size_t sk_json__klen(const char *key)
{
    return key ? strlen(key) : 0;
}

static inline void sk_json_object_open(struct sk_json *j, const char *key)
{
    sk_json__object_open(j, key, sk_json__klen(key));
}
void sk_json_object_close(struct sk_json *j);
static inline void sk_json_array_open(struct sk_json *j, const char *key)
{
    sk_json__array_open(j, key, sk_json__klen(key));
}
void sk_json_array_close(struct sk_json *j);
static inline void sk_json_strn(struct sk_json *j, const char *key, const uint8_t *p, size_t n)
{
    sk_json__strn(j, key, sk_json__klen(key), p, n);
}
/* A NUL-terminated string; NULL writes null. */
static inline void sk_json_str(struct sk_json *j, const char *key, const char *s)
{
    if (s)
        sk_json__strn(j, key, sk_json__klen(key), (const uint8_t *)s, strlen(s));
    else
        sk_json__null(j, key, sk_json__klen(key));
}
static inline void sk_json_u64(struct sk_json *j, const char *key, uint64_t v)
{
    sk_json__u64(j, key, sk_json__klen(key), v);
}
static inline void sk_json_i64(struct sk_json *j, const char *key, int64_t v)
{
    sk_json__i64(j, key, sk_json__klen(key), v);
}
static inline void sk_json_bool(struct sk_json *j, const char *key, bool v)
{
    sk_json__bool(j, key, sk_json__klen(key), v);
}
static inline void sk_json_null(struct sk_json *j, const char *key)
{
    sk_json__null(j, key, sk_json__klen(key));
}
/* A timestamp string as sk_json_format_time() writes it. */
void sk_json_time(struct sk_json *j, const char *key, uint64_t ts_us);

/* The last time an output formatted: records come in runs with the time of one packet. */
struct sk_json_clock {
    uint64_t ts_us;
    bool valid;
    char text[SK_JSON_TIME_LEN];
};
/* sk_json_time() formatting only when ts_us differs from the clock's last one. */
static inline void sk_json_time_at(struct sk_json *j, const char *key, uint64_t ts_us,
                                   struct sk_json_clock *c)
{
    sk_json__time_at(j, key, sk_json__klen(key), ts_us, c);
}

/* Appends n bytes of members already written as JSON ("a":1,"b":"x", no braces) as the next
 * members of the open object: for parts of a record that stay the same over many records. */
void sk_json_members(struct sk_json *j, const char *text, size_t n);

/* Writes the members that build() writes into *out as the text sk_json_members() takes.
 * Returns false (out failed) when out of memory. */
bool sk_json_members_build(struct sk_buf *out, void (*build)(struct sk_json *j, const void *arg),
                           const void *arg);

#endif
