/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Who used which credential: fingerprint -> the chains that read or
 * presented it, in bounded memory (least recently used fingerprints are
 * forgotten first). A credential touched by chains with different
 * originators has crossed identities: a pivot.
 */
#ifndef IDTRACE_PIVOT_H
#define IDTRACE_PIVOT_H

#include <stddef.h>
#include <stdint.h>

#define PIVOT_READERS 4 /* remembered per fingerprint, most recent first */

struct pivot_reader {
	/* the chain's originator; for a human running a CI job (a runner
	 * started by hand), also the job: "human:ann/ci:gitlab_ci:grp/app#7",
	 * so that two jobs of one runner are two identities */
	char originator[256];
	char exec_id[48];
	uint32_t pid;
	char how[16];   /* "read" (a credential file), "presented" (sent in a request) or
			 * "env" (a CI job's token variable, path is its name) */
	char path[256]; /* for reads: the file */
	char type[32];  /* credential type */
};

struct pivot_table;

/* New table remembering at most capacity fingerprints. NULL on ENOMEM. */
struct pivot_table *pivot_table_new(size_t capacity);
void pivot_table_free(struct pivot_table *t);
/* Copy into out (up to PIVOT_READERS) the earlier users of fp whose
 * originator differs from originator; returns how many. */
int pivot_table_others(struct pivot_table *t, const char *fp, const char *originator,
		       struct pivot_reader *out);
/* The most recent reader ("read") of fp, or NULL. Borrowed until the next call. */
const struct pivot_reader *pivot_table_last_read(struct pivot_table *t, const char *fp);
/* The most recent use of fp that was how and by a chain of originator, or NULL. */
const struct pivot_reader *pivot_table_last_how_by(struct pivot_table *t, const char *fp,
						   const char *how, const char *originator);
/* The most recent user of fp whose how is how, or NULL. Borrowed likewise. */
const struct pivot_reader *pivot_table_last_how(struct pivot_table *t, const char *fp,
					       const char *how);
/* Remember that r used fp. */
void pivot_table_note(struct pivot_table *t, const char *fp, const struct pivot_reader *r);

#endif
