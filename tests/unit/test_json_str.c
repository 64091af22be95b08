// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "json_str.h"

#define FFFD "\xef\xbf\xbd"
#define UNLIMITED ((size_t)-1)

/* Convert from an exactly-sized heap copy so ASan sees any read past len. */
static json_t *conv(const char *s, size_t len, size_t max, bool *truncated)
{
	char *copy = malloc(len ? len : 1);
	json_t *j;

	assert_non_null(copy);
	memcpy(copy, s, len);
	j = json_str_bytes(copy, len, max, truncated);
	free(copy);
	assert_non_null(j);
	assert_true(json_is_string(j));
	return j;
}

/* in -> exactly want (want_len bytes), not truncated. */
static void expect_conv(const char *in, size_t len, const char *want, size_t want_len)
{
	bool trunc = true;
	json_t *j = conv(in, len, UNLIMITED, &trunc);

	assert_false(trunc);
	assert_int_equal(json_string_length(j), want_len);
	assert_memory_equal(json_string_value(j), want, want_len);
	json_decref(j);
}

#define EXPECT(in, want) expect_conv(in, sizeof(in) - 1, want, sizeof(want) - 1)

/* Dump as a JSON document, check it parses back to the same string, return the dump. */
static char *round_trip(json_t *j)
{
	json_error_t err;
	char *dump = json_dumps(j, JSON_ENCODE_ANY);
	json_t *back;

	assert_non_null(dump);
	back = json_loads(dump, JSON_DECODE_ANY, &err);
	assert_non_null(back);
	assert_true(json_equal(j, back));
	json_decref(back);
	return dump;
}

static void test_ascii_kept(void **state)
{
	EXPECT("hello world", "hello world");
	EXPECT("", "");
}

static void test_null_input(void **state)
{
	bool trunc = true;
	json_t *j = json_str_bytes(NULL, 0, 16, &trunc);

	assert_non_null(j);
	assert_string_equal(json_string_value(j), "");
	assert_false(trunc);
	json_decref(j);
	/* NULL with a length is treated as no input, never dereferenced. */
	j = json_str_bytes(NULL, 5, 16, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(j), "");
	json_decref(j);
}

static void test_control_chars_escaped(void **state)
{
	static const char in[] = "a\x01\x1f\t\n\r\x1b[31m\x7f\"\\z";
	json_t *j = conv(in, sizeof(in) - 1, UNLIMITED, NULL);
	char *dump;
	size_t i;

	/* Kept as is in the string ... */
	assert_int_equal(json_string_length(j), sizeof(in) - 1);
	assert_memory_equal(json_string_value(j), in, sizeof(in) - 1);
	/* ... and escaped by the encoder. */
	dump = round_trip(j);
	assert_string_equal(dump, "\"a\\u0001\\u001F\\t\\n\\r\\u001B[31m\x7f\\\"\\\\z\"");
	for (i = 0; dump[i]; i++)
		assert_true((unsigned char)dump[i] >= 0x20);
	free(dump);
	json_decref(j);
}

