// SPDX-License-Identifier: GPL-2.0
/*
 * HTTP/2 client streams: the preface, then frames. Header block fragments
 * (HEADERS, CONTINUATION) go straight into the connection's nghttp2 HPACK
 * inflater as their bytes arrive, with padding and priority fields cut away;
 * every other frame is skipped by its length. Nothing but the 9-byte frame
 * header and the 6-byte HEADERS prefix is ever gathered, and secret header
 * values are copied into a bounded per-request span area.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <nghttp2/nghttp2.h>

#include "hpack.h"
#include "http_req.h"

#define H2_PREFACE "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#define H2_PREFACE_LEN (sizeof(H2_PREFACE) - 1)
#define H2_FRAME_HEADER_LEN 9

#define H2_HEADERS 0x1
#define H2_PUSH_PROMISE 0x5
#define H2_CONTINUATION 0x9

#define H2_FLAG_END_HEADERS 0x4
#define H2_FLAG_PADDED 0x8
#define H2_FLAG_PRIORITY 0x20

typedef void (*h2_cb)(const struct http_request *req, void *arg);

enum h2_state {
	H2_PREFACE_IN,	/* matching the client preface */
	H2_FRAME_HEADER,	/* gathering 9 bytes */
	H2_HEADERS_PREFIX,	/* pad length and priority fields of a HEADERS frame */
	H2_BLOCK,	/* header block fragment bytes, into the inflater */
	H2_PADDING,	/* padding after the fragment */
	H2_SKIP,	/* payload of any other frame */
	H2_LOST,	/* bytes not captured where they mattered: the rest of the write
			 * is dropped, and the next write starts with a frame */
	H2_ERROR,	/* poisoned */
};

struct h2_conn {
	nghttp2_hd_inflater *inflater;
	enum h2_state state;
	size_t got;			/* bytes gathered of the preface, frame header or prefix */
	uint8_t hdr[H2_FRAME_HEADER_LEN];
	uint8_t prefix[6];		/* pad length (1) and stream dependency + weight (5) */
	size_t prefix_len;
	uint8_t flags;			/* of the current HEADERS or CONTINUATION frame */
	uint32_t left;			/* bytes still to come in the current state */
	uint32_t pad;			/* padding bytes after the current fragment */
	bool in_block;			/* a header block is open: only CONTINUATION may follow */
	uint32_t block_stream;
	struct http_request req;	/* the request of the open header block */
	/* Joined after its start (a connection made before the daemon): the
	 * HPACK dynamic table is unknown, so no block is decoded; each new
	 * request stream is reported without its headers. */
	bool midstream;
	uint32_t max_stream;		/* the highest request stream seen */
	bool resynced;			/* the frame header next is the first after H2_LOST */
	/* streams past max_stream may have been opened in bytes lost (H2_LOST):
	 * the ids a later request skips are reported */
	bool count_gaps;
	size_t span_used;
	char spans[H2_SPAN_MAX];	/* copies of secret values that req's spans point into */
};

struct h2_conn *h2_conn_new(void)
{
	struct h2_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	if (nghttp2_hd_inflate_new(&c->inflater))
		goto err;
	/* Accept the larger tables a server may have offered; growth stays bounded by this. */
	if (nghttp2_hd_inflate_change_table_size(c->inflater, H2_TABLE_MAX))
		goto err;
	return c;
err:
	h2_conn_free(c);
	return NULL;
}

struct h2_conn *h2_conn_new_midstream(void)
{
	struct h2_conn *c = h2_conn_new();

	if (c) {
		c->midstream = true;
		c->state = H2_FRAME_HEADER;
	}
	return c;
}

void h2_conn_free(struct h2_conn *c)
{
	if (!c)
		return;
	if (c->inflater)
		nghttp2_hd_inflate_del(c->inflater);
	free(c);
}

static uint32_t frame_len(const uint8_t *h)
{
	return (uint32_t)h[0] << 16 | (uint32_t)h[1] << 8 | h[2];
}

static uint32_t frame_stream(const uint8_t *h)
{
	return (uint32_t)(h[5] & 0x7f) << 24 | (uint32_t)h[6] << 16 | (uint32_t)h[7] << 8 | h[8];
}

/* One frame header a client writes, as far as can be told: a known type,
 * flags that type has, a stream where the type needs one (a request's on
 * an odd id), and a length the type allows. */
