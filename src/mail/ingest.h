/* SPDX-License-Identifier: BSD-2-Clause */
/* One reply mail, start to end (doc/ARCHITECTURE.md "A reply mail"),
 * independent of the way it came in: the LMTP listener, `mailmoodctl ingest`
 * and the IMAP poller all call ingest_mail and map its result to their own
 * answer.
 *
 *   match    +TOKEN in a recipient address; In-Reply-To/References against
 *            the closure mail's Message-ID; "Ref: TOKEN" anywhere in the
 *            text (the quoted rating block included)
 *   filter   auto-replies (Auto-Submitted, X-Autoreply, X-Autorespond,
 *            Precedence, out-of-office subjects en/nl, empty return path)
 *            are kept with status "auto", never a rating
 *   read     text without quotes and signature; a grade on the survey's
 *            scale becomes a rating (source mail, same replace and alert
 *            rule as a click: rating.c); no grade: kept as a comment
 *   keep     every reply gets a row in replies (rated, comment, unmatched,
 *            auto), in the same transaction as its rating and alert
 *
 * A mail with a Message-ID already in replies (delivered again after an
 * answer got lost) is recognised and not recorded twice. */
#ifndef MM_INGEST_H
#define MM_INGEST_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "store.h"
#include "token.h"

enum ingest_result {
	INGEST_STORED = 0,   /* rated, comment or unmatched: kept */
	INGEST_IGNORED = 1,  /* auto-reply (kept as such) or a duplicate */
	INGEST_TEMPFAIL = 2, /* could not store: the sender must retry */
	INGEST_BADMAIL = 3,  /* not a mail (no header block) */
};

struct ingest_env {
	const struct conf *conf;
	const struct token_key *key;
	/* Held from the store transaction's begin to its end when not NULL:
	 * threads of one process queue here instead of in SQLite's busy
	 * handler, which sleeps in steps of up to 100 ms. */
	pthread_mutex_t *tx_lock;
};

struct ingest_envelope {
	enum reply_source source; /* the door it came in by; its name is the
				   * log prefix ("lmtp", "ingest", "imap") */
	const char *sender;	  /* envelope MAIL FROM ("" for <>); NULL when
				   * unknown (IMAP: Return-Path is read instead) */
	const char *const *rcpts; /* envelope recipients, may be none */
	size_t nrcpts;
	int64_t now;
};

struct ingest_outcome {
	enum ingest_result result;
	int status;	/* enum reply_status, or -1 (duplicate, failure) */
	int matched_by; /* enum reply_match */
	int64_t survey_id;
	int64_t rating_id;
	int64_t reply_id;
	int level;    /* when rated */
	size_t cut;   /* bytes of an unmatched body not kept */
	char qid[64]; /* the MTA's queue id from Received:, else "NOQUEUE" */
	char reason[200]; /* why ignored / failed / unmatched */
};

/* st may be NULL (store could not be opened): then TEMPFAIL. The outcome
 * is logged here, once, queue id first. */
enum ingest_result ingest_mail(const struct ingest_env *env, struct store *st,
			       const char *msg, size_t len,
			       const struct ingest_envelope *ev,
			       struct ingest_outcome *out);
const char *ingest_result_name(enum ingest_result r);

/* ---- pure pieces, exposed for the unit tests and the fuzzer ---- */

/* The header fields ingest looks at, unfolded; NULL when absent. */
struct ingest_headers {
	char *message_id;
	char *in_reply_to;
	char *references;
	char *from;    /* as written (reply_sender_allowed reads it) */
	char *subject; /* RFC 2047-decoded */
	char *auto_submitted;
	char *x_autoreply;
	char *x_autorespond;
	char *precedence;
	char *return_path;
	char *queue_id; /* "id X" of the first Received: field */
	char **addrs;	/* To, Cc, Delivered-To, X-Original-To, lowercased */
	size_t naddrs;
	size_t body_off;
};
/* 0, or -1 when msg has no header block at all (not a mail). A leading
 * mbox "From " line (local(8) pipes) is skipped. */
int ingest_headers_parse(const char *msg, size_t len, struct ingest_headers *h);
void ingest_headers_free(struct ingest_headers *h);

/* Why the mail is an automatic one, or NULL for a person's reply. sender:
 * envelope sender, NULL when unknown (Return-Path decides then). */
const char *ingest_auto_reason(const struct ingest_headers *h,
			       const char *sender);

/* TOKEN from "local+TOKEN@domain" (also "<...>"): 0 and tok filled
 * (TOKEN_BUFSZ bytes), -1 when the address has no token-shaped
 * extension. */
int ingest_addr_token(const char *addr, char *tok);
/* Each "Ref: TOKEN" in text, in order: calls fn until it returns
 * non-zero; returns that value, or 0. */
int ingest_text_tokens(const char *text, size_t len,
		       int (*fn)(const char *tok, void *arg), void *arg);

#endif
