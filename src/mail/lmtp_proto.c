/* SPDX-License-Identifier: BSD-2-Clause */
/* LMTP protocol core (RFC 2033 on top of RFC 5321): command parser and
 * session state machine, pure (see lmtp.h). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lmtp_proto.h"

/* ------------------------------------------------------------ parser */

static int word_eq(const char *p, size_t n, const char *w)
{
	return strlen(w) == n && !strncasecmp(p, w, n);
}

/* Reads a path: "<...>" (quoted local parts may hold '>' and blanks),
 * with an optional source route "@a,@b:" that RFC 5321 says to ignore.
 * Postfix always sends the brackets; a bare address is taken too. *pos is
 * moved past the path. 0 ok, -1 syntax, -2 too long. */
static int parse_path(const char *s, size_t n, size_t *pos, char *out)
{
	size_t i = *pos, o = 0;
	int bracket = 0, quoted = 0;

	if (i < n && s[i] == '<') {
		bracket = 1;
		i++;
		if (i < n && s[i] == '@') { /* source route */
			const char *colon = memchr(s + i, ':', n - i);
			const char *gt = memchr(s + i, '>', n - i);
			if (!colon || (gt && gt < colon))
				return -1;
			i = (size_t)(colon - s) + 1;
		}
	}
	for (; i < n; i++) {
		char c = s[i];

		if (quoted) {
			if (c == '\\' && i + 1 < n) {
				if (o + 2 > LMTP_ADDR_MAX)
					return -2;
				out[o++] = c;
				c = s[++i];
			} else if (c == '"') {
				quoted = 0;
			}
		} else if (c == '"') {
			quoted = 1;
		} else if (bracket && c == '>') {
			break;
		} else if (!bracket && c == ' ') {
			break;
		} else if (c == ' ' || c == '<' || c == '>' || c == '\t') {
			return -1;
		}
		if ((unsigned char)c < ' ' || c == 127)
			return -1;
		if (o + 1 > LMTP_ADDR_MAX)
			return -2;
		out[o++] = c;
	}
	if (quoted || (bracket && (i >= n || s[i] != '>')))
		return -1;
	if (bracket)
		i++;
	if (!bracket && o == 0)
		return -1;
	out[o] = '\0';
	*pos = i;
	return 0;
}

/* ESMTP parameters after MAIL FROM (RFC 5321 4.1.2 esmtp-param). */
static int parse_mail_params(const char *s, size_t n, size_t i,
			     struct lmtp_cmd *cmd, const char **reply)
{
	while (i < n) {
		size_t ks, ke, vs, ve;

		while (i < n && s[i] == ' ')
			i++;
		if (i >= n)
			break;
		ks = i;
		while (i < n && s[i] != '=' && s[i] != ' ')
			i++;
		ke = i;
		vs = ve = i;
		if (i < n && s[i] == '=') {
			vs = ++i;
			while (i < n && s[i] != ' ')
				i++;
			ve = i;
		}
		if (word_eq(s + ks, ke - ks, "SIZE")) {
			char num[24];
			char *end;
			unsigned long long v;

			if (ve == vs || ve - vs >= sizeof(num))
				goto bad;
			memcpy(num, s + vs, ve - vs);
			num[ve - vs] = '\0';
			if (!isdigit((unsigned char)num[0]))
				goto bad;
			errno = 0;
			v = strtoull(num, &end, 10);
			if (*end || errno)
				goto bad;
			cmd->has_size = 1;
			cmd->size = v;
		} else if (word_eq(s + ks, ke - ks, "BODY")) {
			if (word_eq(s + vs, ve - vs, "8BITMIME"))
				cmd->body_8bit = 1;
			else if (!word_eq(s + vs, ve - vs, "7BIT"))
				goto bad;
		} else {
			*reply = "555 5.5.4 Unsupported MAIL parameter";
			return -1;
		}
	}
	return 0;
bad:
	*reply = "501 5.5.4 Bad MAIL parameter value";
	return -1;
}

