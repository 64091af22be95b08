// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The floor under idtrace's probes, for `make bench`: empty BPF programs on
 * the same hooks, so the bench can show how much of idtrace's cost is the
 * kernel's mechanism and how much is idtrace's own work.
 *
 *   probe_floor sys_exit          an empty program on the raw sys_exit
 *                                 tracepoint: what any syscall tracer pays
 *   probe_floor events NAME...    an empty program on each syscall trace
 *                                 event NAME (sys_exit_openat, ...), and on
 *                                 each raw tracepoint raw:NAME
 *                                 (raw:sock_send_length): idtrace's default
 *                                 syscall and socket hooks
 *   probe_floor uprobe LIB FUNC...  an empty program on each FUNC of LIB at
 *                                 the site idtrace uses (uprobe_site.h): the
 *                                 uprobe trap and nothing else
 *
 * Prints "ready" once attached, and detaches on SIGINT or SIGTERM.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include "uprobe_site.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* The number in a sysfs/tracefs file, or -1. */
static int read_int_file(const char *path)
{
	FILE *f = fopen(path, "r");
	int v = -1;

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/* Open the perf event attr describes, run prog on it, enable it. */
static int attach_perf_event(int prog, struct perf_event_attr *attr)
{
	int fd = (int)syscall(SYS_perf_event_open, attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);

	if (fd < 0 || ioctl(fd, PERF_EVENT_IOC_SET_BPF, prog) || ioctl(fd, PERF_EVENT_IOC_ENABLE, 0))
		return -1;
	return 0;
}

static int attach_uprobes(int prog, const char *lib, char **funcs, int n)
{
	int type = read_int_file("/sys/bus/event_source/devices/uprobe/type");

	if (type < 0) {
		fprintf(stderr, "probe_floor: no uprobe PMU\n");
		return -1;
	}
	for (int i = 0; i < n; i++) {
		/* the same site as idtrace's write probes (arguments 1-3 read) */
		long off = uprobe_site_file_offset(lib, funcs[i],
						   UPROBE_ARG1 | UPROBE_ARG2 | UPROBE_ARG3);
		struct perf_event_attr attr = {
			.size = sizeof(attr),
			.type = (unsigned)type,
			.config1 = (unsigned long)lib,
			.config2 = (unsigned long)off,
		};

		if (off < 0) {
			fprintf(stderr, "probe_floor: %s not found in %s\n", funcs[i], lib);
			return -1;
		}
		if (attach_perf_event(prog, &attr)) {
			fprintf(stderr, "probe_floor: %s+%#lx: %s\n", funcs[i], off, strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* An empty program on each per-syscall trace event (tracefs id; prog), or
 * for raw:NAME on the raw tracepoint NAME (raw_prog). */
static int attach_trace_events(int prog, int raw_prog, char **names, int n)
{
	for (int i = 0; i < n; i++) {
		struct perf_event_attr attr = { .size = sizeof(attr), .type = PERF_TYPE_TRACEPOINT };
		char path[256];
		int id;

		if (!strncmp(names[i], "raw:", 4)) {
			if (bpf_raw_tracepoint_open(names[i] + 4, raw_prog) < 0) {
				fprintf(stderr, "probe_floor: %s: %s\n", names[i], strerror(errno));
				return -1;
			}
			continue;
		}
		snprintf(path, sizeof(path), "/sys/kernel/tracing/events/syscalls/%s/id", names[i]);
		id = read_int_file(path);
		if (id < 0) {
			fprintf(stderr, "probe_floor: %s: no such trace event\n", names[i]);
			return -1;
		}
		attr.config = (unsigned)id;
		if (attach_perf_event(prog, &attr)) {
			fprintf(stderr, "probe_floor: %s: %s\n", names[i], strerror(errno));
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	const struct bpf_insn empty[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	bool sys_exit = argc == 2 && !strcmp(argv[1], "sys_exit");
	bool events = argc >= 3 && !strcmp(argv[1], "events");
	int prog, raw_prog = -1;

	if (!sys_exit && !events && (argc < 4 || strcmp(argv[1], "uprobe"))) {
		fprintf(stderr, "usage: probe_floor sys_exit | probe_floor events NAME... | "
				"probe_floor uprobe LIB FUNC...\n");
		return 2;
	}
	prog = bpf_prog_load(sys_exit ? BPF_PROG_TYPE_RAW_TRACEPOINT
				      : events ? BPF_PROG_TYPE_TRACEPOINT : BPF_PROG_TYPE_KPROBE,
			     "probe_floor", "GPL", empty, 2, NULL);
	if (prog < 0) {
		fprintf(stderr, "probe_floor: BPF load: %s\n", strerror(-prog));
		return 1;
	}
	if (events) {
		raw_prog = bpf_prog_load(BPF_PROG_TYPE_RAW_TRACEPOINT, "probe_floor", "GPL", empty, 2,
					 NULL);
		if (raw_prog < 0) {
			fprintf(stderr, "probe_floor: BPF load: %s\n", strerror(-raw_prog));
			return 1;
		}
	}
	if (sys_exit) {
		if (bpf_raw_tracepoint_open("sys_exit", prog) < 0) {
			fprintf(stderr, "probe_floor: sys_exit: %s\n", strerror(errno));
			return 1;
		}
	} else if (events) {
		if (attach_trace_events(prog, raw_prog, argv + 2, argc - 2))
			return 1;
	} else if (attach_uprobes(prog, argv[2], argv + 3, argc - 3)) {
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	printf("ready\n");
	fflush(stdout);
	while (!stop)
		pause();
	return 0;
}
