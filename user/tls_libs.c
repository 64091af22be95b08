// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdbool.h>
#include <libelf.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "go_pclntab.h"
#include "tls_libs.h"

/* Larger files are not shared libraries we want; bounds what a hostile file can cost. */
#define TLS_FILE_MAX (512UL << 20)
/* .rodata is read (pread, not mmap) to find the version text; libcrypto 3's is 360 KiB. */
#define TLS_RODATA_MAX (16UL << 20)

static const char *const tls_func_names[TLS_FN_COUNT] = {
	[TLS_FN_SSL_WRITE] = "SSL_write",
	[TLS_FN_SSL_WRITE_EX] = "SSL_write_ex",
	[TLS_FN_SSL_READ] = "SSL_read",
	[TLS_FN_SSL_READ_EX] = "SSL_read_ex",
	[TLS_FN_SSL_CTRL] = "SSL_ctrl",
	[TLS_FN_SSL_SET_TLSEXT_HOST_NAME] = "SSL_set_tlsext_host_name",
	[TLS_FN_SSL_DO_HANDSHAKE] = "SSL_do_handshake",
	[TLS_FN_SSL_CONNECT] = "SSL_connect",
	[TLS_FN_SSL_SHUTDOWN] = "SSL_shutdown",
	[TLS_FN_SSL_FREE] = "SSL_free",
	[TLS_FN_GNUTLS_RECORD_SEND] = "gnutls_record_send",
	[TLS_FN_GNUTLS_RECORD_RECV] = "gnutls_record_recv",
	[TLS_FN_GNUTLS_SERVER_NAME_SET] = "gnutls_server_name_set",
	[TLS_FN_GNUTLS_BYE] = "gnutls_bye",
	[TLS_FN_GNUTLS_DEINIT] = "gnutls_deinit",
	[TLS_FN_GO_WRITE] = "crypto/tls.(*Conn).Write",
	[TLS_FN_GO_CLOSE] = "crypto/tls.(*Conn).Close",
	[TLS_FN_GO_SERVER_HANDSHAKE] = "crypto/tls.(*Conn).serverHandshake",
	[TLS_FN_GO_CLIENT_HANDSHAKE] = "crypto/tls.(*Conn).clientHandshake",
	[TLS_FN_GO_HOSTNAME_IN_SNI] = "crypto/tls.hostnameInSNI",
};

const char *tls_libs_func_name(enum tls_func fn)
{
	return (unsigned)fn < TLS_FN_COUNT ? tls_func_names[fn] : NULL;
}

const char *tls_libs_kind_name(enum tls_lib_kind kind)
{
	return kind == TLS_LIB_GNUTLS ? "gnutls" : kind == TLS_LIB_GO ? "go" : "openssl";
}

/* "libssl.so", "libssl.so.3", "libgnutls.so.30.34.3", and the renamed copies
 * Python wheels bundle ("libssl-1a2b3c4d.so.1.1", auditwheel's hash of the
 * file); not libssl3.so (NSS) nor libgnutls-openssl.so (GnuTLS's OpenSSL
 * emulation, whose SSL_write calls gnutls_record_send). */
static int tls_libs_name_matches(const char *name, size_t len)
{
	static const char *const bases[] = { "libssl", "libgnutls" };
	size_t i;

	for (i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
		size_t n = strlen(bases[i]);

		if (len < n || memcmp(name, bases[i], n))
			continue;
		if (n < len && name[n] == '-') {
			size_t hex = 0;

			while (n + 1 + hex < len && isxdigit((unsigned char)name[n + 1 + hex]))
				hex++;
			if (hex == 0 || hex > 16)
				return 0;
			n += 1 + hex;
		}
		if (len >= n + 3 && !memcmp(name + n, ".so", 3) && (len == n + 3 || name[n + 3] == '.'))
			return 1;
		return 0;
	}
	return 0;
}

/* ---- opening files ---- */

/* Open for reading without blocking on a FIFO or acquiring a tty. With rootfd >= 0, path is
 * resolved inside that root (a container's /proc/PID/root): its absolute symlinks stay in it. */
