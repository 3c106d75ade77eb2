/* SPDX-License-Identifier: BSD-2-Clause */
/* One closure mail, start to end, independent of the MTA: match the rules,
 * decide cooldown and sampling, record the survey, render the block and
 * splice it in. The milter calls it at end of message; `mailmoodctl
 * test-rule` calls it on a file, so both take the same path. */
#ifndef MM_CLOSURE_H
#define MM_CLOSURE_H

#include <stdint.h>

#include "conf.h"
#include "inject.h"
#include "rules.h"
#include "splice.h"
#include "store.h"
#include "token.h"

struct closure_env {
	const struct conf *conf;
	const struct token_key *key;
	const struct inject_templates *templates;
	struct store *store; /* NULL: dry run, nothing recorded (id 0) */
	const struct rules_internal *internal; /* NULL: only dotless domains */
};

struct closure_mail {
	const char *qid;
	const char *sender; /* envelope MAIL FROM */
	const char *rcpt;   /* first envelope recipient, may be NULL */
	const struct rules_header *h;
	size_t nh;
	const char *msg; /* the whole message: headers, blank line, body */
	size_t len;
};

enum closure_outcome {
	CLOSURE_NO_RULE,   /* not a closure mail */
	CLOSURE_INJECTED,  /* survey recorded, body replaced */
	CLOSURE_UNCHANGED, /* closure mail passed unchanged (reason) */
	CLOSURE_ERROR,	   /* internal error: on_error applies */
	CLOSURE_MATCHED,   /* closure_check only: a closure mail, the body
			    * is needed */
};

struct closure_result {
	enum closure_outcome outcome;
	struct rules_match match;
	struct splice_result splice; /* valid when INJECTED */
	int64_t survey_id;
	char requester[320];
	char reason[256];
	int skipped; /* UNCHANGED by a guard (reply subject, internal
		      * requester): no survey, "no links: REASON" */
};

/* Decides on the envelope and headers alone (m->msg unused), for the early
 * accept at end of headers: NO_RULE; UNCHANGED with skipped set when a
 * guard says no (a reply's subject, an internal requester; log it with
 * closure_log); ERROR (out of memory); MATCHED when the body is needed.
 * Free r with closure_result_free in every case. */
enum closure_outcome closure_check(const struct closure_env *env,
				   const struct closure_mail *m,
				   struct closure_result *r);

enum closure_outcome closure_process(const struct closure_env *env,
				     const struct closure_mail *m,
				     struct closure_result *r);
void closure_result_free(struct closure_result *r);

/* The log line admins grep (doc/ARCHITECTURE.md, "Conventions"): "QID: survey
 * 42 ticket=... injected text+html" or "QID: rule=... passed unchanged:
 * reason". */
void closure_log(const struct closure_mail *m, const struct closure_result *r);

#endif
