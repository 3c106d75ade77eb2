/* SPDX-License-Identifier: BSD-2-Clause */
/* Splices the rating block into every displayable text part (splice.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem; config.h defines it in the build */
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "codec.h"
#include "mime.h"
#include "splice.h"

#define SPLICE_HTML_MARKER "<!--mailmood-->"
#define SPLICE_TEXT_MARKER "[mailmood]"

/* One replacement of msg[off, off + len) by data; len 0 inserts. */
struct splice_edit {
	size_t off, len, seq;
	char *data;
	size_t data_len;
};

struct splice_ctx {
	const char *msg;
	size_t len;
	const struct splice_block *blk;
	struct splice_result *res;
	struct splice_edit *edits;
	size_t n_edits, cap_edits;
	size_t n_parts;
};

/* What a walk step tells its caller: go on, stop with res->reason set
 * (the mail passes unchanged), or out of memory. */
enum { SPLICE_GO = 0, SPLICE_STOP = 1, SPLICE_OOM = -1 };

static int splice_stop(struct splice_ctx *c, const char *reason)
{
	c->res->reason = reason;
	return SPLICE_STOP;
}

/* Takes ownership of data (also on failure). */
static int splice_edit_add(struct splice_ctx *c, size_t off, size_t len,
			   char *data, size_t data_len)
{
	struct splice_edit *e;

	if (!data)
		return SPLICE_OOM;
	if (c->n_edits == c->cap_edits) {
		size_t cap = c->cap_edits ? c->cap_edits * 2 : 8;

		e = realloc(c->edits, cap * sizeof(*e));
		if (!e) {
			free(data);
			return SPLICE_OOM;
		}
		c->edits = e;
		c->cap_edits = cap;
	}
	e = &c->edits[c->n_edits];
	e->off = off;
	e->len = len;
	e->seq = c->n_edits++;
	e->data = data;
	e->data_len = data_len;
	return SPLICE_GO;
}

static int splice_edit_str(struct splice_ctx *c, size_t off, size_t len,
			   const char *s)
{
	return splice_edit_add(c, off, len, strdup(s), strlen(s));
}

