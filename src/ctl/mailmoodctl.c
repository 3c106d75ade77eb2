/* SPDX-License-Identifier: BSD-2-Clause */
/* mailmoodctl: the admin's command line. Thin: parses options, loads the
 * config, and hands each verb to the library. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>

#include "conf.h"
#include "store.h"
#include "ctl.h"
#include "inject.h"
#include "log.h"
#include "page.h"
#include "scale.h"
#include "token.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: mailmoodctl [-c FILE] VERB [ARGS]\n"
		"\n"
		"verbs:\n"
		"  check-config            parse the config and report errors "
		"as FILE:LINE\n"
		"  keygen [FILE]           write a new 32-byte secret key "
		"(mode 0600)\n"
		"  keygen --add [FILE]     rotation: a new signing key in "
		"front, the old ones\n"
		"                          still verify\n"
		"  link SURVEY_ID [LEVEL]  print the signed rating link(s) of "
		"a survey\n");
	ctl_usage_extra(out);
	fprintf(out,
		"\n"
		"The config is -c FILE, else $MAILMOOD_CONFIG, else %s.\n",
		SYSCONFDIR "/mailmood/mailmood.conf");
}

static struct conf *load_conf(const char *path)
{
	char err[4096];
	struct conf *c = conf_load(path, err, sizeof(err));

	if (!c)
		fprintf(stderr, "%s\n", err);
	return c;
}

/* The rating blocks and the pages, compiled and checked against the
 * names they are given; 0, or -1 with err naming the file and line. */
static int check_templates(const char *dir, char *err, size_t errlen)
{
	struct inject_templates blocks;
	struct page_set *pages = NULL;

	if (inject_templates_load(dir, &blocks, err, errlen) < 0)
		return -1;
	inject_templates_free(&blocks);
	if (page_set_load(dir, &pages, err, errlen) < 0)
		return -1;
	page_set_free(pages);
	return 0;
}

