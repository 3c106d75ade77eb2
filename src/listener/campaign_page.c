/* SPDX-License-Identifier: BSD-2-Clause */
/* The campaign answer and unsubscribe pages (campaign_page.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "burst.h"
#include "campaign_page.h"
#include "codec.h"
#include "campaign_send.h"
#include "conf_campaign.h"
#include "hitlog.h"
#include "log.h"
#include "outbox.h"
#include "store_campaign.h"

struct cp_ctx {
	struct store_campaign_row r;
	const struct conf_campaign *k;
	char token[TOKEN_BUFSZ];
	int nl;
};

static void esc(struct buf *b, const char *s)
{
	if (s)
		buf_put_html(b, s, strlen(s));
}

/* Eleven choices in one row that shrinks with the screen: a 320 px phone
 * still shows 0 to 10 without scrolling sideways. */
static const char cp_style[] =
    "body{font-family:system-ui,sans-serif;margin:0;padding:1em;color:#222;"
    "max-width:40em}"
    ".nps{display:flex;gap:3px;margin:1em 0}"
    ".nps button{flex:1 1 0;min-width:0;padding:.7em 0;border:2px solid "
    "transparent;border-radius:4px;color:#fff;font-weight:bold;font-size:"
    "1em}"
    ".nps button.d{background:#c0392b}.nps button.p{background:#b9770e}"
    ".nps button.g{background:#1e8449}"
    ".nps button[aria-pressed=true]{border-color:#000;outline:2px solid "
    "#fff;outline-offset:-4px}"
    ".ends{display:flex;justify-content:space-between;font-size:.8em}"
    "textarea{width:100%;box-sizing:border-box;min-height:5em}"
    ".send{margin-top:1em;padding:.6em 1.5em;font-size:1em}";

/* The style is a file of its own: the CSP (http.c) allows no inline
 * style. */
#define CP_CSS_PATH "/c/campaign.css"

/* script: the closure pages' rate.js, which confirms the chosen level
 * once a person sees the page (the POST classifier decides whether that
 * counts) */
static void page_open(const struct rate_env *env, struct buf *b, int nl,
		      const char *title, int script)
{
	buf_printf(b,
		   "<!doctype html>\n<html lang=\"%s\"><head><meta "
		   "charset=\"utf-8\"><meta name=\"viewport\" "
		   "content=\"width=device-width, initial-scale=1\"><meta "
		   "name=\"robots\" content=\"noindex, nofollow\"><title>",
		   nl ? "nl" : "en");
	esc(b, title);
	buf_puts(b, "</title><link rel=\"stylesheet\" href=\"");
	esc(b, env->base_path);
	buf_puts(b, CP_CSS_PATH "\">");
	if (script) {
		buf_puts(b, "<script src=\"");
		esc(b, env->base_path);
		buf_puts(b, "/static/rate.js\" defer></script>");
	}
	buf_puts(b, "</head>\n<body><main>\n");
}

static void page_close(struct buf *b)
{
	buf_puts(b, "</main></body></html>\n");
}

static int cp_load(const struct rate_env *env, struct store *st,
		   const struct rate_request *rq, const char *tok,
		   size_t toklen, struct cp_ctx *a, struct rate_response *rs)
{
	int64_t id;
	enum store_rc rc;

	memset(a, 0, sizeof(*a));
	if (toklen >= sizeof(a->token) ||
	    token_verify_campaign(&env->key, tok, toklen, &id) < 0) {
		rate_not_found(env, rq->accept_language, rs);
		return -1;
	}
	rc = store_campaign_recipient(st, id, &a->r);
	if (rc == STORE_NOTFOUND) {
		rate_not_found(env, rq->accept_language, rs);
		return -1;
	}
	if (rc != STORE_OK) {
		log_error("store: campaign recipient %lld: %s", (long long)id,
			  store_errmsg(st));
		rate_error(env, 503, rs);
		return -1;
	}
	memcpy(a->token, tok, toklen);
	a->token[toklen] = '\0';
	a->k = conf_campaign_by_name(env->conf, a->r.campaign);
	a->nl = a->r.language && !strcmp(a->r.language, "nl");
	return 0;
}

