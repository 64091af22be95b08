// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ci_env.h"

/* A block literal: each entry its own literal ending in "\0"; the length leaves out the
 * compiler's trailing NUL so the block ends exactly as the kernel's does. */
#define BLOCK(lit) lit, sizeof(lit) - 1

#define CANARY "Zq7CANARYx9f3a1c5e7b"
#define CANARY_PART "x9f3a1c5"

/* Parse from an exactly-sized heap copy so ASan sees any read past len. */
static int parse(const char *env, size_t len, struct ci_job *job)
{
	char *copy = malloc(len ? len : 1);
	int rc;

	assert_non_null(copy);
	memcpy(copy, env, len);
	rc = ci_env_parse(copy, len, job);
	free(copy);
	return rc;
}

struct want {
	const char *provider, *repository, *workflow, *run_id, *run_attempt, *job, *job_id, *actor,
		*triggering_actor, *event, *ref, *sha, *pull_request, *server_url;
	const char *tokens[CI_TOKEN_VARS_MAX + 1]; /* NULL-terminated */
	uint32_t truncated;
};

#define S(x) ((x) ? (x) : "")

static void expect_job(const struct ci_job *j, const struct want *w)
{
	int n = 0;

	assert_string_equal(j->provider, S(w->provider));
	assert_string_equal(j->repository, S(w->repository));
	assert_string_equal(j->workflow, S(w->workflow));
	assert_string_equal(j->run_id, S(w->run_id));
	assert_string_equal(j->run_attempt, S(w->run_attempt));
	assert_string_equal(j->job, S(w->job));
	assert_string_equal(j->job_id, S(w->job_id));
	assert_string_equal(j->actor, S(w->actor));
	assert_string_equal(j->triggering_actor, S(w->triggering_actor));
	assert_string_equal(j->event, S(w->event));
	assert_string_equal(j->ref, S(w->ref));
	assert_string_equal(j->sha, S(w->sha));
	assert_string_equal(j->pull_request, S(w->pull_request));
	assert_string_equal(j->server_url, S(w->server_url));
	while (w->tokens[n])
		n++;
	assert_int_equal(j->n_token_vars, n);
	for (int i = 0; i < n; i++)
		assert_string_equal(j->token_vars[i], w->tokens[i]);
	assert_int_equal(j->truncated, w->truncated);
}

static void assert_no_canary(const struct ci_job *j)
{
	assert_null(memmem(j, sizeof(*j), CANARY, strlen(CANARY)));
	assert_null(memmem(j, sizeof(*j), CANARY_PART, strlen(CANARY_PART)));
}

/* ---- providers ---- */

static const char github_env[] =
	"PATH=/usr/local/bin:/usr/bin:/bin\0"
	"HOME=/home/runner\0"
	"CI=true\0"
	"GITHUB_ACTIONS=true\0"
	"GITHUB_REPOSITORY=octo-org/hello-world\0"
	"GITHUB_REPOSITORY_OWNER=octo-org\0"
	"GITHUB_WORKFLOW=CI\0"
	"GITHUB_WORKFLOW_REF=octo-org/hello-world/.github/workflows/ci.yml@refs/pull/42/merge\0"
	"GITHUB_RUN_ID=9876543210\0"
	"GITHUB_RUN_NUMBER=311\0"
	"GITHUB_RUN_ATTEMPT=2\0"
	"GITHUB_JOB=build\0"
	"GITHUB_ACTOR=octocat\0"
	"GITHUB_TRIGGERING_ACTOR=hubot\0"
	"GITHUB_EVENT_NAME=pull_request\0"
	"GITHUB_REF=refs/pull/42/merge\0"
	"GITHUB_HEAD_REF=feature/login\0"
	"GITHUB_SHA=ffac537e6cbbf934b08745a378932722df287a53\0"
	"GITHUB_SERVER_URL=https://github.com\0"
	"GITHUB_API_URL=https://api.github.com\0"
	"RUNNER_OS=Linux\0"
	"ACTIONS_ID_TOKEN_REQUEST_URL=https://pipelines.actions.githubusercontent.com/x/idtoken\0"
	"ACTIONS_ID_TOKEN_REQUEST_TOKEN=eyJ0eXAiOiJKV1Qi" CANARY "\0"
	"GITHUB_TOKEN=ghs_" CANARY "\0";

static void test_github_pull_request(void **state)
{
	struct ci_job j;
	const struct want w = {
		.provider = "github_actions",
		.repository = "octo-org/hello-world",
		.workflow = "CI",
		.run_id = "9876543210",
		.run_attempt = "2",
		.job = "build",
		.actor = "octocat",
		.triggering_actor = "hubot",
		.event = "pull_request",
		.ref = "refs/pull/42/merge",
		.sha = "ffac537e6cbbf934b08745a378932722df287a53",
		.pull_request = "42",
		.server_url = "https://github.com",
		.tokens = { "ACTIONS_ID_TOKEN_REQUEST_TOKEN", "GITHUB_TOKEN" },
	};

	assert_int_equal(parse(BLOCK(github_env), &j), 0);
	expect_job(&j, &w);
	assert_no_canary(&j);
}

static void test_github_push(void **state)
{
	static const char env[] = "GITHUB_ACTIONS=true\0"
				  "GITHUB_REPOSITORY=acme/api\0"
				  "GITHUB_WORKFLOW=.github/workflows/release.yml\0"
				  "GITHUB_RUN_ID=1\0"
				  "GITHUB_RUN_ATTEMPT=1\0"
				  "GITHUB_JOB=publish\0"
				  "GITHUB_ACTOR=dependabot[bot]\0"
				  "GITHUB_TRIGGERING_ACTOR=dependabot[bot]\0"
				  "GITHUB_EVENT_NAME=push\0"
				  "GITHUB_REF=refs/tags/v1.2.3\0"
				  "GITHUB_SHA=0123456789abcdef0123456789abcdef01234567\0"
				  "GITHUB_SERVER_URL=https://ghe.acme.internal:8443\0";
	struct ci_job j;
	const struct want w = {
		.provider = "github_actions",
		.repository = "acme/api",
		.workflow = ".github/workflows/release.yml",
		.run_id = "1",
		.run_attempt = "1",
		.job = "publish",
		.actor = "dependabot[bot]",
		.triggering_actor = "dependabot[bot]",
		.event = "push",
		.ref = "refs/tags/v1.2.3",
		.sha = "0123456789abcdef0123456789abcdef01234567",
		.server_url = "https://ghe.acme.internal:8443",
	};

	assert_int_equal(parse(BLOCK(env), &j), 0);
	expect_job(&j, &w);
}

static void test_github_pr_ref_must_be_digits(void **state)
{
	static const char *const refs[] = { "refs/pull/4x2/merge", "refs/pull//merge",
					    "refs/pull/42/head", "refs/pull/42",
					    "refs/heads/pull/42/merge", "refs/pull/-1/merge" };
	struct ci_job j;
	char env[128];

	for (size_t i = 0; i < sizeof(refs) / sizeof(refs[0]); i++) {
		size_t off = (size_t)sprintf(env, "GITHUB_ACTIONS=true") + 1;

		off += (size_t)sprintf(env + off, "GITHUB_REF=%s", refs[i]) + 1;
		assert_int_equal(parse(env, off, &j), 0);
		assert_string_equal(j.ref, refs[i]);
		assert_string_equal(j.pull_request, "");
		assert_int_equal(j.truncated, 0);
	}
}

static void test_github_marker_must_be_true(void **state)
{
	struct ci_job j;

	assert_int_equal(parse(BLOCK("GITHUB_ACTIONS=false\0GITHUB_RUN_ID=5\0"), &j), -ENOENT);
	assert_string_equal(j.provider, "");
	assert_string_equal(j.run_id, "");
	assert_int_equal(parse(BLOCK("GITHUB_ACTIONS=\0GITHUB_RUN_ID=5\0"), &j), -ENOENT);
	assert_int_equal(parse(BLOCK("GITHUB_ACTIONS=truex\0GITHUB_RUN_ID=5\0"), &j), -ENOENT);
	assert_int_equal(parse(BLOCK("GITHUB_RUN_ID=5\0"), &j), -ENOENT);
}

/* A Forgejo runner (v7+) job for a pull request on Codeberg: the GITHUB_* set with
 * GITHUB_ACTIONS, GITEA_ACTIONS and FORGEJO_ACTIONS all "true". */
static const char forgejo_env[] =
	"PATH=/usr/local/bin:/usr/bin:/bin\0"
	"CI=true\0"
	"GITHUB_ACTIONS=true\0"
	"GITEA_ACTIONS=true\0"
	"GITEA_ACTIONS_RUNNER_VERSION=v6.3.1\0"
	"FORGEJO_ACTIONS=true\0"
	"FORGEJO_ACTIONS_RUNNER_VERSION=v6.3.1\0"
	"GITHUB_REPOSITORY=forgejo-contrib/mirror-bot\0"
	"GITHUB_WORKFLOW=test\0"
	"GITHUB_RUN_ID=73012\0"
	"GITHUB_RUN_NUMBER=118\0"
	"GITHUB_RUN_ATTEMPT=1\0"
	"GITHUB_JOB=unit\0"
	"GITHUB_ACTOR=alyssa\0"
	"GITHUB_TRIGGERING_ACTOR=alyssa\0"
	"GITHUB_EVENT_NAME=pull_request\0"
	"GITHUB_REF=refs/pull/17/head\0"
	"GITHUB_HEAD_REF=fix-timeouts\0"
	"GITHUB_SHA=5b0e1c4f7a2d9e8c3b6a1f0e9d8c7b6a5f4e3d2c\0"
	"GITHUB_SERVER_URL=https://runner:" CANARY "@codeberg.org\0"
	"GITHUB_API_URL=https://codeberg.org/api/v1\0"
	"GITHUB_TOKEN=" CANARY "\0"
	"GITEA_TOKEN=" CANARY "\0"
	"FORGEJO_TOKEN=" CANARY "\0";

static void test_forgejo_pull_request(void **state)
{
	struct ci_job j;
	const struct want w = {
		.provider = "forgejo_actions",
		.repository = "forgejo-contrib/mirror-bot",
		.workflow = "test",
		.run_id = "73012",
		.run_attempt = "1",
		.job = "unit",
		.actor = "alyssa",
		.triggering_actor = "alyssa",
		.event = "pull_request",
		.ref = "refs/pull/17/head",
		.sha = "5b0e1c4f7a2d9e8c3b6a1f0e9d8c7b6a5f4e3d2c",
		.pull_request = "17",
		.server_url = "https://codeberg.org",
		.tokens = { "GITHUB_TOKEN", "GITEA_TOKEN", "FORGEJO_TOKEN" },
	};

	assert_int_equal(parse(BLOCK(forgejo_env), &j), 0);
	expect_job(&j, &w);
	assert_no_canary(&j);
}

/* A Gitea act_runner job on a self-hosted Gitea, pushed tag. */
static void test_gitea_push(void **state)
{
	static const char env[] = "GITHUB_ACTIONS=true\0"
				  "GITEA_ACTIONS=true\0"
				  "GITEA_ACTIONS_RUNNER_VERSION=v0.2.11\0"
				  "GITHUB_REPOSITORY=infra/ansible-roles\0"
				  "GITHUB_WORKFLOW=release.yaml\0"
				  "GITHUB_RUN_ID=4410\0"
				  "GITHUB_RUN_NUMBER=52\0"
				  "GITHUB_JOB=publish\0"
				  "GITHUB_ACTOR=ops-bot\0"
				  "GITHUB_EVENT_NAME=push\0"
				  "GITHUB_REF=refs/tags/v4.2.0\0"
				  "GITHUB_SHA=0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c\0"
				  "GITHUB_SERVER_URL=https://git.example.internal:3000\0"
				  "GITEA_TOKEN=" CANARY "\0";
	struct ci_job j;
	const struct want w = {
		.provider = "gitea_actions",
		.repository = "infra/ansible-roles",
		.workflow = "release.yaml",
		.run_id = "4410",
		.job = "publish",
		.actor = "ops-bot",
		.event = "push",
		.ref = "refs/tags/v4.2.0",
		.sha = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c",
		.server_url = "https://git.example.internal:3000",
		.tokens = { "GITEA_TOKEN" },
	};

	assert_int_equal(parse(BLOCK(env), &j), 0);
	expect_job(&j, &w);
	assert_no_canary(&j);
}

static void test_forge_priority_over_github(void **state)
{
	struct ci_job j;

	/* Forgejo sets all three markers; Gitea two. */
	assert_int_equal(parse(BLOCK("GITHUB_ACTIONS=true\0GITEA_ACTIONS=true\0"
				     "FORGEJO_ACTIONS=true\0GITHUB_RUN_ID=1\0"),
			       &j),
			 0);
	assert_string_equal(j.provider, "forgejo_actions");
	assert_int_equal(parse(BLOCK("FORGEJO_ACTIONS=true\0GITHUB_ACTIONS=true\0"), &j), 0);
	assert_string_equal(j.provider, "forgejo_actions");
	assert_int_equal(parse(BLOCK("GITHUB_ACTIONS=true\0GITEA_ACTIONS=true\0"), &j), 0);
	assert_string_equal(j.provider, "gitea_actions");
	/* A marker that is not "true" does not count. */
	assert_int_equal(parse(BLOCK("GITHUB_ACTIONS=true\0GITEA_ACTIONS=false\0"
				     "FORGEJO_ACTIONS=\0"),
			       &j),
			 0);
	assert_string_equal(j.provider, "github_actions");
	/* On GitHub, a "/head" pull ref is not taken for a pull request number. */
	assert_int_equal(parse(BLOCK("GITHUB_ACTIONS=true\0GITHUB_REF=refs/pull/9/head\0"), &j), 0);
	assert_string_equal(j.pull_request, "");
	assert_int_equal(parse(BLOCK("GITEA_ACTIONS=true\0GITHUB_REF=refs/pull/9/merge\0"), &j), 0);
	assert_string_equal(j.pull_request, "9");
}

static const char gitlab_env[] =
	"GITLAB_CI=true\0"
	"CI=true\0"
	"CI_SERVER_URL=https://gitlab.example.com\0"
	"CI_PROJECT_PATH=platform/billing-service\0"
	"CI_PROJECT_ID=4711\0"
	"CI_PIPELINE_ID=1048576\0"
	"CI_PIPELINE_NAME=Nightly build\0"
	"CI_CONFIG_PATH=.gitlab-ci.yml\0"
	"CI_PIPELINE_SOURCE=merge_request_event\0"
	"CI_JOB_NAME=unit-tests 1/3\0"
	"CI_JOB_ID=555123987\0"
	"CI_JOB_STAGE=test\0"
	"GITLAB_USER_LOGIN=mwilson\0"
	"GITLAB_USER_EMAIL=mwilson@example.com\0"
	"CI_COMMIT_REF_NAME=fix/rounding\0"
	"CI_COMMIT_SHA=3f1c2b7e9d0a4c5b6e7f8091a2b3c4d5e6f70812\0"
	"CI_MERGE_REQUEST_IID=318\0"
	"CI_REPOSITORY_URL=https://gitlab-ci-token:" CANARY "@gitlab.example.com/platform/billing-"
	"service.git\0"
	"CI_JOB_TOKEN=" CANARY "\0"
	"CI_REGISTRY_PASSWORD=" CANARY "\0"
	"CI_DEPENDENCY_PROXY_PASSWORD=" CANARY "\0"
	"CI_JOB_JWT_V2=eyJhbGciOiJSUzI1NiJ9." CANARY "\0";

static void test_gitlab_merge_request(void **state)
{
	struct ci_job j;
	const struct want w = {
		.provider = "gitlab_ci",
		.repository = "platform/billing-service",
		.workflow = "Nightly build",
		.run_id = "1048576",
		.job = "unit-tests 1/3",
		.job_id = "555123987",
		.actor = "mwilson",
		.event = "merge_request_event",
		.ref = "fix/rounding",
		.sha = "3f1c2b7e9d0a4c5b6e7f8091a2b3c4d5e6f70812",
		.pull_request = "318",
		.server_url = "https://gitlab.example.com",
		.tokens = { "CI_JOB_TOKEN", "CI_REGISTRY_PASSWORD", "CI_DEPENDENCY_PROXY_PASSWORD",
			    "CI_JOB_JWT_V2" },
	};

	assert_int_equal(parse(BLOCK(gitlab_env), &j), 0);
	expect_job(&j, &w);
	assert_no_canary(&j);
}

