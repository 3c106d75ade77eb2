/* SPDX-License-Identifier: BSD-2-Clause */
/* The team dashboard (dashboard.h). Server-rendered, no script, no inline
 * style: the CSP of http.c applies unchanged. Figures come from report.c,
 * the same module mailmoodctl report uses. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "auth.h"
#include "campaign_report.h"
#include "conf_campaign.h"
#include "clock.h"
#include "dashboard.h"
#include "dashboard_customers.h"
#include "log.h"
#include "report.h"

#define COOKIE_SESSION "mm_session"
#define COOKIE_PRE "mm_pre"
#define SID_BYTES 32
#define SID_LEN 43 /* base64url of 32 bytes */
#define TREND_DAYS 365
#define HEADLINE_DAYS 90

static const char dashboard_css[] =
    "body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#1d1d1d;"
    "background:#f6f6f4}\n"
    "header{background:#23364a;color:#fff;padding:.6em 1.2em;display:flex;"
    "gap:1.2em;align-items:center;flex-wrap:wrap}\n"
    "header a{color:#fff}header form{margin-left:auto}\n"
    "main{padding:1em 1.2em;max-width:70em}\n"
    "table{border-collapse:collapse;background:#fff}\n"
    "td,th{padding:.3em .7em;border-bottom:1px solid #ddd;text-align:right}"
    "\ntd:first-child,th:first-child{text-align:left}\n"
    ".card{background:#fff;border:1px solid #ddd;padding:.8em 1em;"
    "margin:0 0 1em}\n"
    ".fig{font-size:1.4em;font-weight:600;margin-right:1.2em}\n"
    ".muted,.when{color:#666}.err{color:#b3261e;font-weight:600}\n"
    ".chart{max-width:100%;height:auto}\n"
    "label{display:block;margin:.5em 0 .2em}\n"
    "input[type=text],input[type=password],input[type=search]"
    "{padding:.3em;min-width:16em}\n"
    "button{padding:.35em 1em}\n"
    ".comments li{margin:.5em 0}\n";

/* ------------------------------------------------------------ helpers */

static void html(struct buf *b, const char *s)
{
	if (s)
		buf_put_html(b, s, strlen(s));
}

/* %-encodes for a path segment or query value. */
static void url_enc(struct buf *b, const char *s)
{
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-._~", c))
			buf_putc(b, (char)c);
		else
			buf_printf(b, "%%%02X", c);
	}
}

/* The value of cookie name in a Cookie header, copied to out. */
static int cookie_get(const char *header, const char *name, char *out,
		      size_t outlen)
{
	size_t nl = strlen(name);

	for (const char *p = header; p && *p;) {
		size_t n;

		while (*p == ' ' || *p == ';')
			p++;
		n = strcspn(p, ";");
		if (n > nl && !strncmp(p, name, nl) && p[nl] == '=') {
			if (n - nl - 1 >= outlen)
				return -1;
			memcpy(out, p + nl + 1, n - nl - 1);
			out[n - nl - 1] = '\0';
			return 0;
		}
		p += n;
	}
	return -1;
}

static int random_id(char *out)
{
	unsigned char r[SID_BYTES];

	if (gnutls_rnd(GNUTLS_RND_KEY, r, sizeof(r)) < 0)
		return -1;
	token_b64url_encode(r, sizeof(r), out);
	out[SID_LEN] = '\0';
	return 0;
}

/* What the store keeps of a session: hex SHA-256 of the cookie value, so
 * a copy of the database opens no session. */
static int session_key(const char *sid, char out[65])
{
	unsigned char d[32];

	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, sid, strlen(sid), d) < 0)
		return -1;
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
	return 0;
}

static int is_https(const struct rate_env *env)
{
	return !strncmp(env->origin, "https://", 8);
}

static void set_cookie(const struct rate_env *env,
		       struct dashboard_response *rs, int slot,
		       const char *name, const char *value, int max_age)
{
	snprintf(rs->set_cookie[slot], sizeof(rs->set_cookie[slot]),
		 "%s=%s; Path=%s/admin/; Max-Age=%d; HttpOnly; "
		 "SameSite=Strict%s",
		 name, value, env->base_path, max_age,
		 is_https(env) ? "; Secure" : "");
}

static void redirect(const struct rate_env *env, struct dashboard_response *rs,
		     const char *path)
{
	rs->status = 303;
	snprintf(rs->location, sizeof(rs->location), "%s%s", env->base_path,
		 path);
	buf_reset(&rs->body);
	buf_puts(&rs->body, "see other\n");
	rs->content_type = "text/plain; charset=utf-8";
}

static int user_sees(const struct store_user *u, const char *team)
{
	size_t n = team ? strlen(team) : 0;

	if (u->is_admin)
		return 1;
	if (!team)
		return 0;
	for (const char *p = u->teams; p && *p;) {
		size_t k = strcspn(p, " ");

		if (k == n && !strncmp(p, team, n))
			return 1;
		p += k + (p[k] == ' ');
	}
	return 0;
}

