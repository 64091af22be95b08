// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The CI providers: for each, whether an environment is one of its jobs (its
 * marker variable) and how its variables map onto struct ci_job. ci_env.c
 * scans the environment and tries them in the table's order. Sources of the
 * variable names and meanings: docs/ci-providers.md.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "ci_env.h"
#include "ci_env_view.h"

static bool github_detect(const struct env_view *v)
{
	return is_true(v->val[K_GITHUB_ACTIONS]);
}

/* GitHub Actions has no job id in the environment; job is the job's key (GITHUB_JOB). */
static void github_fill(const struct env_view *v, struct ci_job *o)
{
	struct slice pr = pull_ref(v->val[K_GITHUB_REF], "/merge");

	PUT_URL(o, repository, CI_TRUNC_REPOSITORY, v->val[K_GITHUB_REPOSITORY], false);
	PUT(o, workflow, CI_TRUNC_WORKFLOW, v->val[K_GITHUB_WORKFLOW]);
	PUT(o, run_id, CI_TRUNC_RUN_ID, v->val[K_GITHUB_RUN_ID]);
	PUT(o, run_attempt, CI_TRUNC_RUN_ATTEMPT, v->val[K_GITHUB_RUN_ATTEMPT]);
	PUT(o, job, CI_TRUNC_JOB, v->val[K_GITHUB_JOB]);
	PUT(o, actor, CI_TRUNC_ACTOR, v->val[K_GITHUB_ACTOR]);
	PUT(o, triggering_actor, CI_TRUNC_TRIGGERING_ACTOR, v->val[K_GITHUB_TRIGGERING_ACTOR]);
	PUT(o, event, CI_TRUNC_EVENT, v->val[K_GITHUB_EVENT_NAME]);
	PUT(o, ref, CI_TRUNC_REF, v->val[K_GITHUB_REF]);
	PUT(o, sha, CI_TRUNC_SHA, v->val[K_GITHUB_SHA]);
	PUT(o, pull_request, CI_TRUNC_PULL_REQUEST, pr);
	PUT_URL(o, server_url, CI_TRUNC_SERVER_URL, v->val[K_GITHUB_SERVER_URL], false);
}

/* Forgejo and Gitea Actions run GitHub-compatible workflows and export the GITHUB_*
 * variables (GITHUB_SERVER_URL is the Forgejo or Gitea server) and GITHUB_ACTIONS=true:
 * their own markers tell them apart. Forgejo's runner sets GITEA_ACTIONS=true too, so
 * Forgejo is checked first. There a pull request's GITHUB_REF is "refs/pull/<N>/head"
 * (no merge ref is made); GitHub's "/merge" form is still taken first. */
static bool forgejo_detect(const struct env_view *v)
{
	return is_true(v->val[K_FORGEJO_ACTIONS]);
}

static bool gitea_detect(const struct env_view *v)
{
	return is_true(v->val[K_GITEA_ACTIONS]);
}

static void forge_fill(const struct env_view *v, struct ci_job *o)
{
	struct slice pr = pull_ref(v->val[K_GITHUB_REF], "/head");

	github_fill(v, o);
	if (!o->pull_request[0])
		PUT(o, pull_request, CI_TRUNC_PULL_REQUEST, pr);
}

static bool gitlab_detect(const struct env_view *v)
{
	return is_true(v->val[K_GITLAB_CI]);
}

/* workflow: the pipeline's name (CI_PIPELINE_NAME, GitLab 16.3+), else the CI config file,
 * as GitHub names a workflow by its file when it has no name. GitLab pipelines have no run
 * attempt (a retried job gets a new CI_JOB_ID) and no separate triggering user
 * (GITLAB_USER_LOGIN already is the user who started a manual job). ref is
 * CI_COMMIT_REF_NAME as given: the branch or tag name. */
static void gitlab_fill(const struct env_view *v, struct ci_job *o)
{
	struct slice wf = first_of(v->val[K_CI_PIPELINE_NAME], v->val[K_CI_CONFIG_PATH]);
	struct slice mr = digits_or_empty(v->val[K_CI_MERGE_REQUEST_IID]);

	PUT_URL(o, repository, CI_TRUNC_REPOSITORY, v->val[K_CI_PROJECT_PATH], false);
	PUT(o, workflow, CI_TRUNC_WORKFLOW, wf);
	PUT(o, run_id, CI_TRUNC_RUN_ID, v->val[K_CI_PIPELINE_ID]);
	PUT(o, job, CI_TRUNC_JOB, v->val[K_CI_JOB_NAME]);
	PUT(o, job_id, CI_TRUNC_JOB_ID, v->val[K_CI_JOB_ID]);
	PUT(o, actor, CI_TRUNC_ACTOR, v->val[K_GITLAB_USER_LOGIN]);
	PUT(o, event, CI_TRUNC_EVENT, v->val[K_CI_PIPELINE_SOURCE]);
	PUT(o, ref, CI_TRUNC_REF, v->val[K_CI_COMMIT_REF_NAME]);
	PUT(o, sha, CI_TRUNC_SHA, v->val[K_CI_COMMIT_SHA]);
	PUT(o, pull_request, CI_TRUNC_PULL_REQUEST, mr);
	PUT_URL(o, server_url, CI_TRUNC_SERVER_URL, v->val[K_CI_SERVER_URL], false);
}

static bool buildkite_detect(const struct env_view *v)
{
	return is_true(v->val[K_BUILDKITE]);
}

/* run_id is the build number (per pipeline, as the UI shows it), so workflow (the pipeline
 * slug) is part of the job's identity. run_attempt is BUILDKITE_RETRY_COUNT + 1: Buildkite
 * retries jobs, and counts from 0. actor is the build creator, else the commit author.
 * server_url is the origin of BUILDKITE_BUILD_URL. BUILDKITE_PULL_REQUEST is "false"
 * outside pull requests, which the digits-only rule drops. */
