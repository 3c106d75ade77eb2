/* SPDX-License-Identifier: BSD-2-Clause */
/* MIME structure over raw bytes, as offsets, for the splice (mime.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem; config.h defines it in the build */
#endif
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "mime.h"

static void mime_field_done(const char *msg, size_t name, size_t name_len,
			    size_t vstart, size_t vend, struct mime_headers *h)
{
	struct mime_span v = {vstart, vend - vstart};

#define MIME_IS(s)                                                             \
	(name_len == sizeof(s) - 1 &&                                          \
	 strncasecmp(msg + name, s, sizeof(s) - 1) == 0)
	if (MIME_IS("content-type")) {
		h->ctype = v;
		h->ctype_field_end = vend;
		h->n_ctype++;
	} else if (MIME_IS("content-transfer-encoding")) {
		h->cte = v;
		h->n_cte++;
	} else if (MIME_IS("content-disposition")) {
		h->cdisp = v;
		h->n_cdisp++;
	} else if (MIME_IS("dkim-signature")) {
		h->dkim = 1;
	}
#undef MIME_IS
}

int mime_headers_scan(const char *msg, size_t off, size_t end,
		      struct mime_headers *h)
{
	size_t pos = off, name = 0, name_len = 0, vstart = 0, vend = 0;
	int in_field = 0;

	memset(h, 0, sizeof(*h));
	h->off = off;
	while (pos < end) {
		const char *nl = memchr(msg + pos, '\n', end - pos);
		size_t line_end = nl ? (size_t)(nl - msg) : end;
		size_t next = nl ? line_end + 1 : end;
		size_t cend = line_end;
		const char *colon;

		if (cend > pos && msg[cend - 1] == '\r')
			cend--;
		if (pos == off)
			h->crlf = cend < line_end;
		if (cend == pos) {
			h->has_sep = 1;
			h->end = pos;
			h->body_off = next;
			break;
		}
		/* Other parsers (Python's among them) end lines at a bare
		 * CR too; a header block read two ways is refused. */
		if (memchr(msg + pos, '\r', cend - pos))
			return -1;
		if (msg[pos] == ' ' || msg[pos] == '\t') {
			if (!in_field)
				return -1;
			vend = cend;
			pos = next;
			continue;
		}
		colon = memchr(msg + pos, ':', cend - pos);
		if (!colon || colon == msg + pos)
			return -1;
		if (in_field)
			mime_field_done(msg, name, name_len, vstart, vend, h);
		name = pos;
		name_len = (size_t)(colon - (msg + pos));
		/* obs-header allows whitespace before the colon. */
		while (name_len && (msg[name + name_len - 1] == ' ' ||
				    msg[name + name_len - 1] == '\t'))
			name_len--;
		for (size_t i = 0; i < name_len; i++) {
			unsigned char c = (unsigned char)msg[name + i];

			if (c < 33 || c > 126)
				return -1;
		}
		if (!name_len)
			return -1;
		vstart = (size_t)(colon - msg) + 1;
		vend = cend;
		in_field = 1;
		pos = next;
	}
	if (in_field)
		mime_field_done(msg, name, name_len, vstart, vend, h);
	if (!h->has_sep) {
		h->end = end;
		h->body_off = end;
	}
	return 0;
}

/* Skips whitespace, folding and (nested) comments. */
static size_t mime_skip_cfws(const char *s, size_t i, size_t end)
{
	while (i < end) {
		if (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' ||
		    s[i] == '\n') {
			i++;
		} else if (s[i] == '(') {
			int depth = 0;

			for (; i < end; i++) {
				if (s[i] == '\\' && i + 1 < end)
					i++;
				else if (s[i] == '(')
					depth++;
				else if (s[i] == ')' && --depth == 0)
					break;
			}
			if (i < end)
				i++;
		} else {
			break;
		}
	}
	return i;
}

static int mime_is_tspecial(unsigned char c)
{
	return c <= 32 || c >= 127 || strchr("()<>@,;:\\\"/[]?=", c);
}

/* Reads a token, lower-cased into out (size n). Returns the index after
 * it; *ok = 0 when empty or too long. */
static size_t mime_token(const char *s, size_t i, size_t end, char *out,
			 size_t n, int *ok)
{
	size_t k = 0;

	*ok = 1;
	while (i < end && !mime_is_tspecial((unsigned char)s[i])) {
		if (k + 1 < n)
			out[k++] = (char)tolower((unsigned char)s[i]);
		else
			*ok = 0;
		i++;
	}
	out[k] = '\0';
	if (k == 0)
		*ok = 0;
	return i;
}

