// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ocsf.h"

/* Shapes as user/event.c, user/chain.c and user/cred_event.c build them,
 * and tls.request as the TLS stage will. */
#define HOST                                                                                      \
	"\"host\":{\"hostname\":\"ci-runner-7\","                                              \
	"\"boot_id\":\"3f0c9a2e-5b1d-4c8e-9f10-2a7b6c5d4e3f\"}"

#define CURL_PROCESS                                                                              \
	"\"process\":{\"pid\":4242,\"ppid\":4200,\"exec_id\":\"3f0c9a2e-4242-81234567890\","       \
	"\"parent_exec_id\":\"3f0c9a2e-4200-81000000000\",\"exe\":\"/usr/bin/curl\","             \
	"\"args\":[\"curl\",\"-H\",\"Authorization: [REDACTED]\",\"https://api.example.com:8443/v1/x\"]," \
	"\"args_truncated\":false,\"uid\":1000,\"euid\":1000,\"gid\":1000,\"egid\":1000,"        \
	"\"auid\":1000,\"session_id\":3,\"cgroup_id\":1234,\"source\":\"kernel\"}"

#define HUMAN_HOP "{\"kind\":\"human\",\"uid\":1000,\"user\":\"alice\",\"session_id\":3}"
#define WORKLOAD_HOP                                                                              \
	"{\"kind\":\"workload\",\"cgroup_id\":1234,"                                               \
	"\"cgroup_path\":\"/user.slice/user-1000.slice/session-3.scope\","                         \
	"\"systemd_unit\":\"session-3.scope\",\"systemd_slice\":\"user-1000.slice\"}"
#define CURL_HOP                                                                                  \
	"{\"kind\":\"process\",\"exe\":\"/usr/bin/curl\",\"pid\":4242,"                            \
	"\"exec_id\":\"3f0c9a2e-4242-81234567890\",\"uid\":1000,\"euid\":1000,\"ancestors\":["    \
	"{\"exe\":\"/usr/bin/bash\",\"pid\":4200,\"exec_id\":\"3f0c9a2e-4200-81000000000\","      \
	"\"uid\":1000,\"euid\":1000},"                                                             \
	"{\"exe\":\"/usr/sbin/sshd\",\"pid\":4100,\"exec_id\":\"3f0c9a2e-4100-80000000000\","     \
	"\"uid\":0,\"euid\":0}]}"
#define CURL_CHAIN "\"chain\":[" HUMAN_HOP "," WORKLOAD_HOP "," CURL_HOP "]"
#define ALICE_PROVENANCE                                                                          \
	"\"provenance\":{\"originator\":\"human:alice\",\"collapsed\":false,\"reasons\":[]}"

static const char exec_event[] =
	"{\"schema_version\":1,\"type\":\"process.exec\",\"time\":\"2026-11-24T11:31:09.123456789Z\"," HOST
	"," CURL_PROCESS "," CURL_CHAIN "," ALICE_PROVENANCE "}";

/* A backup service (no login, no CI) reads alice's AWS keys: a pivot. */
static const char cred_event[] =
	"{\"schema_version\":1,\"type\":\"credential.read\","
	"\"time\":\"2026-11-24T11:31:10.000000001Z\"," HOST
	",\"process\":{\"pid\":5000,\"ppid\":1,\"exec_id\":\"3f0c9a2e-5000-82000000000\","
	"\"exe\":\"/usr/bin/cat\",\"args\":[\"cat\",\".aws/credentials\"],\"args_truncated\":false,"
	"\"uid\":998,\"euid\":998,\"gid\":998,\"egid\":998,\"auid\":4294967295,"
	"\"session_id\":4294967295,\"cgroup_id\":77,\"source\":\"kernel\"},"
	"\"chain\":[{\"kind\":\"workload\",\"cgroup_id\":77,"
	"\"cgroup_path\":\"/system.slice/backup.service\","
	"\"systemd_unit\":\"backup.service\"},"
	"{\"kind\":\"process\",\"exe\":\"/usr/bin/cat\",\"pid\":5000,"
	"\"exec_id\":\"3f0c9a2e-5000-82000000000\","
	"\"uid\":998,\"euid\":998,\"ancestors\":[]},"
	"{\"kind\":\"credential\",\"type\":\"aws\",\"source\":\"file\","
	"\"path\":\"/home/alice/.aws/credentials\","
	"\"fingerprint\":\"hmac-sha256:00112233445566778899aabbccddeeff\","
	"\"read_by_exec_id\":\"3f0c9a2e-5000-82000000000\"}],"
	"\"provenance\":{\"originator\":\"unknown\",\"collapsed\":true,\"reasons\":[\"no_login_uid\","
	"\"no_ci_context\",\"started_by_service:backup.service\",\"shared_service_identity:backup\","
	"\"credential_pivot:hmac-sha256:00112233445566778899aabbccddeeff:read_by=human:alice,"
	"exec_id=3f0c9a2e-4242-81234567890\"]},"
	"\"file\":{\"path\":\"/home/alice/.aws/credentials\",\"path_as_given\":\".aws/credentials\","
	"\"flags\":[\"O_RDONLY\"],\"result\":3,\"match\":\"inode\",\"syscall\":\"openat\","
	"\"inode\":1234567,\"device\":\"259:1\"},"
	"\"credential\":{\"type\":\"aws\",\"source\":\"file\","
	"\"fingerprint\":\"hmac-sha256:00112233445566778899aabbccddeeff\","
	"\"aws_access_key_id\":\"AKIAIOSFODNN7EXAMPLE\","
	"\"aws_profiles\":[{\"name\":\"default\",\"access_key_id\":\"AKIAIOSFODNN7EXAMPLE\"}]}}";

