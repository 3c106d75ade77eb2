/* SPDX-License-Identifier: BSD-2-Clause */
/* Backend dispatch for the response store, flat transaction nesting, and
 * the *_free helpers (they only free memory, so no backend is involved). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "store_backend.h"
#include "store_campaign.h"

void store_set_err(struct store *st, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(st->err, sizeof(st->err), fmt, ap);
	va_end(ap);
}

static void open_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void open_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int has_prefix(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

/* A dsn is a plain path or "sqlite:PATH" (also "sqlite://PATH", so that
 * "sqlite:///var/lib/x.db" means the absolute path), a PostgreSQL URI
 * ("postgresql://user@host/db", handed to libpq whole) or "pg:" and a
 * keyword conninfo ("pg:host=/run/postgresql dbname=mailmood", what a
 * conninfo_file holds). A URL scheme we do not know is refused rather than
 * taken for a relative file name. */
static const struct store_ops *store_pick(const char *dsn, const char **target,
					  char *err, size_t errlen)
{
	if (!dsn || !*dsn) {
		open_err(err, errlen, "no store configured");
		return NULL;
	}
	if (has_prefix(dsn, "postgresql://") ||
	    has_prefix(dsn, "postgres://")) {
		*target = dsn;
		return &store_pg_ops;
	}
	if (has_prefix(dsn, "pg:")) {
		*target = dsn + strlen("pg:");
		return &store_pg_ops;
	}
	if (has_prefix(dsn, "sqlite://"))
		*target = dsn + strlen("sqlite://");
	else if (has_prefix(dsn, "sqlite:"))
		*target = dsn + strlen("sqlite:");
	else if (strstr(dsn, "://")) {
		open_err(err, errlen, "store %s: unknown store type", dsn);
		return NULL;
	} else
		*target = dsn;
	if (!**target) {
		open_err(err, errlen, "store %s: no file name", dsn);
		return NULL;
	}
	return &store_sqlite_ops;
}

int store_dsn_is_file(const char *dsn)
{
	const char *target;

	return store_pick(dsn, &target, NULL, 0) == &store_sqlite_ops;
}

/* A URI's password never goes into a log line: "user:secret@" shows as
 * "user:*@". A keyword conninfo ("pg:...", a conninfo_file's content) may
 * hold password=, so it shows as just "postgresql". */
void store_dsn_shown(const char *dsn, char *out, size_t outlen)
{
	const char *at, *colon, *auth;
	size_t len;

	if (!has_prefix(dsn, "postgresql://") &&
	    !has_prefix(dsn, "postgres://")) {
		snprintf(out, outlen, "%s",
			 has_prefix(dsn, "pg:") ? "postgresql" : dsn);
		return;
	}
	auth = strstr(dsn, "://") + 3;
	at = strchr(auth, '@');
	colon = strchr(auth, ':');
	/* The query part ("?password=...&sslmode=...") is left out. */
	len = strcspn(dsn, "?");
	if (at && colon && colon < at && !memchr(auth, '/', at - auth))
		snprintf(out, outlen, "%.*s:*%.*s", (int)(colon - dsn), dsn,
			 (int)(len - (size_t)(at - dsn)), at);
	else
		snprintf(out, outlen, "%.*s", (int)len, dsn);
}

static enum store_rc store_open_as(const char *dsn, int mode,
				   struct store **out, char *err, size_t errlen)
{
	const struct store_ops *ops;
	const char *target = NULL;
	struct store *st;
	enum store_rc rc;

	*out = NULL;
	if (!(ops = store_pick(dsn, &target, err, errlen)))
		return STORE_ERROR;
	if (!(st = calloc(1, sizeof(*st)))) {
		open_err(err, errlen, "out of memory");
		return STORE_ERROR;
	}
	st->ops = ops;
	rc = ops->open(st, target, mode, err, errlen);
	if (rc != STORE_OK) {
		free(st);
		return rc;
	}
	*out = st;
	return STORE_OK;
}

