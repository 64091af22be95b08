// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Parsing "--sink URI" and config-file sink entries into a struct sink_spec. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sink.h"
#include "sink_spec.h"

static const struct {
	const char *scheme;
	int default_port;
	bool has_host;
} schemes[] = {
	{ "stdout", 0, false },
	{ "file", 0, false },
	{ "syslog+udp", 514, true },
	{ "syslog+tcp", 514, true },
	{ "syslog+tls", 6514, true },
	{ "unix", 0, false },
	{ "kafka", 9092, true },
};

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent-decode [s, s+len) into a new string; NULL on a bad escape or an
 * encoded NUL. */
static char *pct_decode(const char *s, size_t len)
{
	char *out = malloc(len + 1), *o = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] != '%') {
			*o++ = s[i];
			continue;
		}
		int hi = i + 2 < len ? hexval((unsigned char)s[i + 1]) : -1;
		int lo = i + 2 < len ? hexval((unsigned char)s[i + 2]) : -1;

		if (hi < 0 || lo < 0 || (hi | lo) == 0) {
			free(out);
			return NULL;
		}
		*o++ = (char)(hi << 4 | lo);
		i += 2;
	}
	*o = '\0';
	return out;
}

static int parse_query(const char *q, json_t *opts, char *err, size_t n)
{
	while (*q) {
		const char *amp = strchrnul(q, '&'), *eq = memchr(q, '=', amp - q);
		char *k, *v;

		if (amp == q) {
			q++;
			continue;
		}
		if (!eq) {
			snprintf(err, n, "option '%.*s' has no value (write key=value)", (int)(amp - q), q);
			return -EINVAL;
		}
		k = pct_decode(q, eq - q);
		v = pct_decode(eq + 1, amp - eq - 1);
		if (!k || !v || !*k) {
			free(k);
			free(v);
			snprintf(err, n, "bad escape in option '%.*s'", (int)(amp - q), q);
			return -EINVAL;
		}
		json_object_set_new(opts, k, json_string(v));
		free(k);
		free(v);
		q = *amp ? amp + 1 : amp;
	}
	return 0;
}

/* "host:port", "[v6]:port", "a:1,b:2" (Kafka keeps the list whole). */
static int parse_authority(struct sink_spec *s, const char *a, size_t len, int def_port,
			   char *err, size_t n)
{
	const char *end = a + len, *colon = NULL;
	char *endp;
	long port;

	if (!len) {
		snprintf(err, n, "%s: no host (write %s://HOST:PORT)", s->uri, s->scheme);
		return -EINVAL;
	}
	if (!strcmp(s->scheme, "kafka")) {
		s->host = strndup(a, len);
		s->port = def_port;
		return s->host ? 0 : -ENOMEM;
	}
	if (*a == '[') {
		const char *rb = memchr(a, ']', len);

		if (!rb || rb == a + 1) {
			snprintf(err, n, "%s: unterminated IPv6 address", s->uri);
			return -EINVAL;
		}
		s->host = strndup(a + 1, rb - a - 1);
		if (rb + 1 < end) {
			if (rb[1] != ':') {
				snprintf(err, n, "%s: expected ':' after ']'", s->uri);
				return -EINVAL;
			}
			colon = rb + 1;
		}
	} else {
		colon = memrchr(a, ':', len);
		s->host = strndup(a, colon ? (size_t)(colon - a) : len);
	}
	if (!s->host)
		return -ENOMEM;
	if (!*s->host) {
		snprintf(err, n, "%s: no host (write %s://HOST:PORT)", s->uri, s->scheme);
		return -EINVAL;
	}
	s->port = def_port;
	if (colon) {
		char buf[8];
		size_t plen = end - colon - 1;

		if (!plen || plen >= sizeof(buf)) {
			snprintf(err, n, "%s: bad port", s->uri);
			return -EINVAL;
		}
		memcpy(buf, colon + 1, plen);
		buf[plen] = '\0';
		errno = 0;
		port = strtol(buf, &endp, 10);
		if (*endp || port < 1 || port > 65535) {
			snprintf(err, n, "%s: bad port '%s' (1..65535)", s->uri, buf);
			return -EINVAL;
		}
		s->port = (int)port;
	}
	return 0;
}

