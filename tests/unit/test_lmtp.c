/* SPDX-License-Identifier: BSD-2-Clause */
/* The LMTP protocol core: command parser on a table of lines, and the
 * session driven with scripted input (pipelining, dot-stuffing, one answer
 * per recipient, size limit, tempfail, byte-by-byte input, sequencing),
 * plus the regression inputs the fuzzer found (tests/data/lmtp). */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "lmtp.h"

struct parse_case {
	const char *line;
	int ok;
	enum lmtp_verb verb;
	const char *arg;
	const char *reply_prefix; /* when !ok */
};

static const struct parse_case parse_cases[] = {
    {"LHLO mx.example", 1, LMTP_LHLO, "mx.example", NULL},
    {"lhlo mx.example", 1, LMTP_LHLO, "mx.example", NULL},
    {"LHLO", 0, 0, NULL, "501 5.5.4"},
    {"EHLO mx.example", 1, LMTP_HELO, "mx.example", NULL},
    {"HELO mx.example", 1, LMTP_HELO, "mx.example", NULL},
    {"MAIL FROM:<a@b.example>", 1, LMTP_MAIL, "a@b.example", NULL},
    {"mail from:<a@b.example>", 1, LMTP_MAIL, "a@b.example", NULL},
    {"MAIL FROM: <a@b.example>", 1, LMTP_MAIL, "a@b.example", NULL},
    {"MAIL FROM:<>", 1, LMTP_MAIL, "", NULL},
    {"MAIL FROM:<a@b.example> SIZE=1234", 1, LMTP_MAIL, "a@b.example", NULL},
    {"MAIL FROM:<a@b.example> BODY=8BITMIME SIZE=10", 1, LMTP_MAIL,
     "a@b.example", NULL},
    {"MAIL FROM:<a@b.example> BODY=7BIT", 1, LMTP_MAIL, "a@b.example", NULL},
    {"MAIL FROM:<a@b.example> BODY=BINARYMIME", 0, 0, NULL, "501 5.5.4"},
    {"MAIL FROM:<a@b.example> SIZE=x", 0, 0, NULL, "501 5.5.4"},
    {"MAIL FROM:<a@b.example> SIZE=", 0, 0, NULL, "501 5.5.4"},
    {"MAIL FROM:<a@b.example> SIZE=99999999999999999999999", 0, 0, NULL,
     "501 5.5.4"},
    {"MAIL FROM:<a@b.example> SMTPUTF8", 0, 0, NULL, "555 5.5.4"},
    {"MAIL FROM:<@relay.example,@r2.example:a@b.example>", 1, LMTP_MAIL,
     "a@b.example", NULL},
    {"MAIL FROM:<\"odd > name\"@b.example>", 1, LMTP_MAIL,
     "\"odd > name\"@b.example", NULL},
    {"MAIL FROM:<a@b.example", 0, 0, NULL, "501 5.1.7"},
    {"MAIL FROM:<a b@c>", 0, 0, NULL, "501 5.1.7"},
    {"MAIL FROM:a@b.example", 1, LMTP_MAIL, "a@b.example", NULL},
    {"MAIL FROM:<a@b.example>x", 0, 0, NULL, "501 5.5.4"},
    {"MAIL TO:<a@b.example>", 0, 0, NULL, "501 5.5.4"},
    {"MAIL", 0, 0, NULL, "501 5.5.4"},
    {"RCPT TO:<feedback+abc@fb.example>", 1, LMTP_RCPT,
     "feedback+abc@fb.example", NULL},
    {"rcpt to:<Postmaster>", 1, LMTP_RCPT, "Postmaster", NULL},
    {"RCPT TO:<>", 0, 0, NULL, "501 5.1.3"},
    {"RCPT TO:<a@b> NOTIFY=NEVER", 0, 0, NULL, "555 5.5.4"},
    {"RCPT FROM:<a@b>", 0, 0, NULL, "501 5.5.4"},
    {"DATA", 1, LMTP_DATA, "", NULL},
    {"DATA x", 0, 0, NULL, "501 5.5.4"},
    {"RSET", 1, LMTP_RSET, "", NULL},
    {"NOOP", 1, LMTP_NOOP, "", NULL},
    {"NOOP anything", 1, LMTP_NOOP, "", NULL},
    {"QUIT", 1, LMTP_QUIT, "", NULL},
    {"VRFY x", 1, LMTP_VRFY, "", NULL},
    {"HELP", 1, LMTP_HELP, "", NULL},
    {"STARTTLS", 0, 0, NULL, "500 5.5.2"},
    {"", 0, 0, NULL, "500 5.5.2"},
    {"DATA\tx", 0, 0, NULL, "500 5.5.2"},
    {"QUIT2", 0, 0, NULL, "500 5.5.2"},
};

