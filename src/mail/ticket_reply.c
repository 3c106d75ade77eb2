/* SPDX-License-Identifier: BSD-2-Clause */
/* Ratings from replies to the ticket address, read in the milter
 * (ticket_reply.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "buf.h"
#include "codec.h"
#include "ingest.h"
#include "log.h"
#include "rating.h"
#include "reply.h"
#include "reply_sender.h"
#include "ticket_reply.h"

/* A short thank-you may skip the ticket system (divert); anything longer
 * or asking something is for the desk to read. */
#define TICKET_REPLY_SHORT_WORDS 25
/* References of a long thread: the closure mail is among the newest. */
#define TICKET_REPLY_MAX_IDS 16

static const char *header_get(const struct rules_header *h, size_t nh,
			      const char *name)
{
	for (size_t i = 0; i < nh; i++)
		if (!strcasecmp(h[i].name, name))
			return h[i].value;
	return NULL;
}

int ticket_reply_threaded(const struct rules_header *h, size_t nh)
{
	for (size_t i = 0; i < nh; i++)
		if (!strcasecmp(h[i].name, "In-Reply-To") ||
		    !strcasecmp(h[i].name, "References"))
			return 1;
	return 0;
}

int ticket_reply_for_listener(const struct conf *c, const char *rcpt)
{
	const char *ra = c->listener.reply_address, *rat, *at, *plus, *s;
	size_t rlocal, local;

	if (!ra || !*ra || !rcpt || !(rat = strrchr(ra, '@')))
		return 0;
	s = rcpt + (*rcpt == '<');
	if (!(at = strrchr(s, '@')))
		return 0;
	/* the domain: to the end, without the closing '>' */
	if (strncasecmp(at, rat, strlen(rat)) ||
	    (at[strlen(rat)] && strcmp(at + strlen(rat), ">")))
		return 0;
	rlocal = (size_t)(rat - ra);
	plus = memchr(s, '+', (size_t)(at - s));
	local = (size_t)((plus ? plus : at) - s);
	return local == rlocal && !strncasecmp(s, ra, rlocal);
}

/* Each <msg-id> of v, newest (last) first, at most TICKET_REPLY_MAX_IDS. */
static enum store_rc lookup_ids(struct store *st, const char *v, int64_t *id)
{
	const char *ids[TICKET_REPLY_MAX_IDS];
	size_t lens[TICKET_REPLY_MAX_IDS], n = 0;

	for (const char *p = v; (p = strchr(p, '<')) != NULL;) {
		const char *e = strchr(p, '>');
		if (!e)
			break;
		/* keep the newest: a ring over the list */
		if (n == TICKET_REPLY_MAX_IDS) {
			memmove(ids, ids + 1, (n - 1) * sizeof(*ids));
			memmove(lens, lens + 1, (n - 1) * sizeof(*lens));
			n--;
		}
		ids[n] = p;
		lens[n++] = (size_t)(e - p) + 1;
		p = e + 1;
	}
	while (n-- > 0) {
		char one[1000];
		enum store_rc rc;

		if (lens[n] >= sizeof(one))
			continue;
		memcpy(one, ids[n], lens[n]);
		one[lens[n]] = '\0';
		rc = store_survey_by_message_id(st, one, id);
		if (rc != STORE_NOTFOUND)
			return rc;
	}
	return STORE_NOTFOUND;
}

enum store_rc ticket_reply_lookup(struct store *st,
				  const struct rules_header *h, size_t nh,
				  int64_t *id)
{
	static const char *const names[] = {"In-Reply-To", "References"};
	enum store_rc rc = STORE_NOTFOUND;

	for (int k = 0; k < 2 && rc == STORE_NOTFOUND; k++)
		for (size_t i = 0; i < nh && rc == STORE_NOTFOUND; i++)
			if (!strcasecmp(h[i].name, names[k]))
				rc = lookup_ids(st, h[i].value, id);
	return rc;
}

static int b64url(char c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '_';
}

/* A rating link ".../r/TOKEN" or ".../r/TOKEN/LEVEL"; "Ref:" tokens are
 * ingest's. */
