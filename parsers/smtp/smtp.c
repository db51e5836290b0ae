/* SPDX-License-Identifier: GPL-2.0-only */
/* The SMTP state machine: framing each direction into lines, commands and replies paired
 * through a bounded queue (PIPELINING), transactions, AUTH, STARTTLS, TURN, gaps and the
 * anomalies of anomaly.h. The message bytes themselves go through smtp_data.c. Semantics
 * follow Zeek's SMTP analyzer; docs/smtp.md says where and why they differ. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/error.h"
#include "parsers/smtp/smtp_int.h"

#define MIN_LINE  16
#define MIN_QUEUE 4 /* commands a new state's queue holds before it grows */

void sk_smtp_config_defaults(struct sk_smtp_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->max_command_line = 4096;
    cfg->max_reply_line = 4096;
    cfg->max_rfc_command_line = 512;
    cfg->max_auth_line = 2048;
    cfg->max_data_chunk = 4096;
    cfg->max_pending_commands = 128;
    cfg->max_recipients = 100;
    cfg->log_credentials = true; /* Zeek's arguments as they are */
    cfg->smuggling_hold = 65536;
}

static bool is_client(const struct sk_smtp__state *st, bool is_orig)
{
    return is_orig == st->client_is_orig;
}

/* ---- memory ---- */

/* The budget refused: say so once and parse no more of this flow. */
static void mem_refused(struct sk_smtp__state *st)
{
    if (st->mem_refused)
        return;
    st->mem_refused = true;
    sk_smtp__anomaly(st, st->client_is_orig, st->cur_tx, SK_ANOMALY_APP_LAYER_MEMCAP);
}

bool sk_smtp__grow(struct sk_smtp__state *st, uint8_t **p, size_t *size, size_t need, size_t max)
{
    if (sk_smtp_buf_grow(st->cfg.budget, p, size, need, max) == 0)
        return true;
    mem_refused(st);
    return false;
}

/* Doubles the queue (up to max_pending_commands), oldest entry first in the new ring. */
static bool queue_grow(struct sk_smtp__state *st)
{
    size_t cap =
        st->q_cap * 2 < st->cfg.max_pending_commands ? st->q_cap * 2 : st->cfg.max_pending_commands;
    size_t more = (cap - st->q_cap) * sizeof(*st->q); /* a new array for the old one */
    if (!sk_mem_charge(st->cfg.budget, more)) {
        mem_refused(st);
        return false;
    }
    struct sk_smtp__pending *q = malloc(cap * sizeof(*q));
    if (!q) {
        sk_mem_uncharge(st->cfg.budget, more);
        mem_refused(st);
        return false;
    }
    for (size_t i = 0; i < st->q_len; i++)
        q[i] = *sk_smtp__queued(st, i);
    free(st->q);
    st->q = q;
    st->q_head = 0;
    st->q_cap = cap;
    return true;
}

struct sk_smtp__pending *sk_smtp__queued(struct sk_smtp__state *st, size_t i)
{
    return &st->q[(st->q_head + i) % st->q_cap];
}

/* ---- queue and transactions ---- */

void sk_smtp__push(struct sk_smtp__state *st, bool is_orig, enum sk_smtp_cmd cmd, uint64_t tx,
                   bool ends_tx, enum sk_tx_end why)
{
    if (st->q_len == st->q_cap && st->q_cap < st->cfg.max_pending_commands && !queue_grow(st))
        return;
    if (st->q_len == st->cfg.max_pending_commands) {
        if (!st->q_overflow) {
            st->q_overflow = true;
            sk_smtp__anomaly(st, is_orig, tx, SK_ANOMALY_TOO_MANY_PENDING_COMMANDS);
        }
        /* Its reply will never be paired: the transaction it ends ends now. */
        st->q_dropped++;
        if (ends_tx)
            sk_smtp__tx_close(st, tx, why);
        return;
    }
    struct sk_smtp__pending *e = sk_smtp__queued(st, st->q_len);
    e->cmd = (uint8_t)cmd;
    e->tx_id = tx;
    e->ends_tx = ends_tx;
    e->why = (uint8_t)why;
    e->lost = false;
    e->resets = false;
    e->cut = false;
    st->q_len++;
}

static bool pop(struct sk_smtp__state *st, struct sk_smtp__pending *out)
{
    if (st->q_len == 0)
        return false;
    *out = st->q[st->q_head];
    st->q_head = (st->q_head + 1) % st->q_cap;
    st->q_len--;
    if (st->q_len < st->cfg.max_pending_commands / 2)
        st->q_overflow = false;
    return true;
}

/* Roles swapped (TURN): close what queued commands would have closed, forget them. */
static void clear_queue(struct sk_smtp__state *st)
{
    struct sk_smtp__pending e;
    while (pop(st, &e))
        if (e.ends_tx)
            sk_smtp__tx_close(st, e.tx_id, (enum sk_tx_end)e.why);
    st->q_dropped = 0;
}

static void tx_open(struct sk_smtp__state *st, bool emit_helo)
{
    if (st->cur_tx != SK_TX_NONE)
        return;
    st->cur_tx = st->next_tx++;
    st->tx_mail = false;
    st->tx_envelope = false;
    st->tx_rcpts = 0;
    sk_smtp__simple(st, SK_EV_TX_OPEN, st->cur_tx);
    if (emit_helo && st->helo_len)
        sk_smtp__field(st, st->client_is_orig, st->cur_tx, SK_FIELD_SMTP_HELO, st->helo,
                       st->helo_len, 0);
}

/* ---- line ends ---- */

/* Length of a line without its line end (and without extra CRs before it). */
static size_t strip_eol(const struct sk_smtp_piece *p)
{
    size_t n = p->len;
    if (!p->ends_line)
        return n;
    n--;
    while (n > 0 && p->ptr[n - 1] == '\r')
        n--;
    return n;
}

