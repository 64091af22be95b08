// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <glob.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "cred_watch.h"
#include "idtrace_wire.h"
#include "log.h"
#include "proc_file.h"
#include "root_path.h"

#define MAX_HOMES 256
#define MAX_FILES_PER_DIR 4096 /* entries listed in one watched directory */
#define MAX_ROOTS 128	       /* containers' file systems watched besides the host's */
#define ROOT_HOMES 64	       /* homes per container (its /etc/passwd, and /root) */
#define ROOT_ENV_HOMES 8       /* of them, HOMEs seen in its processes' environments */
#define ROOT_HELD_FILES 16 /* per container: files mounted in, held for a late read */
#define HOME_ALIASES 8 /* other spellings of watched homes, remembered */

static const char *const type_names[] = {
	"aws", "gcp", "azure", "k8s_service_account", "kubeconfig", "ssh_private_key", "docker",
	"git", "netrc", "npm", "pypi", "vault", "github_cli", "spiffe", "shadow", "custom",
};
#define N_TYPES (sizeof(type_names) / sizeof(type_names[0]))

/* path: as the processes that open it name it (in a container: inside it);
 * real: where the daemon reaches it (through the container's root,
 * /proc/self/fd/FD/...), NULL when that is path. */
struct inode_entry {
	struct idt_file_key key;
	struct idt_watch val;
	char *path;
	char *real;
	size_t order; /* when it was found: ties in the sort keep the first */
};

struct dir_entry {
	struct idt_file_key key;
	struct idt_dir_watch val;
	char *path;
	char *real;
};

struct name_entry {
	struct idt_name_key key;
	struct idt_watch val;
};

/* A concrete directory a rule applies to. */
struct rule_dir {
	char *dir;
	int rule;
};

struct set {
	void *v;
	size_t n, cap, size; /* element size */
};

/* An inotify watch and what it stands for: the directory of a rule (or,
 * while that is missing, its nearest existing ancestor), so that only a
 * change that can matter to a rule brings a rescan (a home sees many
 * files come and go; a rescan covers every container). */
struct wd_watch {
	int wd;
	int rule;     /* -1: any name in target matters (a glob's fixed part) */
	char *target; /* the directory the rule needs */
	size_t wlen;  /* length of the prefix of target that is watched */
};

/* A container's own file system, known by its mount namespace, reached
 * through an fd on one of its processes' root (held: a file read after
 * the container's last process is gone still reads its file). */
struct watch_root {
	int fd;
	char prefix[32]; /* "/proc/self/fd/FD" */
	dev_t dev;       /* its root's file system (fstat of fd, when it was opened) */
	uint64_t mntns;
	uint64_t mntns_id; /* 0: unknown (found at start-up) */
	uint32_t pid;
	bool scanned; /* logged once its first scan is in the maps */
	/* HOMEs its processes' environments named that its passwd does not
	 * (a CI job's container: HOME=/github/home) */
	char *env_homes[ROOT_ENV_HOMES];
	int n_env_homes;
	/* Its watched files on another file system than its root's (a host
	 * directory or a volume mounted in), held open (O_PATH): when the
	 * container is gone, its mounts go with its namespace, and a read it
	 * made just before is still read here, for the fingerprint. */
	struct {
		int fd;
		uint32_t kdev;
		uint64_t ino;
	} held[ROOT_HELD_FILES];
	int n_held;
};

static void root_release(struct watch_root *r)
{
	close(r->fd);
	for (int i = 0; i < r->n_env_homes; i++)
		free(r->env_homes[i]);
	r->n_env_homes = 0;
	for (int i = 0; i < r->n_held; i++)
		close(r->held[i].fd);
	r->n_held = 0;
}

struct cred_watch {
	struct cred_watch_maps maps;
	struct watch_rule *rules;
	int n_rules;
	char *homes[MAX_HOMES];
	int n_homes;
	struct set inodes, dirs, names, rule_dirs;
	int ifd;
	struct wd_watch *wds;
	size_t n_wds, cap_wds;
	struct idt_ino_bloom bloom;
	const char *proc_root;
	struct watch_root roots[MAX_ROOTS];
	int n_roots;
	uint64_t host_mntns;
	uint64_t not_containers[16]; /* ids lately put in the mntns map as such */
	char *home_aliases[HOME_ALIASES]; /* HOMEs spelled otherwise than the real path watched */
	unsigned int next_alias;
	unsigned int alias_told; /* bit i: home_aliases[i]'s hash is in homes_known */
	struct watch_root *scanning; /* the container build_root scans, NULL on the host */
	unsigned int next_not_container;
};

uint32_t cred_type_id(const char *type)
{
	for (size_t i = 0; i < N_TYPES; i++)
		if (!strcmp(type, type_names[i]))
			return i + 1;
	return 0;
}

const char *cred_type_name(uint32_t id)
{
	return id >= 1 && id <= N_TYPES ? type_names[id - 1] : "custom";
}

uint32_t cred_kdev(uint64_t st_dev)
{
	return (major(st_dev) << 20) | minor(st_dev);
}

static void *set_push(struct set *s)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		void *v = realloc(s->v, cap * s->size);

		if (!v)
			return NULL;
		s->v = v;
		s->cap = cap;
	}
	memset((char *)s->v + s->n * s->size, 0, s->size);
	return (char *)s->v + s->n++ * s->size;
}

/* Free the set and the strings at path_off and real_off in each element
 * ((size_t)-1: none). */
static void set_clear(struct set *s, size_t path_off, size_t real_off)
{
	for (size_t i = 0; i < s->n; i++) {
		char *e = (char *)s->v + i * s->size;

		if (path_off != (size_t)-1)
			free(*(char **)(e + path_off));
		if (real_off != (size_t)-1)
			free(*(char **)(e + real_off));
	}
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

static int cmp_file_key(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct idt_file_key));
}

static int cmp_wd(const void *a, const void *b)
{
	const struct wd_watch *x = a, *y = b;

	return (x->wd > y->wd) - (x->wd < y->wd);
}

static int cmp_inode_order(const void *a, const void *b)
{
	const struct inode_entry *x = a, *y = b;
	int c = cmp_file_key(&x->key, &y->key);

	return c ? c : (x->order > y->order) - (x->order < y->order);
}

static int cmp_name_key(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct idt_name_key));
}

/* Homes that passwd gives system users (sync's is /bin) and that hold no
 * credentials: not watched, their churn is not a home's. */
