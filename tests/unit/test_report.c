/* SPDX-License-Identifier: BSD-2-Clause */
/* Report figures on a seeded store with hand-computed values: counts,
 * temperature, NPS, CSAT, mean, response rate, alerts and median time to
 * acknowledge, the small-n rule, periods and trends, scale mixes, all-red,
 * empty; the store ops behind them (comment search, purge in one
 * transaction, users and sessions) and the password hashes. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "auth.h"
#include "report.h"
#include "store.h"
#include "tmpstore.h"

struct fx {
	struct tmpstore t;
	struct store *st; /* t.st */
};

static int64_t day(const char *d)
{
	return report_parse_date(d);
}

static int64_t mk(struct store *st, const char *team, const char *agent,
		  const char *scale, int64_t sent, int status)
{
	struct survey s;

	memset(&s, 0, sizeof(s));
	s.sent_at = sent;
	s.status = status;
	s.team = (char *)team;
	s.agent = (char *)agent;
	s.scale = (char *)scale;
	s.rule = "servicedesk";
	s.ticket = "INC-1";
	s.requester = "secret.person@customer.example";
	assert_int_equal(store_survey_insert(st, &s), STORE_OK);
	return s.id;
}

static int64_t rate(struct store *st, int64_t id, int level, int source,
		    int64_t at, const char *why)
{
	struct rating r;

	memset(&r, 0, sizeof(r));
	r.survey_id = id;
	r.level = level;
	r.source = source;
	r.at = at;
	r.why = (char *)why;
	assert_int_equal(store_rating_add(st, &r), STORE_OK);
	return r.id;
}

