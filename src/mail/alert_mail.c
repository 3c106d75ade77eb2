/* SPDX-License-Identifier: BSD-2-Clause */
/* Composes the mails the outbox sends: red alert, kudos, digest (alert_mail.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alert_mail.h"
#include "codec.h"
#include "conf.h"
#include "tmpl.h"

/* ------------------------------------------------------------ cleaning */

/* Length of the valid UTF-8 sequence at p (at most n bytes), 0 if none.
 * C1 controls and the Unicode line/paragraph separators break lines in
 * some readers: they count as controls. */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
	uint32_t cp;
	size_t len = codec_utf8_next(p, n, &cp);

	if (!len || (cp >= 0x80 && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029)
		return 0;
	return len;
}

void alert_clean_header(struct buf *out, const char *in, size_t max)
{
	const unsigned char *p = (const unsigned char *)(in ? in : "");
	size_t n = strlen((const char *)p), chars = 0, start = out->len;
	int space = 1; /* drop leading spaces */

	while (n > 0 && (!max || chars < max)) {
		size_t k = utf8_seq(p, n);
		if (k == 1 && (p[0] < 0x20 || p[0] == 0x7F || p[0] == ' ')) {
			if (!space) {
				buf_putc(out, ' ');
				chars++;
			}
			space = 1;
			p++;
			n--;
			continue;
		}
		if (k == 0) {
			/* invalid byte, or a C1 control / line separator */
			size_t skip = 1;
			unsigned char b = p[0];
			if (b >= 0xC2 && b <= 0xF4) {
				/* a well-formed but unwanted character
				 * (C1, U+2028/9): skip it whole */
				size_t want = b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
				size_t i = 1;
				while (i < want && i < n &&
				       (p[i] & 0xC0) == 0x80)
					i++;
				if (i == want) {
					if (!space)
						buf_putc(out, ' ');
					space = 1;
					p += want;
					n -= want;
					continue;
				}
				skip = i;
			}
			buf_puts(out, CODEC_REPLACEMENT);
			p += skip;
			n -= skip;
			space = 0;
			chars++;
			continue;
		}
		buf_append(out, p, k);
		p += k;
		n -= k;
		space = 0;
		chars++;
	}
	/* no trailing space */
	while (out->len > start && out->data[out->len - 1] == ' ')
		out->data[--out->len] = '\0';
}

void alert_clean_body(struct buf *out, const char *in)
{
	const unsigned char *p = (const unsigned char *)(in ? in : "");
	size_t n = strlen((const char *)p);

	while (n > 0) {
		size_t k = utf8_seq(p, n);
		if (k == 1 && (p[0] < 0x20 || p[0] == 0x7F)) {
			if (p[0] == '\n' || p[0] == '\t')
				buf_putc(out, (char)p[0]);
			else if (p[0] == '\r' && !(n > 1 && p[1] == '\n'))
				buf_putc(out, '\n'); /* old Mac line end */
			p++;
			n--;
			continue;
		}
		if (k == 0) {
			buf_puts(out, CODEC_REPLACEMENT);
			p++;
			n--;
			while (n > 0 && (p[0] & 0xC0) == 0x80) {
				p++;
				n--;
			}
			continue;
		}
		buf_append(out, p, k);
		p += k;
		n -= k;
	}
}

/* ------------------------------------------------------------ headers */

#define HDR_WIDTH 78
#define EW_MAX 75 /* RFC 2047 section 2 */

static int is_plain_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7E)
			return 0;
	return 1;
}

/* Plain ASCII: folded at spaces before HDR_WIDTH where a space allows. */
static void header_ascii(struct buf *out, size_t col, const char *v)
{
	while (*v) {
		size_t len = strlen(v), cut;
		if (col + len <= HDR_WIDTH) {
			buf_puts(out, v);
			return;
		}
		/* the last space that keeps the line short, else the first
		 * one at all (a long word cannot be folded) */
		cut = 0;
		for (size_t i = 1; i < len && col + i <= HDR_WIDTH; i++)
			if (v[i] == ' ')
				cut = i;
		if (!cut) {
			const char *sp = strchr(v + 1, ' ');
			if (!sp) {
				buf_puts(out, v);
				return;
			}
			cut = (size_t)(sp - v);
		}
		buf_append(out, v, cut);
		buf_puts(out, "\r\n");
		col = 0; /* the space starts the continuation line */
		v += cut;
		buf_putc(out, *v++);
		col++;
	}
}

