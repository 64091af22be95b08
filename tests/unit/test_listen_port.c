// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* user/listen_port.c: LISTEN rows of /proc/net/tcp and tcp6 tables. */
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

static void test_table_v4(void **state)
{
	const char *t = HEADER
		"   0: 0100007F:4983 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0"
		"        0 1234 1 0000000000000000 100 0 0 10 0\n"
		"   1: 0100007F:9C40 0100007F:4983 01 00000000:00000000 00:00000000 00000000     0"
		"        0 1235 1 0000000000000000 20 4 30 10 -1\n";

	(void)state;
	assert_int_equal(listen_port_in_table(t, 0x4983), 1);
	/* an established socket's port is not a listener's */
	assert_int_equal(listen_port_in_table(t, 0x9c40), 0);
	assert_int_equal(listen_port_in_table(t, 443), 0);
	assert_int_equal(listen_port_in_table(HEADER, 0x4983), 0);
	assert_int_equal(listen_port_in_table("", 0x4983), 0);
}

static void test_table_v6(void **state)
{
	const char *t = HEADER
		"   0: 00000000000000000000000000000000:01BB 00000000000000000000000000000000:0000"
		" 0A 00000000:00000000 00:00000000 00000000     0        0 99 1 0 100 0 0 10 0\n";

	(void)state;
	assert_int_equal(listen_port_in_table(t, 443), 1);
	assert_int_equal(listen_port_in_table(t, 444), 0);
}

/* A real listener in this process's namespace, and a port nobody listens on. */
static void test_netns_live(void **state)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	uint16_t port;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
	assert_int_equal(listen_port_in_netns(getpid(), port), 0); /* bound, not listening */
	assert_int_equal(listen(fd, 1), 0);
	assert_int_equal(listen_port_in_netns(getpid(), port), 1);
	close(fd);
	assert_int_equal(listen_port_in_netns(getpid(), port), 0);
	assert_true(listen_port_in_netns(0x7ffffff0, port) < 0); /* no such process */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_v4),
		cmocka_unit_test(test_table_v6),
		cmocka_unit_test(test_netns_live),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
