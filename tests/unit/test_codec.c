/* SPDX-License-Identifier: BSD-2-Clause */
/* The util layer's one of each primitive: the UTF-8 decoder and what is
 * built on it (validation, cleaning, truncation), the base64 encoder in
 * its three uses (MIME body lines, header encoded-words, base64url
 * tokens), the HTML escaper, and the template variable look-up. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "codec.h"
#include "tmpl.h"
#include "token.h"

static void test_utf8_next(void **state)
{
	static const struct {
		const char *s;
		size_t len, want;
		uint32_t cp;
	} cases[] = {
	    {"A", 1, 1, 'A'},
	    {"\xc3\xa9", 2, 2, 0xe9},
	    {"\xe2\x82\xac", 3, 3, 0x20ac},
	    {"\xf0\x9f\x91\x8d", 4, 4, 0x1f44d},
	    {"\xf4\x8f\xbf\xbf", 4, 4, 0x10ffff},
	    {"\xe9", 1, 0, 0},		   /* Latin-1 byte */
	    {"\x80", 1, 0, 0},		   /* stray continuation */
	    {"\xc0\xaf", 2, 0, 0},	   /* overlong '/' */
	    {"\xe0\x80\xaf", 3, 0, 0},	   /* overlong, 3 bytes */
	    {"\xf0\x80\x80\xaf", 4, 0, 0}, /* overlong, 4 bytes */
	    {"\xed\xa0\x80", 3, 0, 0},	   /* surrogate U+D800 */
	    {"\xf4\x90\x80\x80", 4, 0, 0}, /* past U+10FFFF */
	    {"\xf5\x80\x80\x80", 4, 0, 0}, /* no such lead byte */
	    {"\xe2\x82\xac", 2, 0, 0},	   /* truncated by len */
	    {"\xe2\x82"
	     "A",
	     3, 0, 0}, /* continuation missing */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t cp = 0;
		size_t n = codec_utf8_next(cases[i].s, cases[i].len, &cp);
		assert_int_equal(n, cases[i].want);
		if (n)
			assert_int_equal(cp, cases[i].cp);
		assert_int_equal(codec_utf8_valid(cases[i].s, cases[i].len),
				 cases[i].want == cases[i].len);
	}
}

static void test_utf8_clean(void **state)
{
	struct buf b;
	const char in[] = "Tr\xe8s \xc3\xa9t\xe9\xe2\x82 ok \xf0\x9f\x91\x8d";

	(void)state;
	buf_init(&b);
	codec_utf8_clean(&b, in, sizeof(in) - 1);
	assert_false(b.failed);
	/* one U+FFFD per byte that starts no character, valid ones kept */
	assert_string_equal(
	    b.data,
	    "Tr" CODEC_REPLACEMENT
	    "s \xc3\xa9t" CODEC_REPLACEMENT CODEC_REPLACEMENT CODEC_REPLACEMENT
	    " ok \xf0\x9f\x91\x8d");
	assert_true(codec_utf8_valid(b.data, b.len));
	buf_reset(&b);
	codec_utf8_clean(&b, "plain", 5);
	assert_string_equal(b.data, "plain");
	buf_free(&b);
}

static void test_utf8_truncate(void **state)
{
	char s[] = "h\xc3\xa9llo w\xc3\xb6rld";
	const char cut[] = "a\xe2\x82\xac"
			   "b";

	(void)state;
	codec_utf8_truncate(s, 5);
	assert_string_equal(s, "h\xc3\xa9llo");
	codec_utf8_truncate(s, 100);
	assert_string_equal(s, "h\xc3\xa9llo");
	codec_utf8_truncate(s, 0);
	assert_string_equal(s, "");
	/* bytes: never ends inside the euro sign */
	assert_int_equal(codec_utf8_cut(cut, 5, 10), 5);
	assert_int_equal(codec_utf8_cut(cut, 5, 4), 4);
	assert_int_equal(codec_utf8_cut(cut, 5, 3), 1);
	assert_int_equal(codec_utf8_cut(cut, 5, 2), 1);
	assert_int_equal(codec_utf8_cut(cut, 5, 1), 1);
}