static const char *team_label(const struct rate_env *env, const char *team)
{
	const struct conf_team *t =
	    team ? conf_team_by_name(env->conf, team) : NULL;

	return t && t->display_name ? t->display_name : team;
}

/* ------------------------------------------------------------ layout */

static void page_head(const struct rate_env *env, struct buf *b,
		      const char *title, const char *sid)
{
	char csrf[TOKEN_CSRF_LEN + 1];

	buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta "
		    "charset=\"utf-8\"><meta name=\"viewport\" "
		    "content=\"width=device-width, initial-scale=1\"><title>");
	html(b, title);
	buf_printf(b,
		   " &middot; mailmood</title><link rel=\"stylesheet\" "
		   "href=\"%s/static/dashboard.css\"></head><body>\n<header>"
		   "<strong>mailmood</strong>",
		   env->base_path);
	if (sid && token_csrf(&env->key, sid, "admin", csrf) == 0) {
		buf_printf(b,
			   "<a href=\"%s/admin/\">Teams</a><a href=\"%s/admin/"
			   "search\">Comments</a><a href=\"%s/admin/"
			   "export.csv\">CSV</a><form method=\"post\" "
			   "action=\"%s/admin/logout\"><input type=\"hidden\" "
			   "name=\"csrf\" value=\"%s\"><button>Log out"
			   "</button></form>",
			   env->base_path, env->base_path, env->base_path,
			   env->base_path, csrf);
	}
	buf_puts(b, "</header>\n<main>\n<h1>");
	html(b, title);
	buf_puts(b, "</h1>\n");
}

static void page_tail(struct buf *b)
{
	buf_puts(b, "</main></body></html>\n");
}

static void page_html(struct dashboard_response *rs, int status)
{
	rs->status = status;
	rs->content_type = "text/html; charset=utf-8";
}

static void error_page(const struct rate_env *env,
		       struct dashboard_response *rs, int status,
		       const char *msg)
{
	buf_reset(&rs->body);
	page_head(env, &rs->body, msg, NULL);
	page_tail(&rs->body);
	page_html(rs, status);
}

/* ------------------------------------------------------------ login */

/* Failed logins per (user name, client address), in this process: a
 * bounded table (the oldest entry of a full probe window gives way), keyed
 * by an HMAC under a per-process random key so nobody can aim collisions
 * at another pair. */
#define THROTTLE_SLOTS 4096
#define THROTTLE_PROBE 8
#define THROTTLE_FORGET SECONDS_PER_DAY

struct throttle_slot {
	unsigned char key[16];
	int failures;
	int64_t last;
};

static struct throttle_slot throttle[THROTTLE_SLOTS];
static pthread_mutex_t throttle_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned char throttle_secret[32];
static pthread_once_t throttle_once = PTHREAD_ONCE_INIT;
static int throttle_ready;

static void throttle_init(void)
{
	throttle_ready = gnutls_rnd(GNUTLS_RND_KEY, throttle_secret,
				    sizeof(throttle_secret)) == 0;
}

static int throttle_key(const char *user, const char *ip, unsigned char *key)
{
	unsigned char mac[32];
	struct buf b;
	int rc;

	pthread_once(&throttle_once, throttle_init);
	if (!throttle_ready)
		return -1;
	buf_init(&b);
	buf_puts(&b, user);
	buf_putc(&b, '\0');
	buf_puts(&b, ip ? ip : "");
	rc = b.data
		 ? gnutls_hmac_fast(GNUTLS_MAC_SHA256, throttle_secret,
				    sizeof(throttle_secret), b.data, b.len, mac)
		 : -1;
	buf_free(&b);
	if (rc < 0)
		return -1;
	memcpy(key, mac, 16);
	return 0;
}

/* The slot of key, or NULL; with add, a fresh one for it. Under lock. */
static struct throttle_slot *throttle_find(const unsigned char *key,
					   int64_t now, int add)
{
	size_t at = ((size_t)key[0] << 8 | key[1]) % THROTTLE_SLOTS;
	struct throttle_slot *oldest = NULL;

	for (size_t i = 0; i < THROTTLE_PROBE; i++) {
		struct throttle_slot *s = &throttle[(at + i) % THROTTLE_SLOTS];
		if (s->failures && now - s->last > THROTTLE_FORGET)
			s->failures = 0;
		if (s->failures && !memcmp(s->key, key, sizeof(s->key)))
			return s;
		if (!oldest || !s->failures ||
		    (oldest->failures && s->last < oldest->last))
			oldest = s;
	}
	if (!add)
		return NULL;
	memcpy(oldest->key, key, sizeof(oldest->key));
	oldest->failures = 0;
	oldest->last = now;
	return oldest;
}

