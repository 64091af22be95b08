/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The process table: pid -> the current image of that process and the
 * identity context it carries.
 *
 * Each record links to the image it came from (`parent`): the parent
 * process's image at fork, or the previous image of the same pid at an exec
 * without fork. Records are reference-counted: an exited process leaves the
 * pid index but stays alive while a descendant still links to it, so lineage
 * survives re-parenting.
 */
#ifndef IDTRACE_PROC_TABLE_H
#define IDTRACE_PROC_TABLE_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>
#include "ci_env.h"
#include "redact_values.h"

#define PROC_EXEC_ID_LEN 48
#define PROC_MAX_DEPTH 64 /* lineage kept per record; older links are cut */

/* A CI job shared by every process of its lineage. */
struct ci_ref {
	int refcnt;
	struct ci_job job;
	char origin_exec_id[PROC_EXEC_ID_LEN]; /* the exec that established it */
	__u32 origin_pid;
	__u32 origin_loginuid; /* that exec's loginuid: unset when no login started the job */
};

/* Why a record's attribution needs a second look (proc.flags). */
#define PROC_F_SEEDED (1u << 0)       /* built from /proc at start-up, not seen at exec */
#define PROC_F_FORKED (1u << 1)       /* a fork copy that has not exec'd */
#define PROC_F_CI_CONFLICT (1u << 2)  /* its environment claims another CI job */
#define PROC_F_CI_SCRUBBED (1u << 3)  /* its environment lost the inherited CI job */
#define PROC_F_ENV_UNREAD (1u << 4)   /* environment could not be read */
#define PROC_F_ENV_TRUNC (1u << 5)    /* environment truncated: CI context may be partial */
#define PROC_F_ARGS_TRUNC (1u << 6)
#define PROC_F_LINEAGE_CUT (1u << 7)  /* parent unknown (lost event or seeded orphan) */
#define PROC_F_EXITED (1u << 8)
#define PROC_F_V1_READ (1u << 9)     /* cgroup_v1_id was looked up in /proc (workload.c) */
#define PROC_F_TOKEN_VARS_TRUNC (1u << 10) /* more token variables than CI_TOKEN_VARS_MAX */

struct proc {
	int refcnt;
	__u32 pid, ppid;
	__u64 start_ns;   /* task start, CLOCK_BOOTTIME ns */
	__u64 image_ns;   /* when this image began: exec time, fork time, or start */
	char exec_id[PROC_EXEC_ID_LEN];
	struct proc *parent; /* see above; holds a reference */
	unsigned int depth;

	char *exe;        /* path given to execve, or /proc/PID/exe when seeded */
	char *exe_real;   /* the file that ran, symlinks resolved; NULL when unknown */
	char *args;       /* argv, NUL-separated, raw (redacted when emitted) */
	size_t args_len;
	__u32 argc;
	__u32 uid, euid, gid, egid;
	__u32 loginuid, sessionid;
	__u64 cgroup_id;
	__u64 cgroup_v1_id; /* in workload's v1 hierarchy (hybrid hosts); 0: unknown */
	char *cgroup_path; /* NULL when unknown */
	__u32 mntns;       /* mount namespace inode, 0 when unknown */
	__u64 mntns_id;    /* its id (never reused, unlike the inode number); 0 when unknown */
	__u32 pidns, netns, userns; /* other namespaces' inode numbers, 0 when unknown */

	struct ci_ref *ci;          /* NULL: no CI job in this lineage */
	struct ci_job *ci_claim;    /* conflicting claim from its own environment (PROC_F_CI_CONFLICT) */
	/* NAMES of the token variables set in its own environment, whatever the
	 * provider (or none); NULL when none */
	char (*token_vars)[CI_TOKEN_VAR_NAME_MAX];
	int n_token_vars;
	/* the secret variables' values its exec brought that no ancestor's
	 * did (length and keyed hash: redact_values.h); NULL when none */
	struct redact_value *secret_values;
	int n_secret_values;
	__u32 flags;                /* PROC_F_* */
	/* {"pid","exec_id","uid","euid","exe"} as an ancestor in chains: built
	 * once by chain.c and shared, since those fields never change */
	struct json_t *brief;

	struct proc *hash_next;
};

struct proc_table;

/* New empty table. NULL on ENOMEM. */
struct proc_table *proc_table_new(void);
/* Drop every record and the table itself. */
void proc_table_free(struct proc_table *t);

/* The current image of pid, or NULL. Borrowed: valid until the next call that
 * changes the table; take proc_get() to keep it. */
struct proc *proc_table_lookup(struct proc_table *t, __u32 pid);
/* A new zeroed record for pid, with one reference owned by the caller. */
struct proc *proc_new(__u32 pid);
/* Make rec the current image of its pid (replacing and releasing any older
 * one from the index). The table takes its own reference. */
void proc_table_insert(struct proc_table *t, struct proc *rec);
/* Remove pid's image from the index (the process exited); descendants keep it. */
void proc_table_remove(struct proc_table *t, __u32 pid);
/* Number of records in the index. */
unsigned int proc_table_count(const struct proc_table *t);
/* fn(p, arg) for every record in the index, in no order; fn must not change
 * the table. */
void proc_table_each(struct proc_table *t, void (*fn)(struct proc *p, void *arg), void *arg);

/* Link child to parent (takes a reference on parent), cutting lineage
 * deeper than PROC_MAX_DEPTH. */
void proc_set_parent(struct proc *child, struct proc *parent);
/* Counts every change to any table's records and links (insert, remove,
 * reparent, lineage cut): what was derived from the tables before is stale
 * once it moved. Callers that change a record's fields in place bump it. */
__u64 proc_table_generation(void);
void proc_table_changed(void);
struct proc *proc_get(struct proc *p);
void proc_put(struct proc *p);

struct ci_ref *ci_ref_new(const struct ci_job *job, const char *origin_exec_id, __u32 origin_pid);
struct ci_ref *ci_ref_get(struct ci_ref *c);
void ci_ref_put(struct ci_ref *c);

/* Format the host-unique exec id of an image into buf (PROC_EXEC_ID_LEN):
 * "<first 8 hex of boot id>-<pid>-<image_ns>", unique per host across boots. */
void proc_format_exec_id(char *buf, const char *boot_id, __u32 pid, __u64 image_ns);

#endif