static bool client_frame_header(const uint8_t *h)
{
	uint32_t len = frame_len(h), stream = frame_stream(h);
	uint8_t type = h[3], flags = h[4];

	if (h[5] & 0x80)
		return false;
	switch (type) {
	case 0x0: /* DATA */
		return stream && !(flags & ~0x09);
	case H2_HEADERS:
		return stream % 2 == 1 && !(flags & ~0x2d);
	case 0x2: /* PRIORITY */
		return stream && len == 5 && !flags;
	case 0x3: /* RST_STREAM */
		return stream && len == 4 && !flags;
	case 0x4: /* SETTINGS */
		return !stream && len % 6 == 0 && !(flags & ~0x01) && (!(flags & 1) || !len);
	case 0x6: /* PING */
		return !stream && len == 8 && !(flags & ~0x01);
	case 0x7: /* GOAWAY */
		return !stream && len >= 8 && !flags;
	case 0x8: /* WINDOW_UPDATE */
		return len == 4 && !flags;
	case H2_CONTINUATION:
		return stream && !(flags & ~H2_FLAG_END_HEADERS);
	default:
		return false;
	}
}

bool h2_looks_like_frames(const void *data, size_t len)
{
	const uint8_t *d = data;
	size_t at = 0;

	if (!data || len < H2_FRAME_HEADER_LEN)
		return false;
	/* every frame header in the bytes is one (a capture may end inside the
	 * last frame, or inside its header) */
	while (at + H2_FRAME_HEADER_LEN <= len) {
		if (!client_frame_header(d + at))
			return false;
		at += H2_FRAME_HEADER_LEN + frame_len(d + at);
	}
	return true;
}

bool h2_looks_like_preface(const void *data, size_t len)
{
	size_t n = len < H2_PREFACE_LEN ? len : H2_PREFACE_LEN;

	return data && n >= 4 && !memcmp(data, H2_PREFACE, n);
}

static bool name_is(const uint8_t *name, size_t len, const char *lit)
{
	return len == strlen(lit) && !memcmp(name, lit, len);
}

static void on_pseudo(struct http_request *req, const nghttp2_nv *nv)
{
	const char *value = (const char *)nv->value, *authority;
	size_t authority_len;

	if (name_is(nv->name, nv->namelen, ":method") && !req->method[0])
		http_req_copy(req, req->method, sizeof(req->method), value, nv->valuelen);
	else if (name_is(nv->name, nv->namelen, ":path") && !req->path[0])
		http_req_set_target(req, value, nv->valuelen, &authority, &authority_len);
	else if (name_is(nv->name, nv->namelen, ":authority"))
		http_req_set_host(req, value, nv->valuelen);
}

static void on_field(struct h2_conn *c, const nghttp2_nv *nv)
{
	const char *name = (const char *)nv->name;
	char *copy = c->spans + c->span_used;

	if (nv->namelen && name[0] == ':') {
		on_pseudo(&c->req, nv);
		return;
	}
	if (!http_req_header_is_span(name, nv->namelen)) {
		http_req_add_header(&c->req, name, nv->namelen, (const char *)nv->value,
				    nv->valuelen);
		return;
	}
	if (nv->valuelen > sizeof(c->spans) - c->span_used) {
		http_req_add_header(&c->req, name, nv->namelen, (const char *)nv->value,
				    nv->valuelen);
		/* a secret value that did not fit the span area */
		http_req_drop_spans(&c->req, (const char *)nv->value, nv->valuelen);
		return;
	}
	if (nv->valuelen)
		memcpy(copy, nv->value, nv->valuelen);
	c->span_used += nv->valuelen;
	http_req_add_header(&c->req, name, nv->namelen, copy, nv->valuelen);
}

/* Run a fragment (or, with final, the end of the block) through the inflater. */
static int inflate_fragment(struct h2_conn *c, const uint8_t *in, size_t len, bool final)
{
	const uint8_t empty = 0;

	if (!len)
		in = &empty;	/* nghttp2 does arithmetic on in even when len is 0 */
	for (;;) {
		nghttp2_nv nv;
		int flags = 0;
		ssize_t rv = nghttp2_hd_inflate_hd2(c->inflater, &nv, &flags, in, len, final);

		if (rv < 0)
			return -EPROTO;
		in += rv;
		len -= (size_t)rv;
		if (flags & NGHTTP2_HD_INFLATE_EMIT)
			on_field(c, &nv);
		if (flags & NGHTTP2_HD_INFLATE_FINAL) {
			nghttp2_hd_inflate_end_headers(c->inflater);
			return 0;
		}
		if (!(flags & NGHTTP2_HD_INFLATE_EMIT) && !len)
			return final ? -EPROTO : 0;
	}
}

