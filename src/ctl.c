#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "ctl.h"

static const struct ctl_verb ctl_verbs[] = {
	{"test-rule",
	 "test-rule MAIL.eml [--rewrite]  which rule matches and what it "
	 "captures;\n                          --rewrite prints the mail as "
	 "the milter would send it",
	 ctl_test_rule},
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
