// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "spool.h"

/* Bytes of one record: 12-byte header, type, line; each segment starts with
 * an 8-byte magic. */
#define REC(tl, ll) (12 + (tl) + (ll))
#define SEG_HDR 8

static char root[64];

static int setup(void **state)
{
	strcpy(root, "/tmp/idtrace-spool-XXXXXX");
	if (!mkdtemp(root))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) ? -1 : 0;
}

static char *path(const char *sub)
{
	static char buf[4][256];
	static int i;
	char *p = buf[i++ & 3];

	snprintf(p, 256, "%s/%s", root, sub);
	return p;
}

static struct spool *open_ok(const char *dir, uint64_t max, uint64_t seg)
{
	struct spool *s = NULL;
	char err[256] = "";
	int rc = spool_open(dir, max, seg, &s, err, sizeof(err));

	if (rc)
		fail_msg("spool_open(%s): %d %s", dir, rc, err);
	return s;
}

static void append_n(struct spool *s, int from, int to)
{
	char buf[32];

	for (int i = from; i < to; i++) {
		int n = snprintf(buf, sizeof(buf), "line-%02d", i);

		assert_int_equal(spool_append(s, buf, n, "t"), 0);
	}
}

static void expect_line(struct spool *s, const char *want, const char *want_type)
{
	const char *line, *type;
	size_t len;

	assert_int_equal(spool_peek(s, &line, &len, &type), 0);
	assert_int_equal(len, strlen(want));
	assert_string_equal(line, want);
	assert_string_equal(type, want_type);
	assert_int_equal(spool_consume(s), 0);
}

static void expect_n(struct spool *s, int from, int to)
{
	char buf[32];

	for (int i = from; i < to; i++) {
		snprintf(buf, sizeof(buf), "line-%02d", i);
		expect_line(s, buf, "t");
	}
}

static void expect_empty(struct spool *s)
{
	const char *line, *type;
	size_t len;

	assert_int_equal(spool_peek(s, &line, &len, &type), -ENODATA);
	assert_int_equal(spool_lines(s), 0);
}

/* Segment files in dir; each must be a regular file of mode 0600. */
static int count_segments(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	struct stat st;
	char p[512];
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);

		if (l < 6 || strcmp(de->d_name + l - 6, ".spool"))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		assert_int_equal(lstat(p, &st), 0);
		if (S_ISREG(st.st_mode)) {
			assert_int_equal(st.st_mode & 0777, 0600);
			n++;
		}
	}
	closedir(d);
	return n;
}

