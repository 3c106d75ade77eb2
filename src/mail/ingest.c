/* SPDX-License-Identifier: BSD-2-Clause */
/* One reply mail, start to end: match, filter, read, rate, keep (ingest.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "campaign_reply.h"
#include "codec.h"
#include "ingest.h"
#include "outbox.h"
#include "log.h"
#include "metrics.h"
#include "rating.h"
#include "reply.h"
#include "reply_sender.h"
#include "rules.h"
#include "scale.h"

/* ------------------------------------------------------------ headers */

static size_t line_end(const char *s, size_t off, size_t len)
{
	const char *nl = memchr(s + off, '\n', len - off);

	return nl ? (size_t)(nl - s) + 1 : len;
}

static int is_blank_line(const char *s, size_t off, size_t len)
{
	return s[off] == '\n' ||
	       (s[off] == '\r' && off + 1 < len && s[off + 1] == '\n');
}

/* RFC 5322 field name: printable US-ASCII except ':' (and no space). */
static size_t field_name_len(const char *s, size_t off, size_t end)
{
	size_t i = off;

	while (i < end && s[i] > ' ' && s[i] < 127 && s[i] != ':')
		i++;
	return i < end && s[i] == ':' ? i - off : 0;
}

/* The value with folding undone: CR/LF dropped, leading blanks gone. */
static char *unfold(const char *s, size_t vs, size_t ve)
{
	struct buf b;

	while (vs < ve && (s[vs] == ' ' || s[vs] == '\t'))
		vs++;
	buf_init(&b);
	for (size_t i = vs; i < ve; i++)
		if (s[i] != '\r' && s[i] != '\n')
			buf_putc(&b, s[i] ? s[i] : ' ');
	while (b.len > 0 &&
	       (b.data[b.len - 1] == ' ' || b.data[b.len - 1] == '\t'))
		b.data[--b.len] = '\0';
	if (!b.data)
		buf_puts(&b, "");
	return buf_steal(&b, NULL);
}

static void set_once(char **field, char *v)
{
	if (*field)
		free(v); /* the first one counts */
	else
		*field = v;
}

/* Adds every address of an address-list value ("A <a@b>, c@d"). */
static int add_addrs(struct ingest_headers *h, const char *v)
{
	const char *p = v;

	while (*p) {
		const char *s, *e;
		char **a;

		/* an address is the text around an '@' up to a delimiter */
		const char *at = strchr(p, '@');
		if (!at)
			break;
		s = at;
		while (s > p && !strchr(" \t<>,;:\"()", s[-1]))
			s--;
		e = at;
		while (*e && !strchr(" \t<>,;\"()", *e))
			e++;
		if (e > s + 1) {
			a = realloc(h->addrs, (h->naddrs + 1) * sizeof(*a));
			if (!a)
				return -1;
			h->addrs = a;
			if (!(a[h->naddrs] = strndup(s, (size_t)(e - s))))
				return -1;
			h->naddrs++;
		}
		p = *e ? e + 1 : e;
	}
	return 0;
}

/* "from x by y (Postfix) with ESMTP id 4Xq2; date" -> "4Xq2" */
static char *received_id(const char *v)
{
	const char *p = v;

	while ((p = strstr(p, " id ")) != NULL) {
		const char *s = p + 4, *e = s;
		while (*e && (isalnum((unsigned char)*e) || *e == '.' ||
			      *e == '-' || *e == '_'))
			e++;
		if (e > s && e - s < 60)
			return strndup(s, (size_t)(e - s));
		p = s;
	}
	return NULL;
}

