/* SPDX-License-Identifier: BSD-2-Clause */
/* Mail out over SMTP with libcurl (smtp://, smtps://, STARTTLS, AUTH).
 * One session is one curl easy handle: libcurl keeps its connection open
 * between sends, so a batch of alerts costs one TCP/TLS handshake and one
 * EHLO/AUTH, and each further mail only MAIL/RCPT/DATA. */
#ifndef MM_SMTP_H
#define MM_SMTP_H

#include <stddef.h>

enum smtp_result {
	SMTP_OK = 0,	    /* the relay said 250 to the message */
	SMTP_TEMPORARY = 1, /* 4xx, no connection, timeout, TLS/AUTH trouble */
	SMTP_PERMANENT = 2, /* 5xx to the mail itself: retrying cannot help */
};

struct smtp_conf {
	const char *url;	   /* smtp://host[:port] or smtps://... */
	int tls;		   /* enum conf_smtp_tls (conf.h) */
	const char *user;	   /* NULL: no AUTH */
	const char *password_file; /* first line is the password */
	const char *ca_file;	   /* NULL: the system's CAs */
	long timeout;		   /* seconds per mail, connect included */
};

struct smtp_session;

/* Calls curl_global_init once; call before starting threads. */
void smtp_global_init(void);

/* Reads the password file; no connection yet. 0, or -1 with err. */
int smtp_open(struct smtp_session **out, const struct smtp_conf *c, char *err,
	      size_t errlen);
/* Sends msg (CRLF line ends, not dot-stuffed) from `from` to the
 * recipients. reply gets the relay's last answer ("250 2.0.0 Ok: queued
 * as ...") or curl's reason when there was none. */
enum smtp_result smtp_send(struct smtp_session *s, const char *from,
			   const char *const *rcpt, size_t nrcpt,
			   const char *msg, size_t len, char *reply,
			   size_t replylen);
/* QUIT and close. */
void smtp_close(struct smtp_session *s);

/* The classification behind smtp_send, exposed for tests: curl's result
 * code and the relay's last reply code (0: none). */
enum smtp_result smtp_classify(int curlcode, long reply_code);
const char *smtp_result_name(enum smtp_result r);
/* The CURLOPT_USE_SSL value for a smtp_tls setting (enum conf_smtp_tls;
 * 0 is auto): auto with AUTH credentials requires TLS. */
long smtp_use_ssl(int tls, int has_user);

#endif
