/* SPDX-License-Identifier: BSD-2-Clause */
/* The rating routes GET /r/TOKEN/LEVEL and POST /r/TOKEN (rate.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "burst.h"
#include "codec.h"
#include "hitlog.h"
#include "log.h"
#include "metrics.h"
#include "outbox.h"
#include "rate.h"
#include "rating.h"
#include "scale.h"

/* ------------------------------------------------------------ env */

static int split_base_url(struct rate_env *e, const char *url)
{
	const char *host = strstr(url, "://"), *path;
	size_t plen;

	if (!host)
		return -1;
	path = strchr(host + 3, '/');
	if (!path)
		path = host + strlen(host);
	e->origin = strndup(url, (size_t)(path - url));
	plen = strlen(path);
	while (plen > 0 && path[plen - 1] == '/')
		plen--;
	e->base_path = strndup(path, plen);
	return e->origin && e->base_path ? 0 : -1;
}

int rate_env_new(const struct conf *c, const struct token_key *key,
		 struct rate_env **out, char *err, size_t errlen)
{
	struct rate_env *e = calloc(1, sizeof(*e));

	if (!e) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	e->conf = c;
	e->key = *key;
	if (split_base_url(e, c->general.base_url) < 0) {
		snprintf(err, errlen, "[general] base_url: cannot parse '%s'",
			 c->general.base_url);
		rate_env_free(e);
		return -1;
	}
	if (page_set_load(c->general.templates, &e->pages, err, errlen) < 0) {
		rate_env_free(e);
		return -1;
	}
	*out = e;
	return 0;
}

void rate_env_free(struct rate_env *e)
{
	if (!e)
		return;
	page_set_free(e->pages);
	free(e->base_path);
	free(e->origin);
	memset(&e->key, 0, sizeof(e->key));
	free(e);
}

/* ------------------------------------------------------------ forms */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int url_decode(const char *p, size_t n, struct buf *out)
{
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			int hi, lo;
			if (i + 2 >= n)
				return -1;
			hi = hexval(p[i + 1]);
			lo = hexval(p[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = (char)(hi * 16 + lo);
			i += 2;
		}
		if (c == '\0')
			return -1; /* C strings: a NUL would cut the text */
		buf_putc(out, c);
	}
	return 0;
}

int rate_form_get(const char *body, size_t len, const char *key,
		  struct buf *out)
{
	const char *p = body, *end = body + len;
	size_t klen = strlen(key);

	buf_reset(out);
	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *fend = amp ? amp : end;
		const char *eq = memchr(p, '=', (size_t)(fend - p));
		const char *kend = eq ? eq : fend;
		struct buf k;
		int match;

		buf_init(&k);
		if (url_decode(p, (size_t)(kend - p), &k) < 0) {
			buf_free(&k);
			return -1;
		}
		match = k.len == klen && !memcmp(k.data, key, klen);
		buf_free(&k);
		if (match) {
			if (eq && url_decode(eq + 1, (size_t)(fend - eq - 1),
					     out) < 0)
				return -1;
			if (!out->data)
				buf_puts(out, "");
			return out->failed ? -1 : 1;
		}
		p = fend + (amp ? 1 : 0);
	}
	return 0;
}

/* ------------------------------------------------------------ pages */

struct rate_survey {
	struct survey s;
	const struct conf_team *team;
	const struct scale *scale;
	char token[TOKEN_BUFSZ];
	int lang;
	int loaded;
	int cached; /* s belongs to the thread's survey cache */
};

/* Surveys recently looked up by this thread. A survey row never changes
 * after the milter wrote it (only purge deletes it), and a link is opened
 * again and again (the page, its confirmation, scanners, the comment
 * POST): a GET served from here skips the store read (tests/bench/http).
 * An entry is trusted for SURVEY_CACHE_TTL seconds, so a purged survey's
 * page may show that long; a rating for it then finds no survey.
 * Per thread, so no lock: a request never outlives its thread's use of
 * the entry it borrowed. */
#define SURVEY_CACHE_SIZE 4096 /* a power of two; about 1 MiB when full */
#define SURVEY_CACHE_TTL 10

