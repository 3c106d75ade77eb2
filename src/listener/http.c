/* SPDX-License-Identifier: BSD-2-Clause */
/* The HTTP listener on libmicrohttpd: limits, routing, security headers
 * (http.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "ack.h"
#include "campaign_page.h"
#include "customer_page.h"
#include "clock.h"
#include "dashboard.h"
#include "hitlog.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "outbox.h"

/* Nothing inline: the page script and styles are files from 'self'. */
#define CSP                                                                    \
	"default-src 'none'; script-src 'self'; style-src 'self'; "            \
	"img-src 'self' data:; connect-src 'self'; form-action 'self'; "       \
	"frame-ancestors 'none'; base-uri 'none'"

/* Header space per connection: libmicrohttpd answers 431 beyond it. It
 * zeroes the whole pool for every request (measured: 6% of a GET's CPU at
 * 32 KiB); 16 KiB still holds any browser's request headers. */
#define HTTP_MEMORY_LIMIT (16 * 1024)

/* ------------------------------------------------------------ proxies */

struct http_proxies {
	struct conf_net *nets;
	size_t n;
};

static int nets_parse(const char *spec, const char *key,
		      struct http_proxies **out, char *err, size_t errlen)
{
	struct http_proxies *p = calloc(1, sizeof(*p));
	char *copy = spec ? strdup(spec) : strdup(""), *save = NULL, *tok;

	if (!p || !copy)
		goto oom;
	for (tok = strtok_r(copy, " \t,", &save); tok;
	     tok = strtok_r(NULL, " \t,", &save)) {
		struct conf_net *nn =
		    realloc(p->nets, (p->n + 1) * sizeof(*p->nets));
		if (!nn)
			goto oom;
		p->nets = nn;
		if (conf_net_parse(tok, &p->nets[p->n]) < 0) {
			snprintf(err, errlen,
				 "[listener] %s: bad address or prefix '%s'",
				 key, tok);
			free(copy);
			http_proxies_free(p);
			return -1;
		}
		p->n++;
	}
	free(copy);
	*out = p;
	return 0;
oom:
	snprintf(err, errlen, "out of memory");
	free(copy);
	http_proxies_free(p);
	return -1;
}

int http_proxies_parse(const char *spec, struct http_proxies **out, char *err,
		       size_t errlen)
{
	return nets_parse(spec, "trusted_proxies", out, err, errlen);
}

void http_proxies_free(struct http_proxies *p)
{
	if (!p)
		return;
	free(p->nets);
	free(p);
}

static int proxies_trust(const struct http_proxies *p, const char *ip)
{
	struct conf_net a;

	if (!p || !p->n || conf_net_parse(ip, &a) < 0)
		return 0;
	for (size_t i = 0; i < p->n; i++) {
		const struct conf_net *n = &p->nets[i];
		int bits = n->prefix, full = bits / 8, rest = bits % 8;
		if (n->family != a.family)
			continue;
		if (memcmp(n->addr, a.addr, (size_t)full))
			continue;
		if (rest && ((n->addr[full] ^ a.addr[full]) &
			     (0xFF << (8 - rest)) & 0xFF))
			continue;
		return 1;
	}
	return 0;
}

void http_client_ip(const struct http_proxies *p, const char *peer,
		    const char *xff, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s", peer);
	if (!xff || !proxies_trust(p, peer))
		return;
	/* walk from the right: each trusted hop vouches for the next one */
	for (const char *end = xff + strlen(xff); end > xff;) {
		const char *start = end;
		char ip[64];
		size_t n;
		struct conf_net tmp;

		while (start > xff && start[-1] != ',')
			start--;
		while (start < end && (*start == ' ' || *start == '\t'))
			start++;
		n = (size_t)(end - start);
		while (n > 0 && (start[n - 1] == ' ' || start[n - 1] == '\t'))
			n--;
		if (n == 0 || n >= sizeof(ip))
			return;
		memcpy(ip, start, n);
		ip[n] = '\0';
		if (conf_net_parse(ip, &tmp) < 0)
			return; /* garbage: keep the last good one */
		snprintf(out, outlen, "%s", ip);
		if (!proxies_trust(p, ip))
			return;
		end = start;
		while (end > xff && end[-1] != ',')
			end--;
		if (end > xff)
			end--; /* the comma */
	}
}

