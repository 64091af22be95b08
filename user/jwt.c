// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "b64.h"
#include "json_str.h"
#include "jwt.h"

#define JWT_PARTS 3

struct jwt_parts {
	const char *p[JWT_PARTS];
	size_t n[JWT_PARTS];
};

static bool jwt_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static void jwt_trim(const char **s, size_t *len)
{
	while (*len && jwt_is_space(**s)) {
		(*s)++;
		(*len)--;
	}
	while (*len && jwt_is_space((*s)[*len - 1]))
		(*len)--;
}

static bool jwt_b64url_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

/* True when s[0..n) is unpadded base64url of a length that can be decoded. */
static bool jwt_b64url_span(const char *s, size_t n)
{
	size_t i;

	if (n % 4 == 1)
		return false;
	for (i = 0; i < n; i++)
		if (!jwt_b64url_char((unsigned char)s[i]))
			return false;
	return true;
}

/* Split at the dots: exactly three parts, header and payload non-empty. */
static int jwt_split(const char *s, size_t len, struct jwt_parts *parts)
{
	size_t i, start = 0;
	int k = 0;

	for (i = 0; i < len; i++) {
		if (s[i] != '.')
			continue;
		if (k == JWT_PARTS - 1)
			return -EINVAL;
		parts->p[k] = s + start;
		parts->n[k++] = i - start;
		start = i + 1;
	}
	if (k != JWT_PARTS - 1)
		return -EINVAL;
	parts->p[k] = s + start;
	parts->n[k] = len - start;
	if (!parts->n[0] || !parts->n[1])
		return -EINVAL;
	return 0;
}

/* Decode one base64url part into a JSON object (*obj, owned by the caller). */
static int jwt_part_json(const char *p, size_t n, json_t **obj)
{
	size_t cap = B64_DECODED_MAX(n), raw_len;
	json_t *text = NULL;
	json_error_t jerr;
	unsigned char *raw;
	int err;

	*obj = NULL;
	if (!jwt_b64url_span(p, n))
		return -EINVAL;
	raw = malloc(cap ? cap : 1);
	if (!raw)
		return -ENOMEM;
	err = b64_decode(p, n, true, raw, cap, &raw_len);
	if (err)
		goto out;
	/* jansson refuses a document with invalid UTF-8: read such bytes as U+FFFD. */
	text = json_str_bytes((const char *)raw, raw_len, SIZE_MAX, NULL);
	if (!text) {
		err = -ENOMEM;
		goto out;
	}
	*obj = json_loadb(json_string_value(text), json_string_length(text), JSON_ALLOW_NUL,
			  &jerr);
	/* jansson refuses an integer past 64 bits ("exp":99999999999999999999), which
	 * would hide every claim: read numbers as reals then (such a time is dropped) */
	if (!*obj && json_error_code(&jerr) == json_error_numeric_overflow)
		*obj = json_loadb(json_string_value(text), json_string_length(text),
				  JSON_ALLOW_NUL | JSON_DECODE_INT_AS_REAL, &jerr);
	if (!json_is_object(*obj)) {
		json_decref(*obj);
		*obj = NULL;
		err = -EINVAL;
	}
out:
	json_decref(text);
	free(raw);
	return err;
}

/* Copy len bytes of UTF-8 into dst (size n > 0), cut at a character boundary, NUL as '?'. */
static void jwt_copy(char *dst, size_t n, const char *s, size_t len)
{
	size_t k = len < n - 1 ? len : n - 1, i;

	if (k < len)
		while (k > 0 && ((unsigned char)s[k] & 0xc0) == 0x80)
			k--;
	for (i = 0; i < k; i++)
		dst[i] = s[i] ? s[i] : '?';
	dst[k] = '\0';
}

/* Append sep (unless dst is empty) and a string to dst (size n), bounded. */
static void jwt_append(char *dst, size_t n, char sep, json_t *v)
{
	size_t used = strlen(dst);

	if (used && used + 2 >= n)
		return;
	if (used)
		dst[used++] = sep;
	jwt_copy(dst + used, n - used, json_string_value(v), json_string_length(v));
}

/* dst = v when v is a string; an array of strings is joined with sep (when sep is set). */
static void jwt_set(char *dst, size_t n, json_t *v, char sep)
{
	json_t *e;
	size_t i;

	if (json_is_string(v)) {
		jwt_copy(dst, n, json_string_value(v), json_string_length(v));
		return;
	}
	if (!sep || !json_is_array(v))
		return;
	dst[0] = '\0';
	json_array_foreach(v, i, e)
		if (json_is_string(e))
			jwt_append(dst, n, sep, e);
}

