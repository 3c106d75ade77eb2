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
#include "daemon.h"
#include "http.h"
#include "imap.h"
#include "lmtp.h"
#include "log.h"
#include "outbox.h"
#include "rate.h"
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

static void apply_log_level(const struct conf *c)
{
	const char *l = c->general.log_level;

	log_set_level(!strcmp(l, "debug")     ? LOG_LVL_DEBUG
		      : !strcmp(l, "error")   ? LOG_LVL_ERROR
		      : !strcmp(l, "warning") ? LOG_LVL_WARN
					      : LOG_LVL_INFO);
}

/* Config, key and templates as one env; NULL (logged) on any error. */
static struct rate_env *load_env(const char *path,
				 const struct token_key *old_key)
{
	char err[4096];
	struct conf *c = conf_load(path, err, sizeof(err));
	struct token_key key;
	struct rate_env *env;

	if (!c) {
		log_error("%s", err);
		return NULL;
	}
	if (token_key_load(c->general.secret_file, &key, err, sizeof(err)) <
	    0) {
		/* after dropping privileges a root-only key cannot be read
		 * again; the one in memory is still good */
		if (!old_key) {
			log_error("%s", err);
			conf_free(c);
			return NULL;
		}
		log_warn("%s; keeping the key already loaded", err);
		key = *old_key;
	}
	if (rate_env_new(c, &key, &env, err, sizeof(err)) < 0) {
		log_error("%s", err);
		memset(&key, 0, sizeof(key));
		return NULL;
	}
	memset(&key, 0, sizeof(key));
	return env;
}

/* The reply listeners (LMTP, IMAP poller) keep their own copy of the
 * config: they live beside the HTTP env and are swapped on reload. */
static int lmtp_enabled(const struct conf *c)
{
	return c->listener.lmtp && *c->listener.lmtp &&
	       strcmp(c->listener.lmtp, "none") != 0;
}

static struct conf *load_conf(const char *path)
{
	char err[4096];
	struct conf *c = conf_load(path, err, sizeof(err));

	if (!c)
		log_error("%s", err);
	return c;
}

/* NULL when [imap] is off or cannot start (logged): LMTP and HTTP go on
 * without it. */