static bool system_dir(const char *home)
{
	static const char *const dirs[] = { "/",	"/bin", "/sbin",      "/usr/bin", "/usr/sbin",
					    "/usr/games", "/dev", "/proc", "/sys",	  "/nonexistent" };

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (!strcmp(home, dirs[i]))
			return true;
	return false;
}

uint64_t cred_watch_home_hash(const char *home)
{
	uint64_t h = IDT_HOME_HASH_INIT;

	for (size_t i = 0; home[i] && i < IDT_HOME_HASH_MAX; i++)
		h = idt_home_hash_step(h, (uint8_t)home[i]);
	return h;
}

/* Tell the exec probe that HOME value home is dealt with: its processes
 * are not marked (and the marks of those that were go at their next open). */
static void tell_home_known(const struct cred_watch *w, const char *home)
{
	uint64_t h = cred_watch_home_hash(home);
	uint8_t one = 1;

	if (w->maps.homes_known >= 0)
		bpf_map_update_elem(w->maps.homes_known, &h, &one, BPF_ANY);
}

enum home_verdict { HOME_NEW, HOME_KNOWN, HOME_KNOWN_ALIAS, HOME_NOT_A_HOME, HOME_NOT_YET };

static bool in_home_list(char *const *homes, int n, const char *home)
{
	for (int i = 0; i < n; i++)
		if (homes[i] && !strcmp(homes[i], home))
			return true;
	return false;
}

/* Homes are kept as their real paths: a HOME that is a symlink, or spelled
 * with "//" or a trailing '/', names the directory the rules match the
 * opened files' resolved paths against. */
static enum home_verdict add_home(struct cred_watch *w, const char *home)
{
	char real[PATH_MAX];
	struct stat st;

	/* known homes first: every exec names its HOME, a stat each is waste */
	if (in_home_list(w->homes, w->n_homes, home))
		return HOME_KNOWN;
	for (int i = 0; i < HOME_ALIASES; i++) {
		if (!w->home_aliases[i] || strcmp(w->home_aliases[i], home))
			continue;
		if (w->alias_told & (1u << i))
			return HOME_KNOWN;
		/* seen again: its real path is watched by now (the rescan that
		 * followed its first exec) */
		w->alias_told |= 1u << i;
		return HOME_KNOWN_ALIAS;
	}
	if (w->n_homes >= MAX_HOMES || home[0] != '/' || system_dir(home))
		return HOME_NOT_A_HOME;
	if (stat(home, &st))
		return errno == ENOENT ? HOME_NOT_YET : HOME_NOT_A_HOME;
	if (!S_ISDIR(st.st_mode) || !realpath(home, real) || system_dir(real))
		return HOME_NOT_A_HOME;
	if (strcmp(real, home)) {
		/* another spelling: remembered, so its next execs cost no syscall */
		unsigned int slot = w->next_alias++ % HOME_ALIASES;
		bool watched = in_home_list(w->homes, w->n_homes, real);

		free(w->home_aliases[slot]);
		w->home_aliases[slot] = strdup(home);
		w->alias_told &= ~(1u << slot);
		if (watched) {
			w->alias_told |= 1u << slot;
			return HOME_KNOWN_ALIAS;
		}
	}
	w->homes[w->n_homes] = strdup(real);
	if (!w->homes[w->n_homes])
		return HOME_NOT_YET;
	w->n_homes++;
	return HOME_NEW;
}

bool cred_watch_add_home(struct cred_watch *w, const char *home)
{
	enum home_verdict v = add_home(w, home);

	/* not a home, or another spelling of one watched already: its
	 * processes need not be marked (the kernel hashes HOME as spelled) */
	if (v == HOME_NOT_A_HOME || v == HOME_KNOWN_ALIAS)
		tell_home_known(w, home);
	return v == HOME_NEW;
}

static void load_passwd_homes(struct cred_watch *w)
{
	struct passwd *pw;

	setpwent();
	while ((pw = getpwent()))
		if (pw->pw_dir)
			add_home(w, pw->pw_dir);
	endpwent();
	add_home(w, "/root");
}

struct cred_watch *cred_watch_new(const struct cred_watch_maps *maps, struct watch_rule *rules,
				  int n_rules, char **extra_homes, int n_extra)
{
	struct cred_watch *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->maps = *maps;
	w->rules = rules;
	w->n_rules = n_rules;
	w->inodes.size = sizeof(struct inode_entry);
	w->dirs.size = sizeof(struct dir_entry);
	w->names.size = sizeof(struct name_entry);
	w->rule_dirs.size = sizeof(struct rule_dir);
	w->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	w->proc_root = "/proc";
	w->host_mntns = proc_file_mntns(w->proc_root, getpid());
	for (int i = 0; i < n_extra; i++)
		add_home(w, extra_homes[i]);
	load_passwd_homes(w);
	return w;
}

void cred_watch_free(struct cred_watch *w)
{
	if (!w)
		return;
	set_clear(&w->inodes, offsetof(struct inode_entry, path), offsetof(struct inode_entry, real));
	set_clear(&w->dirs, offsetof(struct dir_entry, path), offsetof(struct dir_entry, real));
	set_clear(&w->names, (size_t)-1, (size_t)-1);
	set_clear(&w->rule_dirs, offsetof(struct rule_dir, dir), (size_t)-1);
	for (int i = 0; i < w->n_rules; i++)
		watch_rule_free(&w->rules[i]);
	free(w->rules);
	for (int i = 0; i < w->n_homes; i++)
		free(w->homes[i]);
	for (int i = 0; i < HOME_ALIASES; i++)
		free(w->home_aliases[i]);
	for (int i = 0; i < w->n_roots; i++)
		root_release(&w->roots[i]);
	if (w->ifd >= 0)
		close(w->ifd);
	for (size_t i = 0; i < w->n_wds; i++)
		free(w->wds[i].target);
	free(w->wds);
	free(w);
}

int cred_watch_inotify_fd(const struct cred_watch *w)
{
	return w->ifd;
}

/* Does the watched file dir/file, a link, resolve through name in dir?
 * Kubelet's secret and token volumes are made so: token -> ..data/token,
 * and a new token comes by renaming a new link over ..data. */
static bool link_goes_through(const char *dir, const char *file, const char *name, size_t nlen)
{
	char target[PATH_MAX];
	const char *t = target;
	ssize_t n;
	int dfd = root_path_open(dir, O_PATH | O_DIRECTORY);

	if (dfd < 0)
		return false;
	n = readlinkat(dfd, file, target, sizeof(target) - 1);
	close(dfd);
	if (n <= 0)
		return false;
	target[n] = '\0';
	while (t[0] == '.' && t[1] == '/')
		t += 2;
	return !strncmp(t, name, nlen) && (t[nlen] == '/' || !t[nlen]);
}

