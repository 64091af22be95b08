// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The syslog sinks: syslog+udp://, syslog+tcp://, syslog+tls:// (RFC 5424
 * messages; octet-counted frames on TCP and TLS, RFC 6587 and RFC 5425) and
 * unix:///dev/log (the local syslog(3) form). docs/sinks-syslog.md.
 *
 * Stream transports buffer whole frames and write them when the buffer
 * passes buffer_bytes or on flush(). A frame that could not be written
 * stays buffered and goes out first after the next connect(). Syslog has
 * no acknowledgements, and a write() that succeeded only means the kernel
 * took the bytes: when the receiver dies, what it had not read yet dies
 * with its socket. So frames written on the current connection stay in a
 * resend window (acked by the peer's TCP and older than resend_grace_ms
 * they leave it; at most resend_window_bytes of acked ones are kept) and
 * when the connection fails, they are written again first on the next
 * one: delivery is at-least-once, a receiver may see duplicates around an
 * outage but no gap. Sockets are non-blocking and every wait is bounded
 * (connect_timeout_ms, send_timeout_ms), so the runner thread never hangs
 * on a dead or stalled peer. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include "sink.h"
#include "syslog_fmt.h"

enum syslog_transport { SYSLOG_UDP, SYSLOG_TCP, SYSLOG_TLS, SYSLOG_UNIX };

struct syslog_sink {
	enum syslog_transport tr;
	char *uri;
	char *host;	    /* network transports */
	int port;
	char *path;	    /* unix */
	char peer[300];	    /* "host:port", "[v6]:port" or the path, for messages */
	char *server_name;  /* TLS: name (or address) the certificate must carry */
	char *ca_file;
	bool server_is_ip;
	struct syslog_fmt fmt;
	int facility;
	bool lf_framing;    /* TCP/TLS: LF instead of octet counting */
	size_t max_dgram;   /* bytes per datagram (UDP, unix datagram) */
	int connect_timeout_ms;
	int send_timeout_ms;
	size_t buffer_bytes; /* stream: write out once this much is buffered */
	size_t window_bytes; /* stream: acked frames kept for a resend, at most */
	int grace_ms;	     /* stream: acked frames younger than this are kept */
	char hostname[256];

	SSL_CTX *ctx;
	SSL *ssl;
	bool tls_clean;	    /* handshake done, no fatal error: may send close_notify */
	int fd;
	int sock_type;	    /* of the connected socket */
	bool connected_once;

	/* Stream buffer: whole frames in buf[0, len), frame i ends at
	 * fr[i].end. Frames [0, head) are gone (their bytes are reclaimed
	 * lazily, compact()); [head, nwin) are the resend window: written
	 * completely on the current connection, kept until the peer surely
	 * read them; [nwin, nframes) wait to be written, and off (>= the end
	 * of frame nwin - 1) is how far buf was written on this connection.
	 * When the connection ends without the peer having read everything,
	 * nwin and off go back to head: the window is written again first. */
	char *buf;
	size_t len, cap, off;
	struct frame {
		size_t end;	  /* where the frame ends in buf */
		int64_t written;  /* now_ms() when last written completely */
		uint64_t wire;	  /* the connection's wire bytes by then */
		bool counted;	  /* in sent/bytes: a later write is a resend */
	} *fr;
	size_t nframes, fr_cap, head, nwin;
	uint64_t wire;	    /* bytes handed to the kernel on this connection
			     * (TLS: records, handshake included) */
	char *dgram;	    /* scratch for one datagram */
	size_t dgram_cap;

	uint64_t sent, bytes, reconnects, oversize, resent;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int ms_left(int64_t deadline)
{
	int64_t left = deadline - now_ms();

	return left < 0 ? 0 : left > INT32_MAX ? INT32_MAX : (int)left;
}

/* Wait for events on fd until deadline. 0, -ETIMEDOUT, or -errno. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	int rc;

	do {
		rc = poll(&p, 1, ms_left(deadline));
	} while (rc < 0 && errno == EINTR);
	if (rc < 0)
		return -errno;
	return rc ? 0 : -ETIMEDOUT;
}

/* ---- OpenSSL over our socket: a BIO that sends with MSG_NOSIGNAL, so a
 * dead peer gives EPIPE instead of killing the daemon with SIGPIPE, and
 * counts the bytes it hands to the kernel (the resend window compares
 * them with SIOCOUTQ). Its data is the sink. */

static BIO_METHOD *sock_bio_method;
static pthread_once_t sock_bio_once = PTHREAD_ONCE_INIT;

static int sock_bio_write(BIO *b, const char *data, int n)
{
	struct syslog_sink *s = BIO_get_data(b);
	ssize_t r = send(s->fd, data, n, MSG_NOSIGNAL | MSG_DONTWAIT);

	BIO_clear_retry_flags(b);
	if (r > 0)
		s->wire += (uint64_t)r;
	if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		BIO_set_retry_write(b);
	return (int)r;
}

static int sock_bio_read(BIO *b, char *data, int n)
{
	struct syslog_sink *s = BIO_get_data(b);
	ssize_t r = recv(s->fd, data, n, MSG_DONTWAIT);

	BIO_clear_retry_flags(b);
	if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		BIO_set_retry_read(b);
	return (int)r;
}

static long sock_bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static void sock_bio_init_method(void)
{
	BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "idtrace socket");

