/* SPDX-License-Identifier: BSD-2-Clause */
/* Renders the rating block with one signed link per level (inject.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inject.h"
#include "scale.h"
#include "tmpl.h"

static const char *const inject_langs[2] = {"en", "nl"};

/* What a block template may use; the order is the one inject_render
 * passes them in. */
static const char *const inject_vars[] = {"ticket", "token", "reply_address",
					  "base_url", NULL};
static const char *const inject_item_vars[] = {"url", "label", "emoji", "color",
					       "key", "value", NULL};

void inject_templates_free(struct inject_templates *t)
{
	for (int i = 0; i < 2; i++) {
		tmpl_free(t->text[i]);
		tmpl_free(t->html[i]);
	}
	memset(t, 0, sizeof(*t));
}

void inject_reply_address(const char *base, const char *token, struct buf *out)
{
	const char *at = base ? strrchr(base, '@') : NULL;

	if (!at) {
		buf_puts(out, "");
		return;
	}
	buf_append(out, base, (size_t)(at - base));
	buf_putc(out, '+');
	buf_puts(out, token);
	buf_puts(out, at);
}

int inject_render(const struct inject_templates *t, const struct conf *c,
		  const struct token_key *key, const struct inject_survey *s,
		  struct buf *text, struct buf *html, char *err, size_t errlen)
{
	const struct scale *sc = s->scale;
	int li = s->language && !strcmp(s->language, "nl") ? 1 : 0;
	char tok[TOKEN_BUFSZ];
	struct tmpl_var vars[4], *items;
	char(*urls)[256], (*values)[8];
	struct buf reply;
	struct tmpl_ctx ctx;
	int rc = -1;

	if (token_make(key, s->id, tok) < 0) {
		snprintf(err, errlen, "token: HMAC failed");
		return -1;
	}
	items = calloc((size_t)sc->nlevels * 6, sizeof(*items));
	urls = calloc((size_t)sc->nlevels, sizeof(*urls));
	values = calloc((size_t)sc->nlevels, sizeof(*values));
	buf_init(&reply);
	if (!items || !urls || !values) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	inject_reply_address(c->listener.reply_address, tok, &reply);
	/* Best level first: people read left to right and top down, and
	 * the good news is the common case. */
	for (int i = 0; i < sc->nlevels; i++) {
		const struct scale_level *l = &sc->levels[sc->nlevels - 1 - i];
		struct tmpl_var *it = items + i * 6;
		snprintf(urls[i], sizeof(urls[i]), "%s/r/%s/%d",
			 c->general.base_url, tok, l->value);
		snprintf(values[i], sizeof(values[i]), "%d", l->value);
		it[0] = (struct tmpl_var){"url", urls[i]};
		it[1] =
		    (struct tmpl_var){"label", li ? l->label_nl : l->label_en};
		it[2] = (struct tmpl_var){"emoji", l->emoji};
		it[3] = (struct tmpl_var){"color", l->color};
		it[4] = (struct tmpl_var){"key", l->key};
		it[5] = (struct tmpl_var){"value", values[i]};
	}
	vars[0] = (struct tmpl_var){"ticket",
				    s->ticket && *s->ticket
					? s->ticket
					: (li ? "uw melding" : "your request")};
	vars[1] = (struct tmpl_var){"token", tok};
	vars[2] =
	    (struct tmpl_var){"reply_address", reply.data ? reply.data : ""};
	vars[3] = (struct tmpl_var){"base_url", c->general.base_url};
	ctx = (struct tmpl_ctx){vars, 4, NULL, items, (size_t)sc->nlevels, 6};
	if (tmpl_run(t->text[li], &ctx, text, err, errlen) < 0 ||
	    tmpl_run(t->html[li], &ctx, html, err, errlen) < 0)
		goto out;
	rc = 0;
out:
	buf_free(&reply);
	free(items);
	free(urls);
	free(values);
	return rc;
}

int inject_templates_load(const char *dir, struct inject_templates *t,
			  char *err, size_t errlen)
{
	const struct tmpl_names names = {inject_vars, "levels",
					 inject_item_vars};
	char path[4096];

	memset(t, 0, sizeof(*t));
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s/block.txt", dir,
			 inject_langs[i]);
		if (tmpl_load(path, 0, &names, &t->text[i], err, errlen) < 0)
			goto fail;
		snprintf(path, sizeof(path), "%s/%s/block.html", dir,
			 inject_langs[i]);
		if (tmpl_load(path, 1, &names, &t->html[i], err, errlen) < 0)
			goto fail;
	}
	return 0;
fail:
	inject_templates_free(t);
	return -1;
}