/* ------------------------------------------------------------ state */

/* What a request reads: the HTTP part of a config snapshot
 * (conf_snapshot.h), built once per load. A request holds the snapshot,
 * so a reload never frees it under a running request. */
struct http_env {
	struct conf_snapshot *snap; /* not a reference: lives as long */
	struct rate_env *rate;
	struct http_proxies *proxies;
	struct http_proxies *metrics_allow;
};

struct conn_slot {
	struct conn_slot *prev, *next;
	int fd;
	int64_t since_ms; /* connection start or end of its last request */
	int reaped;
	char peer[64]; /* counted in the client table, "" when not */
};

/* Connections (or, through a trusted proxy, requests) per client address,
 * for per_ip_limit. libmicrohttpd's own limit counts the TCP peer, which
 * behind a reverse proxy is the proxy: one cap for every customer. */
#define CLIENTS_BUCKETS 1024

struct client_count {
	struct client_count *next;
	int n;
	char ip[64];
};

struct http_server {
	struct MHD_Daemon *d;
	pthread_mutex_t lock; /* connection list, deadline */
	struct conn_slot *conns;
	atomic_int active; /* requests in progress */
	int64_t deadline_ms;
	char *http_spec;
	int threads;
	pthread_mutex_t clients_lock;
	struct client_count *clients[CLIENTS_BUCKETS];
};

struct http_req {
	struct buf body;
	int too_large;
	int64_t start_ns;
	char client[64]; /* counted in the client table, "" when not */
};

static size_t clients_bucket(const char *ip)
{
	size_t h = 5381;

	for (; *ip; ip++)
		h = h * 33 + (unsigned char)*ip;
	return h % CLIENTS_BUCKETS;
}

/* One more for ip: 0, or -1 (nothing counted) when ip already has limit
 * (limit 0: no limit, only counted) or no memory is left. */
static int clients_add(struct http_server *h, const char *ip, int limit)
{
	struct client_count **head = &h->clients[clients_bucket(ip)], *c;
	int rc = 0;

	pthread_mutex_lock(&h->clients_lock);
	for (c = *head; c && strcmp(c->ip, ip); c = c->next)
		;
	if (!c && (c = calloc(1, sizeof(*c)))) {
		snprintf(c->ip, sizeof(c->ip), "%s", ip);
		c->next = *head;
		*head = c;
	}
	if (!c || (limit > 0 && c->n >= limit))
		rc = -1;
	else
		c->n++;
	pthread_mutex_unlock(&h->clients_lock);
	return rc;
}

static void clients_del(struct http_server *h, const char *ip)
{
	struct client_count **p = &h->clients[clients_bucket(ip)], *c;

	pthread_mutex_lock(&h->clients_lock);
	while ((c = *p) && strcmp(c->ip, ip))
		p = &c->next;
	if (c && --c->n <= 0) {
		*p = c->next;
		free(c);
	}
	pthread_mutex_unlock(&h->clients_lock);
}

static void clients_free(struct http_server *h)
{
	for (size_t i = 0; i < CLIENTS_BUCKETS; i++)
		while (h->clients[i]) {
			struct client_count *c = h->clients[i];
			h->clients[i] = c->next;
			free(c);
		}
}

/* One store per MHD thread: SQLite connections must not be shared
 * without a lock, and a lock would serialise every page. */
struct thread_store {
	struct store *st;
	char *dsn;
};
static pthread_key_t store_key;
static pthread_once_t store_once = PTHREAD_ONCE_INIT;

static void thread_store_free(void *p)
{
	struct thread_store *ts = p;

	if (ts->st)
		store_close(ts->st);
	free(ts->dsn);
	free(ts);
}

