/* SPDX-License-Identifier: BSD-2-Clause */
/* The pages of a campaign mail's links:
 *   GET  /c/TOKEN/LEVEL  the question with LEVEL (0-10) chosen and the
 *                        "what could we do better?" field; records
 *                        nothing (scanners fetch every link)
 *   POST /c/TOKEN        level, better, csrf: records the answer (a later
 *                        one replaces it, history kept)
 *   GET  /u/TOKEN        asks to confirm the unsubscribe
 *   POST /u/TOKEN        unsubscribes the address from every later
 *                        campaign: RFC 8058's one-click POST
 *                        (List-Unsubscribe=One-Click) or the page's form
 * TOKEN is token_make_campaign() of the recipient; forged or unknown
 * tokens get the friendly 404 page of rate.c. */
#ifndef MM_CAMPAIGN_PAGE_H
#define MM_CAMPAIGN_PAGE_H

#include "rate.h"

void campaign_page_handle(const struct rate_env *env, struct store *st,
			  const struct rate_request *rq,
			  struct rate_response *rs);

#endif
