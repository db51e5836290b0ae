/* SPDX-License-Identifier: GPL-2.0-only */
/* The configuration store: YAML (libyaml's event parser) flattened into dotted keys,
 * each with its scalar or list value and the place it was set. The table of known keys
 * below is the single list that --list-config prints and docs/configuration.md mirrors. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "engine/config.h"
#include "engine/error.h"
#include "engine/log.h"

enum key_type { KT_BOOL, KT_U64, KT_SIZE, KT_STR, KT_LIST, KT_MAP };

struct key_def {
    /* a "*" segment matches any one segment; a trailing ".**" one or more */
    const char *name;
    enum key_type type;
    const char *def; /* default as text, NULL for none */
    const char *doc;
};

/* The keys of one EVE sink (docs/configuration.md, EVE sinks), each below every one of
 * sink_prefixes: outputs.eve's own sink and each outputs.eve.sinks.NAME. */
static const char *const sink_prefixes[] = {"outputs.eve", "outputs.eve.sinks.*"};
static const struct key_def sink_key_defs[] = {
    {"filetype", KT_STR, "regular",
     "where EVE goes: regular, syslog, unix_dgram, unix_stream, redis, kafka"},
    {"filename", KT_STR, NULL,
     "regular: file in log-dir (eve.json); unix_*: socket path; syslog: /dev/log"},
    {"facility", KT_STR, "local5", "syslog facility"},
    {"level", KT_STR, "info", "syslog level (severity) of every record"},
    {"identity", KT_STR, "shrike", "syslog tag"},
    {"server", KT_STR, "127.0.0.1", "redis: host, or a Unix socket path (/...)"},
    {"port", KT_U64, "6379", "redis: TCP port"},
    {"mode", KT_STR, "list", "redis: list (lpush), rpush, channel (publish) or stream (xadd)"},
    {"key", KT_STR, "shrike", "redis: list, channel or stream name"},
    {"stream-maxlen", KT_U64, "0", "redis stream: XADD MAXLEN ~ (0: no trimming)"},
    {"brokers", KT_STR, "127.0.0.1:9092", "kafka: bootstrap servers"},
    {"topic", KT_STR, "shrike", "kafka: topic; %{event_type} in it is the record's event type"},
    {"mock-cluster", KT_BOOL, "no", "kafka: librdkafka's in-process mock cluster (tests)"},
    {"mock-linger", KT_U64, "0",
     "kafka mock cluster: seconds it stays up after the run, or until SIGTERM"},
    {"librdkafka.**", KT_STR, NULL, "kafka: a librdkafka producer property, as is"},
    {"batch-size", KT_U64, "64", "network sinks: records sent at once (pipelined)"},
    {"queue-max-records", KT_U64, "100000", "network sinks: records queued at most"},
    {"queue-max-bytes", KT_SIZE, "64mb", "network sinks: bytes queued at most"},
    {"queue-wait-ms", KT_U64, "100", "network sinks: a full queue holds a worker this long"},
    {"flush-timeout", KT_U64, "5", "network sinks: seconds to drain the queue at exit"},
    {"reconnect-max-ms", KT_U64, "5000", "network sinks: longest wait between reconnects"},
    {"timeout-ms", KT_U64, "2000", "network sinks: connect and send timeout"},
};

