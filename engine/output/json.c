/* SPDX-License-Identifier: GPL-2.0-only */
/* The growable buffer and JSON writer of json.h. Escaping follows Suricata's EVE writer so
 * that the same bytes give the same JSON: invalid UTF-8 is kept visible as \u00XX rather
 * than replaced, and the result is always valid JSON. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/error.h"
#include "engine/output/json.h"

void sk_buf_init(struct sk_buf *b)
{
    b->buf = NULL;
    b->len = 0;
    b->alloc = 0;
    b->failed = false;
}

void sk_buf_release(struct sk_buf *b)
{
    free(b->buf);
    sk_buf_init(b);
}

void sk_buf_reset(struct sk_buf *b)
{
    b->len = 0;
    b->failed = false;
    if (b->buf)
        b->buf[0] = '\0';
}

int sk_buf__grow(struct sk_buf *b, size_t extra)
{
    if (b->failed)
        return SK_E_NOMEM;
    if (extra >= SIZE_MAX / 2 - b->len) {
        b->failed = true;
        return SK_E_NOMEM;
    }
    size_t need = b->len + extra + 1;
    if (need <= b->alloc)
        return 0;
    size_t n = b->alloc ? b->alloc : 256;
    while (n < need)
        n *= 2;
    char *p = realloc(b->buf, n);
    if (!p) {
        b->failed = true; /* the old contents stay valid and are freed by release */
        return SK_E_NOMEM;
    }
    b->buf = p;
    b->alloc = n;
    return 0;
}

void sk_buf_add(struct sk_buf *b, const void *data, size_t len)
{
    if (sk_buf_grow(b, len) < 0)
        return;
    if (len)
        memcpy(b->buf + b->len, data, len);
    b->len += len;
    b->buf[b->len] = '\0';
}

void sk_buf_addstr(struct sk_buf *b, const char *s)
{
    sk_buf_add(b, s, strlen(s));
}

void sk_buf_addf(struct sk_buf *b, const char *fmt, ...)
{
    char small[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = true;
        return;
    }
    if ((size_t)n < sizeof(small)) {
        sk_buf_add(b, small, (size_t)n);
        return;
    }
    if (sk_buf_grow(b, (size_t)n) < 0)
        return;
    va_start(ap, fmt);
    vsnprintf(b->buf + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

size_t sk_utf8_seq_len(const uint8_t *p, size_t n)
{
    if (n == 0)
        return 0;
    uint8_t c = p[0];
    if (c < 0x80)
        return 1;
    size_t len;
    uint32_t min, cp;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        min = 0x80;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        min = 0x800;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        min = 0x10000;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

/* Nonzero when one of the eight bytes of w cannot go into a JSON string as it is: a byte below
 * 0x20 or from 0x80, '"' or '\'. Exact for the word as a whole (the "has less than" test of the
 * bit hacks, on w and on w xor each quote), which is all its callers ask. */
static inline uint64_t word_special(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101u, high = 0x8080808080808080u;
    uint64_t q = w ^ ('"' * ones), bs = w ^ ('\\' * ones);
    return (w | ((w - 0x20 * ones) & ~w) | ((q - ones) & ~q) | ((bs - ones) & ~bs)) & high;
}

void sk_json_escape(struct sk_buf *b, const uint8_t *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    /* worst case six bytes out per byte in */
    if (n > (SIZE_MAX - 8) / 6 || sk_buf_grow(b, n * 6 + 2) < 0) {
        b->failed = true;
        return;
    }
    char *o = b->buf + b->len;
    *o++ = '"';
    size_t i = 0, bytewise = 0; /* the bytes before bytewise go one at a time */
    while (i < n) {
        if (i >= bytewise && n - i >= 8) {
            /* most values are plain ASCII: eight bytes checked and copied at once */
            uint64_t w;
            memcpy(&w, p + i, 8);
            if (!word_special(w)) {
                memcpy(o, &w, 8);
                o += 8;
                i += 8;
                continue;
            }
            bytewise = i + 8;
        }
        uint8_t c = p[i];
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            *o++ = (char)c;
            i++;
            continue;
        }
        if (c >= 0x80) {
            size_t l = sk_utf8_seq_len(p + i, n - i);
            if (l) {
                memcpy(o, p + i, l);
                o += l;
                i += l;
                continue;
            }
        }
        *o++ = '\\';
        switch (c) {
        case '"':
            *o++ = '"';
            break;
        case '\\':
            *o++ = '\\';
            break;
        case '\n':
            *o++ = 'n';
            break;
        case '\r':
            *o++ = 'r';
            break;
        case '\t':
            *o++ = 't';
            break;
        case '\b':
            *o++ = 'b';
            break;
        case '\f':
            *o++ = 'f';
            break;
        default:
            *o++ = 'u';
            *o++ = '0';
            *o++ = '0';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 0xf];
            break;
        }
        i++;
    }
    *o++ = '"';
    *o = '\0';
    b->len = (size_t)(o - b->buf);
}

/* n as exactly width decimal digits (zero padded) at p. */
static void digits(char *p, uint64_t n, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        p[i] = (char)('0' + n % 10);
        n /= 10;
    }
}

