// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "ci_tokens.h"
#include "cgroup_path.h"
#include "cred_event.h"
#include "daemon.h"
#include "event.h"
#include "exe_cache.h"
#include "loader.h"
#include "log.h"
#include "outputs.h"
#include "path_check.h"
#include "proc_track.h"
#include "tls_track.h"
#include "wire_decode.h"
#include "workload.h"

/* Safety net behind inotify, which sees every change below the watched
 * directories (or their nearest existing ancestor) but not a file system
 * mounted over one. A rescan is ~1300 syscalls on a host with a few dozen
 * homes: every 30 s, not every 5 s, for a daemon that mostly sits idle. */
#define RESCAN_INTERVAL_NS (30 * 1000000000ull)
#define RESCAN_MIN_GAP_NS (200 * 1000000ull)
#define RESCAN_FOLLOWUP_NS { 300 * 1000000ull, 1000 * 1000000ull, 3000 * 1000000ull }
/* The probes wake us only for a batch (wakeup_bytes); this bounds the delay
 * of a lone event. */
#define POLL_TIMEOUT_MS 50
#define STATS_SETTLE_MS 2000 /* at stop, for the sinks to catch up before agent.stats */
/* libbpf's consume runs for as long as records keep coming: under a
 * sustained flood it would never return to the loop (no sink kicks, stats,
 * rescans, or stop). The record callback ends a round after this many. */
#define RECORDS_PER_ROUND 4096
#define ROUND_DONE (-EAGAIN) /* the callback's "back to the loop", not an error */

static volatile sig_atomic_t stop_requested, reopen_requested;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reopen_requested = 1;
	else
		stop_requested = sig;
}

struct daemon {
	const struct config *cfg;
	struct loader *loader;
	struct ring_buffer *rb;
	struct outputs *out;
	struct proc_tracker tracker;
	struct event_ctx ev;
	struct cred_ctx cred; /* cred.watch is NULL when file probes are off */
	struct tls_event_ctx tls_ev;
	struct tls_track *tls; /* NULL when TLS probes are off */
	bool rescan_due;
	__u64 last_rescan_ns;
	__u64 n_rescans;
	int followups_left; /* rescans still to come after a change */
	__u64 followup_at;  /* when the next one is due; 0: none scheduled */
	__u64 started_ns;
	bool outputs_gone; /* every sink's destination is gone for good: exit 1 */
	unsigned int round_records;
	long long drain_left; /* at stop: ring bytes still owed, -1 while running */
	bool config_error; /* a sink could not be set up: exit 2 */
	json_t *live_sinks; /* the config's sinks in use, to see a change on SIGHUP */
	char *live_output;
	/* userspace counters */
	__u64 n_exec, n_fork, n_exit, n_open, n_cred, n_tls, decode_errors, emit_errors, seeded;
};

static void emit(struct daemon *d, json_t *ev)
{
	int err;

	if (!ev) {
		d->emit_errors++;
		return;
	}
	err = outputs_emit(d->out, ev, d->ev.frags);
	json_decref(ev);
	if (err)
		d->emit_errors++;
}

static void emit_tls(json_t *ev, void *arg)
{
	struct daemon *d = arg;

	d->n_tls += ev != NULL;
	emit(d, ev);
}

/* A HOME seen in a new process's environment is a home directory to watch
 * (CI runners and containers use homes that /etc/passwd does not list): on
 * the host, or in the container of mount namespace mntns (a process that
 * is in none, or in no container the daemon watches, names a host path). */
static void note_home(struct daemon *d, const struct wire_bytes *env, uint32_t mntns)
{
	const char *p = env->p, *end = env->p + env->len;
	char home[4096];

	if (!d->cred.watch)
		return;
	while (p < end) {
		const char *nul = memchr(p, '\0', end - p);
		size_t n = nul ? (size_t)(nul - p) : (size_t)(end - p);

		if (n > 5 && n - 5 < sizeof(home) && !memcmp(p, "HOME=", 5)) {
			snprintf(home, sizeof(home), "%.*s", (int)(n - 5), p + 5);
			int rc = cred_watch_add_root_home(d->cred.watch, mntns, home);

			if (rc > 0 || (rc == -ENOENT && cred_watch_add_home(d->cred.watch, home)))
				d->rescan_due = true;
			return;
		}
		p += n + 1;
	}
}

