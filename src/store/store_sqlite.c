/* SPDX-License-Identifier: BSD-2-Clause */
/* The SQLite backend of the response store.
 *
 * WAL so the listener's readers never block the milter's writer; every
 * write transaction is BEGIN IMMEDIATE so a writer waits (busy_timeout) for
 * the lock up front instead of failing on a stale snapshot half-way.
 * All data goes through bound parameters of statements prepared once per
 * connection; no SQL text is ever assembled from data. Timestamps are unix
 * seconds in INTEGER columns so reports can group with plain arithmetic. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "store.h"
#include "store_backend.h"
#include "store_campaign_backend.h"

#define SQ_BUSY_TIMEOUT_MS 5000
/* The WAL is cut back to this size whenever SQLite resets it (after a
 * checkpoint that got to its end: hitlog.c asks for such checkpoints). */
#define SQ_JOURNAL_SIZE_LIMIT                                                  \
	33554432 /* 32 MiB; a literal: it goes into SQL                        \
		  */

/* Migrations, in order: entry i takes the schema from version i to i + 1.
 * Never edit a shipped entry; append a new one. */
/* SQL reads better laid out as SQL. */
/* clang-format off */
static const char *const sq_migrations[] = {
	/* 1: initial schema */
	"CREATE TABLE surveys ("
	" id INTEGER PRIMARY KEY,"
	" sent_at INTEGER NOT NULL,"
	" status INTEGER NOT NULL DEFAULT 0,"
	" queue_id TEXT,"
	" message_id TEXT,"
	" rule TEXT,"
	" ticket TEXT,"
	" team TEXT,"
	" agent TEXT,"
	" requester TEXT,"
	" scale TEXT,"
	" language TEXT,"
	" subject TEXT);"
	"CREATE INDEX surveys_requester_sent ON surveys (requester, sent_at);"
	"CREATE INDEX surveys_message_id ON surveys (message_id);"
	"CREATE INDEX surveys_team_sent ON surveys (team, sent_at);"
	"CREATE INDEX surveys_sent ON surveys (sent_at);"

	/* Raw link fetches, kept apart from ratings: scanners fetch every
	 * link, so a hit is evidence, never a vote. */
	"CREATE TABLE hits ("
	" id INTEGER PRIMARY KEY,"
	" survey_id INTEGER NOT NULL REFERENCES surveys (id)"
	"  ON DELETE CASCADE,"
	" at INTEGER NOT NULL,"
	" level INTEGER NOT NULL,"
	" machine INTEGER NOT NULL DEFAULT 0,"
	" ip TEXT,"
	" user_agent TEXT);"
	"CREATE INDEX hits_survey_at ON hits (survey_id, at);"

	/* History is kept; the partial unique index makes "at most one
	 * current rating per survey" a database fact, not a convention. */
	"CREATE TABLE ratings ("
	" id INTEGER PRIMARY KEY,"
	" survey_id INTEGER NOT NULL REFERENCES surveys (id)"
	"  ON DELETE CASCADE,"
	" at INTEGER NOT NULL,"
	" level INTEGER NOT NULL,"
	" source INTEGER NOT NULL DEFAULT 0,"
	" current INTEGER NOT NULL DEFAULT 1 CHECK (current IN (0, 1)),"
	" why TEXT,"
	" better TEXT);"
	"CREATE UNIQUE INDEX ratings_one_current ON ratings (survey_id)"
	" WHERE current = 1;"
	"CREATE INDEX ratings_survey_at ON ratings (survey_id, at);"
	"CREATE INDEX ratings_at ON ratings (at);"

	"CREATE TABLE outbox ("
	" id INTEGER PRIMARY KEY,"
	" kind TEXT NOT NULL,"
	" survey_id INTEGER REFERENCES surveys (id) ON DELETE CASCADE,"
	" rating_id INTEGER REFERENCES ratings (id) ON DELETE SET NULL,"
	" due INTEGER NOT NULL,"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" state INTEGER NOT NULL DEFAULT 0,"
	" owner TEXT,"
	" lease_until INTEGER,"
	" last_error TEXT,"
	" created_at INTEGER NOT NULL,"
	" sent_at INTEGER);"
	"CREATE INDEX outbox_state_due ON outbox (state, due);"
	"CREATE INDEX outbox_survey ON outbox (survey_id);"
	"CREATE INDEX outbox_rating ON outbox (rating_id);"

	/* What reports count: the rating that counts, with its survey. */
	"CREATE VIEW current_ratings AS"
	" SELECT r.id AS rating_id, r.survey_id, r.at, r.level, r.source,"
	"  r.why, r.better, s.sent_at, s.rule, s.ticket, s.team, s.agent,"
	"  s.requester, s.scale, s.language"
	" FROM ratings r JOIN surveys s ON s.id = r.survey_id"
	" WHERE r.current = 1;",

	/* 2: replies by mail, alert acknowledgements, dashboard users and
	 * sessions, digest schedule. */
	/* Every reply mail is kept, matched or not: a reply is never lost,
	 * and an unmatched one can be looked at by hand. */
	"CREATE TABLE replies ("
	" id INTEGER PRIMARY KEY,"
	" received_at INTEGER NOT NULL,"
	" survey_id INTEGER REFERENCES surveys (id) ON DELETE SET NULL,"
	" rating_id INTEGER REFERENCES ratings (id) ON DELETE SET NULL,"
	" status TEXT NOT NULL," /* rated | comment | unmatched | auto */
	" sender TEXT,"
	" message_id TEXT,"
	" subject TEXT,"
	" body TEXT);"
	"CREATE INDEX replies_survey ON replies (survey_id);"
	"CREATE INDEX replies_status ON replies (status, received_at);"
	"CREATE INDEX replies_message_id ON replies (message_id);"

	"CREATE TABLE alert_acks ("
	" outbox_id INTEGER PRIMARY KEY REFERENCES outbox (id)"
	"  ON DELETE CASCADE,"
	" acked_by TEXT NOT NULL,"
	" acked_at INTEGER NOT NULL);"

	"CREATE TABLE users ("
	" name TEXT PRIMARY KEY,"
	" pwhash TEXT NOT NULL,"
	" is_admin INTEGER NOT NULL DEFAULT 0,"
	" teams TEXT NOT NULL DEFAULT '',"
	" failures INTEGER NOT NULL DEFAULT 0,"
	" locked_until INTEGER NOT NULL DEFAULT 0,"
	" created_at INTEGER NOT NULL);"

	"CREATE TABLE sessions ("
	" id TEXT PRIMARY KEY,"
	" user_name TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,"
	" created_at INTEGER NOT NULL,"
	" expires_at INTEGER NOT NULL);"

	"CREATE TABLE digests ("
	" team TEXT PRIMARY KEY,"
	" last_sent INTEGER NOT NULL);",
	/* 3: the reply text without quotes and signature next to the raw
	 * mail, for replies that made no rating (ingest.c). */
	"ALTER TABLE replies ADD COLUMN comment TEXT;",
	/* 4: reports count surveys per team, agent or rule and period: a
	 * covering index spares a table lookup per survey (tests/bench/
	 * report: 5 s -> 0.6 s per grouping on 10^6 surveys). It starts
	 * with (team, sent_at), so it replaces that index. */
	"CREATE INDEX surveys_report ON surveys"
	" (team, sent_at, agent, rule, status);"
	"DROP INDEX surveys_team_sent;",
	/* 5: the dashboard asks for all teams over a recent window
	 * (sent_at >= ?): a covering index by sent_at lets the level and
	 * scanner-hit figures start from the recent surveys and look their
	 * ratings and hits up by survey, instead of scanning every rating
	 * and hit (tests/bench/report, 10^6 surveys: overview p99 3.5 s). */
	"CREATE INDEX surveys_sent_cover ON surveys"
	" (sent_at, team, agent, rule, scale, status);",
	/* 6: where a reply came in (lmtp, ingest, imap, milter) and how it
	 * found its survey (address, in-reply-to, ref, link), for
	 * mailmoodctl show. */
	"ALTER TABLE replies ADD COLUMN source TEXT;"
	"ALTER TABLE replies ADD COLUMN matched_by TEXT;",
	/* 7: relationship NPS campaigns (campaign.c). A recipient's
	 * address is cleared after the answer of an anonymous campaign;
	 * campaign_contacts keeps when an address last got a campaign mail
	 * (the quiet period) without tying it to a round or an answer. */
	"CREATE TABLE campaign_rounds ("
	" id INTEGER PRIMARY KEY,"
	" campaign TEXT NOT NULL,"
	" started_at INTEGER NOT NULL,"
	" anonymous INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX campaign_rounds_name ON campaign_rounds"
	" (campaign, started_at);"
	"CREATE TABLE campaign_recipients ("
	" id INTEGER PRIMARY KEY,"
	" round_id INTEGER NOT NULL REFERENCES campaign_rounds (id)"
	"  ON DELETE CASCADE,"
	" team TEXT,"
	" language TEXT,"
	" address TEXT,"
	" outbox_id INTEGER REFERENCES outbox (id) ON DELETE SET NULL,"
	" sent_at INTEGER NOT NULL,"
	" answered_at INTEGER);"
	"CREATE INDEX campaign_recipients_round ON campaign_recipients"
	" (round_id, team);"
	"CREATE INDEX campaign_recipients_outbox ON campaign_recipients"
	" (outbox_id);"
	"CREATE TABLE campaign_answers ("
	" id INTEGER PRIMARY KEY,"
	" recipient_id INTEGER NOT NULL REFERENCES campaign_recipients (id)"
	"  ON DELETE CASCADE,"
	" at INTEGER NOT NULL,"
	" level INTEGER NOT NULL,"
	" source INTEGER NOT NULL DEFAULT 0,"
	" current INTEGER NOT NULL DEFAULT 1 CHECK (current IN (0, 1)),"
	" why TEXT,"
	" better TEXT,"
	" alert_outbox_id INTEGER REFERENCES outbox (id) ON DELETE SET NULL);"
	"CREATE UNIQUE INDEX campaign_answers_one_current ON campaign_answers"
	" (recipient_id) WHERE current = 1;"
	"CREATE TABLE campaign_contacts ("
	" address TEXT PRIMARY KEY,"
	" last_sent INTEGER NOT NULL);"
	"CREATE TABLE campaign_unsubscribes ("
	" address TEXT PRIMARY KEY,"
	" at INTEGER NOT NULL);",
	/* 8: IT rates its customers: an agent's rating of how the customer
	 * helped solve a closed ticket (history kept as for ratings), and
	 * the daily digest per rater and local date, claimed with a lease
	 * so it goes once even across restarts and processes. */
	"CREATE TABLE customer_ratings ("
	" id INTEGER PRIMARY KEY,"
	" survey_id INTEGER NOT NULL REFERENCES surveys (id)"
	"  ON DELETE CASCADE,"
	" rater TEXT NOT NULL,"
	" level INTEGER NOT NULL,"
	" at INTEGER NOT NULL,"
	" current INTEGER NOT NULL DEFAULT 1 CHECK (current IN (0, 1)));"
	"CREATE UNIQUE INDEX customer_ratings_one_current"
	" ON customer_ratings (survey_id) WHERE current = 1;"
	"CREATE INDEX customer_ratings_survey ON customer_ratings (survey_id);"
	"CREATE TABLE customer_digests ("
	" rater TEXT NOT NULL,"
	" day TEXT NOT NULL,"
	" state INTEGER NOT NULL DEFAULT 0,"
	" lease_until INTEGER NOT NULL DEFAULT 0,"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" sent_at INTEGER,"
	" last_error TEXT,"
	" PRIMARY KEY (rater, day));",
	/* 9: campaign link fetches, kept apart from answers like a survey's
	 * hits: the evidence the burst classifier reads (hitlog.c). */
	"CREATE TABLE campaign_hits ("
	" id INTEGER PRIMARY KEY,"
	" recipient_id INTEGER NOT NULL REFERENCES campaign_recipients (id)"
	"  ON DELETE CASCADE,"
	" at INTEGER NOT NULL,"
	" level INTEGER NOT NULL,"
	" machine INTEGER NOT NULL DEFAULT 0,"
	" ip TEXT,"
	" user_agent TEXT);"
	"CREATE INDEX campaign_hits_recipient_at ON campaign_hits"
	" (recipient_id, at);",
};
/* clang-format on */

