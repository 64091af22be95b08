// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include "root_path.h"

/* Digits at s, then '/' or the end: their count, else 0. */
static size_t digits_then_slash(const char *s, const char *suffix)
{
	size_t n = 0, k = strlen(suffix);

	while (s[n] >= '0' && s[n] <= '9')
		n++;
	if (!n || strncmp(s + n, suffix, k))
		return 0;
	n += k;
	return s[n] == '/' || s[n] == '\0' ? n : 0;
}

size_t root_path_prefix_len(const char *path)
{
	static const char fd_root[] = "/proc/self/fd/", pid_root[] = "/proc/";
	size_t n;

	if (!strncmp(path, fd_root, sizeof(fd_root) - 1)) {
		n = digits_then_slash(path + sizeof(fd_root) - 1, "");
		return n ? sizeof(fd_root) - 1 + n : 0;
	}
	if (!strncmp(path, pid_root, sizeof(pid_root) - 1)) {
		n = digits_then_slash(path + sizeof(pid_root) - 1, "/root");
		return n ? sizeof(pid_root) - 1 + n : 0;
	}
	return 0;
}

/* The root directory that path's first plen bytes name, as an fd: the one
 * the daemon holds (*owned false) or one opened here. -1 with errno. */
static int root_fd(const char *path, size_t plen, bool *owned)
{
	char root[64];
	int fd;

	*owned = false;
	if (!strncmp(path, "/proc/self/fd/", 14)) {
		if (sscanf(path + 14, "%d", &fd) != 1) {
			errno = EINVAL;
			return -1;
		}
		return fd;
	}
	/* the process's root: /proc's magic link is followed here, once */
	snprintf(root, sizeof(root), "%.*s", (int)plen, path);
	fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	*owned = fd >= 0;
	return fd;
}

int root_path_open(const char *path, int flags)
{
	size_t plen = root_path_prefix_len(path);
	struct open_how how = { .flags = (unsigned int)(flags | O_CLOEXEC),
				.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
	const char *rest = path + plen;
	bool owned;
	int dir, fd, err;

	/* the root part alone: the held file or directory itself */
	if (!plen || !path[plen])
		return open(path, flags | O_CLOEXEC);
	dir = root_fd(path, plen, &owned);
	if (dir < 0)
		return -1;
	while (*rest == '/')
		rest++;
	/* no fallback to open(2) where openat2 is missing (before 5.6): that
	 * would resolve the container's links on the host */
	fd = (int)syscall(SYS_openat2, dir, *rest ? rest : ".", &how, sizeof(how));
	err = errno;
	if (owned)
		close(dir);
	errno = err;
	return fd;
}

/* fstat of the file at path opened with O_PATH (and extra flags). */
static int stat_opened(const char *path, int extra, struct stat *st)
{
	int fd = root_path_open(path, O_PATH | extra), err;

	if (fd < 0)
		return -1;
	err = fstat(fd, st) ? errno : 0;
	close(fd);
	errno = err;
	return err ? -1 : 0;
}

int root_path_stat(const char *path, struct stat *st)
{
	return root_path_prefix_len(path) ? stat_opened(path, 0, st) : stat(path, st);
}

int root_path_lstat(const char *path, struct stat *st)
{
	return root_path_prefix_len(path) ? stat_opened(path, O_NOFOLLOW, st) : lstat(path, st);
}

static void *glob_opendir(const char *path)
{
	return root_path_opendir(path);
}

static struct dirent *glob_readdir(void *d)
{
	return readdir(d);
}

static void glob_closedir(void *d)
{
	closedir(d);
}

int root_path_glob(const char *pattern, int flags, glob_t *g)
{
	memset(g, 0, sizeof(*g));
	g->gl_opendir = glob_opendir;
	g->gl_readdir = glob_readdir;
	g->gl_closedir = glob_closedir;
	g->gl_stat = root_path_stat;
	g->gl_lstat = root_path_lstat;
	return glob(pattern, flags | GLOB_ALTDIRFUNC, NULL, g);
}

DIR *root_path_opendir(const char *path)
{
	int fd = root_path_open(path, O_RDONLY | O_DIRECTORY | O_NONBLOCK);
	DIR *d;

	if (fd < 0)
		return NULL;
	d = fdopendir(fd);
	if (!d)
		close(fd);
	return d;
}
