/* SPDX-License-Identifier: BSD-2-Clause */
/* The store's part of "IT rates its customers": an agent's rating of how
 * the customer helped solve a closed ticket (one current per closure
 * survey, earlier ones kept as history), the closed tickets of a day, and
 * which rater got the digest of which day. Backend-neutral like store.h. */
#ifndef MM_STORE_CUSTOMER_H
#define MM_STORE_CUSTOMER_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

struct customer_rating {
	int64_t id;
	int64_t survey_id;
	int64_t at;
	int level;   /* on the team's customer_scale */
	int current; /* 1 for the one that counts */
	char *rater; /* address of the person who rated */
};
void customer_rating_free(struct customer_rating *r); /* members */

/* Records a rating; the survey's earlier ones stay with current = 0, in
 * one transaction. Sets r->id and r->current. */
enum store_rc store_customer_rating_add(struct store *st,
					struct customer_rating *r);
/* The rating that counts; STORE_NOTFOUND when none. */
enum store_rc store_customer_rating_current(struct store *st, int64_t survey_id,
					    struct customer_rating *out);
/* How many ratings (history included) the survey has. */
enum store_rc store_customer_rating_count(struct store *st, int64_t survey_id,
					  int64_t *n);

/* A closure survey as the digest lists it. */
struct customer_closed {
	int64_t survey_id;
	int64_t sent_at;
	char *team, *ticket, *subject, *requester, *agent;
};
void customer_closed_free(struct customer_closed *c, size_t n);
/* Surveys sent in [since, until), every status (a ticket closed within
 * the cooldown is still a closed ticket), oldest first. */
enum store_rc store_customer_closed(struct store *st, int64_t since,
				    int64_t until, struct customer_closed **out,
				    size_t *n);

/* Current customer ratings per team and level for surveys sent in
 * [since, until); team NULL: every team. */
typedef int (*store_customer_level_emit)(void *arg, const char *team, int level,
					 int64_t count);
enum store_rc store_customer_levels(struct store *st, const char *team,
				    int64_t since, int64_t until,
				    store_customer_level_emit emit, void *arg);

/* Every customer rating (history too) rated in [since, until) (0: open),
 * of team (NULL: all), oldest first, with its survey's fields. */
struct customer_rating_row {
	int64_t id, survey_id, at, sent_at;
	int level, current;
	const char *rater, *team, *ticket, *rule, *subject;
};
typedef int (*store_customer_row_emit)(void *arg,
				       const struct customer_rating_row *r);
enum store_rc store_customer_rating_rows(struct store *st, const char *team,
					 int64_t since, int64_t until,
					 store_customer_row_emit emit,
					 void *arg);

/* The daily digest per rater and local date ("YYYY-MM-DD"). */
enum customer_digest_state {
	CDIGEST_PENDING = 0, /* a temporary failure: try again */
	CDIGEST_SENDING = 1, /* claimed until lease_until */
	CDIGEST_SENT = 2,
	CDIGEST_FAILED = 3,
};
/* Claims (rater, day) for sending until now + lease: *claimed 1 when this
 * caller got it (new, pending, or a lease that ran out: its sender died),
 * 0 when it is sent, failed, or another sender holds it. */
enum store_rc store_customer_digest_claim(struct store *st, const char *rater,
					  const char *day, int64_t now,
					  int64_t lease, int *claimed);
/* Ends a claim: state CDIGEST_SENT, _FAILED or _PENDING (retry). */
enum store_rc store_customer_digest_finish(struct store *st, const char *rater,
					   const char *day, int state,
					   int64_t now, const char *error);
/* STORE_NOTFOUND when the pair was never claimed. */
enum store_rc store_customer_digest_state(struct store *st, const char *rater,
					  const char *day, int *state);

/* What a backend provides (store_sqlite_customer.c, store_pg_customer.c). */
struct store_customer_ops {
	enum store_rc (*rating_add)(struct store *st,
				    struct customer_rating *r);
	enum store_rc (*rating_current)(struct store *st, int64_t survey_id,
					struct customer_rating *out);
	enum store_rc (*rating_count)(struct store *st, int64_t survey_id,
				      int64_t *n);
	enum store_rc (*closed)(struct store *st, int64_t since, int64_t until,
				struct customer_closed **out, size_t *n);
	enum store_rc (*levels)(struct store *st, const char *team,
				int64_t since, int64_t until,
				store_customer_level_emit emit, void *arg);
	enum store_rc (*rows)(struct store *st, const char *team, int64_t since,
			      int64_t until, store_customer_row_emit emit,
			      void *arg);
	enum store_rc (*digest_claim)(struct store *st, const char *rater,
				      const char *day, int64_t now,
				      int64_t lease, int *claimed);
	enum store_rc (*digest_finish)(struct store *st, const char *rater,
				       const char *day, int state, int64_t now,
				       const char *error);
	enum store_rc (*digest_state)(struct store *st, const char *rater,
				      const char *day, int *state);
};
extern const struct store_customer_ops store_sqlite_customer_ops;
extern const struct store_customer_ops store_pg_customer_ops;

#endif
