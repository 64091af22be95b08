// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Sink URIs and config entries -> struct sink_spec (user/sink_spec.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>
#include "sink.h"
#include "sink_spec.h"

struct want {
	const char *scheme, *host, *path;
	int port;
	enum sink_format format;
};

static void expect_ok(const char *uri, struct want w)
{
	struct sink_spec s;
	char err[256] = "";
	int rc = sink_spec_parse(uri, NULL, &s, err, sizeof(err));

	if (rc)
		fail_msg("%s: %d %s", uri, rc, err);
	assert_string_equal(s.uri, uri);
	assert_string_equal(s.scheme, w.scheme);
	if (w.host)
		assert_string_equal(s.host, w.host);
	else
		assert_null(s.host);
	if (w.path)
		assert_string_equal(s.path, w.path);
	else
		assert_null(s.path);
	assert_int_equal(s.port, w.port);
	assert_int_equal(s.format, w.format);
	assert_true(json_is_object(s.options));
	sink_spec_free(&s);
}

/* Fails with -EINVAL, a message holding each of the words, and s left empty. */
static void expect_err(const char *uri, const char *word1, const char *word2)
{
	struct sink_spec s;
	char err[256] = "";

	assert_int_equal(sink_spec_parse(uri, NULL, &s, err, sizeof(err)), -EINVAL);
	if (!strstr(err, word1) || (word2 && !strstr(err, word2)))
		fail_msg("%s: message '%s' lacks '%s'%s%s", uri, err, word1, word2 ? " or " : "",
			 word2 ? word2 : "");
	assert_null(s.uri);
	assert_null(s.scheme);
	assert_null(s.options);
	sink_spec_free(&s); /* harmless twice */
}

static void test_stdout(void **state)
{
	expect_ok("stdout", (struct want){ "stdout", NULL, NULL, 0, SINK_FORMAT_JSON });
	expect_ok("-", (struct want){ "stdout", NULL, NULL, 0, SINK_FORMAT_JSON });
	expect_ok("stdout://", (struct want){ "stdout", NULL, NULL, 0, SINK_FORMAT_JSON });
	expect_ok("stdout://?format=ocsf", (struct want){ "stdout", NULL, NULL, 0, SINK_FORMAT_OCSF });
	expect_ok("stdout://?format=json", (struct want){ "stdout", NULL, NULL, 0, SINK_FORMAT_JSON });
}

static void test_file(void **state)
{
	struct sink_spec s;
	char err[256] = "";
	long long v;

	expect_ok("file:///var/log/idtrace.json",
		  (struct want){ "file", NULL, "/var/log/idtrace.json", 0, SINK_FORMAT_JSON });
	expect_ok("file:///var/log/id%20trace%2Ejson",
		  (struct want){ "file", NULL, "/var/log/id trace.json", 0, SINK_FORMAT_JSON });
	expect_ok("file:///x?format=ocsf", (struct want){ "file", NULL, "/x", 0, SINK_FORMAT_OCSF });

	assert_int_equal(sink_spec_parse("file:///var/log/idtrace.json?max_size_mb=100&keep=5",
					 NULL, &s, err, sizeof(err)), 0);
	assert_string_equal(s.path, "/var/log/idtrace.json");
	assert_int_equal(json_object_size(s.options), 2);
	assert_string_equal(sink_opt_str(&s, "max_size_mb", NULL), "100");
	assert_int_equal(sink_opt_int(&s, "keep", 1, 1, 100, &v, err, sizeof(err)), 0);
	assert_int_equal(v, 5);
	assert_int_equal(sink_opt_int(&s, "absent", 7, 1, 100, &v, err, sizeof(err)), 0);
	assert_int_equal(v, 7);
	assert_int_equal(sink_opt_int(&s, "max_size_mb", 1, 1, 99, &v, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "max_size_mb=100 is out of range (1..99)"));
	assert_string_equal(sink_opt_str(&s, "absent", "def"), "def");
	sink_spec_free(&s);
	assert_null(s.uri);

	expect_err("file://var/log/x.json", "absolute", "file:///PATH");
	expect_err("file://", "absolute", NULL);
	expect_err("file:///", "absolute", NULL);
	expect_err("file:///x%2", "bad escape", NULL);
	expect_err("file:///x%00y", "bad escape", NULL);
}

static void test_syslog(void **state)
{
	expect_ok("syslog+udp://siem.example.com",
		  (struct want){ "syslog+udp", "siem.example.com", NULL, 514, SINK_FORMAT_JSON });
	expect_ok("syslog+tcp://siem:1514",
		  (struct want){ "syslog+tcp", "siem", NULL, 1514, SINK_FORMAT_JSON });
	expect_ok("syslog+tls://siem", (struct want){ "syslog+tls", "siem", NULL, 6514, SINK_FORMAT_JSON });
	expect_ok("syslog+tls://10.0.0.1:65535/",
		  (struct want){ "syslog+tls", "10.0.0.1", NULL, 65535, SINK_FORMAT_JSON });
	expect_ok("syslog+tcp://siem:1?format=ocsf",
		  (struct want){ "syslog+tcp", "siem", NULL, 1, SINK_FORMAT_OCSF });
	expect_ok("unix:///dev/log", (struct want){ "unix", NULL, "/dev/log", 0, SINK_FORMAT_JSON });

	expect_err("syslog+tcp://siem/path", "takes no path", NULL);
	expect_err("syslog+udp://", "no host", "HOST:PORT");
	expect_err("syslog+udp://:514", "no host", NULL);
	expect_err("unix://dev/log", "absolute", NULL);
}

