/* SPDX-License-Identifier: BSD-2-Clause */
/* HTML reply to plain text, only as far as reading a reply needs: the text
 * a person sees, lines where blocks end, and <blockquote> as "> " so the
 * stripper treats the quoted mail as a quote. Not a renderer: tables become
 * lines, links their text. Tolerant of any byte soup (fuzzed). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "reply.h"

struct h2t {
	struct buf out;
	int quote;    /* blockquote depth */
	int pre;      /* inside <pre> */
	int at_bol;   /* nothing written on the current line yet */
	int space;    /* a collapsed blank is pending */
	int newlines; /* newlines written in a row (capped at 2) */
	int blank;    /* only a NBSP on this line: Outlook's empty paragraph */
};

static void h2t_newline(struct h2t *h, int max)
{
	if (h->newlines >= max)
		return;
	buf_putc(&h->out, '\n');
	h->newlines++;
	h->at_bol = 1;
	h->space = 0;
}

static void h2t_text(struct h2t *h, const char *p, size_t n)
{
	if (!n)
		return;
	if (h->at_bol) {
		for (int i = 0; i < h->quote && i < 64; i++)
			buf_putc(&h->out, '>');
		if (h->quote)
			buf_putc(&h->out, ' ');
		h->at_bol = 0;
	} else if (h->space) {
		buf_putc(&h->out, ' ');
	}
	h->space = 0;
	h->newlines = 0;
	h->blank = 0;
	buf_append(&h->out, p, n);
}

