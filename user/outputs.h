/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The output stage: every configured sink behind its own runner thread
 * (sink_runner.h) with a memory queue and a disk spool. The daemon hands
 * each event here once; it is formatted per sink (our JSON or OCSF) and
 * queued, never waiting on a sink.
 */
#ifndef IDTRACE_OUTPUTS_H
#define IDTRACE_OUTPUTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include "config.h"
#include "host_info.h"
#include "json_frags.h"
#include "sink.h"

struct outputs_opts {
	const char *state_dir;    /* spools live in state_dir/spool; NULL: no spool */
	uint64_t spool_max_bytes; /* per sink; 0: the runner's default */
	const struct host_info *host;
	unsigned backoff_max_ms;  /* 0: the runner's default */
	bool defer_wakeups;	  /* the caller calls outputs_kick() after each batch */
};

struct outputs;

/* The sink specs of a configuration: its "sinks", plus "output" (--output
 * FILE: a file sink without rotation; "-": stdout); stdout when there is
 * neither. Returns 0 with *specs (free with outputs_specs_free) and *n, or
 * -EINVAL with the problem in err. */
int outputs_specs(const struct config *cfg, struct sink_spec **specs, int *n, char *err,
		  size_t errn);
void outputs_specs_free(struct sink_spec *specs, int n);

/* Create every sink in specs[0..n), check that each can be reached now
 * (a throw-away connection), then start their runners. Returns 0 with
 * *out, or -errno with the sink and the cause in err (the daemon exits 2). */
int outputs_open(const struct sink_spec *specs, int n, const struct outputs_opts *o,
		 struct outputs **out, char *err, size_t errn);
/* Validate and reach every sink, then release them: --check-config. */
int outputs_check(const struct sink_spec *specs, int n, char *err, size_t errn);
/* Queue ev (not consumed) to every sink. Our JSON copies the renderings
 * frags keeps of ev's shared parts (NULL: none). Returns 0, or -ENOMEM when
 * it could not be formatted. Drops are counted by the runners. */
int outputs_emit(struct outputs *o, const json_t *ev, const struct json_frags *frags);
/* With defer_wakeups: a batch of events was emitted; hand it to the sinks'
 * threads now. */
void outputs_kick(struct outputs *o);
/* Wake the sinks and wait, at most timeout_ms, until each has delivered,
 * spooled or dropped every line it was given: the counts in a final
 * agent.stats then say where each line went. Returns true when settled. */
bool outputs_settle(struct outputs *o, unsigned timeout_ms);
/* Queue an event already serialized as one line of our JSON (len bytes, no
 * newline) to every sink; type is its event type (NULL: read from the
 * line). JSON sinks take the line as it is; OCSF sinks parse it
 * (json_loadb) and convert it, as outputs_emit() would. Returns 0, -EINVAL
 * when an OCSF sink needed it parsed and it could not be parsed as a JSON
 * object (that sink does not get it), or -ENOMEM. For callers (and benchmarks) that hold lines rather than
 * json_t events; the daemon uses outputs_emit(). */
int outputs_emit_line(struct outputs *o, const char *line, size_t len, const char *type);
/* SIGHUP: reopen files, reconnect sinks that are down. */
void outputs_reopen(struct outputs *o);
/* [{uri, format, enqueued, delivered, ...}] per sink. Caller owns it. */
json_t *outputs_stats(struct outputs *o);
/* True when there are sinks and every one's destination is gone for good
 * (stdout whose reader closed it): no event can be delivered any more. */
bool outputs_gone(struct outputs *o);
/* Total lines dropped by all sinks so far. */
uint64_t outputs_dropped(struct outputs *o);
/* The sinks' URIs, for agent.ready. Caller owns it. */
json_t *outputs_describe(const struct outputs *o);
/* Drain for up to drain_ms, keep what is left in the spools, stop and free.
 * Returns 0, or -EPIPE when some lines could not be kept (logged). */
int outputs_close(struct outputs *o, unsigned drain_ms);

#endif
