// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "proc_file.h"

/* A fake proc root with PID/stat holding stat (its first fields). */
static void write_stat(const char *root, unsigned int pid, const char *stat)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%u", root, pid);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/%u/stat", root, pid);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(stat, f);
	fclose(f);
}

/* kdevtmpfs has a mount namespace of its own, which is no container: told
 * by PF_KTHREAD (0x00200000) in its flags, whatever its command says. */
static void test_is_kthread(void **state)
{
	char root[] = "/tmp/idt-proc-XXXXXX", cmd[64];

	assert_non_null(mkdtemp(root));
	write_stat(root, 27, "27 (kdevtmpfs) S 2 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0");
	write_stat(root, 900, "900 (sh) S 1 900 900 0 -1 4194560 120 0 0 0 0 0 0 0 20 0 1 0");
	/* a command with a ") " and digits in it cannot shift the fields */
	write_stat(root, 901, "901 (x) S 1 1 1 0 -1 2097152) S 1 1 1 0 -1 4194560 0 0");
	assert_true(proc_file_is_kthread(root, 27));
	assert_false(proc_file_is_kthread(root, 900));
	assert_false(proc_file_is_kthread(root, 901));
	assert_false(proc_file_is_kthread(root, 902)); /* gone */
	assert_false(proc_file_is_kthread("/proc", (uint32_t)getpid())); /* the real file */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_is_kthread),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