/* Can the change of name in the directory of watch wd matter to a rule? */
static bool change_matters(const struct cred_watch *w, int wd, const char *name)
{
	struct wd_watch key = { .wd = wd };
	const struct wd_watch *e = bsearch(&key, w->wds, w->n_wds, sizeof(*w->wds), cmp_wd);
	size_t nlen = strlen(name);

	if (!e || !nlen || !strcmp(name, "passwd")) /* unknown; the watch itself; new users */
		return true;
	while (e > w->wds && e[-1].wd == wd)
		e--;
	for (; e < w->wds + w->n_wds && e->wd == wd; e++) {
		const char *next = e->target + e->wlen;

		if (!*next) {
			const struct watch_rule *r = e->rule < 0 ? NULL : &w->rules[e->rule];

			if (!r || watch_rule_match_name(r, name, nlen))
				return true;
			if (r->kind == WATCH_NAME_EXACT &&
			    link_goes_through(e->target, r->name, name, nlen))
				return true;
		} else if (next[0] == '/' && !strncmp(next + 1, name, nlen) &&
			   (next[1 + nlen] == '/' || !next[1 + nlen])) {
			return true; /* a directory on the way to the rule's */
		}
	}
	return false;
}

bool cred_watch_on_inotify(struct cred_watch *w)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool any = false;
	ssize_t n;

	while ((n = read(w->ifd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;

			/* IN_IGNORED follows our own inotify_rm_watch: not a change */
			if (!(ev->mask & IN_IGNORED) &&
			    (ev->wd < 0 || change_matters(w, ev->wd, ev->len ? ev->name : "")))
				any = true;
			p += sizeof(*ev) + ev->len;
		}
	}
	return any;
}

/* Watch dir, the directory of rule (-1: any name in it matters), for
 * changes; when it does not exist, its nearest existing ancestor, so that
 * its creation triggers a rescan. */
static void watch_changes(struct cred_watch *w, const char *dir, int rule)
{
	char path[PATH_MAX];
	int wd;

	if (w->ifd < 0)
		return;
	snprintf(path, sizeof(path), "%s", dir);
	for (;;) {
		/* the directory opened first: a container's links resolve in it */
		int fd = root_path_open(path, O_PATH | O_DIRECTORY);
		char at[32];

		if (fd >= 0) {
			snprintf(at, sizeof(at), "/proc/self/fd/%d", fd);
			wd = inotify_add_watch(w->ifd, at, IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM |
							   IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF |
							   IN_ONLYDIR);
			close(fd);
		} else {
			wd = -1;
		}
		if (wd >= 0 || errno != ENOENT)
			break;
		char *slash = strrchr(path, '/');

		if (!slash || slash == path)
			return;
		*slash = '\0';
	}
	if (wd < 0)
		return;
	if (w->n_wds == w->cap_wds) {
		size_t cap = w->cap_wds ? w->cap_wds * 2 : 64;
		struct wd_watch *v = realloc(w->wds, cap * sizeof(*v));

		if (!v)
			return;
		w->wds = v;
		w->cap_wds = cap;
	}
	w->wds[w->n_wds] = (struct wd_watch){ .wd = wd, .rule = rule, .target = strdup(dir),
					      .wlen = strlen(path) };
	if (w->wds[w->n_wds].target)
		w->n_wds++;
}

static void add_len(__u8 lens[IDT_MAX_LENS], size_t n, __u32 *any_type, __u32 type)
{
	for (int i = 0; i < IDT_MAX_LENS; i++) {
		if (lens[i] == n)
			return;
		if (!lens[i]) {
			lens[i] = n;
			return;
		}
	}
	/* More lengths than the kernel tries: let the whole directory through;
	 * userspace checks every record against the rules again. */
	*any_type = type;
}

static int add_name_key(struct cred_watch *w, const struct idt_file_key *dir, __u32 kind,
			const char *name, __u32 type)
{
	struct name_entry *e = set_push(&w->names);

	if (!e)
		return -ENOMEM;
	e->key.dev = dir->dev;
	e->key.ino = dir->ino;
	e->key.kind = kind;
	strncpy(e->key.name, name, sizeof(e->key.name) - 1);
	e->val.cred_type = type;
	return 0;
}

/* A rule for every file of a directory, in the failed-open filter: its
 * directory's own name, when that is a name ("tokens", not "*" or "~"), so
 * that the first process of a new container, whose opens the kernel checks
 * by name, is seen opening any file in it. */
static int add_parent_name(struct cred_watch *w, const struct watch_rule *r,
			   const struct idt_file_key *key, struct idt_dir_watch *dw, __u32 type)
{
	const char *base = strrchr(r->dir, '/');

	base = base ? base + 1 : r->dir;
	if (!*base || strchr(base, '*') || !strcmp(base, "~") ||
	    strlen(base) >= IDT_WATCH_NAME_MAX)
		return 0;
	dw->parent_names = 1;
	return add_name_key(w, key, IDT_NAME_PARENT, base, type);
}

/* Name keys and lengths of rule r under directory key; dw is its entry. */
static int add_rule_names(struct cred_watch *w, const struct watch_rule *r,
			  const struct idt_file_key *key, struct idt_dir_watch *dw, bool failed_filter)
{
	__u32 type = cred_type_id(r->type);
	int err = 0;

	if (r->exclude) {
		add_len(dw->exclude_lens, strlen(r->exclude), &dw->any_type, type);
		err = add_name_key(w, key, IDT_NAME_EXCLUDE, r->exclude, type);
	}
	switch (r->kind) {
	case WATCH_NAME_EXACT:
		return err ?: add_name_key(w, key, IDT_NAME_EXACT, r->name, type);
	case WATCH_NAME_PREFIX:
		add_len(dw->prefix_lens, strlen(r->name), &dw->any_type, type);
		return err ?: add_name_key(w, key, IDT_NAME_PREFIX, r->name, type);
	case WATCH_NAME_SUFFIX:
		add_len(dw->suffix_lens, strlen(r->name), &dw->any_type, type);
		return err ?: add_name_key(w, key, IDT_NAME_SUFFIX, r->name, type);
	case WATCH_NAME_ANY:
		/* "any name" cannot be a failed-open filter: it would pass everything */
		if (!failed_filter) {
			dw->any_type = type;
			return err;
		}
		return err ?: add_parent_name(w, r, key, dw, type);
	}
	return err;
}

