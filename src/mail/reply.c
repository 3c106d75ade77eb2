/* SPDX-License-Identifier: BSD-2-Clause */
/* Stripping quoted history and signatures from a reply.
 *
 * Line based, in two steps: every line gets a class, then rules on the
 * string of classes decide what is the reply. Classes:
 *   e  empty (whitespace, NBSP, zero-width and Gmail's U+1427 tracker)
 *   t  text
 *   q  quoted ("> ...", "C> ..." as some Usenet readers write)
 *   b  attribution of an embedded mail ("On ... wrote:", "Op ... schreef
 *      ...:", "Am ... schrieb", Gmail's "2016-03-03 17:21 GMT+01:00 X",
 *      "---------- Forwarded message ----------"); may be wrapped over up to
 *      five lines, so wrapped attributions are joined before matching
 *   h  a header of a quoted mail (From:/Van:/Sent:/Verzonden:/...)
 *   s  a mobile footer ("Sent from my iPhone", "Verzonden vanaf mijn ...")
 *   r  a rule of dashes, underscores or stars: a delimiter when the
 *      quoted mail, a footer or a signature follows it, else text (a
 *      separator or a table inside the reply)
 *   d  a delimiter: everything from here on goes ("-- ", "____" above a
 *      quoted mail,
 *      "-----Original Message-----", "-----Oorspronkelijk bericht-----",
 *      the mailmood rating block quoted without ">")
 * The classification and the rules were tuned on discourse's
 * email_reply_trimmer and mailgun's talon corpora (tests/unit/
 * t-reply-corpus.sh reports the match rate) and on our own Dutch set.
 * Patterns are PCRE2 (caseless, UTF), compiled once. */
#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

/* valgrind.h is a header-only client-request API (Debian ships it in the
 * valgrind package); without it we only have the environment switch. */
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define HAVE_RUNNING_ON_VALGRIND 1
#endif
#endif

#include "buf.h"
#include "codec.h"
#include "reply.h"

/* An attribution is never longer than this once joined; longer text is a
 * paragraph that happens to contain "wrote". */
#define ATTR_MAX 400
#define ATTR_SPAN 5

/* Any character, or a whole <link> as one: footers carry long links
 * ("Sent from Yahoo Mail for iPhone<https://...>"). */
#define L "(?:<[^<>\\s]{1,400}>|.)"

/* Mobile footers, on a line of their own. "Sent" needs its preposition
 * and no grade in the line: "Sent on time and it works, 9/10" is a
 * reply. */
static const char *const sig_patterns[] = {
    ("^[(<\\[]*\\s*sent from (?!the )"
     "(?!.*(\\d\\s*/\\s*10|\\b(a|an|een) \\d\\d?\\b|\\d out of))\\S" L
     "{0,80}$"),
    "^[(<\\[]*\\s*sent (via|with|by|using) [^,\\d]{1,60}$",
    "^[(<\\[]*\\s*sent on (my|the go|a|an)\\b" L "{0,60}$",
    "^(verzonden|verstuurd) (vanaf|vanuit|van|met|via) \\S" L "{0,60}$",
    "^envoy\\x{e9} (depuis|de|avec) (mon|ma) ",
    "^von meine[mr]? .{0,60}gesendet",
    "^diese nachricht wurde von meinem .{0,80}gesendet",
    "^sendt fra min ",
    "^get \\[?outlook for ",
    ("^\\S{0,20}\\s?\\S{0,20}\\s?from (my )?(mobile|iphone|ipad|android|"
     "phone|smartphone|blackberry)\\b.{0,20}$"),
    "\\x{5f9e}\\x{6211}\\x{7684}.{0,20}\\x{50b3}\\x{9001}",
    "^enviado (desde|de|do) (mi|meu|o meu|my)? ?\\S" L "{0,60}$",
    "^inviato da(l mio| il mio)? \\S" L "{0,60}$",
    "^skickat fr\\x{e5}n (min |mitt )?\\S" L "{0,60}$",
    "^l\\x{e4}hetetty \\S+(sta|st\\x{e4})\\b" L "{0,40}$",
    ("^\\x{41e}\\x{442}\\x{43f}\\x{440}\\x{430}\\x{432}\\x{43b}\\x{435}"
     "\\x{43d}\\x{43e} (\\x{441}|\\x{438}\\x{437}) \\S" L "{0,60}$"),
    "^gesendet (von|mit|vom) \\S" L "{0,60}$",
    "^envoy\\x{e9} (\\x{e0} partir|depuis|de) " L "{0,60}$",
    "^wys\\x{142}ane z \\S" L "{0,60}$",
    "^sendt fra \\S" L "{0,60}$",
    /* "Outlook voor Android downloaden<https://aka.ms/...>" */
    ("^.{0,40}\\boutlook\\b.{0,30}\\b(ios|android)\\b.{0,40}"
     "(aka\\.ms/\\S*|downloaden|herunterladen|download|t\\x{e9}l\\x{e9}charger)"
     "\\W*$"),
};
#undef L

/* Matched against the line without leading '>' and blanks, and against
 * wrapped lines joined with single spaces. All but the forward markers must
 * also contain a digit or '@' (a date, a time or an address), which keeps
 * "On this day I wrote:" in a sentence from cutting the reply. */
