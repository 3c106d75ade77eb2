#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "token.h"

static struct token_key key_a, key_b;

static int setup(void **state)
{
	key_a.len = 32;
	key_b.len = 32;
	for (int i = 0; i < 32; i++) {
		key_a.bytes[i] = (unsigned char)i;
		key_b.bytes[i] = (unsigned char)(i + 1);
	}
	return 0;
}

static void test_round_trip(void **state)
{
	static const int64_t ids[] = {1,     42,	255,	  256,
				      65537, 1LL << 40, INT64_MAX};
	char tok[TOKEN_BUFSZ];
	int64_t id;

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		assert_int_equal(token_make(&key_a, ids[i], tok), 0);
		assert_int_equal(strlen(tok), TOKEN_LEN);
		for (const char *p = tok; *p; p++)
			assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZ"
					       "abcdefghijklmnopqrstuvwxyz"
					       "0123456789-_",
					       *p));
		assert_int_equal(token_verify(&key_a, tok, TOKEN_LEN, &id), 0);
		assert_int_equal(id, ids[i]);
	}
}

static void test_tamper_every_byte(void **state)
{
	char tok[TOKEN_BUFSZ], bad[TOKEN_BUFSZ];
	int64_t id;
	int accepted = 0;

	assert_int_equal(token_make(&key_a, 1234, tok), 0);
	for (int i = 0; i < TOKEN_LEN; i++) {
		for (const char *c = "AZaz09-_Q"; *c; c++) {
			memcpy(bad, tok, sizeof(bad));
			if (bad[i] == *c)
				continue;
			bad[i] = *c;
			if (token_verify(&key_a, bad, TOKEN_LEN, &id) == 0)
				accepted++;
		}
	}
	assert_int_equal(accepted, 0);
}

static void test_wrong_key(void **state)
{
	char tok[TOKEN_BUFSZ];
	int64_t id;

	assert_int_equal(token_make(&key_a, 7, tok), 0);
	assert_int_equal(token_verify(&key_b, tok, TOKEN_LEN, &id), -1);
}

static void test_truncated_and_junk(void **state)
{
	char tok[TOKEN_BUFSZ];
	int64_t id;

	assert_int_equal(token_make(&key_a, 7, tok), 0);
	for (size_t n = 0; n < TOKEN_LEN; n++)
		assert_int_equal(token_verify(&key_a, tok, n, &id), -1);
	assert_int_equal(
	    token_verify(&key_a, "../../etc/passwd'--;<x>", 23, &id), -1);
	assert_int_equal(
	    token_verify(&key_a, "AAAAAAAAAAAAAAAAAAAAAAAAAAA", TOKEN_LEN, &id),
	    -1);
}

static void test_csrf(void **state)
{
	char tok[TOKEN_BUFSZ], csrf[TOKEN_CSRF_LEN + 1], other[TOKEN_BUFSZ];

	assert_int_equal(token_make(&key_a, 99, tok), 0);
	assert_int_equal(token_make(&key_a, 100, other), 0);
	assert_int_equal(token_csrf(&key_a, tok, "rate", csrf), 0);
	assert_int_equal(strlen(csrf), TOKEN_CSRF_LEN);
	assert_int_equal(token_csrf_check(&key_a, tok, "rate", csrf), 0);
	assert_int_equal(token_csrf_check(&key_a, tok, "ack", csrf), -1);
	assert_int_equal(token_csrf_check(&key_a, other, "rate", csrf), -1);
	assert_int_equal(token_csrf_check(&key_b, tok, "rate", csrf), -1);
	assert_int_equal(token_csrf_check(&key_a, tok, "rate", ""), -1);
	assert_int_equal(token_csrf_check(&key_a, tok, "rate", NULL), -1);
	csrf[3] ^= 1;
	assert_int_equal(token_csrf_check(&key_a, tok, "rate", csrf), -1);
}

static void test_b64url(void **state)
{
	unsigned char out[16];
	char enc[32];
	size_t n;

	assert_int_equal(
	    token_b64url_encode((const unsigned char *)"\xfb\xff", 2, enc), 3);
	assert_string_equal(enc, "-_8");
	assert_int_equal(token_b64url_decode("-_8", 3, out, &n), 0);
	assert_int_equal(n, 2);
	assert_memory_equal(out, "\xfb\xff", 2);
	/* non-zero leftover bits: a second spelling of the same bytes */
	assert_int_equal(token_b64url_decode("-_9", 3, out, &n), -1);
	assert_int_equal(token_b64url_decode("a", 1, out, &n), -1);
	assert_int_equal(token_b64url_decode("ab+/", 4, out, &n), -1);
}

static void test_key_file_rules(void **state)
{
	char dir[] = "/tmp/mm-key-XXXXXX", path[128], err[256];
	struct token_key k;
	FILE *fp;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/secret.key", dir);
	assert_int_equal(token_key_generate(path, err, sizeof(err)), 0);
	assert_int_equal(token_key_load(path, &k, err, sizeof(err)), 0);
	assert_int_equal(k.len, 32);
	/* refuses to overwrite */
	assert_int_equal(token_key_generate(path, err, sizeof(err)), -1);
	/* group-readable */
	chmod(path, 0640);
	assert_int_equal(token_key_load(path, &k, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "group or other"));
	chmod(path, 0600);
	/* too short */
	fp = fopen(path, "w");
	fputs("short", fp);
	fclose(fp);
	assert_int_equal(token_key_load(path, &k, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "at least 32"));
	unlink(path);
	assert_int_equal(token_key_load(path, &k, err, sizeof(err)), -1);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_tamper_every_byte),
	    cmocka_unit_test(test_wrong_key),
	    cmocka_unit_test(test_truncated_and_junk),
	    cmocka_unit_test(test_csrf),
	    cmocka_unit_test(test_b64url),
	    cmocka_unit_test(test_key_file_rules),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
