// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * CI job context from an environment block: one pass records the first value of each
 * variable we know, then the first provider whose marker is set maps those values onto
 * struct ci_job. See ci_env.h for the rules.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
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

struct key_name {
	const char *name;
	size_t len;
};

static const struct key_name meta_keys[K_COUNT] = { CI_META_KEYS(X_NAME) };
static const struct key_name token_keys[T_COUNT] = { CI_TOKEN_KEYS(X_NAME) };

_Static_assert(T_COUNT <= 32, "token_seen is a 32-bit mask");
_Static_assert(K_COUNT + T_COUNT <= 65535, "by_bucket holds unsigned short indices");

struct env_view {
	struct slice val[K_COUNT]; /* first occurrence of each meta key */
	__u32 token_seen;	   /* T_* bits already listed in token_vars */
};

/* A token variable is listed once, when any occurrence has a non-empty value: the
 * secret is in the environment whichever copy getenv() returns. */
static void note_token(struct env_view *v, struct ci_job *out, int t)
{
	if (v->token_seen & (1u << t))
		return;
	v->token_seen |= 1u << t;
	if (out->n_token_vars >= CI_TOKEN_VARS_MAX) {
		out->truncated |= CI_TRUNC_TOKEN_VARS;
		return;
	}
	_Static_assert(sizeof("ACTIONS_ID_TOKEN_REQUEST_TOKEN") <= CI_TOKEN_VAR_NAME_MAX,
		       "longest token name fits");
	memcpy(out->token_vars[out->n_token_vars++], token_keys[t].name, token_keys[t].len + 1);
}

/* The names above grouped by first byte and length, taken from the tables once: an entry
 * is compared only with the few names in its bucket. Length alone or the first byte
 * alone leaves buckets of dozens (GITHUB_*, CI_*, BUILD_*). by_bucket holds meta key k
 * as k and token key t as K_COUNT + t; the names of bucket b are
 * by_bucket[bucket_at[b]] up to by_bucket[bucket_at[b + 1]]. */
static unsigned short bucket_at[257];
static unsigned short by_bucket[K_COUNT + T_COUNT];
static pthread_once_t by_bucket_once = PTHREAD_ONCE_INIT;

static const struct key_name *key_at(int i)
{
	return i < K_COUNT ? &meta_keys[i] : &token_keys[i - K_COUNT];
}

static unsigned bucket_of(const char *name, size_t len)
{
	return ((unsigned char)name[0] * 7u + (unsigned)len) & 255u;
}

static void by_bucket_fill(void)
{
	unsigned short next[256];

	for (int i = 0; i < K_COUNT + T_COUNT; i++)
		bucket_at[bucket_of(key_at(i)->name, key_at(i)->len) + 1]++;
	for (int b = 0; b < 256; b++) {
		bucket_at[b + 1] += bucket_at[b];
		next[b] = bucket_at[b];
	}
	for (int i = 0; i < K_COUNT + T_COUNT; i++)
		by_bucket[next[bucket_of(key_at(i)->name, key_at(i)->len)]++] = (unsigned short)i;
}

/* The entry "K=V" (n bytes at e) names a known variable: its index (meta key k
 * as k, token key t as K_COUNT + t), with *value its value; else -1. */
static int entry_key(const char *e, size_t n, struct slice *value)
{
	const char *eq = n ? memchr(e, '=', n) : NULL;
	size_t klen;
	unsigned b;

	if (!eq || eq == e)
		return -1;
	klen = (size_t)(eq - e);
	b = bucket_of(e, klen);
	for (unsigned i = bucket_at[b]; i < bucket_at[b + 1]; i++) {
		const struct key_name *name = key_at(by_bucket[i]);

		if (name->len == klen && !memcmp(name->name, e, klen)) {
			*value = (struct slice){ eq + 1, n - klen - 1 };
			return by_bucket[i];
		}
	}
	return -1;
}

static void note_entry(const char *e, size_t n, struct env_view *v, struct ci_job *out)
{
	struct slice val;
	int k = entry_key(e, n, &val);

	if (k < 0)
		return;
	if (k < K_COUNT) {
		if (!v->val[k].p)
			v->val[k] = val;
	} else if (val.n > 0) {
		note_token(v, out, k - K_COUNT);
	}
}

static void scan_env(const char *env, size_t len, struct env_view *v, struct ci_job *out)
{
	size_t pos = 0;

	while (pos < len) {
		const char *e = env + pos;
		const char *nul = memchr(e, '\0', len - pos);

		if (!nul) {
			out->truncated |= CI_TRUNC_ENV;
			return;
		}
		note_entry(e, (size_t)(nul - e), v, out);
		pos += (size_t)(nul - e) + 1;
	}
}

