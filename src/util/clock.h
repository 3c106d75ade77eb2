/* SPDX-License-Identifier: BSD-2-Clause */
/* Monotonic time, for intervals, deadlines and latencies: never the wall
 * clock, which an admin or NTP may set back in the middle of a wait. */
#ifndef MM_CLOCK_H
#define MM_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Calendar arithmetic in epoch seconds (UTC days, no leap seconds). */
#define SECONDS_PER_DAY 86400

static inline int64_t clock_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline int64_t clock_mono_ms(void)
{
	return clock_mono_ns() / 1000000;
}

static inline int64_t clock_mono_s(void)
{
	return clock_mono_ns() / 1000000000;
}

#endif
