// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>
#include "log.h"

static enum log_level max_level = LOG_INFO;

void log_set_level(enum log_level level)
{
	max_level = level;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	static const char *const names[] = {
		[LOG_ERR] = "error", [LOG_WARN] = "warning", [LOG_INFO] = "info", [LOG_DEBUG] = "debug",
	};
	char buf[1024];
	va_list ap;

	if (level > max_level)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/* The "<N>" prefix is only useful to journald; keep terminals readable. */
	if (isatty(STDERR_FILENO))
		fprintf(stderr, "idtrace: %s: %s\n", names[level], buf);
	else
		fprintf(stderr, "<%d>idtrace: %s: %s\n", level, names[level], buf);
}
