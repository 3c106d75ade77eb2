/* SPDX-License-Identifier: BSD-2-Clause */
/* Replies to the ticket address (ticket_reply.c) against a real SQLite
 * store: found by In-Reply-To/References (newest first) or by a token in
 * the text; only the requester rates; auto-replies, expired surveys and
 * duplicates are not rated; record or divert by grade, length and '?';
 * a dry run records nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf.h"
#include "log.h"
#include "store.h"
#include "ticket_reply.h"
#include "token.h"
#include "tmpstore.h"

struct fx {
	struct tmpstore t;
	char conf_path[96];
	struct conf *conf;
	struct store *st;
	struct token_key key;
};

static struct conf *load_conf(struct fx *f, const char *general,
			      const char *milter)
{
	char err[1024];
	FILE *fp = fopen(f->conf_path, "w");
	struct conf *c;

	assert_non_null(fp);
	fprintf(fp,
		"[general]\nstore = %s\nsecret_file = %s/key\n%s\n"
		"[milter]\n%s\n"
		"[listener]\nreply_address = feedback@fb.example\n"
		"[team acme]\nmatch = @acme.example\nalert_to = t@x\n"
		"alert_at = red\n",
		f->t.path, f->t.dir, general, milter);
	fclose(fp);
	c = conf_load(f->conf_path, err, sizeof(err));
	if (!c)
		fail_msg("%s", err);
	return c;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	if (tmpstore_make(&f->t, "test_ticket_reply") < 0) {
		free(f);
		return -1;
	}
	snprintf(f->conf_path, sizeof(f->conf_path), "%s/mm.conf", f->t.dir);
	f->conf = load_conf(f, "", "");
	memset(f->key.bytes, 9, 32);
	f->key.len = 32;
	if (tmpstore_open(&f->t) < 0) {
		tmpstore_remove(&f->t);
		conf_free(f->conf);
		free(f);
		return -1;
	}
	f->st = f->t.st;
	log_set_level(LOG_LVL_ERROR);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	tmpstore_remove(&f->t); /* the config file too */
	conf_free(f->conf);
	free(f);
	return 0;
}

static int64_t mk_survey(struct fx *f, const char *msgid, int64_t age)
{
	struct survey s;

	memset(&s, 0, sizeof(s));
	s.sent_at = (int64_t)time(NULL) - age;
	s.status = SURVEY_SENT;
	s.message_id = (char *)msgid;
	s.ticket = "INC-1";
	s.team = "acme";
	s.scale = "thermometer";
	s.requester = "j.doe@acme.example";
	assert_int_equal(store_survey_insert(f->st, &s), STORE_OK);
	return s.id;
}

/* Splits "Name: value\n...\n\nbody" into fields as the milter gets them. */
struct mail {
	struct rules_header h[16];
	size_t nh;
	char *copy;
};

static void mail_parse(struct mail *m, const char *text)
{
	char *p, *nl;

	memset(m, 0, sizeof(*m));
	m->copy = strdup(text);
	assert_non_null(m->copy);
	for (p = m->copy; *p && *p != '\n' && m->nh < 16; p = nl + 1) {
		char *colon = strchr(p, ':');
		nl = strchr(p, '\n');
		assert_non_null(colon);
		assert_non_null(nl);
		*colon = '\0';
		*nl = '\0';
		m->h[m->nh].name = p;
		m->h[m->nh].value = colon + 1 + (colon[1] == ' ');
		m->nh++;
	}
}

static enum ticket_reply_action run(struct fx *f, const char *sender,
				    const char *text, int dry,
				    struct ticket_reply_result *r)
{
	struct ticket_reply_env env = {f->conf, &f->key, f->st, dry};
	struct ticket_reply_mail tm;
	struct mail m;
	enum ticket_reply_action a;

	mail_parse(&m, text);
	tm = (struct ticket_reply_mail){"Q1", sender,	    m.h, m.nh,
					text, strlen(text), 0, NULL};
	a = ticket_reply_process(&env, &tm, r);
	free(m.copy);
	return a;
}

static int64_t count(struct fx *f, int64_t survey, const char *what)
{
	struct rating *rs = NULL;
	size_t n = 0;

	(void)what;
	assert_int_equal(store_rating_list(f->st, survey, &rs, &n), STORE_OK);
	rating_list_free(rs, n);
	return (int64_t)n;
}

