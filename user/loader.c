// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "exec.skel.h"
#include "files.skel.h"
#include "loader.h"
#include "log.h"

#define MAX_LINKS 16

struct attached {
	const char *name;
	const char *hook;
	struct bpf_link *link;
};

struct loader {
	struct exec_bpf *exec;
	struct files_bpf *files;
	struct attached links[MAX_LINKS];
	int n_links;
};

static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char buf[1024];

	if (level == LIBBPF_DEBUG)
		return 0;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	buf[strcspn(buf, "\n")] = '\0';
	log_msg(level == LIBBPF_WARN ? LOG_WARN : LOG_DEBUG, "libbpf: %s", buf);
	return 0;
}

static int check_privileges(void)
{
	if (geteuid() == 0)
		return 0;
	log_err("not running as root: loading BPF programs needs root (or CAP_BPF, CAP_PERFMON "
		"and CAP_SYS_RESOURCE); run it with sudo");
	return -EPERM;
}

static int check_btf(void)
{
	if (access("/sys/kernel/btf/vmlinux", R_OK) == 0)
		return 0;
	log_err("/sys/kernel/btf/vmlinux is missing: this kernel was built without "
		"CONFIG_DEBUG_INFO_BTF; idtrace needs a kernel >= 5.8 with BTF");
	return -ENOENT;
}

/* Tracepoints of the tp/ kind and uprobe events need tracefs; a fresh
 * machine may not have it mounted. */
static int ensure_tracefs(void)
{
	static const char *const dir = "/sys/kernel/tracing";
	struct stat st;

	if (stat("/sys/kernel/tracing/events", &st) == 0 ||
	    stat("/sys/kernel/debug/tracing/events", &st) == 0)
		return 0;
	if (mount("tracefs", dir, "tracefs", 0, NULL) == 0) {
		log_info("mounted tracefs on %s", dir);
		return 0;
	}
	log_err("tracefs is not mounted and mounting it on %s failed: %s; mount it with "
		"'mount -t tracefs tracefs %s'", dir, strerror(errno), dir);
	return -errno;
}

static int attach(struct loader *l, struct bpf_program *prog, const char *name, const char *hook)
{
	struct bpf_link *link = bpf_program__attach(prog);
	int err;

	if (!link) {
		err = -errno;
		log_err("cannot attach probe %s to %s: %s", name, hook, strerror(-err));
		return err;
	}
	l->links[l->n_links++] = (struct attached){ .name = name, .hook = hook, .link = link };
	return 0;
}

static int load_exec(struct loader *l, const struct loader_opts *o)
{
	int err, ncpu = libbpf_num_possible_cpus();

	l->exec = exec_bpf__open();
	if (!l->exec) {
		err = -errno;
		log_err("cannot open the exec probe object: %s", strerror(-err));
		return err;
	}
	if (l->exec->rodata->idt_wire_version != IDT_WIRE_VERSION) {
		log_err("probe object speaks wire version %u, daemon %u: rebuild with 'make'",
			l->exec->rodata->idt_wire_version, IDT_WIRE_VERSION);
		return -EPROTO;
	}
	l->exec->rodata->capture_env = o->capture_env;
	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	bpf_map__set_max_entries(l->exec->maps.exec_scratch, ncpu);
	bpf_map__set_max_entries(l->exec->maps.events, o->ringbuf_bytes);
	err = exec_bpf__load(l->exec);
	if (err) {
		log_err("cannot load the exec probes: %s (the kernel must allow tp_btf programs; "
			"see the libbpf messages above)", strerror(-err));
		return err;
	}
	err = attach(l, l->exec->progs.idt_exec, "exec", "tp_btf/sched_process_exec");
	err = err ?: attach(l, l->exec->progs.idt_fork, "fork", "tp_btf/sched_process_fork");
	err = err ?: attach(l, l->exec->progs.idt_exit, "exit", "tp_btf/sched_process_exit");
	return err;
}

/* The credential-open probes share the exec object's ring buffer and
 * counters, so one consumer sees every record in order. */
/* Load the credential-open probes. raw_exit: one raw tracepoint on sys_exit
 * (cheapest per open); else the per-syscall trace events sys_exit_open*,
 * which need tracefs but no BTF-enabled raw tracepoint. */
