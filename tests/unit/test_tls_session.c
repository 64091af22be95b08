// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The TLS session table (user/tls_session.c) driven with synthetic probe
 * records: idt_tls_data / idt_tls_conn / idt_tls_sni / close, as the ring
 * buffer would deliver them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nghttp2/nghttp2.h>

#include "tls_session.h"

#define MAX_CALLS 16
#define PID 4242
#define START 1000000000ull /* the process's start_ns */
#define SESS 0x7f0000001000ull

/* One callback, with what it saw copied out (spans die with the call). */
struct call {
	bool ended; /* the ended callback; else request */
	uint32_t pid;
	uint64_t session, start_ns, ts, requests;
	enum tls_proto proto;
	bool lost_sync, have_conn;
	int fd;
	uint32_t lib;
	char sni[IDT_TLS_SNI_MAX];
	struct tls_endpoint local, remote;
	char version[16], method[16], host[HTTP_FIELD_MAX], path[1024], ua[HTTP_FIELD_MAX];
	bool had_query;
	char scheme[32], token[256];
};

struct calls {
	int n;
	struct call c[MAX_CALLS];
};

static struct call *record(struct calls *cs, const struct tls_session *s, uint64_t ts)
{
	struct call *c;

	assert_true(cs->n < MAX_CALLS);
	c = &cs->c[cs->n++];
	memset(c, 0, sizeof(*c));
	c->pid = s->pid;
	c->session = s->session;
	c->start_ns = s->start_ns;
	c->ts = ts;
	c->requests = s->requests;
	c->proto = s->proto;
	c->lost_sync = s->lost_sync;
	c->have_conn = s->have_conn;
	c->fd = s->fd;
	c->lib = s->lib;
	memcpy(c->sni, s->sni, sizeof(c->sni));
	c->local = s->local;
	c->remote = s->remote;
	return c;
}

static void on_request(const struct tls_session *s, const struct http_request *req, uint64_t ts,
		       void *arg)
{
	struct call *c = record(arg, s, ts);

	snprintf(c->version, sizeof(c->version), "%s", req->version);
	snprintf(c->method, sizeof(c->method), "%s", req->method);
	snprintf(c->host, sizeof(c->host), "%s", req->host);
	snprintf(c->path, sizeof(c->path), "%s", req->path);
	snprintf(c->ua, sizeof(c->ua), "%s", req->user_agent);
	snprintf(c->scheme, sizeof(c->scheme), "%s", req->auth.scheme);
	c->had_query = req->path_had_query;
	if (req->auth.token && req->auth.token_len < sizeof(c->token))
		memcpy(c->token, req->auth.token, req->auth.token_len);
}

static void on_ended(const struct tls_session *s, uint64_t ts, void *arg)
{
	record(arg, s, ts)->ended = true;
}

static const struct tls_sessions_ops ops = { .request = on_request, .ended = on_ended };

static struct tls_sessions *table(size_t max, struct calls *cs)
{
	struct tls_sessions *t;

	memset(cs, 0, sizeof(*cs));
	t = tls_sessions_new(max, &ops, cs);
	assert_non_null(t);
	return t;
}

static void hdr(struct idt_hdr *h, uint32_t type, uint32_t pid, uint64_t ts)
{
	h->type = type;
	h->version = IDT_WIRE_VERSION;
	h->ts_ns = ts;
	h->pid = pid;
	h->tid = pid;
}

/* A write of total bytes of which the first len (bytes) were captured. */
static void data_rec(struct tls_sessions *t, uint32_t pid, uint64_t session, uint64_t start,
		     uint64_t ts, const void *bytes, size_t len, size_t total)
{
	struct idt_tls_data ev = { 0 };

	hdr(&ev.hdr, IDT_EV_TLS_DATA, pid, ts);
	ev.session = session;
	ev.start_ns = start;
	ev.lib = IDT_TLS_OPENSSL;
	ev.total = (uint32_t)total;
	ev.len = (uint32_t)len;
	tls_sessions_data(t, &ev, bytes, len);
}

static void write_str(struct tls_sessions *t, uint64_t ts, const char *s)
{
	data_rec(t, PID, SESS, START, ts, s, strlen(s), strlen(s));
}

static void data_str(struct tls_sessions *t, uint64_t session, uint64_t ts, const char *s)
{
	data_rec(t, PID, session, START, ts, s, strlen(s), strlen(s));
}

/* The socket of a session (flags: IDT_TLS_CONN_*). */
static void conn_rec_flags(struct tls_sessions *t, uint32_t pid, uint64_t session, uint64_t start,
			   uint64_t ts, uint16_t lport, uint16_t rport, uint16_t flags)
{
	struct idt_tls_conn ev = { .flags = flags };

	hdr(&ev.hdr, IDT_EV_TLS_CONN, pid, ts);
	ev.session = session;
	ev.start_ns = start;
	ev.lib = IDT_TLS_OPENSSL;
	ev.fd = 7;
	ev.family = IDT_AF_INET;
	ev.lport = lport;
	ev.rport = rport;
	assert_int_equal(inet_pton(AF_INET, "127.0.0.1", ev.laddr), 1);
	assert_int_equal(inet_pton(AF_INET, "10.1.2.3", ev.raddr), 1);
	tls_sessions_conn(t, &ev);
}

static void conn_rec(struct tls_sessions *t, uint32_t pid, uint64_t session, uint64_t start,
		     uint64_t ts, uint16_t lport, uint16_t rport)
{
	conn_rec_flags(t, pid, session, start, ts, lport, rport, 0);
}

