/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Daemon settings: defaults, the JSON config file, then command-line overrides. */
#ifndef IDTRACE_CONFIG_H
#define IDTRACE_CONFIG_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct config {
	char *output;           /* NULL or "-": stdout */
	uint32_t ring_buffer_mb; /* power of two, 1..1024 */
	bool capture_env;
	bool seed_procfs;
	char *spiffe_id;
	int log_level;          /* enum log_level */
	uint32_t stats_interval_s; /* 0: agent.stats only at exit */
	bool watch_files;        /* credential-open probes */
	bool trace_tls;          /* TLS library probes */
	bool ia32_syscalls;      /* the 32-bit syscalls' credential opens (a raw sys_exit program) */
	char *key_file;          /* fingerprint key; created 0600 when missing */
	int n_watch;             /* extra credential rules */
	char **watch_paths;
	char **watch_types;
	int n_homes;             /* extra home directories to watch */
	char **homes;
	json_t *sinks;           /* array of URI strings or {"uri", options...}; NULL: stdout */
	char *state_dir;         /* spools; NULL: CONFIG_DEFAULT_STATE_DIR */
	uint32_t spool_max_mb;   /* per sink */
	uint32_t drain_timeout_s; /* at exit, for sinks to take what is queued */
	/* set by main: the config file, and whether its sinks are the ones in
	 * use (no --sink/--output), so SIGHUP may reload them from it */
	char *config_path;
	bool sinks_from_file;
};

#define CONFIG_DEFAULT_STATE_DIR "/var/lib/idtrace"

/* Add a sink: a URI string, or an object with "uri" and options. Checks the
 * shape only (sink_spec_parse checks the rest). Returns 0 or -EINVAL/-ENOMEM. */
int config_add_sink(struct config *c, json_t *entry, char *err, size_t n);

#define CONFIG_DEFAULT_KEY_FILE "/var/lib/idtrace/fingerprint.key"

/* Add a credential rule "PATH" or "PATH=TYPE" (type defaults to "custom").
 * Returns 0, or -EINVAL with a message in err. */
int config_add_watch(struct config *c, const char *spec, char *err, size_t n);
/* Add a home directory to watch. Returns 0 or -EINVAL/-ENOMEM. */
int config_add_home(struct config *c, const char *dir, char *err, size_t n);

/* Fill the defaults. */
void config_defaults(struct config *c);
/* Apply a JSON config file. Refuses a file others can write, unknown keys
 * and bad values; the message (into err, n bytes) names the key and the fix.
 * Returns 0, -EPERM, -EINVAL or -errno (unreadable). */
int config_load_file(struct config *c, const char *path, char *err, size_t n);
/* Parse a log level name ("error", "warning", "info", "debug"); -1 if unknown. */
int config_parse_log_level(const char *s);
/* Check a ring-buffer size in MiB: a power of two in 1..1024. */
bool config_ring_buffer_ok(long mb);
/* A SPIFFE ID as the SPIFFE spec writes one: spiffe://TRUST-DOMAIN[/PATH],
 * the trust domain of [a-z0-9._-], path segments of [A-Za-z0-9._-], none
 * empty, "." or "..", no query or fragment. */
bool config_spiffe_id_ok(const char *id);
void config_free(struct config *c);

#endif