static void question_page(const struct rate_env *env, const struct cp_ctx *a,
			  int level, int saved, struct rate_response *rs)
{
	struct buf *b = &rs->body;
	char csrf[TOKEN_CSRF_LEN + 1];
	const char *q =
	    a->k ? conf_campaign_question(a->k, a->nl ? "nl" : "en") : "";

	if (token_csrf(&env->key, a->token, "campaign", csrf) < 0) {
		rate_error(env, 500, rs);
		return;
	}
	buf_reset(b);
	page_open(env, b, a->nl, a->nl ? "Uw mening" : "Your opinion",
		  level >= 0 && !saved);
	if (saved)
		buf_puts(b, a->nl ? "<p class=\"saved\"><strong>Dank u! Uw "
				    "antwoord is opgeslagen.</strong> U kunt "
				    "het hieronder nog aanpassen.</p>\n"
				  : "<p class=\"saved\"><strong>Thank you! "
				    "Your answer is saved.</strong> You can "
				    "still change it below.</p>\n");
	buf_puts(b, "<h1>");
	esc(b, q);
	buf_puts(b, "</h1>\n");
	if (level >= 0 && !saved)
		buf_puts(b, a->nl
				? "<p id=\"mm-status\" class=\"status\" "
				  "role=\"status\" aria-live=\"polite\" "
				  "data-recorded=\"Dank u! Uw antwoord is "
				  "opgeslagen.\" data-confirm=\"Bevestig uw "
				  "antwoord met de knop hieronder.\"></p>\n"
				: "<p id=\"mm-status\" class=\"status\" "
				  "role=\"status\" aria-live=\"polite\" "
				  "data-recorded=\"Thank you! Your answer is "
				  "saved.\" data-confirm=\"Please confirm your "
				  "answer with the button below.\"></p>\n");
	buf_puts(b, "<form id=\"mm-form\" method=\"post\" action=\"");
	esc(b, env->base_path);
	buf_puts(b, "/c/");
	esc(b, a->token);
	if (level >= 0)
		buf_printf(b, "\" data-level=\"%d", level);
	buf_printf(b,
		   "\">\n<input type=\"hidden\" name=\"csrf\" value=\"%s\">\n"
		   "<div class=\"nps\" role=\"group\">\n",
		   csrf);
	for (int i = 0; i <= 10; i++)
		buf_printf(b,
			   "<button type=\"submit\" name=\"level\" "
			   "value=\"%d\" class=\"%s\" aria-pressed=\"%s\">%d"
			   "</button>\n",
			   i,
			   i <= 6   ? "d"
			   : i <= 8 ? "p"
				    : "g",
			   i == level ? "true" : "false", i);
	buf_printf(
	    b,
	    "</div>\n<div class=\"ends\"><span>%s</span><span>%s"
	    "</span></div>\n",
	    a->nl ? "0 = zeer onwaarschijnlijk" : "0 = not at all likely",
	    a->nl ? "10 = zeer waarschijnlijk" : "10 = extremely likely");
	if (level >= 0)
		buf_printf(b,
			   "<p>%s <strong>%d</strong></p>\n<input "
			   "type=\"hidden\" name=\"chosen\" value=\"%d\">\n",
			   a->nl ? "Gekozen:" : "Chosen:", level, level);
	buf_printf(b,
		   "<p><label for=\"better\">%s</label></p>\n<textarea "
		   "id=\"better\" name=\"better\"></textarea>\n<p><button "
		   "class=\"send\" type=\"submit\" name=\"level\" value=\"%d\">"
		   "%s</button></p>\n</form>\n",
		   a->nl ? "Wat kunnen we beter doen?"
			 : "What could we do better?",
		   level >= 0 ? level : 10, a->nl ? "Versturen" : "Send");
	page_close(b);
	rs->status = 200;
	rs->content_type = "text/html; charset=utf-8";
}

/* GET never records an answer: it shows the page and keeps the hit for
 * the burst classifier, as a closure link does (rate.c). */
static void cp_get(const struct rate_env *env, struct store *st,
		   const struct rate_request *rq, const struct cp_ctx *a,
		   const char *level_text, struct rate_response *rs)
{
	char *end, key[4];
	long level = -1;

	if (level_text) {
		level = strtol(level_text, &end, 10);
		if (end == level_text || *end || level < 0 || level > 10) {
			rate_error(env, 400, rs);
			return;
		}
	}
	if (level >= 0) {
		struct hitlog_hit h;
		memset(&h, 0, sizeof(h));
		h.survey_id = a->r.id;
		h.campaign = 1;
		h.level = (int)level;
		h.sent_at = a->r.sent_at;
		/* an anonymous campaign's hits keep no address, not even in
		 * the log */
		h.ip = a->r.anonymous ? "-" : rq->ip;
		snprintf(key, sizeof(key), "%ld", level);
		h.level_key = key;
		rate_hit(env, st, rq, &h);
	}
	question_page(env, a, (int)level, 0, rs);
}