struct mime_param {
	char name[32];
	char value[MIME_BOUNDARY_MAX + 2];
	size_t value_len;
	struct mime_span raw; /* the value as written, quotes included */
	int quoted, escaped, too_long, unterminated;
};

/* Reads "; name=value" at i. Returns the index after it, or end when
 * there are no more parameters (or the rest cannot be read). */
static size_t mime_param_next(const char *s, size_t i, size_t end,
			      struct mime_param *p, int *got)
{
	int ok;

	*got = 0;
	memset(p, 0, sizeof(*p));
	i = mime_skip_cfws(s, i, end);
	if (i >= end || s[i] != ';')
		return end;
	i = mime_skip_cfws(s, i + 1, end);
	if (i >= end)
		return end;
	i = mime_token(s, i, end, p->name, sizeof(p->name), &ok);
	if (!p->name[0])
		return end; /* ";;" or junk: nothing trustworthy follows */
	i = mime_skip_cfws(s, i, end);
	if (i >= end || s[i] != '=')
		return end;
	i = mime_skip_cfws(s, i + 1, end);
	p->raw.off = i;
	if (i < end && s[i] == '"') {
		p->quoted = 1;
		p->unterminated = 1;
		for (i++; i < end; i++) {
			char c = s[i];

			if (c == '"') {
				p->unterminated = 0;
				i++;
				break;
			}
			if (c == '\\' && i + 1 < end) {
				p->escaped = 1;
				c = s[++i];
			} else if (c == '\r' || c == '\n') {
				continue; /* folding inside the string */
			}
			if (p->value_len + 1 < sizeof(p->value))
				p->value[p->value_len++] = c;
			else
				p->too_long = 1;
		}
	} else {
		/* Lenient: real mailers write unquoted boundaries with '='
		 * and '/' in them, so read up to the next separator. */
		while (i < end && s[i] != ';' && s[i] != ' ' && s[i] != '\t' &&
		       s[i] != '\r' && s[i] != '\n' && s[i] != '(' &&
		       s[i] != '"') {
			if (p->value_len + 1 < sizeof(p->value))
				p->value[p->value_len++] = s[i];
			else
				p->too_long = 1;
			i++;
		}
	}
	p->value[p->value_len] = '\0';
	p->raw.len = i - p->raw.off;
	*got = 1;
	return i;
}

int mime_boundary_valid(const char *b, size_t len)
{
	if (len == 0 || len > MIME_BOUNDARY_MAX || b[len - 1] == ' ')
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)b[i];

		if (!isalnum(c) && !strchr("'()+_,-./:=? ", c))
			return 0;
	}
	return 1;
}

int mime_ctype_parse(const char *msg, struct mime_span v, int present,
		     struct mime_ctype *ct)
{
	size_t i = v.off, end = v.off + v.len;
	struct mime_param p;
	int ok, got;

	memset(ct, 0, sizeof(*ct));
	if (!present) {
		strcpy(ct->type, "text");
		strcpy(ct->subtype, "plain");
		return 0;
	}
	i = mime_skip_cfws(msg, i, end);
	i = mime_token(msg, i, end, ct->type, sizeof(ct->type), &ok);
	if (!ok)
		return -1;
	i = mime_skip_cfws(msg, i, end);
	if (i >= end || msg[i] != '/')
		return -1;
	i = mime_skip_cfws(msg, i + 1, end);
	i = mime_token(msg, i, end, ct->subtype, sizeof(ct->subtype), &ok);
	if (!ok)
		return -1;
	while (i < end) {
		i = mime_param_next(msg, i, end, &p, &got);
		if (!got)
			break;
		if (strcmp(p.name, "charset") == 0) {
			/* Two charsets: which one would a client use? */
			if (ct->has_charset || p.too_long || p.unterminated ||
			    p.escaped || p.value_len > MIME_CHARSET_MAX)
				ct->charset_bad = 1;
			else
				memcpy(ct->charset, p.value, p.value_len + 1);
			ct->has_charset = 1;
			ct->charset_span = p.raw;
		} else if (strcmp(p.name, "boundary") == 0) {
			if (ct->has_boundary || p.too_long || p.unterminated ||
			    p.escaped ||
			    !mime_boundary_valid(p.value, p.value_len))
				ct->boundary_bad = 1;
			else
				memcpy(ct->boundary, p.value, p.value_len + 1);
			ct->has_boundary = 1;
		} else if (strncmp(p.name, "boundary*", 9) == 0) {
			/* RFC 2231 form: not read here, and a client that
			 * does read it would split differently. */
			ct->boundary_bad = 1;
			ct->has_boundary = 1;
		} else if (strcmp(p.name, "name") == 0 ||
			   strncmp(p.name, "name*", 5) == 0) {
			ct->name = 1;
		}
	}
	return 0;
}