static int link_tokens(const char *text, size_t len,
		       int (*fn)(const char *tok, void *arg), void *arg)
{
	const char *p = text, *end = text + len;

	while (p + 3 + TOKEN_LEN <= end) {
		const char *r = memchr(p, '/', (size_t)(end - p));
		const char *t;
		char tok[TOKEN_BUFSZ];
		int rc;

		if (!r || r + 3 + TOKEN_LEN > end)
			break;
		p = r + 1;
		if (r[1] != 'r' || r[2] != '/')
			continue;
		t = r + 3;
		if (t + TOKEN_LEN < end && b64url(t[TOKEN_LEN]))
			continue;
		for (int i = 0; i < TOKEN_LEN; i++)
			if (!b64url(t[i]))
				goto next;
		memcpy(tok, t, TOKEN_LEN);
		tok[TOKEN_LEN] = '\0';
		if ((rc = fn(tok, arg)) != 0)
			return rc;
	next:;
	}
	return 0;
}

int ticket_reply_text_tokens(const char *text, size_t len,
			     int (*fn)(const char *tok, void *arg), void *arg)
{
	int rc = ingest_text_tokens(text, len, fn, arg);

	return rc ? rc : link_tokens(text, len, fn, arg);
}

struct token_ctx {
	const struct token_key *key;
	int64_t id;
};

static int token_found(const char *tok, void *arg)
{
	struct token_ctx *t = arg;
	int64_t id;

	if (token_verify(t->key, tok, TOKEN_LEN, &id) < 0 || id <= 0)
		return 0;
	t->id = id;
	return 1;
}

int64_t ticket_reply_token_survey(const struct token_key *key, const char *msg,
				  size_t len)
{
	struct token_ctx t = {key, 0};

	return ticket_reply_text_tokens(msg, len, token_found, &t) ? t.id : 0;
}

/* The mail as text: CRLF to LF, NUL bytes to spaces (a TEXT column). */
static char *mail_text(const char *msg, size_t len)
{
	struct buf b;

	buf_init(&b);
	buf_reserve(&b, len + 1);
	for (size_t i = 0; i < len; i++) {
		if (msg[i] == '\r' && i + 1 < len && msg[i + 1] == '\n')
			continue;
		buf_putc(&b, msg[i] ? msg[i] : ' ');
	}
	if (!b.data)
		buf_puts(&b, "");
	return buf_steal(&b, NULL);
}

static size_t count_words(const char *s)
{
	size_t n = 0;
	int in = 0;

	for (; *s; s++) {
		int sp = isspace((unsigned char)*s);
		if (!sp && !in)
			n++;
		in = !sp;
	}
	return n;
}

static void clean_copy(char *dst, size_t n, const char *src)
{
	size_t i = 0;

	for (; src && *src && i + 1 < n; src++)
		dst[i++] = (*src > ' ' && *src < 127) ? *src : '?';
	dst[i] = '\0';
}

struct tr_work {
	struct ingest_headers ih;
	int have_ih;
	char *text, *stripped, *from, *body;
	struct survey s;
	struct reply_grade g;
	int have_grade;
};

static void work_free(struct tr_work *w)
{
	if (w->have_ih)
		ingest_headers_free(&w->ih);
	free(w->text);
	free(w->stripped);
	free(w->from);
	free(w->body);
	survey_free(&w->s);
	if (w->have_grade)
		reply_grade_free(&w->g);
}

static enum ticket_reply_action pass(struct ticket_reply_result *r,
				     const char *why)
{
	snprintf(r->reason, sizeof(r->reason), "%s", why);
	return r->action = TICKET_REPLY_PASS;
}

static enum ticket_reply_action fail(struct ticket_reply_result *r,
				     struct store *st, enum store_rc rc)
{
	snprintf(r->reason, sizeof(r->reason), "store: %s",
		 rc == STORE_BUSY ? "busy (locked)" : store_errmsg(st));
	return r->action = TICKET_REPLY_ERROR;
}

/* Finds the survey: the hint from end of headers, the Message-IDs, then a
 * token in the text (decoded), then in the raw mail (an HTML-only reply,
 * an attached original). */
