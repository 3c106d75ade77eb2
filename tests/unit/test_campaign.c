/* SPDX-License-Identifier: BSD-2-Clause */
/* [campaign NAME] keys and the selection of a relationship NPS round. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "campaign.h"
#include "campaign_mail.h"
#include "campaign_report.h"
#include "campaign_send.h"
#include "conf.h"
#include "conf_campaign.h"
#include "hitlog.h"
#include "rules.h"
#include "store.h"
#include "store_campaign.h"

#define DAY 86400
#define NOW 1800000000LL

static char tmp_path[64];

static struct conf *load(const char *text, char *err, size_t errlen)
{
	struct conf *c;
	int fd;

	snprintf(tmp_path, sizeof(tmp_path), "/tmp/mm-camp-XXXXXX");
	fd = mkstemp(tmp_path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	c = conf_load(tmp_path, err, errlen);
	unlink(tmp_path);
	return c;
}

static void expect_error(const char *text, int line, const char *key,
			 const char *fragment)
{
	char err[2048], want[128];
	struct conf *c = load(text, err, sizeof(err));

	if (c)
		conf_free(c);
	assert_null(c);
	snprintf(want, sizeof(want), "%s:%d: [campaign rnps] %s: ", tmp_path,
		 line, key);
	if (!strstr(err, want) || !strstr(err, fragment))
		fail_msg("error '%s' lacks '%s' / '%s'", err, want, fragment);
}

#define TEAMS                                                                  \
	"[team acme]\nmatch = @acme.test\nlanguage = nl\n"                     \
	"[team beta]\nmatch = @beta.test\n"

static void test_defaults(void **state)
{
	char err[2048];
	struct conf *c = load(TEAMS "[campaign rnps]\n", err, sizeof(err));
	const struct conf_campaign *k;

	(void)state;
	if (!c)
		fail_msg("%s", err);
	k = conf_campaign_by_name(c, "rnps");
	assert_non_null(k);
	assert_int_equal(k->served_within, 90 * DAY);
	assert_int_equal(k->every, 90 * DAY);
	assert_int_equal(k->quiet, 180 * DAY);
	assert_int_equal(k->sample_rate, 100);
	assert_false(k->anonymous);
	assert_int_equal(k->scale->id, SCALE_NPS);
	assert_int_equal(c->campaign.schedule, CONF_SCHEDULE_MANUAL);
	assert_non_null(strstr(conf_campaign_question(k, "en"), "recommend"));
	assert_non_null(strstr(conf_campaign_question(k, "nl"), "aanbevelen"));
	assert_true(conf_campaign_has_team(k, "acme"));
	assert_true(conf_campaign_has_team(k, NULL));
	conf_free(c);
}

static void test_keys(void **state)
{
	char err[2048];
	struct conf *c =
	    load(TEAMS "[campaign]\nschedule = auto\n[campaign rnps]\n"
		       "question_en = Would you?\nsubject = Ask\n"
		       "served_within = 30d\nevery = 12w\nquiet = 100d\n"
		       "teams = acme\nanonymous = yes\nsample_rate = 25\n"
		       "from = nps@msp.test\nscale = nps\n",
		 err, sizeof(err));
	const struct conf_campaign *k;

	(void)state;
	if (!c)
		fail_msg("%s", err);
	k = conf_campaign_by_name(c, "rnps");
	assert_int_equal(c->campaign.schedule, CONF_SCHEDULE_AUTO);
	assert_string_equal(conf_campaign_question(k, "en"), "Would you?");
	assert_non_null(strstr(conf_campaign_question(k, "nl"), "aanbevelen"));
	assert_string_equal(conf_campaign_subject(k, "nl"), "Ask");
	assert_int_equal(k->served_within, 30 * DAY);
	assert_int_equal(k->every, 84 * DAY);
	assert_int_equal(k->quiet, 100 * DAY);
	assert_true(k->anonymous);
	assert_int_equal(k->sample_rate, 25);
	assert_string_equal(k->from, "nps@msp.test");
	assert_true(conf_campaign_has_team(k, "acme"));
	assert_false(conf_campaign_has_team(k, "beta"));
	assert_false(conf_campaign_has_team(k, NULL));
	conf_free(c);
}

static void test_errors(void **state)
{
	(void)state;
	/* lines: TEAMS is 5 lines, the section header is line 6 */
	expect_error(TEAMS "[campaign rnps]\nevery = soon\n", 7, "every",
		     "not a duration");
	expect_error(TEAMS "[campaign rnps]\nquiet = 1s\n", 7, "quiet",
		     "out of range");
	expect_error(TEAMS "[campaign rnps]\n\nteams = acme gamma\n", 8,
		     "teams", "no [team gamma]");
	expect_error(TEAMS "[campaign rnps]\nscale = thermometer\n", 7, "scale",
		     "scale = nps");
	expect_error(TEAMS "[campaign rnps]\nanonymous = maybe\n", 7,
		     "anonymous", "boolean");
	expect_error(TEAMS "[campaign rnps]\nsample_rate = 101\n", 7,
		     "sample_rate", "percentage");
	expect_error(TEAMS "[campaign rnps]\nfrom = nobody\n", 7, "from",
		     "not an address");
	expect_error(TEAMS "[campaign rnps]\ncolour = red\n", 7, "colour",
		     "unknown key");
	expect_error(TEAMS "[campaign rnps]\n[campaign rnps]\n", 7, "",
		     "appears twice");
}

