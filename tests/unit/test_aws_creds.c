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
#include "aws_creds.h"

#define KEY1 "AKIAIOSFODNN7EXAMPLE"
#define KEY2 "ASIAY34FZKBOKMUTVV7A"
#define CANARY "CANARYwJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define CANARY_TOKEN "CANARYTOKENIQoJb3JpZ2luX2VjEJr//////////wEaCXVz"

/* Heap copies of exactly len bytes, so ASan sees any read past the end. */
static struct aws_creds *parse(const char *buf, size_t len)
{
	struct aws_creds *c = malloc(sizeof(*c));
	char *copy = malloc(len ? len : 1);

	assert_non_null(c);
	assert_non_null(copy);
	memset(c, 0x5a, sizeof(*c)); /* must be reset */
	memcpy(copy, buf, len);
	assert_int_equal(aws_creds_parse(copy, len, c), 0);
	free(copy);
	return c;
}

#define PARSE(s) parse(s, sizeof(s) - 1)

/* The secret span as a new string (NULL when -ENOENT); checks it points into buf. */
static char *span(const char *buf, const char *profile)
{
	size_t len = strlen(buf), n;
	char *copy = malloc(len), *r;
	const char *v;
	int err;

	assert_non_null(copy);
	memcpy(copy, buf, len);
	err = aws_creds_secret_span(copy, len, profile, &v, &n);
	if (err) {
		assert_int_equal(err, -ENOENT);
		free(copy);
		return NULL;
	}
	assert_true(v >= copy && v + n <= copy + len);
	r = strndup(v, n);
	free(copy);
	return r;
}

static void assert_span(const char *buf, const char *profile, const char *want)
{
	char *s = span(buf, profile);

	if (!want) {
		assert_null(s);
		return;
	}
	assert_non_null(s);
	assert_string_equal(s, want);
	free(s);
}

static int cache(const char *buf, struct aws_profile *p)
{
	size_t len = strlen(buf);
	char *copy = malloc(len ? len : 1);
	int err;

	assert_non_null(copy);
	memcpy(copy, buf, len);
	memset(p, 0x5a, sizeof(*p));
	err = aws_cache_json_parse(copy, len, p);
	free(copy);
	return err;
}

static void test_profiles(void **state)
{
	static const char creds[] = "[default]\n"
				    "aws_access_key_id = " KEY1 "\n"
				    "aws_secret_access_key = " CANARY "\n"
				    "\n"
				    "[dev]\n"
				    "aws_access_key_id=" KEY2 "\n"
				    "aws_secret_access_key=dev-secret\n"
				    "aws_session_token=" CANARY_TOKEN "\n"
				    "[profile prod]\n"
				    "region = eu-west-1\n"
				    "role_arn = arn:aws:iam::123456789012:role/deploy\n"
				    "[  profile   spaced  ]\n"
				    "[ plain ]\n";
	struct aws_creds *c = PARSE(creds);

	assert_int_equal(c->n, 5);
	assert_false(c->truncated);
	assert_string_equal(c->p[0].name, "default");
	assert_string_equal(c->p[0].access_key_id, KEY1);
	assert_true(c->p[0].has_secret);
	assert_false(c->p[0].has_session_token);
	assert_string_equal(c->p[1].name, "dev");
	assert_string_equal(c->p[1].access_key_id, KEY2);
	assert_true(c->p[1].has_secret);
	assert_true(c->p[1].has_session_token);
	assert_string_equal(c->p[2].name, "prod");
	assert_string_equal(c->p[2].access_key_id, "");
	assert_false(c->p[2].has_secret);
	assert_string_equal(c->p[3].name, "spaced");
	assert_string_equal(c->p[4].name, "plain");
	free(c);

	assert_span(creds, NULL, CANARY);
	assert_span(creds, "default", CANARY);
	assert_span(creds, "dev", "dev-secret");
	assert_span(creds, "prod", NULL);
	assert_span(creds, "nope", NULL);
}