static void test_gitlab_workflow_falls_back_to_config_path(void **state)
{
	static const char env[] = "GITLAB_CI=true\0"
				  "CI_PIPELINE_NAME=\0"
				  "CI_CONFIG_PATH=ci/pipeline.yml\0"
				  "CI_PIPELINE_ID=7\0"
				  "CI_PIPELINE_SOURCE=push\0"
				  "CI_COMMIT_REF_NAME=v2.0.0\0"
				  "CI_MERGE_REQUEST_IID=\0";
	struct ci_job j;
	const struct want w = {
		.provider = "gitlab_ci",
		.workflow = "ci/pipeline.yml",
		.run_id = "7",
		.event = "push",
		.ref = "v2.0.0",
	};

	assert_int_equal(parse(BLOCK(env), &j), 0);
	expect_job(&j, &w);
}

static const char jenkins_env[] =
	"JENKINS_HOME=/var/jenkins_home\0"
	"JENKINS_URL=https://ci.example.com/\0"
	"JOB_NAME=team/app/PR-117\0"
	"JOB_BASE_NAME=PR-117\0"
	"BUILD_NUMBER=57\0"
	"BUILD_ID=57\0"
	"BUILD_TAG=jenkins-team-app-PR-117-57\0"
	"BUILD_URL=https://ci.example.com/job/team/job/app/job/PR-117/57/\0"
	"STAGE_NAME=Integration tests\0"
	"GIT_URL=https://deploy-bot:" CANARY "@git.example.com/team/app.git\0"
	"GIT_COMMIT=9b2e6c1d0f3a4b5c6d7e8f9012a3b4c5d6e7f809\0"
	"GIT_BRANCH=PR-117\0"
	"BRANCH_NAME=PR-117\0"
	"CHANGE_ID=117\0"
	"CHANGE_AUTHOR=contributor\0"
	"BUILD_USER_ID=alice\0"
	"NODE_NAME=agent-03\0";

static void test_jenkins_pull_request(void **state)
{
	struct ci_job j;
	const struct want w = {
		.provider = "jenkins",
		.repository = "https://git.example.com/team/app.git",
		.workflow = "team/app/PR-117",
		.run_id = "57",
		.job = "Integration tests",
		.actor = "alice",
		.ref = "PR-117",
		.sha = "9b2e6c1d0f3a4b5c6d7e8f9012a3b4c5d6e7f809",
		.pull_request = "117",
		.server_url = "https://ci.example.com/",
	};

	assert_int_equal(parse(BLOCK(jenkins_env), &j), 0);
	expect_job(&j, &w);
	assert_no_canary(&j);
}

static void test_jenkins_freestyle_without_url(void **state)
{
	static const char env[] = "JENKINS_HOME=/var/lib/jenkins\0"
				  "JENKINS_URL=\0"
				  "JOB_NAME=nightly-backup\0"
				  "BUILD_ID=1204\0"
				  "GIT_URL=git@git.example.com:ops/backup.git\0"
				  "GIT_BRANCH=origin/main\0"
				  "GIT_COMMIT=abc123\0"
				  "CHANGE_ID=\0";
	struct ci_job j;
	const struct want w = {
		.provider = "jenkins",
		.repository = "git@git.example.com:ops/backup.git",
		.workflow = "nightly-backup",
		.run_id = "1204",
		.ref = "origin/main",
		.sha = "abc123",
	};

	assert_int_equal(parse(BLOCK(env), &j), 0);
	expect_job(&j, &w);
}

static void test_jenkins_url_alone_is_not_a_job(void **state)
{
	struct ci_job j;

	assert_int_equal(parse(BLOCK("JENKINS_URL=https://ci.example.com/\0"
				     "PATH=/bin\0"),
			       &j),
			 -ENOENT);
	assert_string_equal(j.provider, "");
	assert_string_equal(j.server_url, "");
	assert_int_equal(parse(BLOCK("JOB_NAME=x\0BUILD_NUMBER=1\0"), &j), -ENOENT);
}

static const char buildkite_env[] =
	"BUILDKITE=true\0"
	"CI=true\0"
	"BUILDKITE_ORGANIZATION_SLUG=acme\0"
	"BUILDKITE_REPO=git@github.com:acme/widgets.git\0"
	"BUILDKITE_PIPELINE_SLUG=widgets\0"
	"BUILDKITE_BUILD_NUMBER=1514\0"
	"BUILDKITE_BUILD_ID=0190c3a1-9c43-4f4e-8b3d-1f2e3d4c5b6a\0"
	"BUILDKITE_JOB_ID=0190c3a1-a111-4b22-8c33-d44e55f66a77\0"
	"BUILDKITE_RETRY_COUNT=1\0"
	"BUILDKITE_LABEL=\xf0\x9f\x94\xa8 Build\0"
	"BUILDKITE_STEP_KEY=build\0"
	"BUILDKITE_BUILD_CREATOR=Jane Doe\0"
	"BUILDKITE_BUILD_AUTHOR=John Roe\0"
	"BUILDKITE_SOURCE=webhook\0"
	"BUILDKITE_BRANCH=main\0"
	"BUILDKITE_COMMIT=e4d1c2b3a4958677a8b9c0d1e2f3a4b5c6d7e8f9\0"
	"BUILDKITE_PULL_REQUEST=false\0"
	"BUILDKITE_BUILD_URL=https://buildkite.com/acme/widgets/builds/1514\0"
	"BUILDKITE_AGENT_ACCESS_TOKEN=bkagent_" CANARY "\0";

static void test_buildkite_branch_build(void **state)
{
	struct ci_job j;
	const struct want w = {
		.provider = "buildkite",
		.repository = "git@github.com:acme/widgets.git",
		.workflow = "widgets",
		.run_id = "1514",
		.run_attempt = "2",
		.job = "\xf0\x9f\x94\xa8 Build",
		.job_id = "0190c3a1-a111-4b22-8c33-d44e55f66a77",
		.actor = "Jane Doe",
		.event = "webhook",
		.ref = "main",
		.sha = "e4d1c2b3a4958677a8b9c0d1e2f3a4b5c6d7e8f9",
		.server_url = "https://buildkite.com",
		.tokens = { "BUILDKITE_AGENT_ACCESS_TOKEN" },
	};

	assert_int_equal(parse(BLOCK(buildkite_env), &j), 0);
	expect_job(&j, &w);
	assert_no_canary(&j);
}

static void test_buildkite_fallbacks(void **state)
{
	static const char env[] = "BUILDKITE=true\0"
				  "BUILDKITE_REPO=https://x-access-token:" CANARY
				  "@github.com/acme/widgets.git\0"
				  "BUILDKITE_PIPELINE_SLUG=widgets\0"
				  "BUILDKITE_BUILD_NUMBER=9\0"
				  "BUILDKITE_RETRY_COUNT=0\0"
				  "BUILDKITE_STEP_KEY=lint\0"
				  "BUILDKITE_BUILD_CREATOR=\0"
				  "BUILDKITE_BUILD_AUTHOR=John Roe\0"
				  "BUILDKITE_PULL_REQUEST=88\0"
				  "BUILDKITE_BUILD_URL=notaurl\0";
	struct ci_job j;
	const struct want w = {
		.provider = "buildkite",
		.repository = "https://github.com/acme/widgets.git",
		.workflow = "widgets",
		.run_id = "9",
		.run_attempt = "1",
		.job = "lint",
		.actor = "John Roe",
		.pull_request = "88",
	};

	assert_int_equal(parse(BLOCK(env), &j), 0);
	expect_job(&j, &w);
	assert_no_canary(&j);
}

static void test_buildkite_bad_retry_count(void **state)
{
	struct ci_job j;

	assert_int_equal(parse(BLOCK("BUILDKITE=true\0BUILDKITE_RETRY_COUNT=-1\0"), &j), 0);
	assert_string_equal(j.run_attempt, "");
	assert_int_equal(parse(BLOCK("BUILDKITE=true\0BUILDKITE_RETRY_COUNT=99999999999\0"), &j),
			 0);
	assert_string_equal(j.run_attempt, "");
	assert_int_equal(parse(BLOCK("BUILDKITE=true\0BUILDKITE_RETRY_COUNT=999999999\0"), &j), 0);
	assert_string_equal(j.run_attempt, "1000000000");
}

static const char circleci_env[] =
	"CIRCLECI=true\0"
	"CI=true\0"
	"CIRCLE_PROJECT_USERNAME=acme\0"
	"CIRCLE_PROJECT_REPONAME=rocket\0"
	"CIRCLE_REPOSITORY_URL=git@github.com:acme/rocket.git\0"
	"CIRCLE_WORKFLOW_ID=6f0a2e1c-3b4d-4e5f-8a9b-0c1d2e3f4a5b\0"
	"CIRCLE_BUILD_NUM=3312\0"
	"CIRCLE_JOB=test-linux\0"
	"CIRCLE_USERNAME=jdoe\0"
	"CIRCLE_BRANCH=feature/thrust\0"
	"CIRCLE_SHA1=c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00\0"
	"CIRCLE_PULL_REQUEST=https://github.com/acme/rocket/pull/77\0"
	"CIRCLE_BUILD_URL=https://circleci.com/gh/acme/rocket/3312\0"
	"CIRCLE_OIDC_TOKEN=eyJ" CANARY "\0"
	"CIRCLE_OIDC_TOKEN_V2=eyJ" CANARY "\0";

static void test_circleci_pull_request(void **state)
{
	struct ci_job j;
	const struct want w = {
		.provider = "circleci",
		.repository = "acme/rocket",
		.run_id = "6f0a2e1c-3b4d-4e5f-8a9b-0c1d2e3f4a5b",
		.job = "test-linux",
		.job_id = "3312",
		.actor = "jdoe",
		.ref = "feature/thrust",
		.sha = "c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00",
		.pull_request = "77",
		.server_url = "https://circleci.com",
		.tokens = { "CIRCLE_OIDC_TOKEN", "CIRCLE_OIDC_TOKEN_V2" },
	};

	assert_int_equal(parse(BLOCK(circleci_env), &j), 0);
	expect_job(&j, &w);
	assert_no_canary(&j);
}

static void test_circleci_tag_fork_pr_and_repo_url(void **state)
{
	static const char env[] = "CIRCLECI=true\0"
				  "CIRCLE_PROJECT_USERNAME=acme\0"
				  "CIRCLE_REPOSITORY_URL=https://bot:" CANARY
				  "@github.com/acme/rocket\0"
				  "CIRCLE_WORKFLOW_ID=w1\0"
				  "CIRCLE_TAG=v3.0.0\0"
				  "CIRCLE_PR_NUMBER=12\0"
				  "CIRCLE_PULL_REQUEST=https://github.com/acme/rocket/pull/77\0"
				  "CIRCLE_BUILD_URL=https://app.circleci.com:443/pipelines/gh/a\0";
	struct ci_job j;
	const struct want w = {
		.provider = "circleci",
		.repository = "https://github.com/acme/rocket",
		.run_id = "w1",
		.ref = "v3.0.0",
		.pull_request = "12",
		.server_url = "https://app.circleci.com:443",
	};

	assert_int_equal(parse(BLOCK(env), &j), 0);
	expect_job(&j, &w);
	assert_no_canary(&j);
}

static const char azure_env[] =
	"TF_BUILD=True\0"
	"AGENT_NAME=Hosted Agent\0"
	"BUILD_REPOSITORY_NAME=contoso/webapp\0"
	"BUILD_REPOSITORY_URI=https://github.com/contoso/webapp\0"
	"BUILD_DEFINITIONNAME=webapp-ci\0"
	"BUILD_BUILDID=2741\0"
	"BUILD_BUILDNUMBER=20240611.3\0"
	"SYSTEM_JOBATTEMPT=3\0"
	"SYSTEM_JOBDISPLAYNAME=Build and test\0"
	"AGENT_JOBNAME=Job\0"
	"SYSTEM_JOBID=12f1170f-54f2-53f3-20dd-22fc7dff55f9\0"
	"BUILD_REQUESTEDFOR=Ada Lovelace\0"
	"BUILD_REQUESTEDFOREMAIL=ada@contoso.com\0"
	"BUILD_QUEUEDBY=Microsoft.VisualStudio.Services.TFS\0"
	"BUILD_REASON=PullRequest\0"
	"BUILD_SOURCEBRANCH=refs/pull/19/merge\0"
	"BUILD_SOURCEVERSION=d6cd1e2bd19e03a81132a23b2025920577f84e37\0"
	"SYSTEM_PULLREQUEST_PULLREQUESTNUMBER=19\0"
	"SYSTEM_PULLREQUEST_PULLREQUESTID=3511\0"
	"SYSTEM_COLLECTIONURI=https://dev.azure.com/contoso/\0"
	"SYSTEM_ACCESSTOKEN=" CANARY "\0";

static void test_azure_pull_request(void **state)
{
	struct ci_job j;
	const struct want w = {
		.provider = "azure_pipelines",
		.repository = "contoso/webapp",
		.workflow = "webapp-ci",
		.run_id = "2741",
		.run_attempt = "3",
		.job = "Build and test",
		.job_id = "12f1170f-54f2-53f3-20dd-22fc7dff55f9",
		.actor = "Ada Lovelace",
		.triggering_actor = "Microsoft.VisualStudio.Services.TFS",
		.event = "PullRequest",
		.ref = "refs/pull/19/merge",
		.sha = "d6cd1e2bd19e03a81132a23b2025920577f84e37",
		.pull_request = "19",
		.server_url = "https://dev.azure.com/contoso/",
		.tokens = { "SYSTEM_ACCESSTOKEN" },
	};

	assert_int_equal(parse(BLOCK(azure_env), &j), 0);
	expect_job(&j, &w);
	assert_no_canary(&j);
}

static void test_azure_fallbacks(void **state)
{
	static const char env[] = "TF_BUILD=TRUE\0"
				  "AGENT_JOBNAME=Job\0"
				  "BUILD_BUILDID=5\0"
				  "SYSTEM_PULLREQUEST_PULLREQUESTNUMBER=\0"
				  "SYSTEM_PULLREQUEST_PULLREQUESTID=3511\0"
				  "SYSTEM_ACCESSTOKEN=\0";
	struct ci_job j;
	const struct want w = {
		.provider = "azure_pipelines",
		.run_id = "5",
		.job = "Job",
		.pull_request = "3511",
	};

	assert_int_equal(parse(BLOCK(env), &j), 0);
	expect_job(&j, &w);
}

static const char bitbucket_env[] =
	"CI=true\0"
	"BITBUCKET_BUILD_NUMBER=842\0"
	"BITBUCKET_CLONE_DIR=/opt/atlassian/pipelines/agent/build\0"
	"BITBUCKET_COMMIT=7c1e9a0b2d3f4e5a6b7c8d9e0f1a2b3c4d5e6f70\0"
	"BITBUCKET_WORKSPACE=acme-corp\0"
	"BITBUCKET_REPO_SLUG=payments-api\0"
	"BITBUCKET_REPO_FULL_NAME=acme-corp/payments-api\0"
	"BITBUCKET_REPO_UUID={5e3c8a1d-7b2f-4c6e-9a0d-1f2e3d4c5b6a}\0"
	"BITBUCKET_PIPELINE_UUID={0d1c2b3a-4f5e-4d6c-8b7a-9e8f7a6b5c4d}\0"
	"BITBUCKET_STEP_UUID={b2f4c6d8-1a3e-4c5b-9d7f-0e2a4c6e8f1b}\0"
	"BITBUCKET_STEP_TRIGGERER_UUID={9f8e7d6c-5b4a-4392-8170-fedcba987654}\0"
	"BITBUCKET_BRANCH=feature/PAY-1234-refunds\0"
	"BITBUCKET_PR_ID=311\0"
	"BITBUCKET_PR_DESTINATION_BRANCH=main\0"
	"BITBUCKET_GIT_HTTP_ORIGIN=http://x-token-auth:" CANARY
	"@bitbucket.org/acme-corp/payments-api\0"
	"BITBUCKET_GIT_SSH_ORIGIN=git@bitbucket.org:acme-corp/payments-api.git\0"
	"BITBUCKET_STEP_OIDC_TOKEN=eyJraWQiOiJ" CANARY "\0";