static void test_parse_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]);
	     i++) {
		const struct parse_case *c = &parse_cases[i];
		struct lmtp_cmd cmd;
		const char *reply = NULL;
		int rc =
		    lmtp_parse_command(c->line, strlen(c->line), &cmd, &reply);

		if (c->ok) {
			if (rc != 0)
				fail_msg("'%s': refused: %s", c->line, reply);
			assert_int_equal(cmd.verb, c->verb);
			if (c->verb == LMTP_MAIL || c->verb == LMTP_RCPT ||
			    c->verb == LMTP_LHLO || c->verb == LMTP_HELO)
				assert_string_equal(cmd.arg, c->arg);
		} else {
			if (rc == 0)
				fail_msg("'%s': accepted", c->line);
			if (strncmp(reply, c->reply_prefix,
				    strlen(c->reply_prefix)))
				fail_msg("'%s': '%s', want '%s...'", c->line,
					 reply, c->reply_prefix);
		}
	}
}

static void test_parse_params(void **state)
{
	struct lmtp_cmd cmd;
	const char *reply;
	const char *l = "MAIL FROM:<a@b> BODY=8BITMIME SIZE=4096";

	(void)state;
	assert_int_equal(lmtp_parse_command(l, strlen(l), &cmd, &reply), 0);
	assert_int_equal(cmd.has_size, 1);
	assert_int_equal(cmd.size, 4096);
	assert_int_equal(cmd.body_8bit, 1);
}

static void test_parse_limits(void **state)
{
	char line[LMTP_LINE_MAX + 64];
	struct lmtp_cmd cmd;
	const char *reply;

	(void)state;
	/* a NUL inside a command */
	assert_int_equal(lmtp_parse_command("NOOP\0x", 6, &cmd, &reply), -1);
	assert_string_equal(reply, "500 5.5.2 Bad character in command");
	/* address longer than LMTP_ADDR_MAX */
	strcpy(line, "RCPT TO:<");
	memset(line + 9, 'a', LMTP_ADDR_MAX + 1);
	strcpy(line + 9 + LMTP_ADDR_MAX + 1, "@b>");
	assert_int_equal(lmtp_parse_command(line, strlen(line), &cmd, &reply),
			 -1);
	assert_string_equal(reply, "501 5.1.3 Recipient address too long");
	/* whole line too long */
	memset(line, 'N', sizeof(line));
	assert_int_equal(lmtp_parse_command(line, sizeof(line), &cmd, &reply),
			 -1);
	assert_string_equal(reply, "500 5.5.2 Line too long");
}

/* ------------------------------------------------------------ session */

struct fake {
	enum ingest_result result;
	int calls;
	char sender[128];
	char rcpts[4][128];
	size_t nrcpts;
	struct buf data;
};

static enum ingest_result fake_deliver(void *arg, const struct lmtp_message *m,
				       char *why, size_t whylen)
{
	struct fake *f = arg;

	f->calls++;
	snprintf(f->sender, sizeof(f->sender), "%s", m->sender);
	f->nrcpts = m->nrcpts;
	for (size_t i = 0; i < m->nrcpts && i < 4; i++)
		snprintf(f->rcpts[i], sizeof(f->rcpts[i]), "%s", m->rcpts[i]);
	buf_reset(&f->data);
	buf_append(&f->data, m->data, m->len);
	snprintf(why, whylen, "test");
	return f->result;
}

struct sess {
	struct lmtp_session *s;
	struct fake f;
	struct buf out;
};

