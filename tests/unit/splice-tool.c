/* SPDX-License-Identifier: BSD-2-Clause */
/* splice-tool MAIL: splices a fixed rating block into MAIL (stdin when
 * absent) and writes the whole mail to stdout, top-level header changes
 * applied as the milter would. Exit 0: changed; 2: unchanged (reason on
 * stderr, the mail written as it was); 1: error. Used by the corpus test
 * and to try mails by hand. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "splice.h"

/* Keep in sync with check_splice.py. */
static const char tool_text[] = "How did we do? Pick one, é 😀:\n"
				"  red    https://fb.example/r/TOKEN/1\n"
				"  amber  https://fb.example/r/TOKEN/2\n"
				"  green  https://fb.example/r/TOKEN/3\n"
				"  gold   https://fb.example/r/TOKEN/4\n"
				"mailmood-block-end\n";
static const char tool_html[] =
    "<table role=\"presentation\"><tr><td>How did we do? é 😀</td>"
    "<td><a href=\"https://fb.example/r/TOKEN/1\">red</a></td>\n"
    "<td><a href=\"https://fb.example/r/TOKEN/2\">amber</a></td>\n"
    "<td><a href=\"https://fb.example/r/TOKEN/3\">green</a></td>\n"
    "<td><a href=\"https://fb.example/r/TOKEN/4\">gold</a></td>"
    "</tr></table><!-- mailmood-block-end -->\n";

static int tool_read(FILE *f, struct buf *b)
{
	char chunk[65536];
	size_t n;

	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(b, chunk, n);
	return ferror(f) || b->failed ? -1 : 0;
}

static int tool_is(const char *line, size_t len, const char *name)
{
	size_t n = strlen(name);

	return len > n && strncasecmp(line, name, n) == 0 && line[n] == ':';
}

/* Writes the header block with the changed fields replaced (or added at
 * the end), in the block's own line-end style. */
static void tool_headers(const char *msg, size_t hdr_end,
			 const struct splice_result *res)
{
	int done_ct = 0, done_cte = 0;
	const char *eol = "\r\n";
	size_t pos = 0;
	const char *nl = memchr(msg, '\n', hdr_end);

	if (nl && (nl == msg || nl[-1] != '\r'))
		eol = "\n";
	while (pos < hdr_end) {
		size_t start = pos, end;
		const char *val = NULL, *name = NULL;
		int *done = NULL;

		/* one field: its line and the continuation lines */
		do {
			nl = memchr(msg + pos, '\n', hdr_end - pos);
			pos = nl ? (size_t)(nl - msg) + 1 : hdr_end;
		} while (pos < hdr_end &&
			 (msg[pos] == ' ' || msg[pos] == '\t'));
		end = pos;
		if (res->content_type &&
		    tool_is(msg + start, end - start, "Content-Type")) {
			val = res->content_type;
			name = "Content-Type";
			done = &done_ct;
		} else if (res->content_transfer_encoding &&
			   tool_is(msg + start, end - start,
				   "Content-Transfer-Encoding")) {
			val = res->content_transfer_encoding;
			name = "Content-Transfer-Encoding";
			done = &done_cte;
		}
		if (val) {
			printf("%s: %s%s", name, val, eol);
			*done = 1;
		} else {
			fwrite(msg + start, 1, end - start, stdout);
		}
	}
	if (res->content_type && !done_ct)
		printf("Content-Type: %s%s", res->content_type, eol);
	if (res->content_transfer_encoding && !done_cte)
		printf("Content-Transfer-Encoding: %s%s",
		       res->content_transfer_encoding, eol);
}

int main(int argc, char **argv)
{
	struct splice_block blk = {tool_text, sizeof(tool_text) - 1, tool_html,
				   sizeof(tool_html) - 1};
	struct splice_result res;
	struct buf msg;
	FILE *f = stdin;
	int rc;

	if (argc > 2) {
		fprintf(stderr, "usage: splice-tool [MAIL]\n");
		return 1;
	}
	if (argc == 2 && !(f = fopen(argv[1], "rb"))) {
		perror(argv[1]);
		return 1;
	}
	buf_init(&msg);
	rc = tool_read(f, &msg);
	if (f != stdin)
		fclose(f);
	if (rc < 0) {
		fprintf(stderr, "splice-tool: cannot read the mail\n");
		buf_free(&msg);
		return 1;
	}
	splice_message(msg.data ? msg.data : "", msg.len, &blk, &res);
	if (res.status != SPLICE_CHANGED) {
		fprintf(stderr, "unchanged: %s\n", res.reason);
		fwrite(msg.data, 1, msg.len, stdout);
		rc = res.status == SPLICE_UNCHANGED ? 2 : 1;
	} else {
		tool_headers(msg.data, res.header_len, &res);
		fwrite(msg.data + res.header_len, 1,
		       res.body_off - res.header_len, stdout);
		fwrite(res.body, 1, res.body_len, stdout);
		rc = 0;
	}
	splice_result_free(&res);
	buf_free(&msg);
	return rc;
}
