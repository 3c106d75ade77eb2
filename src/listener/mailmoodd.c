/* SPDX-License-Identifier: BSD-2-Clause */
/* mailmoodd: thin main of the listener. Options, config, key, socket,
 * privileges, signals; the HTTP work is in http.c and rate.c. */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "conf_snapshot.h"
#include "daemon.h"
#include "http.h"
#include "imap.h"
#include "lmtp.h"
#include "log.h"
#include "outbox.h"
#include "store.h"
#include "token.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: mailmoodd [-c FILE] [-f]\n"
		"  -c FILE    config (default $MAILMOOD_CONFIG, else %s)\n"
		"  -f         stay in the foreground, log to stderr\n"
		"  -h, --help     this text\n"
		"  -V, --version  the version\n"
		"Signals: SIGUSR1 (or SIGHUP) reloads config and templates, "
		"SIGTERM stops\nafter the requests in flight.\n",
		SYSCONFDIR "/mailmood/mailmood.conf");
}

/* The running daemon: what main's steps hand each other. */
struct mmd {
	const char *config_path;
	int foreground;
	char *pid_file;
	int http_fd, lmtp_fd;
	struct http_server *http;
	struct lmtp_server *lmtp;
	struct imap_poller *imap;
	struct outbox_worker *outbox;
	sigset_t signals;
};

/* -1 to go on, else the exit status (help, version, a usage error). */
static int parse_options(int argc, char **argv, struct mmd *d)
{
	static const struct option opts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "c:fhV", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			d->config_path = optarg;
			break;
		case 'f':
			d->foreground = 1;
			break;
		case 'h':
			usage(stdout);
			return EX_OK;
		case 'V':
			printf("mailmoodd %s\n", PACKAGE_VERSION);
			return EX_OK;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return EX_USAGE;
	}
	d->config_path = conf_default_path(d->config_path);
	return -1;
}

/* The config parsed once, its key and the HTTP part (pages, address
 * lists) as one snapshot every part takes; NULL with err. On reload old
 * is the running snapshot: after dropping privileges a root-only key
 * cannot be read again, and the one in memory is still good. */
static struct conf_snapshot *load_snapshot(const char *path,
					   const struct conf_snapshot *old,
					   char *err, size_t errlen)
{
	static const struct conf_part *const parts[] = {&http_conf_part};
	struct conf *c = conf_load(path, err, errlen);
	struct conf_snapshot *s;
	struct token_key key;

	if (!c)
		return NULL;
	if (token_key_load(c->general.secret_file, &key, err, errlen) < 0) {
		if (!old) {
			conf_free(c);
			return NULL;
		}
		log_warn("%s; keeping the key already loaded", err);
		key = *conf_snapshot_key(old);
	}
	s = conf_snapshot_new(c, &key, parts, 1, err, errlen);
	memset(&key, 0, sizeof(key));
	return s;
}

static int lmtp_enabled(const struct conf *c)
{
	return c->listener.lmtp && *c->listener.lmtp &&
	       strcmp(c->listener.lmtp, "none") != 0;
}

/* What needs root comes first: the key (read with the config), the
 * sockets. 0, or the exit status (logged). */
static int open_sockets(struct mmd *d, const struct conf *c)
{
	char err[4096];

	d->http_fd = http_listen(c->listener.http, err, sizeof(err));
	if (d->http_fd < 0) {
		log_error("%s", err);
		fprintf(stderr, "mailmoodd: %s\n", err);
		return EX_UNAVAILABLE;
	}
	if (!lmtp_enabled(c))
		return 0;
	d->lmtp_fd =
	    lmtp_listen(c->listener.lmtp, c->listener.lmtp_socket_mode,
			c->listener.lmtp_socket_owner, err, sizeof(err));
	if (d->lmtp_fd < 0) {
		log_error("%s", err);
		fprintf(stderr, "mailmoodd: %s\n", err);
		return EX_UNAVAILABLE;
	}
	return 0;
}

/* Detaches (unless -f), writes the pid file, drops privileges and checks
 * the store. 0, or the exit status (logged). */
static int become_service(struct mmd *d, const struct conf *c)
{
	char err[4096];
	struct store *st;
	enum store_rc rc;

	if (!d->foreground && daemon(0, 0) < 0) {
		log_error("daemon: %s", strerror(errno));
		return EX_OSERR;
	}
	if (c->listener.pid_file)
		d->pid_file = strdup(c->listener.pid_file);
	if (daemon_write_pid_file(d->pid_file, c->general.user) < 0 ||
	    daemon_drop_privileges(c->general.user) < 0)
		return EX_OSERR;
	/* A broken store path shows up at start; at run time /healthz and
	 * 503 answers cover it. Opened after dropping privileges, so the
	 * files SQLite creates belong to the service user. */
	rc = store_open(c->general.store, &st, err, sizeof(err));
	if (rc == STORE_SCHEMA) {
		/* Waiting would not help: someone must migrate or upgrade. */
		log_error("%s", err);
		return EX_CONFIG;
	}
	if (rc != STORE_OK)
		log_warn("%s; answering 503 until it works", err);
	else
		store_close(st);
	return 0;
}

/* Blocked before the parts start their threads, which inherit the mask,
 * so the signals reach only the loop's sigtimedwait. */