static int tls_libs_open(int rootfd, const char *path)
{
	const int flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY;
	struct open_how how = {
		.flags = flags,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	int fd;

	if (rootfd < 0) {
		fd = open(path, flags);
		return fd < 0 ? -errno : fd;
	}
	fd = syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
	if (fd < 0 && errno == ENOSYS) {
		/* Before Linux 5.6: absolute symlinks would escape the root; accept that. */
		while (*path == '/')
			path++;
		fd = openat(rootfd, path, flags);
	}
	return fd < 0 ? -errno : fd;
}

/* fstat fd and refuse what is not a plausible library file. */
static int tls_libs_check_file(int fd, struct stat *st)
{
	if (fstat(fd, st))
		return -errno;
	if (S_ISDIR(st->st_mode))
		return -EISDIR;
	if (!S_ISREG(st->st_mode) || (unsigned long long)st->st_size > TLS_FILE_MAX)
		return -ENOTSUP;
	return 0;
}

/* ---- ELF ---- */

struct tls_elf_info {
	unsigned funcs;
	unsigned long go_off[TLS_GO_FUNCS]; /* as in struct tls_lib */
	char soname[64];
	char needed_crypto[64]; /* DT_NEEDED libcrypto.so.N, for the version text */
	char version[32];
};

static int tls_libs_func_lookup(const char *name)
{
	int i;

	if (strncmp(name, "SSL_", 4) && strncmp(name, "gnutls_", 7))
		return -1;
	for (i = 0; i < TLS_FN_COUNT; i++)
		if (!strcmp(name, tls_func_names[i]))
			return i;
	return -1;
}

static void tls_libs_read_dynsym(Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh, unsigned *funcs)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t i, n;

	if (!data || !sh->sh_entsize)
		return;
	n = sh->sh_size / sh->sh_entsize;
	for (i = 0; i < n; i++) {
		GElf_Sym sym;
		const char *name;
		int type, bind, fn;

		if (!gelf_getsym(data, (int)i, &sym))
			break;
		type = GELF_ST_TYPE(sym.st_info);
		bind = GELF_ST_BIND(sym.st_info);
		if (sym.st_shndx == SHN_UNDEF || (type != STT_FUNC && type != STT_GNU_IFUNC) ||
		    (bind != STB_GLOBAL && bind != STB_WEAK))
			continue;
		name = elf_strptr(elf, sh->sh_link, sym.st_name);
		if (!name)
			continue;
		fn = tls_libs_func_lookup(name);
		if (fn >= 0)
			*funcs |= TLS_FN_BIT(fn);
	}
}

static void tls_libs_copy(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src);
}

static void tls_libs_read_dynamic(Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh,
				  struct tls_elf_info *info)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t i, n;

	if (!data || !sh->sh_entsize)
		return;
	n = sh->sh_size / sh->sh_entsize;
	for (i = 0; i < n; i++) {
		GElf_Dyn dyn;
		const char *s;

		if (!gelf_getdyn(data, (int)i, &dyn) || dyn.d_tag == DT_NULL)
			break;
		if (dyn.d_tag != DT_SONAME && dyn.d_tag != DT_NEEDED)
			continue;
		s = elf_strptr(elf, sh->sh_link, dyn.d_un.d_val);
		if (!s)
			continue;
		if (dyn.d_tag == DT_SONAME)
			tls_libs_copy(info->soname, sizeof(info->soname), s);
		else if (!strncmp(s, "libcrypto.so", 12))
			tls_libs_copy(info->needed_crypto, sizeof(info->needed_crypto), s);
	}
}

/* Find "<marker>X.Y.Z" (the marker ends in a space, X a digit) in buf and copy X.Y.Z, up to
 * the next space or NUL, to out. Returns 1 when found. */
static int tls_libs_find_version(const char *buf, size_t len, const char *marker, char *out,
				 size_t size)
{
	size_t mlen = strlen(marker);
	const char *p = buf, *end = buf + len;

	while ((size_t)(end - p) > mlen) {
		const char *hit = memmem(p, end - p, marker, mlen);
		const char *v;
		size_t n = 0;

		if (!hit)
			return 0;
		v = hit + mlen;
		p = hit + 1;
		if (v >= end || !isdigit((unsigned char)*v))
			continue;
		while (v + n < end && n + 1 < size && v[n] && v[n] != ' ' && isprint((unsigned char)v[n]))
			n++;
		if (n < 3 || !memchr(v, '.', n))
			continue;
		memcpy(out, v, n);
		out[n] = '\0';
		return 1;
	}
	return 0;
}

