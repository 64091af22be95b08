// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "pivot.h"

#define FP_MAX 64

struct pivot_entry {
	char fp[FP_MAX];
	int n;
	struct pivot_reader r[PIVOT_READERS];
	struct pivot_entry *prev, *next; /* LRU list, most recent at head */
	struct pivot_entry *hnext;       /* hash chain */
};

struct pivot_table {
	size_t capacity, count, nbuckets;
	struct pivot_entry **buckets;
	struct pivot_entry *head, *tail;
};

static size_t hash(const char *s)
{
	size_t h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

struct pivot_table *pivot_table_new(size_t capacity)
{
	struct pivot_table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->capacity = capacity ? capacity : 1;
	t->nbuckets = 1;
	while (t->nbuckets < t->capacity)
		t->nbuckets <<= 1;
	t->buckets = calloc(t->nbuckets, sizeof(*t->buckets));
	if (!t->buckets) {
		free(t);
		return NULL;
	}
	return t;
}

void pivot_table_free(struct pivot_table *t)
{
	struct pivot_entry *e, *next;

	if (!t)
		return;
	for (e = t->head; e; e = next) {
		next = e->next;
		free(e);
	}
	free(t->buckets);
	free(t);
}

static void unlink_lru(struct pivot_table *t, struct pivot_entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		t->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		t->tail = e->prev;
	e->prev = e->next = NULL;
}

static void push_front(struct pivot_table *t, struct pivot_entry *e)
{
	e->next = t->head;
	if (t->head)
		t->head->prev = e;
	t->head = e;
	if (!t->tail)
		t->tail = e;
}

static struct pivot_entry *find(struct pivot_table *t, const char *fp)
{
	struct pivot_entry *e = t->buckets[hash(fp) & (t->nbuckets - 1)];

	for (; e; e = e->hnext)
		if (!strcmp(e->fp, fp))
			return e;
	return NULL;
}

static void evict(struct pivot_table *t)
{
	struct pivot_entry *e = t->tail, **pp;

	if (!e)
		return;
	unlink_lru(t, e);
	for (pp = &t->buckets[hash(e->fp) & (t->nbuckets - 1)]; *pp; pp = &(*pp)->hnext) {
		if (*pp == e) {
			*pp = e->hnext;
			break;
		}
	}
	free(e);
	t->count--;
}

int pivot_table_others(struct pivot_table *t, const char *fp, const char *originator,
		       struct pivot_reader *out)
{
	struct pivot_entry *e = find(t, fp);
	int n = 0;

	if (!e)
		return 0;
	for (int i = 0; i < e->n; i++)
		if (strcmp(e->r[i].originator, originator))
			out[n++] = e->r[i];
	return n;
}

const struct pivot_reader *pivot_table_last_how(struct pivot_table *t, const char *fp,
					       const char *how)
{
	struct pivot_entry *e = find(t, fp);

	for (int i = 0; e && i < e->n; i++)
		if (!strcmp(e->r[i].how, how))
			return &e->r[i];
	return NULL;
}

const struct pivot_reader *pivot_table_last_read(struct pivot_table *t, const char *fp)
{
	return pivot_table_last_how(t, fp, "read");
}

const struct pivot_reader *pivot_table_last_how_by(struct pivot_table *t, const char *fp,
						   const char *how, const char *originator)
{
	struct pivot_entry *e = find(t, fp);

	for (int i = 0; e && i < e->n; i++)
		if (!strcmp(e->r[i].how, how) && !strcmp(e->r[i].originator, originator))
			return &e->r[i];
	return NULL;
}

static bool same_user(const struct pivot_reader *a, const struct pivot_reader *b)
{
	return !strcmp(a->originator, b->originator) && !strcmp(a->how, b->how);
}

/* The slot a new user r replaces in a full entry: the oldest one whose
 * originator and how a newer one (r included) repeats, else the oldest that
 * is not a file read, else the oldest. So one chain presenting a token again
 * and again, from new execs, cannot push out the read by another chain that
 * says the token crossed identities; nor can presentations from a few
 * throwaway jobs push out the read that names where the token came from
 * (the credential hop's path and reader). */
static int full_victim(const struct pivot_entry *e, const struct pivot_reader *r)
{
	for (int j = e->n - 1; j > 0; j--) {
		if (same_user(&e->r[j], r))
			return j;
		for (int k = 0; k < j; k++)
			if (same_user(&e->r[j], &e->r[k]))
				return j;
	}
	for (int j = e->n - 1; j >= 0; j--)
		if (strcmp(e->r[j].how, "read"))
			return j;
	return e->n - 1;
}

void pivot_table_note(struct pivot_table *t, const char *fp, const struct pivot_reader *r)
{
	struct pivot_entry *e = find(t, fp);
	int i;

	if (strlen(fp) >= FP_MAX)
		return;
	if (!e) {
		if (t->count >= t->capacity)
			evict(t);
		e = calloc(1, sizeof(*e));
		if (!e)
			return;
		strcpy(e->fp, fp);
		e->hnext = t->buckets[hash(fp) & (t->nbuckets - 1)];
		t->buckets[hash(fp) & (t->nbuckets - 1)] = e;
		t->count++;
	} else {
		unlink_lru(t, e);
	}
	push_front(t, e);
	/* most recent first; a repeat by the same exec moves to the front */
	for (i = 0; i < e->n; i++)
		if (!strcmp(e->r[i].exec_id, r->exec_id) && !strcmp(e->r[i].how, r->how))
			break;
	if (i == e->n && e->n < PIVOT_READERS)
		e->n++;
	else if (i == e->n)
		i = full_victim(e, r);
	memmove(&e->r[1], &e->r[0], i * sizeof(e->r[0]));
	e->r[0] = *r;
}
