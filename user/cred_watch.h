/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The credential watch list made concrete: rules expanded for every home
 * directory, on the host and in each container's own file system, turned
 * into the kernel's watch maps (watched inodes, watched directories with
 * their name keys, the failed-open name filter), and kept
 * current as credential files and their directories appear, are replaced or
 * renamed (inotify, plus a periodic rescan as a safety net).
 */
#ifndef IDTRACE_CRED_WATCH_H
#define IDTRACE_CRED_WATCH_H

#include <stdbool.h>
#include <stdint.h>
#include "watch_rules.h"

struct cred_watch;

struct cred_watch_maps {
	int inodes; /* fds of the BPF maps; -1 to keep everything in userspace (tests) */
	int dirs;
	int names;
	int bloom; /* the inode-number prefilter in front of inodes and dirs */
	int mntns; /* mount namespaces the kernel leaves to the maps (IDT_MNTNS_*) */
	int homes_known; /* HOME values dealt with, by hash (bpf/home_marks.bpf.h) */
};

/* New watch list over rules (taken over: freed with the watch list) for
 * the homes in /etc/passwd plus extra_homes. Does not scan yet. */
struct cred_watch *cred_watch_new(const struct cred_watch_maps *maps, struct watch_rule *rules,
				  int n_rules, char **extra_homes, int n_extra);
void cred_watch_free(struct cred_watch *w);
/* Rebuild the watch maps from the file system and push the difference to
 * the kernel. Returns the number of watched files, or -errno. */
int cred_watch_rescan(struct cred_watch *w);
/* inotify fd to poll; cred_watch_on_inotify() drains it and returns true
 * when a rescan is due. */
int cred_watch_inotify_fd(const struct cred_watch *w);
bool cred_watch_on_inotify(struct cred_watch *w);
/* Add a home directory (e.g. a HOME seen in a process environment); returns
 * true when it was new (a rescan is due; the kernel is told of it once that
 * rescan has watched it). Bounded; ignores non-directories. A value that
 * names no home (/, a system directory, a relative path, past the bound)
 * is told to the kernel at once, so that its processes are not marked; a
 * directory that does not exist yet is not: its processes stay marked until
 * an exec names it once it exists. */
bool cred_watch_add_home(struct cred_watch *w, const char *home);
/* A HOME named by a process of the watched container of mount namespace
 * mntns (its inode number) that the container's passwd does not give:
 * watched in that container from the next rescan (returns 1: due). 0 when
 * it is known or no directory there; -ENOENT when mntns is no watched
 * container's (a host path, then). */
int cred_watch_add_root_home(struct cred_watch *w, uint64_t mntns, const char *home);
/* The hash of a HOME value, as the exec probe computes it. */
uint64_t cred_watch_home_hash(const char *home);

/* Watch the file system of the container pid runs in (its own mount
 * namespace) too, through /proc/PID/root: the rules with the container's
 * homes. mntns, mntns_id: the namespace the kernel saw pid in (inode
 * number and id; 0 when unknown): once its files are in the maps, the kernel
 * stops checking its opens' names (IDT_MATCH_CONTAINER), and when the table
 * of containers is full, it is told to leave them alone. Returns
 * CRED_ROOT_ADDED when it is new (a rescan is due), CRED_ROOT_KNOWN when it
 * is watched already or cannot be now (the table is full, its root is
 * gone), CRED_ROOT_NONE when pid's namespace has no root of its own (the
 * host's, a private namespace over the host's tree, or one before its
 * pivot_root). Bounded. */
enum cred_root { CRED_ROOT_NONE = -1, CRED_ROOT_KNOWN = 0, CRED_ROOT_ADDED = 1 };
enum cred_root cred_watch_add_root(struct cred_watch *w, uint32_t pid, uint32_t mntns,
				   uint64_t mntns_id);
/* The mount namespace (inode number mntns, id mntns_id) of a process that
 * is in no container: the kernel need not check its opens' names. */
void cred_watch_not_container(struct cred_watch *w, uint32_t mntns, uint64_t mntns_id);
/* The rule that path (as a container names it) falls under, with the
 * homes of the container whose root directory the daemon reaches at root
 * (its /etc/passwd's, /root, and the HOMEs its processes named when it is
 * the watched container of mount namespace mntns; root NULL: /root only),
 * or NULL. For an open the kernel matched by its name alone
 * (IDT_MATCH_CONTAINER). */
const struct watch_rule *cred_watch_match_in_root(const struct cred_watch *w, const char *root,
						  uint64_t mntns, const char *path);
/* The name the scan gives the file (kdev, ino) that path (matched by a
 * rule) names in root ("/proc/PID/root", a held root, or NULL: the host's):
 * the first rule's path that names that file there, as /run/secrets/... is
 * for /var/run/secrets/... where /var/run is a link to /run. Written to buf
 * (n bytes); false when no earlier rule's path names it. */
bool cred_watch_scan_name(const struct cred_watch *w, const char *root, const char *path,
			  uint32_t kdev, uint64_t ino, char *buf, size_t n);
/* How many containers' file systems are watched. */
int cred_watch_roots(const struct cred_watch *w);

/* The watched file (dev, ino) -> its path as processes name it (inside
 * their container) and type, and in *real where the daemon reads it;
 * NULL if not watched. */
const char *cred_watch_inode_path(const struct cred_watch *w, uint32_t kdev, uint64_t ino,
				  const char **type, const char **real);
/* Is the watched file (dev, ino) named (first) by a container's file
 * system, not the host's? Then *mntns: that container's mount namespace. */
bool cred_watch_inode_root_ns(const struct cred_watch *w, uint32_t kdev, uint64_t ino,
			      uint64_t *mntns);
/* The watched file (dev, ino) in the file system of the container of mount
 * namespace mntns: its path there (a host directory bind-mounted into two
 * containers is watched under each root, by the name each gives it), or
 * NULL when it is not watched there. */
const char *cred_watch_inode_in_ns(const struct cred_watch *w, uint32_t kdev, uint64_t ino,
				   uint64_t mntns);
/* A watched directory (dev, ino) -> its path, and *real as above; NULL if
 * not watched. */
/* A container's watched file on another file system than its root's (a
 * host directory or volume mounted in), held open while the container is
 * watched: "/proc/self/fd/FD" into buf (n bytes), which reads it after the
 * container and its mounts are gone. 0, or -ENOENT when none is held. */
int cred_watch_held_path(const struct cred_watch *w, uint32_t kdev, uint64_t ino, char *buf,
			 size_t n);
/* Another path than real by which the daemon can read the watched inode
 * (kdev, ino): the same file watched under another root, as a host file
 * bind-mounted into a container is, whose root may be gone by the time the
 * container's read is followed up. NULL when there is none. */
const char *cred_watch_inode_other_real(const struct cred_watch *w, uint32_t kdev, uint64_t ino,
					const char *real);
const char *cred_watch_dir_path(const struct cred_watch *w, uint32_t kdev, uint64_t ino,
				const char **real);
/* The rule an absolute path falls under (directory expanded for homes),
 * or NULL: the userspace check behind the kernel's coarser filters. */
const struct watch_rule *cred_watch_match_path(const struct cred_watch *w, const char *path);

/* Credential type <-> the id the kernel carries (1-based, 0 = none). */
uint32_t cred_type_id(const char *type);
const char *cred_type_name(uint32_t id);
/* Kernel encoding of a st_dev (MAJOR << 20 | MINOR). */
uint32_t cred_kdev(uint64_t st_dev);

#endif
