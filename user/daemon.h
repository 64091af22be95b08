/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The running daemon: loads the probes, consumes the ring buffer, keeps the
 * process table, writes events, and reports its counters on the way out. */
#ifndef IDTRACE_DAEMON_H
#define IDTRACE_DAEMON_H

#include "config.h"

/* Run until SIGINT/SIGTERM. Returns the process exit code: 0 after a clean
 * drain, 1 on a runtime error (already logged). */
int daemon_run(const struct config *cfg);
/* --check-config: parse every sink and reach it once. Prints the result;
 * returns 0 when all is well, 2 otherwise. */
int daemon_check_config(const struct config *cfg);

#endif
