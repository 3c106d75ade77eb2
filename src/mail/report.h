/* SPDX-License-Identifier: BSD-2-Clause */
/* Report figures (doc/ARCHITECTURE.md "Reports"): one module for mailmoodctl
 * report, the dashboard and the digests. The store aggregates (store_report, a
 * GROUP BY in the database); this file folds the level counts into
 * figures with the scale mappings of scale.c and adds the trend.
 *
 * Rows are cohorts: a survey counts in the period it was sent, with the
 * rating and alerts it got. Shares are percent. A share over fewer than
 * REPORT_SMALL_N cases is not shown (NAN): "2 of 3" says more than "67 %",
 * so callers print the counts and n instead. */
#ifndef MM_REPORT_H
#define MM_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "scale.h"
#include "store.h"

#define REPORT_SMALL_N 5

struct report_query {
	const char *team, *agent, *rule; /* NULL: any */
	int64_t since, until; /* sent_at in [since, until); 0: open */
	int by;		      /* enum store_period */
};

struct report_row {
	int group; /* enum store_group */
	/* NULL when the row is not split by it; "(none)" for a survey
	 * without one, so NULL always means "total" */
	char *team, *agent, *rule, *period;
	int64_t surveys;      /* sent with links */
	int64_t responses;    /* current ratings */
	int64_t web, mail;    /* responses by click / by reply mail */
	int64_t machine_hits; /* link fetches by scanners, ignored */
	int64_t alerts, acked;
	/* counts[scale id][value - scale min] */
	int64_t counts[SCALE_COUNT][STORE_MAX_LEVEL + 1];
	const struct scale *scale; /* of all its ratings; NULL: none/mixed */
	int mixed;		   /* ratings on more than one scale */
	int64_t warm, satisfied, promoters, passives, detractors;
	/* NAN when not shown: no cases, or fewer than REPORT_SMALL_N */
	double response_rate, temperature, nps, csat, acked_share;
	double mean;	    /* mean level; NAN when mixed or small */
	int64_t median_ack; /* seconds; -1 when nothing was acknowledged */
	int small;	    /* responses < REPORT_SMALL_N */
	/* change against the previous period of the same group, in points;
	 * NAN when either side is not shown */
	double trend_temperature, trend_nps, trend_response_rate;
	/* private: acknowledgement times while collecting */
	int64_t *acks;
	size_t nacks, capacks;
};

struct report {
	struct report_row *rows;
	size_t n, cap;
	int by; /* the query's period */
};

/* Runs q for each grouping in groups (rows come in that order, then by
 * team, agent, rule, period). Without a period and with since set, the
 * trend compares with the window of the same length just before. */
enum store_rc report_run(struct store *st, const struct report_query *q,
			 const int *groups, size_t ngroups, struct report *out);
void report_free(struct report *r);

/* Period label of the period before p ("2025-01" -> "2024-12",
 * "2025-W01" -> "2024-W52", "2025-Q1" -> "2024-Q4"). 0, or -1 when p is
 * not a label of that kind. out holds 16 bytes. */
int report_period_prev(int by, const char *p, char *out, size_t outlen);
/* "day" "week" "month" "quarter" (and "none"/"all") -> enum store_period;
 * -1 when unknown. */
int report_period_parse(const char *s);
const char *report_group_name(int group);
/* "2025-03-07" or "2025-03-07T10:00:00" (UTC) or unix seconds -> unix
 * seconds; -1 when bad. */
int64_t report_parse_date(const char *s);

/* Comments shown beside figures. */
struct report_comment {
	int64_t at;
	int level; /* -1: a reply without a grade (a comment only) */
	const struct scale *scale; /* never NULL (default thermometer) */
	char *team, *agent, *ticket, *subject, *why, *better;
};
enum store_rc report_comments(struct store *st,
			      const struct store_rating_filter *f,
			      struct report_comment **out, size_t *n);
void report_comments_free(struct report_comment *c, size_t n);

/* Writers (report_format.c). Shares with one decimal. */
enum report_format {
	REPORT_TEXT,
	REPORT_CSV,
	REPORT_JSON,
	REPORT_HTML,
};
int report_format_parse(const char *s); /* -1 when unknown */
void report_write_text(struct buf *b, const struct report *r);
/* Columns: see mailmoodctl(1). */
void report_write_csv(struct buf *b, const struct report *r);
void report_write_json(struct buf *b, const struct report *r);
/* One self-contained page: inline style and SVG, comments escaped. */
void report_write_html(struct buf *b, const struct report *r,
		       const struct report_comment *c, size_t nc,
		       const char *title);

/* " &middot; TICKET <span class="subject">SUBJECT</span>", escaped; the
 * subject stands in where the rule captured no ticket; nothing when
 * neither is known. */
void report_html_ticket(struct buf *b, const char *ticket, const char *subject);
/* A <ul> of comments, every text escaped. */
void report_html_comments(struct buf *b, const struct report_comment *c,
			  size_t nc);
/* Inline SVG pieces, also used by the dashboard. Presentation attributes
 * only (no style attribute), so they pass a CSP without 'unsafe-inline'.
 * trend: temperature and NPS of the rows rows[0..n) that belong to one
 * group, in period order. */
void report_svg_trend(struct buf *b, const struct report_row *const *rows,
		      size_t n);
/* Bars: the count of each level of the row's scale. */
void report_svg_levels(struct buf *b, const struct report_row *row);
/* A share for people: "72.5 %", or "n=3" when not shown. */
void report_put_share(struct buf *b, double v, int64_t n);

#endif
