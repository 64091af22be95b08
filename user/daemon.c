// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "daemon.h"
#include "event.h"
#include "loader.h"
#include "log.h"
#include "output.h"
#include "proc_track.h"
#include "wire_decode.h"

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	stop_requested = sig;
}

struct daemon {
	const struct config *cfg;
	struct loader *loader;
	struct ring_buffer *rb;
	struct output *out;
	struct proc_tracker tracker;
	struct event_ctx ev;
	__u64 started_ns;
	int fatal; /* negative errno once the output failed */
	/* userspace counters */
	__u64 n_exec, n_fork, n_exit, decode_errors, emit_errors, seeded;
};

static void emit(struct daemon *d, json_t *ev)
{
	int err;

	if (!ev) {
		d->emit_errors++;
		return;
	}
	err = output_write(d->out, ev);
	json_decref(ev);
	if (err && !d->fatal) {
		d->fatal = err;
		log_err("writing events failed: %s", strerror(-err));
	}
}

static int on_record(void *ctx, void *data, size_t len)
{
	struct daemon *d = ctx;
	struct wire_record r;
	struct proc *p;
	int err = wire_decode(data, len, &r);

	if (err) {
		d->decode_errors++;
		return 0;
	}
	switch (r.type) {
	case IDT_EV_EXEC:
		d->n_exec++;
		if (proc_track_exec(&d->tracker, &r.exec, &p) == 0)
			emit(d, event_process_exec(&d->ev, p));
		else
			d->emit_errors++;
		break;
	case IDT_EV_FORK:
		d->n_fork++;
		proc_track_fork(&d->tracker, r.fork);
		break;
	case IDT_EV_EXIT:
		d->n_exit++;
		proc_track_exit(&d->tracker, r.exit);
		break;
	}
	/* Non-zero would abort ring_buffer__poll; only a dead sink is fatal. */
	return d->fatal;
}

static json_t *stats_event(struct daemon *d)
{
	uint64_t k[IDT_CNT_MAX] = { 0 };
	json_t *ev = event_new(&d->ev, "agent.stats", host_info_boot_ns());
	long rss_pages = 0;
	FILE *f = fopen("/proc/self/statm", "re");

	if (f) {
		if (fscanf(f, "%*d %ld", &rss_pages) != 1)
			rss_pages = 0;
		fclose(f);
	}
	loader_read_counters(d->loader, k);
	json_object_set_new(ev, "events", json_pack("{s:I}", "process.exec", (json_int_t)d->n_exec));
	json_object_set_new(ev, "kernel",
			    json_pack("{s:I, s:I, s:I}", "exec", (json_int_t)k[IDT_CNT_EXEC], "fork",
				      (json_int_t)k[IDT_CNT_FORK], "exit", (json_int_t)k[IDT_CNT_EXIT]));
	json_object_set_new(ev, "received",
			    json_pack("{s:I, s:I, s:I}", "exec", (json_int_t)d->n_exec, "fork",
				      (json_int_t)d->n_fork, "exit", (json_int_t)d->n_exit));
	json_object_set_new(ev, "lost",
			    json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "exec",
				      (json_int_t)k[IDT_CNT_LOST_EXEC], "fork",
				      (json_int_t)k[IDT_CNT_LOST_FORK], "exit",
				      (json_int_t)k[IDT_CNT_LOST_EXIT], "total",
				      (json_int_t)(k[IDT_CNT_LOST_EXEC] + k[IDT_CNT_LOST_FORK] +
						   k[IDT_CNT_LOST_EXIT]),
				      "decode_errors", (json_int_t)d->decode_errors, "emit_errors",
				      (json_int_t)d->emit_errors));
	json_object_set_new(ev, "agent",
			    json_pack("{s:I, s:I, s:I, s:I}", "pid", (json_int_t)getpid(),
				      "uptime_ms",
				      (json_int_t)((host_info_boot_ns() - d->started_ns) / 1000000),
				      "rss_kb", (json_int_t)(rss_pages * (sysconf(_SC_PAGESIZE) / 1024)),
				      "proc_table_size",
				      (json_int_t)proc_table_count(d->tracker.table)));
	return ev;
}

