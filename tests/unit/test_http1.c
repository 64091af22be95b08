// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http1.h"
#include "http_auth.h"

#define MAX_RECS 8

/* A reported request with its spans copied out (they die with the callback). */
struct rec {
	struct http_request req;	/* span pointers cleared */
	char token[512];
	size_t token_len;
	char keys[HTTP_REQ_MAX_KEYS][256];
};

struct recs {
	int n;
	struct rec r[MAX_RECS];
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
	r->req.auth.token = NULL;
	for (i = 0; i < req->n_keys && i < HTTP_REQ_MAX_KEYS; i++) {
		span_copy(r->keys[i], sizeof(r->keys[i]), req->keys[i].value,
			  req->keys[i].value_len);
		r->req.keys[i].value = NULL;
	}
}

/* Feed s in pieces of the given sizes (0-terminated list; the rest in one piece). */
static int feed_parts(struct recs *rs, const char *s, size_t len, const size_t *parts)
{
	struct http1_parser *p = http1_parser_new();
	size_t off = 0;
	int rc = 0;

	assert_non_null(p);
	memset(rs, 0, sizeof(*rs));
	for (; parts && *parts && off < len && !rc; parts++) {
		size_t n = *parts < len - off ? *parts : len - off;

		rc = http1_parser_feed(p, s + off, n, collect, rs);
		off += n;
	}
	if (!rc && off < len)
		rc = http1_parser_feed(p, s + off, len - off, collect, rs);
	http1_parser_free(p);
	return rc;
}

static int feed_all(struct recs *rs, const char *s, size_t len)
{
	return feed_parts(rs, s, len, NULL);
}

static int feed_bytes(struct recs *rs, const char *s, size_t len)
{
	struct http1_parser *p = http1_parser_new();
	size_t i;
	int rc = 0;

	assert_non_null(p);
	memset(rs, 0, sizeof(*rs));
	for (i = 0; i < len && !rc; i++)
		rc = http1_parser_feed(p, s + i, 1, collect, rs);
	http1_parser_free(p);
	return rc;
}

static void assert_same(const struct recs *a, const struct recs *b)
{
	int i;

	assert_int_equal(a->n, b->n);
	for (i = 0; i < a->n && i < MAX_RECS; i++)
		assert_memory_equal(&a->r[i], &b->r[i], sizeof(a->r[i]));
}

#define S(lit) lit, sizeof(lit) - 1

static const char stream[] =
	"POST /v1/upload?sig=QUERYSECRET HTTP/1.1\r\n"
	"Host: api.example.com\r\n"
	"User-Agent: curl/8.5.0\r\n"
	"Authorization: Bearer ghp_0123456789abcdefghijABCDEFGHIJ012345\r\n"
	"traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\n"
	"X-Api-Key: key-one\r\n"
	"Content-Length: 26\r\n"
	"\r\n"
	"GET /inbody HTTP/1.1\r\n\r\nxx"
	"PUT /chunked HTTP/1.1\n"
	"host: b.example\n"
	"transfer-encoding: chunked\n"
	"\n"
	"5;name=val\r\nGET /\r\n"
	"10\r\nGET /x HTTP/1.1\n\r\n"
	"0\r\nX-Trailer: t\r\n\r\n"
	"\r\n"
	"GET https://user:hunter2@abs.example:8443/p?q=1 HTTP/1.0\r\n"
	"Private-Token: glpat-abcdefghij0123456789\r\n"
	"\r\n";

/* Every API-key header of a request is kept, the six names at once; past
 * HTTP_REQ_MAX_KEYS the rest are dropped and said so, and nothing is
 * called cut. */
