// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "redact.h"
#include "redact_values.h"

static struct redact_value value_of(const char *s)
{
	return (struct redact_value){ .len = (uint32_t)strlen(s),
				      .hash = redact_values_hash(s, strlen(s)) };
}

static void expect_apply(const struct redact_value *values, int n, const char *in,
			 const char *want)
{
	struct redact_value v[8];
	size_t len;
	char *out;

	assert_true(n <= 8);
	memcpy(v, values, (size_t)n * sizeof(*v));
	redact_values_sort(v, n);
	out = redact_values_apply(v, n, in, strlen(in), &len);

	if (!want) {
		assert_null(out);
		assert_int_equal(len, 0);
		return;
	}
	assert_non_null(out);
	assert_string_equal(out, want);
	assert_int_equal(len, strlen(want));
	free(out);
}

/* Every occurrence, at the start, the end, twice, overlapping ones merged;
 * a near miss (one byte off, one byte short) is kept. */
static void test_apply(void **state)
{
	struct redact_value v[] = { value_of("s3cr3tValue"), value_of("another-one-9"),
				    value_of("aaaaaaaa") };

	expect_apply(v, 3, "s3cr3tValue", REDACTED);
	expect_apply(v, 3, "x=s3cr3tValue;y=s3cr3tValue", "x=" REDACTED ";y=" REDACTED);
	expect_apply(v, 3, "s3cr3tValueanother-one-9", REDACTED);
	expect_apply(v, 3, "aaaaaaaaa", REDACTED); /* two overlapping windows */
	expect_apply(v, 3, "s3cr3tValuE s3cr3tValu", NULL);
	expect_apply(v, 3, "", NULL);
	expect_apply(v, 0, "s3cr3tValue", NULL);
	/* any bytes */
	{
		const char bin[] = "\xff\x01zz\xfe\x80\x7f\x02";
		struct redact_value b = { .len = 8, .hash = redact_values_hash(bin, 8) };
		char in[32];

		snprintf(in, sizeof(in), "<%s>", bin);
		expect_apply(&b, 1, in, "<" REDACTED ">");
	}
	(void)state;
}

/* Which variables give a value: the secret-named ones, not paths, not too
 * short, each value once, none that known() has. */
static int known_is_second(const struct redact_value *v, void *arg)
{
	const struct redact_value *k = arg;

	return v->len == k->len && v->hash == k->hash;
}

static void test_from_env(void **state)
{
	static const char env[] = "HOME=/root\0GITHUB_TOKEN=ghs_0123456789abcdefXYZ\0"
				  "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG\0XAUTHORITY=/run/x/auth\0"
				  "DB_PASSWORD=hunter22\0API_KEY=2short\0TOKEN_FILE=/var/tok-file-x\0"
				  "MY_TOKEN=ghs_0123456789abcdefXYZ\0GIT_AUTHOR_NAME=Some Body Long\0"
				  "VAULT_TOKEN=hvs.abcdefghijklmnop\0=novalue\0BROKEN";
	struct redact_value out[8], second = value_of("wJalrXUtnFEMI/K7MDENG");
	int n = redact_values_from_env(env, sizeof(env), out, 8, NULL, NULL);

	assert_int_equal(n, 4);
	assert_int_equal(out[0].hash, value_of("ghs_0123456789abcdefXYZ").hash);
	assert_int_equal(out[1].hash, second.hash);
	assert_int_equal(out[2].hash, value_of("hunter22").hash);
	assert_int_equal(out[3].hash, value_of("hvs.abcdefghijklmnop").hash);
	assert_int_equal(redact_values_from_env(env, sizeof(env), out, 8, known_is_second,
						&second),
			 3);
	assert_int_equal(redact_values_from_env(env, sizeof(env), out, 2, NULL, NULL), 2);
	assert_int_equal(redact_values_from_env(NULL, 0, out, 8, NULL, NULL), 0);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_apply),
		cmocka_unit_test(test_from_env),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
