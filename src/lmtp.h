/* SPDX-License-Identifier: BSD-2-Clause */
/* The LMTP listener (RFC 2033) that Postfix delivers reply mails to.
 *
 * Two layers. The protocol (lmtp_proto.c) is pure: a command parser and a
 * session that turns received bytes into replies and hands each complete
 * message to a callback, with no sockets, no store, no threads, so the
 * unit tests and the fuzzer drive it directly. The server (lmtp.c) is a
 * small pool of threads in mailmoodd that accept connections, feed the
 * session, and deliver each message through ingest_mail.
 *
 * Answers after DATA, one per accepted recipient (RFC 2033 4.2): 250 when
 * the reply was stored or deliberately ignored, 451 4.3.0 when it could not
 * be stored (Postfix keeps it queued and retries: never lost), 552 over
 * the size limit, 554 5.6.0 for bytes that are not a mail. */
#ifndef MM_LMTP_H
#define MM_LMTP_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "conf.h"
#include "ingest.h"
#include "token.h"

/* ------------------------------------------------------------ protocol */

#define LMTP_LINE_MAX 2048 /* command line; RFC 5321 needs 512 */
#define LMTP_ADDR_MAX 512
#define LMTP_RCPT_MAX 1000

enum lmtp_verb {
	LMTP_LHLO,
	LMTP_MAIL,
	LMTP_RCPT,
	LMTP_DATA,
	LMTP_RSET,
	LMTP_NOOP,
	LMTP_QUIT,
	LMTP_VRFY,
	LMTP_HELP,
	LMTP_HELO, /* HELO/EHLO: SMTP, refused on an LMTP port */
};

struct lmtp_cmd {
	enum lmtp_verb verb;
	char arg[LMTP_ADDR_MAX + 1]; /* LHLO host; MAIL/RCPT address without
				      * <> and source route ("" for <>) */
	int has_size;
	uint64_t size; /* MAIL SIZE= */
	int body_8bit; /* MAIL BODY=8BITMIME */
};

/* Parses one command line (without its CRLF). 0 on success; else the
 * reply to send (a static string with code, enhanced code and text,
 * without CRLF). */
int lmtp_parse_command(const char *line, size_t len, struct lmtp_cmd *cmd,
		       const char **reply);

struct lmtp_message {
	const char *sender; /* "" for <> */
	const char *const *rcpts;
	size_t nrcpts;
	const char *data; /* dot-unstuffed, line ends as received */
	size_t len;
};

/* Delivers one message: the result decides every recipient's answer;
 * why (may stay empty) goes into the answer text. */
typedef enum ingest_result (*lmtp_deliver_fn)(void *arg,
					      const struct lmtp_message *m,
					      char *why, size_t whylen);

struct lmtp_session_cfg {
	const char *hostname;
	uint64_t max_size; /* message bytes (SIZE) */
	lmtp_deliver_fn deliver;
	void *arg;
};

struct lmtp_session;
/* NULL when out of memory. cfg is copied; hostname must outlive the
 * session. */
struct lmtp_session *lmtp_session_new(const struct lmtp_session_cfg *cfg);
void lmtp_session_free(struct lmtp_session *s);
/* The 220 greeting. */
void lmtp_session_greeting(struct lmtp_session *s, struct buf *out);
/* Feeds received bytes; the replies they cause are appended to out (send
 * them once all input at hand is consumed: PIPELINING). Returns 1 to go
 * on, 0 when the connection is to be closed after sending out (QUIT, too
 * many errors, out of memory). */
int lmtp_session_input(struct lmtp_session *s, const char *data, size_t len,
		       struct buf *out);
/* 1 while a transaction (MAIL .. end of DATA) is open. */
int lmtp_session_busy(const struct lmtp_session *s);

/* ------------------------------------------------------------ server */

/* Connections served at once: Postfix opens up to
 * lmtp_destination_concurrency_limit (default 20) and keeps them cached,
 * so each connection gets its own thread; more than this get a 421. */
#define LMTP_CONN_MAX 128
/* RFC 5321 4.5.3.2.7: a server waits at least 5 minutes for a command;
 * but idle connections near the limit would lock out every delivery for
 * that long, so from LMTP_BUSY_AT on they get LMTP_IDLE_BUSY (Postfix
 * itself caches an LMTP connection for 2 s). */
#define LMTP_IDLE_TIMEOUT 300
#define LMTP_IDLE_BUSY 5
#define LMTP_BUSY_AT (LMTP_CONN_MAX * 3 / 4)

struct lmtp_server;

/* Binds "host:port", "[v6]:port", "*:port" or "unix:PATH" (a stale socket
 * file is replaced; it gets mode, and owner "user[:group]" unless that is
 * NULL). Call before dropping privileges. The descriptor, or -1 with
 * err. */
int lmtp_listen(const char *spec, int mode, const char *owner, char *err,
		size_t errlen);
/* How long a connection may sit idle with `active` connections open:
 * 5 minutes, but seconds once they near the limit. */
int lmtp_idle_limit_ms(int active);

/* Starts the worker threads on fd (c: the unix socket's path, if any);
 * takes fd. Sessions and messages read the current config snapshot
 * (conf_snapshot.h). 0, or -1 with err (fd closed). */
int lmtp_start(struct lmtp_server **out, int fd, const struct conf *c,
	       char *err, size_t errlen);
/* Stops accepting, answers idle connections 421, waits for deliveries in
 * progress, frees everything. A unix socket file is removed. */
void lmtp_stop(struct lmtp_server *srv);

#endif
