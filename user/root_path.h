/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Paths into a container's file system, as the daemon reaches them: through
 * a root it holds open ("/proc/self/fd/N/...") or through a process's root
 * ("/proc/PID/root/..."). The kernel resolves the rest of such a path from
 * the daemon's own root: an absolute symlink in the container's tree
 * (/root/.aws/credentials -> /opt/aws.ini, /var/run -> /run) would lead to
 * the host's file of that name, which the container's owner chooses. These
 * calls resolve the rest inside the container's root instead (openat2's
 * RESOLVE_IN_ROOT: "/" and ".." stop at that root, as for the container's
 * own processes). Any other path is resolved as open(2) does.
 */
#ifndef IDTRACE_ROOT_PATH_H
#define IDTRACE_ROOT_PATH_H

#include <dirent.h>
#include <glob.h>
#include <stddef.h>
#include <sys/stat.h>

/* open(2) of path, O_CLOEXEC added. Returns the fd or -1 with errno. */
int root_path_open(const char *path, int flags);

/* stat(2) of path (symlinks followed, inside the root). 0 or -1 with errno. */
int root_path_stat(const char *path, struct stat *st);

/* lstat(2) of path: a symlink at its end is not followed. */
int root_path_lstat(const char *path, struct stat *st);

/* glob(3) of pattern, its directories read and statted with the calls
 * above. */
int root_path_glob(const char *pattern, int flags, glob_t *g);

/* opendir(3) of path, or NULL with errno. */
DIR *root_path_opendir(const char *path);

/* Where path is a path into a root: the length of its root part
 * ("/proc/self/fd/N" or "/proc/PID/root"), else 0. */
size_t root_path_prefix_len(const char *path);

#endif
