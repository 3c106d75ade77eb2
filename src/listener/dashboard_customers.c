/* SPDX-License-Identifier: BSD-2-Clause */
/* The dashboard's "Customers" page: IT's ratings of a team's customers
 * (dashboard_customers.h). */
#include <math.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "dashboard_customers.h"
#include "report.h"
#include "report_customer.h"
#include "store_customer.h"

struct latest {
	struct buf rows[DASHBOARD_CUSTOMERS_LATEST]; /* a ring, newest last */
	size_t n;
	const struct scale *scale;
};

static void esc(struct buf *b, const char *s)
{
	if (s)
		buf_put_html(b, s, strlen(s));
}

static int add_latest(void *arg, const struct customer_rating_row *r)
{
	struct latest *l = arg;
	struct buf *b;
	const struct scale_level *lv = scale_level(l->scale, r->level);
	time_t t = (time_t)r->at;
	struct tm tm;
	char when[32] = "-";

	if (!r->current)
		return 0;
	b = &l->rows[l->n++ % DASHBOARD_CUSTOMERS_LATEST];
	if (gmtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
	buf_reset(b);
	buf_printf(b, "<tr><td>%s</td><td>", when);
	esc(b, r->ticket ? r->ticket : "-");
	buf_puts(b, " <span class=\"subject\">");
	esc(b, r->subject);
	buf_puts(b, "</span></td><td>");
	esc(b, lv ? lv->key : "?");
	buf_puts(b, "</td><td>");
	esc(b, r->rater);
	buf_puts(b, "</td></tr>\n");
	return b->failed;
}

enum store_rc dashboard_customers_body(struct buf *b, struct store *st,
				       const struct conf *c,
				       const struct conf_team *t, int64_t now)
{
	int64_t since =
	    now - (int64_t)DASHBOARD_CUSTOMERS_DAYS * SECONDS_PER_DAY;
	struct report_customer r;
	struct latest l;
	enum store_rc rc;

	memset(&l, 0, sizeof(l));
	l.scale = conf_team_customer_scale(t);
	rc = report_customer_run(st, c, t->name, since, now + 1, &r);
	if (rc != STORE_OK)
		return rc;
	for (size_t i = 0; i < DASHBOARD_CUSTOMERS_LATEST; i++)
		buf_init(&l.rows[i]);
	rc = store_customer_rating_rows(st, t->name, since, now + 1, add_latest,
					&l);
	if (rc == STORE_OK) {
		buf_printf(b,
			   "<p>How well the customers helped IT solve their "
			   "tickets, as IT rated them from the daily digest "
			   "(%d days). Agreed with the customer; kept apart "
			   "from the customers' ratings of IT.</p>\n",
			   DASHBOARD_CUSTOMERS_DAYS);
		for (size_t i = 0; i < r.n; i++) {
			const struct report_customer_row *w = &r.rows[i];
			buf_printf(b,
				   "<table class=\"customers\"><tr><th>Rated "
				   "tickets</th><td>%lld</td></tr>\n",
				   (long long)w->rated);
			for (int v = w->scale->min; v <= w->scale->max; v++) {
				buf_puts(b, "<tr><th>");
				esc(b, scale_label(w->scale, v, "en"));
				buf_printf(
				    b, "</th><td>%lld</td></tr>\n",
				    (long long)w->counts[v - w->scale->min]);
			}
			buf_puts(b, "<tr><th>Temperature</th><td>");
			report_put_share(b, w->temperature, w->rated);
			buf_puts(b, "</td></tr>\n<tr><th>Trend</th><td>");
			if (isnan(w->trend))
				buf_puts(b, "&ndash;");
			else
				buf_printf(b, "%+.1f", w->trend);
			buf_puts(b, "</td></tr>\n</table>\n");
		}
		buf_puts(b, "<h2>Latest ratings</h2>\n<table><tr><th>When (UTC)"
			    "</th><th>Ticket</th><th>Level</th><th>Rated by"
			    "</th></tr>\n");
		for (size_t i = 0; i < DASHBOARD_CUSTOMERS_LATEST; i++) {
			/* newest first: walk the ring backwards */
			size_t k =
			    (l.n + 2 * DASHBOARD_CUSTOMERS_LATEST - 1 - i) %
			    DASHBOARD_CUSTOMERS_LATEST;
			if (i < l.n && l.rows[k].len)
				buf_append(b, l.rows[k].data, l.rows[k].len);
		}
		buf_puts(b, "</table>\n");
	}
	for (size_t i = 0; i < DASHBOARD_CUSTOMERS_LATEST; i++)
		buf_free(&l.rows[i]);
	report_customer_free(&r);
	return rc;
}
