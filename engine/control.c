/* SPDX-License-Identifier: GPL-2.0-only */
/* The control thread and the unix-command socket (control.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "engine/control.h"
#include "engine/error.h"
#include "engine/log.h"

#define REQ_MAX        (64 * 1024) /* a command larger than this is refused */
#define CLIENT_IDLE_MS 10000

struct sk_control {
    struct sk_control_config cfg;
    char *path;
    int listen_fd;
    int wake[2]; /* [0] polled by the thread, [1] written by signal handlers and stop */
    _Atomic bool stop;
    pthread_t thread;
};

static void set_err(char *errbuf, size_t errlen, const char *what, const char *path)
{
    snprintf(errbuf, errlen, "unix-command: %s '%s': %s", what, path, strerror(errno));
}

/* A socket file left by an instance that ended without removing it is replaced; one another
 * process still answers on is not. */
static int claim_path(const char *path, char *errbuf, size_t errlen)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    struct stat st;
    if (lstat(path, &st) < 0)
        return 0;
    if (!S_ISSOCK(st.st_mode)) {
        snprintf(errbuf, errlen, "unix-command: '%s' exists and is not a socket", path);
        return SK_E_EXISTS;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        set_err(errbuf, errlen, "cannot make a socket for", path);
        return SK_E_IO;
    }
    memcpy(sa.sun_path, path, strlen(path) + 1);
    int live = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
    close(fd);
    if (live) {
        snprintf(errbuf, errlen, "unix-command: another process answers on '%s'", path);
        return SK_E_EXISTS;
    }
    unlink(path);
    return 0;
}

static int listen_on(struct sk_control *c, const char *path, char *errbuf, size_t errlen)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int rc;
    if (strlen(path) >= sizeof(sa.sun_path)) {
        snprintf(errbuf, errlen, "unix-command: socket path too long: '%s'", path);
        return SK_E_INVAL;
    }
    /* the folder of the socket (/run/shrike) may not exist yet: one level is made */
    char *dir = strdup(path);
    if (!dir)
        return SK_E_NOMEM;
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = '\0';
        if (mkdir(dir, 0750) < 0 && errno != EEXIST) {
            set_err(errbuf, errlen, "cannot create the folder", dir);
            free(dir);
            return SK_E_IO;
        }
    }
    free(dir);
    if ((rc = claim_path(path, errbuf, errlen)) < 0)
        return rc;
    memcpy(sa.sun_path, path, strlen(path) + 1);
    c->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (c->listen_fd < 0 || bind(c->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        chmod(path, 0660) < 0 || listen(c->listen_fd, 8) < 0) {
        set_err(errbuf, errlen, "cannot listen on", path);
        return SK_E_IO;
    }
    if (!(c->path = strdup(path)))
        return SK_E_NOMEM;
    return 0;
}

/* The length of the first whole JSON object at the start of p (after blanks), or 0. */
static size_t object_end(const char *p, size_t n)
{
    int depth = 0;
    bool str = false, esc = false;
    for (size_t i = 0; i < n; i++) {
        char ch = p[i];
        if (str) {
            if (esc)
                esc = false;
            else if (ch == '\\')
                esc = true;
            else if (ch == '"')
                str = false;
        } else if (ch == '"') {
            str = true;
        } else if (ch == '{') {
            depth++;
        } else if (ch == '}' && --depth == 0) {
            return i + 1;
        } else if (depth == 0 && ch != ' ' && ch != '\t' && ch != '\r' && ch != '\n') {
            return SIZE_MAX; /* not an object */
        }
    }
    return 0;
}

/* The string value of key at the top level of the object obj (no escapes needed in
 * command names), into out. */
static bool member_str(const char *obj, size_t n, const char *key, char *out, size_t outlen)
{
    size_t kl = strlen(key);
    for (size_t i = 0; i + kl + 2 < n; i++) {
        if (obj[i] != '"' || strncmp(obj + i + 1, key, kl) != 0 || obj[i + 1 + kl] != '"')
            continue;
        size_t j = i + kl + 2;
        while (j < n && (obj[j] == ' ' || obj[j] == ':' || obj[j] == '\t'))
            j++;
        if (j >= n || obj[j] != '"')
            return false;
        size_t k = ++j, len = 0;
        while (k < n && obj[k] != '"' && len + 1 < outlen)
            out[len++] = obj[k++];
        out[len] = '\0';
        return k < n && obj[k] == '"';
    }
    return false;
}