#define SQ_LATEST ((int)(sizeof(sq_migrations) / sizeof(sq_migrations[0])))

#define SURVEY_COLS                                                            \
	"id, sent_at, status, queue_id, message_id, rule, ticket, team, "      \
	"agent, requester, scale, language, subject"
#define HIT_COLS "id, survey_id, at, level, machine, ip, user_agent"
#define RATING_COLS "id, survey_id, at, level, source, current, why, better"
#define OUTBOX_COLS                                                            \
	"id, kind, coalesce(survey_id, 0), coalesce(rating_id, 0), due, "      \
	"attempts, state, last_error"

enum sq_id {
	SQ_USER_VERSION,
	SQ_PING,
	SQ_SURVEY_INSERT,
	SQ_SURVEY_GET,
	SQ_SURVEY_EXISTS,
	SQ_SURVEY_BY_MSGID,
	SQ_SURVEY_RECENT,
	SQ_HIT_INSERT,
	SQ_HIT_LIST,
	SQ_HIT_MARK,
	SQ_HIT_SPANS,
	SQ_HIT_NEWEST,
	SQ_RATING_UNCURRENT,
	SQ_RATING_INSERT,
	SQ_RATING_COMMENT,
	SQ_RATING_CURRENT,
	SQ_RATING_LIST,
	SQ_OUTBOX_INSERT,
	SQ_OUTBOX_CLAIM,
	SQ_OUTBOX_DONE,
	SQ_OUTBOX_RETRY,
	SQ_OUTBOX_FAILED,
	SQ_OUTBOX_CANCEL,
	SQ_OUTBOX_LIST,
	SQ_REPLY_INSERT,
	SQ_REPLY_GET,
	SQ_REPLY_BY_MSGID,
	SQ_REPLY_LIST,
	SQ_COUNT
};

static const char *const sq_sql[SQ_COUNT] = {
    [SQ_USER_VERSION] = "PRAGMA user_version",
    [SQ_PING] = "SELECT count(*) FROM surveys WHERE id = 0",
    [SQ_SURVEY_INSERT] =
	"INSERT INTO surveys (sent_at, status, queue_id, message_id, "
	"rule, ticket, team, agent, requester, scale, language, "
	"subject) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
	"?11, ?12)",
    [SQ_SURVEY_GET] = "SELECT " SURVEY_COLS " FROM surveys WHERE id = ?1",
    [SQ_SURVEY_EXISTS] = "SELECT 1 FROM surveys WHERE id = ?1",
    /* One closure mail to several recipients gives several surveys with
     * the same Message-ID; the newest is the best guess we have. */
    [SQ_SURVEY_BY_MSGID] = "SELECT id FROM surveys WHERE message_id = ?1 "
			   "ORDER BY id DESC LIMIT 1",
    [SQ_SURVEY_RECENT] =
	"SELECT id FROM surveys WHERE requester = ?1 AND sent_at >= ?2 "
	"AND status = " STORE_SQL_SURVEY_SENT " ORDER BY sent_at DESC, id DESC "
	"LIMIT 1",
    [SQ_HIT_INSERT] = "INSERT INTO hits (survey_id, at, level, machine, "
		      "ip, user_agent) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [SQ_HIT_LIST] = "SELECT " HIT_COLS " FROM hits WHERE survey_id = ?1 "
		    "AND at >= ?2 ORDER BY at, id",
    [SQ_HIT_MARK] = "UPDATE hits SET machine = 1 WHERE survey_id = ?1 "
		    "AND at >= ?2",
    [SQ_HIT_SPANS] = "SELECT level, min(at), max(at) FROM hits WHERE "
		     "survey_id = ?1 AND at >= ?2 GROUP BY level",
    [SQ_HIT_NEWEST] = "SELECT coalesce(max(id), 0) FROM hits",
    [SQ_RATING_UNCURRENT] = "UPDATE ratings SET current = 0 WHERE "
			    "survey_id = ?1 AND current = 1",
    [SQ_RATING_INSERT] =
	"INSERT INTO ratings (survey_id, at, level, source, current, "
	"why, better) VALUES (?1, ?2, ?3, ?4, 1, ?5, ?6)",
    /* NULL keeps a field: the form may post "why?" and "better" apart. */
    [SQ_RATING_COMMENT] = "UPDATE ratings SET why = coalesce(?2, why), "
			  "better = coalesce(?3, better) WHERE id = ?1",
    [SQ_RATING_CURRENT] = "SELECT " RATING_COLS " FROM ratings WHERE "
			  "survey_id = ?1 AND current = 1",
    [SQ_RATING_LIST] = "SELECT " RATING_COLS " FROM ratings WHERE "
		       "survey_id = ?1 ORDER BY at, id",
    [SQ_OUTBOX_INSERT] = "INSERT INTO outbox (kind, survey_id, rating_id, due, "
			 "attempts, state, created_at) VALUES (?1, ?2, ?3, ?4, "
			 "0, " STORE_SQL_OUTBOX_PENDING ", ?5)",
    /* One statement inside BEGIN IMMEDIATE: the ids are picked and
     * marked under the write lock, so no other process sees them as
     * free in between. */
    [SQ_OUTBOX_CLAIM] =
	"UPDATE outbox SET state = " STORE_SQL_OUTBOX_SENDING ", owner = ?1, "
	"lease_until = ?2 + ?3, attempts = attempts + 1 WHERE id IN (SELECT "
	"id FROM outbox WHERE (state = " STORE_SQL_OUTBOX_PENDING " AND "
	"due <= ?2) OR (state = " STORE_SQL_OUTBOX_SENDING " AND "
	"lease_until <= ?2) ORDER BY due, id LIMIT ?4) "
	"RETURNING " OUTBOX_COLS,
    [SQ_OUTBOX_DONE] =
	"UPDATE outbox SET state = " STORE_SQL_OUTBOX_SENT
	", sent_at = ?3, lease_until = NULL, last_error = NULL "
	"WHERE id = ?1 AND owner = ?2 AND state = " STORE_SQL_OUTBOX_SENDING,
    [SQ_OUTBOX_RETRY] = "UPDATE outbox SET state = " STORE_SQL_OUTBOX_PENDING
			", due = ?3, last_error = ?4, owner = NULL, "
			"lease_until = NULL WHERE id = ?1 AND owner = ?2 AND "
			"state = " STORE_SQL_OUTBOX_SENDING,
    [SQ_OUTBOX_FAILED] = "UPDATE outbox SET state = " STORE_SQL_OUTBOX_FAILED
			 ", last_error = ?4, lease_until = NULL WHERE id = ?1 "
			 "AND owner = ?2 AND state = " STORE_SQL_OUTBOX_SENDING,
    [SQ_OUTBOX_CANCEL] = "UPDATE outbox SET state = " STORE_SQL_OUTBOX_CANCELLED
			 " WHERE survey_id IS ?1 AND kind = ?2 AND state "
			 "= " STORE_SQL_OUTBOX_PENDING,
    [SQ_OUTBOX_LIST] = "SELECT " OUTBOX_COLS " FROM outbox WHERE "
		       "survey_id IS ?1 ORDER BY id",
    [SQ_REPLY_INSERT] =
	"INSERT INTO replies (received_at, survey_id, rating_id, status, "
	"sender, message_id, subject, body, comment, source, matched_by) "
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    [SQ_REPLY_GET] = "SELECT id, received_at, coalesce(survey_id, 0), "
		     "coalesce(rating_id, 0), status, sender, message_id, "
		     "subject, body, comment, source, matched_by, -1 "
		     "FROM replies WHERE id = ?1",
    [SQ_REPLY_LIST] =
	"SELECT p.id, p.received_at, coalesce(p.survey_id, 0), "
	"coalesce(p.rating_id, 0), p.status, p.sender, p.message_id, "
	"p.subject, NULL, p.comment, p.source, p.matched_by, "
	"CASE WHEN p.status = '" STORE_SQL_REPLY_RATED
	"' THEN coalesce(r.level, -1) ELSE -1 END "
	"FROM replies p LEFT JOIN ratings r ON r.id = p.rating_id "
	"WHERE p.survey_id = ?1 ORDER BY p.received_at, p.id",
    [SQ_REPLY_BY_MSGID] = "SELECT id FROM replies WHERE message_id = ?1 "
			  "ORDER BY id DESC LIMIT 1",
};

