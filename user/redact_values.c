// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/random.h>
#include "redact.h"
#include "redact_rules.h"
#include "redact_values.h"

#define MOD ((1ull << 61) - 1)

static uint64_t base;
static pthread_once_t base_once = PTHREAD_ONCE_INIT;

static void base_pick(void)
{
	uint64_t r = 0;

	if (getrandom(&r, sizeof(r), 0) != sizeof(r)) {
		struct timespec t;

		clock_gettime(CLOCK_MONOTONIC, &t);
		r = (uint64_t)t.tv_nsec * 0x9e3779b97f4a7c15ull ^ (uint64_t)t.tv_sec;
	}
	/* far from 0 and 1, below the modulus */
	base = (r % (MOD - (1ull << 20) - 2)) + (1ull << 20);
}

static uint64_t mulmod(uint64_t a, uint64_t b)
{
	unsigned __int128 p = (unsigned __int128)a * b;
	uint64_t r = (uint64_t)(p & MOD) + (uint64_t)(p >> 61);

	return r >= MOD ? r - MOD : r;
}

static uint64_t addmod(uint64_t a, uint64_t b)
{
	uint64_t r = a + b;

	return r >= MOD ? r - MOD : r;
}

/* a byte as a digit: never 0, so that leading bytes count */
static uint64_t digit(char c)
{
	return (uint64_t)(unsigned char)c + 1;
}

uint64_t redact_values_hash(const char *s, size_t n)
{
	uint64_t h = 0;

	pthread_once(&base_once, base_pick);
	for (size_t i = 0; i < n; i++)
		h = addmod(mulmod(h, base), digit(s[i]));
	return h;
}

static bool in_values(const struct redact_value *v, int n, const struct redact_value *x)
{
	for (int i = 0; i < n; i++)
		if (v[i].len == x->len && v[i].hash == x->hash)
			return true;
	return false;
}

int redact_values_from_env(const char *env, size_t len, struct redact_value *out, int max,
			   int (*known)(const struct redact_value *v, void *arg), void *arg)
{
	const char *p = env, *end = env + len;
	int n = 0;

	while (env && p < end && n < max) {
		const char *nul = memchr(p, '\0', (size_t)(end - p));
		size_t elen = nul ? (size_t)(nul - p) : (size_t)(end - p);
		const char *eq = memchr(p, '=', elen);

		/* the value's shape first: it rules out most variables (PATH, HOME,
		 * LANG) before the name is judged, on every exec */
		if (eq && eq > p) {
			const char *val = eq + 1;
			size_t vlen = elen - (size_t)(val - p);
			struct redact_value x;

			if (vlen >= REDACT_VALUE_MIN && vlen <= REDACT_VALUE_MAX && val[0] != '/' &&
			    redact_secret_key(p, (size_t)(eq - p))) {
				x.len = (uint32_t)vlen;
				x.hash = redact_values_hash(val, vlen);
				if (!in_values(out, n, &x) && !(known && known(&x, arg)))
					out[n++] = x;
			}
		}
		p += elen + 1;
	}
	return n;
}

static int cmp_value(const void *a, const void *b)
{
	const struct redact_value *x = a, *y = b;

	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return (x->hash > y->hash) - (x->hash < y->hash);
}

/* Mark in cut (one byte per byte of s) every window of length len whose
 * hash is one of v[0..nv), all of that length, sorted by hash. */
static void mark_length(const struct redact_value *v, int nv, uint32_t len, const char *s,
			size_t n, unsigned char *cut)
{
	uint64_t h = 0, top = 1;
	size_t i;

	if (len > n)
		return;
	for (i = 1; i < len; i++)
		top = mulmod(top, base);
	for (i = 0; i < len; i++)
		h = addmod(mulmod(h, base), digit(s[i]));
	for (i = 0;; i++) {
		struct redact_value key = { .len = len, .hash = h };

		if (bsearch(&key, v, (size_t)nv, sizeof(*v), cmp_value))
			memset(cut + i, 1, len);
		if (i + len >= n)
			break;
		/* drop s[i], take s[i + len] */
		h = addmod(h, MOD - mulmod(digit(s[i]), top));
		h = addmod(mulmod(h, base), digit(s[i + len]));
	}
}

void redact_values_sort(struct redact_value *v, int nv)
{
	if (nv > 1)
		qsort(v, (size_t)nv, sizeof(*v), cmp_value);
}

char *redact_values_apply(const struct redact_value *v, int nv, const char *s, size_t n,
			  size_t *out_len)
{
	const size_t rlen = sizeof(REDACTED) - 1;
	unsigned char *cut;
	size_t i, o = 0, runs = 0;
	char *out;

	*out_len = 0;
	if (nv <= 0 || !n)
		return NULL;
	pthread_once(&base_once, base_pick);
	cut = calloc(n, 1);
	if (!cut) {
		*out_len = SIZE_MAX;
		return NULL;
	}
	/* one pass over s per length, each window looked up among that length's */
	for (int k = 0, end; k < nv; k = end) {
		for (end = k + 1; end < nv && v[end].len == v[k].len; end++)
			;
		mark_length(v + k, end - k, v[k].len, s, n, cut);
	}
	for (i = 0; i < n; i++)
		runs += cut[i] && (i == 0 || !cut[i - 1]);
	if (!runs) {
		free(cut);
		return NULL;
	}
	out = malloc(n + runs * rlen + 1);
	if (!out) {
		free(cut);
		*out_len = SIZE_MAX;
		return NULL;
	}
	for (i = 0; i < n; i++) {
		if (!cut[i]) {
			out[o++] = s[i];
		} else if (i == 0 || !cut[i - 1]) {
			memcpy(out + o, REDACTED, rlen);
			o += rlen;
		}
	}
	out[o] = '\0';
	free(cut);
	*out_len = o;
	return out;
}