static void sql(struct fx *f, const char *q)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(f->t.path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, q, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static int64_t alert(struct store *st, int64_t sid, int64_t rid)
{
	struct outbox_item o;

	memset(&o, 0, sizeof(o));
	o.kind = OUTBOX_ALERT;
	o.survey_id = sid;
	o.rating_id = rid;
	o.due = 0;
	assert_int_equal(store_outbox_enqueue(st, &o), STORE_OK);
	return o.id;
}

/* The fixed data set. */
static void seed(struct fx *f)
{
	struct store *st = f->st;
	int64_t m = day("2025-03-10"), id, rid, a1 = 0, a2 = 0, a3 = 0;
	char q[256];
	struct hit h;

	/* acme, March 2025: 20 surveys sent, 10 rated: gold 3 (one was red
	 * first), green 3, amber 2, red 2; two by mail; one cooldown
	 * survey that must not count as sent */
	static const int lv[10] = {4, 4, 4, 3, 3, 3, 2, 2, 1, 1};
	for (int i = 0; i < 20; i++) {
		id = mk(st, "acme", i % 2 ? "bob" : "ann", "thermometer",
			m + i * 60, SURVEY_SENT);
		if (i >= 10)
			continue;
		if (i == 0)
			rate(st, id, 1, RATING_WEB, m + 3600, NULL);
		rid = rate(st, id, lv[i],
			   i == 3 || i == 4 ? RATING_MAIL : RATING_WEB,
			   m + 7200, i == 5 ? "Great <b>help</b>" : NULL);
		if (i == 8)
			a1 = alert(st, id, rid);
		if (i == 9)
			a2 = alert(st, id, rid);
		if (i == 0) {
			/* the first (red) choice's alert, cancelled */
			a3 = alert(st, id, rid);
			assert_int_equal(
			    store_outbox_cancel(st, id, OUTBOX_ALERT),
			    STORE_OK);
		}
		if (i < 4) {
			memset(&h, 0, sizeof(h));
			h.survey_id = id;
			h.at = m + 10;
			h.level = 4;
			h.machine = i < 3;
			assert_int_equal(store_hit_insert(st, &h), STORE_OK);
		}
	}
	(void)a3;
	mk(st, "acme", "ann", "thermometer", m, SURVEY_COOLDOWN);
	snprintf(q, sizeof(q),
		 "INSERT INTO alert_acks VALUES (%lld, 'ann', (SELECT "
		 "created_at FROM outbox WHERE id = %lld) + 600);"
		 "INSERT INTO alert_acks VALUES (%lld, 'bob', (SELECT "
		 "created_at FROM outbox WHERE id = %lld) + 1800);",
		 (long long)a1, (long long)a1, (long long)a2, (long long)a2);
	sql(f, q);

	/* beta: 4 surveys, 3 rated: below the small-n threshold */
	for (int i = 0; i < 4; i++) {
		id = mk(st, "beta", "cy", "thermometer", m, SURVEY_SENT);
		if (i < 3)
			rate(st, id, 4, RATING_WEB, m + 60, NULL);
	}

	/* gamma: January 5 gold, February 3 warm of 5: trend -40 */
	for (int i = 0; i < 5; i++) {
		id = mk(st, "gamma", "di", "thermometer", day("2025-01-15"),
			SURVEY_SENT);
		rate(st, id, 4, RATING_WEB, day("2025-01-16"), NULL);
		id = mk(st, "gamma", "di", "thermometer", day("2025-02-15"),
			SURVEY_SENT);
		rate(st, id, i < 3 ? 3 : 1, RATING_WEB, day("2025-02-16"),
		     NULL);
	}
	/* a Monday that belongs to ISO week 1 of the next year */
	id = mk(st, "gamma", "di", "thermometer", day("2024-12-30"),
		SURVEY_SENT);

	/* mix: grade10 9, 7, 3 and nps 10, 6 */
	static const struct {
		const char *scale;
		int level;
	} mix[] = {{"grade10", 9},
		   {"grade10", 7},
		   {"grade10", 3},
		   {"nps", 10},
		   {"nps", 6}};
	for (size_t i = 0; i < 5; i++) {
		id = mk(st, "mix", NULL, mix[i].scale, m, SURVEY_SENT);
		rate(st, id, mix[i].level, RATING_WEB, m + 1, NULL);
	}

	/* red: five red ratings */
	for (int i = 0; i < 5; i++) {
		id = mk(st, "red", "eve", "thermometer", m, SURVEY_SENT);
		rate(st, id, 1, RATING_WEB, m + 1, "Nobody called BACK");
	}
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	if (tmpstore_make(&f->t, "test_report") < 0 || tmpstore_open(&f->t) < 0)
		return -1;
	f->st = f->t.st;
	*state = f;
	seed(f);
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	tmpstore_remove(&f->t);
	free(f);
	return 0;
}

static const struct report_row *find(const struct report *r, int group,
				     const char *team, const char *agent,
				     const char *period)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct report_row *w = &r->rows[i];

		if (w->group == group &&
		    (team ? w->team && !strcmp(w->team, team) : !w->team) &&
		    (agent ? w->agent && !strcmp(w->agent, agent)
			   : !w->agent) &&
		    (period ? w->period && !strcmp(w->period, period)
			    : !w->period))
			return w;
	}
	fail_msg("no row %s/%s/%s", team ? team : "-", agent ? agent : "-",
		 period ? period : "-");
	return NULL;
}

static void run(struct fx *f, const char *team, int by, int group,
		struct report *r)
{
	struct report_query q;

	memset(&q, 0, sizeof(q));
	q.team = team;
	q.by = by;
	assert_int_equal(report_run(f->st, &q, &group, 1, r), STORE_OK);
}

#define assert_share(v, want) assert_true(fabs((v) - (want)) < 1e-9)

