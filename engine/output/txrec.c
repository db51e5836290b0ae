/* SPDX-License-Identifier: GPL-2.0-only */
/* Builds struct sk_tx_record from parser events (txrec.h). Records live in a small fixed
 * set of slots per flow: a closed record stays readable until a newer transaction needs
 * its slot, because the detector and the file events of a transaction may be handled
 * just after its close. The message header is scanned here only for the few columns of
 * Zeek's smtp.log that have no rule buffer (Reply-To, In-Reply-To, X-Originating-IP,
 * User-Agent). */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "engine/error.h"
#include "engine/output/json.h"
#include "engine/output/txrec.h"

/* A block of a slot's value storage: see slot_alloc(). */
struct chunk {
    struct chunk *next;
    size_t size; /* bytes of data */
    _Alignas(16) char data[];
};

struct slot {
    bool used, closed;
    uint64_t seq; /* creation order, for eviction */
    bool parse_failed;
    bool data_ended; /* the message data ended (SK_FIELD_F_END on smtp.data) */
    bool hdr_done;
    struct sk_buf hdr;    /* the message header, up to max_header bytes */
    size_t reply_alloc;   /* bytes allocated for rec.last_reply, reused by every reply */
    struct chunk *chunks; /* the record's value storage, newest block first */
    size_t chunk_used;    /* bytes taken of the newest block */
    size_t chunk_mem;     /* sk_mem_alloc_cost() of every block */
    struct sk_tx_record rec;
};

struct sk_txrec {
    struct sk_txrec_limits lim;
    char uid[24];
    char *helo; /* the session's HELO/EHLO argument */
    bool tls;
    uint64_t seq;
    uint64_t messages; /* transactions ended by their message's end: Zeek's messages_transferred */
    uint64_t row_ts;   /* when Zeek begins the next row (new_smtp_log), or 0: the next record's */
    bool smtp_seen;    /* an SMTP request or reply of the flow was seen */
    uint64_t next_tx;  /* one above the highest tx_id with a record so far */
    /* sk_txrec_memuse()'s last answer, while no event since could have changed it */
    size_t mem;
    bool mem_known;
    struct slot slots[]; /* lim.max_records, in the same allocation */
};

static const struct sk_txrec_limits default_limits = {
    .max_value_len = 4096,
    .max_items = 256,
    .max_records = 4,
    .max_header = 16384,
};

/* Copies p[0..n) to o without its NUL bytes; returns the bytes written. Values rarely hold
 * a NUL: they are found with memchr() and the runs between them copied whole. */
static size_t copy_no_nul(char *o, const uint8_t *p, size_t n)
{
    size_t w = 0;
    while (n > 0) {
        const uint8_t *nul = memchr(p, '\0', n);
        size_t run = nul ? (size_t)(nul - p) : n;
        memcpy(o + w, p, run);
        w += run;
        if (!nul)
            break;
        p += run + 1;
        n -= run + 1;
    }
    return w;
}

/* Copies p[0..n) without NUL bytes, cut to max_len; NULL when out of memory. */
static char *copy_bytes(const uint8_t *p, size_t n, size_t max_len)
{
    if (n > max_len)
        n = max_len;
    char *s = malloc(n + 1);
    if (!s)
        return NULL;
    s[copy_no_nul(s, p, n)] = '\0';
    return s;
}

static bool strlist_has(const struct sk_strlist *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i], s) == 0)
            return true;
    return false;
}

static void set_str(char **dst, const uint8_t *p, size_t n, size_t max_len)
{
    char *s = copy_bytes(p, n, max_len);
    if (!s)
        return; /* keep the old value rather than lose it */
    free(*dst);
    *dst = s;
}

/* A record's values, list items and list arrays are carved from blocks its slot owns, all
 * freed at once when the slot is released: one allocation for a record's values rather than
 * one per value (most records fit their first block). Blocks double from SLOT_CHUNK_FIRST up
 * to SLOT_CHUNK_MAX bytes (or the size of one value). Nothing is freed back into a block: a
 * value set again is rewritten in place when it fits, else copied to the heap (see
 * slot_set_str()), and a list's array that doubles leaves its old copy behind (less than the
 * final array), so a block holds at most each value's first copy, the list items and arrays. */
