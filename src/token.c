#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "token.h"

#define TOKEN_ID_LEN 8
#define TOKEN_MAC_LEN 12
#define TOKEN_RAW_LEN (TOKEN_ID_LEN + TOKEN_MAC_LEN)

static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t token_b64url_encode(const unsigned char *in, size_t n, char *out)
{
	size_t o = 0, i;

	for (i = 0; i + 2 < n; i += 3) {
		unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 |
			     in[i + 2];
		out[o++] = b64url[v >> 18 & 63];
		out[o++] = b64url[v >> 12 & 63];
		out[o++] = b64url[v >> 6 & 63];
		out[o++] = b64url[v & 63];
	}
	if (n - i == 1) {
		unsigned v = (unsigned)in[i] << 16;
		out[o++] = b64url[v >> 18 & 63];
		out[o++] = b64url[v >> 12 & 63];
	} else if (n - i == 2) {
		unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8;
		out[o++] = b64url[v >> 18 & 63];
		out[o++] = b64url[v >> 12 & 63];
		out[o++] = b64url[v >> 6 & 63];
	}
	out[o] = '\0';
	return o;
}

static int b64url_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

int token_b64url_decode(const char *in, size_t n, unsigned char *out,
			size_t *outlen)
{
	size_t o = 0;
	unsigned acc = 0;
	int bits = 0;

	if (n % 4 == 1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int v = b64url_value((unsigned char)in[i]);
		if (v < 0)
			return -1;
		acc = (acc << 6 | (unsigned)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	/* Leftover bits must be zero, or two strings would decode alike. */
	if (bits && (acc & ((1u << bits) - 1)))
		return -1;
	*outlen = o;
	return 0;
}

int token_key_load(const char *path, struct token_key *key, char *err,
		   size_t errlen)
{
	struct stat st;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		close(fd);
		return -1;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		snprintf(err, errlen,
			 "%s: key file is accessible by group or other "
			 "(mode %04o); chmod 600 it",
			 path, (unsigned)(st.st_mode & 07777));
		close(fd);
		return -1;
	}
	n = read(fd, key->bytes, sizeof(key->bytes));
	close(fd);
	if (n < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (n < TOKEN_KEY_MIN) {
		snprintf(err, errlen,
			 "%s: key is %zd bytes, at least %d are needed "
			 "(mailmoodctl keygen)",
			 path, n, TOKEN_KEY_MIN);
		return -1;
	}
	key->len = (size_t)n;
	return 0;
}

int token_key_generate(const char *path, char *err, size_t errlen)
{
	unsigned char bytes[TOKEN_KEY_MIN];
	int fd;

	if (gnutls_rnd(GNUTLS_RND_KEY, bytes, sizeof(bytes)) < 0) {
		snprintf(err, errlen, "gnutls_rnd failed");
		return -1;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		gnutls_memset(bytes, 0, sizeof(bytes));
		return -1;
	}
	if (fchmod(fd, 0600) < 0 ||
	    write(fd, bytes, sizeof(bytes)) != (ssize_t)sizeof(bytes) ||
	    fsync(fd) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		gnutls_memset(bytes, 0, sizeof(bytes));
		return -1;
	}
	gnutls_memset(bytes, 0, sizeof(bytes));
	return close(fd) < 0 ? -1 : 0;
}

/* HMAC over a purpose label and the data, so a MAC made for one use can
 * never be replayed as another. */
static int token_mac(const struct token_key *key, const char *purpose,
		     const void *data, size_t len, unsigned char *mac)
{
	unsigned char msg[256];
	size_t plen = strlen(purpose);

	if (plen + 1 + len > sizeof(msg))
		return -1;
	memcpy(msg, purpose, plen);
	msg[plen] = 0;
	memcpy(msg + plen + 1, data, len);
	return gnutls_hmac_fast(GNUTLS_MAC_SHA256, key->bytes, key->len, msg,
				plen + 1 + len, mac) < 0
		   ? -1
		   : 0;
}

static int token_make_label(const struct token_key *key, const char *label,
			    int64_t id, char *out)
{
	unsigned char raw[TOKEN_RAW_LEN], mac[32];
	uint64_t v = (uint64_t)id;

	for (int i = TOKEN_ID_LEN - 1; i >= 0; i--, v >>= 8)
		raw[i] = (unsigned char)v;
	if (token_mac(key, label, raw, TOKEN_ID_LEN, mac) < 0)
		return -1;
	memcpy(raw + TOKEN_ID_LEN, mac, TOKEN_MAC_LEN);
	token_b64url_encode(raw, TOKEN_RAW_LEN, out);
	return 0;
}

int token_make(const struct token_key *key, int64_t survey_id, char *out)
{
	return token_make_label(key, "mailmood-survey", survey_id, out);
}

static int const_time_eq(const unsigned char *a, const unsigned char *b,
			 size_t n)
{
	unsigned char d = 0;

	for (size_t i = 0; i < n; i++)
		d |= a[i] ^ b[i];
	return d == 0;
}

static int token_verify_label(const struct token_key *key, const char *label,
			      const char *token, size_t len, int64_t *survey_id)
{
	unsigned char raw[TOKEN_RAW_LEN + 3], mac[32];
	size_t n;
	uint64_t v = 0;
	int ok;

	if (len != TOKEN_LEN || token_b64url_decode(token, len, raw, &n) < 0 ||
	    n != TOKEN_RAW_LEN)
		return -1;
	if (token_mac(key, label, raw, TOKEN_ID_LEN, mac) < 0)
		return -1;
	ok = const_time_eq(mac, raw + TOKEN_ID_LEN, TOKEN_MAC_LEN);
	for (int i = 0; i < TOKEN_ID_LEN; i++)
		v = v << 8 | raw[i];
	if (!ok || v == 0 || v > INT64_MAX)
		return -1;
	*survey_id = (int64_t)v;
	return 0;
}

int token_verify(const struct token_key *key, const char *token, size_t len,
		 int64_t *survey_id)
{
	return token_verify_label(key, "mailmood-survey", token, len,
				  survey_id);
}

/* Acknowledge links name an outbox row; their own label keeps a survey
 * token from ever passing as an ack token and back. */
int token_make_ack(const struct token_key *key, int64_t outbox_id, char *out)
{
	return token_make_label(key, "mailmood-ack", outbox_id, out);
}

int token_verify_ack(const struct token_key *key, const char *token, size_t len,
		     int64_t *outbox_id)
{
	return token_verify_label(key, "mailmood-ack", token, len, outbox_id);
}

int token_csrf(const struct token_key *key, const char *token,
	       const char *purpose, char *out)
{
	unsigned char mac[32];
	char label[64];

	snprintf(label, sizeof(label), "mailmood-csrf-%s", purpose);
	if (token_mac(key, label, token, strlen(token), mac) < 0)
		return -1;
	/* 16 bytes -> 22 characters */
	token_b64url_encode(mac, 16, out);
	return 0;
}

int token_csrf_check(const struct token_key *key, const char *token,
		     const char *purpose, const char *csrf)
{
	char want[TOKEN_CSRF_LEN + 1];

	if (!csrf || strlen(csrf) != TOKEN_CSRF_LEN ||
	    token_csrf(key, token, purpose, want) < 0)
		return -1;
	return const_time_eq((const unsigned char *)want,
			     (const unsigned char *)csrf, TOKEN_CSRF_LEN)
		   ? 0
		   : -1;
}
