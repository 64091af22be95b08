// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "exec.skel.h"
#include "files.skel.h"
#include "loader.h"
#include "log.h"
#include "proc_file.h"
#include "tls.skel.h"
#include "uprobe_site.h"

struct attached {
	char *name;
	char *hook;
	struct bpf_link *link;
};

/* How the credential-open probes hook the syscall exit, best first. Each
 * walks the opened file with bpf_rdonly_cast (6.2+) where the kernel has
 * it, else with one probe read per field. */
enum files_hook {
	FILES_EVENTS, /* the per-syscall sys_exit_open* trace events: no other syscall runs us */
	FILES_RAW,    /* the raw sys_exit tracepoint: every syscall runs us */
};

struct loader {
	struct exec_bpf *exec;
	struct files_bpf *files;
	enum files_hook files_hook; /* when files is loaded */
	struct tls_bpf *tls;
	struct attached *links;
	int n_links, cap_links;
	json_t *tls_libs; /* [{"path","library","functions":[...]}] */
};

static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char *buf, *line, *next;

	if (level == LIBBPF_DEBUG || vasprintf(&buf, fmt, ap) < 0)
		return 0;
	/* a verifier log arrives as one message of many lines: keep them all,
	 * one log line each, since they say why a program was refused */
	for (line = buf; *line; line = next) {
		next = line + strcspn(line, "\n");
		if (*next)
			*next++ = '\0';
		if (*line)
			log_msg(level == LIBBPF_WARN ? LOG_WARN : LOG_DEBUG, "%s", line);
	}
	free(buf);
	return 0;
}

int loader_check_privileges(void)
{
	if (geteuid() == 0)
		return 0;
	log_err("not running as root: idtrace needs root, with CAP_BPF, CAP_PERFMON, "
		"CAP_SYS_ADMIN, CAP_SYS_RESOURCE, CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH "
		"(dist/idtrace.service); run it with sudo");
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

static int keep_link(struct loader *l, struct bpf_link *link, const char *name, const char *hook)
{
	struct attached *more;

	if (l->n_links == l->cap_links) {
		more = realloc(l->links, (l->cap_links * 2 + 16) * sizeof(*more));
		if (!more) {
			bpf_link__destroy(link);
			return -ENOMEM;
		}
		l->links = more;
		l->cap_links = l->cap_links * 2 + 16;
	}
	l->links[l->n_links] = (struct attached){ .name = strdup(name), .hook = strdup(hook),
						  .link = link };
	if (!l->links[l->n_links].name || !l->links[l->n_links].hook) {
		free(l->links[l->n_links].name);
		free(l->links[l->n_links].hook);
		bpf_link__destroy(link);
		return -ENOMEM;
	}
	l->n_links++;
	return 0;
}

static void drop_last_link(struct loader *l)
{
	struct attached *a = &l->links[--l->n_links];

	bpf_link__destroy(a->link);
	free(a->name);
	free(a->hook);
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
	return keep_link(l, link, name, hook);
}

/* enum cgroup_subsys_id value of controller ("memory" -> memory_cgrp_id),
 * from the kernel's BTF (vmlinux, may be NULL): it depends on the kernel's
 * config. -1: unknown. */
static int cgroup_subsys_id(const struct btf *vmlinux, const char *controller)
{
	const struct btf_type *t;
	char want[64];
	int id = -1, type_id;

	if (!controller || !vmlinux)
		return -1;
	snprintf(want, sizeof(want), "%s_cgrp_id", controller);
	type_id = btf__find_by_name_kind(vmlinux, "cgroup_subsys_id", BTF_KIND_ENUM);
	t = type_id > 0 ? btf__type_by_id(vmlinux, type_id) : NULL;
	for (int i = 0; t && i < btf_vlen(t); i++) {
		const struct btf_enum *e = btf_enum(t) + i;

		if (!strcmp(btf__name_by_offset(vmlinux, e->name_off), want))
			id = e->val;
	}
	if (id < 0)
		log_warn("the kernel has no %s cgroup controller id: containers that exist only in "
			 "cgroup v1 are found from /proc, while the process lives", want);
	else
		log_info("exec records carry the cgroup v1 %s hierarchy's cgroup (subsystem %d)",
			 controller, id);
	return id;
}

static int load_exec(struct loader *l, const struct loader_opts *o, const struct btf *vmlinux)
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
	l->exec->rodata->mark_homes = o->watch_files && o->capture_env;
	l->exec->rodata->host_mntns = proc_file_mntns("/proc", getpid());
	l->exec->rodata->v1_subsys = cgroup_subsys_id(vmlinux, o->cgroup_v1_controller);
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
	err = err ?: attach(l, l->exec->progs.idt_cgroup_mkdir, "cgroup_mkdir",
			    "tp_btf/cgroup_mkdir");
	return err;
}

