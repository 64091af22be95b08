// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "aws_creds.h"

struct line {
	const char *p;
	size_t len;
};

/* Next line of buf at *off, without its CR/LF and surrounding blanks. */
static bool next_line(const char *buf, size_t len, size_t *off, struct line *l)
{
	const char *s, *e, *nl;

	if (*off >= len)
		return false;
	s = buf + *off;
	nl = memchr(s, '\n', len - *off);
	e = nl ? nl : buf + len;
	*off = (size_t)(e - buf) + (nl ? 1 : 0);
	while (s < e && isspace((unsigned char)*s))
		s++;
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	l->p = s;
	l->len = e - s;
	return true;
}

/* "key = value": split; false when the line is not an assignment. */
static bool split(const struct line *l, struct line *k, struct line *v)
{
	const char *eq = memchr(l->p, '=', l->len);

	if (!eq)
		return false;
	k->p = l->p;
	k->len = eq - l->p;
	while (k->len && isspace((unsigned char)k->p[k->len - 1]))
		k->len--;
	v->p = eq + 1;
	v->len = l->p + l->len - v->p;
	while (v->len && isspace((unsigned char)*v->p)) {
		v->p++;
		v->len--;
	}
	return true;
}

static bool key_is(const struct line *k, const char *name)
{
	size_t n = strlen(name);

	if (k->len != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (tolower((unsigned char)k->p[i]) != name[i])
			return false;
	return true;
}

/* "[name]" or "[profile name]" -> name */
static bool section(const struct line *l, struct line *name)
{
	if (l->len < 2 || l->p[0] != '[' || l->p[l->len - 1] != ']')
		return false;
	name->p = l->p + 1;
	name->len = l->len - 2;
	while (name->len && isspace((unsigned char)*name->p)) {
		name->p++;
		name->len--;
	}
	if (name->len > 8 && !memcmp(name->p, "profile", 7) && isspace((unsigned char)name->p[7])) {
		name->p += 8;
		name->len -= 8;
		while (name->len && isspace((unsigned char)*name->p)) {
			name->p++;
			name->len--;
		}
	}
	while (name->len && isspace((unsigned char)name->p[name->len - 1]))
		name->len--;
	return true;
}

bool aws_access_key_id_valid(const char *s, size_t len)
{
	static const char *const prefixes[] = { "AKIA", "ASIA", "AIDA", "AROA", "ABIA", "ACCA" };
	bool known = false;

	if (len != 20)
		return false;
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		known |= !memcmp(s, prefixes[i], 4);
	for (size_t i = 4; known && i < len; i++)
		if (!isupper((unsigned char)s[i]) && !isdigit((unsigned char)s[i]))
			return false;
	return known;
}

int aws_creds_parse(const char *buf, size_t len, struct aws_creds *out)
{
	struct aws_profile *cur = NULL;
	struct line l, k, v, name;
	size_t off = 0;

	memset(out, 0, sizeof(*out));
	while (buf && next_line(buf, len, &off, &l)) {
		if (!l.len || l.p[0] == '#' || l.p[0] == ';')
			continue;
		if (section(&l, &name)) {
			if (out->n == AWS_MAX_PROFILES) {
				out->truncated = true;
				cur = NULL;
				continue;
			}
			cur = &out->p[out->n++];
			snprintf(cur->name, sizeof(cur->name), "%.*s", (int)name.len, name.p);
			continue;
		}
		if (!cur || !split(&l, &k, &v))
			continue;
		if (key_is(&k, "aws_access_key_id") && aws_access_key_id_valid(v.p, v.len))
			snprintf(cur->access_key_id, sizeof(cur->access_key_id), "%.*s", (int)v.len, v.p);
		else if (key_is(&k, "aws_secret_access_key") && v.len)
			cur->has_secret = true;
		else if (key_is(&k, "aws_session_token") && v.len)
			cur->has_session_token = true;
	}
	return out->n ? 0 : -ENOENT;
}

int aws_creds_secret_span(const char *buf, size_t len, const char *profile, const char **val,
			  size_t *val_len)
{
	struct line l, k, v, name;
	bool in = false;
	size_t off = 0;

	while (buf && next_line(buf, len, &off, &l)) {
		if (!l.len || l.p[0] == '#' || l.p[0] == ';')
			continue;
		if (section(&l, &name)) {
			in = !profile || (strlen(profile) == name.len &&
					  !memcmp(profile, name.p, name.len));
			continue;
		}
		if (in && split(&l, &k, &v) && key_is(&k, "aws_secret_access_key") && v.len) {
			*val = v.p;
			*val_len = v.len;
			return 0;
		}
	}
	return -ENOENT;
}
