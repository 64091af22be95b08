/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Claims of a compact JWS (RFC 7515/7519), decoded but NOT verified.
 *
 * Rules:
 * - Surrounding whitespace (a token file's newline) is trimmed, then the token must be
 *   exactly three dot-separated parts of unpadded base64url characters, header and payload
 *   non-empty. The signature is checked for its characters only and is never decoded or
 *   copied. A JWE (five parts) is not a JWT here.
 * - Header and payload must each be a JSON object. Bytes that are not UTF-8 are read as
 *   U+FFFD, so a token with a stray byte still yields its claims. Header and payload are
 *   decoded independently: when one is malformed the other still fills *out.
 * - String claims are copied bounded, cut at a UTF-8 character boundary. A claim of the
 *   wrong JSON type is ignored. "aud" as an array is joined with ','; "scope" falls back to
 *   "scp" (Azure AD, Okta), and an array scope is joined with ' '. exp/iat/nbf take
 *   integers or finite reals (truncated) in the long long range.
 * - "act" (RFC 8693) is followed inwards, outermost (current actor) first, at most
 *   JWT_MAX_ACT deep; act_truncated says a deeper one was dropped.
 * - Kubernetes: the projected-token "kubernetes.io" object wins; legacy secret-token flat
 *   claims ("kubernetes.io/serviceaccount/namespace", ".../service-account.name",
 *   ".../service-account.uid") fill what it left empty.
 */
#ifndef IDTRACE_JWT_H
#define IDTRACE_JWT_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#define JWT_MAX_LEN (64 * 1024) /* bytes, after trimming */
#define JWT_MAX_ACT 8

struct jwt_claims {
	char iss[256], sub[256], aud[512] /* comma-joined when an array */, azp[256];
	char client_id[256], scope[512], jti[128];
	long long exp, iat, nbf; /* s since the epoch; 0 when absent */
	bool has_exp, has_iat, has_nbf;
	char alg[32], kid[128], typ[32]; /* from the header */
	int n_act;			 /* RFC 8693 nested act chain, outermost first */
	struct {
		char sub[256];
		char iss[256];
		char client_id[256];
	} act[JWT_MAX_ACT];
	bool act_truncated;
	/* Kubernetes service-account tokens: the "kubernetes.io" claim (and legacy
	 * "kubernetes.io/serviceaccount/..." flat claims) */
	char k8s_namespace[256], k8s_pod[256], k8s_pod_uid[64], k8s_serviceaccount[256];
	char k8s_serviceaccount_uid[64];
};

/* Decode header and payload of a compact JWS (three base64url parts, signature ignored) into
 * *out, which is zeroed first. Returns 0, -EINVAL when it is not a JWT or a part is malformed
 * (what was parsed stays in *out), -E2BIG when the token is longer than JWT_MAX_LEN, -ENOMEM.
 * Pure; never copies the signature. */
int jwt_decode(const char *tok, size_t len, struct jwt_claims *out);

/* True when s[0..len), whitespace trimmed, looks like a compact JWT: "eyJ...", two dots,
 * unpadded base64url parts, header and payload non-empty, at most JWT_MAX_LEN. */
bool jwt_looks_like(const char *s, size_t len);
/* True when s[0..len), a token cut short, starts with a JWT's header: "eyJ", a base64url part
 * that decodes to a JSON object with a string "alg", then '.'. */
bool jwt_header_looks_like(const char *s, size_t len);

/* New JSON object of the non-empty claims: iss, sub, aud, azp, client_id, scope, exp, iat, jti,
 * act (array of {sub, iss, client_id}, outermost first; act_truncated: true when cut),
 * kubernetes {namespace, pod, pod_uid, serviceaccount, serviceaccount_uid}. Invalid UTF-8
 * becomes U+FFFD. Caller owns the reference; NULL on ENOMEM. */
json_t *jwt_claims_to_json(const struct jwt_claims *c);

#endif
