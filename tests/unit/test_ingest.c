/* SPDX-License-Identifier: BSD-2-Clause */
/* ingest: header parsing, auto-reply detection, token extraction, and
 * whole reply mails against a real SQLite store: matching by address,
 * In-Reply-To and ref code; rating with alert; comment without a grade
 * (attached to the current rating); unmatched and auto-replies kept;
 * duplicates; a store that cannot be written. */
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

#include "buf.h"
#include "conf.h"
#include "ingest.h"
#include "log.h"
#include "store.h"
#include "token.h"
#include "tmpstore.h"

/* ------------------------------------------------------------ pure */

static void test_headers(void **state)
{
	const char *m = "From sender@x Mon Jan  1 00:00:00 2024\n"
			"Received: from a by mx.example (Postfix) with ESMTP "
			"id 4ABC12; Mon\n"
			"Received: from b by c with ESMTP id OTHER\n"
			"To: \"Service desk\" <feedback+tok@fb.example>,\n"
			"  other@x.example\n"
			"Cc: cc@y.example\n"
			"Subject: =?utf-8?q?Re=3A_=5BINC-1=5D_gesloten?=\n"
			"In-Reply-To: <a@b>\n"
			"Message-ID: <reply1@client>\n"
			"\n"
			"body\n";
	struct ingest_headers h;

	(void)state;
	assert_int_equal(ingest_headers_parse(m, strlen(m), &h), 0);
	assert_string_equal(h.queue_id, "4ABC12");
	assert_string_equal(h.subject, "Re: [INC-1] gesloten");
	assert_string_equal(h.in_reply_to, "<a@b>");
	assert_string_equal(h.message_id, "<reply1@client>");
	assert_int_equal(h.naddrs, 3);
	assert_string_equal(h.addrs[0], "feedback+tok@fb.example");
	assert_string_equal(h.addrs[1], "other@x.example");
	assert_string_equal(h.addrs[2], "cc@y.example");
	assert_string_equal(m + h.body_off, "body\n");
	ingest_headers_free(&h);
}

static void test_not_a_mail(void **state)
{
	struct ingest_headers h;
	const char *bad[] = {"", "hello world\n", "\n\nbody\n",
			     "no colon here\nSubject: x\n\n",
			     "From only-an-envelope-line\n"};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (ingest_headers_parse(bad[i], strlen(bad[i]), &h) == 0)
			fail_msg("taken as a mail: '%s'", bad[i]);
		ingest_headers_free(&h);
	}
	/* a NUL in the header block */
	assert_int_equal(ingest_headers_parse("Subject: a\0b\n\nx", 15, &h),
			 -1);
	ingest_headers_free(&h);
	/* header only, no body: a mail */
	assert_int_equal(ingest_headers_parse("Subject: x\r\n", 12, &h), 0);
	ingest_headers_free(&h);
}

struct auto_case {
	const char *headers;
	const char *sender; /* NULL: unknown */
	const char *reason; /* NULL: a person */
};

static const struct auto_case auto_cases[] = {
    {"Subject: Re: [INC-1] closed\n", "u@x", NULL},
    {"Auto-Submitted: no\nSubject: Re: x\n", "u@x", NULL},
    {"Auto-Submitted: auto-replied\n", "u@x", "Auto-Submitted"},
    {"Auto-Submitted: auto-generated; foo\n", "u@x", "Auto-Submitted"},
    {"X-Autoreply: yes\n", "u@x", "X-Autoreply"},
    {"X-Autorespond: 1\n", "u@x", "X-Autorespond"},
    {"Precedence: bulk\n", "u@x", "Precedence"},
    {"Precedence: junk\n", "u@x", "Precedence"},
    {"Precedence: auto_reply\n", "u@x", "Precedence"},
    {"Precedence: list\n", "u@x", "Precedence"},
    {"Precedence: first-class\n", "u@x", NULL},
    {"Subject: x\n", "", "empty return path"},
    {"Subject: x\n", "<>", "empty return path"},
    {"Return-Path: <>\nSubject: x\n", NULL, "empty return path"},
    {"Return-Path: <u@x>\nSubject: x\n", NULL, NULL},
    {"Subject: Out of Office: Re: [INC-1] closed\n", "u@x",
     "out-of-office subject"},
    {"Subject: Automatic reply: [INC-1] closed\n", "u@x",
     "out-of-office subject"},
    {"Subject: Afwezig: [INC-1] gesloten\n", "u@x", "out-of-office subject"},
    {"Subject: Automatisch antwoord: Re: [INC-1]\n", "u@x",
     "out-of-office subject"},
    {"Subject: Niet aanwezig tot maandag\n", "u@x", "out-of-office subject"},
    {"Subject: =?utf-8?q?Automatisch_antwoord=3A_x?=\n", "u@x",
     "out-of-office subject"},
};