static void test_tokens(void **state)
{
	struct fx *f = *state;
	char tok[TOKEN_BUFSZ], text[512];
	struct ticket_reply_result r;
	int64_t id = mk_survey(f, "<c1@desk>", 60);

	assert_int_equal(token_make(&f->key, id, tok), 0);
	/* no In-Reply-To: the rating link quoted in the text finds it */
	snprintf(text, sizeof(text),
		 "From: j.doe@acme.example\nSubject: Re: x\n"
		 "Message-ID: <t1@c>\n\ngold, thanks\n\n"
		 "> Rate us: http://fb.example/r/%s/4\n",
		 tok);
	assert_int_equal(run(f, "j.doe@acme.example", text, 0, &r),
			 TICKET_REPLY_RECORDED);
	assert_int_equal(r.survey_id, id);
	assert_string_equal(r.matched_by, "ref");
	/* a forged token is nothing */
	tok[3] = tok[3] == 'A' ? 'B' : 'A';
	snprintf(text, sizeof(text),
		 "From: j.doe@acme.example\nMessage-ID: <t2@c>\n\ngold\n"
		 "> Ref: %s\n",
		 tok);
	assert_int_equal(run(f, "j.doe@acme.example", text, 0, &r),
			 TICKET_REPLY_NONE);
}

static void test_requester_only(void **state)
{
	struct fx *f = *state;
	struct ticket_reply_result r;
	int64_t id = mk_survey(f, "<c2@desk>", 60);
	const char *from_other = "From: Mallory <mallory@evil.example>\n"
				 "In-Reply-To: <c2@desk>\n"
				 "Message-ID: <o1@c>\n\nred, awful\n";
	const char *colleague = "From: Ann <ann@acme.example>\n"
				"In-Reply-To: <c2@desk>\n"
				"Message-ID: <o2@c>\n\nred, awful\n";
	const char *envelope = "From: Desk relay <relay@other.example>\n"
			       "References: <zz@x> <c2@desk> <newer@x>\n"
			       "Message-ID: <o3@c>\n\ngreen\n";

	assert_int_equal(run(f, "mallory@evil.example", from_other, 0, &r),
			 TICKET_REPLY_PASS);
	assert_string_equal(r.reason, "not the requester");
	assert_int_equal(r.survey_id, id);
	assert_int_equal(run(f, "ann@acme.example", colleague, 0, &r),
			 TICKET_REPLY_PASS);
	assert_string_equal(r.reason, "not the requester");
	assert_int_equal(count(f, id, "ratings"), 0);
	/* the envelope sender is the requester (any case); References is
	 * searched too */
	assert_int_equal(run(f, "<J.Doe@ACME.example>", envelope, 0, &r),
			 TICKET_REPLY_RECORDED);
	assert_string_equal(r.level_key, "green");
	assert_string_equal(r.header, "green (survey 1)");
	assert_int_equal(count(f, id, "ratings"), 1);
	/* reply_sender = domain: a colleague rates */
	conf_free(f->conf);
	f->conf = load_conf(f, "reply_sender = domain", "");
	assert_int_equal(run(f, "ann@acme.example", colleague, 0, &r),
			 TICKET_REPLY_RECORDED);
	assert_string_equal(r.level_key, "red");
}

static void test_not_rated(void **state)
{
	struct fx *f = *state;
	struct ticket_reply_result r;
	int64_t id = mk_survey(f, "<c3@desk>", 60);
	int64_t old = mk_survey(f, "<c4@desk>", 400LL * 24 * 3600);

	assert_int_equal(run(f, "j.doe@acme.example",
			     "From: j.doe@acme.example\n"
			     "Auto-Submitted: auto-replied\n"
			     "In-Reply-To: <c3@desk>\n\nI am away, gold\n",
			     0, &r),
			 TICKET_REPLY_PASS);
	assert_string_equal(r.reason, "auto-reply (Auto-Submitted)");
	assert_int_equal(run(f, "j.doe@acme.example",
			     "From: j.doe@acme.example\n"
			     "In-Reply-To: <c3@desk>\n\nIt broke again\n",
			     0, &r),
			 TICKET_REPLY_PASS);
	assert_string_equal(r.reason, "no grade");
	assert_int_equal(run(f, "j.doe@acme.example",
			     "From: j.doe@acme.example\n"
			     "In-Reply-To: <c4@desk>\n\ngold\n",
			     0, &r),
			 TICKET_REPLY_PASS);
	assert_string_equal(r.reason, "survey expired");
	/* recorded once; the same Message-ID again is a duplicate */
	assert_int_equal(run(f, "j.doe@acme.example",
			     "From: j.doe@acme.example\nMessage-ID: <d@c>\n"
			     "In-Reply-To: <c3@desk>\n\ngold\n",
			     0, &r),
			 TICKET_REPLY_RECORDED);
	assert_int_equal(run(f, "j.doe@acme.example",
			     "From: j.doe@acme.example\nMessage-ID: <d@c>\n"
			     "In-Reply-To: <c3@desk>\n\ngold\n",
			     0, &r),
			 TICKET_REPLY_PASS);
	assert_string_equal(r.reason, "already recorded as reply 1");
	assert_int_equal(count(f, id, "ratings"), 1);
	assert_int_equal(count(f, old, "ratings"), 0);
	/* not a survey's mail at all */
	assert_int_equal(run(f, "j.doe@acme.example",
			     "From: j.doe@acme.example\n"
			     "In-Reply-To: <unknown@x>\n\ngold\n",
			     0, &r),
			 TICKET_REPLY_NONE);
}

