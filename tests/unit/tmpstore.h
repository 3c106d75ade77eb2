/* SPDX-License-Identifier: BSD-2-Clause */
/* The unit tests' temporary SQLite store: a fresh directory under /tmp
 * with mm.db in it (and whatever else a test puts there, such as its
 * config file), all of it removed afterwards. */
#ifndef MM_TEST_TMPSTORE_H
#define MM_TEST_TMPSTORE_H

#include "store.h"

struct tmpstore {
	char dir[64];	  /* /tmp/NAME.XXXXXX */
	char path[128];	  /* DIR/mm.db */
	struct store *st; /* NULL until tmpstore_open */
};

/* Makes the directory (name: the test's, for a stray one's sake); 0 or
 * -1. */
int tmpstore_make(struct tmpstore *t, const char *name);
/* Opens (creates and migrates) the store at t->path into t->st; 0, or -1
 * with the reason on stderr. */
int tmpstore_open(struct tmpstore *t);
/* Closes the store if open, removes every file in the directory (the
 * store's -wal and -shm too) and the directory. */
void tmpstore_remove(struct tmpstore *t);

#endif
