// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "idtrace_wire.h"
#include "watch_rules.h"

static const struct {
	const char *pattern;
	const char *type;
	const char *exclude;
} defaults[] = {
	{ "~/.aws/credentials", "aws", NULL },
	{ "~/.aws/sso/cache/*.json", "aws", NULL },
	{ "~/.aws/cli/cache/*.json", "aws", NULL },
	{ "~/.config/gcloud/application_default_credentials.json", "gcp", NULL },
	{ "~/.config/gcloud/credentials.db", "gcp", NULL },
	{ "~/.config/gcloud/access_tokens.db", "gcp", NULL },
	{ "~/.config/gcloud/legacy_credentials/*/*", "gcp", NULL },
	{ "~/.azure/msal_token_cache.*", "azure", NULL },
	{ "~/.azure/accessTokens.json", "azure", NULL },
	{ "~/.kube/config", "kubeconfig", NULL },
	/* Where /var/run is a link to /run (Debian's and most images' base),
	 * the file a pod opens as /var/run/secrets/... is /run/secrets/...,
	 * and is named by that real path: the /run rule comes first, and a
	 * file two rules find keeps the first one's name. */
	{ "/run/secrets/kubernetes.io/serviceaccount/token", "k8s_service_account", NULL },
	{ "/run/secrets/eks.amazonaws.com/serviceaccount/token", "k8s_service_account", NULL },
	{ "/run/secrets/tokens/*", "k8s_service_account", NULL },
	{ "/var/run/secrets/kubernetes.io/serviceaccount/token", "k8s_service_account", NULL },
	{ "/var/run/secrets/eks.amazonaws.com/serviceaccount/token", "k8s_service_account", NULL },
	{ "/var/run/secrets/tokens/*", "k8s_service_account", NULL },
	/* The same tokens seen from the node: the daemon runs on the host, where
	 * a pod's /var/run/secrets/... is the kubelet's volume directory (the
	 * same files: an open inside the pod matches by inode). */
	{ "/var/lib/kubelet/pods/*/volumes/kubernetes.io~projected/*/token", "k8s_service_account",
	  NULL },
	{ "/var/lib/kubelet/pods/*/volumes/kubernetes.io~secret/*/token", "k8s_service_account",
	  NULL },
	{ "~/.ssh/id_*", "ssh_private_key", ".pub" },
	{ "~/.docker/config.json", "docker", NULL },
	{ "~/.git-credentials", "git", NULL },
	{ "~/.config/git/credentials", "git", NULL },
	{ "~/.netrc", "netrc", NULL },
	{ "~/.npmrc", "npm", NULL },
	{ "~/.pypirc", "pypi", NULL },
	{ "~/.vault-token", "vault", NULL },
	{ "~/.config/gh/hosts.yml", "github_cli", NULL },
	/* SPIFFE SVID keys as written by SPIRE's agent and spiffe-helper */
	{ "/run/spire/certs/*.key", "spiffe", NULL },
	{ "/run/spire/certs/*_key.pem", "spiffe", NULL },
	{ "/var/run/secrets/spiffe.io/*.key", "spiffe", NULL },
	{ "/run/secrets/spiffe.io/*.key", "spiffe", NULL },
	{ "/etc/shadow", "shadow", NULL },
	{ "/etc/gshadow", "shadow", NULL },
};

static const char *const known_types[] = {
	"aws", "gcp", "azure", "k8s_service_account", "kubeconfig", "ssh_private_key", "docker",
	"git", "netrc", "npm", "pypi", "vault", "github_cli", "spiffe", "shadow", "custom",
};

bool watch_type_known(const char *type)
{
	for (size_t i = 0; i < sizeof(known_types) / sizeof(known_types[0]); i++)
		if (!strcmp(type, known_types[i]))
			return true;
	return false;
}

static bool has_glob(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == '*' || s[i] == '?' || s[i] == '[')
			return true;
	return false;
}

int watch_rule_parse(const char *pattern, const char *type, const char *exclude,
		     struct watch_rule *out)
{
	const char *slash, *base;
	size_t blen;

	memset(out, 0, sizeof(*out));
	if (!pattern || !type || strlen(type) >= WATCH_TYPE_MAX)
		return -EINVAL;
	out->per_home = !strncmp(pattern, "~/", 2);
	if (pattern[0] != '/' && !out->per_home)
		return -EINVAL;
	slash = strrchr(pattern, '/');
	base = slash + 1;
	blen = strlen(base);
	if (blen == 0 || blen >= IDT_WATCH_NAME_MAX || !strcmp(base, ".") || !strcmp(base, ".."))
		return -EINVAL;
	if (!strcmp(base, "*")) {
		out->kind = WATCH_NAME_ANY;
		out->name = strdup("");
	} else if (base[blen - 1] == '*' && !has_glob(base, blen - 1)) {
		out->kind = WATCH_NAME_PREFIX;
		out->name = strndup(base, blen - 1);
	} else if (base[0] == '*' && !has_glob(base + 1, blen - 1)) {
		out->kind = WATCH_NAME_SUFFIX;
		out->name = strdup(base + 1);
	} else if (!has_glob(base, blen)) {
		out->kind = WATCH_NAME_EXACT;
		out->name = strdup(base);
	} else {
		return -EINVAL;
	}
	out->dir = strndup(pattern, slash == pattern ? 1 : (size_t)(slash - pattern));
	out->exclude = exclude && *exclude ? strdup(exclude) : NULL;
	snprintf(out->type, sizeof(out->type), "%s", type);
	if (!out->dir || !out->name || (exclude && *exclude && !out->exclude)) {
		watch_rule_free(out);
		return -ENOMEM;
	}
	if (out->exclude && strlen(out->exclude) >= IDT_WATCH_NAME_MAX) {
		watch_rule_free(out);
		return -EINVAL;
	}
	return 0;
}

void watch_rule_free(struct watch_rule *r)
{
	free(r->dir);
	free(r->name);
	free(r->exclude);
	memset(r, 0, sizeof(*r));
}

static bool ends_with(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && !memcmp(s + len - n, suffix, n);
}

bool watch_rule_match_name(const struct watch_rule *r, const char *name, size_t len)
{
	size_t n = strlen(r->name);

	if (len == 0 || memchr(name, '/', len))
		return false;
	if (r->exclude && ends_with(name, len, r->exclude))
		return false;
	switch (r->kind) {
	case WATCH_NAME_EXACT:
		return len == n && !memcmp(name, r->name, n);
	case WATCH_NAME_PREFIX:
		return len >= n && !memcmp(name, r->name, n);
	case WATCH_NAME_SUFFIX:
		return ends_with(name, len, r->name);
	case WATCH_NAME_ANY:
		return !(len == 1 && name[0] == '.') && !(len == 2 && !memcmp(name, "..", 2));
	}
	return false;
}

int watch_rules_defaults(struct watch_rule **rules)
{
	size_t n = sizeof(defaults) / sizeof(defaults[0]);
	struct watch_rule *r = calloc(n, sizeof(*r));

	if (!r)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		int err = watch_rule_parse(defaults[i].pattern, defaults[i].type, defaults[i].exclude,
					   &r[i]);

		if (err) {
			while (i--)
				watch_rule_free(&r[i]);
			free(r);
			return err;
		}
	}
	*rules = r;
	return (int)n;
}
