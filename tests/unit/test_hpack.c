// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <nghttp2/nghttp2.h>

#include "hpack.h"
#include "http_auth.h"

#define MAX_RECS 8
#define PREFACE "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

#define F_DATA 0x0
#define F_HEADERS 0x1
#define F_SETTINGS 0x4
#define F_PUSH_PROMISE 0x5
#define F_WINDOW_UPDATE 0x8
#define F_CONTINUATION 0x9
#define END_STREAM 0x1
#define END_HEADERS 0x4
#define PADDED 0x8
#define PRIORITY 0x20

#define BEARER "Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJib3QifQ.c2ln"
#define TRACEPARENT "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

/* A reported request with its spans copied out (they die with the callback). */
struct rec {
	struct http_request req;	/* span pointers cleared */
	char token[512];
	size_t token_len;
	bool token_null;
	char keys[HTTP_REQ_MAX_KEYS][256];
};

struct recs {
	int n;
	struct rec r[MAX_RECS];
};

/* Client bytes under construction. */
struct wire {
	uint8_t *d;
	size_t n, cap;
};

static void span_copy(char *dst, size_t cap, const char *src, size_t len)
{
	size_t n = len < cap - 1 ? len : cap - 1;

	if (src && n)
		memcpy(dst, src, n);
}

static void collect(const struct http_request *req, void *arg)
{
	struct recs *rs = arg;
	struct rec *r;
	int i;

	if (rs->n >= MAX_RECS) {
		rs->n++;
		return;
	}
	r = &rs->r[rs->n++];
	memset(r, 0, sizeof(*r));
	memcpy(&r->req, req, sizeof(*req));
	span_copy(r->token, sizeof(r->token), req->auth.token, req->auth.token_len);
	r->token_len = req->auth.token_len;
	r->token_null = !req->auth.token;
	r->req.auth.token = NULL;
	for (i = 0; i < req->n_keys && i < HTTP_REQ_MAX_KEYS; i++) {
		span_copy(r->keys[i], sizeof(r->keys[i]), req->keys[i].value,
			  req->keys[i].value_len);
		r->req.keys[i].value = NULL;
	}
}

static void put(struct wire *w, const void *p, size_t n)
{
	if (w->n + n > w->cap) {
		w->cap = (w->n + n) * 2 + 256;
		w->d = realloc(w->d, w->cap);
		assert_non_null(w->d);
	}
	if (n)
		memcpy(w->d + w->n, p, n);
	w->n += n;
}

static void put_byte(struct wire *w, uint8_t b)
{
	put(w, &b, 1);
}

