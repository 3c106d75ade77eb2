/* SPDX-License-Identifier: BSD-2-Clause */
/* The mails the outbox sends: red alert, kudos, digest. Pure functions:
 * everything they show comes in as arguments and the whole message
 * (headers and a multipart/alternative text + HTML body, quoted-printable,
 * CRLF) comes out in a buf, so tests can throw anything at them.
 *
 * Every value that a person typed or that came from a mail (ticket,
 * requester, agent, comments, subjects) is cleaned before it gets near a
 * header: CR, LF and other control characters become spaces, invalid
 * UTF-8 becomes U+FFFD, and non-ASCII text is written as RFC 2047
 * encoded-words, so no value can end a header line or start a new one.
 * Bodies are rendered with tmpl.c (HTML-escaped in the HTML part). */
#ifndef MM_ALERT_MAIL_H
#define MM_ALERT_MAIL_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "scale.h"
#include "store.h"

struct alert_head {
	const char *from;      /* [listener] alert_from */
	const char *const *to; /* recipients, at least one */
	size_t nto;
	const char *reply_to;	/* the requester, or NULL */
	const char *message_id; /* without <>: "alert.TOKEN@example.com" */
	int64_t date;		/* unix seconds, for Date: */
};

/* A red alert or kudos: one rating of one survey. Its Subject reads
 * "RED: TICKET SUBJECT — REQUESTER"; without a ticket the closure mail's
 * subject stands in ("RED: SUBJECT — REQUESTER"); that subject is cut
 * at ALERT_SUBJECT_MAX characters (with "…"). */
#define ALERT_SUBJECT_MAX 80

struct alert_rating {
	const char *lang; /* "en" or "nl" (else en) */
	const struct scale *scale;
	int level;
	const char *team; /* display name */
	const char *ticket, *requester, *requester_name, *agent; /* or NULL */
	const char *subject;	  /* the closure mail's (decoded), or NULL */
	const char *why, *better; /* or NULL */
	const char *ticket_url;	  /* "https://desk/ticket/{ticket}" or NULL */
	int64_t sent_at;	  /* closure mail */
	int64_t rated_at;
	int64_t prior_alerts;  /* red before, other surveys */
	int64_t prior_last_at; /* newest of them */
	const char *ack_url;   /* red alert: BASE_URL/a/TOKEN */
};

struct alert_digest {
	const char *lang;
	const struct scale *scale;
	const char *team;
	int period;   /* enum conf_digest: daily or weekly */
	int alert_at; /* levels at or below count as red */
	int64_t since, until;
	const struct store_digest_stats *stats;
};

/* 0, or -1 (out of memory, no valid recipient or sender). */
int alert_compose_red(struct buf *out, const struct alert_head *h,
		      const struct alert_rating *a);
int alert_compose_kudos(struct buf *out, const struct alert_head *h,
			const struct alert_rating *a);
int alert_compose_digest(struct buf *out, const struct alert_head *h,
			 const struct alert_digest *d);

/* Any other mail from ready bodies (text, and HTML already escaped),
 * with the same headers, cleaning and multipart/alternative. */
int alert_compose_raw(struct buf *out, const struct alert_head *h,
		      const char *subject, const char *text, const char *html);

/* The building blocks, exposed for tests. */
/* Header-safe text: controls -> space, invalid UTF-8 -> U+FFFD, runs of
 * spaces squeezed, trimmed, at most max characters (0: no limit). */
void alert_clean_header(struct buf *out, const char *in, size_t max);
/* Body text: CR dropped, other controls but LF and TAB dropped, invalid
 * UTF-8 -> U+FFFD. */
void alert_clean_body(struct buf *out, const char *in);
/* "Name: value\r\n", value cleaned, as encoded-words when not plain
 * ASCII, folded so that no line passes 78 octets where it can be helped
 * and no encoded-word passes 75. */
void alert_header(struct buf *out, const char *name, const char *value);
/* 1 when addr is a plain ASCII addr-spec we dare put in a header. */
int alert_addr_ok(const char *addr);
/* Splits an address list (alert_to, kudos_to: separated by blanks, commas
 * or semicolons) into its valid addresses, as many as it holds: *copy
 * gets the malloc'd text they point into and *out the malloc'd array
 * (free both, also on failure). The number of addresses, or -1 when
 * memory ran out. */
int alert_split_rcpt(const char *list, char **copy, const char ***out);
/* ticket_url with {ticket} replaced by the percent-encoded ticket; NULL
 * (malloc'd otherwise) when there is no URL or no ticket. */
char *alert_ticket_link(const char *ticket_url, const char *ticket);

#endif
