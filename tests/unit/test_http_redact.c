// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_redact.h"
#include "redact.h"

#define ALNUM "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

/* Redact from an exactly-sized heap copy (no NUL) so ASan sees a read past len. */
static bool path(const char *in, char *out, size_t cap, bool *params)
{
	size_t n = strlen(in);
	char *copy = malloc(n ? n : 1);
	bool cut;

	assert_non_null(copy);
	memcpy(copy, in, n);
	cut = http_redact_path(copy, n, out, cap, params);
	free(copy);
	return cut;
}

static void expect_path(const char *in, const char *want, bool want_params)
{
	char out[1024];
	bool params;

	assert_false(path(in, out, sizeof(out), &params));
	assert_string_equal(out, want);
	assert_int_equal(params, want_params);
}

static void test_ordinary_paths_kept(void **state)
{
	static const char *const paths[] = {
		"/", "", "/api/v1/users/12345", "/repos/acme/widgets/pulls",
		"/repos/acme/widgets/pulls/42/comments", "/api/v4/projects/group%2Fproject/jobs",
		"/v2/library/nginx/manifests/sha256:"
		"e4d2b5f1a3c7e8d9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3",
		"/repos/acme/widgets/commits/9fceb02d0ae598e95dc970b74767f19372d61af8",
		"/v1/pods/123e4567-e89b-12d3-a456-426614174000",
		"/storage/v1/b/MyBucketName2024Archive/o", "/compute/v1/ApplicationGateway2023Q1",
		"/api/getUserProfileById2ForAdmin", "/images/WindowsServer2022Datacenter",
		"/static/js/main.4f3a2b1c.chunk.js", "/photos/IMG_20240101_123456.jpg",
		"/v1/projects/my-project-123/locations/us-central1/functions",
		"/2015-03-31/functions/my-function/invocations", "/services/data/v58.0/sobjects",
		"/services/T0/", "/bot/status", "/robots.txt", "//double//slashes/",
	};
	size_t i;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		expect_path(paths[i], paths[i], false);
}

static void test_secret_segments(void **state)
{
	/* Telegram: a token glued to "bot", a GitHub token there in the audit's example */
	expect_path("/botghp_0123456789abcdefghijABCDEFGHIJ012345/getMe",
		    "/" REDACTED "/getMe", false);
	expect_path("/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/sendMessage",
		    "/" REDACTED "/sendMessage", false);
	/* Slack webhook: the last segment whatever it looks like */
	expect_path("/services/T0/B0/q7canaryx9f3", "/services/T0/B0/" REDACTED, false);
	expect_path("/services/T01ABCDEF/B02GHIJKL/Bf8DkQj2LmN3pRs5TuVwXyZ1",
		    "/services/T01ABCDEF/B02GHIJKL/" REDACTED, false);
	/* Discord webhook: a long random token */
	expect_path("/api/webhooks/1234567890/"
		    "Kq8vT2mZ9xLr4NpW7bYc3HdJ6fGs5QaE-Kq8vT2mZ9xLr4NpW7bYc3HdJ6fGs5QaE",
		    "/api/webhooks/1234567890/" REDACTED, false);
	/* token formats and JWTs anywhere in a segment */
	expect_path("/x/glpat-abcdefghij0123456789/y", "/x/" REDACTED "/y", false);
	expect_path("/hooks/xoxb-1234567890-abcdef", "/hooks/" REDACTED, false);
	expect_path("/k/AKIAQ7CANARYX9F3ZV2M", "/k/" REDACTED, false);
	expect_path("/t/eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln/x", "/t/" REDACTED "/x", false);
	expect_path("/a/token-Bf8DkQj2LmN3pRs5TuVwXyZ1", "/a/" REDACTED, false);
}

static void test_matrix_params(void **state)
{
	expect_path("/app/login;jsessionid=q7canaryx9f3zv2mw4kp", "/app/login", true);
	expect_path("/a;v=1/b;sid=q7canary/c", "/a/b/c", true);
	expect_path("/a/;x", "/a/", true);
	/* a secret before the parameters still goes */
	expect_path("/x/ghp_0123456789abcdefghijABCDEFGHIJ012345;a=b", "/x/" REDACTED, true);
}

static void test_path_bounds(void **state)
{
	char out[16], big[4096];
	bool params;

	/* cut to fit, never past cap */
	assert_true(path("/0123456789/0123456789", out, sizeof(out), &params));
	assert_string_equal(out, "/0123456789/012");
	/* a secret longer than the room is redacted before the cut */
	memset(big, 0, sizeof(big));
	strcpy(big, "/p/");
	for (size_t i = 3; i < sizeof(big) - 1; i++)
		big[i] = ALNUM[(i * 7919) % 62];
	char *wide = malloc(1024);
	assert_non_null(wide);
	assert_false(path(big, wide, 1024, &params));
	assert_string_equal(wide, "/p/" REDACTED);
	free(wide);
	/* a short Slack secret grows into REDACTED: cut to fit, never past cap */
	assert_true(path("/services/T0/B0/x", out, sizeof(out), &params));
	assert_string_equal(out, "/services/T0/B0");
	expect_path("/services/T0/B0/x", "/services/T0/B0/" REDACTED, false);
}

static void random_token(char *tok, size_t len, unsigned *seed)
{
	for (size_t i = 0; i < len; i++) {
		*seed = *seed * 1103515245u + 12345u;
		tok[i] = ALNUM[(*seed >> 16) % 62];
	}
	tok[len] = '\0';
}