static int splice_edit_cmp(const void *a, const void *b)
{
	const struct splice_edit *x = a, *y = b;

	if (x->off != y->off)
		return x->off < y->off ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Case-insensitive: does s[i..] start with the literal lit? */
static int splice_at(const char *s, size_t len, size_t i, const char *lit)
{
	size_t n = strlen(lit);

	return len - i >= n && strncasecmp(s + i, lit, n) == 0;
}

/* A tag name ends at whitespace, '>' or '/' ("<bodyx>" is not "<body>"). */
static int splice_tag_end(const char *s, size_t len, size_t i)
{
	return i == len || s[i] == '>' || s[i] == '/' || s[i] == ' ' ||
	       s[i] == '\t' || s[i] == '\r' || s[i] == '\n' || s[i] == '\f';
}

/* First "</NAME" (case-insensitive) at or after i, or len. */
static size_t splice_find_close(const char *s, size_t len, size_t i,
				const char *close)
{
	while (i < len) {
		const char *lt = memchr(s + i, '<', len - i);

		if (!lt)
			return len;
		i = (size_t)(lt - s);
		if (splice_at(s, len, i, close) &&
		    splice_tag_end(s, len, i + strlen(close)))
			return i;
		i++;
	}
	return len;
}

size_t splice_html_point(const char *s, size_t len, size_t *cut)
{
	const char *m =
	    memmem(s, len, SPLICE_HTML_MARKER, sizeof(SPLICE_HTML_MARKER) - 1);
	size_t i = 0, last = len;

	if (m) {
		*cut = sizeof(SPLICE_HTML_MARKER) - 1;
		return (size_t)(m - s);
	}
	*cut = 0;
	/* Linear: every skip moves i forward past what it searched. A
	 * "</body>" in a comment (Outlook conditionals) or in a script
	 * string is not the document's end. */
	while (i < len) {
		const char *lt = memchr(s + i, '<', len - i);

		if (!lt)
			break;
		i = (size_t)(lt - s);
		if (splice_at(s, len, i, "<!--")) {
			const char *e =
			    memmem(s + i + 4, len - i - 4, "-->", 3);

			if (!e)
				break;
			i = (size_t)(e - s) + 3;
		} else if (splice_at(s, len, i, "<script") &&
			   splice_tag_end(s, len, i + 7)) {
			i = splice_find_close(s, len, i + 7, "</script");
		} else if (splice_at(s, len, i, "<style") &&
			   splice_tag_end(s, len, i + 6)) {
			i = splice_find_close(s, len, i + 6, "</style");
		} else {
			if (splice_at(s, len, i, "</body") &&
			    splice_tag_end(s, len, i + 6))
				last = i;
			i++;
		}
	}
	return last;
}

size_t splice_text_point(const char *s, size_t len, size_t *cut)
{
	const char *m =
	    memmem(s, len, SPLICE_TEXT_MARKER, sizeof(SPLICE_TEXT_MARKER) - 1);

	if (m) {
		*cut = sizeof(SPLICE_TEXT_MARKER) - 1;
		return (size_t)(m - s);
	}
	*cut = 0;
	return len;
}

/* Copies in with its line ends turned into nl ("\r\n" or "\n"). */
static void splice_put_lines(struct buf *out, const char *in, size_t len,
			     const char *nl)
{
	for (size_t i = 0; i < len; i++) {
		if (in[i] == '\r' && i + 1 < len && in[i + 1] == '\n')
			continue;
		if (in[i] == '\n')
			buf_puts(out, nl);
		else
			buf_putc(out, in[i]);
	}
}

static int splice_is_ascii_name(const char *cs)
{
	return strcasecmp(cs, "us-ascii") == 0 ||
	       strcasecmp(cs, "ascii") == 0 ||
	       strcasecmp(cs, "ansi_x3.4-1968") == 0;
}

/* The top-level Content-Type value, unfolded, with the charset set to
 * UTF-8 (replaced or appended). */
static char *splice_top_ctype(struct splice_ctx *c,
			      const struct mime_headers *h,
			      const struct mime_ctype *ct)
{
	struct mime_span v = mime_span_trim(c->msg, h->ctype);
	struct buf b;
	size_t i;

	if (!h->n_ctype)
		return strdup("text/plain; charset=utf-8");
	buf_init(&b);
	for (i = v.off; i < v.off + v.len; i++) {
		if (ct->has_charset && i == ct->charset_span.off) {
			buf_puts(&b, "utf-8");
			if (ct->charset_span.len) {
				i += ct->charset_span.len - 1;
				continue;
			}
		}
		if (c->msg[i] != '\r' && c->msg[i] != '\n')
			buf_putc(&b, c->msg[i]);
	}
	if (!ct->has_charset)
		buf_puts(&b, "; charset=utf-8");
	if (b.failed) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b, NULL);
}

/* Part header edits for a nested part: its header is in the body. */
static int splice_part_headers(struct splice_ctx *c,
			       const struct mime_headers *h,
			       const struct mime_ctype *ct, int switched,
			       int to_qp)
{
	int rc = SPLICE_GO;

	if (switched) {
		if (h->n_ctype && ct->has_charset)
			rc = splice_edit_str(c, ct->charset_span.off,
					     ct->charset_span.len, "utf-8");
		else if (h->n_ctype)
			rc = splice_edit_str(c, h->ctype_field_end, 0,
					     "; charset=utf-8");
		else
			rc = splice_edit_str(
			    c, h->off, 0,
			    "Content-Type: text/plain; charset=utf-8\r\n");
	}
	if (rc == SPLICE_GO && to_qp) {
		if (h->n_cte) {
			struct mime_span t = mime_span_trim(c->msg, h->cte);

			rc = splice_edit_str(c, t.off, t.len,
					     "quoted-printable");
		} else {
			rc = splice_edit_str(
			    c, h->off, 0,
			    "Content-Transfer-Encoding: quoted-printable\r\n");
		}
	}
	return rc;
}

