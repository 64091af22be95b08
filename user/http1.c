// SPDX-License-Identifier: GPL-2.0
/*
 * HTTP/1.x request heads from a client's write() stream. The head is gathered in
 * a bounded buffer until its empty line; the request line is checked as soon as
 * it is complete, so bytes that are not HTTP/1 are refused early. Bodies are
 * skipped by count (Content-Length, chunk sizes), never buffered.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

#include "http1.h"
#include "http_req.h"

#define METHOD_MAX HTTP1_METHOD_MAX
#define SKIP_LINE_MAX 128	/* start of a header line kept while skipping an oversized head */
#define CHUNK_DIGITS_MAX 15	/* hex digits of a chunk size: below 2^60 */

typedef void (*http1_cb)(const struct http_request *req, void *arg);

enum h1_state {
	H1_HEAD,	/* gathering a request head */
	H1_SKIP_HEAD,	/* head overflowed: looking for its end, watching for framing headers */
	H1_BODY,	/* Content-Length bytes */
	H1_CHUNK_SIZE,	/* hex size of a chunk */
	H1_CHUNK_EXT,	/* rest of the chunk-size line */
	H1_CHUNK_DATA,	/* chunk bytes */
	H1_CHUNK_END,	/* CRLF after the chunk bytes */
	H1_TRAILERS,	/* trailer lines after the last chunk, up to an empty line */
	H1_ERROR,	/* not HTTP/1: refuse everything */
};

enum h1_eol {
	EOL_NONE,	/* inside a line */
	EOL_LF,		/* just after LF: an empty line ends here on LF */
	EOL_LF_CR,	/* after LF CR */
};

struct h1_framing {
	bool chunked;
	bool have_length;
	uint64_t length;	/* bytes */
};

struct http1_parser {
	enum h1_state state;
	size_t len;			/* bytes of the current head in buf */
	bool method_ok;			/* buf starts with METHOD SP */
	bool line_ok;			/* the request line ended in HTTP/1.x */
	struct h1_framing framing;	/* body framing of the current request */
	uint64_t left;			/* body or chunk bytes to skip; chunk size being read */
	unsigned int digits;		/* hex digits read of the current chunk size */
	enum h1_eol eol;		/* line-end state in H1_SKIP_HEAD and H1_TRAILERS */
	size_t line_len;		/* full length of the current line in H1_SKIP_HEAD */
	char line[SKIP_LINE_MAX];	/* its first bytes */
	char buf[HTTP1_HEAD_MAX];
};

struct http1_parser *http1_parser_new(void)
{
	return calloc(1, sizeof(struct http1_parser));
}

void http1_parser_free(struct http1_parser *p)
{
	free(p);
}

static bool method_char(char c, bool first)
{
	if (c >= 'A' && c <= 'Z')
		return true;
	return !first && ((c >= '0' && c <= '9') || c == '-' || c == '_');
}

/* Length of "METHOD" when s starts with "METHOD SP", 0 when more bytes are needed, -1 if not. */
static int method_len(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len && i <= METHOD_MAX; i++) {
		if (s[i] == ' ')
			return i ? (int)i : -1;
		if (!method_char(s[i], i == 0))
			return -1;
	}
	return i > METHOD_MAX ? -1 : 0;
}

bool http1_looks_like(const void *data, size_t len)
{
	if (!data || method_len(data, len) <= 0)
		return false;
	return !(len >= 4 && !memcmp(data, "PRI ", 4));
}

bool http1_may_start(const void *data, size_t len)
{
	return data && len && method_len(data, len) == 0;
}

static bool is_version(const char *s, size_t len)
{
	return len == 8 && !memcmp(s, "HTTP/1.", 7) && s[7] >= '0' && s[7] <= '9';
}

/* "METHOD SP target SP HTTP/1.x" (len excludes the LF). */
static bool request_line_ok(const char *s, size_t len)
{
	const char *sp1, *sp2;

	if (len && s[len - 1] == '\r')
		len--;
	sp1 = memchr(s, ' ', len);
	sp2 = memrchr(s, ' ', len);
	if (!sp1 || sp2 == sp1)
		return false;
	return is_version(sp2 + 1, len - (size_t)(sp2 + 1 - s));
}

