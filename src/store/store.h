/* SPDX-License-Identifier: BSD-2-Clause */
/* The response store: a backend-neutral API. Callers never see SQL, so a
 * PostgreSQL backend can sit beside the SQLite one without touching them.
 * Every function returns a store_rc; text out-parameters are malloc'd and
 * owned by the caller (free with the matching *_free). */
#ifndef MM_STORE_H
#define MM_STORE_H

#include <stddef.h>
#include <stdint.h>

enum store_rc {
	STORE_OK = 0,
	STORE_NOTFOUND = 1,
	STORE_ERROR = -1,  /* broken: disk, corruption, schema */
	STORE_BUSY = -2,   /* locked beyond busy_timeout, or the server is
			      unreachable: retry later */
	STORE_SCHEMA = -3, /* schema older or newer than this build */
};

struct store; /* opaque; one thread at a time, never two at once */

/* dsn: a file path (SQLite), a postgresql:// URI or "pg:CONNINFO". SQLite
 * is opened in WAL mode and migrated on open. A PostgreSQL store is only
 * migrated by store_migrate: opening one whose schema is older or newer
 * than this build fails with a message saying so. err gets a one-line
 * reason on failure (a URI's password is never in it). STORE_BUSY: the
 * server cannot be reached now. */
enum store_rc store_open(const char *dsn, struct store **out, char *err,
			 size_t errlen);
/* 1 when dsn names a SQLite file (which opening would create). */
int store_dsn_is_file(const char *dsn);
/* dsn as it may be logged: without a password. */
void store_dsn_shown(const char *dsn, char *out, size_t outlen);
/* Applies pending migrations (mailmoodctl migrate): *from and *to get the
 * schema version before and after. */
enum store_rc store_migrate(const char *dsn, int *from, int *to, char *err,
			    size_t errlen);
void store_close(struct store *st);
/* Schema version the store is at, and the one this build knows. */
int store_schema_version(struct store *st);
int store_schema_latest(void);
const char *store_errmsg(struct store *st);
/* 0 when the store answers a trivial query (for /healthz). */
enum store_rc store_ping(struct store *st);
/* How long a locked store is waited for before STORE_BUSY (default 5000). */
enum store_rc store_set_busy_timeout(struct store *st, int ms);

/* Transactions nest flatly: begin/commit are counted, only the outermost
 * pair talks to the backend. begin takes the write lock at once. */
enum store_rc store_begin(struct store *st);
enum store_rc store_commit(struct store *st);
enum store_rc store_rollback(struct store *st);

enum survey_status {
	SURVEY_SENT = 0,     /* links went out */
	SURVEY_COOLDOWN = 1, /* requester surveyed within cooldown: no links */
	SURVEY_SAMPLED_OUT = 2, /* not picked by sample_rate: no links */
};

struct survey {
	int64_t id;
	int64_t sent_at; /* unix seconds */
	int status;	 /* enum survey_status */
	char *queue_id;
	char *message_id; /* of the closure mail, for In-Reply-To matching */
	char *rule;
	char *ticket;
	char *team;
	char *agent;
	char *requester; /* lowercased address */
	char *scale;	 /* scale name */
	char *language;
	char *subject;
};
void survey_free(struct survey *s); /* frees members, not s */

/* Inserts; sets s->id. */
enum store_rc store_survey_insert(struct store *st, struct survey *s);
enum store_rc store_survey_get(struct store *st, int64_t id,
			       struct survey *out);
enum store_rc store_survey_by_message_id(struct store *st,
					 const char *message_id, int64_t *id);
/* The newest SURVEY_SENT survey for requester at or after since. */
enum store_rc store_survey_recent(struct store *st, const char *requester,
				  int64_t since, int64_t *id);

