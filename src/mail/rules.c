/* SPDX-License-Identifier: BSD-2-Clause */
/* Matches [rule] sections against envelope and headers (rules.h). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libetpan/libetpan.h>

#include "rules.h"

#define RULES_CAPTURE_MAX 256

char *rules_decode_header(const char *value)
{
	char *out = NULL;
	size_t idx = 0;

	if (mailmime_encoded_phrase_parse("utf-8", value, strlen(value), &idx,
					  "utf-8", &out) == MAILIMF_NO_ERROR &&
	    out)
		return out;
	free(out);
	return strdup(value);
}

/* Unfolded, trimmed copy: CR/LF never reach a capture (and so never a
 * log line, a page or an alert header). */
static char *clean_value(const char *v, size_t n)
{
	char *s = malloc(n + 1), *d = s;

	if (!s)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];
		if (c == '\r' || c == '\n' || c == '\t')
			c = ' ';
		if (c < 0x20 || c == 0x7f)
			continue;
		if (c == ' ' && (d == s || d[-1] == ' '))
			continue;
		*d++ = (char)c;
	}
	while (d > s && d[-1] == ' ')
		d--;
	*d = '\0';
	return s;
}

char *rules_first_address(const char *value)
{
	const char *lt, *gt, *p, *start, *end;
	char *addr;

	/* A display name may hold commas in quotes; the angle form is what
	 * every ticket system sends, so prefer it. */
	lt = strchr(value, '<');
	if (lt && (gt = strchr(lt, '>'))) {
		start = lt + 1;
		end = gt;
	} else {
		start = value;
		while (*start && (isspace((unsigned char)*start)))
			start++;
		for (p = start; *p && *p != ',' && !isspace((unsigned char)*p);
		     p++)
			;
		end = p;
	}
	while (start < end && isspace((unsigned char)*start))
		start++;
	while (end > start && isspace((unsigned char)end[-1]))
		end--;
	if (end == start || !memchr(start, '@', (size_t)(end - start)))
		return NULL;
	addr = clean_value(start, (size_t)(end - start));
	if (addr)
		for (char *c = addr; *c; c++)
			*c = (char)tolower((unsigned char)*c);
	return addr;
}

/* Exact patterns compare case-insensitively; a regex runs on the whole
 * value. Named groups ticket/team/agent fill m when still empty. */
static int pattern_match(const struct conf_pattern *pat, const char *v,
			 struct rules_match *m)
{
	static const char *const groups[] = {"ticket", "team", "agent"};
	pcre2_match_data *md;
	int rc;

	if (!pat->text)
		return 1;
	if (!v)
		return 0;
	if (!pat->re)
		return strcasecmp(pat->text, v) == 0;
	md = pcre2_match_data_create_from_pattern(pat->re, NULL);
	if (!md)
		return -1;
	rc = pcre2_match(pat->re, (PCRE2_SPTR)v, strlen(v), 0, 0, md, NULL);
	if (rc == PCRE2_ERROR_NOMATCH || rc == PCRE2_ERROR_BADUTFOFFSET ||
	    rc == PCRE2_ERROR_UTF8_ERR1 || rc < 0) {
		/* A value that is not UTF-8 cannot match a UTF pattern; that
		 * is "no match", never an error that blocks mail. */
		pcre2_match_data_free(md);
		return 0;
	}
	for (int g = 0; g < 3; g++) {
		char **slot = g == 0   ? &m->ticket
			      : g == 1 ? &m->team
				       : &m->agent;
		PCRE2_UCHAR *val = NULL;
		PCRE2_SIZE len;
		if (*slot)
			continue;
		if (pcre2_substring_get_byname(md, (PCRE2_SPTR)groups[g], &val,
					       &len) == 0) {
			if (len > 0 && len <= RULES_CAPTURE_MAX)
				*slot = clean_value((const char *)val, len);
			pcre2_substring_free(val);
		}
	}
	pcre2_match_data_free(md);
	return 1;
}