static const struct key_def key_defs[] = {
    {"strict", KT_BOOL, "yes", "an unknown configuration key is an error (no: a warning)"},
    {"config.strict", KT_BOOL, NULL, "as strict, for --set config.strict=no"},
    {"vars.address-groups.*", KT_STR, NULL, "an address variable for rules ($NAME)"},
    {"vars.port-groups.*", KT_STR, NULL, "a port variable for rules ($NAME)"},
    {"default-rule-path", KT_STR, NULL, "folder that relative rule-files are read from"},
    {"rule-files", KT_LIST, NULL, "rule files loaded when no -S is given"},
    {"rule-dialect", KT_STR, "auto", "rule syntax: auto (per file), suricata or snort3"},
    {"classification-file", KT_STR, NULL, "classification.config for classtype"},
    {"reference-config-file", KT_STR, NULL, "reference.config for reference"},
    {"log-dir", KT_STR, ".", "folder for the log files (-l overrides)"},
    {"workers", KT_STR, "1", "worker threads: a number, or auto for one per core (--workers)"},
    {"workers-queue", KT_U64, "8", "one reader (live, pipe): 256 KiB batches queued per worker"},
    {"workers-balance", KT_STR, "claim",
     "reading files, a flow goes to the worker with the fewest packets waiting (claim) or by hash "
     "(hash)"},
    {"capture.bpf-filter", KT_STR, NULL, "BPF filter when none is given on the command line"},
    {"capture.snaplen", KT_U64, "65535", "live: bytes kept of each packet (--snaplen)"},
    {"capture.pcap.buffer-size", KT_SIZE, "0",
     "-i: libpcap's kernel buffer per interface; 0 keeps libpcap's (--pcap-buffer-size)"},
    {"capture.af-packet.ring-size", KT_SIZE, "16mb",
     "--af-packet: ring bytes per worker socket (--af-packet-ring-size)"},
    {"capture.af-packet.block-size", KT_SIZE, "1mb",
     "--af-packet: bytes per ring block, a power of two (--af-packet-block-size)"},
    {"outputs.events.enabled", KT_BOOL, "yes", "write events.json (raw SMTP events)"},
    {"outputs.events.data-limit", KT_SIZE, "4096", "bytes of an smtp_data chunk logged"},
    {"outputs.events.message-limit", KT_SIZE, "1mb",
     "smtp_data bytes of one message logged; later chunks are counted, not logged (0: all)"},
    {"outputs.eve.enabled", KT_BOOL, "yes", "write eve.json"},
    {"outputs.eve.smtp", KT_BOOL, "yes", "EVE smtp records (one per transaction)"},
    {"outputs.eve.anomaly", KT_BOOL, "yes", "EVE anomaly records"},
    {"outputs.eve.fileinfo", KT_BOOL, "yes", "EVE fileinfo records"},
    {"outputs.eve.fileinfo-list-max", KT_U64, "16",
     "items of each smtp/email list in a fileinfo record (0: all)"},
    {"outputs.eve.flow", KT_BOOL, "yes", "EVE flow records"},
    {"outputs.eve.stats", KT_BOOL, "yes", "EVE stats records (every stats.interval and at exit)"},
    {"outputs.eve.frame", KT_BOOL, "no", "EVE frame records: each SMTP frame (Suricata's frame)"},
    {"sensor-name", KT_STR, NULL, "this sensor's name, as EVE's host member (none: left out)"},
    {"unix-command.enabled", KT_BOOL, "no", "serve the control socket (shrikectl)"},
    {"unix-command.filename", KT_STR, SK_DEFAULT_SOCKET, "path of the control socket"},
    {"stats.enabled", KT_BOOL, "yes", "EVE stats records every stats.interval while running"},
    {"stats.interval", KT_U64, "8", "seconds between two stats records while running"},
    {"stats.threads", KT_BOOL, "no", "each worker's counters in the stats records, too"},
    {"outputs.fast.enabled", KT_BOOL, "yes", "write fast.log"},
    {"outputs.smtp-log.enabled", KT_BOOL, "yes", "write smtp.log (Zeek format)"},
    {"decode.frag-memcap", KT_SIZE, "16mb", "bytes held by IP fragment reassembly"},
    {"decode.frag-timeout", KT_U64, "60", "seconds before an incomplete datagram is dropped"},
    {"flow.max-flows", KT_U64, "65536", "TCP flows held at once"},
    {"flow.memcap", KT_SIZE, "512mb", "bytes for flows, reassembly and app-layer state"},
    {"flow.hash-seed", KT_U64, "0", "flow hash seed; 0 picks a random one"},
    {"flow.timeout.new", KT_U64, "30", "idle seconds before a flow is established"},
    {"flow.timeout.established", KT_U64, "600", "idle seconds for an established flow"},
    {"flow.timeout.closed", KT_U64, "10", "seconds a closed flow is kept"},
    {"stream.depth", KT_SIZE, "0", "bytes delivered per direction; 0 means no limit"},
    {"stream.max-queued", KT_SIZE, "1mb", "out-of-order bytes held per direction"},
    {"smtp.ports", KT_LIST, "25,465,587,2525", "ports where SMTP is expected"},
    {"smtp.max-command-line", KT_SIZE, "4096", "longest command line before an anomaly"},
    {"smtp.max-reply-line", KT_SIZE, "4096", "longest reply line before an anomaly"},
    {"smtp.max-rfc-command-line", KT_SIZE, "512", "RFC 5321 command line limit"},
    {"smtp.max-auth-line", KT_SIZE, "2048", "longest AUTH continuation line"},
    {"smtp.max-data-chunk", KT_SIZE, "4096", "longest smtp_data event piece"},
    {"smtp.max-pending-commands", KT_U64, "128", "commands waiting for replies"},
    {"smtp.max-recipients", KT_U64, "100", "RCPT TO per transaction before an anomaly"},
    {"smtp.refused-commands", KT_LIST, NULL, "command verbs that raise ILLEGAL_COMMAND"},
    {"smtp.allowed-commands", KT_LIST, NULL, "extra verbs that are not UNKNOWN_COMMAND"},
    {"smtp.smuggling-hold", KT_SIZE, "64kb",
     "bytes held after a non-canonical end of data until the server's reply decides (0: none)"},
    {"smtp.log-credentials", KT_BOOL, "yes", "put AUTH credentials in events in clear"},
    {"mime.enabled", KT_BOOL, "yes", "decode messages (email.* and file.* fields)"},
    {"mime.max-depth", KT_U64, "16", "nested multipart/message levels"},
    {"mime.max-header-name", KT_SIZE, "75", "bytes of a header name"},
    {"mime.max-header-value", KT_SIZE, "2000", "bytes of an unfolded header value"},
    {"mime.max-header-size", KT_SIZE, "64kb", "bytes of one header block"},
    {"mime.max-line", KT_SIZE, "998", "bytes of a message line, without CRLF"},
    {"mime.max-enc-line", KT_SIZE, "76", "bytes of a base64 or quoted-printable line"},
    {"mime.max-boundary", KT_SIZE, "254", "bytes of a multipart boundary"},
    {"mime.max-filename", KT_SIZE, "255", "bytes of a decoded file name"},
    {"mime.file-data-max", KT_SIZE, "1mb", "bytes of file.data inspected per part; 0 = all"},
    {"mime.extract-urls", KT_BOOL, "yes", "extract URLs into email.url"},
    {"mime.url-schemes", KT_LIST, "http,https,ftp,mailto,www", "URL schemes extracted"},
    {"mime.log-url-scheme", KT_BOOL, "no", "keep the scheme (http://) in email.url"},
    {"mime.max-urls", KT_U64, "256", "distinct URLs per message"},
    {"mime.body-md5", KT_STR, "yes",
     "MD5 of the body (email.body_md5): yes, no, or auto (when a rule uses email.body_md5)"},
    {"mime.body-md5-stuffed", KT_BOOL, "yes",
     "hash DATA lines with their stuffed dot, as Suricata"},
    {"mime.hash-files", KT_BOOL, "yes", "digests of each file (mime.file-hashes)"},
    {"mime.file-hashes", KT_LIST, "md5,sha1,sha256", "digests of each file: md5, sha1, sha256"},
    {"mime.hash-thread", KT_BOOL, "no",
     "compute the digests on a second thread of each worker (needs a free core)"},
    {"mime.hash-thread-ring", KT_SIZE, "1mb", "bytes queued for the digest thread"},
    {"mime.body-files", KT_BOOL, "yes", "text and HTML body parts are files too, as in Zeek"},
    {"mime.message-files", KT_BOOL, "yes", "an attached message/rfc822 is a file too"},
    {"mime.file-magic", KT_BOOL, "no", "describe each file with libmagic (fileinfo.magic)"},
    {"filestore.enabled", KT_BOOL, "no", "write attachments to filestore.dir"},
    {"filestore.dir", KT_STR, "filestore", "folder for stored files, named by SHA-256"},
    {"filestore.max-size", KT_SIZE, "64mb", "largest file stored; 0 = any size"},
    {"detect.stream-window", KT_SIZE, "64kb", "bytes of a stream kept for confirmation"},
    {"detect.pcre-match-limit", KT_U64, "3500", "PCRE2 match limit"},
    {"detect.cache-dir", KT_STR, NULL, "folder for cached Hyperscan databases"},
};

