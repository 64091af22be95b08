// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "listen_port.h"
#include "proc_file.h"

#define TCP_LISTEN_STATE 0x0a
#define TABLE_MAX (64u << 20)	/* a host with a million sockets; bounds the read */
#define PORTS_MAX 4096		/* listening ports kept per namespace */
#define NETNS_SLOTS 16		/* namespaces kept */
#define KEEP_NS 1000000000ull	/* how long a namespace's ports are trusted */

struct netns_ports {
	uint64_t netns; /* inode of /proc/PID/ns/net; 0: free slot */
	uint64_t read_ns;
	size_t n;
	uint16_t ports[PORTS_MAX];
};

struct listen_ports {
	struct netns_ports slot[NETNS_SLOTS];
	unsigned int next;
	uint64_t reads;
};

struct listen_ports *listen_ports_new(void)
{
	return calloc(1, sizeof(struct listen_ports));
}

void listen_ports_free(struct listen_ports *lp)
{
	free(lp);
}

uint64_t listen_ports_reads(const struct listen_ports *lp)
{
	return lp->reads;
}

size_t listen_ports_parse(const char *table, uint16_t *ports, size_t n, size_t max)
{
	const char *line = strchr(table, '\n'); /* after the header */

	while (line && *++line && n < max) {
		/* "  sl  local_address rem_address   st ...": the local address
		 * is ADDR:PORT in hex, the state two hex digits */
		unsigned int lport, st;
		char local[64], remote[64];
		const char *colon;

		if (sscanf(line, "%*s %63s %63s %x", local, remote, &st) == 3 &&
		    st == TCP_LISTEN_STATE && (colon = strrchr(local, ':')) &&
		    sscanf(colon + 1, "%x", &lport) == 1 && lport <= 0xffff)
			ports[n++] = (uint16_t)lport;
		line = strchr(line, '\n');
	}
	return n;
}

/* Fill s with the LISTEN ports of pid's namespace. 0, or -errno when
 * neither table could be read. */
static int load(struct listen_ports *lp, struct netns_ports *s, pid_t pid)
{
	static const char *const tables[] = { "net/tcp", "net/tcp6" };
	int err = -ENOENT, read_one = 0;

	s->n = 0;
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		char *text;
		size_t len;
		int e = proc_file_read("/proc", (uint32_t)pid, tables[i], TABLE_MAX, &text, &len);

		if (e) {
			err = e;
			continue;
		}
		read_one = 1;
		s->n = listen_ports_parse(text, s->ports, s->n, PORTS_MAX);
		free(text);
	}
	lp->reads++;
	return read_one ? 0 : err;
}

int listen_ports_check(struct listen_ports *lp, pid_t pid, uint16_t port, uint64_t now_ns)
{
	struct netns_ports *s = NULL;
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	if (stat(path, &st))
		return -errno;
	for (unsigned int i = 0; i < NETNS_SLOTS; i++)
		if (lp->slot[i].netns == (uint64_t)st.st_ino)
			s = &lp->slot[i];
	if (!s || now_ns - s->read_ns >= KEEP_NS) {
		int err;

		if (!s)
			s = &lp->slot[lp->next++ % NETNS_SLOTS];
		s->netns = 0;
		err = load(lp, s, pid);
		if (err)
			return err;
		s->netns = st.st_ino;
		s->read_ns = now_ns;
	}
	for (size_t i = 0; i < s->n; i++)
		if (s->ports[i] == port)
			return 1;
	return 0;
}
