// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <string.h>
#include "wire_decode.h"

_Static_assert(sizeof(struct idt_hdr) == 24, "wire header layout");
_Static_assert(sizeof(struct idt_exec) % 8 == 0, "exec record is 8-byte aligned");
_Static_assert(sizeof(struct idt_fork) == 56, "fork record layout");
_Static_assert(sizeof(struct idt_exit) == 40, "exit record layout");
_Static_assert(sizeof(struct idt_tls_data) == 56, "TLS data record layout");
_Static_assert(sizeof(struct idt_tls_conn) == 88, "TLS conn record layout");
_Static_assert(sizeof(struct idt_tls_sni) % 8 == 0, "TLS SNI record layout");
_Static_assert(sizeof(struct idt_tls_close) == 48, "TLS close record layout");
_Static_assert(sizeof(struct idt_tls_lib) == 48, "TLS library record layout");
_Static_assert(sizeof(struct idt_mntns) == 56, "mount namespace record layout");

static int span(const char *tail, size_t tail_len, struct idt_span s, struct wire_bytes *out)
{
	if (s.off > tail_len || s.len > tail_len - s.off)
		return -EINVAL;
	out->p = tail + s.off;
	out->len = s.len;
	return 0;
}

static int decode_exec(const void *data, size_t len, struct wire_exec *out)
{
	const struct idt_exec *ev = data;
	const char *tail = (const char *)data + sizeof(*ev);
	size_t tail_len;

	if (len < sizeof(*ev))
		return -EINVAL;
	tail_len = len - sizeof(*ev);
	out->ev = ev;
	if (span(tail, tail_len, ev->exe, &out->exe) || span(tail, tail_len, ev->args, &out->args) ||
	    span(tail, tail_len, ev->env, &out->env))
		return -EINVAL;
	return 0;
}

static int decode_open(const void *data, size_t len, struct wire_open *out)
{
	const struct idt_open *ev = data;
	const char *tail = (const char *)data + sizeof(*ev);
	size_t tail_len;

	if (len < sizeof(*ev))
		return -EINVAL;
	tail_len = len - sizeof(*ev);
	out->ev = ev;
	if (span(tail, tail_len, ev->path, &out->path) || span(tail, tail_len, ev->name, &out->name) ||
	    span(tail, tail_len, ev->walk, &out->walk))
		return -EINVAL;
	return 0;
}

static int decode_tls_data(const void *data, size_t len, struct wire_tls_data *out)
{
	const struct idt_tls_data *ev = data;

	if (len < sizeof(*ev))
		return -EINVAL;
	if (ev->len > len - sizeof(*ev) || ev->len > ev->total)
		return -EINVAL;
	if (ev->last > ev->len || ev->last > IDT_TLS_TAIL_MAX || ev->len - ev->last > IDT_TLS_DATA_MAX)
		return -EINVAL;
	out->ev = ev;
	out->data.p = (const char *)data + sizeof(*ev);
	out->data.len = ev->len;
	return 0;
}

static int decode_tls_sni(const void *data, size_t len, const struct idt_tls_sni **out)
{
	const struct idt_tls_sni *ev = data;

	if (len < sizeof(*ev) || ev->len >= IDT_TLS_SNI_MAX || ev->name[ev->len] != '\0')
		return -EINVAL;
	*out = ev;
	return 0;
}

int wire_decode(const void *data, size_t len, struct wire_record *out)
{
	const struct idt_hdr *h = data;

	memset(out, 0, sizeof(*out));
	if (!data || len < sizeof(*h))
		return -EINVAL;
	if (h->version != IDT_WIRE_VERSION)
		return -EPROTO;
	out->type = h->type;
	switch (h->type) {
	case IDT_EV_EXEC:
		return decode_exec(data, len, &out->exec);
	case IDT_EV_FORK:
		if (len < sizeof(struct idt_fork))
			return -EINVAL;
		out->fork = data;
		return 0;
	case IDT_EV_EXIT:
		if (len < sizeof(struct idt_exit))
			return -EINVAL;
		out->exit = data;
		return 0;
	case IDT_EV_OPEN:
		return decode_open(data, len, &out->open);
	case IDT_EV_TLS_DATA:
		return decode_tls_data(data, len, &out->tls_data);
	case IDT_EV_TLS_CONN:
		if (len < sizeof(struct idt_tls_conn))
			return -EINVAL;
		out->tls_conn = data;
		return 0;
	case IDT_EV_TLS_SNI:
		return decode_tls_sni(data, len, &out->tls_sni);
	case IDT_EV_TLS_CLOSE:
		if (len < sizeof(struct idt_tls_close))
			return -EINVAL;
		out->tls_close = data;
		return 0;
	case IDT_EV_TLS_LIB:
		if (len < sizeof(struct idt_tls_lib))
			return -EINVAL;
		out->tls_lib = data;
		return 0;
	case IDT_EV_CGROUP: {
		const struct idt_cgroup *c = data;

		if (len < sizeof(*c) || c->len >= sizeof(c->path) || c->path[c->len] ||
		    c->path[0] != '/')
			return -EINVAL;
		out->cgroup = c;
		return 0;
	}
	case IDT_EV_MNTNS:
		if (len < sizeof(struct idt_mntns))
			return -EINVAL;
		out->mntns = data;
		return 0;
	default:
		return -ENOTSUP;
	}
}
