// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>
#include "tls_libs.h"

/* Debian 12 with the packages scripts/deps.sh installs (libssl-dev, gnutls-bin). A machine
 * without them fails these tests: the daemon's TLS tracing would be untested there. */
#define LIBSSL "libssl.so.3"
#define LIBGNUTLS "libgnutls.so.30"
#define LIBZ "/usr/lib/x86_64-linux-gnu/libz.so.1"

#define OPENSSL_FUNCS                                                                        \
	(TLS_FN_BIT(TLS_FN_SSL_WRITE) | TLS_FN_BIT(TLS_FN_SSL_WRITE_EX) |                   \
	 TLS_FN_BIT(TLS_FN_SSL_READ) | TLS_FN_BIT(TLS_FN_SSL_READ_EX) |                     \
	 TLS_FN_BIT(TLS_FN_SSL_CTRL) | TLS_FN_BIT(TLS_FN_SSL_DO_HANDSHAKE) |                \
	 TLS_FN_BIT(TLS_FN_SSL_CONNECT) | TLS_FN_BIT(TLS_FN_SSL_SHUTDOWN) |                 \
	 TLS_FN_BIT(TLS_FN_SSL_FREE))
#define GNUTLS_FUNCS                                                                         \
	(TLS_FN_BIT(TLS_FN_GNUTLS_RECORD_SEND) | TLS_FN_BIT(TLS_FN_GNUTLS_RECORD_RECV) |    \
	 TLS_FN_BIT(TLS_FN_GNUTLS_SERVER_NAME_SET) | TLS_FN_BIT(TLS_FN_GNUTLS_BYE) |        \
	 TLS_FN_BIT(TLS_FN_GNUTLS_DEINIT))

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

/* The library of the set whose display path ends in /name, or NULL. */
static const struct tls_lib *find_by_name(const struct tls_libs *set, const char *name)
{
	size_t i;

	for (i = 0; i < tls_libs_count(set); i++)
		if (!strcmp(base_name(tls_libs_get(set, i)->display), name))
			return tls_libs_get(set, i);
	return NULL;
}

static const struct tls_lib *find_by_ino(const struct tls_libs *set, ino_t ino)
{
	size_t i;

	for (i = 0; i < tls_libs_count(set); i++)
		if (tls_libs_get(set, i)->ino == ino)
			return tls_libs_get(set, i);
	return NULL;
}

/* "3.0.19" style: starts with major and a dot, then digits. */
static void assert_version_3x(const char *v)
{
	assert_true(v[0] == '3' && v[1] == '.' && v[2] >= '0' && v[2] <= '9');
}

static void test_system_libssl(void **state)
{
	struct tls_libs *set = tls_libs_new();
	const struct tls_lib *lib;
	struct tls_lib direct;
	struct stat st;

	assert_non_null(set);
	assert_true(tls_libs_scan_system(set) >= 2);
	lib = find_by_name(set, LIBSSL);
	assert_non_null(lib);
	assert_int_equal(lib->kind, TLS_LIB_OPENSSL);
	assert_int_equal(lib->funcs & OPENSSL_FUNCS, OPENSSL_FUNCS);
	/* A macro over SSL_ctrl in OpenSSL, never a symbol. */
	assert_false(lib->funcs & TLS_FN_BIT(TLS_FN_SSL_SET_TLSEXT_HOST_NAME));
	assert_false(lib->funcs & GNUTLS_FUNCS);
	/* libssl 3 has no version text; it comes from libcrypto.so.3 next to it. */
	assert_version_3x(lib->version);
	assert_int_equal(stat(lib->path, &st), 0);
	assert_int_equal(st.st_dev, lib->dev);
	assert_int_equal(st.st_ino, lib->ino);
	assert_string_equal(lib->path, lib->display); /* realpath: no symlink left */

	/* Through the libssl.so symlink, with a display of our own. */
	assert_int_equal(tls_libs_inspect("/usr/lib/x86_64-linux-gnu/libssl.so", "/x/libssl.so",
					  &direct),
			 0);
	assert_string_equal(direct.path, "/usr/lib/x86_64-linux-gnu/libssl.so");
	assert_string_equal(direct.display, "/x/libssl.so");
	assert_int_equal(direct.ino, lib->ino);
	assert_int_equal(direct.funcs, lib->funcs);
	assert_string_equal(direct.version, lib->version);
	tls_libs_free(set);
}

