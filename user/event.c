// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <string.h>
#include <time.h>
#include <stdlib.h>
#include "event.h"
#include "json_str.h"
#include "redact.h"
#include "redact_values.h"

json_t *event_new(const struct event_ctx *ctx, const char *type, __u64 ts)
{
	char time[40];

	host_info_format_time(&ctx->host, ts, time, sizeof(time));
	return json_pack("{s:i, s:s, s:s, s:{s:o, s:s}}", "schema_version", EVENT_SCHEMA_VERSION,
			 "type", type, "time", time, "host", "hostname",
			 json_str_bytes(ctx->host.hostname, strlen(ctx->host.hostname), 256, NULL),
			 "boot_id", ctx->host.boot_id);
}

#define ARGS_SECRET_VALUES 512

/* The secret environment values of p's lineage (its own exec's and its
 * ancestors'), each once, into v (at most max). */
static int lineage_secret_values(const struct proc *p, struct redact_value *v, int max)
{
	int n = 0;

	for (; p && n < max; p = p->parent)
		for (int i = 0; i < p->n_secret_values && n < max; i++) {
			int k = 0;

			while (k < n && (v[k].len != p->secret_values[i].len ||
					 v[k].hash != p->secret_values[i].hash))
				k++;
			if (k == n)
				v[n++] = p->secret_values[i];
		}
	return n;
}

/* argv as a JSON array: each element cleared of the lineage's secret values,
 * redacted (with what came before it), then made valid UTF-8. */
static json_t *args_json(const struct proc *p, bool *truncated)
{
	json_t *arr = json_array();
	const char *a = p->args, *end = p->args + p->args_len;
	struct redact_argv st = { 0 };
	struct redact_value values[ARGS_SECRET_VALUES];
	int n_values = lineage_secret_values(p, values, ARGS_SECRET_VALUES);
	char *prev_clear = NULL; /* the element before, as redact_argv_next took it */

	redact_values_sort(values, n_values);
	if (!a)
		return arr;
	while (a < end) {
		const char *nul = memchr(a, '\0', end - a);
		size_t len = nul ? (size_t)(nul - a) : (size_t)(end - a);
		size_t clear_len;
		char *clear = redact_values_apply(values, n_values, a, len, &clear_len);
		char *r;
		bool cut = false;

		if (!clear && clear_len == SIZE_MAX) {
			/* ENOMEM: the element may hold a value, so none of it */
			clear = strdup(REDACTED);
			if (clear)
				clear_len = strlen(REDACTED);
		}
		/* the kernel's capture ended inside the last element */
		st.cut = !nul && (p->flags & PROC_F_ARGS_TRUNC);
		/* redact_argv_next keeps a pointer to the element it was given
		 * until the next call */
		if (clear)
			r = redact_argv_next(&st, clear, clear_len);
		else
			r = clear_len == SIZE_MAX ? NULL : redact_argv_next(&st, a, len);
		free(prev_clear);
		prev_clear = clear;
		if (r) {
			json_array_append_new(arr, json_str_bytes(r, strlen(r), EVENT_ARG_MAX, &cut));
			free(r);
		}
		*truncated |= cut;
		a += len + 1;
	}
	free(prev_clear);
	return arr;
}

json_t *event_process(const struct proc *p)
{
	bool truncated = (p->flags & PROC_F_ARGS_TRUNC) != 0;
	json_t *args = args_json(p, &truncated);
	const char *exe = p->exe ? p->exe : "";
	json_t *o;

	o = json_pack("{s:I, s:I, s:s, s:s?, s:o, s:o, s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:s}",
			 "pid", (json_int_t)p->pid, "ppid", (json_int_t)p->ppid, "exec_id",
			 p->exec_id, "parent_exec_id", p->parent ? p->parent->exec_id : NULL, "exe",
			 json_str_bytes(exe, strlen(exe), 4096, NULL), "args", args,
			 "args_truncated", truncated, "uid", (json_int_t)p->uid, "euid",
			 (json_int_t)p->euid, "gid", (json_int_t)p->gid, "egid", (json_int_t)p->egid,
			 "auid", (json_int_t)p->loginuid, "session_id", (json_int_t)p->sessionid,
			 "cgroup_id", (json_int_t)p->cgroup_id, "source",
			 p->flags & PROC_F_SEEDED ? "procfs" : "kernel");
	if (o && p->exe_real)
		json_object_set_new(o, "exe_resolved",
				    json_str_bytes(p->exe_real, strlen(p->exe_real), 4096, NULL));
	if (o && p->n_token_vars > 0)
		json_object_set_new(o, "token_vars_present",
				    chain_token_vars_json(p->token_vars, p->n_token_vars));
	if (o && p->flags & PROC_F_TOKEN_VARS_TRUNC)
		json_object_set_new(o, "token_vars_truncated", json_true());
	return o;
}

