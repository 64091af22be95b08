// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The per-sink thread: memory queue -> sink, or -> spool -> sink.
 *
 * Order is kept by one rule: lines are delivered as
 *     the queue's head after -EAGAIN -> spool -> memory queue
 * and a line only enters the spool behind everything already there: queue
 * lines go to the spool while the sink is down, while the spool is not
 * empty, or when a long -EAGAIN lets the queue fill. A queue line stays in
 * the queue (line_queue_peek) until the sink has taken it, so spilling the
 * queue to the spool always starts with the line that was refused.
 *
 * The thread takes every queued line with one lock (line_queue_take) and
 * sends them one by one without locking. When the queue runs dry while
 * lines come fast (LINGER_LINES or more in the last millisecond), it
 * lingers LINGER_MS before flushing and waiting, so a fast stream is taken
 * and written in batches instead of waking the thread (and writing) once
 * per line; slower traffic wakes it at once, line by line. */
#include <errno.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "line_queue.h"
#include "log.h"
#include "sink_runner.h"
#include "spool.h"

#define DEF_QUEUE_LINES 65536u
#define DEF_QUEUE_BYTES (64u << 20)
#define DEF_SPOOL_BYTES (1ull << 30)
#define DEF_BACKOFF_MIN 100u
#define DEF_BACKOFF_MAX 30000u
#define DEF_FLUSH_MS 200u
#define STATS_MS 1000u     /* refresh of the sink's own counters */
#define IDLE_WAIT_MS 1000u /* longest sleep when there is nothing to do */
#define BATCH 1024         /* sends between looks at flags and clocks */
#define LINGER_MS 1        /* wait this long for more lines before flushing... */
#define LINGER_LINES 16    /* ...when at least this many came in the last ms */
#define RETRY_MAX_MS 100u  /* longest wait after -EAGAIN */

struct sink_runner {
	const struct sink_ops *ops;
	void *st;
	char *uri;
	struct sink_runner_opts opts;
	struct line_queue *q;
	struct spool *spool;
	pthread_t thread;

	/* Set by other threads. */
	atomic_bool stop_req, reopen_req;
	atomic_uint_fast64_t stop_deadline; /* ms, CLOCK_MONOTONIC */

	/* Counters, read by sink_runner_stats() at any time. */
	atomic_uint_fast64_t enqueued, delivered, spooled, replayed, dropped, loss_pending;
	atomic_uint_fast64_t loss_lines, reconnects, spool_lines, spool_bytes;
	atomic_bool connected;
	atomic_bool gone; /* the sink's destination can never come back (ops->gone) */
	pthread_mutex_t lock; /* last_error, sink_stats */
	char last_error[256];
	json_t *sink_stats;

