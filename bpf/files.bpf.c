// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Credential file opens: open, openat, openat2 and creat, matched in the
 * kernel so that an open of any other file never reaches the ring buffer.
 *
 * Only the syscall exits are hooked (the per-syscall trace events; the raw
 * sys_exit tracepoint as a fallback): a successful open is judged by the file
 * it produced (its inode, or its directory and name), a failed one by the
 * basename it asked for, read from the syscall's saved registers. No enter
 * hook means no per-open map update on the hot path.
 *
 * Match order: (1) the opened inode is a watched credential file; (2) its
 * directory is watched and its name fits one of that directory's patterns
 * (files created after the daemon started); (3) a failed open whose basename
 * is a watched name; (4) a successful open in a mount namespace that is
 * neither the daemon's nor one the daemon has dealt with (a container
 * whose files are not in the maps yet: its first process runs before the
 * daemon has scanned it) whose name is a watched name. The host's opens
 * leave (4) at one compare of their namespace's inode number. (5) A
 * successful open by a process whose HOME the daemon does not watch yet
 * (home_marks.bpf.h) whose name is a watched name; while no process is
 * marked, one load.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "idtrace_wire.h"
#include "common.bpf.h"
#include "home_marks.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile __u32 self_tgid = 0; /* the daemon: its own fingerprint reads are not events */
const volatile __u32 host_mntns = 0; /* the daemon's mount namespace (inode number) */

#define NAME_BUF 256 /* NAME_MAX + 1 */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct idt_file_key);
	__type(value, struct idt_watch);
} watch_inodes SEC(".maps");

/* Watched directories (and the failed-open filter at dev 0 / ino 0). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct idt_file_key);
	__type(value, struct idt_dir_watch);
} watch_dirs SEC(".maps");

/* Credential names per directory: exact, prefix and suffix keys. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct idt_name_key);
	__type(value, struct idt_watch);
} watch_names SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct idt_ino_bloom);
} watch_bloom SEC(".maps");

/* Mount namespaces of containers the daemon has scanned, and of private
 * namespaces that are no container: by id (idt_open.mntns_id), value
 * IDT_MNTNS_*. LRU: a dead namespace's entry ages out (ids are not reused),
 * and a live one pushed out only costs its opens the name check again until
 * the daemon puts it back. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, __u32);
} mntns_known SEC(".maps");

/* Watched files whose read woke the daemon at once, with when: the daemon
 * reads a file for its fingerprint as it handles the record, and a program
 * that rewrites its credential file by rename right after reading it (git's
 * credential store, sed -i, an editor) leaves nothing to read 50 ms later,
 * when a batched record would be handled. Once a second per file: an open
 * storm of one file still batches. */
struct open_wake {
	__u64 at;
	__u64 ctime_ns; /* the file's: a new file given the inode number is another */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, struct idt_file_key);
	__type(value, struct open_wake);
} open_woken SEC(".maps");

#define OPEN_WAKE_INTERVAL_NS 1000000000ull

static __always_inline __u64 open_rb_flags(const struct idt_open *ev, __u32 match, long ret)
{
	struct idt_file_key key = { .dev = ev->dev, .ino = ev->ino };
	struct open_wake now = { .ctime_ns = ev->ctime_ns }, *last;

	/* a new container's read is followed up at once: its process, and
	 * with it the way to the file, may be gone soon */
	if (match == IDT_MATCH_CONTAINER)
		return BPF_RB_FORCE_WAKEUP;
	if (ret < 0 || !ev->ino)
		return rb_flags(); /* a failed open: nothing to read */
	now.at = bpf_ktime_get_boot_ns();
	last = bpf_map_lookup_elem(&open_woken, &key);
	if (last && last->ctime_ns == now.ctime_ns && now.at - last->at < OPEN_WAKE_INTERVAL_NS)
		return rb_flags();
	bpf_map_update_elem(&open_woken, &key, &now, BPF_ANY);
	return BPF_RB_FORCE_WAKEUP;
}

/* Per CPU, the id of the last namespace found in mntns_known: a process's
 * opens in a row cost one compare, not a hash lookup each. (An id is never
 * reused, and the daemon drops a namespace from the map only once it is
 * gone.) */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} mntns_last SEC(".maps");

struct open_scratch {
	struct idt_open ev;
	char path[IDT_OPEN_PATH_MAX];
	/* the record's tail continues here: the dentry name, then the walk */
	char tail_more[NAME_BUF + IDT_OPEN_WALK_MAX];
	char name[NAME_BUF + IDT_WATCH_NAME_MAX]; /* slack: keys are copied with one bounded read */
	char walk[IDT_OPEN_WALK_MAX + NAME_BUF];   /* slack: one name is read whole */
	struct idt_name_key key;
	__u32 base_off; /* given_basename: where the basename starts in path */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct open_scratch);
} open_scratch SEC(".maps");

/* Look up name[off, off + n) under (dir, kind). */
static __always_inline struct idt_watch *lookup_name(struct open_scratch *s,
						     const struct idt_file_key *dir, __u32 kind,
						     __u32 off, __u32 n)
{
	__u64 sz, pos;

	if (n == 0 || n >= IDT_WATCH_NAME_MAX)
		return NULL;
	__builtin_memset(&s->key, 0, sizeof(s->key));
	s->key.dev = dir->dev;
	s->key.ino = dir->ino;
	s->key.kind = kind;
	/* one bounded copy, no per-byte loop: keeps the verifier's work flat */
	sz = n;
	pos = off;
	VERIFIER_MASK(sz, 63);   /* IDT_WATCH_NAME_MAX - 1 */
	VERIFIER_MASK(pos, 255); /* NAME_BUF - 1 */
	bpf_probe_read_kernel(s->key.name, sz, &s->name[pos]);
	return bpf_map_lookup_elem(&watch_names, &s->key);
}

/* Does s->name (len bytes) name a credential under dir's rules? Returns
 * its type, or 0. */
