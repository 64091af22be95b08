/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Is a TCP port listened on, in a process's network namespace? Tells a
 * server's TLS session from a client's when the probes saw its socket but
 * not its start: an accepted socket keeps the listener's port, while a
 * client's connect() never gets a port a listener holds.
 *
 * The listening ports of a namespace are read once (/proc/PID/net/tcp and
 * tcp6) and kept for a second: a daemon that starts on a busy server finds
 * hundreds of its sessions at once, and the tables can be megabytes.
 */
#ifndef IDTRACE_LISTEN_PORT_H
#define IDTRACE_LISTEN_PORT_H

#include <stdint.h>
#include <sys/types.h>

struct listen_ports;

struct listen_ports *listen_ports_new(void);
void listen_ports_free(struct listen_ports *lp);

/* 1 when a TCP socket (IPv4 or IPv6) in LISTEN state has local port port in
 * pid's network namespace, 0 when none does, -errno when it cannot be told
 * (the process is gone). now_ns: a monotonic clock, for the cache. */
int listen_ports_check(struct listen_ports *lp, pid_t pid, uint16_t port, uint64_t now_ns);
/* Table reads so far (for tests and stats). */
uint64_t listen_ports_reads(const struct listen_ports *lp);

/* The LISTEN ports of one /proc/net/tcp or tcp6 table (text, NUL-terminated)
 * added to ports[*n..max): returns the new count. */
size_t listen_ports_parse(const char *table, uint16_t *ports, size_t n, size_t max);

#endif /* IDTRACE_LISTEN_PORT_H */
