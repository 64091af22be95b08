// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "proc_file.h"

int proc_file_read(const char *proc_root, uint32_t pid, const char *name, size_t max, char **buf,
		   size_t *len)
{
	char path[128];
	size_t cap = 4096, n = 0;
	char *b = NULL;
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/%u/%s", proc_root, pid, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t r;

		if (n == cap || !b) {
			char *nb;

			cap = b ? cap * 2 : cap;
			nb = realloc(b, cap + 1);
			if (!nb) {
				err = -ENOMEM;
				goto out;
			}
			b = nb;
		}
		r = read(fd, b + n, (cap < max ? cap : max) - n);
		if (r < 0) {
			err = -errno;
			goto out;
		}
		if (r == 0 || n + r >= max) {
			n += r;
			break;
		}
		n += r;
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	b = NULL;
out:
	free(b);
	close(fd);
	return err;
}

#define PF_KTHREAD 0x00200000u

bool proc_file_is_kthread(const char *proc_root, uint32_t pid)
{
	unsigned long flags;
	char *buf, *p;
	size_t len;
	bool kthread = false;

	if (proc_file_read(proc_root, pid, "stat", 1024, &buf, &len))
		return false;
	/* after the command's closing parenthesis (the command may hold
	 * any): state ppid pgrp session tty_nr tpgid flags */
	p = strrchr(buf, ')');
	if (p && sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %lu", &flags) == 1)
		kthread = flags & PF_KTHREAD;
	free(buf);
	return kthread;
}

uint64_t proc_file_ns(const char *proc_root, uint32_t pid, const char *ns)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%u/ns/%s", proc_root, pid, ns);
	return stat(path, &st) == 0 ? st.st_ino : 0;
}

uint64_t proc_file_mntns(const char *proc_root, uint32_t pid)
{
	return proc_file_ns(proc_root, pid, "mnt");
}
