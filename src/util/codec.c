/* SPDX-License-Identifier: BSD-2-Clause */
/* Transfer encodings (base64, quoted-printable), charsets and UTF-8 (codec.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* strcasestr; config.h defines it in the build */
#endif
#include <errno.h>
#include <iconv.h>
#include <string.h>
#include <strings.h>

#include "codec.h"

static const char codec_b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int codec_b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

void codec_base64_decode(struct buf *out, const char *in, size_t len)
{
	unsigned acc = 0;
	int bits = 0;

	if (buf_reserve(out, len / 4 * 3 + 3) < 0)
		return;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		int v;

		/* '=' ends the data; what follows is padding or junk that
		 * decoders in mail clients ignore too. */
		if (c == '=')
			break;
		v = codec_b64_value(c);
		if (v < 0)
			continue;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf_putc(out, (char)((acc >> bits) & 0xff));
		}
	}
}

size_t codec_base64_raw(char *out, const void *in, size_t len, int url)
{
	static const char urlsafe[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				      "abcdefghijklmnopqrstuvwxyz0123456789-_";
	const char *al = url ? urlsafe : codec_b64;
	const unsigned char *p = in;
	size_t o = 0;

	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)p[i] << 16;
		size_t n = len - i < 3 ? len - i : 3;

		if (n > 1)
			v |= (unsigned)p[i + 1] << 8;
		if (n > 2)
			v |= p[i + 2];
		out[o++] = al[(v >> 18) & 63];
		out[o++] = al[(v >> 12) & 63];
		if (n > 1)
			out[o++] = al[(v >> 6) & 63];
		else if (!url)
			out[o++] = '=';
		if (n > 2)
			out[o++] = al[v & 63];
		else if (!url)
			out[o++] = '=';
	}
	out[o] = '\0';
	return o;
}

/* Lines of 76 characters: 57 input bytes each. */
#define CODEC_B64_LINE 57

void codec_base64_encode(struct buf *out, const char *in, size_t len)
{
	char line[CODEC_B64_LINE / 3 * 4 + 1];

	if (buf_reserve(out, (len + 2) / 3 * 4 + (len / 57 + 1) * 2) < 0)
		return;
	for (size_t i = 0; i < len; i += CODEC_B64_LINE) {
		size_t n = len - i < CODEC_B64_LINE ? len - i : CODEC_B64_LINE;

		buf_append(out, line, codec_base64_raw(line, in + i, n, 0));
		buf_append(out, "\r\n", 2);
	}
}

static int codec_hex(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

void codec_qp_decode(struct buf *out, const char *in, size_t len)
{
	size_t i = 0;

	if (buf_reserve(out, len) < 0)
		return;
	while (i < len) {
		unsigned char c = (unsigned char)in[i];
		size_t j;

		if (c != '=') {
			buf_putc(out, (char)c);
			i++;
			continue;
		}
		/* Soft line break: '=' then optional whitespace, then EOL. */
		j = i + 1;
		while (j < len && (in[j] == ' ' || in[j] == '\t'))
			j++;
		if (j < len && in[j] == '\n') {
			i = j + 1;
			continue;
		}
		if (j + 1 < len && in[j] == '\r' && in[j + 1] == '\n') {
			i = j + 2;
			continue;
		}
		if (j == len) {
			i = len;
			continue;
		}
		if (i + 2 < len && codec_hex((unsigned char)in[i + 1]) >= 0 &&
		    codec_hex((unsigned char)in[i + 2]) >= 0) {
			buf_putc(
			    out,
			    (char)(codec_hex((unsigned char)in[i + 1]) * 16 +
				   codec_hex((unsigned char)in[i + 2])));
			i += 3;
			continue;
		}
		/* RFC 2045 6.7 note (2): keep a malformed '=' as is. */
		buf_putc(out, '=');
		i++;
	}
}

/* Emits one QP token, breaking the line first (soft break) when the token
 * would take the line past 75 octets plus the '='. */
static void codec_qp_put(struct buf *out, size_t *col, const char *tok,
			 size_t n)
{
	if (*col + n > 75) {
		buf_append(out, "=\r\n", 3);
		*col = 0;
	}
	buf_append(out, tok, n);
	*col += n;
}

void codec_qp_encode(struct buf *out, const char *in, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t col = 0;

	if (buf_reserve(out, len + len / 8 + 8) < 0)
		return;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		char tok[3];
		int at_eol;

		if (c == '\n' ||
		    (c == '\r' && i + 1 < len && in[i + 1] == '\n')) {
			if (c == '\r')
				i++;
			buf_append(out, "\r\n", 2);
			col = 0;
			continue;
		}
		at_eol =
		    i + 1 == len || in[i + 1] == '\n' ||
		    (in[i + 1] == '\r' && i + 2 < len && in[i + 2] == '\n');
		/* Trailing whitespace would be stripped in transit (RFC 2045
		 * rule 3); a leading "From " or "." line can be mangled by
		 * mbox writers and SMTP. */
		if ((c >= 33 && c <= 126 && c != '=' &&
		     !(c == '.' && col == 0 && at_eol) &&
		     !(c == 'F' && col == 0 && len - i >= 5 &&
		       memcmp(in + i, "From ", 5) == 0)) ||
		    ((c == ' ' || c == '\t') && !at_eol)) {
			tok[0] = (char)c;
			codec_qp_put(out, &col, tok, 1);
		} else {
			tok[0] = '=';
			tok[1] = hex[c >> 4];
			tok[2] = hex[c & 15];
			codec_qp_put(out, &col, tok, 3);
		}
	}
}