/* The buffers and choices of one part's rewrite. */
struct splice_work {
	struct buf dec;	 /* the part's text, decoded */
	struct buf ublk; /* the block in UTF-8 with the part's line ends */
	struct buf blk;	 /* the block in the output charset */
	struct buf text; /* the new text */
	struct buf out;	 /* the new body, encoded */
	const char *nl;	 /* the part's line end */
	int switched;	 /* the part goes out in UTF-8 */
	int to_qp;	 /* the part goes out quoted-printable */
};

static void splice_work_free(struct splice_work *w)
{
	buf_free(&w->dec);
	buf_free(&w->ublk);
	buf_free(&w->text);
	buf_free(&w->blk);
	buf_free(&w->out);
}

/* The part's body decoded into w->dec, and the block with the part's
 * line ends into w->ublk: GO, STOP (inline PGP) or OOM. */
static int splice_decode(struct splice_ctx *c, const struct mime_headers *h,
			 enum mime_cte cte, size_t end, int html,
			 struct splice_work *w)
{
	const char *body = c->msg + h->body_off, *lf;
	size_t len = end - h->body_off;

	if (cte == MIME_CTE_BASE64)
		codec_base64_decode(&w->dec, body, len);
	else if (cte == MIME_CTE_QP)
		codec_qp_decode(&w->dec, body, len);
	else
		buf_append(&w->dec, body, len);
	if (w->dec.failed)
		return SPLICE_OOM;
	if (memmem(w->dec.data, w->dec.len, "-----BEGIN PGP", 14))
		return splice_stop(c, "inline PGP");
	/* Base64 keeps the text's own line ends; the other encodings get
	 * CRLF on output anyway. */
	w->nl = "\r\n";
	lf = memchr(w->dec.data, '\n', w->dec.len);
	if (cte == MIME_CTE_BASE64 && lf &&
	    (lf == w->dec.data || lf[-1] != '\r'))
		w->nl = "\n";
	splice_put_lines(&w->ublk, html ? c->blk->html : c->blk->text,
			 html ? c->blk->html_len : c->blk->text_len, w->nl);
	return w->ublk.failed ? SPLICE_OOM : SPLICE_GO;
}

/* The block in the part's charset into w->blk; where the charset cannot
 * carry it, the part switches to UTF-8 (w->switched, w->dec converted):
 * GO, STOP (text not decodable in its charset) or OOM. */
static int splice_charset(struct splice_ctx *c, const char *cs, int html,
			  struct splice_work *w)
{
	struct buf u;

	if (!codec_charset_ascii_compatible(cs)) {
		w->switched = 1;
	} else if (html) {
		if (codec_convert_html(&w->blk, cs, w->ublk.data, w->ublk.len) <
		    0)
			w->switched = 1;
	} else if (codec_charset_is_utf8(cs)) {
		buf_append(&w->blk, w->ublk.data, w->ublk.len);
	} else if (codec_convert(&w->blk, cs, "UTF-8", w->ublk.data,
				 w->ublk.len)) {
		w->switched = 1;
	}
	if (!w->switched)
		return w->blk.failed || w->dec.failed ? SPLICE_OOM : SPLICE_GO;
	buf_init(&u);
	if (codec_convert(&u, "UTF-8", cs, w->dec.data, w->dec.len) == 0) {
		/* decoded text is UTF-8 from here on */
	} else if (!u.failed && splice_is_ascii_name(cs) &&
		   codec_utf8_valid(w->dec.data, w->dec.len)) {
		/* Unlabelled UTF-8, common enough: labelling it is a
		 * repair. */
		buf_reset(&u);
		buf_append(&u, w->dec.data, w->dec.len);
	} else {
		int rc;

		snprintf(c->res->reason_buf, sizeof(c->res->reason_buf),
			 "undecodable text in charset %.40s", cs);
		rc = u.failed ? SPLICE_OOM : splice_stop(c, c->res->reason_buf);
		buf_free(&u);
		return rc;
	}
	buf_free(&w->dec);
	w->dec = u;
	buf_reset(&w->blk);
	buf_append(&w->blk, w->ublk.data, w->ublk.len);
	return w->blk.failed || w->dec.failed ? SPLICE_OOM : SPLICE_GO;
}

