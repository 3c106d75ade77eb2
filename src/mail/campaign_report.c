/* SPDX-License-Identifier: BSD-2-Clause */
/* Relationship NPS figures and their formats (campaign_report.h). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "campaign_report.h"
#include "store_campaign.h"

/* Two team names, either may be NULL (no team). */
static int same_team(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return !strcmp(a, b);
}

static double pct(int64_t a, int64_t b)
{
	return b ? 100.0 * (double)a / (double)b : 0.0;
}

int campaign_report_add(struct campaign_report *r, const char *team,
			int64_t round_id, int64_t started_at, int64_t sent,
			int64_t responses, int64_t promoters, int64_t passives,
			int64_t detractors)
{
	struct campaign_figures *a = realloc(r->rows, (r->n + 1) * sizeof(*a));
	struct campaign_figures *f, *prev;

	if (!a)
		return -1;
	r->rows = a;
	f = &a[r->n];
	memset(f, 0, sizeof(*f));
	if (team && !(f->team = strdup(team)))
		return -1;
	r->n++;
	f->round_id = round_id;
	f->started_at = started_at;
	f->sent = sent;
	f->responses = responses;
	f->promoters = promoters;
	f->passives = passives;
	f->detractors = detractors;
	f->rate = pct(responses, sent);
	f->shown = responses >= CAMPAIGN_MIN_N;
	if (f->shown) {
		f->ppct = pct(promoters, responses);
		f->papct = pct(passives, responses);
		f->dpct = pct(detractors, responses);
		/* NPS from counts, rounded half away from zero */
		{
			double v = f->ppct - f->dpct;
			f->nps = (int)(v < 0 ? v - 0.5 : v + 0.5);
		}
	}
	prev = r->n > 1 ? &a[r->n - 2] : NULL;
	if (prev && f->shown && prev->shown && same_team(prev->team, team)) {
		f->has_trend = 1;
		f->trend = f->nps - prev->nps;
	}
	return 0;
}

static int load_cell(void *arg, const struct store_campaign_cell *c)
{
	struct campaign_report *r = arg;

	if (campaign_report_add(r, c->team, c->round_id, c->started_at, c->sent,
				c->responses, c->promoters, c->passives,
				c->detractors) < 0)
		return -1;
	r->rows[r->n - 1].alerts = c->alerts;
	r->rows[r->n - 1].acked = c->acked;
	return 0;
}

enum store_rc campaign_report_load(struct store *st, const char *campaign,
				   struct campaign_report *out)
{
	enum store_rc rc;

	memset(out, 0, sizeof(*out));
	if (!(out->campaign = strdup(campaign)))
		return STORE_ERROR;
	rc = store_campaign_report(st, campaign, load_cell, out);
	if (rc != STORE_OK)
		campaign_report_free(out);
	return rc;
}

void campaign_report_free(struct campaign_report *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->rows[i].team);
	free(r->rows);
	free(r->campaign);
	memset(r, 0, sizeof(*r));
}

static void day(int64_t t, char out[16])
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, 16, "%Y-%m-%d", &tm);
}

static void esc(struct buf *b, const char *s)
{
	if (s)
		buf_put_html(b, s, strlen(s));
}

/* CSV: a field with a comma, quote or line break in quotes, quotes
 * doubled; a leading = + - @ gets a ' so no spreadsheet runs it. */
static void csv_field(struct buf *b, const char *s)
{
	if (!s)
		return;
	if (strchr("=+-@", *s) && *s) {
		buf_puts(b, "\"'");
	} else if (strpbrk(s, ",\"\r\n")) {
		buf_putc(b, '"');
	} else {
		buf_puts(b, s);
		return;
	}
	for (; *s; s++) {
		if (*s == '"')
			buf_putc(b, '"');
		buf_putc(b, *s);
	}
	buf_putc(b, '"');
}

static void json_str(struct buf *b, const char *s)
{
	if (!s) {
		buf_puts(b, "null");
		return;
	}
	buf_putc(b, '"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			buf_printf(b, "\\%c", c);
		else if (c < 0x20)
			buf_printf(b, "\\u%04x", c);
		else
			buf_putc(b, (char)c);
	}
	buf_putc(b, '"');
}

static void cat_text(struct buf *b, int64_t n, double p, int shown)
{
	if (shown)
		buf_printf(b, "%5lld (%3.0f%%)", (long long)n, p);
	else
		buf_printf(b, "%5lld       ", (long long)n);
}

