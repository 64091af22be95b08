/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* A bounded FIFO of event lines between the daemon thread (producer) and one
 * sink runner thread (consumer). Bounded by count and by bytes; push never
 * blocks, so the ring-buffer consumer never waits on a sink. All functions
 * are thread-safe (one mutex, one condition variable). */
#ifndef IDTRACE_LINE_QUEUE_H
#define IDTRACE_LINE_QUEUE_H

#include <stddef.h>

/* One queued line: a single allocation holding the line (NUL-terminated,
 * len bytes before the NUL) and its event type. */
struct line_queue_item {
	struct line_queue_item *next; /* private to the queue */
	size_t len;                   /* bytes of line, without the NUL */
	const char *type;             /* points into the same allocation */
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
 * still taken when the queue is empty), or -ENOMEM. */
int line_queue_push(struct line_queue *q, const char *line, size_t len, const char *type);
/* Take the head line, waiting up to timeout_ms (0: do not wait, <0: no
 * limit). Returns 0 with *out (caller frees with line_queue_item_free),
 * -ETIMEDOUT when nothing came, or -EINTR when line_queue_wake() ended the
 * wait (a queued line is returned rather than a pending wake-up). */
int line_queue_pop(struct line_queue *q, int timeout_ms, struct line_queue_item **out);
/* Wait up to timeout_ms (as for pop) until the queue is not empty, without
 * taking anything. Returns 0, -ETIMEDOUT or -EINTR after line_queue_wake(). */
int line_queue_wait(struct line_queue *q, int timeout_ms);
/* Sleep up to timeout_ms whatever is queued, until line_queue_wake().
 * Returns -EINTR when woken, else -ETIMEDOUT. */
int line_queue_sleep(struct line_queue *q, int timeout_ms);
/* End the current or the next wait in pop()/wait()/sleep() with -EINTR
 * (one wake-up is remembered until a wait consumes it). Not
 * async-signal-safe. */
void line_queue_wake(struct line_queue *q);
/* Lines and bytes queued now. */
void line_queue_usage(struct line_queue *q, size_t *items, size_t *bytes);
void line_queue_item_free(struct line_queue_item *it);

#endif
