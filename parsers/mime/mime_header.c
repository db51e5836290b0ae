/* SPDX-License-Identifier: GPL-2.0-only */
/* Header value decoding: RFC 2047 encoded words, RFC 2231 parameters, charsets through
 * glibc's iconv, address lists. Everything ends up in UTF-8; bytes that do not convert
 * stay visible as "\xNN" so a rule or an analyst still sees that they were there. */
#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/error.h"
#include "parsers/mime/mime_decode.h"
#include "parsers/mime/mime_header.h"

void sk_mime__buf_init(struct sk_mime__buf *b, size_t max)
{
    memset(b, 0, sizeof(*b));
    b->max = max;
}

void sk_mime__buf_release(struct sk_mime__buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

void sk_mime__buf_reset(struct sk_mime__buf *b)
{
    b->len = 0;
    b->truncated = false;
}

int sk_mime__buf_add(struct sk_mime__buf *b, const void *p, size_t n)
{
    if (n > b->max - b->len) {
        n = b->max - b->len;
        b->truncated = true;
    }
    if (n == 0)
        return 0;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n)
            cap *= 2;
        if (cap > b->max)
            cap = b->max;
        uint8_t *np = realloc(b->p, cap);
        if (np == NULL)
            return SK_E_NOMEM;
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
    return 0;
}

static int add_escaped(struct sk_mime__buf *out, uint8_t c)
{
    char esc[5];
    snprintf(esc, sizeof(esc), "\\x%02X", c);
    return sk_mime__buf_add(out, esc, 4);
}

/* Copies ASCII, writes other bytes as "\xNN": for text in a charset nobody knows. */
static int add_ascii_escaped(struct sk_mime__buf *out, const uint8_t *in, size_t len)
{
    int rc = 0;
    for (size_t i = 0; i < len && rc == 0; i++)
        rc = in[i] < 0x80 ? sk_mime__buf_add(out, &in[i], 1) : add_escaped(out, in[i]);
    return rc;
}

void sk_mime__iconv_release(struct sk_mime__iconv *ic)
{
    for (unsigned i = 0; i < SK_MIME__ICONV_SLOTS; i++) {
        if (ic->slot[i].cd != NULL)
            iconv_close((iconv_t)ic->slot[i].cd);
        ic->slot[i].cd = NULL;
        ic->slot[i].cs[0] = '\0';
    }
    ic->next = 0;
}

/* A converter from cs (shorter than 64 bytes) in its initial state, or (iconv_t)-1. */
static iconv_t cached_iconv(struct sk_mime__iconv *ic, const char *cs)
{
    for (unsigned i = 0; i < SK_MIME__ICONV_SLOTS; i++) {
        if (ic->slot[i].cs[0] == '\0' || strcasecmp(ic->slot[i].cs, cs) != 0)
            continue;
        if (ic->slot[i].cd == NULL)
            return (iconv_t)-1;
        iconv((iconv_t)ic->slot[i].cd, NULL, NULL, NULL, NULL);
        return (iconv_t)ic->slot[i].cd;
    }
    unsigned k = ic->next;
    ic->next = (k + 1) % SK_MIME__ICONV_SLOTS;
    if (ic->slot[k].cd != NULL)
        iconv_close((iconv_t)ic->slot[k].cd);
    iconv_t cd = iconv_open("UTF-8", cs);
    ic->slot[k].cd = cd == (iconv_t)-1 ? NULL : (void *)cd;
    snprintf(ic->slot[k].cs, sizeof(ic->slot[k].cs), "%s", cs);
    return cd;
}

