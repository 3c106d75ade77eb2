/* SPDX-License-Identifier: BSD-2-Clause */
/* What a response store backend provides. store.c picks one from the dsn
 * and forwards every call through this table, so callers of store.h never
 * learn which database answers. Only store*.c include this file. */
#ifndef MM_STORE_BACKEND_H
#define MM_STORE_BACKEND_H

#include "store.h"
#include "store_customer.h"

/* Stored values as SQL text, for statements whose text is fixed when
 * mailmood is built (report cells, dashboard queries); a statement that
 * takes parameters binds the value instead. The strings are the ones
 * store.c's mappings (store_outbox_kind_name, store_reply_status_name)
 * use, so each is spelt once; the numbers are those of enum outbox_state,
 * survey_status and customer_digest_state, which test_store checks. */
#define STORE_SQL_KIND_ALERT "alert"
#define STORE_SQL_REPLY_RATED "rated"
#define STORE_SQL_REPLY_COMMENT "comment"
#define STORE_SQL_OUTBOX_PENDING "0"
#define STORE_SQL_OUTBOX_SENDING "1"
#define STORE_SQL_OUTBOX_SENT "2"
#define STORE_SQL_OUTBOX_FAILED "3"
#define STORE_SQL_OUTBOX_CANCELLED "4"
/* every state but cancelled */
#define STORE_SQL_OUTBOX_NOT_CANCELLED                                         \
	"(" STORE_SQL_OUTBOX_PENDING ", " STORE_SQL_OUTBOX_SENDING             \
	", " STORE_SQL_OUTBOX_SENT ", " STORE_SQL_OUTBOX_FAILED ")"
#define STORE_SQL_SURVEY_SENT "0"
#define STORE_SQL_RATING_MAIL "1"
#define STORE_SQL_CDIGEST_PENDING "0"
#define STORE_SQL_CDIGEST_SENDING "1"
#define STORE_SQL_CDIGEST_SENT "2"

enum store_open_mode {
	/* SQLite migrates; PostgreSQL refuses a schema not this build's */
	STORE_OPEN_USE,
	STORE_OPEN_MIGRATE, /* apply pending migrations */
	STORE_OPEN_INSPECT, /* neither: only to read the schema version */
};

struct store_campaign_ops;

/* One row as text; NULL for SQL NULL. Returns non-zero to stop. */
typedef int (*store_row_emit)(void *arg, int ncols, const char *const *vals);

struct store_ops {
	const char *name;
	int schema_latest;
	int tx_exclusive; /* store_tx_exclusive */
	/* target: the dsn without its scheme (SQLite) or the whole URI or
	 * conninfo (PostgreSQL); mode: enum store_open_mode. On failure the
	 * backend frees what it allocated and leaves a reason in err. */
	enum store_rc (*open)(struct store *st, const char *target, int mode,
			      char *err, size_t errlen);
	void (*close)(struct store *st);
	int (*schema_version)(struct store *st);
	enum store_rc (*ping)(struct store *st);
	enum store_rc (*set_busy_timeout)(struct store *st, int ms);
	/* The outermost begin/commit/rollback only; store.c counts nesting. */
	enum store_rc (*tx_begin)(struct store *st);
	enum store_rc (*tx_commit)(struct store *st);
	enum store_rc (*tx_rollback)(struct store *st);

