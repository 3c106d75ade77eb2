/* SPDX-License-Identifier: BSD-2-Clause */
/* mailmoodctl report, export, purge, passwd: thin verbs over report.c,
 * the store and auth.c. Formats are documented in mailmoodctl(1). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "clock.h"
#include "conf.h"
#include "ctl.h"
#include "report.h"
#include "report_customer.h"
#include "store_customer.h"
#include "store.h"

static struct conf *ctl_conf(const char *path)
{
	char err[4096];
	struct conf *c = conf_load(path, err, sizeof(err));

	if (!c)
		fprintf(stderr, "%s\n", err);
	return c;
}

/* Opens the configured store; prints why not. */
static struct store *ctl_store(const char *config_path, struct conf **cp)
{
	struct conf *c = ctl_conf(config_path);
	struct store *st = NULL;
	char err[512];

	*cp = c;
	if (!c)
		return NULL;
	if (store_open(c->general.store, &st, err, sizeof(err)) != STORE_OK) {
		fprintf(stderr, "mailmoodctl: %s\n", err);
		return NULL;
	}
	return st;
}

static int write_out(struct buf *b, const char *file)
{
	FILE *f = file ? fopen(file, "w") : stdout;
	int ok;

	if (b->failed) {
		fprintf(stderr, "mailmoodctl: out of memory\n");
		return EX_SOFTWARE;
	}
	if (!f) {
		fprintf(stderr, "mailmoodctl: %s: %s\n", file, strerror(errno));
		return EX_CANTCREAT;
	}
	ok = fwrite(b->data ? b->data : "", 1, b->len, f) == b->len;
	if (file)
		ok = fclose(f) == 0 && ok;
	else
		ok = fflush(f) == 0 && ok;
	if (!ok) {
		fprintf(stderr, "mailmoodctl: write %s: %s\n",
			file ? file : "stdout", strerror(errno));
		return EX_IOERR;
	}
	return EX_OK;
}

/* --since/--until: a date alone is a whole day, so --until 2025-03-31
 * includes that day. */
static int parse_when(const char *opt, const char *v, int until, int64_t *out)
{
	int64_t t = report_parse_date(v);

	if (t < 0) {
		fprintf(stderr,
			"mailmoodctl: %s: '%s' is not YYYY-MM-DD, "
			"YYYY-MM-DDTHH:MM:SS (UTC) or unix seconds\n",
			opt, v);
		return -1;
	}
	if (until && strlen(v) == 10 && v[4] == '-')
		t += SECONDS_PER_DAY;
	*out = t;
	return 0;
}

/* ------------------------------------------------------------ report */

/* report --customers: IT's ratings of its customers, apart from the
 * customers' ratings of IT (report_customer.h). */
static int report_customers(const char *config_path,
			    const struct report_query *q, int per, int fmt,
			    const char *out)
{
	struct report_customer r;
	struct conf *c = NULL;
	struct store *st;
	struct buf b;
	int rc;

	if (q->by || q->agent || q->rule || per) {
		fprintf(stderr, "mailmoodctl: report --customers takes --team, "
				"--since, --until, --format, --output\n");
		return EX_USAGE;
	}
	if (!(st = ctl_store(config_path, &c))) {
		conf_free(c);
		return c ? EX_UNAVAILABLE : EX_CONFIG;
	}
	if (report_customer_run(st, c, q->team, q->since, q->until, &r) !=
	    STORE_OK) {
		fprintf(stderr, "mailmoodctl: report: %s\n", store_errmsg(st));
		store_close(st);
		conf_free(c);
		return EX_UNAVAILABLE;
	}
	buf_init(&b);
	if (fmt == REPORT_CSV)
		report_customer_csv(&b, &r);
	else if (fmt == REPORT_JSON)
		report_customer_json(&b, &r);
	else if (fmt == REPORT_HTML)
		report_customer_html(&b, &r);
	else
		report_customer_text(&b, &r);
	rc = write_out(&b, out);
	buf_free(&b);
	report_customer_free(&r);
	store_close(st);
	conf_free(c);
	return rc;
}