static __always_inline __u32 match_name(struct open_scratch *s, const struct idt_file_key *dir,
					const struct idt_dir_watch *dw, __u32 len)
{
	struct idt_watch *w;
	__u32 i;

	if (len == 0 || len >= NAME_BUF)
		return 0;
	for (i = 0; i < IDT_MAX_LENS; i++) {
		__u32 n = dw->exclude_lens[i];

		if (n && n <= len && lookup_name(s, dir, IDT_NAME_EXCLUDE, len - n, n))
			return 0;
	}
	if (dw->any_type)
		return dw->any_type;
	w = lookup_name(s, dir, IDT_NAME_EXACT, 0, len);
	if (w)
		return w->cred_type;
	for (i = 0; i < IDT_MAX_LENS; i++) {
		__u32 n = dw->prefix_lens[i];

		if (n && n <= len && (w = lookup_name(s, dir, IDT_NAME_PREFIX, 0, n)))
			return w->cred_type;
		n = dw->suffix_lens[i];
		if (n && n <= len && (w = lookup_name(s, dir, IDT_NAME_SUFFIX, len - n, n)))
			return w->cred_type;
	}
	return 0;
}

/* What the check of a successful open reads of the opened file first: the
 * two inode numbers the bit filter needs. The rest waits for a hit. */
struct file_facts {
	struct file *file;
	struct inode *inode;
	struct dentry *dentry;
	__u64 ino, dir_ino;
};

/* Kernels with the bpf_rdonly_cast kfunc (6.2+): the file is walked with
 * plain, fault-safe loads instead of one helper call per field. That is most
 * of the cost of an open nobody watches, which is every open on the host.
 * The loader loads this program only where the kfunc exists (weak extern:
 * elsewhere the object still loads, with the compat program). */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;

/* The file at fd, without a helper call: a slot at a variable index of the
 * fd array is out of reach of plain loads, but the array's address is a
 * number (the verifier tracks no pointer-to-pointer), and bpf_rdonly_cast
 * makes any number a fault-safe kernel object. Cast it to a struct kiocb
 * placed so that its ki_filp field (a struct file *; CO-RE gives its offset)
 * is the slot: reading that field reads the slot. */
static __always_inline struct file *task_fd_file_cast(struct task_struct *task, long fd)
{
	struct fdtable *fdt = task->files->fdt;
	unsigned long slot;
	struct kiocb *k;

	if (fd < 0 || fd >= fdt->max_fds)
		return NULL;
	slot = (unsigned long)fdt->fd + fd * sizeof(struct file *);
	k = bpf_rdonly_cast((void *)(slot - bpf_core_field_offset(struct kiocb, ki_filp)),
			    bpf_core_type_id_kernel(struct kiocb));
	return k->ki_filp;
}

static __always_inline bool file_facts_fast(struct file *f, struct file_facts *ff)
{
	struct dentry *dentry;
	struct inode *inode;

	if (!f)
		return false;
	f = bpf_rdonly_cast(f, bpf_core_type_id_kernel(struct file));
	if (!f)
		return false;
	inode = f->f_inode;
	dentry = f->f_path.dentry;
	ff->file = f;
	ff->inode = inode;
	ff->dentry = dentry;
	ff->ino = inode->i_ino;
	ff->dir_ino = dentry->d_parent->d_inode->i_ino;
	return true;
}

static __always_inline bool file_facts_compat(struct file *f, struct file_facts *ff)
{
	struct dentry *dentry;
	struct inode *inode;

	if (!f)
		return false;
	inode = BPF_CORE_READ(f, f_inode);
	dentry = BPF_CORE_READ(f, f_path.dentry);
	ff->file = f;
	ff->inode = inode;
	ff->dentry = dentry;
	ff->ino = BPF_CORE_READ(inode, i_ino);
	ff->dir_ino = BPF_CORE_READ(dentry, d_parent, d_inode, i_ino);
	return true;
}

static __always_inline bool bloom_has(const struct idt_ino_bloom *b, __u64 ino)
{
	__u32 bit = idt_ino_bloom_bit(ino);

	return b->w[(bit >> 6) & (IDT_INO_BLOOM_WORDS - 1)] & (1ull << (bit & 63));
}

#define O_PATH_FLAG 010000000 /* asm-generic and x86 alike */

/* The path as given: path in the caller's memory, or (kpath) a kernel copy
 * of it (an io_uring request's). */
static __always_inline void fill_and_send(struct open_scratch *s, struct task_struct *task,
					  __u32 match, __u32 cred_type, long ret,
					  const char *path, bool kpath, __u32 name_len)
{
	struct idt_open *ev = &s->ev;
	long n;
	__u32 path_len, walk_len, size;

	/* An O_PATH open reaches the name, not the content: mv, cp and ls open
	 * a destination with O_PATH|O_DIRECTORY to ask whether it is a
	 * directory. Reopening such an fd for reading is an open of its own. */
	if (ev->flags & O_PATH_FLAG)
		return;
	ev->hdr.type = IDT_EV_OPEN;
	ev->hdr.version = IDT_WIRE_VERSION;
	ev->hdr.ts_ns = bpf_ktime_get_boot_ns();
	ev->hdr.pid = BPF_CORE_READ(task, tgid);
	ev->hdr.tid = BPF_CORE_READ(task, pid);
	ev->ret = ret;
	ev->match = match;
	ev->cred_type = cred_type;
	ev->uid = BPF_CORE_READ(task, cred, uid.val);
	ev->euid = BPF_CORE_READ(task, cred, euid.val);
	ev->loginuid = (__u32)-1;
	if (bpf_core_field_exists(task->loginuid))
		ev->loginuid = BPF_CORE_READ(task, loginuid.val);
	ev->cgroup_id = bpf_get_current_cgroup_id();
	ev->start_ns = BPF_CORE_READ(task, group_leader, start_boottime);

	__u64 off, sz;

	if (!path)
		n = 0;
	else if (kpath)
		n = bpf_probe_read_kernel_str(s->path, IDT_OPEN_PATH_MAX, path);
	else
		n = bpf_probe_read_user_str(s->path, IDT_OPEN_PATH_MAX, path);
	path_len = n > 0 ? n - 1 : 0;
	path_len &= IDT_OPEN_PATH_MAX - 1;
	ev->path.off = 0;
	ev->path.len = path_len;
	/* the dentry name follows the path in the tail */
	if (name_len >= NAME_BUF)
		name_len = NAME_BUF - 1;
	off = path_len;
	sz = name_len;
	VERIFIER_MASK(off, 1023);
	VERIFIER_MASK(sz, 255);
	if (sz)
		bpf_probe_read_kernel(&s->path[off], sz, s->name);
	ev->name.off = path_len;
	ev->name.len = name_len;
	/* and the walk (IDT_MATCH_CONTAINER) the name */
	ev->_pad2 = 0;
	walk_len = 0;
	if (match == IDT_MATCH_CONTAINER) {
		walk_len = ev->walk.len;
	} else {
		ev->mntns = 0;
		ev->walk_flags = 0;
		ev->mntns_id = 0;
		ev->root_depth = 0;
	}
	off = path_len + name_len;
	sz = walk_len;
	VERIFIER_MASK(off, 2047);
	VERIFIER_MASK(sz, 1023); /* IDT_OPEN_WALK_MAX - 1 */
	if (sz && off + sz <= IDT_OPEN_PATH_MAX + NAME_BUF + IDT_OPEN_WALK_MAX)
		bpf_probe_read_kernel(&s->path[off], sz, s->walk);
	else
		sz = 0;
	ev->walk.off = path_len + name_len;
	ev->walk.len = sz;
	size = sizeof(*ev) + path_len + name_len + sz;
	if (size > sizeof(*ev) + IDT_OPEN_PATH_MAX + NAME_BUF + IDT_OPEN_WALK_MAX)
		return;
	count(IDT_CNT_OPEN);
	if (bpf_ringbuf_output(&events, s, size, open_rb_flags(ev, match, ret)))
		count(IDT_CNT_LOST_OPEN);
}

