/* SPDX-License-Identifier: BSD-2-Clause */
/* Reading a grade from the text of a reply.
 *
 * People answer a closure mail with "8", "8/10", "een 8", "acht", "Groen",
 * "👍" or "8, but it took three days"; they also write ticket numbers,
 * dates, times, phone numbers and durations. The rules, in reading order,
 * first accepted candidate wins; quoted lines ('>') are never read:
 *
 * - Numbers count when they are the first word of the reply, stand alone
 *   on a line ("8", "8!", "8,"), start a line or a sentence before
 *   punctuation ("Op zich prima. 8!") or before "for"/"voor" ("8 for the
 *   quick fix"), end a line after ':', ',' or a dash ("Snel geholpen: 9",
 *   "Solid work - 8"), follow
 *   a grade word ("een 8", "a 9", "cijfer 7", "rating: 8", "my rating is
 *   9", "I rate it 6", "een dikke 8"), follow a scale of ten named before
 *   them ("Out of 10 I would say 4") or carry the scale ("8/10", "8 uit
 *   10", "8 out of 10", "8 (out of 10)", "4 sterren"). "8+" is 8, "6-" 6.
 * - Every scale reads a grade out of ten, by the bands of
 *   scale_from_grade10 (thermometer 1-5 red, 6 amber, 7-8 green, 9-10
 *   gold). A scale's own range wins where people mean it: grade10 and nps
 *   as written, csat5 up to 5, and the explicit "3/4", "3 uit 4" on the
 *   thermometer.
 * - A number is not a grade when it is out of the scale, has more than two
 *   digits, is glued to letters or signs ("INC-1234", "#123", "3e", "5G",
 *   "€5"), is part of a date, time, range or phone number ("12-03-2024",
 *   "10:30", "10.30", "8-9", "06-12345678"), is followed by a unit ("3
 *   dagen", "2 weeks", "10 minuten") or follows a word that makes it a
 *   number of something ("om 10", "ticket 12", "versie 2", "stap 3").
 * - A decimal grade ("7,5", "8.5") is rounded half up, as Dutch school
 *   reports do.
 * - Number words (en, nl: "acht", "nine", "een achtje"; not the Dutch
 *   article "een") and level words of the scale (thermometer
 *   red/amber/green/gold and rood/oranje/groen/goud plus the scale's own
 *   labels such as "Kan beter", binary good/bad/goed/slecht, csat5 "Zeer
 *   tevreden") count at the start of a line or a sentence, followed by
 *   punctuation or the end of the line ("Groen, snel geholpen"; "Good
 *   morning" is not a grade), or after a grade word ("rating: gold").
 * - Emoji count anywhere on thermometer, binary and csat5 (👍 🙂 😀 😐
 * 😞 👎 ☹ 😠 ...), by their mood; ASCII smileys (":)", ":(") only as the first
 * word or alone. grade10 and nps have no emoji mapping.
 * - Only when none of the above is found: word grades on any scale, the
 *   middle of their band (poor/slecht 3, could be better/matig 6,
 *   good/goed 8, excellent/uitstekend 10; band_words), where level words
 *   count and after a short lead-in ("Helaas, slecht.").
 *
 * The comment is the reply without quoted lines. When the grade (with its
 * grade word) starts a line, it is cut from that line together with the
 * punctuation after it ("8, but it took three days" -> "but it took three
 * days"), and a line left empty goes; a grade inside a sentence, or at the
 * start of a line that continues a wrapped sentence, stays in the comment
 * ("Ik geef jullie een 8" stays whole). The sign-off goes with the name,
 * company, phone and disclaimer lines under it ("Kind regards,\nJohn
 * Doe\nAcme"; thanks only as a closing, "Thanks,\nAnna"), and so does a
 * name alone under the text; a postscript under them stays. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "reply.h"

struct phrase {
	const char *text;
	int value;
};

static const struct phrase number_words[] = {
    {"zero", 0},
    {"nul", 0},
    {"one", 1},
    {"\xc3\xa9\xc3\xa9n", 1},
    {"two", 2},
    {"twee", 2},
    {"three", 3},
    {"drie", 3},
    {"four", 4},
    {"vier", 4},
    {"five", 5},
    {"vijf", 5},
    {"six", 6},
    {"zes", 6},
    {"seven", 7},
    {"zeven", 7},
    {"eight", 8},
    {"acht", 8},
    {"nine", 9},
    {"negen", 9},
    {"ten", 10},
    {"tien", 10},
    /* Dutch diminutives: "een achtje" */
    {"viertje", 4},
    {"vijfje", 5},
    {"zesje", 6},
    {"zevenje", 7},
    {"achtje", 8},
    {"negentje", 9},
    {"tientje", 10},
};

/* Words in front of a number that make it a grade. */
static const char *const grade_words[] = {
    "een",    "a",	 "an",	 "cijfer",	"cijfertje",  "score",
    "rating", "grade",	 "mark", "beoordeling", "oordeel",    "geef",
    "give",   "geven",	 "rate", "rated",	"waardering", "say",
    "zeg",    "zeggen",	 "gave", "gaf",		"cijfers",    "so",
    "dus",    "overall",
};

/* Between a grade word and its number: "een dikke 8", "a solid 7". */
static const char *const grade_adjectives[] = {
    "dikke", "ruime",	 "mooie",  "goede",  "magere",	      "krappe",
    "nette", "vette",	 "zwakke", "hele",   "verdiende",     "welverdiende",
    "solid", "strong",	 "good",   "clear",  "big",	      "fat",
    "weak",  "low",	 "high",   "decent", "well-deserved", "solide",
    "easy",  "generous",
};

/* Between a grade word and its number: "my rating is 9". */
static const char *const copulas[] = {"is", "was", "be", "zijn", "wordt"};

/* Between a grading verb and its number: "I rate it 6". */
static const char *const pronouns[] = {"it",	 "you", "them", "u",
				       "jullie", "het", "jou",	"ze",
				       "this",	 "dit", "that", "dat"};

/* Words in front of a number that make it something else. */
static const char *const not_before[] = {
    "om",     "at",	 "sinds",    "since",	"nr",	    "no",     "nummer",
    "number", "ticket",	 "incident", "melding", "call",	    "kamer",  "room",
    "versie", "version", "v",	     "pagina",	"page",	    "stap",   "step",
    "item",   "punt",	 "point",    "tot",	"until",    "till",   "voor",
    "before", "after",	 "na",	     "over",	"in",	    "binnen", "within",
    "ca",     "bijna",	 "almost",   "about",	"ongeveer", "dag",    "day",
    "week",   "maand",	 "month",    "jaar",	"year",	    "tel",    "phone",
    "bel",    "call",	 "ext",	     "toestel", "op",
};