static void tls_libs_read_rodata(Elf_Scn *scn, const GElf_Shdr *sh, const char *marker,
				 char *out, size_t size)
{
	Elf_Data *data;

	if (sh->sh_type != SHT_PROGBITS || sh->sh_size > TLS_RODATA_MAX)
		return;
	data = elf_getdata(scn, NULL);
	if (data && data->d_buf)
		tls_libs_find_version(data->d_buf, data->d_size, marker, out, size);
}

static const unsigned tls_ssl_funcs = TLS_FN_BIT(TLS_FN_SSL_WRITE) | TLS_FN_BIT(TLS_FN_SSL_READ);

/* The text before the version in .rodata: OPENSSL_VERSION_TEXT ("OpenSSL 3.0.19 27 Jan 2026",
 * in libssl up to 1.1 and in libcrypto) or "Enabled GnuTLS 3.7.9 logging..." (lib/global.c). */
static const char *tls_libs_version_marker(unsigned funcs)
{
	if ((funcs & tls_ssl_funcs) == tls_ssl_funcs)
		return "OpenSSL ";
	if (funcs & TLS_FN_BIT(TLS_FN_GNUTLS_RECORD_SEND))
		return "GnuTLS ";
	return NULL;
}

/* The file offset of virtual address va, from the program headers; 0 when
 * no loaded segment holds it. */
static unsigned long tls_libs_va_to_off(Elf *elf, uint64_t va)
{
	size_t n;
	GElf_Phdr ph;

	if (elf_getphdrnum(elf, &n))
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD || !(ph.p_flags & PF_X))
			continue;
		if (va >= ph.p_vaddr && va - ph.p_vaddr < ph.p_filesz)
			return (unsigned long)(va - ph.p_vaddr + ph.p_offset);
	}
	return 0;
}

/* Go's crypto/tls, by the runtime's own function table: Go exports nothing,
 * and -s removes the symbol table, but not this. */
static void tls_libs_read_go(Elf *elf, Elf_Scn *scn, struct tls_elf_info *info)
{
	const char *const *names = &tls_func_names[TLS_FN_GO_WRITE];
	Elf_Data *data = elf_getdata(scn, NULL);
	uint64_t pc[TLS_GO_FUNCS];

	/* The probes read Go's register ABI (1.17+); a 1.16/1.17 table does not
	 * tell the two apart, and 1.16 passes arguments on the stack. */
	if (!data || !data->d_buf || go_pclntab_version(data->d_buf, data->d_size) < 118 ||
	    go_pclntab_find(data->d_buf, data->d_size, names, TLS_GO_FUNCS, pc) <= 0)
		return;
	for (int i = 0; i < TLS_GO_FUNCS; i++) {
		info->go_off[i] = pc[i] ? tls_libs_va_to_off(elf, pc[i]) : 0;
		if (info->go_off[i])
			info->funcs |= TLS_FN_BIT(TLS_FN_GO_WRITE + i);
	}
}

/* Parse fd's ELF in one pass: exported functions, soname, needed libcrypto, and the version
 * text after marker in .rodata (marker NULL: the one the exported functions call for).
 * Returns 0 or -ENOTSUP when fd is not an ELF object. */
static int tls_libs_read_elf(int fd, const char *marker, struct tls_elf_info *info)
{
	Elf_Scn *scn = NULL, *rodata = NULL, *pclntab = NULL;
	GElf_Shdr sh, rodata_sh = { 0 };
	size_t shstrndx;
	Elf *elf;
	int err = 0;

	memset(info, 0, sizeof(*info));
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -ENOTSUP;
	/* ELF_C_READ reads the parts asked for with pread: no mmap, so no SIGBUS when the file
	 * is truncated under us, and only the sections we look at are in memory. */
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf)
		return -ENOTSUP;
	if (elf_kind(elf) != ELF_K_ELF || elf_getshdrstrndx(elf, &shstrndx)) {
		err = -ENOTSUP;
		goto out;
	}
	while ((scn = elf_nextscn(elf, scn))) {
		const char *name;

		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type == SHT_DYNSYM) {
			tls_libs_read_dynsym(elf, scn, &sh, &info->funcs);
		} else if (sh.sh_type == SHT_DYNAMIC) {
			tls_libs_read_dynamic(elf, scn, &sh, info);
		} else {
			name = elf_strptr(elf, shstrndx, sh.sh_name);
			if (name && !rodata && !strcmp(name, ".rodata")) {
				rodata = scn;
				rodata_sh = sh;
			}
			if (name && !strcmp(name, ".gopclntab"))
				pclntab = scn;
		}
	}
	if (pclntab)
		tls_libs_read_go(elf, pclntab, info);
	if (!marker)
		marker = tls_libs_version_marker(info->funcs);
	if (rodata && marker)
		tls_libs_read_rodata(rodata, &rodata_sh, marker, info->version,
				     sizeof(info->version));
