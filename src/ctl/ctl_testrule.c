/* SPDX-License-Identifier: BSD-2-Clause */
/* mailmoodctl test-rule MAIL.eml [--from SENDER] [--rcpt ADDRESS]...
 * [--rewrite]: the milter's path on a file, without an MTA and without
 * recording anything (links carry survey 0, which no listener accepts); a
 * reply to the ticket address is looked up in the store and read as the
 * milter would, requester check included. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <unistd.h>

#include "buf.h"
#include "closure.h"
#include "ctl.h"
#include "ticket_reply.h"

struct parsed_mail {
	struct rules_header *h;
	size_t nh;
	size_t body_off; /* after the blank line */
};

static void parsed_free(struct parsed_mail *p)
{
	for (size_t i = 0; i < p->nh; i++) {
		free((char *)p->h[i].name);
		free((char *)p->h[i].value);
	}
	free(p->h);
}

static size_t line_end(const char *s, size_t off, size_t len)
{
	const char *nl = memchr(s + off, '\n', len - off);
	return nl ? (size_t)(nl - s) + 1 : len;
}

/* Header fields as an MTA hands them to a milter: name, and the value
 * with its folding. */
static int parse_headers(const char *s, size_t len, struct parsed_mail *p)
{
	size_t off = 0;

	memset(p, 0, sizeof(*p));
	while (off < len) {
		size_t end = line_end(s, off, len), vend = end, colon;
		struct rules_header *h;
		if (s[off] == '\n' ||
		    (s[off] == '\r' && off + 1 < len && s[off + 1] == '\n')) {
			p->body_off = end;
			return 0;
		}
		/* continuation lines belong to this field */
		while (vend < len && (s[vend] == ' ' || s[vend] == '\t'))
			vend = line_end(s, vend, len);
		const char *c = memchr(s + off, ':', end - off);
		if (!c)
			return -1;
		colon = (size_t)(c - s);
		h = realloc(p->h, (p->nh + 1) * sizeof(*h));
		if (!h)
			return -1;
		p->h = h;
		size_t vs = colon + 1, ve = vend;
		while (vs < ve && (s[vs] == ' ' || s[vs] == '\t'))
			vs++;
		while (ve > vs && (s[ve - 1] == '\n' || s[ve - 1] == '\r'))
			ve--;
		h[p->nh].name = strndup(s + off, colon - off);
		h[p->nh].value = strndup(s + vs, ve - vs);
		p->nh++;
		off = vend;
	}
	p->body_off = len;
	return 0;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *fp = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	struct buf b;
	char chunk[65536];
	size_t n;

	if (!fp)
		return NULL;
	buf_init(&b);
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		buf_append(&b, chunk, n);
	if (fp != stdin)
		fclose(fp);
	return buf_steal(&b, len);
}

/* The original header block with the top-level fields the splice changed
 * rewritten in place (or added), then the new body. */
static void write_rewritten(const char *msg, const struct parsed_mail *p,
			    const struct splice_result *sr, FILE *out)
{
	size_t off = 0;
	int ct_done = !sr->content_type;
	int cte_done = !sr->content_transfer_encoding;

	while (off < p->body_off) {
		size_t end = line_end(msg, off, p->body_off), vend = end;
		while (vend < p->body_off &&
		       (msg[vend] == ' ' || msg[vend] == '\t'))
			vend = line_end(msg, vend, p->body_off);
		if (end - off <= 2 && (msg[off] == '\r' || msg[off] == '\n'))
			break;
		if (!ct_done && !strncasecmp(msg + off, "Content-Type:", 13)) {
			fprintf(out, "Content-Type: %s\r\n", sr->content_type);
			ct_done = 1;
		} else if (!cte_done &&
			   !strncasecmp(msg + off,
					"Content-Transfer-Encoding:", 26)) {
			fprintf(out, "Content-Transfer-Encoding: %s\r\n",
				sr->content_transfer_encoding);
			cte_done = 1;
		} else {
			fwrite(msg + off, 1, vend - off, out);
		}
		off = vend;
	}
	if (!ct_done)
		fprintf(out, "Content-Type: %s\r\n", sr->content_type);
	if (!cte_done)
		fprintf(out, "Content-Transfer-Encoding: %s\r\n",
			sr->content_transfer_encoding);
	fputs("\r\n", out);
	fwrite(sr->body, 1, sr->body_len, out);
}

/* The envelope sender the MTA would give: --from, else the Return-Path a
 * delivered mail carries; *out NULL when neither says (unknown, which is
 * not the empty sender of a bounce). -1 out of memory. */
static int envelope_sender(const char *opt, const struct parsed_mail *p,
			   char **out)
{
	*out = NULL;
	if (opt)
		return (*out = strdup(opt)) ? 0 : -1;
	for (size_t i = 0; i < p->nh; i++)
		if (!strcasecmp(p->h[i].name, "Return-Path")) {
			*out = rules_first_address(p->h[i].value);
			if (!*out)
				*out = strdup("");
			return *out ? 0 : -1;
		}
	return 0;
}

