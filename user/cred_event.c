// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "chain.h"
#include "cred_event.h"
#include "cred_inspect.h"
#include "json_str.h"
#include "mount_path.h"
#include "proc_file.h"
#include "root_path.h"

json_t *cred_event_flags(uint32_t flags)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} bits[] = {
		{ O_CREAT, "O_CREAT" },     { O_EXCL, "O_EXCL" },         { O_NOCTTY, "O_NOCTTY" },
		{ O_TRUNC, "O_TRUNC" },     { O_APPEND, "O_APPEND" },     { O_NONBLOCK, "O_NONBLOCK" },
		{ O_DSYNC, "O_DSYNC" },     { O_DIRECT, "O_DIRECT" },     { O_DIRECTORY, "O_DIRECTORY" },
		{ O_NOFOLLOW, "O_NOFOLLOW" }, { O_NOATIME, "O_NOATIME" }, { O_PATH, "O_PATH" },
	};
	/* (O_CLOEXEC is the descriptor's: an open file's flags never hold it,
	 * and a failed open's requested flags must read the same) */
	static const char *const acc[] = { "O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE" };
	json_t *arr = json_array();

	json_array_append_new(arr, json_string(acc[flags & O_ACCMODE]));
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
		if ((flags & bits[i].bit) == bits[i].bit)
			json_array_append_new(arr, json_string(bits[i].name));
	return arr;
}

/* Clean an absolute path lexically: "//", "." and ".." (never above "/"). */
static void clean_path(char *p)
{
	char *out = p, *in = p;

	while (*in) {
		while (*in == '/')
			in++;
		if (!*in)
			break;
		if (in[0] == '.' && (in[1] == '/' || !in[1])) {
			in++;
			continue;
		}
		if (in[0] == '.' && in[1] == '.' && (in[2] == '/' || !in[2])) {
			in += 2;
			while (out > p && *--out != '/')
				;
			continue;
		}
		*out++ = '/';
		while (*in && *in != '/')
			*out++ = *in++;
	}
	if (out == p)
		*out++ = '/';
	*out = '\0';
}

int cred_event_resolve(const char *proc_root, uint32_t pid, int dfd, const char *path,
		       size_t len, char *out, size_t n)
{
	char link[64], base[PATH_MAX];
	ssize_t blen;

	if (len && path[0] == '/') {
		snprintf(out, n, "%.*s", (int)len, path);
		clean_path(out);
		return 0;
	}
	if (dfd == AT_FDCWD)
		snprintf(link, sizeof(link), "%s/%u/cwd", proc_root, pid);
	else
		snprintf(link, sizeof(link), "%s/%u/fd/%d", proc_root, pid, dfd);
	blen = readlink(link, base, sizeof(base) - 1);
	if (blen <= 0 || base[0] != '/') {
		snprintf(out, n, "%.*s", (int)len, path);
		return -ENOENT;
	}
	base[blen] = '\0';
	snprintf(out, n, "%s/%.*s", base, (int)len, path);
	clean_path(out);
	return 0;
}

static int64_t timespec_ns(const struct timespec *t)
{
	return t->tv_sec * 1000000000ll + t->tv_nsec;
}

/* Fingerprint and facts of the file at path, which the process opened as
 * inode (kdev, ino) when ino is non-zero, from the cache when the file
 * (inode, size, mtime, ctime) has not changed. A file replaced since the open (a
 * rename over it: git's credential store, sed -i) is no longer at path: it
 * is found in the cache when it was read as it was at the open, same inode
 * and change time (ctime_ns, the kernel's; a new file given its inode
 * number has another). Returns the slot. */
