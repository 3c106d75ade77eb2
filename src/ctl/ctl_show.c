/* SPDX-License-Identifier: BSD-2-Clause */
/* mailmoodctl show [--json] TOKEN|SURVEY_ID: one survey with its hits,
 * ratings and alerts, for admins (text) and scripts (JSON). Reads the store
 * through the store API only; a TOKEN is verified with the secret key.
 *
 * JSON field names are a contract (tests and admins' scripts read them):
 *   id token status ticket team team_name agent requester rule scale
 *   language subject message_id queue_id sent_at
 *   hits[]    at level level_key machine ip user_agent
 *   ratings[] id at level level_key source comment why better current
 *   alerts[]  id kind state rating_id due attempts last_error
 *   replies[] id at source matched_by status level comment
 *   customer_rating  null, or IT's rating of the customer (rate_customer):
 *             at level level_key rater
 * Times are ISO 8601 UTC strings ("2025-05-20T10:00:00Z"). */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>

#include "codec.h"
#include "conf.h"
#include "ctl.h"
#include "scale.h"
#include "store.h"
#include "store_customer.h"
#include "token.h"

struct show_data {
	struct survey s;
	const struct scale *scale;
	const char *team_name; /* display name from the config, may be NULL */
	char token[TOKEN_BUFSZ];
	bool have_token;
	struct hit *h;
	size_t nh;
	struct rating *r;
	size_t nr;
	struct outbox_item *o;
	size_t no;
	struct store_reply *p;
	size_t np;
	struct customer_rating cr; /* valid when have_cr */
	bool have_cr;
	const struct scale *cscale; /* the team's customer_scale */
};

static void show_data_free(struct show_data *d)
{
	survey_free(&d->s);
	hit_list_free(d->h, d->nh);
	rating_list_free(d->r, d->nr);
	outbox_list_free(d->o, d->no);
	store_reply_list_free(d->p, d->np);
	customer_rating_free(&d->cr);
}

static const char *state_name(int state)
{
	switch (state) {
	case OUTBOX_PENDING:
		return "pending";
	case OUTBOX_SENDING:
		return "sending";
	case OUTBOX_SENT:
		return "sent";
	case OUTBOX_FAILED:
		return "failed";
	case OUTBOX_CANCELLED:
		return "cancelled";
	}
	return "unknown";
}

static const char *status_name(int status)
{
	switch (status) {
	case SURVEY_SENT:
		return "sent";
	case SURVEY_COOLDOWN:
		return "cooldown";
	case SURVEY_SAMPLED_OUT:
		return "sampled_out";
	}
	return "unknown";
}

static void iso_time(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) ||
	    !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, 32, "%" PRId64, t);
}

/* A JSON string: quotes, backslash and control characters escaped,
 * U+2028/U+2029 as \u escapes (safe to embed in JavaScript), invalid
 * UTF-8 bytes replaced by U+FFFD. NULL prints null. */
static void json_str(FILE *out, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n;

	if (!str) {
		fputs("null", out);
		return;
	}
	n = strlen(str);
	putc('"', out);
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t len = codec_utf8_next(s + i, n - i, &cp);
		if (!len) {
			fputs("\\ufffd", out);
			i++;
			continue;
		}
		switch (cp) {
		case '"':
			fputs("\\\"", out);
			break;
		case '\\':
			fputs("\\\\", out);
			break;
		case '\b':
			fputs("\\b", out);
			break;
		case '\f':
			fputs("\\f", out);
			break;
		case '\n':
			fputs("\\n", out);
			break;
		case '\r':
			fputs("\\r", out);
			break;
		case '\t':
			fputs("\\t", out);
			break;
		default:
			if (cp < 0x20 || cp == 0x7f || cp == 0x2028 ||
			    cp == 0x2029)
				fprintf(out, "\\u%04x", (unsigned)cp);
			else
				fwrite(s + i, 1, len, out);
		}
		i += len;
	}
	putc('"', out);
}

/* Text for a terminal: the same validation, control characters shown as
 * \n, \t or \xNN so a comment cannot move the cursor or forge lines. */