static enum store_rc find_survey(const struct ticket_reply_env *env,
				 const struct ticket_reply_mail *m,
				 struct tr_work *w,
				 struct ticket_reply_result *r, int64_t *id)
{
	struct token_ctx t = {env->key, 0};
	enum store_rc rc;

	*id = m->hint;
	r->matched_by = m->hint_by ? m->hint_by : "in-reply-to";
	if (*id > 0)
		return STORE_OK;
	rc = ticket_reply_lookup(env->store, m->h, m->nh, id);
	if (rc != STORE_NOTFOUND)
		return rc;
	r->matched_by = "ref";
	if (w->text &&
	    ticket_reply_text_tokens(w->text, strlen(w->text), token_found, &t))
		*id = t.id;
	else if (ticket_reply_text_tokens(m->msg, m->len, token_found, &t))
		*id = t.id;
	if (*id > 0)
		return STORE_OK;
	r->matched_by = NULL;
	return STORE_NOTFOUND;
}

enum ticket_reply_action
ticket_reply_process(const struct ticket_reply_env *env,
		     const struct ticket_reply_mail *m,
		     struct ticket_reply_result *r)
{
	const struct conf *c = env->conf;
	const struct conf_team *team = NULL;
	const struct scale *sc;
	const char *auto_why, *from_h;
	struct tr_work w;
	struct store_reply rep;
	struct rating_input ri;
	struct rating_output ro;
	enum store_rc rc;
	int64_t id, dup, now = (int64_t)time(NULL);
	int alert_at, in_tx = 0;

	memset(r, 0, sizeof(*r));
	memset(&w, 0, sizeof(w));
	if (ingest_headers_parse(m->msg, m->len, &w.ih) < 0) {
		work_free(&w);
		return r->action = TICKET_REPLY_NONE;
	}
	w.have_ih = 1;
	if (reply_extract_text(m->msg, m->len, &w.text) < 0)
		w.text = NULL;
	if ((rc = find_survey(env, m, &w, r, &id)) != STORE_OK) {
		work_free(&w);
		if (rc == STORE_NOTFOUND)
			return r->action = TICKET_REPLY_NONE;
		return fail(r, env->store, rc);
	}
	rc = store_survey_get(env->store, id, &w.s);
	if (rc != STORE_OK || w.s.status != SURVEY_SENT) {
		work_free(&w);
		if (rc == STORE_OK || rc == STORE_NOTFOUND)
			return r->action = TICKET_REPLY_NONE;
		return fail(r, env->store, rc);
	}
	r->survey_id = id;
	from_h = header_get(m->h, m->nh, "From");
	w.from = from_h ? rules_first_address(from_h) : NULL;
	clean_copy(r->from, sizeof(r->from),
		   w.from ? w.from
			  : (m->sender && *m->sender ? m->sender : "<>"));

	if (!reply_sender_allowed(c, w.s.requester, from_h, m->sender)) {
		work_free(&w);
		return pass(r, "not the requester");
	}
	if ((auto_why = ingest_auto_reason(&w.ih, m->sender)) != NULL) {
		snprintf(r->reason, sizeof(r->reason), "auto-reply (%s)",
			 auto_why);
		work_free(&w);
		return r->action = TICKET_REPLY_PASS;
	}
	if (now > w.s.sent_at + c->listener.link_ttl) {
		work_free(&w);
		return pass(r, "survey expired");
	}
	if (w.ih.message_id && *w.ih.message_id) {
		rc = store_reply_by_message_id(env->store, w.ih.message_id,
					       &dup);
		if (rc == STORE_OK) {
			snprintf(r->reason, sizeof(r->reason),
				 "already recorded as reply %lld",
				 (long long)dup);
			work_free(&w);
			return r->action = TICKET_REPLY_PASS;
		}
		if (rc != STORE_NOTFOUND) {
			work_free(&w);
			return fail(r, env->store, rc);
		}
	}
	sc = conf_survey_scale(c, w.s.team, w.s.scale, &team);
	if (w.text &&
	    !(w.stripped = reply_strip_quotes(w.text, strlen(w.text))))
		goto oom;
	if (w.stripped) {
		codec_utf8_truncate(w.stripped, c->listener.comment_max);
		if (reply_read_grade(sc, w.stripped, &w.g) < 0)
			goto oom;
		w.have_grade = 1;
	}
	if (!w.have_grade || !w.g.found) {
		work_free(&w);
		return pass(r, "no grade");
	}
	r->level = w.g.value;
	r->level_key = scale_level(sc, w.g.value)->key;
	snprintf(r->header, sizeof(r->header), "%s (survey %lld)", r->level_key,
		 (long long)id);
	alert_at = rating_alert_at(c, team, sc);
	r->action = TICKET_REPLY_RECORDED;
	if (c->milter.ticket_replies == CONF_TICKET_REPLIES_DIVERT &&
	    c->listener.reply_address && *c->listener.reply_address &&
	    w.g.value > alert_at &&
	    count_words(w.g.comment) <= TICKET_REPLY_SHORT_WORDS &&
	    !strchr(w.g.comment, '?'))
		r->action = TICKET_REPLY_DIVERTED;
	if (env->dry_run) {
		work_free(&w);
		return r->action;
	}

