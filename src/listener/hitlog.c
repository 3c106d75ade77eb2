/* SPDX-License-Identifier: BSD-2-Clause */
/* The hit writer thread: link hits recorded off the response path (hitlog.h).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "burst.h"
#include "clock.h"
#include "hitlog.h"
#include "log.h"
#include "metrics.h"
#include "store.h"
#include "store_campaign.h"

/* Beyond this many queued hits a request waits for the writer. */
#define HITLOG_MAX_QUEUED 32768
/* Request connections hand the checkpoint to the writer once the WAL
 * has this many pages (SQLite's default)... */
#define HITLOG_CHECKPOINT_PAGES 1000
/* ... the writer's own commits at four times that: a hot leaf of the
 * hits index that several transactions changed is then copied back once,
 * not once each (GET ratio 0.55 -> 0.69 of nginx on 1.5 M hits,
 * tests/bench/http). For the ratings' commits too, it lifted their p99
 * from 8 to 18-20 ms (bigger checkpoints, longer RESTART pauses). */
#define HITLOG_WRITER_CHECKPOINT_PAGES 4000
/* Passive checkpoints alone never let the WAL start over while requests
 * keep reading (each reader pins the frames it started with), so it grew
 * without bound (525 MB in 5 s of load): past this many frames (32 MB at
 * 4 KiB pages) the writer also runs a RESTART checkpoint, after which the
 * next commit writes the WAL from its start again (and journal_size_limit,
 * store_sqlite.c, cuts a bigger file back). */
#define HITLOG_RESTART_FRAMES 8192
/* A RESTART holds the write lock while it waits for readers of older
 * frames: wait that long at most (readers are short), else retry at the
 * next checkpoint (store_checkpoint then restores the busy timeout). */
#define HITLOG_RESTART_WAIT_MS 50
/* Hits per survey, summarised: kept while younger than the window plus
 * this slack (requests of one second may queue slightly out of order). */
#define HITLOG_SLACK 5
#define HITLOG_BUCKETS 4096
/* Hits per transaction at most. What a hit costs is mostly the pages it
 * dirties (WAL writes, checkpoint copies and fsyncs), above all the leaf
 * of hits(survey_id, at) where its survey's hits end: hits of one survey
 * in one transaction share that page. On a store of 1 M hits over 2,000
 * surveys, 256 hits a transaction cost the writer about as much CPU as
 * both request threads together (18 us a hit, perf); 4,096 gathered
 * over up to 100 ms (HITLOG_LINGER_MS), with the page cache and the
 * checkpoints below, 12 us (tests/bench/http). A rating that wants the write
 * lock meanwhile does not wait for the whole batch: the writer commits what it
 * has after HITLOG_HOLD_MS (store_lock_wanted) and lets it pass. */
#define HITLOG_BATCH 4096
/* Under load (hits came at HITLOG_LOADED_RATE a second or faster over
 * the last HITLOG_RATE_MS or more) a queued hit waits this long at most for
 * others to share its transaction, unless someone waits for it
 * (hitlog_sync, stop). On a crash the hits of this span are lost, as the
 * header says. A lone click is committed at once, as before. */
#define HITLOG_LINGER_MS 100
#define HITLOG_LOADED_RATE 1000
#define HITLOG_RATE_MS 100
/* Transactions of at least this many hits are logged (debug). */
#define HITLOG_LOG_BATCH 64
/* The writer's page cache: the hot leaves of the hits index stay in it
 * (SQLite's default of 2 MB held a fraction, and every other insert read
 * its leaf back from the WAL). */
#define HITLOG_CACHE_KIB 65536
/* A rating waiting for the write lock gets it after the writer has held
 * it this long: each transaction that follows another connection's
 * commit starts with an empty page cache (SQLite drops it), so a batch
 * cut after every hit would reread its leaves for every hit. */
#define HITLOG_HOLD_MS 5
/* After such an early commit the writer lets the waiters take the lock
 * before it goes on, polling this often, this many times at most (a
 * waiter's wake-up takes microseconds). */
