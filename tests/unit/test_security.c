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

#include <cmocka.h>

#include "conf.h"
#include "reply_sender.h"

static void test_reply_sender(void **state)
{
	struct conf c;
	const char *req = "j.doe@acme.example";

	(void)state;
	memset(&c, 0, sizeof(c));
	c.general.reply_sender = "address";
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
	c.general.reply_sender = "domain";
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reply_sender),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