	if (!(w.body = mail_text(m->msg, m->len)))
		goto oom;
	/* The rating and its reply row commit before the MTA hears end of
	 * message: a diverted reply is in the store before it leaves. */
	if ((rc = store_begin(env->store)) != STORE_OK)
		goto store_fail;
	in_tx = 1;
	memset(&ri, 0, sizeof(ri));
	ri.survey_id = id;
	ri.now = now;
	ri.level = w.g.value;
	ri.source = RATING_MAIL;
	ri.why = *w.g.comment ? w.g.comment : NULL;
	ri.alert_at = alert_at;
	ri.alert_delay = c->listener.alert_delay;
	ri.conf = c;
	ri.team = team;
	ri.scale = sc;
	if ((rc = rating_record(env->store, &ri, &ro)) != STORE_OK)
		goto store_fail;
	memset(&rep, 0, sizeof(rep));
	rep.received_at = now;
	rep.survey_id = id;
	rep.rating_id = ro.rating_id;
	rep.status = REPLY_RATED;
	rep.matched_by = store_reply_match_parse(r->matched_by);
	rep.sender = (char *)(m->sender ? m->sender : "");
	rep.message_id = w.ih.message_id;
	rep.subject = w.ih.subject;
	rep.body = w.body;
	rep.comment = w.stripped;
	rep.source = REPLY_SOURCE_MILTER;
	if ((rc = store_reply_add(env->store, &rep)) != STORE_OK)
		goto store_fail;
	if ((rc = store_commit(env->store)) != STORE_OK) {
		in_tx = 0;
		goto store_fail;
	}
	r->rating_id = ro.rating_id;
	r->reply_id = rep.id;
	work_free(&w);
	return r->action;

store_fail:
	if (in_tx)
		store_rollback(env->store);
	work_free(&w);
	return fail(r, env->store, rc);
oom:
	work_free(&w);
	snprintf(r->reason, sizeof(r->reason), "out of memory");
	return r->action = TICKET_REPLY_ERROR;
}

void ticket_reply_log(const struct ticket_reply_mail *m,
		      const struct ticket_reply_result *r)
{
	const char *qid = m->qid ? m->qid : "NOQUEUE";

	switch (r->action) {
	case TICKET_REPLY_NONE:
		log_debug("%s: not a ticket reply", qid);
		break;
	case TICKET_REPLY_PASS:
		log_info("%s: ticket reply survey %lld from=%s %s", qid,
			 (long long)r->survey_id, r->from, r->reason);
		break;
	case TICKET_REPLY_RECORDED:
	case TICKET_REPLY_DIVERTED:
		log_info("%s: ticket reply survey %lld from=%s rated %s (%s) "
			 "by %s",
			 qid, (long long)r->survey_id, r->from, r->level_key,
			 r->action == TICKET_REPLY_DIVERTED ? "divert"
							    : "record",
			 r->matched_by);
		break;
	case TICKET_REPLY_ERROR:
		log_error("%s: ticket reply survey %lld: %s", qid,
			  (long long)r->survey_id, r->reason);
		break;
	}
}