#define SLOT_CHUNK_FIRST 512
#define SLOT_CHUNK_MAX   65536

/* n bytes (8-aligned) of s's value storage, or NULL when out of memory. */
static void *slot_alloc(struct slot *s, size_t n)
{
    size_t need = (n + 7) & ~(size_t)7;
    struct chunk *c = s->chunks;
    if (!c || c->size - s->chunk_used < need) {
        size_t size = c ? c->size * 2 : SLOT_CHUNK_FIRST;
        if (size > SLOT_CHUNK_MAX)
            size = SLOT_CHUNK_MAX;
        if (size < need)
            size = need;
        struct chunk *nc = malloc(sizeof(*nc) + size);
        if (!nc)
            return NULL;
        nc->next = c;
        nc->size = size;
        s->chunks = c = nc;
        s->chunk_used = 0;
        s->chunk_mem += sk_mem_alloc_cost(sizeof(*nc) + size);
    }
    void *p = c->data + s->chunk_used;
    s->chunk_used += need;
    return p;
}

/* Whether p points into s's value storage (else it is NULL or its own heap allocation). */
static bool slot_owns(const struct slot *s, const char *p)
{
    uintptr_t a = (uintptr_t)p;
    for (const struct chunk *c = s->chunks; c; c = c->next)
        if (a >= (uintptr_t)c->data && a < (uintptr_t)c->data + c->size)
            return true;
    return false;
}

/* set_str() for a value of s's record: its first copy goes to the slot's storage; a later
 * one is written over it when it fits, else to the heap (as set_str() would), so a value
 * set again and again costs what it did before, not a block each time. */
static void slot_set_str(struct slot *s, char **dst, const uint8_t *p, size_t n, size_t max_len)
{
    if (n > max_len)
        n = max_len;
    char *old = *dst;
    bool owned = old && slot_owns(s, old);
    char *c;
    if (!old)
        c = slot_alloc(s, n + 1);
    else if (owned && strlen(old) >= n)
        c = old;
    else
        c = malloc(n + 1);
    if (!c)
        return; /* keep the old value rather than lose it */
    c[copy_no_nul(c, p, n)] = '\0';
    if (old && !owned)
        free(old);
    *dst = c;
}

/* Appends a copy of p[0..n) (NULs dropped, cut to max_len) to a list of s's record, array and
 * items in the slot's storage, unless it has max_items already. Returns 0, SK_E_LIMIT or
 * SK_E_NOMEM. */
static int slot_list_add(struct slot *s, struct sk_strlist *l, const uint8_t *p, size_t n,
                         size_t max_len, size_t max_items)
{
    if (l->n >= max_items)
        return SK_E_LIMIT;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 4;
        char **v = slot_alloc(s, cap * sizeof(*v));
        if (!v)
            return SK_E_NOMEM;
        if (l->n)
            memcpy(v, l->v, l->n * sizeof(*v));
        l->v = v;
        l->cap = cap;
    }
    if (n > max_len)
        n = max_len;
    char *c = slot_alloc(s, n + 1);
    if (!c)
        return SK_E_NOMEM;
    c[copy_no_nul(c, p, n)] = '\0';
    l->v[l->n++] = c;
    return 0;
}

/* Frees what a record holds outside its slot's storage (then freed by slot_release()). */
static void record_release(const struct slot *s, struct sk_tx_record *t)
{
    char **strs[] = {&t->helo,
                     &t->mail_from,
                     &t->last_reply,
                     &t->email_from,
                     &t->email_subject,
                     &t->email_date,
                     &t->email_message_id,
                     &t->email_x_mailer,
                     &t->email_reply_to,
                     &t->email_in_reply_to,
                     &t->email_x_originating_ip,
                     &t->email_user_agent,
                     &t->body_md5,
                     &t->subject_md5};
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
        if (!slot_owns(s, *strs[i]))
            free(*strs[i]);
        *strs[i] = NULL;
    }
    /* the lists are all in the slot's storage */
    for (size_t i = 0; i < t->nfiles; i++)
        free(t->files[i].name);
    free(t->files);
    t->files = NULL;
    t->nfiles = 0;
}

/* last_reply = "CODE msg" as copy_bytes() would make it (cut to max_len bytes, NULs dropped).
 * Every reply line passes here: written into the record's buffer, grown when too small, so
 * replies cost no allocation; the old value stays when it cannot grow. Returns whether the
 * buffer grew (the only change to what the builder holds). */