/* Seconds until key may try again, 0 when it may now. */
static int64_t throttle_wait(const unsigned char *key, int64_t now)
{
	struct throttle_slot *s;
	int64_t wait = 0;

	pthread_mutex_lock(&throttle_lock);
	s = throttle_find(key, now, 0);
	if (s && s->failures >= DASHBOARD_MAX_FAILURES) {
		int shift = s->failures - DASHBOARD_MAX_FAILURES;
		int64_t delay = shift > 12
				    ? DASHBOARD_DELAY_MAX
				    : (int64_t)DASHBOARD_DELAY_SECONDS << shift;
		if (delay > DASHBOARD_DELAY_MAX)
			delay = DASHBOARD_DELAY_MAX;
		wait = s->last + delay - now;
	}
	pthread_mutex_unlock(&throttle_lock);
	return wait > 0 ? wait : 0;
}

static void throttle_fail(const unsigned char *key, int64_t now)
{
	struct throttle_slot *s;

	pthread_mutex_lock(&throttle_lock);
	s = throttle_find(key, now, 1);
	if (s->failures < 1000)
		s->failures++;
	s->last = now;
	pthread_mutex_unlock(&throttle_lock);
}

static void throttle_clear(const unsigned char *key, int64_t now)
{
	struct throttle_slot *s;

	pthread_mutex_lock(&throttle_lock);
	s = throttle_find(key, now, 0);
	if (s)
		s->failures = 0;
	pthread_mutex_unlock(&throttle_lock);
}

static void login_form(const struct rate_env *env,
		       struct dashboard_response *rs, int status,
		       const char *msg, const char *user)
{
	char pre[SID_LEN + 1], csrf[TOKEN_CSRF_LEN + 1];
	struct buf *b = &rs->body;

	buf_reset(b);
	if (random_id(pre) < 0 || token_csrf(&env->key, pre, "login", csrf)) {
		error_page(env, rs, 500, "Internal error");
		return;
	}
	/* double submit: the form's value is bound to this cookie */
	set_cookie(env, rs, 1, COOKIE_PRE, pre, 3600);
	page_head(env, b, "Log in", NULL);
	if (msg) {
		buf_puts(b, "<p class=\"err\">");
		html(b, msg);
		buf_puts(b, "</p>\n");
	}
	buf_printf(b,
		   "<form method=\"post\" action=\"%s/admin/login\" "
		   "class=\"card\"><input type=\"hidden\" name=\"csrf\" "
		   "value=\"%s\"><label for=\"user\">User</label><input "
		   "type=\"text\" id=\"user\" name=\"user\" "
		   "autocomplete=\"username\" required value=\"",
		   env->base_path, csrf);
	html(b, user);
	buf_puts(b, "\"><label for=\"password\">Password</label><input "
		    "type=\"password\" id=\"password\" name=\"password\" "
		    "autocomplete=\"current-password\" required><p><button>"
		    "Log in</button></p></form>\n");
	page_tail(b);
	page_html(rs, status);
}

static const char *form(const struct dashboard_request *rq, const char *key,
			struct buf *tmp)
{
	buf_reset(tmp);
	if (rate_form_get(rq->body ? rq->body : "", rq->body_len, key, tmp) !=
	    1)
		return NULL;
	return tmp->data ? tmp->data : "";
}

static void do_login(const struct rate_env *env, struct store *st,
		     const struct dashboard_request *rq,
		     struct dashboard_response *rs)
{
	struct buf fu, fp, fc;
	const char *user, *pw, *csrf;
	char pre[SID_LEN + 8], sid[SID_LEN + 1], key[65];
	unsigned char tkey[16];
	struct store_user u;
	enum store_rc rc;
	int ok;

	buf_init(&fu);
	buf_init(&fp);
	buf_init(&fc);
	csrf = form(rq, "csrf", &fc);
	if (cookie_get(rq->cookie, COOKIE_PRE, pre, sizeof(pre)) < 0 ||
	    token_csrf_check(&env->key, pre, "login", csrf) != 0) {
		log_info("dashboard: login without a valid csrf value ip=%s",
			 rq->ip);
		error_page(env, rs, 403, "Forbidden");
		goto out;
	}
	user = form(rq, "user", &fu);
	pw = form(rq, "password", &fp);
	if (!user || !pw || !*user) {
		login_form(env, rs, 400, "User and password, please.", user);
		goto out;
	}
	if (throttle_key(user, rq->ip, tkey) < 0) {
		error_page(env, rs, 503, "Try again later");
		goto out;
	}
	/* whether the user exists is not asked yet: a throttled name, known
	 * or not, gets this answer after the same work */
	if (throttle_wait(tkey, rq->now) > 0) {
		auth_verify(pw, NULL);
		log_warn("dashboard: login for %s throttled ip=%s", user,
			 rq->ip);
		login_form(env, rs, 429,
			   "Too many failed attempts: try again later.", user);
		goto out;
	}
	rc = store_user_get(st, user, &u);
	if (rc == STORE_ERROR || rc == STORE_BUSY) {
		log_error("dashboard: %s", store_errmsg(st));
		error_page(env, rs, 503, "Try again later");
		goto out;
	}
	ok = auth_verify(pw, rc == STORE_OK ? u.pwhash : NULL);
	if (!ok) {
		throttle_fail(tkey, rq->now);
		log_warn("dashboard: failed login for %s ip=%s", user, rq->ip);
		login_form(env, rs, 401, "Wrong user or password.", user);
		if (rc == STORE_OK)
			store_user_free(&u);
		goto out;
	}
	if (random_id(sid) < 0 || session_key(sid, key) < 0 ||
	    store_user_succeeded(st, user) != STORE_OK ||
	    store_session_put(st, key, u.name, rq->now,
			      rq->now + DASHBOARD_SESSION_SECONDS) !=
		STORE_OK) {
		log_error("dashboard: login %s: %s", user, store_errmsg(st));
		error_page(env, rs, 503, "Try again later");
		store_user_free(&u);
		goto out;
	}
	throttle_clear(tkey, rq->now);
	log_info("dashboard: %s logged in ip=%s", user, rq->ip);
	store_user_free(&u);
	set_cookie(env, rs, 0, COOKIE_SESSION, sid, DASHBOARD_SESSION_SECONDS);
	set_cookie(env, rs, 1, COOKIE_PRE, "", 0);
	redirect(env, rs, "/admin/");
out:
	if (fp.data)
		explicit_bzero(fp.data, fp.len);
	buf_free(&fu);
	buf_free(&fp);
	buf_free(&fc);
}