static void test_base64_raw(void **state)
{
	/* RFC 4648 section 10 */
	static const char *const want[] = {
	    "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
	static const char *const want_url[] = {
	    "", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
	char out[16];

	(void)state;
	for (size_t n = 0; n <= 6; n++) {
		assert_int_equal(codec_base64_raw(out, "foobar", n, 0),
				 strlen(want[n]));
		assert_string_equal(out, want[n]);
		assert_int_equal(codec_base64_raw(out, "foobar", n, 1),
				 strlen(want_url[n]));
		assert_string_equal(out, want_url[n]);
	}
	/* the two alphabets differ in the last two characters */
	codec_base64_raw(out, "\xfb\xff\xbf", 3, 0);
	assert_string_equal(out, "+/+/");
	codec_base64_raw(out, "\xfb\xff\xbf", 3, 1);
	assert_string_equal(out, "-_-_");
	assert_int_equal(
	    token_b64url_encode((const unsigned char *)"\xfb\xff\xbf", 3, out),
	    4);
	assert_string_equal(out, "-_-_");
}

/* MIME lines: 76 characters (57 bytes) and CRLF, the last one shorter. */
static void test_base64_lines(void **state)
{
	char in[120];
	struct buf b, d;
	const char *nl;

	(void)state;
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (char)(i * 7);
	buf_init(&b);
	codec_base64_encode(&b, in, sizeof(in));
	nl = strstr(b.data, "\r\n");
	assert_non_null(nl);
	assert_int_equal(nl - b.data, 76);
	nl = strstr(nl + 2, "\r\n");
	assert_int_equal(nl - b.data, 76 + 2 + 76);
	/* 120 = 57 + 57 + 6: the last line holds 8 characters */
	assert_int_equal(b.len, 76 + 2 + 76 + 2 + 8 + 2);
	buf_init(&d);
	codec_base64_decode(&d, b.data, b.len);
	assert_int_equal(d.len, sizeof(in));
	assert_memory_equal(d.data, in, sizeof(in));
	buf_reset(&b);
	codec_base64_encode(&b, in, 0);
	assert_int_equal(b.len, 0);
	buf_free(&b);
	buf_free(&d);
}

static void test_html_escape(void **state)
{
	struct buf b;
	const char in[] = "<a href=\"x\">Tom & 'Jerry'</a>\xc3\xa9";

	(void)state;
	buf_init(&b);
	buf_put_html(&b, in, sizeof(in) - 1);
	assert_string_equal(b.data, "&lt;a href=&quot;x&quot;&gt;Tom &amp; "
				    "&#39;Jerry&#39;&lt;/a&gt;\xc3\xa9");
	buf_reset(&b);
	/* only the first n bytes */
	buf_put_html(&b, "a<b", 2);
	assert_string_equal(b.data, "a&lt;");
	buf_free(&b);
}

static void test_tmpl_lookup(void **state)
{
	const struct tmpl_var v[] = {
	    {"name", "Ann"}, {"n", NULL}, {"nam", "x"}};

	(void)state;
	assert_string_equal(tmpl_lookup(v, 3, "name", 4), "Ann");
	assert_string_equal(tmpl_lookup(v, 3, "nam", 3), "x");
	assert_string_equal(tmpl_lookup(v, 3, "n", 1), ""); /* NULL value */
	/* the length counts: "nam" of "name}}" is not "name" */
	assert_string_equal(tmpl_lookup(v, 3, "name}}", 3), "x");
	assert_null(tmpl_lookup(v, 3, "other", 5));
	assert_null(tmpl_lookup(v, 0, "name", 4));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_utf8_next),
	    cmocka_unit_test(test_utf8_clean),
	    cmocka_unit_test(test_utf8_truncate),
	    cmocka_unit_test(test_base64_raw),
	    cmocka_unit_test(test_base64_lines),
	    cmocka_unit_test(test_html_escape),
	    cmocka_unit_test(test_tmpl_lookup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