struct entry {
    char *key;
    char *value;  /* scalar, or NULL for a list/map */
    char **items; /* list items */
    size_t n_items;
    char *where; /* "FILE:LINE:COL" or "--set" */
};

struct sk_config {
    struct entry *v;
    size_t n, cap;
    char *path;
    /* scratch for sk_config_children */
    const char **children;
    size_t n_children;
};

static int entry_add_item(struct entry *e, const char *item);
static struct entry *put_entry(struct sk_config *c, const char *key, const char *where);

/* Lists have their defaults stored as entries, so sk_config_list() needs no fallback. */
static int add_list_defaults(struct sk_config *c)
{
    for (size_t i = 0; i < sizeof(key_defs) / sizeof(key_defs[0]); i++) {
        if (key_defs[i].type != KT_LIST || !key_defs[i].def)
            continue;
        struct entry *e = put_entry(c, key_defs[i].name, "default");
        char *copy = strdup(key_defs[i].def), *save = NULL;
        int rc = e && copy ? 0 : SK_E_NOMEM;
        for (char *t = copy ? strtok_r(copy, ",", &save) : NULL; t && rc == 0;
             t = strtok_r(NULL, ",", &save))
            rc = entry_add_item(e, t);
        free(copy);
        if (rc < 0)
            return rc;
    }
    return 0;
}

