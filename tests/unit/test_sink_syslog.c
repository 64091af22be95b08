// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The syslog sinks against in-test peers on loopback: a TCP listener, a TLS
 * server with a CA and certificate made at test time, a UDP socket and unix
 * sockets. No root, no network beyond 127.0.0.1. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include "sink.h"
#include "sink_spec.h"

static const char *const lines[3] = {
	"{\"type\":\"process.exec\",\"n\":1}",
	"{\"type\":\"process.exec\",\"n\":2,\"argv\":[\"a b\",\"\\u00e9\"]}",
	"{\"type\":\"credential.read\",\"n\":3}",
};
static const char *const types[3] = { "process.exec", "process.exec", "credential.read" };

static char tmpdir[] = "/tmp/idtrace-syslog-test-XXXXXX";
static char ca_pem[128], srv_pem[128], srv_key[128];

/* ---- a loopback peer in a thread */

enum peer_mode {
	PEER_READ_ALL,	   /* read until EOF */
	PEER_READ_ONCE,	   /* one recv(), then close */
	PEER_TLS_READ_ALL, /* SSL_accept, read until close_notify/EOF */
	PEER_TLS_READ_ONCE, /* SSL_accept, one SSL_read, close_notify, close */
	PEER_TLS_READ_ONCE_RAW, /* the same, closing without close_notify */
	PEER_READ_SOME_RESET,	/* read at least limit bytes, then close with a RST,
				 * dropping whatever it had not read */
	PEER_TLS_READ_SOME_RESET, /* the same over TLS */
};

static bool mode_tls(enum peer_mode m)
{
	return m == PEER_TLS_READ_ALL || m == PEER_TLS_READ_ONCE ||
	       m == PEER_TLS_READ_ONCE_RAW || m == PEER_TLS_READ_SOME_RESET;
}

/* Close fd with a RST: the kernel drops what was not read. */
static void close_reset(int fd)
{
	struct linger l = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(fd);
}

struct peer {
	int lfd, port;
	enum peer_mode mode;
	SSL_CTX *ctx;
	pthread_t th;
	char buf[65536];
	size_t len, limit; /* PEER_*_READ_SOME_RESET */
	int accept_rc; /* TLS: SSL_accept result */
};

static int listen_tcp(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 4), 0);
	return fd;
}

static int sock_port(int fd)
{
	struct sockaddr_in a;
	socklen_t l = sizeof(a);

	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &l), 0);
	return ntohs(a.sin_port);
}

/* How much the peer may read now. */
static size_t peer_room(const struct peer *p)
{
	if (p->mode == PEER_READ_SOME_RESET || p->mode == PEER_TLS_READ_SOME_RESET)
		return p->limit - p->len;
	return sizeof(p->buf) - p->len;
}

static void *peer_main(void *arg)
{
	struct peer *p = arg;
	int fd = accept(p->lfd, NULL, NULL);
	ssize_t r;

	close(p->lfd);
	p->lfd = -1;
	if (fd < 0)
		return NULL;
	if (p->ctx) {
		SSL *ssl = SSL_new(p->ctx);

		SSL_set_fd(ssl, fd);
		p->accept_rc = SSL_accept(ssl);
		while (p->accept_rc == 1 && p->len < sizeof(p->buf) &&
		       (r = SSL_read(ssl, p->buf + p->len, peer_room(p))) > 0) {
			p->len += r;
			if (p->mode == PEER_TLS_READ_SOME_RESET ? p->len >= p->limit
								: p->mode != PEER_TLS_READ_ALL)
				break;
		}
		if (p->mode == PEER_TLS_READ_ONCE)
			SSL_shutdown(ssl);
		SSL_free(ssl);
	} else {
		while (p->len < sizeof(p->buf) &&
		       (r = recv(fd, p->buf + p->len, peer_room(p), 0)) > 0) {
			p->len += r;
			if (p->mode == PEER_READ_ONCE ||
			    (p->mode == PEER_READ_SOME_RESET && p->len >= p->limit))
				break;
		}
	}
	if (p->mode == PEER_READ_SOME_RESET || p->mode == PEER_TLS_READ_SOME_RESET)
		close_reset(fd);
	else
		close(fd);
	return NULL;
}

/* Start a peer on port (0: any free one); limit for PEER_*_READ_SOME_RESET. */
static struct peer *peer_start_limit(enum peer_mode mode, int port, size_t limit)
{
	struct peer *p = calloc(1, sizeof(*p));

