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
#include <unistd.h>
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
/* Deferred wake-ups lose none: a waiting consumer gets a lone line once the
 * producer kicks, and a burst of LQ_KICK_LINES (256) lines without a kick. */
static void test_deferred_wakeups(void **state)
{
	struct line_queue *q;
	struct blocked b = { .wait_only = 1 };
	pthread_t t;

	(void)state;
	assert_int_equal(line_queue_create(1000, 1 << 20, &q), 0);
	line_queue_defer_wakeups(q, true);
	b.q = q;
	b.rc = 1;
	assert_int_equal(pthread_create(&t, NULL, blocked_pop, &b), 0);
	assert_int_equal(line_queue_push(q, "lone", 4, "x"), 0);
	line_queue_kick(q);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(b.rc, 0);
	assert_int_equal(line_queue_take(q), 1);
	assert_string_equal(line_queue_peek(q)->line, "lone");
	line_queue_consume(q);

	b.rc = 1;
	assert_int_equal(pthread_create(&t, NULL, blocked_pop, &b), 0);
	for (int i = 0; i < 256; i++)
		assert_int_equal(line_queue_push(q, "burst", 5, "x"), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(b.rc, 0);
	assert_int_equal(line_queue_take(q), 256);
	line_queue_destroy(q);
}

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

static void expect_peek(struct line_queue *q, const char *line, const char *type)
{
	const struct line_queue_item *it = line_queue_peek(q);

	assert_non_null(it);
	assert_int_equal(it->len, strlen(line));
	assert_memory_equal(it->line, line, it->len + 1);
	assert_string_equal(it->type, type);
	line_queue_consume(q);
}

/* take() makes everything queued visible at once; peek/consume walk it;
 * the room comes back at the next take(). */
static void test_take_batch(void **state)
{
	struct line_queue *q = mk(4, 1 << 20);
	size_t n, b;

	assert_int_equal(line_queue_take(q), 0);
	assert_null(line_queue_peek(q));
	line_queue_consume(q); /* nothing to consume: no effect */
	assert_int_equal(line_queue_push(q, "one", 3, "a"), 0);
	assert_int_equal(line_queue_push(q, "two", 3, NULL), 0);
	assert_null(line_queue_peek(q)); /* not taken yet */
	assert_int_equal(line_queue_wait(q, 0), 0);
	assert_int_equal(line_queue_take(q), 2);
	assert_int_equal(line_queue_push(q, "three", 5, "c"), 0);
	expect_peek(q, "one", "a");
	/* Peek again without consuming: the same line. */
	assert_string_equal(line_queue_peek(q)->line, "two");
	expect_peek(q, "two", "");
	assert_null(line_queue_peek(q)); /* "three" came after the take */
	/* Consumed lines still count until the next take (or wait). */
	assert_int_equal(line_queue_push(q, "four", 4, "d"), 0);
	assert_int_equal(line_queue_push(q, "five", 4, "e"), -ENOSPC);
	line_queue_usage(q, &n, &b);
	assert_int_equal(n, 4);
	assert_int_equal(b, 15);
	assert_int_equal(line_queue_wait(q, 0), 0); /* "three" is there */
	line_queue_usage(q, &n, &b);
	assert_int_equal(n, 2);
	assert_int_equal(b, 9);
	assert_int_equal(line_queue_take(q), 2);
	assert_int_equal(line_queue_push(q, "five", 4, "e"), 0);
	expect_peek(q, "three", "c");
	expect_peek(q, "four", "d");
	/* pop() and take/peek share one head. */
	expect_pop(q, "five", "e");
	assert_int_equal(line_queue_take(q), 0);
	assert_int_equal(line_queue_wait(q, 0), -ETIMEDOUT);
	line_queue_usage(q, &n, &b);
	assert_int_equal(n, 0);
	assert_int_equal(b, 0);
	/* Lines left taken but not consumed, and queued ones, are freed by
	 * destroy (ASan checks). */
	assert_int_equal(line_queue_push(q, "six", 3, "f"), 0);
	assert_int_equal(line_queue_take(q), 1);
	assert_int_equal(line_queue_push(q, "seven", 5, "g"), 0);
	line_queue_destroy(q);
}

/* Lines of every size, across many chunks (and lines larger than a chunk),
 * taken in irregular batches: all come out whole and in order. */
static void test_take_across_chunks(void **state)
{
	struct line_queue *q = mk(1 << 20, 1 << 30);
	size_t sizes[] = { 0, 1, 7, 8, 15, 16, 17, 1000, 4096, 65535, 300000, 2, 1 << 20 };
	size_t ns = sizeof(sizes) / sizeof(sizes[0]), in = 0, out = 0;
	char *buf = malloc((1 << 20) + 1), type[16];

	assert_non_null(buf);
	for (int round = 0; round < 40; round++) {
		for (int k = 0; k < 1 + round * 7 % 23; k++, in++) {
			size_t len = sizes[in % ns];

			memset(buf, 'a' + in % 26, len);
			snprintf(type, sizeof(type), "t%zu", in);
			assert_int_equal(line_queue_push(q, buf, len, type), 0);
		}
		line_queue_take(q);
		for (const struct line_queue_item *it; (it = line_queue_peek(q));) {
			size_t len = sizes[out % ns];

			snprintf(type, sizeof(type), "t%zu", out);
			assert_int_equal(it->len, len);
			assert_string_equal(it->type, type);
			assert_int_equal(it->line[len], '\0');
			for (size_t i = 0; i < len; i += 4093)
				assert_int_equal(it->line[i], 'a' + out % 26);
			if (len)
				assert_int_equal(it->line[len - 1], 'a' + out % 26);
			line_queue_consume(q);
			out++;
			if (round & 1)
				break; /* leave some for the next round */
		}
	}
	while (line_queue_take(q)) {
		for (; line_queue_peek(q); out++)
			line_queue_consume(q);
	}
	assert_int_equal(in, out);
	free(buf);
	line_queue_destroy(q);
}

#define N_BATCH 100000
#define WAIT_LIMIT_MS 20000 /* only a lost wake-up reaches it */

struct batch_prod {
	struct line_queue *q;
	int pause_every; /* yield this often, so the consumer often waits */
};

static void *batch_producer(void *arg)
{
	struct batch_prod *p = arg;
	char buf[64];

	for (int i = 0; i < N_BATCH; i++) {
		int n = snprintf(buf, sizeof(buf), "line-%d", i);

		while (line_queue_push(p->q, buf, n, i % 3 ? "x" : "three") == -ENOSPC)
			sched_yield();
		if (p->pause_every && i % p->pause_every == 0) {
			if (i % (7 * p->pause_every))
				sched_yield();
			else
				usleep(20);
		}
	}
	return NULL;
}

/* One producer and one consumer thread exchange 1e5 lines through
 * wait/take/peek/consume: every line arrives, in order, and the consumer,
 * which waits without polling, is never left asleep with lines queued (a
 * lost wake-up would end a wait only at WAIT_LIMIT_MS and fail). */
static void run_batch_threads(size_t items, size_t bytes, int pause_every)
{
	/* Not on the stack: a failed test leaves its producer running. */
	struct batch_prod *p = malloc(sizeof(*p));
	pthread_t t;
	char want[64];
	int i = 0;

	assert_non_null(p);
	p->q = mk(items, bytes);
	p->pause_every = pause_every;
	assert_int_equal(pthread_create(&t, NULL, batch_producer, p), 0);
	while (i < N_BATCH) {
		const struct line_queue_item *it;
		int rc = line_queue_wait(p->q, WAIT_LIMIT_MS);

		if (rc)
			fail_msg("wait returned %d after line %d: a lost wake-up", rc, i);
		assert_true(line_queue_take(p->q) > 0);
		while ((it = line_queue_peek(p->q))) {
			snprintf(want, sizeof(want), "line-%d", i);
			if (strcmp(it->line, want) || strcmp(it->type, i % 3 ? "x" : "three"))
				fail_msg("line %d: got '%s' type '%s'", i, it->line, it->type);
			line_queue_consume(p->q);
			i++;
		}
	}
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(line_queue_take(p->q), 0);
	line_queue_destroy(p->q);
	free(p);
}

static void test_threaded_batch_small_queue(void **state)
{
	run_batch_threads(7, 64, 0);
}

static void test_threaded_batch_waiting_consumer(void **state)
{
	run_batch_threads(1 << 16, 1 << 26, 10);
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
		cmocka_unit_test(test_deferred_wakeups),
		cmocka_unit_test(test_threaded_order),
		cmocka_unit_test(test_take_batch),
		cmocka_unit_test(test_take_across_chunks),
		cmocka_unit_test(test_threaded_batch_small_queue),
		cmocka_unit_test(test_threaded_batch_waiting_consumer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