#define HITLOG_YIELD_US 100
#define HITLOG_YIELD_MAX 50

struct item {
	struct item *next;
	int64_t queued_ns;   /* clock_mono_ns */
	struct hitlog_hit h; /* strings point into the same allocation */
	char *dsn;
	int machine;
	enum burst_reason reason;
	int ok;
};

/* ------------------------------------------------------------ summary
 *
 * The classifier asks "another level among the survey's hits in [now -
 * window, now]?". Scanning the survey's hits for that on every hit grows
 * with their number; the writer is the only connection of this process
 * that adds hits, so it keeps per survey the earliest and latest time of
 * each level within the window, loaded from the store the first time the
 * survey is seen. When another connection added hits meanwhile (another
 * process, a hit recorded in a request), the newest hit id differs from
 * the one the writer's last commit left, and then every summary is
 * reloaded from the store: exact, not a guess. (PRAGMA data_version, the
 * way before, changed with every rating too, and under a stream of them
 * every batch reloaded every summary.) Hits are only ever deleted with
 * their survey, whose later hits cannot be recorded any more. */
struct summary {
	struct summary *next;
	int64_t survey_id;
	int64_t since; /* covers hits at or after this */
	int64_t newest;
	unsigned gen;
	struct hit_span lv[STORE_MAX_LEVEL + 1];
};

struct writer {
	struct store *st;
	char *dsn;
	int64_t newest_id; /* max(hits.id) at the writer's last commit */
	unsigned gen;
	size_t nsum;
	struct summary *sum[HITLOG_BUCKETS];
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t work; /* items queued, checkpoint or stop asked */
	pthread_cond_t done; /* a batch finished, or room in the queue */
	struct item *head, **tail;
	size_t queued;
	uint64_t enq_seq, done_seq;
	int stop, checkpoint;
	int idle;	  /* the writer waits on work */
	int gathering;	  /* the writer waits for a fuller batch */
	unsigned syncers; /* threads in hitlog_sync */
	pthread_t thread;
} q = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .work = PTHREAD_COND_INITIALIZER,
    .done = PTHREAD_COND_INITIALIZER,
};
static atomic_int running;

/* ------------------------------------------------------------ recording */

/* What the hit's id names, for the log. */
static const char *hit_owner(const struct hitlog_hit *h)
{
	return h->campaign ? "campaign recipient" : "survey";
}

/* One hit inside the caller's transaction: classify against prior (the
 * survey's hits in the window), insert, maybe mark the window machine. */
static enum store_rc record_one(struct store *st, const struct hitlog_hit *h,
				const struct burst_hit *prior, size_t nprior,
				struct burst_result *res)
{
	struct burst_input in;
	struct hit row;
	enum store_rc rc;

	memset(&in, 0, sizeof(in));
	in.now = h->at;
	in.level = h->level;
	in.user_agent = h->user_agent;
	in.head = h->head;
	in.sent_at = h->sent_at;
	in.window = h->window;
	in.prior = prior;
	in.nprior = nprior;
	burst_classify_hit(&in, res);
	memset(&row, 0, sizeof(row));
	row.survey_id = h->survey_id;
	row.at = h->at;
	row.level = h->level;
	row.machine = res->reason != BURST_HUMAN;
	row.ip = (char *)h->ip;
	row.user_agent = (char *)(h->user_agent ? h->user_agent : "");
	if (h->campaign) {
		rc = store_campaign_hit_insert(st, &row);
		if (rc == STORE_OK && res->mark_prior)
			rc = store_campaign_hit_mark_machine(st, h->survey_id,
							     h->at - h->window);
		return rc;
	}
	rc = store_hit_insert(st, &row);
	if (rc == STORE_OK && res->mark_prior)
		rc =
		    store_hit_mark_machine(st, h->survey_id, h->at - h->window);
	return rc;
}