int ingest_headers_parse(const char *msg, size_t len, struct ingest_headers *h)
{
	size_t off = 0;
	int fields = 0, received = 0;

	memset(h, 0, sizeof(*h));
	/* local(8) delivering to a command, and mbox files, start with an
	 * envelope "From sender date" line */
	if (len >= 5 && !memcmp(msg, "From ", 5))
		off = line_end(msg, 0, len);
	while (off < len) {
		size_t end = line_end(msg, off, len), vend = end, nl;
		const char *name;
		char *v;

		if (is_blank_line(msg, off, len)) {
			h->body_off = end;
			return fields ? 0 : -1;
		}
		nl = field_name_len(msg, off, end);
		if (nl == 0) {
			/* not a field: a mail without a blank line after
			 * its header (seen from broken scripts); the rest
			 * is body */
			if (!fields)
				return -1;
			h->body_off = off;
			return 0;
		}
		while (vend < len && (msg[vend] == ' ' || msg[vend] == '\t'))
			vend = line_end(msg, vend, len);
		if (memchr(msg + off, '\0', vend - off))
			return -1;
		fields++;
		name = msg + off;
		v = unfold(msg, off + nl + 1, vend);
		if (!v)
			return -1;
#define IS(n) (nl == sizeof(n) - 1 && !strncasecmp(name, n, nl))
		if (IS("Message-ID"))
			set_once(&h->message_id, v);
		else if (IS("In-Reply-To"))
			set_once(&h->in_reply_to, v);
		else if (IS("References"))
			set_once(&h->references, v);
		else if (IS("From"))
			set_once(&h->from, v);
		else if (IS("Subject")) {
			char *d = rules_decode_header(v);
			free(v);
			set_once(&h->subject, d ? d : strdup(""));
		} else if (IS("Auto-Submitted"))
			set_once(&h->auto_submitted, v);
		else if (IS("X-Autoreply"))
			set_once(&h->x_autoreply, v);
		else if (IS("X-Autorespond"))
			set_once(&h->x_autorespond, v);
		else if (IS("Precedence"))
			set_once(&h->precedence, v);
		else if (IS("Return-Path"))
			set_once(&h->return_path, v);
		else if (IS("Received")) {
			if (!received++)
				h->queue_id = received_id(v);
			free(v);
		} else if (IS("To") || IS("Cc") || IS("Delivered-To") ||
			   IS("X-Original-To")) {
			int rc = add_addrs(h, v);
			free(v);
			if (rc < 0)
				return -1;
		} else
			free(v);
#undef IS
		off = vend;
	}
	h->body_off = len;
	return fields ? 0 : -1;
}

void ingest_headers_free(struct ingest_headers *h)
{
	free(h->message_id);
	free(h->in_reply_to);
	free(h->references);
	free(h->from);
	free(h->subject);
	free(h->auto_submitted);
	free(h->x_autoreply);
	free(h->x_autorespond);
	free(h->precedence);
	free(h->return_path);
	free(h->queue_id);
	for (size_t i = 0; i < h->naddrs; i++)
		free(h->addrs[i]);
	free(h->addrs);
	memset(h, 0, sizeof(*h));
}

/* ------------------------------------------------------------ auto */

static int empty_path(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return !*p || !strcmp(p, "<>") || !strncmp(p, "<> ", 3);
}

static int word_is(const char *v, const char *w)
{
	size_t n = strlen(w);

	while (*v == ' ' || *v == '\t')
		v++;
	return !strncasecmp(v, w, n) && (!v[n] || v[n] == ' ' || v[n] == ';' ||
					 v[n] == '\t' || v[n] == '(');
}

/* Subjects of out-of-office and automatic replies (Outlook/Exchange,
 * Gmail, Zimbra, Dovecot's vacation) in English and Dutch. */
static const char *const auto_subjects[] = {
    "out of office",	    "out of the office",
    "automatic reply",	    "auto reply",
    "auto-reply",	    "autoreply",
    "automatisch antwoord", "afwezig",
    "niet aanwezig",	    "afwezigheidsbericht",
    "automatische reactie", "automatisch bericht",
};

const char *ingest_auto_reason(const struct ingest_headers *h,
			       const char *sender)
{
	/* RFC 3834: anything but "no" is an automatic message */
	if (h->auto_submitted && !word_is(h->auto_submitted, "no"))
		return "Auto-Submitted";
	if (h->x_autoreply)
		return "X-Autoreply";
	if (h->x_autorespond)
		return "X-Autorespond";
	if (h->precedence &&
	    (word_is(h->precedence, "bulk") || word_is(h->precedence, "junk") ||
	     word_is(h->precedence, "auto_reply") ||
	     word_is(h->precedence, "list")))
		return "Precedence";
	/* RFC 3464 and RFC 3834: bounces and auto-replies go to <> */
	if (sender ? empty_path(sender)
		   : h->return_path && empty_path(h->return_path))
		return "empty return path";
	if (h->subject)
		for (size_t i = 0;
		     i < sizeof(auto_subjects) / sizeof(auto_subjects[0]); i++)
			if (strcasestr(h->subject, auto_subjects[i]))
				return "out-of-office subject";
	return NULL;
}