/* A HEADERS or CONTINUATION frame is fully consumed. */
static int end_fragment(struct h2_conn *c, h2_cb cb, void *arg)
{
	int err;

	if (!(c->flags & H2_FLAG_END_HEADERS))
		return 0;
	err = inflate_fragment(c, NULL, 0, true);
	if (err)
		return err;
	c->in_block = false;
	if (c->req.method[0] && cb)	/* trailers carry no :method */
		cb(&c->req, arg);
	return 0;
}

/* Leave states that have no bytes left to consume. */
static int settle(struct h2_conn *c, h2_cb cb, void *arg)
{
	int err;

	for (;;) {
		if (c->state == H2_BLOCK && !c->left) {
			c->left = c->pad;
			c->pad = 0;
			c->state = H2_PADDING;
		} else if (c->state == H2_PADDING && !c->left) {
			err = end_fragment(c, cb, arg);
			if (err)
				return err;
			c->state = H2_FRAME_HEADER;
			c->got = 0;
		} else if (c->state == H2_SKIP && !c->left) {
			c->state = H2_FRAME_HEADER;
			c->got = 0;
		} else {
			return 0;
		}
	}
}

static int start_headers(struct h2_conn *c, uint32_t len, uint32_t stream)
{
	c->prefix_len = (c->flags & H2_FLAG_PADDED ? 1 : 0) + (c->flags & H2_FLAG_PRIORITY ? 5 : 0);
	if (!stream || len < c->prefix_len)
		return -EPROTO;
	c->in_block = true;
	c->block_stream = stream;
	if (stream > c->max_stream)
		c->max_stream = stream;
	http_req_init(&c->req, "HTTP/2");
	c->span_used = 0;
	c->left = len - (uint32_t)c->prefix_len;
	c->pad = 0;
	c->got = 0;
	c->state = c->prefix_len ? H2_HEADERS_PREFIX : H2_BLOCK;
	return 0;
}

static int on_frame_header(struct h2_conn *c, h2_cb cb, void *arg)
{
	const uint8_t *h = c->hdr;
	uint32_t len = frame_len(h), stream = frame_stream(h);
	uint8_t type = h[3];

	/* after a write whose end was not seen, the next must start with a
	 * frame: a header that is no client frame's says it did not */
	if (c->resynced && !client_frame_header(h))
		return -EPROTO;
	c->resynced = false;
	if (c->in_block && type != H2_CONTINUATION)
		return -EPROTO;
	if (c->midstream && (type == H2_HEADERS || type == H2_CONTINUATION)) {
		/* no block can be decoded: a new request stream is reported
		 * as one, without its headers (trailers open none) */
		if (type == H2_HEADERS && stream > c->max_stream) {
			uint32_t lost = c->count_gaps && c->max_stream ?
						(stream - c->max_stream) / 2 - 1 : 0;

			/* each stream the lost bytes opened, then this one */
			if (lost > H2_GAP_MAX)
				lost = H2_GAP_MAX;
			for (uint32_t i = 0; i <= lost; i++) {
				http_req_init(&c->req, "HTTP/2");
				c->req.headers_unknown = true;
				if (cb)
					cb(&c->req, arg);
			}
			c->max_stream = stream;
			c->count_gaps = false;
		}
		c->left = len;
		c->state = H2_SKIP;
		return 0;
	}
	switch (type) {
	case H2_HEADERS:
		c->flags = h[4];
		return start_headers(c, len, stream);
	case H2_CONTINUATION:
		if (!c->in_block || stream != c->block_stream)
			return -EPROTO;
		c->flags = h[4];
		c->left = len;
		c->pad = 0;
		c->state = H2_BLOCK;
		return 0;
	case H2_PUSH_PROMISE:
		return -EPROTO;	/* only servers push: these are not client bytes */
	default:
		c->left = len;
		c->state = H2_SKIP;
		return 0;
	}
}