static const char *header_get(const struct rules_header *h, size_t nh,
			      const char *name)
{
	for (size_t i = 0; i < nh; i++)
		if (!strcasecmp(h[i].name, name))
			return h[i].value;
	return NULL;
}

static int fill_source(const struct conf_source *src,
		       const struct rules_header *h, size_t nh, char **slot)
{
	const char *v;

	if (src->literal) {
		free(*slot);
		*slot = strdup(src->literal);
		return *slot ? 0 : -1;
	}
	if (src->header_name) {
		v = header_get(h, nh, src->header_name);
		free(*slot);
		*slot = NULL;
		if (v) {
			char *dec = rules_decode_header(v);
			if (!dec)
				return -1;
			if (strlen(dec) <= RULES_CAPTURE_MAX)
				*slot = clean_value(dec, strlen(dec));
			free(dec);
		}
	}
	return 0;
}

void rules_match_free(struct rules_match *m)
{
	free(m->ticket);
	free(m->team);
	free(m->agent);
	free(m->subject);
	memset(m, 0, sizeof(*m));
}

static int rule_try(const struct conf_rule *r, const char *sender,
		    const char *from, const char *subject,
		    const struct rules_header *h, size_t nh,
		    struct rules_match *m)
{
	int rc;

	if ((rc = pattern_match(&r->sender, sender, m)) != 1)
		return rc;
	if ((rc = pattern_match(&r->from, from, m)) != 1)
		return rc;
	if ((rc = pattern_match(&r->subject, subject, m)) != 1)
		return rc;
	for (size_t i = 0; i < r->nheaders; i++) {
		int any = 0;
		/* Any instance of a repeated field may satisfy it. */
		for (size_t j = 0; j < nh && !any; j++) {
			char *dec;
			if (strcasecmp(h[j].name, r->headers[i].name))
				continue;
			dec = rules_decode_header(h[j].value);
			if (!dec)
				return -1;
			char *clean = clean_value(dec, strlen(dec));
			free(dec);
			if (!clean)
				return -1;
			rc = pattern_match(&r->headers[i].pat, clean, m);
			free(clean);
			if (rc < 0)
				return rc;
			any = rc;
		}
		if (!any)
			return 0;
	}
	if (fill_source(&r->ticket, h, nh, &m->ticket) < 0 ||
	    fill_source(&r->team, h, nh, &m->team) < 0 ||
	    fill_source(&r->agent, h, nh, &m->agent) < 0)
		return -1;
	return 1;
}

int rules_match(const struct conf *c, const char *sender,
		const struct rules_header *h, size_t nh, struct rules_match *m)
{
	const char *from_v = header_get(h, nh, "From");
	const char *subj_v = header_get(h, nh, "Subject");
	char *from = from_v ? rules_first_address(from_v) : NULL;
	char *subject = NULL, *dec;
	char *env = sender ? clean_value(sender, strlen(sender)) : NULL;
	struct rules_match skipped;
	int rc = 0, is_reply;

	memset(m, 0, sizeof(*m));
	memset(&skipped, 0, sizeof(skipped));
	if (subj_v) {
		dec = rules_decode_header(subj_v);
		subject = dec ? clean_value(dec, strlen(dec)) : NULL;
		free(dec);
	}
	if (env) {
		/* <a@b> as the MTA gives it -> a@b */
		size_t n = strlen(env);
		if (n >= 2 && env[0] == '<' && env[n - 1] == '>') {
			memmove(env, env + 1, n - 2);
			env[n - 2] = '\0';
		}
	}
	is_reply = subject && rules_reply_subject(subject);
	for (size_t i = 0; i < c->nrules && rc == 0; i++) {
		rc = rule_try(&c->rules[i], env, from, subject, h, nh, m);
		if (rc == 1 && is_reply && !c->rules[i].reply_subjects) {
			/* Kept to say why it was skipped, unless a later
			 * rule takes reply subjects. */
			if (!skipped.rule) {
				skipped = *m;
				skipped.rule = &c->rules[i];
				memset(m, 0, sizeof(*m));
			} else {
				rules_match_free(m);
			}
			rc = 0;
		} else if (rc == 1) {
			m->rule = &c->rules[i];
			m->subject = subject;
			subject = NULL;
		} else {
			rules_match_free(m);
		}
	}
	if (rc == 1) {
		rules_match_free(&skipped);
	} else if (rc == 0 && skipped.rule) {
		*m = skipped;
		m->reply_subject = 1;
		m->subject = subject;
		subject = NULL;
		rc = 1;
	} else {
		rules_match_free(&skipped);
	}
	free(from);
	free(subject);
	free(env);
	return rc;
}