	if (m && BIO_meth_set_write(m, sock_bio_write) && BIO_meth_set_read(m, sock_bio_read) &&
	    BIO_meth_set_ctrl(m, sock_bio_ctrl))
		sock_bio_method = m;
	else
		BIO_meth_free(m);
}

static BIO *sock_bio_new(struct syslog_sink *s)
{
	BIO *b;

	pthread_once(&sock_bio_once, sock_bio_init_method);
	if (!sock_bio_method || !(b = BIO_new(sock_bio_method)))
		return NULL;
	BIO_set_data(b, s);
	BIO_set_init(b, 1);
	return b;
}

/* The first queued OpenSSL error as text, or what. */
static const char *tls_err_text(char *buf, size_t n, const char *what)
{
	unsigned long e = ERR_get_error();

	if (!e)
		return what;
	ERR_error_string_n(e, buf, n);
	return buf;
}

/* ---- create */

static int load_tls(struct syslog_sink *s, const struct sink_spec *spec, char *err, size_t n)
{
	const char *ca = sink_opt_str(spec, "ca_file", NULL);
	const char *cert = sink_opt_str(spec, "cert_file", NULL);
	const char *key = sink_opt_str(spec, "key_file", NULL);
	const char *files[3] = { ca, cert, key }, *names[3] = { "ca_file", "cert_file", "key_file" };
	struct in6_addr a6;
	char ebuf[256];
	FILE *f;

	if (!ca || !*ca) {
		snprintf(err, n, "sink '%s': syslog+tls needs ca_file=PATH, the PEM file of the CA "
			 "that signed the server's certificate", spec->uri);
		return -EINVAL;
	}
	if (!cert != !key) {
		snprintf(err, n, "sink '%s': a client certificate needs both cert_file and key_file",
			 spec->uri);
		return -EINVAL;
	}
	for (int i = 0; i < 3; i++) {
		if (!files[i])
			continue;
		f = fopen(files[i], "r");
		if (!f) {
			snprintf(err, n, "sink '%s': %s '%s': %s", spec->uri, names[i], files[i],
				 strerror(errno));
			return -errno;
		}
		fclose(f);
	}
	ERR_clear_error();
	s->ctx = SSL_CTX_new(TLS_client_method());
	if (!s->ctx || !SSL_CTX_set_min_proto_version(s->ctx, TLS1_2_VERSION)) {
		snprintf(err, n, "sink '%s': TLS set-up: %s", spec->uri,
			 tls_err_text(ebuf, sizeof(ebuf), "out of memory"));
		return -ENOMEM;
	}
	SSL_CTX_set_verify(s->ctx, SSL_VERIFY_PEER, NULL);
	if (SSL_CTX_load_verify_locations(s->ctx, ca, NULL) != 1) {
		snprintf(err, n, "sink '%s': ca_file '%s' holds no usable PEM certificate: %s",
			 spec->uri, ca, tls_err_text(ebuf, sizeof(ebuf), "unknown error"));
		return -EINVAL;
	}
	if (cert && (SSL_CTX_use_certificate_chain_file(s->ctx, cert) != 1 ||
		     SSL_CTX_use_PrivateKey_file(s->ctx, key, SSL_FILETYPE_PEM) != 1 ||
		     SSL_CTX_check_private_key(s->ctx) != 1)) {
		snprintf(err, n, "sink '%s': client certificate '%s' / key '%s': %s", spec->uri,
			 cert, key, tls_err_text(ebuf, sizeof(ebuf), "unknown error"));
		return -EINVAL;
	}
	s->server_name = strdup(sink_opt_str(spec, "server_name", s->host));
	s->ca_file = strdup(ca);
	if (!s->server_name || !s->ca_file)
		return -ENOMEM;
	s->server_is_ip = inet_pton(AF_INET, s->server_name, &a6) == 1 ||
			  inet_pton(AF_INET6, s->server_name, &a6) == 1;
	return 0;
}

