// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "proc_file.h"
#include "proc_seed.h"

#define ENVIRON_MAX (256 * 1024)
#define CMDLINE_MAX 4096

/* A whole /proc file of pid (bounded). */
static int read_file(struct proc_tracker *tr, __u32 pid, const char *name, size_t max, char **buf,
		     size_t *len)
{
	return proc_file_read(tr->proc_root, pid, name, max, buf, len);
}

int proc_seed_read_environ(struct proc_tracker *tr, __u32 pid, char **buf, size_t *len)
{
	return read_file(tr, pid, "environ", ENVIRON_MAX, buf, len);
}

static __u32 read_u32_file(struct proc_tracker *tr, __u32 pid, const char *name, __u32 dflt)
{
	char *b = NULL;
	size_t n;
	__u32 v = dflt;

	if (read_file(tr, pid, name, 64, &b, &n) == 0)
		v = (__u32)strtoul(b, NULL, 10);
	free(b);
	return v;
}

/* ppid and start time from /proc/PID/stat; fields after the last ')' so a
 * comm with spaces or parentheses cannot shift them. */
static int read_stat(struct proc_tracker *tr, __u32 pid, __u32 *ppid, __u64 *start_ns, char *comm,
		     size_t comm_n)
{
	unsigned long long start_ticks;
	char *b = NULL, *open_p, *close_p;
	size_t n;
	long hz = sysconf(_SC_CLK_TCK);
	int err;

	err = read_file(tr, pid, "stat", 4096, &b, &n);
	if (err)
		return err;
	open_p = strchr(b, '(');
	close_p = strrchr(b, ')');
	if (!open_p || !close_p || close_p < open_p ||
	    sscanf(close_p + 2, "%*c %u %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s "
				"%*s %*s %*s %llu", ppid, &start_ticks) != 2) {
		free(b);
		return -EINVAL;
	}
	snprintf(comm, comm_n, "%.*s", (int)(close_p - open_p - 1), open_p + 1);
	*start_ns = start_ticks * (1000000000ull / (hz > 0 ? hz : 100));
	free(b);
	return 0;
}

static void read_ids(struct proc_tracker *tr, struct proc *p)
{
	char *b = NULL, *line;
	size_t n;

	if (read_file(tr, p->pid, "status", 16384, &b, &n))
		return;
	line = strstr(b, "\nUid:");
	if (line)
		sscanf(line + 5, "%u %u", &p->uid, &p->euid);
	line = strstr(b, "\nGid:");
	if (line)
		sscanf(line + 5, "%u %u", &p->gid, &p->egid);
	free(b);
}

/* The cgroup v2 line ("0::/path") names the path; the cgroup id is the
 * inode of that directory under the cgroup2 mount. */
static void read_cgroup(struct proc_tracker *tr, struct proc *p)
{
	char *b = NULL, *line, *end, path[4096];
	size_t n;
	struct stat st;

	if (read_file(tr, p->pid, "cgroup", 65536, &b, &n))
		return;
	line = strstr(b, "0::");
	if (line && (line == b || line[-1] == '\n')) {
		end = strchr(line, '\n');
		if (end)
			*end = '\0';
		p->cgroup_path = strdup(line + 3);
		if (tr->cgroup2_mount) {
			snprintf(path, sizeof(path), "%s%s", tr->cgroup2_mount, line + 3);
			if (stat(path, &st) == 0)
				p->cgroup_id = st.st_ino;
		}
	}
	free(b);
}

#ifndef NS_GET_MNTNS_ID
#define NS_GET_MNTNS_ID _IOR(0xb7, 0x5, __u64) /* linux/nsfs.h, 6.10+ */
#endif

/* Its mount namespace: the inode number, and the id the exec probe reads
 * (where the kernel tells it: 6.10+; else 0, and the open probe checks the
 * names its processes open until one of them execs or opens a watched name). */
static void read_mntns(struct proc_tracker *tr, struct proc *p)
{
	char path[128];
	struct stat st;
	__u64 id = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/%u/ns/mnt", tr->proc_root, p->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (fstat(fd, &st) == 0) {
		p->mntns = st.st_ino;
		if (ioctl(fd, NS_GET_MNTNS_ID, &id) == 0)
			p->mntns_id = id;
	}
	close(fd);
}

