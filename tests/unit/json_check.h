/* SPDX-License-Identifier: GPL-2.0-only */
/* A strict RFC 8259 JSON validator for the tests: checks that a text is exactly one JSON
 * value (no trailing bytes), that strings hold only valid UTF-8 and legal escapes, and
 * can decode a string value into code points for round-trip checks. */
#ifndef SK_TEST_JSON_CHECK_H
#define SK_TEST_JSON_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "engine/output/json.h"

struct jc {
    const char *p, *e;
    int depth;
};

static bool jc_value(struct jc *c);

static void jc_ws(struct jc *c)
{
    while (c->p < c->e && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static int jc_hex(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* Parses a string at c->p; stores up to max decoded code points in cps (may be NULL). */
static bool jc_string_cp(struct jc *c, uint32_t *cps, size_t max, size_t *ncp)
{
    size_t n = 0;
    if (c->p >= c->e || *c->p != '"')
        return false;
    c->p++;
    while (c->p < c->e && *c->p != '"') {
        uint8_t ch = (uint8_t)*c->p;
        uint32_t cp;
        if (ch < 0x20)
            return false;
        if (ch == '\\') {
            if (c->e - c->p < 2)
                return false;
            char k = c->p[1];
            c->p += 2;
            switch (k) {
            case '"':
                cp = '"';
                break;
            case '\\':
                cp = '\\';
                break;
            case '/':
                cp = '/';
                break;
            case 'b':
                cp = '\b';
                break;
            case 'f':
                cp = '\f';
                break;
            case 'n':
                cp = '\n';
                break;
            case 'r':
                cp = '\r';
                break;
            case 't':
                cp = '\t';
                break;
            case 'u': {
                if (c->e - c->p < 4)
                    return false;
                cp = 0;
                for (int i = 0; i < 4; i++) {
                    int h = jc_hex(c->p[i]);
                    if (h < 0)
                        return false;
                    cp = cp * 16 + (uint32_t)h;
                }
                c->p += 4;
                break;
            }
            default:
                return false;
            }
        } else if (ch >= 0x80) {
            size_t l = sk_utf8_seq_len((const uint8_t *)c->p, (size_t)(c->e - c->p));
            if (!l)
                return false;
            cp = l == 2 ? ch & 0x1fu : l == 3 ? ch & 0x0fu : ch & 0x07u;
            for (size_t i = 1; i < l; i++)
                cp = (cp << 6) | ((uint8_t)c->p[i] & 0x3fu);
            c->p += l;
        } else {
            cp = ch;
            c->p++;
        }
        if (cps && n < max)
            cps[n] = cp;
        n++;
    }
    if (c->p >= c->e)
        return false;
    c->p++;
    if (ncp)
        *ncp = n;
    return true;
}

static bool jc_number(struct jc *c)
{
    const char *s = c->p;
    if (c->p < c->e && *c->p == '-')
        c->p++;
    if (c->p >= c->e)
        return false;
    if (*c->p == '0')
        c->p++;
    else if (*c->p >= '1' && *c->p <= '9')
        while (c->p < c->e && *c->p >= '0' && *c->p <= '9')
            c->p++;
    else
        return false;
    if (c->p < c->e && *c->p == '.') {
        c->p++;
        if (c->p >= c->e || *c->p < '0' || *c->p > '9')
            return false;
        while (c->p < c->e && *c->p >= '0' && *c->p <= '9')
            c->p++;
    }
    return c->p > s;
}

static bool jc_lit(struct jc *c, const char *w)
{
    size_t l = strlen(w);
    if ((size_t)(c->e - c->p) < l || memcmp(c->p, w, l) != 0)
        return false;
    c->p += l;
    return true;
}

static bool jc_value(struct jc *c)
{
    jc_ws(c);
    if (c->p >= c->e || ++c->depth > 64)
        return false;
    bool ok;
    char ch = *c->p;
    if (ch == '{' || ch == '[') {
        char close = ch == '{' ? '}' : ']';
        c->p++;
        jc_ws(c);
        if (c->p < c->e && *c->p == close) {
            c->p++;
            ok = true;
        } else {
            for (;;) {
                if (ch == '{') {
                    jc_ws(c);
                    if (!jc_string_cp(c, NULL, 0, NULL))
                        return false;
                    jc_ws(c);
                    if (c->p >= c->e || *c->p != ':')
                        return false;
                    c->p++;
                }
                if (!jc_value(c))
                    return false;
                jc_ws(c);
                if (c->p < c->e && *c->p == ',') {
                    c->p++;
                    continue;
                }
                if (c->p < c->e && *c->p == close) {
                    c->p++;
                    break;
                }
                return false;
            }
            ok = true;
        }
    } else if (ch == '"') {
        ok = jc_string_cp(c, NULL, 0, NULL);
    } else if (ch == 't') {
        ok = jc_lit(c, "true");
    } else if (ch == 'f') {
        ok = jc_lit(c, "false");
    } else if (ch == 'n') {
        ok = jc_lit(c, "null");
    } else {
        ok = jc_number(c);
    }
    c->depth--;
    return ok;
}

/* True when s[0..n) is exactly one JSON value (surrounding white space allowed). */
static inline bool json_valid(const char *s, size_t n)
{
    struct jc c = {s, s + n, 0};
    if (!jc_value(&c))
        return false;
    jc_ws(&c);
    return c.p == c.e;
}

/* Decodes the JSON string literal s[0..n) into code points; returns the count or -1. */
static inline long json_decode_string(const char *s, size_t n, uint32_t *cps, size_t max)
{
    struct jc c = {s, s + n, 0};
    size_t k = 0;
    if (!jc_string_cp(&c, cps, max, &k) || c.p != c.e)
        return -1;
    return (long)k;
}

#endif
