// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Outbound TLS: the plaintext a process hands to OpenSSL (SSL_write,
 * SSL_write_ex) or GnuTLS (gnutls_record_send), the server name it sets,
 * and the socket underneath, without reading either library's private
 * structs.
 *
 * How the socket is found: while a thread is inside a TLS call (a "mark",
 * per thread), the library writes ciphertext with write/sendto/sendmsg/
 * writev; the first such syscall of a session gives its fd, and the fd's
 * struct sock gives the 4-tuple. Each session (the library's session
 * pointer within a process) is resolved once; later calls find it in
 * tls_conns and skip the lookup.
 *
 * The programs are attached by the loader to every libssl / libgnutls it
 * finds (uprobes by symbol name), so one program serves many libraries.
 * BPF_KPROBE/BPF_KRETPROBE are used for uprobes too: the same pt_regs
 * accessors, and libbpf 1.1 (Debian 12) has no BPF_UPROBE.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_tracing.h>
#include "idtrace_wire.h"
#include "common.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile __u32 self_tgid = 0; /* the daemon's own TLS (syslog, Kafka sinks) is not traced */

#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define SSL_CTRL_SET_TLSEXT_HOSTNAME 55

enum mark_kind {
	MARK_WRITE = 1,	   /* returns the bytes written (SSL_write, gnutls_record_send) */
	MARK_WRITE_EX = 2, /* returns 1, bytes in *written (SSL_write_ex) */
	MARK_HANDSHAKE = 3,
};

/* A thread inside a TLS call. */
struct tls_mark {
	__u64 session;
	__u64 buf;
	__u64 written_ptr; /* SSL_write_ex's size_t *written */
	__u32 lib;
	__u32 kind;
	__u32 depth; /* nested calls on the same session (SSL_connect -> SSL_do_handshake) */
	__u32 need_conn;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32); /* tid */
	__type(value, struct tls_mark);
} tls_marks SEC(".maps");

struct session_key {
	__u32 tgid;
	__u32 _pad;
	__u64 session;
};

/* Sessions whose socket was already reported. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct session_key);
	__type(value, __u8);
} tls_conns SEC(".maps");

/* Sessions of the server side (SSL_accept, SSL_set_accept_state, a GnuTLS
 * session made with GNUTLS_SERVER): inbound, not calls this process makes;
 * never traced. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct session_key);
	__type(value, __u8);
} tls_servers SEC(".maps");

/* gnutls_init(&session, flags): the session pointer is known on return. */
struct gnutls_init_args {
	__u64 session_out;
	__u32 flags;
	__u32 _pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32); /* tid */
	__type(value, struct gnutls_init_args);
} gnutls_inits SEC(".maps");

#define GNUTLS_SERVER 1

struct tls_scratch {
	struct idt_tls_data ev;
	__u8 data[2 * IDT_TLS_DATA_MAX]; /* twice the cap: room for the verifier's mask */
};

