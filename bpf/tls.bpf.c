// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Outbound TLS: the plaintext a process hands to OpenSSL (SSL_write,
 * SSL_write_ex) or GnuTLS (gnutls_record_send), the server name it sets,
 * and the socket underneath, without reading either library's private
 * structs.
 *
 * No return probes on the hot path: a call's plaintext is captured at its
 * entry, where buf and num are the arguments. A uretprobe would put its
 * breakpoint on the function's first instruction, which the kernel must
 * single-step, and a trap costs microseconds on the machines this was
 * measured on; entry probes go on an instruction the kernel emulates (see
 * user/uprobe_site.h).
 *
 * How the socket is found: a TLS call leaves a "mark" for its thread; the
 * library then writes ciphertext with write/sendto/sendmsg/writev, and the
 * first such syscall on a socket gives the session's fd, whose struct sock
 * gives the 4-tuple. A read call (SSL_read, SSL_read_ex,
 * gnutls_record_recv) on a session whose socket is not known yet, one
 * opened before the daemon started or before its library was attached that
 * only receives, is resolved by the read/recvfrom/recvmsg/readv it makes
 * underneath. Each session (the library's session pointer within a process)
 * is resolved once; its fd is kept in tls_sessions, and a read on a
 * resolved session costs one lookup.
 *
 * Retries: a write that the socket refused or took in part makes the
 * library return "want write", and the caller must call again with the same
 * buffer and length. So does a write made before the handshake is done
 * ("want read"): Node.js calls SSL_write as soon as a request is queued, on
 * a memory BIO, and again after each handshake step, from a copy of the
 * data. The mark remembers how many bytes the call's socket writes carried
 * and whether one was refused or short; a call on the same session with the
 * same length and first bytes, after one whose data did not go out, is the
 * retry, and its plaintext is not captured twice. A read or handshake step
 * between the two (Node.js pumps its handshake with SSL_read) keeps the
 * write's state.
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

/* A mark older than this that has not found its socket is spent: the call
 * wrote through a memory BIO and the thread's later writes are not its. */
#define MARK_TTL_NS (100ull * 1000 * 1000)
/* A retry comes within this of the attempt it repeats (a handshake's round
 * trip, a socket that drains); later, the same bytes are a new request. */
#define RETRY_WINDOW_NS (3ull * 1000 * 1000 * 1000)

#define MARK_HEAD 16

/* The last TLS call of a thread. */
struct tls_mark {
	__u64 session;
	__u64 buf; /* a write's buffer and length: a retry repeats them */
	__u64 num;
	__u64 ts_ns;
	__u64 written; /* bytes the socket took from writes of this call (and after it) */
	__u64 head[MARK_HEAD / 8]; /* a write's first bytes (zero-padded) */
	__u32 lib;
	__s32 fd;	  /* the session's socket, -1 until known */
	__u8 need_conn;	  /* the socket is not known yet */
	__u8 watch_write; /* the call's socket writes are checked for completeness */
	__u8 incomplete;  /* a socket write of the call was refused or short */
	__u8 is_write;	  /* the call was a write (kept when the mark is spent) */
	__u8 seek_read;	  /* a read call's: the socket may show in a read syscall too */
	__u8 handshake;	  /* a handshake call's (or one came since on this session) */
	__u8 _pad[2];
	__u64 seek_ns; /* when need_conn was set: the search ends MARK_TTL_NS later */
};

/* A thread's mark lives with its task: every write on the host looks for
 * one, and a task's own storage is found without hashing (a write without a
 * mark ran 139 ns here, against 177 ns with an LRU hash keyed by tid); it
 * goes when the thread exits. */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct tls_mark);
} tls_marks SEC(".maps");