/* A process in a container (its workload names one): watch the
 * credential files of the container's own file system too (from the
 * rescan that follows). So too for one whose cgroup names no container but
 * whose mount namespace has a root of its own (runc or crun with a cgroup
 * of the user's choosing, rootless podman without systemd, unshare --root):
 * a container all the same. A process in a private mount namespace over
 * the host's tree (systemd's PrivateTmp=, unshare -m): the kernel need not
 * check the names it opens. mntns_id: its mount namespace's id, 0 when
 * unknown. */
static void note_container_ns(struct daemon *d, const struct proc *p, uint32_t mntns,
			      uint64_t mntns_id)
{
	struct workload_info wl;
	bool named;

	if (!d->cred.watch || !p->cgroup_path)
		return;
	named = !cgroup_path_parse(p->cgroup_path, strlen(p->cgroup_path), &wl) &&
		(wl.container_id[0] || wl.container_name[0]);
	switch (cred_watch_add_root(d->cred.watch, p->pid, mntns, mntns_id)) {
	case CRED_ROOT_ADDED:
		d->rescan_due = true;
		break;
	case CRED_ROOT_NONE:
		/* a named container's runc init comes before its pivot_root */
		if (!named)
			cred_watch_not_container(d->cred.watch, mntns, mntns_id);
		break;
	case CRED_ROOT_KNOWN:
		break;
	}
}

static void note_container(struct daemon *d, const struct proc *p)
{
	note_container_ns(d, p, p->mntns, p->mntns_id);
}

/* The mount namespace (mntns, mntns_id) that pid, now in cgroup cgroup_id,
 * opened a file in: a container to watch, or none. By the cgroup of the
 * open, not the one its record has from its exec: runc's child that makes
 * the container's namespaces was forked from a process exec'd before runc
 * moved it into the container's cgroup, and would pass for no container's. */
static void note_open_mntns(struct daemon *d, uint32_t pid, uint64_t cgroup_id, uint32_t mntns,
			    uint64_t mntns_id)
{
	struct proc *p;
	json_t *missing;

	if (!d->cred.watch)
		return;
	p = proc_new(pid);
	missing = json_array();
	if (p && missing) {
		p->cgroup_id = cgroup_id; /* (its path is resolved with its workload hop) */
		json_decref(workload_hop(d->ev.chain.workload, p, missing));
		note_container_ns(d, p, mntns, mntns_id);
	}
	json_decref(missing);
	if (p)
		proc_put(p);
}

/* The probe saw an open in a mount namespace it does not know: say what
 * the namespace is, as for an exec. */
static void on_mntns(struct daemon *d, const struct idt_mntns *ev)
{
	note_open_mntns(d, ev->hdr.pid, ev->cgroup_id, ev->mntns, ev->mntns_id);
}

/* proc_table_each: the containers of the processes seeded at start-up */
static void note_seeded_container(struct proc *p, void *arg)
{
	note_container(arg, p);
}

/* The process behind a file record; a stand-in built from the record when
 * the process is gone and was never seen (caller puts it). */
static struct proc *open_proc(struct daemon *d, const struct idt_open *ev, bool *temp)
{
	struct proc *p = proc_track_find_or_stand_in(&d->tracker, ev->hdr.pid, ev->start_ns,
							temp);

	if (p && *temp) { /* the open record knows the credentials too */
		p->uid = ev->uid;
		p->euid = ev->euid;
		p->loginuid = ev->loginuid;
		p->cgroup_id = ev->cgroup_id;
	}
	return p;
}

