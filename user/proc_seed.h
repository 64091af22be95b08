/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Process records built from /proc, for processes the probes did not see start. */
#ifndef IDTRACE_PROC_SEED_H
#define IDTRACE_PROC_SEED_H

#include <stddef.h>
#include "proc_track.h"

/* Seed pid (and, first, any unknown ancestors) from /proc into the table.
 * Returns the record (borrowed), or NULL when the process is gone. */
struct proc *proc_seed_one(struct proc_tracker *tr, __u32 pid);
/* Read /proc/PID/environ (bounded to 256 KiB) into a malloc'd buffer the
 * caller frees. Returns 0 or -errno. */
int proc_seed_read_environ(struct proc_tracker *tr, __u32 pid, char **buf, size_t *len);

#endif
