/* SPDX-License-Identifier: BSD-2-Clause */
/* The one template language, of the rating blocks, the mails and the HTTP
 * pages:
 *   {{name}}                 a value, HTML-escaped in an HTML template
 *   {{{name}}}               the value as is: only for fragments built by
 *                            code
 *   {{#levels}} ... {{/levels}}  repeated once per item, with the item's
 *                            values visible inside (one section name per
 *                            template, not nested)
 * A template is compiled once into literal text and name references
 * (tmpl_compile, tmpl_load) and rendered many times (tmpl_run); tmpl_render
 * does both for a template used once. A syntax error is reported when the
 * template is compiled, with the file name and line; so is an unknown name
 * when the caller lists the names it passes. */
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

/* The values of one rendering. Rendering is fastest when vars come in the
 * order of tmpl_names.vars, but any order gives the same output. */
struct tmpl_ctx {
	const struct tmpl_var *vars;
	size_t nvars;
	const char *section;	      /* tmpl_render only: its section name */
	const struct tmpl_var *items; /* nitems rows of item_nvars vars */
	size_t nitems, item_nvars;
};

/* The names a template may use, so a typo fails at compile time. */
struct tmpl_names {
	const char *const *vars; /* NULL-terminated; NULL: checked when run */
	const char *section;	 /* the section's name; NULL: none allowed */
	const char *const *item_vars; /* NULL-terminated names of an item */
};

struct tmpl;

/* Compiles len bytes of text (copied) into *out; html: escape {{name}}.
 * file names the template in errors ("FILE:LINE: unclosed {{").
 * 0, or -1 with err set and *out NULL. */
int tmpl_compile(const char *text, size_t len, int html,
		 const struct tmpl_names *names, const char *file,
		 struct tmpl **out, char *err, size_t errlen);
/* tmpl_compile of the file at path (at most 1 MB). */
int tmpl_load(const char *path, int html, const struct tmpl_names *names,
	      struct tmpl **out, char *err, size_t errlen);
void tmpl_free(struct tmpl *t);
/* The template's source text (NUL-terminated) and its length. */
const char *tmpl_text(const struct tmpl *t, size_t *len);

/* Appends the rendering to out. 0, or -1 with err naming a name the
 * context does not have, or "out of memory". */
int tmpl_run(const struct tmpl *t, const struct tmpl_ctx *ctx, struct buf *out,
	     char *err, size_t errlen);

/* Compiles and runs a template once (section: ctx->section). */
int tmpl_render(struct buf *out, const char *tpl, size_t len, int html,
		const struct tmpl_ctx *ctx, char *err, size_t errlen);

#endif
