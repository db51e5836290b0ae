/* SPDX-License-Identifier: GPL-2.0-only */
/* The rule language, table-driven: for each keyword its valid forms load and its invalid
 * forms fail with the exact message at the exact column; then addresses, ports and
 * variables, content decoding, multi-line rules, comments, duplicates and a bad rule
 * among good ones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/error.h"
#include "parsers/anomaly.h"
#include "parsers/fields.h"
#include "rules/address.h"
#include "rules/conditions.h"
#include "rules/match.h"
#include "rules/reference.h"
#include "rules/ruleset.h"

/* ---- a recording diagnostic sink ---- */

struct diags {
    size_t n, errors, warnings;
    struct {
        unsigned line, col, sid;
        bool warning;
        char reason[160], msg[512];
    } v[16];
};

static void record(void *ctx, const struct sk_rule_diag *d)
{
    struct diags *ds = ctx;
    if (d->warning)
        ds->warnings++;
    else
        ds->errors++;
    if (ds->n == 16)
        return;
    ds->v[ds->n].line = d->line;
    ds->v[ds->n].col = d->col;
    ds->v[ds->n].sid = d->sid;
    ds->v[ds->n].warning = d->warning;
    snprintf(ds->v[ds->n].reason, sizeof(ds->v[0].reason), "%s", d->reason);
    snprintf(ds->v[ds->n].msg, sizeof(ds->v[0].msg), "%s", d->msg);
    ds->n++;
}

static char class_path[64], ref_path[64];

static const char *const test_addr_vars[][2] = {
    {"HOME_NET", "[10.0.0.0/8,2001:db8::/32]"},
    {"LOOP", "[1.2.3.4,$LOOP]"},
    {"NESTED", "[$HOME_NET,!10.1.0.0/16]"},
    {NULL, NULL},
};
static const char *const test_port_vars[][2] = {
    {"MAIL_PORTS", "[25,587]"},
    {NULL, NULL},
};

static struct sk_ruleset *new_set(struct diags *ds)
{
    struct sk_ruleset_config cfg = {
        .address_vars = test_addr_vars,
        .port_vars = test_port_vars,
        .classification_file = class_path,
        .reference_file = ref_path,
        .diag = record,
        .diag_ctx = ds,
    };
    struct sk_ruleset *rs = NULL;
    assert_int_equal(sk_ruleset_new(&rs, &cfg), 0);
    return rs;
}

static int write_configs(void **state)
{
    (void)state;
    strcpy(class_path, "/tmp/sk_test_classXXXXXX");
    strcpy(ref_path, "/tmp/sk_test_refXXXXXX");
    int fd1 = mkstemp(class_path), fd2 = mkstemp(ref_path);
    if (fd1 < 0 || fd2 < 0)
        return -1;
    const char *cls = "# test\nconfig classification: trojan-activity,A Network Trojan was "
                      "detected,1\nconfig classification: misc-activity,Misc activity,3\n";
    const char *ref = "config reference: cve https://cve.mitre.org/cgi-bin/cvename.cgi?name=\n"
                      "config reference: url https://\n";
    if (write(fd1, cls, strlen(cls)) < 0 || write(fd2, ref, strlen(ref)) < 0)
        return -1;
    close(fd1);
    close(fd2);
    return 0;
}

static int remove_configs(void **state)
{
    (void)state;
    unlink(class_path);
    unlink(ref_path);
    return 0;
}

/* ---- the table ---- */

/* A rule and what loading it must give. For a failure: the message, and the column is
 * where the last occurrence of `at` starts in the rule (or `col` when at is NULL). */
struct rcase {
    const char *rule;
    bool loads;
    const char *msg; /* error (loads=false) or warning (loads=true), NULL: none */
    const char *at;
    unsigned col;
};

#define R(opts)  "alert smtp any any -> any any (" opts " sid:1;)"
#define RT(opts) "alert tcp any any -> any any (" opts " sid:1;)"

