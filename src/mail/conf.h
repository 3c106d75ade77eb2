/* SPDX-License-Identifier: BSD-2-Clause */
/* The configuration: one INI file (mailmood.conf(5)), parsed once
 * with libinih into one struct. Every key of [general], [milter] and
 * [listener] is a row of a typed table in conf.c with its default and
 * bounds; [rule NAME] and [team NAME] sections repeat. */
#ifndef MM_CONF_H
#define MM_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "log.h"
#include "scale.h"
#include "tz.h"

/* A config word that selects a behaviour is parsed into its enum when the
 * file is read (a bad word is a FILE:LINE error naming the key), and
 * compared as the enum where it is used. Each enum counts from 0 in the
 * order of its words in mailmood.conf(5); _UNKNOWN is a word that is none
 * of them. The conf_*_name / conf_*_parse pair of each (conf.c's
 * CONF_WORDS) is its one mapping: the word of a value (NULL out of
 * range), the value of a word. */

/* [milter] on_error = accept | tempfail */
enum conf_on_error {
	CONF_ON_ERROR_UNKNOWN = -1,
	CONF_ON_ERROR_ACCEPT = 0,
	CONF_ON_ERROR_TEMPFAIL = 1,
	CONF_NON_ERROR_ACTIONS
};
const char *conf_on_error_name(int v);
int conf_on_error_parse(const char *s);

/* [general] log_level = error | warning | info | debug: the words map to
 * log.h's enum log_level, the one the logger takes. */
#define CONF_LOG_LEVEL_UNKNOWN (-1)
#define CONF_NLOG_LEVELS (LOG_LVL_DEBUG + 1)
const char *conf_log_level_name(int v);
int conf_log_level_parse(const char *s);

/* [general] reply_sender = address | domain: who may rate by a reply
 * matched without its +TOKEN address (reply_sender.h). */
enum conf_reply_sender {
	CONF_REPLY_SENDER_UNKNOWN = -1,
	CONF_REPLY_SENDER_ADDRESS = 0,
	CONF_REPLY_SENDER_DOMAIN = 1,
	CONF_NREPLY_SENDERS
};
const char *conf_reply_sender_name(int v);
int conf_reply_sender_parse(const char *s);

/* [milter] ticket_replies = record | divert | off (ticket_reply.h) */
enum conf_ticket_replies {
	CONF_TICKET_REPLIES_UNKNOWN = -1,
	CONF_TICKET_REPLIES_RECORD = 0,
	CONF_TICKET_REPLIES_DIVERT = 1,
	CONF_TICKET_REPLIES_OFF = 2,
	CONF_NTICKET_REPLIES
};
const char *conf_ticket_replies_name(int v);
int conf_ticket_replies_parse(const char *s);

/* [milter] ticket_reply_scan = headers | bodies: bodies reads every
 * mail's body for a token, not only a threaded one's. */
enum conf_ticket_reply_scan {
	CONF_TICKET_REPLY_SCAN_UNKNOWN = -1,
	CONF_TICKET_REPLY_SCAN_HEADERS = 0,
	CONF_TICKET_REPLY_SCAN_BODIES = 1,
	CONF_NTICKET_REPLY_SCANS
};
const char *conf_ticket_reply_scan_name(int v);
int conf_ticket_reply_scan_parse(const char *s);

/* [listener] smtp_tls = auto | required | none (smtp_use_ssl in smtp.h) */
enum conf_smtp_tls {
	CONF_SMTP_TLS_UNKNOWN = -1,
	CONF_SMTP_TLS_AUTO = 0,
	CONF_SMTP_TLS_REQUIRED = 1,
	CONF_SMTP_TLS_NONE = 2,
	CONF_NSMTP_TLS_MODES
};
const char *conf_smtp_tls_name(int v);
int conf_smtp_tls_parse(const char *s);

/* [campaign] schedule = manual | auto (campaign_run_due) */
enum conf_schedule {
	CONF_SCHEDULE_UNKNOWN = -1,
	CONF_SCHEDULE_MANUAL = 0,
	CONF_SCHEDULE_AUTO = 1,
	CONF_NSCHEDULES
};
const char *conf_schedule_name(int v);
int conf_schedule_parse(const char *s);

