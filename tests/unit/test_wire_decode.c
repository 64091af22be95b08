// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>
#include "wire_decode.h"

static unsigned char buf[sizeof(struct idt_exec) + 64] __attribute__((aligned(8)));

static struct idt_exec *exec_record(void)
{
	struct idt_exec *ev = (struct idt_exec *)buf;
	char *tail = (char *)buf + sizeof(*ev);

	memset(buf, 0, sizeof(buf));
	ev->hdr.type = IDT_EV_EXEC;
	ev->hdr.version = IDT_WIRE_VERSION;
	memcpy(tail, "/bin/ls" "ls\0-l" "A=1", 7 + 5 + 3);
	ev->exe = (struct idt_span){ 0, 7 };
	ev->args = (struct idt_span){ 7, 5 };
	ev->env = (struct idt_span){ 12, 3 };
	return ev;
}

static void test_exec_ok(void **state)
{
	struct wire_record r;

	exec_record();
	assert_int_equal(wire_decode(buf, sizeof(struct idt_exec) + 15, &r), 0);
	assert_int_equal(r.type, IDT_EV_EXEC);
	assert_int_equal(r.exec.exe.len, 7);
	assert_memory_equal(r.exec.exe.p, "/bin/ls", 7);
	assert_memory_equal(r.exec.args.p, "ls\0-l", 5);
	assert_memory_equal(r.exec.env.p, "A=1", 3);
}

static void test_exec_span_out_of_bounds(void **state)
{
	struct wire_record r;
	struct idt_exec *ev = exec_record();

	ev->env = (struct idt_span){ 12, 4 }; /* one past the record */
	assert_int_equal(wire_decode(buf, sizeof(*ev) + 15, &r), -EINVAL);
	ev->env = (struct idt_span){ 0xffffffffu, 2 }; /* off + len overflows */
	assert_int_equal(wire_decode(buf, sizeof(*ev) + 15, &r), -EINVAL);
	ev->env = (struct idt_span){ 2, 0xffffffffu };
	assert_int_equal(wire_decode(buf, sizeof(*ev) + 15, &r), -EINVAL);
}

static void test_short_and_unknown(void **state)
{
	struct wire_record r;
	struct idt_exec *ev = exec_record();

	assert_int_equal(wire_decode(buf, 3, &r), -EINVAL);
	assert_int_equal(wire_decode(buf, sizeof(*ev) - 1, &r), -EINVAL);
	ev->hdr.type = 99;
	assert_int_equal(wire_decode(buf, sizeof(*ev), &r), -ENOTSUP);
	ev->hdr.version = IDT_WIRE_VERSION + 1;
	assert_int_equal(wire_decode(buf, sizeof(*ev), &r), -EPROTO);
	ev->hdr.version = IDT_WIRE_VERSION;
	ev->hdr.type = IDT_EV_FORK;
	assert_int_equal(wire_decode(buf, sizeof(struct idt_fork) - 1, &r), -EINVAL);
	assert_int_equal(wire_decode(buf, sizeof(struct idt_fork), &r), 0);
	assert_int_equal(wire_decode(NULL, 100, &r), -EINVAL);
}

static void test_open_record(void **state)
{
	static unsigned char ob[sizeof(struct idt_open) + 32] __attribute__((aligned(8)));
	struct idt_open *ev = (struct idt_open *)ob;
	struct wire_record r;

	ev->hdr.type = IDT_EV_OPEN;
	ev->hdr.version = IDT_WIRE_VERSION;
	memcpy(ob + sizeof(*ev), "creds" "x", 6);
	ev->path = (struct idt_span){ 0, 5 };
	ev->name = (struct idt_span){ 5, 1 };
	assert_int_equal(wire_decode(ob, sizeof(*ev) + 6, &r), 0);
	assert_memory_equal(r.open.path.p, "creds", 5);
	assert_int_equal(r.open.name.len, 1);
	assert_int_equal(wire_decode(ob, sizeof(*ev) + 5, &r), -EINVAL);
	/* a container's open: the dentry walk after the name */
	memcpy(ob + sizeof(*ev) + 6, "x\0.aws\0", 7);
	ev->match = IDT_MATCH_CONTAINER;
	ev->walk = (struct idt_span){ 6, 7 };
	assert_int_equal(wire_decode(ob, sizeof(*ev) + 13, &r), 0);
	assert_int_equal(r.open.walk.len, 7);
	assert_memory_equal(r.open.walk.p, "x\0.aws", 7);
	assert_int_equal(wire_decode(ob, sizeof(*ev) + 12, &r), -EINVAL);
}

static void test_mntns_record(void **state)
{
	struct idt_mntns ev = { .hdr = { .type = IDT_EV_MNTNS, .version = IDT_WIRE_VERSION },
				.mntns = 4026532181u, .mntns_id = 536 };
	struct wire_record r;

	(void)state;
	assert_int_equal(wire_decode(&ev, sizeof(ev), &r), 0);
	assert_int_equal(r.type, IDT_EV_MNTNS);
	assert_int_equal(r.mntns->mntns_id, 536);
	assert_int_equal(wire_decode(&ev, sizeof(ev) - 1, &r), -EINVAL);
}

