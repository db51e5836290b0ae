/* SPDX-License-Identifier: GPL-2.0-only */
/* The command table and argument parsers of smtp_cmd.h. */
#include <string.h>
#include <strings.h>

#include "parsers/smtp/smtp_cmd.h"

static const char *const cmd_names[SK_SMTP_CMD_COUNT] = {
#define SK__SMTP_CMD_NAME(id, verb) verb,
    SK_SMTP_COMMANDS(SK__SMTP_CMD_NAME)
#undef SK__SMTP_CMD_NAME
};

const char *sk_smtp_cmd_name(enum sk_smtp_cmd cmd)
{
    if ((unsigned)cmd >= SK_SMTP_CMD_COUNT)
        return cmd_names[SK_SMTP_CMD_OTHER];
    return cmd_names[cmd];
}

static bool eq_nocase(const uint8_t *s, size_t len, const char *z)
{
    return strlen(z) == len && strncasecmp((const char *)s, z, len) == 0;
}

enum sk_smtp_cmd sk_smtp_cmd_lookup(const uint8_t *verb, size_t len)
{
    for (int i = 0; i < SK_SMTP_CMD_GREETING; i++)
        if (eq_nocase(verb, len, cmd_names[i]))
            return (enum sk_smtp_cmd)i;
    return SK_SMTP_CMD_OTHER;
}

bool sk_smtp_cmd_in_list(const char *const *list, const uint8_t *verb, size_t len)
{
    for (; list && *list; list++)
        if (eq_nocase(verb, len, *list))
            return true;
    return false;
}

bool sk_smtp_cmd_path(const uint8_t *arg, size_t len, const char *prefix, const uint8_t **out,
                      size_t *outlen)
{
    size_t plen = strlen(prefix);
    if (len < plen || strncasecmp((const char *)arg, prefix, plen) != 0)
        return false;
    size_t i = plen;
    while (i < len && (arg[i] == ' ' || arg[i] == '\t'))
        i++;
    size_t start = i;
    if (i < len && arg[i] == '<') {
        const uint8_t *gt = memchr(arg + i, '>', len - i);
        i = gt ? (size_t)(gt - arg) + 1 : len;
    } else {
        while (i < len && arg[i] != ' ' && arg[i] != '\t')
            i++;
    }
    *out = arg + start;
    *outlen = i - start;
    return true;
}

enum sk_smtp_bdat_parse sk_smtp_cmd_bdat(const uint8_t *arg, size_t len, uint64_t *size, bool *last)
{
    size_t i = 0;
    uint64_t v = 0;
    *size = 0;
    *last = false;
    while (i < len && arg[i] == ' ')
        i++;
    if (i < len && arg[i] == '-')
        return SK_SMTP_BDAT_NEGATIVE;
    size_t digits = i;
    for (; i < len && arg[i] >= '0' && arg[i] <= '9'; i++) {
        unsigned d = (unsigned)(arg[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return SK_SMTP_BDAT_INVALID;
        v = v * 10 + d;
    }
    if (i == digits)
        return SK_SMTP_BDAT_INVALID;
    while (i < len && arg[i] == ' ')
        i++;
    if (i < len) {
        size_t w = i;
        while (i < len && arg[i] != ' ')
            i++;
        if (!eq_nocase(arg + w, i - w, "LAST"))
            return SK_SMTP_BDAT_INVALID;
        while (i < len && arg[i] == ' ')
            i++;
        if (i < len)
            return SK_SMTP_BDAT_INVALID;
        *last = true;
    }
    *size = v;
    return SK_SMTP_BDAT_OK;
}