/* Every record carries a time: the civil date comes from the day number by arithmetic
 * (H. Hinnant's days_from_civil inverse) instead of gmtime_r() and snprintf(), which cost
 * more than the rest of a small record. */
void sk_json_format_time(char *out, uint64_t ts_us)
{
    uint64_t secs = ts_us / 1000000u;
    unsigned usec = (unsigned)(ts_us % 1000000u);
    uint64_t days = secs / 86400u, sod = secs % 86400u;
    int64_t z = (int64_t)days + 719468;
    int64_t era = z / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    unsigned d = doy - (153 * mp + 2) / 5 + 1;
    unsigned m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
    if (y > 9999)
        y = 9999;
    /* "YYYY-MM-DDTHH:MM:SS.uuuuuu+0000" */
    digits(out, (uint64_t)y, 4);
    out[4] = '-';
    digits(out + 5, m, 2);
    out[7] = '-';
    digits(out + 8, d, 2);
    out[10] = 'T';
    digits(out + 11, sod / 3600u, 2);
    out[13] = ':';
    digits(out + 14, sod / 60u % 60u, 2);
    out[16] = ':';
    digits(out + 17, sod % 60u, 2);
    out[19] = '.';
    digits(out + 20, usec, 6);
    memcpy(out + 26, "+0000", 6);
}

/* v in decimal; returns the length (at most 20) of what was written at p. Two digits at a
 * time, written from the end once the length is known: ids, ports and counters are in every
 * record. */
static size_t u64_dec(char *p, uint64_t v)
{
    static const char pairs[] = "00010203040506070809101112131415161718192021222324252627282930"
                                "31323334353637383940414243444546474849505152535455565758596061"
                                "6263646566676869707172737475767778798081828384858687888990919293"
                                "949596979899";
    size_t n = 1;
    for (uint64_t t = v; t >= 10; t /= 10)
        n++;
    char *q = p + n;
    while (v >= 100) {
        unsigned d = (unsigned)(v % 100);
        v /= 100;
        q -= 2;
        memcpy(q, pairs + 2 * d, 2);
    }
    if (v >= 10) {
        q -= 2;
        memcpy(q, pairs + 2 * v, 2);
    } else {
        q[-1] = (char)('0' + v);
    }
    return n;
}

void sk_buf_add_u64(struct sk_buf *b, uint64_t v, unsigned width)
{
    if (width > 20)
        width = 20;
    if (sk_buf_grow(b, 40) < 0)
        return;
    char *o = b->buf + b->len;
    size_t n = u64_dec(o, v);
    if (n < width) { /* zero padded: the digits move right */
        memmove(o + (width - n), o, n);
        memset(o, '0', width - n);
        n = width;
    }
    b->len += n;
    b->buf[b->len] = '\0';
}

void sk_json_init(struct sk_json *j, struct sk_buf *out)
{
    j->out = out;
    j->depth = 0;
    j->need_comma[0] = false;
}

/* Copies key[0..n) to o and says whether none of it needs escaping (a byte below 0x20 or
 * from 0x80, '"' or '\'): eight bytes at a time, with overlapping loads and stores that
 * never go past either end, as every member of every record has a key. */
static bool key_copy(char *o, const char *key, size_t n)
{
    uint64_t w, odd = 0;
    uint32_t h, t;
    if (n < 4) {
        for (size_t i = 0; i < n; i++) {
            uint8_t c = (uint8_t)key[i];
            odd |= c < 0x20 || c >= 0x80 || c == '"' || c == '\\';
            o[i] = key[i];
        }
        return !odd;
    }
    if (n < 8) { /* two halves, overlapping when n < 8 */
        memcpy(&h, key, 4);
        memcpy(&t, key + n - 4, 4);
        memcpy(o, &h, 4);
        memcpy(o + n - 4, &t, 4);
        return !word_special((uint64_t)h << 32 | t);
    }
    for (size_t i = 0; i < n; i += 8) {
        size_t at = i + 8 <= n ? i : n - 8; /* the last word may overlap */
        memcpy(&w, key + at, 8);
        memcpy(o + at, &w, 8);
        odd |= word_special(w);
    }
    return !odd;
}

