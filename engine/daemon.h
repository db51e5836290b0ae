/* SPDX-License-Identifier: GPL-2.0-only */
/* What a long-running sensor needs of the process: a pid file held locked for the whole run
 * (a second instance on the same file is refused), and dropping root to an unprivileged user
 * and group once the capture, the logs and the control socket are open. */
#ifndef SK_DAEMON_H
#define SK_DAEMON_H

#include <stddef.h>

struct sk_pidfile;

/* Creates or opens path, takes an exclusive lock on it (flock) and writes the process id.
 * Returns 0, SK_E_EXISTS when another process holds the lock (errbuf names its pid), or
 * SK_E_IO / SK_E_NOMEM with a message in errbuf. The lock lasts until sk_pidfile_release()
 * or the process's end. */
int sk_pidfile_take(struct sk_pidfile **out, const char *path, char *errbuf, size_t errlen);

/* Removes the file (when still allowed: after a privilege drop it may not be) and lets the
 * lock go. NULL is a no-op. */
void sk_pidfile_release(struct sk_pidfile *p);

/* Becomes user (a name or a number; NULL: stay) and group (NULL: user's primary group):
 * setgroups() to the one group, setgid(), setuid(), then checks that real, effective and
 * saved ids all changed and that root cannot be had back. Returns 0, or SK_E_NOTFOUND /
 * SK_E_IO with a message in errbuf; the caller must then end the run. */
int sk_drop_privileges(const char *user, const char *group, char *errbuf, size_t errlen);

#endif
