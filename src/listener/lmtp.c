/* SPDX-License-Identifier: BSD-2-Clause */
/* The LMTP server in mailmoodd: an accepting thread and one thread per
 * connection that runs its session (lmtp_proto.c) to the end. A fixed
 * pool would leave Postfix's extra connections waiting in the backlog
 * while its cached ones sit idle (measured: seconds per delivery). Each
 * message goes through ingest_mail on the connection's store handle,
 * which is opened again whenever the database file or its directory
 * changed (see conn_store). */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "conf_snapshot.h"
#include "daemon.h"
#include "lmtp.h"
#include "log.h"
#include "store.h"

#define LMTP_TICK_MS 500

struct lmtp_server {
	int fd;
	/* One writer at a time from this process: SQLite's busy handler
	 * sleeps in steps of up to 100 ms, so workers racing for the write
	 * lock would spend their time asleep rather than queued. */
	pthread_mutex_t write_lock;
	char *unix_path;
	atomic_int stopping;
	char hostname[256];
	pthread_t acceptor;
	int started;
	atomic_int active; /* connection threads running */
};

/* ------------------------------------------------------------ listen */

static int socket_owner(const char *path, const char *owner, char *err,
			size_t errlen)
{
	uid_t uid;
	gid_t gid;

	if (!owner || !*owner)
		return 0;
	if (daemon_lookup_user(owner, &uid, &gid) < 0) {
		snprintf(err, errlen,
			 "[listener] lmtp_socket_owner: unknown user or group "
			 "'%s'",
			 owner);
		return -1;
	}
	if (chown(path, uid, gid) < 0) {
		snprintf(err, errlen,
			 "[listener] lmtp_socket_owner: chown %s: %s", path,
			 strerror(errno));
		return -1;
	}
	return 0;
}

int lmtp_listen(const char *spec, int mode, const char *owner, char *err,
		size_t errlen)
{
	struct addrinfo hints, *res = NULL, *ai;
	char host[256];
	const char *colon, *port;
	int fd = -1, one = 1, rc;

	if (!spec || !*spec) {
		snprintf(err, errlen, "[listener] lmtp: empty");
		return -1;
	}
	if (!strncmp(spec, "unix:", 5)) {
		struct sockaddr_un sun;
		const char *path = spec + 5;

		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		if (!*path || strlen(path) >= sizeof(sun.sun_path)) {
			snprintf(err, errlen,
				 "[listener] lmtp: bad socket "
				 "path '%s'",
				 path);
			return -1;
		}
		strcpy(sun.sun_path, path);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			goto sys_fail;
		/* a socket file left by a crash: nobody listens on it */
		unlink(path);
		if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
		    chmod(path, (mode_t)mode) < 0)
			goto sys_fail;
		if (socket_owner(path, owner, err, errlen) < 0) {
			close(fd);
			unlink(path);
			return -1;
		}
		if (listen(fd, 64) < 0)
			goto sys_fail;
		return fd;
	}
	if (spec[0] == '[') {
		const char *rb = strchr(spec, ']');
		if (!rb || rb[1] != ':')
			goto syntax;
		snprintf(host, sizeof(host), "%.*s", (int)(rb - spec - 1),
			 spec + 1);
		port = rb + 2;
	} else {
		colon = strrchr(spec, ':');
		if (!colon)
			goto syntax;
		snprintf(host, sizeof(host), "%.*s", (int)(colon - spec), spec);
		port = colon + 1;
	}
	if (!*port)
		goto syntax;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	rc = getaddrinfo(strcmp(host, "*") && *host ? host : NULL, port, &hints,
			 &res);
	if (rc != 0) {
		snprintf(err, errlen, "[listener] lmtp: %s: %s", spec,
			 gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
			    ai->ai_protocol);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, 64) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		snprintf(err, errlen,
			 "[listener] lmtp: cannot listen on %s: %s", spec,
			 strerror(errno));
		return -1;
	}
	return fd;
syntax:
	snprintf(err, errlen,
		 "[listener] lmtp: '%s' is not host:port or unix:PATH", spec);
	return -1;
