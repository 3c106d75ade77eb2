/* SPDX-License-Identifier: BSD-2-Clause */
/* What both daemons do the same way at start-up: look up the user they
 * run as, drop root after opening sockets and files, write a pid file. */
#ifndef MM_DAEMON_H
#define MM_DAEMON_H

#include <sys/types.h>

/* "user" or "user:group" -> ids (the user's primary group without one).
 * 0, or -1 when either name is unknown. */
int daemon_lookup_user(const char *spec, uid_t *uid, gid_t *gid);
/* setgid/initgroups/setuid to user when running as root; nothing when
 * user is empty or we are not root. Logs and returns -1 on failure. */
int daemon_drop_privileges(const char *user);
/* Writes our pid to path (nothing for an empty path): unlinks what is
 * there, then creates a new file (O_EXCL, O_NOFOLLOW, mode 0644), in a
 * directory owned by root or user (the run user; NULL or "": ourselves)
 * and not writable by group or others. Logs and returns -1 otherwise. */
int daemon_write_pid_file(const char *path, const char *user);

#endif
