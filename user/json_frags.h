/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Compact renderings of JSON subtrees that several events share and no one
 * changes: a process's "process" object and its chain hops, kept between
 * its events (event.h). The writer copies a kept subtree's bytes instead of
 * walking it again; for a process making many TLS calls that is most of
 * each line.
 *
 * Keyed by the subtree's address. The owner keeps a reference to the
 * subtree while it is here and drops it from here before letting go, so an
 * address is never reused under a stale rendering.
 */
#ifndef IDTRACE_JSON_FRAGS_H
#define IDTRACE_JSON_FRAGS_H

#include <jansson.h>
#include <stddef.h>

struct json_frags;

struct json_frags *json_frags_new(void);
void json_frags_free(struct json_frags *f);
/* Render v now and keep its bytes. v must not change while kept. Returns 0,
 * or -ENOMEM (v is then simply not kept: writing it walks it). */
int json_frags_keep(struct json_frags *f, const json_t *v);
/* Forget v (nothing when it is not kept). */
void json_frags_drop(struct json_frags *f, const json_t *v);
/* v's kept rendering (len bytes, not terminated), or NULL. f may be NULL. */
const char *json_frags_find(const struct json_frags *f, const json_t *v, size_t *len);
/* How many subtrees are kept. */
size_t json_frags_count(const struct json_frags *f);

#endif /* IDTRACE_JSON_FRAGS_H */
