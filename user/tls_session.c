// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "hpack.h"
#include "http1.h"
#include "tls_session.h"

#define TLS_BUCKETS 4096 /* power of two */
#define TLS_HELD_MAX 8	 /* writes a session holds while its socket is unknown */

_Static_assert(TLS_SNIFF_MAX > HTTP1_METHOD_MAX, "the bytes kept tell a method from a non-method");

/* One write held for later parsing. */
struct tls_held_write {
	uint64_t ts, total;
	size_t len, last;
	unsigned char *data;
};

struct tls_held {
	uint64_t since; /* ts of the first write held */
	int n;
	struct tls_held_write w[TLS_HELD_MAX];
};

struct tls_sessions {
	struct tls_session *buckets[TLS_BUCKETS];
	struct tls_session lru; /* sentinel: lru.next is the least recently used */
	size_t count, max;
	uint64_t evicted;
	uint64_t server_dropped; /* server sessions found by their socket, dropped */
	const struct tls_sessions_ops *ops;
	void *arg;
	uint64_t now; /* ts of the record being handled, for callbacks */
	struct tls_session waiting; /* sentinel: sessions holding plaintext, oldest first */
};

const char *tls_lib_name(uint32_t lib)
{
	return lib == IDT_TLS_OPENSSL ? "openssl"
	       : lib == IDT_TLS_GNUTLS ? "gnutls"
	       : lib == IDT_TLS_GO     ? "go"
				       : "unknown";
}

static size_t bucket_of(uint32_t pid, uint64_t session)
{
	uint64_t h = (session ^ ((uint64_t)pid << 32 | pid)) * 0x9e3779b97f4a7c15ull;

	return (size_t)(h >> 52) & (TLS_BUCKETS - 1);
}

struct tls_sessions *tls_sessions_new(size_t max, const struct tls_sessions_ops *ops, void *arg)
{
	struct tls_sessions *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->max = max ? max : 1;
	t->ops = ops;
	t->arg = arg;
	t->lru.next = t->lru.prev = &t->lru;
	t->waiting.wnext = t->waiting.wprev = &t->waiting;
	return t;
}

static void lru_unlink(struct tls_session *s)
{
	s->prev->next = s->next;
	s->next->prev = s->prev;
}

static void lru_push(struct tls_sessions *t, struct tls_session *s)
{
	s->prev = t->lru.prev;
	s->next = &t->lru;
	t->lru.prev->next = s;
	t->lru.prev = s;
}

static struct tls_session **slot_of(struct tls_sessions *t, uint32_t pid, uint64_t session)
{
	struct tls_session **pp = &t->buckets[bucket_of(pid, session)];

	while (*pp && !((*pp)->pid == pid && (*pp)->session == session))
		pp = &(*pp)->hnext;
	return pp;
}

static void release_held(struct tls_sessions *t, struct tls_session *s);

/* Report (when it carried no request) and free a session. */
static void end_session(struct tls_sessions *t, struct tls_session *s, uint64_t ts)
{
	struct tls_session **pp;

	release_held(t, s); /* its requests come before its end */
	pp = slot_of(t, s->pid, s->session);

	if (*pp == s)
		*pp = s->hnext;
	lru_unlink(s);
	t->count--;
	if (s->proto == TLS_PROTO_UNKNOWN && s->sniff_len)
		s->proto = TLS_PROTO_OTHER; /* wrote a few bytes, never a request */
	/* a session that never reached a socket nor wrote (its connect
	 * failed before the handshake) made no call at all */
	if (!s->requests && !s->server && !s->forked && (s->have_conn || s->bytes) &&
	    t->ops->ended)
		t->ops->ended(s, ts, t->arg);
	http1_parser_free(s->h1);
	h2_conn_free(s->h2);
	free(s);
}

/* A session new to a process forked after the handshake (a fork copy, no
 * exec): the forker's session of the same pointer is the same connection,
 * whose server name and socket the child's records never give again. */
static void inherit(struct tls_sessions *t, struct tls_session *s)
{
	struct tls_session *parent;
	uint64_t pstart;
	uint32_t ppid;

	if (!t->ops->forked_from || !t->ops->forked_from(s->pid, s->start_ns, &ppid, &pstart, t->arg))
		return;
	parent = *slot_of(t, ppid, s->session);
	if (!parent || parent->lib != s->lib || parent->server ||
	    (pstart && parent->start_ns && parent->start_ns != pstart))
		return;
	memcpy(s->sni, parent->sni, sizeof(s->sni));
	s->have_conn = parent->have_conn;
	s->fd = parent->fd;
	s->local = parent->local;
	s->remote = parent->remote;
	s->start_unseen = parent->start_unseen;
	parent->forked = true;
}

