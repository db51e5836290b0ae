/* SPDX-License-Identifier: GPL-2.0-only */
/* libmagic behind a small handle: opened with the flags the `file` command uses by default,
 * so a file's `magic` is what `file -b` says of the same bytes. */
#include <magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/error.h"
#include "parsers/mime/mime_magic.h"

struct sk_mime_magic {
    magic_t cookie;
};

int sk_mime_magic_new(struct sk_mime_magic **out, char *errbuf, size_t errlen)
{
    struct sk_mime_magic *mg = calloc(1, sizeof(*mg));
    if (mg == NULL)
        return SK_E_NOMEM;
    mg->cookie = magic_open(MAGIC_NONE);
    if (mg->cookie == NULL)
        goto out_free;
    if (magic_load(mg->cookie, NULL) != 0) {
        snprintf(errbuf, errlen, "cannot load the libmagic database: %s",
                 magic_error(mg->cookie) ? magic_error(mg->cookie) : "unknown error");
        magic_close(mg->cookie);
        free(mg);
        return SK_E_IO;
    }
    *out = mg;
    return 0;
out_free:
    free(mg);
    return SK_E_NOMEM;
}

size_t sk_mime_magic_describe(struct sk_mime_magic *mg, const uint8_t *p, size_t n, char *out)
{
    const char *d = magic_buffer(mg->cookie, p, n);
    out[0] = '\0';
    if (d == NULL)
        return 0;
    size_t len = strlen(d);
    if (len >= SK_MIME_MAGIC_MAX)
        len = SK_MIME_MAGIC_MAX - 1;
    memcpy(out, d, len);
    out[len] = '\0';
    return len;
}

void sk_mime_magic_free(struct sk_mime_magic *mg)
{
    if (mg == NULL)
        return;
    magic_close(mg->cookie);
    free(mg);
}
