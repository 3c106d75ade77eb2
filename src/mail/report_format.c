/* SPDX-License-Identifier: BSD-2-Clause */
/* Report writers: text for a terminal, csv and json for scripts, one
 * self-contained html page, and the inline SVG charts the dashboard
 * shares. Every text that came from a person or a mail is escaped for
 * its format here, nowhere else. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "clock.h"
#include "report.h"

int report_format_parse(const char *s)
{
	static const char *const names[] = {"text", "csv", "json", "html"};

	for (int i = 0; s && i < 4; i++)
		if (!strcasecmp(s, names[i]))
			return i;
	return -1;
}

static const char *or_dash(const char *s)
{
	return s ? s : "-";
}

/* "red:1 amber:0 green:3 gold:2"; one scale per row, or each used scale
 * as "scale/level:n" when they are mixed. */
static void put_counts(struct buf *b, const struct report_row *w,
		       const char *sep, const char *eq)
{
	int first = 1;

	for (int id = 0; id < SCALE_COUNT; id++) {
		const struct scale *s = scale_get((enum scale_id)id);
		int64_t in = 0;

		for (int i = 0; i < s->nlevels; i++)
			in += w->counts[id][i];
		if (!in && !(w->scale == s || (!w->scale && !w->mixed &&
					       id == SCALE_THERMOMETER)))
			continue;
		for (int i = 0; i < s->nlevels; i++) {
			buf_printf(b, "%s%s%s%s%s%lld", first ? "" : sep,
				   w->mixed ? s->name : "", w->mixed ? "/" : "",
				   s->levels[i].key, eq,
				   (long long)w->counts[id][i]);
			first = 0;
		}
	}
}

void report_put_share(struct buf *b, double v, int64_t n)
{
	if (isnan(v))
		buf_printf(b, "n=%lld", (long long)n);
	else
		buf_printf(b, "%.1f %%", v);
}

static void put_num(struct buf *b, double v, const char *none)
{
	if (isnan(v))
		buf_puts(b, none);
	else
		buf_printf(b, "%.1f", v);
}

static void put_signed(struct buf *b, double v, const char *none)
{
	if (isnan(v))
		buf_puts(b, none);
	else
		buf_printf(b, "%+.1f", v);
}

static void put_duration(struct buf *b, int64_t s)
{
	if (s < 0)
		buf_puts(b, "-");
	else if (s < 3600)
		buf_printf(b, "%lldm", (long long)(s + 59) / 60);
	else if (s < SECONDS_PER_DAY * 2)
		buf_printf(b, "%.1fh", (double)s / 3600);
	else
		buf_printf(b, "%.1fd", (double)s / SECONDS_PER_DAY);
}

/* ------------------------------------------------------------ text */

static void cell(struct buf *b, const char *s, int width, int right)
{
	int len = (int)strlen(s);

	if (right)
		buf_printf(b, "%*s%s ", width > len ? width - len : 0, "", s);
	else
		buf_printf(b, "%s%*s ", s, width > len ? width - len : 0, "");
}