/* Write transactions of one process on one database file, serialized by
 * a mutex (keyed by the file's real path) taken in tx_begin and released
 * in tx_commit/tx_rollback: a thread waiting for another thread of this
 * process sleeps on the mutex and wakes when the lock is free, instead of
 * polling in sq_busy_handler. Other processes (the milter, a second
 * daemon) are still waited for by the busy handler. The wait is bounded
 * by the connection's busy timeout, as SQLite's own wait is. */
struct sq_wlock {
	struct sq_wlock *next;
	char *key;
	unsigned refs;
	pthread_mutex_t mu;
	atomic_int waiting; /* threads blocked on mu (store_sqlite_wanted) */
};

static pthread_mutex_t sq_wlocks_mu = PTHREAD_MUTEX_INITIALIZER;
static struct sq_wlock *sq_wlocks;

struct sq {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *stmt[SQ_COUNT];
	int busy_ms;	     /* give up waiting for a lock after this */
	int64_t busy_t0_ms;  /* when the current wait began */
	struct sq_wlock *wl; /* NULL: in-memory, or out of memory */
	int wl_held;
	/* store_set_checkpoint_hook */
	int ckpt_pages;
	store_checkpoint_fn ckpt_fn;
	void *ckpt_arg;
	enum store_rc fail_rc; /* what the last sq_fail returned */
};

#define SQ(st) ((struct sq *)(st)->be)
#define STORE_SQ_STR_(x) #x
#define STORE_SQ_STR(x) STORE_SQ_STR_(x)

static int sq_busy_handler(void *arg, int count);

/* BUSY and LOCKED both mean "someone else holds it": the caller may retry.
 * Everything else is broken and reported with SQLite's own words. */
static enum store_rc sq_fail(struct store *st, int rc, const char *what)
{
	struct sq *q = SQ(st);

	/* Some errors (full disk, I/O) end the transaction inside SQLite;
	 * the caller's commit must not pretend the earlier work survived. */
	if (st->depth > 0 && sqlite3_get_autocommit(q->db))
		st->doomed = 1;
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		store_set_err(st, "%s: database is locked (%s)", what,
			      sqlite3_errmsg(q->db));
		return q->fail_rc = STORE_BUSY;
	case SQLITE_NOMEM:
		store_set_err(st, "%s: out of memory", what);
		return q->fail_rc = STORE_ERROR;
	default:
		store_set_err(st, "%s: %s", what, sqlite3_errmsg(q->db));
		return q->fail_rc = STORE_ERROR;
	}
}

static sqlite3_stmt *sq_stmt(struct store *st, enum sq_id id)
{
	struct sq *q = SQ(st);
	int rc;

	if (!q->stmt[id] &&
	    (rc = sqlite3_prepare_v3(q->db, sq_sql[id], -1,
				     SQLITE_PREPARE_PERSISTENT, &q->stmt[id],
				     NULL)) != SQLITE_OK) {
		sq_fail(st, rc, "prepare");
		sqlite3_finalize(q->stmt[id]);
		q->stmt[id] = NULL;
		return NULL;
	}
	return q->stmt[id];
}

static void sq_done(sqlite3_stmt *s)
{
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

/* Binds text or SQL NULL. SQLITE_STATIC is safe: every statement is
 * stepped and reset before the function that bound it returns. */
void store_sqlite_bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, i);
}

sqlite3_stmt *store_sqlite_prepare(struct store *st, const char *sql)
{
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(store_sqlite_db(st), sql, -1, &q, NULL);

	if (rc != SQLITE_OK) {
		store_sqlite_fail(st, rc, "prepare");
		sqlite3_finalize(q);
		return NULL;
	}
	return q;
}

enum store_rc store_sqlite_fail_rc(struct store *st)
{
	return SQ(st)->fail_rc;
}

/* 0 stands for "none" in the API; NULL in the database, so foreign keys
 * hold. */
static void sq_id_or_null(sqlite3_stmt *s, int i, int64_t v)
{
	if (v)
		sqlite3_bind_int64(s, i, v);
	else
		sqlite3_bind_null(s, i);
}

int store_sqlite_col_text(sqlite3_stmt *s, int i, char **out)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	*out = NULL;
	if (!t)
		return sqlite3_column_type(s, i) == SQLITE_NULL ? 0 : -1;
	return (*out = strdup((const char *)t)) ? 0 : -1;
}

/* Runs a statement that returns no rows. */
static enum store_rc sq_exec(struct store *st, sqlite3_stmt *s,
			     const char *what)
{
	int rc = sqlite3_step(s);
	enum store_rc ret = STORE_OK;

	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		ret = sq_fail(st, rc, what);
	sq_done(s);
	return ret;
}

/* Runs a one-row, one-integer query: OK, NOTFOUND, or a failure. */
static enum store_rc sq_one_int(struct store *st, sqlite3_stmt *s, int64_t *v,
				const char *what)
{
	int rc = sqlite3_step(s);
	enum store_rc ret;

	if (rc == SQLITE_ROW) {
		*v = sqlite3_column_int64(s, 0);
		ret = STORE_OK;
	} else if (rc == SQLITE_DONE) {
		ret = STORE_NOTFOUND;
	} else {
		ret = sq_fail(st, rc, what);
	}
	sq_done(s);
	return ret;
}

