/* SPDX-License-Identifier: BSD-2-Clause */
/* Content-transfer-encodings (RFC 2045: base64, quoted-printable) and
 * charset conversion through libc iconv, for the MIME splice. Pure
 * functions over byte ranges; output goes to a struct buf, whose sticky
 * failure flag is the out-of-memory signal. */
#ifndef MM_CODEC_H
#define MM_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Lenient decoders: bytes outside the alphabet are skipped (base64) or
 * kept literally (a stray '=' in QP), as mail clients do. */
void codec_base64_decode(struct buf *out, const char *in, size_t len);
void codec_qp_decode(struct buf *out, const char *in, size_t len);

/* Encoders emit CRLF line ends and lines of at most 76 octets. An LF (or
 * CRLF) in QP input is a hard line break. */
void codec_base64_encode(struct buf *out, const char *in, size_t len);
/* The one base64 encoder: len bytes into out as one line, NUL-terminated
 * (out holds (len + 2) / 3 * 4 + 1 bytes); url: the base64url alphabet
 * (RFC 4648 section 5) without padding. Returns the characters written. */
size_t codec_base64_raw(char *out, const void *in, size_t len, int url);
void codec_qp_encode(struct buf *out, const char *in, size_t len);

/* Copies text, turning bare LF into CRLF (for 7bit/8bit output). */
void codec_crlf(struct buf *out, const char *in, size_t len);

/* Longest line in octets, not counting the line end. */
size_t codec_max_line(const char *in, size_t len);
int codec_has_8bit(const char *in, size_t len);
/* The one UTF-8 decoder: the length (1-4) of the sequence at s (at most
 * len bytes) and its code point in *cp; 0 when the bytes there are not one
 * (stray continuation, overlong form, surrogate, past U+10FFFF,
 * truncated). */
size_t codec_utf8_next(const void *s, size_t len, uint32_t *cp);
int codec_utf8_valid(const char *in, size_t len);
/* U+FFFD, what an invalid byte becomes wherever text is cleaned. */
#define CODEC_REPLACEMENT "\xEF\xBF\xBD"
/* Appends in with each byte that starts no valid sequence replaced by
 * U+FFFD. */
void codec_utf8_clean(struct buf *out, const char *in, size_t len);
/* Cuts s (UTF-8) after max characters, on a character boundary. */
void codec_utf8_truncate(char *s, int max);
/* The length of the longest prefix of s (len bytes) that is at most max
 * bytes and does not end inside a UTF-8 sequence. */
size_t codec_utf8_cut(const char *s, size_t len, size_t max);

/* Charset names that are safe to hand to iconv_open: a MIME token of
 * letters, digits and "-_.:+", at most 40 octets. Rejects '/' so that a
 * hostile charset cannot ask glibc for //TRANSLIT or //IGNORE. */
int codec_charset_ok(const char *cs);
int codec_charset_is_utf8(const char *cs);
/* iconv knows it in both directions. */
int codec_charset_known(const char *cs);
/* ASCII bytes mean ASCII characters and there is no shift state, so a
 * marker, "</body>" or an appended block can be found and placed in the raw
 * bytes (ISO-8859-x, windows-125x, UTF-8, GB18030, Shift_JIS ...). False
 * for UTF-16/32, UTF-7, ISO-2022-* and HZ. */
int codec_charset_ascii_compatible(const char *cs);

/* Converts all of in from charset "from" to "to". Returns 0, -1 when a
 * character cannot be converted (or the input is invalid), -2 when iconv
 * does not know a charset. Out of memory shows in out->failed. */
int codec_convert(struct buf *out, const char *to, const char *from,
		  const char *in, size_t len);

/* UTF-8 to charset for HTML: a character the charset lacks becomes a
 * numeric character reference (&#x1F600;), which every HTML reader maps
 * back whatever the part's charset. Returns 0 or -2 (unknown charset). */
int codec_convert_html(struct buf *out, const char *to, const char *in,
		       size_t len);

#endif