/* The path argument of the open, from the syscall's saved user registers;
 * also records the dfd. Read only for a match: it costs helper calls. */
/* path_arg: 0 the path is the first argument, 1 the second (after a dirfd),
 * PATH_NONE the syscall takes none (a file handle), PATH_URING not a syscall
 * at all (an io_uring request: the task's registers are not the open's) */
#define PATH_NONE 2
#define PATH_URING 3

/* Argument i (1-3) of the syscall in its saved user registers: by the
 * x86-64 (or other 64-bit) convention, or for an ia32 one (ebx, ecx, edx;
 * 32-bit values). */
static __always_inline unsigned long sys_arg(struct pt_regs *regs, int i, bool ia32)
{
#if defined(__TARGET_ARCH_x86)
	if (ia32)
		return (__u32)(i == 1 ? BPF_CORE_READ(regs, bx)
			       : i == 2 ? BPF_CORE_READ(regs, cx) : BPF_CORE_READ(regs, dx));
#endif
	return i == 1 ? PT_REGS_PARM1_CORE_SYSCALL(regs)
	       : i == 2 ? PT_REGS_PARM2_CORE_SYSCALL(regs) : PT_REGS_PARM3_CORE_SYSCALL(regs);
}

/* s->ev.syscall is set: its ABI says where the arguments are. */
static __always_inline const char *user_path(struct open_scratch *s, struct task_struct *task,
					     int path_arg)
{
	bool ia32 = s->ev.syscall & IDT_SYS_ABI_IA32;
	struct pt_regs *regs;

	if (path_arg == PATH_URING)
		return NULL; /* the dfd is the request's, set by its caller */
	regs = (struct pt_regs *)bpf_task_pt_regs(task);
	s->ev.dfd = path_arg ? (int)sys_arg(regs, 1, ia32) : -100 /* AT_FDCWD */;
	if (path_arg == PATH_NONE)
		return NULL; /* open_by_handle_at(mount_fd, handle, flags) */
	return (const char *)sys_arg(regs, path_arg ? 2 : 1, ia32);
}

/* The path an open was given (path, a kernel copy when kpath), read into
 * s->path, and its basename into s->name: the basename's length, or 0 when
 * there is none or it is longer than any watched name. */
static __always_inline __u32 given_basename(struct open_scratch *s, const char *path, bool kpath)
{
	__u32 i, start, len;
	long n;

	if (!path)
		return 0;
	n = kpath ? bpf_probe_read_kernel_str(s->path, IDT_OPEN_PATH_MAX, path)
		  : bpf_probe_read_user_str(s->path, IDT_OPEN_PATH_MAX, path);
	if (n <= 1)
		return 0;
	len = (n - 1) & (IDT_OPEN_PATH_MAX - 1);
	/* The basename: only its last IDT_WATCH_NAME_MAX bytes can matter. */
	start = len > IDT_WATCH_NAME_MAX ? len - IDT_WATCH_NAME_MAX : 0;
	for (i = 0; i < IDT_WATCH_NAME_MAX; i++) {
		if (i >= len)
			break;
		if (s->path[(len - 1 - i) & (IDT_OPEN_PATH_MAX - 1)] == '/') {
			start = len - i;
			break;
		}
	}
	len -= start;
	s->base_off = start;
	if (len == 0 || len >= IDT_WATCH_NAME_MAX)
		return 0;
	{
		__u64 sz = len, off = start;

		VERIFIER_MASK(sz, 63);   /* IDT_WATCH_NAME_MAX - 1 */
		VERIFIER_MASK(off, 1023); /* IDT_OPEN_PATH_MAX - 1 */
		bpf_probe_read_kernel(s->name, sz, &s->path[off]);
	}
	return len;
}

/* The daemon's own opens (its fingerprint reads) are not events. */
static __always_inline bool is_self(void)
{
	return self_tgid && (bpf_get_current_pid_tgid() >> 32) == self_tgid;
}

/* The dentry names of the opened file up to its file system's root, leaf
 * first, into s->walk; where the process's root directory was passed, and
 * whether the top was reached. Only for a name that matched: helper calls. */
static __always_inline void walk_dentries(struct open_scratch *s, struct dentry *d,
					  struct dentry *root)
{
	__u32 i, off = 0;
	long n;

	s->ev.root_depth = IDT_WALK_ROOT_UNSEEN;
	s->ev.walk_flags = 0;
	for (i = 0; i < IDT_OPEN_WALK_DEPTH; i++) {
		struct dentry *parent = BPF_CORE_READ(d, d_parent);
		__u64 o = off;

		if (d == root && s->ev.root_depth == IDT_WALK_ROOT_UNSEEN)
			s->ev.root_depth = i;
		if (!parent || parent == d) {
			s->ev.walk_flags |= IDT_WALK_TOP;
			break;
		}
		if (off >= IDT_OPEN_WALK_MAX)
			break;
		VERIFIER_MASK(o, 1023); /* IDT_OPEN_WALK_MAX - 1 */
		n = bpf_probe_read_kernel_str(&s->walk[o], NAME_BUF, BPF_CORE_READ(d, d_name.name));
		if (n <= 0)
			break;
		if (off + n > IDT_OPEN_WALK_MAX)
			break; /* a name cut by the end of the room is not sent */
		off += n;
		d = parent;
	}
	s->ev.walk.len = off;
}