static enum store_rc sq_plain(struct store *st, const char *sql,
			      const char *what)
{
	int rc = sqlite3_exec(SQ(st)->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? STORE_OK : sq_fail(st, rc, what);
}

static int sq_user_version(struct store *st)
{
	sqlite3_stmt *s = sq_stmt(st, SQ_USER_VERSION);
	int64_t v = -1;

	if (!s || sq_one_int(st, s, &v, "schema version") != STORE_OK)
		return -1;
	return (int)v;
}

static enum store_rc sq_newer(struct store *st, int v)
{
	store_set_err(st,
		      "schema version %d is newer than this build knows "
		      "(%d): upgrade mailmood or use a matching store",
		      v, SQ_LATEST);
	return STORE_SCHEMA;
}

/* Each migration runs in its own IMMEDIATE transaction and re-reads the
 * version under the lock, so two programs starting at once on a fresh
 * store apply each step exactly once. */
static enum store_rc sq_migrate(struct store *st)
{
	enum store_rc rc;
	char pragma[64];
	int v;

	for (;;) {
		if ((v = sq_user_version(st)) < 0)
			return SQ(st)->fail_rc;
		if (v > SQ_LATEST)
			return sq_newer(st, v);
		if (v == SQ_LATEST)
			return STORE_OK;
		if ((rc = sq_plain(st, "BEGIN IMMEDIATE", "migrate")) !=
		    STORE_OK)
			return rc;
		if ((v = sq_user_version(st)) < 0) {
			rc = SQ(st)->fail_rc;
			goto rollback;
		}
		if (v >= SQ_LATEST) {
			sq_plain(st, "ROLLBACK", "migrate");
			continue;
		}
		/* The version is a constant of this build, not data. */
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d",
			 v + 1);
		if ((rc = sq_plain(st, sq_migrations[v], "migrate")) !=
			STORE_OK ||
		    (rc = sq_plain(st, pragma, "migrate")) != STORE_OK ||
		    (rc = sq_plain(st, "COMMIT", "migrate")) != STORE_OK)
			goto rollback;
	}
rollback:
	/* Keep the message of the failure, not of the rollback. */
	if (!sqlite3_get_autocommit(SQ(st)->db))
		sqlite3_exec(SQ(st)->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

/* The write mutex of the file at path (opened already, so it exists). */
static struct sq_wlock *sq_wlock_get(const char *path)
{
	struct sq_wlock *l;
	char *key;

	if (!*path || !strcmp(path, ":memory:"))
		return NULL; /* a database of its own */
	key = realpath(path, NULL);
	if (!key && !(key = strdup(path)))
		return NULL;
	pthread_mutex_lock(&sq_wlocks_mu);
	for (l = sq_wlocks; l; l = l->next)
		if (!strcmp(l->key, key))
			break;
	if (l) {
		l->refs++;
		free(key);
	} else if ((l = calloc(1, sizeof(*l)))) {
		l->key = key;
		l->refs = 1;
		pthread_mutex_init(&l->mu, NULL);
		atomic_init(&l->waiting, 0);
		l->next = sq_wlocks;
		sq_wlocks = l;
	} else {
		free(key);
	}
	pthread_mutex_unlock(&sq_wlocks_mu);
	return l;
}

static void sq_wlock_put(struct sq_wlock *l)
{
	if (!l)
		return;
	pthread_mutex_lock(&sq_wlocks_mu);
	if (--l->refs == 0) {
		struct sq_wlock **pp = &sq_wlocks;
		while (*pp != l)
			pp = &(*pp)->next;
		*pp = l->next;
		pthread_mutex_destroy(&l->mu);
		free(l->key);
		free(l);
	}
	pthread_mutex_unlock(&sq_wlocks_mu);
}

/* Takes this process's write mutex of the file, waiting at most the busy
 * timeout; STORE_BUSY when another thread keeps it longer. */
static enum store_rc sq_wlock_take(struct store *st)
{
	struct sq *q = SQ(st);
	struct timespec until;
	int rc;

	if (!q->wl || q->wl_held)
		return STORE_OK;
	rc = pthread_mutex_trylock(&q->wl->mu);
	if (rc == EBUSY && q->busy_ms > 0) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += q->busy_ms / 1000;
		until.tv_nsec += (long)(q->busy_ms % 1000) * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		atomic_fetch_add(&q->wl->waiting, 1);
		rc = pthread_mutex_timedlock(&q->wl->mu, &until);
		atomic_fetch_sub(&q->wl->waiting, 1);
	}
	if (rc != 0) {
		store_set_err(st, "begin: database is locked (by another "
				  "thread of this process)");
		return STORE_BUSY;
	}
	q->wl_held = 1;
	return STORE_OK;
}

static void sq_wlock_release(struct sq *q)
{
	if (q->wl_held) {
		q->wl_held = 0;
		pthread_mutex_unlock(&q->wl->mu);
	}
}

static void sq_close(struct store *st)
{
	struct sq *q = SQ(st);

	if (!q)
		return;
	for (int i = 0; i < SQ_COUNT; i++)
		sqlite3_finalize(q->stmt[i]);
	sqlite3_close(q->db);
	sq_wlock_release(q);
	sq_wlock_put(q->wl);
	free(q->path);
	free(q);
	st->be = NULL;
}

/* Reads back a pragma that answers with one text row. */
static int sq_pragma_is(struct sq *q, const char *sql, const char *want)
{
	sqlite3_stmt *s = NULL;
	int ok = 0;

	if (sqlite3_prepare_v2(q->db, sql, -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
		ok = strcmp((const char *)sqlite3_column_text(s, 0), want) == 0;
	sqlite3_finalize(s);
	return ok;
}

/* The store holds requester addresses, comments and password hashes.
 * SQLite would create it 0644 less the umask, and gives its -wal, -shm and
 * journal files the database file's mode (and, as root, its owner): so the
 * file is made here first, 0640 less the umask, whatever program opens it
 * first. Files left readable by everyone (an older version made them so)
 * lose that. */
static int sq_prepare_files(struct store *st, const char *path)
{
	static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
	char p[4096];
	struct stat sb;
	int fd;

	if (!*path || !strcmp(path, ":memory:"))
		return 0;
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0640);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	if (errno != EEXIST) {
		store_set_err(st, "cannot create: %s", strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", path, suffix[i]);
		/* not root: a file of another user stays as it is */
		if (lstat(p, &sb) == 0 && S_ISREG(sb.st_mode) &&
		    (sb.st_mode & 0007))
			(void)chmod(p, sb.st_mode & 07770);
	}
	return 0;
}

/* A SQLite file belongs to one host, whose programs share one build: it
 * is brought up to date on every open but an inspecting one. */
static enum store_rc sq_open(struct store *st, const char *path, int mode,
			     char *err, size_t errlen)
{
	struct sq *q = calloc(1, sizeof(*q));
	enum store_rc rc = STORE_ERROR;
	int v;

	st->be = q;
	if (q)
		q->fail_rc = STORE_ERROR;
	if (!q || !(q->path = strdup(path))) {
		store_set_err(st, "out of memory");
		goto fail;
	}
	if (sq_prepare_files(st, path) < 0)
		goto fail;
	/* NOMUTEX: a connection is used by one thread at a time (store.h),
	 * so SQLite's per-connection mutex would be pure cost. No URI
	 * parsing: a path is a path. */
	if (sqlite3_open_v2(path, &q->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		store_set_err(st, "%s",
			      q->db ? sqlite3_errmsg(q->db) : "out of memory");
		goto fail;
	}
	sqlite3_extended_result_codes(q->db, 1);
	q->busy_ms = SQ_BUSY_TIMEOUT_MS;
	sqlite3_busy_handler(q->db, sq_busy_handler, q);
	/* Refuse a newer schema before changing anything in the file. */
	if ((v = sq_user_version(st)) < 0)
		goto fail;
	if (v > SQ_LATEST) {
		rc = sq_newer(st, v);
		goto fail;
	}
	/* An in-memory database (tests) answers "memory" and cannot do WAL. */
	if (!sq_pragma_is(q, "PRAGMA journal_mode = WAL", "wal") &&
	    strcmp(path, ":memory:") != 0) {
		store_set_err(st, "cannot switch to WAL: %s",
			      sqlite3_errmsg(q->db));
		goto fail;
	}
	if ((rc = sq_plain(st, "PRAGMA synchronous = NORMAL", "open")) !=
		STORE_OK ||
	    (rc = sq_plain(st,
			   "PRAGMA journal_size_limit = " STORE_SQ_STR(
			       SQ_JOURNAL_SIZE_LIMIT),
			   "open")) != STORE_OK ||
	    (rc = sq_plain(st, "PRAGMA foreign_keys = ON", "open")) != STORE_OK)
		goto fail;
	if (!sq_pragma_is(q, "PRAGMA foreign_keys", "1")) {
		store_set_err(st, "SQLite built without foreign keys");
		rc = STORE_ERROR;
		goto fail;
	}
	if (mode != STORE_OPEN_INSPECT && (rc = sq_migrate(st)) != STORE_OK)
		goto fail;
	q->wl = sq_wlock_get(path);
	return STORE_OK;

fail:
	if (err && errlen)
		snprintf(err, errlen, "store %s: %s", path, st->err);
	sq_close(st);
	return rc == STORE_OK ? STORE_ERROR : rc;
}

static int sq_schema_version(struct store *st)
{
	return sq_user_version(st);
}

static enum store_rc sq_ping(struct store *st)
{
	sqlite3_stmt *s = sq_stmt(st, SQ_PING);
	int64_t v;

	if (!s)
		return store_sqlite_fail_rc(st);
	return sq_one_int(st, s, &v, "ping") == STORE_ERROR ? STORE_ERROR
							    : STORE_OK;
}

/* SQLite's own busy_timeout sleeps in steps growing to 100 ms: with a few
 * threads writing short transactions, a waiter sleeps long after the lock
 * is free (measured: p99 120 ms for rating POSTs with two HTTP threads).
 * Poll in short steps instead, growing only to 2 ms. */
static int sq_busy_handler(void *arg, int count)
{
	struct sq *q = arg;
	struct timespec nap;
	int64_t now = clock_mono_ms();

	if (count == 0)
		q->busy_t0_ms = now;
	if (now - q->busy_t0_ms >= q->busy_ms)
		return 0;
	nap.tv_sec = 0;
	nap.tv_nsec = count < 20 ? 50000 : count < 100 ? 500000 : 2000000;
	nanosleep(&nap, NULL);
	return 1;
}

static enum store_rc sq_set_busy_timeout(struct store *st, int ms)
{
	struct sq *q = SQ(st);
	int rc;

	q->busy_ms = ms < 0 ? 0 : ms;
	rc = sqlite3_busy_handler(q->db, sq_busy_handler, q);
	return rc == SQLITE_OK ? STORE_OK : sq_fail(st, rc, "busy timeout");
}

/* The write mutex is held from here to the end of the transaction: a
 * failed commit is always followed by tx_rollback (store.c), which lets
 * it go. Whoever holds it never waits for another thread of the process
 * that may want it (hitlog_sync is called outside transactions). */
static enum store_rc sq_begin(struct store *st)
{
	enum store_rc rc;

	if ((rc = sq_wlock_take(st)) != STORE_OK)
		return rc;
	if ((rc = sq_plain(st, "BEGIN IMMEDIATE", "begin")) != STORE_OK)
		sq_wlock_release(SQ(st));
	return rc;
}

static enum store_rc sq_commit(struct store *st)
{
	enum store_rc rc;

	if (sqlite3_get_autocommit(SQ(st)->db)) {
		store_set_err(st, "commit: the transaction was rolled back "
				  "by an earlier error");
		return STORE_ERROR;
	}
	rc = sq_plain(st, "COMMIT", "commit");
	if (rc == STORE_OK || sqlite3_get_autocommit(SQ(st)->db))
		sq_wlock_release(SQ(st));
	return rc;
}

static enum store_rc sq_rollback(struct store *st)
{
	enum store_rc rc = STORE_OK;

	/* SQLite may already have rolled back (I/O error, full disk). */
	if (!sqlite3_get_autocommit(SQ(st)->db))
		rc = sq_plain(st, "ROLLBACK", "rollback");
	if (sqlite3_get_autocommit(SQ(st)->db))
		sq_wlock_release(SQ(st));
	return rc;
}

static enum store_rc sq_survey_insert(struct store *st, struct survey *s)
{
	sqlite3_stmt *q = sq_stmt(st, SQ_SURVEY_INSERT);
	enum store_rc rc;

	if (!q)
		return store_sqlite_fail_rc(st);
	sqlite3_bind_int64(q, 1, s->sent_at);
	sqlite3_bind_int(q, 2, s->status);
	store_sqlite_bind_text(q, 3, s->queue_id);
	store_sqlite_bind_text(q, 4, s->message_id);
	store_sqlite_bind_text(q, 5, s->rule);
	store_sqlite_bind_text(q, 6, s->ticket);
	store_sqlite_bind_text(q, 7, s->team);
	store_sqlite_bind_text(q, 8, s->agent);
	store_sqlite_bind_text(q, 9, s->requester);
	store_sqlite_bind_text(q, 10, s->scale);
	store_sqlite_bind_text(q, 11, s->language);
	store_sqlite_bind_text(q, 12, s->subject);
	if ((rc = sq_exec(st, q, "survey insert")) == STORE_OK)
		s->id = sqlite3_last_insert_rowid(SQ(st)->db);
	return rc;
}

/* One row by id: fill reads the columns (0, or -1 when out of memory,
 * having freed what it took); STORE_NOTFOUND when there is no row. */
static enum store_rc sq_get_by_id(struct store *st, sqlite3_stmt *q, int64_t id,
				  int (*fill)(sqlite3_stmt *q, void *out),
				  void *out, const char *what)
{
	enum store_rc ret = STORE_OK;
	int rc;

	if (!q)
		return store_sqlite_fail_rc(st);
	sqlite3_bind_int64(q, 1, id);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		if (fill(q, out) < 0) {
			store_set_err(st, "%s: out of memory", what);
			ret = STORE_ERROR;
		}
	} else if (rc == SQLITE_DONE) {
		ret = STORE_NOTFOUND;
	} else {
		ret = sq_fail(st, rc, what);
	}
	sq_done(q);
	return ret;
}

static int sq_survey_fill(sqlite3_stmt *q, void *arg)
{
	struct survey *out = arg;

	out->id = sqlite3_column_int64(q, 0);
	out->sent_at = sqlite3_column_int64(q, 1);
	out->status = sqlite3_column_int(q, 2);
	if (store_sqlite_col_text(q, 3, &out->queue_id) < 0 ||
	    store_sqlite_col_text(q, 4, &out->message_id) < 0 ||
	    store_sqlite_col_text(q, 5, &out->rule) < 0 ||
	    store_sqlite_col_text(q, 6, &out->ticket) < 0 ||
	    store_sqlite_col_text(q, 7, &out->team) < 0 ||
	    store_sqlite_col_text(q, 8, &out->agent) < 0 ||
	    store_sqlite_col_text(q, 9, &out->requester) < 0 ||
	    store_sqlite_col_text(q, 10, &out->scale) < 0 ||
	    store_sqlite_col_text(q, 11, &out->language) < 0 ||
	    store_sqlite_col_text(q, 12, &out->subject) < 0) {
		survey_free(out);
		return -1;
	}
	return 0;
}

static enum store_rc sq_survey_get(struct store *st, int64_t id,
				   struct survey *out)
{
	memset(out, 0, sizeof(*out));
	return sq_get_by_id(st, sq_stmt(st, SQ_SURVEY_GET), id, sq_survey_fill,
			    out, "survey get");
}

static enum store_rc
sq_survey_by_message_id(struct store *st, const char *message_id, int64_t *id)
{
	sqlite3_stmt *q = sq_stmt(st, SQ_SURVEY_BY_MSGID);

	if (!q)
		return store_sqlite_fail_rc(st);
	if (!message_id)
		return STORE_NOTFOUND;
	store_sqlite_bind_text(q, 1, message_id);
	return sq_one_int(st, q, id, "survey by message-id");
}

static enum store_rc sq_survey_recent(struct store *st, const char *requester,
				      int64_t since, int64_t *id)
{
	sqlite3_stmt *q = sq_stmt(st, SQ_SURVEY_RECENT);

	if (!q)
		return store_sqlite_fail_rc(st);
	if (!requester)
		return STORE_NOTFOUND;
	store_sqlite_bind_text(q, 1, requester);
	sqlite3_bind_int64(q, 2, since);
	return sq_one_int(st, q, id, "survey recent");
}

/* A row for a survey that does not exist (purged, or a forged id that got
 * past the token check) is "not found", not a broken store. */
static enum store_rc sq_insert_child(struct store *st, sqlite3_stmt *q,
				     int64_t *id, const char *what)
{
	int rc = sqlite3_step(q);
	enum store_rc ret = STORE_OK;

	if (rc == SQLITE_DONE) {
		*id = sqlite3_last_insert_rowid(SQ(st)->db);
	} else if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) {
		store_set_err(st, "%s: no such survey", what);
		ret = STORE_NOTFOUND;
	} else {
		ret = sq_fail(st, rc, what);
	}
	sq_done(q);
	return ret;
}

static enum store_rc sq_hit_insert(struct store *st, struct hit *h)
{
	sqlite3_stmt *q = sq_stmt(st, SQ_HIT_INSERT);

	if (!q)
		return store_sqlite_fail_rc(st);
	sqlite3_bind_int64(q, 1, h->survey_id);
	sqlite3_bind_int64(q, 2, h->at);
	sqlite3_bind_int(q, 3, h->level);
	sqlite3_bind_int(q, 4, h->machine ? 1 : 0);
	store_sqlite_bind_text(q, 5, h->ip);
	store_sqlite_bind_text(q, 6, h->user_agent);
	return sq_insert_child(st, q, &h->id, "hit insert");
}

/* Grows a result array by one zeroed element; NULL when memory ran out. */
static void *sq_grow(void **arr, size_t *n, size_t *cap, size_t size)
{
	char *p;

	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 8;

		if (!(p = realloc(*arr, ncap * size)))
			return NULL;
		*arr = p;
		*cap = ncap;
	}
	p = (char *)*arr + *n * size;
	memset(p, 0, size);
	(*n)++;
	return p;
}

static int sq_row_hit(sqlite3_stmt *q, struct hit *h)
{
	h->id = sqlite3_column_int64(q, 0);
	h->survey_id = sqlite3_column_int64(q, 1);
	h->at = sqlite3_column_int64(q, 2);
	h->level = sqlite3_column_int(q, 3);
	h->machine = sqlite3_column_int(q, 4);
	if (store_sqlite_col_text(q, 5, &h->ip) < 0 ||
	    store_sqlite_col_text(q, 6, &h->user_agent) < 0)
		return -1;
	return 0;
}

static int sq_row_rating(sqlite3_stmt *q, struct rating *r)
{
	r->id = sqlite3_column_int64(q, 0);
	r->survey_id = sqlite3_column_int64(q, 1);
	r->at = sqlite3_column_int64(q, 2);
	r->level = sqlite3_column_int(q, 3);
	r->source = sqlite3_column_int(q, 4);
	r->current = sqlite3_column_int(q, 5);
	if (store_sqlite_col_text(q, 6, &r->why) < 0 ||
	    store_sqlite_col_text(q, 7, &r->better) < 0)
		return -1;
	return 0;
}

static int sq_row_outbox(sqlite3_stmt *q, struct outbox_item *o)
{
	o->id = sqlite3_column_int64(q, 0);
	o->survey_id = sqlite3_column_int64(q, 2);
	o->rating_id = sqlite3_column_int64(q, 3);
	o->due = sqlite3_column_int64(q, 4);
	o->attempts = sqlite3_column_int(q, 5);
	o->state = sqlite3_column_int(q, 6);
	o->kind =
	    store_outbox_kind_parse((const char *)sqlite3_column_text(q, 1));
	if (store_sqlite_col_text(q, 7, &o->last_error) < 0)
		return -1;
	return 0;
}

/* Steps q to the end, filling an array of elements of size `size` with
 * row(). On failure everything read so far is freed with list_free. */
static enum store_rc sq_list(struct store *st, sqlite3_stmt *q, size_t size,
			     int (*row)(sqlite3_stmt *, void *),
			     void (*list_free)(void *, size_t), void **out,
			     size_t *n, const char *what)
{
	void *arr = NULL, *el;
	size_t cnt = 0, cap = 0;
	enum store_rc ret = STORE_OK;
	int rc;

	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (!(el = sq_grow(&arr, &cnt, &cap, size)) || row(q, el) < 0) {
			store_set_err(st, "%s: out of memory", what);
			ret = STORE_ERROR;
			break;
		}
	}
	if (ret == STORE_OK && rc != SQLITE_DONE)
		ret = sq_fail(st, rc, what);
	sq_done(q);
	if (ret != STORE_OK) {
		list_free(arr, cnt);
		arr = NULL;
		cnt = 0;
	}
	*out = arr;
	*n = cnt;
	return ret;
}

