/* SPDX-License-Identifier: BSD-2-Clause */
/* The libmilter callbacks: per-connection and per-message contexts (milter.h).
 */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libmilter/mfapi.h>

#include "buf.h"
#include "closure.h"
#include "conf_snapshot.h"
#include "log.h"
#include "milter.h"
#include "ticket_reply.h"

#define MILTER_POOL 8
#define MILTER_MAX_HEADERS 1000

/* What one configuration needs at run time: the milter's part of a config
 * snapshot (conf_snapshot.h), built once per load. Messages hold the
 * snapshot for their whole life, so a reload never pulls the config out
 * from under a mail in flight. */
struct milter_state {
	struct conf_snapshot *snap; /* not a reference: lives as long */
	const struct conf *conf;    /* the snapshot's */
	const struct token_key *key;
	struct inject_templates templates;
	struct rules_internal internal;
	pthread_mutex_t pool_lock;
	struct store *pool[MILTER_POOL];
	int npool;
};

#define MILTER_MAX_RCPTS 1000

/* What the body is read for, decided at end of headers; MSG_STRIP only
 * waits for end of message to delete X-Mailmood-Rating fields it did not
 * add (a sender must not be able to tell a ticket system "rated, do not
 * reopen"). */
enum msg_kind { MSG_CLOSURE, MSG_TICKET_REPLY, MSG_STRIP };

#define RATING_HEADER "X-Mailmood-Rating"

struct msgctx {
	struct milter_state *st;
	char *sender;
	char **rcpts; /* as the MTA gave them, for smfi_delrcpt */
	size_t nrcpts;
	struct rules_header *h;
	size_t nh;
	struct buf raw; /* header block as received, blank line, body */
	int has_ctype, has_cte;
	int skip; /* over max_size or not ours: pass unchanged */
	enum msg_kind kind;
	int64_t survey_hint; /* MSG_TICKET_REPLY: found by Message-ID */
	const char *hint_by; /* NULL: by Message-ID; "ref": by a token */
	int rating_headers;  /* X-Mailmood-Rating fields as received */
};

struct connctx {
	struct msgctx *msg;
};

static void state_free(void *data)
{
	struct milter_state *st = data;

	for (int i = 0; i < st->npool; i++)
		store_close(st->pool[i]);
	inject_templates_free(&st->templates);
	rules_internal_free(&st->internal);
	pthread_mutex_destroy(&st->pool_lock);
	free(st);
}

static int state_build(struct conf_snapshot *s, void **out, char *err,
		       size_t errlen)
{
	struct milter_state *st = calloc(1, sizeof(*st));

	if (!st) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	st->snap = s;
	st->conf = conf_snapshot_conf(s);
	st->key = conf_snapshot_key(s);
	if (inject_templates_load(st->conf->general.templates, &st->templates,
				  err, errlen) < 0) {
		inject_templates_free(&st->templates);
		free(st);
		return -1;
	}
	if (rules_internal_build(st->conf, &st->internal) < 0) {
		snprintf(err, errlen, "out of memory");
		inject_templates_free(&st->templates);
		free(st);
		return -1;
	}
	pthread_mutex_init(&st->pool_lock, NULL);
	*out = st;
	return 0;
}

static const struct conf_part milter_conf_part = {"milter", state_build,
						  state_free};

/* The current snapshot's milter state, with the snapshot held; NULL after
 * shutdown. */
static struct milter_state *state_get(void)
{
	struct conf_snapshot *s = conf_snapshot_get();

	return s ? conf_snapshot_part(s, &milter_conf_part) : NULL;
}

static void state_put(struct milter_state *st)
{
	if (st)
		conf_snapshot_put(st->snap);
}

/* Store handles are not shared between threads; a small pool saves
 * opening SQLite (and preparing statements) for every mail. */
static struct store *pool_take(struct milter_state *st, char *err,
			       size_t errlen)
{
	struct store *s = NULL;

	pthread_mutex_lock(&st->pool_lock);
	if (st->npool > 0)
		s = st->pool[--st->npool];
	pthread_mutex_unlock(&st->pool_lock);
	if (!s &&
	    store_open(st->conf->general.store, &s, err, errlen) != STORE_OK)
		return NULL;
	return s;
}