static void test_bitbucket_pull_request(void **state)
{
	struct ci_job j;
	const struct want w = {
		.provider = "bitbucket_pipelines",
		.repository = "acme-corp/payments-api",
		.run_id = "842",
		.job_id = "{b2f4c6d8-1a3e-4c5b-9d7f-0e2a4c6e8f1b}",
		.actor = "{9f8e7d6c-5b4a-4392-8170-fedcba987654}",
		.ref = "feature/PAY-1234-refunds",
		.sha = "7c1e9a0b2d3f4e5a6b7c8d9e0f1a2b3c4d5e6f70",
		.pull_request = "311",
		.server_url = "http://bitbucket.org",
		.tokens = { "BITBUCKET_STEP_OIDC_TOKEN" },
	};

	assert_int_equal(parse(BLOCK(bitbucket_env), &j), 0);
	expect_job(&j, &w);
	assert_no_canary(&j);
}

static void test_bitbucket_tag_and_fallbacks(void **state)
{
	static const char env[] = "BITBUCKET_BUILD_NUMBER=17\0"
				  "BITBUCKET_COMMIT=abc1234\0"
				  "BITBUCKET_WORKSPACE=acme-corp\0"
				  "BITBUCKET_REPO_SLUG=infra\0"
				  "BITBUCKET_TAG=v2.3.0\0"
				  "BITBUCKET_PR_ID=\0"
				  "BITBUCKET_GIT_HTTP_ORIGIN=notaurl\0";
	struct ci_job j;
	const struct want w = {
		.provider = "bitbucket_pipelines",
		.repository = "acme-corp/infra",
		.run_id = "17",
		.ref = "v2.3.0",
		.sha = "abc1234",
	};

	assert_int_equal(parse(BLOCK(env), &j), 0);
	expect_job(&j, &w);
}

static void test_bitbucket_needs_two_variables(void **state)
{
	struct ci_job j;

	assert_int_equal(parse(BLOCK("BITBUCKET_BUILD_NUMBER=5\0CI=true\0"), &j), -ENOENT);
	assert_int_equal(parse(BLOCK("BITBUCKET_COMMIT=abc\0BITBUCKET_REPO_FULL_NAME=a/b\0"), &j),
			 -ENOENT);
	assert_int_equal(parse(BLOCK("BITBUCKET_BUILD_NUMBER=5\0BITBUCKET_COMMIT=\0"), &j),
			 -ENOENT);
	assert_int_equal(parse(BLOCK("BITBUCKET_REPO_FULL_NAME=a/b\0BITBUCKET_BUILD_NUMBER=5\0"),
			       &j),
			 0);
	assert_string_equal(j.provider, "bitbucket_pipelines");
}

static const char travis_env[] =
	"TRAVIS=true\0"
	"CI=true\0"
	"CONTINUOUS_INTEGRATION=true\0"
	"TRAVIS_REPO_SLUG=octo-labs/fastjson\0"
	"TRAVIS_BUILD_ID=271828182\0"
	"TRAVIS_BUILD_NUMBER=1404\0"
	"TRAVIS_JOB_ID=271828183\0"
	"TRAVIS_JOB_NUMBER=1404.1\0"
	"TRAVIS_JOB_NAME=lint and unit\0"
	"TRAVIS_EVENT_TYPE=pull_request\0"
	"TRAVIS_BRANCH=main\0"
	"TRAVIS_TAG=\0"
	"TRAVIS_COMMIT=3a5c7e9b1d2f4a6c8e0b2d4f6a8c0e2b4d6f8a0c\0"
	"TRAVIS_PULL_REQUEST=96\0"
	"TRAVIS_PULL_REQUEST_BRANCH=feature/simd\0"
	"TRAVIS_BUILD_WEB_URL=https://app.travis-ci.com/github/octo-labs/fastjson/builds/"
	"271828182\0"
	"TRAVIS_JOB_WEB_URL=https://app.travis-ci.com/github/octo-labs/fastjson/jobs/271828183\0";

static void test_travis_pull_request(void **state)
{
	struct ci_job j;
	const struct want w = {
		.provider = "travis_ci",
		.repository = "octo-labs/fastjson",
		.run_id = "271828182",
		.job = "lint and unit",
		.job_id = "271828183",
		.event = "pull_request",
		.ref = "main",
		.sha = "3a5c7e9b1d2f4a6c8e0b2d4f6a8c0e2b4d6f8a0c",
		.pull_request = "96",
		.server_url = "https://app.travis-ci.com",
	};

	assert_int_equal(parse(BLOCK(travis_env), &j), 0);
	expect_job(&j, &w);
}

static void test_travis_tag_build(void **state)
{
	static const char env[] = "TRAVIS=true\0"
				  "TRAVIS_REPO_SLUG=octo-labs/fastjson\0"
				  "TRAVIS_BUILD_ID=271828999\0"
				  "TRAVIS_JOB_ID=271829000\0"
				  "TRAVIS_EVENT_TYPE=push\0"
				  "TRAVIS_BRANCH=v1.8.0\0"
				  "TRAVIS_TAG=v1.8.0\0"
				  "TRAVIS_PULL_REQUEST=false\0"
				  "TRAVIS_BUILD_WEB_URL=https://ci:" CANARY
				  "@travis.example.com:8443/x/builds/1?token=" CANARY "\0";
	struct ci_job j;
	const struct want w = {
		.provider = "travis_ci",
		.repository = "octo-labs/fastjson",
		.run_id = "271828999",
		.job_id = "271829000",
		.event = "push",
		.ref = "v1.8.0",
		.server_url = "https://travis.example.com:8443",
	};

	assert_int_equal(parse(BLOCK(env), &j), 0);
	expect_job(&j, &w);
	assert_no_canary(&j);
}

static const char semaphore_env[] =
	"SEMAPHORE=true\0"
	"CI=true\0"
	"SEMAPHORE_ORGANIZATION_URL=https://acme.semaphoreci.com\0"
	"SEMAPHORE_PROJECT_NAME=storefront\0"
	"SEMAPHORE_PROJECT_ID=0dd982e8-32f5-4037-983e-4de01ac7fb1e\0"
	"SEMAPHORE_GIT_REPO_SLUG=acme/storefront\0"
	"SEMAPHORE_GIT_URL=git@github.com:acme/storefront.git\0"
	"SEMAPHORE_WORKFLOW_ID=65c3a9f4-2b1e-4d7a-9c8f-0e1d2c3b4a59\0"
	"SEMAPHORE_WORKFLOW_NUMBER=212\0"
	"SEMAPHORE_PIPELINE_ID=ea3e6bba-d19a-45d7-86a0-e78a2301b616\0"
	"SEMAPHORE_JOB_NAME=RSpec 3/4\0"
	"SEMAPHORE_JOB_ID=a26d42cf-89ac-4c3f-9e2d-51bb231897bf\0"
	"SEMAPHORE_GIT_REF_TYPE=pull-request\0"
	"SEMAPHORE_GIT_BRANCH=main\0"
	"SEMAPHORE_GIT_WORKING_BRANCH=checkout-v2\0"
	"SEMAPHORE_GIT_SHA=e1d2c3b4a5968778695a4b3c2d1e0f9e8d7c6b5a\0"
	"SEMAPHORE_GIT_PR_NUMBER=58\0"
	"SEMAPHORE_ARTIFACT_TOKEN=" CANARY "\0"
	"SEMAPHORE_OIDC_TOKEN=eyJhbGciOiJSUzI1NiJ9." CANARY "\0";

static void test_semaphore_pull_request(void **state)
{
	struct ci_job j;
	const struct want w = {
		.provider = "semaphore",
		.repository = "acme/storefront",
		.workflow = "storefront",
		.run_id = "65c3a9f4-2b1e-4d7a-9c8f-0e1d2c3b4a59",
		.job = "RSpec 3/4",
		.job_id = "a26d42cf-89ac-4c3f-9e2d-51bb231897bf",
		.ref = "main",
		.sha = "e1d2c3b4a5968778695a4b3c2d1e0f9e8d7c6b5a",
		.pull_request = "58",
		.server_url = "https://acme.semaphoreci.com",
		.tokens = { "SEMAPHORE_OIDC_TOKEN" },
	};

	assert_int_equal(parse(BLOCK(semaphore_env), &j), 0);
	expect_job(&j, &w);
	assert_no_canary(&j);
}

static void test_semaphore_url_credentials(void **state)
{
	static const char env[] = "SEMAPHORE=true\0"
				  "SEMAPHORE_GIT_REPO_SLUG=https://bot:" CANARY
				  "@github.com/acme/storefront\0"
				  "SEMAPHORE_ORGANIZATION_URL=https://u:" CANARY
				  "@acme.semaphoreci.com/projects\0"
				  "SEMAPHORE_GIT_PR_NUMBER=#58\0";
	struct ci_job j;
	const struct want w = {
		.provider = "semaphore",
		.repository = "https://github.com/acme/storefront",
		.server_url = "https://acme.semaphoreci.com",
	};

	assert_int_equal(parse(BLOCK(env), &j), 0);
	expect_job(&j, &w);
	assert_no_canary(&j);
}

/* A Woodpecker 2.x/3.x step on a pull request, cloning from a Forgejo forge. */
static const char woodpecker_env[] =
	"CI=woodpecker\0"
	"CI_REPO=platform/edge-proxy\0"
	"CI_REPO_OWNER=platform\0"
	"CI_REPO_NAME=edge-proxy\0"
	"CI_REPO_URL=https://git.example.org/platform/edge-proxy\0"
	"CI_REPO_CLONE_URL=https://woodpecker:" CANARY "@git.example.org/platform/edge-proxy.git\0"
	"CI_COMMIT_SHA=4f3e2d1c0b9a88776655443322110ffeeddccbba\0"
	"CI_COMMIT_REF=refs/pull/44/head\0"
	"CI_COMMIT_BRANCH=main\0"
	"CI_COMMIT_SOURCE_BRANCH=feat/http3\0"
	"CI_COMMIT_TARGET_BRANCH=main\0"
	"CI_COMMIT_PULL_REQUEST=44\0"
	"CI_COMMIT_AUTHOR=mkoch\0"
	"CI_COMMIT_AUTHOR_EMAIL=mkoch@example.org\0"
	"CI_PIPELINE_NUMBER=381\0"
	"CI_PIPELINE_EVENT=pull_request\0"
	"CI_PIPELINE_URL=https://ci.example.org/repos/7/pipeline/381\0"
	"CI_WORKFLOW_NAME=test\0"
	"CI_STEP_NAME=go-test\0"
	"CI_SYSTEM_NAME=woodpecker\0"
	"CI_SYSTEM_URL=https://admin:" CANARY "@ci.example.org/\0"
	"CI_SYSTEM_HOST=ci.example.org\0"
	"CI_FORGE_TYPE=forgejo\0"
	"CI_NETRC_MACHINE=git.example.org\0"
	"CI_NETRC_USERNAME=" CANARY "\0"
	"CI_NETRC_PASSWORD=" CANARY "\0";

static void test_woodpecker_pull_request(void **state)
{
	struct ci_job j;
	const struct want w = {
		.provider = "woodpecker",
		.repository = "platform/edge-proxy",
		.workflow = "test",
		.run_id = "381",
		.job = "go-test",
		.actor = "mkoch",
		.event = "pull_request",
		.ref = "main",
		.sha = "4f3e2d1c0b9a88776655443322110ffeeddccbba",
		.pull_request = "44",
		.server_url = "https://ci.example.org",
		.tokens = { "CI_NETRC_USERNAME", "CI_NETRC_PASSWORD" },
	};

	assert_int_equal(parse(BLOCK(woodpecker_env), &j), 0);
	expect_job(&j, &w);
	assert_no_canary(&j);
}

static void test_woodpecker_tag(void **state)
{
	static const char env[] = "CI=woodpecker\0"
				  "CI_REPO=platform/edge-proxy\0"
				  "CI_PIPELINE_NUMBER=382\0"
				  "CI_PIPELINE_EVENT=tag\0"
				  "CI_COMMIT_BRANCH=\0"
				  "CI_COMMIT_TAG=v0.9.1\0"
				  "CI_COMMIT_PULL_REQUEST=\0";
	struct ci_job j;
	const struct want w = {
		.provider = "woodpecker",
		.repository = "platform/edge-proxy",
		.run_id = "382",
		.event = "tag",
		.ref = "v0.9.1",
	};

	assert_int_equal(parse(BLOCK(env), &j), 0);
	expect_job(&j, &w);
}

/* Both use CI_* names; each reads only its own, and GitLab's marker ranks higher. */
static void test_gitlab_and_woodpecker_apart(void **state)
{
	static const char both[] = "CI=woodpecker\0"
				   "GITLAB_CI=true\0"
				   "CI_PIPELINE_ID=3\0"
				   "CI_PIPELINE_NUMBER=9\0"
				   "CI_COMMIT_REF_NAME=gl-branch\0"
				   "CI_COMMIT_BRANCH=wp-branch\0"
				   "CI_COMMIT_SHA=abc\0";
	struct ci_job j;

	assert_int_equal(parse(BLOCK(gitlab_env), &j), 0);
	assert_string_equal(j.provider, "gitlab_ci");
	assert_int_equal(parse(BLOCK(woodpecker_env), &j), 0);
	assert_string_equal(j.provider, "woodpecker");
	assert_int_equal(parse(BLOCK(both), &j), 0);
	assert_string_equal(j.provider, "gitlab_ci");
	assert_string_equal(j.run_id, "3");
	assert_string_equal(j.ref, "gl-branch");
	assert_string_equal(j.sha, "abc");
	/* Without GitLab's marker the same names make a Woodpecker job. */
	assert_int_equal(parse(BLOCK("CI=woodpecker\0CI_PIPELINE_ID=3\0CI_PIPELINE_NUMBER=9\0"
				     "CI_COMMIT_REF_NAME=gl-branch\0CI_COMMIT_BRANCH=wp-branch\0"
				     "CI_COMMIT_SHA=abc\0"),
			       &j),
			 0);
	assert_string_equal(j.provider, "woodpecker");
	assert_string_equal(j.run_id, "9");
	assert_string_equal(j.ref, "wp-branch");
	assert_string_equal(j.sha, "abc");
	/* CI=true is GitLab's (and many others'); only CI=woodpecker names Woodpecker. */
	assert_int_equal(parse(BLOCK("CI=true\0CI_PIPELINE_NUMBER=9\0CI_REPO=a/b\0"), &j), -ENOENT);
	assert_int_equal(parse(BLOCK("CI=woodpeckerx\0CI_PIPELINE_NUMBER=9\0"), &j), -ENOENT);
	/* Woodpecker, a Drone fork, outranks Drone. */
	assert_int_equal(parse(BLOCK("DRONE=true\0DRONE_BUILD_NUMBER=1\0CI=woodpecker\0"
				     "CI_PIPELINE_NUMBER=2\0"),
			       &j),
			 0);
	assert_string_equal(j.provider, "woodpecker");
	assert_string_equal(j.run_id, "2");
}

/* Drone 1.x/2.x on GitHub: the netrc user name is the OAuth token, the password the
 * fixed "x-oauth-basic". Only the password's name is listed; neither value is read. */
static const char drone_env[] =
	"DRONE=true\0"
	"CI=true\0"
	"DRONE_REPO=octocat/hello-world\0"
	"DRONE_REPO_OWNER=octocat\0"
	"DRONE_REPO_NAME=hello-world\0"
	"DRONE_BUILD_NUMBER=128\0"
	"DRONE_BUILD_EVENT=pull_request\0"
	"DRONE_BUILD_TRIGGER=@hook\0"
	"DRONE_BUILD_LINK=https://drone.company.com/octocat/hello-world/128\0"
	"DRONE_STAGE_NAME=default\0"
	"DRONE_STEP_NAME=test\0"
	"DRONE_COMMIT_SHA=bcdd4bf0245c82c060407b3b24b9b87301d15ac1\0"
	"DRONE_COMMIT_BRANCH=main\0"
	"DRONE_SOURCE_BRANCH=feature/greeting\0"
	"DRONE_TARGET_BRANCH=main\0"
	"DRONE_PULL_REQUEST=42\0"
	"DRONE_COMMIT_AUTHOR=octocat\0"
	"DRONE_COMMIT_AUTHOR_EMAIL=octocat@github.com\0"
	"DRONE_GIT_HTTP_URL=https://github.com/octocat/hello-world.git\0"
	"DRONE_SYSTEM_PROTO=https\0"
	"DRONE_SYSTEM_HOST=drone.company.com\0"
	"DRONE_NETRC_MACHINE=github.com\0"
	"DRONE_NETRC_USERNAME=gho_" CANARY "\0"
	"DRONE_NETRC_PASSWORD=x-oauth-basic\0";

