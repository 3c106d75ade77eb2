/* SPDX-License-Identifier: BSD-2-Clause */
/* Counters for GET /metrics (Prometheus text format 0.0.4). Lock-free:
 * relaxed atomics, read without a snapshot (Prometheus tolerates that). */
#ifndef MM_METRICS_H
#define MM_METRICS_H

#include "buf.h"

enum metrics_route {
	METRICS_RATE_GET,
	METRICS_RATE_POST,
	METRICS_STATIC,
	METRICS_HEALTHZ,
	METRICS_METRICS,
	METRICS_OTHER,
	METRICS_NROUTES
};

void metrics_request(enum metrics_route route, int status, double seconds);
/* A rating that counted, by where it came from (enum rating_source: web,
 * mail) and its value on the survey's scale. */
void metrics_rating(int source, int level);
/* A reply mail this process kept, by its status (enum reply_status). */
void metrics_reply(int status);
void metrics_machine_hit(void);
void metrics_hit(void);
/* What the listener cut before storing it (a hit's User-Agent, the body of
 * an unmatched reply): counted, and the bytes dropped. */
enum metrics_cut {
	METRICS_CUT_USER_AGENT,
	METRICS_CUT_UNMATCHED_REPLY,
	METRICS_NCUTS
};
void metrics_cut(enum metrics_cut what, size_t bytes_dropped);
void metrics_render(struct buf *out);

#endif