/* Sessions the probes know: a client's, whose socket was already reported
 * (its fd), and the server side's (IDT_TLS_SESSION_SERVER: SSL_accept,
 * SSL_set_accept_state, a GnuTLS session made with GNUTLS_SERVER, or one the
 * daemon found to be a server's): inbound, not calls this process makes;
 * never traced. One map, so that every TLS call costs one lookup. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct idt_tls_session_key);
	__type(value, __s32);
} tls_sessions SEC(".maps");

/* A write that did not go out whole, on a session its thread left for
 * another before the retry (see mark_call): length, first bytes, time. */
struct pending_write {
	__u64 num;
	__u64 head[MARK_HEAD / 8];
	__u64 ts_ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct idt_tls_session_key);
	__type(value, struct pending_write);
} tls_pending_writes SEC(".maps");

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

/* Marks of read calls still looking for their socket (seek_read), host
 * wide: while there are none, which is nearly always, every read on the
 * host leaves its exit program at this load instead of a task storage
 * lookup. A thread that exits still looking leaves its count behind: the
 * reads are then checked as if one were looking, which is correct, only
 * slower. */
__u64 read_seekers = 0;

static __always_inline void set_seek_read(struct tls_mark *m, __u8 seek)
{
	if (m->seek_read != seek)
		__sync_fetch_and_add(&read_seekers, seek ? 1 : -1);
	m->seek_read = seek;
}

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
	/* plain loads through the BTF task pointer (fault-safe), no helper calls */
	return bpf_get_current_task_btf()->group_leader->start_boottime;
}

static __always_inline void emit_data(__u64 session, __u32 lib, __u64 buf, __u64 total)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct tls_scratch *s;
	__u64 n = total, last = 0;

	if (!total || !buf)
		return;
	s = bpf_map_lookup_elem(&tls_scratch, &cpu);
	if (!s)
		return;
	if (n > IDT_TLS_DATA_MAX) {
		/* the head, and after it the write's last bytes */
		n = IDT_TLS_DATA_MAX;
		last = total - IDT_TLS_DATA_MAX;
		if (last > IDT_TLS_TAIL_MAX)
			last = IDT_TLS_TAIL_MAX;
		count(IDT_CNT_TLS_TRUNC);
	}
	VERIFIER_MASK(n, 32767);
	if (!n || bpf_probe_read_user(s->data, n, (const void *)buf))
		return;
	VERIFIER_MASK(last, 127); /* 2 * IDT_TLS_TAIL_MAX - 1 */
	if (last && bpf_probe_read_user(s->data + IDT_TLS_DATA_MAX, last,
					(const void *)(buf + total - last)))
		last = 0;
	n += last;
	VERIFIER_MASK(n, 32767);
	fill_hdr(&s->ev.hdr, IDT_EV_TLS_DATA);
	s->ev.session = session;
	s->ev.start_ns = task_start();
	s->ev.lib = lib;
	s->ev.total = total > 0xffffffffull ? 0xffffffffu : (__u32)total;
	s->ev.len = n;
	s->ev.last = last;
	if (bpf_ringbuf_output(&events, s, sizeof(s->ev) + n, rb_flags()))
		count(IDT_CNT_LOST_TLS);
	else
		count(IDT_CNT_TLS_DATA);
}

/* Entry of a TLS call on session: leave the thread's mark. A write (buf,
 * num) is captured here unless it retries a refused one; a read (is_read)
 * or a handshake step only looks for the session's socket, when unknown. */