/* ------------------------------------------------------------ pages */

static enum store_rc run(struct store *st, const char *team, int group, int by,
			 int64_t since, struct report *r)
{
	struct report_query q;

	memset(&q, 0, sizeof(q));
	q.team = team;
	q.since = since;
	q.by = by;
	return report_run(st, &q, &group, 1, r);
}

/* The rows of one team in r (one group): a series in period order. */
static size_t team_series(const struct report *r, const char *team,
			  const struct report_row **out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n && n < max; i++)
		if (r->rows[i].team && !strcmp(r->rows[i].team, team))
			out[n++] = &r->rows[i];
	return n;
}

static const struct report_row *find_team(const struct report *r,
					  const char *team)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->rows[i].team && !strcmp(r->rows[i].team, team))
			return &r->rows[i];
	return NULL;
}

static void headline(struct buf *b, const struct report_row *w)
{
	if (!w) {
		buf_printf(b,
			   "<p class=\"muted\">No surveys in the last %d "
			   "days.</p>",
			   HEADLINE_DAYS);
		return;
	}
	buf_puts(b, "<p><span class=\"fig\">Temperature ");
	report_put_share(b, w->temperature, w->responses);
	buf_puts(b, "</span><span class=\"fig\">NPS ");
	if (isnan(w->nps))
		buf_printf(b, "n=%lld", (long long)w->responses);
	else
		buf_printf(b, "%+.0f", w->nps);
	buf_puts(b, "</span><span class=\"fig\">Response rate ");
	report_put_share(b, w->response_rate, w->surveys);
	buf_printf(b,
		   "</span></p><p class=\"muted\">%lld surveys, %lld "
		   "responses (%lld by mail), %lld red alerts, %lld "
		   "scanner hits ignored",
		   (long long)w->surveys, (long long)w->responses,
		   (long long)w->mail, (long long)w->alerts,
		   (long long)w->machine_hits);
	if (!isnan(w->trend_temperature))
		buf_printf(b,
			   "; temperature %+.1f points against the %d days "
			   "before",
			   w->trend_temperature, HEADLINE_DAYS);
	buf_printf(b, ". Shares over fewer than %d cases show as n=count.</p>",
		   REPORT_SMALL_N);
}

static void trend(struct buf *b, const struct report *series, const char *team)
{
	const struct report_row *rows[64];
	size_t n = team_series(series, team, rows, 64);

	if (n)
		report_svg_trend(b, rows, n);
}

/* The overview's cards cost two report passes over every team (the last
 * HEADLINE_DAYS, with as many before for the trend, and 12 months by month):
 * several hundred ms on a large store. A dashboard need not be fresher
 * than half a minute, so the rendered cards are kept per process for
 * OVERVIEW_TTL seconds, keyed by what decides which teams show (admin,
 * or the user's team list). Nothing invalidates them. */
#define OVERVIEW_TTL 30
#define OVERVIEW_SLOTS 16

static struct {
	char *key;  /* "*" for an admin, else " " + the user's teams */
	char *html; /* the cards */
	size_t len;
	int64_t at;
} ov_cache[OVERVIEW_SLOTS];
static pthread_mutex_t ov_lock = PTHREAD_MUTEX_INITIALIZER;

static void ov_key(const struct store_user *u, char *key, size_t size)
{
	snprintf(key, size, "%s%s", u->is_admin ? "*" : " ",
		 u->is_admin || !u->teams ? "" : u->teams);
}

/* Appends the cached cards for key to b; 0 when none are fresh. */
static int ov_get(const char *key, int64_t now, struct buf *b)
{
	int hit = 0;

	pthread_mutex_lock(&ov_lock);
	for (int i = 0; i < OVERVIEW_SLOTS; i++)
		if (ov_cache[i].key && !strcmp(ov_cache[i].key, key) &&
		    now >= ov_cache[i].at &&
		    now - ov_cache[i].at < OVERVIEW_TTL) {
			buf_append(b, ov_cache[i].html, ov_cache[i].len);
			hit = 1;
			break;
		}
	pthread_mutex_unlock(&ov_lock);
	return hit;
}

