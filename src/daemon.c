#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
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

int daemon_write_pid_file(const char *path)
{
	FILE *fp;

	if (!path || !*path)
		return 0;
	fp = fopen(path, "w");
	if (!fp) {
		log_error("pid file %s: %s", path, strerror(errno));
		return -1;
	}
	fprintf(fp, "%ld\n", (long)getpid());
	if (fclose(fp) != 0) {
		log_error("pid file %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}
