// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What ci_env.c and ci_providers.c share: the variables read from an
 * environment block (enum ci_key), the view of one block's values, the
 * sanitising writers of struct ci_job's fields, small helpers over values,
 * and the provider table. Internal to the two; ci_env.h is the interface.
 */
#ifndef IDTRACE_CI_ENV_VIEW_H
#define IDTRACE_CI_ENV_VIEW_H

#include <stdbool.h>
#include <string.h>
#include <strings.h>
#include "ci_env.h"

struct slice {
	const char *p; /* NULL: variable absent */
	size_t n;
};

/* Non-secret variables whose values may be copied. */
#define CI_META_KEYS(X)                                                                          \
	X(GITHUB_ACTIONS) X(GITLAB_CI) X(BUILDKITE) X(CIRCLECI) X(TF_BUILD) X(JENKINS_URL)       \
	X(JENKINS_HOME) X(FORGEJO_ACTIONS) X(GITEA_ACTIONS)                                      \
	X(GITHUB_REPOSITORY) X(GITHUB_WORKFLOW) X(GITHUB_RUN_ID) X(GITHUB_RUN_ATTEMPT)           \
	X(GITHUB_JOB) X(GITHUB_ACTOR) X(GITHUB_TRIGGERING_ACTOR) X(GITHUB_EVENT_NAME)            \
	X(GITHUB_REF) X(GITHUB_SHA) X(GITHUB_SERVER_URL)                                         \
	X(CI_PROJECT_PATH) X(CI_PIPELINE_NAME) X(CI_CONFIG_PATH) X(CI_PIPELINE_ID)              \
	X(CI_JOB_NAME) X(CI_JOB_ID) X(GITLAB_USER_LOGIN) X(CI_PIPELINE_SOURCE)                   \
	X(CI_COMMIT_REF_NAME) X(CI_COMMIT_SHA) X(CI_MERGE_REQUEST_IID) X(CI_SERVER_URL)          \
	X(JOB_NAME) X(BUILD_NUMBER) X(BUILD_ID) X(STAGE_NAME) X(GIT_URL) X(GIT_COMMIT)           \
	X(GIT_BRANCH) X(BRANCH_NAME) X(BUILD_USER_ID) X(CHANGE_ID)                               \
	X(BUILDKITE_REPO) X(BUILDKITE_PIPELINE_SLUG) X(BUILDKITE_BUILD_NUMBER)                   \
	X(BUILDKITE_RETRY_COUNT) X(BUILDKITE_LABEL) X(BUILDKITE_STEP_KEY) X(BUILDKITE_JOB_ID)    \
	X(BUILDKITE_BUILD_CREATOR) X(BUILDKITE_BUILD_AUTHOR) X(BUILDKITE_SOURCE)                 \
	X(BUILDKITE_BRANCH) X(BUILDKITE_COMMIT) X(BUILDKITE_PULL_REQUEST) X(BUILDKITE_BUILD_URL) \
	X(CIRCLE_PROJECT_USERNAME) X(CIRCLE_PROJECT_REPONAME) X(CIRCLE_REPOSITORY_URL)           \
	X(CIRCLE_WORKFLOW_ID) X(CIRCLE_BUILD_NUM) X(CIRCLE_JOB) X(CIRCLE_USERNAME)               \
	X(CIRCLE_BRANCH) X(CIRCLE_TAG) X(CIRCLE_SHA1) X(CIRCLE_PR_NUMBER) X(CIRCLE_PULL_REQUEST) \
	X(CIRCLE_BUILD_URL)                                                                      \
	X(BUILD_REPOSITORY_NAME) X(BUILD_DEFINITIONNAME) X(BUILD_BUILDID) X(SYSTEM_JOBATTEMPT)   \
	X(SYSTEM_JOBDISPLAYNAME) X(AGENT_JOBNAME) X(SYSTEM_JOBID) X(BUILD_REQUESTEDFOR)          \
	X(BUILD_QUEUEDBY) X(BUILD_REASON) X(BUILD_SOURCEBRANCH) X(BUILD_SOURCEVERSION)           \
	X(SYSTEM_PULLREQUEST_PULLREQUESTNUMBER) X(SYSTEM_PULLREQUEST_PULLREQUESTID)              \
	X(SYSTEM_COLLECTIONURI)                                                                  \
	X(BITBUCKET_BUILD_NUMBER) X(BITBUCKET_COMMIT) X(BITBUCKET_REPO_FULL_NAME)                \
	X(BITBUCKET_WORKSPACE) X(BITBUCKET_REPO_SLUG) X(BITBUCKET_STEP_UUID)                     \
	X(BITBUCKET_STEP_TRIGGERER_UUID) X(BITBUCKET_BRANCH) X(BITBUCKET_TAG) X(BITBUCKET_PR_ID) \
	X(BITBUCKET_GIT_HTTP_ORIGIN)                                                             \
	X(TRAVIS) X(TRAVIS_REPO_SLUG) X(TRAVIS_BUILD_ID) X(TRAVIS_JOB_NAME) X(TRAVIS_JOB_ID)     \
	X(TRAVIS_EVENT_TYPE) X(TRAVIS_BRANCH) X(TRAVIS_TAG) X(TRAVIS_COMMIT)                     \
	X(TRAVIS_PULL_REQUEST) X(TRAVIS_BUILD_WEB_URL)                                           \
	X(SEMAPHORE) X(SEMAPHORE_GIT_REPO_SLUG) X(SEMAPHORE_PROJECT_NAME)                        \
	X(SEMAPHORE_WORKFLOW_ID) X(SEMAPHORE_JOB_NAME) X(SEMAPHORE_JOB_ID)                       \
	X(SEMAPHORE_GIT_BRANCH) X(SEMAPHORE_GIT_SHA) X(SEMAPHORE_GIT_PR_NUMBER)                  \
	X(SEMAPHORE_ORGANIZATION_URL)                                                            \
	X(CI) X(CI_REPO) X(CI_PIPELINE_NUMBER) X(CI_WORKFLOW_NAME) X(CI_STEP_NAME)               \
	X(CI_PIPELINE_EVENT) X(CI_COMMIT_AUTHOR) X(CI_COMMIT_BRANCH) X(CI_COMMIT_TAG)            \
	X(CI_COMMIT_PULL_REQUEST) X(CI_SYSTEM_URL)                                               \
	X(DRONE) X(DRONE_REPO) X(DRONE_BUILD_NUMBER) X(DRONE_STAGE_NAME) X(DRONE_STEP_NAME)      \
	X(DRONE_BUILD_EVENT) X(DRONE_COMMIT_AUTHOR) X(DRONE_BUILD_TRIGGER)                       \
	X(DRONE_COMMIT_BRANCH) X(DRONE_TAG) X(DRONE_COMMIT_SHA) X(DRONE_PULL_REQUEST)            \
	X(DRONE_BUILD_LINK) X(DRONE_SYSTEM_PROTO) X(DRONE_SYSTEM_HOST)                           \
	X(CODEBUILD_BUILD_ID) X(CODEBUILD_BUILD_NUMBER) X(CODEBUILD_SOURCE_REPO_URL)             \
	X(CODEBUILD_INITIATOR) X(CODEBUILD_WEBHOOK_ACTOR_ACCOUNT_ID) X(CODEBUILD_WEBHOOK_EVENT)  \
	X(CODEBUILD_WEBHOOK_HEAD_REF) X(CODEBUILD_SOURCE_VERSION)                                \
	X(CODEBUILD_RESOLVED_SOURCE_VERSION) X(CODEBUILD_WEBHOOK_TRIGGER)                        \
	X(TEAMCITY_VERSION) X(TEAMCITY_PROJECT_NAME) X(TEAMCITY_BUILDCONF_NAME)                  \
	X(BUILD_VCS_NUMBER)                                                                      \
	X(HARNESS_BUILD_ID) X(HARNESS_PIPELINE_ID) X(HARNESS_STAGE_ID) X(HARNESS_USER_ID)        \
	X(GO_PIPELINE_LABEL) X(GO_PIPELINE_NAME) X(GO_PIPELINE_COUNTER) X(GO_STAGE_COUNTER)      \
	X(GO_JOB_NAME) X(GO_TRIGGER_USER) X(GO_REVISION) X(GO_SERVER_URL)                        \
	X(bamboo_planKey) X(bamboo_agentId) X(bamboo_buildNumber) X(bamboo_buildKey)             \
	X(bamboo_planRepository_1_branchName) X(bamboo_planRepository_1_revision)                \
	X(bamboo_buildResultsUrl)                                                                \
	X(APPVEYOR) X(APPVEYOR_REPO_NAME) X(APPVEYOR_PROJECT_SLUG) X(APPVEYOR_BUILD_NUMBER)      \
	X(APPVEYOR_JOB_NUMBER) X(APPVEYOR_JOB_ID) X(APPVEYOR_REPO_TAG_NAME)                      \
	X(APPVEYOR_REPO_BRANCH) X(APPVEYOR_REPO_COMMIT) X(APPVEYOR_PULL_REQUEST_NUMBER)          \
	X(CIRRUS_CI) X(CIRRUS_REPO_FULL_NAME) X(CIRRUS_BUILD_ID) X(CIRRUS_TASK_ID) X(CIRRUS_TAG) \
	X(CIRRUS_BRANCH) X(CIRRUS_CHANGE_IN_REPO) X(CIRRUS_PR)                                   \
	X(BITRISE_IO) X(BITRISE_APP_SLUG) X(BITRISE_BUILD_NUMBER) X(BITRISE_GIT_TAG)             \
	X(BITRISE_GIT_BRANCH) X(BITRISE_GIT_COMMIT) X(BITRISE_PULL_REQUEST) X(BITRISE_BUILD_URL) \
	X(BUDDY_WORKSPACE_ID) X(BUDDY_REPO_SLUG) X(BUDDY_EXECUTION_ID) X(BUDDY_EXECUTION_TAG)    \
	X(BUDDY_EXECUTION_BRANCH) X(BUDDY_EXECUTION_REVISION)                                    \
	X(BUDDY_EXECUTION_PULL_REQUEST_ID) X(BUDDY_EXECUTION_URL)                                \
	X(CF_BUILD_ID) X(CF_REPO_OWNER) X(CF_REPO_NAME) X(CF_BRANCH) X(CF_REVISION)              \
	X(CF_PULL_REQUEST_NUMBER) X(CF_PULL_REQUEST_ID) X(CF_BUILD_URL)                          \
	X(SCREWDRIVER) X(SD_PIPELINE_NAME) X(SD_BUILD_ID) X(SD_JOB_ID) X(SD_JOB_NAME)            \
	X(SD_BUILD_SHA) X(SD_PULL_REQUEST) X(SD_UI_BUILD_URL)                                    \
	X(VELA) X(VELA_REPO_FULL_NAME) X(VELA_BUILD_NUMBER) X(VELA_STEP_NAME)                    \
	X(VELA_BUILD_SENDER) X(VELA_BUILD_EVENT) X(VELA_BUILD_TAG) X(VELA_BUILD_BRANCH)          \
	X(VELA_BUILD_COMMIT) X(VELA_BUILD_PULL_REQUEST) X(VELA_BUILD_LINK)                       \
	X(PROW_JOB_ID) X(JOB_TYPE) X(REPO_OWNER) X(REPO_NAME) X(PULL_BASE_REF) X(PULL_BASE_SHA)  \
	X(PULL_PULL_SHA) X(PULL_NUMBER)                                                          \
	X(CI_NAME) X(BUILDER_OUTPUT)