/* After a number at a sentence start, words that make it a grade. */
static const char *const for_words[] = {"for", "voor", "from me", "van mij",
					"from my side"};

/* Words in a scale's description: "van 1 tot 10", "scale of 1 to 10". */
static const char *const scale_words[] = {"of", "to", "tot", "van", "from"};

/* Units after a number: a duration, a count or an amount, not a grade. */
static const char *const units[] = {
    "dag",	"dagen",     "day",	   "days",	"week",	    "weken",
    "weeks",	"wk",	     "maand",	   "maanden",	"month",    "months",
    "jaar",	"jaren",     "year",	   "years",	"uur",	    "uren",
    "hour",	"hours",     "hr",	   "hrs",	"h",	    "u",
    "min",	"mins",	     "minuut",	   "minuten",	"minute",   "minutes",
    "sec",	"seconden",  "seconds",	   "keer",	"times",    "x",
    "maal",	"procent",   "percent",	   "euro",	"eur",	    "pm",
    "am",	"mails",     "e-mails",	   "emails",	"tickets",  "mensen",
    "people",	"users",     "gebruikers", "pc",	"pcs",	    "laptops",
    "stuks",	"pieces",    "werkdagen",  "workdays",	"kwartier", "gb",
    "mb",	"tb",	     "kb",	   "ghz",	"inch",	    "cm",
    "km",	"m",	     "kg",	   "of",	"van",	    "en",
    "and",	"or",	     "of the",	   "things",	"dingen",   "issues",
    "problems", "problemen", "vragen",	   "questions", "calls",    "keren",
    "attempts", "pogingen",
};

/* Words after a number that name the scale. */
static const char *const scale_units[] = {
    "punten", "points", "sterren", "stars", "star", "ster",
};

/* Words that grade without a number, by their band on a scale of ten
 * (mailmood.conf(5)): poor 3, could be better 6, good 8, excellent 10.
 * They are read only when no number, level word or emoji is found. */
static const struct phrase band_words[] = {
    {"poor", 3},	  {"bad", 3},
    {"very bad", 3},	  {"terrible", 3},
    {"awful", 3},	  {"horrible", 3},
    {"not good", 3},	  {"slecht", 3},
    {"zeer slecht", 3},	  {"heel slecht", 3},
    {"erg slecht", 3},	  {"waardeloos", 3},
    {"belabberd", 3},	  {"onvoldoende", 3},
    {"niet goed", 3},	  {"could be better", 6},
    {"can be better", 6}, {"kan beter", 6},
    {"kon beter", 6},	  {"matig", 6},
    {"mediocre", 6},	  {"average", 6},
    {"so-so", 6},	  {"redelijk", 6},
    {"voldoende", 6},	  {"good", 8},
    {"goed", 8},	  {"prima", 8},
    {"fine", 8},	  {"very good", 10},
    {"zeer goed", 10},	  {"heel goed", 10},
    {"erg goed", 10},	  {"excellent", 10},
    {"uitstekend", 10},	  {"outstanding", 10},
    {"perfect", 10},	  {"perfekt", 10},
    {"fantastic", 10},	  {"fantastisch", 10},
    {"geweldig", 10},	  {"uitmuntend", 10},
    {"superb", 10},	  {"great", 10},
    {"super", 10},	  {"top", 10},
};

/* Grade words before a band word: not "a"/"een" ("a good chat"). */
static const char *const band_context[] = {
    "cijfer",	   "score",   "rating",	    "grade",   "mark",
    "beoordeling", "oordeel", "waardering", "overall",
};

struct emoji {
	const char *utf8;
	int mood; /* 1 angry .. 5 delighted */
};

static const struct emoji emojis[] = {
    {"\xF0\x9F\x98\xA0", 1}, /* 😠 */
    {"\xF0\x9F\x98\xA1", 1}, /* 😡 */
    {"\xF0\x9F\xA4\xAC", 1}, /* 🤬 */
    {"\xF0\x9F\x98\x9E", 2}, /* 😞 */
    {"\xF0\x9F\x98\xA2", 2}, /* 😢 */
    {"\xF0\x9F\x99\x81", 2}, /* 🙁 */
    {"\xE2\x98\xB9", 2},     /* ☹ */
    {"\xF0\x9F\x91\x8E", 2}, /* 👎 */
    {"\xF0\x9F\x98\x90", 3}, /* 😐 */
    {"\xF0\x9F\x98\x95", 3}, /* 😕 */
    {"\xF0\x9F\x99\x82", 4}, /* 🙂 */
    {"\xF0\x9F\x98\x8A", 4}, /* 😊 */
    {"\xF0\x9F\x91\x8D", 4}, /* 👍 */
    {"\xF0\x9F\x98\x80", 5}, /* 😀 */
    {"\xF0\x9F\x98\x83", 5}, /* 😃 */
    {"\xF0\x9F\x98\x84", 5}, /* 😄 */
    {"\xF0\x9F\x98\x81", 5}, /* 😁 */
    {"\xF0\x9F\xA4\xA9", 5}, /* 🤩 */
    {"\xF0\x9F\x98\x8D", 5}, /* 😍 */
};

static const struct emoji smileys[] = {
    {":-)", 4}, {":)", 4}, {":-D", 5}, {":D", 5},
    {":-(", 2}, {":(", 2}, {":-|", 3}, {":|", 3},
};

/* Level words beyond the scale's own keys and labels. */
struct level_word {
	enum scale_id scale;
	const char *text;
	int value;
};