int lmtp_parse_command(const char *line, size_t len, struct lmtp_cmd *cmd,
		       const char **reply)
{
	size_t vl = 0, i;

	memset(cmd, 0, sizeof(*cmd));
	*reply = NULL;
	if (len > LMTP_LINE_MAX) {
		*reply = "500 5.5.2 Line too long";
		return -1;
	}
	for (i = 0; i < len; i++)
		if (line[i] == '\0' || line[i] == '\r' || line[i] == '\n') {
			*reply = "500 5.5.2 Bad character in command";
			return -1;
		}
	while (vl < len && isalpha((unsigned char)line[vl]))
		vl++;
	if (vl < len && line[vl] != ' ') {
		*reply = "500 5.5.2 Syntax error, command unrecognized";
		return -1;
	}
	i = vl;
#define VERB(w) word_eq(line, vl, w)
	if (VERB("LHLO") || VERB("HELO") || VERB("EHLO")) {
		size_t hs;

		cmd->verb = VERB("LHLO") ? LMTP_LHLO : LMTP_HELO;
		while (i < len && line[i] == ' ')
			i++;
		hs = i;
		while (i < len && line[i] != ' ')
			i++;
		if (cmd->verb == LMTP_LHLO && i == hs) {
			*reply = "501 5.5.4 Syntax: LHLO hostname";
			return -1;
		}
		if (i - hs > LMTP_ADDR_MAX)
			i = hs + LMTP_ADDR_MAX;
		memcpy(cmd->arg, line + hs, i - hs);
		cmd->arg[i - hs] = '\0';
		return 0;
	}
	if (VERB("MAIL") || VERB("RCPT")) {
		int mail = VERB("MAIL");
		const char *kw = mail ? " FROM:" : " TO:";
		size_t kl = strlen(kw);
		int rc;

		cmd->verb = mail ? LMTP_MAIL : LMTP_RCPT;
		if (len - i < kl || strncasecmp(line + i, kw, kl)) {
			*reply = mail ? "501 5.5.4 Syntax: MAIL FROM:<address>"
				      : "501 5.5.4 Syntax: RCPT TO:<address>";
			return -1;
		}
		i += kl;
		while (i < len && line[i] == ' ')
			i++; /* "MAIL FROM: <a>" is common enough */
		rc = parse_path(line, len, &i, cmd->arg);
		if (rc == -2) {
			*reply = mail ? "501 5.1.7 Sender address too long"
				      : "501 5.1.3 Recipient address too long";
			return -1;
		}
		if (rc < 0) {
			*reply = mail ? "501 5.1.7 Bad sender address syntax"
				      : "501 5.1.3 Bad recipient address "
					"syntax";
			return -1;
		}
		if (i < len && line[i] != ' ') {
			*reply = "501 5.5.4 Syntax error after the address";
			return -1;
		}
		if (!mail) {
			while (i < len && line[i] == ' ')
				i++;
			if (i < len) {
				*reply = "555 5.5.4 Unsupported RCPT parameter";
				return -1;
			}
			if (!cmd->arg[0]) {
				*reply = "501 5.1.3 Empty recipient address";
				return -1;
			}
			return 0;
		}
		return parse_mail_params(line, len, i, cmd, reply);
	}
	if (VERB("DATA") || VERB("RSET") || VERB("QUIT")) {
		cmd->verb = VERB("DATA")   ? LMTP_DATA
			    : VERB("RSET") ? LMTP_RSET
					   : LMTP_QUIT;
		while (i < len && line[i] == ' ')
			i++;
		if (i < len) {
			*reply = "501 5.5.4 No parameters allowed";
			return -1;
		}
		return 0;
	}
	if (VERB("NOOP")) { /* RFC 5321: NOOP may have a string */
		cmd->verb = LMTP_NOOP;
		return 0;
	}
	if (VERB("VRFY")) {
		cmd->verb = LMTP_VRFY;
		return 0;
	}
	if (VERB("HELP")) {
		cmd->verb = LMTP_HELP;
		return 0;
	}
#undef VERB
	*reply = "500 5.5.2 Syntax error, command unrecognized";
	return -1;
}