static const char *const commands[] = {"reload-rules", "reopen-logs", "dump-counters",
                                       "iface-stat",   "shutdown",    "command-list"};

static int command_list(void *ctx, struct sk_json *j)
{
    (void)ctx;
    sk_json_object_open(j, "message");
    sk_json_array_open(j, "commands");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        sk_json_str(j, NULL, commands[i]);
    sk_json_array_close(j);
    sk_json_u64(j, "count", sizeof(commands) / sizeof(commands[0]));
    sk_json_object_close(j);
    return 0;
}

/* Runs one request and writes its reply (one line) into out. */
static void answer(struct sk_control *c, const char *obj, size_t n, struct sk_buf *out)
{
    const struct sk_control_ops *ops = c->cfg.ops;
    struct sk_json j;
    char name[64];
    int rc;
    sk_json_init(&j, out);
    sk_json_object_open(&j, NULL);
    if (!member_str(obj, n, "command", name, sizeof(name))) {
        bool hello = strstr(obj, "\"version\"") != NULL;
        sk_json_str(&j, "return", hello ? "OK" : "NOK");
        if (!hello)
            sk_json_str(&j, "message", "expected {\"command\": NAME}");
        goto out;
    }
    int (*fn)(void *, struct sk_json *) = strcmp(name, "reload-rules") == 0 ? ops->reload_rules
                                          : strcmp(name, "ruleset-reload-nonblocking") == 0
                                              ? ops->reload_rules
                                          : strcmp(name, "reopen-logs") == 0      ? ops->reopen_logs
                                          : strcmp(name, "reopen-log-files") == 0 ? ops->reopen_logs
                                          : strcmp(name, "dump-counters") == 0 ? ops->dump_counters
                                          : strcmp(name, "iface-stat") == 0    ? ops->iface_stat
                                          : strcmp(name, "shutdown") == 0      ? ops->shutdown
                                          : strcmp(name, "command-list") == 0  ? command_list
                                                                               : NULL;
    if (!fn) {
        sk_json_str(&j, "return", "NOK");
        sk_json_str(&j, "message", "unknown command");
        goto out;
    }
    /* the reply's "return" comes first, so the message is built beside it */
    struct sk_buf msg;
    struct sk_json mj;
    sk_buf_init(&msg);
    sk_json_init(&mj, &msg);
    sk_json_object_open(&mj, NULL);
    rc = fn(c->cfg.ctx, &mj);
    sk_json_object_close(&mj);
    sk_json_str(&j, "return", rc == 0 ? "OK" : "NOK");
    /* msg is {"message": ...}: its members go into the reply */
    if (!sk_buf_failed(&msg) && msg.len >= 2)
        sk_json_members(&j, msg.buf + 1, msg.len - 2);
    sk_buf_release(&msg);
out:
    sk_json_object_close(&j);
    sk_buf_addch(out, '\n');
}

static bool write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

static void take_requests(struct sk_control *c)
{
    unsigned req = atomic_exchange(c->cfg.requests, 0u);
    struct sk_buf b;
    struct sk_json j;
    sk_buf_init(&b);
    sk_json_init(&j, &b);
    sk_json_object_open(&j, NULL);
    if (req & SK_CONTROL_REOPEN)
        (void)c->cfg.ops->reopen_logs(c->cfg.ctx, &j);
    if (req & SK_CONTROL_RELOAD)
        (void)c->cfg.ops->reload_rules(c->cfg.ctx, &j);
    sk_buf_release(&b);
}

static void drain(int fd)
{
    char buf[64];
    while (read(fd, buf, sizeof(buf)) > 0)
        ;
}

/* Serves one client until it closes, goes quiet for CLIENT_IDLE_MS, or the run stops.
 * Signals are taken meanwhile. */
