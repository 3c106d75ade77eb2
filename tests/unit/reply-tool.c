/* SPDX-License-Identifier: BSD-2-Clause */
/* Drives the reply module from the shell for t-reply-corpus.sh and
 * t-reply-real.sh:
 *   reply-tool strip|strip-keepsig|html|mail FILE
 *   reply-tool grade SCALE FILE      (prints "found value\ncomment")
 *   reply-tool read SCALE FILE       (prints "grade VALUE|none\ncomment")
 * mail: reply_extract_text, then reply_strip with REPLY_KEEP_SIGNATURE (the
 * talon expectation). read: the whole path a reply mail takes in mailmoodd:
 * reply_extract_text, reply_strip_quotes, reply_read_grade on SCALE.
 * Output on stdout, exit 1 on failure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reply.h"
#include "scale.h"

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	size_t cap = 0, n = 0, r;

	if (!f)
		return NULL;
	do {
		if (n + 4096 > cap) {
			char *q = realloc(p, cap = cap * 2 + 8192);
			if (!q) {
				free(p);
				fclose(f);
				return NULL;
			}
			p = q;
		}
		r = fread(p + n, 1, cap - n - 1, f);
		n += r;
	} while (r > 0);
	fclose(f);
	p[n] = '\0';
	*len = n;
	return p;
}

/* The read mode; prints what mailmoodd would record. Frees in. */
static int read_mail(const char *scale, char *in, size_t len)
{
	const struct scale *sc = scale_by_name(scale);
	char *text = NULL, *stripped = NULL;
	struct reply_grade g;
	int rc = 1;

	if (!sc) {
		fprintf(stderr, "unknown scale %s\n", scale);
		goto out;
	}
	if (reply_extract_text(in, len, &text) != 0) {
		fprintf(stderr, "no readable text part\n");
		goto out;
	}
	if (!(stripped = reply_strip_quotes(text, strlen(text))) ||
	    reply_read_grade(sc, stripped, &g) != 0)
		goto out;
	if (g.found)
		printf("grade %d\n%s\n", g.value, g.comment);
	else
		printf("grade none\n%s\n", g.comment);
	reply_grade_free(&g);
	rc = 0;
out:
	free(stripped);
	free(text);
	free(in);
	return rc;
}

int main(int argc, char **argv)
{
	char *in, *out = NULL, *text = NULL;
	size_t len;
	int rc = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: reply-tool strip|strip-keepsig|html|"
				"mail FILE | grade|read SCALE FILE\n");
		return 2;
	}
	if (!(in = slurp(argv[argc - 1], &len))) {
		perror(argv[argc - 1]);
		return 1;
	}
	if (!strcmp(argv[1], "strip")) {
		out = reply_strip_quotes(in, len);
	} else if (!strcmp(argv[1], "strip-keepsig")) {
		out = reply_strip(in, len, REPLY_KEEP_SIGNATURE);
	} else if (!strcmp(argv[1], "html")) {
		out = reply_html_to_text(in, len);
	} else if (!strcmp(argv[1], "mail")) {
		if (reply_extract_text(in, len, &text) == 0)
			out = reply_strip(text, strlen(text),
					  REPLY_KEEP_SIGNATURE);
	} else if (!strcmp(argv[1], "read") && argc == 4) {
		return read_mail(argv[2], in, len);
	} else if (!strcmp(argv[1], "grade") && argc == 4) {
		const struct scale *sc = scale_by_name(argv[2]);
		struct reply_grade g;

		if (sc && (text = reply_strip_quotes(in, len)) &&
		    reply_read_grade(sc, text, &g) == 0) {
			printf("%d %d\n%s\n", g.found, g.found ? g.value : 0,
			       g.comment);
			reply_grade_free(&g);
		} else {
			rc = 1;
		}
		free(text);
		free(in);
		return rc;
	}
	if (out)
		fputs(out, stdout);
	else
		rc = 1;
	free(out);
	free(text);
	free(in);
	return rc;
}