static bool set_reply(struct slot *s, unsigned code, const struct sk_str *msg, size_t max_len)
{
    char num[16];
    size_t cn = 0;
    if (code >= 100 && code <= 999) { /* every reply the parser accepts */
        num[0] = (char)('0' + code / 100);
        num[1] = (char)('0' + code / 10 % 10);
        num[2] = (char)('0' + code % 10);
        cn = 3;
    } else {
        char rev[12];
        size_t rn = 0;
        do {
            rev[rn++] = (char)('0' + code % 10);
            code /= 10;
        } while (code && rn < sizeof(rev));
        while (rn)
            num[cn++] = rev[--rn];
    }
    num[cn++] = ' ';
    if (cn > max_len)
        cn = max_len;
    bool grew = false;
    size_t mn = msg->len < max_len - cn ? msg->len : max_len - cn;
    if (cn + mn + 1 > s->reply_alloc) {
        size_t want = cn + mn + 1 < 64 ? 64 : cn + mn + 1;
        char *p = realloc(s->rec.last_reply, want);
        if (!p)
            return false;
        s->rec.last_reply = p;
        s->reply_alloc = want;
        grew = true;
    }
    char *o = s->rec.last_reply;
    memcpy(o, num, cn);
    o[cn + copy_no_nul(o + cn, msg->ptr, mn)] = '\0';
    return grew;
}

/* The file number of a fuid "F<uid>.<n>". */
static unsigned long fuid_number(const char *fuid)
{
    const char *dot = strrchr(fuid, '.');
    return dot ? strtoul(dot + 1, NULL, 10) : 0;
}

/* Moves the fuid just appended before those with higher numbers: files are numbered when
 * they start, and Zeek lists fuids in that order (a message/rfc822 file ends after the
 * files of its own parts but started before them). */
static void fuid_in_order(struct sk_strlist *l)
{
    size_t i = l->n - 1;
    unsigned long n = fuid_number(l->v[i]);
    while (i > 0 && fuid_number(l->v[i - 1]) > n) {
        char *t = l->v[i - 1];
        l->v[i - 1] = l->v[i];
        l->v[i] = t;
        i--;
    }
}

/* Keeps what an alert's `files` array shows of a file that ended. */
static void add_file(struct sk_tx_record *t, const struct sk_file_info *fi, size_t max_len,
                     size_t max_items)
{
    if (t->nfiles >= max_items)
        return;
    struct sk_tx_file *v = realloc(t->files, (t->nfiles + 1) * sizeof(*v));
    if (!v)
        return;
    t->files = v;
    char *name = copy_bytes(fi->name.ptr, fi->name.len, max_len);
    if (!name)
        return;
    struct sk_tx_file *tf = &t->files[t->nfiles++];
    tf->file_id = fi->file_id;
    tf->name = name;
    tf->size = fi->size;
    tf->digests = fi->digests;
    memcpy(tf->md5, fi->md5, sizeof(tf->md5));
    memcpy(tf->sha1, fi->sha1, sizeof(tf->sha1));
    memcpy(tf->sha256, fi->sha256, sizeof(tf->sha256));
    tf->state = fi->state;
    tf->gaps = fi->gaps;
    tf->stored = fi->stored;
}

static void slot_release(struct slot *s)
{
    record_release(s, &s->rec);
    sk_buf_release(&s->hdr);
    for (struct chunk *c = s->chunks, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    memset(s, 0, sizeof(*s));
}

void sk_txrec_limits_defaults(struct sk_txrec_limits *lim)
{
    *lim = default_limits;
}

int sk_txrec_new(struct sk_txrec **out, const struct sk_txrec_limits *lim, const char *uid)
{
    size_t nrec = lim && lim->max_records ? lim->max_records : lim ? 1 : default_limits.max_records;
    if (nrec > (SIZE_MAX - sizeof(struct sk_txrec)) / sizeof(struct slot))
        return SK_E_NOMEM;
    struct sk_txrec *r = calloc(1, sizeof(*r) + nrec * sizeof(struct slot));
    if (!r)
        return SK_E_NOMEM;
    r->lim = lim ? *lim : default_limits;
    r->lim.max_records = nrec;
    if (r->lim.max_value_len == 0)
        r->lim.max_value_len = default_limits.max_value_len;
    if (uid)
        snprintf(r->uid, sizeof(r->uid), "%s", uid);
    *out = r;
    return 0;
}

void sk_txrec_free(struct sk_txrec *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->lim.max_records; i++)
        if (r->slots[i].used)
            slot_release(&r->slots[i]);
    free(r->helo);
    free(r);
}