static void pool_give(struct milter_state *st, struct store *s, int broken)
{
	pthread_mutex_lock(&st->pool_lock);
	if (!broken && st->npool < MILTER_POOL) {
		st->pool[st->npool++] = s;
		s = NULL;
	}
	pthread_mutex_unlock(&st->pool_lock);
	if (s)
		store_close(s);
}

int milter_state_install(struct conf *c, char *err, size_t errlen)
{
	static const struct conf_part *const parts[] = {&milter_conf_part};
	struct token_key key;
	struct conf_snapshot *s;

	if (token_key_load(c->general.secret_file, &key, err, errlen) < 0) {
		conf_free(c);
		return -1;
	}
	s = conf_snapshot_new(c, &key, parts, 1, err, errlen);
	memset(&key, 0, sizeof(key));
	if (!s)
		return -1;
	conf_snapshot_replace(s);
	return 0;
}

void milter_reload(const char *path)
{
	char err[4096];
	struct conf *c = conf_load(path, err, sizeof(err));
	size_t nrules, nteams;
	enum log_level level;

	if (!c) {
		log_error("reload: %s; keeping the running configuration", err);
		return;
	}
	nrules = c->nrules;
	nteams = c->nteams;
	level = c->general.log_level;
	if (milter_state_install(c, err, sizeof(err)) < 0) {
		log_error("reload: %s; keeping the running configuration", err);
		return;
	}
	log_set_level(level);
	log_info("reload: %s: %zu rules, %zu teams", path, nrules, nteams);
}

void milter_state_shutdown(void)
{
	conf_snapshot_replace(NULL);
}

static void msg_free(struct msgctx *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nh; i++) {
		free((char *)m->h[i].name);
		free((char *)m->h[i].value);
	}
	free(m->h);
	free(m->sender);
	for (size_t i = 0; i < m->nrcpts; i++)
		free(m->rcpts[i]);
	free(m->rcpts);
	buf_free(&m->raw);
	state_put(m->st);
	free(m);
}

static struct connctx *conn_of(SMFICTX *ctx)
{
	return smfi_getpriv(ctx);
}

static const char *qid_of(SMFICTX *ctx)
{
	const char *q = smfi_getsymval(ctx, "i");
	return q ? q : "NOQUEUE";
}

/* The failure rule: an internal error never rejects or loses mail. */
static sfsistat on_error(const struct msgctx *m)
{
	if (m && m->st &&
	    m->st->conf->milter.on_error == CONF_ON_ERROR_TEMPFAIL)
		return SMFIS_TEMPFAIL;
	return SMFIS_ACCEPT;
}

static sfsistat cb_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *addr)
{
	struct connctx *cc = calloc(1, sizeof(*cc));

	if (!cc) {
		log_error("NOQUEUE: out of memory at connect; mail passes "
			  "unchanged");
		return SMFIS_ACCEPT;
	}
	smfi_setpriv(ctx, cc);
	return SMFIS_CONTINUE;
}

static sfsistat cb_envfrom(SMFICTX *ctx, char **argv)
{
	struct connctx *cc = conn_of(ctx);
	struct msgctx *m;

	if (!cc)
		return SMFIS_ACCEPT;
	msg_free(cc->msg);
	cc->msg = m = calloc(1, sizeof(*m));
	if (!m || !(m->st = state_get()) ||
	    !(m->sender = strdup(argv[0] ? argv[0] : ""))) {
		log_error("%s: out of memory at MAIL FROM", qid_of(ctx));
		msg_free(m);
		cc->msg = NULL;
		return SMFIS_ACCEPT;
	}
	buf_init(&m->raw);
	return SMFIS_CONTINUE;
}