enum store_rc store_open(const char *dsn, struct store **out, char *err,
			 size_t errlen)
{
	return store_open_as(dsn, STORE_OPEN_USE, out, err, errlen);
}

enum store_rc store_migrate(const char *dsn, int *from, int *to, char *err,
			    size_t errlen)
{
	struct store *st;
	enum store_rc rc;

	*from = *to = -1;
	/* The version before: a store that cannot even be read is reported
	 * by the migrating open below. */
	if (store_open_as(dsn, STORE_OPEN_INSPECT, &st, NULL, 0) == STORE_OK) {
		*from = store_schema_version(st);
		store_close(st);
	}
	if ((rc = store_open_as(dsn, STORE_OPEN_MIGRATE, &st, err, errlen)) !=
	    STORE_OK)
		return rc;
	*to = store_schema_version(st);
	if (*from < 0)
		*from = 0;
	store_close(st);
	return STORE_OK;
}

void store_close(struct store *st)
{
	if (!st)
		return;
	if (st->depth > 0)
		st->ops->tx_rollback(st);
	st->ops->close(st);
	free(st);
}

int store_schema_version(struct store *st)
{
	return st->ops->schema_version(st);
}

/* Both backends number their migrations alike (test_store checks). */
int store_schema_latest(void)
{
	return store_sqlite_ops.schema_latest;
}

const char *store_errmsg(struct store *st)
{
	if (!st)
		return "no store";
	return st->err[0] ? st->err : "no error";
}

enum store_rc store_ping(struct store *st)
{
	return st->ops->ping(st);
}

enum store_rc store_set_busy_timeout(struct store *st, int ms)
{
	return st->ops->set_busy_timeout(st, ms);
}

enum store_rc store_begin(struct store *st)
{
	enum store_rc rc;

	if (st->depth == 0) {
		if ((rc = st->ops->tx_begin(st)) != STORE_OK)
			return rc;
		st->doomed = 0;
	}
	st->depth++;
	return STORE_OK;
}

/* A commit closes its level whatever it returns, so callers never pair a
 * failed commit with a rollback. An inner rollback dooms the whole
 * transaction: committing the outer level half-done would store the partial
 * work the inner caller meant to drop. */
enum store_rc store_commit(struct store *st)
{
	enum store_rc rc;

	if (st->depth == 0) {
		store_set_err(st, "commit without a transaction");
		return STORE_ERROR;
	}
	if (--st->depth > 0) {
		if (!st->doomed)
			return STORE_OK;
		store_set_err(st, "transaction already rolled back by an "
				  "inner step");
		return STORE_ERROR;
	}
	if (st->doomed) {
		st->doomed = 0;
		st->ops->tx_rollback(st);
		store_set_err(st, "transaction rolled back: an inner step "
				  "failed");
		return STORE_ERROR;
	}
	rc = st->ops->tx_commit(st);
	if (rc != STORE_OK)
		st->ops->tx_rollback(st);
	return rc;
}

/* Without a transaction this is a no-op, so error paths may call it
 * unconditionally. */
enum store_rc store_rollback(struct store *st)
{
	if (st->depth == 0)
		return STORE_OK;
	if (--st->depth > 0) {
		st->doomed = 1;
		return STORE_OK;
	}
	st->doomed = 0;
	return st->ops->tx_rollback(st);
}

enum store_rc store_survey_insert(struct store *st, struct survey *s)
{
	return st->ops->survey_insert(st, s);
}

enum store_rc store_survey_get(struct store *st, int64_t id, struct survey *out)
{
	return st->ops->survey_get(st, id, out);
}

enum store_rc store_survey_by_message_id(struct store *st,
					 const char *message_id, int64_t *id)
{
	return st->ops->survey_by_message_id(st, message_id, id);
}

