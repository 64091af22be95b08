// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include "cgroup_path.h"

#define ID_LEN 64
#define UUID_LEN 36
#define UNIT_NAME_MAX 255 /* systemd's UNIT_NAME_MAX less the NUL */

struct seg {
	const char *s;
	size_t n;
};

/* What the previous segment was, for layouts that span two segments. */
enum prev_kind {
	PREV_OTHER,
	PREV_DOCKER,	/* "docker": a cgroupfs container id may follow */
	PREV_KUBEPODS,	/* "kubepods": a pod here is guaranteed */
	PREV_QOS,	/* "burstable" / "besteffort" under kubepods */
	PREV_POD,	/* "pod<uuid>" under kubepods: a bare container id may follow */
	PREV_NAMESPACE, /* first segment, could be a containerd namespace */
	PREV_LXC,	/* first segment "lxc" (LXC 3): a container name follows */
};

struct state {
	struct workload_info *out;
	size_t index;	 /* segment number, from 0 */
	enum prev_kind prev;
	bool have_unit;
	bool ns_default; /* the first segment was "default" */
	bool in_docker;	 /* below a "docker" segment: docker's own tree */
	char slice[256]; /* deepest .slice so far */
};

static bool seg_eq(struct seg g, const char *lit)
{
	return g.n == strlen(lit) && !memcmp(g.s, lit, g.n);
}

static bool seg_has_prefix(struct seg g, const char *lit)
{
	size_t n = strlen(lit);

	return g.n >= n && !memcmp(g.s, lit, n);
}

static bool seg_has_suffix(struct seg g, const char *lit)
{
	size_t n = strlen(lit);

	return g.n >= n && !memcmp(g.s + g.n - n, lit, n);
}

static void copy_field(char *dst, size_t size, const char *s, size_t n)
{
	if (n >= size)
		n = size - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

static bool is_lower_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static bool is_id(const char *s, size_t n)
{
	size_t i;

	if (n != ID_LEN)
		return false;
	for (i = 0; i < n; i++)
		if (!is_lower_hex(s[i]))
			return false;
	return true;
}

/* Canonical lowercase UUID, with sep ('-' or '_') between the groups; written to out
 * with dashes. */
static bool parse_uuid(const char *s, size_t n, char sep, char out[UUID_LEN + 1])
{
	size_t i;

	if (n != UUID_LEN)
		return false;
	for (i = 0; i < n; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != sep : !is_lower_hex(s[i]))
			return false;
		out[i] = dash ? '-' : s[i];
	}
	out[n] = '\0';
	return true;
}

static void set_container(struct state *st, const char *runtime, const char *id)
{
	st->out->container_name[0] = '\0'; /* innermost wins */
	copy_field(st->out->runtime, sizeof(st->out->runtime), runtime, strlen(runtime));
	copy_field(st->out->container_id, sizeof(st->out->container_id), id, ID_LEN);
}

#define NAME_MAX_LEN 64

/* A container name as LXC and systemd-nspawn accept them (host-name characters, plus
 * the "\xNN" escapes systemd writes into an nspawn instance name). */
