/* SPDX-License-Identifier: BSD-2-Clause */
/* Dashboard passwords: yescrypt hashes through crypt(3) (auth.h). */
#include <crypt.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"

/* yescrypt of a random password, only ever compared to fail */
static const char auth_dummy[] =
    "$y$j9T$gy8LrQ0sgBxNG9Fzi5yGy.$7J9NdpnxcPheomURlafbvLZzgRO0CL/kr7Juhm"
    "U2tq9";

int auth_hash(const char *password, char *out, size_t outlen)
{
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data *d;
	const char *h;
	int rc = -1;

	/* NULL random bytes: libxcrypt reads the kernel's generator */
	if (!crypt_gensalt_rn("$y$", 0, NULL, 0, salt, sizeof(salt)))
		return -1;
	if (!(d = calloc(1, sizeof(*d))))
		return -1;
	h = crypt_rn(password, salt, d, sizeof(*d));
	if (h && h[0] == '$' && strlen(h) < outlen) {
		memcpy(out, h, strlen(h) + 1);
		rc = 0;
	}
	explicit_bzero(d, sizeof(*d));
	free(d);
	return rc;
}

int auth_verify(const char *password, const char *hash)
{
	struct crypt_data *d = calloc(1, sizeof(*d));
	const char *h, *want = hash && hash[0] == '$' ? hash : auth_dummy;
	unsigned char diff = 0;
	size_t n;
	int ok = 0;

	if (!d)
		return 0;
	h = crypt_rn(password ? password : "", want, d, sizeof(*d));
	/* crypt_rn answers "*0"/"*1" on a bad setting: never a match */
	if (h && h[0] == '$' && (n = strlen(want)) == strlen(h)) {
		for (size_t i = 0; i < n; i++)
			diff |= (unsigned char)(h[i] ^ want[i]);
		ok = diff == 0 && want != auth_dummy;
	}
	explicit_bzero(d, sizeof(*d));
	free(d);
	return ok;
}
