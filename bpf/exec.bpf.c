// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Process lifecycle probes: exec, fork and exit, on BTF tracepoints.
 *
 * The exec record carries what the daemon needs to attribute a process that
 * may be gone before userspace looks at it: credentials, loginuid, cgroup,
 * the path given to execve, argv and the initial environment (for CI
 * context). All of it is read here, at exec, from the new image.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "idtrace_wire.h"
#include "common.bpf.h"
#include "home_marks.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set by the loader before load. */
const volatile __u32 idt_wire_version = IDT_WIRE_VERSION;
/* enum cgroup_subsys_id of a controller mounted as a cgroup v1 hierarchy
 * (hybrid hosts), -1: none. Containers there may exist only in v1. */
const volatile int v1_subsys = -1;
const volatile __u32 capture_env = 1;
/* Mark processes whose HOME the daemon does not watch yet (the credential
 * open probes are loaded): home_marks.bpf.h. */
const volatile __u32 mark_homes = 0;
/* The daemon's mount namespace (inode number): only its processes are
 * marked; a container's first opens are name-checked anyway, and its HOMEs
 * are its own (the daemon watches them in its file system). */
const volatile __u32 host_mntns = 0;

struct exec_scratch {
	struct idt_exec ev;
	char tail[IDT_EXEC_TAIL_MAX];
	char slack[16]; /* the HOME scan's last 8-byte loads may reach past the tail */
};

/* One scratch record per CPU. Too large for a per-CPU array value (32 KiB
 * limit), so a plain array indexed by CPU; the loader sizes it. Tracepoint
 * programs run with migration disabled, so the slot stays ours. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1); /* resized to the number of possible CPUs */
	__type(key, __u32);
	__type(value, struct exec_scratch);
} exec_scratch SEC(".maps");

/* Programs exec'd before (by file, with the file's change time: a program
 * written where a deleted one was gets its inode number, and is new). The
 * first exec of a file the host has not run yet wakes the daemon at once,
 * while the process is still young: a program that carries its TLS inside
 * (Go, Node.js) is then attached before its first call, and its file is
 * found by /proc/PID/exe. Later execs of the same file wait for the batch,
 * as other records do. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, struct idt_file_key);
	__type(value, __u64);
} exe_files SEC(".maps");

static __always_inline __u64 exec_rb_flags(__u32 dev, __u64 ino, __u64 ctime)
{
	struct idt_file_key key = { .dev = dev, .ino = ino };
	__u64 *known = bpf_map_lookup_elem(&exe_files, &key);

	if (known && *known == ctime)
		return rb_flags();
	bpf_map_update_elem(&exe_files, &key, &ctime, BPF_ANY);
	return BPF_RB_FORCE_WAKEUP;
}

static __always_inline void fill_hdr(struct idt_hdr *h, __u32 type, struct task_struct *task)
{
	h->type = type;
	h->version = IDT_WIRE_VERSION;
	h->ts_ns = bpf_ktime_get_boot_ns();
	h->pid = BPF_CORE_READ(task, tgid);
	h->tid = BPF_CORE_READ(task, pid);
}

/* Read a user range [start, end) of the new image into dst, at most max
 * bytes. Returns the bytes copied; sets *trunc / *fault. */
static __always_inline __u32 read_user_range(char *dst, __u64 start, __u64 end, __u32 max,
					     bool *trunc, bool *fault)
{
	__u64 n;

	if (end <= start)
		return 0;
	n = end - start;
	if (n > max) {
		n = max;
		*trunc = true;
	}
	if (bpf_probe_read_user(dst, n, (const void *)start)) {
		*fault = true;
		return 0;
	}
	return n;
}

/* Finding HOME= in the environment copy, in bpf_loop callbacks over the
 * scratch record: in each 8-byte word that holds a NUL, at each byte one
 * 8-byte load compared with "\0HOME=" (the NUL ends the entry before; the
 * first entry follows argv's last NUL); then the value's hash, a byte at a
 * time. Offsets are from env, one byte before the environment, and masked
 * where used: the verifier then needs no other bound on them. */
struct home_scan {
	const char *env; /* s->tail + (environment's offset - 1) */
	__u64 len;	 /* the environment's bytes: env[1, len] */
	__u64 value;	 /* HOME's value starts at env[value]; 0: not found */
	__u64 hash;
};