/* The new text: the block at its point in the decoded text. */
static int splice_insert(int html, struct splice_work *w)
{
	const struct buf *dec = &w->dec;
	size_t at, cut;

	at = html ? splice_html_point(dec->data, dec->len, &cut)
		  : splice_text_point(dec->data, dec->len, &cut);
	buf_append(&w->text, dec->data, at);
	if (!cut && at == dec->len && dec->len &&
	    dec->data[dec->len - 1] != '\n')
		buf_puts(&w->text, w->nl);
	if (!cut && at == dec->len && !html && dec->len)
		buf_puts(&w->text, w->nl); /* a blank line before the block */
	buf_append(&w->text, w->blk.data, w->blk.len);
	buf_append(&w->text, dec->data + at + cut, dec->len - at - cut);
	return w->text.failed ? SPLICE_OOM : SPLICE_GO;
}

/* The new text encoded into w->out, in the part's own encoding unless a
 * line grew too long or 8-bit text met 7bit (w->to_qp). */
static int splice_encode(enum mime_cte cte, struct splice_work *w)
{
	if (cte == MIME_CTE_7BIT || cte == MIME_CTE_8BIT ||
	    cte == MIME_CTE_BINARY) {
		/* RFC 5322 2.1.1: 998 octets a line; 7bit means ASCII. */
		w->to_qp = codec_max_line(w->text.data, w->text.len) > 998 ||
			   (cte == MIME_CTE_7BIT &&
			    codec_has_8bit(w->text.data, w->text.len));
	}
	if (cte == MIME_CTE_BASE64)
		codec_base64_encode(&w->out, w->text.data, w->text.len);
	else if (cte == MIME_CTE_QP || w->to_qp)
		codec_qp_encode(&w->out, w->text.data, w->text.len);
	else
		codec_crlf(&w->out, w->text.data, w->text.len);
	return w->out.failed ? SPLICE_OOM : SPLICE_GO;
}

/* A changed charset or encoding in the headers: the message's own (the
 * milter changes them) or the nested part's (edits in the body). */
static int splice_headers(struct splice_ctx *c, const struct mime_headers *h,
			  const struct mime_ctype *ct, int top,
			  const struct splice_work *w)
{
	if (!top)
		return splice_part_headers(c, h, ct, w->switched, w->to_qp);
	if (w->switched && !(c->res->content_type = splice_top_ctype(c, h, ct)))
		return SPLICE_OOM;
	if (w->to_qp &&
	    !(c->res->content_transfer_encoding = strdup("quoted-printable")))
		return SPLICE_OOM;
	return SPLICE_GO;
}

