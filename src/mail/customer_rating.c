/* SPDX-License-Identifier: BSD-2-Clause */
/* IT rates its customers: who rates which closed ticket, the daily digest
 * mail and its schedule, recording a rating (customer_rating.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gnutls/crypto.h>

#include "alert_mail.h"
#include "customer_rating.h"
#include "log.h"
#include "smtp.h"

#define RCPT_MAX 16

/* ------------------------------------------------------------ days */

void customer_day_of(const struct tz *tz, int y, int m, int d,
		     struct customer_day *out)
{
	int ny = y, nm = m, nd = d;

	out->y = y;
	out->m = m;
	out->d = d;
	snprintf(out->text, sizeof(out->text), "%04d-%02d-%02d", y, m, d);
	tz_date_add(&ny, &nm, &nd, 1);
	out->since = tz_midnight(tz, y, m, d);
	out->until = tz_midnight(tz, ny, nm, nd);
}

void customer_yesterday(const struct tz *tz, int64_t now,
			struct customer_day *out, int *minute)
{
	int y, m, d, min;

	tz_local(tz, now, &y, &m, &d, &min);
	if (minute)
		*minute = min;
	tz_date_add(&y, &m, &d, -1);
	customer_day_of(tz, y, m, d, out);
}

/* ------------------------------------------------------------ raters */

/* addr (one address) is the requester or someone a team calls its
 * customer. */
static int is_customer(const struct conf *c, const char *addr,
		       const char *requester)
{
	char low[320];
	size_t i;

	if (requester && !strcasecmp(addr, requester))
		return 1;
	for (i = 0; i < sizeof(low) - 1 && addr[i]; i++)
		low[i] = (char)(addr[i] >= 'A' && addr[i] <= 'Z'
				    ? addr[i] - 'A' + 'a'
				    : addr[i]);
	low[i] = '\0';
	return conf_team_for_address(c, low) != NULL;
}

/* Every address of an alert_to list passes. */
static int list_ok(const struct conf *c, const char *list,
		   const char *requester)
{
	char *copy, *save = NULL;
	int n = 0, ok = 1;

	if (!list || !(copy = strdup(list)))
		return 0;
	for (char *w = strtok_r(copy, " ,;\t", &save); w && ok;
	     w = strtok_r(NULL, " ,;\t", &save)) {
		n++;
		ok = alert_addr_ok(w) && !is_customer(c, w, requester);
	}
	free(copy);
	return ok && n;
}

const char *customer_rater(const struct conf *c, const struct conf_team *t,
			   const char *agent, const char *requester)
{
	if (!t || !t->rate_customer)
		return NULL;
	if (agent && strchr(agent, '@') && alert_addr_ok(agent) &&
	    !is_customer(c, agent, requester))
		return agent;
	return list_ok(c, t->alert_to, requester) ? t->alert_to : NULL;
}

/* ------------------------------------------------------------ selection */

int customer_select(const struct conf *c, const struct customer_closed *cl,
		    size_t n, const char *only_team,
		    struct customer_selection *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < n; i++) {
		const struct conf_team *t = conf_team_by_name(c, cl[i].team);
		const char *rater;
		struct customer_batch *b = NULL;
		struct customer_item *it;

		if (!t || !t->rate_customer ||
		    (only_team && strcasecmp(t->name, only_team)))
			continue;
		rater = customer_rater(c, t, cl[i].agent, cl[i].requester);
		if (!rater) {
			out->refused++;
			continue;
		}
		for (size_t j = 0; j < out->n && !b; j++)
			if (!strcasecmp(out->b[j].rater, rater))
				b = &out->b[j];
		if (!b) {
			b = realloc(out->b, (out->n + 1) * sizeof(*b));
			if (!b)
				goto oom;
			out->b = b;
			b = &out->b[out->n++];
			memset(b, 0, sizeof(*b));
			b->rater = rater;
			b->lang = conf_team_language(c, t);
			b->due_at = t->customer_digest_at;
		}
		if (t->customer_digest_at < b->due_at)
			b->due_at = t->customer_digest_at;
		it = realloc(b->items, (b->n + 1) * sizeof(*it));
		if (!it)
			goto oom;
		b->items = it;
		it = &b->items[b->n++];
		it->survey_id = cl[i].survey_id;
		it->sent_at = cl[i].sent_at;
		it->team = t;
		it->ticket = cl[i].ticket;
		it->subject = cl[i].subject;
		it->requester = cl[i].requester;
	}
	return 0;
oom:
	customer_selection_free(out);
	return -1;
}

