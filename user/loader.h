/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Loads and attaches the BPF probe families, in steps: open, set rodata,
 * size maps, load, attach. Turns every failure into a message that names the
 * cause and the fix.
 */
#ifndef IDTRACE_LOADER_H
#define IDTRACE_LOADER_H

#include <stdint.h>
#include <jansson.h>
#include "idtrace_wire.h"

struct loader_opts {
	uint32_t ringbuf_bytes; /* power of two >= 4096 */
	int capture_env;        /* read the environment at exec (CI context) */
	int watch_files;        /* load the credential-open probes */
	int trace_tls;          /* load the TLS probes (attach libraries with loader_attach_tls) */
	int ia32_syscalls;      /* with the credential-open probes, the 32-bit syscalls' too */
	const char *cgroup_v1_controller; /* record exec'ing tasks' cgroup in this v1
					   * hierarchy ("memory"); NULL: none */
};

#define LOADER_TLS_OPENSSL 1
#define LOADER_TLS_GNUTLS 2
#define LOADER_TLS_GO 3

struct loader;

/* Root (the probes need it)? 0, or -EPERM after saying so. */
int loader_check_privileges(void);
/* Check privileges and kernel support, mount tracefs if needed, load and
 * attach every probe. Returns NULL after logging why (errno set). */
struct loader *loader_start(const struct loader_opts *o);
/* Detach and free everything. */
void loader_stop(struct loader *l);
/* fd of the shared "events" ring buffer map. */
int loader_events_fd(const struct loader *l);
/* Sum the per-CPU kernel counters into out[IDT_CNT_MAX]. Returns 0 or -errno. */
int loader_read_counters(const struct loader *l, uint64_t out[IDT_CNT_MAX]);
/* fds of the credential watch maps (and of the mount namespaces the file
 * probes leave to them, and of the HOME values the exec probe need not
 * mark). Returns 0, or -ENOENT when the file probes are not loaded. */
int loader_watch_maps(const struct loader *l, int *inodes, int *dirs, int *names, int *bloom,
		      int *mntns, int *homes_known);
/* Attach the TLS uprobes to the library at path (as the daemon can open
 * it; display is the name reported, e.g. the path inside a container).
 * kind: LOADER_TLS_*. Functions the library lacks are skipped. A Go program
 * is attached at go_off, the file offsets of crypto/tls.(*Conn).Write, Close
 * and serverHandshake (0: absent), as tls_libs found them. On success
 * *functions (when not NULL) gets a new reference to the array of attached
 * function names. Returns 0, -ENOENT when nothing could be attached (or the
 * TLS probes are not loaded), -EINVAL for an unknown kind, -ENOMEM. */
/* Let the TLS library file (kernel dev, ino) be reported again when a process
 * maps it (its last report could not be followed up). */
void loader_tls_lib_forget(struct loader *l, uint32_t dev, uint64_t ino);
/* The TLS session (tgid, session pointer) is a server's: its calls are not
 * traced from now on. */
void loader_tls_session_is_server(struct loader *l, uint32_t tgid, uint64_t session);
int loader_attach_tls(struct loader *l, const char *path, const char *display, int kind,
		      const unsigned long *go_off, json_t **functions);
/* New array [{"path","library","functions"}] of the libraries attached. */
json_t *loader_tls_libs_json(const struct loader *l);
/* New JSON array naming each attached probe ({"name","hook"}). Caller owns it. */
json_t *loader_probes_json(const struct loader *l);

#endif
