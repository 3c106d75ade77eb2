/* SPDX-License-Identifier: BSD-2-Clause */
/* The rating routes (doc/ARCHITECTURE.md "A click"), free of HTTP plumbing:
 *   GET  /r/TOKEN/LEVEL  landing page with LEVEL chosen; records a hit,
 *                        never a rating
 *   POST /r/TOKEN        level, why, better, csrf, via: records or replaces
 *                        the rating (history kept) and queues a red alert
 *                        in the same transaction; a POST with the level
 *                        that already counts only updates the comments.
 * Expired or forged tokens get the friendly 404 page, unknown levels 400.
 * Comments are stored as typed (at most comment_max characters) and
 * escaped on output only. */
#ifndef MM_RATE_H
#define MM_RATE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "burst.h"
#include "conf.h"
#include "page.h"
#include "store.h"
#include "token.h"

/* Everything a request reads, built once per config snapshot (the HTTP
 * part, http.c): swapped as a whole on reload. */
struct rate_env {
	const struct conf *conf; /* the snapshot's */
	struct token_key key;
	struct page_set *pages;
	char *base_path; /* path of base_url without the trailing '/' */
	char *origin;	 /* scheme://host[:port] of base_url */
};

/* Uses c (which must outlive the env) and copies key; loads the
 * templates from general.templates. 0, or -1 with err. */
int rate_env_new(const struct conf *c, const struct token_key *key,
		 struct rate_env **out, char *err, size_t errlen);
void rate_env_free(struct rate_env *e);

enum rate_method { RATE_GET, RATE_HEAD, RATE_POST };

struct rate_request {
	enum rate_method method;
	const char *path; /* starting with "/r/" */
	const char *ip;
	const char *user_agent;	     /* may be NULL */
	const char *accept_language; /* may be NULL */
	const char *origin;	     /* Origin header, may be NULL */
	const char *accept;	     /* Accept header, may be NULL */
	const char *body;	     /* POST body (x-www-form-urlencoded) */
	size_t body_len;
	int64_t now;
};

struct rate_response {
	int status;
	const char *content_type; /* static string */
	struct buf body;
};

/* Fills rs (rs->body must be initialised by the caller). */
void rate_handle(const struct rate_env *env, struct store *st,
		 const struct rate_request *rq, struct rate_response *rs);
/* The friendly 404 page, for any unknown path too. */
void rate_not_found(const struct rate_env *env, const char *accept_language,
		    struct rate_response *rs);
/* A short page for 400/403/405/413/431/500/503. */
/* 1 when a POST's Origin header may come from our own pages. */
int rate_origin_ok(const struct rate_env *env, const char *origin);
void rate_error(const struct rate_env *env, int status,
		struct rate_response *rs);

/* Decodes application/x-www-form-urlencoded value of key into out;
 * 1 found, 0 absent, -1 malformed (bad escape, NUL byte). Exposed for
 * tests. */
int rate_form_get(const char *body, size_t len, const char *key,
		  struct buf *out);

/* A hit keeps this many bytes of its User-Agent: enough for any real
 * browser's, and 2,000 GETs with a 14 KB one no longer add 28 MB. */
#define RATE_UA_MAX 256

/* Queues a link's hit for the hit writer (or records it at once without
 * one): h has its id, level, sent_at, ip and level_key set; the time,
 * HEAD flag, burst window and the user agent (cut to RATE_UA_MAX) come
 * from rq and env. Closure (/r/) and campaign (/c/) links alike. */
struct hitlog_hit;
void rate_hit(const struct rate_env *env, struct store *st,
	      const struct rate_request *rq, struct hitlog_hit *h);
/* The burst classifier's verdict on a POST to a link of the mail sent at
 * sent_at (burst.h): the earlier hits of that link's owner (id) are read
 * through prior (NULL: none to read), after this process's queued hits
 * are written, only for the script's automatic confirmation (automatic). */
typedef struct burst_hit *(*rate_prior_fn)(struct store *st, int64_t id,
					   int64_t since, size_t *n);
enum burst_reason rate_burst_verdict(const struct rate_env *env,
				     struct store *st,
				     const struct rate_request *rq,
				     int64_t sent_at, int level, int automatic,
				     rate_prior_fn prior, int64_t id);
/* The script's confirmation (automatic) or a client asking for JSON. */
int rate_wants_json(const struct rate_request *rq, int automatic);
/* The answer to the page script's confirmation (rate.js):
 * {"recorded":BOOL,"confirm":BOOL,"level":"KEY"}; level is [a-z0-9]. */
void rate_json_answer(struct rate_response *rs, int recorded,
		      const char *level);

#endif
