// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "aws_creds.h"

#define CANARY "wJalrXUtnFEMIcanary0K7MDENGbPxRfiCYEXAMPLEKEY"

static const char file[] = "# comment\r\n"
			   "[default]\r\n"
			   "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\r\n"
			   "aws_secret_access_key=" CANARY "\r\n"
			   "\n"
			   "[profile ci]\n"
			   "  aws_access_key_id=ASIAABCDEFGHIJKLMNOP\n"
			   "aws_session_token = tok\n"
			   "; another comment\n"
			   "[broken]\n"
			   "aws_access_key_id = not-a-key\n";

static void test_profiles(void **state)
{
	struct aws_creds c;

	assert_int_equal(aws_creds_parse(file, strlen(file), &c), 0);
	assert_int_equal(c.n, 3);
	assert_string_equal(c.p[0].name, "default");
	assert_string_equal(c.p[0].access_key_id, "AKIAIOSFODNN7EXAMPLE");
	assert_true(c.p[0].has_secret);
	assert_string_equal(c.p[1].name, "ci");
	assert_string_equal(c.p[1].access_key_id, "ASIAABCDEFGHIJKLMNOP");
	assert_true(c.p[1].has_session_token);
	assert_false(c.p[1].has_secret);
	assert_string_equal(c.p[2].access_key_id, "");
	assert_null(memmem(&c, sizeof(c), CANARY, strlen(CANARY)));
}

static void test_secret_span(void **state)
{
	const char *v;
	size_t n;

	assert_int_equal(aws_creds_secret_span(file, strlen(file), NULL, &v, &n), 0);
	assert_int_equal(n, strlen(CANARY));
	assert_memory_equal(v, CANARY, n);
	assert_int_equal(aws_creds_secret_span(file, strlen(file), "ci", &v, &n), -ENOENT);
	assert_int_equal(aws_creds_secret_span("", 0, NULL, &v, &n), -ENOENT);
}

static void test_empty_and_truncated(void **state)
{
	struct aws_creds c;
	char many[4096] = "";

	assert_int_equal(aws_creds_parse("", 0, &c), -ENOENT);
	assert_int_equal(aws_creds_parse("aws_access_key_id=AKIAIOSFODNN7EXAMPLE", 38, &c), -ENOENT);
	for (int i = 0; i < 17; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many), "[p%d]\nx=1\n", i);
	assert_int_equal(aws_creds_parse(many, strlen(many), &c), 0);
	assert_int_equal(c.n, AWS_MAX_PROFILES);
	assert_true(c.truncated);
	assert_true(aws_access_key_id_valid("AKIAIOSFODNN7EXAMPLE", 20));
	assert_false(aws_access_key_id_valid("AKIAiosfodnn7example", 20));
	assert_false(aws_access_key_id_valid("XKIAIOSFODNN7EXAMPLE", 20));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_profiles),
		cmocka_unit_test(test_secret_span),
		cmocka_unit_test(test_empty_and_truncated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
