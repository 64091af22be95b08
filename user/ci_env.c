// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * CI job context from an environment block: one pass records the first value of each
 * variable we know, then the first provider whose marker is set maps those values onto
 * struct ci_job (the providers: ci_providers.c). See ci_env.h for the rules.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "ci_env.h"
#include "ci_env_view.h"

struct key_name {
	const char *name;
	size_t len;
};

static const struct key_name meta_keys[K_COUNT] = { CI_META_KEYS(X_NAME) };
static const struct key_name token_keys[T_COUNT] = { CI_TOKEN_KEYS(X_NAME) };

_Static_assert(T_COUNT <= 32, "token_seen is a 32-bit mask");
_Static_assert(K_COUNT + T_COUNT <= 65535, "by_bucket holds unsigned short indices");

bool ci_env_is_token_var(const char *name, size_t n)
{
	for (int t = 0; t < T_COUNT; t++)
		if (token_keys[t].len == n && !memcmp(token_keys[t].name, name, n))
			return true;
	return false;
}

/* A token variable is listed once, when any occurrence has a non-empty value: the
 * secret is in the environment whichever copy getenv() returns. */
static void note_token(struct env_view *v, struct ci_job *out, int t)
{
	if (v->token_seen & (1u << t))
		return;
	v->token_seen |= 1u << t;
	if (out->n_token_vars >= CI_TOKEN_VARS_MAX) {
		out->truncated |= CI_TRUNC_TOKEN_VARS;
		return;
	}
	_Static_assert(sizeof("ACTIONS_ID_TOKEN_REQUEST_TOKEN") <= CI_TOKEN_VAR_NAME_MAX,
		       "longest token name fits");
	memcpy(out->token_vars[out->n_token_vars++], token_keys[t].name, token_keys[t].len + 1);
}

/* The variable names (ci_env_view.h) grouped by first byte and length, taken from the
 * tables once: an entry is compared only with the few names in its bucket. Length alone
 * or the first byte alone leaves buckets of dozens (GITHUB_*, CI_*, BUILD_*). by_bucket
 * holds meta key k as k and token key t as K_COUNT + t; the names of bucket b are
 * by_bucket[bucket_at[b]] up to by_bucket[bucket_at[b + 1]]. */
static unsigned short bucket_at[257];
static unsigned short by_bucket[K_COUNT + T_COUNT];
static pthread_once_t by_bucket_once = PTHREAD_ONCE_INIT;

static const struct key_name *key_at(int i)
{
	return i < K_COUNT ? &meta_keys[i] : &token_keys[i - K_COUNT];
}

static unsigned bucket_of(const char *name, size_t len)
{
	return ((unsigned char)name[0] * 7u + (unsigned)len) & 255u;
}

static void by_bucket_fill(void)
{
	unsigned short next[256];

	for (int i = 0; i < K_COUNT + T_COUNT; i++)
		bucket_at[bucket_of(key_at(i)->name, key_at(i)->len) + 1]++;
	for (int b = 0; b < 256; b++) {
		bucket_at[b + 1] += bucket_at[b];
		next[b] = bucket_at[b];
	}
	for (int i = 0; i < K_COUNT + T_COUNT; i++)
		by_bucket[next[bucket_of(key_at(i)->name, key_at(i)->len)]++] = (unsigned short)i;
}

/* The entry "K=V" (n bytes at e) names a known variable: its index (meta key k
 * as k, token key t as K_COUNT + t), with *value its value; else -1. */
static int entry_key(const char *e, size_t n, struct slice *value)
{
	const char *eq = n ? memchr(e, '=', n) : NULL;
	size_t klen;
	unsigned b;

	if (!eq || eq == e)
		return -1;
	klen = (size_t)(eq - e);
	b = bucket_of(e, klen);
	for (unsigned i = bucket_at[b]; i < bucket_at[b + 1]; i++) {
		const struct key_name *name = key_at(by_bucket[i]);

		if (name->len == klen && !memcmp(name->name, e, klen)) {
			*value = (struct slice){ eq + 1, n - klen - 1 };
			return by_bucket[i];
		}
	}
	return -1;
}