/* The first occurrence of each token variable (the copy getenv() returns), when it is
 * not empty. */
void ci_env_each_token(const char *env, size_t len, ci_token_fn fn, void *arg)
{
	__u32 seen = 0;
	size_t pos = 0;

	if (!env || !fn)
		return;
	pthread_once(&by_bucket_once, by_bucket_fill);
	while (pos < len) {
		const char *e = env + pos;
		const char *nul = memchr(e, '\0', len - pos);
		struct slice val;
		int t;

		if (!nul)
			return; /* cut by the capture: the value may be too */
		pos += (size_t)(nul - e) + 1;
		t = entry_key(e, (size_t)(nul - e), &val) - K_COUNT;
		if (t < 0 || (seen & (1u << t)))
			continue;
		seen |= 1u << t;
		if (val.n)
			fn(token_keys[t].name, val.p, val.n, arg);
	}
}

/* ---- bounded, sanitising copy ---- */

/* Length of the printable UTF-8 character at p, or 0 when the byte starts an invalid
 * sequence or a C0/C1 control character. */
static size_t clean_char_len(const unsigned char *p, size_t n)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xbf;
	size_t len;

	if (c < 0x80)
		return c >= 0x20 && c != 0x7f;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		if (c == 0xc2)
			lo = 0xa0; /* U+0080..U+009F are C1 controls */
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0; /* overlong */
		if (c == 0xed)
			hi = 0x9f; /* surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90; /* overlong */
		if (c == 0xf4)
			hi = 0x8f; /* above U+10FFFF */
	} else {
		return 0;
	}
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

struct wbuf {
	char *dst;
	size_t cap; /* bytes including the NUL */
	size_t len;
	bool cut;
};

static void wb_init(struct wbuf *w, char *dst, size_t cap)
{
	*w = (struct wbuf){ .dst = dst, .cap = cap };
	dst[0] = '\0';
}

static void wb_put(struct wbuf *w, struct slice s)
{
	size_t i = 0;

	while (i < s.n && !w->cut) {
		const unsigned char *c = (const unsigned char *)s.p + i;
		size_t k = clean_char_len(c, s.n - i);
		size_t step = k ? k : 1;

		if (w->len + step >= w->cap) {
			w->cut = true;
			break;
		}
		if (k)
			memcpy(w->dst + w->len, c, k);
		else
			w->dst[w->len] = '?';
		w->len += step;
		i += step;
	}
	w->dst[w->len] = '\0';
}

static struct slice lit(const char *s)
{
	return (struct slice){ s, strlen(s) };
}

static void put_parts(struct ci_job *out, char *dst, size_t cap, __u32 bit, const struct slice *s,
		      int n)
{
	struct wbuf w;

	wb_init(&w, dst, cap);
	for (int i = 0; i < n; i++)
		wb_put(&w, s[i]);
	if (w.cut)
		out->truncated |= bit;
}

#define PUT(out, field, bit, s) put_parts((out), (out)->field, sizeof((out)->field), (bit), &(s), 1)

/* ---- URLs: drop userinfo, query and fragment ---- */

static size_t span_until(struct slice s, const char *stops)
{
	size_t i = 0;

	while (i < s.n && !strchr(stops, s.p[i]))
		i++;
	return i;
}

static bool all_digits(const char *p, size_t n)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return false;
	return true;
}

/* host, "[v6]" or either with ":port" (port possibly empty). Anything else means the
 * authority still holds something that is not a host, such as a broken credential. */
static bool host_port_ok(const char *h, size_t n)
{
	const char *colon;

	if (n && h[0] == '[') {
		const char *close = memchr(h, ']', n);

		if (!close)
			return false;
		n -= (size_t)(close + 1 - h);
		h = close + 1;
		return !n || (h[0] == ':' && (n == 1 || all_digits(h + 1, n - 1)));
	}
	colon = memchr(h, ':', n);
	if (!colon)
		return true;
	n -= (size_t)(colon + 1 - h);
	return !n || all_digits(colon + 1, n);
}

static bool scheme_ok(const char *p, size_t n)
{
	if (!n || !((p[0] | 0x20) >= 'a' && (p[0] | 0x20) <= 'z'))
		return false;
	for (size_t i = 1; i < n; i++) {
		char c = p[i] | 0x20;

		if (!((c >= 'a' && c <= 'z') || (p[i] >= '0' && p[i] <= '9') || p[i] == '+' ||
		      p[i] == '-' || p[i] == '.'))
			return false;
	}
	return true;
}

/* A path segment with "x:y@" in it looks like a credential that an unencoded '/' in the
 * user name pushed out of the authority ("https://us/er:pw@host/"). */
