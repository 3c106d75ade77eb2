/* SPDX-License-Identifier: BSD-2-Clause */
/* The libmilter side of mailmood-milter: per-connection and per-message
 * contexts (as OpenDKIM does), thin callbacks that hand the mail to
 * closure.c, and the live configuration that SIGUSR1 swaps. */
#ifndef MM_MILTER_H
#define MM_MILTER_H

#include "conf.h"

/* Loads key and templates for c and makes them the current config
 * snapshot (conf_snapshot.h); on failure the old one stays and err says
 * why. Takes c (freed on failure). */
int milter_state_install(struct conf *c, char *err, size_t errlen);
/* Re-reads the config file of the live state (SIGUSR1). */
void milter_reload(const char *path);
void milter_state_shutdown(void);

/* Registers the callbacks with libmilter. */
int milter_register(void);

#endif