/* Decodes the text, puts the block in, encodes it back. */
static int splice_part(struct splice_ctx *c, const struct mime_headers *h,
		       const struct mime_ctype *ct, size_t end, int top)
{
	enum mime_cte cte = mime_cte_parse(c->msg, h->cte);
	int html = strcmp(ct->subtype, "html") == 0;
	const char *cs =
	    ct->has_charset && ct->charset[0] ? ct->charset : "us-ascii";
	struct splice_work w;
	size_t out_len = 0;
	char *body;
	int rc;

	if (cte == MIME_CTE_OTHER)
		return SPLICE_GO; /* x-uuencode & co: not ours to rewrite */
	if (ct->charset_bad || !codec_charset_known(cs)) {
		snprintf(c->res->reason_buf, sizeof(c->res->reason_buf),
			 "unknown charset %.40s",
			 ct->charset_bad ? "(bad)" : cs);
		return splice_stop(c, c->res->reason_buf);
	}
	if (c->res->parts_text + c->res->parts_html >= SPLICE_MAX_TEXT_PARTS)
		return splice_stop(c, "too many text parts");
	memset(&w, 0, sizeof(w));
	buf_init(&w.dec);
	buf_init(&w.ublk);
	buf_init(&w.text);
	buf_init(&w.blk);
	buf_init(&w.out);
	if ((rc = splice_decode(c, h, cte, end, html, &w)) != SPLICE_GO ||
	    (rc = splice_charset(c, cs, html, &w)) != SPLICE_GO ||
	    (rc = splice_insert(html, &w)) != SPLICE_GO ||
	    (rc = splice_encode(cte, &w)) != SPLICE_GO ||
	    (rc = splice_headers(c, h, ct, top, &w)) != SPLICE_GO)
		goto out;
	/* Two statements: argument evaluation order is unspecified. */
	body = buf_steal(&w.out, &out_len);
	rc = splice_edit_add(c, h->body_off, end - h->body_off, body, out_len);
	if (rc == SPLICE_GO) {
		if (html)
			c->res->parts_html++;
		else
			c->res->parts_text++;
	}
out:
	splice_work_free(&w);
	return rc;
}

static int splice_walk(struct splice_ctx *c, size_t off, size_t end, int depth,
		       int top, int digest);

static int splice_multipart(struct splice_ctx *c, const struct mime_headers *h,
			    const struct mime_ctype *ct, size_t end, int depth)
{
	size_t blen = strlen(ct->boundary), pos = h->body_off, pre, after;
	int close = 0, r, digest = strcmp(ct->subtype, "digest") == 0;

	if (!ct->has_boundary)
		return splice_stop(c, "malformed: missing boundary");
	if (ct->boundary_bad)
		return splice_stop(c, "malformed: bad boundary");
	r = mime_next_delimiter(c->msg, &pos, end, ct->boundary, blen, &pre,
				&after, &close);
	if (r < 0)
		return splice_stop(c, "malformed: bare CR at a boundary");
	if (r == 0)
		return splice_stop(c, "malformed: boundary not found");
	if (close)
		return splice_stop(c, "malformed: multipart without parts");
	while (!close) {
		size_t start = after;

		r = mime_next_delimiter(c->msg, &pos, end, ct->boundary, blen,
					&pre, &after, &close);
		if (r < 0)
			return splice_stop(c,
					   "malformed: bare CR at a boundary");
		if (r == 0)
			return splice_stop(c,
					   "malformed: unterminated multipart");
		r = splice_walk(c, start, pre, depth + 1, 0, digest);
		if (r != SPLICE_GO)
			return r;
	}
	return SPLICE_GO;
}