static const char *const files_hook_names[] = {
	[FILES_EVENTS] = "sys_exit_open* trace events",
	[FILES_RAW] = "raw sys_exit",
};

static bool kernel_has_kfunc(const struct btf *vmlinux, const char *name)
{
	return vmlinux && btf__find_by_name_kind(vmlinux, name, BTF_KIND_FUNC) > 0;
}

/* Does the kernel have tracepoint name (btf_trace_NAME: a pointer to a
 * prototype), with n arguments after its data pointer, the last a pointer? */
static bool tracepoint_has_form(const struct btf *vmlinux, const char *name, int n)
{
	char typedef_name[128];
	const struct btf_type *t = NULL;
	int id;

	snprintf(typedef_name, sizeof(typedef_name), "btf_trace_%s", name);
	id = btf__find_by_name_kind(vmlinux, typedef_name, BTF_KIND_TYPEDEF);
	if (id > 0)
		t = btf__type_by_id(vmlinux, btf__type_by_id(vmlinux, id)->type);
	if (t && btf_is_ptr(t))
		t = btf__type_by_id(vmlinux, t->type);
	if (!t || !btf_is_func_proto(t) || btf_vlen(t) != n + 1)
		return false;
	t = btf__type_by_id(vmlinux, btf_params(t)[n].type);
	return t && btf_is_ptr(t);
}

/* io_uring_submit_req(req) and io_uring_complete(ctx, req, cqe): the
 * tracepoints' forms since 6.0, the ones the io_uring open probes read
 * (before, the result was passed as a number). Absent from a kernel without
 * io_uring. */
static bool kernel_has_uring_tracepoints(const struct btf *vmlinux)
{
	return vmlinux && tracepoint_has_form(vmlinux, "io_uring_submit_req", 1) &&
	       tracepoint_has_form(vmlinux, "io_uring_complete", 3);
}

/* An environment switch set to "1". */
static bool env_on(const char *name)
{
	const char *v = getenv(name);

	return v && !strcmp(v, "1");
}

/* The syscalls whose exits the TLS probes watch, in the order of
 * load_tls_as's programs: ciphertext writes and reads (a session's socket),
 * and mmap (TLS libraries as they are loaded). */
static const struct {
	long nr;
	const char *probe, *event;
} tls_exits[] = {
	{ SYS_write, "tls_socket", "tp/syscalls/sys_exit_write" },
	{ SYS_sendto, "tls_socket", "tp/syscalls/sys_exit_sendto" },
	{ SYS_sendmsg, "tls_socket", "tp/syscalls/sys_exit_sendmsg" },
	{ SYS_writev, "tls_socket", "tp/syscalls/sys_exit_writev" },
	{ SYS_read, "tls_socket", "tp/syscalls/sys_exit_read" },
	{ SYS_recvfrom, "tls_socket", "tp/syscalls/sys_exit_recvfrom" },
	{ SYS_recvmsg, "tls_socket", "tp/syscalls/sys_exit_recvmsg" },
	{ SYS_readv, "tls_socket", "tp/syscalls/sys_exit_readv" },
	{ SYS_mmap, "tls_library_map", "tp/syscalls/sys_exit_mmap" },
};
#define TLS_EXITS (sizeof(tls_exits) / sizeof(tls_exits[0]))
#define TLS_EXIT_MMAP (TLS_EXITS - 1) /* the one the socket layer's events do not replace */

/* x86-64 kernels run ia32 syscalls too (int 0x80 works from any program),
 * and the syscall trace events skip them; the program for them is raw, on
 * every syscall of the host: opt-in (ia32_syscalls). */
#ifdef __x86_64__
#define IA32_SYSCALLS_ARCH true
#else
#define IA32_SYSCALLS_ARCH false
#endif

/* The credential-open probes share the exec object's ring buffer and
 * counters, so one consumer sees every record in order. */
