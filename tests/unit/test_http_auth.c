// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "http_auth.h"

#define GH_BODY "0123456789abcdefghijABCDEFGHIJ012345"
#define JWT                                                                                 \
	"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0In0."                          \
	"SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
#define SIGV4                                                                               \
	"AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/us-east-1/s3/aws4_request, " \
	"SignedHeaders=host;range;x-amz-date, "                                                 \
	"Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024"

static const char *classify(const char *s)
{
	return http_auth_classify(s, strlen(s));
}

static void parse(const char *s, struct http_auth *a)
{
	http_auth_parse(s, strlen(s), a);
}

/* The token span as a string (test-owned copy). */
static const char *token(const struct http_auth *a, char *buf, size_t cap)
{
	size_t n = a->token_len < cap - 1 ? a->token_len : cap - 1;

	if (a->token)
		memcpy(buf, a->token, n);
	buf[a->token ? n : 0] = '\0';
	return buf;
}

static void test_classify_kinds(void **state)
{
	assert_string_equal(classify(JWT), "jwt");
	assert_string_equal(classify("ghp_" GH_BODY), "github_pat");
	assert_string_equal(classify("gho_" GH_BODY), "github_oauth");
	assert_string_equal(classify("ghu_" GH_BODY), "github_user_to_server");
	assert_string_equal(classify("ghs_" GH_BODY), "github_server_to_server");
	assert_string_equal(classify("ghr_" GH_BODY), "github_refresh");
	assert_string_equal(classify("github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz"
				     "0123456789ABCDEFGHIJKLMNOPQRSTUVW"),
			    "github_fine_grained_pat");
	assert_string_equal(classify("glpat-xxxxxxxxxxxxxxxxxxxx"), "gitlab_pat");
	assert_string_equal(classify("xoxb-123456789012-1234567890123-abcdefghijklmnopqrstuvwx"),
			    "slack");
	assert_string_equal(classify("xoxp-1234-5678-abcdef"), "slack");
	assert_string_equal(classify(SIGV4), "aws_sigv4");
	assert_string_equal(classify("Basic YWxhZGRpbjpvcGVuc2VzYW1l"), "basic");
	assert_string_equal(classify("sk-proj-abcdef0123456789"), "opaque");
	/* a whole Authorization value: the scheme is skipped */
	assert_string_equal(classify("Bearer " JWT), "jwt");
	assert_string_equal(classify("  bearer\t" JWT "  "), "jwt");
	assert_string_equal(classify("token ghp_" GH_BODY), "github_pat");
}

static void test_classify_near_misses(void **state)
{
	assert_string_equal(classify("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0"), "opaque"); /* 1 dot */
	assert_string_equal(classify("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln.ZXh0"), "opaque");
	assert_string_equal(classify("eyJhbGciOiJIUzI1NiJ9..c2ln"), "opaque");	/* empty payload */
	assert_string_equal(classify("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0=.c2ln"), "opaque");
	assert_string_equal(classify("eyJhbGci+OiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln"), "opaque");
	assert_string_equal(classify("xyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln"), "opaque");
	/* alg none: empty signature */
	assert_string_equal(classify("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0."), "jwt");
	assert_string_equal(classify("ghp_short"), "opaque");
	assert_string_equal(classify("ghp_0123456789abcdefghij-BAD-chars!"), "opaque");
	assert_string_equal(classify("glpat-short"), "opaque");
	assert_string_equal(classify("xoxb-"), "opaque");
	assert_string_equal(classify("xoxb_123456789012"), "opaque");
	assert_string_equal(classify(""), "opaque");
	assert_string_equal(classify("   "), "opaque");
	assert_string_equal(http_auth_classify(NULL, 0), "opaque");
	/* length is honoured: no reading past it */
	assert_string_equal(http_auth_classify("ghp_" GH_BODY, 10), "opaque");
	assert_string_equal(http_auth_classify("eyJ", 3), "opaque");
}