static void test_system_gnutls(void **state)
{
	struct tls_libs *set = tls_libs_new();
	const struct tls_lib *lib;

	assert_non_null(set);
	tls_libs_scan_system(set);
	lib = find_by_name(set, "libgnutls.so.30.34.3");
	if (!lib) /* another 3.x point release */
		lib = find_by_name(set, LIBGNUTLS);
	assert_non_null(lib);
	assert_int_equal(lib->kind, TLS_LIB_GNUTLS);
	assert_int_equal(lib->funcs, GNUTLS_FUNCS);
	assert_version_3x(lib->version);
	assert_string_equal(tls_libs_kind_name(lib->kind), "gnutls");
	tls_libs_free(set);
}

static void test_scan_system_dedupes(void **state)
{
	struct tls_libs *set = tls_libs_new();
	size_t i, j, n;

	assert_non_null(set);
	/* /lib -> usr/lib, libssl.so -> libssl.so.3, ...: each file once. */
	tls_libs_scan_system(set);
	n = tls_libs_count(set);
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			assert_false(tls_libs_get(set, i)->dev == tls_libs_get(set, j)->dev &&
				     tls_libs_get(set, i)->ino == tls_libs_get(set, j)->ino);
	assert_int_equal(tls_libs_scan_system(set), 0);
	assert_int_equal(tls_libs_count(set), n);
	tls_libs_free(set);
}

static void test_not_tls(void **state)
{
	struct tls_libs *set = tls_libs_new();
	struct tls_lib lib;
	char path[] = "/tmp/tls_libs_txtXXXXXX";
	int fd;

	assert_int_equal(tls_libs_inspect(LIBZ, NULL, &lib), -ENOTSUP);
	assert_int_equal(lib.funcs, 0);
	assert_int_equal(tls_libs_inspect("/nonexistent/libssl.so.3", NULL, &lib), -ENOENT);

	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "\177ELF not really", 16), 16);
	close(fd);
	assert_int_equal(tls_libs_inspect(path, NULL, &lib), -ENOTSUP);
	assert_int_equal(tls_libs_inspect("/dev/null", NULL, &lib), -ENOTSUP);

	/* Remembered: the second time costs a stat and says the same. */
	assert_int_equal(tls_libs_add_path(set, LIBZ, NULL), -ENOTSUP);
	assert_int_equal(tls_libs_add_path(set, LIBZ, NULL), -ENOTSUP);
	assert_int_equal(tls_libs_add_path(set, path, NULL), -ENOTSUP);
	assert_int_equal(tls_libs_add_path(set, "/nonexistent", NULL), -ENOENT);
	assert_int_equal(tls_libs_count(set), 0);
	unlink(path);
	tls_libs_free(set);
}

/* Every executable run is inspected, and a build host makes new ones all day:
 * files that are not TLS libraries are remembered up to a bound, then
 * forgotten; the libraries are kept. */
static void test_remembered_bound(void **state)
{
	struct tls_libs *set = tls_libs_new();
	char dir[] = "/tmp/tls_libs_manyXXXXXX", path[64];
	const int files = 8300;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(tls_libs_add_path(set, "/usr/lib/x86_64-linux-gnu/" LIBSSL, NULL), 1);
	for (int i = 0; i < files; i++) {
		int fd;

		snprintf(path, sizeof(path), "%s/prog%d", dir, i);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, "#!/bin/sh\n", 10), 10);
		close(fd);
		assert_int_equal(tls_libs_add_path(set, path, NULL), -ENOTSUP);
		assert_true(tls_libs_remembered(set) <= 8192);
	}
	/* forgotten and remembered again past the bound, never past it */
	assert_true(tls_libs_remembered(set) < (size_t)files);
	assert_true(tls_libs_remembered(set) > 1);
	/* the library survives: known, not parsed again */
	assert_int_equal(tls_libs_add_path(set, "/usr/lib/x86_64-linux-gnu/" LIBSSL, NULL), 0);
	assert_int_equal(tls_libs_count(set), 1);
	for (int i = 0; i < files; i++) {
		snprintf(path, sizeof(path), "%s/prog%d", dir, i);
		unlink(path);
	}
	rmdir(dir);
	tls_libs_free(set);
}

