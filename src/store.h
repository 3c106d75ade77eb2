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
	STORE_ERROR = -1, /* broken: disk, corruption, schema */
	STORE_BUSY = -2,  /* locked beyond busy_timeout: retry later */
};

struct store; /* opaque; one thread at a time, never two at once */

/* dsn: a file path (SQLite). Opens, sets WAL, busy_timeout, foreign keys,
 * and applies pending migrations. err gets a one-line reason on failure. */
enum store_rc store_open(const char *dsn, struct store **out, char *err,
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
	SURVEY_SENT = 0,      /* links went out */
	SURVEY_COOLDOWN = 1,  /* requester surveyed within cooldown: no links */
	SURVEY_SAMPLED_OUT = 2, /* not picked by sample_rate: no links */
};

struct survey {
	int64_t id;
	int64_t sent_at; /* unix seconds */
	int status;      /* enum survey_status */
	char *queue_id;
	char *message_id; /* of the closure mail, for In-Reply-To matching */
	char *rule;
	char *ticket;
	char *team;
	char *agent;
	char *requester; /* lowercased address */
	char *scale;     /* scale name */
	char *language;
	char *subject;
};
void survey_free(struct survey *s); /* frees members, not s */

/* Inserts; sets s->id. */
enum store_rc store_survey_insert(struct store *st, struct survey *s);
enum store_rc store_survey_get(struct store *st, int64_t id,
			       struct survey *out);
enum store_rc store_survey_by_message_id(struct store *st,
					 const char *message_id,
					 int64_t *id);
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
enum store_rc store_hit_list(struct store *st, int64_t survey_id,
			     int64_t since, struct hit **out, size_t *n);
enum store_rc store_hit_mark_machine(struct store *st, int64_t survey_id,
				     int64_t since);

enum rating_source { RATING_WEB = 0, RATING_MAIL = 1 };

struct rating {
	int64_t id;
	int64_t survey_id;
	int64_t at;
	int level;
	int source;  /* enum rating_source */
	int current; /* 1 for the one that counts */
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

struct outbox_item {
	int64_t id;
	char *kind; /* "alert", "kudos", "digest" */
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
enum store_rc store_outbox_fail(struct store *st, int64_t id,
				const char *owner, int permanent,
				int64_t next_due, const char *error);
/* Cancels pending rows of a kind for a survey (a red changed to better). */
enum store_rc store_outbox_cancel(struct store *st, int64_t survey_id,
				  const char *kind);
enum store_rc store_outbox_list(struct store *st, int64_t survey_id,
				struct outbox_item **out, size_t *n);

#endif