/* The first open seen in a mount namespace the daemon has not dealt with:
 * tell it (once: the namespace goes in mntns_known as pending), for it to
 * say what the namespace is, so that the next opens there cost no name
 * check. A namespace made without an exec (unshare(2) in a forked child)
 * is learned here, not by the exec record. */
static __always_inline void tell_mntns(struct task_struct *task, __u32 inum, __u64 id)
{
	__u32 pending = IDT_MNTNS_PENDING;
	struct idt_mntns ev = {};

	if (bpf_map_update_elem(&mntns_known, &id, &pending, BPF_NOEXIST))
		return; /* another CPU's open told it */
	ev.hdr.type = IDT_EV_MNTNS;
	ev.hdr.version = IDT_WIRE_VERSION;
	ev.hdr.ts_ns = bpf_ktime_get_boot_ns();
	ev.hdr.pid = task->tgid;
	ev.hdr.tid = task->pid;
	ev.start_ns = task->group_leader->start_boottime;
	ev.cgroup_id = bpf_get_current_cgroup_id();
	ev.mntns_id = id;
	ev.mntns = inum;
	if (bpf_ringbuf_output(&events, &ev, sizeof(ev), BPF_RB_FORCE_WAKEUP)) {
		count(IDT_CNT_LOST_OPEN);
		bpf_map_delete_elem(&mntns_known, &id); /* the next open tells it again */
	}
}

/* The dentry name of a successful open into s->name: is it a watched name
 * (by the rules for any directory)? Its type, or 0; *len: its length. */
static __always_inline __u32 watched_name(struct open_scratch *s, struct file_facts *ff, __u32 *len)
{
	static const struct idt_file_key any_dir = {};
	struct idt_dir_watch *dw = bpf_map_lookup_elem(&watch_dirs, &any_dir);
	struct dentry *dentry = ff->dentry;
	struct idt_watch *w;
	__u32 type;

	if (!dw)
		return 0;
	*len = BPF_CORE_READ(dentry, d_name.len);
	if (*len == 0 || *len >= NAME_BUF)
		return 0;
	if (bpf_probe_read_kernel_str(s->name, NAME_BUF, BPF_CORE_READ(dentry, d_name.name)) < 0)
		return 0;
	type = match_name(s, &any_dir, dw, *len);
	if (type || !dw->parent_names)
		return type;
	/* a rule for every file of a directory: the directory's name, read
	 * into the key itself (s->name stays the file's, for the record) */
	__builtin_memset(&s->key, 0, sizeof(s->key));
	s->key.kind = IDT_NAME_PARENT;
	if (bpf_probe_read_kernel_str(s->key.name, sizeof(s->key.name),
				      BPF_CORE_READ(dentry, d_parent, d_name.name)) <= 1)
		return 0;
	w = bpf_map_lookup_elem(&watch_names, &s->key);
	return w ? w->cred_type : 0;
}

/* The record's file, for a match by name (no watched inode or directory). */
static __always_inline void name_match_file(struct open_scratch *s, struct file_facts *ff)
{
	struct inode *inode = ff->inode; /* BPF_CORE_READ relocates every access in its argument */
	struct file *file = ff->file;

	s->ev.dev = BPF_CORE_READ(inode, i_sb, s_dev);
	s->ev.ino = ff->ino;
	s->ev.ctime_ns = inode_ctime_ns(inode);
	s->ev.dir_dev = 0;
	s->ev.dir_ino = 0;
	s->ev.flags = BPF_CORE_READ(file, f_flags);
}

/* A successful open that no watch entry matched: is its name a watched
 * name? Then the scratch record, with the file filled in (no watched inode
 * or directory), its type in *type and the name's length in *len; else
 * NULL. The daemon's own opens are not checked. */
static __always_inline struct open_scratch *name_match(__u32 sys, struct file_facts *ff,
						       __u32 *type, __u32 *len)
{
	struct open_scratch *s;
	__u32 zero = 0;

	s = bpf_map_lookup_elem(&open_scratch, &zero);
	if (!s || is_self())
		return NULL;
	*type = watched_name(s, ff, len);
	if (!*type)
		return NULL;
	s->ev.syscall = sys;
	name_match_file(s, ff);
	return s;
}

/* bpf_loop is there (5.17+): the loader says so. */
const volatile bool have_loop = false;

struct parent_scan {
	__u32 end;   /* the '/' before the basename, in open_scratch.path */
	__u32 start; /* out: where the component before it starts */
	bool found;
};

/* bpf_loop's step i: path[end - 1 - i], back to the '/' (or the start)
 * before the basename's directory. A callback is verified once, where the
 * same loop unrolled cost the raw sys_exit program past the verifier's
 * limit. */
static long scan_parent(__u32 i, void *ctx)
{
	struct parent_scan *ps = ctx;
	struct open_scratch *s;
	__u32 zero = 0, idx;

	s = bpf_map_lookup_elem(&open_scratch, &zero);
	if (!s || i >= ps->end)
		return 1;
	idx = ps->end - 1 - i;
	if (s->path[idx & (IDT_OPEN_PATH_MAX - 1)] == '/') {
		ps->start = idx + 1;
		ps->found = true;
		return 1;
	}
	if (idx == 0) {
		ps->start = 0; /* a relative path: "tokens/vault" */
		ps->found = true;
		return 1;
	}
	return 0;
}

/* The directory name in the path as given, before its basename (which
 * given_basename put at s->base_off): is it the directory of a rule for
 * every file of it ("tokens" of /var/run/secrets/tokens/...)? A directory
 * bind-mounted there has the host's name in its dentry. Its type, or 0. */
static __always_inline __u32 given_parent_match(struct open_scratch *s)
{
	struct parent_scan ps = { .end = s->base_off ? s->base_off - 1 : 0 };
	struct idt_watch *w;
	__u64 len, off;

	if (!have_loop || !ps.end || ps.end >= IDT_OPEN_PATH_MAX)
		return 0;
	bpf_loop(IDT_WATCH_NAME_MAX, scan_parent, &ps, 0);
	if (!ps.found || ps.start >= ps.end)
		return 0;
	len = ps.end - ps.start;
	off = ps.start;
	if (len >= IDT_WATCH_NAME_MAX)
		return 0;
	__builtin_memset(&s->key, 0, sizeof(s->key));
	s->key.kind = IDT_NAME_PARENT;
	VERIFIER_MASK(len, 63);   /* IDT_WATCH_NAME_MAX - 1 */
	VERIFIER_MASK(off, 1023); /* IDT_OPEN_PATH_MAX - 1 */
	if (bpf_probe_read_kernel(s->key.name, len, &s->path[off]))
		return 0;
	w = bpf_map_lookup_elem(&watch_names, &s->key);
	return w ? w->cred_type : 0;
}

