// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The on-disk FIFO behind each sink (spool.h).
 *
 * Layout of a segment file: the 8-byte magic "IDSPOOL1", then records:
 *   le32 line_len, le16 type_len, le16 zero, le32 crc32, type, line
 * where the CRC covers the first 8 header bytes, the type and the line.
 * The "cursor" file holds le64 segment number, le64 offset, le32 crc32 of
 * those 16 bytes, le32 zero. Everything is opened relative to the
 * directory's descriptor with O_NOFOLLOW. */
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <zlib.h>
#include "log.h"
#include "spool.h"

#define SEG_MAGIC "IDSPOOL1"
#define SEG_HDR 8u
#define REC_HDR 12u
#define CURSOR_NAME "cursor"
#define CURSOR_LEN 24u
/* Write the read position after this many consumed records. */
#define CURSOR_EVERY 64u

struct spool_seg {
	uint64_t no;
	uint64_t end;  /* bytes of valid records (from 0, magic included) */
	uint64_t size; /* bytes on disk; > end only after damage */
};

struct spool {
	int dfd;
	char *dir;
	uint64_t max_bytes, seg_bytes;
	struct spool_seg *segs; /* oldest first */
	size_t nseg, cap;
	uint64_t next_no;
	int rfd, wfd, cfd;
	uint64_t rno, wno; /* segments rfd and wfd are open on */
	uint64_t roff;     /* read position in segs[0] */
	uint64_t disk, lines;
	char *buf;
	size_t bufcap;
	size_t peeked; /* bytes of the record spool_peek() returned; 0: none */
	size_t rec_tl; /* type length of the record rec_read() read last */
	unsigned since_sync;
};

static void seg_name(uint64_t no, char *buf, size_t n)
{
	snprintf(buf, n, "%010" PRIu64 ".spool", no);
}

