/* SPDX-License-Identifier: BSD-2-Clause */
/* The rating scales (doc/ARCHITECTURE.md, "Scales"). A level is always stored
 * as its number on the survey's scale (thermometer: 1 red .. 4 gold). */
#ifndef MM_SCALE_H
#define MM_SCALE_H

#include <stdbool.h>

enum scale_id {
	SCALE_THERMOMETER,
	SCALE_GRADE10,
	SCALE_NPS,
	SCALE_CSAT5,
	SCALE_BINARY,
	SCALE_COUNT
};

enum nps_category { NPS_DETRACTOR, NPS_PASSIVE, NPS_PROMOTER };

struct scale_level {
	int value;
	const char *key;      /* stable name: "red", "7", "good" */
	const char *label_en; /* shown to people */
	const char *label_nl;
	const char *color; /* #rrggbb, readable with white text */
	const char *emoji; /* UTF-8 */
};

struct scale {
	enum scale_id id;
	const char *name; /* "thermometer" ... as in the config */
	int min, max;
	int nlevels;
	const struct scale_level *levels; /* ascending, nlevels entries */
	int alert_default;		  /* alert when value <= this */
};

const struct scale *scale_get(enum scale_id id);
/* NULL when the name is unknown. */
const struct scale *scale_by_name(const char *name);
/* The level entry for a value, NULL when out of range. */
const struct scale_level *scale_level(const struct scale *s, int value);
/* "red", "gold", "7", "bad": key or number -> value. 0 ok, -1 unknown. */
int scale_parse_level(const struct scale *s, const char *text, int *value);
/* alert_at: a level ("red", "5") or "none" (-> min - 1, never alerts).
 * "<=5" is accepted too. 0 ok, -1 bad. */
int scale_parse_threshold(const struct scale *s, const char *text, int *value);
const char *scale_label(const struct scale *s, int value, const char *lang);
enum nps_category scale_nps_category(const struct scale *s, int value);
/* CSAT counts the top two levels as satisfied (binary: "good"). */
bool scale_csat_satisfied(const struct scale *s, int value);
/* Thermometer temperature: share of the upper half (green+gold). */
bool scale_is_warm(const struct scale *s, int value);
/* A grade out of ten (1..10) on scale s, by the bands of mailmood.conf(5):
 * 1-5 red, 6 amber, 7-8 green, 9-10 gold on the thermometer; csat5 1-2
 * very dissatisfied, 3-5 dissatisfied, 6 neutral, 7-8 satisfied, 9-10 very
 * satisfied; binary 1-6 bad, 7-10 good; grade10 and nps as they are. -1
 * when grade is not 1..10. */
int scale_from_grade10(const struct scale *s, int grade);

#endif