/* The burst classifier's word on a POST (burst.h), as for a closure
 * rating: a scanner's user agent is refused, the page script's automatic
 * confirmation during a burst over several levels asks for a click. */
static void cp_post(const struct rate_env *env, struct store *st,
		    const struct rate_request *rq, const struct cp_ctx *a,
		    struct rate_response *rs)
{
	struct buf level, csrf, better, via;
	char *end, key[4];
	const char *comment;
	long lv;
	int automatic, json;
	int64_t answer_id;
	enum store_rc rc = STORE_NOTFOUND;
	enum burst_reason verdict;
	struct store_campaign_followup f;

	buf_init(&level);
	buf_init(&csrf);
	buf_init(&better);
	buf_init(&via);
	if (!rate_origin_ok(env, rq->origin)) {
		rate_error(env, 403, rs);
		goto out;
	}
	if (rate_form_get(rq->body, rq->body_len, "csrf", &csrf) < 0 ||
	    rate_form_get(rq->body, rq->body_len, "level", &level) < 0 ||
	    rate_form_get(rq->body, rq->body_len, "better", &better) < 0 ||
	    rate_form_get(rq->body, rq->body_len, "via", &via) < 0) {
		rate_error(env, 400, rs);
		goto out;
	}
	if (!csrf.data ||
	    token_csrf_check(&env->key, a->token, "campaign", csrf.data)) {
		rate_error(env, 403, rs);
		goto out;
	}
	lv = level.data ? strtol(level.data, &end, 10) : -1;
	if (!level.data || end == level.data || *end || lv < 0 || lv > 10) {
		rate_error(env, 400, rs);
		goto out;
	}
	snprintf(key, sizeof(key), "%ld", lv);
	automatic = via.data && !strcmp(via.data, "js");
	json = rate_wants_json(rq, automatic);
	verdict = rate_burst_verdict(env, st, rq, a->r.sent_at, (int)lv,
				     automatic, hitlog_prior_campaign, a->r.id);
	if (verdict == BURST_SCANNER_UA) {
		log_info("campaign %s recipient %lld: POST from a scanner "
			 "ignored",
			 a->r.campaign, (long long)a->r.id);
		rate_error(env, 403, rs);
		goto out;
	}
	if (verdict == BURST_LEVELS) {
		log_info("campaign %s recipient %lld: automatic confirmation "
			 "during a burst, asking for a click",
			 a->r.campaign, (long long)a->r.id);
		rate_json_answer(rs, 0, key);
		goto out;
	}
	if (better.data)
		codec_utf8_truncate(better.data,
				    env->conf->listener.comment_max);
	comment = better.len ? better.data : NULL;
	campaign_followup(env->conf, &a->r, (int)lv, comment, rq->now, &f);
	/* The same level again from the web (the comment box after the
	 * script's confirmation) adds the comment; another level is a new
	 * answer, the old one history. */
	if (a->r.level == lv)
		rc = store_campaign_comment(st, a->r.id, (int)lv, RATING_WEB,
					    NULL, comment, rq->now, &f);
	if (rc == STORE_NOTFOUND)
		rc = store_campaign_answer(st, a->r.id, (int)lv, RATING_WEB,
					   NULL, comment, rq->now, &f,
					   &answer_id);
	if (rc != STORE_OK) {
		log_error("store: campaign answer: %s", store_errmsg(st));
		rate_error(env, 503, rs);
		goto out;
	}
	if (f.kind != OUTBOX_KIND_UNKNOWN)
		outbox_notify();
	log_info("campaign %s recipient %lld: answer %ld (web%s)",
		 a->r.campaign, (long long)a->r.id, lv,
		 automatic ? ", script" : "");
	if (json)
		rate_json_answer(rs, 1, key);
	else
		question_page(env, a, (int)lv, 1, rs);
out:
	buf_free(&level);
	buf_free(&csrf);
	buf_free(&better);
	buf_free(&via);
}

