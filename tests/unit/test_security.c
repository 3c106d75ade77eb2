/* SPDX-License-Identifier: BSD-2-Clause */
/* The hardening that needs no second process: who may rate by a reply
 * (reply_sender_allowed), control characters in log lines, pid files
 * that refuse symlinks and unsafe directories, TLS before a relay
 * password, the LMTP idle limit under load. The cross-process half is
 * tests/integration/t-security.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "conf.h"
#include "daemon.h"
#include "lmtp.h"
#include "log.h"
#include "reply_sender.h"
#include "smtp.h"
#include "store.h"

static void test_reply_sender(void **state)
{
	struct conf c;
	const char *req = "j.doe@acme.example";

	(void)state;
	memset(&c, 0, sizeof(c));
	c.general.reply_sender = CONF_REPLY_SENDER_ADDRESS;
	assert_true(reply_sender_allowed(&c, req, "J.Doe@ACME.example", NULL));
	assert_true(reply_sender_allowed(
	    &c, req, "\"Doe, J\" <j.doe@acme.example>", NULL));
	assert_true(
	    reply_sender_allowed(&c, req, NULL, "<J.DOE@acme.example>"));
	/* either one suffices: a list server rewrites the envelope */
	assert_true(reply_sender_allowed(&c, req, "Mallory <m@evil.example>",
					 "j.doe@acme.example"));
	assert_false(
	    reply_sender_allowed(&c, req, "m@evil.example", "m@evil.example"));
	assert_false(reply_sender_allowed(&c, req, NULL, NULL));
	assert_false(reply_sender_allowed(&c, req, "", ""));
	/* the requester's name in the display part is not the address */
	assert_false(reply_sender_allowed(
	    &c, req, "\"j.doe@acme.example\" <m@evil.example>", NULL));
	assert_false(
	    reply_sender_allowed(&c, req, "x.j.doe@acme.example", NULL));
	assert_false(
	    reply_sender_allowed(&c, req, "j.doe@acme.example.evil", NULL));
	assert_false(reply_sender_allowed(&c, req, "boss@acme.example", NULL));
	assert_false(reply_sender_allowed(&c, NULL, req, req));
	assert_false(reply_sender_allowed(&c, "", req, req));
	c.general.reply_sender = CONF_REPLY_SENDER_DOMAIN;
	assert_true(
	    reply_sender_allowed(&c, req, "Boss <boss@Acme.Example>", NULL));
	assert_true(reply_sender_allowed(&c, req, NULL, "boss@acme.example"));
	assert_false(
	    reply_sender_allowed(&c, req, "boss@sub.acme.example", NULL));
	assert_false(
	    reply_sender_allowed(&c, req, "boss@evilacme.example", NULL));
	assert_false(
	    reply_sender_allowed(&c, req, "boss@acme.example.evil", NULL));
	assert_false(reply_sender_allowed(&c, req, "no-address-here", NULL));
	assert_false(
	    reply_sender_allowed(&c, "no-at-sign", "x@acme.example", NULL));
}

static void test_log_escape(void **state)
{
	char out[64];

	(void)state;
	/* a login name that would forge a line and talk to a terminal */
	log_escape("alice\nmailmoodd: admin logged in\x1b[2J", out,
		   sizeof(out));
	assert_string_equal(out,
			    "alice\\x0amailmoodd: admin logged in\\x1b[2J");
	log_escape("tab\there\r\x7f", out, sizeof(out));
	assert_string_equal(out, "tab\\x09here\\x0d\\x7f");
	/* U+009B (CSI) in UTF-8 is escaped, other UTF-8 stays */
	log_escape("caf\xc3\xa9 \xc2\x9b"
		   "1m",
		   out, sizeof(out));
	assert_string_equal(out, "caf\xc3\xa9 \\x9b1m");
	/* an escape that does not fit is left out whole */
	assert_int_equal(log_escape("ab\n", out, 6), 2);
	assert_string_equal(out, "ab");
	assert_int_equal(log_escape("abcdef", out, 4), 3);
	assert_string_equal(out, "abc");
}

static void slurp(const char *path, char *buf, size_t n)
{
	FILE *fp = fopen(path, "r");
	size_t k;

	assert_non_null(fp);
	k = fread(buf, 1, n - 1, fp);
	buf[k] = '\0';
	fclose(fp);
}

/* A pid file is written as root: a symlink planted where it goes must not
 * redirect the write, and a directory others can write to is refused. */
