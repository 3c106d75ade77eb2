/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests of the MIME splice: where the block goes, what changes in
 * which header, what must stay byte-identical, and every reason a mail
 * passes unchanged. The whole-corpus check with Python's parser is
 * t-splice-corpus.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "codec.h"
#include "mime.h"
#include "splice.h"

#define HDR "From: desk@example.com\r\nSubject: resolved\r\n"

static const char blk_text[] = "Rate: https://fb.example/r/T/1 é 😀\n";
static const char blk_html[] = "<a href=\"https://fb.example/r/T/1\">é 😀</a>";
static const struct splice_block blk = {blk_text, sizeof(blk_text) - 1,
					blk_html, sizeof(blk_html) - 1};
static const char ascii_text[] = "Rate: https://fb.example/r/T/1\n";
static const struct splice_block ascii_blk = {
    ascii_text, sizeof(ascii_text) - 1, "<a>x</a>", 8};

static int run(const char *msg, const struct splice_block *b,
	       struct splice_result *res)
{
	return splice_message(msg, strlen(msg), b, res);
}

static int contains(const char *hay, size_t len, const char *needle)
{
	return memmem(hay, len, needle, strlen(needle)) != NULL;
}

static size_t max_line(const char *s, size_t len)
{
	return codec_max_line(s, len);
}

static void test_html_point(void **state)
{
	size_t cut;
	const char *s;

	(void)state;
	s = "<html><body>x<!--mailmood-->y</body></html>";
	assert_int_equal(splice_html_point(s, strlen(s), &cut), 13);
	assert_int_equal(cut, 15);
	s = "<body>a</BODY >b</body>c</html>";
	assert_int_equal(splice_html_point(s, strlen(s), &cut), 16);
	assert_int_equal(cut, 0);
	/* in a comment, a script, a style: not the end */
	s = "<body>a</body><!-- </body> --><script>x='</body>'</script>"
	    "<style>/*</body>*/</style>";
	assert_int_equal(splice_html_point(s, strlen(s), &cut), 7);
	s = "<p>a</p><!-- </body> unterminated";
	assert_int_equal(splice_html_point(s, strlen(s), &cut), strlen(s));
	s = "<p>a</bodyx></p>";
	assert_int_equal(splice_html_point(s, strlen(s), &cut), strlen(s));
	s = "<scripts></body>";
	assert_int_equal(splice_html_point(s, strlen(s), &cut), 9);
}

static void test_text_point(void **state)
{
	size_t cut;
	const char *s = "Hello\r\n[mailmood]\r\nbye";

	(void)state;
	assert_int_equal(splice_text_point(s, strlen(s), &cut), 7);
	assert_int_equal(cut, 10);
	assert_int_equal(splice_text_point("abc", 3, &cut), 3);
	assert_int_equal(cut, 0);
}

static void test_codec_roundtrip(void **state)
{
	char data[3000];
	struct buf enc, dec;

	(void)state;
	/* Bare LFs would come back as CRLF (QP line ends are canonical),
	 * so the data has none. */
	for (size_t i = 0; i < sizeof(data); i++) {
		data[i] = (char)(i * 7 + (i >> 3));
		if (data[i] == '\n')
			data[i] = 'x';
	}
	memcpy(data + 100, "\r\n  \r\n.\r\nFrom x\r\n", 17);
	buf_init(&enc);
	buf_init(&dec);
	codec_qp_encode(&enc, data, sizeof(data));
	assert_true(max_line(enc.data, enc.len) <= 76);
	codec_qp_decode(&dec, enc.data, enc.len);
	assert_int_equal(dec.len, sizeof(data));
	assert_memory_equal(dec.data, data, sizeof(data));
	buf_reset(&enc);
	buf_reset(&dec);
	codec_base64_encode(&enc, data, sizeof(data));
	assert_true(max_line(enc.data, enc.len) <= 76);
	codec_base64_decode(&dec, enc.data, enc.len);
	assert_int_equal(dec.len, sizeof(data));
	assert_memory_equal(dec.data, data, sizeof(data));
	buf_free(&enc);
	buf_free(&dec);
}