	assert_non_null(p);
	p->mode = mode;
	p->limit = limit;
	p->lfd = listen_tcp(port);
	p->port = sock_port(p->lfd);
	if (mode_tls(mode)) {
		p->ctx = SSL_CTX_new(TLS_server_method());
		assert_non_null(p->ctx);
		assert_int_equal(SSL_CTX_use_certificate_chain_file(p->ctx, srv_pem), 1);
		assert_int_equal(SSL_CTX_use_PrivateKey_file(p->ctx, srv_key, SSL_FILETYPE_PEM), 1);
	}
	assert_int_equal(pthread_create(&p->th, NULL, peer_main, p), 0);
	return p;
}

static struct peer *peer_start(enum peer_mode mode, int port)
{
	return peer_start_limit(mode, port, 0);
}

static void peer_join(struct peer *p)
{
	pthread_join(p->th, NULL);
}

static void peer_free(struct peer *p)
{
	if (p->lfd >= 0)
		close(p->lfd);
	SSL_CTX_free(p->ctx);
	free(p);
}

/* ---- sinks */

static void *sink_new(const char *uri, char *err, size_t n)
{
	struct sink_spec spec;
	void *st;

	err[0] = '\0';
	assert_int_equal(sink_spec_parse(uri, NULL, &spec, err, n), 0);
	st = sink_syslog_ops.create(&spec, err, n);
	sink_spec_free(&spec);
	return st;
}

