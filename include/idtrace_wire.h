/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The wire format between the BPF programs and the daemon: ring-buffer
 * records. Fixed-width types only, explicit padding, variable-length data in
 * a tail addressed by {off, len} relative to the start of the tail.
 *
 * Bump IDT_WIRE_VERSION on any change; the loader refuses a probe object
 * built with another version.
 */
#ifndef IDTRACE_WIRE_H
#define IDTRACE_WIRE_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define IDT_WIRE_VERSION 12

/* Record types (idt_hdr.type). */
#define IDT_EV_EXEC 1
#define IDT_EV_FORK 2
#define IDT_EV_EXIT 3
#define IDT_EV_OPEN 4
#define IDT_EV_TLS_DATA 5  /* plaintext a process wrote into a TLS session */
#define IDT_EV_TLS_CONN 6  /* a TLS session's socket and 4-tuple, learned */
#define IDT_EV_TLS_SNI 7   /* the server name a client set */
#define IDT_EV_TLS_CLOSE 8 /* the session was freed */
#define IDT_EV_TLS_LIB 9   /* a file named like a TLS library was first mapped executable */
#define IDT_EV_CGROUP 10   /* a cgroup was made (cgroup2, or the v1 hierarchy exec records) */
#define IDT_EV_MNTNS 11    /* an open in a mount namespace the daemon has not dealt with */

/* Bounds of what an exec record carries. Powers of two: the BPF side masks
 * offsets and lengths with (MAX - 1) to keep the verifier convinced. */
#define IDT_EXE_MAX 4096   /* bytes of the path given to execve */
#define IDT_ARGS_MAX 4096  /* bytes of argv, NUL-separated */
#define IDT_ENV_MAX 32768  /* bytes of the initial environment */
#define IDT_EXEC_TAIL_MAX (IDT_EXE_MAX + IDT_ARGS_MAX + IDT_ENV_MAX)

/* idt_exec.flags */
#define IDT_EXEC_EXE_TRUNC (1u << 0)
#define IDT_EXEC_ARGS_TRUNC (1u << 1)
#define IDT_EXEC_ENV_TRUNC (1u << 2)
#define IDT_EXEC_ARGS_FAULT (1u << 3) /* argv could not be read */
#define IDT_EXEC_ENV_FAULT (1u << 4)  /* environment could not be read */
#define IDT_EXEC_HOME_UNKNOWN (1u << 5) /* its HOME is not in homes_known: marked */

/* Kernel counters in the per-CPU "counters" array, by index. */
#define IDT_CNT_EXEC 0
#define IDT_CNT_FORK 1
#define IDT_CNT_EXIT 2
#define IDT_CNT_LOST_EXEC 3 /* ring buffer full */
#define IDT_CNT_LOST_FORK 4
#define IDT_CNT_LOST_EXIT 5
#define IDT_CNT_OPEN_SEEN 6 /* open-family syscalls that returned, all files */
#define IDT_CNT_OPEN 7      /* of those, records sent: a watched file */
#define IDT_CNT_LOST_OPEN 8
#define IDT_CNT_OPEN_ARGS_FULL 9 /* in-flight open table full: open not checked */
#define IDT_CNT_TLS_DATA 10  /* TLS plaintext records sent */
#define IDT_CNT_LOST_TLS 11  /* any TLS record lost: ring buffer full */
#define IDT_CNT_TLS_TRUNC 12 /* writes larger than IDT_TLS_DATA_MAX: tail not captured */
#define IDT_CNT_TLS_CONN 13  /* sessions whose socket was resolved */
#define IDT_CNT_TLS_RETRY 14 /* writes not captured again: retries of a refused or short write */
#define IDT_CNT_MAX 16

struct idt_hdr {
	__u32 type;    /* IDT_EV_* */
	__u32 version; /* IDT_WIRE_VERSION */
	__u64 ts_ns;   /* CLOCK_BOOTTIME, ns */
	__u32 pid;     /* tgid */
	__u32 tid;
};

struct idt_span {
	__u32 off; /* from the start of the record's tail */
	__u32 len; /* bytes, no terminating NUL counted */
};

