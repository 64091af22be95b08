// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include "fingerprint.h"

int fingerprint_hmac_hex(const void *key, size_t keylen, const void *data, size_t len,
			 char *out)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0, i;

	out[0] = '\0';
	if (keylen > INT_MAX)
		return -EINVAL;
	/* libcrypto wants non-NULL pointers even for empty input. */
	if (!data)
		data = "";
	if (!key)
		key = "";
	if (!HMAC(EVP_sha256(), key, (int)keylen, data, len, md, &md_len) || md_len != 32)
		return -EIO;
	for (i = 0; i < md_len; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0xf];
	}
	out[2 * md_len] = '\0';
	OPENSSL_cleanse(md, sizeof(md));
	return 0;
}

void fingerprint_compute(const struct fingerprint_key *key, const void *data, size_t len,
			 char *out)
{
	char full[FINGERPRINT_HMAC_HEX_LEN];
	size_t plen = strlen(FINGERPRINT_PREFIX);

	out[0] = '\0';
	if (fingerprint_hmac_hex(key->key, sizeof(key->key), data, len, full))
		return;
	memcpy(out, FINGERPRINT_PREFIX, plen);
	memcpy(out + plen, full, FINGERPRINT_HEX_DIGITS);
	out[plen + FINGERPRINT_HEX_DIGITS] = '\0';
}

void fingerprint_aws_key_id(const struct fingerprint_key *key, const char *akid, char *out)
{
	static const char tag[] = "aws_access_key_id:";
	char buf[sizeof(tag) + 128];
	int n = snprintf(buf, sizeof(buf), "%s%s", tag, akid);

	out[0] = '\0';
	if (n > 0 && (size_t)n < sizeof(buf))
		fingerprint_compute(key, buf, (size_t)n, out);
}

/* Read exactly n bytes; -EINVAL when the file is shorter. */
static int fingerprint_read_all(int fd, unsigned char *buf, size_t n)
{
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		r = read(fd, buf + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -EINVAL;
		got += (size_t)r;
	}
	return 0;
}

static int fingerprint_write_all(int fd, const unsigned char *buf, size_t n)
{
	size_t put = 0;
	ssize_t w;

	while (put < n) {
		w = write(fd, buf + put, n - put);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		put += (size_t)w;
	}
	return 0;
}

static int fingerprint_random(unsigned char *buf, size_t n)
{
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		r = getrandom(buf + got, n - got, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		got += (size_t)r;
	}
	return 0;
}

/* Open and check an existing key file, then read it. */
static int fingerprint_read_key(const char *path, struct fingerprint_key *key)
{
	struct stat st;
	int fd, err;

	/* O_NOFOLLOW: a symlink fails with ELOOP; O_NONBLOCK: a FIFO does not block. */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return errno == ELOOP ? -EPERM : -errno;
	if (fstat(fd, &st)) {
		err = -errno;
		goto out;
	}
	err = S_ISDIR(st.st_mode) ? -EISDIR : -EPERM;
	if (!S_ISREG(st.st_mode) || (st.st_mode & 077) || st.st_uid != geteuid())
		goto out;
	err = -EINVAL;
	if (st.st_size != FINGERPRINT_KEY_LEN)
		goto out;
	err = fingerprint_read_all(fd, key->key, sizeof(key->key));
out:
	close(fd);
	return err;
}

/* mkdir -p of the directory part of path, new directories 0700. */
static int fingerprint_mkdirs(const char *path)
{
	char *dir = strdup(path), *p, c;
	int err = 0;

	if (!dir)
		return -ENOMEM;
	p = strrchr(dir, '/');
	if (!p || p == dir)
		goto out;
	*p = '\0';
	for (p = dir + 1;; p++) {
		if (*p && *p != '/')
			continue;
		c = *p;
		*p = '\0';
		if (mkdir(dir, 0700) && errno != EEXIST) {
			err = -errno;
			goto out;
		}
		*p = c;
		if (!c)
			break;
	}
out:
	free(dir);
	return err;
}

/* Write a fresh key to a temporary file beside path and link it into place. Returns 0,
 * -EEXIST when another loader won the race, or -errno. */
static int fingerprint_create_key(const char *path, struct fingerprint_key *key)
{
	char *tmp = NULL;
	int fd = -1, err;

	err = fingerprint_mkdirs(path);
	if (err)
		return err;
	if (asprintf(&tmp, "%s.XXXXXX", path) < 0)
		return -ENOMEM;
	fd = mkostemp(tmp, O_CLOEXEC); /* O_CREAT|O_EXCL, mode 0600 */
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	err = fingerprint_random(key->key, sizeof(key->key));
	if (!err && fchmod(fd, 0600))
		err = -errno;
	err = err ?: fingerprint_write_all(fd, key->key, sizeof(key->key));
	if (!err && fsync(fd))
		err = -errno;
	if (!err && link(tmp, path))
		err = -errno;
	unlink(tmp);
out:
	if (fd >= 0)
		close(fd);
	free(tmp);
	return err;
}

int fingerprint_key_check(const char *path)
{
	struct fingerprint_key key;
	int err = fingerprint_read_key(path, &key);

	OPENSSL_cleanse(&key, sizeof(key));
	return err;
}

int fingerprint_key_load(const char *path, struct fingerprint_key *key)
{
	int err;

	if (!path || !*path)
		return -EINVAL;
	err = fingerprint_read_key(path, key);
	if (err != -ENOENT)
		goto out;
	err = fingerprint_create_key(path, key);
	if (err == -EEXIST)
		err = fingerprint_read_key(path, key);
out:
	if (err)
		OPENSSL_cleanse(key, sizeof(*key));
	return err;
}
