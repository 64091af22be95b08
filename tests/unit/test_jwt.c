// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "jwt.h"

#define FFFD "\xef\xbf\xbd"
#define HDR "{\"alg\":\"RS256\",\"kid\":\"key-1\",\"typ\":\"JWT\"}"

/* Test-local unpadded base64url encoder; caller frees. */
static char *b64url(const char *in, size_t len)
{
	static const char abc[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	const unsigned char *s = (const unsigned char *)in;
	char *out = malloc(len / 3 * 4 + 4), *o = out;
	size_t i;

	assert_non_null(out);
	for (i = 0; i + 2 < len; i += 3) {
		unsigned int v = s[i] << 16 | s[i + 1] << 8 | s[i + 2];

		*o++ = abc[v >> 18 & 63];
		*o++ = abc[v >> 12 & 63];
		*o++ = abc[v >> 6 & 63];
		*o++ = abc[v & 63];
	}
	if (len - i == 1) {
		*o++ = abc[s[i] >> 2];
		*o++ = abc[(s[i] & 3) << 4];
	} else if (len - i == 2) {
		*o++ = abc[s[i] >> 2];
		*o++ = abc[(s[i] & 3) << 4 | s[i + 1] >> 4];
		*o++ = abc[(s[i + 1] & 15) << 2];
	}
	*o = '\0';
	return out;
}

/* header.payload.sig with both JSON texts encoded (len given, for embedded bytes). */
static char *token_n(const char *hdr, const char *payload, size_t plen, const char *sig)
{
	char *h = b64url(hdr, strlen(hdr)), *p = b64url(payload, plen), *t;

	assert_true(asprintf(&t, "%s.%s.%s", h, p, sig) > 0);
	free(h);
	free(p);
	return t;
}

static char *token(const char *hdr, const char *payload)
{
	return token_n(hdr, payload, strlen(payload), "c2lnbmF0dXJl");
}

/* jwt_decode from an exactly-sized heap copy, so ASan sees any read past len. */
static int decode(const char *tok, size_t len, struct jwt_claims *c)
{
	char *copy = malloc(len ? len : 1);
	int err;

	assert_non_null(copy);
	memcpy(copy, tok, len);
	err = jwt_decode(copy, len, c);
	free(copy);
	return err;
}

static int decode_str(const char *tok, struct jwt_claims *c)
{
	return decode(tok, strlen(tok), c);
}

static struct jwt_claims *claims_new(void)
{
	struct jwt_claims *c = malloc(sizeof(*c));

	assert_non_null(c);
	memset(c, 0x5a, sizeof(*c)); /* jwt_decode must reset it */
	return c;
}

/* Compact JSON text of the claims; caller frees. */
static char *claims_dump(const struct jwt_claims *c)
{
	json_t *j = jwt_claims_to_json(c);
	char *s;

	assert_non_null(j);
	s = json_dumps(j, JSON_COMPACT);
	assert_non_null(s);
	json_decref(j);
	return s;
}

static void test_valid(void **state)
{
	struct jwt_claims *c = claims_new();
	char *t = token(HDR, "{\"iss\":\"https://issuer.example\",\"sub\":\"user-42\","
			     "\"aud\":\"api://orders\",\"azp\":\"web-app\",\"client_id\":\"cid-7\","
			     "\"scope\":\"read write\",\"exp\":4102444800,\"iat\":1700000000,"
			     "\"nbf\":1700000001,\"jti\":\"id-123\",\"email\":\"x@example.com\"}");
	char *s;

	assert_true(jwt_looks_like(t, strlen(t)));
	assert_int_equal(decode_str(t, c), 0);
	assert_string_equal(c->alg, "RS256");
	assert_string_equal(c->kid, "key-1");
	assert_string_equal(c->typ, "JWT");
	assert_string_equal(c->iss, "https://issuer.example");
	assert_string_equal(c->sub, "user-42");
	assert_string_equal(c->aud, "api://orders");
	assert_string_equal(c->azp, "web-app");
	assert_string_equal(c->client_id, "cid-7");
	assert_string_equal(c->scope, "read write");
	assert_string_equal(c->jti, "id-123");
	assert_true(c->has_exp && c->has_iat && c->has_nbf);
	assert_int_equal(c->exp, 4102444800LL);
	assert_int_equal(c->iat, 1700000000LL);
	assert_int_equal(c->nbf, 1700000001LL);
	assert_int_equal(c->n_act, 0);
	assert_false(c->act_truncated);
	assert_string_equal(c->k8s_namespace, "");
	s = claims_dump(c);
	assert_string_equal(s, "{\"iss\":\"https://issuer.example\",\"sub\":\"user-42\","
			       "\"aud\":\"api://orders\",\"azp\":\"web-app\","
			       "\"client_id\":\"cid-7\",\"scope\":\"read write\","
			       "\"exp\":4102444800,\"iat\":1700000000,\"jti\":\"id-123\"}");
	free(s);
	free(t);
	free(c);
}

/* A token file: surrounding whitespace and a trailing newline are trimmed. */
static void test_whitespace_trimmed(void **state)
{
	struct jwt_claims *c = claims_new();
	char *t = token(HDR, "{\"sub\":\"s\"}"), *f;

	assert_true(asprintf(&f, " \t\r\n%s\r\n\n", t) > 0);
	assert_int_equal(decode_str(f, c), 0);
	assert_string_equal(c->sub, "s");
	assert_true(jwt_looks_like(f, strlen(f)));
	assert_int_equal(decode_str("  \n\t ", c), -EINVAL);
	free(f);
	free(t);
	free(c);
}

static void test_nested_act(void **state)
{
	struct jwt_claims *c = claims_new();
	char *t = token(HDR, "{\"sub\":\"alice\",\"act\":{\"sub\":\"agent\",\"client_id\":\"ai-1\","
			     "\"act\":{\"sub\":\"svc-ci\",\"iss\":\"https://ci.example\","
			     "\"act\":{\"sub\":\"bob\",\"iss\":\"https://idp.example\"}}}}");
	char *s;

	assert_int_equal(decode_str(t, c), 0);
	assert_string_equal(c->sub, "alice");
	assert_int_equal(c->n_act, 3);
	assert_false(c->act_truncated);
	assert_string_equal(c->act[0].sub, "agent");
	assert_string_equal(c->act[0].client_id, "ai-1");
	assert_string_equal(c->act[0].iss, "");
	assert_string_equal(c->act[1].sub, "svc-ci");
	assert_string_equal(c->act[1].iss, "https://ci.example");
	assert_string_equal(c->act[2].sub, "bob");
	assert_string_equal(c->act[2].iss, "https://idp.example");
	s = claims_dump(c);
	assert_string_equal(s, "{\"sub\":\"alice\","
			       "\"act\":[{\"sub\":\"agent\",\"client_id\":\"ai-1\"},"
			       "{\"sub\":\"svc-ci\",\"iss\":\"https://ci.example\"},"
			       "{\"sub\":\"bob\",\"iss\":\"https://idp.example\"}]}");
	free(s);
	free(t);
	free(c);
}

static void test_act_truncated(void **state)
{
	struct jwt_claims *c = claims_new();
	char payload[1024] = "{\"sub\":\"root\"", *t, *s;
	int i;

	for (i = 0; i < 10; i++)
		sprintf(payload + strlen(payload), ",\"act\":{\"sub\":\"a%d\"", i);
	for (i = 0; i < 11; i++)
		strcat(payload, "}");
	t = token(HDR, payload);
	assert_int_equal(decode_str(t, c), 0);
	assert_int_equal(c->n_act, JWT_MAX_ACT);
	assert_true(c->act_truncated);
	assert_string_equal(c->act[0].sub, "a0");
	assert_string_equal(c->act[7].sub, "a7");
	s = claims_dump(c);
	assert_non_null(strstr(s, "{\"sub\":\"a7\"}],\"act_truncated\":true}"));
	free(s);
	free(t);

	/* An act that is not an object ends the chain. */
	t = token(HDR, "{\"act\":{\"sub\":\"x\",\"act\":\"y\"}}");
	assert_int_equal(decode_str(t, c), 0);
	assert_int_equal(c->n_act, 1);
	free(t);
	free(c);
}

static void test_aud_array_and_scp(void **state)
{
	struct jwt_claims *c = claims_new();
	char *t = token(HDR, "{\"aud\":[\"api-a\",\"api-b\",5,null,\"api-c\"],"
			     "\"scp\":[\"openid\",\"profile\"]}");
	char big[4096] = "{\"aud\":[", *s;
	size_t n;
	int i;

	assert_int_equal(decode_str(t, c), 0);
	assert_string_equal(c->aud, "api-a,api-b,api-c");
	assert_string_equal(c->scope, "openid profile");
	s = claims_dump(c);
	assert_string_equal(s, "{\"aud\":\"api-a,api-b,api-c\",\"scope\":\"openid profile\"}");
	free(s);
	free(t);

	/* "scope" wins over "scp"; a string scp is taken as is. */
	t = token(HDR, "{\"scope\":\"a b\",\"scp\":\"c\"}");
	assert_int_equal(decode_str(t, c), 0);
	assert_string_equal(c->scope, "a b");
	free(t);
	t = token(HDR, "{\"scp\":\"user.read mail.send\"}");
	assert_int_equal(decode_str(t, c), 0);
	assert_string_equal(c->scope, "user.read mail.send");
	free(t);

	/* 100 audiences of 20 bytes: bounded, whole ones first. */
	for (i = 0; i < 100; i++)
		sprintf(big + strlen(big), "%s\"audience-%010d\"", i ? "," : "", i);
	strcat(big, "]}");
	t = token(HDR, big);
	assert_int_equal(decode_str(t, c), 0);
	n = strlen(c->aud);
	assert_true(n < sizeof(c->aud));
	assert_true(n > 400);
	assert_memory_equal(c->aud, "audience-0000000000,audience-0000000001,", 40);
	free(t);
	free(c);
}

/* Decoding is not validation: an expired token still yields its claims. */
static void test_expired(void **state)
{
	struct jwt_claims *c = claims_new();
	char *t = token(HDR, "{\"sub\":\"old\",\"exp\":1000000000,\"iat\":999999000}");

	assert_int_equal(decode_str(t, c), 0);
	assert_true(c->has_exp);
	assert_int_equal(c->exp, 1000000000LL);
	assert_int_equal(c->iat, 999999000LL);
	assert_false(c->has_nbf);
	assert_int_equal(c->nbf, 0);
	free(t);

	/* Real NumericDates are truncated; out-of-range or wrong-typed ones are absent. */
	t = token(HDR, "{\"exp\":1700000000.75,\"iat\":1e300,\"nbf\":\"soon\"}");
	assert_int_equal(decode_str(t, c), 0);
	assert_true(c->has_exp);
	assert_int_equal(c->exp, 1700000000LL);
	assert_false(c->has_iat);
	assert_false(c->has_nbf);
	free(t);

	/* An integer past 64 bits (valid JSON, which jansson refuses as an integer) costs
	 * that time only, not the other claims nor the act chain. */
	t = token(HDR, "{\"iss\":\"https://idp.test\",\"sub\":\"victim\",\"iat\":1700000000,"
		       "\"exp\":99999999999999999999,\"act\":{\"sub\":\"attacker-agent\"}}");
	assert_int_equal(decode_str(t, c), 0);
	assert_string_equal(c->iss, "https://idp.test");
	assert_string_equal(c->sub, "victim");
	assert_false(c->has_exp);
	assert_true(c->has_iat);
	assert_int_equal(c->iat, 1700000000LL);
	assert_int_equal(c->n_act, 1);
	assert_string_equal(c->act[0].sub, "attacker-agent");
	free(t);
	free(c);
}

static void test_malformed_base64(void **state)
{
	struct jwt_claims *c = claims_new();
	char *h = b64url(HDR, strlen(HDR)), *t;

	/* Bad character in the payload: the header is still decoded. */
	assert_true(asprintf(&t, "%s.eyJzdWIiOiJ4I!0.sig", h) > 0);
	assert_int_equal(decode_str(t, c), -EINVAL);
	assert_string_equal(c->alg, "RS256");
	assert_string_equal(c->sub, "");
	assert_false(jwt_looks_like(t, strlen(t)));
	free(t);
	/* Padding is not base64url as JWS uses it. */
	assert_true(asprintf(&t, "%s.eyJzdWIiOiJ4In0=.sig", h) > 0);
	assert_int_equal(decode_str(t, c), -EINVAL);
	assert_false(jwt_looks_like(t, strlen(t)));
	free(t);
	/* A part 1 (mod 4) long cannot be base64. */
	assert_true(asprintf(&t, "%s.eyJzdWIiOiJ4In0A.sig", h) > 0);
	assert_int_equal(decode_str(t, c), -EINVAL);
	free(t);
	/* Standard-alphabet characters. */
	assert_true(asprintf(&t, "%s.eyJzdWIiOiJ4In0+/w.sig", h) > 0);
	assert_int_equal(decode_str(t, c), -EINVAL);
	free(t);
	/* A bad signature alphabet: claims are kept, the token is still not well-formed. */
	t = token_n(HDR, "{\"sub\":\"x\"}", 11, "sig+sig/");
	assert_int_equal(decode_str(t, c), -EINVAL);
	assert_string_equal(c->sub, "x");
	free(t);
	/* A malformed header: the payload is still decoded. */
	t = token(HDR, "{\"sub\":\"y\"}");
	t[0] = '*';
	assert_int_equal(decode_str(t, c), -EINVAL);
	assert_string_equal(c->sub, "y");
	assert_string_equal(c->alg, "");
	free(t);
	free(h);
	free(c);
}

static void test_non_json_payload(void **state)
{
	struct jwt_claims *c = claims_new();
	char *t = token(HDR, "hello, world");

	assert_int_equal(decode_str(t, c), -EINVAL);
	assert_string_equal(c->alg, "RS256");
	assert_string_equal(c->iss, "");
	free(t);
	t = token(HDR, "{\"sub\":\"cut");
	assert_int_equal(decode_str(t, c), -EINVAL);
	free(t);
	t = token(HDR, "");
	assert_int_equal(decode_str(t, c), -EINVAL);
	free(t);
	free(c);
}

static void test_payload_json_array(void **state)
{
	struct jwt_claims *c = claims_new();
	char *t = token(HDR, "[{\"sub\":\"x\"}]");

	assert_int_equal(decode_str(t, c), -EINVAL);
	assert_string_equal(c->sub, "");
	free(t);
	t = token("[\"alg\"]", "{\"sub\":\"x\"}");
	assert_int_equal(decode_str(t, c), -EINVAL);
	assert_string_equal(c->alg, "");
	assert_string_equal(c->sub, "x");
	free(t);
	t = token(HDR, "\"just a string\"");
	assert_int_equal(decode_str(t, c), -EINVAL);
	free(t);
	free(c);
}

static void test_part_count(void **state)
{
	struct jwt_claims *c = claims_new();
	char *h = b64url(HDR, strlen(HDR)), *p = b64url("{\"sub\":\"x\"}", 11), *t;

	assert_true(asprintf(&t, "%s.%s", h, p) > 0);
	assert_int_equal(decode_str(t, c), -EINVAL);
	assert_string_equal(c->alg, "");
	assert_false(jwt_looks_like(t, strlen(t)));
	free(t);
	/* JWE compact serialisation has five parts. */
	assert_true(asprintf(&t, "%s.%s.a.b.c", h, p) > 0);
	assert_int_equal(decode_str(t, c), -EINVAL);
	assert_false(jwt_looks_like(t, strlen(t)));
	free(t);
	assert_true(asprintf(&t, "%s..sig", h) > 0); /* empty payload */
	assert_int_equal(decode_str(t, c), -EINVAL);
	free(t);
	assert_true(asprintf(&t, ".%s.sig", p) > 0); /* empty header */
	assert_int_equal(decode_str(t, c), -EINVAL);
	free(t);
	/* alg "none": an empty signature is a valid compact JWS. */
	assert_true(asprintf(&t, "%s.%s.", h, p) > 0);
	assert_int_equal(decode_str(t, c), 0);
	assert_string_equal(c->sub, "x");
	assert_true(jwt_looks_like(t, strlen(t)));
	free(t);
	assert_int_equal(decode_str("", c), -EINVAL);
	assert_int_equal(decode_str("..", c), -EINVAL);
	assert_int_equal(jwt_decode(NULL, 5, c), -EINVAL);
	free(p);
	free(h);
	free(c);
}

static void test_too_big(void **state)
{
	struct jwt_claims *c = claims_new();
	size_t big = 100 * 1024, base, fill;
	char *t = malloc(big), *p, *payload;

	/* 100 KB: refused before anything is decoded. */
	assert_non_null(t);
	memset(t, 'A', big);
	memcpy(t, "eyJ", 3);
	t[1000] = '.';
	t[2000] = '.';
	assert_int_equal(decode(t, big, c), -E2BIG);
	assert_string_equal(c->alg, "");
	assert_false(jwt_looks_like(t, big));
	free(t);

	/* Exactly JWT_MAX_LEN is accepted, one more byte is not. The signature pads the token
	 * to the limit; its length must not be 1 (mod 4). */
	payload = malloc(60000);
	assert_non_null(payload);
	for (fill = 40000;; fill++) {
		memset(payload, 'x', fill);
		memcpy(payload, "{\"sub\":\"", 8);
		strcpy(payload + fill, "\"}");
		p = token_n(HDR, payload, strlen(payload), "");
		base = strlen(p);
		if ((JWT_MAX_LEN - base) % 4 != 1)
			break;
		free(p);
	}
	t = malloc(JWT_MAX_LEN + 1);
	assert_non_null(t);
	memcpy(t, p, base);
	memset(t + base, 'A', JWT_MAX_LEN + 1 - base);
	assert_int_equal(decode(t, JWT_MAX_LEN, c), 0);
	assert_int_equal(strlen(c->sub), sizeof(c->sub) - 1);
	assert_int_equal(decode(t, JWT_MAX_LEN + 1, c), -E2BIG);
	free(t);
	free(p);
	free(payload);
	free(c);
}

static void test_k8s_projected(void **state)
{
	struct jwt_claims *c = claims_new();
	char *t = token("{\"alg\":\"RS256\",\"kid\":\"Zk9\"}",
			"{\"aud\":[\"https://kubernetes.default.svc.cluster.local\"],"
			"\"exp\":1731000000,\"iat\":1730996400,"
			"\"iss\":\"https://kubernetes.default.svc.cluster.local\","
			"\"kubernetes.io\":{\"namespace\":\"ns\","
			"\"pod\":{\"name\":\"p\",\"uid\":\"0f2b8c4e-1111-4a4a-9c9c-123456789abc\"},"
			"\"serviceaccount\":{\"name\":\"sa\","
			"\"uid\":\"7d1c2e3f-2222-4b4b-8d8d-abcdefabcdef\"},"
			"\"warnafter\":1730999999},"
			"\"nbf\":1730996400,\"sub\":\"system:serviceaccount:ns:sa\"}");
	char *s;

	assert_int_equal(decode_str(t, c), 0);
	assert_string_equal(c->k8s_namespace, "ns");
	assert_string_equal(c->k8s_pod, "p");
	assert_string_equal(c->k8s_pod_uid, "0f2b8c4e-1111-4a4a-9c9c-123456789abc");
	assert_string_equal(c->k8s_serviceaccount, "sa");
	assert_string_equal(c->k8s_serviceaccount_uid, "7d1c2e3f-2222-4b4b-8d8d-abcdefabcdef");
	assert_string_equal(c->sub, "system:serviceaccount:ns:sa");
	assert_string_equal(c->aud, "https://kubernetes.default.svc.cluster.local");
	s = claims_dump(c);
	assert_string_equal(s, "{\"iss\":\"https://kubernetes.default.svc.cluster.local\","
			       "\"sub\":\"system:serviceaccount:ns:sa\","
			       "\"aud\":\"https://kubernetes.default.svc.cluster.local\","
			       "\"exp\":1731000000,\"iat\":1730996400,"
			       "\"kubernetes\":{\"namespace\":\"ns\",\"pod\":\"p\","
			       "\"pod_uid\":\"0f2b8c4e-1111-4a4a-9c9c-123456789abc\","
			       "\"serviceaccount\":\"sa\","
			       "\"serviceaccount_uid\":\"7d1c2e3f-2222-4b4b-8d8d-abcdefabcdef\"}}");
	free(s);
	free(t);
	free(c);
}

static void test_k8s_legacy(void **state)
{
	struct jwt_claims *c = claims_new();
	char *t = token("{\"alg\":\"RS256\",\"kid\":\"\"}",
			"{\"iss\":\"kubernetes/serviceaccount\","
			"\"kubernetes.io/serviceaccount/namespace\":\"default\","
			"\"kubernetes.io/serviceaccount/secret.name\":\"builder-token-x7k2p\","
			"\"kubernetes.io/serviceaccount/service-account.name\":\"builder\","
			"\"kubernetes.io/serviceaccount/service-account.uid\":\"5a5a-uid\","
			"\"sub\":\"system:serviceaccount:default:builder\"}");
	char *s;

	assert_int_equal(decode_str(t, c), 0);
	assert_string_equal(c->iss, "kubernetes/serviceaccount");
	assert_string_equal(c->k8s_namespace, "default");
	assert_string_equal(c->k8s_serviceaccount, "builder");
	assert_string_equal(c->k8s_serviceaccount_uid, "5a5a-uid");
	assert_string_equal(c->k8s_pod, "");
	assert_false(c->has_exp); /* legacy secret tokens do not expire */
	s = claims_dump(c);
	assert_string_equal(s, "{\"iss\":\"kubernetes/serviceaccount\","
			       "\"sub\":\"system:serviceaccount:default:builder\","
			       "\"kubernetes\":{\"namespace\":\"default\","
			       "\"serviceaccount\":\"builder\","
			       "\"serviceaccount_uid\":\"5a5a-uid\"}}");
	free(s);
	free(t);

	/* The projected claim wins over legacy flat claims. */
	t = token(HDR, "{\"kubernetes.io\":{\"namespace\":\"new\"},"
		       "\"kubernetes.io/serviceaccount/namespace\":\"old\","
		       "\"kubernetes.io/serviceaccount/service-account.name\":\"sa-old\"}");
	assert_int_equal(decode_str(t, c), 0);
	assert_string_equal(c->k8s_namespace, "new");
	assert_string_equal(c->k8s_serviceaccount, "sa-old");
	free(t);
	/* Wrong shapes are ignored. */
	t = token(HDR, "{\"kubernetes.io\":[1],\"sub\":\"s\"}");
	assert_int_equal(decode_str(t, c), 0);
	assert_string_equal(c->k8s_namespace, "");
	assert_string_equal(c->sub, "s");
	free(t);
	free(c);
}

static void test_hostile_strings(void **state)
{
	static const char payload[] = "{\"sub\":\"a\xff"
				      "b\",\"iss\":5,\"jti\":\"x\\u0000y\",\"azp\":[\"z\"]}";
	struct jwt_claims *c = claims_new();
	char *t = token_n(HDR, payload, sizeof(payload) - 1, "sig"), *s;
	char big[2048] = "{\"iss\":\"";
	size_t n;
	int i;

	/* Invalid UTF-8 reads as U+FFFD; NUL as '?'; wrong types are ignored. */
	assert_int_equal(decode_str(t, c), 0);
	assert_string_equal(c->sub, "a" FFFD "b");
	assert_string_equal(c->iss, "");
	assert_string_equal(c->jti, "x?y");
	assert_string_equal(c->azp, "");
	free(t);

	/* A long claim is cut at a character boundary. */
	for (i = 0; i < 300; i++)
		strcat(big, "\xc3\xa9");
	strcat(big, "\"}");
	t = token(HDR, big);
	assert_int_equal(decode_str(t, c), 0);
	n = strlen(c->iss);
	assert_int_equal(n, 254);
	assert_memory_equal(c->iss + n - 2, "\xc3\xa9", 2);
	s = claims_dump(c); /* jansson accepts it: valid UTF-8 */
	free(s);
	free(t);
	free(c);
}

/* The signature is never copied into the claims. */
static void test_signature_not_copied(void **state)
{
	static const char canary[] = "SIGCANARYzzQQ987"; /* 16: a decodable length */
	struct jwt_claims *c = claims_new();
	char *t = token_n(HDR, "{\"sub\":\"x\"}", 11, canary);

	assert_int_equal(decode_str(t, c), 0);
	assert_null(memmem(c, sizeof(*c), canary, 8));
	assert_null(memmem(c, sizeof(*c), "CANARY", 6));
	free(t);
	free(c);
}

static void test_looks_like(void **state)
{
	assert_true(jwt_looks_like("eyJhbGciOiJub25lIn0.eyJ9.", 25));
	assert_false(jwt_looks_like("eyJa.b.c\n", 9)); /* "b" is 1 (mod 4) long */
	assert_true(jwt_looks_like("eyJa.bc.de\n", 11));
	assert_false(jwt_looks_like("abJa.bc.de", 10));
	assert_false(jwt_looks_like("eyJ", 3));
	assert_false(jwt_looks_like("eyJa.bc", 7));
	assert_false(jwt_looks_like("eyJa.bc.de.fg", 13));
	assert_false(jwt_looks_like("eyJa.b c.de", 11));
	assert_false(jwt_looks_like("eyJa..de", 8));
	assert_false(jwt_looks_like("ghp_0123456789abcdefghijklmnopqrstuvwx", 38));
	assert_false(jwt_looks_like(NULL, 0));
	assert_false(jwt_looks_like("", 0));
	/* Only len bytes count. */
	assert_false(jwt_looks_like("eyJa.bc.de", 6));
}

/* A hostile struct: unterminated, invalid UTF-8 fields and an out-of-range n_act. */
static void test_to_json_hostile_struct(void **state)
{
	struct jwt_claims *c = claims_new();
	json_t *j, *v;

	memset(c, 0, sizeof(*c));
	memset(c->iss, 0xff, sizeof(c->iss));
	memcpy(c->sub, "ok\xc3", 4);
	c->n_act = 1000;
	j = jwt_claims_to_json(c);
	assert_non_null(j);
	v = json_object_get(j, "iss");
	assert_int_equal(json_string_length(v), sizeof(c->iss) * 3);
	assert_string_equal(json_string_value(json_object_get(j, "sub")), "ok" FFFD);
	assert_int_equal(json_array_size(json_object_get(j, "act")), JWT_MAX_ACT);
	assert_null(json_object_get(j, "exp"));
	assert_null(json_object_get(j, "kubernetes"));
	json_decref(j);
	c->n_act = -3;
	memset(c, 0, sizeof(*c));
	c->n_act = -3;
	j = jwt_claims_to_json(c);
	assert_int_equal(json_object_size(j), 0);
	json_decref(j);
	free(c);
}

/* Every prefix of a token and deterministic byte mutations: no crash, no over-read. */
static void test_truncations_and_mutations(void **state)
{
	struct jwt_claims *c = claims_new();
	char *t = token(HDR, "{\"iss\":\"i\",\"aud\":[\"a\",\"b\"],"
			     "\"act\":{\"sub\":\"x\",\"act\":{\"sub\":\"y\"}},"
			     "\"kubernetes.io\":{\"pod\":{\"name\":\"p\"}}}");
	size_t len = strlen(t), i, ok = 0;
	unsigned int seed = 1;
	int k;

	for (i = 0; i <= len; i++)
		ok += decode(t, i, c) == 0;
	/* Only cuts inside the 12-byte signature survive, and not those 1 (mod 4) long:
	 * lengths 0, 2, 3, 4, 6, 7, 8, 10, 11, 12. */
	assert_int_equal(ok, 10);
	for (k = 0; k < 3000; k++) {
		char *m = strdup(t);

		assert_non_null(m);
		seed = seed * 1103515245 + 12345;
		m[(seed >> 8) % len] = (char)(seed >> 20);
		decode(m, len, c);
		json_decref(jwt_claims_to_json(c));
		free(m);
	}
	free(t);
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_whitespace_trimmed),
		cmocka_unit_test(test_nested_act),
		cmocka_unit_test(test_act_truncated),
		cmocka_unit_test(test_aud_array_and_scp),
		cmocka_unit_test(test_expired),
		cmocka_unit_test(test_malformed_base64),
		cmocka_unit_test(test_non_json_payload),
		cmocka_unit_test(test_payload_json_array),
		cmocka_unit_test(test_part_count),
		cmocka_unit_test(test_too_big),
		cmocka_unit_test(test_k8s_projected),
		cmocka_unit_test(test_k8s_legacy),
		cmocka_unit_test(test_hostile_strings),
		cmocka_unit_test(test_signature_not_copied),
		cmocka_unit_test(test_looks_like),
		cmocka_unit_test(test_to_json_hostile_struct),
		cmocka_unit_test(test_truncations_and_mutations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