static void test_access_key_id(void **state)
{
	static const char cfg[] = "[a]\naws_access_key_id = AKIAIOSFODNN7EXAMPL\n" /* 19 */
				  "[b]\naws_access_key_id = AKIAIOSFODNN7EXAMPLEX\n"	   /* 21 */
				  "[c]\naws_access_key_id = akiaiosfodnn7example\n"
				  "[d]\naws_access_key_id = AIDAIOSFODNN7EXAMPLE\n" /* user id */
				  "[e]\naws_access_key_id = AKIAIOSFODNN7EXAMP-E\n"
				  "[f]\nAWS_ACCESS_KEY_ID: ABIAIOSFODNN7EXAMPLE\n"
				  "[g]\naws_access_key_id = " KEY1 " # inline\n"
				  "[h]\naws_access_key_id\t=\t" KEY2 "\t\n";
	struct aws_creds *c = PARSE(cfg);
	int i;

	assert_int_equal(c->n, 8);
	for (i = 0; i < 5; i++)
		assert_string_equal(c->p[i].access_key_id, "");
	assert_string_equal(c->p[5].access_key_id, "ABIAIOSFODNN7EXAMPLE");
	assert_string_equal(c->p[6].access_key_id, ""); /* no inline comments: not a key id */
	assert_string_equal(c->p[7].access_key_id, KEY2);
	free(c);

	assert_true(aws_creds_key_id_valid(KEY1, 20));
	assert_true(aws_creds_key_id_valid("ACCA0123456789ABCDEF", 20));
	assert_false(aws_creds_key_id_valid(KEY1, 19));
	assert_false(aws_creds_key_id_valid("AROAIOSFODNN7EXAMPLE", 20));
	assert_false(aws_creds_key_id_valid(NULL, 20));
}

static void test_comments(void **state)
{
	static const char cfg[] = "# aws config\n"
				  "; another comment\n"
				  "[default]\n"
				  "#aws_access_key_id = " KEY2 "\n"
				  "  ; aws_secret_access_key = commented\n"
				  "aws_access_key_id = " KEY1 "\n"
				  "#[evil]\n"
				  ";[profile evil2]\n";
	struct aws_creds *c = PARSE(cfg);

	assert_int_equal(c->n, 1);
	assert_string_equal(c->p[0].name, "default");
	assert_string_equal(c->p[0].access_key_id, KEY1);
	assert_false(c->p[0].has_secret);
	free(c);
	assert_span(cfg, NULL, NULL);
}

static void test_crlf(void **state)
{
	static const char cfg[] = "[default]\r\n"
				  "aws_access_key_id = " KEY1 "\r\n"
				  "aws_secret_access_key = " CANARY "\r\n"
				  "\r\n"
				  "[profile work]\r\n"
				  "aws_access_key_id=" KEY2 "\r\n"
				  "aws_secret_access_key=w\r";
	struct aws_creds *c = PARSE(cfg);

	assert_int_equal(c->n, 2);
	assert_string_equal(c->p[0].access_key_id, KEY1);
	assert_string_equal(c->p[1].name, "work");
	assert_string_equal(c->p[1].access_key_id, KEY2);
	assert_true(c->p[1].has_secret);
	free(c);
	assert_span(cfg, NULL, CANARY); /* no '\r' in the span */
	assert_span(cfg, "work", "w");
}

static void test_missing_key(void **state)
{
	static const char cfg[] = "[nokey]\n"
				  "aws_secret_access_key = s\n"
				  "[empty]\n"
				  "aws_access_key_id =\n"
				  "aws_secret_access_key =   \n"
				  "aws_session_token=\n"
				  "[noeq]\n"
				  "aws_secret_access_key\n";
	struct aws_creds *c = PARSE(cfg);

	assert_int_equal(c->n, 3);
	assert_string_equal(c->p[0].access_key_id, "");
	assert_true(c->p[0].has_secret);
	assert_false(c->p[1].has_secret);
	assert_false(c->p[1].has_session_token);
	assert_false(c->p[2].has_secret);
	free(c);
	assert_span(cfg, "empty", NULL);
	assert_span(cfg, "noeq", NULL);
	assert_span(cfg, NULL, "s");
}

/* Secrets are never copied: not into the struct, whatever the layout. */
static void test_canary_not_copied(void **state)
{
	static const char cfg[] = "[" CANARY "x y]\n"
				  "aws_access_key_id = " CANARY "\n"
				  "[default]\n"
				  "aws_secret_access_key = " CANARY "\n"
				  "aws_session_token = " CANARY_TOKEN "\n"
				  "aws_security_token = " CANARY_TOKEN "\n"
				  "aws_secret_access_key:" CANARY "\n";
	struct aws_creds *c = PARSE(cfg);

	assert_int_equal(c->n, 1);
	assert_true(c->p[0].has_secret);
	assert_true(c->p[0].has_session_token);
	assert_null(memmem(c, sizeof(*c), "CANARY", 6));
	free(c);
}