static int parse_options(struct syslog_sink *s, const struct sink_spec *spec, char *err, size_t n)
{
	const char *fac = sink_opt_str(spec, "facility", "authpriv");
	const char *framing = sink_opt_str(spec, "framing", "octet-counting");
	json_t *facv = json_object_get(spec->options, "facility");
	long long v;
	int rc;

	if (json_is_integer(facv)) {
		if ((rc = sink_opt_int(spec, "facility", 10, 0, 23, &v, err, n)))
			return rc;
		s->facility = (int)v;
	} else {
		s->facility = syslog_fmt_facility(fac);
	}
	if (s->facility < 0) {
		snprintf(err, n, "sink '%s': unknown facility '%s' (authpriv, auth, daemon, user, "
			 "local0..local7, or 0..23)", spec->uri, fac);
		return -EINVAL;
	}
	if (!strcmp(framing, "octet-counting")) {
		s->lf_framing = false;
	} else if (!strcmp(framing, "lf")) {
		s->lf_framing = true;
	} else {
		snprintf(err, n, "sink '%s': unknown framing '%s' (octet-counting or lf)", spec->uri,
			 framing);
		return -EINVAL;
	}
	if ((rc = sink_opt_int(spec, "max_udp_bytes", 65000, 1024, 65507, &v, err, n)))
		return rc;
	s->max_dgram = (size_t)v;
	if ((rc = sink_opt_int(spec, "connect_timeout_ms", 5000, 1, 600000, &v, err, n)))
		return rc;
	s->connect_timeout_ms = (int)v;
	if ((rc = sink_opt_int(spec, "send_timeout_ms", 10000, 1, 600000, &v, err, n)))
		return rc;
	s->send_timeout_ms = (int)v;
	if ((rc = sink_opt_int(spec, "buffer_bytes", 65536, 0, 16 << 20, &v, err, n)))
		return rc;
	s->buffer_bytes = (size_t)v;
	if ((rc = sink_opt_int(spec, "resend_window_bytes", 1 << 20, 0, 1 << 30, &v, err, n)))
		return rc;
	s->window_bytes = (size_t)v;
	if ((rc = sink_opt_int(spec, "resend_grace_ms", 5000, 0, 600000, &v, err, n)))
		return rc;
	s->grace_ms = (int)v;
	if (s->tr != SYSLOG_TLS) {
		static const char *const tls_only[] = { "ca_file", "cert_file", "key_file",
							"server_name" };

		for (size_t i = 0; i < sizeof(tls_only) / sizeof(tls_only[0]); i++)
			if (json_object_get(spec->options, tls_only[i])) {
				snprintf(err, n, "sink '%s': option %s applies to syslog+tls:// only",
					 spec->uri, tls_only[i]);
				return -EINVAL;
			}
	}
	snprintf(s->hostname, sizeof(s->hostname), "%s", sink_opt_str(spec, "hostname", ""));
	if (!s->hostname[0] && gethostname(s->hostname, sizeof(s->hostname) - 1))
		s->hostname[0] = '\0';
	return 0;
}

static void syslog_destroy(void *st);

static void *syslog_create(const struct sink_spec *spec, char *err, size_t n)
{
	struct syslog_sink *s = calloc(1, sizeof(*s));

	if (!s) {
		snprintf(err, n, "out of memory");
		return NULL;
	}
	s->fd = -1;
	if (!strcmp(spec->scheme, "syslog+udp")) {
		s->tr = SYSLOG_UDP;
	} else if (!strcmp(spec->scheme, "syslog+tcp")) {
		s->tr = SYSLOG_TCP;
	} else if (!strcmp(spec->scheme, "syslog+tls")) {
		s->tr = SYSLOG_TLS;
	} else if (!strcmp(spec->scheme, "unix")) {
		s->tr = SYSLOG_UNIX;
	} else {
		snprintf(err, n, "sink '%s': scheme '%s' is not a syslog scheme", spec->uri,
			 spec->scheme);
		goto fail;
	}
	s->uri = strdup(spec->uri);
	if (s->tr == SYSLOG_UNIX) {
		if (!spec->path || !*spec->path) {
			snprintf(err, n, "sink '%s': name the socket (unix:///dev/log)", spec->uri);
			goto fail;
		}
		s->path = strdup(spec->path);
		snprintf(s->peer, sizeof(s->peer), "%s", spec->path);
	} else {
		if (!spec->host || spec->port <= 0) {
			snprintf(err, n, "sink '%s': name the server (%s://HOST:PORT)", spec->uri,
				 spec->scheme);
			goto fail;
		}
		s->host = strdup(spec->host);
		s->port = spec->port;
		snprintf(s->peer, sizeof(s->peer), strchr(spec->host, ':') ? "[%s]:%d" : "%s:%d",
			 spec->host, spec->port);
	}
	if (!s->uri || (!s->path && !s->host)) {
		snprintf(err, n, "out of memory");
		goto fail;
	}
	if (parse_options(s, spec, err, n))
		goto fail;
	if (s->tr == SYSLOG_TLS && load_tls(s, spec, err, n))
		goto fail;
	return s;
fail:
	syslog_destroy(s);
	return NULL;
}