static int cmd_check_config(const char *path)
{
	struct conf *c = load_conf(path);
	struct token_key key;
	struct stat st;
	char err[512];
	int rc = EX_OK;

	if (!c)
		return EX_CONFIG;
	/* The example's base_url passes the parser, but links there reach
	 * nobody: the packaged units run this before starting, so a config
	 * not yet edited keeps them stopped, saying what to set. */
	if (conf_url_is_example(c->general.base_url)) {
		fprintf(stderr,
			"%s: [general] base_url: %s is an example name "
			"(RFC 2606): set it to the public URL of mailmoodd's "
			"rating pages, the links in the mails point there\n",
			path, c->general.base_url);
		rc = EX_CONFIG;
	}
	/* A missing key file is fine for a config still being written, a
	 * present but unsafe one is not. */
	if (stat(c->general.secret_file, &st) < 0 && errno == ENOENT) {
		fprintf(stderr,
			"%s: warning: [general] secret_file: %s does not "
			"exist yet (mailmoodctl keygen %s)\n",
			path, c->general.secret_file, c->general.secret_file);
	} else if (token_key_load(c->general.secret_file, &key, err,
				  sizeof(err)) < 0) {
		fprintf(stderr, "%s: [general] secret_file: %s\n", path, err);
		rc = EX_CONFIG;
	}
	/* What the milter and mailmoodd load at start and on reload: an
	 * edited template with a typo is reported here, before a restart
	 * fails on it. */
	if (check_templates(c->general.templates, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s: [general] templates: %s\n", path, err);
		rc = EX_CONFIG;
	}
	if (c->listener.smtp_user &&
	    c->listener.smtp_tls == CONF_SMTP_TLS_NONE &&
	    strncmp(c->listener.smtp_url, "smtps://", 8) != 0)
		fprintf(stderr,
			"%s: warning: [listener] smtp_tls = none with "
			"smtp_user: the relay password goes out without TLS\n",
			path);
	if (rc == EX_OK) {
		char shown[512];

		store_dsn_shown(c->general.store, shown, sizeof(shown));
		printf("%s: OK: %zu rule%s, %zu team%s, scale %s, store %s, "
		       "milter %s, http %s\n",
		       path, c->nrules, c->nrules == 1 ? "" : "s", c->nteams,
		       c->nteams == 1 ? "" : "s", c->general.scale->name, shown,
		       c->milter.socket, c->listener.http);
	}
	conf_free(c);
	return rc;
}

static int cmd_keygen(const char *config_path, int argc, char **argv)
{
	char err[512];
	const char *file;
	struct conf *c = NULL;
	int add = argc > 1 && !strcmp(argv[1], "--add");

	if (add) {
		argc--;
		argv++;
	}
	if (argc > 2) {
		fprintf(stderr, "usage: mailmoodctl keygen [--add] [FILE]\n");
		return EX_USAGE;
	}
	if (argc > 1) {
		file = argv[1];
	} else {
		c = load_conf(config_path);
		if (!c)
			return EX_CONFIG;
		file = c->general.secret_file;
	}
	if (add) {
		size_t n = 0;

		if (token_key_add(file, &n, err, sizeof(err)) < 0) {
			fprintf(stderr, "mailmoodctl: keygen --add: %s\n", err);
			conf_free(c);
			return EX_CANTCREAT;
		}
		printf("added a new signing key in front of %s (%zu keys, the "
		       "older ones still verify); reload mailmood-milter and "
		       "mailmoodd\n",
		       file, n);
		conf_free(c);
		return EX_OK;
	}
	if (token_key_generate(file, err, sizeof(err)) < 0) {
		fprintf(stderr, "mailmoodctl: keygen: %s\n", err);
		conf_free(c);
		return errno == EEXIST ? EX_CANTCREAT : EX_IOERR;
	}
	printf("wrote a new key to %s (mode 0600)\n", file);
	conf_free(c);
	return EX_OK;
}

static int cmd_link(const char *config_path, int argc, char **argv)
{
	struct conf *c;
	struct token_key key;
	char err[512], tok[TOKEN_BUFSZ], *end;
	const struct scale *sc;
	long long id;
	int level;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: mailmoodctl link SURVEY_ID [LEVEL]\n");
		return EX_USAGE;
	}
	errno = 0;
	id = strtoll(argv[1], &end, 10);
	if (*end || errno || id <= 0) {
		fprintf(stderr, "mailmoodctl: link: bad survey id '%s'\n",
			argv[1]);
		return EX_USAGE;
	}
	c = load_conf(config_path);
	if (!c)
		return EX_CONFIG;
	if (token_key_load(c->general.secret_file, &key, err, sizeof(err)) <
	    0) {
		fprintf(stderr, "mailmoodctl: %s\n", err);
		conf_free(c);
		return EX_CONFIG;
	}
	sc = c->general.scale;
	if (token_make(&key, id, tok) < 0) {
		conf_free(c);
		return EX_SOFTWARE;
	}
	if (argc == 3) {
		if (scale_parse_level(sc, argv[2], &level) < 0) {
			fprintf(stderr,
				"mailmoodctl: link: '%s' is not a level of "
				"the %s scale\n",
				argv[2], sc->name);
			conf_free(c);
			return EX_USAGE;
		}
		printf("%s/r/%s/%d\n", c->general.base_url, tok, level);
	} else {
		for (int i = 0; i < sc->nlevels; i++)
			printf("%s/r/%s/%d\t%s\n", c->general.base_url, tok,
			       sc->levels[i].value, sc->levels[i].key);
	}
	conf_free(c);
	return EX_OK;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	const char *config = NULL;
	const char *verb;
	int ch;

	log_init("mailmoodctl", 1);
	while ((ch = getopt_long(argc, argv, "+c:hV", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			config = optarg;
			break;
		case 'h':
			usage(stdout);
			return EX_OK;
		case 'V':
			printf("mailmoodctl %s\n", PACKAGE_VERSION);
			return EX_OK;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EX_USAGE;
	}
	config = conf_default_path(config);
	verb = argv[optind];
	argc -= optind;
	argv += optind;
	if (!strcmp(verb, "check-config"))
		return cmd_check_config(config);
	if (!strcmp(verb, "keygen"))
		return cmd_keygen(config, argc, argv);
	if (!strcmp(verb, "link"))
		return cmd_link(config, argc, argv);
	if (!strcmp(verb, "help")) {
		usage(stdout);
		return EX_OK;
	}
	return ctl_dispatch(config, verb, argc, argv);
}