/* ------------------------------------------------------------ tokens */

static int b64url(char c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '_';
}

int ingest_addr_token(const char *addr, char *tok)
{
	const char *at = strrchr(addr, '@'), *plus;

	if (!at)
		return -1;
	/* the extension is after the first '+' of the local part; Postfix's
	 * recipient_delimiter can be one of several characters, '+' is the
	 * one the rating block uses */
	for (plus = at; plus > addr && plus[-1] != '+'; plus--)
		;
	if (plus == addr || !TOKEN_LEN_OK(at - plus))
		return -1;
	for (const char *p = plus; p < at; p++)
		if (!b64url(*p))
			return -1;
	memcpy(tok, plus, (size_t)(at - plus));
	tok[at - plus] = '\0';
	return 0;
}

int ingest_text_tokens(const char *text, size_t len,
		       int (*fn)(const char *tok, void *arg), void *arg)
{
	const char *p = text, *end = text + len;

	while (p + 4 + TOKEN_LEN_V1 <= end) {
		const char *r = memchr(p, 'R', (size_t)(end - p));
		const char *t;
		char tok[TOKEN_BUFSZ];
		size_t n;
		int rc;

		if (!r || r + 4 > end)
			break;
		p = r + 1;
		if (strncmp(r, "Ref:", 4) || (r > text && b64url(r[-1])))
			continue;
		t = r + 4;
		/* a quoted-printable soft break or a quote marker never sits
		 * between "Ref:" and the token; blanks may */
		while (t < end && (*t == ' ' || *t == '\t'))
			t++;
		/* a token of either form, a whole word */
		for (n = 0; t + n < end && n <= TOKEN_LEN && b64url(t[n]); n++)
			;
		if (!TOKEN_LEN_OK(n))
			continue;
		memcpy(tok, t, n);
		tok[n] = '\0';
		if ((rc = fn(tok, arg)) != 0)
			return rc;
	}
	return 0;
}

/* ------------------------------------------------------------ matching */

struct match_ctx {
	const struct ingest_env *env;
	struct store *st;
	struct survey s;
	int found;
	enum store_rc err; /* a store failure stops the search */
};

/* 1 found, 0 not (try the next way), -1 store failure. */
static int match_survey_id(struct match_ctx *m, int64_t id)
{
	enum store_rc rc = store_survey_get(m->st, id, &m->s);

	if (rc == STORE_OK) {
		m->found = 1;
		return 1;
	}
	if (rc == STORE_NOTFOUND)
		return 0;
	m->err = rc;
	return -1;
}

static int match_token(const char *tok, void *arg)
{
	struct match_ctx *m = arg;
	int64_t id;

	if (token_verify(m->env->key, tok, strlen(tok), &id) < 0)
		return 0;
	return match_survey_id(m, id);
}

/* Each <msg-id> of an In-Reply-To or References value, newest first
 * (References lists the oldest first). */
static int match_msgids(struct match_ctx *m, const char *v)
{
	const char *ids[64];
	size_t lens[64], n = 0;

	for (const char *p = v; (p = strchr(p, '<')) != NULL && n < 64;) {
		const char *e = strchr(p, '>');
		if (!e)
			break;
		ids[n] = p;
		lens[n++] = (size_t)(e - p) + 1;
		p = e + 1;
	}
	while (n-- > 0) {
		char *id = strndup(ids[n], lens[n]);
		int64_t sid;
		enum store_rc rc;

		if (!id) {
			m->err = STORE_ERROR;
			return -1;
		}
		rc = store_survey_by_message_id(m->st, id, &sid);
		free(id);
		if (rc == STORE_OK) {
			int r = match_survey_id(m, sid);
			if (r)
				return r;
		} else if (rc != STORE_NOTFOUND) {
			m->err = rc;
			return -1;
		}
	}
	return 0;
}

