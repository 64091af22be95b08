/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* AWS shared credentials / config files: profiles and access key ids, never secrets. Pure. */
#ifndef IDTRACE_AWS_CREDS_H
#define IDTRACE_AWS_CREDS_H

#include <stdbool.h>
#include <stddef.h>

#define AWS_MAX_PROFILES 16

struct aws_profile {
	char name[128];
	char access_key_id[32]; /* only when it looks like one (AKIA/ASIA/... + 16) */
	bool has_secret;
	bool has_session_token;
};

struct aws_creds {
	int n;
	struct aws_profile p[AWS_MAX_PROFILES];
	bool truncated; /* more profiles than AWS_MAX_PROFILES */
};

/* Parse "[profile]" / "[profile name]" sections: access key ids, and whether
 * a secret key or session token is present (their values are not copied).
 * Comments (# ;), blanks around '=', CRLF. Returns 0, or -ENOENT when no
 * profile was found. */
int aws_creds_parse(const char *buf, size_t len, struct aws_creds *out);
/* The aws_secret_access_key value of profile (NULL: the first profile that
 * has one), as a span into buf, so the same secret presented elsewhere
 * fingerprints the same. Returns 0 or -ENOENT. */
int aws_creds_secret_span(const char *buf, size_t len, const char *profile, const char **val,
			  size_t *val_len);
/* True when s[0..len) has the shape of an AWS access key id. */
bool aws_access_key_id_valid(const char *s, size_t len);

#endif