	/* The runner thread's own. */
	bool head_refused; /* the queue's head got -EAGAIN: it goes first */
	uint64_t rate_t0;  /* ns: start of the current rate window */
	uint64_t rate_n;   /* lines sent since rate_t0 */
	bool fast;         /* the last window saw >= LINGER_LINES lines */
	bool ever_connected, fresh_conn, dirty, spool_failing, outage;
	unsigned backoff_ms, retry_ms;
	uint64_t next_connect, last_flush, stats_at, dropped_logged, lost;
	uint64_t left;
	int stop_rc;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int ms_until(uint64_t when, uint64_t now)
{
	return when > now ? (int)(when - now > IDLE_WAIT_MS ? IDLE_WAIT_MS : when - now) : 0;
}

static void set_error(struct sink_runner *r, const char *what, const char *why)
{
	pthread_mutex_lock(&r->lock);
	snprintf(r->last_error, sizeof(r->last_error), "%s: %s", what, why);
	pthread_mutex_unlock(&r->lock);
}

static void publish_spool(struct sink_runner *r)
{
	if (!r->spool)
		return;
	atomic_store(&r->spool_lines, spool_lines(r->spool));
	atomic_store(&r->spool_bytes, spool_bytes(r->spool));
}

static void stats_refresh(struct sink_runner *r, uint64_t now)
{
	uint64_t dropped = atomic_load(&r->dropped);
	json_t *obj = NULL;

	r->stats_at = now;
	if (r->ops->stats) {
		obj = json_object();
		if (obj)
			r->ops->stats(r->st, obj);
	}
	pthread_mutex_lock(&r->lock);
	json_decref(r->sink_stats);
	r->sink_stats = obj;
	pthread_mutex_unlock(&r->lock);
	if (dropped != r->dropped_logged) {
		log_warn("sink %s: %" PRIu64 " lines dropped so far (spool or queue full)", r->uri,
			 dropped);
		r->dropped_logged = dropped;
	}
}

static void count_drop(struct sink_runner *r)
{
	atomic_fetch_add(&r->dropped, 1);
	atomic_fetch_add(&r->loss_pending, 1);
}

/* Put one line behind the spool's contents; a line that does not fit is
 * dropped and counted. */
static void spool_line(struct sink_runner *r, const char *line, size_t len, const char *type)
{
	int rc = spool_append(r->spool, line, len, type);

	if (!rc) {
		atomic_fetch_add(&r->spooled, 1);
		r->spool_failing = false;
		return;
	}
	count_drop(r);
	if (!r->spool_failing) {
		if (rc == -ENOSPC)
			log_warn("sink %s: spool full (%" PRIu64 " bytes): dropping lines until the "
				 "sink catches up; raise the spool size to keep more",
				 r->uri, spool_bytes(r->spool));
		else
			log_err("sink %s: cannot spool a line: %s", r->uri, strerror(-rc));
		set_error(r, "spool", strerror(-rc));
	}
	r->spool_failing = true;
}

/* The next queue line, taking more from the producer when the ones taken
 * are used up; NULL when the queue is empty. */
static const struct line_queue_item *queue_head(struct sink_runner *r)
{
	const struct line_queue_item *it = line_queue_peek(r->q);

	if (!it && line_queue_take(r->q))
		it = line_queue_peek(r->q);
	return it;
}

/* Move the memory queue (the refused head first) into the spool. */
static void spill(struct sink_runner *r)
{
	const struct line_queue_item *it;

	if (!r->spool)
		return;
	while ((it = queue_head(r))) {
		spool_line(r, it->line, it->len, it->type);
		line_queue_consume(r->q);
	}
	r->head_refused = false;
	line_queue_take(r->q); /* give the room back */
	publish_spool(r);
}

static void backoff_grow(struct sink_runner *r)
{
	r->backoff_ms = r->backoff_ms > r->opts.backoff_max_ms / 2 ? r->opts.backoff_max_ms
								    : r->backoff_ms * 2;
}

/* After a failure: is the sink's destination gone for good? Then no more
 * connects; its lines wait in the spool (or the queue) for the next run,
 * or for none when the sink's spool serves one run (stdout). */
static bool check_gone(struct sink_runner *r, const char *why)
{
	if (!atomic_load(&r->gone)) {
		if (!r->ops->gone || !r->ops->gone(r->st))
			return false;
		log_err("sink %s: %s, and it cannot come back; its lines are %s", r->uri, why,
			r->spool && !r->ops->spool_per_run ? "kept in its spool for the next run"
							   : "lost");
		atomic_store(&r->gone, true);
	}
	r->next_connect = UINT64_MAX;
	return true;
}

static void go_down(struct sink_runner *r, const char *what, int rc)
{
	uint64_t now = now_ms();
	char why[128];

	set_error(r, what, strerror(-rc));
	r->ops->disconnect(r->st);
	atomic_store(&r->connected, false);
	r->dirty = false;
	r->outage = true;
	r->next_connect = now + r->backoff_ms;
	if (r->fresh_conn) /* connects, then fails at once: back off too */
		backoff_grow(r);
	snprintf(why, sizeof(why), "%s failed: %s", what, strerror(-rc));
	if (!check_gone(r, why))
		log_warn("sink %s: %s; %s until it is back", r->uri, why,
			 r->spool ? "spooling" : "queueing");
	stats_refresh(r, now);
}

static void try_connect(struct sink_runner *r)
{
	char err[256] = "";
	uint64_t now;
	int rc = r->ops->connect(r->st, err, sizeof(err));

	now = now_ms();
	if (rc) {
		if (!*err)
			snprintf(err, sizeof(err), "%s", strerror(-rc));
		set_error(r, "connect", err);
		r->next_connect = now + r->backoff_ms;
		backoff_grow(r);
		/* Say it once per outage; the stats keep the latest cause. */
		if (!check_gone(r, err) && !r->outage)
			log_warn("sink %s: cannot connect: %s; retrying with back-off", r->uri, err);
		r->outage = true;
		return;
	}
	if (r->ever_connected)
		atomic_fetch_add(&r->reconnects, 1);
	if (r->outage)
		log_info("sink %s: connected%s", r->uri, r->spool && spool_lines(r->spool)
								 ? "; sending the spool first" : "");
	r->outage = false;
	r->ever_connected = true;
	r->fresh_conn = true;
	r->last_flush = now;
	atomic_store(&r->connected, true);
	stats_refresh(r, now);
}

static void reopen(struct sink_runner *r)
{
	char err[256] = "";
	int rc;

	r->backoff_ms = r->opts.backoff_min_ms;
	r->next_connect = 0;
	if (!atomic_load(&r->connected))
		return; /* reconnect now */
	if (!r->ops->reopen) {
		r->ops->disconnect(r->st);
		atomic_store(&r->connected, false);
		return;
	}
	rc = r->ops->reopen(r->st, err, sizeof(err));
	if (rc) {
		if (*err)
			log_warn("sink %s: reopen: %s", r->uri, err);
		go_down(r, "reopen", rc);
	}
}

static void sent_ok(struct sink_runner *r)
{
	r->dirty = true;
	r->retry_ms = 0;
	if (r->fresh_conn) {
		/* The peer takes lines again: the next outage starts small. */
		r->fresh_conn = false;
		r->backoff_ms = r->opts.backoff_min_ms;
	}
}

enum { STEP_IDLE = 0, STEP_SENT = 1 };

/* Send the next line in order. STEP_SENT, STEP_IDLE (nothing to send),
 * -EAGAIN (the sink is busy), or another -errno after the sink went down. */
static int step(struct sink_runner *r)
{
	const struct line_queue_item *it;
	const char *line, *type;
	uint64_t lost;
	size_t len;
	char *loss;
	int rc;

	if (r->head_refused) /* only while the spool is empty */
		goto queue;
	if (r->spool) {
		rc = spool_peek(r->spool, &line, &len, &type);
		if (!rc) {
			rc = r->ops->send(r->st, line, len, type);
			if (!rc) {
				spool_consume(r->spool);
				publish_spool(r);
				atomic_fetch_add(&r->replayed, 1);
				atomic_fetch_add(&r->delivered, 1);
				sent_ok(r);
				return STEP_SENT;
			}
			if (rc == -EMSGSIZE) { /* can never be sent: drop, count, go on */
				log_warn("sink %s: dropping a %zu-byte line the sink refuses as too "
					 "large", r->uri, len);
				spool_consume(r->spool);
				publish_spool(r);
				count_drop(r);
				return STEP_SENT;
			}
			if (rc != -EAGAIN)
				go_down(r, "send", rc);
			return rc;
		}
		if (rc != -ENODATA) {
			log_err("sink %s: cannot read the spool: %s", r->uri, strerror(-rc));
			set_error(r, "spool", strerror(-rc));
			return -EAGAIN; /* try again after a pause */
		}
	}
	lost = atomic_load(&r->loss_pending);
	if (lost) {
		loss = r->opts.loss_line ? r->opts.loss_line(r->opts.loss_ctx, r->uri, lost) : NULL;
		if (!loss) {
			if (r->opts.loss_line)
				log_warn("sink %s: cannot build the agent.loss line for %" PRIu64
					 " dropped lines", r->uri, lost);
			atomic_fetch_sub(&r->loss_pending, lost);
			return STEP_SENT;
		}
		rc = r->ops->send(r->st, loss, strlen(loss), "agent.loss");
		free(loss);
		if (!rc) {
			atomic_fetch_sub(&r->loss_pending, lost);
			atomic_fetch_add(&r->loss_lines, 1);
			sent_ok(r);
			return STEP_SENT;
		}
		if (rc != -EAGAIN)
			go_down(r, "send", rc);
		return rc;
	}
queue:
	it = queue_head(r);
	if (!it) {
		r->head_refused = false;
		return STEP_IDLE;
	}
	rc = r->ops->send(r->st, it->line, it->len, it->type);
	if (!rc) {
		line_queue_consume(r->q);
		r->head_refused = false;
		atomic_fetch_add(&r->delivered, 1);
		sent_ok(r);
		return STEP_SENT;
	}
	if (rc == -EAGAIN) {
		r->head_refused = true;
		return rc;
	}
	if (rc == -EMSGSIZE) { /* can never be sent: drop, count, go on */
		log_warn("sink %s: dropping a %zu-byte line the sink refuses as too large", r->uri,
			 it->len);
		line_queue_consume(r->q);
		r->head_refused = false;
		count_drop(r);
		return STEP_SENT;
	}
	spill(r); /* the spool is empty: the refused line goes first */
	go_down(r, "send", rc);
	return rc;
}

/* Returns -EAGAIN when the sink could not take it now. */
static int flush(struct sink_runner *r, uint64_t now)
{
	int rc;

	if (!r->dirty)
		return 0;
	rc = r->ops->flush(r->st);
	if (rc == -EAGAIN)
		return rc;
	r->dirty = false;
	r->last_flush = now;
	if (rc)
		go_down(r, "flush", rc);
	return 0;
}

/* Nothing asked of the thread (stop, reopen): it may wait. */
static bool may_wait(struct sink_runner *r)
{
	return !atomic_load(&r->stop_req) && !atomic_load(&r->reopen_req);
}

static bool queue_half_full(struct sink_runner *r)
{
	size_t items, bytes;

	line_queue_usage(r->q, &items, &bytes);
	return items >= r->opts.queue_max_lines / 2 || bytes >= r->opts.queue_max_bytes / 2;
}

/* Wait after -EAGAIN: 1 ms doubling to RETRY_MAX_MS. */
static int retry_delay(struct sink_runner *r)
{
	r->retry_ms = !r->retry_ms ? 1 : r->retry_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS
									 : r->retry_ms * 2;
	return (int)r->retry_ms;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Count sent lines into 1 ms windows; true while lines come fast, i.e. the
 * last full window (or the current one already) had LINGER_LINES. */
static bool rate_update(struct sink_runner *r, uint64_t sent)
{
	uint64_t t = now_ns();

	r->rate_n += sent;
	if (t - r->rate_t0 >= 1000000u) {
		/* A window that ended long ago says nothing about now. */
		r->fast = r->rate_n >= LINGER_LINES && t - r->rate_t0 < 2000000u;
		r->rate_t0 = t;
		r->rate_n = 0;
	}
	return r->fast || r->rate_n >= LINGER_LINES;
}

/* One round of work while connected, then a wait when there is nothing to
 * do or the sink is busy. */
static void run_connected(struct sink_runner *r, uint64_t now)
{
	int rc = STEP_SENT, i;

	line_queue_take(r->q); /* give back the room of what was sent */
	for (i = 0; i < BATCH && rc == STEP_SENT && atomic_load(&r->connected); i++) {
		if (r->spool && !r->head_refused && spool_lines(r->spool) && !(i & 31))
			spill(r); /* keep the queue short while replaying */
		rc = step(r);
	}
	if (!atomic_load(&r->connected))
		return;
	now = now_ms();
	/* Ran dry after sending while lines come fast: more are on their way. */
	if (rate_update(r, (uint64_t)(i - (rc != STEP_SENT))) && rc == STEP_IDLE && i > 1 &&
	    now - r->last_flush < r->opts.flush_interval_ms) {
		if (may_wait(r))
			line_queue_sleep(r->q, LINGER_MS);
		return;
	}
	if ((rc == STEP_IDLE || now - r->last_flush >= r->opts.flush_interval_ms) &&
	    flush(r, now) == -EAGAIN && rc == STEP_IDLE)
		rc = -EAGAIN;
	if (!atomic_load(&r->connected) || !may_wait(r))
		return;
	if (rc == -EAGAIN) {
		if (queue_half_full(r))
			spill(r);
		line_queue_sleep(r->q, retry_delay(r));
	} else if (rc == STEP_IDLE) {
		line_queue_wait(r->q, ms_until(r->stats_at + STATS_MS, now));
	}
}

static void run_down(struct sink_runner *r, uint64_t now, uint64_t limit)
{
	uint64_t until = r->next_connect < limit ? r->next_connect : limit;

	spill(r);
	if (!may_wait(r) && limit == UINT64_MAX)
		return;
	if (r->spool)
		line_queue_wait(r->q, ms_until(until, now));
	else
		line_queue_sleep(r->q, ms_until(until, now));
}

/* At stop: deliver what is queued and spooled while the sink is up. */
static void drain(struct sink_runner *r)
{
	uint64_t deadline = atomic_load(&r->stop_deadline), now;
	int rc;

	while ((now = now_ms()) < deadline) {
		if (!atomic_load(&r->connected)) {
			if (r->next_connect > deadline)
				break;
			if (now >= r->next_connect)
				try_connect(r);
			if (!atomic_load(&r->connected)) {
				run_down(r, now, deadline);
				continue;
			}
		}
		if (r->spool && !r->head_refused && spool_lines(r->spool))
			spill(r);
		rc = step(r);
		if (rc == STEP_IDLE)
			break;
		if (rc == -EAGAIN)
			line_queue_sleep(r->q, retry_delay(r));
	}
	if (atomic_load(&r->connected))
		flush(r, now_ms());
}

struct unsent {
	struct sink_runner *r;
	uint64_t kept, lost;
};

/* take_unsent()'s callback: a line the sink accepted but gives back. */
static void keep_unsent(const char *line, size_t len, const char *type, void *arg)
{
	struct unsent *u = arg;

	if (u->r->spool && !spool_append_unbounded(u->r->spool, line, len, type))
		u->kept++;
	else
		u->lost++;
}

/* Move the n oldest spooled lines behind the others (the ones the sink
 * handed back, which are older still). */
static void spool_rotate(struct sink_runner *r, uint64_t n)
{
	const char *line, *type;
	uint64_t i;
	size_t len, tl;
	char *copy;
	int rc = 0;

	for (i = 0; i < n && !rc; i++) {
		rc = spool_peek(r->spool, &line, &len, &type);
		if (rc)
			break;
		tl = strlen(type);
		copy = malloc(tl + 1 + len + 1);
		if (!copy) {
			rc = -ENOMEM;
			break;
		}
		memcpy(copy, type, tl + 1);
		memcpy(copy + tl + 1, line, len + 1);
		rc = spool_append_unbounded(r->spool, copy + tl + 1, len, copy);
		free(copy);
		if (!rc)
			rc = spool_consume(r->spool); /* on failure: a copy, not a loss */
	}
	if (i < n)
		log_warn("sink %s: cannot reorder the spool (%s): %" PRIu64 " lines spooled "
			 "earlier are sent before the ones the sink handed back", r->uri,
			 strerror(-rc), n - i);
}

/* At stop, for sinks that hold accepted lines (take_unsent): spool what the
 * sink gives back, ahead of what the spool held (the sink had those lines
 * before anything still in the spool or the queue). */
static void take_back(struct sink_runner *r)
{
	struct unsent u = { .r = r };
	uint64_t before = r->spool ? spool_lines(r->spool) : 0, n, d;

	if (!r->ops->take_unsent)
		return;
	r->ops->take_unsent(r->st, keep_unsent, &u);
	n = u.kept + u.lost;
	if (!n)
		return;
	/* Counted as delivered when the sink took them; they were not. */
	d = atomic_load(&r->delivered);
	atomic_store(&r->delivered, d > n ? d - n : 0);
	atomic_fetch_add(&r->spooled, u.kept);
	if (u.kept)
		log_warn("sink %s: %" PRIu64 " lines the sink could not confirm kept in the spool "
			 "(sent again by the next run: some may arrive twice)", r->uri, u.kept);
	if (u.lost) {
		atomic_fetch_add(&r->dropped, u.lost);
		log_err("sink %s: %" PRIu64 " lines the sink could not confirm are lost at exit "
			"(%s)", r->uri, u.lost, r->spool ? "the spool failed" : "no spool directory");
		r->stop_rc = -EPIPE;
	}
	if (u.kept && before)
		spool_rotate(r, before);
}

/* Empty the spool (a per-run sink's); returns the lines it held. */
static uint64_t spool_clear(struct sink_runner *r)
{
	const char *line, *type;
	uint64_t n = 0;
	size_t len;

	while (!spool_peek(r->spool, &line, &len, &type) && !spool_consume(r->spool))
		n++;
	spool_sync(r->spool);
	publish_spool(r);
	return n;
}

/* At stop: keep what could not be sent for the next run. */
static void keep_rest(struct sink_runner *r)
{
	uint64_t lost, dropped;
	char *loss;

	if (!r->spool || r->ops->spool_per_run) {
		uint64_t n = 0;

		while (queue_head(r)) {
			line_queue_consume(r->q);
			n++;
		}
		line_queue_take(r->q);
		if (r->spool)
			n += spool_clear(r);
		if (n) {
			log_err("sink %s: %" PRIu64 " lines not delivered and lost at exit (%s)",
				r->uri, n, r->spool ? "the next run writes to another reader"
						    : "no spool directory");
			atomic_fetch_add(&r->dropped, n);
			r->dropped_logged += n; /* said here, with the cause */
			r->stop_rc = -EPIPE;
		}
		take_back(r);
		return;
	}
	dropped = atomic_load(&r->dropped);
	spill(r);
	if (atomic_load(&r->dropped) != dropped) {
		log_err("sink %s: %" PRIu64 " lines lost at exit: the spool is full", r->uri,
			(uint64_t)(atomic_load(&r->dropped) - dropped));
		r->stop_rc = -ENOSPC;
	}
	take_back(r);
	lost = atomic_load(&r->loss_pending);
	if (lost && r->opts.loss_line && (loss = r->opts.loss_line(r->opts.loss_ctx, r->uri, lost))) {
		/* Announced by the next run, right where the lines went. */
		if (!spool_append_unbounded(r->spool, loss, strlen(loss), "agent.loss"))
			atomic_fetch_sub(&r->loss_pending, lost);
		free(loss);
	}
	if (atomic_load(&r->loss_pending))
		log_err("sink %s: %" PRIu64 " dropped lines were never announced to the sink", r->uri,
			atomic_load(&r->loss_pending));
	publish_spool(r);
	r->left = spool_lines(r->spool);
	if (r->left)
		log_warn("sink %s: %" PRIu64 " lines left in the spool for the next run", r->uri,
			 r->left);
}

static void *runner_main(void *arg)
{
	struct sink_runner *r = arg;
	uint64_t now;

	stats_refresh(r, now_ms());
	while (!atomic_load(&r->stop_req)) {
		if (atomic_exchange(&r->reopen_req, false))
			reopen(r);
		now = now_ms();
		if (now - r->stats_at >= STATS_MS) {
			stats_refresh(r, now);
			/* a destination gone with nothing to write to it */
			if (atomic_load(&r->connected) && r->ops->gone && r->ops->gone(r->st))
				go_down(r, "output", -EPIPE);
		}
		if (!atomic_load(&r->connected) && now >= r->next_connect)
			try_connect(r);
		if (atomic_load(&r->connected))
			run_connected(r, now);
		else
			run_down(r, now, UINT64_MAX);
	}
	drain(r);
	keep_rest(r);
	if (atomic_load(&r->connected))
		r->ops->disconnect(r->st);
	atomic_store(&r->connected, false);
	stats_refresh(r, now_ms());
	r->ops->destroy(r->st);
	r->st = NULL;
	return NULL;
}

static void runner_free(struct sink_runner *r)
{
	line_queue_destroy(r->q);
	spool_close(r->spool);
	json_decref(r->sink_stats);
	pthread_mutex_destroy(&r->lock);
	free(r->uri);
	free(r);
}

int sink_runner_start(const struct sink_ops *ops, void *state, const struct sink_spec *spec,
		      const struct sink_runner_opts *opts, struct sink_runner **out, char *err,
		      size_t n)
{
	struct sink_runner *r = calloc(1, sizeof(*r));
	sigset_t all, old;
	int rc;

	if (!r)
		return -ENOMEM;
	pthread_mutex_init(&r->lock, NULL);
	r->ops = ops;
	r->st = state;
	r->opts = *opts;
	r->opts.spool_dir = NULL; /* not ours to keep */
	if (!r->opts.queue_max_lines)
		r->opts.queue_max_lines = DEF_QUEUE_LINES;
	if (!r->opts.queue_max_bytes)
		r->opts.queue_max_bytes = DEF_QUEUE_BYTES;
	if (!r->opts.spool_max_bytes)
		r->opts.spool_max_bytes = DEF_SPOOL_BYTES;
	if (!r->opts.backoff_min_ms)
		r->opts.backoff_min_ms = DEF_BACKOFF_MIN;
	if (!r->opts.backoff_max_ms)
		r->opts.backoff_max_ms = DEF_BACKOFF_MAX;
	if (r->opts.backoff_max_ms < r->opts.backoff_min_ms)
		r->opts.backoff_max_ms = r->opts.backoff_min_ms;
	if (!r->opts.flush_interval_ms)
		r->opts.flush_interval_ms = DEF_FLUSH_MS;
	r->backoff_ms = r->opts.backoff_min_ms;
	r->uri = strdup(spec->uri ? spec->uri : spec->scheme);
	rc = r->uri ? line_queue_create(r->opts.queue_max_lines, r->opts.queue_max_bytes, &r->q)
		    : -ENOMEM;
	if (rc) {
		snprintf(err, n, "sink %s: %s", spec->uri, strerror(-rc));
		goto fail;
	}
	line_queue_defer_wakeups(r->q, opts->defer_wakeups);
	if (opts->spool_dir) {
		rc = spool_open(opts->spool_dir, r->opts.spool_max_bytes,
				r->opts.spool_segment_bytes, &r->spool, err, n);
		if (rc)
			goto fail;
		publish_spool(r);
		if (ops->spool_per_run && spool_lines(r->spool)) {
			uint64_t stale = spool_clear(r);

			log_warn("sink %s: %" PRIu64 " lines an earlier run could not write are not "
				 "replayed: this run's reader is another", r->uri, stale);
		}
	}
	/* Signals are for the daemon's thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = -pthread_create(&r->thread, NULL, runner_main, r);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		snprintf(err, n, "sink %s: cannot start its thread: %s", spec->uri, strerror(-rc));
		goto fail;
	}
	pthread_setname_np(r->thread, "idtrace-sink");
	*out = r;
	return 0;
fail:
	runner_free(r);
	return rc;
}

void sink_runner_kick(struct sink_runner *r)
{
	line_queue_kick(r->q);
}

int sink_runner_enqueue(struct sink_runner *r, const char *line, size_t len, const char *type)
{
	int rc = line_queue_push(r->q, line, len, type);

	if (rc) {
		count_drop(r);
		return rc;
	}
	atomic_fetch_add(&r->enqueued, 1);
	return 0;
}

bool sink_runner_settled(struct sink_runner *r)
{
	/* Replays are lines of an earlier spool, delivered a second time. A
	 * line dropped at the queue was never enqueued: the sum can run ahead,
	 * which only ends a wait early. */
	uint64_t done = atomic_load(&r->delivered) - atomic_load(&r->replayed) +
			atomic_load(&r->spooled) + atomic_load(&r->dropped);

	return done >= atomic_load(&r->enqueued);
}

bool sink_runner_gone(struct sink_runner *r)
{
	return atomic_load(&r->gone);
}

uint64_t sink_runner_dropped(struct sink_runner *r)
{
	return atomic_load(&r->dropped);
}

void sink_runner_reopen(struct sink_runner *r)
{
	atomic_store(&r->reopen_req, true);
	line_queue_wake(r->q);
}

void sink_runner_stats(struct sink_runner *r, json_t *obj)
{
	size_t items;
	json_t *sink;

	line_queue_usage(r->q, &items, NULL);
	json_object_set_new(obj, "uri", json_string(r->uri));
	json_object_set_new(obj, "enqueued", json_integer((json_int_t)atomic_load(&r->enqueued)));
	json_object_set_new(obj, "delivered", json_integer((json_int_t)atomic_load(&r->delivered)));
	json_object_set_new(obj, "spooled", json_integer((json_int_t)atomic_load(&r->spooled)));
	json_object_set_new(obj, "replayed", json_integer((json_int_t)atomic_load(&r->replayed)));
	json_object_set_new(obj, "dropped", json_integer((json_int_t)atomic_load(&r->dropped)));
	json_object_set_new(obj, "loss_pending",
			    json_integer((json_int_t)atomic_load(&r->loss_pending)));
	json_object_set_new(obj, "loss_lines", json_integer((json_int_t)atomic_load(&r->loss_lines)));
	json_object_set_new(obj, "queue_lines", json_integer((json_int_t)items));
	json_object_set_new(obj, "spool_lines",
			    json_integer((json_int_t)atomic_load(&r->spool_lines)));
	json_object_set_new(obj, "spool_bytes",
			    json_integer((json_int_t)atomic_load(&r->spool_bytes)));
	json_object_set_new(obj, "connected", json_boolean(atomic_load(&r->connected)));
	json_object_set_new(obj, "reconnects", json_integer((json_int_t)atomic_load(&r->reconnects)));
	pthread_mutex_lock(&r->lock);
	json_object_set_new(obj, "last_error",
			    *r->last_error ? json_string(r->last_error) : json_null());
	sink = r->sink_stats ? json_deep_copy(r->sink_stats) : NULL;
	pthread_mutex_unlock(&r->lock);
	if (sink)
		json_object_set_new(obj, "sink", sink);
}

int sink_runner_stop(struct sink_runner *r, unsigned drain_timeout_ms, uint64_t *left)
{
	int rc;

	if (!r)
		return 0;
	atomic_store(&r->stop_deadline, now_ms() + drain_timeout_ms);
	atomic_store(&r->stop_req, true);
	line_queue_wake(r->q);
	pthread_join(r->thread, NULL);
	if (left)
		*left = r->left;
	rc = r->stop_rc;
	runner_free(r);
	return rc;
}

int sink_runner_spool_dir(const char *state_dir, const char *scheme, const char *uri, char *buf,
			  size_t n)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char hex[17], safe[32];
	size_t i;
	int len;

	if (!EVP_Digest(uri, strlen(uri), md, &mdlen, EVP_sha256(), NULL) || mdlen < 8)
		return -EINVAL;
	for (i = 0; i < 8; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	for (i = 0; scheme[i] && i < sizeof(safe) - 1; i++)
		safe[i] = (scheme[i] >= 'a' && scheme[i] <= 'z') || (scheme[i] >= '0' && scheme[i] <= '9')
				  ? scheme[i]
				  : '_';
	safe[i] = '\0';
	len = snprintf(buf, n, "%s/spool/%s-%s", state_dir, safe, hex);
	return len < 0 || (size_t)len >= n ? -ENAMETOOLONG : 0;
}