static const struct rcase cases[] = {
    /* header */
    {R("msg:\"ok\";"), true, NULL, NULL, 0},
    {"alert tcp any any <> any any (sid:1;)", true, NULL, NULL, 0},
    {"pass ip any any -> any any (sid:1;)", true, NULL, NULL, 0},
    {"alert any any any -> any any (sid:1;)", true, NULL, NULL, 0},
    {"drop smtp any any -> any any (sid:1;)", true, "shrike is passive: 'drop' treated as alert",
     "drop", 0},
    {"reject smtp any any -> any any (sid:1;)", true,
     "shrike is passive: 'reject' treated as alert", "reject", 0},
    {"alert http any any -> any any (sid:1;)", false, "unsupported protocol 'http'", "http", 0},
    {"log smtp any any -> any any (sid:1;)", false, "unknown action 'log'", "log", 0},
    {"alert smtp any any <- any any (sid:1;)", false, "invalid direction '<-'", "<-", 0},
    {"alert smtp any any -> any (sid:1;)", false,
     "incomplete rule header: missing destination port", "(", 0},
    {"alert smtp any any -> any any any (sid:1;)", false, "unexpected 'any' before the option list",
     "any ", 0},
    {"alert smtp any any -> any any sid:1;", false, "unexpected 'sid:1;' before the option list",
     "sid", 0},
    {"alert smtp any any -> any any", false, "missing '(' and option list", NULL, 30},
    {"alert smtp any any -> any any (sid:1;", false, "missing ')' at the end of the rule", NULL,
     38},
    {"alert smtp any any -> any any (msg:\"x\")", false, "missing ';' after option 'msg'", "msg",
     0},
    {"alert smtp any any -> any any (msg:\"x\";)", false, "missing sid", "(", 0},
    {"alert smtp any any -> any any (msg:\"x\"; ; sid:1;)", false, "empty option", "; sid", 0},
    /* addresses and ports */
    {"alert smtp 1.2.3.4 25 -> 5.6.7.8/24 any (sid:1;)", true, NULL, NULL, 0},
    {"alert smtp [10.0.0.0/8,!10.1.0.0/16] any -> 2001:db8::/32 any (sid:1;)", true, NULL, NULL, 0},
    {"alert smtp 1.1.1.1-1.1.1.9 [80:100,!90] -> ::1 1024: (sid:1;)", true, NULL, NULL, 0},
    {"alert smtp $HOME_NET :1023 -> $EXTERNAL_NET $SMTP_PORTS (sid:1;)", true, NULL, NULL, 0},
    {"alert smtp $NESTED any -> [$HOME_NET, 192.168.0.1] $MAIL_PORTS (sid:1;)", true, NULL, NULL,
     0},
    {"alert smtp [1.2.3.4, [5.6.7.8, ![9.9.9.9]]] any -> any any (sid:1;)", true, NULL, NULL, 0},
    {"alert smtp 1.2.3.4/33 any -> any any (sid:1;)", false, "invalid netmask in '1.2.3.4/33'",
     "1.2.3.4/33", 0},
    {"alert smtp 2001:db8::/129 any -> any any (sid:1;)", false,
     "invalid netmask in '2001:db8::/129'", "2001", 0},
    {"alert smtp 1.2.3 any -> any any (sid:1;)", false, "invalid address '1.2.3'", "1.2.3", 0},
    {"alert smtp 1.1.1.9-1.1.1.1 any -> any any (sid:1;)", false,
     "invalid address range '1.1.1.9-1.1.1.1'", "1.1.1.9", 0},
    {"alert smtp [1.2.3.4,] any -> any any (sid:1;)", false, "unexpected ']'", "]", 0},
    {"alert smtp [1.2.3.4 any -> any any (sid:1;)", false, "unterminated '[' in source address",
     "[", 0},
    {"alert smtp any [25 -> any any (sid:1;)", false, "unterminated '[' in source port", "[", 0},
    {"alert smtp !any any -> any any (sid:1;)", false, "'!any' matches nothing", "!any", 0},
    {"alert smtp [1.2.3.4,!1.2.3.4] any -> any any (sid:1;)", false,
     "'[1.2.3.4,!1.2.3.4]' matches nothing", "[", 0},
    {"alert smtp $NOPE any -> any any (sid:1;)", false, "undefined variable '$NOPE'", "$NOPE", 0},
    {"alert smtp $LOOP any -> any any (sid:1;)", false,
     "in variable '$LOOP': variables nested too deep at '$LOOP'", "$LOOP", 0},
    {"alert smtp any 70000 -> any any (sid:1;)", false, "invalid port '70000'", "70000", 0},
    {"alert smtp any 100:80 -> any any (sid:1;)", false, "invalid port range '100:80'", "100:80",
     0},
    {"alert smtp any any -> any !any (sid:1;)", false, "'!any' matches nothing", "!any", 0},
    {"alert smtp any $MAIL_PORT -> any any (sid:1;)", false, "undefined variable '$MAIL_PORT'",
     "$MAIL_PORT", 0},
    /* meta */
    {R("msg:\"a \\\"quoted\\\" \\; msg\"; rev:3; gid:2; priority:2;"), true, NULL, NULL, 0},
    {R("classtype:trojan-activity; reference:cve,2019-0001; metadata:a b, c d; target:src_ip;"),
     true, NULL, NULL, 0},
    {"alert smtp any any -> any any (sid:0;)", false, "invalid value '0' for 'sid'", "0;", 0},
    {"alert smtp any any -> any any (sid:abc;)", false, "invalid value 'abc' for 'sid'", "abc", 0},
    {"alert smtp any any -> any any (sid;)", false, "'sid' needs a value", "sid", 0},
    {R("priority:0;"), false, "invalid value '0' for 'priority'", "0; sid", 0},
    {R("rev:-1;"), false, "invalid value '-1' for 'rev'", "-1", 0},
    {R("classtype:nope;"), false, "unknown classtype 'nope'", "nope", 0},
    {R("reference:cve;"), false, "reference needs 'system,id', got 'cve'", "cve", 0},
    {R("reference:nosuch,1;"), true, "unknown reference system 'nosuch'", "nosuch", 0},
    {R("target:both;"), false, "target must be 'src_ip' or 'dest_ip', got 'both'", "both", 0},
    {R("msg;"), false, "'msg' needs a value", "msg", 0},
    {R("metadata;"), false, "'metadata' needs a value", "metadata", 0},
    {R("gid:x;"), false, "invalid value 'x' for 'gid'", "x;", 0},
    {R("sid:2;"), false, "'sid' given twice", "sid:1", 0},
    {R("noalert:1;"), false, "'noalert' takes no value", "1; sid", 0},
    {R("pkt_data:1;"), false, "'pkt_data' takes no value", "1; sid", 0},
    {R("nosuchkeyword;"), false, "unsupported keyword 'nosuchkeyword'", "nosuchkeyword", 0},
    {R("asn1:oversize_length 10;"), false, "unsupported keyword 'asn1'", "asn1", 0},
    /* byte_*, dsize, flags, stream_size, service */
    {R("content:\"a\"; byte_test:2,>,10,0,relative,string,dec;"), true, NULL, NULL, 0},
    {R("byte_test:4,!&,0x10,2,little,bitmask 0xff00;"), true, NULL, NULL, 0},
    {R("byte_test:1,~,1,0;"), false, "invalid operator in 'byte_test'", "~", 0},
    {R("byte_test:4,=,1,0,dce;"), false,
     "'dce' in 'byte_test' is for DCE/RPC, which shrike does not parse", "dce", 0},
    {R("byte_test:4,=,nosuch,0;"), false,
     "'nosuch' is not a byte_extract/byte_math variable of this buffer", "nosuch", 0},
    {R("byte_jump:4,0,relative,little,align,multiplier 2,post_offset -2;"), true, NULL, NULL, 0},
    {R("byte_jump:4,0,from_beginning,from_end;"), false,
     "from_beginning and from_end together in 'byte_jump'", "4,0,from", 0},
    {R("byte_jump:4;"), false, "too few arguments in 'byte_jump'", "4;", 0},
    {R("byte_extract:2,0,len; content:\"x\"; distance:len; byte_test:1,>,len,0;"), true, NULL, NULL,
     0},
    {R("byte_extract:2,0,len,string,hex,align 4; content:\"x\"; offset:len;"), true, NULL, NULL, 0},
    {R("content:\"x\"; distance:nolen;"), false,
     "'nolen' is not a byte_extract/byte_math variable of this buffer", "nolen", 0},
    {R("byte_extract:9,0,v;"), false, "more than 8 bytes without 'string' in 'byte_extract'", "9,0",
     0},
    {R("byte_extract:2,0,v; smtp.helo; content:\"x\"; within:v;"), false,
     "'v' is not a byte_extract/byte_math variable of this buffer", "v;", 0},
    {R("byte_math:bytes 2, offset 0, oper +, rvalue 10, result r; byte_test:2,=,r,0;"), true, NULL,
     NULL, 0},
    {R("byte_math:bytes 2, offset 0, oper %, rvalue 1, result r;"), false,
     "oper must be + - * / << >> in 'byte_math'", "oper %", 0},
    {R("byte_math:bytes 2, offset 0, oper +;"), false,
     "needs bytes, offset, oper, rvalue and result in 'byte_math'", "bytes 2", 0},
    {R("dsize:>10;"), true, NULL, NULL, 0},
    {R("dsize:abc;"), false, "invalid value 'abc' for 'dsize'", "abc", 0},
    {R("flags:AP+,12;"), true, NULL, NULL, 0},
    {R("flags:SX;"), false, "unknown flag in 'flags'", "X;", 0},
    {R("stream_size:server,>,100;"), true, NULL, NULL, 0},
    {R("stream_size:server,>>,1;"), false, "invalid operator in 'stream_size'", ">>,1", 0},
    {R("stream_size:middle,>,1;"), false,
     "side must be server, client, both or either in 'stream_size'", "middle", 0},
    /* filemd5, filesha1, filesha256 (tests/data/filehash: md5sum-style lists) */
    {R("filemd5:" SK_TOP_SRCDIR "/tests/data/filehash/pixel.md5;"), true, NULL, NULL, 0},
    {R("filemd5:nope.md5;"), false, "cannot open hash list 'nope.md5': No such file or directory",
     "nope.md5", 0},
    {R("filemd5:!;"), false, "'filemd5' needs a file name", "!;", 0},
    {R("filemd5:" SK_TOP_SRCDIR "/tests/data/filehash/pixel.sha1;"), false,
     "hash list '" SK_TOP_SRCDIR "/tests/data/filehash/pixel.sha1' line 2: "
     "'f339cc72cf943bea5869201f835226d1f5efc2f8' is 40 hex digits, an md5 hash has 32",
     SK_TOP_SRCDIR "/tests/data/filehash/pixel.sha1", 0},
    {R("filesha1:!" SK_TOP_SRCDIR "/tests/data/filehash/pixel.sha1;"), true, NULL, NULL, 0},
    {R("filesha1:nope.sha1;"), false,
     "cannot open hash list 'nope.sha1': No such file or directory", "nope.sha1", 0},
    {R("filesha256:\"" SK_TOP_SRCDIR "/tests/data/filehash/pixel.sha256\";"), true, NULL, NULL, 0},
    {R("filesha256:" SK_TOP_SRCDIR "/tests/data/filehash/pixel.md5;"), false,
     "hash list '" SK_TOP_SRCDIR "/tests/data/filehash/pixel.md5' line 2: "
     "'d4fc81c9375db698f60da1265b14f0ea' is 32 hex digits, an sha256 hash has 64",
     SK_TOP_SRCDIR "/tests/data/filehash/pixel.md5", 0},
    {R("service:smtp;"), true, NULL, NULL, 0},
    {R("service:http;"), false, "unsupported service 'http'", "http;", 0},
    /* the Snort 3 dialect (detected from the text) */
    {"alert tcp any any -> any 25 (content:\"abc\",nocase,depth 10,fast_pattern; service:smtp; "
     "sid:1;)",
     true, NULL, NULL, 0},
    {"alert smtp (content:\"abc\", nocase; content:\"d\",distance 0,within 4; sid:1;)", true, NULL,
     NULL, 0},
    {"alert tcp any any -> any 25 (content:\"abc\",nocase,bogus 3; sid:1;)", false,
     "unsupported keyword 'bogus'", "bogus", 0},
    {"alert tcp any any -> any 25 (content:\"abc\",depth -4; service:smtp; sid:1;)", false,
     "invalid value '-4' for 'depth'", "-4", 0},
    /* content */
    {R("content:\"abc\"; content:!\"|0d 0a|x\"; nocase;"), true, NULL, NULL, 0},
    {R("content:abc;"), false, "'content' value must be in double quotes", "abc", 0},
    {R("content:\"abc;"), false, "unterminated quote in the value of 'content'", "\"abc", 0},
    {"alert smtp any any -> any any (sid:1; content:\"abc\")", false,
     "missing ';' after option 'content'", "content", 0},
    {R("content:\"|41 4|\";"), false, "invalid hex in content at '4|'", "4|", 0},
    {R("content:\"|4G|\";"), false, "invalid hex in content at '4G'", "4G", 0},
    {R("content:\"|41\";"), false, "unterminated hex in content", "|41", 0},
    {R("content:\"ab\\xcd\";"), false, "invalid escape '\\x' in content", "\\x", 0},
    {R("content:\"\";"), false, "empty content", "\"\"", 0},
    {R("content:\"a\"b\";"), false, "unescaped '\"' in content", "\"b", 0},
    {R("content;"), false, "'content' needs a value", "content", 0},
    /* modifiers */
    {R("content:\"abc\"; depth:3; offset:1; content:\"d\"; distance:-1; within:5;"), true, NULL,
     NULL, 0},
    {R("content:\"abc\"; startswith; endswith; rawbytes;"), true, NULL, NULL, 0},
    {R("nocase;"), false, "'nocase' needs a preceding content", "nocase", 0},
    {R("content:\"a\"; nocase:1;"), false, "'nocase' takes no value", "1; sid", 0},
    {R("content:\"abc\"; depth:2;"), false, "depth 2 is shorter than the content (3 bytes)",
     "2; sid", 0},
    {R("content:\"abc\"; depth:x;"), false,
     "'x' is not a byte_extract/byte_math variable of this buffer", "x;", 0},
    {R("content:\"abc\"; offset:-1;"), false, "invalid value '-1' for 'offset'", "-1", 0},
    {R("content:\"abc\"; within:2;"), false, "within 2 is shorter than the content (3 bytes)",
     "2; sid", 0},
    {R("content:\"a\"; depth:1; depth:1;"), false, "'depth' given twice", "depth", 0},
    {R("content:\"a\"; distance:0; depth:5;"), false,
     "'depth' cannot be mixed with distance or within", "depth", 0},
    {R("content:\"a\"; offset:1; within:5;"), false,
     "'within' cannot be mixed with depth or offset", "within", 0},
    {R("content:\"a\"; startswith; offset:1;"), false, "'offset' cannot be mixed with startswith",
     "offset", 0},
    {R("content:\"a\"; depth:4; startswith;"), false,
     "'startswith' cannot be mixed with depth, offset, distance or within", "startswith", 0},
    /* fast_pattern */
    {R("content:\"abcd\"; fast_pattern;"), true, NULL, NULL, 0},
    {R("content:\"abcd\"; fast_pattern:only;"), true, NULL, NULL, 0},
    {R("content:\"abcd\"; fast_pattern:1,2;"), true, NULL, NULL, 0},
    {R("content:\"abcd\"; fast_pattern:2,5;"), false,
     "invalid value '2,5' for 'fast_pattern' (content is 4 bytes)", "2,5", 0},
    {R("content:!\"abcd\"; fast_pattern:only;"), false, "fast_pattern:only on a negated content",
     "only", 0},
    {R("content:\"a\"; fast_pattern; content:\"b\"; fast_pattern;"), false,
     "'fast_pattern' given twice in the rule", "fast_pattern", 0},
    /* isdataat, bsize */
    {R("content:\"a\"; isdataat:10,relative; isdataat:!1,relative; isdataat:5;"), true, NULL, NULL,
     0},
    {R("isdataat:x;"), false, "invalid value 'x' for 'isdataat'", "x;", 0},
    {R("isdataat:1,sideways;"), false, "invalid value '1,sideways' for 'isdataat'", "1,", 0},
    {R("smtp.helo; bsize:10; bsize:<10; bsize:>=3; bsize:5<>10; bsize:!=4;"), true, NULL, NULL, 0},
    {R("bsize:10;"), false, "'bsize' needs a sticky buffer before it", "bsize", 0},
    {R("smtp.helo; bsize:5<>3;"), false, "invalid value '5<>3' for 'bsize'", "5<>3", 0},
    {R("smtp.helo; bsize:big;"), false, "invalid value 'big' for 'bsize'", "big", 0},
    /* pcre */
    {R("pcre:\"/a.b/ismxAEGR\"; pcre:!\"/\\x00\\;\\\"/\";"), true, NULL, NULL, 0},
    {R("pcre:\"/abc/U\";"), true, "pcre flag 'U' (http uri buffer) has no meaning here: ignored",
     "U\"", 0},
    {R("pcre:\"/(abc/\";"), false, "invalid pcre: missing closing parenthesis at offset 4", "/\"",
     0},
    {R("pcre:\"/abc/Z\";"), false, "unsupported pcre flag 'Z'", "Z", 0},
    {R("pcre:\"abc\";"), false, "pcre must be written \"/regex/flags\"", "abc", 0},
    {R("pcre:\"/abc\";"), false, "pcre is missing its closing '/'", "/abc", 0},
    {R("pcre:/abc/;"), false, "'pcre' value must be in double quotes", "/abc/", 0},
    /* buffers and transforms */
    {R("smtp.helo; content:\"x\"; smtp.mail_from; bsize:>1; smtp.rcpt_to; pcre:\"/x/\"; "
       "email.subject; isdataat:1; file.name; content:\"y\";"),
     true, NULL, NULL, 0},
    {R("file_data; content:\"x\"; pkt_data; content:\"y\"; frame:smtp.command_line; "
       "content:\"z\";"),
     true, NULL, NULL, 0},
    {R("email.from; to_lowercase; strip_whitespace; compress_whitespace; url_decode; "
       "to_uppercase; dotprefix; from_base64; content:\"x\";"),
     true, NULL, NULL, 0},
    {R("smtp.data; from_base64:offset 1; content:\"x\";"), true,
     "options of 'from_base64' are not supported: "
     "ignored",
     "offset 1", 0},
    {R("to_uppercase;"), false, "transform 'to_uppercase' needs a sticky buffer before it",
     "to_uppercase", 0},
    {R("strip_whitespace;"), false, "transform 'strip_whitespace' needs a sticky buffer before it",
     "strip_whitespace", 0},
    {R("compress_whitespace;"), false,
     "transform 'compress_whitespace' needs a sticky buffer before it", "compress_whitespace", 0},
    {R("url_decode;"), false, "transform 'url_decode' needs a sticky buffer before it",
     "url_decode", 0},
    {R("from_base64;"), false, "transform 'from_base64' needs a sticky buffer before it",
     "from_base64", 0},
    {R("dotprefix;"), false, "transform 'dotprefix' needs a sticky buffer before it", "dotprefix",
     0},
    {R("content:\"a\"; rawbytes:1;"), false, "'rawbytes' takes no value", "1; sid", 0},
    {R("file_data:1;"), false, "'file_data' takes no value", "1; sid", 0},
    {R("flowint;"), false, "'flowint' needs a value", "flowint", 0},
    {R("endswith;"), false, "'endswith' needs a preceding content", "endswith", 0},
    {R("content:\"a\"; distance:x;"), false,
     "'x' is not a byte_extract/byte_math variable of this buffer", "x;", 0},
    {R("content:\"a\"; within:0;"), false, "invalid value '0' for 'within'", "0;", 0},
    {R("smtp.helo; smtp.mail_from; content:\"x\";"), false,
     "sticky buffer 'smtp.helo' has no matches", "smtp.helo", 0},
    {R("content:\"x\"; file.data; to_lowercase;"), false,
     "sticky buffer 'file.data' has no matches", "file.data", 0},
    {R("frame:smtp.data;"), false, "sticky buffer 'frame:smtp.data' has no matches", "frame", 0},
    {R("content:\"x\"; pkt_data;"), false, "sticky buffer 'pkt_data' has no matches", "pkt_data",
     0},
    {R("smtp.nope;"), false, "unsupported keyword 'smtp.nope'", "smtp.nope", 0},
    {R("smtp.helo:1;"), false, "sticky buffer 'smtp.helo' takes no value", "1; sid", 0},
    {R("to_lowercase;"), false, "transform 'to_lowercase' needs a sticky buffer before it",
     "to_lowercase", 0},
    {R("smtp.helo; content:\"a\"; to_lowercase;"), false,
     "transform 'to_lowercase' must come before the buffer's matches", "to_lowercase", 0},
    {R("frame:smtp.response_line; content:\"250\";"), true, NULL, NULL, 0},
    {R("frame:smtp.nope;"), false, "unsupported frame 'smtp.nope'", "smtp.nope", 0},
    {R("content:\"a\"; base64_decode:bytes 10, offset 2, relative; base64_data; content:\"b\";"),
     true, NULL, NULL, 0},
    {R("base64_decode:bytes -1;"), false, "invalid option 'bytes -1' for 'base64_decode'",
     "bytes -1", 0},
    {R("content:\"abcd\"; fast_pattern:-1,2;"), false,
     "invalid value '-1,2' for 'fast_pattern' (content is 4 bytes)", "-1,2", 0},
    {R("base64_decode:sideways;"), false, "invalid option 'sideways' for 'base64_decode'",
     "sideways", 0},
    {R("base64_data;"), false, "'base64_data' needs a preceding base64_decode", "base64_data", 0},
    /* requires */
    {R("requires: keyword email.body_md5; email.body_md5; content:\"x\";"), true, NULL, NULL, 0},
    {R("requires: keyword base64_decode, version >= 7.0.0; content:\"x\";"), true, NULL, NULL, 0},
    {R("requires: keyword smtp.starttls;"), true, NULL, NULL, 0},
    {R("requires: keyword http.uri; content:\"x\";"), false,
     "requires keyword 'http.uri', which shrike does not support", "keyword http.uri", 0},
    {R("requires: version >= 8, keyword ja4.hash;"), false,
     "requires keyword 'ja4.hash', which shrike does not support", "keyword ja4.hash", 0},
    {R("requires: feature geoip;"), false, "requires feature 'geoip', which shrike does not have",
     "feature geoip", 0},
    {R("requires: sometimes;"), false, "invalid requirement 'sometimes'", "sometimes", 0},
    /* smtp flags and numbers */
    {R("smtp.starttls; smtp.reply_code:>=500; smtp.reply_code:250; smtp.reply_code:400<>500;"),
     true, NULL, NULL, 0},
    {R("smtp.reply_code:abc;"), false, "invalid value 'abc' for 'smtp.reply_code'", "abc", 0},
    {R("smtp.reply_code;"), false, "'smtp.reply_code' needs a value", "smtp.reply_code", 0},
    {R("smtp.starttls:1;"), false, "'smtp.starttls' takes no value", "1; sid", 0},
    {R("app-layer-event:smtp.invalid_reply; app-layer-event:smtp.MIME_LONG_LINE;"), true, NULL,
     NULL, 0},
    {R("app-layer-event:smtp.nope;"), false, "unknown smtp event 'nope'", "nope", 0},
    {R("app-layer-event:http.foo;"), false, "unsupported app-layer-event 'http.foo'", "http.foo",
     0},
    /* flow and state */
    {R("flow:established,to_server; flow:only_stream;"), true, NULL, NULL, 0},
    {R("flow:from_server, not_established, no_stream;"), true, NULL, NULL, 0},
    {R("flow:to_server,to_client;"), false, "flow cannot be both to_server and to_client",
     "to_server", 0},
    {R("flow:established,sideways;"), false, "unknown flow option 'sideways'", "sideways", 0},
    {R("flowbits:set,a; flowbits:isset,a|b; flowbits:isnotset,a&b; flowbits:noalert;"), true, NULL,
     NULL, 0},
    {R("flowbits:unset,a; flowbits:toggle,b;"), true, NULL, NULL, 0},
    {R("flowbits:bogus,x;"), false, "unknown flowbits command 'bogus'", "bogus", 0},
    {R("flowbits:set;"), false, "flowbits:set needs a name", "set", 0},
    {R("flowbits:isset,a|b&c;"), false, "flowbits cannot mix '|' and '&'", "isset", 0},
    {R("flowbits:set,a|b;"), false, "flowbits:set takes one name", "set,", 0},
    {R("flowbits:isset,a||b;"), false, "empty flowbit name", "|b", 0},
    {R("flowbits:noalert,x;"), false, "flowbits:noalert takes no name", "noalert", 0},
    {R("threshold:type limit, track by_src, count 1, seconds 60;"), true, NULL, NULL, 0},
    {R("detection_filter:track by_dst, count 5, seconds 60; noalert;"), true, NULL, NULL, 0},
    {R("threshold:type limit, track by_src, count 1;"), false,
     "'threshold' needs type, track, count and seconds", "type", 0},
    {R("threshold:type sometimes, track by_src, count 1, seconds 1;"), false,
     "unknown threshold type 'sometimes'", "type sometimes", 0},
    {R("threshold:type limit, track by_moon, count 1, seconds 1;"), false,
     "unknown track 'by_moon' in 'threshold'", "track by_moon", 0},
    {R("threshold:type both, track by_src, count x, seconds 1;"), false,
     "invalid count 'x' in 'threshold'", "count x", 0},
    {R("detection_filter:type limit, track by_src, count 1, seconds 1;"), false,
     "unknown option 'type' in 'detection_filter'", "type", 0},
    {R("threshold:type limit,track by_src,count 1,seconds 1; "
       "threshold:type limit,track by_src,count 1,seconds 1;"),
     false, "'threshold' given twice", "threshold", 0},
    {R("flowint:smtp.anomaly.count,+,1;"), true, "'flowint' is not supported: ignored", "flowint",
     0},
};

