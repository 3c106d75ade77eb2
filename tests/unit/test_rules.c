/* SPDX-License-Identifier: BSD-2-Clause */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "closure.h"
#include "codec.h"
#include "inject.h"
#include "rules.h"
#include "tmpl.h"

static struct conf *load(const char *text)
{
	char path[] = "/tmp/mm-rules-XXXXXX", err[2048];
	int fd = mkstemp(path);
	struct conf *c;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	c = conf_load(path, err, sizeof(err));
	unlink(path);
	if (!c)
		fail_msg("%s", err);
	return c;
}

static const char *base_conf =
    "[rule topdesk]\n"
    "from = servicedesk@example.com\n"
    "subject = /\\[(?<ticket>[A-Z]+-?\\d+)\\].*\\b(closed|resolved|"
    "gesloten|opgelost|afgehandeld)\\b/i\n"
    "team = header:X-Ticket-Team\n"
    "agent = header:X-Ticket-Agent\n"
    "[rule jira]\n"
    "sender = /^jira@/\n"
    "header = X-JIRA-Status: /^(?<agent>\\w+) resolved$/\n"
    "subject = /(?<ticket>[A-Z]{2,}-\\d+)/\n"
    "team = support\n"
    "[team acme]\n"
    "match = @acme.example\n";

static void test_match_captures(void **state)
{
	struct conf *c = load(base_conf);
	struct rules_header h[] = {
	    {"From", "Service Desk <ServiceDesk@Example.com>"},
	    {"To", "j.doe@acme.example"},
	    {"Subject", "[INC-1234] Printer on fire: resolved"},
	    {"X-Ticket-Team", "Team\r\n Acme"},
	    {"X-Ticket-Agent", "Bob"},
	};
	struct rules_match m;

	assert_int_equal(rules_match(c, "<sd@example.com>", h, 5, &m), 1);
	assert_string_equal(m.rule->name, "topdesk");
	assert_string_equal(m.ticket, "INC-1234");
	/* folded header unfolded, CR/LF never survive */
	assert_string_equal(m.team, "Team Acme");
	assert_string_equal(m.agent, "Bob");
	rules_match_free(&m);
	conf_free(c);
}

static void test_no_match(void **state)
{
	struct conf *c = load(base_conf);
	struct rules_header h[] = {
	    {"From", "servicedesk@example.com"},
	    {"Subject", "[INC-1234] new call registered"},
	};
	struct rules_header h2[] = {
	    {"From", "someone@example.com"},
	    {"Subject", "[INC-1234] resolved"},
	};
	struct rules_match m;

	assert_int_equal(rules_match(c, "x@y", h, 2, &m), 0);
	assert_null(m.rule);
	assert_int_equal(rules_match(c, "x@y", h2, 2, &m), 0);
	assert_int_equal(rules_match(c, "x@y", NULL, 0, &m), 0);
	conf_free(c);
}

static void test_encoded_subject(void **state)
{
	struct conf *c = load(base_conf);
	struct rules_header h[] = {
	    {"From", "servicedesk@example.com"},
	    {"Subject", "=?UTF-8?Q?[INC-77]_Melding_is_opgelost_=C3=A9?="},
	};
	struct rules_match m;

	assert_int_equal(rules_match(c, "", h, 2, &m), 1);
	assert_string_equal(m.ticket, "INC-77");
	assert_string_equal(m.subject, "[INC-77] Melding is opgelost \xc3\xa9");
	assert_null(m.team); /* header absent */
	rules_match_free(&m);
	conf_free(c);
}

static void test_envelope_header_and_literal(void **state)
{
	struct conf *c = load(base_conf);
	struct rules_header h[] = {
	    {"From", "Jira <jira@example.com>"},
	    {"Subject", "[JIRA] (SUP-42) Login broken"},
	    {"X-JIRA-Status", "open"},
	    {"X-JIRA-Status", "alice resolved"},
	};
	struct rules_match m;

	assert_int_equal(rules_match(c, "<jira@example.com>", h, 4, &m), 1);
	assert_string_equal(m.rule->name, "jira");
	assert_string_equal(m.ticket, "SUP-42");
	assert_string_equal(m.agent, "alice");
	assert_string_equal(m.team, "support");
	rules_match_free(&m);
	/* envelope sender must match too */
	assert_int_equal(rules_match(c, "<other@example.com>", h, 4, &m), 0);
	conf_free(c);
}

