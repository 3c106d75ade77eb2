/* SPDX-License-Identifier: BSD-2-Clause */
/* One load of the config file, shared by every part of a daemon
 * (doc/ARCHITECTURE.md "One config snapshot"). A daemon parses its config
 * once at start and once per reload into a snapshot: the struct conf, the
 * key read with it, and the state each part derives from them (the HTTP
 * part's pages and address lists, the milter's templates), built when the
 * snapshot is made so a failure anywhere keeps the old snapshot whole.
 * A request, session, message or pass takes the current snapshot with
 * conf_snapshot_get and drops it with conf_snapshot_put; a reload swaps
 * in a new one with conf_snapshot_replace, and the old one is freed when
 * the last holder drops it. So no part ever runs on a different version
 * of the file than another part of the same request, and no reload frees
 * a config under a mail in flight. */
#ifndef MM_CONF_SNAPSHOT_H
#define MM_CONF_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "token.h"

struct conf_snapshot;

/* A part's own state derived from a snapshot. build is called once per
 * snapshot, before it is published; it may keep the snapshot pointer (not
 * a reference: the data lives exactly as long as the snapshot). 0, or -1
 * with err. free gets what build made. */
struct conf_part {
	const char *name;
	int (*build)(struct conf_snapshot *s, void **out, char *err,
		     size_t errlen);
	void (*free)(void *data);
};

#define CONF_SNAPSHOT_PARTS 4

/* A snapshot of c (taken: freed with the snapshot, also on failure) and
 * key (copied), with the parts built in order. One reference, for the
 * caller; NULL with err when a part fails or memory runs out. */
struct conf_snapshot *conf_snapshot_new(struct conf *c,
					const struct token_key *key,
					const struct conf_part *const *parts,
					size_t nparts, char *err,
					size_t errlen);

const struct conf *conf_snapshot_conf(const struct conf_snapshot *s);
const struct token_key *conf_snapshot_key(const struct conf_snapshot *s);
/* Counts the snapshots made by this process, from 1: tells a holder that
 * kept state across passes that the config changed. */
uint64_t conf_snapshot_generation(const struct conf_snapshot *s);
/* What part built for s; NULL when s was made without part. */
void *conf_snapshot_part(const struct conf_snapshot *s,
			 const struct conf_part *part);

/* The current snapshot with a reference taken, NULL before the first
 * replace. Cheap: one mutex round and an atomic increment. */
struct conf_snapshot *conf_snapshot_get(void);
/* Another reference to s, which the caller holds. */
struct conf_snapshot *conf_snapshot_hold(struct conf_snapshot *s);
/* Drops a reference; the last one frees s (NULL: nothing). */
void conf_snapshot_put(struct conf_snapshot *s);
/* Makes s (the caller's reference passes to the process) the current
 * snapshot and drops the process's reference to the old one; holders of
 * the old one keep it until they put it. NULL clears (at shutdown). */
void conf_snapshot_replace(struct conf_snapshot *s);

#endif