static int inspect_cached(struct cred_ctx *cc, const char *type, const char *path,
			  uint32_t kdev, uint64_t ino, int64_t ctime_ns)
{
	struct cred_info ci;
	struct stat st;
	unsigned int slot;

	bool exists = root_path_stat(path, &st) == 0;
	int gone = errno;
	/* changed since the open: replaced, or rewritten in place (vim
	 * truncates the file it read and writes it again) */
	bool changed = ino && ctime_ns &&
		       (!exists || st.st_ino != ino || cred_kdev(st.st_dev) != kdev ||
			timespec_ns(&st.st_ctim) != ctime_ns);

	if (changed) {
		for (unsigned int i = 0; i < CRED_CACHE; i++)
			if (cc->cache[i].facts && cc->cache[i].ino == ino &&
			    cc->cache[i].kdev == kdev && cc->cache[i].ctime_ns == ctime_ns &&
			    cc->cache[i].fingerprint[0])
				return i;
	}

	/* (ino 0: the open failed, or the path is all that is known) */
	if (exists && (!ino || (st.st_ino == ino && cred_kdev(st.st_dev) == kdev))) {
		for (unsigned int i = 0; i < CRED_CACHE; i++) {
			if (cc->cache[i].facts && cc->cache[i].ino == st.st_ino &&
			    cc->cache[i].kdev == cred_kdev(st.st_dev) &&
			    cc->cache[i].size == st.st_size &&
			    cc->cache[i].mtime_ns == timespec_ns(&st.st_mtim) &&
			    /* a copy that kept the mtime (cp -p) at a reused inode number */
			    cc->cache[i].ctime_ns == timespec_ns(&st.st_ctim))
				return i;
		}
	}
	slot = cc->cache_next++ % CRED_CACHE;
	json_decref(cc->cache[slot].facts);
	memset(&cc->cache[slot], 0, sizeof(cc->cache[slot]));
	if (exists) {
		/* the file the process opened, not one put at its path since */
		cred_inspect_file(type, path, ino ? kdev : 0, ino, &cc->key, &ci);
	} else {
		/* Nothing to read, and no open of our own: another tracer (a
		 * second idtrace) would see it as an attempt on the name and
		 * answer with its own. */
		memset(&ci, 0, sizeof(ci));
		ci.facts = json_object();
		snprintf(ci.error, sizeof(ci.error), "%s", strerror(gone));
	}
	/* Known by the file read: when the process's file was replaced before
	 * the read (ESTALE), what the path names now was not read, and its
	 * next open must not find this error (ino 0: never a hit). */
	if (exists && root_path_stat(path, &st) == 0 &&
	    (!ino || (st.st_ino == ino && cred_kdev(st.st_dev) == kdev))) {
		cc->cache[slot].kdev = cred_kdev(st.st_dev);
		cc->cache[slot].ino = st.st_ino;
		cc->cache[slot].size = st.st_size;
		cc->cache[slot].mtime_ns = timespec_ns(&st.st_mtim);
		cc->cache[slot].ctime_ns = timespec_ns(&st.st_ctim);
	} /* else ino 0: never a hit */
	if (changed && !ci.fingerprint[0] && exists)
		snprintf(ci.error, sizeof(ci.error), "the file changed after the process opened it");
	memcpy(cc->cache[slot].fingerprint, ci.fingerprint, sizeof(ci.fingerprint));
	memcpy(cc->cache[slot].error, ci.error, sizeof(ci.error));
	cc->cache[slot].facts = ci.facts;
	return slot;
}

static json_t *result_json(int32_t ret)
{
	const char *name;

	if (ret >= 0)
		return json_integer(ret);
	name = strerrorname_np(-ret);
	return name ? json_string(name) : json_integer(ret);
}

/* Was the watched file at real replaced since it was watched as (kdev,
 * ino)? Its name now gives another file, or (a host path) none. The kernel
 * hands a freed inode number to the next file made, so until the rescan
 * that follows the change, an open of that new file matches the old
 * entry. A path through a container's root that is gone proves nothing,
 * nor does one where a file mounted into the container was. */
static bool watched_inode_replaced(const struct cred_ctx *cc, const char *real, uint32_t kdev,
				   uint64_t ino)
{
	size_t n = strlen(cc->proc_root);
	char held[64];
	struct stat st;

	if (!root_path_stat(real, &st)) {
		/* A file mounted into a container from another file system,
		 * whose mount went with the container: the name now shows the
		 * mount point beneath, on the root's file system. */
		if (cred_kdev(st.st_dev) != kdev &&
		    !cred_watch_held_path(cc->watch, kdev, ino, held, sizeof(held)))
			return false;
		return st.st_ino != ino || cred_kdev(st.st_dev) != kdev;
	}
	return errno == ENOENT && !(strncmp(real, cc->proc_root, n) == 0 && real[n] == '/');
}

/* The path the process gave (given, n bytes) names the watched path p: it
 * is p, or a relative path p ends with at a '/' (".kube/config", from the
 * home). Then a watched file replaced since the open (sed -i, an editor's
 * rename, cp + mv) is the file the process opened under that name, not a
 * new file that was given the freed inode number (which has a name of its
 * own), and it needs no resolving: a relative path cannot be resolved once
 * the process is gone. */