void customer_selection_free(struct customer_selection *s)
{
	for (size_t i = 0; s->b && i < s->n; i++)
		free(s->b[i].items);
	free(s->b);
	memset(s, 0, sizeof(*s));
}

/* ------------------------------------------------------------ the mail */

struct words {
	const char *intro, *intro2, *agreed, *ticket, *requester, *team, *none;
};

static const struct words words_en = {
    "Tickets closed on",
    "One click per ticket; you can change it later.",
    "Agreed with the customer teams; this list never goes to them.",
    "Ticket",
    "Requester",
    "Team",
    "(no subject)",
};

static const struct words words_nl = {
    "Tickets gesloten op",
    "E\xC3\xA9n klik per ticket; je kunt het later nog wijzigen.",
    "Afgesproken met de klantteams; deze lijst gaat nooit naar hen.",
    "Ticket",
    "Aanvrager",
    "Team",
    "(geen onderwerp)",
};

static void html(struct buf *b, const char *s)
{
	if (s)
		buf_put_html(b, s, strlen(s));
}

/* The Message-ID: a MAC of rater and day under its own label, so a mail
 * sent again is the same message, and the id tells nobody the rater. */
static int digest_message_id(const struct token_key *key, const char *rater,
			     const char *day, const char *from, char *out,
			     size_t len)
{
	unsigned char mac[32];
	char data[512], b64[32];
	const char *at = from ? strchr(from, '@') : NULL;
	int n = snprintf(data, sizeof(data),
			 "mailmood-message-id.customer.%s.%s", rater, day);

	if (n < 0 || (size_t)n >= sizeof(data) ||
	    gnutls_hmac_fast(GNUTLS_MAC_SHA256, key->bytes, key->len, data,
			     (size_t)n, mac) < 0)
		return -1;
	b64[token_b64url_encode(mac, 18, b64)] = '\0';
	snprintf(out, len, "customer.%s@%s", b64,
		 at && at[1] ? at + 1 : "localhost");
	return 0;
}

/* One ticket: text lines and an HTML block with its row of links. */
static int compose_item(struct buf *txt, struct buf *h, const struct conf *c,
			const struct token_key *key, const struct words *w,
			int nl, const struct customer_item *it)
{
	const struct scale *sc = conf_team_customer_scale(it->team);
	char tok[TOKEN_BUFSZ];
	struct buf clean;

	if (token_make_customer(key, it->survey_id, tok) < 0)
		return -1;
	buf_init(&clean);
	alert_clean_header(&clean, it->subject ? it->subject : w->none, 200);
	buf_printf(txt, "\n%s %s: %s\n%s: %s\n%s: %s\n", w->ticket,
		   it->ticket ? it->ticket : "-", clean.data ? clean.data : "",
		   w->requester, it->requester ? it->requester : "-", w->team,
		   it->team->display_name);
	buf_puts(h, "<tr><td style=\"padding:12px 0;border-top:1px solid "
		    "#ddd\"><strong>");
	html(h, it->ticket ? it->ticket : "-");
	buf_puts(h, "</strong> ");
	html(h, clean.data);
	buf_puts(h, "<br><span style=\"color:#555\">");
	html(h, it->requester ? it->requester : "-");
	buf_puts(h, " &middot; ");
	html(h, it->team->display_name);
	buf_puts(h, "</span><br>");
	buf_free(&clean);
	for (int v = sc->min; v <= sc->max; v++) {
		const struct scale_level *l = scale_level(sc, v);
		const char *label = scale_label(sc, v, nl ? "nl" : "en");
		char url[1024];

		snprintf(url, sizeof(url), "%s/k/%s/%d", c->general.base_url,
			 tok, v);
		buf_printf(txt, "  %s: %s\n", label, url);
		buf_puts(h, "<a class=\"mm-customer-level\" href=\"");
		html(h, url);
		buf_printf(h,
			   "\" style=\"display:inline-block;margin:4px 4px 0 "
			   "0;padding:6px 10px;border-radius:4px;color:#fff;"
			   "text-decoration:none;background:%s\">",
			   l && l->color ? l->color : "#555");
		html(h, label);
		buf_puts(h, "</a>");
	}
	buf_puts(h, "</td></tr>\n");
	return 0;
}

