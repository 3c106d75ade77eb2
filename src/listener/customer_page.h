/* SPDX-License-Identifier: BSD-2-Clause */
/* The links of the customer digest (customer_rating.h), the same page
 * type as the closure rating page (rate.h):
 *   GET  /k/TOKEN/LEVEL  the ticket with LEVEL chosen and a form; records
 *                        nothing (scanners fetch every link)
 *   POST /k/TOKEN        level, csrf (purpose "customer"): records IT's
 *                        rating of the customer, replacing an earlier one
 *                        (history kept); JSON for rate.js, else a page.
 * TOKEN is token_make_customer() of the survey: a closure survey token
 * is not one (nor the other way round). Forged, unknown or expired
 * tokens, and surveys of teams without rate_customer, get the friendly
 * 404 page. */
#ifndef MM_CUSTOMER_PAGE_H
#define MM_CUSTOMER_PAGE_H

#include "rate.h"

void customer_page_handle(const struct rate_env *env, struct store *st,
			  const struct rate_request *rq,
			  struct rate_response *rs);

#endif