static void test_team_figures(void **state)
{
	struct report r;
	const struct report_row *w;

	run(*state, "acme", STORE_PERIOD_NONE, STORE_GROUP_TEAM, &r);
	assert_int_equal(r.n, 1);
	w = find(&r, STORE_GROUP_TEAM, "acme", NULL, NULL);
	assert_int_equal(w->surveys, 20); /* cooldown not counted */
	assert_int_equal(w->responses, 10);
	assert_share(w->response_rate, 50.0);
	assert_int_equal(w->counts[SCALE_THERMOMETER][0], 2); /* red */
	assert_int_equal(w->counts[SCALE_THERMOMETER][1], 2);
	assert_int_equal(w->counts[SCALE_THERMOMETER][2], 3);
	assert_int_equal(w->counts[SCALE_THERMOMETER][3], 3); /* gold */
	assert_share(w->temperature, 60.0);
	assert_share(w->nps, -10.0); /* 3 promoters - 4 detractors of 10 */
	assert_share(w->csat, 60.0);
	assert_share(w->mean, 2.7);
	assert_int_equal(w->mail, 2);
	assert_int_equal(w->web, 8);
	assert_int_equal(w->machine_hits, 3);
	assert_int_equal(w->alerts, 2); /* the cancelled one is not */
	assert_int_equal(w->acked, 2);
	assert_true(isnan(w->acked_share));    /* 2 < REPORT_SMALL_N */
	assert_int_equal(w->median_ack, 1200); /* (600 + 1800) / 2 */
	assert_false(w->small);
	assert_ptr_equal(w->scale, scale_get(SCALE_THERMOMETER));
	report_free(&r);
}

static void test_agents_and_overall(void **state)
{
	struct report r;
	const struct report_row *w;
	int groups[] = {STORE_GROUP_OVERALL, STORE_GROUP_TEAM,
			STORE_GROUP_AGENT};
	struct report_query q;

	memset(&q, 0, sizeof(q));
	assert_int_equal(
	    report_run(((struct fx *)*state)->st, &q, groups, 3, &r), STORE_OK);
	assert_int_equal(r.rows[0].group, STORE_GROUP_OVERALL);
	w = find(&r, STORE_GROUP_OVERALL, NULL, NULL, NULL);
	assert_int_equal(w->surveys, 20 + 4 + 11 + 5 + 5);
	assert_int_equal(w->responses, 10 + 3 + 10 + 5 + 5);
	assert_true(w->mixed);
	assert_true(isnan(w->mean));
	/* ann rated gold, gold, green, amber, red (i even) */
	w = find(&r, STORE_GROUP_AGENT, "acme", "ann", NULL);
	assert_int_equal(w->surveys, 10);
	assert_int_equal(w->responses, 5);
	assert_share(w->temperature, 60.0);
	assert_share(w->nps, 0.0); /* 2 gold - 2 (amber, red) */
	/* a survey without agent is "(none)", never the team total */
	w = find(&r, STORE_GROUP_AGENT, "mix", "(none)", NULL);
	assert_int_equal(w->responses, 5);
	report_free(&r);
}

static void test_small_n(void **state)
{
	struct report r;
	const struct report_row *w;
	struct buf b;

	run(*state, "beta", STORE_PERIOD_NONE, STORE_GROUP_TEAM, &r);
	w = find(&r, STORE_GROUP_TEAM, "beta", NULL, NULL);
	assert_int_equal(w->surveys, 4);
	assert_int_equal(w->responses, 3);
	assert_true(w->small);
	assert_true(isnan(w->response_rate));
	assert_true(isnan(w->temperature));
	assert_true(isnan(w->nps));
	assert_true(isnan(w->csat));
	assert_int_equal(w->counts[SCALE_THERMOMETER][3], 3);
	assert_int_equal(w->warm, 3);
	buf_init(&b);
	report_write_json(&b, &r);
	assert_non_null(strstr(b.data, "\"temperature\":null"));
	assert_non_null(strstr(b.data, "\"small_n\":true"));
	assert_non_null(strstr(b.data, "\"gold\":3"));
	buf_reset(&b);
	report_put_share(&b, w->temperature, w->responses);
	assert_string_equal(b.data, "n=3");
	buf_free(&b);
	report_free(&r);
}