static void sni_rec_lib(struct tls_sessions *t, uint32_t pid, uint64_t session, uint64_t start,
			uint64_t ts, const char *name, uint32_t lib)
{
	struct idt_tls_sni ev = { 0 };

	hdr(&ev.hdr, IDT_EV_TLS_SNI, pid, ts);
	ev.session = session;
	ev.start_ns = start;
	ev.lib = lib;
	ev.len = (uint32_t)strlen(name);
	memcpy(ev.name, name, ev.len);
	tls_sessions_sni(t, &ev);
}

static void sni_rec(struct tls_sessions *t, uint32_t pid, uint64_t session, uint64_t start,
		    uint64_t ts, const char *name)
{
	sni_rec_lib(t, pid, session, start, ts, name, IDT_TLS_OPENSSL);
}

/* The close record as the daemon hands it over (tls_track_record). */
static void close_rec(struct tls_sessions *t, uint32_t pid, uint64_t session, uint64_t ts)
{
	struct idt_tls_close ev = { 0 };

	hdr(&ev.hdr, IDT_EV_TLS_CLOSE, pid, ts);
	ev.session = session;
	ev.start_ns = START;
	ev.lib = IDT_TLS_OPENSSL;
	tls_sessions_close(t, ev.hdr.pid, ev.session, ev.hdr.ts_ns);
}

#define REQ_A                                                                                      \
	"GET /v1/items?access_token=secret HTTP/1.1\r\nHost: api.example.test\r\n"                 \
	"User-Agent: unit/1.0\r\nAuthorization: Bearer tok-abc-123\r\nAccept: */*\r\n\r\n"

static void test_h1_split_writes(void **state)
{
	struct calls cs;
	struct tls_sessions *t = table(16, &cs);
	const char *req = REQ_A;
	size_t n = strlen(req), a = 7, b = 60;

	sni_rec(t, PID, SESS, START, 10, "api.example.test");
	conn_rec(t, PID, SESS, START, 11, 40000, 443);
	data_rec(t, PID, SESS, START, 12, req, a, a);
	data_rec(t, PID, SESS, START, 13, req + a, b - a, b - a);
	assert_int_equal(cs.n, 0);
	data_rec(t, PID, SESS, START, 14, req + b, n - b, n - b);
	assert_int_equal(cs.n, 1);
	struct call *c = &cs.c[0];
	assert_false(c->ended);
	assert_int_equal(c->pid, PID);
	assert_int_equal(c->session, SESS);
	assert_int_equal(c->ts, 14);
	assert_int_equal(c->requests, 1);
	assert_int_equal(c->proto, TLS_PROTO_HTTP1);
	assert_false(c->lost_sync);
	assert_string_equal(c->version, "HTTP/1.1");
	assert_string_equal(c->method, "GET");
	assert_string_equal(c->host, "api.example.test");
	assert_string_equal(c->path, "/v1/items");
	assert_true(c->had_query);
	assert_string_equal(c->ua, "unit/1.0");
	assert_string_equal(c->scheme, "Bearer");
	assert_string_equal(c->token, "tok-abc-123");
	assert_string_equal(c->sni, "api.example.test");
	assert_true(c->have_conn);
	assert_int_equal(c->fd, 7);
	assert_int_equal(c->lib, IDT_TLS_OPENSSL);
	assert_string_equal(c->local.ip, "127.0.0.1");
	assert_int_equal(c->local.port, 40000);
	assert_string_equal(c->remote.ip, "10.1.2.3");
	assert_int_equal(c->remote.port, 443);
	assert_int_equal(tls_sessions_count(t), 1);
	/* a session that reported a request ends silently */
	close_rec(t, PID, SESS, 20);
	assert_int_equal(cs.n, 1);
	assert_int_equal(tls_sessions_count(t), 0);
	tls_sessions_free(t, 30);
	assert_int_equal(cs.n, 1);
}

/* A client that writes its request a byte at a time: the first write ("G") cannot tell the
 * protocol, and must not make the session "not HTTP". */
static void test_h1_byte_writes(void **state)
{
	struct calls cs;
	struct tls_sessions *t = table(16, &cs);
	const char *req = REQ_A;

	conn_rec(t, PID, SESS, START, 1, 40000, 443);
	for (size_t i = 0; req[i]; i++)
		data_rec(t, PID, SESS, START, 10 + i, req + i, 1, 1);
	assert_int_equal(cs.n, 1);
	assert_false(cs.c[0].ended);
	assert_int_equal(cs.c[0].proto, TLS_PROTO_HTTP1);
	assert_string_equal(cs.c[0].method, "GET");
	assert_string_equal(cs.c[0].path, "/v1/items");
	assert_string_equal(cs.c[0].host, "api.example.test");
	assert_string_equal(cs.c[0].token, "tok-abc-123");
	/* a session that wrote a few method-like bytes and nothing more is not HTTP */
	data_rec(t, PID, SESS + 1, START, 90, "GE", 2, 2);
	close_rec(t, PID, SESS + 1, 91);
	assert_int_equal(cs.n, 2);
	assert_true(cs.c[1].ended);
	assert_int_equal(cs.c[1].proto, TLS_PROTO_OTHER);
	tls_sessions_free(t, 99);
	assert_int_equal(cs.n, 2);
}