static void on_open(struct daemon *d, const struct wire_open *w)
{
	bool temp;
	struct proc *p = open_proc(d, w->ev, &temp);
	json_t *ev;

	d->n_open++;
	if (!p || !d->cred.watch) {
		d->emit_errors += !p;
		return;
	}
	ev = cred_event_build(&d->cred, &d->ev, p, w);
	if (ev) {
		d->n_cred++;
		emit(d, ev);
	}
	/* a namespace the kernel did not know (found at start-up, or pushed
	 * out of its map): tell it, once the container is watched */
	if (w->ev->match == IDT_MATCH_CONTAINER)
		note_open_mntns(d, w->ev->hdr.pid, w->ev->cgroup_id, w->ev->mntns, w->ev->mntns_id);
	if (temp)
		proc_put(p);
}

/* A CI job's own tokens, where the job starts (proc_tracker hook). */
static void note_ci_tokens(void *arg, const struct proc *p, const char *env, size_t len)
{
	struct daemon *d = arg;

	if (d->cred.pivots)
		ci_tokens_note(&d->cred.key, d->cred.pivots, &d->ev.chain, p, env, len);
}

static int on_record(void *ctx, void *data, size_t len)
{
	struct daemon *d = ctx;
	struct wire_record r;
	struct proc *p;
	struct tls_exe exe;
	int err = wire_decode(data, len, &r);

	if (err) {
		d->decode_errors++;
		return 0;
	}
	switch (r.type) {
	case IDT_EV_EXEC:
		d->n_exec++;
		/* the old image's sessions end before the pid names the new one */
		exe = (struct tls_exe){ .dev = r.exec.ev->exe_dev, .ino = r.exec.ev->exe_ino,
					.ctime_ns = r.exec.ev->exe_ctime_ns };
		if (d->tls)
			tls_track_exec(d->tls, r.exec.ev->hdr.pid, &exe, r.exec.ev->hdr.ts_ns);
		if (proc_track_exec(&d->tracker, &r.exec, &p) == 0) {
			if (d->tls)
				tls_track_exec_file(d->tls, p->exe_real, &exe);
			emit(d, event_process_exec(&d->ev, p));
			note_container(d, p);
		} else {
			d->emit_errors++;
		}
		note_home(d, &r.exec.env, r.exec.ev->mntns);
		break;
	case IDT_EV_TLS_DATA:
	case IDT_EV_TLS_CONN:
	case IDT_EV_TLS_SNI:
	case IDT_EV_TLS_CLOSE:
	case IDT_EV_TLS_LIB:
		if (d->tls)
			tls_track_record(d->tls, &r);
		break;
	case IDT_EV_OPEN:
		on_open(d, &r.open);
		break;
	case IDT_EV_MNTNS:
		on_mntns(d, r.mntns);
		break;
	case IDT_EV_CGROUP:
		workload_note_cgroup(d->ev.chain.workload, r.cgroup->v1, r.cgroup->id,
				     r.cgroup->path);
		break;
	case IDT_EV_FORK:
		d->n_fork++;
		proc_track_fork(&d->tracker, r.fork);
		break;
	case IDT_EV_EXIT:
		d->n_exit++;
		if (d->tls)
			tls_track_exit(d->tls, r.exit->hdr.pid, r.exit->hdr.ts_ns);
		proc_track_exit(&d->tracker, r.exit);
		break;
	}
	if (d->drain_left >= 0) {
		/* What was in the ring at the stop is at most its size; records
		 * after that came later and are not waited for. */
		d->drain_left -= (len + BPF_RINGBUF_HDR_SZ + 7) & ~7ull;
		return d->drain_left > 0 ? 0 : ROUND_DONE;
	}
	return ++d->round_records >= RECORDS_PER_ROUND || stop_requested ? ROUND_DONE : 0;
}

/* Rescan the credential watch list on a file-system change (at most every
 * RESCAN_MIN_GAP_NS, so a burst of changes costs one rescan) and every
 * RESCAN_INTERVAL_NS regardless. A change is followed by a few more rescans
 * (RESCAN_FOLLOWUP_NS): a directory that appears is often mounted over
 * right after (kubelet's projected token volumes are a tmpfs on a new
 * directory), and a mount makes no inotify event. */
