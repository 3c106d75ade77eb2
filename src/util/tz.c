/* SPDX-License-Identifier: BSD-2-Clause */
/* Local days in a named time zone from the TZif files of the system's tz
 * database, without touching the process-wide TZ (tz.h). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tz.h"

#define TZ_FILE_MAX (512 * 1024)
#define DAY 86400

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * algorithm: exact for every year, no table). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp, yy;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	yy = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yy + (*m <= 2));
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/* A zone name reaches the file system: Area/City letters only, never an
 * absolute path or a way up. */
static int tz_name_ok(const char *n)
{
	if (!*n || *n == '/' || *n == '.' || strstr(n, "..") || strlen(n) > 128)
		return 0;
	for (; *n; n++)
		if (!isalnum((unsigned char)*n) && !strchr("/_+-.", *n))
			return 0;
	return 1;
}

static int tz_parse(const unsigned char *b, size_t len, struct tz *out)
{
	uint32_t cnt[6];
	size_t v1, need;
	const unsigned char *p, *idx, *types;
	uint32_t timecnt, typecnt;

	if (len < 44 || memcmp(b, "TZif", 4) || b[4] < '2')
		return -1;
	for (int i = 0; i < 6; i++)
		cnt[i] = be32(b + 20 + 4 * i);
	/* isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt */
	v1 = 44 + (size_t)cnt[3] * 5 + (size_t)cnt[4] * 6 + cnt[5] +
	     (size_t)cnt[2] * 8 + cnt[1] + cnt[0];
	if (v1 + 44 > len || memcmp(b + v1, "TZif", 4))
		return -1;
	p = b + v1;
	for (int i = 0; i < 6; i++)
		cnt[i] = be32(p + 20 + 4 * i);
	timecnt = cnt[3];
	typecnt = cnt[4];
	need = 44 + (size_t)timecnt * 9 + (size_t)typecnt * 6;
	if (!typecnt || typecnt > 256 || timecnt > 100000 ||
	    (size_t)(p - b) + need > len)
		return -1;
	idx = p + 44 + (size_t)timecnt * 8;
	types = idx + timecnt;
	out->n = timecnt;
	out->at = timecnt ? calloc(timecnt, sizeof(*out->at)) : NULL;
	out->off = timecnt ? calloc(timecnt, sizeof(*out->off)) : NULL;
	if (timecnt && (!out->at || !out->off))
		return -1;
	for (uint32_t i = 0; i < timecnt; i++) {
		if (idx[i] >= typecnt)
			return -1;
		out->at[i] = be64(p + 44 + (size_t)i * 8);
		out->off[i] = (int32_t)be32(types + (size_t)idx[i] * 6);
		if (i && out->at[i] <= out->at[i - 1])
			return -1;
	}
	/* RFC 8536 3.2: local time before the first transition is type 0 */
	out->off0 = (int32_t)be32(types);
	return 0;
}

int tz_load(const char *name, struct tz *out, char *err, size_t errlen)
{
	const char *dir = getenv("TZDIR");
	char path[512];
	unsigned char *b;
	size_t len;
	FILE *fp;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!name || !strcmp(name, "UTC") || !strcmp(name, "Etc/UTC"))
		return 0;
	if (!tz_name_ok(name)) {
		snprintf(err, errlen,
			 "'%s' is not a time zone name "
			 "(Area/City, e.g. Europe/Amsterdam)",
			 name);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/%s",
		 dir && *dir ? dir : "/usr/share/zoneinfo", name);
	if (!(fp = fopen(path, "rb"))) {
		snprintf(err, errlen, "unknown time zone '%s' (%s: %s)", name,
			 path, strerror(errno));
		return -1;
	}
	b = malloc(TZ_FILE_MAX);
	len = b ? fread(b, 1, TZ_FILE_MAX, fp) : 0;
	fclose(fp);
	rc = b ? tz_parse(b, len, out) : -1;
	free(b);
	if (rc < 0) {
		tz_free(out);
		snprintf(err, errlen, "%s is not a TZif file (version 2+)",
			 path);
		return -1;
	}
	return 0;
}

void tz_free(struct tz *tz)
{
	free(tz->at);
	free(tz->off);
	memset(tz, 0, sizeof(*tz));
}

int32_t tz_offset(const struct tz *tz, int64_t t)
{
	size_t lo = 0, hi = tz->n;

	if (!tz->n || t < tz->at[0])
		return tz->off0;
	/* the last transition at or before t */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (tz->at[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return tz->off[lo];
}

void tz_local(const struct tz *tz, int64_t t, int *y, int *m, int *d,
	      int *minute)
{
	int64_t l = t + tz_offset(tz, t);
	int64_t days = l >= 0 ? l / DAY : -((-l + DAY - 1) / DAY);

	civil_from_days(days, y, m, d);
	if (minute)
		*minute = (int)((l - days * DAY) / 60);
}

int64_t tz_midnight(const struct tz *tz, int y, int m, int d)
{
	int64_t local = days_from_civil(y, m, d) * DAY;
	int64_t t = local - tz_offset(tz, local);

	/* The offset at the guess may differ from the one at the answer
	 * when a transition lies between them: settle on the instant whose
	 * own offset maps it to local midnight. Midnight inside a gap
	 * (zones that moved the clock at 00:00) becomes the gap's end. */
	for (int i = 0; i < 3; i++) {
		int64_t u = local - tz_offset(tz, t);
		if (u == t)
			break;
		t = u;
	}
	return t;
}

void tz_date_add(int *y, int *m, int *d, int days)
{
	civil_from_days(days_from_civil(*y, *m, *d) + days, y, m, d);
}

int tz_parse_date(const char *s, int *y, int *m, int *d)
{
	int yy, mm, dd, ry, rm, rd, n = 0;

	if (strlen(s) != 10 ||
	    sscanf(s, "%4d-%2d-%2d%n", &yy, &mm, &dd, &n) != 3 || n != 10 ||
	    s[4] != '-' || s[7] != '-' || yy < 1970 || mm < 1 || mm > 12 ||
	    dd < 1 || dd > 31)
		return -1;
	ry = yy;
	rm = mm;
	rd = dd;
	tz_date_add(&ry, &rm, &rd, 0);
	if (ry != yy || rm != mm || rd != dd)
		return -1;
	*y = yy;
	*m = mm;
	*d = dd;
	return 0;
}
