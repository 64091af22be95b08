// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <linux/magic.h>
#include "path_check.h"

/* The nearest existing ancestor of path (path itself included) into anc. */
static int nearest_existing(const char *path, char *anc, size_t n, struct stat *st)
{
	char *slash;

	if (snprintf(anc, n, "%s", path) >= (int)n)
		return -ENAMETOOLONG;
	while (stat(anc, st)) {
		if (errno != ENOENT && errno != ENOTDIR)
			return -errno;
		slash = strrchr(anc, '/');
		if (!slash)
			return snprintf(anc, n, ".") > 0 && !stat(anc, st) ? 0 : -ENOENT;
		if (slash == anc)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
	return 0;
}

int path_check_dir(const char *path, char *why, size_t n)
{
	char anc[PATH_MAX];
	struct statvfs vfs;
	struct statfs fs;
	struct stat st;
	int err = nearest_existing(path, anc, sizeof(anc), &st);

	if (err) {
		snprintf(why, n, "%s: %s", path, strerror(-err));
		return err;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(why, n, "%s is not a directory", anc);
		return -ENOTDIR;
	}
	if (!statfs(anc, &fs) && (fs.f_type == PROC_SUPER_MAGIC || fs.f_type == SYSFS_MAGIC)) {
		snprintf(why, n, "%s is on /proc or /sys, which hold no files of ours", anc);
		return -EROFS;
	}
	if (!statvfs(anc, &vfs) && (vfs.f_flag & ST_RDONLY)) {
		snprintf(why, n, "%s is on a read-only file system", anc);
		return -EROFS;
	}
	return 0;
}

int path_check_parent(const char *path, char *why, size_t n)
{
	char dir[PATH_MAX];
	char *slash;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir)) {
		snprintf(why, n, "%s: %s", path, strerror(ENAMETOOLONG));
		return -ENAMETOOLONG;
	}
	slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	return path_check_dir(dir, why, n);
}