/* ------------------------------------------------------------ ingest */

const char *ingest_result_name(enum ingest_result r)
{
	switch (r) {
	case INGEST_STORED:
		return "stored";
	case INGEST_IGNORED:
		return "ignored";
	case INGEST_TEMPFAIL:
		return "tempfail";
	case INGEST_BADMAIL:
		return "not a mail";
	}
	return "?";
}

static void clean_copy(char *dst, size_t n, const char *src)
{
	size_t i = 0;

	for (; src && *src && i + 1 < n; src++)
		dst[i++] = (*src > ' ' && *src < 127) ? *src : '?';
	dst[i] = '\0';
}

/* The mail as text: CRLF to LF, NUL bytes to spaces (a TEXT column). */
static char *mail_text(const char *msg, size_t len)
{
	struct buf b;

	buf_init(&b);
	buf_reserve(&b, len);
	for (size_t i = 0; i < len; i++) {
		if (msg[i] == '\r' && i + 1 < len && msg[i + 1] == '\n')
			continue;
		buf_putc(&b, msg[i] ? msg[i] : ' ');
	}
	if (!b.data)
		buf_puts(&b, "");
	return buf_steal(&b, NULL);
}

/* An unmatched reply can come from anyone: its header block is kept whole
 * (it says who sent it and why it did not match), its body only up to max
 * bytes, so strangers cannot fill the store. */
static void cut_unmatched(char *mail, uint64_t max, struct ingest_outcome *o)
{
	char *sep = strstr(mail, "\n\n");
	/* no blank line: no header block to keep either */
	char *body = sep ? sep + 2 : mail;
	size_t len = strlen(body), n;

	if (len <= max)
		return;
	n = codec_utf8_cut(body, len, (size_t)max);
	body[n] = '\0';
	o->cut = len - n;
	metrics_cut(METRICS_CUT_UNMATCHED_REPLY, len - n);
}

static char *join_comment(const char *old, const char *add)
{
	struct buf b;

	buf_init(&b);
	if (old && *old) {
		buf_puts(&b, old);
		buf_puts(&b, "\n\n");
	}
	buf_puts(&b, add);
	return buf_steal(&b, NULL);
}

struct ingest_work {
	struct ingest_headers h;
	char *text;	/* whole text of the reply part, quotes included */
	char *stripped; /* without quotes and signature */
	struct reply_grade g;
	int have_grade;
	struct rating cur;
	int have_cur;
	char *joined;
	char *body;
};

static void work_free(struct ingest_work *w)
{
	ingest_headers_free(&w->h);
	free(w->text);
	free(w->stripped);
	if (w->have_grade)
		reply_grade_free(&w->g);
	if (w->have_cur)
		rating_free(&w->cur);
	free(w->joined);
	free(w->body);
}

static void log_outcome(const struct ingest_envelope *ev,
			const struct ingest_outcome *o, const struct survey *s,
			const struct scale *sc, const char *sender)
{
	const char *tag = store_reply_source_name(ev->source);
	const char *by = store_reply_match_name(o->matched_by);
	char from[128];

	if (!tag)
		tag = "ingest";
	clean_copy(from, sizeof(from), sender && *sender ? sender : "<>");
	if (o->result == INGEST_TEMPFAIL) {
		log_error("%s %s: reply not stored, to be retried: %s", tag,
			  o->qid, o->reason);
		return;
	}
	if (o->result == INGEST_BADMAIL) {
		log_warn("%s %s: not a mail: %s", tag, o->qid, o->reason);
		return;
	}
	switch (o->status) {
	case REPLY_UNMATCHED:
		if (o->cut)
			log_info("%s %s: reply %lld unmatched (%s) from=%s, "
				 "%zu bytes of its body not kept "
				 "(max_unmatched_size)",
				 tag, o->qid, (long long)o->reply_id, o->reason,
				 from, o->cut);
		else
			log_info("%s %s: reply %lld unmatched (%s) from=%s",
				 tag, o->qid, (long long)o->reply_id, o->reason,
				 from);
		return;
	case REPLY_AUTO:
		log_info("%s %s: survey %lld ticket=%s auto-reply ignored "
			 "(%s) from=%s",
			 tag, o->qid, (long long)o->survey_id,
			 s->ticket ? s->ticket : "-", o->reason, from);
		return;
	case REPLY_RATED:
		log_info("%s %s: survey %lld ticket=%s rated %s (mail) "
			 "by %s from=%s",
			 tag, o->qid, (long long)o->survey_id,
			 s->ticket ? s->ticket : "-",
			 scale_level(sc, o->level)->key, by, from);
		return;
	case REPLY_COMMENT:
		log_info("%s %s: survey %lld ticket=%s comment without a "
			 "grade%s by %s from=%s",
			 tag, o->qid, (long long)o->survey_id,
			 s->ticket ? s->ticket : "-",
			 o->rating_id ? " (added to the rating)" : "", by,
			 from);
		return;
	}
	log_info("%s %s: ignored: %s from=%s", tag, o->qid, o->reason, from);
}