struct survey_cache {
	struct {
		struct survey s;
		int64_t at; /* 0: empty */
	} e[SURVEY_CACHE_SIZE];
};

static pthread_key_t survey_cache_key;
static pthread_once_t survey_cache_once = PTHREAD_ONCE_INIT;

static void survey_cache_free(void *p)
{
	struct survey_cache *c = p;

	for (size_t i = 0; i < SURVEY_CACHE_SIZE; i++)
		survey_free(&c->e[i].s);
	free(c);
}

static void survey_cache_init(void)
{
	pthread_key_create(&survey_cache_key, survey_cache_free);
}

/* The thread's cache slot for id; NULL when there is no cache. */
static struct survey_cache *survey_cache(void)
{
	struct survey_cache *c;

	pthread_once(&survey_cache_once, survey_cache_init);
	if (!(c = pthread_getspecific(survey_cache_key)) &&
	    (c = calloc(1, sizeof(*c))) &&
	    pthread_setspecific(survey_cache_key, c) != 0) {
		free(c);
		c = NULL;
	}
	return c;
}

/* Fills out (borrowed, do not free) from the cache or the store, and
 * keeps what the store answered. */
static enum store_rc survey_lookup(struct store *st, int64_t id, int64_t now,
				   struct survey *out, int *cached)
{
	struct survey_cache *c = id > 0 ? survey_cache() : NULL;
	size_t slot = (size_t)id & (SURVEY_CACHE_SIZE - 1);
	enum store_rc rc;

	*cached = 0;
	if (c && c->e[slot].at && c->e[slot].s.id == id &&
	    now - c->e[slot].at < SURVEY_CACHE_TTL && now >= c->e[slot].at) {
		*out = c->e[slot].s;
		*cached = 1;
		return STORE_OK;
	}
	rc = store_survey_get(st, id, out);
	if (rc == STORE_OK && c) {
		survey_free(&c->e[slot].s);
		c->e[slot].s = *out;
		c->e[slot].at = now;
		*cached = 1;
	}
	return rc;
}

static int pick_lang(const struct rate_env *env, const struct conf_team *t,
		     const struct survey *s, const char *accept_language)
{
	int l = -1;

	if (t && t->language)
		l = page_lang_id(t->language);
	if (l < 0)
		l = page_lang_accept(accept_language);
	if (l < 0 && s && s->language)
		l = page_lang_id(s->language);
	if (l < 0)
		l = page_lang_id(env->conf->general.language);
	return l < 0 ? PAGE_EN : l;
}

static void render(const struct rate_env *env, int lang, enum page_id id,
		   const struct tmpl_var *vars, size_t n,
		   struct rate_response *rs)
{
	char err[256];

	buf_reset(&rs->body);
	rs->content_type = "text/html; charset=utf-8";
	if (page_render(&rs->body, env->pages, lang, id, vars, n, err,
			sizeof(err)) < 0) {
		/* templates were checked at load: only OOM gets here */
		log_error("rendering a page: %s", err);
		rate_error(env, 500, rs);
	}
}

void rate_not_found(const struct rate_env *env, const char *accept_language,
		    struct rate_response *rs)
{
	int lang = pick_lang(env, NULL, NULL, accept_language);
	const struct tmpl_var vars[] = {
	    {"lang", page_lang_name(lang)},
	    {"base_path", env->base_path},
	};

	render(env, lang, PAGE_EXPIRED, vars, sizeof(vars) / sizeof(vars[0]),
	       rs);
	rs->status = 404;
}

/* A browser names the page's origin; a form posted from another site is
 * refused even before the CSRF value is looked at. Our own pages' forms
 * arrive with "Origin: null": Referrer-Policy no-referrer makes browsers
 * hide the origin of a form POST (seen in Chromium); the CSRF value still
 * has to match. No Origin at all (curl, old browsers): CSRF decides. */
int rate_origin_ok(const struct rate_env *env, const char *origin)
{
	return !origin || !strcmp(origin, "null") ||
	       !strcmp(origin, env->origin);
}

void rate_error(const struct rate_env *env, int status,
		struct rate_response *rs)
{
	const char *what;

