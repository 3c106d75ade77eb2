/* SPDX-License-Identifier: BSD-2-Clause */
/* Who may rate a survey by a reply that did not come to its +TOKEN
 * address. The +TOKEN address holds an HMAC secret, so any sender may use
 * it; In-Reply-To/References and the quoted "Ref:" code do not (every
 * recipient of the closure mail sees its Message-ID, and a forwarded
 * mail carries the ref code), so such a reply counts only when it comes
 * from the survey's requester: the same address, or with
 * `[general] reply_sender = domain` any address of the requester's
 * domain. The listener's reply path (ingest.c) and the milter's ticket
 * replies both ask here. */
#ifndef MM_REPLY_SENDER_H
#define MM_REPLY_SENDER_H

#include "conf.h"

/* 1 when the mail's header From or its envelope sender (either may be
 * NULL; "Name <a@b>" and "<a@b>" forms are read) is the requester, or of
 * the requester's domain when c's reply_sender is "domain"; else 0 (also
 * for an empty requester). Case-insensitive; allocates nothing. */
int reply_sender_allowed(const struct conf *c, const char *requester,
			 const char *from, const char *envelope_from);

#endif