static const char *const attr_patterns[] = {
    "^on\\b.{3,250}\\bwrote\\s*:?$",
    "^op\\b.{3,250}\\b(schreef|geschreven)\\b.{0,100}:$",
    "^(am|on)\\b.{3,250}\\bschrieb\\b.{0,120}:$",
    "^.{1,250}\\bschrieb( am\\b.{0,100})?:$",
    /* Roundcube: "Service Desk schreef op 2025-05-26 14:48:" */
    "^.{1,120}\\b(schreef|wrote) (op|on)\\b.{3,80}:$",
    "^le\\b.{3,250}\\ba \\x{e9}crit\\s*:?$",
    "^el\\b.{3,250}\\bescribi\\x{f3}\\s*:?$",
    "^il\\b.{3,250}\\bha scritto\\s*:?$",
    "^em\\b.{3,250}\\bescreveu\\s*:?$",
    "^den\\b.{3,250}\\bskrev\\b.{0,120}:$",
    "^.{3,250}\\bnapisa\\x{142}(\\(a\\))?\\s*:?$",
    ("^.{3,250}\\b\\x{43d}\\x{430}\\x{43f}\\x{438}\\x{441}\\x{430}\\x{43b}"
     "\\S*\\s*:?$"),
    "^.{3,250}\\b\\x{43f}\\x{438}\\x{448}\\x{435}\\x{442}?\\s*:?$",
    "^.{0,250}\\x{5199}\\x{9053}[:\\x{ff1a}]$",
    "^.{1,250}\\S@\\S.{0,80}\\b(wrote|schreef)\\s*:$",
    "^at\\b.{3,100}\\byou wrote\\s*:$",
    "^\\d{4}-\\d\\d?-\\d\\d? \\d\\d?:\\d\\d GMT[+-]\\d\\d?:\\d\\d\\b",
    "^\\d{4}/\\d\\d?/\\d\\d? .{1,100}<[^>\\s]+@[^>\\s]+>:?$",
    "^\\d\\d?[./-]\\d\\d?[./-]\\d{2,4}\\b.{0,200}(<|\\S@\\S).{0,100}:$",
    /* "11:00 AM, November 17, 2021, "John" <john@x>:" */
    ("^\\d\\d?[:.]\\d\\d(\\s?[ap]\\.?m\\.?)?,? .{3,150}"
     "[<(\\[][^<>\\s]+@[^<>\\s]+[>)\\]]\\)?\\s*:$"),
    /* the verb anywhere: "ma 4.3.2024 klo 10.00 Jan (jan@x) kirjoitti:",
     * "man. 4. mar. 2024 kl. 10:00 skrev Jan <jan@x>:" */
    ("^(?=.*\\S@\\S).{3,250}\\b(kirjoitti|skrev|skrivit|a \\x{e9}crit|"
     "escribi\\x{f3}|ha scritto|escreveu)\\b.{0,150}:$"),
    /* Russian Gmail: "пн, 4 мар. 2024 г. в 10:00, Jan <jan@x>:" */
    "^.{0,60}\\d{4}\\s?\\x{433}\\.,? \\x{432} \\d\\d?:\\d\\d,? .{1,150}:$",
};

/* Forward markers: they introduce a mail that is not the reply, but carry
 * no date. */
static const char *const fwd_patterns[] = {
    "^(begin forwarded message|doorgestuurd bericht( begint)?|"
    "anfang der weitergeleiteten nachricht)\\s*:$",
    "^[-*\\s]*-{2,}\\s*(forwarded message|doorgestuurd bericht|"
    "weitergeleitete nachricht|message transf\\x{e9}r\\x{e9}|"
    "mensaje reenviado|messaggio inoltrato|vidarebefordrat meddelande|"
    "videresendt melding|videresendt besked|v\\x{e4}litetty viesti|"
    "\\x{43f}\\x{435}\\x{440}\\x{435}\\x{441}\\x{43b}\\x{430}\\x{43d}\\x{43d}"
    "\\x{43e}\\x{435} \\x{441}\\x{43e}\\x{43e}\\x{431}\\x{449}\\x{435}\\x{43d}"
    "\\x{438}\\x{435})\\s*-{2,}[-*\\s]*$",
};

/* Header lines of a quoted mail in the languages we meet: en, nl, de, fr,
 * es, it, pt, sv, no/da. Only a run of three or more counts (see rules). */
static const char *const header_pattern =
    "^\\*?\\s*(from|sent|to|cc|bcc|subject|date|reply-to|van|verzonden|"
    "aan|onderwerp|datum|beantwoorden|von|gesendet|an|betreff|de|"
    "envoy\\x{e9}|\\x{e0}|objet|enviado|para|asunto|fecha|da|data|a|"
    "oggetto|risposta|inviato|fr\\x{e5}n|skickat|till|\\x{e4}mne|fra|"
    "sendt|til|emne|kopi|l\\x{e4}hett\\x{e4}j\\x{e4}|l\\x{e4}hetetty|"
    "vastaanottaja|aihe|kopio|p\\x{e4}iv\\x{e4}m\\x{e4}\\x{e4}r\\x{e4}|"
    "\\x{43e}\\x{442}|\\x{43e}\\x{442}\\x{43f}\\x{440}\\x{430}\\x{432}\\x{43b}"
    "\\x{435}\\x{43d}\\x{43e}|\\x{43a}\\x{43e}\\x{43c}\\x{443}|\\x{442}\\x{435}"
    "\\x{43c}\\x{430}|\\x{434}\\x{430}\\x{442}\\x{430}|\\x{43a}\\x{43e}\\x{43f}"
    "\\x{438}\\x{44f}|od|wys\\x{142}ano|do|temat|enviada em|assunto|"
    "enviado el|envoy\\x{e9} le)\\s*:\\s*\\*?(\\s|$)";

/* "-----Original Message-----", "-- rate this service --", "---- On ...
 * wrote ----": dashes, words, dashes. */
static const char *const delim_pattern =
    "^[*\\s]*-{2,}\\s*[^-*\\s].{0,200}[^-*\\s]\\s*-{2,}[*\\s]*$";

