// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include "host_info.h"

uint64_t host_info_boot_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

int host_info_init(struct host_info *h)
{
	struct utsname u;
	struct timespec rt;
	uint64_t boot;
	ssize_t n;
	int fd;

	memset(h, 0, sizeof(*h));
	if (uname(&u) == 0)
		snprintf(h->hostname, sizeof(h->hostname), "%s", u.nodename);
	fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, h->boot_id, sizeof(h->boot_id) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	h->boot_id[strcspn(h->boot_id, "\n")] = '\0';
	/* Sample boottime between two realtime reads to halve the error. */
	boot = host_info_boot_ns();
	clock_gettime(CLOCK_REALTIME, &rt);
	h->boot_to_real_ns = (int64_t)((uint64_t)rt.tv_sec * 1000000000ull + rt.tv_nsec) - (int64_t)boot;
	return 0;
}

void host_info_format_time(const struct host_info *h, uint64_t boot_ns, char *buf, size_t n)
{
	int64_t real = (int64_t)boot_ns + h->boot_to_real_ns;
	time_t sec = real / 1000000000;
	long nsec = real % 1000000000;
	struct tm tm;

	gmtime_r(&sec, &tm);
	snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, nsec);
}

int host_info_user_name(uid_t uid, char *buf, size_t n)
{
	struct passwd pw, *res = NULL;
	char tmp[4096];

	if (getpwuid_r(uid, &pw, tmp, sizeof(tmp), &res) != 0 || !res)
		return -ENOENT;
	snprintf(buf, n, "%s", pw.pw_name);
	return 0;
}