static struct burst_hit *prior_of(struct store *st, int campaign, int64_t id,
				  int64_t since, size_t *n)
{
	struct hit *rows = NULL;
	struct burst_hit *bh;
	size_t nh = 0;
	enum store_rc rc =
	    campaign ? store_campaign_hit_list(st, id, since, &rows, &nh)
		     : store_hit_list(st, id, since, &rows, &nh);

	*n = 0;
	if (rc != STORE_OK)
		return NULL;
	bh = calloc(nh ? nh : 1, sizeof(*bh));
	for (size_t i = 0; i < nh; i++) {
		if (bh) {
			bh[i].at = rows[i].at;
			bh[i].level = rows[i].level;
		}
		hit_free(&rows[i]);
	}
	free(rows);
	if (bh)
		*n = nh;
	return bh;
}

struct burst_hit *hitlog_prior(struct store *st, int64_t survey_id,
			       int64_t since, size_t *n)
{
	return prior_of(st, 0, survey_id, since, n);
}

struct burst_hit *hitlog_prior_campaign(struct store *st, int64_t recipient_id,
					int64_t since, size_t *n)
{
	return prior_of(st, 1, recipient_id, since, n);
}

/* The survey's (or campaign recipient's) hits in h's window, from the
 * store. */
static struct burst_hit *store_prior(struct store *st,
				     const struct hitlog_hit *h, size_t *n)
{
	return prior_of(st, h->campaign, h->survey_id, h->at - h->window, n);
}

static void after_commit(const struct hitlog_hit *h, int machine,
			 enum burst_reason reason)
{
	metrics_hit();
	if (machine)
		metrics_machine_hit();
	log_debug("%s %lld hit %s%s%s ip=%s", hit_owner(h),
		  (long long)h->survey_id, h->level_key ? h->level_key : "?",
		  machine ? " machine: " : "",
		  machine ? burst_reason_name(reason) : "", h->ip);
}

void hitlog_record(struct store *st, const struct hitlog_hit *h)
{
	struct burst_result res;

	if (store_begin(st) == STORE_OK) {
		size_t n = 0;
		struct burst_hit *prior = store_prior(st, h, &n);
		enum store_rc rc = record_one(st, h, prior, n, &res);
		free(prior);
		if (rc != STORE_OK || store_commit(st) != STORE_OK) {
			log_warn("%s %lld: cannot record a hit: %s",
				 hit_owner(h), (long long)h->survey_id,
				 store_errmsg(st));
			store_rollback(st);
		} else {
			after_commit(h, res.reason != BURST_HUMAN, res.reason);
		}
	} else {
		log_warn("%s %lld: cannot record a hit: %s", hit_owner(h),
			 (long long)h->survey_id, store_errmsg(st));
	}
}

/* ------------------------------------------------------------ summaries */

static void summaries_clear(struct writer *w)
{
	for (size_t b = 0; b < HITLOG_BUCKETS; b++) {
		while (w->sum[b]) {
			struct summary *s = w->sum[b];
			w->sum[b] = s->next;
			free(s);
		}
	}
	w->nsum = 0;
}

/* Drops summaries whose hits all left the window (and stale ones). */
static void summaries_sweep(struct writer *w, int64_t now, int64_t window)
{
	for (size_t b = 0; b < HITLOG_BUCKETS; b++) {
		struct summary **pp = &w->sum[b];
		while (*pp) {
			struct summary *s = *pp;
			if (s->gen != w->gen ||
			    s->newest < now - window - HITLOG_SLACK) {
				*pp = s->next;
				free(s);
				w->nsum--;
			} else {
				pp = &s->next;
			}
		}
	}
}

/* The summary of h's survey covering h's window, loaded when missing or
 * stale; NULL when it cannot answer (then the store is asked). */
static struct summary *summary_get(struct writer *w, const struct hitlog_hit *h)
{
	size_t b =
	    (size_t)((uint64_t)h->survey_id * 2654435761u) % HITLOG_BUCKETS;
	struct summary *s;