enum store_rc store_survey_recent(struct store *st, const char *requester,
				  int64_t since, int64_t *id)
{
	return st->ops->survey_recent(st, requester, since, id);
}

enum store_rc store_hit_insert(struct store *st, struct hit *h)
{
	return st->ops->hit_insert(st, h);
}

enum store_rc store_hit_list(struct store *st, int64_t survey_id, int64_t since,
			     struct hit **out, size_t *n)
{
	return st->ops->hit_list(st, survey_id, since, out, n);
}

enum store_rc store_hit_mark_machine(struct store *st, int64_t survey_id,
				     int64_t since)
{
	return st->ops->hit_mark_machine(st, survey_id, since);
}

enum store_rc store_hit_spans(struct store *st, int64_t survey_id,
			      int64_t since, struct hit_span *out, int nlevels)
{
	for (int i = 0; i < nlevels; i++) {
		out[i].min_at = INT64_MAX;
		out[i].max_at = INT64_MIN;
	}
	return st->ops->hit_spans(st, survey_id, since, out, nlevels);
}

enum store_rc store_hit_newest(struct store *st, int64_t *id)
{
	return st->ops->hit_newest(st, id);
}

int store_tx_exclusive(struct store *st)
{
	return st->ops->tx_exclusive;
}

int store_lock_wanted(struct store *st)
{
	return st->ops->lock_wanted ? st->ops->lock_wanted(st) : 0;
}

enum store_rc store_set_cache_kib(struct store *st, int kib)
{
	return st->ops->set_cache_kib ? st->ops->set_cache_kib(st, kib)
				      : STORE_OK;
}

void store_set_checkpoint_hook(struct store *st, int pages,
			       store_checkpoint_fn fn, void *arg)
{
	if (st->ops->set_checkpoint_hook)
		st->ops->set_checkpoint_hook(st, pages, fn, arg);
}

enum store_rc store_checkpoint(struct store *st, int restart_frames,
			       int wait_ms)
{
	return st->ops->checkpoint
		   ? st->ops->checkpoint(st, restart_frames, wait_ms)
		   : STORE_OK;
}

enum store_rc store_rating_add(struct store *st, struct rating *r)
{
	return st->ops->rating_add(st, r);
}

enum store_rc store_rating_comment(struct store *st, int64_t rating_id,
				   const char *why, const char *better)
{
	return st->ops->rating_comment(st, rating_id, why, better);
}

enum store_rc store_rating_current(struct store *st, int64_t survey_id,
				   struct rating *out)
{
	return st->ops->rating_current(st, survey_id, out);
}

enum store_rc store_rating_list(struct store *st, int64_t survey_id,
				struct rating **out, size_t *n)
{
	return st->ops->rating_list(st, survey_id, out, n);
}

enum store_rc store_outbox_enqueue(struct store *st, struct outbox_item *o)
{
	/* the backends bind store_outbox_kind_name(o->kind) */
	if (!store_outbox_kind_name(o->kind)) {
		store_set_err(st, "outbox enqueue: no kind %d", o->kind);
		return STORE_ERROR;
	}
	return st->ops->outbox_enqueue(st, o);
}

enum store_rc store_outbox_claim(struct store *st, const char *owner,
				 int64_t now, int lease, size_t max,
				 struct outbox_item **out, size_t *n)
{
	return st->ops->outbox_claim(st, owner, now, lease, max, out, n);
}

enum store_rc store_outbox_done(struct store *st, int64_t id, const char *owner)
{
	return st->ops->outbox_done(st, id, owner);
}

enum store_rc store_outbox_fail(struct store *st, int64_t id, const char *owner,
				int permanent, int64_t next_due,
				const char *error)
{
	return st->ops->outbox_fail(st, id, owner, permanent, next_due, error);
}

enum store_rc store_outbox_cancel(struct store *st, int64_t survey_id,
				  enum outbox_kind kind)
{
	const char *name = store_outbox_kind_name(kind);

