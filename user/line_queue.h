/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* A bounded FIFO of event lines between the daemon thread (producer) and one
 * sink runner thread (consumer). Bounded by count and by bytes; push never
 * blocks, so the ring-buffer consumer never waits on a sink.
 *
 * Lines are copied into large chunks (no allocation per line once the queue
 * has warmed up); a push takes the lock once and signals the consumer only
 * when it is waiting for lines. The consumer takes every queued line with
 * one lock (line_queue_take) and walks them without locking
 * (line_queue_peek / line_queue_consume); the room of consumed lines is
 * given back to the producer at its next take (or pop, or wait).
 *
 * Producer functions (push) may run on any thread; consumer functions
 * (take, peek, consume, pop, wait, sleep) on one thread at a time; wake and
 * usage on any thread. */
#ifndef IDTRACE_LINE_QUEUE_H
#define IDTRACE_LINE_QUEUE_H

#include <stdbool.h>
#include <stddef.h>

/* One queued line (NUL-terminated, len bytes before the NUL) and its event
 * type, both inside the queue's memory. */
struct line_queue_item {
	size_t len;       /* bytes of line, without the NUL */
	const char *type; /* points just after the line */
	char line[];
};

struct line_queue;

/* A queue holding at most max_items lines and max_bytes bytes of lines.
 * Returns 0 or -errno; *out is freed with line_queue_destroy(). */
int line_queue_create(size_t max_items, size_t max_bytes, struct line_queue **out);
/* Free the queue and every line still in it. No thread may be using it. */
void line_queue_destroy(struct line_queue *q);
/* Copy line (len bytes) and type (NULL: "") to the tail. Never blocks.
 * Returns 0, -ENOSPC when the queue is full (a line larger than max_bytes is
 * still taken when the queue is empty), or -ENOMEM. Lines the consumer has
 * taken count against the bounds until it has consumed them and called
 * take(), pop() or wait() again. */
int line_queue_push(struct line_queue *q, const char *line, size_t len, const char *type);

/* Consumer: give back the room of the lines consumed so far, and make every
 * line queued now visible to peek(). One lock. Returns how many lines
 * peek() can return now (taken earlier and not consumed, plus new ones). */
size_t line_queue_take(struct line_queue *q);
/* The oldest taken line not yet consumed, or NULL (call take() for more).
 * Valid until consume() or the next take()/pop(). No lock. */
const struct line_queue_item *line_queue_peek(struct line_queue *q);
/* Drop the line peek() returned. No lock. */
void line_queue_consume(struct line_queue *q);

/* Take the head line as a copy, waiting up to timeout_ms (0: do not wait,
 * <0: no limit). Returns 0 with *out (caller frees with
 * line_queue_item_free), -ETIMEDOUT when nothing came, -ENOMEM, or -EINTR
 * when line_queue_wake() ended the wait (a queued line is returned rather
 * than a pending wake-up). One line per lock and a copy: for tests and
 * slow paths; the runner uses take/peek/consume. */
int line_queue_pop(struct line_queue *q, int timeout_ms, struct line_queue_item **out);
void line_queue_item_free(struct line_queue_item *it);
/* Wait up to timeout_ms (as for pop) until there is a line peek() can
 * return or take() would make visible, without taking anything (but giving
 * back the room of consumed lines, so a producer that found the queue full
 * can go on). Returns 0, -ETIMEDOUT or -EINTR after line_queue_wake().
 * Only this wait (and pop's) is ended by a push. */
int line_queue_wait(struct line_queue *q, int timeout_ms);
/* Sleep up to timeout_ms whatever is queued, until line_queue_wake().
 * Returns -EINTR when woken, else -ETIMEDOUT. */
int line_queue_sleep(struct line_queue *q, int timeout_ms);
/* End the current or the next wait in pop()/wait()/sleep() with -EINTR
 * (one wake-up is remembered until a wait consumes it). Not
 * async-signal-safe. */
void line_queue_wake(struct line_queue *q);
/* Deferred wake-ups: a push wakes a waiting consumer only once a few hundred
 * lines wait, and the producer calls line_queue_kick() when it has queued a
 * batch. A wake-up costs both threads a context switch; per line, when lines
 * come one at a time, that is most of the daemon's CPU. */
void line_queue_defer_wakeups(struct line_queue *q, bool on);
/* Wake a waiting consumer if lines wait. */
void line_queue_kick(struct line_queue *q);
/* Lines and bytes queued now (taken lines count until given back). */
void line_queue_usage(struct line_queue *q, size_t *items, size_t *bytes);

#endif