/* ---- connect */

/* Connect fd to addr within deadline. 0 or -errno. */
static int connect_fd(int fd, const struct sockaddr *addr, socklen_t alen, int64_t deadline)
{
	socklen_t sl = sizeof(int);
	int rc, soerr = 0;

	if (connect(fd, addr, alen) == 0)
		return 0;
	if (errno != EINPROGRESS)
		return -errno;
	rc = wait_fd(fd, POLLOUT, deadline);
	if (rc)
		return rc;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl))
		return -errno;
	return -soerr;
}

static int connect_inet(struct syslog_sink *s, int64_t deadline, char *err, size_t n)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC }, *res = NULL, *ai;
	char port[8];
	int rc = -EHOSTUNREACH, one = 1;

	hints.ai_socktype = s->tr == SYSLOG_UDP ? SOCK_DGRAM : SOCK_STREAM;
	snprintf(port, sizeof(port), "%d", s->port);
	/* getaddrinfo is bounded by the resolver's own timeout (resolv.conf). */
	rc = getaddrinfo(s->host, port, &hints, &res);
	if (rc) {
		snprintf(err, n, "%s: cannot resolve '%s': %s", s->peer, s->host,
			 rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return rc == EAI_AGAIN ? -EAGAIN : -EHOSTUNREACH;
	}
	rc = -EHOSTUNREACH;
	for (ai = res; ai; ai = ai->ai_next) {
		s->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
			       ai->ai_protocol);
		if (s->fd < 0) {
			rc = -errno;
			continue;
		}
		rc = connect_fd(s->fd, ai->ai_addr, ai->ai_addrlen, deadline);
		if (!rc)
			break;
		close(s->fd);
		s->fd = -1;
	}
	freeaddrinfo(res);
	if (rc) {
		snprintf(err, n, "%s: connect: %s", s->peer,
			 rc == -ETIMEDOUT ? "timed out (connect_timeout_ms)" : strerror(-rc));
		return rc;
	}
	s->sock_type = hints.ai_socktype;
	if (s->tr != SYSLOG_UDP) {
		/* We batch frames ourselves; send each batch at once. */
		setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		setsockopt(s->fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	}
	return 0;
}

static int connect_unix(struct syslog_sink *s, int64_t deadline, char *err, size_t n)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	static const int types[] = { SOCK_DGRAM, SOCK_STREAM };
	int rc = 0;

	if (strlen(s->path) >= sizeof(sun.sun_path)) {
		snprintf(err, n, "%s: socket path too long", s->path);
		return -ENAMETOOLONG;
	}
	strcpy(sun.sun_path, s->path);
	/* Datagrams as syslog(3) does; a stream socket (syslog-ng's
	 * unix-stream) answers EPROTOTYPE and gets a second try. */
	for (int i = 0; i < 2; i++) {
		s->fd = socket(AF_UNIX, types[i] | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (s->fd < 0) {
			rc = -errno;
			break;
		}
		rc = connect_fd(s->fd, (struct sockaddr *)&sun, sizeof(sun), deadline);
		if (!rc) {
			s->sock_type = types[i];
			return 0;
		}
		close(s->fd);
		s->fd = -1;
		if (rc != -EPROTOTYPE)
			break;
	}
	snprintf(err, n, "%s: connect: %s", s->path, strerror(-rc));
	return rc;
}

