// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include "json_frags.h"
#include "json_write.h"

#define FRAGS_MIN_CAP 64
#define FRAG_MAX_BYTES (1u << 20) /* larger subtrees are walked each time */

struct frag {
	const json_t *v; /* NULL: free slot */
	char *bytes;
	size_t len;
};

/* Open addressing with linear probing; removal shifts the entries after a
 * freed slot back, so a lookup stops at the first free slot. */
struct json_frags {
	struct frag *slots;
	size_t cap; /* a power of two */
	size_t n;
};

static size_t home(const struct json_frags *f, const json_t *v)
{
	uint64_t h = (uint64_t)(uintptr_t)v * 0x9E3779B97F4A7C15ull;

	return (size_t)(h >> 29) & (f->cap - 1);
}

struct json_frags *json_frags_new(void)
{
	struct json_frags *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->slots = calloc(FRAGS_MIN_CAP, sizeof(*f->slots));
	if (!f->slots) {
		free(f);
		return NULL;
	}
	f->cap = FRAGS_MIN_CAP;
	return f;
}

void json_frags_free(struct json_frags *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->cap; i++)
		free(f->slots[i].bytes);
	free(f->slots);
	free(f);
}

static struct frag *lookup(const struct json_frags *f, const json_t *v)
{
	for (size_t i = home(f, v);; i = (i + 1) & (f->cap - 1)) {
		struct frag *s = &f->slots[i];

		if (s->v == v || !s->v)
			return s;
	}
}

static int grow(struct json_frags *f)
{
	struct json_frags bigger = { .cap = f->cap * 2, .n = f->n };

	bigger.slots = calloc(bigger.cap, sizeof(*bigger.slots));
	if (!bigger.slots)
		return -ENOMEM;
	for (size_t i = 0; i < f->cap; i++)
		if (f->slots[i].v)
			*lookup(&bigger, f->slots[i].v) = f->slots[i];
	free(f->slots);
	*f = bigger;
	return 0;
}

/* v's compact rendering in a new buffer, or NULL. */
static char *render(const json_t *v, size_t *len)
{
	for (size_t cap = 512; cap <= FRAG_MAX_BYTES; cap *= 2) {
		char *buf = malloc(cap);

		if (!buf)
			return NULL;
		*len = json_write_compact(v, buf, cap);
		if (*len)
			return buf;
		free(buf);
	}
	return NULL;
}

int json_frags_keep(struct json_frags *f, const json_t *v)
{
	struct frag *s;
	size_t len;
	char *bytes;

	if (!v)
		return -EINVAL;
	if ((f->n + 1) * 2 > f->cap && grow(f))
		return -ENOMEM;
	bytes = render(v, &len);
	if (!bytes) {
		json_frags_drop(f, v); /* an older rendering must not outlive a failed one */
		return -ENOMEM;
	}
	s = lookup(f, v);
	if (s->v)
		free(s->bytes);
	else
		f->n++;
	*s = (struct frag){ .v = v, .bytes = bytes, .len = len };
	return 0;
}

void json_frags_drop(struct json_frags *f, const json_t *v)
{
	struct frag *s = v ? lookup(f, v) : NULL;
	size_t hole, i;

	if (!s || !s->v)
		return;
	free(s->bytes);
	f->n--;
	hole = (size_t)(s - f->slots);
	/* shift back every entry of the run after the hole that may sit there */
	for (i = (hole + 1) & (f->cap - 1); f->slots[i].v; i = (i + 1) & (f->cap - 1)) {
		size_t h = home(f, f->slots[i].v);

		/* the entry at i stays when its home lies cyclically in (hole, i] */
		if (hole <= i ? hole < h && h <= i : hole < h || h <= i)
			continue;
		f->slots[hole] = f->slots[i];
		hole = i;
	}
	f->slots[hole] = (struct frag){ 0 };
}

const char *json_frags_find(const struct json_frags *f, const json_t *v, size_t *len)
{
	const struct frag *s;

	if (!f || !f->n)
		return NULL;
	s = lookup(f, v);
	if (!s->v)
		return NULL;
	*len = s->len;
	return s->bytes;
}

size_t json_frags_count(const struct json_frags *f)
{
	return f ? f->n : 0;
}
