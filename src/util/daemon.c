/* SPDX-License-Identifier: BSD-2-Clause */
/* What both daemons do at start: run user, privilege drop, pid file (daemon.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"

int daemon_lookup_user(const char *spec, uid_t *uid, gid_t *gid)
{
	char name[256], *colon;
	struct passwd *pw;
	struct group *gr;

	snprintf(name, sizeof(name), "%s", spec);
	colon = strchr(name, ':');
	if (colon)
		*colon++ = '\0';
	pw = getpwnam(name);
	if (!pw)
		return -1;
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	if (colon) {
		gr = getgrnam(colon);
		if (!gr)
			return -1;
		*gid = gr->gr_gid;
	}
	return 0;
}

int daemon_drop_privileges(const char *user)
{
	struct passwd *pw;

	if (!user || !*user || geteuid() != 0)
		return 0;
	pw = getpwnam(user);
	if (!pw) {
		log_error("[general] user: unknown user '%s'", user);
		return -1;
	}
	if (initgroups(pw->pw_name, pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 ||
	    setuid(pw->pw_uid) < 0) {
		log_error("dropping privileges to %s: %s", user,
			  strerror(errno));
		return -1;
	}
	return 0;
}

/* The directory decides who could swap the file for a symlink between
 * our unlink and open: only root and the run user may own it, and nobody
 * else may write to it. */
static int pid_dir_check(const char *path, const char *user)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	struct stat sb;
	uid_t run_uid = geteuid();
	gid_t gid;

	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if (user && *user && daemon_lookup_user(user, &run_uid, &gid) < 0) {
		log_error("pid file %s: unknown user '%s'", path, user);
		return -1;
	}
	if (stat(dir, &sb) < 0) {
		log_error("pid file %s: directory %s: %s", path, dir,
			  strerror(errno));
		return -1;
	}
	if (!S_ISDIR(sb.st_mode)) {
		log_error("pid file %s: %s is not a directory", path, dir);
		return -1;
	}
	if (sb.st_uid != 0 && sb.st_uid != run_uid) {
		log_error("pid file %s: directory %s belongs to uid %lu, "
			  "neither root nor the run user: refused",
			  path, dir, (unsigned long)sb.st_uid);
		return -1;
	}
	if (sb.st_mode & (S_IWGRP | S_IWOTH)) {
		log_error("pid file %s: directory %s is writable by group or "
			  "others (mode %04o): refused",
			  path, dir, (unsigned)(sb.st_mode & 07777));
		return -1;
	}
	return 0;
}

int daemon_write_pid_file(const char *path, const char *user)
{
	char line[32];
	int fd, n;

	if (!path || !*path)
		return 0;
	if (pid_dir_check(path, user) < 0)
		return -1;
	/* Written as root: never through a link someone left there, never
	 * into a file that already exists (O_EXCL after the unlink). */
	if (unlink(path) < 0 && errno != ENOENT) {
		log_error("pid file %s: %s", path, strerror(errno));
		return -1;
	}
	fd = open(path, O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY | O_CLOEXEC,
		  0644);
	if (fd < 0) {
		log_error("pid file %s: %s", path, strerror(errno));
		return -1;
	}
	n = snprintf(line, sizeof(line), "%ld\n", (long)getpid());
	if (write(fd, line, (size_t)n) != n) {
		log_error("pid file %s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	if (close(fd) < 0) {
		log_error("pid file %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}