/* One mail on its way through ingest_mail. */
struct ingest_run {
	const struct ingest_env *env;
	const struct conf *c;
	struct store *st;
	const struct ingest_envelope *ev;
	struct ingest_outcome *out;
	const char *sender; /* envelope sender, else Return-Path */
	struct ingest_work w;
	struct match_ctx m;
	struct store_reply r;
	const struct scale *sc; /* of the matched survey */
	const struct conf_team *team;
	enum store_rc rc; /* of the store call that failed */
	int locked;	  /* holds env->tx_lock */
	int in_tx;	  /* a transaction to roll back if it ends early */
};

/* Where a step left the mail. */
enum ingest_step {
	STEP_NEXT,	   /* go on with the next step */
	STEP_ENDED,	   /* out says how; log_outcome logs it */
	STEP_ANSWERED,	   /* a campaign answer, committed and logged */
	STEP_NO_MEMORY,	   /* out of memory */
	STEP_STORE_FAILED, /* rc says how */
};

/* What needs no store: headers, sender, the text part, the mail as it is
 * kept. A mail without a readable text part is still kept (its raw form
 * is in body). */
static enum ingest_step read_mail(struct ingest_run *x, const char *msg,
				  size_t len)
{
	struct ingest_outcome *out = x->out;
	struct ingest_work *w = &x->w;

	if (ingest_headers_parse(msg, len, &w->h) < 0) {
		out->result = INGEST_BADMAIL;
		snprintf(out->reason, sizeof(out->reason),
			 "no header block (%zu bytes)", len);
		return STEP_ENDED;
	}
	if (w->h.queue_id)
		clean_copy(out->qid, sizeof(out->qid), w->h.queue_id);
	x->sender = x->ev->sender;
	if (!x->sender && w->h.return_path)
		x->sender = w->h.return_path;
	if (reply_extract_text(msg, len, &w->text) < 0)
		w->text = NULL;
	if (!(w->body = mail_text(msg, len)))
		return STEP_NO_MEMORY;
	if (!x->st) {
		out->result = INGEST_TEMPFAIL;
		snprintf(out->reason, sizeof(out->reason),
			 "store not available");
		return STEP_ENDED;
	}
	/* Stripping quotes and signatures needs no store either, and it is
	 * the costliest step of a reply (the attribution patterns): it runs
	 * before the lock, so connections strip in parallel. */
	if (w->text &&
	    !(w->stripped = reply_strip_quotes(w->text, strlen(w->text))))
		return STEP_NO_MEMORY;
	if (w->stripped)
		codec_utf8_truncate(w->stripped, x->c->listener.comment_max);
	return STEP_NEXT;
}

/* A mail delivered again (an LMTP answer lost on the way, an IMAP move
 * that failed) is recognised by its Message-ID and not kept twice. */
static enum ingest_step seen_before(struct ingest_run *x)
{
	const char *id = x->w.h.message_id;
	int64_t dup;