static void maybe_rescan(struct daemon *d)
{
	static const __u64 followup_ns[] = RESCAN_FOLLOWUP_NS;
	const int n_followups = sizeof(followup_ns) / sizeof(followup_ns[0]);
	__u64 now = host_info_boot_ns();

	if (cred_watch_on_inotify(d->cred.watch)) {
		d->rescan_due = true;
		d->followups_left = n_followups;
		d->followup_at = 0;
	}
	if (d->followup_at && now >= d->followup_at) {
		d->rescan_due = true;
		d->followup_at = 0;
	}
	if (!(d->rescan_due && now >= d->last_rescan_ns + RESCAN_MIN_GAP_NS) &&
	    now < d->last_rescan_ns + RESCAN_INTERVAL_NS)
		return;
	cred_watch_rescan(d->cred.watch);
	d->rescan_due = false;
	d->last_rescan_ns = now;
	d->n_rescans++;
	if (d->followups_left && !d->followup_at) {
		d->followup_at = now + followup_ns[n_followups - d->followups_left];
		d->followups_left--;
	}
}

static json_t *stats_event(struct daemon *d)
{
	uint64_t k[IDT_CNT_MAX] = { 0 };
	json_t *ev = event_new(&d->ev, "agent.stats", host_info_boot_ns());
	long rss_pages = 0;
	FILE *f = fopen("/proc/self/statm", "re");

	if (f) {
		if (fscanf(f, "%*d %ld", &rss_pages) != 1)
			rss_pages = 0;
		fclose(f);
	}
	loader_read_counters(d->loader, k);
	json_object_set_new(ev, "events",
			    json_pack("{s:I, s:I, s:I}", "process.exec", (json_int_t)d->n_exec,
				      "credential.read", (json_int_t)d->n_cred, "tls.request",
				      (json_int_t)d->n_tls));
	json_object_set_new(ev, "kernel",
			    json_pack("{s:I, s:I, s:I, s:I, s:I}", "exec", (json_int_t)k[IDT_CNT_EXEC],
				      "fork", (json_int_t)k[IDT_CNT_FORK], "exit",
				      (json_int_t)k[IDT_CNT_EXIT], "opens_checked",
				      (json_int_t)k[IDT_CNT_OPEN_SEEN], "open",
				      (json_int_t)k[IDT_CNT_OPEN]));
	json_object_set_new(json_object_get(ev, "kernel"), "tls_data",
			    json_integer(k[IDT_CNT_TLS_DATA]));
	json_object_set_new(json_object_get(ev, "kernel"), "tls_conn",
			    json_integer(k[IDT_CNT_TLS_CONN]));
	json_object_set_new(json_object_get(ev, "kernel"), "tls_writes_truncated",
			    json_integer(k[IDT_CNT_TLS_TRUNC]));
	json_object_set_new(json_object_get(ev, "kernel"), "tls_write_retries",
			    json_integer(k[IDT_CNT_TLS_RETRY]));
	if (d->cred.watch)
		json_object_set_new(ev, "credential_watch",
				    json_pack("{s:I, s:i}", "rescans", (json_int_t)d->n_rescans,
					      "containers", cred_watch_roots(d->cred.watch)));
	json_object_set_new(ev, "received",
			    json_pack("{s:I, s:I, s:I, s:I, s:I}", "exec", (json_int_t)d->n_exec,
				      "fork", (json_int_t)d->n_fork, "exit", (json_int_t)d->n_exit,
				      "open", (json_int_t)d->n_open, "open_filtered",
				      (json_int_t)d->cred.filtered));
	json_object_set_new(ev, "lost",
			    json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "exec",
				      (json_int_t)k[IDT_CNT_LOST_EXEC], "fork",
				      (json_int_t)k[IDT_CNT_LOST_FORK], "exit",
				      (json_int_t)k[IDT_CNT_LOST_EXIT], "open",
				      (json_int_t)k[IDT_CNT_LOST_OPEN], "total",
				      (json_int_t)(k[IDT_CNT_LOST_EXEC] + k[IDT_CNT_LOST_FORK] +
						   k[IDT_CNT_LOST_EXIT] + k[IDT_CNT_LOST_OPEN] +
						   k[IDT_CNT_LOST_TLS]),
				      "decode_errors", (json_int_t)d->decode_errors, "emit_errors",
				      (json_int_t)d->emit_errors));
	json_object_set_new(ev, "agent",
			    json_pack("{s:I, s:I, s:I, s:I}", "pid", (json_int_t)getpid(),
				      "uptime_ms",
				      (json_int_t)((host_info_boot_ns() - d->started_ns) / 1000000),
				      "rss_kb", (json_int_t)(rss_pages * (sysconf(_SC_PAGESIZE) / 1024)),
				      "proc_table_size",
				      (json_int_t)proc_table_count(d->tracker.table)));
	json_object_set_new(json_object_get(ev, "lost"), "tls", json_integer(k[IDT_CNT_LOST_TLS]));
	json_object_set_new(json_object_get(ev, "lost"), "sinks",
			    json_integer(outputs_dropped(d->out)));
	json_object_set_new(ev, "sinks", outputs_stats(d->out));
	if (d->tls)
		json_object_set_new(ev, "tls", tls_track_stats(d->tls));
	return ev;
}

