/* SPDX-License-Identifier: BSD-2-Clause */
/* The template language (tmpl.h): escaping, raw fragments, sections,
 * missing values, and syntax errors reported at compile time with the file
 * and line. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "tmpl.h"

/* Compiles tpl (HTML) with no name list and runs it once; *rc is the
 * first failure's result. */
static char *render(const char *tpl, const struct tmpl_var *v, size_t n,
		    int *rc)
{
	const struct tmpl_ctx ctx = {v, n, NULL, NULL, 0, 0};
	struct tmpl *t;
	struct buf b;
	char err[128];

	buf_init(&b);
	*rc = tmpl_compile(tpl, strlen(tpl), 1, NULL, "t.html", &t, err,
			   sizeof(err));
	if (*rc == 0) {
		*rc = tmpl_run(t, &ctx, &b, err, sizeof(err));
		tmpl_free(t);
	}
	return buf_steal(&b, NULL);
}

/* The error of compiling tpl with names, as "t.html:LINE: ...". */
static int compile_error(const char *tpl, int html,
			 const struct tmpl_names *names, char *err,
			 size_t errlen)
{
	struct tmpl *t = (struct tmpl *)1;
	int rc = tmpl_compile(tpl, strlen(tpl), html, names, "t.html", &t, err,
			      errlen);

	if (rc == 0)
		tmpl_free(t);
	else
		assert_null(t);
	return rc;
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

static void test_text_not_escaped(void **state)
{
	const struct tmpl_var v[] = {{"a", "<&>"}};
	const struct tmpl_ctx ctx = {v, 1, NULL, NULL, 0, 0};
	struct buf b;
	char err[128];

	buf_init(&b);
	assert_int_equal(
	    tmpl_render(&b, "{{a}}|{{{a}}}", 13, 0, &ctx, err, sizeof(err)), 0);
	assert_string_equal(b.data, "<&>|<&>");
	buf_free(&b);
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

static void test_missing_value(void **state)
{
	const struct tmpl_var v[] = {{"a", "1"}};
	const struct tmpl_var none[] = {{"b", "1"}};
	const char *const names[] = {"a", NULL};
	const struct tmpl_names nm = {names, NULL, NULL};
	const struct tmpl_ctx ctx = {none, 1, NULL, NULL, 0, 0};
	struct tmpl *t;
	struct buf b;
	char err[128];
	int rc;

	free(render("x{{nope}}y", v, 1, &rc));
	assert_int_equal(rc, -1);
	/* a listed name the caller then does not pass: an error when run */
	assert_int_equal(
	    tmpl_compile("[{{a}}]", 7, 1, &nm, "t.html", &t, err, sizeof(err)),
	    0);
	buf_init(&b);
	assert_int_equal(tmpl_run(t, &ctx, &b, err, sizeof(err)), -1);
	assert_string_equal(err, "unknown name {{a}}");
	buf_free(&b);
	tmpl_free(t);
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

static void test_single_braces(void **state)
{
	const struct tmpl_var v[] = {{"a", "1"}};
	int rc;
	char *out = render("{{a}} {single} }} x}", v, 1, &rc);

	assert_int_equal(rc, 0);
	assert_string_equal(out, "1 {single} }} x}");
	free(out);
}

static void test_section(void **state)
{
	const struct tmpl_var vars[] = {{"t", "<T>"}, {"u", "top"}};
	/* the item's value wins over the template's of the same name */
	const struct tmpl_var items[] = {{"u", "a&"}, {"u", "b"}, {"u", "c"}};
	const char *const names[] = {"t", "u", NULL};
	const char *const inames[] = {"u", NULL};
	const struct tmpl_names nm = {names, "rows", inames};
	const char *tpl = "{{t}}:{{#rows}}[{{u}},{{t}}]{{/rows}}.{{u}}";
	struct tmpl_ctx ctx = {vars, 2, NULL, items, 3, 1};
	struct tmpl *t;
	struct buf b;
	char err[128];

	assert_int_equal(tmpl_compile(tpl, strlen(tpl), 1, &nm, "t.html", &t,
				      err, sizeof(err)),
			 0);
	buf_init(&b);
	for (int i = 0; i < 3; i++) { /* compiled once, run many times */
		buf_reset(&b);
		assert_int_equal(tmpl_run(t, &ctx, &b, err, sizeof(err)), 0);
		assert_string_equal(b.data, "&lt;T&gt;:[a&amp;,&lt;T&gt;][b,"
					    "&lt;T&gt;][c,&lt;T&gt;].top");
	}
	ctx.nitems = 0;
	buf_reset(&b);
	assert_int_equal(tmpl_run(t, &ctx, &b, err, sizeof(err)), 0);
	assert_string_equal(b.data, "&lt;T&gt;:.top");
	buf_free(&b);
	tmpl_free(t);
}

static void test_many_names(void **state)
{
	/* more distinct names than the renderer keeps on its stack */
	struct tmpl_var v[40];
	char names[40][8];
	struct buf tpl, want, out;
	struct tmpl_ctx ctx = {NULL, 40, NULL, NULL, 0, 0};
	char err[128];

	buf_init(&tpl);
	buf_init(&want);
	buf_init(&out);
	for (int i = 0; i < 40; i++) {
		snprintf(names[i], sizeof(names[i]), "n%d", i);
		v[39 - i] = (struct tmpl_var){names[i], names[i]};
		buf_printf(&tpl, "{{n%d}},", i);
		buf_printf(&want, "n%d,", i);
	}
	ctx.vars = v;
	assert_int_equal(
	    tmpl_render(&out, tpl.data, tpl.len, 1, &ctx, err, sizeof(err)), 0);
	assert_string_equal(out.data, want.data);
	buf_free(&tpl);
	buf_free(&want);
	buf_free(&out);
}

static void test_syntax_errors(void **state)
{
	const char *const names[] = {"a", "b", NULL};
	const char *const inames[] = {"u", NULL};
	const struct tmpl_names nm = {names, "rows", inames};
	char err[256];

	assert_int_equal(compile_error("x\ny {{a", 1, &nm, err, sizeof(err)),
			 -1);
	assert_string_equal(err, "t.html:2: unclosed {{");
	assert_int_equal(compile_error("\n\n{{{a}}", 1, &nm, err, sizeof(err)),
			 -1);
	assert_string_equal(err, "t.html:3: unclosed {{{");
	assert_int_equal(
	    compile_error("{{a}}\n{{nope}}", 1, &nm, err, sizeof(err)), -1);
	assert_string_equal(err, "t.html:2: unknown name {{nope}}");
	/* an item's name outside its section */
	assert_int_equal(compile_error("{{u}}", 1, &nm, err, sizeof(err)), -1);
	assert_string_equal(err, "t.html:1: unknown name {{u}}");
	assert_int_equal(
	    compile_error("{{#levels}}{{/levels}}", 1, &nm, err, sizeof(err)),
	    -1);
	assert_string_equal(err, "t.html:1: unknown section {{#levels}}");
	assert_int_equal(
	    compile_error("a\n{{#rows}}{{u}}", 1, &nm, err, sizeof(err)), -1);
	assert_string_equal(err, "t.html:2: missing {{/rows}}");
	assert_int_equal(compile_error("{{/rows}}", 1, &nm, err, sizeof(err)),
			 -1);
	assert_string_equal(err, "t.html:1: {{/rows}} without its section");
	assert_int_equal(compile_error("{{#rows}}{{#rows}}{{/rows}}{{/rows}}",
				       1, &nm, err, sizeof(err)),
			 -1);
	assert_string_equal(err,
			    "t.html:1: section {{#rows}} inside a section");
	/* no section declared: {{#x}} is an error even without a name list */
	assert_int_equal(
	    compile_error("{{#rows}}{{/rows}}", 0, NULL, err, sizeof(err)), -1);
	assert_string_equal(err, "t.html:1: unknown section {{#rows}}");
	/* a long name is cut in the message */
	assert_int_equal(
	    compile_error("{{aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
			  "aaaaaaaaaa}}",
			  1, &nm, err, sizeof(err)),
	    -1);
	assert_string_equal(err,
			    "t.html:1: unknown name "
			    "{{aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa}}");
	assert_int_equal(compile_error("{{a}} {{#rows}}{{u}}{{b}}{{/rows}}", 1,
				       &nm, err, sizeof(err)),
			 0);
}

static void test_load(void **state)
{
	const char *const names[] = {"a", NULL};
	const struct tmpl_names nm = {names, NULL, NULL};
	char dir[] = "/tmp/mm-tmpl-XXXXXX", path[256], err[512];
	const struct tmpl_var v[] = {{"a", "<1>"}};
	const struct tmpl_ctx ctx = {v, 1, NULL, NULL, 0, 0};
	struct tmpl *t;
	struct buf b;
	size_t len;
	FILE *fp;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/page.html", dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("<p>\n{{a}}\n{{ a }}</p>\n", fp);
	fclose(fp);
	assert_int_equal(tmpl_load(path, 1, &nm, &t, err, sizeof(err)), -1);
	assert_null(t);
	assert_non_null(strstr(err, "/page.html:3: unknown name {{ a }}"));
	assert_int_equal(strncmp(err, dir, strlen(dir)), 0);

	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("<p>{{a}}</p>\n", fp);
	fclose(fp);
	assert_int_equal(tmpl_load(path, 1, &nm, &t, err, sizeof(err)), 0);
	assert_string_equal(tmpl_text(t, &len), "<p>{{a}}</p>\n");
	assert_int_equal(len, 13);
	buf_init(&b);
	assert_int_equal(tmpl_run(t, &ctx, &b, err, sizeof(err)), 0);
	assert_string_equal(b.data, "<p>&lt;1&gt;</p>\n");
	buf_free(&b);
	tmpl_free(t);
	unlink(path);
	rmdir(dir);

	assert_int_equal(tmpl_load(path, 1, &nm, &t, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/page.html: No such file"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_escape),
	    cmocka_unit_test(test_attribute_breakout),
	    cmocka_unit_test(test_raw),
	    cmocka_unit_test(test_text_not_escaped),
	    cmocka_unit_test(test_values_not_reexpanded),
	    cmocka_unit_test(test_missing_value),
	    cmocka_unit_test(test_null_value),
	    cmocka_unit_test(test_single_braces),
	    cmocka_unit_test(test_section),
	    cmocka_unit_test(test_many_names),
	    cmocka_unit_test(test_syntax_errors),
	    cmocka_unit_test(test_load),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