static void buildkite_fill(const struct env_view *v, struct ci_job *o)
{
	struct slice retry = v->val[K_BUILDKITE_RETRY_COUNT];
	struct slice job = first_of(v->val[K_BUILDKITE_LABEL], v->val[K_BUILDKITE_STEP_KEY]);
	struct slice actor =
		first_of(v->val[K_BUILDKITE_BUILD_CREATOR], v->val[K_BUILDKITE_BUILD_AUTHOR]);
	struct slice pr = digits_or_empty(v->val[K_BUILDKITE_PULL_REQUEST]);

	PUT_URL(o, repository, CI_TRUNC_REPOSITORY, v->val[K_BUILDKITE_REPO], false);
	PUT(o, workflow, CI_TRUNC_WORKFLOW, v->val[K_BUILDKITE_PIPELINE_SLUG]);
	PUT(o, run_id, CI_TRUNC_RUN_ID, v->val[K_BUILDKITE_BUILD_NUMBER]);
	if (all_digits(retry.p, retry.n) && retry.n <= 9) {
		unsigned long n = 0;

		for (size_t i = 0; i < retry.n; i++)
			n = n * 10 + (unsigned long)(retry.p[i] - '0');
		snprintf(o->run_attempt, sizeof(o->run_attempt), "%lu", n + 1);
	}
	PUT(o, job, CI_TRUNC_JOB, job);
	PUT(o, job_id, CI_TRUNC_JOB_ID, v->val[K_BUILDKITE_JOB_ID]);
	PUT(o, actor, CI_TRUNC_ACTOR, actor);
	PUT(o, event, CI_TRUNC_EVENT, v->val[K_BUILDKITE_SOURCE]);
	PUT(o, ref, CI_TRUNC_REF, v->val[K_BUILDKITE_BRANCH]);
	PUT(o, sha, CI_TRUNC_SHA, v->val[K_BUILDKITE_COMMIT]);
	PUT(o, pull_request, CI_TRUNC_PULL_REQUEST, pr);
	PUT_URL(o, server_url, CI_TRUNC_SERVER_URL, v->val[K_BUILDKITE_BUILD_URL], true);
}

static bool circleci_detect(const struct env_view *v)
{
	return is_true(v->val[K_CIRCLECI]);
}

/* repository is "<CIRCLE_PROJECT_USERNAME>/<CIRCLE_PROJECT_REPONAME>", else
 * CIRCLE_REPOSITORY_URL. CircleCI exports no workflow name, run attempt or event: run_id
 * is the workflow's UUID (a rerun gets a new one) and job_id the build number. The pull
 * request is CIRCLE_PR_NUMBER (forks only), else the number ending CIRCLE_PULL_REQUEST.
 * server_url is the origin of CIRCLE_BUILD_URL. */
static void circleci_fill(const struct env_view *v, struct ci_job *o)
{
	struct slice pr = digits_or_empty(v->val[K_CIRCLE_PR_NUMBER]);
	struct slice ref = first_of(v->val[K_CIRCLE_BRANCH], v->val[K_CIRCLE_TAG]);

	if (has(v, K_CIRCLE_PROJECT_USERNAME) && has(v, K_CIRCLE_PROJECT_REPONAME)) {
		struct slice repo[3] = { v->val[K_CIRCLE_PROJECT_USERNAME], lit("/"),
					 v->val[K_CIRCLE_PROJECT_REPONAME] };

		ci_put_parts(o, o->repository, sizeof(o->repository), CI_TRUNC_REPOSITORY, repo, 3);
	} else {
		PUT_URL(o, repository, CI_TRUNC_REPOSITORY, v->val[K_CIRCLE_REPOSITORY_URL], false);
	}
	if (!pr.n)
		pr = digits_or_empty(last_segment(v->val[K_CIRCLE_PULL_REQUEST]));
	PUT(o, run_id, CI_TRUNC_RUN_ID, v->val[K_CIRCLE_WORKFLOW_ID]);
	PUT(o, job, CI_TRUNC_JOB, v->val[K_CIRCLE_JOB]);
	PUT(o, job_id, CI_TRUNC_JOB_ID, v->val[K_CIRCLE_BUILD_NUM]);
	PUT(o, actor, CI_TRUNC_ACTOR, v->val[K_CIRCLE_USERNAME]);
	PUT(o, ref, CI_TRUNC_REF, ref);
	PUT(o, sha, CI_TRUNC_SHA, v->val[K_CIRCLE_SHA1]);
	PUT(o, pull_request, CI_TRUNC_PULL_REQUEST, pr);
	PUT_URL(o, server_url, CI_TRUNC_SERVER_URL, v->val[K_CIRCLE_BUILD_URL], true);
}

static bool azure_detect(const struct env_view *v)
{
	return is_true(v->val[K_TF_BUILD]);
}

/* actor is Build.RequestedFor (the person the run is for); triggering_actor is
 * Build.QueuedBy (who or what queued it: a user, or the service identity of a trigger).
 * The pull request is the GitHub PR number, else the Azure Repos PR id. */
static void azure_fill(const struct env_view *v, struct ci_job *o)
{
	struct slice job = first_of(v->val[K_SYSTEM_JOBDISPLAYNAME], v->val[K_AGENT_JOBNAME]);
	struct slice pr = digits_or_empty(v->val[K_SYSTEM_PULLREQUEST_PULLREQUESTNUMBER]);

	if (!pr.n)
		pr = digits_or_empty(v->val[K_SYSTEM_PULLREQUEST_PULLREQUESTID]);
	PUT_URL(o, repository, CI_TRUNC_REPOSITORY, v->val[K_BUILD_REPOSITORY_NAME], false);
	PUT(o, workflow, CI_TRUNC_WORKFLOW, v->val[K_BUILD_DEFINITIONNAME]);
	PUT(o, run_id, CI_TRUNC_RUN_ID, v->val[K_BUILD_BUILDID]);
	PUT(o, run_attempt, CI_TRUNC_RUN_ATTEMPT, v->val[K_SYSTEM_JOBATTEMPT]);
	PUT(o, job, CI_TRUNC_JOB, job);
	PUT(o, job_id, CI_TRUNC_JOB_ID, v->val[K_SYSTEM_JOBID]);
	PUT(o, actor, CI_TRUNC_ACTOR, v->val[K_BUILD_REQUESTEDFOR]);
	PUT(o, triggering_actor, CI_TRUNC_TRIGGERING_ACTOR, v->val[K_BUILD_QUEUEDBY]);
	PUT(o, event, CI_TRUNC_EVENT, v->val[K_BUILD_REASON]);
	PUT(o, ref, CI_TRUNC_REF, v->val[K_BUILD_SOURCEBRANCH]);
	PUT(o, sha, CI_TRUNC_SHA, v->val[K_BUILD_SOURCEVERSION]);
	PUT(o, pull_request, CI_TRUNC_PULL_REQUEST, pr);
	PUT_URL(o, server_url, CI_TRUNC_SERVER_URL, v->val[K_SYSTEM_COLLECTIONURI], false);
}