void sk_config_free(struct sk_config *cfg);

int sk_config_new(struct sk_config **out)
{
    struct sk_config *c = calloc(1, sizeof(*c));
    if (!c)
        return SK_E_NOMEM;
    int rc = add_list_defaults(c);
    if (rc < 0) {
        sk_config_free(c);
        return rc;
    }
    *out = c;
    return 0;
}

/* Matches key against a table name segment by segment ("*": one segment, a final "**":
 * the rest, one segment or more). */
static bool name_matches(const char *n, const char *key)
{
    for (;;) {
        const char *ne = strchr(n, '.'), *ke = strchr(key, '.');
        size_t nl = ne ? (size_t)(ne - n) : strlen(n), kl = ke ? (size_t)(ke - key) : strlen(key);
        if (nl == 2 && strncmp(n, "**", 2) == 0 && !ne)
            return kl > 0;
        if (kl == 0 || !((nl == 1 && *n == '*') || (nl == kl && strncmp(n, key, nl) == 0)))
            return false;
        if (!ne || !ke)
            return !ne && !ke;
        n = ne + 1;
        key = ke + 1;
    }
}

/* The rest of key after prefix (whose "*" segments match any one segment) and a dot, or
 * NULL. */
static const char *after_prefix(const char *prefix, const char *key)
{
    char head[256];
    const char *k = key;
    /* the key's head has as many segments as the prefix */
    size_t psegs = 1;
    for (const char *p = prefix; *p; p++)
        psegs += *p == '.';
    for (size_t i = 0; i < psegs; i++) {
        k = strchr(k, '.');
        if (!k)
            return NULL;
        k++;
    }
    size_t hl = (size_t)(k - key) - 1;
    if (hl >= sizeof(head))
        return NULL;
    memcpy(head, key, hl);
    head[hl] = '\0';
    return name_matches(prefix, head) ? k : NULL;
}

static const struct key_def *find_def(const char *key)
{
    for (size_t i = 0; i < sizeof(key_defs) / sizeof(key_defs[0]); i++)
        if (name_matches(key_defs[i].name, key))
            return &key_defs[i];
    for (size_t p = 0; p < sizeof(sink_prefixes) / sizeof(sink_prefixes[0]); p++) {
        const char *rest = after_prefix(sink_prefixes[p], key);
        for (size_t i = 0; rest && i < sizeof(sink_key_defs) / sizeof(sink_key_defs[0]); i++)
            if (name_matches(sink_key_defs[i].name, rest))
                return &sink_key_defs[i];
    }
    return NULL;
}

static struct entry *find_entry(const struct sk_config *c, const char *key)
{
    for (size_t i = c->n; i-- > 0;)
        if (strcmp(c->v[i].key, key) == 0)
            return &c->v[i];
    return NULL;
}

static void entry_release(struct entry *e)
{
    free(e->key);
    free(e->value);
    for (size_t i = 0; i < e->n_items; i++)
        free(e->items[i]);
    free(e->items);
    free(e->where);
}