	for (s = w->sum[b]; s; s = s->next)
		if (s->survey_id == h->survey_id)
			break;
	if (s && s->gen == w->gen && s->since <= h->at - h->window)
		return s;
	/* Without an exclusive write lock another connection may add hits
	 * the summary misses: store_prior answers. */
	if (!store_tx_exclusive(w->st))
		return NULL;
	if (!s) {
		s = calloc(1, sizeof(*s));
		if (!s)
			return NULL;
		s->survey_id = h->survey_id;
		s->next = w->sum[b];
		w->sum[b] = s;
		w->nsum++;
	}
	s->gen = w->gen;
	s->since = h->at - h->window - HITLOG_SLACK;
	s->newest = h->at;
	if (store_hit_spans(w->st, h->survey_id, s->since, s->lv,
			    STORE_MAX_LEVEL + 1) != STORE_OK) {
		s->gen = w->gen - 1; /* unusable: reload next time */
		return NULL;
	}
	for (int i = 0; i <= STORE_MAX_LEVEL; i++)
		if (s->lv[i].max_at > s->newest)
			s->newest = s->lv[i].max_at;
	return s;
}

/* One representative hit per level inside [now - window, now]; -1 when
 * the summary cannot tell (hits both before and after that range). */
static int summary_prior(const struct summary *s, const struct hitlog_hit *h,
			 struct burst_hit *prior, size_t *n)
{
	int64_t lo = h->at - h->window, hi = h->at;

	*n = 0;
	for (int i = 0; i <= STORE_MAX_LEVEL; i++) {
		const struct hit_span *l = &s->lv[i];
		if (l->min_at > l->max_at || l->max_at < lo || l->min_at > hi)
			continue;
		if (l->max_at <= hi)
			prior[*n].at = l->max_at;
		else if (l->min_at >= lo)
			prior[*n].at = l->min_at;
		else
			return -1;
		prior[*n].level = i;
		(*n)++;
	}
	return 0;
}

static void summary_add(struct summary *s, const struct hitlog_hit *h)
{
	struct hit_span *l = &s->lv[h->level];

	if (h->at < l->min_at)
		l->min_at = h->at;
	if (h->at > l->max_at)
		l->max_at = h->at;
	if (h->at > s->newest)
		s->newest = h->at;
}

/* ------------------------------------------------------------ writer */

static void attach(struct store *st, int pages);

static void writer_close(struct writer *w)
{
	summaries_clear(w);
	if (w->st)
		store_close(w->st);
	w->st = NULL;
	free(w->dsn);
	w->dsn = NULL;
}

static int writer_open(struct writer *w, const char *dsn)
{
	char err[512];

	if (w->st && !strcmp(w->dsn, dsn))
		return 0;
	writer_close(w);
	if (store_open(dsn, &w->st, err, sizeof(err)) != STORE_OK) {
		log_error("hits: %s", err);
		w->st = NULL;
		return -1;
	}
	w->dsn = strdup(dsn);
	if (!w->dsn) {
		writer_close(w);
		return -1;
	}
	/* only speed depends on it: a failure is ignored */
	(void)store_set_cache_kib(w->st, HITLOG_CACHE_KIB);
	/* Its own commits too: a checkpoint inside the commit would run with
	 * this process's write lock held, and ratings would wait for its
	 * fsyncs; the writer runs it after the commit instead. */
	attach(w->st, HITLOG_WRITER_CHECKPOINT_PAGES);
	w->newest_id = -1;
	w->gen++;
	return 0;
}

/* The newest hit's id, 0 for none; -1 when it cannot tell. */
static int64_t newest_hit(struct writer *w)
{
	int64_t v;

	/* only exact under an exclusive write lock (summary_get) */
	if (!store_tx_exclusive(w->st) ||
	    store_hit_newest(w->st, &v) != STORE_OK)
		return -1;
	return v;
}

