// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <jansson.h>
#include "aws_creds.h"

enum aws_kind { AWS_SECTION, AWS_KEY };

/* One meaningful INI line: a section header or a key of the current section. */
struct aws_item {
	enum aws_kind kind;
	const char *name; /* AWS_SECTION: profile name, NULL when not a profile */
	size_t name_len;
	const char *key, *val; /* AWS_KEY */
	size_t key_len, val_len;
};

struct aws_iter {
	const char *buf;
	size_t len, pos;
	size_t key_indent; /* indent of the key whose value may continue */
	bool in_value;
};

static bool aws_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\v' || c == '\f';
}

static void aws_trim(const char **s, size_t *n)
{
	while (*n && aws_blank(**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n && aws_blank((*s)[*n - 1]))
		(*n)--;
}

/* "[name]" or "[profile name]" -> item->name; another section name -> NULL. */
static void aws_section(const char *s, size_t n, struct aws_item *item)
{
	const char *close = NULL, *p;
	size_t i;

	for (i = 1; i < n; i++)
		if (s[i] == ']')
			close = s + i;
	item->kind = AWS_SECTION;
	item->name = NULL;
	if (!close)
		return;
	p = s + 1;
	n = (size_t)(close - p);
	aws_trim(&p, &n);
	if (n > 7 && !memcmp(p, "profile", 7) && aws_blank(p[7])) {
		p += 7;
		n -= 7;
		aws_trim(&p, &n);
	}
	for (i = 0; i < n; i++)
		if (aws_blank(p[i]))
			return;
	if (n) {
		item->name = p;
		item->name_len = n;
	}
}

/* "key = value" or "key: value"; false when the line has no delimiter or key. */
static bool aws_key(const char *s, size_t n, struct aws_item *item)
{
	size_t i;

	for (i = 0; i < n && s[i] != '=' && s[i] != ':'; i++)
		;
	if (i == n)
		return false;
	item->kind = AWS_KEY;
	item->key = s;
	item->key_len = i;
	item->val = s + i + 1;
	item->val_len = n - i - 1;
	aws_trim(&item->key, &item->key_len);
	aws_trim(&item->val, &item->val_len);
	return item->key_len > 0;
}

/* Next section or key line; false at the end of the buffer. */
static bool aws_iter_next(struct aws_iter *it, struct aws_item *item)
{
	while (it->pos < it->len) {
		const char *s = it->buf + it->pos, *nl = memchr(s, '\n', it->len - it->pos);
		size_t n = nl ? (size_t)(nl - s) : it->len - it->pos, indent = 0;

		it->pos += n + (nl ? 1 : 0);
		if (n && s[n - 1] == '\r')
			n--;
		while (indent < n && aws_blank(s[indent]))
			indent++;
		if (indent == n || s[indent] == '#' || s[indent] == ';')
			continue;
		if (it->in_value && indent > it->key_indent)
			continue; /* continuation of the previous value */
		s += indent;
		n -= indent;
		it->in_value = false;
		if (s[0] == '[') {
			aws_section(s, n, item);
			return true;
		}
		if (aws_key(s, n, item)) {
			it->in_value = true;
			it->key_indent = indent;
			return true;
		}
	}
	return false;
}

static bool aws_key_is(const struct aws_item *item, const char *name)
{
	return item->key_len == strlen(name) && !strncasecmp(item->key, name, item->key_len);
}

/* Bounded copy into dst (size n): control bytes as '?', cut at a UTF-8 boundary. */
static void aws_copy(char *dst, size_t n, const char *s, size_t len)
{
	size_t k = len < n - 1 ? len : n - 1, i;

	if (k < len)
		while (k > 0 && ((unsigned char)s[k] & 0xc0) == 0x80)
			k--;
	for (i = 0; i < k; i++)
		dst[i] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i];
	dst[k] = '\0';
}

