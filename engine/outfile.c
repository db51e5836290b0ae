/* SPDX-License-Identifier: GPL-2.0-only */
/* Log files and address formatting for the outputs (outfile.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "engine/error.h"
#include "engine/log.h"
#include "engine/outfile.h"

int sk_outfile_open(FILE **out, const char *dir, const char *name)
{
    if (!dir || !name)
        return SK_E_INVAL;
    char path[4096];
    int n = snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= sizeof(path)) {
        sk_error("log path too long: '%s/%s'", dir, name);
        return SK_E_INVAL;
    }
    FILE *fp = fopen(path, "w");
    if (!fp) {
        sk_error("cannot open '%s': %s", path, strerror(errno));
        return SK_E_IO;
    }
    if (setvbuf(fp, NULL, _IOFBF, 64 * 1024) != 0) {
        fclose(fp);
        sk_error("cannot set a buffer on '%s'", path);
        return SK_E_IO;
    }
    *out = fp;
    return 0;
}

int sk_outfile_write(FILE *fp, const char *buf, size_t len)
{
    if (len && fwrite(buf, 1, len, fp) != len) {
        sk_error("log write failed: %s", strerror(errno));
        return SK_E_IO;
    }
    return 0;
}

void sk_addr_format(const struct sk_addr *a, bool expanded, char *out, size_t n)
{
    if (n == 0)
        return;
    out[0] = '\0';
    if (a->family == 4) {
        snprintf(out, n, "%u.%u.%u.%u", a->bytes[0], a->bytes[1], a->bytes[2], a->bytes[3]);
        return;
    }
    if (a->family != 6)
        return;
    if (!expanded) {
        if (!inet_ntop(AF_INET6, a->bytes, out, (socklen_t)n))
            out[0] = '\0';
        return;
    }
    size_t o = 0;
    for (int i = 0; i < 8 && o < n; i++) {
        int w = snprintf(out + o, n - o, "%s%02x%02x", i ? ":" : "", a->bytes[2 * i],
                         a->bytes[2 * i + 1]);
        if (w < 0)
            break;
        o += (size_t)w;
    }
}

const char *sk_ip_proto_name(uint8_t proto, char *buf, size_t n)
{
    switch (proto) {
    case 1:
        return "ICMP";
    case 6:
        return "TCP";
    case 17:
        return "UDP";
    case 58:
        return "IPv6-ICMP";
    case 132:
        return "SCTP";
    default:
        snprintf(buf, n, "%u", proto);
        return buf;
    }
}
