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

/* When a detractor alert of an answer at level is due (now +
 * alert_delay), or 0: none (a passive or promoter, an anonymous campaign,
 * a team without alert_to). r is struct store_campaign_row. */
struct store_campaign_row;
int64_t campaign_alert_due(const struct conf *c,
			   const struct store_campaign_row *r, int level,
			   int64_t now);

/* Composes the "campaign-alert" row outbox_id: NPS DETRACTOR to the
 * team, like a red alert. Same returns as campaign_outbox_compose; *rcpt
 * gets alert_to (split by the caller). */
enum outbox_rc campaign_alert_compose(struct store *st, const struct conf *c,
				      int64_t outbox_id, struct buf *msg,
				      char **rcpt, char *what, size_t whatlen,
				      char *err, size_t errlen);

#endif