/* Adapters so one list loop serves all three row types. */
static int row_hit(sqlite3_stmt *q, void *p)
{
	return sq_row_hit(q, p);
}
static int row_rating(sqlite3_stmt *q, void *p)
{
	return sq_row_rating(q, p);
}
static int row_outbox(sqlite3_stmt *q, void *p)
{
	return sq_row_outbox(q, p);
}
static void free_hits(void *p, size_t n)
{
	hit_list_free(p, n);
}
static void free_ratings(void *p, size_t n)
{
	rating_list_free(p, n);
}
static void free_outbox(void *p, size_t n)
{
	outbox_list_free(p, n);
}

static enum store_rc sq_hit_list(struct store *st, int64_t survey_id,
				 int64_t since, struct hit **out, size_t *n)
{
	sqlite3_stmt *q = sq_stmt(st, SQ_HIT_LIST);
	void *arr;
	enum store_rc rc;

	*out = NULL;
	*n = 0;
	if (!q)
		return store_sqlite_fail_rc(st);
	sqlite3_bind_int64(q, 1, survey_id);
	sqlite3_bind_int64(q, 2, since);
	rc = sq_list(st, q, sizeof(struct hit), row_hit, free_hits, &arr, n,
		     "hit list");
	*out = arr;
	return rc;
}