#define JWT_STR(obj, key, field) jwt_set(field, sizeof(field), json_object_get(obj, key), 0)

/* A NumericDate: an integer, or a finite real (truncated) in the long long range. */
static bool jwt_time(json_t *obj, const char *key, long long *t)
{
	json_t *v = json_object_get(obj, key);
	double d;

	if (json_is_integer(v)) {
		*t = json_integer_value(v);
		return true;
	}
	if (!json_is_real(v))
		return false;
	d = json_real_value(v);
	if (!isfinite(d) || d <= -9.2e18 || d >= 9.2e18)
		return false;
	*t = (long long)d;
	return true;
}

static void jwt_header(json_t *h, struct jwt_claims *c)
{
	JWT_STR(h, "alg", c->alg);
	JWT_STR(h, "kid", c->kid);
	JWT_STR(h, "typ", c->typ);
}

static void jwt_act(json_t *p, struct jwt_claims *c)
{
	json_t *a = json_object_get(p, "act");

	for (; json_is_object(a); a = json_object_get(a, "act")) {
		if (c->n_act == JWT_MAX_ACT) {
			c->act_truncated = true;
			return;
		}
		JWT_STR(a, "sub", c->act[c->n_act].sub);
		JWT_STR(a, "iss", c->act[c->n_act].iss);
		JWT_STR(a, "client_id", c->act[c->n_act].client_id);
		c->n_act++;
	}
}

#define K8S_LEGACY "kubernetes.io/serviceaccount/"

static void jwt_k8s(json_t *p, struct jwt_claims *c)
{
	json_t *k = json_object_get(p, "kubernetes.io");
	json_t *pod = json_object_get(k, "pod"), *sa = json_object_get(k, "serviceaccount");

	if (json_is_object(k))
		JWT_STR(k, "namespace", c->k8s_namespace);
	if (json_is_object(pod)) {
		JWT_STR(pod, "name", c->k8s_pod);
		JWT_STR(pod, "uid", c->k8s_pod_uid);
	}
	if (json_is_object(sa)) {
		JWT_STR(sa, "name", c->k8s_serviceaccount);
		JWT_STR(sa, "uid", c->k8s_serviceaccount_uid);
	}
	if (!c->k8s_namespace[0])
		JWT_STR(p, K8S_LEGACY "namespace", c->k8s_namespace);
	if (!c->k8s_serviceaccount[0])
		JWT_STR(p, K8S_LEGACY "service-account.name", c->k8s_serviceaccount);
	if (!c->k8s_serviceaccount_uid[0])
		JWT_STR(p, K8S_LEGACY "service-account.uid", c->k8s_serviceaccount_uid);
}

static void jwt_payload(json_t *p, struct jwt_claims *c)
{
	json_t *scope = json_object_get(p, "scope");

	JWT_STR(p, "iss", c->iss);
	JWT_STR(p, "sub", c->sub);
	jwt_set(c->aud, sizeof(c->aud), json_object_get(p, "aud"), ',');
	JWT_STR(p, "azp", c->azp);
	JWT_STR(p, "client_id", c->client_id);
	if (!scope)
		scope = json_object_get(p, "scp");
	jwt_set(c->scope, sizeof(c->scope), scope, ' ');
	JWT_STR(p, "jti", c->jti);
	c->has_exp = jwt_time(p, "exp", &c->exp);
	c->has_iat = jwt_time(p, "iat", &c->iat);
	c->has_nbf = jwt_time(p, "nbf", &c->nbf);
	jwt_act(p, c);
	jwt_k8s(p, c);
}

int jwt_decode(const char *tok, size_t len, struct jwt_claims *out)
{
	json_t *header = NULL, *payload = NULL;
	struct jwt_parts parts;
	int err, perr;

	memset(out, 0, sizeof(*out));
	if (!tok)
		return -EINVAL;
	jwt_trim(&tok, &len);
	if (len > JWT_MAX_LEN)
		return -E2BIG;
	err = jwt_split(tok, len, &parts);
	if (err)
		return err;
	err = jwt_part_json(parts.p[0], parts.n[0], &header);
	if (header)
		jwt_header(header, out);
	perr = jwt_part_json(parts.p[1], parts.n[1], &payload);
	if (payload)
		jwt_payload(payload, out);
	if (!err)
		err = perr;
	if (!err && !jwt_b64url_span(parts.p[2], parts.n[2]))
		err = -EINVAL;
	json_decref(header);
	json_decref(payload);
	return err;
}