int sink_spec_parse(const char *uri, const json_t *entry, struct sink_spec *s, char *err,
		    size_t n)
{
	const char *sep, *rest, *q, *fmt;
	size_t i, nschemes = sizeof(schemes) / sizeof(schemes[0]);
	const char *key;
	json_t *val;
	int rc = -EINVAL;

	memset(s, 0, sizeof(*s));
	s->options = json_object();
	s->uri = strdup(uri ? uri : "");
	if (!s->options || !s->uri)
		return -ENOMEM;
	if (!strcmp(s->uri, "stdout") || !strcmp(s->uri, "-") || !strcmp(s->uri, "stdout://")) {
		s->scheme = strdup("stdout");
		goto options;
	}
	sep = strstr(s->uri, "://");
	if (!sep) {
		snprintf(err, n, "sink '%s' is not a URI: write stdout, file:///PATH, "
			 "syslog+udp://HOST:PORT, syslog+tcp://..., syslog+tls://..., "
			 "unix:///dev/log or kafka://BROKERS/TOPIC", s->uri);
		goto fail;
	}
	s->scheme = strndup(s->uri, sep - s->uri);
	if (!s->scheme)
		return -ENOMEM;
	for (i = 0; i < nschemes; i++)
		if (!strcmp(schemes[i].scheme, s->scheme))
			break;
	if (i == nschemes) {
		snprintf(err, n, "sink '%s': unknown scheme '%s' (known: stdout, file, syslog+udp, "
			 "syslog+tcp, syslog+tls, unix, kafka)", s->uri, s->scheme);
		goto fail;
	}
	rest = sep + 3;
	q = strchr(rest, '?');
	if (q && (rc = parse_query(q + 1, s->options, err, n)))
		goto fail;
	rc = -EINVAL;
	if (!q)
		q = rest + strlen(rest);
	if (schemes[i].has_host) {
		const char *slash = memchr(rest, '/', q - rest);
		const char *hend = slash ? slash : q;

		if (parse_authority(s, rest, hend - rest, schemes[i].default_port, err, n))
			goto fail;
		if (!strcmp(s->scheme, "kafka")) {
			if (!slash || slash + 1 >= q || memchr(slash + 1, '/', q - slash - 1)) {
				snprintf(err, n, "sink '%s': name one topic (kafka://BROKER[,BROKER]/TOPIC)",
					 s->uri);
				goto fail;
			}
			s->path = strndup(slash + 1, q - slash - 1);
		} else if (slash && slash + 1 < q) {
			snprintf(err, n, "sink '%s': a syslog URI takes no path", s->uri);
			goto fail;
		}
	} else if (!strcmp(s->scheme, "stdout")) {
		/* "stdout://?format=ocsf" */
	} else {
		if (*rest != '/' || q == rest + 1) {
			snprintf(err, n, "sink '%s': the path must be absolute (%s:///PATH)", s->uri,
				 s->scheme);
			goto fail;
		}
		s->path = pct_decode(rest, q - rest);
		if (!s->path) {
			snprintf(err, n, "sink '%s': bad escape in the path", s->uri);
			goto fail;
		}
	}
options:
	if (entry && json_is_object(entry)) {
		json_object_foreach((json_t *)entry, key, val) {
			if (!strcmp(key, "uri"))
				continue;
			if (!json_is_string(val) && !json_is_integer(val) && !json_is_object(val) &&
			    !json_is_boolean(val)) {
				snprintf(err, n, "sink '%s': option '%s' must be a string, an integer, "
					 "a boolean or (kafka) an object", s->uri, key);
				goto fail;
			}
			json_object_set(s->options, key, val);
		}
	}
	fmt = sink_opt_str(s, "format", "json");
	if (!strcmp(fmt, "json")) {
		s->format = SINK_FORMAT_JSON;
	} else if (!strcmp(fmt, "ocsf")) {
		s->format = SINK_FORMAT_OCSF;
	} else {
		snprintf(err, n, "sink '%s': unknown format '%s' (json or ocsf)", s->uri, fmt);
		goto fail;
	}
	return 0;
fail:
	sink_spec_free(s);
	return rc;
}

void sink_spec_free(struct sink_spec *s)
{
	free(s->uri);
	free(s->scheme);
	free(s->host);
	free(s->path);
	json_decref(s->options);
	memset(s, 0, sizeof(*s));
}

const char *sink_opt_str(const struct sink_spec *spec, const char *key, const char *def)
{
	json_t *v = json_object_get(spec->options, key);

	return json_is_string(v) ? json_string_value(v) : def;
}

int sink_opt_int(const struct sink_spec *spec, const char *key, long long def, long long min,
		 long long max, long long *out, char *err, size_t n)
{
	json_t *v = json_object_get(spec->options, key);
	long long x;

	if (!v) {
		*out = def;
		return 0;
	}
	if (json_is_integer(v)) {
		x = json_integer_value(v);
	} else if (json_is_string(v)) {
		const char *s = json_string_value(v);
		char *end;

		errno = 0;
		x = strtoll(s, &end, 10);
		if (!*s || *end || errno) {
			snprintf(err, n, "sink '%s': option %s='%s' is not an integer", spec->uri, key, s);
			return -EINVAL;
		}
	} else {
		snprintf(err, n, "sink '%s': option %s must be an integer", spec->uri, key);
		return -EINVAL;
	}
	if (x < min || x > max) {
		snprintf(err, n, "sink '%s': option %s=%lld is out of range (%lld..%lld)", spec->uri,
			 key, x, min, max);
		return -EINVAL;
	}
	*out = x;
	return 0;
}

int sink_spec_check_options(const struct sink_spec *spec, const char *const *known, char *err,
			    size_t n)
{
	static const char *const none[] = { NULL };
	const char *key;
	json_t *v;

	if (!known)
		known = none; /* a sink that reads no option */
	json_object_foreach(spec->options, key, v) {
		size_t i;

		if (!strcmp(key, "format"))
			continue;
		for (i = 0; known[i]; i++) {
			size_t len = strlen(known[i]);

			if (known[i][len - 1] == '.' ? !strncmp(key, known[i], len)
						     : !strcmp(key, known[i]))
				break;
		}
		if (!known[i]) {
			snprintf(err, n, "sink '%s': unknown option '%s' for %s (see docs/config.md)",
				 spec->uri, key, spec->scheme);
			return -EINVAL;
		}
	}
	return 0;
}