static size_t str_mem(const char *s)
{
    return s ? sk_mem_alloc_cost(strlen(s) + 1) : 0;
}

/* What a slot's record holds on the heap: its value storage, the values outside it, the
 * files; last_reply is counted with its slot (a reused buffer) and email_status is a static
 * string. */
static size_t record_mem(const struct slot *s)
{
    const struct sk_tx_record *t = &s->rec;
    const char *strs[] = {t->helo,
                          t->mail_from,
                          t->email_from,
                          t->email_subject,
                          t->email_date,
                          t->email_message_id,
                          t->email_x_mailer,
                          t->email_reply_to,
                          t->email_in_reply_to,
                          t->email_x_originating_ip,
                          t->email_user_agent,
                          t->body_md5,
                          t->subject_md5};
    size_t n = s->chunk_mem + sk_mem_alloc_cost(t->nfiles * sizeof(*t->files));
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
        if (!slot_owns(s, strs[i]))
            n += str_mem(strs[i]);
    for (size_t i = 0; i < t->nfiles; i++)
        n += str_mem(t->files[i].name);
    return n;
}

size_t sk_txrec_memuse(struct sk_txrec *r)
{
    if (r->mem_known)
        return r->mem;
    size_t n =
        sk_mem_alloc_cost(sizeof(*r) + r->lim.max_records * sizeof(*r->slots)) + str_mem(r->helo);
    for (size_t i = 0; i < r->lim.max_records; i++)
        if (r->slots[i].used)
            n += record_mem(&r->slots[i]) + sk_mem_alloc_cost(r->slots[i].hdr.alloc) +
                 (r->slots[i].reply_alloc ? sk_mem_alloc_cost(r->slots[i].reply_alloc) : 0);
    r->mem = n;
    r->mem_known = true;
    return n;
}

/* Like strchr(), it takes r const (sk_txrec_get()) and hands back what the caller may
 * change when r is its own. */
static struct slot *find(const struct sk_txrec *r, uint64_t tx_id)
{
    for (size_t i = 0; i < r->lim.max_records; i++)
        if (r->slots[i].used && r->slots[i].rec.tx_id == tx_id)
            return (struct slot *)&r->slots[i];
    return NULL;
}

const struct sk_tx_record *sk_txrec_get(const struct sk_txrec *r, uint64_t tx_id)
{
    if (!r || tx_id == SK_TX_NONE)
        return NULL;
    struct slot *s = find(r, tx_id);
    return s ? &s->rec : NULL;
}

static void md5_hex(struct slot *sl, const struct sk_txrec_limits *lim, const char *s, char **out)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    const EVP_MD *type = lim->md5 ? lim->md5 : EVP_md5();
    EVP_MD_CTX *ctx = lim->md5_ctx;
    if (ctx ? EVP_DigestInit_ex(ctx, type, NULL) != 1 || EVP_DigestUpdate(ctx, s, strlen(s)) != 1 ||
                  EVP_DigestFinal_ex(ctx, md, &len) != 1
            : EVP_Digest(s, strlen(s), md, &len, type, NULL) != 1)
        return;
    char h[2 * EVP_MAX_MD_SIZE];
    static const char hex[] = "0123456789abcdef";
    for (unsigned i = 0; i < len; i++) {
        h[2 * i] = hex[md[i] >> 4];
        h[2 * i + 1] = hex[md[i] & 15];
    }
    slot_set_str(sl, out, (const uint8_t *)h, 2 * len, 2 * len);
}