static json_t *ready_event(struct daemon *d)
{
	json_t *ev = event_new(&d->ev, "agent.ready", host_info_boot_ns());

	json_object_set_new(ev, "agent",
			    json_pack("{s:s, s:I, s:I, s:s}", "version", IDTRACE_VERSION, "pid",
				      (json_int_t)getpid(), "seeded_processes", (json_int_t)d->seeded,
				      "output", d->cfg->output ? d->cfg->output : "stdout"));
	json_object_set_new(json_object_get(ev, "agent"), "sinks", outputs_describe(d->out));
	json_object_set_new(ev, "probes", loader_probes_json(d->loader));
	if (d->cfg->trace_tls)
		json_object_set_new(ev, "tls_libraries", loader_tls_libs_json(d->loader));
	return ev;
}

/* Rules: the defaults, then the configured ones. Returns the count or -errno. */
static int load_rules(const struct config *cfg, struct watch_rule **out)
{
	struct watch_rule *rules, *more;
	int n = watch_rules_defaults(&rules);

	if (n < 0)
		return n;
	more = realloc(rules, (n + cfg->n_watch) * sizeof(*rules));
	if (!more) {
		for (int i = 0; i < n; i++)
			watch_rule_free(&rules[i]);
		free(rules);
		return -ENOMEM;
	}
	rules = more;
	for (int i = 0; i < cfg->n_watch; i++)
		if (watch_rule_parse(cfg->watch_paths[i], cfg->watch_types[i], NULL, &rules[n]) == 0)
			n++;
	*out = rules;
	return n;
}

/* What to do about a key file fingerprint_key_load refused (err). */
static const char *fingerprint_key_advice(int err)
{
	switch (err) {
	case -EISDIR:
		return "--key-file names the key file itself, not its directory";
	case -ENOENT:
	case -ENOTDIR:
	case -EROFS:
	case -EACCES:
		return "its directory cannot be made or written";
	default:
		return "it must be a regular file of 32 bytes, mode 0600, owned by root; "
		       "remove it to have a new one made";
	}
}

/* The fingerprint key and the pivot table serve credential reads and TLS
 * requests alike: the same secret has the same fingerprint in both. */
static int setup_fingerprints(struct daemon *d)
{
	const char *key_file = d->cfg->key_file ? d->cfg->key_file : CONFIG_DEFAULT_KEY_FILE;
	int err = fingerprint_key_load(key_file, &d->cred.key);

	if (err) {
		log_err("cannot use fingerprint key file %s: %s (%s)", key_file, strerror(-err),
			fingerprint_key_advice(err));
		return err;
	}
	d->cred.pivots = pivot_table_new(4096);
	d->tls_ev.key = &d->cred.key;
	d->tls_ev.pivots = d->cred.pivots;
	return d->cred.pivots ? 0 : -ENOMEM;
}