/* The ref line of the mailmood rating block (a 27-character token, see
 * token.h). When the block comes back quoted without '>', its paragraph
 * and everything after it is our own text, not the reply. */
static const char *const ref_pattern =
    "^\\s*(ref|referentie|kenmerk)\\s*:\\s*[A-Za-z0-9_-]{20,}\\s*$";

/* Pre-checks: what a subject must contain for a pattern to have any
 * chance, tested with memchr and a byte compare before PCRE2 runs. Most
 * lines of a reply fail them, which saves most pattern runs (the
 * wrapped-attribution search alone tries up to four joined spans per
 * line against every attribution pattern). Each condition is implied by
 * its pattern, so skipping a failed one never changes an answer:
 *   lit    an ASCII word the pattern holds literally, compared caseless
 *          byte by byte. Under PCRE2_CASELESS|PCRE2_UCP the only ASCII
 *          letters with a non-ASCII case twin are k (U+212A KELVIN SIGN)
 *          and s (U+017F LONG S), so no lit contains a k or an s ("chre"
 *          for "schreef", "napi" for "napisa\x{142}").
 *   G_FIRST  lit is one letter the pattern starts with (after '^'; the
 *          subject is trimmed, the patterns allow no blank before it)
 *   G_COLON_END  the pattern ends in ":$" (subjects hold no newline, so
 *          '$' is the end)
 *   G_AT, G_COLON, G_DASH2, G_NONASCII  an '@', a ':', "--", a byte of a
 *          non-ASCII character somewhere */
#define G_FIRST 1u
#define G_COLON_END 2u
#define G_AT 4u
#define G_COLON 8u
#define G_DASH2 16u
#define G_NONASCII 32u

struct gate {
	const char *lit;
	unsigned need;
};

static const struct gate sig_gates[] = {
    {"ent from ", 0},	{"ent ", 0},	      {"ent on ", 0},
    {"v", G_FIRST},	{"e", G_FIRST},	      {"v", G_FIRST},
    {"d", G_FIRST},	{"endt fra min ", 0}, {"g", G_FIRST},
    {"from ", 0},	{NULL, G_NONASCII},   {"e", G_FIRST},
    {"i", G_FIRST},	{NULL, G_NONASCII},   {NULL, G_NONASCII},
    {NULL, G_NONASCII}, {"g", G_FIRST},	      {NULL, G_NONASCII},
    {NULL, G_NONASCII}, {"fra ", 0},	      {"outlook", 0},
};

static const struct gate attr_gates[] = {
    {"wrote", 0},
    {"chre", G_COLON_END},
    {"chrieb", G_COLON_END},
    {"chrieb", G_COLON_END},
    {NULL, G_COLON_END},
    {"crit", 0},
    {"cribi", 0},
    {"critto", 0},
    {"creveu", 0},
    {"rev", G_COLON_END},
    {"napi", 0},
    {NULL, G_NONASCII},
    {NULL, G_NONASCII},
    {NULL, G_NONASCII},
    {NULL, G_AT | G_COLON_END},
    {"wrote", G_COLON_END},
    {"gmt", 0},
    {NULL, G_AT},
    {NULL, G_COLON_END},
    {NULL, G_AT | G_COLON_END},
    {NULL, G_AT | G_COLON_END},
    {NULL, G_NONASCII | G_COLON_END},
};

static const struct gate fwd_gates[] = {
    {NULL, G_COLON_END},
    {NULL, G_DASH2},
};

static const struct gate header_gate = {NULL, G_COLON};
static const struct gate delim_gate = {NULL, G_DASH2};
static const struct gate ref_gate = {NULL, G_COLON};

#define NSIG (sizeof(sig_patterns) / sizeof(sig_patterns[0]))
#define NATTR (sizeof(attr_patterns) / sizeof(attr_patterns[0]))
#define NFWD (sizeof(fwd_patterns) / sizeof(fwd_patterns[0]))

_Static_assert(sizeof(sig_gates) / sizeof(sig_gates[0]) == NSIG,
	       "one gate per signature pattern");
_Static_assert(sizeof(attr_gates) / sizeof(attr_gates[0]) == NATTR,
	       "one gate per attribution pattern");
_Static_assert(sizeof(fwd_gates) / sizeof(fwd_gates[0]) == NFWD,
	       "one gate per forward pattern");

static pcre2_code *re_sig[NSIG], *re_attr[NATTR], *re_fwd[NFWD];
static pcre2_code *re_header, *re_delim, *re_ref;
static pthread_once_t re_once = PTHREAD_ONCE_INIT;
static int re_ok;

static pcre2_code *compile(const char *pat)
{
	int err;
	PCRE2_SIZE off;

	return pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED,
			     PCRE2_CASELESS | PCRE2_UTF | PCRE2_UCP |
				 PCRE2_NO_UTF_CHECK,
			     &err, &off, NULL);
}

/* JIT-compiled patterns match several times faster, and the reply
 * parser is most of mailmoodd's CPU per reply. Under valgrind, PCRE2's
 * JIT code draws false "uninitialised value" reports (Debian's libpcre2
 * is not built with --enable-valgrind), so it is left off there: when
 * valgrind is detected, or when MAILMOOD_NO_JIT is set to anything but
 * "" or "0". Decided once, in re_init. Results are the same either way:
 * a JIT match that fails for a JIT reason (stack limit) is run again
 * by the interpreter (re_match). */
static int want_jit(void)
{
	const char *e = getenv("MAILMOOD_NO_JIT");

	if (e && *e && strcmp(e, "0"))
		return 0;
#ifdef HAVE_RUNNING_ON_VALGRIND
	if (RUNNING_ON_VALGRIND)
		return 0;
#endif
	return 1;
}