static struct sess *sess_new(uint64_t max)
{
	struct sess *x = calloc(1, sizeof(*x));
	struct lmtp_session_cfg cfg = {"mx.test", max, fake_deliver, NULL};

	assert_non_null(x);
	cfg.arg = &x->f;
	buf_init(&x->f.data);
	buf_init(&x->out);
	x->s = lmtp_session_new(&cfg);
	assert_non_null(x->s);
	return x;
}

static void sess_free(struct sess *x)
{
	lmtp_session_free(x->s);
	buf_free(&x->f.data);
	buf_free(&x->out);
	free(x);
}

/* Feeds text; returns the session's answer, out is reset first. */
static const char *feed(struct sess *x, const char *text, int *go_on)
{
	int rc;

	buf_reset(&x->out);
	rc = lmtp_session_input(x->s, text, strlen(text), &x->out);
	if (go_on)
		*go_on = rc;
	return x->out.data ? x->out.data : "";
}

static void test_session_flow(void **state)
{
	struct sess *x = sess_new(1 << 20);
	int go_on;

	(void)state;
	lmtp_session_greeting(x->s, &x->out);
	assert_string_equal(x->out.data, "220 mx.test LMTP mailmood ready\r\n");
	assert_string_equal(feed(x, "LHLO client\r\n", NULL),
			    "250-mx.test\r\n250-PIPELINING\r\n"
			    "250-SIZE 1048576\r\n250-8BITMIME\r\n"
			    "250 ENHANCEDSTATUSCODES\r\n");
	assert_string_equal(feed(x, "MAIL FROM:<u@acme.example>\r\n", NULL),
			    "250 2.1.0 Ok\r\n");
	assert_string_equal(feed(x, "RCPT TO:<feedback+a@fb>\r\n", NULL),
			    "250 2.1.5 Ok\r\n");
	assert_string_equal(feed(x, "RCPT TO:<feedback+b@fb>\r\n", NULL),
			    "250 2.1.5 Ok\r\n");
	assert_true(lmtp_session_busy(x->s));
	assert_string_equal(feed(x, "DATA\r\n", NULL),
			    "354 End data with <CR><LF>.<CR><LF>\r\n");
	x->f.result = INGEST_STORED;
	assert_string_equal(feed(x, "Subject: x\r\n\r\n..dot\r\n.\r\n", NULL),
			    "250 2.0.0 <feedback+a@fb> Reply stored: test\r\n"
			    "250 2.0.0 <feedback+b@fb> Reply stored: test\r\n");
	assert_int_equal(x->f.calls, 1);
	assert_string_equal(x->f.sender, "u@acme.example");
	assert_int_equal(x->f.nrcpts, 2);
	assert_string_equal(x->f.data.data, "Subject: x\r\n\r\n.dot\r\n");
	assert_false(lmtp_session_busy(x->s));
	assert_string_equal(feed(x, "QUIT\r\n", &go_on), "221 2.0.0 Bye\r\n");
	assert_int_equal(go_on, 0);
	sess_free(x);
}

static void test_session_pipelining(void **state)
{
	struct sess *x = sess_new(1 << 20);
	const char *out;

	(void)state;
	x->f.result = INGEST_TEMPFAIL;
	out = feed(x,
		   "LHLO c\r\nMAIL FROM:<>\r\nRCPT TO:<a@b>\r\nDATA\r\n"
		   "X: y\r\n\r\nbody\r\n.\r\nQUIT\r\n",
		   NULL);
	assert_string_equal(out, "250-mx.test\r\n250-PIPELINING\r\n"
				 "250-SIZE 1048576\r\n250-8BITMIME\r\n"
				 "250 ENHANCEDSTATUSCODES\r\n"
				 "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n"
				 "354 End data with <CR><LF>.<CR><LF>\r\n"
				 "451 4.3.0 <a@b> Cannot store the reply now, "
				 "try again later: test\r\n221 2.0.0 Bye\r\n");
	assert_string_equal(x->f.sender, "");
	sess_free(x);
}

/* The same conversation one byte at a time: nothing depends on how TCP
 * cuts the stream. Bare LF line ends are taken too. */
