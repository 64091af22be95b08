// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/evp.h>
#include "aws_creds.h"
#include "b64.h"
#include "cred_inspect.h"
#include "cred_watch.h"
#include "http_auth.h"
#include "json_str.h"
#include "jwt.h"
#include "root_path.h"

static void trim(const char **s, size_t *len)
{
	while (*len && isspace((unsigned char)**s)) {
		(*s)++;
		(*len)--;
	}
	while (*len && isspace((unsigned char)(*s)[*len - 1]))
		(*len)--;
}

/* The value after "key" and a separator (':' or '=' or spaces) on the first
 * line that has it: "oauth_token: X", "_authToken=X", "password X". */
static bool value_after(const char *buf, size_t len, const char *key, const char **val,
			size_t *vlen)
{
	size_t klen = strlen(key);

	for (size_t i = 0; i + klen <= len; i++) {
		const char *p = buf + i, *end = buf + len, *v;

		if (memcmp(p, key, klen) || (i && isalnum((unsigned char)p[-1])))
			continue;
		p += klen;
		if (p < end && isalnum((unsigned char)*p))
			continue;
		while (p < end && (*p == ' ' || *p == '\t' || *p == ':' || *p == '=' || *p == '"'))
			p++;
		v = p;
		while (p < end && !isspace((unsigned char)*p) && *p != '"')
			p++;
		if (p > v) {
			*val = v;
			*vlen = p - v;
			return true;
		}
	}
	return false;
}

/* .git-credentials: "https://user:TOKEN@host" -> TOKEN; "https://TOKEN:x-oauth-basic@host"
 * -> TOKEN: the half a Basic login would be fingerprinted by (http_auth_login_secret). */
static bool url_password(const char *buf, size_t len, const char **val, size_t *vlen)
{
	const char *scheme = memmem(buf, len, "://", 3), *end = buf + len, *colon, *at;

	if (!scheme)
		return false;
	scheme += 3;
	at = memchr(scheme, '@', end - scheme);
	if (!at)
		return false;
	colon = memchr(scheme, ':', at - scheme);
	if (!colon)
		return false;
	http_auth_login_secret(scheme, (size_t)(colon - scheme), colon + 1,
			       (size_t)(at - colon - 1), val, vlen);
	return *vlen > 0;
}

/* A YAML "key: value" whose key starts its line (after indentation or "- "):
 * kubeconfig's users[].user.token. Not "token-file:" or "id-token:". */
static bool yaml_value(const char *buf, size_t len, const char *key, const char **val,
		       size_t *vlen)
{
	size_t klen = strlen(key);
	const char *p = buf, *end = buf + len;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p)), *q = p, *v;

		if (!eol)
			eol = end;
		while (q < eol && (*q == ' ' || *q == '\t' || *q == '-'))
			q++;
		if ((size_t)(eol - q) > klen && !memcmp(q, key, klen) && q[klen] == ':') {
			q += klen + 1;
			while (q < eol && (*q == ' ' || *q == '\t' || *q == '"' || *q == '\''))
				q++;
			v = q;
			while (q < eol && !isspace((unsigned char)*q) && *q != '"' && *q != '\'')
				q++;
			if (q > v) {
				*val = v;
				*vlen = (size_t)(q - v);
				return true;
			}
		}
		p = eol + 1;
	}
	return false;
}

/* ~/.docker/config.json: the first registry's "auth" (base64 "user:password"),
 * the secret a registry login sends in Basic (decoded into dec), else an
 * "identitytoken". */
static bool docker_secret(json_t *root, unsigned char *dec, size_t cap, const char **val,
			  size_t *vlen)
{
	json_t *auths = json_object_get(root, "auths"), *entry, *v;
	const char *key;

	json_object_foreach(auths, key, entry) {
		const unsigned char *secret;

		v = json_object_get(entry, "auth");
		if (json_is_string(v) && http_auth_basic_secret(json_string_value(v),
								json_string_length(v), dec, cap,
								&secret, vlen, NULL)) {
			*val = (const char *)secret;
			return true;
		}
		v = json_object_get(entry, "identitytoken");
		if (json_is_string(v) && json_string_length(v)) {
			*val = json_string_value(v);
			*vlen = json_string_length(v);
			return true;
		}
	}
	return false;
}