/* alice's curl tries another user's kubeconfig and is refused. */
static const char cred_failed_event[] =
	"{\"schema_version\":1,\"type\":\"credential.read\",\"time\":\"2026-11-24T11:31:09.5Z\"," HOST
	"," CURL_PROCESS "," CURL_CHAIN "," ALICE_PROVENANCE ","
	"\"file\":{\"path\":\"/home/bob/.kube/config\",\"path_as_given\":\"/home/bob/.kube/config\","
	"\"flags\":[\"O_RDONLY\"],\"result\":\"EACCES\",\"match\":\"name\",\"syscall\":\"openat\"},"
	"\"credential\":{\"type\":\"kubeconfig\",\"source\":\"file\"},"
	"\"enrichment\":{\"status\":\"partial\",\"missing\":[{\"field\":\"credential.fingerprint\","
	"\"reason\":\"permission denied\"}]}}";

#define TLS_PART                                                                                  \
	"\"tls\":{\"library\":\"openssl\",\"server_name\":\"api.example.com\","                    \
	"\"local\":{\"ip\":\"127.0.0.1\",\"port\":51234},\"remote\":{\"ip\":\"127.0.0.1\",\"port\":8443}}"
#define AUTHZ                                                                                     \
	"{\"scheme\":\"Bearer\",\"credential_type\":\"jwt\","                                      \
	"\"fingerprint\":\"hmac-sha256:ffeeddccbbaa99887766554433221100\","                        \
	"\"claims\":{\"iss\":\"https://issuer.example\",\"sub\":\"svc-deployer\",\"aud\":\"api\","   \
	"\"exp\":4102444800}}"

static const char tls_event[] =
	"{\"schema_version\":1,\"type\":\"tls.request\",\"time\":\"2026-11-24T11:31:11.5Z\"," HOST
	"," CURL_PROCESS "," CURL_CHAIN "," ALICE_PROVENANCE "," TLS_PART ","
	"\"http\":{\"version\":\"1.1\",\"method\":\"GET\",\"host\":\"api.example.com:8443\","
	"\"path\":\"/v1/x\",\"user_agent\":\"curl/7.88.1\",\"authorization\":" AUTHZ ","
	"\"traceparent\":\"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\"}}";

static const char ready_event[] =
	"{\"schema_version\":1,\"type\":\"agent.ready\",\"time\":\"2026-11-24T11:30:00.000000000Z\"," HOST
	",\"agent\":{\"version\":\"0.1.0\",\"pid\":321,\"seeded_processes\":180,\"output\":\"stdout\"},"
	"\"probes\":[{\"name\":\"exec\",\"hook\":\"tp_btf/sched_process_exec\"},"
	"{\"name\":\"open\",\"hook\":\"tp_btf/sys_exit\"}]}";

static const char stats_event[] =
	"{\"schema_version\":1,\"type\":\"agent.stats\",\"time\":\"2026-11-24T11:40:00.000000000Z\"," HOST
	",\"events\":{\"process.exec\":10,\"credential.read\":2},"
	"\"lost\":{\"exec\":0,\"fork\":0,\"exit\":0,\"open\":0,\"total\":0,\"decode_errors\":0,"
	"\"emit_errors\":0},\"agent\":{\"pid\":321,\"uptime_ms\":600000,\"rss_kb\":9000,"
	"\"proc_table_size\":200}}";

static json_t *load(const char *text)
{
	json_error_t err;
	json_t *j = json_loads(text, 0, &err);

	if (!j)
		fail_msg("fixture: %s at %d:%d", err.text, err.line, err.column);
	return j;
}

/* o at a dotted path; a numeric component indexes an array. */
static json_t *at(json_t *o, const char *path)
{
	char buf[256], *save = NULL, *k;

	snprintf(buf, sizeof(buf), "%s", path);
	for (k = strtok_r(buf, ".", &save); k && o; k = strtok_r(NULL, ".", &save)) {
		if (json_is_array(o))
			o = json_array_get(o, strtoul(k, NULL, 10));
		else
			o = json_object_get(o, k);
	}
	return o;
}