static void *sink_open(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void *sink_open(const char *fmt, ...)
{
	char uri[1024], err[512];
	va_list ap;
	void *st;
	int rc;

	va_start(ap, fmt);
	vsnprintf(uri, sizeof(uri), fmt, ap);
	va_end(ap);
	st = sink_new(uri, err, sizeof(err));
	if (!st)
		fail_msg("create %s: %s", uri, err);
	rc = sink_syslog_ops.connect(st, err, sizeof(err));
	if (rc)
		fail_msg("connect %s: %d %s", uri, rc, err);
	return st;
}

static void send3(void *st, int from, int to)
{
	for (int i = from; i < to; i++)
		assert_int_equal(sink_syslog_ops.send(st, lines[i], strlen(lines[i]), types[i]), 0);
}

static long long stat_of(void *st, const char *key)
{
	json_t *o = json_object();
	long long v;

	sink_syslog_ops.stats(st, o);
	v = json_integer_value(json_object_get(o, key));
	json_decref(o);
	return v;
}

/* Check that the RFC 5424 message [m, m+len) is line i from this process
 * with host "testhost". The timestamp is checked for its shape only. */
static void check_msg(const char *m, size_t len, int i, int pri)
{
	char want[1024];
	const char *ts = strchr(m, ' ') + 1;
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.ddddddZ";

	for (int k = 0; shape[k]; k++)
		if (shape[k] == 'd' ? !isdigit((unsigned char)ts[k]) : ts[k] != shape[k])
			fail_msg("bad timestamp in %.*s", (int)len, m);
	snprintf(want, sizeof(want), "<%d>1 %.27s testhost idtrace %d %s - %s", pri, ts, getpid(),
		 types[i], lines[i]);
	if (len != strlen(want) || memcmp(m, want, len))
		fail_msg("got  %.*s\nwant %s", (int)len, m, want);
}

/* Check octet-counted frames in buf: lines[from..to). */
static void check_frames(const char *buf, size_t len, int from, int to)
{
	const char *p = buf, *end = buf + len;

	for (int i = from; i < to; i++) {
		char *sp;
		unsigned long n = strtoul(p, &sp, 10);

		assert_true(sp < end && *sp == ' ' && sp > p && *p != '0');
		assert_true(sp + 1 + n <= end);
		check_msg(sp + 1, n, i, 86);
		p = sp + 1 + n;
	}
	assert_ptr_equal(p, end);
}

/* ---- TCP */

static void test_tcp_three_lines(void **state)
{
	struct peer *p = peer_start(PEER_READ_ALL, 0);
	void *st = sink_open("syslog+tcp://127.0.0.1:%d?hostname=testhost", p->port);

	send3(st, 0, 3);
	assert_int_equal(sink_syslog_ops.flush(st), 0);
	assert_int_equal(stat_of(st, "sent"), 3);
	sink_syslog_ops.disconnect(st);
	peer_join(p);
	check_frames(p->buf, p->len, 0, 3);
	assert_int_equal(stat_of(st, "bytes"), p->len);
	assert_int_equal(stat_of(st, "reconnects"), 0);
	sink_syslog_ops.destroy(st);
	peer_free(p);
}

static void test_tcp_lf_framing(void **state)
{
	struct peer *p = peer_start(PEER_READ_ALL, 0);
	void *st = sink_open("syslog+tcp://127.0.0.1:%d?hostname=testhost&framing=lf&"
			     "facility=local3", p->port);
	char *nl;

	send3(st, 0, 1);
	assert_int_equal(sink_syslog_ops.flush(st), 0);
	sink_syslog_ops.destroy(st);
	peer_join(p);
	nl = memchr(p->buf, '\n', p->len);
	assert_non_null(nl);
	assert_ptr_equal(nl, p->buf + p->len - 1);
	check_msg(p->buf, p->len - 1, 0, 19 * 8 + 6);
	peer_free(p);
}

/* The length of the octet-counted frame at buf. */
static size_t frame_len(const char *buf)
{
	char *sp;
	unsigned long n = strtoul(buf, &sp, 10);

	return (size_t)(sp - buf) + 1 + n;
}

/* The listener reads the first line and closes: the next flush reports it,
 * the line stays buffered and goes out after the reconnect, behind the
 * first line (the resend window: the sink cannot know the peer read it). */
static void test_tcp_peer_closes(void **state)
{
	struct peer *p = peer_start(PEER_READ_ONCE, 0), *p2;
	void *st = sink_open("syslog+tcp://127.0.0.1:%d?hostname=testhost", p->port);
	char err[256];
	int port = p->port, rc;

	send3(st, 0, 1);
	assert_int_equal(sink_syslog_ops.flush(st), 0);
	peer_join(p);
	check_frames(p->buf, p->len, 0, 1);
	usleep(20000); /* let the FIN arrive */
	send3(st, 1, 2);
	rc = sink_syslog_ops.flush(st);
	assert_true(rc < 0);
	/* No more on this connection until connect(). */
	assert_int_equal(sink_syslog_ops.flush(st), -ENOTCONN);
	assert_int_equal(sink_syslog_ops.send(st, "x", 1, "t"), -ENOTCONN);
	assert_int_equal(stat_of(st, "sent"), 1);

	p2 = peer_start(PEER_READ_ALL, port);
	assert_int_equal(sink_syslog_ops.connect(st, err, sizeof(err)), 0);
	send3(st, 2, 3);
	assert_int_equal(sink_syslog_ops.flush(st), 0);
	sink_syslog_ops.disconnect(st);
	peer_join(p2);
	check_frames(p2->buf, p2->len, 0, 3);
	assert_int_equal(stat_of(st, "reconnects"), 1);
	assert_int_equal(stat_of(st, "sent"), 3);
	assert_int_equal(stat_of(st, "resent"), 1);
	sink_syslog_ops.destroy(st);
	peer_free(p);
	peer_free(p2);
}

/* Unbuffered (buffer_bytes=0): send() itself reports the closed peer, and
 * the failed line is not kept (the runner spools it); the line written
 * before is resent first. */
static void test_tcp_peer_closes_unbuffered(void **state)
{
	struct peer *p = peer_start(PEER_READ_ONCE, 0), *p2;
	void *st = sink_open("syslog+tcp://127.0.0.1:%d?hostname=testhost&buffer_bytes=0",
			     p->port);
	char err[256];
	int port = p->port;

	send3(st, 0, 1); /* written at once */
	peer_join(p);
	check_frames(p->buf, p->len, 0, 1);
	usleep(20000);
	assert_true(sink_syslog_ops.send(st, lines[1], strlen(lines[1]), types[1]) < 0);
	/* Line 1 is not held; line 0 waits to be resent. */
	assert_int_equal(sink_syslog_ops.flush(st), -ENOTCONN);

	p2 = peer_start(PEER_READ_ALL, port);
	assert_int_equal(sink_syslog_ops.connect(st, err, sizeof(err)), 0);
	send3(st, 2, 3);
	sink_syslog_ops.destroy(st);
	peer_join(p2);
	check_frames(p2->buf, frame_len(p2->buf), 0, 1);
	check_frames(p2->buf + frame_len(p2->buf), p2->len - frame_len(p2->buf), 2, 3);
	peer_free(p);
	peer_free(p2);
}

/* ---- the resend window */

#define WIN_N 400

/* Line seq of the window tests: about 80 bytes, its number in "seq". */
static size_t seq_line(char *buf, size_t n, int seq)
{
	return (size_t)snprintf(buf, n, "{\"type\":\"process.exec\",\"seq\":%d,\"pad\":\"%040d\"}",
				seq, seq);
}

static int send_seq(void *st, int seq)
{
	char line[128];
	size_t len = seq_line(line, sizeof(line), seq);

	return sink_syslog_ops.send(st, line, len, "process.exec");
}

/* The seq numbers of the complete octet-counted frames in buf (a last,
 * partly received frame is left out), each checked whole; their count. */
static int frame_seqs(const char *buf, size_t len, int *out, int max)
{
	const char *p = buf, *end = buf + len;
	int k = 0;

	while (p < end && k < max) {
		char *sp, want[128];
		unsigned long n = strtoul(p, &sp, 10);
		const char *msg = sp + 1, *body;
		int seq;

		if (sp >= end || *sp != ' ' || msg + n > end)
			break; /* the peer stopped reading mid-frame */
		body = memmem(msg, n, " - {", 4);
		assert_non_null(body);
		body += 3;
		assert_int_equal(sscanf(body, "{\"type\":\"process.exec\",\"seq\":%d,", &seq), 1);
		assert_int_equal((size_t)(msg + n - body), seq_line(want, sizeof(want), seq));
		assert_memory_equal(body, want, msg + n - body);
		out[k++] = seq;
		p = msg + n;
	}
	return k;
}

/* A peer reads part of what was written and resets the connection,
 * dropping the rest unread: the frames the kernel had taken are written
 * again, first, to the next peer; with the lines the runner would replay
 * after them, every line arrives at least once and in order once
 * duplicates are removed. */
static void window_resent(bool tls)
{
	struct peer *p = peer_start_limit(tls ? PEER_TLS_READ_SOME_RESET : PEER_READ_SOME_RESET,
					  0, 3000), *p2;
	void *st;
	int a[WIN_N], b[WIN_N], na, nb, i = 0, rc = 0, port = p->port, next = 0;
	char err[256];

	if (tls)
		st = sink_open("syslog+tls://127.0.0.1:%d?hostname=testhost&ca_file=%s&"
			       "buffer_bytes=4096", p->port, ca_pem);
	else
		st = sink_open("syslog+tcp://127.0.0.1:%d?hostname=testhost&buffer_bytes=4096",
			       p->port);
	/* Half of the lines while the peer reads its 3000 bytes and resets. */
	while (i < WIN_N / 2 && !(rc = send_seq(st, i)))
		i++;
	if (!rc)
		rc = sink_syslog_ops.flush(st);
	peer_join(p);
	usleep(20000); /* let the RST arrive */
	while (!rc && i < WIN_N && !(rc = send_seq(st, i)))
		i++;
	if (!rc)
		rc = sink_syslog_ops.flush(st);
	assert_true(rc < 0); /* the reset was seen */
	assert_true(stat_of(st, "buffered_bytes") > 0); /* the window, to resend */
	/* Line i was refused: the runner spools it and sends it after the
	 * reconnect, behind what the sink resends. */
	p2 = peer_start(tls ? PEER_TLS_READ_ALL : PEER_READ_ALL, port);
	if (sink_syslog_ops.connect(st, err, sizeof(err)))
		fail_msg("reconnect: %s", err);
	for (; i < WIN_N; i++)
		assert_int_equal(send_seq(st, i), 0);
	assert_int_equal(sink_syslog_ops.flush(st), 0);
	sink_syslog_ops.disconnect(st);
	peer_join(p2);

	na = frame_seqs(p->buf, p->len, a, WIN_N);
	nb = frame_seqs(p2->buf, p2->len, b, WIN_N);
	/* The first peer got a prefix, and did not get everything written. */
	assert_true(na >= 1 && na < WIN_N / 2);
	for (int k = 0; k < na; k++)
		assert_int_equal(a[k], k);
	/* The second one got the window first: everything written on the
	 * first connection was young (resend_grace_ms), so all of it. */
	assert_int_equal(nb, WIN_N);
	for (int k = 0; k < nb; k++)
		assert_int_equal(b[k], k);
	/* Both together, duplicates removed: each line once, in order. */
	for (int k = 0; k < na + nb; k++) {
		int seq = k < na ? a[k] : b[k - na];

		if (seq < next)
			continue; /* a duplicate */
		assert_int_equal(seq, next);
		next++;
	}
	assert_int_equal(next, WIN_N);
	assert_int_equal(stat_of(st, "sent"), WIN_N);
	assert_true(stat_of(st, "resent") >= na); /* from 0: what the peer read too */
	assert_int_equal(stat_of(st, "reconnects"), 1);
	/* The graceful close saw the peer read everything: nothing kept. */
	assert_int_equal(stat_of(st, "window_bytes"), 0);
	assert_int_equal(stat_of(st, "buffered_bytes"), 0);
	sink_syslog_ops.destroy(st);
	peer_free(p);
	peer_free(p2);
}

static void test_tcp_window_resent(void **state)
{
	window_resent(false);
}

static void test_tls_window_resent(void **state)
{
	window_resent(true);
}

/* Wait (bounded) until the window of st holds want bytes, flushing (which
 * trims it) meanwhile; its size then. */
static long long window_after(void *st, long long want)
{
	long long w = -1;

	for (int t = 0; t < 200; t++) {
		assert_int_equal(sink_syslog_ops.flush(st), 0);
		if ((w = stat_of(st, "window_bytes")) == want)
			break;
		usleep(5000);
	}
	return w;
}

/* What stays in the window: acknowledged frames younger than
 * resend_grace_ms, at most resend_window_bytes of them. */
static void test_tcp_window_trim(void **state)
{
	struct peer *p = peer_start(PEER_READ_ALL, 0), *p2;
	void *st = sink_open("syslog+tcp://127.0.0.1:%d?hostname=testhost&resend_grace_ms=0",
			     p->port);
	char err[256];
	long long bytes;

	/* Grace 0: gone once the peer's TCP acknowledged them. */
	for (int i = 0; i < 10; i++)
		assert_int_equal(send_seq(st, i), 0);
	assert_int_equal(window_after(st, 0), 0);
	sink_syslog_ops.destroy(st);
	peer_join(p);
	peer_free(p);

	/* The default grace (5 s): all kept. */
	p = peer_start(PEER_READ_ALL, 0);
	st = sink_open("syslog+tcp://127.0.0.1:%d?hostname=testhost", p->port);
	for (int i = 0; i < 10; i++)
		assert_int_equal(send_seq(st, i), 0);
	assert_int_equal(sink_syslog_ops.flush(st), 0);
	bytes = stat_of(st, "bytes");
	assert_int_equal(stat_of(st, "window_bytes"), bytes);
	/* A graceful disconnect sees the peer read to our EOF: the window is
	 * dropped, and the next connection resends nothing. */
	sink_syslog_ops.disconnect(st);
	peer_join(p);
	assert_int_equal(stat_of(st, "window_bytes"), 0);
	assert_int_equal(stat_of(st, "buffered_bytes"), 0);
	p2 = peer_start(PEER_READ_ALL, p->port);
	assert_int_equal(sink_syslog_ops.connect(st, err, sizeof(err)), 0);
	assert_int_equal(send_seq(st, 10), 0);
	assert_int_equal(sink_syslog_ops.flush(st), 0);
	sink_syslog_ops.destroy(st);
	peer_join(p2);
	{
		int b[4];

		assert_int_equal(frame_seqs(p2->buf, p2->len, b, 4), 1);
		assert_int_equal(b[0], 10);
	}
	peer_free(p);
	peer_free(p2);

	/* A long grace, a small bound: at most ~500 bytes of acked frames. */
	p = peer_start(PEER_READ_ALL, 0);
	st = sink_open("syslog+tcp://127.0.0.1:%d?hostname=testhost&resend_grace_ms=600000&"
		       "resend_window_bytes=500", p->port);
	for (int i = 0; i < 20; i++)
		assert_int_equal(send_seq(st, i), 0);
	for (int t = 0; t < 200; t++) { /* until the peer's TCP acknowledged them */
		assert_int_equal(sink_syslog_ops.flush(st), 0);
		if ((bytes = stat_of(st, "window_bytes")) <= 500)
			break;
		usleep(5000);
	}
	assert_true(bytes > 300 && bytes <= 500);
	sink_syslog_ops.destroy(st);
	peer_join(p);
	peer_free(p);
}

static void test_tcp_refused(void **state)
{
	int fd = listen_tcp(0), port = sock_port(fd), rc;
	char want[64], err[256];
	void *st;

	char uri[128];

	close(fd); /* nothing listens there now */
	snprintf(want, sizeof(want), "127.0.0.1:%d", port);
	snprintf(uri, sizeof(uri), "syslog+tcp://127.0.0.1:%d", port);
	st = sink_new(uri, err, sizeof(err));
	assert_non_null(st);
	rc = sink_syslog_ops.connect(st, err, sizeof(err));
	assert_int_equal(rc, -ECONNREFUSED);
	assert_non_null(strstr(err, want));
	assert_non_null(strstr(err, "refused"));
	assert_int_equal(sink_syslog_ops.send(st, "x", 1, "t"), -ENOTCONN);
	sink_syslog_ops.destroy(st);
}

/* A listener whose accept queue is full drops SYNs: connect() gives up
 * after connect_timeout_ms instead of hanging the runner. */
static void test_tcp_connect_timeout(void **state)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int lfd = socket(AF_INET, SOCK_STREAM, 0), port, fill[4], rc;
	char uri[128], err[256];
	struct timespec t0, t1;
	void *st;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(lfd, 0), 0);
	port = sock_port(lfd);
	a.sin_port = htons(port);
	for (int i = 0; i < 4; i++) {
		fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		connect(fill[i], (struct sockaddr *)&a, sizeof(a));
	}
	usleep(50000);
	snprintf(uri, sizeof(uri), "syslog+tcp://127.0.0.1:%d?connect_timeout_ms=300", port);
	st = sink_new(uri, err, sizeof(err));
	assert_non_null(st);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = sink_syslog_ops.connect(st, err, sizeof(err));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_int_equal(rc, -ETIMEDOUT);
	assert_non_null(strstr(err, "timed out"));
	assert_true(t1.tv_sec - t0.tv_sec < 3);
	sink_syslog_ops.destroy(st);
	for (int i = 0; i < 4; i++)
		close(fill[i]);
	close(lfd);
}