/* ------------------------------------------------------------ session */

/* A client that keeps sending garbage is not Postfix. */
#define LMTP_ERRORS_MAX 20

enum lmtp_state {
	ST_START, /* before LHLO */
	ST_READY, /* no transaction */
	ST_MAIL,  /* after MAIL */
	ST_DATA,  /* reading the message */
};

struct lmtp_session {
	struct lmtp_session_cfg cfg;
	enum lmtp_state state;
	struct buf in;	 /* unconsumed input */
	struct buf data; /* the message being received */
	int line_start;	 /* DATA: the next byte starts a line */
	int too_big;	 /* DATA: over max_size, being discarded */
	int skip_line;	 /* command mode: rest of an overlong line */
	int errors;
	char *sender;
	char **rcpts;
	size_t nrcpts;
};

struct lmtp_session *lmtp_session_new(const struct lmtp_session_cfg *cfg)
{
	struct lmtp_session *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->cfg = *cfg;
	if (!s->cfg.hostname)
		s->cfg.hostname = "localhost";
	buf_init(&s->in);
	buf_init(&s->data);
	return s;
}

static void txn_reset(struct lmtp_session *s)
{
	free(s->sender);
	s->sender = NULL;
	for (size_t i = 0; i < s->nrcpts; i++)
		free(s->rcpts[i]);
	free(s->rcpts);
	s->rcpts = NULL;
	s->nrcpts = 0;
	buf_free(&s->data);
	buf_init(&s->data);
	s->too_big = 0;
	if (s->state != ST_START)
		s->state = ST_READY;
}

void lmtp_session_free(struct lmtp_session *s)
{
	if (!s)
		return;
	txn_reset(s);
	buf_free(&s->in);
	free(s);
}

int lmtp_session_busy(const struct lmtp_session *s)
{
	return s->state == ST_MAIL || s->state == ST_DATA;
}

void lmtp_session_greeting(struct lmtp_session *s, struct buf *out)
{
	buf_printf(out, "220 %s LMTP mailmood ready\r\n", s->cfg.hostname);
}

static void reply(struct buf *out, const char *text)
{
	buf_puts(out, text);
	buf_puts(out, "\r\n");
}

/* Postfix shows the text of the answer in its log and bounce: the
 * reason, cleaned to printable ASCII. */
static void reply_why(struct buf *out, const char *prefix, const char *rcpt,
		      const char *text, const char *why)
{
	buf_printf(out, "%s <", prefix);
	for (const char *p = rcpt; *p; p++)
		buf_putc(out, (*p > ' ' && *p < 127) ? *p : '?');
	buf_printf(out, "> %s", text);
	if (why && *why) {
		buf_puts(out, ": ");
		for (const char *p = why; *p && p - why < 200; p++)
			buf_putc(out, (*p >= ' ' && *p < 127) ? *p : '?');
	}
	buf_puts(out, "\r\n");
}

static void end_of_data(struct lmtp_session *s, struct buf *out)
{
	enum ingest_result r = INGEST_TEMPFAIL;
	char why[256] = "";

	if (!s->too_big && s->data.failed) {
		snprintf(why, sizeof(why), "out of memory");
	} else if (!s->too_big) {
		struct lmtp_message m;

		m.sender = s->sender ? s->sender : "";
		m.rcpts = (const char *const *)s->rcpts;
		m.nrcpts = s->nrcpts;
		m.data = s->data.data ? s->data.data : "";
		m.len = s->data.len;
		r = s->cfg.deliver(s->cfg.arg, &m, why, sizeof(why));
	}
	/* RFC 2033 4.2: one answer per successful RCPT, in order */
	for (size_t i = 0; i < s->nrcpts; i++) {
		const char *rc = s->rcpts[i];

		if (s->too_big)
			reply_why(out, "552 5.3.4", rc, "Message too big",
				  NULL);
		else if (r == INGEST_STORED)
			reply_why(out, "250 2.0.0", rc, "Reply stored", why);
		else if (r == INGEST_IGNORED)
			reply_why(out, "250 2.0.0", rc, "Reply ignored", why);
		else if (r == INGEST_BADMAIL)
			reply_why(out, "554 5.6.0", rc, "Not a mail", why);
		else
			reply_why(out, "451 4.3.0", rc,
				  "Cannot store the reply now, try again later",
				  why);
	}
	txn_reset(s);
}

