/* SPDX-License-Identifier: BSD-2-Clause */
/* The store's campaign calls (relationship NPS, campaign.h): rounds,
 * recipients, contacts (when an address last got a campaign mail) and
 * unsubscribes. Same conventions as store.h. An anonymous campaign's
 * recipient keeps its address only until the answer. */
#ifndef MM_STORE_CAMPAIGN_H
#define MM_STORE_CAMPAIGN_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* One requester served since a time: the team and language of the newest
 * closure survey, when that was, when a campaign mail last went to the
 * address (0: never) and whether it unsubscribed. Strings are valid only
 * during the emit call. */
struct store_campaign_candidate {
	const char *address, *team, *language;
	int64_t last_closure, last_campaign;
	int unsubscribed;
};
typedef int (*store_campaign_emit)(void *arg,
				   const struct store_campaign_candidate *c);
/* Every requester of a closure survey sent at or after since (any
 * status: a throttled survey still means the person was served), one row
 * per address. */
enum store_rc store_campaign_candidates(struct store *st, int64_t since,
					store_campaign_emit emit, void *arg);

/* The newest round of a campaign: NOTFOUND when there is none. */
enum store_rc store_campaign_last_round(struct store *st, const char *campaign,
					int64_t *round_id, int64_t *started_at);

struct store_campaign_recipient {
	int64_t id;	   /* set by store_campaign_queue */
	int64_t outbox_id; /* set by store_campaign_queue */
	const char *address, *team, *language;
};
/* Opens a round and queues one outbox row ("campaign", due at now) per
 * recipient, records the recipients and their contact time, all in one
 * transaction. *round_id gets the new round. */
enum store_rc store_campaign_queue(struct store *st, const char *campaign,
				   int anonymous, int64_t now,
				   struct store_campaign_recipient *r, size_t n,
				   int64_t *round_id);

/* A recipient with its round. address is NULL once an anonymous
 * campaign's answer is in; level is the current answer's, -1 none;
 * followup_id the outbox row that answer queued (its detractor alert or
 * kudos), 0 none. */
struct store_campaign_row {
	int64_t id, round_id, outbox_id, sent_at, answered_at, followup_id;
	int anonymous, level;
	char *campaign, *team, *language, *address;
};
void store_campaign_row_free(struct store_campaign_row *r); /* members */
enum store_rc store_campaign_recipient(struct store *st, int64_t id,
				       struct store_campaign_row *out);
/* The recipient an outbox row mails; NOTFOUND when none. */
enum store_rc store_campaign_by_outbox(struct store *st, int64_t outbox_id,
				       int64_t *recipient_id);
/* What an answer queues in the outbox in its transaction: kind
 * "campaign-alert" (a detractor) or "campaign-kudos" (a promoter with a
 * comment), due then; kind NULL: nothing. */
struct store_campaign_followup {
	int kind; /* enum outbox_kind: OUTBOX_CAMPAIGN_ALERT or _KUDOS;
		   * OUTBOX_KIND_UNKNOWN: nothing to queue */
	int64_t due;
};
/* Records an answer (0..10) in one transaction: an earlier answer stays
 * as history (current 0) and its follow-up, if still pending, is
 * cancelled; f->kind set queues that outbox row; an anonymous campaign's
 * recipient loses its address. why/better may be NULL. *answer_id gets
 * the new row. */
enum store_rc store_campaign_answer(struct store *st, int64_t recipient_id,
				    int level, int source, const char *why,
				    const char *better, int64_t at,
				    const struct store_campaign_followup *f,
				    int64_t *answer_id);
/* The same level again from the same source (the comment box after the
 * page's confirmation): the current answer's comments are updated (NULL
 * keeps what was there), and f->kind queues that follow-up when the
 * answer has none yet. NOTFOUND when the current answer has another
 * level or source, or there is none. One transaction. */
enum store_rc store_campaign_comment(struct store *st, int64_t recipient_id,
				     int level, int source, const char *why,
				     const char *better, int64_t at,
				     const struct store_campaign_followup *f);
/* Link hits of a recipient (table campaign_hits), the evidence the
 * burst classifier reads, as store_hit_* keep them for surveys: in
 * struct hit, survey_id is the recipient's id. The hit of an anonymous
 * campaign is stored without ip and user agent. Inside the caller's
 * transaction (hitlog.c). */
enum store_rc store_campaign_hit_insert(struct store *st, struct hit *h);
enum store_rc store_campaign_hit_list(struct store *st, int64_t recipient_id,
				      int64_t since, struct hit **out,
				      size_t *n);
enum store_rc store_campaign_hit_mark_machine(struct store *st,
					      int64_t recipient_id,
					      int64_t since);
/* The answer a "campaign-alert" or "campaign-kudos" outbox row is about,
 * with its recipient (level, better, at in the row's answer fields). */
struct store_campaign_alert {
	struct store_campaign_row r;
	int level;
	int64_t at;
	char *better;
};
void store_campaign_alert_free(struct store_campaign_alert *a);
enum store_rc store_campaign_alert_get(struct store *st, int64_t outbox_id,
				       struct store_campaign_alert *out);
/* The newest closure ratings of a requester (current ones), newest
 * first, at most limit. Strings valid only during the emit call. */
struct store_closure_rating {
	int64_t at;
	int level;
	const char *scale, *ticket, *team;
};
typedef int (*store_closure_rating_emit)(void *arg,
					 const struct store_closure_rating *r);
enum store_rc store_campaign_closure_ratings(struct store *st,
					     const char *requester, int limit,
					     store_closure_rating_emit emit,
					     void *arg);

/* Per round and team of a campaign: recipients, answers and their NPS
 * categories (current answers only), oldest round first per team; the
 * detractor alerts queued (not cancelled) and how many of them someone
 * acknowledged. team is valid only during the emit call. */
struct store_campaign_cell {
	int64_t round_id, started_at;
	const char *team;
	int64_t sent, responses, promoters, passives, detractors;
	int64_t alerts, acked;
};
typedef int (*store_campaign_cell_emit)(void *arg,
					const struct store_campaign_cell *c);
enum store_rc store_campaign_report(struct store *st, const char *campaign,
				    store_campaign_cell_emit emit, void *arg);

/* GDPR (store_purge): rounds started before `before` are deleted with
 * their recipients and answers, or (anonymize) their addresses and
 * comments cleared; contact times before then are dropped. Unsubscribes
 * stay: they are a wish to be honoured. One transaction. */
enum store_rc store_campaign_purge(struct store *st, int64_t before,
				   int anonymize);

/* Records an unsubscribe (lowercased address; a repeat keeps the first
 * time). */
enum store_rc store_campaign_unsubscribe(struct store *st, const char *address,
					 int64_t at);
/* STORE_OK when address unsubscribed, NOTFOUND when not. */
enum store_rc store_campaign_unsubscribed(struct store *st,
					  const char *address);

#endif
