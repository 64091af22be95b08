// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The file:///PATH sink: JSON Lines appended to a file only we can read,
 * rotated by size and age to PATH.1.gz (newest) ... PATH.KEEP.gz, and
 * reopened on SIGHUP for logrotate. docs/sinks-file.md has the options.
 *
 * Lines are buffered; a line is acknowledged once it is in the buffer, and
 * the buffer survives write errors and disconnect()/connect(), so an
 * acknowledged line is written later or (destroy) logged as lost, never
 * silently dropped. A failed write cuts the file back to its last whole
 * line, so no line is ever split or written twice. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include "log.h"
#include "sink.h"

#define SINK_FILE_BUF (64 * 1024)   /* write buffer, bytes; also the gzip read chunk */
#define SINK_FILE_MAX_KEEP 1000     /* rotated files */
#define SINK_FILE_RETRY_S 60        /* after a failed rotation, s */
#define SINK_FILE_GZ_MODE "wb3"     /* level 3: a 100 MiB rotation stalls ~0.3 s */

struct sink_file {
	char *uri;            /* for messages */
	char *path;
	char *dir;            /* parent of path, for the directory fsync */
	long long max_size;   /* bytes; 0 = never by size */
	long long max_age;    /* s; 0 = never by age */
	int keep;             /* rotated files kept */
	bool compress;
	int fd;               /* -1 while closed */
	char *buf;            /* accepted lines not yet written */
	size_t len, cap;      /* bytes */
	long long size;       /* bytes in the current file, buffered ones included */
	time_t born;          /* s since the epoch: start of the current file */
	time_t retry_at;      /* s; no rotation before this after a failed one */
	uint64_t rotations, rotate_failed, compress_failed, write_errors;
	uint64_t bytes;       /* written to files */
	uint64_t lines;       /* accepted */
};

/* A boolean option: JSON true/false, or true/false/yes/no/on/off/1/0. */
static int sink_file_opt_bool(const struct sink_spec *spec, const char *key, bool def, bool *out,
			      char *err, size_t n)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };
	json_t *v = json_object_get(spec->options, key);
	const char *s;

	*out = def;
	if (!v)
		return 0;
	if (json_is_boolean(v)) {
		*out = json_is_true(v);
		return 0;
	}
	if (json_is_integer(v) && (json_integer_value(v) == 0 || json_integer_value(v) == 1)) {
		*out = json_integer_value(v);
		return 0;
	}
	s = json_is_string(v) ? json_string_value(v) : "";
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcasecmp(s, yes[i]) || !strcasecmp(s, no[i])) {
			*out = !strcasecmp(s, yes[i]);
			return 0;
		}
	}
	snprintf(err, n, "sink '%s': option %s must be true or false", spec->uri, key);
	return -EINVAL;
}

/* The file sink always creates 0600; accept only a "mode" that says so. */
static int sink_file_opt_mode(const struct sink_spec *spec, char *err, size_t n)
{
	json_t *v = json_object_get(spec->options, "mode");

	if (!v || (json_is_string(v) && (!strcmp(json_string_value(v), "0600") ||
					  !strcmp(json_string_value(v), "600"))) ||
	    (json_is_integer(v) && json_integer_value(v) == 600))
		return 0;
	snprintf(err, n, "sink '%s': the file sink always writes mode 0600 (events name "
		 "credentials); remove the mode option", spec->uri);
	return -EINVAL;
}

/* What may already be at the path: a regular file of ours that only we can
 * read. st comes from lstat() or from fstat() of an O_NOFOLLOW open. */
static int sink_file_check_stat(const char *uri, const char *path, const struct stat *st,
				char *err, size_t n)
{
	if (S_ISLNK(st->st_mode)) {
		snprintf(err, n, "sink '%s': %s is a symbolic link and the file sink never follows "
			 "links; give the real path or remove the link", uri, path);
		return -ELOOP;
	}
	if (!S_ISREG(st->st_mode)) {
		snprintf(err, n, "sink '%s': %s is %s, not a regular file; give the path of a file",
			 uri, path, S_ISDIR(st->st_mode) ? "a directory" : "a device, FIFO or socket");
		return S_ISDIR(st->st_mode) ? -EISDIR : -EINVAL;
	}
	if (st->st_mode & 077) {
		snprintf(err, n, "sink '%s': %s has mode %04o and others could read the events; "
			 "chmod 600 %s or choose a new path", uri, path, st->st_mode & 07777, path);
		return -EPERM;
	}
	if (st->st_uid != geteuid()) {
		snprintf(err, n, "sink '%s': %s belongs to uid %u, not to idtrace (uid %u), so its "
			 "owner could read the events; chown %u %s or choose a new path", uri, path,
			 (unsigned)st->st_uid, (unsigned)geteuid(), (unsigned)geteuid(), path);
		return -EPERM;
	}
	return 0;
}