static int setup_files(struct daemon *d)
{
	struct cred_watch_maps maps;
	struct watch_rule *rules;
	int n, err;

	err = loader_watch_maps(d->loader, &maps.inodes, &maps.dirs, &maps.names, &maps.bloom,
				&maps.mntns, &maps.homes_known);
	if (err)
		return err;
	n = load_rules(d->cfg, &rules);
	if (n < 0)
		return n;
	d->cred.proc_root = "/proc";
	d->cred.watch = cred_watch_new(&maps, rules, n, d->cfg->homes, d->cfg->n_homes);
	if (!d->cred.watch)
		return -ENOMEM;
	err = cred_watch_rescan(d->cred.watch);
	if (err < 0)
		return err;
	d->last_rescan_ns = host_info_boot_ns();
	log_debug("watching %d credential files", err);
	return 0;
}

/* A sink that cannot be set up is a configuration error: exit 2. */
#define SETUP_CONFIG_ERROR 2

/* Open the sinks of cfg into *out. 0, or -errno with the cause in err. */
static int open_outputs(struct daemon *d, const struct config *cfg, struct outputs **out,
			char *err, size_t n)
{
	struct outputs_opts oo = {
		.state_dir = d->cfg->state_dir ? d->cfg->state_dir : CONFIG_DEFAULT_STATE_DIR,
		.spool_max_bytes = (uint64_t)d->cfg->spool_max_mb << 20,
		.host = &d->ev.host,
		.defer_wakeups = true, /* kicked once per ring-buffer batch (daemon_run) */
	};
	struct sink_spec *specs;
	int count, rc;

	rc = outputs_specs(cfg, &specs, &count, err, n);
	if (!rc) {
		rc = outputs_open(specs, count, &oo, out, err, n);
		outputs_specs_free(specs, count);
	}
	return rc;
}

static int setup_outputs(struct daemon *d)
{
	char err[1024] = "";
	int rc = open_outputs(d, d->cfg, &d->out, err, sizeof(err));

	if (rc) {
		log_err("%s", err[0] ? err : strerror(-rc));
		d->config_error = true;
	}
	return rc;
}

/* SIGHUP. Sinks from the config file: read it again; when its sinks (or
 * "output") changed and the new ones can be set up, switch to them (the old
 * ones drain first); a broken config keeps the running sinks. Otherwise, and
 * when nothing changed: reopen files and reconnect sinks that are down. The
 * probes are never touched. */
static void reload_outputs(struct daemon *d)
{
	struct config fresh;
	struct outputs *next = NULL;
	char err[1024] = "";
	bool same;
	int rc;

	if (!d->cfg->sinks_from_file || !d->cfg->config_path) {
		log_info("SIGHUP: reopening sinks");
		outputs_reopen(d->out);
		return;
	}
	config_defaults(&fresh);
	rc = config_load_file(&fresh, d->cfg->config_path, err, sizeof(err));
	same = !rc &&
	       (fresh.sinks == d->live_sinks || json_equal(fresh.sinks, d->live_sinks)) &&
	       !strcmp(fresh.output ? fresh.output : "", d->live_output ? d->live_output : "");
	if (rc || same) {
		if (rc)
			log_err("SIGHUP: config %s: %s; keeping the running sinks",
				d->cfg->config_path, err);
		log_info("SIGHUP: reopening sinks");
		outputs_reopen(d->out);
		config_free(&fresh);
		return;
	}
	rc = open_outputs(d, &fresh, &next, err, sizeof(err));
	if (rc) {
		log_err("SIGHUP: %s; keeping the running sinks", err[0] ? err : strerror(-rc));
		config_free(&fresh);
		return;
	}
	if (outputs_close(d->out, d->cfg->drain_timeout_s * 1000))
		log_err("some events could not be delivered nor kept in a spool (see above)");
	d->out = next;
	json_decref(d->live_sinks);
	free(d->live_output);
	d->live_sinks = json_incref(fresh.sinks);
	d->live_output = fresh.output ? strdup(fresh.output) : NULL;
	log_info("SIGHUP: sinks reloaded from %s", d->cfg->config_path);
	config_free(&fresh);
}