static void note_entry(const char *e, size_t n, struct env_view *v, struct ci_job *out)
{
	struct slice val;
	int k = entry_key(e, n, &val);

	if (k < 0)
		return;
	if (k < K_COUNT) {
		if (!v->val[k].p)
			v->val[k] = val;
	} else if (val.n > 0) {
		note_token(v, out, k - K_COUNT);
	}
}

static void scan_env(const char *env, size_t len, struct env_view *v, struct ci_job *out)
{
	size_t pos = 0;

	while (pos < len) {
		const char *e = env + pos;
		const char *nul = memchr(e, '\0', len - pos);

		if (!nul) {
			out->truncated |= CI_TRUNC_ENV;
			return;
		}
		note_entry(e, (size_t)(nul - e), v, out);
		pos += (size_t)(nul - e) + 1;
	}
}

/* The first occurrence of each token variable (the copy getenv() returns), when it is
 * not empty. */
void ci_env_each_token(const char *env, size_t len, ci_token_fn fn, void *arg)
{
	__u32 seen = 0;
	size_t pos = 0;

	if (!env || !fn)
		return;
	pthread_once(&by_bucket_once, by_bucket_fill);
	while (pos < len) {
		const char *e = env + pos;
		const char *nul = memchr(e, '\0', len - pos);
		struct slice val;
		int t;

		if (!nul)
			return; /* cut by the capture: the value may be too */
		pos += (size_t)(nul - e) + 1;
		t = entry_key(e, (size_t)(nul - e), &val) - K_COUNT;
		if (t < 0 || (seen & (1u << t)))
			continue;
		seen |= 1u << t;
		if (val.n)
			fn(token_keys[t].name, val.p, val.n, arg);
	}
}

/* ---- bounded, sanitising copy ---- */

/* Length of the printable UTF-8 character at p, or 0 when the byte starts an invalid
 * sequence or a C0/C1 control character. */
static size_t clean_char_len(const unsigned char *p, size_t n)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xbf;
	size_t len;

	if (c < 0x80)
		return c >= 0x20 && c != 0x7f;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		if (c == 0xc2)
			lo = 0xa0; /* U+0080..U+009F are C1 controls */
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0; /* overlong */
		if (c == 0xed)
			hi = 0x9f; /* surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90; /* overlong */
		if (c == 0xf4)
			hi = 0x8f; /* above U+10FFFF */
	} else {
		return 0;
	}
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

struct wbuf {
	char *dst;
	size_t cap; /* bytes including the NUL */
	size_t len;
	bool cut;
};

static void wb_init(struct wbuf *w, char *dst, size_t cap)
{
	*w = (struct wbuf){ .dst = dst, .cap = cap };
	dst[0] = '\0';
}

static void wb_put(struct wbuf *w, struct slice s)
{
	size_t i = 0;

	while (i < s.n && !w->cut) {
		const unsigned char *c = (const unsigned char *)s.p + i;
		size_t k = clean_char_len(c, s.n - i);
		size_t step = k ? k : 1;

		if (w->len + step >= w->cap) {
			w->cut = true;
			break;
		}
		if (k)
			memcpy(w->dst + w->len, c, k);
		else
			w->dst[w->len] = '?';
		w->len += step;
		i += step;
	}
	w->dst[w->len] = '\0';
}


void ci_put_parts(struct ci_job *out, char *dst, size_t cap, __u32 bit, const struct slice *s,
		  int n)
{
	struct wbuf w;

	wb_init(&w, dst, cap);
	for (int i = 0; i < n; i++)
		wb_put(&w, s[i]);
	if (w.cut)
		out->truncated |= bit;
}

/* ---- URLs: drop userinfo, query and fragment ---- */

static size_t span_until(struct slice s, const char *stops)
{
	size_t i = 0;

	while (i < s.n && !strchr(stops, s.p[i]))
		i++;
	return i;
}


/* host, "[v6]" or either with ":port" (port possibly empty). Anything else means the
 * authority still holds something that is not a host, such as a broken credential. */
