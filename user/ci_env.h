/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * CI job context from a process environment block.
 *
 * The input is the block as the kernel stores it, "KEY=VALUE\0KEY=VALUE\0...", given as
 * pointer + length and never trusted to be NUL-terminated. Rules:
 * - Only complete entries count: bytes after the last NUL (an entry cut by a bounded
 *   copy) are ignored and CI_TRUNC_ENV is set. Entries without '=' or with an empty
 *   name are skipped.
 * - Duplicate names: the first one wins, as glibc getenv() does.
 * - Provider priority when several markers are present: Forgejo Actions, Gitea
 *   Actions, GitHub Actions, GitLab CI, Buildkite, CircleCI, Azure Pipelines, Bitbucket
 *   Pipelines, Travis CI, Semaphore, Harness, Woodpecker, Drone, AWS CodeBuild,
 *   TeamCity, GoCD, Bamboo, AppVeyor, Cirrus CI, Bitrise, Buddy, Codefresh, Screwdriver,
 *   Vela, Prow, Sourcehut, Google Cloud Build, Jenkins. Each marker is set by its
 *   provider only, but: Forgejo and Gitea run GitHub-compatible jobs that also set
 *   GITHUB_ACTIONS=true (Forgejo's runner sets GITEA_ACTIONS=true too), so the more
 *   specific marker goes first; Harness CI exports Drone's DRONE_* names for
 *   compatibility, so it goes before Drone; Woodpecker, a Drone fork, goes before Drone;
 *   CodeBuild also hosts GitHub Actions, GitLab and Buildkite runners, whose jobs are
 *   named by those providers; TeamCity, Prow and Jenkins all export BUILD_NUMBER, and
 *   Prow starts Jenkins builds. Jenkins comes last because its marker (JENKINS_URL) is
 *   also exported by people who merely talk to a Jenkins server. docs/ci-providers.md
 *   lists each provider's rule and the variable behind every field.
 * - Values are copied bounded; a value longer than its field is cut at a UTF-8 character
 *   boundary and its CI_TRUNC_* bit is set. Invalid UTF-8 bytes and control characters
 *   are replaced by '?', so every field is printable UTF-8.
 * - repository and server_url lose any URL userinfo ("https://user:token@host/" becomes
 *   "https://host/", scp-like "user:pw@host:path" becomes "host:path"), query and
 *   fragment. A value where a credential cannot be cut out reliably (an authority that
 *   is not host[:port], "x:y@" left in the path, "://" after a non-scheme) is dropped,
 *   leaving the field empty. The userinfo is removed before the copy is bounded.
 * - Values of token variables are never read: only their names go to token_vars.
 * - ref is kept in the provider's own form ("refs/heads/main" on GitHub, Gitea, Forgejo,
 *   Azure and CodeBuild webhook builds, the bare branch or tag name elsewhere,
 *   "origin/main" from the Jenkins git plugin).
 * - pull_request holds digits only; anything else leaves it empty.
 */
#ifndef IDTRACE_CI_ENV_H
#define IDTRACE_CI_ENV_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#define CI_VALUE_MAX 256
#define CI_TOKEN_VARS_MAX 8
#define CI_TOKEN_VAR_NAME_MAX 48

/* ci_job.truncated bits: which field was cut to fit. */
#define CI_TRUNC_REPOSITORY (1u << 0)
#define CI_TRUNC_WORKFLOW (1u << 1)
#define CI_TRUNC_RUN_ID (1u << 2)
#define CI_TRUNC_RUN_ATTEMPT (1u << 3)
#define CI_TRUNC_JOB (1u << 4)
#define CI_TRUNC_JOB_ID (1u << 5)
#define CI_TRUNC_ACTOR (1u << 6)
#define CI_TRUNC_TRIGGERING_ACTOR (1u << 7)
#define CI_TRUNC_EVENT (1u << 8)
#define CI_TRUNC_REF (1u << 9)
#define CI_TRUNC_SHA (1u << 10)
#define CI_TRUNC_PULL_REQUEST (1u << 11)
#define CI_TRUNC_SERVER_URL (1u << 12)
#define CI_TRUNC_TOKEN_VARS (1u << 13) /* more token variables than CI_TOKEN_VARS_MAX */
#define CI_TRUNC_ENV (1u << 14)	       /* block ended mid-entry; that entry was ignored */

