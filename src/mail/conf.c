/* SPDX-License-Identifier: BSD-2-Clause */
/* The config file, parsed once into struct conf, with FILE:LINE errors
 * (conf.h). */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <ini.h>

#include "clock.h"
#include "conf.h"
#include "conf_campaign.h"

/* The typed table (after Postfix's CONFIG_*_TABLE): one row per key of the
 * fixed sections, with its default as text, so the default goes through the
 * same parser and range check as a value from the file. */
enum conf_type {
	T_STR,
	T_URL,
	T_BOOL,
	T_INT,
	T_SIZE,
	T_DURATION,
	T_PERCENT,
	T_ENUM, /* one of words[min..max], stored as its index */
	T_SCALE,
	T_LANG,
	T_MODE,
	T_ADDRLIST, /* addresses and @domains; "none" for an empty list */
	T_NETLIST,  /* addresses and prefixes (conf_net_parse) */
};

struct conf_key {
	const char *section;
	const char *name;
	enum conf_type type;
	size_t offset;
	const char *def; /* NULL: no default (empty) */
	int64_t min, max;
	const char *const *words; /* T_ENUM: the enum's words, by value */
};

/* The words of each enum of conf.h, indexed by its values: the one
 * mapping both ways (conf_*_name, conf_*_parse, and T_ENUM keys). */
static const char *const on_error_words[CONF_NON_ERROR_ACTIONS] = {
    [CONF_ON_ERROR_ACCEPT] = "accept",
    [CONF_ON_ERROR_TEMPFAIL] = "tempfail",
};
static const char *const log_level_words[CONF_NLOG_LEVELS] = {
    [LOG_LVL_ERROR] = "error",
    [LOG_LVL_WARN] = "warning",
    [LOG_LVL_INFO] = "info",
    [LOG_LVL_DEBUG] = "debug",
};
static const char *const reply_sender_words[CONF_NREPLY_SENDERS] = {
    [CONF_REPLY_SENDER_ADDRESS] = "address",
    [CONF_REPLY_SENDER_DOMAIN] = "domain",
};
static const char *const ticket_replies_words[CONF_NTICKET_REPLIES] = {
    [CONF_TICKET_REPLIES_RECORD] = "record",
    [CONF_TICKET_REPLIES_DIVERT] = "divert",
    [CONF_TICKET_REPLIES_OFF] = "off",
};
static const char *const ticket_reply_scan_words[CONF_NTICKET_REPLY_SCANS] = {
    [CONF_TICKET_REPLY_SCAN_HEADERS] = "headers",
    [CONF_TICKET_REPLY_SCAN_BODIES] = "bodies",
};
static const char *const smtp_tls_words[CONF_NSMTP_TLS_MODES] = {
    [CONF_SMTP_TLS_AUTO] = "auto",
    [CONF_SMTP_TLS_REQUIRED] = "required",
    [CONF_SMTP_TLS_NONE] = "none",
};
static const char *const schedule_words[CONF_NSCHEDULES] = {
    [CONF_SCHEDULE_MANUAL] = "manual",
    [CONF_SCHEDULE_AUTO] = "auto",
};
static const char *const digest_words[CONF_NDIGESTS] = {
    [CONF_DIGEST_NONE] = "none",
    [CONF_DIGEST_DAILY] = "daily",
    [CONF_DIGEST_WEEKLY] = "weekly",
};

static const char *word_name(const char *const *words, int n, int v)
{
	return v >= 0 && v < n ? words[v] : NULL;
}

/* Case-sensitive, as mailmood.conf(5) writes the words; -1 for none. */
static int word_parse(const char *const *words, int n, const char *s)
{
	for (int i = 0; s && i < n; i++)
		if (!strcmp(words[i], s))
			return i;
	return -1;
}

#define CONF_WORDS(fn, words, n)                                               \
	const char *conf_##fn##_name(int v)                                    \
	{                                                                      \
		return word_name(words, n, v);                                 \
	}                                                                      \
	int conf_##fn##_parse(const char *s)                                   \
	{                                                                      \
		return word_parse(words, n, s);                                \
	}

CONF_WORDS(on_error, on_error_words, CONF_NON_ERROR_ACTIONS)
CONF_WORDS(log_level, log_level_words, CONF_NLOG_LEVELS)
CONF_WORDS(reply_sender, reply_sender_words, CONF_NREPLY_SENDERS)
CONF_WORDS(ticket_replies, ticket_replies_words, CONF_NTICKET_REPLIES)
CONF_WORDS(ticket_reply_scan, ticket_reply_scan_words, CONF_NTICKET_REPLY_SCANS)
CONF_WORDS(smtp_tls, smtp_tls_words, CONF_NSMTP_TLS_MODES)
CONF_WORDS(schedule, schedule_words, CONF_NSCHEDULES)
CONF_WORDS(digest, digest_words, CONF_NDIGESTS)

#define O(f) offsetof(struct conf, f)
#define DAY SECONDS_PER_DAY