static void assert_int_at(json_t *o, const char *path, json_int_t want)
{
	json_t *v = at(o, path);

	if (!json_is_integer(v))
		fail_msg("%s: not an integer", path);
	if (json_integer_value(v) != want)
		fail_msg("%s: %lld, want %lld", path, (long long)json_integer_value(v),
			 (long long)want);
}

static void assert_str_at(json_t *o, const char *path, const char *want)
{
	json_t *v = at(o, path);

	if (!json_is_string(v))
		fail_msg("%s: not a string", path);
	assert_string_equal(json_string_value(v), want);
}

static void assert_absent(json_t *o, const char *path)
{
	if (at(o, path))
		fail_msg("%s: present", path);
}

/* Convert text; check the input is left as it was and the output dumps. */
static json_t *convert(const char *text, json_t **in)
{
	json_t *ev = load(text), *before = json_deep_copy(ev), *out = ocsf_from_event(ev);
	char *s;

	assert_true(json_equal(ev, before));
	json_decref(before);
	if (out) {
		s = json_dumps(out, 0);
		assert_non_null(s);
		free(s);
	}
	*in = ev;
	return out;
}

static void assert_common(json_t *o)
{
	assert_str_at(o, "metadata.version", "1.1.0");
	assert_str_at(o, "metadata.product.name", "idtrace");
	assert_str_at(o, "metadata.product.vendor_name", "idtrace");
	assert_non_null(at(o, "metadata.product.version"));
	assert_int_at(o, "device.type_id", 0);
	assert_int_at(o, "type_uid",
		      json_integer_value(at(o, "class_uid")) * 100 +
			      json_integer_value(at(o, "activity_id")));
}

static void test_ocsf_process_exec(void **state)
{
	json_t *in, *o = convert(exec_event, &in);

	assert_non_null(o);
	assert_common(o);
	assert_int_at(o, "class_uid", 1007);
	assert_str_at(o, "class_name", "Process Activity");
	assert_int_at(o, "category_uid", 1);
	assert_str_at(o, "category_name", "System Activity");
	assert_int_at(o, "activity_id", 1);
	assert_str_at(o, "activity_name", "Launch");
	assert_int_at(o, "type_uid", 100701);
	assert_str_at(o, "type_name", "Process Activity: Launch");
	assert_int_at(o, "severity_id", 1);
	assert_int_at(o, "status_id", 1);
	assert_int_at(o, "time", 1795519869123);
	assert_str_at(o, "metadata.original_time", "2026-11-24T11:31:09.123456789Z");
	assert_str_at(o, "device.hostname", "ci-runner-7");

	assert_int_at(o, "process.pid", 4242);
	assert_str_at(o, "process.uid", "3f0c9a2e-4242-81234567890");
	assert_str_at(o, "process.name", "curl");
	assert_str_at(o, "process.file.path", "/usr/bin/curl");
	assert_str_at(o, "process.file.name", "curl");
	assert_int_at(o, "process.file.type_id", 1);
	assert_str_at(o, "process.cmd_line",
		      "curl -H Authorization: [REDACTED] https://api.example.com:8443/v1/x");
	assert_str_at(o, "process.user.uid", "1000");
	assert_str_at(o, "process.user.name", "alice");
	assert_str_at(o, "process.session.uid", "3");
	assert_str_at(o, "process.lineage.0", "/usr/sbin/sshd");
	assert_str_at(o, "process.lineage.1", "/usr/bin/bash");
	assert_str_at(o, "process.lineage.2", "/usr/bin/curl");
	assert_int_at(o, "process.parent_process.pid", 4200);
	assert_str_at(o, "process.parent_process.uid", "3f0c9a2e-4200-81000000000");
	assert_str_at(o, "process.parent_process.file.path", "/usr/bin/bash");

	/* the actor of a launch is the image that called execve */
	assert_int_at(o, "actor.process.pid", 4200);
	assert_str_at(o, "actor.process.name", "bash");
	assert_str_at(o, "actor.process.user.uid", "1000");
	assert_str_at(o, "actor.user.uid", "1000");
	assert_str_at(o, "actor.user.name", "alice");
	assert_str_at(o, "actor.session.uid", "3");

	/* the chain and provenance whole; the rest only where OCSF has no home */
	assert_true(json_equal(at(o, "unmapped.idtrace.chain"), at(in, "chain")));
	assert_true(json_equal(at(o, "unmapped.idtrace.provenance"), at(in, "provenance")));
	assert_str_at(o, "unmapped.idtrace.type", "process.exec");
	assert_str_at(o, "unmapped.idtrace.host.boot_id", "3f0c9a2e-5b1d-4c8e-9f10-2a7b6c5d4e3f");
	assert_absent(o, "unmapped.idtrace.host.hostname");
	assert_absent(o, "unmapped.idtrace.time");
	assert_int_at(o, "unmapped.idtrace.process.euid", 1000);
	assert_int_at(o, "unmapped.idtrace.process.cgroup_id", 1234);
	assert_true(json_equal(at(o, "unmapped.idtrace.process.args"), at(in, "process.args")));
	assert_absent(o, "unmapped.idtrace.process.pid");
	assert_absent(o, "unmapped.idtrace.process.exe");
	json_decref(in);
	json_decref(o);
}