/* Raises what Zeek and Snort flag about a line's end and bare CRs inside it. */
static void check_eol(struct sk_smtp__state *st, bool is_orig, uint64_t tx,
                      const struct sk_smtp_piece *p, size_t n)
{
    if (!p->ends_line)
        return;
    size_t crs = p->len - 1 - n;
    if (crs > 0) {
        if (crs > 1)
            sk_smtp__unexpected(st, is_orig, tx, "more than one <CR> at the end of line", p->ptr,
                                p->len - 2);
        st->seen_crlf[is_orig] = true;
    } else {
        st->seen_lf[is_orig] = true;
        sk_smtp__unexpected(st, is_orig, tx, "line does not end with <CR><LF>", p->ptr, n);
        if (!st->raised_bare_lf[is_orig]) {
            st->raised_bare_lf[is_orig] = true;
            sk_smtp__anomaly(st, is_orig, tx, SK_ANOMALY_BARE_LF);
        }
    }
    if (st->seen_lf[is_orig] && st->seen_crlf[is_orig] && !st->raised_mix[is_orig]) {
        st->raised_mix[is_orig] = true;
        sk_smtp__anomaly(st, is_orig, tx, SK_ANOMALY_LF_CRLF_MIX);
    }
    if (memchr(p->ptr, '\r', n)) {
        sk_smtp__unexpected(st, is_orig, tx, "Bare <CR> or <LF> appears in the middle of line",
                            p->ptr, n);
        if (!st->raised_bare_cr[is_orig]) {
            st->raised_bare_cr[is_orig] = true;
            sk_smtp__anomaly(st, is_orig, tx, SK_ANOMALY_BARE_CR);
        }
    }
}

/* ---- commands ---- */

static const uint8_t stars[] = "***";

/* AUTH's argument with its initial response hidden ("PLAIN ***"), written at dst unless
 * credentials are logged. Sets *mech_len to the length of the mechanism name. */
static size_t mask_auth(const struct sk_smtp__state *st, const uint8_t *arg, size_t len,
                        uint8_t *dst, const uint8_t **out, size_t *mech_len)
{
    const uint8_t *sp = memchr(arg, ' ', len);
    *mech_len = sp ? (size_t)(sp - arg) : len;
    if (!sp || st->cfg.log_credentials) {
        *out = arg;
        return len;
    }
    size_t n = *mech_len;
    memcpy(dst, arg, n);
    memcpy(dst + n, " ***", 4);
    *out = dst;
    return n + 4;
}

static void auth_answer(struct sk_smtp__state *st, bool is_orig, const struct sk_smtp_piece *p,
                        size_t n)
{
    tx_open(st, true);
    uint64_t tx = st->cur_tx;
    if (p->len > st->cfg.max_auth_line)
        sk_smtp__anomaly(st, is_orig, tx, SK_ANOMALY_AUTH_LINE_LEN_EXCEEDED);
    /* Zeek: command "**" (its "***" cut to two bytes), the whole line as the argument */
    const uint8_t *arg = st->cfg.log_credentials ? p->ptr : stars;
    size_t alen = st->cfg.log_credentials ? n : 3;
    sk_smtp__request(st, is_orig, tx, "**", 2, arg, alen);
    sk_smtp__field(st, is_orig, tx, SK_FIELD_SMTP_COMMAND, stars, 2, 0);
    sk_smtp__field(st, is_orig, tx, SK_FIELD_SMTP_ARG, arg, alen, 0);
    sk_smtp__field(st, is_orig, tx, SK_FIELD_SMTP_COMMAND_LINE, arg, alen, 0);
    sk_smtp__push(st, is_orig, SK_SMTP_CMD_AUTH_ANSWER, tx, false, SK_TX_END_DATA);
}

static void cmd_bdat(struct sk_smtp__state *st, bool is_orig, uint64_t tx, const uint8_t *arg,
                     size_t alen)
{
    uint64_t size;
    bool last;
    enum sk_smtp_bdat_parse r = sk_smtp_cmd_bdat(arg, alen, &size, &last);
    if (r != SK_SMTP_BDAT_OK) {
        if (r == SK_SMTP_BDAT_NEGATIVE)
            sk_smtp__anomaly(st, is_orig, tx, SK_ANOMALY_BDAT_NEGATIVE_LENGTH);
        sk_smtp__anomaly(st, is_orig, tx, SK_ANOMALY_INVALID_BDAT);
        sk_smtp__push(st, is_orig, SK_SMTP_CMD_BDAT, tx, false, SK_TX_END_DATA);
        return;
    }
    if (!st->msg_active)
        sk_smtp__msg_begin(st);
    st->bdat_left = size;
    st->bdat_last = last;
    sk_smtp__push(st, is_orig, SK_SMTP_CMD_BDAT, tx, last, SK_TX_END_DATA);
    if (size == 0)
        sk_smtp__bdat_bytes(st, is_orig, NULL, 0);
}