/* Everything about the path that can be checked without opening it (a FIFO
 * would block the open). */
static int sink_file_check_path(const struct sink_spec *spec, const char *path, const char *dir,
				char *err, size_t n)
{
	struct stat st;

	if (!path || path[0] != '/') {
		snprintf(err, n, "sink '%s': the path must be absolute "
			 "(file:///var/log/idtrace/events.jsonl)", spec->uri);
		return -EINVAL;
	}
	/* Room for ".1000.gz.tmp". */
	if (strlen(path) + 16 >= PATH_MAX) {
		snprintf(err, n, "sink '%s': the path is too long", spec->uri);
		return -ENAMETOOLONG;
	}
	if (path[strlen(path) - 1] == '/') {
		snprintf(err, n, "sink '%s': %s names a directory; give the path of a file in it "
			 "(%sevents.jsonl)", spec->uri, path, path);
		return -EISDIR;
	}
	if (stat(dir, &st)) {
		int rc = -errno;

		if (rc == -ENOENT)
			snprintf(err, n, "sink '%s': directory %s does not exist; create it "
				 "(mkdir -p -m 0750 %s) or choose another path", spec->uri, dir, dir);
		else
			snprintf(err, n, "sink '%s': cannot use directory %s: %s", spec->uri, dir,
				 strerror(-rc));
		return rc;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, n, "sink '%s': %s is not a directory", spec->uri, dir);
		return -ENOTDIR;
	}
	if (faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS)) {
		int rc = -errno;

		snprintf(err, n, "sink '%s': cannot create files in %s (%s); make it writable "
			 "by idtrace or choose another directory", spec->uri, dir, strerror(-rc));
		return rc;
	}
	if (lstat(path, &st)) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, n, "sink '%s': cannot stat %s: %s", spec->uri, path,
			 strerror(errno));
		return -errno;
	}
	return sink_file_check_stat(spec->uri, path, &st, err, n);
}

static void sink_file_free(struct sink_file *f)
{
	if (!f)
		return;
	free(f->uri);
	free(f->path);
	free(f->dir);
	free(f->buf);
	free(f);
}

static void *sink_file_create(const struct sink_spec *spec, char *err, size_t n)
{
	struct sink_file *f = calloc(1, sizeof(*f));
	long long mb, keep;
	char *slash;

	if (!f) {
		snprintf(err, n, "sink '%s': out of memory", spec->uri);
		return NULL;
	}
	f->fd = -1;
	f->cap = SINK_FILE_BUF;
	f->uri = strdup(spec->uri ? spec->uri : "file");
	f->path = spec->path ? strdup(spec->path) : NULL;
	f->buf = malloc(f->cap);
	if (!f->uri || (spec->path && !f->path) || !f->buf) {
		snprintf(err, n, "sink '%s': out of memory", spec->uri);
		goto fail;
	}
	if (json_object_get(spec->options, "max_size_mb") &&
	    json_object_get(spec->options, "max_size_bytes")) {
		snprintf(err, n, "sink '%s': give max_size_mb or max_size_bytes, not both",
			 spec->uri);
		goto fail;
	}
	if (sink_opt_int(spec, "max_size_mb", 100, 0, 1 << 20, &mb, err, n) ||
	    sink_opt_int(spec, "max_size_bytes", mb << 20, 4096, 1LL << 50, &f->max_size, err,
			 n) ||
	    sink_opt_int(spec, "max_age_s", 0, 0, 10LL * 366 * 86400, &f->max_age, err, n) ||
	    sink_opt_int(spec, "keep", 5, 0, SINK_FILE_MAX_KEEP, &keep, err, n) ||
	    sink_file_opt_bool(spec, "compress", true, &f->compress, err, n) ||
	    sink_file_opt_mode(spec, err, n))
		goto fail;
	f->keep = (int)keep;
	if (f->path && f->path[0] == '/') {
		f->dir = strdup(f->path);
		if (!f->dir) {
			snprintf(err, n, "sink '%s': out of memory", spec->uri);
			goto fail;
		}
		slash = strrchr(f->dir, '/');
		slash[slash == f->dir] = '\0'; /* "/x" -> "/" */
	}
	if (sink_file_check_path(spec, f->path, f->dir, err, n))
		goto fail;
	return f;
fail:
	sink_file_free(f);
	return NULL;
}

