/* SPDX-License-Identifier: BSD-2-Clause */
/* IT rates its customers: who rates which closed ticket (never the
 * requester or another customer), the local day boundaries, the digest
 * mail and its links' tokens, recording on the customer scale. */
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

#include "codec.h"
#include "customer_rating.h"
#include "report_customer.h"

static const char conf_text[] =
    "[general]\n"
    "base_url = https://fb.mailmood.test\n"
    "timezone = Europe/Amsterdam\n"
    "[listener]\n"
    "alert_from = mailmood@msp.test\n"
    "[team acme]\n"
    "name = Team <Acme>\n"
    "match = @acme.test boss@partner.test\n"
    "alert_to = it-acme@msp.test\n"
    "rate_customer = yes\n"
    "customer_digest_at = 09:15\n"
    "[team beta]\n"
    "match = @beta.test\n"
    "alert_to = it-beta@msp.test\n"
    "[team gamma]\n"
    "match = @gamma.test\n"
    "alert_to = it-gamma@msp.test, helpdesk@msp.test\n"
    "language = nl\n"
    "rate_customer = yes\n"
    "customer_scale = binary\n"
    "customer_digest_at = 07:00\n"
    "[team leaky]\n"
    "match = @leaky.test\n"
    "alert_to = someone@leaky.test\n"
    "rate_customer = yes\n";

static struct conf *load_conf(void)
{
	char path[] = "/tmp/mm-cust-XXXXXX", err[2048];
	int fd = mkstemp(path);
	struct conf *c;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, conf_text, strlen(conf_text)),
			 (ssize_t)strlen(conf_text));
	close(fd);
	c = conf_load(path, err, sizeof(err));
	unlink(path);
	if (!c)
		fail_msg("%s", err);
	return c;
}

#define CL(id, tm, tk, ag, rq)                                                 \
	{                                                                      \
		.survey_id = (id), .sent_at = 1000 + (id), .team = (tm),       \
		.ticket = (tk), .subject = "s", .requester = (rq),             \
		.agent = (ag)                                                  \
	}

/* The message with its quoted-printable bodies decoded (the headers
 * hold no '=' that QP would read). */
static char *decoded(const struct buf *m)
{
	struct buf d;

	buf_init(&d);
	codec_qp_decode(&d, m->data, m->len);
	assert_false(d.failed);
	return buf_steal(&d, NULL);
}

static const struct customer_batch *batch_of(const struct customer_selection *s,
					     const char *rater)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->b[i].rater, rater))
			return &s->b[i];
	return NULL;
}

static void test_select(void **state)
{
	struct conf *c = load_conf();
	struct customer_closed cl[] = {
	    CL(1, "acme", "T1", "jan@msp.test", "u1@acme.test"),
	    CL(2, "acme", "T2", NULL, "u2@acme.test"),
	    CL(3, "acme", "T3", "Jan de Vries", "u3@acme.test"),
	    /* the agent address is the requester, or another customer */
	    CL(4, "acme", "T4", "u4@acme.test", "u4@acme.test"),
	    CL(5, "acme", "T5", "boss@partner.test", "u5@acme.test"),
	    CL(6, "beta", "T6", "jan@msp.test", "u6@beta.test"),
	    CL(7, "nosuch", "T7", "jan@msp.test", "u7@x.test"),
	    CL(8, NULL, "T8", "jan@msp.test", "u8@x.test"),
	    CL(9, "GAMMA", "T9", NULL, "u9@gamma.test"),
	    CL(10, "acme", "T10", "JAN@msp.test", "u10@acme.test"),
	    /* alert_to is a customer address: nobody may rate it */
	    CL(11, "leaky", "T11", NULL, "u11@leaky.test"),
	    CL(12, "acme", "T12", "u5@acme.test", "u12@acme.test"),
	    /* a requester no match list names (the rule gave the team) */
	    CL(13, "acme", "T13", "X@other.test", "x@other.test"),
	};
	struct customer_selection s;
	const struct customer_batch *b;

	(void)state;
	assert_int_equal(customer_select(c, cl, 13, NULL, &s), 0);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.refused, 1);
	b = batch_of(&s, "jan@msp.test");
	assert_non_null(b);
	assert_int_equal(b->n, 2);
	assert_int_equal(b->items[0].survey_id, 1);
	assert_int_equal(b->items[1].survey_id, 10); /* case-insensitive */
	assert_int_equal(b->due_at, 9 * 60 + 15);
	b = batch_of(&s, "it-acme@msp.test");
	assert_non_null(b);
	assert_int_equal(b->n, 6);
	assert_int_equal(b->items[0].survey_id, 2);
	assert_int_equal(b->items[1].survey_id, 3);
	assert_int_equal(b->items[2].survey_id, 4);
	assert_int_equal(b->items[3].survey_id, 5);
	assert_int_equal(b->items[4].survey_id, 12);
	assert_int_equal(b->items[5].survey_id, 13);
	assert_string_equal(b->lang, "en");
	b = batch_of(&s, "it-gamma@msp.test, helpdesk@msp.test");
	assert_non_null(b);
	assert_int_equal(b->n, 1);
	assert_string_equal(b->lang, "nl");
	assert_int_equal(b->due_at, 7 * 60);
	/* nothing ever goes to a requester or any customer */
	for (size_t i = 0; i < s.n; i++)
		for (size_t j = 0; j < s.b[i].n; j++) {
			assert_null(
			    strstr(s.b[i].rater, s.b[i].items[j].requester));
			assert_null(strstr(s.b[i].rater, "acme.test"));
			assert_null(strstr(s.b[i].rater, "partner.test"));
			assert_null(strstr(s.b[i].rater, "leaky.test"));
		}
	customer_selection_free(&s);

	assert_int_equal(customer_select(c, cl, 13, "gamma", &s), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.b[0].items[0].survey_id, 9);
	customer_selection_free(&s);
	assert_int_equal(customer_select(c, cl, 13, "beta", &s), 0);
	assert_int_equal(s.n, 0);
	customer_selection_free(&s);
	conf_free(c);
}