bool jwt_header_looks_like(const char *s, size_t len)
{
	const char *dot;
	json_t *header = NULL;
	bool alg;

	if (!s)
		return false;
	jwt_trim(&s, &len);
	if (len < 4 || memcmp(s, "eyJ", 3) || !(dot = memchr(s, '.', len)))
		return false;
	if (jwt_part_json(s, (size_t)(dot - s), &header))
		return false;
	alg = json_is_string(json_object_get(header, "alg"));
	json_decref(header);
	return alg;
}

bool jwt_looks_like(const char *s, size_t len)
{
	struct jwt_parts parts;
	int i;

	if (!s)
		return false;
	jwt_trim(&s, &len);
	if (len > JWT_MAX_LEN || len < 3 || memcmp(s, "eyJ", 3))
		return false;
	if (jwt_split(s, len, &parts))
		return false;
	for (i = 0; i < JWT_PARTS; i++)
		if (!jwt_b64url_span(parts.p[i], parts.n[i]))
			return false;
	return true;
}

/* o[key] = the string in field (size bytes, NUL-terminated or not) when non-empty. */
static int jwt_json_str(json_t *o, const char *key, const char *field, size_t size)
{
	size_t n = strnlen(field, size);
	json_t *v;

	if (!n)
		return 0;
	v = json_str_bytes(field, n, SIZE_MAX, NULL);
	if (!v || json_object_set_new(o, key, v))
		return -ENOMEM;
	return 0;
}

#define JWT_JSON_STR(o, key, field) jwt_json_str(o, key, field, sizeof(field))

static int jwt_json_act(json_t *o, const struct jwt_claims *c)
{
	int n = c->n_act < 0 ? 0 : c->n_act > JWT_MAX_ACT ? JWT_MAX_ACT : c->n_act, i, err = 0;
	json_t *arr, *a;

	if (!n)
		return 0;
	arr = json_array();
	if (!arr || json_object_set_new(o, "act", arr))
		return -ENOMEM;
	for (i = 0; i < n && !err; i++) {
		a = json_object();
		if (!a || json_array_append_new(arr, a))
			return -ENOMEM;
		err = JWT_JSON_STR(a, "sub", c->act[i].sub);
		err = err ?: JWT_JSON_STR(a, "iss", c->act[i].iss);
		err = err ?: JWT_JSON_STR(a, "client_id", c->act[i].client_id);
	}
	if (!err && c->act_truncated)
		err = json_object_set_new(o, "act_truncated", json_true()) ? -ENOMEM : 0;
	return err;
}

static int jwt_json_k8s(json_t *o, const struct jwt_claims *c)
{
	json_t *k = json_object();
	int err;

	if (!k)
		return -ENOMEM;
	err = JWT_JSON_STR(k, "namespace", c->k8s_namespace);
	err = err ?: JWT_JSON_STR(k, "pod", c->k8s_pod);
	err = err ?: JWT_JSON_STR(k, "pod_uid", c->k8s_pod_uid);
	err = err ?: JWT_JSON_STR(k, "serviceaccount", c->k8s_serviceaccount);
	err = err ?: JWT_JSON_STR(k, "serviceaccount_uid", c->k8s_serviceaccount_uid);
	if (err || !json_object_size(k)) {
		json_decref(k);
		return err;
	}
	return json_object_set_new(o, "kubernetes", k) ? -ENOMEM : 0;
}

static int jwt_json_time(json_t *o, const char *key, bool has, long long t)
{
	if (!has)
		return 0;
	return json_object_set_new(o, key, json_integer(t)) ? -ENOMEM : 0;
}

json_t *jwt_claims_to_json(const struct jwt_claims *c)
{
	json_t *o = json_object();
	int err;

	if (!o)
		return NULL;
	err = JWT_JSON_STR(o, "iss", c->iss);
	err = err ?: JWT_JSON_STR(o, "sub", c->sub);
	err = err ?: JWT_JSON_STR(o, "aud", c->aud);
	err = err ?: JWT_JSON_STR(o, "azp", c->azp);
	err = err ?: JWT_JSON_STR(o, "client_id", c->client_id);
	err = err ?: JWT_JSON_STR(o, "scope", c->scope);
	err = err ?: jwt_json_time(o, "exp", c->has_exp, c->exp);
	err = err ?: jwt_json_time(o, "iat", c->has_iat, c->iat);
	err = err ?: JWT_JSON_STR(o, "jti", c->jti);
	err = err ?: jwt_json_act(o, c);
	err = err ?: jwt_json_k8s(o, c);
	if (err) {
		json_decref(o);
		return NULL;
	}
	return o;
}