/* Encoded-words of type B, each holding whole UTF-8 characters. */
static void header_encoded(struct buf *out, size_t col, const char *v)
{
	const unsigned char *p = (const unsigned char *)v;
	size_t n = strlen(v);
	int first = 1;

	while (n > 0) {
		size_t avail = HDR_WIDTH - col - (first ? 0 : 1), chars, take;
		char enc[80];

		if (avail > EW_MAX)
			avail = EW_MAX;
		if (avail < 12 + 8)
			avail = 12 + 8;
		chars = (avail - 12) / 4 * 4; /* "=?UTF-8?B?" + "?=" */
		take = chars / 4 * 3;
		if (take > n)
			take = n;
		/* back off to a character boundary */
		while (take < n && take > 0 && (p[take] & 0xC0) == 0x80)
			take--;
		if (take == 0)
			take =
			    n < 4 ? n : 4; /* cannot happen with valid input */
		if (!first) {
			buf_puts(out, "\r\n ");
			col = 1;
		}
		codec_base64_raw(enc, p, take, 0);
		buf_printf(out, "=?UTF-8?B?%s?=", enc);
		col += 12 + strlen(enc);
		p += take;
		n -= take;
		first = 0;
	}
}

void alert_header(struct buf *out, const char *name, const char *value)
{
	struct buf v;

	buf_init(&v);
	alert_clean_header(&v, value, 0);
	buf_printf(out, "%s: ", name);
	if (v.data && *v.data) {
		if (is_plain_ascii(v.data))
			header_ascii(out, strlen(name) + 2, v.data);
		else
			header_encoded(out, strlen(name) + 2, v.data);
	}
	buf_puts(out, "\r\n");
	buf_free(&v);
}

int alert_split_rcpt(const char *list, char **copy, const char ***out)
{
	char *save = NULL;
	size_t n = 0, cap = 0;

	*out = NULL;
	if (!(*copy = strdup(list ? list : "")))
		return -1;
	for (char *w = strtok_r(*copy, " ,;\t", &save); w;
	     w = strtok_r(NULL, " ,;\t", &save)) {
		if (!alert_addr_ok(w))
			continue;
		if (n == cap) {
			size_t ncap = cap ? 2 * cap : 8;
			const char **p = realloc(*out, ncap * sizeof(*p));
			if (!p)
				return -1;
			*out = p;
			cap = ncap;
		}
		(*out)[n++] = w;
	}
	return (int)n;
}

int alert_addr_ok(const char *a)
{
	const char *at;
	size_t n;

	if (!a || !*a || (n = strlen(a)) > 254)
		return 0;
	at = strchr(a, '@');
	if (!at || at == a || strchr(at + 1, '@') || !at[1])
		return 0;
	for (const char *p = a; p < at; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') ||
		      strchr(".!#$%&'*+/=?^_`{|}~-", *p)))
			return 0;
	if (a[0] == '.' || at[-1] == '.' || strstr(a, ".."))
		return 0;
	for (const char *p = at + 1; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '-'))
			return 0;
	if (at[1] == '.' || a[n - 1] == '.')
		return 0;
	return 1;
}

/* "Name <addr>" with the name as a quoted-string or encoded-words. */
static void header_mailbox(struct buf *out, const char *hname, const char *name,
			   const char *addr)
{
	struct buf v;

	buf_init(&v);
	if (name)
		alert_clean_header(&v, name, 64);
	buf_printf(out, "%s: ", hname);
	if (v.data && *v.data) {
		if (is_plain_ascii(v.data)) {
			buf_putc(out, '"');
			for (const char *p = v.data; *p; p++) {
				if (*p == '"' || *p == '\\')
					buf_putc(out, '\\');
				buf_putc(out, *p);
			}
			buf_puts(out, "\" ");
		} else {
			header_encoded(out, strlen(hname) + 2, v.data);
			buf_putc(out, ' ');
		}
	}
	buf_printf(out, "<%s>\r\n", addr);
	buf_free(&v);
}

static const char *const wdays[] = {"Sun", "Mon", "Tue", "Wed",
				    "Thu", "Fri", "Sat"};
static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
				     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* RFC 5322 date in UTC, with English names whatever the locale. */
