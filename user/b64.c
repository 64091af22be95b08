// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include "b64.h"

static int value(char c, bool url)
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

int b64_decode(const char *in, size_t len, bool url, unsigned char *out, size_t out_cap,
	       size_t *out_len)
{
	unsigned int acc = 0, bits = 0;
	size_t n = 0;

	while (len && in[len - 1] == '=')
		len--;
	if (len % 4 == 1)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		int v = value(in[i], url);

		if (v < 0)
			return -EINVAL;
		acc = (acc << 6) | (unsigned int)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n >= out_cap)
				return -ENOSPC;
			out[n++] = (acc >> bits) & 0xff;
		}
	}
	*out_len = n;
	return 0;
}
