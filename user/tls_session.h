/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * TLS sessions as the probes report them: keyed by (pid, library session
 * pointer), each with its server name, its socket's 4-tuple and an HTTP
 * parser fed with the plaintext the client wrote. Calls back once per HTTP
 * request, and once at the end of a session that carried no HTTP request,
 * so every session gives at least one event. Bounded: the least recently
 * used session is ended first when the table is full.
 */
#ifndef IDTRACE_TLS_SESSION_H
#define IDTRACE_TLS_SESSION_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "http_req.h"
#include "idtrace_wire.h"

enum tls_proto {
	TLS_PROTO_UNKNOWN, /* no plaintext yet */
	TLS_PROTO_HTTP1,
	TLS_PROTO_HTTP2,
	TLS_PROTO_OTHER, /* plaintext that is not HTTP */
};

struct tls_endpoint {
	char ip[INET6_ADDRSTRLEN];
	uint16_t port;
};

/* First plaintext kept until HTTP/1 (a method and a space), HTTP/2 (its preface's first four
 * bytes) or neither can be told: more than the longest method. */
#define TLS_SNIFF_MAX 24

struct tls_session {
	uint32_t pid;
	uint64_t session; /* the library's session pointer */
	uint64_t start_ns; /* the process's start, as in its records */
	uint32_t lib;      /* IDT_TLS_* */
	char sni[IDT_TLS_SNI_MAX];
	bool have_conn;
	int fd;
	struct tls_endpoint local, remote;
	enum tls_proto proto;
	uint64_t requests;  /* HTTP requests reported */
	uint64_t bytes;     /* plaintext written */
	uint64_t uncaptured; /* of those, bytes the probe did not capture */
	bool lost_sync;     /* the parser lost the stream; later requests may be missed */
	bool server;        /* a server's (is_server): its records are ignored */
	bool start_unseen;  /* its handshake was not seen (made before the daemon): it may
			     * be joined in the middle of a stream */
	bool forked;        /* a child forked after its handshake carried it on (the child's
			     * own session then says what it did): no report of its own
			     * when it carried no request */
	uint64_t first_ns, last_ns; /* CLOCK_BOOTTIME of the first and last record */
	/* private */
	uint8_t sniff_len;			/* bytes kept in sniff */
	unsigned char sniff[TLS_SNIFF_MAX];	/* first plaintext, until the protocol can be told */
	struct http1_parser *h1;
	struct h2_conn *h2;
	struct tls_session *hnext, *prev, *next;
	struct tls_held *held;			/* plaintext waiting for the socket */
	struct tls_session *wprev, *wnext;	/* in the table's waiting list */
};

struct tls_sessions_ops {
	/* One HTTP request; req and its spans are valid only during the call. */
	void (*request)(const struct tls_session *s, const struct http_request *req, uint64_t ts,
			void *arg);
	/* A session ends having reported no request (non-HTTP, or only a
	 * handshake): report the connection itself. */
	void (*ended)(const struct tls_session *s, uint64_t ts, void *arg);
	/* A session whose socket was found but not its start (it came before
	 * the daemon, or before its library was attached; s has the 4-tuple):
	 * true when it is a server's: what it held is dropped, and the rest of
	 * it (records on their way, its end) is ignored. Optional. */
	bool (*is_server)(const struct tls_session *s, void *arg);
	/* The process that forked pid (started at start_ns) when pid still runs
	 * the image it forked with, so the library's sessions it has are that
	 * process's (*ppid, *pstart_ns): true then. Optional. */
	bool (*forked_from)(uint32_t pid, uint64_t start_ns, uint32_t *ppid, uint64_t *pstart_ns,
			    void *arg);
};

struct tls_sessions;

/* A table of at most max sessions. NULL on ENOMEM. */
struct tls_sessions *tls_sessions_new(size_t max, const struct tls_sessions_ops *ops, void *arg);
/* Plaintext written: data (len captured bytes: the write's first len - ev->last, then its last
 * ev->last) of total bytes written.
 * A session whose socket is not known yet holds it (a client on memory BIOs
 * writes its request before the handshake's first socket write), until the
 * socket is reported, TLS_HOLD_NS pass (tls_sessions_release_held), a few
 * writes pile up, or the session ends: its requests then carry the 4-tuple. */
#define TLS_HOLD_NS (250 * 1000 * 1000ull)
void tls_sessions_data(struct tls_sessions *t, const struct idt_tls_data *ev, const void *data,
		       size_t len);
void tls_sessions_conn(struct tls_sessions *t, const struct idt_tls_conn *ev);
void tls_sessions_sni(struct tls_sessions *t, const struct idt_tls_sni *ev);
/* The library freed the session: end it. */
void tls_sessions_close(struct tls_sessions *t, uint32_t pid, uint64_t session, uint64_t ts);
/* The process exited (or exec'd a new image): end all its sessions. */
void tls_sessions_end_pid(struct tls_sessions *t, uint32_t pid, uint64_t ts);
/* Parse the plaintext sessions have held since before held_before_ns,
 * without their socket. */
void tls_sessions_release_held(struct tls_sessions *t, uint64_t held_before_ns);
/* End sessions idle since before idle_before_ns. Returns how many. */
size_t tls_sessions_expire(struct tls_sessions *t, uint64_t idle_before_ns);
size_t tls_sessions_count(const struct tls_sessions *t);
/* Sessions ended because the table was full. */
uint64_t tls_sessions_evicted(const struct tls_sessions *t);
/* Sessions dropped unreported: the server's side (is_server). */
uint64_t tls_sessions_server_dropped(const struct tls_sessions *t);
/* End every session, reporting as usual. */
void tls_sessions_end_all(struct tls_sessions *t, uint64_t ts);
/* End every session (reporting as usual) and free the table. */
void tls_sessions_free(struct tls_sessions *t, uint64_t ts);
/* "openssl", "gnutls" or "unknown". */
const char *tls_lib_name(uint32_t lib);

#endif
