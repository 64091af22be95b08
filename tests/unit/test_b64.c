// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "b64.h"

/* Decode from an exactly-sized heap copy into an exactly-sized heap buffer, so ASan sees any
 * access out of bounds. Returns the result; *out (caller frees) holds what was decoded. */
static int decode(const char *in, size_t len, bool url, size_t cap, unsigned char **out,
		  size_t *out_len)
{
	char *copy = malloc(len ? len : 1);
	int err;

	assert_non_null(copy);
	memcpy(copy, in, len);
	*out = malloc(cap ? cap : 1);
	assert_non_null(*out);
	err = b64_decode(copy, len, url, *out, cap, out_len);
	free(copy);
	return err;
}

static void expect_ok(const char *in, bool url, const char *want, size_t want_len)
{
	unsigned char *out;
	size_t n = 12345;

	assert_int_equal(decode(in, strlen(in), url, want_len, &out, &n), 0);
	assert_int_equal(n, want_len);
	assert_memory_equal(out, want, want_len);
	free(out);
}

static void expect_err(const char *in, size_t len, bool url, int want)
{
	unsigned char *out;
	size_t n;

	assert_int_equal(decode(in, len, url, 64, &out, &n), want);
	free(out);
}

#define EXPECT_EINVAL(in, url) expect_err(in, sizeof(in) - 1, url, -EINVAL)

/* Test-local encoder (the module only decodes). */
static char *encode(const unsigned char *in, size_t len, bool url, bool pad)
{
	const char *abc = url ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
			      : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out = malloc(len / 3 * 4 + 5), *o = out;
	size_t i;

	assert_non_null(out);
	for (i = 0; i + 2 < len; i += 3) {
		unsigned int v = in[i] << 16 | in[i + 1] << 8 | in[i + 2];

		*o++ = abc[v >> 18 & 63];
		*o++ = abc[v >> 12 & 63];
		*o++ = abc[v >> 6 & 63];
		*o++ = abc[v & 63];
	}
	if (len - i == 1) {
		*o++ = abc[in[i] >> 2];
		*o++ = abc[(in[i] & 3) << 4];
		if (pad) {
			*o++ = '=';
			*o++ = '=';
		}
	} else if (len - i == 2) {
		*o++ = abc[in[i] >> 2];
		*o++ = abc[(in[i] & 3) << 4 | in[i + 1] >> 4];
		*o++ = abc[(in[i + 1] & 15) << 2];
		if (pad)
			*o++ = '=';
	}
	*o = '\0';
	return out;
}

/* RFC 4648 section 10, padded and unpadded. */
static void test_rfc4648_vectors(void **state)
{
	expect_ok("", false, "", 0);
	expect_ok("Zg==", false, "f", 1);
	expect_ok("Zm8=", false, "fo", 2);
	expect_ok("Zm9v", false, "foo", 3);
	expect_ok("Zm9vYg==", false, "foob", 4);
	expect_ok("Zm9vYmE=", false, "fooba", 5);
	expect_ok("Zm9vYmFy", false, "foobar", 6);
	expect_ok("Zg", false, "f", 1);
	expect_ok("Zm8", false, "fo", 2);
	expect_ok("Zm9vYg", false, "foob", 4);
	expect_ok("Zm9vYmE", true, "fooba", 5);
	expect_ok("Zm9vYg==", true, "foob", 4);
}

static void test_alphabets(void **state)
{
	/* fb ff bf: the two alphabets differ in exactly these characters. */
	expect_ok("+/+/", false, "\xfb\xff\xbf", 3);
	expect_ok("-_-_", true, "\xfb\xff\xbf", 3);
	EXPECT_EINVAL("-_-_", false);
	EXPECT_EINVAL("+/+/", true);
	EXPECT_EINVAL("ab+_", true);
	EXPECT_EINVAL("ab-/", false);
}