static void trim(const char **s, size_t *len)
{
	while (*len && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*len)--;
	}
	while (*len && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t'))
		(*len)--;
}

/* Split "name: value"; false for continuation lines (obs-fold) and lines that are no header. */
static bool split_header(const char *s, size_t n, const char **value, size_t *value_len,
			 size_t *name_len)
{
	const char *colon;

	if (!n || s[0] == ' ' || s[0] == '\t')
		return false;
	colon = memchr(s, ':', n);
	if (!colon || colon == s)
		return false;
	*name_len = (size_t)(colon - s);
	if (memchr(s, ' ', *name_len) || memchr(s, '\t', *name_len))
		return false;
	*value = colon + 1;
	*value_len = n - *name_len - 1;
	return true;
}

static bool name_is(const char *name, size_t len, const char *lit)
{
	return len == strlen(lit) && !strncasecmp(name, lit, len);
}

static bool parse_length(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (!len)
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v > (UINT64_MAX - 9) / 10 ? UINT64_MAX : v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return true;
}

/* Content-Length and Transfer-Encoding (chunked when it is the last coding) decide the body. */
static void framing_header(struct h1_framing *f, const char *name, size_t name_len,
			   const char *value, size_t value_len)
{
	const char *comma;

	trim(&value, &value_len);
	if (name_is(name, name_len, "content-length")) {
		if (!f->have_length)
			f->have_length = parse_length(value, value_len, &f->length);
	} else if (name_is(name, name_len, "transfer-encoding")) {
		comma = memrchr(value, ',', value_len);
		if (comma) {
			value_len -= (size_t)(comma + 1 - value);
			value = comma + 1;
			trim(&value, &value_len);
		}
		f->chunked = name_is(value, value_len, "chunked");
	}
}

static void parse_request_line(struct http_request *req, const char *s, size_t len,
			       const char **authority, size_t *authority_len)
{
	const char *sp = memchr(s, ' ', len), *last;
	size_t mlen = sp ? (size_t)(sp - s) : len;

	http_req_copy(req, req->method, sizeof(req->method), s, mlen);
	if (!sp)
		return;
	s = sp + 1;
	len -= mlen + 1;
	last = memrchr(s, ' ', len);
	if (last && is_version(last + 1, len - (size_t)(last + 1 - s))) {
		http_req_copy(req, req->version, sizeof(req->version), last + 1, 8);
		len = (size_t)(last - s);
	}
	trim(&s, &len);
	http_req_set_target(req, s, len, authority, authority_len);
}

static void parse_header_line(struct http1_parser *p, struct http_request *req, const char *s,
			      size_t n)
{
	const char *value;
	size_t value_len, name_len;

	if (!split_header(s, n, &value, &value_len, &name_len))
		return;
	framing_header(&p->framing, s, name_len, value, value_len);
	http_req_add_header(req, s, name_len, value, value_len);
}

/* The head overflowed inside a header line (n bytes at s): an Authorization or API-key header
 * cut there still gives its scheme and name, its credential marked cut rather than lost unseen. */
static void parse_cut_line(struct http_request *req, const char *s, size_t n)
{
	const char *value;
	size_t value_len, name_len;

	if (!split_header(s, n, &value, &value_len, &name_len) ||
	    !http_req_header_is_span(s, name_len))
		return;
	http_req_add_header(req, s, name_len, value, value_len);
	http_req_drop_spans(req, value, value_len);
}

/* Parse the first len bytes of buf (whole lines, or a lone cut request line) and report them;
 * cut: bytes after them, the start of a header line the buffer cut. */
static void report_head(struct http1_parser *p, size_t len, size_t cut, bool truncated,
			http1_cb cb, void *arg)
{
	const char *s = p->buf, *end = p->buf + len, *authority = NULL;
	struct http_request req;
	size_t authority_len = 0;
	bool first = true;

	http_req_init(&req, "");
	while (s < end) {
		const char *lf = memchr(s, '\n', (size_t)(end - s));
		size_t n = lf ? (size_t)(lf - s) : (size_t)(end - s);

		if (n && s[n - 1] == '\r')
			n--;
		if (first)
			parse_request_line(&req, s, n, &authority, &authority_len);
		else if (!n)
			break;
		else
			parse_header_line(p, &req, s, n);
		first = false;
		s = lf ? lf + 1 : end;
	}
	if (s == end && cut)
		parse_cut_line(&req, end, cut);
	if (authority)
		http_req_set_host(&req, authority, authority_len);
	if (truncated)
		req.truncated = true;
	if (cb)
		cb(&req, arg);
}

