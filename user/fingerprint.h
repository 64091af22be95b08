/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Keyed fingerprints of secrets: "hmac-sha256:" + the first 32 hex digits
 * of HMAC-SHA256(host key, secret). A leaked log cannot be brute-forced back
 * into a secret without the key; hosts sharing the key can correlate.
 */
#ifndef IDTRACE_FINGERPRINT_H
#define IDTRACE_FINGERPRINT_H

#include <stddef.h>

#define FINGERPRINT_KEY_LEN 32
#define FINGERPRINT_PREFIX "hmac-sha256:"
#define FINGERPRINT_STR_LEN (sizeof(FINGERPRINT_PREFIX) - 1 + 32 + 1)

struct fingerprint_key {
	unsigned char key[FINGERPRINT_KEY_LEN];
};

/* Load the host key from path; when the file does not exist, create it
 * (O_EXCL, mode 0600, parent directory 0700 if missing) with random bytes.
 * Refuses (-EPERM) a file that is not regular, is accessible by group or
 * others, or is not owned by the effective uid; -EINVAL for a wrong size.
 * Returns 0 or negative errno. */
int fingerprint_key_load(const char *path, struct fingerprint_key *key);
/* Fingerprint data into out (FINGERPRINT_STR_LEN bytes). */
void fingerprint_compute(const struct fingerprint_key *key, const void *data, size_t len,
			 char *out);
/* Full HMAC-SHA256 of data with an arbitrary key, as 64 hex digits + NUL. */
int fingerprint_hmac_hex(const void *key, size_t key_len, const void *data, size_t len,
			 char out[65]);

#endif