static struct dir_entry *find_dir(struct cred_watch *w, const struct idt_file_key *key)
{
	for (size_t i = 0; i < w->dirs.n; i++) {
		struct dir_entry *d = (struct dir_entry *)w->dirs.v + i;

		if (!cmp_file_key(&d->key, key))
			return d;
	}
	return NULL;
}

/* real: where the daemon reaches path, or NULL when it is path */
static int add_inode(struct cred_watch *w, const char *path, const char *real,
		     const struct stat *st, __u32 type)
{
	struct inode_entry *e = set_push(&w->inodes);

	if (!e)
		return -ENOMEM;
	e->key.dev = cred_kdev(st->st_dev);
	e->key.ino = st->st_ino;
	e->val.cred_type = type;
	e->path = strdup(path);
	e->real = real ? strdup(real) : NULL;
	return e->path && (!real || e->real) ? 0 : -ENOMEM;
}

/* A container's watched file st (at real) on another file system than
 * its root's: held open while the container is watched (see held). */
static void hold_mounted_file(struct watch_root *r, const char *real, const struct stat *st)
{
	struct stat got;
	int fd;

	if (r->n_held >= ROOT_HELD_FILES || r->dev == st->st_dev)
		return;
	for (int i = 0; i < r->n_held; i++)
		if (r->held[i].ino == st->st_ino && r->held[i].kdev == cred_kdev(st->st_dev))
			return;
	fd = root_path_open(real, O_PATH);
	if (fd < 0)
		return;
	if (fstat(fd, &got) || got.st_ino != st->st_ino || got.st_dev != st->st_dev) {
		close(fd);
		return;
	}
	r->held[r->n_held].fd = fd;
	r->held[r->n_held].kdev = cred_kdev(st->st_dev);
	r->held[r->n_held].ino = st->st_ino;
	r->n_held++;
}

/* One concrete directory of one rule: its kernel entries and the files in
 * it that exist now. dir is as processes name it; prefix ("" on the host,
 * "/proc/PID/root" in a container) is where the daemon reaches it. */
static int scan_dir(struct cred_watch *w, const char *prefix, const char *dir, int rule)
{
	const struct watch_rule *r = &w->rules[rule];
	struct rule_dir *rd = set_push(&w->rule_dirs);
	struct idt_file_key key = {};
	struct dir_entry *d;
	struct dirent *de;
	struct stat st;
	char path[PATH_MAX], real[PATH_MAX], real_dir[PATH_MAX];
	int err, listed = 0;
	DIR *dp;

	if (!rd)
		return -ENOMEM;
	rd->dir = strdup(dir);
	rd->rule = rule;
	snprintf(real_dir, sizeof(real_dir), "%s%s", prefix, dir);
	watch_changes(w, real_dir, rule);
	/* (through a container's root, its links are resolved inside it) */
	if (root_path_stat(real_dir, &st) || !S_ISDIR(st.st_mode))
		return 0; /* not there (yet): inotify on its ancestor tells us */
	key.dev = cred_kdev(st.st_dev);
	key.ino = st.st_ino;
	d = find_dir(w, &key);
	if (!d) {
		d = set_push(&w->dirs);
		if (!d)
			return -ENOMEM;
		d->key = key;
		d->path = strdup(dir);
		d->real = *prefix ? strdup(real_dir) : NULL;
	}
	err = add_rule_names(w, r, &key, &d->val, false);
	if (err)
		return err;
	dp = root_path_opendir(real_dir);
	if (!dp)
		return 0;
	while ((de = readdir(dp)) && listed++ < MAX_FILES_PER_DIR) {
		if (!watch_rule_match_name(r, de->d_name, strlen(de->d_name)))
			continue;
		snprintf(path, sizeof(path), "%s/%s", strcmp(dir, "/") ? dir : "", de->d_name);
		snprintf(real, sizeof(real), "%s%s", prefix, path);
		/* stat follows a symlinked credential to the file it names */
		if (root_path_stat(real, &st) || !S_ISREG(st.st_mode))
			continue;
		err = add_inode(w, path, *prefix ? real : NULL, &st, cred_type_id(r->type));
		if (err)
			break;
		if (w->scanning)
			hold_mounted_file(w->scanning, real, &st);
	}
	closedir(dp);
	return err;
}

static int expand_rule(struct cred_watch *w, const char *prefix, int rule,
		       const char *pattern)
{
	size_t plen = strlen(prefix);
	char dir_pattern[PATH_MAX];
	glob_t g;
	int err = 0;

	if (!strpbrk(pattern, "*?["))
		return scan_dir(w, prefix, pattern, rule);
	snprintf(dir_pattern, sizeof(dir_pattern), "%s%s", prefix, pattern);
	/* A glob above the last component: watch its fixed prefix for new
	 * matches, and each directory it matches now. */
	{
		char fixed[PATH_MAX];
		const char *g0 = strpbrk(dir_pattern, "*?[");
		size_t n = g0 - dir_pattern;

		snprintf(fixed, sizeof(fixed), "%.*s", (int)n, dir_pattern);
		if (n > 1 && fixed[n - 1] == '/')
			fixed[n - 1] = '\0';
		watch_changes(w, fixed, -1);
		/* and every directory a shorter part of the pattern matches, so a
		 * level created later (pods/<uid>/volumes/...) is seen too */
		for (const char *s = strchr(g0, '/'); s; s = strchr(s + 1, '/')) {
			snprintf(fixed, sizeof(fixed), "%.*s", (int)(s - dir_pattern), dir_pattern);
			if (root_path_glob(fixed, GLOB_ONLYDIR | GLOB_NOSORT, &g) != 0)
				continue;
			for (size_t i = 0; i < g.gl_pathc; i++)
				watch_changes(w, g.gl_pathv[i], -1);
			globfree(&g);
		}
	}
	if (root_path_glob(dir_pattern, GLOB_ONLYDIR | GLOB_NOSORT, &g) != 0)
		return 0;
	for (size_t i = 0; i < g.gl_pathc && !err; i++)
		if (strlen(g.gl_pathv[i]) > plen)
			err = scan_dir(w, prefix, g.gl_pathv[i] + plen, rule);
	globfree(&g);
	return err;
}

static bool in_homes(char homes[][PATH_MAX], int n, const char *home)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(homes[i], home))
			return true;
	return false;
}

/* The homes of a container: /root, the HOMEs its processes named (r; may
 * be NULL), and its /etc/passwd's (read as a file: the host's name service
 * does not know them). */