static void test_ocsf_credential_read(void **state)
{
	json_t *in, *o = convert(cred_event, &in);

	assert_non_null(o);
	assert_common(o);
	assert_int_at(o, "class_uid", 1001);
	assert_str_at(o, "class_name", "File System Activity");
	assert_int_at(o, "category_uid", 1);
	assert_int_at(o, "activity_id", 14);
	assert_str_at(o, "activity_name", "Open");
	assert_int_at(o, "type_uid", 100114);
	assert_int_at(o, "time", 1795519870000);
	assert_str_at(o, "file.path", "/home/alice/.aws/credentials");
	assert_str_at(o, "file.name", "credentials");
	assert_str_at(o, "file.uid", "259:1:1234567");
	assert_int_at(o, "file.type_id", 0);
	assert_int_at(o, "status_id", 1);
	assert_str_at(o, "status", "Success");
	assert_absent(o, "status_detail");
	/* a credential pivot raises severity */
	assert_int_at(o, "severity_id", 3);
	assert_str_at(o, "severity", "Medium");

	assert_int_at(o, "actor.process.pid", 5000);
	assert_str_at(o, "actor.process.file.path", "/usr/bin/cat");
	assert_str_at(o, "actor.process.user.uid", "998");
	assert_absent(o, "actor.process.user.name");	/* no name in the event */
	assert_absent(o, "actor.process.session");	/* session id unset */
	assert_absent(o, "actor.user");			/* no human hop */
	assert_absent(o, "actor.session");
	assert_str_at(o, "actor.process.lineage.0", "/usr/bin/cat");

	assert_true(json_equal(at(o, "unmapped.idtrace.chain"), at(in, "chain")));
	assert_true(json_equal(at(o, "unmapped.idtrace.credential"), at(in, "credential")));
	assert_true(json_equal(at(o, "unmapped.idtrace.file.flags"), at(in, "file.flags")));
	assert_int_at(o, "unmapped.idtrace.file.result", 3);
	assert_int_at(o, "unmapped.idtrace.process.session_id", 4294967295);
	assert_absent(o, "unmapped.idtrace.file.path");
	assert_absent(o, "unmapped.idtrace.file.inode");
	json_decref(in);
	json_decref(o);
}

static void test_ocsf_credential_read_failed(void **state)
{
	json_t *in, *o = convert(cred_failed_event, &in);

	assert_non_null(o);
	assert_int_at(o, "class_uid", 1001);
	assert_int_at(o, "activity_id", 14);
	assert_int_at(o, "time", 1795519869500);
	assert_str_at(o, "file.path", "/home/bob/.kube/config");
	assert_str_at(o, "file.name", "config");
	assert_absent(o, "file.uid");
	assert_int_at(o, "status_id", 2);
	assert_str_at(o, "status", "Failure");
	assert_str_at(o, "status_detail", "EACCES");
	assert_str_at(o, "status_code", "EACCES");
	assert_int_at(o, "severity_id", 1);
	assert_int_at(o, "actor.process.pid", 4242);
	assert_str_at(o, "actor.process.parent_process.file.path", "/usr/bin/bash");
	assert_str_at(o, "actor.user.name", "alice");
	assert_absent(o, "unmapped.idtrace.file.result");
	assert_true(json_equal(at(o, "unmapped.idtrace.enrichment"), at(in, "enrichment")));
	json_decref(in);
	json_decref(o);
}