static int load_files_as(struct loader *l, enum files_hook hook, bool cast, bool uring,
			 bool ia32, bool trace_tls)
{
	static const char *const event_hooks[5] = {
		"tp/syscalls/sys_exit_open",
		"tp/syscalls/sys_exit_openat",
		"tp/syscalls/sys_exit_openat2",
		"tp/syscalls/sys_exit_creat",
		"tp/syscalls/sys_exit_open_by_handle_at",
	};
	struct bpf_program *events[5], *events_compat[5], *raw;
	int err;

	l->files = files_bpf__open();
	if (!l->files)
		return -errno;
	l->files->rodata->self_tgid = getpid();
	/* asked of a raw tracepoint program: a tracing one cannot be probed
	 * without an attach target, and bpf_loop is every type's alike */
	l->files->rodata->have_loop = libbpf_probe_bpf_helper(BPF_PROG_TYPE_RAW_TRACEPOINT, BPF_FUNC_loop,
							      NULL) == 1;
	/* the host's opens leave the unscanned-container check at this */
	l->files->rodata->host_mntns = proc_file_mntns("/proc", getpid());
	l->files->rodata->nr_openat = SYS_openat;
	l->files->rodata->nr_openat2 = SYS_openat2;
	l->files->rodata->nr_open_by_handle_at = SYS_open_by_handle_at;
#ifdef SYS_open
	l->files->rodata->nr_open = SYS_open;
#endif
#ifdef SYS_creat
	l->files->rodata->nr_creat = SYS_creat;
#endif
	events[0] = l->files->progs.idt_exit_open;
	events[1] = l->files->progs.idt_exit_openat;
	events[2] = l->files->progs.idt_exit_openat2;
	events[3] = l->files->progs.idt_exit_creat;
	events[4] = l->files->progs.idt_exit_open_by_handle_at;
	events_compat[0] = l->files->progs.idt_exit_open_compat;
	events_compat[1] = l->files->progs.idt_exit_openat_compat;
	events_compat[2] = l->files->progs.idt_exit_openat2_compat;
	events_compat[3] = l->files->progs.idt_exit_creat_compat;
	events_compat[4] = l->files->progs.idt_exit_open_by_handle_at_compat;
	if (hook == FILES_RAW && trace_tls) {
		/* the TLS socket finder's syscalls, for its tail call (load_tls) */
		_Static_assert(sizeof(l->files->rodata->more_nr) == TLS_EXITS * sizeof(long),
			       "files.bpf.c's more_nr names each of tls_exits");
		for (size_t i = 0; i < TLS_EXITS; i++)
			l->files->rodata->more_nr[i] = tls_exits[i].nr;
	}
	for (int i = 0; i < 5; i++) {
		bpf_program__set_autoload(events[i], hook == FILES_EVENTS && cast);
		bpf_program__set_autoload(events_compat[i], hook == FILES_EVENTS && !cast);
	}
	bpf_program__set_autoload(l->files->progs.idt_sys_exit, hook == FILES_RAW && cast);
	bpf_program__set_autoload(l->files->progs.idt_sys_exit_compat, hook == FILES_RAW && !cast);
	bpf_program__set_autoload(l->files->progs.idt_uring_complete, uring && cast);
	bpf_program__set_autoload(l->files->progs.idt_uring_complete_compat, uring && !cast);
	bpf_program__set_autoload(l->files->progs.idt_uring_submit, uring);
	bpf_program__set_autoload(l->files->progs.idt_ia32_sys_exit,
				  ia32 && hook == FILES_EVENTS && cast);
	bpf_program__set_autoload(l->files->progs.idt_ia32_sys_exit_compat,
				  ia32 && hook == FILES_EVENTS && !cast);
	err = bpf_map__reuse_fd(l->files->maps.events, bpf_map__fd(l->exec->maps.events));
	err = err ?: bpf_map__reuse_fd(l->files->maps.counters, bpf_map__fd(l->exec->maps.counters));
	err = err ?: bpf_map__reuse_fd(l->files->maps.homes_known,
				       bpf_map__fd(l->exec->maps.homes_known));
	err = err ?: bpf_map__reuse_fd(l->files->maps.home_marks, bpf_map__fd(l->exec->maps.home_marks));
	err = err ?: bpf_map__reuse_fd(l->files->maps.home_marks_count,
				       bpf_map__fd(l->exec->maps.home_marks_count));
	err = err ?: files_bpf__load(l->files);
	if (err)
		return err;
	if (uring) {
		/* the submission first: a request's name is taken before its completion is looked for */
		err = attach(l, l->files->progs.idt_uring_submit, "open", "tp_btf/io_uring_submit_req");
		err = err ?: attach(l, cast ? l->files->progs.idt_uring_complete
					    : l->files->progs.idt_uring_complete_compat,
				    "open", "tp_btf/io_uring_complete");
	}
	if (hook == FILES_RAW) {
		raw = cast ? l->files->progs.idt_sys_exit : l->files->progs.idt_sys_exit_compat;
		return err ?: attach(l, raw, "open", "tp_btf/sys_exit");
	}
	for (int i = 0; i < 5 && !err; i++)
		err = attach(l, cast ? events[i] : events_compat[i], "open", event_hooks[i]);
	/* the ia32 syscalls, which the trace events skip (the raw program has them) */
	if (ia32 && !err)
		err = attach(l, cast ? l->files->progs.idt_ia32_sys_exit
				     : l->files->progs.idt_ia32_sys_exit_compat,
			     "open_ia32", "tp_btf/sys_exit");
	return err;
}