static void store_key_init(void)
{
	pthread_key_create(&store_key, thread_store_free);
}

static struct store *thread_store(const char *dsn)
{
	struct thread_store *ts = pthread_getspecific(store_key);
	char err[512];

	if (!ts) {
		ts = calloc(1, sizeof(*ts));
		if (!ts)
			return NULL;
		pthread_setspecific(store_key, ts);
	}
	if (ts->st && ts->dsn && !strcmp(ts->dsn, dsn))
		return ts->st;
	if (ts->st)
		store_close(ts->st);
	ts->st = NULL;
	free(ts->dsn);
	ts->dsn = NULL;
	if (store_open(dsn, &ts->st, err, sizeof(err)) != STORE_OK) {
		log_error("%s", err);
		ts->st = NULL;
		return NULL;
	}
	ts->dsn = strdup(dsn);
	/* checkpoints go to the hit writer, off the request path */
	hitlog_attach(ts->st);
	return ts->st;
}

/* The current snapshot's HTTP part, with the snapshot held. */
static struct http_env *env_get(void)
{
	struct conf_snapshot *s = conf_snapshot_get();

	return conf_snapshot_part(s, &http_conf_part);
}

static void env_put(struct http_env *e)
{
	conf_snapshot_put(e->snap);
}

static void env_free(void *data)
{
	struct http_env *e = data;

	if (!e)
		return;
	rate_env_free(e->rate);
	http_proxies_free(e->proxies);
	http_proxies_free(e->metrics_allow);
	free(e);
}

static int env_build(struct conf_snapshot *s, void **out, char *err,
		     size_t errlen)
{
	const struct conf *c = conf_snapshot_conf(s);
	struct http_env *e = calloc(1, sizeof(*e));

	if (!e) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	e->snap = s;
	if (rate_env_new(c, conf_snapshot_key(s), &e->rate, err, errlen) < 0 ||
	    http_proxies_parse(c->listener.trusted_proxies, &e->proxies, err,
			       errlen) < 0 ||
	    nets_parse(c->listener.metrics_allow, "metrics_allow",
		       &e->metrics_allow, err, errlen) < 0) {
		env_free(e);
		return -1;
	}
	*out = e;
	return 0;
}

const struct conf_part http_conf_part = {"http", env_build, env_free};

/* ------------------------------------------------------------ answers */

static enum MHD_Result answer(struct MHD_Connection *conn, struct http_req *rq,
			      enum metrics_route route, int status,
			      const char *type, struct buf *body, int cacheable)
{
	struct MHD_Response *resp;
	size_t len = 0;
	char *data = buf_steal(body, &len);
	enum MHD_Result ret;

	if (!data) {
		static const char oom[] = "out of memory\n";
		status = 500;
		type = "text/plain; charset=utf-8";
		resp = MHD_create_response_from_buffer(
		    sizeof(oom) - 1, (void *)oom, MHD_RESPMEM_PERSISTENT);
	} else {
		resp = MHD_create_response_from_buffer(len, data,
						       MHD_RESPMEM_MUST_FREE);
	}
	if (!resp) {
		free(data);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", type);
	MHD_add_response_header(resp, "Content-Security-Policy", CSP);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "X-Robots-Tag", "noindex, nofollow");
	/* the script and stylesheet are the same for everyone; pages and
	 * answers are personal */
	MHD_add_response_header(resp, "Cache-Control",
				cacheable ? "public, max-age=3600"
					  : "no-store");
	if (status == 405)
		MHD_add_response_header(resp, "Allow", "GET, HEAD, POST");
	ret = MHD_queue_response(conn, (unsigned)status, resp);
	MHD_destroy_response(resp);
	metrics_request(route, status,
			(double)(clock_mono_ns() - rq->start_ns) / 1e9);
	return ret;
}

static enum MHD_Result answer_error(struct MHD_Connection *conn,
				    struct http_req *rq,
				    const struct rate_env *env,
				    enum metrics_route route, int status)
{
	struct rate_response rs;