/* The selection, one rule at a time, on a person who passes them all. */
static void test_select(void **state)
{
	char err[2048];
	struct conf *c = load(TEAMS "[milter]\ninternal = @msp.test\n"
				    "[campaign rnps]\nteams = acme\n",
			      err, sizeof(err));
	const struct conf_campaign *k;
	struct rules_internal in = {0};
	struct campaign_person ok = {"ann@acme.test", "acme", NOW - 30 * DAY, 0,
				     0};
	struct campaign_person p;

	(void)state;
	if (!c)
		fail_msg("%s", err);
	k = conf_campaign_by_name(c, "rnps");
	assert_int_equal(rules_internal_build(c, &in), 0);
	assert_int_equal(campaign_select(k, &in, NOW, 1, &ok), CAMPAIGN_SEND);

	p = ok; /* served window: 90 days */
	p.last_closure = NOW - 91 * DAY;
	assert_int_equal(campaign_select(k, &in, NOW, 1, &p),
			 CAMPAIGN_OUT_NOT_SERVED);
	p.last_closure = NOW - 89 * DAY;
	assert_int_equal(campaign_select(k, &in, NOW, 1, &p), CAMPAIGN_SEND);

	p = ok;
	p.team = "beta";
	assert_int_equal(campaign_select(k, &in, NOW, 1, &p),
			 CAMPAIGN_OUT_TEAM);
	p.team = NULL;
	assert_int_equal(campaign_select(k, &in, NOW, 1, &p),
			 CAMPAIGN_OUT_TEAM);

	p = ok;
	p.address = "desk@msp.test";
	assert_int_equal(campaign_select(k, &in, NOW, 1, &p),
			 CAMPAIGN_OUT_INTERNAL);
	p.address = "root@localhost"; /* a dotless domain is internal */
	assert_int_equal(campaign_select(k, &in, NOW, 1, &p),
			 CAMPAIGN_OUT_INTERNAL);

	p = ok;
	p.unsubscribed = 1;
	assert_int_equal(campaign_select(k, &in, NOW, 1, &p),
			 CAMPAIGN_OUT_UNSUBSCRIBED);

	p = ok; /* quiet: 180 days since the last campaign mail */
	p.last_campaign = NOW - 179 * DAY;
	assert_int_equal(campaign_select(k, &in, NOW, 1, &p),
			 CAMPAIGN_OUT_QUIET);
	p.last_campaign = NOW - 181 * DAY;
	assert_int_equal(campaign_select(k, &in, NOW, 1, &p), CAMPAIGN_SEND);

	p = ok; /* 7 days after a closure survey */
	p.last_closure = NOW - 6 * DAY;
	assert_int_equal(campaign_select(k, &in, NOW, 1, &p),
			 CAMPAIGN_OUT_RECENT_CLOSURE);
	p.last_closure = NOW - 8 * DAY;
	assert_int_equal(campaign_select(k, &in, NOW, 1, &p), CAMPAIGN_SEND);

	rules_internal_free(&in);
	conf_free(c);
}

