/* SPDX-License-Identifier: BSD-2-Clause */
/* The alert composer: headers (injection, encoded-words, folding), HTML
 * escaping, both languages, kudos and digest. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "alert_mail.h"
#include "codec.h"
#include "conf.h"

static const char *const to1[] = {"team-acme@msp.example"};

static void head_init(struct alert_head *h)
{
	memset(h, 0, sizeof(*h));
	h->from = "mailmood@msp.example";
	h->to = to1;
	h->nto = 1;
	h->reply_to = "j.doe@acme.example";
	h->message_id = "alert.TOKEN@msp.example";
	h->date = 1700000000;
}

static void red_init(struct alert_rating *a)
{
	memset(a, 0, sizeof(*a));
	a->lang = "en";
	a->scale = scale_by_name("thermometer");
	a->level = 1;
	a->team = "Team Acme";
	a->ticket = "INC-1234";
	a->requester = "j.doe@acme.example";
	a->agent = "alice";
	a->why = "It took a week.";
	a->better = "Call me back.";
	a->ticket_url = "https://desk.example/ticket/{ticket}";
	a->sent_at = 1699990000;
	a->rated_at = 1699999000;
	a->ack_url = "https://fb.example/a/ACKTOKEN";
}

/* The header block (up to the empty line), unfolded lines in an array. */
struct hdrs {
	char *lines[64];
	size_t n;
	char *body;
};

static void split(const char *msg, struct hdrs *h)
{
	const char *end = strstr(msg, "\r\n\r\n"), *p = msg;

	memset(h, 0, sizeof(*h));
	assert_non_null(end);
	while (p < end) {
		const char *nl = strstr(p, "\r\n");
		size_t len = (size_t)(nl - p);
		/* every line is CRLF-terminated, no bare CR or LF */
		for (size_t i = 0; i < len; i++)
			assert_true(p[i] != '\r' && p[i] != '\n');
		assert_true(len <= 998);
		if (*p == ' ' || *p == '\t') {
			char *prev = h->lines[h->n - 1];
			size_t pl = strlen(prev);
			prev = realloc(prev, pl + len + 1);
			memcpy(prev + pl, p, len);
			prev[pl + len] = '\0';
			h->lines[h->n - 1] = prev;
		} else {
			assert_true(h->n < 64);
			h->lines[h->n++] = strndup(p, len);
		}
		p = nl + 2;
	}
	h->body = strdup(end + 4);
}

static void hdrs_free(struct hdrs *h)
{
	for (size_t i = 0; i < h->n; i++)
		free(h->lines[i]);
	free(h->body);
}

static const char *hdr(const struct hdrs *h, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < h->n; i++)
		if (!strncasecmp(h->lines[i], name, n) && h->lines[i][n] == ':')
			return h->lines[i] + n + 2;
	return NULL;
}

/* Every header name must be one the composer writes. */
static void only_known_headers(const struct hdrs *h)
{
	static const char *const known[] = {"From",
					    "To",
					    "Reply-To",
					    "Subject",
					    "Date",
					    "Message-ID",
					    "MIME-Version",
					    "Auto-Submitted",
					    "X-Auto-Response-Suppress",
					    "Precedence",
					    "Content-Type"};
	for (size_t i = 0; i < h->n; i++) {
		int ok = 0;
		for (size_t k = 0; k < sizeof(known) / sizeof(known[0]); k++) {
			size_t n = strlen(known[k]);
			if (!strncmp(h->lines[i], known[k], n) &&
			    h->lines[i][n] == ':')
				ok = 1;
		}
		if (!ok)
			fail_msg("unexpected header: %s", h->lines[i]);
	}
}

/* Decodes a header value of B encoded-words (and plain text) to UTF-8. */
static char *decode_words(const char *v)
{
	struct buf out;

	buf_init(&out);
	while (*v) {
		const char *s = strstr(v, "=?UTF-8?B?"), *e;
		if (!s) {
			buf_puts(&out, v);
			break;
		}
		/* whitespace between two encoded-words is not shown */
		for (const char *q = v; q < s; q++)
			if (*q != ' ')
				buf_putc(&out, *q);
		e = strstr(s + 10, "?=");
		assert_non_null(e);
		assert_true(e + 2 - s <= 75);
		codec_base64_decode(&out, s + 10, (size_t)(e - s - 10));
		v = e + 2;
	}
	return buf_steal(&out, NULL);
}

static char *qp_body(const char *part)
{
	struct buf out;

	buf_init(&out);
	codec_qp_decode(&out, part, strlen(part));
	return buf_steal(&out, NULL);
}

