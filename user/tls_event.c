// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "chain.h"
#include "http_auth.h"
#include "json_str.h"
#include "jwt.h"
#include "ci_tokens.h"
#include "tls_event.h"

static json_t *str(const char *s, size_t max)
{
	return json_str_bytes(s, strlen(s), max, NULL);
}

static json_t *endpoint(const struct tls_endpoint *e)
{
	return json_pack("{s:s, s:i}", "ip", e->ip, "port", e->port);
}

static json_t *tls_part(const struct tls_session *s)
{
	json_t *tls = json_pack("{s:s}", "library", tls_lib_name(s->lib));

	if (s->sni[0])
		json_object_set_new(tls, "server_name", str(s->sni, IDT_TLS_SNI_MAX));
	if (s->have_conn) {
		json_object_set_new(tls, "local", endpoint(&s->local));
		json_object_set_new(tls, "remote", endpoint(&s->remote));
	}
	if (s->fd >= 0)
		json_object_set_new(tls, "fd", json_integer(s->fd));
	return tls;
}

static void add_reason(json_t *ev, const char *reason)
{
	json_array_append_new(json_object_get(json_object_get(ev, "provenance"), "reasons"),
			      str(reason, 512));
}

/* The credential hop of a presented secret, linked to the file read that
 * saw the same fingerprint: the presenting chain's own read when there is
 * one (a backup or a second tracer that read the file since is not where
 * it got it), else the most recent. The credential crossed identities when
 * another chain read, held or presented it and the presenting chain did
 * not read or hold it itself (a chain's own read of a credential another
 * had is told at that read: credential_pivot). */
static void credential_hop(const struct tls_event_ctx *tc, struct event_ctx *ec, struct proc *p,
			   json_t *ev, const char *fp, const char *kind, const char *header)
{
	struct pivot_reader others[PIVOT_READERS], me;
	const struct pivot_reader *reader, *holder, *own_hold;
	json_t *hop = json_pack("{s:s, s:s, s:s, s:s, s:s}", "kind", "credential", "source",
				"http_header", "header", header, "credential_type", kind,
				"fingerprint", fp);
	char reason[1024];
	int n = 0;

	chain_pivot_reader(&ec->chain, p, "presented", NULL, kind, &me);
	reader = pivot_table_last_how_by(tc->pivots, fp, "read", me.originator);
	own_hold = pivot_table_last_how_by(tc->pivots, fp, CI_TOKENS_HOW, me.originator);
	if (!reader && !own_hold)
		n = pivot_table_others(tc->pivots, fp, me.originator, others);
	if (!reader)
		reader = pivot_table_last_read(tc->pivots, fp);
	if (reader) {
		json_object_set_new(hop, "type", str(reader->type, 32));
		json_object_set_new(hop, "path", str(reader->path, 256));
		json_object_set_new(hop, "read_by_exec_id", str(reader->exec_id, 48));
		json_object_set_new(hop, "read_by_pid", json_integer(reader->pid));
	} else if ((holder = own_hold ?: pivot_table_last_how(tc->pivots, fp, CI_TOKENS_HOW))) {
		/* a CI job's own token, from the environment of its first exec */
		json_object_set_new(hop, "type", json_string(CI_TOKENS_TYPE));
		json_object_set_new(hop, "env_var", str(holder->path, 64));
		json_object_set_new(hop, "held_by_exec_id", str(holder->exec_id, 48));
		json_object_set_new(hop, "held_by_pid", json_integer(holder->pid));
	} else {
		json_object_set_new(hop, "type", json_string(kind));
	}
	json_array_append_new(json_object_get(ev, "chain"), hop);

	for (int i = 0; i < n; i++) {
		snprintf(reason, sizeof(reason),
			 "credential_crossed_identities:%s:%s_by=%s,exec_id=%s,presented_by=%s", fp,
			 others[i].how, others[i].originator, others[i].exec_id, me.originator);
		add_reason(ev, reason);
	}
	pivot_table_note(tc->pivots, fp, &me);
}