/* Variables that hold a credential: only their presence is recorded. */
#define CI_TOKEN_KEYS(X)                                                                         \
	X(GITHUB_TOKEN) X(ACTIONS_ID_TOKEN_REQUEST_TOKEN) X(ACTIONS_RUNTIME_TOKEN)               \
	X(CI_JOB_TOKEN) X(CI_JOB_JWT) X(CI_JOB_JWT_V1) X(CI_JOB_JWT_V2) X(CI_BUILD_TOKEN)        \
	X(CI_REGISTRY_PASSWORD) X(CI_DEPLOY_PASSWORD) X(CI_DEPENDENCY_PROXY_PASSWORD)            \
	X(BUILDKITE_AGENT_ACCESS_TOKEN) X(BUILDKITE_AGENT_JOB_API_TOKEN)                         \
	X(CIRCLE_OIDC_TOKEN) X(CIRCLE_OIDC_TOKEN_V2)                                             \
	X(SYSTEM_ACCESSTOKEN) X(GITEA_TOKEN) X(FORGEJO_TOKEN)                                    \
	X(BITBUCKET_STEP_OIDC_TOKEN) X(SEMAPHORE_OIDC_TOKEN) X(DRONE_NETRC_USERNAME)             \
	X(DRONE_NETRC_PASSWORD) X(CI_NETRC_USERNAME) X(CI_NETRC_PASSWORD)                        \
	X(CIRRUS_OIDC_TOKEN) X(CF_OIDC_REQUEST_TOKEN) X(SD_TOKEN) X(VELA_NETRC_USERNAME)         \
	X(VELA_NETRC_PASSWORD) X(VELA_ID_TOKEN_REQUEST_TOKEN)

