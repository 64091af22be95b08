/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* JWT claims, decoded without verification: facts about a token, never the token. */
#ifndef IDTRACE_JWT_H
#define IDTRACE_JWT_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#define JWT_MAX_LEN (64 * 1024)
#define JWT_MAX_ACT 8

struct jwt_act {
	char sub[256];
	char iss[256];
	char client_id[256];
};

struct jwt_claims {
	char iss[256], sub[256], aud[512] /* comma-joined when an array */, azp[256],
		client_id[256], scope[512], jti[128];
	long long exp, iat, nbf;
	bool has_exp, has_iat, has_nbf;
	char alg[32], kid[128], typ[32]; /* from the header */
	int n_act;                        /* RFC 8693 nested act chain, outermost first */
	struct jwt_act act[JWT_MAX_ACT];
	bool act_truncated;
	/* Kubernetes service-account tokens: the "kubernetes.io" claim, or the
	 * legacy flat "kubernetes.io/serviceaccount/..." claims */
	char k8s_namespace[256], k8s_pod[256], k8s_pod_uid[64], k8s_serviceaccount[256],
		k8s_serviceaccount_uid[64];
};

/* Decode header and payload of a compact JWS (surrounding whitespace is
 * trimmed; the signature is ignored and never copied). Returns 0; -EINVAL
 * when it is not a JWT or a part is malformed (what was parsed stays in
 * *out); -E2BIG when longer than JWT_MAX_LEN. Pure. */
int jwt_decode(const char *tok, size_t len, struct jwt_claims *out);
/* True when s[0..len) looks like a compact JWT: "eyJ", two dots, base64url. */
bool jwt_looks_like(const char *s, size_t len);
/* JSON object of the non-empty claims (iss, sub, aud, azp, client_id, scope,
 * exp, iat, nbf, jti, act [{sub, iss, client_id}] outermost first,
 * kubernetes {namespace, pod, serviceaccount}). Caller owns it. */
json_t *jwt_claims_to_json(const struct jwt_claims *c);

#endif