int ctl_report(const char *config_path, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"team", required_argument, NULL, 't'},
	    {"agent", required_argument, NULL, 'a'},
	    {"rule", required_argument, NULL, 'r'},
	    {"since", required_argument, NULL, 's'},
	    {"until", required_argument, NULL, 'u'},
	    {"by", required_argument, NULL, 'b'},
	    {"per", required_argument, NULL, 'p'},
	    {"format", required_argument, NULL, 'f'},
	    {"output", required_argument, NULL, 'o'},
	    {"comments", required_argument, NULL, 'n'},
	    {"customers", no_argument, NULL, 'C'},
	    {NULL, 0, NULL, 0},
	};
	struct report_query q;
	struct store_rating_filter cf;
	struct report r;
	struct report_comment *cm = NULL;
	size_t ncm = 0;
	struct conf *c = NULL;
	struct store *st;
	struct buf b;
	const char *out = NULL;
	int groups[3], ngroups = 0, per_rule = 0, fmt = REPORT_TEXT, ch;
	int customers = 0;
	long ncomments = 10;
	int rc;

	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--campaign") ||
		    !strncmp(argv[i], "--campaign=", 11))
			return ctl_campaign_report(config_path, argc, argv);
	memset(&q, 0, sizeof(q));
	optind = 0;
	while ((ch = getopt_long(argc, argv, "t:a:r:s:u:b:p:f:o:n:", opts,
				 NULL)) != -1) {
		switch (ch) {
		case 't':
			q.team = optarg;
			break;
		case 'a':
			q.agent = optarg;
			break;
		case 'r':
			q.rule = optarg;
			break;
		case 's':
			if (parse_when("--since", optarg, 0, &q.since) < 0)
				return EX_USAGE;
			break;
		case 'u':
			if (parse_when("--until", optarg, 1, &q.until) < 0)
				return EX_USAGE;
			break;
		case 'b':
			if ((q.by = report_period_parse(optarg)) < 0) {
				fprintf(stderr, "mailmoodctl: --by: day, week, "
						"month or quarter\n");
				return EX_USAGE;
			}
			break;
		case 'p':
			if (strcmp(optarg, "rule") && strcmp(optarg, "agent")) {
				fprintf(stderr, "mailmoodctl: --per: agent or "
						"rule\n");
				return EX_USAGE;
			}
			per_rule = !strcmp(optarg, "rule");
			break;
		case 'f':
			if ((fmt = report_format_parse(optarg)) < 0) {
				fprintf(stderr, "mailmoodctl: --format: text, "
						"csv, json or html\n");
				return EX_USAGE;
			}
			break;
		case 'o':
			out = optarg;
			break;
		case 'n':
			ncomments = strtol(optarg, NULL, 10);
			break;
		case 'C':
			customers = 1;
			break;
		default:
			return EX_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "mailmoodctl: report: unexpected '%s'\n",
			argv[optind]);
		return EX_USAGE;
	}
	if (customers)
		return report_customers(config_path, &q, per_rule, fmt, out);
	/* a team's report starts at the team total; all teams add the
	 * overall row on top */
	if (!q.team && !q.agent)
		groups[ngroups++] = STORE_GROUP_OVERALL;
	if (per_rule) {
		groups[ngroups++] = STORE_GROUP_RULE;
	} else {
		groups[ngroups++] = STORE_GROUP_TEAM;
		groups[ngroups++] = STORE_GROUP_AGENT;
	}
	if (!(st = ctl_store(config_path, &c))) {
		conf_free(c);
		return c ? EX_UNAVAILABLE : EX_CONFIG;
	}
	if (report_run(st, &q, groups, (size_t)ngroups, &r) != STORE_OK) {
		fprintf(stderr, "mailmoodctl: report: %s\n", store_errmsg(st));
		store_close(st);
		conf_free(c);
		return EX_UNAVAILABLE;
	}
	buf_init(&b);
	switch (fmt) {
	case REPORT_TEXT:
		report_write_text(&b, &r);
		break;
	case REPORT_CSV:
		report_write_csv(&b, &r);
		break;
	case REPORT_JSON:
		report_write_json(&b, &r);
		break;
	case REPORT_HTML:
		memset(&cf, 0, sizeof(cf));
		cf.team = q.team;
		cf.agent = q.agent;
		cf.since = q.since;
		cf.until = q.until;
		cf.commented = 1;
		cf.replies = 1;
		cf.limit = ncomments > 0 ? ncomments : 10;
		if (report_comments(st, &cf, &cm, &ncm) != STORE_OK)
			fprintf(stderr, "mailmoodctl: comments: %s\n",
				store_errmsg(st));
		report_write_html(&b, &r, cm, ncm,
				  q.team ? q.team : "mailmood report");
		report_comments_free(cm, ncm);
		break;
	}
	rc = write_out(&b, out);
	buf_free(&b);
	report_free(&r);
	store_close(st);
	conf_free(c);
	return rc;
}

