// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "line_queue.h"

static struct line_queue *mk(size_t items, size_t bytes)
{
	struct line_queue *q = NULL;

	assert_int_equal(line_queue_create(items, bytes, &q), 0);
	assert_non_null(q);
	return q;
}

static void expect_pop(struct line_queue *q, const char *line, const char *type)
{
	struct line_queue_item *it = NULL;

	assert_int_equal(line_queue_pop(q, 0, &it), 0);
	assert_int_equal(it->len, strlen(line));
	assert_string_equal(it->line, line);
	assert_string_equal(it->type, type);
	line_queue_item_free(it);
}

static void test_fifo_copies(void **state)
{
	struct line_queue *q = mk(8, 1024);
	char buf[16];
	size_t n, b;

	strcpy(buf, "first");
	assert_int_equal(line_queue_push(q, buf, 5, "exec"), 0);
	/* The queue owns a copy: the caller's buffer may change at once. */
	strcpy(buf, "XXXXX");
	assert_int_equal(line_queue_push(q, "second-and-more", 6, NULL), 0);
	assert_int_equal(line_queue_push(q, "", 0, "t"), 0);
	line_queue_usage(q, &n, &b);
	assert_int_equal(n, 3);
	assert_int_equal(b, 11);
	expect_pop(q, "first", "exec");
	expect_pop(q, "second", "");
	expect_pop(q, "", "t");
	line_queue_usage(q, &n, &b);
	assert_int_equal(n, 0);
	assert_int_equal(b, 0);
	line_queue_destroy(q);
}

static void test_bound_by_count(void **state)
{
	struct line_queue *q = mk(3, 1 << 20);

	for (int i = 0; i < 3; i++)
		assert_int_equal(line_queue_push(q, "abc", 3, "t"), 0);
	assert_int_equal(line_queue_push(q, "abc", 3, "t"), -ENOSPC);
	expect_pop(q, "abc", "t");
	assert_int_equal(line_queue_push(q, "xyz", 3, "t"), 0);
	assert_int_equal(line_queue_push(q, "xyz", 3, "t"), -ENOSPC);
	line_queue_destroy(q); /* frees the three left; ASan checks */
}

static void test_bound_by_bytes(void **state)
{
	struct line_queue *q = mk(100, 10);

	assert_int_equal(line_queue_push(q, "12345", 5, "t"), 0);
	assert_int_equal(line_queue_push(q, "1234", 4, "t"), 0);
	assert_int_equal(line_queue_push(q, "12", 2, "t"), -ENOSPC);
	assert_int_equal(line_queue_push(q, "1", 1, "t"), 0);
	assert_int_equal(line_queue_push(q, "", 0, "t"), 0); /* 10 bytes exactly */
	assert_int_equal(line_queue_push(q, "1", 1, "t"), -ENOSPC);
	expect_pop(q, "12345", "t");
	expect_pop(q, "1234", "t");
	expect_pop(q, "1", "t");
	expect_pop(q, "", "t");
	/* An oversize line still passes through an empty queue, alone. */
	assert_int_equal(line_queue_push(q, "0123456789ABCDEF", 16, "big"), 0);
	assert_int_equal(line_queue_push(q, "1", 1, "t"), -ENOSPC);
	expect_pop(q, "0123456789ABCDEF", "big");
	line_queue_destroy(q);
}

static void test_create_rejects_zero(void **state)
{
	struct line_queue *q = NULL;

	assert_int_equal(line_queue_create(0, 10, &q), -EINVAL);
	assert_int_equal(line_queue_create(10, 0, &q), -EINVAL);
	assert_null(q);
}

static void test_pop_timeout(void **state)
{
	struct line_queue *q = mk(4, 100);
	struct line_queue_item *it = NULL;

	assert_int_equal(line_queue_pop(q, 0, &it), -ETIMEDOUT);
	assert_int_equal(line_queue_pop(q, 5, &it), -ETIMEDOUT);
	assert_int_equal(line_queue_wait(q, 0), -ETIMEDOUT);
	assert_null(it);
	assert_int_equal(line_queue_push(q, "a", 1, "t"), 0);
	assert_int_equal(line_queue_wait(q, 5), 0);
	assert_int_equal(line_queue_wait(q, -1), 0); /* wait takes nothing */
	expect_pop(q, "a", "t");
	line_queue_destroy(q);
}

struct blocked {
	struct line_queue *q;
	int rc;
	int wait_only;
};

