/* SPDX-License-Identifier: BSD-2-Clause */
/* mailmoodctl migrate and copy-store: the schema of a store, and moving a
 * store between SQLite and PostgreSQL. */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "conf.h"
#include "ctl.h"
#include "store.h"

/* The dsn an argument names, or the configured store. */
static int ctl_store_dsn(const char *config_path, const char *arg,
			 struct conf **c, const char **dsn)
{
	char err[4096];

	*c = NULL;
	if (arg) {
		*dsn = arg;
		return EX_OK;
	}
	if (!(*c = conf_load(config_path, err, sizeof(err)))) {
		fprintf(stderr, "%s\n", err);
		return EX_CONFIG;
	}
	*dsn = (*c)->general.store;
	return EX_OK;
}

static int ctl_store_exit(enum store_rc rc)
{
	return rc == STORE_BUSY ? EX_TEMPFAIL : EX_UNAVAILABLE;
}

int ctl_migrate(const char *config_path, int argc, char **argv)
{
	struct conf *c;
	const char *dsn;
	char err[1024];
	enum store_rc rc;
	int from, to, ex;

	if (argc > 2) {
		fprintf(stderr, "usage: mailmoodctl migrate [STORE]\n");
		return EX_USAGE;
	}
	if ((ex = ctl_store_dsn(config_path, argc == 2 ? argv[1] : NULL, &c,
				&dsn)) != EX_OK)
		return ex;
	rc = store_migrate(dsn, &from, &to, err, sizeof(err));
	conf_free(c);
	if (rc != STORE_OK) {
		fprintf(stderr, "mailmoodctl: %s\n", err);
		return ctl_store_exit(rc);
	}
	if (from == to)
		printf("schema version %d: up to date\n", to);
	else
		printf("schema version %d -> %d\n", from, to);
	return EX_OK;
}

static void ctl_copy_progress(void *arg, const char *table, int64_t rows)
{
	(void)arg;
	printf("%-10s %lld rows\n", table, (long long)rows);
	fflush(stdout);
}

int ctl_copy_store(const char *config_path, int argc, char **argv)
{
	struct store *from = NULL, *to = NULL;
	char err[1024];
	enum store_rc rc;
	int v1, v2;

	(void)config_path;
	if (argc != 3 || !strcmp(argv[1], argv[2])) {
		fprintf(stderr,
			"usage: mailmoodctl copy-store FROM TO  (two "
			"different stores: a path or postgresql://...)\n");
		return EX_USAGE;
	}
	if ((rc = store_open(argv[1], &from, err, sizeof(err))) != STORE_OK) {
		fprintf(stderr, "mailmoodctl: %s\n", err);
		return ctl_store_exit(rc);
	}
	/* A new destination gets its schema here; an old one is refused by
	 * store_copy unless it is empty. */
	if ((rc = store_migrate(argv[2], &v1, &v2, err, sizeof(err))) !=
		STORE_OK ||
	    (rc = store_open(argv[2], &to, err, sizeof(err))) != STORE_OK) {
		fprintf(stderr, "mailmoodctl: %s\n", err);
		store_close(from);
		return ctl_store_exit(rc);
	}
	rc = store_copy(from, to, ctl_copy_progress, NULL, err, sizeof(err));
	store_close(from);
	store_close(to);
	if (rc != STORE_OK) {
		fprintf(stderr, "mailmoodctl: copy-store: %s\n", err);
		return ctl_store_exit(rc);
	}
	printf("copied, counts match\n");
	return EX_OK;
}