static void text_str(FILE *out, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n;

	if (!str || !*str) {
		fputs("-", out);
		return;
	}
	n = strlen(str);
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t len = codec_utf8_next(s + i, n - i, &cp);
		if (!len) {
			fputs(CODEC_REPLACEMENT, out);
			i++;
			continue;
		}
		if (cp == '\n')
			fputs("\\n", out);
		else if (cp == '\t')
			fputs("\\t", out);
		else if (cp == '\\')
			fputs("\\\\", out);
		else if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0) ||
			 cp == 0x2028 || cp == 0x2029)
			fprintf(out, "\\u{%x}", (unsigned)cp);
		else
			fwrite(s + i, 1, len, out);
		i += len;
	}
}

static const char *level_key(const struct scale *sc, int value)
{
	const struct scale_level *l = sc ? scale_level(sc, value) : NULL;
	return l ? l->key : NULL;
}

/* All comment text of a rating: "why", then "better", a blank line
 * between them when both are there; NULL when neither. */
static char *rating_comment(const struct rating *r)
{
	const char *a = r->why && *r->why ? r->why : NULL;
	const char *b = r->better && *r->better ? r->better : NULL;
	char *out;

	if (!a && !b)
		return NULL;
	if (!a || !b)
		return strdup(a ? a : b);
	if (asprintf(&out, "%s\n\n%s", a, b) < 0)
		return NULL;
	return out;
}