static void test_auto_reason(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(auto_cases) / sizeof(auto_cases[0]);
	     i++) {
		const struct auto_case *c = &auto_cases[i];
		struct ingest_headers h;
		char m[512];
		const char *r;

		snprintf(m, sizeof(m), "%s\nbody\n", c->headers);
		assert_int_equal(ingest_headers_parse(m, strlen(m), &h), 0);
		r = ingest_auto_reason(&h, c->sender);
		if (!c->reason && r)
			fail_msg("case %zu: auto (%s), want a person", i, r);
		if (c->reason && (!r || strcmp(r, c->reason)))
			fail_msg("case %zu: '%s', want '%s'", i,
				 r ? r : "person", c->reason);
		ingest_headers_free(&h);
	}
}

static int collect(const char *tok, void *arg)
{
	struct buf *b = arg;

	buf_puts(b, tok);
	buf_putc(b, ',');
	return 0;
}

static void test_tokens(void **state)
{
	const char *t = "AAAAAAAAAAEbVgpcb3Ws8L0dn6A"; /* 27 chars, old form */
	const char *t2 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklm"; /* 39 */
	char tok[TOKEN_BUFSZ], addr[128], text[512];
	struct buf b;

	(void)state;
	snprintf(addr, sizeof(addr), "feedback+%s@fb.example", t);
	assert_int_equal(ingest_addr_token(addr, tok), 0);
	assert_string_equal(tok, t);
	assert_int_equal(ingest_addr_token("feedback@fb.example", tok), -1);
	assert_int_equal(ingest_addr_token("feedback+short@fb.example", tok),
			 -1);
	assert_int_equal(ingest_addr_token("no-at-sign", tok), -1);
	snprintf(addr, sizeof(addr), "feedback+%.26s!@fb.example", t);
	assert_int_equal(ingest_addr_token(addr, tok), -1);

	buf_init(&b);
	snprintf(text, sizeof(text),
		 "hi\n> Ref: %s\n>Ref:%s\nXRef: %s\nRef: %sX\nRef: short\n", t,
		 t, t, t);
	ingest_text_tokens(text, strlen(text), collect, &b);
	/* "XRef:" and a longer run do not count */
	snprintf(text, sizeof(text), "%s,%s,", t, t);
	assert_string_equal(b.data, text);
	buf_free(&b);

	/* the current form, 39 characters */
	snprintf(addr, sizeof(addr), "<feedback+%s@fb.example>", t2);
	assert_int_equal(ingest_addr_token(addr, tok), 0);
	assert_string_equal(tok, t2);
	snprintf(addr, sizeof(addr), "feedback+%.38s@fb.example", t2);
	assert_int_equal(ingest_addr_token(addr, tok), -1);
	buf_init(&b);
	snprintf(text, sizeof(text), "Ref: %sX\nRef: %.38s\n> Ref: %s\n", t2,
		 t2, t2);
	ingest_text_tokens(text, strlen(text), collect, &b);
	snprintf(text, sizeof(text), "%s,", t2);
	assert_string_equal(b.data, text);
	buf_free(&b);
}

/* ------------------------------------------------------------ store */

struct fx {
	struct tmpstore t;
	struct conf *conf;
	struct token_key key;
	struct store *st;
	struct ingest_env env;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char path[160], err[1024];
	FILE *fp;

