/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Bounded base64 (RFC 4648 section 4) and base64url (section 5) decoding.
 *
 * Rules:
 * - One alphabet per call: url=false takes "+/", url=true takes "-_"; a character of the
 *   other alphabet, whitespace or any other byte is -EINVAL.
 * - Padding is optional. When present it is one or two '=' that end the input, and the
 *   padded input is a multiple of 4 long. Unpadded input may not be 1 (mod 4) long.
 * - Non-zero bits left over in the last character are ignored, as most decoders do.
 * - The whole input is checked before anything is written, so on error *out is untouched.
 */
#ifndef IDTRACE_B64_H
#define IDTRACE_B64_H

#include <stdbool.h>
#include <stddef.h>

/* Upper bound of the decoded size of n input bytes (exact for valid unpadded input). */
#define B64_DECODED_MAX(n) ((n) / 4 * 3 + ((n) % 4 * 3) / 4)

/* Decode len bytes at in (not NUL-terminated) into out (out_cap bytes; out may be NULL when
 * out_cap is 0). Returns 0 with *out_len the decoded size, -EINVAL for a bad character or
 * length, or -ENOSPC (nothing written) with *out_len the size that would be needed. */
int b64_decode(const char *in, size_t len, bool url, unsigned char *out, size_t out_cap,
	       size_t *out_len);

#endif
