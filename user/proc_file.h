/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Reading a whole file of a process under /proc. */
#ifndef IDTRACE_PROC_FILE_H
#define IDTRACE_PROC_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* proc_root/PID/name (at most max bytes) into a malloc'd, NUL-terminated
 * *buf of *len bytes. 0, or -errno (nothing to free). */
int proc_file_read(const char *proc_root, uint32_t pid, const char *name, size_t max, char **buf,
		   size_t *len);

/* The mount namespace of process pid: the inode number of proc_root/PID/ns/mnt,
 * 0 when the process is gone. */
uint64_t proc_file_mntns(const char *proc_root, uint32_t pid);
/* The same for namespace ns ("pid", "net", "user", ...: a name under
 * /proc/PID/ns/). */
uint64_t proc_file_ns(const char *proc_root, uint32_t pid, const char *ns);
/* Is pid a kernel thread (PF_KTHREAD in proc_root/PID/stat)? false when it
 * is gone or unreadable. */
bool proc_file_is_kthread(const char *proc_root, uint32_t pid);

#endif /* IDTRACE_PROC_FILE_H */