/* name_match by the basename of the path the open was given, not the
 * opened file's own name: a file bind-mounted under a watched name
 * (docker run -v ./kubecfg:/root/.kube/config), a watched name that is a
 * link to a file of another name. The daemon judges the path as given.
 * A function of its own (a BPF-to-BPF call), not inlined: the raw sys_exit
 * program holds every open syscall's path, and inlined copies pushed its
 * jumps past their 16-bit reach; it runs only in an unscanned namespace. */
struct name_hit {
	__u32 sys;  /* in: the open's syscall */
	__u32 type; /* out: the credential type of the name */
	__u32 len;  /* out: the name's length */
};

static __attribute__((noinline)) struct open_scratch *
given_name_match(struct task_struct *task, int path_arg, const char *kpath, struct file_facts *ff,
		 struct name_hit *hit)
{
	static const struct idt_file_key any_dir = {};
	struct idt_dir_watch *dw = bpf_map_lookup_elem(&watch_dirs, &any_dir);
	struct open_scratch *s;
	__u32 zero = 0;

	s = bpf_map_lookup_elem(&open_scratch, &zero);
	if (!s || !dw || is_self())
		return NULL;
	s->ev.syscall = hit->sys;
	hit->len = given_basename(s, kpath ?: user_path(s, task, path_arg), kpath != NULL);
	if (!hit->len)
		return NULL;
	hit->type = match_name(s, &any_dir, dw, hit->len);
	if (!hit->type && dw->parent_names)
		hit->type = given_parent_match(s);
	if (!hit->type)
		return NULL;
	name_match_file(s, ff);
	return s;
}

/* A successful open that no watch entry matched, by a process marked for
 * a HOME the daemon does not watch yet: a watched name goes to the daemon
 * as a name match, with the path as given, for its rules to judge (with
 * that home, which it learned from the exec before this record). */
static __always_inline void check_marked(struct task_struct *task, __u32 sys, long fd,
					 int path_arg, const char *kpath, struct file_facts *ff)
{
	struct open_scratch *s;
	__u32 len = 0, type = 0;

	if (!home_marked(task->tgid))
		return;
	s = name_match(sys, ff, &type, &len);
	if (!s)
		return;
	fill_and_send(s, task, IDT_MATCH_NAME, type, fd, kpath ?: user_path(s, task, path_arg),
		      kpath, len);
}

/* A successful open that no watch entry matched: in a mount namespace the
 * daemon has not dealt with (a container it has not scanned yet), is its
 * name a watched name? The host's opens leave at the first compare;
 * marked: see check_marked. */
static __always_inline void check_unscanned(struct task_struct *task, __u32 sys, long fd,
					    int path_arg, const char *kpath, struct file_facts *ff)
{
	struct mnt_namespace *ns = task->nsproxy->mnt_ns;
	struct open_scratch *s;
	__u32 len = 0, type = 0, zero = 0, *known;
	__u64 id, *last;

	if (!ns || ns->ns.inum == host_mntns) {
		check_marked(task, sys, fd, path_arg, kpath, ff);
		return;
	}
	id = mntns_id(ns);
	last = bpf_map_lookup_elem(&mntns_last, &zero);
	if (last && *last == id && id)
		return;
	known = bpf_map_lookup_elem(&mntns_known, &id);
	if (known && *known != IDT_MNTNS_PENDING) {
		if (last)
			*last = id;
		return;
	}
	if (!known)
		tell_mntns(task, ns->ns.inum, id);
	s = name_match(sys, ff, &type, &len);
	if (!s) {
		struct name_hit hit = { .sys = sys };

		s = given_name_match(task, path_arg, kpath, ff, &hit);
		type = hit.type;
		len = hit.len;
	}
	if (!s)
		return;
	s->ev.mntns = ns->ns.inum;
	s->ev.mntns_id = id;
	walk_dentries(s, ff->dentry, BPF_CORE_READ(task, fs, root.dentry));
	fill_and_send(s, task, IDT_MATCH_CONTAINER, type, fd, kpath ?: user_path(s, task, path_arg),
		      kpath, len);
}

/* A successful open: is this file, or its directory + name, watched? Every
 * open on the host comes here, and nearly all leave at the bit filter: all
 * the rest (the scratch buffer, the device, the self check) waits for a hit.
 * kpath: the path as given, a kernel copy (an io_uring request's), else it
 * is read from the syscall's arguments. Returns whether a record was sent. */
static __always_inline bool check_watched(struct task_struct *task, __u32 sys, long fd,
					  int path_arg, const char *kpath, bool fast,
					  struct file_facts *ff)
{
	struct idt_file_key key = {};
	struct idt_dir_watch *dw;
	struct idt_ino_bloom *bloom;
	struct open_scratch *s;
	struct dentry *dentry;
	struct inode *inode;
	struct idt_watch *w;
	struct file *file;
	__u32 len, type, zero = 0;
	bool ino_maybe;

