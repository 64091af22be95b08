// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What redact.c and redact_argv.c share: character classes, the folding
 * name comparison of option and key names, and the rules each gives the
 * other. Internal to the redaction code; redact.h is its interface.
 */
#ifndef IDTRACE_REDACT_RULES_H
#define IDTRACE_REDACT_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "redact.h"

/* "no secret here": an offset past any element */
#define NO_MARK SIZE_MAX

static inline bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static inline bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static inline bool is_upper(char c)
{
	return c >= 'A' && c <= 'Z';
}

static inline bool is_lower(char c)
{
	return c >= 'a' && c <= 'z';
}

static inline char fold(char c)
{
	if (c >= 'A' && c <= 'Z')
		return (char)(c - 'A' + 'a');
	if (c == '-' || c == '.')
		return '_';
	return c;
}

/* s[0..n) equals lit, ignoring case and with '-', '.', '_' all alike. */
static inline bool name_eq(const char *s, size_t n, const char *lit)
{
	size_t i;

	if (n != strlen(lit))
		return false;
	for (i = 0; i < n; i++)
		if (fold(s[i]) != fold(lit[i]))
			return false;
	return true;
}

static inline bool is_key_char(char c)
{
	return is_alnum(c) || c == '_' || c == '.' || c == '-';
}

/* A KEY of KEY=VALUE whose value is a secret (password, api_key, auth, ...;
 * not one that names where a secret is: token_file). redact.c. */
bool redact_secret_key(const char *s, size_t n);

/* Where the argv element s's secret starts by what came before it in the
 * argv (0: all of it; prev, pn: the element before), or NO_MARK, and in *to
 * where it ends; then st takes s in. The rules tied to a program or a verb
 * (mysql -pPW, htpasswd -b, vault kv put). redact_argv.c. */
size_t redact_argv_secret(struct redact_argv *st, const char *prev, size_t pn, const char *s,
			  size_t n, size_t *to);

/* True when a bare "-p" taken by st last belongs to a program whose "-p" takes no
 * password (mkdir -p DIR, cp -p, journalctl -p PRIORITY): the element after it is not
 * hidden for being there. Asked before st takes that element. redact_argv.c. */
bool redact_argv_p_is_flag(const struct redact_argv *st);

#endif /* IDTRACE_REDACT_RULES_H */