	switch (status) {
	case 400:
		what = "Bad request";
		break;
	case 403:
		what = "Forbidden";
		break;
	case 405:
		what = "Method not allowed";
		break;
	case 413:
		what = "Request too large";
		break;
	case 431:
		what = "Request headers too large";
		break;
	case 503:
		what = "Temporarily unavailable, please try again";
		break;
	default:
		status = 500;
		what = "Internal error";
	}
	buf_reset(&rs->body);
	buf_printf(
	    &rs->body,
	    "<!doctype html>\n<html lang=\"en\"><head><meta "
	    "charset=\"utf-8\"><meta name=\"viewport\" "
	    "content=\"width=device-width, initial-scale=1\">"
	    "<title>%d %s</title><link rel=\"stylesheet\" "
	    "href=\"%s/static/rate.css\"></head>\n<body><main><h1>%s</h1>"
	    "</main></body></html>\n",
	    status, what, env ? env->base_path : "", what);
	rs->status = status;
	rs->content_type = "text/html; charset=utf-8";
}

/* The level choices as radio buttons: a fragment built here from the
 * scale table, inserted raw ({{{levels}}}). */
static void put_int(struct buf *b, int v)
{
	char tmp[16];
	int n;

	if (v >= 0 && v < 10) {
		buf_putc(b, (char)('0' + v));
		return;
	}
	n = snprintf(tmp, sizeof(tmp), "%d", v);
	buf_append(b, tmp, n > 0 ? (size_t)n : 0);
}

#define PUT_LIT(b, s) buf_append((b), (s), sizeof(s) - 1)

static void levels_fragment(struct buf *b, const struct rate_survey *rv,
			    int chosen)
{
	const struct scale *s = rv->scale;

	for (int i = 0; i < s->nlevels; i++) {
		const struct scale_level *l = &s->levels[i];
		const char *label =
		    scale_label(s, l->value, page_lang_name(rv->lang));
		PUT_LIT(b, "<input type=\"radio\" name=\"level\" id=\"lv-");
		put_int(b, l->value);
		PUT_LIT(b, "\" value=\"");
		buf_put_html(b, l->key, strlen(l->key));
		PUT_LIT(b, "\"");
		if (l->value == chosen)
			PUT_LIT(b, " checked");
		PUT_LIT(b, ">\n<label for=\"lv-");
		put_int(b, l->value);
		PUT_LIT(b, "\" class=\"lv lv-");
		buf_put_html(b, s->name, strlen(s->name));
		PUT_LIT(b, "-");
		put_int(b, l->value);
		PUT_LIT(b, "\"><span class=\"emoji\" aria-hidden=\"true\">");
		buf_put_html(b, l->emoji, strlen(l->emoji));
		PUT_LIT(b, "</span><span class=\"label\">");
		buf_put_html(b, label, strlen(label));
		PUT_LIT(b, "</span></label>\n");
	}
}

/* landing (rating not yet known to count) or thanks (rating recorded) */
static void render_rating_page(const struct rate_env *env,
			       const struct rate_survey *rv, enum page_id id,
			       int level, const char *why, const char *better,
			       struct rate_response *rs)
{
	const struct scale_level *l = scale_level(rv->scale, level);
	char action[512], csrf[TOKEN_CSRF_LEN + 1], cls[64], cmax[16];
	struct buf levels;
	const char *team = rv->team && rv->team->display_name
			       ? rv->team->display_name
			       : rv->s.team;
	/* the closure mail's subject beside the ticket; in its place when
	 * the rule captured no ticket */
	int has_ticket = rv->s.ticket && *rv->s.ticket;
	const char *ticket = has_ticket ? rv->s.ticket : rv->s.subject;
	const char *subject = has_ticket ? rv->s.subject : NULL;