/* When the file at fd was started: its birth time where the filesystem
 * keeps one, but never later than its last write (a file copied with its
 * times, or backdated, counts as old). */
static time_t sink_file_birth(int fd, const struct stat *st)
{
	struct statx stx;
	time_t t = st->st_mtime;

	if (!statx(fd, "", AT_EMPTY_PATH, STATX_BTIME, &stx) && (stx.stx_mask & STATX_BTIME) &&
	    stx.stx_btime.tv_sec < t)
		t = stx.stx_btime.tv_sec;
	return t;
}

/* Open (or create, 0600) the file at the path; the buffer is not written. */
static int sink_file_open(struct sink_file *f, char *err, size_t n)
{
	struct stat st;
	int fd, rc;

	/* O_NONBLOCK: a FIFO swapped in after create() fails instead of blocking;
	 * it changes nothing for a regular file. */
	fd = open(f->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK,
		  0600);
	if (fd < 0) {
		rc = -errno;
		if (rc == -ELOOP)
			snprintf(err, n, "sink '%s': %s is a symbolic link and the file sink never "
				 "follows links; remove the link", f->uri, f->path);
		else
			snprintf(err, n, "sink '%s': cannot open %s: %s", f->uri, f->path,
				 strerror(-rc));
		return rc;
	}
	if (fstat(fd, &st)) {
		rc = -errno;
		snprintf(err, n, "sink '%s': cannot stat %s: %s", f->uri, f->path, strerror(-rc));
		goto fail;
	}
	rc = sink_file_check_stat(f->uri, f->path, &st, err, n);
	if (rc)
		goto fail;
	f->fd = fd;
	f->size = st.st_size + f->len;
	/* An empty file starts with its first line. */
	f->born = st.st_size ? sink_file_birth(fd, &st) : time(NULL);
	f->retry_at = 0;
	return 0;
fail:
	close(fd);
	return rc;
}

static void sink_file_close(struct sink_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
}

/* Write the buffer out. On failure keep what was not written, after cutting
 * the file back to its last whole line, so a line is never split across
 * files nor written twice. */
static int sink_file_drain(struct sink_file *f)
{
	size_t done = 0, whole;
	const char *nl;
	struct stat st;
	int rc = 0;

	if (!f->len)
		return 0;
	if (f->fd < 0)
		return -ENOTCONN;
	while (done < f->len) {
		ssize_t w = write(f->fd, f->buf + done, f->len - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			rc = w < 0 ? -errno : -EIO;
			break;
		}
		done += w;
	}
	if (rc) {
		f->write_errors++;
		nl = done ? memrchr(f->buf, '\n', done) : NULL;
		whole = nl ? (size_t)(nl - f->buf) + 1 : 0;
		/* If the cut fails, the rest of the line is still written next
		 * time, to the same file unless it is reopened first. */
		if (whole < done && !fstat(f->fd, &st) &&
		    !ftruncate(f->fd, st.st_size - (off_t)(done - whole)))
			done = whole;
	}
	f->bytes += done;
	memmove(f->buf, f->buf + done, f->len - done);
	f->len -= done;
	return rc;
}