static int load_files(struct loader *l, const struct btf *vmlinux, bool ia32, bool trace_tls)
{
	/* IDTRACE_BPF_COMPAT=1: no kfuncs even where the kernel has them (a way
	 * out should one misbehave); IDTRACE_BPF_RAW=1: the raw sys_exit
	 * fallback even where the trace events exist. The tests use both to run
	 * the other variants. */
	const bool have_cast = !env_on("IDTRACE_BPF_COMPAT") &&
			       kernel_has_kfunc(vmlinux, "bpf_rdonly_cast");
	bool cast = have_cast;
	/* io_uring's opens, where the kernel has io_uring */
	bool uring = kernel_has_uring_tracepoints(vmlinux);
	enum files_hook hook = env_on("IDTRACE_BPF_RAW") ? FILES_RAW : FILES_EVENTS;
	int n_links = l->n_links, err;

	ia32 = ia32 && IA32_SYSCALLS_ARCH;
	if (!uring)
		log_warn("credential-open probes: no io_uring_submit_req and io_uring_complete "
			 "tracepoints of 6.0's form (a kernel without io_uring, or an older one): "
			 "opens made through io_uring are not seen");
	for (;;) {
		err = load_files_as(l, hook, cast, uring, ia32, trace_tls);
		if (!err) {
			log_info("credential-open probes: %s%s%s%s", files_hook_names[hook],
				 cast ? " with bpf_rdonly_cast" : "",
				 uring ? ", and io_uring opens" : "",
				 hook == FILES_EVENTS && ia32 ? ", and 32-bit syscalls (raw sys_exit)"
							      : "");
			l->files_hook = hook;
			return 0;
		}
		while (l->n_links > n_links)
			drop_last_link(l);
		files_bpf__destroy(l->files);
		l->files = NULL;
		if (uring) {
			log_warn("credential-open probes: the io_uring open probe did not load "
				 "(%s); opens made through io_uring are not seen", strerror(-err));
			uring = false;
			continue;
		}
		if (cast) {
			log_warn("credential-open probes: %s with bpf_rdonly_cast unavailable (%s); "
				 "trying without", files_hook_names[hook], strerror(-err));
			cast = false;
			continue;
		}
		if (hook == FILES_RAW)
			break;
		log_warn("credential-open probes: %s unavailable (%s); trying %s",
			 files_hook_names[hook], strerror(-err), files_hook_names[FILES_RAW]);
		hook = FILES_RAW;
		cast = have_cast;
	}
	log_err("cannot load the credential-open probes: %s (see the libbpf messages above)",
		strerror(-err));
	return err;
}

int loader_watch_maps(const struct loader *l, int *inodes, int *dirs, int *names, int *bloom,
		      int *mntns, int *homes_known)
{
	if (!l->files)
		return -ENOENT;
	*homes_known = bpf_map__fd(l->exec->maps.homes_known);
	*mntns = bpf_map__fd(l->files->maps.mntns_known);
	*bloom = bpf_map__fd(l->files->maps.watch_bloom);
	*inodes = bpf_map__fd(l->files->maps.watch_inodes);
	*dirs = bpf_map__fd(l->files->maps.watch_dirs);
	*names = bpf_map__fd(l->files->maps.watch_names);
	return 0;
}