static const struct sk_rule *load_one(struct sk_ruleset **rs, struct diags *ds, const char *text);

/* Every sticky buffer of the field table works as a keyword and opens a group on it. */
static void test_rule_parse_every_field_is_a_buffer(void **state)
{
    (void)state;
    for (int i = 0; i < SK_FIELD_COUNT; i++) {
        const struct sk_field_def *d = sk_field_def((enum sk_field_id)i);
        if (d->kind == SK_FIELD_FLAG || d->kind == SK_FIELD_NUMBER)
            continue;
        char rule[256];
        snprintf(rule, sizeof(rule), R("%s; content:\"x\";"), d->name);
        struct diags ds = {0};
        struct sk_ruleset *rs;
        const struct sk_rule *r = load_one(&rs, &ds, rule);
        assert_int_equal(r->n_groups, 1);
        assert_int_equal(r->groups[0].buffer, i);
        sk_ruleset_free(rs);
    }
}

/* Every keyword of the table appears, with its value form, in the table of cases. */
static void test_rule_parse_every_keyword_has_cases(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    sk_ruleset_print_keywords(f);
    fclose(f);
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] == ' ')
            continue;
        char name[64];
        assert_int_equal(sscanf(line, "%63s", name), 1);
        if (sk_field_lookup(name) >= 0 && strcmp(name, "smtp.starttls") != 0 &&
            strcmp(name, "smtp.reply_code") != 0)
            continue; /* test_rule_parse_every_field_is_a_buffer */
        size_t valid = 0, invalid = 0;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
            const char *p = cases[i].rule;
            for (; (p = strstr(p, name)); p++) {
                char next = p[strlen(name)];
                bool starts = p == cases[i].rule || p[-1] == ' ' || p[-1] == '(';
                if (starts && (next == ':' || next == ';')) {
                    if (cases[i].loads)
                        valid++;
                    else
                        invalid++;
                    break;
                }
            }
        }
        if (!valid || !invalid)
            print_error("keyword '%s': %zu valid, %zu invalid cases\n", name, valid, invalid);
        assert_true(valid > 0);
        assert_true(invalid > 0);
    }
    free(buf);
}