static void test_bad_options(void **state)
{
	static const struct {
		const char *uri, *want;
	} cases[] = {
		{ "syslog+tls://127.0.0.1:6514", "ca_file" },
		{ "syslog+tls://127.0.0.1?ca_file=/nonexistent/ca.pem", "No such file" },
		{ "syslog+tls://127.0.0.1?ca_file=/etc/hostname", "no usable PEM" },
		{ "syslog+tcp://127.0.0.1?ca_file=/etc/hostname", "syslog+tls:// only" },
		{ "syslog+tcp://127.0.0.1?facility=bogus", "facility" },
		{ "syslog+tcp://127.0.0.1?facility=24", "facility" },
		{ "syslog+tcp://127.0.0.1?framing=nul", "framing" },
		{ "syslog+udp://127.0.0.1?max_udp_bytes=100", "max_udp_bytes" },
		{ "syslog+tcp://127.0.0.1?connect_timeout_ms=0", "connect_timeout_ms" },
	};
	char err[512];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		void *st = sink_new(cases[i].uri, err, sizeof(err));

		if (st || !strstr(err, cases[i].want))
			fail_msg("%s: got %s, '%s'", cases[i].uri, st ? "a sink" : "NULL", err);
	}
	{
		char uri[512];
		void *st;

		snprintf(uri, sizeof(uri), "syslog+tls://127.0.0.1?ca_file=%s&cert_file=%s", ca_pem,
			 srv_pem);
		st = sink_new(uri, err, sizeof(err));
		assert_null(st);
		assert_non_null(strstr(err, "key_file"));
	}
}