static int setup(struct daemon *d)
{
	struct loader_opts lo = {
		.ringbuf_bytes = d->cfg->ring_buffer_mb << 20,
		.capture_env = d->cfg->capture_env,
		.watch_files = d->cfg->watch_files,
		.trace_tls = d->cfg->trace_tls,
		.ia32_syscalls = d->cfg->ia32_syscalls,
	};
	int err;

	err = host_info_init(&d->ev.host);
	if (err) {
		log_err("cannot read the boot id: %s", strerror(-err));
		return err;
	}
	d->started_ns = host_info_boot_ns();
	/* before the sinks: a user without root learns that first */
	err = loader_check_privileges();
	err = err ?: setup_outputs(d);
	if (err)
		return err;
	d->live_sinks = json_incref(d->cfg->sinks);
	d->live_output = d->cfg->output ? strdup(d->cfg->output) : NULL;
	d->ev.chain.workload = workload_ctx_new("/proc", d->cfg->spiffe_id);
	d->ev.chain.env_unread = !d->cfg->capture_env;
	d->ev.reuse_identity = true;
	d->tracker.table = proc_table_new();
	if (!d->ev.chain.workload || !d->tracker.table)
		return -ENOMEM;
	if (!workload_cgroup2_mount(d->ev.chain.workload))
		log_warn("no cgroup2 mount found: workload.cgroup_path will be missing");
	snprintf(d->tracker.boot_id, sizeof(d->tracker.boot_id), "%s", d->ev.host.boot_id);
	d->tracker.proc_root = "/proc";
	d->tracker.exes = exe_cache_new(); /* without it, exe_resolved is left out */
	d->tracker.ci_established = note_ci_tokens;
	d->tracker.ci_arg = d;
	d->tracker.cgroup2_mount = workload_cgroup2_mount(d->ev.chain.workload);
	lo.cgroup_v1_controller = workload_cgroup_v1_controller(d->ev.chain.workload);

	/* Attach first, then seed: a process started in between is seen by the
	 * probes, and its records wait in the ring buffer. */
	d->loader = loader_start(&lo);
	if (!d->loader)
		return -errno;
	d->rb = ring_buffer__new(loader_events_fd(d->loader), on_record, d, NULL);
	if (!d->rb) {
		log_err("cannot set up the ring buffer: %s", strerror(errno));
		return -errno;
	}
	err = setup_fingerprints(d);
	if (err)
		return err;
	if (d->cfg->watch_files) {
		err = setup_files(d);
		if (err)
			return err;
	}
	if (d->cfg->seed_procfs) {
		err = proc_track_seed_all(&d->tracker);
		if (err < 0)
			log_warn("cannot seed processes from /proc: %s", strerror(-err));
		else
			d->seeded = err;
		/* containers that ran before the start, watched before agent.ready */
		proc_table_each(d->tracker.table, note_seeded_container, d);
		if (d->rescan_due) {
			cred_watch_rescan(d->cred.watch);
			d->rescan_due = false;
		}
	}
	/* After seeding: requests of running processes find their records. */
	if (d->cfg->trace_tls) {
		d->tls = tls_track_new(d->loader, &d->tracker, &d->ev, &d->tls_ev, emit_tls, d);
		if (!d->tls)
			return -ENOMEM;
	}
	return 0;
}

static void teardown(struct daemon *d)
{
	tls_track_free(d->tls, host_info_boot_ns());
	/* The events are out (or spooled) before the probes are detached:
	 * the kernel takes a grace period or two per uprobe to remove it,
	 * seconds with many TLS libraries attached, and a service manager
	 * may lose patience during that. */
	if (outputs_close(d->out, d->cfg->drain_timeout_s * 1000))
		log_err("some events could not be delivered nor kept in a spool (see above)");
	d->out = NULL;
	cred_ctx_release(&d->cred);
	explicit_bzero(&d->cred.key, sizeof(d->cred.key));
	ring_buffer__free(d->rb);
	loader_stop(d->loader);
	proc_table_free(d->tracker.table);
	exe_cache_free(d->tracker.exes);
	event_ctx_release(&d->ev);
	workload_ctx_free(d->ev.chain.workload);
	json_decref(d->live_sinks);
	free(d->live_output);
}

