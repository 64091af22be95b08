// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Benchmark and filter-test load: openat+close of one file N times.
 * Prints the elapsed wall time in nanoseconds. Usage: open_storm N PATH */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct timespec a, b;
	long n;

	if (argc != 3 || (n = atol(argv[1])) <= 0) {
		fprintf(stderr, "usage: open_storm N PATH\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < n; i++) {
		int fd = openat(AT_FDCWD, argv[2], O_RDONLY | O_CLOEXEC);

		if (fd < 0) {
			perror(argv[2]);
			return 1;
		}
		close(fd);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%lld\n", (long long)(b.tv_sec - a.tv_sec) * 1000000000ll + (b.tv_nsec - a.tv_nsec));
	return 0;
}