static void test_fifo_and_dir_refused(void **state)
{
	char dir[] = "/tmp/tls_libs_dirXXXXXX", fifo[PATH_MAX];
	struct tls_libs *set = tls_libs_new();
	struct tls_lib lib;

	assert_non_null(mkdtemp(dir));
	snprintf(fifo, sizeof(fifo), "%s/libssl.so.3", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	alarm(10); /* a blocking open would hang here with no writer */
	assert_int_equal(tls_libs_inspect(fifo, NULL, &lib), -ENOTSUP);
	assert_int_equal(tls_libs_add_path(set, fifo, NULL), -ENOTSUP);
	assert_int_equal(tls_libs_inspect(dir, NULL, &lib), -EISDIR);
	assert_int_equal(tls_libs_add_path(set, dir, NULL), -EISDIR);
	alarm(0);
	assert_int_equal(tls_libs_count(set), 0);
	unlink(fifo);
	rmdir(dir);
	tls_libs_free(set);
}

static void test_symlink_dedupe(void **state)
{
	char dir[] = "/tmp/tls_libs_lnkXXXXXX", link[PATH_MAX];
	struct tls_libs *set = tls_libs_new();
	const struct tls_lib *lib;
	struct tls_lib probe;
	size_t first;

	assert_non_null(set);
	assert_int_equal(tls_libs_inspect("/usr/lib/x86_64-linux-gnu/" LIBSSL, NULL, &probe), 0);
	assert_non_null(mkdtemp(dir));
	snprintf(link, sizeof(link), "%s/libssl.so.3", dir);
	assert_int_equal(symlink("/usr/lib/x86_64-linux-gnu/" LIBSSL, link), 0);

	assert_int_equal(tls_libs_add_path(set, link, NULL), 1);
	lib = tls_libs_get(set, 0);
	assert_string_equal(lib->path, link);
	assert_string_equal(lib->display, "/usr/lib/x86_64-linux-gnu/" LIBSSL);
	assert_int_equal(tls_libs_add_path(set, "/usr/lib/x86_64-linux-gnu/" LIBSSL, NULL), 0);
	assert_int_equal(tls_libs_add_path(set, "/lib/x86_64-linux-gnu/" LIBSSL, NULL), 0);
	assert_int_equal(tls_libs_add_path(set, link, "/elsewhere"), 0);
	assert_int_equal(tls_libs_count(set), 1);
	assert_null(tls_libs_get(set, 1));

	assert_int_equal(tls_libs_take_new(set, &first), 1);
	assert_int_equal(first, 0);
	assert_int_equal(tls_libs_take_new(set, &first), 0);
	assert_int_equal(first, 1);
	assert_int_equal(tls_libs_add_path(set, "/usr/lib/x86_64-linux-gnu/" LIBGNUTLS, NULL), 1);
	assert_int_equal(tls_libs_take_new(set, &first), 1);
	assert_int_equal(first, 1);
	assert_int_equal(tls_libs_get(set, first)->kind, TLS_LIB_GNUTLS);

	unlink(link);
	rmdir(dir);
	tls_libs_free(set);
}

/* The path /proc/self/maps shows for the mapping of inode ino, or "" when none. */
static void maps_path_of(ino_t ino, char *out, size_t size)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[PATH_MAX + 256];

	out[0] = '\0';
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned long i;
		int n = 0;

		if (sscanf(line, "%*x-%*x %*s %*x %*x:%*x %lu %n", &i, &n) == 1 && n && i == ino) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(out, size, "%s", line + n);
			break;
		}
	}
	fclose(f);
}

static void test_scan_pid_self(void **state)
{
	struct tls_libs *set = tls_libs_new();
	const struct tls_lib *lib;
	char maps_path[PATH_MAX];
	struct tls_lib sys;
	void *h;

	assert_non_null(set);
	h = dlopen(LIBSSL, RTLD_NOW | RTLD_LOCAL);
	assert_non_null(h);
	assert_int_equal(tls_libs_inspect("/usr/lib/x86_64-linux-gnu/" LIBSSL, NULL, &sys), 0);
	maps_path_of(sys.ino, maps_path, sizeof(maps_path));
	assert_string_not_equal(maps_path, "");

	assert_true(tls_libs_scan_pid(set, getpid()) >= 1);
	lib = find_by_ino(set, sys.ino);
	assert_non_null(lib);
	assert_string_equal(lib->display, maps_path);
	/* We share the process's mount namespace: the durable host path is chosen. */
	assert_string_equal(lib->path, maps_path);
	assert_int_equal(lib->kind, TLS_LIB_OPENSSL);
	assert_int_equal(lib->funcs, sys.funcs);
	assert_string_equal(lib->version, sys.version);

	/* Known now: skipped on the maps line's dev and inode. */
	assert_int_equal(tls_libs_scan_pid(set, getpid()), 0);
	/* And the system scan finds nothing new for that file. */
	assert_int_equal(tls_libs_add_path(set, "/usr/lib/x86_64-linux-gnu/" LIBSSL, NULL), 0);
	dlclose(h);
	tls_libs_free(set);
}

