/* SPDX-License-Identifier: BSD-2-Clause */
/* The acknowledge link of a red alert: GET shows it, POST records who took it
 * (ack.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ack.h"
#include "codec.h"
#include "log.h"
#include "rating.h"
#include "store_campaign.h"

/* A red alert (kind "alert": survey s, rating r) or a campaign's
 * detractor alert (kind "campaign-alert": answer c). */
struct ack_ctx {
	int64_t outbox_id;
	struct outbox_item o;
	struct survey s;
	struct rating r;
	struct store_campaign_alert c;
	int have_o, have_s, have_r, have_c;
	char token[TOKEN_BUFSZ];
	int nl;
};

static void ack_ctx_free(struct ack_ctx *a)
{
	if (a->have_o)
		outbox_item_free(&a->o);
	if (a->have_s)
		survey_free(&a->s);
	if (a->have_r)
		rating_free(&a->r);
	if (a->have_c)
		store_campaign_alert_free(&a->c);
}

static void esc(struct buf *b, const char *s)
{
	if (s)
		buf_put_html(b, s, strlen(s));
}

static void page_open(const struct rate_env *env, struct buf *b,
		      const struct ack_ctx *a)
{
	int nl = a->nl;

	buf_printf(b,
		   "<!doctype html>\n<html lang=\"%s\"><head><meta "
		   "charset=\"utf-8\"><meta name=\"viewport\" "
		   "content=\"width=device-width, initial-scale=1\">"
		   "<title>%s</title><link rel=\"stylesheet\" href=\"",
		   nl ? "nl" : "en",
		   a->have_c ? (nl ? "NPS-criticaster" : "NPS detractor")
			     : (nl ? "Rood alarm" : "Red alert"));
	esc(b, env->base_path);
	buf_puts(b, "/static/rate.css\"></head>\n<body><main>\n");
}

static void campaign_summary(struct buf *b, const struct rate_env *env,
			     const struct ack_ctx *a)
{
	const struct conf_team *team =
	    a->c.r.team ? conf_team_by_name(env->conf, a->c.r.team) : NULL;

	buf_puts(b, "<h1>");
	buf_puts(b, a->nl ? "NPS-criticaster: " : "NPS detractor: ");
	esc(b, a->c.r.campaign);
	buf_puts(b, "</h1>\n<p>");
	esc(b, a->c.r.address ? a->c.r.address : "-");
	buf_printf(b, " &middot; %d/10 &middot; ", a->c.level);
	esc(b, team && team->display_name ? team->display_name
					  : (a->c.r.team ? a->c.r.team : "-"));
	buf_puts(b, "</p>\n");
}

static void summary(struct buf *b, const struct rate_env *env,
		    const struct ack_ctx *a)
{
	const struct conf_team *team = NULL;
	const struct scale *sc =
	    conf_survey_scale(env->conf, a->s.team, a->s.scale, &team);
	const char *label =
	    a->have_r ? scale_label(sc, a->r.level, a->nl ? "nl" : "en") : "-";

	if (a->have_c) {
		campaign_summary(b, env, a);
		return;
	}
	buf_puts(b, "<h1>");
	buf_puts(b, a->nl ? "Rood alarm" : "Red alert");
	buf_puts(b, ": ");
	esc(b, a->s.ticket ? a->s.ticket : "-");
	buf_puts(b, "</h1>\n<p>");
	esc(b, a->s.requester ? a->s.requester : "-");
	buf_puts(b, " &middot; ");
	esc(b, label);
	buf_puts(b, " &middot; ");
	esc(b, team && team->display_name ? team->display_name
					  : (a->s.team ? a->s.team : "-"));
	buf_puts(b, "</p>\n");
}

static void fmt_time(char *out, size_t len, int64_t when)
{
	time_t t = (time_t)when;
	struct tm tm;

	if (!localtime_r(&t, &tm) ||
	    !strftime(out, len, "%Y-%m-%d %H:%M %Z", &tm))
		snprintf(out, len, "-");
}

static void acked_page(const struct rate_env *env, const struct ack_ctx *a,
		       const char *by, int64_t at, int just_now,
		       struct rate_response *rs)
{
	char when[64];

	fmt_time(when, sizeof(when), at);
	buf_reset(&rs->body);
	page_open(env, &rs->body, a);
	summary(&rs->body, env, a);
	buf_puts(&rs->body, "<p class=\"acked\">");
	if (just_now)
		buf_puts(&rs->body, a->nl ? "Bevestigd. Dank je! "
					  : "Acknowledged. Thank you! ");
	buf_puts(&rs->body, a->nl ? "Opgepakt door " : "Taken by ");
	esc(&rs->body, by);
	buf_puts(&rs->body, a->nl ? " op " : " at ");
	esc(&rs->body, when);
	buf_puts(&rs->body, ".</p>\n</main></body></html>\n");
	rs->status = 200;
	rs->content_type = "text/html; charset=utf-8";
}