/* Returns the entry for key, emptied for a new value (created when absent). */
static struct entry *put_entry(struct sk_config *c, const char *key, const char *where)
{
    struct entry *e = find_entry(c, key);
    if (e) {
        free(e->value);
        for (size_t i = 0; i < e->n_items; i++)
            free(e->items[i]);
        free(e->items);
        free(e->where);
        e->value = NULL;
        e->items = NULL;
        e->n_items = 0;
        e->where = strdup(where);
        return e->where ? e : NULL;
    }
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 32;
        struct entry *v = realloc(c->v, cap * sizeof(*v));
        if (!v)
            return NULL;
        c->v = v;
        c->cap = cap;
    }
    e = &c->v[c->n];
    memset(e, 0, sizeof(*e));
    e->key = strdup(key);
    e->where = strdup(where);
    if (!e->key || !e->where) {
        entry_release(e);
        return NULL;
    }
    c->n++;
    return e;
}

static int entry_add_item(struct entry *e, const char *item)
{
    char **items = realloc(e->items, (e->n_items + 1) * sizeof(*items));
    if (!items)
        return SK_E_NOMEM;
    e->items = items;
    if (!(items[e->n_items] = strdup(item)))
        return SK_E_NOMEM;
    e->n_items++;
    return 0;
}

#define MAX_DEPTH 16

struct yaml_walk {
    struct sk_config *cfg;
    const char *file;
    char *path[MAX_DEPTH]; /* key names of the open mappings */
    int depth;             /* number of open mappings */
    char *pending_key;     /* a mapping key waiting for its value */
    struct entry *list;    /* the sequence being filled */
    int seq_depth;         /* nesting of sequences (items inside a nested one are ignored) */
};

static char *join_path(const struct yaml_walk *w, const char *last)
{
    size_t len = strlen(last) + 1;
    for (int i = 0; i < w->depth; i++)
        len += strlen(w->path[i]) + 1;
    char *s = malloc(len);
    if (!s)
        return NULL;
    s[0] = '\0';
    for (int i = 0; i < w->depth; i++) {
        strcat(s, w->path[i]);
        strcat(s, ".");
    }
    strcat(s, last);
    return s;
}

static void where_of(char *buf, size_t len, const char *file, const yaml_mark_t *m)
{
    snprintf(buf, len, "%s:%zu:%zu", file, m->line + 1, m->column + 1);
}

static int walk_event(struct yaml_walk *w, yaml_event_t *ev, char *errbuf, size_t errlen)
{
    char where[512];
    where_of(where, sizeof(where), w->file, &ev->start_mark);

    switch (ev->type) {
    case YAML_MAPPING_START_EVENT:
        if (w->seq_depth) {
            snprintf(errbuf, errlen, "%s: a mapping inside a list is not supported", where);
            return SK_E_PARSE;
        }
        if (w->pending_key) {
            if (w->depth == MAX_DEPTH) {
                snprintf(errbuf, errlen, "%s: nesting deeper than %d", where, MAX_DEPTH);
                return SK_E_PARSE;
            }
            w->path[w->depth++] = w->pending_key;
            w->pending_key = NULL;
        }
        break;
    case YAML_MAPPING_END_EVENT:
        if (w->depth > 0)
            free(w->path[--w->depth]);
        break;
    case YAML_SEQUENCE_START_EVENT:
        if (w->seq_depth++ > 0)
            break;
        if (!w->pending_key) {
            snprintf(errbuf, errlen, "%s: a list needs a key", where);
            return SK_E_PARSE;
        }
        {
            char *key = join_path(w, w->pending_key);
            if (!key)
                return SK_E_NOMEM;
            w->list = put_entry(w->cfg, key, where);
            free(key);
            if (!w->list)
                return SK_E_NOMEM;
        }
        free(w->pending_key);
        w->pending_key = NULL;
        break;
    case YAML_SEQUENCE_END_EVENT:
        if (--w->seq_depth == 0)
            w->list = NULL;
        break;
    case YAML_SCALAR_EVENT: {
        const char *text = (const char *)ev->data.scalar.value;
        if (w->seq_depth) {
            if (w->seq_depth == 1 && entry_add_item(w->list, text) < 0)
                return SK_E_NOMEM;
            break;
        }
        if (!w->pending_key) {
            if (!(w->pending_key = strdup(text)))
                return SK_E_NOMEM;
            break;
        }
        char *key = join_path(w, w->pending_key);
        if (!key)
            return SK_E_NOMEM;
        struct entry *e = put_entry(w->cfg, key, where);
        free(key);
        if (!e || !(e->value = strdup(text)))
            return SK_E_NOMEM;
        free(w->pending_key);
        w->pending_key = NULL;
        break;
    }
    case YAML_ALIAS_EVENT:
        snprintf(errbuf, errlen, "%s: YAML aliases are not supported", where);
        return SK_E_PARSE;
    default:
        break;
    }
    return 0;
}

