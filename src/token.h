/* Signed survey tokens: TOKEN = base64url(survey id (8 bytes, big endian) ||
 * first 12 bytes of HMAC-SHA256(key, "mailmood-survey" || id)), 27 chars.
 * Nothing guessable, nothing forgeable; comparison in constant time. */
#ifndef MM_TOKEN_H
#define MM_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#define TOKEN_KEY_MIN 32
#define TOKEN_KEY_MAX 256
#define TOKEN_LEN 27 /* characters, without NUL */
#define TOKEN_BUFSZ (TOKEN_LEN + 1)
#define TOKEN_CSRF_LEN 22

struct token_key {
	unsigned char bytes[TOKEN_KEY_MAX];
	size_t len;
};

/* Loads the key file. Refuses (-1, err filled) a file shorter than
 * TOKEN_KEY_MIN bytes, or readable/writable by group or other. */
int token_key_load(const char *path, struct token_key *key, char *err,
		   size_t errlen);
/* Writes TOKEN_KEY_MIN random bytes to a new file with mode 0600; refuses
 * to overwrite. */
int token_key_generate(const char *path, char *err, size_t errlen);

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
