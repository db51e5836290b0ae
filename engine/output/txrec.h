/* SPDX-License-Identifier: GPL-2.0-only */
/* The transaction builder: per flow, it consumes the parser's events and keeps a struct
 * sk_tx_record (output.h) for each open transaction, so that alerts, files and anomalies
 * can be logged with their transaction's smtp and email objects, and the finished record
 * goes to smtp.log and EVE smtp at SK_EV_TX_CLOSE. HELO belongs to the session and is
 * carried into every later transaction. One builder per flow; not thread safe. */
#ifndef SK_TXREC_H
#define SK_TXREC_H

#include <stddef.h>
#include <stdint.h>

#include "engine/output/output.h"
#include <openssl/evp.h>

#include "parsers/parser.h"

struct sk_txrec_limits {
    size_t max_value_len; /* bytes kept of one value (default 4096); longer values are cut */
    size_t max_items;     /* values kept in one list (default 256); later ones are dropped */
    size_t max_records;   /* records held at once, open or recently closed (default 4) */
    size_t max_header;    /* bytes of the message header scanned for the Zeek-only columns
                           * Reply-To, In-Reply-To, X-Originating-IP, User-Agent (default
                           * 16384; 0 turns the scan off) */
    const EVP_MD *md5;    /* subject_md5's digest, fetched once by the caller (borrowed); NULL:
                           * EVP_md5(), which OpenSSL 3 looks up again at every use */
    EVP_MD_CTX *md5_ctx;  /* a context for it, reused by every subject_md5 (borrowed; used by
                           * the builders of one thread only); NULL: one made per digest */
};

/* Fills lim with the defaults above (md5 and md5_ctx NULL). */
void sk_txrec_limits_defaults(struct sk_txrec_limits *lim);

struct sk_txrec;

/* Called when a transaction ends (SK_EV_TX_CLOSE) or when its record is pushed out by
 * max_records while still open (why SK_TX_END_SESSION). tx is borrowed for the call. */
typedef void (*sk_txrec_close_fn)(void *ctx, const struct sk_tx_record *tx, enum sk_tx_end why);

/* Creates a builder for the flow whose Zeek uid is uid (used to name files: fuids are
 * "F" + the uid without its "C" + "." + the file id). lim may be NULL for the defaults.
 * Returns 0 or SK_E_NOMEM; caller frees with sk_txrec_free(). */
int sk_txrec_new(struct sk_txrec **out, const struct sk_txrec_limits *lim, const char *uid);

/* Consumes one parser event seen at ts_us. Events naming a transaction create its record
 * on first sight. At SK_EV_TX_CLOSE the record is completed (status, subject_md5) and
 * handed to on_close (which may be NULL); the record then stays readable through
 * sk_txrec_get() until max_records newer transactions push it out, so an alert or file
 * logged just after the close still finds it. Out of memory loses record data, never
 * events. */
void sk_txrec_event(struct sk_txrec *r, const struct sk_event *ev, uint64_t ts_us,
                    sk_txrec_close_fn on_close, void *ctx);

/* Returns the record of tx_id (open or recently closed), or NULL. Borrowed: valid until
 * the next sk_txrec_event() or sk_txrec_finish() call. */
const struct sk_tx_record *sk_txrec_get(const struct sk_txrec *r, uint64_t tx_id);

/* The flow ended: hands every still-open record to on_close with SK_TX_END_SESSION, in
 * order of tx_id. */
void sk_txrec_finish(struct sk_txrec *r, sk_txrec_close_fn on_close, void *ctx);

/* Bytes the builder holds: itself, its slots, and every value, list and header copy of its
 * records. It walks them, but only after an event that could have changed them (one that
 * made a record, kept a value, grew the reply buffer, copied header bytes, or closed one);
 * else it answers what it found last. */
size_t sk_txrec_memuse(struct sk_txrec *r);

void sk_txrec_free(struct sk_txrec *r);

#endif
