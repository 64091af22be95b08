// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/openat2.h>
#include "cgroup_path.h"
#include "cgroup_resolve.h"
#include "json_str.h"
#include "jwt.h"
#include "proc_file.h"
#include "workload.h"

#define SA_TOKEN_PATH "var/run/secrets/kubernetes.io/serviceaccount/token"
#define SA_TOKEN_MAX (64 * 1024)
#define SA_CACHE 64

/* Keyed by mount namespace and pod: the kernel gives a freed namespace's
 * number to the next one made, so a later pod may have an earlier pod's
 * number (and its entry). */
struct sa_entry {
	__u32 mntns;
	char pod_uid[37];
	int err; /* 0, or why the token could not be read */
	/* the process image the error came from: runc's init reads the pod's
	 * cgroup before its pivot_root, where no token is; its exec, or another
	 * process, is tried again */
	uint32_t err_pid;
	uint64_t err_image_ns;
	char ns[256];
	char name[256];
};

/* The namespaces the workload hop names when a process is not in the
 * daemon's own: mount, pid, network, user. */
enum { NS_MNT, NS_PID, NS_NET, NS_USER, NS_KINDS };
static const char *const ns_names[NS_KINDS] = { "mnt", "pid", "net", "user" };

struct workload_ctx {
	const char *proc_root;
	uint64_t host_ns[NS_KINDS]; /* the daemon's own (0: unknown) */
	char *spiffe_id;
	struct cgroup_resolver *cg;
	struct cgroup_resolver *cg_v1; /* hybrid hosts: one v1 hierarchy, by id */
	struct sa_entry sa[SA_CACHE];
	unsigned int sa_next;
};

struct workload_ctx *workload_ctx_new(const char *proc_root, const char *spiffe_id)
{
	struct workload_ctx *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->proc_root = proc_root;
	/* the daemon's own, from the real /proc whatever proc_root is (tests
	 * give a fixture) */
	for (int i = 0; i < NS_KINDS; i++)
		w->host_ns[i] = proc_file_ns("/proc", getpid(), ns_names[i]);
	w->spiffe_id = spiffe_id ? strdup(spiffe_id) : NULL;
	w->cg = cgroup_resolver_new(); /* NULL: no cgroup2 on this host */
	w->cg_v1 = cgroup_resolver_new_v1(); /* NULL: no v1 hierarchy here */
	return w;
}

void workload_ctx_free(struct workload_ctx *w)
{
	if (!w)
		return;
	cgroup_resolver_free(w->cg);
	cgroup_resolver_free(w->cg_v1);
	free(w->spiffe_id);
	free(w);
}

const char *workload_cgroup_v1_controller(const struct workload_ctx *w)
{
	return w->cg_v1 ? cgroup_resolver_controller(w->cg_v1) : NULL;
}

const char *workload_cgroup2_mount(const struct workload_ctx *w)
{
	return w->cg ? cgroup_resolver_mount(w->cg) : NULL;
}

