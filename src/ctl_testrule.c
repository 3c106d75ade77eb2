/* mailmoodctl test-rule MAIL.eml [--rewrite]: the milter's path on a file,
 * without an MTA and without recording a survey (links carry survey 0,
 * which no listener accepts). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

#include "buf.h"
#include "closure.h"
#include "ctl.h"

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

int ctl_test_rule(const char *config_path, int argc, char **argv)
{
	const char *file = NULL;
	int rewrite = 0, rc = EX_OK;
	struct conf *c;
	struct token_key key;
	struct inject_templates tpl;
	struct parsed_mail p;
	struct closure_result r;
	char err[4096], *msg;
	size_t len;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--rewrite"))
			rewrite = 1;
		else if (!file)
			file = argv[i];
		else
			file = NULL, i = argc;
	}
	if (!file) {
		fprintf(stderr,
			"usage: mailmoodctl test-rule MAIL.eml [--rewrite]\n");
		return EX_USAGE;
	}
	c = conf_load(config_path, err, sizeof(err));
	if (!c) {
		fprintf(stderr, "%s\n", err);
		return EX_CONFIG;
	}
	/* A dry run needs no real key: nothing it prints can be redeemed. */
	memset(&key, 0, sizeof(key));
	key.len = TOKEN_KEY_MIN;
	if (inject_templates_load(c->general.templates, &tpl, err,
				  sizeof(err)) < 0) {
		fprintf(stderr, "mailmoodctl: %s\n", err);
		conf_free(c);
		return EX_CONFIG;
	}
	msg = slurp(file, &len);
	if (!msg) {
		fprintf(stderr, "mailmoodctl: %s: %s\n", file, strerror(errno));
		inject_templates_free(&tpl);
		conf_free(c);
		return EX_NOINPUT;
	}
	if (parse_headers(msg, len, &p) < 0) {
		fprintf(stderr,
			"mailmoodctl: %s: not a mail (bad header "
			"line)\n",
			file);
		parsed_free(&p);
		free(msg);
		inject_templates_free(&tpl);
		conf_free(c);
		return EX_DATAERR;
	}
	struct closure_env env = {c, &key, &tpl, NULL};
	struct closure_mail mail = {"test-rule", "", NULL, p.h, p.nh, msg, len};
	switch (closure_process(&env, &mail, &r)) {
	case CLOSURE_NO_RULE:
		fprintf(rewrite ? stderr : stdout, "no rule matched\n");
		rc = 1;
		break;
	case CLOSURE_ERROR:
		fprintf(stderr, "error: %s\n", r.reason);
		rc = EX_SOFTWARE;
		break;
	default:
		fprintf(rewrite ? stderr : stdout,
			"rule=%s ticket=%s team=%s agent=%s requester=%s\n",
			r.match.rule->name,
			r.match.ticket ? r.match.ticket : "-",
			r.match.team ? r.match.team : "-",
			r.match.agent ? r.match.agent : "-", r.requester);
		if (r.outcome == CLOSURE_UNCHANGED)
			fprintf(rewrite ? stderr : stdout,
				"passes unchanged: %s\n", r.reason);
		else
			fprintf(rewrite ? stderr : stdout,
				"would inject: %d text, %d html part(s)\n",
				r.splice.parts_text, r.splice.parts_html);
		if (rewrite) {
			if (r.outcome == CLOSURE_INJECTED)
				write_rewritten(msg, &p, &r.splice, stdout);
			else
				fwrite(msg, 1, len, stdout);
		}
	}
	closure_result_free(&r);
	parsed_free(&p);
	free(msg);
	inject_templates_free(&tpl);
	conf_free(c);
	return rc;
}