static __always_inline int mark_call(__u64 session, __u32 lib, bool is_write, bool is_read,
				     __u64 buf, __u64 num)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct idt_tls_session_key key = { .tgid = id >> 32, .session = session };
	struct task_struct *task = bpf_get_current_task_btf();
	struct tls_mark *m, fresh = {};
	__s32 *fd;
	bool retry;

	if (is_self() || !session)
		return 0;
	fd = bpf_map_lookup_elem(&tls_sessions, &key);
	if (fd && *fd == IDT_TLS_SESSION_SERVER)
		return 0;
	m = bpf_task_storage_get(&tls_marks, task, NULL, 0);
	/* A read or handshake step after a write on the session: the socket
	 * writes that follow are its (a handshake's Finished, which Node.js
	 * writes between the refused attempts of its first request), not the
	 * write's data. Counted as the write's, they would pass a retry for a
	 * new request, captured twice. */
	if (!is_write && m && m->session == session)
		m->watch_write = 0;
	if (!is_write && fd)
		return 0; /* a read or handshake on a resolved session: nothing to learn */
	if (!is_write && m && m->session == session) {
		/* the thread's last call was on this session (a write waiting
		 * for its retry, say): search for the socket, keep the rest */
		m->fd = -1;
		if (is_read) {
			set_seek_read(m, 1);
		} else {
			m->need_conn = m->handshake = 1;
			m->seek_ns = bpf_ktime_get_ns();
		}
		return 0;
	}
	if (is_write) {
		__u64 h = num < MARK_HEAD ? num : MARK_HEAD;

		VERIFIER_MASK(h, 31); /* 2 * MARK_HEAD - 1 */
		if (h && bpf_probe_read_user(fresh.head, h, (const void *)buf))
			fresh.head[0] = fresh.head[1] = 0;
	}
	/* the previous write on this session did not go out whole, and this
	 * one repeats its length and first bytes (the buffer may have moved) */
	fresh.ts_ns = fresh.seek_ns = bpf_ktime_get_ns();
	retry = is_write && m && m->is_write && m->session == session && m->num == num &&
		(m->incomplete || m->written < num) && fresh.ts_ns - m->ts_ns < RETRY_WINDOW_NS &&
		m->head[0] == fresh.head[0] && m->head[1] == fresh.head[1];
	/* The thread turns to another session (one thread, many connections:
	 * Node.js) while its write on this one did not go out: kept for the
	 * session's retry, which then finds it there. */
	if (m && m->session != session && m->is_write && (m->incomplete || m->written < m->num)) {
		struct idt_tls_session_key pk = { .tgid = key.tgid, .session = m->session };
		struct pending_write pw = { .num = m->num, .ts_ns = m->ts_ns,
					    .head = { m->head[0], m->head[1] } };

		bpf_map_update_elem(&tls_pending_writes, &pk, &pw, BPF_ANY);
	}
	if (is_write && (!m || m->session != session)) {
		struct pending_write *pw = bpf_map_lookup_elem(&tls_pending_writes, &key);

		if (pw) {
			retry = pw->num == num && fresh.ts_ns - pw->ts_ns < RETRY_WINDOW_NS &&
				pw->head[0] == fresh.head[0] && pw->head[1] == fresh.head[1];
			bpf_map_delete_elem(&tls_pending_writes, &key);
		}
	}
	fresh.session = session;
	fresh.buf = buf;
	fresh.num = num;
	fresh.lib = lib;
	fresh.fd = fd ? *fd : -1;
	fresh.need_conn = !fd && !is_read;
	/* a handshake call, or a later call on the session whose handshake the
	 * thread began (Node.js's SSL_write after SSL_set_connect_state) */
	fresh.handshake = (!is_write && !is_read) || (m && m->session == session && m->handshake);
	fresh.watch_write = is_write;
	fresh.is_write = is_write;
	/* The thread's own mark is rewritten in place: only this thread and its
	 * own syscall exits touch it. */
	if (m) {
		set_seek_read(m, !fd && is_read); /* before the rest, which has it as is */
		fresh.seek_read = m->seek_read;
		*m = fresh;
	} else {
		m = bpf_task_storage_get(&tls_marks, task, &fresh, BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (m)
			set_seek_read(m, !fd && is_read);
	}
	if (retry)
		count(IDT_CNT_TLS_RETRY);
	else if (is_write)
		emit_data(session, lib, buf, num);
	return 0;
}

/* The fd's struct sock, or NULL when fd is not a stream socket (TLS runs
 * over TCP: a resolver's UDP query between a mark and the handshake is not
 * the session's socket). */
