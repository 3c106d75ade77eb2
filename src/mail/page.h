/* SPDX-License-Identifier: BSD-2-Clause */
/* The listener's pages: the templates it serves
 * (conf/templates/{en,nl}/{landing,thanks,expired}.html, in the template
 * language of tmpl.h, HTML-escaped; {{{name}}} only for fragments built by
 * code) and the static files under conf/templates/static/. In the mail
 * layer, not the listener, so that mailmoodctl check-config loads exactly
 * what mailmoodd will. */
#ifndef MM_PAGE_H
#define MM_PAGE_H

#include <stddef.h>

#include "buf.h"
#include "tmpl.h"

enum page_id { PAGE_LANDING, PAGE_THANKS, PAGE_EXPIRED, PAGE_COUNT };
enum page_lang { PAGE_EN, PAGE_NL, PAGE_NLANG };
enum page_static { PAGE_JS, PAGE_CSS, PAGE_NSTATIC };

struct page_set {
	struct tmpl *page[PAGE_NLANG][PAGE_COUNT];
	char *file[PAGE_NSTATIC];
	size_t flen[PAGE_NSTATIC];
};

/* Loads and compiles every template under dir, checked against
 * page_names, so a typo fails at start-up or reload with the file and
 * line. */
int page_set_load(const char *dir, struct page_set **out, char *err,
		  size_t errlen);
void page_set_free(struct page_set *ps);
/* Renders the loaded template (lang, id); 0, or -1 with err naming a
 * name missing from vars. */
int page_render(struct buf *out, const struct page_set *ps, int lang,
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
/* The template's file name under LANG/ ("landing.html"). */
const char *page_file(enum page_id id);
/* The URL path of a static file ("/static/rate.js"). */
const char *page_static_path(enum page_static s);
const char *page_static_type(enum page_static s);

#endif
