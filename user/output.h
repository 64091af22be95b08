/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Where events go: JSON Lines on stdout or in a file created 0600. */
#ifndef IDTRACE_OUTPUT_H
#define IDTRACE_OUTPUT_H

#include <jansson.h>
#include <stdint.h>

struct output;

/* Open path for appending (created 0600; an existing file that others can
 * read or write is refused), or stdout when path is NULL or "-". NULL after
 * logging the cause. */
struct output *output_open(const char *path);
/* Write ev as one line. Returns 0 or -errno (the sink failed). */
int output_write(struct output *o, json_t *ev);
/* Flush buffered lines. Returns 0 or -errno. */
int output_flush(struct output *o);
/* Lines written so far. */
uint64_t output_lines(const struct output *o);
void output_close(struct output *o);

#endif