#define X_ENUM(k) K_##k,
#define X_TOKEN_ENUM(k) T_##k,
#define X_NAME(k) { #k, sizeof(#k) - 1 },

enum ci_key { CI_META_KEYS(X_ENUM) K_COUNT };
enum ci_token_key { CI_TOKEN_KEYS(X_TOKEN_ENUM) T_COUNT };

/* A name in both tables would have a token's value copied as metadata (the meta table
 * is searched first): one enum over both makes that a duplicate enumerator, a compile
 * error. */
#define X_ANY(k) N_##k,
enum ci_any_key { CI_META_KEYS(X_ANY) CI_TOKEN_KEYS(X_ANY) N_COUNT };

/* One environment block's values: what the providers read. */
struct env_view {
	struct slice val[K_COUNT]; /* first occurrence of each meta key */
	__u32 token_seen;	   /* T_* bits already listed in token_vars */
};

/* ---- field writers (ci_env.c): printable UTF-8 only, cut to the field ---- */

/* dst[cap] (a field of out) = the concatenation of s[0..n); a cut sets bit in
 * out->truncated. */
void ci_put_parts(struct ci_job *out, char *dst, size_t cap, __u32 bit, const struct slice *s,
		  int n);

/* A URL without its userinfo, query and fragment (origin_only: scheme, host
 * and port only); a value that does not parse as one is not written. */
