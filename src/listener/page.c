/* SPDX-License-Identifier: BSD-2-Clause */
/* The listener's page templates and their renderer (page.h). */
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

int page_render(struct buf *out, const char *tpl, size_t len,
		const struct tmpl_var *vars, size_t nvars, char *err,
		size_t errlen)
{
	const char *p = tpl, *end = tpl + len;

	while (p < end) {
		const char *open = memmem(p, (size_t)(end - p), "{{", 2);
		const char *name, *close, *v;
		int raw;
		size_t nlen;

		if (!open) {
			buf_append(out, p, (size_t)(end - p));
			break;
		}
		buf_append(out, p, (size_t)(open - p));
		raw = open + 2 < end && open[2] == '{';
		name = open + (raw ? 3 : 2);
		close = memmem(name, (size_t)(end - name), raw ? "}}}" : "}}",
			       raw ? 3 : 2);
		if (!close) {
			snprintf(err, errlen, "unclosed %s",
				 raw ? "{{{" : "{{");
			return -1;
		}
		nlen = (size_t)(close - name);
		v = tmpl_lookup(vars, nvars, name, nlen);
		if (!v) {
			snprintf(err, errlen, "unknown name {{%.*s}}",
				 (int)(nlen > 40 ? 40 : nlen), name);
			return -1;
		}
		if (raw)
			buf_puts(out, v);
		else
			buf_put_html(out, v, strlen(v));
		p = close + (raw ? 3 : 2);
	}
	if (out->failed) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/* Cuts a template checked by page_render into segments (page.h). */
static int compile(struct page_set *ps, int lang, int id, char *err,
		   size_t errlen)
{
	const char *tpl = ps->text[lang][id], *p = tpl,
		   *end = tpl + ps->len[lang][id];
	struct page_seg *seg = NULL;
	size_t n = 0, cap = 0;

	for (;;) {
		const char *open = memmem(p, (size_t)(end - p), "{{", 2);
		const char *name, *close = NULL;
		struct page_seg *g;
		int raw = 0;

		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			g = realloc(seg, cap * sizeof(*seg));
			if (!g) {
				free(seg);
				snprintf(err, errlen, "out of memory");
				return -1;
			}
			seg = g;
		}
		g = &seg[n++];
		g->off = (size_t)(p - tpl);
		g->var = -1;
		g->raw = 0;
		if (!open) {
			g->len = (size_t)(end - p);
			break;
		}
		g->len = (size_t)(open - p);
		raw = open + 2 < end && open[2] == '{';
		name = open + (raw ? 3 : 2);
		close = memmem(name, (size_t)(end - name), raw ? "}}}" : "}}",
			       raw ? 3 : 2);
		if (!close) /* check_template let it through: cannot be */
			goto bad;
		for (int k = 0; page_names[id][k]; k++)
			if (strlen(page_names[id][k]) ==
				(size_t)(close - name) &&
			    !memcmp(page_names[id][k], name,
				    (size_t)(close - name))) {
				g->var = k;
				break;
			}
		if (g->var < 0)
			goto bad;
		g->raw = raw;
		p = close + (raw ? 3 : 2);
	}
	ps->seg[lang][id] = seg;
	ps->nseg[lang][id] = n;
	return 0;
bad:
	free(seg);
	snprintf(err, errlen, "template %s/%s: cannot parse", lang_names[lang],
		 page_files[id]);
	return -1;
}

int page_render_set(struct buf *out, const struct page_set *ps, int lang,
		    enum page_id id, const struct tmpl_var *vars, size_t nvars,
		    char *err, size_t errlen)
{
	const char *const *names = page_names[id];
	const struct page_seg *seg = ps->seg[lang][id];
	const char *tpl = ps->text[lang][id];
	const char *val[24];
	size_t vlen[24];
	size_t n = ps->nseg[lang][id];

	/* the values by name, in page_names order (callers mostly pass them
	 * in that order) */
	for (size_t k = 0; names[k]; k++) {
		const char *v;
		size_t len = strlen(names[k]);

		if (k < nvars && !strcmp(vars[k].name, names[k]))
			v = vars[k].value ? vars[k].value : "";
		else
			v = tmpl_lookup(vars, nvars, names[k], len);
		val[k] = v;
		vlen[k] = v ? strlen(v) : 0;
	}
	buf_reserve(out, ps->len[lang][id] + 1024);
	for (size_t i = 0; i < n; i++) {
		const struct page_seg *g = &seg[i];
		const char *v;

		buf_append(out, tpl + g->off, g->len);
		if (g->var < 0)
			continue;
		v = val[g->var];
		if (!v) {
			const char *nm = names[g->var];
			size_t nlen = strlen(nm);
			snprintf(err, errlen, "unknown name {{%.*s}}",
				 (int)(nlen > 40 ? 40 : nlen), nm);
			return -1;
		}
		if (g->raw)
			buf_append(out, v, vlen[g->var]);
		else
			buf_put_html(out, v, vlen[g->var]);
	}
	if (out->failed) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
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

static int check_template(const struct page_set *ps, int lang, int id,
			  char *err, size_t errlen)
{
	struct tmpl_var vars[24];
	size_t n = 0;
	struct buf b;
	char e[256];
	int rc;

	for (; page_names[id][n]; n++) {
		vars[n].name = page_names[id][n];
		vars[n].value = "";
	}
	buf_init(&b);
	rc = page_render(&b, ps->text[lang][id], ps->len[lang][id], vars, n, e,
			 sizeof(e));
	buf_free(&b);
	if (rc < 0)
		snprintf(err, errlen, "template %s/%s: %s", lang_names[lang],
			 page_files[id], e);
	return rc;
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
			snprintf(path, sizeof(path), "%s/%s/%s", dir,
				 lang_names[l], page_files[i]);
			ps->text[l][i] =
			    read_file(path, &ps->len[l][i], err, errlen);
			if (!ps->text[l][i] ||
			    check_template(ps, l, i, err, errlen) < 0 ||
			    compile(ps, l, i, err, errlen) < 0)
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
		for (int i = 0; i < PAGE_COUNT; i++) {
			free(ps->text[l][i]);
			free(ps->seg[l][i]);
		}
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

const char *page_static_path(enum page_static s)
{
	return s == PAGE_JS ? "/static/rate.js" : "/static/rate.css";
}

const char *page_static_type(enum page_static s)
{
	return static_types[s];
}