struct hit {
	int64_t id;
	int64_t survey_id;
	int64_t at;
	int level;
	int machine; /* 1: scanner / prefetch, never a rating */
	char *ip;
	char *user_agent;
};
void hit_free(struct hit *h);
void hit_list_free(struct hit *h, size_t n); /* members and the array */
enum store_rc store_hit_insert(struct store *st, struct hit *h); /* sets id */
/* Hits of a survey since a time, oldest first; *out is malloc'd. */
enum store_rc store_hit_list(struct store *st, int64_t survey_id, int64_t since,
			     struct hit **out, size_t *n);
enum store_rc store_hit_mark_machine(struct store *st, int64_t survey_id,
				     int64_t since);
/* Earliest and latest time of a survey's hits of one level; min_at >
 * max_at when there is none. */
struct hit_span {
	int64_t min_at, max_at;
};
/* out[0 .. nlevels-1]: the spans per level of a survey's hits at or after
 * since; STORE_ERROR for a hit of a level outside that range. */
enum store_rc store_hit_spans(struct store *st, int64_t survey_id,
			      int64_t since, struct hit_span *out, int nlevels);
/* The newest hit's id, 0 for none. */
enum store_rc store_hit_newest(struct store *st, int64_t *id);

/* For a process's one writer of many small rows (hitlog.c): */
/* 1 when a transaction keeps every other writer out until it ends
 * (SQLite's write lock), so what it read stays exact until its commit;
 * 0 on PostgreSQL (row locks only). */
int store_tx_exclusive(struct store *st);
/* 1 when another thread of this process waits for the write lock st's
 * transaction holds (the writer then commits early); 0 otherwise, and
 * always on backends without one. */
int store_lock_wanted(struct store *st);
/* The connection's page cache in KiB; a no-op where the backend has none. */
enum store_rc store_set_cache_kib(struct store *st, int kib);
/* Replaces the backend's automatic checkpoints (SQLite WAL) of st's
 * commits: when a commit leaves the log at `pages` pages or more, fn(arg)
 * is called; it returns 1 when it will run store_checkpoint itself soon,
 * 0 to have the commit checkpoint at once. A no-op without a log. */
typedef int (*store_checkpoint_fn)(void *arg);
void store_set_checkpoint_hook(struct store *st, int pages,
			       store_checkpoint_fn fn, void *arg);
/* Copies the log back without the write lock; when it still holds
 * restart_frames frames or more, a restart (the next commit writes the
 * log from its start) that waits at most wait_ms for readers. A no-op
 * without a log. */
enum store_rc store_checkpoint(struct store *st, int restart_frames,
			       int wait_ms);

enum rating_source { RATING_WEB = 0, RATING_MAIL = 1 };

struct rating {
	int64_t id;
	int64_t survey_id;
	int64_t at;
	int level;
	int source;   /* enum rating_source */
	int current;  /* 1 for the one that counts */
	char *why;    /* "why?" comment, may be NULL */
	char *better; /* "what could we do better?", may be NULL */
};
void rating_free(struct rating *r);
void rating_list_free(struct rating *r, size_t n);
/* Records a rating; earlier ratings of the survey stay as history with
 * current = 0. Sets r->id. why/better may be NULL. */
enum store_rc store_rating_add(struct store *st, struct rating *r);
/* Sets the comments of an existing rating (the form after the click). */
enum store_rc store_rating_comment(struct store *st, int64_t rating_id,
				   const char *why, const char *better);
/* The rating that counts; STORE_NOTFOUND when none. Inside a transaction
 * the answer holds until the commit: other writers of the survey's
 * ratings wait (read, then write on it, without losing theirs). */
enum store_rc store_rating_current(struct store *st, int64_t survey_id,
				   struct rating *out);
enum store_rc store_rating_list(struct store *st, int64_t survey_id,
				struct rating **out, size_t *n);

enum outbox_state {
	OUTBOX_PENDING = 0,
	OUTBOX_SENDING = 1, /* claimed, lease running */
	OUTBOX_SENT = 2,
	OUTBOX_FAILED = 3,
	OUTBOX_CANCELLED = 4,
};