static void test_sample(void **state)
{
	char err[2048], addr[64];
	struct conf *c = load(TEAMS "[campaign rnps]\nsample_rate = 30\n"
				    "[campaign none]\nsample_rate = 0\n",
			      err, sizeof(err));
	const struct conf_campaign *k, *z;
	int picked = 0, again = 0, other = 0;

	(void)state;
	if (!c)
		fail_msg("%s", err);
	k = conf_campaign_by_name(c, "rnps");
	z = conf_campaign_by_name(c, "none");
	for (int i = 0; i < 1000; i++) {
		struct campaign_person p = {addr, "acme", NOW - 30 * DAY, 0, 0};
		snprintf(addr, sizeof(addr), "user%d@acme.test", i);
		if (campaign_select(k, NULL, NOW, 7, &p) == CAMPAIGN_SEND)
			picked++;
		else
			assert_int_equal(campaign_select(k, NULL, NOW, 7, &p),
					 CAMPAIGN_OUT_SAMPLED);
		/* the same seed, the same people */
		if (campaign_select(k, NULL, NOW, 7, &p) == CAMPAIGN_SEND)
			again++;
		if (campaign_select(k, NULL, NOW, 8, &p) == CAMPAIGN_SEND)
			other++;
		assert_int_equal(campaign_select(z, NULL, NOW, 7, &p),
				 CAMPAIGN_OUT_SAMPLED);
	}
	assert_true(picked > 240 && picked < 360);
	assert_int_equal(picked, again);
	assert_true(other > 240 && other < 360);
	conf_free(c);
}

/* Plan and queue against a real SQLite store: the second round inside
 * `every` finds the first, the quiet period and unsubscribes hold. */
