/* SPDX-License-Identifier: BSD-2-Clause */
/* Shared helpers of the mailmoodctl verbs: config and store opening (ctl.h). */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "ctl.h"

static const struct ctl_verb ctl_verbs[] = {
    {"test-rule",
     "test-rule MAIL.eml [--from SENDER] [--rcpt ADDR]... [--rewrite]\n"
     "                          which rule matches and what it captures, "
     "or what\n                          the milter does with a ticket "
     "reply; --rewrite prints\n                          the mail as the "
     "milter would send it",
     ctl_test_rule},
    {"show",
     "show [--json] TOKEN|SURVEY_ID  one survey: hits, ratings "
     "(comments), alerts",
     ctl_show},
    {"ingest",
     "ingest [-f SENDER] [-r RCPT]... < MAIL  one reply mail (pipe, "
     "aliases):\n                          exit 0 stored/ignored, 75 "
     "retry later, 65 not a mail",
     ctl_ingest},
    {"report",
     "report [--team T] [--agent A] [--rule R] [--since DATE] "
     "[--until DATE]\n                          [--by day|week|month|"
     "quarter] [--per agent|rule]\n                          [--format "
     "text|csv|json|html] [--output FILE]  figures",
     ctl_report},
    {"export",
     "export --format csv|json [--team T] [--since DATE] [--until DATE]"
     "\n                          every rating with its comments",
     ctl_export},
    {"purge",
     "purge --before DATE [--anonymize]  delete (or anonymize) older "
     "surveys",
     ctl_purge},
    {"passwd",
     "passwd USER [--team T]... [--admin]  dashboard user; password "
     "from stdin\n                          or prompted",
     ctl_passwd},
    {"user",
     "user list | user delete NAME  the dashboard users; delete ends "
     "their\n                          sessions",
     ctl_user},
    {"send-pending",
     "send-pending                one pass of the outbox: send the alerts, "
     "kudos\n                          and digests that are due",
     ctl_send_pending},
    {"digest", "digest TEAM                 send TEAM's digest now",
     ctl_digest},
    {"campaign",
     "campaign NAME --dry-run|--send [--summary]\n"
     "                          a relationship NPS round: who gets it per "
     "team and\n                          why others are left out; --send "
     "queues it",
     ctl_campaign},
    {"customer-digest",
     "customer-digest [--team T] [--date YYYY-MM-DD]  send the digest "
     "in which IT\n                          rates its customers now "
     "(default: yesterday)",
     ctl_customer_digest},
    {"migrate",
     "migrate [STORE]             create or upgrade the store's schema "
     "(a PostgreSQL\n                          store is only changed by "
     "this)",
     ctl_migrate},
    {"copy-store",
     "copy-store FROM TO          copy a store into a new one (SQLite <-> "
     "PostgreSQL),\n                          ids kept, row counts "
     "checked",
     ctl_copy_store},
    {NULL, NULL, NULL},
};

int ctl_dispatch(const char *config_path, const char *verb, int argc,
		 char **argv)
{
	for (size_t i = 0; ctl_verbs[i].name; i++)
		if (!strcmp(ctl_verbs[i].name, verb))
			return ctl_verbs[i].run(config_path, argc, argv);
	fprintf(stderr, "mailmoodctl: unknown verb '%s' (try --help)\n", verb);
	return EX_USAGE;
}

void ctl_usage_extra(FILE *out)
{
	for (size_t i = 0; ctl_verbs[i].name; i++)
		fprintf(out, "  %s\n", ctl_verbs[i].usage);
}
