// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Bounded FIFO of owned lines: records packed into a list of chunks, one
 * mutex, one condition variable on CLOCK_MONOTONIC.
 *
 * The producer appends records to the tail chunk under the lock. A take()
 * records, under the lock, where the queued records end (chunk and offset);
 * the consumer then reads up to there without the lock: a chunk that is not
 * the tail at that moment is never written again, and the producer only
 * writes past the recorded end of the tail. Consumed records stay counted
 * until the consumer's next take()/pop() gives their room back and returns
 * the chunks it has left behind to a small cache. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "line_queue.h"

#define LQ_CHUNK (256u << 10) /* bytes of records per ordinary chunk */
#define LQ_SPARE 4            /* ordinary chunks kept for reuse */

struct lq_chunk {
	struct lq_chunk *next;
	size_t cap, used; /* bytes of data; used is final once not the tail */
	_Alignas(16) char data[];
};

/* With deferred wake-ups, a push still wakes the consumer once this many
 * lines wait: a burst is not held back until the producer's kick. */
#define LQ_KICK_LINES 256

struct line_queue {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	/* Under the lock. */
	struct lq_chunk *head, *tail; /* never NULL */
	struct lq_chunk *spare;
	int nspare;
	size_t items, bytes; /* pushed and not given back */
	size_t untaken;      /* pushed since the last take */
	size_t max_items, max_bytes;
	int waiting;         /* the consumer waits in wait_locked() */
	bool woken;
	bool defer_wakeups;  /* pushes wake the consumer only past LQ_KICK_LINES */
	/* The consumer's (end is written by take under the lock). */
	struct lq_chunk *rd, *end;
	size_t rd_off, end_off;
	size_t avail;                  /* taken, not consumed */
	size_t done_items, done_bytes; /* consumed, not given back */
};

static size_t rec_size(size_t len, size_t tlen)
{
	return (offsetof(struct line_queue_item, line) + len + 1 + tlen + 1 + 15) & ~(size_t)15;
}

static struct lq_chunk *chunk_new(size_t need)
{
	size_t cap = need > LQ_CHUNK ? need : LQ_CHUNK;
	struct lq_chunk *c = malloc(sizeof(*c) + cap);

	if (c) {
		c->next = NULL;
		c->cap = cap;
		c->used = 0;
	}
	return c;
}

/* With the lock held. */
static struct lq_chunk *chunk_get(struct line_queue *q, size_t need)
{
	struct lq_chunk *c = q->spare;

	if (c && need <= c->cap) {
		q->spare = c->next;
		q->nspare--;
		c->next = NULL;
		c->used = 0;
		return c;
	}
	return chunk_new(need);
}

static void chunk_put(struct line_queue *q, struct lq_chunk *c)
{
	if (c->cap == LQ_CHUNK && q->nspare < LQ_SPARE) {
		c->next = q->spare;
		q->spare = c;
		q->nspare++;
		return;
	}
	free(c);
}

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
	q->head = q->tail = q->rd = q->end = chunk_new(0);
	if (!q->head) {
		free(q);
		return -ENOMEM;
	}
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
	free(q->head);
	free(q);
	return err;
}

void line_queue_destroy(struct line_queue *q)
{
	struct lq_chunk *c, *next;

	if (!q)
		return;
	for (c = q->head; c; c = next) {
		next = c->next;
		free(c);
	}
	for (c = q->spare; c; c = next) {
		next = c->next;
		free(c);
	}
	pthread_cond_destroy(&q->cond);
	pthread_mutex_destroy(&q->lock);
	free(q);
}

int line_queue_push(struct line_queue *q, const char *line, size_t len, const char *type)
{
	size_t tlen = type ? strlen(type) : 0, need = rec_size(len, tlen);
	struct line_queue_item *it;
	struct lq_chunk *t;

	pthread_mutex_lock(&q->lock);
	if (q->items && (q->items >= q->max_items || q->bytes + len > q->max_bytes)) {
		pthread_mutex_unlock(&q->lock);
		return -ENOSPC;
	}
	t = q->tail;
	if (t->cap - t->used < need) {
		t = chunk_get(q, need);
		if (!t) {
			pthread_mutex_unlock(&q->lock);
			return -ENOMEM;
		}
		q->tail->next = t;
		q->tail = t;
	}
	it = (struct line_queue_item *)(t->data + t->used);
	it->len = len;
	memcpy(it->line, line, len);
	it->line[len] = '\0';
	it->type = it->line + len + 1;
	memcpy((char *)it->type, type ? type : "", tlen + 1);
	t->used += need;
	q->items++;
	q->bytes += len;
	q->untaken++;
	if (q->waiting && (!q->defer_wakeups || q->untaken >= LQ_KICK_LINES))
		pthread_cond_broadcast(&q->cond);
	pthread_mutex_unlock(&q->lock);
	return 0;
}

