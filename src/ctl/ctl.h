/* SPDX-License-Identifier: BSD-2-Clause */
/* Verbs of mailmoodctl that live in their own files (ctl_*.c). Each takes
 * the config path and its own argv (argv[0] is the verb) and returns a
 * sysexits.h code. */
#ifndef MM_CTL_H
#define MM_CTL_H

#include <stdint.h>
#include <stdio.h>

struct ctl_verb {
	const char *name;
	const char *usage; /* one line for --help */
	int (*run)(const char *config_path, int argc, char **argv);
};

/* Runs a verb from the table in ctl.c; EX_USAGE for an unknown one. */
int ctl_dispatch(const char *config_path, const char *verb, int argc,
		 char **argv);
void ctl_usage_extra(FILE *out);

int ctl_test_rule(const char *config_path, int argc, char **argv);
/* ctl_alert.c */
int ctl_send_pending(const char *config_path, int argc, char **argv);
int ctl_digest(const char *config_path, int argc, char **argv);
int ctl_show(const char *config_path, int argc, char **argv);
int ctl_ingest(const char *config_path, int argc, char **argv);
/* ctl_report.c */
int ctl_report(const char *config_path, int argc, char **argv);
int ctl_export(const char *config_path, int argc, char **argv);
int ctl_purge(const char *config_path, int argc, char **argv);
int ctl_passwd(const char *config_path, int argc, char **argv);
int ctl_user(const char *config_path, int argc, char **argv);
/* ctl_customer.c */
int ctl_customer_digest(const char *config_path, int argc, char **argv);
/* ctl_store.c */
int ctl_migrate(const char *config_path, int argc, char **argv);
int ctl_copy_store(const char *config_path, int argc, char **argv);
/* ctl_campaign.c */
int ctl_campaign(const char *config_path, int argc, char **argv);
struct conf;
struct token_key;
/* mailmoodctl report --campaign NAME [--format F] [--output FILE] */
int ctl_campaign_report(const char *config_path, int argc, char **argv);
/* mailmoodctl show of a campaign token (recipient id already verified). */
int ctl_campaign_show(const struct conf *c, const struct token_key *key,
		      const char *token, int64_t recipient_id, int json);

#endif