static void test_periods_and_trend(void **state)
{
	struct report r;
	const struct report_row *w;

	run(*state, "gamma", STORE_PERIOD_MONTH, STORE_GROUP_TEAM, &r);
	assert_int_equal(r.n, 3); /* 2024-12 (no rating), 2025-01, 2025-02 */
	w = find(&r, STORE_GROUP_TEAM, "gamma", NULL, "2025-01");
	assert_share(w->temperature, 100.0);
	assert_true(isnan(w->trend_temperature)); /* 2024-12 is not shown */
	w = find(&r, STORE_GROUP_TEAM, "gamma", NULL, "2025-02");
	assert_share(w->temperature, 60.0);
	assert_share(w->trend_temperature, -40.0);
	assert_share(w->nps, -40.0); /* 0 promoters, 2 red of 5 */
	assert_share(w->trend_nps, -140.0);
	report_free(&r);

	run(*state, "gamma", STORE_PERIOD_QUARTER, STORE_GROUP_TEAM, &r);
	w = find(&r, STORE_GROUP_TEAM, "gamma", NULL, "2025-Q1");
	assert_int_equal(w->responses, 10);
	assert_int_equal(w->surveys, 10);
	find(&r, STORE_GROUP_TEAM, "gamma", NULL, "2024-Q4");
	report_free(&r);

	run(*state, "gamma", STORE_PERIOD_WEEK, STORE_GROUP_TEAM, &r);
	w = find(&r, STORE_GROUP_TEAM, "gamma", NULL, "2025-W01");
	assert_int_equal(w->surveys, 1);
	find(&r, STORE_GROUP_TEAM, "gamma", NULL, "2025-W03");
	report_free(&r);

	run(*state, "gamma", STORE_PERIOD_DAY, STORE_GROUP_TEAM, &r);
	w = find(&r, STORE_GROUP_TEAM, "gamma", NULL, "2025-02-15");
	assert_int_equal(w->surveys, 5);
	report_free(&r);
}

static void test_window_trend(void **state)
{
	struct report r;
	struct report_query q;
	int g = STORE_GROUP_TEAM;
	const struct report_row *w;

	/* February against the same length before it (mid-Jan..Feb) */
	memset(&q, 0, sizeof(q));
	q.team = "gamma";
	q.since = day("2025-02-01");
	q.until = day("2025-03-01");
	assert_int_equal(report_run(((struct fx *)*state)->st, &q, &g, 1, &r),
			 STORE_OK);
	w = find(&r, STORE_GROUP_TEAM, "gamma", NULL, NULL);
	assert_int_equal(w->responses, 5);
	assert_share(w->trend_temperature, -40.0);
	report_free(&r);
}

static void test_period_prev(void **state)
{
	char p[16];

	(void)state;
	assert_int_equal(
	    report_period_prev(STORE_PERIOD_WEEK, "2025-W01", p, sizeof(p)), 0);
	assert_string_equal(p, "2024-W52");
	report_period_prev(STORE_PERIOD_WEEK, "2021-W01", p, sizeof(p));
	assert_string_equal(p, "2020-W53");
	report_period_prev(STORE_PERIOD_WEEK, "2025-W10", p, sizeof(p));
	assert_string_equal(p, "2025-W09");
	report_period_prev(STORE_PERIOD_MONTH, "2025-01", p, sizeof(p));
	assert_string_equal(p, "2024-12");
	report_period_prev(STORE_PERIOD_QUARTER, "2025-Q1", p, sizeof(p));
	assert_string_equal(p, "2024-Q4");
	report_period_prev(STORE_PERIOD_DAY, "2024-03-01", p, sizeof(p));
	assert_string_equal(p, "2024-02-29");
	assert_int_equal(
	    report_period_prev(STORE_PERIOD_MONTH, "2025-13", p, sizeof(p)),
	    -1);
	assert_int_equal(report_parse_date("2025-03-10"), 1741564800);
	assert_int_equal(report_parse_date("2025-03-10T01:00:00Z"),
			 1741564800 + 3600);
	assert_int_equal(report_parse_date("2025-3-1"), -1);
	assert_int_equal(report_period_parse("quarter"), STORE_PERIOD_QUARTER);
	assert_int_equal(report_period_parse("year"), -1);
}