/* The slot's shared parts, rendered once for all the later events that
 * carry them (at the identity's second use: most processes have one event);
 * a part that cannot be kept is walked at each write instead. */
static void ident_keep_renderings(struct json_frags *frags, struct event_ident *e)
{
	json_t *h;
	size_t i;

	if (!frags || e->rendered)
		return;
	json_frags_keep(frags, e->process);
	json_array_foreach(e->hops, i, h)
		json_frags_keep(frags, h);
	e->rendered = true;
}

static void ident_clear(struct json_frags *frags, struct event_ident *e)
{
	json_t *h;
	size_t i;

	if (frags && e->rendered) {
		json_frags_drop(frags, e->process);
		json_array_foreach(e->hops, i, h)
			json_frags_drop(frags, h);
	}
	json_decref(e->process);
	json_decref(e->hops);
	json_decref(e->provenance);
	json_decref(e->missing);
	proc_put(e->p);
	memset(e, 0, sizeof(*e));
}

void event_ctx_release(struct event_ctx *ctx)
{
	for (size_t i = 0; i < EVENT_IDENT_SLOTS; i++)
		ident_clear(ctx->frags, &ctx->ident[i]);
	json_frags_free(ctx->frags);
	ctx->frags = NULL;
}

static __u64 monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
}

/* Build p's identity into slot e. */
static int ident_build(struct event_ctx *ctx, struct proc *p, struct event_ident *e)
{
	struct chain c;
	json_t *proc = event_process(p);

	if (!proc || chain_build(&ctx->chain, p, &c)) {
		json_decref(proc);
		return -ENOMEM;
	}
	ident_clear(ctx->frags, e);
	e->p = proc_get(p);
	e->generation = proc_table_generation();
	e->built_ns = monotonic_ns();
	e->process = proc;
	e->hops = c.hops;
	e->provenance = c.provenance;
	e->missing = c.missing;
	return 0;
}

/* ev gets its own "chain" array and "provenance" object with its own
 * "reasons", since later stages append to those; the hops, the process
 * object and the rest are shared with the kept identity and never changed. */
static int ident_attach(json_t *ev, const struct event_ident *e)
{
	json_t *hops = json_array(), *prov = json_copy(e->provenance), *h;
	size_t i;

	if (!hops || !prov)
		goto nomem;
	json_array_foreach(e->hops, i, h)
		if (json_array_append(hops, h))
			goto nomem;
	/* set_new takes the reference whether or not it succeeds */
	if (json_object_set_new(prov, "reasons",
				json_copy(json_object_get(e->provenance, "reasons"))) ||
	    json_object_set(ev, "process", e->process))
		goto nomem;
	if (json_object_set_new(ev, "chain", hops)) {
		hops = NULL;
		goto nomem;
	}
	if (json_object_set_new(ev, "provenance", prov))
		return -ENOMEM;
	if (json_array_size(e->missing) > 0)
		json_object_set_new(ev, "enrichment",
				    json_pack("{s:s, s:O}", "status", "partial", "missing", e->missing));
	return 0;
nomem:
	json_decref(prov);
	json_decref(hops);
	return -ENOMEM;
}

void event_add_missing(json_t *ev, const char *field, const char *reason)
{
	json_t *enr = json_object_get(ev, "enrichment"), *missing;

	if (!enr) {
		enr = json_pack("{s:s, s:[]}", "status", "partial", "missing");
		json_object_set_new(ev, "enrichment", enr);
	} else {
		/* the identity's array is shared with its cache: a copy of its own */
		json_object_set_new(enr, "missing", json_copy(json_object_get(enr, "missing")));
	}
	missing = json_object_get(enr, "missing");
	json_array_append_new(missing, json_pack("{s:s, s:s}", "field", field, "reason", reason));
}

int event_attach_identity(struct event_ctx *ctx, json_t *ev, struct proc *p)
{
	struct event_ident tmp = { 0 }, *e = &tmp;
	int err;

	if (ctx->reuse_identity) {
		e = &ctx->ident[p->pid % EVENT_IDENT_SLOTS];
		if (e->p == p && e->generation == proc_table_generation() &&
		    monotonic_ns() - e->built_ns < EVENT_IDENT_TTL_NS) {
			if (!ctx->frags)
				ctx->frags = json_frags_new(); /* without: lines only slower */
			ident_keep_renderings(ctx->frags, e);
			return ident_attach(ev, e);
		}
	}
	err = ident_build(ctx, p, e);
	if (!err)
		err = ident_attach(ev, e);
	if (e == &tmp)
		ident_clear(NULL, &tmp);
	return err;
}

json_t *event_process_exec(struct event_ctx *ctx, struct proc *p)
{
	json_t *ev = event_new(ctx, "process.exec", p->image_ns);

	if (!ev || event_attach_identity(ctx, ev, p)) {
		json_decref(ev);
		return NULL;
	}
	return ev;
}