static void test_pid_file(void **state)
{
	char dir[] = "/tmp/test_security.XXXXXX", pid[128], victim[128];
	char buf[64], want[32];
	struct stat sb;
	FILE *fp;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(chmod(dir, 0755), 0);
	snprintf(pid, sizeof(pid), "%s/mailmoodd.pid", dir);
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	fp = fopen(victim, "w");
	assert_non_null(fp);
	fputs("precious\n", fp);
	fclose(fp);
	assert_int_equal(symlink(victim, pid), 0);
	assert_int_equal(daemon_write_pid_file(pid, NULL), 0);
	slurp(victim, buf, sizeof(buf));
	assert_string_equal(buf, "precious\n");
	assert_int_equal(lstat(pid, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	assert_int_equal(sb.st_mode & 07777, 0644 & ~(mode_t)0);
	slurp(pid, buf, sizeof(buf));
	snprintf(want, sizeof(want), "%ld\n", (long)getpid());
	assert_string_equal(buf, want);
	/* written again over an old one (a restart) */
	assert_int_equal(daemon_write_pid_file(pid, NULL), 0);
	/* group- or world-writable directory: refused, nothing written */
	assert_int_equal(unlink(pid), 0);
	assert_int_equal(chmod(dir, 0775), 0);
	assert_int_equal(daemon_write_pid_file(pid, NULL), -1);
	assert_int_equal(chmod(dir, 01777), 0);
	assert_int_equal(daemon_write_pid_file(pid, NULL), -1);
	assert_int_equal(lstat(pid, &sb), -1);
	assert_int_equal(chmod(dir, 0755), 0);
	/* a directory of someone else (as root: owned by nobody) */
	if (geteuid() == 0) {
		assert_int_equal(chown(dir, 65534, 65534), 0);
		assert_int_equal(daemon_write_pid_file(pid, NULL), -1);
		assert_int_equal(daemon_write_pid_file(pid, "nobody"), 0);
		assert_int_equal(unlink(pid), 0);
	}
	assert_int_equal(daemon_write_pid_file(pid, "no-such-user-here"), -1);
	assert_int_equal(unlink(victim), 0);
	assert_int_equal(rmdir(dir), 0);
}

/* With credentials, "auto" must not fall back to clear text. */
static void test_smtp_tls(void **state)
{
	(void)state;
	assert_int_equal(smtp_use_ssl(CONF_SMTP_TLS_AUTO, 1), CURLUSESSL_ALL);
	assert_int_equal(smtp_use_ssl(CONF_SMTP_TLS_AUTO, 0), CURLUSESSL_TRY);
	assert_int_equal(smtp_use_ssl(CONF_SMTP_TLS_REQUIRED, 0),
			 CURLUSESSL_ALL);
	assert_int_equal(smtp_use_ssl(CONF_SMTP_TLS_NONE, 1), CURLUSESSL_NONE);
	assert_int_equal(smtp_use_ssl(CONF_SMTP_TLS_NONE, 0), CURLUSESSL_NONE);
}

static void test_lmtp_idle(void **state)
{
	(void)state;
	assert_int_equal(lmtp_idle_limit_ms(0), 300000);
	assert_int_equal(lmtp_idle_limit_ms(20), 300000);
	assert_int_equal(lmtp_idle_limit_ms(95), 300000);
	assert_int_equal(lmtp_idle_limit_ms(96), 5000);
	assert_int_equal(lmtp_idle_limit_ms(128), 5000);
}

static mode_t mode_of(const char *dir, const char *name)
{
	char p[256];
	struct stat sb;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	if (lstat(p, &sb) < 0)
		fail_msg("%s: missing", p);
	return sb.st_mode & 07777;
}

/* Whatever the umask, the store and its WAL and SHM are not for others;
 * an old world-readable store loses that on the next open. */
static void test_store_modes(void **state)
{
	char dir[] = "/tmp/test_security.XXXXXX", db[128], err[512], p[160];
	const char *suffix[] = {"", "-wal", "-shm"};
	struct store *st;
	struct survey s;
	mode_t old = umask(0);
	FILE *fp;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(db, sizeof(db), "%s/mm.db", dir);
	assert_int_equal(store_open(db, &st, err, sizeof(err)), STORE_OK);
	memset(&s, 0, sizeof(s));
	s.sent_at = 1;
	s.requester = "a@b";
	assert_int_equal(store_survey_insert(st, &s), STORE_OK);
	assert_int_equal(mode_of(dir, "mm.db"), 0640);
	assert_int_equal(mode_of(dir, "mm.db-wal"), 0640);
	assert_int_equal(mode_of(dir, "mm.db-shm"), 0640);
	store_close(st);
	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s%s", db, suffix[i]);
		unlink(p);
	}
	/* made world-readable by an older version */
	fp = fopen(db, "w");
	assert_non_null(fp);
	fclose(fp);
	assert_int_equal(chmod(db, 0644), 0);
	assert_int_equal(store_open(db, &st, err, sizeof(err)), STORE_OK);
	assert_int_equal(store_survey_insert(st, &s), STORE_OK);
	assert_int_equal(mode_of(dir, "mm.db"), 0640);
	assert_int_equal(mode_of(dir, "mm.db-wal"), 0640);
	store_close(st);
	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s%s", db, suffix[i]);
		unlink(p);
	}
	/* a stricter umask is kept */
	umask(077);
	assert_int_equal(store_open(db, &st, err, sizeof(err)), STORE_OK);
	assert_int_equal(mode_of(dir, "mm.db"), 0600);
	store_close(st);
	umask(old);
	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s%s", db, suffix[i]);
		unlink(p);
	}
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reply_sender),
	    cmocka_unit_test(test_log_escape),
	    cmocka_unit_test(test_pid_file),
	    cmocka_unit_test(test_smtp_tls),
	    cmocka_unit_test(test_lmtp_idle),
	    cmocka_unit_test(test_store_modes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