void report_write_text(struct buf *b, const struct report *r)
{
	static const char *const head[] = {"TEAM", "AGENT", "PERIOD", "SENT",
					   "RESP", "RATE",  "TEMP",   "NPS",
					   "CSAT", "MEAN",  "ALERTS", "ACKED",
					   "ACK~", "BOTS",  "MAIL",   "TREND"};
	static const int width[] = {14, 14, 9, 6, 5, 6, 6, 6,
				    6,	5,  6, 6, 5, 5, 5, 6};
	struct buf t;
	int small = 0;

	buf_init(&t);
	for (size_t i = 0; i < sizeof(head) / sizeof(head[0]); i++)
		cell(b, head[i], width[i], i >= 3);
	buf_puts(b, " LEVELS\n");
	for (size_t i = 0; i < r->n; i++) {
		const struct report_row *w = &r->rows[i];
		char v[64];
		const char *team = w->group == STORE_GROUP_OVERALL ? "(all)"
				   : w->group == STORE_GROUP_RULE  ? w->rule
								   : w->team;

		small |= w->small || isnan(w->response_rate);
		cell(b, or_dash(team), width[0], 0);
		cell(b, w->group == STORE_GROUP_AGENT ? w->agent : "-",
		     width[1], 0);
		cell(b, w->period ? w->period : "all", width[2], 0);
		snprintf(v, sizeof(v), "%lld", (long long)w->surveys);
		cell(b, v, width[3], 1);
		snprintf(v, sizeof(v), "%lld", (long long)w->responses);
		cell(b, v, width[4], 1);
		double f[] = {w->response_rate, w->temperature, w->nps, w->csat,
			      w->mean};
		for (int k = 0; k < 5; k++) {
			buf_reset(&t);
			if (k == 2 && !isnan(f[k]))
				put_signed(&t, f[k], "-");
			else
				put_num(&t, f[k], "-");
			cell(b, t.data ? t.data : "", width[5 + k], 1);
		}
		snprintf(v, sizeof(v), "%lld", (long long)w->alerts);
		cell(b, v, width[10], 1);
		buf_reset(&t);
		if (isnan(w->acked_share))
			buf_printf(&t, "%lld", (long long)w->acked);
		else
			buf_printf(&t, "%.0f%%", w->acked_share);
		cell(b, t.data ? t.data : "", width[11], 1);
		buf_reset(&t);
		put_duration(&t, w->median_ack);
		cell(b, t.data ? t.data : "", width[12], 1);
		snprintf(v, sizeof(v), "%lld", (long long)w->machine_hits);
		cell(b, v, width[13], 1);
		snprintf(v, sizeof(v), "%lld", (long long)w->mail);
		cell(b, v, width[14], 1);
		buf_reset(&t);
		put_signed(&t, w->trend_temperature, "");
		cell(b, t.data ? t.data : "", width[15], 1);
		buf_putc(b, ' ');
		put_counts(b, w, " ", ":");
		buf_putc(b, '\n');
	}
	if (small)
		buf_printf(b,
			   "\n- : fewer than %d cases; see the counts. RATE, "
			   "TEMP, CSAT in %%, NPS and TREND in points.\n",
			   REPORT_SMALL_N);
	buf_free(&t);
}

/* ------------------------------------------------------------ csv */

static void csv_field(struct buf *b, const char *s)
{
	if (!s)
		return;
	if (!s[strcspn(s, ",\"\r\n")]) {
		/* a leading = + - @ would be a formula in a spreadsheet */
		if (strchr("=+-@", s[0]) && s[0])
			buf_putc(b, '\'');
		buf_puts(b, s);
		return;
	}
	buf_putc(b, '"');
	if (strchr("=+-@", s[0]) && s[0])
		buf_putc(b, '\'');
	for (; *s; s++) {
		if (*s == '"')
			buf_putc(b, '"');
		buf_putc(b, *s);
	}
	buf_putc(b, '"');
}

static void csv_num(struct buf *b, double v)
{
	buf_putc(b, ',');
	if (!isnan(v))
		buf_printf(b, "%.1f", v);
}

void report_write_csv(struct buf *b, const struct report *r)
{
	struct buf t;

	buf_init(&t);
	buf_puts(b, "group,team,agent,rule,period,scale,surveys,responses,"
		    "response_rate,temperature,nps,csat,mean,warm,satisfied,"
		    "promoters,passives,detractors,web,mail,machine_hits,"
		    "alerts,acked,acked_share,median_ack_seconds,"
		    "trend_temperature,trend_nps,trend_response_rate,small_n,"
		    "counts\r\n");
	for (size_t i = 0; i < r->n; i++) {
		const struct report_row *w = &r->rows[i];

		buf_puts(b, report_group_name(w->group));
		buf_putc(b, ',');
		csv_field(b, w->team);
		buf_putc(b, ',');
		csv_field(b, w->agent);
		buf_putc(b, ',');
		csv_field(b, w->rule);
		buf_putc(b, ',');
		csv_field(b, w->period);
		buf_printf(b, ",%s,%lld,%lld",
			   w->mixed   ? "mixed"
			   : w->scale ? w->scale->name
				      : "",
			   (long long)w->surveys, (long long)w->responses);
		csv_num(b, w->response_rate);
		csv_num(b, w->temperature);
		csv_num(b, w->nps);
		csv_num(b, w->csat);
		csv_num(b, w->mean);
		buf_printf(b,
			   ",%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld",
			   (long long)w->warm, (long long)w->satisfied,
			   (long long)w->promoters, (long long)w->passives,
			   (long long)w->detractors, (long long)w->web,
			   (long long)w->mail, (long long)w->machine_hits,
			   (long long)w->alerts, (long long)w->acked);
		csv_num(b, w->acked_share);
		buf_putc(b, ',');
		if (w->median_ack >= 0)
			buf_printf(b, "%lld", (long long)w->median_ack);
		csv_num(b, w->trend_temperature);
		csv_num(b, w->trend_nps);
		csv_num(b, w->trend_response_rate);
		buf_printf(b, ",%d,", w->small);
		buf_reset(&t);
		put_counts(&t, w, ";", "=");
		csv_field(b, t.data);
		buf_puts(b, "\r\n");
	}
	buf_free(&t);
}

