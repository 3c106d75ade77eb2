/* SPDX-License-Identifier: BSD-2-Clause */
/* The LMTP server of mailmoodd: threads that accept connections, feed an
 * lmtp_session (mail/lmtp_proto.h) and deliver each message through
 * ingest_mail. */
#ifndef MM_LMTP_H
#define MM_LMTP_H

#include "conf.h"
#include "lmtp_proto.h"
#include "token.h"

/* ------------------------------------------------------------ server */

struct lmtp_server;

/* Binds "host:port", "[v6]:port", "*:port" or "unix:PATH" (a stale socket
 * file is replaced; it gets mode, and owner "user[:group]" unless that is
 * NULL). Call before dropping privileges. The descriptor, or -1 with
 * err. */
int lmtp_listen(const char *spec, int mode, const char *owner, char *err,
		size_t errlen);

/* Starts the worker threads on fd; takes conf (freed at stop or on
 * reload) and copies key. 0, or -1 with err (fd closed, conf freed). */
int lmtp_start(struct lmtp_server **out, int fd, struct conf *conf,
	       const struct token_key *key, char *err, size_t errlen);
/* New config and key for the next transactions; takes conf. */
void lmtp_reload(struct lmtp_server *srv, struct conf *conf,
		 const struct token_key *key);
/* Stops accepting, answers idle connections 421, waits for deliveries in
 * progress, frees everything. A unix socket file is removed. */
void lmtp_stop(struct lmtp_server *srv);

#endif
