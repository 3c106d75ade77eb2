/* SPDX-License-Identifier: BSD-2-Clause */
/* The unit tests' temporary store (tmpstore.h). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tmpstore.h"

int tmpstore_make(struct tmpstore *t, const char *name)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->dir, sizeof(t->dir), "/tmp/%s.XXXXXX", name);
	if (!mkdtemp(t->dir))
		return -1;
	snprintf(t->path, sizeof(t->path), "%s/mm.db", t->dir);
	return 0;
}

int tmpstore_open(struct tmpstore *t)
{
	char err[512];

	if (store_open(t->path, &t->st, err, sizeof(err)) != STORE_OK) {
		fprintf(stderr, "store_open %s: %s\n", t->path, err);
		t->st = NULL;
		return -1;
	}
	return 0;
}

void tmpstore_remove(struct tmpstore *t)
{
	struct dirent *e;
	char p[400];
	DIR *d;

	if (t->st)
		store_close(t->st);
	t->st = NULL;
	if (!t->dir[0])
		return;
	if ((d = opendir(t->dir))) {
		while ((e = readdir(d))) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			snprintf(p, sizeof(p), "%s/%s", t->dir, e->d_name);
			unlink(p);
		}
		closedir(d);
	}
	rmdir(t->dir);
}