/* ------------------------------------------------------------ json */

static void json_str(struct buf *b, const char *s)
{
	if (!s) {
		buf_puts(b, "null");
		return;
	}
	buf_putc(b, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			buf_printf(b, "\\%c", *p);
		else if (*p < 0x20)
			buf_printf(b, "\\u%04x", *p);
		else
			buf_putc(b, (char)*p);
	}
	buf_putc(b, '"');
}

static void json_num(struct buf *b, const char *key, double v)
{
	buf_printf(b, ",\"%s\":", key);
	if (isnan(v))
		buf_puts(b, "null");
	else
		buf_printf(b, "%.1f", v);
}

static void json_int(struct buf *b, const char *key, int64_t v)
{
	buf_printf(b, ",\"%s\":%lld", key, (long long)v);
}

void report_write_json(struct buf *b, const struct report *r)
{
	buf_puts(b, "[");
	for (size_t i = 0; i < r->n; i++) {
		const struct report_row *w = &r->rows[i];
		int first = 1;

		buf_puts(b, i ? ",\n {\"group\":" : "\n {\"group\":");
		json_str(b, report_group_name(w->group));
		buf_puts(b, ",\"team\":");
		json_str(b, w->team);
		buf_puts(b, ",\"agent\":");
		json_str(b, w->agent);
		buf_puts(b, ",\"rule\":");
		json_str(b, w->rule);
		buf_puts(b, ",\"period\":");
		json_str(b, w->period);
		buf_puts(b, ",\"scale\":");
		json_str(b, w->mixed   ? "mixed"
			    : w->scale ? w->scale->name
				       : NULL);
		json_int(b, "surveys", w->surveys);
		json_int(b, "responses", w->responses);
		json_num(b, "response_rate", w->response_rate);
		buf_puts(b, ",\"counts\":{");
		for (int id = 0; id < SCALE_COUNT; id++) {
			const struct scale *s = scale_get((enum scale_id)id);
			int64_t in = 0;

			for (int k = 0; k < s->nlevels; k++)
				in += w->counts[id][k];
			if (!in)
				continue;
			for (int k = 0; k < s->nlevels; k++) {
				char key[64];

				snprintf(key, sizeof(key), "%s%s%s",
					 w->mixed ? s->name : "",
					 w->mixed ? "/" : "", s->levels[k].key);
				buf_puts(b, first ? "" : ",");
				json_str(b, key);
				buf_printf(b, ":%lld",
					   (long long)w->counts[id][k]);
				first = 0;
			}
		}
		buf_puts(b, "}");
		json_num(b, "temperature", w->temperature);
		json_num(b, "nps", w->nps);
		json_num(b, "csat", w->csat);
		json_num(b, "mean", w->mean);
		json_int(b, "warm", w->warm);
		json_int(b, "satisfied", w->satisfied);
		json_int(b, "promoters", w->promoters);
		json_int(b, "passives", w->passives);
		json_int(b, "detractors", w->detractors);
		json_int(b, "web", w->web);
		json_int(b, "mail", w->mail);
		json_int(b, "machine_hits", w->machine_hits);
		json_int(b, "alerts", w->alerts);
		json_int(b, "acked", w->acked);
		json_num(b, "acked_share", w->acked_share);
		buf_puts(b, ",\"median_ack_seconds\":");
		if (w->median_ack >= 0)
			buf_printf(b, "%lld", (long long)w->median_ack);
		else
			buf_puts(b, "null");
		buf_puts(b, ",\"trend\":{\"temperature\":");
		put_num(b, w->trend_temperature, "null");
		buf_puts(b, ",\"nps\":");
		put_num(b, w->trend_nps, "null");
		buf_puts(b, ",\"response_rate\":");
		put_num(b, w->trend_response_rate, "null");
		buf_printf(b, "},\"small_n\":%s}", w->small ? "true" : "false");
	}
	buf_puts(b, r->n ? "\n]\n" : "]\n");
}

