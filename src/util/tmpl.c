/* SPDX-License-Identifier: BSD-2-Clause */
/* The template language of rating blocks, mails and pages (tmpl.h). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tmpl.h"

/* What follows a segment's literal text. */
enum tmpl_op {
	TMPL_OP_NONE,	 /* nothing: the end, or the end of a section */
	TMPL_OP_ESC,	 /* a value, HTML-escaped */
	TMPL_OP_RAW,	 /* a value as is */
	TMPL_OP_SECTION, /* the next nbody segments, once per item */
};

/* Literal text (off, len into the text), then op. */
struct tmpl_seg {
	size_t off, len;
	enum tmpl_op op;
	int in_item; /* inside the section: the item's values first */
	size_t name; /* ESC, RAW: index into names */
	size_t nbody;
};

/* A distinct name of the template; hint: where the caller most likely
 * passes it (its index in tmpl_names.vars / item_vars), -1 if unknown. */
struct tmpl_name {
	const char *s;
	size_t len;
	int hint, item_hint;
};

struct tmpl {
	char *text;
	size_t len;
	size_t lit; /* literal bytes: what one rendering appends at least */
	struct tmpl_seg *seg;
	size_t nseg;
	struct tmpl_name *names;
	size_t nnames;
};

#define TMPL_MAX_FILE (1u << 20)
#define TMPL_NAME_SHOWN 40

const char *tmpl_lookup(const struct tmpl_var *v, size_t n, const char *name,
			size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(v[i].name) == len && !memcmp(v[i].name, name, len))
			return v[i].value ? v[i].value : "";
	return NULL;
}

static int list_index(const char *const *list, const char *s, size_t len)
{
	for (int i = 0; list && list[i]; i++)
		if (strlen(list[i]) == len && !memcmp(list[i], s, len))
			return i;
	return -1;
}

static unsigned line_of(const struct tmpl *t, const char *at)
{
	unsigned line = 1;

	for (const char *p = t->text; p < at; p++)
		line += *p == '\n';
	return line;
}

/* "FILE:LINE: msg", or msg alone with no file. */
static void syntax_error(const struct tmpl *t, const char *file, const char *at,
			 const char *msg, char *err, size_t errlen)
{
	if (file)
		snprintf(err, errlen, "%s:%u: %s", file, line_of(t, at), msg);
	else
		snprintf(err, errlen, "%s", msg);
}

static int shown(size_t nlen)
{
	return (int)(nlen > TMPL_NAME_SHOWN ? TMPL_NAME_SHOWN : nlen);
}

static struct tmpl_seg *add_seg(struct tmpl *t, size_t *cap)
{
	if (t->nseg == *cap) {
		size_t n = *cap ? *cap * 2 : 16;
		struct tmpl_seg *g = realloc(t->seg, n * sizeof(*g));
		if (!g)
			return NULL;
		t->seg = g;
		*cap = n;
	}
	memset(&t->seg[t->nseg], 0, sizeof(t->seg[0]));
	return &t->seg[t->nseg++];
}

/* The index of name among t->names, added if new; -1 out of memory. */
static long add_name(struct tmpl *t, size_t *cap, const char *s, size_t len,
		     const struct tmpl_names *names)
{
	struct tmpl_name *nm;

	for (size_t i = 0; i < t->nnames; i++)
		if (t->names[i].len == len && !memcmp(t->names[i].s, s, len))
			return (long)i;
	if (t->nnames == *cap) {
		size_t n = *cap ? *cap * 2 : 16;
		nm = realloc(t->names, n * sizeof(*nm));
		if (!nm)
			return -1;
		t->names = nm;
		*cap = n;
	}
	nm = &t->names[t->nnames];
	nm->s = s;
	nm->len = len;
	nm->hint = names ? list_index(names->vars, s, len) : -1;
	nm->item_hint = names ? list_index(names->item_vars, s, len) : -1;
	return (long)t->nnames++;
}

static int known_name(const struct tmpl_names *names, int in_item,
		      const char *s, size_t len)
{
	if (!names || !names->vars)
		return 1;
	return list_index(names->vars, s, len) >= 0 ||
	       (in_item && list_index(names->item_vars, s, len) >= 0);
}

