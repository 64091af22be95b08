/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The daemon's own diagnostics: one line each on stderr, never on the event stream. */
#ifndef IDTRACE_LOG_H
#define IDTRACE_LOG_H

enum log_level { LOG_ERR = 3, LOG_WARN = 4, LOG_INFO = 6, LOG_DEBUG = 7 };

/* Messages above this level are dropped (default LOG_INFO). */
void log_set_level(enum log_level level);
/* Write "idtrace: <level>: <message>\n" to stderr, prefixed with "<N>" (sd-daemon
 * priority) so journald files it at the right level. */
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...) log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