static const struct level_word level_words[] = {
    {SCALE_THERMOMETER, "rood", 1},	{SCALE_THERMOMETER, "oranje", 2},
    {SCALE_THERMOMETER, "orange", 2},	{SCALE_THERMOMETER, "groen", 3},
    {SCALE_THERMOMETER, "goud", 4},	{SCALE_BINARY, "goed", 2},
    {SCALE_BINARY, "slecht", 1},	{SCALE_BINARY, "niet goed", 1},
    {SCALE_BINARY, "not good", 1},	{SCALE_BINARY, "fout", 1},
    {SCALE_CSAT5, "tevreden", 4},	{SCALE_CSAT5, "ontevreden", 2},
    {SCALE_CSAT5, "zeer tevreden", 5},	{SCALE_CSAT5, "zeer ontevreden", 1},
    {SCALE_CSAT5, "satisfied", 4},	{SCALE_CSAT5, "dissatisfied", 2},
    {SCALE_CSAT5, "very satisfied", 5}, {SCALE_CSAT5, "very dissatisfied", 1},
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static int is_alnum_byte(unsigned char c)
{
	/* Bytes of non-ASCII letters count as word characters, so "é8" or
	 * "8é" are not a standalone number. Emoji are checked before. */
	return isalnum(c) || c >= 0x80;
}

static int match_emoji(const char *p, size_t n, const struct emoji *tab,
		       size_t ntab, size_t *len)
{
	for (size_t i = 0; i < ntab; i++) {
		size_t l = strlen(tab[i].utf8);
		if (l <= n && memcmp(p, tab[i].utf8, l) == 0) {
			*len = l;
			return tab[i].mood;
		}
	}
	return 0;
}

/* Mood 1..5 to the scale; -1 when the scale has no such level. */
static int mood_value(const struct scale *sc, int mood)
{
	static const int thermo[6] = {-1, 1, 1, 2, 3, 4};
	static const int binary[6] = {-1, 1, 1, -1, 2, 2};

	switch (sc->id) {
	case SCALE_THERMOMETER:
		return thermo[mood];
	case SCALE_BINARY:
		return binary[mood];
	case SCALE_CSAT5:
		return mood;
	default:
		return -1;
	}
}

/* Case-insensitive ASCII compare of a word at p with w, ending at a word
 * boundary. Returns its length or 0. */
static size_t word_at(const char *p, size_t n, const char *w)
{
	size_t l = strlen(w);

	if (l > n || strncasecmp(p, w, l) != 0)
		return 0;
	if (l < n && is_alnum_byte((unsigned char)p[l]))
		return 0;
	return l;
}

static int in_list(const char *w, size_t wl, const char *const *list,
		   size_t nlist)
{
	for (size_t i = 0; i < nlist; i++)
		if (strlen(list[i]) == wl && strncasecmp(w, list[i], wl) == 0)
			return 1;
	return 0;
}

static size_t skip_blanks(const char *p, size_t n, size_t i)
{
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	return i;
}

/* Is the text after position e (blanks skipped) one of the phrases? */
static int followed_by(const char *line, size_t n, size_t e,
		       const char *const *list, size_t nlist)
{
	size_t j = skip_blanks(line, n, e);

	for (size_t k = 0; k < nlist; k++)
		if (word_at(line + j, n - j, list[k]))
			return 1;
	return 0;
}

/* The word before position i on the line, or wl = 0. A ':' between it
 * and the number is allowed ("Rating: 8"). */
static const char *word_before(const char *line, size_t i, size_t *wl,
			       size_t *start)
{
	size_t e = i;

	while (e > 0 && (line[e - 1] == ' ' || line[e - 1] == '\t'))
		e--;
	if (e > 0 && (line[e - 1] == ':' || line[e - 1] == '='))
		e--;
	while (e > 0 && (line[e - 1] == ' ' || line[e - 1] == '\t'))
		e--;
	size_t s = e;
	while (s > 0 && is_alnum_byte((unsigned char)line[s - 1]))
		s--;
	*wl = e - s;
	*start = s;
	return line + s;
}

/* Does a new sentence start at i ("Op zich prima. Groen!")? A '.', '!'
 * or '?' after a word, then a blank. */
static int sentence_start(const char *line, size_t i)
{
	size_t e = i;

	while (e > 0 && (line[e - 1] == ' ' || line[e - 1] == '\t'))
		e--;
	return e < i && e >= 2 && strchr(".!?", line[e - 1]) &&
	       isalpha((unsigned char)line[e - 2]);
}

/* One or two words and a comma before i open the line ("Helaas, slecht.",
 * "Honestly, poor."). */
static int lead_in(const char *line, size_t i)
{
	size_t b = i, words = 0;

	while (b > 0 && (line[b - 1] == ' ' || line[b - 1] == '\t'))
		b--;
	if (b == i || b == 0 || b > 40 || line[b - 1] != ',')
		return 0;
	for (size_t k = 0; k + 1 < b; k++) {
		unsigned char ch = (unsigned char)line[k];
		if (!is_alnum_byte(ch) && ch != ' ' && ch != '\t' && ch != '\'')
			return 0;
		if (is_alnum_byte(ch) &&
		    (k == 0 || line[k - 1] == ' ' || line[k - 1] == '\t'))
			words++;
	}
	return words >= 1 && words <= 2;
}

/* Only blanks and punctuation from i to the end of the line? */
static int rest_is_punct(const char *p, size_t n, size_t i)
{
	for (; i < n; i++)
		if (!strchr(" \t!.,;:)-?+", p[i]))
			return 0;
	return 1;
}

/* After a grade at the start of a line, punctuation ends it; a following
 * word does not ("Good morning"). */
static int ends_token(const char *p, size_t n, size_t i)
{
	if (i >= n)
		return 1;
	if (strchr("!.,;:)?+", p[i]))
		return 1;
	/* "8 - snel", "Groen – prima" */
	size_t j = skip_blanks(p, n, i);
	if (j >= n)
		return 1;
	if (p[j] == '-' || !strncmp(p + j, "\xE2\x80\x93", 3) ||
	    !strncmp(p + j, "\xE2\x80\x94", 3))
		return 1;
	return 0;
}

struct cand {
	int value;
	size_t start, end; /* span within the line, grade word included */
};

/* A scale suffix after a number: "/10", "uit 10", "out of 10", "op 10",
 * "van de 10", or "punten/sterren". Returns the end of the suffix and
 * sets *max (0 for the unit words) or returns 0. */
static size_t scale_suffix_at(const char *p, size_t n, size_t j, int *max)
{
	static const char *const joins[] = {"uit",    "out of", "op",
					    "van de", "van",	"of"};
	size_t k, d, t;

	*max = -1;
	if (j < n && p[j] == '/') {
		j = skip_blanks(p, n, j + 1);
		k = j;
		while (k < n && isdigit((unsigned char)p[k]) && k - j < 3)
			k++;
		if (k == j || (k < n && is_alnum_byte((unsigned char)p[k])))
			return 0;
		*max = atoi(p + j);
		goto unit;
	}
	for (size_t w = 0; w < N(joins); w++) {
		size_t l = word_at(p + j, n - j, joins[w]);
		if (!l)
			continue;
		d = skip_blanks(p, n, j + l);
		/* "negen van de tien", "nine out of ten" */
		if ((t = word_at(p + d, n - d, "tien")) ||
		    (t = word_at(p + d, n - d, "ten"))) {
			*max = 10;
			return d + t;
		}
		k = d;
		while (k < n && isdigit((unsigned char)p[k]) && k - d < 3)
			k++;
		if (k == d || (k < n && is_alnum_byte((unsigned char)p[k])))
			continue;
		*max = atoi(p + d);
		goto unit;
	}
	for (size_t w = 0; w < N(scale_units); w++) {
		size_t l = word_at(p + j, n - j, scale_units[w]);
		if (l) {
			*max = 0;
			return j + l;
		}
	}
	return 0;
unit:
	/* "4 out of 5 stars", "8/10 punten" */
	d = skip_blanks(p, n, k);
	for (size_t u = 0; u < N(scale_units); u++)
		if ((t = word_at(p + d, n - d, scale_units[u])))
			return d + t;
	return k;
}

/* A scale suffix after a number, also in brackets: "8 (out of 10)". */
static size_t scale_suffix(const char *p, size_t n, size_t i, int *max)
{
	size_t j = skip_blanks(p, n, i);

	if (j < n && p[j] == '(') {
		size_t k = scale_suffix_at(p, n, skip_blanks(p, n, j + 1), max);
		if (k && (k = skip_blanks(p, n, k)) < n && p[k] == ')')
			return k + 1;
		*max = -1;
		return 0;
	}
	return scale_suffix_at(p, n, j, max);
}

/* Does the line name a scale of ten before position s ("Out of 10 I would
 * say 4", "Op een schaal van 1 tot 10: 7")? Then a number after it is a
 * grade, wherever it stands. */
static int ten_named_before(const char *line, size_t s)
{
	static const char *const marks[] = {
	    "out of 10",  "out of ten",	  "uit 10",	   "uit tien",
	    "scale of 1", "schaal van 1", "schaal van 10", "op 10",
	    "op tien",	  "from 1 to 10", "van 1 tot 10",
	};

	/* close before the number: a bounded look keeps long lines linear */
	for (size_t i = s > 80 ? s - 80 : 0; i < s; i++) {
		if (i && is_alnum_byte((unsigned char)line[i - 1]))
			continue;
		for (size_t k = 0; k < N(marks); k++)
			if (word_at(line + i, s - i, marks[k]))
				return 1;
	}
	return 0;
}

/* The value of number v on the scale: a number on the scale's own range
 * where that is what people mean (grade10, nps, csat5 up to 5, "3/4" on
 * the thermometer), else a grade out of ten by the bands of
 * scale_from_grade10. -1 when it is neither. max is what the suffix named
 * (-1 none, 0 a unit word such as "sterren"). */
static int number_value(const struct scale *sc, int v, int max)
{
	int own = v >= sc->min && v <= sc->max;

	if (max > 0 && max == sc->max)
		return own ? v : -1;
	if (max > 0)
		return max == 10 ? scale_from_grade10(sc, v) : -1;
	switch (sc->id) {
	case SCALE_GRADE10:
	case SCALE_NPS:
		return own ? v : -1;
	case SCALE_CSAT5:
		return own ? v : scale_from_grade10(sc, v);
	default:
		return scale_from_grade10(sc, v);
	}
}

/* Tries a number (digits or a number word) of value v spanning [s, e) on
 * the line; fills c on acceptance. */
static int try_number(const struct scale *sc, const char *line, size_t n,
		      size_t s, size_t e, int v, int first_of_reply,
		      struct cand *c)
{
	size_t wl, ws, j;
	const char *w = word_before(line, s, &wl, &ws);
	int context = 0, max, at_line_start = skip_blanks(line, n, 0) == s;
	int worded = 0; /* a grade word stands before it: the grade's start */
	size_t end = e, suf;

	/* "ticket 12" is a number of something; "About the ticket: 6 out of
	 * 10" is not */
	if (wl && in_list(w, wl, not_before, N(not_before)) &&
	    !memchr(w + wl, ':', s - (ws + wl)) &&
	    !(scale_suffix(line, n, e, &max) > 0 && max > 0))
		return 0;
	if (wl && in_list(w, wl, grade_words, N(grade_words)))
		context = worded = 1;
	/* "een dikke 8", "Solid 8+", "I rate it 6", "geef jullie 8", "my
	 * rating is 9" */
	if (wl && (in_list(w, wl, pronouns, N(pronouns)) ||
		   in_list(w, wl, copulas, N(copulas)))) {
		size_t wl2, ws2;
		const char *w2 = word_before(line, ws, &wl2, &ws2);
		if (wl2 && in_list(w2, wl2, grade_words, N(grade_words))) {
			context = worded = 1;
			ws = ws2;
		}
	} else if (wl &&
		   in_list(w, wl, grade_adjectives, N(grade_adjectives))) {
		size_t wl2, ws2;
		const char *w2 = word_before(line, ws, &wl2, &ws2);
		if (wl2 && in_list(w2, wl2, grade_words, N(grade_words))) {
			context = worded = 1;
			ws = ws2;
		} else if (skip_blanks(line, n, 0) == ws ||
			   sentence_start(line, ws)) {
			context = worded = 1;
		}
	}
	if ((suf = scale_suffix(line, n, e, &max)) > 0) {
		if (max > 0 && max != sc->max && max != 10)
			return 0;
		context = 2;
		end = suf;
	} else {
		j = skip_blanks(line, n, e);
		size_t k = j;
		while (k < n && (is_alnum_byte((unsigned char)line[k]) ||
				 line[k] == '-'))
			k++;
		if (k > j && in_list(line + j, k - j, units, N(units)) &&
		    !followed_by(line, n, e, for_words, N(for_words)))
			return 0;
	}
	if ((v = number_value(sc, v, max)) < 0)
		return 0;
	/* "1" and "10" of "a scale of 1 to 10" are not the grade. */
	if (!context && !(wl && in_list(w, wl, scale_words, N(scale_words))) &&
	    ten_named_before(line, s))
		context = 3;
	if (!context) {
		int alone = at_line_start && rest_is_punct(line, n, e);
		int first = first_of_reply && at_line_start;
		int line_first = (at_line_start || sentence_start(line, s)) &&
				 ends_token(line, n, e);
		/* "Snel geholpen: 9" */
		size_t b = s;
		while (b > 0 && (line[b - 1] == ' ' || line[b - 1] == '\t'))
			b--;
		/* "Solid work - 8", "Snel opgelost \u2014 9" */
		int dash =
		    (b >= 2 && line[b - 1] == '-' && line[b - 2] == ' ') ||
		    (b >= 4 && line[b - 4] == ' ' &&
		     (!strncmp(line + b - 3, "\xE2\x80\x93", 3) ||
		      !strncmp(line + b - 3, "\xE2\x80\x94", 3)));
		if (dash) { /* not a range: "3 - 8" */
			size_t d = b - (line[b - 1] == '-' ? 1 : 3);
			while (d > 0 && line[d - 1] == ' ')
				d--;
			dash = d > 0 && !isdigit((unsigned char)line[d - 1]);
		}
		int tail = b > 0 &&
			   (line[b - 1] == ':' || line[b - 1] == ',' || dash) &&
			   b < s && rest_is_punct(line, n, e);
		/* "8 for the quick fix", "9 voor de snelle hulp" */
		int for_what = (at_line_start || sentence_start(line, s)) &&
			       followed_by(line, n, e, for_words, N(for_words));
		if (!alone && !first && !line_first && !tail && !for_what)
			return 0;
	}
	c->value = v;
	c->start = worded ? ws : s;
	c->end = end;
	return 1;
}

/* A digit run at line[i]. Returns 1 and fills c when it is a grade, sets
 * *skip to the end of what was looked at. */
static int try_digits(const struct scale *sc, const char *line, size_t n,
		      size_t i, int first_of_reply, struct cand *c,
		      size_t *skip)
{
	size_t e = i;

	while (e < n && isdigit((unsigned char)line[e]))
		e++;
	*skip = e;
	/* Glued to a word, a sign or another number: INC-1234, #12, €5, a
	 * second part of 12.03 or 10:30. */
	if (i > 0) {
		unsigned char p = (unsigned char)line[i - 1];
		if (is_alnum_byte(p) || strchr("#-/.,:+$_@\\=", p))
			return 0;
		if (i >= 3 && (unsigned char)line[i - 3] == 0xE2 &&
		    (unsigned char)line[i - 2] == 0x82 && p == 0xAC)
			return 0; /* € */
	}
	if (e - i > 2)
		return 0;
	int v = atoi(line + i);
	if (e < n && is_alnum_byte((unsigned char)line[e]))
		return 0; /* 3e, 2nd, 5G, 10x */
	if (e + 1 < n && (line[e] == '.' || line[e] == ',') &&
	    isdigit((unsigned char)line[e + 1])) {
		size_t f = e + 1;
		while (f < n && isdigit((unsigned char)line[f]))
			f++;
		*skip = f;
		/* 10.30, 12.03.2024, 1,250: not a grade. */
		if (f - e != 2 ||
		    (f < n &&
		     (is_alnum_byte((unsigned char)line[f]) ||
		      ((line[f] == '.' || line[f] == ',' || line[f] == ':') &&
		       f + 1 < n && isdigit((unsigned char)line[f + 1])))))
			return 0;
		if (line[e + 1] >= '5')
			v++;
		e = f;
	} else if (e + 1 < n && strchr(":-.", line[e]) &&
		   isdigit((unsigned char)line[e + 1])) {
		return 0; /* 10:30, 8-9, 06-12345678, 12-03-2024 */
	}
	return try_number(sc, line, n, i, e, v, first_of_reply, c);
}

/* Scale level words: extra words, keys and labels; the longest match. */
static size_t level_at(const struct scale *sc, const char *p, size_t n,
		       int *value)
{
	size_t best = 0, l;

	for (size_t i = 0; i < N(level_words); i++)
		if (level_words[i].scale == sc->id &&
		    (l = word_at(p, n, level_words[i].text)) > best) {
			best = l;
			*value = level_words[i].value;
		}
	for (int i = 0; i < sc->nlevels; i++) {
		const struct scale_level *lv = &sc->levels[i];
		const char *names[3] = {lv->key, lv->label_en, lv->label_nl};
		for (int k = 0; k < 3; k++) {
			if (!names[k] || isdigit((unsigned char)names[k][0]))
				continue;
			if ((l = word_at(p, n, names[k])) > best) {
				best = l;
				*value = lv->value;
			}
		}
	}
	return best;
}

static int try_word(const struct scale *sc, const char *line, size_t n,
		    size_t i, int first_of_reply, struct cand *c, size_t *skip)
{
	size_t l, e = i, wl, ws;
	int v;

	while (e < n && is_alnum_byte((unsigned char)line[e]))
		e++;
	*skip = e > i ? e : i + 1;
	for (size_t k = 0; k < N(number_words); k++)
		if ((l = word_at(line + i, n - i, number_words[k].text))) {
			int max;
			size_t suf = scale_suffix(line, n, i + l, &max);
			int at_start = skip_blanks(line, n, 0) == i ||
				       sentence_start(line, i);
			word_before(line, i, &wl, &ws);
			/* Words need more than digits: "one more thing"
			 * and "ten days" are not grades. */
			if (!suf && !(at_start && ends_token(line, n, i + l)) &&
			    !(wl && in_list(line + ws, wl, grade_words,
					    N(grade_words))))
				return 0;
			return try_number(sc, line, n, i, i + l,
					  number_words[k].value, first_of_reply,
					  c);
		}
	if ((l = level_at(sc, line + i, n - i, &v)) > 0) {
		int at_start =
		    skip_blanks(line, n, 0) == i || sentence_start(line, i);
		const char *w = word_before(line, i, &wl, &ws);

		*skip = i + l;
		if (at_start && ends_token(line, n, i + l)) {
			c->start = i;
		} else if (wl && in_list(w, wl, grade_words, N(grade_words))) {
			c->start = ws;
		} else {
			return 0;
		}
		c->value = v;
		c->end = i + l;
		return 1;
	}
	return 0;
}

static int try_smiley(const struct scale *sc, const char *line, size_t n,
		      size_t i, struct cand *c, size_t *skip)
{
	size_t l;
	int mood, v;

	*skip = i;
	if ((mood = match_emoji(line + i, n - i, emojis, N(emojis), &l))) {
		*skip = i + l;
		/* Skin tone modifiers and VS16 belong to the emoji. */
		while (*skip + 4 <= n &&
		       !memcmp(line + *skip, "\xF0\x9F\x8F", 3) &&
		       (unsigned char)line[*skip + 3] >= 0xBB &&
		       (unsigned char)line[*skip + 3] <= 0xBF)
			*skip += 4;
		if (*skip + 3 <= n && !memcmp(line + *skip, "\xEF\xB8\x8F", 3))
			*skip += 3;
		if ((v = mood_value(sc, mood)) < 0)
			return 0;
		c->value = v;
		c->start = i;
		c->end = *skip;
		return 1;
	}
	if ((mood = match_emoji(line + i, n - i, smileys, N(smileys), &l))) {
		*skip = i + l;
		if (skip_blanks(line, n, 0) != i ||
		    (v = mood_value(sc, mood)) < 0)
			return 0;
		c->value = v;
		c->start = i;
		c->end = i + l;
		return 1;
	}
	return 0;
}

/* A band word at line[i]: at the start of the line before punctuation or
 * the end ("Slecht. Het probleem..."), or after a grade word ("rating:
 * good"). The longest one. */
static int try_band(const struct scale *sc, const char *line, size_t n,
		    size_t i, struct cand *c, size_t *skip)
{
	size_t best = 0, wl, ws;
	int grade = 0, v;

	for (size_t k = 0; k < N(band_words); k++) {
		size_t l = word_at(line + i, n - i, band_words[k].text);
		if (l > best) {
			best = l;
			grade = band_words[k].value;
		}
	}
	*skip = i + 1;
	while (*skip < n && is_alnum_byte((unsigned char)line[*skip]))
		(*skip)++;
	if (!best || (v = scale_from_grade10(sc, grade)) < 0)
		return 0;
	word_before(line, i, &wl, &ws);
	if ((skip_blanks(line, n, 0) == i || sentence_start(line, i) ||
	     lead_in(line, i)) &&
	    ends_token(line, n, i + best))
		c->start = i;
	else if (wl && in_list(line + ws, wl, band_context, N(band_context)))
		c->start = ws;
	else
		return 0;
	c->value = v;
	c->end = i + best;
	return 1;
}

/* "Hi John", "Hoi", "Goedemorgen Piet": a short line opening the mail. */
static int greeting(const char *p, size_t n)
{
	static const char *const words[] = {
	    "hi",	    "hoi",
	    "hallo",	    "hello",
	    "hey",	    "dear",
	    "beste",	    "geachte",
	    "dag",	    "goedemorgen",
	    "goedemiddag",  "goedenavond",
	    "good morning", "good afternoon",
	    "good evening", "hej",
	    "moi",	    "ha",
	    "hai",	    "guten tag",
	    "bonjour",	    "hola",
	    "ciao",	    "morning",
	};
	size_t i = skip_blanks(p, n, 0);

	if (n > 40)
		return 0;
	for (size_t k = 0; k < N(words); k++)
		if (word_at(p + i, n - i, words[k]))
			return 1;
	return 0;
}

/* Scans one line; first accepted candidate. With bands, only band words
 * are looked for. */
static int scan_line(const struct scale *sc, const char *line, size_t n,
		     int first_of_reply, int bands, struct cand *c)
{
	size_t i = 0, skip;

	while (bands && i < n) {
		if (is_alnum_byte((unsigned char)line[i]) &&
		    (i == 0 || !is_alnum_byte((unsigned char)line[i - 1]))) {
			if (try_band(sc, line, n, i, c, &skip))
				return 1;
			i = skip;
			continue;
		}
		i++;
	}
	while (!bands && i < n) {
		unsigned char ch = (unsigned char)line[i];
		int word_start =
		    i == 0 || !is_alnum_byte((unsigned char)line[i - 1]);

		if (ch >= 0x80 || ch == ':') {
			if (try_smiley(sc, line, n, i, c, &skip))
				return 1;
			if (skip > i && (ch == ':' || skip - i > 1)) {
				i = skip;
				continue;
			}
		}
		if (isdigit(ch) && word_start) {
			if (try_digits(sc, line, n, i, first_of_reply, c,
				       &skip))
				return 1;
			i = skip;
			continue;
		}
		if (is_alnum_byte(ch) && word_start) {
			if (try_word(sc, line, n, i, first_of_reply, c, &skip))
				return 1;
			i = skip;
			continue;
		}
		i++;
	}
	return 0;
}

/* Sign-offs: a closing ends the comment with the name and signature lines
 * under it. Strong closings go even when nothing follows them; thanks only
 * as a closing, that is with a name under it ("Thanks,\nAnna"): "Thanks
 * Mark" thanks someone, "Thanks for the quick help" is content. */
static const char *const closings[] = {
    "kind regards",
    "best regards",
    "warm regards",
    "warmest regards",
    "kindest regards",
    "with kind regards",
    "with best regards",
    "many regards",
    "regards",
    "best wishes",
    "all the best",
    "best",
    "cheers",
    "greetings",
    "yours sincerely",
    "sincerely",
    "yours truly",
    "yours",
    "met vriendelijke groet",
    "met vriendelijke groeten",
    "met hartelijke groet",
    "met hartelijke groeten",
    "met groet",
    "met groeten",
    "vriendelijke groet",
    "vriendelijke groeten",
    "hartelijke groet",
    "hartelijke groeten",
    "hartelijke groetjes",
    "groet",
    "groeten",
    "groetjes",
    "gegroet",
    "mvg",
    "m.v.g.",
    "vr.gr.",
    "hgr",
    "beste groet",
    "beste groeten",
    "warme groet",
    "warme groeten",
    "lieve groet",
    "lieve groeten",
    "zonnige groet",
    "zonnige groeten",
    "warmly",
    "best wishes and thanks",
    "hgr.",
    "mvgr",
    "mvgr.",
    "respectfully",
    "yours faithfully",
    "faithfully",
    "cordially",
    "liefs",
    "thanks and regards",
    "thanks & regards",
    "thanks and best regards",
    "thanks and kind regards",
    "thanks & best regards",
    "many thanks and best regards",
    "many thanks and kind regards",
    "with thanks",
    "met dank",
    "met dank en groet",
    "bedankt en groet",
    "dank en groet",
    "groeten en bedankt",
    "groetjes en bedankt",
    "bedankt en groetjes",
    "vr. gr.",
    "vrgr",
    "met vr. gr.",
    "met vr.gr.",
    "doei",
    "bye",
    "ciao",
    "tot ziens",
    "take care",
    "talk soon",
    "speak soon",
    "fijne dag",
    "fijne dag nog",
    "fijne avond",
    "fijn weekend",
    "prettige dag",
    "prettig weekend",
    "have a nice day",
    "have a great day",
    "have a good day",
    "have a nice weekend",
    "have a great weekend",
    "have a good weekend",
    "enjoy your day",
    "enjoy your weekend",
    "vg",
    "br",
    "brgds",
    "rgds",
    "kr",
    "m.vr.gr.",
    "gr.",
    "gr",
    "grt",
    "grtz",
    "mit freundlichen gr\xc3\xbc\xc3\x9f"
    "en",
    "viele gr\xc3\xbc\xc3\x9f"
    "e",
    "beste gr\xc3\xbc\xc3\x9f"
    "e",
    "liebe gr\xc3\xbc\xc3\x9f"
    "e",
    "gru\xc3\x9f",
    "mfg",
    "lg",
    "cordialement",
    "bien cordialement",
    "salutations",
    "saludos",
    "un saludo",
    "cordiali saluti",
    "saluti",
    "med v\xc3\xa4nliga h\xc3\xa4lsningar",
    "v\xc3\xa4nliga h\xc3\xa4lsningar",
    "h\xc3\xa4lsningar",
    "mvh",
    "med vennlig hilsen",
    "vennlig hilsen",
    "med venlig hilsen",
    "venlig hilsen",
    "hilsen",
    "yst\xc3\xa4v\xc3\xa4llisin terveisin",
    "terveisin",
    "\xd1\x81 "
    "\xd1\x83\xd0\xb2\xd0\xb0\xd0\xb6\xd0\xb5\xd0\xbd\xd0\xb8\xd0\xb5\xd0\xbc",
};

static const char *const thanks[] = {
    "thanks",
    "thank you",
    "thanks again",
    "thank you again",
    "many thanks",
    "thanks a lot",
    "thank you very much",
    "thx",
    "tnx",
    "ty",
    "bedankt",
    "dank",
    "dank je",
    "dank je wel",
    "dank u",
    "dank u wel",
    "dankjewel",
    "dankuwel",
    "alvast bedankt",
    "nogmaals bedankt",
    "hartelijk dank",
    "veel dank",
    "merci",
    "danke",
    "vielen dank",
    "gracias",
    "grazie",
    "tack",
    "takk",
    "tak",
    "kiitos",
};

static const char *const particles[] = {
    "van", "de", "der", "den", "het", "ten", "ter", "te", "von",
    "la",  "le", "du",	"da",  "di",  "del", "dos", "op", "in",
};

/* Up to three capitalised words and nothing else: a name ("Anna",
 * "Jan de Vries", "J. Doe"). */
static int name_like(const char *p, size_t n)
{
	size_t i = 0, words = 0;

	while (n && isspace((unsigned char)p[n - 1]))
		n--;
	i = skip_blanks(p, n, 0);
	while (i < n && strchr("-~/", p[i]))
		i++;
	i = skip_blanks(p, n, i);
	if (i >= n || n - i > 40)
		return 0;
	/* ASCII capital or a two-byte (Latin, Greek, Cyrillic) letter; not
	 * an emoji ("Dank je 😀" is content). */
	if (!(isupper((unsigned char)p[i]) ||
	      ((unsigned char)p[i] >= 0xC3 && (unsigned char)p[i] <= 0xDF)))
		return 0;
	while (i < n) {
		size_t s = i;
		while (i < n && (is_alnum_byte((unsigned char)p[i]) ||
				 strchr(".'-|/&", p[i])))
			i++;
		if (i == s)
			return 0;
		for (size_t k = s; k < i; k++)
			if (isdigit((unsigned char)p[k]))
				return 0;
		/* every word capitalised but the particles of names; a
		 * full stop only after an initial ("J.") */
		if (islower((unsigned char)p[s]) &&
		    !in_list(p + s, i - s, particles, N(particles)))
			return 0;
		if (p[i - 1] == '.' && i - s > 3)
			return 0;
		if (++words > 5)
			return 0;
		i = skip_blanks(p, n, i);
	}
	return 1;
}

/* The legal text some companies put under every mail. */
static int disclaimer(const char *p, size_t n)
{
	static const char *const marks[] = {
	    "confidential",  "vertrouwelijk", "intended recipient",
	    "geadresseerde", "disclaimer",    "vertraulich",
	    "privileged",    "bestemd voor",  "aansprakelijk",
	    "confidentiel",  "riservat",      "konfidentiell",
	};

	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < N(marks); k++)
			if (n - i >= strlen(marks[k]) &&
			    !strncasecmp(p + i, marks[k], strlen(marks[k])))
				return 1;
	return 0;
}

