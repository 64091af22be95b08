// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cred_watch.h"
#include "exe_cache.h"

#define EXE_SLOTS 1024 /* direct-mapped: a collision costs a lookup */

struct exe_slot {
	uint32_t kdev;
	uint64_t ino;
	uint64_t ctime_ns; /* 0: unknown */
	char *path;
};

struct exe_cache {
	struct exe_slot slot[EXE_SLOTS];
};

struct exe_cache *exe_cache_new(void)
{
	return calloc(1, sizeof(struct exe_cache));
}

void exe_cache_free(struct exe_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < EXE_SLOTS; i++)
		free(c->slot[i].path);
	free(c);
}

static struct exe_slot *slot_of(struct exe_cache *c, uint32_t kdev, uint64_t ino)
{
	uint64_t h = (ino ^ ((uint64_t)kdev << 40)) * 0x9e3779b97f4a7c15ull;

	return &c->slot[(h >> 54) % EXE_SLOTS];
}

bool exe_cache_is_file(const char *path, uint32_t kdev, uint64_t ino)
{
	struct stat st;

	return path && path[0] == '/' && !stat(path, &st) && st.st_ino == ino &&
	       cred_kdev(st.st_dev) == kdev;
}

/* /proc/PID/exe while the process still runs that image. */
static int from_proc(const char *proc_root, uint32_t pid, uint32_t kdev, uint64_t ino, char *out,
		     size_t n)
{
	static const char deleted[] = " (deleted)";
	char link[64];
	ssize_t len;

	snprintf(link, sizeof(link), "%s/%u/exe", proc_root, pid);
	len = readlink(link, out, n - 1);
	if (len <= 0 || out[0] != '/')
		return -1;
	out[len] = '\0';
	if (!exe_cache_is_file(link, kdev, ino))
		return -1; /* exec'd again, or gone */
	if ((size_t)len > sizeof(deleted) - 1 &&
	    !strcmp(out + len - (sizeof(deleted) - 1), deleted))
		out[len - (sizeof(deleted) - 1)] = '\0';
	return 0;
}

const char *exe_cache_resolve(struct exe_cache *c, const char *proc_root, uint32_t pid,
			      const char *given, uint32_t kdev, uint64_t ino, uint64_t ctime_ns)
{
	struct exe_slot *s;
	char path[PATH_MAX];
	char *dup;

	if (!c || !ino)
		return NULL;
	s = slot_of(c, kdev, ino);
	/* The kernel hands a freed inode number to the next file made: a path
	 * cached for this inode is only trusted for the file of that change
	 * time, or while it still names it (a program deleted, or replaced by
	 * an upgrade, is resolved afresh). */
	if (s->path && s->kdev == kdev && s->ino == ino &&
	    ((ctime_ns && s->ctime_ns == ctime_ns) || exe_cache_is_file(s->path, kdev, ino)))
		return s->path;
	if (from_proc(proc_root, pid, kdev, ino, path, sizeof(path)) &&
	    !(given && given[0] == '/' && realpath(given, path) && exe_cache_is_file(path, kdev, ino)))
		return NULL;
	dup = strdup(path);
	if (!dup)
		return NULL;
	free(s->path);
	*s = (struct exe_slot){ .kdev = kdev, .ino = ino, .ctime_ns = ctime_ns, .path = dup };
	return dup;
}