/* Zeek's x_originating_ip is an address: keep the first IPv4 or IPv6 literal found. */
static void set_ip_from(struct slot *s, char **dst, const char *v, size_t max_len)
{
    size_t n = strlen(v);
    for (size_t i = 0; i < n; i++) {
        if (!isxdigit((unsigned char)v[i]) && v[i] != ':')
            continue;
        size_t j = i;
        bool dot = false, colon = false;
        while (j < n && (isxdigit((unsigned char)v[j]) || v[j] == '.' || v[j] == ':')) {
            dot |= v[j] == '.';
            colon |= v[j] == ':';
            j++;
        }
        if ((dot && !colon) || (colon && !dot && j - i >= 2)) {
            slot_set_str(s, dst, (const uint8_t *)v + i, j - i, max_len);
            return;
        }
        i = j;
    }
}

/* One unfolded header line "Name: value" (modified in place). */
static void take_header(struct sk_txrec *r, struct slot *s, char *line, size_t len)
{
    char *colon = memchr(line, ':', len);
    if (!colon)
        return;
    *colon = '\0';
    const char *v = colon + 1;
    while (*v == ' ' || *v == '\t')
        v++;
    size_t vn = strlen(v);
    const uint8_t *vb = (const uint8_t *)v;
    size_t mx = r->lim.max_value_len;
    if (strcasecmp(line, "reply-to") == 0)
        slot_set_str(s, &s->rec.email_reply_to, vb, vn, mx);
    else if (strcasecmp(line, "in-reply-to") == 0)
        slot_set_str(s, &s->rec.email_in_reply_to, vb, vn, mx);
    else if (strcasecmp(line, "x-originating-ip") == 0)
        set_ip_from(s, &s->rec.email_x_originating_ip, v, mx);
    else if (strcasecmp(line, "user-agent") == 0 || strcasecmp(line, "x-mailer") == 0 ||
             strcasecmp(line, "x-user-agent") == 0)
        slot_set_str(s, &s->rec.email_user_agent, vb, vn, mx);
}

/* Scans the held header block for the Zeek-only columns: up to the first empty line, or
 * all that is held when the block was cut by max_header or by the end of the message. The
 * copy is not needed after: each unfolded line is put together in place, at the start of
 * its first piece (the pieces only move back, over the CR LF they drop), and NUL-ended. */
static void scan_header(struct sk_txrec *r, struct slot *s)
{
    s->hdr_done = true;
    if (!s->hdr.buf)
        return;
    char *p = s->hdr.buf, *end = s->hdr.buf + s->hdr.len; /* *end is the buffer's NUL */
    char *line = NULL;
    size_t len = 0;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t l = (size_t)((nl ? nl : end) - p);
        if (l && p[l - 1] == '\r')
            l--;
        bool folded = l && (p[0] == ' ' || p[0] == '\t');
        if (!folded && len) {
            line[len] = '\0'; /* before p: at least the '\n' ending the last piece lies between */
            take_header(r, s, line, len);
            len = 0;
        }
        if (l == 0)
            break; /* end of the header block */
        if (len == 0)
            line = p;
        else
            memmove(line + len, p, l);
        len += l;
        p = nl ? nl + 1 : end;
    }
    if (len) {
        line[len] = '\0';
        take_header(r, s, line, len);
    }
}

static void hdr_feed(struct sk_txrec *r, struct slot *s, const struct sk_event *ev)
{
    if (s->hdr_done || r->lim.max_header == 0)
        return;
    if (ev->u.field.flags & SK_FIELD_F_BEGIN)
        sk_buf_reset(&s->hdr);
    size_t room = r->lim.max_header - s->hdr.len;
    size_t n = ev->u.field.value.len < room ? ev->u.field.value.len : room;
    size_t old = s->hdr.len;
    sk_buf_add(&s->hdr, ev->u.field.value.ptr, n);
    /* the header ends at the first empty line; look only where new bytes can complete one */
    size_t from = old >= 3 ? old - 3 : 0;
    bool end = false;
    const char *b = s->hdr.buf;
    for (size_t i = from; i + 1 < s->hdr.len && !end; i++) {
        const char *nl = memchr(b + i, '\n', s->hdr.len - 1 - i);
        if (!nl)
            break;
        i = (size_t)(nl - b);
        if (b[i + 1] == '\n' || (b[i + 1] == '\r' && i + 2 < s->hdr.len && b[i + 2] == '\n'))
            end = true;
    }
    if (end || s->hdr.len >= r->lim.max_header || (ev->u.field.flags & SK_FIELD_F_END) ||
        sk_buf_failed(&s->hdr))
        scan_header(r, s);
}