static void on_prefix(struct h2_conn *c)
{
	c->pad = c->flags & H2_FLAG_PADDED ? c->prefix[0] : 0;
	c->state = H2_BLOCK;
}

/* Gather into buf[want] from d; true when complete. */
static bool gather(struct h2_conn *c, uint8_t *buf, size_t want, const uint8_t *d, size_t len,
		   size_t *used)
{
	size_t n = want - c->got < len ? want - c->got : len;

	memcpy(buf + c->got, d, n);
	c->got += n;
	*used = n;
	return c->got == want;
}

/* Consume a prefix of d (at least one byte) in the current state. */
static ssize_t step(struct h2_conn *c, const uint8_t *d, size_t len, h2_cb cb, void *arg)
{
	size_t n = 0;
	int err = 0;

	switch (c->state) {
	case H2_PREFACE_IN:
		n = H2_PREFACE_LEN - c->got < len ? H2_PREFACE_LEN - c->got : len;
		if (memcmp(d, &H2_PREFACE[c->got], n))
			return -EPROTO;
		c->got += n;
		if (c->got == H2_PREFACE_LEN) {
			c->state = H2_FRAME_HEADER;
			c->got = 0;
		}
		return (ssize_t)n;
	case H2_FRAME_HEADER:
		if (gather(c, c->hdr, sizeof(c->hdr), d, len, &n))
			err = on_frame_header(c, cb, arg);
		break;
	case H2_HEADERS_PREFIX:
		if (gather(c, c->prefix, c->prefix_len, d, len, &n)) {
			on_prefix(c);
			if (c->pad > c->left)
				return -EPROTO;
			c->left -= c->pad;
		}
		break;
	case H2_BLOCK:
		n = c->left < len ? c->left : len;
		err = inflate_fragment(c, d, n, false);
		c->left -= (uint32_t)n;
		break;
	case H2_PADDING:
	case H2_SKIP:
		n = c->left < len ? c->left : len;
		c->left -= (uint32_t)n;
		break;
	case H2_LOST:
		return (ssize_t)len;
	case H2_ERROR:
		return -EPROTO;
	}
	if (!err)
		err = settle(c, cb, arg);
	return err ? err : (ssize_t)n;
}

int h2_conn_feed(struct h2_conn *c, const void *data, size_t len, h2_cb cb, void *arg)
{
	const uint8_t *d = data;

	if (c->state == H2_ERROR)
		return -EPROTO;
	while (len) {
		ssize_t n = step(c, d, len, cb, arg);

		if (n < 0) {
			c->state = H2_ERROR;
			return -EPROTO;
		}
		d += n;
		len -= (size_t)n;
	}
	return 0;
}

int h2_conn_skip(struct h2_conn *c, size_t len, h2_cb cb, void *arg)
{
	if (!len)
		return c->state == H2_ERROR ? -EPROTO : 0;
	if (c->state == H2_ERROR || c->state == H2_PREFACE_IN)
		return -EPROTO;
	if (c->state == H2_LOST)
		return 0;
	if (c->state == H2_SKIP && len <= c->left) {
		c->left -= (uint32_t)len;
		if (!c->left) {
			c->state = H2_FRAME_HEADER;
			c->got = 0;
		}
		return 0;
	}
	/* Lost inside a header block or across frames (Go writes a large
	 * header block's HEADERS and CONTINUATION frames in one call). The
	 * block's request is reported with what was decoded, marked cut; the
	 * lost part may have added entries to the HPACK dynamic table, so no
	 * later block is decoded (a table reference could give another
	 * request's value): later requests are reported without their
	 * headers, as on a connection joined mid-stream. */
	if (c->in_block && !c->midstream && c->req.method[0] && cb) {
		c->req.truncated = true;
		cb(&c->req, arg);
	}
	c->in_block = false;
	c->midstream = true;
	c->count_gaps = true;
	c->state = H2_LOST;
	return 0;
}

bool h2_conn_skip_loses(const struct h2_conn *c, size_t len)
{
	if (!len || c->state == H2_ERROR || c->state == H2_PREFACE_IN || c->state == H2_LOST)
		return false;
	return !(c->state == H2_SKIP && len <= c->left);
}

void h2_conn_write_end(struct h2_conn *c)
{
	if (c->state != H2_LOST)
		return;
	c->state = H2_FRAME_HEADER;
	c->got = 0;
	c->resynced = true;
}
