/* SPDX-License-Identifier: BSD-2-Clause */
/* The listener's pages: a tiny renderer and the set of templates it
 * serves (conf/templates/{en,nl}/{landing,thanks,expired}.html and the
 * static files under conf/templates/static/).
 *   {{name}}    the value, HTML-escaped (everything a person typed)
 *   {{{name}}}  the value as is: only for fragments built by code
 * An unknown name is an error, so templates are checked when loaded. */
#ifndef MM_PAGE_H
#define MM_PAGE_H

#include <stddef.h>

#include "buf.h"
#include "tmpl.h"

/* Pages take the template language's variables (struct tmpl_var: a NULL
 * value renders as ""). */

/* 0, or -1 with err naming the problem (unknown name, unclosed tag). */
int page_render(struct buf *out, const char *tpl, size_t len,
		const struct tmpl_var *vars, size_t nvars, char *err,
		size_t errlen);

enum page_id { PAGE_LANDING, PAGE_THANKS, PAGE_EXPIRED, PAGE_COUNT };
enum page_lang { PAGE_EN, PAGE_NL, PAGE_NLANG };
enum page_static { PAGE_JS, PAGE_CSS, PAGE_NSTATIC };

/* A template cut at load into literal text and names: literal (off, len
 * into the template's text), then the name page_names[id][var] (var < 0:
 * none), raw for {{{name}}}. */
struct page_seg {
	size_t off, len;
	int var;
	int raw;
};

struct page_set {
	char *text[PAGE_NLANG][PAGE_COUNT];
	size_t len[PAGE_NLANG][PAGE_COUNT];
	struct page_seg *seg[PAGE_NLANG][PAGE_COUNT];
	size_t nseg[PAGE_NLANG][PAGE_COUNT];
	char *file[PAGE_NSTATIC];
	size_t flen[PAGE_NSTATIC];
};

/* Loads every template under dir and renders each once with the names
 * the listener passes, so a typo fails at start-up or reload. */
int page_set_load(const char *dir, struct page_set **out, char *err,
		  size_t errlen);
void page_set_free(struct page_set *ps);
/* page_render of the loaded template (lang, id), from its segments: the
 * same output and errors, without scanning the text again. */
int page_render_set(struct buf *out, const struct page_set *ps, int lang,
		    enum page_id id, const struct tmpl_var *vars, size_t nvars,
		    char *err, size_t errlen);

/* "en" / "nl" (any case, "nl-BE" too) -> id; -1 when neither. */
int page_lang_id(const char *tag);
const char *page_lang_name(enum page_lang l);
/* The best of en/nl in an Accept-Language header (q-values honoured),
 * -1 when neither is acceptable or the header is missing. */
int page_lang_accept(const char *header);
/* Names the landing/thanks/expired pages are given (for the check). */
extern const char *const page_names[PAGE_COUNT][24];
/* The URL path of a static file ("/static/rate.js"). */
const char *page_static_path(enum page_static s);
const char *page_static_type(enum page_static s);

#endif
