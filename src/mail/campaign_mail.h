/* SPDX-License-Identifier: BSD-2-Clause */
/* The campaign mail: "Would you recommend us?" with eleven 0-10 links,
 * text + HTML (multipart/alternative, quoted-printable, CRLF), bulk mail
 * headers and a one-click unsubscribe (RFC 8058). Pure: everything comes
 * in as arguments, so tests can throw anything at it. */
#ifndef MM_CAMPAIGN_MAIL_H
#define MM_CAMPAIGN_MAIL_H

#include <stdint.h>

#include "buf.h"

struct campaign_mail {
	const char *lang;	/* "en" or "nl" (else en) */
	const char *from;	/* sender address */
	const char *to;		/* the recipient */
	const char *reply_to;	/* feedback+TOKEN@..., or NULL */
	const char *subject;	/* one line */
	const char *question;	/* the NPS question */
	const char *team;	/* display name of the team, or NULL */
	const char *rate_base;	/* BASE_URL/c/TOKEN (a level follows) */
	const char *unsub_url;	/* BASE_URL/u/TOKEN, https for RFC 8058 */
	const char *message_id; /* without <> */
	int64_t date;
};

/* 0, or -1 (out of memory, an address that cannot go in a header). */
int campaign_mail_compose(struct buf *out, const struct campaign_mail *m);

#endif
