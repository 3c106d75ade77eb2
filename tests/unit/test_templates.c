/* SPDX-License-Identifier: BSD-2-Clause */
/* Every shipped template under conf/templates rendered with fixed data and
 * compared byte for byte with tests/data/templates/LANG/FILE.out: a change
 * to the template engine must not change what an admin's templates render.
 * MM_TEMPLATES_WRITE=1 rewrites the fixtures (after a deliberate change to
 * a shipped template). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "inject.h"
#include "page.h"
#include "scale.h"

static const char *srcdir(void)
{
	const char *top = getenv("top_srcdir");
	return top ? top : ".";
}

/* Compares b with the fixture, or writes it under MM_TEMPLATES_WRITE. */
static void check_fixture(const char *lang, const char *file,
			  const struct buf *b)
{
	char path[4096];
	const char *w = getenv("MM_TEMPLATES_WRITE");
	FILE *fp;
	struct buf want;
	char chunk[4096];
	size_t n;

	snprintf(path, sizeof(path), "%s/tests/data/templates/%s/%s.out",
		 srcdir(), lang, file);
	if (w && *w == '1') {
		fp = fopen(path, "wb");
		assert_non_null(fp);
		assert_int_equal(fwrite(b->data, 1, b->len, fp), b->len);
		assert_int_equal(fclose(fp), 0);
		return;
	}
	fp = fopen(path, "rb");
	if (!fp)
		fail_msg("%s: missing fixture", path);
	buf_init(&want);
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		buf_append(&want, chunk, n);
	fclose(fp);
	assert_false(want.failed);
	if (want.len != b->len || memcmp(want.data, b->data, b->len)) {
		buf_free(&want);
		fail_msg("%s: rendered output differs (%zu bytes rendered)",
			 path, b->len);
	}
	buf_free(&want);
}

/* A value for every page name, with everything that needs escaping. */
static const char *page_value(const char *name, int lang)
{
	static const struct {
		const char *name, *value;
	} v[] = {
	    {"base_path", "/mm<&>"},
	    {"team", "Desk \"A\" & <B>"},
	    {"ticket", "INC<1>&'2'"},
	    {"subject", "R\xc3\xa9: <b>printer</b> \"jammed\" & more"},
	    {"action", "/mm/r/TOK?a=1&b=2"},
	    {"csrf", "c\"s<r>f'"},
	    {"level", "3"},
	    {"label", "Good <ok> & \"fine\""},
	    {"emoji", "\xf0\x9f\x98\x80"},
	    {"level_class", "lv-thermometer-3"},
	    {"levels", "<li><a href=\"/r/T/1\">1 &amp; \"one\"</a></li>"},
	    {"comment_max", "1000"},
	    {"why", "because <\"it's\">\n& more"},
	    {"better", "faster & <kinder>"},
	};

	if (!strcmp(name, "lang"))
		return page_lang_name((enum page_lang)lang);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (!strcmp(v[i].name, name))
			return v[i].value;
	return "?";
}

static void test_pages(void **state)
{
	struct page_set *ps = NULL;
	char err[512], dir[4096];

	snprintf(dir, sizeof(dir), "%s/conf/templates", srcdir());
	if (page_set_load(dir, &ps, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	for (int l = 0; l < PAGE_NLANG; l++)
		for (int id = 0; id < PAGE_COUNT; id++) {
			struct tmpl_var vars[24];
			size_t n = 0;
			struct buf b;

			/* in page_names order, then once reversed: the
			 * order a caller passes them in does not matter */
			for (; page_names[id][n]; n++) {
				vars[n].name = page_names[id][n];
				vars[n].value =
				    page_value(page_names[id][n], l);
			}
			buf_init(&b);
			assert_int_equal(page_render(&b, ps, l,
						     (enum page_id)id, vars, n,
						     err, sizeof(err)),
					 0);
			check_fixture(page_lang_name((enum page_lang)l),
				      page_file((enum page_id)id), &b);
			for (size_t i = 0; i < n / 2; i++) {
				struct tmpl_var t = vars[i];
				vars[i] = vars[n - 1 - i];
				vars[n - 1 - i] = t;
			}
			buf_free(&b);
			buf_init(&b);
			assert_int_equal(page_render(&b, ps, l,
						     (enum page_id)id, vars, n,
						     err, sizeof(err)),
					 0);
			check_fixture(page_lang_name((enum page_lang)l),
				      page_file((enum page_id)id), &b);
			buf_free(&b);
		}
	page_set_free(ps);
}

static void test_blocks(void **state)
{
	static const char *const langs[2] = {"en", "nl"};
	struct inject_templates t;
	struct conf c;
	struct token_key k;
	char err[512], dir[4096];

	snprintf(dir, sizeof(dir), "%s/conf/templates", srcdir());
	if (inject_templates_load(dir, &t, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	memset(&c, 0, sizeof(c));
	c.general.base_url = "https://x.example/mm";
	c.listener.reply_address = "feedback@x.example";
	memset(&k, 0, sizeof(k));
	for (size_t i = 0; i < 32; i++)
		k.bytes[i] = (unsigned char)(i * 7 + 1);
	k.len = 32;
	for (int l = 0; l < 2; l++) {
		struct buf txt, html;

		buf_init(&txt);
		buf_init(&html);
		/* every scale, then the default ticket name */
		for (int s = 0; s <= SCALE_COUNT; s++) {
			struct inject_survey sv = {
			    1000 + s,
			    s < SCALE_COUNT ? "INC<7> & \"co\" 'x'" : NULL,
			    langs[l],
			    scale_get(s < SCALE_COUNT ? (enum scale_id)s
						      : SCALE_THERMOMETER)};

			buf_printf(&txt, "=== %s\n", sv.scale->name);
			buf_printf(&html, "=== %s\n", sv.scale->name);
			assert_int_equal(inject_render(&t, &c, &k, &sv, &txt,
						       &html, err, sizeof(err)),
					 0);
		}
		check_fixture(langs[l], "block.txt", &txt);
		check_fixture(langs[l], "block.html", &html);
		buf_free(&txt);
		buf_free(&html);
	}
	inject_templates_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pages),
	    cmocka_unit_test(test_blocks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
