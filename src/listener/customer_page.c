/* SPDX-License-Identifier: BSD-2-Clause */
/* GET /k/TOKEN/LEVEL and POST /k/TOKEN: IT rates the customer of a closed
 * ticket from the digest's links (customer_page.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "burst.h"
#include "customer_page.h"
#include "customer_rating.h"
#include "log.h"

struct cpage {
	struct survey s;
	int have_s;
	const struct conf_team *team;
	const struct scale *sc;
	char token[TOKEN_BUFSZ];
	int nl;
};

static void esc(struct buf *b, const char *s)
{
	if (s)
		buf_put_html(b, s, strlen(s));
}

/* level: the one chosen (GET) or recorded (POST); recorded: 1 after a
 * POST, so the page says so and rate.js has nothing left to do. */
static void render(const struct rate_env *env, const struct cpage *p, int level,
		   int recorded, struct rate_response *rs)
{
	const char *lang = p->nl ? "nl" : "en";
	const struct scale_level *chosen = scale_level(p->sc, level);
	char csrf[TOKEN_CSRF_LEN + 1];
	struct buf *b = &rs->body;

	if (token_csrf(&env->key, p->token, "customer", csrf) < 0) {
		rate_error(env, 500, rs);
		return;
	}
	buf_reset(b);
	buf_printf(b,
		   "<!doctype html>\n<html lang=\"%s\">\n<head>\n<meta "
		   "charset=\"utf-8\">\n<meta name=\"viewport\" "
		   "content=\"width=device-width, initial-scale=1\">\n<meta "
		   "name=\"robots\" content=\"noindex, nofollow\">\n<title>",
		   lang);
	esc(b, conf_team_customer_question(p->team, lang));
	buf_puts(b, "</title>\n<link rel=\"stylesheet\" href=\"");
	esc(b, env->base_path);
	buf_puts(b, "/static/rate.css\">\n");
	if (!recorded) {
		buf_puts(b, "<script src=\"");
		esc(b, env->base_path);
		buf_puts(b, "/static/rate.js\" defer></script>\n");
	}
	buf_puts(b, "</head>\n<body");
	if (recorded)
		buf_puts(b, " class=\"recorded\"");
	buf_puts(b, ">\n<main>\n<p class=\"context\">");
	esc(b, p->team->display_name);
	buf_puts(b, " &middot; ticket <strong>");
	esc(b, p->s.ticket ? p->s.ticket : "-");
	buf_puts(b, "</strong> <span class=\"subject\">");
	esc(b, p->s.subject);
	buf_puts(b, "</span><br><span class=\"requester\">");
	esc(b, p->s.requester);
	buf_puts(b, "</span></p>\n<h1>");
	esc(b, conf_team_customer_question(p->team, lang));
	buf_printf(b, "</h1>\n<div class=\"chosen lv-%s-%d\">", p->sc->name,
		   level);
	buf_puts(b, "<span class=\"big-emoji\" aria-hidden=\"true\">");
	esc(b, chosen ? chosen->emoji : "");
	buf_puts(b, "</span><span class=\"chosen-label\">");
	esc(b, scale_label(p->sc, level, lang));
	buf_puts(b, "</span></div>\n<p id=\"mm-status\" class=\"status");
	if (recorded)
		buf_puts(b, " status-recorded");
	buf_printf(b,
		   "\" role=\"status\" aria-live=\"polite\" "
		   "data-recorded=\"%s\" data-confirm=\"%s\">",
		   p->nl ? "Dank je, je beoordeling is vastgelegd."
			 : "Thank you, your rating has been recorded.",
		   p->nl ? "Bevestig je beoordeling met de knop hieronder."
			 : "Please confirm your rating with the button "
			   "below.");
	if (recorded)
		buf_puts(b, p->nl ? "Dank je, je beoordeling is vastgelegd."
				  : "Thank you, your rating has been "
				    "recorded.");
	buf_puts(b, "</p>\n<form id=\"mm-form\" method=\"post\" action=\"");
	esc(b, env->base_path);
	buf_puts(b, "/k/");
	esc(b, p->token);
	buf_printf(b,
		   "\" data-level=\"%d\">\n<input type=\"hidden\" "
		   "name=\"csrf\" value=\"",
		   level);
	esc(b, csrf);
	buf_printf(b, "\">\n<fieldset class=\"levels\">\n<legend>%s</legend>\n",
		   p->nl ? "Je beoordeling (je kunt hem nog wijzigen)"
			 : "Your rating (you can still change it)");
	for (int i = 0; i < p->sc->nlevels; i++) {
		const struct scale_level *l = &p->sc->levels[i];
		buf_printf(b,
			   "<input type=\"radio\" name=\"level\" id=\"lv-%d\" "
			   "value=\"%d\"%s>\n<label for=\"lv-%d\" class=\"lv "
			   "lv-%s-%d\"><span class=\"emoji\" "
			   "aria-hidden=\"true\">",
			   l->value, l->value,
			   l->value == level ? " checked" : "", l->value,
			   p->sc->name, l->value);
		esc(b, l->emoji);
		buf_puts(b, "</span><span class=\"label\">");
		esc(b, scale_label(p->sc, l->value, lang));
		buf_puts(b, "</span></label>\n");
	}
	buf_printf(b,
		   "</fieldset>\n<button type=\"submit\" name=\"via\" "
		   "value=\"button\">%s</button>\n</form>\n</main>\n</body>\n"
		   "</html>\n",
		   p->nl ? "Beoordeling opslaan" : "Save my rating");
	rs->status = 200;
	rs->content_type = "text/html; charset=utf-8";
}

