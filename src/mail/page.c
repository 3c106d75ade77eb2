/* SPDX-License-Identifier: BSD-2-Clause */
/* The listener's pages: which templates, languages and static files
 * (page.h); the template language is tmpl.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "page.h"
#include "scale.h"

const char *const page_names[PAGE_COUNT][24] = {
    [PAGE_LANDING] = {"lang", "base_path", "team", "ticket", "subject",
		      "action", "csrf", "level", "label", "emoji",
		      "level_class", "levels", "comment_max", "why", "better",
		      NULL},
    [PAGE_THANKS] = {"lang", "base_path", "team", "ticket", "subject", "label",
		     "emoji", "level_class", "why", "better", "action", "csrf",
		     "level", "comment_max", "levels", NULL},
    [PAGE_EXPIRED] = {"lang", "base_path", NULL},
};

static const char *const page_files[PAGE_COUNT] = {
    "landing.html", "thanks.html", "expired.html"};
static const char *const lang_names[PAGE_NLANG] = {"en", "nl"};
static const char *const static_files[PAGE_NSTATIC] = {"rate.js", "rate.css"};
static const char *const static_types[PAGE_NSTATIC] = {
    "text/javascript; charset=utf-8", "text/css; charset=utf-8"};

int page_render(struct buf *out, const struct page_set *ps, int lang,
		enum page_id id, const struct tmpl_var *vars, size_t nvars,
		char *err, size_t errlen)
{
	const struct tmpl_ctx ctx = {vars, nvars, NULL, NULL, 0, 0};

	return tmpl_run(ps->page[lang][id], &ctx, out, err, errlen);
}

static char *read_file(const char *path, size_t *len, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "rb");
	struct buf b;
	char chunk[4096];
	size_t n;

	if (!fp) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	buf_init(&b);
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		buf_append(&b, chunk, n);
	if (ferror(fp)) {
		snprintf(err, errlen, "%s: read error", path);
		fclose(fp);
		buf_free(&b);
		return NULL;
	}
	fclose(fp);
	return buf_steal(&b, len);
}

/* Level colours come from scale.c, and CSP forbids inline styles, so the
 * stylesheet gets one class per level of every scale appended. */
static void append_level_css(struct buf *b)
{
	buf_puts(b, "\n/* generated from the scales */\n");
	for (int i = 0; i < SCALE_COUNT; i++) {
		const struct scale *s = scale_get((enum scale_id)i);
		for (int j = 0; j < s->nlevels; j++)
			buf_printf(b, ".lv-%s-%d{background:%s}\n", s->name,
				   s->levels[j].value, s->levels[j].color);
	}
}

int page_set_load(const char *dir, struct page_set **out, char *err,
		  size_t errlen)
{
	struct page_set *ps = calloc(1, sizeof(*ps));
	char path[4096];

	if (!ps) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (int l = 0; l < PAGE_NLANG; l++)
		for (int i = 0; i < PAGE_COUNT; i++) {
			const struct tmpl_names names = {page_names[i], NULL,
							 NULL};

			snprintf(path, sizeof(path), "%s/%s/%s", dir,
				 lang_names[l], page_files[i]);
			if (tmpl_load(path, 1, &names, &ps->page[l][i], err,
				      errlen) < 0)
				goto fail;
		}
	for (int s = 0; s < PAGE_NSTATIC; s++) {
		snprintf(path, sizeof(path), "%s/static/%s", dir,
			 static_files[s]);
		ps->file[s] = read_file(path, &ps->flen[s], err, errlen);
		if (!ps->file[s])
			goto fail;
		if (s == PAGE_CSS) {
			struct buf b = {ps->file[s], ps->flen[s],
					ps->flen[s] + 1, 0};
			append_level_css(&b);
			ps->file[s] = buf_steal(&b, &ps->flen[s]);
			if (!ps->file[s]) {
				snprintf(err, errlen, "out of memory");
				goto fail;
			}
		}
	}
	*out = ps;
	return 0;
fail:
	page_set_free(ps);
	return -1;
}

void page_set_free(struct page_set *ps)
{
	if (!ps)
		return;
	for (int l = 0; l < PAGE_NLANG; l++)
		for (int i = 0; i < PAGE_COUNT; i++)
			tmpl_free(ps->page[l][i]);
	for (int s = 0; s < PAGE_NSTATIC; s++)
		free(ps->file[s]);
	free(ps);
}

int page_lang_id(const char *tag)
{
	if (!tag)
		return -1;
	for (int l = 0; l < PAGE_NLANG; l++)
		if (!strncasecmp(tag, lang_names[l], 2) &&
		    (tag[2] == '\0' || tag[2] == '-' || tag[2] == '_'))
			return l;
	return -1;
}

const char *page_lang_name(enum page_lang l)
{
	return lang_names[l];
}

/* RFC 9110 12.5.4: "en-GB;q=0.8, nl, *;q=0.1". Highest q wins, the first
 * listed on a tie; q=0 means "not this one". */
int page_lang_accept(const char *h)
{
	int best = -1;
	double bestq = 0.0;

	while (h && *h) {
		char tag[32];
		size_t n = 0;
		double q = 1.0;
		int id;

		while (*h == ' ' || *h == '\t' || *h == ',')
			h++;
		while (*h && *h != ',' && *h != ';' && *h != ' ' &&
		       n < sizeof(tag) - 1)
			tag[n++] = *h++;
		tag[n] = '\0';
		while (*h && *h != ',') {
			if (*h == 'q' && h[1] == '=')
				q = strtod(h + 2, NULL);
			h++;
		}
		id = page_lang_id(tag);
		if (id >= 0 && q > bestq) {
			best = id;
			bestq = q;
		}
	}
	return best;
}

const char *page_file(enum page_id id)
{
	return page_files[id];
}

const char *page_static_path(enum page_static s)
{
	return s == PAGE_JS ? "/static/rate.js" : "/static/rate.css";
}

const char *page_static_type(enum page_static s)
{
	return static_types[s];
}
