// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "listen_port.h"

#define TCP_LISTEN_STATE 0x0a
#define TABLE_MAX (64u << 20) /* a host with a million sockets; bounds the read */

int listen_port_in_table(const char *table, uint16_t port)
{
	const char *line = strchr(table, '\n'); /* after the header */

	while (line && *++line) {
		/* "  sl  local_address rem_address   st ...": the local address
		 * is ADDR:PORT in hex, the state two hex digits */
		unsigned int lport, st;
		char local[64], remote[64];
		const char *colon;

		if (sscanf(line, "%*s %63s %63s %x", local, remote, &st) == 3 &&
		    st == TCP_LISTEN_STATE && (colon = strrchr(local, ':')) &&
		    sscanf(colon + 1, "%x", &lport) == 1 && lport == port)
			return 1;
		line = strchr(line, '\n');
	}
	return 0;
}

/* The whole of a /proc file, NUL-terminated; NULL with errno set. */
static char *read_all(const char *path)
{
	size_t cap = 16384, len = 0;
	char *buf = malloc(cap);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0 || !buf) {
		int err = fd < 0 ? errno : ENOMEM;

		if (fd >= 0)
			close(fd);
		free(buf);
		errno = err;
		return NULL;
	}
	while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += (size_t)n;
		if (cap - len - 1 == 0) {
			char *more = cap < TABLE_MAX ? realloc(buf, cap * 2) : NULL;

			if (!more)
				break; /* what was read is judged */
			buf = more;
			cap *= 2;
		}
	}
	close(fd);
	buf[len] = '\0';
	return buf;
}

int listen_port_in_netns(pid_t pid, uint16_t port)
{
	static const char *const tables[] = { "tcp", "tcp6" };
	char path[64];
	int found = -ENOENT;

	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]) && found != 1; i++) {
		char *text;

		snprintf(path, sizeof(path), "/proc/%d/net/%s", (int)pid, tables[i]);
		text = read_all(path);
		if (!text) {
			if (found < 0)
				found = -errno;
			continue;
		}
		found = listen_port_in_table(text, port);
		free(text);
	}
	return found;
}