/* 0 with p filled; -1 with rs filled (404 or 503). */
static int load(const struct rate_env *env, struct store *st,
		const struct rate_request *rq, const char *tok, size_t toklen,
		struct cpage *p, struct rate_response *rs)
{
	int64_t id = 0;
	enum store_rc rc;
	int valid;

	memset(p, 0, sizeof(*p));
	valid = TOKEN_LEN_OK(toklen) &&
		token_verify_customer(&env->key, tok, toklen, &id) == 0;
	rc = store_survey_get(st, valid ? id : 0, &p->s);
	if (rc != STORE_OK && rc != STORE_NOTFOUND) {
		log_error("store: customer rating: %s",
			  rc == STORE_BUSY ? "busy" : store_errmsg(st));
		rate_error(env, 503, rs);
		return -1;
	}
	p->have_s = rc == STORE_OK;
	if (p->have_s)
		p->team = conf_team_by_name(env->conf, p->s.team);
	if (!valid || !p->have_s || !p->team || !p->team->rate_customer ||
	    !customer_rater(env->conf, p->team, p->s.agent, p->s.requester) ||
	    rq->now > p->s.sent_at + env->conf->listener.link_ttl) {
		rate_not_found(env, rq->accept_language, rs);
		return -1;
	}
	memcpy(p->token, tok, toklen);
	p->token[toklen] = '\0';
	p->sc = conf_team_customer_scale(p->team);
	p->nl = !strcmp(conf_team_language(env->conf, p->team), "nl");
	return 0;
}

static void post(const struct rate_env *env, struct store *st,
		 const struct rate_request *rq, const struct cpage *p,
		 struct rate_response *rs)
{
	struct buf csrf, lv, via;
	int level, rc;

	buf_init(&csrf);
	buf_init(&lv);
	buf_init(&via);
	if (!rate_origin_ok(env, rq->origin)) {
		rate_error(env, 403, rs);
		goto out;
	}
	if (rate_form_get(rq->body, rq->body_len, "csrf", &csrf) < 0 ||
	    rate_form_get(rq->body, rq->body_len, "level", &lv) < 0 ||
	    rate_form_get(rq->body, rq->body_len, "via", &via) < 0) {
		rate_error(env, 400, rs);
		goto out;
	}
	if (!csrf.data ||
	    token_csrf_check(&env->key, p->token, "customer", csrf.data) != 0) {
		log_info("survey %lld: customer rating without a valid csrf "
			 "value ip=%s",
			 (long long)p->s.id, rq->ip);
		rate_error(env, 403, rs);
		goto out;
	}
	if (!lv.data || scale_parse_level(p->sc, lv.data, &level) < 0) {
		rate_error(env, 400, rs);
		goto out;
	}
	/* a mail scanner that runs scripts must not rate: its automatic
	 * confirmation asks for the button instead, as on the rating page */
	if (via.data && !strcmp(via.data, "js") &&
	    burst_scanner_ua(rq->user_agent)) {
		buf_reset(&rs->body);
		buf_puts(&rs->body, "{\"recorded\":false,\"confirm\":true}\n");
		rs->status = 200;
		rs->content_type = "application/json";
		goto out;
	}
	rc = customer_record(st, env->conf, &p->s, level, rq->now);
	if (rc < 0) {
		log_error("store: customer rating survey %lld: %s",
			  (long long)p->s.id, store_errmsg(st));
		rate_error(env, 503, rs);
		goto out;
	}
	if (rc > 0) {
		rate_error(env, 400, rs);
		goto out;
	}
	log_info("survey %lld: customer rated %s ticket=%s team=%s ip=%s",
		 (long long)p->s.id, scale_level(p->sc, level)->key,
		 p->s.ticket ? p->s.ticket : "-", p->team->name, rq->ip);
	if ((via.data && !strcmp(via.data, "js")) ||
	    (rq->accept && strstr(rq->accept, "application/json"))) {
		buf_reset(&rs->body);
		buf_printf(&rs->body,
			   "{\"recorded\":true,\"confirm\":false,\"level\":"
			   "\"%s\"}\n",
			   scale_level(p->sc, level)->key);
		rs->status = 200;
		rs->content_type = "application/json";
	} else {
		render(env, p, level, 1, rs);
	}
out:
	buf_free(&csrf);
	buf_free(&lv);
	buf_free(&via);
}

void customer_page_handle(const struct rate_env *env, struct store *st,
			  const struct rate_request *rq,
			  struct rate_response *rs)
{
	const char *tok = rq->path + 3;
	size_t toklen = strcspn(tok, "/");
	const char *rest = tok + toklen;
	struct cpage p;
	int level;

	rs->status = 0;
	if (strncmp(rq->path, "/k/", 3) != 0 || toklen == 0 ||
	    toklen >= TOKEN_BUFSZ) {
		rate_not_found(env, rq->accept_language, rs);
		return;
	}
	/* GET needs /LEVEL, POST takes none */
	if ((rq->method == RATE_POST) != (*rest == '\0') ||
	    (*rest && (!rest[1] || strchr(rest + 1, '/')))) {
		rate_not_found(env, rq->accept_language, rs);
		return;
	}
	if (load(env, st, rq, tok, toklen, &p, rs) < 0)
		goto out;
	if (rq->method == RATE_POST)
		post(env, st, rq, &p, rs);
	else if (scale_parse_level(p.sc, rest + 1, &level) < 0)
		rate_error(env, 400, rs);
	else
		render(env, &p, level, 0, rs);
out:
	if (p.have_s)
		survey_free(&p.s);
}