/* Writes the separator and key (klen bytes) of the next member. */
static void member(struct sk_json *j, const char *key, size_t klen)
{
    if (j->need_comma[j->depth])
        sk_buf_addch(j->out, ',');
    j->need_comma[j->depth] = true;
    if (!key)
        return;
    /* keys are the outputs' own names: plain ASCII, copied as they are */
    if (sk_buf_grow(j->out, klen + 3) == 0) {
        char *o = j->out->buf + j->out->len;
        if (key_copy(o + 1, key, klen)) {
            o[0] = '"';
            o[klen + 1] = '"';
            o[klen + 2] = ':';
            j->out->len += klen + 3;
            j->out->buf[j->out->len] = '\0';
            return;
        }
    }
    /* else written again over the copy, escaped */
    sk_json_escape(j->out, (const uint8_t *)key, klen);
    sk_buf_addch(j->out, ':');
}

static void open_container(struct sk_json *j, const char *key, size_t klen, char c)
{
    member(j, key, klen);
    if (j->depth >= SK_JSON_MAX_DEPTH) {
        j->out->failed = true;
        return;
    }
    sk_buf_addch(j->out, c);
    j->depth++;
    j->need_comma[j->depth] = false;
}

static void close_container(struct sk_json *j, char c)
{
    if (j->depth == 0) {
        j->out->failed = true;
        return;
    }
    sk_buf_addch(j->out, c);
    j->depth--;
}

void sk_json__object_open(struct sk_json *j, const char *key, size_t klen)
{
    open_container(j, key, klen, '{');
}

void sk_json_object_close(struct sk_json *j)
{
    close_container(j, '}');
}

void sk_json__array_open(struct sk_json *j, const char *key, size_t klen)
{
    open_container(j, key, klen, '[');
}

void sk_json_array_close(struct sk_json *j)
{
    close_container(j, ']');
}

void sk_json__strn(struct sk_json *j, const char *key, size_t klen, const uint8_t *p, size_t n)
{
    member(j, key, klen);
    sk_json_escape(j->out, p, n);
}

void sk_json__u64(struct sk_json *j, const char *key, size_t klen, uint64_t v)
{
    member(j, key, klen);
    sk_buf_add_u64(j->out, v, 0);
}

void sk_json__i64(struct sk_json *j, const char *key, size_t klen, int64_t v)
{
    char num[22];
    member(j, key, klen);
    if (v < 0) {
        num[0] = '-';
        sk_buf_add(j->out, num, 1 + u64_dec(num + 1, (uint64_t)0 - (uint64_t)v));
    } else {
        sk_buf_add(j->out, num, u64_dec(num, (uint64_t)v));
    }
}

void sk_json__bool(struct sk_json *j, const char *key, size_t klen, bool v)
{
    member(j, key, klen);
    if (v)
        sk_buf_add(j->out, "true", 4);
    else
        sk_buf_add(j->out, "false", 5);
}

void sk_json__null(struct sk_json *j, const char *key, size_t klen)
{
    member(j, key, klen);
    sk_buf_add(j->out, "null", 4);
}

void sk_json_time(struct sk_json *j, const char *key, uint64_t ts_us)
{
    struct sk_json_clock c = {.valid = false};
    /* nothing in a time needs escaping */
    sk_json_time_at(j, key, ts_us, &c);
}

void sk_json__time_at(struct sk_json *j, const char *key, size_t klen, uint64_t ts_us,
                      struct sk_json_clock *c)
{
    if (!c->valid || c->ts_us != ts_us) {
        sk_json_format_time(c->text, ts_us);
        c->ts_us = ts_us;
        c->valid = true;
    }
    member(j, key, klen);
    if (sk_buf_grow(j->out, 33) < 0)
        return;
    char *o = j->out->buf + j->out->len;
    o[0] = '"';
    memcpy(o + 1, c->text, 31);
    o[32] = '"';
    j->out->len += 33;
    o[33] = '\0';
}

void sk_json_members(struct sk_json *j, const char *text, size_t n)
{
    if (n == 0)
        return;
    member(j, NULL, 0);
    sk_buf_add(j->out, text, n);
}

bool sk_json_members_build(struct sk_buf *out, void (*build)(struct sk_json *j, const void *arg),
                           const void *arg)
{
    struct sk_json j;
    sk_buf_reset(out);
    sk_json_init(&j, out);
    sk_json_object_open(&j, NULL);
    build(&j, arg);
    sk_json_object_close(&j);
    if (sk_buf_failed(out) || out->len < 2)
        return false;
    /* the members without the braces */
    memmove(out->buf, out->buf + 1, out->len - 2);
    out->len -= 2;
    out->buf[out->len] = '\0';
    return true;
}