static void test_codec_charsets(void **state)
{
	(void)state;
	assert_true(codec_charset_ascii_compatible("utf-8"));
	assert_true(codec_charset_ascii_compatible("ISO-8859-1"));
	assert_true(codec_charset_ascii_compatible("windows-1252"));
	assert_false(codec_charset_ascii_compatible("utf-16"));
	assert_false(codec_charset_ascii_compatible("ISO-2022-JP"));
	assert_true(codec_charset_known("koi8-r"));
	assert_false(codec_charset_known("x-foo"));
	assert_false(codec_charset_known("UTF-8//TRANSLIT"));
	assert_false(codec_charset_ok(""));
}

/* An ASCII block in an ASCII mail: the body is the old body, a blank
 * line and the block, with CRLF; no header changes. */
static void test_plain_ascii_append(void **state)
{
	const char *msg = HDR "\r\nHello\r\n";
	const char *want = "Hello\r\n\r\nRate: https://fb.example/r/T/1\r\n";
	struct splice_result res;

	(void)state;
	assert_int_equal(run(msg, &ascii_blk, &res), 0);
	assert_int_equal(res.status, SPLICE_CHANGED);
	assert_int_equal(res.body_len, strlen(want));
	assert_memory_equal(res.body, want, res.body_len);
	assert_null(res.content_type);
	assert_null(res.content_transfer_encoding);
	assert_int_equal(res.parts_text, 1);
	assert_int_equal(res.body_off, strlen(HDR) + 2);
	assert_int_equal(res.header_len, strlen(HDR));
	splice_result_free(&res);
	splice_result_free(&res); /* idempotent */
}

/* Non-ASCII block into us-ascii 7bit: UTF-8 and quoted-printable, both
 * through the top-level header values. */
static void test_plain_switch_top(void **state)
{
	const char *msg =
	    HDR "Content-Type: text/plain;\r\n\tcharset=\"us-ascii\""
		"; format=flowed\r\n\r\nHello [mailmood] bye\r\n";
	struct splice_result res;

	(void)state;
	assert_int_equal(run(msg, &blk, &res), 0);
	assert_int_equal(res.status, SPLICE_CHANGED);
	assert_string_equal(res.content_type,
			    "text/plain;\tcharset=utf-8; format=flowed");
	assert_string_equal(res.content_transfer_encoding, "quoted-printable");
	assert_true(contains(res.body, res.body_len,
			     "Hello Rate: https://fb.example/r/T/1 =C3=A9 "
			     "=F0=9F=98=80\r\n bye\r\n"));
	assert_false(contains(res.body, res.body_len, "[mailmood]"));
	splice_result_free(&res);

	/* no Content-Type at all: one is to be added */
	assert_int_equal(run(HDR "\r\nHi\r\n", &blk, &res), 0);
	assert_string_equal(res.content_type, "text/plain; charset=utf-8");
	splice_result_free(&res);
}

static const char mixed[] =
    HDR "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
	"preamble\r\n"
	"--b1\r\n"
	"Content-Type: multipart/alternative; boundary=b2\r\n\r\n"
	"--b2\r\n"
	"Content-Type: text/plain; charset=windows-1252\r\n"
	"Content-Transfer-Encoding: 8bit\r\n\r\n"
	"Caf\xe9 \x80\r\n"
	"--b2\r\n"
	"Content-Type: text/html; charset=windows-1252\r\n"
	"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
	"<html><body>Caf=E9</body></html>\r\n"
	"--b2--\r\n"
	"--b1\r\n"
	"Content-Type: application/octet-stream\r\n"
	"Content-Transfer-Encoding: base64\r\n\r\n"
	"AAECAwQF\r\n"
	"--b1\r\n"
	"Content-Type: text/plain\r\n"
	"Content-Disposition: attachment; filename=a.txt\r\n\r\n"
	"attached text\r\n"
	"--b1\r\n"
	"Content-Type: message/rfc822\r\n\r\n"
	"Subject: inner\r\n\r\ninner body stays\r\n"
	"--b1--\r\n"
	"epilogue\r\n";

/* Everything outside the two text parts is byte-identical; the plain
 * part switches to UTF-8 in its own header (the header is in the body);
 * the HTML part keeps windows-1252 with character references. */
