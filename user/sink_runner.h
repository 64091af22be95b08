/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* One thread per sink between the daemon and the sink (sink.h): the daemon
 * hands lines to sink_runner_enqueue(), which never blocks; the runner
 * thread sends them, and while the sink is slow or down it writes them to
 * the sink's disk spool (spool.h) and replays them in order once the sink
 * is back, reconnecting with exponential back-off. Lines are dropped only
 * when the spool is full (or the memory queue is, which the thread keeps
 * empty by spooling); drops are counted and announced to the sink by one
 * agent.loss line after the replay.
 *
 * Thread-safety: enqueue from one thread (the daemon's); reopen and stats
 * from any thread (not from a signal handler); start and stop from the
 * thread that owns the runner. All calls into the sink's ops happen on the
 * runner thread. */
#ifndef IDTRACE_SINK_RUNNER_H
#define IDTRACE_SINK_RUNNER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "sink.h"

struct sink_runner_opts {
	size_t queue_max_lines;       /* memory queue bound; 0: 65536 */
	size_t queue_max_bytes;       /* 0: 64 MiB */
	const char *spool_dir;        /* one per sink (sink_runner_spool_dir);
				       * NULL: no spool, lines wait in memory */
	uint64_t spool_max_bytes;     /* 0: 1 GiB */
	uint64_t spool_segment_bytes; /* 0: the spool's default */
	unsigned backoff_min_ms;      /* first reconnect delay; 0: 100 */
	unsigned backoff_max_ms;      /* doubling up to this; 0: 30000 */
	unsigned flush_interval_ms;   /* flush at least this often while busy; 0: 200 */
	bool defer_wakeups;	      /* the producer calls sink_runner_kick() per batch */
	/* Build the agent.loss line (no newline) for dropped lines; the
	 * runner frees it. NULL: drops are only counted. */
	char *(*loss_line)(void *ctx, const char *sink_uri, uint64_t dropped);
	void *loss_ctx;
};

struct sink_runner;

/* Start a runner thread for state (made by ops->create(spec)); on success
 * the runner owns state and destroys it in sink_runner_stop(). Opens the
 * spool (a spool left by an earlier run is sent before anything new).
 * Returns 0 with *out, or -errno with the cause and the fix in err (the
 * caller still owns state then). */
int sink_runner_start(const struct sink_ops *ops, void *state, const struct sink_spec *spec,
		      const struct sink_runner_opts *opts, struct sink_runner **out, char *err,
		      size_t n);
/* Queue a copy of line (len bytes, no newline) of event type type. Never
 * blocks. Returns 0, or -ENOSPC / -ENOMEM when the memory queue is full: the
 * line is dropped and counted (and announced later by agent.loss). */
int sink_runner_enqueue(struct sink_runner *r, const char *line, size_t len, const char *type);
/* Ask the thread to reopen the sink (SIGHUP: logrotate) or, when it is
 * down, to reconnect now instead of after the back-off. Returns at once. */
void sink_runner_reopen(struct sink_runner *r);
/* With defer_wakeups: the producer has queued a batch; wake the thread. */
void sink_runner_kick(struct sink_runner *r);
/* Add this sink's counters to obj: uri, enqueued, delivered, spooled,
 * replayed, dropped, loss_pending, loss_lines, queue_lines, spool_lines,
 * spool_bytes, connected, reconnects, last_error (string or null), and the
 * sink's own counters (ops->stats, at most ~1 s old) as object "sink". */
void sink_runner_stats(struct sink_runner *r, json_t *obj);
/* True when every line enqueued so far has been delivered, spooled or
 * dropped (thread-safe): nothing is in flight. */
bool sink_runner_settled(struct sink_runner *r);
/* True once the sink's destination is gone for good (sink_ops.gone: stdout
 * whose reader closed it); the runner no longer reconnects (thread-safe). */
bool sink_runner_gone(struct sink_runner *r);
/* Lines dropped so far (thread-safe). */
uint64_t sink_runner_dropped(struct sink_runner *r);
/* Stop: for up to drain_timeout_ms, send what is queued and spooled while
 * the sink is up (a sink that is down and not due for a reconnect within
 * the time is not waited for); write whatever is left to the spool for the
 * next run, with an agent.loss line when drops were not announced yet;
 * then take back from the sink (ops->take_unsent, after the sink's own
 * close timeout) the lines it accepted but could not confirm, and spool
 * them ahead of the rest, so the next run sends them first (at-least-once:
 * they are no longer counted as delivered); destroy the sink and free r. *left (may be NULL) is the number of lines
 * left in the spool. Returns 0, or -errno when lines could not be kept (no
 * spool, or the spool failed; each one is counted and logged). NULL r is
 * ignored. No enqueue may run during or after the call. */
int sink_runner_stop(struct sink_runner *r, unsigned drain_timeout_ms, uint64_t *left);
/* The spool directory for a sink: "<state_dir>/spool/<scheme>-<16 hex of
 * SHA-256(uri)>", stable across runs for the same URI and free of anything
 * the URI holds (hosts, credentials). Returns 0 or -ENAMETOOLONG. */
int sink_runner_spool_dir(const char *state_dir, const char *scheme, const char *uri, char *buf,
			  size_t n);

#endif
