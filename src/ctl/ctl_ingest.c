/* SPDX-License-Identifier: BSD-2-Clause */
/* mailmoodctl ingest [-f SENDER] [-r RECIPIENT]... : one reply mail on
 * stdin, for aliases(5) ("|mailmoodctl ingest") and pipe(8) when LMTP is
 * not an option. Exit codes are what the MTA's pipe delivery understands
 * (sysexits.h): 0 stored or deliberately ignored, 75 EX_TEMPFAIL could not
 * store (the MTA keeps the mail and retries), 65 EX_DATAERR not a mail or
 * too large (bounced). Without -f/-r the environment local(8) sets is
 * used: SENDER, ORIGINAL_RECIPIENT or RECIPIENT. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "ctl.h"
#include "ingest.h"
#include "log.h"
#include "store.h"
#include "token.h"

static int exit_code(enum ingest_result r)
{
	switch (r) {
	case INGEST_STORED:
	case INGEST_IGNORED:
		return EX_OK;
	case INGEST_BADMAIL:
		return EX_DATAERR;
	case INGEST_TEMPFAIL:
		break;
	}
	return EX_TEMPFAIL;
}

/* Reads stdin up to max bytes; 1 when there was more (too large). */
static int read_mail(struct buf *b, uint64_t max)
{
	char chunk[65536];
	size_t n;

	while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0) {
		if (b->len + n > max)
			return 1;
		buf_append(b, chunk, n);
	}
	return 0;
}

int ctl_ingest(const char *config_path, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"sender", required_argument, NULL, 'f'},
	    {"recipient", required_argument, NULL, 'r'},
	    {NULL, 0, NULL, 0},
	};
	const char *rcpts[64], *sender = NULL, *env_rcpt;
	size_t nrcpts = 0;
	char err[4096];
	struct conf *c;
	struct token_key key;
	struct store *st = NULL;
	struct ingest_env ie;
	struct ingest_envelope ev;
	struct ingest_outcome o;
	struct buf mail;
	enum ingest_result r;
	int ch, too_big;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "f:r:", opts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			sender = optarg;
			break;
		case 'r':
			if (nrcpts < sizeof(rcpts) / sizeof(rcpts[0]))
				rcpts[nrcpts++] = optarg;
			break;
		default:
			fprintf(stderr, "usage: mailmoodctl ingest [-f SENDER] "
					"[-r RECIPIENT]... < MAIL\n");
			return EX_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "usage: mailmoodctl ingest [-f SENDER] "
				"[-r RECIPIENT]... < MAIL\n");
		return EX_USAGE;
	}
	if (!sender)
		sender = getenv("SENDER");
	if (!nrcpts && ((env_rcpt = getenv("ORIGINAL_RECIPIENT")) ||
			(env_rcpt = getenv("RECIPIENT"))))
		rcpts[nrcpts++] = env_rcpt;

	/* A broken config is the admin's to fix; the MTA should keep the
	 * mail meanwhile, so this is a temporary failure too. */
	if (!(c = conf_load(config_path, err, sizeof(err)))) {
		fprintf(stderr, "mailmoodctl: %s\n", err);
		return EX_TEMPFAIL;
	}
	if (token_key_load(c->general.secret_file, &key, err, sizeof(err)) <
	    0) {
		fprintf(stderr, "mailmoodctl: %s\n", err);
		conf_free(c);
		return EX_TEMPFAIL;
	}
	buf_init(&mail);
	too_big = read_mail(&mail, c->listener.max_reply_size);
	if (too_big || mail.failed) {
		fprintf(stderr,
			"mailmoodctl: ingest: %s (max_reply_size %llu)\n",
			too_big ? "mail too large" : "out of memory",
			(unsigned long long)c->listener.max_reply_size);
		buf_free(&mail);
		conf_free(c);
		memset(&key, 0, sizeof(key));
		return too_big ? EX_DATAERR : EX_TEMPFAIL;
	}
	if (store_open(c->general.store, &st, err, sizeof(err)) != STORE_OK) {
		log_error("ingest: %s", err);
		st = NULL;
	}
	ie.conf = c;
	ie.key = &key;
	ie.tx_lock = NULL;
	memset(&ev, 0, sizeof(ev));
	ev.source = REPLY_SOURCE_INGEST;
	ev.sender = sender;
	ev.rcpts = rcpts;
	ev.nrcpts = nrcpts;
	ev.now = (int64_t)time(NULL);
	r = ingest_mail(&ie, st, mail.data ? mail.data : "", mail.len, &ev, &o);
	store_close(st);
	buf_free(&mail);
	conf_free(c);
	memset(&key, 0, sizeof(key));
	return exit_code(r);
}
