/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * JSON strings from untrusted bytes (argv, paths, comm, HTTP fields).
 *
 * jansson refuses strings that are not valid UTF-8, so every byte string that reaches an
 * event goes through here first. Rules:
 * - Well-formed UTF-8 (Unicode 15, table 3-7) is kept as is, control characters included:
 *   json_dumps() escapes them.
 * - Every byte that does not start a well-formed sequence becomes one U+FFFD, and decoding
 *   resumes at the next byte. So a stray continuation byte, a bad lead byte (C0, C1,
 *   F5..FF), an overlong form ("C0 AF" -> two U+FFFD), an encoded surrogate ("ED A0 80"
 *   -> three U+FFFD), a code point above U+10FFFF and a sequence cut short each give one
 *   U+FFFD per byte, never swallowing a following valid character.
 * - NUL becomes U+FFFD, so the result survives every consumer that stops at NUL.
 * - max bounds the OUTPUT in bytes (U+FFFD takes 3). A character that would not fit is
 *   dropped whole, with everything after it, so the result never ends inside a character.
 */
#ifndef IDTRACE_JSON_STR_H
#define IDTRACE_JSON_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

/* New JSON string from len bytes at s (s may be NULL when len is 0), at most max bytes
 * of UTF-8 long. *truncated (if non-NULL) is set to whether input was dropped to fit.
 * Caller owns the reference; NULL only on ENOMEM. */
json_t *json_str_bytes(const char *s, size_t len, size_t max, bool *truncated);

#endif