static void test_ocsf_tls_request(void **state)
{
	json_t *in, *o = convert(tls_event, &in);

	assert_non_null(o);
	assert_common(o);
	assert_int_at(o, "class_uid", 4002);
	assert_str_at(o, "class_name", "HTTP Activity");
	assert_int_at(o, "category_uid", 4);
	assert_str_at(o, "category_name", "Network Activity");
	assert_int_at(o, "activity_id", 3);
	assert_str_at(o, "activity_name", "Get");
	assert_int_at(o, "type_uid", 400203);
	assert_int_at(o, "time", 1795519871500);
	assert_str_at(o, "http_request.http_method", "GET");
	assert_str_at(o, "http_request.url.path", "/v1/x");
	assert_str_at(o, "http_request.url.hostname", "api.example.com");
	assert_int_at(o, "http_request.url.port", 8443);
	assert_str_at(o, "http_request.url.scheme", "https");
	assert_str_at(o, "http_request.url.url_string", "https://api.example.com:8443/v1/x");
	assert_str_at(o, "http_request.user_agent", "curl/7.88.1");
	assert_str_at(o, "http_request.version", "1.1");
	assert_str_at(o, "http_request.http_headers.0.name", "traceparent");
	assert_str_at(o, "http_request.http_headers.0.value",
		      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
	assert_str_at(o, "dst_endpoint.ip", "127.0.0.1");
	assert_int_at(o, "dst_endpoint.port", 8443);
	assert_str_at(o, "dst_endpoint.hostname", "api.example.com");
	assert_str_at(o, "src_endpoint.ip", "127.0.0.1");
	assert_int_at(o, "src_endpoint.port", 51234);
	assert_str_at(o, "tls.sni", "api.example.com");
	assert_int_at(o, "actor.process.pid", 4242);
	assert_str_at(o, "actor.user.name", "alice");
	assert_str_at(o, "device.hostname", "ci-runner-7");

	/* the authorization facts have no OCSF home: kept as they were */
	assert_true(json_equal(at(o, "unmapped.idtrace.http.authorization"),
			       at(in, "http.authorization")));
	assert_str_at(o, "unmapped.idtrace.tls.library", "openssl");
	assert_absent(o, "unmapped.idtrace.tls.remote");
	assert_absent(o, "unmapped.idtrace.tls.server_name");
	assert_absent(o, "unmapped.idtrace.http.path");
	assert_true(json_equal(at(o, "unmapped.idtrace.chain"), at(in, "chain")));
	json_decref(in);
	json_decref(o);
}

static json_t *tls_with_http(const char *http)
{
	char buf[4096];
	json_t *ev, *o;

	snprintf(buf, sizeof(buf),
		 "{\"type\":\"tls.request\",\"time\":\"2026-11-24T11:31:11Z\",\"http\":%s}", http);
	ev = load(buf);
	o = ocsf_from_event(ev);
	json_decref(ev);
	assert_non_null(o);
	return o;
}

static void test_ocsf_http_methods_and_hosts(void **state)
{
	json_t *o;

	o = tls_with_http("{\"method\":\"PATCH\",\"host\":\"[::1]:8443\",\"path\":\"/a\"}");
	assert_int_at(o, "activity_id", 99);
	assert_str_at(o, "activity_name", "PATCH");
	assert_int_at(o, "type_uid", 400299);
	assert_str_at(o, "http_request.url.hostname", "::1");
	assert_int_at(o, "http_request.url.port", 8443);
	json_decref(o);

	o = tls_with_http("{\"method\":\"POST\",\"host\":\"api.example.com\",\"path\":\"/\"}");
	assert_int_at(o, "activity_id", 6);
	assert_str_at(o, "activity_name", "Post");
	assert_str_at(o, "http_request.url.hostname", "api.example.com");
	assert_absent(o, "http_request.url.port");
	assert_str_at(o, "http_request.url.url_string", "https://api.example.com/");
	json_decref(o);

	/* no method: Unknown; a bad port keeps the host whole */
	o = tls_with_http("{\"host\":\"h:99999\",\"version\":\"2\"}");
	assert_int_at(o, "activity_id", 0);
	assert_str_at(o, "activity_name", "Unknown");
	assert_int_at(o, "type_uid", 400200);
	assert_str_at(o, "http_request.url.hostname", "h:99999");
	assert_absent(o, "http_request.url.port");
	assert_absent(o, "http_request.url.url_string");
	assert_str_at(o, "http_request.version", "2");
	assert_absent(o, "dst_endpoint");
	assert_absent(o, "tls");
	json_decref(o);

	/* a host of the wrong type is not mapped, and kept */
	o = tls_with_http("{\"host\":5,\"path\":\"/p\"}");
	assert_str_at(o, "http_request.url.path", "/p");
	assert_absent(o, "http_request.url.hostname");
	assert_absent(o, "http_request.url.url_string");
	assert_int_at(o, "unmapped.idtrace.http.host", 5);
	assert_absent(o, "unmapped.idtrace.http.path");
	json_decref(o);

	/* a lower-case method is not GET */
	o = tls_with_http("{\"method\":\"get\",\"host\":\"fe80::1\"}");
	assert_int_at(o, "activity_id", 99);
	assert_str_at(o, "http_request.url.hostname", "fe80::1");
	json_decref(o);
}

/* A credential presented by another originator than the one that read it:
 * tls_event.c says so with credential_crossed_identities (the name issue 4
 * fixed), and that is as severe as a pivot between two reads. */
static void test_ocsf_tls_crossed_identities_severity(void **state)
{
	json_t *ev = load("{\"type\":\"tls.request\",\"time\":\"2026-11-24T11:31:11Z\","
			  "\"http\":{\"method\":\"GET\",\"host\":\"api.example.com\",\"path\":\"/\"},"
			  "\"provenance\":{\"originator\":\"unknown\",\"collapsed\":true,"
			  "\"reasons\":[\"no_login_uid\",\"credential_crossed_identities:"
			  "hmac-sha256:00112233445566778899aabbccddeeff:read_by=human:alice,"
			  "exec_id=3f0c9a2e-5000-82000000000,presented_by=unknown\"]}}");
	json_t *o = ocsf_from_event(ev);

	assert_non_null(o);
	assert_int_at(o, "class_uid", 4002);
	assert_int_at(o, "severity_id", 3);
	assert_str_at(o, "severity", "Medium");
	json_decref(o);
	json_decref(ev);

	/* the same request without the reason stays Informational */
	ev = load("{\"type\":\"tls.request\",\"time\":\"2026-11-24T11:31:11Z\","
		  "\"provenance\":{\"originator\":\"unknown\",\"collapsed\":true,"
		  "\"reasons\":[\"no_login_uid\",\"no_ci_context\"]}}");
	o = ocsf_from_event(ev);
	assert_non_null(o);
	assert_int_at(o, "severity_id", 1);
	assert_str_at(o, "severity", "Informational");
	json_decref(o);
	json_decref(ev);
}

/* agent.* -> Application Lifecycle (6002), so an OCSF-only sink still
 * sees the agent start, its counters and its losses. */
static void test_ocsf_agent_events(void **state)
{
	json_t *in, *o;

	o = convert(ready_event, &in);
	assert_non_null(o);
	assert_common(o);
	assert_int_at(o, "class_uid", 6002);
	assert_str_at(o, "class_name", "Application Lifecycle");
	assert_int_at(o, "category_uid", 6);
	assert_str_at(o, "category_name", "Application Activity");
	assert_int_at(o, "activity_id", 3);
	assert_str_at(o, "activity_name", "Start");
	assert_int_at(o, "type_uid", 600203);
	assert_int_at(o, "severity_id", 1);
	assert_str_at(o, "app.name", "idtrace");
	assert_str_at(o, "app.version", "0.1.0");
	assert_int_at(o, "actor.process.pid", 321);
	assert_int_at(o, "time", 1795519800000);
	assert_true(json_equal(at(o, "unmapped.idtrace.probes"), at(in, "probes")));
	assert_int_at(o, "unmapped.idtrace.agent.seeded_processes", 180);
	json_decref(in);
	json_decref(o);

	o = convert(stats_event, &in);
	assert_non_null(o);
	assert_int_at(o, "class_uid", 6002);
	assert_int_at(o, "activity_id", 99);
	assert_str_at(o, "activity_name", "Stats");
	assert_int_at(o, "type_uid", 600299);
	assert_absent(o, "app.version");
	assert_true(json_equal(at(o, "unmapped.idtrace.lost"), at(in, "lost")));
	assert_true(json_equal(at(o, "unmapped.idtrace.events"), at(in, "events")));
	assert_int_at(o, "unmapped.idtrace.agent.uptime_ms", 600000);
	json_decref(in);
	json_decref(o);

	o = convert("{\"type\":\"agent.loss\",\"time\":\"2026-11-24T11:40:00Z\","
		    "\"lost\":{\"open\":12}}", &in);
	assert_non_null(o);
	assert_int_at(o, "activity_id", 99);
	assert_str_at(o, "activity_name", "Loss");
	assert_int_at(o, "severity_id", 3);
	assert_int_at(o, "unmapped.idtrace.lost.open", 12);
	json_decref(in);
	json_decref(o);
}

static void test_ocsf_no_class(void **state)
{
	const char *none[] = {
		"{\"type\":\"dns.query\"}", "{\"time\":\"2026-11-24T11:40:00Z\"}", "{\"type\":7}",
		"[\"process.exec\"]", "\"process.exec\"", "{\"type\":\"process.exec\\u0000x\"}",
		"{\"type\":\"\"}",
	};

	for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
		json_t *ev = json_loads(none[i], JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);

		assert_non_null(ev);
		assert_null(ocsf_from_event(ev));
		json_decref(ev);
	}
	assert_null(ocsf_from_event(NULL));
}