static void test_truncated(void **state)
{
	char cfg[4096] = "";
	struct aws_creds *c;
	int i;

	for (i = 0; i < 17; i++)
		sprintf(cfg + strlen(cfg), "[p%02d]\naws_access_key_id = AKIA%016d\n", i, i);
	c = parse(cfg, strlen(cfg));
	assert_int_equal(c->n, AWS_MAX_PROFILES);
	assert_true(c->truncated);
	assert_string_equal(c->p[15].name, "p15");
	assert_string_equal(c->p[15].access_key_id, "AKIA0000000000000015");
	free(c);

	/* A repeated section adds to the same profile and takes no new slot. */
	cfg[0] = '\0';
	for (i = 0; i < 16; i++)
		sprintf(cfg + strlen(cfg), "[p%02d]\n", i);
	strcat(cfg, "[p03]\naws_secret_access_key = x\n[profile p03]\naws_session_token = t\n");
	c = parse(cfg, strlen(cfg));
	assert_int_equal(c->n, 16);
	assert_false(c->truncated);
	assert_true(c->p[3].has_secret);
	assert_true(c->p[3].has_session_token);
	free(c);
}

static void test_sections_and_continuations(void **state)
{
	static const char cfg[] = "aws_secret_access_key = before-any-section\n"
				  "[default]\n"
				  "s3 =\n"
				  "    aws_access_key_id = " KEY2 "\n"
				  "\n"
				  "    aws_secret_access_key = nested\n"
				  "region = us-east-1\n"
				  "[sso-session corp]\n"
				  "aws_access_key_id = " KEY1 "\n"
				  "aws_secret_access_key = sso-session-secret\n"
				  "[services s3-local]\n"
				  "[]\n"
				  "[unterminated\n"
				  "aws_secret_access_key = after-unterminated\n"
				  "[profile]\n";
	struct aws_creds *c = PARSE(cfg);

	assert_int_equal(c->n, 2);
	assert_string_equal(c->p[0].name, "default");
	assert_string_equal(c->p[0].access_key_id, "");
	assert_false(c->p[0].has_secret);
	assert_string_equal(c->p[1].name, "profile"); /* "[profile]" in a credentials file */
	free(c);
	assert_span(cfg, NULL, NULL);
	assert_span(cfg, "default", NULL);

	/* Keys indented alike are separate keys. */
	c = PARSE("[a]\n  aws_access_key_id = " KEY1 "\n  aws_secret_access_key = s\n");
	assert_string_equal(c->p[0].access_key_id, KEY1);
	assert_true(c->p[0].has_secret);
	free(c);
}

static void test_hostile(void **state)
{
	static const char nul[] = "[a\0b]\naws_access_key_id = " KEY1 "\n[c]\n\0\0\n";
	char name[400] = "[", *cfg;
	struct aws_creds *c;
	size_t len, i;
	int k;
	unsigned int seed = 7;

	c = PARSE(nul);
	assert_int_equal(c->n, 2);
	assert_string_equal(c->p[0].name, "a?b");
	assert_string_equal(c->p[0].access_key_id, KEY1);
	free(c);

	/* A long name is cut at a UTF-8 boundary; control bytes become '?'. */
	for (i = 0; i < 150; i++)
		strcat(name, "\xc3\xa9");
	strcat(name, "]\n[x\ty]\n[\x1b[31m]\n");
	c = parse(name, strlen(name));
	assert_int_equal(c->n, 2); /* "x\ty" has a blank in it: not a profile */
	assert_int_equal(strlen(c->p[0].name), 126);
	assert_string_equal(c->p[1].name, "?[31m");
	free(c);

	c = malloc(sizeof(*c));
	assert_non_null(c);
	assert_int_equal(aws_creds_parse(NULL, 10, c), 0);
	assert_int_equal(c->n, 0);
	free(c);
	c = parse("", 0);
	assert_int_equal(c->n, 0);
	free(c);

	/* Every prefix and random mutations of a real file. */
	cfg = strdup("[default]\r\naws_access_key_id = " KEY1 "\r\n"
		     "aws_secret_access_key = " CANARY "\r\n[profile x]\n s3 =\n  a = b\n");
	assert_non_null(cfg);
	len = strlen(cfg);
	for (i = 0; i <= len; i++)
		free(parse(cfg, i));
	for (k = 0; k < 2000; k++) {
		char *m = strdup(cfg);
		const char *v;
		size_t n;

		seed = seed * 1103515245 + 12345;
		m[(seed >> 8) % len] = (char)(seed >> 20);
		free(parse(m, len));
		if (!aws_creds_secret_span(m, len, NULL, &v, &n))
			assert_true(v >= m && v + n <= m + len);
		free(m);
	}
	free(cfg);
}