static unsigned col_of(const char *rule, const char *at)
{
    const char *p = NULL;
    for (const char *q = strstr(rule, at); q; q = strstr(q + 1, at))
        p = q;
    assert_non_null(p);
    return (unsigned)(p - rule) + 1;
}

static void test_rule_parse_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct rcase *c = &cases[i];
        struct diags ds = {0};
        struct sk_ruleset *rs = new_set(&ds);
        assert_int_equal(sk_ruleset_load_string(rs, "t.rules", c->rule), 0);
        const struct sk_ruleset_stats *st = sk_ruleset_stats(rs);
        bool ok = st->loaded == (c->loads ? 1u : 0u) && st->failed == (c->loads ? 0u : 1u) &&
                  ds.n == (c->msg ? 1u : 0u);
        unsigned want_col = c->at ? col_of(c->rule, c->at) : c->col;
        if (ok && c->msg) {
            ok = strcmp(ds.v[0].msg, c->msg) == 0 && ds.v[0].col == want_col && ds.v[0].line == 1 &&
                 ds.v[0].warning == c->loads;
        }
        if (!ok) {
            print_error("case %zu: %s\n  loaded %zu failed %zu, want %s\n", i, c->rule, st->loaded,
                        st->failed, c->loads ? "loads" : "fails");
            if (ds.n)
                print_error("  got  col %u: %s\n", ds.v[0].col, ds.v[0].msg);
            if (c->msg)
                print_error("  want col %u: %s\n", want_col, c->msg);
        }
        sk_ruleset_free(rs);
        assert_true(ok);
    }
}

/* ---- what the valid forms produce ---- */

static const struct sk_rule *load_one(struct sk_ruleset **rs, struct diags *ds, const char *text)
{
    *rs = new_set(ds);
    assert_int_equal(sk_ruleset_load_string(*rs, "t.rules", text), 0);
    if (sk_ruleset_count(*rs) != 1 && ds->n)
        print_error("%s\n", ds->v[0].msg);
    assert_int_equal(sk_ruleset_count(*rs), 1);
    return sk_ruleset_rule(*rs, 0);
}

static void test_rule_parse_content_hex_and_escapes(void **state)
{
    (void)state;
    struct diags ds = {0};
    struct sk_ruleset *rs;
    const struct sk_rule *r =
        load_one(&rs, &ds, R("content:\"a|41 42|b\\;\\\"\\\\\\:|7c|\"; nocase; content:!\"z\";"));
    assert_int_equal(r->n_groups, 1);
    assert_int_equal(r->groups[0].buffer, SK_BUF_STREAM);
    assert_int_equal(r->groups[0].n_matches, 2);
    const struct sk_content *c = &r->groups[0].matches[0].u.content;
    assert_int_equal(c->len, 9);
    assert_memory_equal(c->bytes, "aABb;\"\\:|", 9);
    assert_true(c->nocase);
    assert_false(c->negated);
    assert_int_equal(c->depth, SK_MOD_UNSET);
    assert_true(r->groups[0].matches[1].u.content.negated);
    sk_ruleset_free(rs);
}

