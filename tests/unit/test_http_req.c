// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "http_req.h"

#define S(lit) lit, sizeof(lit) - 1

static void set_target(struct http_request *req, const char *t, const char **a, size_t *alen)
{
	http_req_init(req, "HTTP/1.1");
	http_req_set_target(req, t, strlen(t), a, alen);
}

static void test_copy_bounds(void **state)
{
	struct http_request req;
	char ua[300];

	http_req_init(&req, "HTTP/2");
	assert_string_equal(req.version, "HTTP/2");
	memset(ua, 'x', sizeof(ua));
	ua[254] = '\xc3';	/* "é" across the 255-byte limit */
	ua[255] = '\xa9';
	http_req_copy(&req, req.user_agent, sizeof(req.user_agent), ua, sizeof(ua));
	assert_int_equal(strlen(req.user_agent), 254);
	assert_true(req.truncated);

	http_req_init(&req, "");
	memset(ua, '\x80', sizeof(ua));	/* not UTF-8: plain cut */
	http_req_copy(&req, req.user_agent, sizeof(req.user_agent), ua, sizeof(ua));
	assert_int_equal(strlen(req.user_agent), 255);

	http_req_init(&req, "");
	http_req_copy(&req, req.method, sizeof(req.method), S("GE\0T"));
	assert_string_equal(req.method, "GE");
	assert_true(req.truncated);

	http_req_init(&req, "");
	http_req_copy(&req, req.method, sizeof(req.method), S("0123456789abcdef"));
	assert_string_equal(req.method, "0123456789abcde");
	assert_true(req.truncated);

	http_req_init(&req, "");
	http_req_copy(&req, req.method, sizeof(req.method), NULL, 0);
	assert_string_equal(req.method, "");
	assert_false(req.truncated);
	assert_false(http_req_copy_str(req.method, sizeof(req.method), S("exact fit 15 ch")));
}

static void test_targets(void **state)
{
	struct http_request req;
	const char *a;
	size_t alen;

	set_target(&req, "/a/b?c=d#e", &a, &alen);
	assert_string_equal(req.path, "/a/b");
	assert_true(req.path_had_query);
	assert_null(a);
	assert_int_equal(alen, 0);

	set_target(&req, "/a#frag?notquery", &a, &alen);
	assert_string_equal(req.path, "/a");
	assert_false(req.path_had_query);

	set_target(&req, "https://u:p@h.example:8443/x?y", &a, &alen);
	assert_string_equal(req.path, "/x");
	assert_true(req.path_had_query);
	assert_int_equal(alen, strlen("u:p@h.example:8443"));
	assert_memory_equal(a, "u:p@h.example:8443", alen);

	set_target(&req, "http://h.example", &a, &alen);
	assert_string_equal(req.path, "/");
	assert_memory_equal(a, "h.example", alen);

	set_target(&req, "*", &a, &alen);
	assert_string_equal(req.path, "*");
	assert_null(a);

	set_target(&req, "h.example:443", &a, &alen);
	assert_string_equal(req.path, "");
	assert_memory_equal(a, "h.example:443", alen);

	set_target(&req, "", &a, &alen);
	assert_string_equal(req.path, "");
	assert_null(a);

	/* matrix parameters go like the query; secret segments are redacted */
	set_target(&req, "/app/login;jsessionid=SESSIONSECRET/x?q", &a, &alen);
	assert_string_equal(req.path, "/app/login/x");
	assert_true(req.path_had_params);
	assert_true(req.path_had_query);
	set_target(&req, "https://api.telegram.org/botghp_0123456789abcdefghijABCDEFGHIJ012345/getMe",
		   &a, &alen);
	assert_string_equal(req.path, "/[REDACTED]/getMe");
	assert_false(req.path_had_params);

	set_target(&req, "1http://x/y", &a, &alen);	/* not a scheme: authority form */
	assert_string_equal(req.path, "//x/y");
	assert_memory_equal(a, "1http:", alen);
}

static void test_host(void **state)
{
	struct http_request req;

	http_req_init(&req, "");
	http_req_set_host(&req, S("a:b@c@real.example:1"));
	assert_string_equal(req.host, "real.example:1");
	http_req_set_host(&req, S("second.example"));
	assert_string_equal(req.host, "real.example:1");
	assert_null(memmem(&req, sizeof(req), "a:b", 3));

	http_req_init(&req, "");
	http_req_set_host(&req, S("trailing@"));
	assert_string_equal(req.host, "");
}

