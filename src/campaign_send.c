/* SPDX-License-Identifier: BSD-2-Clause */
/* A campaign row of the outbox becomes a mail (campaign_send.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "campaign_mail.h"
#include "campaign_send.h"
#include "conf_campaign.h"
#include "inject.h"
#include "store_campaign.h"

static const char *domain_of(const char *addr)
{
	const char *at = addr ? strchr(addr, '@') : NULL;

	return at && at[1] ? at + 1 : "localhost";
}

int campaign_outbox_compose(struct store *st, const struct conf *c,
			    const struct token_key *key, int64_t outbox_id,
			    struct buf *msg, char **rcpt, const char **from,
			    char *what, size_t whatlen, char *err,
			    size_t errlen)
{
	struct store_campaign_row r;
	const struct conf_campaign *k;
	const struct conf_team *t;
	struct campaign_mail m;
	struct buf reply;
	char tok[TOKEN_BUFSZ], base[1024], unsub[1024], msgid[256];
	int64_t id;
	enum store_rc rc;
	int ret = 1;

	*rcpt = NULL;
	snprintf(what, whatlen, "campaign outbox %lld", (long long)outbox_id);
	if ((rc = store_campaign_by_outbox(st, outbox_id, &id)) != STORE_OK ||
	    (rc = store_campaign_recipient(st, id, &r)) != STORE_OK) {
		if (rc != STORE_NOTFOUND)
			return -1;
		snprintf(err, errlen, "no campaign recipient");
		return 1;
	}
	snprintf(what, whatlen, "campaign %s recipient %lld", r.campaign,
		 (long long)r.id);
	if (!(k = conf_campaign_by_name(c, r.campaign))) {
		snprintf(err, errlen, "no [campaign %s] any more", r.campaign);
		goto out;
	}
	if (!r.address) {
		snprintf(err, errlen, "no address (answered anonymously)");
		goto out;
	}
	if (store_campaign_unsubscribed(st, r.address) == STORE_OK) {
		/* unsubscribed between queueing and sending */
		snprintf(err, errlen, "unsubscribed");
		goto out;
	}
	if (token_make_campaign(key, r.id, tok) < 0) {
		snprintf(err, errlen, "cannot sign the links");
		goto out;
	}
	t = r.team ? conf_team_by_name(c, r.team) : NULL;
	snprintf(base, sizeof(base), "%s/c/%s", c->general.base_url, tok);
	snprintf(unsub, sizeof(unsub), "%s/u/%s", c->general.base_url, tok);
	/* a base_url with a trailing '/' would give "//c/" */
	if (strstr(base, "//c/")) {
		snprintf(base, sizeof(base), "%.*sc/%s",
			 (int)strlen(c->general.base_url), c->general.base_url,
			 tok);
		snprintf(unsub, sizeof(unsub), "%.*su/%s",
			 (int)strlen(c->general.base_url), c->general.base_url,
			 tok);
	}
	snprintf(msgid, sizeof(msgid), "campaign.%lld.%lld@%s",
		 (long long)r.round_id, (long long)r.id,
		 domain_of(k->from ? k->from : c->listener.alert_from));
	buf_init(&reply);
	if (c->listener.reply_address)
		inject_reply_address(c->listener.reply_address, tok, &reply);
	memset(&m, 0, sizeof(m));
	m.lang = r.language ? r.language : c->general.language;
	m.from = k->from ? k->from : c->listener.alert_from;
	m.to = r.address;
	m.reply_to = reply.len ? reply.data : NULL;
	m.subject = conf_campaign_subject(k, m.lang);
	m.question = conf_campaign_question(k, m.lang);
	m.team = t ? t->display_name : NULL;
	m.rate_base = base;
	m.unsub_url = unsub;
	m.message_id = msgid;
	m.date = (int64_t)time(NULL);
	if (campaign_mail_compose(msg, &m) < 0) {
		snprintf(err, errlen, "cannot compose (address %s)", r.address);
	} else if (!(*rcpt = strdup(r.address))) {
		snprintf(err, errlen, "out of memory");
		ret = -1;
	} else {
		*from = m.from;
		ret = 0;
	}
	buf_free(&reply);
out:
	store_campaign_row_free(&r);
	return ret;
}
