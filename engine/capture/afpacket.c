/* SPDX-License-Identifier: GPL-2.0-only */
/* AF_PACKET capture on Linux: a raw socket per worker with a TPACKET_V3 ring mapped into
 * memory, joined to a PACKET_FANOUT group in hash mode with the defrag flag. The kernel fills
 * whole blocks of packets and hands a block over when it is full or after a short timeout;
 * the reader walks the block's packets in place and gives the block back when it moves on. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "engine/capture/afpacket.h"
#include "engine/error.h"

/* A block the kernel has not filled is handed over after this long anyway, so a quiet link
 * still delivers its packets promptly. */
#define BLOCK_TIMEOUT_MS 10
/* TPACKET_V3 packets take the room they need in a block; the frame size only sets how many
 * frame slots the kernel accounts for. */
#define FRAME_SIZE       2048

struct sk_afp {
    int fd;
    uint8_t *map;
    size_t map_len;
    size_t block_size;
    unsigned n_blocks;
    unsigned cur;              /* the block being read */
    struct tpacket3_hdr *next; /* the next packet in the current block, when held */
    uint32_t left;             /* packets of the current block not yet handed out */
    bool held;                 /* the current block is ours until we move on */
    int linktype;
    unsigned snaplen;
    uint16_t group; /* the fan-out group id */
};

static void set_err(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *buf, size_t len, const char *fmt, ...)
{
    va_list ap;

    if (!buf || !len)
        return;
    va_start(ap, fmt);
    vsnprintf(buf, len, fmt, ap);
    va_end(ap);
}

int sk_afp_linktype(const char *iface, char *err, size_t errlen)
{
    struct ifreq ifr = {0};

    if (strlen(iface) >= sizeof(ifr.ifr_name) || if_nametoindex(iface) == 0) {
        set_err(err, errlen, "cannot open interface '%s': no such interface", iface);
        return SK_E_NOTFOUND;
    }
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) {
        set_err(err, errlen, "cannot open interface '%s': %s", iface, strerror(errno));
        return SK_E_PCAP;
    }
    memcpy(ifr.ifr_name, iface, strlen(iface) + 1);
    int rc = ioctl(fd, SIOCGIFHWADDR, &ifr);
    int e = errno;
    close(fd);
    if (rc < 0) {
        set_err(err, errlen, "cannot read the link type of '%s': %s", iface, strerror(e));
        return SK_E_PCAP;
    }
    switch (ifr.ifr_hwaddr.sa_family) {
    case ARPHRD_ETHER:
    case ARPHRD_LOOPBACK: /* lo carries Ethernet headers with zero addresses */
        return DLT_EN10MB;
    case ARPHRD_NONE: /* tun and other IP-only links: the packet is the IP header on */
        return DLT_RAW;
    default:
        set_err(err, errlen,
                "interface '%s' has ARP hardware type %d, which AF_PACKET capture does not "
                "decode: capture it with -i (libpcap)",
                iface, ifr.ifr_hwaddr.sa_family);
        return SK_E_FORMAT;
    }
}

static int set_filter(int fd, const struct sock_filter *insns, unsigned short n)
{
    struct sock_fprog prog = {.len = n, .filter = (struct sock_filter *)insns};
    return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog));
}

