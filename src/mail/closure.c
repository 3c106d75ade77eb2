/* SPDX-License-Identifier: BSD-2-Clause */
/* One closure mail, start to end: rules, survey, rating block, splice
 * (closure.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <gnutls/crypto.h>

#include "closure.h"
#include "log.h"

static const char *header_value(const struct closure_mail *m, const char *name)
{
	for (size_t i = 0; i < m->nh; i++)
		if (!strcasecmp(m->h[i].name, name))
			return m->h[i].value;
	return NULL;
}

/* The requester is the first address in To (a closure mail to several
 * people asks the first, who opened the ticket); without a usable To, the
 * first envelope recipient. */
static void closure_requester(const struct closure_mail *m, char *out,
			      size_t outlen)
{
	const char *to = header_value(m, "To");
	char *addr = to ? rules_first_address(to) : NULL;

	if (!addr && m->rcpt)
		addr = rules_first_address(m->rcpt);
	snprintf(out, outlen, "%s", addr ? addr : "");
	free(addr);
}

/* The Message-ID as replies quote it in In-Reply-To: "<id>", without the
 * blanks and folding an MTA may hand over; "" when there is none. */
static void closure_message_id(const struct closure_mail *m, char *out,
			       size_t outlen)
{
	const char *v = header_value(m, "Message-ID"), *lt, *gt;

	out[0] = '\0';
	if (!v || !(lt = strchr(v, '<')) || !(gt = strchr(lt, '>')) ||
	    (size_t)(gt - lt) + 2 > outlen)
		return;
	memcpy(out, lt, (size_t)(gt - lt) + 1);
	out[gt - lt + 1] = '\0';
}

static int sampled_in(int rate)
{
	uint32_t r;

	if (rate >= 100)
		return 1;
	if (rate <= 0)
		return 0;
	if (gnutls_rnd(GNUTLS_RND_NONCE, &r, sizeof(r)) < 0)
		return 1;
	return (int)(r % 100) < rate;
}

enum closure_outcome closure_check(const struct closure_env *env,
				   const struct closure_mail *m,
				   struct closure_result *r)
{
	int rc;

	memset(r, 0, sizeof(*r));
	rc = rules_match(env->conf, m->sender, m->h, m->nh, &r->match);
	if (rc == 0)
		return r->outcome = CLOSURE_NO_RULE;
	if (rc < 0) {
		snprintf(r->reason, sizeof(r->reason), "out of memory");
		return r->outcome = CLOSURE_ERROR;
	}
	closure_requester(m, r->requester, sizeof(r->requester));
	/* Whatever a rule's pattern says: a reply or forward (an owner's
	 * notification "Re: [#2] Resolved") and mail to the desk's own people
	 * are never closure mails to a customer. */
	if (r->match.reply_subject) {
		r->skipped = 1;
		snprintf(r->reason, sizeof(r->reason), "reply subject");
		return r->outcome = CLOSURE_UNCHANGED;
	}
	if (!r->requester[0]) {
		snprintf(r->reason, sizeof(r->reason), "no recipient address");
		return r->outcome = CLOSURE_UNCHANGED;
	}
	if (rules_is_internal(env->internal, r->requester)) {
		r->skipped = 1;
		snprintf(r->reason, sizeof(r->reason), "internal requester");
		return r->outcome = CLOSURE_UNCHANGED;
	}
	return r->outcome = CLOSURE_MATCHED;
}

enum closure_outcome closure_process(const struct closure_env *env,
				     const struct closure_mail *m,
				     struct closure_result *r)
{
	const struct conf *c = env->conf;
	const struct conf_team *team;
	struct survey s;
	struct inject_survey is;
	struct splice_block blk;
	struct buf text, html;
	int64_t now = (int64_t)time(NULL), recent;
	enum store_rc src;
	int in_tx = 0;
	char message_id[1000];

	memset(&s, 0, sizeof(s));
	buf_init(&text);
	buf_init(&html);
	if (closure_check(env, m, r) != CLOSURE_MATCHED)
		return r->outcome;
	/* The rule's team (from the ticket system) wins; else the team whose
	 * match list covers the requester. */
	team = conf_team_by_name(c, r->match.team);
	if (!team)
		team = conf_team_for_address(c, r->requester);
	if (!r->match.team && team)
		r->match.team = strdup(team->name);

	closure_message_id(m, message_id, sizeof(message_id));
	s.sent_at = now;
	s.queue_id = (char *)(m->qid ? m->qid : "");
	s.message_id = message_id[0] ? message_id : NULL;
	s.rule = r->match.rule->name;
	s.ticket = r->match.ticket;
	s.team = r->match.team;
	s.agent = r->match.agent;
	s.requester = r->requester;
	is.scale = r->match.rule->scale ? r->match.rule->scale
					: conf_team_scale(c, team);
	s.scale = (char *)is.scale->name;
	is.language = r->match.rule->language ? r->match.rule->language
					      : conf_team_language(c, team);
	s.language = (char *)is.language;
	s.subject = r->match.subject;
	is.ticket = r->match.ticket;