/* Random tokens made at run time in the forms with a rule of their own: never kept. */
static void test_random_canaries(void **state)
{
	static const char *const fmt[] = {
		"/bot123456789:%s/getMe", "/botghp_%s/getMe", "/services/T0/B0/%s",
		"/x/y;jsessionid=%s", "/a/glpat-%s/b",
	};
	char tok[64], in[256], out[1024];
	bool params;
	unsigned seed = 12345;

	for (int iter = 0; iter < 2000; iter++) {
		random_token(tok, iter % 2 ? 24 : 35, &seed);
		for (size_t f = 0; f < sizeof(fmt) / sizeof(fmt[0]); f++) {
			snprintf(in, sizeof(in), fmt[f], tok, tok);
			path(in, out, sizeof(out), &params);
			if (strstr(out, tok))
				fail_msg("leaked: %s -> %s", in, out);
		}
	}
}

/* The generic rule for short random runs is statistical: it must catch most random
 * 24-byte tokens (Slack's webhook secret length) while keeping the names above. */
static void test_random_runs_mostly_caught(void **state)
{
	char tok[64], in[128], out[1024];
	bool params;
	unsigned seed = 777;
	int caught = 0;

	for (int iter = 0; iter < 1000; iter++) {
		random_token(tok, 24, &seed);
		snprintf(in, sizeof(in), "/hooks/%s", tok);
		path(in, out, sizeof(out), &params);
		caught += !strcmp(out, "/hooks/" REDACTED);
	}
	assert_in_range(caught, 850, 1000);
}

static void expect_ua(const char *in, const char *want)
{
	char out[256];

	http_redact_user_agent(in, strlen(in), out, sizeof(out));
	assert_string_equal(out, want);
}

static void test_user_agent(void **state)
{
	static const char *const kept[] = {
		"curl/8.5.0", "python-requests/2.31.0", "Go-http-client/1.1", "git/2.39.2",
		"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
		"Chrome/120.0.0.0 Safari/537.36",
		"aws-cli/2.15.0 Python/3.11.6 Linux/6.1.0 exe/x86_64.debian.12 prompt/off "
		"command/s3.ls",
		"grpc-go/1.60", "okhttp/4.12",
	};

	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
		expect_ua(kept[i], kept[i]);
	expect_ua("tool token=ghp_0123456789abcdefghijABCDEFGHIJ012345",
		  "tool token=" REDACTED);
	expect_ua("tool token=q7canaryx9f3", "tool token=" REDACTED);
	expect_ua("tool/1.0 (ghp_0123456789abcdefghijABCDEFGHIJ012345)",
		  "tool/1.0 (" REDACTED ")");
	expect_ua("bot/2 key Kq8vT2mZ9xLr4NpW7bYc3HdJ6fGs5QaE", "bot/2 key " REDACTED);
	expect_ua("app api_key=abc; v=1", "app api_key=" REDACTED "; v=1");
}

/* The same User-Agent again (the memo of the last one) gives the same result: a
 * secret stays hidden, a shorter destination still cuts, and a value that only
 * shares a prefix with the last one (or is the last one cut short) is judged
 * on its own. */
static void test_user_agent_repeated(void **state)
{
	static const char secret[] = "tool token=ghp_0123456789abcdefghijABCDEFGHIJ012345";
	char out[256], small[8];
	char longer[700];

	for (int i = 0; i < 3; i++) {
		assert_false(http_redact_user_agent(secret, strlen(secret), out, sizeof(out)));
		assert_string_equal(out, "tool token=" REDACTED);
	}
	assert_true(http_redact_user_agent(secret, strlen(secret), small, sizeof(small)));
	assert_string_equal(small, "tool to");
	/* the first 11 bytes of the memo: "tool token=" alone holds nothing secret */
	assert_false(http_redact_user_agent(secret, 11, out, sizeof(out)));
	assert_string_equal(out, "tool token=");
	expect_ua("curl/8.5.0", "curl/8.5.0");
	expect_ua(secret, "tool token=" REDACTED);
	/* longer than the memo keeps: redacted each time, not kept */
	memset(longer, 'a', sizeof(longer));
	memcpy(longer, "x token=", 8);
	for (int i = 0; i < 2; i++) {
		assert_false(http_redact_user_agent(longer, sizeof(longer), out, sizeof(out)));
		assert_string_equal(out, "x token=" REDACTED);
	}
	expect_ua("curl/8.5.0", "curl/8.5.0");
}

static void test_traceparent(void **state)
{
	static const char *const ok[] = {
		"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
		"01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00",
	};
	static const char *const bad[] = {
		"", "00-abc-def-01", "q7canaryx9f3zv2mw4kp",
		"00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01",	/* upper case */
		"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x", /* too long */
		"00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",	/* short trace id */
		"ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",	/* version ff */
		"00-00000000000000000000000000000000-00f067aa0ba902b7-01",	/* zero trace id */
		"00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",	/* zero parent */
		"00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
		"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g",
		"00-ghp_0123456789abcdefghijABCDEFGHI-00f067aa0ba902b7-01",
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		assert_true(http_redact_traceparent_ok(ok[i], strlen(ok[i])));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (http_redact_traceparent_ok(bad[i], strlen(bad[i])))
			fail_msg("accepted: %s", bad[i]);
	assert_false(http_redact_traceparent_ok(NULL, 0));
	/* the length is honoured: a valid prefix of a longer buffer is not enough */
	assert_false(http_redact_traceparent_ok(ok[0], 54));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ordinary_paths_kept),
		cmocka_unit_test(test_secret_segments),
		cmocka_unit_test(test_matrix_params),
		cmocka_unit_test(test_path_bounds),
		cmocka_unit_test(test_random_canaries),
		cmocka_unit_test(test_random_runs_mostly_caught),
		cmocka_unit_test(test_user_agent),
		cmocka_unit_test(test_user_agent_repeated),
		cmocka_unit_test(test_traceparent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
