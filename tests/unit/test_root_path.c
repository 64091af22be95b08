// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "root_path.h"

/* A fake container root and a host directory at the same absolute path its
 * links name: dir/root is the container's "/", dir/host is the host's. */
struct fixture {
	char dir[64];
	char root[PATH_MAX];	 /* the container's root */
	char host[PATH_MAX];	 /* an absolute path on the host (the decoy) */
	char inside[PATH_MAX]; /* the same path within the container's root */
	int root_fd;
	char prefix[32];	 /* "/proc/self/fd/N" */
};

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void read_fd(int fd, char *buf, size_t n)
{
	ssize_t r = read(fd, buf, n - 1);

	assert_true(r >= 0);
	buf[r] = '\0';
	close(fd);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char path[PATH_MAX * 2];

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/idt-root-path-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->root, sizeof(f->root), "%s/root", f->dir);
	snprintf(f->host, sizeof(f->host), "%s/host", f->dir);
	snprintf(f->inside, sizeof(f->inside), "%s%s", f->root, f->host);
	assert_int_equal(mkdir(f->root, 0755), 0);
	assert_int_equal(mkdir(f->host, 0755), 0);
	/* the container's own copy of the host's path: root/<dir>/host */
	snprintf(path, sizeof(path), "mkdir -p %s/etc %s/root/.aws", f->inside, f->root);
	assert_int_equal(system(path), 0);
	snprintf(path, sizeof(path), "%s/aws.ini", f->inside);
	write_file(path, "container\n");
	snprintf(path, sizeof(path), "%s/aws.ini", f->host);
	write_file(path, "host\n");
	/* root/root/.aws/credentials -> <host>/aws.ini (absolute) */
	snprintf(path, sizeof(path), "%s/root/.aws/credentials", f->root);
	{
		char target[PATH_MAX + 16];

		snprintf(target, sizeof(target), "%s/aws.ini", f->host);
		assert_int_equal(symlink(target, path), 0);
	}
	/* root/lnk -> / and root/up -> ../../.. (both stay at the root) */
	snprintf(path, sizeof(path), "%s/lnk", f->root);
	assert_int_equal(symlink("/", path), 0);
	snprintf(path, sizeof(path), "%s/up", f->root);
	assert_int_equal(symlink("../../..", path), 0);
	f->root_fd = open(f->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(f->root_fd >= 0);
	snprintf(f->prefix, sizeof(f->prefix), "/proc/self/fd/%d", f->root_fd);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	close(f->root_fd);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void test_prefix_len(void **state)
{
	(void)state;
	assert_int_equal(root_path_prefix_len("/proc/self/fd/12/root/x"), strlen("/proc/self/fd/12"));
	assert_int_equal(root_path_prefix_len("/proc/self/fd/12"), strlen("/proc/self/fd/12"));
	assert_int_equal(root_path_prefix_len("/proc/4242/root/etc/passwd"), strlen("/proc/4242/root"));
	assert_int_equal(root_path_prefix_len("/proc/4242/root"), strlen("/proc/4242/root"));
	assert_int_equal(root_path_prefix_len("/proc/4242/rootfs/x"), 0);
	assert_int_equal(root_path_prefix_len("/proc/self/fd/x/y"), 0);
	assert_int_equal(root_path_prefix_len("/proc/self/root/x"), 0);
	assert_int_equal(root_path_prefix_len("/proc/4242/cwd/x"), 0);
	assert_int_equal(root_path_prefix_len("/root/.aws/credentials"), 0);
	assert_int_equal(root_path_prefix_len("/proc/sys/kernel/x"), 0);
}

/* An absolute link in the container's tree names the container's file,
 * through the held root and through /proc/PID/root alike; the host's file
 * at that path is never opened. */
static void test_absolute_link_stays_inside(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX], buf[64];
	struct stat st, want;

	snprintf(path, sizeof(path), "%s/root/.aws/credentials", f->prefix);
	read_fd(root_path_open(path, O_RDONLY), buf, sizeof(buf));
	assert_string_equal(buf, "container\n");
	/* the same path through the plain kernel resolution: the host's file
	 * (what the daemon read before) */
	read_fd(open(path, O_RDONLY | O_CLOEXEC), buf, sizeof(buf));
	assert_string_equal(buf, "host\n");

	snprintf(path, sizeof(path), "%s/aws.ini", f->inside);
	assert_int_equal(stat(path, &want), 0);
	snprintf(path, sizeof(path), "%s/root/.aws/credentials", f->prefix);
	assert_int_equal(root_path_stat(path, &st), 0);
	assert_int_equal(st.st_ino, want.st_ino);
	assert_int_equal(root_path_lstat(path, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	/* O_NOFOLLOW still refuses a link at the end */
	assert_int_equal(root_path_open(path, O_RDONLY | O_NOFOLLOW), -1);
}

/* "..", and links to "/" or above it, stop at the container's root. */
static void test_dotdot_stays_inside(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX * 2], buf[64];

	snprintf(path, sizeof(path), "%s/../../..%s/aws.ini", f->prefix, f->host);
	read_fd(root_path_open(path, O_RDONLY), buf, sizeof(buf));
	assert_string_equal(buf, "container\n");
	snprintf(path, sizeof(path), "%s/lnk%s/aws.ini", f->prefix, f->host);
	read_fd(root_path_open(path, O_RDONLY), buf, sizeof(buf));
	assert_string_equal(buf, "container\n");
	snprintf(path, sizeof(path), "%s/up%s/aws.ini", f->prefix, f->host);
	read_fd(root_path_open(path, O_RDONLY), buf, sizeof(buf));
	assert_string_equal(buf, "container\n");
}

/* Through /proc/PID/root (our own: "/"), and a plain host path, resolve as
 * open(2) does. */
static void test_plain_and_pid_roots(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX * 2], buf[64];

	snprintf(path, sizeof(path), "/proc/%d/root%s/aws.ini", (int)getpid(), f->host);
	read_fd(root_path_open(path, O_RDONLY), buf, sizeof(buf));
	assert_string_equal(buf, "host\n");
	snprintf(path, sizeof(path), "%s/aws.ini", f->host);
	read_fd(root_path_open(path, O_RDONLY), buf, sizeof(buf));
	assert_string_equal(buf, "host\n");
	assert_int_equal(root_path_open("/proc/999999999/root/etc/passwd", O_RDONLY), -1);
}

