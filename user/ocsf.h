/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Our events (docs/schema.md) -> OCSF 1.1.0 events, for sinks with
 * format=ocsf. The mapping, field by field, is docs/ocsf.md:
 *   process.exec     -> Process Activity (1007), Launch
 *   credential.read  -> File System Activity (1001), Open
 *   tls.request      -> HTTP Activity (4002), by method
 *   agent.*          -> Application Lifecycle (6002)
 * Whatever OCSF has no place for (the identity chain and provenance always,
 * whole) goes under unmapped.idtrace with its original name and nesting.
 */
#ifndef IDTRACE_OCSF_H
#define IDTRACE_OCSF_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define OCSF_SCHEMA_VERSION "1.1.0"

/* The OCSF event for ev, a new object the caller owns; NULL when ev is not
 * an object, its "type" is not one we map (see above), or memory ran out.
 * Pure: ev is not changed, nothing is shared with it. Missing or wrong-typed
 * fields of ev only leave the matching OCSF fields out. */
json_t *ocsf_from_event(const json_t *ev);

/* RFC 3339 time (len bytes: "2026-11-24T11:31:09.123456789Z", or with a
 * +hh:mm / -hh:mm offset) -> milliseconds since the epoch, sub-millisecond
 * digits dropped (rounded toward the past). 0 or -EINVAL. */
int ocsf_parse_time(const char *s, size_t len, int64_t *ms);

#endif