static json_t *delegation_hop(const struct jwt_claims *c)
{
	json_t *actors = json_array();

	for (int i = 0; i < c->n_act; i++) {
		json_t *a = json_object();

		if (c->act[i].sub[0])
			json_object_set_new(a, "sub", str(c->act[i].sub, 256));
		if (c->act[i].iss[0])
			json_object_set_new(a, "iss", str(c->act[i].iss, 256));
		if (c->act[i].client_id[0])
			json_object_set_new(a, "client_id", str(c->act[i].client_id, 256));
		json_array_append_new(actors, a);
	}
	json_t *hop = json_pack("{s:s, s:s, s:o}", "kind", "delegation", "mechanism",
				"rfc8693_act", "actors", actors);
	if (c->sub[0])
		json_object_set_new(hop, "subject", str(c->sub, 256));
	if (c->azp[0])
		json_object_set_new(hop, "azp", str(c->azp, 256));
	if (c->act_truncated)
		json_object_set_new(hop, "actors_truncated", json_true());
	return hop;
}

/* Basic: the fingerprint of the login's secret (http_auth_login_secret: the
 * password, or the user name when it is the token: "key:", "TOKEN:x-oauth-basic",
 * a token as the user name), the secret a .netrc, .git-credentials, docker or
 * .pypirc file holds, so the request links to the file's read. *kind is the
 * secret's token kind, or "basic". */
static bool basic_fingerprint(const struct tls_event_ctx *tc, const struct http_auth *a, char *fp,
			      const char **kind)
{
	unsigned char dec[1024];
	const unsigned char *secret;
	size_t n;
	bool ok = false;

	if (a->token && http_auth_basic_secret(a->token, a->token_len, dec, sizeof(dec), &secret,
					       &n, kind)) {
		fingerprint_compute(tc->key, secret, n, fp);
		ok = fp[0] != '\0';
	}
	explicit_bzero(dec, sizeof(dec));
	return ok;
}

/* The facts of an Authorization or Proxy-Authorization header (its
 * lower-case name: header), a as parsed: scheme, kind, fingerprint, claims.
 * field: the event's member for them ("authorization",
 * "proxy_authorization"); the credential hop names the header. */
static json_t *authorization(const struct tls_event_ctx *tc, struct event_ctx *ec, struct proc *p,
			     json_t *ev, const struct http_auth *a, const char *field,
			     const char *header)
{
	const char *kind = http_auth_kind(a);
	char fp[FINGERPRINT_STR_LEN];
	bool basic = !strcmp(a->scheme, "Basic") && a->token_len &&
		     basic_fingerprint(tc, a, fp, &kind);
	json_t *out = json_pack("{s:s, s:s}", "scheme", a->scheme, "credential_type", kind);

	if (a->basic_user[0])
		json_object_set_new(out, "user", str(a->basic_user, 128));
	if (a->aws_access_key_id[0])
		json_object_set_new(out, "aws",
				    json_pack("{s:s, s:s, s:s}", "access_key_id",
					      a->aws_access_key_id, "region", a->aws_region,
					      "service", a->aws_service));
	if (a->aws_access_key_id[0]) {
		/* SigV4 signs each request anew and never sends the secret: the key
		 * id is what names the credential, and links to the file read */
		fingerprint_aws_key_id(tc->key, a->aws_access_key_id, fp);
		json_object_set_new(out, "fingerprint", json_string(fp));
		credential_hop(tc, ec, p, ev, fp, kind, header);
		return out;
	}
	/* SigV4 without a key id (Credential= empty or left out) names no
	 * credential: its token is the signature, new with every request */
	if (!a->token || !a->token_len || !strcmp(kind, "aws_sigv4")) {
		char missing[48];

		snprintf(missing, sizeof(missing), "http.%s.fingerprint", field);
		event_add_missing(ev, missing,
				  a->token_cut ? "credential truncated" : "empty credential");
		return out;
	}
	if (!basic)
		fingerprint_compute(tc->key, a->token, a->token_len, fp);
	json_object_set_new(out, "fingerprint", json_string(fp));
	if (!strcmp(kind, "jwt")) {
		struct jwt_claims *c = calloc(1, sizeof(*c));

		if (c && jwt_decode(a->token, a->token_len, c) != -ENOMEM) {
			json_object_set_new(out, "claims", jwt_claims_to_json(c));
			credential_hop(tc, ec, p, ev, fp, kind, header);
			if (c->n_act)
				json_array_append_new(json_object_get(ev, "chain"),
						      delegation_hop(c));
			free(c);
			return out;
		}
		free(c);
	}
	credential_hop(tc, ec, p, ev, fp, kind, header);
	return out;
}