/* A Jenkins build exports JOB_NAME and BUILD_NUMBER next to JENKINS_URL (empty when the
 * server URL is not configured) or JENKINS_HOME. JENKINS_URL alone is a user's setting. */
static bool jenkins_detect(const struct env_view *v)
{
	return (has(v, K_JENKINS_URL) || has(v, K_JENKINS_HOME)) && has(v, K_JOB_NAME) &&
	       (has(v, K_BUILD_NUMBER) || has(v, K_BUILD_ID));
}

/* workflow is JOB_NAME and run_id BUILD_NUMBER (per job); job is the Pipeline stage
 * (STAGE_NAME) when there is one. actor is BUILD_USER_ID (build-user-vars plugin).
 * Jenkins exports no event, triggering user, run attempt or job id; CHANGE_AUTHOR is a
 * pull request's author, not who started the build, so it is not used. */
static void jenkins_fill(const struct env_view *v, struct ci_job *o)
{
	struct slice run = first_of(v->val[K_BUILD_NUMBER], v->val[K_BUILD_ID]);
	struct slice ref = first_of(v->val[K_GIT_BRANCH], v->val[K_BRANCH_NAME]);
	struct slice pr = digits_or_empty(v->val[K_CHANGE_ID]);

	PUT_URL(o, repository, CI_TRUNC_REPOSITORY, v->val[K_GIT_URL], false);
	PUT(o, workflow, CI_TRUNC_WORKFLOW, v->val[K_JOB_NAME]);
	PUT(o, run_id, CI_TRUNC_RUN_ID, run);
	PUT(o, job, CI_TRUNC_JOB, v->val[K_STAGE_NAME]);
	PUT(o, actor, CI_TRUNC_ACTOR, v->val[K_BUILD_USER_ID]);
	PUT(o, ref, CI_TRUNC_REF, ref);
	PUT(o, sha, CI_TRUNC_SHA, v->val[K_GIT_COMMIT]);
	PUT(o, pull_request, CI_TRUNC_PULL_REQUEST, pr);
	PUT_URL(o, server_url, CI_TRUNC_SERVER_URL, v->val[K_JENKINS_URL], false);
}

/* Bitbucket Pipelines sets no marker of its own (only CI=true): a build number with the
 * commit or the repository name is taken as one, so a single stray variable is not. */
static bool bitbucket_detect(const struct env_view *v)
{
	return has(v, K_BITBUCKET_BUILD_NUMBER) &&
	       (has(v, K_BITBUCKET_COMMIT) || has(v, K_BITBUCKET_REPO_FULL_NAME));
}

/* repository is BITBUCKET_REPO_FULL_NAME ("workspace/slug"), else built from the two
 * parts. run_id is the build number, which counts per repository; job_id is the step's
 * UUID. actor is the UUID of the account that triggered the step: Bitbucket exports no
 * user name, and no pipeline name, event or run attempt. ref is the branch, else the
 * tag (a tag build has no branch). server_url is the origin of
 * BITBUCKET_GIT_HTTP_ORIGIN, the repository's HTTP URL. */
static void bitbucket_fill(const struct env_view *v, struct ci_job *o)
{
	struct slice ref = first_of(v->val[K_BITBUCKET_BRANCH], v->val[K_BITBUCKET_TAG]);
	struct slice pr = digits_or_empty(v->val[K_BITBUCKET_PR_ID]);

	if (has(v, K_BITBUCKET_REPO_FULL_NAME)) {
		PUT_URL(o, repository, CI_TRUNC_REPOSITORY, v->val[K_BITBUCKET_REPO_FULL_NAME],
			false);
	} else if (has(v, K_BITBUCKET_WORKSPACE) && has(v, K_BITBUCKET_REPO_SLUG)) {
		struct slice repo[3] = { v->val[K_BITBUCKET_WORKSPACE], lit("/"),
					 v->val[K_BITBUCKET_REPO_SLUG] };

		ci_put_url_parts(o, o->repository, sizeof(o->repository), CI_TRUNC_REPOSITORY, repo, 3,
			      false);
	}
	PUT(o, run_id, CI_TRUNC_RUN_ID, v->val[K_BITBUCKET_BUILD_NUMBER]);
	PUT(o, job_id, CI_TRUNC_JOB_ID, v->val[K_BITBUCKET_STEP_UUID]);
	PUT(o, actor, CI_TRUNC_ACTOR, v->val[K_BITBUCKET_STEP_TRIGGERER_UUID]);
	PUT(o, ref, CI_TRUNC_REF, ref);
	PUT(o, sha, CI_TRUNC_SHA, v->val[K_BITBUCKET_COMMIT]);
	PUT(o, pull_request, CI_TRUNC_PULL_REQUEST, pr);
	PUT_URL(o, server_url, CI_TRUNC_SERVER_URL, v->val[K_BITBUCKET_GIT_HTTP_ORIGIN], true);
}

static bool travis_detect(const struct env_view *v)
{
	return is_true(v->val[K_TRAVIS]);
}

/* run_id is TRAVIS_BUILD_ID, unique across Travis (TRAVIS_BUILD_NUMBER counts per
 * repository); job_id is TRAVIS_JOB_ID. ref is the tag on a tag build, else
 * TRAVIS_BRANCH (on a pull request, the branch it targets). TRAVIS_PULL_REQUEST is
 * "false" outside pull requests, which the digits-only rule drops. Travis exports no
 * workflow name, actor or run attempt. server_url is the origin of
 * TRAVIS_BUILD_WEB_URL. */