/* What an outbox row sends. Kept as the strings of store_outbox_kind_name
 * (the one mapping between the enum and the store). */
enum outbox_kind {
	OUTBOX_KIND_UNKNOWN = -1,  /* a stored string no build wrote */
	OUTBOX_ALERT = 0,	   /* "alert": a red rating, to alert_to */
	OUTBOX_KUDOS = 1,	   /* "kudos": a gold rating, to kudos_to */
	OUTBOX_CAMPAIGN = 2,	   /* "campaign": a relationship survey */
	OUTBOX_CAMPAIGN_ALERT = 3, /* "campaign-alert": a detractor's answer */
	OUTBOX_CAMPAIGN_KUDOS = 4, /* "campaign-kudos": a promoter's comment */
	OUTBOX_NKINDS
};

/* The stored string of a kind, NULL out of range; the kind of a stored
 * string, OUTBOX_KIND_UNKNOWN for NULL or one no build wrote. */
const char *store_outbox_kind_name(int kind);
int store_outbox_kind_parse(const char *s);

struct outbox_item {
	int64_t id;
	int kind;	   /* enum outbox_kind */
	int64_t survey_id; /* 0 when none */
	int64_t rating_id; /* 0 when none */
	int64_t due;
	int attempts;
	int state;
	char *last_error;
};
void outbox_item_free(struct outbox_item *o);
void outbox_list_free(struct outbox_item *o, size_t n);
enum store_rc store_outbox_enqueue(struct store *st, struct outbox_item *o);
/* Claims up to max rows that are PENDING and due, or SENDING with a lease
 * expired before now, for owner until now + lease. Two processes never get
 * the same row. *out is malloc'd. */
enum store_rc store_outbox_claim(struct store *st, const char *owner,
				 int64_t now, int lease, size_t max,
				 struct outbox_item **out, size_t *n);
enum store_rc store_outbox_done(struct store *st, int64_t id,
				const char *owner);
/* permanent: FAILED at once; else back to PENDING due at next_due. */
enum store_rc store_outbox_fail(struct store *st, int64_t id, const char *owner,
				int permanent, int64_t next_due,
				const char *error);
/* Cancels pending rows of a kind for a survey (a red changed to better). */
enum store_rc store_outbox_cancel(struct store *st, int64_t survey_id,
				  enum outbox_kind kind);
enum store_rc store_outbox_list(struct store *st, int64_t survey_id,
				struct outbox_item **out, size_t *n);

/* ------------------------------------------------ reports (report.c) */

/* The backend runs the GROUP BY; report.c folds the cells into figures
 * with the scale mappings of scale.c, so no backend encodes a scale.
 * Everything is a cohort of the survey's sent_at, in UTC: a rating or an
 * alert counts in the period its survey went out, so responses and
 * surveys of one row belong together. Periods are "2025-03-07",
 * "2025-W10" (ISO 8601 week), "2025-03", "2025-Q1". */
enum store_period {
	STORE_PERIOD_NONE,
	STORE_PERIOD_DAY,
	STORE_PERIOD_WEEK,
	STORE_PERIOD_MONTH,
	STORE_PERIOD_QUARTER,
};

enum store_group {
	STORE_GROUP_OVERALL,
	STORE_GROUP_TEAM,
	STORE_GROUP_AGENT, /* team and agent */
	STORE_GROUP_RULE,
};

struct store_report_query {
	const char *team, *agent, *rule; /* NULL: any */
	int64_t since, until; /* sent_at in [since, until); 0: open */
	int period;	      /* enum store_period */
	int group;	      /* enum store_group */
};

enum store_cell_kind {
	STORE_CELL_SURVEYS, /* n: surveys whose links went out */
	STORE_CELL_LEVEL,   /* n: current ratings at scale/level; n2: by mail */
	STORE_CELL_MACHINE, /* n: hits marked machine (ignored) */
	STORE_CELL_ALERTS,  /* n: alerts queued (not cancelled); n2: acked */
	STORE_CELL_ACK,	    /* value: seconds from queued to acknowledged */
};