out:
	elf_end(elf);
	return err;
}

/* OpenSSL 3's libssl has no version text; the libcrypto it needs, in the same directory
 * (resolved in rootfd's root when rootfd >= 0), has OPENSSL_VERSION_TEXT. */
static void tls_libs_crypto_version(int rootfd, const char *lib_path, const char *needed,
				    char *out, size_t size)
{
	char path[PATH_MAX];
	const char *slash = strrchr(lib_path, '/');
	struct tls_elf_info info;
	struct stat st;
	int fd, n;

	if (!slash || !needed[0])
		return;
	n = snprintf(path, sizeof(path), "%.*s/%s", (int)(slash - lib_path), lib_path, needed);
	if (n < 0 || (size_t)n >= sizeof(path))
		return;
	fd = tls_libs_open(rootfd, path);
	if (fd < 0)
		return;
	if (!tls_libs_check_file(fd, &st) && !tls_libs_read_elf(fd, "OpenSSL ", &info) &&
	    info.version[0])
		tls_libs_copy(out, size, info.version);
	close(fd);
}

/* Version from the soname when no text says it: libssl.so.3 -> "3", libssl.so.1.1 -> "1.1";
 * libgnutls.so.30 (GnuTLS 3.4 and later) and .28 (3.0-3.3) -> "3". */
static void tls_libs_soname_version(const char *soname, enum tls_lib_kind kind, char *out,
				    size_t size)
{
	const char *suffix = strstr(soname, ".so.");

	if (!suffix)
		return;
	suffix += 4;
	if (kind == TLS_LIB_OPENSSL)
		tls_libs_copy(out, size, suffix);
	else if (!strcmp(suffix, "30") || !strcmp(suffix, "28"))
		tls_libs_copy(out, size, "3");
}

/* Inspect an open regular file; rootfd and sibling_path locate the libcrypto next to it. */
static int tls_libs_inspect_fd(int fd, int rootfd, const char *sibling_path, struct tls_lib *out)
{
	struct tls_elf_info info;
	int err;

	err = tls_libs_read_elf(fd, NULL, &info);
	if (err)
		return err;
	if ((info.funcs & tls_ssl_funcs) == tls_ssl_funcs) {
		out->kind = TLS_LIB_OPENSSL;
		if (!info.version[0])
			tls_libs_crypto_version(rootfd, sibling_path, info.needed_crypto,
						info.version, sizeof(info.version));
	} else if (info.funcs & TLS_FN_BIT(TLS_FN_GNUTLS_RECORD_SEND)) {
		out->kind = TLS_LIB_GNUTLS;
	} else if (info.funcs & TLS_FN_BIT(TLS_FN_GO_WRITE)) {
		out->kind = TLS_LIB_GO;
		memcpy(out->go_off, info.go_off, sizeof(out->go_off));
	} else {
		return -ENOTSUP;
	}
	out->funcs = info.funcs;
	if (info.version[0])
		tls_libs_copy(out->version, sizeof(out->version), info.version);
	else
		tls_libs_soname_version(info.soname, out->kind, out->version, sizeof(out->version));
	return 0;
}

/* Like tls_libs_inspect(), also returning the file's identity when it is not a library. */
static int tls_libs_inspect_path(const char *path, const char *display, struct tls_lib *out)
{
	char real[PATH_MAX];
	struct stat st;
	int fd, err;

	memset(out, 0, sizeof(*out));
	fd = tls_libs_open(-1, path);
	if (fd < 0)
		return fd;
	err = tls_libs_check_file(fd, &st);
	if (err)
		goto out;
	out->dev = st.st_dev;
	out->ino = st.st_ino;
	if (!realpath(path, real))
		tls_libs_copy(real, sizeof(real), path);
	tls_libs_copy(out->path, sizeof(out->path), path);
	tls_libs_copy(out->display, sizeof(out->display), display ? display : real);
	err = tls_libs_inspect_fd(fd, -1, real, out);
out:
	close(fd);
	return err;
}

int tls_libs_inspect(const char *path, const char *display, struct tls_lib *out)
{
	int err = tls_libs_inspect_path(path, display, out);

	if (err)
		memset(out, 0, sizeof(*out));
	return err;
}

