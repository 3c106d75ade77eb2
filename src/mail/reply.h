/* SPDX-License-Identifier: BSD-2-Clause */
/* Reading a reply mail: what the person wrote (without quoted history and
 * signatures) and the grade in it. Pure functions on memory: no store, no
 * logging, so the LMTP listener, ingest and the IMAP poller share them and
 * the fuzzer can drive them.
 *
 * All text is UTF-8. Every char * returned is newly allocated (free()) and
 * NUL-terminated; NULL means out of memory (or, for reply_extract_text, a
 * mail that could not be read). */
#ifndef MM_REPLY_H
#define MM_REPLY_H

#include <stddef.h>

#include "scale.h"

/* Keep "-- " signatures and "Sent from my iPhone" lines; only the quoted
 * history goes. talon's fixtures expect this; mailmood itself wants them
 * gone (a signature is not part of the comment). */
#define REPLY_KEEP_SIGNATURE 0x1

/* The reply without quoted history, attribution lines ("On ... wrote:",
 * "Op ... schreef ...:"), forwarded/Outlook header blocks, the quoted
 * mailmood rating block, signatures and mobile footers. Leading and trailing
 * blank lines are removed; lines inside keep their spacing. Quotes the
 * writer answers below ("> question\n\nanswer") stay, as in the mail:
 * reply_read_grade skips them. */
char *reply_strip_quotes(const char *text, size_t len);
char *reply_strip(const char *text, size_t len, unsigned flags);

/* HTML to plain text: script/style/head dropped, block elements end lines,
 * <blockquote> content prefixed "> " per level (so reply_strip_quotes
 * treats it as a quote), entities decoded, whitespace collapsed outside
 * <pre>. */
char *reply_html_to_text(const char *html, size_t len);

struct reply_grade {
	int found;     /* 1 when a grade was read */
	int value;     /* on the scale, valid when found */
	char *comment; /* never NULL after success; "" when nothing is left;
			* without the grade that starts a line and without the
			* sign-off */
};

/* Reads a grade on scale sc from stripped reply text (lines starting with
 * '>' are ignored, for grade and comment alike). The rules are at
 * the top of reply_grade.c. 0 ok (found may be 0), -1 out of memory
 * or bad arguments. */
int reply_read_grade(const struct scale *sc, const char *text,
		     struct reply_grade *out);
void reply_grade_free(struct reply_grade *g);

/* A whole reply mail (RFC 5322, as received) to UTF-8 text: the first
 * text/plain part, else the first text/html part through
 * reply_html_to_text; transfer encoding and charset decoded. 0 ok, -1 the
 * message has no readable text part or its structure is unsafe to parse
 * (then *text is NULL). */
int reply_extract_text(const char *msg, size_t len, char **text);

#endif
