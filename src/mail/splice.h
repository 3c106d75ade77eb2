/* SPDX-License-Identifier: BSD-2-Clause */
/* Splices a rating block into every displayable text part of a mail
 * without re-serializing it (doc/ARCHITECTURE.md, "A closure mail"): only the
 * bodies of the parts that get a block change, plus, in their own part headers,
 * the charset parameter or transfer encoding when the new text needs it. All
 * other bytes (headers, preamble, epilogue, boundaries, attachments, other
 * parts) are copied as they are.
 *
 * Pure: no I/O, no logging, no milter. The caller logs res->reason. */
#ifndef MM_SPLICE_H
#define MM_SPLICE_H

#include <stddef.h>

/* Limits that keep hostile mail cheap; beyond them the mail passes
 * unchanged. */
#define SPLICE_MAX_DEPTH 20
#define SPLICE_MAX_PARTS 10000
#define SPLICE_MAX_TEXT_PARTS 64

/* The agreed API, laid out as agreed. */
/* clang-format off */
struct splice_block {
	const char *text; size_t text_len; /* UTF-8, LF or CRLF line ends */
	const char *html; size_t html_len; /* UTF-8 HTML fragment */
};

enum splice_status { SPLICE_CHANGED, SPLICE_UNCHANGED, SPLICE_ERROR };

struct splice_result {
	enum splice_status status;
	/* Why UNCHANGED/ERROR: "multipart/signed", "malformed: missing
	 * boundary", "unknown charset x-foo", "no text part", "out of
	 * memory" ... Static text or reason_buf; never freed. */
	const char *reason;
	char *body; size_t body_len;   /* the whole new body when CHANGED */
	/* Non-NULL: new bare value (no name, no CRLF, unfolded) for the
	 * top-level Content-Type (single-part mail switched to UTF-8). The
	 * header may be absent in the original: then it is to be added. */
	char *content_type;
	/* Non-NULL: new bare value for the top-level
	 * Content-Transfer-Encoding (7bit that became quoted-printable);
	 * may also need adding. */
	char *content_transfer_encoding;
	int parts_text, parts_html;    /* parts that got a block */
	/* When CHANGED: msg[0, header_len) are the header fields,
	 * msg[header_len, body_off) the blank line, msg[body_off, len) the
	 * body that body replaces (for tools that print the whole mail). */
	size_t header_len, body_off;
	char reason_buf[96];
};
/* clang-format on */

/* msg: header block, blank line, body (CRLF or LF). Fills res (which the
 * caller releases with splice_result_free, whatever the status). Returns
 * 0 for CHANGED and UNCHANGED, -1 for ERROR (out of memory). */
int splice_message(const char *msg, size_t len, const struct splice_block *blk,
		   struct splice_result *res);
void splice_result_free(struct splice_result *res);

/* Where a block goes in a decoded part (exposed for the unit tests).
 * Returns the offset; *cut is the length of the marker it replaces (0 when
 * it is inserted). HTML: at "<!--mailmood-->", else before the last
 * "</body>" outside comments, <script> and <style>, else at the end.
 * Text: at "[mailmood]", else at the end. */
size_t splice_html_point(const char *s, size_t len, size_t *cut);
size_t splice_text_point(const char *s, size_t len, size_t *cut);

#endif