static void test_drone_pull_request(void **state)
{
	struct ci_job j;
	const struct want w = {
		.provider = "drone",
		.repository = "octocat/hello-world",
		.workflow = "default",
		.run_id = "128",
		.job = "test",
		.actor = "octocat",
		.triggering_actor = "@hook",
		.event = "pull_request",
		.ref = "main",
		.sha = "bcdd4bf0245c82c060407b3b24b9b87301d15ac1",
		.pull_request = "42",
		.server_url = "https://drone.company.com",
		.tokens = { "DRONE_NETRC_USERNAME", "DRONE_NETRC_PASSWORD" },
	};

	assert_int_equal(parse(BLOCK(drone_env), &j), 0);
	expect_job(&j, &w);
	assert_no_canary(&j);
}

static void test_drone_tag_and_system_url(void **state)
{
	static const char env[] = "DRONE=true\0"
				  "DRONE_REPO=octocat/hello-world\0"
				  "DRONE_BUILD_NUMBER=129\0"
				  "DRONE_BUILD_EVENT=tag\0"
				  "DRONE_BUILD_TRIGGER=octocat\0"
				  "DRONE_COMMIT_BRANCH=\0"
				  "DRONE_TAG=v1.0.0\0"
				  "DRONE_PULL_REQUEST=\0"
				  "DRONE_SYSTEM_PROTO=http\0"
				  "DRONE_SYSTEM_HOST=admin:" CANARY "@drone.local:8080\0"
				  "DRONE_NETRC_PASSWORD=" CANARY "\0";
	struct ci_job j;
	const struct want w = {
		.provider = "drone",
		.repository = "octocat/hello-world",
		.run_id = "129",
		.triggering_actor = "octocat",
		.event = "tag",
		.ref = "v1.0.0",
		.server_url = "http://drone.local:8080",
		.tokens = { "DRONE_NETRC_PASSWORD" },
	};

	assert_int_equal(parse(BLOCK(env), &j), 0);
	expect_job(&j, &w);
	assert_no_canary(&j);
}

static void test_drone_system_url_refused(void **state)
{
	/* A host longer than the scratch buffer is dropped, not cut: a cut could leave a
	 * credential without its '@' looking like a host. */
	size_t hlen = 3000;
	const char *pre = "DRONE=true";
	const char *proto = "DRONE_SYSTEM_PROTO=https";
	const char *k = "DRONE_SYSTEM_HOST=";
	const char *post = "@drone.local";
	size_t len = strlen(pre) + 1 + strlen(proto) + 1 + strlen(k) + hlen + strlen(post) + 1;
	char *env = malloc(len), *p = env;
	struct ci_job j;

	assert_non_null(env);
	p = stpcpy(p, pre) + 1;
	p = stpcpy(p, proto) + 1;
	p = stpcpy(p, k);
	for (size_t i = 0; i < hlen; i += strlen(CANARY))
		memcpy(p + i, CANARY, hlen - i < strlen(CANARY) ? hlen - i : strlen(CANARY));
	p += hlen;
	strcpy(p, post);
	assert_int_equal(parse(env, len, &j), 0);
	assert_string_equal(j.server_url, "");
	assert_int_equal(j.truncated, 0);
	assert_no_canary(&j);
	free(env);
	/* Not a scheme, or one part missing: nothing. */
	assert_int_equal(parse(BLOCK("DRONE=true\0DRONE_SYSTEM_PROTO=ht tp\0"
				     "DRONE_SYSTEM_HOST=drone.local\0"),
			       &j),
			 0);
	assert_string_equal(j.server_url, "");
	assert_int_equal(parse(BLOCK("DRONE=true\0DRONE_SYSTEM_HOST=drone.local\0"), &j), 0);
	assert_string_equal(j.server_url, "");
}

/* A CodeBuild build started by a GitHub pull request webhook. */
static const char codebuild_env[] =
	"CODEBUILD_CI=true\0"
	"AWS_REGION=eu-west-1\0"
	"CODEBUILD_BUILD_ID=payments-ci:b1e6661e-e4f2-4156-9ab9-82a19e0c4f5a\0"
	"CODEBUILD_BUILD_ARN=arn:aws:codebuild:eu-west-1:123456789012:build/payments-ci:"
	"b1e6661e-e4f2-4156-9ab9-82a19e0c4f5a\0"
	"CODEBUILD_BUILD_NUMBER=558\0"
	"CODEBUILD_INITIATOR=GitHub-Hookshot/8a1b2c3\0"
	"CODEBUILD_SOURCE_REPO_URL=https://github.com/acme/payments\0"
	"CODEBUILD_SOURCE_VERSION=pr/1486\0"
	"CODEBUILD_RESOLVED_SOURCE_VERSION=c150e3a3d2d89acd1b1222bf6f7a50b45a4218c0\0"
	"CODEBUILD_WEBHOOK_ACTOR_ACCOUNT_ID=461164\0"
	"CODEBUILD_WEBHOOK_EVENT=PULL_REQUEST_UPDATED\0"
	"CODEBUILD_WEBHOOK_HEAD_REF=refs/heads/fix/rounding\0"
	"CODEBUILD_WEBHOOK_BASE_REF=refs/heads/main\0"
	"CODEBUILD_WEBHOOK_TRIGGER=pr/1486\0"
	"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI=/v2/credentials/" CANARY "\0";

static void test_codebuild_pull_request(void **state)
{
	struct ci_job j;
	const struct want w = {
		.provider = "aws_codebuild",
		.repository = "https://github.com/acme/payments",
		.workflow = "payments-ci",
		.run_id = "558",
		.job_id = "payments-ci:b1e6661e-e4f2-4156-9ab9-82a19e0c4f5a",
		.actor = "GitHub-Hookshot/8a1b2c3",
		.triggering_actor = "461164",
		.event = "PULL_REQUEST_UPDATED",
		.ref = "refs/heads/fix/rounding",
		.sha = "c150e3a3d2d89acd1b1222bf6f7a50b45a4218c0",
		.pull_request = "1486",
	};

	assert_int_equal(parse(BLOCK(codebuild_env), &j), 0);
	expect_job(&j, &w);
	assert_no_canary(&j);
}

static void test_codebuild_fallbacks(void **state)
{
	/* Started by hand: no build number (older images), no webhook. */
	static const char env[] = "CODEBUILD_BUILD_ID=nightly:"
				  "0f1e2d3c-4b5a-4978-8a7b-6c5d4e3f2a1b\0"
				  "CODEBUILD_INITIATOR=admin-role/jdoe\0"
				  "CODEBUILD_SOURCE_REPO_URL=https://jdoe:" CANARY
				  "@git-codecommit.eu-west-1.amazonaws.com/v1/repos/nightly\0"
				  "CODEBUILD_SOURCE_VERSION=refs/heads/main\0"
				  "CODEBUILD_WEBHOOK_TRIGGER=branch/main\0";
	struct ci_job j;
	const struct want w = {
		.provider = "aws_codebuild",
		.repository = "https://git-codecommit.eu-west-1.amazonaws.com/v1/repos/nightly",
		.workflow = "nightly",
		.run_id = "0f1e2d3c-4b5a-4978-8a7b-6c5d4e3f2a1b",
		.job_id = "nightly:0f1e2d3c-4b5a-4978-8a7b-6c5d4e3f2a1b",
		.actor = "admin-role/jdoe",
		.ref = "refs/heads/main",
	};

	assert_int_equal(parse(BLOCK(env), &j), 0);
	expect_job(&j, &w);
	assert_no_canary(&j);
	/* An id not of the documented form keeps only job_id; "pr/" needs digits. */
	assert_int_equal(parse(BLOCK("CODEBUILD_BUILD_ID=odd-id\0"
				     "CODEBUILD_WEBHOOK_TRIGGER=pr/12x\0"),
			       &j),
			 0);
	assert_string_equal(j.provider, "aws_codebuild");
	assert_string_equal(j.workflow, "");
	assert_string_equal(j.run_id, "");
	assert_string_equal(j.job_id, "odd-id");
	assert_string_equal(j.pull_request, "");
	assert_int_equal(parse(BLOCK("CODEBUILD_BUILD_ID=p:\0CODEBUILD_WEBHOOK_TRIGGER=pr/\0"), &j),
			 0);
	assert_string_equal(j.workflow, "p");
	assert_string_equal(j.run_id, "");
	assert_string_equal(j.pull_request, "");
	assert_int_equal(parse(BLOCK("CODEBUILD_BUILD_ID=\0CODEBUILD_BUILD_NUMBER=3\0"), &j),
			 -ENOENT);
}

/* CodeBuild also hosts GitHub Actions, GitLab and Buildkite runners: such a job carries
 * CODEBUILD_* variables and its own provider's marker, which wins. */
static void test_codebuild_hosted_runners(void **state)
{
	struct ci_job j;

	assert_int_equal(parse(BLOCK("CODEBUILD_BUILD_ID=runner-proj:9a8b\0"
				     "CODEBUILD_BUILD_NUMBER=4\0"
				     "GITHUB_ACTIONS=true\0GITHUB_RUN_ID=777\0"),
			       &j),
			 0);
	assert_string_equal(j.provider, "github_actions");
	assert_string_equal(j.run_id, "777");
	assert_int_equal(parse(BLOCK("CODEBUILD_BUILD_ID=runner-proj:9a8b\0"
				     "GITLAB_CI=true\0CI_PIPELINE_ID=5\0"),
			       &j),
			 0);
	assert_string_equal(j.provider, "gitlab_ci");
	assert_int_equal(parse(BLOCK("BUILDKITE=true\0CODEBUILD_BUILD_ID=runner-proj:9a8b\0"), &j),
			 0);
	assert_string_equal(j.provider, "buildkite");
}

static const char teamcity_env[] =
	"TEAMCITY_VERSION=2024.12.1 (build 174331)\0"
	"TEAMCITY_PROJECT_NAME=Backend\0"
	"TEAMCITY_BUILDCONF_NAME=Build and Test\0"
	"TEAMCITY_BUILD_PROPERTIES_FILE=/opt/buildagent/temp/buildTmp/"
	"teamcity.build5521.properties\0"
	"TEAMCITY_GIT_PATH=/usr/bin/git\0"
	"BUILD_NUMBER=1207\0"
	"BUILD_VCS_NUMBER=ad3c5e7f9b1d3f5a7c9e1b3d5f7a9c1e3b5d7f9a\0"
	"DEPLOY_PASSWORD=" CANARY "\0";

static void test_teamcity_build(void **state)
{
	struct ci_job j;
	const struct want w = {
		.provider = "teamcity",
		.repository = "Backend",
		.workflow = "Build and Test",
		.run_id = "1207",
		.sha = "ad3c5e7f9b1d3f5a7c9e1b3d5f7a9c1e3b5d7f9a",
	};

	assert_int_equal(parse(BLOCK(teamcity_env), &j), 0);
	expect_job(&j, &w);
	assert_no_canary(&j);
}

static void test_teamcity_over_jenkins(void **state)
{
	/* A TeamCity agent whose environment also carries Jenkins' variables. */
	static const char env[] = "JENKINS_HOME=/var/lib/jenkins\0"
				  "JENKINS_URL=https://jenkins.example.com/\0"
				  "JOB_NAME=legacy-deploy\0"
				  "BUILD_NUMBER=88\0"
				  "TEAMCITY_VERSION=2024.12.1 (build 174331)\0"
				  "TEAMCITY_BUILDCONF_NAME=Deploy\0";
	struct ci_job j;

	assert_int_equal(parse(BLOCK(env), &j), 0);
	assert_string_equal(j.provider, "teamcity");
	assert_string_equal(j.workflow, "Deploy");
	assert_string_equal(j.run_id, "88");
	assert_string_equal(j.server_url, "");
	/* The same block without TEAMCITY_VERSION is a Jenkins build. */
	assert_int_equal(parse(env, strlen("JENKINS_HOME=/var/lib/jenkins") + 1 +
					    strlen("JENKINS_URL=https://jenkins.example.com/") + 1 +
					    strlen("JOB_NAME=legacy-deploy") + 1 +
					    strlen("BUILD_NUMBER=88") + 1,
			       &j),
			 0);
	assert_string_equal(j.provider, "jenkins");
	assert_string_equal(j.workflow, "legacy-deploy");
	assert_int_equal(parse(BLOCK("TEAMCITY_VERSION=\0BUILD_NUMBER=1\0"), &j), -ENOENT);
}

/* Harness CI: a Run step of a build from a GitHub pull request. Harness exports Drone's
 * names for compatibility, DRONE=true among them in this block. */
static const char harness_env[] =
	"CI=true\0"
	"DRONE=true\0"
	"HARNESS_ACCOUNT_ID=px7xd_BFRCi-pfWPYXVjvw\0"
	"HARNESS_ORG_ID=default\0"
	"HARNESS_PROJECT_ID=payments\0"
	"HARNESS_PIPELINE_ID=build_and_push\0"
	"HARNESS_BUILD_ID=213\0"
	"HARNESS_STAGE_ID=build\0"
	"HARNESS_EXECUTION_ID=Xw3eIsAnTzKv1Lq0gYz4hA\0"
	"HARNESS_USER_ID=jdoe@example.com\0"
	"DRONE_REPO=acme/payments\0"
	"DRONE_BUILD_NUMBER=213\0"
	"DRONE_BUILD_EVENT=pull_request\0"
	"DRONE_STAGE_NAME=build\0"
	"DRONE_COMMIT_SHA=3f786850e387550fdab836ed7e6dc881de23001b\0"
	"DRONE_COMMIT_BRANCH=main\0"
	"DRONE_PULL_REQUEST=77\0"
	"DRONE_NETRC_MACHINE=github.com\0"
	"DRONE_NETRC_USERNAME=harness-bot\0"
	"DRONE_NETRC_PASSWORD=ghp_" CANARY "\0";

static void test_harness_pull_request(void **state)
{
	struct ci_job j;
	const struct want w = {
		.provider = "harness",
		.repository = "acme/payments",
		.workflow = "build_and_push",
		.run_id = "213",
		.job = "build",
		.actor = "jdoe@example.com",
		.event = "pull_request",
		.ref = "main",
		.sha = "3f786850e387550fdab836ed7e6dc881de23001b",
		.pull_request = "77",
		.tokens = { "DRONE_NETRC_USERNAME", "DRONE_NETRC_PASSWORD" },
	};

	assert_int_equal(parse(BLOCK(harness_env), &j), 0);
	expect_job(&j, &w);
	assert_no_canary(&j);
}

static void test_harness_not_drone(void **state)
{
	/* DRONE=true with HARNESS_BUILD_ID is Harness, whatever order they come in; without
	 * HARNESS_BUILD_ID the same block is a Drone build. */
	static const char env[] = "DRONE=true\0"
				  "DRONE_REPO=acme/payments\0"
				  "DRONE_BUILD_NUMBER=9\0"
				  "HARNESS_BUILD_ID=14\0";
	struct ci_job j;

	assert_int_equal(parse(BLOCK(env), &j), 0);
	assert_string_equal(j.provider, "harness");
	assert_string_equal(j.run_id, "14");
	assert_int_equal(parse(env, sizeof(env) - 1 - strlen("HARNESS_BUILD_ID=14") - 1, &j), 0);
	assert_string_equal(j.provider, "drone");
	assert_string_equal(j.run_id, "9");
	/* Harness's other variables without HARNESS_BUILD_ID name no provider. */
	assert_int_equal(parse(BLOCK("HARNESS_PIPELINE_ID=p\0HARNESS_ACCOUNT_ID=a\0"
				     "HARNESS_BUILD_ID=\0"),
			       &j),
			 -ENOENT);
}

/* A GoCD job: the agent sets GO_* for every task. */
static const char gocd_env[] =
	"GO_SERVER_URL=https://gocd.example.com:8154/go\0"
	"GO_ENVIRONMENT_NAME=production\0"
	"GO_PIPELINE_NAME=api-release\0"
	"GO_PIPELINE_COUNTER=2345\0"
	"GO_PIPELINE_LABEL=1.4.2345\0"
	"GO_STAGE_NAME=deploy\0"
	"GO_STAGE_COUNTER=2\0"
	"GO_JOB_NAME=push-image\0"
	"GO_TRIGGER_USER=mchen\0"
	"GO_REVISION=9b1d3f5a7c9e1b3d5f7a9c1e3b5d7f9aad3c5e7f\0"
	"GO_MATERIAL_HAS_CHANGED=true\0";

static void test_gocd_stage_rerun(void **state)
{
	struct ci_job j;
	const struct want w = {
		.provider = "gocd",
		.workflow = "api-release",
		.run_id = "2345",
		.run_attempt = "2",
		.job = "push-image",
		.actor = "mchen",
		.sha = "9b1d3f5a7c9e1b3d5f7a9c1e3b5d7f9aad3c5e7f",
		.server_url = "https://gocd.example.com:8154",
	};

	assert_int_equal(parse(BLOCK(gocd_env), &j), 0);
	expect_job(&j, &w);
}