static void test_scale_mix(void **state)
{
	struct report r;
	const struct report_row *w;

	run(*state, "mix", STORE_PERIOD_NONE, STORE_GROUP_TEAM, &r);
	w = find(&r, STORE_GROUP_TEAM, "mix", NULL, NULL);
	assert_int_equal(w->responses, 5);
	assert_true(w->mixed);
	assert_null(w->scale);
	assert_int_equal(w->promoters, 2); /* grade10 9, nps 10 */
	assert_int_equal(w->passives, 1);  /* grade10 7 */
	assert_int_equal(w->detractors, 2);
	assert_share(w->nps, 0.0);
	assert_share(w->temperature, 80.0); /* 9, 7, 10, 6 upper halves */
	assert_share(w->csat, 40.0);	    /* 9, 10 */
	assert_true(isnan(w->mean));
	report_free(&r);
}

static void test_all_red_and_empty(void **state)
{
	struct report r;
	const struct report_row *w;

	run(*state, "red", STORE_PERIOD_NONE, STORE_GROUP_TEAM, &r);
	w = find(&r, STORE_GROUP_TEAM, "red", NULL, NULL);
	assert_share(w->temperature, 0.0);
	assert_share(w->nps, -100.0);
	assert_share(w->csat, 0.0);
	assert_share(w->mean, 1.0);
	report_free(&r);
	run(*state, "nobody", STORE_PERIOD_MONTH, STORE_GROUP_TEAM, &r);
	assert_int_equal(r.n, 0);
	report_free(&r);
}

/* Regression: the group index did not grow past its first size, so an
 * all-teams report over more than 64 teams never finished. */
static void test_many_teams(void **state)
{
	struct fx *f = *state;
	const int groups[] = {STORE_GROUP_TEAM, STORE_GROUP_AGENT};
	struct report_query q;
	struct report r;
	char team[32];
	size_t teams = 0;

	assert_int_equal(store_begin(f->st), STORE_OK);
	for (int i = 0; i < 150; i++) {
		snprintf(team, sizeof(team), "bulk%03d", i);
		rate(f->st,
		     mk(f->st, team, "a", "thermometer", day("2024-03-05"),
			SURVEY_SENT),
		     1 + i % 4, RATING_WEB, day("2024-03-06"), NULL);
	}
	assert_int_equal(store_commit(f->st), STORE_OK);
	memset(&q, 0, sizeof(q));
	q.by = STORE_PERIOD_MONTH;
	assert_int_equal(report_run(f->st, &q, groups, 2, &r), STORE_OK);
	for (size_t i = 0; i < r.n; i++)
		if (r.rows[i].group == STORE_GROUP_TEAM && r.rows[i].team &&
		    !strncmp(r.rows[i].team, "bulk", 4))
			teams++;
	assert_int_equal(teams, 150);
	assert_int_equal(
	    find(&r, STORE_GROUP_TEAM, "bulk149", NULL, "2024-03")->responses,
	    1);
	report_free(&r);
}

static void test_formats(void **state)
{
	struct report r;
	struct buf b;

	run(*state, "acme", STORE_PERIOD_MONTH, STORE_GROUP_AGENT, &r);
	buf_init(&b);
	report_write_csv(&b, &r);
	assert_non_null(strstr(b.data, "group,team,agent,rule,period,"));
	assert_non_null(strstr(b.data, "agent,acme,ann,,2025-03,thermometer,"
				       "10,5,50.0,60.0,0.0,60.0,"));
	buf_reset(&b);
	report_write_text(&b, &r);
	assert_non_null(strstr(b.data, "TEMP"));
	assert_non_null(strstr(b.data, "red:1 amber:1 green:1 gold:2"));
	buf_free(&b);
	report_free(&r);
}

static int count_row(void *arg, const struct store_rating_row *r)
{
	(void)r;
	(*(int *)arg)++;
	return 0;
}