static struct imap_poller *start_imap(const char *path,
				      const struct token_key *key)
{
	struct conf *c = load_conf(path);
	struct imap_poller *p = NULL;
	char err[512];

	if (!c)
		return NULL;
	if (!imap_enabled(c)) {
		conf_free(c);
		return NULL;
	}
	if (imap_start(&p, c, key, err, sizeof(err)) < 0)
		log_error("%s", err);
	return p;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	const char *config_path = NULL;
	char *pid_file = NULL;
	int foreground = 0, ch, fd, sig, grace;
	char err[4096];
	struct rate_env *env;
	struct http_server *h;
	struct store *st;
	enum store_rc rc;
	struct lmtp_server *lmtp = NULL;
	struct imap_poller *imap = NULL;
	struct outbox_worker *outbox = NULL;
	int lmtp_fd = -1;
	sigset_t set;
	struct timespec tick = {1, 0};
	struct token_key key; /* the key in use, fallback on reload */

	while ((ch = getopt_long(argc, argv, "c:fhV", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			config_path = optarg;
			break;
		case 'f':
			foreground = 1;
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
	config_path = conf_default_path(config_path);
	log_init("mailmoodd", foreground);
	env = load_env(config_path, NULL);
	if (!env) {
		fprintf(stderr,
			"mailmoodd: cannot start with %s (see the log)\n",
			config_path);
		return EX_CONFIG;
	}
	apply_log_level(env->conf);
	/* what needs root comes first: the key (read above), the socket */
	fd = http_listen(env->conf->listener.http, err, sizeof(err));
	if (fd < 0) {
		log_error("%s", err);
		fprintf(stderr, "mailmoodd: %s\n", err);
		rate_env_free(env);
		return EX_UNAVAILABLE;
	}
	if (lmtp_enabled(env->conf)) {
		lmtp_fd = lmtp_listen(env->conf->listener.lmtp,
				      env->conf->listener.lmtp_socket_mode,
				      env->conf->listener.lmtp_socket_owner,
				      err, sizeof(err));
		if (lmtp_fd < 0) {
			log_error("%s", err);
			fprintf(stderr, "mailmoodd: %s\n", err);
			rate_env_free(env);
			return EX_UNAVAILABLE;
		}
	}
	if (!foreground && daemon(0, 0) < 0) {
		log_error("daemon: %s", strerror(errno));
		rate_env_free(env);
		return EX_OSERR;
	}
	if (env->conf->listener.pid_file)
		pid_file = strdup(env->conf->listener.pid_file);
	if (daemon_write_pid_file(pid_file, env->conf->general.user) < 0 ||
	    daemon_drop_privileges(env->conf->general.user) < 0) {
		rate_env_free(env);
		return EX_OSERR;
	}
	/* A broken store path shows up at start; at run time /healthz and
	 * 503 answers cover it. Opened after dropping privileges, so the
	 * files SQLite creates belong to the service user. */
	rc = store_open(env->conf->general.store, &st, err, sizeof(err));
	if (rc == STORE_SCHEMA) {
		/* Waiting would not help: someone must migrate or upgrade. */
		log_error("%s", err);
		rate_env_free(env);
		return EX_CONFIG;
	}
	if (rc != STORE_OK)
		log_warn("%s; answering 503 until it works", err);
	else
		store_close(st);

	/* Blocked before the server starts its threads, which inherit the
	 * mask, so the signals reach only sigtimedwait below. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	grace = (int)env->conf->listener.http_timeout;
	key = env->key;
	log_info("listening on http://%s (config %s, %d threads)",
		 env->conf->listener.http, config_path,
		 env->conf->listener.http_threads);
	if (http_start(&h, fd, env, err, sizeof(err)) < 0) {
		log_error("%s", err);
		return EX_UNAVAILABLE;
	}
	env = NULL; /* http owns it now */
	if (lmtp_fd >= 0) {
		struct conf *lc = load_conf(config_path);
		if (!lc || lmtp_start(&lmtp, lmtp_fd, lc, &key, err,
				      sizeof(err)) < 0) {
			if (lc)
				log_error("%s", err);
			http_stop(h, 0);
			return EX_UNAVAILABLE;
		}
		log_info("listening on lmtp %s", lc->listener.lmtp);
	}
	imap = start_imap(config_path, &key);
	{
		/* the outbox worker: alerts, kudos, digests (outbox.c) */
		struct conf *oc = load_conf(config_path);
		if (!oc ||
		    outbox_start(&outbox, oc, &key, err, sizeof(err)) < 0) {
			if (oc)
				log_error("%s", err);
			imap_stop(imap);
			lmtp_stop(lmtp);
			http_stop(h, 0);
			return EX_UNAVAILABLE;
		}
	}
	for (;;) {
		sig = sigtimedwait(&set, NULL, &tick);
		if (sig < 0) {
			if (errno == EAGAIN)
				http_reap(h);
			continue;
		}
		if (sig == SIGUSR1 || sig == SIGHUP) {
			struct rate_env *ne;
			log_info("reloading %s", config_path);
			ne = load_env(config_path, &key);
			if (!ne) {
				log_error("reload failed; keeping the running "
					  "configuration");
				continue;
			}
			apply_log_level(ne->conf);
			grace = (int)ne->conf->listener.http_timeout;
			key = ne->key;
			if (lmtp) {
				struct conf *lc = load_conf(config_path);
				if (lc)
					lmtp_reload(lmtp, lc, &key);
			}
			/* the poller logs in again with the new settings */
			imap_stop(imap);
			imap = start_imap(config_path, &key);
			{
				struct conf *oc = load_conf(config_path);
				if (oc)
					outbox_reload(outbox, oc, &key);
			}
			if (http_reload(h, ne))
				log_warn("reload: [listener] http and "
					 "http_threads change on restart only");
			continue;
		}
		log_info("signal %d: stopping", sig);
		break;
	}
	imap_stop(imap);
	lmtp_stop(lmtp);
	http_stop(h, grace);
	outbox_stop(outbox);
	if (pid_file) {
		unlink(pid_file);
		free(pid_file);
	}
	memset(&key, 0, sizeof(key));
	log_info("stopped");
	return EX_OK;
}
