/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The values of a process's secret environment variables (GITHUB_TOKEN,
 * CI_JOB_TOKEN, AWS_SECRET_ACCESS_KEY, DB_PASSWORD: names the KEY=VALUE rule
 * of redact.h calls secret), taken out of its argv wherever they appear:
 * `curl -u "$CI_JOB_TOKEN:"`, `git clone https://$TOKEN@host/...`, a 40-hex
 * or base32 token no format rule knows. Also in a descendant whose own
 * environment no longer holds them (env -i, sudo): the values a lineage's
 * execs brought are looked up through its ancestors.
 *
 * A value is never kept: only its length and a hash keyed with a random
 * secret chosen at start-up (a polynomial hash modulo 2^61 - 1, so that an
 * argv is searched for every length in one pass per length).
 */
#ifndef IDTRACE_REDACT_VALUES_H
#define IDTRACE_REDACT_VALUES_H

#include <stddef.h>
#include <stdint.h>

/* Values shorter than this are not taken ("true", "1", "main"). */
#define REDACT_VALUE_MIN 8
#define REDACT_VALUE_MAX 4096

struct redact_value {
	uint32_t len;
	uint64_t hash;
};

/* The values of the secret variables of env (NUL-separated KEY=VALUE, len
 * bytes) into out (at most max; no value twice, and none for which
 * known(v, arg) is non-zero: known may be NULL), except paths (a value
 * starting with '/': SSH_AUTH_SOCK, XAUTHORITY) and values outside
 * [REDACT_VALUE_MIN, REDACT_VALUE_MAX]. Returns how many. */
int redact_values_from_env(const char *env, size_t len, struct redact_value *out, int max,
			   int (*known)(const struct redact_value *v, void *arg), void *arg);

/* Order v[0..nv) by length, then hash, as redact_values_apply needs it:
 * once per set of values, not per string searched. */
void redact_values_sort(struct redact_value *v, int nv);

/* s[0..n) with every occurrence of a value in v[0..nv) (sorted by
 * redact_values_sort) replaced by
 * "[REDACTED]" (overlapping ones merged), as a new NUL-terminated string
 * with its length in *out_len; NULL when none occurs (or on ENOMEM, after
 * which the caller must not emit s: *out_len is then SIZE_MAX). */
char *redact_values_apply(const struct redact_value *v, int nv, const char *s, size_t n,
			  size_t *out_len);

/* The keyed hash of s[0..n) (for tests and lookups). */
uint64_t redact_values_hash(const char *s, size_t n);

#endif