static void test_gocd_needs_label(void **state)
{
	/* GO_PIPELINE_LABEL is the marker; the other GO_* names alone are not a job. */
	struct ci_job j;

	assert_int_equal(parse(BLOCK("GO_PIPELINE_NAME=api-release\0GO_PIPELINE_COUNTER=1\0"
				     "GO_SERVER_URL=https://gocd.example.com/go\0"),
			       &j),
			 -ENOENT);
	assert_int_equal(parse(BLOCK("GO_PIPELINE_LABEL=7\0GO_TRIGGER_USER=changes\0"), &j), 0);
	assert_string_equal(j.provider, "gocd");
	assert_string_equal(j.actor, "changes");
}

/* Bamboo exports its variables as bamboo_<name>. */
static const char bamboo_env[] =
	"bamboo_agentId=98305\0"
	"bamboo_planKey=PAY-API\0"
	"bamboo_buildKey=PAY-API-JOB1\0"
	"bamboo_buildNumber=418\0"
	"bamboo_buildResultKey=PAY-API-JOB1-418\0"
	"bamboo_buildResultsUrl=https://bamboo.example.com/browse/PAY-API-JOB1-418\0"
	"bamboo_planRepository_1_branchName=release/2.x\0"
	"bamboo_planRepository_1_revision=5d7f9aad3c5e7f9b1d3f5a7c9e1b3d5f7a9c1e3b\0"
	"bamboo_planRepository_1_repositoryUrl=https://git.example.com/pay/api.git\0"
	"bamboo_deploy_password=" CANARY "\0";

static void test_bamboo_build(void **state)
{
	struct ci_job j;
	const struct want w = {
		.provider = "bamboo",
		.workflow = "PAY-API",
		.run_id = "418",
		.job = "PAY-API-JOB1",
		.ref = "release/2.x",
		.sha = "5d7f9aad3c5e7f9b1d3f5a7c9e1b3d5f7a9c1e3b",
		.server_url = "https://bamboo.example.com",
	};

	assert_int_equal(parse(BLOCK(bamboo_env), &j), 0);
	expect_job(&j, &w);
	assert_no_canary(&j);
	/* Either marker will do; names are matched exactly, case included. */
	assert_int_equal(parse(BLOCK("bamboo_planKey=PAY-API\0"), &j), 0);
	assert_string_equal(j.provider, "bamboo");
	assert_int_equal(parse(BLOCK("BAMBOO_PLANKEY=PAY-API\0BAMBOO_AGENTID=1\0"), &j), -ENOENT);
}

/* AppVeyor on a Linux image, building a pull request. */
static const char appveyor_env[] =
	"APPVEYOR=True\0"
	"CI=True\0"
	"APPVEYOR_URL=https://ci.appveyor.com\0"
	"APPVEYOR_PROJECT_SLUG=widgets-linux\0"
	"APPVEYOR_REPO_NAME=acme/widgets\0"
	"APPVEYOR_BUILD_NUMBER=1093\0"
	"APPVEYOR_BUILD_VERSION=1.0.1093\0"
	"APPVEYOR_JOB_ID=ud6p3oyg3a6xw3f4\0"
	"APPVEYOR_JOB_NUMBER=2\0"
	"APPVEYOR_REPO_BRANCH=main\0"
	"APPVEYOR_REPO_COMMIT=0a1b2c3d4e5f60718293a4b5c6d7e8f901234567\0"
	"APPVEYOR_PULL_REQUEST_NUMBER=311\0"
	"APPVEYOR_PULL_REQUEST_HEAD_REPO_BRANCH=feature/x\0";

static void test_appveyor_pull_request(void **state)
{
	struct ci_job j;
	const struct want w = {
		.provider = "appveyor",
		.repository = "acme/widgets",
		.workflow = "widgets-linux",
		.run_id = "1093",
		.job = "2",
		.job_id = "ud6p3oyg3a6xw3f4",
		.ref = "main",
		.sha = "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567",
		.pull_request = "311",
	};

	assert_int_equal(parse(BLOCK(appveyor_env), &j), 0);
	expect_job(&j, &w);
	/* A tag build: the tag is the ref. A marker that is not "true" does not count. */
	assert_int_equal(parse(BLOCK("APPVEYOR=true\0APPVEYOR_REPO_BRANCH=main\0"
				     "APPVEYOR_REPO_TAG_NAME=v1.0.1\0"),
			       &j),
			 0);
	assert_string_equal(j.ref, "v1.0.1");
	assert_int_equal(parse(BLOCK("APPVEYOR=1\0APPVEYOR_BUILD_NUMBER=5\0"), &j), -ENOENT);
}

/* Cirrus CI, a pull request task; CIRRUS_OIDC_TOKEN is the task's OIDC token. */
static const char cirrus_env[] =
	"CI=true\0"
	"CIRRUS_CI=true\0"
	"CIRRUS_REPO_FULL_NAME=acme/engine\0"
	"CIRRUS_REPO_OWNER=acme\0"
	"CIRRUS_BUILD_ID=6254017428176896\0"
	"CIRRUS_TASK_ID=5061750573424640\0"
	"CIRRUS_TASK_NAME=test-linux\0"
	"CIRRUS_BRANCH=pull/58\0"
	"CIRRUS_BASE_BRANCH=main\0"
	"CIRRUS_CHANGE_IN_REPO=7c9e1b3d5f7a9c1e3b5d7f9aad3c5e7f9b1d3f5a\0"
	"CIRRUS_PR=58\0"
	"CIRRUS_OIDC_TOKEN=eyJ" CANARY "\0";

static void test_cirrus_pull_request(void **state)
{
	struct ci_job j;
	const struct want w = {
		.provider = "cirrus_ci",
		.repository = "acme/engine",
		.run_id = "6254017428176896",
		.job_id = "5061750573424640",
		.ref = "pull/58",
		.sha = "7c9e1b3d5f7a9c1e3b5d7f9aad3c5e7f9b1d3f5a",
		.pull_request = "58",
		.tokens = { "CIRRUS_OIDC_TOKEN" },
	};

	assert_int_equal(parse(BLOCK(cirrus_env), &j), 0);
	expect_job(&j, &w);
	assert_no_canary(&j);
	assert_int_equal(parse(BLOCK("CIRRUS_CI=true\0CIRRUS_BRANCH=main\0CIRRUS_TAG=v2.1\0"), &j),
			 0);
	assert_string_equal(j.ref, "v2.1");
}

/* Bitrise, a branch build (BITRISE_PULL_REQUEST is "false" outside pull requests). */
static const char bitrise_env[] =
	"CI=true\0"
	"BITRISE_IO=true\0"
	"BITRISE_APP_SLUG=9c1e3b5d7f9aad3c\0"
	"BITRISE_BUILD_NUMBER=771\0"
	"BITRISE_BUILD_SLUG=f7a9c1e3b5d7f9aa\0"
	"BITRISE_BUILD_URL=https://app.bitrise.io/build/f7a9c1e3b5d7f9aa\0"
	"BITRISE_GIT_BRANCH=develop\0"
	"BITRISE_GIT_COMMIT=1e3b5d7f9aad3c5e7f9b1d3f5a7c9e1b3d5f7a9c\0"
	"BITRISE_PULL_REQUEST=false\0"
	"BITRISE_TRIGGERED_WORKFLOW_ID=primary\0";

static void test_bitrise_branch_build(void **state)
{
	struct ci_job j;
	const struct want w = {
		.provider = "bitrise",
		.repository = "9c1e3b5d7f9aad3c",
		.run_id = "771",
		.ref = "develop",
		.sha = "1e3b5d7f9aad3c5e7f9b1d3f5a7c9e1b3d5f7a9c",
		.server_url = "https://app.bitrise.io",
	};

	assert_int_equal(parse(BLOCK(bitrise_env), &j), 0);
	expect_job(&j, &w);
	assert_int_equal(parse(BLOCK("BITRISE_IO=true\0BITRISE_GIT_BRANCH=feature/a\0"
				     "BITRISE_GIT_TAG=2.0.0\0BITRISE_PULL_REQUEST=12\0"),
			       &j),
			 0);
	assert_string_equal(j.ref, "2.0.0");
	assert_string_equal(j.pull_request, "12");
}

/* Buddy, a pull request execution. */
static const char buddy_env[] =
	"BUDDY=true\0"
	"CI=true\0"
	"BUDDY_WORKSPACE_ID=48211\0"
	"BUDDY_WORKSPACE_DOMAIN=acme\0"
	"BUDDY_REPO_SLUG=acme/storefront\0"
	"BUDDY_PIPELINE_NAME=Test PRs\0"
	"BUDDY_EXECUTION_ID=94\0"
	"BUDDY_EXECUTION_BRANCH=feature/cart\0"
	"BUDDY_EXECUTION_REVISION=5f7a9c1e3b5d7f9aad3c5e7f9b1d3f5a7c9e1b3d\0"
	"BUDDY_EXECUTION_PULL_REQUEST_ID=refs/pull/19/head\0"
	"BUDDY_EXECUTION_URL=https://app.buddy.works/acme/storefront/pipelines/pipeline/7/"
	"execution/94?tab=log\0";

static void test_buddy_pull_request(void **state)
{
	struct ci_job j;
	const struct want w = {
		.provider = "buddy",
		.repository = "acme/storefront",
		.run_id = "94",
		.ref = "feature/cart",
		.sha = "5f7a9c1e3b5d7f9aad3c5e7f9b1d3f5a7c9e1b3d",
		.pull_request = "19",
		.server_url = "https://app.buddy.works",
	};

	assert_int_equal(parse(BLOCK(buddy_env), &j), 0);
	expect_job(&j, &w);
	/* A pull request id without digits gives none; a tag is the ref. */
	assert_int_equal(parse(BLOCK("BUDDY_WORKSPACE_ID=1\0BUDDY_EXECUTION_PULL_REQUEST_ID=none\0"
				     "BUDDY_EXECUTION_BRANCH=main\0BUDDY_EXECUTION_TAG=v3\0"),
			       &j),
			 0);
	assert_string_equal(j.pull_request, "");
	assert_string_equal(j.ref, "v3");
}

/* Codefresh, a pull request build; CF_OIDC_REQUEST_TOKEN lets a step ask for an OIDC
 * token. */
static const char codefresh_env[] =
	"CF_BUILD_ID=65a1f0c2d3e4b5a697887766\0"
	"CF_BUILD_URL=https://g.codefresh.io/build/65a1f0c2d3e4b5a697887766\0"
	"CF_REPO_OWNER=acme\0"
	"CF_REPO_NAME=billing\0"
	"CF_BRANCH=fix/invoice-rounding\0"
	"CF_REVISION=ad3c5e7f9b1d3f5a7c9e1b3d5f7a9c1e3b5d7f9a\0"
	"CF_PULL_REQUEST_NUMBER=264\0"
	"CF_PULL_REQUEST_TARGET=main\0"
	"CF_OIDC_REQUEST_URL=https://g.codefresh.io/api/oidc/token\0"
	"CF_OIDC_REQUEST_TOKEN=" CANARY "\0";

static void test_codefresh_pull_request(void **state)
{
	struct ci_job j;
	const struct want w = {
		.provider = "codefresh",
		.repository = "acme/billing",
		.run_id = "65a1f0c2d3e4b5a697887766",
		.ref = "fix/invoice-rounding",
		.sha = "ad3c5e7f9b1d3f5a7c9e1b3d5f7a9c1e3b5d7f9a",
		.pull_request = "264",
		.server_url = "https://g.codefresh.io",
		.tokens = { "CF_OIDC_REQUEST_TOKEN" },
	};

	assert_int_equal(parse(BLOCK(codefresh_env), &j), 0);
	expect_job(&j, &w);
	assert_no_canary(&j);
}

static void test_codefresh_not_cloudflare(void **state)
{
	/* Cloudflare Pages also uses CF_ names; only CF_BUILD_ID names Codefresh. An owner
	 * without a name gives no repository; CF_PULL_REQUEST_ID stands in for the number. */
	struct ci_job j;

	assert_int_equal(parse(BLOCK("CF_PAGES=1\0CF_PAGES_BRANCH=main\0"
				     "CF_PAGES_COMMIT_SHA=ad3c5e7f\0"
				     "CF_PAGES_URL=https://x.pages.dev\0"),
			       &j),
			 -ENOENT);
	assert_int_equal(parse(BLOCK("CF_BUILD_ID=1\0CF_REPO_OWNER=acme\0CF_PULL_REQUEST_ID=8\0"),
			       &j),
			 0);
	assert_string_equal(j.provider, "codefresh");
	assert_string_equal(j.repository, "");
	assert_string_equal(j.pull_request, "8");
}

/* Screwdriver, a pull request build; SD_TOKEN is the build's JWT for Screwdriver's API. */
static const char screwdriver_env[] =
	"CI=true\0"
	"SCREWDRIVER=true\0"
	"SD_PIPELINE_ID=1204\0"
	"SD_PIPELINE_NAME=acme/router\0"
	"SD_JOB_ID=5871\0"
	"SD_JOB_NAME=PR-42:main\0"
	"SD_BUILD_ID=339012\0"
	"SD_BUILD_SHA=b5d7f9aad3c5e7f9b1d3f5a7c9e1b3d5f7a9c1e3\0"
	"SD_PULL_REQUEST=42\0"
	"SD_UI_BUILD_URL=https://cd.screwdriver.example.com/pipelines/1204/builds/339012\0"
	"GIT_BRANCH=feature/router-v2\0"
	"SD_TOKEN=" CANARY "\0";

static void test_screwdriver_pull_request(void **state)
{
	struct ci_job j;
	const struct want w = {
		.provider = "screwdriver",
		.repository = "acme/router",
		.run_id = "339012",
		.job = "PR-42:main",
		.job_id = "5871",
		.ref = "feature/router-v2",
		.sha = "b5d7f9aad3c5e7f9b1d3f5a7c9e1b3d5f7a9c1e3",
		.pull_request = "42",
		.server_url = "https://cd.screwdriver.example.com",
		.tokens = { "SD_TOKEN" },
	};

	assert_int_equal(parse(BLOCK(screwdriver_env), &j), 0);
	expect_job(&j, &w);
	assert_no_canary(&j);
	/* SD_PULL_REQUEST is empty outside pull requests. */
	assert_int_equal(parse(BLOCK("SCREWDRIVER=true\0SD_PULL_REQUEST=\0GIT_BRANCH=main\0"), &j),
			 0);
	assert_string_equal(j.pull_request, "");
	assert_string_equal(j.ref, "main");
}

static void test_screwdriver_git_branch_not_jenkins(void **state)
{
	/* GIT_BRANCH, shared with Jenkins' git plugin, names no provider by itself, and is
	 * read for Screwdriver only under its marker. */
	struct ci_job j;

	assert_int_equal(parse(BLOCK("GIT_BRANCH=origin/main\0SD_BUILD_ID=3\0SCREWDRIVER=false\0"),
			       &j),
			 -ENOENT);
	assert_int_equal(parse(BLOCK("SCREWDRIVER=true\0JENKINS_URL=https://j/\0JOB_NAME=a\0"
				     "BUILD_NUMBER=4\0GIT_BRANCH=origin/main\0SD_BUILD_ID=3\0"),
			       &j),
			 0);
	assert_string_equal(j.provider, "screwdriver");
	assert_string_equal(j.run_id, "3");
}

/* Vela, a pull request build; VELA_NETRC_PASSWORD holds the forge's token. */
static const char vela_env[] =
	"VELA=true\0"
	"CI=true\0"
	"VELA_ADDR=https://vela.example.com\0"
	"VELA_REPO_FULL_NAME=octocat/hello-world\0"
	"VELA_BUILD_NUMBER=57\0"
	"VELA_BUILD_EVENT=pull_request\0"
	"VELA_BUILD_SENDER=NealColeman\0"
	"VELA_BUILD_AUTHOR=octocat\0"
	"VELA_BUILD_BRANCH=main\0"
	"VELA_BUILD_COMMIT=7fd1a60b01f91b314f59955a4e4d4e80d8edf11d\0"
	"VELA_BUILD_REF=refs/pull/6/head\0"
	"VELA_BUILD_PULL_REQUEST=6\0"
	"VELA_BUILD_LINK=https://vela.example.com/octocat/hello-world/57\0"
	"VELA_STEP_NAME=test\0"
	"VELA_NETRC_MACHINE=github.com\0"
	"VELA_NETRC_USERNAME=x-oauth-basic\0"
	"VELA_NETRC_PASSWORD=gho_" CANARY "\0"
	"VELA_ID_TOKEN_REQUEST_TOKEN=ey" CANARY "\0";