static int parse(struct tmpl *t, int html, const struct tmpl_names *names,
		 const char *file, char *err, size_t errlen)
{
	const char *p = t->text, *end = t->text + t->len;
	const char *section = names ? names->section : NULL;
	const char *open_at = NULL; /* the open section's tag */
	size_t segcap = 0, namecap = 0, sec = 0;
	char msg[128];

	for (;;) {
		const char *open = memmem(p, (size_t)(end - p), "{{", 2);
		const char *name, *close;
		struct tmpl_seg *g = add_seg(t, &segcap);
		size_t nlen;
		int raw;

		if (!g)
			goto oom;
		g->off = (size_t)(p - t->text);
		g->in_item = open_at != NULL;
		if (!open) {
			g->len = (size_t)(end - p);
			t->lit += g->len;
			break;
		}
		g->len = (size_t)(open - p);
		t->lit += g->len;
		raw = open + 2 < end && open[2] == '{';
		name = open + (raw ? 3 : 2);
		close = memmem(name, (size_t)(end - name), raw ? "}}}" : "}}",
			       raw ? 3 : 2);
		if (!close) {
			syntax_error(t, file, open,
				     raw ? "unclosed {{{" : "unclosed {{", err,
				     errlen);
			return -1;
		}
		nlen = (size_t)(close - name);
		p = close + (raw ? 3 : 2);
		if (!raw && nlen && (*name == '#' || *name == '/')) {
			int ok = section && nlen - 1 == strlen(section) &&
				 !memcmp(name + 1, section, nlen - 1);
			if (*name == '#' && (!ok || open_at)) {
				snprintf(msg, sizeof(msg),
					 open_at ? "section {{%.*s}} inside a "
						   "section"
						 : "unknown section {{%.*s}}",
					 shown(nlen), name);
				syntax_error(t, file, open, msg, err, errlen);
				return -1;
			}
			if (*name == '/' && (!ok || !open_at)) {
				snprintf(msg, sizeof(msg),
					 "{{%.*s}} without its section",
					 shown(nlen), name);
				syntax_error(t, file, open, msg, err, errlen);
				return -1;
			}
			if (*name == '#') {
				g->op = TMPL_OP_SECTION;
				sec = t->nseg - 1;
				open_at = open;
			} else {
				t->seg[sec].nbody = t->nseg - 1 - sec;
				open_at = NULL;
			}
			continue;
		}
		if (!known_name(names, open_at != NULL, name, nlen)) {
			snprintf(msg, sizeof(msg), "unknown name {{%.*s}}",
				 shown(nlen), name);
			syntax_error(t, file, open, msg, err, errlen);
			return -1;
		}
		long k = add_name(t, &namecap, name, nlen, names);
		if (k < 0)
			goto oom;
		g->name = (size_t)k;
		g->op = raw || !html ? TMPL_OP_RAW : TMPL_OP_ESC;
	}
	if (open_at) {
		snprintf(msg, sizeof(msg), "missing {{/%.*s}}",
			 shown(strlen(section)), section);
		syntax_error(t, file, open_at, msg, err, errlen);
		return -1;
	}
	return 0;
oom:
	snprintf(err, errlen, "%s%sout of memory", file ? file : "",
		 file ? ": " : "");
	return -1;
}

int tmpl_compile(const char *text, size_t len, int html,
		 const struct tmpl_names *names, const char *file,
		 struct tmpl **out, char *err, size_t errlen)
{
	struct tmpl *t = calloc(1, sizeof(*t));

	*out = NULL;
	if (!t || !(t->text = malloc(len + 1))) {
		free(t);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memcpy(t->text, text, len);
	t->text[len] = '\0';
	t->len = len;
	if (parse(t, html, names, file, err, errlen) < 0) {
		tmpl_free(t);
		return -1;
	}
	*out = t;
	return 0;
}

int tmpl_load(const char *path, int html, const struct tmpl_names *names,
	      struct tmpl **out, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "rb");
	struct buf b;
	char chunk[4096];
	size_t n;
	int rc;

