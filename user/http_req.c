// SPDX-License-Identifier: GPL-2.0
/* Filling struct http_request: bounded copies, request targets, header dispatch. */
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "http_auth.h"
#include "http_redact.h"
#include "http_req.h"

/* job-token: GitLab's header for a CI job's CI_JOB_TOKEN; x-vault-token: Vault's */
static const char *const key_headers[] = { "x-api-key", "api-key", "private-token",
					   "x-auth-token", "job-token", "x-vault-token" };

void http_req_init(struct http_request *req, const char *version)
{
	memset(req, 0, sizeof(*req));
	http_req_copy(req, req->version, sizeof(req->version), version, strlen(version));
}

/* Where to cut s (at least n + 1 bytes long) so at most n bytes stay and a UTF-8 sequence is not
 * split; input that is not UTF-8 is cut at n. */
static size_t utf8_cut(const char *s, size_t n)
{
	size_t i = n;

	while (i > 0 && n - i < 3 && ((unsigned char)s[i] & 0xc0) == 0x80)
		i--;
	if (((unsigned char)s[i] & 0xc0) == 0x80)
		return n;
	return i;
}

bool http_req_copy_str(char *dst, size_t cap, const char *src, size_t len)
{
	const char *nul = len ? memchr(src, '\0', len) : NULL;
	size_t n = nul ? (size_t)(nul - src) : len;
	bool cut = nul != NULL;

	if (!cap)
		return len != 0;
	if (n > cap - 1) {
		n = utf8_cut(src, cap - 1);
		cut = true;
	}
	if (n)
		memcpy(dst, src, n);
	dst[n] = '\0';
	return cut;
}

void http_req_copy(struct http_request *req, char *dst, size_t cap, const char *src, size_t len)
{
	if (http_req_copy_str(dst, cap, src, len))
		req->truncated = true;
}

static size_t span_until(const char *s, size_t len, const char *stops)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] && strchr(stops, s[i]))
			break;
	return i;
}

/* Length of "scheme://" at the start of s (RFC 3986 scheme), or 0. */
static size_t scheme_prefix(const char *s, size_t len)
{
	size_t i;

	if (!len || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
		return 0;
	for (i = 1; i < len; i++) {
		char c = s[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '+' || c == '-' || c == '.')
			continue;
		break;
	}
	if (len - i < 3 || memcmp(s + i, "://", 3))
		return 0;
	return i + 3;
}

void http_req_set_target(struct http_request *req, const char *target, size_t len,
			 const char **authority, size_t *authority_len)
{
	size_t skip = scheme_prefix(target, len), alen = 0, plen;

	*authority = NULL;
	*authority_len = 0;
	if (skip || (len && target[0] != '/' && target[0] != '*')) {
		/* absolute form "http://a/p" or authority form "host:443" (CONNECT) */
		alen = span_until(target + skip, len - skip, "/?#");
		*authority = target + skip;
		*authority_len = alen;
	}
	target += skip + alen;
	len -= skip + alen;
	plen = span_until(target, len, "?#");
	req->path_had_query = plen < len && target[plen] == '?';
	if (!plen && skip)
		http_req_copy(req, req->path, sizeof(req->path), "/", 1);
	else if (http_redact_path(target, plen, req->path, sizeof(req->path),
				  &req->path_had_params))
		req->truncated = true;
}

void http_req_set_host(struct http_request *req, const char *authority, size_t len)
{
	const char *at;

	if (req->host[0])
		return;
	while ((at = memchr(authority, '@', len))) {
		len -= (size_t)(at + 1 - authority);
		authority = at + 1;
	}
	http_req_copy(req, req->host, sizeof(req->host), authority, len);
}

static bool name_is(const char *name, size_t name_len, const char *lit)
{
	size_t n = strlen(lit);

	return name_len == n && !strncasecmp(name, lit, n);
}

static void trim(const char **s, size_t *len)
{
	while (*len && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*len)--;
	}
	while (*len && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t'))
		(*len)--;
}

static void add_key(struct http_request *req, const char *name, const char *value, size_t len)
{
	size_t i;

	if (req->n_keys >= HTTP_REQ_MAX_KEYS) {
		req->keys_truncated = true; /* nothing was cut: "truncated" is not said */
		return;
	}
	for (i = 0; name[i] && i < sizeof(req->keys[0].header) - 1; i++)
		req->keys[req->n_keys].header[i] = name[i];
	req->keys[req->n_keys].value = value;
	req->keys[req->n_keys].value_len = len;
	req->n_keys++;
}

static const char *key_header(const char *name, size_t name_len)
{
	size_t i;

	for (i = 0; i < sizeof(key_headers) / sizeof(key_headers[0]); i++)
		if (name_is(name, name_len, key_headers[i]))
			return key_headers[i];
	return NULL;
}

bool http_req_header_is_span(const char *name, size_t name_len)
{
	return name_is(name, name_len, "authorization") ||
	       name_is(name, name_len, "proxy-authorization") || key_header(name, name_len);
}

void http_req_add_header(struct http_request *req, const char *name, size_t name_len,
			 const char *value, size_t value_len)
{
	const char *key;

	trim(&value, &value_len);
	if (name_is(name, name_len, "host")) {
		http_req_set_host(req, value, value_len);
	} else if (name_is(name, name_len, "user-agent")) {
		if (!req->user_agent[0] &&
		    http_redact_user_agent(value, value_len, req->user_agent,
					   sizeof(req->user_agent)))
			req->truncated = true;
	} else if (name_is(name, name_len, "traceparent")) {
		/* free text otherwise: only the W3C form is kept */
		if (!req->traceparent[0] && http_redact_traceparent_ok(value, value_len))
			http_req_copy(req, req->traceparent, sizeof(req->traceparent), value,
				      value_len);
	} else if (name_is(name, name_len, "authorization")) {
		if (!req->auth.scheme[0] && !req->auth.token)
			http_auth_parse(value, value_len, &req->auth);
	} else if (name_is(name, name_len, "proxy-authorization")) {
		if (!req->proxy_auth.scheme[0] && !req->proxy_auth.token)
			http_auth_parse(value, value_len, &req->proxy_auth);
	} else if ((key = key_header(name, name_len))) {
		add_key(req, key, value, value_len);
	}
}

static bool points_into(const char *p, const char *buf, size_t len)
{
	return p && (uintptr_t)p >= (uintptr_t)buf && (uintptr_t)p < (uintptr_t)(buf + len);
}

static void drop_auth_span(struct http_request *req, struct http_auth *a, const char *value,
			   size_t len)
{
	if (points_into(a->token, value, len)) {
		/* its start still tells a JWT's header or a token's prefix */
		a->cut_kind = http_auth_classify_cut(a->token, a->token_len);
		a->token = NULL;
		a->token_len = 0;
		a->token_cut = true;
		req->truncated = true;
	}
}

void http_req_drop_spans(struct http_request *req, const char *value, size_t len)
{
	int i;

	drop_auth_span(req, &req->auth, value, len);
	drop_auth_span(req, &req->proxy_auth, value, len);
	for (i = 0; i < req->n_keys; i++) {
		if (points_into(req->keys[i].value, value, len)) {
			req->keys[i].value = NULL;
			req->keys[i].value_len = 0;
			req->truncated = true;
		}
	}
}
