/* Detect: which [rule] a mail matches, and what it captured (ticket, team,
 * agent). Pure: the milter and `mailmoodctl test-rule` feed it the envelope
 * sender and the header fields as the MTA gave them. */
#ifndef MM_RULES_H
#define MM_RULES_H

#include <stddef.h>

#include "conf.h"

struct rules_header {
	const char *name;
	const char *value; /* raw; may be folded and RFC 2047 encoded */
};

struct rules_match {
	const struct conf_rule *rule;
	char *ticket; /* NULL when nothing captured */
	char *team;
	char *agent;
	char *subject; /* decoded to UTF-8 */
};

/* 1 and *m filled when a rule matched (the first in file order), 0 when
 * none did, -1 on out of memory. Free *m with rules_match_free. */
int rules_match(const struct conf *c, const char *sender,
		const struct rules_header *h, size_t nh, struct rules_match *m);
void rules_match_free(struct rules_match *m);

/* The first address of an address-list header value ("Name <a@b>, c@d" ->
 * "a@b"), lowercased, newly allocated; NULL when there is none. */
char *rules_first_address(const char *value);
/* RFC 2047-decoded header value in UTF-8, newly allocated. */
char *rules_decode_header(const char *value);

#endif