static sfsistat cb_envrcpt(SMFICTX *ctx, char **argv)
{
	struct connctx *cc = conn_of(ctx);
	struct msgctx *m = cc ? cc->msg : NULL;
	char **r, *dup;

	if (!m)
		return SMFIS_ACCEPT;
	if (!argv[0] || m->nrcpts >= MILTER_MAX_RCPTS)
		return SMFIS_CONTINUE;
	if (!(dup = strdup(argv[0])))
		goto oom;
	if (!(r = realloc(m->rcpts, (m->nrcpts + 1) * sizeof(*r)))) {
		free(dup);
		goto oom;
	}
	m->rcpts = r;
	r[m->nrcpts++] = dup;
	return SMFIS_CONTINUE;
oom:
	log_error("%s: out of memory at RCPT TO", qid_of(ctx));
	return on_error(m);
}

static int over_size(struct msgctx *m)
{
	return m->raw.len > m->st->conf->milter.max_size;
}

static sfsistat cb_header(SMFICTX *ctx, char *name, char *value)
{
	struct connctx *cc = conn_of(ctx);
	struct msgctx *m = cc ? cc->msg : NULL;
	struct rules_header *h;

	if (!m)
		return SMFIS_ACCEPT;
	if (!strcasecmp(name, RATING_HEADER))
		m->rating_headers++;
	if (m->skip)
		return SMFIS_CONTINUE;
	if (m->nh >= MILTER_MAX_HEADERS) {
		m->skip = 1;
		log_info("%s: more than %d header fields; passes unchanged",
			 qid_of(ctx), MILTER_MAX_HEADERS);
		return SMFIS_CONTINUE;
	}
	h = realloc(m->h, (m->nh + 1) * sizeof(*h));
	if (!h)
		goto oom;
	m->h = h;
	h[m->nh].name = strdup(name);
	h[m->nh].value = strdup(value);
	if (!h[m->nh].name || !h[m->nh].value) {
		free((char *)h[m->nh].name);
		free((char *)h[m->nh].value);
		goto oom;
	}
	m->nh++;
	if (!strcasecmp(name, "Content-Type"))
		m->has_ctype = 1;
	if (!strcasecmp(name, "Content-Transfer-Encoding"))
		m->has_cte = 1;
	buf_puts(&m->raw, name);
	buf_puts(&m->raw, ": ");
	buf_puts(&m->raw, value);
	buf_puts(&m->raw, "\r\n");
	if (m->raw.failed)
		goto oom;
	return SMFIS_CONTINUE;
oom:
	log_error("%s: out of memory reading headers", qid_of(ctx));
	return on_error(m);
}

/* A mail no rule takes may be a reply to the ticket address: only one
 * with In-Reply-To/References touches the store here, and only one that
 * names a surveyed closure mail has its body sent. A reply without those
 * headers that quotes a Ref: token is looked for only with
 * ticket_reply_scan = bodies: that means every body of every mail (see
 * tests/bench/milter). 1 read the body, 0 accept, -1 store failure
 * (logged). */
static int ticket_reply_wanted(SMFICTX *ctx, struct msgctx *m)
{
	struct store *store;
	enum store_rc rc;
	char err[512];

	if (m->st->conf->milter.ticket_replies == CONF_TICKET_REPLIES_OFF)
		return 0;
	for (size_t i = 0; i < m->nrcpts; i++)
		if (ticket_reply_for_listener(m->st->conf, m->rcpts[i]))
			return 0;
	if (!ticket_reply_threaded(m->h, m->nh))
		return m->st->conf->milter.ticket_reply_scan ==
		       CONF_TICKET_REPLY_SCAN_BODIES;
	if (!(store = pool_take(m->st, err, sizeof(err)))) {
		log_error("%s: store: %s; mail passes %s", qid_of(ctx), err,
			  m->st->conf->milter.on_error == CONF_ON_ERROR_TEMPFAIL
			      ? "to tempfail"
			      : "unchanged");
		return -1;
	}
	rc = ticket_reply_lookup(store, m->h, m->nh, &m->survey_hint);
	if (rc != STORE_OK && rc != STORE_NOTFOUND)
		log_error("%s: store: %s; mail passes %s", qid_of(ctx),
			  store_errmsg(store),
			  m->st->conf->milter.on_error == CONF_ON_ERROR_TEMPFAIL
			      ? "to tempfail"
			      : "unchanged");
	pool_give(m->st, store, rc != STORE_OK && rc != STORE_NOTFOUND);
	if (rc == STORE_OK)
		return 1;
	if (rc == STORE_NOTFOUND)
		return m->st->conf->milter.ticket_reply_scan ==
		       CONF_TICKET_REPLY_SCAN_BODIES;
	return -1;
}