static const struct conf_key conf_keys[] = {
    {"general", "base_url", T_URL, O(general.base_url), "http://127.0.0.1:8080",
     0, 0, NULL},
    {"general", "secret_file", T_STR, O(general.secret_file),
     SYSCONFDIR "/mailmood/secret.key", 0, 0, NULL},
    {"general", "store", T_STR, O(general.store),
     LOCALSTATEDIR "/lib/mailmood/mailmood.db", 0, 0, NULL},
    {"general", "conninfo_file", T_STR, O(general.conninfo_file), NULL, 0, 0,
     NULL},
    {"general", "language", T_LANG, O(general.language), "en", 0, 0, NULL},
    {"general", "scale", T_SCALE, O(general.scale_name), "thermometer", 0, 0,
     NULL},
    {"general", "templates", T_STR, O(general.templates),
     DATADIR "/mailmood/templates", 0, 0, NULL},
    {"general", "user", T_STR, O(general.user), NULL, 0, 0, NULL},
    {"general", "log_level", T_ENUM, O(general.log_level), "info", 0,
     CONF_NLOG_LEVELS - 1, log_level_words},
    {"general", "reply_sender", T_ENUM, O(general.reply_sender), "address", 0,
     CONF_NREPLY_SENDERS - 1, reply_sender_words},
    {"general", "timezone", T_STR, O(general.timezone), "UTC", 0, 0, NULL},

    {"milter", "socket", T_STR, O(milter.socket),
     "unix:" RUNSTATEDIR "/mailmood/milter.sock", 0, 0, NULL},
    {"milter", "on_error", T_ENUM, O(milter.on_error), "accept", 0,
     CONF_NON_ERROR_ACTIONS - 1, on_error_words},
    {"milter", "max_size", T_SIZE, O(milter.max_size), "10M", 1024,
     (int64_t)1 << 30, NULL},
    {"milter", "cooldown", T_DURATION, O(milter.cooldown), "7d", 0,
     3650LL * DAY, NULL},
    {"milter", "sample_rate", T_PERCENT, O(milter.sample_rate), "100", 0, 100,
     NULL},
    {"milter", "pid_file", T_STR, O(milter.pid_file), NULL, 0, 0, NULL},
    {"milter", "socket_owner", T_STR, O(milter.socket_owner), NULL, 0, 0, NULL},
    {"milter", "socket_mode", T_MODE, O(milter.socket_mode), "0660", 0, 0777,
     NULL},
    {"milter", "timeout", T_DURATION, O(milter.timeout), "60s", 1, 3600, NULL},
    {"milter", "ticket_replies", T_ENUM, O(milter.ticket_replies), "record", 0,
     CONF_NTICKET_REPLIES - 1, ticket_replies_words},
    {"milter", "ticket_reply_scan", T_ENUM, O(milter.ticket_reply_scan),
     "headers", 0, CONF_NTICKET_REPLY_SCANS - 1, ticket_reply_scan_words},
    {"milter", "internal", T_ADDRLIST, O(milter.internal), NULL, 0, 0, NULL},

    {"listener", "http", T_STR, O(listener.http), "127.0.0.1:8080", 0, 0, NULL},
    {"listener", "lmtp", T_STR, O(listener.lmtp), "127.0.0.1:8024", 0, 0, NULL},
    {"listener", "lmtp_socket_mode", T_MODE, O(listener.lmtp_socket_mode),
     "0660", 0, 0777, NULL},
    {"listener", "lmtp_socket_owner", T_STR, O(listener.lmtp_socket_owner),
     NULL, 0, 0, NULL},
    {"listener", "reply_address", T_STR, O(listener.reply_address), NULL, 0, 0,
     NULL},
    {"listener", "smtp_url", T_URL, O(listener.smtp_url), "smtp://127.0.0.1:25",
     0, 0, NULL},
    {"listener", "smtp_tls", T_ENUM, O(listener.smtp_tls), "auto", 0,
     CONF_NSMTP_TLS_MODES - 1, smtp_tls_words},
    {"listener", "smtp_user", T_STR, O(listener.smtp_user), NULL, 0, 0, NULL},
    {"listener", "smtp_password_file", T_STR, O(listener.smtp_password_file),
     NULL, 0, 0, NULL},
    {"listener", "alert_from", T_STR, O(listener.alert_from),
     "mailmood@localhost", 0, 0, NULL},
    {"listener", "ticket_url", T_STR, O(listener.ticket_url), NULL, 0, 0, NULL},
    {"listener", "pid_file", T_STR, O(listener.pid_file), NULL, 0, 0, NULL},
    {"listener", "trusted_proxies", T_NETLIST, O(listener.trusted_proxies),
     NULL, 0, 0, NULL},
    {"listener", "link_ttl", T_DURATION, O(listener.link_ttl), "90d", 3600,
     3650LL * DAY, NULL},
    {"listener", "burst_window", T_DURATION, O(listener.burst_window), "30s", 0,
     3600, NULL},
    {"listener", "alert_delay", T_DURATION, O(listener.alert_delay), "0", 0,
     7 * DAY, NULL},
    {"listener", "http_timeout", T_DURATION, O(listener.http_timeout), "10s", 1,
     600, NULL},
    {"listener", "http_threads", T_INT, O(listener.http_threads), "4", 1, 256,
     NULL},
    {"listener", "metrics_allow", T_NETLIST, O(listener.metrics_allow),
     "127.0.0.0/8 ::1", 0, 0, NULL},
    {"listener", "per_ip_limit", T_INT, O(listener.per_ip_limit), "32", 1,
     100000, NULL},
    {"listener", "max_request", T_SIZE, O(listener.max_request), "64k", 1024,
     16 << 20, NULL},
    {"listener", "max_reply_size", T_SIZE, O(listener.max_reply_size), "10M",
     1024, (int64_t)1 << 30, NULL},
    {"listener", "max_unmatched_size", T_SIZE, O(listener.max_unmatched_size),
     "64k", 1024, (int64_t)1 << 30, NULL},
    {"listener", "comment_max", T_INT, O(listener.comment_max), "2000", 1,
     100000, NULL},
    {"listener", "smtp_ca_file", T_STR, O(listener.smtp_ca_file), NULL, 0, 0,
     NULL},
    {"listener", "smtp_timeout", T_DURATION, O(listener.smtp_timeout), "60s", 1,
     600, NULL},
    {"listener", "outbox_lease", T_DURATION, O(listener.outbox_lease), "5m", 2,
     DAY, NULL},
    {"listener", "outbox_backoff", T_DURATION, O(listener.outbox_backoff), "1m",
     1, 3600, NULL},
    {"listener", "outbox_retry_for", T_DURATION, O(listener.outbox_retry_for),
     "48h", 1, 30 * DAY, NULL},
    {"listener", "outbox_interval", T_DURATION, O(listener.outbox_interval),
     "2s", 1, 3600, NULL},
    {"imap", "url", T_STR, O(imap.url), NULL, 0, 0, NULL},
    {"imap", "user", T_STR, O(imap.user), NULL, 0, 0, NULL},
    {"imap", "password_file", T_STR, O(imap.password_file), NULL, 0, 0, NULL},
    {"imap", "folder", T_STR, O(imap.folder), "INBOX", 0, 0, NULL},
    {"imap", "poll", T_DURATION, O(imap.poll), "60s", 1, DAY, NULL},
    {"imap", "move_to", T_STR, O(imap.move_to), "mailmood-processed", 0, 0,
     NULL},
    {"imap", "tls_verify", T_BOOL, O(imap.tls_verify), "yes", 0, 0, NULL},
    {"imap", "ca_file", T_STR, O(imap.ca_file), NULL, 0, 0, NULL},
    {"imap", "timeout", T_DURATION, O(imap.timeout), "60s", 1, 3600, NULL},
    {"campaign", "schedule", T_ENUM, O(campaign.schedule), "manual", 0,
     CONF_NSCHEDULES - 1, schedule_words},
};