/* Strings are NULL when not grouped by them, and valid only during the
 * emit call. */
struct store_report_cell {
	int kind;
	const char *team, *agent, *rule, *period;
	const char *scale;
	int level;
	int64_t n, n2, value;
};

/* emit returns 0 to go on, non-zero to stop (store_report then returns
 * STORE_ERROR with "stopped" as the message). */
typedef int (*store_report_emit)(void *arg, const struct store_report_cell *c);
enum store_rc store_report(struct store *st, const struct store_report_query *q,
			   store_report_emit emit, void *arg);

/* Ratings with their survey, for comments, search and export. With
 * replies set, comment-only replies (status "comment" with a text and no
 * rating of their own) come too, in the same order, as rows with
 * rating_id 0, reply_id set, level -1, source RATING_MAIL, current 1 and
 * the reply's text as why: what a person wrote is shown wherever
 * comments are. */
struct store_rating_filter {
	const char *team, *agent;
	const char *text;     /* substring of why or better (ASCII case) */
	int64_t since, until; /* rating time in [since, until); 0: open */
	int history;	      /* 1: every rating, 0: the current ones */
	int commented;	      /* 1: only ratings with a comment */
	int replies;	      /* 1: comment-only replies too */
	int oldest_first;     /* default newest first */
	int64_t limit;	      /* 0: no limit */
};

struct store_rating_row {
	int64_t rating_id, survey_id, at, sent_at;
	int64_t reply_id; /* a comment-only reply's row: its id, else 0 */
	int level, source, current; /* level -1: a reply without a grade */
	const char *team, *agent, *rule, *ticket, *scale, *why, *better;
	const char *subject; /* the closure mail's */
};

typedef int (*store_rating_emit)(void *arg, const struct store_rating_row *r);
enum store_rc store_rating_rows(struct store *st,
				const struct store_rating_filter *f,
				store_rating_emit emit, void *arg);

/* Red alerts of a team (NULL: all), newest first. */
struct store_alert_row {
	int64_t outbox_id, survey_id, created_at, acked_at; /* 0: not acked */
	int state, level;
	const char *team, *agent, *ticket, *scale, *acked_by;
	const char *subject; /* the closure mail's */
};

typedef int (*store_alert_emit)(void *arg, const struct store_alert_row *a);
enum store_rc store_alert_rows(struct store *st, const char *team,
			       int open_only, int64_t limit,
			       store_alert_emit emit, void *arg);

/* GDPR: surveys sent before `before`. Without anonymize they are deleted
 * with everything hanging off them (hits, ratings, alerts) and replies
 * received before then; with anonymize the requester, subject, comments,
 * hit addresses and reply texts are cleared and the levels kept. One
 * transaction. SQLite: freed pages are zeroed and the WAL is checkpointed
 * so the text is gone from the file too. PostgreSQL keeps old row
 * versions until VACUUM reuses them (it cannot run in a transaction):
 * mailmoodctl purge says so. *count: surveys touched. */
enum store_rc store_purge(struct store *st, int64_t before, int anonymize,
			  int64_t *count);

/* Dashboard users (mailmoodctl passwd) and their sessions. */
struct store_user {
	char *name;
	char *pwhash; /* crypt(3) string */
	char *teams;  /* space separated */
	int is_admin;
	int failures;
	int64_t locked_until;
	int64_t created_at;
};
void store_user_free(struct store_user *u); /* members, not u */
/* Creates or updates name; a new password clears failures and lock and
 * ends every session of the user (a changed password locks out whoever
 * knew the old one, cookie or not). */
enum store_rc store_user_put(struct store *st, const struct store_user *u);
/* Deletes name and its sessions; NOTFOUND when there is no such user. */
enum store_rc store_user_delete(struct store *st, const char *name);
/* Every user by name into a new array (free each with store_user_free,
 * then the array). */