void ci_put_url(struct ci_job *out, char *dst, size_t cap, __u32 bit, struct slice s,
		bool origin_only);

/* ci_put_url over the concatenation of s[0..n). */
void ci_put_url_parts(struct ci_job *out, char *dst, size_t cap, __u32 bit,
		      const struct slice *s, int n, bool origin_only);

#define PUT(out, field, bit, s) \
	ci_put_parts((out), (out)->field, sizeof((out)->field), (bit), &(s), 1)
#define PUT_URL(out, field, bit, s, origin) \
	ci_put_url((out), (out)->field, sizeof((out)->field), (bit), (s), (origin))

/* ---- helpers over values ---- */

static inline struct slice lit(const char *s)
{
	return (struct slice){ s, strlen(s) };
}

static inline bool all_digits(const char *p, size_t n)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return false;
	return true;
}

static inline struct slice first_of(struct slice a, struct slice b)
{
	return a.n ? a : b;
}

static inline bool is_word(struct slice s, const char *w)
{
	size_t n = strlen(w);

	return s.n == n && !strncasecmp(s.p, w, n);
}

static inline bool is_true(struct slice s)
{
	return is_word(s, "true");
}

static inline bool has(const struct env_view *v, enum ci_key k)
{
	return v->val[k].n > 0;
}

static inline struct slice digits_or_empty(struct slice s)
{
	return all_digits(s.p, s.n) ? s : (struct slice){ NULL, 0 };
}

/* "refs/pull/<N><post>" -> N */
static inline struct slice pull_ref(struct slice ref, const char *post)
{
	static const char pre[] = "refs/pull/";
	size_t np = sizeof(pre) - 1, nq = strlen(post);

	if (ref.n <= np + nq || memcmp(ref.p, pre, np) || memcmp(ref.p + ref.n - nq, post, nq))
		return (struct slice){ NULL, 0 };
	return digits_or_empty((struct slice){ ref.p + np, ref.n - np - nq });
}

/* The rest of s after pre, or empty when s does not start with it. */
static inline struct slice after_prefix(struct slice s, const char *pre)
{
	size_t n = strlen(pre);

	if (s.n < n || memcmp(s.p, pre, n))
		return (struct slice){ NULL, 0 };
	return (struct slice){ s.p + n, s.n - n };
}

/* Last path segment of a pull request URL ("https://github.com/o/r/pull/12" -> 12). */
static inline struct slice last_segment(struct slice url)
{
	const char *slash = url.n ? memrchr(url.p, '/', url.n) : NULL;

	if (!slash)
		return url;
	return (struct slice){ slash + 1, url.n - (size_t)(slash + 1 - url.p) };
}

/* The last run of digits in s ("refs/pull/12/head" -> 12), or empty when s has none. */
static inline struct slice last_digits(struct slice s)
{
	size_t end = s.n, start;

	while (end && (s.p[end - 1] < '0' || s.p[end - 1] > '9'))
		end--;
	start = end;
	while (start && s.p[start - 1] >= '0' && s.p[start - 1] <= '9')
		start--;
	return (struct slice){ end ? s.p + start : NULL, end - start };
}

/* ---- providers (ci_providers.c) ---- */

struct ci_provider {
	const char *name;
	bool (*detect)(const struct env_view *v);
	void (*fill)(const struct env_view *v, struct ci_job *out);
	/* run_id counts per workflow (Jenkins job, Buildkite pipeline, TeamCity build
	 * configuration, CodeBuild project, Harness and GoCD pipeline, Bamboo plan, AppVeyor
	 * project, Prow job), not per repository: the short id names the workflow first. */
	bool runs_per_workflow;
};

/* In priority order; see ci_env.h. */
extern const struct ci_provider ci_providers[];
extern const size_t ci_n_providers;

#endif /* IDTRACE_CI_ENV_VIEW_H */