/* ------------------------------------------------------------ svg */

#define SVG_W 560
#define SVG_H 200
#define SVG_PAD 36

static double svg_y(double v, double lo, double hi)
{
	return SVG_H - SVG_PAD / 2 - (v - lo) / (hi - lo) * (SVG_H - SVG_PAD);
}

static void svg_series(struct buf *b, const struct report_row *const *rows,
		       size_t n, int nps, const char *color)
{
	int open = 0;
	double lo = nps ? -100 : 0, step;

	step = n > 1 ? (double)(SVG_W - 2 * SVG_PAD) / (double)(n - 1) : 0;
	for (size_t i = 0; i < n; i++) {
		double v = nps ? rows[i]->nps : rows[i]->temperature;
		double x = SVG_PAD + step * (double)i;

		if (isnan(v)) {
			if (open)
				buf_puts(b, "\"/>");
			open = 0;
			continue;
		}
		if (!open)
			buf_printf(b,
				   "<polyline fill=\"none\" stroke=\"%s\" "
				   "stroke-width=\"2\" points=\"",
				   color);
		buf_printf(b, "%s%.1f,%.1f", open ? " " : "", x,
			   svg_y(v, lo, 100));
		open = 1;
	}
	if (open)
		buf_puts(b, "\"/>");
	for (size_t i = 0; i < n; i++) {
		double v = nps ? rows[i]->nps : rows[i]->temperature;

		if (!isnan(v))
			buf_printf(b,
				   "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" "
				   "fill=\"%s\"><title>%.1f</title></circle>",
				   SVG_PAD + step * (double)i,
				   svg_y(v, lo, 100), color, v);
	}
}

void report_svg_trend(struct buf *b, const struct report_row *const *rows,
		      size_t n)
{
	double step =
	    n > 1 ? (double)(SVG_W - 2 * SVG_PAD) / (double)(n - 1) : 0;

	buf_printf(b,
		   "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 "
		   "%d %d\" width=\"%d\" height=\"%d\" role=\"img\" "
		   "class=\"chart\"><title>Temperature (%%, orange) and NPS "
		   "(-100..100, blue) per period</title>",
		   SVG_W, SVG_H, SVG_W, SVG_H);
	/* grid: 0, 50, 100 for the temperature; NPS 0 is the middle line */
	for (int g = 0; g <= 100; g += 50)
		buf_printf(b,
			   "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" "
			   "stroke=\"#ccc\"/><text x=\"4\" y=\"%.1f\" "
			   "font-size=\"10\" fill=\"#555\">%d</text>",
			   SVG_PAD, SVG_W - SVG_PAD, svg_y(g, 0, 100),
			   svg_y(g, 0, 100), svg_y(g, 0, 100) + 3, g);
	for (size_t i = 0; i < n; i++)
		if (rows[i]->period && (n <= 12 || i % ((n + 11) / 12) == 0))
			buf_printf(b,
				   "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" "
				   "text-anchor=\"middle\" fill=\"#555\">%s"
				   "</text>",
				   SVG_PAD + step * (double)i, SVG_H - 4,
				   rows[i]->period);
	svg_series(b, rows, n, 0, "#c05a00");
	svg_series(b, rows, n, 1, "#1f5fa8");
	buf_puts(b, "</svg>");
}

