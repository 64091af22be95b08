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
		cmocka_unit_test(test_others_unchanged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
