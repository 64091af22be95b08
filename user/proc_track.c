// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "proc_seed.h"
#include "exe_cache.h"
#include "proc_track.h"

/* Records seeded from /proc know their start time only to a clock tick. */
#define SEED_START_SLACK_NS 20000000ull

static bool same_process(const struct proc *p, __u64 start_ns)
{
	__u64 d;

	if (!p)
		return false;
	if (!(p->flags & PROC_F_SEEDED))
		return p->start_ns == start_ns;
	d = p->start_ns > start_ns ? p->start_ns - start_ns : start_ns - p->start_ns;
	return d <= SEED_START_SLACK_NS;
}

/* The parent's current image, seeded from /proc when unknown. A record left
 * for a recycled pid is not the parent. */
static struct proc *find_parent(struct proc_tracker *tr, __u32 ppid, __u64 parent_start_ns)
{
	struct proc *p = proc_table_lookup(tr->table, ppid);

	if (same_process(p, parent_start_ns))
		return p;
	if (p)
		proc_table_remove(tr->table, ppid);
	p = proc_seed_one(tr, ppid);
	return same_process(p, parent_start_ns) ? p : NULL;
}

static char *memdup0(const char *s, size_t len)
{
	char *d = malloc(len + 1);

	if (d) {
		memcpy(d, s, len);
		d[len] = '\0';
	}
	return d;
}

/* rec's token variable names: a copy of names[0..n) (of its own
 * environment, or its parent's for a fork copy); truncated: there were more. */
static void set_token_vars(struct proc *rec, const char (*names)[CI_TOKEN_VAR_NAME_MAX], int n,
			   bool truncated)
{
	if (truncated)
		rec->flags |= PROC_F_TOKEN_VARS_TRUNC;
	if (n <= 0 || !names)
		return;
	rec->token_vars = malloc((size_t)n * sizeof(*names));
	if (!rec->token_vars)
		return;
	memcpy(rec->token_vars, names, (size_t)n * sizeof(*names));
	rec->n_token_vars = n;
}

static int known_in_lineage(const struct redact_value *v, void *arg)
{
	for (const struct proc *p = arg; p; p = p->parent)
		for (int i = 0; i < p->n_secret_values; i++)
			if (p->secret_values[i].len == v->len && p->secret_values[i].hash == v->hash)
				return 1;
	return 0;
}

void proc_track_note_secret_values(struct proc *rec, const char *env, size_t len)
{
	struct redact_value v[PROC_SECRET_VALUES_MAX];
	int n = redact_values_from_env(env, len, v, PROC_SECRET_VALUES_MAX, known_in_lineage,
				       rec->parent);

	if (n <= 0)
		return;
	rec->secret_values = malloc((size_t)n * sizeof(*v));
	if (!rec->secret_values)
		return;
	memcpy(rec->secret_values, v, (size_t)n * sizeof(*v));
	rec->n_secret_values = n;
}

/* Apply the CI rule to a new image: inherit the lineage's job; a job named
 * only by the environment is taken when the lineage has none. */
void proc_track_apply_ci(struct proc *rec, struct ci_ref *inherited, const char *env,
			 size_t env_len, bool env_complete)
{
	struct ci_job claim;
	int rc = env ? ci_env_parse(env, env_len, &claim) : -ENOENT;
	bool claimed = rc == 0;

	/* the names whatever the provider, or none */
	if (env && (rc == 0 || rc == -ENOENT))
		set_token_vars(rec, claim.token_vars, claim.n_token_vars,
			       claim.truncated & CI_TRUNC_TOKEN_VARS);

	if (inherited) {
		rec->ci = ci_ref_get(inherited);
		if (claimed && ci_claim_contradicts(&claim, &inherited->job)) {
			rec->flags |= PROC_F_CI_CONFLICT;
			rec->ci_claim = malloc(sizeof(claim));
			if (rec->ci_claim)
				*rec->ci_claim = claim;
		} else if (!claimed && env_complete) {
			rec->flags |= PROC_F_CI_SCRUBBED;
		}
		return;
	}
	if (claimed) {
		rec->ci = ci_ref_new(&claim, rec->exec_id, rec->pid);
		if (rec->ci)
			rec->ci->origin_loginuid = rec->loginuid;
	}
}

