/* SPDX-License-Identifier: BSD-2-Clause */
/* mailmoodctl copy-store: every table of one store into another, with
 * ids kept (a token in a mail already sent names its survey by id), in one
 * transaction on the destination and a count check per table before it
 * commits. Backend-neutral: each backend reads and writes whole rows as
 * text through its table_* ops. */
#include <stdio.h>
#include <string.h>

#include "store.h"
#include "store_backend.h"

/* Parents before children, so foreign keys hold row by row. */
static const struct store_copy_table {
	const char *name, *cols;
	int ncols, identity;
} copy_tables[] = {
    {"surveys",
     "id, sent_at, status, queue_id, message_id, rule, ticket, team, "
     "agent, requester, scale, language, subject",
     13, 1},
    {"ratings", "id, survey_id, at, level, source, current, why, better", 8, 1},
    {"hits", "id, survey_id, at, level, machine, ip, user_agent", 7, 1},
    {"outbox",
     "id, kind, survey_id, rating_id, due, attempts, state, owner, "
     "lease_until, last_error, created_at, sent_at",
     12, 1},
    {"replies",
     "id, received_at, survey_id, rating_id, status, sender, message_id, "
     "subject, body, comment, source, matched_by",
     12, 1},
    {"alert_acks", "outbox_id, acked_by, acked_at", 3, 0},
    {"users",
     "name, pwhash, is_admin, teams, failures, locked_until, created_at", 7, 0},
    {"sessions", "id, user_name, created_at, expires_at", 4, 0},
    {"digests", "team, last_sent", 2, 0},
    {"campaign_rounds", "id, campaign, started_at, anonymous", 4, 1},
    {"campaign_recipients",
     "id, round_id, team, language, address, outbox_id, sent_at, "
     "answered_at",
     8, 1},
    {"campaign_hits", "id, recipient_id, at, level, machine, ip, user_agent", 7,
     1},
    {"campaign_answers",
     "id, recipient_id, at, level, source, current, why, better, "
     "alert_outbox_id",
     9, 1},
    {"campaign_contacts", "address, last_sent", 2, 0},
    {"campaign_unsubscribes", "address, at", 2, 0},
    {"customer_ratings", "id, survey_id, rater, level, at, current", 6, 1},
    {"customer_digests",
     "rater, day, state, lease_until, attempts, sent_at, last_error", 7, 0},
};

#define COPY_TABLES (sizeof(copy_tables) / sizeof(copy_tables[0]))

struct copy_ctx {
	struct store *to;
	const struct store_copy_table *t;
	int64_t rows;
	enum store_rc rc;
};

static int copy_row(void *arg, int ncols, const char *const *vals)
{
	struct copy_ctx *c = arg;

	c->rc = c->to->ops->table_insert(c->to, c->t->name, c->t->cols, ncols,
					 vals);
	if (c->rc != STORE_OK)
		return 1;
	c->rows++;
	return 0;
}

enum store_rc store_copy(struct store *from, struct store *to,
			 store_copy_progress progress, void *arg, char *err,
			 size_t errlen)
{
	enum store_rc rc;
	int64_t n, m;
	size_t i;

	if (store_schema_version(from) != store_schema_version(to)) {
		snprintf(err, errlen,
			 "schema versions differ (%d and %d): run "
			 "`mailmoodctl migrate` on both first",
			 store_schema_version(from), store_schema_version(to));
		return STORE_ERROR;
	}
	for (i = 0; i < COPY_TABLES; i++) {
		if ((rc = to->ops->table_count(to, copy_tables[i].name, &n)) !=
		    STORE_OK) {
			snprintf(err, errlen, "destination: %s",
				 store_errmsg(to));
			return rc;
		}
		if (n) {
			snprintf(err, errlen,
				 "destination is not empty (%s has %lld rows): "
				 "copy-store only fills a new store",
				 copy_tables[i].name, (long long)n);
			return STORE_ERROR;
		}
	}
	/* The source is read inside a transaction too: on SQLite that is one
	 * snapshot; on PostgreSQL the daemons should be stopped (README). */
	if ((rc = store_begin(from)) != STORE_OK) {
		snprintf(err, errlen, "source: %s", store_errmsg(from));
		return rc;
	}
	if ((rc = store_begin(to)) != STORE_OK) {
		snprintf(err, errlen, "destination: %s", store_errmsg(to));
		store_rollback(from);
		return rc;
	}
	for (i = 0; i < COPY_TABLES; i++) {
		const struct store_copy_table *t = &copy_tables[i];
		struct copy_ctx c = {to, t, 0, STORE_OK};

		rc = from->ops->table_rows(from, t->name, t->cols, t->ncols,
					   copy_row, &c);
		if (c.rc != STORE_OK) {
			snprintf(err, errlen, "destination, %s: %s", t->name,
				 store_errmsg(to));
			rc = c.rc;
			goto fail;
		}
		if (rc != STORE_OK) {
			snprintf(err, errlen, "source, %s: %s", t->name,
				 store_errmsg(from));
			goto fail;
		}
		if (t->identity &&
		    (rc = to->ops->table_loaded(to, t->name)) != STORE_OK) {
			snprintf(err, errlen, "destination, %s: %s", t->name,
				 store_errmsg(to));
			goto fail;
		}
		if ((rc = from->ops->table_count(from, t->name, &n)) !=
			STORE_OK ||
		    (rc = to->ops->table_count(to, t->name, &m)) != STORE_OK) {
			snprintf(err, errlen, "count %s: %s / %s", t->name,
				 store_errmsg(from), store_errmsg(to));
			goto fail;
		}
		if (n != m || m != c.rows) {
			snprintf(err, errlen,
				 "%s: %lld rows in the source, %lld copied, "
				 "%lld in the destination: nothing kept",
				 t->name, (long long)n, (long long)c.rows,
				 (long long)m);
			rc = STORE_ERROR;
			goto fail;
		}
		if (progress)
			progress(arg, t->name, m);
	}
	if ((rc = store_commit(to)) != STORE_OK) {
		snprintf(err, errlen, "destination commit: %s",
			 store_errmsg(to));
		store_rollback(from);
		return rc;
	}
	store_rollback(from); /* read only: nothing to keep */
	return STORE_OK;
fail:
	store_rollback(to);
	store_rollback(from);
	return rc;
}