/* What the milter does with a mail no rule takes: the same look-up at end
 * of headers (only In-Reply-To/References), the same reading and
 * requester check, nothing recorded. 1 printed something, 0 not a ticket
 * reply, -1 error (printed). */
static int test_ticket_reply(const struct conf *c, const struct token_key *key,
			     const char *sender, const char *const *rcpts,
			     size_t nrcpts, const struct parsed_mail *p,
			     const char *msg, size_t len, FILE *out)
{
	struct ticket_reply_env env = {c, key, NULL, 1};
	struct ticket_reply_mail mail = {"test-rule", sender, p->h, p->nh,
					 msg,	      len,    0,    NULL};
	struct ticket_reply_result r;
	char err[512];
	enum store_rc rc;
	int ret = 1;

	if (c->milter.ticket_replies == CONF_TICKET_REPLIES_OFF ||
	    (!ticket_reply_threaded(p->h, p->nh) &&
	     c->milter.ticket_reply_scan != CONF_TICKET_REPLY_SCAN_BODIES))
		return 0;
	for (size_t i = 0; i < nrcpts; i++)
		if (ticket_reply_for_listener(c, rcpts[i])) {
			fprintf(out, "to reply_address: the listener reads "
				     "it, not the milter\n");
			return 1;
		}
	/* a dry run creates no store: without one there is no survey */
	if (store_dsn_is_file(c->general.store) &&
	    access(c->general.store, F_OK) != 0)
		return 0;
	if (store_open(c->general.store, &env.store, err, sizeof(err)) !=
	    STORE_OK) {
		/* the rule test stands; only the ticket-reply part needs it */
		fprintf(stderr,
			"mailmoodctl: store: %s; cannot tell whether this is "
			"a ticket reply\n",
			err);
		return 0;
	}
	rc = STORE_NOTFOUND;
	if (ticket_reply_threaded(p->h, p->nh))
		rc = ticket_reply_lookup(env.store, p->h, p->nh, &mail.hint);
	if (rc == STORE_NOTFOUND &&
	    c->milter.ticket_reply_scan == CONF_TICKET_REPLY_SCAN_BODIES &&
	    (mail.hint = ticket_reply_token_survey(key, msg, len)) > 0) {
		mail.hint_by = "ref";
		rc = STORE_OK;
	}
	if (rc == STORE_NOTFOUND) {
		store_close(env.store);
		return 0;
	}
	if (rc != STORE_OK) {
		fprintf(stderr, "mailmoodctl: store: %s\n",
			store_errmsg(env.store));
		store_close(env.store);
		return -1;
	}
	switch (ticket_reply_process(&env, &mail, &r)) {
	case TICKET_REPLY_NONE:
		ret = 0;
		break;
	case TICKET_REPLY_PASS:
		fprintf(out,
			"ticket reply: survey %lld from=%s: %s; passes "
			"unchanged\n",
			(long long)r.survey_id, r.from, r.reason);
		break;
	case TICKET_REPLY_RECORDED:
	case TICKET_REPLY_DIVERTED:
		fprintf(out,
			"ticket reply: survey %lld from=%s: would rate %s "
			"(%s)\n"
			"X-Mailmood-Rating: %s\n",
			(long long)r.survey_id, r.from, r.level_key,
			r.action == TICKET_REPLY_DIVERTED ? "divert" : "record",
			r.header);
		if (r.action == TICKET_REPLY_DIVERTED)
			fprintf(out,
				"would deliver to %s instead of the "
				"ticket address\n",
				c->listener.reply_address);
		break;
	case TICKET_REPLY_ERROR:
		fprintf(stderr, "error: %s\n", r.reason);
		ret = -1;
		break;
	}
	store_close(env.store);
	return ret;
}

/* The input's line ending for what is printed: a mail saved with LF gets
 * LF back, never a mix. */
static void write_lines(const char *s, size_t n, int lf, FILE *out)
{
	for (size_t i = 0; i < n; i++) {
		if (lf && s[i] == '\r' && i + 1 < n && s[i + 1] == '\n')
			continue;
		putc(s[i], out);
	}
}

