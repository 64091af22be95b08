// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Benchmark load: fork+exec a trivial program N times, one after another.
 * Prints the elapsed wall time in nanoseconds. Usage: exec_storm N [PROGRAM] */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *prog = argc > 2 ? argv[2] : "/usr/bin/true";
	long n = argc > 1 ? atol(argv[1]) : 1000;
	struct timespec a, b;

	if (n <= 0) {
		fprintf(stderr, "usage: exec_storm N [PROGRAM]\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < n; i++) {
		pid_t pid = fork();
		int status;

		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0) {
			execl(prog, prog, (char *)NULL);
			_exit(127);
		}
		if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
			fprintf(stderr, "exec_storm: %s failed\n", prog);
			return 1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%lld\n", (long long)(b.tv_sec - a.tv_sec) * 1000000000ll + (b.tv_nsec - a.tv_nsec));
	return 0;
}
