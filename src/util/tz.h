/* SPDX-License-Identifier: BSD-2-Clause */
/* Local days in a named time zone ([general] timezone), read from the
 * system's tz database (TZif files under /usr/share/zoneinfo, or $TZDIR).
 *
 * Why not TZ + localtime_r: TZ is process-wide, and setenv() while other
 * threads call getenv() (libcurl, libpq and glibc's own localtime do) is
 * undefined behaviour. A loaded struct tz is plain data, read-only after
 * tz_load, so any thread may use it.
 *
 * Offsets come from the file's transition list (64-bit part); after the
 * last listed transition the last offset holds. Debian's tzdata lists
 * transitions up to 2037; later dates keep the offset in force then. */
#ifndef MM_TZ_H
#define MM_TZ_H

#include <stddef.h>
#include <stdint.h>

struct tz {
	size_t n;     /* transitions */
	int64_t *at;  /* UTC instants, ascending */
	int32_t *off; /* UTC offset in seconds from at[i] on */
	int32_t off0; /* before the first transition */
};

/* name: "UTC" (no file needed) or an Area/City name of the database.
 * -1 with a reason in err on a bad name, a missing or malformed file. */
int tz_load(const char *name, struct tz *out, char *err, size_t errlen);
void tz_free(struct tz *tz);
/* Seconds east of UTC in force at instant t. */
int32_t tz_offset(const struct tz *tz, int64_t t);
/* The local calendar date and minute of the day at instant t. */
void tz_local(const struct tz *tz, int64_t t, int *y, int *m, int *d,
	      int *minute);
/* The instant local midnight starts the date y-m-d. */
int64_t tz_midnight(const struct tz *tz, int y, int m, int d);
/* The date before / after y-m-d (calendar arithmetic, no zone). */
void tz_date_add(int *y, int *m, int *d, int days);
/* "YYYY-MM-DD" -> 0 and y, m, d; -1 when not a real date. */
int tz_parse_date(const char *s, int *y, int *m, int *d);

#endif
