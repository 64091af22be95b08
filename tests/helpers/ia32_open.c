// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Open and read a file through the 32-bit system call interface (int 0x80)
 * from this 64-bit program, as a tool that avoids syscall-based monitoring
 * would: the kernel's per-syscall trace events do not see ia32 syscalls.
 *   ia32_open open PATH          ia32 open(PATH, O_RDONLY)
 *   ia32_open openat DIR NAME    ia32 openat(fd of DIR, NAME, O_RDONLY)
 * The file is then read (ia32 read) and closed. Exits 0 when the open
 * succeeded, 1 when it failed (its errno printed), 2 on bad usage. x86-64
 * only: int 0x80 takes 32-bit pointers, so the name and buffer live in
 * memory mapped below 4 GiB (MAP_32BIT). */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define IA32_READ 3
#define IA32_OPEN 5
#define IA32_CLOSE 6
#define IA32_OPENAT 295

static long int80(long nr, long a, long b, long c)
{
	long ret;

	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
	return ret;
}

int main(int argc, char **argv)
{
	char *low = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT,
			 -1, 0);
	long fd, n;
	int dir;

	if (low == MAP_FAILED) {
		perror("mmap MAP_32BIT");
		return 1;
	}
	if (argc == 3 && !strcmp(argv[1], "open")) {
		snprintf(low, 4096, "%s", argv[2]);
		fd = int80(IA32_OPEN, (long)low, O_RDONLY, 0);
	} else if (argc == 4 && !strcmp(argv[1], "openat")) {
		dir = open(argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dir < 0) {
			perror("open the directory");
			return 1;
		}
		snprintf(low, 4096, "%s", argv[3]);
		fd = int80(IA32_OPENAT, dir, (long)low, O_RDONLY);
	} else {
		fprintf(stderr, "usage: ia32_open open PATH | openat DIR NAME\n");
		return 2;
	}
	if (fd < 0) {
		fprintf(stderr, "ia32 open: %s\n", strerror((int)-fd));
		return 1;
	}
	while ((n = int80(IA32_READ, fd, (long)(low + 4096), 4096)) > 0)
		;
	int80(IA32_CLOSE, fd, 0, 0);
	return 0;
}