	buf_init(&rs.body);
	rate_error(env, status, &rs);
	return answer(conn, rq, route, rs.status, rs.content_type, &rs.body, 0);
}

static void peer_ip(struct MHD_Connection *conn, char *out, size_t outlen)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	snprintf(out, outlen, "unknown");
	if (!sa)
		return;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
			  out, (socklen_t)outlen);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6,
			  &((const struct sockaddr_in6 *)sa)->sin6_addr, out,
			  (socklen_t)outlen);
}

static const char *header(struct MHD_Connection *conn, const char *name)
{
	return MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);
}

/* ------------------------------------------------------------ dashboard */

static const char *dash_arg(void *ctx, const char *name)
{
	return MHD_lookup_connection_value(ctx, MHD_GET_ARGUMENT_KIND, name);
}

/* /admin/ and its stylesheet (dashboard.c). Its answers need a few more
 * headers than answer() sets (cookies, redirects, downloads); the
 * security headers are the same. */
static enum MHD_Result route_dashboard(struct http_server *h,
				       struct MHD_Connection *conn,
				       struct http_req *rq, const char *url,
				       const char *method)
{
	struct http_env *e = env_get();
	const struct rate_env *env = e->rate;
	struct dashboard_request dr;
	struct dashboard_response ds;
	struct MHD_Response *resp;
	char peer[64], ip[64];
	enum MHD_Result ret;
	size_t len = 0;
	char *data;

	memset(&ds, 0, sizeof(ds));
	buf_init(&ds.body);
	if (rq->too_large) {
		env_put(e);
		return answer_error(conn, rq, env, METRICS_OTHER, 413);
	}
	peer_ip(conn, peer, sizeof(peer));
	http_client_ip(e->proxies, peer, header(conn, "X-Forwarded-For"), ip,
		       sizeof(ip));
	memset(&dr, 0, sizeof(dr));
	dr.method = method;
	/* base_path is the proxy's prefix: links carry it, requests
	 * arrive without it, as for /r/ */
	dr.path = url;
	dr.cookie = header(conn, "Cookie");
	dr.origin = header(conn, "Origin");
	dr.arg = dash_arg;
	dr.arg_ctx = conn;
	dr.body = rq->body.data ? rq->body.data : "";
	dr.body_len = rq->body.len;
	dr.ip = ip;
	dr.now = (int64_t)time(NULL);
	dashboard_handle(env, thread_store(env->conf->general.store), &dr, &ds);
	data = buf_steal(&ds.body, &len);
	resp = data ? MHD_create_response_from_buffer(len, data,
						      MHD_RESPMEM_MUST_FREE)
		    : NULL;
	if (!resp) {
		free(data);
		env_put(e);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", ds.content_type);
	MHD_add_response_header(resp, "Content-Security-Policy", CSP);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "X-Robots-Tag", "noindex, nofollow");
	MHD_add_response_header(resp, "Cache-Control",
				ds.cacheable ? "public, max-age=3600"
					     : "no-store");
	for (int i = 0; i < 2; i++)
		if (ds.set_cookie[i][0])
			MHD_add_response_header(resp, "Set-Cookie",
						ds.set_cookie[i]);
	if (ds.location[0])
		MHD_add_response_header(resp, "Location", ds.location);
	if (ds.disposition[0])
		MHD_add_response_header(resp, "Content-Disposition",
					ds.disposition);
	if (ds.status == 405)
		MHD_add_response_header(resp, "Allow", "GET, HEAD, POST");
	ret = MHD_queue_response(conn, (unsigned)ds.status, resp);
	MHD_destroy_response(resp);
	metrics_request(METRICS_OTHER, ds.status,
			(double)(clock_mono_ns() - rq->start_ns) / 1e9);
	env_put(e);
	return ret;
}

/* The request of a signed link (/r/ and /a/), handed to its handler with
 * the client address (X-Forwarded-For from trusted proxies only). */