/* A line of a signature: short, not a question or a sentence; or a
 * disclaimer. */
static int sig_shaped(const char *p, size_t n)
{
	size_t words = 0, lower = 0;

	while (n && isspace((unsigned char)p[n - 1]))
		n--;
	if (disclaimer(p, n))
		return 1;
	if (n > 70 || (n && strchr("?!", p[n - 1])))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isspace((unsigned char)p[i]) &&
		    (i == 0 || isspace((unsigned char)p[i - 1]))) {
			words++;
			lower += islower((unsigned char)p[i]) != 0;
		}
	/* a sentence: "PS: de printer doet het nog steeds niet." (a
	 * company such as "Jansen & Zonen B.V." is no sentence) */
	return words <= 10 && !(n && p[n - 1] == '.' && words > 3 && lower > 1);
}

/* A closing at line p: 2 strong, 1 thanks, 0 none. *named when a name
 * stands beside it. */
static int closing_at(const char *p, size_t n, int *named)
{
	size_t best = 0, l, i;
	int kind = 0;

	while (n && isspace((unsigned char)p[n - 1]))
		n--;
	i = skip_blanks(p, n, 0);
	for (size_t k = 0; k < N(closings); k++)
		if ((l = word_at(p + i, n - i, closings[k])) > best) {
			best = l;
			kind = 2;
		}
	for (size_t k = 0; k < N(thanks); k++)
		if ((l = word_at(p + i, n - i, thanks[k])) > best) {
			best = l;
			kind = 1;
		}
	if (!best)
		return 0;
	i += best;
	while (i < n && strchr(" \t,.!", p[i]))
		i++;
	/* "Groeten uit Keulen,", "Greetings from Berlin," */
	if (kind == 2 && i < n && p[n - 1] == ',' && i + 30 > n &&
	    (word_at(p + i, n - i, "uit") || word_at(p + i, n - i, "from") ||
	     word_at(p + i, n - i, "aus") || word_at(p + i, n - i, "van") ||
	     word_at(p + i, n - i, "to all"))) {
		*named = 0;
		return kind;
	}
	/* "Met vriendelijke groet / Kind regards," */
	if (i < n && p[i] == '/') {
		int again = 0;
		if (!closing_at(p + i + 1, n - i - 1, &again) || again)
			return 0;
		i = n;
	}
	*named = i < n;
	/* "Thanks Mark" thanks the engineer; "Groet, Jan" signs */
	if (i < n && (kind == 1 || !name_like(p + i, n - i)))
		return 0;
	return kind;
}