#define HOME_PAT 0x3d454d4f4800ull  /* '\0' 'H' 'O' 'M' 'E' '=' little-endian */
#define HOME_PAT_MASK 0xffffffffffffull

#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

/* One 8-byte word per callback run: unrolling several in one run makes
 * the verifier's work grow steeply (8 words took 3 s to load, against
 * 0.05 s for one), for a small saving at run time. */
static long find_home_word(__u64 i, struct home_scan *c)
{
	__u64 j = i * 8, w0;

	if (j >= c->len)
		return 1;
	VERIFIER_MASK(j, 0x7fff); /* IDT_ENV_MAX - 1 */
	w0 = *(const __u64 *)(c->env + j);
	if (!((w0 - ONES) & ~w0 & HIGHS))
		return 0; /* no NUL among these 8 bytes: no entry starts after them */
	for (int b = 0; b < 8; b++) {
		__u64 w = *(const __u64 *)(c->env + j + b);

		/* (its '=' inside the environment: past it lies an older record's) */
		if ((w & HOME_PAT_MASK) == HOME_PAT && j + b + 5 <= c->len) {
			__u64 at = j + b + 6;

			/* stored through a helper: a value the verifier knows
			 * exactly would make each of its passes over this
			 * callback a new state, and it would never converge */
			bpf_probe_read_kernel(&c->value, sizeof(c->value), &at);
			return 1;
		}
	}
	return 0;
}

static long hash_home_byte(__u64 i, struct home_scan *c)
{
	__u64 at = c->value + i;
	char ch;

	if (at > c->len)
		return 1;
	VERIFIER_MASK(at, 0x7fff);
	ch = c->env[at];
	if (!ch)
		return 1;
	c->hash = idt_home_hash_step(c->hash, (__u8)ch);
	return 0;
}

/* The exec'ing process's HOME (in the environment copied to s->tail at
 * [off, off + len)): marked when the daemon does not know it, unmarked
 * otherwise (its earlier image may have been). */
static __always_inline bool mark_home(struct exec_scratch *s, __u32 tgid, __u64 off, __u64 len)
{
	struct home_scan c = { .len = len };

	if (off < 1 || off > IDT_EXE_MAX + IDT_ARGS_MAX || len > IDT_ENV_MAX) {
		home_mark_clear(tgid);
		return false;
	}
	c.env = s->tail + off - 1;
	if (len)
		bpf_loop(IDT_ENV_MAX / 8, find_home_word, &c, 0);
	if (!c.value) {
		home_mark_clear(tgid);
		return false;
	}
	c.hash = IDT_HOME_HASH_INIT;
	bpf_loop(IDT_HOME_HASH_MAX, hash_home_byte, &c, 0);
	if (bpf_map_lookup_elem(&homes_known, &c.hash)) {
		home_mark_clear(tgid);
		return false;
	}
	home_mark_set(tgid, c.hash);
	return true;
}

#define V1_SUBSYS_MAX 32 /* above CGROUP_SUBSYS_COUNT of any config */

/* The kernfs id of task's cgroup in the v1 hierarchy of controller
 * v1_subsys: task->cgroups->subsys[v1_subsys]->cgroup->kn->id. */
static __always_inline __u64 cgroup_v1_id(struct task_struct *task)
{
	struct cgroup_subsys_state *css = NULL;
	struct css_set *cset;
	int i = v1_subsys;

	if (i < 0 || i >= V1_SUBSYS_MAX)
		return 0;
	cset = BPF_CORE_READ(task, cgroups);
	if (!cset || bpf_probe_read_kernel(&css, sizeof(css),
					   (void *)cset + bpf_core_field_offset(struct css_set, subsys) +
						   i * sizeof(css)))
		return 0;
	return css ? BPF_CORE_READ(css, cgroup, kn, id) : 0;
}

/* The namespaces other than the mount one that tell a sandbox (unshare,
 * bwrap, a runtime that makes no cgroup): the task's own pid namespace (the
 * innermost level of its struct pid: nsproxy's pid_ns_for_children is its
 * children's), its network namespace and its credentials' user namespace.
 * Inode numbers, as /proc/PID/ns/ shows them; 0 when unreadable. */