/* ------------------------------------------------------------ export */

struct export_ctx {
	struct buf *b;
	int json;
	size_t n;
	const struct conf *c;
};

static void iso(struct buf *b, int64_t t)
{
	char d[32];
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(d, sizeof(d), "%Y-%m-%dT%H:%M:%SZ", &tm);
	buf_puts(b, d);
}

static void ex_csv(struct buf *b, const char *s)
{
	buf_putc(b, ',');
	if (!s)
		return;
	buf_putc(b, '"');
	/* a leading = + - @ would run as a formula in a spreadsheet */
	if (*s && strchr("=+-@", *s))
		buf_putc(b, '\'');
	for (; *s; s++) {
		if (*s == '"')
			buf_putc(b, '"');
		buf_putc(b, *s);
	}
	buf_putc(b, '"');
}

static void ex_json(struct buf *b, const char *key, const char *s)
{
	buf_printf(b, ",\"%s\":", key);
	if (!s) {
		buf_puts(b, "null");
		return;
	}
	buf_putc(b, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			buf_printf(b, "\\%c", *p);
		else if (*p < 0x20)
			buf_printf(b, "\\u%04x", *p);
		else
			buf_putc(b, (char)*p);
	}
	buf_putc(b, '"');
}

static int export_row(void *arg, const struct store_rating_row *r)
{
	struct export_ctx *x = arg;
	struct buf *b = x->b;
	const struct scale *s = scale_by_name(r->scale);
	const struct scale_level *l = s ? scale_level(s, r->level) : NULL;
	const char *src = r->source == RATING_MAIL ? "mail" : "web";

	if (x->json) {
		buf_puts(b,
			 x->n ? ",\n {\"rating_id\":" : "\n {\"rating_id\":");
		if (r->rating_id)
			buf_printf(b, "%lld", (long long)r->rating_id);
		else
			buf_puts(b, "null");
		buf_printf(b, ",\"survey_id\":%lld,\"at\":\"",
			   (long long)r->survey_id);
		iso(b, r->at);
		buf_puts(b, "\",\"sent_at\":\"");
		iso(b, r->sent_at);
		buf_putc(b, '"');
		ex_json(b, "team", r->team);
		ex_json(b, "agent", r->agent);
		ex_json(b, "rule", r->rule);
		ex_json(b, "ticket", r->ticket);
		ex_json(b, "scale", r->scale);
		if (r->level >= 0)
			buf_printf(b, ",\"level\":%d", r->level);
		else
			buf_puts(b, ",\"level\":null");
		ex_json(b, "level_key", l ? l->key : NULL);
		ex_json(b, "source", src);
		buf_printf(b, ",\"current\":%s", r->current ? "true" : "false");
		ex_json(b, "why", r->why);
		ex_json(b, "better", r->better);
		if (r->reply_id)
			buf_printf(b, ",\"reply_id\":%lld",
				   (long long)r->reply_id);
		else
			buf_puts(b, ",\"reply_id\":null");
		ex_json(b, "subject", r->subject);
		buf_putc(b, '}');
	} else {
		if (r->rating_id)
			buf_printf(b, "%lld", (long long)r->rating_id);
		buf_printf(b, ",%lld,", (long long)r->survey_id);
		iso(b, r->at);
		buf_putc(b, ',');
		iso(b, r->sent_at);
		ex_csv(b, r->team);
		ex_csv(b, r->agent);
		ex_csv(b, r->rule);
		ex_csv(b, r->ticket);
		ex_csv(b, r->scale);
		if (r->level >= 0)
			buf_printf(b, ",%d", r->level);
		else
			buf_putc(b, ',');
		ex_csv(b, l ? l->key : NULL);
		buf_printf(b, ",%s,%d", src, r->current);
		ex_csv(b, r->why);
		ex_csv(b, r->better);
		if (r->reply_id)
			buf_printf(b, ",%lld", (long long)r->reply_id);
		else
			buf_putc(b, ',');
		ex_csv(b, r->subject);
		buf_puts(b, "\r\n");
	}
	x->n++;
	return b->failed;
}

/* IT's rating of a customer, marked as such: source "it-rates-customer",
 * the rater in the agent column (CSV) or "rater" (JSON), the level on the
 * team's customer_scale. */