/* ---- TLS */

static void test_tls_three_lines(void **state)
{
	/* Default server_name is the host, here an address: the IP SAN. */
	static const char *const names[] = { "", "&server_name=localhost" };

	for (int k = 0; k < 2; k++) {
		struct peer *p = peer_start(PEER_TLS_READ_ALL, 0);
		void *st = sink_open("syslog+tls://127.0.0.1:%d?hostname=testhost&ca_file=%s%s",
				     p->port, ca_pem, names[k]);

		send3(st, 0, 3);
		assert_int_equal(sink_syslog_ops.flush(st), 0);
		sink_syslog_ops.destroy(st);
		peer_join(p);
		assert_int_equal(p->accept_rc, 1);
		check_frames(p->buf, p->len, 0, 3);
		peer_free(p);
	}
}

static void test_tls_wrong_name(void **state)
{
	struct peer *p = peer_start(PEER_TLS_READ_ALL, 0);
	char uri[512], err[512], want[64];
	void *st;
	int rc;

	snprintf(uri, sizeof(uri), "syslog+tls://127.0.0.1:%d?ca_file=%s&server_name=wrong.example",
		 p->port, ca_pem);
	st = sink_new(uri, err, sizeof(err));
	assert_non_null(st);
	rc = sink_syslog_ops.connect(st, err, sizeof(err));
	assert_true(rc < 0);
	assert_non_null(strstr(err, "verify"));
	snprintf(want, sizeof(want), "127.0.0.1:%d", p->port);
	assert_non_null(strstr(err, want));
	assert_int_equal(sink_syslog_ops.send(st, "x", 1, "t"), -ENOTCONN);
	sink_syslog_ops.destroy(st);
	peer_join(p);
	assert_int_not_equal(p->accept_rc, 1);
	peer_free(p);
}