#define NKEYS (sizeof(conf_keys) / sizeof(conf_keys[0]))

struct conf_parser {
	struct conf *c;
	const char *path;
	FILE *fp;
	int line;
	int section_line; /* of the last [section] header */
	char *err;
	size_t errlen, errused;
	int nerr;
	unsigned char seen[NKEYS];
	int key_line[NKEYS]; /* where a key was set, for later checks */
	char last_section[256];
	char **sections; /* names seen, to refuse a repeated section */
	size_t nsections;
	struct conf_rule *rule; /* section being parsed */
	struct conf_team *team;
	struct conf_campaign *campaign;
};

static void conf_error(struct conf_parser *p, int line, const char *section,
		       const char *key, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Appends to the error text; a full buffer truncates, never overflows. */
static void err_vappend(struct conf_parser *p, const char *fmt, va_list ap)
{
	int n;

	if (p->errused + 1 >= p->errlen)
		return;
	n = vsnprintf(p->err + p->errused, p->errlen - p->errused, fmt, ap);
	if (n > 0)
		p->errused = p->errused + (size_t)n < p->errlen
				 ? p->errused + (size_t)n
				 : p->errlen - 1;
}

static void err_append(struct conf_parser *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vappend(p, fmt, ap);
	va_end(ap);
}

static void conf_error(struct conf_parser *p, int line, const char *section,
		       const char *key, const char *fmt, ...)
{
	va_list ap;

	p->nerr++;
	err_append(p, "%s%s:%d: ", p->errused ? "\n" : "", p->path, line);
	if (section)
		err_append(p, "[%s] %s: ", section, key ? key : "");
	va_start(ap, fmt);
	err_vappend(p, fmt, ap);
	va_end(ap);
}

int conf_parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	uint64_t mult = 1;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	switch (tolower((unsigned char)*end)) {
	case '\0':
		break;
	case 'k':
		mult = 1024;
		end++;
		break;
	case 'm':
		mult = 1024 * 1024;
		end++;
		break;
	case 'g':
		mult = 1024ULL * 1024 * 1024;
		end++;
		break;
	default:
		return -1;
	}
	if (*end == 'b' || *end == 'B')
		end++;
	if (*end || v > UINT64_MAX / mult)
		return -1;
	*out = v * mult;
	return 0;
}

int conf_parse_duration(const char *s, int64_t *out)
{
	char *end;
	long long v;
	int64_t mult = 1;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno)
		return -1;
	switch (*end) {
	case '\0':
		break;
	case 's':
		end++;
		break;
	case 'm':
		mult = 60;
		end++;
		break;
	case 'h':
		mult = 3600;
		end++;
		break;
	case 'd':
		mult = DAY;
		end++;
		break;
	case 'w':
		mult = 7 * DAY;
		end++;
		break;
	default:
		return -1;
	}
	if (*end || v > INT64_MAX / mult)
		return -1;
	*out = (int64_t)v * mult;
	return 0;
}

int conf_parse_bool(const char *v, bool *out)
{
	if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") ||
	    !strcasecmp(v, "on") || !strcmp(v, "1"))
		*out = true;
	else if (!strcasecmp(v, "no") || !strcasecmp(v, "false") ||
		 !strcasecmp(v, "off") || !strcmp(v, "0"))
		*out = false;
	else
		return -1;
	return 0;
}

int conf_net_parse(const char *s, struct conf_net *n)
{
	char host[64], *slash;
	int max;

	if (snprintf(host, sizeof(host), "%s", s) >= (int)sizeof(host))
		return -1;
	slash = strchr(host, '/');
	if (slash)
		*slash++ = '\0';
	if (inet_pton(AF_INET, host, n->addr) == 1) {
		n->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, host, n->addr) == 1) {
		n->family = AF_INET6;
		max = 128;
	} else {
		return -1;
	}
	n->prefix = max;
	if (slash) {
		char *end;
		long v = strtol(slash, &end, 10);
		if (*slash == '\0' || *end || v < 0 || v > max)
			return -1;
		n->prefix = (int)v;
	}
	return 0;
}

static int valid_language(const char *v)
{
	return !strcmp(v, "en") || !strcmp(v, "nl");
}

