// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "chain.h"
#include "host_info.h"
#include "json_str.h"

#define UID_UNSET 0xffffffffu

static void set_str(json_t *o, const char *key, const char *val)
{
	if (val && *val)
		json_object_set_new(o, key, json_str_bytes(val, strlen(val), 4096, NULL));
}

static const char *user_name(struct chain_ctx *ctx, __u32 uid)
{
	typeof(ctx->users[0]) *e = &ctx->users[uid % 64];

	if (e->ok && e->uid == uid)
		return e->ok > 0 ? e->name : NULL;
	e->uid = uid;
	e->ok = host_info_user_name(uid, e->name, sizeof(e->name)) == 0 ? 1 : -1;
	return e->ok > 0 ? e->name : NULL;
}

static json_t *human_hop(struct chain_ctx *ctx, const struct proc *p, json_t *missing)
{
	json_t *hop = json_pack("{s:s, s:I}", "kind", "human", "uid", (json_int_t)p->loginuid);
	const char *name = user_name(ctx, p->loginuid);

	if (name)
		set_str(hop, "user", name);
	else
		json_array_append_new(missing, json_pack("{s:s, s:s}", "field", "chain.human.user",
							 "reason", "login uid has no passwd entry"));
	if (p->sessionid != UID_UNSET)
		json_object_set_new(hop, "session_id", json_integer(p->sessionid));
	return hop;
}

static json_t *ci_fields(const struct ci_job *j)
{
	json_t *o = json_object();

	set_str(o, "provider", j->provider);
	set_str(o, "repository", j->repository);
	set_str(o, "workflow", j->workflow);
	set_str(o, "run_id", j->run_id);
	set_str(o, "run_attempt", j->run_attempt);
	set_str(o, "job", j->job);
	set_str(o, "job_id", j->job_id);
	set_str(o, "actor", j->actor);
	set_str(o, "triggering_actor", j->triggering_actor);
	set_str(o, "event", j->event);
	set_str(o, "ref", j->ref);
	set_str(o, "sha", j->sha);
	set_str(o, "pull_request", j->pull_request);
	set_str(o, "server_url", j->server_url);
	return o;
}

static json_t *ci_hop(const struct ci_ref *ci)
{
	json_t *hop = json_pack("{s:s}", "kind", "ci_job");
	json_t *fields = ci_fields(&ci->job);

	json_object_update(hop, fields);
	json_decref(fields);
	if (ci->job.n_token_vars > 0)
		json_object_set_new(hop, "token_vars_present",
				    chain_token_vars_json(ci->job.token_vars,
							  ci->job.n_token_vars < CI_TOKEN_VARS_MAX
								  ? ci->job.n_token_vars
								  : CI_TOKEN_VARS_MAX));
	if (ci->job.truncated)
		json_object_set_new(hop, "truncated", json_true());
	json_object_set_new(hop, "established_by",
			    json_pack("{s:I, s:s}", "pid", (json_int_t)ci->origin_pid, "exec_id",
				      ci->origin_exec_id));
	return hop;
}

static json_t *proc_brief(const struct proc *p)
{
	json_t *o = json_pack("{s:I, s:s, s:I, s:I}", "pid", (json_int_t)p->pid, "exec_id",
			      p->exec_id, "uid", (json_int_t)p->uid, "euid", (json_int_t)p->euid);

	json_object_set_new(o, "exe", json_str_bytes(p->exe ? p->exe : "",
						     p->exe ? strlen(p->exe) : 0, 4096, NULL));
	return o;
}

/* Ancestors up to the hop above: the exec that established the CI job, or
 * the start of the login session (the last ancestor with the same loginuid),
 * or init; at most CHAIN_MAX_ANCESTORS. */
static json_t *process_hop(const struct proc *p)
{
	json_t *hop = proc_brief(p), *anc = json_array();
	const struct proc *a;
	int n = 0;

	json_object_set_new(hop, "kind", json_string("process"));
	for (a = p; a->parent && n < CHAIN_MAX_ANCESTORS; n++) {
		struct proc *parent = a->parent;

		if (p->ci && !strcmp(a->exec_id, p->ci->origin_exec_id))
			break;
		if (!p->ci && p->loginuid != UID_UNSET && parent->loginuid != p->loginuid)
			break;
		if (!parent->brief)
			parent->brief = proc_brief(parent);
		json_array_append_new(anc, json_incref(parent->brief));
		a = parent;
	}
	json_object_set_new(hop, "ancestors", anc);
	if (a->parent && n == CHAIN_MAX_ANCESTORS)
		json_object_set_new(hop, "ancestors_truncated", json_true());
	return hop;
}

