/* SPDX-License-Identifier: BSD-2-Clause */
/* A campaign row of the outbox becomes a mail (campaign_send.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alert_mail.h"
#include "campaign_mail.h"
#include "campaign_send.h"
#include "conf_campaign.h"
#include "inject.h"
#include "codec.h"
#include "scale.h"
#include "store_campaign.h"

static const char *domain_of(const char *addr)
{
	const char *at = addr ? strchr(addr, '@') : NULL;

	return at && at[1] ? at + 1 : "localhost";
}

enum outbox_rc campaign_outbox_compose(struct store *st, const struct conf *c,
				       const struct token_key *key,
				       int64_t outbox_id, struct buf *msg,
				       char **rcpt, const char **from,
				       char *what, size_t whatlen, char *err,
				       size_t errlen)
{
	struct store_campaign_row r;
	const struct conf_campaign *k;
	const struct conf_team *t;
	struct campaign_mail m;
	struct buf reply;
	char tok[TOKEN_BUFSZ], base[1024], unsub[1024], msgid[256];
	int64_t id;
	enum store_rc rc;
	enum outbox_rc ret = OUTBOX_PERMANENT;

	*rcpt = NULL;
	snprintf(what, whatlen, "campaign outbox %lld", (long long)outbox_id);
	if ((rc = store_campaign_by_outbox(st, outbox_id, &id)) != STORE_OK ||
	    (rc = store_campaign_recipient(st, id, &r)) != STORE_OK) {
		if (rc != STORE_NOTFOUND)
			return OUTBOX_TEMPORARY;
		snprintf(err, errlen, "no campaign recipient");
		return OUTBOX_PERMANENT;
	}
	snprintf(what, whatlen, "campaign %s recipient %lld", r.campaign,
		 (long long)r.id);
	if (!(k = conf_campaign_by_name(c, r.campaign))) {
		snprintf(err, errlen, "no [campaign %s] any more", r.campaign);
		goto out;
	}
	if (!r.address) {
		snprintf(err, errlen, "no address (answered anonymously)");
		goto out;
	}
	if (store_campaign_unsubscribed(st, r.address) == STORE_OK) {
		/* unsubscribed between queueing and sending */
		snprintf(err, errlen, "unsubscribed");
		goto out;
	}
	if (token_make_campaign(key, r.id, tok) < 0) {
		snprintf(err, errlen, "cannot sign the links");
		goto out;
	}
	t = r.team ? conf_team_by_name(c, r.team) : NULL;
	snprintf(base, sizeof(base), "%s/c/%s", c->general.base_url, tok);
	snprintf(unsub, sizeof(unsub), "%s/u/%s", c->general.base_url, tok);
	/* a base_url with a trailing '/' would give "//c/" */
	if (strstr(base, "//c/")) {
		snprintf(base, sizeof(base), "%.*sc/%s",
			 (int)strlen(c->general.base_url), c->general.base_url,
			 tok);
		snprintf(unsub, sizeof(unsub), "%.*su/%s",
			 (int)strlen(c->general.base_url), c->general.base_url,
			 tok);
	}
	snprintf(msgid, sizeof(msgid), "campaign.%lld.%lld@%s",
		 (long long)r.round_id, (long long)r.id,
		 domain_of(k->from ? k->from : c->listener.alert_from));
	buf_init(&reply);
	if (c->listener.reply_address)
		inject_reply_address(c->listener.reply_address, tok, &reply);
	memset(&m, 0, sizeof(m));
	m.lang = r.language ? r.language : c->general.language;
	m.from = k->from ? k->from : c->listener.alert_from;
	m.to = r.address;
	m.reply_to = reply.len ? reply.data : NULL;
	m.subject = conf_campaign_subject(k, m.lang);
	m.question = conf_campaign_question(k, m.lang);
	m.team = t ? t->display_name : NULL;
	m.rate_base = base;
	m.unsub_url = unsub;
	m.message_id = msgid;
	m.date = (int64_t)time(NULL);
	if (campaign_mail_compose(msg, &m) < 0) {
		snprintf(err, errlen, "cannot compose (address %s)", r.address);
	} else if (!(*rcpt = strdup(r.address))) {
		snprintf(err, errlen, "out of memory");
		ret = OUTBOX_TEMPORARY;
	} else {
		*from = m.from;
		ret = OUTBOX_OK;
	}
	buf_free(&reply);
out:
	store_campaign_row_free(&r);
	return ret;
}

void campaign_followup(const struct conf *c, const struct store_campaign_row *r,
		       int level, const char *comment, int64_t now,
		       struct store_campaign_followup *out)
{
	const struct conf_team *t =
	    r->team ? conf_team_by_name(c, r->team) : NULL;
	int said = 0;

