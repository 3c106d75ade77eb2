/* SPDX-License-Identifier: BSD-2-Clause */
/* A growable byte buffer, always NUL-terminated, for building bodies,
 * pages and SQL-free strings. Allocation failure is sticky: buf->failed is
 * set and later appends do nothing, so callers check once at the end. */
#ifndef MM_BUF_H
#define MM_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data;
	size_t len;
	size_t cap;
	int failed;
};

void buf_init(struct buf *b);
void buf_free(struct buf *b);
void buf_reset(struct buf *b);
int buf_reserve(struct buf *b, size_t extra);
void buf_append(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* HTML-escapes & < > " ' . */
void buf_put_html(struct buf *b, const char *s, size_t n);
/* Hands the data to the caller (caller frees); b is empty afterwards. */
char *buf_steal(struct buf *b, size_t *len);

#endif