int sk_config_load_file(struct sk_config *cfg, const char *path, char *errbuf, size_t errlen)
{
    yaml_parser_t parser;
    yaml_event_t ev;
    struct yaml_walk w = {.cfg = cfg, .file = path};
    int rc = 0;
    bool done = false;

    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(errbuf, errlen, "%s: cannot open: %s", path, strerror(errno));
        return SK_E_IO;
    }
    if (!yaml_parser_initialize(&parser)) {
        rc = SK_E_NOMEM;
        goto out_close;
    }
    yaml_parser_set_input_file(&parser, f);
    while (!done) {
        if (!yaml_parser_parse(&parser, &ev)) {
            snprintf(errbuf, errlen, "%s:%zu:%zu: %s", path, parser.problem_mark.line + 1,
                     parser.problem_mark.column + 1,
                     parser.problem ? parser.problem : "invalid YAML");
            rc = SK_E_PARSE;
            break;
        }
        done = ev.type == YAML_STREAM_END_EVENT;
        rc = walk_event(&w, &ev, errbuf, errlen);
        yaml_event_delete(&ev);
        if (rc < 0)
            break;
    }
    while (w.depth > 0)
        free(w.path[--w.depth]);
    free(w.pending_key);
    yaml_parser_delete(&parser);
    if (rc == 0) {
        free(cfg->path);
        cfg->path = strdup(path);
    }
out_close:
    fclose(f);
    return rc;
}

int sk_config_set(struct sk_config *cfg, const char *assignment)
{
    const char *eq = strchr(assignment, '=');
    if (!eq || eq == assignment)
        return SK_E_INVAL;
    char *key = strndup(assignment, (size_t)(eq - assignment));
    if (!key)
        return SK_E_NOMEM;
    const struct key_def *def = find_def(key);
    struct entry *e = put_entry(cfg, key, "--set");
    int rc = 0;
    if (!e) {
        rc = SK_E_NOMEM;
    } else if (def && def->type == KT_LIST) {
        /* --set smtp.ports=25,587 gives a list */
        char *copy = strdup(eq + 1), *save = NULL;
        if (!copy)
            rc = SK_E_NOMEM;
        for (char *t = copy ? strtok_r(copy, ",", &save) : NULL; t && rc == 0;
             t = strtok_r(NULL, ",", &save))
            rc = entry_add_item(e, t);
        free(copy);
    } else if (!(e->value = strdup(eq + 1))) {
        rc = SK_E_NOMEM;
    }
    free(key);
    return rc;
}

static const char *const type_names[] = {"a boolean", "a number", "a size",
                                         "a string",  "a list",   "a mapping"};

/* The known key that key is a child of (rule-files for rule-files.a), or NULL. */
static const struct key_def *parent_def(const char *key)
{
    char buf[512];
    snprintf(buf, sizeof(buf), "%s", key);
    for (char *dot = strrchr(buf, '.'); dot; dot = strrchr(buf, '.')) {
        *dot = '\0';
        const struct key_def *d = find_def(buf);
        if (d)
            return d;
    }
    return NULL;
}

