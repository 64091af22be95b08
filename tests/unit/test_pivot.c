// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include "pivot.h"

static struct pivot_reader reader(const char *orig, const char *exec_id, const char *how)
{
	struct pivot_reader r = { .pid = 1 };

	snprintf(r.originator, sizeof(r.originator), "%s", orig);
	snprintf(r.exec_id, sizeof(r.exec_id), "%s", exec_id);
	snprintf(r.how, sizeof(r.how), "%s", how);
	return r;
}

static void test_pivot_other_originator(void **state)
{
	struct pivot_table *t = pivot_table_new(16);
	struct pivot_reader out[PIVOT_READERS], a = reader("human:alice", "e1", "read");

	pivot_table_note(t, "hmac-sha256:aa", &a);
	assert_int_equal(pivot_table_others(t, "hmac-sha256:aa", "human:alice", out), 0);
	assert_int_equal(pivot_table_others(t, "hmac-sha256:aa", "ci:github_actions:x#1", out), 1);
	assert_string_equal(out[0].exec_id, "e1");
	assert_int_equal(pivot_table_others(t, "hmac-sha256:bb", "unknown", out), 0);
	assert_string_equal(pivot_table_last_read(t, "hmac-sha256:aa")->originator, "human:alice");
	pivot_table_free(t);
}

static void test_pivot_readers_bounded_most_recent_first(void **state)
{
	struct pivot_table *t = pivot_table_new(16);
	struct pivot_reader out[PIVOT_READERS];
	char id[16];

	for (int i = 0; i < 10; i++) {
		struct pivot_reader r;

		snprintf(id, sizeof(id), "e%d", i);
		r = reader("human:bob", id, "read");
		pivot_table_note(t, "fp", &r);
	}
	assert_int_equal(pivot_table_others(t, "fp", "unknown", out), PIVOT_READERS);
	assert_string_equal(out[0].exec_id, "e9");
	assert_string_equal(out[PIVOT_READERS - 1].exec_id, "e6");
	pivot_table_free(t);
}

/* Another chain presenting the token from many execs keeps the first reader. */
static void test_pivot_repeats_do_not_push_out_other_chain(void **state)
{
	struct pivot_table *t = pivot_table_new(16);
	struct pivot_reader out[PIVOT_READERS], a = reader("human:alice", "ea", "read");
	char id[16];

	pivot_table_note(t, "fp", &a);
	for (int i = 0; i < 2 * PIVOT_READERS; i++) {
		struct pivot_reader b;

		snprintf(id, sizeof(id), "eb%d", i);
		b = reader("human:bob", id, "presented");
		pivot_table_note(t, "fp", &b);
	}
	assert_int_equal(pivot_table_others(t, "fp", "human:bob", out), 1);
	assert_string_equal(out[0].exec_id, "ea");
	assert_non_null(pivot_table_last_read(t, "fp"));
	assert_string_equal(pivot_table_last_read(t, "fp")->exec_id, "ea");
	/* bob's most recent presentations are still the newest entries */
	assert_int_equal(pivot_table_others(t, "fp", "human:alice", out), PIVOT_READERS - 1);
	assert_string_equal(out[0].exec_id, "eb7");
	pivot_table_free(t);
}

/* Presentations by as many other chains as the entry holds (throwaway jobs)
 * do not push out the file read: the credential hop keeps its path and
 * reader, and each presenter still sees the read. */
static void test_pivot_read_outlives_presentations(void **state)
{
	struct pivot_table *t = pivot_table_new(16);
	struct pivot_reader out[PIVOT_READERS], a = reader("ci:github_actions:o/r#100", "ea", "read");
	char id[16], orig[64];

	pivot_table_note(t, "fp", &a);
	for (int i = 0; i < 3 * PIVOT_READERS; i++) {
		struct pivot_reader b;

		snprintf(id, sizeof(id), "eb%d", i);
		snprintf(orig, sizeof(orig), "ci:github_actions:o/r#%d", 200 + i);
		b = reader(orig, id, "presented");
		pivot_table_note(t, "fp", &b);
		assert_non_null(pivot_table_last_read(t, "fp"));
		assert_string_equal(pivot_table_last_read(t, "fp")->exec_id, "ea");
	}
	/* the newest presentations are kept beside it */
	assert_int_equal(pivot_table_others(t, "fp", "unknown", out), PIVOT_READERS);
	assert_string_equal(out[0].exec_id, "eb11");
	assert_string_equal(out[PIVOT_READERS - 1].exec_id, "ea");
	/* reads alone still turn over oldest first */
	for (int i = 0; i < PIVOT_READERS; i++) {
		struct pivot_reader r;

		snprintf(id, sizeof(id), "er%d", i);
		snprintf(orig, sizeof(orig), "human:u%d", i);
		r = reader(orig, id, "read");
		pivot_table_note(t, "fp", &r);
	}
	assert_string_equal(pivot_table_last_read(t, "fp")->exec_id, "er3");
	assert_int_equal(pivot_table_others(t, "fp", "unknown", out), PIVOT_READERS);
	assert_string_equal(out[PIVOT_READERS - 1].exec_id, "er0");
	pivot_table_free(t);
	(void)state;
}

static void test_pivot_lru_eviction(void **state)
{
	struct pivot_table *t = pivot_table_new(2);
	struct pivot_reader out[PIVOT_READERS], r = reader("human:x", "e", "read");

	pivot_table_note(t, "fp1", &r);
	pivot_table_note(t, "fp2", &r);
	pivot_table_note(t, "fp1", &r); /* fp1 is now the most recent */
	pivot_table_note(t, "fp3", &r); /* evicts fp2 */
	assert_int_equal(pivot_table_others(t, "fp2", "y", out), 0);
	assert_int_equal(pivot_table_others(t, "fp1", "y", out), 1);
	assert_int_equal(pivot_table_others(t, "fp3", "y", out), 1);
	pivot_table_free(t);
}

static void test_pivot_presented_is_not_read(void **state)
{
	struct pivot_table *t = pivot_table_new(4);
	struct pivot_reader p = reader("ci:x", "e2", "presented");

	pivot_table_note(t, "fp", &p);
	assert_null(pivot_table_last_read(t, "fp"));
	pivot_table_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pivot_other_originator),
		cmocka_unit_test(test_pivot_readers_bounded_most_recent_first),
		cmocka_unit_test(test_pivot_repeats_do_not_push_out_other_chain),
		cmocka_unit_test(test_pivot_read_outlives_presentations),
		cmocka_unit_test(test_pivot_lru_eviction),
		cmocka_unit_test(test_pivot_presented_is_not_read),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