/* ---- /proc/PID/maps ---- */

static int tls_libs_parse_hex(const char **p, const char *end, unsigned long *v)
{
	const char *s = *p;
	unsigned long x = 0;
	int n = 0;

	for (; s < end && isxdigit((unsigned char)*s); s++, n++) {
		if (n == 16)
			return -EINVAL;
		x = x * 16 + (isdigit((unsigned char)*s) ? *s - '0' : (*s | 0x20) - 'a' + 10);
	}
	if (!n)
		return -EINVAL;
	*p = s;
	*v = x;
	return 0;
}

static int tls_libs_parse_dec(const char **p, const char *end, unsigned long *v)
{
	const char *s = *p;
	unsigned long x = 0;
	int n = 0;

	for (; s < end && isdigit((unsigned char)*s); s++, n++) {
		if (n == 20 || x > (~0UL - 9) / 10)
			return -EINVAL;
		x = x * 10 + (*s - '0');
	}
	if (!n)
		return -EINVAL;
	*p = s;
	*v = x;
	return 0;
}

static int tls_libs_expect(const char **p, const char *end, char c)
{
	if (*p >= end || **p != c)
		return -EINVAL;
	(*p)++;
	return 0;
}

/* "START-END PERM OFFSET MAJ:MIN INODE   PATH" */
int tls_libs_maps_parse_line(const char *line, size_t len, struct tls_maps_entry *e)
{
	static const char deleted[] = " (deleted)";
	const size_t dlen = sizeof(deleted) - 1;
	const char *p = line, *end = line + len, *base;
	unsigned long start, stop, off, maj, min, ino;

	memset(e, 0, sizeof(*e));
	if (len && end[-1] == '\n')
		end--;
	if (tls_libs_parse_hex(&p, end, &start) || tls_libs_expect(&p, end, '-') ||
	    tls_libs_parse_hex(&p, end, &stop) || tls_libs_expect(&p, end, ' '))
		return -EINVAL;
	if (end - p < 5 || p[4] != ' ')
		return -EINVAL;
	p += 5;
	if (tls_libs_parse_hex(&p, end, &off) || tls_libs_expect(&p, end, ' ') ||
	    tls_libs_parse_hex(&p, end, &maj) || tls_libs_expect(&p, end, ':') ||
	    tls_libs_parse_hex(&p, end, &min) || tls_libs_expect(&p, end, ' ') ||
	    tls_libs_parse_dec(&p, end, &ino))
		return -EINVAL;
	if (p < end && *p != ' ')
		return -EINVAL;
	while (p < end && *p == ' ')
		p++;
	/* Anonymous, [heap], [vdso], memfd: ... are not files we can find again. */
	if (!ino || p == end || *p != '/')
		return 0;
	e->start = start;
	e->end = stop;
	e->dev = makedev(maj, min);
	e->ino = ino;
	if ((size_t)(end - p) > dlen && !memcmp(end - dlen, deleted, dlen)) {
		end -= dlen;
		e->deleted = 1;
	}
	e->path = p;
	e->len = end - p;
	base = memrchr(p, '/', end - p) + 1;
	return tls_libs_name_matches(base, end - base);
}

/* ---- the set ---- */

/* A (dev, ino) seen: idx of its library, or -1 for a file that is not a TLS library. Files
 * get one key from fstat and, when found through maps, one from the maps line: the two differ
 * on btrfs subvolumes and may on overlayfs. */
struct tls_key {
	dev_t dev;
	ino_t ino;
	long idx;
	uint64_t ctime_ns; /* of a file that is not one (idx -1): from its stat, or the kernel's */
};

struct tls_libs {
	struct tls_lib **libs;
	size_t n, cap;
	size_t taken; /* libs[0..taken) were returned by tls_libs_take_new() */
	struct tls_key *keys;
	size_t nkeys, capkeys;
};

struct tls_libs *tls_libs_new(void)
{
	return calloc(1, sizeof(struct tls_libs));
}

void tls_libs_free(struct tls_libs *set)
{
	size_t i;

	if (!set)
		return;
	for (i = 0; i < set->n; i++)
		free(set->libs[i]);
	free(set->libs);
	free(set->keys);
	free(set);
}

size_t tls_libs_count(const struct tls_libs *set)
{
	return set->n;
}

