// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "json_write.h"

/* v written by us equals jansson's compact dump, byte for byte; v is freed. */
static void same_as_jansson(json_t *v)
{
	char *want = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	size_t cap = want ? strlen(want) : 0;
	char *buf = malloc(cap + 1);

	assert_non_null(want);
	assert_non_null(buf);
	/* exactly the room needed: ASan sees any write past it */
	assert_int_equal(json_write_compact(v, buf, cap), cap);
	assert_memory_equal(buf, want, cap);
	/* one byte short does not fit */
	if (cap)
		assert_int_equal(json_write_compact(v, buf, cap - 1), 0);
	free(buf);
	free(want);
	json_decref(v);
}

static void test_scalars(void **state)
{
	(void)state;
	same_as_jansson(json_integer(0));
	same_as_jansson(json_integer(-1));
	same_as_jansson(json_integer(4294967295ll));
	same_as_jansson(json_integer(INT64_MAX));
	same_as_jansson(json_integer(INT64_MIN));
	same_as_jansson(json_real(1.5));
	same_as_jansson(json_real(-0.1));
	same_as_jansson(json_true());
	same_as_jansson(json_false());
	same_as_jansson(json_null());
	same_as_jansson(json_string(""));
}

static void test_string_escapes(void **state)
{
	char all[40];

	(void)state;
	same_as_jansson(json_string("quote \" backslash \\ slash / tab \t nl \n cr \r bs \b ff \f"));
	for (int i = 0; i < 32; i++)
		all[i] = (char)(i + 1 == 32 ? 0x1f : i + 1);
	all[31] = 0x1f;
	same_as_jansson(json_stringn(all, 32));
	same_as_jansson(json_stringn("nul\0inside", 10));
	same_as_jansson(json_string("utf-8: h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91 and \x7f"));
}

/* Plain text is passed over eight bytes at a time: every ASCII byte, and a
 * multi-byte character next to one, at each offset of a word and across
 * words, comes out as jansson writes it. */
static void test_string_escapes_at_every_offset(void **state)
{
	char buf[40];

	(void)state;
	for (int b = 0; b < 0x80; b++) {
		for (int at = 0; at < 20; at++) {
			memset(buf, 'a', sizeof(buf));
			buf[at] = (char)b;
			same_as_jansson(json_stringn(buf, 24));
			memcpy(buf + at + 1, "\xc3\xa9", 2); /* é right after it */
			same_as_jansson(json_stringn(buf, 24));
			same_as_jansson(json_stringn(buf, (size_t)at + 1)); /* it last */
		}
	}
	same_as_jansson(json_string("\xe2\x82\xac\xe2\x82\xac\\\xf0\x9f\x94\x91\"\xc2\xa2\xc2\xa2\n"));
}

static void test_containers_keep_order(void **state)
{
	json_t *ev;

	(void)state;
	same_as_jansson(json_object());
	same_as_jansson(json_array());
	ev = json_pack("{s:s, s:I, s:[{s:s, s:b}, {}, [], n], s:{s:{s:{s:i}}}, s:s}", "type",
		       "tls.request", "zeta", (json_int_t)7, "chain", "kind", "human", "ok", 1,
		       "a", "b", "c", "d", 1, "k\"ey\n", "v");
	assert_non_null(ev);
	same_as_jansson(ev);
	/* a key's own length counts, as in jansson: "a\0b" is three bytes */
	ev = json_object();
	assert_int_equal(json_object_setn_new(ev, "a\0b", 3, json_true()), 0);
	same_as_jansson(ev);
}

static void test_too_deep_falls_back(void **state)
{
	json_t *root = json_array(), *cur = root;
	char buf[1024];

	(void)state;
	for (int i = 0; i < 100; i++) {
		json_t *next = json_array();

		json_array_append_new(cur, next);
		cur = next;
	}
	assert_int_equal(json_write_compact(root, buf, sizeof(buf)), 0);
	assert_int_equal(json_write_compact(NULL, buf, sizeof(buf)), 0);
	json_decref(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scalars),
		cmocka_unit_test(test_string_escapes),
		cmocka_unit_test(test_string_escapes_at_every_offset),
		cmocka_unit_test(test_containers_keep_order),
		cmocka_unit_test(test_too_deep_falls_back),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