/* email.status as Suricata names the MIME parser's state: live, so that alerts and files
 * logged before the close see it too. */
static void update_status(struct slot *s)
{
    struct sk_tx_record *t = &s->rec;
    if (!t->has_email)
        return;
    const char *st = s->parse_failed                ? "PARSE_ERROR"
                     : s->data_ended || t->complete ? "PARSE_DONE"
                                                    : "BODY_STARTED";
    t->email_status = st; /* every field event passes here: a static string, no copy */
}

static void close_slot(struct slot *s, enum sk_tx_end why, sk_txrec_close_fn cb, void *ctx,
                       struct sk_txrec *r)
{
    struct sk_tx_record *t = &s->rec;
    if (!s->hdr_done)
        scan_header(r, s);
    sk_buf_release(&s->hdr);
    t->complete = why == SK_TX_END_DATA;
    if (t->email_subject)
        md5_hex(s, &r->lim, t->email_subject, &t->subject_md5);
    update_status(s);
    s->closed = true;
    if (cb)
        cb(ctx, t, why);
}

/* The record of a transaction not seen yet, in a free slot or the oldest one's. */
static struct slot *create(struct sk_txrec *r, uint64_t tx_id, uint64_t ts_us, sk_txrec_close_fn cb,
                           void *ctx)
{
    struct slot *victim = NULL;
    for (size_t i = 0; i < r->lim.max_records && !victim; i++)
        if (!r->slots[i].used)
            victim = &r->slots[i];
    for (int pass = 0; pass < 2 && !victim; pass++) {
        /* the oldest closed record first; an open one only when all are open */
        for (size_t i = 0; i < r->lim.max_records; i++) {
            struct slot *c = &r->slots[i];
            if ((pass == 0 && !c->closed) || (victim && victim->seq < c->seq))
                continue;
            victim = c;
        }
    }
    if (victim->used) {
        if (!victim->closed)
            close_slot(victim, SK_TX_END_SESSION, cb, ctx, r);
        slot_release(victim);
    }
    victim->used = true;
    victim->seq = r->seq++;
    sk_buf_init(&victim->hdr);
    victim->rec.tx_id = tx_id;
    /* smtp.log ts as Zeek's: when the row was begun, which is the session's first SMTP event
     * for the first, the reply to '.' after a message, the MAIL FROM that split an envelope */
    victim->rec.ts_us = r->row_ts && r->row_ts <= ts_us ? r->row_ts : ts_us;
    r->row_ts = 0;
    if (tx_id >= r->next_tx)
        r->next_tx = tx_id + 1;
    /* Zeek's trans_depth: messages transferred before this transaction, plus one, so a
     * transaction that sent no message shares its depth with the next */
    victim->rec.trans_depth = (unsigned)(r->messages + 1);
    victim->rec.tls = r->tls;
    if (r->helo)
        slot_set_str(victim, &victim->rec.helo, (const uint8_t *)r->helo, strlen(r->helo),
                     SIZE_MAX);
    return victim;
}

/* Keeps what r needs of a field event. Returns false only when nothing r holds on the heap
 * changed (a field no record keeps, or message bytes after the header copy is complete). */