static void put_utf8(struct h2t *h, unsigned long cp)
{
	char u[4];
	size_t n;

	if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		cp = 0xFFFD;
	if (cp == 0xA0) {
		/* NBSP reads as a blank */
		if (!h->at_bol)
			h->space = 1;
		else
			h->blank = 1;
		return;
	}
	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xC0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xE0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		u[0] = (char)(0xF0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[3] = (char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	h2t_text(h, u, n);
}

static const struct {
	const char *name;
	unsigned long cp;
} entities[] = {
    {"amp", '&'},      {"lt", '<'},	  {"gt", '>'},	      {"quot", '"'},
    {"apos", '\''},    {"nbsp", 0xA0},	  {"hellip", 0x2026}, {"ndash", 0x2013},
    {"mdash", 0x2014}, {"lsquo", 0x2018}, {"rsquo", 0x2019},  {"ldquo", 0x201C},
    {"rdquo", 0x201D}, {"euro", 0x20AC},  {"eacute", 0xE9},   {"euml", 0xEB},
    {"egrave", 0xE8},  {"iuml", 0xEF},	  {"ouml", 0xF6},     {"uuml", 0xFC},
    {"auml", 0xE4},    {"aacute", 0xE1},  {"oacute", 0xF3},   {"ccedil", 0xE7},
    {"szlig", 0xDF},   {"copy", 0xA9},	  {"zwnj", 0x200C},   {"zwj", 0x200D},
};

/* At p[0] == '&'. Returns bytes consumed (1 when not an entity). */
static size_t entity(struct h2t *h, const char *p, size_t n)
{
	size_t i = 1;
	unsigned long cp = 0;

	if (i < n && p[i] == '#') {
		int hex = i + 1 < n && (p[i + 1] == 'x' || p[i + 1] == 'X');
		size_t s;
		i += hex ? 2 : 1;
		s = i;
		while (i < n && i - s < 8 &&
		       (hex ? isxdigit((unsigned char)p[i])
			    : isdigit((unsigned char)p[i]))) {
			int d = isdigit((unsigned char)p[i])
				    ? p[i] - '0'
				    : (tolower((unsigned char)p[i]) - 'a' + 10);
			cp = cp * (hex ? 16 : 10) + (unsigned long)d;
			i++;
		}
		if (i == s)
			return 0;
		if (i < n && p[i] == ';')
			i++;
		put_utf8(h, cp);
		return i;
	}
	for (size_t k = 0; k < sizeof(entities) / sizeof(entities[0]); k++) {
		size_t l = strlen(entities[k].name);
		if (1 + l <= n && !strncmp(p + 1, entities[k].name, l)) {
			i = 1 + l;
			if (i < n && p[i] == ';')
				i++;
			put_utf8(h, entities[k].cp);
			return i;
		}
	}
	return 0;
}

static int name_is(const char *name, size_t n, const char *w)
{
	return strlen(w) == n && !strncasecmp(name, w, n);
}

static int is_block(const char *name, size_t n)
{
	static const char *const blocks[] = {
	    "p",       "div",	 "table",  "tr",     "ul",	"ol",
	    "li",      "h1",	 "h2",	   "h3",     "h4",	"h5",
	    "h6",      "hr",	 "dl",	   "dt",     "dd",	"section",
	    "article", "header", "footer", "center", "address", "form"};

	for (size_t i = 0; i < sizeof(blocks) / sizeof(blocks[0]); i++)
		if (name_is(name, n, blocks[i]))
			return 1;
	return 0;
}

/* Skips to the closing tag of an element whose content is never shown
 * (script, style, head, title). Returns the position after it. */
static size_t skip_element(const char *p, size_t n, size_t i, const char *name)
{
	size_t l = strlen(name);

	for (; i + 2 + l <= n; i++)
		if (p[i] == '<' && p[i + 1] == '/' &&
		    !strncasecmp(p + i + 2, name, l)) {
			const char *gt = memchr(p + i, '>', n - i);
			return gt ? (size_t)(gt - p) + 1 : n;
		}
	return n;
}

char *reply_html_to_text(const char *html, size_t len)
{
	struct h2t h;
	size_t i = 0;

	if (!html && len)
		return NULL;
	memset(&h, 0, sizeof(h));
	buf_init(&h.out);
	h.at_bol = 1;
	h.newlines = 2;
	while (i < len) {
		char ch = html[i];

		if (ch == '<') {
			if (i + 4 <= len && !strncmp(html + i, "<!--", 4)) {
				const char *e = NULL;
				for (size_t k = i + 4; k + 3 <= len; k++)
					if (!strncmp(html + k, "-->", 3)) {
						e = html + k;
						break;
					}
				i = e ? (size_t)(e - html) + 3 : len;
				continue;
			}
			const char *gt = memchr(html + i, '>', len - i);
			size_t end = gt ? (size_t)(gt - html) + 1 : len;
			size_t s = i + 1;
			int closing = s < len && html[s] == '/';
			if (closing)
				s++;
			size_t e = s;
			while (e < end && (isalnum((unsigned char)html[e]) ||
					   html[e] == ':'))
				e++;
			const char *name = html + s;
			size_t nl = e - s;
			i = end;
			if (!nl)
				continue;
			if (!closing && (name_is(name, nl, "script") ||
					 name_is(name, nl, "style") ||
					 name_is(name, nl, "head") ||
					 name_is(name, nl, "title"))) {
				char nm[8];
				memcpy(nm, name, nl);
				nm[nl] = '\0';
				if (end > 1 && html[end - 2] != '/')
					i = skip_element(html, len, end, nm);
				continue;
			}
			if (name_is(name, nl, "br")) {
				buf_putc(&h.out, '\n');
				h.newlines++;
				h.at_bol = 1;
				h.space = 0;
			} else if (name_is(name, nl, "blockquote")) {
				h2t_newline(&h, 1);
				if (closing && h.quote > 0)
					h.quote--;
				else if (!closing)
					h.quote++;
			} else if (name_is(name, nl, "pre")) {
				h2t_newline(&h, 1);
				h.pre = !closing;
			} else if (name_is(name, nl, "td") ||
				   name_is(name, nl, "th")) {
				if (!closing && !h.at_bol)
					h.space = 1;
			} else if (is_block(name, nl)) {
				/* <p>&nbsp;</p> is a blank line */
				h2t_newline(&h, h.blank ? 2 : 1);
				h.blank = 0;
			}
			continue;
		}
		if (ch == '&') {
			size_t k = entity(&h, html + i, len - i);
			if (k) {
				i += k;
				continue;
			}
			h2t_text(&h, "&", 1);
			i++;
			continue;
		}
		if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' ||
		    ch == '\f') {
			if (h.pre) {
				if (ch == '\n') {
					buf_putc(&h.out, '\n');
					h.at_bol = 1;
				} else if (ch != '\r') {
					h2t_text(&h, &ch, 1);
				}
			} else if (!h.at_bol) {
				h.space = 1;
			}
			i++;
			continue;
		}
		size_t s = i;
		/* strchr() finds the terminator too: a NUL byte in the input
		 * must not stop progress (found by fuzzing). */
		while (i < len && html[i] && !strchr("<& \t\n\r\f", html[i]))
			i++;
		if (i == s) {
			i++;
			continue;
		}
		h2t_text(&h, html + s, i - s);
	}
	/* The result feeds the stripper; trailing blanks are noise. */
	while (h.out.len && (h.out.data[h.out.len - 1] == '\n' ||
			     h.out.data[h.out.len - 1] == ' '))
		h.out.data[--h.out.len] = '\0';
	buf_append(&h.out, "", 0); /* terminated even when empty */
	return buf_steal(&h.out, NULL);
}
