/* SPDX-License-Identifier: BSD-2-Clause */
/* IT rates its customers (mailmood.conf(5), rate_customer): once a day
 * each rater gets one mail listing yesterday's closed tickets of the
 * opted-in teams, with one row of one-click level links per ticket
 * (BASE_URL/k/TOKEN/LEVEL, customer_page.c).
 *
 * The rater of a ticket is the survey's agent when the rule captured an
 * address for it, else the team's alert_to. The requester is never a
 * rater: an agent address that is the requester, or that any team's
 * match list claims as a customer, falls back to alert_to, and a ticket
 * whose alert_to would reach its requester or a customer is left out.
 *
 * The selection and the mail are pure functions of their arguments
 * (unit-tested); customer_digests_due and customer_digest_send talk to
 * the store and the relay. */
#ifndef MM_CUSTOMER_RATING_H
#define MM_CUSTOMER_RATING_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "buf.h"
#include "conf.h"
#include "store.h"
#include "store_customer.h"
#include "token.h"
#include "tz.h"

/* A local day of [general] timezone: [since, until) in UTC. */
struct customer_day {
	int y, m, d;
	char text[16]; /* YYYY-MM-DD */
	int64_t since, until;
};
void customer_day_of(const struct tz *tz, int y, int m, int d,
		     struct customer_day *out);
/* The local day before the one now falls in; *minute (may be NULL) gets
 * the local minute of today now is at. */
void customer_yesterday(const struct tz *tz, int64_t now,
			struct customer_day *out, int *minute);

struct customer_item {
	int64_t survey_id;
	int64_t sent_at;
	const struct conf_team *team;
	const char *ticket, *subject, *requester; /* in the closed list */
};

/* One rater's mail. */
struct customer_batch {
	const char *rater; /* an address, or an alert_to list */
	const char *lang;  /* of its first ticket's team */
	int due_at;	   /* earliest customer_digest_at of its teams */
	struct customer_item *items;
	size_t n;
};

struct customer_selection {
	struct customer_batch *b;
	size_t n;
	size_t refused; /* tickets left out: the rater would be a customer */
};

/* Who rates a ticket of team t with the survey's agent and requester;
 * NULL when nobody may (see above). */
const char *customer_rater(const struct conf *c, const struct conf_team *t,
			   const char *agent, const char *requester);
/* Groups closed tickets of opted-in teams (only_team: that one alone,
 * else every opted-in team) by rater, in the order they came. 0, or -1
 * when memory ran out. */
int customer_select(const struct conf *c, const struct customer_closed *cl,
		    size_t n, const char *only_team,
		    struct customer_selection *out);
void customer_selection_free(struct customer_selection *s);

/* The whole digest mail (text + HTML, the batch's language). 0, or -1
 * (out of memory, a crypto failure, no valid recipient). */
int customer_compose(struct buf *out, const struct conf *c,
		     const struct token_key *key,
		     const struct customer_batch *b,
		     const struct customer_day *day, int64_t now);

/* Records IT's rating of the customer of survey s at level (on the
 * team's customer_scale); the rater is the ticket's rater. 0 recorded,
 * 1 refused (team not opted in, no rater, level off the scale), -1 store
 * trouble (st's message says why). */
int customer_record(struct store *st, const struct conf *c,
		    const struct survey *s, int level, int64_t now);

/* Sends the digest of day to each rater (only_team: that team's tickets
 * alone) now, whether or not it went before: mailmoodctl customer-digest.
 * One line per mail on report. 0, or -1 when a mail failed. */
int customer_digest_send(struct store *st, const struct conf *c,
			 const struct token_key *key, const char *only_team,
			 const struct customer_day *day, int64_t now,
			 FILE *report);
/* mailmoodd's daily run: yesterday's digest to each rater whose
 * customer_digest_at has come, once per rater and day (a claim in the
 * store, leased for lease seconds: restarts and several processes
 * never send it twice, a temporary failure tries again). */
void customer_digests_due(struct store *st, const struct conf *c,
			  const struct token_key *key, int64_t now,
			  int64_t lease);

#endif