static void travis_fill(const struct env_view *v, struct ci_job *o)
{
	struct slice ref = first_of(v->val[K_TRAVIS_TAG], v->val[K_TRAVIS_BRANCH]);
	struct slice pr = digits_or_empty(v->val[K_TRAVIS_PULL_REQUEST]);

	PUT_URL(o, repository, CI_TRUNC_REPOSITORY, v->val[K_TRAVIS_REPO_SLUG], false);
	PUT(o, run_id, CI_TRUNC_RUN_ID, v->val[K_TRAVIS_BUILD_ID]);
	PUT(o, job, CI_TRUNC_JOB, v->val[K_TRAVIS_JOB_NAME]);
	PUT(o, job_id, CI_TRUNC_JOB_ID, v->val[K_TRAVIS_JOB_ID]);
	PUT(o, event, CI_TRUNC_EVENT, v->val[K_TRAVIS_EVENT_TYPE]);
	PUT(o, ref, CI_TRUNC_REF, ref);
	PUT(o, sha, CI_TRUNC_SHA, v->val[K_TRAVIS_COMMIT]);
	PUT(o, pull_request, CI_TRUNC_PULL_REQUEST, pr);
	PUT_URL(o, server_url, CI_TRUNC_SERVER_URL, v->val[K_TRAVIS_BUILD_WEB_URL], true);
}

static bool semaphore_detect(const struct env_view *v)
{
	return is_true(v->val[K_SEMAPHORE]);
}

/* workflow is the Semaphore project's name. run_id is the workflow's UUID, shared by
 * its pipelines (promotions included) and unique, so the repository names the run;
 * job_id is the job's UUID. ref is SEMAPHORE_GIT_BRANCH (on a pull request, the branch
 * it targets). server_url is the origin of the organization URL
 * (https://<org>.semaphoreci.com). */
static void semaphore_fill(const struct env_view *v, struct ci_job *o)
{
	struct slice pr = digits_or_empty(v->val[K_SEMAPHORE_GIT_PR_NUMBER]);

	PUT_URL(o, repository, CI_TRUNC_REPOSITORY, v->val[K_SEMAPHORE_GIT_REPO_SLUG], false);
	PUT(o, workflow, CI_TRUNC_WORKFLOW, v->val[K_SEMAPHORE_PROJECT_NAME]);
	PUT(o, run_id, CI_TRUNC_RUN_ID, v->val[K_SEMAPHORE_WORKFLOW_ID]);
	PUT(o, job, CI_TRUNC_JOB, v->val[K_SEMAPHORE_JOB_NAME]);
	PUT(o, job_id, CI_TRUNC_JOB_ID, v->val[K_SEMAPHORE_JOB_ID]);
	PUT(o, ref, CI_TRUNC_REF, v->val[K_SEMAPHORE_GIT_BRANCH]);
	PUT(o, sha, CI_TRUNC_SHA, v->val[K_SEMAPHORE_GIT_SHA]);
	PUT(o, pull_request, CI_TRUNC_PULL_REQUEST, pr);
	PUT_URL(o, server_url, CI_TRUNC_SERVER_URL, v->val[K_SEMAPHORE_ORGANIZATION_URL], true);
}

/* Woodpecker sets CI=woodpecker and CI_* names, some of which GitLab uses too
 * (CI_COMMIT_SHA, CI_COMMIT_BRANCH, CI_COMMIT_TAG): GitLab is told by GITLAB_CI=true
 * and ranks higher, and neither reads the other's names. */
static bool woodpecker_detect(const struct env_view *v)
{
	return is_word(v->val[K_CI], "woodpecker");
}

/* run_id is the pipeline number, which counts per repository; workflow is the workflow
 * (one file under .woodpecker/), job the step. actor is the commit author's login:
 * Woodpecker exports no separate triggering user. ref is the branch (on a pull request,
 * the branch it targets), else the tag. server_url is the origin of CI_SYSTEM_URL, the
 * Woodpecker server. */
static void woodpecker_fill(const struct env_view *v, struct ci_job *o)
{
	struct slice ref = first_of(v->val[K_CI_COMMIT_BRANCH], v->val[K_CI_COMMIT_TAG]);
	struct slice pr = digits_or_empty(v->val[K_CI_COMMIT_PULL_REQUEST]);

	PUT_URL(o, repository, CI_TRUNC_REPOSITORY, v->val[K_CI_REPO], false);
	PUT(o, workflow, CI_TRUNC_WORKFLOW, v->val[K_CI_WORKFLOW_NAME]);
	PUT(o, run_id, CI_TRUNC_RUN_ID, v->val[K_CI_PIPELINE_NUMBER]);
	PUT(o, job, CI_TRUNC_JOB, v->val[K_CI_STEP_NAME]);
	PUT(o, actor, CI_TRUNC_ACTOR, v->val[K_CI_COMMIT_AUTHOR]);
	PUT(o, event, CI_TRUNC_EVENT, v->val[K_CI_PIPELINE_EVENT]);
	PUT(o, ref, CI_TRUNC_REF, ref);
	PUT(o, sha, CI_TRUNC_SHA, v->val[K_CI_COMMIT_SHA]);
	PUT(o, pull_request, CI_TRUNC_PULL_REQUEST, pr);
	PUT_URL(o, server_url, CI_TRUNC_SERVER_URL, v->val[K_CI_SYSTEM_URL], true);
}

static bool drone_detect(const struct env_view *v)
{
	return is_true(v->val[K_DRONE]);
}

/* run_id is the build number, which counts per repository; workflow is the pipeline
 * (DRONE_STAGE_NAME), job the step. actor is the commit author's login; triggering_actor
 * is DRONE_BUILD_TRIGGER, the user who started the build or "@hook" / "@cron". ref is
 * the branch, else the tag (Drone may leave the branch empty on a tag). server_url is
 * the origin of DRONE_BUILD_LINK, else DRONE_SYSTEM_PROTO "://" DRONE_SYSTEM_HOST. */
static void drone_fill(const struct env_view *v, struct ci_job *o)
{
	struct slice ref = first_of(v->val[K_DRONE_COMMIT_BRANCH], v->val[K_DRONE_TAG]);
	struct slice pr = digits_or_empty(v->val[K_DRONE_PULL_REQUEST]);

	PUT_URL(o, repository, CI_TRUNC_REPOSITORY, v->val[K_DRONE_REPO], false);
	PUT(o, workflow, CI_TRUNC_WORKFLOW, v->val[K_DRONE_STAGE_NAME]);
	PUT(o, run_id, CI_TRUNC_RUN_ID, v->val[K_DRONE_BUILD_NUMBER]);
	PUT(o, job, CI_TRUNC_JOB, v->val[K_DRONE_STEP_NAME]);
	PUT(o, actor, CI_TRUNC_ACTOR, v->val[K_DRONE_COMMIT_AUTHOR]);
	PUT(o, triggering_actor, CI_TRUNC_TRIGGERING_ACTOR, v->val[K_DRONE_BUILD_TRIGGER]);
	PUT(o, event, CI_TRUNC_EVENT, v->val[K_DRONE_BUILD_EVENT]);
	PUT(o, ref, CI_TRUNC_REF, ref);
	PUT(o, sha, CI_TRUNC_SHA, v->val[K_DRONE_COMMIT_SHA]);
	PUT(o, pull_request, CI_TRUNC_PULL_REQUEST, pr);
	if (has(v, K_DRONE_BUILD_LINK)) {
		PUT_URL(o, server_url, CI_TRUNC_SERVER_URL, v->val[K_DRONE_BUILD_LINK], true);
	} else if (has(v, K_DRONE_SYSTEM_PROTO) && has(v, K_DRONE_SYSTEM_HOST)) {
		struct slice url[3] = { v->val[K_DRONE_SYSTEM_PROTO], lit("://"),
					v->val[K_DRONE_SYSTEM_HOST] };

		ci_put_url_parts(o, o->server_url, sizeof(o->server_url), CI_TRUNC_SERVER_URL, url, 3,
			      true);
	}
}