/* Records items first..end (same dsn) in one transaction, or fewer when
 * a rating waits for the write lock: *rest is the first item not
 * recorded (end when all were). 0, or -1 when the transaction failed as
 * a whole (nothing of it stored). */
static int write_batch(struct writer *w, struct item *first, struct item *end,
		       struct item **rest)
{
	int64_t began;
	struct item *it;
	int64_t newest;
	size_t count;

	if (store_begin(w->st) != STORE_OK)
		return -1;
	began = clock_mono_ms();
	/* under the write lock: nobody else adds hits until the commit */
	newest = newest_hit(w);
	if (newest < 0 || newest != w->newest_id)
		w->gen++;
	for (it = first; it != end; it = it->next) {
		struct burst_hit prior[STORE_MAX_LEVEL + 1], *dbp = NULL;
		struct burst_result res;
		struct summary *s = NULL;
		size_t n = 0;
		enum store_rc rc;

		/* the summaries cover survey hits; a campaign's few come
		 * from the store */
		if (!it->h.campaign && it->h.level >= 0 &&
		    it->h.level <= STORE_MAX_LEVEL)
			s = summary_get(w, &it->h);
		if (!s || summary_prior(s, &it->h, prior, &n) < 0) {
			dbp = store_prior(w->st, &it->h, &n);
			s = NULL;
		}
		rc = record_one(w->st, &it->h, dbp ? dbp : prior, n, &res);
		free(dbp);
		if (rc != STORE_OK) {
			log_warn("%s %lld: cannot record a hit: %s",
				 hit_owner(&it->h), (long long)it->h.survey_id,
				 store_errmsg(w->st));
			store_rollback(w->st);
			w->gen++;
			return -1;
		}
		if (s)
			summary_add(s, &it->h);
		else if (!it->h.campaign)
			w->gen++; /* the summary missed this hit */
		it->machine = res.reason != BURST_HUMAN;
		it->reason = res.reason;
		if (store_lock_wanted(w->st) &&
		    clock_mono_ms() - began >= HITLOG_HOLD_MS) {
			it = it->next;
			break;
		}
	}
	newest = newest_hit(w);
	if (store_commit(w->st) != STORE_OK) {
		log_warn("cannot record hits: %s", store_errmsg(w->st));
		w->gen++;
		return -1;
	}
	w->newest_id = newest;
	*rest = it;
	count = 0;
	for (it = first; it != *rest; it = it->next, count++)
		it->ok = 1;
	if (count >= HITLOG_LOG_BATCH)
		log_debug("hits: %zu recorded in one transaction", count);
	return 0;
}

/* Lets the threads waiting for the write lock take it before the writer
 * begins its next transaction (an unlocked mutex goes to whoever asks
 * first, and that would be the writer again). */
static void yield_lock(struct writer *w)
{
	struct timespec ts = {0, HITLOG_YIELD_US * 1000L};

	for (int i = 0; i < HITLOG_YIELD_MAX && store_lock_wanted(w->st); i++)
		nanosleep(&ts, NULL);
}

static void write_items(struct writer *w, struct item *list)
{
	int64_t now = 0, window = 0;

	while (list) {
		struct item *end = list->next;
		while (end && !strcmp(end->dsn, list->dsn))
			end = end->next;
		for (struct item *it = list, *rest;
		     it != end && writer_open(w, list->dsn) == 0; it = rest) {
			if (write_batch(w, it, end, &rest) < 0) {
				/* one bad hit (its survey purged meanwhile?)
				 * must not lose the others: one transaction
				 * each */
				for (; it != end; it = it->next)
					if (write_batch(w, it, it->next,
							&rest) < 0)
						break;
				break;
			}
			if (rest != end)
				yield_lock(w);
		}
		for (struct item *it = list; it != end; it = it->next) {
			if (it->ok)
				after_commit(&it->h, it->machine, it->reason);
			else
				log_warn("%s %lld: a hit was not recorded",
					 hit_owner(&it->h),
					 (long long)it->h.survey_id);
			if (it->h.at > now)
				now = it->h.at;
			if (it->h.window > window)
				window = it->h.window;
		}
		list = end;
	}
	if (w->nsum > 2 * HITLOG_BUCKETS)
		summaries_sweep(w, now, window);
}

