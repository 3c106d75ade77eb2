/* SPDX-License-Identifier: BSD-2-Clause */
/* Local days from the tz database: offsets, midnights across the DST
 * switches (23- and 25-hour days), dates, and names that must not reach
 * the file system. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tz.h"

/* 2026-03-29 00:00 UTC and friends, computed with date -u -d. */
#define T_0329 1774742400LL
#define T_1025 1792886400LL

static void test_utc(void **state)
{
	struct tz tz;
	char err[256];
	int y, m, d, min;

	(void)state;
	assert_int_equal(tz_load("UTC", &tz, err, sizeof(err)), 0);
	assert_int_equal(tz_offset(&tz, T_0329), 0);
	assert_int_equal(tz_midnight(&tz, 2026, 3, 29), T_0329);
	tz_local(&tz, T_0329 + 8 * 3600 + 59, &y, &m, &d, &min);
	assert_int_equal(y * 10000 + m * 100 + d, 20260329);
	assert_int_equal(min, 8 * 60);
	tz_local(&tz, T_0329 - 1, &y, &m, &d, &min);
	assert_int_equal(d, 28);
	assert_int_equal(min, 23 * 60 + 59);
	tz_free(&tz);
}

static void test_amsterdam_dst(void **state)
{
	struct tz tz;
	char err[256];
	int64_t a, b;
	int y, m, d, min;

	(void)state;
	if (tz_load("Europe/Amsterdam", &tz, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	/* winter: UTC+1; summer: UTC+2 */
	assert_int_equal(tz_offset(&tz, T_0329 - 86400), 3600);
	assert_int_equal(tz_offset(&tz, T_0329 + 86400), 7200);
	/* the day the clocks go forward has 23 hours */
	a = tz_midnight(&tz, 2026, 3, 29);
	b = tz_midnight(&tz, 2026, 3, 30);
	assert_int_equal(a, T_0329 - 3600);
	assert_int_equal(b - a, 23 * 3600);
	/* the day they go back has 25 */
	a = tz_midnight(&tz, 2026, 10, 25);
	b = tz_midnight(&tz, 2026, 10, 26);
	assert_int_equal(a, T_1025 - 7200);
	assert_int_equal(b - a, 25 * 3600);
	/* 23:30 UTC on the 28th is already the 29th in Amsterdam */
	tz_local(&tz, T_0329 - 1800, &y, &m, &d, &min);
	assert_int_equal(y * 10000 + m * 100 + d, 20260329);
	assert_int_equal(min, 30);
	/* the last second of the local day is still that day */
	tz_local(&tz, b - 1, &y, &m, &d, &min);
	assert_int_equal(d, 25);
	assert_int_equal(min, 23 * 60 + 59);
	tz_free(&tz);
}

static void test_west_of_utc(void **state)
{
	struct tz tz;
	char err[256];
	int y, m, d, min;

	(void)state;
	if (tz_load("America/New_York", &tz, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	/* 2026-01-15 03:00 UTC is the 14th, 22:00, in New York */
	tz_local(&tz, 1768446000LL, &y, &m, &d, &min);
	assert_int_equal(y * 10000 + m * 100 + d, 20260114);
	assert_int_equal(min, 22 * 60);
	assert_int_equal(tz_midnight(&tz, 2026, 1, 15), 1768453200LL);
	tz_free(&tz);
}

static void test_names_refused(void **state)
{
	struct tz tz;
	char err[256];

	(void)state;
	assert_int_equal(tz_load("/etc/passwd", &tz, err, sizeof(err)), -1);
	assert_int_equal(tz_load("../etc/passwd", &tz, err, sizeof(err)), -1);
	assert_int_equal(
	    tz_load("Europe/../../../etc/passwd", &tz, err, sizeof(err)), -1);
	assert_int_equal(tz_load("Nowhere/City", &tz, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "unknown time zone"));
	/* a file that is not TZif */
	assert_int_equal(tz_load("zone.tab", &tz, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a TZif"));
}

static void test_dates(void **state)
{
	int y, m, d;

	(void)state;
	assert_int_equal(tz_parse_date("2026-02-28", &y, &m, &d), 0);
	assert_int_equal(y * 10000 + m * 100 + d, 20260228);
	assert_int_equal(tz_parse_date("2026-02-29", &y, &m, &d), -1);
	assert_int_equal(tz_parse_date("2024-02-29", &y, &m, &d), 0);
	assert_int_equal(tz_parse_date("2026-13-01", &y, &m, &d), -1);
	assert_int_equal(tz_parse_date("2026-1-01", &y, &m, &d), -1);
	assert_int_equal(tz_parse_date("2026-01-01x", &y, &m, &d), -1);
	assert_int_equal(tz_parse_date("yesterday", &y, &m, &d), -1);
	y = 2026, m = 3, d = 1;
	tz_date_add(&y, &m, &d, -1);
	assert_int_equal(y * 10000 + m * 100 + d, 20260228);
	y = 2025, m = 12, d = 31;
	tz_date_add(&y, &m, &d, 1);
	assert_int_equal(y * 10000 + m * 100 + d, 20260101);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_utc),
	    cmocka_unit_test(test_amsterdam_dst),
	    cmocka_unit_test(test_west_of_utc),
	    cmocka_unit_test(test_names_refused),
	    cmocka_unit_test(test_dates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