/* A CA that did not sign the server's certificate. */
static void test_tls_wrong_ca(void **state)
{
	struct peer *p = peer_start(PEER_TLS_READ_ALL, 0);
	char uri[512], err[512], other[160];
	void *st;

	snprintf(other, sizeof(other), "%s/other-ca.pem", tmpdir);
	snprintf(uri, sizeof(uri), "syslog+tls://127.0.0.1:%d?ca_file=%s", p->port, other);
	st = sink_new(uri, err, sizeof(err));
	assert_non_null(st);
	assert_true(sink_syslog_ops.connect(st, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "certificate verify failed"));
	sink_syslog_ops.destroy(st);
	peer_join(p);
	peer_free(p);
}

/* The TLS server reads the first line and closes, with or without a
 * close_notify: the next flush fails rather than reporting 0. */
static void test_tls_peer_closes(void **state)
{
	for (int notify = 0; notify < 2; notify++) {
		struct peer *p = peer_start(notify ? PEER_TLS_READ_ONCE : PEER_TLS_READ_ONCE_RAW, 0);
		void *st = sink_open("syslog+tls://127.0.0.1:%d?hostname=testhost&ca_file=%s",
				     p->port, ca_pem);

		send3(st, 0, 1);
		assert_int_equal(sink_syslog_ops.flush(st), 0);
		peer_join(p);
		check_frames(p->buf, p->len, 0, 1);
		usleep(20000);
		send3(st, 1, 2);
		assert_true(sink_syslog_ops.flush(st) < 0);
		assert_int_equal(sink_syslog_ops.send(st, "x", 1, "t"), -ENOTCONN);
		sink_syslog_ops.destroy(st);
		peer_free(p);
	}
}