static void cmd_effects(struct sk_smtp__state *st, bool is_orig, enum sk_smtp_cmd cmd, uint64_t tx,
                        const uint8_t *arg, size_t alen)
{
    const uint8_t *v;
    size_t vlen;
    switch (cmd) {
    case SK_SMTP_CMD_HELO:
    case SK_SMTP_CMD_EHLO:
        /* Suricata keeps one HELO per flow and flags a second one. */
        if (st->helo_len && alen)
            sk_smtp__anomaly(st, is_orig, tx, SK_ANOMALY_DUPLICATE_FIELDS);
        if (alen) { /* an empty HELO is refused and names nobody */
            vlen = alen < st->line_cap ? alen : st->line_cap;
            if (!sk_smtp__grow(st, &st->helo, &st->helo_alloc, vlen, st->line_cap))
                return;
            memcpy(st->helo, arg, vlen);
            st->helo_len = vlen;
            sk_smtp__field(st, is_orig, tx, SK_FIELD_SMTP_HELO, arg, alen, 0);
        }
        sk_smtp__push(st, is_orig, cmd, tx, false, SK_TX_END_RSET);
        if (st->tx_envelope && st->q_len > 0 && sk_smtp__queued(st, st->q_len - 1)->cmd == cmd)
            sk_smtp__queued(st, st->q_len - 1)->resets = true;
        return;
    case SK_SMTP_CMD_MAIL:
    case SK_SMTP_CMD_SEND:
    case SK_SMTP_CMD_SOML:
    case SK_SMTP_CMD_SAML:
        if (st->tx_mail) {
            sk_smtp__anomaly(st, is_orig, tx, SK_ANOMALY_NESTED_MAIL);
            sk_smtp__anomaly(st, is_orig, tx, SK_ANOMALY_DUPLICATE_FIELDS);
        }
        st->tx_mail = true;
        st->tx_envelope = true;
        if (sk_smtp_cmd_path(arg, alen, "FROM:", &v, &vlen))
            sk_smtp__field(st, is_orig, tx, SK_FIELD_SMTP_MAIL_FROM, v, vlen, 0);
        break;
    case SK_SMTP_CMD_RCPT:
        if (!st->tx_mail && !st->desync) /* after a gap, MAIL may have been lost in it */
            sk_smtp__unexpected(st, is_orig, tx, "unexpected command", arg, alen);
        if (++st->tx_rcpts == st->cfg.max_recipients + 1)
            sk_smtp__anomaly(st, is_orig, tx, SK_ANOMALY_TOO_MANY_RECIPIENTS);
        if (sk_smtp_cmd_path(arg, alen, "TO:", &v, &vlen))
            sk_smtp__field(st, is_orig, tx, SK_FIELD_SMTP_RCPT_TO, v, vlen, 0);
        break;
    case SK_SMTP_CMD_DATA:
        sk_smtp__push(st, is_orig, cmd, tx, false, SK_TX_END_DATA);
        sk_smtp__msg_begin(st); /* after BDAT chunks, it abandons the BDAT message */
        st->data_mode = true;
        st->data_wait_354 = true;
        return;
    case SK_SMTP_CMD_BDAT:
        cmd_bdat(st, is_orig, tx, arg, alen);
        return;
    case SK_SMTP_CMD_RSET:
        sk_smtp__msg_end(st, is_orig, false);
        sk_smtp__push(st, is_orig, cmd, tx, tx != SK_TX_NONE, SK_TX_END_RSET);
        st->cur_tx = SK_TX_NONE;
        return;
    case SK_SMTP_CMD_STARTTLS:
        st->starttls_pending = true;
        st->injection_raised = false;
        break;
    case SK_SMTP_CMD_AUTH:
        v = memchr(arg, ' ', alen);
        vlen = v ? (size_t)(v - arg) : alen;
        sk_smtp__field(st, is_orig, tx, SK_FIELD_SMTP_AUTH_MECH, arg, vlen, 0);
        break;
    case SK_SMTP_CMD_XLINK2STATE:
        sk_smtp__anomaly(st, is_orig, tx, SK_ANOMALY_XLINK2STATE);
        break;
    default:
        break;
    }
    sk_smtp__push(st, is_orig, cmd, tx, false, SK_TX_END_DATA);
}

static bool is_mail_verb(enum sk_smtp_cmd cmd)
{
    return cmd == SK_SMTP_CMD_MAIL || cmd == SK_SMTP_CMD_SEND || cmd == SK_SMTP_CMD_SOML ||
           cmd == SK_SMTP_CMD_SAML;
}

/* True when a client line starts with a known verb. */
static bool starts_with_verb(const struct sk_smtp__state *st, const struct sk_smtp_piece *p)
{
    size_t n = strip_eol(p);
    const uint8_t *sp = memchr(p->ptr, ' ', n);
    size_t vlen = sp ? (size_t)(sp - p->ptr) : n;
    return vlen > 0 && (sk_smtp_cmd_lookup(p->ptr, vlen) != SK_SMTP_CMD_OTHER ||
                        sk_smtp_cmd_in_list(st->cfg.allowed_commands, p->ptr, vlen));
}

