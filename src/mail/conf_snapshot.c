/* SPDX-License-Identifier: BSD-2-Clause */
/* The refcounted config snapshot every part of a daemon takes
 * (conf_snapshot.h). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_snapshot.h"

struct part_slot {
	const struct conf_part *part;
	void *data;
};

struct conf_snapshot {
	struct conf *conf;
	struct token_key key;
	uint64_t generation;
	atomic_long refs;
	struct part_slot parts[CONF_SNAPSHOT_PARTS];
	size_t nparts;
};

/* The lock covers only reading the pointer and taking a reference, so a
 * replace cannot free the snapshot between the two; puts need no lock. */
static pthread_mutex_t current_lock = PTHREAD_MUTEX_INITIALIZER;
static struct conf_snapshot *current;
static atomic_ullong generations;

static void snapshot_free(struct conf_snapshot *s)
{
	/* parts may point into the conf: they go first, newest first */
	for (size_t i = s->nparts; i-- > 0;)
		s->parts[i].part->free(s->parts[i].data);
	conf_free(s->conf);
	memset(&s->key, 0, sizeof(s->key));
	free(s);
}

struct conf_snapshot *conf_snapshot_new(struct conf *c,
					const struct token_key *key,
					const struct conf_part *const *parts,
					size_t nparts, char *err, size_t errlen)
{
	struct conf_snapshot *s;

	if (nparts > CONF_SNAPSHOT_PARTS) {
		snprintf(err, errlen, "more than %d config parts",
			 CONF_SNAPSHOT_PARTS);
		conf_free(c);
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		conf_free(c);
		return NULL;
	}
	s->conf = c;
	if (key)
		s->key = *key;
	atomic_init(&s->refs, 1);
	s->generation = atomic_fetch_add(&generations, 1) + 1;
	for (size_t i = 0; i < nparts; i++) {
		void *data = NULL;

		if (parts[i]->build(s, &data, err, errlen) < 0) {
			snapshot_free(s);
			return NULL;
		}
		s->parts[s->nparts].part = parts[i];
		s->parts[s->nparts].data = data;
		s->nparts++;
	}
	return s;
}

const struct conf *conf_snapshot_conf(const struct conf_snapshot *s)
{
	return s->conf;
}

const struct token_key *conf_snapshot_key(const struct conf_snapshot *s)
{
	return &s->key;
}

uint64_t conf_snapshot_generation(const struct conf_snapshot *s)
{
	return s->generation;
}

void *conf_snapshot_part(const struct conf_snapshot *s,
			 const struct conf_part *part)
{
	for (size_t i = 0; i < s->nparts; i++)
		if (s->parts[i].part == part)
			return s->parts[i].data;
	return NULL;
}

struct conf_snapshot *conf_snapshot_get(void)
{
	struct conf_snapshot *s;

	pthread_mutex_lock(&current_lock);
	s = current;
	if (s)
		atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
	pthread_mutex_unlock(&current_lock);
	return s;
}

struct conf_snapshot *conf_snapshot_hold(struct conf_snapshot *s)
{
	atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
	return s;
}

void conf_snapshot_put(struct conf_snapshot *s)
{
	/* release: every holder's reads happen before the free; the last
	 * one acquires them */
	if (s &&
	    atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) == 1)
		snapshot_free(s);
}

void conf_snapshot_replace(struct conf_snapshot *s)
{
	struct conf_snapshot *old;

	pthread_mutex_lock(&current_lock);
	old = current;
	current = s;
	pthread_mutex_unlock(&current_lock);
	conf_snapshot_put(old);
}