static enum store_rc sq_hit_mark_machine(struct store *st, int64_t survey_id,
					 int64_t since)
{
	sqlite3_stmt *q = sq_stmt(st, SQ_HIT_MARK);

	if (!q)
		return store_sqlite_fail_rc(st);
	sqlite3_bind_int64(q, 1, survey_id);
	sqlite3_bind_int64(q, 2, since);
	return sq_exec(st, q, "hit mark machine");
}

static enum store_rc sq_hit_spans(struct store *st, int64_t survey_id,
				  int64_t since, struct hit_span *out,
				  int nlevels)
{
	sqlite3_stmt *q = sq_stmt(st, SQ_HIT_SPANS);
	enum store_rc ret = STORE_OK;
	int rc;

	if (!q)
		return store_sqlite_fail_rc(st);
	sqlite3_bind_int64(q, 1, survey_id);
	sqlite3_bind_int64(q, 2, since);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		int lv = sqlite3_column_int(q, 0);
		if (lv < 0 || lv >= nlevels) {
			store_set_err(st, "hit spans: level %d", lv);
			ret = STORE_ERROR;
			break;
		}
		out[lv].min_at = sqlite3_column_int64(q, 1);
		out[lv].max_at = sqlite3_column_int64(q, 2);
	}
	if (ret == STORE_OK && rc != SQLITE_DONE)
		ret = sq_fail(st, rc, "hit spans");
	sq_done(q);
	return ret;
}

static enum store_rc sq_hit_newest(struct store *st, int64_t *id)
{
	sqlite3_stmt *q = sq_stmt(st, SQ_HIT_NEWEST);
	enum store_rc ret = STORE_OK;
	int rc;

	if (!q)
		return store_sqlite_fail_rc(st);
	if ((rc = sqlite3_step(q)) == SQLITE_ROW)
		*id = sqlite3_column_int64(q, 0);
	else
		ret = sq_fail(st, rc, "hit newest");
	sq_done(q);
	return ret;
}

/* The flip and the insert share one transaction: a reader never sees a
 * survey with no current rating, or two. */
static enum store_rc sq_rating_add(struct store *st, struct rating *r)
{
	sqlite3_stmt *q;
	enum store_rc rc;
	int64_t one;

	if ((rc = store_begin(st)) != STORE_OK)
		return rc;
	/* Checked first so a missing survey is NOTFOUND without dooming a
	 * caller's outer transaction. */
	if (!(q = sq_stmt(st, SQ_SURVEY_EXISTS))) {
		rc = store_sqlite_fail_rc(st);
		goto fail;
	}
	sqlite3_bind_int64(q, 1, r->survey_id);
	if ((rc = sq_one_int(st, q, &one, "rating add")) != STORE_OK) {
		if (rc == STORE_NOTFOUND) {
			store_set_err(st, "rating add: no survey %lld",
				      (long long)r->survey_id);
			store_commit(st);
			return rc;
		}
		goto fail;
	}
	if (!(q = sq_stmt(st, SQ_RATING_UNCURRENT))) {
		rc = store_sqlite_fail_rc(st);
		goto fail;
	}
	sqlite3_bind_int64(q, 1, r->survey_id);
	if ((rc = sq_exec(st, q, "rating add")) != STORE_OK)
		goto fail;
	if (!(q = sq_stmt(st, SQ_RATING_INSERT))) {
		rc = store_sqlite_fail_rc(st);
		goto fail;
	}
	sqlite3_bind_int64(q, 1, r->survey_id);
	sqlite3_bind_int64(q, 2, r->at);
	sqlite3_bind_int(q, 3, r->level);
	sqlite3_bind_int(q, 4, r->source);
	store_sqlite_bind_text(q, 5, r->why);
	store_sqlite_bind_text(q, 6, r->better);
	if ((rc = sq_insert_child(st, q, &r->id, "rating add")) != STORE_OK)
		goto fail;
	if ((rc = store_commit(st)) != STORE_OK)
		return rc;
	r->current = 1;
	return STORE_OK;
fail:
	store_rollback(st);
	return rc;
}

static enum store_rc sq_changed(struct store *st, enum store_rc rc,
				const char *what)
{
	if (rc == STORE_OK && sqlite3_changes(SQ(st)->db) == 0) {
		store_set_err(st, "%s: no such row", what);
		return STORE_NOTFOUND;
	}
	return rc;
}

static enum store_rc sq_rating_comment(struct store *st, int64_t rating_id,
				       const char *why, const char *better)
{
	sqlite3_stmt *q = sq_stmt(st, SQ_RATING_COMMENT);

	if (!q)
		return store_sqlite_fail_rc(st);
	sqlite3_bind_int64(q, 1, rating_id);
	store_sqlite_bind_text(q, 2, why);
	store_sqlite_bind_text(q, 3, better);
	return sq_changed(st, sq_exec(st, q, "rating comment"),
			  "rating comment");
}

static enum store_rc sq_rating_current(struct store *st, int64_t survey_id,
				       struct rating *out)
{
	sqlite3_stmt *q = sq_stmt(st, SQ_RATING_CURRENT);
	enum store_rc ret = STORE_OK;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!q)
		return store_sqlite_fail_rc(st);
	sqlite3_bind_int64(q, 1, survey_id);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		if (sq_row_rating(q, out) < 0) {
			store_set_err(st, "rating current: out of memory");
			rating_free(out);
			ret = STORE_ERROR;
		}
	} else if (rc == SQLITE_DONE) {
		ret = STORE_NOTFOUND;
	} else {
		ret = sq_fail(st, rc, "rating current");
	}
	sq_done(q);
	return ret;
}

static enum store_rc sq_rating_list(struct store *st, int64_t survey_id,
				    struct rating **out, size_t *n)
{
	sqlite3_stmt *q = sq_stmt(st, SQ_RATING_LIST);
	void *arr;
	enum store_rc rc;