static void test_mixed_identity(void **state)
{
	struct splice_result res;
	const char *body = mixed + strlen(HDR) +
			   strlen("Content-Type: multipart/mixed; "
				  "boundary=\"b1\"\r\n\r\n");
	const char *tail = strstr(mixed, "--b2--\r\n");
	const char *p;

	(void)state;
	assert_int_equal(run(mixed, &blk, &res), 0);
	assert_int_equal(res.status, SPLICE_CHANGED);
	assert_null(res.content_type);
	assert_int_equal(res.parts_text, 1);
	assert_int_equal(res.parts_html, 1);
	/* identical up to the charset value of the plain part */
	p = strstr(body, "windows-1252");
	assert_memory_equal(res.body, body, (size_t)(p - body));
	assert_true(contains(res.body, res.body_len,
			     "Content-Type: text/plain; charset=utf-8\r\n"
			     "Content-Transfer-Encoding: 8bit\r\n\r\n"
			     "Caf\xc3\xa9 \xe2\x82\xac\r\n\r\nRate: "));
	assert_true(
	    contains(res.body, res.body_len,
		     "Content-Type: text/html; charset=windows-1252\r\n"
		     "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
		     "<html><body>Caf=E9<a href=3D\"https://fb.example/"
		     "r/T/1\">=E9 &#x1F600;</a></b=\r\nody></html>\r\n"));
	/* the tail from the end of the alternative on: untouched */
	assert_true(res.body_len > strlen(tail));
	assert_memory_equal(res.body + res.body_len - strlen(tail), tail,
			    strlen(tail));
	splice_result_free(&res);
}

/* A part without any header gets the headers it needs, CRLF-ended, in
 * front of its blank line; a 7BIT CTE value is replaced in place. */
static void test_nested_header_insert(void **state)
{
	const char *msg =
	    HDR "Content-Type: multipart/mixed; boundary=u\r\n\r\n"
		"--u\r\n\r\nbare\r\n"
		"--u\r\nContent-Type: text/plain\r\n"
		"Content-Transfer-Encoding:  7BIT \r\n\r\nsecond\r\n"
		"--u--\r\n";
	struct splice_result res;

	(void)state;
	assert_int_equal(run(msg, &blk, &res), 0);
	assert_int_equal(res.parts_text, 2);
	assert_true(
	    contains(res.body, res.body_len,
		     "--u\r\nContent-Type: text/plain; charset=utf-8\r\n"
		     "Content-Transfer-Encoding: quoted-printable\r\n"
		     "\r\nbare\r\n"));
	assert_true(
	    contains(res.body, res.body_len,
		     "--u\r\nContent-Type: text/plain; charset=utf-8\r\n"
		     "Content-Transfer-Encoding:  quoted-printable \r\n"
		     "\r\nsecond\r\n"));
	assert_true(contains(res.body, res.body_len, "\r\n--u--\r\n"));
	splice_result_free(&res);
}

static void test_base64_and_long_lines(void **state)
{
	struct buf m, dec;
	struct splice_result res;
	const char *p;

	(void)state;
	buf_init(&m);
	buf_init(&dec);
	buf_puts(&m, HDR "Content-Type: text/plain; charset=utf-8\r\n"
			 "Content-Transfer-Encoding: base64\r\n\r\n"
			 "SGVsbG8K\r\n");
	assert_int_equal(run(m.data, &blk, &res), 0);
	assert_null(res.content_transfer_encoding);
	assert_true(max_line(res.body, res.body_len) <= 76);
	codec_base64_decode(&dec, res.body, res.body_len);
	/* the decoded text used LF, so the block does too */
	assert_true(contains(dec.data, dec.len,
			     "Hello\n\nRate: https://fb.example/r/T/1 é 😀\n"));
	splice_result_free(&res);

	buf_reset(&m);
	buf_puts(&m, HDR "Content-Type: text/plain; charset=utf-8\r\n"
			 "Content-Transfer-Encoding: 8bit\r\n\r\n");
	for (int i = 0; i < 400; i++)
		buf_puts(&m, "word ");
	buf_puts(&m, "\r\n");
	assert_int_equal(run(m.data, &ascii_blk, &res), 0);
	assert_string_equal(res.content_transfer_encoding, "quoted-printable");
	assert_true(max_line(res.body, res.body_len) <= 76);
	p = strstr(res.body, "Rate: https://fb.example/r/T/1");
	assert_non_null(p);
	splice_result_free(&res);
	buf_free(&m);
	buf_free(&dec);
}

