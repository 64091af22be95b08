/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Incremental HTTP/1.x request-head parser for the bytes a client writes on one
 * connection (TLS plaintext). Heads are buffered (bounded); bodies are skipped
 * by Content-Length or chunk sizes without being buffered.
 */
#ifndef IDTRACE_HTTP1_H
#define IDTRACE_HTTP1_H

#include <stdbool.h>
#include <stddef.h>

#include "http_req.h"

#define HTTP1_HEAD_MAX 16384	/* bytes of one request head kept; the rest is skipped */

struct http1_parser;

/* Allocate a parser for one connection; the caller frees it (http1_parser_free). NULL: ENOMEM. */
struct http1_parser *http1_parser_new(void);

/* Free a parser (NULL is fine). */
void http1_parser_free(struct http1_parser *p);

/* Feed bytes written on the connection (split anywhere, pipelined or not). Calls cb(req, arg) once
 * per request head; req and its spans (auth.token, keys[].value) point into the parser and are
 * valid only during that call. A head over HTTP1_HEAD_MAX gives what fitted with truncated set.
 * Returns 0, or -EPROTO when the bytes are not HTTP/1 (then and after: stop feeding). */
int http1_parser_feed(struct http1_parser *p, const void *data, size_t len,
		      void (*cb)(const struct http_request *req, void *arg), void *arg);

/* The client wrote len bytes that were not captured. Inside a body of known
 * length or a chunk's data that is harmless: returns 0. Anywhere else the
 * parser has lost the stream: it refuses everything after (-EPROTO), and the
 * caller may start a new parser at a write that begins a request line. */
int http1_parser_skip(struct http1_parser *p, size_t len);
/* True when data starts like an HTTP/1 request line: an upper-case method and a space ("PRI " is
 * the HTTP/2 preface, not HTTP/1). */
bool http1_looks_like(const void *data, size_t len);
/* True when data (at least one byte) is too short to tell: method characters only, no space yet,
 * at most HTTP1_METHOD_MAX of them. A client may write its request a few bytes at a time. */
bool http1_may_start(const void *data, size_t len);
#define HTTP1_METHOD_MAX 20	/* longest method accepted (WebDAV has 16) */

#endif /* IDTRACE_HTTP1_H */