static void test_bearer(void **state)
{
	struct http_auth a;
	char buf[512];

	parse("Bearer " JWT, &a);
	assert_string_equal(a.scheme, "Bearer");
	assert_string_equal(token(&a, buf, sizeof(buf)), JWT);
	assert_string_equal(http_auth_kind(&a), "jwt");
	assert_string_equal(a.basic_user, "");

	parse("bEaReR   ghs_" GH_BODY "  ", &a);
	assert_string_equal(a.scheme, "Bearer");
	assert_string_equal(token(&a, buf, sizeof(buf)), "ghs_" GH_BODY);
	assert_string_equal(http_auth_kind(&a), "github_server_to_server");

	parse("token gho_" GH_BODY, &a);
	assert_string_equal(a.scheme, "token");
	assert_string_equal(http_auth_kind(&a), "github_oauth");

	parse("Digest username=\"bob\", response=\"abc\"", &a);
	assert_string_equal(a.scheme, "Digest");
	assert_string_equal(token(&a, buf, sizeof(buf)), "username=\"bob\", response=\"abc\"");
	assert_string_equal(http_auth_kind(&a), "opaque");

	parse("Custom-Scheme abc", &a);
	assert_string_equal(a.scheme, "Custom-Scheme");
	assert_string_equal(token(&a, buf, sizeof(buf)), "abc");
}

static void test_no_scheme(void **state)
{
	struct http_auth a;
	char buf[512];

	/* a bare credential never lands in scheme */
	parse("ghp_" GH_BODY, &a);
	assert_string_equal(a.scheme, "");
	assert_string_equal(token(&a, buf, sizeof(buf)), "ghp_" GH_BODY);
	assert_string_equal(http_auth_kind(&a), "github_pat");

	parse("sk0123456789 extra", &a);	/* digits: not a scheme */
	assert_string_equal(a.scheme, "");
	assert_string_equal(token(&a, buf, sizeof(buf)), "sk0123456789 extra");

	parse("abcdefghijklmnopqrstuvwxyzABCDEFGH x", &a);	/* too long for a scheme */
	assert_string_equal(a.scheme, "");

	parse("xoxb-abcdefghijklmnop more", &a);	/* a token prefix */
	assert_string_equal(a.scheme, "");
	assert_null(memmem(&a, sizeof(a), "abcdefghijklmnop", 16));
}

static void test_basic_user(void **state)
{
	struct http_auth a;
	char buf[512];

	/* alice:CANARY-PASSWORD-9f3 */
	parse("Basic YWxpY2U6Q0FOQVJZLVBBU1NXT1JELTlmMw==", &a);
	assert_string_equal(a.scheme, "Basic");
	assert_string_equal(a.basic_user, "alice");
	assert_string_equal(token(&a, buf, sizeof(buf)), "YWxpY2U6Q0FOQVJZLVBBU1NXT1JELTlmMw==");
	assert_string_equal(http_auth_kind(&a), "basic");
	assert_null(memmem(&a, sizeof(a), "CANARY", 6));

	/* the same without padding, lower-case scheme */
	parse("basic YWxpY2U6Q0FOQVJZLVBBU1NXT1JELTlmMw", &a);
	assert_string_equal(a.scheme, "Basic");
	assert_string_equal(a.basic_user, "alice");

	/* x-access-token:ghs_... (git over HTTPS with an app token) */
	parse("Basic eC1hY2Nlc3MtdG9rZW46Z2hzXzAxMjM0NTY3ODlhYmNkZWZnaGlqQUJDREVGR0hJSjAxMjM0NQ==",
	      &a);
	assert_string_equal(a.basic_user, "x-access-token");
	assert_null(memmem(&a, sizeof(a), "ghs_", 4));

	/* jösé:pw (UTF-8) and a>>?~:pw in both base64 alphabets */
	parse("Basic asO2c8OpOnB3", &a);
	assert_string_equal(a.basic_user, "j\xc3\xb6s\xc3\xa9");
	parse("Basic YT4+P346cHc=", &a);
	assert_string_equal(a.basic_user, "a>>?~");
	parse("Basic YT4-P346cHc=", &a);
	assert_string_equal(a.basic_user, "a>>?~");
}