static void test_plan_queue(void **state)
{
	char err[2048], path[] = "/tmp/mm-camp-db-XXXXXX";
	struct conf *c = load(TEAMS "[campaign rnps]\n", err, sizeof(err));
	const struct conf_campaign *k;
	struct store *st;
	struct campaign_plan plan = {0};
	int64_t last, due, round;
	int fd = mkstemp(path);

	(void)state;
	if (!c)
		fail_msg("%s", err);
	assert_true(fd >= 0);
	close(fd);
	unlink(path);
	k = conf_campaign_by_name(c, "rnps");
	assert_int_equal(store_open(path, &st, err, sizeof(err)), STORE_OK);
	{
		const char *req[] = {"ann@acme.test", "bob@beta.test",
				     "ann@acme.test", "cy@acme.test",
				     "old@acme.test", "new@beta.test"};
		const char *team[] = {"beta", "beta", "acme",
				      "acme", "acme", "beta"};
		int64_t at[] = {NOW - 50 * DAY, NOW - 20 * DAY,	 NOW - 10 * DAY,
				NOW - 30 * DAY, NOW - 100 * DAY, NOW - 2 * DAY};
		for (int i = 0; i < 6; i++) {
			struct survey s = {0};
			s.sent_at = at[i];
			s.requester = (char *)req[i];
			s.team = (char *)team[i];
			s.scale = (char *)"nps";
			assert_int_equal(store_survey_insert(st, &s), STORE_OK);
		}
	}
	assert_int_equal(store_campaign_unsubscribe(st, "cy@acme.test", NOW),
			 STORE_OK);
	assert_int_equal(store_campaign_unsubscribed(st, "cy@acme.test"),
			 STORE_OK);
	assert_int_equal(store_campaign_unsubscribed(st, "ann@acme.test"),
			 STORE_NOTFOUND);
	assert_int_equal(campaign_due(st, k, &last, &due), STORE_OK);
	assert_int_equal(last, 0);
	plan.keep_out = 1;
	assert_int_equal(campaign_plan(st, c, k, NULL, NOW, 1, &plan),
			 STORE_OK);
	/* ann (newest survey: acme, in nl), bob; cy unsubscribed, new too
	 * recent, old not served */
	assert_int_equal(plan.n, 2);
	assert_string_equal(plan.address[0], "ann@acme.test");
	assert_string_equal(plan.team[0], "acme");
	assert_string_equal(plan.language[0], "nl");
	assert_string_equal(plan.address[1], "bob@beta.test");
	assert_int_equal(plan.out[CAMPAIGN_OUT_UNSUBSCRIBED], 1);
	assert_int_equal(plan.out[CAMPAIGN_OUT_RECENT_CLOSURE], 1);
	assert_int_equal(plan.nout, 2);
	assert_int_equal(campaign_queue(st, k, &plan, NOW, &round), STORE_OK);
	assert_true(round > 0);
	campaign_plan_free(&plan);

	assert_int_equal(campaign_due(st, k, &last, &due), STORE_OK);
	assert_int_equal(last, NOW);
	assert_int_equal(due, NOW + 90 * DAY);
	{
		struct outbox_item *o;
		size_t n;
		assert_int_equal(
		    store_outbox_claim(st, "t", NOW + 1, 60, 10, &o, &n),
		    STORE_OK);
		assert_int_equal(n, 2);
		assert_int_equal(o[0].kind, OUTBOX_CAMPAIGN);
		outbox_list_free(o, n);
	}
	/* a later round: ann and bob are in their quiet period now, new's
	 * closure survey is 12 days old */
	assert_int_equal(
	    campaign_plan(st, c, k, NULL, NOW + 10 * DAY, 1, &plan), STORE_OK);
	assert_int_equal(plan.n, 1);
	assert_string_equal(plan.address[0], "new@beta.test");
	assert_int_equal(plan.out[CAMPAIGN_OUT_QUIET], 2);
	campaign_plan_free(&plan);
	store_close(st);
	unlink(path);
	conf_free(c);
}

/* Small-n rule, NPS from counts, trend against the team's previous round
 * only when both rounds show figures. */
static void test_report_fold(void **state)
{
	struct campaign_report r = {0};
	struct buf b;

	(void)state;
	r.campaign = strdup("rnps");
	/* acme: 20 sent, 10 answers: 5 promoters, 3 passives, 2 detractors */
	assert_int_equal(
	    campaign_report_add(&r, "acme", 1, NOW, 20, 10, 5, 3, 2), 0);
	/* acme next round: 8 answers: 2 / 2 / 4 */
	assert_int_equal(
	    campaign_report_add(&r, "acme", 2, NOW + 90 * DAY, 10, 8, 2, 2, 4),
	    0);
	/* beta: 4 answers: counts only, no trend */
	assert_int_equal(campaign_report_add(&r, "beta", 1, NOW, 9, 4, 4, 0, 0),
			 0);
	assert_true(r.rows[0].shown);
	assert_int_equal(r.rows[0].nps, 30);
	assert_false(r.rows[0].has_trend);
	assert_int_equal(r.rows[1].nps, -25);
	assert_true(r.rows[1].has_trend);
	assert_int_equal(r.rows[1].trend, -55);
	assert_false(r.rows[2].shown);
	assert_false(
	    r.rows[2].has_trend); /* another team's round is no trend */
	r.rows[1].alerts = 4;
	r.rows[1].acked = 3;
	buf_init(&b);
	campaign_report_render(&r, CAMPAIGN_REPORT_JSON, &b);
	assert_non_null(strstr(b.data, "\"team\": \"beta\", \"round\": 1"));
	assert_non_null(strstr(b.data,
			       "\"detractors\": 0, \"promoters_pct\": "
			       "null, \"passives_pct\": null, "
			       "\"detractors_pct\": null, \"nps\": null"));
	assert_non_null(strstr(
	    b.data,
	    "\"nps\": -25, \"trend\": -55, \"alerts\": 4, \"acked\": 3}"));
	buf_reset(&b);
	campaign_report_render(&r, CAMPAIGN_REPORT_CSV, &b);
	assert_non_null(strstr(b.data, "rnps,beta,1,"));
	assert_non_null(strstr(b.data, ",9,4,44.4,4,0,0,,,,,,0,0\r\n"));
	assert_non_null(strstr(b.data, ",-25,-55,4,3\r\n"));
	buf_reset(&b);
	assert_int_equal(campaign_report_latest_html(&r, NULL, NULL, &b), 2);
	/* the newest acme round and beta's, not acme's first */
	assert_non_null(strstr(b.data, "-25"));
	assert_null(strstr(b.data, "+30"));
	buf_free(&b);
	campaign_report_free(&r);
}