	snprintf(action, sizeof(action), "%s/r/%s", env->base_path, rv->token);
	if (token_csrf(&env->key, rv->token, "rate", csrf) < 0) {
		rate_error(env, 500, rs);
		return;
	}
	snprintf(cls, sizeof(cls), "lv-%s-%d", rv->scale->name, level);
	snprintf(cmax, sizeof(cmax), "%d", env->conf->listener.comment_max);
	buf_init(&levels);
	levels_fragment(&levels, rv, level);
	{
		const struct tmpl_var vars[] = {
		    {"lang", page_lang_name(rv->lang)},
		    {"base_path", env->base_path},
		    {"team", team},
		    {"ticket", ticket},
		    {"subject", subject},
		    {"action", action},
		    {"csrf", csrf},
		    {"level", l->key},
		    {"label",
		     scale_label(rv->scale, level, page_lang_name(rv->lang))},
		    {"emoji", l->emoji},
		    {"level_class", cls},
		    {"levels", levels.data},
		    {"comment_max", cmax},
		    {"why", why},
		    {"better", better},
		};
		render(env, rv->lang, id, vars, sizeof(vars) / sizeof(vars[0]),
		       rs);
	}
	buf_free(&levels);
	if (rs->status == 0)
		rs->status = 200;
}

/* ------------------------------------------------------------ lookup */

static int store_failed(const struct rate_env *env, struct store *st,
			enum store_rc rc, const char *what,
			struct rate_response *rs)
{
	log_error("store: %s: %s", what,
		  rc == STORE_BUSY ? "busy" : store_errmsg(st));
	rate_error(env, 503, rs);
	return -1;
}

/* 0 with rv filled; -1 with rs filled (404 or 503). A forged token costs
 * one store lookup too, so timing does not tell forged from unknown. */
static int load_survey(const struct rate_env *env, struct store *st,
		       const struct rate_request *rq, const char *tok,
		       size_t toklen, struct rate_survey *rv,
		       struct rate_response *rs)
{
	int64_t id = 0;
	enum store_rc rc;
	int valid;

	memset(rv, 0, sizeof(*rv));
	valid = TOKEN_LEN_OK(toklen) &&
		token_verify(&env->key, tok, toklen, &id) == 0;
	rc = survey_lookup(st, valid ? id : 0, rq->now, &rv->s, &rv->cached);
	if (rc == STORE_OK)
		rv->loaded = 1;
	if (rc != STORE_OK && rc != STORE_NOTFOUND)
		return store_failed(env, st, rc, "survey lookup", rs);
	if (!valid || rc == STORE_NOTFOUND || rv->s.status != SURVEY_SENT ||
	    rq->now > rv->s.sent_at + env->conf->listener.link_ttl) {
		if (valid && rc == STORE_OK)
			log_debug("survey %lld: link %s from ip=%s",
				  (long long)id,
				  rv->s.status != SURVEY_SENT ? "not sent"
							      : "expired",
				  rq->ip);
		rate_not_found(env, rq->accept_language, rs);
		return -1;
	}
	memcpy(rv->token, tok, toklen);
	rv->token[toklen] = '\0';
	rv->team = rv->s.team ? conf_team_by_name(env->conf, rv->s.team) : NULL;
	rv->scale = rv->s.scale ? scale_by_name(rv->s.scale) : NULL;
	if (!rv->scale)
		rv->scale = conf_team_scale(env->conf, rv->team);
	rv->lang = pick_lang(env, rv->team, &rv->s, rq->accept_language);
	return 0;
}

static void survey_done(struct rate_survey *rv)
{
	if (rv->loaded && !rv->cached)
		survey_free(&rv->s);
}

/* ------------------------------------------------------------ GET */

void rate_hit(const struct rate_env *env, struct store *st,
	      const struct rate_request *rq, struct hitlog_hit *h)
{
	char ua[RATE_UA_MAX + 1];

	h->at = rq->now;
	h->head = rq->method == RATE_HEAD;
	h->window = env->conf->listener.burst_window;
	h->user_agent = rq->user_agent;
	if (rq->user_agent) {
		size_t len = strnlen(rq->user_agent, RATE_UA_MAX + 1);
		size_t n = codec_utf8_cut(rq->user_agent, len, RATE_UA_MAX);
		if (n < len) {
			memcpy(ua, rq->user_agent, n);
			ua[n] = '\0';
			h->user_agent = ua;
			metrics_cut(METRICS_CUT_USER_AGENT,
				    strlen(rq->user_agent) - n);
		}
	}
	/* The hit is bookkeeping and the page does not depend on it: it is
	 * queued for the hit writer (hitlog.h: classified and stored within
	 * a millisecond or so; lost only on a crash), or recorded here when
	 * there is no writer. When the store cannot take it the person still
	 * gets the page, and the POST decides. */
	if (hitlog_add(env->conf->general.store, h) != 0)
		hitlog_record(st, h);
	h->user_agent = NULL; /* ua is gone with this frame */
}

