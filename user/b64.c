// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include "b64.h"

/* Value of c in the chosen alphabet, or -1. */
static int b64_value(unsigned char c, bool url)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == (url ? '-' : '+'))
		return 62;
	if (c == (url ? '_' : '/'))
		return 63;
	return -1;
}

/* Length of the data characters once valid padding is stripped, or -EINVAL. */
static int b64_data_len(const char *in, size_t len, bool url, size_t *n)
{
	size_t pad = 0, i;

	while (pad < len && pad < 3 && in[len - 1 - pad] == '=')
		pad++;
	if (pad > 2 || (pad && len % 4))
		return -EINVAL;
	*n = len - pad;
	if (*n % 4 == 1)
		return -EINVAL;
	for (i = 0; i < *n; i++)
		if (b64_value((unsigned char)in[i], url) < 0)
			return -EINVAL;
	return 0;
}

int b64_decode(const char *in, size_t len, bool url, unsigned char *out, size_t out_cap,
	       size_t *out_len)
{
	size_t n, need, i, o = 0;
	unsigned int acc = 0;
	int bits = 0, err;

	if (!in && len)
		return -EINVAL;
	err = b64_data_len(in, len, url, &n);
	if (err)
		return err;
	need = B64_DECODED_MAX(n);
	*out_len = need;
	if (need > out_cap)
		return -ENOSPC;
	for (i = 0; i < n; i++) {
		acc = (acc << 6 | (unsigned int)b64_value((unsigned char)in[i], url)) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	return 0;
}
