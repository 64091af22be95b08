// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "exe_cache.h"
#include "listen_port.h"
#include "log.h"
#include "tls_libs.h"
#include "tls_session.h"
#include "tls_track.h"

#define TLS_MAX_SESSIONS 16384
#define TLS_IDLE_NS (15 * 60 * 1000000000ull)   /* a session idle this long is over */
#define TLS_SCAN_DELAY_NS (20 * 1000000ull)     /* after exec: the loader has mapped libraries */
#define TLS_RESCAN_NS (30 * 1000000000ull)      /* all processes, for dlopen()ed libraries */
#define TLS_PENDING 1024                        /* exec'd pids waiting for their scan */
#define TLS_SEEN_EXES 4096                      /* executables whose mappings were scanned */


struct tls_track {
	struct loader *loader;
	struct proc_tracker *tracker;
	struct event_ctx *ec;
	const struct tls_event_ctx *tc;
	tls_track_emit_fn emit;
	void *arg;
	struct tls_libs *libs;
	struct tls_sessions *sessions;
	struct listen_ports *listening; /* per network namespace, for is_server */
	struct {
		uint32_t pid;
		struct tls_exe exe;
		uint64_t due;
	} pending[TLS_PENDING];
	/* (dev, ino) of executables already scanned after an exec: the same
	 * program maps the same libraries, so only its first exec is scanned
	 * (dlopen()ed libraries are found by the periodic rescan). Direct-mapped,
	 * a collision only costs a scan. */
	struct tls_exe seen[TLS_SEEN_EXES];
	/* (dev, ino) of executables already inspected as files at their exec,
	 * direct-mapped likewise. */
	struct tls_exe inspected[TLS_SEEN_EXES];
	unsigned int pending_head, pending_len;
	uint64_t next_rescan;
	uint64_t requests, sessions_without_http, attach_failed, pending_dropped, records;
	uint64_t found_at_map; /* libraries found when a process mapped them */
};

static void report(struct tls_track *t, const struct tls_session *s,
		   const struct http_request *req, uint64_t ts)
{
	bool temp;
	struct proc *p = proc_track_find_or_stand_in(t->tracker, s->pid, s->start_ns, &temp);

	if (!p)
		return;
	t->emit(tls_event_build(t->tc, t->ec, p, s, req, ts), t->arg);
	if (temp)
		proc_put(p);
}

static void on_request(const struct tls_session *s, const struct http_request *req, uint64_t ts,
		       void *arg)
{
	struct tls_track *t = arg;

	t->requests++;
	report(t, s, req, ts);
}

/* A session seen from its socket on: a server's when a socket listens on
 * its local port in the process's network namespace (a client's connect()
 * never gets a port a listener holds). The probes then leave it alone. */
static bool is_server(const struct tls_session *s, void *arg)
{
	struct tls_track *t = arg;

	if (listen_ports_check(t->listening, (pid_t)s->pid, s->local.port, s->last_ns) != 1)
		return false;
	loader_tls_session_is_server(t->loader, s->pid, s->session);
	return true;
}

static void on_ended(const struct tls_session *s, uint64_t ts, void *arg)
{
	struct tls_track *t = arg;

	t->sessions_without_http++;
	report(t, s, NULL, ts);
}

static bool forked_from(uint32_t pid, uint64_t start_ns, uint32_t *ppid, uint64_t *pstart_ns,
			void *arg)
{
	struct tls_track *t = arg;
	struct proc *p = proc_track_find(t->tracker, pid);

	if (!p || !(p->flags & PROC_F_FORKED) || !p->parent ||
	    (start_ns && p->start_ns != start_ns))
		return false;
	*ppid = p->parent->pid;
	*pstart_ns = p->parent->start_ns;
	return true;
}

static const struct tls_sessions_ops session_ops = {
	.request = on_request,
	.ended = on_ended,
	.is_server = is_server,
	.forked_from = forked_from,
};