static void frame_header(struct wire *w, uint32_t len, uint8_t type, uint8_t flags,
			 uint32_t stream)
{
	uint8_t h[9] = { (uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len, type, flags,
			 (uint8_t)(stream >> 24), (uint8_t)(stream >> 16), (uint8_t)(stream >> 8),
			 (uint8_t)stream };

	put(w, h, sizeof(h));
}

static void frame(struct wire *w, uint8_t type, uint8_t flags, uint32_t stream, const void *p,
		  size_t len)
{
	frame_header(w, (uint32_t)len, type, flags, stream);
	put(w, p, len);
}

static void start(struct wire *w)
{
	static const uint8_t settings[] = { 0x00, 0x01, 0x00, 0x00, 0x10, 0x00,	/* table 4096 */
					    0x00, 0x04, 0x00, 0x60, 0x00, 0x00 };	/* window */

	memset(w, 0, sizeof(*w));
	put(w, PREFACE, sizeof(PREFACE) - 1);
	frame(w, F_SETTINGS, 0, 0, settings, sizeof(settings));
	frame(w, F_WINDOW_UPDATE, 0, 0, "\x00\x0f\x00\x01", 4);
}

#define NV(n, v)                                                                            \
	{                                                                                   \
		(uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, sizeof(v) - 1,               \
			NGHTTP2_NV_FLAG_NONE                                                \
	}

/* HPACK-encode nva with the connection's deflater into out (malloc'ed). */
static size_t hd_deflate(nghttp2_hd_deflater *def, const nghttp2_nv *nva, size_t n, uint8_t **out)
{
	size_t cap = nghttp2_hd_deflate_bound(def, nva, n);
	ssize_t rv;

	*out = malloc(cap);
	assert_non_null(*out);
	rv = nghttp2_hd_deflate_hd(def, *out, cap, nva, n);
	assert_true(rv > 0);
	return (size_t)rv;
}

static const nghttp2_nv req1[] = {
	NV(":method", "POST"),
	NV(":scheme", "https"),
	NV(":authority", "api.example.com"),
	NV(":path", "/v1/chat?key=QUERYSECRET"),
	NV("user-agent", "grpc-go/1.60"),
	NV("authorization", BEARER),
	NV("traceparent", TRACEPARENT),
	NV("x-api-key", "sk-test-key-1"),
	NV("content-type", "application/json"),
};

static const nghttp2_nv req2[] = {
	NV(":method", "GET"),
	NV(":scheme", "https"),
	NV(":authority", "api.example.com"),
	NV(":path", "/v1/models"),
	NV("user-agent", "grpc-go/1.60"),
	NV("authorization", BEARER),
	NV("x-api-key", "sk-test-key-1"),
};

static int feed_split(struct recs *rs, const uint8_t *d, size_t len, size_t split)
{
	struct h2_conn *c = h2_conn_new();
	int rc;

	assert_non_null(c);
	memset(rs, 0, sizeof(*rs));
	rc = h2_conn_feed(c, d, split, collect, rs);
	if (!rc)
		rc = h2_conn_feed(c, d + split, len - split, collect, rs);
	h2_conn_free(c);
	return rc;
}

static int feed_all(struct recs *rs, const struct wire *w)
{
	return feed_split(rs, w->d, w->n, 0);
}

static int feed_bytes(struct recs *rs, const struct wire *w)
{
	struct h2_conn *c = h2_conn_new();
	size_t i;
	int rc = 0;

	assert_non_null(c);
	memset(rs, 0, sizeof(*rs));
	for (i = 0; i < w->n && !rc; i++)
		rc = h2_conn_feed(c, w->d + i, 1, collect, rs);
	h2_conn_free(c);
	return rc;
}

static void check_req1(const struct rec *r)
{
	assert_string_equal(r->req.version, "HTTP/2");
	assert_string_equal(r->req.method, "POST");
	assert_string_equal(r->req.host, "api.example.com");
	assert_string_equal(r->req.path, "/v1/chat");
	assert_true(r->req.path_had_query);
	assert_string_equal(r->req.user_agent, "grpc-go/1.60");
	assert_string_equal(r->req.traceparent, TRACEPARENT);
	assert_string_equal(r->req.auth.scheme, "Bearer");
	assert_string_equal(r->token, BEARER + 7);
	assert_int_equal(r->req.n_keys, 1);
	assert_string_equal(r->req.keys[0].header, "x-api-key");
	assert_string_equal(r->keys[0], "sk-test-key-1");
	assert_false(r->req.truncated);
	assert_null(memmem(r, sizeof(*r), "QUERYSECRET", 11));
}

static void check_req2(const struct rec *r)
{
	assert_string_equal(r->req.method, "GET");
	assert_string_equal(r->req.host, "api.example.com");
	assert_string_equal(r->req.path, "/v1/models");
	assert_false(r->req.path_had_query);
	assert_string_equal(r->req.user_agent, "grpc-go/1.60");
	assert_string_equal(r->req.traceparent, "");
	assert_string_equal(r->req.auth.scheme, "Bearer");
	assert_string_equal(r->token, BEARER + 7);
	assert_int_equal(r->req.n_keys, 1);
	assert_string_equal(r->keys[0], "sk-test-key-1");
}

static void test_single_request(void **state)
{
	nghttp2_hd_deflater *def;
	struct recs rs;
	struct wire w;
	uint8_t *b;
	size_t n;

	assert_int_equal(nghttp2_hd_deflate_new(&def, 4096), 0);
	start(&w);
	n = hd_deflate(def, req1, sizeof(req1) / sizeof(req1[0]), &b);
	frame(&w, F_HEADERS, END_HEADERS | END_STREAM, 1, b, n);
	assert_int_equal(feed_all(&rs, &w), 0);
	assert_int_equal(rs.n, 1);
	check_req1(&rs.r[0]);
	assert_string_equal(http_auth_classify(rs.r[0].token, rs.r[0].token_len), "jwt");
	free(b);
	free(w.d);
	nghttp2_hd_deflate_del(def);
}

static void test_dynamic_table_reuse(void **state)
{
	nghttp2_hd_deflater *def;
	uint8_t *b1, *b2;
	size_t n1, n2;
	struct recs rs;
	struct wire w;

	assert_int_equal(nghttp2_hd_deflate_new(&def, 4096), 0);
	start(&w);
	n1 = hd_deflate(def, req1, sizeof(req1) / sizeof(req1[0]), &b1);
	assert_true(nghttp2_hd_deflate_get_num_table_entries(def) > 61 + 3);
	n2 = hd_deflate(def, req2, sizeof(req2) / sizeof(req2[0]), &b2);
	/* authority, user-agent and x-api-key are single-byte dynamic-table references now */
	assert_true(n2 < n1 / 2);
	frame(&w, F_HEADERS, END_HEADERS | END_STREAM, 1, b1, n1);
	frame(&w, F_HEADERS, END_HEADERS | END_STREAM, 3, b2, n2);
	assert_int_equal(feed_all(&rs, &w), 0);
	assert_int_equal(rs.n, 2);
	check_req1(&rs.r[0]);
	check_req2(&rs.r[1]);

	/* without the first block the second cannot be decoded: it really uses the table */
	free(w.d);
	memset(&w, 0, sizeof(w));
	put(&w, PREFACE, sizeof(PREFACE) - 1);
	frame(&w, F_HEADERS, END_HEADERS, 3, b2, n2);
	assert_int_equal(feed_all(&rs, &w), -EPROTO);
	assert_int_equal(rs.n, 0);
	free(b1);
	free(b2);
	free(w.d);
	nghttp2_hd_deflate_del(def);
}

/* A server that offers a large dynamic table (nghttpd -c 200000): the client
 * switches to it and fills it past 64 KiB; a later request refers to its
 * oldest entry, the token, which a smaller table would have evicted. */
static void test_large_dynamic_table(void **state)
{
	static char big[12][10001];
	nghttp2_nv first[3 + 12], second[3];
	nghttp2_hd_deflater *def;
	uint8_t *b1, *b2;
	size_t n1, n2;
	struct recs rs;
	struct wire w;
	int i;

	assert_int_equal(nghttp2_hd_deflate_new(&def, 200000), 0);
	assert_int_equal(nghttp2_hd_deflate_change_table_size(def, 200000), 0);
	first[0] = (nghttp2_nv)NV(":method", "GET");
	first[1] = (nghttp2_nv)NV(":path", "/big/1");
	first[2] = (nghttp2_nv)NV("x-api-key", "sk-large-table-key-0001");
	for (i = 0; i < 12; i++) {
		memset(big[i], 'a' + i, 10000);
		big[i][10000] = '\0';
		first[3 + i] = (nghttp2_nv){ (uint8_t *)"x-pad", (uint8_t *)big[i], 5, 10000,
					     NGHTTP2_NV_FLAG_NONE };
	}
	second[0] = (nghttp2_nv)NV(":method", "GET");
	second[1] = (nghttp2_nv)NV(":path", "/big/2");
	second[2] = (nghttp2_nv)NV("x-api-key", "sk-large-table-key-0001");
	start(&w);
	n1 = hd_deflate(def, first, 15, &b1);
	n2 = hd_deflate(def, second, 3, &b2);
	/* the key is a reference to the table's oldest entry, past 64 KiB of others
	 * (nghttp2 never indexes authorization, a key it does) */
	assert_true(n2 < 10);
	frame(&w, F_HEADERS, END_STREAM, 1, b1, 16384);
	for (size_t off = 16384; off < n1; off += 16384)
		frame(&w, F_CONTINUATION, off + 16384 >= n1 ? END_HEADERS : 0, 1, b1 + off,
		      off + 16384 >= n1 ? n1 - off : 16384);
	frame(&w, F_HEADERS, END_HEADERS | END_STREAM, 3, b2, n2);
	assert_int_equal(feed_all(&rs, &w), 0);
	assert_int_equal(rs.n, 2);
	assert_string_equal(rs.r[1].req.path, "/big/2");
	assert_int_equal(rs.r[1].req.n_keys, 1);
	assert_string_equal(rs.r[1].keys[0], "sk-large-table-key-0001");
	free(b1);
	free(b2);
	free(w.d);
	nghttp2_hd_deflate_del(def);
	(void)state;
}

/* A connection joined mid-stream (made before the daemon): its frames are
 * told apart from other bytes, no header block is decoded (the second block
 * below refers into a table this side never saw), and each new request
 * stream is reported once, headers unknown; trailers and CONTINUATION are
 * not requests. */
static void test_midstream(void **state)
{
	nghttp2_hd_deflater *def;
	uint8_t *b1, *b2;
	size_t n1, n2;
	struct recs rs;
	struct wire w = { 0 };
	struct h2_conn *c;

	assert_int_equal(nghttp2_hd_deflate_new(&def, 4096), 0);
	n1 = hd_deflate(def, req1, sizeof(req1) / sizeof(req1[0]), &b1); /* before the daemon */
	n2 = hd_deflate(def, req2, sizeof(req2) / sizeof(req2[0]), &b2);
	assert_true(n2 < n1); /* the second block refers to the first's table entries */
	frame(&w, F_WINDOW_UPDATE, 0, 0, "\x00\x0f\x00\x01", 4);
	frame(&w, F_HEADERS, END_HEADERS | END_STREAM, 5, b2, n2);
	frame(&w, F_HEADERS, 0, 7, b2, 2);
	frame(&w, F_CONTINUATION, END_HEADERS, 7, b2 + 2, n2 - 2);
	frame(&w, F_DATA, 0, 7, "body", 4);
	frame(&w, F_HEADERS, END_HEADERS | END_STREAM, 7, b2, 1); /* trailers */
	assert_true(h2_looks_like_frames(w.d, w.n));
	assert_true(h2_looks_like_frames(w.d, 20)); /* a capture's head */
	assert_false(h2_looks_like_frames("GET / HTTP/1.1\r\nHost: a\r\n\r\n", 27));
	assert_false(h2_looks_like_frames("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11));
	assert_false(h2_looks_like_frames(w.d, 8));
	c = h2_conn_new_midstream();
	assert_non_null(c);
	memset(&rs, 0, sizeof(rs));
	assert_int_equal(h2_conn_feed(c, w.d, w.n, collect, &rs), 0);
	assert_int_equal(rs.n, 2);
	for (int i = 0; i < 2; i++) {
		assert_true(rs.r[i].req.headers_unknown);
		assert_string_equal(rs.r[i].req.version, "HTTP/2");
		assert_string_equal(rs.r[i].req.method, "");
		assert_string_equal(rs.r[i].req.path, "");
		assert_string_equal(rs.r[i].req.auth.scheme, "");
		assert_true(rs.r[i].token_null);
	}
	h2_conn_free(c);
	/* a stream that starts with the preface is no mid-stream join */
	assert_false(h2_looks_like_frames(PREFACE, sizeof(PREFACE) - 1));
	free(b1);
	free(b2);
	free(w.d);
	nghttp2_hd_deflate_del(def);
}

/* HPACK literal with incremental indexing, static name index, raw (non-Huffman) value < 127. */
static void put_literal_indexed(struct wire *w, uint8_t name_index, const char *value)
{
	size_t len = strlen(value);

	assert_true(name_index < 64 && len < 127);
	put_byte(w, 0x40 | name_index);
	put_byte(w, (uint8_t)len);
	put(w, value, len);
}

static void test_authorization_from_dynamic_table(void **state)
{
	/* nghttp2 never indexes authorization, so the entry is added by hand, in front of the
	 * deflater's fields (older entries sit at higher indexes, the deflater's stay valid) */
	static const nghttp2_nv rest[] = { NV("user-agent", "okhttp/4.12"),
					   NV("x-auth-token", "xat-1") };
	nghttp2_hd_deflater *def;
	struct wire w, blk1 = { 0 }, blk2 = { 0 };
	size_t n, k;
	struct recs rs;
	uint8_t *b;

	assert_int_equal(nghttp2_hd_deflate_new(&def, 4096), 0);
	put_byte(&blk1, 0x82);	/* :method GET */
	put_byte(&blk1, 0x87);	/* :scheme https */
	put_byte(&blk1, 0x84);	/* :path / */
	put_literal_indexed(&blk1, 1, "dyn.example.org");	/* :authority */
	put_literal_indexed(&blk1, 23, BEARER);	/* authorization */
	n = hd_deflate(def, rest, 2, &b);
	put(&blk1, b, n);
	free(b);
	k = nghttp2_hd_deflate_get_num_table_entries(def) - 61;	/* deflater's own entries */

	put_byte(&blk2, 0x82);
	put_byte(&blk2, 0x87);
	put_byte(&blk2, 0x84);
	put_byte(&blk2, (uint8_t)(0x80 | (62 + k + 1)));	/* :authority from the table */
	put_byte(&blk2, (uint8_t)(0x80 | (62 + k)));	/* authorization from the table */
	n = hd_deflate(def, rest, 2, &b);
	put(&blk2, b, n);
	free(b);

	start(&w);
	frame(&w, F_HEADERS, END_HEADERS, 1, blk1.d, blk1.n);
	frame(&w, F_HEADERS, END_HEADERS, 3, blk2.d, blk2.n);
	assert_int_equal(feed_all(&rs, &w), 0);
	assert_int_equal(rs.n, 2);
	assert_string_equal(rs.r[1].req.host, "dyn.example.org");
	assert_string_equal(rs.r[1].req.path, "/");
	assert_string_equal(rs.r[1].req.auth.scheme, "Bearer");
	assert_string_equal(rs.r[1].token, BEARER + 7);
	assert_string_equal(rs.r[1].req.user_agent, "okhttp/4.12");
	assert_string_equal(rs.r[1].req.keys[0].header, "x-auth-token");
	assert_string_equal(rs.r[1].keys[0], "xat-1");
	assert_memory_equal(&rs.r[0], &rs.r[1], sizeof(rs.r[0]));
	free(blk1.d);
	free(blk2.d);
	free(w.d);
	nghttp2_hd_deflate_del(def);
}

/* The whole connection used by the split tests: padded+priority HEADERS, DATA, CONTINUATION. */
static void build_mixed(struct wire *w)
{
	static const uint8_t data[] = "\x00\x00\x05\x01\x04\x00\x00\x00\x01GET / HTTP/1.1";
	nghttp2_hd_deflater *def;
	uint8_t *b, prio[5] = { 0x80, 0, 0, 0, 0x10 }, pad[7] = { 0 };
	size_t n;

	assert_int_equal(nghttp2_hd_deflate_new(&def, 4096), 0);
	start(w);
	n = hd_deflate(def, req1, sizeof(req1) / sizeof(req1[0]), &b);
	/* HEADERS: pad length 7, priority, fragment, padding */
	frame_header(w, (uint32_t)(1 + 5 + n + 7), F_HEADERS, END_HEADERS | PADDED | PRIORITY, 1);
	put_byte(w, 7);
	put(w, prio, sizeof(prio));
	put(w, b, n);
	put(w, pad, sizeof(pad));
	free(b);
	frame(w, F_DATA, END_STREAM, 1, data, sizeof(data) - 1);
	/* HEADERS split in three, cuts inside fields */
	n = hd_deflate(def, req2, sizeof(req2) / sizeof(req2[0]), &b);
	assert_true(n > 12);
	frame(w, F_HEADERS, END_STREAM, 3, b, 5);
	frame(w, F_CONTINUATION, 0, 3, b + 5, 0);
	frame(w, F_CONTINUATION, 0, 3, b + 5, 6);
	frame(w, F_CONTINUATION, END_HEADERS, 3, b + 11, n - 11);
	free(b);
	nghttp2_hd_deflate_del(def);
}

static void test_continuation_and_padding(void **state)
{
	struct recs rs;
	struct wire w;

	build_mixed(&w);
	assert_int_equal(feed_all(&rs, &w), 0);
	assert_int_equal(rs.n, 2);
	check_req1(&rs.r[0]);
	check_req2(&rs.r[1]);
	free(w.d);
}

static void test_split_every_offset(void **state)
{
	struct recs ref, got;
	struct wire w;
	size_t s;

	build_mixed(&w);
	assert_int_equal(feed_all(&ref, &w), 0);
	assert_int_equal(ref.n, 2);
	for (s = 1; s < w.n; s++) {
		assert_int_equal(feed_split(&got, w.d, w.n, s), 0);
		assert_int_equal(got.n, ref.n);
		assert_memory_equal(&got, &ref, sizeof(ref));
	}
	assert_int_equal(feed_bytes(&got, &w), 0);
	assert_memory_equal(&got, &ref, sizeof(ref));
	free(w.d);
}

static void test_large_data_and_trailers(void **state)
{
	static const nghttp2_nv trailers[] = { NV("x-checksum", "abc") };
	size_t big = 0xffffff, n;	/* the largest frame there can be */
	nghttp2_hd_deflater *def;
	uint8_t *b, *junk;
	struct recs rs;
	struct wire w;

	assert_int_equal(nghttp2_hd_deflate_new(&def, 4096), 0);
	start(&w);
	n = hd_deflate(def, req1, sizeof(req1) / sizeof(req1[0]), &b);
	frame(&w, F_HEADERS, END_HEADERS, 1, b, n);
	free(b);
	junk = malloc(big);
	assert_non_null(junk);
	memset(junk, 0x01, big);	/* looks like HEADERS frame headers if misparsed */
	frame(&w, F_DATA, 0, 1, junk, big);
	frame(&w, F_DATA, 0, 1, junk, 0);
	free(junk);
	n = hd_deflate(def, trailers, 1, &b);
	frame(&w, F_HEADERS, END_HEADERS | END_STREAM, 1, b, n);	/* trailers: no :method */
	free(b);
	n = hd_deflate(def, req2, sizeof(req2) / sizeof(req2[0]), &b);
	frame(&w, F_HEADERS, END_HEADERS | END_STREAM, 3, b, n);
	free(b);
	assert_int_equal(feed_all(&rs, &w), 0);
	assert_int_equal(rs.n, 2);
	check_req1(&rs.r[0]);
	check_req2(&rs.r[1]);
	free(w.d);
	nghttp2_hd_deflate_del(def);
}

static void test_span_overflow(void **state)
{
	size_t big = H2_SPAN_MAX + 100, n;
	nghttp2_hd_deflater *def;
	char *auth = malloc(big + 1);
	struct recs rs;
	struct wire w;
	uint8_t *b;
	nghttp2_nv nv[] = {
		NV(":method", "GET"),
		NV(":path", "/"),
		NV(":authority", "o.example"),
		{ (uint8_t *)"authorization", (uint8_t *)auth, 13, big, NGHTTP2_NV_FLAG_NONE },
	};

	assert_non_null(auth);
	memcpy(auth, "Bearer ", 7);
	memset(auth + 7, 'z', big - 7);
	auth[big] = '\0';
	assert_int_equal(nghttp2_hd_deflate_new(&def, 4096), 0);
	start(&w);
	n = hd_deflate(def, nv, 4, &b);
	assert_true(n > H2_SPAN_MAX / 2);
	frame(&w, F_HEADERS, 0, 1, b, n / 2);
	frame(&w, F_CONTINUATION, END_HEADERS, 1, b + n / 2, n - n / 2);
	free(b);
	n = hd_deflate(def, req2, sizeof(req2) / sizeof(req2[0]), &b);
	frame(&w, F_HEADERS, END_HEADERS, 3, b, n);
	free(b);
	assert_int_equal(feed_all(&rs, &w), 0);
	assert_int_equal(rs.n, 2);
	assert_string_equal(rs.r[0].req.host, "o.example");
	assert_string_equal(rs.r[0].req.auth.scheme, "Bearer");
	assert_true(rs.r[0].token_null);
	assert_int_equal(rs.r[0].token_len, 0);
	assert_true(rs.r[0].req.truncated);
	check_req2(&rs.r[1]);
	free(auth);
	free(w.d);
	nghttp2_hd_deflate_del(def);
}

/* A GET of path whose 24 KB Authorization fills a HEADERS frame and a
 * CONTINUATION on stream 1 of w, written together (as Go writes a large
 * header block's frames in one call). */
static void big_auth_request(nghttp2_hd_deflater *def, struct wire *w, const char *path)
{
	const size_t big = 24000;
	char *auth = malloc(big);
	nghttp2_nv nv[] = {
		NV(":method", "GET"),
		{ (uint8_t *)":path", (uint8_t *)path, 5, strlen(path), NGHTTP2_NV_FLAG_NONE },
		NV(":authority", "o.example"),
		{ (uint8_t *)"authorization", (uint8_t *)auth, 13, big, NGHTTP2_NV_FLAG_NO_INDEX },
	};
	uint8_t *b;
	size_t n;

	assert_non_null(auth);
	memcpy(auth, "Bearer ", 7);
	memset(auth + 7, 'q', big - 7);
	n = hd_deflate(def, nv, 4, &b);
	frame(w, F_HEADERS, 0, 1, b, 16384);
	frame(w, F_CONTINUATION, END_HEADERS, 1, b + 16384, n - 16384);
	free(b);
	free(auth);
}

/* req2 as a HEADERS frame of its own on stream id of w. */
static void small_request(nghttp2_hd_deflater *def, struct wire *w, uint32_t id)
{
	uint8_t *b;
	size_t n = hd_deflate(def, req2, sizeof(req2) / sizeof(req2[0]), &b);

	frame(w, F_HEADERS, END_HEADERS | END_STREAM, id, b, n);
	free(b);
}

/* A write whose middle was not captured, inside a header block and across
 * its frames (Go writes a 24 KB header block's HEADERS and CONTINUATION in
 * one call): the block's request is reported with what was decoded and
 * truncated; the next write starts with a frame, and since the lost bytes
 * may have changed the dynamic table, later requests come without their
 * headers. A next write that does not start with a frame poisons it. */
static void test_gap_inside_header_block(void **state)
{
	size_t head, tail = 64;
	nghttp2_hd_deflater *def;
	struct recs rs;
	struct wire w, next = { 0 };
	struct h2_conn *c;

	assert_int_equal(nghttp2_hd_deflate_new(&def, 4096), 0);
	start(&w);
	big_auth_request(def, &w, "/gob/big");
	small_request(def, &next, 3);
	c = h2_conn_new();
	memset(&rs, 0, sizeof(rs));
	/* the write as captured: its first 16 KB, a gap, its last 64 bytes */
	head = 16384;
	assert_int_equal(h2_conn_feed(c, w.d, head, collect, &rs), 0);
	assert_int_equal(h2_conn_skip(c, w.n - head - tail, collect, &rs), 0);
	assert_int_equal(h2_conn_feed(c, w.d + w.n - tail, tail, collect, &rs), 0);
	h2_conn_write_end(c);
	assert_int_equal(rs.n, 1);
	assert_string_equal(rs.r[0].req.method, "GET");
	assert_string_equal(rs.r[0].req.path, "/gob/big");
	assert_true(rs.r[0].req.truncated);
	assert_false(rs.r[0].req.headers_unknown);
	/* the next write: a request, counted without its headers */
	assert_int_equal(h2_conn_feed(c, next.d, next.n, collect, &rs), 0);
	h2_conn_write_end(c);
	assert_int_equal(rs.n, 2);
	assert_true(rs.r[1].req.headers_unknown);
	assert_string_equal(rs.r[1].req.path, "");
	/* again, and a write that starts inside a frame: lost for good */
	assert_int_equal(h2_conn_feed(c, next.d, 12, collect, &rs), 0);
	assert_int_equal(h2_conn_skip(c, 5000, collect, &rs), 0);
	h2_conn_write_end(c);
	assert_int_equal(h2_conn_feed(c, "qqqqqqqqqqqqqqqq", 16, collect, &rs), -EPROTO);
	assert_int_equal(h2_conn_skip(c, 10, collect, &rs), -EPROTO);
	assert_int_equal(rs.n, 2);
	h2_conn_free(c);
	free(w.d);
	free(next.d);
	nghttp2_hd_deflate_del(def);
	(void)state;
}

/* Node writes the HEADERS of concurrent requests in one call: past the
 * capture, streams 3 and 5 are lost with the cut block of stream 1. When
 * stream 7 comes, the ids it skipped are reported too, each a request
 * without its headers: one event per request, none silently lost. */
static void test_gap_loses_whole_requests(void **state)
{
	size_t head = 16384;
	nghttp2_hd_deflater *def;
	struct recs rs;
	struct wire w, next = { 0 };
	struct h2_conn *c;

	assert_int_equal(nghttp2_hd_deflate_new(&def, 4096), 0);
	start(&w);
	big_auth_request(def, &w, "/item/1");
	small_request(def, &w, 3);
	small_request(def, &w, 5);
	small_request(def, &next, 7);
	c = h2_conn_new();
	memset(&rs, 0, sizeof(rs));
	assert_int_equal(h2_conn_feed(c, w.d, head, collect, &rs), 0);
	assert_false(h2_conn_skip_loses(c, 0));
	assert_true(h2_conn_skip_loses(c, w.n - head));
	assert_int_equal(h2_conn_skip(c, w.n - head, collect, &rs), 0);
	h2_conn_write_end(c);
	assert_int_equal(rs.n, 1);
	assert_string_equal(rs.r[0].req.path, "/item/1");
	assert_true(rs.r[0].req.truncated);
	assert_int_equal(h2_conn_feed(c, next.d, next.n, collect, &rs), 0);
	assert_int_equal(rs.n, 4); /* streams 3 and 5 (lost), then 7 */
	for (int i = 1; i < 4; i++)
		assert_true(rs.r[i].req.headers_unknown);
	/* a later stream right after: no gap, one report */
	free(next.d);
	memset(&next, 0, sizeof(next));
	small_request(def, &next, 9);
	h2_conn_write_end(c);
	assert_int_equal(h2_conn_feed(c, next.d, next.n, collect, &rs), 0);
	assert_int_equal(rs.n, 5);
	h2_conn_free(c);
	free(w.d);
	free(next.d);
	nghttp2_hd_deflate_del(def);
	(void)state;
}

static void test_host_header_fallback(void **state)
{
	static const nghttp2_nv nv[] = { NV(":method", "GET"), NV(":path", "/h"),
					 NV("host", "u:p@fallback.example"),
					 NV("host", "second.example") };
	nghttp2_hd_deflater *def;
	struct recs rs;
	struct wire w;
	uint8_t *b;
	size_t n;

	assert_int_equal(nghttp2_hd_deflate_new(&def, 4096), 0);
	start(&w);
	n = hd_deflate(def, nv, 4, &b);
	frame(&w, F_HEADERS, END_HEADERS, 1, b, n);
	assert_int_equal(feed_all(&rs, &w), 0);
	assert_int_equal(rs.n, 1);
	assert_string_equal(rs.r[0].req.host, "fallback.example");
	free(b);
	free(w.d);
	nghttp2_hd_deflate_del(def);
}

/* Feed preface + the given frames; expect -EPROTO, and -EPROTO again for a good frame after. */
static void expect_poison(const struct wire *w)
{
	static const uint8_t ok[] = { 0x82, 0x84, 0x87 };
	struct h2_conn *c = h2_conn_new();
	struct wire good = { 0 };
	struct recs rs = { 0 };

	assert_non_null(c);
	assert_int_equal(h2_conn_feed(c, w->d, w->n, collect, &rs), -EPROTO);
	frame(&good, F_HEADERS, END_HEADERS, 101, ok, sizeof(ok));
	assert_int_equal(h2_conn_feed(c, good.d, good.n, collect, &rs), -EPROTO);
	assert_int_equal(rs.n, 0);
	free(good.d);
	h2_conn_free(c);
}

static void test_poisoned(void **state)
{
	static const uint8_t bad_index[] = { 0x82, 0xff, 0x7f };	/* index 254: none such */
	static const uint8_t ok[] = { 0x82, 0x84, 0x87 };
	static const uint8_t cut[] = { 0x82, 0x41, 0x0a, 'a', 'b' };	/* value cut short */
	struct wire w;

	memset(&w, 0, sizeof(w));
	put(&w, "PRI * HTTP/1.1\r\n", 16);
	expect_poison(&w);
	free(w.d);

	memset(&w, 0, sizeof(w));
	put(&w, "GET / HTTP/1.1\r\n\r\n", 18);
	expect_poison(&w);
	free(w.d);

	start(&w);
	frame(&w, F_HEADERS, END_HEADERS, 1, bad_index, sizeof(bad_index));
	expect_poison(&w);
	free(w.d);

	start(&w);
	frame(&w, F_HEADERS, END_HEADERS, 1, cut, sizeof(cut));
	expect_poison(&w);
	free(w.d);

	start(&w);
	frame(&w, F_CONTINUATION, END_HEADERS, 1, ok, sizeof(ok));	/* no HEADERS before */
	expect_poison(&w);
	free(w.d);

	start(&w);
	frame(&w, F_HEADERS, 0, 1, ok, 1);
	frame(&w, F_DATA, 0, 1, "x", 1);	/* block still open */
	expect_poison(&w);
	free(w.d);

	start(&w);
	frame(&w, F_HEADERS, 0, 1, ok, 1);
	frame(&w, F_CONTINUATION, END_HEADERS, 3, ok + 1, 2);	/* other stream */
	expect_poison(&w);
	free(w.d);

	start(&w);
	frame(&w, F_HEADERS, END_HEADERS, 0, ok, sizeof(ok));	/* stream 0 */
	expect_poison(&w);
	free(w.d);

	start(&w);
	frame_header(&w, 4, F_HEADERS, END_HEADERS | PADDED, 1);	/* padding > payload */
	put_byte(&w, 200);
	put(&w, ok, 3);
	expect_poison(&w);
	free(w.d);

	start(&w);
	frame(&w, F_HEADERS, END_HEADERS | PRIORITY, 1, ok, 3);	/* shorter than priority */
	expect_poison(&w);
	free(w.d);

	start(&w);
	frame(&w, F_PUSH_PROMISE, END_HEADERS, 1, "\x00\x00\x00\x02\x82", 5);
	expect_poison(&w);
	free(w.d);
}

static void test_looks_like_preface(void **state)
{
	assert_true(h2_looks_like_preface(PREFACE "\x00\x00", sizeof(PREFACE) + 1));
	assert_true(h2_looks_like_preface(PREFACE, sizeof(PREFACE) - 1));
	assert_true(h2_looks_like_preface("PRI * HT", 8));
	assert_false(h2_looks_like_preface("PRI", 3));
	assert_false(h2_looks_like_preface("PRI * HTTP/1.1\r\n\r\nSM\r\n\r\n", 24));
	assert_false(h2_looks_like_preface("GET / HTTP/1.1\r\n", 16));
	assert_false(h2_looks_like_preface(NULL, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_single_request),
		cmocka_unit_test(test_dynamic_table_reuse),
		cmocka_unit_test(test_large_dynamic_table),
		cmocka_unit_test(test_authorization_from_dynamic_table),
		cmocka_unit_test(test_continuation_and_padding),
		cmocka_unit_test(test_split_every_offset),
		cmocka_unit_test(test_large_data_and_trailers),
		cmocka_unit_test(test_span_overflow),
		cmocka_unit_test(test_gap_inside_header_block),
		cmocka_unit_test(test_gap_loses_whole_requests),
		cmocka_unit_test(test_host_header_fallback),
		cmocka_unit_test(test_poisoned),
		cmocka_unit_test(test_looks_like_preface),
		cmocka_unit_test(test_midstream),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
