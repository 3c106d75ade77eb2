/* SPDX-License-Identifier: BSD-2-Clause */
/* Relationship NPS campaigns: selection and queueing (campaign.h). */
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "campaign.h"
#include "log.h"
#include "store_campaign.h"

static const char *const verdict_names[CAMPAIGN_NVERDICTS] = {
    [CAMPAIGN_SEND] = "send",
    [CAMPAIGN_OUT_NOT_SERVED] = "not served",
    [CAMPAIGN_OUT_TEAM] = "team not in campaign",
    [CAMPAIGN_OUT_INTERNAL] = "internal",
    [CAMPAIGN_OUT_UNSUBSCRIBED] = "unsubscribed",
    [CAMPAIGN_OUT_QUIET] = "quiet",
    [CAMPAIGN_OUT_RECENT_CLOSURE] = "closure survey within 7 days",
    [CAMPAIGN_OUT_SAMPLED] = "sampled out",
};

const char *campaign_verdict_name(enum campaign_verdict v)
{
	return (unsigned)v < CAMPAIGN_NVERDICTS ? verdict_names[v] : "?";
}

/* FNV-1a over the address and the seed: the same person is in or out of
 * a round's sample however often the plan is made. */
static unsigned sample_bucket(const char *address, uint64_t seed)
{
	uint64_t h = 1469598103934665603ULL;

	for (int i = 0; i < 8; i++) {
		h ^= (seed >> (8 * i)) & 0xff;
		h *= 1099511628211ULL;
	}
	for (const unsigned char *s = (const unsigned char *)address; *s; s++) {
		h ^= *s;
		h *= 1099511628211ULL;
	}
	return (unsigned)(h % 100);
}

enum campaign_verdict campaign_select(const struct conf_campaign *k,
				      const struct rules_internal *internal,
				      int64_t now, uint64_t seed,
				      const struct campaign_person *p)
{
	if (!p->address || !*p->address ||
	    p->last_closure < now - k->served_within)
		return CAMPAIGN_OUT_NOT_SERVED;
	if (!conf_campaign_has_team(k, p->team))
		return CAMPAIGN_OUT_TEAM;
	if (rules_is_internal(internal, p->address))
		return CAMPAIGN_OUT_INTERNAL;
	if (p->unsubscribed)
		return CAMPAIGN_OUT_UNSUBSCRIBED;
	if (p->last_campaign && p->last_campaign > now - k->quiet)
		return CAMPAIGN_OUT_QUIET;
	if (p->last_closure > now - CAMPAIGN_CLOSURE_QUIET)
		return CAMPAIGN_OUT_RECENT_CLOSURE;
	if (k->sample_rate < 100 &&
	    sample_bucket(p->address, seed) >= (unsigned)k->sample_rate)
		return CAMPAIGN_OUT_SAMPLED;
	return CAMPAIGN_SEND;
}

struct plan_ctx {
	const struct conf *c;
	const struct conf_campaign *k;
	const struct rules_internal *internal;
	int64_t now;
	uint64_t seed;
	struct campaign_plan *p;
};

/* Two team names, either may be NULL (no team). */
static int same_team(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return !strcmp(a, b);
}

static struct campaign_plan_team *plan_team(struct campaign_plan *p,
					    const char *team)
{
	struct campaign_plan_team *t;

	for (size_t i = 0; i < p->nteams; i++) {
		t = &p->teams[i];
		if (same_team(t->team, team))
			return t;
	}
	t = realloc(p->teams, (p->nteams + 1) * sizeof(*t));
	if (!t)
		return NULL;
	p->teams = t;
	t = &t[p->nteams];
	memset(t, 0, sizeof(*t));
	if (team && !(t->team = strdup(team)))
		return NULL;
	p->nteams++;
	return t;
}

static int dup_or_null(const char *s, char **out)
{
	*out = NULL;
	return s && !(*out = strdup(s)) ? -1 : 0;
}

static int plan_add(struct campaign_plan *p, const char *address,
		    const char *team, const char *language)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 256;
		char **a = realloc(p->address, cap * sizeof(*a));
		if (!a)
			return -1;
		p->address = a;
		if (!(a = realloc(p->team, cap * sizeof(*a))))
			return -1;
		p->team = a;
		if (!(a = realloc(p->language, cap * sizeof(*a))))
			return -1;
		p->language = a;
		p->cap = cap;
	}
	p->team[p->n] = p->language[p->n] = NULL;
	if (!(p->address[p->n] = strdup(address))) /* n not yet counted */
		return -1;
	p->n++;
	if (dup_or_null(team, &p->team[p->n - 1]) < 0 ||
	    dup_or_null(language, &p->language[p->n - 1]) < 0)
		return -1;
	return 0;
}

static int plan_out(struct campaign_plan *p, const char *address, int why)
{
	if (p->nout == p->outcap) {
		size_t cap = p->outcap ? p->outcap * 2 : 64;
		char **a = realloc(p->out_address, cap * sizeof(*a));
		int *w;
		if (!a)
			return -1;
		p->out_address = a;
		if (!(w = realloc(p->out_why, cap * sizeof(*w))))
			return -1;
		p->out_why = w;
		p->outcap = cap;
	}
	if (!(p->out_address[p->nout] = strdup(address)))
		return -1;
	p->out_why[p->nout++] = why;
	return 0;
}