struct idt_exec {
	struct idt_hdr hdr;
	__u32 ppid;     /* real parent's tgid */
	__u32 old_tid;  /* tid that called execve (differs when a thread exec'd) */
	__u32 uid, euid, gid, egid;
	__u32 loginuid; /* 4294967295 = unset */
	__u32 sessionid;
	__u64 cgroup_id; /* cgroup v2 id (kernfs inode) */
	__u64 start_ns;  /* task start, CLOCK_BOOTTIME ns: with pid, the exec's identity */
	__u64 parent_start_ns;
	__u32 flags;     /* IDT_EXEC_* */
	__u32 argc;
	struct idt_span exe;
	struct idt_span args;
	struct idt_span env;
	__u64 exe_ino;   /* inode of the executed file */
	__u32 exe_dev;   /* its device, kernel encoding (MAJOR << 20 | MINOR) */
	__u32 mntns;     /* mount namespace: its inode number (/proc/PID/ns/mnt) */
	__u64 cgroup_v1_id; /* kernfs id in the v1 hierarchy the loader chose; 0: none */
	__u64 mntns_id;  /* the mount namespace's id, never reused (inode numbers are) */
	__u32 pidns;     /* the task's own pid namespace, inode number (/proc/PID/ns/pid) */
	__u32 netns;     /* network namespace, inode number */
	__u32 userns;    /* user namespace of its credentials, inode number */
	__u32 _pad_ns;
	/* the executed file's change time, ns: a file given a freed inode
	 * number is another file (a program built where one was deleted) */
	__u64 exe_ctime_ns;
	/* tail: exe, args, env */
};

struct idt_fork {
	struct idt_hdr hdr; /* pid = child tgid */
	__u32 ppid;
	__u32 uid;
	__u64 start_ns;        /* child's start, CLOCK_BOOTTIME ns */
	/* The process that called fork/clone (ppid: the real parent, which it
	 * is unless the call asked for a sibling, CLONE_PARENT): lineage
	 * follows the creator. */
	__u32 creator;
	__u32 _pad;
	__u64 creator_start_ns;
};

struct idt_exit {
	struct idt_hdr hdr;
	__u32 exit_code; /* as in wait(2) status */
	__u32 _pad;
	__u64 start_ns;
};

/* Credential watch maps, filled by the daemon. */
#define IDT_WATCH_NAME_MAX 64 /* bytes of a basename compared in the kernel */

struct idt_file_key {
	__u32 dev; /* kernel encoding (MAJOR << 20 | MINOR) */
	__u32 _pad;
	__u64 ino;
};

/* A prefilter in front of watch_inodes and watch_dirs: one bit per inode
 * number hash, set for every watched file and directory (whatever its
 * device). An open whose file and directory both hash to clear bits costs
 * no hash lookup. A set bit may be a false positive, never a clear bit a
 * false negative: the daemon sets bits before it adds map entries. */
#define IDT_INO_BLOOM_BITS 65536
#define IDT_INO_BLOOM_WORDS (IDT_INO_BLOOM_BITS / 64)

struct idt_ino_bloom {
	__u64 w[IDT_INO_BLOOM_WORDS];
};

static inline __u32 idt_ino_bloom_bit(__u64 ino)
{
	return (__u32)((ino * 0x9E3779B97F4A7C15ull) >> 48); /* Fibonacci hashing: top 16 bits */
}

/* A HOME value's hash (bpf/home_marks.bpf.h): FNV-1a over its first
 * IDT_HOME_HASH_MAX bytes, the same in the exec probe and the daemon. */
#define IDT_HOME_HASH_MAX 256
#define IDT_HOME_HASH_INIT 0xcbf29ce484222325ull

static inline __u64 idt_home_hash_step(__u64 h, __u8 c)
{
	return (h ^ c) * 0x100000001b3ull;
}

struct idt_watch {
	__u32 cred_type; /* the daemon's credential type id */
	__u32 _pad;
};

/* Credential names are matched with hash lookups, not string loops: the
 * kernel builds candidate keys from a name (the whole name, its first L
 * bytes, its last L bytes, for the lengths the daemon lists) and looks each
 * up in watch_names. Patterns: "exact", "prefix*", "*suffix", "*". */
#define IDT_NAME_EXACT 1
#define IDT_NAME_PREFIX 2
#define IDT_NAME_SUFFIX 3
#define IDT_NAME_EXCLUDE 4 /* a suffix that disqualifies a name (e.g. ".pub") */
/* Under the failed-open filter only: the directory name of a rule for every
 * file of a directory, which names no file ("tokens" for the projected
 * tokens' rule). A successful open whose own name is no watched name is
 * tried by its directory's. */
#define IDT_NAME_PARENT 5
#define IDT_MAX_LENS 4

struct idt_name_key {
	__u32 dev;  /* directory (dev, ino); 0/0 for the failed-open filter */
	__u32 kind; /* IDT_NAME_* */
	__u64 ino;
	char name[IDT_WATCH_NAME_MAX]; /* zero-padded */
};

/* Per watched directory (and, at dev 0 / ino 0 in watch_dirs, the
 * failed-open filter): which candidate keys to try. */