/* Sets one typed key; NULL on success, else the reason. */
static const char *conf_set_key(struct conf *c, const struct conf_key *k,
				const char *v, char *why, size_t whylen)
{
	char *field = (char *)c + k->offset;
	int64_t n = 0;
	uint64_t u = 0;
	char *end;
	bool b;

	switch (k->type) {
	case T_URL:
		if (strncmp(v, "http://", 7) && strncmp(v, "https://", 8) &&
		    strncmp(v, "smtp://", 7) && strncmp(v, "smtps://", 8))
			return "not a URL (http://, https://, smtp://, "
			       "smtps://)";
		/* fall through */
	case T_STR:
	case T_LANG:
	case T_SCALE:
	case T_ADDRLIST:
	case T_NETLIST:
		for (const char *w = v; k->type == T_NETLIST && *w;) {
			size_t wn = strcspn(w, " \t,");
			char tok[64];
			struct conf_net net;

			snprintf(tok, sizeof(tok), "%.*s", (int)wn, w);
			if (wn > 0 && (wn >= sizeof(tok) ||
				       conf_net_parse(tok, &net) < 0)) {
				snprintf(why, whylen,
					 "'%.*s': not an address or "
					 "address/prefix",
					 (int)(wn > 64 ? 64 : wn), w);
				return why;
			}
			w += wn;
			w += strspn(w, " \t,");
		}
		if (k->type == T_ADDRLIST && strcasecmp(v, "none")) {
			for (const char *w = v; *w;) {
				size_t wn = strcspn(w, " \t,");
				if (wn > 0 && !memchr(w, '@', wn)) {
					snprintf(why, whylen,
						 "'%.*s': each entry must be "
						 "an address or @domain (or "
						 "none)",
						 (int)(wn > 64 ? 64 : wn), w);
					return why;
				}
				w += wn;
				w += strspn(w, " \t,");
			}
		}
		if (k->type == T_LANG && !valid_language(v))
			return "unknown language (en, nl)";
		if (k->type == T_SCALE && !scale_by_name(v))
			return "unknown scale (thermometer, grade10, nps, "
			       "csat5, binary)";
		{
			char *dup = strdup(v);
			if (!dup)
				return "out of memory";
			free(*(char **)field);
			*(char **)field = dup;
		}
		return NULL;
	case T_BOOL:
		if (conf_parse_bool(v, &b) < 0)
			return "not a boolean (yes/no)";
		*(bool *)field = b;
		return NULL;
	case T_ENUM:
		n = word_parse(k->words, (int)k->max + 1, v);
		if (n < 0) {
			size_t used =
			    (size_t)snprintf(why, whylen, "must be one of |");
			for (int64_t i = k->min; i <= k->max && used < whylen;
			     i++)
				used +=
				    (size_t)snprintf(why + used, whylen - used,
						     "%s|", k->words[i]);
			return why;
		}
		break;
	case T_INT:
	case T_PERCENT:
	case T_MODE:
		errno = 0;
		n = strtoll(v, &end, k->type == T_MODE ? 8 : 10);
		if (k->type == T_PERCENT && *end == '%')
			end++;
		if (!*v || *end || errno)
			return k->type == T_MODE ? "not an octal mode"
						 : "not a number";
		break;
	case T_SIZE:
		if (conf_parse_size(v, &u) < 0)
			return "bad size (e.g. 512k, 10M, 1G)";
		n = u > INT64_MAX ? INT64_MAX : (int64_t)u;
		break;
	case T_DURATION:
		if (conf_parse_duration(v, &n) < 0)
			return "bad duration (e.g. 30s, 10m, 12h, 7d, 2w)";
		break;
	}
	if (n < k->min || n > k->max) {
		snprintf(why, whylen,
			 "%s out of range (%" PRId64 "..%" PRId64 ")", v,
			 k->min, k->max);
		return why;
	}
	if (k->type == T_SIZE)
		*(uint64_t *)field = (uint64_t)n;
	else if (k->type == T_DURATION)
		*(int64_t *)field = n;
	else
		*(int *)field = (int)n;
	return NULL;
}

/* "/pcre/flags" compiles; anything else is an exact, case-insensitive
 * value. NULL on success, else the reason (why holds PCRE2's message). */
static const char *conf_pattern_set(struct conf_pattern *pat, const char *v,
				    char *why, size_t whylen)
{
	const char *last;
	uint32_t opts = PCRE2_UTF | PCRE2_NO_UTF_CHECK;
	int errcode;
	PCRE2_SIZE erroff;

	if (pat->text)
		return "given twice";
	if (!*v)
		return "empty value";
	pat->text = strdup(v);
	if (!pat->text)
		return "out of memory";
	if (v[0] != '/')
		return NULL;
	last = strrchr(v, '/');
	if (last == v)
		return "regular expression without closing /";
	for (const char *f = last + 1; *f; f++) {
		switch (*f) {
		case 'i':
			opts |= PCRE2_CASELESS;
			break;
		case 'm':
			opts |= PCRE2_MULTILINE;
			break;
		case 's':
			opts |= PCRE2_DOTALL;
			break;
		case 'x':
			opts |= PCRE2_EXTENDED;
			break;
		default:
			snprintf(why, whylen, "unknown regex flag '%c'", *f);
			return why;
		}
	}
	pat->re = pcre2_compile((PCRE2_SPTR)(v + 1), (PCRE2_SIZE)(last - v - 1),
				opts, &errcode, &erroff, NULL);
	if (!pat->re) {
		char msg[160];
		pcre2_get_error_message(errcode, (PCRE2_UCHAR *)msg,
					sizeof(msg));
		snprintf(why, whylen,
			 "bad regular expression at offset %zu: %s",
			 (size_t)erroff, msg);
		return why;
	}
	/* JIT is a speed-up only; a failure leaves the interpreter. */
	pcre2_jit_compile(pat->re, PCRE2_JIT_COMPLETE);
	return NULL;
}

static void conf_pattern_free(struct conf_pattern *pat)
{
	free(pat->text);
	pcre2_code_free(pat->re);
}

static const char *conf_source_set(struct conf_source *src, const char *v)
{
	if (src->literal || src->header_name)
		return "given twice";
	if (strncasecmp(v, "header:", 7) == 0) {
		const char *h = v + 7;
		while (*h == ' ')
			h++;
		if (!*h)
			return "header: without a header name";
		src->header_name = strdup(h);
		return src->header_name ? NULL : "out of memory";
	}
	if (!*v)
		return "empty value";
	src->literal = strdup(v);
	return src->literal ? NULL : "out of memory";
}