static bool codebuild_detect(const struct env_view *v)
{
	return has(v, K_CODEBUILD_BUILD_ID);
}

/* CODEBUILD_BUILD_ID is "<project>:<uuid>": workflow is the project, and run_id is
 * CODEBUILD_BUILD_NUMBER, which counts per project (else the UUID); job_id is the whole
 * id. actor is CODEBUILD_INITIATOR (an IAM user or role, "codepipeline/<name>", ...);
 * triggering_actor is the forge account id behind a webhook build. ref is the webhook's
 * head ref ("refs/heads/main"), else CODEBUILD_SOURCE_VERSION as given (a branch, a
 * commit, "pr/12", an S3 object version); sha is the resolved source version. The pull
 * request is N of a "pr/<N>" webhook trigger ("branch/main" and "tag/v1" are not).
 * CodeBuild also hosts runners for GitHub Actions, GitLab and Buildkite jobs: their own
 * markers rank higher, so such a job is named by the provider that defined it. */
static void codebuild_fill(const struct env_view *v, struct ci_job *o)
{
	struct slice id = v->val[K_CODEBUILD_BUILD_ID];
	const char *colon = id.n ? memchr(id.p, ':', id.n) : NULL;
	struct slice project = { NULL, 0 }, uuid = { NULL, 0 }, run;
	struct slice ref =
		first_of(v->val[K_CODEBUILD_WEBHOOK_HEAD_REF], v->val[K_CODEBUILD_SOURCE_VERSION]);
	struct slice pr = digits_or_empty(after_prefix(v->val[K_CODEBUILD_WEBHOOK_TRIGGER], "pr/"));

	if (colon) {
		project = (struct slice){ id.p, (size_t)(colon - id.p) };
		uuid = (struct slice){ colon + 1, id.n - project.n - 1 };
	}
	run = first_of(v->val[K_CODEBUILD_BUILD_NUMBER], uuid);
	PUT_URL(o, repository, CI_TRUNC_REPOSITORY, v->val[K_CODEBUILD_SOURCE_REPO_URL], false);
	PUT(o, workflow, CI_TRUNC_WORKFLOW, project);
	PUT(o, run_id, CI_TRUNC_RUN_ID, run);
	PUT(o, job_id, CI_TRUNC_JOB_ID, id);
	PUT(o, actor, CI_TRUNC_ACTOR, v->val[K_CODEBUILD_INITIATOR]);
	PUT(o, triggering_actor, CI_TRUNC_TRIGGERING_ACTOR,
	    v->val[K_CODEBUILD_WEBHOOK_ACTOR_ACCOUNT_ID]);
	PUT(o, event, CI_TRUNC_EVENT, v->val[K_CODEBUILD_WEBHOOK_EVENT]);
	PUT(o, ref, CI_TRUNC_REF, ref);
	PUT(o, sha, CI_TRUNC_SHA, v->val[K_CODEBUILD_RESOLVED_SOURCE_VERSION]);
	PUT(o, pull_request, CI_TRUNC_PULL_REQUEST, pr);
}

/* TEAMCITY_VERSION is in every TeamCity build's environment. It is checked before
 * Jenkins, whose detection also takes BUILD_NUMBER. */
static bool teamcity_detect(const struct env_view *v)
{
	return has(v, K_TEAMCITY_VERSION);
}

/* repository is the TeamCity project's name and workflow the build configuration's.
 * run_id is BUILD_NUMBER, which counts per build configuration (in its configured
 * format), so the configuration is part of the job's identity. sha is BUILD_VCS_NUMBER
 * (set when the configuration has a single VCS root). */
static void teamcity_fill(const struct env_view *v, struct ci_job *o)
{
	PUT_URL(o, repository, CI_TRUNC_REPOSITORY, v->val[K_TEAMCITY_PROJECT_NAME], false);
	PUT(o, workflow, CI_TRUNC_WORKFLOW, v->val[K_TEAMCITY_BUILDCONF_NAME]);
	PUT(o, run_id, CI_TRUNC_RUN_ID, v->val[K_BUILD_NUMBER]);
	PUT(o, sha, CI_TRUNC_SHA, v->val[K_BUILD_VCS_NUMBER]);
}

/* Harness CI steps carry HARNESS_* variables and, for compatibility with Drone pipelines,
 * DRONE_* ones (possibly DRONE=true): HARNESS_BUILD_ID tells them apart, and Harness ranks
 * above Drone and Woodpecker. run_id is HARNESS_BUILD_ID, the pipeline's sequence number
 * (per pipeline), so workflow (the pipeline's identifier) is part of the job's identity;
 * job is the stage's identifier and actor the user the execution runs for. The codebase
 * fields are read from Drone's names, with Drone's meaning. */
static bool harness_detect(const struct env_view *v)
{
	return has(v, K_HARNESS_BUILD_ID);
}

