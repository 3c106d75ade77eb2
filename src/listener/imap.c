/* SPDX-License-Identifier: BSD-2-Clause */
/* The IMAP poller for reply mails that land in a mailbox (imap.h). */
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <libetpan/libetpan.h>

#include "buf.h"
#include "conf_snapshot.h"
#include "imap.h"
#include "ingest.h"
#include "log.h"
#include "store.h"

/* Mails that are not mails (ingest says so) stay in the folder; they are
 * remembered so one broken file is not logged every round. */
#define IMAP_SKIP_MAX 256

/* A poller runs on the config snapshot it was started with, held for its
 * life: a reload stops it and starts a new one (mailmoodd), which logs in
 * again with the new settings. */
struct imap_poller {
	struct conf_snapshot *snap;
	const struct conf *conf; /* the snapshot's */
	const struct token_key *key;
	struct imap_url url;
	pthread_t thread;
	atomic_int stopping;
	uint32_t skip[IMAP_SKIP_MAX];
	size_t nskip;
	uint32_t uidvalidity;
};

int imap_url_parse(const char *url, struct imap_url *out)
{
	const char *h, *e, *colon;
	size_t n;

	memset(out, 0, sizeof(*out));
	if (!strncmp(url, "imaps://", 8)) {
		out->tls = 1;
		out->port = 993;
		h = url + 8;
	} else if (!strncmp(url, "imap://", 7)) {
		out->port = 143;
		h = url + 7;
	} else {
		return -1;
	}
	e = h + strcspn(h, "/");
	if (*e && strcmp(e, "/"))
		return -1; /* a path would name a folder: use [imap] folder */
	colon = memchr(h, ':', (size_t)(e - h));
	n = (size_t)((colon ? colon : e) - h);
	if (n == 0 || n >= sizeof(out->host))
		return -1;
	memcpy(out->host, h, n);
	if (colon) {
		char *end;
		long p = strtol(colon + 1, &end, 10);
		if (end != e || p <= 0 || p > 65535)
			return -1;
		out->port = (uint16_t)p;
	}
	return 0;
}

int imap_enabled(const struct conf *c)
{
	return c->imap.url && *c->imap.url;
}

static int stopping(struct imap_poller *p)
{
	return atomic_load(&p->stopping);
}

/* Sleeps up to secs, waking every second to look at the stop flag. */
static void nap(struct imap_poller *p, int64_t secs)
{
	for (int64_t i = 0; i < secs && !stopping(p); i++)
		sleep(1);
}

static char *read_password(const char *path, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "r");
	char line[1024];
	size_t n;

	if (!fp) {
		snprintf(err, errlen, "[imap] password_file %s: %s", path,
			 strerror(errno));
		return NULL;
	}
	if (!fgets(line, sizeof(line), fp))
		line[0] = '\0';
	fclose(fp);
	n = strlen(line);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	if (!n) {
		snprintf(err, errlen, "[imap] password_file %s: empty", path);
		return NULL;
	}
	return strdup(line);
}

/* ------------------------------------------------------------ TLS */

/* libetpan makes the TLS connection but does not check who is on the
 * other end: the chain and the host name are verified here, before the
 * password is sent. */
