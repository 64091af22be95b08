// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "mount_path.h"

/* credentials <- .aws <- root <- rootfs <- idt <- tmp, as the kernel walks */
static const char walk[] = "credentials\0.aws\0root\0rootfs\0idt\0tmp";

/* An exactly-sized heap copy, so ASan sees a read past its end. */
static char *copy(const char *p, size_t len)
{
	char *c = malloc(len ? len : 1);

	assert_non_null(c);
	memcpy(c, p, len);
	return c;
}

static void test_join(void **state)
{
	char *w = copy(walk, sizeof(walk));
	char out[64];

	(void)state;
	assert_int_equal(mount_path_walk_names(w, sizeof(walk)), 6);
	/* the file below the process's root (3 names below it) */
	assert_int_equal(mount_path_join(w, sizeof(walk), 0, 3, out, sizeof(out)), 0);
	assert_string_equal(out, "/root/.aws/credentials");
	/* the whole path in its file system, and the root's */
	assert_int_equal(mount_path_join(w, sizeof(walk), 0, 6, out, sizeof(out)), 0);
	assert_string_equal(out, "/tmp/idt/rootfs/root/.aws/credentials");
	assert_int_equal(mount_path_join(w, sizeof(walk), 3, 6, out, sizeof(out)), 0);
	assert_string_equal(out, "/tmp/idt/rootfs");
	assert_int_equal(mount_path_join(w, sizeof(walk), 6, 6, out, sizeof(out)), 0);
	assert_string_equal(out, "/");
	/* out of range, too long */
	assert_int_equal(mount_path_join(w, sizeof(walk), 0, 7, out, sizeof(out)), -EINVAL);
	assert_int_equal(mount_path_join(w, sizeof(walk), 4, 3, out, sizeof(out)), -EINVAL);
	assert_int_equal(mount_path_join(w, sizeof(walk), 0, 6, out, 20), -ENAMETOOLONG);
	free(w);
}

static void test_bad_walks(void **state)
{
	static const char unterminated[] = { 'a', 0, 'b' };
	static const char dots[] = "credentials\0..\0root";
	static const char empty[] = "credentials\0\0root";
	char out[64], *w;

	(void)state;
	w = copy(unterminated, sizeof(unterminated));
	assert_int_equal(mount_path_walk_names(w, sizeof(unterminated)), -EINVAL);
	assert_int_equal(mount_path_join(w, sizeof(unterminated), 0, 1, out, sizeof(out)), -EINVAL);
	free(w);
	w = copy(dots, sizeof(dots));
	assert_int_equal(mount_path_join(w, sizeof(dots), 0, 3, out, sizeof(out)), -EINVAL);
	free(w);
	w = copy(empty, sizeof(empty));
	assert_int_equal(mount_path_join(w, sizeof(empty), 0, 3, out, sizeof(out)), -EINVAL);
	free(w);
	assert_int_equal(mount_path_walk_names("", 0), 0);
	assert_int_equal(mount_path_join("", 0, 0, 0, out, sizeof(out)), 0);
	assert_string_equal(out, "/");
}

static const char mountinfo[] =
	"22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
	"30 22 0:5 / /dev rw,nosuid shared:2 - devtmpfs udev rw\n"
	"41 22 8:1 /srv/data /mnt/my\\040data rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
	"97 22 0:61 / /var/lib/docker/overlay2/abc/merged rw,relatime - overlay overlay "
	"rw,lowerdir=/l,upperdir=/u,workdir=/w\n"
	"bad line\n"
	"98 22 259:3 / /boot rw - ext4 /dev/nvme0n1p3 rw";

static void test_mounts(void **state)
{
	char *mi = copy(mountinfo, strlen(mountinfo));
	size_t len = strlen(mountinfo), pos = 0;
	struct mount_line m;
	char out[256];

	(void)state;
	/* the host's root file system: its root, then a bind mount of a directory */
	assert_int_equal(mount_path_next(mi, len, &pos, (8u << 20) | 1, &m), 0);
	assert_string_equal(m.point, "/");
	assert_int_equal(
		mount_path_through(&m, "/tmp/idt/rootfs/root/.aws/credentials", out, sizeof(out)),
		0);
	assert_string_equal(out, "/tmp/idt/rootfs/root/.aws/credentials");
	assert_int_equal(mount_path_next(mi, len, &pos, (8u << 20) | 1, &m), 0);
	assert_string_equal(m.root, "/srv/data");
	assert_string_equal(m.point, "/mnt/my data");
	assert_int_equal(mount_path_through(&m, "/srv/data/x/.netrc", out, sizeof(out)), 0);
	assert_string_equal(out, "/mnt/my data/x/.netrc");
	assert_int_equal(mount_path_through(&m, "/srv/database/.netrc", out, sizeof(out)), -ENOENT);
	assert_int_equal(mount_path_through(&m, "/srv/data", out, sizeof(out)), 0);
	assert_string_equal(out, "/mnt/my data");
	assert_int_equal(mount_path_next(mi, len, &pos, (8u << 20) | 1, &m), -ENOENT);
	/* a container's overlay */
	pos = 0;
	assert_int_equal(mount_path_next(mi, len, &pos, 61, &m), 0);
	assert_int_equal(mount_path_through(&m, "/root/.aws/credentials", out, sizeof(out)), 0);
	assert_string_equal(out, "/var/lib/docker/overlay2/abc/merged/root/.aws/credentials");
	assert_int_equal(mount_path_through(&m, "/", out, sizeof(out)), 0);
	assert_string_equal(out, "/var/lib/docker/overlay2/abc/merged");
	assert_int_equal(mount_path_through(&m, "/root/.aws/credentials", out, 20), -ENAMETOOLONG);
	/* the last line, without its newline */
	pos = 0;
	assert_int_equal(mount_path_next(mi, len, &pos, (259u << 20) | 3, &m), 0);
	assert_string_equal(m.point, "/boot");
	assert_int_equal(pos, len);
	assert_int_equal(mount_path_next(mi, len, &pos, (259u << 20) | 3, &m), -ENOENT);
	free(mi);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_join),
		cmocka_unit_test(test_bad_walks),
		cmocka_unit_test(test_mounts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
