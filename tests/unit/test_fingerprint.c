// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "fingerprint.h"

static void test_rfc4231_case2(void **state)
{
	char hex[65];

	assert_int_equal(fingerprint_hmac_hex("Jefe", 4, "what do ya want for nothing?", 28, hex), 0);
	assert_string_equal(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

static void test_stable_and_key_dependent(void **state)
{
	struct fingerprint_key k1, k2;
	char a[FINGERPRINT_STR_LEN], b[FINGERPRINT_STR_LEN], c[FINGERPRINT_STR_LEN];

	memset(&k1, 1, sizeof(k1));
	memset(&k2, 2, sizeof(k2));
	fingerprint_compute(&k1, "secret", 6, a);
	fingerprint_compute(&k1, "secret", 6, b);
	assert_string_equal(a, b);
	assert_int_equal(strlen(a), strlen("hmac-sha256:") + 32);
	assert_memory_equal(a, "hmac-sha256:", 12);
	fingerprint_compute(&k2, "secret", 6, c);
	assert_string_not_equal(a, c);
	fingerprint_compute(&k1, "secret!", 7, c);
	assert_string_not_equal(a, c);
}

static void test_key_file(void **state)
{
	char dir[] = "/tmp/idt-fp-XXXXXX", path[256], path2[256];
	struct fingerprint_key k, again;
	struct stat st;
	int fd;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/sub/dir/key", dir);
	assert_int_equal(fingerprint_key_load(path, &k), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, FINGERPRINT_KEY_LEN);
	assert_int_equal(fingerprint_key_load(path, &again), 0);
	assert_memory_equal(k.key, again.key, sizeof(k.key));

	chmod(path, 0644); /* readable by others: refused */
	assert_int_equal(fingerprint_key_load(path, &again), -EPERM);
	chmod(path, 0600);

	snprintf(path2, sizeof(path2), "%s/link", dir);
	assert_int_equal(symlink(path, path2), 0);
	assert_int_equal(fingerprint_key_load(path2, &again), -EPERM);

	snprintf(path2, sizeof(path2), "%s/short", dir);
	fd = open(path2, O_WRONLY | O_CREAT, 0600);
	assert_int_equal(write(fd, "abc", 3), 3);
	close(fd);
	assert_int_equal(fingerprint_key_load(path2, &again), -EINVAL);
	unlink(path2);
	unlink(path);
	snprintf(path2, sizeof(path2), "%s/link", dir);
	unlink(path2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc4231_case2),
		cmocka_unit_test(test_stable_and_key_dependent),
		cmocka_unit_test(test_key_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