int sk_afp_open(struct sk_afp **out, const struct sk_afp_config *cfg, int linktype, char *err,
                size_t errlen)
{
    /* Nothing may land in the ring before the socket is in its fan-out group (it would take
     * packets of other workers' flows): it starts with a filter that takes no packet. */
    static const struct sock_filter drop_all[] = {BPF_STMT(BPF_RET | BPF_K, 0)};
    const char *iface = cfg->iface;
    int rc = SK_E_PCAP;

    *out = NULL;
    unsigned ifindex = if_nametoindex(iface);
    if (ifindex == 0) {
        set_err(err, errlen, "cannot open interface '%s': no such interface", iface);
        return SK_E_NOTFOUND;
    }
    long page = sysconf(_SC_PAGESIZE);
    size_t bs = cfg->block_size;
    if (page <= 0 || bs < (size_t)page || (bs & (bs - 1)) != 0 || bs % FRAME_SIZE != 0) {
        set_err(err, errlen,
                "af-packet block size %zu: expected a power of two of at least one page (%ld)", bs,
                page);
        return SK_E_INVAL;
    }
    size_t n_blocks = cfg->ring_size / bs;
    if (n_blocks < 2 || n_blocks > 65536) {
        set_err(err, errlen, "af-packet ring size %zu: expected 2 to 65536 blocks of %zu bytes",
                cfg->ring_size, bs);
        return SK_E_INVAL;
    }
    struct sk_afp *a = calloc(1, sizeof(*a));
    if (!a)
        return SK_E_NOMEM;
    a->fd = -1;
    a->block_size = bs;
    a->n_blocks = (unsigned)n_blocks;
    a->linktype = linktype;
    a->snaplen = cfg->snaplen ? cfg->snaplen : 65535;

    const char *step = "open a packet socket";
    a->fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
    if (a->fd < 0)
        goto out_errno;
    int version = TPACKET_V3;
    step = "use TPACKET_V3";
    if (setsockopt(a->fd, SOL_PACKET, PACKET_VERSION, &version, sizeof(version)) < 0)
        goto out_errno;
    step = "set the filter";
    if (set_filter(a->fd, drop_all, 1) < 0)
        goto out_errno;
    struct tpacket_req3 req = {
        .tp_block_size = (unsigned)bs,
        .tp_block_nr = (unsigned)n_blocks,
        .tp_frame_size = FRAME_SIZE,
        .tp_frame_nr = (unsigned)(bs / FRAME_SIZE * n_blocks),
        .tp_retire_blk_tov = BLOCK_TIMEOUT_MS,
    };
    step = "set up the ring";
    if (setsockopt(a->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)) < 0)
        goto out_errno;
    a->map_len = bs * n_blocks;
    step = "map the ring";
    a->map = mmap(NULL, a->map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_LOCKED, a->fd, 0);
    if (a->map == MAP_FAILED) /* without the right to lock memory, unlocked */
        a->map = mmap(NULL, a->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, a->fd, 0);
    if (a->map == MAP_FAILED) {
        a->map = NULL;
        goto out_errno;
    }
    struct sockaddr_ll sll = {
        .sll_family = AF_PACKET,
        .sll_protocol = htons(ETH_P_ALL),
        .sll_ifindex = (int)ifindex,
    };
    step = "bind to the interface";
    if (bind(a->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
        goto out_errno;
    struct packet_mreq mr = {.mr_ifindex = (int)ifindex, .mr_type = PACKET_MR_PROMISC};
    step = "set promiscuous mode";
    if (setsockopt(a->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0)
        goto out_errno;
    /* Hash mode: the kernel's symmetric flow hash, so both directions of a flow reach the same
     * socket; defrag: fragments are reassembled before hashing (they lack the ports). */
    uint32_t mode = PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG;
    /* The first socket asks the kernel for a group id no other socket uses. */
    if (cfg->fanout_id == 0)
        mode |= PACKET_FANOUT_FLAG_UNIQUEID;
    /* the option is an int: the id in the low 16 bits, mode and flags above (unsigned shift) */
    uint32_t fanout = cfg->fanout_id | (mode << 16);
    socklen_t flen = sizeof(fanout);
    step = "join the fan-out group";
    if (setsockopt(a->fd, SOL_PACKET, PACKET_FANOUT, &fanout, sizeof(fanout)) < 0 ||
        getsockopt(a->fd, SOL_PACKET, PACKET_FANOUT, &fanout, &flen) < 0)
        goto out_errno;
    a->group = (uint16_t)(fanout & 0xffff);
    step = "set the filter";
    if (cfg->bpf_prog) {
        const struct bpf_program *bp = cfg->bpf_prog;
        if (bp->bf_len > 0xffff || set_filter(a->fd, (const struct sock_filter *)bp->bf_insns,
                                              (unsigned short)bp->bf_len) < 0)
            goto out_errno;
    } else if (setsockopt(a->fd, SOL_SOCKET, SO_DETACH_FILTER, &version, sizeof(version)) < 0) {
        goto out_errno;
    }
    /* The counters start now: what the kernel counted under the drop-all filter is not ours. */
    uint64_t skip[3] = {0, 0, 0};
    sk_afp_kernel_stats(a, &skip[0], &skip[1], &skip[2]);
    *out = a;
    return 0;

out_errno:
    set_err(err, errlen, "cannot capture on '%s' with AF_PACKET: cannot %s: %s", iface, step,
            strerror(errno));
    if (errno == ENODEV || errno == ENXIO)
        rc = SK_E_NOTFOUND;
    sk_afp_free(a);
    return rc;
}

uint16_t sk_afp_group(const struct sk_afp *a)
{
    return a->group;
}

static struct tpacket_block_desc *block(const struct sk_afp *a, unsigned i)
{
    return (struct tpacket_block_desc *)(a->map + (size_t)i * a->block_size);
}

/* Gives the current block back to the kernel and moves to the next one. */
static void release(struct sk_afp *a)
{
    __atomic_store_n(&block(a, a->cur)->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
    a->held = false;
    a->cur = (a->cur + 1) % a->n_blocks;
}

int sk_afp_next(struct sk_afp *a, struct sk_raw_packet *pkt, int timeout_ms, char *err,
                size_t errlen)
{
    /* The last packet handed out lives in the held block until this call. */
    if (a->held && a->left == 0)
        release(a);
    if (!a->held) {
        struct tpacket_block_desc *bd = block(a, a->cur);
        if (!(__atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER)) {
            struct pollfd pfd = {.fd = a->fd, .events = POLLIN | POLLERR};
            int n = poll(&pfd, 1, timeout_ms);
            if (n < 0 && errno != EINTR) {
                set_err(err, errlen, "capture failed: poll: %s", strerror(errno));
                return SK_E_PCAP;
            }
            if (n > 0 && (pfd.revents & (POLLERR | POLLNVAL | POLLHUP)) &&
                !(pfd.revents & POLLIN)) {
                int soerr = 0;
                socklen_t sl = sizeof(soerr);
                getsockopt(a->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
                if (soerr == ENETDOWN)
                    return 0; /* the link went down: wait for it to come back */
                set_err(err, errlen, "capture failed: %s",
                        soerr ? strerror(soerr) : "socket error");
                return SK_E_PCAP;
            }
            if (!(__atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER))
                return 0;
        }
        a->held = true;
        a->left = bd->hdr.bh1.num_pkts;
        a->next = (struct tpacket3_hdr *)((uint8_t *)bd + bd->hdr.bh1.offset_to_first_pkt);
        if (a->left == 0) {
            release(a);
            return 0;
        }
    }
    struct tpacket3_hdr *h = a->next;
    const uint8_t *end = a->map + (size_t)(a->cur + 1) * a->block_size;
    const uint8_t *data = (const uint8_t *)h + h->tp_mac;
    if (data > end || h->tp_snaplen > (size_t)(end - data)) { /* never from a sane kernel */
        a->left = 0;
        return 0;
    }
    pkt->data = data;
    pkt->caplen = h->tp_snaplen < a->snaplen ? h->tp_snaplen : a->snaplen;
    pkt->wirelen = h->tp_len;
    pkt->ts_us = (uint64_t)h->tp_sec * 1000000u + h->tp_nsec / 1000u;
    pkt->linktype = a->linktype;
    a->left--;
    a->next = (struct tpacket3_hdr *)((uint8_t *)h + h->tp_next_offset);
    return 1;
}

void sk_afp_kernel_stats(struct sk_afp *a, uint64_t *packets, uint64_t *drops, uint64_t *freezes)
{
    struct tpacket_stats_v3 st = {0};
    socklen_t len = sizeof(st);

    if (!a || getsockopt(a->fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) < 0)
        return;
    *packets += st.tp_packets;
    *drops += st.tp_drops;
    *freezes += st.tp_freeze_q_cnt;
}

void sk_afp_free(struct sk_afp *a)
{
    if (!a)
        return;
    if (a->map)
        munmap(a->map, a->map_len);
    if (a->fd >= 0)
        close(a->fd);
    free(a);
}
