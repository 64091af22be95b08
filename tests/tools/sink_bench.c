// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Throughput of the output stage, without probes: a synthetic event source
 * pushes N process.exec-like events through outputs_open() /
 * outputs_emit_line() or outputs_emit() / outputs_close() to one sink.
 *
 *   sink_bench --sink URI [--events N] [--state-dir DIR] [--drain-timeout-s S]
 *              [--mode lines|json|both]
 *
 * Each event is a realistic process.exec (human, CI job, workload and
 * process hops; about 1.6 KB of JSON) whose pid, exec ids, time and argv
 * change per event. Three figures, so the report says where time goes:
 *
 *  - the output path proper ("lines", the headline figure): LINE_SET
 *    different events serialized before the clock starts, handed in turn to
 *    outputs_emit_line(): the memory queue, the runner thread and the sink;
 *  - with serialization ("json"): each event built as a json_t and handed to
 *    outputs_emit(), which serializes it (json_dumpb), as the daemon does;
 *  - serialization alone: building and formatting events into a buffer, no
 *    queue and no sink: what the daemon's thread can hand over at most.
 *
 * For the first two the clock runs from the first emit to the end of the
 * drain: outputs_close() returns once every line is written and flushed
 * (file: written to the file; Kafka: acknowledged by the brokers, within
 * the sink's close_timeout_ms). The source never outruns the memory queue:
 * it waits while the queue holds more than QUEUE_HIGH lines, as a steady
 * producer slower than the sink would, so nothing is dropped for being
 * faster than a sink's queue. Each run opens the sink anew (same URI).
 *
 * Prints human lines, then one line "RESULT {json}" with events,
 * events_per_s (lines), seconds, json_events_per_s, json_seconds,
 * source_events_per_s (serialization alone), the sink's stats at the end of
 * the last drain and close_rc.
 * Exits 0, 1 when an event was dropped or could not be delivered, 2 on a
 * usage or set-up error. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>
#include "host_info.h"
#include "log.h"
#include "outputs.h"
#include "sink_spec.h"

#define CHECK_EVERY 4096    /* emits between looks at the queue */
#define QUEUE_HIGH 32768    /* the runner's memory queue holds 65536 lines */
#define QUEUE_LOW 16384
#define SOURCE_SAMPLE 50000 /* events formatted to time the source alone */
#define LINE_SET 4096       /* different pre-serialized lines */

/* One process.exec as the daemon writes it (docs/schema.md). */
static const char sink_bench_template[] =
	"{\"schema_version\":1,\"type\":\"process.exec\",\"time\":\"\","
	"\"host\":{\"hostname\":\"bench-host\",\"boot_id\":\"969864e5-821a-4004-ba1e-f51771ebdf57\"},"
	"\"process\":{\"pid\":0,\"ppid\":6165,\"exec_id\":\"\","
	"\"parent_exec_id\":\"969864e5-6165-1357050000000\",\"exe\":\"/usr/bin/curl\","
	"\"args\":[\"/usr/bin/curl\",\"-sS\",\"--fail\",\"https://artifacts.example.com/build/\"],"
	"\"args_truncated\":false,\"uid\":1000,\"euid\":1000,\"gid\":1000,\"egid\":1000,"
	"\"auid\":1000,\"session_id\":7,\"cgroup_id\":5123,\"source\":\"kernel\"},"
	"\"chain\":[{\"kind\":\"human\",\"uid\":1000,\"user\":\"alice\",\"session_id\":7},"
	"{\"kind\":\"ci_job\",\"provider\":\"github_actions\",\"repository\":\"acme/widgets\","
	"\"workflow\":\"deploy\",\"run_id\":\"4242\",\"run_attempt\":\"2\",\"job\":\"release\","
	"\"actor\":\"alice-gh\",\"triggering_actor\":\"bob-gh\",\"event\":\"push\","
	"\"ref\":\"refs/heads/main\",\"sha\":\"0123456789abcdef0123456789abcdef01234567\","
	"\"server_url\":\"https://github.com\","
	"\"token_vars_present\":[\"GITHUB_TOKEN\",\"ACTIONS_ID_TOKEN_REQUEST_TOKEN\"],"
	"\"established_by\":{\"pid\":6100,\"exec_id\":\"969864e5-6100-1357000000000\"}},"
	"{\"kind\":\"workload\",\"cgroup_id\":5123,"
	"\"cgroup_path\":\"/system.slice/actions-runner.service\",\"unit\":\"actions-runner.service\"},"
	"{\"kind\":\"process\",\"pid\":0,\"exec_id\":\"\",\"uid\":1000,\"euid\":1000,"
	"\"exe\":\"/usr/bin/curl\",\"ancestors\":["
	"{\"pid\":6165,\"exec_id\":\"969864e5-6165-1357050000000\",\"uid\":1000,\"euid\":1000,"
	"\"exe\":\"/usr/bin/bash\"},"
	"{\"pid\":6100,\"exec_id\":\"969864e5-6100-1357000000000\",\"uid\":1000,\"euid\":1000,"
	"\"exe\":\"/opt/actions-runner/bin/Runner.Worker\"}]}],"
	"\"provenance\":{\"originator\":\"human:alice\",\"collapsed\":false,\"reasons\":[]}}";

static double sink_bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sink_bench_usage(void)
{
	fprintf(stderr, "usage: sink_bench --sink URI [--events N] [--state-dir DIR] "
			"[--drain-timeout-s S] [--mode lines|json|both]\n");
}

/* The one sink's stats object (a new reference), or NULL. */
static json_t *sink_bench_stats(struct outputs *o)
{
	json_t *arr = outputs_stats(o), *s = json_incref(json_array_get(arr, 0));

	json_decref(arr);
	return s;
}

static uint64_t sink_bench_counter(const json_t *s, const char *key)
{
	return (uint64_t)json_integer_value(json_object_get(s, key));
}

/* Vary what differs from exec to exec: pid, exec ids, time, one argument. */
static void sink_bench_vary(json_t *ev, json_t *proc, json_t *phop, json_t *args,
			    const struct host_info *host, long i)
{
	char exec_id[64], tbuf[48], url[96];
	int pid = 10000 + (int)(i % 4000000);

	snprintf(exec_id, sizeof(exec_id), "969864e5-%d-%lld", pid, 1357684850500ll + i * 1000);
	host_info_format_time(host, host_info_boot_ns(), tbuf, sizeof(tbuf));
	snprintf(url, sizeof(url), "https://artifacts.example.com/build/%ld/widgets.tar.gz", i);
	json_object_set_new(ev, "time", json_string(tbuf));
	json_object_set_new(proc, "pid", json_integer(pid));
	json_object_set_new(proc, "exec_id", json_string(exec_id));
	json_object_set_new(phop, "pid", json_integer(pid));
	json_object_set_new(phop, "exec_id", json_string(exec_id));
	json_array_set_new(args, 3, json_string(url));
}

struct sink_bench_src {
	json_t *ev, *proc, *phop, *args;
	struct host_info host;
	char **lines; /* LINE_SET pre-serialized events */
	size_t *lens;
};

struct sink_bench_run {
	double seconds, emit_seconds;
	long waits;
	int close_rc;
	json_t *stats; /* the sink's at the end of the drain */
};

/* One timed run into a freshly opened sink: n events as lines (use_json
 * false) or as json_t events serialized by outputs_emit(). */
static int sink_bench_run(const char *uri, const char *state_dir, long n, long drain_s,
			  struct sink_bench_src *src, bool use_json, struct sink_bench_run *out)
{
	struct outputs_opts oo = { .state_dir = state_dir, .host = &src->host };
	struct outputs *o = NULL;
	struct sink_spec spec;
	char err[1024] = "";
	double t0, t_emitted;
	json_t *st = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if (sink_spec_parse(uri, NULL, &spec, err, sizeof(err))) {
		fprintf(stderr, "sink_bench: %s\n", err);
		return 2;
	}
	rc = outputs_open(&spec, 1, &oo, &o, err, sizeof(err));
	sink_spec_free(&spec);
	if (rc) {
		fprintf(stderr, "sink_bench: %s\n", err);
		return 2;
	}
	t0 = sink_bench_now();
	for (long i = 0; i < n; i++) {
		if (use_json) {
			sink_bench_vary(src->ev, src->proc, src->phop, src->args, &src->host, i);
			rc = outputs_emit(o, src->ev, NULL);
		} else {
			rc = outputs_emit_line(o, src->lines[i % LINE_SET], src->lens[i % LINE_SET],
					       "process.exec");
		}
		if (rc) {
			fprintf(stderr, "sink_bench: event %ld could not be emitted\n", i);
			break;
		}
		if ((i + 1) % CHECK_EVERY)
			continue;
		st = sink_bench_stats(o);
		if (sink_bench_counter(st, "queue_lines") > QUEUE_HIGH) {
			do {
				json_decref(st);
				usleep(200);
				out->waits++;
				st = sink_bench_stats(o);
			} while (sink_bench_counter(st, "queue_lines") > QUEUE_LOW);
		}
		json_decref(st);
	}
	t_emitted = sink_bench_now();
	/* Wait until the runner has handed every line to the sink... */
	for (;;) {
		st = sink_bench_stats(o);
		if (sink_bench_counter(st, "delivered") + sink_bench_counter(st, "dropped") >=
			    (uint64_t)n ||
		    sink_bench_now() - t_emitted > drain_s)
			break;
		json_decref(st);
		usleep(200);
	}
	/* ... then close: flushes the file, waits for the brokers' acks. */
	out->close_rc = outputs_close(o, (unsigned)drain_s * 1000);
	out->seconds = sink_bench_now() - t0;
	out->emit_seconds = t_emitted - t0;
	out->stats = st;
	return 0;
}

static void sink_bench_print(const char *what, long n, const struct sink_bench_run *r)
{
	printf("%s: emitted in %.3f s, drained and closed after %.3f s: %.0f events/s\n", what,
	       r->emit_seconds, r->seconds, n / r->seconds);
	printf("  delivered %llu, dropped %llu, spooled %llu, replayed %llu, close %s\n",
	       (unsigned long long)sink_bench_counter(r->stats, "delivered"),
	       (unsigned long long)sink_bench_counter(r->stats, "dropped"),
	       (unsigned long long)sink_bench_counter(r->stats, "spooled"),
	       (unsigned long long)sink_bench_counter(r->stats, "replayed"),
	       r->close_rc ? "failed" : "ok");
}

static bool sink_bench_bad(long n, const struct sink_bench_run *r)
{
	return r->close_rc || sink_bench_counter(r->stats, "dropped") ||
	       sink_bench_counter(r->stats, "delivered") < (uint64_t)n;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "sink", required_argument, NULL, 's' },
		{ "events", required_argument, NULL, 'n' },
		{ "state-dir", required_argument, NULL, 'd' },
		{ "drain-timeout-s", required_argument, NULL, 't' },
		{ "mode", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *uri = NULL, *state_dir = NULL, *mode = "both";
	long n = 200000, drain_s = 60, sample;
	struct sink_bench_src src = { 0 };
	struct sink_bench_run lines = { 0 }, js = { 0 };
	bool do_lines, do_json;
	static char scratch[64 * 1024];
	size_t bytes = 0, avg = 0;
	double t0, source_rate;
	json_t *res;
	int opt, rc = 0;
	char *dump;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			uri = optarg;
			break;
		case 'n':
			n = atol(optarg);
			break;
		case 'd':
			state_dir = optarg;
			break;
		case 't':
			drain_s = atol(optarg);
			break;
		case 'm':
			mode = optarg;
			break;
		default:
			sink_bench_usage();
			return 2;
		}
	}
	do_lines = !strcmp(mode, "lines") || !strcmp(mode, "both");
	do_json = !strcmp(mode, "json") || !strcmp(mode, "both");
	if (!uri || n <= 0 || drain_s <= 0 || optind < argc || (!do_lines && !do_json)) {
		sink_bench_usage();
		return 2;
	}
	log_set_level(LOG_WARN);
	rc = host_info_init(&src.host);
	if (rc) {
		fprintf(stderr, "sink_bench: host info: %s\n", strerror(-rc));
		return 2;
	}
	src.ev = json_loads(sink_bench_template, 0, NULL);
	if (!src.ev) {
		fprintf(stderr, "sink_bench: bad template\n");
		return 2;
	}
	src.proc = json_object_get(src.ev, "process");
	src.args = json_object_get(src.proc, "args");
	src.phop = json_array_get(json_object_get(src.ev, "chain"), 3);

	/* Serialization alone: build and format, as outputs_emit() does. */
	sample = n < SOURCE_SAMPLE ? n : SOURCE_SAMPLE;
	t0 = sink_bench_now();
	for (long i = 0; i < sample; i++) {
		sink_bench_vary(src.ev, src.proc, src.phop, src.args, &src.host, i);
		bytes += json_dumpb(src.ev, scratch, sizeof(scratch), JSON_COMPACT);
	}
	source_rate = sample / (sink_bench_now() - t0);

	/* The line source: LINE_SET different events, serialized up front. */
	src.lines = calloc(LINE_SET, sizeof(*src.lines));
	src.lens = calloc(LINE_SET, sizeof(*src.lens));
	if (!src.lines || !src.lens) {
		fprintf(stderr, "sink_bench: out of memory\n");
		return 2;
	}
	for (long i = 0; i < LINE_SET; i++) {
		sink_bench_vary(src.ev, src.proc, src.phop, src.args, &src.host, i);
		src.lines[i] = json_dumps(src.ev, JSON_COMPACT);
		if (!src.lines[i]) {
			fprintf(stderr, "sink_bench: out of memory\n");
			return 2;
		}
		src.lens[i] = strlen(src.lines[i]);
		avg += src.lens[i];
	}
	printf("sink %s: %ld events of about %zu bytes\n", uri, n, avg / LINE_SET);
	printf("serialization alone (build + json_dumpb, no queue, no sink): %.0f events/s\n",
	       source_rate);
	fflush(stdout);

	if (do_lines) {
		rc = sink_bench_run(uri, state_dir, n, drain_s, &src, false, &lines);
		if (rc)
			goto out;
		sink_bench_print("output path (pre-serialized lines, outputs_emit_line)", n, &lines);
		fflush(stdout);
	}
	if (do_json) {
		rc = sink_bench_run(uri, state_dir, n, drain_s, &src, true, &js);
		if (rc)
			goto out;
		sink_bench_print("with serialization (json_t events, outputs_emit)", n, &js);
	}
	res = json_pack("{s:s, s:I, s:f, s:f, s:I, s:f, s:f, s:i, s:O}", "sink", uri, "events",
			(json_int_t)n, "seconds", do_lines ? lines.seconds : 0.0, "events_per_s",
			do_lines ? n / lines.seconds : 0.0, "source_waits",
			(json_int_t)(lines.waits + js.waits), "json_seconds",
			do_json ? js.seconds : 0.0, "json_events_per_s",
			do_json ? n / js.seconds : 0.0, "close_rc", lines.close_rc || js.close_rc,
			"stats", do_json ? js.stats : lines.stats);
	json_object_set_new(res, "source_events_per_s", json_real(source_rate));
	json_object_set_new(res, "dropped",
			    json_integer((json_int_t)(sink_bench_counter(lines.stats, "dropped") +
						      sink_bench_counter(js.stats, "dropped"))));
	dump = json_dumps(res, JSON_COMPACT);
	printf("RESULT %s\n", dump ? dump : "{}");
	free(dump);
	json_decref(res);
	rc = (do_lines && sink_bench_bad(n, &lines)) || (do_json && sink_bench_bad(n, &js)) ? 1 : 0;
out:
	json_decref(lines.stats);
	json_decref(js.stats);
	for (long i = 0; src.lines && i < LINE_SET; i++)
		free(src.lines[i]);
	free(src.lines);
	free(src.lens);
	json_decref(src.ev);
	return rc;
}