/* How the TLS socket finder hooks the exits of the syscalls that write
 * (or read) ciphertext, and of mmap (TLS libraries being loaded). */
enum tls_hook {
	TLS_SOCKET,    /* the socket layer's send/receive trace events, and mmap's exit event */
	TLS_EVENTS,    /* the per-syscall exit trace events of those syscalls */
	TLS_TAIL_CALL, /* a tail call from the credential-open raw sys_exit program */
	TLS_RAW,       /* its own raw sys_exit program */
};

static const char *const tls_hook_names[] = {
	[TLS_SOCKET] = "sock_send_length/sock_recv_length and sys_exit_mmap trace events",
	[TLS_EVENTS] = "sys_exit_write/sendto/sendmsg/writev/read/recvfrom/recvmsg/readv/mmap "
		       "trace events",
	[TLS_TAIL_CALL] = "tail call from the raw sys_exit program",
	[TLS_RAW] = "raw sys_exit",
};

/* The TLS probes: uprobes attached per library later (loader_attach_tls),
 * and syscall-exit hooks that find a session's socket from its ciphertext
 * write and see TLS libraries mapped. */
static int load_tls_as(struct loader *l, enum tls_hook hook)
{
	struct bpf_program *events[TLS_EXITS], *raw, *send, *recv;
	int err, ncpu = libbpf_num_possible_cpus(), prog_fd;
	__u32 slot = 0;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	l->tls = tls_bpf__open();
	if (!l->tls)
		return -errno;
	l->tls->rodata->self_tgid = getpid();
	l->tls->rodata->nr_write = SYS_write;
	l->tls->rodata->nr_sendto = SYS_sendto;
	l->tls->rodata->nr_sendmsg = SYS_sendmsg;
	l->tls->rodata->nr_writev = SYS_writev;
	l->tls->rodata->nr_read = SYS_read;
	l->tls->rodata->nr_recvfrom = SYS_recvfrom;
	l->tls->rodata->nr_recvmsg = SYS_recvmsg;
	l->tls->rodata->nr_readv = SYS_readv;
	l->tls->rodata->nr_mmap = SYS_mmap;
	events[0] = l->tls->progs.idt_tls_exit_write;
	events[1] = l->tls->progs.idt_tls_exit_sendto;
	events[2] = l->tls->progs.idt_tls_exit_sendmsg;
	events[3] = l->tls->progs.idt_tls_exit_writev;
	events[4] = l->tls->progs.idt_tls_exit_read;
	events[5] = l->tls->progs.idt_tls_exit_recvfrom;
	events[6] = l->tls->progs.idt_tls_exit_recvmsg;
	events[7] = l->tls->progs.idt_tls_exit_readv;
	events[8] = l->tls->progs.idt_tls_exit_mmap;
	raw = l->tls->progs.idt_tls_sys_exit;
	send = l->tls->progs.idt_tls_sock_send;
	recv = l->tls->progs.idt_tls_sock_recv;
	for (size_t i = 0; i < TLS_EXITS; i++)
		bpf_program__set_autoload(events[i], hook == TLS_EVENTS ||
							     (hook == TLS_SOCKET && i == TLS_EXIT_MMAP));
	bpf_program__set_autoload(send, hook == TLS_SOCKET);
	bpf_program__set_autoload(recv, hook == TLS_SOCKET);
	bpf_program__set_autoload(raw, hook == TLS_TAIL_CALL || hook == TLS_RAW);
	bpf_map__set_max_entries(l->tls->maps.tls_scratch, ncpu);
	err = bpf_map__reuse_fd(l->tls->maps.events, bpf_map__fd(l->exec->maps.events));
	err = err ?: bpf_map__reuse_fd(l->tls->maps.counters, bpf_map__fd(l->exec->maps.counters));
	err = err ?: tls_bpf__load(l->tls);
	if (err)
		return err;
	switch (hook) {
	case TLS_SOCKET:
		err = attach(l, send, "tls_socket", "tp_btf/sock_send_length");
		err = err ?: attach(l, recv, "tls_socket", "tp_btf/sock_recv_length");
		return err ?: attach(l, events[TLS_EXIT_MMAP], tls_exits[TLS_EXIT_MMAP].probe,
				     tls_exits[TLS_EXIT_MMAP].event);
	case TLS_EVENTS:
		for (size_t i = 0; i < TLS_EXITS && !err; i++)
			err = attach(l, events[i], tls_exits[i].probe, tls_exits[i].event);
		return err;
	case TLS_TAIL_CALL:
		prog_fd = bpf_program__fd(raw);
		if (bpf_map_update_elem(bpf_map__fd(l->files->maps.sys_exit_more), &slot, &prog_fd,
					BPF_ANY))
			return -errno;
		/* no link of its own: it runs, and is listed, on the open probe's hook;
		 * the same program sees the mmaps that load TLS libraries */
		err = keep_link(l, NULL, "tls_socket", "tp_btf/sys_exit");
		return err ?: keep_link(l, NULL, "tls_library_map", "tp_btf/sys_exit");
	case TLS_RAW:
		err = attach(l, raw, "tls_socket", "tp_btf/sys_exit");
		return err ?: keep_link(l, NULL, "tls_library_map", "tp_btf/sys_exit");
	}
	return -EINVAL;
}