size_t tls_libs_remembered(const struct tls_libs *set)
{
	return set->nkeys;
}

const struct tls_lib *tls_libs_get(const struct tls_libs *set, size_t i)
{
	return i < set->n ? set->libs[i] : NULL;
}

size_t tls_libs_take_new(struct tls_libs *set, size_t *first)
{
	size_t n = set->n - set->taken;

	*first = set->taken;
	set->taken = set->n;
	return n;
}

static struct tls_key *tls_libs_key_find(struct tls_libs *set, dev_t dev, ino_t ino)
{
	size_t i;

	for (i = 0; i < set->nkeys; i++)
		if (set->keys[i].dev == dev && set->keys[i].ino == ino)
			return &set->keys[i];
	return NULL;
}

/* Files that are not TLS libraries are remembered so they are not parsed again; every
 * executable a process runs is among them (its own OpenSSL is looked for), and a build host
 * makes new ones all day. Past this many keys they are forgotten (and parsed again if seen
 * again): the set stays small and its linear search cheap. */
#define TLS_KEYS_MAX 8192

static void tls_libs_forget_others(struct tls_libs *set)
{
	size_t kept = 0;

	for (size_t i = 0; i < set->nkeys; i++)
		if (set->keys[i].idx >= 0)
			set->keys[kept++] = set->keys[i];
	set->nkeys = kept;
}

static uint64_t stat_ctime_ns(const struct stat *st)
{
	return (uint64_t)st->st_ctim.tv_sec * 1000000000ull + (uint64_t)st->st_ctim.tv_nsec;
}

int tls_libs_forget_stale(struct tls_libs *set, uint64_t ino, uint64_t ctime_ns)
{
	size_t kept = 0;
	int gone = 0;

	for (size_t i = 0; i < set->nkeys; i++) {
		struct tls_key *k = &set->keys[i];

		/* a library attached stays: its uprobes hold its inode, whose
		 * number is then not given to another file */
		if (k->idx < 0 && (uint64_t)k->ino == ino && k->ctime_ns != ctime_ns) {
			gone++;
			continue;
		}
		set->keys[kept++] = *k;
	}
	set->nkeys = kept;
	return gone;
}

void tls_libs_note_ctime(struct tls_libs *set, uint64_t ino, uint64_t ctime_ns)
{
	for (size_t i = 0; i < set->nkeys; i++)
		if (set->keys[i].idx < 0 && (uint64_t)set->keys[i].ino == ino)
			set->keys[i].ctime_ns = ctime_ns;
}

static int tls_libs_key_add_at(struct tls_libs *set, dev_t dev, ino_t ino, long idx,
			       uint64_t ctime_ns)
{
	if (tls_libs_key_find(set, dev, ino))
		return 0;
	if (set->nkeys >= TLS_KEYS_MAX)
		tls_libs_forget_others(set);
	if (set->nkeys == set->capkeys) {
		size_t cap = set->capkeys ? set->capkeys * 2 : 16;
		struct tls_key *k = realloc(set->keys, cap * sizeof(*k));

		if (!k)
			return -ENOMEM;
		set->keys = k;
		set->capkeys = cap;
	}
	set->keys[set->nkeys++] =
		(struct tls_key){ .dev = dev, .ino = ino, .idx = idx, .ctime_ns = ctime_ns };
	return 0;
}

static int tls_libs_key_add(struct tls_libs *set, dev_t dev, ino_t ino, long idx)
{
	return tls_libs_key_add_at(set, dev, ino, idx, 0);
}

/* Take ownership of lib (heap) and add it under its fstat key. Returns 1 or -ENOMEM. */
static int tls_libs_append(struct tls_libs *set, struct tls_lib *lib)
{
	int err;

	if (set->n == set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 8;
		struct tls_lib **l = realloc(set->libs, cap * sizeof(*l));

		if (!l) {
			free(lib);
			return -ENOMEM;
		}
		set->libs = l;
		set->cap = cap;
	}
	err = tls_libs_key_add(set, lib->dev, lib->ino, (long)set->n);
	if (err) {
		free(lib);
		return err;
	}
	set->libs[set->n++] = lib;
	return 1;
}

