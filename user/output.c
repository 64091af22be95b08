// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "log.h"
#include "output.h"

struct output {
	char buf[64 * 1024];
	FILE *f;
	int owned;
	uint64_t lines;
};

struct output *output_open(const char *path)
{
	struct output *o = calloc(1, sizeof(*o));
	struct stat st;
	int fd;

	if (!o)
		return NULL;
	if (!path || !strcmp(path, "-")) {
		o->f = stdout;
		return o;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		log_err("cannot open output file %s: %s", path, strerror(errno));
		goto fail;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		log_err("output %s is not a regular file", path);
		goto fail_fd;
	}
	if (st.st_mode & 077) {
		log_err("output file %s has mode %03o: others could read the events; "
			"chmod 600 it or choose a new path", path, st.st_mode & 0777);
		goto fail_fd;
	}
	o->f = fdopen(fd, "a");
	if (!o->f)
		goto fail_fd;
	o->owned = 1;
	return o;
fail_fd:
	close(fd);
fail:
	free(o);
	return NULL;
}

int output_write(struct output *o, json_t *ev)
{
	/* One buffer, one fwrite: json_dumpf writes token by token. */
	size_t n = json_dumpb(ev, o->buf, sizeof(o->buf) - 1, JSON_COMPACT);
	char *big = NULL;
	const char *line = o->buf;

	if (n == 0)
		return -EINVAL;
	if (n > sizeof(o->buf) - 1) {
		big = json_dumps(ev, JSON_COMPACT);
		if (!big)
			return -ENOMEM;
		line = big;
		n = strlen(big);
	} else {
		o->buf[n] = '\n';
	}
	if (fwrite(line, 1, n + !big, o->f) != n + !big || (big && fputc('\n', o->f) == EOF)) {
		free(big);
		return -(errno ? errno : EIO);
	}
	free(big);
	o->lines++;
	return 0;
}

int output_flush(struct output *o)
{
	return fflush(o->f) ? -errno : 0;
}

uint64_t output_lines(const struct output *o)
{
	return o->lines;
}

void output_close(struct output *o)
{
	if (!o)
		return;
	fflush(o->f);
	if (o->owned)
		fclose(o->f);
	free(o);
}