static void print_json(FILE *out, const struct show_data *d)
{
	const struct survey *s = &d->s;
	char t[32];

	fprintf(out, "{\n  \"id\": %" PRId64 ",\n  \"token\": ", s->id);
	json_str(out, d->have_token ? d->token : NULL);
	fputs(",\n  \"status\": ", out);
	json_str(out, status_name(s->status));
	fputs(",\n  \"ticket\": ", out);
	json_str(out, s->ticket);
	fputs(",\n  \"team\": ", out);
	json_str(out, s->team);
	fputs(",\n  \"team_name\": ", out);
	json_str(out, d->team_name);
	fputs(",\n  \"agent\": ", out);
	json_str(out, s->agent);
	fputs(",\n  \"requester\": ", out);
	json_str(out, s->requester);
	fputs(",\n  \"rule\": ", out);
	json_str(out, s->rule);
	fputs(",\n  \"scale\": ", out);
	json_str(out, d->scale ? d->scale->name : s->scale);
	fputs(",\n  \"language\": ", out);
	json_str(out, s->language);
	fputs(",\n  \"subject\": ", out);
	json_str(out, s->subject);
	fputs(",\n  \"message_id\": ", out);
	json_str(out, s->message_id);
	fputs(",\n  \"queue_id\": ", out);
	json_str(out, s->queue_id);
	iso_time(s->sent_at, t);
	fputs(",\n  \"sent_at\": ", out);
	json_str(out, t);

	fputs(",\n  \"hits\": [", out);
	for (size_t i = 0; i < d->nh; i++) {
		const struct hit *h = &d->h[i];
		iso_time(h->at, t);
		fputs(i ? ",\n    {\"at\": " : "\n    {\"at\": ", out);
		json_str(out, t);
		fprintf(out, ", \"level\": %d, \"level_key\": ", h->level);
		json_str(out, level_key(d->scale, h->level));
		fprintf(out, ", \"machine\": %s, \"ip\": ",
			h->machine ? "true" : "false");
		json_str(out, h->ip);
		fputs(", \"user_agent\": ", out);
		json_str(out, h->user_agent);
		putc('}', out);
	}
	fputs(d->nh ? "\n  ]" : "]", out);

	fputs(",\n  \"ratings\": [", out);
	for (size_t i = 0; i < d->nr; i++) {
		const struct rating *r = &d->r[i];
		char *comment = rating_comment(r);
		iso_time(r->at, t);
		fprintf(out, "%s{\"id\": %" PRId64 ", \"at\": ",
			i ? ",\n    " : "\n    ", r->id);
		json_str(out, t);
		fprintf(out, ", \"level\": %d, \"level_key\": ", r->level);
		json_str(out, level_key(d->scale, r->level));
		fputs(", \"source\": ", out);
		json_str(out, r->source == RATING_MAIL ? "mail" : "web");
		fputs(", \"comment\": ", out);
		json_str(out, comment);
		fputs(", \"why\": ", out);
		json_str(out, r->why);
		fputs(", \"better\": ", out);
		json_str(out, r->better);
		fprintf(out, ", \"current\": %s}",
			r->current ? "true" : "false");
		free(comment);
	}
	fputs(d->nr ? "\n  ]" : "]", out);

	fputs(",\n  \"alerts\": [", out);
	for (size_t i = 0; i < d->no; i++) {
		const struct outbox_item *o = &d->o[i];
		fprintf(out, "%s{\"id\": %" PRId64 ", \"kind\": ",
			i ? ",\n    " : "\n    ", o->id);
		json_str(out, store_outbox_kind_name(o->kind));
		fputs(", \"state\": ", out);
		json_str(out, state_name(o->state));
		if (o->rating_id)
			fprintf(out, ", \"rating_id\": %" PRId64, o->rating_id);
		else
			fputs(", \"rating_id\": null", out);
		iso_time(o->due, t);
		fputs(", \"due\": ", out);
		json_str(out, t);
		fprintf(out,
			", \"attempts\": %d, \"last_error\": ", o->attempts);
		json_str(out, o->last_error);
		putc('}', out);
	}
	fputs(d->no ? "\n  ]" : "]", out);

	fputs(",\n  \"replies\": [", out);
	for (size_t i = 0; i < d->np; i++) {
		const struct store_reply *p = &d->p[i];
		iso_time(p->received_at, t);
		fprintf(out, "%s{\"id\": %" PRId64 ", \"at\": ",
			i ? ",\n    " : "\n    ", p->id);
		json_str(out, t);
		fputs(", \"source\": ", out);
		json_str(out, store_reply_source_name(p->source));
		fputs(", \"matched_by\": ", out);
		json_str(out, store_reply_match_name(p->matched_by));
		fputs(", \"status\": ", out);
		json_str(out, store_reply_status_name(p->status));
		if (p->level >= 0)
			fprintf(out, ", \"level\": %d", p->level);
		else
			fputs(", \"level\": null", out);
		fputs(", \"comment\": ", out);
		json_str(out, p->comment);
		putc('}', out);
	}
	fputs(d->np ? "\n  ]" : "]", out);
	fputs(",\n  \"customer_rating\": ", out);
	if (d->have_cr) {
		iso_time(d->cr.at, t);
		fputs("{\"at\": ", out);
		json_str(out, t);
		fprintf(out, ", \"level\": %d, \"level_key\": ", d->cr.level);
		json_str(out, level_key(d->cscale, d->cr.level));
		fputs(", \"rater\": ", out);
		json_str(out, d->cr.rater);
		fputs("}\n}\n", out);
	} else {
		fputs("null\n}\n", out);
	}
}

static void text_field(FILE *out, const char *name, const char *value)
{
	fprintf(out, "  %-11s ", name);
	text_str(out, value);
	putc('\n', out);
}

static void text_level(FILE *out, const struct show_data *d, int level)
{
	const char *k = level_key(d->scale, level);
	if (k && strcmp(k, "") && atoi(k) != level)
		fprintf(out, "%-6s (%d)", k, level);
	else
		fprintf(out, "%-10d", level);
}