static int load_tls(struct loader *l)
{
	/* with the credential-open probes on the raw sys_exit, the tail call
	 * keeps one sys_exit program on the host */
	enum tls_hook hook = l->files && l->files_hook == FILES_RAW ? TLS_TAIL_CALL
				: env_on("IDTRACE_BPF_RAW")		 ? TLS_RAW
				: env_on("IDTRACE_BPF_SYSCALL_EVENTS")	 ? TLS_EVENTS
									 : TLS_SOCKET;
	enum tls_hook next;
	int n_links = l->n_links, err;

	for (;;) {
		err = load_tls_as(l, hook);
		if (!err) {
			log_info("TLS socket finder: %s", tls_hook_names[hook]);
			break;
		}
		while (l->n_links > n_links)
			drop_last_link(l);
		tls_bpf__destroy(l->tls);
		l->tls = NULL;
		if (hook == TLS_RAW) {
			log_err("cannot load the TLS probes: %s (see the libbpf messages above)",
				strerror(-err));
			return err;
		}
		/* the socket layer's events are 6.3+; the syscall events need
		 * CONFIG_FTRACE_SYSCALLS */
		next = hook == TLS_SOCKET ? TLS_EVENTS : TLS_RAW;
		log_warn("TLS socket finder: %s unavailable (%s); trying %s", tls_hook_names[hook],
			 strerror(-err), tls_hook_names[next]);
		hook = next;
	}
	l->tls_libs = json_array();
	return l->tls_libs ? 0 : -ENOMEM;
}

