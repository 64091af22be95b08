/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Authorization header values: scheme, credential span, the non-secret facts
 * (Basic user name, SigV4 access key id and scope), and the credential's kind.
 * JWT claims are decoded elsewhere (jwt.c); here a JWT is only recognised.
 */
#ifndef IDTRACE_HTTP_AUTH_H
#define IDTRACE_HTTP_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "http_req.h"

/* Parse an Authorization value (len bytes, not NUL-terminated) into *out, which is reset first.
 * out->token points into value (the caller keeps value alive while it uses the span): the Bearer
 * or other-scheme credential, the Basic base64 blob, the SigV4 Signature; a value without a
 * recognisable scheme is all token and scheme "". Basic keeps only the user name, and not even
 * that when it looks like a token (a known token kind, 20+ bytes with an empty password, or any
 * user with GitHub's fixed password "x-oauth-basic"). */
void http_auth_parse(const char *value, size_t len, struct http_auth *out);

/* Kind of a credential: "jwt", "github_pat", "github_oauth", "github_user_to_server",
 * "github_server_to_server", "github_refresh", "github_fine_grained_pat", "gitlab_pat", "slack",
 * "aws_sigv4", "basic" or "opaque". token is a bare credential or a whole Authorization value
 * (a "Bearer "-style scheme is skipped; "Basic ..." and "AWS4-HMAC-SHA256 ..." name their kind).
 * Returns a static string. */
const char *http_auth_classify(const char *token, size_t len);

/* Kind of a parsed credential: "basic" and "aws_sigv4" by scheme, else by token (by cut_kind
 * when the token was dropped). Static string. */
const char *http_auth_kind(const struct http_auth *auth);
/* Kind of the first len bytes of a credential cut short (longer than the capture): "jwt" when
 * they start with a JWT's header (a JSON object with "alg") and its '.', a prefix kind
 * ("github_pat", "gitlab_pat", ...) when its prefix and enough of its body are there; else
 * NULL. Static string. */
const char *http_auth_classify_cut(const char *s, size_t len);
/* Which half of a "user:password" login is the secret (user, ulen; pass, plen): the user name
 * when it is a known token kind (a token as the user name), when the password is empty ("key:"
 * style) or GitHub's fixed "x-oauth-basic"; else the password. Sets *secret, *n to it. Returns
 * its kind: a token kind (as for Bearer: "github_pat", "gitlab_pat", "slack", ...) when it has
 * one, else "basic". Static string. */
const char *http_auth_login_secret(const char *user, size_t ulen, const char *pass, size_t plen,
				   const char **secret, size_t *n);

/* The secret of a Basic credential, base64 "user:password" (len bytes at b64):
 * decoded into buf (cap bytes; the caller wipes it), *secret as
 * http_auth_login_secret chooses it, and *kind (when kind is not NULL) its kind.
 * False when b64 is not that. What a Basic login sends and what a .netrc,
 * .git-credentials, docker or .pypirc file holds are fingerprinted alike. */
bool http_auth_basic_secret(const char *b64, size_t len, unsigned char *buf, size_t cap,
			    const unsigned char **secret, size_t *n, const char **kind);

#endif /* IDTRACE_HTTP_AUTH_H */