static void rate_get(const struct rate_env *env, struct store *st,
		     const struct rate_request *rq, const char *tok,
		     size_t toklen, const char *lvtext,
		     struct rate_response *rs)
{
	struct rate_survey rv;
	struct hitlog_hit h;
	int level;

	if (load_survey(env, st, rq, tok, toklen, &rv, rs) < 0)
		goto out;
	if (scale_parse_level(rv.scale, lvtext, &level) < 0) {
		rate_error(env, 400, rs);
		goto out;
	}
	memset(&h, 0, sizeof(h));
	h.survey_id = rv.s.id;
	h.level = level;
	h.sent_at = rv.s.sent_at;
	h.ip = rq->ip;
	h.level_key = scale_level(rv.scale, level)->key;
	rate_hit(env, st, rq, &h);
	render_rating_page(env, &rv, PAGE_LANDING, level, NULL, NULL, rs);
out:
	survey_done(&rv);
}

/* ------------------------------------------------------------ POST */

static int alert_threshold(const struct rate_env *env,
			   const struct rate_survey *rv)
{
	return rating_alert_at(env->conf, rv->team, rv->scale);
}

int rate_wants_json(const struct rate_request *rq, int automatic)
{
	return automatic ||
	       (rq->accept && strstr(rq->accept, "application/json"));
}

enum burst_reason rate_burst_verdict(const struct rate_env *env,
				     struct store *st,
				     const struct rate_request *rq,
				     int64_t sent_at, int level, int automatic,
				     rate_prior_fn prior, int64_t id)
{
	struct burst_input in;
	struct burst_hit *hits = NULL;
	enum burst_reason verdict;

	memset(&in, 0, sizeof(in));
	in.now = rq->now;
	in.level = level;
	in.user_agent = rq->user_agent;
	in.sent_at = sent_at;
	in.window = env->conf->listener.burst_window;
	if (automatic && prior) {
		/* the hits this process queued count too */
		hitlog_sync();
		hits = prior(st, id, rq->now - in.window, &in.nprior);
	}
	in.prior = hits;
	verdict = burst_classify_post(&in, automatic);
	free(hits);
	return verdict;
}

void rate_json_answer(struct rate_response *rs, int recorded, const char *level)
{
	buf_reset(&rs->body);
	buf_printf(&rs->body, "{\"recorded\":%s,\"confirm\":%s,\"level\":\"",
		   recorded ? "true" : "false", recorded ? "false" : "true");
	/* level keys are from the scale table: [a-z0-9] only */
	buf_puts(&rs->body, level);
	buf_puts(&rs->body, "\"}\n");
	rs->content_type = "application/json";
	rs->status = 200;
}

/* Field value or NULL when absent or empty; -1 on a malformed body. */
static int form_field(const struct rate_request *rq, const char *key,
		      struct buf *b, const char **out)
{
	int rc = rate_form_get(rq->body, rq->body_len, key, b);

	*out = NULL;
	if (rc < 0)
		return -1;
	if (rc > 0 && b->len > 0)
		*out = b->data;
	return 0;
}

/* A POST's form. Values are NULL when absent or empty and point into
 * the buffers. */
struct rate_form {
	struct buf fl, fw, fb, fc, fv;
	const char *lvtext, *why, *better, *csrf, *via;
	int level;     /* lvtext on the survey's scale; 0 without one */
	int automatic; /* sent by rate.js, not by a click */
	/* the rating that counts (record_post): why and better may point
	 * into it */
	struct rating cur;
	int have_cur;
};

static void form_init(struct rate_form *f)
{
	memset(f, 0, sizeof(*f));
	buf_init(&f->fl);
	buf_init(&f->fw);
	buf_init(&f->fb);
	buf_init(&f->fc);
	buf_init(&f->fv);
}

