/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The file an exec really ran. execve's path can be a symlink (or a
 * relative path); the exec probe also records the executable's (device,
 * inode), which names the file. The path of that file is read from
 * /proc/PID/exe while the process lives (in its own mount namespace), else
 * from the realpath of the given path when that is the same file, and kept
 * per (device, inode): a program run again, even for 1 ms, is known, as
 * long as the file's change time is the one it was kept with, or (with no
 * change time) the kept path still names that inode (inode numbers are
 * reused). The change time is what tells a container's program: its path
 * names another file, or none, from the daemon's mount namespace.
 */
#ifndef IDTRACE_EXE_CACHE_H
#define IDTRACE_EXE_CACHE_H

#include <stdbool.h>
#include <stdint.h>

struct exe_cache;

/* NULL on ENOMEM. */
struct exe_cache *exe_cache_new(void);
void exe_cache_free(struct exe_cache *c);
/* Does path (absolute) name the file (kdev: kernel encoding, ino) now? */
bool exe_cache_is_file(const char *path, uint32_t kdev, uint64_t ino);
/* The path of the executable (kdev: kernel encoding, ino; ctime_ns: its
 * change time as the exec record has it, 0 when unknown) that pid runs
 * after an exec of given, or NULL when it cannot be told. proc_root is
 * "/proc" (changeable for tests). Borrowed until the next call. */
const char *exe_cache_resolve(struct exe_cache *c, const char *proc_root, uint32_t pid,
			      const char *given, uint32_t kdev, uint64_t ino, uint64_t ctime_ns);

#endif
