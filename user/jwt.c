// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "b64.h"
#include "json_str.h"
#include "jwt.h"

static void trim(const char **s, size_t *len)
{
	while (*len && isspace((unsigned char)**s)) {
		(*s)++;
		(*len)--;
	}
	while (*len && isspace((unsigned char)(*s)[*len - 1]))
		(*len)--;
}

static bool b64url_char(char c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '_' || c == '=';
}

bool jwt_looks_like(const char *s, size_t len)
{
	int dots = 0;

	trim(&s, &len);
	if (len < 10 || len > JWT_MAX_LEN || memcmp(s, "eyJ", 3))
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '.')
			dots++;
		else if (!b64url_char(s[i]))
			return false;
	}
	return dots == 2;
}

static void copy(char *dst, size_t cap, json_t *v)
{
	if (json_is_string(v))
		snprintf(dst, cap, "%s", json_string_value(v));
}

static void copy_int(long long *dst, bool *has, json_t *v)
{
	if (json_is_integer(v)) {
		*dst = json_integer_value(v);
		*has = true;
	} else if (json_is_real(v)) {
		*dst = (long long)json_real_value(v);
		*has = true;
	}
}

/* aud may be a string or an array of strings: join with ','. */
static void copy_aud(char *dst, size_t cap, json_t *v)
{
	size_t i, used = 0;
	json_t *e;

	if (json_is_string(v)) {
		copy(dst, cap, v);
		return;
	}
	if (!json_is_array(v))
		return;
	json_array_foreach(v, i, e) {
		int n;

		if (!json_is_string(e))
			continue;
		n = snprintf(dst + used, cap - used, "%s%s", used ? "," : "", json_string_value(e));
		if (n < 0 || (size_t)n >= cap - used)
			break;
		used += n;
	}
}

static void parse_act(struct jwt_claims *c, json_t *act)
{
	/* act nests: {"sub": outer actor, "act": {"sub": the one before...}} */
	while (json_is_object(act)) {
		struct jwt_act *a;

		if (c->n_act == JWT_MAX_ACT) {
			c->act_truncated = true;
			return;
		}
		a = &c->act[c->n_act++];
		copy(a->sub, sizeof(a->sub), json_object_get(act, "sub"));
		copy(a->iss, sizeof(a->iss), json_object_get(act, "iss"));
		copy(a->client_id, sizeof(a->client_id), json_object_get(act, "client_id"));
		act = json_object_get(act, "act");
	}
}

static void parse_k8s(struct jwt_claims *c, json_t *payload)
{
	json_t *k = json_object_get(payload, "kubernetes.io");

	if (json_is_object(k)) {
		json_t *pod = json_object_get(k, "pod"), *sa = json_object_get(k, "serviceaccount");

		copy(c->k8s_namespace, sizeof(c->k8s_namespace), json_object_get(k, "namespace"));
		copy(c->k8s_pod, sizeof(c->k8s_pod), json_object_get(pod, "name"));
		copy(c->k8s_pod_uid, sizeof(c->k8s_pod_uid), json_object_get(pod, "uid"));
		copy(c->k8s_serviceaccount, sizeof(c->k8s_serviceaccount), json_object_get(sa, "name"));
		copy(c->k8s_serviceaccount_uid, sizeof(c->k8s_serviceaccount_uid),
		     json_object_get(sa, "uid"));
		return;
	}
	/* legacy secret-based tokens */
	copy(c->k8s_namespace, sizeof(c->k8s_namespace),
	     json_object_get(payload, "kubernetes.io/serviceaccount/namespace"));
	copy(c->k8s_serviceaccount, sizeof(c->k8s_serviceaccount),
	     json_object_get(payload, "kubernetes.io/serviceaccount/service-account.name"));
	copy(c->k8s_serviceaccount_uid, sizeof(c->k8s_serviceaccount_uid),
	     json_object_get(payload, "kubernetes.io/serviceaccount/service-account.uid"));
}

/* base64url-decode part and parse it as a JSON object. NULL if it is not. */
static json_t *decode_part(const char *p, size_t len)
{
	unsigned char *buf = malloc(len + 1);
	size_t n;
	json_t *j = NULL;

	if (!buf)
		return NULL;
	if (b64_decode(p, len, true, buf, len + 1, &n) == 0)
		j = json_loadb((const char *)buf, n, JSON_REJECT_DUPLICATES, NULL);
	free(buf);
	if (j && !json_is_object(j)) {
		json_decref(j);
		j = NULL;
	}
	return j;
}