static void test_ipv6(void **state)
{
	expect_ok("syslog+tcp://[2001:db8::1]:6514",
		  (struct want){ "syslog+tcp", "2001:db8::1", NULL, 6514, SINK_FORMAT_JSON });
	expect_ok("syslog+udp://[::1]", (struct want){ "syslog+udp", "::1", NULL, 514, SINK_FORMAT_JSON });
	expect_ok("syslog+tls://[fe80::1%25eth0]:10514?format=ocsf",
		  (struct want){ "syslog+tls", "fe80::1%25eth0", NULL, 10514, SINK_FORMAT_OCSF });
	expect_err("syslog+tcp://[::1", "unterminated IPv6", NULL);
	expect_err("syslog+tcp://[]:514", "unterminated IPv6", NULL);
	expect_err("syslog+tcp://[::1]514", "expected ':'", NULL);
	expect_err("syslog+tcp://[::1]:", "bad port", NULL);
}

static void test_bad_ports(void **state)
{
	expect_err("syslog+tcp://siem:0", "bad port '0'", "1..65535");
	expect_err("syslog+tcp://siem:65536", "bad port '65536'", NULL);
	expect_err("syslog+tcp://siem:-1", "bad port", NULL);
	expect_err("syslog+tcp://siem:51a", "bad port '51a'", NULL);
	expect_err("syslog+tcp://siem:", "bad port", NULL);
	expect_err("syslog+tcp://siem:123456789", "bad port", NULL);
}

static void test_kafka(void **state)
{
	struct sink_spec s;
	char err[256] = "";

	expect_ok("kafka://broker/idtrace",
		  (struct want){ "kafka", "broker", "idtrace", 9092, SINK_FORMAT_JSON });
	expect_ok("kafka://b1:9092,b2:9093,[::1]:9094/events.v1?format=ocsf",
		  (struct want){ "kafka", "b1:9092,b2:9093,[::1]:9094", "events.v1", 9092,
				 SINK_FORMAT_OCSF });
	expect_err("kafka://broker", "one topic", "kafka://BROKER");
	expect_err("kafka://broker/", "one topic", NULL);
	expect_err("kafka://broker/a/b", "one topic", NULL);
	expect_err("kafka:///topic", "no host", NULL);

	/* Percent escapes in options: a password with '@', '&' and '='. */
	assert_int_equal(sink_spec_parse("kafka://b/t?sasl.password=p%40ss%26w%3D&acks=all&&",
					 NULL, &s, err, sizeof(err)), 0);
	assert_string_equal(sink_opt_str(&s, "sasl.password", NULL), "p@ss&w=");
	assert_string_equal(sink_opt_str(&s, "acks", NULL), "all");
	assert_int_equal(json_object_size(s.options), 2);
	sink_spec_free(&s);
}

static void test_query_errors(void **state)
{
	expect_err("file:///x?flag", "no value", "key=value");
	expect_err("file:///x?a=1&flag&b=2", "'flag' has no value", NULL);
	expect_err("file:///x?k=%zz", "bad escape", NULL);
	expect_err("file:///x?k=%4", "bad escape", NULL);
	expect_err("file:///x?k=%00", "bad escape", NULL);
	expect_err("file:///x?=v", "bad escape", NULL);
	expect_err("file:///x?format=xml", "unknown format 'xml'", "json or ocsf");
	expect_err("stdout://?format=OCSF", "unknown format", NULL);
}

static void test_unknown_and_not_uri(void **state)
{
	expect_err("http://siem:80", "unknown scheme 'http'", "known:");
	expect_err("syslog://siem", "unknown scheme 'syslog'", NULL);
	expect_err("://x", "unknown scheme ''", NULL);
	expect_err("/var/log/idtrace.json", "is not a URI", "file:///PATH");
	expect_err("relative/path.json", "is not a URI", NULL);
	expect_err("", "is not a URI", NULL);
	expect_err(NULL, "is not a URI", NULL);
}

/* A config entry: its keys join the URI's options and win over them. */
/* Options a scheme's sink does not read are refused at start, so a typo
 * (max_size=100 for max_size_mb) is an error naming it, not a default. */
static void check_opts(const char *uri, const char *entry_json, int want, const char *word)
{
	json_error_t jerr;
	json_t *entry = entry_json ? json_loads(entry_json, 0, &jerr) : NULL;
	const struct sink_ops *ops;
	struct sink_spec s;
	char err[256] = "";

	assert_int_equal(sink_spec_parse(uri, entry, &s, err, sizeof(err)), 0);
	ops = sink_ops_for(s.scheme);
	assert_non_null(ops);
	/* the lists are the sinks' own */
	assert_int_equal(sink_spec_check_options(&s, ops->options, err, sizeof(err)), want);
	if (word && !strstr(err, word))
		fail_msg("%s: message '%s' lacks '%s'", uri, err, word);
	sink_spec_free(&s);
	json_decref(entry);
}