static __always_inline struct sock *fd_sock(long fd)
{
	struct file *f = task_fd_file(bpf_get_current_task_btf(), fd);
	struct socket *sock;

	if (!f)
		return NULL;
	if ((BPF_CORE_READ(f, f_inode, i_mode) & S_IFMT) != S_IFSOCK)
		return NULL;
	sock = BPF_CORE_READ(f, private_data);
	if (BPF_CORE_READ(sock, type) != SOCK_STREAM)
		return NULL;
	return BPF_CORE_READ(sock, sk);
}

/* Report session m's socket (fd, whose sock is sk). Found other than by a
 * handshake call, the session's start was not seen: it may be a server's,
 * which the daemon then tells apart (a listener on its port) and marks
 * IDT_TLS_SESSION_SERVER in tls_sessions. */
static __always_inline void emit_conn(struct tls_mark *m, long fd, struct sock *sk)
{
	struct idt_tls_session_key key = { .tgid = bpf_get_current_pid_tgid() >> 32,
					   .session = m->session };
	struct idt_tls_conn *c;
	__s32 fd32 = fd;

	bpf_map_update_elem(&tls_sessions, &key, &fd32, BPF_ANY);
	c = bpf_ringbuf_reserve(&events, sizeof(*c), 0);
	if (!c) {
		count(IDT_CNT_LOST_TLS);
		return;
	}
	__builtin_memset(c, 0, sizeof(*c));
	fill_hdr(&c->hdr, IDT_EV_TLS_CONN);
	c->session = m->session;
	c->start_ns = task_start();
	c->lib = m->lib;
	c->fd = fd;
	c->flags = m->handshake ? 0 : IDT_TLS_CONN_START_UNSEEN;
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
	bpf_ringbuf_submit(c, rb_flags());
	count(IDT_CNT_TLS_CONN);
}

/* Bytes an iovec array asks to write; -1 past the few entries summed. */
static __always_inline long iov_total(const struct iovec *iov, unsigned long cnt)
{
	long total = 0;
	struct iovec v;

	if (cnt > 8)
		return -1;
	for (int i = 0; i < 8; i++) {
		if (i >= cnt)
			break;
		if (bpf_probe_read_user(&v, sizeof(v), &iov[i]))
			return -1;
		total += v.iov_len;
	}
	return total;
}

/* A write-family syscall on fd by this thread, or (by_read) a read-family
 * one that read a TLS record, which has mark m: m when the syscall belongs
 * to m's TLS call, or NULL. Learns the session's socket on the way: a
 * write within MARK_TTL_NS of a write or handshake call; a read at any
 * time after a read call (it may block for as long as the peer is quiet;
 * the record check stands in for the deadline). sk: the socket the
 * syscall used, when the hook gave it (the socket layer's); else NULL and
 * it is found from fd. */
static __always_inline struct tls_mark *socket_mark(struct tls_mark *m, long fd, bool by_read,
						    struct sock *sk)
{
	if (m->fd >= 0)
		return fd == m->fd ? m : NULL;
	if (by_read ? !m->seek_read : !m->need_conn)
		return NULL;
	if (!by_read && bpf_ktime_get_ns() - m->seek_ns > MARK_TTL_NS) {
		m->need_conn = m->watch_write = 0;
		return NULL;
	}
	if (sk) {
		if (BPF_CORE_READ(sk, sk_type) != SOCK_STREAM)
			return NULL;
	} else {
		sk = fd_sock(fd);
		if (!sk)
			return NULL; /* not a socket: the ciphertext write is still to come */
	}
	m->fd = fd;
	m->need_conn = 0;
	set_seek_read(m, 0);
	emit_conn(m, fd, sk);
	return m;
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
	struct idt_tls_session_key key = { .tgid = bpf_get_current_pid_tgid() >> 32, .session = session };
	__s32 server = IDT_TLS_SESSION_SERVER;

	if (session && !is_self())
		bpf_map_update_elem(&tls_sessions, &key, &server, BPF_ANY);
	return 0;
}