static void test_ocsf_partial_input(void **state)
{
	json_t *in, *o;

	/* no process, no host, no chain */
	o = convert("{\"type\":\"process.exec\",\"time\":\"2026-11-24T11:31:09Z\"}", &in);
	assert_non_null(o);
	assert_int_at(o, "class_uid", 1007);
	assert_int_at(o, "time", 1795519869000);
	assert_absent(o, "process");
	assert_absent(o, "actor");
	assert_absent(o, "device.hostname");
	assert_int_at(o, "device.type_id", 0);
	assert_str_at(o, "unmapped.idtrace.type", "process.exec");
	json_decref(in);
	json_decref(o);

	/* a string where an object is expected, a bad time */
	o = convert("{\"type\":\"credential.read\",\"time\":\"yesterday\",\"process\":\"oops\","
		    "\"host\":[1],\"file\":\"x\",\"chain\":\"c\",\"provenance\":[]}", &in);
	assert_non_null(o);
	assert_int_at(o, "class_uid", 1001);
	assert_absent(o, "time");
	assert_str_at(o, "metadata.original_time", "yesterday");
	assert_absent(o, "file");
	assert_absent(o, "actor");
	assert_absent(o, "status_id");
	assert_str_at(o, "unmapped.idtrace.process", "oops");
	assert_str_at(o, "unmapped.idtrace.file", "x");
	assert_str_at(o, "unmapped.idtrace.chain", "c");
	json_decref(in);
	json_decref(o);

	/* wrong types inside the objects: not mapped, kept in unmapped */
	o = convert("{\"type\":\"tls.request\",\"time\":5,\"process\":{\"pid\":\"12\","
		    "\"exe\":7,\"args\":{\"a\":1},\"uid\":-1,\"exec_id\":\"e1\"},"
		    "\"chain\":[1,null,{\"kind\":\"human\",\"uid\":\"1000\"},"
		    "{\"kind\":\"process\",\"exec_id\":\"e1\",\"ancestors\":[5]}],"
		    "\"tls\":{\"remote\":\"x\",\"local\":{\"ip\":1,\"port\":\"2\"},\"server_name\":[]},"
		    "\"http\":{\"method\":1,\"host\":2,\"path\":null,\"traceparent\":{}}}", &in);
	assert_non_null(o);
	assert_int_at(o, "class_uid", 4002);
	assert_int_at(o, "activity_id", 0);
	assert_absent(o, "time");
	assert_absent(o, "metadata.original_time");
	assert_int_at(o, "unmapped.idtrace.time", 5);
	assert_absent(o, "actor.process.pid");
	assert_str_at(o, "actor.process.uid", "e1");
	assert_str_at(o, "actor.process.user.uid", "-1");
	assert_absent(o, "actor.process.cmd_line");
	assert_absent(o, "actor.process.lineage");
	assert_absent(o, "actor.user");
	assert_absent(o, "http_request");
	assert_absent(o, "dst_endpoint");
	assert_absent(o, "src_endpoint");
	assert_absent(o, "tls");
	assert_str_at(o, "unmapped.idtrace.process.pid", "12");
	assert_int_at(o, "unmapped.idtrace.tls.local.ip", 1);
	assert_int_at(o, "unmapped.idtrace.http.method", 1);
	json_decref(in);
	json_decref(o);

	/* a parent_exec_id the chain does not know: pid and uid only */
	o = convert("{\"type\":\"process.exec\",\"process\":{\"pid\":9,\"ppid\":8,"
		    "\"exec_id\":\"e9\",\"parent_exec_id\":\"e8\",\"exe\":\"/\"},"
		    "\"chain\":[{\"kind\":\"process\",\"exec_id\":\"e9\",\"ancestors\":"
		    "[{\"exe\":\"/bin/sh\",\"pid\":8,\"exec_id\":\"other\"}]}]}", &in);
	assert_non_null(o);
	assert_int_at(o, "process.parent_process.pid", 8);
	assert_str_at(o, "process.parent_process.uid", "e8");
	assert_absent(o, "process.parent_process.file");
	assert_absent(o, "process.name");
	assert_str_at(o, "process.file.path", "/");
	assert_absent(o, "process.file.name");
	assert_int_at(o, "actor.process.pid", 8);
	json_decref(in);
	json_decref(o);

	/* su's shell exec'd cat without a fork: cat's parent image is the shell's
	 * earlier one, pid 30028, not its ppid (su, 30027): one process, not two */
	o = convert("{\"type\":\"credential.read\",\"process\":{\"pid\":30028,"
		    "\"ppid\":30027,\"exec_id\":\"d6-30028-900\",\"parent_exec_id\":"
		    "\"d6-30028-700\",\"exe\":\"/usr/bin/cat\"},\"chain\":[{\"kind\":"
		    "\"process\",\"exec_id\":\"d6-30028-900\",\"ancestors\":[{\"exe\":"
		    "\"/bin/bash\",\"pid\":30028,\"exec_id\":\"d6-30028-700\"}]}]}", &in);
	assert_non_null(o);
	assert_int_at(o, "actor.process.parent_process.pid", 30028);
	assert_str_at(o, "actor.process.parent_process.uid", "d6-30028-700");
	assert_str_at(o, "actor.process.parent_process.name", "bash");
	json_decref(in);
	json_decref(o);
}

