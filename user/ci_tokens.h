/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The CI job's own tokens (GITHUB_TOKEN, CI_JOB_TOKEN, ...), as credentials:
 * when an exec establishes a CI job, the token variables of its environment
 * are fingerprinted (never kept) and remembered in the pivot table as held
 * by that job. A request that later presents one of them names it in its
 * credential hop, and a chain with another originator presenting it is a
 * token that crossed identities.
 */
#ifndef IDTRACE_CI_TOKENS_H
#define IDTRACE_CI_TOKENS_H

#include <stddef.h>
#include "chain.h"
#include "fingerprint.h"
#include "pivot.h"
#include "proc_table.h"

/* How the pivot table says "this job's environment held it". */
#define CI_TOKENS_HOW "env"
/* The credential type of such a token. */
#define CI_TOKENS_TYPE "ci_job_token"

/* p was just exec'd with environment env (len bytes): when p established its
 * CI job, note each token variable's fingerprint as held by p. Returns how
 * many were noted. */
int ci_tokens_note(const struct fingerprint_key *key, struct pivot_table *pivots,
		   struct chain_ctx *chain, const struct proc *p, const char *env, size_t len);

#endif