static void command_line(struct sk_smtp__state *st, bool is_orig, const struct sk_smtp_piece *p)
{
    bool truncated = !p->ends_line;
    if (st->tls_dir[is_orig]) {
        /* The client opened with a TLS record: its "lines" are TLS, skipped quietly. Should
         * a command follow after all, the opening was not TLS (a junk line a server
         * refused, perhaps to blind an IDS): flag it and parse from here. */
        if (truncated)
            st->client_skip_rest = true;
        if (!p->starts_line || !starts_with_verb(st, p)) {
            if (p->starts_line && st->tls_lines < st->cfg.max_pending_commands)
                st->tls_lines++;
            return;
        }
        st->tls_dir[is_orig] = false;
        sk_smtp__anomaly(st, is_orig, SK_TX_NONE, SK_ANOMALY_UNKNOWN_COMMAND);
        /* Each skipped line was a command to the server, which answers it: keep pairing. */
        for (size_t i = 0; i < st->tls_lines; i++)
            sk_smtp__push(st, is_orig, SK_SMTP_CMD_OTHER, SK_TX_NONE, false, SK_TX_END_DATA);
    }
    if (!st->seen_client_line) {
        st->seen_client_line = true;
        /* The client spoke first: the capture began after the greeting, or, when the flow
         * was seen from its handshake, the server never greeted. */
        if (!st->seen_server_line && st->q_len == 1 &&
            st->q[st->q_head].cmd == SK_SMTP_CMD_GREETING) {
            /* Seen from its handshake, the greeting is still to come (a client that sends its
             * session before it, as Zeek's queue expects): it stays first in the queue. */
            if (st->from_start)
                sk_smtp__anomaly(st, !is_orig, SK_TX_NONE, SK_ANOMALY_NO_SERVER_WELCOME_MESSAGE);
            else
                pop(st, &(struct sk_smtp__pending){0});
        }
    }
    if (st->starttls_pending && !st->injection_raised) {
        st->injection_raised = true;
        sk_smtp__anomaly(st, is_orig, st->cur_tx, SK_ANOMALY_STARTTLS_INJECTION);
    }
    if (truncated)
        st->client_skip_rest = true;
    size_t n = strip_eol(p);
    const uint8_t *line = p->ptr;
    if (st->in_auth) {
        tx_open(st, true);
        if (truncated) {
            sk_smtp__anomaly(st, is_orig, st->cur_tx, SK_ANOMALY_MAX_COMMAND_LINE_LEN_EXCEEDED);
            sk_smtp__anomaly(st, is_orig, st->cur_tx, SK_ANOMALY_TRUNCATED_LINE);
        }
        check_eol(st, is_orig, st->cur_tx, p, n);
        auth_answer(st, is_orig, p, n);
        return;
    }

    /* Zeek's get_word and skip_whitespace: the verb ends at a blank, the argument starts
     * after every blank that follows it */
    size_t vlen = 0;
    while (vlen < n && line[vlen] != ' ' && line[vlen] != '\t')
        vlen++;
    const uint8_t *sp = vlen < n ? line + vlen : NULL;
    size_t askip = vlen;
    while (askip < n && (line[askip] == ' ' || line[askip] == '\t'))
        askip++;
    const uint8_t *arg = line + askip;
    size_t alen = n - askip;
    enum sk_smtp_cmd cmd = sk_smtp_cmd_lookup(line, vlen);
    bool known =
        cmd != SK_SMTP_CMD_OTHER || sk_smtp_cmd_in_list(st->cfg.allowed_commands, line, vlen);
    if (st->client_resync) {
        if (!known || vlen == 0)
            return;
        st->client_resync = false;
    }
    bool after_bdat = st->bdat_check_next;
    st->bdat_check_next = false;

    /* A MAIL FROM after an envelope was begun (MAIL or RCPT sent, refused or not) and no
     * message started ends that transaction and begins another, as Zeek's smtp.log starts a
     * row at every MAIL: a refused or abandoned envelope is a transaction of its own, and its
     * MAIL FROM never becomes the next one's. */
    if (is_mail_verb(cmd) && st->cur_tx != SK_TX_NONE && !st->msg_active &&
        (st->tx_envelope || st->tx_rcpts > 0)) {
        if (st->tx_mail) {
            sk_smtp__anomaly(st, is_orig, st->cur_tx, SK_ANOMALY_NESTED_MAIL);
            sk_smtp__anomaly(st, is_orig, st->cur_tx, SK_ANOMALY_DUPLICATE_FIELDS);
        }
        sk_smtp__tx_close(st, st->cur_tx, SK_TX_END_MAIL);
        st->cur_tx = SK_TX_NONE;
    }
    /* RSET and QUIT outside a transaction open none, except as the session's first command
     * (Suricata counts a transaction there). */
    bool opens = !((cmd == SK_SMTP_CMD_RSET || cmd == SK_SMTP_CMD_QUIT) &&
                   st->cur_tx == SK_TX_NONE && st->next_tx > 0);
    if (opens)
        tx_open(st, cmd != SK_SMTP_CMD_HELO && cmd != SK_SMTP_CMD_EHLO);
    uint64_t tx = st->cur_tx;

    if (truncated) {
        sk_smtp__anomaly(st, is_orig, tx, SK_ANOMALY_MAX_COMMAND_LINE_LEN_EXCEEDED);
        sk_smtp__anomaly(st, is_orig, tx, SK_ANOMALY_TRUNCATED_LINE);
    }
    check_eol(st, is_orig, tx, p, n);
    if (after_bdat && !known)
        sk_smtp__anomaly(st, is_orig, tx, SK_ANOMALY_BDAT_CHUNK_LEN_EXCEEDED);
    if (sk_smtp_cmd_in_list(st->cfg.refused_commands, line, vlen))
        sk_smtp__anomaly(st, is_orig, tx, SK_ANOMALY_ILLEGAL_COMMAND);
    if (cmd == SK_SMTP_CMD_AUTH) {
        if (p->len > st->cfg.max_auth_line)
            sk_smtp__anomaly(st, is_orig, tx, SK_ANOMALY_AUTH_LINE_LEN_EXCEEDED);
    } else if (p->len > st->cfg.max_rfc_command_line) {
        sk_smtp__anomaly(st, is_orig, tx, SK_ANOMALY_COMMAND_LINE_LEN_EXCEEDED);
    }

    /* The verb upper-cased, as Zeek reports it. */
    const char *verb = sk_smtp_cmd_name(cmd);
    size_t verb_len = strlen(verb);
    if ((cmd == SK_SMTP_CMD_OTHER || (cmd == SK_SMTP_CMD_AUTH && sp)) &&
        !sk_smtp__grow(st, &st->scratch, &st->scratch_alloc, n + 16, st->line_cap + 16))
        return;
    if (cmd == SK_SMTP_CMD_OTHER) {
        for (size_t i = 0; i < vlen; i++)
            st->scratch[i] = (uint8_t)(line[i] >= 'a' && line[i] <= 'z' ? line[i] - 32 : line[i]);
        verb = (const char *)st->scratch;
        verb_len = vlen;
    }
    const uint8_t *shown_arg = arg;
    size_t shown_len = alen;
    const uint8_t *shown_line = line;
    size_t shown_line_len = n;
    if (cmd == SK_SMTP_CMD_AUTH && sp) {
        /* scratch holds the verb only for unknown commands, never for AUTH */
        size_t mech;
        memcpy(st->scratch, line, vlen + 1);
        shown_len = mask_auth(st, arg, alen, st->scratch + vlen + 1, &shown_arg, &mech);
        if (shown_arg != arg) {
            shown_line = st->scratch;
            shown_line_len = vlen + 1 + shown_len;
        }
    }

    if (!known) {
        sk_smtp__anomaly(st, is_orig, tx, SK_ANOMALY_UNKNOWN_COMMAND);
        if (!truncated)
            sk_smtp__unexpected(st, is_orig, tx, "unknown command", line, vlen);
    } else {
        sk_smtp__request(st, is_orig, tx, verb, verb_len, shown_arg, shown_len);
    }
    sk_smtp__field(st, is_orig, tx, SK_FIELD_SMTP_COMMAND, (const uint8_t *)verb, verb_len, 0);
    sk_smtp__field(st, is_orig, tx, SK_FIELD_SMTP_ARG, shown_arg, shown_len, 0);
    sk_smtp__field(st, is_orig, tx, SK_FIELD_SMTP_COMMAND_LINE, shown_line, shown_line_len, 0);
    if (truncated && (cmd == SK_SMTP_CMD_BDAT || cmd == SK_SMTP_CMD_DATA)) {
        /* A cut BDAT/DATA line cannot be trusted to start a message; a 354 to it can. */
        size_t before = st->q_len;
        sk_smtp__push(st, is_orig, cmd, tx, false, SK_TX_END_DATA);
        if (st->q_len > before)
            sk_smtp__queued(st, st->q_len - 1)->cut = cmd == SK_SMTP_CMD_DATA;
        return;
    }
    cmd_effects(st, is_orig, cmd, tx, arg, alen);
}

/* ---- replies ---- */