static void test_api_keys_all_kept(void **state)
{
	static const char six[] = "GET /k HTTP/1.1\r\nHost: h\r\n"
				  "X-Api-Key: k1\r\nApi-Key: k2\r\nX-Auth-Token: k3\r\n"
				  "Job-Token: k4\r\nX-Vault-Token: k5\r\nPrivate-Token: k6\r\n\r\n";
	static const char many[] = "GET /k HTTP/1.1\r\nHost: h\r\n"
				   "X-Api-Key: a1\r\nX-Api-Key: a2\r\nX-Api-Key: a3\r\n"
				   "X-Api-Key: a4\r\nX-Api-Key: a5\r\nX-Api-Key: a6\r\n"
				   "X-Api-Key: a7\r\nX-Api-Key: a8\r\nX-Api-Key: a9\r\n\r\n";
	static const char *const names[] = { "x-api-key", "api-key", "x-auth-token",
					     "job-token", "x-vault-token", "private-token" };
	static struct recs rs;
	char want[8];

	(void)state;
	assert_int_equal(feed_all(&rs, S(six)), 0);
	assert_int_equal(rs.n, 1);
	assert_int_equal(rs.r[0].req.n_keys, 6);
	for (int i = 0; i < 6; i++) {
		snprintf(want, sizeof(want), "k%d", i + 1);
		assert_string_equal(rs.r[0].req.keys[i].header, names[i]);
		assert_string_equal(rs.r[0].keys[i], want);
	}
	assert_false(rs.r[0].req.keys_truncated);
	assert_false(rs.r[0].req.truncated);
	assert_int_equal(feed_all(&rs, S(many)), 0);
	assert_int_equal(rs.r[0].req.n_keys, HTTP_REQ_MAX_KEYS);
	assert_string_equal(rs.r[0].keys[HTTP_REQ_MAX_KEYS - 1], "a8");
	assert_true(rs.r[0].req.keys_truncated);
	assert_false(rs.r[0].req.truncated);
}

