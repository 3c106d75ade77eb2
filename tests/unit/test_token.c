/* SPDX-License-Identifier: BSD-2-Clause */
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

/* Made by the code before the id was encrypted (27 characters), with
 * key_a: links already mailed must keep working. */
static const struct {
	const char *tok;
	int64_t id;
} v1_survey[] = {
    {"AAAAAAAAAAGnOUPl-fFQmr09QTs", 1},
    {"AAAAAAAAAALNOWQo-XFTUSm_dUw", 2},
    {"AAAAAAAAAAMENhyTeCWal-_MVCQ", 3},
    {"AAAAAAdbzRUJZggOgjb-baRbVwg", 123456789},
};
static const char v1_ack7[] = "AAAAAAAAAAf0eSGYQi-OtEjRKts";

static void test_old_tokens_verify(void **state)
{
	int64_t id;

	for (size_t i = 0; i < sizeof(v1_survey) / sizeof(v1_survey[0]); i++) {
		id = 0;
		assert_int_equal(
		    token_verify(&key_a, v1_survey[i].tok, TOKEN_LEN_V1, &id),
		    0);
		assert_int_equal(id, v1_survey[i].id);
		assert_int_equal(
		    token_verify(&key_b, v1_survey[i].tok, TOKEN_LEN_V1, &id),
		    -1);
		/* a survey token is no ack token */
		assert_int_equal(token_verify_ack(&key_a, v1_survey[i].tok,
						  TOKEN_LEN_V1, &id),
				 -1);
	}
	assert_int_equal(token_verify_ack(&key_a, v1_ack7, TOKEN_LEN_V1, &id),
			 0);
	assert_int_equal(id, 7);
	assert_int_equal(token_verify(&key_a, v1_ack7, TOKEN_LEN_V1, &id), -1);
}

static void test_new_tokens_hide_the_id(void **state)
{
	char t1[TOKEN_BUFSZ], t2[TOKEN_BUFSZ], a1[TOKEN_BUFSZ];
	int64_t id;

	assert_int_equal(token_make(&key_a, 1, t1), 0);
	assert_int_equal(token_make(&key_a, 2, t2), 0);
	assert_int_equal(token_make_ack(&key_a, 1, a1), 0);
	/* sequential ids, nothing in common from the first character on */
	assert_true(t1[0] != t2[0]);
	assert_true(t1[0] != a1[0]);
	assert_int_equal(strncmp(t1, "AAAAAAAAAA", 10) == 0, 0);
	/* short enough for a local part (feedback+TOKEN@, RFC 5321: 64) */
	assert_true(strlen("feedback+") + strlen(t1) <= 64);
	assert_int_equal(token_verify(&key_a, t1, strlen(t1), &id), 0);
	assert_int_equal(id, 1);
	assert_int_equal(token_verify_ack(&key_a, a1, strlen(a1), &id), 0);
	assert_int_equal(id, 1);
	assert_int_equal(token_verify_ack(&key_a, t1, strlen(t1), &id), -1);
	assert_int_equal(token_verify(&key_a, a1, strlen(a1), &id), -1);
}

static void test_rotation(void **state)
{
	struct token_key both, a_only;
	char ta[TOKEN_BUFSZ], tb[TOKEN_BUFSZ], tboth[TOKEN_BUFSZ];
	char csrf[TOKEN_CSRF_LEN + 1];
	int64_t id;

	/* key_b new in front, key_a still listed */
	memset(&both, 0, sizeof(both));
	memcpy(both.bytes, key_b.bytes, key_b.len);
	both.len = key_b.len;
	memcpy(both.old[0].bytes, key_a.bytes, key_a.len);
	both.old[0].len = key_a.len;
	both.nold = 1;
	assert_int_equal(token_make(&key_a, 41, ta), 0);
	assert_int_equal(token_make(&key_b, 42, tb), 0);
	assert_int_equal(token_make(&both, 43, tboth), 0);
	assert_true(token_key_id(&key_a) != token_key_id(&key_b));
	assert_int_equal(token_verify(&both, ta, TOKEN_LEN, &id), 0);
	assert_int_equal(id, 41);
	assert_int_equal(token_verify(&both, tb, TOKEN_LEN, &id), 0);
	assert_int_equal(id, 42);
	/* the first key signs */
	assert_int_equal(token_verify(&key_b, tboth, TOKEN_LEN, &id), 0);
	assert_int_equal(id, 43);
	assert_int_equal(token_verify(&key_a, tboth, TOKEN_LEN, &id), -1);
	/* an old-form link of the still-listed key */
	assert_int_equal(
	    token_verify(&both, v1_survey[0].tok, TOKEN_LEN_V1, &id), 0);
	assert_int_equal(id, 1);
	/* a CSRF value of a page shown before the rotation */
	assert_int_equal(token_csrf(&key_a, ta, "rate", csrf), 0);
	assert_int_equal(token_csrf_check(&both, ta, "rate", csrf), 0);
	/* key_a retired: what it signed fails, old form or new */
	a_only = key_b;
	assert_int_equal(token_verify(&a_only, ta, TOKEN_LEN, &id), -1);
	assert_int_equal(
	    token_verify(&a_only, v1_survey[0].tok, TOKEN_LEN_V1, &id), -1);
	assert_int_equal(token_csrf_check(&a_only, ta, "rate", csrf), -1);
}

static void test_key_add(void **state)
{
	char dir[] = "/tmp/mm-key-XXXXXX", path[128], err[256];
	char tok[TOKEN_BUFSZ];
	struct token_key k;
	size_t n = 0;
	int64_t id;
	FILE *fp;
	struct stat st;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/secret.key", dir);
	/* a raw key file as keygen always wrote it: key_a */
	fp = fopen(path, "w");
	assert_non_null(fp);
	fwrite(key_a.bytes, 1, key_a.len, fp);
	fclose(fp);
	chmod(path, 0600);
	assert_int_equal(token_key_add(path, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 2);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(token_key_load(path, &k, err, sizeof(err)), 0);
	assert_int_equal(k.nold, 1);
	assert_int_equal(k.len, 32);
	assert_memory_equal(k.old[0].bytes, key_a.bytes, 32);
	assert_memory_not_equal(k.bytes, key_a.bytes, 32);
	assert_int_equal(token_verify(&k, v1_survey[1].tok, TOKEN_LEN_V1, &id),
			 0);
	assert_int_equal(id, 2);
	assert_int_equal(token_make(&k, 5, tok), 0);
	assert_int_equal(token_verify(&key_a, tok, TOKEN_LEN, &id), -1);
	/* up to TOKEN_KEYS_MAX keys */
	for (int i = 2; i < TOKEN_KEYS_MAX; i++)
		assert_int_equal(token_key_add(path, &n, err, sizeof(err)), 0);
	assert_int_equal(n, TOKEN_KEYS_MAX);
	assert_int_equal(token_key_add(path, &n, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "delete the last line"));
	/* a broken line is named */
	fp = fopen(path, "a");
	fputs("not-hex\n", fp);
	fclose(fp);
	assert_int_equal(token_key_load(path, &k, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ":12: not a key"));
	/* a list without keys */
	fp = fopen(path, "w");
	fputs(TOKEN_KEYS_MAGIC "\n# nothing\n", fp);
	fclose(fp);
	assert_int_equal(token_key_load(path, &k, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no key"));
	unlink(path);
	rmdir(dir);
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
	    cmocka_unit_test(test_old_tokens_verify),
	    cmocka_unit_test(test_new_tokens_hide_the_id),
	    cmocka_unit_test(test_rotation),
	    cmocka_unit_test(test_key_add),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