static void data_append(struct lmtp_session *s, const char *p, size_t n)
{
	if (s->too_big)
		return;
	if (s->data.len + n > s->cfg.max_size) {
		s->too_big = 1;
		buf_free(&s->data);
		buf_init(&s->data);
		return;
	}
	buf_append(&s->data, p, n);
}

/* Consumes message bytes from in[*pos..]; returns 1 at the end of data,
 * 0 when more input is needed. */
static int data_input(struct lmtp_session *s, size_t *pos)
{
	const char *b = s->in.data;
	size_t n = s->in.len;

	while (*pos < n) {
		const char *p = b + *pos;
		size_t left = n - *pos;
		const char *nl = memchr(p, '\n', left);

		if (s->line_start && p[0] == '.') {
			/* ".\r\n" or ".\n" ends; ".." is a stuffed dot */
			if (left < 2 || (p[1] == '\r' && left < 3))
				return 0;
			if (p[1] == '\n' || (p[1] == '\r' && p[2] == '\n')) {
				*pos += p[1] == '\n' ? 2 : 3;
				return 1;
			}
			(*pos)++;
			p++;
			left--;
			s->line_start = 0;
			nl = memchr(p, '\n', left);
		}
		if (nl) {
			data_append(s, p, (size_t)(nl - p) + 1);
			*pos += (size_t)(nl - p) + 1;
			s->line_start = 1;
		} else {
			/* the middle of a line: keep it, it cannot end the
			 * message */
			data_append(s, p, left);
			*pos += left;
			s->line_start = 0;
		}
	}
	return 0;
}

static void lhlo_reply(struct lmtp_session *s, struct buf *out)
{
	buf_printf(out,
		   "250-%s\r\n250-PIPELINING\r\n250-SIZE %llu\r\n"
		   "250-8BITMIME\r\n250 ENHANCEDSTATUSCODES\r\n",
		   s->cfg.hostname, (unsigned long long)s->cfg.max_size);
}

/* One command; 0 to close the connection afterwards. */
static int command(struct lmtp_session *s, const char *line, size_t len,
		   struct buf *out)
{
	struct lmtp_cmd cmd;
	const char *err;
	char **r;