static pcre2_code *compile_jit(const char *pat, int jit)
{
	pcre2_code *re = compile(pat);

	/* No JIT support, or no memory for it: the interpreter runs. */
	if (re && jit)
		(void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	return re;
}

static void re_init(void)
{
	size_t i;
	int jit = want_jit();

	re_ok = 1;
	for (i = 0; i < NSIG; i++)
		if (!(re_sig[i] = compile_jit(sig_patterns[i], jit)))
			re_ok = 0;
	for (i = 0; i < NATTR; i++)
		if (!(re_attr[i] = compile_jit(attr_patterns[i], jit)))
			re_ok = 0;
	for (i = 0; i < NFWD; i++)
		if (!(re_fwd[i] = compile_jit(fwd_patterns[i], jit)))
			re_ok = 0;
	if (!(re_header = compile_jit(header_pattern, jit)) ||
	    !(re_delim = compile_jit(delim_pattern, jit)) ||
	    !(re_ref = compile_jit(ref_pattern, jit)))
		re_ok = 0;
}

struct line {
	const char *p;
	size_t n;
};

struct strip_ctx {
	struct line *lines;
	char *cls; /* one class per line */
	size_t n;
	pcre2_match_data *md;
	unsigned flags;
};

static int re_match(struct strip_ctx *c, pcre2_code *re, const char *s,
		    size_t n)
{
	/* Input was made valid UTF-8 by utf8_sanitize, so skip the check
	 * (it would be quadratic when called per line). */
	int rc = pcre2_match(re, (PCRE2_SPTR)s, n, 0, PCRE2_NO_UTF_CHECK, c->md,
			     NULL);

	/* The JIT's own limits (its stack) are not the interpreter's: on
	 * any error other than "no match", let the interpreter decide, so
	 * the answer never depends on whether the JIT ran. */
	if (rc < PCRE2_ERROR_NOMATCH)
		rc =
		    pcre2_match(re, (PCRE2_SPTR)s, n, 0,
				PCRE2_NO_UTF_CHECK | PCRE2_NO_JIT, c->md, NULL);
	return rc >= 0;
}

/* What a subject holds, for the gates; worked out once per subject. */
struct facts {
	unsigned have; /* G_* bits */
};

static void facts_of(const char *s, size_t n, struct facts *f)
{
	f->have = 0;
	if (n && s[n - 1] == ':')
		f->have |= G_COLON_END;
	if (memchr(s, '@', n))
		f->have |= G_AT;
	if (memchr(s, ':', n))
		f->have |= G_COLON;
	for (const char *d = s; (d = memchr(d, '-', n - (size_t)(d - s)));) {
		if (++d < s + n && *d == '-') {
			f->have |= G_DASH2;
			break;
		}
	}
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80) {
			f->have |= G_NONASCII;
			break;
		}
}

static unsigned char ascii_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

/* lit (lower case ASCII) in s, ASCII letters compared caseless */
static int has_word(const char *s, size_t n, const char *lit)
{
	size_t m = strlen(lit);
	const char *p = s, *end = s + n;
	unsigned char a = (unsigned char)lit[0];
	unsigned char b = a >= 'a' && a <= 'z' ? (unsigned char)(a - 32) : a;

	while ((size_t)(end - p) >= m) {
		/* next place the first letter occurs, either case */
		const char *x = memchr(p, a, (size_t)(end - p) - m + 1);
		const char *y =
		    a == b ? NULL : memchr(p, b, (size_t)(end - p) - m + 1);
		const char *q = !x ? y : !y ? x : x < y ? x : y;
		size_t k;

		if (!q)
			return 0;
		for (k = 1; k < m && ascii_lower((unsigned char)q[k]) ==
					 (unsigned char)lit[k];
		     k++)
			;
		if (k == m)
			return 1;
		p = q + 1;
	}
	return 0;
}

static int gate_open(const struct gate *g, const struct facts *f, const char *s,
		     size_t n)
{
	if ((f->have & g->need & ~G_FIRST) != (g->need & ~G_FIRST))
		return 0;
	if (!g->lit)
		return 1;
	if (g->need & G_FIRST)
		return n && ascii_lower((unsigned char)s[0]) ==
				(unsigned char)g->lit[0];
	return has_word(s, n, g->lit);
}

/* re_match behind its gate */
static int gated(struct strip_ctx *c, pcre2_code *re, const struct gate *g,
		 const struct facts *f, const char *s, size_t n)
{
	return gate_open(g, f, s, n) && re_match(c, re, s, n);
}

/* Invalid UTF-8 would make PCRE2 refuse the subject: each bad byte
 * becomes U+FFFD (codec_utf8_clean), so one stray Latin-1 byte does not
 * disable stripping; a NUL becomes a space. Returns s, or a new string
 * (s freed, *n updated); NULL when memory ran out (s freed too). */
static char *utf8_sanitize(char *s, size_t *n)
{
	struct buf clean;

	for (size_t i = 0; i < *n; i++)
		if (s[i] == '\0')
			s[i] = ' ';
	if (codec_utf8_valid(s, *n))
		return s;
	buf_init(&clean);
	codec_utf8_clean(&clean, s, *n);
	free(s);
	return buf_steal(&clean, n);
}

/* Blank for the eye: ASCII blanks, NBSP, zero-width space/joiners, BOM and
 * U+1427, which Gmail add-ons append as an invisible tracker line. */