struct ci_job {
	char provider[24]; /* "github_actions", "gitea_actions", "forgejo_actions", "gitlab_ci",
			    * "jenkins", "buildkite", "circleci", "azure_pipelines",
			    * "bitbucket_pipelines", "travis_ci", "semaphore", "woodpecker",
			    * "drone", "aws_codebuild", "teamcity", "harness", "gocd",
			    * "bamboo", "appveyor", "cirrus_ci", "bitrise", "buddy",
			    * "codefresh", "screwdriver", "vela", "prow", "sourcehut",
			    * "google_cloud_build";
			    * "" = no CI */
	char repository[CI_VALUE_MAX];
	char workflow[CI_VALUE_MAX]; /* workflow / pipeline / Jenkins job name */
	char run_id[64];
	char run_attempt[16];
	char job[CI_VALUE_MAX];
	char job_id[64]; /* the provider's own id of this job, where it has one */
	char actor[CI_VALUE_MAX];
	char triggering_actor[CI_VALUE_MAX];
	char event[64];
	char ref[CI_VALUE_MAX];
	char sha[64];
	char pull_request[32];
	char server_url[CI_VALUE_MAX]; /* e.g. https://github.com, CI_SERVER_URL, JENKINS_URL */
	int n_token_vars;
	/* NAMES of token-valued variables present, never values */
	char token_vars[CI_TOKEN_VARS_MAX][CI_TOKEN_VAR_NAME_MAX];
	__u32 truncated; /* CI_TRUNC_* bits */
};

/* Parse an environment block (env may be NULL when len is 0) into *out, which is always
 * cleared first. Returns 0 when a CI provider was recognised, -ENOENT when none was
 * (token_vars is filled either way), -EINVAL on bad arguments. Never stores a secret. */
int ci_env_parse(const char *env, size_t len, struct ci_job *out);
/* Call fn(name, value, value_len, arg) for each token variable of the block (the names
 * listed in token_vars) whose first occurrence, the copy getenv() returns, is not empty.
 * The value is the secret itself: fingerprint it, never keep or print it. An entry cut
 * by the end of the block is skipped. Pure. */
/* Is name[0..n) one of the CI token variables (GITHUB_TOKEN, CI_JOB_JWT,
 * DRONE_NETRC_USERNAME, ...: docs/ci-providers.md), whose values are secret? */
bool ci_env_is_token_var(const char *name, size_t n);

typedef void (*ci_token_fn)(const char *name, const char *value, size_t len, void *arg);
void ci_env_each_token(const char *env, size_t len, ci_token_fn fn, void *arg);
/* True when claim, a job named by a process's own environment, contradicts
 * lineage, the job its lineage established: another provider, or a field that
 * names the job (server_url, repository, workflow, run_id, run_attempt, job,
 * job_id) set in the claim to another value. A field the claim leaves empty
 * says nothing: a partial claim (GITHUB_RUN_ID unset) is no contradiction. */
bool ci_claim_contradicts(const struct ci_job *claim, const struct ci_job *lineage);
/* The first field in which claim contradicts lineage ("provider",
 * "server_url", "repository", "workflow", "run_id", "run_attempt", "job",
 * "job_id"), or NULL. */
const char *ci_claim_contradiction(const struct ci_job *claim, const struct ci_job *lineage);
/* Short id for provenance strings into the caller's buf: "<repository>#<run_id>", or
 * "<workflow>#<run_id>" where run numbers count per workflow: Jenkins (job), Buildkite
 * (pipeline), TeamCity (build configuration), AWS CodeBuild (project), Harness and GoCD
 * (pipeline), Bamboo (plan), AppVeyor (project), Prow (job).
 * '#', ',', '=' and '%' in either part are percent-encoded ("a/b%239#5"): the parts come
 * from the environment, and the id goes into strings those characters delimit.
 * Writes at most n bytes, always NUL-terminated when n > 0; "" when job has no provider. */
void ci_job_short_id(const struct ci_job *job, char *buf, size_t n);

#endif