static void test_lf_only(void **state)
{
	const char *msg =
	    "Subject: x\nContent-Type: multipart/alternative;"
	    " boundary=\"lf\"\n\n--lf\nContent-Type: text/plain\n\n"
	    "plain\n--lf\nContent-Type: text/html\n\n"
	    "<body>h</body>\n--lf--\n";
	struct splice_result res;

	(void)state;
	assert_int_equal(run(msg, &ascii_blk, &res), 0);
	assert_int_equal(res.parts_text, 1);
	assert_int_equal(res.parts_html, 1);
	assert_true(contains(res.body, res.body_len,
			     "plain\r\n\r\nRate: https://fb.example/r/T/1\r\n"
			     "\n--lf\n"));
	assert_true(contains(res.body, res.body_len,
			     "<body>h<a>x</a></body>\n--lf--\n"));
	splice_result_free(&res);
}

static void test_utf16_part(void **state)
{
	/* "Hi\n" in UTF-16 with BOM, base64 */
	const char *msg = HDR "Content-Type: text/plain; charset=utf-16\r\n"
			      "Content-Transfer-Encoding: base64\r\n\r\n"
			      "//5IAGkACgA=\r\n";
	struct splice_result res;
	struct buf dec;

	(void)state;
	buf_init(&dec);
	assert_int_equal(run(msg, &ascii_blk, &res), 0);
	assert_string_equal(res.content_type, "text/plain; charset=utf-8");
	codec_base64_decode(&dec, res.body, res.body_len);
	assert_true(contains(dec.data, dec.len, "Hi\n\nRate: "));
	splice_result_free(&res);
	buf_free(&dec);
}

static void expect_unchanged(const char *msg, const char *reason)
{
	struct splice_result res;

	assert_int_equal(run(msg, &blk, &res), 0);
	assert_int_equal(res.status, SPLICE_UNCHANGED);
	assert_string_equal(res.reason, reason);
	assert_null(res.body);
	assert_null(res.content_type);
	splice_result_free(&res);
}

static void test_unchanged(void **state)
{
	(void)state;
	expect_unchanged(HDR
			 "Content-Type: multipart/signed; boundary=s\r\n\r\n"
			 "--s\r\n\r\nx\r\n--s--\r\n",
			 "multipart/signed");
	expect_unchanged(HDR
			 "Content-Type: multipart/mixed; boundary=o\r\n\r\n"
			 "--o\r\nContent-Type: multipart/encrypted; "
			 "boundary=e\r\n\r\n--e\r\n\r\nx\r\n--e--\r\n--o--\r\n",
			 "multipart/encrypted");
	expect_unchanged(HDR
			 "Content-Type: application/x-pkcs7-mime\r\n\r\nAA\r\n",
			 "application/pkcs7-mime");
	expect_unchanged(HDR "Content-Type: multipart/mixed; boundary=t\r\n\r\n"
			     "--t\r\n\r\ntext\r\n--t\r\nContent-Type: "
			     "application/ms-tnef\r\n\r\nx\r\n--t--\r\n",
			 "TNEF");
	expect_unchanged("DKIM-Signature: v=1\r\n" HDR "\r\nx\r\n",
			 "DKIM-Signature");
	expect_unchanged(HDR "\r\n-----BEGIN PGP SIGNED MESSAGE-----\r\n",
			 "inline PGP");
	expect_unchanged(HDR
			 "Content-Type: multipart/mixed; boundary=\"\\\"\"\r\n"
			 "\r\n--\"\r\n\r\nx\r\n--\"--\r\n",
			 "malformed: bad boundary");
	expect_unchanged(HDR "Content-Type: multipart/mixed; boundary=\"\"\r\n"
			     "\r\n--\r\n\r\nx\r\n----\r\n",
			 "malformed: bad boundary");
	expect_unchanged(HDR "Content-Type: multipart/mixed\r\n\r\nx\r\n",
			 "malformed: missing boundary");
	expect_unchanged(HDR "Content-Type: multipart/mixed; boundary=a\r\n\r\n"
			     "--a\r\n\r\nx\r\n",
			 "malformed: unterminated multipart");
	expect_unchanged(HDR "Content-Type: multipart/mixed; boundary=a\r\n\r\n"
			     "x\r\n",
			 "malformed: boundary not found");
	expect_unchanged(HDR "Content-Type: multipart/mixed; boundary=a\r\n\r\n"
			     "--a\r\n\r\nx\r--a\r\n\r\ny\r\n--a--\r\n",
			 "malformed: bare CR at a boundary");
	expect_unchanged(HDR
			 "Content-Type: text/plain; charset=x-foo\r\n\r\nx\r\n",
			 "unknown charset x-foo");
	expect_unchanged(HDR
			 "Content-Type: text/plain; charset=\"utf-8//IGNORE\""
			 "\r\n\r\nx\r\n",
			 "unknown charset utf-8//IGNORE");
	expect_unchanged(HDR "Content-Type: image/png\r\n\r\nx\r\n",
			 "no text part");
	expect_unchanged(HDR "Content-Type: message/rfc822\r\n\r\n"
			     "Subject: x\r\n\r\ninner\r\n",
			 "no text part");
	expect_unchanged(HDR
			 "Content-Type: text/plain\r\nContent-Type: text/html"
			 "\r\n\r\nx\r\n",
			 "malformed: duplicate Content-Type");
	expect_unchanged("not a header line\r\n\r\nx\r\n",
			 "malformed: bad header line");
	expect_unchanged(HDR
			 "Content-Type: text/plain; charset=us-ascii\r\n"
			 "Content-Transfer-Encoding: 8bit\r\n\r\n\xff\xfe\r\n",
			 "undecodable text in charset us-ascii");
}