/* [team NAME] digest = none | daily | weekly */
enum conf_digest {
	CONF_DIGEST_UNKNOWN = -1,
	CONF_DIGEST_NONE = 0,
	CONF_DIGEST_DAILY = 1,
	CONF_DIGEST_WEEKLY = 2,
	CONF_NDIGESTS
};
const char *conf_digest_name(int v);
int conf_digest_parse(const char *s);

/* yes/true/on/1 or no/false/off/0 (case-insensitive): 0, or -1 for
 * another word. */
int conf_parse_bool(const char *v, bool *out);

/* A rule value: exact (case-insensitive) text, or /pcre/flags. */
struct conf_pattern {
	char *text;	/* as written */
	pcre2_code *re; /* NULL for an exact match */
};

struct conf_header_cond {
	char *name; /* header field name */
	struct conf_pattern pat;
};

/* Where a survey field comes from: a literal, "header:NAME", or a named
 * group of one of the rule's patterns (the default for ticket/team/agent). */
struct conf_source {
	char *literal;	   /* NULL unless a literal */
	char *header_name; /* NULL unless header:NAME */
};

struct conf_rule {
	char *name;
	int line;		    /* where the section starts, for messages */
	struct conf_pattern sender; /* envelope MAIL FROM */
	struct conf_pattern from;   /* header From address */
	struct conf_pattern subject; /* decoded Subject */
	struct conf_header_cond *headers;
	size_t nheaders;
	struct conf_source ticket, team, agent;
	const struct scale *scale; /* NULL: general scale */
	char *language;		   /* NULL: team or general */
	bool reply_subjects;	   /* a Re:/Fwd: subject may be a closure */
};

struct conf_team {
	char *name;
	int line;
	char *display_name; /* shown to end users; default name */
	char **match;	    /* "@domain" or "address", lowercased */
	size_t nmatch;
	char *alert_to;
	char *language; /* NULL: general */
	char *alert_at_text;
	int alert_at; /* value on the team's scale; resolved after parse */
	const struct scale *scale; /* NULL: general */
	bool kudos;
	char *kudos_to;
	int digest;	  /* enum conf_digest */
	char *ticket_url; /* NULL: listener ticket_url */
	/* IT rates its customers (customer_rating.h) */
	bool rate_customer;
	char *customer_question[2];	    /* en, nl; NULL: the built-in one */
	const struct scale *customer_scale; /* NULL: thermometer */
	int customer_digest_at;		    /* minute of the local day */
};

