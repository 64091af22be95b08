// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The floor of any uprobe-based TLS tracer, for `make bench`: an empty BPF
 * program on each named function of a library, at the site idtrace puts its
 * own probe (uprobe_site.h). What it costs is the kernel's uprobe trap and
 * nothing else, so the bench can show how much of idtrace's cost is the
 * trap and how much is idtrace.
 *
 * Usage: uprobe_floor LIB FUNC... ; prints "ready" once attached, and
 * detaches on SIGINT or SIGTERM.
 */
#include <errno.h>
#include <signal.h>
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

static int uprobe_pmu_type(void)
{
	FILE *f = fopen("/sys/bus/event_source/devices/uprobe/type", "r");
	int type = -1;

	if (f) {
		if (fscanf(f, "%d", &type) != 1)
			type = -1;
		fclose(f);
	}
	return type;
}

int main(int argc, char **argv)
{
	const struct bpf_insn empty[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int type = uprobe_pmu_type(), prog;

	if (argc < 3) {
		fprintf(stderr, "usage: uprobe_floor LIB FUNC...\n");
		return 2;
	}
	if (type < 0) {
		fprintf(stderr, "uprobe_floor: no uprobe PMU\n");
		return 1;
	}
	prog = bpf_prog_load(BPF_PROG_TYPE_KPROBE, "uprobe_floor", "GPL", empty, 2, NULL);
	if (prog < 0) {
		fprintf(stderr, "uprobe_floor: BPF load: %s\n", strerror(-prog));
		return 1;
	}
	for (int i = 2; i < argc; i++) {
		/* the same site as idtrace's write probes (arguments 1-3 read) */
		long off = uprobe_site_file_offset(argv[1], argv[i],
						   UPROBE_ARG1 | UPROBE_ARG2 | UPROBE_ARG3);
		struct perf_event_attr attr = {
			.size = sizeof(attr),
			.type = (unsigned)type,
			.config1 = (unsigned long)argv[1],
			.config2 = (unsigned long)off,
		};
		int fd;

		if (off < 0) {
			fprintf(stderr, "uprobe_floor: %s not found in %s\n", argv[i], argv[1]);
			return 1;
		}
		fd = (int)syscall(SYS_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
		if (fd < 0 || ioctl(fd, PERF_EVENT_IOC_SET_BPF, prog) ||
		    ioctl(fd, PERF_EVENT_IOC_ENABLE, 0)) {
			fprintf(stderr, "uprobe_floor: %s+%#lx: %s\n", argv[i], off, strerror(errno));
			return 1;
		}
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	printf("ready\n");
	fflush(stdout);
	while (!stop)
		pause();
	return 0;
}