void line_queue_defer_wakeups(struct line_queue *q, bool on)
{
	pthread_mutex_lock(&q->lock);
	q->defer_wakeups = on;
	pthread_mutex_unlock(&q->lock);
}

void line_queue_kick(struct line_queue *q)
{
	pthread_mutex_lock(&q->lock);
	if (q->waiting && q->untaken)
		pthread_cond_broadcast(&q->cond);
	pthread_mutex_unlock(&q->lock);
}

/* With the lock held: give back the room of consumed lines. */
static void give_back_locked(struct line_queue *q)
{
	q->items -= q->done_items;
	q->bytes -= q->done_bytes;
	q->done_items = q->done_bytes = 0;
}

/* With the lock held: give back the room of consumed lines and the chunks
 * the consumer has left, then extend what it may read to the tail. */
static size_t take_locked(struct line_queue *q)
{
	struct lq_chunk *c;

	give_back_locked(q);
	if (!q->items) {
		/* All consumed (so nothing was pushed since the last take and
		 * rd is in or before the tail): start the tail over. */
		while (q->head != q->tail) {
			c = q->head;
			q->head = c->next;
			chunk_put(q, c);
		}
		if (q->tail->cap > LQ_CHUNK && (c = chunk_get(q, 0))) {
			free(q->tail);
			q->head = q->tail = c;
		}
		q->tail->used = 0;
		q->rd = q->tail;
		q->rd_off = 0;
	}
	while (q->head != q->rd) {
		c = q->head;
		q->head = c->next;
		chunk_put(q, c);
	}
	q->avail += q->untaken;
	q->untaken = 0;
	q->end = q->tail;
	q->end_off = q->tail->used;
	return q->avail;
}

size_t line_queue_take(struct line_queue *q)
{
	size_t n;

	pthread_mutex_lock(&q->lock);
	n = take_locked(q);
	pthread_mutex_unlock(&q->lock);
	return n;
}

const struct line_queue_item *line_queue_peek(struct line_queue *q)
{
	if (!q->avail)
		return NULL;
	/* Leave a chunk the producer has finished with once it is read. */
	while (q->rd != q->end && q->rd_off >= q->rd->used) {
		q->rd = q->rd->next;
		q->rd_off = 0;
	}
	return (const struct line_queue_item *)(q->rd->data + q->rd_off);
}

void line_queue_consume(struct line_queue *q)
{
	const struct line_queue_item *it = line_queue_peek(q);

	if (!it)
		return;
	q->rd_off += rec_size(it->len, strlen(it->type));
	q->avail--;
	q->done_items++;
	q->done_bytes += it->len;
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

static bool has_lines(const struct line_queue *q)
{
	return q->avail || q->untaken;
}

/* With the lock held: wait until there is a line, a wake-up or the timeout.
 * Only here does the consumer count as waiting, so only here do pushes
 * signal it. */
static int wait_locked(struct line_queue *q, int timeout_ms)
{
	struct timespec ts;
	int rc;

	/* A producer waiting for room must get it before we wait for it. */
	give_back_locked(q);
	if (timeout_ms > 0)
		deadline_after(&ts, timeout_ms);
	for (;;) {
		/* Lines first: a wake-up only ends a wait. */
		if (has_lines(q))
			return 0;
		if (q->woken) {
			q->woken = false;
			return -EINTR;
		}
		if (!timeout_ms)
			return -ETIMEDOUT;
		q->waiting++;
		if (timeout_ms < 0)
			rc = pthread_cond_wait(&q->cond, &q->lock);
		else
			rc = pthread_cond_timedwait(&q->cond, &q->lock, &ts);
		q->waiting--;
		if (rc == ETIMEDOUT)
			return has_lines(q) ? 0 : -ETIMEDOUT;
	}
}

int line_queue_pop(struct line_queue *q, int timeout_ms, struct line_queue_item **out)
{
	const struct line_queue_item *it;
	struct line_queue_item *copy;
	size_t size;
	int err;

	pthread_mutex_lock(&q->lock);
	err = wait_locked(q, timeout_ms);
	if (!err) {
		if (!q->avail)
			take_locked(q);
		it = line_queue_peek(q);
		size = rec_size(it->len, strlen(it->type));
		copy = malloc(size);
		if (copy) {
			memcpy(copy, it, size);
			copy->type = copy->line + copy->len + 1;
			line_queue_consume(q);
			take_locked(q); /* give the room back at once */
			*out = copy;
		} else {
			err = -ENOMEM;
		}
	}
	pthread_mutex_unlock(&q->lock);
	return err;
}

void line_queue_item_free(struct line_queue_item *it)
{
	free(it);
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