	bloom = bpf_map_lookup_elem(&watch_bloom, &zero);
	if (!bloom)
		return false;
	ino_maybe = bloom_has(bloom, ff->ino);
	if (!ino_maybe && !bloom_has(bloom, ff->dir_ino))
		return false;
	s = bpf_map_lookup_elem(&open_scratch, &zero);
	if (!s || is_self())
		return true; /* the daemon's own: nothing more to check */
	s->ev.syscall = sys;
	inode = ff->inode;
	/* a dentry's parent is on the same superblock */
	key.dev = fast ? inode->i_sb->s_dev : BPF_CORE_READ(inode, i_sb, s_dev);
	key.ino = ff->ino;
	s->ev.dev = key.dev;
	s->ev.ino = key.ino;
	s->ev.dir_dev = 0;
	s->ev.dir_ino = 0;
	w = ino_maybe ? bpf_map_lookup_elem(&watch_inodes, &key) : NULL;
	file = ff->file;
	/* (the change time only for a record sent: a bloom hit in a watched
	 * directory is most often another file) */
	if (w) {
		s->ev.ctime_ns = inode_ctime_ns(inode);
		s->ev.flags = BPF_CORE_READ(file, f_flags);
		fill_and_send(s, task, IDT_MATCH_INODE, w->cred_type, fd,
			      kpath ?: user_path(s, task, path_arg), kpath, 0);
		return true;
	}
	key.ino = ff->dir_ino;
	dw = bpf_map_lookup_elem(&watch_dirs, &key);
	if (!dw)
		return false;
	dentry = ff->dentry; /* BPF_CORE_READ relocates every access in its argument */
	len = BPF_CORE_READ(dentry, d_name.len);
	if (len >= NAME_BUF)
		return false;
	if (bpf_probe_read_kernel_str(s->name, NAME_BUF, BPF_CORE_READ(dentry, d_name.name)) < 0)
		return false;
	type = match_name(s, &key, dw, len);
	if (!type)
		return false;
	s->ev.dir_dev = key.dev;
	s->ev.dir_ino = key.ino;
	s->ev.ctime_ns = inode_ctime_ns(inode);
	s->ev.flags = BPF_CORE_READ(file, f_flags);
	fill_and_send(s, task, IDT_MATCH_DIR, type, fd, kpath ?: user_path(s, task, path_arg), kpath,
		      len);
	return true;
}

/* A successful open of fd in task's table, or of file when given (an
 * io_uring fixed-file slot's): a watched file, else maybe a new container's. */
static __always_inline void check_file(struct task_struct *task, __u32 sys, long fd,
				       struct file *file_given, int path_arg, const char *kpath,
				       bool fast)
{
	struct file_facts ff;
	struct file *file = file_given;

	if (!file)
		file = fast ? task_fd_file_cast(task, fd) : task_fd_file(task, fd);
	if (!(fast ? file_facts_fast(file, &ff) : file_facts_compat(file, &ff)))
		return;
	if (!check_watched(task, sys, fd, path_arg, kpath, fast, &ff))
		check_unscanned(task, sys, fd, path_arg, kpath, &ff);
}

/* A failed open: does the basename it asked for name a credential? */
static __always_inline void check_failed(struct open_scratch *s, struct task_struct *task, long err,
					 const char *path, bool kpath)
{
	static const struct idt_file_key any_dir = {};
	struct idt_dir_watch *dw;
	__u32 len, type;

	dw = bpf_map_lookup_elem(&watch_dirs, &any_dir);
	if (!dw)
		return;
	len = given_basename(s, path, kpath);
	if (!len)
		return;
	s->ev.dev = 0;
	s->ev.ino = 0;
	s->ev.ctime_ns = 0;
	s->ev.dir_dev = 0;
	s->ev.dir_ino = 0;
	type = match_name(s, &any_dir, dw, len);
	if (type)
		fill_and_send(s, task, IDT_MATCH_NAME, type, err, path, kpath, 0);
}

static __always_inline int on_open_exit(long ret, __u32 sys, int path_arg, int flags_arg,
					bool fast)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct pt_regs *regs;
	struct open_scratch *s;
	const char *upath;
	__u32 zero = 0;

	count(IDT_CNT_OPEN_SEEN);
	if (ret >= 0) {
		check_file(task, sys, ret, NULL, path_arg, NULL, fast);
		return 0;
	}
	if (path_arg == PATH_NONE)
		return 0; /* a failed open by handle names nothing */
	s = bpf_map_lookup_elem(&open_scratch, &zero);
	if (!s || is_self())
		return 0;
	s->ev.syscall = sys;
	/* The syscall's arguments are still in its saved user registers. */
	upath = user_path(s, task, path_arg);
	regs = (struct pt_regs *)bpf_task_pt_regs(task);
	/* flags as requested, for the report of a failed attempt */
	if (flags_arg == 2 || flags_arg == 3)
		s->ev.flags = sys_arg(regs, flags_arg, sys & IDT_SYS_ABI_IA32);
	else if (flags_arg == 4) {
		struct open_how how = {};

		bpf_probe_read_user(&how, sizeof(how), (void *)sys_arg(regs, 3, sys & IDT_SYS_ABI_IA32));
		s->ev.flags = how.flags;
	} else {
		s->ev.flags = 01 | 0100 | 01000; /* creat: O_WRONLY|O_CREAT|O_TRUNC */
	}
	check_failed(s, task, ret, upath, false);
	return 0;
}

/* The per-syscall exit trace events: the default hook. Only the open family
 * runs a program; every other syscall of the host costs the kernel one bit
 * test (perf_syscall_exit), where a raw sys_exit program would run for it.
 * Each comes with bpf_rdonly_cast (the loader's choice where the kfunc
 * exists) and without. */