static bool host_port_ok(const char *h, size_t n)
{
	const char *colon;

	if (n && h[0] == '[') {
		const char *close = memchr(h, ']', n);

		if (!close)
			return false;
		n -= (size_t)(close + 1 - h);
		h = close + 1;
		return !n || (h[0] == ':' && (n == 1 || all_digits(h + 1, n - 1)));
	}
	colon = memchr(h, ':', n);
	if (!colon)
		return true;
	n -= (size_t)(colon + 1 - h);
	return !n || all_digits(colon + 1, n);
}

static bool scheme_ok(const char *p, size_t n)
{
	if (!n || !((p[0] | 0x20) >= 'a' && (p[0] | 0x20) <= 'z'))
		return false;
	for (size_t i = 1; i < n; i++) {
		char c = p[i] | 0x20;

		if (!((c >= 'a' && c <= 'z') || (p[i] >= '0' && p[i] <= '9') || p[i] == '+' ||
		      p[i] == '-' || p[i] == '.'))
			return false;
	}
	return true;
}

/* A path segment with "x:y@" in it looks like a credential that an unencoded '/' in the
 * user name pushed out of the authority ("https://us/er:pw@host/"). */
static bool path_has_userinfo(const char *p, size_t n)
{
	bool colon = false;

	for (size_t i = 0; i < n; i++) {
		if (p[i] == '/')
			colon = false;
		else if (p[i] == ':')
			colon = true;
		else if (p[i] == '@' && colon)
			return true;
	}
	return false;
}

/* scp-like "user:secret@host:path": drop through the last '@' before the first '/'
 * when what precedes it has a ':'. A plain "git@host:path" keeps its login name. Returns
 * false when what is left still has "x:y@" in it. */
static bool scp_clean(struct slice s, struct slice *tail)
{
	size_t slash = span_until(s, "/");
	const char *at = memrchr(s.p, '@', slash);

	*tail = s;
	if (at && memchr(s.p, ':', (size_t)(at - s.p)))
		*tail = (struct slice){ at + 1, s.n - (size_t)(at + 1 - s.p) };
	return !path_has_userinfo(tail->p, tail->n);
}

/* Split s into head ("scheme://") and tail (host and, unless origin_only, path) without
 * userinfo, query or fragment. Values without "://" pass through scp_clean (and are
 * refused when origin_only). Returns false when s must not be copied at all: a "://"
 * after something that is not a scheme, or an authority or path that still looks like
 * it holds a credential. */
static bool url_clean(struct slice s, bool origin_only, struct slice *head, struct slice *tail)
{
	const char *sep = s.p ? memmem(s.p, s.n, "://", 3) : NULL;
	struct slice rest;
	size_t auth_n, end;
	const char *at, *host;

	*head = (struct slice){ s.p, 0 };
	if (!sep)
		return !origin_only && scp_clean(s, tail);
	if (!scheme_ok(s.p, (size_t)(sep - s.p)))
		return false;
	head->n = (size_t)(sep + 3 - s.p);
	rest = (struct slice){ sep + 3, s.n - head->n };
	auth_n = span_until(rest, "/?#");
	at = memrchr(rest.p, '@', auth_n);
	host = at ? at + 1 : rest.p;
	if (!host_port_ok(host, (size_t)(rest.p + auth_n - host)))
		return false;
	end = origin_only ? auth_n : span_until(rest, "?#");
	if (end > auth_n && path_has_userinfo(rest.p + auth_n, end - auth_n))
		return false;
	*tail = (struct slice){ host, (size_t)(rest.p + end - host) };
	return true;
}

void ci_put_url(struct ci_job *out, char *dst, size_t cap, __u32 bit, struct slice s,
		bool origin_only)
{
	struct slice parts[2];

	if (!s.n || !url_clean(s, origin_only, &parts[0], &parts[1]))
		return;
	ci_put_parts(out, dst, cap, bit, parts, 2);
}

/* put_url over the concatenation of parts. A value too long for the scratch buffer is
 * dropped rather than cut: a cut before the userinfo is removed could leave part of a
 * credential where the host should be. */
void ci_put_url_parts(struct ci_job *out, char *dst, size_t cap, __u32 bit,
		      const struct slice *s, int n, bool origin_only)
{
	char buf[2 * CI_VALUE_MAX];
	size_t len = 0;

	for (int i = 0; i < n; i++) {
		if (s[i].n > sizeof(buf) - len)
			return;
		if (s[i].n)
			memcpy(buf + len, s[i].p, s[i].n);
		len += s[i].n;
	}
	ci_put_url(out, dst, cap, bit, (struct slice){ buf, len }, origin_only);
}