/* ---- UDP and unix */

static void test_udp_datagrams(void **state)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_DGRAM, 0), port;
	char buf[70000];
	void *st;
	ssize_t n;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	port = sock_port(fd);
	st = sink_open("syslog+udp://127.0.0.1:%d?hostname=testhost", port);
	send3(st, 0, 3);
	assert_int_equal(sink_syslog_ops.flush(st), 0);
	for (int i = 0; i < 3; i++) {
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		assert_true(n > 0);
		check_msg(buf, n, i, 86);
	}
	assert_int_equal(recv(fd, buf, sizeof(buf), MSG_DONTWAIT), -1);
	assert_int_equal(stat_of(st, "sent"), 3);
	sink_syslog_ops.destroy(st);

	/* Over max_udp_bytes: one datagram within the limit, counted. */
	st = sink_open("syslog+udp://127.0.0.1:%d?hostname=testhost&max_udp_bytes=1024", port);
	{
		char *big = malloc(3000);
		json_t *j;

		assert_non_null(big);
		memset(big, 'x', 3000);
		memcpy(big, "{\"a\":\"", 6);
		memcpy(big + 2998, "\"}", 2);
		assert_int_equal(sink_syslog_ops.send(st, big, 3000, "process.exec"), 0);
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		assert_true(n > 900 && n <= 1024);
		buf[n] = '\0';
		j = json_loads(strstr(buf, " - {") + 3, 0, NULL);
		assert_non_null(j);
		assert_true(json_is_true(json_object_get(j, "truncated")));
		assert_int_equal(json_integer_value(json_object_get(j, "original_bytes")), 3000);
		json_decref(j);
		free(big);
	}
	assert_int_equal(stat_of(st, "oversize"), 1);
	sink_syslog_ops.destroy(st);
	close(fd);
}