/* Find or create the session of a record; it becomes the most recent. */
static struct tls_session *get(struct tls_sessions *t, const struct idt_hdr *h, uint64_t session,
			       uint64_t start_ns, uint32_t lib)
{
	struct tls_session **pp = slot_of(t, h->pid, session), *s = *pp;

	if (s && s->start_ns != start_ns && start_ns) {
		/* the pid was reused by another process: the old one is over */
		end_session(t, s, h->ts_ns);
		s = NULL;
	}
	if (s) {
		lru_unlink(s);
		lru_push(t, s);
		s->last_ns = h->ts_ns;
		return s;
	}
	if (t->count >= t->max) {
		t->evicted++;
		end_session(t, t->lru.next, h->ts_ns);
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->pid = h->pid;
	s->session = session;
	s->start_ns = start_ns;
	s->lib = lib;
	s->fd = -1;
	s->first_ns = s->last_ns = h->ts_ns;
	inherit(t, s);
	pp = slot_of(t, h->pid, session);
	s->hnext = *pp;
	*pp = s;
	lru_push(t, s);
	t->count++;
	return s;
}

struct feed_ctx {
	struct tls_sessions *t;
	struct tls_session *s;
};

static void on_request(const struct http_request *req, void *arg)
{
	struct feed_ctx *fc = arg;

	fc->s->requests++;
	if (fc->t->ops->request)
		fc->t->ops->request(fc->s, req, fc->t->now, fc->t->arg);
}

/* Decide the protocol from the first plaintext, or after a lost HTTP/1
 * stream from a write that starts a new request line. */
static void detect(struct tls_session *s, const void *data, size_t len)
{
	if (s->proto == TLS_PROTO_UNKNOWN && h2_looks_like_preface(data, len)) {
		s->h2 = h2_conn_new();
		s->proto = s->h2 ? TLS_PROTO_HTTP2 : TLS_PROTO_OTHER;
	} else if (s->proto == TLS_PROTO_UNKNOWN && s->start_unseen &&
		   h2_looks_like_frames(data, len)) {
		/* an HTTP/2 connection made before the daemon, joined mid-stream */
		s->h2 = h2_conn_new_midstream();
		s->proto = s->h2 ? TLS_PROTO_HTTP2 : TLS_PROTO_OTHER;
	} else if ((s->proto == TLS_PROTO_UNKNOWN || s->proto == TLS_PROTO_HTTP1) &&
		   http1_looks_like(data, len)) {
		s->h1 = http1_parser_new();
		s->proto = s->h1 ? TLS_PROTO_HTTP1 : TLS_PROTO_OTHER;
	} else if (s->proto == TLS_PROTO_UNKNOWN) {
		s->proto = TLS_PROTO_OTHER;
	}
}

/* Run captured bytes, then gap bytes not captured, through the session's parser. */
static void parse(struct tls_sessions *t, struct tls_session *s, const void *data, size_t len,
		  size_t gap)
{
	struct feed_ctx fc = { t, s };
	int err = 0;

	if (s->h2) {
		err = h2_conn_feed(s->h2, data, len, on_request, &fc);
		/* the stream lost: said from the cut request on */
		if (!err && h2_conn_skip_loses(s->h2, gap))
			s->lost_sync = true;
		err = err ?: h2_conn_skip(s->h2, gap, on_request, &fc);
	} else if (s->h1) {
		err = http1_parser_feed(s->h1, data, len, on_request, &fc);
		if (err && !s->requests && !s->lost_sync) {
			/* the bytes only looked like a request line ("EHLO x"): not HTTP */
			http1_parser_free(s->h1);
			s->h1 = NULL;
			s->proto = TLS_PROTO_OTHER;
			return;
		}
		err = err ?: http1_parser_skip(s->h1, gap);
		if (err) {
			/* resynchronise at the next write that starts a request */
			http1_parser_free(s->h1);
			s->h1 = NULL;
		}
	}
	if (err)
		s->lost_sync = true;
}

/* Before the protocol is known: add the write to the bytes kept, and decide once they tell.
 * A client that writes its request a few bytes at a time ("G", "E", "T", " /") would
 * otherwise be judged on "G" alone, and its session called not HTTP. True when the write
 * was kept and nothing is to be parsed yet. */
static bool sniff(struct tls_session *s, const void *data, size_t len, size_t gap)
{
	size_t n = sizeof(s->sniff) - s->sniff_len;

	if (n > len)
		n = len;
	memcpy(s->sniff + s->sniff_len, data, n);
	if (!gap && n == len && s->sniff_len + n < sizeof(s->sniff) &&
	    http1_may_start(s->sniff, s->sniff_len + n)) {
		s->sniff_len += (uint8_t)n;
		return true;
	}
	detect(s, s->sniff, s->sniff_len + n);
	return false;
}

/* A write of total bytes, of which len were captured: the first len - last, and its last ones. */
static void feed(struct tls_sessions *t, struct tls_session *s, uint64_t ts, uint64_t total,
		 const void *data, size_t len, size_t last)
{
	size_t gap = total - len, head = len - last;

	t->now = ts;
	s->bytes += total;
	s->uncaptured += gap;
	if (!s->h1 && !s->h2 && head) {
		if (s->proto != TLS_PROTO_UNKNOWN)
			detect(s, data, head);
		else if (sniff(s, data, head, gap))
			return;
	}
	if (s->sniff_len) {
		/* the protocol is decided: the bytes kept before this write come first */
		parse(t, s, s->sniff, s->sniff_len, 0);
		s->sniff_len = 0;
	}
	parse(t, s, data, head, gap);
	if (last)
		parse(t, s, (const unsigned char *)data + head, last, 0);
	if (s->h2)
		h2_conn_write_end(s->h2);
}

/* Stop holding s's writes: parse them, in order, or (a server's) drop them. */
static void stop_holding(struct tls_sessions *t, struct tls_session *s, bool parse)
{
	struct tls_held *h = s->held;

	if (!h)
		return;
	s->held = NULL;
	s->wprev->wnext = s->wnext;
	s->wnext->wprev = s->wprev;
	for (int i = 0; i < h->n; i++) {
		if (parse)
			feed(t, s, h->w[i].ts, h->w[i].total, h->w[i].data, h->w[i].len,
			     h->w[i].last);
		free(h->w[i].data);
	}
	free(h);
}

static void release_held(struct tls_sessions *t, struct tls_session *s)
{
	stop_holding(t, s, true);
}

/* Hold a write of a session whose socket is unknown. False: parse it now. */
static bool hold(struct tls_sessions *t, struct tls_session *s, uint64_t ts, uint64_t total,
		 const void *data, size_t len, size_t last)
{
	struct tls_held_write *w;

	if (!s->held) {
		s->held = calloc(1, sizeof(*s->held));
		if (!s->held)
			return false;
		s->held->since = ts;
		s->wprev = t->waiting.wprev;
		s->wnext = &t->waiting;
		t->waiting.wprev->wnext = s;
		t->waiting.wprev = s;
	}
	if (s->held->n == TLS_HELD_MAX) {
		release_held(t, s);
		return false;
	}
	w = &s->held->w[s->held->n];
	w->data = malloc(len ? len : 1);
	if (!w->data) {
		release_held(t, s);
		return false;
	}
	memcpy(w->data, data, len);
	w->len = len;
	w->last = last;
	w->total = total;
	w->ts = ts;
	s->held->n++;
	return true;
}

void tls_sessions_data(struct tls_sessions *t, const struct idt_tls_data *ev, const void *data,
		       size_t len)
{
	struct tls_session *s = get(t, &ev->hdr, ev->session, ev->start_ns, ev->lib);
	size_t last = ev->last <= len ? ev->last : 0;

	if (!s || s->server)
		return;
	if (!s->have_conn && s->fd < 0 && hold(t, s, ev->hdr.ts_ns, ev->total, data, len, last))
		return;
	feed(t, s, ev->hdr.ts_ns, ev->total, data, len, last);
}

void tls_sessions_release_held(struct tls_sessions *t, uint64_t held_before_ns)
{
	while (t->waiting.wnext != &t->waiting && t->waiting.wnext->held->since < held_before_ns)
		release_held(t, t->waiting.wnext);
}

/* Make s a server's session: what it held is dropped, and it stays in the
 * table only so that the records still on their way (the probes learn it
 * after the daemon) are ignored, and its end is not reported. */
static void make_server(struct tls_sessions *t, struct tls_session *s)
{
	stop_holding(t, s, false);
	http1_parser_free(s->h1);
	h2_conn_free(s->h2);
	s->h1 = NULL;
	s->h2 = NULL;
	s->server = true;
	t->server_dropped++;
}

/* An address as text; an IPv4-mapped IPv6 one (a dual-stack socket's peer
 * reached by an IPv4 address, ::ffff:a.b.c.d) as the IPv4 address it is, so
 * it reads as the same destination as from an IPv4 socket. */
static void format_ip(int af, const uint8_t *addr, char *out, size_t n)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	if (af == AF_INET6 && !memcmp(addr, mapped, sizeof(mapped)))
		inet_ntop(AF_INET, addr + 12, out, n);
	else
		inet_ntop(af, addr, out, n);
}

