/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Request fields made safe to emit: the path, User-Agent and traceparent are
 * free text a client fills as it likes, and some put secrets there (a bot
 * token or webhook secret in the path, a token in the User-Agent). The
 * judgement of what looks like a secret is redact.c's, shared with argv.
 *
 * Path: each '/'-separated segment that looks like a secret becomes
 * REDACTED: a known token format or JWT anywhere in it (also glued to a
 * "bot" prefix, and Telegram's bot<digits>:<token>), a high-entropy run of
 * 32+ bytes as in argv, an alnum run of 20+ bytes mixing upper, lower and
 * digits that does not read as words (CamelCase names keep most of their
 * bytes in lower-case runs; random text does not: about 1 in 12 random
 * 24-byte strings still passes for a name), and the last segment of a Slack
 * webhook (/services/T.../B.../SECRET). Matrix parameters (";name=value",
 * jsessionid) are removed as a query string is.
 */
#ifndef IDTRACE_HTTP_REDACT_H
#define IDTRACE_HTTP_REDACT_H

#include <stdbool.h>
#include <stddef.h>

/* Write path (len bytes, query and fragment already cut) redacted into dst[cap],
 * NUL-terminated. *params_removed is set when matrix parameters were dropped.
 * Returns true when the result was cut to fit. */
bool http_redact_path(const char *path, size_t len, char *dst, size_t cap, bool *params_removed);

/* Write a User-Agent value (len bytes) into dst[cap] with its secret-looking words
 * and values (token=..., known token formats, high-entropy strings) replaced by
 * REDACTED. Returns true when the result was cut to fit (or could not be built). */
bool http_redact_user_agent(const char *ua, size_t len, char *dst, size_t cap);

/* True when s[0..len) is a W3C traceparent: "vv-<32 hex>-<16 hex>-ff", lower-case hex,
 * version not ff, trace and parent ids not all zero. Anything else is not emitted. */
bool http_redact_traceparent_ok(const char *s, size_t len);

#endif /* IDTRACE_HTTP_REDACT_H */