	if (env->store) {
		if ((src = store_begin(env->store)) != STORE_OK)
			goto store_error;
		in_tx = 1;
		if (c->milter.cooldown > 0) {
			src = store_survey_recent(env->store, r->requester,
						  now - c->milter.cooldown,
						  &recent);
			if (src == STORE_OK) {
				s.status = SURVEY_COOLDOWN;
				snprintf(r->reason, sizeof(r->reason),
					 "cooldown: requester surveyed in "
					 "survey %lld",
					 (long long)recent);
			} else if (src != STORE_NOTFOUND) {
				goto store_error;
			}
		}
		if (s.status == SURVEY_SENT &&
		    !sampled_in(c->milter.sample_rate)) {
			s.status = SURVEY_SAMPLED_OUT;
			snprintf(r->reason, sizeof(r->reason),
				 "not sampled (sample_rate=%d%%)",
				 c->milter.sample_rate);
		}
		if ((src = store_survey_insert(env->store, &s)) != STORE_OK)
			goto store_error;
		r->survey_id = s.id;
		if (s.status != SURVEY_SENT) {
			if ((src = store_commit(env->store)) != STORE_OK)
				goto store_error;
			return r->outcome = CLOSURE_UNCHANGED;
		}
	}
	is.id = r->survey_id;
	if (inject_render(env->templates, c, env->key, &is, &text, &html,
			  r->reason, sizeof(r->reason)) < 0)
		goto error;
	blk = (struct splice_block){text.data, text.len, html.data, html.len};
	if (splice_message(m->msg, m->len, &blk, &r->splice) < 0 ||
	    r->splice.status == SPLICE_ERROR) {
		snprintf(r->reason, sizeof(r->reason), "splice: %s",
			 r->splice.reason ? r->splice.reason : "failed");
		goto error;
	}
	if (r->splice.status == SPLICE_UNCHANGED) {
		/* No link leaves the server, so no survey is kept. */
		snprintf(r->reason, sizeof(r->reason), "%s", r->splice.reason);
		if (in_tx)
			store_rollback(env->store);
		r->survey_id = 0;
		buf_free(&text);
		buf_free(&html);
		return r->outcome = CLOSURE_UNCHANGED;
	}
	/* Committed before the MTA hears end of message: every link that
	 * leaves the server resolves. */
	if (in_tx && (src = store_commit(env->store)) != STORE_OK) {
		in_tx = 0;
		goto store_error;
	}
	buf_free(&text);
	buf_free(&html);
	return r->outcome = CLOSURE_INJECTED;

store_error:
	snprintf(r->reason, sizeof(r->reason), "store: %s",
		 src == STORE_BUSY ? "busy (locked)"
				   : store_errmsg(env->store));
error:
	if (in_tx)
		store_rollback(env->store);
	buf_free(&text);
	buf_free(&html);
	r->survey_id = 0;
	return r->outcome = CLOSURE_ERROR;
}

void closure_result_free(struct closure_result *r)
{
	rules_match_free(&r->match);
	splice_result_free(&r->splice);
}

void closure_log(const struct closure_mail *m, const struct closure_result *r)
{
	const struct rules_match *x = &r->match;
	const char *qid = m->qid ? m->qid : "NOQUEUE";

	switch (r->outcome) {
	case CLOSURE_NO_RULE:
		log_debug("%s: no rule matched", qid);
		break;
	case CLOSURE_INJECTED:
		log_info("%s: survey %lld ticket=%s rule=%s team=%s agent=%s "
			 "requester=%s injected %s%s%s",
			 qid, (long long)r->survey_id,
			 x->ticket ? x->ticket : "-", x->rule->name,
			 x->team ? x->team : "-", x->agent ? x->agent : "-",
			 r->requester, r->splice.parts_text ? "text" : "",
			 r->splice.parts_text && r->splice.parts_html ? "+"
								      : "",
			 r->splice.parts_html ? "html" : "");
		break;
	case CLOSURE_MATCHED:
		log_debug("%s: rule=%s matched", qid, x->rule->name);
		break;
	case CLOSURE_UNCHANGED:
		if (r->skipped)
			log_info(
			    "%s: ticket=%s rule=%s requester=%s no "
			    "links: %s",
			    qid, x->ticket ? x->ticket : "-", x->rule->name,
			    r->requester[0] ? r->requester : "-", r->reason);
		else if (r->survey_id)
			log_info("%s: survey %lld ticket=%s rule=%s "
				 "requester=%s no links: %s",
				 qid, (long long)r->survey_id,
				 x->ticket ? x->ticket : "-", x->rule->name,
				 r->requester, r->reason);
		else
			log_info("%s: ticket=%s rule=%s requester=%s passed "
				 "unchanged: %s",
				 qid, x->ticket ? x->ticket : "-",
				 x->rule->name, r->requester, r->reason);
		break;
	case CLOSURE_ERROR:
		log_error("%s: ticket=%s rule=%s %s", qid,
			  x->ticket ? x->ticket : "-",
			  x->rule ? x->rule->name : "-", r->reason);
		break;
	}
}