	out->kind = OUTBOX_KIND_UNKNOWN;
	out->due = 0;
	for (const char *p = comment; p && *p && !said; p++)
		said = !strchr(" \t\r\n", *p);
	if (!t)
		return;
	if (level <= 6 && !r->anonymous && t->alert_to)
		out->kind = OUTBOX_CAMPAIGN_ALERT;
	else if (level >= 9 && said && t->kudos && (t->kudos_to || t->alert_to))
		out->kind = OUTBOX_CAMPAIGN_KUDOS;
	if (out->kind != OUTBOX_KIND_UNKNOWN)
		out->due = now + c->listener.alert_delay;
}

struct closure_list {
	struct buf *txt, *html;
	int n;
};

static int closure_line(void *arg, const struct store_closure_rating *cr)
{
	struct closure_list *l = arg;
	const struct scale *sc = cr->scale ? scale_by_name(cr->scale) : NULL;
	const char *label = sc ? scale_label(sc, cr->level, "en") : NULL;
	char d[16], lv[16];
	time_t t = (time_t)cr->at;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(d, sizeof(d), "%Y-%m-%d", &tm);
	snprintf(lv, sizeof(lv), "%d", cr->level);
	buf_printf(l->txt, "  %s  ", d);
	alert_clean_body(l->txt, cr->ticket ? cr->ticket : "-");
	buf_puts(l->txt, "  ");
	alert_clean_body(l->txt, label ? label : lv);
	buf_puts(l->txt, "\n");
	buf_printf(l->html, "<li>%s ", d);
	buf_put_html(l->html, cr->ticket ? cr->ticket : "-",
		     strlen(cr->ticket ? cr->ticket : "-"));
	buf_puts(l->html, ": ");
	buf_put_html(l->html, label ? label : lv, strlen(label ? label : lv));
	buf_puts(l->html, "</li>\n");
	l->n++;
	return 0;
}