static void ov_put(const char *key, int64_t now, const char *html, size_t len)
{
	int slot = 0;
	char *k = strdup(key), *h = malloc(len + 1);

	if (!k || !h) {
		free(k);
		free(h);
		return;
	}
	memcpy(h, html, len);
	h[len] = '\0';
	pthread_mutex_lock(&ov_lock);
	/* the same key, else a free slot, else the oldest */
	for (int i = 0; i < OVERVIEW_SLOTS; i++) {
		if (ov_cache[i].key && !strcmp(ov_cache[i].key, key)) {
			slot = i;
			break;
		}
		if (!ov_cache[i].key ? ov_cache[slot].key != NULL
				     : ov_cache[slot].key &&
					   ov_cache[i].at < ov_cache[slot].at)
			slot = i;
	}
	free(ov_cache[slot].key);
	free(ov_cache[slot].html);
	ov_cache[slot].key = k;
	ov_cache[slot].html = h;
	ov_cache[slot].len = len;
	ov_cache[slot].at = now;
	pthread_mutex_unlock(&ov_lock);
}

static int overview_cards(const struct rate_env *env, struct store *st,
			  const struct store_user *u,
			  const struct dashboard_request *rq, struct buf *b);

static int campaign_team_visible(void *arg, const char *team)
{
	return team && user_sees(arg, team);
}

/* The latest relationship NPS round per team, beside the closure
 * figures (campaign_report.h; aggregates only). */
static void campaign_cards(const struct rate_env *env, struct store *st,
			   const struct store_user *u, struct buf *b)
{
	for (size_t i = 0; i < env->conf->ncampaigns; i++) {
		const char *name = env->conf->campaigns[i].name;
		struct campaign_report r;
		struct buf t;
		if (campaign_report_load(st, name, &r) != STORE_OK)
			continue;
		buf_init(&t);
		if (campaign_report_latest_html(&r, campaign_team_visible,
						(void *)u, &t) > 0) {
			buf_puts(b, "<h2>Relationship NPS: ");
			html(b, name);
			buf_puts(b,
				 "</h2>\n<p class=\"muted\">The latest round "
				 "per team; fewer than 5 answers: counts "
				 "only.</p>\n");
			buf_append(b, t.data ? t.data : "", t.len);
		}
		buf_free(&t);
		campaign_report_free(&r);
	}
}

static void overview(const struct rate_env *env, struct store *st,
		     const struct store_user *u, const char *sid,
		     const struct dashboard_request *rq,
		     struct dashboard_response *rs)
{
	struct buf *b = &rs->body;
	struct buf cards;
	char key[1024];

	ov_key(u, key, sizeof(key));
	buf_init(&cards);
	if (!ov_get(key, rq->now, &cards)) {
		if (overview_cards(env, st, u, rq, &cards) != 0) {
			buf_free(&cards);
			log_error("dashboard: %s", store_errmsg(st));
			error_page(env, rs, 503, "Try again later");
			return;
		}
		ov_put(key, rq->now, cards.data ? cards.data : "", cards.len);
	}
	page_head(env, b, "Teams", sid);
	buf_printf(b,
		   "<p class=\"muted\">Last %d days; the chart shows "
		   "temperature (orange) and NPS (blue) per month. For "
		   "improving, not for ranking teams.</p>\n",
		   HEADLINE_DAYS);
	buf_append(b, cards.data ? cards.data : "", cards.len);
	buf_free(&cards);
	campaign_cards(env, st, u, b);
	page_tail(b);
	page_html(rs, 200);
}

/* The cards of the overview into b; -1 on a store error. */
static int overview_cards(const struct rate_env *env, struct store *st,
			  const struct store_user *u,
			  const struct dashboard_request *rq, struct buf *b)
{
	struct report head, months;
	int shown = 0;

	if (run(st, NULL, STORE_GROUP_TEAM, STORE_PERIOD_NONE,
		rq->now - HEADLINE_DAYS * SECONDS_PER_DAY, &head) != STORE_OK)
		return -1;
	if (run(st, NULL, STORE_GROUP_TEAM, STORE_PERIOD_MONTH,
		rq->now - TREND_DAYS * SECONDS_PER_DAY, &months) != STORE_OK) {
		report_free(&head);
		return -1;
	}
	for (size_t i = 0; i < head.n; i++) {
		const struct report_row *w = &head.rows[i];

		if (!user_sees(u, w->team))
			continue;
		shown++;
		buf_puts(b, "<section class=\"card\"><h2><a href=\"");
		buf_printf(b, "%s/admin/team/", env->base_path);
		url_enc(b, w->team);
		buf_puts(b, "\">");
		html(b, team_label(env, w->team));
		buf_puts(b, "</a></h2>");
		headline(b, w);
		trend(b, &months, w->team);
		buf_puts(b, "</section>\n");
	}
	/* a team user's teams without surveys yet still get a line */
	if (!u->is_admin)
		for (const char *p = u->teams; p && *p;) {
			size_t k = strcspn(p, " ");
			char t[256];

			snprintf(t, sizeof(t), "%.*s", (int)k, p);
			p += k + (p[k] == ' ');
			if (find_team(&head, t))
				continue;
			shown++;
			buf_puts(b, "<section class=\"card\"><h2>");
			html(b, team_label(env, t));
			buf_puts(b, "</h2>");
			headline(b, NULL);
			buf_puts(b, "</section>\n");
		}
	if (!shown)
		buf_puts(b, "<p>No teams to show.</p>\n");
	report_free(&head);
	report_free(&months);
	return 0;
}