static int verify_peer(struct imap_poller *p, mailimap *imap, char *err,
		       size_t errlen)
{
	carray *chain = mailstream_get_certificate_chain(imap->imap_stream);
	gnutls_x509_trust_list_t tl = NULL;
	gnutls_x509_crt_t certs[16];
	gnutls_typed_vdata_st vd;
	unsigned int n = 0, status = 0;
	int rc = -1;

	if (!chain || carray_count(chain) == 0) {
		snprintf(err, errlen, "no server certificate");
		goto out;
	}
	for (unsigned int i = 0; i < carray_count(chain) && n < 16; i++) {
		MMAPString *der = carray_get(chain, i);
		gnutls_datum_t d = {(unsigned char *)der->str,
				    (unsigned int)der->len};
		if (gnutls_x509_crt_init(&certs[n]) < 0)
			goto out;
		if (gnutls_x509_crt_import(certs[n], &d, GNUTLS_X509_FMT_DER) <
		    0) {
			gnutls_x509_crt_deinit(certs[n]);
			snprintf(err, errlen, "unreadable server certificate");
			goto out;
		}
		n++;
	}
	if (gnutls_x509_trust_list_init(&tl, 0) < 0)
		goto out;
	if (p->conf->imap.ca_file) {
		if (gnutls_x509_trust_list_add_trust_file(
			tl, p->conf->imap.ca_file, NULL, GNUTLS_X509_FMT_PEM, 0,
			0) <= 0) {
			snprintf(err, errlen,
				 "[imap] ca_file %s: no certificate",
				 p->conf->imap.ca_file);
			goto out;
		}
	} else if (gnutls_x509_trust_list_add_system_trust(tl, 0, 0) <= 0) {
		snprintf(err, errlen, "no system CA certificates");
		goto out;
	}
	memset(&vd, 0, sizeof(vd));
	vd.type = GNUTLS_DT_DNS_HOSTNAME;
	vd.data = (unsigned char *)p->url.host;
	if (gnutls_x509_trust_list_verify_crt2(tl, certs, n, &vd, 1, 0, &status,
					       NULL) < 0 ||
	    status != 0) {
		gnutls_datum_t txt = {NULL, 0};
		gnutls_certificate_verification_status_print(
		    status, GNUTLS_CRT_X509, &txt, 0);
		snprintf(err, errlen, "certificate of %s not trusted: %s",
			 p->url.host, txt.data ? (char *)txt.data : "?");
		gnutls_free(txt.data);
		goto out;
	}
	rc = 0;
out:
	if (tl)
		gnutls_x509_trust_list_deinit(tl, 0);
	for (unsigned int i = 0; i < n; i++)
		gnutls_x509_crt_deinit(certs[i]);
	if (chain)
		mailstream_certificate_chain_free(chain);
	if (rc < 0 && !*err)
		snprintf(err, errlen, "certificate check failed");
	return rc;
}

/* ------------------------------------------------------------ session */

static const char *imap_resp(mailimap *imap)
{
	const char *r = imap->imap_response;

	return r && *r ? r : "no answer";
}

static int connect_login(struct imap_poller *p, mailimap *imap, char *err,
			 size_t errlen)
{
	char *pw;
	int r;

	mailimap_set_timeout(imap, (time_t)p->conf->imap.timeout);
	r = p->url.tls
		? mailimap_ssl_connect(imap, p->url.host, p->url.port)
		: mailimap_socket_connect(imap, p->url.host, p->url.port);
	if (r != MAILIMAP_NO_ERROR_NON_AUTHENTICATED &&
	    r != MAILIMAP_NO_ERROR_AUTHENTICATED && r != MAILIMAP_NO_ERROR) {
		snprintf(err, errlen, "connect %s:%u: error %d", p->url.host,
			 p->url.port, r);
		return -1;
	}
	if (p->url.tls && p->conf->imap.tls_verify &&
	    verify_peer(p, imap, err, errlen) < 0)
		return -1;
	if (!(pw = read_password(p->conf->imap.password_file, err, errlen)))
		return -1;
	r = mailimap_login(imap, p->conf->imap.user, pw);
	memset(pw, 0, strlen(pw));
	free(pw);
	if (r != MAILIMAP_NO_ERROR) {
		snprintf(err, errlen, "login as %s: %s", p->conf->imap.user,
			 imap_resp(imap));
		return -1;
	}
	/* The folder for processed mail; "already exists" is fine. */
	mailimap_create(imap, p->conf->imap.move_to);
	if (mailimap_select(imap, p->conf->imap.folder) != MAILIMAP_NO_ERROR) {
		snprintf(err, errlen, "select %s: %s", p->conf->imap.folder,
			 imap_resp(imap));
		return -1;
	}
	if (imap->imap_selection_info &&
	    imap->imap_selection_info->sel_uidvalidity != p->uidvalidity) {
		p->uidvalidity = imap->imap_selection_info->sel_uidvalidity;
		p->nskip = 0; /* UIDs changed meaning */
	}
	return 0;
}

static int skipped(struct imap_poller *p, uint32_t uid)
{
	for (size_t i = 0; i < p->nskip; i++)
		if (p->skip[i] == uid)
			return 1;
	return 0;
}

/* MOVE (RFC 6851) where the server has it, else COPY, \Deleted and
 * EXPUNGE of that UID only (UIDPLUS) or of the folder. */
