// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "fingerprint.h"

/* A fresh temporary directory per test, removed (with its tree) afterwards. */
static int setup_dir(void **state)
{
	char *dir = strdup("/tmp/idtrace-fp-XXXXXX");

	if (!dir || !mkdtemp(dir))
		return -1;
	*state = dir;
	return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int teardown_dir(void **state)
{
	int rc = nftw(*state, remove_entry, 16, FTW_DEPTH | FTW_PHYS);

	free(*state);
	return rc ? -1 : 0;
}

static char *path_in(void **state, const char *name)
{
	char *p;

	assert_true(asprintf(&p, "%s/%s", (char *)*state, name) > 0);
	return p;
}

/* Write n bytes to path with mode (exactly, whatever the umask). */
static void write_file(const char *path, size_t n, mode_t mode)
{
	unsigned char buf[64];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	memset(buf, 0x42, sizeof(buf));
	assert_int_equal(write(fd, buf, n), (ssize_t)n);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void test_hmac_rfc4231(void **state)
{
	static const char case2[] = "what do ya want for nothing?";
	static const char case6[] = "Test Using Larger Than Block-Size Key - Hash Key First";
	unsigned char key1[20], key6[131];
	char out[FINGERPRINT_HMAC_HEX_LEN];

	/* Test case 2. */
	assert_int_equal(fingerprint_hmac_hex("Jefe", 4, case2, sizeof(case2) - 1, out), 0);
	assert_string_equal(out, "5bdcc146bf60754e6a042426089575c7"
				 "5a003f089d2739839dec58b964ec3843");
	/* Test case 1. */
	memset(key1, 0x0b, sizeof(key1));
	assert_int_equal(fingerprint_hmac_hex(key1, sizeof(key1), "Hi There", 8, out), 0);
	assert_string_equal(out, "b0344c61d8db38535ca8afceaf0bf12b"
				 "881dc200c9833da726e9376c2e32cff7");
	/* Test case 6: a key longer than the block size. */
	memset(key6, 0xaa, sizeof(key6));
	assert_int_equal(fingerprint_hmac_hex(key6, sizeof(key6), case6, sizeof(case6) - 1, out),
			 0);
	assert_string_equal(out, "60e431591ee0b67f0d8a26aacbf5b77f"
				 "8e0bc6213728c5140546040f0ee37f54");
}

static void test_compute_format_and_kat(void **state)
{
	struct fingerprint_key k;
	char fp[FINGERPRINT_STR_LEN], full[FINGERPRINT_HMAC_HEX_LEN];
	size_t i;

	assert_int_equal(FINGERPRINT_STR_LEN, strlen("hmac-sha256:") + 32 + 1);
	memset(&k, 0, sizeof(k));
	memcpy(k.key, "Jefe", 4); /* HMAC pads short keys with zeros: same MAC as case 2 */
	memset(fp, 0x7f, sizeof(fp));
	fingerprint_compute(&k, "what do ya want for nothing?", 28, fp);
	assert_string_equal(fp, "hmac-sha256:5bdcc146bf60754e6a042426089575c7");
	assert_int_equal(strlen(fp), FINGERPRINT_STR_LEN - 1);

	for (i = 0; i < sizeof(k.key); i++)
		k.key[i] = (unsigned char)(i * 7 + 1);
	fingerprint_compute(&k, "secret", 6, fp);
	assert_int_equal(fingerprint_hmac_hex(k.key, sizeof(k.key), "secret", 6, full), 0);
	assert_memory_equal(fp, "hmac-sha256:", 12);
	assert_memory_equal(fp + 12, full, 32);
	for (i = 12; i < FINGERPRINT_STR_LEN - 1; i++)
		assert_non_null(strchr("0123456789abcdef", fp[i]));
}

static void test_stability_and_dependence(void **state)
{
	struct fingerprint_key k1, k2;
	char a[FINGERPRINT_STR_LEN], b[FINGERPRINT_STR_LEN];

	memset(&k1, 0x11, sizeof(k1));
	k2 = k1;
	fingerprint_compute(&k1, "AKIASECRETVALUE", 15, a);
	fingerprint_compute(&k1, "AKIASECRETVALUE", 15, b);
	assert_string_equal(a, b);
	/* Key dependence: one bit of the key. */
	k2.key[31] ^= 1;
	fingerprint_compute(&k2, "AKIASECRETVALUE", 15, b);
	assert_string_not_equal(a, b);
	/* Data dependence: one byte, and one byte less. */
	fingerprint_compute(&k1, "AKIASECRETVALUF", 15, b);
	assert_string_not_equal(a, b);
	fingerprint_compute(&k1, "AKIASECRETVALUE", 14, b);
	assert_string_not_equal(a, b);
	/* Empty data: NULL and "" agree. */
	fingerprint_compute(&k1, NULL, 0, a);
	fingerprint_compute(&k1, "", 0, b);
	assert_string_equal(a, b);
	assert_int_equal(strlen(a), FINGERPRINT_STR_LEN - 1);
}

static void test_key_created(void **state)
{
	char *path = path_in(state, "a/b/host.key"), *dir_a = path_in(state, "a"), *dir_b;
	struct fingerprint_key k1, k2;
	unsigned char zero[FINGERPRINT_KEY_LEN] = { 0 };
	struct dirent *de;
	struct stat st;
	mode_t old = umask(0);
	int entries = 0;
	DIR *d;

	dir_b = path_in(state, "a/b");
	assert_int_equal(fingerprint_key_load(path, &k1), 0);
	umask(old);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_size, FINGERPRINT_KEY_LEN);
	assert_int_equal(st.st_uid, geteuid());
	assert_int_equal(stat(dir_a, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(stat(dir_b, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_memory_not_equal(k1.key, zero, sizeof(zero));
	/* Loaded again: the same key. */
	assert_int_equal(fingerprint_key_load(path, &k2), 0);
	assert_memory_equal(k1.key, k2.key, sizeof(k1.key));
	/* No temporary file left behind. */
	d = opendir(dir_b);
	assert_non_null(d);
	while ((de = readdir(d)))
		entries += de->d_name[0] != '.';
	closedir(d);
	assert_int_equal(entries, 1);
	free(dir_b);
	free(dir_a);
	free(path);
}

/* A restrictive umask does not change the mode either, and a new key differs. */
static void test_key_created_umask(void **state)
{
	char *p1 = path_in(state, "k1"), *p2 = path_in(state, "k2");
	struct fingerprint_key k1, k2;
	struct stat st;
	mode_t old = umask(0777);

	assert_int_equal(fingerprint_key_load(p1, &k1), 0);
	assert_int_equal(fingerprint_key_load(p2, &k2), 0);
	umask(old);
	assert_int_equal(stat(p1, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_memory_not_equal(k1.key, k2.key, sizeof(k1.key));
	free(p1);
	free(p2);
}

static void test_key_existing(void **state)
{
	char *path = path_in(state, "key");
	struct fingerprint_key k;
	unsigned char want[FINGERPRINT_KEY_LEN];

	memset(want, 0x42, sizeof(want));
	write_file(path, FINGERPRINT_KEY_LEN, 0400);
	assert_int_equal(fingerprint_key_load(path, &k), 0);
	assert_memory_equal(k.key, want, sizeof(want));
	free(path);
}

static void test_key_refused_modes(void **state)
{
	char *path = path_in(state, "key");
	struct fingerprint_key k;
	unsigned char zero[FINGERPRINT_KEY_LEN] = { 0 };

	write_file(path, FINGERPRINT_KEY_LEN, 0644);
	memset(&k, 0xaa, sizeof(k));
	assert_int_equal(fingerprint_key_load(path, &k), -EPERM);
	assert_memory_equal(k.key, zero, sizeof(zero)); /* wiped on failure */
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(fingerprint_key_load(path, &k), -EPERM);
	assert_int_equal(chmod(path, 0602), 0);
	assert_int_equal(fingerprint_key_load(path, &k), -EPERM);
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(fingerprint_key_load(path, &k), 0);
	free(path);
}

static void test_key_refused_symlink(void **state)
{
	char *target = path_in(state, "real.key"), *link = path_in(state, "link.key");
	struct fingerprint_key k;

	write_file(target, FINGERPRINT_KEY_LEN, 0600);
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(fingerprint_key_load(link, &k), -EPERM);
	/* A dangling symlink is not replaced by a new key either. */
	assert_int_equal(unlink(target), 0);
	assert_int_equal(fingerprint_key_load(link, &k), -EPERM);
	assert_int_equal(access(target, F_OK), -1);
	free(target);
	free(link);
}

static void test_key_refused_not_regular(void **state)
{
	char *fifo = path_in(state, "fifo"), *dir = path_in(state, "dir");
	struct fingerprint_key k;

	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(fingerprint_key_load(fifo, &k), -EPERM); /* and does not block */
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(fingerprint_key_load(dir, &k), -EISDIR); /* named as such */
	assert_int_equal(fingerprint_key_check(dir), -EISDIR);
	assert_int_equal(fingerprint_key_check(fifo), -EPERM);
	assert_int_equal(fingerprint_key_load("/dev/null", &k), -EPERM);
	free(fifo);
	free(dir);
}

static void test_key_wrong_size(void **state)
{
	char *path = path_in(state, "key");
	struct fingerprint_key k;

	write_file(path, FINGERPRINT_KEY_LEN - 1, 0600);
	assert_int_equal(fingerprint_key_load(path, &k), -EINVAL);
	write_file(path, FINGERPRINT_KEY_LEN + 1, 0600);
	assert_int_equal(fingerprint_key_load(path, &k), -EINVAL);
	write_file(path, 0, 0600);
	assert_int_equal(fingerprint_key_load(path, &k), -EINVAL);
	assert_int_equal(fingerprint_key_load("", &k), -EINVAL);
	free(path);
}

static void test_key_other_owner(void **state)
{
	char *path = path_in(state, "key");
	struct fingerprint_key k;

	if (geteuid() != 0) {
		free(path);
		skip(); /* needs root to give the file away */
	}
	write_file(path, FINGERPRINT_KEY_LEN, 0600);
	assert_int_equal(chown(path, 65534, 65534), 0);
	assert_int_equal(fingerprint_key_load(path, &k), -EPERM);
	free(path);
}

static void test_key_parent_not_dir(void **state)
{
	char *file = path_in(state, "plain"), *path = path_in(state, "plain/key");
	struct fingerprint_key k;

	write_file(file, 3, 0600);
	assert_int_equal(fingerprint_key_load(path, &k), -ENOTDIR);
	free(file);
	free(path);
}

/* SigV4's link fingerprint: over "aws_access_key_id:" + the key id, stable
 * per key, not the key id alone (so it cannot be confused with a secret's). */
static void test_aws_key_id(void **state)
{
	struct fingerprint_key k;
	char fp[FINGERPRINT_STR_LEN], plain[FINGERPRINT_STR_LEN];
	char long_id[300];

	memset(&k, 0, sizeof(k));
	memcpy(k.key, "Jefe", 4);
	fingerprint_aws_key_id(&k, "AKIAIOSFODNN7EXAMPLE", fp);
	assert_string_equal(fp, "hmac-sha256:1ee9992a1ca35cf0e7aeecd4d87fa80c");
	fingerprint_compute(&k, "AKIAIOSFODNN7EXAMPLE", 20, plain);
	assert_string_not_equal(fp, plain);
	memset(long_id, 'A', sizeof(long_id) - 1);
	long_id[sizeof(long_id) - 1] = '\0';
	fingerprint_aws_key_id(&k, long_id, fp);
	assert_string_equal(fp, ""); /* no key id is that long: nothing, not a cut one */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hmac_rfc4231),
		cmocka_unit_test(test_compute_format_and_kat),
		cmocka_unit_test(test_stability_and_dependence),
		cmocka_unit_test(test_aws_key_id),
		cmocka_unit_test_setup_teardown(test_key_created, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_key_created_umask, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_key_existing, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_key_refused_modes, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_key_refused_symlink, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_key_refused_not_regular, setup_dir,
						teardown_dir),
		cmocka_unit_test_setup_teardown(test_key_wrong_size, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_key_other_owner, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_key_parent_not_dir, setup_dir, teardown_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
