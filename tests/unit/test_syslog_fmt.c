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
#include <jansson.h>
#include "syslog_fmt.h"

/* 2026-11-24T11:31:09.123456789Z */
static const struct timespec t0 = { .tv_sec = 1795519869, .tv_nsec = 123456789 };
static const char line[] = "{\"type\":\"process.exec\",\"pid\":42}";

/* Frame line into an exactly-sized heap buffer (so ASan sees overruns) and
 * return it NUL-terminated (caller frees); *n gets the frame length. */
static char *frame(const struct syslog_fmt *f, const struct timespec *t, const char *type,
		   const char *msg, size_t len, size_t *n, bool *oversize)
{
	size_t cap = syslog_fmt_frame_size(f, len);
	char *out = malloc(cap), *s;

	assert_non_null(out);
	*n = syslog_fmt_frame(f, t, type, msg, len, out, oversize);
	assert_true(*n <= cap);
	s = malloc(*n + 1);
	assert_non_null(s);
	memcpy(s, out, *n);
	s[*n] = '\0';
	free(out);
	return s;
}

static void test_rfc5424_exact(void **state)
{
	struct syslog_fmt f;
	bool over = true;
	size_t n;
	char *s;

	syslog_fmt_init(&f, SYSLOG_FMT_RFC5424, SYSLOG_FRAME_NONE, 86, "host1.example", "idtrace",
			4242);
	s = frame(&f, &t0, "process.exec", line, strlen(line), &n, &over);
	assert_string_equal(s, "<86>1 2026-11-24T11:31:09.123456Z host1.example idtrace 4242 "
			       "process.exec - {\"type\":\"process.exec\",\"pid\":42}");
	assert_int_equal(n, strlen(s));
	assert_false(over);
	free(s);
}

static void test_octet_counting(void **state)
{
	const char *want_body = "<86>1 2026-11-24T11:31:09.123456Z h idtrace 7 process.exec - "
				"{\"type\":\"process.exec\",\"pid\":42}";
	char want[256];
	struct syslog_fmt f;
	bool over;
	size_t n;
	char *s;

	syslog_fmt_init(&f, SYSLOG_FMT_RFC5424, SYSLOG_FRAME_OCTET, 86, "h", "idtrace", 7);
	s = frame(&f, &t0, "process.exec", line, strlen(line), &n, &over);
	snprintf(want, sizeof(want), "%zu %s", strlen(want_body), want_body);
	assert_string_equal(s, want);
	assert_memory_equal(s, "93 <86>1 ", 9);
	free(s);

	/* LF and NUL trailers, no count. */
	f.framing = SYSLOG_FRAME_LF;
	s = frame(&f, &t0, "process.exec", line, strlen(line), &n, &over);
	assert_int_equal(n, strlen(want_body) + 1);
	assert_memory_equal(s, want_body, strlen(want_body));
	assert_int_equal(s[n - 1], '\n');
	free(s);
	f.framing = SYSLOG_FRAME_NUL;
	s = frame(&f, &t0, "process.exec", line, strlen(line), &n, &over);
	assert_int_equal(n, strlen(want_body) + 1);
	assert_int_equal(s[n - 1], '\0');
	free(s);
}

static void test_timestamp_padding(void **state)
{
	/* 2026-03-02T04:05:06.000001Z: every field zero-padded; ns truncated to us. */
	struct timespec t = { .tv_sec = 1772424306, .tv_nsec = 1999 };
	struct syslog_fmt f;
	bool over;
	size_t n;
	char *s;

	syslog_fmt_init(&f, SYSLOG_FMT_RFC5424, SYSLOG_FRAME_NONE, 30, "h", "idtrace", 1);
	s = frame(&f, &t, NULL, "x", 1, &n, &over);
	assert_string_equal(s, "<30>1 2026-03-02T04:05:06.000001Z h idtrace 1 - - x");
	free(s);
}

static void test_local_format(void **state)
{
	struct syslog_fmt f;
	bool over;
	size_t n;
	char *s;

	setenv("TZ", "UTC", 1);
	syslog_fmt_init(&f, SYSLOG_FMT_LOCAL, SYSLOG_FRAME_NONE, 86, "ignored", "idtrace", 4242);
	s = frame(&f, &t0, "process.exec", line, strlen(line), &n, &over);
	assert_string_equal(s, "<86>Nov 24 11:31:09 idtrace[4242]: " "{\"type\":\"process.exec\","
			       "\"pid\":42}");
	free(s);
	{
		struct timespec t = { .tv_sec = 1772424306 };

		s = frame(&f, &t, "x", "m", 1, &n, &over);
		assert_string_equal(s, "<86>Mar  2 04:05:06 idtrace[4242]: m");
		free(s);
	}
}