static int export_customer_row(void *arg, const struct customer_rating_row *r)
{
	struct export_ctx *x = arg;
	struct buf *b = x->b;
	const struct scale *s =
	    conf_team_customer_scale(conf_team_by_name(x->c, r->team));
	const struct scale_level *l = scale_level(s, r->level);

	if (x->json) {
		buf_puts(b, x->n ? ",\n {\"rating_id\":null"
				 : "\n {\"rating_id\":null");
		buf_printf(b,
			   ",\"customer_rating_id\":%lld,\"survey_id\":%lld,"
			   "\"at\":\"",
			   (long long)r->id, (long long)r->survey_id);
		iso(b, r->at);
		buf_puts(b, "\",\"sent_at\":\"");
		iso(b, r->sent_at);
		buf_putc(b, '"');
		ex_json(b, "team", r->team);
		ex_json(b, "rater", r->rater);
		ex_json(b, "rule", r->rule);
		ex_json(b, "ticket", r->ticket);
		ex_json(b, "scale", s->name);
		buf_printf(b, ",\"level\":%d", r->level);
		ex_json(b, "level_key", l ? l->key : NULL);
		ex_json(b, "source", "it-rates-customer");
		buf_printf(b, ",\"current\":%s", r->current ? "true" : "false");
		ex_json(b, "subject", r->subject);
		buf_putc(b, '}');
	} else {
		buf_printf(b, ",%lld,", (long long)r->survey_id);
		iso(b, r->at);
		buf_putc(b, ',');
		iso(b, r->sent_at);
		ex_csv(b, r->team);
		ex_csv(b, r->rater);
		ex_csv(b, r->rule);
		ex_csv(b, r->ticket);
		ex_csv(b, s->name);
		buf_printf(b, ",%d", r->level);
		ex_csv(b, l ? l->key : NULL);
		buf_printf(b, ",it-rates-customer,%d,,,", r->current);
		ex_csv(b, r->subject);
		buf_puts(b, "\r\n");
	}
	x->n++;
	return b->failed;
}

int ctl_export(const char *config_path, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"format", required_argument, NULL, 'f'},
	    {"team", required_argument, NULL, 't'},
	    {"since", required_argument, NULL, 's'},
	    {"until", required_argument, NULL, 'u'},
	    {"output", required_argument, NULL, 'o'},
	    {NULL, 0, NULL, 0},
	};
	struct store_rating_filter f;
	struct export_ctx x = {NULL, 0, 0, NULL};
	struct conf *c = NULL;
	struct store *st;
	struct buf b;
	const char *out = NULL;
	int ch, rc;

	memset(&f, 0, sizeof(f));
	f.history = 1;
	f.oldest_first = 1;
	f.replies = 1;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "f:t:s:u:o:", opts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			if (strcmp(optarg, "csv") && strcmp(optarg, "json")) {
				fprintf(stderr,
					"mailmoodctl: --format: csv or json\n");
				return EX_USAGE;
			}
			x.json = !strcmp(optarg, "json");
			break;
		case 't':
			f.team = optarg;
			break;
		case 's':
			if (parse_when("--since", optarg, 0, &f.since) < 0)
				return EX_USAGE;
			break;
		case 'u':
			if (parse_when("--until", optarg, 1, &f.until) < 0)
				return EX_USAGE;
			break;
		case 'o':
			out = optarg;
			break;
		default:
			return EX_USAGE;
		}
	}
	if (!(st = ctl_store(config_path, &c))) {
		conf_free(c);
		return c ? EX_UNAVAILABLE : EX_CONFIG;
	}
	buf_init(&b);
	x.b = &b;
	if (x.json)
		buf_putc(&b, '[');
	else
		buf_puts(&b, "rating_id,survey_id,at,sent_at,team,agent,rule,"
			     "ticket,scale,level,level_key,source,current,why,"
			     "better,reply_id,subject\r\n");
	x.c = c;
	if (store_rating_rows(st, &f, export_row, &x) != STORE_OK ||
	    store_customer_rating_rows(st, f.team, f.since, f.until,
				       export_customer_row, &x) != STORE_OK) {
		fprintf(stderr, "mailmoodctl: export: %s\n", store_errmsg(st));
		rc = EX_UNAVAILABLE;
	} else {
		if (x.json)
			buf_puts(&b, x.n ? "\n]\n" : "]\n");
		rc = write_out(&b, out);
	}
	buf_free(&b);
	store_close(st);
	conf_free(c);
	return rc;
}

/* ------------------------------------------------------------ purge */

