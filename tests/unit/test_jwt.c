// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include "b64.h"
#include "jwt.h"

/* base64url without padding, into a static rotating buffer */
static char *b64url(const char *s)
{
	static char bufs[4][8192];
	static int next;
	char *out = bufs[next++ % 4];
	int n = EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)s, strlen(s));

	while (n > 0 && out[n - 1] == '=')
		n--;
	out[n] = '\0';
	for (char *p = out; *p; p++)
		*p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
	return out;
}

static char *make_jwt(const char *payload)
{
	static char tok[16384];

	snprintf(tok, sizeof(tok), "%s.%s.c2lnbmF0dXJl", b64url("{\"alg\":\"RS256\",\"kid\":\"k1\"}"),
		 b64url(payload));
	return tok;
}

static void test_valid_token(void **state)
{
	struct jwt_claims c;
	char *t = make_jwt("{\"iss\":\"https://issuer\",\"sub\":\"alice\",\"aud\":\"api\","
			   "\"azp\":\"cli\",\"scope\":\"read write\",\"exp\":1700000000,"
			   "\"iat\":1690000000,\"jti\":\"j-1\",\"client_id\":\"c-9\"}");

	assert_true(jwt_looks_like(t, strlen(t)));
	assert_int_equal(jwt_decode(t, strlen(t), &c), 0);
	assert_string_equal(c.iss, "https://issuer");
	assert_string_equal(c.sub, "alice");
	assert_string_equal(c.aud, "api");
	assert_string_equal(c.azp, "cli");
	assert_string_equal(c.client_id, "c-9");
	assert_string_equal(c.scope, "read write");
	assert_string_equal(c.jti, "j-1");
	assert_true(c.has_exp);
	assert_int_equal(c.exp, 1700000000); /* expired long ago: still decoded */
	assert_int_equal(c.iat, 1690000000);
	assert_string_equal(c.alg, "RS256");
	assert_string_equal(c.kid, "k1");
}

static void test_nested_act_and_aud_array(void **state)
{
	struct jwt_claims c;
	json_t *j;
	char *t = make_jwt("{\"sub\":\"user\",\"aud\":[\"a\",\"b\"],\"act\":{\"sub\":\"agent\","
			   "\"act\":{\"sub\":\"ci\",\"iss\":\"https://ci\",\"act\":{\"client_id\":\"svc\"}}}}");

	assert_int_equal(jwt_decode(t, strlen(t), &c), 0);
	assert_string_equal(c.aud, "a,b");
	assert_int_equal(c.n_act, 3);
	assert_string_equal(c.act[0].sub, "agent");
	assert_string_equal(c.act[1].sub, "ci");
	assert_string_equal(c.act[1].iss, "https://ci");
	assert_string_equal(c.act[2].client_id, "svc");
	j = jwt_claims_to_json(&c);
	assert_int_equal(json_array_size(json_object_get(j, "act")), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(j, "act"),
								     0), "sub")), "agent");
	json_decref(j);
}

static void test_kubernetes_claims(void **state)
{
	struct jwt_claims c;
	json_t *j;
	char *t = make_jwt("{\"iss\":\"https://kubernetes.default.svc\",\"kubernetes.io\":{"
			   "\"namespace\":\"ns\",\"pod\":{\"name\":\"p\",\"uid\":\"u1\"},"
			   "\"serviceaccount\":{\"name\":\"sa\",\"uid\":\"u2\"}}}");

	assert_int_equal(jwt_decode(t, strlen(t), &c), 0);
	assert_string_equal(c.k8s_namespace, "ns");
	assert_string_equal(c.k8s_pod, "p");
	assert_string_equal(c.k8s_serviceaccount, "sa");
	j = jwt_claims_to_json(&c);
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "kubernetes"),
							      "namespace")), "ns");
	json_decref(j);
	t = make_jwt("{\"kubernetes.io/serviceaccount/namespace\":\"legacy\","
		     "\"kubernetes.io/serviceaccount/service-account.name\":\"old\"}");
	assert_int_equal(jwt_decode(t, strlen(t), &c), 0);
	assert_string_equal(c.k8s_namespace, "legacy");
	assert_string_equal(c.k8s_serviceaccount, "old");
}

static void test_malformed(void **state)
{
	struct jwt_claims c;
	char *t;

	assert_int_equal(jwt_decode("abc.def", 7, &c), -EINVAL);
	assert_int_equal(jwt_decode("a.b.c.d", 7, &c), -EINVAL);
	assert_int_equal(jwt_decode("eyJ!!!.e30.x", 12, &c), -EINVAL); /* bad base64 */
	t = make_jwt("not json");
	assert_int_equal(jwt_decode(t, strlen(t), &c), -EINVAL);
	t = make_jwt("[1,2,3]"); /* JSON, but not an object */
	assert_int_equal(jwt_decode(t, strlen(t), &c), -EINVAL);
	t = make_jwt("{\"sub\":42,\"exp\":\"soon\"}"); /* wrong types are skipped */
	assert_int_equal(jwt_decode(t, strlen(t), &c), 0);
	assert_string_equal(c.sub, "");
	assert_false(c.has_exp);
	assert_false(jwt_looks_like("hello", 5));
	assert_false(jwt_looks_like("eyJa.b", 6));
	assert_int_equal(jwt_decode(NULL, 0, &c), -EINVAL);
}

static void test_huge_and_whitespace(void **state)
{
	struct jwt_claims c;
	size_t n = 100 * 1024;
	char *big = malloc(n + 1);
	char with_nl[16500];
	char *t;

	memset(big, 'A', n);
	big[0] = 'e', big[1] = 'y', big[2] = 'J', big[10] = '.', big[20] = '.';
	assert_int_equal(jwt_decode(big, n, &c), -E2BIG);
	assert_false(jwt_looks_like(big, n));
	free(big);
	t = make_jwt("{\"sub\":\"x\"}");
	snprintf(with_nl, sizeof(with_nl), "  %s\n", t);
	assert_int_equal(jwt_decode(with_nl, strlen(with_nl), &c), 0);
	assert_string_equal(c.sub, "x");
}

static void test_b64(void **state)
{
	unsigned char out[16];
	size_t n;

	assert_int_equal(b64_decode("aGk=", 4, false, out, sizeof(out), &n), 0);
	assert_int_equal(n, 2);
	assert_memory_equal(out, "hi", 2);
	assert_int_equal(b64_decode("-_8", 3, true, out, sizeof(out), &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(out[0], 0xfb);
	assert_int_equal(b64_decode("-_8", 3, false, out, sizeof(out), &n), -EINVAL);
	assert_int_equal(b64_decode("a", 1, false, out, sizeof(out), &n), -EINVAL);
	assert_int_equal(b64_decode("aGVsbG8gd29ybGQ=", 16, false, out, 4, &n), -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_token),
		cmocka_unit_test(test_nested_act_and_aud_array),
		cmocka_unit_test(test_kubernetes_claims),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_huge_and_whitespace),
		cmocka_unit_test(test_b64),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