int sk_config_check(const struct sk_config *cfg, char *errbuf, size_t errlen)
{
    bool strict = true;
    const struct entry *se = find_entry(cfg, "config.strict");
    if (!se)
        se = find_entry(cfg, "strict");
    if (se && se->value &&
        (strcasecmp(se->value, "no") == 0 || strcasecmp(se->value, "false") == 0 ||
         strcmp(se->value, "0") == 0))
        strict = false;
    int rc = 0;
    errbuf[0] = '\0';
    for (size_t i = 0; i < cfg->n; i++) {
        const struct entry *e = &cfg->v[i];
        const struct key_def *d = find_def(e->key);
        const char *msg = NULL;
        char why[256];
        if (d && d->type != KT_LIST && !e->value) {
            snprintf(why, sizeof(why), "'%s' must be %s, not a list", e->key, type_names[d->type]);
            msg = why;
        } else if (!d && (d = parent_def(e->key)) != NULL) {
            snprintf(why, sizeof(why), "'%s' must be %s, not a mapping", d->name,
                     type_names[d->type]);
            msg = why;
        } else if (!d && strict) {
            snprintf(why, sizeof(why),
                     "unknown configuration key '%s' (strict: no makes it a warning)", e->key);
            msg = why;
        } else if (!d) {
            sk_warn("%s: unknown configuration key '%s' (ignored)", e->where, e->key);
            continue;
        }
        if (!msg)
            continue;
        /* each is reported; the first is the caller's message */
        if (rc == 0)
            snprintf(errbuf, errlen, "%s: %s", e->where, msg);
        else
            sk_error("%s: %s", e->where, msg);
        rc = SK_E_INVAL;
    }
    return rc;
}

const char *sk_config_get(const struct sk_config *cfg, const char *key)
{
    const struct entry *e = find_entry(cfg, key);
    return e ? e->value : NULL;
}

size_t sk_config_list(const struct sk_config *cfg, const char *key, const char *const **items)
{
    const struct entry *e = find_entry(cfg, key);
    if (!e) {
        *items = NULL;
        return 0;
    }
    if (e->value) {
        *items = (const char *const *)&e->value;
        return 1;
    }
    *items = (const char *const *)e->items;
    return e->n_items;
}

size_t sk_config_children(const struct sk_config *cfg, const char *prefix,
                          const char *const **names)
{
    struct sk_config *c = (struct sk_config *)cfg; /* the scratch list only */
    size_t plen = strlen(prefix);
    c->n_children = 0;
    free(c->children);
    c->children = malloc((cfg->n + 1) * sizeof(*c->children));
    if (!c->children) {
        *names = NULL;
        return 0;
    }
    for (size_t i = 0; i < cfg->n; i++) {
        const char *k = cfg->v[i].key;
        if (strncmp(k, prefix, plen) != 0 || k[plen] != '.' || strchr(k + plen + 1, '.'))
            continue;
        c->children[c->n_children++] = k + plen + 1;
    }
    *names = c->children;
    return c->n_children;
}

void sk_config_below(const struct sk_config *cfg, const char *prefix,
                     void (*fn)(void *ctx, const char *rest, const char *value), void *ctx)
{
    size_t plen = strlen(prefix);
    for (size_t i = 0; i < cfg->n; i++) {
        const char *k = cfg->v[i].key;
        if (strncmp(k, prefix, plen) == 0 && k[plen] == '.' && k[plen + 1] && cfg->v[i].value)
            fn(ctx, k + plen + 1, cfg->v[i].value);
    }
}

size_t sk_config_groups(const struct sk_config *cfg, const char *prefix, char ***names)
{
    size_t plen = strlen(prefix), n = 0;
    char **v = NULL;
    *names = NULL;
    for (size_t i = 0; i < cfg->n; i++) {
        const char *k = cfg->v[i].key;
        if (strncmp(k, prefix, plen) != 0 || k[plen] != '.' || !k[plen + 1])
            continue;
        const char *seg = k + plen + 1, *dot = strchr(seg, '.');
        size_t sl = dot ? (size_t)(dot - seg) : strlen(seg);
        bool seen = false;
        for (size_t j = 0; j < n && !seen; j++)
            seen = strlen(v[j]) == sl && strncmp(v[j], seg, sl) == 0;
        if (seen)
            continue;
        char **nv = realloc(v, (n + 1) * sizeof(*nv));
        if (!nv || !(nv[n] = strndup(seg, sl))) {
            v = nv ? nv : v;
            break;
        }
        v = nv;
        n++;
    }
    *names = v;
    return n;
}

static const char *value_or_default(const struct sk_config *cfg, const char *key,
                                    const char **where)
{
    const struct entry *e = find_entry(cfg, key);
    if (e && e->value) {
        *where = e->where;
        return e->value;
    }
    const struct key_def *d = find_def(key);
    *where = "default";
    return d ? d->def : NULL;
}

