/* SPDX-License-Identifier: BSD-2-Clause */
/* mailmoodctl campaign NAME --dry-run|--send: who a relationship NPS
 * round goes to, per team, and why the others are left out; --send
 * queues the round in the outbox (campaign.h). */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "clock.h"
#include "campaign.h"
#include "campaign_report.h"
#include "conf.h"
#include "ctl.h"
#include "rules.h"
#include "store.h"
#include "store_campaign.h"
#include "token.h"

static void ctl_campaign_date(int64_t t, char *out, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, len, "%Y-%m-%d %H:%M UTC", &tm);
}

static void ctl_campaign_print(FILE *out, const struct campaign_plan *p,
			       int list)
{
	size_t left = 0;

	for (size_t i = 0; i < p->nteams; i++) {
		const struct campaign_plan_team *t = &p->teams[i];
		int first = 1;
		fprintf(out, "team %s: %zu would get it",
			t->team ? t->team : "(none)", t->send);
		for (int v = 1; v < CAMPAIGN_NVERDICTS; v++) {
			if (!t->out[v])
				continue;
			fprintf(out, "%s%zu %s", first ? "; left out: " : ", ",
				t->out[v], campaign_verdict_name(v));
			first = 0;
		}
		fputc('\n', out);
	}
	for (int v = 1; v < CAMPAIGN_NVERDICTS; v++)
		left += p->out[v];
	if (list) {
		for (size_t i = 0; i < p->n; i++)
			fprintf(out, "  send %s team=%s language=%s\n",
				p->address[i], p->team[i] ? p->team[i] : "-",
				p->language[i] ? p->language[i] : "-");
		for (size_t i = 0; i < p->nout; i++)
			fprintf(out, "  out  %s (%s)\n", p->out_address[i],
				campaign_verdict_name(p->out_why[i]));
	}
	fprintf(out, "total: %zu would get it, %zu left out\n", p->n, left);
}

int ctl_campaign(const char *config_path, int argc, char **argv)
{
	const char *name = NULL;
	int send = -1, list = 1;
	char err[4096], when[64], next[64];
	struct conf *c;
	struct store *st;
	const struct conf_campaign *k;
	struct rules_internal internal = {0};
	struct campaign_plan plan = {0};
	int64_t now = (int64_t)time(NULL), last, due, round_id;
	enum store_rc rc;
	int ret = EX_OK;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--dry-run"))
			send = 0;
		else if (!strcmp(argv[i], "--send"))
			send = 1;
		else if (!strcmp(argv[i], "--summary"))
			list = 0;
		else if (argv[i][0] != '-' && !name)
			name = argv[i];
		else
			name = NULL, i = argc;
	}
	if (!name || send < 0) {
		fprintf(stderr, "usage: mailmoodctl campaign NAME --dry-run|"
				"--send [--summary]\n");
		return EX_USAGE;
	}
	if (!(c = conf_load(config_path, err, sizeof(err)))) {
		fprintf(stderr, "%s\n", err);
		return EX_CONFIG;
	}
	if (!(k = conf_campaign_by_name(c, name))) {
		fprintf(stderr, "mailmoodctl: no [campaign %s] in %s\n", name,
			config_path);
		conf_free(c);
		return EX_USAGE;
	}
	if (rules_internal_build(c, &internal) < 0) {
		fprintf(stderr, "mailmoodctl: out of memory\n");
		conf_free(c);
		return EX_SOFTWARE;
	}
	if ((rc = store_open(c->general.store, &st, err, sizeof(err))) !=
	    STORE_OK) {
		fprintf(stderr, "mailmoodctl: %s\n", err);
		rules_internal_free(&internal);
		conf_free(c);
		return rc == STORE_BUSY ? EX_TEMPFAIL : EX_UNAVAILABLE;
	}
	if ((rc = campaign_due(st, k, &last, &due)) != STORE_OK)
		goto fail;
	if (last)
		ctl_campaign_date(last, when, sizeof(when));
	ctl_campaign_date(due, next, sizeof(next));
	if (due > now) {
		printf("campaign %s: the last round went out %s; the next is "
		       "due %s%s\n",
		       name, when, next, send ? ": nothing queued" : "");
		if (send)
			goto done;
	} else {
		printf("campaign %s: a round is due (last round: %s)\n", name,
		       last ? when : "never");
	}
	plan.keep_out = !send && list;
	/* The round's start seeds the sample: the dry run on the day shows
	 * the people --send picks. */
	if ((rc = campaign_plan(st, c, k, &internal, now,
				(uint64_t)(now / SECONDS_PER_DAY), &plan)) !=
	    STORE_OK)
		goto fail;
	ctl_campaign_print(stdout, &plan, !send && list);
	if (send) {
		if ((rc = campaign_queue(st, k, &plan, now, &round_id)) !=
		    STORE_OK)
			goto fail;
		printf("campaign %s: round %" PRId64 " queued %zu mails\n",
		       name, round_id, plan.n);
	}
	goto done;