static void handle_signed_link(
    struct MHD_Connection *conn, struct http_req *rq, struct http_env *e,
    const char *url, int post, int head,
    void (*handler)(const struct rate_env *, struct store *,
		    const struct rate_request *, struct rate_response *),
    struct rate_response *rs)
{
	const struct rate_env *env = e->rate;
	struct rate_request rr;
	char peer[64], ip[64];
	struct store *st = thread_store(env->conf->general.store);

	if (!st) {
		rate_error(env, 503, rs);
		return;
	}
	peer_ip(conn, peer, sizeof(peer));
	http_client_ip(e->proxies, peer, header(conn, "X-Forwarded-For"), ip,
		       sizeof(ip));
	memset(&rr, 0, sizeof(rr));
	rr.method = post ? RATE_POST : head ? RATE_HEAD : RATE_GET;
	rr.path = url;
	rr.ip = ip;
	rr.user_agent = header(conn, "User-Agent");
	rr.accept_language = header(conn, "Accept-Language");
	rr.origin = header(conn, "Origin");
	rr.accept = header(conn, "Accept");
	rr.body = rq->body.data ? rq->body.data : "";
	rr.body_len = rq->body.len;
	rr.now = (int64_t)time(NULL);
	handler(env, st, &rr, rs);
}

/* The client address (after trusted_proxies) is in metrics_allow. */
static int metrics_allowed(struct MHD_Connection *conn,
			   const struct http_env *e)
{
	char peer[64], ip[64];

	peer_ip(conn, peer, sizeof(peer));
	http_client_ip(e->proxies, peer, header(conn, "X-Forwarded-For"), ip,
		       sizeof(ip));
	return proxies_trust(e->metrics_allow, ip);
}

static enum MHD_Result route(struct http_server *h, struct MHD_Connection *conn,
			     struct http_req *rq, const char *url,
			     const char *method)
{
	struct http_env *e = env_get();
	const struct rate_env *env = e->rate;
	int get = !strcmp(method, "GET"), head = !strcmp(method, "HEAD");
	int post = !strcmp(method, "POST");
	struct rate_response rs;
	enum metrics_route mr = METRICS_OTHER;
	enum MHD_Result ret;
	int cacheable = 0;

	buf_init(&rs.body);
	rs.status = 0;
	rs.content_type = "text/plain; charset=utf-8";
	if (!strncmp(url, "/r/", 3) || !strncmp(url, "/a/", 3)) {
		/* rating (rate.c) or acknowledging a red alert (ack.c): the
		 * same request shape, a different handler */
		int rating = url[1] == 'r';

		if (rating)
			mr = post ? METRICS_RATE_POST : METRICS_RATE_GET;
		if (!get && !head && !post) {
			rate_error(env, 405, &rs);
			goto send;
		}
		if (rq->too_large) {
			rate_error(env, 413, &rs);
			goto send;
		}
		handle_signed_link(conn, rq, e, url, post, head,
				   rating ? rate_handle : ack_handle, &rs);
	} else if (!strncmp(url, "/c/", 3) || !strncmp(url, "/u/", 3)) {
		/* a campaign's answer and unsubscribe links */
		if (!get && !head && !post)
			rate_error(env, 405, &rs);
		else if (rq->too_large)
			rate_error(env, 413, &rs);
		else
			handle_signed_link(conn, rq, e, url, post, head,
					   campaign_page_handle, &rs);
	} else if (!strncmp(url, "/k/", 3)) {
		/* IT rates a customer ("klant"; customer_page.c) */
		if (!get && !head && !post)
			rate_error(env, 405, &rs);
		else if (rq->too_large)
			rate_error(env, 413, &rs);
		else
			handle_signed_link(conn, rq, e, url, post, head,
					   customer_page_handle, &rs);
	} else if (!get && !head) {
		rate_error(env, 405, &rs);
	} else if (!strcmp(url, "/healthz")) {
		struct store *st = thread_store(env->conf->general.store);
		mr = METRICS_HEALTHZ;
		if (st && store_ping(st) == STORE_OK) {
			rs.status = 200;
			buf_puts(&rs.body, "ok\n");
		} else {
			rs.status = 503;
			buf_puts(&rs.body, "store unavailable\n");
		}
	} else if (!strcmp(url, "/metrics") && !metrics_allowed(conn, e)) {
		/* as if there were no such page */
		rate_not_found(env, header(conn, "Accept-Language"), &rs);
	} else if (!strcmp(url, "/metrics")) {
		mr = METRICS_METRICS;
		rs.status = 200;
		rs.content_type = "text/plain; version=0.0.4; charset=utf-8";
		hitlog_sync(); /* hits queued so far are counted */
		metrics_render(&rs.body);
		outbox_metrics_render(&rs.body,
				      thread_store(env->conf->general.store));
	} else {
		int s;
		for (s = 0; s < PAGE_NSTATIC; s++)
			if (!strcmp(url, page_static_path((enum page_static)s)))
				break;
		if (s < PAGE_NSTATIC) {
			mr = METRICS_STATIC;
			rs.status = 200;
			rs.content_type = page_static_type((enum page_static)s);
			buf_append(&rs.body, env->pages->file[s],
				   env->pages->flen[s]);
			cacheable = 1;
		} else {
			rate_not_found(env, header(conn, "Accept-Language"),
				       &rs);
		}
	}
send:
	ret = answer(conn, rq, mr, rs.status, rs.content_type, &rs.body,
		     cacheable);
	buf_free(&rs.body);
	env_put(e);
	return ret;
}

