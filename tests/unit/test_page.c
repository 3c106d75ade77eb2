/* SPDX-License-Identifier: BSD-2-Clause */
/* Page templates: escaping, raw fragments, unknown names, languages, the
 * form decoder of rate.c and the shipped templates themselves. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "page.h"
#include "rate.h"

static char *render(const char *tpl, const struct tmpl_var *v, size_t n,
		    int *rc)
{
	struct buf b;
	char err[128];

	buf_init(&b);
	*rc = page_render(&b, tpl, strlen(tpl), v, n, err, sizeof(err));
	return buf_steal(&b, NULL);
}

static void test_escape(void **state)
{
	const struct tmpl_var v[] = {
	    {"c", "<script>alert('x')</script> & \"q\""}};
	int rc;
	char *out = render("<p>{{c}}</p>", v, 1, &rc);

	assert_int_equal(rc, 0);
	assert_string_equal(out, "<p>&lt;script&gt;alert(&#39;x&#39;)&lt;/"
				 "script&gt; &amp; &quot;q&quot;</p>");
	free(out);
}

static void test_attribute_breakout(void **state)
{
	const struct tmpl_var v[] = {{"t", "\" onmouseover=\"x"}};
	int rc;
	char *out = render("<a title=\"{{t}}\">", v, 1, &rc);

	assert_int_equal(rc, 0);
	assert_null(strstr(out, "\" onmouseover"));
	free(out);
}

static void test_raw(void **state)
{
	const struct tmpl_var v[] = {{"frag", "<b>x</b>"}, {"n", "<i>"}};
	int rc;
	char *out = render("{{{frag}}}|{{n}}", v, 2, &rc);

	assert_int_equal(rc, 0);
	assert_string_equal(out, "<b>x</b>|&lt;i&gt;");
	free(out);
}

static void test_values_not_reexpanded(void **state)
{
	/* a comment containing template syntax stays text */
	const struct tmpl_var v[] = {{"a", "{{b}}"}, {"b", "secret"}};
	int rc;
	char *out = render("{{a}}", v, 2, &rc);

	assert_int_equal(rc, 0);
	assert_string_equal(out, "{{b}}");
	free(out);
}

static void test_errors(void **state)
{
	const struct tmpl_var v[] = {{"a", "1"}};
	int rc;

	free(render("{{nope}}", v, 1, &rc));
	assert_int_equal(rc, -1);
	free(render("x {{a", v, 1, &rc));
	assert_int_equal(rc, -1);
	free(render("x {{{a}}", v, 1, &rc));
	assert_int_equal(rc, -1);
	free(render("{{a}} {single}", v, 1, &rc));
	assert_int_equal(rc, 0);
}

static void test_null_value(void **state)
{
	const struct tmpl_var v[] = {{"a", NULL}};
	int rc;
	char *out = render("[{{a}}]", v, 1, &rc);

	assert_int_equal(rc, 0);
	assert_string_equal(out, "[]");
	free(out);
}

static void test_accept_language(void **state)
{
	assert_int_equal(page_lang_accept("nl-NL,nl;q=0.9,en;q=0.8"), PAGE_NL);
	assert_int_equal(page_lang_accept("en-GB, nl;q=0.5"), PAGE_EN);
	assert_int_equal(page_lang_accept("de-DE, nl;q=0.3, en;q=0.7"),
			 PAGE_EN);
	assert_int_equal(page_lang_accept("fr, de"), -1);
	assert_int_equal(page_lang_accept("nl;q=0"), -1);
	assert_int_equal(page_lang_accept(NULL), -1);
	assert_int_equal(page_lang_id("NL-be"), PAGE_NL);
	assert_int_equal(page_lang_id("nld"), -1);
}

static void test_form(void **state)
{
	const char *body = "csrf=abc&why=a+b%26c%3D%3C&empty=&level=red&x";
	struct buf b;

	buf_init(&b);
	assert_int_equal(rate_form_get(body, strlen(body), "why", &b), 1);
	assert_string_equal(b.data, "a b&c=<");
	assert_int_equal(rate_form_get(body, strlen(body), "level", &b), 1);
	assert_string_equal(b.data, "red");
	assert_int_equal(rate_form_get(body, strlen(body), "empty", &b), 1);
	assert_string_equal(b.data, "");
	assert_int_equal(rate_form_get(body, strlen(body), "better", &b), 0);
	assert_int_equal(rate_form_get("why=%00", 7, "why", &b), -1);
	assert_int_equal(rate_form_get("why=%4", 6, "why", &b), -1);
	assert_int_equal(rate_form_get("why=%zz", 7, "why", &b), -1);
	buf_free(&b);
}

static void test_shipped_templates(void **state)
{
	struct page_set *ps = NULL;
	char err[512], dir[4096];
	const char *top = getenv("top_srcdir");

	snprintf(dir, sizeof(dir), "%s/conf/templates", top ? top : ".");
	if (page_set_load(dir, &ps, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	/* no inline script or style: the CSP forbids both */
	for (int l = 0; l < PAGE_NLANG; l++)
		for (int i = 0; i < PAGE_COUNT; i++) {
			assert_null(strstr(ps->text[l][i], "<script>"));
			assert_null(strstr(ps->text[l][i], "style="));
			assert_null(strstr(ps->text[l][i], "<style"));
			assert_null(strstr(ps->text[l][i], "http://"));
			assert_null(strstr(ps->text[l][i], "https://"));
		}
	assert_non_null(strstr(ps->file[PAGE_CSS], ".lv-thermometer-1{"));
	page_set_free(ps);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_escape),
	    cmocka_unit_test(test_attribute_breakout),
	    cmocka_unit_test(test_raw),
	    cmocka_unit_test(test_values_not_reexpanded),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_null_value),
	    cmocka_unit_test(test_accept_language),
	    cmocka_unit_test(test_form),
	    cmocka_unit_test(test_shipped_templates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