/* The mail: bulk and one-click unsubscribe headers, eleven links in each
 * part, and nothing from outside can add a header. */
static void test_mail(void **state)
{
	struct campaign_mail m = {
	    "nl",
	    "nps@msp.test",
	    "ann@acme.test",
	    "feedback+TOK@msp.test",
	    "Zou u ons aanbevelen?\r\nBcc: evil@x.test",
	    "Hoe waarschijnlijk <b>?",
	    "Team \"Acme\"\r\nX-Evil: 1",
	    "https://fb.test/c/TOK",
	    "https://fb.test/u/TOK",
	    "campaign.1.2@msp.test",
	    NOW,
	};
	struct buf b;
	char *hdr;

	(void)state;
	buf_init(&b);
	assert_int_equal(campaign_mail_compose(&b, &m), 0);
	hdr = strndup(b.data, (size_t)(strstr(b.data, "\r\n\r\n") - b.data));
	assert_non_null(strstr(hdr, "List-Unsubscribe: <https://fb.test/u/TOK>"
				    "\r\nList-Unsubscribe-Post: "
				    "List-Unsubscribe=One-Click\r\n"));
	assert_non_null(strstr(hdr, "Auto-Submitted: auto-generated\r\n"));
	assert_non_null(strstr(hdr, "Precedence: bulk\r\n"));
	assert_non_null(strstr(hdr, "Reply-To: <feedback+TOK@msp.test>\r\n"));
	/* the CR LF in the subject became a space: no Bcc header */
	assert_null(strstr(b.data, "\nBcc:"));
	assert_null(strstr(b.data, "\nX-Evil:"));
	free(hdr);
	/* 0..10 in the text part (QP keeps "/10" and "/0" readable) */
	assert_non_null(strstr(b.data, "https://fb.test/c/TOK/10"));
	assert_non_null(strstr(b.data, "https://fb.test/c/TOK/0"));
	/* HTML escaped in the HTML part */
	assert_non_null(strstr(b.data, "&lt;b&gt;"));
	buf_reset(&b);
	m.to = "ann@acme.test>\r\nBcc: x@y.test";
	assert_int_equal(campaign_mail_compose(&b, &m), -1);
	m.to = "ann@acme.test";
	m.unsub_url = "https://fb.test/u/TOK>\r\nX: y";
	assert_int_equal(campaign_mail_compose(&b, &m), -1);
	buf_free(&b);
}

/* What an answer queues: a detractor's alert (not anonymous, alert_to),
 * a promoter's kudos only with a comment and kudos = yes (anonymous
 * too), nothing for passives. */
