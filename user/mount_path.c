// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "mount_path.h"
#include "proc_file.h"

#define MOUNTINFO_MAX (8 << 20) /* bytes read of /proc/self/mountinfo */

int mount_path_walk_names(const char *walk, size_t len)
{
	int n = 0;

	if (len && walk[len - 1] != '\0')
		return -EINVAL;
	for (size_t i = 0; i < len; i++)
		n += walk[i] == '\0';
	return n;
}

/* Name i of walk (leaf first), or NULL. */
static const char *walk_name(const char *walk, size_t len, int i)
{
	const char *p = walk, *end = walk + len;

	for (; i > 0 && p < end; i--)
		p += strnlen(p, end - p) + 1;
	return p < end ? p : NULL;
}

int mount_path_join(const char *walk, size_t len, int from, int to, char *out, size_t n)
{
	int names = mount_path_walk_names(walk, len);
	size_t used = 0;

	if (names < 0 || from < 0 || to < from || to > names || n < 2)
		return -EINVAL;
	out[0] = '\0';
	for (int i = to - 1; i >= from; i--) {
		const char *name = walk_name(walk, len, i);
		size_t nl = name ? strlen(name) : 0;

		if (!nl || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
			return -EINVAL;
		if (used + 1 + nl + 1 > n)
			return -ENAMETOOLONG;
		out[used++] = '/';
		memcpy(out + used, name, nl);
		used += nl;
		out[used] = '\0';
	}
	if (!used)
		snprintf(out, n, "/");
	return 0;
}

/* Copy the mountinfo field at *p (up to a space or the line's end) into
 * out, octal escapes (\040) decoded. Returns 0, or -EINVAL. */
static int field(const char **p, const char *end, char *out, size_t n)
{
	size_t used = 0;
	const char *s = *p;

	while (s < end && *s != ' ' && *s != '\n') {
		char c = *s++;

		if (c == '\\' && end - s >= 3 && s[0] >= '0' && s[0] <= '3' && s[1] >= '0' &&
		    s[1] <= '7' && s[2] >= '0' && s[2] <= '7') {
			c = (char)((s[0] - '0') << 6 | (s[1] - '0') << 3 | (s[2] - '0'));
			s += 3;
		}
		if (used + 1 >= n)
			return -EINVAL;
		out[used++] = c;
	}
	out[used] = '\0';
	if (s < end && *s == ' ')
		s++;
	*p = s;
	return used ? 0 : -EINVAL;
}

int mount_path_next(const char *mountinfo, size_t len, size_t *pos, uint32_t kdev,
		    struct mount_line *m)
{
	const char *end = mountinfo + len;

	while (*pos < len) {
		const char *line = mountinfo + *pos, *eol = memchr(line, '\n', end - line);
		const char *p = line;
		char word[32];
		unsigned int major, minor;
		int ok = 1;

		eol = eol ? eol : end;
		*pos = eol - mountinfo + (eol < end);
		/* mount id, parent id, major:minor, root, mount point */
		for (int i = 0; i < 3 && ok; i++)
			ok = field(&p, eol, word, sizeof(word)) == 0;
		if (!ok || sscanf(word, "%u:%u", &major, &minor) != 2 ||
		    ((major << 20) | minor) != kdev)
			continue;
		if (field(&p, eol, m->root, sizeof(m->root)) ||
		    field(&p, eol, m->point, sizeof(m->point)) || m->root[0] != '/' ||
		    m->point[0] != '/')
			continue;
		return 0;
	}
	return -ENOENT;
}

int mount_path_through(const struct mount_line *m, const char *fs_path, char *out, size_t n)
{
	size_t rl = strlen(m->root);
	const char *rest;

	if (!strcmp(m->root, "/"))
		rest = fs_path;
	else if (!strncmp(fs_path, m->root, rl) && (fs_path[rl] == '/' || !fs_path[rl]))
		rest = fs_path + rl;
	else
		return -ENOENT;
	if (!strcmp(m->point, "/"))
		return snprintf(out, n, "%s", *rest ? rest : "/") < (int)n ? 0 : -ENAMETOOLONG;
	return snprintf(out, n, "%s%s", m->point, strcmp(rest, "/") ? rest : "") < (int)n
		       ? 0
		       : -ENAMETOOLONG;
}

long mount_path_read_mountinfo(char **buf)
{
	size_t len;
	int err = proc_file_read("/proc", (uint32_t)getpid(), "mountinfo", MOUNTINFO_MAX, buf, &len);

	return err ? err : (long)len;
}
