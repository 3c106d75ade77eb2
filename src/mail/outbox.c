/* SPDX-License-Identifier: BSD-2-Clause */
/* The outbox worker: claims, composes, sends and marks alerts (outbox.h). */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/crypto.h>

#include "alert_mail.h"
#include "campaign.h"
#include "campaign_send.h"
#include "clock.h"
#include "conf_snapshot.h"
#include "customer_rating.h"
#include "log.h"
#include "outbox.h"
#include "smtp.h"

#define DIGEST_CHECK_EVERY 60 /* seconds between digest schedule checks */
#define DONE_TRIES 20	      /* a locked store is waited out, 5 s each */
#define DONE_STOP_WAIT 10

static atomic_ulong m_sent, m_retried, m_failed, m_digests;

int64_t outbox_backoff(int attempts, int64_t base)
{
	int64_t d = base > 0 ? base : 60;

	for (int i = 1; i < attempts && d < OUTBOX_MAX_BACKOFF; i++)
		d *= 2;
	return d > OUTBOX_MAX_BACKOFF ? OUTBOX_MAX_BACKOFF : d;
}

int outbox_give_up(int64_t created_at, int64_t now, int64_t retry_for)
{
	return now - created_at >= retry_for;
}

void outbox_owner(char *out, size_t len)
{
	char host[128];

	if (gethostname(host, sizeof(host)) < 0)
		snprintf(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = '\0';
	snprintf(out, len, "%s:%ld:%ld", host, (long)getpid(),
		 (long)syscall(SYS_gettid));
}

/* ------------------------------------------------------------ compose */

/* What one row becomes: the message, its envelope, a line for the log. */
struct outbox_mail {
	struct buf msg;
	char *rcpt_copy;
	const char **rcpt;
	size_t nrcpt;
	char what[256];
	const char *from; /* envelope sender; NULL: alert_from */
};

static void mail_free(struct outbox_mail *m)
{
	buf_free(&m->msg);
	free(m->rcpt_copy);
	free(m->rcpt);
}

/* alert_to / kudos_to may list several addresses. */
static int split_rcpt(struct outbox_mail *m, const char *list)
{
	int n;

	m->nrcpt = 0;
	if (!list || (n = alert_split_rcpt(list, &m->rcpt_copy, &m->rcpt)) <= 0)
		return -1;
	m->nrcpt = (size_t)n;
	return 0;
}

static const char *domain_of(const char *addr)
{
	const char *at = addr ? strchr(addr, '@') : NULL;

	return at && at[1] ? at + 1 : "localhost";
}

/* An alert's Message-ID comes back in every reply to it, and the alert's
 * Reply-To is the customer: so it must not hold the acknowledge token, nor
 * anything it can be derived from. A MAC of the row id under its own label
 * reads as random to anyone without the key, yet is the same on every
 * attempt, so a mail sent twice (the relay took it, "done" did not land)
 * is still one message to the recipients' mail programs. */
static int alert_message_id(const struct token_key *key, const char *kind,
			    int64_t id, const char *domain, char *out,
			    size_t len)
{
	unsigned char mac[32];
	char data[64], b64[32];
	int n = snprintf(data, sizeof(data), "mailmood-message-id.%s.%lld",
			 kind, (long long)id);

	if (n < 0 || (size_t)n >= sizeof(data) ||
	    gnutls_hmac_fast(GNUTLS_MAC_SHA256, key->bytes, key->len, data,
			     (size_t)n, mac) < 0)
		return -1;
	b64[token_b64url_encode(mac, 18, b64)] = '\0';
	snprintf(out, len, "%s.%s@%s", kind, b64, domain);
	return 0;
}

/* The red alert or kudos mail of row o into m. */
static enum outbox_rc
compose_rating_mail(struct store *st, const struct conf *c,
		    const struct token_key *key, const struct outbox_item *o,
		    struct outbox_mail *m, char *err, size_t errlen)
{
	int kudos = o->kind == OUTBOX_KUDOS;
	struct survey s;
	struct rating *r = NULL, *use = NULL;
	size_t nr = 0;
	const struct conf_team *team = NULL;
	const struct scale *sc;
	struct alert_rating a;
	struct alert_head h;
	char tok[TOKEN_BUFSZ], ack[1024], msgid[256];
	int64_t prior = 0, prior_at = 0;
	enum store_rc rc;
	enum outbox_rc ret = OUTBOX_PERMANENT;

	rc = store_survey_get(st, o->survey_id, &s);
	if (rc == STORE_NOTFOUND) {
		snprintf(err, errlen, "survey %lld is gone",
			 (long long)o->survey_id);
		return OUTBOX_PERMANENT;
	}
	if (rc != STORE_OK)
		return OUTBOX_TEMPORARY;
	if ((rc = store_rating_list(st, s.id, &r, &nr)) != STORE_OK) {
		survey_free(&s);
		return OUTBOX_TEMPORARY;
	}
	for (size_t i = 0; i < nr; i++)
		if (r[i].id == o->rating_id || (!use && r[i].current))
			use = &r[i];
	for (size_t i = 0; i < nr && o->rating_id; i++)
		if (r[i].id == o->rating_id)
			use = &r[i];
	sc = conf_survey_scale(c, s.team, s.scale, &team);
	if (!use) {
		snprintf(err, errlen, "survey %lld has no rating",
			 (long long)s.id);
		goto out;
	}
	if (!team || !team->alert_to) {
		snprintf(err, errlen, "team %s has no alert_to",
			 s.team ? s.team : "-");
		goto out;
	}
	if (split_rcpt(m, kudos && team->kudos_to ? team->kudos_to
						  : team->alert_to) < 0) {
		snprintf(err, errlen, "team %s: no valid address in %s",
			 team->name,
			 kudos && team->kudos_to ? "kudos_to" : "alert_to");
		goto out;
	}
	if (token_make_ack(key, o->id, tok) < 0) {
		snprintf(err, errlen, "cannot make a token");
		ret = OUTBOX_TEMPORARY;
		goto out;
	}
	if (!kudos && store_requester_alerts(st, s.requester, s.id, &prior,
					     &prior_at) != STORE_OK) {
		ret = OUTBOX_TEMPORARY;
		goto out;
	}
	snprintf(ack, sizeof(ack), "%s/a/%s", c->general.base_url, tok);
	if (alert_message_id(key, store_outbox_kind_name(o->kind), o->id,
			     domain_of(c->listener.alert_from), msgid,
			     sizeof(msgid)) < 0) {
		snprintf(err, errlen, "cannot make a Message-ID");
		ret = OUTBOX_TEMPORARY;
		goto out;
	}
	memset(&a, 0, sizeof(a));
	a.lang = conf_team_language(c, team);
	a.scale = sc;
	a.level = use->level;
	a.team = team->display_name ? team->display_name : team->name;
	a.ticket = s.ticket;
	a.subject = s.subject;
	a.requester = s.requester;
	a.agent = s.agent;
	a.why = use->why;
	a.better = use->better;
	a.ticket_url =
	    team->ticket_url ? team->ticket_url : c->listener.ticket_url;
	a.sent_at = s.sent_at;
	a.rated_at = use->at;
	a.prior_alerts = prior;
	a.prior_last_at = prior_at;
	a.ack_url = kudos ? NULL : ack;
	memset(&h, 0, sizeof(h));
	h.from = c->listener.alert_from;
	h.to = m->rcpt;
	h.nto = m->nrcpt;
	h.reply_to = s.requester;
	h.message_id = msgid;
	h.date = (int64_t)time(NULL);
	buf_init(&m->msg);
	if ((kudos ? alert_compose_kudos(&m->msg, &h, &a)
		   : alert_compose_red(&m->msg, &h, &a)) < 0) {
		snprintf(err, errlen, "cannot compose (alert_from %s)",
			 c->listener.alert_from);
		goto out;
	}
	snprintf(m->what, sizeof(m->what), "%s survey %lld ticket=%s to %s",
		 store_outbox_kind_name(o->kind), (long long)s.id,
		 s.ticket ? s.ticket : "-", team->alert_to);
	ret = OUTBOX_OK;
out:
	rating_list_free(r, nr);
	survey_free(&s);
	return ret;
}

/* ------------------------------------------------------------ send */

static struct smtp_session *session_open(const struct conf *c)
{
	struct smtp_conf sc;
	struct smtp_session *s;
	char err[512];

	memset(&sc, 0, sizeof(sc));
	sc.url = c->listener.smtp_url;
	sc.tls = c->listener.smtp_tls;
	sc.user = c->listener.smtp_user;
	sc.password_file = c->listener.smtp_password_file;
	sc.ca_file = c->listener.smtp_ca_file;
	sc.timeout = (long)c->listener.smtp_timeout;
	if (smtp_open(&s, &sc, err, sizeof(err)) < 0) {
		log_error("outbox: %s", err);
		return NULL;
	}
	return s;
}

/* "done" must land: a row the relay took and the store forgot would be
 * sent again after the lease. A locked store is waited out. */
static atomic_int outbox_stopping;

/* The mail is out: if the row is not marked, another worker sends it
 * again once the lease runs out. A locked SQLite store answers within its
 * busy timeout; an unreachable PostgreSQL server answers BUSY at once,
 * and may be back in seconds (a restart, a failover): so keep trying, with
 * pauses, while the lease still holds the row for us — at a shutdown for
 * at most DONE_STOP_WAIT more seconds. */
static void mark_done(struct store *st, const struct outbox_item *o,
		      const char *owner, int64_t lease_end)
{
	enum store_rc rc = store_outbox_done(st, o->id, owner);
	int64_t start = clock_mono_s();
	struct timespec nap = {0, 50 * 1000000L};

	while (rc == STORE_BUSY && clock_mono_s() < lease_end &&
	       (!atomic_load(&outbox_stopping) ||
		clock_mono_s() - start < DONE_STOP_WAIT)) {
		nanosleep(&nap, NULL);
		if (nap.tv_nsec < 800 * 1000000L)
			nap.tv_nsec *= 2;
		rc = store_outbox_done(st, o->id, owner);
	}
	if (rc == STORE_OK && clock_mono_s() - start > 0)
		log_info("outbox %lld: marked sent after %lld s of store "
			 "trouble",
			 (long long)o->id, (long long)(clock_mono_s() - start));
	if (rc == STORE_NOTFOUND)
		log_warn("outbox %lld: sent, but the claim had expired and "
			 "another process took the row: it may be sent twice "
			 "(raise outbox_lease)",
			 (long long)o->id);
	else if (rc != STORE_OK)
		log_error("outbox %lld: sent, but cannot mark it done: %s; it "
			  "will be sent again after the lease",
			  (long long)o->id, store_errmsg(st));
}

static void mark_failed(struct store *st, const struct conf *c,
			const struct outbox_item *o, const char *owner,
			int permanent, int64_t now, const char *what,
			const char *reason, struct outbox_pass *ps)
{
	int64_t created = now, next;
	struct outbox_item row;
	enum store_rc rc;

	if (!permanent) {
		if (store_outbox_get(st, o->id, &row, &created) == STORE_OK)
			outbox_item_free(&row);
		if (outbox_give_up(created, now,
				   c->listener.outbox_retry_for)) {
			permanent = 1;
			log_error("outbox %lld: %s FAILED after %d attempts "
				  "in %lld s: %s",
				  (long long)o->id, what, o->attempts,
				  (long long)(now - created), reason);
		}
	} else {
		log_error("outbox %lld: %s FAILED: %s", (long long)o->id, what,
			  reason);
	}
	next = now + outbox_backoff(o->attempts, c->listener.outbox_backoff);
	if (!permanent)
		log_warn("outbox %lld: %s deferred, attempt %d, next in %lld "
			 "s: %s",
			 (long long)o->id, what, o->attempts,
			 (long long)(next - now), reason);
	rc = STORE_BUSY;
	for (int i = 0; i < DONE_TRIES && rc == STORE_BUSY; i++)
		rc = store_outbox_fail(st, o->id, owner, permanent, next,
				       reason);
	if (rc != STORE_OK)
		log_error("outbox %lld: cannot record the failure: %s",
			  (long long)o->id, store_errmsg(st));
	if (permanent) {
		ps->failed++;
		atomic_fetch_add(&m_failed, 1);
	} else {
		ps->retried++;
		atomic_fetch_add(&m_retried, 1);
	}
}

/* Sends the claimed rows; stops early (releasing the rest) when the
 * lease would run out before the next mail could time out. */
/* outbox_stopping, set by outbox_stop: a batch in progress hands its
 * unsent rows back (due at once) instead of holding a stopping daemon for
 * up to a whole batch. */

/* The mail of row o into m, by its kind. */
static enum outbox_rc compose_row(struct store *st, const struct conf *c,
				  const struct token_key *key,
				  const struct outbox_item *o,
				  struct outbox_mail *m, char *err,
				  size_t errlen)
{
	enum outbox_rc rc;
	char *to = NULL;

	switch (o->kind) {
	case OUTBOX_ALERT:
	case OUTBOX_KUDOS:
		return compose_rating_mail(st, c, key, o, m, err, errlen);
	case OUTBOX_CAMPAIGN:
		rc = campaign_outbox_compose(st, c, key, o->id, &m->msg, &to,
					     &m->from, m->what, sizeof(m->what),
					     err, errlen);
		/* one recipient: the campaign's address */
		if (rc == OUTBOX_OK && split_rcpt(m, to) < 0) {
			snprintf(err, errlen, "no valid address");
			rc = OUTBOX_PERMANENT;
		}
		free(to);
		return rc;
	case OUTBOX_CAMPAIGN_ALERT:
	case OUTBOX_CAMPAIGN_KUDOS:
		rc = campaign_alert_compose(
		    st, c, key, o->id, o->kind == OUTBOX_CAMPAIGN_KUDOS,
		    &m->msg, &to, m->what, sizeof(m->what), err, errlen);
		if (rc == OUTBOX_OK && split_rcpt(m, to) < 0) {
			snprintf(err, errlen, "no valid address");
			rc = OUTBOX_PERMANENT;
		}
		free(to);
		return rc;
	default:
		/* written by a newer build */
		snprintf(err, errlen, "a kind this build does not know");
		return OUTBOX_PERMANENT;
	}
}

static void send_batch(struct store *st, const struct conf *c,
		       const struct token_key *key, const char *owner,
		       struct outbox_item *rows, size_t n,
		       struct smtp_session **sess, struct outbox_pass *ps)
{
	int64_t claimed = clock_mono_s();
	int64_t lease = c->listener.outbox_lease;
	int64_t per_mail = c->listener.smtp_timeout;

	for (size_t i = 0; i < n; i++) {
		struct outbox_item *o = &rows[i];
		struct outbox_mail m;
		char err[512], reply[512];
		int64_t now = (int64_t)time(NULL);
		enum smtp_result r;
		enum outbox_rc crc;

		memset(&m, 0, sizeof(m));
		buf_init(&m.msg);
		if (atomic_load(&outbox_stopping)) {
			store_outbox_fail(st, o->id, owner, 0, now,
					  "released at shutdown");
			continue;
		}
		if (clock_mono_s() - claimed + per_mail >= lease) {
			/* released as a retry due now, not a failure */
			store_outbox_fail(st, o->id, owner, 0, now,
					  "lease ran out before sending");
			continue;
		}
		crc = compose_row(st, c, key, o, &m, err, sizeof(err));
		if (crc != OUTBOX_OK) {
			const char *kind = store_outbox_kind_name(o->kind);
			char what[64];
			snprintf(what, sizeof(what), "%s survey %lld",
				 kind ? kind : "?", (long long)o->survey_id);
			if (crc == OUTBOX_TEMPORARY)
				mark_failed(st, c, o, owner, 0, now, what,
					    store_errmsg(st), ps);
			else
				mark_failed(st, c, o, owner, 1, now, what, err,
					    ps);
			mail_free(&m);
			continue;
		}
		if (!*sess && !(*sess = session_open(c))) {
			mark_failed(st, c, o, owner, 0, now, m.what,
				    "cannot set up SMTP", ps);
			mail_free(&m);
			continue;
		}
		r = smtp_send(*sess, m.from ? m.from : c->listener.alert_from,
			      m.rcpt, m.nrcpt, m.msg.data, m.msg.len, reply,
			      sizeof(reply));
		if (r == SMTP_OK) {
			mark_done(st, o, owner, claimed + lease - 1);
			ps->sent++;
			atomic_fetch_add(&m_sent, 1);
			log_info("outbox %lld: %s sent (%s)", (long long)o->id,
				 m.what, reply);
		} else {
			mark_failed(st, c, o, owner, r == SMTP_PERMANENT, now,
				    m.what, reply, ps);
		}
		mail_free(&m);
	}
}

/* ------------------------------------------------------------ digests */

static int64_t digest_period(const struct conf_team *t)
{
	switch (t->digest) {
	case CONF_DIGEST_DAILY:
		return SECONDS_PER_DAY;
	case CONF_DIGEST_WEEKLY:
		return 7 * SECONDS_PER_DAY;
	default:
		return 0;
	}
}

/* Composes and sends t's digest of [since, until); err gets the reason
 * or the relay's answer. */
static enum outbox_rc send_digest(struct store *st, const struct conf *c,
				  const struct conf_team *t, int64_t since,
				  int64_t until, char *err, size_t errlen)
{
	struct store_digest_stats ds;
	struct alert_digest d;
	struct alert_head h;
	struct outbox_mail m;
	struct smtp_session *s;
	char msgid[256], reply[512];
	enum smtp_result r;
	enum outbox_rc ret = OUTBOX_TEMPORARY;

	memset(&m, 0, sizeof(m));
	buf_init(&m.msg);
	if (!t->alert_to || split_rcpt(&m, t->alert_to) < 0) {
		snprintf(err, errlen, "team %s has no valid alert_to", t->name);
		mail_free(&m);
		return OUTBOX_PERMANENT;
	}
	if (store_digest_stats(st, t->name, since, until, &ds) != STORE_OK) {
		snprintf(err, errlen, "%s", store_errmsg(st));
		mail_free(&m);
		return OUTBOX_TEMPORARY;
	}
	memset(&d, 0, sizeof(d));
	d.lang = conf_team_language(c, t);
	d.scale = conf_team_scale(c, t);
	d.team = t->display_name ? t->display_name : t->name;
	d.period = t->digest;
	d.alert_at = t->alert_at;
	d.since = since;
	d.until = until;
	d.stats = &ds;
	snprintf(msgid, sizeof(msgid), "digest.%s.%lld.%lld@%s", t->name,
		 (long long)since, (long long)until,
		 domain_of(c->listener.alert_from));
	memset(&h, 0, sizeof(h));
	h.from = c->listener.alert_from;
	h.to = m.rcpt;
	h.nto = m.nrcpt;
	h.message_id = msgid;
	h.date = (int64_t)time(NULL);
	if (alert_compose_digest(&m.msg, &h, &d) < 0) {
		snprintf(err, errlen, "cannot compose the digest");
		ret = OUTBOX_PERMANENT;
		goto out;
	}
	if (!(s = session_open(c))) {
		snprintf(err, errlen, "cannot set up SMTP");
		goto out;
	}
	r = smtp_send(s, c->listener.alert_from, m.rcpt, m.nrcpt, m.msg.data,
		      m.msg.len, reply, sizeof(reply));
	smtp_close(s);
	snprintf(err, errlen, "%s", reply);
	if (r == SMTP_OK) {
		log_info("digest %s to %s sent (%s)", t->name, t->alert_to,
			 reply);
		atomic_fetch_add(&m_digests, 1);
		ret = OUTBOX_OK;
	} else if (r == SMTP_PERMANENT) {
		ret = OUTBOX_PERMANENT;
	}
out:
	store_digest_stats_free(&ds);
	mail_free(&m);
	return ret;
}

int outbox_digest_now(struct store *st, const struct conf *c,
		      const struct conf_team *team, int64_t now, char *err,
		      size_t errlen)
{
	int64_t period = digest_period(team);

	if (!period)
		period = 7 * SECONDS_PER_DAY;
	return send_digest(st, c, team, now - period, now, err, errlen) ==
		       OUTBOX_OK
		   ? 0
		   : -1;
}

/* Of several processes only the one whose compare-and-set moves
 * last_sent sends; a temporary failure moves it back for the next
 * check. A team seen for the first time starts its schedule now. */
void outbox_digests_due(struct store *st, const struct conf *c, int64_t now,
			struct outbox_pass *ps)
{
	for (size_t i = 0; i < c->nteams; i++) {
		const struct conf_team *t = &c->teams[i];
		int64_t period = digest_period(t), last;
		char err[512];
		enum outbox_rc sent;
		enum store_rc rc;

		if (!period)
			continue;
		rc = store_digest_last(st, t->name, &last);
		if (rc == STORE_NOTFOUND) {
			store_digest_mark(st, t->name, -1, now);
			continue;
		}
		if (rc != STORE_OK || now - last < period)
			continue;
		if (store_digest_mark(st, t->name, last, now) != STORE_OK)
			continue; /* another process has it */
		sent = send_digest(st, c, t, last, now, err, sizeof(err));
		if (sent == OUTBOX_OK) {
			ps->digests++;
			continue;
		}
		if (sent == OUTBOX_PERMANENT) {
			log_error("digest %s: FAILED: %s", t->name, err);
			continue;
		}
		log_warn("digest %s: deferred: %s", t->name, err);
		store_digest_mark(st, t->name, now, last);
	}
}

/* ------------------------------------------------------------ pass */

int outbox_run(struct store *st, const struct conf *c,
	       const struct token_key *key, const char *owner, int64_t now,
	       struct outbox_pass *ps)
{
	struct smtp_session *sess = NULL;
	struct outbox_item *rows;
	size_t n;
	enum store_rc rc;
	int ret = 0;

	memset(ps, 0, sizeof(*ps));
	for (;;) {
		rc = store_outbox_claim(st, owner, now,
					(int)c->listener.outbox_lease,
					OUTBOX_BATCH, &rows, &n);
		if (rc == STORE_BUSY)
			break; /* next pass */
		if (rc != STORE_OK) {
			log_error("outbox: claim: %s", store_errmsg(st));
			ret = -1;
			break;
		}
		if (n == 0)
			break;
		send_batch(st, c, key, owner, rows, n, &sess, ps);
		outbox_list_free(rows, n);
		if (n < OUTBOX_BATCH || atomic_load(&outbox_stopping))
			break;
		now = (int64_t)time(NULL);
	}
	smtp_close(sess);
	return ret;
}

/* ------------------------------------------------------------ kudos */

enum store_rc outbox_queue_kudos(struct store *st, const struct conf *c,
				 const struct conf_team *team,
				 const struct scale *sc, int64_t survey_id,
				 int64_t rating_id, int level, int64_t now)
{
	struct outbox_item o;
	enum store_rc rc;

	rc = store_outbox_cancel(st, survey_id, OUTBOX_KUDOS);
	if (rc != STORE_OK && rc != STORE_NOTFOUND)
		return rc;
	if (!team || !team->kudos || !sc || level != sc->max ||
	    !(team->kudos_to || team->alert_to))
		return STORE_OK;
	memset(&o, 0, sizeof(o));
	o.kind = OUTBOX_KUDOS;
	o.survey_id = survey_id;
	o.rating_id = rating_id;
	o.due = now + c->listener.alert_delay;
	return store_outbox_enqueue(st, &o);
}

/* ------------------------------------------------------------ metrics */

void outbox_metrics_render(struct buf *out, struct store *st)
{
	struct store_outbox_stats s;

	buf_printf(out,
		   "# HELP mailmood_outbox_sent_total Mails the relay "
		   "accepted (this process).\n"
		   "# TYPE mailmood_outbox_sent_total counter\n"
		   "mailmood_outbox_sent_total %lu\n"
		   "# HELP mailmood_outbox_retries_total Temporary failures "
		   "(this process).\n"
		   "# TYPE mailmood_outbox_retries_total counter\n"
		   "mailmood_outbox_retries_total %lu\n"
		   "# HELP mailmood_outbox_failures_total Rows given up "
		   "(this process).\n"
		   "# TYPE mailmood_outbox_failures_total counter\n"
		   "mailmood_outbox_failures_total %lu\n"
		   "# HELP mailmood_digests_sent_total Digests sent (this "
		   "process).\n"
		   "# TYPE mailmood_digests_sent_total counter\n"
		   "mailmood_digests_sent_total %lu\n",
		   atomic_load(&m_sent), atomic_load(&m_retried),
		   atomic_load(&m_failed), atomic_load(&m_digests));
	if (!st || store_outbox_stats(st, &s) != STORE_OK)
		return;
	buf_printf(out,
		   "# HELP mailmood_outbox_rows Outbox rows by state (the "
		   "store).\n"
		   "# TYPE mailmood_outbox_rows gauge\n"
		   "mailmood_outbox_rows{state=\"pending\"} %lld\n"
		   "mailmood_outbox_rows{state=\"sending\"} %lld\n"
		   "mailmood_outbox_rows{state=\"sent\"} %lld\n"
		   "mailmood_outbox_rows{state=\"failed\"} %lld\n"
		   "mailmood_outbox_rows{state=\"cancelled\"} %lld\n"
		   "# HELP mailmood_outbox_oldest_due_seconds Due time of the "
		   "oldest pending row (0: none).\n"
		   "# TYPE mailmood_outbox_oldest_due_seconds gauge\n"
		   "mailmood_outbox_oldest_due_seconds %lld\n",
		   (long long)s.pending, (long long)s.sending,
		   (long long)s.sent, (long long)s.failed,
		   (long long)s.cancelled, (long long)s.oldest_due);
}

/* ------------------------------------------------------------ worker */

static pthread_mutex_t wake_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake_cond = PTHREAD_COND_INITIALIZER;
static int wake_flag;

void outbox_notify(void)
{
	pthread_mutex_lock(&wake_lock);
	wake_flag = 1;
	pthread_cond_signal(&wake_cond);
	pthread_mutex_unlock(&wake_lock);
}

struct outbox_worker {
	pthread_t thread;
	pthread_mutex_t lock; /* stop */
	atomic_int stop;
};

/* Each pass takes the current config snapshot (conf_snapshot.h) and drops
 * it before sleeping, so alerts, digests and campaign rounds of one pass
 * read one version of the file, and a reload reaches the next pass. */
static void *worker_main(void *arg)
{
	struct outbox_worker *w = arg;
	struct store *st = NULL;
	char owner[256], err[512];
	int64_t last_digest = 0;
	uint64_t generation = 0;
	struct conf_snapshot *snap = conf_snapshot_get();

	outbox_owner(owner, sizeof(owner));
	log_info("outbox: worker %s sending through %s", owner,
		 conf_snapshot_conf(snap)->listener.smtp_url);
	conf_snapshot_put(snap);
	for (;;) {
		struct outbox_pass ps;
		struct timespec until;
		const struct conf *c;
		const struct token_key *key;
		int64_t now;

		pthread_mutex_lock(&w->lock);
		if (w->stop) {
			pthread_mutex_unlock(&w->lock);
			break;
		}
		pthread_mutex_unlock(&w->lock);
		snap = conf_snapshot_get();
		c = conf_snapshot_conf(snap);
		key = conf_snapshot_key(snap);
		if (generation != conf_snapshot_generation(snap)) {
			/* a new config may name another store */
			generation = conf_snapshot_generation(snap);
			if (st) {
				store_close(st);
				st = NULL;
			}
		}
		if (!st && store_open(c->general.store, &st, err,
				      sizeof(err)) != STORE_OK) {
			log_error("outbox: %s", err);
			st = NULL;
		}
		now = (int64_t)time(NULL);
		if (st) {
			outbox_run(st, c, key, owner, now, &ps);
			if (now - last_digest >= DIGEST_CHECK_EVERY) {
				last_digest = now;
				outbox_digests_due(st, c, now, &ps);
				customer_digests_due(st, c, key, now,
						     c->listener.outbox_lease);
				if (campaign_run_due(st, c, now) > 0) {
					conf_snapshot_put(snap);
					continue; /* send the round now */
				}
			}
		}
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += c->listener.outbox_interval;
		conf_snapshot_put(snap);
		pthread_mutex_lock(&wake_lock);
		while (!wake_flag && !w->stop)
			if (pthread_cond_timedwait(&wake_cond, &wake_lock,
						   &until) == ETIMEDOUT)
				break;
		wake_flag = 0;
		pthread_mutex_unlock(&wake_lock);
	}
	if (st)
		store_close(st);
	return NULL;
}

int outbox_start(struct outbox_worker **out, char *err, size_t errlen)
{
	struct outbox_worker *w = calloc(1, sizeof(*w));
	int rc;

	atomic_store(&outbox_stopping, 0);
	smtp_global_init();
	if (!w) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	pthread_mutex_init(&w->lock, NULL);
	if ((rc = pthread_create(&w->thread, NULL, worker_main, w)) != 0) {
		snprintf(err, errlen, "outbox: pthread_create: %s",
			 strerror(rc));
		pthread_mutex_destroy(&w->lock);
		free(w);
		return -1;
	}
	*out = w;
	return 0;
}

void outbox_stop(struct outbox_worker *w)
{
	if (!w)
		return;
	atomic_store(&outbox_stopping, 1);
	pthread_mutex_lock(&w->lock);
	w->stop = 1;
	pthread_mutex_unlock(&w->lock);
	pthread_mutex_lock(&wake_lock);
	pthread_cond_broadcast(&wake_cond);
	pthread_mutex_unlock(&wake_lock);
	pthread_join(w->thread, NULL);
	pthread_mutex_destroy(&w->lock);
	free(w);
}
