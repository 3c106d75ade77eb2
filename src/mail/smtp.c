/* SPDX-License-Identifier: BSD-2-Clause */
/* Mail out over SMTP with libcurl (smtp.h). */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "conf.h"
#include "smtp.h"

struct smtp_session {
	CURL *curl;
	char *url, *user, *password, *ca_file;
	long timeout;
	long use_ssl;
	/* the message being sent */
	const char *msg;
	size_t len, off;
	/* the relay's last reply line, and its last 4xx/5xx one (curl says
	 * QUIT after a refusal, so the last line is then "221 Bye") */
	char last[512];
	char refusal[512];
	char errbuf[CURL_ERROR_SIZE];
};

static pthread_once_t smtp_once = PTHREAD_ONCE_INIT;

static void smtp_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

void smtp_global_init(void)
{
	pthread_once(&smtp_once, smtp_init_once);
}

const char *smtp_result_name(enum smtp_result r)
{
	switch (r) {
	case SMTP_OK:
		return "ok";
	case SMTP_TEMPORARY:
		return "temporary";
	default:
		return "permanent";
	}
}

/* 4xx, and anything without a reply (refused, reset, timeout, TLS) is
 * worth another try. A 5xx is final, except the ones that say our side
 * is misconfigured (530 authentication required, 534/535/538 AUTH): the
 * admin fixes the password and the alerts still go out. */
enum smtp_result smtp_classify(int curlcode, long reply_code)
{
	if (curlcode == CURLE_OK)
		return SMTP_OK;
	if (curlcode == CURLE_LOGIN_DENIED)
		return SMTP_TEMPORARY;
	if (reply_code >= 500 && reply_code <= 599 && reply_code != 530 &&
	    reply_code != 534 && reply_code != 535 && reply_code != 538)
		return SMTP_PERMANENT;
	return SMTP_TEMPORARY;
}

/* auto is STARTTLS when offered; with a password to send it is TLS or
 * nothing, so a relay (or anyone in between) that drops STARTTLS from its
 * EHLO answer never gets AUTH PLAIN in clear. Only an explicit none
 * sends credentials without TLS. */
long smtp_use_ssl(int tls, int has_user)
{
	if (tls == CONF_SMTP_TLS_NONE)
		return CURLUSESSL_NONE;
	if (tls == CONF_SMTP_TLS_REQUIRED)
		return CURLUSESSL_ALL;
	return has_user ? CURLUSESSL_ALL : CURLUSESSL_TRY;
}

static int read_password(const char *path, char **out, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "re");
	char line[1024];
	size_t n;

	if (!fp) {
		snprintf(err, errlen, "[listener] smtp_password_file %s: %m",
			 path);
		return -1;
	}
	if (!fgets(line, sizeof(line), fp))
		line[0] = '\0';
	fclose(fp);
	n = strcspn(line, "\r\n");
	line[n] = '\0';
	*out = strdup(line);
	memset(line, 0, sizeof(line));
	if (!*out) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

int smtp_open(struct smtp_session **out, const struct smtp_conf *c, char *err,
	      size_t errlen)
{
	struct smtp_session *s = calloc(1, sizeof(*s));

	*out = NULL;
	smtp_global_init();
	if (!s || !(s->url = strdup(c->url)) ||
	    (c->user && !(s->user = strdup(c->user))) ||
	    (c->ca_file && !(s->ca_file = strdup(c->ca_file)))) {
		snprintf(err, errlen, "out of memory");
		smtp_close(s);
		return -1;
	}
	if (c->user && c->password_file &&
	    read_password(c->password_file, &s->password, err, errlen) < 0) {
		smtp_close(s);
		return -1;
	}
	s->timeout = c->timeout > 0 ? c->timeout : 60;
	s->use_ssl = smtp_use_ssl(c->tls, c->user != NULL);
	*out = s;
	return 0;
}

void smtp_close(struct smtp_session *s)
{
	if (!s)
		return;
	if (s->curl)
		curl_easy_cleanup(s->curl); /* QUIT */
	free(s->url);
	free(s->user);
	if (s->password) {
		memset(s->password, 0, strlen(s->password));
		free(s->password);
	}
	free(s->ca_file);
	free(s);
}

