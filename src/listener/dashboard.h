/* SPDX-License-Identifier: BSD-2-Clause */
/* The team dashboard of mailmoodd, free of HTTP plumbing (http.c hands
 * requests over for the paths dashboard_match accepts):
 *   GET  /admin/login, POST /admin/login    users of mailmoodctl passwd
 *   POST /admin/logout
 *   GET  /admin/                            overview per visible team
 *   GET  /admin/team/NAME                   per agent, comments, alerts
 *   GET  /admin/customers/NAME              IT's ratings of the customers
 *                                           (rate_customer teams only)
 *   GET  /admin/search?q=TEXT               comment search
 *   GET  /admin/export.csv[?team=NAME]      report by month as CSV
 *   GET  /static/dashboard.css
 * Sessions: a random cookie (HttpOnly, SameSite=Strict, Path=/admin/,
 * Secure when base_url is https); the store keeps only its SHA-256.
 * Every POST carries a CSRF value bound to the session (login: to a
 * pre-session cookie). Logins are throttled per (user name, client
 * address): after DASHBOARD_MAX_FAILURES wrong answers in a row, each
 * further attempt waits DASHBOARD_DELAY_SECONDS, doubling with every
 * failure up to DASHBOARD_DELAY_MAX; a stranger elsewhere cannot lock a
 * user out. Known and unknown user names get the same answers in the
 * same time (the password hash runs for both). A team user sees their
 * teams only; another team's page is 404, as if it did not exist. */
#ifndef MM_DASHBOARD_H
#define MM_DASHBOARD_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "rate.h"
#include "store.h"

#define DASHBOARD_MAX_FAILURES 5
#define DASHBOARD_DELAY_SECONDS 15
#define DASHBOARD_DELAY_MAX (60 * 60)
#define DASHBOARD_SESSION_SECONDS (8 * 3600)

struct dashboard_request {
	const char *method; /* "GET", "HEAD", "POST", ... */
	const char *path;   /* without the query */
	const char *cookie; /* Cookie header, may be NULL */
	const char *origin; /* Origin header, may be NULL */
	/* a query argument by name, NULL when absent */
	const char *(*arg)(void *ctx, const char *name);
	void *arg_ctx;
	const char *body; /* POST body (x-www-form-urlencoded) */
	size_t body_len;
	const char *ip;
	int64_t now;
};

struct dashboard_response {
	int status;
	const char *content_type; /* static string */
	struct buf body;	  /* initialised by the caller */
	int cacheable;
	char set_cookie[2][256]; /* "" when none */
	char location[512];
	char disposition[128];
};

/* 1 when the path belongs to the dashboard. */
int dashboard_match(const char *path);
void dashboard_handle(const struct rate_env *env, struct store *st,
		      const struct dashboard_request *rq,
		      struct dashboard_response *rs);

#endif