int daemon_run(const struct config *cfg)
{
	struct daemon d = { .cfg = cfg, .drain_left = -1 };
	struct sigaction sa = { .sa_handler = on_signal };
	__u64 next_stats = 0;
	int err, rc = 1;

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	err = setup(&d);
	if (err) {
		rc = d.config_error ? SETUP_CONFIG_ERROR : 1;
		goto out;
	}
	emit(&d, ready_event(&d));
	if (cfg->stats_interval_s)
		next_stats = host_info_boot_ns() + cfg->stats_interval_s * 1000000000ull;
	while (!stop_requested) {
		d.round_records = 0;
		err = ring_buffer__poll(d.rb, POLL_TIMEOUT_MS);
		/* records sent without a wakeup are only seen by consuming */
		if (err >= 0)
			err = ring_buffer__consume(d.rb);
		if (err < 0 && err != -EINTR && err != ROUND_DONE) {
			log_err("polling the ring buffer failed: %s", strerror(-err));
			goto out;
		}
		outputs_kick(d.out);
		if (outputs_gone(d.out)) {
			/* `idtrace | head`: like a filter whose reader left */
			log_err("no output can take events any more (standard output's reader "
				"or terminal is gone): stopping");
			d.outputs_gone = true;
			break;
		}
		if (d.cred.watch)
			maybe_rescan(&d);
		if (d.tls)
			tls_track_tick(d.tls, host_info_boot_ns());
		if (next_stats && host_info_boot_ns() >= next_stats) {
			emit(&d, stats_event(&d));
			next_stats += cfg->stats_interval_s * 1000000000ull;
		}
		if (reopen_requested) {
			reopen_requested = 0;
			reload_outputs(&d);
		}
	}
	/* Drain what the kernel already produced, then report. */
	d.drain_left = (long long)cfg->ring_buffer_mb << 20;
	ring_buffer__consume(d.rb);
	/* Sessions still open give their events now, before the counts. */
	if (d.tls)
		tls_track_end_all(d.tls, host_info_boot_ns());
	/* The last counts say where each line went: let the sinks catch up
	 * (a sink that is down spools at once). */
	outputs_settle(d.out, STATS_SETTLE_MS);
	emit(&d, stats_event(&d));
	rc = d.outputs_gone ? 1 : 0;
out:
	teardown(&d);
	return rc;
}

/* The key file and the state directory, as the daemon will use them,
 * without making either. */
static int check_paths(const struct config *cfg, char *err, size_t n)
{
	const char *key_file = cfg->key_file ? cfg->key_file : CONFIG_DEFAULT_KEY_FILE;
	const char *state_dir = cfg->state_dir ? cfg->state_dir : CONFIG_DEFAULT_STATE_DIR;
	char why[512];
	int rc = fingerprint_key_check(key_file);

	if (rc == -ENOENT) {
		rc = path_check_parent(key_file, why, sizeof(why));
		if (rc) {
			snprintf(err, n, "fingerprint key file %s cannot be made: %s", key_file, why);
			return rc;
		}
	} else if (rc) {
		snprintf(err, n, "cannot use fingerprint key file %s: %s (%s)", key_file,
			 strerror(-rc), fingerprint_key_advice(rc));
		return rc;
	}
	rc = path_check_dir(state_dir, why, sizeof(why));
	if (rc)
		snprintf(err, n, "state directory %s cannot be used: %s", state_dir, why);
	return rc;
}

int daemon_check_config(const struct config *cfg)
{
	struct sink_spec *specs;
	char err[1024] = "";
	int n, rc;

	rc = check_paths(cfg, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "idtrace: %s\n", err);
		return SETUP_CONFIG_ERROR;
	}
	rc = outputs_specs(cfg, &specs, &n, err, sizeof(err));
	if (!rc) {
		rc = outputs_check(specs, n, err, sizeof(err));
		if (!rc)
			for (int i = 0; i < n; i++)
				printf("sink %s: ok\n", specs[i].uri);
		outputs_specs_free(specs, n);
	}
	if (rc) {
		fprintf(stderr, "idtrace: %s\n", err[0] ? err : strerror(-rc));
		return SETUP_CONFIG_ERROR;
	}
	printf("configuration ok\n");
	return 0;
}