static sfsistat cb_eoh(SMFICTX *ctx)
{
	struct connctx *cc = conn_of(ctx);
	struct msgctx *m = cc ? cc->msg : NULL;
	struct closure_env env;
	struct closure_mail mail;
	struct closure_result r;
	enum closure_outcome oc;

	if (!m || m->skip)
		return SMFIS_ACCEPT;
	env = (struct closure_env){m->st->conf, m->st->key, &m->st->templates,
				   NULL, &m->st->internal};
	mail = (struct closure_mail){
	    qid_of(ctx), m->sender, m->nrcpts ? m->rcpts[0] : NULL, m->h, m->nh,
	    NULL,	 0};
	oc = closure_check(&env, &mail, &r);
	if (oc == CLOSURE_UNCHANGED)
		closure_log(&mail, &r);
	closure_result_free(&r);
	if (oc == CLOSURE_ERROR) {
		log_error("%s: out of memory matching rules", qid_of(ctx));
		return on_error(m);
	}
	if (oc == CLOSURE_MATCHED) {
		m->kind = MSG_CLOSURE;
	} else {
		/* Not a closure mail (or one a guard stopped): the MTA need
		 * not send the body, unless it answers a survey. */
		if (oc == CLOSURE_NO_RULE)
			log_debug("%s: no rule matched", qid_of(ctx));
		int rc = ticket_reply_wanted(ctx, m);
		if (rc < 0)
			return on_error(m);
		if (rc == 0 && m->rating_headers > 0) {
			m->kind = MSG_STRIP;
			return SMFIS_CONTINUE;
		}
		if (rc == 0)
			return SMFIS_ACCEPT;
		m->kind = MSG_TICKET_REPLY;
	}
	buf_puts(&m->raw, "\r\n");
	if (over_size(m)) {
		m->skip = 1;
		log_info("%s: %s over max_size (%llu); passes unchanged",
			 qid_of(ctx),
			 m->kind == MSG_CLOSURE ? "closure mail"
						: "ticket reply",
			 (unsigned long long)m->st->conf->milter.max_size);
		return SMFIS_ACCEPT;
	}
	return SMFIS_CONTINUE;
}

static sfsistat cb_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	struct connctx *cc = conn_of(ctx);
	struct msgctx *m = cc ? cc->msg : NULL;

	if (!m || m->skip)
		return SMFIS_ACCEPT;
	if (m->kind == MSG_STRIP)
		return SMFIS_CONTINUE;
	buf_append(&m->raw, chunk, len);
	if (m->raw.failed) {
		log_error("%s: out of memory reading the body", qid_of(ctx));
		return on_error(m);
	}
	if (over_size(m)) {
		m->skip = 1;
		log_info("%s: %s over max_size (%llu); passes unchanged",
			 qid_of(ctx),
			 m->kind == MSG_CLOSURE ? "closure mail"
						: "ticket reply",
			 (unsigned long long)m->st->conf->milter.max_size);
		return SMFIS_ACCEPT;
	}
	return SMFIS_CONTINUE;
}

static int replace_body(SMFICTX *ctx, const char *body, size_t len)
{
	/* libmilter frames each call as one packet; keep them moderate. */
	const size_t chunk = 65535;

	for (size_t off = 0; off < len; off += chunk) {
		size_t n = len - off < chunk ? len - off : chunk;
		if (smfi_replacebody(ctx, (unsigned char *)body + off,
				     (int)n) != MI_SUCCESS)
			return -1;
	}
	return 0;
}

static int set_header(SMFICTX *ctx, const char *name, const char *value,
		      int present)
{
	if (present)
		return smfi_chgheader(ctx, (char *)name, 1, (char *)value) ==
			       MI_SUCCESS
			   ? 0
			   : -1;
	return smfi_addheader(ctx, (char *)name, (char *)value) == MI_SUCCESS
		   ? 0
		   : -1;
}

