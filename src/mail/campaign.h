/* SPDX-License-Identifier: BSD-2-Clause */
/* Relationship NPS campaigns: who gets a round's mail and why the others
 * are left out (campaign_select, pure), and a whole round: the plan from
 * the store's candidates and queueing it in the outbox. */
#ifndef MM_CAMPAIGN_H
#define MM_CAMPAIGN_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "conf_campaign.h"
#include "rules.h"
#include "store.h"

enum campaign_verdict {
	CAMPAIGN_SEND = 0,
	CAMPAIGN_OUT_NOT_SERVED,     /* no closure survey in served_within */
	CAMPAIGN_OUT_TEAM,	     /* served by a team not in `teams` */
	CAMPAIGN_OUT_INTERNAL,	     /* [milter] internal */
	CAMPAIGN_OUT_UNSUBSCRIBED,   /* opted out of campaigns */
	CAMPAIGN_OUT_QUIET,	     /* a campaign mail within `quiet` */
	CAMPAIGN_OUT_RECENT_CLOSURE, /* a closure survey in the last 7 days */
	CAMPAIGN_OUT_SAMPLED,	     /* not picked by sample_rate */
	CAMPAIGN_NVERDICTS
};

/* One requester as the store sees it (store_campaign_candidate). */
struct campaign_person {
	const char *address; /* lowercased */
	const char *team;    /* of the newest closure survey; may be NULL */
	int64_t last_closure;
	int64_t last_campaign; /* 0: never */
	int unsubscribed;
};

/* The verdict for one person at now. seed makes sample_rate pick the
 * same people for the same round (a dry run shows what --send does). */
enum campaign_verdict campaign_select(const struct conf_campaign *k,
				      const struct rules_internal *internal,
				      int64_t now, uint64_t seed,
				      const struct campaign_person *p);
/* "quiet", "unsubscribed", ... for the dry run. */
const char *campaign_verdict_name(enum campaign_verdict v);

/* A round as planned: the recipients, and per team how many were left
 * out for which reason. */
struct campaign_plan_team {
	char *team; /* NULL: no team */
	size_t send;
	size_t out[CAMPAIGN_NVERDICTS];
};

struct campaign_plan {
	struct campaign_plan_team *teams;
	size_t nteams;
	char **address, **team, **language; /* recipients, n of each */
	size_t n, cap;
	size_t out[CAMPAIGN_NVERDICTS]; /* totals */
	/* with keep_out: who was left out and why (the dry run lists them) */
	int keep_out;
	char **out_address;
	int *out_why;
	size_t nout, outcap;
};

/* Reads the candidates and decides each. STORE_* from the store; err
 * text in the store. */
enum store_rc campaign_plan(struct store *st, const struct conf *c,
			    const struct conf_campaign *k,
			    const struct rules_internal *internal, int64_t now,
			    uint64_t seed, struct campaign_plan *out);
void campaign_plan_free(struct campaign_plan *p);

/* When the next round is due: STORE_OK and *due (0: never run, due now);
 * *last gets the last round's start (0 when none). */
enum store_rc campaign_due(struct store *st, const struct conf_campaign *k,
			   int64_t *last, int64_t *due);

/* Queues the plan's mails in one transaction; *round_id gets the round. */
enum store_rc campaign_queue(struct store *st, const struct conf_campaign *k,
			     const struct campaign_plan *p, int64_t now,
			     int64_t *round_id);

/* [campaign] schedule = auto: queues the round of every campaign whose
 * `every` has passed (mailmoodd's outbox worker, once a minute). Each
 * check and its round share one transaction, so of two daemons on one
 * store only one queues a round. Logs what it did; returns how many
 * rounds were queued, -1 on a store failure. */
int campaign_run_due(struct store *st, const struct conf *c, int64_t now);

#endif