static void test_red_headers(void **state)
{
	struct alert_head h;
	struct alert_rating a;
	struct buf b;
	struct hdrs hs;
	char *subj;

	head_init(&h);
	red_init(&a);
	buf_init(&b);
	assert_int_equal(alert_compose_red(&b, &h, &a), 0);
	split(b.data, &hs);
	only_known_headers(&hs);
	assert_string_equal(hdr(&hs, "Reply-To"), "<j.doe@acme.example>");
	assert_string_equal(hdr(&hs, "Auto-Submitted"), "auto-generated");
	assert_string_equal(hdr(&hs, "Message-ID"),
			    "<alert.TOKEN@msp.example>");
	assert_string_equal(hdr(&hs, "Date"),
			    "Tue, 14 Nov 2023 22:13:20 +0000");
	assert_string_equal(hdr(&hs, "MIME-Version"), "1.0");
	assert_string_equal(hdr(&hs, "To"), "team-acme@msp.example");
	subj = decode_words(hdr(&hs, "Subject"));
	assert_string_equal(subj,
			    "RED: INC-1234 \xE2\x80\x94 j.doe@acme.example");
	assert_non_null(
	    strstr(hdr(&hs, "Content-Type"), "multipart/alternative"));
	free(subj);
	hdrs_free(&hs);
	buf_free(&b);
}

static void test_red_body(void **state)
{
	struct alert_head h;
	struct alert_rating a;
	struct buf b;
	char *body;

	head_init(&h);
	red_init(&a);
	a.prior_alerts = 2;
	a.prior_last_at = 1690000000;
	a.why = "<script>alert(1)</script> & \"quotes\"";
	buf_init(&b);
	assert_int_equal(alert_compose_red(&b, &h, &a), 0);
	body = qp_body(strstr(b.data, "\r\n\r\n"));
	/* text part: raw; html part: escaped, never raw */
	assert_non_null(strstr(body, "Why?\r\n<script>alert(1)</script>"));
	assert_non_null(
	    strstr(body, "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;"));
	{
		/* exactly one raw <script>: the text part's */
		const char *p = strstr(body, "<script>");
		assert_non_null(p);
		assert_null(strstr(p + 1, "<script>"));
	}
	assert_non_null(strstr(body, "https://fb.example/a/ACKTOKEN"));
	assert_non_null(strstr(body, "https://desk.example/ticket/INC-1234"));
	assert_non_null(strstr(body, "rated red before: 2 time(s)"));
	assert_non_null(strstr(body, "Agent: alice"));
	assert_non_null(strstr(body, "Closure mail sent: "));
	assert_non_null(strstr(body, "text/html; charset=utf-8"));
	free(body);
	buf_free(&b);
}

/* alert_to may name any number of addresses: none is dropped (a fixed
 * array of 16 once lost the 17th without a word). */
static void test_split_rcpt(void **state)
{
	struct buf list;
	char *copy, want[32];
	const char **to;

	(void)state;
	buf_init(&list);
	for (int i = 1; i <= 40; i++)
		buf_printf(&list, "%sa%d@team.example", i % 3 ? ", " : " ; ",
			   i);
	buf_puts(&list, " not-an-address\tb@x.example");
	assert_int_equal(alert_split_rcpt(list.data, &copy, &to), 41);
	for (int i = 1; i <= 40; i++) {
		snprintf(want, sizeof(want), "a%d@team.example", i);
		assert_string_equal(to[i - 1], want);
	}
	assert_string_equal(to[40], "b@x.example");
	free(copy);
	free(to);
	assert_int_equal(alert_split_rcpt(" , ;", &copy, &to), 0);
	free(copy);
	free(to);
	buf_free(&list);
}

static void test_injection(void **state)
{
	static const char *const evil[] = {
	    "INC-1\r\nBcc: victim@evil.example",
	    "INC-1\nBcc: victim@evil.example",
	    "INC-1\rBcc: victim@evil.example",
	    "INC-1\xC2\x85"
	    "Bcc: victim@evil.example", /* NEL */
	    "INC-1\xE2\x80\xA8"
	    "Bcc: victim@evil.example",
	    "INC-1\r\n\r\n<html>body</html>",
	    "INC-1\x00hidden",
	};
	for (size_t i = 0; i < sizeof(evil) / sizeof(evil[0]); i++) {
		struct alert_head h;
		struct alert_rating a;
		struct buf b;
		struct hdrs hs;
		char *subj;

		head_init(&h);
		red_init(&a);
		a.ticket = evil[i];
		a.requester_name = evil[i];
		a.agent = evil[i];
		buf_init(&b);
		assert_int_equal(alert_compose_red(&b, &h, &a), 0);
		split(b.data, &hs);
		only_known_headers(&hs);
		assert_null(hdr(&hs, "Bcc"));
		subj = decode_words(hdr(&hs, "Subject"));
		assert_null(strchr(subj, '\r'));
		assert_null(strchr(subj, '\n'));
		free(subj);
		hdrs_free(&hs);
		buf_free(&b);
	}
}