static const char *conf_rule_key(struct conf_parser *p, struct conf_rule *r,
				 const char *key, const char *v, char *why,
				 size_t whylen)
{
	if (!strcmp(key, "sender"))
		return conf_pattern_set(&r->sender, v, why, whylen);
	if (!strcmp(key, "from"))
		return conf_pattern_set(&r->from, v, why, whylen);
	if (!strcmp(key, "subject"))
		return conf_pattern_set(&r->subject, v, why, whylen);
	if (!strcmp(key, "header")) {
		const char *colon = strchr(v, ':');
		struct conf_header_cond *h;
		const char *pv;

		if (!colon || colon == v)
			return "expected 'Header-Name: value'";
		h = realloc(r->headers, (r->nheaders + 1) * sizeof(*h));
		if (!h)
			return "out of memory";
		r->headers = h;
		h = &r->headers[r->nheaders++];
		memset(h, 0, sizeof(*h));
		h->name = strndup(v, (size_t)(colon - v));
		if (!h->name)
			return "out of memory";
		for (char *e = h->name + strlen(h->name);
		     e > h->name && isspace((unsigned char)e[-1]);)
			*--e = '\0';
		for (const char *n = h->name; *n; n++)
			if ((unsigned char)*n <= ' ' || *n == ':')
				return "bad header name";
		pv = colon + 1;
		while (isspace((unsigned char)*pv))
			pv++;
		return conf_pattern_set(&h->pat, pv, why, whylen);
	}
	if (!strcmp(key, "ticket"))
		return conf_source_set(&r->ticket, v);
	if (!strcmp(key, "team"))
		return conf_source_set(&r->team, v);
	if (!strcmp(key, "agent"))
		return conf_source_set(&r->agent, v);
	if (!strcmp(key, "scale")) {
		r->scale = scale_by_name(v);
		return r->scale ? NULL : "unknown scale";
	}
	if (!strcmp(key, "reply_subjects"))
		return conf_parse_bool(v, &r->reply_subjects) < 0
			   ? "not a boolean (yes/no)"
			   : NULL;
	if (!strcmp(key, "language")) {
		if (!valid_language(v))
			return "unknown language (en, nl)";
		free(r->language);
		r->language = strdup(v);
		return r->language ? NULL : "out of memory";
	}
	(void)p;
	return "unknown key";
}

static int str_set(char **field, const char *v)
{
	free(*field);
	*field = strdup(v);
	return *field ? 0 : -1;
}

static const char *conf_team_customer_key(struct conf_team *t, const char *key,
					  const char *v)
{
	if (!strcmp(key, "rate_customer"))
		return conf_parse_bool(v, &t->rate_customer) < 0
			   ? "not a boolean (yes/no)"
			   : NULL;
	if (!strcmp(key, "customer_question_en") ||
	    !strcmp(key, "customer_question_nl")) {
		if (!*v)
			return "empty";
		return str_set(&t->customer_question[key[18] == 'n'], v)
			   ? "out of memory"
			   : NULL;
	}
	if (!strcmp(key, "customer_scale")) {
		t->customer_scale = scale_by_name(v);
		return t->customer_scale ? NULL : "unknown scale";
	}
	if (!strcmp(key, "customer_digest_at")) {
		int h, m, n = 0;
		if (sscanf(v, "%2d:%2d%n", &h, &m, &n) != 2 || v[n] ||
		    strlen(v) != 5 || h < 0 || h > 23 || m < 0 || m > 59)
			return "not a time of day (HH:MM, 00:00 to 23:59)";
		t->customer_digest_at = h * 60 + m;
		return NULL;
	}
	return "unknown key";
}

static const char *conf_team_key(struct conf_team *t, const char *key,
				 const char *v)
{
	if (!strcmp(key, "match")) {
		char *copy = strdup(v), *save = NULL;
		if (!copy)
			return "out of memory";
		for (char *w = strtok_r(copy, " \t,", &save); w;
		     w = strtok_r(NULL, " \t,", &save)) {
			char **m =
			    realloc(t->match, (t->nmatch + 1) * sizeof(*m));
			if (!m) {
				free(copy);
				return "out of memory";
			}
			t->match = m;
			if (!strchr(w, '@')) {
				free(copy);
				return "each entry must be an address or "
				       "@domain";
			}
			m[t->nmatch] = strdup(w);
			if (!m[t->nmatch]) {
				free(copy);
				return "out of memory";
			}
			for (char *c = m[t->nmatch]; *c; c++)
				*c = (char)tolower((unsigned char)*c);
			t->nmatch++;
		}
		free(copy);
		return NULL;
	}
	if (!strcmp(key, "alert_to"))
		return str_set(&t->alert_to, v) ? "out of memory" : NULL;
	if (!strcmp(key, "kudos_to"))
		return str_set(&t->kudos_to, v) ? "out of memory" : NULL;
	if (!strcmp(key, "ticket_url"))
		return str_set(&t->ticket_url, v) ? "out of memory" : NULL;
	if (!strcmp(key, "name"))
		return str_set(&t->display_name, v) ? "out of memory" : NULL;
	if (!strcmp(key, "alert_at"))
		return str_set(&t->alert_at_text, v) ? "out of memory" : NULL;
	if (!strcmp(key, "language")) {
		if (!valid_language(v))
			return "unknown language (en, nl)";
		return str_set(&t->language, v) ? "out of memory" : NULL;
	}
	if (!strcmp(key, "scale")) {
		t->scale = scale_by_name(v);
		return t->scale ? NULL : "unknown scale";
	}
	if (!strcmp(key, "kudos"))
		return conf_parse_bool(v, &t->kudos) < 0
			   ? "not a boolean (yes/no)"
			   : NULL;
	if (!strncmp(key, "customer_", 9) || !strcmp(key, "rate_customer"))
		return conf_team_customer_key(t, key, v);
	if (!strcmp(key, "digest")) {
		int d = conf_digest_parse(v);

		if (d == CONF_DIGEST_UNKNOWN)
			return "must be none, daily or weekly";
		t->digest = d;
		return NULL;
	}
	return "unknown key";
}