static void test_msgid_sanitize(void **state)
{
	char out[40];

	assert_int_equal(syslog_fmt_sanitize("process.exec", 32, out, sizeof(out)), 12);
	assert_string_equal(out, "process.exec");
	/* Space, control, DEL and non-ASCII bytes become '_'. */
	assert_int_equal(syslog_fmt_sanitize("a b\tc\x7f\xc3\xa9", 32, out, sizeof(out)), 8);
	assert_string_equal(out, "a_b_c___");
	/* At most 32 characters. */
	syslog_fmt_sanitize("0123456789abcdef0123456789ABCDEFxyz", 32, out, sizeof(out));
	assert_string_equal(out, "0123456789abcdef0123456789ABCDEF");
	/* NULL and empty are the NILVALUE. */
	assert_int_equal(syslog_fmt_sanitize(NULL, 32, out, sizeof(out)), 1);
	assert_string_equal(out, "-");
	syslog_fmt_sanitize("", 32, out, sizeof(out));
	assert_string_equal(out, "-");
	/* The output buffer bounds too. */
	syslog_fmt_sanitize("abcdef", 32, out, 4);
	assert_string_equal(out, "abc");
}

static void test_msgid_in_header(void **state)
{
	struct syslog_fmt f;
	bool over;
	size_t n;
	char *s;

	syslog_fmt_init(&f, SYSLOG_FMT_RFC5424, SYSLOG_FRAME_NONE, 86, "my host", "idtrace", 1);
	s = frame(&f, &t0, "tls request/\xe2\x80\xa6-and-a-very-long-tail-beyond-32", "{}", 2, &n,
		  &over);
	assert_string_equal(s, "<86>1 2026-11-24T11:31:09.123456Z my_host idtrace 1 "
			       "tls_request/___-and-a-very-long- - {}");
	free(s);
}