void report_svg_levels(struct buf *b, const struct report_row *w)
{
	const struct scale *s =
	    w->scale ? w->scale : scale_get(SCALE_THERMOMETER);
	int64_t max = 1;
	double bw;

	if (w->mixed) {
		buf_puts(b, "<p>(ratings on more than one scale)</p>");
		return;
	}
	for (int i = 0; i < s->nlevels; i++)
		if (w->counts[s->id][i] > max)
			max = w->counts[s->id][i];
	bw = (double)(SVG_W - 2 * SVG_PAD) / s->nlevels;
	buf_printf(b,
		   "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 "
		   "%d %d\" width=\"%d\" height=\"%d\" role=\"img\" "
		   "class=\"chart\"><title>Ratings per level</title>",
		   SVG_W, SVG_H, SVG_W, SVG_H);
	for (int i = 0; i < s->nlevels; i++) {
		int64_t n = w->counts[s->id][i];
		double h = (double)n / (double)max * (SVG_H - SVG_PAD - 10);
		double x = SVG_PAD + bw * i;

		buf_printf(b,
			   "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
			   "height=\"%.1f\" fill=\"%s\"><title>%s: %lld"
			   "</title></rect>"
			   "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" "
			   "text-anchor=\"middle\" fill=\"#222\">%lld</text>"
			   "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" "
			   "text-anchor=\"middle\" fill=\"#222\">%s</text>",
			   x + 4, SVG_H - SVG_PAD / 2 - h, bw - 8, h,
			   s->levels[i].color, s->levels[i].key, (long long)n,
			   x + bw / 2, SVG_H - SVG_PAD / 2 - h - 3,
			   (long long)n, x + bw / 2, SVG_H - 2,
			   s->levels[i].key);
	}
	buf_puts(b, "</svg>");
}

/* ------------------------------------------------------------ html */

static void html(struct buf *b, const char *s)
{
	if (s)
		buf_put_html(b, s, strlen(s));
}

static void html_date(struct buf *b, int64_t t)
{
	char d[32];
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(d, sizeof(d), "%Y-%m-%d %H:%M", &tm);
	buf_puts(b, d);
}

static void html_row(struct buf *b, const struct report_row *w)
{
	buf_puts(b, "<tr><td>");
	html(b, w->group == STORE_GROUP_OVERALL ? "(all)"
		: w->group == STORE_GROUP_RULE	? w->rule
						: w->team);
	buf_puts(b, "</td><td>");
	html(b, w->group == STORE_GROUP_AGENT ? w->agent : "");
	buf_puts(b, "</td><td>");
	html(b, w->period ? w->period : "all");
	buf_printf(b, "</td><td>%lld</td><td>%lld</td><td>",
		   (long long)w->surveys, (long long)w->responses);
	report_put_share(b, w->response_rate, w->surveys);
	buf_puts(b, "</td><td>");
	report_put_share(b, w->temperature, w->responses);
	buf_puts(b, "</td><td>");
	put_signed(b, w->nps, "");
	if (isnan(w->nps))
		buf_printf(b, "n=%lld", (long long)w->responses);
	buf_puts(b, "</td><td>");
	report_put_share(b, w->csat, w->responses);
	buf_printf(b, "</td><td>%lld</td><td>", (long long)w->alerts);
	put_duration(b, w->median_ack);
	buf_puts(b, "</td><td>");
	put_counts(b, w, " ", ":");
	buf_puts(b, "</td></tr>\n");
}

void report_html_ticket(struct buf *b, const char *ticket, const char *subject)
{
	int has_subject = subject && *subject;

	if (!(ticket && *ticket) && !has_subject)
		return;
	buf_puts(b, " &middot; ");
	if (ticket && *ticket)
		html(b, ticket);
	if (has_subject) {
		buf_puts(b, ticket && *ticket ? " <span class=\"subject\">"
					      : "<span class=\"subject\">");
		html(b, subject);
		buf_puts(b, "</span>");
	}
}