static void checkpoint(struct writer *w)
{
	if (!w->st)
		return;
	/* Copies back what no reader needs, without the write lock: the
	 * fsyncs run while requests keep writing. */
	if (store_checkpoint(w->st, HITLOG_RESTART_FRAMES,
			     HITLOG_RESTART_WAIT_MS) != STORE_OK)
		log_debug("hits: log not restarted yet: %s",
			  store_errmsg(w->st));
}

/* With q.lock held: waits until a full batch is queued or the oldest
 * queued hit has waited HITLOG_LINGER_MS, unless somebody waits for the
 * hits (hitlog_sync, stop, a checkpoint). */
static void gather(int loaded)
{
	struct timespec until;
	int64_t ns;

	if (!q.head || q.queued >= HITLOG_BATCH || !loaded)
		return;
	ns = q.head->queued_ns + (int64_t)HITLOG_LINGER_MS * 1000000;
	until.tv_sec = (time_t)(ns / 1000000000);
	until.tv_nsec = (long)(ns % 1000000000);
	q.gathering = 1;
	while (q.queued < HITLOG_BATCH && !q.stop && !q.checkpoint &&
	       !q.syncers)
		if (pthread_cond_timedwait(&q.work, &q.lock, &until) != 0)
			break;
	q.gathering = 0;
}

static void *writer_main(void *arg)
{
	struct writer w;
	int64_t since = 0; /* the rate is measured since (clock_mono_ms) */
	size_t taken = 0;  /* hits taken since then */
	int loaded = 0;
	size_t n;

	(void)arg;
	memset(&w, 0, sizeof(w));
	pthread_mutex_lock(&q.lock);
	for (;;) {
		struct item *list;
		int64_t now;
		int ckpt;

		while (!q.head && !q.stop && !q.checkpoint) {
			q.idle = 1;
			pthread_cond_wait(&q.work, &q.lock);
			q.idle = 0;
		}
		/* a few clicks in a row are no load; an idle spell counts
		 * in the time, so the first hit after it is taken at once */
		now = clock_mono_ms();
		if (now - since >= HITLOG_RATE_MS) {
			loaded = (int64_t)taken * 1000 >=
				 (int64_t)HITLOG_LOADED_RATE * (now - since);
			since = now;
			taken = 0;
		}
		gather(loaded);
		if (!q.head && q.stop && !q.checkpoint)
			break;
		list = q.head;
		n = 0;
		if (list) {
			struct item *last = list;
			for (n = 1; n < HITLOG_BATCH && last->next; n++)
				last = last->next;
			q.head = last->next;
			last->next = NULL;
			if (!q.head)
				q.tail = &q.head;
		}
		q.queued -= n;
		taken += n;
		ckpt = q.checkpoint;
		q.checkpoint = 0;
		pthread_cond_broadcast(&q.done); /* room in the queue */
		pthread_mutex_unlock(&q.lock);

		write_items(&w, list);
		if (ckpt)
			checkpoint(&w);
		while (list) {
			struct item *next = list->next;
			free(list);
			list = next;
		}
		pthread_mutex_lock(&q.lock);
		q.done_seq += n;
		pthread_cond_broadcast(&q.done);
	}
	pthread_mutex_unlock(&q.lock);
	writer_close(&w);
	return NULL;
}

/* ------------------------------------------------------------ API */