static size_t blank_len(const char *p, size_t n)
{
	const unsigned char *u = (const unsigned char *)p;

	if (n >= 1 && (u[0] == ' ' || u[0] == '\t' || u[0] == '\r' ||
		       u[0] == '\f' || u[0] == '\v'))
		return 1;
	if (n >= 2 && u[0] == 0xC2 && u[1] == 0xA0)
		return 2;
	if (n >= 3 && u[0] == 0xE2 && u[1] == 0x80 &&
	    (u[2] >= 0x8B && u[2] <= 0x8D))
		return 3;
	if (n >= 3 && u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF)
		return 3;
	if (n >= 3 && u[0] == 0xE1 && u[1] == 0x90 && u[2] == 0xA7)
		return 3;
	return 0;
}

static void trim(const char **p, size_t *n)
{
	size_t k;

	while (*n && (k = blank_len(*p, *n)) > 0) {
		*p += k;
		*n -= k;
	}
	/* Trailing: only ASCII blanks and NBSP, enough in practice. */
	while (*n) {
		unsigned char c = (unsigned char)(*p)[*n - 1];
		if (c == ' ' || c == '\t' || c == '\r')
			(*n)--;
		else if (*n >= 2 && c == 0xA0 &&
			 (unsigned char)(*p)[*n - 2] == 0xC2)
			*n -= 2;
		else
			break;
	}
}

static int is_quote(const char *p, size_t n)
{
	size_t i = 0;

	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	if (i < n && p[i] == '>')
		return 1;
	/* "C> text": initials before '>' (Usenet/Supercite). */
	size_t j = i;
	while (j < n && j - i < 3 &&
	       ((p[j] >= 'A' && p[j] <= 'Z') || (p[j] >= 'a' && p[j] <= 'z')))
		j++;
	return j > i && j - i <= 2 && j < n && p[j] == '>' &&
	       (j + 1 == n || p[j + 1] == ' ');
}

/* The line without quote markers: attributions are recognised inside
 * quotes too, so a mail that is all quoted history ("> On ... wrote:")
 * comes out empty rather than as a quote. */
static void unquote(const char **p, size_t *n)
{
	trim(p, n);
	while (*n && (**p == '>' || **p == ' ' || **p == '\t')) {
		(*p)++;
		(*n)--;
	}
}

static int has_digit_or_at(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((p[i] >= '0' && p[i] <= '9') || p[i] == '@')
			return 1;
	return 0;
}

static int is_attribution(struct strip_ctx *c, const char *p, size_t n)
{
	struct facts f;
	size_t i;

	if (n == 0 || n > ATTR_MAX)
		return 0;
	facts_of(p, n, &f);
	for (i = 0; i < NFWD; i++)
		if (gated(c, re_fwd[i], &fwd_gates[i], &f, p, n))
			return 1;
	if (!has_digit_or_at(p, n))
		return 0;
	for (i = 0; i < NATTR; i++)
		if (gated(c, re_attr[i], &attr_gates[i], &f, p, n))
			return 1;
	return 0;
}

static char classify(struct strip_ctx *c, const char *p, size_t n)
{
	const char *u = p;
	size_t un = n, i;
	struct facts f;

	trim(&p, &n);
	if (n == 0)
		return 'e';
	if (n >= 2 && n <= 3 && p[0] == '-' && p[1] == '-' &&
	    (n == 2 || p[2] == ' '))
		return c->flags & REPLY_KEEP_SIGNATURE ? 't' : 'd';
	/* Outlook and web mailers draw a rule of underscores above the
	 * quoted mail; people draw dashes in their text too, so a rule of
	 * dashes is decided by what follows it (mark_rules). */
	for (i = 0; i < n && p[i] == '_'; i++)
		;
	if (i == n && n >= 3)
		return 'd';
	for (i = 0; i < n && (p[i] == '_' || p[i] == '-' || p[i] == '*'); i++)
		;
	if (i == n && n >= 3)
		return 'r';
	facts_of(p, n, &f);
	if (gated(c, re_delim, &delim_gate, &f, p, n)) {
		for (i = 0; i < NFWD; i++)
			if (gated(c, re_fwd[i], &fwd_gates[i], &f, p, n))
				return 'b';
		return 'd';
	}
	if (!(c->flags & REPLY_KEEP_SIGNATURE))
		for (i = 0; i < NSIG; i++)
			if (gated(c, re_sig[i], &sig_gates[i], &f, p, n))
				return 's';
	unquote(&u, &un);
	if (is_attribution(c, u, un))
		return 'b';
	if (is_quote(p, n))
		return 'q';
	if (gated(c, re_header, &header_gate, &f, p, n))
		return 'h';
	return 't';
}

/* Attributions wrapped by the sender's mailer ("On Mon, ..., X <\n
 * x@example.com> wrote:"). A span [i..j] counts only when it needs its
 * first line, so text above an attribution never joins it. */
static int join_span(struct strip_ctx *c, size_t i, size_t j, struct buf *b)
{
	buf_reset(b);
	for (size_t k = i; k <= j; k++) {
		const char *p = c->lines[k].p;
		size_t n = c->lines[k].n;

		unquote(&p, &n);
		if (!n)
			continue;
		if (b->len)
			buf_putc(b, ' ');
		buf_append(b, p, n);
		if (b->len > ATTR_MAX)
			return 0;
	}
	if (b->failed)
		return -1;
	return is_attribution(c, b->data, b->len);
}

/* When the last line of a wrapped attribution already reads as one on its
 * own ("x@example.com> wrote:"), the line above joins it only when it
 * starts like an attribution (1) or breaks inside an address (2). */