static void block_signals(struct mmd *d)
{
	sigemptyset(&d->signals);
	sigaddset(&d->signals, SIGTERM);
	sigaddset(&d->signals, SIGINT);
	sigaddset(&d->signals, SIGUSR1);
	sigaddset(&d->signals, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &d->signals, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* NULL when [imap] is off or cannot start (logged): LMTP and HTTP go on
 * without it. */
static struct imap_poller *start_imap(struct conf_snapshot *snap)
{
	struct imap_poller *p = NULL;
	char err[512];

	if (!imap_enabled(conf_snapshot_conf(snap)))
		return NULL;
	if (imap_start(&p, snap, err, sizeof(err)) < 0)
		log_error("%s", err);
	return p;
}

static void stop_parts(struct mmd *d, int grace)
{
	imap_stop(d->imap);
	lmtp_stop(d->lmtp);
	if (d->http)
		http_stop(d->http, grace);
	outbox_stop(d->outbox);
	d->imap = NULL;
	d->lmtp = NULL;
	d->http = NULL;
	d->outbox = NULL;
}

/* HTTP, LMTP, the IMAP poller and the outbox worker (alerts, kudos,
 * digests, campaign rounds), all reading the current snapshot. 0, or the
 * exit status (logged; what started is stopped). */
static int start_parts(struct mmd *d, struct conf_snapshot *snap)
{
	const struct conf *c = conf_snapshot_conf(snap);
	char err[4096];

	log_info("listening on http://%s (config %s, %d threads)",
		 c->listener.http, d->config_path, c->listener.http_threads);
	if (http_start(&d->http, d->http_fd, c, err, sizeof(err)) < 0) {
		log_error("%s", err);
		return EX_UNAVAILABLE;
	}
	if (d->lmtp_fd >= 0) {
		if (lmtp_start(&d->lmtp, d->lmtp_fd, c, err, sizeof(err)) < 0) {
			log_error("%s", err);
			stop_parts(d, 0);
			return EX_UNAVAILABLE;
		}
		log_info("listening on lmtp %s", c->listener.lmtp);
	}
	d->imap = start_imap(snap);
	if (outbox_start(&d->outbox, err, sizeof(err)) < 0) {
		log_error("%s", err);
		stop_parts(d, 0);
		return EX_UNAVAILABLE;
	}
	return 0;
}

/* SIGUSR1 or SIGHUP: one parse; every part takes the new snapshot with
 * its next request, message or pass. A bad file keeps the running one. */
static void reload(struct mmd *d)
{
	struct conf_snapshot *old = conf_snapshot_get(), *s;
	char err[4096];

	log_info("reloading %s", d->config_path);
	s = load_snapshot(d->config_path, old, err, sizeof(err));
	conf_snapshot_put(old);
	if (!s) {
		log_error("reload: %s; keeping the running configuration", err);
		return;
	}
	conf_snapshot_replace(s);
	s = conf_snapshot_get();
	log_set_level(conf_snapshot_conf(s)->general.log_level);
	/* the poller logs in again with the new settings */
	imap_stop(d->imap);
	d->imap = start_imap(s);
	outbox_notify();
	if (http_reload(d->http, conf_snapshot_conf(s)))
		log_warn("reload: [listener] http and http_threads change on "
			 "restart only");
	conf_snapshot_put(s);
}

/* Until SIGTERM or SIGINT; slow HTTP clients are cut once a second. */
static void signal_loop(struct mmd *d)
{
	struct timespec tick = {1, 0};
	int sig;

	for (;;) {
		sig = sigtimedwait(&d->signals, NULL, &tick);
		if (sig < 0) {
			if (errno == EAGAIN)
				http_reap(d->http);
			continue;
		}
		if (sig == SIGUSR1 || sig == SIGHUP) {
			reload(d);
			continue;
		}
		log_info("signal %d: stopping", sig);
		return;
	}
}

/* Stops every part (HTTP lets requests in flight finish within its
 * http_timeout), removes the pid file, frees the snapshot. */
static void stop(struct mmd *d)
{
	struct conf_snapshot *s = conf_snapshot_get();

	stop_parts(d, (int)conf_snapshot_conf(s)->listener.http_timeout);
	conf_snapshot_put(s);
	if (d->pid_file)
		unlink(d->pid_file);
	free(d->pid_file);
	conf_snapshot_replace(NULL);
	log_info("stopped");
}

int main(int argc, char **argv)
{
	struct mmd d = {.http_fd = -1, .lmtp_fd = -1};
	struct conf_snapshot *snap;
	const struct conf *c;
	char err[4096];
	int rc = parse_options(argc, argv, &d);

	if (rc >= 0)
		return rc;
	log_init("mailmoodd", d.foreground);
	snap = load_snapshot(d.config_path, NULL, err, sizeof(err));
	if (!snap) {
		log_error("%s", err);
		fprintf(stderr,
			"mailmoodd: cannot start with %s (see the log)\n",
			d.config_path);
		return EX_CONFIG;
	}
	conf_snapshot_replace(snap);
	snap = conf_snapshot_get(); /* main's own, until the parts run */
	c = conf_snapshot_conf(snap);
	log_set_level(c->general.log_level);
	if ((rc = open_sockets(&d, c)) != 0 ||
	    (rc = become_service(&d, c)) != 0) {
		if (d.http_fd >= 0)
			close(d.http_fd);
		if (d.lmtp_fd >= 0)
			close(d.lmtp_fd);
		goto fail;
	}
	block_signals(&d);
	if ((rc = start_parts(&d, snap)) != 0)
		goto fail;
	conf_snapshot_put(snap);
	signal_loop(&d);
	stop(&d);
	return EX_OK;
fail:
	free(d.pid_file);
	conf_snapshot_put(snap);
	conf_snapshot_replace(NULL);
	return rc;
}
