/* SPDX-License-Identifier: BSD-2-Clause */
/* Recording a rating, the one step the web (rate.c) and reply mails
 * (ingest.c) share: the new rating becomes the current one (history kept),
 * a pending alert of the survey is cancelled (a changed mind replaces it),
 * a rating at or below the team's alert_at queues a new "alert" row in
 * the outbox, and the best level queues kudos for a team that wants them.
 * Everything inside the caller's transaction (doc/ARCHITECTURE.md "An alert":
 * the alert is queued in the same transaction as the rating). */
#ifndef MM_RATING_H
#define MM_RATING_H

#include <stdint.h>

#include "conf.h"
#include "scale.h"
#include "store.h"

struct rating_input {
	int64_t survey_id;
	int64_t now;
	int level;	     /* on the survey's scale */
	int source;	     /* enum rating_source */
	const char *why;     /* may be NULL */
	const char *better;  /* may be NULL */
	int alert_at;	     /* rating_alert_at() */
	int64_t alert_delay; /* seconds until the alert is due */
	/* For kudos (a team with kudos = yes thanked for the best level);
	 * conf NULL: no kudos. */
	const struct conf *conf;
	const struct conf_team *team;
	const struct scale *scale;
};

struct rating_output {
	int64_t rating_id;
	int64_t alert_id; /* 0 when no alert was queued */
};

/* Alert threshold: the team's alert_at when the team rates on this scale,
 * else the scale's default. */
int rating_alert_at(const struct conf *c, const struct conf_team *team,
		    const struct scale *sc);

/* Call between store_begin and store_commit. On failure the caller rolls
 * back; the store's message says why. */
enum store_rc rating_record(struct store *st, const struct rating_input *in,
			    struct rating_output *out);

#endif