static void test_every_byte_value(void **state)
{
	char in[4] = { 'A', 'A', 'A', 0 };
	int c, ok_std = 0, ok_url = 0;
	size_t n;
	unsigned char out[3];

	for (c = 0; c < 256; c++) {
		in[3] = (char)c;
		ok_std += b64_decode(in, 4, false, out, sizeof(out), &n) == 0;
		ok_url += b64_decode(in, 4, true, out, sizeof(out), &n) == 0;
	}
	/* 64 alphabet characters, plus '=' as padding. */
	assert_int_equal(ok_std, 65);
	assert_int_equal(ok_url, 65);
}

static void test_bad_length_and_padding(void **state)
{
	EXPECT_EINVAL("Z", false);
	EXPECT_EINVAL("Zm9vY", false);
	EXPECT_EINVAL("Zg=", false);	  /* padded but not a multiple of 4 */
	EXPECT_EINVAL("Z===", false);	  /* three '=' */
	EXPECT_EINVAL("====", false);
	EXPECT_EINVAL("Zg==Zg==", false); /* padding in the middle */
	EXPECT_EINVAL("Z=g=", false);
	EXPECT_EINVAL("Zm9v\n", false); /* no whitespace */
	EXPECT_EINVAL(" Zm9v", false);
	EXPECT_EINVAL("Zm\0v", false); /* embedded NUL */
	EXPECT_EINVAL("Zm9\xc3", false);
	expect_ok("Zm9=", false, "fo", 2); /* non-zero spare bits are ignored */
}

static void test_enospc(void **state)
{
	unsigned char out[8];
	size_t n = 0;

	memset(out, 0x55, sizeof(out));
	assert_int_equal(b64_decode("Zm9vYmFy", 8, false, out, 5, &n), -ENOSPC);
	assert_int_equal(n, 6);
	assert_int_equal(out[0], 0x55); /* nothing written */
	assert_int_equal(b64_decode("Zm9vYmFy", 8, false, NULL, 0, &n), -ENOSPC);
	assert_int_equal(n, 6);
	assert_int_equal(b64_decode("Zm9vYmFy", 8, false, out, 6, &n), 0);
	assert_memory_equal(out, "foobar", 6);
	assert_int_equal(out[6], 0x55);
	/* A bad character is reported before the size. */
	assert_int_equal(b64_decode("Zm9v!mFy", 8, false, out, 0, &n), -EINVAL);
	assert_int_equal(b64_decode(NULL, 0, false, NULL, 0, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(b64_decode(NULL, 4, false, out, 8, &n), -EINVAL);
}

static void test_decoded_max(void **state)
{
	assert_int_equal(B64_DECODED_MAX(0), 0);
	assert_int_equal(B64_DECODED_MAX(2), 1);
	assert_int_equal(B64_DECODED_MAX(3), 2);
	assert_int_equal(B64_DECODED_MAX(4), 3);
	assert_int_equal(B64_DECODED_MAX(8), 6);
	assert_int_equal(B64_DECODED_MAX(11), 8);
}

/* Every length 0..100 of every byte value, both alphabets, padded and not. */
static void test_round_trip(void **state)
{
	unsigned char data[100], *out;
	size_t len, n;
	int mode;

	for (len = 0; len < sizeof(data); len++)
		data[len] = (unsigned char)(len * 151 + 7);
	for (mode = 0; mode < 4; mode++) {
		for (len = 0; len <= sizeof(data); len++) {
			bool url = mode & 1, pad = mode & 2;
			char *enc = encode(data, len, url, pad);

			assert_int_equal(decode(enc, strlen(enc), url, len, &out, &n), 0);
			assert_int_equal(n, len);
			assert_memory_equal(out, data, len);
			free(out);
			free(enc);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc4648_vectors),
		cmocka_unit_test(test_alphabets),
		cmocka_unit_test(test_every_byte_value),
		cmocka_unit_test(test_bad_length_and_padding),
		cmocka_unit_test(test_enospc),
		cmocka_unit_test(test_decoded_max),
		cmocka_unit_test(test_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
