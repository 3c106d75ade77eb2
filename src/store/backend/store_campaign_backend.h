/* SPDX-License-Identifier: BSD-2-Clause */
/* The campaign part of a store backend (store_campaign.h); only store*.c
 * include it. */
#ifndef MM_STORE_CAMPAIGN_BACKEND_H
#define MM_STORE_CAMPAIGN_BACKEND_H

#include "store_backend.h"
#include "store_campaign.h"

struct store_campaign_ops {
	enum store_rc (*candidates)(struct store *st, int64_t since,
				    store_campaign_emit emit, void *arg);
	enum store_rc (*last_round)(struct store *st, const char *campaign,
				    int64_t *round_id, int64_t *started_at);
	/* inside the transaction store_campaign_queue opened */
	enum store_rc (*queue)(struct store *st, const char *campaign,
			       int anonymous, int64_t now,
			       struct store_campaign_recipient *r, size_t n,
			       int64_t *round_id);
	enum store_rc (*unsubscribe)(struct store *st, const char *address,
				     int64_t at);
	enum store_rc (*unsubscribed)(struct store *st, const char *address);
	enum store_rc (*recipient)(struct store *st, int64_t id,
				   struct store_campaign_row *out);
	enum store_rc (*by_outbox)(struct store *st, int64_t outbox_id,
				   int64_t *recipient_id);
	/* inside the transaction store_campaign_answer opened */
	enum store_rc (*answer)(struct store *st, int64_t recipient_id,
				int level, int source, const char *why,
				const char *better, int64_t at,
				const struct store_campaign_followup *f,
				int64_t *answer_id);
	/* inside the transaction store_campaign_comment opened */
	enum store_rc (*comment)(struct store *st, int64_t recipient_id,
				 int level, int source, const char *why,
				 const char *better, int64_t at,
				 const struct store_campaign_followup *f);
	enum store_rc (*hit_insert)(struct store *st, struct hit *h);
	enum store_rc (*hit_list)(struct store *st, int64_t recipient_id,
				  int64_t since, struct hit **out, size_t *n);
	enum store_rc (*hit_mark_machine)(struct store *st,
					  int64_t recipient_id, int64_t since);
	enum store_rc (*alert_get)(struct store *st, int64_t outbox_id,
				   struct store_campaign_alert *out);
	enum store_rc (*closure_ratings)(struct store *st,
					 const char *requester, int limit,
					 store_closure_rating_emit emit,
					 void *arg);
	/* inside the transaction store_campaign_purge opened */
	enum store_rc (*purge)(struct store *st, int64_t before, int anonymize);
	enum store_rc (*report)(struct store *st, const char *campaign,
				store_campaign_cell_emit emit, void *arg);
};

extern const struct store_campaign_ops store_sqlite_campaign_ops;
extern const struct store_campaign_ops store_pg_campaign_ops;

#endif