static void test_first_address(void **state)
{
	char *a;

	a = rules_first_address("\"Doe, John\" <J.Doe@Acme.Example>, x@y");
	assert_string_equal(a, "j.doe@acme.example");
	free(a);
	a = rules_first_address("  a@b.example , c@d");
	assert_string_equal(a, "a@b.example");
	free(a);
	assert_null(rules_first_address("undisclosed-recipients:;"));
	assert_null(rules_first_address(""));
}

/* A raw non-UTF-8 Subject (a Latin-1 ticket system) is decoded with each
 * bad byte as '?' (libetpan), so PCRE2 in UTF mode can match it: the rule
 * still decides, and no invalid byte reaches the survey's subject. */
static void test_invalid_utf8_subject_matches_cleaned(void **state)
{
	struct conf *c = load(base_conf);
	struct rules_header h[] = {
	    {"From", "servicedesk@example.com"},
	    {"Subject", "[INC-1] \xff\xfe resolved"},
	};
	struct rules_match m;

	assert_int_equal(rules_match(c, "", h, 2, &m), 1);
	assert_string_equal(m.rule->name, "topdesk");
	assert_string_equal(m.ticket, "INC-1");
	assert_non_null(m.subject);
	assert_true(codec_utf8_valid(m.subject, strlen(m.subject)));
	assert_null(strchr(m.subject, '\xff'));
	rules_match_free(&m);
	/* and the same bytes without the closure word are no match */
	h[1].value = "[INC-1] \xff\xfe still open";
	assert_int_equal(rules_match(c, "", h, 2, &m), 0);
	rules_match_free(&m);
	conf_free(c);
}

static void test_tmpl(void **state)
{
	struct tmpl_var vars[] = {{"ticket", "<INC&1>"}};
	struct tmpl_var items[] = {{"url", "u1"}, {"url", "u2\""}};
	struct tmpl_ctx ctx = {vars, 1, "levels", items, 2, 1};
	struct buf b;
	char err[128];

	buf_init(&b);
	const char *tpl = "T={{ticket}}{{#levels}}[{{url}}]{{/levels}}.";
	assert_int_equal(
	    tmpl_render(&b, tpl, strlen(tpl), 1, &ctx, err, sizeof(err)), 0);
	assert_string_equal(b.data, "T=&lt;INC&amp;1&gt;[u1][u2&quot;].");
	buf_reset(&b);
	assert_int_equal(
	    tmpl_render(&b, "{{ticket}}", 10, 0, &ctx, err, sizeof(err)), 0);
	assert_string_equal(b.data, "<INC&1>");
	buf_reset(&b);
	assert_int_equal(
	    tmpl_render(&b, "{{tikcet}}", 10, 0, &ctx, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "tikcet"));
	assert_int_equal(
	    tmpl_render(&b, "{{#levels}}x", 12, 0, &ctx, err, sizeof(err)), -1);
	assert_int_equal(
	    tmpl_render(&b, "{{ticket", 8, 0, &ctx, err, sizeof(err)), -1);
	buf_free(&b);
}

