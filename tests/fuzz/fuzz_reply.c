/* SPDX-License-Identifier: BSD-2-Clause */
/* libFuzzer harness for the reply path: whole mail -> text, text -> strip
 * -> grade on every scale, and the HTML reader on the raw bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "reply.h"
#include "scale.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	char *text = NULL, *s;
	struct reply_grade g;

	if (reply_extract_text(in, size, &text) == 0)
		free(text);
	if ((s = reply_html_to_text(in, size)))
		free(s);
	if (!(s = reply_strip_quotes(in, size)))
		return 0;
	for (int i = 0; i < SCALE_COUNT; i++)
		if (reply_read_grade(scale_get(i), s, &g) == 0)
			reply_grade_free(&g);
	free(s);
	return 0;
}