/* Too large for a per-CPU array value: a plain array indexed by CPU (the
 * loader sizes it); uprobe programs run with migration disabled. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tls_scratch);
} tls_scratch SEC(".maps");

static __always_inline bool is_self(void)
{
	return self_tgid && (bpf_get_current_pid_tgid() >> 32) == self_tgid;
}

static __always_inline void fill_hdr(struct idt_hdr *h, __u32 type)
{
	__u64 id = bpf_get_current_pid_tgid();

	h->type = type;
	h->version = IDT_WIRE_VERSION;
	h->ts_ns = bpf_ktime_get_boot_ns();
	h->pid = id >> 32;
	h->tid = (__u32)id;
}

static __always_inline __u64 task_start(void)
{
	struct task_struct *task = bpf_get_current_task_btf();

	return BPF_CORE_READ(task, group_leader, start_boottime);
}

static __always_inline int mark_enter(__u64 session, __u64 buf, __u64 written_ptr, __u32 lib,
				      __u32 kind)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct session_key key = { .tgid = bpf_get_current_pid_tgid() >> 32, .session = session };
	struct tls_mark *m, fresh = {};

	if (is_self() || !session || bpf_map_lookup_elem(&tls_servers, &key))
		return 0;
	m = bpf_map_lookup_elem(&tls_marks, &tid);
	if (m && m->session == session) {
		m->depth++;
		return 0;
	}
	fresh.session = session;
	fresh.buf = buf;
	fresh.written_ptr = written_ptr;
	fresh.lib = lib;
	fresh.kind = kind;
	fresh.depth = 1;
	fresh.need_conn = !bpf_map_lookup_elem(&tls_conns, &key);
	bpf_map_update_elem(&tls_marks, &tid, &fresh, BPF_ANY);
	return 0;
}

static __always_inline void emit_data(const struct tls_mark *m, __u64 total)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct tls_scratch *s;
	__u64 n = total;

	if (!total)
		return;
	s = bpf_map_lookup_elem(&tls_scratch, &cpu);
	if (!s)
		return;
	if (n > IDT_TLS_DATA_MAX) {
		n = IDT_TLS_DATA_MAX;
		count(IDT_CNT_TLS_TRUNC);
	}
	VERIFIER_MASK(n, 32767);
	if (!n || bpf_probe_read_user(s->data, n, (const void *)m->buf))
		return;
	fill_hdr(&s->ev.hdr, IDT_EV_TLS_DATA);
	s->ev.session = m->session;
	s->ev.start_ns = task_start();
	s->ev.lib = m->lib;
	s->ev.total = total > 0xffffffffull ? 0xffffffffu : (__u32)total;
	s->ev.len = n;
	s->ev._pad = 0;
	if (bpf_ringbuf_output(&events, s, sizeof(s->ev) + n, rb_flags()))
		count(IDT_CNT_LOST_TLS);
	else
		count(IDT_CNT_TLS_DATA);
}

/* Return from a marked call; ret is the function's return value. */
static __always_inline int mark_exit(long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct tls_mark *m = bpf_map_lookup_elem(&tls_marks, &tid);
	__u64 written = 0;

	if (!m)
		return 0;
	if (m->depth > 1) {
		m->depth--;
		return 0;
	}
	if (m->kind == MARK_WRITE && ret > 0)
		emit_data(m, ret);
	else if (m->kind == MARK_WRITE_EX && ret == 1 && m->written_ptr &&
		 !bpf_probe_read_user(&written, sizeof(written), (const void *)m->written_ptr))
		emit_data(m, written);
	bpf_map_delete_elem(&tls_marks, &tid);
	return 0;
}

/* The fd of a marked thread's ciphertext write: report its socket once per
 * session. */
static __always_inline int on_socket_write(long fd)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct task_struct *task;
	struct tls_mark *m = bpf_map_lookup_elem(&tls_marks, &tid);
	struct session_key key = {};
	struct idt_tls_conn *c;
	struct file **fds, *f;
	struct socket *sock;
	struct sock *sk;
	unsigned int max;
	__u8 one = 1;

	if (!m || !m->need_conn || fd < 0)
		return 0;
	m->need_conn = 0;
	c = bpf_ringbuf_reserve(&events, sizeof(*c), 0);
	if (!c) {
		count(IDT_CNT_LOST_TLS);
		return 0;
	}
	__builtin_memset(c, 0, sizeof(*c));
	fill_hdr(&c->hdr, IDT_EV_TLS_CONN);
	c->session = m->session;
	c->start_ns = task_start();
	c->lib = m->lib;
	c->fd = fd;
	task = bpf_get_current_task_btf();
	max = BPF_CORE_READ(task, files, fdt, max_fds);
	fds = BPF_CORE_READ(task, files, fdt, fd);
	if (fd >= max || bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]) || !f)
		goto out;
	if ((BPF_CORE_READ(f, f_inode, i_mode) & S_IFMT) != S_IFSOCK)
		goto out;
	sock = BPF_CORE_READ(f, private_data);
	sk = BPF_CORE_READ(sock, sk);
	if (!sk)
		goto out;
	c->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	c->lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	c->rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (c->family == IDT_AF_INET) {
		bpf_core_read(c->laddr, 4, &sk->__sk_common.skc_rcv_saddr);
		bpf_core_read(c->raddr, 4, &sk->__sk_common.skc_daddr);
	} else if (c->family == IDT_AF_INET6) {
		bpf_core_read(c->laddr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
		bpf_core_read(c->raddr, 16, &sk->__sk_common.skc_v6_daddr);
	} else {
		c->family = 0;
	}
out:
	key.tgid = c->hdr.pid;
	key.session = c->session;
	bpf_map_update_elem(&tls_conns, &key, &one, BPF_ANY);
	bpf_ringbuf_submit(c, rb_flags());
	count(IDT_CNT_TLS_CONN);
	return 0;
}

