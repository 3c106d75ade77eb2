/* SPDX-License-Identifier: BSD-2-Clause */
/* A whole reply mail to the UTF-8 text of its reply part, with libetpan for
 * MIME and iconv for charsets.
 *
 * Debian's libetpan 1.9.4 lacks the upstream fixes for hostile boundaries
 * (boundary="\"", declared boundaries that never occur), so the structure
 * is checked here first and such a mail is refused (-1) rather than handed
 * to the parser; see doc/ARCHITECTURE.md, "Measured traps". */
#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libetpan/libetpan.h>

#include "buf.h"
#include "reply.h"

/* Larger replies are not replies a person typed. */
#define MAIL_MAX (10u * 1024 * 1024)
#define DEPTH_MAX 16

static const char *find_ci(const char *p, const char *end, const char *w)
{
	size_t l = strlen(w);

	for (; p + l <= end; p++)
		if (!strncasecmp(p, w, l))
			return p;
	return NULL;
}

/* RFC 2046 5.1.1: 1..70 of bchars, not ending in a space. */
static int boundary_ok(const char *b, size_t n)
{
	if (n == 0 || n > 70 || b[n - 1] == ' ')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)b[i]) &&
		    !strchr("'()+_,-./:=? ", b[i]))
			return 0;
	return 1;
}

/* Every boundary parameter in the mail must be well formed and occur as a
 * delimiter line ("--" boundary at a line start). */
static int structure_ok(const char *msg, size_t len)
{
	const char *end = msg + len, *p = msg;

	while ((p = find_ci(p, end, "boundary"))) {
		const char *v = p + 8, *s, *e;

		p = v;
		while (v < end && (*v == ' ' || *v == '\t'))
			v++;
		if (v >= end || *v != '=')
			continue;
		v++;
		while (v < end && (*v == ' ' || *v == '\t'))
			v++;
		if (v < end && *v == '"') {
			s = ++v;
			while (v < end && *v != '"' && *v != '\n')
				v++;
			if (v >= end || *v != '"')
				return 0;
			e = v;
		} else {
			s = v;
			while (v < end && !strchr(" \t\r\n;\"", *v))
				v++;
			e = v;
		}
		if (!boundary_ok(s, (size_t)(e - s)))
			return 0;
		/* The delimiter must occur at a line start. */
		size_t bl = (size_t)(e - s);
		const char *q = msg;
		int seen = 0;
		while (q + 2 + bl <= end) {
			const char *d = memmem(q, (size_t)(end - q), s, bl);
			if (!d)
				break;
			if (d >= msg + 2 && d[-1] == '-' && d[-2] == '-' &&
			    (d == msg + 2 || d[-3] == '\n')) {
				seen = 1;
				break;
			}
			q = d + 1;
		}
		if (!seen)
			return 0;
	}
	return 1;
}

/* Charset to UTF-8; bytes iconv cannot convert become U+FFFD. */
static char *to_utf8(const char *in, size_t n, const char *charset)
{
	struct buf b;
	iconv_t cd;

	buf_init(&b);
	if (!charset || !strcasecmp(charset, "utf-8") ||
	    !strcasecmp(charset, "us-ascii") || !strcasecmp(charset, "utf8"))
		goto copy;
	cd = iconv_open("UTF-8", charset);
	if (cd == (iconv_t)-1)
		goto copy; /* unknown charset: bytes as they are */
	char *ip = (char *)in;
	size_t il = n;
	while (il > 0 && !b.failed) {
		char tmp[4096], *op = tmp;
		size_t ol = sizeof(tmp);
		size_t r = iconv(cd, &ip, &il, &op, &ol);
		buf_append(&b, tmp, (size_t)(op - tmp));
		if (r == (size_t)-1 && errno != E2BIG) {
			buf_puts(&b, "\xEF\xBF\xBD");
			ip++;
			il--;
			iconv(cd, NULL, NULL, NULL, NULL);
		}
	}
	iconv_close(cd);
	return buf_steal(&b, NULL);
copy:
	buf_append(&b, in, n);
	return buf_steal(&b, NULL);
}

