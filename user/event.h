/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Event objects of the output schema (docs/schema.md): the envelope every
 * event shares, the "process" object, and process.exec.
 */
#ifndef IDTRACE_EVENT_H
#define IDTRACE_EVENT_H

#include <jansson.h>
#include "chain.h"
#include "host_info.h"
#include "proc_table.h"

#define EVENT_SCHEMA_VERSION 1
#define EVENT_ARG_MAX 4096 /* bytes kept of one argv element */

struct event_ctx {
	struct host_info host;
	struct chain_ctx chain;
};

/* New event {"schema_version","type","time","host"}; ts is CLOCK_BOOTTIME ns.
 * Caller owns it. */
json_t *event_new(const struct event_ctx *ctx, const char *type, __u64 ts);
/* The "process" object of p, argv redacted. Caller owns it. */
json_t *event_process(const struct proc *p);
/* Attach "process", "chain", "provenance" (and "enrichment" when something
 * could not be established) for p to ev. Returns 0 or -ENOMEM. The chain's
 * hops array stays reachable as json_object_get(ev, "chain") so later stages
 * can append to it. */
int event_attach_identity(struct event_ctx *ctx, json_t *ev, struct proc *p);
/* A complete process.exec event for p. Caller owns it; NULL on ENOMEM. */
json_t *event_process_exec(struct event_ctx *ctx, struct proc *p);

#endif