static void test_followup(void **state)
{
	char err[2048];
	struct conf *c = load("[listener]\nalert_delay = 5m\n"
			      "[team acme]\nmatch = @acme.test\n"
			      "alert_to = a@msp.test\nkudos = yes\n"
			      "[team beta]\nmatch = @beta.test\n"
			      "alert_to = b@msp.test\n"
			      "[team gamma]\nmatch = @gamma.test\nkudos = yes\n"
			      "[campaign rnps]\n",
			      err, sizeof(err));
	struct store_campaign_row r;
	struct store_campaign_followup f;

	(void)state;
	if (!c)
		fail_msg("%s", err);
	memset(&r, 0, sizeof(r));
	r.team = (char *)"acme";
	campaign_followup(c, &r, 6, NULL, NOW, &f);
	assert_int_equal(f.kind, OUTBOX_CAMPAIGN_ALERT);
	assert_int_equal(f.due, NOW + 300);
	campaign_followup(c, &r, 0, "slow", NOW, &f);
	assert_int_equal(f.kind, OUTBOX_CAMPAIGN_ALERT);
	campaign_followup(c, &r, 7, "fine", NOW, &f);
	assert_int_equal(f.kind, OUTBOX_KIND_UNKNOWN);
	assert_int_equal(f.due, 0);
	campaign_followup(c, &r, 9, NULL, NOW, &f);
	assert_int_equal(
	    f.kind, OUTBOX_KIND_UNKNOWN); /* a promoter without a comment */
	campaign_followup(c, &r, 10, " \n\t", NOW, &f);
	assert_int_equal(f.kind,
			 OUTBOX_KIND_UNKNOWN); /* blanks are no comment */
	campaign_followup(c, &r, 10, "great help", NOW, &f);
	assert_int_equal(f.kind, OUTBOX_CAMPAIGN_KUDOS);
	assert_int_equal(f.due, NOW + 300);
	r.anonymous = 1;
	campaign_followup(c, &r, 3, "slow", NOW, &f);
	assert_int_equal(f.kind, OUTBOX_KIND_UNKNOWN); /* nobody to call back */
	campaign_followup(c, &r, 9, "great help", NOW, &f);
	assert_int_equal(f.kind, OUTBOX_CAMPAIGN_KUDOS);
	r.anonymous = 0;
	r.team = (char *)"beta"; /* no kudos = yes */
	campaign_followup(c, &r, 10, "great help", NOW, &f);
	assert_int_equal(f.kind, OUTBOX_KIND_UNKNOWN);
	r.team = (char *)"gamma"; /* kudos, but nowhere to send them */
	campaign_followup(c, &r, 10, "great help", NOW, &f);
	assert_int_equal(f.kind, OUTBOX_KIND_UNKNOWN);
	campaign_followup(c, &r, 2, "bad", NOW, &f);
	assert_int_equal(f.kind, OUTBOX_KIND_UNKNOWN);
	r.team = (char *)"nosuch";
	campaign_followup(c, &r, 2, "bad", NOW, &f);
	assert_int_equal(f.kind, OUTBOX_KIND_UNKNOWN);
	conf_free(c);
}

/* Outbox rows of a kind in a state, read row by row (a claim would
 * change them). */
static int64_t outbox_count(struct store *st, int kind, int state)
{
	int64_t k = 0;

	for (int64_t id = 1; id < 100; id++) {
		struct outbox_item row;
		if (store_outbox_get(st, id, &row, NULL) != STORE_OK)
			continue;
		if (row.kind == kind && row.state == state)
			k++;
		outbox_item_free(&row);
	}
	return k;
}

/* The store side of an answer and its follow-up, and the hits the burst
 * classifier reads: a promoter's comment added after the confirmation
 * queues kudos once; a changed mind cancels the pending follow-up; a
 * burst over the eleven links marks every hit machine; an anonymous
 * campaign's hits keep no ip or user agent. */
