/* SPDX-License-Identifier: BSD-2-Clause */
/* Lock-free counters for GET /metrics, in Prometheus text format (metrics.h).
 */
#include <stdatomic.h>

#include "metrics.h"
#include "store.h"

static const char *const route_names[METRICS_NROUTES] = {
    "rate_get", "rate_post", "static", "healthz", "metrics", "other"};

/* The status codes this listener answers with; anything else is "other". */
static const int statuses[] = {200, 304, 400, 403, 404,
			       405, 413, 431, 500, 503};
#define NSTATUS (sizeof(statuses) / sizeof(statuses[0]))

static const double bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01,
				0.025,	0.05,  0.1,    0.25,  1.0};
#define NBOUNDS (sizeof(bounds) / sizeof(bounds[0]))

static atomic_ulong requests[METRICS_NROUTES][NSTATUS + 1];
static atomic_ulong latency[NBOUNDS + 1]; /* non-cumulative; last: +Inf */
static atomic_ulong latency_us_sum;
/* by rating_source (web, mail), then level */
static const char *const source_names[] = {"web", "mail"};
#define NSOURCES (sizeof(source_names) / sizeof(source_names[0]))
static atomic_ulong ratings[NSOURCES][STORE_MAX_LEVEL + 1];
static atomic_ulong replies[REPLY_NSTATUS];
static atomic_ulong hits, machine_hits;
static atomic_ulong cuts[METRICS_NCUTS], cut_bytes[METRICS_NCUTS];
static const char *const cut_names[METRICS_NCUTS] = {"user_agent",
						     "unmatched_reply"};

void metrics_cut(enum metrics_cut what, size_t bytes_dropped)
{
	if ((unsigned)what >= METRICS_NCUTS)
		return;
	atomic_fetch_add_explicit(&cuts[what], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&cut_bytes[what], bytes_dropped,
				  memory_order_relaxed);
}