	enum store_rc (*survey_insert)(struct store *st, struct survey *s);
	enum store_rc (*survey_get)(struct store *st, int64_t id,
				    struct survey *out);
	enum store_rc (*survey_by_message_id)(struct store *st,
					      const char *message_id,
					      int64_t *id);
	enum store_rc (*survey_recent)(struct store *st, const char *requester,
				       int64_t since, int64_t *id);
	enum store_rc (*hit_insert)(struct store *st, struct hit *h);
	enum store_rc (*hit_list)(struct store *st, int64_t survey_id,
				  int64_t since, struct hit **out, size_t *n);
	enum store_rc (*hit_mark_machine)(struct store *st, int64_t survey_id,
					  int64_t since);
	enum store_rc (*hit_spans)(struct store *st, int64_t survey_id,
				   int64_t since, struct hit_span *out,
				   int nlevels);
	enum store_rc (*hit_newest)(struct store *st, int64_t *id);
	/* The hit writer's tuning (store.h); NULL: the backend has none. */
	int (*lock_wanted)(struct store *st);
	enum store_rc (*set_cache_kib)(struct store *st, int kib);
	void (*set_checkpoint_hook)(struct store *st, int pages,
				    store_checkpoint_fn fn, void *arg);
	enum store_rc (*checkpoint)(struct store *st, int restart_frames,
				    int wait_ms);
	enum store_rc (*rating_add)(struct store *st, struct rating *r);
	enum store_rc (*rating_comment)(struct store *st, int64_t rating_id,
					const char *why, const char *better);
	enum store_rc (*rating_current)(struct store *st, int64_t survey_id,
					struct rating *out);
	enum store_rc (*rating_list)(struct store *st, int64_t survey_id,
				     struct rating **out, size_t *n);
	enum store_rc (*outbox_enqueue)(struct store *st,
					struct outbox_item *o);
	enum store_rc (*outbox_claim)(struct store *st, const char *owner,
				      int64_t now, int lease, size_t max,
				      struct outbox_item **out, size_t *n);
	enum store_rc (*outbox_done)(struct store *st, int64_t id,
				     const char *owner);
	enum store_rc (*outbox_fail)(struct store *st, int64_t id,
				     const char *owner, int permanent,
				     int64_t next_due, const char *error);
	enum store_rc (*outbox_cancel)(struct store *st, int64_t survey_id,
				       const char *kind);
	enum store_rc (*outbox_list)(struct store *st, int64_t survey_id,
				     struct outbox_item **out, size_t *n);
	/* reports and the dashboard (report.c, dashboard.c) */
	enum store_rc (*report)(struct store *st,
				const struct store_report_query *q,
				store_report_emit emit, void *arg);
	enum store_rc (*rating_rows)(struct store *st,
				     const struct store_rating_filter *f,
				     store_rating_emit emit, void *arg);
	enum store_rc (*alert_rows)(struct store *st, const char *team,
				    int open_only, int64_t limit,
				    store_alert_emit emit, void *arg);
	enum store_rc (*purge)(struct store *st, int64_t before, int anonymize,
			       int64_t *count);
	enum store_rc (*user_put)(struct store *st, const struct store_user *u);
	enum store_rc (*user_get)(struct store *st, const char *name,
				  struct store_user *out);
	enum store_rc (*user_failed)(struct store *st, const char *name,
				     int64_t now, int max_failures,
				     int64_t lock_seconds);
	enum store_rc (*user_succeeded)(struct store *st, const char *name);
	/* deletes the user's sessions, then the user when with_user */
	enum store_rc (*user_end)(struct store *st, const char *name,
				  int with_user, int64_t *deleted);
	enum store_rc (*user_list)(struct store *st, struct store_user **out,
				   size_t *n);
	enum store_rc (*session_put)(struct store *st, const char *id,
				     const char *user, int64_t created,
				     int64_t expires);
	enum store_rc (*session_user)(struct store *st, const char *id,
				      int64_t now, struct store_user *out);
	enum store_rc (*session_delete)(struct store *st, const char *id,
					int64_t now);
	/* reply mails (ingest.c) */
	enum store_rc (*reply_add)(struct store *st, struct store_reply *r);
	enum store_rc (*reply_get)(struct store *st, int64_t id,
				   struct store_reply *out);
	enum store_rc (*reply_by_message_id)(struct store *st,
					     const char *message_id,
					     int64_t *id);
	enum store_rc (*reply_list)(struct store *st, int64_t survey_id,
				    struct store_reply **out, size_t *n);
	/* alerts, acknowledgements, digests (store_sqlite_alert.c) */
	enum store_rc (*outbox_get)(struct store *st, int64_t id,
				    struct outbox_item *out,
				    int64_t *created_at);
	enum store_rc (*alert_ack)(struct store *st, int64_t outbox_id,
				   const char *by, int64_t at, char **by_out,
				   int64_t *at_out);
	enum store_rc (*requester_alerts)(struct store *st,
					  const char *requester,
					  int64_t exclude_survey,
					  int64_t *count, int64_t *last_at);
	enum store_rc (*outbox_stats)(struct store *st,
				      struct store_outbox_stats *out);
	enum store_rc (*digest_last)(struct store *st, const char *team,
				     int64_t *last);
	enum store_rc (*digest_mark)(struct store *st, const char *team,
				     int64_t old, int64_t now);
	enum store_rc (*digest_stats)(struct store *st, const char *team,
				      int64_t since, int64_t until,
				      struct store_digest_stats *out);
	/* copy-store (store_copy.c): whole tables as text, in the order of
	 * their first column. table and cols come from store_copy.c's own
	 * constants, never from data. */
	enum store_rc (*table_rows)(struct store *st, const char *table,
				    const char *cols, int ncols,
				    store_row_emit emit, void *arg);
	enum store_rc (*table_insert)(struct store *st, const char *table,
				      const char *cols, int ncols,
				      const char *const *vals);
	enum store_rc (*table_count)(struct store *st, const char *table,
				     int64_t *n);
	/* After rows came in with their ids: new ids must start above. */
	enum store_rc (*table_loaded)(struct store *st, const char *table);
	/* relationship NPS campaigns (store_*_campaign.c) */
	const struct store_campaign_ops *campaign;
	/* customer ratings (store_customer.h) */
	const struct store_customer_ops *customer;
};