static void test_answer_store(void **state)
{
	char err[2048], path[] = "/tmp/mm-camp-db-XXXXXX";
	struct store *st;
	struct store_campaign_recipient rc[2] = {
	    {0, 0, "ann@acme.test", "acme", "en"},
	    {0, 0, "bob@acme.test", "acme", "en"}};
	struct store_campaign_followup kudos = {OUTBOX_CAMPAIGN_KUDOS,
						NOW + 60};
	struct store_campaign_row r;
	struct hit *h;
	size_t n;
	int64_t round, aid;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	unlink(path);
	assert_int_equal(store_open(path, &st, err, sizeof(err)), STORE_OK);
	assert_int_equal(
	    store_campaign_queue(st, "rnps", 0, NOW, rc, 1, &round), STORE_OK);
	assert_int_equal(
	    store_campaign_queue(st, "anon", 1, NOW, rc + 1, 1, &round),
	    STORE_OK);
	/* the confirmation: 10, no comment, nothing queued */
	assert_int_equal(store_campaign_answer(st, rc[0].id, 10, RATING_WEB,
					       NULL, NULL, NOW, NULL, &aid),
			 STORE_OK);
	/* the comment box: another level or source is no comment of it */
	assert_int_equal(store_campaign_comment(st, rc[0].id, 9, RATING_WEB,
						NULL, "x", NOW, &kudos),
			 STORE_NOTFOUND);
	assert_int_equal(store_campaign_comment(st, rc[0].id, 10, RATING_MAIL,
						NULL, "x", NOW, &kudos),
			 STORE_NOTFOUND);
	assert_int_equal(store_campaign_comment(st, rc[0].id, 10, RATING_WEB,
						NULL, "great", NOW, &kudos),
			 STORE_OK);
	assert_int_equal(store_campaign_comment(st, rc[0].id, 10, RATING_WEB,
						NULL, "great!", NOW, &kudos),
			 STORE_OK);
	assert_int_equal(
	    outbox_count(st, OUTBOX_CAMPAIGN_KUDOS, OUTBOX_PENDING), 1);
	assert_int_equal(store_campaign_recipient(st, rc[0].id, &r), STORE_OK);
	assert_int_equal(r.level, 10);
	assert_true(r.followup_id > 0);
	store_campaign_row_free(&r);
	/* a changed mind: the pending kudos go */
	assert_int_equal(store_campaign_answer(st, rc[0].id, 7, RATING_WEB,
					       NULL, NULL, NOW, NULL, &aid),
			 STORE_OK);
	assert_int_equal(
	    outbox_count(st, OUTBOX_CAMPAIGN_KUDOS, OUTBOX_PENDING), 0);
	assert_int_equal(store_campaign_recipient(st, rc[0].id, &r), STORE_OK);
	assert_int_equal(r.followup_id, 0);
	store_campaign_row_free(&r);

	/* a scanner opens all eleven links within the burst window */
	for (int lv = 0; lv <= 10; lv++) {
		struct hitlog_hit hh;
		memset(&hh, 0, sizeof(hh));
		hh.survey_id = rc[lv % 2].id;
		hh.campaign = 1;
		hh.at = NOW + 100 + lv / 2;
		hh.sent_at = NOW;
		hh.window = 30;
		hh.level = lv / 2;
		hh.ip = "192.0.2.7";
		hh.user_agent = "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0";
		hitlog_record(st, &hh);
	}
	assert_int_equal(store_campaign_hit_list(st, rc[0].id, 0, &h, &n),
			 STORE_OK);
	assert_int_equal(n, 6);
	assert_int_equal(h[0].machine, 1); /* marked when the burst showed */
	assert_int_equal(h[5].machine, 1);
	assert_string_equal(h[5].ip, "192.0.2.7");
	hit_list_free(h, n);
	assert_int_equal(store_campaign_hit_list(st, rc[1].id, 0, &h, &n),
			 STORE_OK);
	assert_int_equal(n, 5);
	for (size_t i = 0; i < n; i++) {
		assert_null(h[i].ip); /* anonymous */
		assert_null(h[i].user_agent);
	}
	hit_list_free(h, n);
	/* nothing before since, and none of another recipient */
	assert_int_equal(
	    store_campaign_hit_list(st, rc[0].id, NOW + 200, &h, &n), STORE_OK);
	assert_int_equal(n, 0);
	hit_list_free(h, n);
	{
		struct hit gone = {0};
		gone.survey_id = 9999;
		gone.ip = (char *)"192.0.2.7";
		assert_int_equal(store_campaign_hit_insert(st, &gone),
				 STORE_NOTFOUND);
	}
	store_close(st);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_keys),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_select),
	    cmocka_unit_test(test_sample),
	    cmocka_unit_test(test_plan_queue),
	    cmocka_unit_test(test_report_fold),
	    cmocka_unit_test(test_mail),
	    cmocka_unit_test(test_followup),
	    cmocka_unit_test(test_answer_store),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
