// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Throughput of the output stage, without probes: a synthetic event source
 * pushes N process.exec-like events through outputs_open() /
 * outputs_emit() / outputs_close() to one sink, as the daemon does.
 *
 *   sink_bench --sink URI [--events N] [--state-dir DIR] [--drain-timeout-s S]
 *
 * Each event is a realistic process.exec (human, CI job, workload and
 * process hops; about 1.4 KB of JSON) whose pid, exec ids, time and argv
 * change per event, so every one is formatted anew (json_dumpb per emit,
 * like the daemon). The clock runs from the first emit to the end of the
 * drain: outputs_close() returns once every line is written and flushed
 * (file: written to the file; Kafka: acknowledged by the brokers, within
 * the sink's close_timeout_ms). The source never outruns the memory queue:
 * it waits while the queue holds more than QUEUE_HIGH lines, as a steady
 * producer slower than the sink would, so nothing is dropped for being
 * faster than a sink's queue.
 *
 * Before the run, the source alone is timed (build and format the events
 * as outputs_emit() would, into a buffer, no queue, no sink): what the
 * daemon's thread can hand to the output stage at most, so a figure limited
 * by the formatting rather than by the sink is told apart.
 *
 * Prints human lines, then one line "RESULT {json}" with events, seconds,
 * events_per_s, source_events_per_s, the sink's stats at the end of the
 * drain and close_rc.
 * Exits 0, 1 when an event was dropped or could not be delivered, 2 on a
 * usage or set-up error. */
#include <errno.h>
#include <getopt.h>
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
			"[--drain-timeout-s S]\n");
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

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "sink", required_argument, NULL, 's' },
		{ "events", required_argument, NULL, 'n' },
		{ "state-dir", required_argument, NULL, 'd' },
		{ "drain-timeout-s", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *uri = NULL, *state_dir = NULL;
	long n = 200000, drain_s = 60, waits = 0;
	struct host_info host;
	struct sink_spec spec;
	struct outputs *out = NULL;
	json_t *ev, *proc, *phop, *args, *st, *res;
	char err[1024] = "";
	double t0, t_emitted, t_end, source_rate;
	int opt, rc;
	char *dump;
	static char scratch[64 * 1024];
	size_t bytes = 0;
	long sample;

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
		default:
			sink_bench_usage();
			return 2;
		}
	}
	if (!uri || n <= 0 || drain_s <= 0 || optind < argc) {
		sink_bench_usage();
		return 2;
	}
	log_set_level(LOG_WARN);
	rc = host_info_init(&host);
	if (rc) {
		fprintf(stderr, "sink_bench: host info: %s\n", strerror(-rc));
		return 2;
	}
	if (sink_spec_parse(uri, NULL, &spec, err, sizeof(err))) {
		fprintf(stderr, "sink_bench: %s\n", err);
		return 2;
	}
	ev = json_loads(sink_bench_template, 0, NULL);
	if (!ev) {
		fprintf(stderr, "sink_bench: bad template\n");
		return 2;
	}
	proc = json_object_get(ev, "process");
	args = json_object_get(proc, "args");
	phop = json_array_get(json_object_get(ev, "chain"), 3);
	{
		struct outputs_opts oo = { .state_dir = state_dir, .host = &host };

		rc = outputs_open(&spec, 1, &oo, &out, err, sizeof(err));
	}
	sink_spec_free(&spec);
	if (rc) {
		fprintf(stderr, "sink_bench: %s\n", err);
		json_decref(ev);
		return 2;
	}
	/* The source alone: build and format, as outputs_emit() does. */
	sample = n < SOURCE_SAMPLE ? n : SOURCE_SAMPLE;
	t0 = sink_bench_now();
	for (long i = 0; i < sample; i++) {
		sink_bench_vary(ev, proc, phop, args, &host, i);
		bytes += json_dumpb(ev, scratch, sizeof(scratch), JSON_COMPACT);
	}
	source_rate = sample / (sink_bench_now() - t0);
	sink_bench_vary(ev, proc, phop, args, &host, 0);
	dump = json_dumps(ev, JSON_COMPACT);
	printf("sink %s: %ld events of %zu bytes\n", uri, n, dump ? strlen(dump) : 0);
	printf("source alone (build + format, no sink): %.0f events/s (%zu bytes formatted)\n",
	       source_rate, bytes);
	free(dump);
	fflush(stdout);

	t0 = sink_bench_now();
	for (long i = 0; i < n; i++) {
		sink_bench_vary(ev, proc, phop, args, &host, i);
		if (outputs_emit(out, ev)) {
			fprintf(stderr, "sink_bench: event %ld could not be formatted\n", i);
			break;
		}
		if ((i + 1) % CHECK_EVERY)
			continue;
		st = sink_bench_stats(out);
		if (sink_bench_counter(st, "queue_lines") > QUEUE_HIGH) {
			do {
				json_decref(st);
				usleep(200);
				waits++;
				st = sink_bench_stats(out);
			} while (sink_bench_counter(st, "queue_lines") > QUEUE_LOW);
		}
		json_decref(st);
	}
	t_emitted = sink_bench_now();
	/* Wait until the runner has handed every line to the sink... */
	for (;;) {
		st = sink_bench_stats(out);
		if (sink_bench_counter(st, "delivered") + sink_bench_counter(st, "dropped") >=
			    (uint64_t)n ||
		    sink_bench_now() - t_emitted > drain_s)
			break;
		json_decref(st);
		usleep(500);
	}
	/* ... then close: flushes the file, waits for the brokers' acks. */
	rc = outputs_close(out, (unsigned)drain_s * 1000);
	t_end = sink_bench_now();

	res = json_pack("{s:s, s:I, s:f, s:f, s:f, s:f, s:I, s:i, s:O}", "sink", uri, "events",
			(json_int_t)n, "seconds", t_end - t0, "emit_seconds", t_emitted - t0,
			"events_per_s", n / (t_end - t0), "source_events_per_s", source_rate,
			"source_waits", (json_int_t)waits, "close_rc", rc, "stats", st);
	printf("emitted in %.3f s, drained and closed after %.3f s: %.0f events/s\n",
	       t_emitted - t0, t_end - t0, n / (t_end - t0));
	printf("delivered %llu, dropped %llu, spooled %llu, replayed %llu, close %s\n",
	       (unsigned long long)sink_bench_counter(st, "delivered"),
	       (unsigned long long)sink_bench_counter(st, "dropped"),
	       (unsigned long long)sink_bench_counter(st, "spooled"),
	       (unsigned long long)sink_bench_counter(st, "replayed"), rc ? "failed" : "ok");
	dump = json_dumps(res, JSON_COMPACT);
	printf("RESULT %s\n", dump ? dump : "{}");
	free(dump);
	rc = rc || sink_bench_counter(st, "dropped") ||
	     sink_bench_counter(st, "delivered") < (uint64_t)n;
	json_decref(res);
	json_decref(st);
	json_decref(ev);
	return rc ? 1 : 0;
}
