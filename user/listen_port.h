/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Is a TCP port listened on, in a process's network namespace? Tells a
 * server's TLS session from a client's when the probes saw its socket but
 * not its start: an accepted socket keeps the listener's port, while a
 * client's connect() never gets a port a listener holds.
 */
#ifndef IDTRACE_LISTEN_PORT_H
#define IDTRACE_LISTEN_PORT_H

#include <stdint.h>
#include <sys/types.h>

/* 1 when a TCP socket (IPv4 or IPv6) in LISTEN state has local port port in
 * pid's network namespace (/proc/PID/net/tcp, tcp6), 0 when none does,
 * -errno when neither table could be read (the process is gone). */
int listen_port_in_netns(pid_t pid, uint16_t port);

/* One /proc/net/tcp or tcp6 table (text, NUL-terminated): 1 when a row in
 * LISTEN state (st 0A) has local port port, else 0. */
int listen_port_in_table(const char *table, uint16_t port);

#endif /* IDTRACE_LISTEN_PORT_H */