static bool seg_parse_name(const char *name, uint64_t *no)
{
	uint64_t v = 0;

	for (int i = 0; i < 10; i++) {
		if (name[i] < '0' || name[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(name[i] - '0');
	}
	if (strcmp(name + 10, ".spool") || !v)
		return false;
	*no = v;
	return true;
}

static int read_full(int fd, void *buf, size_t len, uint64_t off)
{
	char *p = buf;

	while (len) {
		ssize_t r = pread(fd, p, len, (off_t)off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -EBADMSG; /* short: a torn tail */
		p += r;
		len -= (size_t)r;
		off += (uint64_t)r;
	}
	return 0;
}

static int buf_reserve(struct spool *s, size_t need)
{
	char *p;

	if (need <= s->bufcap)
		return 0;
	p = realloc(s->buf, need);
	if (!p)
		return -ENOMEM;
	s->buf = p;
	s->bufcap = need;
	return 0;
}

/* Read and check the record at off (before end) of fd into s->buf: the type
 * at buf, the line after the type's NUL. Returns 0 with *reclen, -EBADMSG
 * when the record is damaged or torn, or -errno. */
static int rec_read(struct spool *s, int fd, uint64_t off, uint64_t end, size_t *reclen)
{
	unsigned char h[REC_HDR];
	uint32_t ll, tl, crc, want;
	uint16_t v16, zero;
	int err;

	if (end - off < REC_HDR)
		return -EBADMSG;
	err = read_full(fd, h, sizeof(h), off);
	if (err)
		return err;
	memcpy(&ll, h, 4);
	memcpy(&v16, h + 4, 2);
	memcpy(&zero, h + 6, 2);
	memcpy(&want, h + 8, 4);
	ll = le32toh(ll);
	tl = le16toh(v16);
	if (zero || tl > SPOOL_MAX_TYPE || ll > SPOOL_MAX_LINE ||
	    end - off - REC_HDR < (uint64_t)tl + ll)
		return -EBADMSG;
	err = buf_reserve(s, tl + 1 + ll + 1);
	if (err)
		return err;
	err = read_full(fd, s->buf, tl, off + REC_HDR);
	if (!err)
		err = read_full(fd, s->buf + tl + 1, ll, off + REC_HDR + tl);
	if (err)
		return err;
	s->buf[tl] = '\0';
	s->buf[tl + 1 + ll] = '\0';
	crc = (uint32_t)crc32(0, h, 8);
	crc = (uint32_t)crc32(crc, (const Bytef *)s->buf, tl);
	crc = (uint32_t)crc32(crc, (const Bytef *)s->buf + tl + 1, ll);
	if (crc != le32toh(want))
		return -EBADMSG;
	*reclen = REC_HDR + tl + ll;
	s->rec_tl = tl;
	return 0;
}

static int seg_push(struct spool *s, uint64_t no, uint64_t end, uint64_t size)
{
	if (s->nseg == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		struct spool_seg *p = realloc(s->segs, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		s->segs = p;
		s->cap = cap;
	}
	s->segs[s->nseg++] = (struct spool_seg){ .no = no, .end = end, .size = size };
	return 0;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void seg_unlink(struct spool *s, uint64_t no)
{
	char name[32];

	seg_name(no, name, sizeof(name));
	if (unlinkat(s->dfd, name, 0) && errno != ENOENT)
		log_warn("spool %s: cannot delete %s: %s", s->dir, name, strerror(errno));
}

static int cursor_write(struct spool *s)
{
	unsigned char c[CURSOR_LEN] = { 0 };
	uint64_t no, off;
	uint32_t crc;

	s->since_sync = 0;
	if (!s->nseg) {
		close_fd(&s->cfd);
		if (unlinkat(s->dfd, CURSOR_NAME, 0) && errno != ENOENT)
			return -errno;
		return 0;
	}
	if (s->cfd < 0) {
		s->cfd = openat(s->dfd, CURSOR_NAME, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
				0600);
		if (s->cfd < 0)
			return -errno;
	}
	no = htole64(s->segs[0].no);
	off = htole64(s->roff);
	memcpy(c, &no, 8);
	memcpy(c + 8, &off, 8);
	crc = htole32((uint32_t)crc32(0, c, 16));
	memcpy(c + 16, &crc, 4);
	if (pwrite(s->cfd, c, sizeof(c), 0) != (ssize_t)sizeof(c))
		return errno ? -errno : -EIO;
	return 0;
}

int spool_sync(struct spool *s)
{
	return cursor_write(s);
}

/* The cursor an earlier run left, or false. */
static bool cursor_read(int dfd, uint64_t *no, uint64_t *off)
{
	unsigned char c[CURSOR_LEN];
	uint32_t crc;
	int fd = openat(dfd, CURSOR_NAME, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	bool ok;

	if (fd < 0)
		return false;
	ok = read_full(fd, c, sizeof(c), 0) == 0;
	close(fd);
	if (!ok)
		return false;
	memcpy(&crc, c + 16, 4);
	if (le32toh(crc) != (uint32_t)crc32(0, c, 16))
		return false;
	memcpy(no, c, 8);
	memcpy(off, c + 8, 8);
	*no = le64toh(*no);
	*off = le64toh(*off);
	return true;
}

static int mkdir_parents(const char *dir)
{
	char *p = strdup(dir), *slash;
	int err = 0;

	if (!p)
		return -ENOMEM;
	for (slash = strchr(p + 1, '/');; slash = strchr(slash + 1, '/')) {
		if (slash)
			*slash = '\0';
		if (*p && mkdir(p, 0700) && errno != EEXIST) {
			err = -errno;
			break;
		}
		if (!slash)
			break;
		*slash = '/';
	}
	free(p);
	return err;
}

static int dir_open(struct spool *s, const char *dir, char *err, size_t n)
{
	struct stat st;
	int rc;

	s->dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (s->dfd < 0 && errno == ENOENT) {
		rc = mkdir_parents(dir);
		if (rc) {
			snprintf(err, n, "cannot create spool directory %s: %s (create it, mode 0700, "
				 "or choose another state directory)", dir, strerror(-rc));
			return rc;
		}
		s->dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (s->dfd < 0) {
		rc = -errno;
		if (rc == -ELOOP || rc == -ENOTDIR)
			snprintf(err, n, "spool directory %s is a symlink or not a directory: "
				 "point the state directory at a real directory", dir);
		else
			snprintf(err, n, "cannot open spool directory %s: %s", dir, strerror(-rc));
		return rc;
	}
	if (fstat(s->dfd, &st))
		return -errno;
	if (st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH))) {
		snprintf(err, n, "spool directory %s is %s: others could forge or read events; "
			 "chown it to this user and chmod 700 it", dir,
			 st.st_uid != geteuid() ? "owned by another user" : "writable by group or others");
		return -EPERM;
	}
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Segment numbers found in the directory, sorted. */
static int dir_list(struct spool *s, uint64_t **out, size_t *count)
{
	int fd = openat(s->dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	uint64_t *nos = NULL, no;
	size_t cnt = 0, cap = 0;
	struct dirent *de;
	DIR *d;

	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while ((de = readdir(d))) {
		if (!seg_parse_name(de->d_name, &no))
			continue;
		if (cnt == cap) {
			uint64_t *p = realloc(nos, (cap = cap ? cap * 2 : 16) * sizeof(*p));

			if (!p) {
				free(nos);
				closedir(d);
				return -ENOMEM;
			}
			nos = p;
		}
		nos[cnt++] = no;
	}
	closedir(d);
	if (cnt)
		qsort(nos, cnt, sizeof(*nos), cmp_u64);
	*out = nos;
	*count = cnt;
	return 0;
}

/* Check one segment left by an earlier run from off on: count its records
 * and find where the valid ones end. The last segment is cut back to that
 * point so new records follow a good one. */
static int seg_scan(struct spool *s, uint64_t no, uint64_t off, bool last)
{
	char name[32], magic[SEG_HDR];
	uint64_t end, lines = 0;
	size_t reclen;
	struct stat st;
	int fd, rc;

	seg_name(no, name, sizeof(name));
	fd = openat(s->dfd, name, (last ? O_RDWR : O_RDONLY) | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		log_warn("spool %s: skipping %s: not a regular file", s->dir, name);
		if (fd >= 0)
			close(fd);
		return 0;
	}
	if (st.st_size < (off_t)SEG_HDR || read_full(fd, magic, SEG_HDR, 0) ||
	    memcmp(magic, SEG_MAGIC, SEG_HDR)) {
		/* Torn while being created, or not ours. */
		close(fd);
		if (st.st_size < (off_t)SEG_HDR)
			seg_unlink(s, no);
		else
			log_warn("spool %s: skipping %s: not a spool segment", s->dir, name);
		return 0;
	}
	if (off < SEG_HDR || off > (uint64_t)st.st_size)
		off = SEG_HDR;
	for (end = off; end < (uint64_t)st.st_size; end += reclen, lines++) {
		rc = rec_read(s, fd, end, (uint64_t)st.st_size, &reclen);
		if (rc == -EBADMSG)
			break;
		if (rc) {
			close(fd);
			return rc;
		}
	}
	if (end < (uint64_t)st.st_size) {
		log_warn("spool %s: %s: damaged or torn record at offset %" PRIu64
			 "; %" PRIu64 " bytes after it are discarded", s->dir, name, end,
			 (uint64_t)st.st_size - end);
		if (last && !ftruncate(fd, (off_t)end))
			st.st_size = (off_t)end;
	}
	close(fd);
	rc = seg_push(s, no, end, (uint64_t)st.st_size);
	if (rc)
		return rc;
	if (s->nseg == 1)
		s->roff = off;
	s->disk += (uint64_t)st.st_size;
	s->lines += lines;
	return 0;
}

static int spool_load(struct spool *s)
{
	uint64_t cno = 0, coff = 0, *nos = NULL;
	bool have_cursor = cursor_read(s->dfd, &cno, &coff);
	size_t cnt = 0, i;
	int rc;

	rc = dir_list(s, &nos, &cnt);
	if (rc)
		return rc;
	s->next_no = 1;
	if (have_cursor && cno >= s->next_no)
		s->next_no = cno + 1;
	for (i = 0; i < cnt; i++) {
		if (nos[i] >= s->next_no)
			s->next_no = nos[i] + 1;
		if (have_cursor && nos[i] < cno) {
			seg_unlink(s, nos[i]); /* read before the last run ended */
			continue;
		}
		rc = seg_scan(s, nos[i], have_cursor && nos[i] == cno ? coff : SEG_HDR,
			      i + 1 == cnt);
		if (rc)
			break;
	}
	free(nos);
	if (!rc && !s->nseg)
		rc = cursor_write(s); /* removes a stale cursor */
	if (!rc && s->lines)
		log_info("spool %s: %" PRIu64 " lines left by an earlier run will be sent first",
			 s->dir, s->lines);
	return rc;
}

int spool_open(const char *dir, uint64_t max_bytes, uint64_t segment_bytes, struct spool **out,
	       char *err, size_t n)
{
	struct spool *s = calloc(1, sizeof(*s));
	int rc;

	if (!s)
		return -ENOMEM;
	s->dfd = s->rfd = s->wfd = s->cfd = -1;
	s->max_bytes = max_bytes;
	s->roff = SEG_HDR;
	if (!segment_bytes) {
		segment_bytes = max_bytes / 8;
		if (segment_bytes < (64u << 10))
			segment_bytes = 64u << 10;
		if (segment_bytes > (16u << 20))
			segment_bytes = 16u << 20;
	}
	s->seg_bytes = segment_bytes;
	s->dir = strdup(dir);
	if (!s->dir) {
		rc = -ENOMEM;
		goto fail;
	}
	rc = dir_open(s, dir, err, n);
	if (rc)
		goto fail;
	rc = spool_load(s);
	if (rc) {
		snprintf(err, n, "cannot read spool %s: %s", dir, strerror(-rc));
		goto fail;
	}
	*out = s;
	return 0;
fail:
	spool_close(s);
	return rc;
}

void spool_close(struct spool *s)
{
	if (!s)
		return;
	if (s->dfd >= 0 && s->dir && cursor_write(s))
		log_warn("spool %s: cannot save the read position; some lines may be sent twice",
			 s->dir);
	close_fd(&s->rfd);
	close_fd(&s->wfd);
	close_fd(&s->cfd);
	close_fd(&s->dfd);
	free(s->segs);
	free(s->buf);
	free(s->dir);
	free(s);
}

static int seg_create(struct spool *s)
{
	char name[32];
	int fd = -1, rc;

	for (int tries = 0; tries < 100 && fd < 0; tries++) {
		seg_name(s->next_no++, name, sizeof(name));
		fd = openat(s->dfd, name,
			    O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 && errno != EEXIST)
			return -errno;
	}
	if (fd < 0)
		return -EEXIST;
	if (write(fd, SEG_MAGIC, SEG_HDR) != (ssize_t)SEG_HDR) {
		rc = errno ? -errno : -EIO;
		close(fd);
		unlinkat(s->dfd, name, 0);
		return rc;
	}
	rc = seg_push(s, s->next_no - 1, SEG_HDR, SEG_HDR);
	if (rc) {
		close(fd);
		unlinkat(s->dfd, name, 0);
		return rc;
	}
	close_fd(&s->wfd);
	s->wfd = fd;
	s->wno = s->next_no - 1;
	s->disk += SEG_HDR;
	if (s->nseg == 1)
		s->roff = SEG_HDR;
	return 0;
}

static int seg_open(struct spool *s, uint64_t no, int flags, int *fd, uint64_t *fd_no)
{
	char name[32];

	if (*fd >= 0 && *fd_no == no)
		return 0;
	close_fd(fd);
	seg_name(no, name, sizeof(name));
	*fd = openat(s->dfd, name, flags | O_NOFOLLOW | O_CLOEXEC);
	if (*fd < 0)
		return -errno;
	*fd_no = no;
	return 0;
}

static int append(struct spool *s, const char *line, size_t len, const char *type, bool bounded)
{
	size_t tl = type ? strlen(type) : 0;
	struct spool_seg *last = s->nseg ? &s->segs[s->nseg - 1] : NULL;
	unsigned char h[REC_HDR];
	uint32_t v32, crc;
	uint16_t v16;
	uint64_t rec = REC_HDR + tl + len;
	bool fresh = !last || last->size >= s->seg_bytes || last->end != last->size;
	struct iovec iov[3];
	ssize_t w;
	int rc;

	if (tl > SPOOL_MAX_TYPE || len > SPOOL_MAX_LINE)
		return -EMSGSIZE;
	if (bounded && s->disk + rec + (fresh ? SEG_HDR : 0) > s->max_bytes)
		return -ENOSPC;
	if (fresh)
		rc = seg_create(s);
	else
		rc = seg_open(s, last->no, O_WRONLY | O_APPEND, &s->wfd, &s->wno);
	if (rc)
		return rc;
	last = &s->segs[s->nseg - 1];

	v32 = htole32((uint32_t)len);
	memcpy(h, &v32, 4);
	v16 = htole16((uint16_t)tl);
	memcpy(h + 4, &v16, 2);
	memset(h + 6, 0, 2);
	crc = (uint32_t)crc32(0, h, 8);
	crc = (uint32_t)crc32(crc, (const Bytef *)(type ? type : ""), (uInt)tl);
	crc = (uint32_t)crc32(crc, (const Bytef *)line, (uInt)len);
	v32 = htole32(crc);
	memcpy(h + 8, &v32, 4);
	iov[0] = (struct iovec){ h, REC_HDR };
	iov[1] = (struct iovec){ (void *)(type ? type : ""), tl };
	iov[2] = (struct iovec){ (void *)line, len };
	do
		w = writev(s->wfd, iov, 3);
	while (w < 0 && errno == EINTR);
	if (w != (ssize_t)rec) {
		rc = w < 0 ? -errno : -ENOSPC;
		/* Never leave half a record for the reader. */
		if (w > 0 && ftruncate(s->wfd, (off_t)last->size)) {
			/* Could not cut it off: count it, and end == size
			 * no longer, so the next append starts a segment. */
			last->size += (uint64_t)w;
			s->disk += (uint64_t)w;
		}
		return rc;
	}
	last->end += rec;
	last->size += rec;
	s->disk += rec;
	s->lines++;
	return 0;
}

int spool_append(struct spool *s, const char *line, size_t len, const char *type)
{
	return append(s, line, len, type, true);
}

int spool_append_unbounded(struct spool *s, const char *line, size_t len, const char *type)
{
	return append(s, line, len, type, false);
}

/* Delete the oldest segment, fully read. */
static void seg_drop_head(struct spool *s)
{
	close_fd(&s->rfd);
	if (s->wfd >= 0 && s->wno == s->segs[0].no)
		close_fd(&s->wfd);
	seg_unlink(s, s->segs[0].no);
	s->disk -= s->segs[0].size;
	memmove(s->segs, s->segs + 1, (s->nseg - 1) * sizeof(*s->segs));
	s->nseg--;
	s->roff = SEG_HDR;
	if (!s->nseg) {
		s->disk = 0;
		s->lines = 0;
	}
	if (cursor_write(s))
		log_warn("spool %s: cannot save the read position", s->dir);
}

int spool_peek(struct spool *s, const char **line, size_t *len, const char **type)
{
	size_t reclen;
	int rc;

	s->peeked = 0;
	for (;;) {
		struct spool_seg *seg;

		if (!s->nseg)
			return -ENODATA;
		seg = &s->segs[0];
		if (s->roff >= seg->end) {
			if (s->nseg == 1 && seg->end == seg->size)
				return -ENODATA; /* appends continue here */
			seg_drop_head(s);
			continue;
		}
		rc = seg_open(s, seg->no, O_RDONLY, &s->rfd, &s->rno);
		if (!rc)
			rc = rec_read(s, s->rfd, s->roff, seg->end, &reclen);
		if (rc == -EBADMSG || rc == -ENOENT) {
			log_warn("spool %s: segment %" PRIu64 " damaged at offset %" PRIu64
				 "; the rest of it is skipped", s->dir, seg->no, s->roff);
			seg->end = s->roff;
			continue;
		}
		if (rc)
			return rc;
		break;
	}
	*type = s->buf;
	*line = s->buf + s->rec_tl + 1;
	*len = reclen - REC_HDR - s->rec_tl;
	s->peeked = reclen;
	return 0;
}

int spool_consume(struct spool *s)
{
	struct spool_seg *seg;

	if (!s->peeked || !s->nseg)
		return -EINVAL;
	seg = &s->segs[0];
	s->roff += s->peeked;
	s->peeked = 0;
	if (s->lines)
		s->lines--;
	if (s->roff >= seg->end) {
		/* Drop a finished segment at once; the last one too, so an
		 * empty spool holds no files. */
		seg_drop_head(s);
		return 0;
	}
	if (++s->since_sync >= CURSOR_EVERY)
		return cursor_write(s);
	return 0;
}

uint64_t spool_lines(const struct spool *s)
{
	return s->lines;
}

uint64_t spool_bytes(const struct spool *s)
{
	return s->disk;
}
