/* SPDX-License-Identifier: BSD-2-Clause */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf.h"

static char tmp_path[64];

static void write_conf(const char *text)
{
	int fd;

	snprintf(tmp_path, sizeof(tmp_path), "/tmp/mm-conf-XXXXXX");
	fd = mkstemp(tmp_path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* Loads text; expects failure with an error containing ":LINE: " and
 * the given fragment. */
static void expect_error(const char *text, int line, const char *fragment)
{
	char err[2048], want[128];
	struct conf *c;

	write_conf(text);
	c = conf_load(tmp_path, err, sizeof(err));
	unlink(tmp_path);
	if (c)
		conf_free(c);
	assert_null(c);
	snprintf(want, sizeof(want), "%s:%d: ", tmp_path, line);
	if (!strstr(err, want) || !strstr(err, fragment))
		fail_msg("error '%s' lacks '%s' / '%s'", err, want, fragment);
}

static void test_example_config_loads(void **state)
{
	char err[2048], path[1024];
	struct conf *c;
	const struct conf_team *t;

	snprintf(path, sizeof(path), "%s/conf/mailmood.conf",
		 getenv("top_srcdir") ? getenv("top_srcdir") : ".");
	c = conf_load(path, err, sizeof(err));
	if (!c)
		fail_msg("%s", err);
	assert_string_equal(c->general.base_url,
			    "https://feedback.example.com");
	assert_int_equal(c->milter.max_size, 10 * 1024 * 1024);
	assert_int_equal(c->milter.cooldown, 7 * 86400);
	assert_int_equal(c->milter.sample_rate, 100);
	assert_int_equal(c->listener.link_ttl, 90 * 86400);
	assert_int_equal(c->listener.burst_window, 30);
	assert_int_equal(c->nrules, 1);
	assert_non_null(c->rules[0].subject.re);
	assert_null(c->rules[0].from.re);
	assert_int_equal(c->rules[0].nheaders, 1);
	assert_string_equal(c->rules[0].headers[0].name, "X-Ticket-Status");
	assert_string_equal(c->rules[0].team.header_name, "X-Ticket-Team");
	assert_int_equal(c->nteams, 1);
	t = conf_team_for_address(c, "someone@acme.example");
	assert_non_null(t);
	assert_string_equal(t->name, "acme");
	assert_int_equal(t->alert_at, 1);
	assert_string_equal(conf_team_language(c, t), "nl");
	assert_non_null(conf_team_for_address(c, "j.doe@partner.example"));
	assert_null(conf_team_for_address(c, "x@partner.example"));
	assert_null(conf_team_for_address(c, "x@evil-acme.example"));
	conf_free(c);
}

static void test_defaults(void **state)
{
	char err[1024];
	struct conf *c;

	write_conf("# nothing but a comment\n");
	c = conf_load(tmp_path, err, sizeof(err));
	unlink(tmp_path);
	assert_non_null(c);
	assert_int_equal(c->milter.on_error, CONF_ON_ERROR_ACCEPT);
	assert_int_equal(c->milter.socket_mode, 0660);
	assert_string_equal(c->general.scale->name, "thermometer");
	assert_int_equal(c->listener.smtp_tls, CONF_SMTP_TLS_AUTO);
	assert_int_equal(c->general.log_level, LOG_LVL_INFO);
	assert_int_equal(c->general.reply_sender, CONF_REPLY_SENDER_ADDRESS);
	assert_int_equal(c->milter.ticket_replies, CONF_TICKET_REPLIES_RECORD);
	assert_int_equal(c->milter.ticket_reply_scan,
			 CONF_TICKET_REPLY_SCAN_HEADERS);
	assert_int_equal(c->campaign.schedule, CONF_SCHEDULE_MANUAL);
	assert_int_equal(c->listener.max_request, 64 * 1024);
	conf_free(c);
}

static void test_values_keep_hash_and_semicolon(void **state)
{
	char err[1024];
	struct conf *c;

	write_conf("[rule r]\nsubject = /#\\d+; done/\n");
	c = conf_load(tmp_path, err, sizeof(err));
	unlink(tmp_path);
	if (!c)
		fail_msg("%s", err);
	assert_string_equal(c->rules[0].subject.text, "/#\\d+; done/");
	conf_free(c);
}

static void test_unknown_key(void **state)
{
	expect_error("[general]\nlanguage = en\nbase_ulr = http://x\n", 3,
		     "[general] base_ulr: unknown key");
}

static void test_unknown_section(void **state)
{
	expect_error("[general]\nlanguage = en\n\n[mitler]\nsocket = x\n", 5,
		     "[mitler] socket: unknown section");
}

static void test_bad_size(void **state)
{
	expect_error("[milter]\nmax_size = 10X\n", 2,
		     "[milter] max_size: bad size");
	expect_error("[milter]\nmax_size = 3G\n", 2,
		     "[milter] max_size: 3G out of range");
}

static void test_bad_duration(void **state)
{
	expect_error("[milter]\ncooldown = 7 days\n", 2,
		     "[milter] cooldown: bad duration");
	expect_error("[listener]\nlink_ttl = 10m\n", 2,
		     "[listener] link_ttl: 10m out of range");
}

static void test_bad_percent(void **state)
{
	expect_error("[milter]\nsample_rate = 150\n", 2,
		     "[milter] sample_rate: 150 out of range");
	expect_error("[milter]\nsample_rate = half\n", 2,
		     "[milter] sample_rate: not a number");
}

static void test_bad_netlist(void **state)
{
	struct conf_net n;

	expect_error("[listener]\nmetrics_allow = 127.0.0.1 10.0.0.0/33\n", 2,
		     "[listener] metrics_allow: '10.0.0.0/33': not an address");
	expect_error("[listener]\n\ntrusted_proxies = proxy.example\n", 3,
		     "[listener] trusted_proxies: 'proxy.example'");
	assert_int_equal(conf_net_parse("::1", &n), 0);
	assert_int_equal(n.prefix, 128);
	assert_int_equal(conf_net_parse("192.0.2.0/24", &n), 0);
	assert_int_equal(n.prefix, 24);
	assert_int_equal(conf_net_parse("192.0.2.0/", &n), -1);
	assert_int_equal(conf_net_parse("fe80::/129", &n), -1);
}

static void test_bad_value(void **state)
{
	expect_error("[milter]\non_error = reject\n", 2,
		     "[milter] on_error: must be one of |accept|tempfail|");
	expect_error("[general]\nscale = stars\n", 2,
		     "[general] scale: unknown scale");
	expect_error("[general]\nlanguage = de\n", 2,
		     "[general] language: unknown language");
	expect_error("[general]\nbase_url = feedback.example.com\n", 2,
		     "[general] base_url: not a URL");
	expect_error("[listener]\nsmtp_tls = maybe\n", 2,
		     "[listener] smtp_tls: must be one of");
	expect_error(
	    "[milter]\nticket_replies = maybe\n", 2,
	    "[milter] ticket_replies: must be one of |record|divert|off|");
	expect_error("[milter]\ninternal = @msp.example, example.com\n", 2,
		     "[milter] internal: 'example.com': each entry must be an "
		     "address or @domain");
	expect_error("[rule r]\nfrom = a@b\nreply_subjects = maybe\n", 3,
		     "[rule r] reply_subjects: not a boolean");
}

static void test_bad_regex(void **state)
{
	expect_error("[rule r]\n\nsubject = /(unclosed/i\n", 3,
		     "[rule r] subject: bad regular expression at offset");
	expect_error("[rule r]\nsubject = /x/q\n", 2,
		     "[rule r] subject: unknown regex flag 'q'");
	expect_error("[rule r]\nsubject = /x\n", 2, "without closing /");
}

static void test_rule_errors(void **state)
{
	expect_error("[rule r]\nteam = header:X-Team\n", 1,
		     "[rule r] : no condition");
	expect_error("[rule r]\nfrom = a@b\nfrom = c@d\n", 3,
		     "[rule r] from: given twice");
	expect_error("[rule r]\nheader = no colon here\n", 2,
		     "[rule r] header: expected 'Header-Name: value'");
	expect_error("[rule r]\nfrom = a@b\nagent = header:\n", 3,
		     "[rule r] agent: header: without a header name");
	expect_error("[rule bad name!]\nfrom = a@b\n", 1, "bad rule name");
}

static void test_team_errors(void **state)
{
	expect_error("[team t]\nmatch = acme.example\n", 2,
		     "[team t] match: each entry must be an address");
	expect_error("[team t]\nmatch = @a.example\nalert_at = purple\n", 1,
		     "[team t] alert_at: 'purple' is not a level");
	expect_error("[team t]\nalert_to = x@y\n", 1,
		     "[team t] match: missing");
	expect_error("[team t]\nmatch = @a\nkudos = perhaps\n", 3,
		     "[team t] kudos: not a boolean");
}

/* IT rates its customers: the team keys, their defaults, and the
 * timezone, each error at its FILE:LINE. */
static void test_customer_keys(void **state)
{
	char err[2048];
	struct conf *c;
	const struct conf_team *t, *u;

	write_conf("[general]\ntimezone = Europe/Amsterdam\n"
		   "[team t]\nmatch = @a.example\nalert_to = it@x.example\n"
		   "rate_customer = yes\ncustomer_scale = grade10\n"
		   "customer_digest_at = 07:30\n"
		   "customer_question_nl = Hoe ging het?\n"
		   "[team u]\nmatch = @b.example\n");
	c = conf_load(tmp_path, err, sizeof(err));
	unlink(tmp_path);
	if (!c)
		fail_msg("%s", err);
	t = conf_team_by_name(c, "t");
	u = conf_team_by_name(c, "u");
	assert_true(t->rate_customer);
	assert_false(u->rate_customer);
	assert_int_equal(t->customer_digest_at, 7 * 60 + 30);
	assert_int_equal(u->customer_digest_at, 8 * 60);
	assert_string_equal(conf_team_customer_scale(t)->name, "grade10");
	assert_string_equal(conf_team_customer_scale(u)->name, "thermometer");
	assert_string_equal(conf_team_customer_question(t, "nl"),
			    "Hoe ging het?");
	assert_string_equal(conf_team_customer_question(t, "en"),
			    "How well did the customer help us solve this?");
	assert_string_equal(conf_team_customer_question(u, "nl"),
			    "Hoe goed hielp de klant ons dit op te lossen?");
	assert_string_equal(c->general.timezone, "Europe/Amsterdam");
	assert_true(c->general.tz.n > 0);
	conf_free(c);

	write_conf("[team t]\nmatch = @a.example\n");
	assert_non_null(c = conf_load(tmp_path, err, sizeof(err)));
	unlink(tmp_path);
	assert_string_equal(c->general.timezone, "UTC");
	assert_int_equal(c->general.tz.n, 0);
	conf_free(c);

	expect_error("[general]\nlanguage = en\ntimezone = Mars/Olympus\n", 3,
		     "[general] timezone: unknown time zone 'Mars/Olympus'");
	expect_error("[general]\ntimezone = ../../etc/passwd\n", 2,
		     "[general] timezone: '../../etc/passwd' is not a time");
	expect_error("[team t]\nmatch = @a\ncustomer_digest_at = 8:00\n", 3,
		     "[team t] customer_digest_at: not a time of day");
	expect_error("[team t]\nmatch = @a\ncustomer_digest_at = 24:00\n", 3,
		     "[team t] customer_digest_at: not a time of day");
	expect_error("[team t]\nmatch = @a\ncustomer_scale = stars\n", 3,
		     "[team t] customer_scale: unknown scale");
	expect_error("[team t]\nmatch = @a\nrate_customer = maybe\n", 3,
		     "[team t] rate_customer: not a boolean");
	expect_error("[team t]\nmatch = @a\nrate_customer = yes\n", 1,
		     "[team t] rate_customer: needs alert_to");
	expect_error("[team t]\nmatch = @a\ncustomer_question_de = Wie?\n", 3,
		     "[team t] customer_question_de: unknown key");
}

static void test_duplicates(void **state)
{
	expect_error("[milter]\ncooldown = 1d\ncooldown = 2d\n", 3,
		     "[milter] cooldown: given twice");
	expect_error("[milter]\ncooldown = 1d\n[general]\nlanguage = en\n"
		     "[milter]\nmax_size = 1M\n",
		     5, "[milter] : section appears twice");
}

static void test_syntax_error(void **state)
{
	expect_error("[general]\nlanguage en\n", 2, "syntax error");
}

static void test_long_line(void **state)
{
	char *text = malloc(10000);

	strcpy(text, "[rule r]\nsubject = /");
	memset(text + strlen(text), 'a', 6000);
	strcpy(text + strlen("[rule r]\nsubject = /") + 6000, "/\n");
	expect_error(text, 2, "line too long");
	free(text);
}

static void test_several_errors_reported(void **state)
{
	char err[2048];
	struct conf *c;

	write_conf("[milter]\ncooldown = x\nmax_size = y\n");
	c = conf_load(tmp_path, err, sizeof(err));
	unlink(tmp_path);
	assert_null(c);
	assert_non_null(strstr(err, ":2: [milter] cooldown"));
	assert_non_null(strstr(err, ":3: [milter] max_size"));
}

static void test_missing_file(void **state)
{
	char err[512];

	assert_null(conf_load("/nonexistent/mailmood.conf", err, sizeof(err)));
	assert_non_null(
	    strstr(err, "/nonexistent/mailmood.conf: No such file"));
}

/* The PostgreSQL connection from a file of its own: URI kept whole,
 * keyword conninfo marked "pg:", and the mistakes an admin makes. */
static void test_conninfo_file(void **state)
{
	char info[64] = "/tmp/mm-conninfo-XXXXXX", text[256], err[2048];
	struct conf *c;
	FILE *fp;
	int fd;

	(void)state;
	assert_true((fd = mkstemp(info)) >= 0);
	assert_non_null(fp = fdopen(fd, "w"));
	fputs("# db1, pgbouncer\n\n  postgresql://mm:s3cret@db1/mailmood  \n",
	      fp);
	fclose(fp);
	snprintf(text, sizeof(text), "[general]\nconninfo_file = %s\n", info);
	write_conf(text);
	c = conf_load(tmp_path, err, sizeof(err));
	if (!c)
		fail_msg("%s", err);
	assert_string_equal(c->general.store,
			    "postgresql://mm:s3cret@db1/mailmood");
	conf_free(c);
	unlink(tmp_path);

	assert_non_null(fp = fopen(info, "w"));
	fputs("host=/run/postgresql dbname=mailmood\n", fp);
	fclose(fp);
	write_conf(text);
	c = conf_load(tmp_path, err, sizeof(err));
	if (!c)
		fail_msg("%s", err);
	assert_string_equal(c->general.store,
			    "pg:host=/run/postgresql dbname=mailmood");
	conf_free(c);
	unlink(tmp_path);

	/* Readable by others: refused, with the line of the key. */
	assert_int_equal(chmod(info, 0644), 0);
	snprintf(text, sizeof(text), "[general]\n\nconninfo_file = %s\n", info);
	expect_error(text, 3, "readable by others");
	assert_int_equal(chmod(info, 0600), 0);

	snprintf(text, sizeof(text),
		 "[general]\nstore = /x.db\nconninfo_file = %s\n", info);
	expect_error(text, 3, "either store or conninfo_file");
	assert_non_null(fp = fopen(info, "w"));
	fputs("# nothing yet\n", fp);
	fclose(fp);
	snprintf(text, sizeof(text), "[general]\nconninfo_file = %s\n", info);
	expect_error(text, 2, "no connection string");
	unlink(info);
	expect_error(text, 2, "No such file");
}

/* The digest key: one mapping between its words and enum conf_digest;
 * a team without it has none, an unknown word is a FILE:LINE error. */
static void test_digest(void **state)
{
	static const char *const words[] = {"none", "daily", "weekly"};
	char err[2048];
	struct conf *c;

	(void)state;
	assert_int_equal(CONF_NDIGESTS, 3);
	for (int d = 0; d < CONF_NDIGESTS; d++) {
		assert_string_equal(conf_digest_name(d), words[d]);
		assert_int_equal(conf_digest_parse(words[d]), d);
	}
	assert_null(conf_digest_name(CONF_DIGEST_UNKNOWN));
	assert_null(conf_digest_name(CONF_NDIGESTS));
	assert_int_equal(conf_digest_parse("hourly"), CONF_DIGEST_UNKNOWN);
	assert_int_equal(conf_digest_parse("Daily"), CONF_DIGEST_UNKNOWN);
	assert_int_equal(conf_digest_parse(NULL), CONF_DIGEST_UNKNOWN);

	write_conf("[team t]\nmatch = @a.example\nalert_to = it@x.example\n"
		   "digest = daily\n"
		   "[team u]\nmatch = @b.example\n");
	c = conf_load(tmp_path, err, sizeof(err));
	unlink(tmp_path);
	if (!c)
		fail_msg("%s", err);
	assert_int_equal(conf_team_by_name(c, "t")->digest, CONF_DIGEST_DAILY);
	assert_int_equal(conf_team_by_name(c, "u")->digest, CONF_DIGEST_NONE);
	conf_free(c);
	expect_error("[team t]\nmatch = @a\ndigest = hourly\n", 3,
		     "[team t] digest: must be none, daily or weekly");
}

/* The keys whose word selects a behaviour: each is parsed into its enum
 * of conf.h when the file is read. The word lists are mailmood.conf(5)'s
 * and must not change: a config that worked keeps working. */
struct word_key {
	const char *section, *key;
	size_t offset;	   /* of the int in struct conf */
	const char *words; /* by value, space-separated */
	int n;
	const char *(*name)(int);
	int (*parse)(const char *);
};

static const struct word_key word_keys[] = {
    {"milter", "on_error", offsetof(struct conf, milter.on_error),
     "accept tempfail", CONF_NON_ERROR_ACTIONS, conf_on_error_name,
     conf_on_error_parse},
    {"general", "log_level", offsetof(struct conf, general.log_level),
     "error warning info debug", CONF_NLOG_LEVELS, conf_log_level_name,
     conf_log_level_parse},
    {"general", "reply_sender", offsetof(struct conf, general.reply_sender),
     "address domain", CONF_NREPLY_SENDERS, conf_reply_sender_name,
     conf_reply_sender_parse},
    {"milter", "ticket_replies", offsetof(struct conf, milter.ticket_replies),
     "record divert off", CONF_NTICKET_REPLIES, conf_ticket_replies_name,
     conf_ticket_replies_parse},
    {"milter", "ticket_reply_scan",
     offsetof(struct conf, milter.ticket_reply_scan), "headers bodies",
     CONF_NTICKET_REPLY_SCANS, conf_ticket_reply_scan_name,
     conf_ticket_reply_scan_parse},
    {"listener", "smtp_tls", offsetof(struct conf, listener.smtp_tls),
     "auto required none", CONF_NSMTP_TLS_MODES, conf_smtp_tls_name,
     conf_smtp_tls_parse},
    {"campaign", "schedule", offsetof(struct conf, campaign.schedule),
     "manual auto", CONF_NSCHEDULES, conf_schedule_name, conf_schedule_parse},
};

/* Every word round-trips: name -> parse -> name, and through a file into
 * the struct; anything else is -1 from parse and a FILE:LINE error
 * naming the key and the words at load. */
static void test_config_words(void **state)
{
	(void)state;
	assert_int_equal(CONF_ON_ERROR_UNKNOWN, -1);
	assert_int_equal(CONF_LOG_LEVEL_UNKNOWN, -1);
	assert_int_equal(CONF_REPLY_SENDER_UNKNOWN, -1);
	assert_int_equal(CONF_TICKET_REPLIES_UNKNOWN, -1);
	assert_int_equal(CONF_TICKET_REPLY_SCAN_UNKNOWN, -1);
	assert_int_equal(CONF_SMTP_TLS_UNKNOWN, -1);
	assert_int_equal(CONF_SCHEDULE_UNKNOWN, -1);
	for (size_t i = 0; i < sizeof(word_keys) / sizeof(word_keys[0]); i++) {
		const struct word_key *k = &word_keys[i];
		char joined[128] = "", text[256], err[2048], want[128];
		struct conf *c;

		for (int v = 0; v < k->n; v++) {
			const char *w = k->name(v);

			assert_non_null(w);
			assert_int_equal(k->parse(w), v);
			snprintf(joined + strlen(joined),
				 sizeof(joined) - strlen(joined), "%s%s",
				 v ? " " : "", w);
			snprintf(text, sizeof(text), "[%s]\n%s = %s\n",
				 k->section, k->key, w);
			write_conf(text);
			c = conf_load(tmp_path, err, sizeof(err));
			unlink(tmp_path);
			if (!c)
				fail_msg("%s = %s: %s", k->key, w, err);
			assert_int_equal(*(int *)((char *)c + k->offset), v);
			conf_free(c);
		}
		assert_string_equal(joined, k->words);
		assert_null(k->name(-1));
		assert_null(k->name(k->n));
		assert_int_equal(k->parse("maybe"), -1);
		assert_int_equal(k->parse(""), -1);
		assert_int_equal(k->parse(NULL), -1);
		/* case matters, and a word is whole: "record|divert" is
		 * none of them */
		snprintf(text, sizeof(text), "%s", k->name(0));
		text[0] = (char)(text[0] - 'a' + 'A');
		assert_int_equal(k->parse(text), -1);
		snprintf(text, sizeof(text), "%s|%s", k->name(0), k->name(1));
		assert_int_equal(k->parse(text), -1);

		snprintf(text, sizeof(text), "[%s]\n\n%s = %s|%s\n", k->section,
			 k->key, k->name(0), k->name(1));
		snprintf(want, sizeof(want), "[%s] %s: must be one of |%s|%s|",
			 k->section, k->key, k->name(0), k->name(1));
		expect_error(text, 3, want);
		snprintf(text, sizeof(text), "[%s]\n%s =\n", k->section,
			 k->key);
		expect_error(text, 2, want);
	}
}

static void test_parsers(void **state)
{
	uint64_t sz;
	int64_t d;

	assert_int_equal(conf_parse_size("10M", &sz), 0);
	assert_int_equal(sz, 10485760);
	assert_int_equal(conf_parse_size("512k", &sz), 0);
	assert_int_equal(sz, 524288);
	assert_int_equal(conf_parse_size("7", &sz), 0);
	assert_int_equal(sz, 7);
	assert_int_equal(conf_parse_size("-1", &sz), -1);
	assert_int_equal(conf_parse_size("1T", &sz), -1);
	assert_int_equal(conf_parse_size("99999999999999999999G", &sz), -1);
	assert_int_equal(conf_parse_duration("7d", &d), 0);
	assert_int_equal(d, 604800);
	assert_int_equal(conf_parse_duration("2w", &d), 0);
	assert_int_equal(d, 1209600);
	assert_int_equal(conf_parse_duration("30", &d), 0);
	assert_int_equal(d, 30);
	assert_int_equal(conf_parse_duration("", &d), -1);
	assert_int_equal(conf_parse_duration("5y", &d), -1);
}

static void test_url_is_example(void **state)
{
	assert_true(conf_url_is_example("https://feedback.example.com"));
	assert_true(conf_url_is_example("https://EXAMPLE.org/x"));
	assert_true(conf_url_is_example("http://fb.example:8080/"));
	assert_true(conf_url_is_example("https://user@a.b.example.net./r"));
	assert_false(conf_url_is_example("https://feedback.acme.com"));
	assert_false(conf_url_is_example("https://notexample.com"));
	assert_false(conf_url_is_example("https://example.com.evil.test"));
	assert_false(conf_url_is_example("http://127.0.0.1:8080"));
	assert_false(conf_url_is_example("http://[::1]:8080"));
	assert_false(
	    conf_url_is_example("https://fb.acme.com/?u=x@example.com"));
	assert_false(conf_url_is_example("example.com"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_example_config_loads),
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_values_keep_hash_and_semicolon),
	    cmocka_unit_test(test_unknown_key),
	    cmocka_unit_test(test_unknown_section),
	    cmocka_unit_test(test_bad_size),
	    cmocka_unit_test(test_bad_duration),
	    cmocka_unit_test(test_bad_percent),
	    cmocka_unit_test(test_bad_netlist),
	    cmocka_unit_test(test_bad_value),
	    cmocka_unit_test(test_bad_regex),
	    cmocka_unit_test(test_rule_errors),
	    cmocka_unit_test(test_team_errors),
	    cmocka_unit_test(test_customer_keys),
	    cmocka_unit_test(test_duplicates),
	    cmocka_unit_test(test_syntax_error),
	    cmocka_unit_test(test_long_line),
	    cmocka_unit_test(test_several_errors_reported),
	    cmocka_unit_test(test_missing_file),
	    cmocka_unit_test(test_conninfo_file),
	    cmocka_unit_test(test_parsers),
	    cmocka_unit_test(test_digest),
	    cmocka_unit_test(test_config_words),
	    cmocka_unit_test(test_url_is_example),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