static void test_bad_addresses(void **state)
{
	struct alert_head h;
	struct alert_rating a;
	struct buf b;
	struct hdrs hs;
	static const char *const bad_to[] = {"x@y\r\nBcc: z@evil.example"};

	assert_true(alert_addr_ok("j.doe+x@acme.example"));
	assert_false(alert_addr_ok("j doe@acme.example"));
	assert_false(alert_addr_ok("a@b@c"));
	assert_false(alert_addr_ok("<a@b>"));
	assert_false(alert_addr_ok("a@b\r\nBcc: c@d"));
	assert_false(alert_addr_ok("j\xC3\xB6@acme.example"));
	assert_false(alert_addr_ok(".a@b.example"));
	assert_false(alert_addr_ok("a@b.example."));

	head_init(&h);
	red_init(&a);
	/* a hostile requester address: no Reply-To at all */
	h.reply_to = "x@y.example>\r\nBcc: victim@evil.example";
	buf_init(&b);
	assert_int_equal(alert_compose_red(&b, &h, &a), 0);
	split(b.data, &hs);
	only_known_headers(&hs);
	assert_null(hdr(&hs, "Reply-To"));
	hdrs_free(&hs);
	buf_free(&b);
	/* no valid recipient: refused */
	h.to = bad_to;
	buf_init(&b);
	assert_int_equal(alert_compose_red(&b, &h, &a), -1);
	buf_free(&b);
}

static void test_long_non_ascii_subject(void **state)
{
	struct alert_head h;
	struct alert_rating a;
	struct buf b, want;
	struct hdrs hs;
	char *subj;
	const char *raw;

	head_init(&h);
	red_init(&a);
	/* 64 characters, 2 and 3 bytes each: words must not split them */
	buf_init(&want);
	for (int i = 0; i < 32; i++)
		buf_puts(&want, i % 2 ? "\xC3\xA9" : "\xE2\x82\xAC");
	a.ticket = want.data;
	a.lang = "nl";
	buf_init(&b);
	assert_int_equal(alert_compose_red(&b, &h, &a), 0);
	/* raw header lines stay within 78 octets */
	raw = strstr(b.data, "Subject: ");
	assert_non_null(raw);
	for (const char *p = raw; *p != '\r' || p[2] == ' ';) {
		const char *nl = strstr(p, "\r\n");
		assert_true(nl - p <= 78);
		p = nl + 2;
		if (*p != ' ')
			break;
	}
	split(b.data, &hs);
	subj = decode_words(hdr(&hs, "Subject"));
	assert_true(codec_utf8_valid(subj, strlen(subj)));
	assert_non_null(strstr(subj, want.data));
	assert_memory_equal(subj, "ROOD: ", 6);
	free(subj);
	hdrs_free(&hs);
	buf_free(&b);
	buf_free(&want);
}

static void test_ascii_folding(void **state)
{
	struct buf b;
	const char *p;

	buf_init(&b);
	alert_header(&b, "Subject",
		     "one two three four five six seven eight nine ten eleven "
		     "twelve thirteen fourteen fifteen sixteen seventeen");
	for (p = b.data; *p;) {
		const char *nl = strstr(p, "\r\n");
		assert_non_null(nl);
		assert_true(nl - p <= 78);
		p = nl + 2;
	}
	assert_non_null(strstr(b.data, "\r\n "));
	buf_free(&b);
}

static void test_clean(void **state)
{
	struct buf b;

	buf_init(&b);
	alert_clean_header(&b, "  a\r\n\tb\x7f c  \xff d ", 0);
	assert_string_equal(b.data, "a b c \xEF\xBF\xBD d");
	buf_reset(&b);
	alert_clean_header(&b, "abcdef", 3);
	assert_string_equal(b.data, "abc");
	buf_reset(&b);
	alert_clean_body(&b, "line1\r\nline2\x01\x1b[31m\n\xc3(x");
	assert_string_equal(b.data, "line1\nline2[31m\n\xEF\xBF\xBD(x");
	buf_free(&b);
}

