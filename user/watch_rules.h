/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Credential watch rules: where credentials live and what type they are.
 *
 * A rule is an absolute path pattern whose directory part may contain glob
 * characters (expanded when the watch list is built) and whose last
 * component is one of: an exact name, "prefix*", "*suffix" or "*",
 * optionally minus names that end in an excluded suffix ("id_*" minus
 * ".pub"). A leading "~/" stands for every home directory. Pure: no I/O.
 */
#ifndef IDTRACE_WATCH_RULES_H
#define IDTRACE_WATCH_RULES_H

#include <stdbool.h>
#include <stddef.h>

#define WATCH_TYPE_MAX 32

enum watch_name_kind {
	WATCH_NAME_EXACT = 1,
	WATCH_NAME_PREFIX,
	WATCH_NAME_SUFFIX,
	WATCH_NAME_ANY,
};

struct watch_rule {
	char *dir;          /* directory pattern, "~/..." or absolute; owned */
	char *name;         /* exact name, prefix or suffix (without '*'); owned */
	enum watch_name_kind kind;
	char *exclude;      /* suffix that disqualifies a name, or NULL; owned */
	char type[WATCH_TYPE_MAX]; /* "aws", "ssh_private_key", ... */
	bool per_home;      /* dir started with "~/" */
};

/* Parse pattern (e.g. "~/.ssh/id_*") with credential type and optional
 * exclude suffix into *out. Returns 0, or -EINVAL for a relative path, a
 * glob in the last component other than one leading or trailing '*', or a
 * name longer than the kernel compares (63 bytes). */
int watch_rule_parse(const char *pattern, const char *type, const char *exclude,
		     struct watch_rule *out);
void watch_rule_free(struct watch_rule *r);
/* True when name (len bytes) fits the rule's last component. */
bool watch_rule_match_name(const struct watch_rule *r, const char *name, size_t len);
/* Whether a credential type name is one idtrace knows (else use "custom"). */
bool watch_type_known(const char *type);

/* The default rules: the usual credential locations for every home, and
 * system paths. Fills *rules (caller frees each with watch_rule_free and the
 * array with free). Returns the count or -ENOMEM. */
int watch_rules_defaults(struct watch_rule **rules);

#endif
