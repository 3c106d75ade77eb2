/* SPDX-License-Identifier: BSD-2-Clause */
/* Test helper for the HTTP integration tests: makes surveys the way the
 * milter would (through the store API) and shows what the store holds.
 *   mm-mksurvey mk DB KEYFILE [-t TEAM] [-k TICKET] [-a AGO] [-s SCALE]
 *                             [-l LANG] [-S STATUS] [-r REQUESTER]
 *                             -> "ID TOKEN"
 *   mm-mksurvey ack KEYFILE OUTBOX_ID  -> the signed acknowledge token
 *                                         of that alert (the /a/ link)
 *   mm-mksurvey tokens KEYFILE         tokens on stdin, one a line -> the
 *                                         survey id of each (0: invalid)
 *   mm-mksurvey show DB ID
 *     hit LEVEL MACHINE                 (one line per hit, oldest first)
 *     rating LEVEL CURRENT SOURCE       then "why=..." "better=..." raw
 *     outbox KIND STATE RATING_ID */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store.h"
#include "token.h"

static int mk(int argc, char **argv)
{
	struct survey s;
	struct store *st;
	struct token_key key;
	char err[512], tok[TOKEN_BUFSZ];
	long ago = 3600;
	int ch;

	memset(&s, 0, sizeof(s));
	s.ticket = "INC-1";
	s.team = "acme";
	s.scale = "thermometer";
	s.rule = "servicedesk";
	s.requester = "j.doe@acme.example";
	s.agent = "agent";
	s.status = SURVEY_SENT;
	optind = 3;
	while ((ch = getopt(argc, argv, "t:k:a:s:l:S:r:")) != -1) {
		switch (ch) {
		case 't':
			s.team = optarg;
			break;
		case 'k':
			s.ticket = optarg;
			break;
		case 'a':
			ago = atol(optarg);
			break;
		case 's':
			s.scale = optarg;
			break;
		case 'l':
			s.language = optarg;
			break;
		case 'S':
			s.status = atoi(optarg);
			break;
		case 'r':
			s.requester = optarg;
			break;
		default:
			return 2;
		}
	}
	s.sent_at = (int64_t)time(NULL) - ago;
	if (token_key_load(argv[2], &key, err, sizeof(err)) < 0) {
		fprintf(stderr, "mm-mksurvey: %s\n", err);
		return 1;
	}
	if (store_open(argv[1], &st, err, sizeof(err)) != STORE_OK) {
		fprintf(stderr, "mm-mksurvey: %s\n", err);
		return 1;
	}
	if (store_survey_insert(st, &s) != STORE_OK ||
	    token_make(&key, s.id, tok) < 0) {
		fprintf(stderr, "mm-mksurvey: %s\n", store_errmsg(st));
		store_close(st);
		return 1;
	}
	printf("%lld %s\n", (long long)s.id, tok);
	store_close(st);
	return 0;
}

static int ack(const char *keyfile, int64_t outbox_id)
{
	struct token_key key;
	char err[512], tok[TOKEN_BUFSZ];

	if (token_key_load(keyfile, &key, err, sizeof(err)) < 0) {
		fprintf(stderr, "mm-mksurvey: %s\n", err);
		return 1;
	}
	if (outbox_id <= 0 || token_make_ack(&key, outbox_id, tok) < 0) {
		fprintf(stderr, "mm-mksurvey: cannot make an ack token\n");
		return 1;
	}
	printf("%s\n", tok);
	return 0;
}

/* A token's survey id can only be read with the key. */
static int tokens(const char *keyfile)
{
	struct token_key key;
	char err[512], line[256];

	if (token_key_load(keyfile, &key, err, sizeof(err)) < 0) {
		fprintf(stderr, "mm-mksurvey: %s\n", err);
		return 1;
	}
	while (fgets(line, sizeof(line), stdin)) {
		int64_t id = 0;

		line[strcspn(line, "\r\n")] = '\0';
		if (token_verify(&key, line, strlen(line), &id) < 0)
			id = 0;
		printf("%lld\n", (long long)id);
	}
	return 0;
}

static int show(const char *db, int64_t id)
{
	struct store *st;
	struct hit *h = NULL;
	struct rating *r = NULL;
	struct outbox_item *o = NULL;
	size_t nh = 0, nr = 0, no = 0;
	char err[512];

	if (store_open(db, &st, err, sizeof(err)) != STORE_OK) {
		fprintf(stderr, "mm-mksurvey: %s\n", err);
		return 1;
	}
	if (store_hit_list(st, id, 0, &h, &nh) != STORE_OK ||
	    store_rating_list(st, id, &r, &nr) != STORE_OK ||
	    store_outbox_list(st, id, &o, &no) != STORE_OK) {
		fprintf(stderr, "mm-mksurvey: %s\n", store_errmsg(st));
		store_close(st);
		return 1;
	}
	for (size_t i = 0; i < nh; i++)
		printf("hit %d %d\n", h[i].level, h[i].machine);
	for (size_t i = 0; i < nr; i++)
		printf("rating %d %d %s\nwhy=%s\nbetter=%s\n", r[i].level,
		       r[i].current, r[i].source == RATING_WEB ? "web" : "mail",
		       r[i].why ? r[i].why : "",
		       r[i].better ? r[i].better : "");
	for (size_t i = 0; i < no; i++)
		printf("outbox %s %d %lld\n", store_outbox_kind_name(o[i].kind),
		       o[i].state, (long long)o[i].rating_id);
	hit_list_free(h, nh);
	rating_list_free(r, nr);
	outbox_list_free(o, no);
	store_close(st);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && !strcmp(argv[1], "mk"))
		return mk(argc - 1, argv + 1) ? 1 : 0;
	if (argc == 4 && !strcmp(argv[1], "ack"))
		return ack(argv[2], atoll(argv[3]));
	if (argc == 4 && !strcmp(argv[1], "show"))
		return show(argv[2], atoll(argv[3]));
	if (argc == 3 && !strcmp(argv[1], "tokens"))
		return tokens(argv[2]);
	fprintf(stderr, "usage: mm-mksurvey mk DB KEYFILE [-t TEAM] [-k "
			"TICKET] [-a AGO] [-s SCALE] [-l LANG] [-S STATUS]\n"
			"       mm-mksurvey ack KEYFILE OUTBOX_ID\n"
			"       mm-mksurvey show DB ID\n"
			"       mm-mksurvey tokens KEYFILE < TOKENS\n");
	return 2;
}