static int root_homes(const char *prefix, const struct watch_root *r, char homes[][PATH_MAX],
		      int max)
{
	char path[PATH_MAX];
	struct passwd *pw;
	struct stat st;
	int n = 0, fd;
	FILE *f;

	snprintf(homes[n++], PATH_MAX, "/root");
	for (int i = 0; r && i < r->n_env_homes && n < max; i++)
		if (!in_homes(homes, n, r->env_homes[i]))
			snprintf(homes[n++], PATH_MAX, "%s", r->env_homes[i]);
	snprintf(path, sizeof(path), "%s/etc/passwd", prefix);
	/* the container's file: a FIFO there would hold the daemon in open or read */
	fd = root_path_open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return n;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || !(f = fdopen(fd, "r"))) {
		close(fd);
		return n;
	}
	while (n < max && (pw = fgetpwent(f))) {
		if (!pw->pw_dir || pw->pw_dir[0] != '/' || system_dir(pw->pw_dir) ||
		    in_homes(homes, n, pw->pw_dir))
			continue;
		snprintf(path, sizeof(path), "%s%s", prefix, pw->pw_dir);
		if (root_path_stat(path, &st) == 0 && S_ISDIR(st.st_mode))
			snprintf(homes[n++], PATH_MAX, "%s", pw->pw_dir);
	}
	fclose(f);
	return n;
}

/* Every rule in a container's file system. */
static int build_root(struct cred_watch *w, struct watch_root *root)
{
	static char homes[ROOT_HOMES][PATH_MAX];
	int n_homes = root_homes(root->prefix, root, homes, ROOT_HOMES), err = 0;
	char dir[PATH_MAX];

	w->scanning = root;
	for (int i = 0; i < w->n_rules && !err; i++) {
		const struct watch_rule *r = &w->rules[i];

		if (!r->per_home) {
			err = expand_rule(w, root->prefix, i, r->dir);
			continue;
		}
		for (int h = 0; h < n_homes && !err; h++) {
			snprintf(dir, sizeof(dir), "%s%s", homes[h], r->dir + 1);
			err = expand_rule(w, root->prefix, i, dir);
		}
	}
	w->scanning = NULL;
	return err;
}

/* Is pid's root directory another file system tree than ours (a
 * container's pivot_root), not just a private mount namespace over the same
 * tree (systemd's PrivateTmp=, unshare -m)? */
static bool own_root(const struct cred_watch *w, uint32_t pid)
{
	struct stat mine, its;
	char path[64];

	snprintf(path, sizeof(path), "%s/%u/root/", w->proc_root, pid);
	return stat("/", &mine) == 0 && stat(path, &its) == 0 &&
	       (mine.st_dev != its.st_dev || mine.st_ino != its.st_ino);
}

/* Is the root we hold for r the directory pid's root is now? */
static bool same_root(const struct cred_watch *w, const struct watch_root *r, uint32_t pid)
{
	struct stat held, its;
	char path[64];

	snprintf(path, sizeof(path), "%s/%u/root/", w->proc_root, pid);
	return fstat(r->fd, &held) == 0 && stat(path, &its) == 0 &&
	       held.st_dev == its.st_dev && held.st_ino == its.st_ino;
}

/* Tell the kernel it can leave the opens in r's namespace to the maps. */
static void root_in_maps(const struct cred_watch *w, const struct watch_root *r)
{
	__u32 v = IDT_MNTNS_SCANNED;

	if (w->maps.mntns >= 0 && r->scanned && r->mntns_id)
		bpf_map_update_elem(w->maps.mntns, &r->mntns_id, &v, BPF_ANY);
}

enum cred_root cred_watch_add_root(struct cred_watch *w, uint32_t pid, uint32_t mntns,
				   uint64_t mntns_id)
{
	struct watch_root *r = NULL;
	struct stat st;
	char path[64];
	uint64_t ns;
	int fd;

	/* the host's processes: no syscall (every exec on the host comes here).
	 * A namespace found to be no container is looked at again: runc's and
	 * crun's child opens files in it before its pivot_root. */
	if (mntns && mntns == w->host_mntns)
		return CRED_ROOT_NONE;
	ns = proc_file_mntns(w->proc_root, pid);
	if (!ns || ns == w->host_mntns)
		return CRED_ROOT_NONE;
	/* The id names the namespace pid was in at its exec (or open): an
	 * unshare since, and it is another's (whose number may even be that
	 * of a dead container's, which this one's root is then taken for). */
	if (ns != mntns)
		mntns_id = 0;
	for (int i = 0; i < w->n_roots; i++) {
		if (w->roots[i].mntns != ns)
			continue;
		/* a live process keeps it known (and its namespace's number) */
		if (proc_file_mntns(w->proc_root, w->roots[i].pid) == ns) {
			if (!w->roots[i].mntns_id && mntns_id) { /* found at start-up */
				w->roots[i].mntns_id = mntns_id;
				root_in_maps(w, &w->roots[i]);
			}
			return CRED_ROOT_KNOWN;
		}
		/* Its processes are gone: the kernel gives a freed namespace's
		 * number to the next one made, so the next container often has
		 * it. The same root is the same container; another one takes
		 * the slot (the old root held would hide the new one's files). */
		if (same_root(w, &w->roots[i], pid)) {
			w->roots[i].pid = pid;
			w->roots[i].mntns_id = mntns_id;
			root_in_maps(w, &w->roots[i]);
			return CRED_ROOT_KNOWN;
		}
		r = &w->roots[i];
		break;
	}
	if (!own_root(w, pid))
		return CRED_ROOT_NONE; /* not yet (runc init before its pivot_root), or never */
	if (proc_file_is_kthread(w->proc_root, pid))
		return CRED_ROOT_NONE; /* kdevtmpfs: a namespace of its own, on devtmpfs */
	if (!r && w->n_roots >= MAX_ROOTS) {
		/* not watched: then its opens need no name check either */
		cred_watch_not_container(w, mntns, mntns_id);
		return CRED_ROOT_KNOWN;
	}
	snprintf(path, sizeof(path), "%s/%u/root", w->proc_root, pid);
	fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return CRED_ROOT_KNOWN;
	if (r)
		root_release(r);
	else
		r = &w->roots[w->n_roots++];
	r->fd = fd;
	r->dev = fstat(fd, &st) ? 0 : st.st_dev;
	r->scanned = false;
	r->mntns = ns;
	r->mntns_id = mntns_id;
	r->pid = pid;
	snprintf(r->prefix, sizeof(r->prefix), "/proc/self/fd/%d", fd);
	return CRED_ROOT_ADDED;
}