	if (!f)
		return -1;
	if (tmpstore_make(&f->t, "test_ingest") < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/mm.conf", f->t.dir);
	fp = fopen(path, "w");
	if (!fp)
		return -1;
	fprintf(fp,
		"[general]\nstore = %s\nsecret_file = %s/key\n"
		"[listener]\nreply_address = feedback@fb.example\n"
		"comment_max = 200\n"
		"[team acme]\nmatch = @acme.example\nalert_to = t@x\n"
		"alert_at = red\n"
		"[team ten]\nmatch = @ten.example\nalert_to = t@x\n"
		"scale = grade10\nalert_at = 5\n"
		"[team happy]\nmatch = @happy.example\nalert_to = t@x\n"
		"kudos = yes\n",
		f->t.path, f->t.dir);
	fclose(fp);
	f->conf = conf_load(path, err, sizeof(err));
	if (!f->conf) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	unlink(path);
	memset(f->key.bytes, 7, 32);
	f->key.len = 32;
	if (tmpstore_open(&f->t) < 0)
		return -1;
	f->st = f->t.st;
	f->env.conf = f->conf;
	f->env.key = &f->key;
	log_set_level(LOG_LVL_ERROR);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	tmpstore_remove(&f->t);
	conf_free(f->conf);
	free(f);
	return 0;
}

/* A survey as the milter makes it; tok gets its token. */
static int64_t mk_survey(struct fx *f, const char *team, const char *scale,
			 const char *msgid, char *tok)
{
	struct survey s;

	memset(&s, 0, sizeof(s));
	s.sent_at = (int64_t)time(NULL) - 60;
	s.status = SURVEY_SENT;
	s.message_id = (char *)msgid;
	s.ticket = "INC-1";
	s.team = (char *)team;
	s.scale = (char *)scale;
	s.requester = "j.doe@acme.example";
	assert_int_equal(store_survey_insert(f->st, &s), STORE_OK);
	assert_int_equal(token_make(&f->key, s.id, tok), 0);
	return s.id;
}

static enum ingest_result run(struct fx *f, const char *rcpt,
			      const char *sender, const char *mail,
			      struct ingest_outcome *o)
{
	struct ingest_envelope ev;
	const char *rcpts[1] = {rcpt};