/* A request through a trusted proxy counts for its client (the address
 * X-Forwarded-For names) while it runs: behind a proxy every request
 * has a connection of its own, so this is the client's connection
 * count. -1 when the client is over per_ip_limit. */
static int count_proxied(struct http_server *h, struct MHD_Connection *conn,
			 struct http_req *rq)
{
	struct http_env *e = env_get();
	char peer[64];
	int rc = 0;

	if (!e->proxies->n) { /* no proxy: connections are counted */
		env_put(e);
		return 0;
	}
	peer_ip(conn, peer, sizeof(peer));
	if (proxies_trust(e->proxies, peer)) {
		char ip[64];

		http_client_ip(e->proxies, peer,
			       header(conn, "X-Forwarded-For"), ip, sizeof(ip));
		/* the proxy itself (a health check) is not limited */
		if (strcmp(ip, peer) != 0) {
			rc = clients_add(h, ip,
					 e->rate->conf->listener.per_ip_limit);
			if (rc == 0)
				snprintf(rq->client, sizeof(rq->client), "%s",
					 ip);
			else
				log_info("http: client %s over per_ip_limit "
					 "(%d) behind proxy %s",
					 ip,
					 e->rate->conf->listener.per_ip_limit,
					 peer);
		}
	}
	env_put(e);
	return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	struct http_server *h = cls;
	struct http_req *rq = *con_cls;

	if (!rq) {
		const char *cl;
		rq = calloc(1, sizeof(*rq));
		if (!rq)
			return MHD_NO;
		buf_init(&rq->body);
		rq->start_ns = clock_mono_ns();
		*con_cls = rq;
		atomic_fetch_add(&h->active, 1);
		if (count_proxied(h, conn, rq) < 0) {
			struct http_env *e = env_get();
			enum MHD_Result ret =
			    answer_error(conn, rq, e->rate, METRICS_OTHER, 503);
			env_put(e);
			return ret;
		}
		/* answering before the (empty) body is read would make
		 * libmicrohttpd close the connection: no keep-alive */
		if (strcmp(method, "POST") != 0)
			return MHD_YES;
		/* refuse a declared oversize body before reading it */
		cl = header(conn, "Content-Length");
		if (cl) {
			struct http_env *e = env_get();
			uint64_t max = e->rate->conf->listener.max_request;
			char *end;
			unsigned long long n = strtoull(cl, &end, 10);
			enum MHD_Result ret = MHD_YES;
			if (*end || n > max)
				ret = answer_error(conn, rq, e->rate,
						   METRICS_RATE_POST, 413);
			env_put(e);
			if (*end || n > max)
				return ret;
		}
		return MHD_YES;
	}
	if (*upload_size) {
		struct http_env *e = env_get();
		uint64_t max = e->rate->conf->listener.max_request;
		env_put(e);
		/* chunked bodies have no length up front: drop the excess and
		 * answer 413 at the end */
		if (!rq->too_large && rq->body.len + *upload_size <= max)
			buf_append(&rq->body, upload, *upload_size);
		else
			rq->too_large = 1;
		*upload_size = 0;
		return MHD_YES;
	}
	if (dashboard_match(url))
		return route_dashboard(h, conn, rq, url, method);
	return route(h, conn, rq, url, method);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct http_server *h = cls;
	struct http_req *rq = *con_cls;
	const union MHD_ConnectionInfo *ci;