static void unsub_page(const struct rate_env *env, const struct cp_ctx *a,
		       int done, struct rate_response *rs)
{
	struct buf *b = &rs->body;
	char csrf[TOKEN_CSRF_LEN + 1];

	buf_reset(b);
	page_open(env, b, a->nl, a->nl ? "Afmelden" : "Unsubscribe", 0);
	if (done) {
		buf_puts(b, a->nl ? "<h1>U bent afgemeld</h1>\n<p>U krijgt "
				    "deze vraag niet meer.</p>\n"
				  : "<h1>You are unsubscribed</h1>\n<p>You "
				    "will not get this question again.</p>\n");
	} else if (token_csrf(&env->key, a->token, "unsubscribe", csrf) < 0) {
		rate_error(env, 500, rs);
		return;
	} else {
		buf_puts(b, a->nl ? "<h1>Afmelden?</h1>\n<p>U krijgt dan "
				    "geen vragen als deze meer.</p>\n"
				  : "<h1>Unsubscribe?</h1>\n<p>You will not "
				    "get questions like this one again.</p>\n");
		buf_puts(b, "<form method=\"post\" action=\"");
		esc(b, env->base_path);
		buf_puts(b, "/u/");
		esc(b, a->token);
		buf_printf(b,
			   "\"><input type=\"hidden\" name=\"csrf\" "
			   "value=\"%s\"><button class=\"send\" "
			   "type=\"submit\">%s</button></form>\n",
			   csrf, a->nl ? "Afmelden" : "Unsubscribe");
	}
	page_close(b);
	rs->status = 200;
	rs->content_type = "text/html; charset=utf-8";
}

/* RFC 8058: the mail provider POSTs "List-Unsubscribe=One-Click" from its
 * servers, without our page, Origin or CSRF value: the signed token is
 * the authority. The page's own form carries a CSRF value instead. */
static void unsub_post(const struct rate_env *env, struct store *st,
		       const struct rate_request *rq, const struct cp_ctx *a,
		       struct rate_response *rs)
{
	struct buf one, csrf;
	int ok;

	buf_init(&one);
	buf_init(&csrf);
	if (rate_form_get(rq->body, rq->body_len, "List-Unsubscribe", &one) <
		0 ||
	    rate_form_get(rq->body, rq->body_len, "csrf", &csrf) < 0) {
		rate_error(env, 400, rs);
		goto out;
	}
	ok = (one.data && !strcmp(one.data, "One-Click")) ||
	     (csrf.data && rate_origin_ok(env, rq->origin) &&
	      !token_csrf_check(&env->key, a->token, "unsubscribe", csrf.data));
	if (!ok) {
		rate_error(env, 403, rs);
		goto out;
	}
	if (!a->r.address) {
		/* an anonymous answer dropped the address: nothing to tie
		 * the unsubscribe to, and it must stay that way */
		log_info("campaign %s recipient %lld: unsubscribe after an "
			 "anonymous answer: address no longer known",
			 a->r.campaign, (long long)a->r.id);
	} else if (store_campaign_unsubscribe(st, a->r.address, rq->now) !=
		   STORE_OK) {
		log_error("store: campaign unsubscribe: %s", store_errmsg(st));
		rate_error(env, 503, rs);
		goto out;
	} else {
		log_info("campaign %s recipient %lld: unsubscribed",
			 a->r.campaign, (long long)a->r.id);
	}
	unsub_page(env, a, 1, rs);
out:
	buf_free(&one);
	buf_free(&csrf);
}

void campaign_page_handle(const struct rate_env *env, struct store *st,
			  const struct rate_request *rq,
			  struct rate_response *rs)
{
	const char *tok = rq->path + 3;
	size_t toklen = strcspn(tok, "/");
	const char *rest = tok[toklen] ? tok + toklen + 1 : NULL;
	int unsub = rq->path[1] == 'u';
	struct cp_ctx a;

	rs->status = 0;
	if (!strcmp(rq->path, CP_CSS_PATH)) {
		rs->status = 200;
		rs->content_type = "text/css; charset=utf-8";
		buf_puts(&rs->body, cp_style);
		return;
	}
	if (toklen == 0 || (rest && (unsub || strchr(rest, '/'))) ||
	    (rest && rq->method == RATE_POST)) {
		rate_not_found(env, rq->accept_language, rs);
		return;
	}
	if (cp_load(env, st, rq, tok, toklen, &a, rs) < 0) {
		store_campaign_row_free(&a.r);
		return;
	}
	if (unsub && rq->method == RATE_POST)
		unsub_post(env, st, rq, &a, rs);
	else if (unsub)
		unsub_page(env, &a, 0, rs);
	else if (rq->method == RATE_POST)
		cp_post(env, st, rq, &a, rs);
	else
		cp_get(env, st, rq, &a, rest && *rest ? rest : NULL, rs);
	store_campaign_row_free(&a.r);
}
