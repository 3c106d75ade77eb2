/* SPDX-License-Identifier: BSD-2-Clause */
/* The outbox's pure parts (backoff schedule, give-up rule, SMTP reply
 * classification) and the store calls it adds (acknowledgements, digest
 * compare-and-set, requester history, totals). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <curl/curl.h>

#include "outbox.h"
#include "smtp.h"
#include "store.h"
#include "token.h"
#include "tmpstore.h"

static void test_backoff(void **state)
{
	/* 1 min doubling to 1 h */
	assert_int_equal(outbox_backoff(1, 60), 60);
	assert_int_equal(outbox_backoff(2, 60), 120);
	assert_int_equal(outbox_backoff(3, 60), 240);
	assert_int_equal(outbox_backoff(6, 60), 1920);
	assert_int_equal(outbox_backoff(7, 60), 3600);
	assert_int_equal(outbox_backoff(50, 60), 3600);
	assert_int_equal(outbox_backoff(1000, 60), 3600);
	assert_int_equal(outbox_backoff(0, 60), 60);
	assert_int_equal(outbox_backoff(3, 1), 4);
	/* 48 h of retries: the sum of the schedule passes 48 h after ~53
	 * attempts, then the row gives up */
	{
		int64_t t = 0;
		int n = 0;
		while (!outbox_give_up(0, t, 48 * 3600)) {
			n++;
			t += outbox_backoff(n, 60);
		}
		assert_in_range(n, 50, 56);
	}
	assert_false(outbox_give_up(1000, 1000 + 48 * 3600 - 1, 48 * 3600));
	assert_true(outbox_give_up(1000, 1000 + 48 * 3600, 48 * 3600));
}

static void test_classify(void **state)
{
	assert_int_equal(smtp_classify(CURLE_OK, 250), SMTP_OK);
	assert_int_equal(smtp_classify(CURLE_SEND_ERROR, 451), SMTP_TEMPORARY);
	assert_int_equal(smtp_classify(CURLE_WEIRD_SERVER_REPLY, 452),
			 SMTP_TEMPORARY);
	assert_int_equal(smtp_classify(CURLE_SEND_ERROR, 550), SMTP_PERMANENT);
	assert_int_equal(smtp_classify(CURLE_WEIRD_SERVER_REPLY, 554),
			 SMTP_PERMANENT);
	assert_int_equal(smtp_classify(CURLE_COULDNT_CONNECT, 0),
			 SMTP_TEMPORARY);
	assert_int_equal(smtp_classify(CURLE_OPERATION_TIMEDOUT, 0),
			 SMTP_TEMPORARY);
	assert_int_equal(smtp_classify(CURLE_USE_SSL_FAILED, 0),
			 SMTP_TEMPORARY);
	/* our credentials are wrong: fixable, keep the alerts */
	assert_int_equal(smtp_classify(CURLE_LOGIN_DENIED, 535),
			 SMTP_TEMPORARY);
	assert_int_equal(smtp_classify(CURLE_SEND_ERROR, 530), SMTP_TEMPORARY);
}

static void test_send_refused(void **state)
{
	/* nothing listens on port 1: a temporary failure with a reason */
	struct smtp_conf c = {.url = "smtp://127.0.0.1:1",
			      .tls = CONF_SMTP_TLS_NONE,
			      .timeout = 5};
	struct smtp_session *s;
	const char *rcpt[] = {"a@b.example"};
	char err[256], reply[256];

	assert_int_equal(smtp_open(&s, &c, err, sizeof(err)), 0);
	assert_int_equal(smtp_send(s, "x@y.example", rcpt, 1, "a\r\n", 3, reply,
				   sizeof(reply)),
			 SMTP_TEMPORARY);
	assert_true(strlen(reply) > 0);
	smtp_close(s);
	c.user = "u";
	c.password_file = "/nonexistent/pw";
	assert_int_equal(smtp_open(&s, &c, err, sizeof(err)), -1);
}

static struct tmpstore tmp;

static struct store *open_db(void)
{
	assert_int_equal(tmpstore_make(&tmp, "test_outbox"), 0);
	assert_int_equal(tmpstore_open(&tmp), 0);
	return tmp.st;
}

static void close_db(struct store *st)
{
	assert_ptr_equal(st, tmp.st);
	tmpstore_remove(&tmp);
}

static int64_t mk_alert(struct store *st, const char *requester, int level,
			int64_t now)
{
	struct survey s;
	struct rating r;
	struct outbox_item o;

	memset(&s, 0, sizeof(s));
	s.sent_at = now - 100;
	s.team = "acme";
	s.ticket = "INC-1";
	s.requester = (char *)requester;
	s.scale = "thermometer";
	assert_int_equal(store_survey_insert(st, &s), STORE_OK);
	memset(&r, 0, sizeof(r));
	r.survey_id = s.id;
	r.at = now;
	r.level = level;
	r.why = "slow";
	assert_int_equal(store_rating_add(st, &r), STORE_OK);
	memset(&o, 0, sizeof(o));
	o.kind = OUTBOX_ALERT;
	o.survey_id = s.id;
	o.rating_id = r.id;
	o.due = now;
	assert_int_equal(store_outbox_enqueue(st, &o), STORE_OK);
	return o.id;
}