#define OPEN_EVENT(name, sys, path_arg, flags_arg)                                     \
	SEC("tp/syscalls/sys_exit_" #name)                                             \
	int idt_exit_##name(struct trace_event_raw_sys_exit *ctx)                      \
	{                                                                              \
		return on_open_exit(ctx->ret, sys, path_arg, flags_arg, true);         \
	}                                                                              \
	SEC("tp/syscalls/sys_exit_" #name)                                             \
	int idt_exit_##name##_compat(struct trace_event_raw_sys_exit *ctx)             \
	{                                                                              \
		return on_open_exit(ctx->ret, sys, path_arg, flags_arg, false);        \
	}

OPEN_EVENT(open, IDT_SYS_OPEN, 0, 2)
OPEN_EVENT(openat, IDT_SYS_OPENAT, 1, 3)
OPEN_EVENT(openat2, IDT_SYS_OPENAT2, 1, 4)
OPEN_EVENT(creat, IDT_SYS_CREAT, 0, 0)
/* name_to_handle_at() then open_by_handle_at() reaches a file without a
 * path (root: CAP_DAC_READ_SEARCH): matched by its inode or directory. */
OPEN_EVENT(open_by_handle_at, IDT_SYS_OPEN_BY_HANDLE_AT, PATH_NONE, 3)

/* io_uring: IORING_OP_OPENAT and IORING_OP_OPENAT2 open a file with no open
 * syscall. The process submits the request, and the kernel runs it inside
 * io_uring_enter, in an io-wq worker or in an SQPOLL thread: threads of the
 * process, sharing its fd table. The open is seen at its completion and
 * matched like a successful open syscall (by inode, or directory and name):
 * by the fd it put in that table, or by the ring's fixed-file slot it put
 * the file in (sqe->file_index). The name it asked for is freed by then: a
 * copy is taken when the request is submitted (io_uring_submit_req, after
 * the kernel read it in), for the report of a failed open (judged by its
 * basename, as a failed open syscall is) and for path_as_given. Local types
 * with only the fields read, relocated against the kernel's (CO-RE); the
 * loader loads these programs only where the tracepoints have this form
 * (6.0 and later). */
#define IDT_IORING_OP_OPENAT 18 /* uapi enum io_uring_op */
#define IDT_IORING_OP_OPENAT2 28
#define IDT_IORING_FILE_INDEX_ALLOC 0xffffffffu /* a free slot, its index the result */
#define IDT_FFS_MASK (~3ul) /* a fixed file's pointer carries flags in its low bits */

struct filename___idt {
	const char *name; /* the kernel's copy */
} __attribute__((preserve_access_index));

struct open_how___idt {
	__u64 flags;
} __attribute__((preserve_access_index));

struct io_open___idt {
	int dfd;
	__u32 file_slot; /* 0: an fd; else a fixed-file slot + 1, or ..._FILE_INDEX_ALLOC */
	struct filename___idt *filename;
	struct open_how___idt how;
} __attribute__((preserve_access_index));

struct io_cmd_data___idt {
	__u64 data[8];
} __attribute__((preserve_access_index));

struct io_kiocb___idt {
	struct io_cmd_data___idt cmd; /* an open request's struct io_open */
	__u8 opcode;
} __attribute__((preserve_access_index));

struct io_uring_cqe___idt {
	__s32 res;
} __attribute__((preserve_access_index));

/* The fixed-file table: 6.13 and later, an array of resource nodes ... */
struct io_rsrc_node___idt {
	unsigned long file_ptr;
} __attribute__((preserve_access_index));

struct io_rsrc_data___idt {
	unsigned int nr;
	struct io_rsrc_node___idt **nodes;
} __attribute__((preserve_access_index));

struct io_file_table___nodes {
	struct io_rsrc_data___idt data;
} __attribute__((preserve_access_index));

struct io_ring_ctx___nodes {
	struct io_file_table___nodes file_table;
} __attribute__((preserve_access_index));

/* ... before, an array of file pointers, and its length in the ring */
struct io_fixed_file___idt {
	unsigned long file_ptr;
} __attribute__((preserve_access_index));

struct io_file_table___files {
	struct io_fixed_file___idt *files;
} __attribute__((preserve_access_index));

struct io_ring_ctx___files {
	struct io_file_table___files file_table;
	unsigned int nr_user_files;
} __attribute__((preserve_access_index));

/* The file in the ring's fixed-file slot. */
static __always_inline struct file *uring_fixed_file(void *ring, __u32 slot)
{
	unsigned long ptr = 0;

	if (bpf_core_field_exists(struct io_file_table___nodes, data)) {
		struct io_ring_ctx___nodes *ctx = ring;
		struct io_rsrc_node___idt **nodes, *node = NULL;

		if (slot >= BPF_CORE_READ(ctx, file_table.data.nr))
			return NULL;
		nodes = BPF_CORE_READ(ctx, file_table.data.nodes);
		bpf_probe_read_kernel(&node, sizeof(node), nodes + slot);
		if (node)
			ptr = BPF_CORE_READ(node, file_ptr);
	} else {
		struct io_ring_ctx___files *ctx = ring;
		struct io_fixed_file___idt *files;

		if (slot >= BPF_CORE_READ(ctx, nr_user_files))
			return NULL;
		files = BPF_CORE_READ(ctx, file_table.files);
		ptr = BPF_CORE_READ(files + slot, file_ptr);
	}
	return (struct file *)(ptr & IDT_FFS_MASK);
}

/* The names of open requests in flight, by request (a kernel address):
 * taken at submission, dropped at completion. */
struct uring_open_name {
	char path[IDT_OPEN_PATH_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, struct uring_open_name);
} uring_open_names SEC(".maps");

/* req's struct io_open when it is an open request (its opcode in *op), or NULL. */
static __always_inline struct io_open___idt *uring_open_of(struct io_kiocb___idt *req, __u8 *op)
{
	*op = BPF_CORE_READ(req, opcode);
	if (*op != IDT_IORING_OP_OPENAT && *op != IDT_IORING_OP_OPENAT2)
		return NULL;
	return (void *)req + bpf_core_field_offset(struct io_kiocb___idt, cmd);
}

SEC("tp_btf/io_uring_submit_req")
int BPF_PROG(idt_uring_submit, struct io_kiocb___idt *req)
{
	struct open_scratch *s;
	struct io_open___idt *open;
	__u64 key = (__u64)req;
	__u32 zero = 0;
	__u8 op;

	open = uring_open_of(req, &op);
	if (!open || is_self())
		return 0;
	s = bpf_map_lookup_elem(&open_scratch, &zero);
	if (!s || bpf_probe_read_kernel_str(s->path, IDT_OPEN_PATH_MAX,
					    BPF_CORE_READ(open, filename, name)) <= 0)
		return 0;
	bpf_map_update_elem(&uring_open_names, &key, s->path, BPF_ANY);
	return 0;
}

static __always_inline int on_uring_complete(void *ring, struct io_kiocb___idt *req,
					     struct io_uring_cqe___idt *cqe, bool fast)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct uring_open_name *name;
	struct io_open___idt *open;
	struct open_scratch *s;
	const char *path;
	__u64 key = (__u64)req;
	__u32 sys, slot, zero = 0;
	struct file *file;
	__s32 res;
	__u8 op;

	if (!req) /* a completion that no request posted */
		return 0;
	open = uring_open_of(req, &op);
	if (!open)
		return 0;
	count(IDT_CNT_OPEN_SEEN);
	res = BPF_CORE_READ(cqe, res);
	slot = BPF_CORE_READ(open, file_slot);
	sys = op == IDT_IORING_OP_OPENAT ? IDT_SYS_IO_URING_OPENAT : IDT_SYS_IO_URING_OPENAT2;
	if (slot) /* into the ring's fixed-file table, whether it failed or not */
		sys += IDT_SYS_IO_URING_OPENAT_FIXED - IDT_SYS_IO_URING_OPENAT;
	name = bpf_map_lookup_elem(&uring_open_names, &key);
	path = name ? name->path : NULL;
	s = bpf_map_lookup_elem(&open_scratch, &zero);
	if (!s)
		return 0;
	/* check_file and check_failed use this CPU's scratch too */
	s->ev.dfd = BPF_CORE_READ(open, dfd);
	if (res < 0) {
		if (path && !is_self()) {
			s->ev.syscall = sys;
			s->ev.flags = BPF_CORE_READ(open, how.flags);
			check_failed(s, task, res, path, true);
		}
	} else if (!slot) {
		check_file(task, sys, res, NULL, PATH_URING, path, fast);
	} else {
		/* a fixed-file slot: the result is the slot (..._FILE_INDEX_ALLOC), or 0 */
		slot = slot == IDT_IORING_FILE_INDEX_ALLOC ? (__u32)res : slot - 1;
		file = uring_fixed_file(ring, slot);
		if (file)
			check_file(task, sys, slot, file, PATH_URING, path, fast);
	}
	if (name)
		bpf_map_delete_elem(&uring_open_names, &key);
	return 0;
}

SEC("tp_btf/io_uring_complete")
int BPF_PROG(idt_uring_complete, void *ring, struct io_kiocb___idt *req,
	     struct io_uring_cqe___idt *cqe)
{
	return on_uring_complete(ring, req, cqe, true);
}

SEC("tp_btf/io_uring_complete")
int BPF_PROG(idt_uring_complete_compat, void *ring, struct io_kiocb___idt *req,
	     struct io_uring_cqe___idt *cqe)
{
	return on_uring_complete(ring, req, cqe, false);
}

/* The syscall numbers of the open family on this architecture; set by the
 * loader (unused ones stay -1). */
const volatile long nr_open = -1, nr_openat = -1, nr_openat2 = -1, nr_creat = -1,
		    nr_open_by_handle_at = -1;

/* On the raw fallback, the other probe families' work at a syscall exit
 * (the TLS socket finder). Each program attached to sys_exit costs every
 * syscall on the host a dispatch, so there is one, this one, and the others
 * are tail calls from it for the syscalls they name. Slot 0 is filled by the loader; while it
 * is empty the call falls through. */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} sys_exit_more SEC(".maps");