int sk_config_bool(const struct sk_config *cfg, const char *key, bool *out, char *errbuf,
                   size_t errlen)
{
    const char *where;
    const char *v = value_or_default(cfg, key, &where);
    if (!v) {
        *out = false;
        return 0;
    }
    static const char *const yes[] = {"yes", "true", "on", "1", "enabled"};
    static const char *const no[] = {"no", "false", "off", "0", "disabled"};
    for (size_t i = 0; i < 5; i++) {
        if (strcasecmp(v, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcasecmp(v, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    snprintf(errbuf, errlen, "%s: '%s' must be yes or no, not '%s'", where, key, v);
    return SK_E_INVAL;
}

static int parse_number(const char *v, bool sizes, uint64_t *out)
{
    char *end;
    errno = 0;
    if (*v == '-' || *v == '\0')
        return SK_E_INVAL;
    unsigned long long n = strtoull(v, &end, 10);
    if (errno || end == v)
        return SK_E_INVAL;
    uint64_t mul = 1;
    if (*end) {
        if (!sizes)
            return SK_E_INVAL;
        if (strcasecmp(end, "kb") == 0 || strcasecmp(end, "k") == 0)
            mul = 1024ull;
        else if (strcasecmp(end, "mb") == 0 || strcasecmp(end, "m") == 0)
            mul = 1024ull * 1024;
        else if (strcasecmp(end, "gb") == 0 || strcasecmp(end, "g") == 0)
            mul = 1024ull * 1024 * 1024;
        else
            return SK_E_INVAL;
    }
    if (n > UINT64_MAX / mul)
        return SK_E_INVAL;
    *out = (uint64_t)n * mul;
    return 0;
}

static int get_number(const struct sk_config *cfg, const char *key, bool sizes, uint64_t *out,
                      char *errbuf, size_t errlen)
{
    const char *where;
    const char *v = value_or_default(cfg, key, &where);
    if (!v) {
        *out = 0;
        return 0;
    }
    if (parse_number(v, sizes, out) < 0) {
        snprintf(errbuf, errlen, "%s: '%s' must be %s, not '%s'", where, key,
                 sizes ? "a size (e.g. 512, 64kb, 16mb)" : "a whole number", v);
        return SK_E_INVAL;
    }
    return 0;
}

int sk_config_u64(const struct sk_config *cfg, const char *key, uint64_t *out, char *errbuf,
                  size_t errlen)
{
    return get_number(cfg, key, false, out, errbuf, errlen);
}

int sk_config_size(const struct sk_config *cfg, const char *key, uint64_t *out, char *errbuf,
                   size_t errlen)
{
    return get_number(cfg, key, true, out, errbuf, errlen);
}

const char *sk_config_str(const struct sk_config *cfg, const char *key)
{
    const char *where;
    return value_or_default(cfg, key, &where);
}

const char *sk_config_path(const struct sk_config *cfg)
{
    return cfg->path;
}

void sk_config_print_keys(FILE *out)
{
    static const char *const types[] = {"bool", "number", "size", "string", "list", "map"};
    for (size_t i = 0; i < sizeof(key_defs) / sizeof(key_defs[0]); i++)
        fprintf(out, "%-28s %-7s %-22s %s\n", key_defs[i].name, types[key_defs[i].type],
                key_defs[i].def ? key_defs[i].def : "-", key_defs[i].doc);
    for (size_t p = 0; p < sizeof(sink_prefixes) / sizeof(sink_prefixes[0]); p++) {
        for (size_t i = 0; i < sizeof(sink_key_defs) / sizeof(sink_key_defs[0]); i++) {
            const struct key_def *d = &sink_key_defs[i];
            char name[128];
            snprintf(name, sizeof(name), "%s.%s", sink_prefixes[p], d->name);
            fprintf(out, "%-28s %-7s %-22s %s\n", name, types[d->type], d->def ? d->def : "-",
                    d->doc);
        }
    }
}

void sk_config_free(struct sk_config *cfg)
{
    if (!cfg)
        return;
    for (size_t i = 0; i < cfg->n; i++)
        entry_release(&cfg->v[i]);
    free(cfg->v);
    free(cfg->path);
    free(cfg->children);
    free(cfg);
}
