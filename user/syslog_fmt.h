/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Syslog messages around an event line: the RFC 5424 header for the
 * network transports, the local "<PRI>Mmm dd hh:mm:ss TAG[PID]: " form for
 * /dev/log, the RFC 6587 octet-counting frame for TCP and TLS, and the
 * stand-in that replaces a line too long for one datagram. Pure functions:
 * no I/O, no clock, no globals (the caller passes the time).
 *
 * RFC 5424: <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID - MSG
 * with TIMESTAMP in UTC with microseconds, no structured data, and MSG the
 * JSON line as it is, without a BOM (MSG-ANY): the lines are UTF-8 JSON,
 * and a BOM would reach SIEMs as three bytes in front of the '{'. */
#ifndef IDTRACE_SYSLOG_FMT_H
#define IDTRACE_SYSLOG_FMT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define SYSLOG_FMT_SEV_INFO 6
#define SYSLOG_FMT_FAC_AUTHPRIV 10
#define SYSLOG_FMT_HOSTNAME_MAX 255 /* RFC 5424 HOSTNAME */
#define SYSLOG_FMT_APP_NAME_MAX 48  /* RFC 5424 APP-NAME */
#define SYSLOG_FMT_MSGID_MAX 32	    /* RFC 5424 MSGID */
/* Upper bound of everything a frame adds to a line: octet count, header,
 * trailer, and what the stand-in for an oversized line adds around it. */
#define SYSLOG_FMT_OVERHEAD 640

enum syslog_fmt_style {
	SYSLOG_FMT_RFC5424, /* network: UDP, TCP, TLS */
	SYSLOG_FMT_LOCAL,   /* /dev/log, as glibc's syslog(3) writes it */
};

enum syslog_fmt_framing {
	SYSLOG_FRAME_NONE,  /* one datagram per message */
	SYSLOG_FRAME_OCTET, /* RFC 6587 3.4.1 / RFC 5425: "LEN SP MSG" */
	SYSLOG_FRAME_LF,    /* RFC 6587 3.4.2: MSG LF (non-transparent) */
	SYSLOG_FRAME_NUL,   /* MSG NUL: unix stream sockets, as glibc */
};

struct syslog_fmt {
	enum syslog_fmt_style style;
	enum syslog_fmt_framing framing;
	int pri;			       /* facility * 8 + severity */
	char hostname[SYSLOG_FMT_HOSTNAME_MAX + 1]; /* sanitized; "-" when unknown */
	char app_name[SYSLOG_FMT_APP_NAME_MAX + 1]; /* sanitized */
	int pid;
	/* 0: no limit. Else the message (without the framing) never exceeds
	 * this many bytes: a longer line is replaced by a stand-in (below). */
	size_t max_bytes;
};

/* Facility code for a name ("authpriv", "daemon", "local0".."local7", ...)
 * or a number "0".."23". Returns 0..23, or -EINVAL. */
int syslog_fmt_facility(const char *name);
/* PRI value: facility * 8 + severity, or -EINVAL when out of range. */
int syslog_fmt_pri(int facility, int severity);
/* Fill f for style and framing: pri, hostname and app_name sanitized with
 * syslog_fmt_sanitize, pid, no size limit. */
void syslog_fmt_init(struct syslog_fmt *f, enum syslog_fmt_style style,
		     enum syslog_fmt_framing framing, int pri, const char *hostname,
		     const char *app_name, int pid);
/* Copy in to out (n bytes, at least 2) as RFC 5424 PRINTUSASCII of at most
 * max characters: bytes outside '!'..'~' become '_'; NULL or empty gives
 * the NILVALUE "-". Returns the length written. */
size_t syslog_fmt_sanitize(const char *in, size_t max, char *out, size_t n);
/* Bytes of output buffer syslog_fmt_frame needs for a len-byte line. */
size_t syslog_fmt_frame_size(const struct syslog_fmt *f, size_t len);
/* Write one framed message for the line [msg, msg+len) of event type type
 * (the MSGID; NULL for none) at wall-clock time now into out, which holds
 * at least syslog_fmt_frame_size(f, len) bytes. Returns the frame length.
 *
 * When the message would exceed f->max_bytes, MSG becomes a valid JSON
 * stand-in with as much of the line as fits, escaped, and *oversize is set:
 * {"type":"TYPE","truncated":true,"original_bytes":N,"head":"{\"time\":..."}
 * Otherwise *oversize is false. */
size_t syslog_fmt_frame(const struct syslog_fmt *f, const struct timespec *now, const char *type,
			const char *msg, size_t len, char *out, bool *oversize);

#endif
