/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What every probe family shares: the ring buffer, the counters, and the
 * kernel-version shims. Each family is its own object; the loader makes them
 * share one "events" ring buffer and one "counters" array by reusing the
 * first object's map fds.
 */
#ifndef IDTRACE_COMMON_BPF_H
#define IDTRACE_COMMON_BPF_H

#include "idtrace_wire.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20); /* resized by the loader */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, IDT_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* Mask v (a 64-bit variable) with the literal m where the verifier sees it:
 * a C-level mask may be folded or moved by the compiler. */
#define VERIFIER_MASK(v, m) asm volatile("%[x] &= " #m : [x] "+r"(v))

/* Wake the consumer only once a batch has built up: a wakeup per record
 * costs the traced task an irq_work and the daemon a context switch. The
 * daemon also polls on a short timeout, so a lone record waits at most
 * that long. */
const volatile __u64 wakeup_bytes = 256 * 1024;

static __always_inline __u64 rb_flags(void)
{
	return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes ? BPF_RB_FORCE_WAKEUP
									      : BPF_RB_NO_WAKEUP;
}

static __always_inline void count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &idx);

	if (v)
		*v += 1;
}

/* An inode's change time in ns, whichever layout the kernel has: 6.11+
 * keeps seconds and nanoseconds apart, 6.6 to 6.10 call it __i_ctime,
 * older kernels i_ctime. */
struct inode___ctime_split {
	time64_t i_ctime_sec;
	u32 i_ctime_nsec;
} __attribute__((preserve_access_index));

struct inode___ctime_606 {
	struct timespec64 __i_ctime;
} __attribute__((preserve_access_index));

struct inode___ctime_old {
	struct timespec64 i_ctime;
} __attribute__((preserve_access_index));

static __always_inline __u64 inode_ctime_ns(struct inode *inode)
{
	__s64 sec;
	__s64 nsec;

	if (bpf_core_field_exists(struct inode___ctime_split, i_ctime_sec)) {
		struct inode___ctime_split *i = (void *)inode;

		sec = BPF_CORE_READ(i, i_ctime_sec);
		nsec = BPF_CORE_READ(i, i_ctime_nsec);
	} else if (bpf_core_field_exists(struct inode___ctime_606, __i_ctime)) {
		struct inode___ctime_606 *i = (void *)inode;

		sec = BPF_CORE_READ(i, __i_ctime.tv_sec);
		nsec = BPF_CORE_READ(i, __i_ctime.tv_nsec);
	} else {
		struct inode___ctime_old *i = (void *)inode;

		sec = BPF_CORE_READ(i, i_ctime.tv_sec);
		nsec = BPF_CORE_READ(i, i_ctime.tv_nsec);
	}
	/* 6.13+ keeps a flag in the top bit of i_ctime_nsec (I_CTIME_QUERIED,
	 * multigrain timestamps), which stat(2) masks off */
	return (__u64)sec * 1000000000ull + (__u64)(nsec & 0x7fffffff);
}

/* loginuid and sessionid exist only with CONFIG_AUDIT (kernel/auditsc.c);
 * without it there is no audit identity: report "unset". */
static __always_inline void read_audit_ids(struct task_struct *task, __u32 *loginuid,
					   __u32 *sessionid)
{
	*loginuid = (__u32)-1;
	*sessionid = (__u32)-1;
	if (bpf_core_field_exists(task->loginuid)) {
		*loginuid = BPF_CORE_READ(task, loginuid.val);
		*sessionid = BPF_CORE_READ(task, sessionid);
	}
}

/* The file at fd in task's table, or NULL. task is a trusted BTF pointer
 * (bpf_get_current_task_btf): the table is reached with plain loads; the
 * slot, at a variable index, only a helper may read. */
static __always_inline struct file *task_fd_file(struct task_struct *task, long fd)
{
	struct fdtable *fdt = task->files->fdt;
	struct file **fds = fdt->fd;
	struct file *f = NULL;

	if (fd < 0 || fd >= fdt->max_fds)
		return NULL;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	return f;
}

/* A mount namespace's id, unique for the boot (its inode number is given
 * to the next namespace made once it is freed): ns_common.ns_id since 6.18
 * (the namespace tree), mnt_namespace.seq before (3.19, loop checks). */
struct ns_common___id {
	u64 ns_id;
} __attribute__((preserve_access_index));

struct mnt_namespace___seq {
	u64 seq;
} __attribute__((preserve_access_index));

/* ns: a trusted BTF pointer (from bpf_get_current_task_btf): plain loads */
static __always_inline __u64 mntns_id(struct mnt_namespace *ns)
{
	if (bpf_core_field_exists(((struct ns_common___id *)0)->ns_id))
		return ((struct ns_common___id *)&ns->ns)->ns_id;
	return ((struct mnt_namespace___seq *)ns)->seq;
}

/* The syscall number in a syscall's saved user registers (raw sys_exit).
 * regs is a trusted BTF pointer there: a plain load, no helper call, since
 * this runs on every syscall of the host. */
static __always_inline long syscall_nr(struct pt_regs *regs)
{
#if defined(__TARGET_ARCH_x86)
	return regs->orig_ax;
#elif defined(__TARGET_ARCH_arm64)
	return BPF_CORE_READ((struct user_pt_regs *)regs, regs[8]); /* see syscallno in pt_regs */
#else
	return -1;
#endif
}

/* Is the current syscall an ia32 one (int 0x80, sysenter: a 32-bit program,
 * or any x86-64 one)? Its number and arguments follow the ia32 table and
 * convention. The raw sys_exit tracepoint sees them; the per-syscall trace
 * events skip them. */
#define TS_COMPAT 0x0002 /* x86 thread_info.status: a 32-bit syscall is running */

static __always_inline bool in_ia32_syscall(void)
{
#if defined(__TARGET_ARCH_x86)
	return bpf_get_current_task_btf()->thread_info.status & TS_COMPAT;
#else
	return false;
#endif
}

#endif /* IDTRACE_COMMON_BPF_H */