	if (!name) {
		store_set_err(st, "outbox cancel: no kind %d", (int)kind);
		return STORE_ERROR;
	}
	return st->ops->outbox_cancel(st, survey_id, name);
}

enum store_rc store_outbox_list(struct store *st, int64_t survey_id,
				struct outbox_item **out, size_t *n)
{
	return st->ops->outbox_list(st, survey_id, out, n);
}

/* The *_free functions clear the pointers too, so a second call (an error
 * path after a success path) is harmless. */
void survey_free(struct survey *s)
{
	if (!s)
		return;
	free(s->queue_id);
	free(s->message_id);
	free(s->rule);
	free(s->ticket);
	free(s->team);
	free(s->agent);
	free(s->requester);
	free(s->scale);
	free(s->language);
	free(s->subject);
	s->queue_id = s->message_id = s->rule = s->ticket = s->team = NULL;
	s->agent = s->requester = s->scale = s->language = s->subject = NULL;
}

void hit_free(struct hit *h)
{
	if (!h)
		return;
	free(h->ip);
	free(h->user_agent);
	h->ip = h->user_agent = NULL;
}

void hit_list_free(struct hit *h, size_t n)
{
	for (size_t i = 0; h && i < n; i++)
		hit_free(&h[i]);
	free(h);
}

void rating_free(struct rating *r)
{
	if (!r)
		return;
	free(r->why);
	free(r->better);
	r->why = r->better = NULL;
}

void rating_list_free(struct rating *r, size_t n)
{
	for (size_t i = 0; r && i < n; i++)
		rating_free(&r[i]);
	free(r);
}

void outbox_item_free(struct outbox_item *o)
{
	if (!o)
		return;
	free(o->last_error);
	o->last_error = NULL;
}

