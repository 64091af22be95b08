// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Syslog headers and frames around event lines (see syslog_fmt.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "syslog_fmt.h"

/* "<191>1 " + TIMESTAMP (27) + HOSTNAME + APP-NAME + PROCID + MSGID + "- " */
#define HEADER_MAX (8 + 28 + SYSLOG_FMT_HOSTNAME_MAX + 1 + SYSLOG_FMT_APP_NAME_MAX + 1 + 12 + \
		    SYSLOG_FMT_MSGID_MAX + 1 + 3)

static const char *const facilities[24] = {
	"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news",
	"uucp", "cron", "authpriv", "ftp", "ntp", "security", "console", "solaris-cron",
	"local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
};

int syslog_fmt_facility(const char *name)
{
	char *end;
	long v;

	if (!name || !*name)
		return -EINVAL;
	for (int i = 0; i < 24; i++)
		if (!strcmp(name, facilities[i]))
			return i;
	/* Common aliases (rsyslog and syslog-ng accept these too). */
	if (!strcmp(name, "audit"))
		return 13;
	if (!strcmp(name, "cron2") || !strcmp(name, "clock"))
		return 15;
	v = strtol(name, &end, 10);
	if (*end || end == name || v < 0 || v > 23)
		return -EINVAL;
	return (int)v;
}

int syslog_fmt_pri(int facility, int severity)
{
	if (facility < 0 || facility > 23 || severity < 0 || severity > 7)
		return -EINVAL;
	return facility * 8 + severity;
}

size_t syslog_fmt_sanitize(const char *in, size_t max, char *out, size_t n)
{
	size_t i = 0;

	if (n < 2)
		return 0;
	if (max > n - 1)
		max = n - 1;
	for (; in && in[i] && i < max; i++)
		out[i] = in[i] >= '!' && in[i] <= '~' ? in[i] : '_';
	if (!i)
		out[i++] = '-';
	out[i] = '\0';
	return i;
}

void syslog_fmt_init(struct syslog_fmt *f, enum syslog_fmt_style style,
		     enum syslog_fmt_framing framing, int pri, const char *hostname,
		     const char *app_name, int pid)
{
	memset(f, 0, sizeof(*f));
	f->style = style;
	f->framing = framing;
	f->pri = pri;
	syslog_fmt_sanitize(hostname, SYSLOG_FMT_HOSTNAME_MAX, f->hostname, sizeof(f->hostname));
	syslog_fmt_sanitize(app_name, SYSLOG_FMT_APP_NAME_MAX, f->app_name, sizeof(f->app_name));
	f->pid = pid;
}

/* Everything in front of MSG. */
static size_t fmt_header(const struct syslog_fmt *f, const struct timespec *now, const char *type,
			 char *buf, size_t n)
{
	static const char *const mon[12] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	char msgid[SYSLOG_FMT_MSGID_MAX + 1];
	time_t sec = now->tv_sec;
	struct tm tm;
	int len;

	if (f->style == SYSLOG_FMT_LOCAL) {
		/* Local time like syslog(3); rsyslog's imuxsock and journald
		 * both replace it with the time of receipt anyway. */
		localtime_r(&sec, &tm);
		len = snprintf(buf, n, "<%d>%s %2d %02d:%02d:%02d %s[%d]: ", f->pri, mon[tm.tm_mon],
			       tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, f->app_name, f->pid);
	} else {
		gmtime_r(&sec, &tm);
		syslog_fmt_sanitize(type, SYSLOG_FMT_MSGID_MAX, msgid, sizeof(msgid));
		len = snprintf(buf, n, "<%d>1 %04d-%02d-%02dT%02d:%02d:%02d.%06ldZ %s %s %d %s - ",
			       f->pri, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
			       tm.tm_min, tm.tm_sec, now->tv_nsec / 1000, f->hostname, f->app_name,
			       f->pid, msgid);
	}
	return len < 0 ? 0 : (size_t)len < n ? (size_t)len : n - 1;
}

/* Length of the UTF-8 sequence a lead byte starts (1 for anything else, so
 * a stray byte is copied alone). */
static size_t utf8_len(unsigned char c)
{
	return c >= 0xf0 && c <= 0xf7 ? 4 : c >= 0xe0 ? (c <= 0xef ? 3 : 1) : c >= 0xc0 ? 2 : 1;
}

/* JSON-escape as much of [s, s+len) as fits in room bytes into out (NULL:
 * only count), never splitting a UTF-8 sequence. Returns the bytes written. */
static size_t escape_head(const char *s, size_t len, size_t room, char *out)
{
	size_t i = 0, o = 0;

	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		bool quote = c == '"' || c == '\\', ctl = c < 0x20;
		size_t k = quote || ctl ? 1 : utf8_len(c);
		size_t w = quote ? 2 : ctl ? 6 : k;

		if (i + k > len || o + w > room)
			break;
		if (out) {
			if (quote) {
				out[o] = '\\';
				out[o + 1] = (char)c;
			} else if (ctl) {
				snprintf(out + o, 7, "\\u%04x", c);
			} else {
				memcpy(out + o, s + i, k);
			}
		}
		i += k;
		o += w;
	}
	return o;
}

/* The stand-in for an oversized line, at most room bytes when room allows
 * the fixed part at all; out NULL: only count. */
static size_t fmt_standin(const char *type, const char *msg, size_t len, size_t room, char *out)
{
	char msgid[SYSLOG_FMT_MSGID_MAX + 1], pre[160];
	size_t plen, hlen;

	syslog_fmt_sanitize(type, SYSLOG_FMT_MSGID_MAX, msgid, sizeof(msgid));
	/* A sanitized MSGID needs no JSON escaping except '"' and '\'. */
	for (char *p = msgid; *p; p++)
		if (*p == '"' || *p == '\\')
			*p = '_';
	plen = (size_t)snprintf(pre, sizeof(pre),
				"{\"type\":\"%s\",\"truncated\":true,\"original_bytes\":%zu,\"head\":\"",
				msgid, len);
	hlen = escape_head(msg, len, room > plen + 2 ? room - plen - 2 : 0, NULL);
	if (out) {
		memcpy(out, pre, plen);
		escape_head(msg, len, hlen, out + plen);
		memcpy(out + plen + hlen, "\"}", 2);
	}
	return plen + hlen + 2;
}

size_t syslog_fmt_frame_size(const struct syslog_fmt *f, size_t len)
{
	return len + SYSLOG_FMT_OVERHEAD;
}

size_t syslog_fmt_frame(const struct syslog_fmt *f, const struct timespec *now, const char *type,
			const char *msg, size_t len, char *out, bool *oversize)
{
	char hdr[HEADER_MAX];
	size_t hlen = fmt_header(f, now, type, hdr, sizeof(hdr));
	size_t body = len, total;
	char *p = out;

	*oversize = f->max_bytes && hlen + len > f->max_bytes;
	if (*oversize)
		body = fmt_standin(type, msg, len, f->max_bytes > hlen ? f->max_bytes - hlen : 0, NULL);
	total = hlen + body;
	if (f->framing == SYSLOG_FRAME_OCTET)
		p += sprintf(p, "%zu ", total);
	memcpy(p, hdr, hlen);
	p += hlen;
	if (*oversize)
		fmt_standin(type, msg, len, body, p);
	else
		memcpy(p, msg, len);
	p += body;
	if (f->framing == SYSLOG_FRAME_LF)
		*p++ = '\n';
	else if (f->framing == SYSLOG_FRAME_NUL)
		*p++ = '\0';
	return p - out;
}