static void test_vela_pull_request(void **state)
{
	struct ci_job j;
	const struct want w = {
		.provider = "vela",
		.repository = "octocat/hello-world",
		.run_id = "57",
		.job = "test",
		.actor = "NealColeman",
		.event = "pull_request",
		.ref = "main",
		.sha = "7fd1a60b01f91b314f59955a4e4d4e80d8edf11d",
		.pull_request = "6",
		.server_url = "https://vela.example.com",
		.tokens = { "VELA_NETRC_USERNAME", "VELA_NETRC_PASSWORD",
			    "VELA_ID_TOKEN_REQUEST_TOKEN" },
	};

	assert_int_equal(parse(BLOCK(vela_env), &j), 0);
	expect_job(&j, &w);
	assert_no_canary(&j);
	assert_int_equal(parse(BLOCK("VELA=true\0VELA_BUILD_BRANCH=main\0VELA_BUILD_TAG=v1.0.0\0"),
			       &j),
			 0);
	assert_string_equal(j.ref, "v1.0.0");
	/* CI=vela (older workers) is no marker by itself. */
	assert_int_equal(parse(BLOCK("CI=vela\0VELA_BUILD_NUMBER=3\0"), &j), -ENOENT);
}

/* A Prow presubmit job's pod (pod-utils' downward API environment). */
static const char prow_env[] =
	"CI=true\0"
	"JOB_NAME=pull-kubernetes-unit\0"
	"JOB_TYPE=presubmit\0"
	"JOB_SPEC={\"type\":\"presubmit\",\"job\":\"pull-kubernetes-unit\"}\0"
	"BUILD_ID=1863227046493097984\0"
	"BUILD_NUMBER=1863227046493097984\0"
	"PROW_JOB_ID=4f0c6b9e-2a1d-11ef-9d3a-0a580a800b2f\0"
	"REPO_OWNER=kubernetes\0"
	"REPO_NAME=kubernetes\0"
	"PULL_BASE_REF=master\0"
	"PULL_BASE_SHA=9d3a0a580a800b2f4f0c6b9e2a1d11ef9d3a0a58\0"
	"PULL_NUMBER=128734\0"
	"PULL_PULL_SHA=0a800b2f4f0c6b9e2a1d11ef9d3a0a580a800b2f\0"
	"PULL_REFS=master:9d3a0a58,128734:0a800b2f\0";

static void test_prow_presubmit(void **state)
{
	struct ci_job j;
	const struct want w = {
		.provider = "prow",
		.repository = "kubernetes/kubernetes",
		.workflow = "pull-kubernetes-unit",
		.run_id = "1863227046493097984",
		.job_id = "4f0c6b9e-2a1d-11ef-9d3a-0a580a800b2f",
		.event = "presubmit",
		.ref = "master",
		.sha = "0a800b2f4f0c6b9e2a1d11ef9d3a0a580a800b2f",
		.pull_request = "128734",
	};

	assert_int_equal(parse(BLOCK(prow_env), &j), 0);
	expect_job(&j, &w);
}

static void test_prow_over_jenkins(void **state)
{
	/* A Jenkins build that Prow started carries Jenkins' variables and PROW_JOB_ID: Prow
	 * names it. Without PROW_JOB_ID the same block is a Jenkins build; Prow's names alone
	 * (a periodic job without PROW_JOB_ID) are no job. */
#define PROW_ID "PROW_JOB_ID=0b2f4f0c-6b9e-11ef-9d3a-0a580a800b2f"
	static const char env[] = PROW_ID "\0"
				  "JENKINS_URL=https://jenkins.example.com/\0"
				  "JOB_NAME=ci-e2e-nightly\0"
				  "BUILD_NUMBER=8812\0"
				  "BUILD_ID=8812\0"
				  "JOB_TYPE=periodic\0";
	struct ci_job j;

	assert_int_equal(parse(BLOCK(env), &j), 0);
	assert_string_equal(j.provider, "prow");
	assert_string_equal(j.workflow, "ci-e2e-nightly");
	assert_string_equal(j.run_id, "8812");
	assert_string_equal(j.event, "periodic");
	assert_string_equal(j.repository, "");
	assert_int_equal(parse(env + sizeof(PROW_ID), sizeof(env) - 1 - sizeof(PROW_ID), &j), 0);
#undef PROW_ID
	assert_string_equal(j.provider, "jenkins");
	assert_int_equal(parse(BLOCK("JOB_NAME=ci-e2e\0BUILD_ID=9\0JOB_TYPE=periodic\0"
				     "REPO_OWNER=kubernetes\0"),
			       &j),
			 -ENOENT);
}

static void test_marker_only_providers(void **state)
{
	/* Sourcehut and Google Cloud Build are named; no other variable of theirs is read. */
	static const char sourcehut[] = "CI=true\0CI_NAME=sourcehut\0JOB_ID=1183202\0"
					"JOB_URL=https://builds.sr.ht/~alice/job/1183202\0";
	static const char cloud_build[] = "BUILDER_OUTPUT=/builder/outputs\0HOME=/builder/home\0"
					  "BUILD_ID=2d1f3a7c-5e9b-4c8d-a1f0-9e8d7c6b5a43\0"
					  "PROJECT_ID=acme-prod\0";
	struct ci_job j;
	const struct want srht = { .provider = "sourcehut" };
	const struct want gcb = { .provider = "google_cloud_build" };
	char buf[64];

	assert_int_equal(parse(BLOCK(sourcehut), &j), 0);
	expect_job(&j, &srht);
	ci_job_short_id(&j, buf, sizeof(buf));
	assert_string_equal(buf, "sourcehut");
	assert_int_equal(parse(BLOCK(cloud_build), &j), 0);
	expect_job(&j, &gcb);
	/* CI_NAME names other providers too (Codeship): only "sourcehut" counts. */
	assert_int_equal(parse(BLOCK("CI_NAME=codeship\0"), &j), -ENOENT);
	assert_int_equal(parse(BLOCK("CI_NAME=SourceHut\0"), &j), 0);
	assert_string_equal(j.provider, "sourcehut");
}

/* Every provider's marker, lowest priority first: with the markers of providers i..n-1
 * all present, provider i wins. */
static void test_provider_priority_all(void **state)
{
	static const struct {
		const char *provider, *marker; /* marker may hold several entries */
	} order[] = {
		{ "forgejo_actions", "FORGEJO_ACTIONS=true" },
		{ "gitea_actions", "GITEA_ACTIONS=true" },
		{ "github_actions", "GITHUB_ACTIONS=true" },
		{ "gitlab_ci", "GITLAB_CI=true" },
		{ "buildkite", "BUILDKITE=true" },
		{ "circleci", "CIRCLECI=true" },
		{ "azure_pipelines", "TF_BUILD=True" },
		{ "bitbucket_pipelines", "BITBUCKET_BUILD_NUMBER=1\nBITBUCKET_COMMIT=abc" },
		{ "travis_ci", "TRAVIS=true" },
		{ "semaphore", "SEMAPHORE=true" },
		{ "harness", "HARNESS_BUILD_ID=5" },
		{ "woodpecker", "CI=woodpecker" },
		{ "drone", "DRONE=true" },
		{ "aws_codebuild", "CODEBUILD_BUILD_ID=proj:0f1e" },
		{ "teamcity", "TEAMCITY_VERSION=2024.12" },
		{ "gocd", "GO_PIPELINE_LABEL=12" },
		{ "bamboo", "bamboo_planKey=P-P" },
		{ "appveyor", "APPVEYOR=True" },
		{ "cirrus_ci", "CIRRUS_CI=true" },
		{ "bitrise", "BITRISE_IO=true" },
		{ "buddy", "BUDDY_WORKSPACE_ID=3" },
		{ "codefresh", "CF_BUILD_ID=65a1" },
		{ "screwdriver", "SCREWDRIVER=true" },
		{ "vela", "VELA=true" },
		{ "prow", "PROW_JOB_ID=4f0c" },
		{ "sourcehut", "CI_NAME=sourcehut" },
		{ "google_cloud_build", "BUILDER_OUTPUT=/builder/outputs" },
		{ "jenkins", "JENKINS_URL=https://j/\nJOB_NAME=j\nBUILD_NUMBER=2" },
	};
	const size_t n = sizeof(order) / sizeof(order[0]);
	char env[1024];
	struct ci_job j;

	for (size_t i = 0; i < n; i++) {
		size_t len = 0;

		for (size_t k = n; k-- > i;) {
			size_t m = strlen(order[k].marker);

			assert_true(len + m + 1 <= sizeof(env));
			memcpy(env + len, order[k].marker, m + 1);
			for (size_t c = len; c < len + m; c++)
				if (env[c] == '\n')
					env[c] = '\0';
			len += m + 1;
		}
		assert_int_equal(parse(env, len, &j), 0);
		assert_string_equal(j.provider, order[i].provider);
	}
}

static void test_provider_priority(void **state)
{
	static const char env[] = "TF_BUILD=True\0"
				  "BUILD_BUILDID=1\0"
				  "JENKINS_URL=https://j/\0"
				  "JOB_NAME=j\0"
				  "BUILD_NUMBER=2\0"
				  "GITLAB_CI=true\0"
				  "CI_PIPELINE_ID=3\0"
				  "GITHUB_ACTIONS=true\0"
				  "GITHUB_RUN_ID=4\0";
	struct ci_job j;

	assert_int_equal(parse(BLOCK(env), &j), 0);
	assert_string_equal(j.provider, "github_actions");
	assert_string_equal(j.run_id, "4");
	/* Without GitHub's marker, GitLab outranks Azure and Jenkins. */
	assert_int_equal(parse(env, sizeof(env) - 1 - strlen("GITHUB_ACTIONS=true") - 1 -
					    strlen("GITHUB_RUN_ID=4") - 1,
			       &j),
			 0);
	assert_string_equal(j.provider, "gitlab_ci");
	assert_string_equal(j.run_id, "3");
	assert_int_equal(parse(BLOCK("JENKINS_URL=https://j/\0JOB_NAME=j\0BUILD_NUMBER=2\0"
				     "TF_BUILD=true\0BUILD_BUILDID=1\0"),
			       &j),
			 0);
	assert_string_equal(j.provider, "azure_pipelines");
}

/* ---- no CI, bad arguments ---- */

static void test_no_provider(void **state)
{
	static const char env[] = "PATH=/usr/bin\0HOME=/root\0TERM=xterm\0CI=true\0";
	struct ci_job j, zero;

	memset(&j, 0xa5, sizeof(j));
	memset(&zero, 0, sizeof(zero));
	assert_int_equal(parse(BLOCK(env), &j), -ENOENT);
	assert_string_equal(j.provider, "");
	assert_memory_equal(&j, &zero, sizeof(j));
}

static void test_no_provider_still_lists_tokens(void **state)
{
	static const char env[] = "HOME=/root\0GITHUB_TOKEN=ghp_" CANARY "\0";
	struct ci_job j;
	const struct want w = { .tokens = { "GITHUB_TOKEN" } };

	assert_int_equal(parse(BLOCK(env), &j), -ENOENT);
	expect_job(&j, &w);
	assert_no_canary(&j);
}

static void test_empty_block(void **state)
{
	struct ci_job j;

	assert_int_equal(ci_env_parse(NULL, 0, &j), -ENOENT);
	assert_string_equal(j.provider, "");
	assert_int_equal(ci_env_parse("", 0, &j), -ENOENT);
	assert_int_equal(parse(BLOCK("\0\0\0"), &j), -ENOENT);
	assert_int_equal(j.truncated, 0);
}

static void test_bad_arguments(void **state)
{
	struct ci_job j;

	assert_int_equal(ci_env_parse(BLOCK("GITHUB_ACTIONS=true\0"), NULL), -EINVAL);
	memset(&j, 0xa5, sizeof(j));
	assert_int_equal(ci_env_parse(NULL, 10, &j), -EINVAL);
	assert_string_equal(j.provider, "");
	assert_int_equal(j.n_token_vars, 0);
}

/* ---- hostile blocks ---- */

static void test_truncated_block_drops_last_entry(void **state)
{
	/* A bounded copy cut GITHUB_RUN_ID mid-value: no final NUL. */
	static const char env[] = "GITHUB_ACTIONS=true\0"
				  "GITHUB_REPOSITORY=octo/repo\0"
				  "GITHUB_RUN_ID=12345";
	struct ci_job j;

	assert_int_equal(parse(env, sizeof(env) - 1, &j), 0);
	assert_string_equal(j.provider, "github_actions");
	assert_string_equal(j.repository, "octo/repo");
	assert_string_equal(j.run_id, "");
	assert_int_equal(j.truncated, CI_TRUNC_ENV);
}

static void test_truncated_block_every_length(void **state)
{
	/* Every prefix of a real block parses, and never yields a partial value. */
	struct ci_job j;

	for (size_t len = 0; len <= sizeof(github_env) - 1; len++) {
		int rc = parse(github_env, len, &j);

		assert_true(rc == 0 || rc == -ENOENT);
		assert_no_canary(&j);
		if (rc == 0 && j.run_id[0])
			assert_string_equal(j.run_id, "9876543210");
		if (j.sha[0])
			assert_string_equal(j.sha, "ffac537e6cbbf934b08745a378932722df287a53");
		if (len > 0 && github_env[len - 1] != '\0')
			assert_true(j.truncated & CI_TRUNC_ENV);
		else
			assert_false(j.truncated & CI_TRUNC_ENV);
	}
}

static void test_marker_cut_is_not_trusted(void **state)
{
	struct ci_job j;

	assert_int_equal(parse(BLOCK("HOME=/\0GITHUB_ACTIONS=true"), &j), -ENOENT);
	assert_int_equal(j.truncated, CI_TRUNC_ENV);
	assert_int_equal(parse(BLOCK("GITHUB_ACTIONS=true\0GITHUB_TOKEN=abc"), &j), 0);
	assert_int_equal(j.n_token_vars, 0);
}

static void test_entries_without_equals(void **state)
{
	static const char env[] = "GITHUB_ACTIONS=true\0"
				  "GITHUB_RUN_ID\0"
				  "garbage\0"
				  "\0"
				  "=orphan\0"
				  "=GITHUB_RUN_ID=666\0"
				  "GITHUB_RUN_ID=777\0"
				  "GITHUB_JOB\0"
				  "GITHUB_JOB=a=b\0";
	struct ci_job j;

	assert_int_equal(parse(BLOCK(env), &j), 0);
	assert_string_equal(j.run_id, "777");
	assert_string_equal(j.job, "a=b");
	assert_int_equal(j.truncated, 0);
}

static void test_keys_match_exactly(void **state)
{
	static const char env[] = "GITHUB_ACTIONS=true\0"
				  "GITHUB_RUN_IDX=1\0"
				  "XGITHUB_RUN_ID=2\0"
				  "github_run_id=3\0"
				  "GITHUB_RUN_I=4\0"
				  "GITHUB_TOKEN_URL=https://x\0"
				  "MY_GITHUB_TOKEN=" CANARY "\0";
	struct ci_job j;

	assert_int_equal(parse(BLOCK(env), &j), 0);
	assert_string_equal(j.run_id, "");
	assert_int_equal(j.n_token_vars, 0);
	assert_no_canary(&j);
}

static void test_duplicates_first_wins(void **state)
{
	static const char env[] = "GITHUB_ACTIONS=true\0"
				  "GITHUB_RUN_ID=111\0"
				  "GITHUB_ACTOR=\0"
				  "GITHUB_RUN_ID=222\0"
				  "GITHUB_ACTOR=mallory\0"
				  "GITHUB_ACTIONS=false\0";
	struct ci_job j;

	assert_int_equal(parse(BLOCK(env), &j), 0);
	assert_string_equal(j.provider, "github_actions");
	assert_string_equal(j.run_id, "111");
	/* The first GITHUB_ACTOR is empty, and it still wins, as with getenv(). */
	assert_string_equal(j.actor, "");
}

static void test_duplicate_marker_first_wins(void **state)
{
	struct ci_job j;

	assert_int_equal(parse(BLOCK("GITHUB_ACTIONS=false\0GITHUB_ACTIONS=true\0"), &j), -ENOENT);
}

