// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include "fingerprint.h"

int fingerprint_hmac_hex(const void *key, size_t key_len, const void *data, size_t len,
			 char out[65])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (!HMAC(EVP_sha256(), key, (int)key_len, data, len, mac, &n) || n != 32)
		return -EIO;
	for (unsigned int i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", mac[i]);
	return 0;
}

void fingerprint_compute(const struct fingerprint_key *key, const void *data, size_t len,
			 char *out)
{
	char hex[65];

	if (fingerprint_hmac_hex(key->key, sizeof(key->key), data, len, hex)) {
		out[0] = '\0';
		return;
	}
	snprintf(out, FINGERPRINT_STR_LEN, FINGERPRINT_PREFIX "%.32s", hex);
	explicit_bzero(hex, sizeof(hex));
}

static int make_parent(const char *path)
{
	char dir[PATH_MAX], *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0700) == 0 || errno == EEXIST)
		return 0;
	if (errno == ENOENT && make_parent(dir) == 0 && mkdir(dir, 0700) == 0)
		return 0;
	return -errno;
}

static int create_key(const char *path, struct fingerprint_key *key)
{
	ssize_t n;
	int fd, err;

	err = make_parent(path);
	if (err)
		return err;
	if (getrandom(key->key, sizeof(key->key), 0) != (ssize_t)sizeof(key->key))
		return -EIO;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	n = write(fd, key->key, sizeof(key->key));
	err = n == (ssize_t)sizeof(key->key) && fsync(fd) == 0 ? 0 : -EIO;
	close(fd);
	if (err)
		unlink(path);
	return err;
}

int fingerprint_key_load(const char *path, struct fingerprint_key *key)
{
	struct stat st;
	ssize_t n;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0 && errno == ENOENT) {
		err = create_key(path, key);
		if (err != -EEXIST)
			return err;
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	}
	if (fd < 0)
		return errno == ELOOP ? -EPERM : -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || (st.st_mode & 077) || st.st_uid != geteuid()) {
		close(fd);
		return -EPERM;
	}
	if (st.st_size != (off_t)sizeof(key->key)) {
		close(fd);
		return -EINVAL;
	}
	n = read(fd, key->key, sizeof(key->key));
	close(fd);
	return n == (ssize_t)sizeof(key->key) ? 0 : -EIO;
}
