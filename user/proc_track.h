/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Keeps the process table current from exec, fork and exit records, and
 * seeds it from /proc for processes that predate the daemon. This is where
 * lineage rules live: a process's CI job is the one its nearest ancestor
 * established; its own environment is only a hint.
 */
#ifndef IDTRACE_PROC_TRACK_H
#define IDTRACE_PROC_TRACK_H

#include "proc_table.h"
#include "wire_decode.h"

struct proc_tracker {
	struct proc_table *table;
	char boot_id[40];
	const char *proc_root; /* "/proc", changeable for tests */
	const char *cgroup2_mount; /* for cgroup ids of seeded processes; NULL if none */
	struct exe_cache *exes; /* resolves what an exec ran; NULL: not resolved */
	/* Called with a record whose own environment (env, len bytes)
	 * established its CI job: an exec, or a process seeded from /proc.
	 * NULL: not called. */
	void (*ci_established)(void *arg, const struct proc *p, const char *env, size_t len);
	void *ci_arg;
};

/* Call tr->ci_established when p's own environment established its job. */
void proc_track_note_ci_env(struct proc_tracker *tr, const struct proc *p, const char *env,
			    size_t len);

/* Secret values rec's environment env (len bytes) holds that none of its
 * ancestors' brought: kept (as hashes) for its and its descendants' argv. */
#define PROC_SECRET_VALUES_MAX 128
void proc_track_note_secret_values(struct proc *rec, const char *env, size_t len);

/* Apply an exec record. On success *out is the new image (borrowed from the
 * table). Returns 0 or -errno. */
int proc_track_exec(struct proc_tracker *tr, const struct wire_exec *w, struct proc **out);
/* Apply a fork record (new process = copy of its parent's image). */
int proc_track_fork(struct proc_tracker *tr, const struct idt_fork *ev);
/* Apply an exit record: the pid leaves the index; descendants keep the record. */
void proc_track_exit(struct proc_tracker *tr, const struct idt_exit *ev);

/* Give a new image rec its CI job: the inherited one (a reference is taken)
 * when its lineage has one, noting a conflicting or scrubbed environment;
 * else the job its environment names, if any. env_complete: env is the
 * whole environment, so a missing CI job means it was scrubbed. */
void proc_track_apply_ci(struct proc *rec, struct ci_ref *inherited, const char *env,
			 size_t env_len, bool env_complete);

/* Seed the table from every process in /proc, parents before children.
 * Returns the number of records seeded, or -errno when /proc is unreadable. */
int proc_track_seed_all(struct proc_tracker *tr);
/* The record of pid, seeding it (and its ancestors) from /proc when the table
 * does not know it. NULL when the process is gone. Borrowed. */
struct proc *proc_track_find(struct proc_tracker *tr, __u32 pid);
/* The process of a record: proc_track_find, or, when it is gone and was
 * never seen, a stand-in made from what the record knows (pid, start;
 * lineage cut, loginuid unset) that the caller puts after use (*temp set).
 * NULL on ENOMEM. */
struct proc *proc_track_find_or_stand_in(struct proc_tracker *tr, __u32 pid, __u64 start_ns,
					 bool *temp);

#endif
