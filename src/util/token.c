/* SPDX-License-Identifier: BSD-2-Clause */
/* Signed survey and acknowledge tokens, and the key file (token.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "codec.h"
#include "token.h"

#define TOKEN_ID_LEN 8
#define TOKEN_MAC_LEN 12
#define TOKEN_RAW_LEN (TOKEN_ID_LEN + TOKEN_MAC_LEN)
#define TOKEN_BLOCK 16 /* AES */
#define TOKEN_RAW2_LEN (1 + TOKEN_BLOCK + TOKEN_MAC_LEN)

size_t token_b64url_encode(const unsigned char *in, size_t n, char *out)
{
	return codec_base64_raw(out, in, n, 1);
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

/* A key list: TOKEN_KEYS_MAGIC, then one hex key per line. */
static int keys_parse(const char *path, char *text, struct token_key *key,
		      char *err, size_t errlen)
{
	char *line = text, *next;
	size_t n = 0, lineno = 0;

	for (; line; line = next) {
		unsigned char *kb;
		size_t len, hex;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (++lineno == 1)
			continue; /* the magic line */
		len = strlen(line);
		while (len && (line[len - 1] == '\r' || line[len - 1] == ' ' ||
			       line[len - 1] == '\t'))
			line[--len] = '\0';
		while (*line == ' ' || *line == '\t')
			line++, len--;
		if (!*line || *line == '#')
			continue;
		hex = strspn(line, "0123456789abcdefABCDEF");
		if (hex != len || len % 2 || len / 2 < TOKEN_KEY_MIN ||
		    len / 2 > TOKEN_KEY_MAX) {
			snprintf(err, errlen,
				 "%s:%zu: not a key (%d to %d bytes in hex)",
				 path, lineno, TOKEN_KEY_MIN, TOKEN_KEY_MAX);
			return -1;
		}
		if (n == TOKEN_KEYS_MAX) {
			snprintf(err, errlen, "%s:%zu: more than %d keys", path,
				 lineno, TOKEN_KEYS_MAX);
			return -1;
		}
		kb = n == 0 ? key->bytes : key->old[n - 1].bytes;
		for (size_t i = 0; i < len / 2; i++) {
			unsigned v = 0;
			sscanf(line + 2 * i, "%2x", &v);
			kb[i] = (unsigned char)v;
		}
		if (n == 0)
			key->len = len / 2;
		else
			key->old[n - 1].len = len / 2;
		n++;
	}
	if (n == 0) {
		snprintf(err, errlen, "%s: no key in the key list", path);
		return -1;
	}
	key->nold = n - 1;
	return 0;
}

int token_key_load(const char *path, struct token_key *key, char *err,
		   size_t errlen)
{
	/* a list of TOKEN_KEYS_MAX keys in hex, comments included */
	char text[TOKEN_KEYS_MAX * (2 * TOKEN_KEY_MAX + 1) + 4096];
	struct stat st;
	ssize_t n = 0;
	size_t got = 0;
	int fd;

	memset(key, 0, sizeof(*key));
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
	while (got < sizeof(text) - 1 &&
	       (n = read(fd, text + got, sizeof(text) - 1 - got)) > 0)
		got += (size_t)n;
	if (got < sizeof(text) - 1 && n < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	text[got] = '\0';
	if (got > strlen(TOKEN_KEYS_MAGIC) &&
	    !memcmp(text, TOKEN_KEYS_MAGIC, strlen(TOKEN_KEYS_MAGIC)) &&
	    (text[strlen(TOKEN_KEYS_MAGIC)] == '\n' ||
	     text[strlen(TOKEN_KEYS_MAGIC)] == '\r')) {
		int rc = keys_parse(path, text, key, err, errlen);

		gnutls_memset(text, 0, sizeof(text));
		return rc;
	}
	/* one raw key, as keygen has always written */
	if (got < TOKEN_KEY_MIN) {
		snprintf(err, errlen,
			 "%s: key is %zu bytes, at least %d are needed "
			 "(mailmoodctl keygen)",
			 path, got, TOKEN_KEY_MIN);
		gnutls_memset(text, 0, sizeof(text));
		return -1;
	}
	key->len = got < TOKEN_KEY_MAX ? got : TOKEN_KEY_MAX;
	memcpy(key->bytes, text, key->len);
	gnutls_memset(text, 0, sizeof(text));
	return 0;
}

static void hex_put(FILE *fp, const unsigned char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(fp, "%02x", b[i]);
	fputc('\n', fp);
}

int token_key_add(const char *path, size_t *count, char *err, size_t errlen)
{
	struct token_key *old = calloc(1, sizeof(*old));
	unsigned char fresh[TOKEN_KEY_MIN];
	struct stat st;
	char tmp[4096];
	size_t n;
	FILE *fp = NULL;
	int fd = -1, rc = -1, created = 0;

	if (!old) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (token_key_load(path, old, err, errlen) < 0)
		goto out;
	if (stat(path, &st) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	n = 1 + old->nold;
	if (n + 1 > TOKEN_KEYS_MAX) {
		snprintf(err, errlen,
			 "%s: already %zu keys (at most %d): delete the last "
			 "line (the oldest key) first",
			 path, n, TOKEN_KEYS_MAX);
		goto out;
	}
	if (gnutls_rnd(GNUTLS_RND_KEY, fresh, sizeof(fresh)) < 0) {
		snprintf(err, errlen, "gnutls_rnd failed");
		goto out;
	}
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	created = fd >= 0;
	/* the daemons read it again on reload, as the owner of the old one */
	if (fd < 0 || fchmod(fd, 0600) < 0 ||
	    fchown(fd, st.st_uid, st.st_gid) < 0 || !(fp = fdopen(fd, "w"))) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	fprintf(fp, TOKEN_KEYS_MAGIC
		"\n"
		"# mailmood token keys, newest first: the first signs, every "
		"one verifies.\n"
		"# Delete the last line to retire the oldest key (its links "
		"stop working).\n");
	hex_put(fp, fresh, sizeof(fresh));
	hex_put(fp, old->bytes, old->len);
	for (size_t i = 0; i < old->nold; i++)
		hex_put(fp, old->old[i].bytes, old->old[i].len);
	if (fflush(fp) != 0 || fsync(fileno(fp)) < 0) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	if (fclose(fp) != 0) {
		fp = NULL;
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	fp = NULL;
	if (rename(tmp, path) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	*count = n + 1;
	rc = 0;
out:
	if (fp)
		fclose(fp);
	if (fd >= 0)
		close(fd);
	if (rc < 0 && created)
		unlink(tmp);
	gnutls_memset(fresh, 0, sizeof(fresh));
	gnutls_memset(old, 0, sizeof(*old));
	free(old);
	return rc;
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
static int token_mac(const unsigned char *k, size_t klen, const char *purpose,
		     const void *data, size_t len, unsigned char *mac)
{
	unsigned char msg[256];
	size_t plen = strlen(purpose);

	if (plen + 1 + len > sizeof(msg))
		return -1;
	memcpy(msg, purpose, plen);
	msg[plen] = 0;
	memcpy(msg + plen + 1, data, len);
	return gnutls_hmac_fast(GNUTLS_MAC_SHA256, k, klen, msg, plen + 1 + len,
				mac) < 0
		   ? -1
		   : 0;
}

/* The one-byte id of a key: tells the verifier which key to try. */
static int key_id(const unsigned char *k, size_t klen, unsigned char *id)
{
	static const char label[] = "mailmood-key-id";
	unsigned char mac[32];

	if (gnutls_hmac_fast(GNUTLS_MAC_SHA256, k, klen, label,
			     sizeof(label) - 1, mac) < 0)
		return -1;
	*id = mac[0];
	return 0;
}

int token_key_id(const struct token_key *key)
{
	unsigned char id;

	return key_id(key->bytes, key->len, &id) < 0 ? -1 : id;
}

/* One AES-128 block with a key derived from the secret and the label
 * (CBC with a zero IV over one block is the bare cipher). */
static int id_block(const unsigned char *k, size_t klen, const char *label,
		    const unsigned char *in, unsigned char *out, int decrypt)
{
	unsigned char derived[32], iv[TOKEN_BLOCK] = {0};
	char what[64];
	gnutls_datum_t kd = {derived, 16}, ivd = {iv, sizeof(iv)};
	gnutls_cipher_hd_t h;
	int rc;

	snprintf(what, sizeof(what), "mailmood-id-cipher-%s", label);
	if (gnutls_hmac_fast(GNUTLS_MAC_SHA256, k, klen, what, strlen(what),
			     derived) < 0)
		return -1;
	rc = gnutls_cipher_init(&h, GNUTLS_CIPHER_AES_128_CBC, &kd, &ivd);
	gnutls_memset(derived, 0, sizeof(derived));
	if (rc < 0)
		return -1;
	rc = decrypt
		 ? gnutls_cipher_decrypt2(h, in, TOKEN_BLOCK, out, TOKEN_BLOCK)
		 : gnutls_cipher_encrypt2(h, in, TOKEN_BLOCK, out, TOKEN_BLOCK);
	gnutls_cipher_deinit(h);
	return rc < 0 ? -1 : 0;
}

/* The MAC of a new token covers the cipher block and the key id, under
 * its own label: an old-form MAC never passes as a new one. */
static int mac_v2(const unsigned char *k, size_t klen, const char *label,
		  const unsigned char *block_kid, unsigned char *mac)
{
	char l2[64];

	snprintf(l2, sizeof(l2), "%s-2", label);
	return token_mac(k, klen, l2, block_kid, TOKEN_BLOCK + 1, mac);
}

static int token_make_label(const struct token_key *key, const char *label,
			    int64_t id, char *out)
{
	unsigned char plain[TOKEN_BLOCK] = {0}, raw[TOKEN_RAW2_LEN], mac[32];
	uint64_t v = (uint64_t)id;

	for (int i = TOKEN_ID_LEN - 1; i >= 0; i--, v >>= 8)
		plain[i] = (unsigned char)v;
	if (id_block(key->bytes, key->len, label, plain, raw, 0) < 0 ||
	    key_id(key->bytes, key->len, &raw[TOKEN_BLOCK]) < 0 ||
	    mac_v2(key->bytes, key->len, label, raw, mac) < 0)
		return -1;
	memcpy(raw + TOKEN_BLOCK + 1, mac, TOKEN_MAC_LEN);
	token_b64url_encode(raw, TOKEN_RAW2_LEN, out);
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

/* The old form, under one key. */
static int verify_v1(const unsigned char *k, size_t klen, const char *label,
		     const unsigned char *raw, uint64_t *id)
{
	unsigned char mac[32];
	uint64_t v = 0;

	if (token_mac(k, klen, label, raw, TOKEN_ID_LEN, mac) < 0 ||
	    !const_time_eq(mac, raw + TOKEN_ID_LEN, TOKEN_MAC_LEN))
		return -1;
	for (int i = 0; i < TOKEN_ID_LEN; i++)
		v = v << 8 | raw[i];
	*id = v;
	return 0;
}

/* The new form, under one key. */
static int verify_v2(const unsigned char *k, size_t klen, const char *label,
		     const unsigned char *raw, uint64_t *id)
{
	unsigned char kid, mac[32], plain[TOKEN_BLOCK];
	unsigned char pad = 0;
	uint64_t v = 0;

	if (key_id(k, klen, &kid) < 0 || kid != raw[TOKEN_BLOCK] ||
	    mac_v2(k, klen, label, raw, mac) < 0 ||
	    !const_time_eq(mac, raw + TOKEN_BLOCK + 1, TOKEN_MAC_LEN) ||
	    id_block(k, klen, label, raw, plain, 1) < 0)
		return -1;
	for (int i = TOKEN_ID_LEN; i < TOKEN_BLOCK; i++)
		pad |= plain[i];
	if (pad)
		return -1;
	for (int i = 0; i < TOKEN_ID_LEN; i++)
		v = v << 8 | plain[i];
	*id = v;
	return 0;
}

static int token_verify_label(const struct token_key *key, const char *label,
			      const char *token, size_t len, int64_t *survey_id)
{
	unsigned char raw[TOKEN_RAW2_LEN + 3];
	size_t n;
	uint64_t v = 0;
	int ok = 0;

	if (!TOKEN_LEN_OK(len) || token_b64url_decode(token, len, raw, &n) < 0)
		return -1;
	for (size_t i = 0; !ok && i <= key->nold; i++) {
		const unsigned char *k = i ? key->old[i - 1].bytes : key->bytes;
		size_t klen = i ? key->old[i - 1].len : key->len;

		if (n == TOKEN_RAW_LEN)
			ok = verify_v1(k, klen, label, raw, &v) == 0;
		else if (n == TOKEN_RAW2_LEN)
			ok = verify_v2(k, klen, label, raw, &v) == 0;
	}
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

int token_make_campaign(const struct token_key *key, int64_t recipient_id,
			char *out)
{
	return token_make_label(key, "mailmood-campaign", recipient_id, out);
}

int token_verify_campaign(const struct token_key *key, const char *token,
			  size_t len, int64_t *recipient_id)
{
	return token_verify_label(key, "mailmood-campaign", token, len,
				  recipient_id);
}

int token_make_customer(const struct token_key *key, int64_t survey_id,
			char *out)
{
	return token_make_label(key, "mailmood-customer", survey_id, out);
}

int token_verify_customer(const struct token_key *key, const char *token,
			  size_t len, int64_t *survey_id)
{
	return token_verify_label(key, "mailmood-customer", token, len,
				  survey_id);
}

static int csrf_one(const unsigned char *k, size_t klen, const char *token,
		    const char *purpose, char *out)
{
	unsigned char mac[32];
	char label[64];

	snprintf(label, sizeof(label), "mailmood-csrf-%s", purpose);
	if (token_mac(k, klen, label, token, strlen(token), mac) < 0)
		return -1;
	/* 16 bytes -> 22 characters */
	token_b64url_encode(mac, 16, out);
	return 0;
}

int token_csrf(const struct token_key *key, const char *token,
	       const char *purpose, char *out)
{
	return csrf_one(key->bytes, key->len, token, purpose, out);
}

/* Every key of the file: a page shown just before a key rotation can
 * still be sent. */
int token_csrf_check(const struct token_key *key, const char *token,
		     const char *purpose, const char *csrf)
{
	char want[TOKEN_CSRF_LEN + 1];

	if (!csrf || strlen(csrf) != TOKEN_CSRF_LEN)
		return -1;
	for (size_t i = 0; i <= key->nold; i++) {
		const unsigned char *k = i ? key->old[i - 1].bytes : key->bytes;
		size_t klen = i ? key->old[i - 1].len : key->len;

		if (csrf_one(k, klen, token, purpose, want) == 0 &&
		    const_time_eq((const unsigned char *)want,
				  (const unsigned char *)csrf, TOKEN_CSRF_LEN))
			return 0;
	}
	return -1;
}