static void print_text(FILE *out, const struct show_data *d)
{
	const struct survey *s = &d->s;
	char t[32];

	iso_time(s->sent_at, t);
	fprintf(out, "survey %" PRId64 "  sent %s  status %s\n", s->id, t,
		status_name(s->status));
	text_field(out, "token", d->have_token ? d->token : NULL);
	text_field(out, "ticket", s->ticket);
	if (d->team_name && s->team && strcmp(d->team_name, s->team)) {
		fprintf(out, "  %-11s ", "team");
		text_str(out, s->team);
		fputs(" (", out);
		text_str(out, d->team_name);
		fputs(")\n", out);
	} else {
		text_field(out, "team", s->team);
	}
	text_field(out, "agent", s->agent);
	text_field(out, "requester", s->requester);
	text_field(out, "rule", s->rule);
	text_field(out, "scale", d->scale ? d->scale->name : s->scale);
	text_field(out, "language", s->language);
	text_field(out, "subject", s->subject);
	text_field(out, "message-id", s->message_id);

	fprintf(out, "hits (%zu)\n", d->nh);
	for (size_t i = 0; i < d->nh; i++) {
		const struct hit *h = &d->h[i];
		iso_time(h->at, t);
		fprintf(out, "  %s  ", t);
		text_level(out, d, h->level);
		fprintf(out, "  %-7s  ", h->machine ? "machine" : "person");
		text_str(out, h->ip);
		fputs("  ", out);
		text_str(out, h->user_agent);
		putc('\n', out);
	}
	fprintf(out, "ratings (%zu)\n", d->nr);
	for (size_t i = 0; i < d->nr; i++) {
		const struct rating *r = &d->r[i];
		iso_time(r->at, t);
		fprintf(out, "  %s  ", t);
		text_level(out, d, r->level);
		fprintf(out, "  %s%s\n",
			r->source == RATING_MAIL ? "mail" : "web",
			r->current ? "  current" : "");
		if (r->why && *r->why) {
			fputs("      why:    ", out);
			text_str(out, r->why);
			putc('\n', out);
		}
		if (r->better && *r->better) {
			fputs("      better: ", out);
			text_str(out, r->better);
			putc('\n', out);
		}
	}
	fprintf(out, "alerts (%zu)\n", d->no);
	for (size_t i = 0; i < d->no; i++) {
		const struct outbox_item *o = &d->o[i];
		iso_time(o->due, t);
		fputs("  ", out);
		text_str(out, store_outbox_kind_name(o->kind));
		fprintf(out, "  %-9s  due %s  attempts %d",
			state_name(o->state), t, o->attempts);
		if (o->last_error && *o->last_error) {
			fputs("  error: ", out);
			text_str(out, o->last_error);
		}
		putc('\n', out);
	}
	fprintf(out, "replies (%zu)\n", d->np);
	for (size_t i = 0; i < d->np; i++) {
		const struct store_reply *p = &d->p[i];
		const char *src = store_reply_source_name(p->source);
		const char *by = store_reply_match_name(p->matched_by);
		const char *status = store_reply_status_name(p->status);
		iso_time(p->received_at, t);
		fprintf(out, "  %s  %-9s  ", t, status ? status : "?");
		if (p->level >= 0)
			text_level(out, d, p->level);
		else
			fprintf(out, "%-10s", "-");
		fprintf(out, "  via %s  by %s\n", src ? src : "-",
			by ? by : "-");
		if (p->comment && *p->comment) {
			fputs("      comment: ", out);
			text_str(out, p->comment);
			putc('\n', out);
		}
	}
	if (d->have_cr) {
		const char *k = level_key(d->cscale, d->cr.level);
		iso_time(d->cr.at, t);
		fprintf(out, "customer rating (by IT)\n  %s  %s (%d)  by ", t,
			k ? k : "?", d->cr.level);
		text_str(out, d->cr.rater);
		putc('\n', out);
	}
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static int usage(void)
{
	fprintf(stderr, "usage: mailmoodctl show [--json] TOKEN|SURVEY_ID\n");
	return EX_USAGE;
}

int ctl_show(const char *config_path, int argc, char **argv)
{
	struct show_data d;
	struct conf *c;
	struct token_key key;
	struct store *st = NULL;
	struct stat sb;
	const char *arg = NULL;
	char err[4096];
	bool json = false, have_key;
	int64_t id = 0;
	enum store_rc src;
	int rc = EX_OK;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "-j"))
			json = true;
		else if (!strcmp(argv[i], "--") && i + 1 == argc - 1 && !arg)
			arg = argv[++i];
		/* a token may start with '-' (base64url) */
		else if (argv[i][0] == '-' && argv[i][1] &&
			 !TOKEN_LEN_OK(strlen(argv[i])))
			return usage();
		else if (arg)
			return usage();
		else
			arg = argv[i];
	}
	if (!arg)
		return usage();

	c = conf_load(config_path, err, sizeof(err));
	if (!c) {
		fprintf(stderr, "%s\n", err);
		return EX_CONFIG;
	}
	have_key =
	    token_key_load(c->general.secret_file, &key, err, sizeof(err)) == 0;
	if (all_digits(arg)) {
		errno = 0;
		char *end;
		unsigned long long v = strtoull(arg, &end, 10);
		if (errno || v == 0 || v > INT64_MAX) {
			fprintf(stderr,
				"mailmoodctl show: %s: not a survey "
				"id\n",
				arg);
			conf_free(c);
			return EX_DATAERR;
		}
		id = (int64_t)v;
	} else {
		if (!have_key) {
			fprintf(stderr,
				"mailmoodctl show: cannot check a token: "
				"[general] secret_file: %s\n",
				err);
			conf_free(c);
			return EX_CONFIG;
		}
		if (token_verify(&key, arg, strlen(arg), &id) < 0 &&
		    token_verify_campaign(&key, arg, strlen(arg), &id) == 0) {
			rc = ctl_campaign_show(c, &key, arg, id, json);
			conf_free(c);
			return rc;
		}
		if (token_verify(&key, arg, strlen(arg), &id) < 0) {
			fprintf(stderr,
				"mailmoodctl show: not a valid token for this "
				"key (mistyped, cut off, or from another "
				"installation)\n");
			conf_free(c);
			return EX_DATAERR;
		}
	}

	/* Opening a SQLite path creates the file: do not conjure an empty
	 * store out of a typo in the config. */
	if (store_dsn_is_file(c->general.store) &&
	    stat(c->general.store, &sb) < 0) {
		fprintf(stderr, "mailmoodctl show: store %s: %s\n",
			c->general.store, strerror(errno));
		conf_free(c);
		return EX_NOINPUT;
	}
	if (store_open(c->general.store, &st, err, sizeof(err)) != STORE_OK) {
		fprintf(stderr, "mailmoodctl show: %s\n", err);
		conf_free(c);
		return EX_UNAVAILABLE;
	}

	memset(&d, 0, sizeof(d));
	src = store_survey_get(st, id, &d.s);
	if (src == STORE_NOTFOUND) {
		fprintf(stderr,
			"mailmoodctl show: no survey %" PRId64
			" in the store\n",
			id);
		rc = EX_NOINPUT;
		goto out;
	}
	if (src != STORE_OK ||
	    store_hit_list(st, id, 0, &d.h, &d.nh) != STORE_OK ||
	    store_rating_list(st, id, &d.r, &d.nr) != STORE_OK ||
	    store_outbox_list(st, id, &d.o, &d.no) != STORE_OK ||
	    store_reply_list(st, id, &d.p, &d.np) != STORE_OK ||
	    (src = store_customer_rating_current(st, id, &d.cr)) ==
		STORE_ERROR ||
	    src == STORE_BUSY) {
		fprintf(stderr, "mailmoodctl show: store: %s\n",
			store_errmsg(st));
		rc = EX_UNAVAILABLE;
		goto out;
	}
	d.scale = d.s.scale ? scale_by_name(d.s.scale) : NULL;
	if (!d.scale && (!d.s.scale || !*d.s.scale))
		d.scale = c->general.scale;
	for (size_t i = 0; d.s.team && i < c->nteams; i++)
		if (!strcmp(c->teams[i].name, d.s.team))
			d.team_name = c->teams[i].display_name;
	d.have_token = have_key && token_make(&key, id, d.token) == 0;
	d.have_cr = src == STORE_OK;
	d.cscale = conf_team_customer_scale(conf_team_by_name(c, d.s.team));

	if (json)
		print_json(stdout, &d);
	else
		print_text(stdout, &d);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "mailmoodctl show: write error: %s\n",
			strerror(errno));
		rc = EX_IOERR;
	}
out:
	show_data_free(&d);
	store_close(st);
	conf_free(c);
	return rc;
}