void tls_sessions_conn(struct tls_sessions *t, const struct idt_tls_conn *ev)
{
	struct tls_session *s = get(t, &ev->hdr, ev->session, ev->start_ns, ev->lib);
	int af = ev->family == IDT_AF_INET6 ? AF_INET6 : AF_INET;

	if (!s || s->server)
		return;
	s->fd = ev->fd;
	if (ev->family == IDT_AF_INET || ev->family == IDT_AF_INET6) {
		s->have_conn = true;
		format_ip(af, ev->laddr, s->local.ip, sizeof(s->local.ip));
		format_ip(af, ev->raddr, s->remote.ip, sizeof(s->remote.ip));
		s->local.port = ev->lport;
		s->remote.port = ev->rport;
	}
	s->start_unseen = ev->flags & IDT_TLS_CONN_START_UNSEEN;
	if ((ev->flags & IDT_TLS_CONN_START_UNSEEN) && s->have_conn && t->ops->is_server &&
	    t->ops->is_server(s, t->arg)) {
		/* a server's session whose SSL_accept was not seen: inbound,
		 * not a call this process makes */
		make_server(t, s);
		return;
	}
	release_held(t, s);
}

/* What Go's hostnameInSNI(name) puts in the hello (the probe sees its
 * argument, config.ServerName): no name for an IP address, bracketed or with
 * a zone, and no trailing dots. */