sys_fail:
	snprintf(err, errlen, "[listener] lmtp: %s: %s", spec, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

/* ------------------------------------------------------------ delivery */

/* A connection's store, kept across its messages while the database
 * file and its directory stay as they were: a changed inode or mode (the
 * admin made it read-only, moved it, restored a backup) or a failed
 * delivery opens it again, so what the admin did counts at once. */
struct conn_store {
	struct lmtp_server *srv;
	struct store *st;
	char *dsn;
	struct stat db, dir;
	int have_db, have_dir;
};

static const char *dsn_path(const char *dsn)
{
	if (!strncmp(dsn, "sqlite://", 9))
		return dsn + 9;
	if (!strncmp(dsn, "sqlite:", 7))
		return dsn + 7;
	return dsn;
}

static void snapshot(const char *dsn, struct stat *db, int *have_db,
		     struct stat *dir, int *have_dir)
{
	const char *path = dsn_path(dsn), *slash = strrchr(path, '/');
	char d[4096];

	*have_db = stat(path, db) == 0;
	snprintf(d, sizeof(d), "%.*s", slash ? (int)(slash - path) + 1 : 1,
		 slash ? path : ".");
	*have_dir = stat(d, dir) == 0;
}

static int same(const struct stat *a, int ha, const struct stat *b, int hb)
{
	if (ha != hb)
		return 0;
	return !ha || (a->st_ino == b->st_ino && a->st_dev == b->st_dev &&
		       a->st_mode == b->st_mode && a->st_uid == b->st_uid);
}

static void conn_store_close(struct conn_store *cs)
{
	store_close(cs->st);
	cs->st = NULL;
	free(cs->dsn);
	cs->dsn = NULL;
}

static struct store *conn_store_get(struct conn_store *cs, const char *dsn)
{
	struct stat db, dir;
	int hdb, hdir;
	char err[512];

	snapshot(dsn, &db, &hdb, &dir, &hdir);
	if (cs->st &&
	    (strcmp(cs->dsn, dsn) || !same(&db, hdb, &cs->db, cs->have_db) ||
	     !same(&dir, hdir, &cs->dir, cs->have_dir)))
		conn_store_close(cs);
	if (cs->st)
		return cs->st;
	if (store_open(dsn, &cs->st, err, sizeof(err)) != STORE_OK) {
		log_error("lmtp: %s", err);
		cs->st = NULL;
		return NULL;
	}
	cs->dsn = strdup(dsn);
	if (!cs->dsn) {
		conn_store_close(cs);
		return NULL;
	}
	/* after the open: SQLite may have created the file */
	snapshot(dsn, &cs->db, &cs->have_db, &cs->dir, &cs->have_dir);
	return cs->st;
}

static enum ingest_result deliver(void *arg, const struct lmtp_message *m,
				  char *why, size_t whylen)
{
	struct conn_store *cs = arg;
	struct lmtp_server *srv = cs->srv;
	/* one config for the whole message, the one current at its end */
	struct conf_snapshot *snap = conf_snapshot_get();
	const struct conf *c = conf_snapshot_conf(snap);
	struct ingest_env ie = {c, conf_snapshot_key(snap), &srv->write_lock};
	struct ingest_envelope ev;
	struct ingest_outcome o;
	enum ingest_result r;

	memset(&ev, 0, sizeof(ev));
	ev.source = REPLY_SOURCE_LMTP;
	ev.sender = m->sender;
	ev.rcpts = m->rcpts;
	ev.nrcpts = m->nrcpts;
	ev.now = (int64_t)time(NULL);
	r = ingest_mail(&ie, conn_store_get(cs, c->general.store), m->data,
			m->len, &ev, &o);
	if (r == INGEST_TEMPFAIL)
		conn_store_close(cs); /* start afresh next time */
	conf_snapshot_put(snap);
	if (o.status >= 0 && o.reply_id)
		snprintf(why, whylen, "%s as reply %lld",
			 store_reply_status_name(o.status),
			 (long long)o.reply_id);
	if ((o.status < 0 || r == INGEST_IGNORED) && o.reason[0])
		snprintf(why + strlen(why), whylen - strlen(why), "%s%s",
			 *why ? ", " : "", o.reason);
	return r;
}

/* ------------------------------------------------------------ threads */

static int send_all(int fd, struct buf *out)
{
	size_t off = 0;

	while (off < out->len) {
		ssize_t n =
		    send(fd, out->data + off, out->len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		off += (size_t)n;
	}
	buf_reset(out);
	return 0;
}

static void serve(struct lmtp_server *srv, int fd)
{
	struct lmtp_session_cfg cfg;
	struct lmtp_session *s;
	struct conn_store cs = {srv, NULL, NULL, {0}, {0}, 0, 0};
	struct conf_snapshot *snap = conf_snapshot_get();
	struct buf out;
	char in[65536];
	int idle_ms = 0, go_on = 1;

	memset(&cfg, 0, sizeof(cfg));
	cfg.hostname = srv->hostname;
	cfg.max_size = conf_snapshot_conf(snap)->listener.max_reply_size;
	cfg.deliver = deliver;
	cfg.arg = &cs;
	conf_snapshot_put(snap);
	buf_init(&out);
	if (!(s = lmtp_session_new(&cfg))) {
		log_error("lmtp: out of memory");
		close(fd);
		return;
	}
	lmtp_session_greeting(s, &out);
	if (send_all(fd, &out) < 0)
		go_on = 0;
	while (go_on) {
		struct pollfd p = {fd, POLLIN, 0};
		int rc = poll(&p, 1, LMTP_TICK_MS);
		ssize_t n;

		if (rc < 0 && errno == EINTR)
			continue;
		if (rc == 0) {
			idle_ms += LMTP_TICK_MS;
			if (atomic_load(&srv->stopping) ||
			    idle_ms >=
				lmtp_idle_limit_ms(atomic_load(&srv->active))) {
				buf_puts(&out,
					 atomic_load(&srv->stopping)
					     ? "421 4.3.2 Shutting down\r\n"
					     : "421 4.4.2 Idle too long\r\n");
				send_all(fd, &out);
				break;
			}
			continue;
		}
		idle_ms = 0;
		n = recv(fd, in, sizeof(in), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		go_on = lmtp_session_input(s, in, (size_t)n, &out);
		if (send_all(fd, &out) < 0)
			break;
	}
	if (lmtp_session_busy(s))
		log_info("lmtp: connection closed in the middle of a "
			 "transaction (the client will retry)");
	lmtp_session_free(s);
	conn_store_close(&cs);
	buf_free(&out);
	close(fd);
}

struct lmtp_conn {
	struct lmtp_server *srv;
	int fd;
};

static void *conn_thread(void *arg)
{
	struct lmtp_conn *c = arg;
	struct lmtp_server *srv = c->srv;

	serve(srv, c->fd);
	free(c);
	atomic_fetch_sub(&srv->active, 1);
	return NULL;
}

/* Runs the connection in its own detached thread; 421 when too many. */
static void dispatch(struct lmtp_server *srv, int fd)
{
	static const char busy[] = "421 4.3.2 Too many connections\r\n";
	struct lmtp_conn *c = malloc(sizeof(*c));
	pthread_attr_t at;
	pthread_t t;
	int ok = 0;

	if (c && atomic_fetch_add(&srv->active, 1) < LMTP_CONN_MAX) {
		c->srv = srv;
		c->fd = fd;
		pthread_attr_init(&at);
		pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
		ok = pthread_create(&t, &at, conn_thread, c) == 0;
		pthread_attr_destroy(&at);
	} else if (c) {
		log_warn("lmtp: %d connections, refusing one", LMTP_CONN_MAX);
	}
	if (!ok) {
		if (c)
			atomic_fetch_sub(&srv->active, 1);
		if (send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL) < 0)
			log_debug("lmtp: 421 not sent: %s", strerror(errno));
		close(fd);
		free(c);
	}
}

static void *acceptor(void *arg)
{
	struct lmtp_server *srv = arg;

	while (!atomic_load(&srv->stopping)) {
		struct pollfd p = {srv->fd, POLLIN, 0};
		int fd, one = 1;

		if (poll(&p, 1, LMTP_TICK_MS) <= 0)
			continue;
		/* non-blocking listen socket: another worker may have
		 * taken the connection */
		fd = accept4(srv->fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ECONNABORTED) {
				log_error("lmtp: accept: %s", strerror(errno));
				/* EMFILE and friends: do not spin */
				usleep(100000);
			}
			continue;
		}
		/* TCP_NODELAY: answers are small and the client waits for
		 * each (the 40 ms delayed-ACK stall of doc/ARCHITECTURE.md) */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		dispatch(srv, fd);
	}
	return NULL;
}

int lmtp_start(struct lmtp_server **out, int fd, const struct conf *c,
	       char *err, size_t errlen)
{
	struct lmtp_server *srv = calloc(1, sizeof(*srv));
	int fl;

	*out = NULL;
	if (!srv) {
		snprintf(err, errlen, "lmtp: out of memory");
		close(fd);
		return -1;
	}
	srv->fd = fd;
	if (!strncmp(c->listener.lmtp, "unix:", 5))
		srv->unix_path = strdup(c->listener.lmtp + 5);
	pthread_mutex_init(&srv->write_lock, NULL);
	atomic_init(&srv->stopping, 0);
	if (gethostname(srv->hostname, sizeof(srv->hostname) - 1) < 0 ||
	    !srv->hostname[0])
		snprintf(srv->hostname, sizeof(srv->hostname), "localhost");
	fl = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	atomic_init(&srv->active, 0);
	srv->started = pthread_create(&srv->acceptor, NULL, acceptor, srv) == 0;
	if (!srv->started) {
		snprintf(err, errlen, "lmtp: cannot start threads");
		lmtp_stop(srv);
		return -1;
	}
	*out = srv;
	return 0;
}

void lmtp_stop(struct lmtp_server *srv)
{
	if (!srv)
		return;
	atomic_store(&srv->stopping, 1);
	if (srv->started)
		pthread_join(srv->acceptor, NULL);
	/* connection threads see the flag within a tick: an idle one says
	 * 421, one in a delivery finishes it first */
	while (atomic_load(&srv->active) > 0)
		usleep(50000);
	close(srv->fd);
	if (srv->unix_path) {
		unlink(srv->unix_path);
		free(srv->unix_path);
	}
	pthread_mutex_destroy(&srv->write_lock);
	free(srv);
}
