// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <dirent.h>
#include <errno.h>
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

#define MAX_HOMES 256
#define MAX_FILES_PER_DIR 4096 /* entries listed in one watched directory */

static const char *const type_names[] = {
	"aws", "gcp", "azure", "k8s_service_account", "kubeconfig", "ssh_private_key", "docker",
	"git", "netrc", "npm", "pypi", "vault", "github_cli", "spiffe", "shadow", "custom",
};
#define N_TYPES (sizeof(type_names) / sizeof(type_names[0]))

struct inode_entry {
	struct idt_file_key key;
	struct idt_watch val;
	char *path;
};

struct dir_entry {
	struct idt_file_key key;
	struct idt_dir_watch val;
	char *path;
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

struct cred_watch {
	struct cred_watch_maps maps;
	struct watch_rule *rules;
	int n_rules;
	char *homes[MAX_HOMES];
	int n_homes;
	struct set inodes, dirs, names, rule_dirs;
	int ifd;
	int *wds;
	size_t n_wds, cap_wds;
	struct idt_ino_bloom bloom;
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

static void set_clear(struct set *s, size_t path_off)
{
	for (size_t i = 0; path_off != (size_t)-1 && i < s->n; i++)
		free(*(char **)((char *)s->v + i * s->size + path_off));
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

static int cmp_file_key(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct idt_file_key));
}

static int cmp_name_key(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct idt_name_key));
}

static void add_home(struct cred_watch *w, const char *home)
{
	struct stat st;

	/* known homes first: every exec names its HOME, a stat each is waste */
	for (int i = 0; i < w->n_homes; i++)
		if (!strcmp(w->homes[i], home))
			return;
	if (w->n_homes >= MAX_HOMES || home[0] != '/' || stat(home, &st) || !S_ISDIR(st.st_mode))
		return;
	w->homes[w->n_homes] = strdup(home);
	if (w->homes[w->n_homes])
		w->n_homes++;
}

bool cred_watch_add_home(struct cred_watch *w, const char *home)
{
	int before = w->n_homes;

	add_home(w, home);
	return w->n_homes != before;
}

static void load_passwd_homes(struct cred_watch *w)
{
	struct passwd *pw;

	setpwent();
	while ((pw = getpwent()))
		if (pw->pw_dir && strcmp(pw->pw_dir, "/") && strcmp(pw->pw_dir, "/nonexistent"))
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
	for (int i = 0; i < n_extra; i++)
		add_home(w, extra_homes[i]);
	load_passwd_homes(w);
	return w;
}

void cred_watch_free(struct cred_watch *w)
{
	if (!w)
		return;
	set_clear(&w->inodes, offsetof(struct inode_entry, path));
	set_clear(&w->dirs, offsetof(struct dir_entry, path));
	set_clear(&w->names, (size_t)-1);
	set_clear(&w->rule_dirs, offsetof(struct rule_dir, dir));
	for (int i = 0; i < w->n_rules; i++)
		watch_rule_free(&w->rules[i]);
	free(w->rules);
	for (int i = 0; i < w->n_homes; i++)
		free(w->homes[i]);
	if (w->ifd >= 0)
		close(w->ifd);
	free(w->wds);
	free(w);
}

int cred_watch_inotify_fd(const struct cred_watch *w)
{
	return w->ifd;
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
			if (!(ev->mask & IN_IGNORED))
				any = true;
			p += sizeof(*ev) + ev->len;
		}
	}
	return any;
}

/* Watch dir for changes; when it does not exist, its nearest existing
 * ancestor, so that its creation triggers a rescan. */
static void watch_changes(struct cred_watch *w, const char *dir)
{
	char path[PATH_MAX];
	int wd;

	if (w->ifd < 0)
		return;
	snprintf(path, sizeof(path), "%s", dir);
	for (;;) {
		wd = inotify_add_watch(w->ifd, path, IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM |
							 IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF |
							 IN_ONLYDIR);
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
		int *v = realloc(w->wds, cap * sizeof(*v));

		if (!v)
			return;
		w->wds = v;
		w->cap_wds = cap;
	}
	w->wds[w->n_wds++] = wd;
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
		if (!failed_filter)
			dw->any_type = type;
		return err;
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

static int add_inode(struct cred_watch *w, const char *path, const struct stat *st, __u32 type)
{
	struct inode_entry *e = set_push(&w->inodes);

	if (!e)
		return -ENOMEM;
	e->key.dev = cred_kdev(st->st_dev);
	e->key.ino = st->st_ino;
	e->val.cred_type = type;
	e->path = strdup(path);
	return e->path ? 0 : -ENOMEM;
}

/* One concrete directory of one rule: its kernel entries and the files in
 * it that exist now. */
static int scan_dir(struct cred_watch *w, const char *dir, int rule)
{
	const struct watch_rule *r = &w->rules[rule];
	struct rule_dir *rd = set_push(&w->rule_dirs);
	struct idt_file_key key = {};
	struct dir_entry *d;
	struct dirent *de;
	struct stat st;
	char path[PATH_MAX];
	int err, listed = 0;
	DIR *dp;

	if (!rd)
		return -ENOMEM;
	rd->dir = strdup(dir);
	rd->rule = rule;
	watch_changes(w, dir);
	if (stat(dir, &st) || !S_ISDIR(st.st_mode))
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
	}
	err = add_rule_names(w, r, &key, &d->val, false);
	if (err)
		return err;
	dp = opendir(dir);
	if (!dp)
		return 0;
	while ((de = readdir(dp)) && listed++ < MAX_FILES_PER_DIR) {
		if (!watch_rule_match_name(r, de->d_name, strlen(de->d_name)))
			continue;
		snprintf(path, sizeof(path), "%s/%s", strcmp(dir, "/") ? dir : "", de->d_name);
		/* stat follows a symlinked credential to the file it names */
		if (stat(path, &st) || !S_ISREG(st.st_mode))
			continue;
		err = add_inode(w, path, &st, cred_type_id(r->type));
		if (err)
			break;
	}
	closedir(dp);
	return err;
}