void report_html_comments(struct buf *b, const struct report_comment *c,
			  size_t nc)
{
	buf_puts(b, "<ul class=\"comments\">\n");
	for (size_t i = 0; i < nc; i++) {
		const struct scale_level *l =
		    scale_level(c[i].scale, c[i].level);

		buf_puts(b, "<li><span class=\"when\">");
		html_date(b, c[i].at);
		buf_puts(b, "</span> <b>");
		/* a reply without a grade is a comment all the same */
		html(b, l ? l->key : c[i].level < 0 ? "comment" : "?");
		buf_puts(b, "</b> ");
		html(b, c[i].team);
		if (c[i].agent) {
			buf_puts(b, " / ");
			html(b, c[i].agent);
		}
		report_html_ticket(b, c[i].ticket, c[i].subject);
		if (c[i].why && *c[i].why) {
			buf_puts(b, "<br>Why: ");
			html(b, c[i].why);
		}
		if (c[i].better && *c[i].better) {
			buf_puts(b, "<br>Better: ");
			html(b, c[i].better);
		}
		buf_puts(b, "</li>\n");
	}
	if (!nc)
		buf_puts(b, "<li>No comments.</li>\n");
	buf_puts(b, "</ul>\n");
}

static int str_eq(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static int same_series(const struct report *r, size_t i)
{
	const struct report_row *a = &r->rows[0], *w = &r->rows[i];

	return a->group == w->group && str_eq(a->team, w->team) &&
	       str_eq(a->agent, w->agent) && str_eq(a->rule, w->rule);
}

void report_write_html(struct buf *b, const struct report *r,
		       const struct report_comment *c, size_t nc,
		       const char *title)
{
	const struct report_row **series = NULL;
	size_t ns = 0;

	buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
		    "<meta charset=\"utf-8\"><title>");
	html(b, title);
	buf_puts(b, "</title><style>body{font:14px/1.4 system-ui,sans-serif;"
		    "margin:2em;color:#222}table{border-collapse:collapse}"
		    "td,th{padding:.2em .6em;border-bottom:1px solid #ddd;"
		    "text-align:right}td:nth-child(-n+3),th:nth-child(-n+3)"
		    "{text-align:left}.comments li{margin:.4em 0}"
		    ".when{color:#666}</style></head><body>\n<h1>");
	html(b, title);
	buf_puts(b, "</h1>\n");
	/* the trend of the first group's first key (the overall rows when
	 * there are any): one line over its periods */
	for (size_t i = 0; i < r->n; i++)
		ns += same_series(r, i);
	series = ns ? calloc(ns, sizeof(*series)) : NULL;
	ns = 0;
	for (size_t i = 0; series && i < r->n; i++)
		if (same_series(r, i))
			series[ns++] = &r->rows[i];
	if (ns) {
		struct report_row sum;
		int nscales = 0;

		buf_puts(b, "<h2>Trend</h2>\n");
		report_svg_trend(b, series, ns);
		memset(&sum, 0, sizeof(sum));
		for (size_t i = 0; i < ns; i++)
			for (int id = 0; id < SCALE_COUNT; id++)
				for (int k = 0; k <= STORE_MAX_LEVEL; k++)
					sum.counts[id][k] +=
					    series[i]->counts[id][k];
		for (int id = 0; id < SCALE_COUNT; id++)
			for (int k = 0; k <= STORE_MAX_LEVEL; k++)
				if (sum.counts[id][k]) {
					sum.scale =
					    scale_get((enum scale_id)id);
					nscales++;
					break;
				}
		sum.mixed = nscales > 1;
		buf_puts(b, "\n<h2>Ratings per level</h2>\n");
		report_svg_levels(b, &sum);
	}
	free(series);
	buf_puts(b, "\n<h2>Figures</h2>\n<table><tr><th>Team</th><th>Agent"
		    "</th><th>Period</th><th>Sent</th><th>Responses</th><th>"
		    "Response rate</th><th>Temperature</th><th>NPS</th><th>"
		    "CSAT</th><th>Red alerts</th><th>Median ack</th><th>"
		    "Levels</th></tr>\n");
	for (size_t i = 0; i < r->n; i++)
		html_row(b, &r->rows[i]);
	buf_printf(b,
		   "</table>\n<p>Shares over fewer than %d cases are shown "
		   "as n=count. Periods are the month (week, …) the survey "
		   "was sent, UTC.</p>\n<h2>Latest comments</h2>\n",
		   REPORT_SMALL_N);
	report_html_comments(b, c, nc);
	buf_puts(b, "</body></html>\n");
}