struct conf {
	char *path;
	struct {
		char *base_url;
		char *secret_file;
		char *store;
		char *conninfo_file; /* PostgreSQL conninfo, kept apart
					(it may hold a password) */
		char *language;
		const struct scale *scale;
		char *scale_name;
		char *templates; /* directory with en/ nl/ */
		char *user;	 /* drop privileges to this user */
		int log_level;	 /* enum log_level */
		/* who may rate by a reply matched without its +TOKEN
		 * address: the requester or anyone of its domain */
		int reply_sender; /* enum conf_reply_sender */
		char *timezone;	  /* of the customer digests' days */
		struct tz tz;	  /* timezone, loaded */
	} general;
	struct {
		char *socket;
		int on_error; /* enum conf_on_error */
		uint64_t max_size;
		int64_t cooldown; /* seconds */
		int sample_rate;  /* percent */
		char *pid_file;
		char *socket_owner; /* user[:group] for a unix socket */
		int socket_mode;
		int64_t timeout;       /* libmilter timeout, seconds */
		int ticket_replies;    /* enum conf_ticket_replies */
		int ticket_reply_scan; /* enum conf_ticket_reply_scan */
		char *internal; /* addresses and @domains; NULL: derived */
	} milter;
	struct {
		char *http;
		char *lmtp;
		int lmtp_socket_mode;	 /* of a unix: LMTP socket */
		char *lmtp_socket_owner; /* user[:group], NULL: as created */
		char *reply_address;
		char *smtp_url;
		int smtp_tls; /* enum conf_smtp_tls */
		char *smtp_user;
		char *smtp_password_file;
		char *alert_from;
		char *ticket_url;
		char *pid_file;
		char *trusted_proxies;
		int64_t link_ttl;     /* seconds */
		int64_t burst_window; /* seconds */
		int64_t alert_delay;  /* seconds */
		int64_t http_timeout; /* seconds */
		int http_threads;
		int per_ip_limit;
		uint64_t max_request;	     /* bytes */
		uint64_t max_reply_size;     /* LMTP, bytes */
		char *metrics_allow;	     /* who may GET /metrics */
		uint64_t max_unmatched_size; /* body kept of an unmatched
						reply, bytes */
		int comment_max;	     /* characters */
		char *smtp_ca_file;	     /* NULL: the system's CAs */
		int64_t smtp_timeout;	     /* seconds per mail */
		int64_t outbox_lease;	     /* seconds a claim holds */
		int64_t outbox_backoff;	     /* first retry delay, seconds */
		int64_t outbox_retry_for;    /* seconds before FAILED */
		int64_t outbox_interval;     /* seconds between passes */
	} listener;
	/* [imap]: the poller for replies that land in a mailbox (imap.c) */
	struct {
		char *url; /* imaps://host[:port]/ or imap://; NULL: off */
		char *user;
		char *password_file;
		char *folder;	 /* polled; default INBOX */
		int64_t poll;	 /* seconds between polls (or IDLE rounds) */
		char *move_to;	 /* processed mail goes here (created) */
		bool tls_verify; /* check the server's certificate and name */
		char *ca_file;	 /* trust these CAs (PEM) instead of the
				  * system's: a private or self-signed cert */
		int64_t timeout; /* network timeout, seconds */
	} imap;
	struct conf_rule *rules;
	size_t nrules;
	struct conf_team *teams;
	size_t nteams;
	/* [campaign]: when rounds go out; [campaign NAME]: conf_campaign.h */
	struct {
		int schedule; /* enum conf_schedule */
	} campaign;
	struct conf_campaign *campaigns;
	size_t ncampaigns;
};

/* Parses path. On any error returns NULL and writes one or more lines of
 * the form "FILE:LINE: [section] key: reason" into err. */
struct conf *conf_load(const char *path, char *err, size_t errlen);
void conf_free(struct conf *c);

/* The config path every program uses: -c, else $MAILMOOD_CONFIG, else
 * SYSCONFDIR/mailmood/mailmood.conf. */
const char *conf_default_path(const char *opt);

/* Whether url's host is a name reserved for examples (RFC 2606: example,
 * example.com, .net, .org and their subdomains): a link there reaches
 * nobody, so check-config refuses it in base_url. */
bool conf_url_is_example(const char *url);

/* An IPv4 or IPv6 address with an optional /prefix ("10.0.0.0/8",
 * "::1"), as trusted_proxies and metrics_allow list them. 0 ok, -1 bad. */
struct conf_net {
	int family; /* AF_INET or AF_INET6 */
	unsigned char addr[16];
	int prefix;
};
int conf_net_parse(const char *s, struct conf_net *n);

/* "10M", "512k", "2G", "1048576" -> bytes. 0 ok, -1 bad. */
int conf_parse_size(const char *s, uint64_t *out);
/* "7d", "12h", "30m", "45s", "2w", "90" (seconds) -> seconds. */
int conf_parse_duration(const char *s, int64_t *out);

/* The team whose match list covers addr (lowercased), else NULL. */
const struct conf_team *conf_team_for_address(const struct conf *c,
					      const char *addr);
const struct conf_team *conf_team_by_name(const struct conf *c,
					  const char *name);
/* Effective settings for a team (team may be NULL). */
const struct scale *conf_team_scale(const struct conf *c,
				    const struct conf_team *t);
const char *conf_team_language(const struct conf *c, const struct conf_team *t);
/* The scale IT rates a team's customers on (thermometer unless set). */
const struct scale *conf_team_customer_scale(const struct conf_team *t);
/* The question above the customer rating links, in lang (en, nl). */
const char *conf_team_customer_question(const struct conf_team *t,
					const char *lang);
/* The scale a survey is rated on: scale_name (the survey's own, from its
 * rule) when it names one, else its team's; *team (may be NULL) gets the
 * team named team_name, NULL when the config knows none. */
const struct scale *conf_survey_scale(const struct conf *c,
				      const char *team_name,
				      const char *scale_name,
				      const struct conf_team **team);

#endif
