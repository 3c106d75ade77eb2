/* SPDX-License-Identifier: BSD-2-Clause */
/* Figures of IT's ratings of its customers (mailmoodctl report
 * --customers): per customer team and period, the rated tickets, their
 * levels on the team's customer_scale, the same temperature figure as for
 * the customers' ratings of IT (share of the upper half), and the trend
 * against the period of the same length just before. Kept apart from the
 * customers' ratings of IT: separate rows, separate output. Small-n rule
 * of report.h: a share over fewer than REPORT_SMALL_N is not shown. */
#ifndef MM_REPORT_CUSTOMER_H
#define MM_REPORT_CUSTOMER_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "conf.h"
#include "report.h"
#include "store.h"

struct report_customer_row {
	const struct conf_team *team;
	const struct scale *scale;
	int64_t counts[(STORE_MAX_LEVEL + 1)]; /* by value - scale min */
	int64_t rated, warm;
	double temperature; /* NAN: not shown */
	int small;
	int64_t prev_rated;
	double prev_temperature, trend; /* points; NAN: not shown */
};

struct report_customer {
	struct report_customer_row *rows; /* in the config's team order */
	size_t n;
	int64_t since, until; /* the period; since 0: from the start */
};

/* Teams with rate_customer (team: that one alone). */
enum store_rc report_customer_run(struct store *st, const struct conf *c,
				  const char *team, int64_t since,
				  int64_t until, struct report_customer *out);
void report_customer_free(struct report_customer *r);
/* The figures from level counts: rated, warm, temperature, small. */
void report_customer_fold(struct report_customer_row *row);

void report_customer_text(struct buf *b, const struct report_customer *r);
void report_customer_csv(struct buf *b, const struct report_customer *r);
void report_customer_json(struct buf *b, const struct report_customer *r);
void report_customer_html(struct buf *b, const struct report_customer *r);

#endif
