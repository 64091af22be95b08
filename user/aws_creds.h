/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * AWS credential files: the shared credentials / config INI files and the SSO and CLI cache
 * JSON files. Only non-secret facts come out (profile names, access key ids, whether a
 * secret or session token is present); secret values are never copied.
 *
 * INI rules, after botocore (Python configparser):
 * - Lines end at '\n', a trailing '\r' is dropped. Lines whose first non-blank byte is '#' or
 *   ';' are comments; there are no inline comments.
 * - "[name]" (credentials file) and "[profile name]" (config file) open profile "name",
 *   whitespace trimmed; other sections with a space in their name ("[sso-session x]",
 *   "[services x]") are not profiles and their keys are skipped. A section seen twice adds
 *   to the same profile.
 * - "key = value" or "key: value", whitespace around both trimmed, key case-insensitive. A
 *   line indented deeper than the key before it continues that key's value (nested
 *   "s3 =" settings) and is not a key of its own. Keys before any section are skipped.
 * - Profile names are copied bounded, cut at a UTF-8 boundary, control bytes as '?'.
 */
#ifndef IDTRACE_AWS_CREDS_H
#define IDTRACE_AWS_CREDS_H

#include <stdbool.h>
#include <stddef.h>

#define AWS_MAX_PROFILES 16
#define AWS_KEY_ID_LEN 20 /* "AKIA" + 16 */

struct aws_profile {
	char name[128];
	char access_key_id[32]; /* "" unless it looks like one */
	bool has_secret;	/* aws_secret_access_key (INI); SecretAccessKey, clientSecret,
				 * refreshToken (JSON) */
	bool has_session_token; /* aws_session_token, aws_security_token (INI); SessionToken,
				 * Token, accessToken (JSON) */
};

struct aws_creds {
	int n;
	struct aws_profile p[AWS_MAX_PROFILES];
	bool truncated; /* more than AWS_MAX_PROFILES profiles */
};

/* True when s[0..len) looks like an access key id: AKIA, ASIA, ABIA or ACCA then 16 of
 * [A-Z0-9]. */
bool aws_creds_key_id_valid(const char *s, size_t len);

/* Parse the [profile] sections of a credentials or config file (len bytes at buf) into *out,
 * which is zeroed first: names, aws_access_key_id (only when it looks like one), presence of
 * a non-empty aws_secret_access_key / aws_session_token WITHOUT copying them. Returns 0. */
int aws_creds_parse(const char *buf, size_t len, struct aws_creds *out);

/* The bytes to fingerprint in a credentials file: the first non-empty aws_secret_access_key
 * value of profile (NULL: of any profile, in file order), as *val and *val_len pointing into buf,
 * so the same secret presented elsewhere fingerprints the same. Returns 0 or -ENOENT. */
int aws_creds_secret_span(const char *buf, size_t len, const char *profile, const char **val,
			  size_t *val_len);

/* Parse an AWS cache JSON file into *out (zeroed first), never copying a secret, nor the SSO
 * startUrl. name says the shape: the CLI cache's ProviderType ("assume-role", "sso", ...;
 * "cli" when absent) for {"Credentials": {AccessKeyId, SecretAccessKey, SessionToken}},
 * "credential_process" for those fields at the top level, "sso" for an SSO token
 * {"accessToken", ...}, "sso-client" for an SSO client registration {"clientSecret", ...}.
 * Returns 0, -EINVAL when it is not a JSON object, -ENOENT for none of these shapes, or
 * -ENOMEM. Secret values are overwritten before the JSON parser sees them. */
int aws_cache_json_parse(const char *buf, size_t len, struct aws_profile *out);

#endif
