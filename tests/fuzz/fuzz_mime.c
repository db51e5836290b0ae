/* SPDX-License-Identifier: GPL-2.0-only */
/* libFuzzer target for the MIME decoder: the input is a message, fed once whole and once in
 * chunks whose sizes come from the input's first bytes, with small limits so every limit
 * path is reachable. Both runs must give the same events (a digest of them is compared), and
 * ASan/UBSan watch memory. Built by --enable-fuzzers and run by make fuzz-smoke
 * (docs/development.md); make check replays its regressions. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "parsers/mime/mime.h"

struct digest {
    EVP_MD_CTX *ctx;
};

static void add(struct digest *d, const void *p, size_t n)
{
    EVP_DigestUpdate(d->ctx, p, n);
}

static void emit(void *ctx, const struct sk_event *ev)
{
    struct digest *d = ctx;
    add(d, &ev->type, sizeof(ev->type));
    switch (ev->type) {
    case SK_EV_FIELD:
        add(d, &ev->u.field.id, sizeof(ev->u.field.id));
        add(d, &ev->u.field.flags, sizeof(ev->u.field.flags));
        add(d, ev->u.field.value.ptr, ev->u.field.value.len);
        break;
    case SK_EV_ANOMALY:
        add(d, &ev->u.anomaly.id, sizeof(ev->u.anomaly.id));
        break;
    case SK_EV_FILE:
        add(d, &ev->u.file.file_id, sizeof(ev->u.file.file_id));
        add(d, ev->u.file.name.ptr, ev->u.file.name.len);
        add(d, &ev->u.file.size, sizeof(ev->u.file.size));
        add(d, ev->u.file.md5, sizeof(ev->u.file.md5));
        break;
    default:
        abort();
    }
}

static void run(const uint8_t *data, size_t size, const uint8_t *steps, size_t nsteps,
                uint8_t out[32])
{
    struct digest d = {EVP_MD_CTX_new()};
    struct sk_sink sink = {.emit = emit, .ctx = &d, .want = 0xffffffffu};
    struct sk_mime_config cfg;
    struct sk_mime *m = NULL;
    uint32_t id = 1;
    unsigned int len;
    sk_mime_config_defaults(&cfg);
    cfg.max_line = 100;
    cfg.max_depth = 4;
    cfg.max_header_value = 200;
    cfg.max_header_size = 1000;
    cfg.max_boundary = 40;
    cfg.max_filename = 20;
    cfg.max_urls = 4;
    cfg.file_data_max = 3000;
    if (d.ctx == NULL || EVP_DigestInit_ex(d.ctx, EVP_sha256(), NULL) != 1 ||
        sk_mime_new(&m, &cfg, &sink, 0, &id) != 0)
        abort();
    size_t off = 0, k = 0;
    while (off < size) {
        size_t n = nsteps ? (size_t)steps[k++ % nsteps] + 1 : size;
        if (n > size - off)
            n = size - off;
        sk_mime_feed(m, data + off, n);
        off += n;
    }
    sk_mime_end(m, true);
    sk_mime_free(m);
    EVP_DigestFinal_ex(d.ctx, out, &len);
    EVP_MD_CTX_free(d.ctx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t whole[32], chunked[32];
    size_t nsteps = size > 0 ? data[0] % 8 : 0;
    if (size < 1 + nsteps)
        return 0;
    const uint8_t *steps = data + 1;
    data += 1 + nsteps;
    size -= 1 + nsteps;
    run(data, size, NULL, 0, whole);
    run(data, size, steps, nsteps, chunked);
    if (memcmp(whole, chunked, sizeof(whole)) != 0)
        abort();
    return 0;
}