static int tls_handshake(struct syslog_sink *s, int64_t deadline, char *err, size_t n)
{
	char ebuf[256];
	BIO *b;
	int r, e, rc;

	ERR_clear_error();
	s->ssl = SSL_new(s->ctx);
	b = s->ssl ? sock_bio_new(s) : NULL;
	if (!b) {
		snprintf(err, n, "%s: TLS set-up: out of memory", s->peer);
		return -ENOMEM;
	}
	SSL_set_bio(s->ssl, b, b);
	SSL_set_mode(s->ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (s->server_is_ip) {
		/* No SNI for an address (RFC 6066 3); match the IP SAN. */
		r = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(s->ssl), s->server_name);
	} else {
		r = SSL_set1_host(s->ssl, s->server_name) &&
		    SSL_set_tlsext_host_name(s->ssl, s->server_name);
	}
	if (r != 1) {
		snprintf(err, n, "%s: TLS set-up: bad server_name '%s'", s->peer, s->server_name);
		return -EINVAL;
	}
	for (;;) {
		errno = 0;
		r = SSL_connect(s->ssl);
		if (r == 1)
			break;
		e = SSL_get_error(s->ssl, r);
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
			rc = wait_fd(s->fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline);
			if (!rc)
				continue;
			snprintf(err, n, "%s: TLS handshake: %s", s->peer,
				 rc == -ETIMEDOUT ? "timed out (connect_timeout_ms)" : strerror(-rc));
			return rc;
		}
		if (SSL_get_verify_result(s->ssl) != X509_V_OK) {
			snprintf(err, n, "%s: TLS handshake: certificate verify failed: %s (server_name "
				 "'%s', ca_file '%s')", s->peer,
				 X509_verify_cert_error_string(SSL_get_verify_result(s->ssl)),
				 s->server_name, s->ca_file);
			return -EPROTO;
		}
		if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
			rc = errno ? -errno : -ECONNRESET;
			snprintf(err, n, "%s: TLS handshake: %s", s->peer,
				 errno ? strerror(errno) : "connection closed by the server");
			return rc;
		}
		snprintf(err, n, "%s: TLS handshake: %s", s->peer,
			 tls_err_text(ebuf, sizeof(ebuf), "protocol error"));
		return -EPROTO;
	}
	s->tls_clean = true;
	return 0;
}

/* ---- the stream buffer and its resend window */

static size_t frame_start(const struct syslog_sink *s, size_t i)
{
	return i ? s->fr[i - 1].end : 0;
}

/* Reclaim the room of the frames before head once they take as much as the
 * live ones (each byte moves a bounded number of times). */
static void compact(struct syslog_sink *s)
{
	size_t base = frame_start(s, s->head);

	if (!s->head || base < s->len - base)
		return;
	memmove(s->buf, s->buf + base, s->len - base);
	s->len -= base;
	s->off -= base;
	for (size_t j = s->head; j < s->nframes; j++) {
		s->fr[j - s->head] = s->fr[j];
		s->fr[j - s->head].end -= base;
	}
	s->nframes -= s->head;
	s->nwin -= s->head;
	s->head = 0;
}

/* Let frames leave the resend window once the peer has them for sure
 * enough: its TCP acknowledged them (SIOCOUTQ is what it did not
 * acknowledge yet) and they were written grace_ms ago, or more than
 * window_bytes of acknowledged frames are held (the oldest go). Frames the
 * peer did not acknowledge always stay: they are at most the socket's send
 * buffer. An ack only says the peer's kernel has the bytes, not that the
 * receiver read them (a receiver that is killed loses its socket's receive
 * queue): grace_ms is the time a live receiver gets to read them. On a
 * unix stream socket SIOCOUTQ counts what the receiver has not read. */
static void trim(struct syslog_sink *s)
{
	uint64_t acked = 0;
	size_t lo, hi, held;
	int64_t now;
	int outq;

	if (s->head == s->nwin || s->fd < 0)
		return;
	if (ioctl(s->fd, SIOCOUTQ, &outq) || outq < 0)
		acked = s->wire; /* cannot tell: the time and size bounds only */
	else if ((uint64_t)outq <= s->wire)
		acked = s->wire - (uint64_t)outq;
	/* Frames were written in order: the acknowledged ones are a prefix,
	 * [head, lo). */
	lo = s->head;
	hi = s->nwin;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->fr[mid].wire <= acked)
			lo = mid + 1;
		else
			hi = mid;
	}
	held = frame_start(s, lo) - frame_start(s, s->head);
	now = now_ms();
	while (s->head < lo && (held > s->window_bytes ||
			       now - s->fr[s->head].written >= s->grace_ms)) {
		held -= s->fr[s->head].end - frame_start(s, s->head);
		s->head++;
	}
	compact(s);
}