static void alerts_list(struct buf *b, struct store *st, const char *team);

static void team_page(const struct rate_env *env, struct store *st,
		      const struct store_user *u, const char *sid,
		      const char *team, const struct dashboard_request *rq,
		      struct dashboard_response *rs)
{
	struct report head, months, agents;
	struct store_rating_filter f;
	struct report_comment *c = NULL;
	size_t nc = 0;
	struct buf *b = &rs->body;
	const struct report_row *w;

	if (!user_sees(u, team)) {
		log_info("dashboard: %s asked for team %s ip=%s", u->name, team,
			 rq->ip);
		error_page(env, rs, 404, "Not found");
		return;
	}
	memset(&head, 0, sizeof(head));
	memset(&months, 0, sizeof(months));
	memset(&agents, 0, sizeof(agents));
	memset(&f, 0, sizeof(f));
	f.team = team;
	f.commented = 1;
	f.replies = 1;
	f.limit = 20;
	if (run(st, team, STORE_GROUP_TEAM, STORE_PERIOD_NONE,
		rq->now - HEADLINE_DAYS * SECONDS_PER_DAY, &head) != STORE_OK ||
	    run(st, team, STORE_GROUP_TEAM, STORE_PERIOD_MONTH,
		rq->now - TREND_DAYS * SECONDS_PER_DAY, &months) != STORE_OK ||
	    run(st, team, STORE_GROUP_AGENT, STORE_PERIOD_NONE,
		rq->now - HEADLINE_DAYS * SECONDS_PER_DAY,
		&agents) != STORE_OK ||
	    report_comments(st, &f, &c, &nc) != STORE_OK) {
		log_error("dashboard: %s", store_errmsg(st));
		error_page(env, rs, 503, "Try again later");
		goto out;
	}
	w = find_team(&head, team);
	page_head(env, b, team_label(env, team), sid);
	headline(b, w);
	trend(b, &months, team);
	if (w)
		report_svg_levels(b, w);
	buf_printf(b,
		   "\n<h2>Per agent (%d days)</h2>\n<table><tr><th>Agent"
		   "</th><th>Surveys</th><th>Responses</th><th>Temperature"
		   "</th><th>NPS</th><th>CSAT</th><th>Red alerts</th></tr>"
		   "\n",
		   HEADLINE_DAYS);
	for (size_t i = 0; i < agents.n; i++) {
		const struct report_row *a = &agents.rows[i];

		buf_puts(b, "<tr><td>");
		html(b, a->agent);
		buf_printf(b, "</td><td>%lld</td><td>%lld</td><td>",
			   (long long)a->surveys, (long long)a->responses);
		report_put_share(b, a->temperature, a->responses);
		buf_puts(b, "</td><td>");
		if (isnan(a->nps))
			buf_printf(b, "n=%lld", (long long)a->responses);
		else
			buf_printf(b, "%+.0f", a->nps);
		buf_puts(b, "</td><td>");
		report_put_share(b, a->csat, a->responses);
		buf_printf(b, "</td><td>%lld</td></tr>\n",
			   (long long)a->alerts);
	}
	buf_puts(b, "</table>\n<h2>Open red alerts</h2>\n");
	alerts_list(b, st, team);
	buf_puts(b, "<h2>Latest comments</h2>\n");
	report_html_comments(b, c, nc);
	buf_printf(b, "<p><a href=\"%s/admin/export.csv?team=", env->base_path);
	url_enc(b, team);
	buf_puts(b, "\">Download the figures per month (CSV)</a></p>\n");
	if (conf_team_by_name(env->conf, team) &&
	    conf_team_by_name(env->conf, team)->rate_customer) {
		buf_printf(b, "<p><a href=\"%s/admin/customers/",
			   env->base_path);
		url_enc(b, team);
		buf_puts(b, "\">Customers: IT's ratings of this team's "
			    "customers</a></p>\n");
	}
	page_tail(b);
	page_html(rs, 200);
out:
	report_comments_free(c, nc);
	report_free(&head);
	report_free(&months);
	report_free(&agents);
}

/* IT's ratings of the team's customers, on a page of their own. */
static void customers_page(const struct rate_env *env, struct store *st,
			   const struct store_user *u, const char *sid,
			   const char *team, const struct dashboard_request *rq,
			   struct dashboard_response *rs)
{
	const struct conf_team *t = conf_team_by_name(env->conf, team);
	char title[300];

