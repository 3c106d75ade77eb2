/* SPDX-License-Identifier: BSD-2-Clause */
/* Dashboard passwords: crypt(3) yescrypt from libxcrypt (a slow, salted
 * KDF; the string carries its own parameters, so a later cost change
 * keeps old hashes valid). Link with -lcrypt. */
#ifndef MM_AUTH_H
#define MM_AUTH_H

#include <stddef.h>

#define AUTH_HASH_MAX 384 /* CRYPT_OUTPUT_SIZE */

/* A new "$y$..." hash of password into out. 0, or -1 (no randomness, or
 * the library refused). */
int auth_hash(const char *password, char *out, size_t outlen);
/* 1 when password matches hash, else 0. With hash NULL (no such user)
 * the same work is done against a fixed hash, so the answer time does
 * not tell which user names exist. */
int auth_verify(const char *password, const char *hash);

#endif
