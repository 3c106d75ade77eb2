/* SPDX-License-Identifier: BSD-2-Clause */
/* [campaign NAME] keys, their defaults and checks (conf_campaign.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "conf_campaign.h"

enum {
	K_QUESTION,
	K_SUBJECT,
	K_SCALE,
	K_SERVED,
	K_EVERY,
	K_QUIET,
	K_TEAMS,
	K_ANON,
	K_SAMPLE,
	K_FROM,
};

#define DAY (24 * 3600)

static const char *const q_en = "How likely is it that you would recommend "
				"our IT service to a colleague?";
static const char *const q_nl = "Hoe waarschijnlijk is het dat u onze "
				"IT-dienstverlening aan een collega zou "
				"aanbevelen?";
static const char *const s_en = "Would you recommend our IT service?";
static const char *const s_nl = "Zou u onze IT-dienstverlening aanbevelen?";

struct conf_campaign *conf_campaign_add(struct conf *c, const char *name,
					int line)
{
	struct conf_campaign *a, *k;

	a = realloc(c->campaigns, (c->ncampaigns + 1) * sizeof(*a));
	if (!a)
		return NULL;
	c->campaigns = a;
	k = &a[c->ncampaigns];
	memset(k, 0, sizeof(*k));
	k->name = strdup(name);
	if (!k->name)
		return NULL;
	c->ncampaigns++;
	k->line = line;
	k->scale = scale_get(SCALE_NPS);
	k->served_within = 90LL * DAY;
	k->every = 90LL * DAY;
	k->quiet = 180LL * DAY;
	k->sample_rate = 100;
	return k;
}

static const char *set_str(char **field, const char *v)
{
	char *s = strdup(v);

	if (!s)
		return "out of memory";
	free(*field);
	*field = s;
	return NULL;
}

static const char *set_duration(int64_t *field, const char *v, char *why,
				size_t whylen)
{
	int64_t n;

	if (conf_parse_duration(v, &n) < 0)
		return "not a duration (90d, 12w, 48h)";
	if (n < 3600 || n > 3650LL * DAY) {
		snprintf(why, whylen, "out of range (1h .. 3650d)");
		return why;
	}
	*field = n;
	return NULL;
}

static const char *set_teams(struct conf_campaign *k, const char *v)
{
	char *copy = strdup(v), *save = NULL;

	if (!copy)
		return "out of memory";
	for (size_t i = 0; i < k->nteams; i++)
		free(k->teams[i]);
	free(k->teams);
	k->teams = NULL;
	k->nteams = 0;
	for (char *w = strtok_r(copy, " \t,", &save); w;
	     w = strtok_r(NULL, " \t,", &save)) {
		char **t;
		if (!strcmp(w, "all"))
			continue;
		t = realloc(k->teams, (k->nteams + 1) * sizeof(*t));
		if (!t || !(t[k->nteams] = strdup(w))) {
			if (t)
				k->teams = t;
			free(copy);
			return "out of memory";
		}
		k->teams = t;
		k->nteams++;
	}
	free(copy);
	return NULL;
}

static const char *campaign_key(struct conf_campaign *k, const char *key,
				const char *v, char *why, size_t whylen,
				int *slot)
{
	if (!strcmp(key, "question") || !strcmp(key, "question_en") ||
	    !strcmp(key, "question_nl")) {
		const char *r = NULL;
		*slot = K_QUESTION;
		if (!*v)
			return "empty";
		if (strcmp(key, "question_nl"))
			r = set_str(&k->question_en, v);
		if (!r && strcmp(key, "question_en"))
			r = set_str(&k->question_nl, v);
		return r;
	}
	if (!strcmp(key, "subject") || !strcmp(key, "subject_en") ||
	    !strcmp(key, "subject_nl")) {
		const char *r = NULL;
		*slot = K_SUBJECT;
		/* it goes into a header: one line */
		if (!*v || strpbrk(v, "\r\n"))
			return "empty or not one line";
		if (strcmp(key, "subject_nl"))
			r = set_str(&k->subject_en, v);
		if (!r && strcmp(key, "subject_en"))
			r = set_str(&k->subject_nl, v);
		return r;
	}
	if (!strcmp(key, "scale")) {
		*slot = K_SCALE;
		if (!scale_by_name(v))
			return "unknown scale";
		if (scale_by_name(v)->id != SCALE_NPS)
			return "a campaign asks the NPS question: scale = nps";
		k->scale = scale_by_name(v);
		return NULL;
	}
	if (!strcmp(key, "served_within")) {
		*slot = K_SERVED;
		return set_duration(&k->served_within, v, why, whylen);
	}
	if (!strcmp(key, "every")) {
		*slot = K_EVERY;
		return set_duration(&k->every, v, why, whylen);
	}
	if (!strcmp(key, "quiet")) {
		*slot = K_QUIET;
		return set_duration(&k->quiet, v, why, whylen);
	}
	if (!strcmp(key, "teams")) {
		*slot = K_TEAMS;
		return set_teams(k, v);
	}
	if (!strcmp(key, "anonymous")) {
		*slot = K_ANON;
		return conf_parse_bool(v, &k->anonymous) < 0
			   ? "not a boolean (yes/no)"
			   : NULL;
	}
	if (!strcmp(key, "sample_rate")) {
		char *end;
		long n;
		*slot = K_SAMPLE;
		n = strtol(v, &end, 10);
		if (end == v || (*end && strcmp(end, "%")) || n < 0 || n > 100)
			return "not a percentage (0 .. 100)";
		k->sample_rate = (int)n;
		return NULL;
	}
	if (!strcmp(key, "from")) {
		*slot = K_FROM;
		if (!strchr(v, '@') || strpbrk(v, "\r\n<>\" \t"))
			return "not an address";
		return set_str(&k->from, v);
	}
	return "unknown key";
}