static bool is_container_name(const char *s, size_t n)
{
	if (!n || n > NAME_MAX_LEN || s[0] == '.' || s[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-' || c == '\\'))
			return false;
	}
	return true;
}

static void set_named_container(struct state *st, const char *runtime, const char *name,
				size_t n)
{
	st->out->container_id[0] = '\0'; /* innermost wins */
	copy_field(st->out->runtime, sizeof(st->out->runtime), runtime, strlen(runtime));
	copy_field(st->out->container_name, sizeof(st->out->container_name), name, n);
}

/* "<prefix><name><suffix>" with a well-formed name: set it, and say so. */
static bool named_between(struct state *st, struct seg g, const char *prefix,
			  const char *suffix, const char *runtime)
{
	size_t p = strlen(prefix), q = strlen(suffix);

	if (g.n <= p + q || !seg_has_prefix(g, prefix) || !seg_has_suffix(g, suffix) ||
	    !is_container_name(g.s + p, g.n - p - q))
		return false;
	set_named_container(st, runtime, g.s + p, g.n - p - q);
	return true;
}

/* "<prefix><id><suffix>" -> the id, or NULL. */
static const char *id_between(struct seg g, const char *prefix, const char *suffix)
{
	size_t p = strlen(prefix), q = strlen(suffix);

	if (!seg_has_prefix(g, prefix) || !seg_has_suffix(g, suffix) || g.n != p + ID_LEN + q)
		return NULL;
	return is_id(g.s + p, ID_LEN) ? g.s + p : NULL;
}

/* Single-segment container layouts. conmon segments match none: "crio-conmon-<id>" has
 * no id right after "crio-". */
static void match_container_segment(struct state *st, struct seg g)
{
	static const struct {
		const char *prefix, *suffix, *runtime;
	} forms[] = {
		{ "docker-", ".scope", "docker" },
		{ "cri-containerd-", ".scope", "containerd" },
		{ "crio-", ".scope", "cri-o" },
		{ "crio-", "", "cri-o" },
		{ "libpod-", ".scope", "podman" },
		{ "libpod-", "", "podman" },
		{ "nerdctl-", ".scope", "containerd" },
	};
	size_t i;

	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		const char *id = id_between(g, forms[i].prefix, forms[i].suffix);

		if (id) {
			set_container(st, forms[i].runtime, id);
			return;
		}
	}
	/* Named containers. An LXC name is all the segment after the prefix, so
	 * "lxc.payload.c1" is c1; the monitor ("lxc.monitor.c1") matches nothing. */
	if (named_between(st, g, "lxc.payload.", "", "lxc"))
		return;
	if (st->prev == PREV_LXC && st->index == 1 && named_between(st, g, "", "", "lxc"))
		return;
	named_between(st, g, "systemd-nspawn@", ".service", "systemd-nspawn");
}

static void kube_reset(struct state *st)
{
	st->out->pod_uid[0] = '\0';
	st->out->qos_class[0] = '\0';
}

static void set_qos(struct state *st, const char *qos)
{
	copy_field(st->out->qos_class, sizeof(st->out->qos_class), qos, strlen(qos));
}

static bool is_qos(const char *s, size_t n)
{
	return (n == 9 && !memcmp(s, "burstable", 9)) || (n == 10 && !memcmp(s, "besteffort", 10));
}

/* cgroupfs kubepods levels: "kubepods", "burstable"/"besteffort", "pod<uuid>". */
static enum prev_kind match_kube_cgroupfs(struct state *st, struct seg g)
{
	char uid[UUID_LEN + 1];

	if (seg_eq(g, "kubepods")) {
		kube_reset(st);
		return PREV_KUBEPODS;
	}
	if (st->prev == PREV_KUBEPODS && is_qos(g.s, g.n)) {
		copy_field(st->out->qos_class, sizeof(st->out->qos_class), g.s, g.n);
		return PREV_QOS;
	}
	if ((st->prev == PREV_KUBEPODS || st->prev == PREV_QOS) && seg_has_prefix(g, "pod") &&
	    parse_uuid(g.s + 3, g.n - 3, '-', uid)) {
		if (st->prev == PREV_KUBEPODS)
			set_qos(st, "guaranteed");
		memcpy(st->out->pod_uid, uid, sizeof(uid));
		return PREV_POD;
	}
	return PREV_OTHER;
}

/* systemd kubepods slice: dash-separated levels, "[prefix-]kubepods[-<qos>][-pod<uuid_>]". */
static void match_kube_slice(struct state *st, struct seg g)
{
	const char *p = g.s, *end = g.s + g.n - strlen(".slice"), *dash;
	char uid[UUID_LEN + 1];

	/* Find the "kubepods" level. */
	for (;;) {
		dash = memchr(p, '-', (size_t)(end - p));
		if ((size_t)((dash ? dash : end) - p) == 8 && !memcmp(p, "kubepods", 8))
			break;
		if (!dash)
			return;
		p = dash + 1;
	}
	kube_reset(st);
	if (!dash)
		return;
	p = dash + 1;
	dash = memchr(p, '-', (size_t)(end - p));
	if (is_qos(p, (size_t)((dash ? dash : end) - p))) {
		copy_field(st->out->qos_class, sizeof(st->out->qos_class), p,
			   (size_t)((dash ? dash : end) - p));
		if (!dash)
			return;
		p = dash + 1;
	}
	if (end - p < 3 || memcmp(p, "pod", 3))
		return;
	if (!parse_uuid(p + 3, (size_t)(end - p - 3), '_', uid))
		return;
	if (!st->out->qos_class[0])
		set_qos(st, "guaranteed");
	memcpy(st->out->pod_uid, uid, sizeof(uid));
}