static bool on_field(struct sk_txrec *r, struct slot *s, const struct sk_event *ev)
{
    const uint8_t *p = ev->u.field.value.ptr;
    size_t n = ev->u.field.value.len;
    size_t mx = r->lim.max_value_len, mi = r->lim.max_items;
    struct sk_tx_record *t = s ? &s->rec : NULL;

    if (ev->u.field.id == SK_FIELD_SMTP_HELO) {
        set_str(&r->helo, p, n, mx);
        if (t)
            slot_set_str(s, &t->helo, p, n, mx);
        return true;
    }
    if (ev->u.field.id == SK_FIELD_SMTP_STARTTLS) {
        r->tls = true;
        if (t)
            t->tls = true;
        return false;
    }
    if (!t)
        return false;
    switch (ev->u.field.id) {
    case SK_FIELD_SMTP_MAIL_FROM:
        slot_set_str(s, &t->mail_from, p, n, mx);
        break;
    case SK_FIELD_SMTP_RCPT_TO:
        slot_list_add(s, &t->rcpt_to, p, n, mx, mi);
        break;
    case SK_FIELD_SMTP_DATA: {
        bool copying = !s->hdr_done && r->lim.max_header != 0;
        t->has_email = true;
        if (ev->u.field.flags & SK_FIELD_F_END)
            s->data_ended = true;
        hdr_feed(r, s, ev);
        return copying;
    }
    case SK_FIELD_EMAIL_FROM:
        t->has_email = true;
        slot_set_str(s, &t->email_from, p, n, mx);
        break;
    case SK_FIELD_EMAIL_SUBJECT:
        t->has_email = true;
        slot_set_str(s, &t->email_subject, p, n, mx);
        break;
    case SK_FIELD_EMAIL_DATE:
        t->has_email = true;
        slot_set_str(s, &t->email_date, p, n, mx);
        break;
    case SK_FIELD_EMAIL_MESSAGE_ID:
        t->has_email = true;
        slot_set_str(s, &t->email_message_id, p, n, mx);
        break;
    case SK_FIELD_EMAIL_X_MAILER:
        t->has_email = true;
        slot_set_str(s, &t->email_x_mailer, p, n, mx);
        break;
    case SK_FIELD_EMAIL_BODY_MD5:
        t->has_email = true;
        slot_set_str(s, &t->body_md5, p, n, mx);
        break;
    case SK_FIELD_EMAIL_TO:
        t->has_email = true;
        slot_list_add(s, &t->email_to, p, n, mx, mi);
        break;
    case SK_FIELD_EMAIL_CC:
        t->has_email = true;
        slot_list_add(s, &t->email_cc, p, n, mx, mi);
        break;
    case SK_FIELD_EMAIL_RECEIVED:
        t->has_email = true;
        slot_list_add(s, &t->received, p, n, mx, mi);
        break;
    case SK_FIELD_EMAIL_URL:
        t->has_email = true;
        slot_list_add(s, &t->url, p, n, mx, mi);
        break;
    case SK_FIELD_FILE_NAME:
        t->has_email = true;
        slot_list_add(s, &t->attachment, p, n, mx, mi);
        break;
    default:
        return false;
    }
    return true;
}

/* The fields on_field() keeps or acts on. */
#define FIELD_BIT(id) (1ull << SK_FIELD_##id)
#define KEPT_FIELDS                                                                                \
    (FIELD_BIT(SMTP_HELO) | FIELD_BIT(SMTP_STARTTLS) | FIELD_BIT(SMTP_MAIL_FROM) |                 \
     FIELD_BIT(SMTP_RCPT_TO) | FIELD_BIT(SMTP_DATA) | FIELD_BIT(EMAIL_FROM) |                      \
     FIELD_BIT(EMAIL_SUBJECT) | FIELD_BIT(EMAIL_DATE) | FIELD_BIT(EMAIL_MESSAGE_ID) |              \
     FIELD_BIT(EMAIL_X_MAILER) | FIELD_BIT(EMAIL_BODY_MD5) | FIELD_BIT(EMAIL_TO) |                 \
     FIELD_BIT(EMAIL_CC) | FIELD_BIT(EMAIL_RECEIVED) | FIELD_BIT(EMAIL_URL) |                      \
     FIELD_BIT(FILE_NAME))