/* A name on a line of its own under the text ("Anna", "Kate x", "/Sven"),
 * maybe with a company or phone line under it, after a blank line or a
 * finished sentence, is the writer signing, not the comment. Is the line
 * [a, m) such a name? */
static int lone_name(const char *s, size_t a, size_t m)
{
	size_t z = m, p, words = 0;

	/* "Kate x", "Anna xx" */
	while (m > a && (s[m - 1] == 'x' || s[m - 1] == 'X'))
		m--;
	if (m < z && m > a && s[m - 1] == ' ')
		m--;
	else
		m = z;
	for (p = a; p < m; p++)
		words += !isspace((unsigned char)s[p]) &&
			 (p == a || isspace((unsigned char)s[p - 1]));
	if (words == 0 || words > 3 || !name_like(s + a, m - a))
		return 0;
	for (size_t k = 0; k < N(band_words); k++)
		if (word_at(s + a, m - a, band_words[k].text) == m - a)
			return 0;
	for (size_t k = 0; k < N(thanks); k++)
		if (word_at(s + a, m - a, thanks[k]) == m - a)
			return 0;
	for (size_t k = 0; k < N(number_words); k++)
		if (word_at(s + a, m - a, number_words[k].text) == m - a)
			return 0;
	return 1;
}

/* Where such a name block starts in comment s, or len. */
static size_t bare_name_at(const char *s, size_t len)
{
	size_t z = len;

	while (z && isspace((unsigned char)s[z - 1]))
		z--;
	/* up to three lines from the end, the first of them the name */
	for (int lines = 1; lines <= 3; lines++) {
		size_t a, p, m = z; /* the line looked at ends at z */

		for (a = z; a && s[a - 1] != '\n'; a--)
			;
		if (!a)
			return len;
		while (m > a && isspace((unsigned char)s[m - 1]))
			m--;
		if (m == a)
			return len; /* a blank line: no name above it */
		/* what is above: a blank line or a finished sentence */
		p = a - 1;
		while (p > 0 && (s[p - 1] == ' ' || s[p - 1] == '\t'))
			p--;
		if (lone_name(s, a, m) && p > 0 &&
		    (s[p - 1] == '\n' ||
		     strchr(lines > 1 ? ".!" : ".!?,", s[p - 1])))
			return a;
		/* a company or phone line under the name */
		if (m - a > 40 || !sig_shaped(s + a, m - a))
			return len;
		z = a ? a - 1 : 0;
	}
	return len;
}