static void form_page(const struct rate_env *env, const struct ack_ctx *a,
		      struct rate_response *rs)
{
	char csrf[TOKEN_CSRF_LEN + 1];

	if (token_csrf(&env->key, a->token, "ack", csrf) < 0) {
		rate_error(env, 500, rs);
		return;
	}
	buf_reset(&rs->body);
	page_open(env, &rs->body, a);
	summary(&rs->body, env, a);
	buf_puts(&rs->body, "<form method=\"post\" action=\"");
	esc(&rs->body, env->base_path);
	buf_puts(&rs->body, "/a/");
	esc(&rs->body, a->token);
	buf_puts(&rs->body, "\">\n<input type=\"hidden\" name=\"csrf\" "
			    "value=\"");
	esc(&rs->body, csrf);
	buf_printf(&rs->body,
		   "\">\n<label for=\"name\">%s</label>\n<input id=\"name\" "
		   "name=\"name\" required maxlength=\"%d\" "
		   "autocomplete=\"name\">\n<button type=\"submit\">%s"
		   "</button>\n</form>\n</main></body></html>\n",
		   a->nl ? "Je naam" : "Your name", ACK_NAME_MAX,
		   a->nl ? "Ik pak dit op" : "I am taking this");
	rs->status = 200;
	rs->content_type = "text/html; charset=utf-8";
}

/* The campaign answer behind a "campaign-alert" row; as load. */
static int load_campaign(const struct rate_env *env, struct store *st,
			 const struct rate_request *rq, const char *tok,
			 size_t toklen, struct ack_ctx *a,
			 struct rate_response *rs)
{
	const struct conf_team *team;
	enum store_rc rc = store_campaign_alert_get(st, a->outbox_id, &a->c);

	if (rc == STORE_NOTFOUND) {
		rate_not_found(env, rq->accept_language, rs);
		return -1;
	}
	if (rc != STORE_OK) {
		log_error("store: acknowledge: %s",
			  rc == STORE_BUSY ? "busy" : store_errmsg(st));
		rate_error(env, 503, rs);
		return -1;
	}
	a->have_c = 1;
	memcpy(a->token, tok, toklen);
	a->token[toklen] = '\0';
	team = a->c.r.team ? conf_team_by_name(env->conf, a->c.r.team) : NULL;
	a->nl = page_lang_id(conf_team_language(env->conf, team)) == PAGE_NL;
	return 0;
}

/* 0 with a filled; -1 with rs filled (404 or 503). */
static int load(const struct rate_env *env, struct store *st,
		const struct rate_request *rq, const char *tok, size_t toklen,
		struct ack_ctx *a, struct rate_response *rs)
{
	enum store_rc rc;
	int valid, lang = -1;
	const struct conf_team *team;

	memset(a, 0, sizeof(*a));
	valid = TOKEN_LEN_OK(toklen) &&
		token_verify_ack(&env->key, tok, toklen, &a->outbox_id) == 0;
	rc = store_outbox_get(st, valid ? a->outbox_id : 0, &a->o, NULL);
	if (rc == STORE_OK)
		a->have_o = 1;
	else if (rc != STORE_NOTFOUND)
		goto failed;
	if (valid && a->have_o && a->o.kind == OUTBOX_CAMPAIGN_ALERT)
		return load_campaign(env, st, rq, tok, toklen, a, rs);
	if (!valid || !a->have_o || a->o.kind != OUTBOX_ALERT ||
	    !a->o.survey_id) {
		rate_not_found(env, rq->accept_language, rs);
		return -1;
	}
	rc = store_survey_get(st, a->o.survey_id, &a->s);
	if (rc == STORE_NOTFOUND) {
		rate_not_found(env, rq->accept_language, rs);
		return -1;
	}
	if (rc != STORE_OK)
		goto failed;
	a->have_s = 1;
	if (a->o.rating_id) {
		struct rating *r = NULL;
		size_t n = 0;
		if (store_rating_list(st, a->s.id, &r, &n) != STORE_OK)
			goto failed;
		for (size_t i = 0; i < n; i++)
			if (r[i].id == a->o.rating_id) {
				a->r = r[i];
				memset(&r[i], 0, sizeof(r[i]));
				a->have_r = 1;
			}
		rating_list_free(r, n);
	}
	memcpy(a->token, tok, toklen);
	a->token[toklen] = '\0';
	team = conf_team_by_name(env->conf, a->s.team);
	lang = page_lang_id(conf_team_language(env->conf, team));
	a->nl = lang == PAGE_NL;
	return 0;
failed:
	log_error("store: acknowledge: %s",
		  rc == STORE_BUSY ? "busy" : store_errmsg(st));
	rate_error(env, 503, rs);
	return -1;
}