static void harness_fill(const struct env_view *v, struct ci_job *o)
{
	struct slice ref = first_of(v->val[K_DRONE_COMMIT_BRANCH], v->val[K_DRONE_TAG]);
	struct slice pr = digits_or_empty(v->val[K_DRONE_PULL_REQUEST]);

	PUT_URL(o, repository, CI_TRUNC_REPOSITORY, v->val[K_DRONE_REPO], false);
	PUT(o, workflow, CI_TRUNC_WORKFLOW, v->val[K_HARNESS_PIPELINE_ID]);
	PUT(o, run_id, CI_TRUNC_RUN_ID, v->val[K_HARNESS_BUILD_ID]);
	PUT(o, job, CI_TRUNC_JOB, v->val[K_HARNESS_STAGE_ID]);
	PUT(o, actor, CI_TRUNC_ACTOR, v->val[K_HARNESS_USER_ID]);
	PUT(o, event, CI_TRUNC_EVENT, v->val[K_DRONE_BUILD_EVENT]);
	PUT(o, ref, CI_TRUNC_REF, ref);
	PUT(o, sha, CI_TRUNC_SHA, v->val[K_DRONE_COMMIT_SHA]);
	PUT(o, pull_request, CI_TRUNC_PULL_REQUEST, pr);
}

static bool gocd_detect(const struct env_view *v)
{
	return has(v, K_GO_PIPELINE_LABEL);
}

/* run_id is GO_PIPELINE_COUNTER, which counts per pipeline, so workflow (the pipeline's
 * name) is part of the job's identity; run_attempt is GO_STAGE_COUNTER (a stage rerun in
 * the same pipeline instance counts up). actor is GO_TRIGGER_USER: a user name, or
 * "changes" / "timer" for builds GoCD started itself. sha is GO_REVISION (set when the
 * pipeline has a single material). server_url is the origin of GO_SERVER_URL. */
static void gocd_fill(const struct env_view *v, struct ci_job *o)
{
	PUT(o, workflow, CI_TRUNC_WORKFLOW, v->val[K_GO_PIPELINE_NAME]);
	PUT(o, run_id, CI_TRUNC_RUN_ID, v->val[K_GO_PIPELINE_COUNTER]);
	PUT(o, run_attempt, CI_TRUNC_RUN_ATTEMPT, v->val[K_GO_STAGE_COUNTER]);
	PUT(o, job, CI_TRUNC_JOB, v->val[K_GO_JOB_NAME]);
	PUT(o, actor, CI_TRUNC_ACTOR, v->val[K_GO_TRIGGER_USER]);
	PUT(o, sha, CI_TRUNC_SHA, v->val[K_GO_REVISION]);
	PUT_URL(o, server_url, CI_TRUNC_SERVER_URL, v->val[K_GO_SERVER_URL], true);
}

/* Bamboo exports its variables as bamboo_<name> (dots become underscores). */
static bool bamboo_detect(const struct env_view *v)
{
	return has(v, K_bamboo_planKey) || has(v, K_bamboo_agentId);
}

/* run_id is the build number, which counts per plan, so workflow (the plan key) is part
 * of the job's identity; job is the job's build key (PROJ-PLAN-JOB1). ref and sha are
 * those of the plan's first repository. server_url is the origin of the build result's
 * URL. Bamboo exports no repository name, actor or event under a fixed name. */
static void bamboo_fill(const struct env_view *v, struct ci_job *o)
{
	PUT(o, workflow, CI_TRUNC_WORKFLOW, v->val[K_bamboo_planKey]);
	PUT(o, run_id, CI_TRUNC_RUN_ID, v->val[K_bamboo_buildNumber]);
	PUT(o, job, CI_TRUNC_JOB, v->val[K_bamboo_buildKey]);
	PUT(o, ref, CI_TRUNC_REF, v->val[K_bamboo_planRepository_1_branchName]);
	PUT(o, sha, CI_TRUNC_SHA, v->val[K_bamboo_planRepository_1_revision]);
	PUT_URL(o, server_url, CI_TRUNC_SERVER_URL, v->val[K_bamboo_buildResultsUrl], true);
}

static bool appveyor_detect(const struct env_view *v)
{
	return is_true(v->val[K_APPVEYOR]);
}

/* run_id is APPVEYOR_BUILD_NUMBER, which counts per project, so workflow (the project's
 * slug) is part of the job's identity. job is the job's number in the build, job_id its
 * id. ref is the tag on a tag build, else APPVEYOR_REPO_BRANCH (on a pull request, the
 * branch it targets). The server is not in the environment. */
static void appveyor_fill(const struct env_view *v, struct ci_job *o)
{
	struct slice ref =
		first_of(v->val[K_APPVEYOR_REPO_TAG_NAME], v->val[K_APPVEYOR_REPO_BRANCH]);
	struct slice pr = digits_or_empty(v->val[K_APPVEYOR_PULL_REQUEST_NUMBER]);

	PUT_URL(o, repository, CI_TRUNC_REPOSITORY, v->val[K_APPVEYOR_REPO_NAME], false);
	PUT(o, workflow, CI_TRUNC_WORKFLOW, v->val[K_APPVEYOR_PROJECT_SLUG]);
	PUT(o, run_id, CI_TRUNC_RUN_ID, v->val[K_APPVEYOR_BUILD_NUMBER]);
	PUT(o, job, CI_TRUNC_JOB, v->val[K_APPVEYOR_JOB_NUMBER]);
	PUT(o, job_id, CI_TRUNC_JOB_ID, v->val[K_APPVEYOR_JOB_ID]);
	PUT(o, ref, CI_TRUNC_REF, ref);
	PUT(o, sha, CI_TRUNC_SHA, v->val[K_APPVEYOR_REPO_COMMIT]);
	PUT(o, pull_request, CI_TRUNC_PULL_REQUEST, pr);
}

static bool cirrus_detect(const struct env_view *v)
{
	return is_true(v->val[K_CIRRUS_CI]);
}

/* run_id is the build's id (unique), job_id the task's. ref is the tag, else
 * CIRRUS_BRANCH ("pull/<N>" on a pull request). The server is not in the environment. */
static void cirrus_fill(const struct env_view *v, struct ci_job *o)
{
	struct slice ref = first_of(v->val[K_CIRRUS_TAG], v->val[K_CIRRUS_BRANCH]);
	struct slice pr = digits_or_empty(v->val[K_CIRRUS_PR]);

	PUT_URL(o, repository, CI_TRUNC_REPOSITORY, v->val[K_CIRRUS_REPO_FULL_NAME], false);
	PUT(o, run_id, CI_TRUNC_RUN_ID, v->val[K_CIRRUS_BUILD_ID]);
	PUT(o, job_id, CI_TRUNC_JOB_ID, v->val[K_CIRRUS_TASK_ID]);
	PUT(o, ref, CI_TRUNC_REF, ref);
	PUT(o, sha, CI_TRUNC_SHA, v->val[K_CIRRUS_CHANGE_IN_REPO]);
	PUT(o, pull_request, CI_TRUNC_PULL_REQUEST, pr);
}