static void header_date(struct buf *out, int64_t when)
{
	time_t t = (time_t)when;
	struct tm tm;

	gmtime_r(&t, &tm);
	buf_printf(out, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n",
		   wdays[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
		   tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static int msgid_ok(const char *id)
{
	if (!id || !*id || strlen(id) > 200 || !strchr(id, '@'))
		return 0;
	for (const char *p = id; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr(".-_@+=", *p)))
			return 0;
	return 1;
}

/* ------------------------------------------------------------ bodies */

char *alert_ticket_link(const char *ticket_url, const char *ticket)
{
	struct buf b;
	const char *mark;

	if (!ticket_url || !*ticket_url || !ticket || !*ticket)
		return NULL;
	if (strncmp(ticket_url, "http://", 7) &&
	    strncmp(ticket_url, "https://", 8))
		return NULL;
	buf_init(&b);
	for (const char *p = ticket_url; *p;) {
		mark = strstr(p, "{ticket}");
		if (!mark) {
			buf_puts(&b, p);
			break;
		}
		buf_append(&b, p, (size_t)(mark - p));
		for (const unsigned char *t = (const unsigned char *)ticket; *t;
		     t++) {
			if ((*t >= 'a' && *t <= 'z') ||
			    (*t >= 'A' && *t <= 'Z') ||
			    (*t >= '0' && *t <= '9') || strchr("-._~", *t))
				buf_putc(&b, (char)*t);
			else
				buf_printf(&b, "%%%02X", *t);
		}
		p = mark + strlen("{ticket}");
	}
	return buf_steal(&b, NULL);
}

static void fmt_time(char *out, size_t len, int64_t when)
{
	time_t t = (time_t)when;
	struct tm tm;

	if (when <= 0 || !localtime_r(&t, &tm) ||
	    !strftime(out, len, "%Y-%m-%d %H:%M %Z", &tm))
		snprintf(out, len, "-");
}

static void fmt_day(char *out, size_t len, int64_t when)
{
	time_t t = (time_t)when;
	struct tm tm;

	if (!localtime_r(&t, &tm) || !strftime(out, len, "%Y-%m-%d", &tm))
		snprintf(out, len, "-");
}

struct lang {
	const char *red, *gold, *kudos, *no_ticket, *none;
	/* red alert and kudos pieces: text, html */
	const char *red_head[2], *kudos_head[2], *rows[2], *ticket_link[2],
	    *history[2], *why[2], *better[2], *ack[2], *red_foot[2],
	    *kudos_foot[2];
	/* row labels */
	const char *l_rating, *l_ticket, *l_subject, *l_requester, *l_agent,
	    *l_team, *l_sent, *l_rated;
	const char *digest_subject, *digest_period_daily, *digest_period_weekly;
	const char *digest_head[2], *digest_levels[2], *digest_comments[2],
	    *digest_foot[2];
};

#define HTML_OPEN                                                              \
	"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"></head>\n"       \
	"<body style=\"font-family:sans-serif\">\n"
#define HTML_CLOSE "</body></html>\n"

/* Texts as templates ({{name}}, one {{#rows}} section per piece). */
/* clang-format off */
static const struct lang lang_en = {
	.red = "RED", .gold = "GOLD", .kudos = "KUDOS",
	.no_ticket = "(no ticket)", .none = "-",
	.red_head = {
		"{{requester}} rated ticket {{ticket}} {{label}}.\n"
		"Please call back while the experience is fresh; replying to "
		"this mail reaches the requester.\n\n",
		HTML_OPEN "<h2 style=\"color:{{color}}\">{{word}}: {{ticket}}"
		"</h2>\n<p><b>{{requester}}</b> rated ticket {{ticket}} "
		"<b>{{label}}</b>.<br>Please call back while the experience is "
		"fresh; replying to this mail reaches the requester.</p>\n"},
	.kudos_head = {
		"{{requester}} rated ticket {{ticket}} {{label}}. Well done!\n\n",
		HTML_OPEN "<h2 style=\"color:{{color}}\">{{word}}: {{ticket}}"
		"</h2>\n<p><b>{{requester}}</b> rated ticket {{ticket}} "
		"<b>{{label}}</b>. Well done!</p>\n"},
	.rows = {
		"{{#rows}}{{k}}: {{v}}\n{{/rows}}",
		"<table>\n{{#rows}}<tr><th align=\"left\">{{k}}</th>"
		"<td>{{v}}</td></tr>\n{{/rows}}</table>\n"},
	.ticket_link = {
		"Ticket link: {{ticket_link}}\n",
		"<p><a href=\"{{ticket_link}}\">Open ticket {{ticket}}</a></p>\n"},
	.history = {
		"\nThis requester rated red before: {{prior}} time(s), the "
		"last on {{prior_last}}.\n",
		"<p><b>This requester rated red before:</b> {{prior}} time(s), "
		"the last on {{prior_last}}.</p>\n"},
	.why = {
		"\nWhy?\n{{why}}\n",
		"<h3>Why?</h3>\n<p style=\"white-space:pre-wrap\">{{why}}</p>\n"},
	.better = {
		"\nWhat could we do better?\n{{better}}\n",
		"<h3>What could we do better?</h3>\n"
		"<p style=\"white-space:pre-wrap\">{{better}}</p>\n"},
	.ack = {
		"\nTaking it? Acknowledge with one click (records your name "
		"and the time):\n{{ack_url}}\n",
		"<p><a href=\"{{ack_url}}\" style=\"font-weight:bold\">I am "
		"taking this: acknowledge</a> (records your name and the "
		"time)</p>\n"},
	.red_foot = {
		"\n-- \nmailmood red alert for team {{team}}\n",
		"<p style=\"color:#666\">mailmood red alert for team {{team}}"
		"</p>\n" HTML_CLOSE},
	.kudos_foot = {
		"\n-- \nmailmood kudos for team {{team}}\n",
		"<p style=\"color:#666\">mailmood kudos for team {{team}}</p>\n"
		HTML_CLOSE},
	.l_rating = "Rating", .l_ticket = "Ticket", .l_subject = "Subject",
	.l_requester = "Requester",
	.l_agent = "Agent", .l_team = "Team",
	.l_sent = "Closure mail sent", .l_rated = "Rated",
	.digest_subject = "Digest {{team}}: {{rated}} rating(s), {{red}} red "
		"({{since}} - {{until}})",
	.digest_period_daily = "daily", .digest_period_weekly = "weekly",
	.digest_head = {
		"mailmood {{period}} digest for team {{team}}, {{since}} - "
		"{{until}}\n\n"
		"Ratings: {{rated}}\nTemperature: {{temperature}}\n"
		"Response rate: {{response}} ({{answered}} of {{surveyed}} "
		"surveys)\nOpen alerts (not acknowledged): {{open}}\n\n",
		HTML_OPEN "<h2>mailmood {{period}} digest for team {{team}}"
		"</h2>\n<p>{{since}} - {{until}}</p>\n<table>\n"
		"<tr><th align=\"left\">Ratings</th><td>{{rated}}</td></tr>\n"
		"<tr><th align=\"left\">Temperature</th><td>{{temperature}}"
		"</td></tr>\n<tr><th align=\"left\">Response rate</th><td>"
		"{{response}} ({{answered}} of {{surveyed}} surveys)</td></tr>\n"
		"<tr><th align=\"left\">Open alerts (not acknowledged)</th>"
		"<td>{{open}}</td></tr>\n</table>\n"},
	.digest_levels = {
		"Per level:\n{{#rows}}  {{k}}: {{v}}\n{{/rows}}",
		"<h3>Per level</h3>\n<table>\n{{#rows}}<tr><th align=\"left\">"
		"{{k}}</th><td>{{v}}</td></tr>\n{{/rows}}</table>\n"},
	.digest_comments = {
		"\nComments:\n{{#rows}}\n[{{k}}] {{ticket}} {{agent}}\n"
		"{{why}}\n{{better}}\n{{/rows}}",
		"<h3>Comments</h3>\n{{#rows}}<p><b>[{{k}}] {{ticket}}</b> "
		"{{agent}}<br><span style=\"white-space:pre-wrap\">{{why}}"
		"</span><br><span style=\"white-space:pre-wrap\">{{better}}"
		"</span></p>\n{{/rows}}"},
	.digest_foot = {
		"\n-- \nmailmood digest\n",
		"<p style=\"color:#666\">mailmood digest</p>\n" HTML_CLOSE},
};

static const struct lang lang_nl = {
	.red = "ROOD", .gold = "GOUD", .kudos = "COMPLIMENT",
	.no_ticket = "(geen ticket)", .none = "-",
	.red_head = {
		"{{requester}} beoordeelde ticket {{ticket}} als {{label}}.\n"
		"Bel terug nu de ervaring nog vers is; een antwoord op deze "
		"mail gaat naar de aanvrager.\n\n",
		HTML_OPEN "<h2 style=\"color:{{color}}\">{{word}}: {{ticket}}"
		"</h2>\n<p><b>{{requester}}</b> beoordeelde ticket {{ticket}} "
		"als <b>{{label}}</b>.<br>Bel terug nu de ervaring nog vers "
		"is; een antwoord op deze mail gaat naar de aanvrager.</p>\n"},
	.kudos_head = {
		"{{requester}} beoordeelde ticket {{ticket}} als {{label}}. "
		"Goed gedaan!\n\n",
		HTML_OPEN "<h2 style=\"color:{{color}}\">{{word}}: {{ticket}}"
		"</h2>\n<p><b>{{requester}}</b> beoordeelde ticket {{ticket}} "
		"als <b>{{label}}</b>. Goed gedaan!</p>\n"},
	.rows = {
		"{{#rows}}{{k}}: {{v}}\n{{/rows}}",
		"<table>\n{{#rows}}<tr><th align=\"left\">{{k}}</th>"
		"<td>{{v}}</td></tr>\n{{/rows}}</table>\n"},
	.ticket_link = {
		"Ticket: {{ticket_link}}\n",
		"<p><a href=\"{{ticket_link}}\">Open ticket {{ticket}}</a></p>\n"},
	.history = {
		"\nDeze aanvrager gaf eerder rood: {{prior}} keer, het laatst "
		"op {{prior_last}}.\n",
		"<p><b>Deze aanvrager gaf eerder rood:</b> {{prior}} keer, het "
		"laatst op {{prior_last}}.</p>\n"},
	.why = {
		"\nWaarom?\n{{why}}\n",
		"<h3>Waarom?</h3>\n<p style=\"white-space:pre-wrap\">{{why}}"
		"</p>\n"},
	.better = {
		"\nWat kunnen we beter doen?\n{{better}}\n",
		"<h3>Wat kunnen we beter doen?</h3>\n"
		"<p style=\"white-space:pre-wrap\">{{better}}</p>\n"},
	.ack = {
		"\nPak je het op? Bevestig met een klik (legt je naam en het "
		"tijdstip vast):\n{{ack_url}}\n",
		"<p><a href=\"{{ack_url}}\" style=\"font-weight:bold\">Ik pak "
		"dit op: bevestigen</a> (legt je naam en het tijdstip vast)"
		"</p>\n"},
	.red_foot = {
		"\n-- \nmailmood rood alarm voor team {{team}}\n",
		"<p style=\"color:#666\">mailmood rood alarm voor team {{team}}"
		"</p>\n" HTML_CLOSE},
	.kudos_foot = {
		"\n-- \nmailmood compliment voor team {{team}}\n",
		"<p style=\"color:#666\">mailmood compliment voor team {{team}}"
		"</p>\n" HTML_CLOSE},
	.l_rating = "Beoordeling", .l_ticket = "Ticket", .l_subject = "Onderwerp",
	.l_requester = "Aanvrager", .l_agent = "Behandelaar", .l_team = "Team",
	.l_sent = "Afsluitmail verstuurd", .l_rated = "Beoordeeld",
	.digest_subject = "Overzicht {{team}}: {{rated}} beoordeling(en), "
		"{{red}} rood ({{since}} - {{until}})",
	.digest_period_daily = "dagelijks", .digest_period_weekly = "wekelijks",
	.digest_head = {
		"mailmood {{period}} overzicht voor team {{team}}, {{since}} - "
		"{{until}}\n\n"
		"Beoordelingen: {{rated}}\nTemperatuur: {{temperature}}\n"
		"Respons: {{response}} ({{answered}} van {{surveyed}} "
		"enquetes)\nOpen alarmen (niet bevestigd): {{open}}\n\n",
		HTML_OPEN "<h2>mailmood {{period}} overzicht voor team {{team}}"
		"</h2>\n<p>{{since}} - {{until}}</p>\n<table>\n"
		"<tr><th align=\"left\">Beoordelingen</th><td>{{rated}}</td>"
		"</tr>\n<tr><th align=\"left\">Temperatuur</th><td>"
		"{{temperature}}</td></tr>\n<tr><th align=\"left\">Respons</th>"
		"<td>{{response}} ({{answered}} van {{surveyed}} enquetes)"
		"</td></tr>\n<tr><th align=\"left\">Open alarmen (niet "
		"bevestigd)</th><td>{{open}}</td></tr>\n</table>\n"},
	.digest_levels = {
		"Per niveau:\n{{#rows}}  {{k}}: {{v}}\n{{/rows}}",
		"<h3>Per niveau</h3>\n<table>\n{{#rows}}<tr><th align=\"left\">"
		"{{k}}</th><td>{{v}}</td></tr>\n{{/rows}}</table>\n"},
	.digest_comments = {
		"\nOpmerkingen:\n{{#rows}}\n[{{k}}] {{ticket}} {{agent}}\n"
		"{{why}}\n{{better}}\n{{/rows}}",
		"<h3>Opmerkingen</h3>\n{{#rows}}<p><b>[{{k}}] {{ticket}}</b> "
		"{{agent}}<br><span style=\"white-space:pre-wrap\">{{why}}"
		"</span><br><span style=\"white-space:pre-wrap\">{{better}}"
		"</span></p>\n{{/rows}}"},
	.digest_foot = {
		"\n-- \nmailmood overzicht\n",
		"<p style=\"color:#666\">mailmood overzicht</p>\n" HTML_CLOSE},
};
/* clang-format on */

static const struct lang *lang_for(const char *tag)
{
	return tag && (tag[0] == 'n' || tag[0] == 'N') &&
		       (tag[1] == 'l' || tag[1] == 'L')
		   ? &lang_nl
		   : &lang_en;
}

/* A message under construction: the two bodies and a failure flag. */
struct parts {
	struct buf txt, html;
	int failed;
};

static void piece(struct parts *p, const char *const tpl[2],
		  const struct tmpl_var *vars, size_t nvars,
		  const struct tmpl_var *items, size_t nitems,
		  size_t item_nvars)
{
	struct tmpl_ctx ctx;
	char err[128];

	memset(&ctx, 0, sizeof(ctx));
	ctx.vars = vars;
	ctx.nvars = nvars;
	ctx.section = "rows";
	ctx.items = items;
	ctx.nitems = nitems;
	ctx.item_nvars = item_nvars;
	if (tmpl_render(&p->txt, tpl[0], strlen(tpl[0]), 0, &ctx, err,
			sizeof(err)) < 0 ||
	    tmpl_render(&p->html, tpl[1], strlen(tpl[1]), 1, &ctx, err,
			sizeof(err)) < 0)
		p->failed = 1;
}

/* Headers, then the two parts as quoted-printable in a
 * multipart/alternative. QP output never holds "=_", so a boundary that
 * starts with it cannot occur in the parts. */
static int assemble(struct buf *out, const struct alert_head *h,
		    const char *subject, struct parts *p)
{
	char boundary[80];
	size_t nto = 0;

	if (p->failed || p->txt.failed || p->html.failed || !h->nto ||
	    !alert_addr_ok(h->from) || !msgid_ok(h->message_id))
		return -1;
	header_mailbox(out, "From", "mailmood", h->from);
	buf_puts(out, "To: ");
	for (size_t i = 0; i < h->nto; i++) {
		if (!alert_addr_ok(h->to[i]))
			continue;
		buf_printf(out, "%s%s", nto ? ",\r\n " : "", h->to[i]);
		nto++;
	}
	buf_puts(out, "\r\n");
	if (!nto)
		return -1;
	if (h->reply_to && alert_addr_ok(h->reply_to))
		buf_printf(out, "Reply-To: <%s>\r\n", h->reply_to);
	alert_header(out, "Subject", subject);
	header_date(out, h->date);
	buf_printf(out, "Message-ID: <%s>\r\n", h->message_id);
	buf_puts(out, "MIME-Version: 1.0\r\n"
		      "Auto-Submitted: auto-generated\r\n"
		      "X-Auto-Response-Suppress: All\r\n"
		      "Precedence: bulk\r\n");
	snprintf(boundary, sizeof(boundary), "=_mailmood_%.60s", h->message_id);
	for (char *c = boundary; *c; c++)
		if (*c == '@')
			*c = '.';
	buf_printf(out,
		   "Content-Type: multipart/alternative;\r\n"
		   " boundary=\"%s\"\r\n\r\n"
		   "This is a multi-part message in MIME format.\r\n"
		   "--%s\r\n"
		   "Content-Type: text/plain; charset=utf-8\r\n"
		   "Content-Transfer-Encoding: quoted-printable\r\n\r\n",
		   boundary, boundary);
	codec_qp_encode(out, p->txt.data ? p->txt.data : "", p->txt.len);
	buf_printf(out,
		   "\r\n--%s\r\n"
		   "Content-Type: text/html; charset=utf-8\r\n"
		   "Content-Transfer-Encoding: quoted-printable\r\n\r\n",
		   boundary);
	codec_qp_encode(out, p->html.data ? p->html.data : "", p->html.len);
	buf_printf(out, "\r\n--%s--\r\n", boundary);
	return out->failed ? -1 : 0;
}

/* A cleaned copy for a header-ish place (one line), or `dflt`. */
static char *one_line(const char *in, size_t max, const char *dflt)
{
	struct buf b;

	buf_init(&b);
	alert_clean_header(&b, in, max);
	if (!b.len) {
		buf_free(&b);
		return strdup(dflt);
	}
	return buf_steal(&b, NULL);
}

/* The closure mail's subject for a header: cleaned, cut at max
 * characters with "…" after the cut; "" when there is none. */
static char *subject_line(const char *in, size_t max)
{
	struct buf b, whole;

	buf_init(&b);
	buf_init(&whole);
	alert_clean_header(&b, in, max);
	alert_clean_header(&whole, in, 0);
	if (whole.len > b.len) {
		/* the cut may leave a space at the end */
		while (b.len && b.data[b.len - 1] == ' ')
			b.data[--b.len] = '\0';
		buf_puts(&b, "\xE2\x80\xA6");
	}
	buf_free(&whole);
	if (!b.data)
		buf_puts(&b, "");
	return buf_steal(&b, NULL);
}

static char *body_text(const char *in)
{
	struct buf b;

	buf_init(&b);
	alert_clean_body(&b, in);
	if (!b.data)
		buf_puts(&b, "");
	return buf_steal(&b, NULL);
}

static int compose_rating(struct buf *out, const struct alert_head *h,
			  const struct alert_rating *a, int kudos)
{
	const struct lang *L = lang_for(a->lang);
	const char *lang = L == &lang_nl ? "nl" : "en";
	const struct scale_level *lv = scale_level(a->scale, a->level);
	char *subject = subject_line(a->subject, ALERT_SUBJECT_MAX);
	int has_ticket = a->ticket && *a->ticket;
	/* without a ticket the subject stands in for it */
	char *ticket =
	    one_line(has_ticket ? a->ticket : a->subject,
		     has_ticket ? 64 : ALERT_SUBJECT_MAX, L->no_ticket);
	char *req = one_line(a->requester, 254, L->none);
	char *name = a->requester_name ? one_line(a->requester_name, 64, "")
				       : strdup("");
	char *agent = one_line(a->agent, 128, L->none);
	char *team = one_line(a->team, 128, L->none);
	char *why = body_text(a->why), *better = body_text(a->better);
	char *link = alert_ticket_link(a->ticket_url, a->ticket);
	char word[128], label[96], sent[64], rated[64], prior[32],
	    prior_last[64], who[640];
	struct buf subj;
	struct parts p;
	int rc = -1;

	buf_init(&subj);
	memset(&p, 0, sizeof(p));
	buf_init(&p.txt);
	buf_init(&p.html);
	if (!ticket || !subject || !req || !name || !agent || !team || !why ||
	    !better || !lv)
		goto out;
	/* one_line() may have found nothing printable in the ticket */
	if (has_ticket && !strcmp(ticket, L->no_ticket) && *subject)
		has_ticket = 0;
	if (!has_ticket && *subject) {
		free(ticket);
		ticket = subject;
		subject = strdup("");
		if (!subject)
			goto out;
	}
	snprintf(label, sizeof(label), "%s",
		 scale_label(a->scale, a->level, lang));
	if (a->scale->id == SCALE_THERMOMETER)
		snprintf(word, sizeof(word), "%s", kudos ? L->gold : L->red);
	else
		snprintf(word, sizeof(word), "%s (%s)",
			 kudos ? L->kudos : L->red, label);
	fmt_time(sent, sizeof(sent), a->sent_at);
	fmt_time(rated, sizeof(rated), a->rated_at);
	snprintf(prior, sizeof(prior), "%lld", (long long)a->prior_alerts);
	fmt_time(prior_last, sizeof(prior_last), a->prior_last_at);
	if (*name)
		snprintf(who, sizeof(who), "%s <%s>", name, req);
	else
		snprintf(who, sizeof(who), "%s", req);
	{
		const struct tmpl_var vars[] = {
		    {"requester", who},		{"ticket", ticket},
		    {"label", label},		{"word", word},
		    {"color", lv->color},	{"team", team},
		    {"ticket_link", link},	{"prior", prior},
		    {"prior_last", prior_last}, {"why", why},
		    {"better", better},		{"ack_url", a->ack_url},
		};
		struct tmpl_var rows[] = {
		    {"k", L->l_rating},	   {"v", label},
		    {"k", L->l_ticket},	   {"v", ticket},
		    {"k", L->l_subject},   {"v", subject},
		    {"k", L->l_requester}, {"v", who},
		    {"k", L->l_agent},	   {"v", agent},
		    {"k", L->l_team},	   {"v", team},
		    {"k", L->l_sent},	   {"v", sent},
		    {"k", L->l_rated},	   {"v", rated},
		};
		size_t nv = sizeof(vars) / sizeof(vars[0]), nrows = 8;

		if (!*subject) {
			/* no subject row: the rows after it move up */
			memmove(&rows[4], &rows[6],
				sizeof(rows) - 6 * sizeof(rows[0]));
			nrows = 7;
		}
		piece(&p, kudos ? L->kudos_head : L->red_head, vars, nv, NULL,
		      0, 0);
		piece(&p, L->rows, vars, nv, rows, nrows, 2);
		if (link)
			piece(&p, L->ticket_link, vars, nv, NULL, 0, 0);
		if (!kudos && a->prior_alerts > 0)
			piece(&p, L->history, vars, nv, NULL, 0, 0);
		if (*why)
			piece(&p, L->why, vars, nv, NULL, 0, 0);
		if (*better)
			piece(&p, L->better, vars, nv, NULL, 0, 0);
		if (!kudos && a->ack_url)
			piece(&p, L->ack, vars, nv, NULL, 0, 0);
		piece(&p, kudos ? L->kudos_foot : L->red_foot, vars, nv, NULL,
		      0, 0);
	}
	/* "RED: INC-1234 Printer on fire — j.doe@acme.example" */
	buf_printf(&subj, "%s: %s%s%s \xE2\x80\x94 %s", word, ticket,
		   *subject ? " " : "", subject, req);
	if (subj.failed)
		goto out;
	rc = assemble(out, h, subj.data, &p);
out:
	buf_free(&subj);
	buf_free(&p.txt);
	buf_free(&p.html);
	free(ticket);
	free(subject);
	free(req);
	free(name);
	free(agent);
	free(team);
	free(why);
	free(better);
	free(link);
	return rc;
}

int alert_compose_red(struct buf *out, const struct alert_head *h,
		      const struct alert_rating *a)
{
	return compose_rating(out, h, a, 0);
}

int alert_compose_kudos(struct buf *out, const struct alert_head *h,
			const struct alert_rating *a)
{
	return compose_rating(out, h, a, 1);
}

static void percent(char *out, size_t len, int64_t part, int64_t whole)
{
	if (whole <= 0)
		snprintf(out, len, "-");
	else
		snprintf(out, len, "%lld%%",
			 (long long)((part * 100 + whole / 2) / whole));
}

int alert_compose_digest(struct buf *out, const struct alert_head *h,
			 const struct alert_digest *d)
{
	const struct lang *L = lang_for(d->lang);
	const char *lang = L == &lang_nl ? "nl" : "en";
	const struct store_digest_stats *s = d->stats;
	const struct scale *sc = d->scale;
	char *team = one_line(d->team, 128, L->none);
	char since[32], until[32], rated[32], red[32], temp[16], resp[16],
	    answered[32], surveyed[32], open[32];
	char counts[STORE_MAX_LEVEL + 1][24];
	struct tmpl_var lvrows[2 * (STORE_MAX_LEVEL + 1)];
	struct tmpl_var *crows = NULL;
	char **cbuf = NULL;
	size_t nlv = 0, ncb = 0;
	int64_t warm = 0, nred = 0;
	struct buf subj;
	struct parts p;
	int rc = -1;

	buf_init(&subj);
	memset(&p, 0, sizeof(p));
	buf_init(&p.txt);
	buf_init(&p.html);
	if (!team)
		goto out;
	for (int i = 0; i < sc->nlevels; i++) {
		int v = sc->levels[i].value;
		int64_t n = v >= 0 && v <= STORE_MAX_LEVEL ? s->levels[v] : 0;
		if (scale_is_warm(sc, v))
			warm += n;
		if (v <= d->alert_at)
			nred += n;
		snprintf(counts[i], sizeof(counts[i]), "%lld", (long long)n);
		lvrows[nlv].name = "k";
		lvrows[nlv++].value = scale_label(sc, v, lang);
		lvrows[nlv].name = "v";
		lvrows[nlv++].value = counts[i];
	}
	fmt_day(since, sizeof(since), d->since);
	fmt_day(until, sizeof(until), d->until - 1);
	snprintf(rated, sizeof(rated), "%lld", (long long)s->rated);
	snprintf(red, sizeof(red), "%lld", (long long)nred);
	percent(temp, sizeof(temp), warm, s->rated);
	percent(resp, sizeof(resp), s->answered, s->surveyed);
	snprintf(answered, sizeof(answered), "%lld", (long long)s->answered);
	snprintf(surveyed, sizeof(surveyed), "%lld", (long long)s->surveyed);
	snprintf(open, sizeof(open), "%lld", (long long)s->open_alerts);
	/* comments: 5 values per row, cleaned copies kept in cbuf */
	if (s->ncomments) {
		crows = calloc(s->ncomments * 5, sizeof(*crows));
		cbuf = calloc(s->ncomments * 4, sizeof(*cbuf));
		if (!crows || !cbuf)
			goto out;
		for (size_t i = 0; i < s->ncomments; i++) {
			const struct store_digest_comment *c = &s->comments[i];
			struct tmpl_var *r = crows + i * 5;
			cbuf[ncb++] = one_line(c->ticket, 64, L->no_ticket);
			cbuf[ncb++] = one_line(c->agent, 128, "");
			cbuf[ncb++] = body_text(c->why);
			cbuf[ncb++] = body_text(c->better);
			for (size_t k = ncb - 4; k < ncb; k++)
				if (!cbuf[k])
					goto out;
			r[0].name = "k";
			r[0].value = scale_label(sc, c->level, lang);
			r[1].name = "ticket";
			r[1].value = cbuf[ncb - 4];
			r[2].name = "agent";
			r[2].value = cbuf[ncb - 3];
			r[3].name = "why";
			r[3].value = cbuf[ncb - 2];
			r[4].name = "better";
			r[4].value = cbuf[ncb - 1];
		}
	}
	{
		const struct tmpl_var vars[] = {
		    {"team", team},
		    {"period", d->period == CONF_DIGEST_DAILY
				   ? L->digest_period_daily
				   : L->digest_period_weekly},
		    {"since", since},
		    {"until", until},
		    {"rated", rated},
		    {"red", red},
		    {"temperature", temp},
		    {"response", resp},
		    {"answered", answered},
		    {"surveyed", surveyed},
		    {"open", open},
		};
		size_t nv = sizeof(vars) / sizeof(vars[0]);
		struct tmpl_ctx ctx;
		char err[128];

		piece(&p, L->digest_head, vars, nv, NULL, 0, 0);
		piece(&p, L->digest_levels, vars, nv, lvrows, nlv / 2, 2);
		if (s->ncomments)
			piece(&p, L->digest_comments, vars, nv, crows,
			      s->ncomments, 5);
		piece(&p, L->digest_foot, vars, nv, NULL, 0, 0);
		memset(&ctx, 0, sizeof(ctx));
		ctx.vars = vars;
		ctx.nvars = nv;
		if (tmpl_render(&subj, L->digest_subject,
				strlen(L->digest_subject), 0, &ctx, err,
				sizeof(err)) < 0)
			goto out;
	}
	rc = assemble(out, h, subj.data, &p);
out:
	for (size_t i = 0; i < ncb; i++)
		free(cbuf[i]);
	free(cbuf);
	free(crows);
	buf_free(&subj);
	buf_free(&p.txt);
	buf_free(&p.html);
	free(team);
	return rc;
}

int alert_compose_raw(struct buf *out, const struct alert_head *h,
		      const char *subject, const char *text, const char *html)
{
	struct parts p;
	int rc;

	memset(&p, 0, sizeof(p));
	buf_init(&p.txt);
	buf_init(&p.html);
	buf_puts(&p.txt, text);
	buf_puts(&p.html, html);
	rc = assemble(out, h, subject, &p);
	buf_free(&p.txt);
	buf_free(&p.html);
	return rc;
}