static void add_missing(json_t *missing, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void add_missing(json_t *missing, const char *field, const char *fmt, ...)
{
	char reason[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	json_array_append_new(missing, json_pack("{s:s, s:s}", "field", field, "reason", reason));
}

static void set_str(json_t *o, const char *key, const char *val)
{
	if (val && *val)
		json_object_set_new(o, key, json_str_bytes(val, strlen(val), 4096, NULL));
}

/* A record without a v1 cgroup id (seeded from /proc, or a stand-in for a
 * process never seen at exec): take it from /proc/PID/cgroup, the line of
 * the controller the exec probe follows. Once per record. */
static void read_v1_id(struct workload_ctx *w, struct proc *p)
{
	const char *controller = cgroup_resolver_controller(w->cg_v1);
	char path[128], line[4096];
	FILE *f;

	p->flags |= PROC_F_V1_READ;
	snprintf(path, sizeof(path), "%s/%u/cgroup", w->proc_root, p->pid);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *ctrls = strchr(line, ':'), *rel = ctrls ? strchr(ctrls + 1, ':') : NULL;

		if (!rel)
			continue;
		*rel++ = '\0';
		rel[strcspn(rel, "\n")] = '\0';
		if (cgroup_list_has(ctrls + 1, controller)) {
			p->cgroup_v1_id = cgroup_resolver_id(w->cg_v1, rel);
			break;
		}
	}
	fclose(f);
}

static int open_in_root(const char *root, const char *rel)
{
	struct open_how how = { .flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK,
				.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
	int dfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC), fd;

	if (dfd < 0)
		return -errno;
	fd = syscall(SYS_openat2, dfd, rel, &how, sizeof(how));
	if (fd < 0)
		fd = -errno;
	close(dfd);
	return fd;
}

/* Read the pod's service-account token through the process's own root and
 * keep only the namespace and account name from its claims. */
static void read_service_account(struct workload_ctx *w, const struct proc *p, struct sa_entry *e)
{
	char root[128], *buf;
	struct jwt_claims *c;
	struct stat st;
	ssize_t n;
	int fd;

	snprintf(root, sizeof(root), "%s/%u/root", w->proc_root, p->pid);
	fd = open_in_root(root, SA_TOKEN_PATH);
	if (fd < 0) {
		e->err = fd;
		return;
	}
	buf = malloc(SA_TOKEN_MAX);
	c = calloc(1, sizeof(*c));
	if (!buf || !c || fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		e->err = -EINVAL;
		goto out;
	}
	n = read(fd, buf, SA_TOKEN_MAX);
	if (n <= 0 || jwt_decode(buf, n, c) != 0 || !c->k8s_namespace[0]) {
		e->err = -EBADMSG;
		goto out;
	}
	snprintf(e->ns, sizeof(e->ns), "%s", c->k8s_namespace);
	snprintf(e->name, sizeof(e->name), "%s", c->k8s_serviceaccount);
	e->err = 0;
out:
	if (buf)
		explicit_bzero(buf, SA_TOKEN_MAX);
	free(buf);
	free(c);
	close(fd);
}

static const struct sa_entry *service_account(struct workload_ctx *w, struct proc *p,
					      const char *pod_uid)
{
	struct sa_entry *e;
	unsigned int i;

	if (!p->mntns)
		p->mntns = proc_file_mntns(w->proc_root, p->pid);
	if (!p->mntns)
		return NULL; /* gone */
	for (e = NULL, i = 0; i < SA_CACHE && !e; i++)
		if (w->sa[i].mntns == p->mntns && !strcmp(w->sa[i].pod_uid, pod_uid))
			e = &w->sa[i];
	if (e && !(e->err && (e->err_pid != p->pid || e->err_image_ns != p->image_ns)))
		return e;
	if (!e) {
		e = &w->sa[w->sa_next++ % SA_CACHE];
		memset(e, 0, sizeof(*e));
		e->mntns = p->mntns;
		snprintf(e->pod_uid, sizeof(e->pod_uid), "%s", pod_uid);
	}
	read_service_account(w, p, e);
	e->err_pid = e->err ? p->pid : 0;
	e->err_image_ns = e->err ? p->image_ns : 0;
	return e;
}

void workload_note_cgroup(struct workload_ctx *w, bool v1, uint64_t id, const char *path)
{
	struct cgroup_resolver *r = v1 ? w->cg_v1 : w->cg;

	if (r && id)
		cgroup_resolver_note(r, id, path);
}

/* {"mnt","pid","net","user"}: those of p's namespaces that are known and
 * not the daemon's (a container, or a sandbox such as unshare or bwrap that
 * makes no cgroup), or NULL when there are none. */
static json_t *namespaces(const struct workload_ctx *w, const struct proc *p)
{
	const uint64_t ns[NS_KINDS] = { p->mntns, p->pidns, p->netns, p->userns };
	json_t *o = NULL;

	for (int i = 0; i < NS_KINDS; i++) {
		if (!ns[i] || !w->host_ns[i] || ns[i] == w->host_ns[i])
			continue;
		if (!o && !(o = json_object()))
			return NULL;
		json_object_set_new(o, ns_names[i], json_integer((json_int_t)ns[i]));
	}
	return o;
}

json_t *workload_hop(struct workload_ctx *w, struct proc *p, json_t *missing)
{
	json_t *ns;
	json_t *hop = json_pack("{s:s, s:I}", "kind", "workload", "cgroup_id", (json_int_t)p->cgroup_id);
	struct workload_info wl;
	char path[4096];
	int err;

	if (!hop)
		return NULL;
	if (!p->cgroup_path && w->cg && p->cgroup_id) {
		err = cgroup_resolve(w->cg, p->cgroup_id, path, sizeof(path));
		if (!err)
			p->cgroup_path = strdup(path);
		else
			add_missing(missing, "workload.cgroup_path", "cgroup id %llu: %s",
				    (unsigned long long)p->cgroup_id, strerror(-err));
	} else if (!p->cgroup_path) {
		add_missing(missing, "workload.cgroup_path", "%s",
			    w->cg ? "no cgroup id recorded" : "no cgroup2 mount on this host");
	}
	memset(&wl, 0, sizeof(wl));
	if (p->cgroup_path) {
		set_str(hop, "cgroup_path", p->cgroup_path);
		cgroup_path_parse(p->cgroup_path, strlen(p->cgroup_path), &wl);
	}
	/* On hybrid hosts a container may exist only in the v1 hierarchies: its
	 * cgroup there, by the id the exec probe recorded (so a process gone by
	 * now is placed), resolved through a cache. */
	if (!wl.container_id[0] && !wl.container_name[0] && w->cg_v1) {
		struct workload_info v1;

		if (!p->cgroup_v1_id && !(p->flags & (PROC_F_EXITED | PROC_F_V1_READ)))
			read_v1_id(w, p);
		if (p->cgroup_v1_id && !cgroup_resolve(w->cg_v1, p->cgroup_v1_id, path, sizeof(path)) &&
		    cgroup_path_parse(path, strlen(path), &v1) == 0 && v1.runtime[0])
			wl = v1;
	}
	set_str(hop, "runtime", wl.runtime);
	set_str(hop, "container_id", wl.container_id);
	set_str(hop, "container_name", wl.container_name);
	set_str(hop, "pod_uid", wl.pod_uid);
	set_str(hop, "qos_class", wl.qos_class);
	set_str(hop, "systemd_unit", wl.systemd_unit);
	set_str(hop, "systemd_slice", wl.systemd_slice);
	if (wl.pod_uid[0]) {
		const struct sa_entry *sa = service_account(w, p, wl.pod_uid);

		if (sa && !sa->err) {
			json_t *o = json_object();

			set_str(o, "namespace", sa->ns);
			set_str(o, "name", sa->name);
			json_object_set_new(hop, "service_account", o);
		} else {
			add_missing(missing, "workload.service_account", "%s",
				    sa ? strerror(-sa->err) : "process gone before its token was read");
		}
	}
	ns = namespaces(w, p);
	if (ns)
		json_object_set_new(hop, "namespaces", ns);
	set_str(hop, "spiffe_id", w->spiffe_id);
	return hop;
}
