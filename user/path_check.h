/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Can the daemon make a file or directory at a path it was given (its
 * state directory, its key file)? For --check-config, which makes nothing:
 * the nearest existing ancestor must be a directory on a writable file
 * system that holds files (not /proc or /sys).
 */
#ifndef IDTRACE_PATH_CHECK_H
#define IDTRACE_PATH_CHECK_H

#include <stddef.h>

/* 0 when path exists as a directory, or could be made (mkdir -p); else
 * -errno with the reason in why (n bytes). */
int path_check_dir(const char *path, char *why, size_t n);
/* 0 when path's directory exists or could be made; -errno with why else. */
int path_check_parent(const char *path, char *why, size_t n);

#endif
