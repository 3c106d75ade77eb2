/* SPDX-License-Identifier: BSD-2-Clause */
/* mailmoodctl customer-digest [--team T] [--date YYYY-MM-DD]: the digest
 * that lets IT rate its customers, sent by hand (customer_rating.h). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "conf.h"
#include "ctl.h"
#include "customer_rating.h"
#include "smtp.h"
#include "store.h"
#include "token.h"

int ctl_customer_digest(const char *config_path, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"team", required_argument, NULL, 't'},
	    {"date", required_argument, NULL, 'd'},
	    {NULL, 0, NULL, 0},
	};
	const char *team = NULL, *date = NULL;
	struct customer_day day;
	struct token_key key;
	struct store *st = NULL;
	struct conf *c;
	char err[4096];
	int o, rc = EX_OK, y, m, d;
	int64_t now = (int64_t)time(NULL);

	optind = 1;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (o == 't')
			team = optarg;
		else if (o == 'd')
			date = optarg;
		else
			goto usage;
	}
	if (optind != argc)
		goto usage;
	if (date && tz_parse_date(date, &y, &m, &d) < 0) {
		fprintf(stderr,
			"mailmoodctl: customer-digest: --date %s: not a date "
			"(YYYY-MM-DD)\n",
			date);
		return EX_USAGE;
	}
	if (!(c = conf_load(config_path, err, sizeof(err)))) {
		fprintf(stderr, "%s\n", err);
		return EX_CONFIG;
	}
	if (team) {
		const struct conf_team *t = conf_team_by_name(c, team);
		if (!t || !t->rate_customer) {
			fprintf(stderr,
				"mailmoodctl: customer-digest: no [team %s] "
				"with rate_customer = yes\n",
				team);
			conf_free(c);
			return EX_USAGE;
		}
	}
	if (token_key_load(c->general.secret_file, &key, err, sizeof(err)) <
	    0) {
		fprintf(stderr, "mailmoodctl: %s\n", err);
		conf_free(c);
		return EX_CONFIG;
	}
	if (store_open(c->general.store, &st, err, sizeof(err)) != STORE_OK) {
		fprintf(stderr, "mailmoodctl: %s\n", err);
		conf_free(c);
		memset(&key, 0, sizeof(key));
		return EX_UNAVAILABLE;
	}
	smtp_global_init();
	if (date)
		customer_day_of(&c->general.tz, y, m, d, &day);
	else
		customer_yesterday(&c->general.tz, now, &day, NULL);
	if (customer_digest_send(st, c, &key, team, &day, now, stdout) < 0)
		rc = EX_TEMPFAIL;
	store_close(st);
	conf_free(c);
	memset(&key, 0, sizeof(key));
	return rc;
usage:
	fprintf(stderr, "usage: mailmoodctl customer-digest [--team T] "
			"[--date YYYY-MM-DD]\n");
	return EX_USAGE;
}