static int valid_section_name(const char *n)
{
	if (!*n)
		return 0;
	for (; *n; n++)
		if (!isalnum((unsigned char)*n) && !strchr("-_.", *n))
			return 0;
	return 1;
}

/* Called once per section change: opens a rule or team entry and refuses
 * a section that appears twice (later keys would silently mix in). */
static int conf_enter_section(struct conf_parser *p, const char *section)
{
	struct conf *c = p->c;
	char **s;

	snprintf(p->last_section, sizeof(p->last_section), "%s", section);
	p->rule = NULL;
	p->team = NULL;
	p->campaign = NULL;
	for (size_t i = 0; i < p->nsections; i++)
		if (!strcmp(p->sections[i], section)) {
			conf_error(p, p->section_line, section, NULL,
				   "section appears twice");
			return -1;
		}
	s = realloc(p->sections, (p->nsections + 1) * sizeof(*s));
	if (!s)
		return -1;
	p->sections = s;
	s[p->nsections] = strdup(section);
	if (!s[p->nsections])
		return -1;
	p->nsections++;

	if (!strncmp(section, "rule ", 5)) {
		const char *name = section + 5;
		struct conf_rule *r;
		if (!valid_section_name(name)) {
			conf_error(p, p->section_line, section, NULL,
				   "bad rule name (letters, digits, - _ .)");
			return -1;
		}
		r = realloc(c->rules, (c->nrules + 1) * sizeof(*r));
		if (!r)
			return -1;
		c->rules = r;
		p->rule = &r[c->nrules++];
		memset(p->rule, 0, sizeof(*p->rule));
		p->rule->name = strdup(name);
		p->rule->line = p->section_line;
	} else if (!strncmp(section, "team ", 5)) {
		const char *name = section + 5;
		struct conf_team *t;
		if (!valid_section_name(name)) {
			conf_error(p, p->section_line, section, NULL,
				   "bad team name (letters, digits, - _ .)");
			return -1;
		}
		t = realloc(c->teams, (c->nteams + 1) * sizeof(*t));
		if (!t)
			return -1;
		c->teams = t;
		p->team = &t[c->nteams++];
		memset(p->team, 0, sizeof(*p->team));
		p->team->name = strdup(name);
		p->team->line = p->section_line;
		p->team->customer_digest_at = 8 * 60;
	} else if (!strncmp(section, "campaign ", 9)) {
		if (!valid_section_name(section + 9)) {
			conf_error(
			    p, p->section_line, section, NULL,
			    "bad campaign name (letters, digits, - _ .)");
			return -1;
		}
		p->campaign =
		    conf_campaign_add(c, section + 9, p->section_line);
		if (!p->campaign)
			return -1;
	}
	return 0;
}

static int conf_handler(void *user, const char *section, const char *key,
			const char *value)
{
	struct conf_parser *p = user;
	char why[256];
	const char *reason = NULL;

	if (strcmp(section, p->last_section) != 0 &&
	    conf_enter_section(p, section) < 0)
		return 1;
	if (p->rule)
		reason =
		    conf_rule_key(p, p->rule, key, value, why, sizeof(why));
	else if (p->team)
		reason = conf_team_key(p->team, key, value);
	else if (p->campaign)
		reason = conf_campaign_key(p->campaign, key, value, p->line,
					   why, sizeof(why));
	else {
		size_t i;
		int known_section = 0;
		for (i = 0; i < NKEYS; i++) {
			if (strcmp(conf_keys[i].section, section))
				continue;
			known_section = 1;
			if (!strcmp(conf_keys[i].name, key))
				break;
		}
		if (!known_section) {
			conf_error(p, p->line, section, key,
				   "unknown section (general, milter, "
				   "listener, imap, campaign, rule NAME, "
				   "team NAME, campaign NAME)");
			return 1;
		}
		if (i == NKEYS)
			reason = "unknown key";
		else if (p->seen[i]++)
			reason = "given twice";
		else {
			p->key_line[i] = p->line;
			reason = conf_set_key(p->c, &conf_keys[i], value, why,
					      sizeof(why));
		}
	}
	if (reason)
		conf_error(p, p->line, section, key, "%s", reason);
	return 1;
}

/* libinih calls the handler only for keys; a [campaign NAME] section
 * works with no key at all (every key has a default), so it is opened at
 * its header line. */
static void conf_campaign_header(struct conf_parser *p, const char *line)
{
	const char *end = strchr(line, ']');
	char name[256];

	if (!end || strncmp(line, "[campaign ", 10) ||
	    (size_t)(end - line) >= sizeof(name))
		return;
	snprintf(name, sizeof(name), "%.*s", (int)(end - line - 1), line + 1);
	conf_enter_section(p, name);
}

static char *conf_reader(char *str, int num, void *stream)
{
	struct conf_parser *p = stream;
	char *r = fgets(str, num, p->fp);
	size_t n;

	if (!r)
		return NULL;
	p->line++;
	n = strlen(str);
	if (str[strspn(str, " \t")] == '[') {
		p->section_line = p->line;
		conf_campaign_header(p, str + strspn(str, " \t"));
	}
	if (n == (size_t)num - 1 && str[n - 1] != '\n' && !feof(p->fp)) {
		/* Swallow the rest, so one long line is one error (reported
		 * here: the handler then sees an empty line). */
		int ch;
		while ((ch = fgetc(p->fp)) != EOF && ch != '\n')
			;
		conf_error(p, p->line, NULL, NULL, "line too long");
		str[0] = '\0';
	}
	return r;
}

static void conf_apply_defaults(struct conf *c)
{
	char why[128];

	for (size_t i = 0; i < NKEYS; i++)
		if (conf_keys[i].def)
			conf_set_key(c, &conf_keys[i], conf_keys[i].def, why,
				     sizeof(why));
}

