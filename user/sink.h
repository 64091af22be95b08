/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* A sink is one destination for finished event lines: stdout, a rotated
 * file, syslog (UDP, TCP, TLS, unix socket) or Kafka. Every sink is driven
 * by a runner thread of its own (sink_runner.h) that owns the sink's bounded
 * memory queue, its disk spool and its reconnect back-off, so an
 * implementation only moves bytes and says honestly whether they went.
 *
 * Lines handed to a sink are one event each, already formatted (JSON or
 * OCSF JSON), without the trailing newline; the sink adds its own framing.
 * All calls for one sink come from its runner thread only. */
#ifndef IDTRACE_SINK_H
#define IDTRACE_SINK_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sink_format {
	SINK_FORMAT_JSON, /* our schema, docs/schema.md */
	SINK_FORMAT_OCSF, /* OCSF 1.x, docs/ocsf.md */
};

/* A parsed sink specification: "--sink URI" or one entry of the config
 * file's "sinks" array. Options come from the URI's query string
 * (file:///var/log/idtrace.json?max_size_mb=100&keep=5) merged with the
 * config entry's keys; option values are strings or numbers. */
struct sink_spec {
	char *uri;      /* as given, for messages and agent.stats */
	char *scheme;   /* "stdout", "file", "syslog+udp", "syslog+tcp",
			 * "syslog+tls", "unix", "kafka" */
	char *host;     /* NULL when the scheme has none; "a,b,c" for Kafka */
	int port;       /* 0 when absent */
	char *path;     /* file path, socket path, or Kafka topic (no '/') */
	enum sink_format format;
	json_t *options; /* object; never NULL */
};

struct sink;

/* What an implementation provides. create() validates everything that can
 * be validated without the peer (options, files, CA readable) and must not
 * block on the network; connect() may. Return conventions: 0 or -errno,
 * with a human message in err where there is one. */
struct sink_ops {
	const char *scheme;
	/* The options create() reads, besides "format", which every sink
	 * takes; NULL-terminated; a name ending in '.' is a prefix (Kafka's
	 * "kafka.*"). Any other option is refused at start
	 * (sink_spec_check_options), so a misspelt one is not a silent
	 * default. */
	const char *const *options;
	/* The destination is another one in each run (stdout: a new reader),
	 * so the spool serves this run only: what an earlier run left in it
	 * is not replayed, and what is left at exit is not kept. */
	bool spool_per_run;
	/* Allocate state for spec. NULL with the cause in err (names the
	 * option or file and the fix): the daemon exits 2 on it. */
	void *(*create)(const struct sink_spec *spec, char *err, size_t n);
	/* Open the file / connect the socket / start the client. A failure is
	 * retried by the runner with back-off; err says why for the log. */
	int (*connect)(void *st, char *err, size_t n);
	/* Optional: reach the peer now and fail when it does not answer (the
	 * start-up and --check-config test), for sinks whose connect() never
	 * fails because their client reconnects on its own (Kafka). */
	int (*reach)(void *st, char *err, size_t n);
	/* Deliver one line (len bytes, no newline). 0: delivered, or accepted
	 * by a client that guarantees delivery (librdkafka with infinite
	 * message timeout). -EAGAIN: not accepted now, nothing was lost, try
	 * again later (a full client queue). Any other -errno: the peer is
	 * down and this line was NOT delivered; the runner spools it and
	 * calls disconnect() then connect() again later. A sink must never
	 * report 0 for a line it may have lost. -EMSGSIZE: this line can
	 * never be sent (too large for the peer): the runner drops and counts
	 * it and goes on. */
	int (*send)(void *st, const char *line, size_t len, const char *type);
	/* Push out whatever is buffered. 0 or -errno as for send(). */
	int (*flush)(void *st);
	/* Drop the connection or close the file after a failure. */
	void (*disconnect)(void *st);
	/* Optional: true once the destination can never take lines again
	 * (stdout whose reader closed the pipe: nothing can reopen it). The
	 * runner then stops reconnecting and spools; the daemon stops when
	 * every sink is gone. Asked after a failed send, flush or connect,
	 * and about once a second while connected and idle. */
	bool (*gone)(void *st);
	/* SIGHUP: reopen files (logrotate renamed them), reconnect. Optional. */
	int (*reopen)(void *st, char *err, size_t n);
	/* Sink-specific counters into obj (e.g. "rotations", "delivered",
	 * "delivery_failed"). Optional. */
	void (*stats)(void *st, json_t *obj);
	void (*destroy)(void *st);
	/* Optional, for sinks whose send() returns 0 for a line a client
	 * still holds (Kafka): called once at stop, after the runner's drain
	 * and before destroy(). Wait at most the sink's own close timeout for
	 * what is outstanding, then give up on the rest and hand back through
	 * cb, oldest first, every line not confirmed delivered (type may be
	 * NULL when the sink does not keep it); the runner spools them ahead
	 * of everything else, so the next run sends them first. A line given
	 * up while in flight may have arrived anyway: at-least-once, a
	 * duplicate is possible. Returns how many lines went to cb. */
	size_t (*take_unsent)(void *st,
			      void (*cb)(const char *line, size_t len, const char *type, void *arg),
			      void *arg);
};

/* The implementations. */
extern const struct sink_ops sink_stdout_ops;
extern const struct sink_ops sink_file_ops;
extern const struct sink_ops sink_syslog_ops; /* syslog+udp/tcp/tls, unix */
extern const struct sink_ops sink_kafka_ops;

/* Option helpers for implementations: a string option, or def. */
const char *sink_opt_str(const struct sink_spec *spec, const char *key, const char *def);
/* An integer option in [min, max]; -EINVAL with a message in err when it
 * is present but not an integer in range. */
int sink_opt_int(const struct sink_spec *spec, const char *key, long long def,
		 long long min, long long max, long long *out, char *err, size_t n);

#endif