int hitlog_start(void)
{
	pthread_condattr_t ca;
	int rc;

	/* the linger deadline is on the queue times (CLOCK_MONOTONIC): a
	 * clock set back must not stall the writer */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_destroy(&q.work);
	pthread_cond_init(&q.work, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_lock(&q.lock);
	q.head = NULL;
	q.tail = &q.head;
	q.queued = 0;
	q.stop = 0;
	q.idle = 0;
	q.gathering = 0;
	q.syncers = 0;
	q.checkpoint = 0;
	q.enq_seq = q.done_seq = 0;
	rc = pthread_create(&q.thread, NULL, writer_main, NULL);
	if (rc == 0)
		atomic_store(&running, 1);
	pthread_mutex_unlock(&q.lock);
	if (rc != 0)
		log_warn("hits: no writer thread (%s); recording in requests",
			 strerror(rc));
	return rc == 0 ? 0 : -1;
}

void hitlog_stop(void)
{
	if (!atomic_load(&running))
		return;
	pthread_mutex_lock(&q.lock);
	q.stop = 1;
	pthread_cond_signal(&q.work);
	pthread_mutex_unlock(&q.lock);
	pthread_join(q.thread, NULL);
	atomic_store(&running, 0);
}

static char *put(char **p, const char *s)
{
	size_t n = strlen(s) + 1;
	char *at = *p;

	memcpy(at, s, n);
	*p += n;
	return at;
}

int hitlog_add(const char *dsn, const struct hitlog_hit *h)
{
	const char *ua = h->user_agent, *key = h->level_key ? h->level_key : "";
	size_t need = sizeof(struct item) + strlen(dsn) + strlen(h->ip) +
		      (ua ? strlen(ua) : 0) + strlen(key) + 4;
	struct item *it;
	char *p;

	if (!atomic_load(&running))
		return -1;
	it = malloc(need);
	if (!it)
		return -1;
	memset(it, 0, sizeof(*it));
	it->h = *h;
	p = (char *)(it + 1);
	it->dsn = put(&p, dsn);
	it->h.ip = put(&p, h->ip);
	it->h.user_agent = ua ? put(&p, ua) : NULL;
	it->h.level_key = put(&p, key);
	it->queued_ns = clock_mono_ns();
	pthread_mutex_lock(&q.lock);
	if (q.stop) {
		pthread_mutex_unlock(&q.lock);
		free(it);
		return -1;
	}
	while (q.queued >= HITLOG_MAX_QUEUED && !q.stop)
		pthread_cond_wait(&q.done, &q.lock);
	*q.tail = it;
	q.tail = &it->next;
	q.queued++;
	q.enq_seq++;
	/* a busy writer takes this one with its next batch: wake it only
	 * when it waits (saves a futex call per hit) */
	if (q.idle || (q.gathering && q.queued == HITLOG_BATCH))
		pthread_cond_signal(&q.work);
	pthread_mutex_unlock(&q.lock);
	return 0;
}

void hitlog_sync(void)
{
	uint64_t want;

	if (!atomic_load(&running))
		return;
	pthread_mutex_lock(&q.lock);
	want = q.enq_seq;
	if (q.done_seq < want) {
		q.syncers++; /* the writer stops gathering */
		pthread_cond_signal(&q.work);
		while (q.done_seq < want)
			pthread_cond_wait(&q.done, &q.lock);
		q.syncers--;
	}
	pthread_mutex_unlock(&q.lock);
}

/* ------------------------------------------------------------ checkpoints */

/* A commit left the log big enough: the writer checkpoints (1), or,
 * without a writer, the commit does as usual (0). */
static int checkpoint_wanted(void *arg)
{
	(void)arg;
	if (atomic_load(&running)) {
		pthread_mutex_lock(&q.lock);
		if (!q.stop) {
			q.checkpoint = 1;
			pthread_cond_signal(&q.work);
			pthread_mutex_unlock(&q.lock);
			return 1;
		}
		pthread_mutex_unlock(&q.lock);
	}
	return 0;
}

static void attach(struct store *st, int pages)
{
	if (!st || !atomic_load(&running))
		return;
	store_set_checkpoint_hook(st, pages, checkpoint_wanted, NULL);
}

void hitlog_attach(struct store *st)
{
	attach(st, HITLOG_CHECKPOINT_PAGES);
}
