/* SPDX-License-Identifier: BSD-2-Clause */
/* IT's ratings of its customers as figures per team and period, and
 * their text, CSV, JSON and HTML forms (report_customer.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "report_customer.h"
#include "store_customer.h"

struct fill {
	struct report_customer *r;
	int prev; /* 1: the counts of the period before */
	int64_t prev_counts[64][(STORE_MAX_LEVEL + 1)];
};

static int add_level(void *arg, const char *team, int level, int64_t count)
{
	struct fill *f = arg;

	for (size_t i = 0; i < f->r->n; i++) {
		struct report_customer_row *row = &f->r->rows[i];
		int k = level - row->scale->min;
		if (strcasecmp(row->team->name, team ? team : ""))
			continue;
		if (k < 0 || k >= (STORE_MAX_LEVEL + 1) ||
		    level > row->scale->max)
			return 0; /* off the scale (changed since): not counted
				   */
		if (f->prev && i < 64)
			f->prev_counts[i][k] += count;
		else if (!f->prev)
			row->counts[k] += count;
	}
	return 0;
}

void report_customer_fold(struct report_customer_row *row)
{
	row->rated = row->warm = 0;
	for (int v = row->scale->min; v <= row->scale->max; v++) {
		int64_t n = row->counts[v - row->scale->min];
		row->rated += n;
		if (scale_is_warm(row->scale, v))
			row->warm += n;
	}
	row->small = row->rated < REPORT_SMALL_N;
	row->temperature =
	    row->small ? NAN : 100.0 * (double)row->warm / (double)row->rated;
}

enum store_rc report_customer_run(struct store *st, const struct conf *c,
				  const char *team, int64_t since,
				  int64_t until, struct report_customer *out)
{
	struct fill *f;
	enum store_rc rc;

	memset(out, 0, sizeof(out[0]));
	out->since = since;
	out->until = until;
	if (!(f = calloc(1, sizeof(*f))))
		return STORE_ERROR;
	out->rows = calloc(c->nteams ? c->nteams : 1, sizeof(*out->rows));
	if (!out->rows) {
		free(f);
		return STORE_ERROR;
	}
	for (size_t i = 0; i < c->nteams; i++) {
		const struct conf_team *t = &c->teams[i];
		struct report_customer_row *row;
		if (!t->rate_customer || (team && strcasecmp(team, t->name)))
			continue;
		row = &out->rows[out->n++];
		row->team = t;
		row->scale = conf_team_customer_scale(t);
	}
	f->r = out;
	rc = store_customer_levels(st, team, since, until ? until : INT64_MAX,
				   add_level, f);
	if (rc == STORE_OK && since > 0) {
		int64_t len = (until ? until : (int64_t)time(NULL)) - since;
		f->prev = 1;
		rc = store_customer_levels(st, team, since - len, since,
					   add_level, f);
	}
	for (size_t i = 0; i < out->n; i++) {
		struct report_customer_row *row = &out->rows[i], prev = *row;
		report_customer_fold(row);
		if (i < 64)
			memcpy(prev.counts, f->prev_counts[i],
			       sizeof(prev.counts));
		report_customer_fold(&prev);
		row->prev_rated = since > 0 ? prev.rated : 0;
		row->prev_temperature = since > 0 ? prev.temperature : NAN;
		row->trend =
		    isnan(row->temperature) || isnan(row->prev_temperature)
			? NAN
			: row->temperature - row->prev_temperature;
	}
	free(f);
	if (rc != STORE_OK)
		report_customer_free(out);
	return rc;
}

void report_customer_free(struct report_customer *r)
{
	free(r->rows);
	memset(r, 0, sizeof(*r));
}

static void day(struct buf *b, int64_t t, const char *open)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char s[16];

	if (t <= 0 || t == INT64_MAX || !gmtime_r(&tt, &tm) ||
	    !strftime(s, sizeof(s), "%Y-%m-%d", &tm)) {
		buf_puts(b, open);
		return;
	}
	buf_puts(b, s);
}

static void share(struct buf *b, double v, const char *none)
{
	if (isnan(v))
		buf_puts(b, none);
	else
		buf_printf(b, "%.1f", v);
}

static void trend(struct buf *b, double v, const char *none)
{
	if (isnan(v))
		buf_puts(b, none);
	else
		buf_printf(b, "%+.1f", v);
}

void report_customer_text(struct buf *b, const struct report_customer *r)
{
	buf_puts(b, "IT rates its customers (");
	day(b, r->since, "start");
	buf_puts(b, " .. ");
	day(b, r->until, "now");
	buf_puts(b, ")\n");
	if (!r->n)
		buf_puts(b, "no team has rate_customer = yes\n");
	for (size_t i = 0; i < r->n; i++) {
		const struct report_customer_row *row = &r->rows[i];
		buf_printf(b, "\n%s (%s)\n  rated tickets  %lld\n",
			   row->team->display_name, row->scale->name,
			   (long long)row->rated);
		for (int v = row->scale->min; v <= row->scale->max; v++)
			buf_printf(b, "  %-13s  %lld\n",
				   scale_level(row->scale, v)->key,
				   (long long)row->counts[v - row->scale->min]);
		buf_puts(b, "  temperature    ");
		if (row->small)
			buf_printf(b, "- (n=%lld < %d)", (long long)row->rated,
				   REPORT_SMALL_N);
		else
			share(b, row->temperature, "-");
		buf_puts(b, "\n  trend          ");
		trend(b, row->trend, "-");
		buf_puts(b, "\n");
	}
}