static int attr_start(const char *p, size_t n)
{
	static const char *const starts[] = {
	    "on ", "op ", "am ", "le ", "el ", "il ", "em ", "den ", "dnia "};

	unquote(&p, &n);
	/* a date: 2016-10-24, 02.04.2012, 23 mar 2017 */
	size_t d = 0;
	while (d < n && d < 4 && p[d] >= '0' && p[d] <= '9')
		d++;
	size_t d2 = d + 1;
	while (d2 < n && d2 - d <= 2 && p[d2] >= '0' && p[d2] <= '9')
		d2++;
	if (d > 0 && d + 1 < n &&
	    ((strchr("-./", p[d]) && d2 > d + 1 && d2 < n && p[d2] == p[d] &&
	      d2 + 1 < n && p[d2 + 1] >= '0' && p[d2 + 1] <= '9') ||
	     (d <= 2 && d + 4 < n && p[d] == ' ' &&
	      isalpha((unsigned char)p[d + 1]) &&
	      isalpha((unsigned char)p[d + 2]) &&
	      isalpha((unsigned char)p[d + 3]))))
		return 1;
	for (size_t i = 0; i < sizeof(starts) / sizeof(starts[0]); i++)
		if (n >= strlen(starts[i]) &&
		    !strncasecmp(p, starts[i], strlen(starts[i])))
			return 1;
	if (n && p[n - 1] == '<')
		return 2;
	return 0;
}

/* A line that ends a sentence ("...chase twice.", "Groen!") is not the
 * head of a wrapped attribution; "J." or "mrt." can be. */
static int ends_sentence(const char *p, size_t n)
{
	size_t w;

	unquote(&p, &n);
	if (!n)
		return 0;
	if (p[n - 1] == '!' || p[n - 1] == '?')
		return 1;
	if (p[n - 1] != '.')
		return 0;
	for (w = n - 1; w > 0 && isalpha((unsigned char)p[w - 1]); w--)
		;
	return n - 1 - w > 3;
}

/* Line j's leading '>' closes a '<' left open on the lines i..j-1 ("X <\n
 * x@example.com> wrote:", "<x@example.com\n>:"), so it is no quote. */
static int closes_bracket(const struct strip_ctx *c, size_t i, size_t j)
{
	long open = 0;

	for (size_t k = i; k < j; k++)
		for (size_t m = 0; m < c->lines[k].n; m++)
			open += c->lines[k].p[m] == '<'	  ? 1
				: c->lines[k].p[m] == '>' ? -1
							  : 0;
	return open > 0;
}

static int line_quoted(const struct strip_ctx *c, size_t i)
{
	const char *p = c->lines[i].p;
	size_t n = c->lines[i].n;

	trim(&p, &n);
	return is_quote(p, n);
}

/* What follows a joined attribution: quoted lines, headers, another
 * attribution, a delimiter or the end. A sentence that wraps onto a line
 * ending in "wrote:" is followed by more text. */
static int quote_follows(const struct strip_ctx *c, size_t j)
{
	for (j++; j < c->n && c->cls[j] == 'e'; j++)
		;
	return j == c->n || strchr("qbhds", c->cls[j]);
}

static int span_has_at(const struct strip_ctx *c, size_t i, size_t j)
{
	for (size_t k = i; k <= j; k++)
		if (memchr(c->lines[k].p, '@', c->lines[k].n))
			return 1;
	return 0;
}

static int mark_wrapped(struct strip_ctx *c)
{
	struct buf b;
	size_t i, j, k;
	int r;

	buf_init(&b);
	for (i = 0; i < c->n; i++) {
		if (c->cls[i] == 'e' || c->cls[i] == 'b' || c->cls[i] == 'd')
			continue;
		for (j = i + 1; j < c->n && j < i + ATTR_SPAN; j++) {
			if (c->cls[j] == 'd')
				break;
			if (c->cls[j] == 'e')
				continue;
			/* The attribution starts at j, not above it. */
			if (attr_start(c->lines[j].p, c->lines[j].n) == 1)
				break;
			/* Text never joins quoted history, nor a finished
			 * sentence the next line. */
			if ((line_quoted(c, i) != line_quoted(c, j) &&
			     !closes_bracket(c, i, j)) ||
			    ends_sentence(c->lines[j - 1].p, c->lines[j - 1].n))
				break;
			if (c->cls[j] == 'b' &&
			    !attr_start(c->lines[i].p, c->lines[i].n))
				break;
			if ((r = join_span(c, i, j, &b)) < 0)
				goto oom;
			if (!r) {
				if (c->cls[j] == 'b')
					break;
				continue;
			}
			if (c->cls[j] != 'b' &&
			    !attr_start(c->lines[i].p, c->lines[i].n)) {
				if ((r = join_span(c, i + 1, j, &b)) < 0)
					goto oom;
				if (r)
					break;
			}
			/* An address in it makes it one whatever follows
			 * (some mailers leave the quote unmarked). */
			if (!span_has_at(c, i, j) && !quote_follows(c, j))
				break;
			for (k = i; k <= j; k++)
				c->cls[k] = 'b';
			i = j;
			break;
		}
	}
	/* "2016-10-24 15:36 GMT+02:00 X <" matches alone; the address
	 * wrapped to the next line is part of it. */
	for (i = 0; i + 1 < c->n; i++) {
		const char *p = c->lines[i].p;
		size_t n = c->lines[i].n;

		trim(&p, &n);
		if (c->cls[i] == 'b' && n && p[n - 1] == '<' &&
		    c->cls[i + 1] == 't' &&
		    memchr(c->lines[i + 1].p, '>', c->lines[i + 1].n))
			c->cls[i + 1] = 'b';
	}
	buf_free(&b);
	return 0;
oom:
	buf_free(&b);
	return -1;
}