static bool bitrise_detect(const struct env_view *v)
{
	return is_true(v->val[K_BITRISE_IO]);
}

/* repository is the Bitrise app's slug (an id, not a forge path); run_id the build
 * number, which counts per app. ref is the tag, else BITRISE_GIT_BRANCH (on a pull
 * request, its source branch). BITRISE_PULL_REQUEST is "false" outside pull requests,
 * which the digits-only rule drops. server_url is the origin of BITRISE_BUILD_URL. */
static void bitrise_fill(const struct env_view *v, struct ci_job *o)
{
	struct slice ref = first_of(v->val[K_BITRISE_GIT_TAG], v->val[K_BITRISE_GIT_BRANCH]);
	struct slice pr = digits_or_empty(v->val[K_BITRISE_PULL_REQUEST]);

	PUT_URL(o, repository, CI_TRUNC_REPOSITORY, v->val[K_BITRISE_APP_SLUG], false);
	PUT(o, run_id, CI_TRUNC_RUN_ID, v->val[K_BITRISE_BUILD_NUMBER]);
	PUT(o, ref, CI_TRUNC_REF, ref);
	PUT(o, sha, CI_TRUNC_SHA, v->val[K_BITRISE_GIT_COMMIT]);
	PUT(o, pull_request, CI_TRUNC_PULL_REQUEST, pr);
	PUT_URL(o, server_url, CI_TRUNC_SERVER_URL, v->val[K_BITRISE_BUILD_URL], true);
}

static bool buddy_detect(const struct env_view *v)
{
	return has(v, K_BUDDY_WORKSPACE_ID);
}

/* run_id is the execution's id; ref the tag, else the branch. The pull request is the
 * last run of digits in BUDDY_EXECUTION_PULL_REQUEST_ID, as env-ci reads it. server_url
 * is the origin of the execution's URL. */
static void buddy_fill(const struct env_view *v, struct ci_job *o)
{
	struct slice ref =
		first_of(v->val[K_BUDDY_EXECUTION_TAG], v->val[K_BUDDY_EXECUTION_BRANCH]);
	struct slice pr = last_digits(v->val[K_BUDDY_EXECUTION_PULL_REQUEST_ID]);

	PUT_URL(o, repository, CI_TRUNC_REPOSITORY, v->val[K_BUDDY_REPO_SLUG], false);
	PUT(o, run_id, CI_TRUNC_RUN_ID, v->val[K_BUDDY_EXECUTION_ID]);
	PUT(o, ref, CI_TRUNC_REF, ref);
	PUT(o, sha, CI_TRUNC_SHA, v->val[K_BUDDY_EXECUTION_REVISION]);
	PUT(o, pull_request, CI_TRUNC_PULL_REQUEST, pr);
	PUT_URL(o, server_url, CI_TRUNC_SERVER_URL, v->val[K_BUDDY_EXECUTION_URL], true);
}

static bool codefresh_detect(const struct env_view *v)
{
	return has(v, K_CF_BUILD_ID);
}

/* repository is "<CF_REPO_OWNER>/<CF_REPO_NAME>" when both are set; run_id the build's
 * id (unique). ref is CF_BRANCH (on a pull request, its source branch). server_url is
 * the origin of CF_BUILD_URL. */
static void codefresh_fill(const struct env_view *v, struct ci_job *o)
{
	struct slice pr = digits_or_empty(
		first_of(v->val[K_CF_PULL_REQUEST_NUMBER], v->val[K_CF_PULL_REQUEST_ID]));

	if (has(v, K_CF_REPO_OWNER) && has(v, K_CF_REPO_NAME)) {
		struct slice repo[3] = { v->val[K_CF_REPO_OWNER], lit("/"),
					 v->val[K_CF_REPO_NAME] };

		ci_put_url_parts(o, o->repository, sizeof(o->repository), CI_TRUNC_REPOSITORY, repo, 3,
			      false);
	}
	PUT(o, run_id, CI_TRUNC_RUN_ID, v->val[K_CF_BUILD_ID]);
	PUT(o, ref, CI_TRUNC_REF, v->val[K_CF_BRANCH]);
	PUT(o, sha, CI_TRUNC_SHA, v->val[K_CF_REVISION]);
	PUT(o, pull_request, CI_TRUNC_PULL_REQUEST, pr);
	PUT_URL(o, server_url, CI_TRUNC_SERVER_URL, v->val[K_CF_BUILD_URL], true);
}

static bool screwdriver_detect(const struct env_view *v)
{
	return is_true(v->val[K_SCREWDRIVER]);
}

/* repository is SD_PIPELINE_NAME (the pipeline is named after its repository,
 * "org/repo"); run_id the build's id (unique); job and job_id the job's name ("main",
 * "PR-1:main") and id. ref is GIT_BRANCH, read here only when Screwdriver's marker is
 * set. server_url is the origin of SD_UI_BUILD_URL. */
static void screwdriver_fill(const struct env_view *v, struct ci_job *o)
{
	struct slice pr = digits_or_empty(v->val[K_SD_PULL_REQUEST]);

	PUT_URL(o, repository, CI_TRUNC_REPOSITORY, v->val[K_SD_PIPELINE_NAME], false);
	PUT(o, run_id, CI_TRUNC_RUN_ID, v->val[K_SD_BUILD_ID]);
	PUT(o, job, CI_TRUNC_JOB, v->val[K_SD_JOB_NAME]);
	PUT(o, job_id, CI_TRUNC_JOB_ID, v->val[K_SD_JOB_ID]);
	PUT(o, ref, CI_TRUNC_REF, v->val[K_GIT_BRANCH]);
	PUT(o, sha, CI_TRUNC_SHA, v->val[K_SD_BUILD_SHA]);
	PUT(o, pull_request, CI_TRUNC_PULL_REQUEST, pr);
	PUT_URL(o, server_url, CI_TRUNC_SERVER_URL, v->val[K_SD_UI_BUILD_URL], true);
}

static bool vela_detect(const struct env_view *v)
{
	return is_true(v->val[K_VELA]);
}