static void starttls_accepted(struct sk_smtp__state *st, bool is_orig, uint64_t tx)
{
    uint64_t flag_tx = tx != SK_TX_NONE ? tx : st->cur_tx;
    sk_smtp__field(st, is_orig, flag_tx, SK_FIELD_SMTP_STARTTLS, NULL, 0, 0);
    sk_smtp__simple(st, SK_EV_SMTP_STARTTLS, flag_tx);
    sk_smtp__msg_end(st, is_orig, false);
    if (st->next_tx > 0)
        sk_smtp__tx_close(st, st->next_tx - 1, SK_TX_END_STARTTLS);
    st->cur_tx = SK_TX_NONE;
    st->helo_len = 0; /* RFC 3207 4.2: the client greets again; not a duplicate HELO */
    st->tls_wait = true;
}

/* The first line of a reply: pairs it with the oldest command waiting. False when no
 * command was waiting. */
static bool new_reply(struct sk_smtp__state *st, bool is_orig)
{
    if (pop(st, &st->cur_reply)) {
        if (!st->cur_reply.lost)
            st->desync = false;
        return true;
    }
    st->cur_reply = (struct sk_smtp__pending){.tx_id = SK_TX_NONE, .cmd = SK_SMTP_CMD_OTHER};
    if (st->data_mode && !st->data_wait_354) {
        /* Servers are silent during DATA: this one has ended the message, at an end marker
         * lost in a gap, or at one this parser does not accept (SMTP smuggling). */
        uint64_t mtx = st->msg_tx;
        bool lost = st->msg_incomplete;
        sk_smtp__msg_end(st, st->client_is_orig, false);
        if (st->cur_tx == mtx)
            st->cur_tx = SK_TX_NONE;
        st->client_resync = true;
        if (lost) {
            st->cur_reply = (struct sk_smtp__pending){.tx_id = mtx,
                                                      .cmd = SK_SMTP_CMD_END_OF_DATA,
                                                      .ends_tx = true,
                                                      .why = SK_TX_END_DATA};
            return true;
        }
        sk_smtp__tx_close(st, mtx, SK_TX_END_DATA);
    }
    if (st->q_dropped > 0) {
        st->q_dropped--;
        return true;
    }
    if (!st->desync)
        sk_smtp__anomaly(st, is_orig, SK_TX_NONE, SK_ANOMALY_UNABLE_TO_MATCH_REPLY_WITH_REQUEST);
    return false;
}

/* A 354 that answers nothing this parser saw while it is skipping client lines (after a
 * gap, or after a lenient server ended a message at a marker this parser does not accept):
 * the server says it now reads a message, so the client's next bytes are one (the smuggled
 * message of an SMTP smuggling attack is then seen as a message, not skipped). */
static void data_from_reply(struct sk_smtp__state *st)
{
    st->client_resync = false;
    tx_open(st, true);
    sk_smtp__msg_begin(st);
    st->data_mode = true;
    st->data_wait_354 = false;
}

/* What a final reply line does to the session. */
static void reply_effects(struct sk_smtp__state *st, bool is_orig, const struct sk_smtp__pending *e,
                          uint16_t code)
{
    switch ((enum sk_smtp_cmd)e->cmd) {
    case SK_SMTP_CMD_GREETING:
        if (code != 220)
            sk_smtp__anomaly(st, is_orig, e->tx_id, SK_ANOMALY_NO_SERVER_WELCOME_MESSAGE);
        break;
    case SK_SMTP_CMD_DATA:
        st->data_wait_354 = false;
        if (code == 354 && e->cut && !st->data_mode && !st->msg_active) {
            /* The server reads a message now, whatever this parser made of the DATA line
             * (cut at the line limit): the client's next bytes are its body. */
            data_from_reply(st);
        } else if (code != 354) {
            sk_smtp__anomaly(st, is_orig, e->tx_id, SK_ANOMALY_DATA_COMMAND_REJECTED);
            if (st->data_mode && st->msg_tx == e->tx_id)
                sk_smtp__msg_end(st, st->client_is_orig, false);
        }
        break;
    case SK_SMTP_CMD_MAIL:
        if (code >= 400 && e->tx_id == st->cur_tx)
            st->tx_mail = false;
        break;
    case SK_SMTP_CMD_HELO:
    case SK_SMTP_CMD_EHLO:
        /* An accepted HELO/EHLO resets the session like RSET (RFC 5321 4.1.4): the envelope
         * it interrupts is a finished transaction. A refused one changes nothing. */
        if (code >= 200 && code < 300 && e->resets && e->tx_id == st->cur_tx &&
            st->cur_tx != SK_TX_NONE) {
            sk_smtp__msg_end(st, st->client_is_orig, false);
            sk_smtp__tx_close(st, st->cur_tx, SK_TX_END_RSET);
            st->cur_tx = SK_TX_NONE;
        }
        break;
    case SK_SMTP_CMD_STARTTLS:
        st->starttls_pending = false;
        if (code == 220) {
            starttls_accepted(st, is_orig, e->tx_id);
            return;
        }
        sk_smtp__anomaly(st, is_orig, e->tx_id, SK_ANOMALY_TLS_REJECTED);
        break;
    case SK_SMTP_CMD_AUTH:
    case SK_SMTP_CMD_AUTH_ANSWER:
        st->in_auth = code == 334;
        break;
    case SK_SMTP_CMD_TURN:
        if (code == 250) {
            /* The roles swap; the new server greets the new client: a new session in the
             * other direction, whose transactions and HELO start afresh. */
            sk_smtp__msg_end(st, st->client_is_orig, false);
            if (st->next_tx > 0)
                sk_smtp__tx_close(st, st->next_tx - 1, SK_TX_END_SESSION);
            st->cur_tx = SK_TX_NONE;
            st->helo_len = 0;
            st->client_is_orig = !st->client_is_orig;
            clear_queue(st);
            sk_smtp__push(st, is_orig, SK_SMTP_CMD_GREETING, SK_TX_NONE, false, SK_TX_END_DATA);
        }
        break;
    default:
        break;
    }
    if (e->ends_tx)
        sk_smtp__tx_close(st, e->tx_id, (enum sk_tx_end)e->why);
}