static int load_files_as(struct loader *l, bool raw_exit)
{
	static const struct {
		const char *name, *hook;
	} tp_hooks[] = {
		{ "open", "tp/syscalls/sys_exit_open" },
		{ "openat", "tp/syscalls/sys_exit_openat" },
		{ "openat2", "tp/syscalls/sys_exit_openat2" },
		{ "creat", "tp/syscalls/sys_exit_creat" },
	};
	struct bpf_program *tp_progs[4];
	int err;

	l->files = files_bpf__open();
	if (!l->files)
		return -errno;
	l->files->rodata->self_tgid = getpid();
	l->files->rodata->nr_openat = SYS_openat;
	l->files->rodata->nr_openat2 = SYS_openat2;
#ifdef SYS_open
	l->files->rodata->nr_open = SYS_open;
#endif
#ifdef SYS_creat
	l->files->rodata->nr_creat = SYS_creat;
#endif
	tp_progs[0] = l->files->progs.idt_exit_open;
	tp_progs[1] = l->files->progs.idt_exit_openat;
	tp_progs[2] = l->files->progs.idt_exit_openat2;
	tp_progs[3] = l->files->progs.idt_exit_creat;
	for (int i = 0; i < 4; i++)
		bpf_program__set_autoload(tp_progs[i], !raw_exit);
	bpf_program__set_autoload(l->files->progs.idt_sys_exit, raw_exit);
	err = bpf_map__reuse_fd(l->files->maps.events, bpf_map__fd(l->exec->maps.events));
	err = err ?: bpf_map__reuse_fd(l->files->maps.counters, bpf_map__fd(l->exec->maps.counters));
	err = err ?: files_bpf__load(l->files);
	if (err)
		return err;
	if (raw_exit)
		return attach(l, l->files->progs.idt_sys_exit, "open", "tp_btf/sys_exit");
	for (int i = 0; i < 4 && !err; i++)
		err = attach(l, tp_progs[i], tp_hooks[i].name, tp_hooks[i].hook);
	return err;
}

static int load_files(struct loader *l)
{
	int err = load_files_as(l, true);

	if (!err)
		return 0;
	log_warn("raw tracepoint sys_exit unavailable (%s); using the sys_exit_open* trace events",
		 strerror(-err));
	for (; l->n_links > 0 && !strcmp(l->links[l->n_links - 1].hook, "tp_btf/sys_exit");
	     l->n_links--)
		bpf_link__destroy(l->links[l->n_links - 1].link);
	files_bpf__destroy(l->files);
	l->files = NULL;
	err = load_files_as(l, false);
	if (err)
		log_err("cannot load the credential-open probes: %s (see the libbpf messages above)",
			strerror(-err));
	return err;
}

int loader_watch_maps(const struct loader *l, int *inodes, int *dirs, int *names)
{
	if (!l->files)
		return -ENOENT;
	*inodes = bpf_map__fd(l->files->maps.watch_inodes);
	*dirs = bpf_map__fd(l->files->maps.watch_dirs);
	*names = bpf_map__fd(l->files->maps.watch_names);
	return 0;
}

struct loader *loader_start(const struct loader_opts *o)
{
	struct loader *l;
	int err;

	libbpf_set_print(libbpf_log);
	err = check_privileges();
	err = err ?: check_btf();
	err = err ?: ensure_tracefs();
	if (err) {
		errno = -err;
		return NULL;
	}
	l = calloc(1, sizeof(*l));
	if (!l) {
		errno = ENOMEM;
		return NULL;
	}
	err = load_exec(l, o);
	if (!err && o->watch_files)
		err = load_files(l);
	if (err) {
		loader_stop(l);
		errno = -err;
		return NULL;
	}
	return l;
}

void loader_stop(struct loader *l)
{
	if (!l)
		return;
	for (int i = 0; i < l->n_links; i++)
		bpf_link__destroy(l->links[i].link);
	files_bpf__destroy(l->files);
	exec_bpf__destroy(l->exec);
	free(l);
}

int loader_events_fd(const struct loader *l)
{
	return bpf_map__fd(l->exec->maps.events);
}

int loader_read_counters(const struct loader *l, uint64_t out[IDT_CNT_MAX])
{
	int ncpu = libbpf_num_possible_cpus(), fd = bpf_map__fd(l->exec->maps.counters);
	uint64_t *vals;

	if (ncpu <= 0)
		return -EINVAL;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (uint32_t i = 0; i < IDT_CNT_MAX; i++) {
		out[i] = 0;
		if (bpf_map_lookup_elem(fd, &i, vals))
			continue;
		for (int c = 0; c < ncpu; c++)
			out[i] += vals[c];
	}
	free(vals);
	return 0;
}

json_t *loader_probes_json(const struct loader *l)
{
	json_t *arr = json_array();

	for (int i = 0; arr && i < l->n_links; i++)
		json_array_append_new(arr, json_pack("{s:s, s:s}", "name", l->links[i].name, "hook",
						     l->links[i].hook));
	return arr;
}
