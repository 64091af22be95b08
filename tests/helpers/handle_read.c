// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Read a file without opening its path: name_to_handle_at(2), then
 * open_by_handle_at(2) on its directory's mount (needs CAP_DAC_READ_SEARCH),
 * as a tool that avoids path-based monitoring would.
 * Usage: handle_read PATH. Exits 0 when the open succeeded. */
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct file_handle *fh;
	char buf[4096];
	int mount_id, mount_fd, fd;

	if (argc != 2) {
		fprintf(stderr, "usage: handle_read PATH\n");
		return 2;
	}
	fh = malloc(sizeof(*fh) + MAX_HANDLE_SZ);
	if (!fh)
		return 1;
	fh->handle_bytes = MAX_HANDLE_SZ;
	if (name_to_handle_at(AT_FDCWD, argv[1], fh, &mount_id, 0)) {
		perror("name_to_handle_at");
		return 1;
	}
	/* any fd on the file's mount will do (not an O_PATH one): its directory */
	mount_fd = open(dirname(strdup(argv[1])), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (mount_fd < 0) {
		perror("open the directory");
		return 1;
	}
	fd = open_by_handle_at(mount_fd, fh, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		perror("open_by_handle_at");
		return 1;
	}
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
	close(mount_fd);
	free(fh);
	return 0;
}