static bool names_watched_path(const char *given, size_t n, const char *p)
{
	size_t plen = strlen(p);

	while (n >= 2 && given[0] == '.' && given[1] == '/') {
		given += 2;
		n -= 2;
		while (n && given[0] == '/') {
			given++;
			n--;
		}
	}
	if (!n || n > plen || memcmp(p + plen - n, given, n) || memmem(given, n, "..", 2))
		return false;
	if (given[0] == '/')
		return n == plen;
	return n < plen && p[plen - n - 1] == '/';
}

/* The file's path: from the watch list for a watched inode or directory,
 * else resolved from what the process passed. *real (in real, n bytes) is
 * where the daemon reads it: the path itself, or through the container's
 * root for a file in a container. *stale: the inode's entry no longer
 * names the file opened (see watched_inode_replaced), or is gone; the path
 * is then resolved from what the process passed, for the rules to judge. */
static const char *file_path(struct cred_ctx *cc, const struct wire_open *w, char *buf, size_t n,
			     char *real, const char **real_out, bool *resolved, bool *stale)
{
	const struct idt_open *ev = w->ev;
	const char *p, *r;

	*resolved = true;
	*stale = false;
	if (ev->match == IDT_MATCH_INODE) {
		p = cred_watch_inode_path(cc->watch, ev->dev, ev->ino, NULL, real_out);
		if (p && (!watched_inode_replaced(cc, *real_out, ev->dev, ev->ino) ||
			  names_watched_path(w->path.p, w->path.len, p)))
			return p;
		/* replaced, or no longer watched at all (the rescan that followed
		 * the change came before this record) */
		*stale = true;
	} else if (ev->match == IDT_MATCH_DIR) {
		p = cred_watch_dir_path(cc->watch, ev->dir_dev, ev->dir_ino, &r);
		if (p) {
			snprintf(buf, n, "%s/%.*s", strcmp(p, "/") ? p : "", (int)w->name.len,
				 w->name.p);
			snprintf(real, n, "%s/%.*s", strcmp(r, "/") ? r : "", (int)w->name.len,
				 w->name.p);
			*real_out = real;
			return buf;
		}
	}
	*real_out = buf;
	*resolved = cred_event_resolve(cc->proc_root, ev->hdr.pid, ev->dfd, w->path.p, w->path.len,
				       buf, n) == 0;
	if (*resolved) {
		/* through symlinks where the file exists; for a failed open, its
		 * directory's (a home that is a link: /home/u -> /srv/u) */
		char target[PATH_MAX], *slash = strrchr(buf, '/');

		if (realpath(buf, target)) {
			snprintf(buf, n, "%s", target);
		} else if (errno == ENOENT && slash && slash > buf) {
			*slash = '\0';
			if (realpath(buf, target) && strlen(target) + strlen(slash + 1) + 2 <= n) {
				char name[NAME_MAX + 1];

				snprintf(name, sizeof(name), "%s", slash + 1);
				snprintf(buf, n, "%s/%s", strcmp(target, "/") ? target : "", name);
			} else {
				*slash = '/';
			}
		}
	}
	return buf;
}

/* A file the kernel matched by its name alone, in a container the daemon
 * had not scanned (IDT_MATCH_CONTAINER): its path as the container names
 * it (path: below the process's root, from the dentries the kernel walked;
 * else the absolute path it passed), where the daemon reads it (real: a
 * mount of its file system in the daemon's namespace, as the process and
 * its /proc/PID/root may be gone; else through /proc/PID/root), and the
 * rule the path falls under with the container's homes, or NULL. */