static size_t on_read(char *buf, size_t size, size_t nitems, void *arg)
{
	struct smtp_session *s = arg;
	size_t n = size * nitems, left = s->len - s->off;

	if (n > left)
		n = left;
	memcpy(buf, s->msg + s->off, n);
	s->off += n;
	return n;
}

/* libcurl hands every reply line of the relay to the header callback. */
static size_t on_reply(char *buf, size_t size, size_t nitems, void *arg)
{
	struct smtp_session *s = arg;
	size_t n = size * nitems, k = n;

	while (k > 0 && (buf[k - 1] == '\r' || buf[k - 1] == '\n'))
		k--;
	if (k >= sizeof(s->last))
		k = sizeof(s->last) - 1;
	if (k > 0) {
		memcpy(s->last, buf, k);
		s->last[k] = '\0';
		/* the relay's words go into logs: no control characters */
		for (char *p = s->last; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = ' ';
		if (s->last[0] == '4' || s->last[0] == '5')
			memcpy(s->refusal, s->last, sizeof(s->refusal));
	}
	return n;
}

/* Settings that stay for the whole session; a handle is set up on first
 * use and then only gets a new envelope and body per mail. */
static int setup(struct smtp_session *s)
{
	CURL *c = curl_easy_init();

	if (!c)
		return -1;
	curl_easy_setopt(c, CURLOPT_URL, s->url);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
#endif
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L); /* threads */
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, s->timeout);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, s->timeout);
	curl_easy_setopt(c, CURLOPT_USE_SSL, s->use_ssl);
	if (s->ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, s->ca_file);
	if (s->user) {
		curl_easy_setopt(c, CURLOPT_USERNAME, s->user);
		curl_easy_setopt(c, CURLOPT_PASSWORD,
				 s->password ? s->password : "");
	}
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
	curl_easy_setopt(c, CURLOPT_READDATA, s);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_reply);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, s);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, s->errbuf);
	s->curl = c;
	return 0;
}

enum smtp_result smtp_send(struct smtp_session *s, const char *from,
			   const char *const *rcpt, size_t nrcpt,
			   const char *msg, size_t len, char *reply,
			   size_t replylen)
{
	struct curl_slist *to = NULL, *t;
	char addr[512];
	CURLcode rc;
	long code = 0;
	enum smtp_result r;

	if (!s->curl && setup(s) < 0) {
		snprintf(reply, replylen, "curl_easy_init failed");
		return SMTP_TEMPORARY;
	}
	for (size_t i = 0; i < nrcpt; i++) {
		snprintf(addr, sizeof(addr), "<%s>", rcpt[i]);
		if (!(t = curl_slist_append(to, addr))) {
			curl_slist_free_all(to);
			snprintf(reply, replylen, "out of memory");
			return SMTP_TEMPORARY;
		}
		to = t;
	}
	snprintf(addr, sizeof(addr), "<%s>", from);
	curl_easy_setopt(s->curl, CURLOPT_MAIL_FROM, addr);
	curl_easy_setopt(s->curl, CURLOPT_MAIL_RCPT, to);
	curl_easy_setopt(s->curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	s->msg = msg;
	s->len = len;
	s->off = 0;
	s->last[0] = '\0';
	s->refusal[0] = '\0';
	s->errbuf[0] = '\0';
	rc = curl_easy_perform(s->curl);
	curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_setopt(s->curl, CURLOPT_MAIL_RCPT, NULL);
	curl_slist_free_all(to);
	r = smtp_classify(rc, code);
	if (rc == CURLE_OK)
		snprintf(reply, replylen, "%s", s->last[0] ? s->last : "250");
	else if (s->refusal[0])
		snprintf(reply, replylen, "%s", s->refusal);
	else
		snprintf(reply, replylen, "%s",
			 s->errbuf[0] ? s->errbuf : curl_easy_strerror(rc));
	return r;
}