static __always_inline int emit_close(__u64 session, __u32 lib)
{
	struct idt_tls_session_key key = { .tgid = bpf_get_current_pid_tgid() >> 32, .session = session };
	struct idt_tls_close *e;
	__s32 *fd;
	bool server;

	if (is_self() || !session)
		return 0;
	fd = bpf_map_lookup_elem(&tls_sessions, &key);
	/* A session that never wrote left no trace, and a server's is not
	 * traced: nothing to close. */
	if (!fd)
		return 0;
	server = *fd == IDT_TLS_SESSION_SERVER;
	if (bpf_map_delete_elem(&tls_sessions, &key) || server)
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
	return mark_call((__u64)ssl, IDT_TLS_OPENSSL, true, false, (__u64)buf, num > 0 ? num : 0);
}

SEC("uprobe")
int BPF_KPROBE(idt_ssl_write_ex, void *ssl, const void *buf, size_t num)
{
	return mark_call((__u64)ssl, IDT_TLS_OPENSSL, true, false, (__u64)buf, num);
}

/* SSL_read and SSL_read_ex: the socket of a session first seen reading. */
SEC("uprobe")
int BPF_KPROBE(idt_ssl_read, void *ssl)
{
	return mark_call((__u64)ssl, IDT_TLS_OPENSSL, false, true, 0, 0);
}

/* SSL_connect and SSL_do_handshake: a session's socket is learned from the
 * handshake's own writes, so a session that never sends data is seen too. */
SEC("uprobe")
int BPF_KPROBE(idt_ssl_handshake, void *ssl)
{
	return mark_call((__u64)ssl, IDT_TLS_OPENSSL, false, false, 0, 0);
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
	return mark_call((__u64)session, IDT_TLS_GNUTLS, true, false, (__u64)data, size);
}

SEC("uprobe")
int BPF_KPROBE(idt_gnutls_recv, void *session)
{
	return mark_call((__u64)session, IDT_TLS_GNUTLS, false, true, 0, 0);
}

SEC("uprobe")
int BPF_KPROBE(idt_gnutls_handshake, void *session)
{
	return mark_call((__u64)session, IDT_TLS_GNUTLS, false, false, 0, 0);
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

/* Go's crypto/tls, linked into the program. Go's register ABI (1.17+):
 * the receiver in RAX, a []byte argument as pointer RBX, length RCX. The
 * *tls.Conn is the session; Write blocks until the data is out, so it has
 * no retries; the ciphertext goes out by write(2) on the same thread. */
#if defined(__TARGET_ARCH_x86)
SEC("uprobe")
int idt_go_write(struct pt_regs *ctx)
{
	return mark_call(ctx->ax, IDT_TLS_GO, true, false, ctx->bx, ctx->cx);
}

SEC("uprobe")
int idt_go_server(struct pt_regs *ctx)
{
	return mark_server(ctx->ax);
}

SEC("uprobe")
int idt_go_close(struct pt_regs *ctx)
{
	return emit_close(ctx->ax, IDT_TLS_GO);
}

/* The server name: clientHandshake(c) builds its hello, which passes
 * config.ServerName to hostnameInSNI(name) (a string: pointer RAX, length
 * RBX). Between the two the goroutine may move to another thread, so the
 * handshake's conn is kept by goroutine: R14 holds the running g, which
 * takes the session's place in the key. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct idt_tls_session_key); /* (tgid, g) */
	__type(value, __u64);            /* the *tls.Conn */
} go_handshakes SEC(".maps");

SEC("uprobe")
int idt_go_handshake(struct pt_regs *ctx)
{
	struct idt_tls_session_key key = { .tgid = bpf_get_current_pid_tgid() >> 32, .session = ctx->r14 };
	__u64 conn = ctx->ax;

	if (is_self() || !conn)
		return 0;
	bpf_map_update_elem(&go_handshakes, &key, &conn, BPF_ANY);
	/* the handshake's own writes give the socket, as for OpenSSL's */
	return mark_call(conn, IDT_TLS_GO, false, false, 0, 0);
}

