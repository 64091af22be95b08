/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * tls.request events: one per HTTP request a process sent over TLS (or one
 * per session that carried no HTTP), with the destination, the request line
 * facts, and the credential it presented: fingerprinted, classified, its JWT
 * claims decoded, linked to the credential.read that saw the same secret,
 * and its RFC 8693 actors as a delegation hop.
 */
#ifndef IDTRACE_TLS_EVENT_H
#define IDTRACE_TLS_EVENT_H

#include <jansson.h>
#include "event.h"
#include "fingerprint.h"
#include "http_req.h"
#include "pivot.h"
#include "tls_session.h"

struct tls_event_ctx {
	const struct fingerprint_key *key;
	struct pivot_table *pivots; /* shared with credential reads */
};

/* The event for request req (NULL: the session carried none) on session s
 * by process p at ts. Caller owns it; NULL on ENOMEM. Secrets are only
 * fingerprinted, never copied. */
json_t *tls_event_build(const struct tls_event_ctx *tc, struct event_ctx *ec, struct proc *p,
			const struct tls_session *s, const struct http_request *req, uint64_t ts);

#endif