static void test_hostname_limit(void **state)
{
	char host[400];
	struct syslog_fmt f;

	memset(host, 'h', sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	syslog_fmt_init(&f, SYSLOG_FMT_RFC5424, SYSLOG_FRAME_NONE, 86, host, "idtrace", 1);
	assert_int_equal(strlen(f.hostname), 255);
	syslog_fmt_init(&f, SYSLOG_FMT_RFC5424, SYSLOG_FRAME_NONE, 86, "", "idtrace", 1);
	assert_string_equal(f.hostname, "-");
}

static void test_pri(void **state)
{
	assert_int_equal(syslog_fmt_facility("kern"), 0);
	assert_int_equal(syslog_fmt_facility("auth"), 4);
	assert_int_equal(syslog_fmt_facility("daemon"), 3);
	assert_int_equal(syslog_fmt_facility("authpriv"), 10);
	assert_int_equal(syslog_fmt_facility("local0"), 16);
	assert_int_equal(syslog_fmt_facility("local7"), 23);
	assert_int_equal(syslog_fmt_facility("17"), 17);
	assert_int_equal(syslog_fmt_facility("0"), 0);
	assert_int_equal(syslog_fmt_facility("24"), -EINVAL);
	assert_int_equal(syslog_fmt_facility("-1"), -EINVAL);
	assert_int_equal(syslog_fmt_facility("local8"), -EINVAL);
	assert_int_equal(syslog_fmt_facility("3x"), -EINVAL);
	assert_int_equal(syslog_fmt_facility(""), -EINVAL);
	assert_int_equal(syslog_fmt_facility(NULL), -EINVAL);

	assert_int_equal(syslog_fmt_pri(10, SYSLOG_FMT_SEV_INFO), 86);
	assert_int_equal(syslog_fmt_pri(3, 6), 30);
	assert_int_equal(syslog_fmt_pri(0, 0), 0);
	assert_int_equal(syslog_fmt_pri(23, 7), 191);
	assert_int_equal(syslog_fmt_pri(24, 0), -EINVAL);
	assert_int_equal(syslog_fmt_pri(0, 8), -EINVAL);
	assert_int_equal(syslog_fmt_pri(-1, 0), -EINVAL);
}

/* An oversized line becomes a valid JSON stand-in within max_bytes. */
static void test_oversize_standin(void **state)
{
	struct syslog_fmt f;
	size_t big = 5000, n, hlen;
	char *msg = malloc(big + 1), *s, *body;
	json_t *j;
	json_error_t je;
	bool over;

	assert_non_null(msg);
	/* Quotes, backslashes, a control byte, 3- and 2-byte UTF-8 to escape and not split. */
	memcpy(msg, "{\"type\":\"process.exec\",\"argv\":\"", 31);
	for (size_t i = 31; i < big; i++)
		msg[i] = "ab\"\\\x01\xe2\x82\xac\xc3\xa9"[(i - 31) % 10];
	msg[big] = '\0';

	syslog_fmt_init(&f, SYSLOG_FMT_RFC5424, SYSLOG_FRAME_NONE, 86, "h", "idtrace", 1);
	f.max_bytes = 1024;
	for (size_t max = 1024; max < 1100; max++) {
		f.max_bytes = max;
		s = frame(&f, &t0, "process.exec", msg, big, &n, &over);
		assert_true(over);
		assert_true(n <= max);
		assert_true(n >= max - 6); /* filled up to one escaped character */
		body = strstr(s, " - {");
		assert_non_null(body);
		body += 3;
		hlen = body - s;
		j = json_loadb(body, n - hlen, 0, &je);
		if (!j)
			fail_msg("stand-in is not JSON at max %zu: %s: %s", max, je.text, body);
		assert_string_equal(json_string_value(json_object_get(j, "type")), "process.exec");
		assert_true(json_is_true(json_object_get(j, "truncated")));
		assert_int_equal(json_integer_value(json_object_get(j, "original_bytes")), big);
		/* The head is a prefix of the line. */
		{
			const char *head = json_string_value(json_object_get(j, "head"));

			assert_non_null(head);
			assert_true(strlen(head) > 100);
			assert_memory_equal(head, msg, strlen(head));
		}
		json_decref(j);
		free(s);
	}

	/* Exactly at the limit: sent as it is. */
	f.max_bytes = strlen("<86>1 2026-11-24T11:31:09.123456Z h idtrace 1 process.exec - ") + big;
	s = frame(&f, &t0, "process.exec", msg, big, &n, &over);
	assert_false(over);
	assert_int_equal(n, f.max_bytes);
	free(s);
	f.max_bytes--;
	s = frame(&f, &t0, "process.exec", msg, big, &n, &over);
	assert_true(over);
	free(s);

	/* Octet counting counts the stand-in. */
	f.framing = SYSLOG_FRAME_OCTET;
	f.max_bytes = 2000;
	s = frame(&f, &t0, "process.exec", msg, big, &n, &over);
	assert_true(over);
	assert_int_equal(strtoul(s, NULL, 10), n - (strchr(s, ' ') - s + 1));
	free(s);
	free(msg);
}

/* A huge line within no limit: frame_size is an upper bound with the longest header. */
static void test_frame_size_bound(void **state)
{
	char host[300], type[100];
	struct syslog_fmt f;
	struct timespec t = { .tv_sec = 253402300799, .tv_nsec = 999999999 }; /* 9999-12-31 */
	size_t n;
	bool over;
	char *s;

	memset(host, 'h', sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	memset(type, 't', sizeof(type) - 1);
	type[sizeof(type) - 1] = '\0';
	syslog_fmt_init(&f, SYSLOG_FMT_RFC5424, SYSLOG_FRAME_OCTET, 191, host,
			"an-app-name-that-is-longer-than-forty-eight-characters-in-all", 2147483647);
	s = frame(&f, &t, type, "", 0, &n, &over);
	assert_true(n < SYSLOG_FMT_OVERHEAD);
	free(s);
	f.max_bytes = 1024;
	s = frame(&f, &t, type, "", 0, &n, &over);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc5424_exact),	  cmocka_unit_test(test_octet_counting),
		cmocka_unit_test(test_timestamp_padding), cmocka_unit_test(test_local_format),
		cmocka_unit_test(test_msgid_sanitize),	  cmocka_unit_test(test_msgid_in_header),
		cmocka_unit_test(test_hostname_limit),	  cmocka_unit_test(test_pri),
		cmocka_unit_test(test_oversize_standin),  cmocka_unit_test(test_frame_size_bound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