static void render_text(const struct campaign_report *r, struct buf *b)
{
	buf_printf(b,
		   "Relationship NPS: campaign %s (for improving, not for "
		   "ranking teams; fewer than %d answers: counts only)\n\n",
		   r->campaign, CAMPAIGN_MIN_N);
	buf_printf(b,
		   "%-16s %-10s %6s %9s %5s %-12s %-12s %-12s %5s %5s %6s "
		   "%5s\n",
		   "team", "round", "sent", "responses", "rate", "promoters",
		   "passives", "detractors", "NPS", "trend", "alerts", "acked");
	for (size_t i = 0; i < r->n; i++) {
		const struct campaign_figures *f = &r->rows[i];
		char d[16];
		day(f->started_at, d);
		buf_printf(b, "%-16s %-10s %6lld %9lld %4.0f%% ",
			   f->team ? f->team : "-", d, (long long)f->sent,
			   (long long)f->responses, f->rate);
		cat_text(b, f->promoters, f->ppct, f->shown);
		buf_putc(b, ' ');
		cat_text(b, f->passives, f->papct, f->shown);
		buf_putc(b, ' ');
		cat_text(b, f->detractors, f->dpct, f->shown);
		if (f->shown)
			buf_printf(b, " %+5d", f->nps);
		else
			buf_puts(b, "     -");
		if (f->has_trend)
			buf_printf(b, " %+5d", f->trend);
		else
			buf_puts(b, "     -");
		buf_printf(b, " %6lld %5lld\n", (long long)f->alerts,
			   (long long)f->acked);
	}
	if (!r->n)
		buf_puts(b, "(no rounds yet)\n");
}

static void render_csv(const struct campaign_report *r, struct buf *b)
{
	buf_puts(b, "campaign,team,round,started,sent,responses,"
		    "response_rate,promoters,passives,detractors,"
		    "promoters_pct,passives_pct,detractors_pct,nps,trend,"
		    "alerts,acked\r\n");
	for (size_t i = 0; i < r->n; i++) {
		const struct campaign_figures *f = &r->rows[i];
		char d[16];
		day(f->started_at, d);
		csv_field(b, r->campaign);
		buf_putc(b, ',');
		csv_field(b, f->team);
		buf_printf(b, ",%lld,%s,%lld,%lld,%.1f,%lld,%lld,%lld,",
			   (long long)f->round_id, d, (long long)f->sent,
			   (long long)f->responses, f->rate,
			   (long long)f->promoters, (long long)f->passives,
			   (long long)f->detractors);
		if (f->shown)
			buf_printf(b, "%.1f,%.1f,%.1f,%d,", f->ppct, f->papct,
				   f->dpct, f->nps);
		else
			buf_puts(b, ",,,,");
		if (f->has_trend)
			buf_printf(b, "%d", f->trend);
		buf_printf(b, ",%lld,%lld\r\n", (long long)f->alerts,
			   (long long)f->acked);
	}
}

static void render_json(const struct campaign_report *r, struct buf *b)
{
	buf_puts(b, "{\"campaign\": ");
	json_str(b, r->campaign);
	buf_printf(b, ", \"min_answers\": %d, \"rounds\": [", CAMPAIGN_MIN_N);
	for (size_t i = 0; i < r->n; i++) {
		const struct campaign_figures *f = &r->rows[i];
		char d[16];
		day(f->started_at, d);
		buf_puts(b, i ? ",\n  {\"team\": " : "\n  {\"team\": ");
		json_str(b, f->team);
		buf_printf(b,
			   ", \"round\": %lld, \"started\": \"%s\", \"sent\": "
			   "%lld, \"responses\": %lld, \"response_rate\": "
			   "%.1f, \"promoters\": %lld, \"passives\": %lld, "
			   "\"detractors\": %lld, ",
			   (long long)f->round_id, d, (long long)f->sent,
			   (long long)f->responses, f->rate,
			   (long long)f->promoters, (long long)f->passives,
			   (long long)f->detractors);
		if (f->shown)
			buf_printf(b,
				   "\"promoters_pct\": %.1f, \"passives_pct\": "
				   "%.1f, \"detractors_pct\": %.1f, \"nps\": "
				   "%d, ",
				   f->ppct, f->papct, f->dpct, f->nps);
		else
			buf_puts(b,
				 "\"promoters_pct\": null, "
				 "\"passives_pct\": null, "
				 "\"detractors_pct\": null, \"nps\": null, ");
		if (f->has_trend)
			buf_printf(b, "\"trend\": %d, ", f->trend);
		else
			buf_puts(b, "\"trend\": null, ");
		buf_printf(b, "\"alerts\": %lld, \"acked\": %lld}",
			   (long long)f->alerts, (long long)f->acked);
	}
	buf_puts(b, "\n]}\n");
}

