/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Discovery of the TLS libraries (OpenSSL's libssl, GnuTLS) to put uprobes on: on the host's
 * library directories and in every process's mappings, containers' included. No BPF here:
 * this module only finds files, says what they are and which functions they export. */
#ifndef IDTRACE_TLS_LIBS_H
#define IDTRACE_TLS_LIBS_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

enum tls_lib_kind { TLS_LIB_OPENSSL, TLS_LIB_GNUTLS, TLS_LIB_GO };

/* Bit numbers in tls_lib.funcs; tls_libs_func_name() gives the symbol. */
enum tls_func {
	TLS_FN_SSL_WRITE,
	TLS_FN_SSL_WRITE_EX,
	TLS_FN_SSL_READ,
	TLS_FN_SSL_READ_EX,
	TLS_FN_SSL_CTRL, /* SSL_set_tlsext_host_name is SSL_ctrl(s, 55, 0, name) */
	TLS_FN_SSL_SET_TLSEXT_HOST_NAME, /* a macro in OpenSSL; exported by BoringSSL */
	TLS_FN_SSL_DO_HANDSHAKE,
	TLS_FN_SSL_CONNECT,
	TLS_FN_SSL_SHUTDOWN,
	TLS_FN_SSL_FREE,
	TLS_FN_GNUTLS_RECORD_SEND,
	TLS_FN_GNUTLS_RECORD_RECV,
	TLS_FN_GNUTLS_SERVER_NAME_SET,
	TLS_FN_GNUTLS_BYE,
	TLS_FN_GNUTLS_DEINIT,
	/* Go's crypto/tls: in the program's .symtab (Go exports nothing) */
	TLS_FN_GO_WRITE,
	TLS_FN_GO_CLOSE,
	TLS_FN_GO_SERVER_HANDSHAKE,
	TLS_FN_GO_CLIENT_HANDSHAKE,
	TLS_FN_GO_HOSTNAME_IN_SNI, /* makeClientHello passes it config.ServerName */
	TLS_FN_COUNT
};

#define TLS_GO_FUNCS (TLS_FN_COUNT - TLS_FN_GO_WRITE)

#define TLS_FN_BIT(fn) (1u << (fn))

struct tls_lib {
	/* As the daemon can open it (and give it to the uprobe attach): a host path, or
	 * /proc/PID/root/..., or /proc/PID/map_files/START-END for a deleted or replaced file. */
	char path[PATH_MAX];
	/* For agent.ready: the path /proc/PID/maps shows (a pivot_root'ed container's is from
	 * its own root; a chroot's from ours), or the realpath of a host file. */
	char display[PATH_MAX];
	dev_t dev; /* of the file opened through path (fstat) */
	ino_t ino;
	enum tls_lib_kind kind;
	/* "3.0.19", "1.1.1w", "3.7.9" when found in .rodata (for libssl: in the libcrypto it
	 * needs, next to it); else from the soname ("3", "1.1"); "" when unknown. */
	char version[32];
	unsigned funcs; /* TLS_FN_BIT()s of the functions the ELF defines and exports */
	/* Go: file offsets of TLS_FN_GO_WRITE and the Go functions after it, in
	 * enum order (from .gopclntab, so stripped programs too); 0: absent */
	unsigned long go_off[TLS_GO_FUNCS];
};

/* Inspect one file: open path (following symlinks; FIFOs, devices and directories are
 * refused without blocking), parse its dynamic symbols and fill *out. display NULL means
 * realpath(path). Returns 0, -ENOTSUP for an ELF or other file that is not a TLS library,
 * -EISDIR, or another -errno from open. */
int tls_libs_inspect(const char *path, const char *display, struct tls_lib *out);

/* One line of /proc/PID/maps, parsed by tls_libs_maps_parse_line(). */
struct tls_maps_entry {
	unsigned long start, end; /* address range, for /proc/PID/map_files/START-END */
	dev_t dev; /* as the kernel prints it: may differ from stat's on btrfs and overlayfs */
	ino_t ino;
	const char *path; /* points into the line; len bytes, no " (deleted)" suffix */
	size_t len;
	int deleted;
};

/* Parse one maps line (len bytes, no NUL needed, a trailing '\n' allowed). Returns 1 when it
 * maps a file whose basename is libssl.so* or libgnutls.so*, 0 for any other line, -EINVAL
 * when the line is malformed. Pure: no I/O. */
int tls_libs_maps_parse_line(const char *line, size_t len, struct tls_maps_entry *e);

/* A set of TLS libraries, deduplicated by the (dev, ino) of the file. */
struct tls_libs;

/* A new empty set the caller frees with tls_libs_free(); NULL when out of memory. */
struct tls_libs *tls_libs_new(void);
void tls_libs_free(struct tls_libs *set);

/* Inspect path and add it (display NULL: realpath(path)). Returns 1 when added, 0 when the
 * file (by dev and inode) is already in the set, -ENOTSUP when it is not a TLS library (remembered:
 * not parsed again), or another -errno. */
int tls_libs_add_path(struct tls_libs *set, const char *path, const char *display);

/* Add the libssl.so* and libgnutls.so* files in the host's library directories. Returns the
 * number added (0 or more). */
int tls_libs_scan_system(struct tls_libs *set);

/* Add the TLS libraries process pid maps, and its executable when that exports OpenSSL or
 * GnuTLS itself (Node.js, static builds). Known files are skipped on the dev and inode of
 * the maps line, without opening anything. Returns the number added or -errno (-ENOENT when the
 * process is gone). */
int tls_libs_scan_pid(struct tls_libs *set, pid_t pid);

/* tls_libs_scan_pid() on every process in /proc; processes that vanish or deny access are
 * skipped. Returns the number added or -errno when /proc cannot be read. */
int tls_libs_scan_all_pids(struct tls_libs *set);

/* The kernel says the file with inode number ino changed at ctime_ns (ns): a file judged
 * not a TLS library under that number and another change time is another file (the
 * kernel gives a freed inode number to the next file made: a program built where one was
 * deleted), and is forgotten, to be judged again. Returns how many entries went. */
int tls_libs_forget_stale(struct tls_libs *set, uint64_t ino, uint64_t ctime_ns);
/* After the file (ino) was judged again: remember the change time the kernel gave, which
 * decides from then on (a file system's own stat may differ from it). */
void tls_libs_note_ctime(struct tls_libs *set, uint64_t ino, uint64_t ctime_ns);

size_t tls_libs_count(const struct tls_libs *set);
/* Files remembered, TLS libraries and others (bounded: the others are forgotten past
 * a few thousand). */
size_t tls_libs_remembered(const struct tls_libs *set);
/* Library i (0 <= i < count), in order of discovery; borrowed, valid until tls_libs_free(). */
const struct tls_lib *tls_libs_get(const struct tls_libs *set, size_t i);

/* The libraries added since the previous call: sets *first and returns how many, so they are
 * tls_libs_get(set, *first) ... tls_libs_get(set, *first + n - 1). */
size_t tls_libs_take_new(struct tls_libs *set, size_t *first);

/* "SSL_write", ...; NULL for fn >= TLS_FN_COUNT. */
const char *tls_libs_func_name(enum tls_func fn);
/* "openssl" or "gnutls". */
const char *tls_libs_kind_name(enum tls_lib_kind kind);

#endif
