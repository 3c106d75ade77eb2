/* SPDX-License-Identifier: BSD-2-Clause */
/* The rating scales, their levels, labels and mappings (scale.h). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "scale.h"

/* Colours are dark enough for white text at WCAG AA (4.5:1). */
static const struct scale_level thermometer_levels[] = {
    {1, "red", "Poor", "Slecht", "#b3261e", "\xF0\x9F\x98\x9E"},
    {2, "amber", "Could be better", "Kan beter", "#8a5a00", "\xF0\x9F\x98\x90"},
    {3, "green", "Good", "Goed", "#1e6b34", "\xF0\x9F\x99\x82"},
    {4, "gold", "Excellent", "Uitstekend", "#7a5c00", "\xF0\x9F\x98\x83"},
};

#define NUM(v, en, nl, col, emo)                                               \
	{                                                                      \
		v, #v, en, nl, col, emo                                        \
	}

static const struct scale_level grade10_levels[] = {
    NUM(1, "1", "1", "#b3261e", "1"), NUM(2, "2", "2", "#b3261e", "2"),
    NUM(3, "3", "3", "#b3261e", "3"), NUM(4, "4", "4", "#a3401a", "4"),
    NUM(5, "5", "5", "#8a5a00", "5"), NUM(6, "6", "6", "#6b5d00", "6"),
    NUM(7, "7", "7", "#3d6b1e", "7"), NUM(8, "8", "8", "#1e6b34", "8"),
    NUM(9, "9", "9", "#1e6b34", "9"), NUM(10, "10", "10", "#7a5c00", "10"),
};

static const struct scale_level nps_levels[] = {
    NUM(0, "0", "0", "#b3261e", "0"),	  NUM(1, "1", "1", "#b3261e", "1"),
    NUM(2, "2", "2", "#b3261e", "2"),	  NUM(3, "3", "3", "#b3261e", "3"),
    NUM(4, "4", "4", "#a3401a", "4"),	  NUM(5, "5", "5", "#a3401a", "5"),
    NUM(6, "6", "6", "#a3401a", "6"),	  NUM(7, "7", "7", "#8a5a00", "7"),
    NUM(8, "8", "8", "#8a5a00", "8"),	  NUM(9, "9", "9", "#1e6b34", "9"),
    NUM(10, "10", "10", "#1e6b34", "10"),
};

static const struct scale_level csat5_levels[] = {
    {1, "1", "Very dissatisfied", "Zeer ontevreden", "#b3261e",
     "\xF0\x9F\x98\xA0"},
    {2, "2", "Dissatisfied", "Ontevreden", "#a3401a", "\xF0\x9F\x98\x9E"},
    {3, "3", "Neutral", "Neutraal", "#6b5d00", "\xF0\x9F\x98\x90"},
    {4, "4", "Satisfied", "Tevreden", "#1e6b34", "\xF0\x9F\x99\x82"},
    {5, "5", "Very satisfied", "Zeer tevreden", "#7a5c00", "\xF0\x9F\x98\x83"},
};

static const struct scale_level binary_levels[] = {
    {1, "bad", "Not good", "Niet goed", "#b3261e", "\xF0\x9F\x91\x8E"},
    {2, "good", "Good", "Goed", "#1e6b34", "\xF0\x9F\x91\x8D"},
};

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static const struct scale scales[SCALE_COUNT] = {
    {SCALE_THERMOMETER, "thermometer", 1, 4, N(thermometer_levels),
     thermometer_levels, 1},
    {SCALE_GRADE10, "grade10", 1, 10, N(grade10_levels), grade10_levels, 5},
    {SCALE_NPS, "nps", 0, 10, N(nps_levels), nps_levels, 6},
    {SCALE_CSAT5, "csat5", 1, 5, N(csat5_levels), csat5_levels, 2},
    {SCALE_BINARY, "binary", 1, 2, N(binary_levels), binary_levels, 1},
};

const struct scale *scale_get(enum scale_id id)
{
	if ((int)id < 0 || id >= SCALE_COUNT)
		return NULL;
	return &scales[id];
}

const struct scale *scale_by_name(const char *name)
{
	for (int i = 0; i < SCALE_COUNT; i++)
		if (name && strcasecmp(name, scales[i].name) == 0)
			return &scales[i];
	return NULL;
}

const struct scale_level *scale_level(const struct scale *s, int value)
{
	if (value < s->min || value > s->max)
		return NULL;
	return &s->levels[value - s->min];
}

static int parse_int(const char *text, int *value)
{
	char *end;
	long v;

	if (!*text)
		return -1;
	v = strtol(text, &end, 10);
	if (*end || v < -1000 || v > 1000)
		return -1;
	*value = (int)v;
	return 0;
}

int scale_parse_level(const struct scale *s, const char *text, int *value)
{
	int v;

	for (int i = 0; i < s->nlevels; i++)
		if (strcasecmp(text, s->levels[i].key) == 0) {
			*value = s->levels[i].value;
			return 0;
		}
	if (parse_int(text, &v) == 0 && scale_level(s, v)) {
		*value = v;
		return 0;
	}
	return -1;
}

int scale_parse_threshold(const struct scale *s, const char *text, int *value)
{
	if (strcasecmp(text, "none") == 0) {
		*value = s->min - 1;
		return 0;
	}
	if (strncmp(text, "<=", 2) == 0)
		text += 2;
	while (*text == ' ')
		text++;
	return scale_parse_level(s, text, value);
}

const char *scale_label(const struct scale *s, int value, const char *lang)
{
	const struct scale_level *l = scale_level(s, value);

	if (!l)
		return "?";
	return lang && strcasecmp(lang, "nl") == 0 ? l->label_nl : l->label_en;
}

/* NPS mapping per scale (documented in mailmood.conf(5)): nps and grade10
 * use 9-10 promoter, 7-8 passive; thermometer gold promoter, green passive;
 * csat5 5 promoter, 4 passive; binary good promoter. */
enum nps_category scale_nps_category(const struct scale *s, int value)
{
	switch (s->id) {
	case SCALE_NPS:
	case SCALE_GRADE10:
		return value >= 9   ? NPS_PROMOTER
		       : value >= 7 ? NPS_PASSIVE
				    : NPS_DETRACTOR;
	case SCALE_BINARY:
		return value == s->max ? NPS_PROMOTER : NPS_DETRACTOR;
	default:
		return value == s->max	     ? NPS_PROMOTER
		       : value == s->max - 1 ? NPS_PASSIVE
					     : NPS_DETRACTOR;
	}
}

bool scale_csat_satisfied(const struct scale *s, int value)
{
	if (s->id == SCALE_BINARY)
		return value == s->max;
	return value >= s->max - 1;
}

bool scale_is_warm(const struct scale *s, int value)
{
	/* Upper half of the levels: thermometer green+gold, grade10 6..10. */
	return (value - s->min) * 2 >= s->nlevels;
}

int scale_from_grade10(const struct scale *s, int grade)
{
	/* index: grade 1..10 */
	static const int thermo[11] = {0, 1, 1, 1, 1, 1, 2, 3, 3, 4, 4};
	static const int csat[11] = {0, 1, 1, 2, 2, 2, 3, 4, 4, 5, 5};

	if (!s || grade < 1 || grade > 10)
		return -1;
	switch (s->id) {
	case SCALE_THERMOMETER:
		return thermo[grade];
	case SCALE_CSAT5:
		return csat[grade];
	case SCALE_BINARY:
		return grade >= 7 ? 2 : 1;
	default:
		return grade;
	}
}