bool aws_creds_key_id_valid(const char *s, size_t len)
{
	static const char *const prefixes[] = { "AKIA", "ASIA", "ABIA", "ACCA" };
	size_t i;
	bool known = false;

	if (!s || len != AWS_KEY_ID_LEN)
		return false;
	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		known |= !memcmp(s, prefixes[i], 4);
	if (!known)
		return false;
	for (i = 4; i < len; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
			return false;
	return true;
}

/* The profile named by item, added when new; NULL when it is not a profile or no room. */
static struct aws_profile *aws_profile_get(struct aws_creds *c, const struct aws_item *item)
{
	char name[sizeof(c->p[0].name)];
	int i;

	if (!item->name)
		return NULL;
	aws_copy(name, sizeof(name), item->name, item->name_len);
	for (i = 0; i < c->n; i++)
		if (!strcmp(c->p[i].name, name))
			return &c->p[i];
	if (c->n == AWS_MAX_PROFILES) {
		c->truncated = true;
		return NULL;
	}
	memcpy(c->p[c->n].name, name, sizeof(name));
	return &c->p[c->n++];
}

static void aws_profile_key(struct aws_profile *p, const struct aws_item *item)
{
	if (aws_key_is(item, "aws_access_key_id")) {
		if (aws_creds_key_id_valid(item->val, item->val_len))
			aws_copy(p->access_key_id, sizeof(p->access_key_id), item->val,
				 item->val_len);
	} else if (aws_key_is(item, "aws_secret_access_key")) {
		p->has_secret |= item->val_len > 0;
	} else if (aws_key_is(item, "aws_session_token") ||
		   aws_key_is(item, "aws_security_token")) {
		p->has_session_token |= item->val_len > 0;
	}
}

int aws_creds_parse(const char *buf, size_t len, struct aws_creds *out)
{
	struct aws_iter it = { .buf = buf, .len = buf ? len : 0 };
	struct aws_profile *cur = NULL;
	struct aws_item item;

	memset(out, 0, sizeof(*out));
	while (aws_iter_next(&it, &item)) {
		if (item.kind == AWS_SECTION)
			cur = aws_profile_get(out, &item);
		else if (cur)
			aws_profile_key(cur, &item);
	}
	return 0;
}

/* Whether section item is profile (any profile when profile is NULL). */
static bool aws_section_matches(const struct aws_item *item, const char *profile)
{
	char name[sizeof(((struct aws_profile *)0)->name)];

	if (!item->name)
		return false;
	if (!profile)
		return true;
	aws_copy(name, sizeof(name), item->name, item->name_len);
	return !strcmp(name, profile);
}

int aws_creds_secret_span(const char *buf, size_t len, const char *profile, const char **val,
			  size_t *val_len)
{
	struct aws_iter it = { .buf = buf, .len = buf ? len : 0 };
	struct aws_item item;
	bool match = false;

	while (aws_iter_next(&it, &item)) {
		if (item.kind == AWS_SECTION) {
			match = aws_section_matches(&item, profile);
			continue;
		}
		if (match && item.val_len && aws_key_is(&item, "aws_secret_access_key")) {
			*val = item.val;
			*val_len = item.val_len;
			return 0;
		}
	}
	return -ENOENT;
}

/* Keys whose string values are secrets in the AWS cache files. */
static bool aws_secret_json_key(const char *k, size_t n)
{
	static const char *const keys[] = { "SecretAccessKey", "SessionToken", "Token",
					    "accessToken",     "refreshToken", "clientSecret" };
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (n == strlen(keys[i]) && !memcmp(k, keys[i], n))
			return true;
	return false;
}

static bool aws_json_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Overwrite with 'x' (same length, still a valid string) the contents of each string that
 * follows a secret key, so the secret never reaches jansson. Exact for valid JSON: a string
 * followed by ':' is a key. For invalid JSON, which jansson then refuses, it may over-redact
 * but the redaction does not matter. */
static void aws_json_redact(char *s, size_t len)
{
	size_t i = 0, start, end, j;
	bool secret_next = false;

	while (i < len) {
		if (s[i++] != '"')
			continue;
		start = i;
		while (i < len && s[i] != '"')
			i += s[i] == '\\' ? 2 : 1;
		end = i < len ? i : len;
		i = end + 1;
		for (j = i; j < len && aws_json_space(s[j]); j++)
			;
		if (j < len && s[j] == ':') {
			secret_next = aws_secret_json_key(s + start, end - start);
			continue;
		}
		if (secret_next)
			memset(s + start, 'x', end - start);
		secret_next = false;
	}
}

static bool aws_json_has(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) && json_string_length(v) > 0;
}

/* AccessKeyId, SecretAccessKey, SessionToken (or Token) of a credentials object. */
static void aws_json_keys(json_t *c, struct aws_profile *out)
{
	json_t *id = json_object_get(c, "AccessKeyId");
	const char *s = json_string_value(id);
	size_t n = json_string_length(id);

	if (s && aws_creds_key_id_valid(s, n))
		aws_copy(out->access_key_id, sizeof(out->access_key_id), s, n);
	out->has_secret = aws_json_has(c, "SecretAccessKey");
	out->has_session_token = aws_json_has(c, "SessionToken") || aws_json_has(c, "Token");
}

static int aws_json_shape(json_t *root, struct aws_profile *out)
{
	json_t *creds = json_object_get(root, "Credentials");
	json_t *type = json_object_get(root, "ProviderType");

	if (json_is_object(creds)) {
		if (json_is_string(type) && json_string_length(type))
			aws_copy(out->name, sizeof(out->name), json_string_value(type),
				 json_string_length(type));
		else
			strcpy(out->name, "cli");
		aws_json_keys(creds, out);
	} else if (json_object_get(root, "AccessKeyId")) {
		strcpy(out->name, "credential_process");
		aws_json_keys(root, out);
	} else if (json_object_get(root, "accessToken")) {
		strcpy(out->name, "sso");
		out->has_session_token = aws_json_has(root, "accessToken");
		out->has_secret =
			aws_json_has(root, "refreshToken") || aws_json_has(root, "clientSecret");
	} else if (json_object_get(root, "clientSecret")) {
		strcpy(out->name, "sso-client");
		out->has_secret = aws_json_has(root, "clientSecret");
	} else {
		return -ENOENT;
	}
	return 0;
}

int aws_cache_json_parse(const char *buf, size_t len, struct aws_profile *out)
{
	json_error_t jerr;
	json_t *root;
	char *copy;
	int err;

	memset(out, 0, sizeof(*out));
	if (!buf || !len)
		return -EINVAL;
	copy = malloc(len);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, buf, len);
	aws_json_redact(copy, len);
	root = json_loadb(copy, len, 0, &jerr);
	err = json_is_object(root) ? aws_json_shape(root, out) : -EINVAL;
	json_decref(root);
	explicit_bzero(copy, len);
	free(copy);
	return err;
}
