// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* idtrace: parse options, wire the daemon. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "config.h"
#include "daemon.h"
#include "log.h"

#define EXIT_USAGE 2

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: idtrace [OPTION]...\n"
		"Trace process execs, credential file reads and outbound TLS (HTTPS) requests\n"
		"on this host and attribute each one to its identity chain (human login, CI\n"
		"job, workload, process lineage, credential, delegation, destination). Writes\n"
		"one JSON object per line; the first is agent.ready, the last (on SIGINT/\n"
		"SIGTERM) agent.stats.\n"
		"Needs root, with CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN, CAP_SYS_RESOURCE,\n"
		"CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH (dist/idtrace.service), and a kernel\n"
		"with BTF.\n"
		"\n"
		"  -o, --output FILE          append events to FILE (created 0600; replaces the\n"
		"                             config file's sinks, as --sink does); default stdout\n"
		"      --sink URI             send events to URI (repeatable; replaces the config\n"
		"                             file's sinks): stdout, file:///PATH, syslog+udp://,\n"
		"                             syslog+tcp://, syslog+tls://HOST:PORT, unix:///dev/log,\n"
		"                             kafka://BROKER[,BROKER]/TOPIC; options as a query,\n"
		"                             e.g. ?format=ocsf&max_size_mb=100 (docs/config.md)\n"
		"      --state-dir DIR        spools for sinks that are down (default\n"
		"                             " CONFIG_DEFAULT_STATE_DIR ")\n"
		"      --check-config         validate the config and reach every sink, then exit\n"
		"  -c, --config FILE          JSON config file (see docs/config.md); options\n"
		"                             given on the command line override it\n"
		"      --spiffe-id ID         SPIFFE ID to report in every workload hop\n"
		"      --ring-buffer-mb N     kernel ring buffer size, power of two (default 16)\n"
		"      --stats-interval SEC   also emit agent.stats every SEC seconds\n"
		"      --watch PATH[=TYPE]    also watch credential files at PATH (repeatable);\n"
		"                             the last component may be NAME, PREFIX*, *SUFFIX\n"
		"                             or *; ~/ means every home; TYPE defaults to custom\n"
		"      --watch-home DIR       treat DIR as a home directory too (repeatable)\n"
		"      --key-file FILE        fingerprint key (default " CONFIG_DEFAULT_KEY_FILE ",\n"
		"                             created 0600 when missing)\n"
		"      --no-files             do not watch credential file opens\n"
		"      --no-tls               do not trace TLS libraries (no tls.request)\n"
		"      --ia32-syscalls        also see credential opens made through the 32-bit\n"
		"                             syscall interface (int 0x80): a raw sys_exit\n"
		"                             program that every syscall of the host runs\n"
		"      --no-env               do not read environments at exec (no CI context)\n"
		"      --no-seed              do not seed the process table from /proc at\n"
		"                             start-up\n"
		"      --log-level LEVEL      error, warning, info (default) or debug\n"
		"  -h, --help                 show this help and exit\n"
		"  -V, --version              show the version and exit\n"
		"\n"
		"Exit status: 0 after a clean stop, 1 on a runtime error, 2 on a usage or\n"
		"config error.\n");
}

enum {
	OPT_SPIFFE = 256,
	OPT_RINGBUF,
	OPT_STATS,
	OPT_NO_ENV,
	OPT_NO_SEED,
	OPT_LOG_LEVEL,
	OPT_WATCH,
	OPT_WATCH_HOME,
	OPT_KEY_FILE,
	OPT_NO_FILES,
	OPT_NO_TLS,
	OPT_IA32,
	OPT_SINK,
	OPT_STATE_DIR,
	OPT_CHECK_CONFIG,
};

static const struct option long_opts[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "config", required_argument, NULL, 'c' },
	{ "spiffe-id", required_argument, NULL, OPT_SPIFFE },
	{ "ring-buffer-mb", required_argument, NULL, OPT_RINGBUF },
	{ "stats-interval", required_argument, NULL, OPT_STATS },
	{ "no-env", no_argument, NULL, OPT_NO_ENV },
	{ "no-seed", no_argument, NULL, OPT_NO_SEED },
	{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
	{ "watch", required_argument, NULL, OPT_WATCH },
	{ "watch-home", required_argument, NULL, OPT_WATCH_HOME },
	{ "key-file", required_argument, NULL, OPT_KEY_FILE },
	{ "no-files", no_argument, NULL, OPT_NO_FILES },
	{ "no-tls", no_argument, NULL, OPT_NO_TLS },
	{ "ia32-syscalls", no_argument, NULL, OPT_IA32 },
	{ "sink", required_argument, NULL, OPT_SINK },
	{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
	{ "check-config", no_argument, NULL, OPT_CHECK_CONFIG },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ 0 },
};

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "idtrace: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'idtrace --help'.\n");
	return EXIT_USAGE;
}

static int parse_long(const char *s, long min, long max, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(s, &end, 10);
	return errno || end == s || *end || *out < min || *out > max ? -EINVAL : 0;
}