/* Header values from the store or a config never carry CR/LF. */
static void header_safe(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
}

/* divert: the envelope recipients the reply's To names (the ticket
 * address the person replied to) are replaced by reply_address; when To
 * names none of them, all are. Other recipients (a Cc) keep their copy. */
static int divert(SMFICTX *ctx, struct msgctx *m)
{
	const char *to = NULL;
	char *addr = m->st->conf->listener.reply_address, *bracketed;
	int named = 0, rc = 0;
	size_t n;

	for (size_t i = 0; i < m->nh && !to; i++)
		if (!strcasecmp(m->h[i].name, "To"))
			to = m->h[i].value;
	for (int pass = 0; pass < 2 && rc == 0; pass++) {
		for (size_t i = 0; i < m->nrcpts && rc == 0; i++) {
			char *a = rules_first_address(m->rcpts[i]);
			int in_to = 0;

			if (a && to) {
				char *low = strdup(to);
				if (low) {
					for (char *c = low; *c; c++)
						*c = (char)tolower(
						    (unsigned char)*c);
					in_to = strstr(low, a) != NULL;
					free(low);
				}
			}
			free(a);
			if (pass == 0) {
				named |= in_to;
				continue;
			}
			if ((in_to || !named) &&
			    smfi_delrcpt(ctx, m->rcpts[i]) != MI_SUCCESS)
				rc = -1;
		}
	}
	if (rc < 0)
		return -1;
	n = strlen(addr) + 3;
	if (!(bracketed = malloc(n)))
		return -1;
	snprintf(bracketed, n, "<%s>", addr);
	header_safe(bracketed);
	rc = smfi_addrcpt(ctx, bracketed) == MI_SUCCESS ? 0 : -1;
	free(bracketed);
	return rc;
}

static sfsistat eom_ticket_reply(SMFICTX *ctx, struct msgctx *m,
				 struct store *store)
{
	struct ticket_reply_env env = {m->st->conf, m->st->key, store, 0};
	struct ticket_reply_mail mail = {
	    qid_of(ctx), m->sender,  m->h,	     m->nh,
	    m->raw.data, m->raw.len, m->survey_hint, m->hint_by};
	struct ticket_reply_result r;
	sfsistat ret = SMFIS_CONTINUE;

	ticket_reply_process(&env, &mail, &r);
	pool_give(m->st, store, r.action == TICKET_REPLY_ERROR);
	if (r.action == TICKET_REPLY_RECORDED ||
	    r.action == TICKET_REPLY_DIVERTED) {
		/* Recorded already: a refused header or recipient change
		 * leaves the mail as it was, on its way to the desk. */
		header_safe(r.header);
		if (smfi_addheader(ctx, (char *)RATING_HEADER, r.header) !=
		    MI_SUCCESS)
			log_warn("%s: MTA refused the X-Mailmood-Rating header",
				 mail.qid);
		if (r.action == TICKET_REPLY_DIVERTED && divert(ctx, m) < 0) {
			log_warn("%s: MTA refused the recipient change; the "
				 "reply goes to its recipients",
				 mail.qid);
			r.action = TICKET_REPLY_RECORDED;
		}
	}
	ticket_reply_log(&mail, &r);
	if (r.action == TICKET_REPLY_ERROR)
		ret = on_error(m);
	return ret;
}

