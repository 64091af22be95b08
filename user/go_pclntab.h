/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Function entry points from a Go program's .gopclntab, which the runtime
 * needs and which stays when the program is built with -s (no symbol
 * table): Go 1.16-1.17 (magic 0xfffffffa), 1.18-1.19 (0xfffffff0) and 1.20+
 * (0xfffffff1), little-endian, 8-byte pointers. Pure: no I/O.
 */
#ifndef IDTRACE_GO_PCLNTAB_H
#define IDTRACE_GO_PCLNTAB_H

#include <stddef.h>
#include <stdint.h>

/* For each of the n names, its function's entry address (virtual, as in the
 * program's headers) into pc[i], 0 when absent. data is the section's len
 * bytes. Returns how many were found, or -EINVAL for a table it cannot
 * read (unknown version, cut, inconsistent). */
int go_pclntab_find(const unsigned char *data, size_t len, const char *const *names, int n,
		    uint64_t *pc);
/* The oldest Go release that writes this table's format: 116 (1.16 or
 * 1.17), 118 (1.18 or 1.19) or 120; -EINVAL when it is none of them. */
int go_pclntab_version(const unsigned char *data, size_t len);

#endif