int ctl_test_rule(const char *config_path, int argc, char **argv)
{
	const char *file = NULL, *from = NULL;
	const char **rcpts = NULL;
	size_t nrcpts = 0;
	int rewrite = 0, rc = EX_OK, bad = 0, lf;
	struct conf *c;
	struct token_key key, real_key;
	struct inject_templates tpl;
	struct rules_internal internal;
	struct parsed_mail p;
	struct closure_result r;
	char err[4096], *msg, *sender = NULL, *obuf = NULL;
	size_t len, olen = 0;
	FILE *info, *out;

	rcpts = calloc((size_t)argc, sizeof(*rcpts));
	if (!rcpts)
		return EX_OSERR;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--rewrite"))
			rewrite = 1;
		else if (!strcmp(argv[i], "--from") && i + 1 < argc)
			from = argv[++i];
		else if (!strcmp(argv[i], "--rcpt") && i + 1 < argc)
			rcpts[nrcpts++] = argv[++i];
		else if (argv[i][0] == '-' && argv[i][1] == '-')
			bad = 1;
		else if (!file)
			file = argv[i];
		else
			bad = 1;
	}
	if (!file || bad) {
		fprintf(stderr, "usage: mailmoodctl test-rule MAIL.eml [--from "
				"ENVELOPE-SENDER] [--rcpt ADDRESS]... "
				"[--rewrite]\n");
		free(rcpts);
		return EX_USAGE;
	}
	c = conf_load(config_path, err, sizeof(err));
	if (!c) {
		fprintf(stderr, "%s\n", err);
		free(rcpts);
		return EX_CONFIG;
	}
	/* A dry run needs no real key: nothing it prints can be redeemed,
	 * and a ticket reply is found by its In-Reply-To, as live. */
	memset(&key, 0, sizeof(key));
	key.len = TOKEN_KEY_MIN;
	/* A token quoted in a ticket reply is checked with the real one when
	 * it can be read (ticket_reply_scan = bodies). */
	if (token_key_load(c->general.secret_file, &real_key, err,
			   sizeof(err)) < 0)
		real_key = key;
	if (inject_templates_load(c->general.templates, &tpl, err,
				  sizeof(err)) < 0) {
		fprintf(stderr, "mailmoodctl: %s\n", err);
		conf_free(c);
		free(rcpts);
		return EX_CONFIG;
	}
	if (rules_internal_build(c, &internal) < 0) {
		inject_templates_free(&tpl);
		conf_free(c);
		free(rcpts);
		return EX_OSERR;
	}
	msg = slurp(file, &len);
	if (!msg) {
		fprintf(stderr, "mailmoodctl: %s: %s\n", file, strerror(errno));
		rc = EX_NOINPUT;
		goto out_cfg;
	}
	if (parse_headers(msg, len, &p) < 0) {
		fprintf(stderr,
			"mailmoodctl: %s: not a mail (bad header "
			"line)\n",
			file);
		rc = EX_DATAERR;
		goto out_msg;
	}
	/* LF when the first line ends without CR */
	{
		const char *nl = memchr(msg, '\n', len);
		lf = nl && (nl == msg || nl[-1] != '\r');
	}
	if (envelope_sender(from, &p, &sender) < 0 ||
	    !(out = open_memstream(&obuf, &olen))) {
		rc = EX_OSERR;
		goto out_msg;
	}
	info = rewrite ? stderr : out;
	struct closure_env env = {c, &key, &tpl, NULL, &internal};
	struct closure_mail mail = {
	    "test-rule", sender, nrcpts ? rcpts[0] : NULL, p.h, p.nh, msg, len};
	switch (closure_process(&env, &mail, &r)) {
	case CLOSURE_NO_RULE:
	case CLOSURE_MATCHED:
		if (r.outcome == CLOSURE_NO_RULE)
			fprintf(info, "no rule matched\n");
		rc = 1;
		break;
	case CLOSURE_ERROR:
		fprintf(stderr, "error: %s\n", r.reason);
		rc = EX_SOFTWARE;
		break;
	default:
		fprintf(
		    info, "rule=%s ticket=%s team=%s agent=%s requester=%s\n",
		    r.match.rule->name, r.match.ticket ? r.match.ticket : "-",
		    r.match.team ? r.match.team : "-",
		    r.match.agent ? r.match.agent : "-",
		    r.requester[0] ? r.requester : "-");
		if (r.outcome == CLOSURE_UNCHANGED)
			fprintf(info, "%s: %s\n",
				r.skipped ? "no links" : "passes unchanged",
				r.reason);
		else
			fprintf(info,
				"would inject: %d text, %d html part(s)\n",
				r.splice.parts_text, r.splice.parts_html);
	}
	/* Not a closure mail: perhaps a reply to the ticket address. */
	if (r.outcome == CLOSURE_NO_RULE || r.skipped) {
		int t = test_ticket_reply(c, &real_key, sender, rcpts, nrcpts,
					  &p, msg, len, info);
		if (t < 0)
			rc = EX_SOFTWARE;
		else if (t > 0 && rc == 1)
			rc = EX_OK;
	}
	if (rewrite &&
	    (r.outcome == CLOSURE_INJECTED || r.outcome == CLOSURE_UNCHANGED)) {
		fflush(out);
		if (r.outcome == CLOSURE_INJECTED)
			write_rewritten(msg, &p, &r.splice, out);
		else
			fwrite(msg, 1, len, out);
	}
	fclose(out);
	write_lines(obuf, olen, lf, stdout);
	free(obuf);
	closure_result_free(&r);
out_msg:
	parsed_free(&p);
	free(msg);
out_cfg:
	free(sender);
	rules_internal_free(&internal);
	inject_templates_free(&tpl);
	conf_free(c);
	free(rcpts);
	return rc;
}
