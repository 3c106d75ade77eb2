/* SPDX-License-Identifier: BSD-2-Clause */
/* A reply to a campaign mail (feedback+TOKEN@ with a campaign token):
 * "8", "een 8", "9, thanks" read by the reply grade reader on the NPS
 * scale becomes the recipient's answer, the rest of the text its "what
 * could we do better?". Called by ingest_mail for every door (LMTP,
 * mailmoodctl ingest, IMAP). */
#ifndef MM_CAMPAIGN_REPLY_H
#define MM_CAMPAIGN_REPLY_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "store.h"
#include "token.h"

struct campaign_reply_result {
	int64_t recipient_id;
	int level; /* -1: no grade read */
	char campaign[128];
	char reason[160]; /* why nothing was recorded */
};

/* STORE_OK: handled (an answer recorded, or why not in out->reason);
 * STORE_NOTFOUND: tok is no campaign token (go on as a survey reply);
 * else the store's failure (store_errmsg). stripped: the reply text without
 * quotes (may be NULL); auto_why: non-NULL for an auto-reply, which never
 * answers. */
enum store_rc campaign_reply(const struct conf *c, const struct token_key *key,
			     struct store *st, const char *tok,
			     const char *stripped, const char *auto_why,
			     int comment_max, int64_t now,
			     struct campaign_reply_result *out);

#endif