static void test_long_value_truncated(void **state)
{
	size_t vlen = 5000, pre = strlen("GITHUB_ACTIONS=true") + 1;
	size_t klen = strlen("GITHUB_WORKFLOW=");
	size_t len = pre + klen + vlen + 1 + strlen("GITHUB_RUN_ID=8") + 1;
	char *env = malloc(len);
	struct ci_job j;
	char want[CI_VALUE_MAX];

	assert_non_null(env);
	memcpy(env, "GITHUB_ACTIONS=true", pre);
	memcpy(env + pre, "GITHUB_WORKFLOW=", klen);
	memset(env + pre + klen, 'w', vlen);
	env[pre + klen + vlen] = '\0';
	memcpy(env + pre + klen + vlen + 1, "GITHUB_RUN_ID=8", strlen("GITHUB_RUN_ID=8") + 1);
	assert_int_equal(parse(env, len, &j), 0);
	memset(want, 'w', sizeof(want) - 1);
	want[sizeof(want) - 1] = '\0';
	assert_string_equal(j.workflow, want);
	assert_int_equal(strlen(j.workflow), CI_VALUE_MAX - 1);
	assert_int_equal(j.truncated, CI_TRUNC_WORKFLOW);
	assert_string_equal(j.run_id, "8");
	free(env);
}

static void test_value_exactly_fits(void **state)
{
	char env[64] = "GITHUB_ACTIONS=true";
	size_t off = strlen(env) + 1;
	struct ci_job j;

	/* run_attempt[16] holds 15 bytes: 15 fits, 16 is cut. */
	off += (size_t)sprintf(env + off, "GITHUB_RUN_ATTEMPT=123456789012345") + 1;
	assert_int_equal(parse(env, off, &j), 0);
	assert_string_equal(j.run_attempt, "123456789012345");
	assert_int_equal(j.truncated, 0);
	off = strlen(env) + 1;
	off += (size_t)sprintf(env + off, "GITHUB_RUN_ATTEMPT=1234567890123456") + 1;
	assert_int_equal(parse(env, off, &j), 0);
	assert_string_equal(j.run_attempt, "123456789012345");
	assert_int_equal(j.truncated, CI_TRUNC_RUN_ATTEMPT);
}

static void test_utf8_cut_on_char_boundary(void **state)
{
	/* 200 x U+00E9 (2 bytes) into 256 bytes: 127 characters, never half of one. */
	char env[600] = "GITHUB_ACTIONS=true";
	size_t off = strlen(env) + 1;
	struct ci_job j;

	off += (size_t)sprintf(env + off, "GITHUB_JOB=");
	for (int i = 0; i < 200; i++) {
		env[off++] = '\xc3';
		env[off++] = '\xa9';
	}
	env[off++] = '\0';
	assert_int_equal(parse(env, off, &j), 0);
	assert_int_equal(strlen(j.job), 254);
	for (int i = 0; i < 254; i += 2)
		assert_memory_equal(j.job + i, "\xc3\xa9", 2);
	assert_int_equal(j.truncated, CI_TRUNC_JOB);
}

static void test_non_utf8_and_controls_replaced(void **state)
{
	static const char env[] = "GITHUB_ACTIONS=true\0"
				  "GITHUB_ACTOR=a\xff" "b\xc3(c\x1b[31m\x7f\0"
				  "GITHUB_JOB=\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80\xc2\x85!\0"
				  "GITHUB_WORKFLOW=caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x9a\x80\0"
				  "GITHUB_REF=\xe2\x9c\0";
	struct ci_job j;

	assert_int_equal(parse(BLOCK(env), &j), 0);
	assert_string_equal(j.actor, "a?b?(c?[31m?");
	/* overlong, surrogate, above U+10FFFF and a C1 control: every byte is replaced */
	assert_string_equal(j.job, "??????????" "?!");
	assert_string_equal(j.workflow, "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x9a\x80");
	assert_string_equal(j.ref, "??");
	assert_int_equal(j.truncated, 0);
}

/* ---- secrets ---- */

static void test_canary_github_token(void **state)
{
	static const char env[] = "GITHUB_TOKEN=" CANARY "\0"
				  "GITHUB_ACTIONS=true\0"
				  "GITHUB_RUN_ID=1\0"
				  "GITHUB_TOKEN=" CANARY "\0";
	struct ci_job j;

	assert_int_equal(parse(BLOCK(env), &j), 0);
	assert_no_canary(&j);
	assert_int_equal(j.n_token_vars, 1);
	assert_string_equal(j.token_vars[0], "GITHUB_TOKEN");
}

static void test_canary_ci_job_token(void **state)
{
	static const char env[] = "GITLAB_CI=true\0"
				  "CI_JOB_TOKEN=" CANARY "\0"
				  "CI_PROJECT_PATH=g/p\0"
				  "CI_SERVER_URL=https://gitlab-ci-token:" CANARY
				  "@gitlab.example.com\0";
	struct ci_job j;

	assert_int_equal(parse(BLOCK(env), &j), 0);
	assert_no_canary(&j);
	assert_string_equal(j.server_url, "https://gitlab.example.com");
	assert_string_equal(j.token_vars[0], "CI_JOB_TOKEN");
}

static void test_canary_system_accesstoken(void **state)
{
	static const char env[] = "SYSTEM_ACCESSTOKEN=" CANARY "\0"
				  "TF_BUILD=True\0"
				  "BUILD_BUILDID=9\0"
				  "SYSTEM_COLLECTIONURI=https://pat:" CANARY
				  "@dev.azure.com/contoso/\0";
	struct ci_job j;

	assert_int_equal(parse(BLOCK(env), &j), 0);
	assert_no_canary(&j);
	assert_string_equal(j.server_url, "https://dev.azure.com/contoso/");
	assert_string_equal(j.token_vars[0], "SYSTEM_ACCESSTOKEN");
}

static void test_canary_every_prefix(void **state)
{
	/* Cutting the block anywhere, even inside a credentialed URL, leaks nothing. */
	static const char env[] = "JENKINS_URL=https://admin:" CANARY "@jenkins.local/\0"
				  "JOB_NAME=deploy\0"
				  "BUILD_NUMBER=3\0"
				  "GIT_URL=https://u:" CANARY "@git.local/r.git\0"
				  "SYSTEM_ACCESSTOKEN=" CANARY "\0";
	struct ci_job j;

	for (size_t len = 0; len <= sizeof(env) - 1; len++) {
		parse(env, len, &j);
		assert_no_canary(&j);
	}
	assert_int_equal(parse(BLOCK(env), &j), 0);
	assert_string_equal(j.server_url, "https://jenkins.local/");
	assert_string_equal(j.repository, "https://git.local/r.git");
}

static void test_canary_long_credential_in_url(void **state)
{
	/* A userinfo longer than the field must be cut out before the copy is bounded. */
	size_t tlen = 4000;
	const char *pre = "GITHUB_ACTIONS=true";
	const char *k = "GITHUB_SERVER_URL=https://user:";
	const char *post = "@github.example.com/path";
	size_t len = strlen(pre) + 1 + strlen(k) + tlen + strlen(post) + 1;
	char *env = malloc(len), *p = env;
	struct ci_job j;

	assert_non_null(env);
	p = stpcpy(p, pre) + 1;
	p = stpcpy(p, k);
	for (size_t i = 0; i < tlen; i += strlen(CANARY))
		memcpy(p + i, CANARY, tlen - i < strlen(CANARY) ? tlen - i : strlen(CANARY));
	p += tlen;
	strcpy(p, post);
	assert_int_equal(parse(env, len, &j), 0);
	assert_no_canary(&j);
	assert_string_equal(j.server_url, "https://github.example.com/path");
	free(env);
}

/* ---- URL credential stripping ---- */

static void check_repo_url(const char *value, const char *want)
{
	char env[512];
	size_t off = (size_t)sprintf(env, "JENKINS_URL=x") + 1;
	struct ci_job j;

	off += (size_t)sprintf(env + off, "JOB_NAME=j") + 1;
	off += (size_t)sprintf(env + off, "BUILD_NUMBER=1") + 1;
	off += (size_t)sprintf(env + off, "GIT_URL=%s", value) + 1;
	assert_int_equal(parse(env, off, &j), 0);
	assert_string_equal(j.repository, want);
}

static void test_url_userinfo_forms(void **state)
{
	check_repo_url("https://user:pass@host.example/o/r.git", "https://host.example/o/r.git");
	check_repo_url("https://ghp_tokenonly@github.com/o/r", "https://github.com/o/r");
	check_repo_url("https://u:p@ss@word@host/r", "https://host/r");
	check_repo_url("ssh://git:pw@host:2222/r.git", "ssh://host:2222/r.git");
	check_repo_url("https://u:p@[2001:db8::1]:8443/r", "https://[2001:db8::1]:8443/r");
	check_repo_url("https://u:p@host", "https://host");
	check_repo_url("HTTPS://U:P@HOST/R", "HTTPS://HOST/R");
	check_repo_url("file:///srv/git/r.git", "file:///srv/git/r.git");
	check_repo_url("https://host/o/r@v1", "https://host/o/r@v1");
}

static void test_url_query_and_fragment_dropped(void **state)
{
	check_repo_url("https://host/r.git?private_token=abc", "https://host/r.git");
	check_repo_url("https://host/r.git#frag", "https://host/r.git");
	check_repo_url("https://host?x=1", "https://host");
}

static void test_url_malformed_authority_dropped(void **state)
{
	/* An unencoded '/' or '?' in a password: the credential cannot be cut out. */
	check_repo_url("https://user:pa/ss@host/r", "");
	check_repo_url("https://user:pa?ss@host/r", "");
	check_repo_url("https://host:notaport/r", "");
	check_repo_url("https://[::1/r", "");
	check_repo_url("https://[::1]x/r", "");
	/* '/' in the user name pushes "er:pw@" into the path */
	check_repo_url("https://us/er:pw@host/r", "");
}

static void test_url_scp_like(void **state)
{
	check_repo_url("git@github.com:o/r.git", "git@github.com:o/r.git");
	check_repo_url("user:secret@host:o/r.git", "host:o/r.git");
	check_repo_url("/srv/git/r.git", "/srv/git/r.git");
	check_repo_url("host/us:pw@x", "");
	/* "://" after something that is not a scheme: not a URL, not copied. */
	check_repo_url("u:pw@host/x://y", "");
	check_repo_url("https ://u:pw@host/r", "");
}

static void test_origin_only_for_build_urls(void **state)
{
	static const char env[] = "CIRCLECI=true\0"
				  "CIRCLE_BUILD_URL=https://u:" CANARY "@circleci.com/gh/o/r/1?x\0";
	struct ci_job j;

	assert_int_equal(parse(BLOCK(env), &j), 0);
	assert_string_equal(j.server_url, "https://circleci.com");
	assert_no_canary(&j);
}

/* ---- token variable names ---- */

static void test_token_vars_listed_once_nonempty_only(void **state)
{
	static const char env[] = "GITLAB_CI=true\0"
				  "CI_JOB_TOKEN=\0"
				  "CI_DEPLOY_PASSWORD=" CANARY "\0"
				  "CI_JOB_TOKEN=" CANARY "\0"
				  "CI_DEPLOY_PASSWORD=" CANARY "\0"
				  "CI_REGISTRY_PASSWORD=\0"
				  "ACTIONS_ID_TOKEN_REQUEST_URL=https://x/\0";
	struct ci_job j;
	const struct want w = {
		.provider = "gitlab_ci",
		.tokens = { "CI_DEPLOY_PASSWORD", "CI_JOB_TOKEN" },
	};

	assert_int_equal(parse(BLOCK(env), &j), 0);
	expect_job(&j, &w);
	assert_no_canary(&j);
}

static void test_token_vars_overflow(void **state)
{
	static const char env[] = "GITHUB_TOKEN=1\0ACTIONS_ID_TOKEN_REQUEST_TOKEN=1\0"
				  "ACTIONS_RUNTIME_TOKEN=1\0CI_JOB_TOKEN=1\0CI_JOB_JWT=1\0"
				  "CI_JOB_JWT_V1=1\0CI_JOB_JWT_V2=1\0CI_BUILD_TOKEN=1\0"
				  "CI_REGISTRY_PASSWORD=1\0SYSTEM_ACCESSTOKEN=1\0";
	struct ci_job j;

	assert_int_equal(parse(BLOCK(env), &j), -ENOENT);
	assert_int_equal(j.n_token_vars, CI_TOKEN_VARS_MAX);
	assert_string_equal(j.token_vars[0], "GITHUB_TOKEN");
	assert_string_equal(j.token_vars[7], "CI_BUILD_TOKEN");
	assert_int_equal(j.truncated, CI_TRUNC_TOKEN_VARS);
}

/* ---- ci_claim_contradicts ---- */

/* env -u GITHUB_RUN_ID -u GITHUB_REPOSITORY inside a GitHub job: a partial
 * claim of the same provider names no other job. */
static void test_claim_partial_same_provider(void **state)
{
	struct ci_job lineage, claim;

	assert_int_equal(parse(BLOCK(github_env), &lineage), 0);
	claim = lineage;
	claim.run_id[0] = '\0';
	claim.repository[0] = '\0';
	assert_false(ci_claim_contradicts(&claim, &lineage));
	assert_int_equal(parse(BLOCK("GITHUB_ACTIONS=true\0"), &claim), 0);
	assert_false(ci_claim_contradicts(&claim, &lineage));
	assert_false(ci_claim_contradicts(&lineage, &lineage));
}

static void test_claim_contradicts(void **state)
{
	struct ci_job lineage, claim;

	assert_int_equal(parse(BLOCK(github_env), &lineage), 0);
	claim = lineage;
	strcpy(claim.run_id, "999");
	assert_true(ci_claim_contradicts(&claim, &lineage));
	claim = lineage; /* no run id, but another repository */
	claim.run_id[0] = '\0';
	strcpy(claim.repository, "evil/repo");
	assert_true(ci_claim_contradicts(&claim, &lineage));
	claim = lineage;
	claim.run_id[0] = '\0';
	claim.repository[0] = '\0';
	strcpy(claim.provider, "forgejo_actions");
	assert_true(ci_claim_contradicts(&claim, &lineage));
	claim = lineage;
	strcpy(claim.job_id, "555");
	assert_true(ci_claim_contradicts(&claim, &lineage));
	assert_string_equal(ci_claim_contradiction(&claim, &lineage), "job_id");
	claim = lineage; /* alike in every short-id field */
	strcpy(claim.run_attempt, "7");
	assert_string_equal(ci_claim_contradiction(&claim, &lineage), "run_attempt");
	assert_null(ci_claim_contradiction(&lineage, &lineage));
	assert_false(ci_claim_contradicts(NULL, &lineage));
}

/* ---- ci_job_short_id ---- */

static void test_short_id_github(void **state)
{
	struct ci_job j;
	char buf[128];

	assert_int_equal(parse(BLOCK(github_env), &j), 0);
	ci_job_short_id(&j, buf, sizeof(buf));
	assert_string_equal(buf, "octo-org/hello-world#9876543210");
}

static void test_short_id_per_pipeline_numbering(void **state)
{
	struct ci_job j;
	char buf[128];

	assert_int_equal(parse(BLOCK(jenkins_env), &j), 0);
	ci_job_short_id(&j, buf, sizeof(buf));
	assert_string_equal(buf, "team/app/PR-117#57");
	assert_int_equal(parse(BLOCK(buildkite_env), &j), 0);
	ci_job_short_id(&j, buf, sizeof(buf));
	assert_string_equal(buf, "widgets#1514");
	assert_int_equal(parse(BLOCK(circleci_env), &j), 0);
	ci_job_short_id(&j, buf, sizeof(buf));
	assert_string_equal(buf, "acme/rocket#6f0a2e1c-3b4d-4e5f-8a9b-0c1d2e3f4a5b");
}