/* Where the sign-off starts in comment s, or len when there is none. */
/* "PS", "P.S.": what the writer adds under the signature is content. */
static int postscript(const char *p, size_t n)
{
	size_t i = skip_blanks(p, n, 0);

	return word_at(p + i, n - i, "ps") || word_at(p + i, n - i, "p.s.") ||
	       word_at(p + i, n - i, "p.s");
}

/* Where the sign-off starts in comment s, or len when there is none.
 * *resume is where the comment goes on under it (a postscript), else
 * len. */
static size_t signoff_at(const char *s, size_t len, size_t *resume)
{
	size_t at = 0;

	*resume = len;
	while (at < len) {
		const char *e = memchr(s + at, '\n', len - at);
		size_t n = e ? (size_t)(e - (s + at)) : len - at, q;
		int named = 0, kind = closing_at(s + at, n, &named);
		int ok = kind > 0, lines = 0, first = 1;

		for (q = e ? (size_t)(e - s) + 1 : len; ok && q < len;) {
			const char *f = memchr(s + q, '\n', len - q);
			size_t m = f ? (size_t)(f - (s + q)) : len - q;

			if (skip_blanks(s + q, m, 0) < m) {
				if (postscript(s + q, m) && !first) {
					*resume = q;
					break;
				}
				if (++lines > 10 || !sig_shaped(s + q, m) ||
				    (first && !named && !name_like(s + q, m)))
					ok = 0;
				first = 0;
			}
			q = f ? (size_t)(f - s) + 1 : len;
		}
		if (ok && (kind == 2 || named || lines > 0))
			return at;
		*resume = len;
		at = e ? (size_t)(e - s) + 1 : len;
	}
	return bare_name_at(s, len);
}