static void test_cache_cli(void **state)
{
	static const char json[] =
		"{\"ProviderType\": \"assume-role\", \"Credentials\": {"
		"\"AccessKeyId\": \"" KEY2 "\", \"SecretAccessKey\": \"" CANARY "\","
		"\"SessionToken\": \"" CANARY_TOKEN "\", \"Expiration\": \"2024-11-08T10:00:00Z\"},"
		"\"AssumedRoleUser\": {\"AssumedRoleId\": \"AROA:session\","
		"\"Arn\": \"arn:aws:sts::123456789012:assumed-role/deploy/session\"}}";
	struct aws_profile p;

	assert_int_equal(cache(json, &p), 0);
	assert_string_equal(p.name, "assume-role");
	assert_string_equal(p.access_key_id, KEY2);
	assert_true(p.has_secret);
	assert_true(p.has_session_token);
	assert_null(memmem(&p, sizeof(p), "CANARY", 6));

	/* No ProviderType; an escaped quote inside the secret. */
	assert_int_equal(cache("{\"Credentials\":{\"AccessKeyId\":\"bogus\","
			       "\"SecretAccessKey\":\"CANARY\\\"x\\\\\"}}",
			       &p),
			 0);
	assert_string_equal(p.name, "cli");
	assert_string_equal(p.access_key_id, "");
	assert_true(p.has_secret);
	assert_false(p.has_session_token);
}

static void test_cache_sso_and_process(void **state)
{
	static const char sso[] = "{\"startUrl\": \"https://corp-secret-org.awsapps.com/start\","
				  "\"region\": \"eu-west-1\","
				  "\"accessToken\": \"" CANARY_TOKEN "\","
				  "\"expiresAt\": \"2024-11-08T10:00:00Z\","
				  "\"refreshToken\": \"" CANARY "\"}";
	struct aws_profile p;

	assert_int_equal(cache(sso, &p), 0);
	assert_string_equal(p.name, "sso");
	assert_string_equal(p.access_key_id, "");
	assert_true(p.has_session_token);
	assert_true(p.has_secret);
	assert_null(memmem(&p, sizeof(p), "CANARY", 6));
	assert_null(memmem(&p, sizeof(p), "corp-secret-org", 15));

	assert_int_equal(cache("{\"clientId\":\"cid\",\"clientSecret\":\"" CANARY "\","
			       "\"expiresAt\":\"2025-01-01T00:00:00Z\"}",
			       &p),
			 0);
	assert_string_equal(p.name, "sso-client");
	assert_true(p.has_secret);
	assert_false(p.has_session_token);

	assert_int_equal(cache("{\"Version\":1,\"AccessKeyId\":\"" KEY1 "\","
			       "\"SecretAccessKey\":\"" CANARY "\"}",
			       &p),
			 0);
	assert_string_equal(p.name, "credential_process");
	assert_string_equal(p.access_key_id, KEY1);
	assert_true(p.has_secret);
	assert_false(p.has_session_token);

	/* Container credentials endpoint: "Token". */
	assert_int_equal(cache("{\"AccessKeyId\":\"" KEY2 "\",\"SecretAccessKey\":\"s\","
			       "\"Token\":\"t\"}",
			       &p),
			 0);
	assert_true(p.has_session_token);
}

static void test_cache_bad(void **state)
{
	struct aws_profile p;

	assert_int_equal(cache("[1,2]", &p), -EINVAL);
	assert_int_equal(cache("not json", &p), -EINVAL);
	assert_int_equal(cache("{\"accessToken\":\"cut", &p), -EINVAL);
	assert_int_equal(cache("", &p), -EINVAL);
	assert_int_equal(cache("{\"region\":\"x\"}", &p), -ENOENT);
	assert_int_equal(cache("{\"Credentials\":[]}", &p), -ENOENT);
	assert_string_equal(p.name, "");
	assert_int_equal(aws_cache_json_parse(NULL, 4, &p), -EINVAL);
	/* A string that runs to the end, an escape as the last byte. */
	assert_int_equal(cache("{\"SecretAccessKey\":\"abc\\", &p), -EINVAL);
	assert_int_equal(cache("\"", &p), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_profiles),
		cmocka_unit_test(test_access_key_id),
		cmocka_unit_test(test_comments),
		cmocka_unit_test(test_crlf),
		cmocka_unit_test(test_missing_key),
		cmocka_unit_test(test_canary_not_copied),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_sections_and_continuations),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_cache_cli),
		cmocka_unit_test(test_cache_sso_and_process),
		cmocka_unit_test(test_cache_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