static bool json_secret(const char *buf, size_t len, json_t **root, const char **val, size_t *vlen)
{
	json_t *v;

	*root = json_loadb(buf, len, 0, NULL);
	if (!json_is_object(*root))
		return false;
	v = json_object_get(*root, "accessToken");
	if (!json_is_string(v))
		v = json_object_get(json_object_get(*root, "Credentials"), "SecretAccessKey");
	if (!json_is_string(v))
		return false;
	*val = json_string_value(v);
	*vlen = json_string_length(v);
	return true;
}

/* The next secret of a file that holds one per host or user, in buf from
 * *off on (moved past it): .netrc's and .pypirc's passwords, the lines of
 * .git-credentials, a kubeconfig's users' tokens. */
static bool next_secret(const char *type, const char *buf, size_t len, size_t *off,
			const char **val, size_t *vlen)
{
	while (*off < len) {
		const char *p = buf + *off, *eol;
		size_t n = len - *off;
		bool found;

		if (!strcmp(type, "git")) {
			eol = memchr(p, '\n', n);
			n = eol ? (size_t)(eol - p) : n;
			*off += n + 1;
			if (url_password(p, n, val, vlen))
				return true;
			continue;
		}
		if (!strcmp(type, "kubeconfig"))
			found = yaml_value(p, n, "token", val, vlen);
		else if (!strcmp(type, "netrc") || !strcmp(type, "pypi"))
			found = value_after(p, n, "password", val, vlen);
		else
			return false;
		if (!found)
			return false;
		*off = (size_t)(*val + *vlen - buf);
		return true;
	}
	return false;
}

void cred_inspect_secret(const char *type, const char *buf, size_t len, const char **secret,
			 size_t *secret_len)
{
	const char *v = buf;
	size_t n = len, off = 0;

	if (!strcmp(type, "aws") && len && buf[0] != '{' &&
	    aws_creds_secret_span(buf, len, NULL, &v, &n) == 0)
		goto out;
	if (!strcmp(type, "github_cli") && value_after(buf, len, "oauth_token", &v, &n))
		goto out;
	if (!strcmp(type, "npm") && value_after(buf, len, "_authToken", &v, &n))
		goto out;
	/* .netrc, .git-credentials, a kubeconfig, .pypirc: the first of theirs */
	if (next_secret(type, buf, len, &off, &v, &n))
		goto out;
	v = buf;
	n = len;
out:
	trim(&v, &n);
	*secret = v;
	*secret_len = n;
}

static void aws_facts(const char *buf, size_t len, json_t *facts)
{
	struct aws_creds *c = calloc(1, sizeof(*c));
	json_t *profiles;

	if (!c)
		return;
	if (aws_creds_parse(buf, len, c) == 0 && c->n > 0) {
		profiles = json_array();
		for (int i = 0; i < c->n; i++) {
			json_t *p = json_object();

			json_object_set_new(p, "name", json_str_bytes(c->p[i].name,
								       strlen(c->p[i].name), 128, NULL));
			if (c->p[i].access_key_id[0])
				json_object_set_new(p, "access_key_id",
						    json_string(c->p[i].access_key_id));
			json_array_append_new(profiles, p);
		}
		json_object_set_new(facts, "aws_profiles", profiles);
		if (c->p[0].access_key_id[0])
			json_object_set_new(facts, "aws_access_key_id",
					    json_string(c->p[0].access_key_id));
	}
	free(c);
}

/* OpenSSH private key container: the public key blob is in clear; its type
 * and SHA-256 fingerprint are what `ssh-keygen -l` shows. */
