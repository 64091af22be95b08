// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <string.h>
#include <stdlib.h>
#include "event.h"
#include "json_str.h"
#include "redact.h"

json_t *event_new(const struct event_ctx *ctx, const char *type, __u64 ts)
{
	char time[40];

	host_info_format_time(&ctx->host, ts, time, sizeof(time));
	return json_pack("{s:i, s:s, s:s, s:{s:o, s:s}}", "schema_version", EVENT_SCHEMA_VERSION,
			 "type", type, "time", time, "host", "hostname",
			 json_str_bytes(ctx->host.hostname, strlen(ctx->host.hostname), 256, NULL),
			 "boot_id", ctx->host.boot_id);
}

/* argv as a JSON array: each element redacted, then made valid UTF-8. */
static json_t *args_json(const struct proc *p, bool *truncated)
{
	json_t *arr = json_array();
	const char *prev = NULL, *a = p->args, *end = p->args + p->args_len;
	size_t prev_len = 0;

	if (!a)
		return arr;
	while (a < end) {
		const char *nul = memchr(a, '\0', end - a);
		size_t len = nul ? (size_t)(nul - a) : (size_t)(end - a);
		char *r = redact_arg(prev, prev_len, a, len);
		bool cut = false;

		if (r) {
			json_array_append_new(arr, json_str_bytes(r, strlen(r), EVENT_ARG_MAX, &cut));
			free(r);
		}
		*truncated |= cut;
		prev = a;
		prev_len = len;
		a += len + 1;
	}
	return arr;
}

json_t *event_process(const struct proc *p)
{
	bool truncated = (p->flags & PROC_F_ARGS_TRUNC) != 0;
	json_t *args = args_json(p, &truncated);
	const char *exe = p->exe ? p->exe : "";

	return json_pack("{s:I, s:I, s:s, s:s?, s:o, s:o, s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:s}",
			 "pid", (json_int_t)p->pid, "ppid", (json_int_t)p->ppid, "exec_id",
			 p->exec_id, "parent_exec_id", p->parent ? p->parent->exec_id : NULL, "exe",
			 json_str_bytes(exe, strlen(exe), 4096, NULL), "args", args,
			 "args_truncated", truncated, "uid", (json_int_t)p->uid, "euid",
			 (json_int_t)p->euid, "gid", (json_int_t)p->gid, "egid", (json_int_t)p->egid,
			 "auid", (json_int_t)p->loginuid, "session_id", (json_int_t)p->sessionid,
			 "cgroup_id", (json_int_t)p->cgroup_id, "source",
			 p->flags & PROC_F_SEEDED ? "procfs" : "kernel");
}

int event_attach_identity(struct event_ctx *ctx, json_t *ev, struct proc *p)
{
	struct chain c;
	json_t *proc = event_process(p);

	if (!proc || chain_build(&ctx->chain, p, &c)) {
		json_decref(proc);
		return -ENOMEM;
	}
	json_object_set_new(ev, "process", proc);
	json_object_set(ev, "chain", c.hops);
	json_object_set(ev, "provenance", c.provenance);
	if (json_array_size(c.missing) > 0)
		json_object_set_new(ev, "enrichment",
				    json_pack("{s:s, s:O}", "status", "partial", "missing", c.missing));
	chain_release(&c);
	return 0;
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
