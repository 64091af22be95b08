/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Where in a function to put a uprobe.
 *
 * A uprobe replaces an instruction with a breakpoint. When the breakpoint
 * is hit, the kernel either emulates the instruction it replaced (push,
 * jmp, call, jcc, nop on x86-64) or copies it out and single-steps it,
 * which costs a second trap. On the VMs this was measured on a trap costs
 * about 5 us, so a probe on "sub $0x18,%rsp" (SSL_write's first
 * instruction) costs 20 us per call and one on a push or a call 5.5 us.
 *
 * The site chosen is the first emulated instruction reached from the
 * function's entry through straight-line code that leaves the argument
 * registers the probe reads untouched: there the probe sees exactly the
 * arguments it would have seen at the entry. Anything the decoder does not
 * know stops the search, and the entry (offset 0, always an instruction
 * boundary) is used: a wrong offset would corrupt the traced program, so
 * the decoder only walks instructions it fully understands.
 */
#ifndef IDTRACE_UPROBE_SITE_H
#define IDTRACE_UPROBE_SITE_H

#include <stddef.h>
#include <stdint.h>

/* Argument registers of the x86-64 SysV calling convention, as bits of
 * keep_regs (bit n = register number n in the ModRM encoding). */
#define UPROBE_ARG1 (1u << 7) /* rdi */
#define UPROBE_ARG2 (1u << 6) /* rsi */
#define UPROBE_ARG3 (1u << 2) /* rdx */
#define UPROBE_ARG4 (1u << 1) /* rcx */
#define UPROBE_ARG5 (1u << 8) /* r8 */
#define UPROBE_ARG6 (1u << 9) /* r9 */

/* The offset of the probe site within code (a function's first n bytes,
 * x86-64): the first instruction the kernel emulates, reached without a
 * branch and without writing a register in keep_regs. 0 when there is none
 * or the code holds an instruction the decoder does not know. */
size_t uprobe_site_x86_64(const uint8_t *code, size_t n, uint32_t keep_regs);

/* The probe site of func in the ELF file at path, as an offset from the
 * function's start; 0 (the entry) on any other architecture, or when the
 * function cannot be read. */
size_t uprobe_site(const char *path, const char *func, uint32_t keep_regs);
/* The same site as an offset in the file (what a perf uprobe event takes),
 * or -1 when func cannot be read from path. */
long uprobe_site_file_offset(const char *path, const char *func, uint32_t keep_regs);

#endif /* IDTRACE_UPROBE_SITE_H */