void cred_watch_not_container(struct cred_watch *w, uint32_t mntns, uint64_t mntns_id)
{
	const unsigned int n = sizeof(w->not_containers) / sizeof(w->not_containers[0]);
	__u32 v = IDT_MNTNS_UNWATCHED;

	if (!mntns || mntns == w->host_mntns || !mntns_id || w->maps.mntns < 0)
		return;
	/* every exec in a systemd unit's namespace comes here: one update each */
	for (unsigned int i = 0; i < n; i++)
		if (w->not_containers[i] == mntns_id)
			return;
	w->not_containers[w->next_not_container++ % n] = mntns_id;
	bpf_map_update_elem(w->maps.mntns, &mntns_id, &v, BPF_ANY);
}

int cred_watch_roots(const struct cred_watch *w)
{
	return w->n_roots;
}

/* Forget the containers whose process is gone (another of its processes
 * brings it back at its exec). */
static void prune_roots(struct cred_watch *w)
{
	int out = 0;

	for (int i = 0; i < w->n_roots; i++) {
		if (proc_file_mntns(w->proc_root, w->roots[i].pid) == w->roots[i].mntns) {
			w->roots[out++] = w->roots[i];
			continue;
		}
		root_release(&w->roots[i]);
		if (w->maps.mntns >= 0 && w->roots[i].mntns_id)
			bpf_map_delete_elem(w->maps.mntns, &w->roots[i].mntns_id);
	}
	w->n_roots = out;
}

static int build(struct cred_watch *w)
{
	struct idt_file_key any = {};
	struct dir_entry *global;
	char dir[PATH_MAX];
	int err = 0;

	for (int i = 0; i < w->n_rules && !err; i++) {
		const struct watch_rule *r = &w->rules[i];

		if (!r->per_home) {
			err = expand_rule(w, "", i, r->dir);
			continue;
		}
		for (int h = 0; h < w->n_homes && !err; h++) {
			snprintf(dir, sizeof(dir), "%s%s", w->homes[h], r->dir + 1);
			err = expand_rule(w, "", i, dir);
		}
	}
	prune_roots(w);
	for (int i = 0; i < w->n_roots && !err; i++)
		err = build_root(w, &w->roots[i]);
	if (err)
		return err;
	/* The failed-open filter: every rule's names, under dev 0 / ino 0. */
	global = set_push(&w->dirs);
	if (!global)
		return -ENOMEM;
	global->key = any;
	global->path = strdup("");
	for (int i = 0; i < w->n_rules && !err; i++)
		err = add_rule_names(w, &w->rules[i], &any, &global->val, true);
	return err;
}

/* The root part of an entry's real path ("" for the host's). */
static size_t entry_root_len(const struct inode_entry *e)
{
	return e->real ? root_path_prefix_len(e->real) : 0;
}

static bool entries_same_root(const struct inode_entry *a, const struct inode_entry *b)
{
	size_t n = entry_root_len(a);

	return n == entry_root_len(b) && (!n || !strncmp(a->real, b->real, n));
}

/* A file found twice under one root (two rules) is kept once, the first
 * found. One watched under several roots (a host file or directory
 * bind-mounted into containers) keeps an entry per root, the host's first
 * (it is built first): each container names it its own way, and a read in
 * one is told from a reader outside. */
static void dedupe_inodes(struct set *s)
{
	struct inode_entry *v = s->v;
	size_t out = 0;

	for (size_t i = 0; i < s->n; i++) {
		bool dup = false;

		for (size_t k = out; k > 0 && !cmp_file_key(&v[k - 1].key, &v[i].key); k--)
			dup = dup || entries_same_root(&v[k - 1], &v[i]);
		if (dup) {
			free(v[i].path);
			free(v[i].real);
			continue;
		}
		v[out++] = v[i];
	}
	s->n = out;
}

static void dedupe_names(struct set *s)
{
	struct name_entry *v = s->v;
	size_t out = 0;

	qsort(v, s->n, sizeof(*v), cmp_name_key);
	for (size_t i = 0; i < s->n; i++)
		if (out == 0 || cmp_name_key(&v[out - 1].key, &v[i].key))
			v[out++] = v[i];
	s->n = out;
}

/* Bring kernel map fd from old to new: both sorted by key (first keysz bytes
 * of each element). Stale keys are deleted first, so the map never holds
 * more than the larger of the two sets. */
static int push(int fd, const struct set *old, const struct set *new, size_t keysz, size_t valoff)
{
	size_t i = 0, j = 0;
	int err = 0;

	if (fd < 0)
		return 0;
	for (i = 0; i < old->n; i++) {
		const char *k = (const char *)old->v + i * old->size;

		while (j < new->n && memcmp((const char *)new->v + j * new->size, k, keysz) < 0)
			j++;
		if (j >= new->n || memcmp((const char *)new->v + j * new->size, k, keysz))
			bpf_map_delete_elem(fd, k);
	}
	for (j = 0; j < new->n && !err; j++) {
		const char *e = (const char *)new->v + j * new->size;

		if (bpf_map_update_elem(fd, e, e + valoff, BPF_ANY))
			err = -errno;
	}
	return err;
}

/* Set the bloom bits of every (dev, ino) key in s (keys first in each element). */
static void bloom_add(struct idt_ino_bloom *b, const struct set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct idt_file_key *k = (const void *)((const char *)s->v + i * s->size);
		uint32_t bit = idt_ino_bloom_bit(k->ino);

		b->w[bit / 64] |= 1ull << (bit % 64);
	}
}

static int push_bloom(int fd, const struct idt_ino_bloom *b)
{
	uint32_t zero = 0;

	if (fd < 0)
		return 0;
	return bpf_map_update_elem(fd, &zero, b, BPF_ANY) ? -errno : 0;
}