const char *conf_campaign_key(struct conf_campaign *k, const char *key,
			      const char *v, int line, char *why, size_t whylen)
{
	int slot = -1;
	const char *r = campaign_key(k, key, v, why, whylen, &slot);

	if (slot >= 0 && !r)
		k->key_line[slot] = line;
	return r;
}

const char *conf_campaign_check(const struct conf *c,
				const struct conf_campaign *k, const char **key,
				int *line, char *why, size_t whylen)
{
	for (size_t i = 0; i < k->nteams; i++)
		if (!conf_team_by_name(c, k->teams[i])) {
			*key = "teams";
			*line = k->key_line[K_TEAMS];
			snprintf(why, whylen, "no [team %s]", k->teams[i]);
			return why;
		}
	*key = NULL;
	*line = 0;
	return NULL;
}

void conf_campaign_free_all(struct conf *c)
{
	for (size_t i = 0; i < c->ncampaigns; i++) {
		struct conf_campaign *k = &c->campaigns[i];
		free(k->name);
		free(k->question_en);
		free(k->question_nl);
		free(k->subject_en);
		free(k->subject_nl);
		for (size_t j = 0; j < k->nteams; j++)
			free(k->teams[j]);
		free(k->teams);
		free(k->from);
	}
	free(c->campaigns);
	c->campaigns = NULL;
	c->ncampaigns = 0;
}

const struct conf_campaign *conf_campaign_by_name(const struct conf *c,
						  const char *name)
{
	for (size_t i = 0; i < c->ncampaigns; i++)
		if (!strcmp(c->campaigns[i].name, name))
			return &c->campaigns[i];
	return NULL;
}

const char *conf_campaign_question(const struct conf_campaign *k,
				   const char *lang)
{
	if (lang && !strcmp(lang, "nl"))
		return k->question_nl ? k->question_nl : q_nl;
	return k->question_en ? k->question_en : q_en;
}

const char *conf_campaign_subject(const struct conf_campaign *k,
				  const char *lang)
{
	if (lang && !strcmp(lang, "nl"))
		return k->subject_nl ? k->subject_nl : s_nl;
	return k->subject_en ? k->subject_en : s_en;
}

int conf_campaign_has_team(const struct conf_campaign *k, const char *team)
{
	if (!k->nteams)
		return 1;
	if (!team)
		return 0;
	for (size_t i = 0; i < k->nteams; i++)
		if (!strcmp(k->teams[i], team))
			return 1;
	return 0;
}