static int move_done(struct imap_poller *p, mailimap *imap, uint32_t uid)
{
	struct mailimap_set *set = mailimap_set_new_single(uid);
	const char *to = p->conf->imap.move_to;
	int r;

	if (!set)
		return -1;
	if (mailimap_has_extension(imap, "MOVE")) {
		r = mailimap_uid_move(imap, set, to);
	} else {
		struct mailimap_flag_list *fl = mailimap_flag_list_new_empty();
		struct mailimap_store_att_flags *sf;

		r = mailimap_uid_copy(imap, set, to);
		if (r == MAILIMAP_NO_ERROR && fl) {
			mailimap_flag_list_add(fl, mailimap_flag_new_deleted());
			sf = mailimap_store_att_flags_new_add_flags_silent(fl);
			r = sf ? mailimap_uid_store(imap, set, sf) : -1;
			if (sf)
				mailimap_store_att_flags_free(sf);
			else
				mailimap_flag_list_free(fl);
			if (r == MAILIMAP_NO_ERROR)
				r = mailimap_has_extension(imap, "UIDPLUS")
					? mailimap_uid_expunge(imap, set)
					: mailimap_expunge(imap);
		} else if (fl) {
			mailimap_flag_list_free(fl);
		}
	}
	mailimap_set_free(set);
	if (r != MAILIMAP_NO_ERROR) {
		log_error("imap: moving UID %u to %s: %s", uid, to,
			  imap_resp(imap));
		return -1;
	}
	return 0;
}

/* The raw mail of one UID; NULL when the server has none (expunged). */
static char *fetch_one(mailimap *imap, uint32_t uid, size_t *len, int *err)
{
	struct mailimap_set *set = mailimap_set_new_single(uid);
	struct mailimap_fetch_type *ft =
	    mailimap_fetch_type_new_fetch_att_list_empty();
	struct mailimap_section *sec = mailimap_section_new(NULL);
	clist *res = NULL;
	char *out = NULL;
	int r;

	*err = 0;
	mailimap_fetch_type_new_fetch_att_list_add(
	    ft, mailimap_fetch_att_new_body_peek_section(sec));
	r = mailimap_uid_fetch(imap, set, ft, &res);
	mailimap_fetch_type_free(ft);
	mailimap_set_free(set);
	if (r != MAILIMAP_NO_ERROR) {
		*err = 1;
		return NULL;
	}
	for (clistiter *it = clist_begin(res); it && !out;
	     it = clist_next(it)) {
		struct mailimap_msg_att *ma = clist_content(it);
		for (clistiter *j = clist_begin(ma->att_list); j;
		     j = clist_next(j)) {
			struct mailimap_msg_att_item *item = clist_content(j);
			struct mailimap_msg_att_body_section *bs;
			if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC ||
			    item->att_data.att_static->att_type !=
				MAILIMAP_MSG_ATT_BODY_SECTION)
				continue;
			bs = item->att_data.att_static->att_data
				 .att_body_section;
			if (!bs->sec_body_part)
				continue;
			out = malloc(bs->sec_length + 1);
			if (out) {
				memcpy(out, bs->sec_body_part, bs->sec_length);
				out[bs->sec_length] = '\0';
				*len = bs->sec_length;
			} else {
				*err = 1;
			}
			break;
		}
	}
	mailimap_fetch_list_free(res);
	return out;
}

/* One round over the folder. -1 when the connection broke. */
static int poll_folder(struct imap_poller *p, mailimap *imap)
{
	clist *uids = NULL;
	struct mailimap_search_key *key = mailimap_search_key_new_all();
	struct ingest_env ie = {p->conf, p->key, NULL};
	int r, broken = 0;

	r = mailimap_uid_search(imap, NULL, key, &uids);
	mailimap_search_key_free(key);
	if (r != MAILIMAP_NO_ERROR) {
		log_error("imap: search in %s: %s", p->conf->imap.folder,
			  imap_resp(imap));
		return -1;
	}
	for (clistiter *it = clist_begin(uids); it && !stopping(p);
	     it = clist_next(it)) {
		uint32_t uid = *(uint32_t *)clist_content(it);
		struct ingest_envelope ev;
		struct ingest_outcome o;
		struct store *st = NULL;
		char err[512];
		size_t len = 0;
		int ferr;
		char *msg;
		enum ingest_result res;

		if (skipped(p, uid))
			continue;
		msg = fetch_one(imap, uid, &len, &ferr);
		if (!msg) {
			if (ferr) {
				log_error("imap: fetch UID %u: %s", uid,
					  imap_resp(imap));
				broken = 1;
				break;
			}
			continue;
		}
		memset(&ev, 0, sizeof(ev));
		ev.source = REPLY_SOURCE_IMAP;
		ev.now = (int64_t)time(NULL);
		if (len > p->conf->listener.max_reply_size) {
			log_warn("imap: UID %u: %zu bytes, over max_reply_size;"
				 " left in %s",
				 uid, len, p->conf->imap.folder);
			res = INGEST_BADMAIL;
		} else {
			if (store_open(p->conf->general.store, &st, err,
				       sizeof(err)) != STORE_OK) {
				log_error("imap: %s", err);
				st = NULL;
			}
			res = ingest_mail(&ie, st, msg, len, &ev, &o);
			store_close(st);
		}
		free(msg);
		if (res == INGEST_STORED || res == INGEST_IGNORED) {
			if (move_done(p, imap, uid) < 0) {
				/* stored, but still here: the next round
				 * finds it again, and ingest knows its
				 * Message-ID */
				broken = 1;
				break;
			}
		} else if (res == INGEST_BADMAIL) {
			if (p->nskip < IMAP_SKIP_MAX)
				p->skip[p->nskip++] = uid;
		}
		/* TEMPFAIL: stays, tried again next round */
	}
	mailimap_search_result_free(uids);
	return broken ? -1 : 0;
}

