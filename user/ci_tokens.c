// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>
#include <string.h>
#include "ci_env.h"
#include "ci_tokens.h"

struct note_ctx {
	const struct fingerprint_key *key;
	struct pivot_table *pivots;
	struct pivot_reader holder;
	int n;
};

static void note_one(const char *name, const char *value, size_t len, void *arg)
{
	struct note_ctx *c = arg;
	char fp[FINGERPRINT_STR_LEN];

	fingerprint_compute(c->key, value, len, fp);
	if (!fp[0])
		return;
	snprintf(c->holder.path, sizeof(c->holder.path), "%s", name);
	pivot_table_note(c->pivots, fp, &c->holder);
	c->n++;
}

int ci_tokens_note(const struct fingerprint_key *key, struct pivot_table *pivots,
		   struct chain_ctx *chain, const struct proc *p, const char *env, size_t len)
{
	struct note_ctx c = { .key = key, .pivots = pivots };

	/* Only where the job starts: its descendants inherit the same values,
	 * and a descendant cannot claim another job's tokens as its own. */
	if (!key || !pivots || !p || !p->ci || strcmp(p->ci->origin_exec_id, p->exec_id))
		return 0;
	chain_pivot_reader(chain, p, CI_TOKENS_HOW, NULL, CI_TOKENS_TYPE, &c.holder);
	ci_env_each_token(env, len, note_one, &c);
	return c.n;
}