enum store_rc store_user_list(struct store *st, struct store_user **out,
			      size_t *n);
enum store_rc store_user_get(struct store *st, const char *name,
			     struct store_user *out);
/* One more failed login; at max_failures the user is locked until
 * now + lock_seconds and the count starts again. */
enum store_rc store_user_failed(struct store *st, const char *name, int64_t now,
				int max_failures, int64_t lock_seconds);
enum store_rc store_user_succeeded(struct store *st, const char *name);
/* id: what the store keeps of a session (a hash of the cookie value). */
enum store_rc store_session_put(struct store *st, const char *id,
				const char *user, int64_t created,
				int64_t expires);
/* The session's user; NOTFOUND when there is none or it expired. */
enum store_rc store_session_user(struct store *st, const char *id, int64_t now,
				 struct store_user *out);
/* Deletes id and every session expired before now. */
enum store_rc store_session_delete(struct store *st, const char *id,
				   int64_t now);

/* Reply mails (doc/ARCHITECTURE.md "A reply mail"): every one is kept, matched
 * or not, so nothing a person wrote is lost and an unmatched one can be looked
 * at. Status, source and match are kept as the strings of the *_name functions
 * below (the one mapping between the enums and the store). */
enum reply_status {
	REPLY_RATED = 0,     /* "rated": its grade became a rating */
	REPLY_COMMENT = 1,   /* "comment": matched, no grade (or too late) */
	REPLY_AUTO = 2,	     /* "auto": an auto-reply, never a rating */
	REPLY_UNMATCHED = 3, /* "unmatched": no survey found */
	REPLY_NSTATUS
};

enum reply_source {
	REPLY_SOURCE_UNKNOWN = -1, /* kept before the source was recorded */
	REPLY_SOURCE_LMTP = 0,	   /* "lmtp": mailmoodd's LMTP listener */
	REPLY_SOURCE_INGEST = 1,   /* "ingest": mailmoodctl ingest */
	REPLY_SOURCE_IMAP = 2,	   /* "imap": the IMAP poller */
	REPLY_SOURCE_MILTER = 3,   /* "milter": a ticket reply in the milter */
	REPLY_NSOURCES
};

enum reply_match {
	REPLY_MATCH_NONE = 0,	     /* unmatched (or not recorded): NULL */
	REPLY_MATCH_ADDRESS = 1,     /* "address": +TOKEN in a recipient */
	REPLY_MATCH_IN_REPLY_TO = 2, /* "in-reply-to": In-Reply-To or
					References names the closure mail */
	REPLY_MATCH_REF = 3,	     /* "ref": a "Ref: TOKEN" in the text */
	REPLY_MATCH_LINK = 4,	     /* "link": a rating link in the text */
	REPLY_NMATCHES
};

/* The stored string of a value; NULL for a value out of range (and for
 * REPLY_SOURCE_UNKNOWN, REPLY_MATCH_NONE: stored as NULL). */
const char *store_reply_status_name(int status);
const char *store_reply_source_name(int source);
const char *store_reply_match_name(int match);
/* The value of a stored string: -1 (status), REPLY_SOURCE_UNKNOWN,
 * REPLY_MATCH_NONE for NULL or a string no build wrote. */
int store_reply_status_parse(const char *s);
int store_reply_source_parse(const char *s);
int store_reply_match_parse(const char *s);

struct store_reply {
	int64_t id;
	int64_t received_at;
	int64_t survey_id; /* 0 when unmatched */
	int64_t rating_id; /* 0 when the reply made no rating */
	int status;	   /* enum reply_status */
	int source;	   /* enum reply_source */
	int matched_by;	   /* enum reply_match */
	int level;	   /* store_reply_list: its rating's level, -1 none */
	char *sender;	   /* envelope sender, "" for a bounce */
	char *message_id;
	char *subject; /* decoded */
	char *body;    /* the mail as received */
	char *comment; /* what the person wrote, quotes stripped */
};
void store_reply_free(struct store_reply *r); /* members, not r */
/* Inserts; sets r->id. */
enum store_rc store_reply_add(struct store *st, struct store_reply *r);
enum store_rc store_reply_get(struct store *st, int64_t id,
			      struct store_reply *out);