static void test_h1_pipelined(void **state)
{
	struct calls cs;
	struct tls_sessions *t = table(16, &cs);

	conn_rec(t, PID, SESS, START, 4, 40000, 443);
	write_str(t, 5, "GET /first HTTP/1.1\r\nHost: a.test\r\n\r\n"
			"DELETE /second/x?y=1 HTTP/1.1\r\nHost: b.test\r\n\r\n");
	assert_int_equal(cs.n, 2);
	assert_string_equal(cs.c[0].method, "GET");
	assert_string_equal(cs.c[0].path, "/first");
	assert_string_equal(cs.c[0].host, "a.test");
	assert_false(cs.c[0].had_query);
	assert_int_equal(cs.c[0].requests, 1);
	assert_string_equal(cs.c[1].method, "DELETE");
	assert_string_equal(cs.c[1].path, "/second/x");
	assert_string_equal(cs.c[1].host, "b.test");
	assert_true(cs.c[1].had_query);
	assert_int_equal(cs.c[1].requests, 2);
	tls_sessions_free(t, 9);
	assert_int_equal(cs.n, 2);
}

/* A body of known length partly uncaptured: the next request still parses. */
static void test_h1_gap_in_body_keeps_sync(void **state)
{
	struct calls cs;
	struct tls_sessions *t = table(16, &cs);
	const char *head = "POST /upload HTTP/1.1\r\nHost: up.test\r\nContent-Length: 100\r\n\r\n";
	char buf[256];
	size_t hl = strlen(head);

	memcpy(buf, head, hl);
	memset(buf + hl, 'x', 20);
	conn_rec(t, PID, SESS, START, 4, 40000, 443);
	/* head + 100 body bytes written, only head + 20 captured */
	data_rec(t, PID, SESS, START, 5, buf, hl + 20, hl + 100);
	assert_int_equal(cs.n, 1);
	assert_string_equal(cs.c[0].method, "POST");
	assert_string_equal(cs.c[0].path, "/upload");
	write_str(t, 6, "GET /after-body HTTP/1.1\r\nHost: up.test\r\n\r\n");
	assert_int_equal(cs.n, 2);
	assert_string_equal(cs.c[1].method, "GET");
	assert_string_equal(cs.c[1].path, "/after-body");
	assert_false(cs.c[1].lost_sync);
	tls_sessions_free(t, 9);
}

/* A gap inside a head loses the stream; the next write that starts a
 * request line resynchronises. */
static void test_h1_gap_in_head_resyncs(void **state)
{
	struct calls cs;
	struct tls_sessions *t = table(16, &cs);
	const char *part = "GET /lost HTTP/1.1\r\nHost: lost.test\r\nX-Pad: aaaa";

	conn_rec(t, PID, SESS, START, 4, 40000, 443);
	data_rec(t, PID, SESS, START, 5, part, strlen(part), strlen(part) + 50);
	assert_int_equal(cs.n, 0);
	/* the rest of the lost head: not a request line, ignored */
	write_str(t, 6, "bbbb\r\nAccept: */*\r\n\r\n");
	assert_int_equal(cs.n, 0);
	write_str(t, 7, "GET /found?q=1 HTTP/1.1\r\nHost: found.test\r\n\r\n");
	assert_int_equal(cs.n, 1);
	assert_string_equal(cs.c[0].path, "/found");
	assert_string_equal(cs.c[0].host, "found.test");
	assert_true(cs.c[0].lost_sync);
	assert_int_equal(cs.c[0].proto, TLS_PROTO_HTTP1);
	/* and it keeps parsing after that */
	write_str(t, 8, "HEAD /again HTTP/1.1\r\nHost: found.test\r\n\r\n");
	assert_int_equal(cs.n, 2);
	assert_string_equal(cs.c[1].method, "HEAD");
	tls_sessions_free(t, 9);
	assert_int_equal(cs.n, 2);
}

/* HTTP/2 client bytes. */
struct wire {
	uint8_t d[8192];
	size_t n;
};