int loader_attach_tls(struct loader *l, const char *path, const char *display, int kind,
		      const unsigned long *go_off, json_t **functions)
{
	/* keep: the argument registers the entry program reads (uprobe_site.h) */
	struct probe {
		const char *func;
		struct bpf_program *entry, *ret;
		uint32_t keep;
	};
	const uint32_t a1 = UPROBE_ARG1, a12 = a1 | UPROBE_ARG2, a123 = a12 | UPROBE_ARG3,
		       a1234 = a123 | UPROBE_ARG4;
	const struct probe openssl[] = {
		{ "SSL_write", l->tls->progs.idt_ssl_write, NULL, a123 },
		{ "SSL_write_ex", l->tls->progs.idt_ssl_write_ex, NULL, a123 },
		/* a read finds the socket of a session whose handshake it did not see */
		{ "SSL_read", l->tls->progs.idt_ssl_read, NULL, a1 },
		{ "SSL_read_ex", l->tls->progs.idt_ssl_read, NULL, a1 },
		{ "SSL_connect", l->tls->progs.idt_ssl_handshake, NULL, a1 },
		{ "SSL_do_handshake", l->tls->progs.idt_ssl_handshake, NULL, a1 },
		/* Node.js starts its client sessions here, then pumps the handshake
		 * through SSL_read/SSL_write on a memory BIO */
		{ "SSL_set_connect_state", l->tls->progs.idt_ssl_handshake, NULL, a1 },
		{ "SSL_ctrl", l->tls->progs.idt_ssl_ctrl, NULL, a1234 },
		{ "SSL_accept", l->tls->progs.idt_ssl_server, NULL, a1 },
		{ "SSL_set_accept_state", l->tls->progs.idt_ssl_server, NULL, a1 },
		{ "SSL_free", l->tls->progs.idt_ssl_free, NULL, a1 },
	};
	const struct probe gnutls[] = {
		{ "gnutls_record_send", l->tls->progs.idt_gnutls_send, NULL, a123 },
		{ "gnutls_record_recv", l->tls->progs.idt_gnutls_recv, NULL, a1 },
		{ "gnutls_handshake", l->tls->progs.idt_gnutls_handshake, NULL, a1 },
		{ "gnutls_server_name_set", l->tls->progs.idt_gnutls_sni, NULL, a1234 },
		/* a return probe's entry half must stay on the first instruction */
		{ "gnutls_init", l->tls->progs.idt_gnutls_init, l->tls->progs.idt_gnutls_init_ret,
		  a12 },
		{ "gnutls_deinit", l->tls->progs.idt_gnutls_deinit, NULL, a1 },
	};
	/* Go's functions are found in the runtime's table (tls_libs) and
	 * attached at file offsets, in go_off's order: a stripped Go program
	 * has no symbols to name, and the site decoder does not know Go's ABI */
	const struct probe go[] = {
		{ "crypto/tls.(*Conn).Write", l->tls->progs.idt_go_write, NULL, 0 },
		{ "crypto/tls.(*Conn).Close", l->tls->progs.idt_go_close, NULL, 0 },
		{ "crypto/tls.(*Conn).serverHandshake", l->tls->progs.idt_go_server, NULL, 0 },
		{ "crypto/tls.(*Conn).clientHandshake", l->tls->progs.idt_go_handshake, NULL, 0 },
		{ "crypto/tls.hostnameInSNI", l->tls->progs.idt_go_sni, NULL, 0 },
	};
	const struct {
		const struct probe *probes;
		size_t n;
		const char *name;
	} kinds[] = {
		[LOADER_TLS_OPENSSL] = { openssl, sizeof(openssl) / sizeof(openssl[0]), "openssl" },
		[LOADER_TLS_GNUTLS] = { gnutls, sizeof(gnutls) / sizeof(gnutls[0]), "gnutls" },
		[LOADER_TLS_GO] = { go, sizeof(go) / sizeof(go[0]), "go" },
	};
	const struct probe *probes;
	size_t n;
	json_t *funcs = json_array();
	int attached = 0, err = 0;
	char hook[PATH_MAX + 64];

	if (!l->tls || !funcs || kind < LOADER_TLS_OPENSSL || kind > LOADER_TLS_GO) {
		json_decref(funcs);
		return !l->tls ? -ENOENT : funcs ? -EINVAL : -ENOMEM;
	}
	probes = kinds[kind].probes;
	n = kinds[kind].n;
	for (size_t i = 0; i < n; i++) {
		bool by_offset = kind == LOADER_TLS_GO;
		size_t site = by_offset		? (go_off ? go_off[i] : 0)
			      : probes[i].ret ? 0
					      : uprobe_site(path, probes[i].func, probes[i].keep);

		if (by_offset && !site)
			continue; /* not in this program */
		for (int r = 0; r < 2; r++) {
			LIBBPF_OPTS(bpf_uprobe_opts, uo, .func_name = by_offset ? NULL : probes[i].func,
				    .retprobe = r);
			struct bpf_program *prog = r ? probes[i].ret : probes[i].entry;
			struct bpf_link *link;

			if (!prog)
				continue;
			/* with func_name, the offset is from the function's start; without,
			 * from the file's */
			link = bpf_program__attach_uprobe_opts(prog, -1, path, r ? 0 : site, &uo);
			if (!link) {
				err = -errno;
				log_debug("TLS: %s in %s: %s", probes[i].func, display, strerror(-err));
				break;
			}
			if (by_offset)
				snprintf(hook, sizeof(hook), "uprobe:%s:%s@file_offset:%#zx", display,
					 probes[i].func, site);
			else if (r || !site)
				snprintf(hook, sizeof(hook), "%s:%s:%s", r ? "uretprobe" : "uprobe",
					 display, probes[i].func);
			else
				snprintf(hook, sizeof(hook), "uprobe:%s:%s+%#zx", display,
					 probes[i].func, site);
			err = keep_link(l, link, "tls", hook);
			if (err)
				break;
			if (!r)
				json_array_append_new(funcs, json_string(probes[i].func));
		}
		attached += !err;
		err = 0;
	}
	if (!attached) {
		json_decref(funcs);
		log_warn("TLS: no probe could be attached to %s", display);
		return -ENOENT;
	}
	json_array_append_new(l->tls_libs,
			      json_pack("{s:s, s:s, s:O}", "path", display, "library",
					kinds[kind].name, "functions", funcs));
	if (functions)
		*functions = funcs;
	else
		json_decref(funcs);
	return 0;
}