static int plan_emit(void *arg, const struct store_campaign_candidate *sc)
{
	struct plan_ctx *x = arg;
	struct campaign_person person = {sc->address, sc->team,
					 sc->last_closure, sc->last_campaign,
					 sc->unsubscribed};
	enum campaign_verdict v =
	    campaign_select(x->k, x->internal, x->now, x->seed, &person);
	struct campaign_plan_team *t;
	const struct conf_team *tc;
	const char *lang;

	if (v == CAMPAIGN_OUT_NOT_SERVED)
		return 0;
	if (!(t = plan_team(x->p, sc->team)))
		return -1;
	if (v != CAMPAIGN_SEND) {
		t->out[v]++;
		x->p->out[v]++;
		return x->p->keep_out ? plan_out(x->p, sc->address, (int)v) : 0;
	}
	t->send++;
	/* the team's language, else the closure mail's, else the general */
	tc = sc->team ? conf_team_by_name(x->c, sc->team) : NULL;
	if (tc)
		lang = conf_team_language(x->c, tc);
	else
		lang = sc->language ? sc->language : x->c->general.language;
	return plan_add(x->p, sc->address, sc->team, lang);
}

enum store_rc campaign_plan(struct store *st, const struct conf *c,
			    const struct conf_campaign *k,
			    const struct rules_internal *internal, int64_t now,
			    uint64_t seed, struct campaign_plan *out)
{
	int keep = out->keep_out;
	struct plan_ctx x = {c, k, internal, now, seed, out};
	enum store_rc rc;

	memset(out, 0, sizeof(*out));
	out->keep_out = keep;
	rc = store_campaign_candidates(st, now - k->served_within, plan_emit,
				       &x);
	if (rc != STORE_OK)
		campaign_plan_free(out);
	return rc;
}

void campaign_plan_free(struct campaign_plan *p)
{
	int keep = p->keep_out;

	for (size_t i = 0; i < p->nteams; i++)
		free(p->teams[i].team);
	free(p->teams);
	for (size_t i = 0; i < p->n; i++) {
		free(p->address[i]);
		free(p->team[i]);
		free(p->language[i]);
	}
	free(p->address);
	free(p->team);
	free(p->language);
	for (size_t i = 0; i < p->nout; i++)
		free(p->out_address[i]);
	free(p->out_address);
	free(p->out_why);
	memset(p, 0, sizeof(*p));
	p->keep_out = keep;
}

enum store_rc campaign_due(struct store *st, const struct conf_campaign *k,
			   int64_t *last, int64_t *due)
{
	int64_t id;
	enum store_rc rc = store_campaign_last_round(st, k->name, &id, last);

	if (rc == STORE_NOTFOUND) {
		*last = 0;
		*due = 0;
		return STORE_OK;
	}
	if (rc == STORE_OK)
		*due = *last + k->every;
	return rc;
}

enum store_rc campaign_queue(struct store *st, const struct conf_campaign *k,
			     const struct campaign_plan *p, int64_t now,
			     int64_t *round_id)
{
	struct store_campaign_recipient *r = NULL;
	enum store_rc rc;

	if (p->n && !(r = calloc(p->n, sizeof(*r))))
		return STORE_ERROR;
	for (size_t i = 0; i < p->n; i++) {
		r[i].address = p->address[i];
		r[i].team = p->team[i];
		r[i].language = p->language[i];
	}
	rc = store_campaign_queue(st, k->name, k->anonymous, now, r, p->n,
				  round_id);
	free(r);
	return rc;
}

int campaign_run_due(struct store *st, const struct conf *c, int64_t now)
{
	struct rules_internal internal = {0};
	int rounds = 0;

	if (!c->ncampaigns || c->campaign.schedule != CONF_SCHEDULE_AUTO)
		return 0;
	if (rules_internal_build(c, &internal) < 0)
		return -1;
	for (size_t i = 0; i < c->ncampaigns; i++) {
		const struct conf_campaign *k = &c->campaigns[i];
		struct campaign_plan plan = {0};
		int64_t last, due, round_id;
		enum store_rc rc;

		if ((rc = store_begin(st)) != STORE_OK)
			goto fail;
		if ((rc = campaign_due(st, k, &last, &due)) != STORE_OK ||
		    due > now) {
			store_rollback(st);
			if (rc != STORE_OK)
				goto fail;
			continue;
		}
		if ((rc = campaign_plan(st, c, k, &internal, now,
					(uint64_t)(now / SECONDS_PER_DAY),
					&plan)) != STORE_OK ||
		    (rc = campaign_queue(st, k, &plan, now, &round_id)) !=
			STORE_OK ||
		    (rc = store_commit(st)) != STORE_OK) {
			store_rollback(st);
			campaign_plan_free(&plan);
			goto fail;
		}
		log_info("campaign %s: round %lld queued %zu mails (schedule "
			 "auto)",
			 k->name, (long long)round_id, plan.n);
		campaign_plan_free(&plan);
		rounds++;
	}
	rules_internal_free(&internal);
	return rounds;
fail:
	log_error("campaign: store: %s", store_errmsg(st));
	rules_internal_free(&internal);
	return -1;
}
