/* SPDX-License-Identifier: BSD-2-Clause */
/* A reply to a campaign mail becomes its answer (campaign_reply.h). */
#include <stdio.h>
#include <string.h>

#include "campaign_reply.h"
#include "campaign_send.h"
#include "codec.h"
#include "reply.h"
#include "scale.h"
#include "store_campaign.h"

enum store_rc campaign_reply(const struct conf *c, const struct token_key *key,
			     struct store *st, const char *tok,
			     const char *stripped, const char *auto_why,
			     int comment_max, int64_t now,
			     struct campaign_reply_result *out)
{
	struct store_campaign_row r;
	struct reply_grade g;
	int64_t id, answer_id;
	enum store_rc rc;

	memset(out, 0, sizeof(*out));
	out->level = -1;
	if (token_verify_campaign(key, tok, strlen(tok), &id) < 0)
		return STORE_NOTFOUND;
	out->recipient_id = id;
	rc = store_campaign_recipient(st, id, &r);
	if (rc == STORE_NOTFOUND) {
		snprintf(out->reason, sizeof(out->reason),
			 "campaign recipient %lld is gone", (long long)id);
		return STORE_OK;
	}
	if (rc != STORE_OK)
		return rc;
	snprintf(out->campaign, sizeof(out->campaign), "%s", r.campaign);
	memset(&g, 0, sizeof(g));
	if (auto_why) {
		snprintf(out->reason, sizeof(out->reason), "auto-reply: %s",
			 auto_why);
	} else if (!stripped ||
		   reply_read_grade(scale_get(SCALE_NPS), stripped, &g) < 0 ||
		   !g.found) {
		snprintf(out->reason, sizeof(out->reason),
			 "no grade 0-10 in the reply");
	} else {
		struct store_campaign_followup f;
		const char *better = g.comment && *g.comment ? g.comment : NULL;
		if (g.comment)
			codec_utf8_truncate(g.comment, comment_max);
		campaign_followup(c, &r, g.value, better, now, &f);
		rc = store_campaign_answer(st, id, g.value, RATING_MAIL, NULL,
					   better, now, &f, &answer_id);
		if (rc == STORE_OK)
			out->level = g.value;
	}
	reply_grade_free(&g);
	store_campaign_row_free(&r);
	return rc;
}
