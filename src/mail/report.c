/* SPDX-License-Identifier: BSD-2-Clause */
/* Report figures: folds the store's aggregates into rows (report.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "clock.h"
#include "report.h"

/* ------------------------------------------------------------ lookup */

/* Cells arrive in no promised order; a small hash of row indices keeps
 * folding linear in the number of cells. */
struct report_index {
	size_t *slot; /* row index + 1; 0 empty */
	size_t cap;
};

static uint64_t mix_str(uint64_t h, const char *s)
{
	/* FNV-1a, with a marker so NULL and "" differ */
	h = (h ^ (s ? 1 : 2)) * 1099511628211ULL;
	for (; s && *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (h ^ 0xff) * 1099511628211ULL;
}

static int str_eq(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

struct report_key {
	int group;
	const char *team, *agent, *rule, *period;
};

static uint64_t key_hash(const struct report_key *k)
{
	uint64_t h = 14695981039346656037ULL ^ (uint64_t)k->group;

	h = mix_str(h, k->team);
	h = mix_str(h, k->agent);
	h = mix_str(h, k->rule);
	return mix_str(h, k->period);
}

static int key_is(const struct report_row *r, const struct report_key *k)
{
	return r->group == k->group && str_eq(r->team, k->team) &&
	       str_eq(r->agent, k->agent) && str_eq(r->rule, k->rule) &&
	       str_eq(r->period, k->period);
}

static int index_grow(struct report_index *ix, const struct report *r)
{
	size_t cap = ix->cap ? ix->cap * 2 : 64;
	size_t *slot;

	/* r may already hold rows of an earlier group when this index is
	 * new: size for all of them, or the probing below never ends */
	while (cap <= 2 * (r->n + 1))
		cap *= 2;
	slot = calloc(cap, sizeof(*slot));

	if (!slot)
		return -1;
	for (size_t i = 0; i < r->n; i++) {
		const struct report_row *w = &r->rows[i];
		struct report_key k = {w->group, w->team, w->agent, w->rule,
				       w->period};
		size_t j = (size_t)key_hash(&k) & (cap - 1);

		while (slot[j])
			j = (j + 1) & (cap - 1);
		slot[j] = i + 1;
	}
	free(ix->slot);
	ix->slot = slot;
	ix->cap = cap;
	return 0;
}

static int dup_or_null(const char *s, char **out)
{
	*out = NULL;
	return s && !(*out = strdup(s)) ? -1 : 0;
}

static void row_free(struct report_row *w)
{
	free(w->team);
	free(w->agent);
	free(w->rule);
	free(w->period);
	free(w->acks);
}

/* The row for k, made when missing; NULL when memory ran out. */
static struct report_row *row_for(struct report *r, struct report_index *ix,
				  const struct report_key *k)
{
	struct report_row *w;
	size_t j;

	if (ix->cap && ix->cap > 2 * (r->n + 1)) {
		for (j = (size_t)key_hash(k) & (ix->cap - 1); ix->slot[j];
		     j = (j + 1) & (ix->cap - 1))
			if (key_is(&r->rows[ix->slot[j] - 1], k))
				return &r->rows[ix->slot[j] - 1];
	} else {
		if (index_grow(ix, r) < 0)
			return NULL;
		return row_for(r, ix, k);
	}
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		struct report_row *rows = realloc(r->rows, cap * sizeof(*rows));

		if (!rows)
			return NULL;
		r->rows = rows;
		r->cap = cap;
	}
	w = &r->rows[r->n];
	memset(w, 0, sizeof(*w));
	w->group = k->group;
	if (dup_or_null(k->team, &w->team) < 0 ||
	    dup_or_null(k->agent, &w->agent) < 0 ||
	    dup_or_null(k->rule, &w->rule) < 0 ||
	    dup_or_null(k->period, &w->period) < 0) {
		row_free(w);
		return NULL;
	}
	ix->slot[j] = ++r->n;
	return w;
}

/* ------------------------------------------------------------ folding */

struct fold {
	struct report *r;
	struct report_index ix;
	int group;
};

static const struct scale *scale_or_default(const char *name)
{
	const struct scale *s = name ? scale_by_name(name) : NULL;

	return s ? s : scale_get(SCALE_THERMOMETER);
}

/* A survey without a team or agent still counts in the totals; in a row
 * split by them it shows as "(none)", so NULL keeps meaning "total". */
static const char *split(const char *v, int wanted)
{
	if (!wanted)
		return NULL;
	return v && *v ? v : "(none)";
}

static int fold_cell(void *arg, const struct store_report_cell *c)
{
	struct fold *f = arg;
	struct report_key k = {
	    f->group,
	    split(c->team, f->group == STORE_GROUP_TEAM ||
			       f->group == STORE_GROUP_AGENT),
	    split(c->agent, f->group == STORE_GROUP_AGENT),
	    split(c->rule, f->group == STORE_GROUP_RULE),
	    c->period,
	};
	struct report_row *w = row_for(f->r, &f->ix, &k);
	const struct scale *s;

	if (!w)
		return -1;
	switch (c->kind) {
	case STORE_CELL_SURVEYS:
		w->surveys += c->n;
		break;
	case STORE_CELL_LEVEL:
		s = scale_or_default(c->scale);
		if (c->level < s->min || c->level > s->max)
			break; /* not a level of its scale: not a vote */
		w->counts[s->id][c->level - s->min] += c->n;
		w->responses += c->n;
		w->mail += c->n2;
		w->web += c->n - c->n2;
		break;
	case STORE_CELL_MACHINE:
		w->machine_hits += c->n;
		break;
	case STORE_CELL_ALERTS:
		w->alerts += c->n;
		w->acked += c->n2;
		break;
	case STORE_CELL_ACK:
		if (w->nacks == w->capacks) {
			size_t cap = w->capacks ? w->capacks * 2 : 8;
			int64_t *a = realloc(w->acks, cap * sizeof(*a));

			if (!a)
				return -1;
			w->acks = a;
			w->capacks = cap;
		}
		w->acks[w->nacks++] = c->value < 0 ? 0 : c->value;
		break;
	}
	return 0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static double share(int64_t part, int64_t n)
{
	if (n < REPORT_SMALL_N)
		return NAN;
	return 100.0 * (double)part / (double)n;
}

/* The figures of a row from its counts. */
static void figures(struct report_row *w)
{
	double sum = 0;
	int nscales = 0;

	w->scale = NULL;
	w->warm = w->satisfied = w->promoters = w->passives = w->detractors = 0;
	for (int id = 0; id < SCALE_COUNT; id++) {
		const struct scale *s = scale_get((enum scale_id)id);
		int64_t in = 0;

		for (int i = 0; i < s->nlevels; i++) {
			int64_t n = w->counts[id][i];
			int v = s->min + i;

			if (!n)
				continue;
			in += n;
			sum += (double)v * (double)n;
			if (scale_is_warm(s, v))
				w->warm += n;
			if (scale_csat_satisfied(s, v))
				w->satisfied += n;
			switch (scale_nps_category(s, v)) {
			case NPS_PROMOTER:
				w->promoters += n;
				break;
			case NPS_PASSIVE:
				w->passives += n;
				break;
			case NPS_DETRACTOR:
				w->detractors += n;
				break;
			}
		}
		if (in) {
			nscales++;
			w->scale = s;
		}
	}
	w->mixed = nscales > 1;
	if (w->mixed)
		w->scale = NULL;
	w->small = w->responses < REPORT_SMALL_N;
	w->response_rate = share(w->responses, w->surveys);
	w->temperature = share(w->warm, w->responses);
	w->csat = share(w->satisfied, w->responses);
	w->nps = w->small ? NAN
			  : 100.0 * (double)(w->promoters - w->detractors) /
				(double)w->responses;
	w->mean = w->small || w->mixed ? NAN : sum / (double)w->responses;
	w->acked_share = share(w->acked, w->alerts);
	w->median_ack = -1;
	if (w->nacks) {
		qsort(w->acks, w->nacks, sizeof(*w->acks), cmp_i64);
		if (w->nacks % 2)
			w->median_ack = w->acks[w->nacks / 2];
		else
			w->median_ack = (w->acks[w->nacks / 2 - 1] +
					 w->acks[w->nacks / 2]) /
					2;
	}
	free(w->acks);
	w->acks = NULL;
	w->nacks = w->capacks = 0;
	w->trend_temperature = w->trend_nps = w->trend_response_rate = NAN;
}

static int cmp_null_first(const char *a, const char *b)
{
	if (!a || !b)
		return !a && !b ? 0 : !a ? -1 : 1;
	return strcmp(a, b);
}

/* Group order is the caller's (kept in the group's rank), then names. */
static int row_cmp(const void *pa, const void *pb)
{
	const struct report_row *a = pa, *b = pb;
	int c;

	if (a->group != b->group)
		return 0; /* sorted within one run only */
	if ((c = cmp_null_first(a->team, b->team)) ||
	    (c = cmp_null_first(a->agent, b->agent)) ||
	    (c = cmp_null_first(a->rule, b->rule)))
		return c;
	return cmp_null_first(a->period, b->period);
}

static double delta(double now, double before)
{
	return isnan(now) || isnan(before) ? NAN : now - before;
}

static void trend_from(struct report_row *w, const struct report_row *p)
{
	w->trend_temperature = delta(w->temperature, p->temperature);
	w->trend_nps = delta(w->nps, p->nps);
	w->trend_response_rate = delta(w->response_rate, p->response_rate);
}

static int same_group(const struct report_row *a, const struct report_row *b)
{
	return a->group == b->group && str_eq(a->team, b->team) &&
	       str_eq(a->agent, b->agent) && str_eq(a->rule, b->rule);
}

/* Rows from..r->n are one group's, sorted: each period is compared with
 * the calendar period just before it, when that one has a row. */
static void trend_periods(struct report *r, size_t from, int by)
{
	char prev[16];

	for (size_t i = from + 1; i < r->n; i++) {
		struct report_row *w = &r->rows[i], *p = &r->rows[i - 1];

		if (!same_group(w, p) || !w->period || !p->period)
			continue;
		if (report_period_prev(by, w->period, prev, sizeof(prev)) ==
			0 &&
		    !strcmp(prev, p->period))
			trend_from(w, p);
	}
}

/* Overall and per-team rows are sums of per-agent cells (every cell is a
 * count, or one alert's time to acknowledge), so one query at the finest
 * of these groupings folds into all of them: a third of the scans of one
 * query per grouping (tests/bench/report). Per-rule rows split otherwise. */
#define ROLLUP_MAX 4

static int rollup_rank(int group)
{
	switch (group) {
	case STORE_GROUP_OVERALL:
		return 1;
	case STORE_GROUP_TEAM:
		return 2;
	case STORE_GROUP_AGENT:
		return 3;
	default:
		return 0;
	}
}

struct fold_all {
	struct fold *f;
	size_t n;
};

static int fold_cells(void *arg, const struct store_report_cell *c)
{
	struct fold_all *a = arg;

	for (size_t i = 0; i < a->n; i++)
		if (fold_cell(&a->f[i], c))
			return -1;
	return 0;
}

/* Rows of groups[0..n) from one query at group query (the finest of
 * them), appended to r in the order of groups; from[i] is where the rows
 * of groups[i] start. */
static enum store_rc run_groups(struct store *st, const struct report_query *q,
				const int *groups, size_t n, int query,
				struct report *r, size_t *from)
{
	struct store_report_query sq = {q->team,  q->agent, q->rule, q->since,
					q->until, q->by,    query};
	struct report part[ROLLUP_MAX];
	struct fold f[ROLLUP_MAX];
	struct fold_all all = {f, n};
	enum store_rc rc;

	memset(part, 0, sizeof(part));
	for (size_t i = 0; i < n; i++) {
		f[i] = (struct fold){&part[i], {NULL, 0}, groups[i]};
		part[i].by = q->by;
	}
	rc = store_report(st, &sq, fold_cells, &all);
	for (size_t i = 0; i < n; i++) {
		struct report *p = &part[i];

		free(f[i].ix.slot);
		from[i] = r->n;
		for (size_t j = 0; j < p->n; j++)
			figures(&p->rows[j]);
		if (rc == STORE_OK && p->n) { /* rows is NULL when empty */
			qsort(p->rows, p->n, sizeof(*p->rows), row_cmp);
			if (r->n + p->n > r->cap) {
				size_t cap = r->n + p->n;
				struct report_row *rows =
				    realloc(r->rows, cap * sizeof(*rows));

				if (!rows) {
					rc = STORE_ERROR; /* out of memory */
				} else {
					r->rows = rows;
					r->cap = cap;
				}
			}
		}
		if (rc == STORE_OK && p->n) {
			memcpy(r->rows + r->n, p->rows,
			       p->n * sizeof(*p->rows));
			r->n += p->n;
			free(p->rows);
		} else {
			report_free(p);
		}
	}
	return rc;
}

static enum store_rc run_group(struct store *st, const struct report_query *q,
			       int group, struct report *r)
{
	size_t from;

	return run_groups(st, q, &group, 1, group, r, &from);
}

enum store_rc report_run(struct store *st, const struct report_query *q,
			 const int *groups, size_t ngroups, struct report *out)
{
	enum store_rc rc = STORE_OK;
	size_t from[ROLLUP_MAX];
	int finest = 0;

	memset(out, 0, sizeof(out[0]));
	out->by = q->by;
	for (size_t g = 0; g < ngroups; g++) {
		int k = rollup_rank(groups[g]);

		if (!k || ngroups > ROLLUP_MAX) {
			finest = 0;
			break;
		}
		if (k > rollup_rank(finest))
			finest = groups[g];
	}
	if (finest && ngroups > 1)
		rc = run_groups(st, q, groups, ngroups, finest, out, from);
	for (size_t g = 0; g < ngroups && rc == STORE_OK; g++) {
		size_t start = out->n;

		if (finest && ngroups > 1)
			start = from[g];
		else if ((rc = run_group(st, q, groups[g], out)) != STORE_OK)
			break;
		if (q->by != STORE_PERIOD_NONE) {
			trend_periods(out, start, q->by);
		} else if (q->since) {
			/* the window of the same length just before */
			int64_t until =
			    q->until ? q->until : (int64_t)time(NULL);
			struct report_query pq = *q;
			struct report prev;

			pq.until = q->since;
			pq.since = q->since - (until - q->since);
			if (pq.since >= pq.until)
				continue;
			memset(&prev, 0, sizeof(prev));
			if ((rc = run_group(st, &pq, groups[g], &prev)) ==
			    STORE_OK)
				for (size_t i = start; i < out->n; i++)
					for (size_t j = 0; j < prev.n; j++)
						if (same_group(&out->rows[i],
							       &prev.rows[j]))
							trend_from(
							    &out->rows[i],
							    &prev.rows[j]);
			report_free(&prev);
		}
	}
	if (rc != STORE_OK)
		report_free(out);
	return rc;
}

void report_free(struct report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		row_free(&r->rows[i]);
	free(r->rows);
	r->rows = NULL;
	r->n = r->cap = 0;
}

/* ------------------------------------------------------------ periods */

static int64_t days_from_civil(int y, int m, int d)
{
	struct tm tm = {0};

	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	tm.tm_hour = 12; /* far from any edge */
	return (int64_t)timegm(&tm) / SECONDS_PER_DAY;
}

static void civil(int64_t day, struct tm *tm)
{
	time_t t = (time_t)(day * SECONDS_PER_DAY + 43200);

	gmtime_r(&t, tm);
}

/* ISO 8601: week 1 holds January 4th; weeks start on Monday. */
static int64_t iso_week_monday(int y, int w)
{
	int64_t jan4 = days_from_civil(y, 1, 4);
	struct tm tm;

	civil(jan4, &tm);
	return jan4 - (tm.tm_wday + 6) % 7 + 7 * (int64_t)(w - 1);
}

int report_period_prev(int by, const char *p, char *out, size_t outlen)
{
	int y, m, d, n = 0;
	struct tm tm;

	switch (by) {
	case STORE_PERIOD_DAY:
		if (sscanf(p, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || p[n])
			return -1;
		civil(days_from_civil(y, m, d) - 1, &tm);
		snprintf(out, outlen, "%04d-%02d-%02d", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday);
		return 0;
	case STORE_PERIOD_WEEK:
		if (sscanf(p, "%4d-W%2d%n", &y, &d, &n) != 2 || p[n] || d < 1 ||
		    d > 53)
			return -1;
		/* the Thursday of the week before names its year */
		civil(iso_week_monday(y, d) - 7 + 3, &tm);
		snprintf(out, outlen, "%04d-W%02d", tm.tm_year + 1900,
			 tm.tm_yday / 7 + 1);
		return 0;
	case STORE_PERIOD_MONTH:
		if (sscanf(p, "%4d-%2d%n", &y, &m, &n) != 2 || p[n] || m < 1 ||
		    m > 12)
			return -1;
		snprintf(out, outlen, "%04d-%02d", m == 1 ? y - 1 : y,
			 m == 1 ? 12 : m - 1);
		return 0;
	case STORE_PERIOD_QUARTER:
		if (sscanf(p, "%4d-Q%1d%n", &y, &m, &n) != 2 || p[n] || m < 1 ||
		    m > 4)
			return -1;
		snprintf(out, outlen, "%04d-Q%d", m == 1 ? y - 1 : y,
			 m == 1 ? 4 : m - 1);
		return 0;
	}
	return -1;
}

int report_period_parse(const char *s)
{
	static const char *const names[] = {"none", "day", "week", "month",
					    "quarter"};

	if (s && !strcasecmp(s, "all"))
		return STORE_PERIOD_NONE;
	for (int i = 0; s && i < 5; i++)
		if (!strcasecmp(s, names[i]))
			return i;
	return -1;
}

const char *report_group_name(int group)
{
	switch (group) {
	case STORE_GROUP_OVERALL:
		return "overall";
	case STORE_GROUP_TEAM:
		return "team";
	case STORE_GROUP_AGENT:
		return "agent";
	case STORE_GROUP_RULE:
		return "rule";
	}
	return "?";
}

int64_t report_parse_date(const char *s)
{
	int y, m, d, hh = 0, mm = 0, ss = 0, n = 0;
	char *end;
	long long v;

	if (!s || !*s)
		return -1;
	if (sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) == 3 && n == 10) {
		if (s[n] == 'T' || s[n] == ' ') {
			int k = 0;

			if (sscanf(s + n + 1, "%2d:%2d:%2d%n", &hh, &mm, &ss,
				   &k) != 3 ||
			    (s[n + 1 + k] && strcmp(s + n + 1 + k, "Z")))
				return -1;
		} else if (s[n]) {
			return -1;
		}
		if (m < 1 || m > 12 || d < 1 || d > 31 || hh > 23 || mm > 59 ||
		    ss > 60 || y < 1970)
			return -1;
		return days_from_civil(y, m, d) * SECONDS_PER_DAY + hh * 3600 +
		       mm * 60 + ss;
	}
	v = strtoll(s, &end, 10);
	if (*end || v < 0)
		return -1;
	return (int64_t)v;
}

/* ------------------------------------------------------------ comments */

struct comments_ctx {
	struct report_comment *c;
	size_t n, cap;
	int failed;
};

static int take_comment(void *arg, const struct store_rating_row *r)
{
	struct comments_ctx *x = arg;
	struct report_comment *c;

	if (x->n == x->cap) {
		size_t cap = x->cap ? x->cap * 2 : 16;
		struct report_comment *a = realloc(x->c, cap * sizeof(*a));

		if (!a)
			return x->failed = -1;
		x->c = a;
		x->cap = cap;
	}
	c = &x->c[x->n];
	memset(c, 0, sizeof(*c));
	c->at = r->at;
	c->level = r->level;
	c->scale = scale_or_default(r->scale);
	x->n++;
	if (dup_or_null(r->team, &c->team) < 0 ||
	    dup_or_null(r->agent, &c->agent) < 0 ||
	    dup_or_null(r->ticket, &c->ticket) < 0 ||
	    dup_or_null(r->subject, &c->subject) < 0 ||
	    dup_or_null(r->why, &c->why) < 0 ||
	    dup_or_null(r->better, &c->better) < 0)
		return x->failed = -1;
	return 0;
}

enum store_rc report_comments(struct store *st,
			      const struct store_rating_filter *f,
			      struct report_comment **out, size_t *n)
{
	struct comments_ctx x = {NULL, 0, 0, 0};
	enum store_rc rc = store_rating_rows(st, f, take_comment, &x);

	if (rc != STORE_OK) {
		report_comments_free(x.c, x.n);
		*out = NULL;
		*n = 0;
		return rc;
	}
	*out = x.c;
	*n = x.n;
	return STORE_OK;
}

void report_comments_free(struct report_comment *c, size_t n)
{
	for (size_t i = 0; c && i < n; i++) {
		free(c[i].team);
		free(c[i].agent);
		free(c[i].ticket);
		free(c[i].subject);
		free(c[i].why);
		free(c[i].better);
	}
	free(c);
}