void sk_txrec_event(struct sk_txrec *r, const struct sk_event *ev, uint64_t ts_us,
                    sk_txrec_close_fn on_close, void *ctx)
{
    _Static_assert(SK_FIELD_COUNT <= 64, "KEPT_FIELDS is one 64-bit mask");
    /* Most events are fields no record keeps (command lines, reply texts and codes, ...):
     * outside a transaction or in one that has its record they change nothing, not even
     * email.status, which every change of what it depends on updates at once. */
    if (ev->type == SK_EV_FIELD && !(KEPT_FIELDS & (1ull << ev->u.field.id)) &&
        (ev->tx_id == SK_TX_NONE || find(r, ev->tx_id)))
        return;
    struct slot *s = NULL;
    if (!r->smtp_seen && (ev->type == SK_EV_SMTP_REQUEST || ev->type == SK_EV_SMTP_REPLY ||
                          ev->type == SK_EV_TX_OPEN)) {
        r->smtp_seen = true;
        r->row_ts = ts_us; /* Zeek's first row begins at the session's first SMTP event */
    }
    /* what the event changes of r's memory: anything, unless said below */
    bool quiet = false;
    if (ev->tx_id != SK_TX_NONE) {
        s = find(r, ev->tx_id);
        quiet = s != NULL; /* no record made (or evicted) for it */
        if (!s)
            s = create(r, ev->tx_id, ts_us, on_close, ctx);
    }

    switch (ev->type) {
    case SK_EV_FIELD:
        if (on_field(r, s, ev))
            quiet = false;
        if (s)
            update_status(s);
        break;
    case SK_EV_SMTP_STARTTLS: /* quiet: flags only */
        r->tls = true;
        for (size_t i = 0; i < r->lim.max_records; i++)
            if (r->slots[i].used && !r->slots[i].closed)
                r->slots[i].rec.tls = true;
        if (s)
            s->rec.tls = true;
        break;
    case SK_EV_SMTP_DATA: /* quiet: no value is kept */
        /* a message exists even when nobody asked for the smtp.data field */
        if (s && !s->rec.has_email) {
            s->rec.has_email = true;
            update_status(s);
        }
        break;
    case SK_EV_SMTP_REPLY: /* quiet unless the reply buffer grew */
        if (s && set_reply(s, ev->u.reply.code, &ev->u.reply.msg, r->lim.max_value_len))
            quiet = false;
        break;
    case SK_EV_ANOMALY:
        quiet = false;
        if (s) {
            const char *name = sk_anomaly_name(ev->u.anomaly.id);
            if (name && !strlist_has(&s->rec.anomalies, name))
                slot_list_add(s, &s->rec.anomalies, (const uint8_t *)name, strlen(name),
                              r->lim.max_value_len, r->lim.max_items);
            /* Suricata 8 reports PARSE_DONE for a message with MIME anomalies
             * (suricata-verify bug-1449-01, smtp-pipelining): only a failed parse is an
             * error. */
            if (ev->u.anomaly.id == SK_ANOMALY_MIME_PARSE_FAILED)
                s->parse_failed = true;
            update_status(s);
        }
        break;
    case SK_EV_FILE:
        quiet = false;
        if (s) {
            char fuid[48];
            int fn = snprintf(fuid, sizeof(fuid), "F%s.%u", r->uid[0] ? r->uid + 1 : "",
                              (unsigned)ev->u.file.file_id);
            if (slot_list_add(s, &s->rec.fuids, (const uint8_t *)fuid, (size_t)fn, sizeof(fuid),
                              r->lim.max_items) == 0)
                fuid_in_order(&s->rec.fuids);
            add_file(&s->rec, &ev->u.file, r->lim.max_value_len, r->lim.max_items);
        }
        break;
    case SK_EV_TX_CLOSE:
        quiet = false;
        if (s && !s->closed) {
            if (ev->u.tx_close.why == SK_TX_END_DATA)
                r->messages++; /* Zeek counts the reply to '.' whatever its code */
            /* Zeek begins its next row there (after '.', at the MAIL FROM); after RSET, which
             * Zeek ignores, at the next MAIL FROM: the next transaction's first command */
            bool newest = ev->tx_id + 1 >= r->next_tx; /* no later one began meanwhile */
            if (newest)
                r->row_ts =
                    ev->u.tx_close.why == SK_TX_END_DATA || ev->u.tx_close.why == SK_TX_END_MAIL
                        ? ts_us
                        : 0;
            close_slot(s, ev->u.tx_close.why, on_close, ctx, r);
        }
        break;
    default: /* requests, unexpected lines, transaction opens: quiet, nothing is kept */
        break;
    }
    if (!quiet)
        r->mem_known = false;
}

void sk_txrec_finish(struct sk_txrec *r, sk_txrec_close_fn on_close, void *ctx)
{
    r->mem_known = false;
    for (;;) {
        struct slot *next = NULL;
        for (size_t i = 0; i < r->lim.max_records; i++) {
            struct slot *s = &r->slots[i];
            if (s->used && !s->closed && (!next || s->rec.tx_id < next->rec.tx_id))
                next = s;
        }
        if (!next)
            return;
        close_slot(next, SK_TX_END_SESSION, on_close, ctx, r);
    }
}