SEC("uprobe")
int idt_go_sni(struct pt_regs *ctx)
{
	struct idt_tls_session_key key = { .tgid = bpf_get_current_pid_tgid() >> 32, .session = ctx->r14 };
	__u64 *conn = bpf_map_lookup_elem(&go_handshakes, &key);
	__u64 session;

	if (!conn)
		return 0;
	session = *conn;
	bpf_map_delete_elem(&go_handshakes, &key);
	return emit_sni(session, IDT_TLS_GO, (const void *)ctx->ax, ctx->bx, true);
}
#else
/* Go's register ABI is read for x86-64 only: elsewhere the programs exist
 * (the loader names them) and do nothing. */
#define GO_UNSUPPORTED(name)                  \
	SEC("uprobe")                         \
	int name(struct pt_regs *ctx)         \
	{                                     \
		return 0;                     \
	}
GO_UNSUPPORTED(idt_go_write)
GO_UNSUPPORTED(idt_go_server)
GO_UNSUPPORTED(idt_go_close)
GO_UNSUPPORTED(idt_go_handshake)
GO_UNSUPPORTED(idt_go_sni)
#endif

/* The ciphertext writes (and a read call's reads) of marked threads, and
 * the mmaps that load TLS libraries: by default the socket layer's send and
 * receive events (only socket I/O runs a program) and mmap's exit trace
 * event; before 6.3, the write and read syscalls' exit events too (no other
 * syscall runs a program); on the raw sys_exit where those are missing, as
 * a tail call from the credential-open program (one sys_exit program for
 * the host) or on its own. */

const volatile long nr_write = -1, nr_sendto = -1, nr_sendmsg = -1, nr_writev = -1;
const volatile long nr_read = -1, nr_recvfrom = -1, nr_recvmsg = -1, nr_readv = -1;
const volatile long nr_mmap = -1;

#define PROT_EXEC 0x4
#define MAX_ERRNO 4095

/* TLS library files already reported mapped (the daemon attaches to a file
 * once; every later process that maps it is covered), with their change
 * time: a file given the freed inode number of one reported is reported
 * too. The daemon removes a file whose process was gone before it could
 * look, so the next mapping reports it again. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct idt_file_key);
	__type(value, __u64);
} tls_lib_files SEC(".maps");

/* "libssl.so.3", "libssl-1a2b3c4d.so.1.1" (a wheel's bundled copy),
 * "libgnutls.so.30..."; not NSS's "libssl3.so". The daemon judges the rest. */
static __always_inline bool tls_lib_name(const char *n)
{
	if (n[0] != 'l' || n[1] != 'i' || n[2] != 'b')
		return false;
	if (n[3] == 's' && n[4] == 's' && n[5] == 'l')
		return n[6] == '.' || n[6] == '-';
	return n[3] == 'g' && n[4] == 'n' && n[5] == 'u' && n[6] == 't' && n[7] == 'l' &&
	       n[8] == 's' && (n[9] == '.' || n[9] == '-');
}

/* The task's saved user registers: regs, or when NULL the current task's
 * (a helper call, made only once an argument is needed). */