	if (lmtp_parse_command(line, len, &cmd, &err) < 0) {
		reply(out, err);
		return ++s->errors < LMTP_ERRORS_MAX;
	}
	switch (cmd.verb) {
	case LMTP_LHLO:
		txn_reset(s);
		s->state = ST_READY;
		lhlo_reply(s, out);
		return 1;
	case LMTP_HELO:
		reply(out, "500 5.5.1 This is LMTP: say LHLO");
		return ++s->errors < LMTP_ERRORS_MAX;
	case LMTP_QUIT:
		reply(out, "221 2.0.0 Bye");
		return 0;
	case LMTP_RSET:
		txn_reset(s);
		reply(out, "250 2.0.0 Ok");
		return 1;
	case LMTP_NOOP:
		reply(out, "250 2.0.0 Ok");
		return 1;
	case LMTP_VRFY:
		reply(out, "252 2.5.2 Cannot VRFY, but will take the mail");
		return 1;
	case LMTP_HELP:
		reply(out, "214 2.0.0 LHLO MAIL RCPT DATA RSET NOOP QUIT");
		return 1;
	case LMTP_MAIL:
		if (s->state == ST_START) {
			reply(out, "503 5.5.1 Send LHLO first");
			return ++s->errors < LMTP_ERRORS_MAX;
		}
		if (s->state != ST_READY) {
			reply(out, "503 5.5.1 Nested MAIL command");
			return ++s->errors < LMTP_ERRORS_MAX;
		}
		if (cmd.has_size && cmd.size > s->cfg.max_size) {
			reply(out, "552 5.3.4 Message size exceeds the limit");
			return 1;
		}
		if (!(s->sender = strdup(cmd.arg))) {
			reply(out, "421 4.3.0 Out of memory");
			return 0;
		}
		s->state = ST_MAIL;
		reply(out, "250 2.1.0 Ok");
		return 1;
	case LMTP_RCPT:
		if (s->state != ST_MAIL) {
			reply(out, "503 5.5.1 Need MAIL first");
			return ++s->errors < LMTP_ERRORS_MAX;
		}
		if (s->nrcpts >= LMTP_RCPT_MAX) {
			reply(out, "452 4.5.3 Too many recipients");
			return 1;
		}
		r = realloc(s->rcpts, (s->nrcpts + 1) * sizeof(*r));
		if (!r || !(r[s->nrcpts] = strdup(cmd.arg))) {
			if (r)
				s->rcpts = r;
			reply(out, "421 4.3.0 Out of memory");
			return 0;
		}
		s->rcpts = r;
		s->nrcpts++;
		reply(out, "250 2.1.5 Ok");
		return 1;
	case LMTP_DATA:
		if (s->state != ST_MAIL) {
			reply(out, "503 5.5.1 Need MAIL first");
			return ++s->errors < LMTP_ERRORS_MAX;
		}
		if (!s->nrcpts) { /* RFC 2033 4.2 */
			reply(out, "503 5.5.1 No valid recipients");
			return 1;
		}
		s->state = ST_DATA;
		s->line_start = 1;
		reply(out, "354 End data with <CR><LF>.<CR><LF>");
		return 1;
	}
	return 1;
}

int lmtp_session_input(struct lmtp_session *s, const char *data, size_t len,
		       struct buf *out)
{
	size_t pos = 0;
	int go_on = 1;

	buf_append(&s->in, data, len);
	if (s->in.failed) {
		reply(out, "421 4.3.0 Out of memory");
		return 0;
	}
	while (go_on && pos < s->in.len) {
		const char *p = s->in.data + pos, *nl;
		size_t left = s->in.len - pos, ll;

		if (s->state == ST_DATA) {
			if (data_input(s, &pos))
				end_of_data(s, out);
			else
				break;
			continue;
		}
		nl = memchr(p, '\n', left);
		if (!nl) {
			if (left > LMTP_LINE_MAX) {
				/* drop what we have; the rest of the line
				 * goes too */
				if (!s->skip_line)
					reply(out, "500 5.5.2 Line too long");
				s->skip_line = 1;
				pos = s->in.len;
				go_on = ++s->errors < LMTP_ERRORS_MAX;
			}
			break;
		}
		ll = (size_t)(nl - p);
		pos += ll + 1;
		if (s->skip_line) {
			s->skip_line = 0;
			continue;
		}
		if (ll > 0 && p[ll - 1] == '\r')
			ll--;
		go_on = command(s, p, ll, out);
	}
	/* keep the unconsumed tail */
	if (pos > 0) {
		memmove(s->in.data, s->in.data + pos, s->in.len - pos);
		s->in.len -= pos;
		s->in.data[s->in.len] = '\0';
	}
	if (out->failed || s->in.failed)
		return 0;
	return go_on;
}

int lmtp_idle_limit_ms(int active)
{
	return (active >= LMTP_BUSY_AT ? LMTP_IDLE_BUSY : LMTP_IDLE_TIMEOUT) *
	       1000;
}
