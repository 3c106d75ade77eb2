/* SPDX-License-Identifier: BSD-2-Clause */
/* MIME structure over raw bytes (RFC 2045/2046): header blocks, the
 * fields the splice needs, Content-Type parameters and multipart
 * delimiters, all as byte offsets into the caller's message so a part can
 * be replaced without re-serializing anything else.
 *
 * Our own scanner rather than libetpan: Debian's libetpan 1.9.4 lacks the
 * upstream fixes for hostile boundaries, and the splice needs exact offsets
 * anyway. Every function is linear in the bytes it is given and never reads
 * outside [off, end). */
#ifndef MM_MIME_H
#define MM_MIME_H

#include <stddef.h>

/* RFC 2046 allows 70; real mailers stay far below, and a bound keeps
 * hostile parameters cheap. */
#define MIME_BOUNDARY_MAX 200
#define MIME_CHARSET_MAX 48

struct mime_span {
	size_t off, len;
};

/* One header block: the lines from off up to (not including) the blank
 * line, then the body. */
struct mime_headers {
	size_t off;	 /* first header byte */
	size_t end;	 /* end of the last header line incl. its EOL */
	size_t body_off; /* first body byte (after the blank line) */
	int has_sep;	 /* a blank line was seen */
	int crlf;	 /* the header block uses CRLF line ends */
	/* Field values: from after the colon to before the field's last
	 * EOL (folded lines included). n_* counts duplicates. */
	struct mime_span ctype, cte, cdisp;
	size_t ctype_field_end; /* just after the value (before its EOL) */
	int n_ctype, n_cte, n_cdisp;
	int dkim; /* a DKIM-Signature field is present */
};

/* Returns 0, or -1 when a line is neither a field nor a continuation. */
int mime_headers_scan(const char *msg, size_t off, size_t end,
		      struct mime_headers *h);

struct mime_ctype {
	char type[32];	  /* lower case; "text" when the field is absent */
	char subtype[64]; /* lower case; "plain" when absent */
	char charset[MIME_CHARSET_MAX + 1];
	int has_charset, charset_bad;  /* bad: too long or not a token */
	struct mime_span charset_span; /* raw value, quotes included */
	char boundary[MIME_BOUNDARY_MAX + 1];
	int has_boundary, boundary_bad;
	int name; /* a name= parameter (an attachment's file name) */
};

/* Parses a Content-Type value span (absent: len 0 with present = 0).
 * Returns 0 or -1 when the type/subtype cannot be read. */
int mime_ctype_parse(const char *msg, struct mime_span v, int present,
		     struct mime_ctype *ct);

enum mime_cte {
	MIME_CTE_7BIT,
	MIME_CTE_8BIT,
	MIME_CTE_BINARY,
	MIME_CTE_QP,
	MIME_CTE_BASE64,
	MIME_CTE_OTHER /* x-uuencode and friends: left alone */
};
enum mime_cte mime_cte_parse(const char *msg, struct mime_span v);

/* The value span without surrounding whitespace and comments-free enough
 * for a single token (used to replace a CTE value in place). */
struct mime_span mime_span_trim(const char *msg, struct mime_span v);

/* Content-Disposition: 1 when "attachment" or a filename is given. */
int mime_disposition_attachment(const char *msg, struct mime_span v);

/* Multipart delimiter search in [*pos, end). A delimiter line starts at
 * *pos or right after an LF, is "--" boundary, then either "--" (close) or
 * only spaces/tabs up to the EOL. On success returns 1 and sets:
 *   *pre   - start of the EOL before the delimiter line (that EOL belongs
 *            to the delimiter, RFC 2046 5.1.1), or the line start when the
 *            delimiter opens the range;
 *   *after - first byte after the delimiter line's EOL;
 *   *close - it was the close delimiter.
 * Returns 0 when there is none. */
int mime_next_delimiter(const char *msg, size_t *pos, size_t end,
			const char *boundary, size_t blen, size_t *pre,
			size_t *after, int *close);

/* Checks a boundary value: 1..MIME_BOUNDARY_MAX octets of RFC 2046
 * bchars, no trailing space. Quotes or backslashes make it invalid. */
int mime_boundary_valid(const char *b, size_t len);

#endif
