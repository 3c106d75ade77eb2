/* SPDX-License-Identifier: BSD-2-Clause */
/* libFuzzer harness for the LMTP protocol core (lmtp_proto.c): the input
 * is a client's byte stream, cut into reads at the positions the first
 * byte chooses, so line splitting, dot-unstuffing, the size limit and the
 * state machine see every way TCP can cut a conversation. Each command
 * line is also fed to the parser on its own. Build: tests/fuzz/build-lmtp.sh.
 * Inputs that crashed belong in tests/data/lmtp/ (test_lmtp replays them). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "lmtp_proto.h"

static enum ingest_result deliver(void *arg, const struct lmtp_message *m,
				  char *why, size_t whylen)
{
	(void)arg;
	/* touch every byte the session hands over */
	volatile unsigned char sum = 0;
	for (size_t i = 0; i < m->len; i++)
		sum += (unsigned char)m->data[i];
	for (size_t i = 0; i < m->nrcpts; i++)
		sum += (unsigned char)m->rcpts[i][0];
	sum += (unsigned char)m->sender[0];
	if (whylen > 4)
		memcpy(why, "why", 4);
	return (enum ingest_result)(m->len % 4);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lmtp_session_cfg cfg = {"fuzz.test", 2048, deliver, NULL};
	struct lmtp_session *s;
	struct buf out;
	size_t step, off = 0;
	struct lmtp_cmd cmd;
	const char *reply;

	if (size < 1)
		return 0;
	step = (size_t)(data[0] % 64) + 1;
	data++;
	size--;
	/* the parser alone, line by line */
	for (size_t i = 0, ls = 0; i <= size; i++)
		if (i == size || data[i] == '\n') {
			lmtp_parse_command((const char *)data + ls, i - ls,
					   &cmd, &reply);
			ls = i + 1;
		}
	s = lmtp_session_new(&cfg);
	if (!s)
		return 0;
	buf_init(&out);
	lmtp_session_greeting(s, &out);
	while (off < size) {
		size_t n = size - off < step ? size - off : step;
		buf_reset(&out);
		if (!lmtp_session_input(s, (const char *)data + off, n, &out))
			break;
		off += n;
	}
	lmtp_session_free(s);
	buf_free(&out);
	return 0;
}
