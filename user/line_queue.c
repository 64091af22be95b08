// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Bounded FIFO of owned lines: mutex + condvar on CLOCK_MONOTONIC. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "line_queue.h"

struct line_queue {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct line_queue_item *head, *tail;
	size_t items, bytes;
	size_t max_items, max_bytes;
	bool woken;
};

int line_queue_create(size_t max_items, size_t max_bytes, struct line_queue **out)
{
	struct line_queue *q;
	pthread_condattr_t ca;
	int err;

	if (!max_items || !max_bytes)
		return -EINVAL;
	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->max_items = max_items;
	q->max_bytes = max_bytes;
	err = -pthread_condattr_init(&ca);
	if (err)
		goto fail;
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	err = -pthread_cond_init(&q->cond, &ca);
	pthread_condattr_destroy(&ca);
	if (err)
		goto fail;
	err = -pthread_mutex_init(&q->lock, NULL);
	if (err) {
		pthread_cond_destroy(&q->cond);
		goto fail;
	}
	*out = q;
	return 0;
fail:
	free(q);
	return err;
}

void line_queue_destroy(struct line_queue *q)
{
	struct line_queue_item *it, *next;

	if (!q)
		return;
	for (it = q->head; it; it = next) {
		next = it->next;
		free(it);
	}
	pthread_cond_destroy(&q->cond);
	pthread_mutex_destroy(&q->lock);
	free(q);
}

int line_queue_push(struct line_queue *q, const char *line, size_t len, const char *type)
{
	size_t tlen = type ? strlen(type) : 0;
	struct line_queue_item *it;
	bool full;

	pthread_mutex_lock(&q->lock);
	full = q->items && (q->items >= q->max_items || q->bytes + len > q->max_bytes);
	pthread_mutex_unlock(&q->lock);
	if (full)
		return -ENOSPC;
	/* Allocate outside the lock; only this producer can make it fuller. */
	it = malloc(sizeof(*it) + len + 1 + tlen + 1);
	if (!it)
		return -ENOMEM;
	it->next = NULL;
	it->len = len;
	memcpy(it->line, line, len);
	it->line[len] = '\0';
	it->type = it->line + len + 1;
	memcpy((char *)it->type, type ? type : "", tlen + 1);

	pthread_mutex_lock(&q->lock);
	if (q->items && (q->items >= q->max_items || q->bytes + len > q->max_bytes)) {
		/* Another producer filled it meanwhile. */
		pthread_mutex_unlock(&q->lock);
		free(it);
		return -ENOSPC;
	}
	if (q->tail)
		q->tail->next = it;
	else
		q->head = it;
	q->tail = it;
	q->items++;
	q->bytes += len;
	pthread_cond_signal(&q->cond);
	pthread_mutex_unlock(&q->lock);
	return 0;
}

static void deadline_after(struct timespec *ts, int ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* With the lock held: wait until there is a line, a wake-up or the timeout. */
static int wait_locked(struct line_queue *q, int timeout_ms)
{
	struct timespec ts;

	if (timeout_ms > 0)
		deadline_after(&ts, timeout_ms);
	for (;;) {
		/* Lines first: a wake-up only ends a wait. */
		if (q->head)
			return 0;
		if (q->woken) {
			q->woken = false;
			return -EINTR;
		}
		if (!timeout_ms)
			return -ETIMEDOUT;
		if (timeout_ms < 0)
			pthread_cond_wait(&q->cond, &q->lock);
		else if (pthread_cond_timedwait(&q->cond, &q->lock, &ts) == ETIMEDOUT)
			return q->head ? 0 : -ETIMEDOUT;
	}
}

int line_queue_pop(struct line_queue *q, int timeout_ms, struct line_queue_item **out)
{
	struct line_queue_item *it;
	int err;

	pthread_mutex_lock(&q->lock);
	err = wait_locked(q, timeout_ms);
	if (!err) {
		it = q->head;
		q->head = it->next;
		if (!q->head)
			q->tail = NULL;
		q->items--;
		q->bytes -= it->len;
		it->next = NULL;
		*out = it;
	}
	pthread_mutex_unlock(&q->lock);
	return err;
}

int line_queue_wait(struct line_queue *q, int timeout_ms)
{
	int err;

	pthread_mutex_lock(&q->lock);
	err = wait_locked(q, timeout_ms);
	pthread_mutex_unlock(&q->lock);
	return err;
}

int line_queue_sleep(struct line_queue *q, int timeout_ms)
{
	struct timespec ts;
	int err = -ETIMEDOUT;

	if (timeout_ms > 0)
		deadline_after(&ts, timeout_ms);
	pthread_mutex_lock(&q->lock);
	for (;;) {
		if (q->woken) {
			q->woken = false;
			err = -EINTR;
			break;
		}
		if (!timeout_ms)
			break;
		if (timeout_ms < 0)
			pthread_cond_wait(&q->cond, &q->lock);
		else if (pthread_cond_timedwait(&q->cond, &q->lock, &ts) == ETIMEDOUT)
			break;
	}
	pthread_mutex_unlock(&q->lock);
	return err;
}

void line_queue_wake(struct line_queue *q)
{
	pthread_mutex_lock(&q->lock);
	q->woken = true;
	pthread_cond_broadcast(&q->cond);
	pthread_mutex_unlock(&q->lock);
}

void line_queue_usage(struct line_queue *q, size_t *items, size_t *bytes)
{
	pthread_mutex_lock(&q->lock);
	if (items)
		*items = q->items;
	if (bytes)
		*bytes = q->bytes;
	pthread_mutex_unlock(&q->lock);
}

void line_queue_item_free(struct line_queue_item *it)
{
	free(it);
}