static __always_inline struct pt_regs *user_regs(struct pt_regs *regs)
{
	return regs ?: (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
}

/* An mmap's exit (its saved user registers: regs, NULL for the current
 * task's): a file named like a TLS library mapped executable is the
 * dynamic loader loading it, at exec or at dlopen(). The daemon is woken at
 * once to find it in the process's mappings and attach, while the process
 * is still loading: a library new to the host (a container's own, a
 * program's bundled copy) is traced in that process from when the attach is
 * done (a uprobe's registration takes the kernel's dup_mmap_sem, whose first
 * writer after a quiet spell waits for an RCU grace period),
 * and in every later one from its start. */
static __always_inline void lib_mapped(struct pt_regs *regs, long ret)
{
	struct idt_file_key key = {};
	struct idt_tls_lib *e;
	struct file *f;
	char name[16] = {};
	__u64 ctime, *known;

	if ((unsigned long)ret >= (unsigned long)-MAX_ERRNO)
		return;
	regs = user_regs(regs);
	if (!(PT_REGS_PARM3_CORE_SYSCALL(regs) & PROT_EXEC) || is_self())
		return;
	f = task_fd_file(bpf_get_current_task_btf(), (int)PT_REGS_PARM5_CORE_SYSCALL(regs));
	if (!f)
		return;
	if (bpf_probe_read_kernel_str(name, sizeof(name),
				      BPF_CORE_READ(f, f_path.dentry, d_name.name)) < 0 ||
	    !tls_lib_name(name))
		return;
	key.dev = BPF_CORE_READ(f, f_inode, i_sb, s_dev);
	key.ino = BPF_CORE_READ(f, f_inode, i_ino);
	ctime = inode_ctime_ns(BPF_CORE_READ(f, f_inode));
	known = bpf_map_lookup_elem(&tls_lib_files, &key);
	if (known && *known == ctime)
		return; /* reported already */
	bpf_map_update_elem(&tls_lib_files, &key, &ctime, BPF_ANY);
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		bpf_map_delete_elem(&tls_lib_files, &key); /* the next mapping reports it */
		count(IDT_CNT_LOST_TLS);
		return;
	}
	fill_hdr(&e->hdr, IDT_EV_TLS_LIB);
	e->dev = key.dev;
	e->ino = key.ino;
	e->_pad = 0;
	e->ctime_ns = ctime;
	bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
}

#define TLS_RECORD_HEAD 5 /* content type, version (2), length (2) */

/* Did the read-family syscall nr (which returned at least TLS_RECORD_HEAD
 * bytes) read the start of a TLS record? Its first buffer begins with a
 * record's content type (20-24: change_cipher_spec, alert, handshake,
 * application_data, heartbeat) and version 3.x. A library reads a record's
 * header first, or a run of whole records; the application's own reads
 * (plaintext, another protocol) on the same thread do not look like one. */
static __always_inline bool read_tls_record(long nr, struct pt_regs *regs)
{
	__u64 buf = PT_REGS_PARM2_CORE_SYSCALL(regs);
	struct user_msghdr msg;
	struct iovec v;
	__u8 h[3];

	if (nr == nr_recvmsg) {
		if (bpf_probe_read_user(&msg, sizeof(msg), (const void *)buf))
			return false;
		buf = (__u64)msg.msg_iov;
	}
	if (nr == nr_recvmsg || nr == nr_readv) {
		if (bpf_probe_read_user(&v, sizeof(v), (const void *)buf) ||
		    v.iov_len < TLS_RECORD_HEAD)
			return false;
		buf = (__u64)v.iov_base;
	}
	if (bpf_probe_read_user(h, sizeof(h), (const void *)buf))
		return false;
	return h[0] >= 20 && h[0] <= 24 && h[1] == 3 && h[2] <= 4;
}

static __always_inline bool is_write_nr(long nr)
{
	return nr == nr_write || nr == nr_sendto || nr == nr_writev || nr == nr_sendmsg;
}

static __always_inline bool is_read_nr(long nr)
{
	return nr == nr_read || nr == nr_recvfrom || nr == nr_recvmsg || nr == nr_readv;
}

/* A read-family syscall nr that returned ret, with its saved user
 * registers (NULL: found when needed). At the socket layer's hook, sk is the
 * socket read and nr is read from the registers; else sk is NULL. */
static __always_inline void tls_read(struct pt_regs *regs, long nr, long ret, struct sock *sk)
{
	struct tls_mark *m;

	if (!read_seekers || ret < TLS_RECORD_HEAD)
		return;
	m = bpf_task_storage_get(&tls_marks, bpf_get_current_task_btf(), NULL, 0);
	if (!m || !m->seek_read)
		return;
	regs = user_regs(regs);
	if (sk)
		nr = syscall_nr(regs); /* the socket layer's hook: the syscall under it */
	if (!is_read_nr(nr))
		return; /* io_uring's, splice's: not the library's own read */
	if (read_tls_record(nr, regs))
		socket_mark(m, PT_REGS_PARM1_CORE_SYSCALL(regs), true, sk);
}

