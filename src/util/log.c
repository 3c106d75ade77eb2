/* SPDX-License-Identifier: BSD-2-Clause */
/* The one logging helper: syslog LOG_MAIL, or stderr in the foreground (log.h).
 */
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <pthread.h>

#include "log.h"

static int log_to_stderr = 1;
static enum log_level log_threshold = LOG_LVL_INFO;
static char log_ident[64] = "mailmood";
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

void log_init(const char *ident, int to_stderr)
{
	snprintf(log_ident, sizeof(log_ident), "%s", ident);
	log_to_stderr = to_stderr;
	if (!to_stderr)
		openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

void log_set_level(enum log_level level)
{
	log_threshold = level;
}

enum log_level log_get_level(void)
{
	return log_threshold;
}

size_t log_escape(const char *in, char *out, size_t outlen)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)in;
	size_t o = 0;

	if (!outlen)
		return 0;
	for (; *p; p++) {
		unsigned c = *p;
		/* C0 controls, DEL, and the C1 controls in UTF-8 (U+0080 to
		 * U+009F: a terminal may obey them too) */
		int c1 = c == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f;

		if (c < 0x20 || c == 0x7f || c1) {
			if (c1)
				c = *++p;
			if (o + 4 >= outlen)
				break;
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		} else {
			if (o + 1 >= outlen)
				break;
			out[o++] = (char)c;
		}
	}
	out[o] = '\0';
	return o;
}

void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	static const int prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
	static const char *const tag[] = {"error: ", "warning: ", "",
					  "debug: "};
	char raw[2048], line[2048];

	if (level > log_threshold)
		return;
	vsnprintf(raw, sizeof(raw), fmt, ap);
	/* A value from a mail or a login form must never forge a second
	 * log line nor reach an admin's terminal as an escape sequence. */
	log_escape(raw, line, sizeof(line));
	if (!log_to_stderr) {
		syslog(prio[level], "%s%s", tag[level], line);
		return;
	}
	pthread_mutex_lock(&log_lock);
	fprintf(stderr, "%s: %s%s\n", log_ident, tag[level], line);
	pthread_mutex_unlock(&log_lock);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}