	if (!rq)
		return;
	if (rq->client[0])
		clients_del(h, rq->client);
	buf_free(&rq->body);
	free(rq);
	*con_cls = NULL;
	atomic_fetch_sub(&h->active, 1);
	/* the next request on this connection gets a fresh deadline */
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	if (ci && ci->socket_context) {
		struct conn_slot *s = ci->socket_context;
		pthread_mutex_lock(&h->lock);
		s->since_ms = clock_mono_ms();
		pthread_mutex_unlock(&h->lock);
	}
}

/* A connection from anyone but a trusted proxy counts for its peer; one
 * over per_ip_limit is shut down at once (libmicrohttpd then closes it,
 * as it would have refused it). A proxy's connections count per request
 * (count_proxied). */
static void count_peer(struct http_server *h, struct MHD_Connection *conn,
		       struct conn_slot *s)
{
	struct http_env *e = env_get();
	char peer[64];
	int limit = e->rate->conf->listener.per_ip_limit;

	peer_ip(conn, peer, sizeof(peer));
	if (proxies_trust(e->proxies, peer)) {
		env_put(e);
		return;
	}
	env_put(e);
	if (clients_add(h, peer, limit) == 0) {
		snprintf(s->peer, sizeof(s->peer), "%s", peer);
		return;
	}
	s->reaped = 1;
	shutdown(s->fd, SHUT_RDWR);
}

/* Slots are unlinked here, before libmicrohttpd closes the descriptor, so
 * http_reap never shuts down a reused descriptor. */
static void on_connection(void *cls, struct MHD_Connection *conn,
			  void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	struct http_server *h = cls;
	struct conn_slot *s;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
		    conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		s = calloc(1, sizeof(*s));
		if (!s || !ci) {
			free(s);
			return;
		}
		s->fd = ci->connect_fd;
		s->since_ms = clock_mono_ms();
		count_peer(h, conn, s);
		pthread_mutex_lock(&h->lock);
		s->next = h->conns;
		if (h->conns)
			h->conns->prev = s;
		h->conns = s;
		pthread_mutex_unlock(&h->lock);
		*socket_context = s;
		return;
	}
	s = *socket_context;
	if (!s)
		return;
	pthread_mutex_lock(&h->lock);
	if (s->prev)
		s->prev->next = s->next;
	else
		h->conns = s->next;
	if (s->next)
		s->next->prev = s->prev;
	pthread_mutex_unlock(&h->lock);
	if (s->peer[0])
		clients_del(h, s->peer);
	free(s);
	*socket_context = NULL;
}

void http_reap(struct http_server *h)
{
	int64_t now = clock_mono_ms();

	pthread_mutex_lock(&h->lock);
	for (struct conn_slot *s = h->conns; s; s = s->next)
		if (!s->reaped && now - s->since_ms > h->deadline_ms) {
			s->reaped = 1;
			shutdown(s->fd, SHUT_RDWR);
			log_info("http: closed a connection slower than %lld "
				 "ms",
				 (long long)h->deadline_ms);
		}
	pthread_mutex_unlock(&h->lock);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];

	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	log_warn("http: %s", line);
}

/* ------------------------------------------------------------ life */