static bool path_has_userinfo(const char *p, size_t n)
{
	bool colon = false;

	for (size_t i = 0; i < n; i++) {
		if (p[i] == '/')
			colon = false;
		else if (p[i] == ':')
			colon = true;
		else if (p[i] == '@' && colon)
			return true;
	}
	return false;
}

/* scp-like "user:secret@host:path": drop through the last '@' before the first '/'
 * when what precedes it has a ':'. A plain "git@host:path" keeps its login name. Returns
 * false when what is left still has "x:y@" in it. */
static bool scp_clean(struct slice s, struct slice *tail)
{
	size_t slash = span_until(s, "/");
	const char *at = memrchr(s.p, '@', slash);

	*tail = s;
	if (at && memchr(s.p, ':', (size_t)(at - s.p)))
		*tail = (struct slice){ at + 1, s.n - (size_t)(at + 1 - s.p) };
	return !path_has_userinfo(tail->p, tail->n);
}

/* Split s into head ("scheme://") and tail (host and, unless origin_only, path) without
 * userinfo, query or fragment. Values without "://" pass through scp_clean (and are
 * refused when origin_only). Returns false when s must not be copied at all: a "://"
 * after something that is not a scheme, or an authority or path that still looks like
 * it holds a credential. */
static bool url_clean(struct slice s, bool origin_only, struct slice *head, struct slice *tail)
{
	const char *sep = s.p ? memmem(s.p, s.n, "://", 3) : NULL;
	struct slice rest;
	size_t auth_n, end;
	const char *at, *host;

	*head = (struct slice){ s.p, 0 };
	if (!sep)
		return !origin_only && scp_clean(s, tail);
	if (!scheme_ok(s.p, (size_t)(sep - s.p)))
		return false;
	head->n = (size_t)(sep + 3 - s.p);
	rest = (struct slice){ sep + 3, s.n - head->n };
	auth_n = span_until(rest, "/?#");
	at = memrchr(rest.p, '@', auth_n);
	host = at ? at + 1 : rest.p;
	if (!host_port_ok(host, (size_t)(rest.p + auth_n - host)))
		return false;
	end = origin_only ? auth_n : span_until(rest, "?#");
	if (end > auth_n && path_has_userinfo(rest.p + auth_n, end - auth_n))
		return false;
	*tail = (struct slice){ host, (size_t)(rest.p + end - host) };
	return true;
}

static void put_url(struct ci_job *out, char *dst, size_t cap, __u32 bit, struct slice s,
		    bool origin_only)
{
	struct slice parts[2];

	if (!s.n || !url_clean(s, origin_only, &parts[0], &parts[1]))
		return;
	put_parts(out, dst, cap, bit, parts, 2);
}

#define PUT_URL(out, field, bit, s, origin)                                            \
	put_url((out), (out)->field, sizeof((out)->field), (bit), (s), (origin))

/* put_url over the concatenation of parts. A value too long for the scratch buffer is
 * dropped rather than cut: a cut before the userinfo is removed could leave part of a
 * credential where the host should be. */
static void put_url_parts(struct ci_job *out, char *dst, size_t cap, __u32 bit,
			  const struct slice *s, int n, bool origin_only)
{
	char buf[2 * CI_VALUE_MAX];
	size_t len = 0;

	for (int i = 0; i < n; i++) {
		if (s[i].n > sizeof(buf) - len)
			return;
		if (s[i].n)
			memcpy(buf + len, s[i].p, s[i].n);
		len += s[i].n;
	}
	put_url(out, dst, cap, bit, (struct slice){ buf, len }, origin_only);
}

/* ---- field helpers ---- */

static struct slice first_of(struct slice a, struct slice b)
{
	return a.n ? a : b;
}

static bool is_word(struct slice s, const char *w)
{
	size_t n = strlen(w);

	return s.n == n && !strncasecmp(s.p, w, n);
}

static bool is_true(struct slice s)
{
	return is_word(s, "true");
}

static bool has(const struct env_view *v, enum ci_key k)
{
	return v->val[k].n > 0;
}

static struct slice digits_or_empty(struct slice s)
{
	return all_digits(s.p, s.n) ? s : (struct slice){ NULL, 0 };
}

/* "refs/pull/<N><post>" -> N */
static struct slice pull_ref(struct slice ref, const char *post)
{
	static const char pre[] = "refs/pull/";
	size_t np = sizeof(pre) - 1, nq = strlen(post);

	if (ref.n <= np + nq || memcmp(ref.p, pre, np) || memcmp(ref.p + ref.n - nq, post, nq))
		return (struct slice){ NULL, 0 };
	return digits_or_empty((struct slice){ ref.p + np, ref.n - np - nq });
}

