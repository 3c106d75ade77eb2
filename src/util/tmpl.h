/* SPDX-License-Identifier: BSD-2-Clause */
/* A tiny template language for the rating block and pages:
 *   {{name}}                 a value (HTML-escaped in HTML templates)
 *   {{#levels}} ... {{/levels}}  repeated once per item, with the item's
 *                            values visible inside
 * An unknown name is an error, so a typo in a template is caught when it is
 * loaded, not in a customer's mailbox. */
#ifndef MM_TMPL_H
#define MM_TMPL_H

#include <stddef.h>

#include "buf.h"

struct tmpl_var {
	const char *name;
	const char *value; /* NULL renders as "" */
};

/* The value of the variable called name (len bytes) among v[0 .. n-1]:
 * "" for a NULL value, NULL when there is none (an unknown name). */
const char *tmpl_lookup(const struct tmpl_var *v, size_t n, const char *name,
			size_t len);

struct tmpl_ctx {
	const struct tmpl_var *vars;
	size_t nvars;
	const char *section;	      /* the one repeatable section name */
	const struct tmpl_var *items; /* nitems rows of item_nvars vars */
	size_t nitems, item_nvars;
};

/* 0, or -1 with err naming the offending name. */
int tmpl_render(struct buf *out, const char *tpl, size_t len, int html,
		const struct tmpl_ctx *ctx, char *err, size_t errlen);

#endif
