/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Ring-buffer record -> checked view. Every length and offset is validated
 * against the record size before anything is exposed, so the rest of the
 * daemon never indexes raw kernel data. No libbpf here: fuzzable on its own.
 */
#ifndef IDTRACE_WIRE_DECODE_H
#define IDTRACE_WIRE_DECODE_H

#include <stddef.h>
#include "idtrace_wire.h"

struct wire_bytes {
	const char *p; /* into the record; valid while the record is */
	size_t len;
};

struct wire_exec {
	const struct idt_exec *ev;
	struct wire_bytes exe, args, env;
};

struct wire_open {
	const struct idt_open *ev;
	struct wire_bytes path, name, walk; /* walk: IDT_MATCH_CONTAINER, else empty */
};

struct wire_tls_data {
	const struct idt_tls_data *ev;
	struct wire_bytes data; /* ev->len captured bytes of ev->total written */
};

struct wire_record {
	__u32 type; /* IDT_EV_* */
	union {
		struct wire_exec exec;
		const struct idt_fork *fork;
		const struct idt_exit *exit;
		struct wire_open open;
		struct wire_tls_data tls_data;
		const struct idt_tls_conn *tls_conn;
		const struct idt_tls_sni *tls_sni; /* name NUL-terminated, len checked */
		const struct idt_tls_close *tls_close;
		const struct idt_tls_lib *tls_lib;
		const struct idt_cgroup *cgroup; /* path NUL-terminated at len, absolute */
		const struct idt_mntns *mntns;
	};
};

/* Validate a record of size len and fill *out with views into it.
 * Returns 0, -EPROTO for a wrong wire version, -EINVAL for a malformed or
 * truncated record, -ENOTSUP for an unknown type. */
int wire_decode(const void *data, size_t len, struct wire_record *out);

#endif