static void ssh_facts(const char *buf, size_t len, json_t *facts)
{
	static const char begin[] = "-----BEGIN OPENSSH PRIVATE KEY-----";
	const char *b = memmem(buf, len, begin, sizeof(begin) - 1), *e;
	unsigned char *raw = NULL, digest[32];
	char *clean = NULL, fp[64];
	size_t n = 0, rawlen = 0, off;
	unsigned int dlen = 0;
	uint32_t slen;

	if (!b) {
		const char *kind = memmem(buf, len, "BEGIN RSA PRIVATE KEY", 21)  ? "ssh-rsa"
				   : memmem(buf, len, "BEGIN EC PRIVATE KEY", 20)  ? "ecdsa"
				   : memmem(buf, len, "BEGIN DSA PRIVATE KEY", 21) ? "ssh-dss"
										    : NULL;
		if (kind)
			json_object_set_new(facts, "ssh_key_type", json_string(kind));
		return;
	}
	b += sizeof(begin) - 1;
	e = memmem(b, len - (b - buf), "-----END", 8);
	if (!e)
		return;
	clean = malloc(e - b);
	raw = malloc(e - b);
	if (!clean || !raw)
		goto out;
	for (const char *p = b; p < e; p++)
		if (!isspace((unsigned char)*p))
			clean[n++] = *p;
	if (b64_decode(clean, n, false, raw, e - b, &rawlen))
		goto out;
	/* "openssh-key-v1\0", ciphername, kdfname, kdfoptions (strings), nkeys, pubkey blob */
	off = 15;
	if (rawlen < off || memcmp(raw, "openssh-key-v1", 15))
		goto out;
	for (int i = 0; i < 3; i++) {
		if (off + 4 > rawlen)
			goto out;
		slen = (uint32_t)raw[off] << 24 | raw[off + 1] << 16 | raw[off + 2] << 8 | raw[off + 3];
		off += 4;
		if (slen > rawlen - off)
			goto out;
		off += slen;
	}
	off += 4; /* nkeys */
	if (off + 4 > rawlen)
		goto out;
	slen = (uint32_t)raw[off] << 24 | raw[off + 1] << 16 | raw[off + 2] << 8 | raw[off + 3];
	off += 4;
	if (slen > rawlen - off || slen < 4)
		goto out;
	{
		const unsigned char *blob = raw + off;
		uint32_t tlen = (uint32_t)blob[0] << 24 | blob[1] << 16 | blob[2] << 8 | blob[3];

		if (tlen <= slen - 4 && tlen < 64)
			json_object_set_new(facts, "ssh_key_type",
					    json_str_bytes((const char *)blob + 4, tlen, 64, NULL));
		if (EVP_Digest(blob, slen, digest, &dlen, EVP_sha256(), NULL)) {
			int m = EVP_EncodeBlock((unsigned char *)fp, digest, dlen);

			while (m > 0 && fp[m - 1] == '=')
				m--; /* ssh-keygen prints it unpadded */
			fp[m] = '\0';
			json_object_set_new(facts, "ssh_public_key_fingerprint",
					    json_pack("s+", "SHA256:", fp));
		}
	}
out:
	if (raw)
		explicit_bzero(raw, e - b);
	free(raw);
	free(clean);
}

#define CRED_OTHER_FINGERPRINTS 8

/* Add the fingerprint of secret (n bytes) to list unless it is first or
 * there already, up to CRED_OTHER_FINGERPRINTS. */
static void add_other(json_t *list, const struct fingerprint_key *key, const char *first,
		      const char *secret, size_t n)
{
	char fp[FINGERPRINT_STR_LEN];
	json_t *e;
	size_t i;

	trim(&secret, &n);
	if (!n || json_array_size(list) >= CRED_OTHER_FINGERPRINTS)
		return;
	fingerprint_compute(key, secret, n, fp);
	if (!strcmp(fp, first))
		return;
	json_array_foreach(list, i, e)
		if (!strcmp(json_string_value(e), fp))
			return;
	json_array_append_new(list, json_string(fp));
}

/* A file of several credentials (one per host, user or registry): the
 * fingerprints of the others than the first, which the event's fingerprint
 * is, as other_fingerprints: a client that presents the second host's
 * token links to the read all the same. docker: the parsed config.json. */