static void test_headers(void **state)
{
	static const char auth[] = "Bearer tok";
	struct http_request req;

	http_req_init(&req, "HTTP/1.1");
	http_req_add_header(&req, S("USER-AGENT"), S("  first  "));
	http_req_add_header(&req, S("user-agent"), S("second"));
	http_req_add_header(&req, S("TraceParent"), S("00-abc-def-01"));	/* malformed: dropped */
	http_req_add_header(&req, S("traceparent"),
			    S("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
	http_req_add_header(&req, S("Authorization"), S(auth));
	http_req_add_header(&req, S("authorization"), S("Basic Ym9iOnB3"));
	http_req_add_header(&req, S("Cookie"), S("session=COOKIESECRET"));
	http_req_add_header(&req, S("Proxy-Authorization"), S("Basic PROXYSECRET"));
	http_req_add_header(&req, S("proxy-authorization"), S("Bearer second"));	/* not the first */
	http_req_add_header(&req, S("x-api-keys"), S("NOTAKEY"));
	http_req_add_header(&req, S("X-API-KEY"), S("k"));
	assert_string_equal(req.user_agent, "first");
	assert_string_equal(req.traceparent,
			    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
	assert_string_equal(req.auth.scheme, "Bearer");
	assert_ptr_equal(req.auth.token, auth + 7);
	assert_int_equal(req.auth.token_len, 3);
	assert_int_equal(req.n_keys, 1);
	assert_string_equal(req.keys[0].header, "x-api-key");
	assert_int_equal(req.keys[0].value_len, 1);
	assert_string_equal(req.proxy_auth.scheme, "Basic");
	assert_int_equal(req.proxy_auth.token_len, strlen("PROXYSECRET"));
	assert_false(req.truncated);
	assert_null(memmem(&req, sizeof(req), "SECRET", 6));
	assert_null(memmem(&req, sizeof(req), "NOTAKEY", 7));

	assert_true(http_req_header_is_span(S("Authorization")));
	assert_true(http_req_header_is_span(S("Proxy-Authorization")));
	assert_true(http_req_header_is_span(S("private-token")));
	assert_true(http_req_header_is_span(S("X-Auth-Token")));
	assert_true(http_req_header_is_span(S("api-key")));
	assert_false(http_req_header_is_span(S("host")));
	assert_false(http_req_header_is_span(S("api-key2")));
	assert_false(http_req_header_is_span(S("")));
}

/* Proxy-Authorization (a CONNECT sent to an HTTPS proxy) is parsed as Authorization is, on
 * its own: the Basic user name, the credential's span; a cut value drops the span and marks
 * the credential cut, leaving Authorization alone. */
static void test_proxy_authorization(void **state)
{
	static const char proxy[] = "Basic cHJveHl1c2VyOnBST1hZcHc=";	/* proxyuser:pROXYpw */
	static const char auth[] = "Bearer tok";
	struct http_request req;

	http_req_init(&req, "HTTP/1.1");
	http_req_add_header(&req, S("Proxy-Authorization"), S(proxy));
	http_req_add_header(&req, S("Authorization"), S(auth));
	assert_string_equal(req.proxy_auth.scheme, "Basic");
	assert_string_equal(req.proxy_auth.basic_user, "proxyuser");
	assert_ptr_equal(req.proxy_auth.token, proxy + 6);
	assert_int_equal(req.proxy_auth.token_len, strlen(proxy) - 6);
	assert_string_equal(req.auth.scheme, "Bearer");
	assert_null(memmem(&req, sizeof(req), "pROXYpw", 7));

	http_req_drop_spans(&req, proxy, sizeof(proxy) - 1);
	assert_null(req.proxy_auth.token);
	assert_true(req.proxy_auth.token_cut);
	assert_string_equal(req.proxy_auth.basic_user, "proxyuser");
	assert_true(req.truncated);
	assert_ptr_equal(req.auth.token, auth + 7);
	assert_false(req.auth.token_cut);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_copy_bounds),
		cmocka_unit_test(test_targets),
		cmocka_unit_test(test_host),
		cmocka_unit_test(test_headers),
		cmocka_unit_test(test_proxy_authorization),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