static const struct watch_rule *container_file(struct cred_ctx *cc, const struct wire_open *w,
					       const struct proc *p, char *path, char *real, size_t n)
{
	const struct idt_open *ev = w->ev;
	int names = mount_path_walk_names(w->walk.p, w->walk.len);
	bool depth_known = ev->root_depth != IDT_WALK_ROOT_UNSEEN && names > 0 &&
			   ev->root_depth >= 1 && (int)ev->root_depth <= names;
	char root[PATH_MAX] = "", fs_file[PATH_MAX], fs_root[PATH_MAX], proc[64];
	const struct watch_rule *r;
	char *mi = NULL;
	int depth = 0;
	long mlen;

	real[0] = '\0';
	if (depth_known && !mount_path_join(w->walk.p, w->walk.len, 0, ev->root_depth, path, n)) {
		/* named below its root: the path it sees */
	} else if (w->path.len && w->path.p[0] == '/') {
		snprintf(path, n, "%.*s", (int)w->path.len, w->path.p);
		clean_path(path);
	} else {
		return NULL; /* relative to a directory on another mount: unknown */
	}
	if (names > 0 && (ev->walk_flags & IDT_WALK_TOP) &&
	    !mount_path_join(w->walk.p, w->walk.len, 0, names, fs_file, sizeof(fs_file)) &&
	    (mlen = mount_path_read_mountinfo(&mi)) >= 0) {
		bool root_fs = depth_known && !mount_path_join(w->walk.p, w->walk.len, ev->root_depth,
							       names, fs_root, sizeof(fs_root));
		struct mount_line m;
		size_t pos = 0;
		struct stat st;

		while (mount_path_next(mi, mlen, &pos, ev->dev, &m) == 0) {
			/* a mount that another hides, or a name replaced since:
			 * not the file the process opened */
			if (mount_path_through(&m, fs_file, real, n) || stat(real, &st) ||
			    st.st_ino != ev->ino || cred_kdev(st.st_dev) != ev->dev) {
				real[0] = '\0';
				continue;
			}
			if (root_fs && mount_path_through(&m, fs_root, root, sizeof(root)))
				root[0] = '\0';
			break;
		}
	}
	free(mi);
	snprintf(proc, sizeof(proc), "%s/%u/root", cc->proc_root, ev->hdr.pid);
	if (proc_file_mntns(cc->proc_root, ev->hdr.pid) == ev->mntns && !root[0])
		snprintf(root, sizeof(root), "%s", proc);
	/* a process gone at once (cat): its parent in the container, a shell,
	 * may still be there */
	for (const struct proc *a = p ? p->parent : NULL; a && !root[0] && depth < 4;
	     a = a->parent, depth++) {
		if (proc_file_mntns(cc->proc_root, a->pid) == ev->mntns) {
			snprintf(root, sizeof(root), "%s/%u/root", cc->proc_root, a->pid);
			snprintf(proc, sizeof(proc), "%s", root);
		}
	}
	/* never the path itself: the host's file of that name is another */
	if (!real[0])
		snprintf(real, n, "%s%s", proc, path);
	r = cred_watch_match_in_root(cc->watch, root[0] ? root : NULL, ev->mntns, path);
	if (!r && w->path.len && w->path.p[0] == '/') {
		/* matched by the name it was opened by: a file bind-mounted
		 * under a watched name, or a watched name that is a link to a
		 * file of another name; named as given, as on the host */
		char given[PATH_MAX];

		snprintf(given, sizeof(given), "%.*s", (int)w->path.len, w->path.p);
		clean_path(given);
		r = cred_watch_match_in_root(cc->watch, root[0] ? root : NULL, ev->mntns, given);
		if (r)
			snprintf(path, n, "%s", given);
	}
	/* named as the scan names it, so its later reads (matched by inode)
	 * read alike: /run/secrets/... where /var/run links to /run */
	if (r && root[0]) {
		char first[PATH_MAX];

		if (cred_watch_scan_name(cc->watch, root, path, ev->dev, ev->ino, first,
					 sizeof(first)))
			snprintf(path, n, "%s", first);
	}
	return r;
}

/* A container's watched file opened by a process outside that container
 * (on the host, through /proc/PID/root/... or the runtime's merged
 * directory): its path is the one the reader gave (made absolute, not
 * through /proc's magic links), and *container_path the container's name
 * for it. Else path as it was. */
static const char *outside_reader_path(struct cred_ctx *cc, const struct proc *p,
				       const struct wire_open *w, const char *path, char *buf,
				       size_t n, const char **container_path)
{
	const struct idt_open *ev = w->ev;
	const char *own;
	uint64_t root_ns;

	*container_path = NULL;
	if (ev->match != IDT_MATCH_INODE || !p->mntns ||
	    !cred_watch_inode_root_ns(cc->watch, ev->dev, ev->ino, &root_ns) || root_ns == p->mntns)
		return path;
	/* one more container that has it (a host directory mounted into two):
	 * by the name this one gives it */
	own = cred_watch_inode_in_ns(cc->watch, ev->dev, ev->ino, p->mntns);
	if (own)
		return own;
	if (cred_event_resolve(cc->proc_root, ev->hdr.pid, ev->dfd, w->path.p, w->path.len, buf, n))
		return path;
	*container_path = path;
	return buf;
}

