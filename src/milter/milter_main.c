/* SPDX-License-Identifier: BSD-2-Clause */
/* mailmood-milter: thin main. Options, config, socket, privileges; the
 * mail work is in milter.c and closure.c. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "conf.h"
#include "conf_snapshot.h"
#include "daemon.h"
#include "log.h"
#include "milter.h"
#include "store.h"

static const char *config_path;

static void usage(FILE *out)
{
	fprintf(out,
		"usage: mailmood-milter [-c FILE] [-f] [-p SOCKET] "
		"[-P PIDFILE]\n"
		"  -c FILE    config (default $MAILMOOD_CONFIG, else %s)\n"
		"  -f         stay in the foreground, log to stderr\n"
		"  -p SOCKET  unix:PATH or inet:PORT@HOST (overrides "
		"[milter] socket)\n"
		"  -P FILE    pid file (overrides [milter] pid_file)\n"
		"Signals: SIGUSR1 reloads config and templates, SIGTERM "
		"stops.\n",
		SYSCONFDIR "/mailmood/mailmood.conf");
}

/* libmilter treats SIGHUP as "stop" (doc/ARCHITECTURE.md), so reload is
 * SIGUSR1, taken by this thread with sigwait while every other thread blocks
 * it. */
static void *reload_thread(void *arg)
{
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	for (;;) {
		if (sigwait(&set, &sig) == 0 && sig == SIGUSR1) {
			log_info("SIGUSR1: reloading %s", config_path);
			milter_reload(config_path);
		}
	}
	return NULL;
}

/* A TCP milter socket without TCP_NODELAY stalls 40 ms per command on
 * loopback (doc/ARCHITECTURE.md). libmilter keeps its listening socket private,
 * so find it among our descriptors; accepted sockets inherit the option. */
static void set_nodelay_on_listeners(void)
{
	for (int fd = 0; fd < 1024; fd++) {
		int acc = 0, one = 1;
		struct sockaddr_storage sa;
		socklen_t len = sizeof(acc), salen = sizeof(sa);
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &len) < 0 ||
		    !acc)
			continue;
		if (getsockname(fd, (struct sockaddr *)&sa, &salen) < 0 ||
		    (sa.ss_family != AF_INET && sa.ss_family != AF_INET6))
			continue;
		if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
			       sizeof(one)) < 0)
			log_warn("TCP_NODELAY on the milter socket: %s",
				 strerror(errno));
	}
}

static int prepare_unix_socket(const struct conf *c, const char *sock)
{
	const char *path = sock + 5;
	uid_t uid;
	gid_t gid;

	if (chmod(path, (mode_t)c->milter.socket_mode) < 0) {
		log_error("chmod %s: %s", path, strerror(errno));
		return -1;
	}
	if (c->milter.socket_owner) {
		if (daemon_lookup_user(c->milter.socket_owner, &uid, &gid) <
		    0) {
			log_error("[milter] socket_owner: unknown user or "
				  "group '%s'",
				  c->milter.socket_owner);
			return -1;
		}
		if (chown(path, uid, gid) < 0) {
			log_error("chown %s: %s", path, strerror(errno));
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	const char *socket_opt = NULL, *pid_opt = NULL, *sock, *pid_file;
	int foreground = 0, ch, rc;
	char err[4096];
	struct conf *c;
	struct conf_snapshot *snap;
	struct store *st;
	enum store_rc src;
	pthread_t tid;
	sigset_t set;

	while ((ch = getopt_long(argc, argv, "c:fp:P:hV", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			config_path = optarg;
			break;
		case 'f':
			foreground = 1;
			break;
		case 'p':
			socket_opt = optarg;
			break;
		case 'P':
			pid_opt = optarg;
			break;
		case 'h':
			usage(stdout);
			return EX_OK;
		case 'V':
			printf("mailmood-milter %s\n", PACKAGE_VERSION);
			return EX_OK;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	config_path = conf_default_path(config_path);
	log_init("mailmood-milter", foreground);
	c = conf_load(config_path, err, sizeof(err));
	if (!c) {
		fprintf(stderr, "%s\n", err);
		log_error("%s", err);
		return EX_CONFIG;
	}
	/* the same levels as mailmoodd: warning keeps a busy MTA's log to
	 * what needs a look */
	log_set_level(c->general.log_level);
	sock = socket_opt ? socket_opt : c->milter.socket;
	pid_file = pid_opt ? pid_opt : c->milter.pid_file;
	/* c belongs to the current snapshot from here on, and a reload
	 * frees it: hold it while main reads it */
	if (milter_state_install(c, err, sizeof(err)) < 0) {
		fprintf(stderr, "mailmood-milter: %s\n", err);
		log_error("%s", err);
		return EX_CONFIG;
	}
	snap = conf_snapshot_get();
	if (smfi_setconn((char *)sock) != MI_SUCCESS ||
	    smfi_settimeout((int)c->milter.timeout) != MI_SUCCESS ||
	    milter_register() < 0 || smfi_opensocket(1) != MI_SUCCESS) {
		log_error("cannot open milter socket %s", sock);
		fprintf(stderr, "mailmood-milter: cannot open socket %s\n",
			sock);
		conf_snapshot_put(snap);
		milter_state_shutdown();
		return EX_UNAVAILABLE;
	}
	if (!strncmp(sock, "unix:", 5) || !strncmp(sock, "local:", 6)) {
		if (!strncmp(sock, "unix:", 5) &&
		    prepare_unix_socket(c, sock) < 0) {
			conf_snapshot_put(snap);
			milter_state_shutdown();
			return EX_CONFIG;
		}
	} else {
		set_nodelay_on_listeners();
	}
	if (!foreground && daemon(0, 0) < 0) {
		log_error("daemon: %s", strerror(errno));
		conf_snapshot_put(snap);
		milter_state_shutdown();
		return EX_OSERR;
	}
	if (daemon_write_pid_file(pid_file, c->general.user) < 0 ||
	    daemon_drop_privileges(c->general.user) < 0) {
		conf_snapshot_put(snap);
		milter_state_shutdown();
		return EX_OSERR;
	}
	/* The store is checked once at start (a SQLite file is migrated
	 * then) so a broken path shows up here; at run time on_error covers
	 * an unreachable store. A schema this build does not fit is for an
	 * admin to mend (mailmoodctl migrate): the milter does not start.
	 * Opened as the run user, so a SQLite file it creates is the run
	 * user's (made as root it would refuse every insert later). */
	src = store_open(c->general.store, &st, err, sizeof(err));
	if (src == STORE_SCHEMA) {
		fprintf(stderr, "mailmood-milter: %s\n", err);
		log_error("%s", err);
		if (pid_file && *pid_file)
			unlink(pid_file);
		conf_snapshot_put(snap);
		milter_state_shutdown();
		return EX_CONFIG;
	}
	if (src != STORE_OK)
		log_warn("%s; closure mails pass %s until it works", err,
			 c->milter.on_error == CONF_ON_ERROR_TEMPFAIL
			     ? "to tempfail"
			     : "unchanged");
	else
		store_close(st);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (pthread_create(&tid, NULL, reload_thread, NULL) != 0) {
		log_error("cannot start the reload thread");
		conf_snapshot_put(snap);
		milter_state_shutdown();
		return EX_OSERR;
	}
	pthread_detach(tid);
	log_info("listening on %s (config %s)", sock, config_path);
	rc = smfi_main();
	log_info("stopped");
	if (pid_file && *pid_file)
		unlink(pid_file);
	conf_snapshot_put(snap);
	milter_state_shutdown();
	return rc == MI_SUCCESS ? EX_OK : EX_SOFTWARE;
}