static void test_basic_request(void **state)
{
	struct recs rs;
	const struct rec *r;

	assert_int_equal(feed_all(&rs, S(stream)), 0);
	assert_int_equal(rs.n, 3);

	r = &rs.r[0];
	assert_string_equal(r->req.version, "HTTP/1.1");
	assert_string_equal(r->req.method, "POST");
	assert_string_equal(r->req.host, "api.example.com");
	assert_string_equal(r->req.path, "/v1/upload");
	assert_true(r->req.path_had_query);
	assert_string_equal(r->req.user_agent, "curl/8.5.0");
	assert_string_equal(r->req.traceparent,
			    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
	assert_string_equal(r->req.auth.scheme, "Bearer");
	assert_string_equal(r->token, "ghp_0123456789abcdefghijABCDEFGHIJ012345");
	assert_int_equal(r->token_len, 40);
	assert_int_equal(r->req.n_keys, 1);
	assert_string_equal(r->req.keys[0].header, "x-api-key");
	assert_string_equal(r->keys[0], "key-one");
	assert_false(r->req.truncated);

	r = &rs.r[1];
	assert_string_equal(r->req.method, "PUT");
	assert_string_equal(r->req.host, "b.example");
	assert_string_equal(r->req.path, "/chunked");
	assert_false(r->req.path_had_query);
	assert_string_equal(r->req.auth.scheme, "");
	assert_int_equal(r->req.n_keys, 0);

	r = &rs.r[2];
	assert_string_equal(r->req.version, "HTTP/1.0");
	assert_string_equal(r->req.method, "GET");
	assert_string_equal(r->req.host, "abs.example:8443");
	assert_string_equal(r->req.path, "/p");
	assert_true(r->req.path_had_query);
	assert_int_equal(r->req.n_keys, 1);
	assert_string_equal(r->req.keys[0].header, "private-token");
	assert_string_equal(r->keys[0], "glpat-abcdefghij0123456789");
	assert_null(memmem(&r->req, sizeof(r->req), "hunter2", 7));
}

static void test_split_every_offset(void **state)
{
	struct recs ref, got;
	size_t s, parts[3];

	assert_int_equal(feed_all(&ref, S(stream)), 0);
	assert_int_equal(ref.n, 3);
	assert_int_equal(feed_bytes(&got, S(stream)), 0);
	assert_same(&ref, &got);
	for (s = 1; s < sizeof(stream) - 1; s++) {
		parts[0] = s;
		parts[1] = 0;
		assert_int_equal(feed_parts(&got, S(stream), parts), 0);
		assert_same(&ref, &got);
	}
	for (s = 1; s + 7 < sizeof(stream) - 1; s += 3) {	/* three pieces */
		parts[0] = s;
		parts[1] = 7;
		parts[2] = 0;
		assert_int_equal(feed_parts(&got, S(stream), parts), 0);
		assert_same(&ref, &got);
	}
}

static void test_pipelined(void **state)
{
	static const char in[] = "GET /a HTTP/1.1\r\nHost: h\r\n\r\n"
				 "GET /b HTTP/1.1\r\nHost: h\r\n\r\n"
				 "HEAD /c HTTP/1.1\r\nHost: h\r\n\r\n";
	struct recs rs;

	assert_int_equal(feed_all(&rs, S(in)), 0);
	assert_int_equal(rs.n, 3);
	assert_string_equal(rs.r[0].req.path, "/a");
	assert_string_equal(rs.r[1].req.path, "/b");
	assert_string_equal(rs.r[2].req.path, "/c");
	assert_string_equal(rs.r[2].req.method, "HEAD");
}

static void test_query_stripped(void **state)
{
	static const char in[] = "GET /search?q=QUERYSECRET&access_token=QTOKEN#FRAGSECRET"
				 " HTTP/1.1\r\nHost: h\r\n\r\n"
				 "GET /page#FRAGONLY HTTP/1.1\r\nHost: h\r\n\r\n"
				 "GET http://h2.example?ABSQUERY HTTP/1.1\r\n\r\n";
	struct recs rs;

	assert_int_equal(feed_all(&rs, S(in)), 0);
	assert_int_equal(rs.n, 3);
	assert_string_equal(rs.r[0].req.path, "/search");
	assert_true(rs.r[0].req.path_had_query);
	assert_null(memmem(&rs.r[0], sizeof(rs.r[0]), "QUERYSECRET", 11));
	assert_null(memmem(&rs.r[0], sizeof(rs.r[0]), "QTOKEN", 6));
	assert_null(memmem(&rs.r[0], sizeof(rs.r[0]), "FRAGSECRET", 10));
	assert_string_equal(rs.r[1].req.path, "/page");
	assert_false(rs.r[1].req.path_had_query);
	assert_null(memmem(&rs.r[1], sizeof(rs.r[1]), "FRAGONLY", 8));
	assert_string_equal(rs.r[2].req.host, "h2.example");
	assert_string_equal(rs.r[2].req.path, "/");
	assert_true(rs.r[2].req.path_had_query);
	assert_null(memmem(&rs.r[2], sizeof(rs.r[2]), "ABSQUERY", 8));
}

static void test_content_length_body_skipped(void **state)
{
	static const char in[] = "POST /a HTTP/1.1\r\nContent-Length: 27\r\n\r\n"
				 "GET /evil HTTP/1.1\r\n\r\nabcde"
				 "GET /next HTTP/1.1\r\n\r\n";
	struct recs rs;

	assert_int_equal(feed_all(&rs, S(in)), 0);
	assert_int_equal(rs.n, 2);
	assert_string_equal(rs.r[0].req.path, "/a");
	assert_string_equal(rs.r[1].req.path, "/next");
}

static void test_chunked_body_skipped(void **state)
{
	static const char in[] = "POST /a HTTP/1.1\r\n"
				 "Content-Length: 3\r\n"
				 "Transfer-Encoding: gzip, Chunked\r\n\r\n"
				 "4\r\nGET \r\n"
				 "1b ; ext=\"x\"\r\n/evil HTTP/1.1\r\nHost: e\r\n\r\n\r\n"
				 "0\r\n\r\n"
				 "GET /next HTTP/1.1\r\n\r\n";
	struct recs rs;

	assert_int_equal(feed_all(&rs, S(in)), 0);
	assert_int_equal(rs.n, 2);
	assert_string_equal(rs.r[0].req.path, "/a");
	assert_string_equal(rs.r[1].req.path, "/next");
	assert_int_equal(feed_bytes(&rs, S(in)), 0);
	assert_int_equal(rs.n, 2);
	assert_string_equal(rs.r[1].req.path, "/next");
}

static void test_lf_only_and_case(void **state)
{
	static const char in[] = "GET /lf HTTP/1.1\nhOsT:lf.example \nuSeR-aGeNt:\tua/1\t\n"
				 "AUTHORIZATION: bearer tok\n\n";
	struct recs rs;

	assert_int_equal(feed_all(&rs, S(in)), 0);
	assert_int_equal(rs.n, 1);
	assert_string_equal(rs.r[0].req.host, "lf.example");
	assert_string_equal(rs.r[0].req.user_agent, "ua/1");
	assert_string_equal(rs.r[0].req.auth.scheme, "Bearer");
	assert_string_equal(rs.r[0].token, "tok");
}

static void test_folding_ignored(void **state)
{
	static const char in[] = "GET /f HTTP/1.1\r\n"
				 "User-Agent: first\r\n"
				 " Host: folded.example\r\n"
				 "\tAuthorization: Bearer folded\r\n"
				 "Bad Name: x\r\n"
				 "no colon here\r\n"
				 ": empty name\r\n"
				 "Host: real.example\r\n\r\n";
	struct recs rs;

	assert_int_equal(feed_all(&rs, S(in)), 0);
	assert_int_equal(rs.n, 1);
	assert_string_equal(rs.r[0].req.user_agent, "first");
	assert_string_equal(rs.r[0].req.host, "real.example");
	assert_string_equal(rs.r[0].req.auth.scheme, "");
	assert_int_equal(rs.r[0].token_len, 0);
}

static void test_absolute_form(void **state)
{
	static const char in[] = "GET https://u:pw@url.example/p/q?x=1 HTTP/1.1\r\n"
				 "Host: header.example\r\n\r\n"
				 "CONNECT tunnel.example:443 HTTP/1.1\r\n\r\n"
				 "OPTIONS * HTTP/1.1\r\nHost: o\r\n\r\n";
	struct recs rs;

	assert_int_equal(feed_all(&rs, S(in)), 0);
	assert_int_equal(rs.n, 3);
	assert_string_equal(rs.r[0].req.host, "header.example");
	assert_string_equal(rs.r[0].req.path, "/p/q");
	assert_true(rs.r[0].req.path_had_query);
	assert_string_equal(rs.r[1].req.method, "CONNECT");
	assert_string_equal(rs.r[1].req.host, "tunnel.example:443");
	assert_string_equal(rs.r[1].req.path, "");
	assert_string_equal(rs.r[2].req.path, "*");
}

static void test_basic_auth_password_absent(void **state)
{
	/* "alice:CANARY-PW-7" */
	static const char in[] = "GET / HTTP/1.1\r\n"
				 "Authorization: Basic YWxpY2U6Q0FOQVJZLVBXLTc=\r\n\r\n";
	struct recs rs;

	assert_int_equal(feed_all(&rs, S(in)), 0);
	assert_int_equal(rs.n, 1);
	assert_string_equal(rs.r[0].req.auth.scheme, "Basic");
	assert_string_equal(rs.r[0].req.auth.basic_user, "alice");
	assert_string_equal(rs.r[0].token, "YWxpY2U6Q0FOQVJZLVBXLTc=");
	assert_null(memmem(&rs.r[0].req, sizeof(rs.r[0].req), "CANARY", 6));
}

static char *big_request(size_t value_len, size_t *len)
{
	static const char head[] = "GET /big?q=1 HTTP/1.1\r\nHost: big.example\r\nX-Big: ";
	static const char tail[] = "\r\nContent-Length: 5\r\nUser-Agent: late\r\n\r\nhello"
				   "GET /next HTTP/1.1\r\nHost: n\r\n\r\n";
	char *s = malloc(sizeof(head) + value_len + sizeof(tail));

	assert_non_null(s);
	memcpy(s, head, sizeof(head) - 1);
	memset(s + sizeof(head) - 1, 'a', value_len);
	memcpy(s + sizeof(head) - 1 + value_len, tail, sizeof(tail));
	*len = sizeof(head) - 1 + value_len + sizeof(tail) - 1;
	return s;
}

static void check_big(const struct recs *rs)
{
	assert_int_equal(rs->n, 2);
	assert_true(rs->r[0].req.truncated);
	assert_string_equal(rs->r[0].req.method, "GET");
	assert_string_equal(rs->r[0].req.path, "/big");
	assert_string_equal(rs->r[0].req.host, "big.example");
	assert_string_equal(rs->r[0].req.user_agent, "");	/* after the cut */
	assert_false(rs->r[1].req.truncated);
	assert_string_equal(rs->r[1].req.path, "/next");
	assert_string_equal(rs->r[1].req.host, "n");
}

static void test_huge_header_truncated(void **state)
{
	size_t len, parts[] = { 1000, 1000, 1000, 20000, 1, 0 }, split;
	char *s = big_request(100 * 1024, &len);
	struct recs rs;

	assert_int_equal(feed_all(&rs, s, len), 0);
	check_big(&rs);
	assert_int_equal(feed_parts(&rs, s, len, parts), 0);
	check_big(&rs);
	/* split around the buffer edge and around the Content-Length line */
	for (split = HTTP1_HEAD_MAX - 4; split < HTTP1_HEAD_MAX + 4; split++) {
		parts[0] = split;
		parts[1] = 0;
		assert_int_equal(feed_parts(&rs, s, len, parts), 0);
		check_big(&rs);
	}
	for (split = len - 90; split < len - 50; split++) {
		parts[0] = split;
		parts[1] = 0;
		assert_int_equal(feed_parts(&rs, s, len, parts), 0);
		check_big(&rs);
	}
	free(s);
}

static void test_header_ends_at_buffer_edge(void **state)
{
	/* Content-Length straddles the HTTP1_HEAD_MAX edge; it must still frame the body. */
	static const char head[] = "GET /edge HTTP/1.1\r\nX-Pad: ";
	static const char tail[] = "\r\nContent-Length: 4\r\n\r\nbodyGET /after HTTP/1.1\r\n\r\n";
	size_t pad = HTTP1_HEAD_MAX - (sizeof(head) - 1) - 2 - 6, len;
	char *s = malloc(sizeof(head) + pad + sizeof(tail));
	struct recs rs;

	assert_non_null(s);
	memcpy(s, head, sizeof(head) - 1);
	memset(s + sizeof(head) - 1, 'p', pad);
	memcpy(s + sizeof(head) - 1 + pad, tail, sizeof(tail));
	len = sizeof(head) - 1 + pad + sizeof(tail) - 1;
	assert_int_equal(feed_all(&rs, s, len), 0);
	assert_int_equal(rs.n, 2);
	assert_true(rs.r[0].req.truncated);
	assert_string_equal(rs.r[0].req.path, "/edge");
	assert_string_equal(rs.r[1].req.path, "/after");
	free(s);
}

/* A header line cut by the head buffer: an Authorization (or API key) header there is reported
 * by scheme (or name) with its credential marked cut, never a span into the cut bytes. */
static void cut_secret_case(const char *name, const char *prefix, const char *kind)
{
	static const char head[] = "GET /cut?q=1 HTTP/1.1\r\nHost: cut.example\r\n";
	static const char tail[] = "\r\nUser-Agent: late\r\n\r\nGET /next HTTP/1.1\r\n\r\n";
	size_t fill = 20000, len = 0;
	char *s = malloc(sizeof(head) + strlen(name) + 2 + strlen(prefix) + fill + sizeof(tail));
	struct recs rs;

	assert_non_null(s);
	memcpy(s, head, sizeof(head) - 1);
	len = sizeof(head) - 1;
	len += (size_t)sprintf(s + len, "%s: %s", name, prefix);
	memset(s + len, 'A', fill);
	len += fill;
	memcpy(s + len, tail, sizeof(tail));
	len += sizeof(tail) - 1;
	assert_int_equal(feed_all(&rs, s, len), 0);
	assert_int_equal(rs.n, 2);
	assert_true(rs.r[0].req.truncated);
	assert_string_equal(rs.r[0].req.path, "/cut");
	assert_string_equal(rs.r[0].req.host, "cut.example");
	assert_int_equal(rs.r[0].token_len, 0);
	if (!strcmp(name, "Authorization")) {
		assert_string_equal(rs.r[0].req.auth.scheme, "Bearer");
		assert_true(rs.r[0].req.auth.token_cut);
		assert_string_equal(http_auth_kind(&rs.r[0].req.auth), kind);
		assert_int_equal(rs.r[0].req.n_keys, 0);
	} else {
		assert_string_equal(rs.r[0].req.auth.scheme, "");
		assert_int_equal(rs.r[0].req.n_keys, 1);
		assert_string_equal(rs.r[0].req.keys[0].header, "x-api-key");
		assert_string_equal(rs.r[0].keys[0], "");
	}
	assert_string_equal(rs.r[1].req.path, "/next");
	free(s);
}

static void test_secret_header_cut(void **state)
{
	cut_secret_case("Authorization", "Bearer eyJ", "opaque");
	/* a JWT longer than the capture: its header and the payload's start are seen
	 * ({"alg":"RS256","typ":"JWT"}, then {"sub":"x","pad":"...) */
	cut_secret_case("Authorization",
			"Bearer eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ4IiwicGFkIjoi", "jwt");
	/* a GitHub token's prefix and body */
	cut_secret_case("Authorization", "Bearer ghp_", "github_pat");
	cut_secret_case("X-Api-Key", "k-", NULL);
}

static void test_huge_request_line(void **state)
{
	size_t len = 40000, i;
	char *s = malloc(len + 64);
	struct recs rs;

	assert_non_null(s);
	memcpy(s, "GET /", 5);
	for (i = 5; i < len; i++)
		s[i] = 'a' + (char)(i % 26);
	strcpy(s + len, " HTTP/1.1\r\n\r\nGET /ok HTTP/1.1\r\n\r\n");
	assert_int_equal(feed_all(&rs, s, strlen(s)), 0);
	assert_int_equal(rs.n, 2);
	assert_true(rs.r[0].req.truncated);
	assert_string_equal(rs.r[0].req.method, "GET");
	assert_int_equal(strlen(rs.r[0].req.path), sizeof(rs.r[0].req.path) - 1);
	assert_string_equal(rs.r[1].req.path, "/ok");
	free(s);
}

static void test_garbage_eproto(void **state)
{
	static const char tls[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03";
	struct http1_parser *p;
	struct recs rs;

	assert_int_equal(feed_all(&rs, S(tls)), -EPROTO);
	assert_int_equal(feed_all(&rs, S("hello world\r\n\r\n")), -EPROTO);
	assert_int_equal(feed_all(&rs, S("GET / FOO/1.1\r\n\r\n")), -EPROTO);
	assert_int_equal(feed_all(&rs, S("GET /\r\n\r\n")), -EPROTO);	/* HTTP/0.9 */
	assert_int_equal(feed_all(&rs, S("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")), -EPROTO);
	assert_int_equal(feed_all(&rs, S("ABCDEFGHIJKLMNOPQRSTUVWXYZ / HTTP/1.1\r\n")), -EPROTO);
	assert_int_equal(feed_all(&rs, S(" GET / HTTP/1.1\r\n\r\n")), -EPROTO);
	assert_int_equal(rs.n, 0);
	/* bad chunk sizes */
	assert_int_equal(feed_all(&rs, S("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
					 "zz\r\n")),
			 -EPROTO);
	assert_int_equal(rs.n, 1);
	assert_int_equal(feed_all(&rs, S("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
					 "1234567890abcdef0\r\n")),
			 -EPROTO);
	assert_int_equal(feed_all(&rs, S("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
					 "2\r\nabX\r\n")),
			 -EPROTO);

	/* a good request, then garbage: the first is reported, then the parser stays refused */
	p = http1_parser_new();
	assert_non_null(p);
	memset(&rs, 0, sizeof(rs));
	assert_int_equal(http1_parser_feed(p, S("GET /ok HTTP/1.1\r\n\r\n\x01\x02"), collect, &rs),
			 -EPROTO);
	assert_int_equal(rs.n, 1);
	assert_int_equal(http1_parser_feed(p, S("GET /again HTTP/1.1\r\n\r\n"), collect, &rs),
			 -EPROTO);
	assert_int_equal(rs.n, 1);
	http1_parser_free(p);
}

static void test_hostile_lengths(void **state)
{
	static const char huge[] = "POST / HTTP/1.1\r\n"
				   "Content-Length: 99999999999999999999999999\r\n\r\n"
				   "GET /hidden HTTP/1.1\r\n\r\n";
	static const char bad[] = "POST / HTTP/1.1\r\nContent-Length: -5\r\n\r\n"
				  "GET /next HTTP/1.1\r\n\r\n";
	static const char nul[] = "GET /n\0ul HTTP/1.1\r\nUser-Agent: a\0b\r\n\r\n";
	static const char stray[] = "\r\n\r\nGET /s HTTP/1.1\r\n\r\n\r\n\nGET /t HTTP/1.1\r\n\r\n";
	struct recs rs;

	assert_int_equal(feed_all(&rs, S(huge)), 0);
	assert_int_equal(rs.n, 1);	/* the rest is body */
	assert_int_equal(feed_all(&rs, S(bad)), 0);
	assert_int_equal(rs.n, 2);
	assert_string_equal(rs.r[1].req.path, "/next");
	assert_int_equal(feed_all(&rs, S(nul)), 0);
	assert_int_equal(rs.n, 1);
	assert_string_equal(rs.r[0].req.path, "/n");
	assert_string_equal(rs.r[0].req.user_agent, "a");
	assert_true(rs.r[0].req.truncated);
	assert_int_equal(feed_all(&rs, S(stray)), 0);
	assert_int_equal(rs.n, 2);
	assert_string_equal(rs.r[1].req.path, "/t");
}

static void test_looks_like(void **state)
{
	assert_true(http1_looks_like(S("GET / HTTP/1.1\r\n")));
	assert_true(http1_looks_like(S("POST ")));
	assert_true(http1_looks_like(S("M-SEARCH * HTTP/1.1")));
	assert_false(http1_looks_like(S("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")));
	assert_false(http1_looks_like(S("get / HTTP/1.1")));
	assert_false(http1_looks_like(S("\x16\x03\x01")));
	assert_false(http1_looks_like(S("GET")));
	assert_false(http1_looks_like(S(" GET /")));
	assert_false(http1_looks_like("", 0));
	assert_false(http1_looks_like(NULL, 0));
}

static void test_may_start(void **state)
{
	assert_true(http1_may_start(S("G")));
	assert_true(http1_may_start(S("GET")));
	assert_true(http1_may_start(S("PRI")));
	assert_true(http1_may_start(S("M-SEARC")));
	assert_false(http1_may_start(S("GET ")));	/* decided: a request line */
	assert_false(http1_may_start(S("g")));
	assert_false(http1_may_start(S("\x16")));
	assert_false(http1_may_start(S("AAAAAAAAAAAAAAAAAAAAA")));	/* 21: longer than any method */
	assert_true(http1_may_start(S("AAAAAAAAAAAAAAAAAAAA")));
	assert_false(http1_may_start("", 0));
	assert_false(http1_may_start(NULL, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic_request),
		cmocka_unit_test(test_api_keys_all_kept),
		cmocka_unit_test(test_split_every_offset),
		cmocka_unit_test(test_pipelined),
		cmocka_unit_test(test_query_stripped),
		cmocka_unit_test(test_content_length_body_skipped),
		cmocka_unit_test(test_chunked_body_skipped),
		cmocka_unit_test(test_lf_only_and_case),
		cmocka_unit_test(test_folding_ignored),
		cmocka_unit_test(test_absolute_form),
		cmocka_unit_test(test_basic_auth_password_absent),
		cmocka_unit_test(test_huge_header_truncated),
		cmocka_unit_test(test_header_ends_at_buffer_edge),
		cmocka_unit_test(test_huge_request_line),
		cmocka_unit_test(test_garbage_eproto),
		cmocka_unit_test(test_hostile_lengths),
		cmocka_unit_test(test_looks_like),
		cmocka_unit_test(test_may_start),
		cmocka_unit_test(test_secret_header_cut),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