static void form_free(struct rate_form *f)
{
	if (f->have_cur)
		rating_free(&f->cur);
	buf_free(&f->fl);
	buf_free(&f->fw);
	buf_free(&f->fb);
	buf_free(&f->fc);
	buf_free(&f->fv);
}

/* Origin, fields, CSRF value and level of a POST: 0, or -1 with rs
 * filled (403, 400). Comments are cut to comment_max. */
static int read_form(const struct rate_env *env, const struct rate_request *rq,
		     const struct rate_survey *rv, struct rate_form *f,
		     struct rate_response *rs)
{
	if (!rate_origin_ok(env, rq->origin)) {
		rate_error(env, 403, rs);
		return -1;
	}
	if (form_field(rq, "level", &f->fl, &f->lvtext) < 0 ||
	    form_field(rq, "why", &f->fw, &f->why) < 0 ||
	    form_field(rq, "better", &f->fb, &f->better) < 0 ||
	    form_field(rq, "csrf", &f->fc, &f->csrf) < 0 ||
	    form_field(rq, "via", &f->fv, &f->via) < 0) {
		rate_error(env, 400, rs);
		return -1;
	}
	if (!f->csrf ||
	    token_csrf_check(&env->key, rv->token, "rate", f->csrf) != 0) {
		log_info("survey %lld: POST without a valid csrf value ip=%s",
			 (long long)rv->s.id, rq->ip);
		rate_error(env, 403, rs);
		return -1;
	}
	if (f->lvtext &&
	    scale_parse_level(rv->scale, f->lvtext, &f->level) < 0) {
		rate_error(env, 400, rs);
		return -1;
	}
	if (f->why)
		codec_utf8_truncate(f->fw.data,
				    env->conf->listener.comment_max);
	if (f->better)
		codec_utf8_truncate(f->fb.data,
				    env->conf->listener.comment_max);
	f->via = f->via ? f->via : "form";
	f->automatic = !strcmp(f->via, "js");
	return 0;
}

/* Scanners and the script's confirmations during a burst of link hits
 * are not ratings: 1 with rs filled (403, or a JSON answer asking for a
 * click), 0 to record the POST. */
static int refuse_burst(const struct rate_env *env, struct store *st,
			const struct rate_request *rq,
			const struct rate_survey *rv, const struct rate_form *f,
			struct rate_response *rs)
{
	enum burst_reason verdict = rate_burst_verdict(
	    env, st, rq, rv->s.sent_at, f->level, f->automatic,
	    f->lvtext ? hitlog_prior : NULL, rv->s.id);

	if (verdict == BURST_SCANNER_UA) {
		log_info("survey %lld: POST from a scanner ignored ip=%s",
			 (long long)rv->s.id, rq->ip);
		rate_error(env, 403, rs);
		return 1;
	}
	if (verdict == BURST_LEVELS) {
		log_info("survey %lld: automatic confirmation during a burst, "
			 "asking for a click ip=%s",
			 (long long)rv->s.id, rq->ip);
		rate_json_answer(rs, 0, scale_level(rv->scale, f->level)->key);
		return 1;
	}
	return 0;
}

/* A new rating through rating_record: the pending alert replaced, maybe
 * a new alert or kudos. */
static enum store_rc record_rating(const struct rate_env *env, struct store *st,
				   const struct rate_request *rq,
				   const struct rate_survey *rv,
				   const struct rate_form *f)
{
	struct rating_input ri;
	struct rating_output ro;

	memset(&ri, 0, sizeof(ri));
	ri.survey_id = rv->s.id;
	ri.now = rq->now;
	ri.level = f->level;
	ri.source = RATING_WEB;
	ri.why = f->why;
	ri.better = f->better;
	ri.alert_at = alert_threshold(env, rv);
	ri.alert_delay = env->conf->listener.alert_delay;
	ri.conf = env->conf;
	ri.team = rv->team;
	ri.scale = rv->scale;
	return rating_record(st, &ri, &ro);
}

/* The same level again from the web (the comment form after the
 * script's confirmation) updates the comments, an empty field keeping
 * what was there; another level is a new rating, the old one history.
 * One transaction. 0 with *update set, or -1 with rs filled (400: only
 * comments and no rating; 503). A POST of comments alone takes the
 * current level: f->level is set from it. */
