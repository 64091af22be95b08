/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Keyed fingerprints of secrets: HMAC-SHA256 (OpenSSL libcrypto) under a host key, so a
 * leaked log cannot be brute-forced back into a secret, and hosts sharing the key can
 * correlate the same secret.
 *
 * The key file is FINGERPRINT_KEY_LEN raw bytes, a regular file owned by the effective uid
 * and not accessible to group or others. It is created on first use: written in full to a
 * temporary file (O_CREAT|O_EXCL, 0600) next to it, then linked into place, so a concurrent
 * loader sees either no key or the whole key; when two race, both end up with the winner's.
 */
#ifndef IDTRACE_FINGERPRINT_H
#define IDTRACE_FINGERPRINT_H

#include <stddef.h>

#define FINGERPRINT_KEY_LEN 32	    /* bytes */
#define FINGERPRINT_PREFIX "hmac-sha256:"
#define FINGERPRINT_HEX_DIGITS 32   /* of the 64 of the MAC: 128 bits */
#define FINGERPRINT_STR_LEN 45	    /* "hmac-sha256:" (12) + 32 hex + NUL */
#define FINGERPRINT_HMAC_HEX_LEN 65 /* full HMAC-SHA256 in hex + NUL */

struct fingerprint_key {
	unsigned char key[FINGERPRINT_KEY_LEN];
};

/* Load the host key from path; when the file does not exist, create it (mode 0600, missing
 * parent directories created 0700) with FINGERPRINT_KEY_LEN bytes from getrandom(). Refuses
 * (-EPERM) a key file that is a symlink or not a regular file (-EISDIR: a directory), is
 * group/other-accessible, or is not owned by the effective uid; -EINVAL when its size is
 * wrong. Returns 0 or -errno. */
int fingerprint_key_load(const char *path, struct fingerprint_key *key);
/* Check an existing key file as fingerprint_key_load would, without making
 * one: 0, -ENOENT (none yet), -EISDIR, or its other -errno. */
int fingerprint_key_check(const char *path);

/* "hmac-sha256:" + the first 32 hex digits of HMAC-SHA256(key, data) into out, which must
 * hold FINGERPRINT_STR_LEN bytes. out is "" only if libcrypto fails. */
void fingerprint_compute(const struct fingerprint_key *key, const void *data, size_t len,
			 char *out);

/* The fingerprint that links an AWS access key id across events: a SigV4 request sends
 * the key id, never the secret, and signs each request differently; a credentials file
 * holds both. Same form as fingerprint_compute(), over "aws_access_key_id:" + akid. */
void fingerprint_aws_key_id(const struct fingerprint_key *key, const char *akid, char *out);

/* Full HMAC-SHA256(key, data) as 64 lower-case hex digits into out (FINGERPRINT_HMAC_HEX_LEN
 * bytes), for any key length. Returns 0, -EINVAL (key too long for libcrypto) or -EIO. */
int fingerprint_hmac_hex(const void *key, size_t keylen, const void *data, size_t len,
			 char *out);

#endif