/* A name: capitalised words ("Jan de Vries", "J. Doe"), nothing else. */
static int name_words(const char *p, size_t n)
{
	static const char *const particles[] = {"van", "de",  "der", "den",
						"von", "ten", "ter", "la",
						"le",  "du",  "da",  "di"};
	size_t i = 0;

	while (i < n) {
		size_t s = i, k;
		while (i < n && p[i] != ' ')
			i++;
		unsigned char c0 = (unsigned char)p[s];
		int cap =
		    (c0 >= 'A' && c0 <= 'Z') || (c0 >= 0xC3 && c0 <= 0xDF);
		for (k = 0; !cap && k < sizeof(particles) / sizeof(*particles);
		     k++)
			cap = strlen(particles[k]) == i - s &&
			      !strncmp(p + s, particles[k], i - s);
		if (!cap)
			return 0;
		for (k = s; k < i; k++)
			if (!isalpha((unsigned char)p[k]) &&
			    (unsigned char)p[k] < 0x80 && !strchr(".'-", p[k]))
				return 0;
		if (p[i - 1] == '.' && i - s > 3)
			return 0;
		while (i < n && p[i] == ' ')
			i++;
	}
	return 1;
}

/* Signature-shaped lines from k to the quoted mail or the end: at most
 * six short lines, the first a name ("Jan de Vries") or contact data (an
 * address, a URL, a phone number). */
static int sig_block(const struct strip_ctx *c, size_t k)
{
	size_t lines = 0;

	for (; k < c->n && !strchr("qbhdr", c->cls[k]); k++) {
		const char *p = c->lines[k].p;
		size_t n = c->lines[k].n, words = 0, digits = 0;

		trim(&p, &n);
		if (!n)
			continue;
		if (++lines > 6 || n > 60 || strchr("?!", p[n - 1]))
			return 0;
		for (size_t i = 0; i < n; i++) {
			digits += p[i] >= '0' && p[i] <= '9';
			words += p[i] != ' ' && (i == 0 || p[i - 1] == ' ');
		}
		if (lines > 1)
			continue;
		if (memchr(p, '@', n) || has_word(p, n, "www.") ||
		    has_word(p, n, "http") || digits >= 6)
			continue;
		if (words > 4 || digits || !name_words(p, n))
			return 0;
	}
	return lines > 0;
}

/* A rule line is a delimiter above the quoted mail, a footer or a
 * signature, or at the end; inside the text it is text. */
static void mark_rules(struct strip_ctx *c)
{
	for (size_t i = 0; i < c->n; i++) {
		size_t k;

		if (c->cls[i] != 'r')
			continue;
		for (k = i + 1; k < c->n && c->cls[k] == 'e'; k++)
			;
		c->cls[i] =
		    k == c->n || strchr("qbhdsr", c->cls[k]) || sig_block(c, k)
			? 'd'
			: 't';
	}
}

/* The rating block's ref line cuts from the start of its paragraph. */
static void mark_ref(struct strip_ctx *c)
{
	for (size_t i = 0; i < c->n; i++) {
		struct facts f;

		if (c->cls[i] != 't')
			continue;
		facts_of(c->lines[i].p, c->lines[i].n, &f);
		if (!gated(c, re_ref, &ref_gate, &f, c->lines[i].p,
			   c->lines[i].n))
			continue;
		size_t k = i;
		while (k > 0 && c->cls[k - 1] == 't')
			k--;
		c->cls[k] = 'd';
		return;
	}
}

/* Wrapped header values ("Subject: a long\n subject") between header
 * lines belong to the header block. */
static void fix_headers(struct strip_ctx *c)
{
	for (size_t i = 0; i + 2 < c->n; i++)
		if (c->cls[i] == 'h' && c->cls[i + 1] == 't' &&
		    c->cls[i + 2] == 'h')
			c->cls[i + 1] = 'h';
}

static void drop(struct strip_ctx *c, size_t at)
{
	memmove(c->lines + at, c->lines + at + 1,
		(c->n - at - 1) * sizeof(*c->lines));
	memmove(c->cls + at, c->cls + at + 1, c->n - at - 1);
	c->n--;
}

static void drop_range(struct strip_ctx *c, size_t from, size_t to)
{
	memmove(c->lines + from, c->lines + to,
		(c->n - to) * sizeof(*c->lines));
	memmove(c->cls + from, c->cls + to, c->n - to);
	c->n -= to - from;
}

static size_t count(const char *s, size_t from, size_t to, char what)
{
	size_t k = 0;

	for (size_t i = from; i < to; i++)
		k += s[i] == what;
	return k;
}

static int has(const struct strip_ctx *c, size_t from, char what)
{
	return count(c->cls, from, c->n, what) > 0;
}

/* Does cls[from..n) consist only of characters in set? */
static int only(const struct strip_ctx *c, size_t from, const char *set)
{
	for (size_t i = from; i < c->n; i++)
		if (!strchr(set, c->cls[i]))
			return 0;
	return 1;
}