static void test_rule_parse_modifiers(void **state)
{
    (void)state;
    struct diags ds = {0};
    struct sk_ruleset *rs;
    const struct sk_rule *r =
        load_one(&rs, &ds,
                 RT("content:\"abcd\"; depth:10; offset:2; fast_pattern:1,2; content:\"e\"; "
                    "distance:-3; within:7; isdataat:!1,relative; pcre:!\"/x+/Ri\"; "
                    "content:\"end\"; endswith;"));
    assert_int_equal(r->groups[0].buffer, SK_BUF_STREAM);
    const struct sk_match *m = r->groups[0].matches;
    assert_int_equal(r->groups[0].n_matches, 5);
    assert_int_equal(m[0].u.content.depth, 10);
    assert_int_equal(m[0].u.content.offset, 2);
    assert_true(m[0].u.content.fast_pattern);
    assert_int_equal(m[0].u.content.fp_chop_offset, 1);
    assert_int_equal(m[0].u.content.fp_chop_len, 2);
    assert_int_equal(m[1].u.content.distance, -3);
    assert_int_equal(m[1].u.content.within, 7);
    assert_int_equal(m[2].kind, SK_MATCH_ISDATAAT);
    assert_true(m[2].u.isdataat.negated);
    assert_true(m[2].u.isdataat.relative);
    assert_int_equal(m[2].u.isdataat.pos, 1);
    assert_int_equal(m[3].kind, SK_MATCH_PCRE);
    assert_true(m[3].u.pcre.relative);
    assert_true(m[3].u.pcre.negated);
    assert_string_equal(m[3].u.pcre.pattern, "x+");
    assert_non_null(m[3].u.pcre.code);
    assert_true(m[4].u.content.endswith);
    sk_ruleset_free(rs);
}

static void test_rule_parse_numbers(void **state)
{
    (void)state;
    struct diags ds = {0};
    struct sk_ruleset *rs;
    const struct sk_rule *r = load_one(
        &rs, &ds,
        R("smtp.helo; bsize:10; bsize:<10; bsize:>=3; bsize:5<>10; smtp.reply_code:>=500;"));
    assert_int_equal(r->n_groups, 2);
    const struct sk_match *m = r->groups[0].matches;
    assert_int_equal(r->groups[0].buffer, SK_FIELD_SMTP_HELO);
    assert_int_equal(m[0].kind, SK_MATCH_BSIZE);
    assert_int_equal(m[0].u.num.op, SK_NUM_EQ);
    assert_int_equal(m[0].u.num.a, 10);
    assert_int_equal(m[1].u.num.op, SK_NUM_LT);
    assert_int_equal(m[2].u.num.op, SK_NUM_GE);
    assert_int_equal(m[3].u.num.op, SK_NUM_RANGE);
    assert_int_equal(m[3].u.num.a, 5);
    assert_int_equal(m[3].u.num.b, 10);
    assert_int_equal(r->groups[1].buffer, SK_FIELD_SMTP_REPLY_CODE);
    assert_int_equal(r->groups[1].matches[0].kind, SK_MATCH_NUMBER);
    assert_int_equal(r->groups[1].matches[0].u.num.op, SK_NUM_GE);
    assert_int_equal(r->groups[1].matches[0].u.num.a, 500);
    sk_ruleset_free(rs);
}

static void test_rule_parse_buffers_and_transforms(void **state)
{
    (void)state;
    struct diags ds = {0};
    struct sk_ruleset *rs;
    const struct sk_rule *r = load_one(
        &rs, &ds,
        R("content:\"legacy\"; file_data; content:\"f\"; pkt_data; content:\"p\"; "
          "email.subject; to_lowercase; compress_whitespace; content:\"s\"; smtp.starttls; "
          "app-layer-event:smtp.INVALID_REPLY; frame:smtp.stream; content:\"t\";"));
    assert_int_equal(r->n_groups, 5);
    assert_int_equal(r->groups[0].buffer, SK_BUF_STREAM);
    assert_int_equal(r->groups[1].buffer, SK_FIELD_FILE_DATA);
    assert_int_equal(r->groups[2].buffer, SK_BUF_STREAM);
    assert_int_equal(r->groups[3].buffer, SK_FIELD_EMAIL_SUBJECT);
    assert_int_equal(r->groups[3].n_transforms, 2);
    assert_int_equal(r->groups[3].transforms[0], SK_XFORM_TO_LOWERCASE);
    assert_int_equal(r->groups[3].transforms[1], SK_XFORM_COMPRESS_WHITESPACE);
    assert_int_equal(r->groups[4].buffer, SK_BUF_STREAM);
    assert_true(r->needs_starttls);
    assert_int_equal(r->n_app_events, 1);
    assert_int_equal(r->app_events[0], SK_ANOMALY_INVALID_REPLY);
    sk_ruleset_free(rs);

    memset(&ds, 0, sizeof(ds));
    r = load_one(&rs, &ds,
                 R("content:\"x\"; base64_decode:bytes 10, offset 2, relative; base64_data; "
                   "content:\"y\";"));
    assert_int_equal(r->n_groups, 2);
    assert_int_equal(r->groups[0].matches[1].kind, SK_MATCH_BASE64_DECODE);
    assert_int_equal(r->groups[0].matches[1].u.b64.bytes, 10);
    assert_int_equal(r->groups[0].matches[1].u.b64.offset, 2);
    assert_true(r->groups[0].matches[1].u.b64.relative);
    assert_int_equal(r->groups[1].buffer, SK_BUF_BASE64_DATA);
    sk_ruleset_free(rs);
}

static void test_rule_parse_meta(void **state)
{
    (void)state;
    struct diags ds = {0};
    struct sk_ruleset *rs;
    const struct sk_rule *r = load_one(
        &rs, &ds,
        "alert smtp any any -> any any (msg:\"a \\\"q\\\" \\; b\"; classtype:trojan-activity; "
        "reference:cve,2019-0001; reference:url,example.com/x; metadata:a b, c d; "
        "metadata:e f; target:dest_ip; sid:42; rev:3;)");
    assert_string_equal(r->msg, "a \"q\" ; b");
    assert_int_equal(r->sid, 42);
    assert_int_equal(r->gid, 1);
    assert_int_equal(r->rev, 3);
    assert_string_equal(r->classtype, "trojan-activity");
    assert_string_equal(r->class_desc, "A Network Trojan was detected");
    assert_int_equal(r->priority, 1);
    assert_int_equal(r->n_references, 2);
    assert_string_equal(r->references[0].system, "cve");
    assert_string_equal(r->references[0].id, "2019-0001");
    assert_string_equal(r->references[0].url,
                        "https://cve.mitre.org/cgi-bin/cvename.cgi?name=2019-0001");
    assert_string_equal(r->references[1].url, "https://example.com/x");
    assert_int_equal(r->n_metadata, 3);
    assert_string_equal(r->metadata[1], "c d");
    assert_string_equal(r->target, "dest_ip");
    assert_string_equal(r->file, "t.rules");
    assert_int_equal(r->line, 1);
    sk_ruleset_free(rs);

    /* priority beats the classtype's, in either order; no classtype: 3 */
    memset(&ds, 0, sizeof(ds));
    r = load_one(&rs, &ds, R("classtype:trojan-activity; priority:2; gid:7;"));
    assert_int_equal(r->priority, 2);
    assert_int_equal(r->gid, 7);
    sk_ruleset_free(rs);
    memset(&ds, 0, sizeof(ds));
    r = load_one(&rs, &ds, R("msg:\"x\";"));
    assert_int_equal(r->priority, 3);
    assert_null(r->classtype);
    sk_ruleset_free(rs);
}

static void test_rule_parse_flow_state(void **state)
{
    (void)state;
    struct diags ds = {0};
    struct sk_ruleset *rs = new_set(&ds);
    const char *text = R(
        "flow:established,to_server; flowbits:set,seen; flowbits:noalert;") "\n"
                                                                            "alert smtp any any -> "
                                                                            "any any "
                                                                            "(flow:from_server; "
                                                                            "flowbits:isset,seen|"
                                                                            "other; "
                                                                            "flowbits:isnotset,a&"
                                                                            "seen; threshold:type "
                                                                            "both, track by_rule, "
                                                                            "count 3, seconds 60; "
                                                                            "detection_filter:"
                                                                            "track by_flow, count "
                                                                            "2, seconds 10; "
                                                                            "sid:2;)\n";
    assert_int_equal(sk_ruleset_load_string(rs, "t.rules", text), 0);
    assert_int_equal(sk_ruleset_count(rs), 2);
    const struct sk_rule *a = sk_ruleset_rule(rs, 0), *b = sk_ruleset_rule(rs, 1);
    assert_int_equal(a->flow_flags, SK_FLOW_ESTABLISHED | SK_FLOW_TO_SERVER);
    assert_true(a->noalert);
    assert_int_equal(a->n_flowbits, 2);
    assert_int_equal(a->flowbits[0].cmd, SK_FLOWBIT_SET);
    assert_int_equal(a->flowbits[1].cmd, SK_FLOWBIT_NOALERT);
    assert_int_equal(b->flow_flags, SK_FLOW_TO_CLIENT);
    assert_int_equal(b->flowbits[0].cmd, SK_FLOWBIT_ISSET);
    assert_int_equal(b->flowbits[0].n_names, 2);
    assert_false(b->flowbits[0].and_names);
    assert_int_equal(b->flowbits[0].ids[0], a->flowbits[0].ids[0]); /* interned */
    assert_true(b->flowbits[1].and_names);
    assert_int_equal(b->flowbits[1].ids[1], a->flowbits[0].ids[0]);
    assert_int_equal(sk_ruleset_flowbit_count(rs), 3);
    assert_int_equal(b->threshold.type, SK_THRESH_BOTH);
    assert_int_equal(b->threshold.track, SK_TRACK_BY_RULE);
    assert_int_equal(b->threshold.count, 3);
    assert_int_equal(b->threshold.seconds, 60);
    assert_int_equal(b->detection_filter.type, SK_THRESH_DETECTION_FILTER);
    assert_int_equal(b->detection_filter.track, SK_TRACK_BY_FLOW);
    assert_int_equal(b->detection_filter.count, 2);
    sk_ruleset_free(rs);
}