	*out = NULL;
	*n = 0;
	if (!q)
		return store_sqlite_fail_rc(st);
	sqlite3_bind_int64(q, 1, survey_id);
	rc = sq_list(st, q, sizeof(struct rating), row_rating, free_ratings,
		     &arr, n, "rating list");
	*out = arr;
	return rc;
}

static enum store_rc sq_outbox_enqueue(struct store *st, struct outbox_item *o)
{
	sqlite3_stmt *q = sq_stmt(st, SQ_OUTBOX_INSERT);
	enum store_rc rc;

	if (!q)
		return store_sqlite_fail_rc(st);
	store_sqlite_bind_text(q, 1, store_outbox_kind_name(o->kind));
	sq_id_or_null(q, 2, o->survey_id);
	sq_id_or_null(q, 3, o->rating_id);
	sqlite3_bind_int64(q, 4, o->due);
	sqlite3_bind_int64(q, 5, (int64_t)time(NULL));
	rc = sq_insert_child(st, q, &o->id, "outbox enqueue");
	if (rc == STORE_OK) {
		o->attempts = 0;
		o->state = OUTBOX_PENDING;
	}
	return rc;
}

static enum store_rc sq_outbox_claim(struct store *st, const char *owner,
				     int64_t now, int lease, size_t max,
				     struct outbox_item **out, size_t *n)
{
	sqlite3_stmt *q;
	void *arr = NULL;
	enum store_rc rc;

	*out = NULL;
	*n = 0;
	if (!owner || !*owner) {
		store_set_err(st, "outbox claim: no owner");
		return STORE_ERROR;
	}
	if (max == 0)
		return STORE_OK;
	if ((rc = store_begin(st)) != STORE_OK)
		return rc;
	if (!(q = sq_stmt(st, SQ_OUTBOX_CLAIM))) {
		store_rollback(st);
		return store_sqlite_fail_rc(st);
	}
	store_sqlite_bind_text(q, 1, owner);
	sqlite3_bind_int64(q, 2, now);
	sqlite3_bind_int64(q, 3, lease);
	sqlite3_bind_int64(q, 4, max > INT32_MAX ? INT32_MAX : (int64_t)max);
	rc = sq_list(st, q, sizeof(struct outbox_item), row_outbox, free_outbox,
		     &arr, n, "outbox claim");
	if (rc != STORE_OK) {
		store_rollback(st);
		return rc;
	}
	if ((rc = store_commit(st)) != STORE_OK) {
		outbox_list_free(arr, *n);
		*n = 0;
		return rc;
	}
	/* RETURNING gives rows in no promised order; callers want the most
	 * overdue first. */
	store_outbox_sort(arr, *n);
	*out = arr;
	return STORE_OK;
}

static enum store_rc sq_outbox_done(struct store *st, int64_t id,
				    const char *owner)
{
	sqlite3_stmt *q = sq_stmt(st, SQ_OUTBOX_DONE);

	if (!q)
		return store_sqlite_fail_rc(st);
	sqlite3_bind_int64(q, 1, id);
	store_sqlite_bind_text(q, 2, owner);
	sqlite3_bind_int64(q, 3, (int64_t)time(NULL));
	return sq_changed(st, sq_exec(st, q, "outbox done"), "outbox done");
}

static enum store_rc sq_outbox_fail(struct store *st, int64_t id,
				    const char *owner, int permanent,
				    int64_t next_due, const char *error)
{
	sqlite3_stmt *q =
	    sq_stmt(st, permanent ? SQ_OUTBOX_FAILED : SQ_OUTBOX_RETRY);

	if (!q)
		return store_sqlite_fail_rc(st);
	sqlite3_bind_int64(q, 1, id);
	store_sqlite_bind_text(q, 2, owner);
	if (!permanent)
		sqlite3_bind_int64(q, 3, next_due);
	store_sqlite_bind_text(q, 4, error);
	return sq_changed(st, sq_exec(st, q, "outbox fail"), "outbox fail");
}

static enum store_rc sq_outbox_cancel(struct store *st, int64_t survey_id,
				      const char *kind)
{
	sqlite3_stmt *q = sq_stmt(st, SQ_OUTBOX_CANCEL);

	if (!q)
		return store_sqlite_fail_rc(st);
	sq_id_or_null(q, 1, survey_id);
	store_sqlite_bind_text(q, 2, kind);
	return sq_exec(st, q, "outbox cancel");
}

static enum store_rc sq_outbox_list(struct store *st, int64_t survey_id,
				    struct outbox_item **out, size_t *n)
{
	sqlite3_stmt *q = sq_stmt(st, SQ_OUTBOX_LIST);
	void *arr;
	enum store_rc rc;

	*out = NULL;
	*n = 0;
	if (!q)
		return store_sqlite_fail_rc(st);
	sq_id_or_null(q, 1, survey_id);
	rc = sq_list(st, q, sizeof(struct outbox_item), row_outbox, free_outbox,
		     &arr, n, "outbox list");
	*out = arr;
	return rc;
}

/* For store_sqlite_report.c and the rest of this backend: NULL when st is
 * not a SQLite store. */
struct sqlite3 *store_sqlite_db(struct store *st)
{
	return st->ops == &store_sqlite_ops ? SQ(st)->db : NULL;
}

static enum store_rc sq_set_cache_kib(struct store *st, int kib)
{
	char sql[64];
	int rc;

	snprintf(sql, sizeof(sql), "PRAGMA cache_size = -%d", kib);
	rc = sqlite3_exec(SQ(st)->db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? STORE_OK : sq_fail(st, rc, "cache size");
}

static int sq_wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	struct sq *q = arg;

	if (pages < q->ckpt_pages)
		return SQLITE_OK;
	if (!q->ckpt_fn(q->ckpt_arg))
		sqlite3_wal_checkpoint(db, name); /* what SQLite's own does */
	return SQLITE_OK;
}

static void sq_set_checkpoint_hook(struct store *st, int pages,
				   store_checkpoint_fn fn, void *arg)
{
	struct sq *q = SQ(st);

	q->ckpt_pages = pages;
	q->ckpt_fn = fn;
	q->ckpt_arg = arg;
	/* replaces the automatic checkpoint (itself a WAL hook) */
	sqlite3_wal_hook(q->db, sq_wal_hook, q);
}

static enum store_rc sq_checkpoint(struct store *st, int restart_frames,
				   int wait_ms)
{
	struct sq *q = SQ(st);
	int nlog = 0, nckpt = 0, busy_ms = q->busy_ms, rc;

	rc = sqlite3_wal_checkpoint_v2(q->db, NULL, SQLITE_CHECKPOINT_PASSIVE,
				       &nlog, &nckpt);
	if (rc != SQLITE_OK)
		return sq_fail(st, rc, "checkpoint");
	if (nlog < restart_frames)
		return STORE_OK;
	/* Little is left to copy now, so the write lock is held briefly. */
	sq_set_busy_timeout(st, wait_ms);
	rc = sqlite3_wal_checkpoint_v2(q->db, NULL, SQLITE_CHECKPOINT_RESTART,
				       &nlog, &nckpt);
	sq_set_busy_timeout(st, busy_ms);
	if (rc != SQLITE_OK)
		return sq_fail(st, rc, "checkpoint restart");
	return STORE_OK;
}

static int sq_lock_wanted(struct store *st)
{
	return store_sqlite_wanted(st);
}

int store_sqlite_wanted(struct store *st)
{
	struct sq *q;

	if (st->ops != &store_sqlite_ops)
		return 0;
	q = SQ(st);
	return q->wl && atomic_load(&q->wl->waiting) > 0;
}

enum store_rc store_sqlite_fail(struct store *st, int rc, const char *what)
{
	return sq_fail(st, rc, what);
}

/* ------------------------------------------------------------ replies */

static enum store_rc sq_reply_add(struct store *st, struct store_reply *r)
{
	sqlite3_stmt *q = sq_stmt(st, SQ_REPLY_INSERT);

	if (!q)
		return store_sqlite_fail_rc(st);
	sqlite3_bind_int64(q, 1, r->received_at);
	sq_id_or_null(q, 2, r->survey_id);
	sq_id_or_null(q, 3, r->rating_id);
	store_sqlite_bind_text(q, 4, store_reply_status_name(r->status));
	store_sqlite_bind_text(q, 5, r->sender);
	store_sqlite_bind_text(q, 6, r->message_id);
	store_sqlite_bind_text(q, 7, r->subject);
	store_sqlite_bind_text(q, 8, r->body);
	store_sqlite_bind_text(q, 9, r->comment);
	store_sqlite_bind_text(q, 10, store_reply_source_name(r->source));
	store_sqlite_bind_text(q, 11, store_reply_match_name(r->matched_by));
	return sq_insert_child(st, q, &r->id, "reply add");
}

