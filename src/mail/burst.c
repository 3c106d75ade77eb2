/* SPDX-License-Identifier: BSD-2-Clause */
/* Tells mail security scanners from people by their hits (burst.h). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "burst.h"

/* Substrings (case-insensitive) of user agents that fetch links without a
 * person: mail security gateways and link checkers, link-preview bots,
 * command-line clients. A person's browser never sends these. Some
 * scanners pose as a plain browser; the level-burst and early rules catch
 * those. "curl" is on the list: the integration tests set a browser-like
 * user agent when they play a person. Written in lower case: the user
 * agent is lowered once and searched with strstr (strcasestr per needle
 * cost more than the rest of recording a hit). */
static const char *const scanner_ua[] = {
    "microsoft office", /* Office apps and Safe Links prefetch */
    "safelinks",
    "safe links",
    "ms-office",
    "msoffice",
    "barracuda",
    "mimecast",
    "proofpoint",
    "urldefense",
    "symantec",
    "forcepoint",
    "trend micro",
    "sophos",
    "fireeye",
    "cisco",
    "ironport",
    "zscaler",
    "google-safety",
    "googlebot",
    "bingbot",
    "bingpreview",
    "slackbot",
    "facebookexternalhit",
    "twitterbot",
    "whatsapp",
    "telegrambot",
    "discordbot",
    "skypeuripreview",
    "linkedinbot",
    "applebot",
    "bot/",
    "bot;",
    "bot ",
    "crawler",
    "spider",
    "headlesschrome",
    "phantomjs",
    "python-requests",
    "python-urllib",
    "aiohttp",
    "go-http-client",
    "java/",
    "okhttp",
    "libwww-perl",
    "wget",
    "curl/",
    "httpclient",
    "scanner",
    "preview",
};

/* The last user agent this thread looked at, and the answer: one
 * visitor's requests, and a writer's batch of them, repeat it (the
 * lowercasing and ~40 substring searches were 7% of the hit writer). */
static _Thread_local char last_ua[256];
static _Thread_local int last_hit;

int burst_scanner_ua(const char *ua)
{
	char small[512], *low = small;
	size_t n;
	int hit = 0;

	if (!ua || !*ua)
		return 1;
	n = strlen(ua);
	if (n < sizeof(last_ua) && !memcmp(ua, last_ua, n + 1))
		return last_hit;
	if (n >= sizeof(small) && !(low = malloc(n + 1)))
		return 0; /* out of memory: the level and early rules remain */
	for (size_t i = 0; i <= n; i++)
		low[i] = (char)tolower((unsigned char)ua[i]);
	for (size_t i = 0;
	     !hit && i < sizeof(scanner_ua) / sizeof(scanner_ua[0]); i++)
		hit = strstr(low, scanner_ua[i]) != NULL;
	if (low != small)
		free(low);
	if (n < sizeof(last_ua)) {
		memcpy(last_ua, ua, n + 1);
		last_hit = hit;
	}
	return hit;
}

/* Another level than this one among the hits inside the window. */
static int other_level_in_window(const struct burst_input *in)
{
	for (size_t i = 0; i < in->nprior; i++)
		if (in->prior[i].at >= in->now - in->window &&
		    in->prior[i].at <= in->now &&
		    in->prior[i].level != in->level)
			return 1;
	return 0;
}

void burst_classify_hit(const struct burst_input *in, struct burst_result *out)
{
	out->reason = BURST_HUMAN;
	out->mark_prior = 0;
	if (in->window > 0 && other_level_in_window(in)) {
		out->reason = BURST_LEVELS;
		out->mark_prior = 1;
	} else if (burst_scanner_ua(in->user_agent)) {
		out->reason = BURST_SCANNER_UA;
	} else if (in->head) {
		out->reason = BURST_HEAD;
	} else if (in->now - in->sent_at < BURST_EARLY_SECS) {
		out->reason = BURST_EARLY;
	}
}

/* The script confirms the level of its own page, so what matters is
 * whether the survey's links were opened on two or more levels. */
static int levels_in_window(const struct burst_input *in)
{
	for (size_t i = 0; i < in->nprior; i++)
		for (size_t j = i + 1; j < in->nprior; j++)
			if (in->prior[i].at >= in->now - in->window &&
			    in->prior[j].at >= in->now - in->window &&
			    in->prior[i].level != in->prior[j].level)
				return 1;
	return 0;
}

enum burst_reason burst_classify_post(const struct burst_input *in,
				      int automatic)
{
	if (burst_scanner_ua(in->user_agent))
		return BURST_SCANNER_UA;
	if (automatic && in->window > 0 && levels_in_window(in))
		return BURST_LEVELS;
	return BURST_HUMAN;
}

const char *burst_reason_name(enum burst_reason r)
{
	switch (r) {
	case BURST_HUMAN:
		return "human";
	case BURST_SCANNER_UA:
		return "scanner-ua";
	case BURST_LEVELS:
		return "level-burst";
	case BURST_EARLY:
		return "early";
	case BURST_HEAD:
		return "head";
	}
	return "?";
}