int customer_compose(struct buf *out, const struct conf *c,
		     const struct token_key *key,
		     const struct customer_batch *b,
		     const struct customer_day *day, int64_t now)
{
	int nl = b->lang && !strcmp(b->lang, "nl");
	const struct words *w = nl ? &words_nl : &words_en;
	const char *question = conf_team_customer_question(
	    b->n ? b->items[0].team : NULL, nl ? "nl" : "en");
	struct buf txt, h, subject;
	struct alert_head head;
	char msgid[256], *copy, *save = NULL;
	const char *rcpt[RCPT_MAX];
	size_t nrcpt = 0;
	int rc = -1;

	if (!b->n || !(copy = strdup(b->rater)))
		return -1;
	for (char *a = strtok_r(copy, " ,;\t", &save); a && nrcpt < RCPT_MAX;
	     a = strtok_r(NULL, " ,;\t", &save))
		if (alert_addr_ok(a))
			rcpt[nrcpt++] = a;
	buf_init(&txt);
	buf_init(&h);
	buf_init(&subject);
	buf_printf(&subject,
		   nl ? "Beoordeel je klanten: %zu gesloten ticket(s) van %s"
		      : "Rate your customers: %zu closed ticket(s) of %s",
		   b->n, day->text);
	buf_puts(&txt, question);
	buf_puts(&txt, "\n");
	buf_printf(&txt, "%s %s. %s", w->intro, day->text, w->intro2);
	buf_puts(&txt, "\n");
	buf_printf(&h,
		   "<!doctype html><html lang=\"%s\"><head><meta "
		   "charset=\"utf-8\"></head><body style=\"font-family:sans-"
		   "serif\">\n<h2>",
		   nl ? "nl" : "en");
	html(&h, question);
	buf_puts(&h, "</h2>\n<p>");
	{
		struct buf intro;
		buf_init(&intro);
		buf_printf(&intro, "%s %s. %s", w->intro, day->text, w->intro2);
		html(&h, intro.data);
		buf_free(&intro);
	}
	buf_puts(&h, "</p>\n<table style=\"border-collapse:collapse\">\n");
	for (size_t i = 0; i < b->n; i++)
		if (compose_item(&txt, &h, c, key, w, nl, &b->items[i]) < 0)
			goto out;
	buf_printf(&txt, "\n-- \n%s\n", w->agreed);
	buf_puts(&h, "</table>\n<p style=\"color:#666\">");
	html(&h, w->agreed);
	buf_puts(&h, "</p>\n</body></html>\n");
	if (!nrcpt ||
	    digest_message_id(key, b->rater, day->text, c->listener.alert_from,
			      msgid, sizeof(msgid)) < 0 ||
	    txt.failed || h.failed || subject.failed)
		goto out;
	memset(&head, 0, sizeof(head));
	head.from = c->listener.alert_from;
	head.to = rcpt;
	head.nto = nrcpt;
	head.message_id = msgid;
	head.date = now;
	rc = alert_compose_raw(out, &head, subject.data, txt.data, h.data);
out:
	buf_free(&txt);
	buf_free(&h);
	buf_free(&subject);
	free(copy);
	return rc;
}

/* ------------------------------------------------------------ recording */

int customer_record(struct store *st, const struct conf *c,
		    const struct survey *s, int level, int64_t now)
{
	const struct conf_team *t = conf_team_by_name(c, s->team);
	const char *rater = customer_rater(c, t, s->agent, s->requester);
	struct customer_rating r;

	if (!rater || !scale_level(conf_team_customer_scale(t), level))
		return 1;
	memset(&r, 0, sizeof(r));
	r.survey_id = s->id;
	r.level = level;
	r.at = now;
	r.rater = (char *)rater;
	return store_customer_rating_add(st, &r) == STORE_OK ? 0 : -1;
}

/* ------------------------------------------------------------ sending */

/* SMTP_OK 0; else the smtp_result, the relay's answer in err. */
static int send_one(const struct conf *c, const struct token_key *key,
		    const struct customer_batch *b,
		    const struct customer_day *day, int64_t now, char *err,
		    size_t errlen)
{
	struct smtp_conf sc;
	struct smtp_session *s;
	struct buf msg;
	char *copy, *save = NULL;
	const char *rcpt[RCPT_MAX];
	size_t nrcpt = 0;
	enum smtp_result r;

	buf_init(&msg);
	if (customer_compose(&msg, c, key, b, day, now) < 0 ||
	    !(copy = strdup(b->rater))) {
		buf_free(&msg);
		snprintf(err, errlen, "cannot compose the digest");
		return SMTP_PERMANENT;
	}
	for (char *a = strtok_r(copy, " ,;\t", &save); a && nrcpt < RCPT_MAX;
	     a = strtok_r(NULL, " ,;\t", &save))
		if (alert_addr_ok(a))
			rcpt[nrcpt++] = a;
	memset(&sc, 0, sizeof(sc));
	sc.url = c->listener.smtp_url;
	sc.tls = c->listener.smtp_tls;
	sc.user = c->listener.smtp_user;
	sc.password_file = c->listener.smtp_password_file;
	sc.ca_file = c->listener.smtp_ca_file;
	sc.timeout = (long)c->listener.smtp_timeout;
	if (smtp_open(&s, &sc, err, errlen) < 0) {
		free(copy);
		buf_free(&msg);
		return SMTP_TEMPORARY;
	}
	r = smtp_send(s, c->listener.alert_from, rcpt, nrcpt, msg.data, msg.len,
		      err, errlen);
	smtp_close(s);
	free(copy);
	buf_free(&msg);
	return (int)r;
}

