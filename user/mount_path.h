/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Where the daemon reaches a file the kernel named by its dentries (a
 * container's file that the daemon has no root of yet: the process that
 * opened it may be gone): the names joined into a path, and a mount of
 * the file's file system in the daemon's own namespace (/proc/self/mountinfo)
 * that shows it. Pure but for mount_path_resolve.
 */
#ifndef IDTRACE_MOUNT_PATH_H
#define IDTRACE_MOUNT_PATH_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

/* The number of names in walk (len bytes of NUL-terminated names, leaf
 * first, as idt_open.walk carries them), or -EINVAL when it is not that. */
int mount_path_walk_names(const char *walk, size_t len);
/* The path of names [from, to) of walk, top down: name 0 is the leaf, name
 * i + 1 the parent of name i, so [0, n) is the leaf's path from the top of
 * the walk and [k, n) that of its k-th ancestor; [0, k) the leaf's path
 * from its k-th ancestor ("/" when from == to). Returns 0, or -EINVAL (bad
 * range, a name that is "", ".", ".." or holds a '/') or -ENAMETOOLONG. */
int mount_path_join(const char *walk, size_t len, int from, int to, char *out, size_t n);
/* A mount: the directory of its file system it shows, and where. */
struct mount_line {
	char root[PATH_MAX];
	char point[PATH_MAX];
};

/* The next mount of device kdev (MAJOR << 20 | MINOR) in mountinfo (len
 * bytes of /proc/PID/mountinfo), from *pos. Returns 0 (*pos moved past
 * it), or -ENOENT when there is no more. */
int mount_path_next(const char *mountinfo, size_t len, size_t *pos, uint32_t kdev,
		    struct mount_line *m);
/* fs_path (from its file system's root) through mount m. Returns 0, -ENOENT
 * when m does not show it, or -ENAMETOOLONG. */
int mount_path_through(const struct mount_line *m, const char *fs_path, char *out, size_t n);
/* Read /proc/self/mountinfo into *buf (caller frees). Returns its length or -errno. */
long mount_path_read_mountinfo(char **buf);

#endif
