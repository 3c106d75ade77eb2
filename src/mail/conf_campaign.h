/* SPDX-License-Identifier: BSD-2-Clause */
/* [campaign NAME] sections: periodic relationship NPS campaigns
 * (mailmood.conf(5), "Campaigns"). Parsed by conf.c through these calls so
 * the campaign keys live in one place. */
#ifndef MM_CONF_CAMPAIGN_H
#define MM_CONF_CAMPAIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scale.h"

struct conf;

struct conf_campaign {
	char *name;
	int line;	  /* where the section starts */
	int key_line[16]; /* where a key was set (enum in conf_campaign.c) */
	char *question_en, *question_nl;
	char *subject_en, *subject_nl;
	const struct scale *scale; /* nps */
	int64_t served_within;	   /* seconds */
	int64_t every;		   /* seconds between rounds */
	int64_t quiet;		   /* seconds between two campaign mails */
	char **teams;		   /* NULL: every team */
	size_t nteams;
	bool anonymous;
	int sample_rate; /* percent */
	char *from;	 /* NULL: [listener] alert_from */
};

/* Days after a closure survey in which nobody gets a campaign mail. */
#define CAMPAIGN_CLOSURE_QUIET (7 * 24 * 3600)

/* Opens a new entry in c->campaigns for section "campaign NAME" and sets
 * its defaults; NULL on out of memory. */
struct conf_campaign *conf_campaign_add(struct conf *c, const char *name,
					int line);
/* One key of a campaign section: NULL when set, else the reason. */
const char *conf_campaign_key(struct conf_campaign *k, const char *key,
			      const char *v, int line, char *why,
			      size_t whylen);
/* Whole-file checks (teams exist). Returns the reason of the first
 * problem and sets *key and *line, or NULL. */
const char *conf_campaign_check(const struct conf *c,
				const struct conf_campaign *k, const char **key,
				int *line, char *why, size_t whylen);
void conf_campaign_free_all(struct conf *c);
const struct conf_campaign *conf_campaign_by_name(const struct conf *c,
						  const char *name);
/* The question and subject in lang ("en", "nl"). */
const char *conf_campaign_question(const struct conf_campaign *k,
				   const char *lang);
const char *conf_campaign_subject(const struct conf_campaign *k,
				  const char *lang);
/* 1 when team takes part in the campaign. */
int conf_campaign_has_team(const struct conf_campaign *k, const char *team);

#endif