static void test_basic_user_withheld(void **state)
{
	struct http_auth a;

	/* ghp_...:x-oauth-basic: the user name is the token */
	parse("Basic Z2hwXzAxMjM0NTY3ODlhYmNkZWZnaGlqQUJDREVGR0hJSjAxMjM0NTp4LW9hdXRoLWJhc2lj", &a);
	assert_string_equal(a.basic_user, "");
	assert_null(memmem(&a, sizeof(a), "ghp_", 4));
	/* sk_live_...: (API key as user, empty password) */
	parse("Basic c2tfbGl2ZV9hYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3g6", &a);
	assert_string_equal(a.basic_user, "");
	/* a short key with an empty password: the user name is still the key */
	parse("Basic UWZha2VLZXkxOWNoYXJzMDAwMTo=", &a);
	assert_string_equal(a.basic_user, "");
	assert_null(memmem(&a, sizeof(a), "QfakeKey19", 10));
	/* "bob": no colon, so no user name */
	parse("Basic Ym9i", &a);
	assert_string_equal(a.basic_user, "");
	/* ":pw" */
	parse("Basic OnB3", &a);
	assert_string_equal(a.basic_user, "");
	assert_string_equal(a.scheme, "Basic");
}

static void test_basic_malformed(void **state)
{
	struct http_auth a;
	char *long_user;

	parse("Basic !!!!", &a);
	assert_string_equal(a.basic_user, "");
	parse("Basic YWxp=Y2U6cHc=", &a);	/* data after padding */
	assert_string_equal(a.basic_user, "");
	parse("Basic", &a);
	assert_string_equal(a.scheme, "Basic");
	assert_null(a.token);
	parse("Basic ", &a);
	assert_null(a.token);
	assert_int_equal(a.token_len, 0);
	parse("Basic Y", &a);	/* 6 bits: no byte */
	assert_string_equal(a.basic_user, "");

	/* 126 x 'u' + "é" + ":pw": the cut does not split the UTF-8 sequence */
	parse("Basic dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1"
	      "dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1"
	      "dXV1dXV1w6k6cHc=",
	      &a);
	assert_int_equal(strlen(a.basic_user), 126);
	assert_int_equal(a.basic_user[125], 'u');

	/* a 100 KiB user name */
	long_user = malloc(200000);
	assert_non_null(long_user);
	memcpy(long_user, "Basic ", 6);
	memset(long_user + 6, 'Q', 136000);	/* 'QQQQ' decodes to 0x41 0x04 0x10 ... */
	memcpy(long_user + 6 + 136000, "OnB3", 5);
	parse(long_user, &a);
	assert_int_equal(strlen(a.basic_user), sizeof(a.basic_user) - 1);
	free(long_user);
}

static void test_sigv4(void **state)
{
	struct http_auth a;
	char buf[512];

	parse(SIGV4, &a);
	assert_string_equal(a.scheme, "AWS4-HMAC-SHA256");
	assert_string_equal(a.aws_access_key_id, "AKIAIOSFODNN7EXAMPLE");
	assert_string_equal(a.aws_region, "us-east-1");
	assert_string_equal(a.aws_service, "s3");
	assert_string_equal(token(&a, buf, sizeof(buf)),
			    "fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024");
	assert_string_equal(http_auth_kind(&a), "aws_sigv4");

	/* no spaces after commas, parameters in another order */
	parse("AWS4-HMAC-SHA256 Signature=abcd,SignedHeaders=host,"
	      "Credential=ASIAXYZ/20260101/eu-west-3/sts/aws4_request",
	      &a);
	assert_string_equal(a.aws_access_key_id, "ASIAXYZ");
	assert_string_equal(a.aws_region, "eu-west-3");
	assert_string_equal(a.aws_service, "sts");
	assert_string_equal(token(&a, buf, sizeof(buf)), "abcd");
}

