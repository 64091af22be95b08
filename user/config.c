// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <jansson.h>
#include "config.h"
#include "log.h"
#include "watch_rules.h"

void config_defaults(struct config *c)
{
	memset(c, 0, sizeof(*c));
	c->ring_buffer_mb = 16;
	c->capture_env = true;
	c->seed_procfs = true;
	c->log_level = LOG_INFO;
	c->watch_files = true;
	c->trace_tls = true;
	c->spool_max_mb = 1024;
	c->drain_timeout_s = 10;
}

int config_add_sink(struct config *c, json_t *entry, char *err, size_t n)
{
	if (!json_is_string(entry) &&
	    !(json_is_object(entry) && json_is_string(json_object_get(entry, "uri")))) {
		snprintf(err, n, "a sink is a URI string or an object with a \"uri\" string");
		return -EINVAL;
	}
	if (!c->sinks && !(c->sinks = json_array()))
		return -ENOMEM;
	return json_array_append(c->sinks, entry) ? -ENOMEM : 0;
}

static int push_str(char ***arr, int n, const char *s)
{
	char **v = realloc(*arr, (n + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	*arr = v;
	v[n] = strdup(s);
	return v[n] ? 0 : -ENOMEM;
}

static int add_watch(struct config *c, const char *path, const char *type, char *err, size_t n)
{
	struct watch_rule r;
	int rc;

	if (!watch_type_known(type)) {
		snprintf(err, n, "unknown credential type '%s' for %s (use aws, gcp, azure, "
			 "k8s_service_account, kubeconfig, ssh_private_key, docker, git, netrc, npm, "
			 "pypi, vault, github_cli, spiffe, shadow or custom)", type, path);
		return -EINVAL;
	}
	rc = watch_rule_parse(path, type, NULL, &r);
	if (rc) {
		snprintf(err, n, "bad watch path '%s': need an absolute path (or ~/...) whose last "
			 "component is a name, prefix*, *suffix or *, at most 63 bytes", path);
		return rc;
	}
	watch_rule_free(&r);
	rc = push_str(&c->watch_paths, c->n_watch, path);
	rc = rc ?: push_str(&c->watch_types, c->n_watch, type);
	if (rc)
		return rc;
	c->n_watch++;
	return 0;
}

int config_add_watch(struct config *c, const char *spec, char *err, size_t n)
{
	const char *eq = strrchr(spec, '=');
	char path[4096];

	if (!eq)
		return add_watch(c, spec, "custom", err, n);
	snprintf(path, sizeof(path), "%.*s", (int)(eq - spec), spec);
	return add_watch(c, path, eq + 1, err, n);
}

int config_add_home(struct config *c, const char *dir, char *err, size_t n)
{
	if (dir[0] != '/') {
		snprintf(err, n, "home directory '%s' must be an absolute path", dir);
		return -EINVAL;
	}
	if (push_str(&c->homes, c->n_homes, dir))
		return -ENOMEM;
	c->n_homes++;
	return 0;
}

void config_free(struct config *c)
{
	free(c->output);
	free(c->spiffe_id);
	free(c->key_file);
	for (int i = 0; i < c->n_watch; i++) {
		free(c->watch_paths[i]);
		free(c->watch_types[i]);
	}
	free(c->watch_paths);
	free(c->watch_types);
	for (int i = 0; i < c->n_homes; i++)
		free(c->homes[i]);
	free(c->homes);
	json_decref(c->sinks);
	free(c->state_dir);
	free(c->config_path);
	memset(c, 0, sizeof(*c));
}

int config_parse_log_level(const char *s)
{
	static const struct { const char *name; int level; } levels[] = {
		{ "error", LOG_ERR }, { "warning", LOG_WARN }, { "info", LOG_INFO }, { "debug", LOG_DEBUG },
	};

	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		if (!strcmp(s, levels[i].name))
			return levels[i].level;
	return -1;
}

bool config_ring_buffer_ok(long mb)
{
	return mb >= 1 && mb <= 1024 && (mb & (mb - 1)) == 0;
}

static int set_string(char **dst, json_t *v, const char *key, char *err, size_t n)
{
	if (!json_is_string(v)) {
		snprintf(err, n, "key '%s' must be a string", key);
		return -EINVAL;
	}
	free(*dst);
	*dst = strdup(json_string_value(v));
	return *dst ? 0 : -ENOMEM;
}

static int set_bool(bool *dst, json_t *v, const char *key, char *err, size_t n)
{
	if (!json_is_boolean(v)) {
		snprintf(err, n, "key '%s' must be true or false", key);
		return -EINVAL;
	}
	*dst = json_is_true(v);
	return 0;
}

bool config_spiffe_id_ok(const char *id)
{
	const char *p = id + 9, *seg;
	size_t n;

	if (strncmp(id, "spiffe://", 9))
		return false;
	for (n = 0; p[n] && p[n] != '/'; n++)
		if (!((p[n] >= 'a' && p[n] <= 'z') || (p[n] >= '0' && p[n] <= '9') ||
		      p[n] == '.' || p[n] == '-' || p[n] == '_'))
			return false;
	if (!n || n > 255)
		return false;
	for (p += n; *p; p += n) {
		seg = ++p; /* past the '/' */
		for (n = 0; seg[n] && seg[n] != '/'; n++)
			if (!((seg[n] >= 'a' && seg[n] <= 'z') || (seg[n] >= 'A' && seg[n] <= 'Z') ||
			      (seg[n] >= '0' && seg[n] <= '9') || seg[n] == '.' || seg[n] == '-' ||
			      seg[n] == '_'))
				return false;
		if (!n || (n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.'))
			return false;
	}
	return strlen(id) <= 2048;
}

static int apply_key(struct config *c, const char *key, json_t *v, char *err, size_t n)
{
	if (!strcmp(key, "output"))
		return set_string(&c->output, v, key, err, n);
	if (!strcmp(key, "spiffe_id")) {
		/* as --spiffe-id: reported in every workload hop, so a URI or nothing */
		if (json_is_string(v) && !config_spiffe_id_ok(json_string_value(v))) {
			snprintf(err, n, "key 'spiffe_id' must be a SPIFFE ID, "
				 "spiffe://TRUST-DOMAIN[/PATH]");
			return -EINVAL;
		}
		return set_string(&c->spiffe_id, v, key, err, n);
	}
	if (!strcmp(key, "key_file"))
		return set_string(&c->key_file, v, key, err, n);
	if (!strcmp(key, "watch_files"))
		return set_bool(&c->watch_files, v, key, err, n);
	if (!strcmp(key, "trace_tls"))
		return set_bool(&c->trace_tls, v, key, err, n);
	if (!strcmp(key, "ia32_syscalls"))
		return set_bool(&c->ia32_syscalls, v, key, err, n);
	if (!strcmp(key, "watch")) {
		size_t i;
		json_t *e;

		if (!json_is_array(v)) {
			snprintf(err, n, "key 'watch' must be an array of {\"path\", \"type\"}");
			return -EINVAL;
		}
		json_array_foreach(v, i, e) {
			json_t *p = json_object_get(e, "path"), *t = json_object_get(e, "type");
			int rc;

			if (!json_is_string(p) || (t && !json_is_string(t)) ||
			    json_object_size(e) != (t ? 2u : 1u)) {
				snprintf(err, n, "watch[%zu] must be {\"path\": string, \"type\": "
					 "string} and nothing else", i);
				return -EINVAL;
			}
			rc = add_watch(c, json_string_value(p), t ? json_string_value(t) : "custom",
				       err, n);
			if (rc)
				return rc;
		}
		return 0;
	}
	if (!strcmp(key, "watch_homes")) {
		size_t i;
		json_t *e;

		if (!json_is_array(v)) {
			snprintf(err, n, "key 'watch_homes' must be an array of paths");
			return -EINVAL;
		}
		json_array_foreach(v, i, e) {
			int rc;

			if (!json_is_string(e)) {
				snprintf(err, n, "watch_homes[%zu] must be a string", i);
				return -EINVAL;
			}
			rc = config_add_home(c, json_string_value(e), err, n);
			if (rc)
				return rc;
		}
		return 0;
	}
	if (!strcmp(key, "capture_env"))
		return set_bool(&c->capture_env, v, key, err, n);
	if (!strcmp(key, "seed_procfs"))
		return set_bool(&c->seed_procfs, v, key, err, n);
	if (!strcmp(key, "state_dir"))
		return set_string(&c->state_dir, v, key, err, n);
	if (!strcmp(key, "sinks")) {
		size_t i;
		json_t *e;

		if (!json_is_array(v)) {
			snprintf(err, n, "key 'sinks' must be an array of URIs or objects");
			return -EINVAL;
		}
		json_array_foreach(v, i, e) {
			int rc = config_add_sink(c, e, err, n);

			if (rc)
				return rc;
		}
		return 0;
	}
	if (!strcmp(key, "spool_max_mb") || !strcmp(key, "drain_timeout_s")) {
		bool spool = key[0] == 's';
		json_int_t x = json_integer_value(v);

		if (!json_is_integer(v) || x < (spool ? 1 : 0) || x > (spool ? 1048576 : 3600)) {
			snprintf(err, n, "key '%s' must be an integer from %d to %d", key,
				 spool ? 1 : 0, spool ? 1048576 : 3600);
			return -EINVAL;
		}
		*(spool ? &c->spool_max_mb : &c->drain_timeout_s) = (uint32_t)x;
		return 0;
	}
	if (!strcmp(key, "ring_buffer_mb")) {
		if (!json_is_integer(v) || !config_ring_buffer_ok(json_integer_value(v))) {
			snprintf(err, n, "key 'ring_buffer_mb' must be a power of two from 1 to 1024");
			return -EINVAL;
		}
		c->ring_buffer_mb = json_integer_value(v);
		return 0;
	}
	if (!strcmp(key, "stats_interval_s")) {
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > 86400) {
			snprintf(err, n, "key 'stats_interval_s' must be an integer from 0 to 86400");
			return -EINVAL;
		}
		c->stats_interval_s = json_integer_value(v);
		return 0;
	}
	if (!strcmp(key, "log_level")) {
		int level = json_is_string(v) ? config_parse_log_level(json_string_value(v)) : -1;

		if (level < 0) {
			snprintf(err, n, "key 'log_level' must be one of error, warning, info, debug");
			return -EINVAL;
		}
		c->log_level = level;
		return 0;
	}
	snprintf(err, n, "unknown key '%s' (known: output, ring_buffer_mb, capture_env, "
		 "seed_procfs, spiffe_id, log_level, stats_interval_s, watch_files, trace_tls, "
		 "ia32_syscalls, watch, watch_homes, key_file, sinks, state_dir, spool_max_mb, "
		 "drain_timeout_s)", key);
	return -EINVAL;
}

int config_load_file(struct config *c, const char *path, char *err, size_t n)
{
	json_error_t jerr;
	struct stat st;
	const char *key;
	json_t *root, *v;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, n, "cannot open: %s", strerror(errno));
		return rc;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		snprintf(err, n, "not a regular file");
		close(fd);
		return -EINVAL;
	}
	/* A privileged daemon must not take orders from a file others can edit. */
	if (st.st_mode & 022) {
		snprintf(err, n, "writable by group or others (mode %03o): chmod go-w it",
			 st.st_mode & 0777);
		close(fd);
		return -EPERM;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		snprintf(err, n, "owned by uid %u, not by root: chown root it", st.st_uid);
		close(fd);
		return -EPERM;
	}
	root = json_loadfd(fd, JSON_REJECT_DUPLICATES, &jerr);
	close(fd);
	if (!root) {
		snprintf(err, n, "line %d: %s", jerr.line, jerr.text);
		return -EINVAL;
	}
	if (!json_is_object(root)) {
		snprintf(err, n, "the top level must be a JSON object");
		json_decref(root);
		return -EINVAL;
	}
	json_object_foreach(root, key, v) {
		rc = apply_key(c, key, v, err, n);
		if (rc)
			break;
	}
	json_decref(root);
	return rc;
}
