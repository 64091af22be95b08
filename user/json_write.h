/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A compact JSON writer for jansson trees: byte for byte what
 * json_dumpb(v, JSON_COMPACT) writes, at a fraction of its cost. Every event
 * line goes through it, and jansson's dump (a callback per token, snprintf
 * per integer) was the largest share of the daemon's CPU per event.
 */
#ifndef IDTRACE_JSON_WRITE_H
#define IDTRACE_JSON_WRITE_H

#include <jansson.h>
#include <stddef.h>
#include "json_frags.h"

/* Write v into buf (cap bytes, not terminated). Returns the length, or 0
 * when it does not fit or v is nested too deep: the caller falls back to
 * jansson. */
size_t json_write_compact(const json_t *v, char *buf, size_t cap);
/* The same, copying the kept rendering of any subtree that frags holds
 * (NULL: none) instead of walking it. */
size_t json_write_compact_frags(const json_t *v, char *buf, size_t cap,
				const struct json_frags *frags);

#endif /* IDTRACE_JSON_WRITE_H */