int tls_libs_add_path(struct tls_libs *set, const char *path, const char *display)
{
	struct tls_lib *lib;
	struct tls_key *k;
	struct stat st;
	int err;

	/* stat, unlike open, never blocks; known files cost nothing more. */
	if (stat(path, &st))
		return -errno;
	k = tls_libs_key_find(set, st.st_dev, st.st_ino);
	if (k)
		return k->idx < 0 ? -ENOTSUP : 0;
	lib = malloc(sizeof(*lib));
	if (!lib)
		return -ENOMEM;
	err = tls_libs_inspect_path(path, display, lib);
	if (err == -ENOTSUP && lib->ino) {
		free(lib);
		err = tls_libs_key_add_at(set, st.st_dev, st.st_ino, -1, stat_ctime_ns(&st));
		return err ? err : -ENOTSUP;
	}
	if (err) {
		free(lib);
		return err;
	}
	/* Replaced between stat and open: the file we parsed may be known. */
	if (tls_libs_key_find(set, lib->dev, lib->ino)) {
		free(lib);
		return 0;
	}
	return tls_libs_append(set, lib);
}

static int tls_libs_scan_dir(struct tls_libs *set, const char *dir)
{
	char path[PATH_MAX], real[PATH_MAX];
	struct dirent *de;
	int added = 0;
	DIR *d;

	d = opendir(dir);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (!tls_libs_name_matches(de->d_name, strlen(de->d_name)))
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= (int)sizeof(path))
			continue;
		/* Record the file, not the libssl.so link or the /lib alias of /usr/lib. */
		if (!realpath(path, real))
			continue;
		if (tls_libs_add_path(set, real, NULL) == 1)
			added++;
	}
	closedir(d);
	return added;
}

/* Multiarch directories: /usr/lib/x86_64-linux-gnu, /lib/aarch64-linux-gnu, ... */
static int tls_libs_scan_multiarch(struct tls_libs *set, const char *dir)
{
	char path[PATH_MAX];
	struct dirent *de;
	int added = 0;
	DIR *d;

	d = opendir(dir);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || !strstr(de->d_name, "-linux-"))
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= (int)sizeof(path))
			continue;
		added += tls_libs_scan_dir(set, path);
	}
	closedir(d);
	return added;
}

int tls_libs_scan_system(struct tls_libs *set)
{
	static const char *const dirs[] = { "/lib",	     "/lib64",	       "/usr/lib",
					    "/usr/lib64",    "/usr/local/lib", "/usr/local/lib64" };
	size_t i;
	int added = 0;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		added += tls_libs_scan_dir(set, dirs[i]);
		added += tls_libs_scan_multiarch(set, dirs[i]);
	}
	return added;
}

struct tls_pid_ctx {
	pid_t pid;
	int rootfd; /* /proc/PID/root, O_PATH; -1 until needed, -2 when it cannot be opened */
};

static int tls_libs_pid_root(struct tls_pid_ctx *c)
{
	char p[64];

	if (c->rootfd == -1) {
		snprintf(p, sizeof(p), "/proc/%d/root", (int)c->pid);
		c->rootfd = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (c->rootfd < 0)
			c->rootfd = -2;
	}
	return c->rootfd;
}

static int tls_libs_same_file(int fd, const struct stat *want)
{
	struct stat st;
	int same;

	if (fd < 0)
		return 0;
	same = !fstat(fd, &st) && st.st_dev == want->st_dev && st.st_ino == want->st_ino;
	close(fd);
	return same;
}

/* The most durable path that reaches the file behind st: the maps path itself when we see
 * the same file there (same mount namespace, chroot), else through the process's root (a
 * container's: maps shows paths from its namespace's root), else its mapping. Returns the
 * root in which display's directory is found (-1: ours), for the libcrypto beside it. */
static int tls_libs_pid_path(struct tls_pid_ctx *c, const struct tls_maps_entry *e,
			     const char *display, const struct stat *st, char *out, size_t size)
{
	int rootfd = tls_libs_pid_root(c);

	if (!e->deleted && tls_libs_same_file(tls_libs_open(-1, display), st)) {
		tls_libs_copy(out, size, display);
		return -1;
	}
	if (!e->deleted && rootfd >= 0 && tls_libs_same_file(tls_libs_open(rootfd, display), st)) {
		snprintf(out, size, "/proc/%d/root%s", (int)c->pid, display);
		return rootfd;
	}
	snprintf(out, size, "/proc/%d/map_files/%lx-%lx", (int)c->pid, e->start, e->end);
	return rootfd >= 0 ? rootfd : -1;
}

/* Open the file a maps line names: through map_files (root; reaches deleted and container
 * files exactly), else through the process's root when the inode matches. */
