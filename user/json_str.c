// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "json_str.h"

static const char replacement[3] = { '\xef', '\xbf', '\xbd' }; /* U+FFFD */

/* Length of the well-formed UTF-8 sequence at p (avail bytes left), or 0 when the byte at
 * p does not start one (Unicode table 3-7; this also rules out overlongs, surrogates and
 * code points above U+10FFFF). NUL counts as ill-formed here. */
static size_t utf8_seq_len(const unsigned char *p, size_t avail)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (c == 0)
		return 0;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if (avail < n)
		return 0;
	/* Only the second byte has a narrowed range. */
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

json_t *json_str_bytes(const char *s, size_t len, size_t max, bool *truncated)
{
	const unsigned char *in = (const unsigned char *)s;
	size_t cap = max, i = 0, o = 0;
	bool cut = false;
	json_t *j;
	char *buf;

	if (!s)
		len = 0;
	/* Output is at most 3 bytes per input byte and at most max bytes. */
	if (len <= SIZE_MAX / 3 && len * 3 < cap)
		cap = len * 3;
	buf = malloc(cap ? cap : 1); /* json_stringn() takes a length: no NUL needed */
	if (!buf)
		return NULL;
	while (i < len) {
		size_t n = utf8_seq_len(in + i, len - i);
		const char *src = n ? s + i : replacement;
		size_t w = n ? n : sizeof(replacement);

		if (w > cap - o) {
			cut = true;
			break;
		}
		memcpy(buf + o, src, w);
		o += w;
		i += n ? n : 1;
	}
	j = json_stringn(buf, o);
	free(buf);
	if (truncated)
		*truncated = cut;
	return j;
}