void proc_track_note_ci_env(struct proc_tracker *tr, const struct proc *p, const char *env,
			    size_t len)
{
	if (tr->ci_established && env && p->ci && !strcmp(p->ci->origin_exec_id, p->exec_id))
		tr->ci_established(tr->ci_arg, p, env, len);
}

int proc_track_exec(struct proc_tracker *tr, const struct wire_exec *w, struct proc **out)
{
	const struct idt_exec *ev = w->ev;
	struct proc *old = proc_table_lookup(tr->table, ev->hdr.pid);
	struct proc *rec, *parent;
	struct ci_ref *inherited;
	char *env = NULL;
	size_t env_len = 0;
	bool env_complete;

	if (old && !same_process(old, ev->start_ns))
		old = NULL;
	rec = proc_new(ev->hdr.pid);
	if (!rec)
		return -ENOMEM;
	rec->ppid = ev->ppid;
	rec->start_ns = ev->start_ns;
	rec->image_ns = ev->hdr.ts_ns;
	proc_format_exec_id(rec->exec_id, tr->boot_id, rec->pid, rec->image_ns);
	rec->uid = ev->uid;
	rec->euid = ev->euid;
	rec->gid = ev->gid;
	rec->egid = ev->egid;
	rec->loginuid = ev->loginuid;
	rec->sessionid = ev->sessionid;
	rec->cgroup_id = ev->cgroup_id;
	rec->cgroup_v1_id = ev->cgroup_v1_id;
	rec->mntns = ev->mntns;
	rec->mntns_id = ev->mntns_id;
	rec->pidns = ev->pidns;
	rec->netns = ev->netns;
	rec->userns = ev->userns;
	rec->exe = memdup0(w->exe.p, w->exe.len);
	rec->args = memdup0(w->args.p, w->args.len);
	rec->args_len = w->args.len;
	rec->argc = ev->argc;
	if (!rec->exe || !rec->args) {
		proc_put(rec);
		return -ENOMEM;
	}
	if (ev->flags & IDT_EXEC_ARGS_TRUNC)
		rec->flags |= PROC_F_ARGS_TRUNC;
	if (tr->exes) {
		const char *real = exe_cache_resolve(tr->exes, tr->proc_root, rec->pid, rec->exe,
						     ev->exe_dev, ev->exe_ino, ev->exe_ctime_ns);

		rec->exe_real = real ? strdup(real) : NULL;
	}

	/* An exec replaces a fork copy (lineage goes to the real parent) or a
	 * previous image of the same process (which stays in the lineage). */
	if (old)
		parent = (old->flags & PROC_F_FORKED) ? old->parent : old;
	else
		parent = find_parent(tr, ev->ppid, ev->parent_start_ns);
	if (!parent)
		rec->flags |= PROC_F_LINEAGE_CUT;
	proc_set_parent(rec, parent);
	inherited = old ? old->ci : parent ? parent->ci : NULL;

	/* The kernel's copy is race-free; when it was cut or unreadable, the
	 * process's own /proc/PID/environ is the next best (if it still runs). */
	env_complete = !(ev->flags & (IDT_EXEC_ENV_TRUNC | IDT_EXEC_ENV_FAULT));
	if (!env_complete && proc_seed_read_environ(tr, rec->pid, &env, &env_len) == 0)
		env_complete = true;
	if (!env_complete && (ev->flags & IDT_EXEC_ENV_TRUNC))
		rec->flags |= PROC_F_ENV_TRUNC;
	if (!env_complete && !(ev->flags & IDT_EXEC_ENV_TRUNC))
		rec->flags |= PROC_F_ENV_UNREAD;
	if (env) {
		proc_track_apply_ci(rec, inherited, env, env_len, env_complete);
		proc_track_note_ci_env(tr, rec, env, env_len);
		proc_track_note_secret_values(rec, env, env_len);
	} else {
		proc_track_apply_ci(rec, inherited, w->env.p, w->env.len, env_complete);
		proc_track_note_ci_env(tr, rec, w->env.p, w->env.len);
		proc_track_note_secret_values(rec, w->env.p, w->env.len);
	}
	free(env);

	proc_table_insert(tr->table, rec);
	proc_put(rec);
	*out = rec;
	return 0;
}