/* Attach the probes to libraries found since the last call. */
static void attach_new(struct tls_track *t)
{
	size_t first, n = tls_libs_take_new(t->libs, &first);

	for (size_t i = first; i < first + n; i++) {
		const struct tls_lib *lib = tls_libs_get(t->libs, i);
		int kind = lib->kind == TLS_LIB_GNUTLS ? LOADER_TLS_GNUTLS
			   : lib->kind == TLS_LIB_GO   ? LOADER_TLS_GO
						       : LOADER_TLS_OPENSSL;
		int err = loader_attach_tls(t->loader, lib->path, lib->display, kind, lib->go_off,
					    NULL);

		if (err) {
			t->attach_failed++;
			log_warn("TLS: cannot attach to %s: %s", lib->display, strerror(-err));
		} else {
			log_info("TLS: attached to %s (%s%s%s)", lib->display,
				 tls_libs_kind_name(lib->kind), lib->version[0] ? " " : "",
				 lib->version);
		}
	}
}

struct tls_track *tls_track_new(struct loader *loader, struct proc_tracker *tracker,
				struct event_ctx *ec, const struct tls_event_ctx *tc,
				tls_track_emit_fn emit, void *arg)
{
	struct tls_track *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	*t = (struct tls_track){ .loader = loader, .tracker = tracker, .ec = ec, .tc = tc,
				 .emit = emit, .arg = arg };
	t->libs = tls_libs_new();
	t->sessions = tls_sessions_new(TLS_MAX_SESSIONS, &session_ops, t);
	t->listening = listen_ports_new();
	if (!t->libs || !t->sessions || !t->listening) {
		tls_libs_free(t->libs);
		tls_sessions_free(t->sessions, 0);
		listen_ports_free(t->listening);
		free(t);
		return NULL;
	}
	tls_libs_scan_system(t->libs);
	tls_libs_scan_all_pids(t->libs);
	attach_new(t);
	if (!tls_libs_count(t->libs))
		log_warn("TLS: no OpenSSL or GnuTLS library found; processes that load one later "
			 "are picked up as they exec");
	t->next_rescan = host_info_boot_ns() + TLS_RESCAN_NS;
	return t;
}

/* exe is about to be judged (its file, or its process's mappings): a file
 * judged before under its inode number with another change time was
 * another file. */
static void forget_stale(struct tls_track *t, const struct tls_exe *exe)
{
	if (exe->ino && exe->ctime_ns)
		tls_libs_forget_stale(t->libs, exe->ino, exe->ctime_ns);
}

static void note_ctime(struct tls_track *t, const struct tls_exe *exe)
{
	if (exe->ino && exe->ctime_ns)
		tls_libs_note_ctime(t->libs, exe->ino, exe->ctime_ns);
}

void tls_track_record(struct tls_track *t, const struct wire_record *r)
{
	t->records++;
	switch (r->type) {
	case IDT_EV_TLS_DATA:
		tls_sessions_data(t->sessions, r->tls_data.ev, r->tls_data.data.p,
				  r->tls_data.data.len);
		break;
	case IDT_EV_TLS_CONN:
		tls_sessions_conn(t->sessions, r->tls_conn);
		break;
	case IDT_EV_TLS_SNI:
		tls_sessions_sni(t->sessions, r->tls_sni);
		break;
	case IDT_EV_TLS_CLOSE:
		tls_sessions_close(t->sessions, r->tls_close->hdr.pid, r->tls_close->session,
				   r->tls_close->hdr.ts_ns);
		break;
	case IDT_EV_TLS_LIB: {
		/* now, not at the next tick: the process is still in ld.so */
		const struct tls_exe lib = { .dev = r->tls_lib->dev, .ino = r->tls_lib->ino,
					     .ctime_ns = r->tls_lib->ctime_ns };
		int n;

		forget_stale(t, &lib);
		n = tls_libs_scan_pid(t->libs, r->tls_lib->hdr.pid);
		if (n >= 0)
			note_ctime(t, &lib);

		if (n > 0) {
			t->found_at_map++;
			attach_new(t);
		} else if (n < 0) { /* gone already: the next process to map it tells */
			loader_tls_lib_forget(t->loader, r->tls_lib->dev, r->tls_lib->ino);
		}
		break;
	}
	}
}

static struct tls_exe *exe_slot(struct tls_exe *set, const struct tls_exe *exe)
{
	return &set[(((exe->ino ^ ((uint64_t)exe->dev << 32)) * 0x9e3779b97f4a7c15ull) >> 52) %
		    TLS_SEEN_EXES];
}

static bool exe_same(const struct tls_exe *a, const struct tls_exe *b)
{
	return a->ino == b->ino && a->dev == b->dev && a->ctime_ns == b->ctime_ns;
}