static void test_comment_search(void **state)
{
	struct fx *f = *state;
	struct store_rating_filter sf;
	struct report_comment *c;
	size_t n;
	int k = 0;

	memset(&sf, 0, sizeof(sf));
	sf.text = "called back";
	sf.commented = 1;
	assert_int_equal(report_comments(f->st, &sf, &c, &n), STORE_OK);
	assert_int_equal(n, 5);
	assert_string_equal(c[0].team, "red");
	report_comments_free(c, n);
	sf.text = "<b>HELP";
	sf.team = "red";
	assert_int_equal(report_comments(f->st, &sf, &c, &n), STORE_OK);
	assert_int_equal(n, 0);
	report_comments_free(c, n);
	sf.team = "acme";
	sf.limit = 1;
	assert_int_equal(report_comments(f->st, &sf, &c, &n), STORE_OK);
	assert_int_equal(n, 1);
	assert_string_equal(c[0].why, "Great <b>help</b>");
	report_comments_free(c, n);
	/* history: the survey rated red, then gold, has two ratings */
	memset(&sf, 0, sizeof(sf));
	sf.team = "acme";
	sf.history = 1;
	assert_int_equal(store_rating_rows(f->st, &sf, count_row, &k),
			 STORE_OK);
	assert_int_equal(k, 11);
}

