/* SPDX-License-Identifier: BSD-2-Clause */
/* mailmoodctl send-pending: one pass of the outbox worker (cron, or a
 * host without mailmoodd); mailmoodctl digest TEAM: a team's digest now. */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "conf.h"
#include "ctl.h"
#include "log.h"
#include "outbox.h"
#include "smtp.h"
#include "store.h"
#include "token.h"

static int open_all(const char *config_path, struct conf **c, struct store **st,
		    struct token_key *key)
{
	char err[4096];

	*c = conf_load(config_path, err, sizeof(err));
	if (!*c) {
		fprintf(stderr, "%s\n", err);
		return EX_CONFIG;
	}
	if (key && token_key_load((*c)->general.secret_file, key, err,
				  sizeof(err)) < 0) {
		fprintf(stderr, "mailmoodctl: %s\n", err);
		conf_free(*c);
		return EX_CONFIG;
	}
	if (store_open((*c)->general.store, st, err, sizeof(err)) != STORE_OK) {
		fprintf(stderr, "mailmoodctl: %s\n", err);
		conf_free(*c);
		return EX_UNAVAILABLE;
	}
	smtp_global_init();
	return EX_OK;
}

int ctl_send_pending(const char *config_path, int argc, char **argv)
{
	struct conf *c;
	struct store *st;
	struct token_key key;
	struct outbox_pass ps;
	char owner[256];
	int rc;

	if (argc != 1) {
		fprintf(stderr, "usage: mailmoodctl send-pending\n");
		return EX_USAGE;
	}
	if ((rc = open_all(config_path, &c, &st, &key)) != EX_OK)
		return rc;
	outbox_owner(owner, sizeof(owner));
	rc = outbox_run(st, c, &key, owner, (int64_t)time(NULL), &ps);
	if (rc == 0) {
		int sent = ps.sent, retried = ps.retried, failed = ps.failed;
		outbox_digests_due(st, c, (int64_t)time(NULL), &ps);
		ps.sent = sent;
		ps.retried = retried;
		ps.failed = failed;
	}
	printf("sent %d, deferred %d, failed %d\n", ps.sent, ps.retried,
	       ps.failed);
	store_close(st);
	conf_free(c);
	memset(&key, 0, sizeof(key));
	if (rc < 0)
		return EX_UNAVAILABLE;
	return ps.retried || ps.failed ? EX_TEMPFAIL : EX_OK;
}

int ctl_digest(const char *config_path, int argc, char **argv)
{
	struct conf *c;
	struct store *st;
	const struct conf_team *t;
	char err[512];
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: mailmoodctl digest TEAM\n");
		return EX_USAGE;
	}
	if ((rc = open_all(config_path, &c, &st, NULL)) != EX_OK)
		return rc;
	t = conf_team_by_name(c, argv[1]);
	if (!t) {
		fprintf(stderr, "mailmoodctl: digest: no [team %s]\n", argv[1]);
		rc = EX_USAGE;
	} else if (outbox_digest_now(st, c, t, (int64_t)time(NULL), err,
				     sizeof(err)) < 0) {
		fprintf(stderr, "mailmoodctl: digest %s: %s\n", t->name, err);
		rc = EX_TEMPFAIL;
	} else {
		printf("digest %s sent to %s (%s)\n", t->name, t->alert_to,
		       err);
	}
	store_close(st);
	conf_free(c);
	return rc;
}
