/* SPDX-License-Identifier: BSD-2-Clause */
/* Campaign calls of the store API, forwarded to the backend
 * (store_campaign.h). */
#include <stdlib.h>
#include <string.h>

#include "store_campaign.h"
#include "store_campaign_backend.h"

enum store_rc store_campaign_candidates(struct store *st, int64_t since,
					store_campaign_emit emit, void *arg)
{
	return st->ops->campaign->candidates(st, since, emit, arg);
}

enum store_rc store_campaign_last_round(struct store *st, const char *campaign,
					int64_t *round_id, int64_t *started_at)
{
	return st->ops->campaign->last_round(st, campaign, round_id,
					     started_at);
}

enum store_rc store_campaign_queue(struct store *st, const char *campaign,
				   int anonymous, int64_t now,
				   struct store_campaign_recipient *r, size_t n,
				   int64_t *round_id)
{
	enum store_rc rc;

	if ((rc = store_begin(st)) != STORE_OK)
		return rc;
	rc = st->ops->campaign->queue(st, campaign, anonymous, now, r, n,
				      round_id);
	if (rc != STORE_OK) {
		store_rollback(st);
		return rc;
	}
	return store_commit(st);
}

enum store_rc store_campaign_unsubscribe(struct store *st, const char *address,
					 int64_t at)
{
	return st->ops->campaign->unsubscribe(st, address, at);
}

enum store_rc store_campaign_unsubscribed(struct store *st, const char *address)
{
	return st->ops->campaign->unsubscribed(st, address);
}

void store_campaign_row_free(struct store_campaign_row *r)
{
	free(r->campaign);
	free(r->team);
	free(r->language);
	free(r->address);
	memset(r, 0, sizeof(*r));
}

enum store_rc store_campaign_recipient(struct store *st, int64_t id,
				       struct store_campaign_row *out)
{
	memset(out, 0, sizeof(*out));
	return st->ops->campaign->recipient(st, id, out);
}

enum store_rc store_campaign_by_outbox(struct store *st, int64_t outbox_id,
				       int64_t *recipient_id)
{
	return st->ops->campaign->by_outbox(st, outbox_id, recipient_id);
}

static const struct store_campaign_followup no_followup = {OUTBOX_KIND_UNKNOWN,
							   0};

enum store_rc store_campaign_answer(struct store *st, int64_t recipient_id,
				    int level, int source, const char *why,
				    const char *better, int64_t at,
				    const struct store_campaign_followup *f,
				    int64_t *answer_id)
{
	enum store_rc rc;

	if ((rc = store_begin(st)) != STORE_OK)
		return rc;
	rc = st->ops->campaign->answer(st, recipient_id, level, source, why,
				       better, at, f ? f : &no_followup,
				       answer_id);
	if (rc != STORE_OK) {
		store_rollback(st);
		return rc;
	}
	return store_commit(st);
}

enum store_rc store_campaign_comment(struct store *st, int64_t recipient_id,
				     int level, int source, const char *why,
				     const char *better, int64_t at,
				     const struct store_campaign_followup *f)
{
	enum store_rc rc;

	if ((rc = store_begin(st)) != STORE_OK)
		return rc;
	rc = st->ops->campaign->comment(st, recipient_id, level, source, why,
					better, at, f ? f : &no_followup);
	if (rc != STORE_OK) {
		store_rollback(st);
		return rc;
	}
	return store_commit(st);
}

enum store_rc store_campaign_hit_insert(struct store *st, struct hit *h)
{
	return st->ops->campaign->hit_insert(st, h);
}

enum store_rc store_campaign_hit_list(struct store *st, int64_t recipient_id,
				      int64_t since, struct hit **out,
				      size_t *n)
{
	*out = NULL;
	*n = 0;
	return st->ops->campaign->hit_list(st, recipient_id, since, out, n);
}

enum store_rc store_campaign_hit_mark_machine(struct store *st,
					      int64_t recipient_id,
					      int64_t since)
{
	return st->ops->campaign->hit_mark_machine(st, recipient_id, since);
}

enum store_rc store_campaign_report(struct store *st, const char *campaign,
				    store_campaign_cell_emit emit, void *arg)
{
	return st->ops->campaign->report(st, campaign, emit, arg);
}

void store_campaign_alert_free(struct store_campaign_alert *a)
{
	store_campaign_row_free(&a->r);
	free(a->better);
	memset(a, 0, sizeof(*a));
}

enum store_rc store_campaign_alert_get(struct store *st, int64_t outbox_id,
				       struct store_campaign_alert *out)
{
	memset(out, 0, sizeof(*out));
	return st->ops->campaign->alert_get(st, outbox_id, out);
}

enum store_rc store_campaign_closure_ratings(struct store *st,
					     const char *requester, int limit,
					     store_closure_rating_emit emit,
					     void *arg)
{
	return st->ops->campaign->closure_ratings(st, requester, limit, emit,
						  arg);
}

enum store_rc store_campaign_purge(struct store *st, int64_t before,
				   int anonymize)
{
	enum store_rc rc;

	if ((rc = store_begin(st)) != STORE_OK)
		return rc;
	rc = st->ops->campaign->purge(st, before, anonymize);
	if (rc != STORE_OK) {
		store_rollback(st);
		return rc;
	}
	return store_commit(st);
}
