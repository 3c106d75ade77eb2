/* SPDX-License-Identifier: BSD-2-Clause */
/* The acknowledge link of a red alert:
 *   GET  /a/TOKEN  what the alert was about, who acknowledged it if
 *                  someone did, else a form asking for a name; records
 *                  nothing (scanners fetch every link)
 *   POST /a/TOKEN  name, csrf: records who took it and when (the first
 *                  acknowledgement counts; later ones see it)
 * TOKEN is token_make_ack() of the outbox row; forged or unknown tokens
 * get the friendly 404 page of rate.c. */
#ifndef MM_ACK_H
#define MM_ACK_H

#include "rate.h"

#define ACK_NAME_MAX 100 /* characters */

void ack_handle(const struct rate_env *env, struct store *st,
		const struct rate_request *rq, struct rate_response *rs);

#endif
