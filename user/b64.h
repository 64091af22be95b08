/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Bounded base64 and base64url decoding. Pure. */
#ifndef IDTRACE_B64_H
#define IDTRACE_B64_H

#include <stdbool.h>
#include <stddef.h>

/* Decode in[0..len) (standard alphabet, or the URL-safe one when url is true;
 * padding optional) into out[0..out_cap). Returns 0 with *out_len set,
 * -EINVAL for a character outside the alphabet or an impossible length, or
 * -ENOSPC when out is too small. */
int b64_decode(const char *in, size_t len, bool url, unsigned char *out, size_t out_cap,
	       size_t *out_len);

#endif
