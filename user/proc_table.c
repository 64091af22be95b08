// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "proc_table.h"

#define PROC_BUCKETS 16384 /* power of two */

struct proc_table {
	struct proc *buckets[PROC_BUCKETS];
	unsigned int count;
};

static __u64 generation;

__u64 proc_table_generation(void)
{
	return generation;
}

void proc_table_changed(void)
{
	generation++;
}

static unsigned int bucket_of(__u32 pid)
{
	return (pid * 2654435761u) & (PROC_BUCKETS - 1);
}

struct proc_table *proc_table_new(void)
{
	return calloc(1, sizeof(struct proc_table));
}

void proc_table_free(struct proc_table *t)
{
	if (!t)
		return;
	for (unsigned int i = 0; i < PROC_BUCKETS; i++) {
		struct proc *p = t->buckets[i], *next;

		for (; p; p = next) {
			next = p->hash_next;
			p->hash_next = NULL;
			proc_put(p);
		}
	}
	free(t);
}

struct proc *proc_new(__u32 pid)
{
	struct proc *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->refcnt = 1;
	p->pid = pid;
	p->loginuid = (__u32)-1;
	p->sessionid = (__u32)-1;
	return p;
}

struct proc *proc_get(struct proc *p)
{
	if (p)
		p->refcnt++;
	return p;
}

/* Iterative so a long lineage cannot overflow the stack on release. */
void proc_put(struct proc *p)
{
	while (p && --p->refcnt == 0) {
		struct proc *parent = p->parent;

		free(p->exe);
		free(p->exe_real);
		free(p->args);
		free(p->cgroup_path);
		free(p->ci_claim);
		free(p->token_vars);
		free(p->secret_values);
		json_decref(p->brief);
		ci_ref_put(p->ci);
		free(p);
		p = parent;
	}
}

/* Cut child's lineage PROC_MAX_DEPTH / 2 links up, releasing what is older.
 * The cut record may be shared with other lineages; they lose the same old
 * links, which is the point: memory stays bounded whatever the exec pattern. */
static void cut_lineage(struct proc *child)
{
	struct proc *p = child, *rest;
	unsigned int i;

	for (i = 0; i < PROC_MAX_DEPTH / 2 && p->parent; i++)
		p = p->parent;
	rest = p->parent;
	p->parent = NULL;
	p->flags |= PROC_F_LINEAGE_CUT;
	proc_table_changed();
	proc_put(rest);
	child->depth = i;
}

void proc_set_parent(struct proc *child, struct proc *parent)
{
	struct proc *old = child->parent;

	proc_table_changed();
	child->parent = proc_get(parent);
	child->depth = parent ? parent->depth + 1 : 0;
	proc_put(old);
	if (child->depth >= PROC_MAX_DEPTH)
		cut_lineage(child);
}

struct proc *proc_table_lookup(struct proc_table *t, __u32 pid)
{
	for (struct proc *p = t->buckets[bucket_of(pid)]; p; p = p->hash_next)
		if (p->pid == pid)
			return p;
	return NULL;
}

void proc_table_insert(struct proc_table *t, struct proc *rec)
{
	proc_table_remove(t, rec->pid);
	proc_table_changed();
	rec->hash_next = t->buckets[bucket_of(rec->pid)];
	t->buckets[bucket_of(rec->pid)] = proc_get(rec);
	t->count++;
}

void proc_table_remove(struct proc_table *t, __u32 pid)
{
	struct proc **pp = &t->buckets[bucket_of(pid)];

	for (; *pp; pp = &(*pp)->hash_next) {
		struct proc *p = *pp;

		if (p->pid != pid)
			continue;
		proc_table_changed();
		*pp = p->hash_next;
		p->hash_next = NULL;
		t->count--;
		proc_put(p);
		return;
	}
}

unsigned int proc_table_count(const struct proc_table *t)
{
	return t->count;
}

void proc_table_each(struct proc_table *t, void (*fn)(struct proc *p, void *arg), void *arg)
{
	for (unsigned int i = 0; i < PROC_BUCKETS; i++)
		for (struct proc *p = t->buckets[i]; p; p = p->hash_next)
			fn(p, arg);
}

struct ci_ref *ci_ref_new(const struct ci_job *job, const char *origin_exec_id, __u32 origin_pid)
{
	struct ci_ref *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->refcnt = 1;
	c->job = *job;
	snprintf(c->origin_exec_id, sizeof(c->origin_exec_id), "%s", origin_exec_id);
	c->origin_pid = origin_pid;
	return c;
}

struct ci_ref *ci_ref_get(struct ci_ref *c)
{
	if (c)
		c->refcnt++;
	return c;
}

void ci_ref_put(struct ci_ref *c)
{
	if (c && --c->refcnt == 0)
		free(c);
}

void proc_format_exec_id(char *buf, const char *boot_id, __u32 pid, __u64 image_ns)
{
	snprintf(buf, PROC_EXEC_ID_LEN, "%.8s-%u-%llu", boot_id, pid, (unsigned long long)image_ns);
}
