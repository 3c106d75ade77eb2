/* SPDX-License-Identifier: BSD-2-Clause */
/* One way to log for all three programs: syslog(LOG_MAIL) for daemons,
 * stderr in the foreground. Messages about a mail start with its MTA queue
 * id ("3F2A01234: survey 42 ..."), so admins can grep one mail's story. */
#ifndef MM_LOG_H
#define MM_LOG_H

#include <stdarg.h>
#include <stddef.h>

enum log_level { LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* ident: program name; to_stderr: foreground (no syslog). */
void log_init(const char *ident, int to_stderr);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);

void log_msg(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void log_vmsg(enum log_level level, const char *fmt, va_list ap);

/* Copies in to out (outlen bytes, always terminated), each control
 * character (C0, DEL, C1 in UTF-8) as \xHH; an escape that does not
 * fit is left out whole. Returns the length written. log_msg applies it
 * to every line. */
size_t log_escape(const char *in, char *out, size_t outlen);

#define log_error(...) log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

/* Queue-id-first form: qid may be NULL ("NOQUEUE" is printed then). */
#define log_qid(level, qid, fmt, ...)                                          \
	log_msg(level, "%s: " fmt, (qid) ? (qid) : "NOQUEUE", ##__VA_ARGS__)

#endif