/* The newest reply with this Message-ID: a mail delivered again (an LMTP
 * answer lost on the way, an IMAP move that failed) is recognised. */
enum store_rc store_reply_by_message_id(struct store *st,
					const char *message_id, int64_t *id);
/* The replies of a survey, oldest first, without body (NULL); level is
 * the level of the rating a "rated" reply made, else -1. *out is
 * malloc'd (free with store_reply_list_free). */
enum store_rc store_reply_list(struct store *st, int64_t survey_id,
			       struct store_reply **out, size_t *n);
void store_reply_list_free(struct store_reply *r, size_t n);

/* ------------------------------------------ alerts (outbox.c, ack.c) */

/* One outbox row; created_at (may be NULL) gets when it was queued. */
enum store_rc store_outbox_get(struct store *st, int64_t id,
			       struct outbox_item *out, int64_t *created_at);
/* Records who acknowledged an alert unless someone already did; either
 * way *by_out (malloc'd) and *at_out say whose acknowledgement counts.
 * by NULL only reads (NOTFOUND: not acknowledged yet). NOTFOUND too when
 * the outbox row does not exist. */
enum store_rc store_alert_ack(struct store *st, int64_t outbox_id,
			      const char *by, int64_t at, char **by_out,
			      int64_t *at_out);
/* Alerts (queued, sent or failed; not cancelled) of other surveys of the
 * same requester: how many, and when the newest was queued. */
enum store_rc store_requester_alerts(struct store *st, const char *requester,
				     int64_t exclude_survey, int64_t *count,
				     int64_t *last_at);

struct store_outbox_stats {
	int64_t pending, sending, sent, failed, cancelled;
	int64_t oldest_due; /* of the pending rows; 0 when none */
};
enum store_rc store_outbox_stats(struct store *st,
				 struct store_outbox_stats *out);

/* Digest schedule (the digests table): when a team's digest last went
 * out (NOTFOUND: never), and a compare-and-set so that of two processes
 * only one sends it: last_sent moves from old (-1: no row yet) to now, or
 * NOTFOUND when another process moved it first. */
enum store_rc store_digest_last(struct store *st, const char *team,
				int64_t *last);
enum store_rc store_digest_mark(struct store *st, const char *team, int64_t old,
				int64_t now);

#define STORE_MAX_LEVEL 10 /* highest level value of any scale (nps) */

struct store_digest_comment {
	int64_t at;
	int level;
	char *ticket, *agent, *why, *better;
};

/* A team's ratings in [since, until) (by rating time), its surveys sent
 * in the window and how many got a rating, and the alerts sent at any
 * time that nobody acknowledged. */
struct store_digest_stats {
	int64_t levels[STORE_MAX_LEVEL + 1]; /* current ratings by level */
	int64_t rated;
	int64_t surveyed, answered;
	int64_t open_alerts;
	struct store_digest_comment *comments; /* oldest first, at most 200 */
	size_t ncomments;
};
void store_digest_stats_free(struct store_digest_stats *d); /* members */
enum store_rc store_digest_stats(struct store *st, const char *team,
				 int64_t since, int64_t until,
				 struct store_digest_stats *out);

/* ------------------------------------- copy-store (store_copy.c) */

typedef void (*store_copy_progress)(void *arg, const char *table, int64_t rows);
/* Copies every row of every table from one store into an empty one of
 * the same schema version, ids and all, in one transaction on `to`; each
 * table's row count is compared on both sides before the commit. err
 * says what failed (and nothing is kept in `to`). */
enum store_rc store_copy(struct store *from, struct store *to,
			 store_copy_progress progress, void *arg, char *err,
			 size_t errlen);

#endif