/* glob and opendir list the container's directories, reached through its
 * links. */
static void test_glob_and_opendir_inside(void **state)
{
	struct fixture *f = *state;
	char pattern[PATH_MAX * 2];
	glob_t g;
	DIR *d;
	struct dirent *de;
	int found = 0;

	snprintf(pattern, sizeof(pattern), "%s/lnk%s/*.ini", f->prefix, f->host);
	assert_int_equal(root_path_glob(pattern, GLOB_NOSORT, &g), 0);
	assert_int_equal(g.gl_pathc, 1);
	globfree(&g);
	snprintf(pattern, sizeof(pattern), "%s/lnk%s", f->prefix, f->host);
	d = root_path_opendir(pattern);
	assert_non_null(d);
	while ((de = readdir(d)))
		found += !strcmp(de->d_name, "aws.ini");
	closedir(d);
	assert_int_equal(found, 1);
	/* a directory that only the host has is not there */
	snprintf(pattern, sizeof(pattern), "%s/lnk%s/nothere*", f->prefix, f->host);
	assert_int_equal(root_path_glob(pattern, GLOB_NOSORT, &g), GLOB_NOMATCH);
	globfree(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prefix_len),
		cmocka_unit_test_setup_teardown(test_absolute_link_stays_inside, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dotdot_stays_inside, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plain_and_pid_roots, setup, teardown),
		cmocka_unit_test_setup_teardown(test_glob_and_opendir_inside, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
