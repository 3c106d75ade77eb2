/* SPDX-License-Identifier: BSD-2-Clause */
/* Customer ratings, closed tickets and digest claims: dispatch to the
 * backend (store_customer.h). */
#include <stdlib.h>
#include <string.h>

#include "store_backend.h"
#include "store_customer.h"

void customer_rating_free(struct customer_rating *r)
{
	if (!r)
		return;
	free(r->rater);
	r->rater = NULL;
}

void customer_closed_free(struct customer_closed *c, size_t n)
{
	for (size_t i = 0; c && i < n; i++) {
		free(c[i].team);
		free(c[i].ticket);
		free(c[i].subject);
		free(c[i].requester);
		free(c[i].agent);
	}
	free(c);
}

enum store_rc store_customer_rating_add(struct store *st,
					struct customer_rating *r)
{
	enum store_rc rc;

	if (!r->rater || !*r->rater) {
		store_set_err(st, "customer rating: no rater");
		return STORE_ERROR;
	}
	if ((rc = store_begin(st)) != STORE_OK)
		return rc;
	rc = st->ops->customer->rating_add(st, r);
	if (rc != STORE_OK) {
		store_rollback(st);
		return rc;
	}
	r->current = 1;
	return store_commit(st);
}

enum store_rc store_customer_rating_current(struct store *st, int64_t survey_id,
					    struct customer_rating *out)
{
	memset(out, 0, sizeof(*out));
	return st->ops->customer->rating_current(st, survey_id, out);
}

enum store_rc store_customer_rating_count(struct store *st, int64_t survey_id,
					  int64_t *n)
{
	return st->ops->customer->rating_count(st, survey_id, n);
}

enum store_rc store_customer_closed(struct store *st, int64_t since,
				    int64_t until, struct customer_closed **out,
				    size_t *n)
{
	*out = NULL;
	*n = 0;
	return st->ops->customer->closed(st, since, until, out, n);
}

enum store_rc store_customer_levels(struct store *st, const char *team,
				    int64_t since, int64_t until,
				    store_customer_level_emit emit, void *arg)
{
	return st->ops->customer->levels(st, team, since, until, emit, arg);
}

enum store_rc store_customer_digest_claim(struct store *st, const char *rater,
					  const char *day, int64_t now,
					  int64_t lease, int *claimed)
{
	*claimed = 0;
	return st->ops->customer->digest_claim(st, rater, day, now, lease,
					       claimed);
}

enum store_rc store_customer_digest_finish(struct store *st, const char *rater,
					   const char *day, int state,
					   int64_t now, const char *error)
{
	return st->ops->customer->digest_finish(st, rater, day, state, now,
						error);
}

enum store_rc store_customer_digest_state(struct store *st, const char *rater,
					  const char *day, int *state)
{
	return st->ops->customer->digest_state(st, rater, day, state);
}

enum store_rc store_customer_rating_rows(struct store *st, const char *team,
					 int64_t since, int64_t until,
					 store_customer_row_emit emit,
					 void *arg)
{
	return st->ops->customer->rows(
	    st, team, since, until > 0 ? until : INT64_MAX, emit, arg);
}