static const struct ci_provider *provider_named(const char *name, size_t size)
{
	for (size_t i = 0; i < ci_n_providers; i++)
		if (!strncmp(ci_providers[i].name, name, size))
			return &ci_providers[i];
	return NULL;
}

int ci_env_parse(const char *env, size_t len, struct ci_job *out)
{
	struct env_view v = { 0 };

	if (!out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (!env && len)
		return -EINVAL;
	pthread_once(&by_bucket_once, by_bucket_fill);
	if (env)
		scan_env(env, len, &v, out);
	for (size_t i = 0; i < ci_n_providers; i++) {
		if (!ci_providers[i].detect(&v))
			continue;
		snprintf(out->provider, sizeof(out->provider), "%s", ci_providers[i].name);
		ci_providers[i].fill(&v, out);
		return 0;
	}
	return -ENOENT;
}

#define FIELD_EQ(a, b, f) (!strncmp((a)->f, (b)->f, sizeof((a)->f)))

/* claim's field f says nothing (empty) or what lineage's says */
#define FIELD_AGREES(claim, lineage, f) (!(claim)->f[0] || FIELD_EQ(claim, lineage, f))

const char *ci_claim_contradiction(const struct ci_job *claim, const struct ci_job *lineage)
{
	if (!claim || !lineage)
		return NULL;
	if (!FIELD_EQ(claim, lineage, provider))
		return "provider";
#define CHECK(f)                                  \
	if (!FIELD_AGREES(claim, lineage, f)) \
		return #f;
	CHECK(server_url) CHECK(repository) CHECK(workflow) CHECK(run_id) CHECK(run_attempt)
	CHECK(job) CHECK(job_id)
#undef CHECK
	return NULL;
}

bool ci_claim_contradicts(const struct ci_job *claim, const struct ci_job *lineage)
{
	return ci_claim_contradiction(claim, lineage) != NULL;
}

static struct slice field_slice(const char *f, size_t size)
{
	return (struct slice){ f, strnlen(f, size) };
}

/* s[0..len) onto buf (size n, NUL-terminated, cut at its end) from *pos,
 * with the characters that delimit the strings short ids are put in
 * percent-encoded: '#' (repository#run_id), ',' and '=' (a reason's
 * key=value parts), '%' itself. The values come from the process's own
 * environment: unescaped, "a/b#9" or "x,lineage=..." would forge parts. */
static void put_escaped(char *buf, size_t n, size_t *pos, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < len && *pos + 1 < n; i++) {
		char c = s[i];

		if (c == '#' || c == ',' || c == '=' || c == '%') {
			if (*pos + 3 >= n)
				break;
			buf[(*pos)++] = '%';
			buf[(*pos)++] = hex[(unsigned char)c >> 4];
			buf[(*pos)++] = hex[c & 15];
		} else {
			buf[(*pos)++] = c;
		}
	}
	buf[*pos] = '\0';
}

void ci_job_short_id(const struct ci_job *job, char *buf, size_t n)
{
	size_t pos = 0;

	const struct ci_provider *p;
	struct slice name, alt;

	if (!buf || !n)
		return;
	buf[0] = '\0';
	if (!job || !job->provider[0])
		return;
	name = field_slice(job->repository, sizeof(job->repository));
	alt = field_slice(job->workflow, sizeof(job->workflow));
	p = provider_named(job->provider, sizeof(job->provider));
	if (p && p->runs_per_workflow) {
		struct slice t = name;

		name = alt;
		alt = t;
	}
	name = first_of(name, alt);
	if (!name.n)
		name = field_slice(job->provider, sizeof(job->provider));
	put_escaped(buf, n, &pos, name.p, name.n);
	if (job->run_id[0]) {
		if (pos + 1 < n) {
			buf[pos++] = '#';
			buf[pos] = '\0';
		}
		put_escaped(buf, n, &pos, job->run_id, strnlen(job->run_id, sizeof(job->run_id)));
	}
}