/* Frames written completely by now join the window. */
static void settle(struct syslog_sink *s)
{
	int64_t now = now_ms();

	for (; s->nwin < s->nframes && s->fr[s->nwin].end <= s->off; s->nwin++) {
		struct frame *f = &s->fr[s->nwin];

		f->written = now;
		f->wire = s->wire;
		if (f->counted) {
			s->resent++;
		} else {
			f->counted = true;
			s->sent++;
			s->bytes += f->end - frame_start(s, s->nwin);
		}
	}
}

/* Close the connection. graceful (a healthy stream): send close_notify and
 * our FIN, then read to the peer's EOF for a bounded time: closing with
 * unread bytes (TLS 1.3 session tickets) sends a RST, and a RST makes the
 * peer's kernel drop whatever the peer had not read yet. Returns true when
 * the peer surely read everything we wrote: it answered our FIN with its
 * own EOF (a receiver reads to our end of stream, so everything before it,
 * before it closes; closing with unread bytes would have sent a RST), no
 * reset came, and it acknowledged every byte and the FIN. */
static bool close_conn(struct syslog_sink *s, bool graceful)
{
	bool all_read = false;

	if (s->fd >= 0 && graceful && s->sock_type == SOCK_STREAM) {
		int64_t deadline = now_ms() + (s->send_timeout_ms < 1000 ? s->send_timeout_ms : 1000);
		char scratch[4096];
		bool eof = false;
		ssize_t r;

		if (s->ssl && s->tls_clean) {
			ERR_clear_error();
			SSL_shutdown(s->ssl); /* one close_notify, no waiting for the peer's */
		}
		shutdown(s->fd, SHUT_WR);
		while (!wait_fd(s->fd, POLLIN, deadline)) {
			r = recv(s->fd, scratch, sizeof(scratch), MSG_DONTWAIT);
			if (!r)
				eof = true;
			if (!r || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
				break;
		}
		while (eof) {
			socklen_t sl = sizeof(int);
			int soerr = 0, outq = -1;

			if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) || soerr ||
			    ioctl(s->fd, SIOCOUTQ, &outq))
				break;
			if (!outq) {
				all_read = true;
				break;
			}
			if (now_ms() >= deadline)
				break;
			poll(NULL, 0, 1);
		}
	}
	if (s->ssl) {
		SSL_free(s->ssl);
		s->ssl = NULL;
		s->tls_clean = false;
	}
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	ERR_clear_error();
	return all_read;
}

/* End the connection. Unless the peer surely read everything, the window
 * goes back to unwritten: it is written again, first, on the next
 * connection (with any partly written frame and what was never written). */
static void end_conn(struct syslog_sink *s, bool graceful)
{
	if (s->fd >= 0 && s->sock_type == SOCK_STREAM)
		trim(s); /* while SIOCOUTQ still answers */
	if (close_conn(s, graceful))
		s->head = s->nwin;
	s->nwin = s->head;
	s->off = frame_start(s, s->head);
	s->wire = 0;
	compact(s);
}

static void syslog_disconnect(void *st)
{
	end_conn(st, true);
}

static int flush_stream(struct syslog_sink *s);

static int syslog_connect(void *st, char *err, size_t n)
{
	struct syslog_sink *s = st;
	int64_t deadline = now_ms() + s->connect_timeout_ms;
	enum syslog_fmt_style style = SYSLOG_FMT_RFC5424;
	enum syslog_fmt_framing framing = SYSLOG_FRAME_NONE;
	int rc;

	syslog_disconnect(s);
	rc = s->tr == SYSLOG_UNIX ? connect_unix(s, deadline, err, n)
				  : connect_inet(s, deadline, err, n);
	if (!rc && s->tr == SYSLOG_TLS)
		rc = tls_handshake(s, deadline, err, n);
	if (rc) {
		end_conn(s, false);
		return rc;
	}
	if (s->tr == SYSLOG_UNIX)
		style = SYSLOG_FMT_LOCAL;
	if (s->sock_type == SOCK_STREAM)
		framing = s->tr == SYSLOG_UNIX ? SYSLOG_FRAME_NUL
			  : s->lf_framing     ? SYSLOG_FRAME_LF
					      : SYSLOG_FRAME_OCTET;
	/* The pid at connect time: right after a daemonizing fork too. */
	syslog_fmt_init(&s->fmt, style, framing, syslog_fmt_pri(s->facility, SYSLOG_FMT_SEV_INFO),
			s->hostname, "idtrace", getpid());
	if (framing == SYSLOG_FRAME_NONE)
		s->fmt.max_bytes = s->max_dgram;
	if (s->connected_once)
		s->reconnects++;
	s->connected_once = true;
	/* What the last connection may have lost, and what it never took,
	 * goes first, before anything new. */
	if (s->sock_type == SOCK_STREAM && s->off < s->len) {
		size_t frames = s->nframes - s->nwin;

		rc = flush_stream(s);
		if (rc) {
			snprintf(err, n, "%s: resending %zu messages: %s", s->peer, frames,
				 rc == -ETIMEDOUT ? "timed out (send_timeout_ms)" : strerror(-rc));
			return rc;
		}
	}
	return 0;
}

