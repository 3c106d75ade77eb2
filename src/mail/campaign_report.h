/* SPDX-License-Identifier: BSD-2-Clause */
/* The figures of a relationship NPS campaign per team and round, and
 * their text, CSV, JSON and HTML forms (mailmoodctl report --campaign,
 * the dashboard). For improving, not for ranking teams: fewer than
 * CAMPAIGN_MIN_N answers show as counts only (no percentages, no NPS, no
 * trend). Only aggregates: nothing here knows an address. */
#ifndef MM_CAMPAIGN_REPORT_H
#define MM_CAMPAIGN_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "store.h"

#define CAMPAIGN_MIN_N 5

struct campaign_figures {
	char *team; /* NULL: no team */
	int64_t round_id, started_at;
	int64_t sent, responses, promoters, passives, detractors;
	int shown;		  /* responses >= CAMPAIGN_MIN_N */
	double rate;		  /* responses / sent, percent */
	double ppct, papct, dpct; /* of responses, when shown */
	int nps;		  /* promoters% - detractors%, when shown */
	int has_trend, trend;	  /* NPS minus the team's previous round */
	int64_t alerts, acked;	  /* detractor alerts, acknowledged ones */
};

struct campaign_report {
	char *campaign;
	struct campaign_figures *rows; /* by team, oldest round first */
	size_t n;
};

/* Adds one cell (in store order: by team, then round) and folds it. */
int campaign_report_add(struct campaign_report *r, const char *team,
			int64_t round_id, int64_t started_at, int64_t sent,
			int64_t responses, int64_t promoters, int64_t passives,
			int64_t detractors);
enum store_rc campaign_report_load(struct store *st, const char *campaign,
				   struct campaign_report *out);
void campaign_report_free(struct campaign_report *r);

enum campaign_report_format {
	CAMPAIGN_REPORT_TEXT,
	CAMPAIGN_REPORT_CSV,
	CAMPAIGN_REPORT_JSON,
	CAMPAIGN_REPORT_HTML,
};
void campaign_report_render(const struct campaign_report *r, int format,
			    struct buf *out);
/* The newest round of each team as an HTML table, for the dashboard;
 * only the teams visible(arg, team) allows (visible NULL: all). 0 when
 * no team was shown (nothing written). */
int campaign_report_latest_html(const struct campaign_report *r,
				int (*visible)(void *arg, const char *team),
				void *arg, struct buf *out);

#endif