	memset(&ev, 0, sizeof(ev));
	ev.source = REPLY_SOURCE_INGEST;
	ev.sender = sender;
	ev.rcpts = rcpts;
	ev.nrcpts = rcpt ? 1 : 0;
	ev.now = (int64_t)time(NULL);
	return ingest_mail(&f->env, f->st, mail, strlen(mail), &ev, o);
}

static void reply_row(struct fx *f, int64_t id, struct store_reply *r)
{
	assert_int_equal(store_reply_get(f->st, id, r), STORE_OK);
}

static size_t outbox_alerts(struct fx *f, int64_t sid)
{
	struct outbox_item *o = NULL;
	size_t n = 0, pending = 0;

	assert_int_equal(store_outbox_list(f->st, sid, &o, &n), STORE_OK);
	for (size_t i = 0; i < n; i++)
		if (o[i].kind == OUTBOX_ALERT && o[i].state == OUTBOX_PENDING)
			pending++;
	outbox_list_free(o, n);
	return pending;
}

static void test_rated_by_address(void **state)
{
	struct fx *f = *state;
	char tok[TOKEN_BUFSZ], rcpt[128], mail[1024];
	struct ingest_outcome o;
	struct rating r;
	struct store_reply rr;
	int64_t sid = mk_survey(f, "ten", "grade10", "<c1@desk>", tok);

	snprintf(rcpt, sizeof(rcpt), "feedback+%s@fb.example", tok);
	snprintf(mail, sizeof(mail),
		 "From: J Doe <j.doe@ten.example>\r\nTo: %s\r\n"
		 "Subject: Re: [INC-1] closed\r\nMessage-ID: <r1@x>\r\n\r\n"
		 "8, but it took three days\r\n\r\nOn Mon, 1 Jan 2024 at "
		 "10:00, Desk <d@x> wrote:\r\n> How did we do?\r\n",
		 rcpt);
	assert_int_equal(run(f, rcpt, "j.doe@ten.example", mail, &o),
			 INGEST_STORED);
	assert_string_equal(store_reply_status_name(o.status), "rated");
	assert_string_equal(store_reply_match_name(o.matched_by), "address");
	assert_int_equal(o.survey_id, sid);
	assert_int_equal(o.level, 8);
	assert_int_equal(store_rating_current(f->st, sid, &r), STORE_OK);
	assert_int_equal(r.level, 8);
	assert_int_equal(r.source, RATING_MAIL);
	assert_string_equal(r.why, "but it took three days");
	assert_int_equal(r.id, o.rating_id);
	rating_free(&r);
	reply_row(f, o.reply_id, &rr);
	assert_string_equal(store_reply_status_name(rr.status), "rated");
	/* where it came in and how it found its survey are kept */
	assert_int_equal(rr.source, REPLY_SOURCE_INGEST);
	assert_int_equal(rr.matched_by, REPLY_MATCH_ADDRESS);
	assert_int_equal(rr.survey_id, sid);
	assert_int_equal(rr.rating_id, o.rating_id);
	assert_string_equal(rr.sender, "j.doe@ten.example");
	assert_string_equal(rr.message_id, "<r1@x>");
	assert_string_equal(rr.subject, "Re: [INC-1] closed");
	assert_non_null(strstr(rr.body, "8, but it took three days\n"));
	assert_null(strchr(rr.body, '\r'));
	store_reply_free(&rr);
	/* 8 on grade10 is above alert_at 5 */
	assert_int_equal(outbox_alerts(f, sid), 0);

	/* the same mail again (a lost LMTP answer): not twice */
	assert_int_equal(run(f, rcpt, "j.doe@ten.example", mail, &o),
			 INGEST_IGNORED);
	assert_int_equal(o.status, -1);
	assert_non_null(strstr(o.reason, "already recorded"));
}

static void test_red_alert_in_reply_to(void **state)
{
	struct fx *f = *state;
	char tok[TOKEN_BUFSZ];
	struct ingest_outcome o;
	struct rating r;
	int64_t sid = mk_survey(f, "acme", "thermometer", "<c2@desk>", tok);
	const char *mail = "From: j.doe@acme.example\n"
			   "To: feedback@fb.example\n"
			   "Subject: Re: [INC-1] gesloten\n"
			   "In-Reply-To: <c2@desk>\n"
			   "References: <older@x> <c2@desk>\n"
			   "Message-ID: <r2@x>\n\n"
			   "Rood. Niemand heeft me teruggebeld.\n";

	assert_int_equal(
	    run(f, "feedback@fb.example", "j.doe@acme.example", mail, &o),
	    INGEST_STORED);
	assert_string_equal(store_reply_status_name(o.status), "rated");
	assert_string_equal(store_reply_match_name(o.matched_by),
			    "in-reply-to");
	assert_int_equal(o.survey_id, sid);
	assert_int_equal(store_rating_current(f->st, sid, &r), STORE_OK);
	assert_int_equal(r.level, 1);
	assert_int_equal(r.source, RATING_MAIL);
	rating_free(&r);
	assert_int_equal(outbox_alerts(f, sid), 1);
}

/* A Message-ID or a ref code is no secret: only the requester (or, with
 * reply_sender = domain, the requester's domain) rates by them; anyone
 * else's reply is kept unmatched, with no rating and no alert. */
static void test_not_the_requester(void **state)
{
	struct fx *f = *state;
	char tok[TOKEN_BUFSZ], mail[1024], rcpt[128];
	struct ingest_outcome o;
	struct rating r;
	struct store_reply rr;
	int64_t sid = mk_survey(f, "acme", "thermometer", "<c9@desk>", tok);

	snprintf(mail, sizeof(mail),
		 "From: Mallory <mallory@evil.example>\n"
		 "In-Reply-To: <c9@desk>\nMessage-ID: <m1@x>\n\nred\n");
	assert_int_equal(
	    run(f, "feedback@fb.example", "mallory@evil.example", mail, &o),
	    INGEST_STORED);
	assert_int_equal(o.status, REPLY_UNMATCHED);
	assert_non_null(strstr(o.reason, "not the requester"));
	assert_int_equal(o.rating_id, 0);
	reply_row(f, o.reply_id, &rr);
	assert_int_equal(rr.status, REPLY_UNMATCHED);
	store_reply_free(&rr);
	/* the ref code of a forwarded closure mail */
	snprintf(mail, sizeof(mail),
		 "From: <mallory@evil.example>\nMessage-ID: <m2@x>\n\n"
		 "red\n\n> Ref: %s\n",
		 tok);
	assert_int_equal(run(f, NULL, "", mail, &o), INGEST_STORED);
	assert_int_equal(o.status, REPLY_UNMATCHED);
	/* a colleague of the requester: only by domain */
	snprintf(mail, sizeof(mail),
		 "From: Boss <BOSS@Acme.Example>\nIn-Reply-To: <c9@desk>\n"
		 "Message-ID: <m3@x>\n\nred\n");
	assert_int_equal(run(f, NULL, "boss@acme.example", mail, &o),
			 INGEST_STORED);
	assert_int_equal(o.status, REPLY_UNMATCHED);
	assert_int_equal(store_rating_current(f->st, sid, &r), STORE_NOTFOUND);
	assert_int_equal(outbox_alerts(f, sid), 0);
	f->conf->general.reply_sender = CONF_REPLY_SENDER_DOMAIN;
	snprintf(mail, sizeof(mail),
		 "From: Boss <BOSS@Acme.Example>\nIn-Reply-To: <c9@desk>\n"
		 "Message-ID: <m4@x>\n\nred\n");
	assert_int_equal(run(f, NULL, "boss@acme.example", mail, &o),
			 INGEST_STORED);
	assert_int_equal(o.status, REPLY_RATED);
	/* the +TOKEN address rates from anyone */
	snprintf(rcpt, sizeof(rcpt), "feedback+%s@fb.example", tok);
	snprintf(mail, sizeof(mail),
		 "From: someone@else.example\nMessage-ID: <m5@x>\n\n"
		 "gold\n");
	assert_int_equal(run(f, rcpt, "someone@else.example", mail, &o),
			 INGEST_STORED);
	assert_int_equal(o.status, REPLY_RATED);
	assert_int_equal(o.matched_by, REPLY_MATCH_ADDRESS);
}

/* Kudos are queued for a gold reply exactly as for a gold click. */
static void test_gold_reply_queues_kudos(void **state)
{
	struct fx *f = *state;
	char tok[TOKEN_BUFSZ], rcpt[128];
	struct ingest_outcome o;
	struct outbox_item *ob = NULL;
	size_t n = 0, kudos = 0;
	int64_t sid = mk_survey(f, "happy", "thermometer", "<k1@desk>", tok);
	const char *mail = "From: j.doe@happy.example\n"
			   "Subject: Re: [INC-1] resolved\n"
			   "Message-ID: <k1r@x>\n\n"
			   "Gold! Thank you so much.\n";

	snprintf(rcpt, sizeof(rcpt), "feedback+%s@fb.example", tok);
	assert_int_equal(run(f, rcpt, "j.doe@happy.example", mail, &o),
			 INGEST_STORED);
	assert_string_equal(store_reply_status_name(o.status), "rated");
	assert_int_equal(o.level, 4);
	assert_int_equal(store_outbox_list(f->st, sid, &ob, &n), STORE_OK);
	for (size_t i = 0; i < n; i++)
		if (ob[i].kind == OUTBOX_KUDOS)
			kudos++;
	outbox_list_free(ob, n);
	assert_int_equal(kudos, 1);
	assert_int_equal(outbox_alerts(f, sid), 0);
}

static void test_ref_in_quote_and_replace(void **state)
{
	struct fx *f = *state;
	char tok[TOKEN_BUFSZ], mail[1024];
	struct ingest_outcome o;
	struct rating *list = NULL;
	size_t n = 0;
	int64_t sid = mk_survey(f, "acme", "thermometer", NULL, tok);
	struct rating w;

	/* a red click on the web first: alert pending */
	memset(&w, 0, sizeof(w));
	w.survey_id = sid;
	w.at = time(NULL) - 10;
	w.level = 1;
	w.source = RATING_WEB;
	assert_int_equal(store_rating_add(f->st, &w), STORE_OK);
	{
		struct outbox_item ob;
		memset(&ob, 0, sizeof(ob));
		ob.kind = OUTBOX_ALERT;
		ob.survey_id = sid;
		ob.rating_id = w.id;
		assert_int_equal(store_outbox_enqueue(f->st, &ob), STORE_OK);
	}
	snprintf(mail, sizeof(mail),
		 "From: j.doe@acme.example\nTo: desk@x\nSubject: Re: x\n"
		 "Message-ID: <r3@x>\n\nGreen, they called back after all\n\n"
		 "> How did we do with INC-1?\n> Ref: %s\n",
		 tok);
	assert_int_equal(run(f, "desk@x", "j.doe@acme.example", mail, &o),
			 INGEST_STORED);
	assert_string_equal(store_reply_status_name(o.status), "rated");
	assert_string_equal(store_reply_match_name(o.matched_by), "ref");
	assert_int_equal(o.level, 3);
	/* same replace rule as the web: history kept, alert cancelled */
	assert_int_equal(store_rating_list(f->st, sid, &list, &n), STORE_OK);
	assert_int_equal(n, 2);
	assert_int_equal(list[0].current, 0);
	assert_int_equal(list[1].current, 1);
	assert_int_equal(list[1].level, 3);
	rating_list_free(list, n);
	assert_int_equal(outbox_alerts(f, sid), 0);
}

static void test_comment_without_grade(void **state)
{
	struct fx *f = *state;
	char tok[TOKEN_BUFSZ], rcpt[128], mail[1024];
	struct ingest_outcome o;
	struct store_reply rr;
	struct rating r;
	int64_t sid = mk_survey(f, "acme", "thermometer", NULL, tok);

	snprintf(rcpt, sizeof(rcpt), "feedback+%s@fb.example", tok);
	snprintf(mail, sizeof(mail),
		 "From: u@acme.example\nSubject: Re\nMessage-ID: <r4@x>\n\n"
		 "Call me about INC-1234 om 10:30 please\n\n-- \nJan\n");
	assert_int_equal(run(f, rcpt, "u@acme.example", mail, &o),
			 INGEST_STORED);
	assert_string_equal(store_reply_status_name(o.status), "comment");
	assert_int_equal(o.rating_id, 0);
	assert_int_equal(store_rating_current(f->st, sid, &r), STORE_NOTFOUND);
	reply_row(f, o.reply_id, &rr);
	assert_string_equal(store_reply_status_name(rr.status), "comment");
	assert_int_equal(rr.survey_id, sid);
	assert_string_equal(rr.comment,
			    "Call me about INC-1234 om 10:30 please");
	store_reply_free(&rr);

	/* with a rating that counts, the text joins its comment */
	memset(&r, 0, sizeof(r));
	r.survey_id = sid;
	r.at = time(NULL);
	r.level = 2;
	r.source = RATING_WEB;
	r.why = "slow";
	assert_int_equal(store_rating_add(f->st, &r), STORE_OK);
	snprintf(mail, sizeof(mail),
		 "From: u@acme.example\nSubject: Re\nMessage-ID: <r5@x>\n\n"
		 "And nobody called back.\n");
	assert_int_equal(run(f, rcpt, "u@acme.example", mail, &o),
			 INGEST_STORED);
	assert_string_equal(store_reply_status_name(o.status), "comment");
	assert_int_equal(o.rating_id, r.id);
	assert_int_equal(store_rating_current(f->st, sid, &r), STORE_OK);
	assert_int_equal(r.level, 2);
	assert_string_equal(r.why, "slow\n\nAnd nobody called back.");
	rating_free(&r);
}

static void test_auto_reply_kept(void **state)
{
	struct fx *f = *state;
	char tok[TOKEN_BUFSZ], rcpt[128], mail[1024];
	struct ingest_outcome o;
	struct store_reply rr;
	struct rating r;
	int64_t sid = mk_survey(f, "ten", "grade10", NULL, tok);

	snprintf(rcpt, sizeof(rcpt), "feedback+%s@fb.example", tok);
	/* "10" in an out-of-office text must not become a rating */
	snprintf(mail, sizeof(mail),
		 "From: u@ten.example\nSubject: Automatic reply: Re: x\n"
		 "Auto-Submitted: auto-replied\nMessage-ID: <r6@x>\n\n"
		 "I am out until the 10th.\n");
	assert_int_equal(run(f, rcpt, "u@ten.example", mail, &o),
			 INGEST_IGNORED);
	assert_string_equal(store_reply_status_name(o.status), "auto");
	assert_int_equal(o.survey_id, sid);
	assert_int_equal(store_rating_current(f->st, sid, &r), STORE_NOTFOUND);
	reply_row(f, o.reply_id, &rr);
	assert_string_equal(store_reply_status_name(rr.status), "auto");
	assert_int_equal(rr.rating_id, 0);
	store_reply_free(&rr);

	/* a bounce: empty envelope sender */
	snprintf(mail, sizeof(mail),
		 "From: MAILER-DAEMON@x\nSubject: Undelivered Mail\n"
		 "Message-ID: <r7@x>\n\n9\n");
	assert_int_equal(run(f, rcpt, "", mail, &o), INGEST_IGNORED);
	assert_string_equal(store_reply_status_name(o.status), "auto");
	assert_string_equal(o.reason, "empty return path");
	assert_int_equal(store_rating_current(f->st, sid, &r), STORE_NOTFOUND);
}

static void test_unmatched_and_badmail(void **state)
{
	struct fx *f = *state;
	struct ingest_outcome o;
	struct store_reply rr;
	char tok[TOKEN_BUFSZ], rcpt[128];
	const char *mail = "From: x@y\nSubject: hello\nMessage-ID: <r8@x>\n"
			   "In-Reply-To: <unknown@x>\n\n8\n";

	assert_int_equal(run(f, "feedback@fb.example", "x@y", mail, &o),
			 INGEST_STORED);
	assert_string_equal(store_reply_status_name(o.status), "unmatched");
	assert_int_equal(o.survey_id, 0);
	reply_row(f, o.reply_id, &rr);
	assert_string_equal(store_reply_status_name(rr.status), "unmatched");
	assert_int_equal(rr.survey_id, 0);
	assert_string_equal(rr.comment, "8");
	store_reply_free(&rr);

	/* a forged token (right shape, wrong key) matches nothing */
	{
		struct token_key other = f->key;
		other.bytes[0] ^= 1;
		mk_survey(f, "acme", "thermometer", NULL, tok);
		assert_int_equal(token_make(&other, 1, tok), 0);
	}
	snprintf(rcpt, sizeof(rcpt), "feedback+%s@fb.example", tok);
	assert_int_equal(
	    run(f, rcpt, "x@y", "Subject: s\nMessage-ID: <r9@x>\n\n8\n", &o),
	    INGEST_STORED);
	assert_string_equal(store_reply_status_name(o.status), "unmatched");

	assert_int_equal(run(f, NULL, "x@y", "just some bytes\n", &o),
			 INGEST_BADMAIL);
	assert_int_equal(o.reply_id, 0);
}

/* Cannot store: no store at all, or a store locked by someone else past
 * the busy timeout. Nothing recorded, TEMPFAIL so the MTA retries. */
static void test_tempfail(void **state)
{
	struct fx *f = *state;
	struct ingest_envelope ev;
	struct ingest_outcome o;
	struct store *other;
	char tok[TOKEN_BUFSZ], rcpt[128], mail[512], err[256];
	const char *rcpts[1];
	struct rating r;
	int64_t sid = mk_survey(f, "acme", "thermometer", NULL, tok);

	snprintf(rcpt, sizeof(rcpt), "feedback+%s@fb.example", tok);
	rcpts[0] = rcpt;
	snprintf(mail, sizeof(mail),
		 "Subject: Re\nMessage-ID: <r10@x>\n\nrood\n");
	memset(&ev, 0, sizeof(ev));
	ev.sender = "u@acme.example";
	ev.rcpts = rcpts;
	ev.nrcpts = 1;
	ev.now = time(NULL);
	assert_int_equal(
	    ingest_mail(&f->env, NULL, mail, strlen(mail), &ev, &o),
	    INGEST_TEMPFAIL);

	assert_int_equal(store_open(f->t.path, &other, err, sizeof(err)),
			 STORE_OK);
	assert_int_equal(store_begin(other), STORE_OK); /* write lock */
	store_set_busy_timeout(f->st, 50);
	assert_int_equal(
	    ingest_mail(&f->env, f->st, mail, strlen(mail), &ev, &o),
	    INGEST_TEMPFAIL);
	assert_non_null(strstr(o.reason, "busy"));
	store_rollback(other);
	store_close(other);
	assert_int_equal(store_rating_current(f->st, sid, &r), STORE_NOTFOUND);
	/* the retry goes through, once */
	assert_int_equal(
	    ingest_mail(&f->env, f->st, mail, strlen(mail), &ev, &o),
	    INGEST_STORED);
	assert_int_equal(outbox_alerts(f, sid), 1);
	store_set_busy_timeout(f->st, 5000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_headers),
	    cmocka_unit_test(test_not_a_mail),
	    cmocka_unit_test(test_auto_reason),
	    cmocka_unit_test(test_tokens),
	    cmocka_unit_test_setup_teardown(test_rated_by_address, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_gold_reply_queues_kudos, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_red_alert_in_reply_to, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_ref_in_quote_and_replace,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_comment_without_grade, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_auto_reply_kept, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_unmatched_and_badmail, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_tempfail, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_not_the_requester, setup,
					    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
