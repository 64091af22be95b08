// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* user/listen_port.c: LISTEN rows of /proc/net/tcp and tcp6 tables, and the
 * per-namespace cache. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "listen_port.h"

#define HEADER                                                                                     \
	"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "        \
	"timeout inode\n"
#define SEC 1000000000ull

static void test_parse_v4(void **state)
{
	const char *t = HEADER
		"   0: 0100007F:4983 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0"
		"        0 1234 1 0000000000000000 100 0 0 10 0\n"
		"   1: 0100007F:9C40 0100007F:4983 01 00000000:00000000 00:00000000 00000000     0"
		"        0 1235 1 0000000000000000 20 4 30 10 -1\n";
	uint16_t ports[4];

	(void)state;
	/* the listener, not the established socket's port */
	assert_int_equal(listen_ports_parse(t, ports, 0, 4), 1);
	assert_int_equal(ports[0], 0x4983);
	assert_int_equal(listen_ports_parse(HEADER, ports, 0, 4), 0);
	assert_int_equal(listen_ports_parse("", ports, 0, 4), 0);
	/* appends, and stops at max */
	assert_int_equal(listen_ports_parse(t, ports, 1, 4), 2);
	assert_int_equal(listen_ports_parse(t, ports, 4, 4), 4);
}

static void test_parse_v6(void **state)
{
	const char *t = HEADER
		"   0: 00000000000000000000000000000000:01BB 00000000000000000000000000000000:0000"
		" 0A 00000000:00000000 00:00000000 00000000     0        0 99 1 0 100 0 0 10 0\n";
	uint16_t ports[2];

	(void)state;
	assert_int_equal(listen_ports_parse(t, ports, 0, 2), 1);
	assert_int_equal(ports[0], 443);
}

/* A real listener in this process's namespace; the namespace's ports are
 * read once a second, not once a check. */
static void test_live_and_cached(void **state)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct listen_ports *lp = listen_ports_new();
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	uint16_t port;

	(void)state;
	assert_non_null(lp);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
	assert_int_equal(listen_ports_check(lp, getpid(), port, 1 * SEC), 0); /* bound only */
	assert_int_equal(listen(fd, 1), 0);
	/* within the second: the ports read before */
	assert_int_equal(listen_ports_check(lp, getpid(), port, 1 * SEC + 1), 0);
	assert_int_equal(listen_ports_reads(lp), 1);
	/* a second later: read again */
	assert_int_equal(listen_ports_check(lp, getpid(), port, 2 * SEC), 1);
	assert_int_equal(listen_ports_check(lp, getpid(), port, 2 * SEC + 5), 1);
	assert_int_equal(listen_ports_reads(lp), 2);
	close(fd);
	assert_int_equal(listen_ports_check(lp, getpid(), port, 3 * SEC), 0);
	assert_true(listen_ports_check(lp, 0x7ffffff0, port, 3 * SEC) < 0); /* no such process */
	listen_ports_free(lp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_v4),
		cmocka_unit_test(test_parse_v6),
		cmocka_unit_test(test_live_and_cached),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
