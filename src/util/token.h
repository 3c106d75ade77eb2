/* SPDX-License-Identifier: BSD-2-Clause */
/* Signed survey tokens, 39 characters:
 *   base64url(AES-128(id (8 bytes, big endian) || 8 zero bytes) || kid
 *             || first 12 bytes of HMAC-SHA256(key, label || block || kid))
 * kid is one byte derived from the key, the AES key is derived from the
 * key and the label by HMAC: a token shows neither the id nor how many
 * came before it, and names the key that signed it. Links mailed before
 * carry the old form, 27 characters:
 *   base64url(id || first 12 bytes of HMAC-SHA256(key, label || id))
 * and still verify. Nothing guessable, nothing forgeable; comparison in
 * constant time.
 *
 * The key file holds one key (raw bytes, as mailmoodctl keygen wrote it
 * before rotation existed) or several: a first line "mailmood-keys", then
 * one key per line in hex, '#' comments. The first key signs; every key
 * verifies, so links signed by a key stay valid while its line is there. */
#ifndef MM_TOKEN_H
#define MM_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#define TOKEN_KEY_MIN 32
#define TOKEN_KEY_MAX 256
#define TOKEN_LEN 39	/* characters, without NUL */
#define TOKEN_LEN_V1 27 /* the form before the id was encrypted */
#define TOKEN_BUFSZ (TOKEN_LEN + 1)
#define TOKEN_CSRF_LEN 22
#define TOKEN_KEYS_MAX 8 /* in one key file */
#define TOKEN_KEYS_MAGIC "mailmood-keys"

struct token_secret {
	unsigned char bytes[TOKEN_KEY_MAX];
	size_t len;
};

/* The key that signs (bytes, len), and the older ones that still verify. */
struct token_key {
	unsigned char bytes[TOKEN_KEY_MAX];
	size_t len;
	struct token_secret old[TOKEN_KEYS_MAX - 1];
	size_t nold;
};

/* 1 when len is the length of a token of either form. */
#define TOKEN_LEN_OK(len) ((len) == TOKEN_LEN || (len) == TOKEN_LEN_V1)

/* Loads the key file. Refuses (-1, err filled) a key shorter than
 * TOKEN_KEY_MIN bytes, a file readable/writable by group or other, or a
 * malformed key list. */
int token_key_load(const char *path, struct token_key *key, char *err,
		   size_t errlen);
/* Writes TOKEN_KEY_MIN random bytes to a new file with mode 0600; refuses
 * to overwrite. */
int token_key_generate(const char *path, char *err, size_t errlen);
/* Rotation: puts a new random key in front of the keys of path (a key
 * list from then on), the file replaced atomically, mode 0600. The old
 * keys keep verifying; at most TOKEN_KEYS_MAX. *count gets how many keys
 * the file holds now. */
int token_key_add(const char *path, size_t *count, char *err, size_t errlen);
/* The one-byte key id of the signing key (0-255), for messages. */
int token_key_id(const struct token_key *key);

/* out must hold TOKEN_BUFSZ bytes. 0 ok, -1 on a crypto failure. */
int token_make(const struct token_key *key, int64_t survey_id, char *out);
/* 0 and *survey_id on a valid token, -1 on anything else. */
int token_verify(const struct token_key *key, const char *token, size_t len,
		 int64_t *survey_id);
/* The same scheme for an outbox row id (the acknowledge link of a red
 * alert, BASE_URL/a/TOKEN), under its own HMAC label. */
int token_make_ack(const struct token_key *key, int64_t outbox_id, char *out);
int token_verify_ack(const struct token_key *key, const char *token, size_t len,
		     int64_t *outbox_id);
/* The same for a campaign recipient (BASE_URL/c/TOKEN/LEVEL, /u/TOKEN,
 * feedback+TOKEN@): its own label, so a campaign token never verifies as
 * a survey or acknowledge token, nor the other way round. */
int token_make_campaign(const struct token_key *key, int64_t recipient_id,
			char *out);
int token_verify_campaign(const struct token_key *key, const char *token,
			  size_t len, int64_t *recipient_id);
/* The same for IT's rating of a customer (BASE_URL/k/TOKEN/LEVEL in the
 * customer digest): a survey id under its own label, so a customer token
 * never passes as a survey token nor the other way round. */
int token_make_customer(const struct token_key *key, int64_t survey_id,
			char *out);
int token_verify_customer(const struct token_key *key, const char *token,
			  size_t len, int64_t *survey_id);
/* A per-page CSRF value bound to the token and a purpose ("rate", "ack");
 * out must hold TOKEN_CSRF_LEN + 1 bytes. */
int token_csrf(const struct token_key *key, const char *token,
	       const char *purpose, char *out);
int token_csrf_check(const struct token_key *key, const char *token,
		     const char *purpose, const char *csrf);

/* base64url without padding; helpers shared with other signed values. */
size_t token_b64url_encode(const unsigned char *in, size_t n, char *out);
/* -1 on a character outside the alphabet or a bad length. */
int token_b64url_decode(const char *in, size_t n, unsigned char *out,
			size_t *outlen);

#endif