static json_t *http_part(const struct tls_event_ctx *tc, struct event_ctx *ec, struct proc *p,
			 json_t *ev, const struct http_request *req)
{
	const char *v = req->version;
	json_t *http = json_object();

	if (!strncmp(v, "HTTP/", 5))
		v += 5;
	if (v[0])	/* empty when the request line was cut before its version */
		json_object_set_new(http, "version", str(v, 16));
	if (req->headers_unknown) {
		/* an HTTP/2 connection made before the daemon: its HPACK state,
		 * and with it every field of the request, is unknown */
		json_object_set_new(http, "headers_unknown", json_true());
		return http;
	}
	json_object_set_new(http, "method", str(req->method, 16));
	if (req->host[0])
		json_object_set_new(http, "host", str(req->host, HTTP_FIELD_MAX));
	if (req->path[0]) /* none for a CONNECT (authority form: the target is in host) */
		json_object_set_new(http, "path", str(req->path, sizeof(req->path)));
	if (req->path_had_query)
		json_object_set_new(http, "query_removed", json_true());
	if (req->path_had_params)
		json_object_set_new(http, "path_params_removed", json_true());
	if (req->user_agent[0])
		json_object_set_new(http, "user_agent", str(req->user_agent, HTTP_FIELD_MAX));
	if (req->traceparent[0])
		json_object_set_new(http, "traceparent", str(req->traceparent, 64));
	if (req->auth.scheme[0] || req->auth.token)
		json_object_set_new(http, "authorization",
				    authorization(tc, ec, p, ev, &req->auth, "authorization",
						  "authorization"));
	if (req->proxy_auth.scheme[0] || req->proxy_auth.token)
		json_object_set_new(http, "proxy_authorization",
				    authorization(tc, ec, p, ev, &req->proxy_auth,
						  "proxy_authorization", "proxy-authorization"));
	if (req->n_keys) {
		json_t *keys = json_array();

		for (int i = 0; i < req->n_keys; i++) {
			json_t *k = json_pack("{s:s}", "header", req->keys[i].header);
			char fp[FINGERPRINT_STR_LEN];

			if (req->keys[i].value && req->keys[i].value_len) {
				fingerprint_compute(tc->key, req->keys[i].value,
						    req->keys[i].value_len, fp);
				json_object_set_new(k, "fingerprint", json_string(fp));
				credential_hop(tc, ec, p, ev, fp, "api_key", req->keys[i].header);
			}
			json_array_append_new(keys, k);
		}
		json_object_set_new(http, "api_keys", keys);
		if (req->keys_truncated)
			json_object_set_new(http, "api_keys_truncated", json_true());
	}
	if (req->truncated)
		json_object_set_new(http, "truncated", json_true());
	return http;
}

static json_t *destination_hop(const struct tls_session *s, const struct http_request *req)
{
	json_t *hop = json_pack("{s:s}", "kind", "destination");

	if (s->sni[0])
		json_object_set_new(hop, "server_name", str(s->sni, IDT_TLS_SNI_MAX));
	if (req && req->host[0])
		json_object_set_new(hop, "host", str(req->host, HTTP_FIELD_MAX));
	if (s->have_conn) {
		json_object_set_new(hop, "ip", json_string(s->remote.ip));
		json_object_set_new(hop, "port", json_integer(s->remote.port));
	}
	return hop;
}

json_t *tls_event_build(const struct tls_event_ctx *tc, struct event_ctx *ec, struct proc *p,
			const struct tls_session *s, const struct http_request *req, uint64_t ts)
{
	json_t *ev = event_new(ec, "tls.request", ts);

	if (!ev || event_attach_identity(ec, ev, p)) {
		json_decref(ev);
		return NULL;
	}
	json_object_set_new(ev, "tls", tls_part(s));
	if (req)
		json_object_set_new(ev, "http", http_part(tc, ec, p, ev, req));
	else
		json_object_set_new(json_object_get(ev, "tls"), "protocol",
				    json_string(s->proto == TLS_PROTO_OTHER ? "not_http"
					       : s->proto == TLS_PROTO_UNKNOWN ? "no_data"
					       : "http_unparsed"));
	if (s->lost_sync)
		json_object_set_new(json_object_get(ev, "tls"), "http_stream_lost", json_true());
	json_array_append_new(json_object_get(ev, "chain"), destination_hop(s, req));
	return ev;
}