	*out = NULL;
	if (!fp) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	buf_init(&b);
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0 &&
	       b.len < TMPL_MAX_FILE)
		buf_append(&b, chunk, n);
	if (ferror(fp) || b.failed || b.len >= TMPL_MAX_FILE) {
		snprintf(err, errlen, "%s: %s", path,
			 ferror(fp) ? "read error"
			 : b.failed ? "out of memory"
				    : "template larger than 1 MB");
		fclose(fp);
		buf_free(&b);
		return -1;
	}
	fclose(fp);
	rc = tmpl_compile(b.data ? b.data : "", b.len, html, names, path, out,
			  err, errlen);
	buf_free(&b);
	return rc;
}

void tmpl_free(struct tmpl *t)
{
	if (!t)
		return;
	free(t->text);
	free(t->seg);
	free(t->names);
	free(t);
}

const char *tmpl_text(const struct tmpl *t, size_t *len)
{
	if (len)
		*len = t->len;
	return t->text;
}

static const char *var_at(const struct tmpl_var *v, size_t n, int hint,
			  const struct tmpl_name *nm)
{
	if (hint >= 0 && (size_t)hint < n &&
	    !strncmp(v[hint].name, nm->s, nm->len) &&
	    v[hint].name[nm->len] == '\0')
		return v[hint].value ? v[hint].value : "";
	return tmpl_lookup(v, n, nm->s, nm->len);
}

static int run(const struct tmpl *t, size_t from, size_t to,
	       const struct tmpl_ctx *ctx, const struct tmpl_var *item,
	       const char *const *val, const size_t *vlen, struct buf *out,
	       char *err, size_t errlen)
{
	for (size_t i = from; i < to; i++) {
		const struct tmpl_seg *g = &t->seg[i];
		const struct tmpl_name *nm;
		const char *v = NULL;
		size_t len = 0;

		buf_append(out, t->text + g->off, g->len);
		switch (g->op) {
		case TMPL_OP_NONE:
			continue;
		case TMPL_OP_SECTION:
			for (size_t k = 0; k < ctx->nitems; k++)
				if (run(t, i + 1, i + 1 + g->nbody, ctx,
					ctx->items + k * ctx->item_nvars, val,
					vlen, out, err, errlen) < 0)
					return -1;
			i += g->nbody;
			continue;
		case TMPL_OP_ESC:
		case TMPL_OP_RAW:
			break;
		}
		nm = &t->names[g->name];
		if (item && g->in_item &&
		    (v = var_at(item, ctx->item_nvars, nm->item_hint, nm)))
			len = strlen(v);
		if (!v) {
			v = val[g->name];
			len = vlen[g->name];
		}
		if (!v) {
			snprintf(err, errlen, "unknown name {{%.*s}}",
				 shown(nm->len), nm->s);
			return -1;
		}
		if (g->op == TMPL_OP_ESC)
			buf_put_html(out, v, len);
		else
			buf_append(out, v, len);
	}
	return 0;
}

int tmpl_run(const struct tmpl *t, const struct tmpl_ctx *ctx, struct buf *out,
	     char *err, size_t errlen)
{
	/* every value looked up once, not once per use */
	const char *sval[32], **val = sval;
	size_t slen[32], *vlen = slen;
	int rc;

	if (t->nnames > 32) {
		val = malloc(t->nnames * sizeof(*val));
		vlen = malloc(t->nnames * sizeof(*vlen));
		if (!val || !vlen) {
			free(val);
			free(vlen);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	for (size_t k = 0; k < t->nnames; k++) {
		val[k] = var_at(ctx->vars, ctx->nvars, t->names[k].hint,
				&t->names[k]);
		vlen[k] = val[k] ? strlen(val[k]) : 0;
	}
	buf_reserve(out, t->lit + 1024);
	rc = run(t, 0, t->nseg, ctx, NULL, val, vlen, out, err, errlen);
	if (val != sval) {
		free(val);
		free(vlen);
	}
	if (rc == 0 && out->failed) {
		snprintf(err, errlen, "out of memory");
		rc = -1;
	}
	return rc;
}

int tmpl_render(struct buf *out, const char *tpl, size_t len, int html,
		const struct tmpl_ctx *ctx, char *err, size_t errlen)
{
	const struct tmpl_names names = {NULL, ctx->section, NULL};
	struct tmpl *t;
	int rc;

	if (tmpl_compile(tpl, len, html, &names, NULL, &t, err, errlen) < 0)
		return -1;
	rc = tmpl_run(t, ctx, out, err, errlen);
	tmpl_free(t);
	return rc;
}
