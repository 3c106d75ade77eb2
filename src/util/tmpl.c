/* SPDX-License-Identifier: BSD-2-Clause */
/* The template language of rating blocks and pages (tmpl.h). */
#include <stdio.h>
#include <string.h>

#include "tmpl.h"

const char *tmpl_lookup(const struct tmpl_var *v, size_t n, const char *name,
			size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(v[i].name) == len && !memcmp(v[i].name, name, len))
			return v[i].value ? v[i].value : "";
	return NULL;
}

static int render(struct buf *out, const char *p, const char *end, int html,
		  const struct tmpl_ctx *ctx, const struct tmpl_var *item,
		  char *err, size_t errlen)
{
	while (p < end) {
		const char *open = NULL, *close;
		for (const char *q = p; q + 1 < end; q++)
			if (q[0] == '{' && q[1] == '{') {
				open = q;
				break;
			}
		if (!open) {
			buf_append(out, p, (size_t)(end - p));
			return 0;
		}
		buf_append(out, p, (size_t)(open - p));
		close = NULL;
		for (const char *q = open + 2; q + 1 < end; q++)
			if (q[0] == '}' && q[1] == '}') {
				close = q;
				break;
			}
		if (!close) {
			snprintf(err, errlen, "unclosed {{");
			return -1;
		}
		const char *name = open + 2;
		size_t nlen = (size_t)(close - name);
		if (*name == '#') {
			char endtag[64];
			const char *body = close + 2, *stop;
			if (!ctx->section || nlen - 1 != strlen(ctx->section) ||
			    memcmp(name + 1, ctx->section, nlen - 1)) {
				snprintf(err, errlen,
					 "unknown section {{%.*s}}", (int)nlen,
					 name);
				return -1;
			}
			snprintf(endtag, sizeof(endtag), "{{/%s}}",
				 ctx->section);
			stop = memmem(body, (size_t)(end - body), endtag,
				      strlen(endtag));
			if (!stop) {
				snprintf(err, errlen, "missing %s", endtag);
				return -1;
			}
			for (size_t i = 0; i < ctx->nitems; i++)
				if (render(out, body, stop, html, ctx,
					   ctx->items + i * ctx->item_nvars,
					   err, errlen) < 0)
					return -1;
			p = stop + strlen(endtag);
			continue;
		}
		const char *v = NULL;
		if (item)
			v = tmpl_lookup(item, ctx->item_nvars, name, nlen);
		if (!v)
			v = tmpl_lookup(ctx->vars, ctx->nvars, name, nlen);
		if (!v) {
			snprintf(err, errlen, "unknown name {{%.*s}}",
				 (int)(nlen > 40 ? 40 : nlen), name);
			return -1;
		}
		if (html)
			buf_put_html(out, v, strlen(v));
		else
			buf_puts(out, v);
		p = close + 2;
	}
	return 0;
}

int tmpl_render(struct buf *out, const char *tpl, size_t len, int html,
		const struct tmpl_ctx *ctx, char *err, size_t errlen)
{
	if (render(out, tpl, tpl + len, html, ctx, NULL, err, errlen) < 0)
		return -1;
	if (out->failed) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}