int sk_mime__to_utf8(struct sk_mime__iconv *ic, struct sk_mime__buf *out, const char *charset,
                     size_t charset_len, const uint8_t *in, size_t len)
{
    char cs[64];
    int rc = 0;
    if (charset == NULL || charset_len == 0)
        return sk_mime__buf_add(out, in, len);
    /* RFC 2231 section 5: "charset*language". */
    const char *star = memchr(charset, '*', charset_len);
    if (star != NULL)
        charset_len = (size_t)(star - charset);
    if (charset_len == 0 || charset_len >= sizeof(cs))
        return add_ascii_escaped(out, in, len);
    memcpy(cs, charset, charset_len);
    cs[charset_len] = '\0';
    iconv_t cd = ic != NULL ? cached_iconv(ic, cs) : iconv_open("UTF-8", cs);
    if (cd == (iconv_t)-1)
        return add_ascii_escaped(out, in, len);
    char *ip = (char *)(uintptr_t)in;
    size_t il = len;
    while (il > 0) {
        char tmp[256];
        char *op = tmp;
        size_t ol = sizeof(tmp);
        size_t r = iconv(cd, &ip, &il, &op, &ol);
        int err = r == (size_t)-1 ? errno : 0;
        rc = sk_mime__buf_add(out, tmp, (size_t)(op - tmp));
        if (rc != 0)
            break;
        if (err == EILSEQ || err == EINVAL) {
            rc = add_escaped(out, (uint8_t)*ip);
            if (rc != 0)
                break;
            ip++;
            il--;
            iconv(cd, NULL, NULL, NULL, NULL);
        } else if (err != 0 && err != E2BIG) {
            break;
        }
    }
    if (rc == 0) {
        char tmp[64];
        char *op = tmp;
        size_t ol = sizeof(tmp);
        iconv(cd, NULL, NULL, &op, &ol);
        rc = sk_mime__buf_add(out, tmp, (size_t)(op - tmp));
    }
    if (ic == NULL)
        iconv_close(cd);
    return rc;
}

struct ew {
    const uint8_t *cs, *text;
    size_t cs_len, text_len;
    uint8_t enc;
    size_t end; /* index after "?=" */
};

/* Parses "=?charset?E?text?=" at v[i]. */
static bool parse_word(const uint8_t *v, size_t len, size_t i, struct ew *w)
{
    size_t j = i + 2;
    w->cs = v + j;
    while (j < len && v[j] != '?' && v[j] > ' ' && v[j] < 0x7f)
        j++;
    if (j >= len || v[j] != '?' || j == i + 2)
        return false;
    w->cs_len = (size_t)(v + j - w->cs);
    if (j + 2 >= len || v[j + 2] != '?')
        return false;
    w->enc = (uint8_t)(v[j + 1] | 0x20);
    if (w->enc != 'b' && w->enc != 'q')
        return false;
    j += 3;
    w->text = v + j;
    while (j + 1 < len && !(v[j] == '?' && v[j + 1] == '=')) {
        if (v[j] == ' ' || v[j] == '\t')
            return false;
        j++;
    }
    if (j + 1 >= len)
        return false;
    w->text_len = (size_t)(v + j - w->text);
    w->end = j + 2;
    return true;
}

static size_t q_decode(const uint8_t *in, size_t len, uint8_t *out)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (in[i] == '_') {
            out[o++] = ' ';
        } else if (in[i] == '=' && i + 2 < len && sk_mime__hexval(in[i + 1]) >= 0 &&
                   sk_mime__hexval(in[i + 2]) >= 0) {
            out[o++] = (uint8_t)(sk_mime__hexval(in[i + 1]) << 4 | sk_mime__hexval(in[i + 2]));
            i += 2;
        } else {
            out[o++] = in[i];
        }
    }
    return o;
}

static bool all_blank(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n')
            return false;
    return true;
}

/* Whether v holds "=?", where an encoded word begins. */
static bool has_word_start(const uint8_t *v, size_t len)
{
    if (len < 2)
        return false; /* and v may be NULL */
    const uint8_t *end = v + len;
    for (const uint8_t *p = v; (p = memchr(p, '=', (size_t)(end - p))) != NULL && p + 1 < end; p++)
        if (p[1] == '?')
            return true;
    return false;
}