/* The syscalls whose exits the tail call wants (-1: unused): the TLS
 * socket finder's writes and reads, and mmap (TLS libraries being loaded);
 * set by the loader, before the load, when it will fill the slot. */
const volatile long more_nr[9] = { -1, -1, -1, -1, -1, -1, -1, -1, -1 };

/* ia32 syscalls: made with int 0x80 or sysenter, by a 32-bit program or by
 * any 64-bit one (int 0x80 works from 64-bit code). The per-syscall trace
 * events skip them (the kernel's trace_get_syscall_nr gives -1 for a 32-bit
 * syscall), and their numbers are ia32's (syscall_32.tbl): an open of a
 * credential through int 0x80 would pass unseen. */
#define IA32_OPEN 5
#define IA32_CREAT 8
#define IA32_OPENAT 295
#define IA32_OPEN_BY_HANDLE_AT 342
#define IA32_OPENAT2 437

static __always_inline int on_ia32_exit(struct pt_regs *regs, long ret, bool fast)
{
	long nr = syscall_nr(regs);

	if (nr == IA32_OPENAT)
		return on_open_exit(ret, IDT_SYS_OPENAT | IDT_SYS_ABI_IA32, 1, 3, fast);
	if (nr == IA32_OPEN)
		return on_open_exit(ret, IDT_SYS_OPEN | IDT_SYS_ABI_IA32, 0, 2, fast);
	if (nr == IA32_OPENAT2)
		return on_open_exit(ret, IDT_SYS_OPENAT2 | IDT_SYS_ABI_IA32, 1, 4, fast);
	if (nr == IA32_CREAT)
		return on_open_exit(ret, IDT_SYS_CREAT | IDT_SYS_ABI_IA32, 0, 0, fast);
	if (nr == IA32_OPEN_BY_HANDLE_AT)
		return on_open_exit(ret, IDT_SYS_OPEN_BY_HANDLE_AT | IDT_SYS_ABI_IA32, PATH_NONE, 3,
				    fast);
	return 0;
}

/* Beside the trace events (x86): the ia32 syscalls they skip, on the raw
 * sys_exit tracepoint. Every syscall of the host runs this, and a 64-bit
 * one leaves at its first test. */
SEC("tp_btf/sys_exit")
int BPF_PROG(idt_ia32_sys_exit, struct pt_regs *regs, long ret)
{
	return in_ia32_syscall() ? on_ia32_exit(regs, ret, true) : 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(idt_ia32_sys_exit_compat, struct pt_regs *regs, long ret)
{
	return in_ia32_syscall() ? on_ia32_exit(regs, ret, false) : 0;
}

static __always_inline int on_sys_exit(void *ctx, struct pt_regs *regs, long ret, bool fast)
{
	long nr;

	if (in_ia32_syscall())
		return on_ia32_exit(regs, ret, fast); /* its numbers are not those below */
	nr = syscall_nr(regs);
	if (nr == nr_openat)
		return on_open_exit(ret, IDT_SYS_OPENAT, 1, 3, fast);
	if (nr == nr_open)
		return on_open_exit(ret, IDT_SYS_OPEN, 0, 2, fast);
	if (nr == nr_openat2)
		return on_open_exit(ret, IDT_SYS_OPENAT2, 1, 4, fast);
	if (nr == nr_creat)
		return on_open_exit(ret, IDT_SYS_CREAT, 0, 0, fast);
	if (nr == nr_open_by_handle_at)
		return on_open_exit(ret, IDT_SYS_OPEN_BY_HANDLE_AT, PATH_NONE, 3, fast);
	for (int i = 0; i < 9; i++) {
		if (nr == more_nr[i]) {
			bpf_tail_call(ctx, &sys_exit_more, 0);
			break;
		}
	}
	return 0;
}

/* The fallback where the trace events are missing (a kernel without
 * CONFIG_FTRACE_SYSCALLS): one raw (BTF) tracepoint for every syscall exit,
 * which every syscall of the host runs. With bpf_rdonly_cast, or without. */
SEC("tp_btf/sys_exit")
int BPF_PROG(idt_sys_exit, struct pt_regs *regs, long ret)
{
	return on_sys_exit(ctx, regs, ret, true);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(idt_sys_exit_compat, struct pt_regs *regs, long ret)
{
	return on_sys_exit(ctx, regs, ret, false);
}