/* counted: GnuTLS passes the name's length (it need not be terminated);
 * OpenSSL a C string. */
static __always_inline int emit_sni(__u64 session, __u32 lib, const void *name, __u64 len,
				    bool counted)
{
	struct idt_tls_sni *e;

	if (is_self() || !session || !name)
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count(IDT_CNT_LOST_TLS);
		return 0;
	}
	fill_hdr(&e->hdr, IDT_EV_TLS_SNI);
	e->session = session;
	e->start_ns = task_start();
	e->lib = lib;
	if (counted) {
		if (len > IDT_TLS_SNI_MAX - 1)
			len = IDT_TLS_SNI_MAX - 1;
		VERIFIER_MASK(len, 255);
		if (bpf_probe_read_user(e->name, len, name))
			len = 0;
		e->name[len & 255] = '\0';
	} else {
		long n = bpf_probe_read_user_str(e->name, sizeof(e->name), name);

		len = n > 0 ? n - 1 : 0;
	}
	e->len = len;
	bpf_ringbuf_submit(e, rb_flags());
	return 0;
}

static __always_inline int mark_server(__u64 session)
{
	struct session_key key = { .tgid = bpf_get_current_pid_tgid() >> 32, .session = session };
	__u8 one = 1;

	if (session && !is_self())
		bpf_map_update_elem(&tls_servers, &key, &one, BPF_ANY);
	return 0;
}

static __always_inline int emit_close(__u64 session, __u32 lib)
{
	struct session_key key = { .tgid = bpf_get_current_pid_tgid() >> 32, .session = session };
	struct idt_tls_close *e;

	if (is_self() || !session)
		return 0;
	bpf_map_delete_elem(&tls_servers, &key);
	/* A session that never wrote left no trace: nothing to close. */
	if (bpf_map_delete_elem(&tls_conns, &key))
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count(IDT_CNT_LOST_TLS);
		return 0;
	}
	fill_hdr(&e->hdr, IDT_EV_TLS_CLOSE);
	e->session = session;
	e->start_ns = task_start();
	e->lib = lib;
	e->_pad = 0;
	bpf_ringbuf_submit(e, rb_flags());
	return 0;
}

/* OpenSSL 1.1 and 3 */

SEC("uprobe")
int BPF_KPROBE(idt_ssl_write, void *ssl, const void *buf, int num)
{
	return mark_enter((__u64)ssl, (__u64)buf, 0, IDT_TLS_OPENSSL, MARK_WRITE);
}

SEC("uretprobe")
int BPF_KRETPROBE(idt_ssl_write_ret, int ret)
{
	return mark_exit(ret);
}

SEC("uprobe")
int BPF_KPROBE(idt_ssl_write_ex, void *ssl, const void *buf, size_t num, size_t *written)
{
	return mark_enter((__u64)ssl, (__u64)buf, (__u64)written, IDT_TLS_OPENSSL, MARK_WRITE_EX);
}

SEC("uretprobe")
int BPF_KRETPROBE(idt_ssl_write_ex_ret, int ret)
{
	return mark_exit(ret);
}

/* SSL_connect and SSL_do_handshake: a session's socket is learned from the
 * handshake's own writes, so a session that never sends data is seen too. */
SEC("uprobe")
int BPF_KPROBE(idt_ssl_handshake, void *ssl)
{
	return mark_enter((__u64)ssl, 0, 0, IDT_TLS_OPENSSL, MARK_HANDSHAKE);
}

SEC("uretprobe")
int BPF_KRETPROBE(idt_ssl_handshake_ret, int ret)
{
	return mark_exit(0);
}