/* Waits for new mail: IDLE (RFC 2177) for at most poll seconds where the
 * server has it, else a plain nap. -1 when the connection broke. */
static int wait_for_mail(struct imap_poller *p, mailimap *imap)
{
	int64_t waited = 0, limit = p->conf->imap.poll;
	int fd, got = 0;

	if (!mailimap_has_idle(imap)) {
		nap(p, limit);
		return 0;
	}
	if (mailimap_idle(imap) != MAILIMAP_NO_ERROR)
		return -1;
	fd = mailimap_idle_get_fd(imap);
	while (!got && waited < limit && !stopping(p)) {
		struct pollfd pf = {fd, POLLIN, 0};
		int r = poll(&pf, 1, 1000);
		if (r > 0)
			got = 1; /* EXISTS (or anything): look again */
		else if (r == 0)
			waited++;
		else if (errno != EINTR)
			break;
	}
	log_debug("imap: idle ended after %llds (%s)", (long long)waited,
		  got ? "server spoke" : "timeout");
	return mailimap_idle_done(imap) == MAILIMAP_NO_ERROR ? 0 : -1;
}

static void *poller(void *arg)
{
	struct imap_poller *p = arg;

	while (!stopping(p)) {
		mailimap *imap = mailimap_new(0, NULL);
		char err[512] = "";

		if (!imap) {
			log_error("imap: out of memory");
			nap(p, p->conf->imap.poll);
			continue;
		}
		if (connect_login(p, imap, err, sizeof(err)) < 0) {
			log_error("imap: %s: %s; retrying in %llds",
				  p->conf->imap.url, err,
				  (long long)p->conf->imap.poll);
			mailimap_free(imap);
			nap(p, p->conf->imap.poll);
			continue;
		}
		log_info("imap: logged in to %s as %s, watching %s (%s)",
			 p->conf->imap.url, p->conf->imap.user,
			 p->conf->imap.folder,
			 mailimap_has_idle(imap) ? "IDLE" : "polling");
		while (!stopping(p)) {
			if (poll_folder(p, imap) < 0 ||
			    wait_for_mail(p, imap) < 0) {
				log_warn("imap: connection lost; "
					 "reconnecting");
				break;
			}
		}
		if (stopping(p))
			mailimap_logout(imap);
		mailimap_free(imap);
		if (!stopping(p))
			nap(p, 1);
	}
	return NULL;
}

int imap_start(struct imap_poller **out, struct conf_snapshot *snap, char *err,
	       size_t errlen)
{
	struct imap_poller *p = calloc(1, sizeof(*p));
	const struct conf *conf = conf_snapshot_conf(snap);

	*out = NULL;
	if (!p) {
		snprintf(err, errlen, "imap: out of memory");
		return -1;
	}
	p->conf = conf;
	p->key = conf_snapshot_key(snap);
	if (imap_url_parse(conf->imap.url, &p->url) < 0) {
		snprintf(err, errlen, "[imap] url: cannot parse '%s'",
			 conf->imap.url);
		goto fail;
	}
	atomic_init(&p->stopping, 0);
	p->snap = conf_snapshot_hold(snap);
	if (pthread_create(&p->thread, NULL, poller, p) != 0) {
		snprintf(err, errlen, "imap: cannot start a thread");
		conf_snapshot_put(p->snap);
		goto fail;
	}
	*out = p;
	return 0;
fail:
	free(p);
	return -1;
}

void imap_stop(struct imap_poller *p)
{
	if (!p)
		return;
	atomic_store(&p->stopping, 1);
	pthread_join(p->thread, NULL);
	conf_snapshot_put(p->snap);
	free(p);
}