int http_listen(const char *spec, char *err, size_t errlen)
{
	char host[256];
	const char *port, *colon = strrchr(spec, ':');
	struct addrinfo hints, *ai = NULL;
	int fd = -1, one = 1, rc;

	if (!colon || !colon[1]) {
		snprintf(err, errlen, "[listener] http: '%s' is not host:port",
			 spec);
		return -1;
	}
	port = colon + 1;
	if (spec[0] == '[' && colon > spec && colon[-1] == ']')
		snprintf(host, sizeof(host), "%.*s", (int)(colon - spec - 2),
			 spec + 1);
	else
		snprintf(host, sizeof(host), "%.*s", (int)(colon - spec), spec);
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	rc = getaddrinfo(!*host || !strcmp(host, "*") ? NULL : host, port,
			 &hints, &ai);
	if (rc != 0) {
		snprintf(err, errlen, "[listener] http: %s: %s", spec,
			 gai_strerror(rc));
		return -1;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
		    0);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 511) < 0) {
		snprintf(err, errlen, "[listener] http: %s: %s", spec,
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}

int http_start(struct http_server **out, int fd, const struct conf *c,
	       char *err, size_t errlen)
{
	struct http_server *h = calloc(1, sizeof(*h));

	pthread_once(&store_once, store_key_init);
	if (!h) {
		snprintf(err, errlen, "out of memory");
		close(fd);
		return -1;
	}
	pthread_mutex_init(&h->lock, NULL);
	pthread_mutex_init(&h->clients_lock, NULL);
	h->deadline_ms = 2 * c->listener.http_timeout * 1000;
	h->http_spec = strdup(c->listener.http);
	h->threads = c->listener.http_threads;
	if (!h->http_spec) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	hitlog_start(); /* without it, hits are recorded in the requests */
	h->d = MHD_start_daemon(
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
		MHD_USE_ERROR_LOG,
	    0, NULL, NULL, on_request, h, MHD_OPTION_EXTERNAL_LOGGER, mhd_log,
	    NULL, MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_THREAD_POOL_SIZE,
	    (unsigned)c->listener.http_threads, MHD_OPTION_CONNECTION_TIMEOUT,
	    (unsigned)c->listener.http_timeout,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_MEMORY_LIMIT,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
	    MHD_OPTION_NOTIFY_CONNECTION, on_connection, h, MHD_OPTION_END);
	if (!h->d) {
		snprintf(err, errlen, "cannot start the HTTP server on %s",
			 c->listener.http);
		hitlog_stop();
		goto fail;
	}
	*out = h;
	return 0;
fail:
	free(h->http_spec);
	pthread_mutex_destroy(&h->lock);
	pthread_mutex_destroy(&h->clients_lock);
	free(h);
	close(fd);
	return -1;
}

int http_reload(struct http_server *h, const struct conf *c)
{
	pthread_mutex_lock(&h->lock);
	h->deadline_ms = 2 * c->listener.http_timeout * 1000;
	pthread_mutex_unlock(&h->lock);
	return strcmp(c->listener.http, h->http_spec) != 0 ||
	       c->listener.http_threads != h->threads;
}

void http_stop(struct http_server *h, int grace)
{
	MHD_socket lfd;
	int64_t until = clock_mono_ns() + (int64_t)grace * 1000000000;

	if (!h)
		return;
	lfd = MHD_quiesce_daemon(h->d);
	if (lfd != MHD_INVALID_SOCKET)
		close(lfd);
	while (atomic_load(&h->active) > 0 && clock_mono_ns() < until) {
		struct timespec ts = {0, 20 * 1000000};
		nanosleep(&ts, NULL);
	}
	if (atomic_load(&h->active) > 0)
		log_warn("http: stopping with %d request(s) unfinished",
			 atomic_load(&h->active));
	MHD_stop_daemon(h->d);
	hitlog_stop(); /* records every queued hit */
	free(h->http_spec);
	clients_free(h);
	pthread_mutex_destroy(&h->lock);
	pthread_mutex_destroy(&h->clients_lock);
	free(h);
}
