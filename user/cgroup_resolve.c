// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "cgroup_resolve.h"

#define CACHE_SLOTS 4096 /* power of two; direct-mapped, a collision just re-resolves */
#define FILEID_KERNFS 0xfe /* include/linux/exportfs.h: kernfs handles carry the 64-bit id */

struct cache_slot {
	uint64_t id;
	char *path;
};

struct cgroup_resolver {
	char mount[256];
	char controller[32]; /* v1 only */
	int mount_fd;
	struct cache_slot cache[CACHE_SLOTS];
};

/* Controllers that container runtimes create a cgroup in, in order of
 * preference; each has an entry "<name>_cgrp_id" in enum cgroup_subsys_id. */
static const char *const v1_controllers[] = {
	"memory", "pids", "cpu", "cpuacct", "blkio", "devices", "freezer", "cpuset",
};

bool cgroup_list_has(const char *opts, const char *option)
{
	size_t n = strlen(option);

	for (const char *o = opts;; o++) {
		if (!strncmp(o, option, n) && (o[n] == ',' || o[n] == '\0'))
			return true;
		o = strchr(o, ',');
		if (!o)
			return false;
	}
}

/* mountinfo line: "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS ... - FSTYPE SOURCE SUPER".
 * controller NULL: the cgroup2 mount; else the v1 mount that carries it. */
static int find_mount(const char *controller, char *out, size_t n)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[1024];
	int err = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char mnt[512], fstype[32], super[512], *sep = strstr(line, " - ");

		if (!sep || sscanf(sep + 3, "%31s %*s %511s", fstype, super) != 2)
			continue;
		if (controller ? strcmp(fstype, "cgroup") || !cgroup_list_has(super, controller)
			       : strcmp(fstype, "cgroup2"))
			continue;
		if (sscanf(line, "%*s %*s %*s %*s %511s", mnt) != 1)
			continue;
		snprintf(out, n, "%s", mnt);
		err = 0;
		break;
	}
	fclose(f);
	return err;
}

static struct cgroup_resolver *resolver_at(const char *controller)
{
	struct cgroup_resolver *r = calloc(1, sizeof(*r));
	int err;

	if (!r)
		return NULL;
	err = find_mount(controller, r->mount, sizeof(r->mount));
	if (err) {
		free(r);
		errno = -err;
		return NULL;
	}
	snprintf(r->controller, sizeof(r->controller), "%s", controller ? controller : "");
	r->mount_fd = open(r->mount, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (r->mount_fd < 0) {
		err = errno;
		free(r);
		errno = err;
		return NULL;
	}
	return r;
}

struct cgroup_resolver *cgroup_resolver_new(void)
{
	return resolver_at(NULL);
}

struct cgroup_resolver *cgroup_resolver_new_v1(void)
{
	for (size_t i = 0; i < sizeof(v1_controllers) / sizeof(v1_controllers[0]); i++) {
		struct cgroup_resolver *r = resolver_at(v1_controllers[i]);

		if (r || errno != ENOENT)
			return r;
	}
	errno = ENOENT;
	return NULL;
}

const char *cgroup_resolver_controller(const struct cgroup_resolver *r)
{
	return r->controller[0] ? r->controller : NULL;
}

void cgroup_resolver_free(struct cgroup_resolver *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < CACHE_SLOTS; i++)
		free(r->cache[i].path);
	close(r->mount_fd);
	free(r);
}

const char *cgroup_resolver_mount(const struct cgroup_resolver *r)
{
	return r->mount;
}

uint64_t cgroup_resolver_id(const struct cgroup_resolver *r, const char *rel)
{
	struct stat st;

	/* a cgroup's id is its kernfs inode number */
	return fstatat(r->mount_fd, rel[0] == '/' ? rel + 1 : rel, &st, 0) == 0 ? st.st_ino : 0;
}

static int resolve_uncached(struct cgroup_resolver *r, uint64_t id, char *buf, size_t n)
{
	struct {
		struct file_handle fh;
		uint64_t id;
	} h = { .fh = { .handle_bytes = sizeof(uint64_t), .handle_type = FILEID_KERNFS }, .id = id };
	char link[64], path[4096];
	size_t mlen = strlen(r->mount);
	ssize_t len;
	int fd;

	fd = open_by_handle_at(r->mount_fd, &h.fh, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ESTALE ? -ENOENT : -errno;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	len = readlink(link, path, sizeof(path) - 1);
	close(fd);
	if (len < 0)
		return -errno;
	path[len] = '\0';
	if (strncmp(path, r->mount, mlen) != 0)
		return -ENOENT;
	snprintf(buf, n, "%s", path[mlen] ? path + mlen : "/");
	return 0;
}

static struct cache_slot *cache_slot(struct cgroup_resolver *r, uint64_t id)
{
	return &r->cache[(id * 0x9E3779B97F4A7C15ull) >> 52 & (CACHE_SLOTS - 1)];
}

void cgroup_resolver_note(struct cgroup_resolver *r, uint64_t id, const char *path)
{
	struct cache_slot *s = cache_slot(r, id);
	char *copy = strdup(path);

	if (!copy)
		return; /* resolved from the file system while the cgroup exists */
	free(s->path);
	s->id = id;
	s->path = copy;
}

int cgroup_resolve(struct cgroup_resolver *r, uint64_t id, char *buf, size_t n)
{
	struct cache_slot *s = cache_slot(r, id);
	int err;

	if (s->path && s->id == id) {
		snprintf(buf, n, "%s", s->path);
		return 0;
	}
	err = resolve_uncached(r, id, buf, n);
	if (err)
		return err;
	free(s->path);
	s->id = id;
	s->path = strdup(buf);
	return 0;
}