struct mime_span mime_span_trim(const char *msg, struct mime_span v)
{
	size_t a = v.off, b = v.off + v.len;

	while (a < b && isspace((unsigned char)msg[a]))
		a++;
	while (b > a && isspace((unsigned char)msg[b - 1]))
		b--;
	return (struct mime_span){a, b - a};
}

enum mime_cte mime_cte_parse(const char *msg, struct mime_span v)
{
	struct mime_span t = mime_span_trim(msg, v);
	static const struct {
		const char *name;
		enum mime_cte cte;
	} names[] = {
	    {"7bit", MIME_CTE_7BIT},	 {"8bit", MIME_CTE_8BIT},
	    {"binary", MIME_CTE_BINARY}, {"quoted-printable", MIME_CTE_QP},
	    {"base64", MIME_CTE_BASE64},
	};

	if (t.len == 0)
		return MIME_CTE_7BIT;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i].name) == t.len &&
		    strncasecmp(msg + t.off, names[i].name, t.len) == 0)
			return names[i].cte;
	return MIME_CTE_OTHER;
}

int mime_disposition_attachment(const char *msg, struct mime_span v)
{
	size_t i = v.off, end = v.off + v.len;
	struct mime_param p;
	char type[32];
	int ok, got;

	i = mime_skip_cfws(msg, i, end);
	i = mime_token(msg, i, end, type, sizeof(type), &ok);
	if (strcmp(type, "attachment") == 0)
		return 1;
	while (i < end) {
		i = mime_param_next(msg, i, end, &p, &got);
		if (!got)
			break;
		if (strcmp(p.name, "filename") == 0 ||
		    strncmp(p.name, "filename*", 9) == 0)
			return 1;
	}
	return 0;
}

/* Where the next line could start: at the first CR or LF from i. */
static size_t mime_line_break(const char *msg, size_t i, size_t end)
{
	while (i < end && msg[i] != '\n' && msg[i] != '\r')
		i++;
	return i;
}

int mime_next_delimiter(const char *msg, size_t *pos, size_t end,
			const char *boundary, size_t blen, size_t *pre,
			size_t *after, int *close)
{
	char needle[MIME_BOUNDARY_MAX + 2];
	size_t start = *pos;
	size_t p = start;

	if (blen == 0 || blen > MIME_BOUNDARY_MAX)
		return -1;
	needle[0] = needle[1] = '-';
	memcpy(needle + 2, boundary, blen);
	/* memmem is linear (two-way), and every miss moves p past a line
	 * break, so a multipart body is scanned once. */
	while (p < end) {
		const char *hit = memmem(msg + p, end - p, needle, blen + 2);
		size_t h, q;
		int cl = 0;

		if (!hit)
			break;
		h = (size_t)(hit - msg);
		if (h > start && msg[h - 1] != '\n') {
			/* A bare CR ends a line for some readers (Python's
			 * email among them): the structure would be read
			 * two ways. */
			if (msg[h - 1] == '\r')
				return -1;
			p = mime_line_break(msg, h, end);
			continue;
		}
		q = h + 2 + blen;
		if (end - q >= 2 && msg[q] == '-' && msg[q + 1] == '-') {
			cl = 1;
			q += 2;
		}
		while (q < end && (msg[q] == ' ' || msg[q] == '\t'))
			q++;
		if (q < end && msg[q] == '\r' &&
		    (q + 1 == end || msg[q + 1] != '\n'))
			return -1;
		if (q < end && msg[q] == '\r')
			q++;
		if (q < end && msg[q] != '\n') {
			/* "--boundaryX": a longer line, not ours. */
			p = mime_line_break(msg, h, end);
			continue;
		}
		*after = q < end ? q + 1 : end;
		if (h > start) {
			*pre = h - 1;
			if (*pre > start && msg[*pre - 1] == '\r')
				(*pre)--;
		} else {
			*pre = h;
		}
		*close = cl;
		*pos = *after;
		return 1;
	}
	*pos = end;
	return 0;
}