static int syslog_reopen(void *st, char *err, size_t n)
{
	return syslog_connect(st, err, n);
}

/* ---- send */

/* Has the peer closed or failed? Reads (and drops) whatever it sent us:
 * syslog receivers send nothing, TLS may send tickets or an alert. */
static int peer_check(struct syslog_sink *s)
{
	struct pollfd p = { .fd = s->fd, .events = POLLIN | POLLRDHUP };
	char scratch[512];
	socklen_t sl = sizeof(int);
	int soerr = 0;

	if (poll(&p, 1, 0) <= 0 || !p.revents)
		return 0;
	if (p.revents & POLLERR) {
		getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
		return soerr ? -soerr : -EPIPE;
	}
	for (;;) {
		if (s->ssl) {
			int r, e;

			ERR_clear_error();
			errno = 0;
			r = SSL_read(s->ssl, scratch, sizeof(scratch));
			if (r > 0)
				continue;
			e = SSL_get_error(s->ssl, r);
			if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
				return 0;
			s->tls_clean = e == SSL_ERROR_ZERO_RETURN;
			return e == SSL_ERROR_SYSCALL && errno ? -errno : -EPIPE;
		}
		ssize_t r = recv(s->fd, scratch, sizeof(scratch), MSG_DONTWAIT);

		if (r > 0)
			continue;
		if (r == 0)
			return -EPIPE;
		return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
	}
}

/* Write [off, len) of the buffer. 0, or -errno when the peer is gone or
 * stalled beyond send_timeout_ms. */
static int write_all(struct syslog_sink *s)
{
	int64_t deadline = now_ms() + s->send_timeout_ms;
	int rc = peer_check(s);

	while (!rc && s->off < s->len) {
		size_t todo = s->len - s->off;
		short wait = POLLOUT;
		ssize_t w;

		if (s->ssl) {
			int e;

			ERR_clear_error();
			errno = 0;
			w = SSL_write(s->ssl, s->buf + s->off, todo > INT32_MAX ? INT32_MAX : (int)todo);
			if (w <= 0) {
				e = SSL_get_error(s->ssl, (int)w);
				if (e == SSL_ERROR_WANT_READ)
					wait = POLLIN;
				else if (e != SSL_ERROR_WANT_WRITE) {
					s->tls_clean = false;
					rc = e == SSL_ERROR_SYSCALL && errno ? -errno : -EPIPE;
					break;
				}
			}
		} else {
			w = send(s->fd, s->buf + s->off, todo, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
				rc = -errno;
				break;
			}
		}
		if (w > 0) {
			s->off += w;
			if (!s->ssl) /* TLS counts in sock_bio_write */
				s->wire += (uint64_t)w;
		} else
			rc = wait_fd(s->fd, wait, deadline);
	}
	return rc;
}

static int flush_stream(struct syslog_sink *s)
{
	int rc;

	if (s->off >= s->len) {
		trim(s);
		return 0;
	}
	rc = write_all(s);
	settle(s);
	/* A partly written frame leaves the stream out of step: nothing more
	 * may go on this connection. */
	if (rc)
		end_conn(s, false);
	else
		trim(s);
	return rc;
}

static int grow(void *pp, size_t *cap, size_t need, size_t elem)
{
	void *p;
	size_t c = *cap ? *cap : 16;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	p = realloc(*(void **)pp, c * elem);
	if (!p)
		return -ENOMEM;
	*(void **)pp = p;
	*cap = c;
	return 0;
}