void report_customer_csv(struct buf *b, const struct report_customer *r)
{
	buf_puts(b, "team,since,until,scale,rated,level,count,temperature,"
		    "trend\r\n");
	for (size_t i = 0; i < r->n; i++) {
		const struct report_customer_row *row = &r->rows[i];
		for (int v = row->scale->min; v <= row->scale->max; v++) {
			/* team names are [A-Za-z0-9._-]: no quoting needed */
			buf_printf(b, "%s,", row->team->name);
			day(b, r->since, "");
			buf_putc(b, ',');
			day(b, r->until, "");
			buf_printf(b, ",%s,%lld,%s,%lld,", row->scale->name,
				   (long long)row->rated,
				   scale_level(row->scale, v)->key,
				   (long long)row->counts[v - row->scale->min]);
			share(b, row->temperature, "");
			buf_putc(b, ',');
			trend(b, row->trend, "");
			buf_puts(b, "\r\n");
		}
	}
}

static void json_str(struct buf *b, const char *s)
{
	buf_putc(b, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p == '"' || *p == '\\')
			buf_printf(b, "\\%c", *p);
		else if (*p < 0x20)
			buf_printf(b, "\\u%04x", *p);
		else
			buf_putc(b, (char)*p);
	buf_putc(b, '"');
}

void report_customer_json(struct buf *b, const struct report_customer *r)
{
	buf_puts(b, "{\"kind\": \"customer_ratings_by_it\", \"since\": ");
	if (r->since > 0) {
		buf_putc(b, '"');
		day(b, r->since, "");
		buf_putc(b, '"');
	} else {
		buf_puts(b, "null");
	}
	buf_puts(b, ", \"until\": ");
	if (r->until > 0 && r->until != INT64_MAX) {
		buf_putc(b, '"');
		day(b, r->until, "");
		buf_putc(b, '"');
	} else {
		buf_puts(b, "null");
	}
	buf_puts(b, ", \"teams\": [");
	for (size_t i = 0; i < r->n; i++) {
		const struct report_customer_row *row = &r->rows[i];
		buf_puts(b, i ? ",\n  {\"team\": " : "\n  {\"team\": ");
		json_str(b, row->team->name);
		buf_puts(b, ", \"name\": ");
		json_str(b, row->team->display_name);
		buf_puts(b, ", \"scale\": ");
		json_str(b, row->scale->name);
		buf_printf(b, ", \"rated\": %lld, \"levels\": {",
			   (long long)row->rated);
		for (int v = row->scale->min; v <= row->scale->max; v++)
			buf_printf(b, "%s\"%s\": %lld",
				   v > row->scale->min ? ", " : "",
				   scale_level(row->scale, v)->key,
				   (long long)row->counts[v - row->scale->min]);
		buf_printf(b, "}, \"small\": %s, \"temperature\": ",
			   row->small ? "true" : "false");
		share(b, row->temperature, "null");
		buf_puts(b, ", \"trend\": ");
		share(b, row->trend, "null"); /* JSON numbers have no '+' */
		buf_putc(b, '}');
	}
	buf_puts(b, r->n ? "\n]}\n" : "]}\n");
}

void report_customer_html(struct buf *b, const struct report_customer *r)
{
	buf_puts(b, "<!doctype html>\n<html lang=\"en\"><head><meta "
		    "charset=\"utf-8\"><title>IT rates its customers</title>"
		    "</head>\n<body>\n<h1>IT rates its customers</h1>\n<p>");
	day(b, r->since, "start");
	buf_puts(b, " &ndash; ");
	day(b, r->until, "now");
	buf_puts(b, ". Separate from the customers' ratings of IT.</p>\n");
	for (size_t i = 0; i < r->n; i++) {
		const struct report_customer_row *row = &r->rows[i];
		const char *name = row->team->display_name;
		buf_puts(b, "<h2>");
		buf_put_html(b, name, strlen(name));
		buf_printf(b,
			   "</h2>\n<table>\n<tr><th>rated tickets</th>"
			   "<td>%lld</td></tr>\n",
			   (long long)row->rated);
		for (int v = row->scale->min; v <= row->scale->max; v++) {
			const char *k = scale_level(row->scale, v)->key;
			buf_puts(b, "<tr><th>");
			buf_put_html(b, k, strlen(k));
			buf_printf(b, "</th><td>%lld</td></tr>\n",
				   (long long)row->counts[v - row->scale->min]);
		}
		buf_puts(b, "<tr><th>temperature</th><td>");
		if (row->small)
			buf_printf(b, "&ndash; (n=%lld &lt; %d)",
				   (long long)row->rated, REPORT_SMALL_N);
		else
			share(b, row->temperature, "&ndash;");
		buf_puts(b, "</td></tr>\n<tr><th>trend</th><td>");
		trend(b, row->trend, "&ndash;");
		buf_puts(b, "</td></tr>\n</table>\n");
	}
	buf_puts(b, "</body></html>\n");
}