/* Mark exe in set; false when it was there already. */
static bool exe_first(struct tls_exe *set, const struct tls_exe *exe)
{
	struct tls_exe *k = exe_slot(set, exe);

	if (exe_same(k, exe))
		return false;
	*k = *exe;
	return true;
}

void tls_track_exec_file(struct tls_track *t, const char *path, const struct tls_exe *exe)
{
	/* the path first: an exec whose file could not be named (a process gone
	 * before the daemon looked, run by a relative path) leaves it to the next */
	if (!exe->ino || !exe_cache_is_file(path, exe->dev, exe->ino) ||
	    !exe_first(t->inspected, exe))
		return;
	forget_stale(t, exe);
	if (tls_libs_add_path(t->libs, path, NULL) == 1)
		attach_new(t);
	note_ctime(t, exe);
}

void tls_track_exec(struct tls_track *t, uint32_t pid, const struct tls_exe *exe, uint64_t ts)
{
	struct tls_exe *k = exe_slot(t->seen, exe);
	unsigned int i;

	tls_sessions_end_pid(t->sessions, pid, ts);
	if (exe->ino && exe_same(k, exe))
		return;
	if (t->pending_len == TLS_PENDING) {
		t->pending_dropped++; /* the periodic rescan still finds its libraries */
		return;
	}
	i = (t->pending_head + t->pending_len++) % TLS_PENDING;
	t->pending[i].pid = pid;
	t->pending[i].exe = *exe;
	t->pending[i].due = ts + TLS_SCAN_DELAY_NS;
}

void tls_track_exit(struct tls_track *t, uint32_t pid, uint64_t ts)
{
	tls_sessions_end_pid(t->sessions, pid, ts);
	/* gone before its scan: its maps are gone too, and a library it
	 * brought is scanned in the next process that maps it */
	for (unsigned int k = 0; k < t->pending_len; k++) {
		unsigned int i = (t->pending_head + k) % TLS_PENDING;

		if (t->pending[i].pid == pid)
			t->pending[i].pid = 0;
	}
}

void tls_track_tick(struct tls_track *t, uint64_t now)
{
	bool found = false;

	while (t->pending_len && t->pending[t->pending_head].due <= now) {
		typeof(t->pending[0]) *pe = &t->pending[t->pending_head];
		int n;

		forget_stale(t, &pe->exe);
		n = pe->pid ? tls_libs_scan_pid(t->libs, pe->pid) : -ESRCH;
		found |= n > 0;
		if (n >= 0) { /* scanned (not gone before we looked): once is enough */
			exe_first(t->seen, &pe->exe);
			note_ctime(t, &pe->exe);
		}
		t->pending_head = (t->pending_head + 1) % TLS_PENDING;
		t->pending_len--;
	}
	if (now >= t->next_rescan) {
		found |= tls_libs_scan_all_pids(t->libs) > 0;
		t->next_rescan = now + TLS_RESCAN_NS;
	}
	if (found)
		attach_new(t);
	if (now > TLS_HOLD_NS)
		tls_sessions_release_held(t->sessions, now - TLS_HOLD_NS);
	if (now > TLS_IDLE_NS)
		tls_sessions_expire(t->sessions, now - TLS_IDLE_NS);
}

json_t *tls_track_stats(const struct tls_track *t)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "libraries",
			 (json_int_t)tls_libs_count(t->libs), "libraries_found_at_map",
			 (json_int_t)t->found_at_map, "attach_failed",
			 (json_int_t)t->attach_failed, "sessions_open",
			 (json_int_t)tls_sessions_count(t->sessions), "sessions_evicted",
			 (json_int_t)tls_sessions_evicted(t->sessions), "requests",
			 (json_int_t)t->requests, "sessions_without_http",
			 (json_int_t)t->sessions_without_http, "server_sessions_dropped",
			 (json_int_t)tls_sessions_server_dropped(t->sessions), "records",
			 (json_int_t)t->records);
}

void tls_track_end_all(struct tls_track *t, uint64_t ts)
{
	tls_sessions_end_all(t->sessions, ts);
}

void tls_track_free(struct tls_track *t, uint64_t ts)
{
	if (!t)
		return;
	tls_sessions_free(t->sessions, ts);
	tls_libs_free(t->libs);
	listen_ports_free(t->listening);
	free(t);
}