static void other_fingerprints(const char *type, const char *buf, size_t len, json_t *docker,
			       const struct fingerprint_key *key, const char *first, json_t *facts)
{
	json_t *list = json_array(), *auths, *entry, *v;
	unsigned char dec[1024];
	const char *val, *name;
	size_t vlen, off = 0;

	if (!list)
		return;
	if (docker) {
		auths = json_object_get(docker, "auths");
		json_object_foreach(auths, name, entry) {
			const unsigned char *secret;

			v = json_object_get(entry, "auth");
			if (json_is_string(v) &&
			    http_auth_basic_secret(json_string_value(v), json_string_length(v), dec,
						   sizeof(dec), &secret, &vlen, NULL))
				add_other(list, key, first, (const char *)secret, vlen);
			v = json_object_get(entry, "identitytoken");
			if (json_is_string(v))
				add_other(list, key, first, json_string_value(v), json_string_length(v));
		}
	} else {
		while (next_secret(type, buf, len, &off, &val, &vlen))
			add_other(list, key, first, val, vlen);
	}
	explicit_bzero(dec, sizeof(dec));
	if (json_array_size(list))
		json_object_set_new(facts, "other_fingerprints", list);
	else
		json_decref(list);
}

void cred_inspect_buf(const char *type, const char *buf, size_t len,
		      const struct fingerprint_key *key, struct cred_info *out)
{
	const char *secret;
	size_t slen;
	json_t *root = NULL;
	unsigned char dec[1024]; /* a docker "auth", decoded */

	memset(out, 0, sizeof(*out));
	out->facts = json_object();
	if (!strcmp(type, "docker"))
		root = json_loadb(buf, len, 0, NULL);
	if (root && docker_secret(root, dec, sizeof(dec), &secret, &slen)) {
		/* the password a registry login sends */
	} else if (!strcmp(type, "aws") && len && buf[0] == '{' &&
		   json_secret(buf, len, &root, &secret, &slen)) {
		json_t *id = json_object_get(json_object_get(root, "Credentials"), "AccessKeyId");

		if (json_is_string(id) && json_string_length(id) < 32)
			json_object_set_new(out->facts, "aws_access_key_id", json_copy(id));
	} else {
		cred_inspect_secret(type, buf, len, &secret, &slen);
		if (!strcmp(type, "aws"))
			aws_facts(buf, len, out->facts);
	}
	if (slen == 0) {
		snprintf(out->error, sizeof(out->error), "no secret in the file");
	} else {
		fingerprint_compute(key, secret, slen, out->fingerprint);
		other_fingerprints(type, buf, len, !strcmp(type, "docker") ? root : NULL, key,
				   out->fingerprint, out->facts);
		if (jwt_looks_like(secret, slen)) {
			struct jwt_claims *c = calloc(1, sizeof(*c));

			if (c && jwt_decode(secret, slen, c) == 0)
				json_object_set_new(out->facts, "claims", jwt_claims_to_json(c));
			free(c);
		}
	}
	if (!strcmp(type, "ssh_private_key"))
		ssh_facts(buf, len, out->facts);
	explicit_bzero(dec, sizeof(dec));
	json_decref(root);
}

int cred_inspect_file(const char *type, const char *path, uint32_t expect_kdev,
		      uint64_t expect_ino, const struct fingerprint_key *key,
		      struct cred_info *out)
{
	struct stat st;
	char *buf = NULL;
	ssize_t n = 0, r;
	int fd, err = 0;

	memset(out, 0, sizeof(*out));
	/* O_NONBLOCK: a FIFO planted under a credential name must not hang us */
	fd = root_path_open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
	if (fd < 0 && errno == ELOOP) /* a symlinked credential: follow it, then check the target */
		fd = root_path_open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		err = -errno;
		goto fail;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		err = -EINVAL;
		goto fail;
	}
	if (expect_ino && (st.st_ino != expect_ino || cred_kdev(st.st_dev) != expect_kdev)) {
		err = -ESTALE; /* replaced since it was opened */
		goto fail;
	}
	buf = malloc(CRED_FILE_MAX);
	if (!buf) {
		err = -ENOMEM;
		goto fail;
	}
	while (n < CRED_FILE_MAX && (r = read(fd, buf + n, CRED_FILE_MAX - n)) > 0)
		n += r;
	close(fd);
	fd = -1;
	cred_inspect_buf(type, buf, n, key, out);
	explicit_bzero(buf, n);
	free(buf);
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	out->facts = json_object();
	snprintf(out->error, sizeof(out->error), "cannot read the file: %s", strerror(-err));
	return err;
}

void cred_info_release(struct cred_info *ci)
{
	json_decref(ci->facts);
	ci->facts = NULL;
}
