/* SPDX-License-Identifier: BSD-2-Clause */
/* The benchmark's baseline: a milter that takes every callback (headers
 * and body, like mailmood-milter on a closure mail) and changes nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmilter/mfapi.h>

static sfsistat cb_header(SMFICTX *ctx, char *n, char *v)
{
	return SMFIS_CONTINUE;
}

static sfsistat cb_body(SMFICTX *ctx, unsigned char *b, size_t len)
{
	return SMFIS_CONTINUE;
}

static sfsistat cb_eom(SMFICTX *ctx)
{
	return SMFIS_CONTINUE;
}

int main(int argc, char **argv)
{
	struct smfiDesc desc = {
	    .xxfi_name = "nullmilter",
	    .xxfi_version = SMFI_VERSION,
	    .xxfi_flags = SMFIF_CHGBODY,
	    .xxfi_header = cb_header,
	    .xxfi_body = cb_body,
	    .xxfi_eom = cb_eom,
	};

	if (argc != 2) {
		fprintf(stderr, "usage: nullmilter SOCKET\n");
		return 64;
	}
	if (smfi_setconn(argv[1]) != MI_SUCCESS ||
	    smfi_register(desc) != MI_SUCCESS ||
	    smfi_opensocket(1) != MI_SUCCESS)
		return 69;
	return smfi_main() == MI_SUCCESS ? 0 : 70;
}
