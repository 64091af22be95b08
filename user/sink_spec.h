/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Sink URIs and config entries -> struct sink_spec (see sink.h). */
#ifndef IDTRACE_SINK_SPEC_H
#define IDTRACE_SINK_SPEC_H

#include "sink.h"

/* Parse uri (required) and, when entry is a JSON object, merge its keys
 * (other than "uri") into the options. Returns 0, or -EINVAL with a
 * message in err naming the problem (unknown scheme, bad port, ...). */
int sink_spec_parse(const char *uri, const json_t *entry, struct sink_spec *s, char *err,
		    size_t n);
void sink_spec_free(struct sink_spec *s);
/* 0 when every option of spec is "format" or one of known (its sink's
 * sink_ops.options); else -EINVAL with a message naming the first unknown
 * one, so a misspelt option is an error instead of a silent default. */
int sink_spec_check_options(const struct sink_spec *spec, const char *const *known, char *err,
			    size_t n);
/* The implementation for a scheme, or NULL. */
const struct sink_ops *sink_ops_for(const char *scheme);

#endif