int cred_watch_rescan(struct cred_watch *w)
{
	struct set old_inodes = w->inodes, old_dirs = w->dirs, old_names = w->names;
	int err;

	struct wd_watch *old_wds = w->wds;
	size_t n_old_wds = w->n_wds;

	/* Re-adding a watched directory returns its existing wd; only watches
	 * no longer wanted are removed after the build. */
	w->wds = NULL;
	w->n_wds = w->cap_wds = 0;
	/* users added since (useradd renames /etc/passwd: a change in a watched
	 * directory, which brings this rescan) */
	load_passwd_homes(w);
	set_clear(&w->rule_dirs, offsetof(struct rule_dir, dir), (size_t)-1);
	w->inodes = (struct set){ .size = sizeof(struct inode_entry) };
	w->dirs = (struct set){ .size = sizeof(struct dir_entry) };
	w->names = (struct set){ .size = sizeof(struct name_entry) };
	w->rule_dirs.size = sizeof(struct rule_dir);

	err = build(w);
	/* (one watch per directory, many rules on it: the new ones sorted by wd) */
	qsort(w->wds, w->n_wds, sizeof(*w->wds), cmp_wd);
	for (size_t i = 0; i < n_old_wds; i++) {
		if (!bsearch(&old_wds[i], w->wds, w->n_wds, sizeof(*w->wds), cmp_wd))
			inotify_rm_watch(w->ifd, old_wds[i].wd);
		free(old_wds[i].target);
	}
	free(old_wds);
	/* stable for equal keys: the host's entry, built first, stays */
	for (size_t i = 0; i < w->inodes.n; i++)
		((struct inode_entry *)w->inodes.v)[i].order = i;
	qsort(w->inodes.v, w->inodes.n, w->inodes.size, cmp_inode_order);
	dedupe_inodes(&w->inodes);
	qsort(w->dirs.v, w->dirs.n, w->dirs.size, cmp_file_key);
	dedupe_names(&w->names);
	/* The prefilter covers old and new entries while the maps change, then
	 * only the new ones: it never hides an entry that is in a map. */
	bloom_add(&w->bloom, &w->inodes);
	bloom_add(&w->bloom, &w->dirs);
	if (!err)
		err = push_bloom(w->maps.bloom, &w->bloom);
	if (!err)
		err = push(w->maps.inodes, &old_inodes, &w->inodes, sizeof(struct idt_file_key),
			   offsetof(struct inode_entry, val));
	if (!err)
		err = push(w->maps.names, &old_names, &w->names, sizeof(struct idt_name_key),
			   offsetof(struct name_entry, val));
	if (!err)
		err = push(w->maps.dirs, &old_dirs, &w->dirs, sizeof(struct idt_file_key),
			   offsetof(struct dir_entry, val));
	if (!err) {
		memset(&w->bloom, 0, sizeof(w->bloom));
		bloom_add(&w->bloom, &w->inodes);
		bloom_add(&w->bloom, &w->dirs);
		err = push_bloom(w->maps.bloom, &w->bloom);
	}
	set_clear(&old_inodes, offsetof(struct inode_entry, path), offsetof(struct inode_entry, real));
	set_clear(&old_dirs, offsetof(struct dir_entry, path), offsetof(struct dir_entry, real));
	set_clear(&old_names, (size_t)-1, (size_t)-1);
	if (err) {
		log_warn("updating the credential watch maps failed: %s", strerror(-err));
		return err;
	}
	/* every home is in the maps now: its processes need no marks */
	for (int i = 0; i < w->n_homes; i++)
		tell_home_known(w, w->homes[i]);
	for (int i = 0; i < w->n_roots; i++) {
		if (w->roots[i].scanned)
			continue;
		w->roots[i].scanned = true;
		root_in_maps(w, &w->roots[i]);
		log_info("credential watch: the file system of the container of pid %u "
			 "(mount namespace %llu) is watched too",
			 w->roots[i].pid, (unsigned long long)w->roots[i].mntns);
	}
	return (int)w->inodes.n;
}

/* The first entry of inode key (they sit together in the sorted array, in
 * the order found), or NULL. */
static const struct inode_entry *first_inode(const struct cred_watch *w,
					     const struct idt_file_key *key)
{
	const struct inode_entry *v = w->inodes.v,
				 *e = bsearch(key, v, w->inodes.n, w->inodes.size, cmp_file_key);

	while (e && e > v && !cmp_file_key(e - 1, key))
		e--;
	return e;
}

const char *cred_watch_inode_path(const struct cred_watch *w, uint32_t kdev, uint64_t ino,
				  const char **type, const char **real)
{
	struct idt_file_key key = { .dev = kdev, .ino = ino };
	/* One inode watched under several roots (a host file bind-mounted into
	 * a container): the first found, the host's, names and reads it, not
	 * whichever bsearch lands on (a container's root may be gone when its
	 * read is followed up). */
	const struct inode_entry *e = first_inode(w, &key);

	if (!e)
		return NULL;
	if (type)
		*type = cred_type_name(e->val.cred_type);
	if (real)
		*real = e->real ? e->real : e->path;
	return e->path;
}

/* The container root an entry is reached through, or NULL (the host's). */
static const struct watch_root *entry_root(const struct cred_watch *w, const struct inode_entry *e)
{
	for (int i = 0; e->real && i < w->n_roots; i++) {
		size_t n = strlen(w->roots[i].prefix);

		if (!strncmp(e->real, w->roots[i].prefix, n) && e->real[n] == '/')
			return &w->roots[i];
	}
	return NULL;
}

bool cred_watch_inode_root_ns(const struct cred_watch *w, uint32_t kdev, uint64_t ino,
			      uint64_t *mntns)
{
	struct idt_file_key key = { .dev = kdev, .ino = ino };
	const struct inode_entry *e = first_inode(w, &key);
	const struct watch_root *r = e ? entry_root(w, e) : NULL;

	if (r)
		*mntns = r->mntns;
	return r != NULL;
}

const char *cred_watch_inode_in_ns(const struct cred_watch *w, uint32_t kdev, uint64_t ino,
				   uint64_t mntns)
{
	struct idt_file_key key = { .dev = kdev, .ino = ino };
	const struct inode_entry *e = first_inode(w, &key),
				 *end = (const struct inode_entry *)w->inodes.v + w->inodes.n;

	for (; e && e < end && !cmp_file_key(e, &key); e++) {
		const struct watch_root *r = entry_root(w, e);

		if (r && r->mntns == mntns)
			return e->path;
	}
	return NULL;
}

const char *cred_watch_inode_other_real(const struct cred_watch *w, uint32_t kdev, uint64_t ino,
					const char *real)
{
	struct idt_file_key key = { .dev = kdev, .ino = ino };
	const struct inode_entry *e = first_inode(w, &key),
				 *end = (const struct inode_entry *)w->inodes.v + w->inodes.n;

	for (; e && e < end && !cmp_file_key(e, &key); e++) {
		const char *r = e->real ? e->real : e->path;

		if (strcmp(r, real))
			return r;
	}
	return NULL;
}

int cred_watch_held_path(const struct cred_watch *w, uint32_t kdev, uint64_t ino, char *buf,
			 size_t n)
{
	for (int i = 0; i < w->n_roots; i++)
		for (int k = 0; k < w->roots[i].n_held; k++)
			if (w->roots[i].held[k].kdev == kdev && w->roots[i].held[k].ino == ino) {
				snprintf(buf, n, "/proc/self/fd/%d", w->roots[i].held[k].fd);
				return 0;
			}
	return -ENOENT;
}

