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
#include "json_frags.h"
#include "proc_table.h"

#define EVENT_SCHEMA_VERSION 1
#define EVENT_ARG_MAX 4096 /* bytes kept of one argv element */

#define EVENT_IDENT_SLOTS 64     /* direct-mapped by pid */
#define EVENT_IDENT_TTL_NS 1000000000ull

/* The identity part of one process's events, kept for its next event. */
struct event_ident {
	struct proc *p; /* holds a reference: the pointer cannot be reused */
	__u64 generation; /* proc_table_generation() when built */
	__u64 built_ns;   /* CLOCK_MONOTONIC */
	json_t *process, *hops, *provenance, *missing;
	bool rendered; /* process and hops are kept in event_ctx.frags */
};

struct event_ctx {
	struct host_info host;
	struct chain_ctx chain;
	/* Reuse of identities between events (off unless set): a process that
	 * makes many TLS calls or credential reads costs one chain build per
	 * change of the process tables, or per EVENT_IDENT_TTL_NS for what
	 * the tables do not hold (user names, service accounts). */
	bool reuse_identity;
	struct event_ident ident[EVENT_IDENT_SLOTS];
	/* With reuse: the renderings of the kept "process" objects and hops of
	 * identities used more than once, for the writer (outputs_emit). */
	struct json_frags *frags;
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
/* Note in ev's enrichment.missing a field that could not be established
 * (the identity's own entries are kept). */
void event_add_missing(json_t *ev, const char *field, const char *reason);
/* Drop the identities kept for reuse, and their renderings. */
void event_ctx_release(struct event_ctx *ctx);
/* A complete process.exec event for p. Caller owns it; NULL on ENOMEM. */
json_t *event_process_exec(struct event_ctx *ctx, struct proc *p);

#endif
