/* SPDX-License-Identifier: BSD-2-Clause */
/* Replies to the ticket address, read on their way through the milter: a
 * customer presses Reply on the closure mail and writes "8, thanks"; the
 * mail goes to the ticket system, not to feedback+TOKEN@. A mail whose
 * In-Reply-To/References names a surveyed closure mail, or whose text
 * carries a survey's "Ref: TOKEN" or rating link, is a ticket reply. When
 * the survey's requester sent it ([general] reply_sender), its grade is read
 * with the listener's stripper and grade reader and recorded through
 * rating.c (source mail) with a reply row (source "milter"), before the
 * milter answers end of message. What happens to the mail then is
 * [milter] ticket_replies: record (a header is added), divert (a short
 * good one goes to reply_address instead), off. */
#ifndef MM_TICKET_REPLY_H
#define MM_TICKET_REPLY_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "rules.h"
#include "store.h"
#include "token.h"

/* 1 when the header block has In-Reply-To or References: only such mail
 * is looked up at end of headers (ordinary mail never touches the store
 * and its body is never asked for). */
int ticket_reply_threaded(const struct rules_header *h, size_t nh);

/* 1 when rcpt ("<a@b>" or "a@b") is [listener] reply_address or one of its
 * +TOKEN addresses: such a mail is the listener's to read (any sender may
 * rate through +TOKEN there), never a ticket reply. */
int ticket_reply_for_listener(const struct conf *c, const char *rcpt);

/* The SENT survey whose closure mail's Message-ID one of the <ids> in
 * In-Reply-To, then References (newest first), names: STORE_OK and *id,
 * STORE_NOTFOUND, or a store error. */
enum store_rc ticket_reply_lookup(struct store *st,
				  const struct rules_header *h, size_t nh,
				  int64_t *id);

/* The survey of the first valid token in msg (raw, as received: a base64
 * part is not decoded), 0 when there is none. Cheap: no store, an HMAC
 * per token-shaped string. */
int64_t ticket_reply_token_survey(const struct token_key *key, const char *msg,
				  size_t len);

/* Each survey token in text, as "Ref: TOKEN" or ".../r/TOKEN" (a rating
 * link), in order: calls fn until it returns non-zero; returns that, or 0. */
int ticket_reply_text_tokens(const char *text, size_t len,
			     int (*fn)(const char *tok, void *arg), void *arg);

struct ticket_reply_env {
	const struct conf *conf;
	const struct token_key *key;
	struct store *store;
	int dry_run; /* find and read, record nothing (mailmoodctl test-rule) */
};

struct ticket_reply_mail {
	const char *qid;
	const char *sender; /* envelope MAIL FROM */
	const struct rules_header *h;
	size_t nh;
	const char *msg; /* the whole message: headers, blank line, body */
	size_t len;
	int64_t hint;	     /* survey found before, 0: look it up */
	const char *hint_by; /* how: "in-reply-to" (NULL) or "ref" */
};

enum ticket_reply_action {
	TICKET_REPLY_NONE,     /* not a ticket reply */
	TICKET_REPLY_PASS,     /* a ticket reply, not rated (reason) */
	TICKET_REPLY_RECORDED, /* rated: add the header, pass it on */
	TICKET_REPLY_DIVERTED, /* rated: add the header, to reply_address */
	TICKET_REPLY_ERROR,    /* store or memory: on_error applies */
};

struct ticket_reply_result {
	enum ticket_reply_action action;
	int64_t survey_id, reply_id, rating_id;
	int level;
	const char *level_key;	/* "green", "8", ... when rated */
	const char *matched_by; /* "in-reply-to" or "ref" */
	char header[96];	/* X-Mailmood-Rating value when rated */
	char from[128];		/* who sent it, for the log */
	char reason[200];	/* PASS and ERROR */
};

enum ticket_reply_action
ticket_reply_process(const struct ticket_reply_env *env,
		     const struct ticket_reply_mail *m,
		     struct ticket_reply_result *r);

/* "QID: ticket reply survey N from=... rated LEVEL (record|divert)",
 * "... not the requester" and the other reasons, once, queue id first. */
void ticket_reply_log(const struct ticket_reply_mail *m,
		      const struct ticket_reply_result *r);

#endif