int proc_track_fork(struct proc_tracker *tr, const struct idt_fork *ev)
{
	/* Lineage follows the process that made the child, not its real
	 * parent: clone(CLONE_PARENT) makes a sibling of the caller, which must
	 * not shed the caller's CI job or lineage that way. */
	struct proc *parent = find_parent(tr, ev->creator, ev->creator_start_ns);
	struct proc *rec = proc_new(ev->hdr.pid);

	if (!rec)
		return -ENOMEM;
	rec->ppid = ev->ppid;
	rec->start_ns = ev->start_ns;
	rec->image_ns = ev->start_ns;
	proc_format_exec_id(rec->exec_id, tr->boot_id, rec->pid, rec->image_ns);
	rec->uid = rec->euid = ev->uid;
	rec->flags = PROC_F_FORKED;
	if (parent) {
		rec->exe = strdup(parent->exe ? parent->exe : "");
		rec->args = parent->args ? memdup0(parent->args, parent->args_len) : NULL;
		rec->args_len = parent->args ? parent->args_len : 0;
		rec->argc = parent->argc;
		rec->euid = parent->euid;
		rec->gid = parent->gid;
		rec->egid = parent->egid;
		rec->loginuid = parent->loginuid;
		rec->sessionid = parent->sessionid;
		rec->cgroup_id = parent->cgroup_id;
		rec->cgroup_v1_id = parent->cgroup_v1_id;
		rec->mntns = parent->mntns;
		rec->mntns_id = parent->mntns_id;
		rec->pidns = parent->pidns;
		rec->netns = parent->netns;
		rec->userns = parent->userns;
		rec->ci = ci_ref_get(parent->ci);
		rec->flags |= parent->flags & (PROC_F_ARGS_TRUNC | PROC_F_CI_CONFLICT);
		set_token_vars(rec, parent->token_vars, parent->n_token_vars,
			       parent->flags & PROC_F_TOKEN_VARS_TRUNC);
		if (parent->ci_claim) {
			rec->ci_claim = malloc(sizeof(*rec->ci_claim));
			if (rec->ci_claim)
				*rec->ci_claim = *parent->ci_claim;
		}
	} else {
		rec->flags |= PROC_F_LINEAGE_CUT;
	}
	proc_set_parent(rec, parent);
	proc_table_insert(tr->table, rec);
	proc_put(rec);
	return 0;
}

void proc_track_exit(struct proc_tracker *tr, const struct idt_exit *ev)
{
	struct proc *p = proc_table_lookup(tr->table, ev->hdr.pid);

	if (!p || !same_process(p, ev->start_ns))
		return;
	p->flags |= PROC_F_EXITED;
	proc_table_remove(tr->table, ev->hdr.pid);
}

struct proc *proc_track_find(struct proc_tracker *tr, __u32 pid)
{
	struct proc *p = proc_table_lookup(tr->table, pid);

	return p ? p : proc_seed_one(tr, pid);
}

struct proc *proc_track_find_or_stand_in(struct proc_tracker *tr, __u32 pid, __u64 start_ns,
					 bool *temp)
{
	struct proc *p = proc_track_find(tr, pid);

	*temp = false;
	if (p)
		return p;
	p = proc_new(pid);
	if (!p)
		return NULL;
	*temp = true;
	p->start_ns = p->image_ns = start_ns;
	proc_format_exec_id(p->exec_id, tr->boot_id, p->pid, p->start_ns);
	p->loginuid = (__u32)-1;
	p->exe = strdup("");
	p->flags = PROC_F_LINEAGE_CUT | PROC_F_EXITED;
	return p;
}