static void *blocked_pop(void *arg)
{
	struct blocked *b = arg;
	struct line_queue_item *it = NULL;

	if (b->wait_only == 2) {
		b->rc = line_queue_sleep(b->q, -1);
		return NULL;
	}
	if (b->wait_only) {
		b->rc = line_queue_wait(b->q, -1);
		return NULL;
	}
	b->rc = line_queue_pop(b->q, -1, &it);
	line_queue_item_free(it);
	return NULL;
}

static void test_wake(void **state)
{
	struct line_queue *q = mk(4, 100);
	struct line_queue_item *it = NULL;
	struct blocked b = { .q = q, .rc = 1 };
	pthread_t t;

	/* A wake-up before the pop is remembered, once. */
	line_queue_wake(q);
	assert_int_equal(line_queue_pop(q, -1, &it), -EINTR);
	assert_int_equal(line_queue_pop(q, 0, &it), -ETIMEDOUT);

	/* A queued line comes before a wake-up; the wake-up then ends the
	 * next wait. */
	assert_int_equal(line_queue_push(q, "w", 1, "t"), 0);
	line_queue_wake(q);
	expect_pop(q, "w", "t");
	assert_int_equal(line_queue_pop(q, -1, &it), -EINTR);

	/* A pop waiting without limit returns when woken (whether the wake
	 * comes before or after it starts waiting). */
	assert_int_equal(pthread_create(&t, NULL, blocked_pop, &b), 0);
	line_queue_wake(q);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(b.rc, -EINTR);

	b.wait_only = 1;
	b.rc = 1;
	assert_int_equal(pthread_create(&t, NULL, blocked_pop, &b), 0);
	line_queue_wake(q);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(b.rc, -EINTR);

	/* sleep() ignores what is queued; a wake-up ends it. */
	assert_int_equal(line_queue_push(q, "q", 1, "t"), 0);
	assert_int_equal(line_queue_sleep(q, 5), -ETIMEDOUT);
	assert_int_equal(line_queue_sleep(q, 0), -ETIMEDOUT);
	line_queue_wake(q);
	assert_int_equal(line_queue_sleep(q, -1), -EINTR);
	expect_pop(q, "q", "t");
	b.wait_only = 2;
	b.rc = 1;
	assert_int_equal(pthread_create(&t, NULL, blocked_pop, &b), 0);
	assert_int_equal(line_queue_push(q, "p", 1, "t"), 0); /* does not end it */
	line_queue_wake(q);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(b.rc, -EINTR);
	expect_pop(q, "p", "t");

	/* And a push wakes a waiting pop. */
	b.wait_only = 0;
	b.rc = 1;
	assert_int_equal(pthread_create(&t, NULL, blocked_pop, &b), 0);
	assert_int_equal(line_queue_push(q, "x", 1, "t"), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(b.rc, 0);
	line_queue_destroy(q);
}

#define N_THREADED 200000

static void *producer(void *arg)
{
	struct line_queue *q = arg;
	char buf[32];

	for (int i = 0; i < N_THREADED; i++) {
		int n = snprintf(buf, sizeof(buf), "%d", i);

		while (line_queue_push(q, buf, n, i & 1 ? "odd" : "even") == -ENOSPC)
			sched_yield();
	}
	return NULL;
}

/* One producer, one consumer, a tiny queue: every line arrives, in order. */
static void test_threaded_order(void **state)
{
	struct line_queue *q = mk(7, 64);
	pthread_t t;
	char want[32];

	assert_int_equal(pthread_create(&t, NULL, producer, q), 0);
	for (int i = 0; i < N_THREADED; i++) {
		struct line_queue_item *it = NULL;

		assert_int_equal(line_queue_pop(q, -1, &it), 0);
		snprintf(want, sizeof(want), "%d", i);
		if (strcmp(it->line, want) || strcmp(it->type, i & 1 ? "odd" : "even"))
			fail_msg("line %d: got '%s' type '%s'", i, it->line, it->type);
		line_queue_item_free(it);
	}
	assert_int_equal(pthread_join(t, NULL), 0);
	line_queue_destroy(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fifo_copies),
		cmocka_unit_test(test_bound_by_count),
		cmocka_unit_test(test_bound_by_bytes),
		cmocka_unit_test(test_create_rejects_zero),
		cmocka_unit_test(test_pop_timeout),
		cmocka_unit_test(test_wake),
		cmocka_unit_test(test_threaded_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