static int sq_reply_fill(sqlite3_stmt *q, void *arg)
{
	struct store_reply *out = arg;

	memset(out, 0, sizeof(*out));
	out->id = sqlite3_column_int64(q, 0);
	out->received_at = sqlite3_column_int64(q, 1);
	out->survey_id = sqlite3_column_int64(q, 2);
	out->rating_id = sqlite3_column_int64(q, 3);
	out->status =
	    store_reply_status_parse((const char *)sqlite3_column_text(q, 4));
	out->source =
	    store_reply_source_parse((const char *)sqlite3_column_text(q, 10));
	out->matched_by =
	    store_reply_match_parse((const char *)sqlite3_column_text(q, 11));
	out->level = sqlite3_column_int(q, 12);
	if (store_sqlite_col_text(q, 5, &out->sender) < 0 ||
	    store_sqlite_col_text(q, 6, &out->message_id) < 0 ||
	    store_sqlite_col_text(q, 7, &out->subject) < 0 ||
	    store_sqlite_col_text(q, 8, &out->body) < 0 ||
	    store_sqlite_col_text(q, 9, &out->comment) < 0) {
		store_reply_free(out);
		return -1;
	}
	return 0;
}

static enum store_rc sq_reply_get(struct store *st, int64_t id,
				  struct store_reply *out)
{
	memset(out, 0, sizeof(*out));
	return sq_get_by_id(st, sq_stmt(st, SQ_REPLY_GET), id, sq_reply_fill,
			    out, "reply get");
}

static void free_replies(void *p, size_t n)
{
	store_reply_list_free(p, n);
}

static enum store_rc sq_reply_list(struct store *st, int64_t survey_id,
				   struct store_reply **out, size_t *n)
{
	sqlite3_stmt *q = sq_stmt(st, SQ_REPLY_LIST);
	void *arr;
	enum store_rc rc;

	*out = NULL;
	*n = 0;
	if (!q)
		return store_sqlite_fail_rc(st);
	sqlite3_bind_int64(q, 1, survey_id);
	rc = sq_list(st, q, sizeof(struct store_reply), sq_reply_fill,
		     free_replies, &arr, n, "reply list");
	*out = arr;
	return rc;
}

static enum store_rc sq_reply_by_message_id(struct store *st,
					    const char *message_id, int64_t *id)
{
	sqlite3_stmt *q = sq_stmt(st, SQ_REPLY_BY_MSGID);

	if (!q)
		return store_sqlite_fail_rc(st);
	if (!message_id || !*message_id)
		return STORE_NOTFOUND;
	store_sqlite_bind_text(q, 1, message_id);
	return sq_one_int(st, q, id, "reply by message-id");
}

/* ------------------------------------------------------- copy-store */

/* Statements for whole tables, put together from store_copy.c's constant
 * table and column names; n is what snprintf answered. */
static sqlite3_stmt *sq_prepare_once(struct store *st, const char *sql, int n,
				     size_t size)
{
	sqlite3_stmt *q = NULL;

	int rc;

	if (n < 0 || (size_t)n >= size) {
		store_set_err(st, "copy: statement too long");
		SQ(st)->fail_rc = STORE_ERROR;
		return NULL;
	}
	if ((rc = sqlite3_prepare_v2(SQ(st)->db, sql, -1, &q, NULL)) !=
	    SQLITE_OK) {
		sq_fail(st, rc, "copy");
		sqlite3_finalize(q);
		return NULL;
	}
	return q;
}

static enum store_rc sq_table_rows(struct store *st, const char *table,
				   const char *cols, int ncols,
				   store_row_emit emit, void *arg)
{
	const char *vals[64];
	sqlite3_stmt *q;
	enum store_rc ret = STORE_OK;
	int rc;

	if (ncols > 64) {
		store_set_err(st, "copy %s: too many columns", table);
		return STORE_ERROR;
	}
	char sql[1024];
	int n = snprintf(sql, sizeof(sql), "SELECT %s FROM %s ORDER BY 1", cols,
			 table);

	if (!(q = sq_prepare_once(st, sql, n, sizeof(sql))))
		return store_sqlite_fail_rc(st);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		for (int i = 0; i < ncols; i++)
			vals[i] = (const char *)sqlite3_column_text(q, i);
		if (emit(arg, ncols, vals)) {
			store_set_err(st, "copy %s: stopped", table);
			ret = STORE_ERROR;
			break;
		}
	}
	if (ret == STORE_OK && rc != SQLITE_DONE)
		ret = sq_fail(st, rc, "copy");
	sqlite3_finalize(q);
	return ret;
}

static enum store_rc sq_table_insert(struct store *st, const char *table,
				     const char *cols, int ncols,
				     const char *const *vals)
{
	static const char marks[] = "?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?";
	char sql[1024];
	sqlite3_stmt *q;
	enum store_rc rc;
	int n;

	if (ncols < 1 || (size_t)ncols * 2 > sizeof(marks)) {
		store_set_err(st, "copy %s: too many columns", table);
		return STORE_ERROR;
	}
	/* Prepared per row: copy-store runs once, and a prepare costs about
	 * what the insert does. */
	n = snprintf(sql, sizeof(sql), "INSERT INTO %s (%s) VALUES (%.*s)",
		     table, cols, ncols * 2 - 1, marks);
	if (!(q = sq_prepare_once(st, sql, n, sizeof(sql))))
		return store_sqlite_fail_rc(st);
	/* Text into INTEGER columns: SQLite's type affinity stores them as
	 * integers again. */
	for (int i = 0; i < ncols; i++)
		store_sqlite_bind_text(q, i + 1, vals[i]);
	rc = sq_exec(st, q, "copy");
	sqlite3_finalize(q);
	return rc;
}

static enum store_rc sq_table_count(struct store *st, const char *table,
				    int64_t *n)
{
	char sql[256];
	int len = snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	sqlite3_stmt *q = sq_prepare_once(st, sql, len, sizeof(sql));
	enum store_rc rc;
	int r;

	if (!q)
		return store_sqlite_fail_rc(st);
	if ((r = sqlite3_step(q)) == SQLITE_ROW) {
		*n = sqlite3_column_int64(q, 0);
		rc = STORE_OK;
	} else {
		*n = 0;
		rc = sq_fail(st, r, "count");
	}
	sqlite3_finalize(q);
	return rc;
}

/* INTEGER PRIMARY KEY picks max(id) + 1 by itself. */
static enum store_rc sq_table_loaded(struct store *st, const char *table)
{
	(void)st;
	(void)table;
	return STORE_OK;
}

const struct store_ops store_sqlite_ops = {
    .name = "sqlite",
    .schema_latest = SQ_LATEST,
    .tx_exclusive = 1,
    .open = sq_open,
    .close = sq_close,
    .schema_version = sq_schema_version,
    .ping = sq_ping,
    .set_busy_timeout = sq_set_busy_timeout,
    .tx_begin = sq_begin,
    .tx_commit = sq_commit,
    .tx_rollback = sq_rollback,
    .survey_insert = sq_survey_insert,
    .survey_get = sq_survey_get,
    .survey_by_message_id = sq_survey_by_message_id,
    .survey_recent = sq_survey_recent,
    .hit_insert = sq_hit_insert,
    .hit_list = sq_hit_list,
    .hit_mark_machine = sq_hit_mark_machine,
    .hit_spans = sq_hit_spans,
    .hit_newest = sq_hit_newest,
    .lock_wanted = sq_lock_wanted,
    .set_cache_kib = sq_set_cache_kib,
    .set_checkpoint_hook = sq_set_checkpoint_hook,
    .checkpoint = sq_checkpoint,
    .rating_add = sq_rating_add,
    .rating_comment = sq_rating_comment,
    .rating_current = sq_rating_current,
    .rating_list = sq_rating_list,
    .outbox_enqueue = sq_outbox_enqueue,
    .outbox_claim = sq_outbox_claim,
    .outbox_done = sq_outbox_done,
    .outbox_fail = sq_outbox_fail,
    .outbox_cancel = sq_outbox_cancel,
    .outbox_list = sq_outbox_list,
    .report = sqr_report,
    .rating_rows = sqr_rating_rows,
    .alert_rows = sqr_alert_rows,
    .purge = sqr_purge,
    .user_put = sqr_user_put,
    .user_get = sqr_user_get,
    .user_failed = sqr_user_failed,
    .user_succeeded = sqr_user_succeeded,
    .user_end = sqr_user_end,
    .user_list = sqr_user_list,
    .session_put = sqr_session_put,
    .session_user = sqr_session_user,
    .session_delete = sqr_session_delete,
    .reply_add = sq_reply_add,
    .reply_get = sq_reply_get,
    .reply_by_message_id = sq_reply_by_message_id,
    .reply_list = sq_reply_list,
    .outbox_get = sqa_outbox_get,
    .alert_ack = sqa_alert_ack,
    .requester_alerts = sqa_requester_alerts,
    .outbox_stats = sqa_outbox_stats,
    .digest_last = sqa_digest_last,
    .digest_mark = sqa_digest_mark,
    .digest_stats = sqa_digest_stats,
    .table_rows = sq_table_rows,
    .table_insert = sq_table_insert,
    .table_count = sq_table_count,
    .table_loaded = sq_table_loaded,
    .campaign = &store_sqlite_campaign_ops,
    .customer = &store_sqlite_customer_ops,
};
