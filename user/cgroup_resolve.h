/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * cgroup v2 id (what bpf_get_current_cgroup_id() returns) -> path under the
 * cgroup2 mount, e.g. "/system.slice/sshd.service". Resolved through a file
 * handle (the id is the kernfs handle), so it works for any depth without a
 * tree walk; results are cached.
 */
#ifndef IDTRACE_CGROUP_RESOLVE_H
#define IDTRACE_CGROUP_RESOLVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cgroup_resolver;

/* Find the cgroup2 mount in /proc/self/mountinfo. Returns NULL with errno set
 * (ENOENT: no cgroup2 mount). Caller frees with cgroup_resolver_free. */
struct cgroup_resolver *cgroup_resolver_new(void);
/* The same for one cgroup v1 hierarchy (hybrid hosts, where containers may
 * exist only there): the first mounted of a fixed list of controllers that
 * a container runtime sets up (memory, pids, cpu, ...). A v1 cgroup's id is
 * its kernfs id in that hierarchy, read by the exec probe through the
 * controller's css. NULL with errno ENOENT when no v1 hierarchy is mounted. */
struct cgroup_resolver *cgroup_resolver_new_v1(void);
/* The v1 controller a resolver from cgroup_resolver_new_v1 serves ("memory"),
 * or NULL for the cgroup2 one. */
const char *cgroup_resolver_controller(const struct cgroup_resolver *r);
void cgroup_resolver_free(struct cgroup_resolver *r);
/* Does the comma-separated list (mount options, or the controllers of a
 * /proc/PID/cgroup line: "cpu,cpuacct") name item? */
bool cgroup_list_has(const char *list, const char *item);
/* Path of the mount point ("/sys/fs/cgroup/unified", "/sys/fs/cgroup/memory"). */
const char *cgroup_resolver_mount(const struct cgroup_resolver *r);
/* The id of the cgroup at rel ("/docker/ID") in r's hierarchy, 0 if none. */
uint64_t cgroup_resolver_id(const struct cgroup_resolver *r, const char *rel);
/* Resolve id into buf; returns 0, -ENOENT (cgroup removed or unknown), or -errno.
 * The root cgroup resolves to "/". */
int cgroup_resolve(struct cgroup_resolver *r, uint64_t id, char *buf, size_t n);
/* Remember that id is the cgroup at path (seen made): it resolves so after
 * the cgroup is removed, while it stays in the cache. */
void cgroup_resolver_note(struct cgroup_resolver *r, uint64_t id, const char *path);

#endif
