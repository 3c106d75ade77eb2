/* SPDX-License-Identifier: BSD-2-Clause */
/* The refcounted config snapshot: references, replace while held, the
 * parts built once and freed with the last reference (run under ASan by
 * the sanitizer build, which finds a free too early or never). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf_snapshot.h"

static atomic_int built, freed;

/* A part that counts: its data is the snapshot's generation, so a reader
 * can check it got the part of the snapshot it holds. */
struct counted {
	uint64_t generation;
	char *text; /* allocated: ASan sees a leak if free is skipped */
};

static int counted_build(struct conf_snapshot *s, void **out, char *err,
			 size_t errlen)
{
	struct counted *p = calloc(1, sizeof(*p));

	(void)err;
	(void)errlen;
	assert_non_null(p);
	p->generation = conf_snapshot_generation(s);
	p->text = strdup(conf_snapshot_conf(s)->general.base_url);
	atomic_fetch_add(&built, 1);
	*out = p;
	return 0;
}

static void counted_free(void *data)
{
	struct counted *p = data;

	free(p->text);
	free(p);
	atomic_fetch_add(&freed, 1);
}

static int failing_build(struct conf_snapshot *s, void **out, char *err,
			 size_t errlen)
{
	(void)s;
	(void)out;
	snprintf(err, errlen, "failing part");
	return -1;
}

static void never_free(void *data)
{
	(void)data;
	fail_msg("a part that failed to build was freed");
}

static const struct conf_part counted_part = {"counted", counted_build,
					      counted_free};
static const struct conf_part failing_part = {"failing", failing_build,
					      never_free};
static const struct conf_part other_part = {"other", counted_build,
					    counted_free};

static struct conf *load(const char *base_url)
{
	char path[] = "/tmp/mm-snap-XXXXXX", text[256], err[2048];
	int fd = mkstemp(path);
	struct conf *c;
	int n;

	assert_true(fd >= 0);
	n = snprintf(text, sizeof(text), "[general]\nbase_url = %s\n",
		     base_url);
	assert_int_equal(write(fd, text, (size_t)n), n);
	close(fd);
	c = conf_load(path, err, sizeof(err));
	unlink(path);
	if (!c)
		fail_msg("%s", err);
	return c;
}

static struct conf_snapshot *make(const char *base_url)
{
	static const struct conf_part *const parts[] = {&counted_part};
	struct token_key key;
	char err[256];
	struct conf_snapshot *s;

	memset(&key, 0, sizeof(key));
	key.len = 32;
	memset(key.bytes, 'k', key.len);
	s = conf_snapshot_new(load(base_url), &key, parts, 1, err, sizeof(err));
	if (!s)
		fail_msg("%s", err);
	return s;
}

static void reset(void)
{
	conf_snapshot_replace(NULL);
	atomic_store(&built, 0);
	atomic_store(&freed, 0);
}

static void test_get_before_any_is_null(void **state)
{
	(void)state;
	reset();
	assert_null(conf_snapshot_get());
}

static void test_parts_built_once_and_found(void **state)
{
	struct conf_snapshot *s;
	struct counted *p;

	(void)state;
	reset();
	s = make("http://one.test/");
	assert_int_equal(built, 1);
	p = conf_snapshot_part(s, &counted_part);
	assert_non_null(p);
	assert_int_equal(p->generation, conf_snapshot_generation(s));
	assert_string_equal(p->text, "http://one.test/");
	assert_string_equal(conf_snapshot_conf(s)->general.base_url,
			    "http://one.test/");
	assert_int_equal(conf_snapshot_key(s)->len, 32);
	/* a part the snapshot was not made with */
	assert_null(conf_snapshot_part(s, &other_part));
	/* more holders build nothing more */
	conf_snapshot_replace(s);
	for (int i = 0; i < 10; i++)
		conf_snapshot_put(conf_snapshot_get());
	assert_int_equal(built, 1);
	assert_int_equal(freed, 0);
	conf_snapshot_replace(NULL);
	assert_int_equal(freed, 1);
}

static void test_free_on_last_put(void **state)
{
	struct conf_snapshot *s, *a, *b;

	(void)state;
	reset();
	s = make("http://one.test/");
	conf_snapshot_replace(s);
	a = conf_snapshot_get();
	b = conf_snapshot_get();
	assert_ptr_equal(a, s);
	assert_ptr_equal(b, s);
	conf_snapshot_replace(NULL); /* the process lets go */
	assert_null(conf_snapshot_get());
	conf_snapshot_put(a);
	assert_int_equal(freed, 0);
	/* still readable by the last holder */
	assert_string_equal(conf_snapshot_conf(b)->general.base_url,
			    "http://one.test/");
	conf_snapshot_put(b);
	assert_int_equal(freed, 1);
	conf_snapshot_put(NULL); /* nothing */
}

