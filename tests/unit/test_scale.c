/* SPDX-License-Identifier: BSD-2-Clause */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "scale.h"
#include "store.h"

static void test_names(void **state)
{
	const char *names[] = {"thermometer", "grade10", "nps", "csat5",
			       "binary"};
	for (int i = 0; i < 5; i++) {
		const struct scale *s = scale_by_name(names[i]);
		assert_non_null(s);
		assert_ptr_equal(s, scale_get(s->id));
		assert_int_equal(s->nlevels, s->max - s->min + 1);
		for (int v = s->min; v <= s->max; v++) {
			assert_int_equal(scale_level(s, v)->value, v);
			assert_true(strlen(scale_level(s, v)->color) == 7);
		}
		assert_null(scale_level(s, s->min - 1));
		assert_null(scale_level(s, s->max + 1));
		/* arrays by level (reports, metrics, hit summaries) */
		assert_true(s->min >= 0 && s->max <= STORE_MAX_LEVEL);
	}
	assert_null(scale_by_name("stars"));
	assert_null(scale_by_name(NULL));
}

static void test_parse_level(void **state)
{
	const struct scale *t = scale_get(SCALE_THERMOMETER);
	const struct scale *b = scale_get(SCALE_BINARY);
	const struct scale *n = scale_get(SCALE_NPS);
	int v;

	assert_int_equal(scale_parse_level(t, "red", &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(scale_parse_level(t, "GOLD", &v), 0);
	assert_int_equal(v, 4);
	assert_int_equal(scale_parse_level(t, "3", &v), 0);
	assert_int_equal(v, 3);
	assert_int_equal(scale_parse_level(t, "5", &v), -1);
	assert_int_equal(scale_parse_level(t, "purple", &v), -1);
	assert_int_equal(scale_parse_level(t, "", &v), -1);
	assert_int_equal(scale_parse_level(b, "good", &v), 0);
	assert_int_equal(v, 2);
	assert_int_equal(scale_parse_level(n, "0", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(scale_parse_level(n, "11", &v), -1);
	assert_int_equal(scale_parse_level(n, "3x", &v), -1);
}

static void test_thresholds(void **state)
{
	const struct scale *g = scale_get(SCALE_GRADE10);
	const struct scale *t = scale_get(SCALE_THERMOMETER);
	int v;

	assert_int_equal(scale_parse_threshold(g, "<=5", &v), 0);
	assert_int_equal(v, 5);
	assert_int_equal(scale_parse_threshold(g, "none", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(scale_parse_threshold(t, "amber", &v), 0);
	assert_int_equal(v, 2);
	assert_int_equal(scale_parse_threshold(t, "<=blue", &v), -1);
	assert_int_equal(t->alert_default, 1);
	assert_int_equal(g->alert_default, 5);
	assert_int_equal(scale_get(SCALE_NPS)->alert_default, 6);
	assert_int_equal(scale_get(SCALE_CSAT5)->alert_default, 2);
}

static void test_labels(void **state)
{
	const struct scale *t = scale_get(SCALE_THERMOMETER);

	assert_string_equal(scale_label(t, 1, "en"), "Poor");
	assert_string_equal(scale_label(t, 1, "nl"), "Slecht");
	assert_string_equal(scale_label(t, 4, "nl"), "Uitstekend");
	assert_string_equal(scale_label(t, 9, "en"), "?");
}

static void test_nps_and_csat(void **state)
{
	const struct scale *t = scale_get(SCALE_THERMOMETER);
	const struct scale *n = scale_get(SCALE_NPS);
	const struct scale *c = scale_get(SCALE_CSAT5);
	const struct scale *b = scale_get(SCALE_BINARY);

	assert_int_equal(scale_nps_category(t, 4), NPS_PROMOTER);
	assert_int_equal(scale_nps_category(t, 3), NPS_PASSIVE);
	assert_int_equal(scale_nps_category(t, 2), NPS_DETRACTOR);
	assert_int_equal(scale_nps_category(t, 1), NPS_DETRACTOR);
	assert_int_equal(scale_nps_category(n, 10), NPS_PROMOTER);
	assert_int_equal(scale_nps_category(n, 9), NPS_PROMOTER);
	assert_int_equal(scale_nps_category(n, 8), NPS_PASSIVE);
	assert_int_equal(scale_nps_category(n, 7), NPS_PASSIVE);
	assert_int_equal(scale_nps_category(n, 6), NPS_DETRACTOR);
	assert_int_equal(scale_nps_category(n, 0), NPS_DETRACTOR);
	assert_int_equal(scale_nps_category(c, 5), NPS_PROMOTER);
	assert_int_equal(scale_nps_category(c, 4), NPS_PASSIVE);
	assert_int_equal(scale_nps_category(b, 2), NPS_PROMOTER);
	assert_int_equal(scale_nps_category(b, 1), NPS_DETRACTOR);
	assert_true(scale_csat_satisfied(c, 4));
	assert_true(scale_csat_satisfied(c, 5));
	assert_false(scale_csat_satisfied(c, 3));
	assert_true(scale_csat_satisfied(t, 3));
	assert_false(scale_csat_satisfied(t, 2));
	assert_true(scale_csat_satisfied(b, 2));
	assert_false(scale_csat_satisfied(b, 1));
	assert_true(scale_is_warm(t, 3));
	assert_true(scale_is_warm(t, 4));
	assert_false(scale_is_warm(t, 2));
	assert_false(scale_is_warm(t, 1));
}

/* A grade out of ten on every scale: the bands of mailmood.conf(5). */
static void test_grade10_bands(void **state)
{
	static const int thermo[11] = {-1, 1, 1, 1, 1, 1, 2, 3, 3, 4, 4};
	static const int csat[11] = {-1, 1, 1, 2, 2, 2, 3, 4, 4, 5, 5};
	static const int binary[11] = {-1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2};
	const struct scale *t = scale_get(SCALE_THERMOMETER);
	const struct scale *c = scale_get(SCALE_CSAT5);
	const struct scale *b = scale_get(SCALE_BINARY);

	(void)state;
	for (int g = 1; g <= 10; g++) {
		assert_int_equal(scale_from_grade10(t, g), thermo[g]);
		assert_int_equal(scale_from_grade10(c, g), csat[g]);
		assert_int_equal(scale_from_grade10(b, g), binary[g]);
		assert_int_equal(
		    scale_from_grade10(scale_get(SCALE_GRADE10), g), g);
		assert_int_equal(scale_from_grade10(scale_get(SCALE_NPS), g),
				 g);
	}
	assert_int_equal(scale_from_grade10(t, 0), -1);
	assert_int_equal(scale_from_grade10(t, 11), -1);
	assert_int_equal(scale_from_grade10(NULL, 5), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_parse_level),
	    cmocka_unit_test(test_thresholds),
	    cmocka_unit_test(test_labels),
	    cmocka_unit_test(test_nps_and_csat),
	    cmocka_unit_test(test_grade10_bands),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