/* "Yesterday" is the local day of [general] timezone, DST included. */
static void test_day_boundary(void **state)
{
	struct conf *c = load_conf();
	struct customer_day d;
	int minute;

	(void)state;
	/* 2026-03-28 23:30 UTC is 00:30 on the 29th in Amsterdam (CET) */
	customer_yesterday(&c->general.tz, 1774740600LL, &d, &minute);
	assert_string_equal(d.text, "2026-03-28");
	assert_int_equal(minute, 30);
	assert_int_equal(d.since, 1774652400LL); /* 27th 23:00 UTC */
	assert_int_equal(d.until, 1774738800LL); /* 28th 23:00 UTC */
	/* 2026-03-29 22:30 UTC is 00:30 on the 30th (CEST): yesterday was
	 * the 23-hour day */
	customer_yesterday(&c->general.tz, 1774823400LL, &d, &minute);
	assert_string_equal(d.text, "2026-03-29");
	assert_int_equal(d.until - d.since, 23 * 3600);
	assert_int_equal(minute, 30);
	/* UTC would have called both "the 28th" and "the 29th" otherwise */
	{
		struct tz utc;
		char err[64];
		assert_int_equal(tz_load("UTC", &utc, err, sizeof(err)), 0);
		customer_yesterday(&utc, 1774740600LL, &d, &minute);
		assert_string_equal(d.text, "2026-03-27");
		assert_int_equal(minute, 23 * 60 + 30);
	}
	customer_day_of(&c->general.tz, 2026, 10, 25, &d);
	assert_int_equal(d.until - d.since, 25 * 3600);
	conf_free(c);
}

static void key_init(struct token_key *k)
{
	memset(k, 0, sizeof(*k));
	k->len = 32;
	for (size_t i = 0; i < k->len; i++)
		k->bytes[i] = (unsigned char)(i * 7 + 3);
}

/* The tokens of the digest's links verify as customer tokens only. */
static void test_tokens_distinct(void **state)
{
	struct token_key k;
	char ct[TOKEN_BUFSZ], st[TOKEN_BUFSZ];
	int64_t id = 0;

	(void)state;
	key_init(&k);
	assert_int_equal(token_make_customer(&k, 42, ct), 0);
	assert_int_equal(token_make(&k, 42, st), 0);
	assert_int_equal(strlen(ct), TOKEN_LEN);
	assert_string_not_equal(ct, st);
	assert_int_equal(token_verify_customer(&k, ct, strlen(ct), &id), 0);
	assert_int_equal(id, 42);
	assert_int_equal(token_verify(&k, ct, strlen(ct), &id), -1);
	assert_int_equal(token_verify_ack(&k, ct, strlen(ct), &id), -1);
	assert_int_equal(token_verify_customer(&k, st, strlen(st), &id), -1);
}