static int outbox_cmp(const void *a, const void *b)
{
	const struct outbox_item *x = a, *y = b;

	if (x->due != y->due)
		return x->due < y->due ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

void store_outbox_sort(struct outbox_item *o, size_t n)
{
	if (n > 1)
		qsort(o, n, sizeof(*o), outbox_cmp);
}

void outbox_list_free(struct outbox_item *o, size_t n)
{
	for (size_t i = 0; o && i < n; i++)
		outbox_item_free(&o[i]);
	free(o);
}

/* ------------------------------------------------ reports, dashboard */

enum store_rc store_report(struct store *st, const struct store_report_query *q,
			   store_report_emit emit, void *arg)
{
	return st->ops->report(st, q, emit, arg);
}

enum store_rc store_rating_rows(struct store *st,
				const struct store_rating_filter *f,
				store_rating_emit emit, void *arg)
{
	return st->ops->rating_rows(st, f, emit, arg);
}

enum store_rc store_alert_rows(struct store *st, const char *team,
			       int open_only, int64_t limit,
			       store_alert_emit emit, void *arg)
{
	return st->ops->alert_rows(st, team, open_only, limit, emit, arg);
}

enum store_rc store_purge(struct store *st, int64_t before, int anonymize,
			  int64_t *count)
{
	/* campaign rounds first, in their own transaction: the backend's
	 * purge ends by scrubbing freed pages outside one */
	enum store_rc rc = store_campaign_purge(st, before, anonymize);

	if (rc != STORE_OK && count)
		*count = 0;
	return rc != STORE_OK ? rc
			      : st->ops->purge(st, before, anonymize, count);
}

void store_user_free(struct store_user *u)
{
	if (!u)
		return;
	free(u->name);
	free(u->pwhash);
	free(u->teams);
	u->name = u->pwhash = u->teams = NULL;
}

enum store_rc store_user_put(struct store *st, const struct store_user *u)
{
	enum store_rc rc = store_begin(st);
	int64_t n;

	if (rc != STORE_OK)
		return rc;
	if ((rc = st->ops->user_put(st, u)) != STORE_OK ||
	    (rc = st->ops->user_end(st, u->name, 0, &n)) != STORE_OK) {
		store_rollback(st);
		return rc;
	}
	return store_commit(st);
}

enum store_rc store_user_delete(struct store *st, const char *name)
{
	enum store_rc rc = store_begin(st);
	int64_t n = 0;

	if (rc != STORE_OK)
		return rc;
	if ((rc = st->ops->user_end(st, name, 1, &n)) != STORE_OK) {
		store_rollback(st);
		return rc;
	}
	if ((rc = store_commit(st)) != STORE_OK)
		return rc;
	return n ? STORE_OK : STORE_NOTFOUND;
}

enum store_rc store_user_list(struct store *st, struct store_user **out,
			      size_t *n)
{
	return st->ops->user_list(st, out, n);
}

enum store_rc store_user_get(struct store *st, const char *name,
			     struct store_user *out)
{
	return st->ops->user_get(st, name, out);
}

enum store_rc store_user_failed(struct store *st, const char *name, int64_t now,
				int max_failures, int64_t lock_seconds)
{
	return st->ops->user_failed(st, name, now, max_failures, lock_seconds);
}

enum store_rc store_user_succeeded(struct store *st, const char *name)
{
	return st->ops->user_succeeded(st, name);
}

enum store_rc store_session_put(struct store *st, const char *id,
				const char *user, int64_t created,
				int64_t expires)
{
	return st->ops->session_put(st, id, user, created, expires);
}

enum store_rc store_session_user(struct store *st, const char *id, int64_t now,
				 struct store_user *out)
{
	return st->ops->session_user(st, id, now, out);
}

enum store_rc store_session_delete(struct store *st, const char *id,
				   int64_t now)
{
	return st->ops->session_delete(st, id, now);
}

/* ------------------------------------------------ replies (ingest.c) */

static const char *const reply_status_names[REPLY_NSTATUS] = {
    [REPLY_RATED] = STORE_SQL_REPLY_RATED,
    [REPLY_COMMENT] = STORE_SQL_REPLY_COMMENT,
    [REPLY_AUTO] = "auto",
    [REPLY_UNMATCHED] = "unmatched",
};
static const char *const reply_source_names[REPLY_NSOURCES] = {
    [REPLY_SOURCE_LMTP] = "lmtp",
    [REPLY_SOURCE_INGEST] = "ingest",
    [REPLY_SOURCE_IMAP] = "imap",
    [REPLY_SOURCE_MILTER] = "milter",
};
static const char *const reply_match_names[REPLY_NMATCHES] = {
    [REPLY_MATCH_NONE] = NULL,
    [REPLY_MATCH_ADDRESS] = "address",
    [REPLY_MATCH_IN_REPLY_TO] = "in-reply-to",
    [REPLY_MATCH_REF] = "ref",
    [REPLY_MATCH_LINK] = "link",
};

static const char *const outbox_kind_names[OUTBOX_NKINDS] = {
    [OUTBOX_ALERT] = STORE_SQL_KIND_ALERT,
    [OUTBOX_KUDOS] = "kudos",
    [OUTBOX_CAMPAIGN] = "campaign",
    [OUTBOX_CAMPAIGN_ALERT] = "campaign-alert",
    [OUTBOX_CAMPAIGN_KUDOS] = "campaign-kudos",
};

static const char *name_of(const char *const *names, int n, int v)
{
	return v >= 0 && v < n ? names[v] : NULL;
}

static int parse_of(const char *const *names, int n, const char *s, int none)
{
	for (int i = 0; s && i < n; i++)
		if (names[i] && !strcmp(names[i], s))
			return i;
	return none;
}

const char *store_reply_status_name(int status)
{
	return name_of(reply_status_names, REPLY_NSTATUS, status);
}

const char *store_reply_source_name(int source)
{
	return name_of(reply_source_names, REPLY_NSOURCES, source);
}

const char *store_reply_match_name(int match)
{
	return name_of(reply_match_names, REPLY_NMATCHES, match);
}

const char *store_outbox_kind_name(int kind)
{
	return name_of(outbox_kind_names, OUTBOX_NKINDS, kind);
}

int store_outbox_kind_parse(const char *s)
{
	return parse_of(outbox_kind_names, OUTBOX_NKINDS, s,
			OUTBOX_KIND_UNKNOWN);
}

int store_reply_status_parse(const char *s)
{
	return parse_of(reply_status_names, REPLY_NSTATUS, s, -1);
}

int store_reply_source_parse(const char *s)
{
	return parse_of(reply_source_names, REPLY_NSOURCES, s,
			REPLY_SOURCE_UNKNOWN);
}

int store_reply_match_parse(const char *s)
{
	return parse_of(reply_match_names, REPLY_NMATCHES, s, REPLY_MATCH_NONE);
}

void store_reply_free(struct store_reply *r)
{
	if (!r)
		return;
	free(r->sender);
	free(r->message_id);
	free(r->subject);
	free(r->body);
	free(r->comment);
	r->sender = r->message_id = NULL;
	r->subject = r->body = r->comment = NULL;
}

void store_reply_list_free(struct store_reply *r, size_t n)
{
	for (size_t i = 0; r && i < n; i++)
		store_reply_free(&r[i]);
	free(r);
}

enum store_rc store_reply_add(struct store *st, struct store_reply *r)
{
	return st->ops->reply_add(st, r);
}

enum store_rc store_reply_get(struct store *st, int64_t id,
			      struct store_reply *out)
{
	return st->ops->reply_get(st, id, out);
}

enum store_rc store_reply_list(struct store *st, int64_t survey_id,
			       struct store_reply **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	return st->ops->reply_list(st, survey_id, out, n);
}

enum store_rc store_reply_by_message_id(struct store *st,
					const char *message_id, int64_t *id)
{
	return st->ops->reply_by_message_id(st, message_id, id);
}

/* ------------------------------------------ alerts (outbox.c, ack.c) */

enum store_rc store_outbox_get(struct store *st, int64_t id,
			       struct outbox_item *out, int64_t *created_at)
{
	return st->ops->outbox_get(st, id, out, created_at);
}

enum store_rc store_alert_ack(struct store *st, int64_t outbox_id,
			      const char *by, int64_t at, char **by_out,
			      int64_t *at_out)
{
	return st->ops->alert_ack(st, outbox_id, by, at, by_out, at_out);
}

enum store_rc store_requester_alerts(struct store *st, const char *requester,
				     int64_t exclude_survey, int64_t *count,
				     int64_t *last_at)
{
	return st->ops->requester_alerts(st, requester, exclude_survey, count,
					 last_at);
}

enum store_rc store_outbox_stats(struct store *st,
				 struct store_outbox_stats *out)
{
	return st->ops->outbox_stats(st, out);
}

enum store_rc store_digest_last(struct store *st, const char *team,
				int64_t *last)
{
	return st->ops->digest_last(st, team, last);
}

enum store_rc store_digest_mark(struct store *st, const char *team, int64_t old,
				int64_t now)
{
	return st->ops->digest_mark(st, team, old, now);
}

enum store_rc store_digest_stats(struct store *st, const char *team,
				 int64_t since, int64_t until,
				 struct store_digest_stats *out)
{
	return st->ops->digest_stats(st, team, since, until, out);
}

void store_digest_stats_free(struct store_digest_stats *d)
{
	if (!d)
		return;
	for (size_t i = 0; d->comments && i < d->ncomments; i++) {
		free(d->comments[i].ticket);
		free(d->comments[i].agent);
		free(d->comments[i].why);
		free(d->comments[i].better);
	}
	free(d->comments);
	d->comments = NULL;
	d->ncomments = 0;
}