static json_t *ready_event(struct daemon *d)
{
	json_t *ev = event_new(&d->ev, "agent.ready", host_info_boot_ns());

	json_object_set_new(ev, "agent",
			    json_pack("{s:s, s:I, s:I, s:s}", "version", IDTRACE_VERSION, "pid",
				      (json_int_t)getpid(), "seeded_processes", (json_int_t)d->seeded,
				      "output", d->cfg->output ? d->cfg->output : "stdout"));
	json_object_set_new(ev, "probes", loader_probes_json(d->loader));
	return ev;
}

static int setup(struct daemon *d)
{
	struct loader_opts lo = {
		.ringbuf_bytes = d->cfg->ring_buffer_mb << 20,
		.capture_env = d->cfg->capture_env,
	};
	int err;

	err = host_info_init(&d->ev.host);
	if (err) {
		log_err("cannot read the boot id: %s", strerror(-err));
		return err;
	}
	d->started_ns = host_info_boot_ns();
	d->out = output_open(d->cfg->output);
	if (!d->out)
		return -EIO;
	d->ev.chain.workload = workload_ctx_new("/proc", d->cfg->spiffe_id);
	d->tracker.table = proc_table_new();
	if (!d->ev.chain.workload || !d->tracker.table)
		return -ENOMEM;
	if (!workload_cgroup2_mount(d->ev.chain.workload))
		log_warn("no cgroup2 mount found: workload.cgroup_path will be missing");
	snprintf(d->tracker.boot_id, sizeof(d->tracker.boot_id), "%s", d->ev.host.boot_id);
	d->tracker.proc_root = "/proc";
	d->tracker.cgroup2_mount = workload_cgroup2_mount(d->ev.chain.workload);

	/* Attach first, then seed: a process started in between is seen by the
	 * probes, and its records wait in the ring buffer. */
	d->loader = loader_start(&lo);
	if (!d->loader)
		return -errno;
	d->rb = ring_buffer__new(loader_events_fd(d->loader), on_record, d, NULL);
	if (!d->rb) {
		log_err("cannot set up the ring buffer: %s", strerror(errno));
		return -errno;
	}
	if (d->cfg->seed_procfs) {
		err = proc_track_seed_all(&d->tracker);
		if (err < 0)
			log_warn("cannot seed processes from /proc: %s", strerror(-err));
		else
			d->seeded = err;
	}
	return 0;
}

static void teardown(struct daemon *d)
{
	ring_buffer__free(d->rb);
	loader_stop(d->loader);
	proc_table_free(d->tracker.table);
	workload_ctx_free(d->ev.chain.workload);
	output_close(d->out);
}

int daemon_run(const struct config *cfg)
{
	struct daemon d = { .cfg = cfg };
	struct sigaction sa = { .sa_handler = on_signal };
	__u64 next_stats = 0;
	int err, rc = 1;

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	err = setup(&d);
	if (err)
		goto out;
	emit(&d, ready_event(&d));
	output_flush(d.out);
	if (cfg->stats_interval_s)
		next_stats = host_info_boot_ns() + cfg->stats_interval_s * 1000000000ull;
	while (!stop_requested && !d.fatal) {
		err = ring_buffer__poll(d.rb, 200);
		if (err < 0 && err != -EINTR && !d.fatal) {
			log_err("polling the ring buffer failed: %s", strerror(-err));
			goto out;
		}
		if (next_stats && host_info_boot_ns() >= next_stats) {
			emit(&d, stats_event(&d));
			next_stats += cfg->stats_interval_s * 1000000000ull;
		}
		if (output_flush(d.out) && !d.fatal)
			d.fatal = -EIO;
	}
	if (d.fatal)
		goto out;
	/* Drain what the kernel already produced, then report. */
	ring_buffer__consume(d.rb);
	emit(&d, stats_event(&d));
	rc = output_flush(d.out) || d.fatal ? 1 : 0;
out:
	teardown(&d);
	return rc;
}