int ctl_purge(const char *config_path, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"before", required_argument, NULL, 'b'},
	    {"anonymize", no_argument, NULL, 'a'},
	    {"anonymise", no_argument, NULL, 'a'},
	    {NULL, 0, NULL, 0},
	};
	struct conf *c = NULL;
	struct store *st;
	int64_t before = -1, count = 0;
	const char *when = NULL;
	int anon = 0, ch, rc = EX_OK;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "b:a", opts, NULL)) != -1) {
		switch (ch) {
		case 'b':
			if (parse_when("--before", optarg, 0, &before) < 0)
				return EX_USAGE;
			when = optarg;
			break;
		case 'a':
			anon = 1;
			break;
		default:
			return EX_USAGE;
		}
	}
	if (before < 0 || optind < argc) {
		fprintf(stderr, "usage: mailmoodctl purge --before DATE "
				"[--anonymize]\n");
		return EX_USAGE;
	}
	if (!(st = ctl_store(config_path, &c))) {
		conf_free(c);
		return c ? EX_UNAVAILABLE : EX_CONFIG;
	}
	if (store_purge(st, before, anon, &count) != STORE_OK) {
		fprintf(stderr, "mailmoodctl: purge: %s (nothing changed)\n",
			store_errmsg(st));
		rc = EX_UNAVAILABLE;
	} else {
		printf("%s %lld survey%s sent before %s\n",
		       anon ? "anonymized" : "deleted", (long long)count,
		       count == 1 ? "" : "s", when);
		/* The old text is still in PostgreSQL's files until then. */
		if (!store_dsn_is_file(c->general.store))
			fprintf(stderr,
				"mailmoodctl: run VACUUM FULL on the database "
				"to overwrite the old row versions\n");
	}
	store_close(st);
	conf_free(c);
	return rc;
}

/* ------------------------------------------------------------ passwd */

/* One line from f without its newline; -1 at EOF or when too long. */
static int read_line(FILE *f, char *out, size_t outlen)
{
	size_t n;

	if (!fgets(out, (int)outlen, f))
		return -1;
	n = strlen(out);
	if (n && out[n - 1] == '\n')
		out[--n] = '\0';
	else if (!feof(f))
		return -1;
	if (n && out[n - 1] == '\r')
		out[--n] = '\0';
	return 0;
}

static int prompt(const char *what, char *out, size_t outlen)
{
	struct termios old, quiet;
	int rc;

	fprintf(stderr, "%s: ", what);
	fflush(stderr);
	if (tcgetattr(STDIN_FILENO, &old) < 0)
		return -1;
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	rc = read_line(stdin, out, outlen);
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	fputc('\n', stderr);
	return rc;
}

#define PASSWD_MIN 8