static __always_inline void read_other_ns(struct task_struct *task, struct idt_exec *ev)
{
	struct pid_namespace *pidns = NULL;
	struct pid *pid = BPF_CORE_READ(task, thread_pid);
	unsigned int level = BPF_CORE_READ(pid, level);

	if (pid && !bpf_probe_read_kernel(&pidns, sizeof(pidns),
					  (void *)pid + bpf_core_field_offset(struct pid, numbers) +
						  level * bpf_core_type_size(struct upid) +
						  bpf_core_field_offset(struct upid, ns)))
		ev->pidns = pidns ? BPF_CORE_READ(pidns, ns.inum) : 0;
	else
		ev->pidns = 0;
	ev->netns = BPF_CORE_READ(task, nsproxy, net_ns, ns.inum);
	ev->userns = BPF_CORE_READ(task, cred, user_ns, ns.inum);
	ev->_pad_ns = 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(idt_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	struct exec_scratch *s;
	struct idt_exec *ev;
	struct mm_struct *mm;
	__u32 cpu = bpf_get_smp_processor_id();
	__u32 exe_len, args_len, env_len = 0, size;
	bool trunc = false, fault = false;
	long n;

	s = bpf_map_lookup_elem(&exec_scratch, &cpu);
	if (!s)
		return 0;
	ev = &s->ev;
	fill_hdr(&ev->hdr, IDT_EV_EXEC, task);
	ev->old_tid = old_pid;
	ev->ppid = BPF_CORE_READ(task, real_parent, tgid);
	ev->uid = BPF_CORE_READ(task, cred, uid.val);
	ev->euid = BPF_CORE_READ(task, cred, euid.val);
	ev->gid = BPF_CORE_READ(task, cred, gid.val);
	ev->egid = BPF_CORE_READ(task, cred, egid.val);
	read_audit_ids(task, &ev->loginuid, &ev->sessionid);
	ev->cgroup_id = bpf_get_current_cgroup_id();
	ev->cgroup_v1_id = cgroup_v1_id(task);
	ev->start_ns = BPF_CORE_READ(task, start_boottime);
	ev->parent_start_ns = BPF_CORE_READ(task, real_parent, group_leader, start_boottime);
	ev->exe_ino = BPF_CORE_READ(bprm, file, f_inode, i_ino);
	ev->exe_dev = BPF_CORE_READ(bprm, file, f_inode, i_sb, s_dev);
	ev->exe_ctime_ns = inode_ctime_ns(BPF_CORE_READ(bprm, file, f_inode));
	ev->argc = BPF_CORE_READ(bprm, argc);
	ev->flags = 0;
	{
		struct mnt_namespace *ns = task->nsproxy->mnt_ns;

		ev->mntns = ns ? ns->ns.inum : 0;
		ev->mntns_id = ns ? mntns_id(ns) : 0;
	}
	read_other_ns(task, ev);

	n = bpf_probe_read_kernel_str(s->tail, IDT_EXE_MAX, BPF_CORE_READ(bprm, filename));
	exe_len = n > 0 ? n - 1 : 0; /* without the NUL */
	if (exe_len >= IDT_EXE_MAX - 1)
		ev->flags |= IDT_EXEC_EXE_TRUNC;
	exe_len &= IDT_EXE_MAX - 1;
	ev->exe.off = 0;
	ev->exe.len = exe_len;

	mm = BPF_CORE_READ(task, mm);
	args_len = read_user_range(&s->tail[exe_len], BPF_CORE_READ(mm, arg_start),
				   BPF_CORE_READ(mm, arg_end), IDT_ARGS_MAX, &trunc, &fault);
	if (trunc)
		ev->flags |= IDT_EXEC_ARGS_TRUNC;
	if (fault)
		ev->flags |= IDT_EXEC_ARGS_FAULT;
	if (args_len > IDT_ARGS_MAX)
		args_len = IDT_ARGS_MAX;
	ev->args.off = exe_len;
	ev->args.len = args_len;

	if (capture_env) {
		__u32 off = exe_len + args_len;

		trunc = fault = false;
		if (off > IDT_EXE_MAX + IDT_ARGS_MAX)
			return 0; /* cannot happen; keeps the verifier's bounds */
		env_len = read_user_range(&s->tail[off], BPF_CORE_READ(mm, env_start),
					  BPF_CORE_READ(mm, env_end), IDT_ENV_MAX, &trunc, &fault);
		if (trunc)
			ev->flags |= IDT_EXEC_ENV_TRUNC;
		if (fault)
			ev->flags |= IDT_EXEC_ENV_FAULT;
		if (env_len > IDT_ENV_MAX)
			env_len = IDT_ENV_MAX;
	}
	ev->env.off = exe_len + args_len;
	ev->env.len = env_len;
	if (mark_homes && capture_env && ev->mntns == host_mntns) {
		if (mark_home(s, ev->hdr.pid, ev->env.off, env_len))
			ev->flags |= IDT_EXEC_HOME_UNKNOWN;
	} else if (mark_homes) {
		home_mark_clear(ev->hdr.pid);
	}

	size = sizeof(*ev) + exe_len + args_len + env_len;
	if (size > sizeof(*s))
		return 0;
	count(IDT_CNT_EXEC);
	if (bpf_ringbuf_output(&events, s, size, exec_rb_flags(ev->exe_dev, ev->exe_ino, ev->exe_ctime_ns)))
		count(IDT_CNT_LOST_EXEC);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(idt_fork, struct task_struct *parent, struct task_struct *child)
{
	struct idt_fork *ev;

	/* Threads share their process's identity: only new processes count. */
	if (BPF_CORE_READ(child, pid) != BPF_CORE_READ(child, tgid))
		return 0;
	count(IDT_CNT_FORK);
	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev) {
		count(IDT_CNT_LOST_FORK);
		return 0;
	}
	fill_hdr(&ev->hdr, IDT_EV_FORK, child);
	ev->ppid = BPF_CORE_READ(child, real_parent, tgid);
	ev->uid = BPF_CORE_READ(child, cred, uid.val);
	ev->start_ns = BPF_CORE_READ(child, start_boottime);
	ev->creator = BPF_CORE_READ(parent, tgid);
	ev->_pad = 0;
	ev->creator_start_ns = BPF_CORE_READ(parent, group_leader, start_boottime);
	bpf_ringbuf_submit(ev, rb_flags());
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(idt_exit, struct task_struct *task)
{
	struct idt_exit *ev;

	/* Report the process, not each thread: only when the last thread of
	 * the group exits (signal->live already dropped to 0 at this point). */
	if (BPF_CORE_READ(task, signal, live.counter) != 0)
		return 0;
	home_mark_clear(BPF_CORE_READ(task, tgid));
	count(IDT_CNT_EXIT);
	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev) {
		count(IDT_CNT_LOST_EXIT);
		return 0;
	}
	fill_hdr(&ev->hdr, IDT_EV_EXIT, task);
	ev->exit_code = BPF_CORE_READ(task, exit_code);
	ev->_pad = 0;
	ev->start_ns = BPF_CORE_READ(task, group_leader, start_boottime);
	bpf_ringbuf_submit(ev, rb_flags());
	return 0;
}

/* A cgroup is made before any process joins it: its path is kept by the
 * daemon, so a short-lived container whose cgroup is removed before the
 * daemon looks is still placed. Only cgroup2 (hierarchy 0) and the v1
 * hierarchy of controller v1_subsys. */
SEC("tp_btf/cgroup_mkdir")
int BPF_PROG(idt_cgroup_mkdir, struct cgroup *cgrp, const char *path)
{
	int hierarchy = BPF_CORE_READ(cgrp, root, hierarchy_id);
	struct idt_cgroup *ev;
	long n;

	if (hierarchy && (v1_subsys < 0 || v1_subsys >= 32 ||
			  !(BPF_CORE_READ(cgrp, root, subsys_mask) & (1u << v1_subsys))))
		return 0;
	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev)
		return 0; /* the id is still resolved while the cgroup exists */
	fill_hdr(&ev->hdr, IDT_EV_CGROUP, bpf_get_current_task_btf());
	ev->id = BPF_CORE_READ(cgrp, kn, id);
	ev->v1 = hierarchy != 0;
	n = bpf_probe_read_kernel_str(ev->path, sizeof(ev->path), path);
	if (n <= 1) {
		bpf_ringbuf_discard(ev, 0);
		return 0;
	}
	ev->len = n - 1;
	bpf_ringbuf_submit(ev, rb_flags());
	return 0;
}
