/* SPDX-License-Identifier: BSD-2-Clause */
/* The dashboard's "Customers" page of a team (GET /admin/customers/NAME):
 * IT's ratings of the team's customers (rate_customer), beside and never
 * mixed into the team page's ratings of IT. dashboard.c checks the
 * session and that the user sees the team; this writes the page body. */
#ifndef MM_DASHBOARD_CUSTOMERS_H
#define MM_DASHBOARD_CUSTOMERS_H

#include <stdint.h>

#include "buf.h"
#include "conf.h"
#include "store.h"

#define DASHBOARD_CUSTOMERS_DAYS 90
#define DASHBOARD_CUSTOMERS_LATEST 20

/* The figures of the last DASHBOARD_CUSTOMERS_DAYS days and the latest
 * ratings, every text escaped. STORE_OK, or the store's trouble (nothing
 * useful in b then). */
enum store_rc dashboard_customers_body(struct buf *b, struct store *st,
				       const struct conf *c,
				       const struct conf_team *t, int64_t now);

#endif