enum outbox_rc campaign_alert_compose(struct store *st, const struct conf *c,
				      const struct token_key *key,
				      int64_t outbox_id, int kudos,
				      struct buf *msg, char **rcpt, char *what,
				      size_t whatlen, char *err, size_t errlen)
{
	const char *kind = store_outbox_kind_name(
	    kudos ? OUTBOX_CAMPAIGN_KUDOS : OUTBOX_CAMPAIGN_ALERT);
	struct store_campaign_alert a;
	const struct conf_team *t;
	struct buf txt, html, subj, clean;
	struct closure_list l;
	char boundary[96], msgid[160], tok[TOKEN_BUFSZ], ack[1024];
	const char *to, *team, *who;
	enum store_rc rc;
	enum outbox_rc ret = OUTBOX_PERMANENT;

	*rcpt = NULL;
	snprintf(what, whatlen, "%s outbox %lld", kind, (long long)outbox_id);
	rc = store_campaign_alert_get(st, outbox_id, &a);
	if (rc == STORE_NOTFOUND) {
		snprintf(err, errlen, "no campaign answer");
		return OUTBOX_PERMANENT;
	}
	if (rc != STORE_OK)
		return OUTBOX_TEMPORARY;
	snprintf(what, whatlen, "%s %s recipient %lld", kind, a.r.campaign,
		 (long long)a.r.id);
	t = a.r.team ? conf_team_by_name(c, a.r.team) : NULL;
	to = !t ? NULL : kudos && t->kudos_to ? t->kudos_to : t->alert_to;
	/* kudos of an anonymous campaign name nobody; an alert needs
	 * someone to call back */
	who = a.r.anonymous ? NULL : a.r.address;
	if (!to || (!kudos && !who) || (kudos && !t->kudos)) {
		snprintf(err, errlen, "no team %s, or anonymous",
			 kudos ? "kudos" : "alert_to");
		store_campaign_alert_free(&a);
		return OUTBOX_PERMANENT;
	}
	team = t->display_name ? t->display_name : t->name;
	buf_init(&txt);
	buf_init(&html);
	buf_init(&subj);
	buf_init(&clean);
	l.txt = &txt;
	l.html = &html;
	l.n = 0;
	if (who)
		buf_printf(&subj, "NPS %s: %d \xe2\x80\x94 %s",
			   kudos ? "KUDOS" : "DETRACTOR", a.level, who);
	else
		buf_printf(&subj, "NPS KUDOS: %d \xe2\x80\x94 campaign %s",
			   a.level, a.r.campaign);
	buf_printf(&txt,
		   "%s answered %d out of 10 to the relationship NPS question "
		   "of campaign %s (team %s).\n\n%s\n",
		   who ? who : "Someone", a.level, a.r.campaign, team,
		   kudos ? "What they wrote:" : "What could we do better?");
	alert_clean_body(&clean, a.better ? a.better : "(no comment)");
	buf_append(&txt, clean.data ? clean.data : "", clean.len);
	buf_puts(&html, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
			"</head><body style=\"font-family:sans-serif\">\n<p>");
	buf_put_html(&html, who ? who : "Someone",
		     strlen(who ? who : "Someone"));
	buf_printf(&html,
		   " answered <strong>%d</strong> out of 10 to the "
		   "relationship NPS question of campaign ",
		   a.level);
	buf_put_html(&html, a.r.campaign, strlen(a.r.campaign));
	buf_printf(&html, ".</p>\n<p><strong>%s</strong><br>\n",
		   kudos ? "What they wrote:" : "What could we do better?");
	buf_put_html(&html, clean.data ? clean.data : "", clean.len);
	buf_puts(&html, "</p>\n");
	if (!kudos) {
		buf_puts(&txt, "\n\nLast closure ratings:\n");
		buf_puts(&html, "<p>Last closure ratings:</p>\n<ul>\n");
		rc = store_campaign_closure_ratings(st, who, 5, closure_line,
						    &l);
		if (rc != STORE_OK) {
			ret = OUTBOX_TEMPORARY;
			goto out;
		}
		if (!l.n) {
			buf_puts(&txt, "  (none)\n");
			buf_puts(&html, "<li>(none)</li>\n");
		}
		if (token_make_ack(key, outbox_id, tok) < 0) {
			snprintf(err, errlen, "cannot make a token");
			ret = OUTBOX_TEMPORARY;
			goto out;
		}
		snprintf(ack, sizeof(ack), "%s/a/%s", c->general.base_url, tok);
		buf_printf(&txt,
			   "\nCall them while it is fresh. Taking it? "
			   "Acknowledge with one click (records your name and "
			   "the time):\n%s\n",
			   ack);
		buf_puts(&html, "</ul>\n<p>Call them while it is fresh.</p>\n"
				"<p><a href=\"");
		buf_put_html(&html, ack, strlen(ack));
		buf_puts(&html, "\" style=\"font-weight:bold\">I am taking "
				"this: acknowledge</a> (records your name and "
				"the time)</p>\n");
	} else {
		buf_puts(&txt, "\n\nA success to learn from: pass it on.\n");
		buf_puts(&html,
			 "<p>A success to learn from: pass it on.</p>\n");
	}
	buf_puts(&html, "</body></html>\n");
	snprintf(msgid, sizeof(msgid), "%s.%lld@%s", kind, (long long)outbox_id,
		 domain_of(c->listener.alert_from));
	if (!alert_addr_ok(c->listener.alert_from) ||
	    (who && !alert_addr_ok(who))) {
		snprintf(err, errlen, "an address that cannot go in a header");
		goto out;
	}
	buf_printf(msg, "From: mailmood <%s>\r\nTo: %s\r\n",
		   c->listener.alert_from, to);
	if (who)
		buf_printf(msg, "Reply-To: <%s>\r\n", who);
	alert_header(msg, "Subject", subj.data ? subj.data : "");
	{
		time_t now = time(NULL);
		struct tm tm;
		char date[64];
		gmtime_r(&now, &tm);
		strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000",
			 &tm);
		buf_printf(msg, "Date: %s\r\n", date);
	}
	buf_printf(msg,
		   "Message-ID: <%s>\r\nMIME-Version: 1.0\r\n"
		   "Auto-Submitted: auto-generated\r\n"
		   "X-Auto-Response-Suppress: All\r\n",
		   msgid);
	snprintf(boundary, sizeof(boundary), "=_mailmood_c%c_%lld",
		 kudos ? 'k' : 'a', (long long)outbox_id);
	buf_printf(msg,
		   "Content-Type: multipart/alternative;\r\n"
		   " boundary=\"%s\"\r\n\r\n--%s\r\n"
		   "Content-Type: text/plain; charset=utf-8\r\n"
		   "Content-Transfer-Encoding: quoted-printable\r\n\r\n",
		   boundary, boundary);
	codec_qp_encode(msg, txt.data ? txt.data : "", txt.len);
	buf_printf(msg,
		   "\r\n--%s\r\nContent-Type: text/html; charset=utf-8\r\n"
		   "Content-Transfer-Encoding: quoted-printable\r\n\r\n",
		   boundary);
	codec_qp_encode(msg, html.data ? html.data : "", html.len);
	buf_printf(msg, "\r\n--%s--\r\n", boundary);
	if (msg->failed || txt.failed || html.failed) {
		ret = OUTBOX_TEMPORARY;
		goto out;
	}
	if (!(*rcpt = strdup(to))) {
		ret = OUTBOX_TEMPORARY;
		goto out;
	}
	ret = OUTBOX_OK;
out:
	buf_free(&txt);
	buf_free(&html);
	buf_free(&subj);
	buf_free(&clean);
	store_campaign_alert_free(&a);
	return ret;
}