json_t *loader_tls_libs_json(const struct loader *l)
{
	return l->tls_libs ? json_deep_copy(l->tls_libs) : json_array();
}

struct loader *loader_start(const struct loader_opts *o)
{
	struct btf *vmlinux;
	struct loader *l;
	int err;

	libbpf_set_print(libbpf_log);
	err = loader_check_privileges();
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
	/* the kernel's BTF, for the checks of what it offers (the programs'
	 * CO-RE relocations are libbpf's own) */
	vmlinux = btf__load_vmlinux_btf();
	if (!vmlinux)
		log_warn("cannot read the kernel's BTF (%s): the optional probe features are "
			 "left off", strerror(errno));
	err = load_exec(l, o, vmlinux);
	if (!err && o->watch_files)
		err = load_files(l, vmlinux, o->ia32_syscalls, o->trace_tls);
	btf__free(vmlinux);
	if (!err && o->trace_tls)
		err = load_tls(l);
	if (err) {
		loader_stop(l);
		errno = -err;
		return NULL;
	}
	return l;
}

/* Detaching a uprobe waits for an RCU tasks-trace grace period (about
 * 0.1 s here), one link after another: 40 links made a stop take 4 s.
 * Threads that detach at once can share their grace periods; on the 6.18
 * kernel measured last, the kernel serializes them anyway (about 95 ms a
 * uprobe with 1 thread or 8: 131 probes took 12 s). One uprobe_multi
 * link per library (6.6+, libbpf 1.3+; one program that tells the
 * functions apart by their attach cookies) would pay one per library. */
#define DETACH_THREADS 8

struct detach_slice {
	struct attached *links;
	size_t n;
};

static void *detach_slice(void *arg)
{
	struct detach_slice *s = arg;

	for (size_t i = 0; i < s->n; i++) {
		bpf_link__destroy(s->links[i].link);
		free(s->links[i].name);
		free(s->links[i].hook);
	}
	return NULL;
}

static void detach_all(struct loader *l)
{
	struct detach_slice slices[DETACH_THREADS];
	pthread_t threads[DETACH_THREADS];
	bool started[DETACH_THREADS] = { false };
	size_t n = l->n_links > 0 ? (size_t)l->n_links : 0;
	size_t per = (n + DETACH_THREADS - 1) / DETACH_THREADS, at = 0;

	if (n)
		log_info("detaching %zu probes", n);

	for (int i = 0; i < DETACH_THREADS; i++) {
		slices[i].links = l->links + at;
		slices[i].n = n - at < per ? n - at : per;
		at += slices[i].n;
		if (slices[i].n)
			started[i] = !pthread_create(&threads[i], NULL, detach_slice, &slices[i]);
		if (slices[i].n && !started[i])
			detach_slice(&slices[i]); /* no thread: here, in turn */
	}
	for (int i = 0; i < DETACH_THREADS; i++)
		if (started[i])
			pthread_join(threads[i], NULL);
	l->n_links = 0;
}

void loader_stop(struct loader *l)
{
	if (!l)
		return;
	detach_all(l);
	free(l->links);
	json_decref(l->tls_libs);
	tls_bpf__destroy(l->tls);
	files_bpf__destroy(l->files);
	exec_bpf__destroy(l->exec);
	free(l);
}

void loader_tls_lib_forget(struct loader *l, uint32_t dev, uint64_t ino)
{
	struct idt_file_key key = { .dev = dev, .ino = ino };

	if (l->tls)
		bpf_map_delete_elem(bpf_map__fd(l->tls->maps.tls_lib_files), &key);
}

void loader_tls_session_is_server(struct loader *l, uint32_t tgid, uint64_t session)
{
	struct idt_tls_session_key key = { .tgid = tgid, .session = session };
	int32_t server = IDT_TLS_SESSION_SERVER;

	if (!l->tls)
		return;
	bpf_map_update_elem(bpf_map__fd(l->tls->maps.tls_sessions), &key, &server, BPF_ANY);
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
		if (strcmp(l->links[i].name, "tls")) /* per library: loader_tls_libs_json */
			json_array_append_new(arr, json_pack("{s:s, s:s}", "name", l->links[i].name, "hook",
						     l->links[i].hook));
	return arr;
}
