/* SPDX-License-Identifier: BSD-2-Clause */
/* The outbox worker (doc/ARCHITECTURE.md "An alert"): claims due rows of the
 * outbox table with an owner and a lease, composes the mail (alert_mail.c),
 * sends it (smtp.c) and marks the row done right after the relay's 250.
 *
 * Failures: a 4xx or no answer at all goes back to pending with a backoff
 * of outbox_backoff (1 min) doubling up to 1 h, until the row is
 * outbox_retry_for (48 h) old: then it is FAILED, logged, counted in
 * /metrics and listed by reports. A 5xx fails the row at once.
 *
 * Restart safety: a row is claimed (SENDING, owner, lease) before it is
 * sent, and only a done or fail call ends the claim; a process that dies
 * leaves its rows to whoever claims them after the lease. The one window
 * for a duplicate is a crash between the relay's 250 and the store's
 * "done" (a few hundred microseconds); SMTP has no way to close it. The
 * Message-ID of a retried mail is the same as the first try's, so the
 * receiving side can tell such a duplicate. */
#ifndef MM_OUTBOX_H
#define MM_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "conf.h"
#include "scale.h"
#include "store.h"
#include "token.h"

/* What became of one row's attempt, composing or sending (campaign_send.c
 * composes with it too): the same three ends as enum smtp_result. */
enum outbox_rc {
	OUTBOX_OK = 0,	      /* composed, or the relay took it */
	OUTBOX_TEMPORARY = 1, /* store trouble, no memory, 4xx: try again */
	OUTBOX_PERMANENT = 2, /* can never work (no alert_to, survey gone,
				 5xx): FAILED at once */
};

#define OUTBOX_BATCH 20
#define OUTBOX_MAX_BACKOFF 3600

/* Seconds to wait after the attempts-th failed attempt: base, doubling,
 * at most OUTBOX_MAX_BACKOFF. */
int64_t outbox_backoff(int attempts, int64_t base);
/* 1 when a temporary failure of a row queued at created_at ends it. */
int outbox_give_up(int64_t created_at, int64_t now, int64_t retry_for);

/* "host:pid:tid" */
void outbox_owner(char *out, size_t len);

struct outbox_pass {
	int sent, retried, failed, digests;
};

/* One pass over the due rows (batches of OUTBOX_BATCH on one SMTP
 * connection). 0, or -1 when the store failed (logged). */
int outbox_run(struct store *st, const struct conf *c,
	       const struct token_key *key, const char *owner, int64_t now,
	       struct outbox_pass *ps);
/* Sends the digests whose period (daily, weekly) has passed since the
 * last one; a team seen for the first time starts its schedule now. */
void outbox_digests_due(struct store *st, const struct conf *c, int64_t now,
			struct outbox_pass *ps);
/* Sends team's digest for the period before now, at once (mailmoodctl
 * digest TEAM). 0, or -1 with err. */
int outbox_digest_now(struct store *st, const struct conf *c,
		      const struct conf_team *team, int64_t now, char *err,
		      size_t errlen);

/* Kudos for the best level of the scale, when the team wants them:
 * cancels a pending kudos row of the survey and queues a new one due
 * after alert_delay. Inside the rating's transaction. */
enum store_rc outbox_queue_kudos(struct store *st, const struct conf *c,
				 const struct conf_team *team,
				 const struct scale *sc, int64_t survey_id,
				 int64_t rating_id, int level, int64_t now);

/* Outbox counters (this process) and totals (the store) for /metrics. */
void outbox_metrics_render(struct buf *out, struct store *st);

/* The worker thread of mailmoodd. Each pass reads the current config
 * snapshot (conf_snapshot.h), so a reload reaches the next pass: call
 * outbox_notify after one to start that pass now. */
struct outbox_worker;
int outbox_start(struct outbox_worker **out, char *err, size_t errlen);
/* Wakes the worker now (a new row was queued). */
void outbox_notify(void);
/* Lets the pass in progress finish its current mail, then joins. */
void outbox_stop(struct outbox_worker *w);

#endif