static void apply_rules(struct strip_ctx *c)
{
	size_t i, k;

	/* 1. A delimiter ends the reply. */
	for (i = 0; i < c->n; i++)
		if (c->cls[i] == 'd') {
			c->n = i;
			break;
		}
	/* 2. Mobile footers go; a footer is near the end, so a line like
	 * one with the reply going on under it is text. */
	{
		/* from the end up: the text lines below each footer, up to
		 * the quoted mail */
		size_t texts = 0, longest = 0;

		for (i = c->n; i-- > 0;) {
			if (strchr("qbhd", c->cls[i])) {
				texts = longest = 0;
			} else if (c->cls[i] == 't') {
				texts++;
				if (c->lines[i].n > longest)
					longest = c->lines[i].n;
			} else if (c->cls[i] == 's' &&
				   (texts > 4 || longest > 60)) {
				c->cls[i] = 'T'; /* counted below as text */
			}
		}
		for (i = 0; i < c->n; i++)
			if (c->cls[i] == 'T')
				c->cls[i] = 't';
	}
	for (i = 0; i < c->n;)
		if (c->cls[i] == 's')
			drop(c, i);
		else
			i++;
	fix_headers(c);

	/* 3. The mail starts with an attribution: the reply, if any, is the
	 * text below the quoted mail (bottom posting, Thunderbird). */
	for (i = 0; i < c->n && c->cls[i] == 'e'; i++)
		;
	if (i < c->n && c->cls[i] == 'b') {
		while (i < c->n && strchr("bqeh", c->cls[i]))
			i++;
		drop_range(c, 0, i);
	}

	/* 4. Text, then an attribution: cut there when no quote follows it,
	 * or when what follows the quote is a few lines at most (a footer,
	 * a signature). Many lines after the quote mean the writer answered
	 * inline, and those answers are the reply. */
	for (i = 0; i < c->n; i++) {
		if (c->cls[i] != 'b')
			continue;
		for (k = i; k > 0 && c->cls[k - 1] == 'e'; k--)
			;
		if (k == 0 || c->cls[k - 1] != 't')
			continue;
		if (!has(c, i, 'q')) {
			c->n = i;
			break;
		}
		size_t j = i;
		while (j < c->n && strchr("eqbh", c->cls[j]))
			j++;
		if (only(c, j, "te") && count(c->cls, j, c->n, 't') < 7) {
			c->n = i;
			break;
		}
	}
	/* 5. A quote at the end, after text, is the history. */
	for (k = c->n; k > 0 && strchr("qbe", c->cls[k - 1]); k--)
		;
	if (k > 0 && k < c->n && count(c->cls, 0, k, 't'))
		c->n = k;
	/* 6. Attributions left between inline answers carry nothing. */
	for (i = 0; i < c->n;)
		if (c->cls[i] == 'b')
			drop(c, i);
		else
			i++;
	/* 7. A block of three or more header lines after text starts the
	 * quoted mail (Outlook without a rule line above it). */
	for (i = 0; i < c->n; i++) {
		if (c->cls[i] != 'h')
			continue;
		for (k = i; k < c->n && c->cls[k] == 'h'; k++)
			;
		if (k - i >= 3) {
			size_t b = i;
			while (b > 0 && strchr("eq", c->cls[b - 1]))
				b--;
			if (b > 0 && c->cls[b - 1] == 't') {
				c->n = i;
				break;
			}
		}
		i = k;
	}
	/* 8. Trailing quotes and blanks after text. */
	for (k = c->n; k > 0 && strchr("qe", c->cls[k - 1]); k--)
		;
	if (k > 0 && k < c->n && count(c->cls, 0, k, 't'))
		c->n = k;
}

char *reply_strip(const char *text, size_t len, unsigned flags)
{
	struct strip_ctx c;
	struct buf out;
	char *work = NULL, *res = NULL;
	size_t i, n, start;

	pthread_once(&re_once, re_init);
	if (!re_ok || (!text && len))
		return NULL;
	memset(&c, 0, sizeof(c));
	c.flags = flags;
	buf_init(&out);

	/* Work on a copy with CRLF and lone CR as LF. */
	if (!(work = malloc(len + 1)))
		return NULL;
	for (i = 0, n = 0; i < len; i++) {
		if (text[i] == '\r') {
			work[n++] = '\n';
			if (i + 1 < len && text[i + 1] == '\n')
				i++;
		} else {
			work[n++] = text[i];
		}
	}
	work[n] = '\0';
	if (!(work = utf8_sanitize(work, &n)))
		return NULL;

	size_t nl = 1;
	for (i = 0; i < n; i++)
		nl += work[i] == '\n';
	c.lines = calloc(nl, sizeof(*c.lines));
	c.cls = calloc(nl + 1, 1);
	c.md = pcre2_match_data_create(4, NULL);
	if (!c.lines || !c.cls || !c.md)
		goto out;
	for (i = 0, start = 0; i <= n; i++)
		if (i == n || work[i] == '\n') {
			c.lines[c.n].p = work + start;
			c.lines[c.n].n = i - start;
			c.n++;
			start = i + 1;
		}
	for (i = 0; i < c.n; i++)
		c.cls[i] = classify(&c, c.lines[i].p, c.lines[i].n);
	if (mark_wrapped(&c) < 0)
		goto out;
	mark_rules(&c);
	mark_ref(&c);
	apply_rules(&c);

	/* Leading and trailing blank lines go; the rest as written. */
	size_t a = 0, z = c.n;
	while (a < z && c.cls[a] == 'e')
		a++;
	while (z > a && c.cls[z - 1] == 'e')
		z--;
	buf_reserve(&out, n);
	for (i = a; i < z; i++) {
		const char *p = c.lines[i].p;
		size_t ln = c.lines[i].n;

		if (i + 1 == z)
			while (ln && (p[ln - 1] == ' ' || p[ln - 1] == '\t'))
				ln--;
		buf_append(&out, p, ln);
		if (i + 1 < z)
			buf_putc(&out, '\n');
	}
	/* buf_reserve alone leaves the buffer unterminated. */
	buf_append(&out, "", 0);
	if (!out.failed)
		res = buf_steal(&out, NULL);
out:
	buf_free(&out);
	pcre2_match_data_free(c.md);
	free(c.lines);
	free(c.cls);
	free(work);
	return res;
}

char *reply_strip_quotes(const char *text, size_t len)
{
	return reply_strip(text, len, 0);
}