/* A copy of libssl mapped then deleted, as after a package upgrade: reachable only through
 * /proc/PID/map_files, which needs CAP_SYS_ADMIN (or CAP_CHECKPOINT_RESTORE). */
static void test_scan_pid_deleted(void **state)
{
	char dir[] = "/tmp/tls_libs_delXXXXXX", copy[PATH_MAX], cmd[PATH_MAX + 64];
	struct tls_libs *set = tls_libs_new();
	const struct tls_lib *lib;
	struct stat st;
	void *map;
	int fd;

	assert_non_null(set);
	assert_non_null(mkdtemp(dir));
	snprintf(copy, sizeof(copy), "%s/libssl.so.3", dir);
	snprintf(cmd, sizeof(cmd), "cp /usr/lib/x86_64-linux-gnu/" LIBSSL " %s", copy);
	assert_int_equal(system(cmd), 0);
	fd = open(copy, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	map = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	assert_true(map != MAP_FAILED);
	close(fd);
	unlink(copy);
	rmdir(dir);

	assert_true(tls_libs_scan_pid(set, getpid()) >= 0);
	lib = find_by_ino(set, st.st_ino);
	if (geteuid() == 0) {
		assert_non_null(lib);
		assert_string_equal(lib->display, copy);
		assert_int_equal(strncmp(lib->path, "/proc/", 6), 0);
		assert_non_null(strstr(lib->path, "/map_files/"));
		assert_int_equal(lib->kind, TLS_LIB_OPENSSL);
		/* No libcrypto.so.3 beside it: the soname says "3". */
		assert_string_equal(lib->version, "3");
	} else {
		assert_null(lib);
	}
	munmap(map, st.st_size);
	tls_libs_free(set);
}

/* Child: become a container whose root is dir, map its libssl, report, wait to be killed. */
static void container_child(const char *dir, int ready)
{
	char c = 'x';
	int fd;

	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount(dir, dir, NULL, MS_BIND, NULL) || chdir(dir) ||
	    syscall(SYS_pivot_root, ".", "old") || chdir("/") || umount2("/old", MNT_DETACH))
		_exit(1);
	fd = open("/usr/lib/x86_64-linux-gnu/" LIBSSL, O_RDONLY);
	if (fd < 0 || mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0) == MAP_FAILED)
		_exit(2);
	if (write(ready, &c, 1) != 1)
		_exit(3);
	pause();
	_exit(0);
}

static pid_t container_pid;
static char container_dir[] = "/tmp/tls_libs_ctrXXXXXX";

/* Runs even when an assertion fails: no container left paused, holding our stdout. */
static int container_teardown(void **state)
{
	char cmd[PATH_MAX];
	int status;

	if (container_pid > 0) {
		kill(container_pid, SIGKILL);
		waitpid(container_pid, &status, 0);
		container_pid = 0;
	}
	if (strcmp(container_dir + strlen(container_dir) - 6, "XXXXXX")) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", container_dir);
		if (system(cmd))
			return -1;
	}
	return 0;
}

/* A process in its own mount namespace and root (pivot_root, as container runtimes do): maps
 * shows paths from its root, reached through /proc/PID/root; libcrypto.so.3 there is an
 * absolute symlink that must resolve inside that root. Needs root to build the container. */