static sfsistat cb_eom(SMFICTX *ctx)
{
	struct connctx *cc = conn_of(ctx);
	struct msgctx *m = cc ? cc->msg : NULL;
	struct closure_env env;
	struct closure_mail mail;
	struct closure_result r;
	struct store *store;
	char err[512];
	sfsistat ret = SMFIS_CONTINUE;
	const char *qid = qid_of(ctx);

	if (!m || m->skip)
		return SMFIS_CONTINUE;
	for (int i = m->rating_headers; i > 0; i--)
		if (smfi_chgheader(ctx, (char *)RATING_HEADER, i, NULL) !=
		    MI_SUCCESS) {
			log_error("%s: MTA refused to delete a received %s "
				  "field",
				  qid, RATING_HEADER);
			return on_error(m);
		}
	if (m->rating_headers > 0)
		log_info("%s: %d received %s field(s) deleted", qid,
			 m->rating_headers, RATING_HEADER);
	if (m->kind == MSG_STRIP)
		return SMFIS_CONTINUE;
	if (m->kind == MSG_TICKET_REPLY && !m->survey_hint) {
		/* ticket_reply_scan = bodies: no store without a token */
		m->survey_hint = ticket_reply_token_survey(
		    m->st->key, m->raw.data, m->raw.len);
		if (!m->survey_hint)
			return SMFIS_CONTINUE;
		m->hint_by = "ref";
	}
	store = pool_take(m->st, err, sizeof(err));
	if (!store) {
		log_error("%s: store: %s; mail passes %s", qid, err,
			  m->st->conf->milter.on_error == CONF_ON_ERROR_TEMPFAIL
			      ? "to tempfail"
			      : "unchanged");
		return on_error(m);
	}
	if (m->kind == MSG_TICKET_REPLY)
		return eom_ticket_reply(ctx, m, store);
	env = (struct closure_env){m->st->conf, m->st->key, &m->st->templates,
				   store, &m->st->internal};
	mail = (struct closure_mail){
	    qid,	 m->sender, m->nrcpts ? m->rcpts[0] : NULL, m->h, m->nh,
	    m->raw.data, m->raw.len};
	closure_process(&env, &mail, &r);
	pool_give(m->st, store, r.outcome == CLOSURE_ERROR);
	if (r.outcome == CLOSURE_INJECTED) {
		if ((r.splice.content_type &&
		     set_header(ctx, "Content-Type", r.splice.content_type,
				m->has_ctype) < 0) ||
		    (r.splice.content_transfer_encoding &&
		     set_header(ctx, "Content-Transfer-Encoding",
				r.splice.content_transfer_encoding,
				m->has_cte) < 0) ||
		    replace_body(ctx, r.splice.body, r.splice.body_len) < 0) {
			/* The survey exists but its links may not have left;
			 * the MTA falls back to its default_action. */
			snprintf(r.reason, sizeof(r.reason),
				 "MTA refused the body replacement");
			r.outcome = CLOSURE_ERROR;
		}
	}
	closure_log(&mail, &r);
	if (r.outcome == CLOSURE_ERROR)
		ret = on_error(m);
	closure_result_free(&r);
	return ret;
}

static sfsistat cb_abort(SMFICTX *ctx)
{
	struct connctx *cc = conn_of(ctx);

	if (cc) {
		msg_free(cc->msg);
		cc->msg = NULL;
	}
	return SMFIS_CONTINUE;
}

static sfsistat cb_close(SMFICTX *ctx)
{
	struct connctx *cc = conn_of(ctx);

	if (cc) {
		msg_free(cc->msg);
		free(cc);
		smfi_setpriv(ctx, NULL);
	}
	return SMFIS_CONTINUE;
}

/* eom of a message that ended normally: free it before the next MAIL. */
static sfsistat cb_eom_wrap(SMFICTX *ctx)
{
	struct connctx *cc = conn_of(ctx);
	sfsistat rc = cb_eom(ctx);

	if (cc) {
		msg_free(cc->msg);
		cc->msg = NULL;
	}
	return rc;
}

int milter_register(void)
{
	struct smfiDesc desc = {
	    .xxfi_name = "mailmood",
	    .xxfi_version = SMFI_VERSION,
	    .xxfi_flags = SMFIF_CHGBODY | SMFIF_CHGHDRS | SMFIF_ADDHDRS |
			  SMFIF_ADDRCPT | SMFIF_DELRCPT,
	    .xxfi_connect = cb_connect,
	    .xxfi_envfrom = cb_envfrom,
	    .xxfi_envrcpt = cb_envrcpt,
	    .xxfi_header = cb_header,
	    .xxfi_eoh = cb_eoh,
	    .xxfi_body = cb_body,
	    .xxfi_eom = cb_eom_wrap,
	    .xxfi_abort = cb_abort,
	    .xxfi_close = cb_close,
	};
	return smfi_register(desc) == MI_SUCCESS ? 0 : -1;
}