static void test_roundtrip_creates_dir(void **state)
{
	const char *dir = path("a/b/spool");
	struct spool *s = open_ok(dir, 1 << 20, 0);
	const char *line, *type;
	struct stat st;
	size_t len;

	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(stat(path("a"), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	expect_empty(s);
	assert_int_equal(spool_consume(s), -EINVAL); /* nothing peeked */

	assert_int_equal(spool_append(s, "{\"a\":1}", 7, "exec"), 0);
	assert_int_equal(spool_append(s, "with\0nul", 8, NULL), 0);
	assert_int_equal(spool_append(s, "", 0, "agent.loss"), 0);
	assert_int_equal(spool_lines(s), 3);
	assert_int_equal(spool_bytes(s), SEG_HDR + REC(4, 7) + REC(0, 8) + REC(10, 0));
	assert_int_equal(count_segments(dir), 1);

	/* Peek twice: the same line until it is consumed. */
	assert_int_equal(spool_peek(s, &line, &len, &type), 0);
	assert_string_equal(line, "{\"a\":1}");
	assert_int_equal(spool_peek(s, &line, &len, &type), 0);
	assert_string_equal(line, "{\"a\":1}");
	assert_string_equal(type, "exec");
	assert_int_equal(spool_consume(s), 0);
	assert_int_equal(spool_consume(s), -EINVAL); /* one peek, one consume */

	assert_int_equal(spool_peek(s, &line, &len, &type), 0);
	assert_int_equal(len, 8);
	assert_memory_equal(line, "with\0nul", 8);
	assert_string_equal(type, "");
	assert_int_equal(spool_consume(s), 0);
	expect_line(s, "", "agent.loss");
	expect_empty(s);
	/* An empty spool keeps no files. */
	assert_int_equal(spool_bytes(s), 0);
	assert_int_equal(count_segments(dir), 0);
	assert_int_equal(access(path("a/b/spool/cursor"), F_OK), -1);
	spool_close(s);
}

static void test_big_line(void **state)
{
	struct spool *s = open_ok(path("big"), 8 << 20, 0);
	size_t n = 3 << 20, len;
	char *big = malloc(n);
	const char *line, *type;

	assert_non_null(big);
	for (size_t i = 0; i < n; i++)
		big[i] = (char)('a' + i % 26);
	assert_int_equal(spool_append(s, big, n, "x"), 0);
	assert_int_equal(spool_peek(s, &line, &len, &type), 0);
	assert_int_equal(len, n);
	assert_memory_equal(line, big, n);
	assert_int_equal(spool_consume(s), 0);
	char type300[300];

	memset(type300, 't', sizeof(type300) - 1);
	type300[299] = '\0';
	assert_int_equal(spool_append(s, "x", 1, type300), -EMSGSIZE);
	free(big);
	spool_close(s);
}

/* Records of 20 bytes ("line-NN", type "t"); 3 per segment. */
#define R REC(1, 7)
#define SEG3 (SEG_HDR + 3 * R)

static void test_segments_rotate_and_go(void **state)
{
	const char *dir = path("seg");
	struct spool *s = open_ok(dir, 1 << 20, SEG3);

	append_n(s, 0, 30);
	assert_int_equal(count_segments(dir), 10);
	assert_int_equal(spool_bytes(s), 10 * SEG3);
	expect_n(s, 0, 3);
	/* A segment read to its end is deleted at once. */
	assert_int_equal(count_segments(dir), 9);
	assert_int_equal(spool_bytes(s), 9 * SEG3);
	expect_n(s, 3, 16);
	assert_int_equal(count_segments(dir), 5);
	assert_int_equal(spool_lines(s), 14);
	/* Appends while reading go behind. */
	append_n(s, 30, 35);
	expect_n(s, 16, 35);
	expect_empty(s);
	assert_int_equal(count_segments(dir), 0);
	spool_close(s);
}

static void test_full(void **state)
{
	struct spool *s = open_ok(path("full"), SEG_HDR + 10 * R, 0);

	append_n(s, 0, 10);
	assert_int_equal(spool_bytes(s), SEG_HDR + 10 * R);
	assert_int_equal(spool_append(s, "line-10", 7, "t"), -ENOSPC);
	assert_int_equal(spool_append(s, "", 0, NULL), -ENOSPC);
	assert_int_equal(spool_lines(s), 10);
	expect_n(s, 0, 10);
	expect_empty(s);
	/* Empty again: room again. */
	append_n(s, 10, 20);
	assert_int_equal(spool_append(s, "line-20", 7, "t"), -ENOSPC);
	expect_n(s, 10, 20);

	/* Past the bound on purpose (the agent.loss line at exit). */
	append_n(s, 0, 10);
	assert_int_equal(spool_append(s, "loss", 4, "agent.loss"), -ENOSPC);
	assert_int_equal(spool_append_unbounded(s, "loss", 4, "agent.loss"), 0);
	assert_int_equal(spool_bytes(s), SEG_HDR + 10 * R + REC(10, 4));
	expect_n(s, 0, 10);
	expect_line(s, "loss", "agent.loss");
	expect_empty(s);
	spool_close(s);

	/* Too small for even one record. */
	s = open_ok(path("tiny"), SEG_HDR + R - 1, 0);
	assert_int_equal(spool_append(s, "line-00", 7, "t"), -ENOSPC);
	spool_close(s);
}

static void test_restart_resumes(void **state)
{
	const char *dir = path("restart");
	struct spool *s = open_ok(dir, 1 << 20, SEG3);

	append_n(s, 0, 40);
	expect_n(s, 0, 17);
	spool_close(s);

	s = open_ok(dir, 1 << 20, SEG3);
	assert_int_equal(spool_lines(s), 23);
	/* Appends of the new run follow the old lines. */
	append_n(s, 40, 45);
	expect_n(s, 17, 45);
	expect_empty(s);
	spool_close(s);

	s = open_ok(dir, 1 << 20, SEG3);
	expect_empty(s);
	append_n(s, 0, 2);
	expect_n(s, 0, 2);
	spool_close(s);
}

/* A crash (no spool_close) loses no line: what was read since the last
 * saved position comes again (at least once, in order). */
static void test_crash_resends_not_loses(void **state)
{
	const char *dir = path("crash");
	struct spool *s = open_ok(dir, 1 << 20, 0);
	pid_t pid;
	int status;

	append_n(s, 0, 10);
	spool_close(s);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		char err[128];

		if (spool_open(dir, 1 << 20, 0, &s, err, sizeof(err)))
			_exit(1);
		for (int i = 0; i < 4; i++) {
			const char *l, *t;
			size_t n;

			if (spool_peek(s, &l, &n, &t) || spool_consume(s))
				_exit(2);
		}
		_exit(0); /* crash: no close */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	s = open_ok(dir, 1 << 20, 0);
	assert_int_equal(spool_lines(s), 10);
	expect_n(s, 0, 10);
	spool_close(s);
}

static void write_at_end(const char *file, const void *buf, size_t n)
{
	int fd = open(file, O_WRONLY | O_APPEND);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, n), (ssize_t)n);
	close(fd);
}

