/* SPDX-License-Identifier: BSD-2-Clause */
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
	/* 1 when the rule matched but the Subject is a reply's or a
	 * forward's and the rule does not say reply_subjects = yes (and no
	 * later rule matched without that objection): never a closure. */
	int reply_subject;
};

/* 1 and *m filled when a rule matched (the first in file order), 0 when
 * none did, -1 on out of memory. Free *m with rules_match_free. */
int rules_match(const struct conf *c, const char *sender,
		const struct rules_header *h, size_t nh, struct rules_match *m);
void rules_match_free(struct rules_match *m);

/* 1 when a decoded Subject starts with a reply or forward prefix: Re, Fw,
 * Fwd, AW, WG, Antw, Doorst, SV, VS, TR, RV in any case, each followed by
 * ':', by "[n]" or "(n)" (then ':' or not), or by a blank; repeated
 * prefixes and blanks before them are allowed. */
int rules_reply_subject(const char *subject);

/* Requesters that are never surveyed: [milter] internal, else the domains
 * of every rule's exact from and sender address (a /regex/ names no
 * domain). An address whose domain has no dot (root@localhost) is always
 * internal. */
struct rules_internal {
	char **entries; /* "@domain" or "address", lowercased */
	size_t n;
};
/* 0, or -1 on out of memory. */
int rules_internal_build(const struct conf *c, struct rules_internal *out);
void rules_internal_free(struct rules_internal *in);
/* addr lowercased, as rules_first_address gives it. */
int rules_is_internal(const struct rules_internal *in, const char *addr);

/* The first address of an address-list header value ("Name <a@b>, c@d" ->
 * "a@b"), lowercased, newly allocated; NULL when there is none. */
char *rules_first_address(const char *value);
/* RFC 2047-decoded header value in UTF-8, newly allocated. */
char *rules_decode_header(const char *value);

#endif
