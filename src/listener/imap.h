/* SPDX-License-Identifier: BSD-2-Clause */
/* The IMAP poller (libetpan's mailimap), for replies that land in a
 * mailbox the admin cannot route to LMTP. One thread in mailmoodd: log in,
 * take every mail in [imap] folder through ingest_mail, move what was
 * stored or deliberately ignored to move_to, leave what could not be
 * stored for the next round; then wait for the server (IDLE, when it has
 * it) or poll seconds, whichever comes first. TLS (imaps://) checks the
 * server's certificate chain and name with GnuTLS unless tls_verify = no;
 * ca_file trusts a private CA or a self-signed certificate. */
#ifndef MM_IMAP_H
#define MM_IMAP_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "conf_snapshot.h"
#include "token.h"

struct imap_url {
	char host[256];
	uint16_t port;
	int tls;
};

/* "imaps://host[:port][/]" or "imap://..."; 0 or -1. */
int imap_url_parse(const char *url, struct imap_url *out);

struct imap_poller;

/* 1 when the config has an [imap] url. */
int imap_enabled(const struct conf *c);
/* Starts the poller thread on snap (a reference is taken for the
 * poller's life). 0, or -1 with err. */
int imap_start(struct imap_poller **out, struct conf_snapshot *snap, char *err,
	       size_t errlen);
/* Stops the thread (it notices within a second, or after the network
 * call in progress, at most [imap] timeout) and frees everything. */
void imap_stop(struct imap_poller *p);

#endif