static off_t file_size(const char *file)
{
	struct stat st;

	assert_int_equal(stat(file, &st), 0);
	return st.st_size;
}

static void test_torn_tail(void **state)
{
	const char *dir = path("torn");
	char seg[300];
	struct spool *s = open_ok(dir, 1 << 20, 0);
	static const unsigned char torn[] = { 7, 0, 0, 0, 1, 0, 0, 0, 0xde, 0xad, 'l', 'i' };
	off_t good;

	append_n(s, 0, 5);
	spool_close(s);
	snprintf(seg, sizeof(seg), "%s/0000000001.spool", dir);
	good = file_size(seg);
	assert_int_equal(good, SEG_HDR + 5 * R);
	write_at_end(seg, torn, sizeof(torn));

	s = open_ok(dir, 1 << 20, 0);
	assert_int_equal(spool_lines(s), 5);
	/* The torn record is cut off, so new lines follow good ones. */
	assert_int_equal(file_size(seg), good);
	append_n(s, 5, 7);
	expect_n(s, 0, 7);
	expect_empty(s);
	spool_close(s);

}

static void test_torn_new_segment(void **state)
{
	const char *dir = path("torn2");
	char seg[300];
	struct spool *s = open_ok(dir, 1 << 20, 0);
	int fd;

	append_n(s, 0, 2);
	spool_close(s);
	snprintf(seg, sizeof(seg), "%s/0000000002.spool", dir);
	fd = open(seg, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "IDS", 3), 3);
	close(fd);
	s = open_ok(dir, 1 << 20, 0);
	assert_int_equal(access(seg, F_OK), -1);
	assert_int_equal(spool_lines(s), 2);
	append_n(s, 2, 4);
	expect_n(s, 0, 4);
	spool_close(s);
}

/* A damaged record in an older segment: the good records before it and all
 * later segments still come, in order; the rest of that segment is lost. */
static void test_damaged_middle(void **state)
{
	const char *dir = path("damage");
	char seg[300], c;
	struct spool *s = open_ok(dir, 1 << 20, SEG3);
	int fd;

	append_n(s, 0, 9);
	spool_close(s);
	snprintf(seg, sizeof(seg), "%s/0000000001.spool", dir);
	fd = open(seg, O_RDWR);
	assert_true(fd >= 0);
	/* Flip a byte of line-01's text. */
	assert_int_equal(pread(fd, &c, 1, SEG_HDR + R + 15), 1);
	c ^= 0x20;
	assert_int_equal(pwrite(fd, &c, 1, SEG_HDR + R + 15), 1);
	close(fd);

	s = open_ok(dir, 1 << 20, SEG3);
	assert_int_equal(spool_lines(s), 7);
	expect_n(s, 0, 1);
	expect_n(s, 3, 9);
	expect_empty(s);
	spool_close(s);
}