	if (!id || !*id)
		return STEP_NEXT;
	x->rc = store_reply_by_message_id(x->st, id, &dup);
	if (x->rc == STORE_NOTFOUND)
		return STEP_NEXT;
	if (x->rc != STORE_OK)
		return STEP_STORE_FAILED;
	x->out->result = INGEST_IGNORED;
	snprintf(x->out->reason, sizeof(x->out->reason),
		 "already recorded as reply %lld", (long long)dup);
	return STEP_ENDED;
}

/* A campaign mail's feedback+TOKEN@ address: an answer of its own,
 * committed here. */
static enum ingest_step campaign_answer(struct ingest_run *x)
{
	const struct ingest_envelope *ev = x->ev;
	struct ingest_outcome *out = x->out;
	char tok[TOKEN_BUFSZ];

	for (size_t i = 0; i < ev->nrcpts; i++) {
		struct campaign_reply_result cr;

		if (ingest_addr_token(ev->rcpts[i], tok) != 0)
			continue;
		x->rc =
		    campaign_reply(x->c, x->env->key, x->st, tok, x->w.stripped,
				   ingest_auto_reason(&x->w.h, x->sender),
				   x->c->listener.comment_max, ev->now, &cr);
		if (x->rc == STORE_NOTFOUND)
			continue;
		if (x->rc != STORE_OK ||
		    (x->rc = store_commit(x->st)) != STORE_OK)
			return STEP_STORE_FAILED;
		x->in_tx = 0;
		out->result = INGEST_STORED;
		out->level = cr.level;
		if (cr.level >= 0)
			log_info("%s %s: campaign %s recipient %lld answer %d",
				 store_reply_source_name(ev->source), out->qid,
				 cr.campaign, (long long)cr.recipient_id,
				 cr.level);
		else
			log_info("%s %s: campaign %s recipient %lld: %s",
				 store_reply_source_name(ev->source), out->qid,
				 cr.campaign, (long long)cr.recipient_id,
				 cr.reason);
		return STEP_ANSWERED;
	}
	return STEP_NEXT;
}

/* The survey the reply is about, in order of trust: +TOKEN in a
 * recipient (envelope first, then the headers), the closure mail's
 * Message-ID, the ref code of the quoted block (in the decoded text,
 * else in the raw mail: an HTML-only reply, an attached original). */
static enum ingest_step find_survey(struct ingest_run *x)
{
	const struct ingest_envelope *ev = x->ev;
	struct ingest_work *w = &x->w;
	struct match_ctx *m = &x->m;
	struct ingest_outcome *out = x->out;
	char tok[TOKEN_BUFSZ];

	for (size_t i = 0; !m->found && !m->err && i < ev->nrcpts; i++)
		if (ingest_addr_token(ev->rcpts[i], tok) == 0)
			match_token(tok, m);
	for (size_t i = 0; !m->found && !m->err && i < w->h.naddrs; i++)
		if (ingest_addr_token(w->h.addrs[i], tok) == 0)
			match_token(tok, m);
	if (m->found)
		out->matched_by = REPLY_MATCH_ADDRESS;
	if (!m->found && !m->err && w->h.in_reply_to)
		match_msgids(m, w->h.in_reply_to);
	if (!m->found && !m->err && w->h.references)
		match_msgids(m, w->h.references);
	if (m->found && !out->matched_by)
		out->matched_by = REPLY_MATCH_IN_REPLY_TO;
	if (!m->found && !m->err && w->text)
		ingest_text_tokens(w->text, strlen(w->text), match_token, m);
	if (!m->found && !m->err)
		ingest_text_tokens(w->body, strlen(w->body), match_token, m);
	if (m->found && !out->matched_by)
		out->matched_by = REPLY_MATCH_REF;
	if (m->err) {
		x->rc = m->err;
		return STEP_STORE_FAILED;
	}
	/* Message-IDs and ref codes are seen by others than the requester:
	 * only the +TOKEN address rates from anyone */
	if (m->found && out->matched_by != REPLY_MATCH_ADDRESS &&
	    !reply_sender_allowed(x->c, m->s.requester, w->h.from, x->sender)) {
		m->found = 0;
		snprintf(out->reason, sizeof(out->reason),
			 "by %s to survey %lld, not the requester",
			 store_reply_match_name(out->matched_by),
			 (long long)m->s.id);
		out->matched_by = REPLY_MATCH_NONE;
	}
	return STEP_NEXT;
}

