/* SPDX-License-Identifier: BSD-2-Clause */
/* The rating block: rendered from the templates DIR/{en,nl}/block.{txt,html}
 * with one signed link per level of the survey's scale. */
#ifndef MM_INJECT_H
#define MM_INJECT_H

#include <stdint.h>

#include "buf.h"
#include "conf.h"
#include "token.h"

struct tmpl;

struct inject_templates {
	struct tmpl *text[2]; /* [0] en, [1] nl */
	struct tmpl *html[2];
};

/* Loads and compiles all four templates, checked against the names
 * inject_render passes; err names the file and line. */
int inject_templates_load(const char *dir, struct inject_templates *t,
			  char *err, size_t errlen);
void inject_templates_free(struct inject_templates *t);

struct inject_survey {
	int64_t id;
	const char *ticket;
	const char *language; /* "en" | "nl" */
	const struct scale *scale;
};

/* Renders the text and HTML block (UTF-8) for one survey. */
int inject_render(const struct inject_templates *t, const struct conf *c,
		  const struct token_key *key, const struct inject_survey *s,
		  struct buf *text, struct buf *html, char *err, size_t errlen);

/* feedback@example.com + TOKEN -> feedback+TOKEN@example.com */
void inject_reply_address(const char *base, const char *token, struct buf *out);

#endif
