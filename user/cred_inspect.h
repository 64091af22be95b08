/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What a credential file holds, without ever emitting it: the keyed
 * fingerprint of its secret, and non-secret facts (AWS access key ids, JWT
 * claims, SSH key type and public-key fingerprint).
 */
#ifndef IDTRACE_CRED_INSPECT_H
#define IDTRACE_CRED_INSPECT_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "fingerprint.h"

#define CRED_FILE_MAX (1024 * 1024) /* larger files are fingerprinted on their first MiB */

struct cred_info {
	char fingerprint[FINGERPRINT_STR_LEN]; /* "" when the secret could not be read */
	json_t *facts;                         /* object; owned */
	char error[128];                       /* why the fingerprint is missing */
};

/* Fingerprint and describe the credential of type in buf (the file's bytes).
 * Pure apart from the HMAC. Fills *out (facts owned by the caller). */
void cred_inspect_buf(const char *type, const char *buf, size_t len,
		      const struct fingerprint_key *key, struct cred_info *out);
/* Read path (regular files only, never following a final symlink into a
 * FIFO or device, at most CRED_FILE_MAX bytes) and inspect it. When
 * expect_ino is non-zero, the file must still be that inode. The bytes read
 * are wiped before returning. Returns 0 or -errno (reason in out->error). */
int cred_inspect_file(const char *type, const char *path, uint32_t expect_kdev,
		      uint64_t expect_ino, const struct fingerprint_key *key,
		      struct cred_info *out);
/* The secret of a credential file's bytes: the span to fingerprint (e.g.
 * the AWS secret key, the token in a token file). Pure. */
void cred_inspect_secret(const char *type, const char *buf, size_t len, const char **secret,
			 size_t *secret_len);
void cred_info_release(struct cred_info *ci);

#endif