	if (!user_sees(u, team) || !t || !t->rate_customer) {
		error_page(env, rs, 404, "Not found");
		return;
	}
	snprintf(title, sizeof(title), "Customers: %s", team_label(env, team));
	page_head(env, &rs->body, title, sid);
	if (dashboard_customers_body(&rs->body, st, env->conf, t, rq->now) !=
	    STORE_OK) {
		log_error("dashboard: %s", store_errmsg(st));
		buf_reset(&rs->body);
		error_page(env, rs, 503, "Try again later");
		return;
	}
	page_tail(&rs->body);
	page_html(rs, 200);
}

static const char *outbox_state_name(int s)
{
	switch (s) {
	case OUTBOX_PENDING:
		return "waiting to be sent";
	case OUTBOX_SENDING:
		return "sending";
	case OUTBOX_SENT:
		return "sent to the team";
	case OUTBOX_FAILED:
		return "could not be sent";
	}
	return "?";
}

static int alert_li(void *arg, const struct store_alert_row *a)
{
	struct buf *b = arg;
	char d[32];
	time_t t = (time_t)a->created_at;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(d, sizeof(d), "%Y-%m-%d %H:%M", &tm);
	buf_printf(b, "<li><span class=\"when\">%s</span>", d);
	if ((a->ticket && *a->ticket) || (a->subject && *a->subject))
		report_html_ticket(b, a->ticket, a->subject);
	else
		buf_puts(b, " ticket ?");
	if (a->agent) {
		buf_puts(b, ", agent ");
		html(b, a->agent);
	}
	buf_printf(b,
		   ": %s; not acknowledged yet (use the link in the "
		   "alert mail)</li>\n",
		   outbox_state_name(a->state));
	return 0;
}

static void alerts_list(struct buf *b, struct store *st, const char *team)
{
	size_t before;

	buf_puts(b, "<ul>\n");
	before = b->len;
	if (store_alert_rows(st, team, 1, 50, alert_li, b) != STORE_OK)
		buf_puts(b, "<li class=\"err\">cannot read the alerts</li>\n");
	else if (b->len == before)
		buf_puts(b, "<li>None open.</li>\n");
	buf_puts(b, "</ul>\n");
}

static void search_page(const struct rate_env *env, struct store *st,
			const struct store_user *u, const char *sid,
			const struct dashboard_request *rq,
			struct dashboard_response *rs)
{
	const char *q = rq->arg ? rq->arg(rq->arg_ctx, "q") : NULL;
	struct buf *b = &rs->body;
	struct store_rating_filter f;
	struct report_comment *c = NULL;
	size_t nc = 0;

	page_head(env, b, "Comments", sid);
	buf_printf(b,
		   "<form method=\"get\" action=\"%s/admin/search\" "
		   "class=\"card\"><label for=\"q\">Search the comments"
		   "</label><input type=\"search\" id=\"q\" name=\"q\" "
		   "value=\"",
		   env->base_path);
	html(b, q);
	buf_puts(b, "\"> <button>Search</button></form>\n");
	memset(&f, 0, sizeof(f));
	f.text = q && *q ? q : NULL;
	f.commented = 1;
	f.replies = 1;
	f.limit = 100;
	/* an admin searches everything; a team user each of their teams */
	for (const char *p = u->is_admin ? "" : u->teams; p;) {
		size_t k = strcspn(p, " ");
		char t[256];
		struct report_comment *more = NULL;
		size_t nmore = 0;

		if (!u->is_admin && !k)
			break;
		snprintf(t, sizeof(t), "%.*s", (int)k, p);
		f.team = u->is_admin ? NULL : t;
		if (report_comments(st, &f, &more, &nmore) != STORE_OK) {
			log_error("dashboard: %s", store_errmsg(st));
			buf_puts(b, "<p class=\"err\">The search failed.</p>");
			break;
		}
		if (nmore) {
			report_html_comments(b, more, nmore);
			nc += nmore;
		}
		report_comments_free(more, nmore);
		if (u->is_admin || !p[k])
			break;
		p += k + 1;
	}
	if (!nc)
		buf_puts(b, "<p>No comments found.</p>\n");
	report_comments_free(c, 0);
	page_tail(b);
	page_html(rs, 200);
}

static void export_csv(const struct rate_env *env, struct store *st,
		       const struct store_user *u,
		       const struct dashboard_request *rq,
		       struct dashboard_response *rs)
{
	const char *team = rq->arg ? rq->arg(rq->arg_ctx, "team") : NULL;
	struct report r, all;
	int groups[] = {STORE_GROUP_TEAM, STORE_GROUP_AGENT};
	struct report_query q;