/* me read the credential fp: name earlier readers with another originator,
 * then remember me. */
static void note_pivots(struct cred_ctx *cc, const struct pivot_reader *me, json_t *ev,
			const char *fp)
{
	struct pivot_reader others[PIVOT_READERS];
	json_t *reasons = json_object_get(json_object_get(ev, "provenance"), "reasons");
	char reason[768];
	int n = pivot_table_others(cc->pivots, fp, me->originator, others);

	for (int i = 0; i < n; i++) {
		snprintf(reason, sizeof(reason), "credential_pivot:%s:%s_by=%s,exec_id=%s", fp,
			 others[i].how, others[i].originator, others[i].exec_id);
		json_array_append_new(reasons, json_str_bytes(reason, strlen(reason), 512, NULL));
	}
	pivot_table_note(cc->pivots, fp, me);
}

/* An AWS file's access key ids, so SigV4 requests (which send the key id,
 * not the secret) link to the read. */
static void note_aws_key_ids(struct cred_ctx *cc, const struct pivot_reader *me, json_t *facts)
{
	json_t *profiles = json_object_get(facts, "aws_profiles"), *prof;
	char fp[FINGERPRINT_STR_LEN];
	size_t i;

	json_array_foreach(profiles, i, prof) {
		const char *akid = json_string_value(json_object_get(prof, "access_key_id"));

		if (!akid || !*akid)
			continue;
		fingerprint_aws_key_id(&cc->key, akid, fp);
		if (*fp)
			pivot_table_note(cc->pivots, fp, me);
	}
}

/* The other credentials of a file of several (.netrc, .git-credentials, a
 * kubeconfig, docker's config.json), so a request presenting any of them
 * links to the read. */
static void note_other_fingerprints(struct cred_ctx *cc, const struct pivot_reader *me,
				    json_t *facts)
{
	json_t *list = json_object_get(facts, "other_fingerprints"), *fp;
	size_t i;

	json_array_foreach(list, i, fp)
		pivot_table_note(cc->pivots, json_string_value(fp), me);
}