int sk_mime__decode_2047(struct sk_mime__iconv *ic, struct sk_mime__buf *out, const uint8_t *v,
                         size_t len)
{
    /* Most values hold no encoded word: copied as they are, without the scratch buffers. */
    if (!has_word_start(v, len))
        return len > 0 ? sk_mime__buf_add(out, v, len) : 0;
    /* Adjacent words of one charset are joined before conversion: encoders split multibyte
     * characters across words. */
    struct sk_mime__buf raw;
    uint8_t *tmp = malloc(len + 4);
    const uint8_t *cs = NULL;
    size_t cs_len = 0, lit = 0, i = 0;
    bool last_word = false;
    int rc = 0;
    if (tmp == NULL)
        return SK_E_NOMEM;
    sk_mime__buf_init(&raw, len + 4);
    while (i + 1 < len && rc == 0) {
        struct ew w;
        if (v[i] != '=' || v[i + 1] != '?' || !parse_word(v, len, i, &w)) {
            i++;
            continue;
        }
        bool join = last_word && all_blank(v + lit, i - lit);
        bool same = raw.len > 0 && cs_len == w.cs_len &&
                    strncasecmp((const char *)cs, (const char *)w.cs, cs_len) == 0;
        if (!join || !same) {
            if (raw.len > 0)
                rc = sk_mime__to_utf8(ic, out, (const char *)cs, cs_len, raw.p, raw.len);
            sk_mime__buf_reset(&raw);
            if (!join && rc == 0)
                rc = sk_mime__buf_add(out, v + lit, i - lit);
        }
        bool bad = false;
        size_t n = w.enc == 'b' ? sk_mime__b64_decode_all(w.text, w.text_len, tmp, &bad)
                                : q_decode(w.text, w.text_len, tmp);
        if (rc == 0)
            rc = sk_mime__buf_add(&raw, tmp, n);
        cs = w.cs;
        cs_len = w.cs_len;
        last_word = true;
        i = lit = w.end;
    }
    if (rc == 0 && raw.len > 0)
        rc = sk_mime__to_utf8(ic, out, (const char *)cs, cs_len, raw.p, raw.len);
    if (rc == 0 && lit < len)
        rc = sk_mime__buf_add(out, v + lit, len - lit);
    sk_mime__buf_release(&raw);
    free(tmp);
    return rc;
}

static bool is_blank(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

void sk_mime__value_token(const uint8_t *v, size_t len, char *out, size_t outsz)
{
    size_t i = 0, o = 0;
    while (i < len && is_blank(v[i]))
        i++;
    for (; i < len && v[i] != ';' && !is_blank(v[i]) && o + 1 < outsz; i++)
        out[o++] = (char)(v[i] >= 'A' && v[i] <= 'Z' ? v[i] | 0x20 : v[i]);
    out[o] = '\0';
}

#define MAX_SECTIONS 64

struct section {
    unsigned idx;
    bool ext, quoted;
    const uint8_t *val;
    size_t len;
};

/* Appends a quoted-string's content without its backslash escapes. */
static int add_unquoted(struct sk_mime__buf *out, const uint8_t *p, size_t n, bool quoted)
{
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (quoted && p[i] == '\\' && i + 1 < n)
            i++;
        rc = sk_mime__buf_add(out, &p[i], 1);
    }
    return rc;
}

static int add_pct_decoded(struct sk_mime__buf *out, const uint8_t *p, size_t n)
{
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        uint8_t c = p[i];
        if (c == '%' && i + 2 < n && sk_mime__hexval(p[i + 1]) >= 0 &&
            sk_mime__hexval(p[i + 2]) >= 0) {
            c = (uint8_t)(sk_mime__hexval(p[i + 1]) << 4 | sk_mime__hexval(p[i + 2]));
            i += 2;
        }
        rc = sk_mime__buf_add(out, &c, 1);
    }
    return rc;
}

/* Joins the RFC 2231 sections of one parameter (sorted by index) into out in UTF-8. */
static int join_sections(struct sk_mime__iconv *ic, struct section *s, size_t ns,
                         struct sk_mime__buf *out)
{
    for (size_t i = 1; i < ns; i++)
        for (size_t j = i; j > 0 && s[j - 1].idx > s[j].idx; j--) {
            struct section t = s[j];
            s[j] = s[j - 1];
            s[j - 1] = t;
        }
    const uint8_t *cs = NULL;
    size_t cs_len = 0;
    struct sk_mime__buf raw;
    int rc = 0;
    size_t total = 0;
    for (size_t i = 0; i < ns; i++)
        total += s[i].len;
    sk_mime__buf_init(&raw, total + 1);
    for (size_t i = 0; i < ns && rc == 0; i++) {
        const uint8_t *val = s[i].val;
        size_t len = s[i].len;
        if (i == 0 && s[i].ext) {
            /* charset'language'value */
            const uint8_t *q1 = memchr(val, '\'', len);
            const uint8_t *q2 = q1 ? memchr(q1 + 1, '\'', len - (size_t)(q1 + 1 - val)) : NULL;
            if (q2 != NULL) {
                cs = val;
                cs_len = (size_t)(q1 - val);
                len -= (size_t)(q2 + 1 - val);
                val = q2 + 1;
            }
        }
        rc = s[i].ext ? add_pct_decoded(&raw, val, len) : add_unquoted(&raw, val, len, s[i].quoted);
    }
    if (rc == 0)
        rc = cs_len > 0 ? sk_mime__to_utf8(ic, out, (const char *)cs, cs_len, raw.p, raw.len)
                        : sk_mime__buf_add(out, raw.p, raw.len);
    sk_mime__buf_release(&raw);
    return rc;
}