static void test_ticket_link(void **state)
{
	char *l = alert_ticket_link("https://d.example/t/{ticket}?x=1",
				    "INC 1/\"<x>");
	assert_string_equal(l, "https://d.example/t/INC%201%2F%22%3Cx%3E?x=1");
	free(l);
	assert_null(alert_ticket_link(NULL, "INC-1"));
	assert_null(alert_ticket_link("https://d/{ticket}", NULL));
	assert_null(alert_ticket_link("javascript:alert(1)//{ticket}", "x"));
}

static void test_dutch_and_kudos(void **state)
{
	struct alert_head h;
	struct alert_rating a;
	struct buf b;
	struct hdrs hs;
	char *subj, *body;

	head_init(&h);
	red_init(&a);
	a.lang = "nl";
	buf_init(&b);
	assert_int_equal(alert_compose_red(&b, &h, &a), 0);
	body = qp_body(strstr(b.data, "\r\n\r\n"));
	assert_non_null(strstr(body, "Waarom?"));
	assert_non_null(strstr(body, "Behandelaar: alice"));
	free(body);
	buf_free(&b);

	a.level = 4;
	a.lang = "en";
	a.ack_url = NULL;
	buf_init(&b);
	assert_int_equal(alert_compose_kudos(&b, &h, &a), 0);
	split(b.data, &hs);
	subj = decode_words(hdr(&hs, "Subject"));
	assert_memory_equal(subj, "GOLD: INC-1234", 14);
	body = qp_body(hs.body);
	assert_non_null(strstr(body, "Well done"));
	assert_null(strstr(body, "/a/"));
	free(body);
	free(subj);
	hdrs_free(&hs);
	buf_free(&b);

	/* another scale names the level */
	a.scale = scale_by_name("grade10");
	a.level = 3;
	buf_init(&b);
	assert_int_equal(alert_compose_red(&b, &h, &a), 0);
	split(b.data, &hs);
	subj = decode_words(hdr(&hs, "Subject"));
	assert_memory_equal(subj, "RED (3", 6);
	free(subj);
	hdrs_free(&hs);
	buf_free(&b);
}

/* The closure mail's subject beside the ticket: in the Subject header
 * ("RED: TICKET SUBJECT — REQUESTER"), standing in for a missing ticket,
 * header-safe (encoded-words, no CR/LF, capped) and escaped in HTML. */
static void test_ticket_subject(void **state)
{
	struct alert_head h;
	struct alert_rating a;
	struct buf b, longs;
	struct hdrs hs;
	char *subj, *body;
	const char *raw;

	head_init(&h);
	red_init(&a);
	a.subject = "Printer <b>on fire</b> & smoking";
	buf_init(&b);
	assert_int_equal(alert_compose_red(&b, &h, &a), 0);
	split(b.data, &hs);
	subj = decode_words(hdr(&hs, "Subject"));
	assert_string_equal(subj, "RED: INC-1234 Printer <b>on fire</b> & "
				  "smoking \xE2\x80\x94 j.doe@acme.example");
	free(subj);
	body = qp_body(hs.body);
	assert_non_null(
	    strstr(body, "Subject: Printer <b>on fire</b> & smoking\r\n"));
	assert_non_null(strstr(body, "<td>Printer &lt;b&gt;on fire&lt;/b&gt; "
				     "&amp; smoking</td>"));
	free(body);
	hdrs_free(&hs);
	buf_free(&b);

	/* no ticket: the subject stands in, with no empty row beside it */
	a.ticket = NULL;
	a.subject = "VPN drops every hour";
	buf_init(&b);
	assert_int_equal(alert_compose_red(&b, &h, &a), 0);
	split(b.data, &hs);
	subj = decode_words(hdr(&hs, "Subject"));
	assert_string_equal(
	    subj, "RED: VPN drops every hour \xE2\x80\x94 j.doe@acme.example");
	free(subj);
	body = qp_body(hs.body);
	assert_non_null(strstr(body, "rated ticket VPN drops every hour "));
	assert_non_null(strstr(body, "Ticket: VPN drops every hour\r\n"));
	assert_null(strstr(body, "Subject:"));
	assert_null(strstr(body, "(no ticket)"));
	free(body);
	hdrs_free(&hs);
	buf_free(&b);

	/* non-ASCII with a line break and a header behind it */
	a.ticket = "INC-7";
	a.subject = "Drucker \xC3\xBC"
		    "berhitzt\r\nBcc: victim@evil.example";
	buf_init(&b);
	assert_int_equal(alert_compose_red(&b, &h, &a), 0);
	raw = strstr(b.data, "Subject: ");
	assert_non_null(raw);
	assert_memory_equal(raw, "Subject: =?UTF-8?B?", 19);
	split(b.data, &hs);
	only_known_headers(&hs);
	assert_null(hdr(&hs, "Bcc"));
	subj = decode_words(hdr(&hs, "Subject"));
	assert_string_equal(subj, "RED: INC-7 Drucker \xC3\xBC"
				  "berhitzt Bcc: victim@evil.example "
				  "\xE2\x80\x94 j.doe@acme.example");
	free(subj);
	hdrs_free(&hs);
	buf_free(&b);

	/* a subject of 300 characters is cut at ALERT_SUBJECT_MAX */
	buf_init(&longs);
	for (int i = 0; i < 30; i++)
		buf_puts(&longs, "\xC3\xA9t\xC3\xA9 tr\xC3\xA8s ");
	a.subject = longs.data;
	buf_init(&b);
	assert_int_equal(alert_compose_red(&b, &h, &a), 0);
	for (const char *p = strstr(b.data, "Subject: ");;) {
		const char *nl = strstr(p, "\r\n");
		assert_true(nl - p <= 78);
		p = nl + 2;
		if (*p != ' ')
			break;
	}
	split(b.data, &hs);
	subj = decode_words(hdr(&hs, "Subject"));
	assert_true(codec_utf8_valid(subj, strlen(subj)));
	{
		/* "RED: INC-7 " + at most 80 characters + "…" + " — req" */
		const char *s = subj + strlen("RED: INC-7 ");
		const char *e = strstr(s, "\xE2\x80\xA6 \xE2\x80\x94 "
					  "j.doe@acme.example");
		size_t chars = 0;
		assert_non_null(e);
		assert_null(strstr(e + 3, "\xE2\x80\xA6"));
		for (const char *q = s; q < e; q++)
			chars += ((unsigned char)*q & 0xC0) != 0x80;
		assert_true(chars <= ALERT_SUBJECT_MAX);
		assert_true(chars >= ALERT_SUBJECT_MAX - 1);
	}
	free(subj);
	hdrs_free(&hs);
	buf_free(&b);
	buf_free(&longs);
}