static void ack_get(const struct rate_env *env, struct store *st,
		    const struct ack_ctx *a, struct rate_response *rs)
{
	char *by = NULL;
	int64_t at = 0;
	enum store_rc rc = store_alert_ack(st, a->outbox_id, NULL, 0, &by, &at);

	if (rc == STORE_OK)
		acked_page(env, a, by, at, 0, rs);
	else if (rc == STORE_NOTFOUND)
		form_page(env, a, rs);
	else
		rate_error(env, 503, rs);
	free(by);
}

static void ack_post(const struct rate_env *env, struct store *st,
		     const struct rate_request *rq, const struct ack_ctx *a,
		     struct rate_response *rs)
{
	struct buf name, csrf, clean;
	char *by = NULL;
	int64_t at = 0;
	enum store_rc rc;

	buf_init(&name);
	buf_init(&csrf);
	buf_init(&clean);
	if (!rate_origin_ok(env, rq->origin)) {
		rate_error(env, 403, rs);
		goto out;
	}
	if (rate_form_get(rq->body, rq->body_len, "csrf", &csrf) < 0 ||
	    rate_form_get(rq->body, rq->body_len, "name", &name) < 0) {
		rate_error(env, 400, rs);
		goto out;
	}
	if (!csrf.data ||
	    token_csrf_check(&env->key, a->token, "ack", csrf.data) != 0) {
		log_info("outbox %lld: acknowledge without a valid csrf value "
			 "ip=%s",
			 (long long)a->outbox_id, rq->ip);
		rate_error(env, 403, rs);
		goto out;
	}
	/* a name is one line of text: it ends up in reports and mails */
	for (char *p = name.data; p && *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	if (name.data)
		codec_utf8_truncate(name.data, ACK_NAME_MAX);
	{
		const char *s = name.data ? name.data : "";
		while (*s == ' ')
			s++;
		buf_puts(&clean, s);
		while (clean.len && clean.data[clean.len - 1] == ' ')
			clean.data[--clean.len] = '\0';
	}
	if (!clean.len) {
		rate_error(env, 400, rs);
		goto out;
	}
	rc = store_alert_ack(st, a->outbox_id, clean.data, rq->now, &by, &at);
	if (rc != STORE_OK) {
		log_error("store: acknowledge outbox %lld: %s",
			  (long long)a->outbox_id, store_errmsg(st));
		rate_error(env, 503, rs);
		goto out;
	}
	if (at == rq->now && by && !strcmp(by, clean.data) && a->have_c)
		log_info("outbox %lld: campaign-alert %s recipient %lld "
			 "acknowledged by '%s' ip=%s",
			 (long long)a->outbox_id, a->c.r.campaign,
			 (long long)a->c.r.id, by, rq->ip);
	else if (at == rq->now && by && !strcmp(by, clean.data))
		log_info("outbox %lld: alert survey %lld ticket=%s "
			 "acknowledged by '%s' ip=%s",
			 (long long)a->outbox_id, (long long)a->s.id,
			 a->s.ticket ? a->s.ticket : "-", by, rq->ip);
	acked_page(env, a, by, at, 1, rs);
out:
	free(by);
	buf_free(&name);
	buf_free(&csrf);
	buf_free(&clean);
}

void ack_handle(const struct rate_env *env, struct store *st,
		const struct rate_request *rq, struct rate_response *rs)
{
	const char *tok = rq->path + 3;
	size_t toklen = strcspn(tok, "/");
	struct ack_ctx a;

	rs->status = 0;
	if (strncmp(rq->path, "/a/", 3) != 0 || toklen == 0 ||
	    (tok[toklen] && tok[toklen + 1])) {
		rate_not_found(env, rq->accept_language, rs);
		return;
	}
	if (load(env, st, rq, tok, toklen, &a, rs) < 0) {
		ack_ctx_free(&a);
		return;
	}
	if (rq->method == RATE_POST)
		ack_post(env, st, rq, &a, rs);
	else
		ack_get(env, st, &a, rs);
	ack_ctx_free(&a);
}
