/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The identity chain of a process: ordered hops, oldest origin first
 * (human, ci_job, workload, process), and the provenance verdict derived
 * from them. Later stages append credential and delegation hops.
 */
#ifndef IDTRACE_CHAIN_H
#define IDTRACE_CHAIN_H

#include <jansson.h>
#include "pivot.h"
#include "proc_table.h"
#include "workload.h"

#define CHAIN_MAX_ANCESTORS 16

struct chain_ctx {
	struct workload_ctx *workload;
	bool env_unread; /* --no-env: no CI context could be established at all */
	struct {
		__u32 uid;
		char name[64];
		int ok;
	} users[64]; /* uid -> name cache, direct-mapped */
};

struct chain {
	json_t *hops;       /* array, owned */
	json_t *provenance; /* {"originator","collapsed","reasons"}, owned */
	json_t *missing;    /* enrichment gaps [{"field","reason"}], owned */
};

/* Build the chain of p. Returns 0 or -ENOMEM; release with chain_release. */
int chain_build(struct chain_ctx *ctx, struct proc *p, struct chain *out);
/* Originator string of p ("human:alice", "ci:github_actions:org/repo#42" or
 * "unknown") into buf. Used to compare the chains of two processes. */
void chain_originator(struct chain_ctx *ctx, const struct proc *p, char *buf, size_t n);
/* p as a user of a credential, for the pivot table: its originator, exec_id
 * and pid, with how ("read", "presented", "env"), path and type (NULL: ""). */
void chain_pivot_reader(struct chain_ctx *ctx, const struct proc *p, const char *how,
			const char *path, const char *type, struct pivot_reader *out);
void chain_release(struct chain *c);
/* ["NAME", ...] of n token variable names (never values), for the ci_job hop
 * and the process object. */
json_t *chain_token_vars_json(const char (*names)[CI_TOKEN_VAR_NAME_MAX], int n);

#endif
