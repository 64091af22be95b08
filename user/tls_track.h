/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The TLS side of the daemon: finds TLS libraries (host, running processes,
 * processes as they exec) and attaches the probes to each one once, feeds
 * the probes' records to the session table, and turns requests into
 * tls.request events.
 */
#ifndef IDTRACE_TLS_TRACK_H
#define IDTRACE_TLS_TRACK_H

#include <jansson.h>
#include "event.h"
#include "loader.h"
#include "proc_track.h"
#include "tls_event.h"
#include "wire_decode.h"

struct tls_track;

typedef void (*tls_track_emit_fn)(json_t *ev, void *arg);

/* Scan the host's library directories and every running process, attach to
 * what was found. NULL on ENOMEM; finding no library is not an error. */
struct tls_track *tls_track_new(struct loader *loader, struct proc_tracker *tracker,
				struct event_ctx *ec, const struct tls_event_ctx *tc,
				tls_track_emit_fn emit, void *arg);
/* A TLS record (IDT_EV_TLS_*). */
void tls_track_record(struct tls_track *t, const struct wire_record *r);
/* An executed file, as the exec probe names it: device (kernel encoding),
 * inode, and change time (ns), which tells a new file apart from a deleted
 * one whose inode number it was given. */
struct tls_exe {
	uint32_t dev;
	uint64_t ino;
	uint64_t ctime_ns;
};

/* A process exec'd the file exe: its old image's sessions are over, and the
 * first exec of each program is scanned for libraries not seen yet. Or it
 * exited. */
void tls_track_exec(struct tls_track *t, uint32_t pid, const struct tls_exe *exe, uint64_t ts);
/* Then the program's own file, now at path (NULL: unknown), once per file:
 * a program that carries its TLS inside (Node.js, Go) is attached at its
 * first exec, and from then on every run is traced from its start, however
 * short-lived (its mappings, scanned later, may be gone by then). path must
 * still name the exec'd file. */
void tls_track_exec_file(struct tls_track *t, const char *path, const struct tls_exe *exe);
void tls_track_exit(struct tls_track *t, uint32_t pid, uint64_t ts);
/* Periodic work: scan exec'd processes' mappings, expire idle sessions,
 * rescan all processes now and then. */
void tls_track_tick(struct tls_track *t, uint64_t now);
/* Counters for agent.stats. */
json_t *tls_track_stats(const struct tls_track *t);
/* End every session, emitting what is due (before the last agent.stats). */
void tls_track_end_all(struct tls_track *t, uint64_t ts);
/* End every session (emitting what is due) and free. */
void tls_track_free(struct tls_track *t, uint64_t ts);

#endif
