/* SPDX-License-Identifier: BSD-2-Clause */
/* Hits off the response path (tests/bench/http).
 *
 * GET /r/TOKEN/LEVEL (and a campaign's /c/TOKEN/LEVEL) records a hit (evidence
 * for reports and the scanner classifier, never a rating). Writing it in the
 * request's own transaction made every page wait for SQLite's write lock.
 * Instead the request queues the hit here and one writer thread records what is
 * queued in one transaction (group commit: a hit waits up to 100 ms for others
 * to share it, hitlog.c says why), classifying each hit exactly as before
 * (burst.h), in queue order, with the earlier hits of the same batch
 * visible to it. A rating that wants the write lock waits a few
 * milliseconds, not for the batch.
 *
 * What can be lost: on a crash (SIGKILL, power loss) the hits queued but
 * not yet committed, normally the last 100 ms or so, at most the queue's
 * bound under overload. A clean stop (hitlog_stop) records them all.
 * Ratings never go through this queue.
 *
 * Readers that must see every hit made so far in this process (the POST
 * classifier, /metrics) call hitlog_sync() first.
 *
 * The writer also takes over SQLite's WAL checkpoints from the request
 * connections (hitlog_attach): the fdatasync of a checkpoint then never
 * runs inside a request. */
#ifndef MM_HITLOG_H
#define MM_HITLOG_H

#include <stdint.h>

#include "burst.h"
#include "store.h"

struct hitlog_hit {
	int64_t survey_id; /* with campaign set: the campaign recipient's id */
	int campaign;	   /* a campaign link's hit (campaign_hits) */
	int64_t at;	   /* the request's time: the hit's time */
	int64_t sent_at;
	int64_t window; /* burst_window, seconds */
	int level;
	int head; /* HEAD request */
	const char *ip;
	const char *user_agent; /* NULL: none sent */
	const char *level_key;	/* for the log line */
};

/* Starts the writer thread; 0, or -1 (hits are then recorded in the
 * request, hitlog_add answers -1). */
int hitlog_start(void);
/* Records everything queued, stops the writer. Call when no request
 * runs any more. */
void hitlog_stop(void);
/* Queues h (copied) for the store dsn; waits only when the queue is full
 * (overload). 0 queued, -1 not running: record it with hitlog_record. */
int hitlog_add(const char *dsn, const struct hitlog_hit *h);
/* Returns once every hit queued before the call is committed (or its
 * failure logged). */
void hitlog_sync(void);
/* Classifies and records h in its own transaction on st (the request's
 * connection), as the writer does. */
void hitlog_record(struct store *st, const struct hitlog_hit *h);
/* For a request thread's connection: its commits no longer checkpoint;
 * the writer does, off the request path. No-op when not running. */
void hitlog_attach(struct store *st);
/* The survey's hits at or after since, for the classifier (burst.h):
 * malloc'd, *n of them; NULL (and *n = 0) when the store or memory
 * failed. */
struct burst_hit *hitlog_prior(struct store *st, int64_t survey_id,
			       int64_t since, size_t *n);
/* The same for a campaign recipient's hits. */
struct burst_hit *hitlog_prior_campaign(struct store *st, int64_t recipient_id,
					int64_t since, size_t *n);

#endif