json_t *cred_event_build(struct cred_ctx *cc, struct event_ctx *ec, struct proc *p,
			 const struct wire_open *w)
{
	const struct idt_open *ev = w->ev;
	const char *type = cred_type_name(ev->cred_type), *path, *real, *fp;
	struct pivot_reader me;
	json_t *out, *file, *cred, *hop;
	char buf[PATH_MAX], real_buf[PATH_MAX], dev[32];
	bool resolved, stale = false;
	const char *container_path = NULL;
	char host_buf[PATH_MAX];
	int slot;
	uint32_t sys;

	if (ev->match == IDT_MATCH_CONTAINER) {
		/* matched by its name alone: the whole path decides */
		const struct watch_rule *r = container_file(cc, w, p, buf, real_buf, sizeof(buf));

		if (!r) {
			cc->filtered++;
			return NULL;
		}
		type = r->type;
		path = buf;
		real = real_buf;
		resolved = true;
	} else {
		path = file_path(cc, w, buf, sizeof(buf), real_buf, &real, &resolved, &stale);
		path = outside_reader_path(cc, p, w, path, host_buf, sizeof(host_buf), &container_path);
	}
	/* The kernel filters coarsely for directories and failed opens (a
	 * failed open by its base name alone, whose type is that of the first
	 * rule with the name); the rules decide, and give the type. So they do
	 * for a stale inode entry's match. */
	if (ev->match == IDT_MATCH_DIR || ev->match == IDT_MATCH_NAME || stale) {
		const struct watch_rule *r = cred_watch_match_path(cc->watch, path);

		if (!r) {
			cc->filtered++;
			return NULL;
		}
		type = r->type;
	}
	out = event_new(ec, "credential.read", ev->hdr.ts_ns);
	if (!out || event_attach_identity(ec, out, p)) {
		json_decref(out);
		return NULL;
	}
	snprintf(dev, sizeof(dev), "%u:%u", ev->dev >> 20, ev->dev & 0xfffff);
	file = json_pack("{s:o, s:o, s:o, s:o, s:s}", "path",
			 json_str_bytes(path, strlen(path), PATH_MAX, NULL), "path_as_given",
			 json_str_bytes(w->path.p, w->path.len, PATH_MAX, NULL), "flags",
			 cred_event_flags(ev->flags), "result", result_json(ev->ret), "match",
			 ev->match == IDT_MATCH_INODE	  ? "inode"
			 : ev->match == IDT_MATCH_DIR	  ? "directory"
			 : ev->match == IDT_MATCH_CONTAINER ? "container_name"
							  : "name");
	if (!resolved)
		json_object_set_new(file, "path_resolved", json_false());
	if (container_path)
		json_object_set_new(file, "container_path",
				    json_str_bytes(container_path, strlen(container_path), PATH_MAX, NULL));
	sys = ev->syscall & IDT_SYS_ID_MASK;
	if (sys >= IDT_SYS_OPEN && sys <= IDT_SYS_IO_URING_OPENAT2_FIXED) {
		static const char *const names[] = {
			"",	 "open",  "openat", "openat2", "creat", "open_by_handle_at",
			"io_uring_openat", "io_uring_openat2", "io_uring_openat_fixed",
			"io_uring_openat2_fixed"
		};

		json_object_set_new(file, "syscall", json_string(names[sys]));
	}
	if (ev->syscall & IDT_SYS_ABI_IA32)
		json_object_set_new(file, "syscall_abi", json_string("ia32"));
	if (ev->ino) {
		json_object_set_new(file, "inode", json_integer(ev->ino));
		json_object_set_new(file, "device", json_string(dev));
	}
	json_object_set_new(out, "file", file);

	/* A failed open gave the process nothing: no fingerprint, so no request
	 * links to it. The name may not even be the daemon's file: a process
	 * in a container names its own. */
	slot = ev->ret >= 0 ? inspect_cached(cc, type, real, ev->dev, ev->ino, (int64_t)ev->ctime_ns) : -1;
	if (slot >= 0 && !cc->cache[slot].fingerprint[0] && ev->match == IDT_MATCH_INODE) {
		/* a container that read a host file bind-mounted in, and exited:
		 * its root is gone (ESTALE), the host's path is not */
		const char *other = cred_watch_inode_other_real(cc->watch, ev->dev, ev->ino, real);
		char held[64];

		if (other)
			slot = inspect_cached(cc, type, other, ev->dev, ev->ino, (int64_t)ev->ctime_ns);
		/* a file mounted in from elsewhere, held since the scan */
		if (!cc->cache[slot].fingerprint[0] &&
		    !cred_watch_held_path(cc->watch, ev->dev, ev->ino, held, sizeof(held)))
			slot = inspect_cached(cc, type, held, ev->dev, ev->ino, (int64_t)ev->ctime_ns);
	}
	fp = slot >= 0 ? cc->cache[slot].fingerprint : "";
	cred = json_pack("{s:s, s:s}", "type", type, "source", "file");
	if (*fp)
		json_object_set_new(cred, "fingerprint", json_string(fp));
	else if (slot >= 0)
		event_add_missing(out, "credential.fingerprint", cc->cache[slot].error);
	if (slot >= 0)
		json_object_update(cred, cc->cache[slot].facts);
	json_object_set_new(out, "credential", cred);

	hop = json_pack("{s:s, s:s, s:s, s:o, s:s}", "kind", "credential", "type", type, "source",
			"file", "path", json_str_bytes(path, strlen(path), PATH_MAX, NULL),
			"read_by_exec_id", p->exec_id);
	if (*fp)
		json_object_set_new(hop, "fingerprint", json_string(fp));
	json_array_append_new(json_object_get(out, "chain"), hop);
	chain_pivot_reader(&ec->chain, p, "read", path, type, &me);
	if (*fp)
		note_pivots(cc, &me, out, fp);
	if (slot >= 0) {
		note_aws_key_ids(cc, &me, cc->cache[slot].facts);
		note_other_fingerprints(cc, &me, cc->cache[slot].facts);
	}
	return out;
}

void cred_ctx_release(struct cred_ctx *cc)
{
	for (unsigned int i = 0; i < CRED_CACHE; i++)
		json_decref(cc->cache[i].facts);
	pivot_table_free(cc->pivots);
	cred_watch_free(cc->watch);
}