static bool is_unit_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == ':' || c == '_' || c == '.' || c == '-' || c == '\\' || c == '@';
}

/* A systemd unit name with the given suffix: a non-empty name of unit characters, at
 * most one '@' and not leading, at most UNIT_NAME_MAX bytes. */
static bool is_unit(struct seg g, const char *suffix)
{
	size_t sn = strlen(suffix), i, ats = 0;

	if (g.n <= sn || g.n > UNIT_NAME_MAX || !seg_has_suffix(g, suffix) || g.s[0] == '@')
		return false;
	for (i = 0; i < g.n; i++) {
		if (!is_unit_char(g.s[i]))
			return false;
		ats += g.s[i] == '@';
	}
	return ats <= 1;
}

static bool is_process_unit(struct seg g)
{
	return is_unit(g, ".service") || is_unit(g, ".scope") || is_unit(g, ".socket") ||
	       is_unit(g, ".mount") || is_unit(g, ".swap");
}

/* A containerd namespace name: alnum runs joined by single '.', '_' or '-'; not a unit,
 * not "kubepods", not itself a container id. */
static bool is_namespace(struct seg g)
{
	size_t i;

	if (!g.n || g.n > 76 || is_id(g.s, g.n) || seg_eq(g, "kubepods") ||
	    seg_has_suffix(g, ".slice") || is_process_unit(g))
		return false;
	for (i = 0; i < g.n; i++) {
		char c = g.s[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
			continue;
		if ((c != '.' && c != '_' && c != '-') || i == 0 || i == g.n - 1)
			return false;
		if (g.s[i + 1] == '.' || g.s[i + 1] == '_' || g.s[i + 1] == '-')
			return false;
	}
	return true;
}

/* A bare 64-hex segment is a container only below "docker", right after a kubepods pod,
 * or right after a top-level containerd namespace. */
static void match_bare_id(struct state *st, struct seg g)
{
	if (!is_id(g.s, g.n))
		return;
	/* docker's tree at any depth (--cgroup-parent=/docker/ci), up to its
	 * first container: below that is the container's own */
	if (st->prev == PREV_DOCKER || st->in_docker) {
		set_container(st, "docker", g.s);
		st->in_docker = false;
	}
	else if (st->prev == PREV_POD)
		set_container(st, "", g.s);
	else if (st->prev == PREV_NAMESPACE && st->index == 1)
		set_container(st, st->ns_default ? "containerd" : "", g.s);
}

static void parse_segment(struct state *st, struct seg g)
{
	enum prev_kind next;

	match_bare_id(st, g);
	match_container_segment(st, g);
	if (is_unit(g, ".slice")) {
		copy_field(st->slice, sizeof(st->slice), g.s, g.n);
		match_kube_slice(st, g);
	} else if (is_process_unit(g)) {
		copy_field(st->out->systemd_unit, sizeof(st->out->systemd_unit), g.s, g.n);
		memcpy(st->out->systemd_slice, st->slice, sizeof(st->slice));
		st->have_unit = true;
	}
	next = match_kube_cgroupfs(st, g);
	if (next == PREV_OTHER && seg_eq(g, "docker")) {
		next = PREV_DOCKER;
		st->in_docker = true;
	}
	if (next == PREV_OTHER && st->index == 0 && seg_eq(g, "lxc"))
		next = PREV_LXC;
	if (next == PREV_OTHER && st->index == 0 && is_namespace(g)) {
		next = PREV_NAMESPACE;
		st->ns_default = seg_eq(g, "default");
	}
	st->prev = next;
	st->index++;
}

int cgroup_path_parse(const char *path, size_t len, struct workload_info *out)
{
	struct state st = { .out = out };
	const char *nul, *end, *p;

	if (!out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (!path)
		return len ? -EINVAL : 0;
	nul = memchr(path, '\0', len);
	end = nul ? nul : path + len;
	for (p = path; p < end;) {
		const char *slash = memchr(p, '/', (size_t)(end - p));
		struct seg g = { p, (size_t)((slash ? slash : end) - p) };

		if (g.n && !seg_eq(g, "."))
			parse_segment(&st, g);
		p = slash ? slash + 1 : end;
	}
	if (!st.have_unit)
		memcpy(out->systemd_slice, st.slice, sizeof(st.slice));
	return 0;
}