static void serve(struct sk_control *c, int fd)
{
    char *buf = malloc(REQ_MAX);
    size_t len = 0;
    struct sk_buf out;
    sk_buf_init(&out);
    if (!buf)
        goto out;
    while (!atomic_load(&c->stop)) {
        size_t end;
        while (len && (end = object_end(buf, len)) != 0) {
            if (end == SIZE_MAX)
                goto out;
            char save = end < len ? buf[end] : '\0';
            if (end < len)
                buf[end] = '\0';
            sk_buf_reset(&out);
            answer(c, buf, end, &out);
            if (end < len)
                buf[end] = save;
            if (sk_buf_failed(&out) || !write_all(fd, out.buf, out.len))
                goto out;
            memmove(buf, buf + end, len - end);
            len -= end;
            c->cfg.ops->idle(c->cfg.ctx);
        }
        struct pollfd p[2] = {{.fd = fd, .events = POLLIN}, {.fd = c->wake[0], .events = POLLIN}};
        int r = poll(p, 2, CLIENT_IDLE_MS);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        if (p[1].revents) {
            drain(c->wake[0]);
            take_requests(c);
        }
        if (!p[0].revents)
            continue;
        if (len + 1 >= REQ_MAX)
            break;
        ssize_t n = read(fd, buf + len, REQ_MAX - 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
        buf[len] = '\0';
    }
out:
    sk_buf_release(&out);
    free(buf);
    close(fd);
}

static void *control_main(void *arg)
{
    struct sk_control *c = arg;
    take_requests(c); /* signals that came before the thread */
    while (!atomic_load(&c->stop)) {
        struct pollfd p[2] = {{.fd = c->wake[0], .events = POLLIN},
                              {.fd = c->listen_fd, .events = POLLIN}};
        int r = poll(p, c->listen_fd >= 0 ? 2 : 1, 200);
        if (r < 0 && errno != EINTR)
            break;
        if (r > 0 && p[0].revents) {
            drain(c->wake[0]);
            take_requests(c);
        }
        if (r > 0 && c->listen_fd >= 0 && p[1].revents) {
            int fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC);
            if (fd >= 0)
                serve(c, fd);
        }
        c->cfg.ops->idle(c->cfg.ctx);
    }
    return NULL;
}

int sk_control_start(struct sk_control **out, const struct sk_control_config *cfg, char *errbuf,
                     size_t errlen)
{
    struct sk_control *c = calloc(1, sizeof(*c));
    int rc = SK_E_NOMEM;
    if (!c)
        return SK_E_NOMEM;
    c->cfg = *cfg;
    c->listen_fd = c->wake[0] = c->wake[1] = -1;
    if (pipe2(c->wake, O_CLOEXEC | O_NONBLOCK) < 0) {
        snprintf(errbuf, errlen, "control: cannot make a pipe: %s", strerror(errno));
        rc = SK_E_IO;
        goto out_free;
    }
    if (cfg->socket_path && (rc = listen_on(c, cfg->socket_path, errbuf, errlen)) < 0)
        goto out_free;
    if (pthread_create(&c->thread, NULL, control_main, c) != 0) {
        snprintf(errbuf, errlen, "control: cannot start its thread");
        rc = SK_E_IO;
        goto out_free;
    }
    if (c->path)
        sk_info("unix-command: listening on '%s'", c->path);
    *out = c;
    return 0;
out_free:
    if (c->path)
        unlink(c->path);
    if (c->listen_fd >= 0)
        close(c->listen_fd);
    if (c->wake[0] >= 0) {
        close(c->wake[0]);
        close(c->wake[1]);
    }
    free(c->path);
    free(c);
    return rc;
}

int sk_control_wake_fd(const struct sk_control *c)
{
    return c->wake[1];
}

void sk_control_stop(struct sk_control *c)
{
    if (!c)
        return;
    atomic_store(&c->stop, true);
    (void)!write(c->wake[1], "x", 1);
    pthread_join(c->thread, NULL);
    if (c->listen_fd >= 0)
        close(c->listen_fd);
    if (c->path)
        unlink(c->path);
    close(c->wake[0]);
    close(c->wake[1]);
    free(c->path);
    free(c);
}