int sk_mime__param(struct sk_mime__iconv *ic, const uint8_t *v, size_t len, const char *name,
                   struct sk_mime__buf *out, bool *found)
{
    struct section sec[MAX_SECTIONS];
    size_t ns = 0, nlen = strlen(name);
    const uint8_t *plain = NULL;
    size_t plain_len = 0;
    bool plain_quoted = false;
    size_t i = 0;
    *found = false;
    /* Skip the type token. */
    while (i < len && v[i] != ';')
        i++;
    while (i < len) {
        while (i < len && (v[i] == ';' || is_blank(v[i])))
            i++;
        size_t ns0 = i;
        while (i < len && v[i] != '=' && v[i] != ';')
            i++;
        size_t ne = i;
        while (ne > ns0 && is_blank(v[ne - 1]))
            ne--;
        if (i >= len || v[i] != '=')
            continue;
        i++;
        while (i < len && is_blank(v[i]))
            i++;
        const uint8_t *val = v + i;
        size_t vlen;
        bool quoted = false;
        if (i < len && v[i] == '"') {
            quoted = true;
            i++;
            val = v + i;
            while (i < len && v[i] != '"') {
                if (v[i] == '\\' && i + 1 < len)
                    i++;
                i++;
            }
            vlen = (size_t)(v + i - val);
            if (i < len)
                i++;
            while (i < len && v[i] != ';')
                i++;
        } else {
            while (i < len && v[i] != ';')
                i++;
            vlen = (size_t)(v + i - val);
            while (vlen > 0 && is_blank(val[vlen - 1]))
                vlen--;
        }
        const uint8_t *pn = v + ns0;
        size_t pl = ne - ns0;
        if (pl < nlen || strncasecmp((const char *)pn, name, nlen) != 0)
            continue;
        if (pl == nlen) {
            if (plain == NULL) {
                plain = val;
                plain_len = vlen;
                plain_quoted = quoted;
            }
            continue;
        }
        if (pn[nlen] != '*' || ns == MAX_SECTIONS)
            continue;
        /* name*  |  name*N  |  name*N* */
        size_t k = nlen + 1;
        unsigned idx = 0;
        bool digits = false;
        while (k < pl && pn[k] >= '0' && pn[k] <= '9' && idx < 100000) {
            idx = idx * 10 + (unsigned)(pn[k] - '0');
            k++;
            digits = true;
        }
        bool ext = !digits || (k < pl && pn[k] == '*');
        if (k + (digits && ext ? 1 : 0) != pl)
            continue;
        sec[ns++] = (struct section){idx, ext, quoted, val, vlen};
    }
    if (ns > 0) {
        *found = true;
        return join_sections(ic, sec, ns, out);
    }
    if (plain != NULL) {
        struct sk_mime__buf raw;
        int rc;
        *found = true;
        sk_mime__buf_init(&raw, plain_len + 1);
        rc = add_unquoted(&raw, plain, plain_len, plain_quoted);
        if (rc == 0)
            rc = sk_mime__decode_2047(ic, out, raw.p, raw.len);
        sk_mime__buf_release(&raw);
        return rc;
    }
    return 0;
}

bool sk_mime__addr_next(const uint8_t *v, size_t len, size_t *pos, const uint8_t **item,
                        size_t *item_len)
{
    size_t i = *pos;
    while (i < len) {
        size_t start = i;
        bool quote = false;
        int angle = 0, paren = 0;
        for (; i < len; i++) {
            uint8_t c = v[i];
            if (quote) {
                if (c == '\\' && i + 1 < len)
                    i++;
                else if (c == '"')
                    quote = false;
            } else if (c == '"') {
                quote = true;
            } else if (c == '<') {
                angle++;
            } else if (c == '>' && angle > 0) {
                angle--;
            } else if (c == '(') {
                paren++;
            } else if (c == ')' && paren > 0) {
                paren--;
            } else if (c == ',' && angle == 0 && paren == 0) {
                break;
            }
        }
        size_t end = i;
        if (i < len)
            i++;
        while (start < end && is_blank(v[start]))
            start++;
        while (end > start && is_blank(v[end - 1]))
            end--;
        if (end > start) {
            *pos = i;
            *item = v + start;
            *item_len = end - start;
            return true;
        }
    }
    *pos = i;
    return false;
}