/* One connection. Not locked: a struct store belongs to one thread at a
 * time (SQLite connections are opened without their own mutex). */
struct store {
	const struct store_ops *ops;
	void *be;   /* the backend's connection state */
	int depth;  /* store_begin nesting; 0 outside a transaction */
	int doomed; /* an inner level rolled back: the outermost must too */
	char err[512];
};

void store_set_err(struct store *st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Claimed rows come back in no promised order (UPDATE ... RETURNING);
 * callers want the most overdue first: by due, then id. */
void store_outbox_sort(struct outbox_item *o, size_t n);

extern const struct store_ops store_sqlite_ops;
extern const struct store_ops store_pg_ops;

/* The SQLite backend's report and dashboard ops live in
 * store_sqlite_report.c (and store_sqlite_alert.c); these give them the
 * connection, the one error mapping and the one text-column copy of
 * store_sqlite.c. */
struct sqlite3;
struct sqlite3_stmt;
struct sqlite3 *store_sqlite_db(struct store *st);
/* 1 when another thread of this process waits for the write lock st's
 * transaction holds (the hit writer then commits early); 0 otherwise,
 * and always on other backends. */
int store_sqlite_wanted(struct store *st);
enum store_rc store_sqlite_fail(struct store *st, int rc, const char *what);
/* Copies a text column (NULL stays NULL); -1 only when memory ran out. */
int store_sqlite_col_text(struct sqlite3_stmt *s, int i, char **out);
/* Binds text or SQL NULL (SQLITE_STATIC: every statement is stepped and
 * reset before the function that bound it returns). */
void store_sqlite_bind_text(struct sqlite3_stmt *s, int i, const char *v);
/* A statement for sql, NULL (error set) when it cannot be prepared; the
 * caller finalizes it. */
struct sqlite3_stmt *store_sqlite_prepare(struct store *st, const char *sql);
/* What the last failure of st meant, to return as it is (a NULL from
 * store_sqlite_prepare, a failed step): every one goes through
 * store_sqlite_fail, so BUSY and LOCKED are STORE_BUSY in every file,
 * anything else STORE_ERROR. */
enum store_rc store_sqlite_fail_rc(struct store *st);
enum store_rc sqr_report(struct store *st, const struct store_report_query *q,
			 store_report_emit emit, void *arg);
enum store_rc sqr_rating_rows(struct store *st,
			      const struct store_rating_filter *f,
			      store_rating_emit emit, void *arg);
enum store_rc sqr_alert_rows(struct store *st, const char *team, int open_only,
			     int64_t limit, store_alert_emit emit, void *arg);
enum store_rc sqr_purge(struct store *st, int64_t before, int anonymize,
			int64_t *count);
enum store_rc sqr_user_put(struct store *st, const struct store_user *u);
enum store_rc sqr_user_get(struct store *st, const char *name,
			   struct store_user *out);
enum store_rc sqr_user_failed(struct store *st, const char *name, int64_t now,
			      int max_failures, int64_t lock_seconds);
enum store_rc sqr_user_succeeded(struct store *st, const char *name);
enum store_rc sqr_user_end(struct store *st, const char *name, int with_user,
			   int64_t *deleted);
enum store_rc sqr_user_list(struct store *st, struct store_user **out,
			    size_t *n);
enum store_rc sqr_session_put(struct store *st, const char *id,
			      const char *user, int64_t created,
			      int64_t expires);
enum store_rc sqr_session_user(struct store *st, const char *id, int64_t now,
			       struct store_user *out);
enum store_rc sqr_session_delete(struct store *st, const char *id, int64_t now);

/* The SQLite backend's alert ops (store_sqlite_alert.c). */
enum store_rc sqa_outbox_get(struct store *st, int64_t id,
			     struct outbox_item *out, int64_t *created_at);
enum store_rc sqa_alert_ack(struct store *st, int64_t outbox_id, const char *by,
			    int64_t at, char **by_out, int64_t *at_out);
enum store_rc sqa_requester_alerts(struct store *st, const char *requester,
				   int64_t exclude_survey, int64_t *count,
				   int64_t *last_at);
enum store_rc sqa_outbox_stats(struct store *st,
			       struct store_outbox_stats *out);
enum store_rc sqa_digest_last(struct store *st, const char *team,
			      int64_t *last);
enum store_rc sqa_digest_mark(struct store *st, const char *team, int64_t old,
			      int64_t now);
enum store_rc sqa_digest_stats(struct store *st, const char *team,
			       int64_t since, int64_t until,
			       struct store_digest_stats *out);

#endif
