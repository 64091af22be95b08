/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * credential.read events: a watched credential file was opened (or an open
 * of one failed). Resolves the path, fingerprints the secret, appends the
 * credential hop, and marks pivots: a credential that chains with different
 * originators touched.
 */
#ifndef IDTRACE_CRED_EVENT_H
#define IDTRACE_CRED_EVENT_H

#include <jansson.h>
#include "cred_watch.h"
#include "event.h"
#include "fingerprint.h"
#include "pivot.h"
#include "wire_decode.h"

#define CRED_CACHE 128

struct cred_ctx {
	struct cred_watch *watch;
	struct fingerprint_key key;
	struct pivot_table *pivots;
	const char *proc_root;
	uint64_t filtered; /* records the userspace recheck of the rules dropped */
	struct {
		uint32_t kdev;
		uint64_t ino;
		int64_t ctime_ns; /* the file's change time when it was read */
		int64_t size, mtime_ns;
		char fingerprint[FINGERPRINT_STR_LEN];
		char error[128];
		json_t *facts;
	} cache[CRED_CACHE];
	unsigned int cache_next;
};

/* Build the credential.read event of record w by process p (caller owns
 * it). NULL when the userspace recheck finds that no rule covers the file
 * (cc->filtered counts those) or on ENOMEM. */
json_t *cred_event_build(struct cred_ctx *cc, struct event_ctx *ec, struct proc *p,
			 const struct wire_open *w);
/* Open flags as names: ["O_RDONLY", "O_CLOEXEC", ...]. Caller owns it. */
json_t *cred_event_flags(uint32_t flags);
/* Resolve the path a process passed to open(): absolute paths are cleaned
 * lexically, relative ones joined to its cwd (dfd AT_FDCWD) or to the
 * directory behind dfd, read from proc_root/PID. Returns 0, or -ENOENT when
 * the process is gone (out then holds the path as given). */
int cred_event_resolve(const char *proc_root, uint32_t pid, int dfd, const char *path,
		       size_t len, char *out, size_t n);
void cred_ctx_release(struct cred_ctx *cc);

#endif