/* Every top-level field of a real event, in turn replaced by values of
 * each JSON type: always an object that dumps. */
static void test_ocsf_hostile_fields(void **state)
{
	const char *events[] = { exec_event, cred_event, cred_failed_event, tls_event,
				 ready_event, stats_event };
	const char *values[] = { "null", "true", "0", "-1", "1.5", "\"\"", "\"\\u0000\"", "[]",
				 "[null]", "{}", "{\"kind\":\"human\"}" };

	for (size_t e = 0; e < sizeof(events) / sizeof(events[0]); e++) {
		json_t *base = load(events[e]), *key_list = json_array(), *k;
		const char *key;
		json_t *v;
		size_t i;

		json_object_foreach(base, key, v)
			json_array_append_new(key_list, json_string(key));
		/* and the keys of the nested objects, one level down */
		json_array_foreach(key_list, i, k) {
			const char *top = json_string_value(k);

			if (!strcmp(top, "type"))
				continue;
			for (size_t x = 0; x < sizeof(values) / sizeof(values[0]); x++) {
				json_t *ev = json_deep_copy(base), *o, *sub;
				const char *sk;
				json_t *sv;

				json_object_set_new(ev, top,
						    json_loads(values[x], JSON_DECODE_ANY |
									      JSON_ALLOW_NUL,
							       NULL));
				o = ocsf_from_event(ev);
				assert_non_null(o);
				assert_true(json_is_object(o));
				json_decref(o);
				json_decref(ev);

				sub = json_object_get(base, top);
				if (!json_is_object(sub))
					continue;
				json_object_foreach(sub, sk, sv) {
					ev = json_deep_copy(base);
					json_object_set_new(json_object_get(ev, top), sk,
							    json_loads(values[x],
								       JSON_DECODE_ANY |
									       JSON_ALLOW_NUL,
								       NULL));
					o = ocsf_from_event(ev);
					assert_non_null(o);
					free(json_dumps(o, 0));
					json_decref(o);
					json_decref(ev);
				}
			}
		}
		json_decref(key_list);
		json_decref(base);
	}
}