static void test_tls_records(void **state)
{
	static unsigned char db[sizeof(struct idt_tls_data) + 16] __attribute__((aligned(8)));
	struct idt_tls_data *d = (struct idt_tls_data *)db;
	struct idt_tls_sni sni = { .hdr = { .type = IDT_EV_TLS_SNI, .version = IDT_WIRE_VERSION } };
	struct wire_record r;

	d->hdr.type = IDT_EV_TLS_DATA;
	d->hdr.version = IDT_WIRE_VERSION;
	memcpy(db + sizeof(*d), "GET / HTTP/1.1\r\n", 16);
	d->len = 16;
	d->total = 100; /* 84 bytes written but not captured */
	assert_int_equal(wire_decode(db, sizeof(db), &r), 0);
	assert_int_equal(r.type, IDT_EV_TLS_DATA);
	assert_int_equal(r.tls_data.data.len, 16);
	assert_memory_equal(r.tls_data.data.p, "GET /", 5);
	assert_int_equal(wire_decode(db, sizeof(db) - 1, &r), -EINVAL); /* len past the end */
	d->last = 6; /* the last 6 captured bytes are the write's last */
	assert_int_equal(wire_decode(db, sizeof(db), &r), 0);
	d->last = 17;
	assert_int_equal(wire_decode(db, sizeof(db), &r), -EINVAL); /* more than captured */
	d->last = IDT_TLS_TAIL_MAX + 1;
	assert_int_equal(wire_decode(db, sizeof(db), &r), -EINVAL); /* more than the probe takes */
	d->last = 0;
	d->total = 15;
	assert_int_equal(wire_decode(db, sizeof(db), &r), -EINVAL); /* captured > written */

	memcpy(sni.name, "api.example.com", 16);
	sni.len = 15;
	assert_int_equal(wire_decode(&sni, sizeof(sni), &r), 0);
	assert_string_equal(r.tls_sni->name, "api.example.com");
	sni.len = 14; /* the name must end where len says */
	assert_int_equal(wire_decode(&sni, sizeof(sni), &r), -EINVAL);
	sni.len = IDT_TLS_SNI_MAX;
	assert_int_equal(wire_decode(&sni, sizeof(sni), &r), -EINVAL);
	assert_int_equal(wire_decode(&sni, sizeof(sni) - 1, &r), -EINVAL);
}

static void test_tls_lib_record(void **state)
{
	struct idt_tls_lib lib = { .hdr = { .type = IDT_EV_TLS_LIB, .version = IDT_WIRE_VERSION,
					    .pid = 4242 },
				   .ino = 987654,
				   .dev = 0x800001 };
	struct wire_record r;

	(void)state;
	assert_int_equal(wire_decode(&lib, sizeof(lib), &r), 0);
	assert_int_equal(r.type, IDT_EV_TLS_LIB);
	assert_int_equal(r.tls_lib->hdr.pid, 4242);
	assert_int_equal(r.tls_lib->ino, 987654);
	assert_int_equal(r.tls_lib->dev, 0x800001);
	assert_int_equal(wire_decode(&lib, sizeof(lib) - 1, &r), -EINVAL);
}

static void test_cgroup_record(void **state)
{
	static struct idt_cgroup cg;
	struct wire_record r;

	(void)state;
	memset(&cg, 0, sizeof(cg));
	cg.hdr = (struct idt_hdr){ .type = IDT_EV_CGROUP, .version = IDT_WIRE_VERSION };
	cg.id = 4711;
	cg.v1 = 1;
	strcpy(cg.path, "/docker/abc");
	cg.len = strlen(cg.path);
	assert_int_equal(wire_decode(&cg, sizeof(cg), &r), 0);
	assert_int_equal(r.type, IDT_EV_CGROUP);
	assert_int_equal(r.cgroup->id, 4711);
	assert_int_equal(r.cgroup->v1, 1);
	assert_string_equal(r.cgroup->path, "/docker/abc");
	assert_int_equal(wire_decode(&cg, sizeof(cg) - 1, &r), -EINVAL);
	cg.len = 3; /* not where the NUL is */
	assert_int_equal(wire_decode(&cg, sizeof(cg), &r), -EINVAL);
	cg.len = sizeof(cg.path); /* past the buffer */
	assert_int_equal(wire_decode(&cg, sizeof(cg), &r), -EINVAL);
	strcpy(cg.path, "docker");
	cg.len = 6; /* not absolute */
	assert_int_equal(wire_decode(&cg, sizeof(cg), &r), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exec_ok),
		cmocka_unit_test(test_exec_span_out_of_bounds),
		cmocka_unit_test(test_short_and_unknown),
		cmocka_unit_test(test_open_record),
		cmocka_unit_test(test_mntns_record),
		cmocka_unit_test(test_tls_records),
		cmocka_unit_test(test_tls_lib_record),
		cmocka_unit_test(test_cgroup_record),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