static void test_compose(void **state)
{
	struct conf *c = load_conf();
	struct token_key k;
	struct customer_closed cl[] = {
	    CL(7, "acme", "INC-7", "jan@msp.test", "u1@acme.test"),
	    CL(8, "acme", "INC-8<b>", "jan@msp.test", "u2@acme.test"),
	};
	struct customer_selection s;
	struct customer_day d;
	struct buf m;
	char tok[TOKEN_BUFSZ], url[256], *hdr_end, *body, *html;
	int64_t id;

	(void)state;
	key_init(&k);
	cl[1].subject = "Printer <script>alert(1)</script>\r\nBcc: x@evil.test";
	assert_int_equal(customer_select(c, cl, 2, NULL, &s), 0);
	assert_int_equal(s.n, 1);
	customer_day_of(&c->general.tz, 2026, 3, 28, &d);
	buf_init(&m);
	assert_int_equal(customer_compose(&m, c, &k, &s.b[0], &d, 1774760000),
			 0);
	assert_non_null(m.data);
	hdr_end = strstr(m.data, "\r\n\r\n");
	assert_non_null(hdr_end);
	*hdr_end = '\0';
	assert_non_null(strstr(m.data, "To: jan@msp.test\r\n"));
	assert_null(strstr(m.data, "acme.test"));
	assert_null(strstr(m.data, "Bcc:"));
	assert_null(strstr(m.data, "Reply-To"));
	assert_non_null(strstr(m.data, "Subject: Rate your customers: 2 "
				       "closed ticket(s) of 2026-03-28"));
	*hdr_end = '\r';
	body = decoded(&m);
	/* one row of level links per ticket, each a customer token */
	assert_int_equal(token_make_customer(&k, 7, tok), 0);
	for (int v = 1; v <= 4; v++) {
		snprintf(url, sizeof(url), "https://fb.mailmood.test/k/%s/%d\"",
			 tok, v);
		assert_non_null(strstr(body, url));
	}
	snprintf(url, sizeof(url), "https://fb.mailmood.test/k/%s/5", tok);
	assert_null(strstr(body, url));
	assert_int_equal(token_verify_customer(&k, tok, strlen(tok), &id), 0);
	assert_int_equal(id, 7);
	/* the HTML part escapes what came from the mail (QP-encoded: the
	 * escaped form survives, the raw tag does not) */
	html = strstr(body, "Content-Type: text/html");
	assert_non_null(html);
	assert_null(strstr(html, "<script>"));
	/* the text part shows it as text, one line */
	assert_non_null(strstr(body, "Printer <script>alert(1)</script> Bcc"));
	assert_non_null(strstr(body, "&lt;script&gt;"));
	assert_non_null(strstr(body, "Team &lt;Acme&gt;"));
	assert_non_null(strstr(body, "INC-8&lt;b&gt;"));
	free(body);
	buf_free(&m);
	customer_selection_free(&s);
	conf_free(c);
}

static void test_compose_nl_binary(void **state)
{
	struct conf *c = load_conf();
	struct token_key k;
	struct customer_closed cl[] = {
	    CL(9, "gamma", "G-9", NULL, "u9@gamma.test"),
	};
	struct customer_selection s;
	struct customer_day d;
	struct buf m;
	char tok[TOKEN_BUFSZ], url[256], *body;

	(void)state;
	key_init(&k);
	assert_int_equal(customer_select(c, cl, 1, NULL, &s), 0);
	customer_day_of(&c->general.tz, 2026, 3, 28, &d);
	buf_init(&m);
	assert_int_equal(customer_compose(&m, c, &k, &s.b[0], &d, 1774760000),
			 0);
	assert_non_null(strstr(m.data, "To: it-gamma@msp.test,\r\n "
				       "helpdesk@msp.test\r\n"));
	assert_non_null(strstr(m.data, "Subject: Beoordeel je klanten"));
	assert_int_equal(token_make_customer(&k, 9, tok), 0);
	/* binary: two levels, 1 and 2 */
	body = decoded(&m);
	snprintf(url, sizeof(url), "https://fb.mailmood.test/k/%s/2", tok);
	assert_non_null(strstr(body, url));
	snprintf(url, sizeof(url), "https://fb.mailmood.test/k/%s/3", tok);
	assert_null(strstr(body, url));
	assert_non_null(strstr(body, "Hoe goed hielp de klant ons"));
	free(body);
	buf_free(&m);
	customer_selection_free(&s);
	conf_free(c);
}

/* The customer scale bounds the levels; the rater comes from the ticket;
 * a change keeps the history. */
