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

void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	static const int prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
	static const char *const tag[] = {"error: ", "warning: ", "",
					  "debug: "};
	char line[2048];

	if (level > log_threshold)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	/* A value from a mail must never forge a second log line. */
	for (char *p = line; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
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