static int64_t count(struct fx *f, const char *q)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	int64_t v = -1;

	assert_int_equal(sqlite3_open(f->t.path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, q, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

/* Is needle anywhere in the bytes of the file? */
static int file_has(const char *path, const char *needle)
{
	FILE *fp = fopen(path, "rb");
	size_t n = strlen(needle), len;
	char *data;
	int found = 0;

	if (!fp)
		return 0;
	fseek(fp, 0, SEEK_END);
	len = (size_t)ftell(fp);
	rewind(fp);
	data = malloc(len + 1);
	assert_non_null(data);
	assert_int_equal(fread(data, 1, len, fp), len);
	fclose(fp);
	for (size_t i = 0; i + n <= len && !found; i++)
		found = !memcmp(data + i, needle, n);
	free(data);
	return found;
}

static void test_purge_anonymize(void **state)
{
	struct fx *f = *state;
	int64_t n = 0;
	char wal[160];
	struct report r;

	snprintf(wal, sizeof(wal), "%s-wal", f->t.path);
	assert_true(file_has(f->t.path, "secret.person@customer.example") ||
		    file_has(wal, "secret.person@customer.example"));
	assert_int_equal(store_purge(f->st, day("2025-03-01"), 1, &n),
			 STORE_OK);
	assert_int_equal(n, 11); /* gamma: 10 in Jan/Feb, 1 in December */
	assert_int_equal(count(f, "SELECT count(*) FROM surveys WHERE "
				  "requester IS NOT NULL AND sent_at < "
				  "1740787200"),
			 0);
	assert_int_equal(count(f, "SELECT count(*) FROM surveys WHERE "
				  "requester IS NOT NULL"),
			 35);
	/* levels stay: the report still counts them */
	run(f, "gamma", STORE_PERIOD_NONE, STORE_GROUP_TEAM, &r);
	assert_int_equal(r.rows[0].responses, 10);
	report_free(&r);
	/* everything before April: then no address is left in the files */
	assert_int_equal(store_purge(f->st, day("2025-04-01"), 1, &n),
			 STORE_OK);
	assert_int_equal(n, 46);
	assert_false(file_has(f->t.path, "secret.person@customer.example"));
	assert_false(file_has(wal, "secret.person@customer.example"));
	assert_false(file_has(f->t.path, "Nobody called BACK"));
	assert_false(file_has(f->t.path, "Great <b>help</b>"));
}

static void test_purge_delete_atomic(void **state)
{
	struct fx *f = *state;
	int64_t n = -1;
	sqlite3 *db;

	/* another writer holds the lock: nothing at all may change */
	assert_int_equal(sqlite3_open(f->t.path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL),
			 SQLITE_OK);
	store_set_busy_timeout(f->st, 50);
	assert_int_not_equal(store_purge(f->st, day("2025-03-01"), 0, &n),
			     STORE_OK);
	assert_int_equal(n, 0);
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
	assert_int_equal(count(f, "SELECT count(*) FROM surveys"), 46);

	assert_int_equal(store_purge(f->st, day("2025-03-01"), 0, &n),
			 STORE_OK);
	assert_int_equal(n, 11);
	assert_int_equal(count(f, "SELECT count(*) FROM surveys"), 35);
	assert_int_equal(count(f, "SELECT count(*) FROM ratings r WHERE NOT "
				  "EXISTS (SELECT 1 FROM surveys s WHERE "
				  "s.id = r.survey_id)"),
			 0);
	assert_int_equal(count(f, "SELECT count(*) FROM ratings"), 24);
}

static void test_users_sessions(void **state)
{
	struct fx *f = *state;
	struct store_user u, got;
	char h[AUTH_HASH_MAX];

	assert_int_equal(auth_hash("correct horse", h, sizeof(h)), 0);
	assert_true(!strncmp(h, "$y$", 3));
	assert_true(auth_verify("correct horse", h));
	assert_false(auth_verify("correct hors", h));
	assert_false(auth_verify("correct horse", NULL));
	assert_false(auth_verify("x", "*0"));

	memset(&u, 0, sizeof(u));
	u.name = "ann";
	u.pwhash = h;
	u.teams = "acme beta";
	u.created_at = 1;
	assert_int_equal(store_user_put(f->st, &u), STORE_OK);
	assert_int_equal(store_user_get(f->st, "ann", &got), STORE_OK);
	assert_string_equal(got.teams, "acme beta");
	assert_int_equal(got.is_admin, 0);
	store_user_free(&got);
	assert_int_equal(store_user_get(f->st, "nobody", &got), STORE_NOTFOUND);
	for (int i = 0; i < 4; i++)
		store_user_failed(f->st, "ann", 1000, 5, 900);
	assert_int_equal(store_user_get(f->st, "ann", &got), STORE_OK);
	assert_int_equal(got.failures, 4);
	assert_int_equal(got.locked_until, 0);
	store_user_free(&got);
	store_user_failed(f->st, "ann", 1000, 5, 900);
	assert_int_equal(store_user_get(f->st, "ann", &got), STORE_OK);
	assert_int_equal(got.locked_until, 1900);
	assert_int_equal(got.failures, 0);
	store_user_free(&got);
	/* a new password unlocks */
	assert_int_equal(store_user_put(f->st, &u), STORE_OK);
	assert_int_equal(store_user_get(f->st, "ann", &got), STORE_OK);
	assert_int_equal(got.locked_until, 0);
	store_user_free(&got);

	assert_int_equal(store_session_put(f->st, "k1", "ann", 100, 200),
			 STORE_OK);
	assert_int_equal(store_session_user(f->st, "k1", 150, &got), STORE_OK);
	assert_string_equal(got.name, "ann");
	store_user_free(&got);
	assert_int_equal(store_session_user(f->st, "k1", 200, &got),
			 STORE_NOTFOUND);
	assert_int_equal(store_session_user(f->st, "k2", 150, &got),
			 STORE_NOTFOUND);
	assert_int_equal(store_session_delete(f->st, "k1", 0), STORE_OK);
	assert_int_equal(store_session_user(f->st, "k1", 150, &got),
			 STORE_NOTFOUND);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_team_figures),
	    T(test_agents_and_overall),
	    T(test_small_n),
	    T(test_periods_and_trend),
	    T(test_many_teams),
	    T(test_window_trend),
	    cmocka_unit_test(test_period_prev),
	    T(test_scale_mix),
	    T(test_all_red_and_empty),
	    T(test_formats),
	    T(test_comment_search),
	    T(test_purge_anonymize),
	    T(test_purge_delete_atomic),
	    T(test_users_sessions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
