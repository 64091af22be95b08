/* SPDX-License-Identifier: GPL-2.0 */
/*
 * HTTP/2 requests from the bytes a client writes on one connection (TLS
 * plaintext): frames are parsed, header blocks decoded with nghttp2's HPACK
 * inflater (one per connection, so the dynamic table carries across requests).
 */
#ifndef IDTRACE_HPACK_H
#define IDTRACE_HPACK_H

#include <stdbool.h>
#include <stddef.h>

#include "http_req.h"

#define H2_GAP_MAX 64		/* stream ids lost in one gap that are reported (each a request) */
#define H2_SPAN_MAX 16384	/* bytes of secret header values one request can expose as spans */
/* Largest HPACK dynamic table a client may switch to (bytes): what the server
 * offered in SETTINGS_HEADER_TABLE_SIZE, which the client's writes do not show
 * (nghttpd -c 200000, node's maxDeflateDynamicTableSize). A larger one poisons
 * the connection (http_stream_lost). */
#define H2_TABLE_MAX (1u << 20)

struct h2_conn;

/* Allocate the state of one connection; the caller frees it with h2_conn_free. NULL on ENOMEM. */
struct h2_conn *h2_conn_new(void);

/* The state of a connection joined after its start (made before the
 * daemon): no preface expected, and since the HPACK dynamic table is
 * unknown, no header block is decoded (a reference into the table would
 * give another request's value); each new request stream (HEADERS on a
 * higher odd id) is reported once with headers_unknown set. */
struct h2_conn *h2_conn_new_midstream(void);

/* Free a connection's state (NULL is fine). */
void h2_conn_free(struct h2_conn *c);

/* Feed bytes the client wrote, starting with the connection preface, split anywhere. Calls
 * cb(req, arg) once per request header block (HEADERS + CONTINUATION carrying :method; trailers
 * are decoded, not reported) with version "HTTP/2". req and its spans point into c and are valid
 * only during that call; a secret value that does not fit H2_SPAN_MAX gets a NULL span and sets
 * truncated. Header blocks are streamed into the inflater as they arrive, so no frame is buffered
 * and large ones keep the HPACK state consistent; other frames (DATA, SETTINGS, ...) are skipped
 * by length. Returns 0, or -EPROTO when the bytes are not a client HTTP/2 stream or a header block
 * cannot be decoded; the connection stays poisoned (-EPROTO) afterwards. */
int h2_conn_feed(struct h2_conn *c, const void *data, size_t len,
		 void (*cb)(const struct http_request *req, void *arg), void *arg);

/* The client wrote len bytes that were not captured. Harmless inside the
 * payload of a frame that is skipped anyway (DATA, ...). Anywhere else
 * (inside a header block, or across frames: Go writes a large header
 * block's frames in one call) the open block's request, if its :method
 * was decoded, is reported now with truncated set; the rest of the write
 * is dropped, and from then on the connection is followed as one joined
 * mid-stream (the lost part may have changed the HPACK dynamic table):
 * each later request stream is reported once with headers_unknown, and so
 * is each stream id skipped before it (client streams are consecutive odd
 * ids: the lost bytes opened those). The next write must start with a
 * frame (h2_conn_write_end), or the connection is poisoned. Returns 0, or
 * -EPROTO when already poisoned or in the preface. */
int h2_conn_skip(struct h2_conn *c, size_t len,
		 void (*cb)(const struct http_request *req, void *arg), void *arg);
/* The end of one write of the client: after bytes were lost in it, the next
 * write is taken to start with a frame header. */
void h2_conn_write_end(struct h2_conn *c);
/* Would h2_conn_skip(c, len, ...) lose the stream (more than the payload
 * of a frame skipped anyway)? Asked before the skip, so the cut request it
 * reports can say so. */
bool h2_conn_skip_loses(const struct h2_conn *c, size_t len);
/* True when data is HTTP/2 client frames (a write on a connection whose
 * start was not seen): each frame header in it a known type with that
 * type's flags, stream and length rules. */
bool h2_looks_like_frames(const void *data, size_t len);
/* True when data starts with the HTTP/2 client preface ("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
 * or with at least its first 4 bytes when shorter. */
bool h2_looks_like_preface(const void *data, size_t len);

#endif /* IDTRACE_HPACK_H */