static void test_sigv4_malformed(void **state)
{
	struct http_auth a;

	parse("AWS4-HMAC-SHA256 Credential=AKIAONLY", &a);
	assert_string_equal(a.aws_access_key_id, "AKIAONLY");
	assert_string_equal(a.aws_region, "");
	assert_null(a.token);
	parse("AWS4-HMAC-SHA256 Credential=AKIA/2026", &a);
	assert_string_equal(a.aws_access_key_id, "AKIA");
	assert_string_equal(a.aws_region, "");
	parse("AWS4-HMAC-SHA256 Credential=, Signature=", &a);
	assert_string_equal(a.aws_access_key_id, "");
	assert_null(a.token);
	parse("AWS4-HMAC-SHA256 ,,,, ,", &a);
	assert_string_equal(a.scheme, "AWS4-HMAC-SHA256");
	parse("AWS4-HMAC-SHA256 Credential=AKIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/d/"
	      "rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr/s/aws4_request",
	      &a);
	assert_int_equal(strlen(a.aws_access_key_id), sizeof(a.aws_access_key_id) - 1);
	assert_int_equal(strlen(a.aws_region), sizeof(a.aws_region) - 1);
	assert_string_equal(a.aws_service, "s");
}

static void test_malformed_values(void **state)
{
	static const char nul[] = "Bearer ab\0cd";
	struct http_auth a;
	char *huge;

	http_auth_parse(NULL, 0, &a);
	assert_string_equal(a.scheme, "");
	assert_null(a.token);
	parse("", &a);
	assert_null(a.token);
	parse(" \t ", &a);
	assert_string_equal(a.scheme, "");
	assert_null(a.token);
	parse("Bearer", &a);
	assert_string_equal(a.scheme, "Bearer");
	assert_null(a.token);
	parse("Bearer \t ", &a);
	assert_null(a.token);
	http_auth_parse(nul, sizeof(nul) - 1, &a);
	assert_string_equal(a.scheme, "Bearer");
	assert_int_equal(a.token_len, 5);
	/* length is honoured */
	http_auth_parse("Bearer abcdef", 9, &a);
	assert_int_equal(a.token_len, 2);

	huge = malloc(100 * 1024 + 1);
	assert_non_null(huge);
	memset(huge, 'A', 100 * 1024);
	huge[100 * 1024] = '\0';
	parse(huge, &a);
	assert_string_equal(a.scheme, "");
	assert_int_equal(a.token_len, 100 * 1024);
	memcpy(huge, "Basic ", 6);
	parse(huge, &a);
	assert_string_equal(a.basic_user, "");
	free(huge);
}

/* The secret of a Basic value: the password, else ("key:") the user name. */
static void test_basic_secret(void **state)
{
	unsigned char buf[64];
	const unsigned char *secret;
	size_t n;

	assert_true(http_auth_basic_secret("bWU6cHctMTIz", 12, buf, sizeof(buf), &secret, &n, NULL));
	assert_int_equal(n, 6);
	assert_memory_equal(secret, "pw-123", 6);
	assert_true(http_auth_basic_secret("a2V5LWFiY2RlZjo=", 16, buf, sizeof(buf), &secret, &n, NULL));
	assert_int_equal(n, 10);
	assert_memory_equal(secret, "key-abcdef", 10);
	assert_false(http_auth_basic_secret("bm9jb2xvbg==", 12, buf, sizeof(buf), &secret, &n, NULL));
	assert_false(http_auth_basic_secret("Og==", 4, buf, sizeof(buf), &secret, &n, NULL)); /* ":" */
	assert_false(http_auth_basic_secret("not base64!", 11, buf, sizeof(buf), &secret, &n, NULL));
	assert_false(http_auth_basic_secret("bWU6cHctMTIz", 12, buf, 4, &secret, &n, NULL)); /* no room */
}

/* GitHub's "TOKEN:x-oauth-basic", a token as the user name, GitHub Apps' "x-access-token:TOKEN",
 * GitLab's "oauth2:TOKEN": the token is the secret and is classified as a Bearer token is. */
static void expect_login(const char *b64, const char *want_secret, const char *want_kind)
{
	unsigned char buf[256];
	const unsigned char *secret;
	const char *kind = NULL;
	size_t n;

	assert_true(http_auth_basic_secret(b64, strlen(b64), buf, sizeof(buf), &secret, &n, &kind));
	assert_int_equal(n, strlen(want_secret));
	assert_memory_equal(secret, want_secret, n);
	assert_string_equal(kind, want_kind);
}

