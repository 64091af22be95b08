// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A TLS client built the way Node.js is: OpenSSL linked into the executable
 * (static libssl/libcrypto, exported with --export-dynamic, so the program
 * itself is the "library"), driven through memory BIOs, and writing its
 * request before the handshake is done, so SSL_write fails with "want read"
 * and is called again after each handshake step, each time from a fresh
 * copy of the request (the buffer moves, as Node's does).
 *
 * Usage: tls_embedded_client PORT SERVER_NAME PATH COUNT
 * Reads a bearer token from stdin (first line: it is not put on argv, and
 * the wait for it lets a test attach its probes first), then sends COUNT
 * identical GET PATH requests on one keep-alive connection to
 * 127.0.0.1:PORT, reading each response. Prints "attempts=N" (SSL_write
 * calls made) and exits 0 when every response arrived.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int sock = -1;
static SSL *ssl;
static BIO *in_bio, *out_bio;

/* Ciphertext the library produced: to the socket. */
static int flush_out(void)
{
	char buf[16384];
	int n;

	while ((n = BIO_read(out_bio, buf, sizeof(buf))) > 0) {
		for (int off = 0; off < n;) {
			ssize_t w = write(sock, buf + off, (size_t)(n - off));

			if (w <= 0)
				return -1;
			off += (int)w;
		}
	}
	return 0;
}

/* Ciphertext from the peer: into the library. */
static int pump_in(void)
{
	char buf[16384];
	ssize_t n = read(sock, buf, sizeof(buf));

	if (n <= 0)
		return -1;
	return BIO_write(in_bio, buf, (int)n) == n ? 0 : -1;
}

/* Drive the library after a call that wants I/O. */
static int step(int rc)
{
	int err = SSL_get_error(ssl, rc);

	if (flush_out())
		return -1;
	if (err == SSL_ERROR_WANT_READ)
		return pump_in();
	return err == SSL_ERROR_WANT_WRITE ? 0 : -1;
}

static int send_request(const char *req, size_t len, int *attempts)
{
	for (;;) {
		/* a fresh copy each time: the retry's buffer is not the first one's */
		char *copy = malloc(len);
		int rc;

		if (!copy)
			return -1;
		memcpy(copy, req, len);
		rc = SSL_write(ssl, copy, (int)len);
		free(copy);
		(*attempts)++;
		if (rc == (int)len)
			return flush_out();
		if (rc > 0 || step(rc))
			return -1;
	}
}

/* Read until the head and a Content-Length body have arrived. */
static int read_response(void)
{
	char buf[8192];
	size_t have = 0;

	for (;;) {
		char *end, *cl;
		int rc = SSL_read(ssl, buf + have, (int)(sizeof(buf) - 1 - have));

		if (rc <= 0) {
			if (step(rc))
				return -1;
			continue;
		}
		have += (size_t)rc;
		buf[have] = '\0';
		end = strstr(buf, "\r\n\r\n");
		cl = strcasestr(buf, "\r\ncontent-length:");
		if (end && cl && have >= (size_t)(end + 4 - buf) + strtoul(cl + 17, NULL, 10))
			return 0;
		if (have == sizeof(buf) - 1)
			return -1;
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	char token[4096], req[8192];
	int attempts = 0, count, len;
	SSL_CTX *ctx;

	if (argc != 5) {
		fprintf(stderr, "usage: tls_embedded_client PORT SERVER_NAME PATH COUNT\n");
		return 2;
	}
	if (!fgets(token, sizeof(token), stdin))
		return 2;
	token[strcspn(token, "\r\n")] = '\0';
	count = atoi(argv[4]);
	len = snprintf(req, sizeof(req),
		       "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: embedded-client/1\r\n"
		       "Authorization: Bearer %s\r\nConnection: keep-alive\r\n\r\n",
		       argv[3], argv[2], token);
	if (len <= 0 || len >= (int)sizeof(req))
		return 2;
	sa.sin_port = htons((unsigned short)atoi(argv[1]));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sock = socket(AF_INET, SOCK_STREAM, 0);
	if (sock < 0 || connect(sock, (struct sockaddr *)&sa, sizeof(sa))) {
		perror("connect");
		return 1;
	}
	ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx)
		return 1;
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	/* HTTP/1.1 only, so nginx (which also speaks h2) answers in kind */
	SSL_CTX_set_alpn_protos(ctx, (const unsigned char *)"\x08http/1.1", 9);
	ssl = SSL_new(ctx);
	in_bio = BIO_new(BIO_s_mem());
	out_bio = BIO_new(BIO_s_mem());
	if (!ssl || !in_bio || !out_bio)
		return 1;
	SSL_set_bio(ssl, in_bio, out_bio);
	SSL_set_connect_state(ssl);
	SSL_set_tlsext_host_name(ssl, argv[2]);
	for (int i = 0; i < count; i++) {
		if (send_request(req, (size_t)len, &attempts) || read_response()) {
			fprintf(stderr, "request %d failed\n", i);
			ERR_print_errors_fp(stderr);
			return 1;
		}
	}
	printf("attempts=%d\n", attempts);
	SSL_shutdown(ssl);
	flush_out();
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	close(sock);
	return 0;
}