static struct proc *seed_record(struct proc_tracker *tr, __u32 pid, struct proc *parent,
				__u32 ppid, __u64 start_ns, const char *comm)
{
	char path[128], exe[4096];
	struct proc *p = proc_new(pid);
	char *env = NULL;
	size_t env_len = 0;
	ssize_t n;

	if (!p)
		return NULL;
	p->ppid = ppid;
	p->start_ns = p->image_ns = start_ns;
	p->flags = PROC_F_SEEDED;
	proc_format_exec_id(p->exec_id, tr->boot_id, pid, start_ns);
	snprintf(path, sizeof(path), "%s/%u/exe", tr->proc_root, pid);
	n = readlink(path, exe, sizeof(exe) - 1);
	if (n >= 0) {
		exe[n] = '\0';
		p->exe = strdup(exe);
		p->exe_real = strdup(exe);
	} else {
		/* kernel threads have no exe: name them as ps does */
		snprintf(exe, sizeof(exe), "[%s]", comm);
		p->exe = strdup(exe);
	}
	if (read_file(tr, pid, "cmdline", CMDLINE_MAX, &p->args, &p->args_len) == 0) {
		for (size_t i = 0; i < p->args_len; i++)
			p->argc += p->args[i] == '\0';
		if (p->args_len && p->args[p->args_len - 1] != '\0')
			p->argc++;
		if (p->args_len >= CMDLINE_MAX)
			p->flags |= PROC_F_ARGS_TRUNC;
	}
	read_ids(tr, p);
	p->loginuid = read_u32_file(tr, pid, "loginuid", (__u32)-1);
	p->sessionid = read_u32_file(tr, pid, "sessionid", (__u32)-1);
	read_cgroup(tr, p);
	read_mntns(tr, p);
	p->pidns = proc_file_ns(tr->proc_root, pid, "pid");
	p->netns = proc_file_ns(tr->proc_root, pid, "net");
	p->userns = proc_file_ns(tr->proc_root, pid, "user");
	if (!parent && ppid != 0)
		p->flags |= PROC_F_LINEAGE_CUT;
	proc_set_parent(p, parent);
	if (proc_seed_read_environ(tr, pid, &env, &env_len) != 0)
		p->flags |= PROC_F_ENV_UNREAD;
	proc_track_apply_ci(p, parent ? parent->ci : NULL, env, env_len, env != NULL);
	proc_track_note_ci_env(tr, p, env, env_len);
	proc_track_note_secret_values(p, env, env_len);
	free(env);
	proc_table_insert(tr->table, p);
	proc_put(p);
	return p;
}

struct proc *proc_seed_one(struct proc_tracker *tr, __u32 pid)
{
	__u32 chain[PROC_MAX_DEPTH], ppids[PROC_MAX_DEPTH];
	__u64 starts[PROC_MAX_DEPTH];
	char comms[PROC_MAX_DEPTH][32];
	struct proc *parent = NULL, *p = NULL;
	int n = 0;

	/* Walk up to the first known ancestor, then create top-down so each
	 * record links to (and inherits from) its parent. */
	for (__u32 cur = pid; cur != 0 && n < PROC_MAX_DEPTH; n++) {
		parent = proc_table_lookup(tr->table, cur);
		if (parent)
			break;
		if (read_stat(tr, cur, &ppids[n], &starts[n], comms[n], sizeof(comms[n])))
			break;
		chain[n] = cur;
		cur = ppids[n];
	}
	if (n == 0)
		return parent && parent->pid == pid ? parent : NULL;
	for (int i = n - 1; i >= 0; i--) {
		p = seed_record(tr, chain[i], parent, ppids[i], starts[i], comms[i]);
		parent = p;
	}
	return p && p->pid == pid ? p : NULL;
}

int proc_track_seed_all(struct proc_tracker *tr)
{
	DIR *d = opendir(tr->proc_root);
	struct dirent *de;
	int count = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char *end;
		unsigned long pid = strtoul(de->d_name, &end, 10);

		if (!isdigit((unsigned char)de->d_name[0]) || *end || pid == 0)
			continue;
		if (proc_table_lookup(tr->table, pid))
			continue;
		if (proc_seed_one(tr, pid))
			count++;
	}
	closedir(d);
	return count;
}