/* The head is over: skip its body, then expect the next head. */
static void start_body(struct http1_parser *p)
{
	if (p->framing.chunked) {
		p->state = H1_CHUNK_SIZE;
		p->left = 0;
		p->digits = 0;
	} else if (p->framing.have_length && p->framing.length) {
		p->state = H1_BODY;
		p->left = p->framing.length;
	} else {
		p->state = H1_HEAD;
	}
	p->len = 0;
	p->method_ok = false;
	p->line_ok = false;
	memset(&p->framing, 0, sizeof(p->framing));
}

static void line_add(struct http1_parser *p, char c)
{
	if (p->line_len < sizeof(p->line))
		p->line[p->line_len] = c;
	p->line_len++;
}

/* The buffer is full without an empty line: report the whole lines, skip the rest of the head. */
static void head_overflow(struct http1_parser *p, http1_cb cb, void *arg)
{
	const char *lf = memrchr(p->buf, '\n', p->len);
	size_t whole = lf ? (size_t)(lf + 1 - p->buf) : p->len, i;

	p->line_len = 0;
	p->eol = EOL_NONE;
	if (lf && whole == p->len)
		p->eol = EOL_LF;
	else if (lf && whole + 1 == p->len && p->buf[whole] == '\r')
		p->eol = EOL_LF_CR;
	else if (lf)
		for (i = whole; i < p->len; i++)
			line_add(p, p->buf[i]);
	else
		p->line_len = sizeof(p->line) + 1;	/* the cut request line: no framing in it */
	report_head(p, whole, p->len - whole, true, cb, arg);
	p->state = H1_SKIP_HEAD;
}

static ssize_t feed_head(struct http1_parser *p, const char *d, size_t len, http1_cb cb, void *arg)
{
	size_t old = p->len, n, i, skip = 0;
	char *lf;
	int m;

	if (!old) {
		while (skip < len && (d[skip] == '\r' || d[skip] == '\n'))
			skip++;	/* stray line ends between requests */
		if (skip)
			return (ssize_t)skip;
	}
	n = len < HTTP1_HEAD_MAX - old ? len : HTTP1_HEAD_MAX - old;
	memcpy(p->buf + old, d, n);
	p->len += n;
	if (!p->method_ok) {
		m = method_len(p->buf, p->len);
		if (m < 0)
			return -EPROTO;
		p->method_ok = m > 0;
	}
	for (i = old; i < p->len && (lf = memchr(p->buf + i, '\n', p->len - i)); i++) {
		i = (size_t)(lf - p->buf);
		if (!p->line_ok) {
			if (!request_line_ok(p->buf, i))
				return -EPROTO;
			p->line_ok = true;
			continue;
		}
		if (p->buf[i - 1] == '\n' || (p->buf[i - 1] == '\r' && p->buf[i - 2] == '\n')) {
			report_head(p, i + 1, 0, false, cb, arg);
			start_body(p);
			return (ssize_t)(i + 1 - old);
		}
	}
	if (p->len == HTTP1_HEAD_MAX)
		head_overflow(p, cb, arg);
	return (ssize_t)n;
}

static void skip_line_end(struct http1_parser *p)
{
	const char *value;
	size_t n = p->line_len, value_len, name_len;

	if (n > sizeof(p->line))
		return;
	if (n && p->line[n - 1] == '\r')
		n--;
	if (split_header(p->line, n, &value, &value_len, &name_len))
		framing_header(&p->framing, p->line, name_len, value, value_len);
}

static ssize_t feed_skip_head(struct http1_parser *p, const char *d, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (d[i] == '\n') {
			if (p->eol != EOL_NONE) {
				start_body(p);
				return (ssize_t)(i + 1);
			}
			skip_line_end(p);
			p->eol = EOL_LF;
			p->line_len = 0;
		} else if (d[i] == '\r' && p->eol == EOL_LF) {
			p->eol = EOL_LF_CR;
		} else {
			if (p->eol == EOL_LF_CR)
				line_add(p, '\r');
			p->eol = EOL_NONE;
			line_add(p, d[i]);
		}
	}
	return (ssize_t)len;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void chunk_size_done(struct http1_parser *p)
{
	p->digits = 0;
	if (p->left) {
		p->state = H1_CHUNK_DATA;
	} else {
		p->state = H1_TRAILERS;
		p->eol = EOL_LF;
	}
}

