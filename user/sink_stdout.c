// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The stdout sink: JSON Lines on file descriptor 1 through a large buffer,
 * written out on flush() (the runner flushes when idle and every ~200 ms).
 * A full buffer that stdout cannot take now (non-blocking pipe) makes send()
 * return -EAGAIN without taking the line; a write error (EPIPE: the reader
 * went away) is returned as -errno and the buffered lines are discarded.
 * A reader that went away never comes back: the sink is then gone (see
 * sink_ops.gone), as `idtrace | head -1` expects; so is a terminal that
 * was hung up (its window closed), which polls as an error too. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>
#include "sink.h"

#define STDOUT_BUF (256u << 10)

struct sink_stdout {
	int fd;
	char *buf;
	size_t len;
	uint64_t lines, bytes, write_errors;
	bool gone; /* the reader closed its end (EPIPE, or it polls as an error) */
};

static void *stdout_create(const struct sink_spec *spec, char *err, size_t n)
{
	struct sink_stdout *s = calloc(1, sizeof(*s));

	if (s)
		s->buf = malloc(STDOUT_BUF);
	if (!s || !s->buf) {
		free(s);
		snprintf(err, n, "stdout sink: out of memory");
		return NULL;
	}
	s->fd = STDOUT_FILENO;
	return s;
}

/* Has the reader closed its end? A pipe or socket whose reader is gone,
 * and a hung-up terminal, poll as an error, so it is seen without an event
 * to write. */
static bool stdout_gone(void *st)
{
	struct sink_stdout *s = st;
	struct pollfd p = { .fd = s->fd, .events = POLLOUT };

	if (!s->gone && poll(&p, 1, 0) == 1 && (p.revents & POLLERR))
		s->gone = true;
	return s->gone;
}

static int stdout_connect(void *st, char *err, size_t n)
{
	struct sink_stdout *s = st;

	if (fcntl(s->fd, F_GETFL) < 0) {
		snprintf(err, n, "standard output is closed");
		return -EBADF;
	}
	if (stdout_gone(s)) {
		snprintf(err, n, "standard output's reader closed it");
		return -EPIPE;
	}
	return 0;
}

static void note_error(struct sink_stdout *s, int err)
{
	s->write_errors++;
	if (err == EPIPE)
		s->gone = true;
}

/* Write out the buffer; what stdout does not take stays buffered. */
static int stdout_drain(struct sink_stdout *s)
{
	size_t off = 0;
	int rc = 0;

	while (off < s->len) {
		ssize_t w = write(s->fd, s->buf + off, s->len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			rc = errno == EWOULDBLOCK ? -EAGAIN : -errno;
			break;
		}
		off += (size_t)w;
		s->bytes += (uint64_t)w;
	}
	if (rc && rc != -EAGAIN) {
		note_error(s, -rc);
		s->len = 0; /* the reader is gone; nothing will take them */
		return rc;
	}
	memmove(s->buf, s->buf + off, s->len - off);
	s->len -= off;
	return rc;
}

static int stdout_send(void *st, const char *line, size_t len, const char *type)
{
	struct sink_stdout *s = st;
	int rc;

	if (s->len + len + 1 > STDOUT_BUF) {
		rc = stdout_drain(s);
		if (rc)
			return rc;
	}
	if (len + 1 > STDOUT_BUF) {
		/* Longer than the buffer (which is empty now): straight out. */
		struct iovec iov[2] = { { (void *)line, len }, { "\n", 1 } };
		size_t done = 0, want = len + 1;

		while (done < want) {
			ssize_t w = writev(s->fd, iov, 2);

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0 && !done && errno == EWOULDBLOCK)
				return -EAGAIN;
			if (w < 0) {
				/* Part of it went: the line is broken anyway. */
				note_error(s, errno);
				return errno == EWOULDBLOCK ? -EIO : -errno;
			}
			done += (size_t)w;
			s->bytes += (uint64_t)w;
			for (int i = 0; i < 2; i++) {
				size_t k = (size_t)w < iov[i].iov_len ? (size_t)w : iov[i].iov_len;

				iov[i].iov_base = (char *)iov[i].iov_base + k;
				iov[i].iov_len -= k;
				w -= (ssize_t)k;
			}
		}
		s->lines++;
		return 0;
	}
	if (s->len + len + 1 > STDOUT_BUF)
		return -EAGAIN; /* stdout took only part of the buffer */
	memcpy(s->buf + s->len, line, len);
	s->buf[s->len + len] = '\n';
	s->len += len + 1;
	s->lines++;
	return 0;
}

static int stdout_flush(void *st)
{
	return stdout_drain(st);
}

static void stdout_disconnect(void *st)
{
	struct sink_stdout *s = st;

	s->len = 0;
}

static int stdout_reopen(void *st, char *err, size_t n)
{
	int rc = stdout_drain(st);

	if (rc && rc != -EAGAIN)
		snprintf(err, n, "standard output: %s", strerror(-rc));
	return rc == -EAGAIN ? 0 : rc;
}

static void stdout_stats(void *st, json_t *obj)
{
	struct sink_stdout *s = st;

	json_object_set_new(obj, "lines", json_integer((json_int_t)s->lines));
	json_object_set_new(obj, "bytes", json_integer((json_int_t)s->bytes));
	json_object_set_new(obj, "write_errors", json_integer((json_int_t)s->write_errors));
}

static void stdout_destroy(void *st)
{
	struct sink_stdout *s = st;

	if (!s)
		return;
	stdout_drain(s);
	free(s->buf);
	free(s);
}

const struct sink_ops sink_stdout_ops = {
	.scheme = "stdout",
	.spool_per_run = true,
	.create = stdout_create,
	.connect = stdout_connect,
	.send = stdout_send,
	.flush = stdout_flush,
	.disconnect = stdout_disconnect,
	.gone = stdout_gone,
	.reopen = stdout_reopen,
	.stats = stdout_stats,
	.destroy = stdout_destroy,
};