static void test_unix_dgram(void **state)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	char buf[4096], want[512], hdr[64];
	void *st;
	ssize_t n;

	snprintf(a.sun_path, sizeof(a.sun_path), "%s/log", tmpdir);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	st = sink_open("unix://%s/log", tmpdir);
	send3(st, 0, 2);
	for (int i = 0; i < 2; i++) {
		n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
		assert_true(n > 0);
		buf[n] = '\0';
		/* <86>Mmm dd hh:mm:ss idtrace[PID]: LINE */
		snprintf(hdr, sizeof(hdr), " idtrace[%d]: ", getpid());
		assert_memory_equal(buf, "<86>", 4);
		assert_int_equal(buf[7], ' ');
		assert_int_equal(buf[13], ':');
		snprintf(want, sizeof(want), "%s%s", hdr, lines[i]);
		assert_string_equal(buf + 19, want);
	}
	sink_syslog_ops.destroy(st);

	/* The receiver went away: ECONNREFUSED, the runner reconnects. */
	st = sink_open("unix://%s/log", tmpdir);
	close(fd);
	unlink(a.sun_path);
	assert_true(sink_syslog_ops.send(st, "x", 1, "t") < 0);
	sink_syslog_ops.destroy(st);
}

/* A unix stream socket (syslog-ng unix-stream): NUL-terminated messages. */
static void test_unix_stream(void **state)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int lfd = socket(AF_UNIX, SOCK_STREAM, 0), fd;
	char buf[4096];
	size_t len = 0;
	ssize_t n;
	void *st;

	snprintf(a.sun_path, sizeof(a.sun_path), "%s/stream", tmpdir);
	assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	st = sink_open("unix://%s/stream?send_timeout_ms=100", tmpdir);
	fd = accept(lfd, NULL, NULL);
	send3(st, 0, 2);
	assert_int_equal(sink_syslog_ops.flush(st), 0);
	sink_syslog_ops.destroy(st);
	while ((n = recv(fd, buf + len, sizeof(buf) - len, 0)) > 0)
		len += n;
	assert_int_equal(buf[len - 1], '\0');
	assert_non_null(strstr(buf, lines[0]));
	assert_string_equal(buf + strlen(buf) + 1 + 19 + strlen(" idtrace[]: ") +
				    snprintf(NULL, 0, "%d", getpid()), lines[1]);
	close(fd);
	close(lfd);
}

/* ---- set-up: a CA and a server certificate for localhost / 127.0.0.1 */

static int make_certs(void **state)
{
	char cmd[2048];

	signal(SIGPIPE, SIG_IGN);
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(ca_pem, sizeof(ca_pem), "%s/ca.pem", tmpdir);
	snprintf(srv_pem, sizeof(srv_pem), "%s/server.pem", tmpdir);
	snprintf(srv_key, sizeof(srv_key), "%s/server.key", tmpdir);
	snprintf(cmd, sizeof(cmd),
		 "set -e; cd %s; exec 2>openssl.log; "
		 "EC='-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes'; "
		 "for ca in ca other-ca; do openssl req -x509 $EC -keyout $ca.key -out $ca.pem -days 2 "
		 "-subj /CN=idtrace-test-$ca -addext basicConstraints=critical,CA:TRUE "
		 "-addext keyUsage=critical,keyCertSign,cRLSign; done; "
		 "openssl req $EC -keyout server.key -out server.csr -subj /CN=localhost; "
		 "printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n"
		 "extendedKeyUsage=serverAuth\\nbasicConstraints=CA:FALSE\\n' > ext.cnf; "
		 "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
		 "-out server.pem -days 2 -extfile ext.cnf",
		 tmpdir);
	if (system(cmd) != 0) {
		fprintf(stderr, "making test certificates failed: see %s/openssl.log\n", tmpdir);
		return -1;
	}
	return 0;
}

static int remove_certs(void **state)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) ? -1 : 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp_three_lines),
		cmocka_unit_test(test_tcp_lf_framing),
		cmocka_unit_test(test_tcp_peer_closes),
		cmocka_unit_test(test_tcp_peer_closes_unbuffered),
		cmocka_unit_test(test_tcp_window_resent),
		cmocka_unit_test(test_tcp_window_trim),
		cmocka_unit_test(test_tcp_refused),
		cmocka_unit_test(test_tcp_connect_timeout),
		cmocka_unit_test(test_bad_options),
		cmocka_unit_test(test_tls_three_lines),
		cmocka_unit_test(test_tls_wrong_name),
		cmocka_unit_test(test_tls_wrong_ca),
		cmocka_unit_test(test_tls_peer_closes),
		cmocka_unit_test(test_tls_window_resent),
		cmocka_unit_test(test_udp_datagrams),
		cmocka_unit_test(test_unix_dgram),
		cmocka_unit_test(test_unix_stream),
	};

	return cmocka_run_group_tests(tests, make_certs, remove_certs);
}