static void test_replace_while_held(void **state)
{
	struct conf_snapshot *old, *held, *now, *extra;

	(void)state;
	reset();
	old = make("http://old.test/");
	conf_snapshot_replace(old);
	held = conf_snapshot_get();
	extra = conf_snapshot_hold(held);
	conf_snapshot_replace(make("http://new.test/"));
	/* new takers get the new one, the holder keeps the old one */
	now = conf_snapshot_get();
	assert_ptr_not_equal(now, held);
	assert_true(conf_snapshot_generation(now) >
		    conf_snapshot_generation(held));
	assert_string_equal(conf_snapshot_conf(now)->general.base_url,
			    "http://new.test/");
	assert_string_equal(conf_snapshot_conf(held)->general.base_url,
			    "http://old.test/");
	assert_int_equal(freed, 0);
	conf_snapshot_put(held);
	assert_int_equal(freed, 0); /* extra still holds it */
	conf_snapshot_put(extra);
	assert_int_equal(freed, 1); /* the old one, with its part */
	conf_snapshot_put(now);
	assert_int_equal(freed, 1); /* the process still holds the new one */
	conf_snapshot_replace(NULL);
	assert_int_equal(freed, 2);
}

static void test_failing_part_frees_the_rest(void **state)
{
	static const struct conf_part *const parts[] = {&counted_part,
							&failing_part};
	struct token_key key;
	char err[256] = "";

	(void)state;
	reset();
	memset(&key, 0, sizeof(key));
	assert_null(conf_snapshot_new(load("http://bad.test/"), &key, parts, 2,
				      err, sizeof(err)));
	assert_string_equal(err, "failing part");
	assert_int_equal(built, 1);
	assert_int_equal(freed, 1); /* the part built before the failure */
	/* the conf went with it (ASan: no leak); the current one stays */
	assert_null(conf_snapshot_get());
}

/* Readers take and drop the current snapshot while the main thread
 * replaces it: every reader sees a whole snapshot (its part matches its
 * generation), and every snapshot is freed exactly once. */
#define READERS 4
#define REPLACES 500

static atomic_int stop_readers;

static void *reader(void *arg)
{
	atomic_long *seen = arg;

	while (!atomic_load(&stop_readers)) {
		struct conf_snapshot *s = conf_snapshot_get();
		struct counted *p = conf_snapshot_part(s, &counted_part);

		if (p->generation != conf_snapshot_generation(s) ||
		    strcmp(p->text, conf_snapshot_conf(s)->general.base_url))
			abort();
		conf_snapshot_put(s);
		atomic_fetch_add(seen, 1);
	}
	return NULL;
}

static void test_replace_under_readers(void **state)
{
	pthread_t t[READERS];
	atomic_long seen[READERS];
	char url[64];

	(void)state;
	reset();
	conf_snapshot_replace(make("http://r0.test/"));
	atomic_store(&stop_readers, 0);
	for (int i = 0; i < READERS; i++)
		atomic_init(&seen[i], 0);
	for (int i = 0; i < READERS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, reader, &seen[i]),
				 0);
	for (int i = 1; i <= REPLACES; i++) {
		snprintf(url, sizeof(url), "http://r%d.test/", i);
		conf_snapshot_replace(make(url));
	}
	/* every reader has run at least once (slow starters on a busy
	 * machine are waited for) */
	for (int i = 0; i < READERS; i++)
		while (atomic_load(&seen[i]) == 0)
			usleep(1000);
	atomic_store(&stop_readers, 1);
	for (int i = 0; i < READERS; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(built, REPLACES + 1);
	assert_int_equal(freed, REPLACES); /* all but the current one */
	conf_snapshot_replace(NULL);
	assert_int_equal(freed, REPLACES + 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_get_before_any_is_null),
	    cmocka_unit_test(test_parts_built_once_and_found),
	    cmocka_unit_test(test_free_on_last_put),
	    cmocka_unit_test(test_replace_while_held),
	    cmocka_unit_test(test_failing_part_frees_the_rest),
	    cmocka_unit_test(test_replace_under_readers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
