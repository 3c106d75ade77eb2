/* SPDX-License-Identifier: BSD-2-Clause */
/* The HTTP listener (libmicrohttpd, internal epoll thread pool): limits,
 * routing, security headers; the rating logic is in rate.c.
 *   GET|HEAD /r/TOKEN/LEVEL, POST /r/TOKEN    rate.c
 *   GET /static/rate.js, /static/rate.css     from the template dir
 *   GET /healthz                              200 when the store answers
 *   GET /metrics                              Prometheus text
 * Every response carries the security headers (CSP without inline code,
 * nosniff, no-referrer, frame-ancestors 'none', Cache-Control no-store). */
#ifndef MM_HTTP_H
#define MM_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "conf_snapshot.h"
#include "rate.h"

struct http_server;

/* Binds "host:port", "[v6]:port" or "*:port" (before dropping
 * privileges). The descriptor, or -1 with err. */
int http_listen(const char *spec, char *err, size_t errlen);

/* The HTTP part of a config snapshot (conf_snapshot.h): the pages and
 * address lists every request reads. A daemon that serves HTTP builds its
 * snapshots with it. */
extern const struct conf_part http_conf_part;

/* Starts serving on fd with the limits of c->listener; takes fd. Requests
 * read the current config snapshot, which must have http_conf_part.
 * 0, or -1 with err (fd then closed). */
int http_start(struct http_server **out, int fd, const struct conf *c,
	       char *err, size_t errlen);
/* Takes the limits of a new config (reload); requests already take the
 * new snapshot. Listener settings that need a new socket or thread pool
 * (http, http_threads) only change on restart; returns 1 when such a
 * setting differs, else 0. */
int http_reload(struct http_server *h, const struct conf *c);
/* Closes connections whose request has taken longer than twice
 * http_timeout: libmicrohttpd's timeout only counts idle time, so a
 * client trickling a byte now and then (slowloris) would never time out.
 * Call about once a second. */
void http_reap(struct http_server *h);
/* Stops accepting, lets requests in flight finish (at most grace
 * seconds), then stops the threads and frees everything. */
void http_stop(struct http_server *h, int grace);

/* Trusted proxies: "10.0.0.0/8, 127.0.0.1 ::1". Exposed for tests. */
struct http_proxies;
int http_proxies_parse(const char *spec, struct http_proxies **out, char *err,
		       size_t errlen);
void http_proxies_free(struct http_proxies *p);
/* The client address: peer, or from X-Forwarded-For when peer is a
 * trusted proxy (the rightmost address that is not itself trusted).
 * out must hold 64 bytes. */
void http_client_ip(const struct http_proxies *p, const char *peer,
		    const char *xff, char *out, size_t outlen);

#endif