/* Depth-first: the first text/plain (html = 0) or text/html (html = 1)
 * part that is not an attachment. */
static struct mailmime *find_text(struct mailmime *m, int html, int depth)
{
	clistiter *it;
	struct mailmime *r;

	if (!m || depth > DEPTH_MAX)
		return NULL;
	switch (m->mm_type) {
	case MAILMIME_SINGLE: {
		struct mailmime_content *ct = m->mm_content_type;
		struct mailmime_single_fields sf;

		/* No Content-Type means text/plain (RFC 2045 5.2). */
		if (ct &&
		    (!ct->ct_type ||
		     ct->ct_type->tp_type != MAILMIME_TYPE_DISCRETE_TYPE ||
		     !ct->ct_type->tp_data.tp_discrete_type ||
		     ct->ct_type->tp_data.tp_discrete_type->dt_type !=
			 MAILMIME_DISCRETE_TYPE_TEXT ||
		     !ct->ct_subtype ||
		     strcasecmp(ct->ct_subtype, html ? "html" : "plain")))
			return NULL;
		if (!ct && html)
			return NULL;
		mailmime_single_fields_init(&sf, m->mm_mime_fields, ct);
		if (sf.fld_disposition && sf.fld_disposition->dsp_type &&
		    sf.fld_disposition->dsp_type->dsp_type ==
			MAILMIME_DISPOSITION_TYPE_ATTACHMENT)
			return NULL;
		return m->mm_data.mm_single ? m : NULL;
	}
	case MAILMIME_MULTIPLE:
		if (!m->mm_data.mm_multipart.mm_mp_list)
			return NULL;
		for (it = clist_begin(m->mm_data.mm_multipart.mm_mp_list); it;
		     it = clist_next(it))
			if ((r = find_text(clist_content(it), html, depth + 1)))
				return r;
		return NULL;
	case MAILMIME_MESSAGE:
		return find_text(m->mm_data.mm_message.mm_msg_mime, html,
				 depth + 1);
	}
	return NULL;
}

static char *decode_part(struct mailmime *m)
{
	struct mailmime_data *d = m->mm_data.mm_single;
	struct mailmime_single_fields sf;
	char *dec = NULL, *res;
	size_t idx = 0, dlen = 0;

	if (d->dt_type != MAILMIME_DATA_TEXT)
		return NULL;
	if (mailmime_part_parse(
		d->dt_data.dt_text.dt_data, d->dt_data.dt_text.dt_length, &idx,
		d->dt_encoded ? d->dt_encoding : MAILMIME_MECHANISM_8BIT, &dec,
		&dlen) != MAILIMF_NO_ERROR)
		return NULL;
	mailmime_single_fields_init(&sf, m->mm_mime_fields, m->mm_content_type);
	res = to_utf8(dec, dlen, sf.fld_content_charset);
	mailmime_decoded_part_free(dec);
	return res;
}

int reply_extract_text(const char *msg, size_t len, char **text)
{
	struct mailmime *mime = NULL, *part;
	char *copy, *raw = NULL;
	size_t idx = 0;
	int html = 0;

	*text = NULL;
	if (!msg || len == 0 || len > MAIL_MAX || !structure_ok(msg, len))
		return -1;
	/* libetpan gets a NUL-terminated copy: some of its scanners look
	 * one byte ahead. */
	if (!(copy = malloc(len + 1)))
		return -1;
	memcpy(copy, msg, len);
	copy[len] = '\0';
	if (mailmime_parse(copy, len, &idx, &mime) != MAILIMF_NO_ERROR || !mime)
		goto out;
	if (!(part = find_text(mime, 0, 0))) {
		part = find_text(mime, 1, 0);
		html = 1;
	}
	if (!part || !(raw = decode_part(part)))
		goto out;
	if (html) {
		*text = reply_html_to_text(raw, strlen(raw));
		free(raw);
	} else {
		*text = raw;
	}
out:
	if (mime)
		mailmime_free(mime);
	free(copy);
	return *text ? 0 : -1;
}