static size_t conf_key_index(const char *section, const char *name)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (!strcmp(conf_keys[i].section, section) &&
		    !strcmp(conf_keys[i].name, name))
			break;
	return i;
}

/* conninfo_file: the PostgreSQL connection in a file of its own, so the
 * password is not in mailmood.conf (which admins paste into tickets).
 * Its first line that is not blank or a # comment is a postgresql:// URI
 * or a keyword conninfo ("host=db1 dbname=mailmood password=..."). */
static void conf_conninfo(struct conf_parser *p)
{
	struct conf *c = p->c;
	const char *path = c->general.conninfo_file;
	char buf[2048], *s, *e, *dsn = NULL;
	struct stat sb;
	FILE *fp;
	int line = p->key_line[conf_key_index("general", "conninfo_file")];

	if (!path || !*path)
		return;
	if (p->seen[conf_key_index("general", "store")]) {
		conf_error(p, line, "general", "conninfo_file",
			   "give either store or conninfo_file, not both");
		return;
	}
	if (!(fp = fopen(path, "r"))) {
		conf_error(p, line, "general", "conninfo_file", "%s: %s", path,
			   strerror(errno));
		return;
	}
	if (fstat(fileno(fp), &sb) == 0 && (sb.st_mode & 007)) {
		conf_error(p, line, "general", "conninfo_file",
			   "%s is readable by others (it may hold a "
			   "password): chmod o-rwx",
			   path);
		fclose(fp);
		return;
	}
	while (fgets(buf, sizeof(buf), fp)) {
		for (s = buf; isspace((unsigned char)*s); s++)
			;
		e = s + strlen(s);
		while (e > s && isspace((unsigned char)e[-1]))
			*--e = '\0';
		if (!*s || *s == '#')
			continue;
		if (!strncmp(s, "postgresql://", 13) ||
		    !strncmp(s, "postgres://", 11))
			dsn = strdup(s);
		else if ((dsn = malloc(strlen(s) + 4)))
			sprintf(dsn, "pg:%s", s);
		break;
	}
	fclose(fp);
	if (!dsn) {
		conf_error(p, line, "general", "conninfo_file",
			   "%s holds no connection string", path);
		return;
	}
	free(c->general.store);
	c->general.store = dsn;
}

/* Checks that need the whole file: rule sanity, team thresholds. */
static void conf_finish(struct conf_parser *p)
{
	struct conf *c = p->c;

	conf_conninfo(p);
	if (c->general.timezone) {
		char why[300];
		if (tz_load(c->general.timezone, &c->general.tz, why,
			    sizeof(why)) < 0)
			conf_error(
			    p,
			    p->key_line[conf_key_index("general", "timezone")],
			    "general", "timezone", "%s", why);
	}

	c->general.scale = scale_by_name(c->general.scale_name);
	for (size_t i = 0; i < c->nrules; i++) {
		struct conf_rule *r = &c->rules[i];
		char sect[300];
		snprintf(sect, sizeof(sect), "rule %s", r->name);
		if (!r->sender.text && !r->from.text && !r->subject.text &&
		    !r->nheaders)
			conf_error(p, r->line, sect, NULL,
				   "no condition (sender, from, subject or "
				   "header): it would match every mail");
	}
	for (size_t i = 0; i < c->nteams; i++) {
		struct conf_team *t = &c->teams[i];
		const struct scale *sc = conf_team_scale(c, t);
		char sect[300];
		snprintf(sect, sizeof(sect), "team %s", t->name);
		if (!t->nmatch)
			conf_error(p, t->line, sect, "match",
				   "missing: which requesters belong to the "
				   "team");
		if (!t->alert_at_text)
			t->alert_at = sc->alert_default;
		else if (scale_parse_threshold(sc, t->alert_at_text,
					       &t->alert_at) < 0)
			conf_error(p, t->line, sect, "alert_at",
				   "'%s' is not a level of the %s scale",
				   t->alert_at_text, sc->name);
		if (t->rate_customer && !t->alert_to)
			conf_error(p, t->line, sect, "rate_customer",
				   "needs alert_to: who rates the customers "
				   "when a rule captured no agent address");
		if (!t->display_name)
			t->display_name = strdup(t->name);
	}
	for (size_t i = 0; i < c->ncampaigns; i++) {
		const char *key, *why;
		char buf[300], sect[300];
		int line;
		why = conf_campaign_check(c, &c->campaigns[i], &key, &line, buf,
					  sizeof(buf));
		snprintf(sect, sizeof(sect), "campaign %s",
			 c->campaigns[i].name);
		if (why)
			conf_error(p, line ? line : c->campaigns[i].line, sect,
				   key, "%s", why);
	}
	if (c->imap.url && *c->imap.url && strncmp(c->imap.url, "imap://", 7) &&
	    strncmp(c->imap.url, "imaps://", 8))
		conf_error(p, 0, "imap", "url",
			   "not an IMAP URL (imaps://host[:port]/ or imap://)");
	if (c->imap.url && *c->imap.url &&
	    (!c->imap.user || !c->imap.password_file))
		conf_error(p, 0, "imap", "url", "needs user and password_file");
	if (c->listener.reply_address &&
	    !strchr(c->listener.reply_address, '@'))
		conf_error(p, 0, "listener", "reply_address", "not an address");
}

struct conf *conf_load(const char *path, char *err, size_t errlen)
{
	struct conf_parser p;
	struct conf *c;
	int rc;

