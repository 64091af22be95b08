// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Open a file with openat2(2) (glibc has no wrapper) and read it to /dev/null.
 * Usage: openat2_read PATH. Exits 0 when the open succeeded. */
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct open_how how = { .flags = O_RDONLY | O_CLOEXEC };
	char buf[4096];
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: openat2_read PATH\n");
		return 2;
	}
	fd = syscall(SYS_openat2, AT_FDCWD, argv[1], &how, sizeof(how));
	if (fd < 0) {
		perror("openat2");
		return 1;
	}
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
	return 0;
}