/* The CI job was established where no login session existed (a runner started
 * by init or a service) and the loginuid was set below it: from inside the
 * job, which a root step can do by writing /proc/self/loginuid. Such a login
 * is the job's own doing, not its origin. */
static bool login_set_inside_ci(const struct proc *p)
{
	return p->ci && p->ci->origin_loginuid == UID_UNSET && p->loginuid != UID_UNSET;
}

/* A human hop heads the chain: a login whose session the job did not make. */
static bool human_originates(const struct proc *p)
{
	return p->loginuid != UID_UNSET && !login_set_inside_ci(p);
}

void chain_pivot_reader(struct chain_ctx *ctx, const struct proc *p, const char *how,
			const char *path, const char *type, struct pivot_reader *out)
{
	size_t n;

	memset(out, 0, sizeof(*out));
	chain_originator(ctx, p, out->originator, sizeof(out->originator));
	n = strlen(out->originator);
	if (human_originates(p) && p->ci) {
		char id[600];

		ci_job_short_id(&p->ci->job, id, sizeof(id));
		snprintf(out->originator + n, sizeof(out->originator) - n, "/ci:%s:%s",
			 p->ci->job.provider, id);
	}
	snprintf(out->exec_id, sizeof(out->exec_id), "%s", p->exec_id);
	out->pid = p->pid;
	snprintf(out->how, sizeof(out->how), "%s", how);
	snprintf(out->path, sizeof(out->path), "%s", path ? path : "");
	snprintf(out->type, sizeof(out->type), "%s", type ? type : "");
}

void chain_originator(struct chain_ctx *ctx, const struct proc *p, char *buf, size_t n)
{
	char id[600];

	if (human_originates(p)) {
		const char *name = user_name(ctx, p->loginuid);

		if (name)
			snprintf(buf, n, "human:%s", name);
		else
			snprintf(buf, n, "human:uid=%u", p->loginuid);
	} else if (p->ci) {
		ci_job_short_id(&p->ci->job, id, sizeof(id));
		snprintf(buf, n, "ci:%s:%s", p->ci->job.provider, id);
	} else {
		snprintf(buf, n, "unknown");
	}
}

static const struct proc *topmost(const struct proc *p)
{
	while (p->parent)
		p = p->parent;
	return p;
}

/* An environment the kernel's bounded copy cut (and that was gone before
 * /proc could give it whole) may hold a CI marker past the cut: p's own, or,
 * when p has no job, an ancestor's, whose job p would have inherited. */
static bool ci_env_cut(const struct proc *p)
{
	if (p->flags & PROC_F_ENV_TRUNC)
		return true;
	if (p->ci)
		return false;
	for (const struct proc *a = p->parent; a; a = a->parent)
		if (a->flags & PROC_F_ENV_TRUNC)
			return true;
	return false;
}

/* The record of p's lineage whose parent is init, or NULL when the lineage
 * does not reach init (or p is init). */
static const struct proc *init_child(const struct proc *p)
{
	while (p->parent && p->parent->parent)
		p = p->parent;
	return p->parent && p->parent->pid == 1 ? p : NULL;
}

/* Whether init started this lineage cannot be told when its child of init
 * was seeded from /proc: an orphan re-parented to init shows ppid 1 there as
 * init's own children do. (The daemon keeps the real parent of every process
 * it saw start, so a record seen at fork or exec under init was init's.) */
static bool seeded_under_init(const struct proc *p)
{
	const struct proc *c = init_child(p);

	return c && (c->flags & PROC_F_SEEDED);
}

/* The nearest ancestor with a loginuid set to another value than p's: root
 * wrote /proc/self/loginuid below a login, to shed it (4294967295) or to
 * take another uid (as a login made by a daemon started from a session, not
 * by init, does). The originator stays what p's own loginuid says; a reason
 * names the login left. NULL when every loginuid above p is p's or unset. */
static const struct proc *login_left(const struct proc *p)
{
	for (const struct proc *a = p->parent; a; a = a->parent)
		if (a->loginuid != UID_UNSET && a->loginuid != p->loginuid)
			return a;
	return NULL;
}