static int tls_libs_pid_open(struct tls_pid_ctx *c, const struct tls_maps_entry *e,
			     const char *display, struct stat *st)
{
	char p[96];
	int fd, rootfd, err;

	snprintf(p, sizeof(p), "/proc/%d/map_files/%lx-%lx", (int)c->pid, e->start, e->end);
	fd = tls_libs_open(-1, p);
	if (fd < 0) {
		rootfd = tls_libs_pid_root(c);
		if (rootfd < 0 || e->deleted)
			return -EACCES;
		fd = tls_libs_open(rootfd, display);
		if (fd < 0)
			return fd;
	}
	err = tls_libs_check_file(fd, st);
	if (!err && st->st_ino != e->ino) /* replaced since it was mapped; dev may differ */
		err = -ESTALE;
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

static int tls_libs_pid_entry(struct tls_libs *set, struct tls_pid_ctx *c,
			      const struct tls_maps_entry *e)
{
	struct tls_lib *lib;
	struct tls_key *k;
	struct stat st;
	int fd, rootfd, err;

	if (e->len >= sizeof(lib->display))
		return 0;
	lib = calloc(1, sizeof(*lib));
	if (!lib)
		return -ENOMEM;
	memcpy(lib->display, e->path, e->len);
	fd = tls_libs_pid_open(c, e, lib->display, &st);
	if (fd < 0) {
		free(lib);
		return 0;
	}
	k = tls_libs_key_find(set, st.st_dev, st.st_ino);
	if (k) {
		err = tls_libs_key_add(set, e->dev, e->ino, k->idx);
		goto out_free;
	}
	lib->dev = st.st_dev;
	lib->ino = st.st_ino;
	rootfd = tls_libs_pid_path(c, e, lib->display, &st, lib->path, sizeof(lib->path));
	err = tls_libs_inspect_fd(fd, rootfd, lib->display, lib);
	if (err == -ENOTSUP) {
		err = tls_libs_key_add_at(set, st.st_dev, st.st_ino, -1, stat_ctime_ns(&st));
		if (!err)
			err = tls_libs_key_add_at(set, e->dev, e->ino, -1, stat_ctime_ns(&st));
		goto out_free;
	}
	if (err) {
		err = 0; /* unreadable now; try again next scan */
		goto out_free;
	}
	close(fd);
	err = tls_libs_append(set, lib);
	if (err == 1 && tls_libs_key_add(set, e->dev, e->ino, (long)set->n - 1))
		err = -ENOMEM;
	return err;
out_free:
	close(fd);
	free(lib);
	return err;
}

int tls_libs_scan_pid(struct tls_libs *set, pid_t pid)
{
	struct tls_pid_ctx c = { .pid = pid, .rootfd = -1 };
	struct tls_maps_entry e;
	char p[64], *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int added = 0, err = 0;
	bool first_file = true;
	FILE *f;

	snprintf(p, sizeof(p), "/proc/%d/maps", (int)pid);
	f = fopen(p, "re");
	if (!f)
		return -errno;
	while ((len = getline(&line, &cap, f)) > 0) {
		/* Most lines are not libssl/libgnutls, and a library's 4-5 mappings share one
		 * inode: both are settled here without a syscall. The first file mapped (the
		 * lowest address: the executable) is looked at whatever its name, for programs
		 * that carry OpenSSL inside and export it (Node.js, static builds): inspected
		 * once per file, then known by its key. */
		int r = tls_libs_maps_parse_line(line, (size_t)len, &e);

		if (r < 0 || !e.path)
			continue;
		if (r == 0 && !first_file)
			continue;
		first_file = false;
		if (tls_libs_key_find(set, e.dev, e.ino))
			continue;
		err = tls_libs_pid_entry(set, &c, &e);
		if (err < 0)
			break;
		added += err;
		err = 0;
	}
	free(line);
	fclose(f);
	if (c.rootfd >= 0)
		close(c.rootfd);
	return err < 0 ? err : added;
}

int tls_libs_scan_all_pids(struct tls_libs *set)
{
	struct dirent *de;
	int added = 0, n;
	DIR *d;

	d = opendir("/proc");
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);

		if (*end || pid <= 0)
			continue;
		n = tls_libs_scan_pid(set, (pid_t)pid);
		if (n == -ENOMEM) {
			closedir(d);
			return n;
		}
		if (n > 0)
			added += n;
	}
	closedir(d);
	return added;
}
