/* SPDX-License-Identifier: GPL-2.0-only */
/* File type descriptions through libmagic (the `file` command's library): one handle per
 * thread, since a magic_t is not thread safe; the MIME decoder describes each file once,
 * from its first bytes (docs/mime.md, fileinfo `magic`). */
#ifndef SK_MIME_MAGIC_H
#define SK_MIME_MAGIC_H

#include <stddef.h>
#include <stdint.h>

/* Bytes of a file's start that its description is made from (a file shorter than this is
 * described whole). */
#define SK_MIME_MAGIC_BYTES 8192
/* Room for a description, NUL included; a longer one is cut. */
#define SK_MIME_MAGIC_MAX   256

struct sk_mime_magic;

/* Opens libmagic with its default database. Returns 0, SK_E_NOMEM, or SK_E_IO when the
 * database cannot be loaded (errbuf says why). Caller frees with sk_mime_magic_free(). One
 * handle is used by one thread at a time. */
int sk_mime_magic_new(struct sk_mime_magic **out, char *errbuf, size_t errlen);

/* Writes the description of p[0..n) (as `file -b` gives it) to out (NUL-terminated, at
 * most SK_MIME_MAGIC_MAX bytes with the NUL). Returns its length, 0 when libmagic gives none. */
size_t sk_mime_magic_describe(struct sk_mime_magic *mg, const uint8_t *p, size_t n, char *out);

/* NULL is a no-op. */
void sk_mime_magic_free(struct sk_mime_magic *mg);

#endif