static void test_basic_token_logins(void **state)
{
	struct http_auth a;
	const char *secret;
	size_t n;

	/* ghp_...:x-oauth-basic */
	expect_login("Z2hwXzAxMjM0NTY3ODlhYmNkZWZnaGlqQUJDREVGR0hJSjAxMjM0NTp4LW9hdXRoLWJhc2lj", "ghp_0123456789abcdefghijABCDEFGHIJ012345", "github_pat");
	/* two tokens in GitHub's form: two secrets, not the fixed word twice */
	expect_login("Z2hwX1pZWFdWVVRTUlFQT05NTEtKSUhHenl4d3Z1dHNycTk4NzY1NDMyOngtb2F1dGgtYmFzaWM=", "ghp_ZYXWVUTSRQPONMLKJIHGzyxwvutsrq98765432", "github_pat");
	/* an old 40-hex OAuth token: not a known kind, still the secret, never the user */
	expect_login("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2Nzp4LW9hdXRoLWJhc2lj", "0123456789abcdef0123456789abcdef01234567", "basic");
	parse("Basic MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2Nzp4LW9hdXRoLWJhc2lj", &a);
	assert_string_equal(a.basic_user, "");
	assert_string_equal(a.scheme, "Basic");
	/* a token as the user name with any password */
	expect_login("Z2hwXzAxMjM0NTY3ODlhYmNkZWZnaGlqQUJDREVGR0hJSjAxMjM0NTp3aGF0ZXZlcg==", "ghp_0123456789abcdefghijABCDEFGHIJ012345", "github_pat");
	/* x-access-token:ghs_..., oauth2:glpat-...: the password, classified */
	expect_login("eC1hY2Nlc3MtdG9rZW46Z2hzXzAxMjM0NTY3ODlhYmNkZWZnaGlqQUJDREVGR0hJSjAxMjM0NQ==", "ghs_0123456789abcdefghijABCDEFGHIJ012345", "github_server_to_server");
	expect_login("b2F1dGgyOmdscGF0LWFiY2RlZmdoaWowMTIzNDU2Nzg5", "glpat-abcdefghij0123456789", "gitlab_pat");
	/* "key:" */
	expect_login("Z2hwXzAxMjM0NTY3ODlhYmNkZWZnaGlqQUJDREVGR0hJSjAxMjM0NTo=", "ghp_0123456789abcdefghijABCDEFGHIJ012345", "github_pat");
	/* an ordinary login keeps its password and kind */
	expect_login("YWxpY2U6czNjcjN0", "s3cr3t", "basic");
	/* a JWT password stays "basic": its claims are not decoded from Basic */
	expect_login("YWxpY2U6ZXlKaGJHY2lPaUpJVXpJMU5pSjkuZXlKemRXSWlPaUo0SW4wLmMybG4=", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln", "basic");
	/* a password that only starts like GitHub's fixed one is a password */
	expect_login("Ym9iOngtb2F1dGgtYmFzaWNY", "x-oauth-basicX", "basic");
	parse("Basic Ym9iOngtb2F1dGgtYmFzaWNY", &a);
	assert_string_equal(a.basic_user, "bob");

	/* the choice itself, on raw halves */
	assert_string_equal(http_auth_login_secret("u", 1, "", 0, &secret, &n), "basic");
	assert_memory_equal(secret, "u", n);
	assert_string_equal(http_auth_login_secret("u", 1, "p", 1, &secret, &n), "basic");
	assert_memory_equal(secret, "p", n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify_kinds),
		cmocka_unit_test(test_classify_near_misses),
		cmocka_unit_test(test_bearer),
		cmocka_unit_test(test_no_scheme),
		cmocka_unit_test(test_basic_user),
		cmocka_unit_test(test_basic_user_withheld),
		cmocka_unit_test(test_basic_malformed),
		cmocka_unit_test(test_sigv4),
		cmocka_unit_test(test_sigv4_malformed),
		cmocka_unit_test(test_malformed_values),
		cmocka_unit_test(test_basic_secret),
		cmocka_unit_test(test_basic_token_logins),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
