// SPDX-License-Identifier: GPL-2.0
/* Request fields made safe to emit: path segments, User-Agent, traceparent. */
#include <stdlib.h>
#include <string.h>

#include "http_redact.h"
#include "http_req.h"
#include "redact.h"

#define PATH_MIN_RANDOM 20	/* shortest alnum run judged as random text in a path */
#define PATH_RANDOM_BITS 3.5	/* entropy it needs, bits per byte */
/* Names are words: CamelCase identifiers ("ApplicationGateway2023Q1") have most of their
 * bytes in lower-case runs of 3 or more, random text seldom. Percent such bytes may hold. */
#define PATH_WORDS_MAX_PCT 35
#define TRACEPARENT_LEN 55

static bool is_lower(char c)
{
	return c >= 'a' && c <= 'z';
}

static bool is_upper(char c)
{
	return c >= 'A' && c <= 'Z';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alnum(char c)
{
	return is_lower(c) || is_upper(c) || is_digit(c);
}

/* Random-looking alnum text: upper, lower and digits, high entropy, few words. */
static bool random_like(const char *s, size_t n)
{
	bool upper = false, lower = false, digit = false;
	size_t i, run = 0, in_words = 0;

	for (i = 0; i < n; i++) {
		upper = upper || is_upper(s[i]);
		lower = lower || is_lower(s[i]);
		digit = digit || is_digit(s[i]);
		run = is_lower(s[i]) ? run + 1 : 0;
		in_words += run == 3 ? 3 : run > 3;
	}
	return upper && lower && digit && in_words * 100 < PATH_WORDS_MAX_PCT * n &&
	       redact_entropy_bits(s, n) >= PATH_RANDOM_BITS;
}

/* An alnum run of PATH_MIN_RANDOM+ bytes that looks random: a webhook secret or an
 * API key too short for redact.c's 32-byte rule. Misses some (see the unit test). */
static bool has_random_run(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t a = i;

		while (i < n && is_alnum(s[i]))
			i++;
		if (i - a >= PATH_MIN_RANDOM && random_like(s + a, i - a))
			return true;
		if (i == a)
			i++;
	}
	return false;
}

/* Telegram's bot token: <digits>:<20+ of [A-Za-z0-9_-]>, glued to "bot" in its paths. */
static bool telegram_token(const char *s, size_t n)
{
	size_t i = 0, j;

	while (i < n && is_digit(s[i]))
		i++;
	if (!i || i == n || s[i] != ':')
		return false;
	for (j = i + 1; j < n && (is_alnum(s[j]) || s[j] == '_' || s[j] == '-'); j++)
		;
	return j - i - 1 >= 20;	/* 35 in practice */
}

static bool segment_secret(const char *s, size_t n)
{
	if (redact_has_secret(s, n, 0) || has_random_run(s, n))
		return true;
	/* Telegram's /bot<token>/method: the token is glued to "bot" */
	return n > 3 && !memcmp(s, "bot", 3) &&
	       (telegram_token(s + 3, n - 3) || redact_has_secret(s + 3, n - 3, 0));
}

static bool seg_is(const char *s, size_t n, const char *lit)
{
	return n == strlen(lit) && !memcmp(s, lit, n);
}

/* Slack's incoming webhook: /services/T<team>/B<hook>/<secret>; segment k (0 = the
 * empty one before the first '/') is the secret when the ones before match. */
struct slack_state {
	bool services, team, hook;
};

static bool slack_secret(struct slack_state *st, size_t k, const char *s, size_t n)
{
	if (k == 1)
		st->services = seg_is(s, n, "services");
	else if (k == 2)
		st->team = st->services && n > 1 && s[0] == 'T';
	else if (k == 3)
		st->hook = st->team && n > 1 && s[0] == 'B';
	else if (k == 4)
		return st->hook && n > 0;
	return false;
}

bool http_redact_path(const char *path, size_t len, char *dst, size_t cap, bool *params_removed)
{
	const size_t rl = strlen(REDACTED);
	struct slack_state slack = { 0 };
	char *buf = malloc(len + rl + 1);
	size_t i = 0, o = 0, k = 0;
	bool cut;

	*params_removed = false;
	if (!buf) {
		http_req_copy_str(dst, cap, REDACTED, rl);
		return true;
	}
	while (i <= len) {
		const char *seg = path + i, *slash = memchr(seg, '/', len - i);
		size_t end = slash ? (size_t)(slash - path) : len, n = end - i;
		const char *semi = memchr(seg, ';', n);

		if (semi) {
			*params_removed = true;
			n = (size_t)(semi - seg);
		}
		if (slack_secret(&slack, k, seg, n) || segment_secret(seg, n)) {
			/* a secret grows at most once: slack's (any length), else >= rl bytes */
			memcpy(buf + o, REDACTED, rl);
			o += rl;
		} else {
			memcpy(buf + o, seg, n);
			o += n;
		}
		if (!slash)
			break;
		buf[o++] = '/';
		i = end + 1;
		k++;
	}
	cut = http_req_copy_str(dst, cap, buf, o);
	free(buf);
	return cut;
}

bool http_redact_user_agent(const char *ua, size_t len, char *dst, size_t cap)
{
	char *r = redact_arg(NULL, 0, ua, len);
	bool cut;

	if (!r) {
		if (cap)
			dst[0] = '\0';
		return true;
	}
	cut = http_req_copy_str(dst, cap, r, strlen(r));
	free(r);
	return cut;
}

static bool lower_hex(const char *s, size_t n, bool *all_zero)
{
	size_t i;

	*all_zero = true;
	for (i = 0; i < n; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
		*all_zero = *all_zero && s[i] == '0';
	}
	return true;
}

bool http_redact_traceparent_ok(const char *s, size_t len)
{
	bool zero;

	if (!s || len != TRACEPARENT_LEN || s[2] != '-' || s[35] != '-' || s[52] != '-')
		return false;
	if (!lower_hex(s, 2, &zero) || (s[0] == 'f' && s[1] == 'f'))
		return false;
	if (!lower_hex(s + 3, 32, &zero) || zero)
		return false;
	if (!lower_hex(s + 36, 16, &zero) || zero)
		return false;
	return lower_hex(s + 53, 2, &zero);
}