fail:
	fprintf(stderr, "mailmoodctl: campaign %s: %s\n", name,
		store_errmsg(st));
	ret = rc == STORE_BUSY ? EX_TEMPFAIL : EX_UNAVAILABLE;
done:
	campaign_plan_free(&plan);
	store_close(st);
	rules_internal_free(&internal);
	conf_free(c);
	return ret;
}

/* A JSON string of text we wrote or checked (names, addresses, dates):
 * quotes, backslashes and controls escaped. */
static void json_str(FILE *out, const char *s)
{
	if (!s) {
		fputs("null", out);
		return;
	}
	fputc('"', out);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			fprintf(out, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(out, "\\u%04x", ch);
		else
			fputc(ch, out);
	}
	fputc('"', out);
}

int ctl_campaign_show(const struct conf *c, const struct token_key *key,
		      const char *token, int64_t recipient_id, int json)
{
	struct store *st;
	struct store_campaign_row r;
	struct outbox_item fo;
	char err[512], sent[64], answered[64], acked[64], *acked_by = NULL;
	int64_t acked_at = 0;
	int have_fo = 0;
	enum store_rc rc;
	const char *address;

	(void)key;
	if (store_open(c->general.store, &st, err, sizeof(err)) != STORE_OK) {
		fprintf(stderr, "mailmoodctl show: %s\n", err);
		return EX_UNAVAILABLE;
	}
	rc = store_campaign_recipient(st, recipient_id, &r);
	if (rc != STORE_OK) {
		fprintf(stderr, "mailmoodctl show: %s\n",
			rc == STORE_NOTFOUND ? "no such campaign recipient"
					     : store_errmsg(st));
		store_close(st);
		return rc == STORE_NOTFOUND ? EX_NOINPUT : EX_UNAVAILABLE;
	}
	ctl_campaign_date(r.sent_at, sent, sizeof(sent));
	if (r.answered_at)
		ctl_campaign_date(r.answered_at, answered, sizeof(answered));
	/* the answer's detractor alert or kudos, and who acknowledged it */
	if (r.followup_id &&
	    store_outbox_get(st, r.followup_id, &fo, NULL) == STORE_OK) {
		have_fo = 1;
		if (store_alert_ack(st, r.followup_id, NULL, 0, &acked_by,
				    &acked_at) == STORE_OK)
			ctl_campaign_date(acked_at, acked, sizeof(acked));
	}
	/* an anonymous campaign never shows who, answered or not */
	address = r.anonymous ? NULL : r.address;
	if (json) {
		printf("{\n  \"kind\": \"campaign\",\n  \"campaign\": ");
		json_str(stdout, r.campaign);
		printf(",\n  \"token\": ");
		json_str(stdout, token);
		printf(",\n  \"recipient\": %" PRId64 ",\n  \"round\": %" PRId64
		       ",\n  \"team\": ",
		       r.id, r.round_id);
		json_str(stdout, r.team);
		printf(",\n  \"language\": ");
		json_str(stdout, r.language);
		printf(",\n  \"anonymous\": %s,\n  \"address\": ",
		       r.anonymous ? "true" : "false");
		json_str(stdout, address);
		printf(",\n  \"sent_at\": ");
		json_str(stdout, sent);
		printf(",\n  \"answered_at\": ");
		json_str(stdout, r.answered_at ? answered : NULL);
		if (r.level >= 0)
			printf(",\n  \"answer\": %d", r.level);
		else
			printf(",\n  \"answer\": null");
		printf(",\n  \"followup\": ");
		if (have_fo) {
			printf("{\"id\": %" PRId64 ", \"kind\": ", fo.id);
			json_str(stdout, store_outbox_kind_name(fo.kind));
			printf(", \"state\": %d, \"acked_by\": ", fo.state);
			json_str(stdout, acked_by);
			printf(", \"acked_at\": ");
			json_str(stdout, acked_by ? acked : NULL);
			printf("}\n}\n");
		} else {
			printf("null\n}\n");
		}
	} else {
		printf("campaign:  %s\nrecipient: %" PRId64 " (round %" PRId64
		       ")\nteam:      %s\naddress:   %s\nsent:      %s\n",
		       r.campaign, r.id, r.round_id, r.team ? r.team : "-",
		       address ? address : (r.anonymous ? "(anonymous)" : "-"),
		       sent);
		if (r.level >= 0)
			printf("answer:    %d (%s)\n", r.level, answered);
		else
			printf("answer:    -\n");
		if (have_fo && acked_by)
			printf("%s %" PRId64 " acknowledged by %s at %s\n",
			       store_outbox_kind_name(fo.kind), fo.id, acked_by,
			       acked);
		else if (have_fo)
			printf("%s %" PRId64 " not acknowledged\n",
			       store_outbox_kind_name(fo.kind), fo.id);
	}
	if (have_fo)
		outbox_item_free(&fo);
	free(acked_by);
	store_campaign_row_free(&r);
	store_close(st);
	return EX_OK;
}