static void test_ocsf_parse_time(void **state)
{
	static const struct {
		const char *s;
		int64_t ms;
	} good[] = {
		{ "1970-01-01T00:00:00Z", 0 },
		{ "2026-11-24T11:31:09.123456789Z", 1795519869123 },
		{ "2026-11-24T11:31:09.1239Z", 1795519869123 },
		{ "2026-11-24T11:31:09.5Z", 1795519869500 },
		{ "2026-11-24T13:31:09+02:00", 1795519869000 },
		{ "2026-11-24T11:31:09z", 1795519869000 },
		{ "2000-02-29T12:00:00.999999999Z", 951825600999 },
		{ "1969-12-31T23:59:59.5Z", -500 },
	};
	static const char *const bad[] = {
		"", "2026-11-24", "2026-11-24T11:31:09", "2026-11-24T11:31:09.Z",
		"2026-02-29T00:00:00Z", "2100-02-29T00:00:00Z", "2026-13-01T00:00:00Z",
		"2026-00-01T00:00:00Z", "2026-11-31T00:00:00Z", "2026-11-24T24:00:00Z",
		"2026-11-24T11:60:00Z", "2026-11-24 11:31:09Z", "2026-11-24T11:31:09Zjunk",
		"2026-11-24T11:31:09+0200", "+026-11-24T11:31:09Z", "yesterday, around noon",
	};
	int64_t ms;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(ocsf_parse_time(good[i].s, strlen(good[i].s), &ms), 0);
		assert_int_equal(ms, good[i].ms);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (ocsf_parse_time(bad[i], strlen(bad[i]), &ms) == 0)
			fail_msg("accepted %s", bad[i]);
	/* the length bounds the read: no NUL needed */
	assert_int_equal(ocsf_parse_time("1970-01-01T00:00:01Zxx", 20, &ms), 0);
	assert_int_equal(ms, 1000);
	assert_int_not_equal(ocsf_parse_time(NULL, 0, &ms), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ocsf_process_exec),
		cmocka_unit_test(test_ocsf_credential_read),
		cmocka_unit_test(test_ocsf_credential_read_failed),
		cmocka_unit_test(test_ocsf_tls_request),
		cmocka_unit_test(test_ocsf_http_methods_and_hosts),
		cmocka_unit_test(test_ocsf_tls_crossed_identities_severity),
		cmocka_unit_test(test_ocsf_agent_events),
		cmocka_unit_test(test_ocsf_no_class),
		cmocka_unit_test(test_ocsf_partial_input),
		cmocka_unit_test(test_ocsf_hostile_fields),
		cmocka_unit_test(test_ocsf_parse_time),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