/* Damage found while reading (the file changed under us). */
static void test_damaged_while_reading(void **state)
{
	const char *dir = path("damage2");
	char seg[300], c = 'X';
	struct spool *s = open_ok(dir, 1 << 20, SEG3);
	int fd;

	append_n(s, 0, 6);
	snprintf(seg, sizeof(seg), "%s/0000000001.spool", dir);
	fd = open(seg, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, &c, 1, SEG_HDR + 2 * R + 15), 1);
	close(fd);
	expect_n(s, 0, 2);
	expect_n(s, 3, 6);
	expect_empty(s);
	spool_close(s);
}

static void expect_open_fails(const char *dir, int want)
{
	struct spool *s = NULL;
	char err[256] = "";

	assert_int_equal(spool_open(dir, 1 << 20, 0, &s, err, sizeof(err)), want);
	assert_null(s);
	assert_true(strlen(err) > 10);
	assert_non_null(strstr(err, dir));
}

static void test_refuses_unsafe_dir(void **state)
{
	const char *dir = path("unsafe");

	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(chmod(dir, 0777), 0);
	expect_open_fails(dir, -EPERM);
	assert_int_equal(chmod(dir, 0770), 0);
	expect_open_fails(dir, -EPERM);
	assert_int_equal(chmod(dir, 0755), 0); /* readable is the admin's choice */
	spool_close(open_ok(dir, 1 << 20, 0));
	if (geteuid() == 0) {
		assert_int_equal(chown(dir, 65534, 65534), 0);
		assert_int_equal(chmod(dir, 0700), 0);
		expect_open_fails(dir, -EPERM);
	}
	assert_int_equal(mkdir(path("real"), 0700), 0);
	assert_int_equal(symlink(path("real"), path("link")), 0);
	/* O_NOFOLLOW with O_DIRECTORY: ENOTDIR for a symlink. */
	expect_open_fails(path("link"), -ENOTDIR);
	assert_int_equal(close(open(path("plain"), O_CREAT | O_WRONLY, 0600)), 0);
	expect_open_fails(path("plain"), -ENOTDIR);
}

/* A symlink planted under a segment's name is never followed. */
static void test_symlink_segment(void **state)
{
	const char *dir = path("sym");
	char target[300], seg[300], buf[8] = "";
	struct spool *s;
	int fd;

	snprintf(target, sizeof(target), "%s/victim", root);
	fd = open(target, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "victim", 6), 6);
	close(fd);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(seg, sizeof(seg), "%s/0000000001.spool", dir);
	assert_int_equal(symlink(target, seg), 0);

	s = open_ok(dir, 1 << 20, 0);
	expect_empty(s);
	append_n(s, 0, 3);
	expect_n(s, 0, 3);
	spool_close(s);
	fd = open(target, O_RDONLY);
	assert_int_equal(read(fd, buf, sizeof(buf)), 6);
	close(fd);
	assert_memory_equal(buf, "victim", 6);
}

/* A cursor left pointing into a segment number that is reused must not
 * skip the new segment's first lines. */
static void test_stale_cursor(void **state)
{
	const char *dir = path("stale");
	char seg[300];
	struct spool *s = open_ok(dir, 1 << 20, SEG3);

	append_n(s, 0, 6);
	expect_n(s, 0, 4);
	spool_close(s); /* cursor: segment 2, after line-04 */
	snprintf(seg, sizeof(seg), "%s/0000000002.spool", dir);
	assert_int_equal(unlink(seg), 0); /* an admin cleaned up */
	s = open_ok(dir, 1 << 20, SEG3);
	expect_empty(s);
	append_n(s, 10, 14);
	spool_close(s);
	s = open_ok(dir, 1 << 20, SEG3);
	expect_n(s, 10, 14);
	spool_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_creates_dir),
		cmocka_unit_test(test_big_line),
		cmocka_unit_test(test_segments_rotate_and_go),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_restart_resumes),
		cmocka_unit_test(test_crash_resends_not_loses),
		cmocka_unit_test(test_torn_tail),
		cmocka_unit_test(test_torn_new_segment),
		cmocka_unit_test(test_damaged_middle),
		cmocka_unit_test(test_damaged_while_reading),
		cmocka_unit_test(test_refuses_unsafe_dir),
		cmocka_unit_test(test_symlink_segment),
		cmocka_unit_test(test_stale_cursor),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