/* Reply codes some SMTP RFC defines: RFC 5321 4.2.3, and the extensions' codes (235, 334,
 * 432, 454, 530, 534, 535, 538: RFC 4954 and 3207; 521, 556: RFC 7504; 523: RFC 8689 area).
 * Suricata raises INVALID_REPLY for a code outside its own table (suricata-verify
 * smtp-errors: 400, 402, 472). */
static bool reply_code_defined(int code)
{
    static const uint16_t defined[] = {211, 214, 220, 221, 235, 250, 251, 252, 334, 354, 421, 432,
                                       450, 451, 452, 454, 455, 500, 501, 502, 503, 504, 521, 523,
                                       530, 534, 535, 538, 550, 551, 552, 553, 554, 555, 556};
    for (size_t k = 0; k < sizeof(defined) / sizeof(defined[0]); k++)
        if (defined[k] == code)
            return true;
    return false;
}

static void reply_line(struct sk_smtp__state *st, bool is_orig, const struct sk_smtp_piece *p)
{
    bool truncated = !p->ends_line;
    const uint8_t *line = p->ptr;
    bool digits = p->len >= 3 && line[0] >= '0' && line[0] <= '9' && line[1] >= '0' &&
                  line[1] <= '9' && line[2] >= '0' && line[2] <= '9';
    int code = digits ? (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0') : -1;
    if (st->server_resync) {
        /* After a gap, a line is trusted once it looks like a final reply line. */
        if (code < 100 || (p->len > 3 && line[3] != ' ' && line[3] != '\r' && line[3] != '\n'))
            return;
        st->server_resync = false;
    }
    uint64_t tx =
        st->cont_code ? st->cur_reply.tx_id : (st->q_len ? st->q[st->q_head].tx_id : SK_TX_NONE);
    if (truncated) {
        st->server_skip_rest = true;
        sk_smtp__anomaly(st, is_orig, tx, SK_ANOMALY_MAX_REPLY_LINE_LEN_EXCEEDED);
        sk_smtp__anomaly(st, is_orig, tx, SK_ANOMALY_TRUNCATED_LINE);
    }
    size_t n = strip_eol(p);
    check_eol(st, is_orig, tx, p, n);
    bool first = !st->seen_server_line;
    st->seen_server_line = true;

    if (code < 100 || code > 599) {
        sk_smtp__anomaly(st, is_orig, tx,
                         digits ? SK_ANOMALY_REPLY_CODE_OUT_OF_RANGE : SK_ANOMALY_INVALID_REPLY);
        if (first && st->q_len && st->q[st->q_head].cmd == SK_SMTP_CMD_GREETING)
            sk_smtp__anomaly(st, is_orig, tx, SK_ANOMALY_NO_SERVER_WELCOME_MESSAGE);
        sk_smtp__unexpected(st, is_orig, tx, "reply code out of range", line, n);
        return;
    }
    if (code < 200)
        sk_smtp__anomaly(st, is_orig, tx, SK_ANOMALY_REPLY_CODE_OUT_OF_RANGE);
    else if (!st->cont_code && !reply_code_defined(code))
        sk_smtp__anomaly(st, is_orig, tx, SK_ANOMALY_INVALID_REPLY);
    bool cont = n > 3 && line[3] == '-';
    if (n > 3 && line[3] != '-' && line[3] != ' ')
        sk_smtp__anomaly(st, is_orig, tx, SK_ANOMALY_INVALID_REPLY);
    if (st->gap_cont && code == st->gap_cont)
        st->cont_code = st->gap_cont; /* the reply cut by the gap goes on */
    st->gap_cont = 0;
    if (st->cont_code && code != st->cont_code) {
        sk_smtp__anomaly(st, is_orig, tx, SK_ANOMALY_CONT_CODE_MISMATCH);
        sk_smtp__unexpected(st, is_orig, tx, "reply code does not match the continuing reply", line,
                            n);
        st->cont_code = 0;
    }
    bool msg_follows = !st->cont_code && !new_reply(st, is_orig) && !cont && code == 354 &&
                       st->client_resync && !st->data_mode;
    if (first && !st->cont_code && st->cur_reply.cmd == SK_SMTP_CMD_GREETING && st->from_start &&
        st->seen_client_line && code != 220 && code != 421 && code != 554 && st->q_len > 0) {
        /* The client spoke first and this is no greeting: the server never greeted, the reply
         * answers the client's first command. */
        pop(st, &st->cur_reply);
    }
    tx = st->cur_reply.tx_id;
    /* The message, as Zeek takes it: after "-" on a continuation line, else after the code,
     * without leading blanks. */
    size_t i = cont ? 4 : 3;
    if (i > n)
        i = n;
    while (i < n && (line[i] == ' ' || line[i] == '\t'))
        i++;
    sk_smtp__reply(st, is_orig, tx, (uint16_t)code, sk_smtp_cmd_name(st->cur_reply.cmd), line + i,
                   n - i, cont);
    sk_smtp__field_num(st, is_orig, tx, SK_FIELD_SMTP_REPLY_CODE, (uint64_t)code);
    sk_smtp__field(st, is_orig, tx, SK_FIELD_SMTP_REPLY_MSG, line + i, n - i, 0);
    st->cont_code = cont ? (uint16_t)code : 0;
    if (!cont)
        reply_effects(st, is_orig, &st->cur_reply, (uint16_t)code);
    if (msg_follows)
        data_from_reply(st);
}

/* ---- the ops ---- */

static int probe(bool is_orig, const uint8_t *buf, size_t len)
{
    static const char *const hello[] = {"HELO", "EHLO"};
    if (!is_orig) {
        static const uint8_t greet[] = "220";
        size_t n = len < 3 ? len : 3;
        if (memcmp(buf, greet, n) != 0)
            return 0;
        if (len < 4)
            return -1;
        return buf[3] == ' ' || buf[3] == '-' || buf[3] == '\r' || buf[3] == '\n' ? 1 : 0;
    }
    for (size_t k = 0; k < 2; k++) {
        size_t n = len < 4 ? len : 4;
        bool match = true;
        for (size_t i = 0; i < n; i++)
            if ((buf[i] & ~0x20) != (uint8_t)hello[k][i])
                match = false;
        if (!match)
            continue;
        if (len < 5)
            return -1;
        return buf[4] == ' ' || buf[4] == '\r' || buf[4] == '\n' ? 1 : 0;
    }
    return 0;
}

static int state_new(void **out, const void *config, const struct sk_sink *sink)
{
    struct sk_smtp_config cfg;
    struct sk_smtp__state *st;
    int err = SK_E_NOMEM;
    if (config)
        cfg = *(const struct sk_smtp_config *)config;
    else
        sk_smtp_config_defaults(&cfg);
    if (cfg.max_command_line < MIN_LINE || cfg.max_reply_line < MIN_LINE ||
        cfg.max_data_chunk < MIN_LINE || cfg.max_pending_commands == 0 ||
        cfg.max_rfc_command_line == 0 || cfg.max_auth_line == 0 || !sink || !sink->emit)
        return SK_E_INVAL;

    size_t qn = cfg.max_pending_commands < MIN_QUEUE ? cfg.max_pending_commands : MIN_QUEUE;
    size_t charge = sk_mem_alloc_cost(sizeof(*st)) + sk_mem_alloc_cost(qn * sizeof(*st->q));
    if (!sk_mem_charge(cfg.budget, charge))
        return SK_E_LIMIT;
    st = calloc(1, sizeof(*st));
    if (!st)
        goto out_uncharge;
    st->cfg = cfg;
    st->sink = *sink;
    size_t cap = cfg.max_command_line;
    if (cfg.max_reply_line > cap)
        cap = cfg.max_reply_line;
    if (cfg.max_data_chunk > cap)
        cap = cfg.max_data_chunk;
    /* A piece can be as long as the longest limit: a partial line outlives a change of mode
     * (a refused DATA, TURN). Buffers are allocated as lines need them. */
    sk_smtp_line_init(&st->rd[0], cap, cfg.budget);
    sk_smtp_line_init(&st->rd[1], cap, cfg.budget);
    st->line_cap = cap;
    st->q = malloc(qn * sizeof(*st->q));
    if (!st->q)
        goto out_free_state;
    st->q_cap = qn;
    st->client_is_orig = true;
    st->cur_tx = SK_TX_NONE;
    sk_smtp__push(st, false, SK_SMTP_CMD_GREETING, SK_TX_NONE, false, SK_TX_END_DATA);
    *out = st;
    return 0;

out_free_state:
    free(st);
out_uncharge:
    sk_mem_uncharge(cfg.budget, charge);
    return err;
}

static void state_free(void *state)
{
    struct sk_smtp__state *st = state;
    if (!st)
        return;
    /* Freed without close(): the body hook still gets its end, with no events. */
    if (st->body && st->cfg.body->end)
        st->cfg.body->end(st->body, false);
    sk_mem_uncharge(st->cfg.budget,
                    sk_mem_alloc_cost(sizeof(*st)) + sk_mem_alloc_cost(st->q_cap * sizeof(*st->q)) +
                        sk_mem_alloc_cost(st->helo_alloc) + sk_mem_alloc_cost(st->scratch_alloc) +
                        sk_mem_alloc_cost(st->data_head_alloc));
    sk_smtp__hold_release(st);
    free(st->data_head);
    free(st->scratch);
    free(st->helo);
    free(st->q);
    sk_smtp_line_release(&st->rd[1]);
    sk_smtp_line_release(&st->rd[0]);
    free(st);
}

/* After STARTTLS, the next bytes of each direction should be a TLS record (types 20-23). */
static void check_tls(struct sk_smtp__state *st, bool is_orig, const uint8_t *buf, size_t len)
{
    if (len == 0 || st->tls_checked[is_orig])
        return;
    st->tls_checked[is_orig] = true;
    if (buf[0] < 20 || buf[0] > 23)
        sk_smtp__anomaly(st, is_orig, SK_TX_NONE, SK_ANOMALY_FAILED_PROTOCOL_CHANGE);
}

/* After an accepted STARTTLS: plain SMTP from the client (a capture decrypted, or taken behind
 * a TLS-terminating proxy) when its first byte begins a verb (a letter); a TLS record begins
 * with its type (20-23). One byte decides, so how the bytes were split never matters. */
static bool plain_smtp(const uint8_t *buf, size_t len)
{
    return len > 0 && (buf[0] | 0x20) >= 'a' && (buf[0] | 0x20) <= 'z';
}

/* The frame of a line piece: a line's first piece begins one (a line cut at the length limit
 * is a frame of its first piece's bytes); the events of the piece carry it. */
static void line_frame(struct sk_smtp__state *st, bool is_orig, enum sk_frame_type type,
                       const struct sk_smtp_piece *p)
{
    st->line_frame_on = p->starts_line;
    st->line_frame_orig = is_orig;
    if (!p->starts_line)
        return;
    st->line_frame = (struct sk_frame){
        .type = type,
        .complete = p->ends_line,
        .id = ++st->frame_ids[is_orig],
        .offset = st->piece_off,
        .len = p->len,
        .bytes = {p->ptr, p->len},
    };
}

static void feed(void *state, bool is_orig, const uint8_t *buf, size_t len)
{
    struct sk_smtp__state *st = state;
    st->hold.nested = 0;
    sk_smtp__feed_bytes(st, is_orig, buf, len);
}

void sk_smtp__feed_bytes(struct sk_smtp__state *st, bool is_orig, const uint8_t *buf, size_t len)
{
    struct sk_smtp_piece p;
    if (!st->fed[is_orig] && len > 0) {
        /* A direction that opens with a TLS handshake record is implicit TLS (SMTPS on 465,
         * or a client that does not speak SMTP): nothing in it is an SMTP line. */
        st->fed[is_orig] = true;
        if (!st->done && buf[0] == 0x16 && (len < 2 || buf[1] == 0x03)) {
            st->tls_dir[is_orig] = true;
            if (st->tls_dir[!is_orig]) {
                st->done = true;
                st->tls_checked[0] = st->tls_checked[1] = true;
            }
        }
    }
    if (st->tls_dir[is_orig] && !is_client(st, is_orig))
        return; /* a TLS server: nothing to parse (a TLS client: see command_line) */
    while (len > 0 && !st->mem_refused) {
        if (st->tls_wait) {
            st->tls_wait = false;
            if (!is_client(st, is_orig) || !plain_smtp(buf, len))
                st->done = true;
        }
        if (st->done) {
            check_tls(st, is_orig, buf, len);
            return;
        }
        if (st->hold.on) { /* held bytes are counted in st->pos when fed again */
            size_t used = sk_smtp__hold_bytes(st, is_orig, buf, len);
            buf += used;
            len -= used;
            continue;
        }
        bool client = is_client(st, is_orig);
        if (client && st->msg_active && st->bdat_left > 0) {
            size_t used = sk_smtp__bdat_bytes(st, is_orig, buf, len);
            st->pos[is_orig] += used;
            buf += used;
            len -= used;
            continue;
        }
        if (client && st->data_mode && sk_smtp_line_pending(&st->rd[is_orig]) == 0 &&
            !st->rd[is_orig].mid_line) {
            /* whole message lines go as one run; a line that needs more goes below */
            size_t used = sk_smtp__data_run(st, is_orig, buf, len);
            st->pos[is_orig] += used;
            buf += used;
            len -= used;
            if (used > 0)
                continue;
        }
        size_t limit = !client         ? st->cfg.max_reply_line
                       : st->data_mode ? st->cfg.max_data_chunk
                                       : st->cfg.max_command_line;
        size_t before = len;
        bool got = sk_smtp_line_next(&st->rd[is_orig], limit, &buf, &len, &p);
        st->pos[is_orig] += before - len;
        if (!got) {
            if (st->rd[is_orig].refused)
                mem_refused(st);
            return;
        }
        /* the piece's bytes may have come in earlier feeds: it ends where the stream is */
        st->piece_off = st->pos[is_orig] - p.len;
        if (!client) {
            if (!p.starts_line && st->server_skip_rest)
                continue;
            st->server_skip_rest = false;
            line_frame(st, is_orig, SK_FRAME_RESPONSE_LINE, &p);
            reply_line(st, is_orig, &p);
        } else if (st->data_mode) {
            sk_smtp__data_piece(st, is_orig, &p);
        } else {
            if (!p.starts_line && st->client_skip_rest)
                continue;
            st->client_skip_rest = false;
            line_frame(st, is_orig, SK_FRAME_COMMAND_LINE, &p);
            command_line(st, is_orig, &p);
        }
        st->line_frame_on = false;
    }
}

static void gap(void *state, bool is_orig, uint64_t len)
{
    struct sk_smtp__state *st = state;
    if (st->done || len == 0)
        return;
    st->hold.nested = 0;
    sk_smtp__hold_abandon(st); /* undecided: the RFC's reading */
    st->pos[is_orig] += len;
    if (st->done || st->mem_refused)
        return;
    bool client = is_client(st, is_orig);
    uint64_t tx = client ? st->cur_tx : SK_TX_NONE;
    char detail[48];
    int dl = snprintf(detail, sizeof(detail), "len = %llu", (unsigned long long)len);
    sk_smtp__unexpected(st, is_orig, tx, "content gap", (const uint8_t *)detail, (size_t)dl);
    sk_smtp__anomaly(st, is_orig, tx, SK_ANOMALY_CONTENT_GAP);
    if (sk_smtp_line_reset(&st->rd[is_orig]) > 0)
        sk_smtp__anomaly(st, is_orig, tx, SK_ANOMALY_TRUNCATED_LINE);

    if (!client) {
        /* Keep the queue: replies after the gap are paired in order, unmatched ones quietly. */
        st->server_resync = true;
        st->server_skip_rest = false;
        st->gap_cont = st->cont_code;
        st->cont_code = 0;
        st->desync = true;
        return;
    }
    st->client_skip_rest = false;
    if (st->msg_active && st->bdat_left > 0) {
        st->msg_incomplete = true;
        if (len <= st->bdat_left) {
            st->bdat_left -= len;
            if (st->bdat_left == 0)
                sk_smtp__bdat_bytes(st, is_orig, NULL, 0);
            return;
        }
        st->bdat_left = 0;
        sk_smtp__bdat_bytes(st, is_orig, NULL, 0);
    } else if (st->data_mode) {
        /* Stay in the message: its end marker, or the server's next reply, ends it. */
        st->msg_incomplete = true;
        st->prev_crlf = false;
        return;
    }
    /* Commands were lost: their replies will come. One placeholder stands for them all; the
     * reply it gets is reported for "(UNKNOWN)". */
    st->client_resync = true;
    st->in_auth = false;
    st->desync = true;
    size_t before = st->q_len;
    sk_smtp__push(st, is_orig, SK_SMTP_CMD_OTHER, st->cur_tx, false, SK_TX_END_DATA);
    if (st->q_len > before)
        sk_smtp__queued(st, st->q_len - 1)->lost = true;
}

static void session_close(void *state)
{
    struct sk_smtp__state *st = state;
    st->hold.nested = 0;
    sk_smtp__hold_abandon(st);
    if (!st->done) {
        for (int d = 0; d < 2; d++) {
            bool is_orig = d == 1;
            if (sk_smtp_line_pending(&st->rd[d]) > 0) {
                uint64_t tx = is_client(st, is_orig) ? st->cur_tx : SK_TX_NONE;
                sk_smtp__anomaly(st, is_orig, tx, SK_ANOMALY_TRUNCATED_LINE);
                sk_smtp_line_reset(&st->rd[d]);
            }
        }
        sk_smtp__msg_end(st, st->client_is_orig, false);
    }
    if (st->next_tx > 0)
        sk_smtp__tx_close(st, st->next_tx - 1, SK_TX_END_SESSION);
    st->cur_tx = SK_TX_NONE;
}

static void session_start(void *state)
{
    struct sk_smtp__state *st = state;
    st->from_start = true;
}

static const char *direction_proto(const void *state, bool is_orig)
{
    const struct sk_smtp__state *st = state;
    if (st->tls_dir[is_orig])
        return "tls";
    if (is_client(st, is_orig) ? st->seen_client_line : st->seen_server_line)
        return "smtp";
    return NULL;
}

static bool done(const void *state)
{
    const struct sk_smtp__state *st = state;
    return st->done || st->mem_refused;
}

const struct sk_parser_ops sk_smtp_parser = {
    .name = "smtp",
    .probe = probe,
    .state_new = state_new,
    .session_start = session_start,
    .feed = feed,
    .gap = gap,
    .close = session_close,
    .direction_proto = direction_proto,
    .done = done,
    .state_free = state_free,
};