/* The reply row as far as the match decides it; a survey that sent no
 * rating block counts as no match. */
static void fill_reply(struct ingest_run *x)
{
	struct ingest_outcome *out = x->out;
	struct match_ctx *m = &x->m;
	struct store_reply *r = &x->r;

	r->received_at = x->ev->now;
	r->source = x->ev->source;
	r->sender = (char *)(x->sender ? x->sender : "");
	r->message_id = x->w.h.message_id;
	r->subject = x->w.h.subject;
	r->body = x->w.body;
	r->comment = x->w.stripped;
	if (m->found) {
		x->sc =
		    conf_survey_scale(x->c, m->s.team, m->s.scale, &x->team);
		if (m->s.status != SURVEY_SENT) {
			/* a reply to a closure mail that carried no rating
			 * block (cooldown, sampling): nothing to rate */
			m->found = 0;
			snprintf(out->reason, sizeof(out->reason),
				 "survey %lld sent no rating block",
				 (long long)m->s.id);
		}
	} else if (!out->reason[0]) {
		snprintf(out->reason, sizeof(out->reason),
			 "no token, In-Reply-To or ref code of a survey");
	}
	if (m->found) {
		r->survey_id = out->survey_id = m->s.id;
		r->matched_by = out->matched_by;
	} else {
		out->matched_by = REPLY_MATCH_NONE;
	}
}

/* A grade read in time becomes a rating, through rating_record like a
 * click. */
static enum ingest_step record_rating(struct ingest_run *x)
{
	struct rating_input ri;
	struct rating_output ro;

	memset(&ri, 0, sizeof(ri));
	ri.survey_id = x->m.s.id;
	ri.now = x->ev->now;
	ri.level = x->w.g.value;
	ri.source = RATING_MAIL;
	ri.why = *x->w.g.comment ? x->w.g.comment : NULL;
	ri.alert_at = rating_alert_at(x->c, x->team, x->sc);
	ri.alert_delay = x->c->listener.alert_delay;
	ri.conf = x->c;
	ri.team = x->team;
	ri.scale = x->sc;
	if ((x->rc = rating_record(x->st, &ri, &ro)) != STORE_OK)
		return STEP_STORE_FAILED;
	x->r.status = REPLY_RATED;
	x->r.rating_id = x->out->rating_id = ro.rating_id;
	x->out->level = x->w.g.value;
	return STEP_NEXT;
}

/* No grade (or too late): the text joins the rating that counts, where
 * the dashboard shows it. */
static enum ingest_step record_comment(struct ingest_run *x, int expired)
{
	struct ingest_work *w = &x->w;
	const char *text = w->have_grade ? w->g.comment : "";

	x->r.status = REPLY_COMMENT;
	if (expired)
		snprintf(x->out->reason, sizeof(x->out->reason),
			 "survey expired");
	x->rc = store_rating_current(x->st, x->m.s.id, &w->cur);
	if (x->rc == STORE_OK)
		w->have_cur = 1;
	else if (x->rc != STORE_NOTFOUND)
		return STEP_STORE_FAILED;
	if (!w->have_cur || !*text)
		return STEP_NEXT;
	if (!(w->joined = join_comment(w->cur.why, text)))
		return STEP_NO_MEMORY;
	codec_utf8_truncate(w->joined, x->c->listener.comment_max);
	x->rc = store_rating_comment(x->st, w->cur.id, w->joined, NULL);
	if (x->rc != STORE_OK)
		return STEP_STORE_FAILED;
	x->r.rating_id = x->out->rating_id = w->cur.id;
	return STEP_NEXT;
}

/* The reply's status: unmatched, an auto-reply, rated or a comment. */
static enum ingest_step judge_reply(struct ingest_run *x)
{
	const char *auto_why = ingest_auto_reason(&x->w.h, x->sender);
	int expired;