int main(int argc, char **argv)
{
	struct config cfg, cli = { 0 };
	const char *config_path = NULL;
	long ringbuf = 0, stats = -1;
	int opt, level = -1, no_env = 0, no_seed = 0, no_files = 0, no_tls = 0, ia32 = 0;
	int check_only = 0, rc;
	bool cli_sinks; /* --sink or --output: the config file's sinks are not used */
	struct config extra; /* repeatable options, applied after the config file */
	char err[512];

	config_defaults(&cfg);
	config_defaults(&extra);
	while ((opt = getopt_long(argc, argv, "o:c:hV", long_opts, NULL)) != -1) {
		switch (opt) {
		case 'o':
			cli.output = optarg;
			break;
		case 'c':
			config_path = optarg;
			break;
		case OPT_SPIFFE:
			if (!config_spiffe_id_ok(optarg))
				return usage_error("--spiffe-id '%s' is not a SPIFFE ID "
						   "(spiffe://TRUST-DOMAIN[/PATH])", optarg);
			cli.spiffe_id = optarg;
			break;
		case OPT_RINGBUF:
			if (parse_long(optarg, 1, 1024, &ringbuf) || !config_ring_buffer_ok(ringbuf))
				return usage_error("--ring-buffer-mb '%s': need a power of two from 1 to 1024",
						   optarg);
			break;
		case OPT_STATS:
			if (parse_long(optarg, 1, 86400, &stats))
				return usage_error("--stats-interval '%s': need seconds from 1 to 86400",
						   optarg);
			break;
		case OPT_NO_ENV:
			no_env = 1;
			break;
		case OPT_NO_SEED:
			no_seed = 1;
			break;
		case OPT_LOG_LEVEL:
			level = config_parse_log_level(optarg);
			if (level < 0)
				return usage_error("--log-level '%s': use error, warning, info or debug",
						   optarg);
			break;
		case OPT_WATCH:
			if (config_add_watch(&extra, optarg, err, sizeof(err)))
				return usage_error("--watch: %s", err);
			break;
		case OPT_WATCH_HOME:
			if (config_add_home(&extra, optarg, err, sizeof(err)))
				return usage_error("--watch-home: %s", err);
			break;
		case OPT_KEY_FILE:
			cli.key_file = optarg;
			break;
		case OPT_NO_FILES:
			no_files = 1;
			break;
		case OPT_NO_TLS:
			no_tls = 1;
			break;
		case OPT_IA32:
			ia32 = 1;
			break;
		case OPT_SINK: {
			json_t *uri = json_string(optarg);

			rc = uri ? config_add_sink(&extra, uri, err, sizeof(err)) : -EINVAL;
			json_decref(uri);
			if (rc)
				return usage_error("--sink: not a valid string: %s", optarg);
			break;
		}
		case OPT_STATE_DIR:
			cli.state_dir = optarg;
			break;
		case OPT_CHECK_CONFIG:
			check_only = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("idtrace %s\n", IDTRACE_VERSION);
			return 0;
		default:
			fprintf(stderr, "Try 'idtrace --help'.\n");
			return EXIT_USAGE;
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);

	if (config_path) {
		rc = config_load_file(&cfg, config_path, err, sizeof(err));
		if (rc) {
			fprintf(stderr, "idtrace: config %s: %s\n", config_path, err);
			config_free(&cfg);
			return EXIT_USAGE;
		}
	}
	if (cli.output) {
		free(cfg.output);
		cfg.output = strdup(cli.output);
	}
	if (cli.spiffe_id) {
		free(cfg.spiffe_id);
		cfg.spiffe_id = strdup(cli.spiffe_id);
	}
	if (ringbuf)
		cfg.ring_buffer_mb = ringbuf;
	if (stats > 0)
		cfg.stats_interval_s = stats;
	if (no_env)
		cfg.capture_env = false;
	if (no_seed)
		cfg.seed_procfs = false;
	if (no_files)
		cfg.watch_files = false;
	if (no_tls)
		cfg.trace_tls = false;
	if (ia32)
		cfg.ia32_syscalls = true;
	cli_sinks = extra.sinks || cli.output;
	if (cli_sinks) {
		/* the command line's sinks replace the config file's */
		json_decref(cfg.sinks);
		cfg.sinks = json_incref(extra.sinks);
	}
	if (cli.state_dir) {
		free(cfg.state_dir);
		cfg.state_dir = strdup(cli.state_dir);
	}
	if (cli.key_file) {
		free(cfg.key_file);
		cfg.key_file = strdup(cli.key_file);
	}
	for (int i = 0; i < extra.n_watch; i++) {
		char spec[8192];

		snprintf(spec, sizeof(spec), "%s=%s", extra.watch_paths[i], extra.watch_types[i]);
		config_add_watch(&cfg, spec, err, sizeof(err));
	}
	for (int i = 0; i < extra.n_homes; i++)
		config_add_home(&cfg, extra.homes[i], err, sizeof(err));
	config_free(&extra);
	if (level >= 0)
		cfg.log_level = level;
	log_set_level(cfg.log_level);

	if (config_path) {
		cfg.config_path = strdup(config_path);
		/* not extra.sinks: config_free(&extra) above cleared it */
		cfg.sinks_from_file = !cli_sinks;
	}
	if (check_only) {
		rc = daemon_check_config(&cfg);
		config_free(&cfg);
		return rc;
	}
	rc = daemon_run(&cfg);
	config_free(&cfg);
	return rc;
}