static int is_quoted(const char *p, size_t n)
{
	size_t i = skip_blanks(p, n, 0);
	return i < n && p[i] == '>';
}

int reply_read_grade(const struct scale *sc, const char *text,
		     struct reply_grade *out)
{
	struct buf b;
	const char *p, *nl;
	struct cand c;
	size_t cut_line = (size_t)-1, li = 0;

	if (!sc || !text || !out)
		return -1;
	memset(out, 0, sizeof(*out));
	/* Pass 1: find the grade; band words only when nothing else. */
	for (int bands = 0; bands < 2 && !out->found; bands++) {
		int wrapped = 0, first = 1;

		li = 0;
		for (p = text; *p; li++) {
			size_t n;
			nl = strchr(p, '\n');
			n = nl ? (size_t)(nl - p) : strlen(p);
			if (is_quoted(p, n) || skip_blanks(p, n, 0) == n)
				wrapped = 0;
			if (!is_quoted(p, n) && skip_blanks(p, n, 0) < n) {
				if (scan_line(sc, p, n, first, bands, &c)) {
					out->found = 1;
					out->value = c.value;
					if (skip_blanks(p, n, 0) == c.start &&
					    !wrapped)
						cut_line = li;
					break;
				}
				first = 0;
				/* a line ending in a word goes on below;
				 * a greeting ("Hoi Piet") does not */
				size_t z = n;
				while (z && isspace((unsigned char)p[z - 1]))
					z--;
				wrapped = z &&
					  isalpha((unsigned char)p[z - 1]) &&
					  !greeting(p, z);
			}
			if (!nl)
				break;
			p = nl + 1;
		}
	}
	/* Pass 2: the comment, without quotes and with the grade cut. */
	buf_init(&b);
	li = 0;
	for (p = text; *p; li++) {
		size_t n, s = 0;
		nl = strchr(p, '\n');
		n = nl ? (size_t)(nl - p) : strlen(p);
		if (n && p[n - 1] == '\r')
			n--;
		if (!is_quoted(p, n)) {
			if (li == cut_line) {
				s = c.end;
				while (s < n && strchr(" \t!.,;:)-+", p[s]))
					s++;
				/* en/em dash after the grade */
				while (s + 3 <= n &&
				       (!strncmp(p + s, "\xE2\x80\x93", 3) ||
					!strncmp(p + s, "\xE2\x80\x94", 3))) {
					s += 3;
					s = skip_blanks(p, n, s);
				}
			}
			if (!(li == cut_line && s >= n)) {
				buf_append(&b, p + s, n - s);
				buf_putc(&b, '\n');
			}
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	/* Trim blank lines and blanks at both ends. */
	size_t a = 0, z = b.len;
	while (a < z && isspace((unsigned char)b.data[a]))
		a++;
	while (z > a && isspace((unsigned char)b.data[z - 1]))
		z--;
	if (!b.failed && z > a) {
		size_t resume, cut = a + signoff_at(b.data + a, z - a, &resume);

		resume += a;
		/* the postscript moves up under the text */
		while (cut > a && isspace((unsigned char)b.data[cut - 1]))
			cut--;
		if (resume < z) {
			size_t gap = cut > a ? 2 : 0;

			memmove(b.data + cut + gap, b.data + resume,
				z - resume);
			memset(b.data + cut, '\n', gap);
			z = cut + gap + (z - resume);
		} else {
			z = cut;
		}
	}
	if (b.failed || !(out->comment = malloc(z - a + 1))) {
		buf_free(&b);
		memset(out, 0, sizeof(*out));
		return -1;
	}
	if (z > a)
		memcpy(out->comment, b.data + a, z - a);
	out->comment[z - a] = '\0';
	buf_free(&b);
	return 0;
}

void reply_grade_free(struct reply_grade *g)
{
	if (!g)
		return;
	free(g->comment);
	g->comment = NULL;
}