int ctl_passwd(const char *config_path, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"team", required_argument, NULL, 't'},
	    {"admin", no_argument, NULL, 'A'},
	    {NULL, 0, NULL, 0},
	};
	char pw[512], again[512], hash[AUTH_HASH_MAX];
	struct store_user u;
	struct conf *c = NULL;
	struct store *st = NULL;
	struct buf teams;
	int admin = 0, ch, rc = EX_OK;

	buf_init(&teams);
	optind = 0;
	while ((ch = getopt_long(argc, argv, "t:A", opts, NULL)) != -1) {
		switch (ch) {
		case 't':
			if (optarg[strcspn(optarg, " \t,")] || !*optarg) {
				fprintf(stderr,
					"mailmoodctl: passwd: bad team "
					"name '%s'\n",
					optarg);
				buf_free(&teams);
				return EX_USAGE;
			}
			if (teams.len)
				buf_putc(&teams, ' ');
			buf_puts(&teams, optarg);
			break;
		case 'A':
			admin = 1;
			break;
		default:
			buf_free(&teams);
			return EX_USAGE;
		}
	}
	if (optind + 1 != argc || !*argv[optind] ||
	    argv[optind][strcspn(argv[optind], " \t:")] ||
	    (!admin && !teams.len)) {
		fprintf(stderr, "usage: mailmoodctl passwd USER [--team TEAM "
				"...] [--admin]  (at least one)\n");
		buf_free(&teams);
		return EX_USAGE;
	}
	if (isatty(STDIN_FILENO)) {
		if (prompt("Password", pw, sizeof(pw)) < 0 ||
		    prompt("Again", again, sizeof(again)) < 0 ||
		    strcmp(pw, again) != 0) {
			fprintf(stderr,
				"mailmoodctl: passwd: passwords differ\n");
			rc = EX_DATAERR;
			goto out;
		}
	} else if (read_line(stdin, pw, sizeof(pw)) < 0) {
		fprintf(stderr, "mailmoodctl: passwd: no password on stdin\n");
		rc = EX_DATAERR;
		goto out;
	}
	if (strlen(pw) < PASSWD_MIN) {
		fprintf(stderr, "mailmoodctl: passwd: at least %d characters\n",
			PASSWD_MIN);
		rc = EX_DATAERR;
		goto out;
	}
	if (auth_hash(pw, hash, sizeof(hash)) < 0) {
		fprintf(stderr, "mailmoodctl: passwd: cannot hash\n");
		rc = EX_SOFTWARE;
		goto out;
	}
	if (!(st = ctl_store(config_path, &c))) {
		rc = c ? EX_UNAVAILABLE : EX_CONFIG;
		goto out;
	}
	/* a team the config does not know is likely a typo, but the config
	 * may be about to get it: warn, do not refuse */
	for (const char *t = teams.data; t && *t;) {
		size_t n = strcspn(t, " ");
		char name[256];

		snprintf(name, sizeof(name), "%.*s", (int)n, t);
		if (!conf_team_by_name(c, name))
			fprintf(stderr,
				"mailmoodctl: passwd: warning: no [team %s] "
				"in %s\n",
				name, config_path);
		t += n + (t[n] == ' ');
	}
	memset(&u, 0, sizeof(u));
	u.name = argv[optind];
	u.pwhash = hash;
	u.teams = teams.data ? teams.data : "";
	u.is_admin = admin;
	u.created_at = (int64_t)time(NULL);
	if (store_user_put(st, &u) != STORE_OK) {
		fprintf(stderr, "mailmoodctl: passwd: %s\n", store_errmsg(st));
		rc = EX_UNAVAILABLE;
		goto out;
	}
	printf("user %s: password set%s%s%s; earlier sessions ended\n", u.name,
	       admin ? ", admin" : "", teams.len ? ", teams " : "",
	       teams.len ? u.teams : "");
out:
	explicit_bzero(pw, sizeof(pw));
	explicit_bzero(again, sizeof(again));
	store_close(st);
	conf_free(c);
	buf_free(&teams);
	return rc;
}

/* ------------------------------------------------------------ user */

static int user_list(struct store *st)
{
	struct store_user *all = NULL;
	size_t n = 0;

	if (store_user_list(st, &all, &n) != STORE_OK) {
		fprintf(stderr, "mailmoodctl: user list: %s\n",
			store_errmsg(st));
		return EX_UNAVAILABLE;
	}
	for (size_t i = 0; i < n; i++) {
		char day[16] = "-";
		time_t t = (time_t)all[i].created_at;
		struct tm tm;

		if (t > 0 && gmtime_r(&t, &tm))
			strftime(day, sizeof(day), "%Y-%m-%d", &tm);
		printf("%s\t%s\t%s\t%s\n", all[i].name,
		       all[i].is_admin ? "admin" : "-",
		       *all[i].teams ? all[i].teams : "-", day);
		store_user_free(&all[i]);
	}
	free(all);
	return EX_OK;
}

int ctl_user(const char *config_path, int argc, char **argv)
{
	struct conf *c = NULL;
	struct store *st;
	enum store_rc src;
	int list = argc == 2 && !strcmp(argv[1], "list");
	int del = argc == 3 && !strcmp(argv[1], "delete") && *argv[2];
	int rc;

	if (!list && !del) {
		fprintf(stderr,
			"usage: mailmoodctl user list | user delete NAME\n");
		return EX_USAGE;
	}
	if (!(st = ctl_store(config_path, &c)))
		return c ? EX_UNAVAILABLE : EX_CONFIG;
	if (list) {
		rc = user_list(st);
	} else if ((src = store_user_delete(st, argv[2])) == STORE_OK) {
		printf("user %s: deleted, sessions ended\n", argv[2]);
		rc = EX_OK;
	} else if (src == STORE_NOTFOUND) {
		fprintf(stderr, "mailmoodctl: user delete: no user %s\n",
			argv[2]);
		rc = EX_DATAERR;
	} else {
		fprintf(stderr, "mailmoodctl: user delete: %s\n",
			store_errmsg(st));
		rc = EX_UNAVAILABLE;
	}
	store_close(st);
	conf_free(c);
	return rc;
}