static void test_session_bytewise(void **state)
{
	const char *in = "LHLO c\nMAIL FROM:<s@x>\nRCPT TO:<a@b>\nDATA\n"
			 "H: v\n\n..\n...x\nlast\n.\nNOOP\n";
	struct sess *x = sess_new(1 << 20);
	struct buf all;

	(void)state;
	buf_init(&all);
	x->f.result = INGEST_IGNORED;
	for (const char *p = in; *p; p++) {
		buf_reset(&x->out);
		assert_int_equal(lmtp_session_input(x->s, p, 1, &x->out), 1);
		if (x->out.len)
			buf_append(&all, x->out.data, x->out.len);
	}
	assert_non_null(strstr(all.data, "250 2.0.0 <a@b> Reply ignored"));
	/* the NOOP after the message is a command again */
	assert_non_null(strstr(all.data, "ignored: test\r\n250 2.0.0 Ok\r\n"));
	assert_string_equal(x->f.data.data, "H: v\n\n.\n..x\nlast\n");
	buf_free(&all);
	sess_free(x);
}

static void test_session_bytewise_data(void **state)
{
	const char *in =
	    "LHLO c\r\nMAIL FROM:<s@x>\r\nRCPT TO:<a@b>\r\nDATA\r\n"
	    "H: v\r\n\r\n..\r\n...x\r\n.y\r\nlast\r\n.\r\n";
	struct sess *x = sess_new(1 << 20);

	(void)state;
	x->f.result = INGEST_STORED;
	for (const char *p = in; *p; p++) {
		buf_reset(&x->out);
		assert_int_equal(lmtp_session_input(x->s, p, 1, &x->out), 1);
	}
	assert_int_equal(x->f.calls, 1);
	assert_string_equal(x->f.data.data,
			    "H: v\r\n\r\n.\r\n..x\r\ny\r\nlast\r\n");
	sess_free(x);
}

static void test_session_size(void **state)
{
	struct sess *x = sess_new(64);
	struct buf big;

	(void)state;
	feed(x, "LHLO c\r\n", NULL);
	assert_string_equal(feed(x, "MAIL FROM:<a@b> SIZE=65\r\n", NULL),
			    "552 5.3.4 Message size exceeds the limit\r\n");
	assert_string_equal(feed(x, "MAIL FROM:<a@b> SIZE=64\r\n", NULL),
			    "250 2.1.0 Ok\r\n");
	feed(x, "RCPT TO:<r1@b>\r\nRCPT TO:<r2@b>\r\nDATA\r\n", NULL);
	buf_init(&big);
	for (int i = 0; i < 10; i++)
		buf_puts(&big, "0123456789abcdef\r\n");
	buf_puts(&big, ".\r\n");
	assert_string_equal(feed(x, big.data, NULL),
			    "552 5.3.4 <r1@b> Message too big\r\n"
			    "552 5.3.4 <r2@b> Message too big\r\n");
	assert_int_equal(x->f.calls, 0);
	/* the session goes on */
	assert_string_equal(feed(x, "NOOP\r\n", NULL), "250 2.0.0 Ok\r\n");
	buf_free(&big);
	sess_free(x);
}

static void test_session_sequence(void **state)
{
	struct sess *x = sess_new(1 << 20);

	(void)state;
	assert_string_equal(feed(x, "MAIL FROM:<a@b>\r\n", NULL),
			    "503 5.5.1 Send LHLO first\r\n");
	assert_string_equal(feed(x, "EHLO c\r\n", NULL),
			    "500 5.5.1 This is LMTP: say LHLO\r\n");
	feed(x, "LHLO c\r\n", NULL);
	assert_string_equal(feed(x, "RCPT TO:<a@b>\r\n", NULL),
			    "503 5.5.1 Need MAIL first\r\n");
	assert_string_equal(feed(x, "DATA\r\n", NULL),
			    "503 5.5.1 Need MAIL first\r\n");
	feed(x, "MAIL FROM:<a@b>\r\n", NULL);
	assert_string_equal(feed(x, "MAIL FROM:<a@b>\r\n", NULL),
			    "503 5.5.1 Nested MAIL command\r\n");
	assert_string_equal(feed(x, "DATA\r\n", NULL),
			    "503 5.5.1 No valid recipients\r\n");
	assert_string_equal(feed(x, "RSET\r\n", NULL), "250 2.0.0 Ok\r\n");
	assert_false(lmtp_session_busy(x->s));
	assert_string_equal(feed(x, "RCPT TO:<a@b>\r\n", NULL),
			    "503 5.5.1 Need MAIL first\r\n");
	assert_string_equal(
	    feed(x, "VRFY x\r\n", NULL),
	    "252 2.5.2 Cannot VRFY, but will take the mail\r\n");
	sess_free(x);
}

