/* SPDX-License-Identifier: BSD-2-Clause */
/* Whether a reply found by Message-ID or ref code comes from the requester
 * (reply_sender.h). */
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "reply_sender.h"

/* The address in a header value or envelope sender: inside the first
 * <...> when there is one, else the first word holding an '@'. */
static int address_span(const char *v, const char **start, size_t *len)
{
	const char *lt = strchr(v, '<'), *gt, *s, *e;

	if (lt && (gt = strchr(lt + 1, '>'))) {
		s = lt + 1;
		e = gt;
	} else {
		const char *at = strchr(v, '@');
		if (!at)
			return -1;
		s = at;
		while (s > v && !strchr(" \t,;:\"()", s[-1]))
			s--;
		e = at;
		while (*e && !strchr(" \t,;\"()", *e))
			e++;
	}
	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	if (e == s || !memchr(s, '@', (size_t)(e - s)))
		return -1;
	*start = s;
	*len = (size_t)(e - s);
	return 0;
}

static int one_allowed(const char *requester, int by_domain, const char *v)
{
	const char *a, *at, *rat;
	size_t n, rlen = strlen(requester);

	if (!v || address_span(v, &a, &n) < 0)
		return 0;
	if (n == rlen && !strncasecmp(a, requester, n))
		return 1;
	if (!by_domain)
		return 0;
	/* the domain follows the last '@' (a quoted local part may hold
	 * one) */
	at = NULL;
	for (size_t i = 0; i < n; i++)
		if (a[i] == '@')
			at = a + i;
	rat = strrchr(requester, '@');
	if (!at || !rat || !rat[1])
		return 0;
	n -= (size_t)(at + 1 - a);
	return n == strlen(rat + 1) && !strncasecmp(at + 1, rat + 1, n);
}

int reply_sender_allowed(const struct conf *c, const char *requester,
			 const char *from, const char *envelope_from)
{
	int by_domain;

	if (!requester || !*requester)
		return 0;
	by_domain = c && c->general.reply_sender == CONF_REPLY_SENDER_DOMAIN;
	return one_allowed(requester, by_domain, from) ||
	       one_allowed(requester, by_domain, envelope_from);
}