	if (team && !*team)
		team = NULL;
	if (team ? !user_sees(u, team) : !u->is_admin && !u->teams[0]) {
		error_page(env, rs, 404, "Not found");
		return;
	}
	memset(&q, 0, sizeof(q));
	q.team = team;
	q.by = STORE_PERIOD_MONTH;
	q.since = rq->now - TREND_DAYS * SECONDS_PER_DAY;
	if (report_run(st, &q, groups, 2, &all) != STORE_OK) {
		log_error("dashboard: %s", store_errmsg(st));
		error_page(env, rs, 503, "Try again later");
		return;
	}
	/* keep only what this user may see */
	memset(&r, 0, sizeof(r));
	r.by = all.by;
	r.rows = all.rows;
	for (size_t i = 0; i < all.n; i++) {
		if (user_sees(u, all.rows[i].team)) {
			struct report_row tmp = all.rows[r.n];

			all.rows[r.n] = all.rows[i];
			all.rows[i] = tmp;
			r.n++;
		}
	}
	report_write_csv(&rs->body, &r);
	report_free(&all);
	rs->status = 200;
	rs->content_type = "text/csv; charset=utf-8";
	snprintf(rs->disposition, sizeof(rs->disposition),
		 "attachment; filename=\"mailmood-%s.csv\"",
		 team && !team[strcspn(team, "\"\\\r\n;")] ? team : "report");
}

/* ------------------------------------------------------------ entry */

int dashboard_match(const char *path)
{
	return !strcmp(path, "/admin") || !strncmp(path, "/admin/", 7) ||
	       !strcmp(path, "/static/dashboard.css");
}

void dashboard_handle(const struct rate_env *env, struct store *st,
		      const struct dashboard_request *rq,
		      struct dashboard_response *rs)
{
	int get = !strcmp(rq->method, "GET") || !strcmp(rq->method, "HEAD");
	int post = !strcmp(rq->method, "POST");
	const char *p = rq->path;
	char sid[SID_LEN + 8], key[65];
	struct store_user u;
	struct buf fc;
	enum store_rc rc;

	rs->status = 500;
	rs->content_type = "text/plain; charset=utf-8";
	if (!strcmp(p, "/static/dashboard.css")) {
		if (!get) {
			error_page(env, rs, 405, "Method not allowed");
			return;
		}
		rs->status = 200;
		rs->content_type = "text/css; charset=utf-8";
		rs->cacheable = 1;
		buf_append(&rs->body, dashboard_css, sizeof(dashboard_css) - 1);
		return;
	}
	if (!get && !post) {
		error_page(env, rs, 405, "Method not allowed");
		return;
	}
	/* a form from another site: refused before anything else. "null"
	 * is what browsers send for our own forms under no-referrer. */
	if (post && !rate_origin_ok(env, rq->origin)) {
		error_page(env, rs, 403, "Forbidden");
		return;
	}
	if (!st) {
		error_page(env, rs, 503, "Try again later");
		return;
	}
	if (!strcmp(p, "/admin")) {
		redirect(env, rs, "/admin/");
		return;
	}
	if (!strcmp(p, "/admin/login")) {
		if (post)
			do_login(env, st, rq, rs);
		else
			login_form(env, rs, 200, NULL, NULL);
		return;
	}
	/* everything else needs a session */
	if (cookie_get(rq->cookie, COOKIE_SESSION, sid, sizeof(sid)) < 0 ||
	    strlen(sid) != SID_LEN || session_key(sid, key) < 0 ||
	    (rc = store_session_user(st, key, rq->now, &u)) == STORE_NOTFOUND) {
		if (post)
			error_page(env, rs, 403, "Forbidden");
		else
			redirect(env, rs, "/admin/login");
		return;
	}
	if (rc != STORE_OK) {
		log_error("dashboard: %s", store_errmsg(st));
		error_page(env, rs, 503, "Try again later");
		return;
	}
	if (post) {
		buf_init(&fc);
		if (token_csrf_check(&env->key, sid, "admin",
				     form(rq, "csrf", &fc)) != 0) {
			log_info("dashboard: POST %s by %s without a valid "
				 "csrf value ip=%s",
				 p, u.name, rq->ip);
			error_page(env, rs, 403, "Forbidden");
		} else if (!strcmp(p, "/admin/logout")) {
			store_session_delete(st, key, rq->now);
			set_cookie(env, rs, 0, COOKIE_SESSION, "", 0);
			redirect(env, rs, "/admin/login");
		} else {
			error_page(env, rs, 404, "Not found");
		}
		buf_free(&fc);
	} else if (!strcmp(p, "/admin/")) {
		overview(env, st, &u, sid, rq, rs);
	} else if (!strncmp(p, "/admin/team/", 12) && p[12]) {
		team_page(env, st, &u, sid, p + 12, rq, rs);
	} else if (!strncmp(p, "/admin/customers/", 17) && p[17]) {
		customers_page(env, st, &u, sid, p + 17, rq, rs);
	} else if (!strcmp(p, "/admin/search")) {
		search_page(env, st, &u, sid, rq, rs);
	} else if (!strcmp(p, "/admin/export.csv")) {
		export_csv(env, st, &u, rq, rs);
	} else {
		error_page(env, rs, 404, "Not found");
	}
	store_user_free(&u);
}