/* A write-family syscall nr that returned ret: as tls_read. */
static __always_inline void tls_write(struct pt_regs *regs, long nr, long ret, struct sock *sk)
{
	long requested = -1;
	struct user_msghdr msg;
	struct tls_mark *m;

	m = bpf_task_storage_get(&tls_marks, bpf_get_current_task_btf(), NULL, 0);
	if (!m || !(m->need_conn || m->watch_write))
		return;
	regs = user_regs(regs);
	if (sk)
		nr = syscall_nr(regs);
	if (!is_write_nr(nr))
		return;
	m = socket_mark(m, PT_REGS_PARM1_CORE_SYSCALL(regs), false, sk);
	if (!m || !m->watch_write)
		return;
	/* did the call's write go out whole? */
	if (nr == nr_write || nr == nr_sendto)
		requested = PT_REGS_PARM3_CORE_SYSCALL(regs);
	else if (nr == nr_writev)
		requested = iov_total((const struct iovec *)PT_REGS_PARM2_CORE_SYSCALL(regs),
				      PT_REGS_PARM3_CORE_SYSCALL(regs));
	else if (!bpf_probe_read_user(&msg, sizeof(msg),
				      (const void *)PT_REGS_PARM2_CORE_SYSCALL(regs)))
		requested = iov_total(msg.msg_iov, msg.msg_iovlen);
	m->incomplete = ret < 0 || (requested >= 0 && ret < requested);
	if (ret > 0)
		m->written += ret;
}

/* The exit of syscall nr (one the loader named: a write, read or mmap),
 * with its saved user registers (NULL: found when needed). On the syscall
 * exit hooks, every write, read and mmap on the host comes here: most
 * leave at the thread's mark. */
static __always_inline int on_tls_exit(struct pt_regs *regs, long nr, long ret)
{
	if (nr == nr_mmap)
		lib_mapped(regs, ret);
	else if (is_read_nr(nr))
		tls_read(regs, nr, ret, NULL);
	else if (is_write_nr(nr))
		tls_write(regs, nr, ret, NULL);
	return 0;
}

/* The socket layer's own trace events (6.3+): only sends and receives on
 * sockets run these, not every write and read of the host's files, and
 * they hand over the socket. They fire inside the syscall, once its data
 * has moved: its number and arguments are in the saved user registers. */
SEC("tp_btf/sock_send_length")
int BPF_PROG(idt_tls_sock_send, struct sock *sk, int ret, int flags)
{
	if (!in_ia32_syscall()) /* its number is not the one the loader named */
		tls_write(NULL, 0, ret, sk);
	return 0;
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(idt_tls_sock_recv, struct sock *sk, int ret, int flags)
{
	if (!in_ia32_syscall())
		tls_read(NULL, 0, ret, sk);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(idt_tls_sys_exit, struct pt_regs *regs, long ret)
{
	if (in_ia32_syscall())
		return 0; /* its number is not the one the loader named */
	return on_tls_exit(regs, syscall_nr(regs), ret);
}

/* The trace events give the result; the arguments are in the task's saved
 * user registers, as at the raw tracepoint. */
#define TLS_EXIT_EVENT(name)                                            \
	SEC("tp/syscalls/sys_exit_" #name)                              \
	int idt_tls_exit_##name(struct trace_event_raw_sys_exit *ctx)   \
	{                                                               \
		return on_tls_exit(NULL, nr_##name, ctx->ret);          \
	}

TLS_EXIT_EVENT(write)
TLS_EXIT_EVENT(sendto)
TLS_EXIT_EVENT(sendmsg)
TLS_EXIT_EVENT(writev)
TLS_EXIT_EVENT(read)
TLS_EXIT_EVENT(recvfrom)
TLS_EXIT_EVENT(recvmsg)
TLS_EXIT_EVENT(readv)
TLS_EXIT_EVENT(mmap)
