/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Facts about this host that every event carries, and kernel-time conversion. */
#ifndef IDTRACE_HOST_INFO_H
#define IDTRACE_HOST_INFO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct host_info {
	char hostname[256];
	char boot_id[40];
	int64_t boot_to_real_ns; /* CLOCK_REALTIME - CLOCK_BOOTTIME at start-up */
};

/* Fill *h from uname and /proc/sys/kernel/random/boot_id. Returns 0 or -errno. */
int host_info_init(struct host_info *h);
/* Format a CLOCK_BOOTTIME timestamp as RFC 3339 UTC with nanoseconds
 * ("2026-11-24T11:31:09.123456789Z") into buf (at least 32 bytes). */
void host_info_format_time(const struct host_info *h, uint64_t boot_ns, char *buf, size_t n);
/* Current CLOCK_BOOTTIME in ns. */
uint64_t host_info_boot_ns(void);
/* User name of uid into buf; returns 0, or -ENOENT when uid has no passwd entry. */
int host_info_user_name(uid_t uid, char *buf, size_t n);

#endif