static int expand_rule(struct cred_watch *w, int rule, const char *dir_pattern)
{
	glob_t g;
	int err = 0;

	if (!strpbrk(dir_pattern, "*?["))
		return scan_dir(w, dir_pattern, rule);
	/* A glob above the last component: watch its fixed prefix for new
	 * matches, and each directory it matches now. */
	{
		char fixed[PATH_MAX];
		const char *g0 = strpbrk(dir_pattern, "*?[");
		size_t n = g0 - dir_pattern;

		snprintf(fixed, sizeof(fixed), "%.*s", (int)n, dir_pattern);
		if (n > 1 && fixed[n - 1] == '/')
			fixed[n - 1] = '\0';
		watch_changes(w, fixed);
		/* and every directory a shorter part of the pattern matches, so a
		 * level created later (pods/<uid>/volumes/...) is seen too */
		for (const char *s = strchr(g0, '/'); s; s = strchr(s + 1, '/')) {
			snprintf(fixed, sizeof(fixed), "%.*s", (int)(s - dir_pattern), dir_pattern);
			if (glob(fixed, GLOB_ONLYDIR | GLOB_NOSORT, NULL, &g) != 0)
				continue;
			for (size_t i = 0; i < g.gl_pathc; i++)
				watch_changes(w, g.gl_pathv[i]);
			globfree(&g);
		}
	}
	if (glob(dir_pattern, GLOB_ONLYDIR | GLOB_NOSORT, NULL, &g) != 0)
		return 0;
	for (size_t i = 0; i < g.gl_pathc && !err; i++)
		err = scan_dir(w, g.gl_pathv[i], rule);
	globfree(&g);
	return err;
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
			err = expand_rule(w, i, r->dir);
			continue;
		}
		for (int h = 0; h < w->n_homes && !err; h++) {
			snprintf(dir, sizeof(dir), "%s%s", w->homes[h], r->dir + 1);
			err = expand_rule(w, i, dir);
		}
	}
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

	int *old_wds = w->wds;
	size_t n_old_wds = w->n_wds;

	/* Re-adding a watched directory returns its existing wd; only watches
	 * no longer wanted are removed after the build. */
	w->wds = NULL;
	w->n_wds = w->cap_wds = 0;
	/* users added since (useradd renames /etc/passwd: a change in a watched
	 * directory, which brings this rescan) */
	load_passwd_homes(w);
	set_clear(&w->rule_dirs, offsetof(struct rule_dir, dir));
	w->inodes = (struct set){ .size = sizeof(struct inode_entry) };
	w->dirs = (struct set){ .size = sizeof(struct dir_entry) };
	w->names = (struct set){ .size = sizeof(struct name_entry) };
	w->rule_dirs.size = sizeof(struct rule_dir);

	err = build(w);
	for (size_t i = 0; i < n_old_wds; i++) {
		bool kept = false;

		for (size_t j = 0; j < w->n_wds && !kept; j++)
			kept = w->wds[j] == old_wds[i];
		if (!kept)
			inotify_rm_watch(w->ifd, old_wds[i]);
	}
	free(old_wds);
	qsort(w->inodes.v, w->inodes.n, w->inodes.size, cmp_file_key);
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
	set_clear(&old_inodes, offsetof(struct inode_entry, path));
	set_clear(&old_dirs, offsetof(struct dir_entry, path));
	set_clear(&old_names, (size_t)-1);
	if (err) {
		log_warn("updating the credential watch maps failed: %s", strerror(-err));
		return err;
	}
	return (int)w->inodes.n;
}

const char *cred_watch_inode_path(const struct cred_watch *w, uint32_t kdev, uint64_t ino,
				  const char **type)
{
	struct idt_file_key key = { .dev = kdev, .ino = ino };
	const struct inode_entry *e = bsearch(&key, w->inodes.v, w->inodes.n, w->inodes.size,
					      cmp_file_key);

	if (!e)
		return NULL;
	if (type)
		*type = cred_type_name(e->val.cred_type);
	return e->path;
}

const char *cred_watch_dir_path(const struct cred_watch *w, uint32_t kdev, uint64_t ino)
{
	struct idt_file_key key = { .dev = kdev, .ino = ino };
	const struct dir_entry *e = bsearch(&key, w->dirs.v, w->dirs.n, w->dirs.size, cmp_file_key);

	return e ? e->path : NULL;
}

const struct watch_rule *cred_watch_match_path(const struct cred_watch *w, const char *path)
{
	const char *slash = strrchr(path, '/');
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
	return NULL;
}