/* ---- addresses ---- */

static struct sk_addr ip(const char *s)
{
    struct sk_addr a = {0};
    if (strchr(s, ':')) {
        a.family = 6;
        assert_int_equal(inet_pton(AF_INET6, s, a.bytes), 1);
    } else {
        a.family = 4;
        assert_int_equal(inet_pton(AF_INET, s, a.bytes), 1);
    }
    return a;
}

static void test_rule_parse_addresses(void **state)
{
    (void)state;
    struct diags ds = {0};
    struct sk_ruleset *rs;
    const struct sk_rule *r =
        load_one(&rs, &ds,
                 "alert smtp [$NESTED,!10.2.0.0/16] [80:100,!90,2525] -> $EXTERNAL_NET "
                 "$MAIL_PORTS (sid:1;)");
    struct sk_addr a;
    a = ip("10.0.0.1");
    assert_true(sk_addr_set_match(&r->src, &a));
    a = ip("10.1.2.3");
    assert_false(sk_addr_set_match(&r->src, &a));
    a = ip("10.2.2.3");
    assert_false(sk_addr_set_match(&r->src, &a));
    a = ip("11.0.0.1");
    assert_false(sk_addr_set_match(&r->src, &a));
    a = ip("2001:db8:ffff::1");
    assert_true(sk_addr_set_match(&r->src, &a));
    a = ip("2001:db9::1");
    assert_false(sk_addr_set_match(&r->src, &a));
    /* EXTERNAL_NET is !$HOME_NET by default */
    a = ip("8.8.8.8");
    assert_true(sk_addr_set_match(&r->dst, &a));
    a = ip("10.9.9.9");
    assert_false(sk_addr_set_match(&r->dst, &a));
    assert_true(sk_port_set_match(&r->sport, 80));
    assert_true(sk_port_set_match(&r->sport, 100));
    assert_false(sk_port_set_match(&r->sport, 90));
    assert_false(sk_port_set_match(&r->sport, 101));
    assert_true(sk_port_set_match(&r->sport, 2525));
    assert_true(sk_port_set_match(&r->dport, 587));
    assert_false(sk_port_set_match(&r->dport, 465));
    sk_ruleset_free(rs);

    /* nested negation flips; any beside a negation keeps matching the rest */
    memset(&ds, 0, sizeof(ds));
    r = load_one(&rs, &ds,
                 "alert smtp ![1.1.1.0/24,![1.1.1.7]] :1023 -> [any,!192.168.0.0/16] 1024: "
                 "(sid:1;)");
    a = ip("1.1.1.1");
    assert_false(sk_addr_set_match(&r->src, &a));
    a = ip("1.1.1.7");
    assert_true(sk_addr_set_match(&r->src, &a));
    a = ip("9.9.9.9");
    assert_true(sk_addr_set_match(&r->src, &a));
    a = ip("9.9.9.9");
    assert_true(sk_addr_set_match(&r->dst, &a));
    a = ip("::1");
    assert_true(sk_addr_set_match(&r->dst, &a));
    a = ip("192.168.1.1");
    assert_false(sk_addr_set_match(&r->dst, &a));
    assert_true(sk_port_set_match(&r->sport, 0));
    assert_true(sk_port_set_match(&r->sport, 1023));
    assert_false(sk_port_set_match(&r->sport, 1024));
    assert_true(sk_port_set_match(&r->dport, 65535));
    assert_false(sk_port_set_match(&r->dport, 25));
    sk_ruleset_free(rs);

    /* IPv6 CIDR bounds and any */
    memset(&ds, 0, sizeof(ds));
    r = load_one(&rs, &ds, "alert smtp 2001:db8:abcd::/48 any -> any any (sid:1;)");
    assert_int_equal(r->src.n, 1);
    struct sk_addr lo = ip("2001:db8:abcd::"), hi = ip("2001:db8:abcd:ffff:ffff:ffff:ffff:ffff");
    assert_memory_equal(r->src.v[0].lo.bytes, lo.bytes, 16);
    assert_memory_equal(r->src.v[0].hi.bytes, hi.bytes, 16);
    assert_true(r->dst.any);
    assert_true(r->sport.any);
    a = ip("10.0.0.1");
    assert_false(sk_addr_set_match(&r->src, &a));
    sk_ruleset_free(rs);
}

/* ---- files: multi-line, comments, duplicates, bad among good ---- */

static void test_rule_parse_multiline_and_comments(void **state)
{
    (void)state;
    struct diags ds = {0};
    struct sk_ruleset *rs = new_set(&ds);
    const char *text = "# a comment\n"
                       "\n"
                       "   # an indented comment\n"
                       "alert smtp any any -> any any (msg:\"one\"; \\\n"
                       "    content:\"a\"; \\\r\n"
                       "    sid:1;)\n"
                       "#alert smtp any any -> any any (msg:\"disabled\"; sid:2;)\n"
                       "alert smtp any any -> any any (msg:\"two\"; \\\n"
                       "  content:\"|4|\"; sid:3;)\n"
                       "  alert smtp any any -> any any (msg:\"three\"; sid:4;)\n";
    assert_int_equal(sk_ruleset_load_string(rs, "m.rules", text), 0);
    assert_int_equal(sk_ruleset_count(rs), 2);
    const struct sk_rule *r = sk_ruleset_rule(rs, 0);
    assert_int_equal(r->line, 4);
    assert_string_equal(
        r->text, "alert smtp any any -> any any (msg:\"one\";     content:\"a\";     sid:1;)");
    assert_int_equal(r->groups[0].n_matches, 1);
    assert_int_equal(sk_ruleset_rule(rs, 1)->line, 10);
    assert_int_equal(sk_ruleset_rule(rs, 1)->sid, 4);
    /* the error in the continuation line points into that line */
    assert_int_equal(ds.errors, 1);
    assert_int_equal(ds.v[0].line, 9);
    assert_int_equal(ds.v[0].col, 13);
    assert_int_equal(ds.v[0].sid, 3);
    assert_string_equal(ds.v[0].msg, "invalid hex in content at '4|'");
    sk_ruleset_free(rs);
}

static void test_rule_parse_duplicate_and_bad_among_good(void **state)
{
    (void)state;
    struct diags ds = {0};
    struct sk_ruleset *rs = new_set(&ds);
    const char *text = "alert smtp any any -> any any (msg:\"first\"; sid:1;)\n"
                       "alert smtp any any -> any any (msg:\"bad\"; nosuch; sid:2;)\n"
                       "alert smtp any any -> any any (msg:\"again\"; sid:1;)\n"
                       "alert smtp any any -> any any (msg:\"other gid\"; gid:3; sid:1;)\n"
                       "alert smtp any any -> any any (msg:\"last\"; sid:5;)\n";
    assert_int_equal(sk_ruleset_load_string(rs, "d.rules", text), 0);
    const struct sk_ruleset_stats *st = sk_ruleset_stats(rs);
    assert_int_equal(st->loaded, 3);
    assert_int_equal(st->failed, 2);
    assert_int_equal(st->duplicates, 1);
    assert_string_equal(sk_ruleset_rule(rs, 0)->msg, "first");
    assert_string_equal(sk_ruleset_rule(rs, 1)->msg, "other gid");
    assert_string_equal(sk_ruleset_rule(rs, 2)->msg, "last");
    assert_int_equal(ds.n, 2);
    assert_string_equal(ds.v[0].msg, "unsupported keyword 'nosuch'");
    assert_int_equal(ds.v[0].line, 2);
    assert_int_equal(ds.v[0].col, 43);
    assert_int_equal(ds.v[0].sid, 2);
    assert_string_equal(ds.v[1].msg, "duplicate signature 1:1, rule skipped");
    assert_int_equal(ds.v[1].line, 3);
    assert_int_equal(st->n_reasons, 2);
    sk_ruleset_free(rs);
}