static int send_stream(struct syslog_sink *s, const char *line, size_t len, const char *type)
{
	size_t need = syslog_fmt_frame_size(&s->fmt, len), start;
	struct timespec now;
	bool oversize;
	int rc;

	/* Only what is not written yet counts against buffer_bytes. */
	if (s->len > s->off && s->len - s->off + need > s->buffer_bytes &&
	    (rc = flush_stream(s)))
		return rc;
	if (grow(&s->buf, &s->cap, s->len + need, 1) ||
	    grow(&s->fr, &s->fr_cap, s->nframes + 1, sizeof(*s->fr)))
		return -ENOMEM;
	clock_gettime(CLOCK_REALTIME, &now);
	start = s->len;
	s->len += syslog_fmt_frame(&s->fmt, &now, type, line, len, s->buf + start, &oversize);
	s->fr[s->nframes++] = (struct frame){ .end = s->len };
	if (s->len - s->off < s->buffer_bytes)
		return 0;
	rc = flush_stream(s);
	if (rc && s->nframes > s->head) {
		/* This line is reported as not sent: the runner spools it, so
		 * it must not stay here too. (A failed write never completes
		 * the last frame: it is not in the window.) */
		s->nframes--;
		s->len = frame_start(s, s->nframes);
	}
	return rc;
}

static int send_dgram(struct syslog_sink *s, const char *line, size_t len, const char *type)
{
	size_t need = syslog_fmt_frame_size(&s->fmt, len), flen;
	struct timespec now;
	bool oversize;
	ssize_t w;

	if (grow(&s->dgram, &s->dgram_cap, need, 1))
		return -ENOMEM;
	clock_gettime(CLOCK_REALTIME, &now);
	flen = syslog_fmt_frame(&s->fmt, &now, type, line, len, s->dgram, &oversize);
	for (int tries = 0;; tries++) {
		w = send(s->fd, s->dgram, flen, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w >= 0)
			break;
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS && errno != EINTR)
			return -errno;
		/* A full receiver queue (/dev/log) loses nothing: wait a bit,
		 * then let the runner try later. */
		if (tries || wait_fd(s->fd, POLLOUT, now_ms() + s->send_timeout_ms))
			return -EAGAIN;
	}
	s->sent++;
	s->bytes += flen;
	s->oversize += oversize;
	return 0;
}

static int syslog_send(void *st, const char *line, size_t len, const char *type)
{
	struct syslog_sink *s = st;

	if (s->fd < 0)
		return -ENOTCONN;
	return s->sock_type == SOCK_DGRAM ? send_dgram(s, line, len, type)
					  : send_stream(s, line, len, type);
}

static int syslog_flush(void *st)
{
	struct syslog_sink *s = st;

	if (s->fd < 0)
		return s->off < s->len ? -ENOTCONN : 0;
	return s->sock_type == SOCK_DGRAM ? 0 : flush_stream(s);
}

static void syslog_stats(void *st, json_t *obj)
{
	struct syslog_sink *s = st;

	json_object_set_new(obj, "sent", json_integer((json_int_t)s->sent));
	json_object_set_new(obj, "bytes", json_integer((json_int_t)s->bytes));
	json_object_set_new(obj, "reconnects", json_integer((json_int_t)s->reconnects));
	json_object_set_new(obj, "oversize", json_integer((json_int_t)s->oversize));
	json_object_set_new(obj, "resent", json_integer((json_int_t)s->resent));
	json_object_set_new(obj, "buffered_bytes", json_integer((json_int_t)(s->len - s->off)));
	json_object_set_new(obj, "window_bytes",
			    json_integer((json_int_t)(frame_start(s, s->nwin) -
						      frame_start(s, s->head))));
}

static void syslog_destroy(void *st)
{
	struct syslog_sink *s = st;

	if (!s)
		return;
	syslog_disconnect(s);
	SSL_CTX_free(s->ctx);
	free(s->uri);
	free(s->host);
	free(s->path);
	free(s->server_name);
	free(s->ca_file);
	free(s->buf);
	free(s->fr);
	free(s->dgram);
	free(s);
}

/* What parse_options and the TLS setup read. */
static const char *const syslog_options[] = { "facility", "hostname", "framing", "max_udp_bytes",
					       "connect_timeout_ms", "send_timeout_ms",
					       "buffer_bytes", "resend_window_bytes",
					       "resend_grace_ms", "ca_file", "cert_file", "key_file",
					       "server_name", NULL };

const struct sink_ops sink_syslog_ops = {
	.scheme = "syslog",
	.options = syslog_options,
	.create = syslog_create,
	.connect = syslog_connect,
	.send = syslog_send,
	.flush = syslog_flush,
	.disconnect = syslog_disconnect,
	.reopen = syslog_reopen,
	.stats = syslog_stats,
	.destroy = syslog_destroy,
};