int jwt_decode(const char *tok, size_t len, struct jwt_claims *out)
{
	const char *d1, *d2;
	json_t *hdr, *payload;

	memset(out, 0, sizeof(*out));
	if (!tok)
		return -EINVAL;
	trim(&tok, &len);
	if (len > JWT_MAX_LEN)
		return -E2BIG;
	d1 = memchr(tok, '.', len);
	d2 = d1 ? memchr(d1 + 1, '.', tok + len - d1 - 1) : NULL;
	if (!d1 || !d2 || memchr(d2 + 1, '.', tok + len - d2 - 1))
		return -EINVAL;
	hdr = decode_part(tok, d1 - tok);
	if (hdr) {
		copy(out->alg, sizeof(out->alg), json_object_get(hdr, "alg"));
		copy(out->kid, sizeof(out->kid), json_object_get(hdr, "kid"));
		copy(out->typ, sizeof(out->typ), json_object_get(hdr, "typ"));
		json_decref(hdr);
	}
	payload = decode_part(d1 + 1, d2 - d1 - 1);
	if (!hdr || !payload) {
		json_decref(payload);
		return -EINVAL;
	}
	copy(out->iss, sizeof(out->iss), json_object_get(payload, "iss"));
	copy(out->sub, sizeof(out->sub), json_object_get(payload, "sub"));
	copy_aud(out->aud, sizeof(out->aud), json_object_get(payload, "aud"));
	copy(out->azp, sizeof(out->azp), json_object_get(payload, "azp"));
	copy(out->client_id, sizeof(out->client_id), json_object_get(payload, "client_id"));
	copy(out->scope, sizeof(out->scope), json_object_get(payload, "scope"));
	if (!out->scope[0])
		copy(out->scope, sizeof(out->scope), json_object_get(payload, "scp"));
	copy(out->jti, sizeof(out->jti), json_object_get(payload, "jti"));
	copy_int(&out->exp, &out->has_exp, json_object_get(payload, "exp"));
	copy_int(&out->iat, &out->has_iat, json_object_get(payload, "iat"));
	copy_int(&out->nbf, &out->has_nbf, json_object_get(payload, "nbf"));
	parse_act(out, json_object_get(payload, "act"));
	parse_k8s(out, payload);
	json_decref(payload);
	return 0;
}

static void set(json_t *o, const char *key, const char *val)
{
	if (val[0])
		json_object_set_new(o, key, json_str_bytes(val, strlen(val), 1024, NULL));
}

json_t *jwt_claims_to_json(const struct jwt_claims *c)
{
	json_t *o = json_object();

	set(o, "iss", c->iss);
	set(o, "sub", c->sub);
	set(o, "aud", c->aud);
	set(o, "azp", c->azp);
	set(o, "client_id", c->client_id);
	set(o, "scope", c->scope);
	set(o, "jti", c->jti);
	if (c->has_exp)
		json_object_set_new(o, "exp", json_integer(c->exp));
	if (c->has_iat)
		json_object_set_new(o, "iat", json_integer(c->iat));
	if (c->has_nbf)
		json_object_set_new(o, "nbf", json_integer(c->nbf));
	if (c->n_act) {
		json_t *arr = json_array();

		for (int i = 0; i < c->n_act; i++) {
			json_t *a = json_object();

			set(a, "sub", c->act[i].sub);
			set(a, "iss", c->act[i].iss);
			set(a, "client_id", c->act[i].client_id);
			json_array_append_new(arr, a);
		}
		json_object_set_new(o, "act", arr);
		if (c->act_truncated)
			json_object_set_new(o, "act_truncated", json_true());
	}
	if (c->k8s_namespace[0] || c->k8s_serviceaccount[0]) {
		json_t *k = json_object();

		set(k, "namespace", c->k8s_namespace);
		set(k, "pod", c->k8s_pod);
		set(k, "serviceaccount", c->k8s_serviceaccount);
		json_object_set_new(o, "kubernetes", k);
	}
	return o;
}