	if (errlen)
		err[0] = '\0';
	c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	conf_apply_defaults(c);
	c->path = strdup(path);
	memset(&p, 0, sizeof(p));
	p.c = c;
	p.path = path;
	p.err = err;
	p.errlen = errlen;
	p.fp = fopen(path, "r");
	if (!p.fp) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		conf_free(c);
		return NULL;
	}
	/* mailmood.conf(5): comments are whole lines, values may hold ';' and
	 * '#' (regular expressions do), and a rule line can be long. */
	ini_allow_inline_comments = false;
	ini_allow_multiline = false;
	ini_use_stack = false;
	ini_max_line = 4096;
	rc = ini_parse_stream(conf_reader, &p, conf_handler, &p);
	fclose(p.fp);
	if (rc > 0 && !p.nerr)
		conf_error(&p, rc, NULL, NULL,
			   "syntax error (expected [section] or key = value)");
	else if (rc > 0)
		conf_error(&p, rc, NULL, NULL, "syntax error");
	else if (rc < 0)
		conf_error(&p, 0, NULL, NULL, "cannot parse (out of memory)");
	conf_finish(&p);
	for (size_t i = 0; i < p.nsections; i++)
		free(p.sections[i]);
	free(p.sections);
	if (p.nerr) {
		conf_free(c);
		return NULL;
	}
	return c;
}

void conf_free(struct conf *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < NKEYS; i++) {
		switch (conf_keys[i].type) {
		case T_STR:
		case T_URL:
		case T_LANG:
		case T_SCALE:
		case T_ADDRLIST:
		case T_NETLIST:
			free(*(char **)((char *)c + conf_keys[i].offset));
			break;
		default:
			break;
		}
	}
	for (size_t i = 0; i < c->nrules; i++) {
		struct conf_rule *r = &c->rules[i];
		free(r->name);
		conf_pattern_free(&r->sender);
		conf_pattern_free(&r->from);
		conf_pattern_free(&r->subject);
		for (size_t j = 0; j < r->nheaders; j++) {
			free(r->headers[j].name);
			conf_pattern_free(&r->headers[j].pat);
		}
		free(r->headers);
		free(r->ticket.literal);
		free(r->ticket.header_name);
		free(r->team.literal);
		free(r->team.header_name);
		free(r->agent.literal);
		free(r->agent.header_name);
		free(r->language);
	}
	free(c->rules);
	for (size_t i = 0; i < c->nteams; i++) {
		struct conf_team *t = &c->teams[i];
		free(t->name);
		free(t->display_name);
		for (size_t j = 0; j < t->nmatch; j++)
			free(t->match[j]);
		free(t->match);
		free(t->alert_to);
		free(t->kudos_to);
		free(t->language);
		free(t->alert_at_text);
		free(t->ticket_url);
		free(t->customer_question[0]);
		free(t->customer_question[1]);
	}
	free(c->teams);
	conf_campaign_free_all(c);
	tz_free(&c->general.tz);
	free(c->path);
	free(c);
}

const char *conf_default_path(const char *opt)
{
	const char *env;

	if (opt && *opt)
		return opt;
	env = getenv("MAILMOOD_CONFIG");
	if (env && *env)
		return env;
	return SYSCONFDIR "/mailmood/mailmood.conf";
}

bool conf_url_is_example(const char *url)
{
	static const char *const reserved[] = {"example", "example.com",
					       "example.net", "example.org"};
	const char *host = strstr(url, "://"), *end, *at;
	size_t len;

	if (!host)
		return false;
	host += 3;
	end = host + strcspn(host, "/?#");
	at = memchr(host, '@', (size_t)(end - host));
	if (at)
		host = at + 1;
	if (*host == '[') /* an IP literal */
		return false;
	len = strcspn(host, ":/?#");
	if (len && host[len - 1] == '.')
		len--;
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
		size_t rl = strlen(reserved[i]);
		if (len < rl || strncasecmp(host + len - rl, reserved[i], rl))
			continue;
		if (len == rl || host[len - rl - 1] == '.')
			return true;
	}
	return false;
}

const struct conf_team *conf_team_for_address(const struct conf *c,
					      const char *addr)
{
	const char *at = strrchr(addr, '@');

	/* An exact address wins over a domain, whatever the order. */
	for (size_t i = 0; i < c->nteams; i++)
		for (size_t j = 0; j < c->teams[i].nmatch; j++)
			if (c->teams[i].match[j][0] != '@' &&
			    !strcasecmp(c->teams[i].match[j], addr))
				return &c->teams[i];
	if (!at)
		return NULL;
	for (size_t i = 0; i < c->nteams; i++)
		for (size_t j = 0; j < c->teams[i].nmatch; j++)
			if (c->teams[i].match[j][0] == '@' &&
			    !strcasecmp(c->teams[i].match[j], at))
				return &c->teams[i];
	return NULL;
}

const struct conf_team *conf_team_by_name(const struct conf *c,
					  const char *name)
{
	for (size_t i = 0; name && i < c->nteams; i++)
		if (!strcasecmp(c->teams[i].name, name))
			return &c->teams[i];
	return NULL;
}

const struct scale *conf_team_scale(const struct conf *c,
				    const struct conf_team *t)
{
	if (t && t->scale)
		return t->scale;
	return c->general.scale ? c->general.scale
				: scale_get(SCALE_THERMOMETER);
}

const struct scale *conf_survey_scale(const struct conf *c,
				      const char *team_name,
				      const char *scale_name,
				      const struct conf_team **team)
{
	const struct conf_team *t =
	    team_name ? conf_team_by_name(c, team_name) : NULL;
	const struct scale *sc = scale_name ? scale_by_name(scale_name) : NULL;

	if (team)
		*team = t;
	return sc ? sc : conf_team_scale(c, t);
}

const char *conf_team_language(const struct conf *c, const struct conf_team *t)
{
	if (t && t->language)
		return t->language;
	return c->general.language;
}

const struct scale *conf_team_customer_scale(const struct conf_team *t)
{
	return t && t->customer_scale ? t->customer_scale
				      : scale_get(SCALE_THERMOMETER);
}

const char *conf_team_customer_question(const struct conf_team *t,
					const char *lang)
{
	int nl = lang && !strcmp(lang, "nl");

	if (t && t->customer_question[nl])
		return t->customer_question[nl];
	return nl ? "Hoe goed hielp de klant ons dit op te lossen?"
		  : "How well did the customer help us solve this?";
}
