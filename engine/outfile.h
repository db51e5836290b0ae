/* SPDX-License-Identifier: GPL-2.0-only */
/* What the log writers (output_*.c) share: opening a buffered log file in the log folder
 * and printing addresses the way Suricata (expanded IPv6) or Zeek (inet_ntop) does. */
#ifndef SK_OUTFILE_H
#define SK_OUTFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "engine/decode.h"

/* Opens (truncates) dir/name for writing with a 64 KiB stdio buffer. Returns 0 or SK_E_IO
 * (SK_E_INVAL for a NULL dir or name); the error is logged with the path. The caller closes
 * *out with fclose(). */
int sk_outfile_open(FILE **out, const char *dir, const char *name);

/* Writes len bytes; returns 0 or SK_E_IO (logged once per call). */
int sk_outfile_write(FILE *fp, const char *buf, size_t len);

#define SK_ADDR_STRLEN 48

/* Formats a: IPv4 dotted; IPv6 either as inet_ntop does (expanded false: Zeek) or as eight
 * four-digit groups (expanded true: Suricata's EVE and fast.log). */
void sk_addr_format(const struct sk_addr *a, bool expanded, char *out, size_t n);

/* "TCP", "UDP", "ICMP", ... or the decimal number, into buf (at least 8 bytes). */
const char *sk_ip_proto_name(uint8_t proto, char *buf, size_t n);

#endif