void metrics_request(enum metrics_route route, int status, double seconds)
{
	size_t s = 0, b = 0;

	while (s < NSTATUS && statuses[s] != status)
		s++;
	if ((unsigned)route >= METRICS_NROUTES)
		route = METRICS_OTHER;
	atomic_fetch_add_explicit(&requests[route][s], 1, memory_order_relaxed);
	while (b < NBOUNDS && seconds > bounds[b])
		b++;
	atomic_fetch_add_explicit(&latency[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&latency_us_sum,
				  (unsigned long)(seconds * 1e6),
				  memory_order_relaxed);
}

void metrics_rating(int source, int level)
{
	if (source >= 0 && (size_t)source < NSOURCES && level >= 0 &&
	    level <= STORE_MAX_LEVEL)
		atomic_fetch_add_explicit(&ratings[source][level], 1,
					  memory_order_relaxed);
}

void metrics_reply(int status)
{
	if (status >= 0 && status < REPLY_NSTATUS)
		atomic_fetch_add_explicit(&replies[status], 1,
					  memory_order_relaxed);
}

void metrics_machine_hit(void)
{
	atomic_fetch_add_explicit(&machine_hits, 1, memory_order_relaxed);
}

void metrics_hit(void)
{
	atomic_fetch_add_explicit(&hits, 1, memory_order_relaxed);
}

void metrics_render(struct buf *out)
{
	unsigned long cum = 0, v;

	buf_puts(out, "# HELP mailmood_http_requests_total HTTP requests "
		      "by route and status.\n"
		      "# TYPE mailmood_http_requests_total counter\n");
	for (size_t r = 0; r < METRICS_NROUTES; r++)
		for (size_t s = 0; s <= NSTATUS; s++) {
			v = atomic_load_explicit(&requests[r][s],
						 memory_order_relaxed);
			if (!v)
				continue;
			if (s < NSTATUS)
				buf_printf(out,
					   "mailmood_http_requests_total{route="
					   "\"%s\",status=\"%d\"} %lu\n",
					   route_names[r], statuses[s], v);
			else
				buf_printf(out,
					   "mailmood_http_requests_total{route="
					   "\"%s\",status=\"other\"} %lu\n",
					   route_names[r], v);
		}
	buf_puts(out, "# HELP mailmood_http_request_duration_seconds Time "
		      "to answer a request.\n"
		      "# TYPE mailmood_http_request_duration_seconds "
		      "histogram\n");
	for (size_t b = 0; b <= NBOUNDS; b++) {
		cum += atomic_load_explicit(&latency[b], memory_order_relaxed);
		if (b < NBOUNDS)
			buf_printf(out,
				   "mailmood_http_request_duration_seconds_"
				   "bucket{le=\"%g\"} %lu\n",
				   bounds[b], cum);
		else
			buf_printf(out,
				   "mailmood_http_request_duration_seconds_"
				   "bucket{le=\"+Inf\"} %lu\n",
				   cum);
	}
	buf_printf(out,
		   "mailmood_http_request_duration_seconds_sum %.6f\n"
		   "mailmood_http_request_duration_seconds_count %lu\n",
		   atomic_load_explicit(&latency_us_sum, memory_order_relaxed) /
		       1e6,
		   cum);
	buf_puts(out, "# HELP mailmood_ratings_total Ratings recorded, by "
		      "source (web: a click, mail: a reply) and level on the "
		      "survey's scale.\n"
		      "# TYPE mailmood_ratings_total counter\n");
	for (size_t s = 0; s < NSOURCES; s++)
		for (int l = 0; l <= STORE_MAX_LEVEL; l++) {
			v = atomic_load_explicit(&ratings[s][l],
						 memory_order_relaxed);
			if (v)
				buf_printf(
				    out,
				    "mailmood_ratings_total{source=\"%s\","
				    "level=\"%d\"} %lu\n",
				    source_names[s], l, v);
		}
	/* every status, zeros too: a dashboard can tell "none" from
	 * "not exported" */
	buf_puts(out, "# HELP mailmood_replies_total Reply mails kept by "
		      "this listener (LMTP, IMAP), by status.\n"
		      "# TYPE mailmood_replies_total counter\n");
	for (int st = 0; st < REPLY_NSTATUS; st++)
		buf_printf(
		    out, "mailmood_replies_total{status=\"%s\"} %lu\n",
		    store_reply_status_name(st),
		    atomic_load_explicit(&replies[st], memory_order_relaxed));
	buf_printf(out,
		   "# HELP mailmood_hits_total Link hits (GET of a rating "
		   "link).\n"
		   "# TYPE mailmood_hits_total counter\n"
		   "mailmood_hits_total %lu\n"
		   "# HELP mailmood_machine_hits_total Hits classified as a "
		   "scanner or prefetch.\n"
		   "# TYPE mailmood_machine_hits_total counter\n"
		   "mailmood_machine_hits_total %lu\n",
		   atomic_load_explicit(&hits, memory_order_relaxed),
		   atomic_load_explicit(&machine_hits, memory_order_relaxed));
	buf_puts(out, "# HELP mailmood_truncated_total Values cut to their "
		      "limit before they were stored.\n"
		      "# TYPE mailmood_truncated_total counter\n");
	for (size_t i = 0; i < METRICS_NCUTS; i++)
		buf_printf(
		    out, "mailmood_truncated_total{what=\"%s\"} %lu\n",
		    cut_names[i],
		    atomic_load_explicit(&cuts[i], memory_order_relaxed));
	buf_puts(out, "# HELP mailmood_truncated_bytes_total Bytes dropped by "
		      "those cuts.\n"
		      "# TYPE mailmood_truncated_bytes_total counter\n");
	for (size_t i = 0; i < METRICS_NCUTS; i++)
		buf_printf(
		    out, "mailmood_truncated_bytes_total{what=\"%s\"} %lu\n",
		    cut_names[i],
		    atomic_load_explicit(&cut_bytes[i], memory_order_relaxed));
}
