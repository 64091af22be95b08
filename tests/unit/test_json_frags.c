// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Kept renderings of shared subtrees (user/json_frags.c) and the writer
 * that copies them (json_write_compact_frags).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "json_frags.h"
#include "json_write.h"

static void assert_kept_as(const struct json_frags *f, const json_t *v, const char *want)
{
	size_t len = 0;
	const char *got = json_frags_find(f, v, &len);

	assert_non_null(got);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(got, want, len);
}

static void test_keep_find_drop(void **state)
{
	struct json_frags *f = json_frags_new();
	json_t *a = json_pack("{s:s, s:i, s:[s, b]}", "exe", "/usr/bin/curl", "pid", 42, "args",
			      "curl\n", 1);
	json_t *b = json_pack("{s:s}", "kind", "workload");
	size_t len;

	(void)state;
	assert_non_null(f);
	assert_null(json_frags_find(f, a, &len));
	assert_null(json_frags_find(NULL, a, &len));
	assert_int_equal(json_frags_keep(f, a), 0);
	assert_int_equal(json_frags_keep(f, b), 0);
	assert_int_equal(json_frags_count(f), 2);
	assert_kept_as(f, a, "{\"exe\":\"/usr/bin/curl\",\"pid\":42,\"args\":[\"curl\\n\",true]}");
	assert_kept_as(f, b, "{\"kind\":\"workload\"}");
	/* kept again: rendered anew, still one entry */
	json_object_set_new(b, "cgroup_id", json_integer(7));
	assert_int_equal(json_frags_keep(f, b), 0);
	assert_int_equal(json_frags_count(f), 2);
	assert_kept_as(f, b, "{\"kind\":\"workload\",\"cgroup_id\":7}");
	json_frags_drop(f, a);
	assert_null(json_frags_find(f, a, &len));
	assert_kept_as(f, b, "{\"kind\":\"workload\",\"cgroup_id\":7}");
	json_frags_drop(f, a); /* not kept: nothing happens */
	assert_int_equal(json_frags_count(f), 1);
	assert_int_equal(json_frags_keep(f, NULL), -EINVAL);
	json_frags_free(f);
	json_decref(a);
	json_decref(b);
}

/* Many entries (growing the table several times, with collisions), then
 * every other one dropped: each survivor is still found with its own bytes,
 * and no dropped one is. */
static void test_many_with_drops(void **state)
{
	enum { N = 3000 };
	struct json_frags *f = json_frags_new();
	json_t **v = calloc(N, sizeof(*v));
	char want[64];
	size_t len;

	(void)state;
	assert_non_null(f);
	assert_non_null(v);
	for (int i = 0; i < N; i++) {
		v[i] = json_pack("{s:i}", "n", i);
		assert_int_equal(json_frags_keep(f, v[i]), 0);
	}
	assert_int_equal(json_frags_count(f), N);
	for (int i = 0; i < N; i += 2)
		json_frags_drop(f, v[i]);
	assert_int_equal(json_frags_count(f), N / 2);
	for (int i = 0; i < N; i++) {
		if (i % 2 == 0) {
			assert_null(json_frags_find(f, v[i], &len));
			continue;
		}
		snprintf(want, sizeof(want), "{\"n\":%d}", i);
		assert_kept_as(f, v[i], want);
	}
	for (int i = 1; i < N; i += 2)
		json_frags_drop(f, v[i]);
	assert_int_equal(json_frags_count(f), 0);
	for (int i = 0; i < N; i++) {
		assert_null(json_frags_find(f, v[i], &len));
		json_decref(v[i]);
	}
	free(v);
	json_frags_free(f);
}

/* The writer copies a kept subtree's bytes rather than walking it: shown
 * by changing the subtree after keeping it, which its owner never does. */
static void test_writer_copies_kept_bytes(void **state)
{
	struct json_frags *f = json_frags_new();
	json_t *shared = json_pack("{s:i}", "uid", 1000);
	json_t *ev = json_pack("{s:s, s:O, s:[O, {s:s}]}", "type", "tls.request", "process",
			       shared, "chain", shared, "kind", "destination");
	char buf[256];
	size_t n;
	const char *both = "{\"type\":\"tls.request\",\"process\":{\"uid\":1000},"
			   "\"chain\":[{\"uid\":1000},{\"kind\":\"destination\"}]}";
	char *jansson = json_dumps(ev, JSON_COMPACT);

	(void)state;
	assert_string_equal(jansson, both);
	assert_int_equal(json_frags_keep(f, shared), 0);
	n = json_write_compact_frags(ev, buf, sizeof(buf), f);
	assert_int_equal(n, strlen(both));
	assert_memory_equal(buf, both, n);
	/* one byte short of the line: nothing written */
	assert_int_equal(json_write_compact_frags(ev, buf, n - 1, f), 0);

	json_object_set_new(shared, "uid", json_integer(0));
	n = json_write_compact_frags(ev, buf, sizeof(buf), f);
	assert_memory_equal(buf, both, n);
	n = json_write_compact_frags(ev, buf, sizeof(buf), NULL);
	buf[n] = '\0';
	assert_non_null(strstr(buf, "\"process\":{\"uid\":0}"));
	json_frags_drop(f, shared);
	n = json_write_compact_frags(ev, buf, sizeof(buf), f);
	buf[n] = '\0';
	assert_non_null(strstr(buf, "\"process\":{\"uid\":0}"));
	free(jansson);
	json_decref(ev);
	json_decref(shared);
	json_frags_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keep_find_drop),
		cmocka_unit_test(test_many_with_drops),
		cmocka_unit_test(test_writer_copies_kept_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