static void test_depth_and_count_limits(void **state)
{
	struct buf m;
	struct splice_result res;
	int i;

	(void)state;
	buf_init(&m);
	buf_puts(&m, HDR "Content-Type: multipart/mixed; boundary=d0\r\n\r\n");
	for (i = 1; i <= SPLICE_MAX_DEPTH + 1; i++)
		buf_printf(&m,
			   "--d%d\r\nContent-Type: multipart/mixed; "
			   "boundary=d%d\r\n\r\n",
			   i - 1, i);
	buf_printf(&m, "--d%d\r\n\r\ndeep\r\n", i - 1);
	for (i = SPLICE_MAX_DEPTH + 1; i >= 0; i--)
		buf_printf(&m, "--d%d--\r\n", i);
	assert_int_equal(run(m.data, &blk, &res), 0);
	assert_string_equal(res.reason, "malformed: nesting deeper than 20");
	splice_result_free(&res);

	buf_reset(&m);
	buf_puts(&m, HDR "Content-Type: multipart/mixed; boundary=c\r\n\r\n");
	for (i = 0; i < SPLICE_MAX_PARTS + 1; i++)
		buf_puts(&m, "--c\r\nContent-Type: image/gif\r\n\r\nx\r\n");
	buf_puts(&m, "--c--\r\n");
	assert_int_equal(run(m.data, &blk, &res), 0);
	assert_string_equal(res.reason, "too many parts");
	splice_result_free(&res);
	buf_free(&m);
}

/* Hostile inputs that must end quickly and cleanly. */
static void test_hostile(void **state)
{
	struct buf m;
	struct splice_result res;

	(void)state;
	buf_init(&m);
	buf_puts(&m,
		 HDR "Content-Type: multipart/mixed; boundary=\"-\"\r\n\r\n");
	for (int i = 0; i < 200000; i++)
		buf_puts(&m, "---- ");
	assert_int_equal(run(m.data, &blk, &res), 0);
	assert_int_equal(res.status, SPLICE_UNCHANGED);
	splice_result_free(&res);
	assert_int_equal(splice_message("", 0, &blk, &res), 0);
	assert_int_equal(res.status, SPLICE_UNCHANGED);
	splice_result_free(&res);
	assert_int_equal(run(HDR
			     "Content-Type: text/plain; charset=(c\r\n\r\nx",
			     &blk, &res),
			 0);
	splice_result_free(&res);
	buf_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_html_point),
	    cmocka_unit_test(test_text_point),
	    cmocka_unit_test(test_codec_roundtrip),
	    cmocka_unit_test(test_codec_charsets),
	    cmocka_unit_test(test_plain_ascii_append),
	    cmocka_unit_test(test_plain_switch_top),
	    cmocka_unit_test(test_mixed_identity),
	    cmocka_unit_test(test_nested_header_insert),
	    cmocka_unit_test(test_base64_and_long_lines),
	    cmocka_unit_test(test_lf_only),
	    cmocka_unit_test(test_utf16_part),
	    cmocka_unit_test(test_unchanged),
	    cmocka_unit_test(test_depth_and_count_limits),
	    cmocka_unit_test(test_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