static enum store_rc select_day(struct store *st, const struct conf *c,
				const char *only_team,
				const struct customer_day *day,
				struct customer_closed **cl, size_t *ncl,
				struct customer_selection *sel)
{
	enum store_rc rc =
	    store_customer_closed(st, day->since, day->until, cl, ncl);

	if (rc != STORE_OK)
		return rc;
	if (customer_select(c, *cl, *ncl, only_team, sel) < 0) {
		customer_closed_free(*cl, *ncl);
		*cl = NULL;
		*ncl = 0;
		return STORE_ERROR;
	}
	return STORE_OK;
}

int customer_digest_send(struct store *st, const struct conf *c,
			 const struct token_key *key, const char *only_team,
			 const struct customer_day *day, int64_t now,
			 FILE *report)
{
	struct customer_closed *cl = NULL;
	struct customer_selection sel;
	size_t ncl = 0;
	char err[512];
	int ret = 0;

	if (select_day(st, c, only_team, day, &cl, &ncl, &sel) != STORE_OK) {
		fprintf(report, "store: %s\n", store_errmsg(st));
		return -1;
	}
	if (!sel.n)
		fprintf(report, "no closed tickets to rate on %s\n", day->text);
	for (size_t i = 0; i < sel.n; i++) {
		int r = send_one(c, key, &sel.b[i], day, now, err, sizeof(err));
		fprintf(report,
			"customer digest %s to %s: %zu ticket(s) %s (%s)\n",
			day->text, sel.b[i].rater, sel.b[i].n,
			r == SMTP_OK ? "sent" : "NOT sent", err);
		if (r != SMTP_OK)
			ret = -1;
	}
	if (sel.refused)
		fprintf(report,
			"%zu ticket(s) left out: their rater would be a "
			"customer\n",
			sel.refused);
	customer_selection_free(&sel);
	customer_closed_free(cl, ncl);
	return ret;
}

void customer_digests_due(struct store *st, const struct conf *c,
			  const struct token_key *key, int64_t now,
			  int64_t lease)
{
	struct customer_closed *cl = NULL;
	struct customer_selection sel;
	struct customer_day day;
	size_t ncl = 0;
	int minute, any = 0;

	for (size_t i = 0; i < c->nteams && !any; i++)
		any = c->teams[i].rate_customer;
	if (!any)
		return;
	customer_yesterday(&c->general.tz, now, &day, &minute);
	if (select_day(st, c, NULL, &day, &cl, &ncl, &sel) != STORE_OK) {
		log_warn("customer digest %s: %s", day.text, store_errmsg(st));
		return;
	}
	for (size_t i = 0; i < sel.n; i++) {
		const struct customer_batch *b = &sel.b[i];
		char err[512];
		int claimed = 0, r;

		if (minute < b->due_at)
			continue;
		if (store_customer_digest_claim(st, b->rater, day.text, now,
						lease, &claimed) != STORE_OK ||
		    !claimed)
			continue;
		r = send_one(c, key, b, &day, now, err, sizeof(err));
		if (r == SMTP_OK) {
			log_info("customer digest %s to %s: %zu ticket(s) sent "
				 "(%s)",
				 day.text, b->rater, b->n, err);
			store_customer_digest_finish(st, b->rater, day.text,
						     CDIGEST_SENT, now, NULL);
		} else if (r == SMTP_PERMANENT) {
			log_error("customer digest %s to %s: FAILED: %s",
				  day.text, b->rater, err);
			store_customer_digest_finish(st, b->rater, day.text,
						     CDIGEST_FAILED, now, err);
		} else {
			log_warn("customer digest %s to %s: deferred: %s",
				 day.text, b->rater, err);
			store_customer_digest_finish(st, b->rater, day.text,
						     CDIGEST_PENDING, now, err);
		}
	}
	customer_selection_free(&sel);
	customer_closed_free(cl, ncl);
}
