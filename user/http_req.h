/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The request facts both HTTP parsers (http1.c, hpack.c) produce, and the
 * helpers they share to fill them.
 *
 * Secrets (Authorization credentials, API keys) are never copied into the char
 * arrays: they are exposed as (pointer, length) spans so the caller can
 * fingerprint them. A span points into a buffer owned by whoever produced the
 * struct; for both parsers it is valid only while their callback runs (see
 * http1.h and hpack.h). A caller that needs the bytes later must use them
 * (fingerprint) inside the callback; copying the struct does not copy spans.
 */
#ifndef IDTRACE_HTTP_REQ_H
#define IDTRACE_HTTP_REQ_H

#include <stdbool.h>
#include <stddef.h>

#define HTTP_FIELD_MAX 256
#define HTTP_REQ_MAX_KEYS 8 /* each of the six names once, and room to spare */

struct http_auth {
	/* "Bearer", "Basic", "AWS4-HMAC-SHA256", other scheme as given, "" = none */
	char scheme[32];
	/* credential span (Bearer token, Basic blob, SigV4 Signature), NULL = none */
	const char *token;
	size_t token_len;	/* bytes at token; never copied into strings here */
	bool token_cut;		/* the credential was dropped: its header was cut */
	const char *cut_kind;	/* its kind from the bytes seen ("jwt", "github_pat", ...), or NULL */
	char basic_user[128];	/* Basic: user name only, never the password */
	char aws_access_key_id[32], aws_region[32], aws_service[64]; /* SigV4 Credential= scope */
};

struct http_request {
	char version[16];	/* "HTTP/1.1", "HTTP/1.0", "HTTP/2" */
	char method[16];
	char host[HTTP_FIELD_MAX];	/* Host header or :authority, user info dropped */
	char path[1024];	/* query, fragment, ;params REMOVED; secret segments REDACTED */
	bool path_had_query;
	bool path_had_params;	/* ";name=value" matrix parameters were removed */
	char user_agent[HTTP_FIELD_MAX];	/* secret-looking words REDACTED */
	char traceparent[64];	/* only a well-formed W3C traceparent */
	struct http_auth auth;
	struct http_auth proxy_auth;	/* Proxy-Authorization: a CONNECT sent to an HTTPS proxy */
	/* API-key style headers: x-api-key, api-key, private-token, x-auth-token,
	 * job-token, x-vault-token */
	int n_keys;
	bool keys_truncated;	/* more of them than HTTP_REQ_MAX_KEYS: the rest not kept */
	struct {
		char header[32];	/* lower-case header name */
		const char *value;	/* span, lifetime as auth.token; NULL if not kept */
		size_t value_len;
	} keys[HTTP_REQ_MAX_KEYS];
	bool truncated;	/* a field was cut, a header dropped, or the head was too large */
	/* an HTTP/2 request on a connection joined after its start: its header
	 * block could not be decoded (no field above is known) */
	bool headers_unknown;
};

/* Reset req to an empty request of the given version ("HTTP/2"; "" if unknown). */
void http_req_init(struct http_request *req, const char *version);

/* Copy len bytes of src into dst[cap] NUL-terminated, stopping at a NUL byte; a cut backs off to a
 * UTF-8 boundary. Returns true when bytes were dropped. */
bool http_req_copy_str(char *dst, size_t cap, const char *src, size_t len);

/* http_req_copy_str that sets req->truncated when bytes were dropped. */
void http_req_copy(struct http_request *req, char *dst, size_t cap, const char *src, size_t len);

/* Set req->path from a request target (origin, absolute, asterisk or authority form) without its
 * query, fragment or matrix parameters, secret segments redacted (http_redact.h); sets
 * path_had_query and path_had_params. Returns the target's authority span (absolute or
 * authority form, still with any user info) in *authority / *authority_len, or NULL / 0. */
void http_req_set_target(struct http_request *req, const char *target, size_t len,
			 const char **authority, size_t *authority_len);

/* Set req->host from an authority ("user:pw@host:port" keeps "host:port") unless already set. */
void http_req_set_host(struct http_request *req, const char *authority, size_t len);

/* Apply one request header (name case-insensitive; value without its line end). Host, User-Agent,
 * traceparent (first one wins), Authorization and Proxy-Authorization (the first of each, parsed
 * by http_auth_parse) and API-key headers; others are ignored. Spans in req point into value,
 * which the caller keeps alive. */
void http_req_add_header(struct http_request *req, const char *name, size_t name_len,
			 const char *value, size_t value_len);

/* True when http_req_add_header keeps a span into this header's value (Authorization,
 * Proxy-Authorization, API keys). */
bool http_req_header_is_span(const char *name, size_t name_len);

/* A header value (len bytes at value) given to http_req_add_header was cut or cannot be kept:
 * keep its facts (scheme, header name), drop the spans into it, mark the request truncated and
 * the Authorization (or Proxy-Authorization) credential cut. */
void http_req_drop_spans(struct http_request *req, const char *value, size_t len);

#endif /* IDTRACE_HTTP_REQ_H */