void codec_crlf(struct buf *out, const char *in, size_t len)
{
	size_t start = 0;

	if (buf_reserve(out, len + len / 32 + 2) < 0)
		return;
	for (size_t i = 0; i < len; i++) {
		if (in[i] != '\n' || (i > 0 && in[i - 1] == '\r'))
			continue;
		buf_append(out, in + start, i - start);
		buf_append(out, "\r\n", 2);
		start = i + 1;
	}
	buf_append(out, in + start, len - start);
}

size_t codec_max_line(const char *in, size_t len)
{
	size_t max = 0, start = 0;
	const char *nl;

	while (start < len) {
		size_t n;

		nl = memchr(in + start, '\n', len - start);
		n = (nl ? (size_t)(nl - in) : len) - start;
		if (n > 0 && nl && in[start + n - 1] == '\r')
			n--;
		if (n > max)
			max = n;
		if (!nl)
			break;
		start = (size_t)(nl - in) + 1;
	}
	return max;
}

int codec_has_8bit(const char *in, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)in[i] >= 0x80)
			return 1;
	return 0;
}

size_t codec_utf8_next(const void *s, size_t len, uint32_t *cp)
{
	const unsigned char *p = s;
	uint32_t c = p[0], v;
	size_t n;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		v = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		v = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		v = c & 0x07;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (p[i] & 0x3f);
	}
	if ((n == 3 && (v < 0x800 || (v >= 0xd800 && v <= 0xdfff))) ||
	    (n == 4 && (v < 0x10000 || v > 0x10ffff)))
		return 0;
	*cp = v;
	return n;
}

int codec_utf8_valid(const char *in, size_t len)
{
	size_t i = 0;
	uint32_t cp;

	while (i < len) {
		size_t n = codec_utf8_next(in + i, len - i, &cp);

		if (!n)
			return 0;
		i += n;
	}
	return 1;
}

void codec_utf8_clean(struct buf *out, const char *in, size_t len)
{
	size_t i = 0, n;
	uint32_t cp;

	while (i < len) {
		if ((n = codec_utf8_next(in + i, len - i, &cp)) == 0) {
			buf_append(out, CODEC_REPLACEMENT, 3);
			i++;
		} else {
			buf_append(out, in + i, n);
			i += n;
		}
	}
}

void codec_utf8_truncate(char *s, int max)
{
	int n = 0;

	for (char *p = s; *p; p++) {
		/* a character starts at every byte that is not 10xxxxxx */
		if (((unsigned char)*p & 0xC0) != 0x80) {
			if (n == max) {
				*p = '\0';
				return;
			}
			n++;
		}
	}
}

size_t codec_utf8_cut(const char *s, size_t len, size_t max)
{
	size_t n;

	if (len <= max)
		return len;
	n = max;
	/* back up to the start of the character that straddles the cut */
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return n;
}

int codec_charset_ok(const char *cs)
{
	size_t n = strlen(cs);

	if (n == 0 || n > 40)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)cs[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || strchr("-_.:+", c)))
			return 0;
	}
	return 1;
}