static void html_cat(struct buf *b, int64_t n, double p, int shown,
		     const char *cls)
{
	buf_printf(b, "<td class=\"%s\">%lld", cls, (long long)n);
	if (shown)
		buf_printf(b, " <small>(%.0f%%)</small>", p);
	buf_puts(b, "</td>");
}

static void html_row(struct buf *b, const struct campaign_figures *f)
{
	char d[16];

	day(f->started_at, d);
	buf_puts(b, "<tr><td>");
	esc(b, f->team ? f->team : "-");
	buf_printf(b,
		   "</td><td>%s</td><td>%lld</td><td>%lld</td>"
		   "<td>%.0f%%</td>",
		   d, (long long)f->sent, (long long)f->responses, f->rate);
	html_cat(b, f->promoters, f->ppct, f->shown, "p");
	html_cat(b, f->passives, f->papct, f->shown, "m");
	html_cat(b, f->detractors, f->dpct, f->shown, "d");
	if (f->shown)
		buf_printf(b, "<td class=\"nps\">%+d</td>", f->nps);
	else
		buf_puts(b, "<td class=\"nps\" title=\"fewer than 5 "
			    "answers\">&ndash;</td>");
	if (f->has_trend)
		buf_printf(b, "<td>%s%+d</td>",
			   f->trend > 0	  ? "&#9650; "
			   : f->trend < 0 ? "&#9660; "
					  : "",
			   f->trend);
	else
		buf_puts(b, "<td>&ndash;</td>");
	buf_printf(b, "<td>%lld</td><td>%lld</td></tr>\n", (long long)f->alerts,
		   (long long)f->acked);
}

static const char html_head[] =
    "<tr><th>team</th><th>round</th><th>sent</th><th>responses</th>"
    "<th>rate</th><th>promoters</th><th>passives</th><th>detractors</th>"
    "<th>NPS</th><th>trend</th><th>alerts</th><th>acked</th></tr>\n";

static void render_html(const struct campaign_report *r, struct buf *b)
{
	buf_puts(b, "<!doctype html>\n<html lang=\"en\"><head><meta "
		    "charset=\"utf-8\"><title>Relationship NPS: ");
	esc(b, r->campaign);
	buf_puts(b, "</title><style>body{font-family:system-ui,sans-serif;"
		    "margin:1.5em;color:#222}table{border-collapse:collapse}"
		    "th,td{padding:.35em .7em;border-bottom:1px solid #ddd;"
		    "text-align:right}th:first-child,td:first-child{text-align:"
		    "left}td.p{color:#1e8449}td.m{color:#b9770e}td.d{color:"
		    "#c0392b}td.nps{font-weight:bold}small{color:#666}p.note{"
		    "color:#555;font-size:.9em}</style></head><body>\n<h1>"
		    "Relationship NPS: ");
	esc(b, r->campaign);
	buf_printf(b,
		   "</h1>\n<p class=\"note\">Per team and round, for "
		   "improving, not for ranking teams. Fewer than %d answers: "
		   "counts only.</p>\n<table>\n%s",
		   CAMPAIGN_MIN_N, html_head);
	for (size_t i = 0; i < r->n; i++)
		html_row(b, &r->rows[i]);
	buf_puts(b, "</table>\n</body></html>\n");
}

void campaign_report_render(const struct campaign_report *r, int format,
			    struct buf *out)
{
	switch (format) {
	case CAMPAIGN_REPORT_CSV:
		render_csv(r, out);
		break;
	case CAMPAIGN_REPORT_JSON:
		render_json(r, out);
		break;
	case CAMPAIGN_REPORT_HTML:
		render_html(r, out);
		break;
	default:
		render_text(r, out);
	}
}

int campaign_report_latest_html(const struct campaign_report *r,
				int (*visible)(void *arg, const char *team),
				void *arg, struct buf *out)
{
	int shown = 0;

	for (size_t i = 0; i < r->n; i++) {
		const struct campaign_figures *f = &r->rows[i];
		const struct campaign_figures *next =
		    i + 1 < r->n ? &r->rows[i + 1] : NULL;
		/* rows are by team, oldest first: the last of a team */
		if (next &&
		    (next->team ? f->team && !strcmp(f->team, next->team)
				: !f->team))
			continue;
		if (visible && !visible(arg, f->team))
			continue;
		if (!shown++) {
			buf_puts(out, "<table class=\"campaign\">\n");
			buf_puts(out, html_head);
		}
		html_row(out, f);
	}
	if (shown)
		buf_puts(out, "</table>\n");
	return shown;
}