static json_t *provenance(struct chain_ctx *ctx, const struct proc *p, json_t *workload)
{
	bool collapsed = p->loginuid == UID_UNSET && !p->ci;
	bool lineage_unknown = false; /* top at init, but init may not have started it */
	const struct proc *left = login_left(p);
	json_t *reasons = json_array();
	char buf[1024], id[600], originator[1024];

	chain_originator(ctx, p, originator, sizeof(originator));
	if (collapsed) {
		const char *unit = json_string_value(json_object_get(workload, "systemd_unit"));
		const struct proc *top = topmost(p);

		json_array_append_new(reasons, json_string("no_login_uid"));
		/* with environments not read (--no-env), no job could be seen:
		 * its absence is not established */
		json_array_append_new(reasons, json_string(ctx->env_unread ? "ci_context_not_read"
									    : "no_ci_context"));
		if (unit) {
			snprintf(buf, sizeof(buf), "started_by_service:%s", unit);
			json_array_append_new(reasons, json_string(buf));
		} else if (top->pid == 1 && seeded_under_init(p)) {
			lineage_unknown = true;
		} else if (top->pid == 1) {
			json_array_append_new(reasons, json_string("started_by_init"));
		}
		if (p->euid != 0 && p->euid < 1000) {
			const char *name = user_name(ctx, p->euid);

			snprintf(buf, sizeof(buf), "shared_service_identity:%s",
				 name ? name : "unknown");
			json_array_append_new(reasons, json_string(buf));
		}
	}
	if (ci_env_cut(p))
		json_array_append_new(reasons, json_string("ci_env_truncated"));
	if (p->flags & PROC_F_CI_CONFLICT && p->ci_claim) {
		char lineage[600];

		ci_job_short_id(p->ci_claim, id, sizeof(id));
		ci_job_short_id(&p->ci->job, lineage, sizeof(lineage));
		const char *field = ci_claim_contradiction(p->ci_claim, &p->ci->job);

		/* the field: a run_attempt or server_url of its own leaves the
		 * two short ids alike */
		snprintf(buf, sizeof(buf), "ci_context_conflict:env_claims=%s:%s,lineage=%s:%s,field=%s",
			 p->ci_claim->provider, id, p->ci->job.provider, lineage,
			 field ? field : "provider");
		json_array_append_new(reasons, json_str_bytes(buf, strlen(buf), sizeof(buf), NULL));
	}
	if (p->flags & PROC_F_CI_SCRUBBED)
		json_array_append_new(reasons, json_string("ci_env_scrubbed:job_kept_from_lineage"));
	if (left) {
		snprintf(buf, sizeof(buf), "login_uid_changed_below_login:auid=%u", left->loginuid);
		json_array_append_new(reasons, json_string(buf));
	}
	if (login_set_inside_ci(p)) {
		snprintf(buf, sizeof(buf), "login_uid_set_inside_ci_job:auid=%u", p->loginuid);
		json_array_append_new(reasons, json_string(buf));
	}
	if (p->flags & PROC_F_LINEAGE_CUT || lineage_unknown)
		json_array_append_new(reasons, json_string("lineage_incomplete"));
	if (p->flags & PROC_F_SEEDED || lineage_unknown)
		json_array_append_new(reasons, json_string("seeded_from_procfs"));
	return json_pack("{s:o, s:b, s:o}", "originator",
			 json_str_bytes(originator, strlen(originator), sizeof(originator), NULL), "collapsed",
			 collapsed, "reasons", reasons);
}

int chain_build(struct chain_ctx *ctx, struct proc *p, struct chain *out)
{
	json_t *workload;

	out->hops = json_array();
	out->missing = json_array();
	if (!out->hops || !out->missing)
		goto nomem;
	if (human_originates(p))
		json_array_append_new(out->hops, human_hop(ctx, p, out->missing));
	if (p->ci)
		json_array_append_new(out->hops, ci_hop(p->ci));
	workload = workload_hop(ctx->workload, p, out->missing);
	if (!workload)
		goto nomem;
	json_array_append_new(out->hops, workload);
	json_array_append_new(out->hops, process_hop(p));
	out->provenance = provenance(ctx, p, workload);
	if (!out->provenance)
		goto nomem;
	return 0;
nomem:
	chain_release(out);
	return -ENOMEM;
}

void chain_release(struct chain *c)
{
	json_decref(c->hops);
	json_decref(c->missing);
	json_decref(c->provenance);
	memset(c, 0, sizeof(*c));
}

json_t *chain_token_vars_json(const char (*names)[CI_TOKEN_VAR_NAME_MAX], int n)
{
	json_t *arr = json_array();

	for (int i = 0; i < n; i++)
		json_array_append_new(arr, json_str_bytes(names[i],
							  strnlen(names[i], CI_TOKEN_VAR_NAME_MAX),
							  CI_TOKEN_VAR_NAME_MAX, NULL));
	return arr;
}