struct idt_dir_watch {
	__u32 any_type;     /* non-zero: every name in this directory is a credential of this type */
	__u8 prefix_lens[IDT_MAX_LENS]; /* 0 = unused */
	__u8 suffix_lens[IDT_MAX_LENS];
	__u8 exclude_lens[IDT_MAX_LENS]; /* suffix lengths of IDT_NAME_EXCLUDE keys */
	__u32 parent_names; /* failed-open filter: IDT_NAME_PARENT keys exist */
};

/* idt_open.match */
#define IDT_MATCH_INODE 1 /* the opened file's (dev, ino) is watched */
#define IDT_MATCH_DIR 2   /* its directory is watched and its name matches */
#define IDT_MATCH_NAME 3  /* a failed open whose basename is watched */
/* A successful open in a mount namespace the daemon has not dealt with yet
 * (a container whose files are not scanned yet): its dentry's name is a
 * watched name. The daemon checks the whole path against the rules. */
#define IDT_MATCH_CONTAINER 4

/* Mount namespaces the files probe leaves to the watch maps (mntns_known,
 * by idt_open.mntns_id; filled by the daemon): */
#define IDT_MNTNS_SCANNED 1 /* a container whose files are in the watch maps */
#define IDT_MNTNS_UNWATCHED 2 /* a private mount namespace that is no container, or a container
			       * the daemon does not watch (its table is full) */
#define IDT_MNTNS_PENDING 3 /* put by the probe with its IDT_EV_MNTNS record: names still checked */

#define IDT_OPEN_PATH_MAX 1024
/* The file's dentries up to its file system's root (IDT_MATCH_CONTAINER):
 * names, leaf first, each NUL-terminated. */
#define IDT_OPEN_WALK_MAX 1024
#define IDT_OPEN_WALK_DEPTH 24
#define IDT_WALK_ROOT_UNSEEN 0xffffffffu /* idt_open.root_depth: the walk did not pass it */

/* idt_open.walk_flags */
#define IDT_WALK_TOP 1 /* the walk reached its file system's root: walk is the whole path in it */

/* idt_open.syscall */
#define IDT_SYS_OPEN 1
#define IDT_SYS_OPENAT 2
#define IDT_SYS_OPENAT2 3
#define IDT_SYS_CREAT 4
#define IDT_SYS_OPEN_BY_HANDLE_AT 5 /* no path: the file and its directory only */
/* io_uring's IORING_OP_OPENAT and IORING_OP_OPENAT2, seen at their completion
 * (the path as given is the kernel's copy of it, taken at submission). _FIXED:
 * the file went into the ring's fixed-file table, and ret is its slot, not an
 * fd. Each _FIXED is its plain id + 2. */
#define IDT_SYS_IO_URING_OPENAT 6
#define IDT_SYS_IO_URING_OPENAT2 7
#define IDT_SYS_IO_URING_OPENAT_FIXED 8
#define IDT_SYS_IO_URING_OPENAT2_FIXED 9
/* or'ed into an open syscall's id: it was made through the 32-bit (ia32)
 * system call interface (int 0x80, sysenter, a 32-bit program) */
#define IDT_SYS_ABI_IA32 0x100
#define IDT_SYS_ID_MASK 0xff

struct idt_open {
	struct idt_hdr hdr;
	__s32 ret;       /* fd, or negative errno */
	__u32 flags;     /* open flags */
	__s32 dfd;       /* directory fd for openat/openat2 (AT_FDCWD = -100) */
	__u32 syscall;   /* IDT_SYS_* */
	__u32 match;     /* IDT_MATCH_* */
	__u32 cred_type; /* from the matching watch entry */
	__u32 dev;       /* kernel encoding; 0 for a failed open */
	__u32 uid, euid;
	__u32 loginuid;
	__u64 ino;
	__u64 dir_ino;   /* the directory of a IDT_MATCH_DIR file (dev: dir_dev) */
	__u32 dir_dev;
	__u32 _pad;
	__u64 cgroup_id;
	__u64 start_ns;  /* task start, to match the process record */
	struct idt_span path; /* the path as the caller passed it */
	struct idt_span name; /* the dentry's name (successful opens) */
	/* IDT_MATCH_CONTAINER only (else zero): */
	__u32 mntns;      /* mount namespace: inode number */
	__u32 walk_flags; /* IDT_WALK_* */
	__u64 mntns_id;   /* mount namespace id */
	struct idt_span walk; /* the dentry names up to the file system's root, leaf first */
	__u32 root_depth; /* of those, how many are below the process's root directory:
			   * the path it names the file by; IDT_WALK_ROOT_UNSEEN */
	__u32 _pad2;
	__u64 ctime_ns;   /* the file's change time at the open (0 for a failed open): with
			   * (dev, ino), the file as it was, even once replaced and its
			   * inode number given to another */
	/* tail: path, name, walk */
};