static void test_digest(void **state)
{
	struct alert_head h;
	struct alert_digest d;
	struct store_digest_stats s;
	struct store_digest_comment c[1];
	struct buf b;
	struct hdrs hs;
	char *subj, *body;

	memset(&s, 0, sizeof(s));
	s.levels[1] = 2;
	s.levels[3] = 1;
	s.levels[4] = 1;
	s.rated = 4;
	s.surveyed = 8;
	s.answered = 4;
	s.open_alerts = 1;
	memset(c, 0, sizeof(c));
	c[0].level = 1;
	c[0].ticket = "INC-9\r\nBcc: x@y";
	c[0].why = "<b>slow</b>";
	s.comments = c;
	s.ncomments = 1;
	head_init(&h);
	h.reply_to = NULL;
	h.message_id = "digest.acme.1.2@msp.example";
	memset(&d, 0, sizeof(d));
	d.lang = "en";
	d.scale = scale_by_name("thermometer");
	d.team = "Team Acme";
	d.period = CONF_DIGEST_WEEKLY;
	d.alert_at = 1;
	d.since = 1699000000;
	d.until = 1699600000;
	d.stats = &s;
	buf_init(&b);
	assert_int_equal(alert_compose_digest(&b, &h, &d), 0);
	split(b.data, &hs);
	only_known_headers(&hs);
	subj = decode_words(hdr(&hs, "Subject"));
	assert_memory_equal(subj, "Digest Team Acme: 4 rating(s), 2 red", 36);
	body = qp_body(hs.body);
	assert_non_null(strstr(body, "Temperature: 50%"));
	assert_non_null(strstr(body, "Response rate: 50% (4 of 8"));
	assert_non_null(strstr(body, "Open alerts (not acknowledged): 1"));
	assert_non_null(strstr(body, "&lt;b&gt;slow&lt;/b&gt;"));
	assert_non_null(strstr(body, "[Poor] INC-9 Bcc: x@y"));
	free(body);
	free(subj);
	hdrs_free(&hs);
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_red_headers),
	    cmocka_unit_test(test_red_body),
	    cmocka_unit_test(test_split_rcpt),
	    cmocka_unit_test(test_injection),
	    cmocka_unit_test(test_bad_addresses),
	    cmocka_unit_test(test_long_non_ascii_subject),
	    cmocka_unit_test(test_ascii_folding),
	    cmocka_unit_test(test_clean),
	    cmocka_unit_test(test_ticket_link),
	    cmocka_unit_test(test_dutch_and_kudos),
	    cmocka_unit_test(test_ticket_subject),
	    cmocka_unit_test(test_digest),
	};
	setenv("TZ", "UTC", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
