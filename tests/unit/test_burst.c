/* SPDX-License-Identifier: BSD-2-Clause */
/* The scanner classifier (burst.c): which hits are machine hits and which
 * automatic confirmations may count. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "burst.h"

#define FIREFOX                                                                \
	"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 "            \
	"Firefox/128.0"
#define IPHONE                                                                 \
	"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) "              \
	"AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 "               \
	"Mobile/15E148 Safari/604.1"

static struct burst_input input(int64_t now, int level, const char *ua,
				const struct burst_hit *prior, size_t n)
{
	struct burst_input in = {0};
	in.now = now;
	in.level = level;
	in.user_agent = ua;
	in.sent_at = 1000;
	in.window = 30;
	in.prior = prior;
	in.nprior = n;
	return in;
}

static void test_scanner_ua(void **state)
{
	assert_true(burst_scanner_ua(NULL));
	assert_true(burst_scanner_ua(""));
	assert_true(burst_scanner_ua("Microsoft Office/16.0 (Windows NT 10.0; "
				     "Microsoft Outlook 16.0.4266)"));
	assert_true(burst_scanner_ua("Mozilla/5.0 (compatible; Barracuda "
				     "Sentinel)"));
	assert_true(burst_scanner_ua("mimecast-url-protect"));
	assert_true(burst_scanner_ua("curl/7.88.1"));
	assert_true(
	    burst_scanner_ua("Mozilla/5.0 (compatible; Googlebot/2.1)"));
	assert_true(burst_scanner_ua(
	    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, "
	    "like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36"));
	assert_false(burst_scanner_ua(FIREFOX));
	assert_false(burst_scanner_ua(IPHONE));
	assert_false(burst_scanner_ua(
	    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
	    "(KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 "
	    "Edg/126.0.0.0"));
}

/* The last answer is remembered per thread: it must be the answer for
 * this user agent, never the previous one's. */
static void test_scanner_ua_remembered(void **state)
{
	char longer[600], buf[64];

	for (int i = 0; i < 3; i++) {
		assert_false(burst_scanner_ua(FIREFOX));
		assert_true(burst_scanner_ua("curl/7.88.1"));
		assert_true(burst_scanner_ua("curl/7.88.1"));
		assert_false(burst_scanner_ua(FIREFOX));
	}
	/* a prefix of the remembered one is another user agent */
	assert_true(
	    burst_scanner_ua("Mozilla/5.0 (compatible; Googlebot/2.1)"));
	assert_false(burst_scanner_ua("Mozilla/5.0 (compatible; Google"));
	/* the same text in another buffer gets the same answer */
	strcpy(buf, "Wget/1.21.3");
	assert_true(burst_scanner_ua(buf));
	strcpy(buf, "Wgot/1.21.3");
	assert_false(burst_scanner_ua(buf));
	/* longer than what is remembered: searched every time */
	memset(longer, 'a', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	assert_false(burst_scanner_ua(longer));
	memcpy(longer + 500, "spider", 6);
	assert_true(burst_scanner_ua(longer));
	memcpy(longer + 500, "spidar", 6);
	assert_false(burst_scanner_ua(longer));
	(void)state;
}

static void test_person_single_click(void **state)
{
	struct burst_input in = input(5000, 1, FIREFOX, NULL, 0);
	struct burst_result r;

	burst_classify_hit(&in, &r);
	assert_int_equal(r.reason, BURST_HUMAN);
	assert_false(r.mark_prior);
}

static void test_same_level_twice_is_human(void **state)
{
	/* a person reopening the same link */
	const struct burst_hit prior[] = {{4990, 3}};
	struct burst_input in = input(5000, 3, IPHONE, prior, 1);
	struct burst_result r;

	burst_classify_hit(&in, &r);
	assert_int_equal(r.reason, BURST_HUMAN);
}

static void test_levels_burst(void **state)
{
	const struct burst_hit prior[] = {{4999, 1}, {4999, 2}, {5000, 3}};
	struct burst_input in = input(5000, 4, FIREFOX, prior, 3);
	struct burst_result r;

	burst_classify_hit(&in, &r);
	assert_int_equal(r.reason, BURST_LEVELS);
	assert_true(r.mark_prior);
}

static void test_other_level_outside_window(void **state)
{
	/* changed mind an hour later: not a burst */
	const struct burst_hit prior[] = {{1400, 1}};
	struct burst_input in = input(5000, 4, FIREFOX, prior, 1);
	struct burst_result r;

	burst_classify_hit(&in, &r);
	assert_int_equal(r.reason, BURST_HUMAN);
}

static void test_window_zero_disables_levels(void **state)
{
	const struct burst_hit prior[] = {{5000, 1}};
	struct burst_input in = input(5000, 4, FIREFOX, prior, 1);
	struct burst_result r;

	in.window = 0;
	burst_classify_hit(&in, &r);
	assert_int_equal(r.reason, BURST_HUMAN);
}

static void test_early_and_head(void **state)
{
	struct burst_input in =
	    input(1000 + BURST_EARLY_SECS - 1, 2, FIREFOX, NULL, 0);
	struct burst_result r;

	burst_classify_hit(&in, &r);
	assert_int_equal(r.reason, BURST_EARLY);
	in.now = 1000 + BURST_EARLY_SECS;
	burst_classify_hit(&in, &r);
	assert_int_equal(r.reason, BURST_HUMAN);
	in.head = 1;
	burst_classify_hit(&in, &r);
	assert_int_equal(r.reason, BURST_HEAD);
}

static void test_scanner_hit(void **state)
{
	struct burst_input in =
	    input(5000, 2, "Microsoft Office/16.0", NULL, 0);
	struct burst_result r;

	burst_classify_hit(&in, &r);
	assert_int_equal(r.reason, BURST_SCANNER_UA);
	assert_false(r.mark_prior);
}

static void test_post(void **state)
{
	const struct burst_hit burst[] = {{4999, 1}, {4999, 2}, {4999, 3}};
	struct burst_input in = input(5000, 1, FIREFOX, burst, 3);

	/* the script of one of a scanner's pages: wait for a click */
	assert_int_equal(burst_classify_post(&in, 1), BURST_LEVELS);
	/* a click on the button counts even during a burst */
	assert_int_equal(burst_classify_post(&in, 0), BURST_HUMAN);
	/* no burst: the script's confirmation counts */
	in.nprior = 0;
	assert_int_equal(burst_classify_post(&in, 1), BURST_HUMAN);
	/* one level opened twice, confirming another (changed mind): counts */
	{
		const struct burst_hit same[] = {{4990, 1}, {4995, 1}};
		struct burst_input in2 = input(5000, 4, FIREFOX, same, 2);
		assert_int_equal(burst_classify_post(&in2, 1), BURST_HUMAN);
	}
	/* a scanner never rates */
	in.user_agent = "Mozilla/5.0 (compatible; Proofpoint URL Defense)";
	assert_int_equal(burst_classify_post(&in, 0), BURST_SCANNER_UA);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_scanner_ua),
	    cmocka_unit_test(test_scanner_ua_remembered),
	    cmocka_unit_test(test_person_single_click),
	    cmocka_unit_test(test_same_level_twice_is_human),
	    cmocka_unit_test(test_levels_burst),
	    cmocka_unit_test(test_other_level_outside_window),
	    cmocka_unit_test(test_window_zero_disables_levels),
	    cmocka_unit_test(test_early_and_head),
	    cmocka_unit_test(test_scanner_hit),
	    cmocka_unit_test(test_post),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
