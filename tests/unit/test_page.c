/* SPDX-License-Identifier: BSD-2-Clause */
/* Pages: languages, the form decoder of rate.c, the shipped templates
 * themselves and a broken one named at load (the template language has
 * test_tmpl.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "page.h"
#include "rate.h"

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
			const char *text = tmpl_text(ps->page[l][i], NULL);
			assert_null(strstr(text, "<script>"));
			assert_null(strstr(text, "style="));
			assert_null(strstr(text, "<style"));
			assert_null(strstr(text, "http://"));
			assert_null(strstr(text, "https://"));
		}
	assert_non_null(strstr(ps->file[PAGE_CSS], ".lv-thermometer-1{"));
	page_set_free(ps);
}

static void test_broken_template(void **state)
{
	char dir[] = "/tmp/mm-page-XXXXXX", path[256], err[512];
	struct page_set *ps = (struct page_set *)1;
	FILE *fp;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/en", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/en/landing.html", dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	/* an item of the rating block is no name of a page */
	fputs("<html lang=\"{{lang}}\">\n<p>{{team}} {{url}}</p>\n", fp);
	fclose(fp);
	assert_int_equal(page_set_load(dir, &ps, err, sizeof(err)), -1);
	assert_ptr_equal(ps, (struct page_set *)1);
	assert_non_null(
	    strstr(err, "/en/landing.html:2: unknown name {{url}}"));
	unlink(path);
	snprintf(path, sizeof(path), "%s/en", dir);
	rmdir(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_accept_language),
	    cmocka_unit_test(test_form),
	    cmocka_unit_test(test_shipped_templates),
	    cmocka_unit_test(test_broken_template),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
