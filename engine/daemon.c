/* SPDX-License-Identifier: GPL-2.0-only */
/* Pid file and privilege drop (daemon.h). */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "engine/daemon.h"
#include "engine/error.h"

struct sk_pidfile {
    int fd;
    char *path;
};

int sk_pidfile_take(struct sk_pidfile **out, const char *path, char *errbuf, size_t errlen)
{
    struct sk_pidfile *p = calloc(1, sizeof(*p));
    char text[32];
    if (!p || !(p->path = strdup(path))) {
        free(p);
        return SK_E_NOMEM;
    }
    p->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (p->fd < 0) {
        snprintf(errbuf, errlen, "cannot open the pid file '%s': %s", path, strerror(errno));
        goto out_free;
    }
    if (flock(p->fd, LOCK_EX | LOCK_NB) < 0) {
        int e = errno;
        ssize_t n = read(p->fd, text, sizeof(text) - 1);
        text[n > 0 ? n : 0] = '\0';
        text[strcspn(text, "\n")] = '\0';
        if (e == EWOULDBLOCK)
            snprintf(errbuf, errlen,
                     "another shrike (pid %s) holds the pid file '%s': refusing to start a "
                     "second one",
                     text[0] ? text : "unknown", path);
        else
            snprintf(errbuf, errlen, "cannot lock the pid file '%s': %s", path, strerror(e));
        close(p->fd);
        free(p->path);
        free(p);
        return e == EWOULDBLOCK ? SK_E_EXISTS : SK_E_IO;
    }
    int n = snprintf(text, sizeof(text), "%ld\n", (long)getpid());
    if (ftruncate(p->fd, 0) < 0 || pwrite(p->fd, text, (size_t)n, 0) != n) {
        snprintf(errbuf, errlen, "cannot write the pid file '%s': %s", path, strerror(errno));
        close(p->fd);
        goto out_free;
    }
    *out = p;
    return 0;
out_free:
    free(p->path);
    free(p);
    return SK_E_IO;
}

void sk_pidfile_release(struct sk_pidfile *p)
{
    if (!p)
        return;
    /* removed while the lock is held, so a starting instance never locks a file about to go */
    (void)unlink(p->path);
    close(p->fd);
    free(p->path);
    free(p);
}

/* A name, or a number that names no entry. */
static int lookup_id(const char *s, bool is_group, unsigned long *id, unsigned long *gid)
{
    char *end;
    if (is_group) {
        struct group *gr = getgrnam(s);
        if (gr) {
            *id = gr->gr_gid;
            return 0;
        }
    } else {
        struct passwd *pw = getpwnam(s);
        if (!pw) {
            errno = 0;
            unsigned long v = strtoul(s, &end, 10);
            if (*s && !*end && errno == 0)
                pw = getpwuid((uid_t)v);
        }
        if (pw) {
            *id = pw->pw_uid;
            *gid = pw->pw_gid;
            return 0;
        }
    }
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (!*s || *end || errno)
        return SK_E_NOTFOUND;
    *id = v;
    *gid = v;
    return 0;
}

int sk_drop_privileges(const char *user, const char *group, char *errbuf, size_t errlen)
{
    unsigned long uid = 0, gid = 0, ugid = 0;
    if (user && lookup_id(user, false, &uid, &ugid) < 0) {
        snprintf(errbuf, errlen, "--user: no such user '%s'", user);
        return SK_E_NOTFOUND;
    }
    if (group && lookup_id(group, true, &gid, &gid) < 0) {
        snprintf(errbuf, errlen, "--group: no such group '%s'", group);
        return SK_E_NOTFOUND;
    }
    if (!group)
        gid = ugid;
    if (!user && !group)
        return 0;
    gid_t g = (gid_t)gid;
    if (setgroups(1, &g) < 0 || setgid(g) < 0) {
        snprintf(errbuf, errlen, "cannot change to group %lu: %s", gid, strerror(errno));
        return SK_E_IO;
    }
    if (user && setuid((uid_t)uid) < 0) {
        snprintf(errbuf, errlen, "cannot change to user %lu: %s", uid, strerror(errno));
        return SK_E_IO;
    }
    /* setuid() changes all three ids only for root; check that nothing is left behind */
    uid_t ru = (uid_t)-1, eu = (uid_t)-1, su = (uid_t)-1;
    gid_t rg = (gid_t)-1, eg = (gid_t)-1, sg = (gid_t)-1;
    if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0 || rg != g || eg != g ||
        sg != g || (user && (ru != uid || eu != uid || su != uid)) ||
        (user && uid != 0 && (setuid(0) == 0 || seteuid(0) == 0))) {
        snprintf(errbuf, errlen, "the privilege drop did not hold (uid %lu gid %lu)",
                 (unsigned long)eu, (unsigned long)eg);
        return SK_E_IO;
    }
    return 0;
}