/* SSL_set_tlsext_host_name() is a macro over SSL_ctrl. */
SEC("uprobe")
int BPF_KPROBE(idt_ssl_ctrl, void *ssl, int cmd, long larg, void *parg)
{
	if (cmd != SSL_CTRL_SET_TLSEXT_HOSTNAME)
		return 0;
	return emit_sni((__u64)ssl, IDT_TLS_OPENSSL, parg, 0, false);
}

/* SSL_accept and SSL_set_accept_state: the server side of a session. */
SEC("uprobe")
int BPF_KPROBE(idt_ssl_server, void *ssl)
{
	return mark_server((__u64)ssl);
}

SEC("uprobe")
int BPF_KPROBE(idt_ssl_free, void *ssl)
{
	return emit_close((__u64)ssl, IDT_TLS_OPENSSL);
}

/* GnuTLS */

SEC("uprobe")
int BPF_KPROBE(idt_gnutls_send, void *session, const void *data, size_t size)
{
	return mark_enter((__u64)session, (__u64)data, 0, IDT_TLS_GNUTLS, MARK_WRITE);
}

SEC("uretprobe")
int BPF_KRETPROBE(idt_gnutls_send_ret, long ret)
{
	return mark_exit(ret);
}

SEC("uprobe")
int BPF_KPROBE(idt_gnutls_handshake, void *session)
{
	return mark_enter((__u64)session, 0, 0, IDT_TLS_GNUTLS, MARK_HANDSHAKE);
}

SEC("uretprobe")
int BPF_KRETPROBE(idt_gnutls_handshake_ret, int ret)
{
	return mark_exit(0);
}

SEC("uprobe")
int BPF_KPROBE(idt_gnutls_sni, void *session, int type, const void *name, size_t len)
{
	return emit_sni((__u64)session, IDT_TLS_GNUTLS, name, len, true);
}

SEC("uprobe")
int BPF_KPROBE(idt_gnutls_init, void *session_out, unsigned int flags)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct gnutls_init_args a = { .session_out = (__u64)session_out, .flags = flags };

	if (!(flags & GNUTLS_SERVER) || is_self())
		return 0;
	bpf_map_update_elem(&gnutls_inits, &tid, &a, BPF_ANY);
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(idt_gnutls_init_ret, int ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct gnutls_init_args *a = bpf_map_lookup_elem(&gnutls_inits, &tid);
	__u64 session = 0;

	if (!a)
		return 0;
	if (ret == 0 && !bpf_probe_read_user(&session, sizeof(session), (void *)a->session_out))
		mark_server(session);
	bpf_map_delete_elem(&gnutls_inits, &tid);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(idt_gnutls_deinit, void *session)
{
	return emit_close((__u64)session, IDT_TLS_GNUTLS);
}

/* The ciphertext writes of marked threads: one raw tracepoint on every
 * syscall exit (a compare of the syscall number for all others), with the
 * per-syscall trace events as the fallback. Those cost every syscall on the
 * host more: an enabled sys_enter trace event sends each syscall through the
 * perf path. */

const volatile long nr_write = -1, nr_sendto = -1, nr_sendmsg = -1, nr_writev = -1;

SEC("tp_btf/sys_exit")
int BPF_PROG(idt_tls_sys_exit, struct pt_regs *regs, long ret)
{
	long nr = syscall_nr(regs);

	if (nr != nr_write && nr != nr_sendto && nr != nr_sendmsg && nr != nr_writev)
		return 0;
	return on_socket_write(PT_REGS_PARM1_CORE_SYSCALL(regs));
}

SEC("tp/syscalls/sys_enter_write")
int idt_tls_sys_write(struct trace_event_raw_sys_enter *ctx)
{
	return on_socket_write(ctx->args[0]);
}

SEC("tp/syscalls/sys_enter_sendto")
int idt_tls_sys_sendto(struct trace_event_raw_sys_enter *ctx)
{
	return on_socket_write(ctx->args[0]);
}

SEC("tp/syscalls/sys_enter_sendmsg")
int idt_tls_sys_sendmsg(struct trace_event_raw_sys_enter *ctx)
{
	return on_socket_write(ctx->args[0]);
}

SEC("tp/syscalls/sys_enter_writev")
int idt_tls_sys_writev(struct trace_event_raw_sys_enter *ctx)
{
	return on_socket_write(ctx->args[0]);
}