static ssize_t feed_chunk_size(struct http1_parser *p, const char *d, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		int v = hex_value(d[i]);

		if (v >= 0) {
			if (++p->digits > CHUNK_DIGITS_MAX)
				return -EPROTO;
			p->left = p->left * 16 + (uint64_t)v;
			continue;
		}
		if (!p->digits)
			return -EPROTO;
		if (d[i] == '\n')
			chunk_size_done(p);
		else
			p->state = H1_CHUNK_EXT;	/* ";ext", spaces, CR */
		return (ssize_t)(i + 1);
	}
	return (ssize_t)len;
}

static ssize_t feed_chunk_ext(struct http1_parser *p, const char *d, size_t len)
{
	const char *lf = memchr(d, '\n', len);

	if (!lf)
		return (ssize_t)len;
	chunk_size_done(p);
	return lf + 1 - d;
}

static ssize_t feed_chunk_end(struct http1_parser *p, const char *d, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (d[i] == '\r')
			continue;
		if (d[i] != '\n')
			return -EPROTO;
		p->state = H1_CHUNK_SIZE;
		p->left = 0;
		p->digits = 0;
		return (ssize_t)(i + 1);
	}
	return (ssize_t)len;
}

static ssize_t feed_trailers(struct http1_parser *p, const char *d, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (d[i] == '\n') {
			if (p->eol != EOL_NONE) {
				start_body(p);	/* no framing: straight to the next head */
				return (ssize_t)(i + 1);
			}
			p->eol = EOL_LF;
		} else if (d[i] == '\r' && p->eol == EOL_LF) {
			p->eol = EOL_LF_CR;
		} else {
			p->eol = EOL_NONE;
		}
	}
	return (ssize_t)len;
}

/* Skip up to p->left bytes; next state when they are all gone. */
static ssize_t skip_counted(struct http1_parser *p, size_t len, enum h1_state next)
{
	size_t n = p->left < len ? (size_t)p->left : len;

	p->left -= n;
	if (!p->left)
		p->state = next;
	return (ssize_t)n;
}

/* Consume a prefix of d (at least one byte) in the current state. */
static ssize_t step(struct http1_parser *p, const char *d, size_t len, http1_cb cb, void *arg)
{
	switch (p->state) {
	case H1_HEAD:
		return feed_head(p, d, len, cb, arg);
	case H1_SKIP_HEAD:
		return feed_skip_head(p, d, len);
	case H1_BODY:
		return skip_counted(p, len, H1_HEAD);
	case H1_CHUNK_SIZE:
		return feed_chunk_size(p, d, len);
	case H1_CHUNK_EXT:
		return feed_chunk_ext(p, d, len);
	case H1_CHUNK_DATA:
		return skip_counted(p, len, H1_CHUNK_END);
	case H1_CHUNK_END:
		return feed_chunk_end(p, d, len);
	case H1_TRAILERS:
		return feed_trailers(p, d, len);
	case H1_ERROR:
		break;
	}
	return -EPROTO;
}

int http1_parser_feed(struct http1_parser *p, const void *data, size_t len, http1_cb cb, void *arg)
{
	const char *d = data;

	if (p->state == H1_ERROR)
		return -EPROTO;
	while (len) {
		ssize_t n = step(p, d, len, cb, arg);

		if (n < 0) {
			p->state = H1_ERROR;
			return (int)n;
		}
		d += n;
		len -= (size_t)n;
	}
	return 0;
}

int http1_parser_skip(struct http1_parser *p, size_t len)
{
	if (!len)
		return p->state == H1_ERROR ? -EPROTO : 0;
	if ((p->state != H1_BODY && p->state != H1_CHUNK_DATA) || len > p->left) {
		p->state = H1_ERROR;
		return -EPROTO;
	}
	p->left -= len;
	if (!p->left)
		p->state = p->state == H1_BODY ? H1_HEAD : H1_CHUNK_END;
	return 0;
}