static void test_store_ack(void **state)
{
	struct store *st = open_db();
	int64_t id = mk_alert(st, "a@acme.example", 1, 1000), at = 0;
	char *by = NULL;
	struct outbox_item o;
	int64_t created;

	assert_int_equal(store_alert_ack(st, id, NULL, 0, &by, &at),
			 STORE_NOTFOUND);
	assert_int_equal(store_alert_ack(st, id, "Alice", 2000, &by, &at),
			 STORE_OK);
	assert_string_equal(by, "Alice");
	assert_int_equal(at, 2000);
	free(by);
	/* the first one counts */
	assert_int_equal(store_alert_ack(st, id, "Bob", 3000, &by, &at),
			 STORE_OK);
	assert_string_equal(by, "Alice");
	assert_int_equal(at, 2000);
	free(by);
	assert_int_equal(store_alert_ack(st, id + 100, "Bob", 3000, &by, &at),
			 STORE_NOTFOUND);
	assert_null(by);
	assert_int_equal(store_outbox_get(st, id, &o, &created), STORE_OK);
	assert_int_equal(o.kind, OUTBOX_ALERT);
	assert_true(created > 0);
	outbox_item_free(&o);
	assert_int_equal(store_outbox_get(st, id + 100, &o, NULL),
			 STORE_NOTFOUND);
	close_db(st);
}

static void test_store_history_stats(void **state)
{
	struct store *st = open_db();
	int64_t a1 = mk_alert(st, "a@acme.example", 1, 1000);
	int64_t n, last;
	struct store_outbox_stats s;
	struct outbox_item *rows;
	size_t nrows;
	struct outbox_item o;
	int64_t sid;

	(void)a1;
	mk_alert(st, "a@acme.example", 1, 1100);
	mk_alert(st, "b@acme.example", 1, 1200);
	assert_int_equal(store_outbox_get(st, a1, &o, NULL), STORE_OK);
	sid = o.survey_id;
	outbox_item_free(&o);
	assert_int_equal(
	    store_requester_alerts(st, "a@acme.example", sid, &n, &last),
	    STORE_OK);
	assert_int_equal(n, 1);
	assert_true(last > 0);
	assert_int_equal(
	    store_requester_alerts(st, "c@acme.example", 0, &n, &last),
	    STORE_OK);
	assert_int_equal(n, 0);
	/* one sent, one failed, one pending */
	assert_int_equal(
	    store_outbox_claim(st, "me", 5000, 60, 2, &rows, &nrows), STORE_OK);
	assert_int_equal(nrows, 2);
	assert_int_equal(store_outbox_done(st, rows[0].id, "me"), STORE_OK);
	assert_int_equal(
	    store_outbox_fail(st, rows[1].id, "me", 1, 0, "550 no"), STORE_OK);
	outbox_list_free(rows, nrows);
	assert_int_equal(store_outbox_stats(st, &s), STORE_OK);
	assert_int_equal(s.sent, 1);
	assert_int_equal(s.failed, 1);
	assert_int_equal(s.pending, 1);
	assert_int_equal(s.oldest_due, 1200);
	close_db(st);
}

static void test_store_digest(void **state)
{
	struct store *st = open_db();
	struct store_digest_stats d;
	int64_t last;
	struct outbox_item *rows;
	size_t n;

	mk_alert(st, "a@acme.example", 1, 1000);
	mk_alert(st, "b@acme.example", 4, 1100);
	assert_int_equal(store_digest_last(st, "acme", &last), STORE_NOTFOUND);
	assert_int_equal(store_digest_mark(st, "acme", -1, 100), STORE_OK);
	assert_int_equal(store_digest_mark(st, "acme", -1, 200),
			 STORE_NOTFOUND);
	assert_int_equal(store_digest_last(st, "acme", &last), STORE_OK);
	assert_int_equal(last, 100);
	/* compare-and-set: only the one that saw 100 moves it */
	assert_int_equal(store_digest_mark(st, "acme", 100, 300), STORE_OK);
	assert_int_equal(store_digest_mark(st, "acme", 100, 400),
			 STORE_NOTFOUND);
	/* send the first alert so it counts as open */
	assert_int_equal(store_outbox_claim(st, "me", 5000, 60, 1, &rows, &n),
			 STORE_OK);
	assert_int_equal(store_outbox_done(st, rows[0].id, "me"), STORE_OK);
	outbox_list_free(rows, n);
	assert_int_equal(store_digest_stats(st, "ACME", 0, 2000, &d), STORE_OK);
	assert_int_equal(d.rated, 2);
	assert_int_equal(d.levels[1], 1);
	assert_int_equal(d.levels[4], 1);
	assert_int_equal(d.surveyed, 2);
	assert_int_equal(d.answered, 2);
	assert_int_equal(d.open_alerts, 1);
	assert_int_equal(d.ncomments, 2);
	assert_string_equal(d.comments[0].why, "slow");
	store_digest_stats_free(&d);
	assert_int_equal(store_digest_stats(st, "acme", 1050, 2000, &d),
			 STORE_OK);
	assert_int_equal(d.rated, 1);
	store_digest_stats_free(&d);
	close_db(st);
}

static void test_ack_token(void **state)
{
	struct token_key k;
	char t[TOKEN_BUFSZ];
	int64_t id;

	memset(&k, 0, sizeof(k));
	memset(k.bytes, 7, 32);
	k.len = 32;
	assert_int_equal(token_make_ack(&k, 17, t), 0);
	assert_int_equal(token_verify_ack(&k, t, strlen(t), &id), 0);
	assert_int_equal(id, 17);
	/* an ack token is no survey token, and back */
	assert_int_equal(token_verify(&k, t, strlen(t), &id), -1);
	assert_int_equal(token_make(&k, 17, t), 0);
	assert_int_equal(token_verify_ack(&k, t, strlen(t), &id), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_backoff),
	    cmocka_unit_test(test_classify),
	    cmocka_unit_test(test_send_refused),
	    cmocka_unit_test(test_store_ack),
	    cmocka_unit_test(test_store_history_stats),
	    cmocka_unit_test(test_store_digest),
	    cmocka_unit_test(test_ack_token),
	};
	smtp_global_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