/* The rest of s after pre, or empty when s does not start with it. */
static struct slice after_prefix(struct slice s, const char *pre)
{
	size_t n = strlen(pre);

	if (s.n < n || memcmp(s.p, pre, n))
		return (struct slice){ NULL, 0 };
	return (struct slice){ s.p + n, s.n - n };
}

/* Last path segment of a pull request URL ("https://github.com/o/r/pull/12" -> 12). */
static struct slice last_segment(struct slice url)
{
	const char *slash = url.n ? memrchr(url.p, '/', url.n) : NULL;

	if (!slash)
		return url;
	return (struct slice){ slash + 1, url.n - (size_t)(slash + 1 - url.p) };
}

/* The last run of digits in s ("refs/pull/12/head" -> 12), or empty when s has none. */
static struct slice last_digits(struct slice s)
{
	size_t end = s.n, start;

	while (end && (s.p[end - 1] < '0' || s.p[end - 1] > '9'))
		end--;
	start = end;
	while (start && s.p[start - 1] >= '0' && s.p[start - 1] <= '9')
		start--;
	return (struct slice){ end ? s.p + start : NULL, end - start };
}

/* ---- providers ---- */

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

		put_parts(o, o->repository, sizeof(o->repository), CI_TRUNC_REPOSITORY, repo, 3);
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

		put_url_parts(o, o->repository, sizeof(o->repository), CI_TRUNC_REPOSITORY, repo, 3,
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

		put_url_parts(o, o->server_url, sizeof(o->server_url), CI_TRUNC_SERVER_URL, url, 3,
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

		put_url_parts(o, o->repository, sizeof(o->repository), CI_TRUNC_REPOSITORY, repo, 3,
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

		put_url_parts(o, o->repository, sizeof(o->repository), CI_TRUNC_REPOSITORY, repo, 3,
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
static const struct ci_provider providers[] = {
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

#define N_PROVIDERS (sizeof(providers) / sizeof(providers[0]))

static const struct ci_provider *provider_named(const char *name, size_t size)
{
	for (size_t i = 0; i < N_PROVIDERS; i++)
		if (!strncmp(providers[i].name, name, size))
			return &providers[i];
	return NULL;
}

int ci_env_parse(const char *env, size_t len, struct ci_job *out)
{
	struct env_view v = { 0 };

	if (!out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (!env && len)
		return -EINVAL;
	pthread_once(&by_bucket_once, by_bucket_fill);
	if (env)
		scan_env(env, len, &v, out);
	for (size_t i = 0; i < N_PROVIDERS; i++) {
		if (!providers[i].detect(&v))
			continue;
		snprintf(out->provider, sizeof(out->provider), "%s", providers[i].name);
		providers[i].fill(&v, out);
		return 0;
	}
	return -ENOENT;
}

#define FIELD_EQ(a, b, f) (!strncmp((a)->f, (b)->f, sizeof((a)->f)))

/* claim's field f says nothing (empty) or what lineage's says */
#define FIELD_AGREES(claim, lineage, f) (!(claim)->f[0] || FIELD_EQ(claim, lineage, f))

bool ci_claim_contradicts(const struct ci_job *claim, const struct ci_job *lineage)
{
	if (!claim || !lineage)
		return false;
	return !FIELD_EQ(claim, lineage, provider) || !FIELD_AGREES(claim, lineage, server_url) ||
	       !FIELD_AGREES(claim, lineage, repository) ||
	       !FIELD_AGREES(claim, lineage, workflow) || !FIELD_AGREES(claim, lineage, run_id) ||
	       !FIELD_AGREES(claim, lineage, run_attempt) || !FIELD_AGREES(claim, lineage, job) ||
	       !FIELD_AGREES(claim, lineage, job_id);
}

static struct slice field_slice(const char *f, size_t size)
{
	return (struct slice){ f, strnlen(f, size) };
}

void ci_job_short_id(const struct ci_job *job, char *buf, size_t n)
{
	const struct ci_provider *p;
	struct slice name, alt;

	if (!buf || !n)
		return;
	buf[0] = '\0';
	if (!job || !job->provider[0])
		return;
	name = field_slice(job->repository, sizeof(job->repository));
	alt = field_slice(job->workflow, sizeof(job->workflow));
	p = provider_named(job->provider, sizeof(job->provider));
	if (p && p->runs_per_workflow) {
		struct slice t = name;

		name = alt;
		alt = t;
	}
	name = first_of(name, alt);
	if (!name.n)
		name = field_slice(job->provider, sizeof(job->provider));
	if (job->run_id[0])
		snprintf(buf, n, "%.*s#%.*s", (int)name.n, name.p, (int)sizeof(job->run_id),
			 job->run_id);
	else
		snprintf(buf, n, "%.*s", (int)name.n, name.p);
}
