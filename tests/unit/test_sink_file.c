// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The file:/// sink, driven through its ops table in a temporary directory. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include "sink.h"
#include "sink_spec.h"

static const struct sink_ops *ops = &sink_file_ops;

struct fx {
	char dir[64];
	char path[128]; /* dir/events.jsonl */
};

static int setup_dir(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/test_sink_file.XXXXXX");
	if (!mkdtemp(fx->dir))
		return -1;
	snprintf(fx->path, sizeof(fx->path), "%s/events.jsonl", fx->dir);
	/* Modes must come from the sink, not from a friendly umask. */
	umask(0);
	*state = fx;
	return 0;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(p);
}

static int teardown_dir(void **state)
{
	struct fx *fx = *state;

	nftw(fx->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	umask(022);
	free(fx);
	return 0;
}

/* "dir/events.jsonl.3.gz" etc. */
static const char *name(const struct fx *fx, int i, const char *ext)
{
	static char buf[4][256];
	static int k;
	char *b = buf[k++ & 3];

	if (i)
		snprintf(b, 256, "%s.%d%s", fx->path, i, ext);
	else
		snprintf(b, 256, "%s%s", fx->path, ext);
	return b;
}

static bool exists(const char *p)
{
	struct stat st;

	return !lstat(p, &st);
}

static void assert_mode_0600(const char *p)
{
	struct stat st;

	assert_int_equal(lstat(p, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	if ((st.st_mode & 07777) != 0600)
		fail_msg("%s has mode %04o, want 0600", p, st.st_mode & 07777);
}

static void assert_err_has(const char *err, const char *want)
{
	if (!strstr(err, want))
		fail_msg("message '%s' does not say '%s'", err, want);
}

/* A whole file (plain or gzip) into a NUL-terminated heap string. */
static char *slurp(const char *p, bool gz, size_t *out_len)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap + 1);
	gzFile z;
	int r;

	assert_non_null(buf);
	z = gzopen(p, "rb");
	if (!z)
		fail_msg("cannot open %s", p);
	/* gzread passes a plain file through: say which one we expect. */
	if (gzdirect(z) != !gz)
		fail_msg("%s is %sgzip", p, gz ? "not " : "");
	for (;;) {
		if (len == cap) {
			cap *= 2;
			buf = realloc(buf, cap + 1);
			assert_non_null(buf);
		}
		r = gzread(z, buf + len, (unsigned)(cap - len));
		assert_true(r >= 0);
		if (!r)
			break;
		len += r;
	}
	assert_int_equal(gzclose(z), Z_OK);
	buf[len] = '\0';
	if (out_len)
		*out_len = len;
	return buf;
}

/* Parse "file://PATH?QUERY" and create the sink; NULL with err filled. */
static void *make(const struct fx *fx, const char *query, char *err, size_t n)
{
	struct sink_spec spec;
	char uri[512];
	void *st;

	snprintf(uri, sizeof(uri), "file://%s%s%s", fx->path, query ? "?" : "", query ? query : "");
	err[0] = '\0';
	assert_int_equal(sink_spec_parse(uri, NULL, &spec, err, n), 0);
	st = ops->create(&spec, err, n);
	sink_spec_free(&spec);
	return st;
}

static void *make_connected(const struct fx *fx, const char *query)
{
	char err[512];
	void *st = make(fx, query, err, sizeof(err));

	if (!st)
		fail_msg("create: %s", err);
	if (ops->connect(st, err, sizeof(err)))
		fail_msg("connect: %s", err);
	return st;
}

static void send_str(void *st, const char *s)
{
	assert_int_equal(ops->send(st, s, strlen(s), "test"), 0);
}

static long long stat_of(void *st, const char *key)
{
	json_t *o = json_object();
	long long v;

	ops->stats(st, o);
	if (!json_is_integer(json_object_get(o, key)))
		fail_msg("stats has no integer '%s'", key);
	v = json_integer_value(json_object_get(o, key));
	json_decref(o);
	return v;
}

/* Event-like lines of varying length (about 30..330 bytes). */
static int make_line(char *out, size_t n, int i)
{
	static const char pad[] = "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz"
				  "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz"
				  "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz"
				  "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz"
				  "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz";

	return snprintf(out, n, "{\"seq\":%d,\"pad\":\"%.*s\"}", i, (i * 37) % 300, pad);
}

/* Send count lines; returns everything expected on disk, and the byte
 * offsets where the sink must have started a new file (the documented
 * rule: rotate before a line that would take a non-empty file past max). */
static char *send_lines(void *st, int count, long long max, size_t *starts, int *nstarts)
{
	size_t len = 0, cur = 0;
	char *all = malloc((size_t)count * 400 + 1);
	char line[400];

	assert_non_null(all);
	*nstarts = 0;
	for (int i = 0; i < count; i++) {
		int l = make_line(line, sizeof(line), i);

		assert_int_equal(ops->send(st, line, l, "test"), 0);
		if (cur > 0 && (long long)(cur + l + 1) > max) {
			starts[(*nstarts)++] = len;
			cur = 0;
		}
		memcpy(all + len, line, l);
		all[len + l] = '\n';
		len += l + 1;
		cur += l + 1;
	}
	all[len] = '\0';
	return all;
}

static void test_write_flush_mode(void **state)
{
	struct fx *fx = *state;
	void *st = make_connected(fx, NULL);
	char *got;

	send_str(st, "{\"a\":1}");
	send_str(st, "{\"b\":2}");
	assert_int_equal(ops->flush(st), 0);
	got = slurp(fx->path, false, NULL);
	assert_string_equal(got, "{\"a\":1}\n{\"b\":2}\n");
	free(got);
	assert_mode_0600(fx->path);
	assert_int_equal(stat_of(st, "lines"), 2);
	assert_int_equal(stat_of(st, "bytes_written"), 16);
	assert_int_equal(stat_of(st, "rotations"), 0);
	/* destroy flushes what is buffered */
	send_str(st, "{\"c\":3}");
	ops->destroy(st);
	got = slurp(fx->path, false, NULL);
	assert_string_equal(got, "{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n");
	free(got);

	/* An existing 0600 file of ours is appended to. */
	st = make_connected(fx, NULL);
	send_str(st, "{\"d\":4}");
	ops->destroy(st);
	got = slurp(fx->path, false, NULL);
	assert_string_equal(got, "{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n{\"d\":4}\n");
	free(got);
}

/* Each rotated file and the current one: no line split, none over max,
 * in order they make exactly what was sent from the file at first_start. */
static void check_files(const struct fx *fx, const char *all, const size_t *starts, int nstarts,
			int nrot, bool gz, long long max)
{
	size_t first = nrot < nstarts ? starts[nstarts - nrot - 1] : 0, off = first, len;
	char *got;

	for (int i = nrot; i >= 0; i--) {
		const char *p = i ? name(fx, i, gz ? ".gz" : "") : fx->path;

		assert_mode_0600(p);
		got = slurp(p, gz && i, &len);
		assert_true(len > 0);
		assert_true((long long)len <= max);
		assert_int_equal(got[len - 1], '\n');
		if (strncmp(got, all + off, len))
			fail_msg("%s does not hold bytes %zu..%zu of what was sent", p, off,
				 off + len);
		/* the next file starts where the sink was due to start it */
		if (i)
			assert_int_equal(off + len, starts[nstarts - i]);
		off += len;
		free(got);
	}
	assert_int_equal(off, strlen(all));
}

static void test_rotate_size_all_kept(void **state)
{
	struct fx *fx = *state;
	void *st = make_connected(fx, "max_size_bytes=4096&keep=50");
	size_t starts[100];
	int nstarts;
	char *all = send_lines(st, 200, 4096, starts, &nstarts);

	assert_int_equal(ops->flush(st), 0);
	assert_true(nstarts >= 5 && nstarts < 50);
	assert_int_equal(stat_of(st, "rotations"), nstarts);
	assert_int_equal(stat_of(st, "compress_failed"), 0);
	check_files(fx, all, starts, nstarts, nstarts, true, 4096);
	for (int i = 1; i <= nstarts; i++) {
		assert_false(exists(name(fx, i, "")));
		assert_false(exists(name(fx, i, ".gz.tmp")));
	}
	assert_false(exists(name(fx, nstarts + 1, ".gz")));
	ops->destroy(st);
	free(all);
}

static void test_rotate_keep_deletes_oldest(void **state)
{
	struct fx *fx = *state;
	void *st = make_connected(fx, "max_size_bytes=4096&keep=2");
	size_t starts[100];
	int nstarts;
	char *all = send_lines(st, 200, 4096, starts, &nstarts);

	assert_int_equal(ops->flush(st), 0);
	assert_true(nstarts >= 5);
	assert_int_equal(stat_of(st, "rotations"), nstarts);
	check_files(fx, all, starts, nstarts, 2, true, 4096);
	assert_false(exists(name(fx, 3, ".gz")));
	assert_false(exists(name(fx, 3, "")));
	ops->destroy(st);
	free(all);
}

static void test_rotate_uncompressed(void **state)
{
	struct fx *fx = *state;
	void *st = make_connected(fx, "max_size_bytes=4096&keep=3&compress=false");
	size_t starts[100];
	int nstarts;
	char *all = send_lines(st, 150, 4096, starts, &nstarts);

	assert_int_equal(ops->flush(st), 0);
	assert_true(nstarts >= 4);
	check_files(fx, all, starts, nstarts, 3, false, 4096);
	for (int i = 1; i <= 4; i++)
		assert_false(exists(name(fx, i, ".gz")));
	assert_false(exists(name(fx, 4, "")));
	ops->destroy(st);
	free(all);
}

/* keep=0: a rotation just starts the file again. */
static void test_rotate_keep_zero(void **state)
{
	struct fx *fx = *state;
	void *st = make_connected(fx, "max_size_bytes=4096&keep=0");
	size_t starts[100];
	int nstarts;
	char *all = send_lines(st, 100, 4096, starts, &nstarts);
	char *got;

	assert_int_equal(ops->flush(st), 0);
	assert_true(nstarts >= 2);
	got = slurp(fx->path, false, NULL);
	assert_string_equal(got, all + starts[nstarts - 1]);
	assert_false(exists(name(fx, 1, "")));
	assert_false(exists(name(fx, 1, ".gz")));
	free(got);
	ops->destroy(st);
	free(all);
}

/* Rotated files left by a run with a larger keep go at the next rotation. */
static void test_rotate_smaller_keep_prunes(void **state)
{
	struct fx *fx = *state;
	void *st;
	size_t starts[100];
	int nstarts, fd;
	char *all;

	for (int i = 1; i <= 8; i++) {
		fd = open(name(fx, i, ".gz"), O_WRONLY | O_CREAT | O_EXCL, 0600);
		assert_true(fd >= 0);
		close(fd);
	}
	st = make_connected(fx, "max_size_bytes=4096&keep=3");
	all = send_lines(st, 40, 4096, starts, &nstarts);
	assert_true(nstarts >= 1 && nstarts <= 2);
	assert_true(exists(name(fx, 3, ".gz")));
	for (int i = 4; i <= 9; i++)
		assert_false(exists(name(fx, i, ".gz")));
	ops->destroy(st);
	free(all);
}

/* A line bigger than the limit gets a file of its own. */
static void test_rotate_big_line(void **state)
{
	struct fx *fx = *state;
	void *st = make_connected(fx, "max_size_bytes=4096");
	size_t big_len = 100 * 1024;
	char *big = malloc(big_len + 2), *got;

	assert_non_null(big);
	memset(big, 'x', big_len);
	big[big_len] = '\0';
	send_str(st, "first");
	send_str(st, big);
	send_str(st, "last");
	assert_int_equal(ops->flush(st), 0);
	assert_int_equal(stat_of(st, "rotations"), 2);
	got = slurp(name(fx, 2, ".gz"), true, NULL);
	assert_string_equal(got, "first\n");
	free(got);
	got = slurp(name(fx, 1, ".gz"), true, NULL);
	big[big_len] = '\n';
	big[big_len + 1] = '\0';
	assert_string_equal(got, big);
	free(got);
	got = slurp(fx->path, false, NULL);
	assert_string_equal(got, "last\n");
	free(got);
	free(big);
	ops->destroy(st);
}

/* Lines that fill the limit exactly stay together; the next one moves on. */
static void test_rotate_exact_fit(void **state)
{
	struct fx *fx = *state;
	void *st = make_connected(fx, "max_size_bytes=4096");
	char line[1024], *got;
	size_t len;

	memset(line, 'y', 1023);
	line[1023] = '\0';
	for (int i = 0; i < 4; i++)
		send_str(st, line);
	assert_int_equal(stat_of(st, "rotations"), 0);
	send_str(st, "z");
	assert_int_equal(stat_of(st, "rotations"), 1);
	ops->destroy(st);
	got = slurp(name(fx, 1, ".gz"), true, &len);
	assert_int_equal(len, 4096);
	free(got);
	got = slurp(fx->path, false, NULL);
	assert_string_equal(got, "z\n");
	free(got);
}

static void backdate(const char *p, time_t by)
{
	struct timespec ts[2] = { { time(NULL) - by, 0 }, { time(NULL) - by, 0 } };

	assert_int_equal(utimensat(AT_FDCWD, p, ts, 0), 0);
}

static void test_rotate_age(void **state)
{
	struct fx *fx = *state;
	void *st = make_connected(fx, "max_age_s=3600&keep=5");
	char err[512], *got;

	send_str(st, "a");
	assert_int_equal(ops->flush(st), 0);
	send_str(st, "b");
	assert_int_equal(stat_of(st, "rotations"), 0);
	/* reopen: the age of an existing file is read from the file */
	assert_int_equal(ops->flush(st), 0);
	assert_int_equal(ops->reopen(st, err, sizeof(err)), 0);
	send_str(st, "c");
	assert_int_equal(stat_of(st, "rotations"), 0);
	assert_int_equal(ops->flush(st), 0);
	backdate(fx->path, 7200);
	assert_int_equal(ops->reopen(st, err, sizeof(err)), 0);
	send_str(st, "d");
	assert_int_equal(stat_of(st, "rotations"), 1);
	assert_int_equal(ops->flush(st), 0);
	ops->destroy(st);

	/* connect to an old file at start-up */
	backdate(fx->path, 7200);
	st = make_connected(fx, "max_age_s=3600&keep=5");
	send_str(st, "e");
	assert_int_equal(stat_of(st, "rotations"), 1);
	ops->destroy(st);

	got = slurp(name(fx, 2, ".gz"), true, NULL);
	assert_string_equal(got, "a\nb\nc\n");
	free(got);
	got = slurp(name(fx, 1, ".gz"), true, NULL);
	assert_string_equal(got, "d\n");
	free(got);
	got = slurp(fx->path, false, NULL);
	assert_string_equal(got, "e\n");
	free(got);

	/* an old but empty file is not rotated: its age starts with its first line */
	assert_int_equal(truncate(fx->path, 0), 0);
	backdate(fx->path, 7200);
	st = make_connected(fx, "max_age_s=3600&keep=5");
	send_str(st, "f");
	send_str(st, "g");
	assert_int_equal(stat_of(st, "rotations"), 0);
	ops->destroy(st);
}

/* logrotate: rename, then SIGHUP. Buffered lines belong to the old file. */
static void test_reopen_after_rename(void **state)
{
	struct fx *fx = *state;
	void *st = make_connected(fx, NULL);
	char err[512], *got, old[256];

	snprintf(old, sizeof(old), "%s.old", fx->path);
	send_str(st, "old1");
	assert_int_equal(ops->flush(st), 0);
	send_str(st, "old2"); /* still buffered */
	assert_int_equal(rename(fx->path, old), 0);
	assert_int_equal(ops->reopen(st, err, sizeof(err)), 0);
	assert_true(exists(fx->path));
	assert_mode_0600(fx->path);
	send_str(st, "new1");
	send_str(st, "new2");
	assert_int_equal(ops->flush(st), 0);
	got = slurp(old, false, NULL);
	assert_string_equal(got, "old1\nold2\n");
	free(got);
	got = slurp(fx->path, false, NULL);
	assert_string_equal(got, "new1\nnew2\n");
	free(got);
	/* without a rename, reopen goes on appending */
	assert_int_equal(ops->reopen(st, err, sizeof(err)), 0);
	send_str(st, "new3");
	ops->destroy(st);
	got = slurp(fx->path, false, NULL);
	assert_string_equal(got, "new1\nnew2\nnew3\n");
	free(got);
}

/* Files of this process may grow to 10000 bytes (a full disk, as a write
 * sees it: EFBIG part-way, SIGXFSZ ignored); *old: the limit to restore. */
static void limit_file_size(struct rlimit *old)
{
	struct rlimit lim;

	assert_int_equal(getrlimit(RLIMIT_FSIZE, old), 0);
	lim = *old;
	lim.rlim_cur = 10000;
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
}

/* A write error: send fails with -errno once the buffer cannot drain,
 * nothing acknowledged is lost, no line is split, and a reconnect writes the
 * rest. RLIMIT_FSIZE makes write() fail with EFBIG part-way. */
static void test_write_error(void **state)
{
	struct fx *fx = *state;
	void *st = make_connected(fx, "max_size_mb=0");
	struct rlimit old;
	char line[400], err[512], *all, *got;
	size_t len = 0, got_len;
	int i, rc = 0, l;

	all = malloc(4000 * 400);
	assert_non_null(all);
	limit_file_size(&old);
	for (i = 0; i < 4000; i++) {
		l = make_line(line, sizeof(line), i);
		rc = ops->send(st, line, l, "test");
		if (rc)
			break;
		memcpy(all + len, line, l);
		all[len + l] = '\n';
		len += l + 1;
		if (i % 10 == 9) {
			int frc = ops->flush(st);

			assert_true(frc == 0 || frc == -EFBIG);
		}
	}
	assert_int_equal(rc, -EFBIG);
	assert_true(stat_of(st, "write_errors") > 0);
	got = slurp(fx->path, false, &got_len);
	assert_true(got_len > 0 && got_len <= 10000);
	/* whole lines only, and exactly the first ones */
	assert_int_equal(got[got_len - 1], '\n');
	assert_memory_equal(got, all, got_len);
	free(got);
	assert_true(stat_of(st, "buffered_bytes") > 0);

	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	ops->disconnect(st);
	assert_int_equal(ops->send(st, "x", 1, "test"), -ENOTCONN);
	assert_int_equal(ops->connect(st, err, sizeof(err)), 0);
	assert_int_equal(ops->flush(st), 0);
	got = slurp(fx->path, false, &got_len);
	assert_int_equal(got_len, len);
	assert_memory_equal(got, all, len);
	free(got);
	ops->destroy(st);
	signal(SIGXFSZ, SIG_DFL);
	free(all);
}

/* take_unsent's callback: the lines handed back, joined with '\n'. */
static void collect_unsent(const char *line, size_t len, const char *type, void *arg)
{
	char *out = arg;

	(void)type;
	strncat(out, line, len);
	strcat(out, "\n");
}

/* At stop with the disk full: the lines accepted but still buffered are
 * handed back (the runner spools them for the next run), none lost, none
 * twice; what was written stays. */
static void test_take_unsent_when_full(void **state)
{
	struct fx *fx = *state;
	void *st = make_connected(fx, "max_size_mb=0");
	struct rlimit old;
	char line[400], *all, *back, *got;
	size_t len = 0, got_len;
	int i, l;

	all = calloc(1, 400 * 400);
	back = calloc(1, 400 * 400);
	assert_non_null(all);
	assert_non_null(back);
	limit_file_size(&old);
	for (i = 0; i < 400; i++) { /* past the limit: a send fails */
		l = make_line(line, sizeof(line), i);
		if (ops->send(st, line, l, "test"))
			break;
		memcpy(all + len, line, l);
		all[len + l] = '\n';
		len += l + 1;
	}
	assert_true(ops->take_unsent(st, collect_unsent, back) > 0);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	got = slurp(fx->path, false, &got_len);
	assert_true(got_len > 0 && got_len < len);
	/* the file, then what came back, are every line accepted, in order */
	assert_memory_equal(got, all, got_len);
	assert_int_equal(strlen(back), len - got_len);
	assert_memory_equal(back, all + got_len, len - got_len);
	assert_int_equal(stat_of(st, "buffered_bytes"), 0);
	/* nothing left to hand back, nor to write */
	back[0] = '\0';
	assert_int_equal(ops->take_unsent(st, collect_unsent, back), 0);
	ops->destroy(st);
	signal(SIGXFSZ, SIG_DFL);
	free(got);
	free(all);
	free(back);
}

static void test_stats_keys(void **state)
{
	struct fx *fx = *state;
	void *st = make_connected(fx, NULL);
	static const char *const keys[] = { "rotations", "rotate_failed", "compress_failed",
					    "write_errors", "bytes_written", "lines",
					    "buffered_bytes", "file_size" };

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		stat_of(st, keys[i]);
	ops->destroy(st);
}

/* ---- refusals ---- */

static void refused(const struct fx *fx, const char *query, const char *want)
{
	char err[512];
	void *st = make(fx, query, err, sizeof(err));

	if (st) {
		ops->destroy(st);
		fail_msg("'%s' was accepted", query ? query : fx->path);
	}
	assert_err_has(err, want);
}

static void test_refuse_relative_path(void **state)
{
	struct sink_spec spec = { .uri = "file://rel", .scheme = "file", .path = "rel/events.jsonl" };
	char err[512] = "";

	spec.options = json_object();
	assert_null(ops->create(&spec, err, sizeof(err)));
	assert_err_has(err, "must be absolute");
	spec.path = NULL;
	assert_null(ops->create(&spec, err, sizeof(err)));
	assert_err_has(err, "must be absolute");
	json_decref(spec.options);
}

static void test_refuse_missing_dir(void **state)
{
	struct fx *fx = *state;

	snprintf(fx->path, sizeof(fx->path), "%s/nope/events.jsonl", fx->dir);
	refused(fx, NULL, "does not exist");
	refused(fx, NULL, "mkdir");
	/* the parent is a file */
	snprintf(fx->path, sizeof(fx->path), "%s/f", fx->dir);
	assert_int_equal(close(open(fx->path, O_WRONLY | O_CREAT, 0600)), 0);
	snprintf(fx->path, sizeof(fx->path), "%s/f/events.jsonl", fx->dir);
	refused(fx, NULL, "not a directory");
}

static void test_refuse_directory(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(mkdir(fx->path, 0700), 0);
	refused(fx, NULL, "is a directory");
	snprintf(fx->path, sizeof(fx->path), "%s/", fx->dir);
	refused(fx, NULL, "names a directory");
}

static void test_refuse_readable_file(void **state)
{
	struct fx *fx = *state;
	int fd = open(fx->path, O_WRONLY | O_CREAT, 0644);

	assert_true(fd >= 0);
	close(fd);
	refused(fx, NULL, "chmod 600");
	refused(fx, NULL, "0644");
	assert_int_equal(chmod(fx->path, 0640), 0);
	refused(fx, NULL, "0640");
	assert_int_equal(chmod(fx->path, 0600), 0);
	ops->destroy(make_connected(fx, NULL));
}

static void test_refuse_symlink(void **state)
{
	struct fx *fx = *state;
	char target[256], err[512];
	void *st;
	int fd;

	snprintf(target, sizeof(target), "%s/target", fx->dir);
	fd = open(target, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(symlink(target, fx->path), 0);
	refused(fx, NULL, "symbolic link");

	/* a link that appears between create() and connect() */
	assert_int_equal(unlink(fx->path), 0);
	st = make(fx, NULL, err, sizeof(err));
	assert_non_null(st);
	assert_int_equal(symlink(target, fx->path), 0);
	assert_int_equal(ops->connect(st, err, sizeof(err)), -ELOOP);
	assert_err_has(err, "symbolic link");
	ops->destroy(st);
	/* nothing was written through it */
	{
		struct stat sb;

		assert_int_equal(stat(target, &sb), 0);
		assert_int_equal(sb.st_size, 0);
	}
}

/* A FIFO must be refused without opening it (an open would block). */
static void test_refuse_fifo(void **state)
{
	struct fx *fx = *state;
	char err[512];
	void *st;

	assert_int_equal(mkfifo(fx->path, 0600), 0);
	refused(fx, NULL, "not a regular file");
	assert_int_equal(unlink(fx->path), 0);
	st = make(fx, NULL, err, sizeof(err));
	assert_non_null(st);
	assert_int_equal(mkfifo(fx->path, 0600), 0);
	assert_int_not_equal(ops->connect(st, err, sizeof(err)), 0);
	ops->destroy(st);
}

static void test_refuse_bad_options(void **state)
{
	struct fx *fx = *state;
	static const struct {
		const char *query, *want;
	} cases[] = {
		{ "max_size_mb=abc", "max_size_mb='abc' is not an integer" },
		{ "max_size_mb=-1", "max_size_mb=-1 is out of range" },
		{ "max_size_bytes=100", "max_size_bytes=100 is out of range" },
		{ "max_size_mb=1&max_size_bytes=8192", "not both" },
		{ "keep=-1", "keep=-1 is out of range" },
		{ "keep=x", "keep='x' is not an integer" },
		{ "keep=100000", "keep=100000 is out of range" },
		{ "max_age_s=-5", "max_age_s=-5 is out of range" },
		{ "max_age_s=1d", "max_age_s='1d' is not an integer" },
		{ "compress=maybe", "compress must be true or false" },
		{ "mode=0644", "remove the mode option" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		refused(fx, cases[i].query, cases[i].want);
	/* and what is accepted */
	ops->destroy(make_connected(fx, "max_size_mb=1&max_age_s=0&keep=0&compress=no&mode=0600"));
	ops->destroy(make_connected(fx, "compress=TRUE&max_size_bytes=4096"));
}

/* Options from a config entry: JSON numbers and booleans. */
static void test_config_entry_options(void **state)
{
	struct fx *fx = *state;
	struct sink_spec spec;
	char uri[256], err[512];
	json_t *entry = json_pack("{s:i, s:i, s:b}", "max_size_bytes", 4096, "keep", 1,
				  "compress", 0);
	size_t starts[100];
	int nstarts;
	void *st;
	char *all;

	snprintf(uri, sizeof(uri), "file://%s", fx->path);
	assert_int_equal(sink_spec_parse(uri, entry, &spec, err, sizeof(err)), 0);
	st = ops->create(&spec, err, sizeof(err));
	assert_non_null(st);
	sink_spec_free(&spec);
	json_decref(entry);
	assert_int_equal(ops->connect(st, err, sizeof(err)), 0);
	all = send_lines(st, 80, 4096, starts, &nstarts);
	assert_int_equal(ops->flush(st), 0);
	assert_true(nstarts >= 2);
	check_files(fx, all, starts, nstarts, 1, false, 4096);
	assert_false(exists(name(fx, 2, "")));
	ops->destroy(st);
	free(all);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup_dir, teardown_dir)
	const struct CMUnitTest tests[] = {
		T(test_write_flush_mode),
		T(test_rotate_size_all_kept),
		T(test_rotate_keep_deletes_oldest),
		T(test_rotate_uncompressed),
		T(test_rotate_keep_zero),
		T(test_rotate_smaller_keep_prunes),
		T(test_rotate_big_line),
		T(test_rotate_exact_fit),
		T(test_rotate_age),
		T(test_reopen_after_rename),
		T(test_write_error),
		T(test_take_unsent_when_full),
		T(test_stats_keys),
		T(test_refuse_relative_path),
		T(test_refuse_missing_dir),
		T(test_refuse_directory),
		T(test_refuse_readable_file),
		T(test_refuse_symlink),
		T(test_refuse_fifo),
		T(test_refuse_bad_options),
		T(test_config_entry_options),
	};

	/* A blocking open would hang the run; fail it instead. */
	alarm(120);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