static int record_post(const struct rate_env *env, struct store *st,
		       const struct rate_request *rq,
		       const struct rate_survey *rv, struct rate_form *f,
		       int *update, struct rate_response *rs)
{
	struct rating *cur = &f->cur;
	enum store_rc rc;

	if ((rc = store_begin(st)) != STORE_OK)
		return store_failed(env, st, rc, "begin", rs);
	rc = store_rating_current(st, rv->s.id, cur);
	if (rc == STORE_OK)
		f->have_cur = 1;
	else if (rc != STORE_NOTFOUND)
		goto fail;
	if (!f->lvtext) {
		if (!f->have_cur) { /* comments without any rating */
			store_rollback(st);
			rate_error(env, 400, rs);
			return -1;
		}
		f->level = cur->level;
	}
	*update =
	    f->have_cur && cur->level == f->level && cur->source == RATING_WEB;
	if (*update) {
		if (!f->why)
			f->why = cur->why;
		if (!f->better)
			f->better = cur->better;
		rc = store_rating_comment(st, cur->id, f->why, f->better);
	} else {
		rc = record_rating(env, st, rq, rv, f);
	}
	if (rc != STORE_OK || (rc = store_commit(st)) != STORE_OK)
		goto fail;
	return 0;
fail:
	store_rollback(st);
	return store_failed(env, st, rc, "recording a rating", rs);
}

/* The answer to a recorded POST: JSON for the script, else the thanks
 * page. */
static void answer_post(const struct rate_env *env,
			const struct rate_request *rq,
			const struct rate_survey *rv, const struct rate_form *f,
			int update, struct rate_response *rs)
{
	const char *key = scale_level(rv->scale, f->level)->key;

	if (!update) {
		outbox_notify(); /* the worker sends what is due at once */
		metrics_rating(RATING_WEB, f->level);
		log_info("survey %lld ticket=%s rated %s (web%s) ip=%s",
			 (long long)rv->s.id, rv->s.ticket ? rv->s.ticket : "-",
			 key, f->automatic ? ", script" : "", rq->ip);
	} else {
		log_info("survey %lld ticket=%s comments updated ip=%s",
			 (long long)rv->s.id, rv->s.ticket ? rv->s.ticket : "-",
			 rq->ip);
	}
	if (rate_wants_json(rq, f->automatic))
		rate_json_answer(rs, 1, key);
	else
		render_rating_page(env, rv, PAGE_THANKS, f->level, f->why,
				   f->better, rs);
}

static void rate_post(const struct rate_env *env, struct store *st,
		      const struct rate_request *rq, const char *tok,
		      size_t toklen, struct rate_response *rs)
{
	struct rate_survey rv;
	struct rate_form f;
	int update = 0;

	form_init(&f);
	if (load_survey(env, st, rq, tok, toklen, &rv, rs) == 0 &&
	    read_form(env, rq, &rv, &f, rs) == 0 &&
	    !refuse_burst(env, st, rq, &rv, &f, rs) &&
	    record_post(env, st, rq, &rv, &f, &update, rs) == 0)
		answer_post(env, rq, &rv, &f, update, rs);
	form_free(&f);
	survey_done(&rv);
}

/* ------------------------------------------------------------ routing */

void rate_handle(const struct rate_env *env, struct store *st,
		 const struct rate_request *rq, struct rate_response *rs)
{
	const char *tok = rq->path + 3, *slash = strchr(tok, '/');
	size_t toklen = slash ? (size_t)(slash - tok) : strlen(tok);

	rs->status = 0;
	if (strncmp(rq->path, "/r/", 3) != 0 || toklen == 0) {
		rate_not_found(env, rq->accept_language, rs);
		return;
	}
	if (rq->method == RATE_POST) {
		/* /r/TOKEN, also /r/TOKEN/ and /r/TOKEN/LEVEL (a form
		 * without action posts to its own URL) */
		rate_post(env, st, rq, tok, toklen, rs);
		return;
	}
	if (!slash || !slash[1] || strchr(slash + 1, '/')) {
		rate_not_found(env, rq->accept_language, rs);
		return;
	}
	rate_get(env, st, rq, tok, toklen, slash + 1, rs);
}