/* run_id is the build number, which counts per repository; job is the step.
 * actor is VELA_BUILD_SENDER, the user who triggered the build. ref is the tag on a tag
 * build, else VELA_BUILD_BRANCH. server_url is the origin of VELA_BUILD_LINK. */
static void vela_fill(const struct env_view *v, struct ci_job *o)
{
	struct slice ref = first_of(v->val[K_VELA_BUILD_TAG], v->val[K_VELA_BUILD_BRANCH]);
	struct slice pr = digits_or_empty(v->val[K_VELA_BUILD_PULL_REQUEST]);

	PUT_URL(o, repository, CI_TRUNC_REPOSITORY, v->val[K_VELA_REPO_FULL_NAME], false);
	PUT(o, run_id, CI_TRUNC_RUN_ID, v->val[K_VELA_BUILD_NUMBER]);
	PUT(o, job, CI_TRUNC_JOB, v->val[K_VELA_STEP_NAME]);
	PUT(o, actor, CI_TRUNC_ACTOR, v->val[K_VELA_BUILD_SENDER]);
	PUT(o, event, CI_TRUNC_EVENT, v->val[K_VELA_BUILD_EVENT]);
	PUT(o, ref, CI_TRUNC_REF, ref);
	PUT(o, sha, CI_TRUNC_SHA, v->val[K_VELA_BUILD_COMMIT]);
	PUT(o, pull_request, CI_TRUNC_PULL_REQUEST, pr);
	PUT_URL(o, server_url, CI_TRUNC_SERVER_URL, v->val[K_VELA_BUILD_LINK], true);
}

/* Prow's pods carry JOB_NAME, BUILD_ID and BUILD_NUMBER, names Jenkins uses too (Prow
 * also starts Jenkins builds, which carry PROW_JOB_ID): Prow ranks above Jenkins. */
static bool prow_detect(const struct env_view *v)
{
	return has(v, K_PROW_JOB_ID);
}

/* workflow is the Prow job's name and run_id its BUILD_ID, so the job's name comes first
 * in the short id; job_id is the ProwJob's own id. event is JOB_TYPE (presubmit,
 * postsubmit, periodic, batch). repository is "<REPO_OWNER>/<REPO_NAME>" (a periodic job
 * may have none). ref is the base branch; sha the pull request's head, else the base's.
 * A batch job tests several pull requests and has no PULL_NUMBER. */
static void prow_fill(const struct env_view *v, struct ci_job *o)
{
	struct slice sha = first_of(v->val[K_PULL_PULL_SHA], v->val[K_PULL_BASE_SHA]);
	struct slice pr = digits_or_empty(v->val[K_PULL_NUMBER]);

	if (has(v, K_REPO_OWNER) && has(v, K_REPO_NAME)) {
		struct slice repo[3] = { v->val[K_REPO_OWNER], lit("/"), v->val[K_REPO_NAME] };

		ci_put_url_parts(o, o->repository, sizeof(o->repository), CI_TRUNC_REPOSITORY, repo, 3,
			      false);
	}
	PUT(o, workflow, CI_TRUNC_WORKFLOW, v->val[K_JOB_NAME]);
	PUT(o, run_id, CI_TRUNC_RUN_ID, v->val[K_BUILD_ID]);
	PUT(o, job_id, CI_TRUNC_JOB_ID, v->val[K_PROW_JOB_ID]);
	PUT(o, event, CI_TRUNC_EVENT, v->val[K_JOB_TYPE]);
	PUT(o, ref, CI_TRUNC_REF, v->val[K_PULL_BASE_REF]);
	PUT(o, sha, CI_TRUNC_SHA, sha);
	PUT(o, pull_request, CI_TRUNC_PULL_REQUEST, pr);
}

/* Sourcehut's builds set CI_NAME=sourcehut and Google Cloud Build's steps BUILDER_OUTPUT:
 * the provider is named, and no field is filled, as no other variable of theirs is in
 * the references (Cloud Build's $BUILD_ID, $REPO_NAME, ... are substitutions in the build
 * file, not environment variables). */
static bool sourcehut_detect(const struct env_view *v)
{
	return is_word(v->val[K_CI_NAME], "sourcehut");
}

static bool cloud_build_detect(const struct env_view *v)
{
	return has(v, K_BUILDER_OUTPUT);
}

static void no_fields(const struct env_view *v, struct ci_job *o)
{
	(void)v;
	(void)o;
}

/* In priority order; see ci_env.h. */
const struct ci_provider ci_providers[] = {
	{ "forgejo_actions", forgejo_detect, forge_fill, false },
	{ "gitea_actions", gitea_detect, forge_fill, false },
	{ "github_actions", github_detect, github_fill, false },
	{ "gitlab_ci", gitlab_detect, gitlab_fill, false },
	{ "buildkite", buildkite_detect, buildkite_fill, true },
	{ "circleci", circleci_detect, circleci_fill, false },
	{ "azure_pipelines", azure_detect, azure_fill, false },
	{ "bitbucket_pipelines", bitbucket_detect, bitbucket_fill, false },
	{ "travis_ci", travis_detect, travis_fill, false },
	{ "semaphore", semaphore_detect, semaphore_fill, false },
	{ "harness", harness_detect, harness_fill, true },
	{ "woodpecker", woodpecker_detect, woodpecker_fill, false },
	{ "drone", drone_detect, drone_fill, false },
	{ "aws_codebuild", codebuild_detect, codebuild_fill, true },
	{ "teamcity", teamcity_detect, teamcity_fill, true },
	{ "gocd", gocd_detect, gocd_fill, true },
	{ "bamboo", bamboo_detect, bamboo_fill, true },
	{ "appveyor", appveyor_detect, appveyor_fill, true },
	{ "cirrus_ci", cirrus_detect, cirrus_fill, false },
	{ "bitrise", bitrise_detect, bitrise_fill, false },
	{ "buddy", buddy_detect, buddy_fill, false },
	{ "codefresh", codefresh_detect, codefresh_fill, false },
	{ "screwdriver", screwdriver_detect, screwdriver_fill, false },
	{ "vela", vela_detect, vela_fill, false },
	{ "prow", prow_detect, prow_fill, true },
	{ "sourcehut", sourcehut_detect, no_fields, false },
	{ "google_cloud_build", cloud_build_detect, no_fields, false },
	{ "jenkins", jenkins_detect, jenkins_fill, true },
};

const size_t ci_n_providers = sizeof(ci_providers) / sizeof(ci_providers[0]);