static void test_session_badmail_and_errors(void **state)
{
	struct sess *x = sess_new(1 << 20);
	struct buf line;
	int go_on = 1, i;

	(void)state;
	x->f.result = INGEST_BADMAIL;
	assert_non_null(strstr(feed(x,
				    "LHLO c\r\nMAIL FROM:<a@b>\r\n"
				    "RCPT TO:<c@d>\r\nDATA\r\n"
				    "garbage\r\n.\r\n",
				    NULL),
			       "554 5.6.0 <c@d> Not a mail"));
	/* an overlong command line is refused once, then skipped */
	buf_init(&line);
	for (i = 0; i < 3000; i++)
		buf_putc(&line, 'x');
	assert_string_equal(feed(x, line.data, NULL),
			    "500 5.5.2 Line too long\r\n");
	assert_string_equal(feed(x, "more\r\nNOOP\r\n", NULL),
			    "250 2.0.0 Ok\r\n");
	/* a client that only sends garbage is dropped */
	for (i = 0; i < 30 && go_on; i++)
		feed(x, "BOGUS\r\n", &go_on);
	assert_int_equal(go_on, 0);
	assert_true(i < 30);
	buf_free(&line);
	sess_free(x);
}

static void test_session_badmail_reply(void **state)
{
	struct sess *x = sess_new(1 << 20);

	(void)state;
	x->f.result = INGEST_BADMAIL;
	feed(x, "LHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n", NULL);
	assert_string_equal(feed(x, "garbage\r\n.\r\n", NULL),
			    "554 5.6.0 <c@d> Not a mail: test\r\n");
	sess_free(x);
}

/* Inputs the fuzzer found or that once misbehaved: each runs to the end
 * without a crash (ASan/valgrind watch) and leaves a consistent session. */
static void test_regressions(void **state)
{
	const char *dir = getenv("top_srcdir");
	char path[1024];
	DIR *d;
	struct dirent *de;
	int n = 0;

	(void)state;
	snprintf(path, sizeof(path), "%s/tests/data/lmtp", dir ? dir : ".");
	d = opendir(path);
	if (!d)
		fail_msg("no %s", path);
	while ((de = readdir(d)) != NULL) {
		char f[1400];
		FILE *fp;
		char chunk[4096];
		size_t len;
		struct sess *x;

		if (de->d_name[0] == '.')
			continue;
		snprintf(f, sizeof(f), "%s/%s", path, de->d_name);
		fp = fopen(f, "rb");
		assert_non_null(fp);
		x = sess_new(4096);
		x->f.result = INGEST_STORED;
		while ((len = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
			buf_reset(&x->out);
			if (!lmtp_session_input(x->s, chunk, len, &x->out))
				break;
		}
		fclose(fp);
		sess_free(x);
		n++;
	}
	closedir(d);
	assert_true(n > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_table),
	    cmocka_unit_test(test_parse_params),
	    cmocka_unit_test(test_parse_limits),
	    cmocka_unit_test(test_session_flow),
	    cmocka_unit_test(test_session_pipelining),
	    cmocka_unit_test(test_session_bytewise),
	    cmocka_unit_test(test_session_bytewise_data),
	    cmocka_unit_test(test_session_size),
	    cmocka_unit_test(test_session_sequence),
	    cmocka_unit_test(test_session_badmail_and_errors),
	    cmocka_unit_test(test_session_badmail_reply),
	    cmocka_unit_test(test_regressions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