static void test_scan_pid_container(void **state)
{
	const char *dir = container_dir;
	char cmd[4 * PATH_MAX], want[64];
	struct tls_libs *set = tls_libs_new();
	const struct tls_lib *lib = NULL;
	int pipefd[2];
	struct stat st;
	size_t i;
	char c;

	assert_non_null(set);
	if (geteuid() != 0) {
		tls_libs_free(set);
		return;
	}
	/* Our own libssl (linked in) is mapped in the child too: know it first. */
	assert_true(tls_libs_scan_pid(set, getpid()) >= 1);
	assert_non_null(mkdtemp(container_dir));
	snprintf(cmd, sizeof(cmd),
		 "set -e; d=%s/usr/lib/x86_64-linux-gnu; mkdir -p %s/old $d; "
		 "cp /usr/lib/x86_64-linux-gnu/" LIBSSL " $d/; "
		 "cp /usr/lib/x86_64-linux-gnu/libcrypto.so.3 $d/libcrypto.so.3.real; "
		 "ln -s /usr/lib/x86_64-linux-gnu/libcrypto.so.3.real $d/libcrypto.so.3",
		 dir, dir);
	assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "%s/usr/lib/x86_64-linux-gnu/" LIBSSL, dir);
	assert_int_equal(stat(cmd, &st), 0);
	assert_int_equal(pipe(pipefd), 0);
	container_pid = fork();
	assert_true(container_pid >= 0);
	if (!container_pid) {
		close(pipefd[0]);
		container_child(dir, pipefd[1]);
	}
	close(pipefd[1]);
	assert_int_equal(read(pipefd[0], &c, 1), 1);
	close(pipefd[0]);

	assert_int_equal(tls_libs_scan_pid(set, container_pid), 1);
	for (i = 0; i < tls_libs_count(set); i++)
		if (tls_libs_get(set, i)->ino == st.st_ino)
			lib = tls_libs_get(set, i);
	assert_non_null(lib);
	assert_string_equal(lib->display, "/usr/lib/x86_64-linux-gnu/" LIBSSL);
	snprintf(want, sizeof(want), "/proc/%d/root/usr/lib/x86_64-linux-gnu/" LIBSSL,
		 (int)container_pid);
	assert_string_equal(lib->path, want);
	assert_int_equal(lib->kind, TLS_LIB_OPENSSL);
	assert_version_3x(lib->version); /* from the container's libcrypto.so.3.real */
	assert_int_equal(tls_libs_scan_pid(set, container_pid), 0);
	tls_libs_free(set);
}

