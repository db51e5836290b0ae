/* SPDX-License-Identifier: GPL-2.0-only */
/* libFuzzer target for the capture reader and the packet decoder: the input is a capture
 * file (pcap or pcapng), opened by the real source code from an in-memory file, and every
 * packet is decoded (link layers, VLANs, IPv4/IPv6 with fragment reassembly under a small
 * memory cap, TCP options). A decoded payload must lie inside what the decoder handed out;
 * every byte of it is read so that ASan sees an overrun. */
#include <stdlib.h>
#include <unistd.h>

#include "engine/capture/decode.h"
#include "engine/capture/source.h"
#include "tests/fuzz/fuzz_common.h"

static void count(void *ctx, const char *name, uint64_t value)
{
    (void)name;
    *(uint64_t *)ctx += value;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct sk_decode_config dcfg = {.frag_memcap = 64 * 1024, .frag_timeout_us = 1000000};
    struct sk_source *src = NULL;
    struct sk_decoder *dec = NULL;
    struct sk_raw_packet raw;
    struct sk_packet pkt;
    char path[64], err[256];
    uint64_t sum = 0;
    int fd = sk_fuzz_memfile(data, size, path, sizeof(path));
    if (fd < 0)
        abort();
    if (sk_decoder_new(&dec, &dcfg) < 0)
        abort();
    if (sk_source_open_offline(&src, path, NULL, err, sizeof(err)) < 0)
        goto out;
    int r;
    while ((r = sk_source_next(src, &raw)) != 0) {
        if (r < 0)
            continue;
        if (sk_decoder_decode(dec, &raw, &pkt) != 1)
            continue;
        if (pkt.payload_len && !pkt.payload)
            abort();
        for (size_t i = 0; i < pkt.payload_len; i++)
            sum += pkt.payload[i];
    }
    struct sk_source_stats st;
    sk_source_get_stats(src, &st);
    sk_decode_stats_foreach(sk_decoder_stats(dec), count, &sum);
    if (st.packets != sk_decoder_stats(dec)->packets)
        abort();
out:
    sk_source_free(src);
    sk_decoder_free(dec);
    close(fd);
    volatile uint64_t keep = sum; /* the reads above are not optimised away */
    (void)keep;
    return 0;
}
