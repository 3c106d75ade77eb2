/* SPDX-License-Identifier: BSD-2-Clause */
/* Telling mail security scanners from people (doc/ARCHITECTURE.md "A click").
 *
 * Scanners (Microsoft Defender Safe Links, Mimecast, Proofpoint, Barracuda,
 * ...) fetch every link of a mail, often at delivery, sometimes from a
 * headless browser that runs scripts. A GET never records a rating; this
 * module decides which hits are machine hits (kept for reports, never
 * counted) and whether an automatic (script) confirmation may count.
 *
 * A hit is a machine hit when
 *  - its user agent is missing or names a known scanner (burst_scanner_ua);
 *  - the survey got hits on two or more different levels within
 *    burst_window: a person clicks one link, a scanner clicks them all, so
 *    the earlier hits of that window are marked as machine too;
 *  - it comes within BURST_EARLY_SECS of the survey being sent: too soon
 *    for a person to read the mail. Such a hit stays marked even when a
 *    person's page then confirms with JavaScript; the rating counts.
 *
 * A rating (POST, which needs the page's CSRF value) counts unless
 *  - its user agent is a scanner's (refused outright), or
 *  - it is the page script's automatic confirmation while the survey is in
 *    a multi-level burst: a scanner that runs scripts opens every link, and
 *    each page would confirm its own level. The page then asks for a
 *    click on its button; an explicit click (or the no-script form) with a
 *    valid CSRF value always counts.
 * Pure functions: no store, no clock, so they are unit-tested directly. */
#ifndef MM_BURST_H
#define MM_BURST_H

#include <stddef.h>
#include <stdint.h>

#define BURST_EARLY_SECS 10

enum burst_reason {
	BURST_HUMAN = 0,
	BURST_SCANNER_UA, /* known scanner, or no user agent at all */
	BURST_LEVELS,	  /* several levels within the window */
	BURST_EARLY,	  /* right after delivery */
	BURST_HEAD,	  /* HEAD request: a link checker */
};

struct burst_hit {
	int64_t at;
	int level;
};

struct burst_input {
	int64_t now;
	int level;
	const char *user_agent; /* NULL: none sent */
	int head;		/* HEAD request */
	int64_t sent_at;
	int64_t window;		       /* burst_window, seconds */
	const struct burst_hit *prior; /* earlier hits of the survey */
	size_t nprior;
};

struct burst_result {
	enum burst_reason reason; /* BURST_HUMAN: a person, as far as known */
	int mark_prior; /* mark the survey's hits since now - window machine */
};

/* 1 when ua is missing or matches a known scanner / link checker. */
int burst_scanner_ua(const char *ua);
void burst_classify_hit(const struct burst_input *in, struct burst_result *out);
/* For a POST: BURST_HUMAN (count it), BURST_SCANNER_UA (refuse), or
 * BURST_LEVELS (automatic confirmation during a burst: ask for a click).
 * in->prior: the survey's hits within the window; automatic: 1 for the
 * page script's confirmation. */
enum burst_reason burst_classify_post(const struct burst_input *in,
				      int automatic);
const char *burst_reason_name(enum burst_reason r);

#endif
