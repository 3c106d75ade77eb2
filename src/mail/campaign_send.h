/* SPDX-License-Identifier: BSD-2-Clause */
/* What the outbox worker sends for a "campaign" row: the recipient's mail
 * with its signed links (campaign_mail.h). */
#ifndef MM_CAMPAIGN_SEND_H
#define MM_CAMPAIGN_SEND_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "conf.h"
#include "outbox.h"
#include "store.h"
#include "token.h"

/* Composes the mail of outbox row outbox_id into msg; *rcpt (malloc'd)
 * gets the one recipient, *from the envelope sender (in c), what a line
 * for the log. OUTBOX_PERMANENT: it can never be sent (reason in err);
 * OUTBOX_TEMPORARY: store trouble (store_errmsg) or memory. */
enum outbox_rc campaign_outbox_compose(struct store *st, const struct conf *c,
				       const struct token_key *key,
				       int64_t outbox_id, struct buf *msg,
				       char **rcpt, const char **from,
				       char *what, size_t whatlen, char *err,
				       size_t errlen);

/* What an answer at level with comment (NULL: none) queues, due now +
 * alert_delay (out->kind NULL: nothing):
 *  - "campaign-alert": a detractor (0-6) of a non-anonymous campaign,
 *    for a team with alert_to;
 *  - "campaign-kudos": a promoter (9-10) who wrote a comment, for a team
 *    with kudos = yes and kudos_to or alert_to; anonymous campaigns too,
 *    the mail then names nobody.
 * Pure: r is the recipient (struct store_campaign_row). */
struct store_campaign_row;
struct store_campaign_followup;
void campaign_followup(const struct conf *c, const struct store_campaign_row *r,
		       int level, const char *comment, int64_t now,
		       struct store_campaign_followup *out);

/* Composes the "campaign-alert" row outbox_id (kudos 0): NPS DETRACTOR
 * to the team, like a red alert, with its acknowledge link (ack.c); or
 * the "campaign-kudos" row (kudos 1): NPS KUDOS to kudos_to, else
 * alert_to. Same returns as campaign_outbox_compose; *rcpt gets the
 * addresses (split by the caller). */
enum outbox_rc campaign_alert_compose(struct store *st, const struct conf *c,
				      const struct token_key *key,
				      int64_t outbox_id, int kudos,
				      struct buf *msg, char **rcpt, char *what,
				      size_t whatlen, char *err, size_t errlen);

#endif