static void test_record(void **state)
{
	struct conf *c = load_conf();
	char dir[] = "/tmp/mm-cust-db-XXXXXX", path[64], err[256];
	struct store *st;
	struct survey s = {0}, beta = {0};
	struct customer_rating cur;
	int64_t n;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/mm.db", dir);
	assert_int_equal(store_open(path, &st, err, sizeof(err)), STORE_OK);
	s.sent_at = 1000;
	s.team = "acme";
	s.agent = "jan@msp.test";
	s.requester = "u@acme.test";
	assert_int_equal(store_survey_insert(st, &s), STORE_OK);
	beta.sent_at = 1000;
	beta.team = "beta";
	beta.requester = "u@beta.test";
	assert_int_equal(store_survey_insert(st, &beta), STORE_OK);

	assert_int_equal(customer_record(st, c, &s, 5, 2000), 1);
	assert_int_equal(customer_record(st, c, &s, 0, 2000), 1);
	assert_int_equal(customer_record(st, c, &beta, 2, 2000), 1);
	assert_int_equal(customer_record(st, c, &s, 1, 2000), 0);
	assert_int_equal(customer_record(st, c, &s, 4, 2100), 0);
	assert_int_equal(store_customer_rating_current(st, s.id, &cur),
			 STORE_OK);
	assert_int_equal(cur.level, 4);
	assert_string_equal(cur.rater, "jan@msp.test");
	customer_rating_free(&cur);
	assert_int_equal(store_customer_rating_count(st, s.id, &n), STORE_OK);
	assert_int_equal(n, 2);
	assert_int_equal(store_customer_rating_current(st, beta.id, &cur),
			 STORE_NOTFOUND);
	store_close(st);
	snprintf(err, sizeof(err), "rm -rf %s", dir);
	assert_int_equal(system(err), 0);
	conf_free(c);
}

/* report --customers: per team and period, small-n, trend. */
static void test_report(void **state)
{
	struct conf *c = load_conf();
	char dir[] = "/tmp/mm-cust-rep-XXXXXX", path[64], err[256];
	static const int now_levels[] = {1, 2, 3, 4, 4, 3};
	struct report_customer r;
	struct store *st;
	struct buf b;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/mm.db", dir);
	assert_int_equal(store_open(path, &st, err, sizeof(err)), STORE_OK);
	for (int i = 0; i < 11; i++) {
		struct survey s = {0};
		s.sent_at = i < 6 ? 1000 + i : 989 + i; /* 5 before 1000 */
		s.team = "acme";
		s.agent = "jan@msp.test";
		s.requester = "u@acme.test";
		assert_int_equal(store_survey_insert(st, &s), STORE_OK);
		assert_int_equal(
		    customer_record(st, c, &s, i < 6 ? now_levels[i] : 1, 2000),
		    0);
	}
	assert_int_equal(report_customer_run(st, c, NULL, 1000, 1006, &r),
			 STORE_OK);
	assert_int_equal(r.n, 3); /* acme, gamma, leaky: not beta */
	assert_string_equal(r.rows[0].team->name, "acme");
	assert_int_equal(r.rows[0].rated, 6);
	assert_int_equal(r.rows[0].counts[3], 2);
	assert_false(r.rows[0].small);
	assert_true(fabs(r.rows[0].temperature - 400.0 / 6) < 0.01);
	assert_int_equal(r.rows[0].prev_rated, 5);
	assert_true(fabs(r.rows[0].trend - 400.0 / 6) < 0.01);
	assert_int_equal(r.rows[1].rated, 0);
	assert_true(r.rows[1].small);
	assert_true(isnan(r.rows[1].temperature));
	buf_init(&b);
	report_customer_json(&b, &r);
	assert_non_null(strstr(b.data, "\"team\": \"acme\", \"name\": "
				       "\"Team <Acme>\", \"scale\": "
				       "\"thermometer\", \"rated\": 6, "
				       "\"levels\": {\"red\": 1, \"amber\": 1, "
				       "\"green\": 2, \"gold\": 2}, \"small\": "
				       "false, \"temperature\": 66.7, "
				       "\"trend\": 66.7}"));
	buf_reset(&b);
	report_customer_html(&b, &r);
	assert_non_null(strstr(b.data, "<h2>Team &lt;Acme&gt;</h2>"));
	assert_null(strstr(b.data, "<Acme>"));
	buf_free(&b);
	report_customer_free(&r);
	/* fewer than REPORT_SMALL_N: counts, no temperature */
	assert_int_equal(report_customer_run(st, c, "acme", 1000, 1003, &r),
			 STORE_OK);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.rows[0].rated, 3);
	assert_true(r.rows[0].small);
	assert_true(isnan(r.rows[0].temperature));
	assert_true(isnan(r.rows[0].trend));
	report_customer_free(&r);
	store_close(st);
	snprintf(err, sizeof(err), "rm -rf %s", dir);
	assert_int_equal(system(err), 0);
	conf_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_select),
	    cmocka_unit_test(test_day_boundary),
	    cmocka_unit_test(test_tokens_distinct),
	    cmocka_unit_test(test_compose),
	    cmocka_unit_test(test_compose_nl_binary),
	    cmocka_unit_test(test_record),
	    cmocka_unit_test(test_report),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