static void test_rule_parse_reasons_grouped(void **state)
{
    (void)state;
    struct diags ds = {0};
    struct sk_ruleset *rs = new_set(&ds);
    char text[4096] = "";
    for (int i = 0; i < 7; i++) {
        char line[128];
        snprintf(line, sizeof(line), "alert http any any -> any any (sid:%d;)\n", i + 10);
        strcat(text, line);
    }
    strcat(text, "alert dns any any -> any any (sid:1;)\nalert smtp any any -> any any (sid:2;)\n");
    assert_int_equal(sk_ruleset_load_string(rs, "g.rules", text), 0);
    const struct sk_ruleset_stats *st = sk_ruleset_stats(rs);
    assert_int_equal(st->loaded, 1);
    assert_int_equal(st->failed, 8);
    assert_int_equal(st->n_reasons, 2);
    assert_string_equal(st->reasons[0].reason, "unsupported protocol 'http'");
    assert_int_equal(st->reasons[0].count, 7);
    assert_string_equal(st->reasons[1].reason, "unsupported protocol 'dns'");
    assert_int_equal(st->reasons[1].count, 1);

    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    sk_ruleset_print_summary(rs, f);
    fclose(f);
    assert_non_null(strstr(buf, "rules: 1 loaded, 8 failed"));
    assert_non_null(strstr(buf, "7  unsupported protocol 'http'"));
    free(buf);
    sk_ruleset_free(rs);
}

static void test_rule_parse_missing_file_and_keywords_list(void **state)
{
    (void)state;
    struct diags ds = {0};
    struct sk_ruleset *rs = new_set(&ds);
    assert_int_equal(sk_ruleset_load_file(rs, "/nonexistent/x.rules"), SK_E_IO);
    assert_int_equal(ds.n, 1);
    assert_non_null(strstr(ds.v[0].msg, "cannot read rule file '/nonexistent/x.rules'"));
    sk_ruleset_free(rs);
    sk_ruleset_free(NULL);

    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    sk_ruleset_print_keywords(f);
    fclose(f);
    const char *must[] = {"content",         "pcre",      "flowbits",
                          "app-layer-event", "file_data", "smtp.mail_from",
                          "email.subject",   "file.data", "smtp.reply_code"};
    for (size_t i = 0; i < sizeof(must) / sizeof(must[0]); i++)
        assert_non_null(strstr(buf, must[i]));
    free(buf);
}

/* Without a diag callback: FILE:LINE:COL: sid N: msg on stderr, each reason at most five
 * times, all of them counted. */
static void test_rule_parse_default_diag_limits_each_reason(void **state)
{
    (void)state;
    struct sk_ruleset *rs;
    assert_int_equal(sk_ruleset_new(&rs, NULL), 0);
    char text[8192] = "\xef\xbb\xbf" /* a byte order mark does not count */
                      "drop smtp any any -> any any (sid:100;)\n";
    for (int i = 0; i < 9; i++) {
        char line[128];
        snprintf(line, sizeof(line), "alert http any any -> any any (sid:%d;)\n", i + 1);
        strcat(text, line);
    }

    fflush(stderr);
    int saved = dup(2);
    FILE *tmp = tmpfile();
    assert_non_null(tmp);
    dup2(fileno(tmp), 2);
    assert_int_equal(sk_ruleset_load_string(rs, "x.rules", text), 0);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);

    char out[4096];
    rewind(tmp);
    size_t n = fread(out, 1, sizeof(out) - 1, tmp);
    out[n] = '\0';
    fclose(tmp);
    size_t lines = 0;
    for (char *p = out; (p = strstr(p, "unsupported protocol 'http'")); p++)
        lines++;
    assert_int_equal(lines, 5);
    assert_non_null(strstr(out, "x.rules:2:7: sid 1: unsupported protocol 'http'\n"));
    assert_non_null(strstr(out, "x.rules:1:1: sid 100: warning: shrike is passive: 'drop' "
                                "treated as alert\n"));
    assert_int_equal(sk_ruleset_stats(rs)->failed, 9);
    assert_int_equal(sk_ruleset_stats(rs)->reasons[0].count, 9);
    assert_int_equal(sk_ruleset_count(rs), 1);
    sk_ruleset_free(rs);
}

static size_t b64enc(const uint8_t *in, size_t n, char *out)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < n)
            v |= in[i + 2];
        out[o++] = abc[(v >> 18) & 63];
        out[o++] = abc[(v >> 12) & 63];
        out[o++] = i + 1 < n ? abc[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? abc[v & 63] : '=';
        if (o % 78 == 76) {
            out[o++] = '\r';
            out[o++] = '\n';
        }
    }
    return o;
}

static void utf16(const char *s, uint8_t *out, size_t *n)
{
    for (size_t i = 0; s[i]; i++) {
        out[(*n)++] = (uint8_t)s[i];
        out[(*n)++] = 0;
    }
}

/* The ET Open CVE-2023-23397 smtp rules (TNEF with a UNC reminder sound path, base64 in
 * the message): they load, and each matches a crafted message on both matchers, and none
 * matches once the UNC path is gone. Skipped without ../shared/corpus. */
static void test_rule_parse_et_cve_2023_23397(void **state)
{
    char path[4200];
    snprintf(path, sizeof(path),
             "%s/../shared/corpus/rules/et-open-2024-04-21/emerging-exploit.rules", SK_TOP_SRCDIR);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        snprintf(path, sizeof(path),
                 "%s/../../shared/corpus/rules/et-open-2024-04-21/emerging-exploit.rules",
                 SK_TOP_SRCDIR);
        f = fopen(path, "r");
    }
    if (f == NULL)
        skip();
    size_t cap = 1 << 16, n = 0;
    char *text = malloc(cap), line[8192];
    assert_non_null(text);
    text[0] = '\0';
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, "alert smtp", 10) != 0 || strstr(line, "CVE-2023-23397") == NULL)
            continue;
        size_t l = strlen(line);
        assert_true(n + l + 1 < cap);
        memcpy(text + n, line, l + 1);
        n += l;
    }
    fclose(f);
    struct sk_ruleset *rs = NULL;
    static const char *const vars[][2] = {
        {"HOME_NET", "[10.0.0.0/8]"}, {"SMTP_SERVERS", "$HOME_NET"}, {NULL, NULL}};
    struct diags ds = {0};
    struct sk_ruleset_config cfg = {
        .address_vars = vars,
        .classification_file = SK_TOP_SRCDIR "/rules/classification.config",
        .reference_file = SK_TOP_SRCDIR "/rules/reference.config",
        .diag = record,
        .diag_ctx = &ds,
    };
    assert_int_equal(sk_ruleset_new(&rs, &cfg), 0);
    assert_int_equal(sk_ruleset_load_string(rs, "cve.rules", text), 0);
    free(text);
    size_t nr = sk_ruleset_count(rs);
    if (ds.errors)
        fail_msg("%s", ds.v[0].msg);
    assert_true(nr >= 7);

    /* the decoded attachment: TNEF signature, every message class the rules look for,
     * then a UNC path */
    uint8_t tnef[512];
    size_t tl = 0;
    memcpy(tnef, "\x78\x9f\x3e\x22", 4);
    tl = 4;
    utf16("IPM.Task", tnef, &tl);
    static const char ascii[] = "\0IPM.Task IPM.Microsoft Mail.Note ";
    memcpy(tnef + tl, ascii, sizeof(ascii) - 1);
    tl += sizeof(ascii) - 1;
    utf16("IPM.Microsoft Mail.Note", tnef, &tl);
    tnef[tl++] = 0;
    utf16("IPM.Task", tnef, &tl);
    size_t unc_at = tl;
    static const char unc[] = "\\\\attacker.example\\x";
    memcpy(tnef + tl, unc, sizeof(unc) - 1);
    tl += sizeof(unc) - 1;
    for (int pass = 0; pass < 2; pass++) {
        /* the fast patterns (base64 of the message classes as Outlook writes them) sit in
         * the text before the blank line */
        char msg[2048];
        size_t ml =
            (size_t)snprintf(msg, sizeof(msg),
                             "X: AElQTS5UYXNr SVBNLk1pY3Jvc29mdCBNYWlsLk5vdG "
                             "SQBQAE0ALgBNAGkAYwByAG8AcwBvAGYAdAAgAE0AYQBpAGwALgBOAG8AdABlA "
                             "SQBQAE0ALgBUAGEAcwBrA\r\n\r\n");
        ml += b64enc(tnef, pass == 0 ? tl : unc_at, msg + ml);
        struct sk_match_ctx *mc;
        assert_int_equal(sk_match_ctx_new(&mc, 0), 0);
        char err[256];
        for (size_t i = 0; i < nr; i++) {
            const struct sk_rule *r = sk_ruleset_rule(rs, i);
            assert_int_equal(r->n_groups, 2);
            assert_int_equal(r->groups[1].buffer, SK_BUF_BASE64_DATA);
            void *pc[2][8] = {{0}};
            for (size_t g = 0; g < 2; g++)
                for (size_t m = 0; m < r->groups[g].n_matches && m < 8; m++)
                    if (r->groups[g].matches[m].kind == SK_MATCH_PCRE)
                        assert_int_equal(sk_match_pcre_compile(&r->groups[g].matches[m].u.pcre,
                                                               &pc[g][m], err, sizeof(err)),
                                         0);
            bool got = sk_match_group_full(mc, &r->groups[0], pc[0], &r->groups[1], pc[1],
                                           (const uint8_t *)msg, ml);
            struct sk_ref_value v = {
                .buffer = r->groups[0].buffer, .p = (const uint8_t *)msg, .len = ml};
            bool ref = !got;
            assert_int_equal(sk_reference_rule(r, &v, 1, &ref), 0);
            if (got != (pass == 0) || ref != (pass == 0))
                fail_msg("sid %u pass %d: matcher %d reference %d", r->sid, pass, got, ref);
            for (size_t g = 0; g < 2; g++)
                for (size_t m = 0; m < 8; m++)
                    sk_match_pcre_free(pc[g][m]);
        }
        sk_match_ctx_free(mc);
    }
    sk_ruleset_free(rs);
}