static void test_unknown_options(void **state)
{
	(void)state;
	/* every documented option of each sink, and format */
	check_opts("file:///x?max_size_mb=1&max_age_s=5&keep=2&compress=no&mode=0600&format=ocsf",
		   NULL, 0, NULL);
	check_opts("file:///x?max_size_bytes=8192", NULL, 0, NULL);
	check_opts("syslog+tls://h?ca_file=/c&cert_file=/a&key_file=/b&server_name=s&facility=daemon"
		   "&hostname=n&framing=lf&connect_timeout_ms=1&send_timeout_ms=1&buffer_bytes=0"
		   "&resend_window_bytes=0&resend_grace_ms=0", NULL, 0, NULL);
	check_opts("syslog+udp://h?max_udp_bytes=2000", NULL, 0, NULL);
	check_opts("unix:///dev/log?facility=auth", NULL, 0, NULL);
	check_opts("kafka://b/t?key=boot_id&close_timeout_ms=5&kafka.linger.ms=5", NULL, 0, NULL);
	check_opts("kafka://b/t", "{\"kafka\": {\"security.protocol\": \"ssl\"}}", 0, NULL);
	check_opts("stdout", "{\"format\": \"ocsf\"}", 0, NULL);
	/* misspelt or misplaced */
	check_opts("file:///x?max_size=100", NULL, -EINVAL, "unknown option 'max_size'");
	check_opts("file:///x", "{\"keep_files\": 3}", -EINVAL, "unknown option 'keep_files'");
	check_opts("file:///x?kafka.linger.ms=5", NULL, -EINVAL, "'kafka.linger.ms' for file");
	check_opts("syslog+tcp://h?ca_flie=/c", NULL, -EINVAL, "unknown option 'ca_flie'");
	check_opts("kafka://b/t?linger.ms=5", NULL, -EINVAL, "unknown option 'linger.ms'");
	check_opts("stdout", "{\"keep\": 3}", -EINVAL, "unknown option 'keep' for stdout");
}

static void test_config_entry(void **state)
{
	json_error_t jerr;
	json_t *entry = json_loads("{\"uri\": \"ignored\", \"keep\": 3, \"format\": \"ocsf\","
				   " \"verify\": true, \"kafka\": {\"linger.ms\": \"5\"}}",
				   0, &jerr);
	struct sink_spec s;
	char err[256] = "";
	long long v;

	assert_non_null(entry);
	assert_int_equal(sink_spec_parse("file:///x?keep=9&max_size_mb=2", entry, &s, err,
					 sizeof(err)), 0);
	assert_int_equal(s.format, SINK_FORMAT_OCSF);
	assert_null(json_object_get(s.options, "uri"));
	assert_int_equal(sink_opt_int(&s, "keep", 1, 1, 100, &v, err, sizeof(err)), 0);
	assert_int_equal(v, 3);
	assert_int_equal(sink_opt_int(&s, "max_size_mb", 1, 1, 100, &v, err, sizeof(err)), 0);
	assert_int_equal(v, 2);
	assert_true(json_is_true(json_object_get(s.options, "verify")));
	assert_true(json_is_object(json_object_get(s.options, "kafka")));
	/* Not an integer option. */
	assert_int_equal(sink_opt_int(&s, "verify", 1, 0, 1, &v, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "verify must be an integer"));
	sink_spec_free(&s);
	json_decref(entry);

	entry = json_loads("{\"keep\": [1, 2]}", 0, &jerr);
	assert_int_equal(sink_spec_parse("file:///x", entry, &s, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "option 'keep' must be"));
	json_decref(entry);

	entry = json_loads("{\"keep\": \"x5\"}", 0, &jerr);
	assert_int_equal(sink_spec_parse("file:///x", entry, &s, err, sizeof(err)), 0);
	assert_int_equal(sink_opt_int(&s, "keep", 1, 1, 100, &v, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "keep='x5' is not an integer"));
	sink_spec_free(&s);
	json_decref(entry);

	/* A format from the entry that is unknown. */
	entry = json_loads("{\"format\": \"cef\"}", 0, &jerr);
	assert_int_equal(sink_spec_parse("stdout", entry, &s, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "unknown format 'cef'"));
	json_decref(entry);

	/* A non-object entry is ignored. */
	entry = json_string("file:///y");
	assert_int_equal(sink_spec_parse("file:///x", entry, &s, err, sizeof(err)), 0);
	assert_string_equal(s.path, "/x");
	assert_int_equal(json_object_size(s.options), 0);
	sink_spec_free(&s);
	json_decref(entry);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stdout),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_syslog),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_bad_ports),
		cmocka_unit_test(test_kafka),
		cmocka_unit_test(test_query_errors),
		cmocka_unit_test(test_unknown_and_not_uri),
		cmocka_unit_test(test_config_entry),
		cmocka_unit_test(test_unknown_options),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