static int splice_walk(struct splice_ctx *c, size_t off, size_t end, int depth,
		       int top, int digest)
{
	struct mime_headers h;
	struct mime_ctype ct;

	if (depth > SPLICE_MAX_DEPTH)
		return splice_stop(c, "malformed: nesting deeper than 20");
	if (++c->n_parts > SPLICE_MAX_PARTS)
		return splice_stop(c, "too many parts");
	if (mime_headers_scan(c->msg, off, end, &h) < 0)
		return splice_stop(c, "malformed: bad header line");
	if (top && h.dkim)
		return splice_stop(c, "DKIM-Signature");
	if (h.n_ctype > 1)
		return splice_stop(c, "malformed: duplicate Content-Type");
	if (h.n_cte > 1)
		return splice_stop(
		    c, "malformed: duplicate Content-Transfer-Encoding");
	/* In a digest a part without Content-Type is message/rfc822
	 * (RFC 2046 5.1.5): not entered, like any message. */
	if (digest && !h.n_ctype)
		return SPLICE_GO;
	if (mime_ctype_parse(c->msg, h.ctype, h.n_ctype, &ct) < 0)
		return splice_stop(c, "malformed: bad Content-Type");
	if (strcmp(ct.type, "multipart") == 0) {
		if (strcmp(ct.subtype, "signed") == 0)
			return splice_stop(c, "multipart/signed");
		if (strcmp(ct.subtype, "encrypted") == 0)
			return splice_stop(c, "multipart/encrypted");
		if (!h.has_sep)
			return splice_stop(c,
					   "malformed: unterminated multipart");
		return splice_multipart(c, &h, &ct, end, depth);
	}
	if (strcmp(ct.type, "application") == 0) {
		if (strcmp(ct.subtype, "pkcs7-mime") == 0 ||
		    strcmp(ct.subtype, "x-pkcs7-mime") == 0)
			return splice_stop(c, "application/pkcs7-mime");
		if (strcmp(ct.subtype, "ms-tnef") == 0 ||
		    strcmp(ct.subtype, "vnd.ms-tnef") == 0)
			return splice_stop(c, "TNEF");
		return SPLICE_GO;
	}
	if (strcmp(ct.type, "text") != 0 || (strcmp(ct.subtype, "plain") != 0 &&
					     strcmp(ct.subtype, "html") != 0))
		return SPLICE_GO; /* message/rfc822 is left whole, too */
	if (h.n_cdisp && mime_disposition_attachment(c->msg, h.cdisp))
		return SPLICE_GO;
	/* Without the blank line there is no body to put a block in
	 * without also inventing one. */
	if (!h.has_sep)
		return SPLICE_GO;
	return splice_part(c, &h, &ct, end, top);
}

static int splice_assemble(struct splice_ctx *c, size_t body_off)
{
	struct buf b;
	size_t pos = body_off;

	qsort(c->edits, c->n_edits, sizeof(*c->edits), splice_edit_cmp);
	buf_init(&b);
	for (size_t i = 0; i < c->n_edits; i++) {
		struct splice_edit *e = &c->edits[i];

		buf_append(&b, c->msg + pos, e->off - pos);
		buf_append(&b, e->data, e->data_len);
		pos = e->off + e->len;
	}
	buf_append(&b, c->msg + pos, c->len - pos);
	if (b.failed) {
		buf_free(&b);
		return SPLICE_OOM;
	}
	c->res->body = buf_steal(&b, &c->res->body_len);
	return SPLICE_GO;
}

int splice_message(const char *msg, size_t len, const struct splice_block *blk,
		   struct splice_result *res)
{
	struct splice_ctx c;
	struct mime_headers top;
	int rc;

	memset(res, 0, sizeof(*res));
	memset(&c, 0, sizeof(c));
	c.msg = msg;
	c.len = len;
	c.blk = blk;
	c.res = res;
	rc = splice_walk(&c, 0, len, 0, 1, 0);
	if (rc == SPLICE_GO && !res->parts_text && !res->parts_html)
		rc = splice_stop(&c, "no text part");
	if (rc == SPLICE_GO) {
		/* The walk already read this header block without error. */
		mime_headers_scan(msg, 0, len, &top);
		rc = splice_assemble(&c, top.body_off);
		res->header_len = top.end;
		res->body_off = top.body_off;
	}
	for (size_t i = 0; i < c.n_edits; i++)
		free(c.edits[i].data);
	free(c.edits);
	if (rc == SPLICE_GO) {
		res->status = SPLICE_CHANGED;
		return 0;
	}
	free(res->content_type);
	free(res->content_transfer_encoding);
	res->content_type = res->content_transfer_encoding = NULL;
	res->parts_text = res->parts_html = 0;
	if (rc == SPLICE_STOP) {
		res->status = SPLICE_UNCHANGED;
		return 0;
	}
	res->status = SPLICE_ERROR;
	res->reason = "out of memory";
	return -1;
}

void splice_result_free(struct splice_result *res)
{
	free(res->body);
	free(res->content_type);
	free(res->content_transfer_encoding);
	res->body = res->content_type = res->content_transfer_encoding = NULL;
	res->body_len = 0;
}