/* byte_test, byte_jump, byte_extract, byte_math on both matchers: match and no-match. */
static void test_rule_parse_byte_keywords_match(void **state)
{
    (void)state;
    static const struct {
        const char *opts;
        const char *buf;
        size_t len;
        bool want;
    } mcases[] = {
        {"byte_test:2,=,258,0;", "\x01\x02", 2, true},
        {"byte_test:2,=,258,0;", "\x01\x03", 2, false},
        {"byte_test:2,=,258,0,little;", "\x02\x01", 2, true},
        {"byte_test:3,>,99,0,string,dec;", "100abc", 6, true},
        {"byte_test:3,>,99,0,string,dec;", "099", 3, false},
        {"byte_test:3,>,99,0,string,dec;", "abc", 3, false}, /* no digits */
        {"byte_test:1,&,0x80,0;", "\x81", 1, true},
        {"byte_test:1,&,0x80,0;", "\x01", 1, false},
        {"byte_test:1,!=,5,0;", "\x05", 1, false},
        {"byte_test:1,!=,5,0;", "\x06", 1, true},
        {"byte_test:2,=,0x0f,0,bitmask 0x0ff0;", "\x00\xf0", 2, true},
        {"content:\"LEN\"; byte_test:1,=,3,0,relative;", "xxLEN\x03", 6, true},
        {"content:\"LEN\"; byte_test:1,=,3,0,relative;", "xxLEN", 5, false}, /* past the end */
        {"byte_test:4,=,1,0;", "\x00\x01", 2, false}, /* fewer bytes than asked */
        {"byte_jump:1,0; content:\"B\"; within:1;", "\x02xxB", 4, true},
        {"byte_jump:1,0; content:\"B\"; within:1;", "\x01xxB", 4, false},
        {"byte_jump:1,0;",
         "\x09"
         "ab",
         3, false}, /* beyond the buffer */
        {"byte_jump:1,0;",
         "\x02"
         "ab",
         3, true}, /* exactly to its end */
        {"byte_jump:1,0,from_beginning,post_offset 1; content:\"Z\"; within:1;", "\x02xxZ", 4,
         true},
        {"byte_jump:1,0,multiplier 2; content:\"Q\"; within:1;", "\x02xxxxQ", 6, true},
        {"byte_jump:1,0,multiplier 2; content:\"Q\"; within:1;", "\x02xxxQ", 5, false},
        {"byte_extract:1,0,off; content:\"X\"; offset:off; depth:1;",
         "\x03"
         "abX",
         4, true},
        {"byte_extract:1,0,off; content:\"X\"; offset:off; depth:1;",
         "\x02"
         "abX",
         4, false},
        {"byte_extract:1,0,n; content:\"A\"; distance:n; within:1;", "\x01xA", 3, true},
        {"byte_extract:1,0,n; content:\"A\"; distance:n; within:1;",
         "\x01"
         "Ax",
         3, false},
        {"byte_extract:2,0,v,string,hex; byte_test:1,=,v,2;", "1f\x1f", 3, true},
        {"byte_extract:2,0,v,string,hex; byte_test:1,=,v,2;", "1f\x1e", 3, false},
        {"byte_math:bytes 1, offset 0, oper *, rvalue 2, result r; byte_test:1,=,r,1;", "\x03\x06",
         2, true},
        {"byte_math:bytes 1, offset 0, oper *, rvalue 2, result r; byte_test:1,=,r,1;", "\x03\x05",
         2, false},
        {"byte_math:bytes 1, offset 0, oper /, rvalue 0, result r;", "\x03", 1, false},
    };
    struct sk_match_ctx *mc;
    assert_int_equal(sk_match_ctx_new(&mc, 0), 0);
    for (size_t i = 0; i < sizeof(mcases) / sizeof(mcases[0]); i++) {
        char text[512];
        snprintf(text, sizeof(text), "alert tcp any any -> any any (%s sid:1;)", mcases[i].opts);
        struct sk_ruleset *rs;
        struct diags ds = {0};
        const struct sk_rule *r = load_one(&rs, &ds, text);
        if (r == NULL)
            fail_msg("case %zu does not load: %s", i, text);
        const uint8_t *b = (const uint8_t *)mcases[i].buf;
        bool got = sk_match_group(mc, &r->groups[0], NULL, b, mcases[i].len);
        bool ref = !mcases[i].want;
        assert_int_equal(sk_reference_group(&r->groups[0], b, mcases[i].len, &ref), 0);
        if (got != mcases[i].want || ref != mcases[i].want)
            fail_msg("case %zu (%s): matcher %d reference %d, want %d", i, mcases[i].opts, got, ref,
                     mcases[i].want);
        sk_ruleset_free(rs);
    }
    sk_match_ctx_free(mc);
}

/* dsize, flags and stream_size against packets and stream sizes. */
static void test_rule_parse_packet_conditions(void **state)
{
    (void)state;
    static const struct {
        const char *opts;
        uint8_t flags;
        size_t dsize;
        uint64_t client, server;
        bool want;
    } pc[] = {
        {"flags:S;", 0x02, 0, 0, 0, true},
        {"flags:S;", 0x12, 0, 0, 0, false},
        {"flags:S+;", 0x12, 0, 0, 0, true},
        {"flags:SA*;", 0x10, 0, 0, 0, true},
        {"flags:!R;", 0x04, 0, 0, 0, false},
        {"flags:!R;", 0x18, 0, 0, 0, true},
        {"flags:S,CE;", 0xc2, 0, 0, 0, true}, /* CWR and ECE ignored */
        {"flags:0;", 0x00, 0, 0, 0, true},
        {"flags:AP;", 0x18, 10, 0, 0, true},
        {"dsize:<5;", 0x18, 4, 0, 0, true},
        {"dsize:<5;", 0x18, 5, 0, 0, false},
        {"dsize:10<>20; flags:A+;", 0x18, 15, 0, 0, true},
        {"dsize:10<>20; flags:A+;", 0x18, 20, 0, 0, false},
        {"stream_size:client,>,10;", 0, 0, 11, 0, true},
        {"stream_size:client,>,10;", 0, 0, 5, 100, false},
        {"stream_size:either,>,10;", 0, 0, 5, 100, true},
        {"stream_size:both,>,10;", 0, 0, 5, 100, false},
        {"stream_size:server,<=,100;", 0, 0, 500, 100, true},
    };
    for (size_t i = 0; i < sizeof(pc) / sizeof(pc[0]); i++) {
        char text[256];
        snprintf(text, sizeof(text), "alert tcp any any -> any any (%s sid:1;)", pc[i].opts);
        struct sk_ruleset *rs;
        struct diags ds = {0};
        const struct sk_rule *r = load_one(&rs, &ds, text);
        assert_non_null(r);
        bool got = sk_cond_packet(r, pc[i].flags, pc[i].dsize);
        if (r->stream_size.set)
            got = sk_cond_stream_size(r, pc[i].client, pc[i].server);
        if (got != pc[i].want)
            fail_msg("case %zu (%s): got %d", i, pc[i].opts, got);
        sk_ruleset_free(rs);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rule_parse_table),
        cmocka_unit_test(test_rule_parse_every_field_is_a_buffer),
        cmocka_unit_test(test_rule_parse_every_keyword_has_cases),
        cmocka_unit_test(test_rule_parse_content_hex_and_escapes),
        cmocka_unit_test(test_rule_parse_modifiers),
        cmocka_unit_test(test_rule_parse_numbers),
        cmocka_unit_test(test_rule_parse_buffers_and_transforms),
        cmocka_unit_test(test_rule_parse_meta),
        cmocka_unit_test(test_rule_parse_flow_state),
        cmocka_unit_test(test_rule_parse_addresses),
        cmocka_unit_test(test_rule_parse_multiline_and_comments),
        cmocka_unit_test(test_rule_parse_duplicate_and_bad_among_good),
        cmocka_unit_test(test_rule_parse_reasons_grouped),
        cmocka_unit_test(test_rule_parse_missing_file_and_keywords_list),
        cmocka_unit_test(test_rule_parse_default_diag_limits_each_reason),
        cmocka_unit_test(test_rule_parse_et_cve_2023_23397),
        cmocka_unit_test(test_rule_parse_byte_keywords_match),
        cmocka_unit_test(test_rule_parse_packet_conditions),
    };
    return cmocka_run_group_tests(tests, write_configs, remove_configs);
}
