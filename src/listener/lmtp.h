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

/* Starts the worker threads on fd (c: the unix socket's path, if any);
 * takes fd. Sessions and messages read the current config snapshot
 * (conf_snapshot.h). 0, or -1 with err (fd closed). */
int lmtp_start(struct lmtp_server **out, int fd, const struct conf *c,
	       char *err, size_t errlen);
/* Stops accepting, answers idle connections 421, waits for deliveries in
 * progress, frees everything. A unix socket file is removed. */
void lmtp_stop(struct lmtp_server *srv);

#endif