/* ------------------------------------------------------------ guards */

static const char *const reply_prefixes[] = {
    "re", "fw", "fwd", "aw", "wg", "antw", "doorst", "sv", "vs", "tr", "rv",
};

/* Length of one prefix at s ("Re:", "AW[2]:", "Fwd "), else 0. */
static size_t reply_prefix_len(const char *s)
{
	for (size_t i = 0; i < sizeof(reply_prefixes) / sizeof(*reply_prefixes);
	     i++) {
		size_t n = strlen(reply_prefixes[i]);
		const char *p = s + n;

		if (strncasecmp(s, reply_prefixes[i], n))
			continue;
		if (*p == '[' || *p == '(') {
			char close = *p == '[' ? ']' : ')';
			const char *d = p + 1;
			while (isdigit((unsigned char)*d))
				d++;
			if (d == p + 1 || *d != close)
				continue;
			p = d + 1;
		}
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == ':')
			return (size_t)(p + 1 - s);
		/* without a colon only when a blank or "[n]" ends the word */
		if (p > s + n)
			return (size_t)(p - s);
	}
	return 0;
}

int rules_reply_subject(const char *subject)
{
	const char *p = subject;

	while (*p == ' ' || *p == '\t')
		p++;
	return reply_prefix_len(p) > 0;
}

static int internal_add(struct rules_internal *in, const char *v, size_t n)
{
	char **e, *dup;

	for (size_t i = 0; i < in->n; i++)
		if (strlen(in->entries[i]) == n &&
		    !strncasecmp(in->entries[i], v, n))
			return 0;
	if (!(dup = strndup(v, n)))
		return -1;
	for (char *c = dup; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	e = realloc(in->entries, (in->n + 1) * sizeof(*e));
	if (!e) {
		free(dup);
		return -1;
	}
	in->entries = e;
	e[in->n++] = dup;
	return 0;
}

static int internal_add_domain(struct rules_internal *in,
			       const struct conf_pattern *pat)
{
	const char *at;

	if (!pat->text || pat->re || !(at = strrchr(pat->text, '@')) || !at[1])
		return 0;
	return internal_add(in, at, strlen(at));
}

int rules_internal_build(const struct conf *c, struct rules_internal *out)
{
	memset(out, 0, sizeof(*out));
	if (c->milter.internal) {
		const char *p = c->milter.internal;

		if (!strcasecmp(p, "none"))
			return 0;
		while (*p) {
			size_t n = strcspn(p, " \t,");
			if (n > 0 && internal_add(out, p, n) < 0)
				goto oom;
			p += n;
			p += strspn(p, " \t,");
		}
		return 0;
	}
	for (size_t i = 0; i < c->nrules; i++)
		if (internal_add_domain(out, &c->rules[i].from) < 0 ||
		    internal_add_domain(out, &c->rules[i].sender) < 0)
			goto oom;
	return 0;
oom:
	rules_internal_free(out);
	return -1;
}

void rules_internal_free(struct rules_internal *in)
{
	for (size_t i = 0; i < in->n; i++)
		free(in->entries[i]);
	free(in->entries);
	memset(in, 0, sizeof(*in));
}

int rules_is_internal(const struct rules_internal *in, const char *addr)
{
	const char *at = strrchr(addr, '@');

	if (!at || !strchr(at + 1, '.'))
		return 1;
	for (size_t i = 0; in && i < in->n; i++) {
		const char *e = in->entries[i];
		if (e[0] == '@' ? !strcasecmp(e, at) : !strcasecmp(e, addr))
			return 1;
	}
	return 0;
}