static void check_short_id(const char *env, size_t len, const char *want)
{
	struct ci_job j;
	char buf[192];

	assert_int_equal(parse(env, len, &j), 0);
	ci_job_short_id(&j, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

static void test_short_id_workflow_first(void **state)
{
	/* TeamCity numbers builds per configuration, CodeBuild per project. */
	check_short_id(BLOCK(teamcity_env), "Build and Test#1207");
	check_short_id(BLOCK(codebuild_env), "payments-ci#558");
	check_short_id(BLOCK("CODEBUILD_BUILD_ID=nightly:0f1e2d3c\0"), "nightly#0f1e2d3c");
	/* No configuration name: the project's name stands in. */
	check_short_id(BLOCK("TEAMCITY_VERSION=2024.12\0TEAMCITY_PROJECT_NAME=Backend\0"
			     "BUILD_NUMBER=7\0"),
		       "Backend#7");
	/* The others number runs per repository, or globally. */
	check_short_id(BLOCK(forgejo_env), "forgejo-contrib/mirror-bot#73012");
	check_short_id(BLOCK(bitbucket_env), "acme-corp/payments-api#842");
	check_short_id(BLOCK(travis_env), "octo-labs/fastjson#271828182");
	check_short_id(BLOCK(semaphore_env),
		       "acme/storefront#65c3a9f4-2b1e-4d7a-9c8f-0e1d2c3b4a59");
	check_short_id(BLOCK(woodpecker_env), "platform/edge-proxy#381");
	check_short_id(BLOCK(drone_env), "octocat/hello-world#128");
	/* Harness and GoCD count per pipeline, Bamboo per plan, AppVeyor per project, Prow
	 * names a run by its job. */
	check_short_id(BLOCK(harness_env), "build_and_push#213");
	check_short_id(BLOCK(gocd_env), "api-release#2345");
	check_short_id(BLOCK(bamboo_env), "PAY-API#418");
	check_short_id(BLOCK(appveyor_env), "widgets-linux#1093");
	check_short_id(BLOCK(cirrus_env), "acme/engine#6254017428176896");
	check_short_id(BLOCK(bitrise_env), "9c1e3b5d7f9aad3c#771");
	check_short_id(BLOCK(buddy_env), "acme/storefront#94");
	check_short_id(BLOCK(codefresh_env), "acme/billing#65a1f0c2d3e4b5a697887766");
	check_short_id(BLOCK(screwdriver_env), "acme/router#339012");
	check_short_id(BLOCK(vela_env), "octocat/hello-world#57");
	check_short_id(BLOCK(prow_env), "pull-kubernetes-unit#1863227046493097984");
}

static void test_short_id_unknown_provider(void **state)
{
	/* A provider name not in the table (a record from a newer build) keeps the
	 * repository-first form. */
	struct ci_job j;
	char buf[64];

	assert_int_equal(parse(BLOCK(jenkins_env), &j), 0);
	strcpy(j.provider, "jenkins_x");
	ci_job_short_id(&j, buf, sizeof(buf));
	assert_string_equal(buf, "https://git.example.com/team/app.git#57");
	memset(j.provider, 'j', sizeof(j.provider));
	ci_job_short_id(&j, buf, sizeof(buf));
	assert_string_equal(buf, "https://git.example.com/team/app.git#57");
}

/* The parts come from the environment: the characters that delimit the
 * strings a short id goes into are percent-encoded, so a repository cannot
 * forge a run id or a reason's lineage= and field= parts. */
static void test_short_id_escapes_delimiters(void **state)
{
	struct ci_job j;
	char buf[16];

	check_short_id(BLOCK("GITHUB_ACTIONS=true\0GITHUB_REPOSITORY=acme/real#600,lineage="
			     "github_actions:acme/real#600,field=none x\0GITHUB_RUN_ID=601\0"),
		       "acme/real%23600%2Clineage%3Dgithub_actions:acme/real%23600%2Cfield%3Dnone x"
		       "#601");
	check_short_id(BLOCK("GITHUB_ACTIONS=true\0GITHUB_REPOSITORY=a/b#9\0GITHUB_RUN_ID=5\0"),
		       "a/b%239#5");
	check_short_id(BLOCK("GITHUB_ACTIONS=true\0GITHUB_REPOSITORY=a/100%\0"
			     "GITHUB_RUN_ID=5#6\0"),
		       "a/100%25#5%236");
	/* cut at the buffer's end, never inside an escape */
	assert_int_equal(parse(BLOCK("GITHUB_ACTIONS=true\0GITHUB_REPOSITORY=abcdefghijkl,m\0"),
			       &j), 0);
	ci_job_short_id(&j, buf, 15);
	assert_string_equal(buf, "abcdefghijkl");
	ci_job_short_id(&j, buf, 16);
	assert_string_equal(buf, "abcdefghijkl%2C");
	(void)state;
}

static void test_short_id_fallbacks(void **state)
{
	struct ci_job j;
	char buf[128];

	assert_int_equal(parse(BLOCK("GITHUB_ACTIONS=true\0GITHUB_WORKFLOW=CI\0"), &j), 0);
	ci_job_short_id(&j, buf, sizeof(buf));
	assert_string_equal(buf, "CI");
	assert_int_equal(parse(BLOCK("GITHUB_ACTIONS=true\0GITHUB_RUN_ID=3\0"), &j), 0);
	ci_job_short_id(&j, buf, sizeof(buf));
	assert_string_equal(buf, "github_actions#3");
	assert_int_equal(parse(BLOCK("PATH=/bin\0"), &j), -ENOENT);
	strcpy(buf, "junk");
	ci_job_short_id(&j, buf, sizeof(buf));
	assert_string_equal(buf, "");
	strcpy(buf, "junk");
	ci_job_short_id(NULL, buf, sizeof(buf));
	assert_string_equal(buf, "");
}

static void test_short_id_bounded(void **state)
{
	struct ci_job j;
	char buf[16];

	assert_int_equal(parse(BLOCK(github_env), &j), 0);
	memset(buf, 'X', sizeof(buf));
	ci_job_short_id(&j, buf, 10);
	assert_string_equal(buf, "octo-org/");
	assert_int_equal(buf[10], 'X');
	memset(buf, 'X', sizeof(buf));
	ci_job_short_id(&j, buf, 1);
	assert_int_equal(buf[0], '\0');
	assert_int_equal(buf[1], 'X');
	memset(buf, 'X', sizeof(buf));
	ci_job_short_id(&j, buf, 0);
	assert_int_equal(buf[0], 'X');
	ci_job_short_id(&j, NULL, 10);
}

/* ---- random blocks ---- */

static uint32_t rng_next(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void assert_terminated(const char *f, size_t n)
{
	assert_non_null(memchr(f, '\0', n));
}

static void test_random_blocks(void **state)
{
	static const char *const pieces[] = {
		"GITHUB_ACTIONS=true", "GITLAB_CI=true", "TF_BUILD=True", "BUILDKITE=true",
		"CIRCLECI=true", "JENKINS_URL=", "JOB_NAME=", "BUILD_NUMBER=", "GITHUB_REF=",
		"refs/pull/", "/merge", "https://", "u:p@", "[::1]", ":", "@", "/", "?", "=",
		"\xc3", "\xa9", "\xf0\x9f", "\xff", "GIT_URL=", "CI_SERVER_URL=", "GITHUB_TOKEN=",
		"CIRCLE_PULL_REQUEST=", "BUILDKITE_RETRY_COUNT=", "12", "", "\0",
		"FORGEJO_ACTIONS=true", "GITEA_ACTIONS=true", "CI=woodpecker", "DRONE=true",
		"DRONE_SYSTEM_PROTO=", "DRONE_SYSTEM_HOST=", "CI_SYSTEM_URL=", "TRAVIS=true",
		"SEMAPHORE=true", "BITBUCKET_BUILD_NUMBER=", "BITBUCKET_COMMIT=",
		"BITBUCKET_WORKSPACE=", "BITBUCKET_REPO_SLUG=", "CODEBUILD_BUILD_ID=",
		"CODEBUILD_WEBHOOK_TRIGGER=", "pr/", "TEAMCITY_VERSION=", "refs/pull/9/head",
	};
	const size_t n_pieces = sizeof(pieces) / sizeof(pieces[0]);
	uint32_t seed = 0x1d7ace;
	char block[2048];
	struct ci_job j;

	for (int iter = 0; iter < 20000; iter++) {
		size_t len = 0, want = rng_next(&seed) % sizeof(block);
		int rc;

		while (len < want) {
			const char *p = pieces[rng_next(&seed) % n_pieces];
			size_t n = *p ? strlen(p) : 1;
			char byte = (char)rng_next(&seed);

			if (rng_next(&seed) % 4 == 0) {
				n = 1;
				p = &byte;
			}
			if (len + n > want)
				n = want - len;
			memcpy(block + len, p, n);
			len += n;
			if (rng_next(&seed) % 3 == 0 && len < want)
				block[len++] = '\0';
		}
		rc = parse(block, len, &j);
		assert_true(rc == 0 || rc == -ENOENT);
		assert_terminated(j.provider, sizeof(j.provider));
		assert_terminated(j.repository, sizeof(j.repository));
		assert_terminated(j.workflow, sizeof(j.workflow));
		assert_terminated(j.run_id, sizeof(j.run_id));
		assert_terminated(j.run_attempt, sizeof(j.run_attempt));
		assert_terminated(j.job, sizeof(j.job));
		assert_terminated(j.job_id, sizeof(j.job_id));
		assert_terminated(j.actor, sizeof(j.actor));
		assert_terminated(j.ref, sizeof(j.ref));
		assert_terminated(j.server_url, sizeof(j.server_url));
		assert_terminated(j.pull_request, sizeof(j.pull_request));
		assert_true(strspn(j.pull_request, "0123456789") == strlen(j.pull_request));
		assert_null(memmem(j.repository, sizeof(j.repository), "u:p@", 4));
		assert_null(memmem(j.server_url, sizeof(j.server_url), "u:p@", 4));
		assert_true(j.n_token_vars >= 0 && j.n_token_vars <= CI_TOKEN_VARS_MAX);
	}
}

struct seen_tokens {
	int n;
	char name[8][48];
	char value[8][64];
};

static void collect_token(const char *name, const char *value, size_t len, void *arg)
{
	struct seen_tokens *t = arg;

	assert_true(t->n < 8);
	snprintf(t->name[t->n], sizeof(t->name[0]), "%s", name);
	snprintf(t->value[t->n], sizeof(t->value[0]), "%.*s", (int)len, value);
	t->n++;
}

/* The token values, for fingerprinting: the first occurrence of each (what
 * getenv() returns), empty ones skipped, nothing else, an entry cut by the
 * end of the block skipped. */
static void test_each_token(void **state)
{
	static const char env[] = "PATH=/usr/bin\0"
				  "GITLAB_CI=true\0"
				  "CI_JOB_TOKEN=first\0"
				  "GITHUB_TOKEN=\0"
				  "CI_JOB_TOKEN=second\0"
				  "CI_JOB_TOKENX=not-a-token\0"
				  "XCI_JOB_TOKEN=not-either\0"
				  "GITHUB_TOKEN=late\0"
				  "ACTIONS_RUNTIME_TOKEN=rt\0"
				  "CI_JOB_JWT=cut-by-the-end";
	struct seen_tokens t = { 0 };

	ci_env_each_token(env, sizeof(env) - 1, collect_token, &t);
	assert_int_equal(t.n, 2);
	assert_string_equal(t.name[0], "CI_JOB_TOKEN");
	assert_string_equal(t.value[0], "first");
	assert_string_equal(t.name[1], "ACTIONS_RUNTIME_TOKEN");
	assert_string_equal(t.value[1], "rt");
	memset(&t, 0, sizeof(t));
	ci_env_each_token(NULL, 0, collect_token, &t);
	ci_env_each_token(env, 0, collect_token, &t);
	assert_int_equal(t.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_github_pull_request),
		cmocka_unit_test(test_github_push),
		cmocka_unit_test(test_github_pr_ref_must_be_digits),
		cmocka_unit_test(test_github_marker_must_be_true),
		cmocka_unit_test(test_forgejo_pull_request),
		cmocka_unit_test(test_gitea_push),
		cmocka_unit_test(test_forge_priority_over_github),
		cmocka_unit_test(test_gitlab_merge_request),
		cmocka_unit_test(test_gitlab_workflow_falls_back_to_config_path),
		cmocka_unit_test(test_jenkins_pull_request),
		cmocka_unit_test(test_jenkins_freestyle_without_url),
		cmocka_unit_test(test_jenkins_url_alone_is_not_a_job),
		cmocka_unit_test(test_buildkite_branch_build),
		cmocka_unit_test(test_buildkite_fallbacks),
		cmocka_unit_test(test_buildkite_bad_retry_count),
		cmocka_unit_test(test_circleci_pull_request),
		cmocka_unit_test(test_circleci_tag_fork_pr_and_repo_url),
		cmocka_unit_test(test_azure_pull_request),
		cmocka_unit_test(test_azure_fallbacks),
		cmocka_unit_test(test_bitbucket_pull_request),
		cmocka_unit_test(test_bitbucket_tag_and_fallbacks),
		cmocka_unit_test(test_bitbucket_needs_two_variables),
		cmocka_unit_test(test_travis_pull_request),
		cmocka_unit_test(test_travis_tag_build),
		cmocka_unit_test(test_semaphore_pull_request),
		cmocka_unit_test(test_semaphore_url_credentials),
		cmocka_unit_test(test_woodpecker_pull_request),
		cmocka_unit_test(test_woodpecker_tag),
		cmocka_unit_test(test_gitlab_and_woodpecker_apart),
		cmocka_unit_test(test_drone_pull_request),
		cmocka_unit_test(test_drone_tag_and_system_url),
		cmocka_unit_test(test_drone_system_url_refused),
		cmocka_unit_test(test_codebuild_pull_request),
		cmocka_unit_test(test_codebuild_fallbacks),
		cmocka_unit_test(test_codebuild_hosted_runners),
		cmocka_unit_test(test_teamcity_build),
		cmocka_unit_test(test_teamcity_over_jenkins),
		cmocka_unit_test(test_harness_pull_request),
		cmocka_unit_test(test_harness_not_drone),
		cmocka_unit_test(test_gocd_stage_rerun),
		cmocka_unit_test(test_gocd_needs_label),
		cmocka_unit_test(test_bamboo_build),
		cmocka_unit_test(test_appveyor_pull_request),
		cmocka_unit_test(test_cirrus_pull_request),
		cmocka_unit_test(test_bitrise_branch_build),
		cmocka_unit_test(test_buddy_pull_request),
		cmocka_unit_test(test_codefresh_pull_request),
		cmocka_unit_test(test_codefresh_not_cloudflare),
		cmocka_unit_test(test_screwdriver_pull_request),
		cmocka_unit_test(test_screwdriver_git_branch_not_jenkins),
		cmocka_unit_test(test_vela_pull_request),
		cmocka_unit_test(test_prow_presubmit),
		cmocka_unit_test(test_prow_over_jenkins),
		cmocka_unit_test(test_marker_only_providers),
		cmocka_unit_test(test_provider_priority_all),
		cmocka_unit_test(test_provider_priority),
		cmocka_unit_test(test_no_provider),
		cmocka_unit_test(test_no_provider_still_lists_tokens),
		cmocka_unit_test(test_each_token),
		cmocka_unit_test(test_empty_block),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_truncated_block_drops_last_entry),
		cmocka_unit_test(test_truncated_block_every_length),
		cmocka_unit_test(test_marker_cut_is_not_trusted),
		cmocka_unit_test(test_entries_without_equals),
		cmocka_unit_test(test_keys_match_exactly),
		cmocka_unit_test(test_duplicates_first_wins),
		cmocka_unit_test(test_duplicate_marker_first_wins),
		cmocka_unit_test(test_long_value_truncated),
		cmocka_unit_test(test_value_exactly_fits),
		cmocka_unit_test(test_utf8_cut_on_char_boundary),
		cmocka_unit_test(test_non_utf8_and_controls_replaced),
		cmocka_unit_test(test_canary_github_token),
		cmocka_unit_test(test_canary_ci_job_token),
		cmocka_unit_test(test_canary_system_accesstoken),
		cmocka_unit_test(test_canary_every_prefix),
		cmocka_unit_test(test_canary_long_credential_in_url),
		cmocka_unit_test(test_url_userinfo_forms),
		cmocka_unit_test(test_url_query_and_fragment_dropped),
		cmocka_unit_test(test_url_malformed_authority_dropped),
		cmocka_unit_test(test_url_scp_like),
		cmocka_unit_test(test_origin_only_for_build_urls),
		cmocka_unit_test(test_token_vars_listed_once_nonempty_only),
		cmocka_unit_test(test_token_vars_overflow),
		cmocka_unit_test(test_claim_partial_same_provider),
		cmocka_unit_test(test_claim_contradicts),
		cmocka_unit_test(test_short_id_github),
		cmocka_unit_test(test_short_id_per_pipeline_numbering),
		cmocka_unit_test(test_short_id_workflow_first),
		cmocka_unit_test(test_short_id_unknown_provider),
		cmocka_unit_test(test_short_id_escapes_delimiters),
		cmocka_unit_test(test_short_id_fallbacks),
		cmocka_unit_test(test_short_id_bounded),
		cmocka_unit_test(test_random_blocks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