/* The first open the probe saw in a mount namespace that is neither the
 * daemon's nor in mntns_known: the daemon is to tell it what the namespace
 * is (a container to scan, or none), so that its opens stop costing a name
 * check. Once per namespace (the probe puts it in mntns_known as
 * IDT_MNTNS_PENDING). */
struct idt_mntns {
	struct idt_hdr hdr;
	__u64 start_ns;  /* task start, to match the process record */
	__u64 cgroup_id;
	__u64 mntns_id;
	__u32 mntns;     /* inode number */
	__u32 _pad;
};

/* TLS libraries (idt_tls_*.lib) */
#define IDT_TLS_OPENSSL 1
#define IDT_TLS_GNUTLS 2
#define IDT_TLS_GO 3 /* Go's crypto/tls, linked into the program */

#define IDT_TLS_DATA_MAX 16384 /* bytes of one write captured; power of two */
/* Of a write larger than IDT_TLS_DATA_MAX, its last bytes (at most this many) are captured too,
 * after the first IDT_TLS_DATA_MAX: an HTTP/2 client
 * writes a frame's payload and the next frame's 9-byte header in one call (curl: 16384 + 9),
 * and a parser that missed that header has lost the stream. */
#define IDT_TLS_TAIL_MAX 64
#define IDT_TLS_SNI_MAX 256

/* Every TLS record names its session by the library's session pointer (SSL *,
 * gnutls_session_t) within the writing process: (hdr.pid, session). */
struct idt_tls_data {
	struct idt_hdr hdr;
	__u64 session;
	__u64 start_ns; /* task start, to match the process record */
	__u32 lib;      /* IDT_TLS_* */
	__u32 total;    /* bytes the call wrote */
	__u32 len;      /* bytes captured in the tail (<= total, <= IDT_TLS_DATA_MAX + last) */
	__u32 last;     /* of those, bytes that are the write's last ones (<= IDT_TLS_TAIL_MAX):
			 * the total - len bytes before them were not captured */
	/* tail: len bytes of plaintext */
};

/* idt_tls_conn.family */
#define IDT_AF_INET 2
#define IDT_AF_INET6 10

struct idt_tls_conn {
	struct idt_hdr hdr;
	__u64 session;
	__u64 start_ns;
	__u32 lib;
	__s32 fd;
	__u16 family; /* IDT_AF_*, 0 when the fd is not an inet socket */
	__u16 lport;  /* host order */
	__u16 rport;  /* host order */
	__u16 flags;  /* IDT_TLS_CONN_* */
	__u8 laddr[16]; /* IPv4 in the first 4 bytes */
	__u8 raddr[16];
};

/* A TLS session within a process: the key of the probes' session map
 * (tls_sessions), which the daemon also writes. Its value is the session's
 * socket fd, or IDT_TLS_SESSION_SERVER for the server side of a session. */
struct idt_tls_session_key {
	__u32 tgid;
	__u32 _pad;
	__u64 session; /* the library's session pointer */
};

#define IDT_TLS_SESSION_SERVER (-2)

/* idt_tls_conn.flags: the socket was found by a read or write call, not by
 * the handshake (made before the daemon started, or before its library was
 * attached): the session may be a server's whose SSL_accept was not seen. */
#define IDT_TLS_CONN_START_UNSEEN 1

struct idt_tls_sni {
	struct idt_hdr hdr;
	__u64 session;
	__u64 start_ns;
	__u32 lib;
	__u32 len; /* bytes of name, no NUL */
	char name[IDT_TLS_SNI_MAX];
};

struct idt_tls_close {
	struct idt_hdr hdr;
	__u64 session;
	__u64 start_ns;
	__u32 lib;
	__u32 _pad;
};

/* A process mapped a file named libssl* or libgnutls* executable (ld.so
 * loading it, at exec or dlopen): each file once, to have it attached before
 * the process's first TLS call. */
struct idt_tls_lib {
	struct idt_hdr hdr;
	__u64 ino;
	__u32 dev; /* kernel encoding */
	__u32 _pad;
	__u64 ctime_ns; /* the file's change time: with (dev, ino), which file */
};

/* A cgroup was made: its id and path, so a container that is gone (its
 * cgroup removed) before the daemon resolves its processes' cgroup ids is
 * still placed. */
#define IDT_CGROUP_PATH_MAX 512

struct idt_cgroup {
	struct idt_hdr hdr;
	__u64 id;  /* kernfs id, as exec records it */
	__u32 v1;  /* 1: the v1 hierarchy exec records (cgroup_v1_id), 0: cgroup2 */
	__u32 len; /* of path, without its NUL; path is NUL-terminated */
	char path[IDT_CGROUP_PATH_MAX]; /* under the hierarchy's root: "/docker/ID" */
};

#endif /* IDTRACE_WIRE_H */