bool cred_watch_scan_name(const struct cred_watch *w, const char *root, const char *path,
			  uint32_t kdev, uint64_t ino, char *buf, size_t n)
{
	const char *base = strrchr(path, '/');
	char cand[PATH_MAX], at[PATH_MAX];
	struct stat st;

	if (!base)
		return false;
	base++;
	for (int i = 0; i < w->n_rules; i++) {
		const struct watch_rule *r = &w->rules[i];

		/* a fixed directory; a rule of every file of it names this one by
		 * the same base name */
		if (r->per_home || strpbrk(r->dir, "*?[") ||
		    (r->kind != WATCH_NAME_ANY && !watch_rule_match_name(r, base, strlen(base))))
			continue;
		if (r->kind == WATCH_NAME_EXACT)
			snprintf(cand, sizeof(cand), "%s/%s", r->dir, r->name);
		else
			snprintf(cand, sizeof(cand), "%s/%s", r->dir, base);
		if (!strcmp(cand, path))
			return false; /* path is itself the first rule's name */
		snprintf(at, sizeof(at), "%s%s", root ? root : "", cand);
		if (!root_path_stat(at, &st) && st.st_ino == ino && cred_kdev(st.st_dev) == kdev) {
			snprintf(buf, n, "%s", cand);
			return true;
		}
	}
	return false;
}

const char *cred_watch_dir_path(const struct cred_watch *w, uint32_t kdev, uint64_t ino,
				const char **real)
{
	struct idt_file_key key = { .dev = kdev, .ino = ino };
	const struct dir_entry *e = bsearch(&key, w->dirs.v, w->dirs.n, w->dirs.size, cmp_file_key);

	if (e && real)
		*real = e->real ? e->real : e->path;
	return e ? e->path : NULL;
}

/* Does directory dir fit the directory pattern of a rule (globs allowed)? */
static bool dir_fits(const char *pattern, const char *dir)
{
	if (!strpbrk(pattern, "*?["))
		return !strcmp(pattern, dir);
	return fnmatch(pattern, dir, FNM_PATHNAME | FNM_PERIOD) == 0;
}

/* The first rule that file name in directory dir falls under, a per-home
 * one's directory taken under each of homes (a home's trailing '/'
 * ignored), or NULL. */
static const struct watch_rule *match_rules(const struct cred_watch *w, const char *const *homes,
					    int n_homes, const char *dir, const char *name)
{
	char pattern[PATH_MAX];

	for (int i = 0; i < w->n_rules; i++) {
		const struct watch_rule *r = &w->rules[i];

		if (!watch_rule_match_name(r, name, strlen(name)))
			continue;
		if (!r->per_home) {
			if (dir_fits(r->dir, dir))
				return r;
			continue;
		}
		for (int h = 0; h < n_homes; h++) {
			size_t n = strlen(homes[h]);

			while (n > 1 && homes[h][n - 1] == '/')
				n--;
			snprintf(pattern, sizeof(pattern), "%.*s%s", (int)n, homes[h], r->dir + 1);
			if (dir_fits(pattern, dir))
				return r;
		}
	}
	return NULL;
}

const struct watch_rule *cred_watch_match_path(const struct cred_watch *w, const char *path)
{
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX];
	size_t dlen;

	if (!slash)
		return NULL;
	dlen = slash == path ? 1 : (size_t)(slash - path);
	for (size_t i = 0; i < w->rule_dirs.n; i++) {
		const struct rule_dir *rd = (const struct rule_dir *)w->rule_dirs.v + i;
		const struct watch_rule *r = &w->rules[rd->rule];

		if (rd->dir && strlen(rd->dir) == dlen && !strncmp(rd->dir, path, dlen) &&
		    watch_rule_match_name(r, slash + 1, strlen(slash + 1)))
			return r;
	}
	/* a home learned since the last scan (the exec that named it came just
	 * before this open): the rules with each home, as the scan will have them */
	if (dlen >= sizeof(dir))
		return NULL;
	snprintf(dir, sizeof(dir), "%.*s", (int)dlen, path);
	return match_rules(w, (const char *const *)w->homes, w->n_homes, dir, slash + 1);
}

static const struct watch_root *root_of_ns(const struct cred_watch *w, uint64_t mntns)
{
	for (int i = 0; mntns && i < w->n_roots; i++)
		if (w->roots[i].mntns == mntns)
			return &w->roots[i];
	return NULL;
}

int cred_watch_add_root_home(struct cred_watch *w, uint64_t mntns, const char *home)
{
	struct watch_root *r = (struct watch_root *)root_of_ns(w, mntns);
	char path[PATH_MAX];
	struct stat st;

	if (!r)
		return -ENOENT;
	if (home[0] != '/' || system_dir(home) || !strcmp(home, "/root") ||
	    r->n_env_homes >= ROOT_ENV_HOMES)
		return false;
	for (int i = 0; i < r->n_env_homes; i++)
		if (!strcmp(r->env_homes[i], home))
			return false;
	/* through the container's root: the directory as its processes see it */
	snprintf(path, sizeof(path), "%s%s", r->prefix, home);
	if (root_path_stat(path, &st) || !S_ISDIR(st.st_mode))
		return false;
	r->env_homes[r->n_env_homes] = strdup(home);
	if (!r->env_homes[r->n_env_homes])
		return false;
	r->n_env_homes++;
	log_info("credential watch: HOME %s of the container of pid %u is watched too", home,
		 r->pid);
	return 1;
}

const struct watch_rule *cred_watch_match_in_root(const struct cred_watch *w, const char *root,
						  uint64_t mntns, const char *path)
{
	static char homes[ROOT_HOMES][PATH_MAX];
	const char *slash = strrchr(path, '/'), *list[ROOT_HOMES];
	char dir[PATH_MAX];
	int n_homes;

	if (!slash || path[0] != '/' || !slash[1])
		return NULL;
	snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path), path);
	/* the container's homes (its passwd, read here: matches by name alone are rare) */
	if (root)
		n_homes = root_homes(root, root_of_ns(w, mntns), homes, ROOT_HOMES);
	else
		n_homes = snprintf(homes[0], PATH_MAX, "/root") > 0;
	for (int h = 0; h < n_homes; h++)
		list[h] = homes[h];
	return match_rules(w, list, n_homes, dir, slash + 1);
}