static void test_valid_multibyte_kept(void **state)
{
	/* Smallest and largest code point of each length, and the edges around surrogates. */
	EXPECT("\xc2\x80", "\xc2\x80");				/* U+0080 */
	EXPECT("\xdf\xbf", "\xdf\xbf");				/* U+07FF */
	EXPECT("\xe0\xa0\x80", "\xe0\xa0\x80");			/* U+0800 */
	EXPECT("\xed\x9f\xbf", "\xed\x9f\xbf");			/* U+D7FF */
	EXPECT("\xee\x80\x80", "\xee\x80\x80");			/* U+E000 */
	EXPECT("\xef\xbf\xbf", "\xef\xbf\xbf");			/* U+FFFF */
	EXPECT("\xf0\x90\x80\x80", "\xf0\x90\x80\x80");		/* U+10000 */
	EXPECT("\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf");		/* U+10FFFF */
	EXPECT("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
	       "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	EXPECT(FFFD, FFFD); /* a real U+FFFD in the input stays one */
}

static void test_bad_lead_bytes(void **state)
{
	EXPECT("a\x80z", "a" FFFD "z");		  /* lone continuation */
	EXPECT("\xbf\xbf", FFFD FFFD);		  /* two lone continuations */
	EXPECT("a\xc0z", "a" FFFD "z");		  /* C0, C1 never valid */
	EXPECT("a\xc1z", "a" FFFD "z");
	EXPECT("\xf5\x80\x80\x80", FFFD FFFD FFFD FFFD); /* F5..FF never valid */
	EXPECT("\xf8\x88\x80\x80\x80", FFFD FFFD FFFD FFFD FFFD);
	EXPECT("\xfe\xff", FFFD FFFD);
}

static void test_bad_continuation(void **state)
{
	/* A sequence cut short by a non-continuation byte: each started byte is replaced and
	 * the following character survives. */
	EXPECT("\xc3z", FFFD "z");
	EXPECT("\xe2\x82z", FFFD FFFD "z");
	EXPECT("\xf0\x9f\x98z", FFFD FFFD FFFD "z");
	EXPECT("\xe2\x82\xc3\xa9", FFFD FFFD "\xc3\xa9");
	/* Cut short by the end of the input. */
	EXPECT("ab\xe2\x82", "ab" FFFD FFFD);
	EXPECT("ab\xf0", "ab" FFFD);
}

static void test_overlong(void **state)
{
	EXPECT("\xc0\xaf", FFFD FFFD);			/* '/' in 2 bytes */
	EXPECT("\xc0\x80", FFFD FFFD);			/* NUL in 2 bytes (modified UTF-8) */
	EXPECT("\xe0\x80\xaf", FFFD FFFD FFFD);		/* '/' in 3 bytes */
	EXPECT("\xe0\x9f\xbf", FFFD FFFD FFFD);		/* U+07FF in 3 bytes */
	EXPECT("\xf0\x80\x80\xaf", FFFD FFFD FFFD FFFD);	/* '/' in 4 bytes */
	EXPECT("\xf0\x8f\xbf\xbf", FFFD FFFD FFFD FFFD);	/* U+FFFF in 4 bytes */
}

static void test_surrogates(void **state)
{
	EXPECT("\xed\xa0\x80", FFFD FFFD FFFD);			/* lone high U+D800 */
	EXPECT("x\xed\xbf\xbfy", "x" FFFD FFFD FFFD "y");	/* lone low U+DFFF */
	/* A CESU-8 pair is still two surrogates. */
	EXPECT("\xed\xa0\xbd\xed\xb8\x80", FFFD FFFD FFFD FFFD FFFD FFFD);
}

static void test_above_max_code_point(void **state)
{
	EXPECT("\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD); /* U+110000 */
	EXPECT("\xf4\xbf\xbf\xbf", FFFD FFFD FFFD FFFD);
}

static void test_embedded_nul(void **state)
{
	json_t *j = conv("a\0b\0", 4, UNLIMITED, NULL);
	char *dump;

	assert_int_equal(json_string_length(j), 8);
	assert_memory_equal(json_string_value(j), "a" FFFD "b" FFFD, 8);
	assert_null(memchr(json_string_value(j), 0, json_string_length(j)));
	dump = round_trip(j);
	free(dump);
	json_decref(j);
}

/* Truncate "aé€😀" (1+2+3+4 bytes) at every max: the result is the longest prefix of whole
 * characters that fits. */
static void test_truncation_on_boundary(void **state)
{
	static const char in[] = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";
	static const size_t fits[11] = { 0, 1, 1, 3, 3, 3, 6, 6, 6, 6, 10 };
	size_t max;

	for (max = 0; max <= 10; max++) {
		bool trunc = false;
		json_t *j = conv(in, 10, max, &trunc);

		assert_int_equal(json_string_length(j), fits[max]);
		assert_memory_equal(json_string_value(j), in, fits[max]);
		assert_int_equal(trunc, max < 10);
		json_decref(j);
	}
}

static void test_truncation_counts_output_bytes(void **state)
{
	bool trunc = false;
	json_t *j;

	/* Two bad bytes become 6 output bytes: max 4 keeps one U+FFFD. */
	j = conv("\xff\xff", 2, 4, &trunc);
	assert_string_equal(json_string_value(j), FFFD);
	assert_true(trunc);
	json_decref(j);
	/* Room for none. */
	j = conv("\xff", 1, 2, &trunc);
	assert_string_equal(json_string_value(j), "");
	assert_true(trunc);
	json_decref(j);
	/* Exactly fits. */
	j = conv("ab\xff", 3, 5, &trunc);
	assert_string_equal(json_string_value(j), "ab" FFFD);
	assert_false(trunc);
	json_decref(j);
	/* NULL truncated pointer is fine. */
	j = conv("abcdef", 6, 3, NULL);
	assert_string_equal(json_string_value(j), "abc");
	json_decref(j);
}

static uint32_t rng(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void test_64k_garbage(void **state)
{
	static const char *pieces[] = {
		"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xed\xa0\x80", "\xc0\xaf",
		"\xf4\x90\x80\x80", "\x00", "\x1b", "\"", "\\", "\xe2\x82",
	};
	const size_t len = 64 * 1024;
	char *buf = malloc(len);
	uint32_t seed = 0x1234567;
	size_t i = 0, max;
	json_t *j;
	char *dump;

	assert_non_null(buf);
	while (i < len) {
		uint32_t r = rng(&seed);

		if (r % 3) {
			buf[i++] = (char)(r >> 8);
		} else {
			const char *p = pieces[(r >> 8) % (sizeof(pieces) / sizeof(pieces[0]))];
			size_t n = *p ? strlen(p) : 1;

			for (size_t k = 0; k < n && i < len; k++)
				buf[i++] = p[k];
		}
	}
	j = conv(buf, len, UNLIMITED, NULL);
	assert_true(json_string_length(j) >= len);
	assert_null(memchr(json_string_value(j), 0, json_string_length(j)));
	dump = round_trip(j);
	free(dump);
	json_decref(j);

	/* The same garbage at many bounds: always valid, always within the bound. */
	for (max = 0; max < 64; max++) {
		bool trunc = false;

		j = conv(buf + max * 7, len - max * 7, max * 13, &trunc);
		assert_true(json_string_length(j) <= max * 13);
		assert_true(json_string_length(j) + 4 > max * 13); /* the next char did not fit */
		assert_true(trunc);
		dump = round_trip(j);
		free(dump);
		json_decref(j);
	}
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ascii_kept),
		cmocka_unit_test(test_null_input),
		cmocka_unit_test(test_control_chars_escaped),
		cmocka_unit_test(test_valid_multibyte_kept),
		cmocka_unit_test(test_bad_lead_bytes),
		cmocka_unit_test(test_bad_continuation),
		cmocka_unit_test(test_overlong),
		cmocka_unit_test(test_surrogates),
		cmocka_unit_test(test_above_max_code_point),
		cmocka_unit_test(test_embedded_nul),
		cmocka_unit_test(test_truncation_on_boundary),
		cmocka_unit_test(test_truncation_counts_output_bytes),
		cmocka_unit_test(test_64k_garbage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
