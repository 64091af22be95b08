// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Which span of each credential file is its secret: the value a client then
 * presents, so a file read and a request link by fingerprint. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include "cred_inspect.h"

#define CANARY "Zq7CANARYx9f3a1c5e7b"

static struct fingerprint_key key = { .key = "0123456789abcdef0123456789abcdef" };

/* The fingerprint of type's file text is that of want (the presented secret). */
static void expect_secret(const char *type, const char *text, const char *want)
{
	struct cred_info ci;
	char fp[FINGERPRINT_STR_LEN];
	char *dump;

	cred_inspect_buf(type, text, strlen(text), &key, &ci);
	fingerprint_compute(&key, want, strlen(want), fp);
	assert_string_equal(ci.fingerprint, fp);
	dump = json_dumps(ci.facts, 0);
	assert_non_null(dump);
	assert_null(strstr(dump, CANARY)); /* facts never hold the secret */
	free(dump);
	cred_info_release(&ci);
}

static void test_kubeconfig_token(void **state)
{
	expect_secret("kubeconfig",
		      "apiVersion: v1\n"
		      "clusters:\n- cluster:\n    server: https://k8s.example:6443\n  name: c\n"
		      "users:\n- name: ci\n  user:\n    token-file: /var/run/x\n"
		      "    token: \"kt-" CANARY "\"\n",
		      "kt-" CANARY);
	/* no token: the whole file */
	expect_secret("kubeconfig", "users:\n- name: x\n  user:\n    client-key-data: AAAA\n",
		      "users:\n- name: x\n  user:\n    client-key-data: AAAA");
}

static void test_docker_auth_password(void **state)
{
	/* "auth" is base64("robot$ci:dp-" CANARY) */
	expect_secret("docker",
		      "{\"auths\": {\"registry.example\": {\"auth\": \"cm9ib3QkY2k6ZHAtWnE3Q0FOQVJZeDlmM2ExYzVlN2I=\"}}}",
		      "dp-" CANARY);
	expect_secret("docker",
		      "{\"auths\": {\"r.example\": {\"identitytoken\": \"it-" CANARY "\"}}}",
		      "it-" CANARY);
	/* a credential helper: no secret in the file, so the file itself */
	expect_secret("docker", "{\"credsStore\": \"desktop\"}", "{\"credsStore\": \"desktop\"}");
}

static void test_pypirc_password(void **state)
{
	expect_secret("pypi",
		      "[distutils]\nindex-servers = pypi\n[pypi]\nusername = __token__\n"
		      "password = pypi-" CANARY "\n",
		      "pypi-" CANARY);
}

/* A file of several credentials: the first is the fingerprint, the others
 * (distinct) are other_fingerprints, in the file's order, so a request with
 * the second host's token links to the read. */
static void expect_others(const char *type, const char *text, const char *first,
			  const char *const *others, size_t n)
{
	struct cred_info ci;
	char fp[FINGERPRINT_STR_LEN];
	json_t *list;
	char *dump;

	cred_inspect_buf(type, text, strlen(text), &key, &ci);
	fingerprint_compute(&key, first, strlen(first), fp);
	assert_string_equal(ci.fingerprint, fp);
	list = json_object_get(ci.facts, "other_fingerprints");
	assert_int_equal(json_array_size(list), n);
	for (size_t i = 0; i < n; i++) {
		fingerprint_compute(&key, others[i], strlen(others[i]), fp);
		assert_string_equal(json_string_value(json_array_get(list, i)), fp);
	}
	dump = json_dumps(ci.facts, 0);
	assert_non_null(dump);
	assert_null(strstr(dump, CANARY));
	free(dump);
	cred_info_release(&ci);
}

static void test_several_credentials(void **state)
{
	static const char *const netrc[] = { "P2-" CANARY, "P3-" CANARY };
	static const char *const git[] = { "ghp_" CANARY "0123456789ab" };
	static const char *const kube[] = { "kt2-" CANARY };
	/* auths: "u:d1-..." and "u:d2-..." */
	static const char *const docker[] = { "d2-" CANARY };

	expect_others("netrc",
		      "machine other.example login a password P1-" CANARY "\n"
		      "machine localhost login bob password P2-" CANARY "\n"
		      "machine third login c password P1-" CANARY "\n"
		      "machine fourth login d password P3-" CANARY "\n",
		      "P1-" CANARY, netrc, 2);
	expect_others("git",
		      "https://gitu:g1-" CANARY "@git.example\n"
		      "https://ghp_" CANARY "0123456789ab:x-oauth-basic@github.com\n",
		      "g1-" CANARY, git, 1);
	expect_others("kubeconfig",
		      "users:\n- name: a\n  user:\n    token: kt1-" CANARY "\n"
		      "- name: b\n  user:\n    token: kt2-" CANARY "\n",
		      "kt1-" CANARY, kube, 1);
	expect_others("docker",
		      "{\"auths\": {\"r1\": {\"auth\": \"dTpkMS1acTdDQU5BUll4OWYzYTFjNWU3Yg==\"},"
		      " \"r2\": {\"auth\": \"dTpkMi1acTdDQU5BUll4OWYzYTFjNWU3Yg==\"}}}",
		      "d1-" CANARY, docker, 1);
	/* one credential: no list */
	expect_others("netrc", "machine a login b password only-" CANARY "\n", "only-" CANARY,
		      NULL, 0);
	(void)state;
}

static void test_others_unchanged(void **state)
{
	expect_secret("netrc", "machine api.example login me password np-" CANARY "\n",
		      "np-" CANARY);
	expect_secret("git", "https://me:gp-" CANARY "@git.example\n", "gp-" CANARY);
	/* GitHub's token form: the token, as a Basic login with it is fingerprinted */
	expect_secret("git", "https://ghp_0123456789abcdefghijABCDEFGHIJ012345:x-oauth-basic@github.com\n",
		      "ghp_0123456789abcdefghijABCDEFGHIJ012345");
	expect_secret("github_cli", "github.com:\n    oauth_token: gho_" CANARY "\n",
		      "gho_" CANARY);
	expect_secret("npm", "//registry.npmjs.org/:_authToken=npm_" CANARY "\n", "npm_" CANARY);
	expect_secret("vault", "hvs." CANARY "\n", "hvs." CANARY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kubeconfig_token),
		cmocka_unit_test(test_docker_auth_password),
		cmocka_unit_test(test_pypirc_password),
		cmocka_unit_test(test_several_credentials),
		cmocka_unit_test(test_others_unchanged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