static void frame(struct wire *w, uint8_t type, uint8_t flags, uint32_t stream, const void *p,
		  size_t len)
{
	uint8_t h[9] = { (uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len, type, flags,
			 (uint8_t)(stream >> 24 & 0x7f), (uint8_t)(stream >> 16),
			 (uint8_t)(stream >> 8), (uint8_t)stream };

	assert_true(w->n + 9 + len <= sizeof(w->d));
	memcpy(w->d + w->n, h, 9);
	memcpy(w->d + w->n + 9, p, len);
	w->n += 9 + len;
}

#define NV(n, v)                                                                                   \
	{                                                                                          \
		(uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, strlen(v), NGHTTP2_NV_FLAG_NONE     \
	}

static void headers(struct wire *w, nghttp2_hd_deflater *def, uint32_t stream, const char *path,
		    const char *auth)
{
	nghttp2_nv nva[] = {
		NV(":method", "GET"),		 NV(":scheme", "https"),
		NV(":authority", "h2.example.test"), NV(":path", path),
		NV("user-agent", "unit-h2/2.0"),	 NV("authorization", auth),
	};
	uint8_t block[2048];
	ssize_t n = nghttp2_hd_deflate_hd(def, block, sizeof(block), nva, 6);

	assert_true(n > 0);
	frame(w, 0x1, 0x4 | 0x1, stream, block, (size_t)n); /* END_HEADERS | END_STREAM */
}

static void test_h2_two_requests(void **state)
{
	static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
	const char *auth = "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJoMiJ9.c2lnbmF0dXJl";
	struct calls cs;
	struct tls_sessions *t = table(16, &cs);
	nghttp2_hd_deflater *def;
	struct wire w1 = { 0 }, w2 = { 0 }, w3 = { 0 };
	size_t first_len;

	assert_int_equal(nghttp2_hd_deflate_new(&def, 4096), 0);
	memcpy(w1.d, preface, sizeof(preface) - 1);
	w1.n = sizeof(preface) - 1;
	frame(&w1, 0x4, 0, 0, "", 0); /* empty SETTINGS */
	headers(&w2, def, 1, "/h2/one?secret=1", auth);
	first_len = w2.n;
	/* :authority and user-agent are in the dynamic table now */
	assert_true(nghttp2_hd_deflate_get_num_table_entries(def) >= 61 + 2);
	headers(&w3, def, 3, "/h2/two", auth);
	assert_true(w3.n < first_len); /* indexed references, not literals */

	sni_rec(t, PID, SESS, START, 1, "h2.example.test");
	conn_rec(t, PID, SESS, START, 2, 41000, 8443);
	/* the preface in small writes ("P", "RI", " * HTTP..."): still HTTP/2 */
	data_rec(t, PID, SESS, START, 3, w1.d, 1, 1);
	data_rec(t, PID, SESS, START, 3, w1.d + 1, 2, 2);
	data_rec(t, PID, SESS, START, 3, w1.d + 3, w1.n - 3, w1.n - 3);
	assert_int_equal(cs.n, 0);
	data_rec(t, PID, SESS, START, 4, w2.d, w2.n, w2.n);
	assert_int_equal(cs.n, 1);
	/* the second block split across two writes */
	data_rec(t, PID, SESS, START, 5, w3.d, 5, 5);
	data_rec(t, PID, SESS, START, 6, w3.d + 5, w3.n - 5, w3.n - 5);
	assert_int_equal(cs.n, 2);
	for (int i = 0; i < 2; i++) {
		struct call *c = &cs.c[i];

		assert_false(c->ended);
		assert_int_equal(c->proto, TLS_PROTO_HTTP2);
		assert_string_equal(c->version, "HTTP/2");
		assert_string_equal(c->method, "GET");
		assert_string_equal(c->host, "h2.example.test");
		assert_string_equal(c->ua, "unit-h2/2.0");
		assert_string_equal(c->scheme, "Bearer");
		assert_string_equal(c->token, auth + 7);
		assert_string_equal(c->sni, "h2.example.test");
		assert_int_equal(c->remote.port, 8443);
		assert_false(c->lost_sync);
	}
	assert_string_equal(cs.c[0].path, "/h2/one");
	assert_true(cs.c[0].had_query);
	assert_string_equal(cs.c[1].path, "/h2/two");
	assert_false(cs.c[1].had_query);
	assert_int_equal(cs.c[1].ts, 6);
	nghttp2_hd_deflate_del(def);
	tls_sessions_free(t, 9);
	assert_int_equal(cs.n, 2);
}

/* A write larger than the capture, as the probe records it: its first IDT_TLS_DATA_MAX bytes and
 * its last ones (at most IDT_TLS_TAIL_MAX), of total. */
static void data_rec_last(struct tls_sessions *t, uint64_t ts, const uint8_t *bytes, size_t total)
{
	static uint8_t cap[IDT_TLS_DATA_MAX + IDT_TLS_TAIL_MAX];
	struct idt_tls_data ev = { 0 };
	size_t head = IDT_TLS_DATA_MAX, last = total - head;

	if (last > IDT_TLS_TAIL_MAX)
		last = IDT_TLS_TAIL_MAX;

	memcpy(cap, bytes, head);
	memcpy(cap + head, bytes + total - last, last);
	hdr(&ev.hdr, IDT_EV_TLS_DATA, PID, ts);
	ev.session = SESS;
	ev.start_ns = START;
	ev.lib = IDT_TLS_OPENSSL;
	ev.total = (uint32_t)total;
	ev.len = (uint32_t)(head + last);
	ev.last = (uint32_t)last;
	tls_sessions_data(t, &ev, cap, head + last);
}

/* curl's HTTP/2 upload: each write is a DATA frame's 16384-byte payload and the next frame's
 * 9-byte header, 16393 bytes, more than the capture. The header at its end is captured (the
 * write's last bytes), so the requests after the upload on the connection are still seen. */
static void test_h2_upload_writes_past_capture(void **state)
{
	static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
	const char *auth = "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJoMiJ9.c2lnbmF0dXJl";
	static uint8_t big[16384 + 9];
	struct calls cs;
	struct tls_sessions *t = table(16, &cs);
	nghttp2_hd_deflater *def;
	struct wire w1 = { 0 }, w2 = { 0 }, w3 = { 0 };
	uint8_t dh[9] = { 0x00, 0x40, 0x00, 0x0, 0x0, 0, 0, 0, 1 }; /* DATA, 16384, stream 1 */
	uint8_t dl[9] = { 0x00, 0x27, 0x10, 0x0, 0x1, 0, 0, 0, 1 }; /* the last: 10000, END_STREAM */

	assert_int_equal(nghttp2_hd_deflate_new(&def, 4096), 0);
	memcpy(w1.d, preface, sizeof(preface) - 1);
	w1.n = sizeof(preface) - 1;
	frame(&w1, 0x4, 0, 0, "", 0);
	headers(&w2, def, 1, "/upload", auth);
	w2.d[4] &= (uint8_t)~0x1; /* the body follows: no END_STREAM */
	headers(&w3, def, 3, "/after", auth);

	conn_rec(t, PID, SESS, START, 1, 41000, 8443);
	data_rec(t, PID, SESS, START, 2, w1.d, w1.n, w1.n);
	data_rec(t, PID, SESS, START, 3, w2.d, w2.n, w2.n);
	assert_int_equal(cs.n, 1);
	data_rec(t, PID, SESS, START, 4, dh, 9, 9);
	for (int i = 0; i < 3; i++) {
		memset(big, 'A' + i, 16384);
		memcpy(big + 16384, i == 2 ? dl : dh, 9);
		data_rec_last(t, 5 + (uint64_t)i, big, sizeof(big));
	}
	data_rec(t, PID, SESS, START, 8, big, 10000, 10000); /* the last payload */
	data_rec(t, PID, SESS, START, 9, w3.d, w3.n, w3.n);
	assert_int_equal(cs.n, 2);
	assert_string_equal(cs.c[0].path, "/upload");
	assert_string_equal(cs.c[1].path, "/after");
	assert_string_equal(cs.c[1].token, auth + 7);
	assert_false(cs.c[1].lost_sync);
	nghttp2_hd_deflate_del(def);
	tls_sessions_free(t, 99);
	assert_int_equal(cs.n, 2);
}

static void test_closed_without_data(void **state)
{
	struct calls cs;
	struct tls_sessions *t = table(16, &cs);

	sni_rec(t, PID, SESS, START, 1, "quiet.test");
	conn_rec(t, PID, SESS, START, 2, 42000, 443);
	assert_int_equal(tls_sessions_count(t), 1);
	close_rec(t, PID, SESS, 3);
	assert_int_equal(cs.n, 1);
	assert_true(cs.c[0].ended);
	assert_int_equal(cs.c[0].ts, 3);
	assert_int_equal(cs.c[0].proto, TLS_PROTO_UNKNOWN);
	assert_int_equal(cs.c[0].requests, 0);
	assert_string_equal(cs.c[0].sni, "quiet.test");
	assert_int_equal(cs.c[0].remote.port, 443);
	assert_int_equal(tls_sessions_count(t), 0);
	/* a second close, an unknown session: nothing */
	close_rec(t, PID, SESS, 4);
	close_rec(t, PID, SESS + 1, 4);
	assert_int_equal(cs.n, 1);
	tls_sessions_free(t, 9);
	assert_int_equal(cs.n, 1);
}

/* A dual-stack socket's peer reached by an IPv4 address: ::ffff:10.1.2.3 is
 * reported as 10.1.2.3; a real IPv6 address stays as it is. */
static void test_ipv4_mapped_address(void **state)
{
	struct calls cs;
	struct tls_sessions *t = table(16, &cs);
	struct idt_tls_conn ev = { 0 };

	hdr(&ev.hdr, IDT_EV_TLS_CONN, PID, 1);
	ev.session = SESS;
	ev.start_ns = START;
	ev.lib = IDT_TLS_OPENSSL;
	ev.fd = 5;
	ev.family = IDT_AF_INET6;
	ev.lport = 40000;
	ev.rport = 443;
	assert_int_equal(inet_pton(AF_INET6, "::ffff:127.0.0.1", ev.laddr), 1);
	assert_int_equal(inet_pton(AF_INET6, "::ffff:10.1.2.3", ev.raddr), 1);
	tls_sessions_conn(t, &ev);
	ev.session = SESS + 1;
	assert_int_equal(inet_pton(AF_INET6, "::1", ev.laddr), 1);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::ffff:a01:203", ev.raddr), 1);
	tls_sessions_conn(t, &ev);
	tls_sessions_free(t, 9);
	assert_int_equal(cs.n, 2);
	assert_string_equal(cs.c[0].local.ip, "127.0.0.1");
	assert_string_equal(cs.c[0].remote.ip, "10.1.2.3");
	assert_string_equal(cs.c[1].local.ip, "::1");
	assert_string_equal(cs.c[1].remote.ip, "2001:db8::ffff:a01:203");
	(void)state;
}

/* A session that never reached a socket nor wrote: its connect failed
 * (nghttp -n to a port nothing listens on), after its server name was set.
 * No call was made: nothing is reported. */
static void test_never_connected_not_reported(void **state)
{
	struct calls cs;
	struct tls_sessions *t = table(16, &cs);

	sni_rec(t, PID, SESS, START, 1, "nobody.test");
	close_rec(t, PID, SESS, 2);
	assert_int_equal(cs.n, 0);
	assert_int_equal(tls_sessions_count(t), 0);
	tls_sessions_free(t, 9);
	assert_int_equal(cs.n, 0);
	(void)state;
}

static void test_not_http_ended_once(void **state)
{
	struct calls cs;
	struct tls_sessions *t = table(16, &cs);

	write_str(t, 1, "\x16\x03\x01 binary protocol");
	write_str(t, 2, "more of it\n");
	assert_int_equal(cs.n, 0);
	close_rec(t, PID, SESS, 3);
	assert_int_equal(cs.n, 1);
	assert_true(cs.c[0].ended);
	assert_int_equal(cs.c[0].proto, TLS_PROTO_OTHER);
	tls_sessions_free(t, 9);
	assert_int_equal(cs.n, 1);
}

static int count_ended(const struct calls *cs, uint32_t pid, uint64_t session)
{
	int n = 0;

	for (int i = 0; i < cs->n; i++)
		n += cs->c[i].ended && cs->c[i].pid == pid && cs->c[i].session == session;
	return n;
}

static void test_end_pid(void **state)
{
	struct calls cs;
	struct tls_sessions *t = table(16, &cs);

	conn_rec(t, 100, 1, START, 1, 1, 443);
	conn_rec(t, 100, 2, START, 2, 2, 443);
	conn_rec(t, 200, 1, START, 3, 3, 443); /* same session pointer, another process */
	conn_rec(t, 100, 3, START, 3, 4, 443);
	data_rec(t, 100, 3, START, 4, "GET / HTTP/1.1\r\n\r\n", 18, 18);
	assert_int_equal(cs.n, 1); /* the request */
	assert_int_equal(tls_sessions_count(t), 4);
	tls_sessions_end_pid(t, 100, 10);
	assert_int_equal(tls_sessions_count(t), 1);
	assert_int_equal(cs.n, 3); /* sessions 1 and 2 ended; 3 had its request */
	assert_int_equal(count_ended(&cs, 100, 1), 1);
	assert_int_equal(count_ended(&cs, 100, 2), 1);
	assert_int_equal(count_ended(&cs, 100, 3), 0);
	assert_int_equal(count_ended(&cs, 200, 1), 0);
	assert_int_equal(cs.c[1].ts, 10);
	tls_sessions_end_pid(t, 100, 11); /* nothing left */
	assert_int_equal(cs.n, 3);
	tls_sessions_end_pid(t, 200, 12);
	assert_int_equal(count_ended(&cs, 200, 1), 1);
	assert_int_equal(tls_sessions_count(t), 0);
	tls_sessions_free(t, 13);
	assert_int_equal(cs.n, 4);
}

static void test_lru_eviction(void **state)
{
	struct calls cs;
	struct tls_sessions *t = table(3, &cs);

	conn_rec(t, PID, 1, START, 1, 1, 443);
	conn_rec(t, PID, 2, START, 2, 2, 443);
	conn_rec(t, PID, 3, START, 3, 3, 443);
	sni_rec(t, PID, 1, START, 4, "touched.test"); /* 1 is recent again: 2 is the oldest */
	assert_int_equal(tls_sessions_evicted(t), 0);
	conn_rec(t, PID, 4, START, 5, 4, 443);
	assert_int_equal(tls_sessions_count(t), 3);
	assert_int_equal(tls_sessions_evicted(t), 1);
	assert_int_equal(cs.n, 1);
	assert_true(cs.c[0].ended);
	assert_int_equal(cs.c[0].session, 2);
	write_str(t, 6, "x"); /* session SESS: evicts 3 */
	assert_int_equal(tls_sessions_evicted(t), 2);
	assert_int_equal(cs.c[1].session, 3);
	/* the survivors: 1 (with its name), 4, SESS */
	tls_sessions_free(t, 7);
	assert_int_equal(cs.n, 5);
	assert_int_equal(count_ended(&cs, PID, 1), 1);
	assert_int_equal(count_ended(&cs, PID, 4), 1);
	assert_int_equal(count_ended(&cs, PID, SESS), 1);
	for (int i = 2; i < 5; i++)
		if (cs.c[i].session == 1)
			assert_string_equal(cs.c[i].sni, "touched.test");
}

/* A record with another start_ns for the same (pid, session): the pid was
 * reused, the old process's session is over. */
static void test_pid_reuse(void **state)
{
	struct calls cs;
	struct tls_sessions *t = table(16, &cs);

	sni_rec(t, PID, SESS, START, 1, "old.test");
	conn_rec(t, PID, SESS, START, 2, 1111, 443);
	sni_rec(t, PID, SESS, START + 5, 3, "new.test");
	assert_int_equal(cs.n, 1);
	assert_true(cs.c[0].ended);
	assert_int_equal(cs.c[0].start_ns, START);
	assert_string_equal(cs.c[0].sni, "old.test");
	assert_int_equal(cs.c[0].remote.port, 443);
	assert_int_equal(tls_sessions_count(t), 1);
	/* the new session starts empty: no connection from the old one */
	data_rec(t, PID, SESS, START + 5, 4, "GET /new HTTP/1.1\r\n\r\n", 21, 21);
	assert_int_equal(cs.n, 1); /* held: no socket yet */
	tls_sessions_release_held(t, 5);
	assert_int_equal(cs.n, 2);
	assert_false(cs.c[1].ended);
	assert_int_equal(cs.c[1].start_ns, START + 5);
	assert_string_equal(cs.c[1].sni, "new.test");
	assert_false(cs.c[1].have_conn);
	assert_string_equal(cs.c[1].path, "/new");
	/* a record without a start time does not end it */
	data_rec(t, PID, SESS, 0, 5, "GET /same HTTP/1.1\r\n\r\n", 22, 22);
	tls_sessions_release_held(t, 6);
	assert_int_equal(cs.n, 3);
	assert_int_equal(cs.c[2].start_ns, START + 5);
	assert_int_equal(cs.c[2].requests, 2);
	tls_sessions_free(t, 9);
	assert_int_equal(cs.n, 3);
}

static void test_expire_idle(void **state)
{
	struct calls cs;
	struct tls_sessions *t = table(16, &cs);

	conn_rec(t, PID, 1, START, 100, 1, 443);
	conn_rec(t, PID, 2, START, 200, 2, 443);
	conn_rec(t, PID, 1, START, 300, 1, 443); /* 1 active again */
	assert_int_equal(tls_sessions_expire(t, 250), 1);
	assert_int_equal(cs.n, 1);
	assert_int_equal(cs.c[0].session, 2);
	assert_int_equal(tls_sessions_expire(t, 250), 0);
	assert_int_equal(tls_sessions_count(t), 1);
	tls_sessions_free(t, 400);
	assert_int_equal(cs.n, 2);
}

/* A client on memory BIOs writes its request before the handshake's first
 * socket write: the plaintext waits for the socket, and the request has it. */
static void test_held_until_conn(void **state)
{
	struct calls cs;
	struct tls_sessions *t = table(16, &cs);

	sni_rec(t, PID, SESS, START, 1, "api.example.test");
	write_str(t, 2, "GET /early HTTP/1.1\r\nHost: api.example.test\r\n\r\n");
	write_str(t, 3, "GET /second HTTP/1.1\r\nHost: api.example.test\r\n\r\n");
	assert_int_equal(cs.n, 0);
	tls_sessions_release_held(t, 2); /* not older than 2: still held */
	assert_int_equal(cs.n, 0);
	conn_rec(t, PID, SESS, START, 4, 40000, 443);
	assert_int_equal(cs.n, 2);
	assert_string_equal(cs.c[0].path, "/early");
	assert_int_equal(cs.c[0].ts, 2); /* the time of the write, not of the socket */
	assert_true(cs.c[0].have_conn);
	assert_int_equal(cs.c[0].remote.port, 443);
	assert_string_equal(cs.c[1].path, "/second");
	assert_int_equal(cs.c[1].ts, 3);
	/* with the socket known, writes parse at once */
	write_str(t, 5, "GET /third HTTP/1.1\r\nHost: api.example.test\r\n\r\n");
	assert_int_equal(cs.n, 3);
	tls_sessions_free(t, 9);
	assert_int_equal(cs.n, 3);
}

/* A session seen from its socket on (IDT_TLS_CONN_START_UNSEEN) that is a
 * server's (is_server says so: a listener on its port): what it held is
 * dropped unreported, and nothing more of it, not even its end; one that
 * is not, and a session found by its handshake, are reported. */
static bool on_is_server(const struct tls_session *s, void *arg)
{
	(void)arg;
	return s->local.port == 443;
}

static const struct tls_sessions_ops ops_servers = {
	.request = on_request, .ended = on_ended, .is_server = on_is_server
};

static void conn_flags(struct tls_sessions *t, uint64_t session, uint64_t ts, uint16_t lport,
		       uint16_t flags)
{
	conn_rec_flags(t, PID, session, START, ts, lport, 51000, flags);
}

static void test_server_session_dropped(void **state)
{
	struct calls cs = { 0 };
	struct tls_sessions *t = tls_sessions_new(16, &ops_servers, &cs);

	assert_non_null(t);
	write_str(t, 2, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
	data_str(t, SESS + 64, 3, "GET /unseen HTTP/1.1\r\nHost: api.example.test\r\n\r\n");
	data_str(t, SESS + 128, 3, "GET /seen HTTP/1.1\r\nHost: api.example.test\r\n\r\n");
	assert_int_equal(tls_sessions_count(t), 3);
	conn_flags(t, SESS, 4, 443, IDT_TLS_CONN_START_UNSEEN);
	assert_int_equal(cs.n, 0);
	assert_int_equal(tls_sessions_server_dropped(t), 1);
	/* a write the probes sent before they knew */
	write_str(t, 5, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
	assert_int_equal(cs.n, 0);
	close_rec(t, PID, SESS, 5); /* its SSL_free */
	assert_int_equal(cs.n, 0);
	assert_int_equal(tls_sessions_count(t), 2);
	conn_flags(t, SESS + 64, 6, 40000, IDT_TLS_CONN_START_UNSEEN); /* a client's port */
	assert_int_equal(cs.n, 1);
	assert_string_equal(cs.c[0].path, "/unseen");
	conn_flags(t, SESS + 128, 7, 443, 0); /* found by its handshake: not asked */
	assert_int_equal(cs.n, 2);
	assert_string_equal(cs.c[1].path, "/seen");
	assert_int_equal(tls_sessions_server_dropped(t), 1);
	tls_sessions_free(t, 9);
	assert_int_equal(cs.n, 2);
}

/* A process forks after the handshake and the child writes the request on
 * the same SSL object: the child's session carries the parent's server name
 * and socket, and the parent's, which carried nothing itself, gives no
 * report of its own (the child's says what was done). */
#define CHILD 4343
#define CHILD_START 2000000000ull

static bool on_forked_from(uint32_t pid, uint64_t start_ns, uint32_t *ppid, uint64_t *pstart_ns,
			   void *arg)
{
	(void)arg;
	if (pid != CHILD || start_ns != CHILD_START)
		return false;
	*ppid = PID;
	*pstart_ns = START;
	return true;
}

static const struct tls_sessions_ops ops_fork = {
	.request = on_request, .ended = on_ended, .forked_from = on_forked_from
};

static void test_forked_child_carries_session(void **state)
{
	struct calls cs = { 0 };
	struct tls_sessions *t = tls_sessions_new(16, &ops_fork, &cs);
	static const char req[] = "GET /forkchild HTTP/1.1\r\nHost: api.example.test\r\n\r\n";

	assert_non_null(t);
	sni_rec(t, PID, SESS, START, 1, "api.example.test");
	conn_rec(t, PID, SESS, START, 2, 42000, 443);
	data_rec(t, CHILD, SESS, CHILD_START, 3, req, strlen(req), strlen(req));
	assert_int_equal(cs.n, 1);
	assert_int_equal(cs.c[0].pid, CHILD);
	assert_string_equal(cs.c[0].path, "/forkchild");
	assert_string_equal(cs.c[0].sni, "api.example.test");
	assert_true(cs.c[0].have_conn);
	assert_int_equal(cs.c[0].local.port, 42000);
	assert_int_equal(cs.c[0].remote.port, 443);
	tls_sessions_end_pid(t, PID, 4);
	assert_int_equal(cs.n, 1); /* the parent's: no no-data report */
	/* another process's session of the same pointer is not inherited */
	data_rec(t, PID + 7, SESS, START, 5, req, strlen(req), strlen(req));
	tls_sessions_free(t, 9); /* held for its socket until then */
	assert_int_equal(cs.n, 2);
	assert_int_equal(cs.c[1].pid, PID + 7);
	assert_string_equal(cs.c[1].sni, "");
	assert_false(cs.c[1].have_conn);
	(void)state;
}

/* A socket that never shows (the ciphertext is written by another thread):
 * the request is reported without it, after the hold time, at the end of
 * the session, or when too many writes wait. */
static void test_held_released(void **state)
{
	struct calls cs;
	struct tls_sessions *t = table(16, &cs);
	char req[64];

	write_str(t, 10, "GET /late HTTP/1.1\r\nHost: a.test\r\n\r\n");
	tls_sessions_release_held(t, 11);
	assert_int_equal(cs.n, 1);
	assert_string_equal(cs.c[0].path, "/late");
	assert_int_equal(cs.c[0].ts, 10);
	assert_false(cs.c[0].have_conn);
	/* the end of the session */
	data_str(t, 2, 12, "GET /at-end HTTP/1.1\r\n\r\n");
	assert_int_equal(cs.n, 1);
	close_rec(t, PID, 2, 13);
	assert_int_equal(cs.n, 2);
	assert_false(cs.c[1].ended);
	assert_string_equal(cs.c[1].path, "/at-end");
	/* a ninth write releases the eight before it */
	for (int i = 0; i < 9; i++) {
		int n = snprintf(req, sizeof(req), "GET /n%d HTTP/1.1\r\n\r\n", i);

		data_rec(t, PID, 3, START, 20 + (uint64_t)i, req, (size_t)n, (size_t)n);
		assert_int_equal(cs.n, i < 8 ? 2 : 11);
	}
	assert_string_equal(cs.c[2].path, "/n0");
	assert_string_equal(cs.c[10].path, "/n8");
	/* process exit */
	data_rec(t, 77, 4, START, 40, "GET /exit HTTP/1.1\r\n\r\n", 22, 22);
	tls_sessions_end_pid(t, 77, 41);
	assert_int_equal(cs.n, 12);
	assert_string_equal(cs.c[11].path, "/exit");
	tls_sessions_free(t, 50);
	assert_int_equal(cs.n, 12);
}

/* Go's probe sees config.ServerName; the hello carries what hostnameInSNI
 * makes of it. OpenSSL's name is taken as set. */
static void test_go_sni_as_sent(void **state)
{
	static const struct {
		const char *set, *sent;
		uint32_t lib;
	} cases[] = {
		{ "api.example.test", "api.example.test", IDT_TLS_GO },
		{ "api.example.test.", "api.example.test", IDT_TLS_GO },
		{ "api.example.test..", "api.example.test", IDT_TLS_GO },
		{ "127.0.0.1", "", IDT_TLS_GO },
		{ "::1", "", IDT_TLS_GO },
		{ "[fe80::1]", "", IDT_TLS_GO },
		{ "fe80::1%eth0", "", IDT_TLS_GO },
		{ "1.2.3", "1.2.3", IDT_TLS_GO },
		{ "api.example.test.", "api.example.test.", IDT_TLS_OPENSSL },
		{ "127.0.0.1", "127.0.0.1", IDT_TLS_OPENSSL },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct calls cs;
		struct tls_sessions *t = table(16, &cs);

		sni_rec_lib(t, PID, SESS, START, 1, cases[i].set, cases[i].lib);
		conn_rec(t, PID, SESS, START, 2, 40000, 443);
		data_rec(t, PID, SESS, START, 3, REQ_A, strlen(REQ_A), strlen(REQ_A));
		assert_int_equal(cs.n, 1);
		assert_string_equal(cs.c[0].sni, cases[i].sent);
		tls_sessions_free(t, 4);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_h1_split_writes),
		cmocka_unit_test(test_go_sni_as_sent),
		cmocka_unit_test(test_h1_byte_writes),
		cmocka_unit_test(test_h1_pipelined),
		cmocka_unit_test(test_h1_gap_in_body_keeps_sync),
		cmocka_unit_test(test_h1_gap_in_head_resyncs),
		cmocka_unit_test(test_h2_two_requests),
		cmocka_unit_test(test_h2_upload_writes_past_capture),
		cmocka_unit_test(test_closed_without_data),
		cmocka_unit_test(test_not_http_ended_once),
		cmocka_unit_test(test_never_connected_not_reported),
		cmocka_unit_test(test_ipv4_mapped_address),
		cmocka_unit_test(test_end_pid),
		cmocka_unit_test(test_lru_eviction),
		cmocka_unit_test(test_pid_reuse),
		cmocka_unit_test(test_expire_idle),
		cmocka_unit_test(test_held_until_conn),
		cmocka_unit_test(test_server_session_dropped),
		cmocka_unit_test(test_forked_child_carries_session),
		cmocka_unit_test(test_held_released),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