int ctl_campaign_report(const char *config_path, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"campaign", required_argument, NULL, 'c'},
	    {"format", required_argument, NULL, 'f'},
	    {"output", required_argument, NULL, 'o'},
	    {NULL, 0, NULL, 0},
	};
	const char *name = NULL, *out = NULL;
	int fmt = CAMPAIGN_REPORT_TEXT, ch, ret = EX_OK;
	struct campaign_report r;
	struct conf *c;
	struct store *st;
	struct buf b;
	char err[4096];
	enum store_rc rc;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'c')
			name = optarg;
		else if (ch == 'o')
			out = optarg;
		else if (ch == 'f' && !strcmp(optarg, "text"))
			fmt = CAMPAIGN_REPORT_TEXT;
		else if (ch == 'f' && !strcmp(optarg, "csv"))
			fmt = CAMPAIGN_REPORT_CSV;
		else if (ch == 'f' && !strcmp(optarg, "json"))
			fmt = CAMPAIGN_REPORT_JSON;
		else if (ch == 'f' && !strcmp(optarg, "html"))
			fmt = CAMPAIGN_REPORT_HTML;
		else {
			fprintf(stderr, "usage: mailmoodctl report --campaign "
					"NAME [--format text|csv|json|html] "
					"[--output FILE]\n");
			return EX_USAGE;
		}
	}
	if (!name || optind != argc) {
		fprintf(stderr, "usage: mailmoodctl report --campaign NAME "
				"[--format text|csv|json|html] [--output "
				"FILE]\n");
		return EX_USAGE;
	}
	if (!(c = conf_load(config_path, err, sizeof(err)))) {
		fprintf(stderr, "%s\n", err);
		return EX_CONFIG;
	}
	if (store_open(c->general.store, &st, err, sizeof(err)) != STORE_OK) {
		fprintf(stderr, "mailmoodctl: %s\n", err);
		conf_free(c);
		return EX_UNAVAILABLE;
	}
	if ((rc = campaign_report_load(st, name, &r)) != STORE_OK) {
		fprintf(stderr, "mailmoodctl: campaign %s: %s\n", name,
			store_errmsg(st));
		store_close(st);
		conf_free(c);
		return rc == STORE_BUSY ? EX_TEMPFAIL : EX_UNAVAILABLE;
	}
	buf_init(&b);
	campaign_report_render(&r, fmt, &b);
	if (b.failed) {
		fprintf(stderr, "mailmoodctl: out of memory\n");
		ret = EX_SOFTWARE;
	} else {
		FILE *fp = out ? fopen(out, "w") : stdout;
		int bad = !fp || fwrite(b.data, 1, b.len, fp) != b.len;
		if (fp && out)
			bad |= fclose(fp) != 0;
		else if (fp)
			bad |= fflush(fp) != 0;
		if (bad) {
			fprintf(stderr, "mailmoodctl: %s: write error\n",
				out ? out : "stdout");
			ret = EX_IOERR;
		}
	}
	buf_free(&b);
	campaign_report_free(&r);
	store_close(st);
	conf_free(c);
	return ret;
}