static void test_divert(void **state)
{
	struct fx *f = *state;
	struct ticket_reply_result r;
	int64_t id = mk_survey(f, "<c5@desk>", 60);
	struct store_reply rep;

	conf_free(f->conf);
	f->conf = load_conf(f, "", "ticket_replies = divert");
	/* dry run: the decision, nothing recorded */
	assert_int_equal(run(f, "j.doe@acme.example",
			     "From: j.doe@acme.example\n"
			     "In-Reply-To: <c5@desk>\n\nGold, thanks!\n",
			     1, &r),
			 TICKET_REPLY_DIVERTED);
	assert_int_equal(count(f, id, "ratings"), 0);
	assert_int_equal(run(f, "j.doe@acme.example",
			     "From: j.doe@acme.example\n"
			     "In-Reply-To: <c5@desk>\n\nGold, thanks!\n",
			     0, &r),
			 TICKET_REPLY_DIVERTED);
	assert_int_equal(count(f, id, "ratings"), 1);
	assert_int_equal(store_reply_get(f->st, r.reply_id, &rep), STORE_OK);
	assert_int_equal(rep.source, REPLY_SOURCE_MILTER);
	assert_int_equal(rep.status, REPLY_RATED);
	assert_int_equal(rep.matched_by, REPLY_MATCH_IN_REPLY_TO);
	assert_int_equal(rep.rating_id, r.rating_id);
	store_reply_free(&rep);
	/* amber is above alert_at = red: diverted */
	assert_int_equal(run(f, "j.doe@acme.example",
			     "From: j.doe@acme.example\n"
			     "In-Reply-To: <c5@desk>\n\namber\n",
			     1, &r),
			 TICKET_REPLY_DIVERTED);
	/* red, a question, or more than 25 words: the desk reads it */
	assert_int_equal(run(f, "j.doe@acme.example",
			     "From: j.doe@acme.example\n"
			     "In-Reply-To: <c5@desk>\n\nred\n",
			     1, &r),
			 TICKET_REPLY_RECORDED);
	assert_int_equal(run(f, "j.doe@acme.example",
			     "From: j.doe@acme.example\n"
			     "In-Reply-To: <c5@desk>\n\n"
			     "gold, but can you also fix the scanner?\n",
			     1, &r),
			 TICKET_REPLY_RECORDED);
	assert_int_equal(
	    run(f, "j.doe@acme.example",
		"From: j.doe@acme.example\n"
		"In-Reply-To: <c5@desk>\n\n"
		"gold, one two three four five six seven eight nine ten "
		"eleven twelve thirteen fourteen fifteen sixteen seventeen "
		"eighteen nineteen twenty twentyone twentytwo twentythree "
		"twentyfour twentyfive twentysix\n",
		1, &r),
	    TICKET_REPLY_RECORDED);
	assert_int_equal(
	    run(f, "j.doe@acme.example",
		"From: j.doe@acme.example\n"
		"In-Reply-To: <c5@desk>\n\n"
		"gold, one two three four five six seven eight nine ten "
		"eleven twelve thirteen fourteen fifteen sixteen seventeen "
		"eighteen nineteen twenty twentyone twentytwo twentythree "
		"twentyfour twentyfive\n",
		1, &r),
	    TICKET_REPLY_DIVERTED);
}

static void test_for_listener(void **state)
{
	struct fx *f = *state;

	assert_true(
	    ticket_reply_for_listener(f->conf, "<feedback@fb.example>"));
	assert_true(ticket_reply_for_listener(
	    f->conf, "Feedback+AAAAAAAAAAAAAAAAAAAAAAAAAAA@FB.example"));
	assert_false(ticket_reply_for_listener(f->conf, "<desk@fb.example>"));
	assert_false(
	    ticket_reply_for_listener(f->conf, "<feedback@fb.example.org>"));
	assert_false(
	    ticket_reply_for_listener(f->conf, "<feedbackx@fb.example>"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_tokens, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_requester_only, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_not_rated, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_divert, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_for_listener, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