static void sink_file_fsync_dir(struct sink_file *f)
{
	int fd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

/* PATH.i or PATH.i.gz (i > 0), or PATH (i == 0). */
static void sink_file_name(const struct sink_file *f, char *out, int i, const char *ext)
{
	if (i)
		snprintf(out, PATH_MAX, "%s.%d%s", f->path, i, ext);
	else
		snprintf(out, PATH_MAX, "%s%s", f->path, ext);
}

/* Make room for PATH.1: drop PATH.keep and anything older (a smaller keep
 * than last run leaves some), then move each PATH.i[.gz] to PATH.i+1. */
static void sink_file_shift(struct sink_file *f)
{
	static const char *const ext[] = { "", ".gz" };
	char from[PATH_MAX], to[PATH_MAX];
	bool found = true;

	for (int i = f->keep; found && i <= SINK_FILE_MAX_KEEP + 1; i++) {
		found = false;
		for (int e = 0; e < 2; e++) {
			sink_file_name(f, from, i, ext[e]);
			if (!unlink(from))
				found = true;
			else if (errno != ENOENT)
				log_warn("sink '%s': cannot remove %s: %s", f->uri, from,
					 strerror(errno));
		}
	}
	for (int i = f->keep - 1; i >= 1; i--) {
		for (int e = 0; e < 2; e++) {
			sink_file_name(f, from, i, ext[e]);
			sink_file_name(f, to, i + 1, ext[e]);
			if (rename(from, to) && errno != ENOENT)
				log_warn("sink '%s': cannot rename %s to %s: %s", f->uri, from, to,
					 strerror(errno));
		}
	}
}

/* Gzip src to src.gz (0600, via a temporary, fsync'ed) and remove src,
 * streaming through the (empty) line buffer. On failure src stays. */
static int sink_file_compress(struct sink_file *f, const char *src)
{
	char dst[PATH_MAX], tmp[PATH_MAX];
	int in, out = -1, zfd, rc;
	gzFile gz = NULL;
	ssize_t r;

	snprintf(dst, sizeof(dst), "%s.gz", src);
	snprintf(tmp, sizeof(tmp), "%s.gz.tmp", src);
	in = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (in < 0) {
		rc = -errno;
		goto out;
	}
	if (unlink(tmp) && errno != ENOENT) {
		rc = -errno;
		goto out;
	}
	out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (out < 0) {
		rc = -errno;
		goto out;
	}
	/* gzclose() closes its descriptor; keep ours for the fsync. */
	zfd = fcntl(out, F_DUPFD_CLOEXEC, 0);
	if (zfd < 0) {
		rc = -errno;
		goto out;
	}
	gz = gzdopen(zfd, SINK_FILE_GZ_MODE);
	if (!gz) {
		close(zfd);
		rc = -ENOMEM;
		goto out;
	}
	for (;;) {
		r = read(in, f->buf, f->cap);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = -errno;
			goto out;
		}
		if (!r)
			break;
		if (gzwrite(gz, f->buf, (unsigned)r) != r) {
			rc = -EIO;
			goto out;
		}
	}
	rc = gzclose(gz) == Z_OK ? 0 : -EIO;
	gz = NULL;
	if (!rc && fsync(out))
		rc = -errno;
	if (!rc && rename(tmp, dst))
		rc = -errno;
	if (!rc)
		unlink(src);
out:
	if (gz)
		gzclose(gz);
	if (out >= 0)
		close(out);
	if (in >= 0)
		close(in);
	if (rc) {
		unlink(tmp);
		f->compress_failed++;
		log_warn("sink '%s': cannot compress %s (%s); it stays uncompressed", f->uri, src,
			 strerror(-rc));
	}
	return rc;
}

/* Start a new file: PATH -> PATH.1[.gz], older ones shifted up. A failed
 * rename leaves the current file growing (retried in a minute) rather than
 * stopping the events; only a failure to write or to open the new file
 * is returned. */
static int sink_file_rotate(struct sink_file *f, time_t now)
{
	char first[PATH_MAX], err[512];
	int rc;

	rc = sink_file_drain(f);
	if (rc)
		return rc;
	sink_file_name(f, first, 1, "");
	if (f->keep) {
		sink_file_shift(f);
		rc = rename(f->path, first) ? -errno : 0;
	} else {
		rc = unlink(f->path) ? -errno : 0;
	}
	if (rc) {
		f->rotate_failed++;
		f->retry_at = now + SINK_FILE_RETRY_S;
		log_warn("sink '%s': cannot rotate %s: %s; writing on to it", f->uri, f->path,
			 strerror(-rc));
		return 0;
	}
	sink_file_close(f);
	f->rotations++;
	rc = sink_file_open(f, err, sizeof(err));
	if (rc)
		log_err("%s", err);
	sink_file_fsync_dir(f);
	if (f->keep && f->compress)
		sink_file_compress(f, first);
	return rc;
}

static int sink_file_connect(void *st, char *err, size_t n)
{
	struct sink_file *f = st;
	int rc;

	if (f->fd >= 0)
		return 0;
	rc = sink_file_open(f, err, n);
	if (rc)
		return rc;
	rc = sink_file_drain(f);
	if (rc) {
		snprintf(err, n, "sink '%s': cannot write to %s: %s", f->uri, f->path,
			 strerror(-rc));
		sink_file_close(f);
	}
	return rc;
}