static void test_inject_render(void **state)
{
	struct conf *c =
	    load("[general]\nbase_url = https://fb.example\n"
		 "[listener]\nreply_address = feedback@fb.example\n");
	struct inject_templates t;
	struct token_key key = {.len = 32};
	struct inject_survey s = {42, "INC-<9>", "nl",
				  scale_get(SCALE_THERMOMETER)};
	struct buf text, html;
	char err[512], tok[TOKEN_BUFSZ], want[256], dir[1024];

	snprintf(dir, sizeof(dir), "%s/conf/templates",
		 getenv("top_srcdir") ? getenv("top_srcdir") : ".");
	if (inject_templates_load(dir, &t, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	buf_init(&text);
	buf_init(&html);
	assert_int_equal(
	    inject_render(&t, c, &key, &s, &text, &html, err, sizeof(err)), 0);
	assert_int_equal(token_make(&key, 42, tok), 0);
	for (int lvl = 1; lvl <= 4; lvl++) {
		snprintf(want, sizeof(want), "https://fb.example/r/%s/%d", tok,
			 lvl);
		assert_non_null(strstr(text.data, want));
		assert_non_null(strstr(html.data, want));
	}
	snprintf(want, sizeof(want), "feedback+%s@fb.example", tok);
	assert_non_null(strstr(text.data, want));
	assert_non_null(strstr(html.data, want));
	assert_non_null(strstr(text.data, "Uitstekend"));
	assert_non_null(strstr(text.data, "INC-<9>"));
	assert_non_null(strstr(html.data, "INC-&lt;9&gt;"));
	assert_null(strstr(html.data, "INC-<9>"));
	/* best level first */
	assert_true(strstr(text.data, "/4") < strstr(text.data, "/1\n"));
	buf_free(&text);
	buf_free(&html);
	inject_templates_free(&t);
	conf_free(c);
}

static void test_templates_missing_dir(void **state)
{
	struct inject_templates t;
	char err[512];

	assert_int_equal(
	    inject_templates_load("/nonexistent", &t, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent/en/block.txt"));
}

static void test_reply_subject_prefixes(void **state)
{
	static const char *const yes[] = {
	    "Re: [INC-1] resolved",
	    "RE: resolved",
	    "re:resolved",
	    "Fw: resolved",
	    "FWD: resolved",
	    "Fwd : resolved",
	    "AW: Ticket geschlossen",
	    "WG: x",
	    "Antw: opgelost",
	    "Doorst: opgelost",
	    "SV: löst",
	    "VS: x",
	    "TR: résolu",
	    "RV: resuelto",
	    "Re[2]: resolved",
	    "AW(3): x",
	    "Re[12] resolved",
	    "  Re: leading blanks",
	    "Re Resolved",
	    "Re: Fwd: AW: nested",
	    "rE: any case",
	};
	static const char *const no[] = {
	    "[INC-1] resolved",
	    "Resolved: VPN drops",
	    "Reopened: no",
	    "Ticket RE-1 resolved",
	    "Fwdx: not a prefix",
	    "Re[x]: not a count",
	    "Re",
	    "",
	    "Tracking resolved",
	    "Antwoord ontvangen",
	    "Sva: no",
	    "Rv-12 resolved",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(yes) / sizeof(*yes); i++)
		if (!rules_reply_subject(yes[i]))
			fail_msg("not read as a reply: '%s'", yes[i]);
	for (size_t i = 0; i < sizeof(no) / sizeof(*no); i++)
		if (rules_reply_subject(no[i]))
			fail_msg("read as a reply: '%s'", no[i]);
}

static void test_reply_subject_rule(void **state)
{
	struct conf *c = load("[rule loose]\n"
			      "subject = /resolved/i\n"
			      "[rule replies]\n"
			      "from = rt@example.com\n"
			      "subject = /resolved/i\n"
			      "reply_subjects = yes\n");
	struct rules_header h[] = {
	    {"From", "desk@example.com"},
	    {"Subject", "Re: [rt.example #2] Resolved: VPN drops"},
	};
	struct rules_header h2[] = {
	    {"From", "rt@example.com"},
	    {"Subject", "Re: [rt.example #2] Resolved: VPN drops"},
	};
	struct rules_header h3[] = {
	    {"From", "desk@example.com"},
	    {"Subject", "[rt.example #2] Resolved: VPN drops"},
	};
	struct rules_match m;

	(void)state;
	/* the loose rule matches but a reply is never its closure */
	assert_int_equal(rules_match(c, "", h, 2, &m), 1);
	assert_string_equal(m.rule->name, "loose");
	assert_int_equal(m.reply_subject, 1);
	rules_match_free(&m);
	/* a later rule that takes reply subjects wins */
	assert_int_equal(rules_match(c, "", h2, 2, &m), 1);
	assert_string_equal(m.rule->name, "replies");
	assert_int_equal(m.reply_subject, 0);
	rules_match_free(&m);
	assert_int_equal(rules_match(c, "", h3, 2, &m), 1);
	assert_string_equal(m.rule->name, "loose");
	assert_int_equal(m.reply_subject, 0);
	rules_match_free(&m);
	conf_free(c);
}

static void test_internal_default(void **state)
{
	struct conf *c = load(base_conf);
	struct rules_internal in;

	(void)state;
	assert_int_equal(rules_internal_build(c, &in), 0);
	/* topdesk's exact from names @example.com; jira's /regex/ sender
	 * names no domain */
	assert_int_equal(in.n, 1);
	assert_string_equal(in.entries[0], "@example.com");
	assert_true(rules_is_internal(&in, "bob@example.com"));
	assert_true(rules_is_internal(&in, "root@localhost"));
	assert_true(rules_is_internal(&in, "postmaster@mailhost"));
	assert_false(rules_is_internal(&in, "j.doe@acme.example"));
	assert_false(rules_is_internal(&in, "x@sub.example.com"));
	assert_true(rules_is_internal(NULL, "root@localhost"));
	rules_internal_free(&in);
	conf_free(c);
}

static void test_internal_list(void **state)
{
	struct conf *c = load("[milter]\n"
			      "internal = @MSP.example, boss@acme.example\n"
			      "[rule r]\n"
			      "from = desk@example.com\n");
	struct conf *none = load("[milter]\n"
				 "internal = none\n"
				 "[rule r]\n"
				 "from = desk@example.com\n");
	struct rules_internal in;

	(void)state;
	assert_int_equal(rules_internal_build(c, &in), 0);
	assert_int_equal(in.n, 2);
	assert_true(rules_is_internal(&in, "anyone@msp.example"));
	assert_true(rules_is_internal(&in, "boss@acme.example"));
	assert_false(rules_is_internal(&in, "j.doe@acme.example"));
	/* the list replaces the derived domains */
	assert_false(rules_is_internal(&in, "bob@example.com"));
	rules_internal_free(&in);
	assert_int_equal(rules_internal_build(none, &in), 0);
	assert_int_equal(in.n, 0);
	assert_false(rules_is_internal(&in, "bob@example.com"));
	assert_true(rules_is_internal(&in, "root@localhost"));
	rules_internal_free(&in);
	conf_free(c);
	conf_free(none);
}

static void test_closure_guards(void **state)
{
	struct conf *c = load(base_conf);
	struct rules_internal in;
	struct closure_env env = {c, NULL, NULL, NULL, &in};
	struct rules_header re[] = {
	    {"From", "servicedesk@example.com"},
	    {"To", "j.doe@acme.example"},
	    {"Subject", "AW[2]: [INC-1] resolved"},
	};
	struct rules_header root[] = {
	    {"From", "servicedesk@example.com"},
	    {"To", "Root <root@localhost>"},
	    {"Subject", "[INC-1] resolved"},
	};
	struct rules_header ok[] = {
	    {"From", "servicedesk@example.com"},
	    {"To", "j.doe@acme.example"},
	    {"Subject", "[INC-1] resolved"},
	};
	struct closure_mail m = {"Q1", "", NULL, re, 3, NULL, 0};
	struct closure_result r;

	(void)state;
	assert_int_equal(rules_internal_build(c, &in), 0);
	assert_int_equal(closure_check(&env, &m, &r), CLOSURE_UNCHANGED);
	assert_true(r.skipped);
	assert_string_equal(r.reason, "reply subject");
	closure_result_free(&r);
	m.h = root;
	assert_int_equal(closure_check(&env, &m, &r), CLOSURE_UNCHANGED);
	assert_true(r.skipped);
	assert_string_equal(r.reason, "internal requester");
	assert_string_equal(r.requester, "root@localhost");
	closure_result_free(&r);
	m.h = ok;
	assert_int_equal(closure_check(&env, &m, &r), CLOSURE_MATCHED);
	assert_false(r.skipped);
	closure_result_free(&r);
	rules_internal_free(&in);
	conf_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_match_captures),
	    cmocka_unit_test(test_reply_subject_prefixes),
	    cmocka_unit_test(test_reply_subject_rule),
	    cmocka_unit_test(test_internal_default),
	    cmocka_unit_test(test_internal_list),
	    cmocka_unit_test(test_closure_guards),
	    cmocka_unit_test(test_no_match),
	    cmocka_unit_test(test_encoded_subject),
	    cmocka_unit_test(test_envelope_header_and_literal),
	    cmocka_unit_test(test_first_address),
	    cmocka_unit_test(test_invalid_utf8_subject_matches_cleaned),
	    cmocka_unit_test(test_tmpl),
	    cmocka_unit_test(test_inject_render),
	    cmocka_unit_test(test_templates_missing_dir),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