int codec_charset_is_utf8(const char *cs)
{
	return strcasecmp(cs, "utf-8") == 0 || strcasecmp(cs, "utf8") == 0;
}

int codec_charset_known(const char *cs)
{
	iconv_t cd;

	if (!codec_charset_ok(cs))
		return 0;
	if (codec_charset_is_utf8(cs))
		return 1;
	cd = iconv_open(cs, "UTF-8");
	if (cd == (iconv_t)-1)
		return 0;
	iconv_close(cd);
	cd = iconv_open("UTF-8", cs);
	if (cd == (iconv_t)-1)
		return 0;
	iconv_close(cd);
	return 1;
}

int codec_charset_ascii_compatible(const char *cs)
{
	static const char probe[] = "az AZ09\r\n<>[]-!/=";
	struct buf b;
	int ok;

	if (codec_charset_is_utf8(cs))
		return 1;
	/* Stateful encodings can map ASCII bytes to other characters after
	 * a shift sequence, so the probe alone cannot clear them. */
	if (strcasestr(cs, "2022") || strcasestr(cs, "utf-7") ||
	    strcasestr(cs, "utf7") || strncasecmp(cs, "hz", 2) == 0)
		return 0;
	buf_init(&b);
	ok = codec_convert(&b, cs, "UTF-8", probe, sizeof(probe) - 1) == 0 &&
	     !b.failed && b.len == sizeof(probe) - 1 &&
	     memcmp(b.data, probe, b.len) == 0;
	buf_free(&b);
	return ok;
}

/* Ends a stateful encoding in its initial shift state (ISO-2022-JP's
 * ESC ( B), so text appended later reads as ASCII. */
static void codec_iconv_flush(struct buf *out, iconv_t cd)
{
	char *op;
	size_t room;

	if (buf_reserve(out, 16) < 0)
		return;
	op = out->data + out->len;
	room = out->cap - out->len - 1;
	iconv(cd, NULL, NULL, &op, &room);
	out->len = (size_t)(op - out->data);
	out->data[out->len] = '\0';
}

int codec_convert(struct buf *out, const char *to, const char *from,
		  const char *in, size_t len)
{
	iconv_t cd;
	char *ip = (char *)in;
	size_t left = len;
	int rc = 0;

	if (!codec_charset_ok(to) || !codec_charset_ok(from))
		return -2;
	cd = iconv_open(to, from);
	if (cd == (iconv_t)-1)
		return -2;
	while (left) {
		char *op;
		size_t room, r;

		if (buf_reserve(out, left * 4 + 16) < 0)
			break;
		op = out->data + out->len;
		room = out->cap - out->len - 1;
		r = iconv(cd, &ip, &left, &op, &room);
		out->len = (size_t)(op - out->data);
		out->data[out->len] = '\0';
		if (r == (size_t)-1 && errno != E2BIG) {
			rc = -1;
			break;
		}
	}
	if (rc == 0)
		codec_iconv_flush(out, cd);
	iconv_close(cd);
	return rc;
}

int codec_convert_html(struct buf *out, const char *to, const char *in,
		       size_t len)
{
	iconv_t cd;
	char *ip = (char *)in;
	size_t left = len;

	if (codec_charset_is_utf8(to)) {
		buf_append(out, in, len);
		return 0;
	}
	if (!codec_charset_ok(to))
		return -2;
	cd = iconv_open(to, "UTF-8");
	if (cd == (iconv_t)-1)
		return -2;
	while (left) {
		char *op;
		size_t room, r, n;
		uint32_t cp;

		if (buf_reserve(out, left * 4 + 16) < 0)
			break;
		op = out->data + out->len;
		room = out->cap - out->len - 1;
		r = iconv(cd, &ip, &left, &op, &room);
		out->len = (size_t)(op - out->data);
		out->data[out->len] = '\0';
		if (r != (size_t)-1 || errno == E2BIG)
			continue;
		n = codec_utf8_next(ip, left, &cp);
		if (!n) {
			/* Invalid UTF-8 in our own block: show U+FFFD. */
			cp = 0xfffd;
			n = 1;
		}
		buf_printf(out, "&#x%X;", (unsigned)cp);
		ip += n;
		left -= n;
	}
	codec_iconv_flush(out, cd);
	iconv_close(cd);
	return 0;
}