static int sink_file_send(void *st, const char *line, size_t len, const char *type)
{
	struct sink_file *f = st;
	size_t need = len + 1;
	time_t now;
	int rc;

	if (f->fd < 0)
		return -ENOTCONN;
	if (f->size > 0 && (f->max_size || f->max_age)) {
		now = time(NULL);
		if (now >= f->retry_at &&
		    ((f->max_size && f->size + (long long)need > f->max_size) ||
		     (f->max_age && now - f->born >= f->max_age))) {
			rc = sink_file_rotate(f, now);
			if (rc)
				return rc;
		}
	}
	if (f->len + need > f->cap) {
		rc = sink_file_drain(f);
		if (rc)
			return rc;
		if (need > f->cap) {
			char *b = realloc(f->buf, need);

			if (!b)
				return -ENOMEM;
			f->buf = b;
			f->cap = need;
		}
	}
	memcpy(f->buf + f->len, line, len);
	f->buf[f->len + len] = '\n';
	f->len += need;
	f->size += need;
	f->lines++;
	return 0;
}

static int sink_file_flush(void *st)
{
	return sink_file_drain(st);
}

static void sink_file_disconnect(void *st)
{
	sink_file_close(st);
}

/* SIGHUP: what is buffered goes to the old file (logrotate has renamed it),
 * then the path is opened again, creating a new file if it is gone. */
static int sink_file_reopen(void *st, char *err, size_t n)
{
	struct sink_file *f = st;

	sink_file_drain(f);
	sink_file_close(f);
	return sink_file_open(f, err, n);
}

static void sink_file_stats(void *st, json_t *obj)
{
	struct sink_file *f = st;

	json_object_set_new(obj, "rotations", json_integer(f->rotations));
	json_object_set_new(obj, "rotate_failed", json_integer(f->rotate_failed));
	json_object_set_new(obj, "compress_failed", json_integer(f->compress_failed));
	json_object_set_new(obj, "write_errors", json_integer(f->write_errors));
	json_object_set_new(obj, "bytes_written", json_integer(f->bytes));
	json_object_set_new(obj, "lines", json_integer(f->lines));
	json_object_set_new(obj, "buffered_bytes", json_integer(f->len));
	json_object_set_new(obj, "file_size", json_integer(f->size));
}

/* At stop: the lines accepted but still buffered when the last write
 * failed (a full disk) go back to the runner, which spools them for the
 * next run; the lines count is then only of those written or kept. */
static size_t sink_file_take_unsent(void *st,
				    void (*cb)(const char *line, size_t len, const char *type,
					       void *arg),
				    void *arg)
{
	struct sink_file *f = st;
	size_t n = 0, off = 0;

	if (!f || !f->len || !sink_file_drain(f))
		return 0;
	while (off < f->len) {
		const char *nl = memchr(f->buf + off, '\n', f->len - off);
		size_t len = nl ? (size_t)(nl - (f->buf + off)) : f->len - off;

		cb(f->buf + off, len, NULL, arg);
		n++;
		off += len + 1;
	}
	f->len = 0;
	f->lines = f->lines > n ? f->lines - n : 0;
	log_warn("sink '%s': %zu events could not be written to %s at exit; handed back to be "
		 "kept for the next run", f->uri, n, f->path);
	return n;
}

static void sink_file_destroy(void *st)
{
	struct sink_file *f = st;

	if (!f)
		return;
	if (sink_file_drain(f))
		log_err("sink '%s': %zu bytes of events could not be written to %s", f->uri,
			f->len, f->path);
	sink_file_close(f);
	sink_file_free(f);
}

/* What sink_file_create reads. */
static const char *const sink_file_options[] = { "max_size_mb", "max_size_bytes", "max_age_s",
						  "keep", "compress", "mode", NULL };

const struct sink_ops sink_file_ops = {
	.scheme = "file",
	.options = sink_file_options,
	.create = sink_file_create,
	.connect = sink_file_connect,
	.send = sink_file_send,
	.flush = sink_file_flush,
	.disconnect = sink_file_disconnect,
	.take_unsent = sink_file_take_unsent,
	.reopen = sink_file_reopen,
	.stats = sink_file_stats,
	.destroy = sink_file_destroy,
};