static void test_scan_pid_gone(void **state)
{
	struct tls_libs *set = tls_libs_new();
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (!pid)
		_exit(0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	assert_int_equal(tls_libs_scan_pid(set, pid), -ENOENT);
	assert_true(tls_libs_scan_all_pids(set) >= 0);
	tls_libs_free(set);
}

/* Parse from an exactly-sized heap copy (no NUL) so ASan sees any read past len. */
static int parse(const char *line, struct tls_maps_entry *e)
{
	size_t len = strlen(line);
	char *copy = malloc(len ? len : 1);
	int r;

	assert_non_null(copy);
	memcpy(copy, line, len);
	r = tls_libs_maps_parse_line(copy, len, e);
	if (r == 1) {
		/* Keep the path readable after free. */
		static char path[PATH_MAX];

		assert_true(e->len < sizeof(path));
		memcpy(path, e->path, e->len);
		path[e->len] = '\0';
		e->path = path;
	}
	free(copy);
	return r;
}

static void test_maps_parse_line(void **state)
{
	struct tls_maps_entry e;

	assert_int_equal(parse("7f2c1a2b3000-7f2c1a2d5000 r--p 00000000 fd:01 1234567                "
			       "    /usr/lib/x86_64-linux-gnu/libssl.so.3\n",
			       &e),
			 1);
	assert_int_equal(e.start, 0x7f2c1a2b3000UL);
	assert_int_equal(e.end, 0x7f2c1a2d5000UL);
	assert_int_equal(e.dev, makedev(0xfd, 1));
	assert_int_equal(e.ino, 1234567);
	assert_string_equal(e.path, "/usr/lib/x86_64-linux-gnu/libssl.so.3");
	assert_false(e.deleted);

	assert_int_equal(parse("1000-2000 r-xp 00001000 00:2f 99 /opt/my app/libgnutls.so.30.34.3 "
			       "(deleted)",
			       &e),
			 1);
	assert_true(e.deleted);
	assert_string_equal(e.path, "/opt/my app/libgnutls.so.30.34.3");
	assert_int_equal(e.dev, makedev(0, 0x2f));

	assert_int_equal(parse("1000-2000 r--p 00000000 08:01 5 /lib/libssl.so", &e), 1);
	assert_int_equal(parse("1000-2000 r--p 00000000 08:01 5 /lib/libssl.so.1.1", &e), 1);
	/* a wheel's bundled copy (auditwheel renames it with a hash) */
	assert_int_equal(parse("1000-2000 r-xp 00001000 08:01 5 /venv/lib/python3.11/site-packages/"
			       "psycopg2_binary.libs/libssl-3b1f2a4c.so.1.1",
			       &e),
			 1);
	assert_int_equal(parse("1000-2000 r-xp 00001000 08:01 5 /x/libgnutls-0a1b2c3d.so.30", &e), 1);

	/* Not ours. */
	assert_int_equal(parse("1000-2000 r--p 00000000 08:01 5 /usr/lib/libssl3.so\n", &e), 0);
	assert_int_equal(parse("1000-2000 r--p 00000000 08:01 5 /usr/lib/libgnutls-openssl.so.27", &e),
			 0);
	assert_int_equal(parse("1000-2000 r--p 00000000 08:01 5 /usr/lib/libcrypto.so.3", &e), 0);
	assert_int_equal(parse("1000-2000 r--p 00000000 08:01 5 /usr/lib/libssl.sox", &e), 0);
	assert_int_equal(parse("1000-2000 r--p 00000000 08:01 5 /usr/lib/libssl-.so.3", &e), 0);
	assert_int_equal(parse("1000-2000 r--p 00000000 08:01 5 /usr/lib/libssl-dev.so", &e), 0);
	assert_int_equal(parse("1000-2000 r--p 00000000 08:01 5 /x/libssl-0123456789abcdef0.so", &e),
			 0);
	assert_int_equal(parse("1000-2000 r--p 00000000 08:01 5 /x/libgnutls-dane.so.0", &e), 0);
	assert_int_equal(parse("1000-2000 r--p 00000000 08:01 5 /x/libssl-3b1f2a4c.sox", &e), 0);
	assert_int_equal(parse("1000-2000 r--p 00000000 08:01 5 /libssl.so.3/x", &e), 0);
	assert_int_equal(parse("1000-2000 rw-p 00000000 00:00 0 \n", &e), 0);
	assert_int_equal(parse("1000-2000 rw-p 00000000 00:00 0          [heap]\n", &e), 0);
	assert_int_equal(parse("1000-2000 rw-p 00000000 00:00 0", &e), 0);
	assert_int_equal(parse("1000-2000 rw-s 00000000 00:01 1028 /memfd:libssl.so.3 (deleted)",
			       &e),
			 0); /* basename "memfd:libssl.so.3" */

	/* Malformed. */
	assert_int_equal(parse("", &e), -EINVAL);
	assert_int_equal(parse("\n", &e), -EINVAL);
	assert_int_equal(parse("1000-2000", &e), -EINVAL);
	assert_int_equal(parse("1000-2000 r--p", &e), -EINVAL);
	assert_int_equal(parse("1000 2000 r--p 00000000 08:01 5 /lib/libssl.so", &e), -EINVAL);
	assert_int_equal(parse("1000-2000 r--p 00000000 0801 5 /lib/libssl.so", &e), -EINVAL);
	assert_int_equal(parse("1000-2000 r--p 00000000 08:01 x /lib/libssl.so", &e), -EINVAL);
	assert_int_equal(parse("1000-2000 r--p 00000000 08:01 5x /lib/libssl.so", &e), -EINVAL);
	assert_int_equal(parse("11112222333344445-2000 r--p 0 08:01 5 /lib/libssl.so", &e), -EINVAL);
	assert_int_equal(
		parse("1000-2000 r--p 0 08:01 99999999999999999999999 /lib/libssl.so", &e), -EINVAL);
}

static void test_names(void **state)
{
	assert_string_equal(tls_libs_func_name(TLS_FN_SSL_WRITE), "SSL_write");
	assert_string_equal(tls_libs_func_name(TLS_FN_SSL_READ_EX), "SSL_read_ex");
	assert_string_equal(tls_libs_func_name(TLS_FN_GNUTLS_DEINIT), "gnutls_deinit");
	assert_null(tls_libs_func_name(TLS_FN_COUNT));
	assert_string_equal(tls_libs_kind_name(TLS_LIB_OPENSSL), "openssl");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_system_libssl),
		cmocka_unit_test(test_system_gnutls),
		cmocka_unit_test(test_scan_system_dedupes),
		cmocka_unit_test(test_not_tls),
		cmocka_unit_test(test_remembered_bound),
		cmocka_unit_test(test_fifo_and_dir_refused),
		cmocka_unit_test(test_symlink_dedupe),
		cmocka_unit_test(test_scan_pid_self),
		cmocka_unit_test(test_scan_pid_deleted),
		cmocka_unit_test_teardown(test_scan_pid_container, container_teardown),
		cmocka_unit_test(test_scan_pid_gone),
		cmocka_unit_test(test_maps_parse_line),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
