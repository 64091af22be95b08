// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cred_watch.h"
#include "exe_cache.h"

#define NO_PID 0x7ffffff0u /* no such process: /proc has no answer */

static void file_id(const char *path, uint32_t *kdev, uint64_t *ino)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	*kdev = cred_kdev(st.st_dev);
	*ino = st.st_ino;
}

/* An empty file dir/name (its path into path), and its (device, inode). */
static void make_file(const char *dir, const char *name, char path[PATH_MAX], uint32_t *kdev,
		      uint64_t *ino)
{
	FILE *f;

	snprintf(path, PATH_MAX, "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	file_id(path, kdev, ino);
}

/* A symlink given to execve: the file it names, then from the cache. */
static void test_symlink_resolved_and_cached(void **state)
{
	char dir[] = "/tmp/idt-exe-XXXXXX", link[PATH_MAX], target[PATH_MAX], real[PATH_MAX];
	struct exe_cache *c = exe_cache_new();
	uint32_t kdev;
	uint64_t ino;

	assert_non_null(c);
	assert_non_null(mkdtemp(dir));
	make_file(dir, "real-tool", target, &kdev, &ino);
	snprintf(link, sizeof(link), "%s/innocent", dir);
	assert_int_equal(symlink(target, link), 0);
	assert_non_null(realpath(target, real));
	assert_string_equal(exe_cache_resolve(c, "/proc", NO_PID, link, kdev, ino, 0), real);
	/* gone and renamed: the (device, inode) is still known */
	assert_int_equal(unlink(link), 0);
	assert_string_equal(exe_cache_resolve(c, "/proc", NO_PID, "relative", kdev, ino, 0), real);
	unlink(target);
	rmdir(dir);
	exe_cache_free(c);
}

/* A kept path that no longer names the inode (the program was moved,
 * deleted, or its inode number went to another file) is not answered from
 * the cache: the file is resolved again. */
static void test_stale_path_resolved_again(void **state)
{
	char dir[] = "/tmp/idt-exe-XXXXXX", first[PATH_MAX], moved[PATH_MAX], real[PATH_MAX];
	struct exe_cache *c = exe_cache_new();
	uint32_t kdev;
	uint64_t ino;

	assert_non_null(c);
	assert_non_null(mkdtemp(dir));
	make_file(dir, "benign", first, &kdev, &ino);
	snprintf(moved, sizeof(moved), "%s/evil", dir);
	assert_non_null(realpath(first, real));
	assert_string_equal(exe_cache_resolve(c, "/proc", NO_PID, first, kdev, ino, 0), real);
	assert_int_equal(rename(first, moved), 0);
	assert_non_null(realpath(moved, real));
	assert_string_equal(exe_cache_resolve(c, "/proc", NO_PID, moved, kdev, ino, 0), real);
	/* and with no path that names it any more: nothing, not the old name */
	assert_int_equal(unlink(moved), 0);
	assert_null(exe_cache_resolve(c, "/proc", NO_PID, moved, kdev, ino, 0));
	rmdir(dir);
	exe_cache_free(c);
}

/* A container's program: the path /proc/PID/exe gave names it in the
 * container, not from the daemon's namespace (there it is another file, or
 * none). A later run, gone before the daemon looks, is known by the file's
 * change time; another change time (a new file given the inode number) is
 * not. */
static void test_known_by_change_time(void **state)
{
	char dir[] = "/tmp/idt-exe-XXXXXX", path[PATH_MAX], real[PATH_MAX];
	struct exe_cache *c = exe_cache_new();
	const uint64_t ctime = 1764800000123456789ull;
	uint32_t kdev;
	uint64_t ino;

	assert_non_null(c);
	assert_non_null(mkdtemp(dir));
	make_file(dir, "busybox", path, &kdev, &ino);
	assert_non_null(realpath(path, real));
	assert_string_equal(exe_cache_resolve(c, "/proc", NO_PID, path, kdev, ino, ctime), real);
	/* its path names nothing from here now */
	assert_int_equal(unlink(path), 0);
	assert_string_equal(exe_cache_resolve(c, "/proc", NO_PID, "/bin/busybox", kdev, ino, ctime),
			    real);
	assert_null(exe_cache_resolve(c, "/proc", NO_PID, "/bin/busybox", kdev, ino, ctime + 1));
	assert_null(exe_cache_resolve(c, "/proc", NO_PID, "/bin/busybox", kdev, ino, 0));
	rmdir(dir);
	exe_cache_free(c);
	(void)state;
}

/* A path that is not the file that ran (replaced, another namespace, a
 * script whose interpreter ran), or a relative one: nothing, not a guess. */
static void test_no_guess(void **state)
{
	struct exe_cache *c = exe_cache_new();
	uint32_t kdev;
	uint64_t ino;

	file_id("/bin/sh", &kdev, &ino);
	assert_null(exe_cache_resolve(c, "/proc", NO_PID, "/etc/hostname", kdev, ino, 0));
	assert_null(exe_cache_resolve(c, "/proc", NO_PID, "sh", kdev, ino, 0));
	assert_null(exe_cache_resolve(c, "/proc", NO_PID, NULL, kdev, ino, 0));
	assert_null(exe_cache_resolve(c, "/proc", NO_PID, "/bin/sh", kdev, 0, 0));
	assert_null(exe_cache_resolve(NULL, "/proc", NO_PID, "/bin/sh", kdev, ino, 0));
	exe_cache_free(c);
}

/* A live process: /proc/PID/exe, whatever path was given. */
static void test_from_proc(void **state)
{
	char want[PATH_MAX];
	struct exe_cache *c = exe_cache_new();
	uint32_t kdev;
	uint64_t ino;
	ssize_t n = readlink("/proc/self/exe", want, sizeof(want) - 1);

	assert_true(n > 0);
	want[n] = '\0';
	file_id("/proc/self/exe", &kdev, &ino);
	assert_string_equal(exe_cache_resolve(c, "/proc", (uint32_t)getpid(), "whatever", kdev, ino, 0),
			    want);
	exe_cache_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_symlink_resolved_and_cached),
		cmocka_unit_test(test_stale_path_resolved_again),
		cmocka_unit_test(test_known_by_change_time),
		cmocka_unit_test(test_no_guess),
		cmocka_unit_test(test_from_proc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