	if (!x->m.found) {
		x->r.status = REPLY_UNMATCHED;
		cut_unmatched(x->w.body, x->c->listener.max_unmatched_size,
			      x->out);
		return STEP_NEXT;
	}
	if (auto_why) {
		x->r.status = REPLY_AUTO;
		snprintf(x->out->reason, sizeof(x->out->reason), "%s",
			 auto_why);
		return STEP_NEXT;
	}
	expired = x->ev->now > x->m.s.sent_at + x->c->listener.link_ttl;
	if (x->w.stripped) {
		if (reply_read_grade(x->sc, x->w.stripped, &x->w.g) < 0)
			return STEP_NO_MEMORY;
		x->w.have_grade = 1;
	}
	if (x->w.have_grade && x->w.g.found && !expired)
		return record_rating(x);
	return record_comment(x, expired);
}

/* Every reply gets its row, in the transaction of its rating. */
static enum ingest_step keep_reply(struct ingest_run *x)
{
	struct ingest_outcome *out = x->out;
	struct store_reply *r = &x->r;

	if ((x->rc = store_reply_add(x->st, r)) != STORE_OK ||
	    (x->rc = store_commit(x->st)) != STORE_OK)
		return STEP_STORE_FAILED;
	x->in_tx = 0;
	if (out->rating_id && r->status == REPLY_RATED) {
		outbox_notify(); /* an alert or kudos may be due now */
		metrics_rating(RATING_MAIL, out->level);
	}
	metrics_reply(r->status);
	out->reply_id = r->id;
	out->status = r->status;
	out->result = r->status == REPLY_AUTO ? INGEST_IGNORED : INGEST_STORED;
	return STEP_ENDED;
}

/* The steps that write, in one transaction under env->tx_lock. */
static enum ingest_step write_reply(struct ingest_run *x)
{
	enum ingest_step s;

	if (x->env->tx_lock) {
		pthread_mutex_lock(x->env->tx_lock);
		x->locked = 1;
	}
	if ((x->rc = store_begin(x->st)) != STORE_OK)
		return STEP_STORE_FAILED;
	x->in_tx = 1;
	if ((s = seen_before(x)) != STEP_NEXT ||
	    (s = campaign_answer(x)) != STEP_NEXT ||
	    (s = find_survey(x)) != STEP_NEXT)
		return s;
	fill_reply(x);
	if ((s = judge_reply(x)) != STEP_NEXT)
		return s;
	return keep_reply(x);
}

/* Rolls back what did not commit, says why a mail is to be retried,
 * logs the outcome once and frees the run. */
static enum ingest_result finish(struct ingest_run *x, enum ingest_step s)
{
	struct ingest_outcome *out = x->out;

	if (x->in_tx)
		store_rollback(x->st);
	if (s == STEP_NO_MEMORY) {
		out->result = INGEST_TEMPFAIL;
		out->rating_id = 0;
		snprintf(out->reason, sizeof(out->reason), "out of memory");
	} else if (s == STEP_STORE_FAILED) {
		out->result = INGEST_TEMPFAIL;
		out->rating_id = 0;
		out->status = -1;
		snprintf(out->reason, sizeof(out->reason), "store: %s",
			 x->rc == STORE_BUSY ? "busy" : store_errmsg(x->st));
	}
	if (x->locked)
		pthread_mutex_unlock(x->env->tx_lock);
	if (s != STEP_ANSWERED)
		log_outcome(x->ev, out, &x->m.s, x->sc, x->sender);
	survey_free(&x->m.s);
	work_free(&x->w);
	return out->result;
}

enum ingest_result ingest_mail(const struct ingest_env *env, struct store *st,
			       const char *msg, size_t len,
			       const struct ingest_envelope *ev,
			       struct ingest_outcome *out)
{
	struct ingest_run x;
	enum ingest_step s;

	memset(&x, 0, sizeof(x));
	x.env = env;
	x.c = env->conf;
	x.st = st;
	x.ev = ev;
	x.out = out;
	x.sender = ev->sender;
	x.m.env = env;
	x.m.st = st;
	memset(out, 0, sizeof(*out));
	out->status = -1;
	snprintf(out->qid, sizeof(out->qid), "NOQUEUE");
	if ((s = read_mail(&x, msg, len)) == STEP_NEXT)
		s = write_reply(&x);
	return finish(&x, s);
}