static void go_sni(char *name)
{
	char host[IDT_TLS_SNI_MAX];
	unsigned char addr[16];
	size_t n = strlen(name);
	char *pct;

	memcpy(host, name, n + 1);
	if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
		memmove(host, host + 1, n - 2);
		host[n - 2] = '\0';
	}
	pct = strrchr(host, '%');
	if (pct && pct > host)
		*pct = '\0';
	if (inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1) {
		name[0] = '\0';
		return;
	}
	while (n && name[n - 1] == '.')
		name[--n] = '\0';
}

void tls_sessions_sni(struct tls_sessions *t, const struct idt_tls_sni *ev)
{
	struct tls_session *s = get(t, &ev->hdr, ev->session, ev->start_ns, ev->lib);

	if (!s)
		return;
	memcpy(s->sni, ev->name, ev->len + 1);
	if (ev->lib == IDT_TLS_GO)
		go_sni(s->sni);
}

void tls_sessions_close(struct tls_sessions *t, uint32_t pid, uint64_t session, uint64_t ts)
{
	struct tls_session *s = *slot_of(t, pid, session);

	if (s)
		end_session(t, s, ts);
}

void tls_sessions_end_pid(struct tls_sessions *t, uint32_t pid, uint64_t ts)
{
	struct tls_session *s, *next;

	if (!t->count)
		return;
	for (s = t->lru.next; s != &t->lru; s = next) {
		next = s->next;
		if (s->pid == pid)
			end_session(t, s, ts);
	}
}

size_t tls_sessions_expire(struct tls_sessions *t, uint64_t idle_before_ns)
{
	size_t n = 0;

	while (t->lru.next != &t->lru && t->lru.next->last_ns < idle_before_ns) {
		end_session(t, t->lru.next, t->lru.next->last_ns);
		n++;
	}
	return n;
}

size_t tls_sessions_count(const struct tls_sessions *t)
{
	return t->count;
}

uint64_t tls_sessions_evicted(const struct tls_sessions *t)
{
	return t->evicted;
}

uint64_t tls_sessions_server_dropped(const struct tls_sessions *t)
{
	return t->server_dropped;
}

void tls_sessions_end_all(struct tls_sessions *t, uint64_t ts)
{
	while (t->lru.next != &t->lru)
		end_session(t, t->lru.next, ts);
}

void tls_sessions_free(struct tls_sessions *t, uint64_t ts)
{
	if (!t)
		return;
	tls_sessions_end_all(t, ts);
	free(t);
}
