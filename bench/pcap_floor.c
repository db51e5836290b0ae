/* SPDX-License-Identifier: GPL-2.0-only */
/* The floor: the fastest any engine reading this capture with libpcap could go on this
 * machine now. Reads every packet and touches every byte (a cheap checksum the compiler
 * cannot drop), then prints packets, bytes, seconds and MB/s on one line. */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

int main(int argc, char **argv)
{
    char err[PCAP_ERRBUF_SIZE];
    struct pcap_pkthdr *h;
    const u_char *data;
    uint64_t packets = 0, bytes = 0, sum = 0;
    struct timespec t0, t1;
    int r;

    if (argc != 2) {
        fprintf(stderr, "usage: pcap_floor FILE\n");
        return 2;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pcap_t *p = pcap_open_offline(argv[1], err);
    if (!p) {
        fprintf(stderr, "pcap_floor: %s\n", err);
        return 1;
    }
    while ((r = pcap_next_ex(p, &h, &data)) == 1) {
        packets++;
        bytes += h->caplen;
        for (uint32_t i = 0; i < h->caplen; i++)
            sum += data[i];
    }
    pcap_close(p);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("packets %llu bytes %llu seconds %.6f mbps %.1f checksum %llu\n",
           (unsigned long long)packets, (unsigned long long)bytes, s,
           s > 0 ? (double)bytes / s / 1e6 : 0.0, (unsigned long long)sum);
    return r == -1 ? 1 : 0;
}
