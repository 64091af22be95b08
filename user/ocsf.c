// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Our events -> OCSF 1.1.0 (docs/ocsf.md). The converter works on a deep
 * copy of the event ("rest"): every field it maps exactly into OCSF is
 * removed from the copy, and what is left (always the chain and the
 * provenance) becomes unmapped.idtrace. Every read checks the JSON type; a
 * field that is missing or of the wrong type is simply not mapped, and stays
 * in unmapped.idtrace when it was there at all.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "ocsf.h"

#ifndef IDTRACE_VERSION
#define IDTRACE_VERSION "unknown"
#endif

#define OCSF_ID_UNSET 4294967295ll /* loginuid / audit session id not set */

enum {
	OCSF_ACT_UNKNOWN = 0,
	OCSF_ACT_LAUNCH = 1,	/* Process Activity */
	OCSF_ACT_OPEN = 14,	/* File System Activity */
	OCSF_ACT_START = 3,	/* Application Lifecycle */
	OCSF_ACT_OTHER = 99,
	OCSF_SEV_INFORMATIONAL = 1,
	OCSF_SEV_MEDIUM = 3,
	OCSF_STATUS_SUCCESS = 1,
	OCSF_STATUS_FAILURE = 2,
	OCSF_FILE_UNKNOWN = 0,
	OCSF_FILE_REGULAR = 1,
};

struct ocsf_class {
	int uid;
	const char *name;
	int category_uid;
	const char *category_name;
};

static const struct ocsf_class ocsf_process_activity = { 1007, "Process Activity", 1,
							 "System Activity" };
static const struct ocsf_class ocsf_file_activity = { 1001, "File System Activity", 1,
						      "System Activity" };
static const struct ocsf_class ocsf_http_activity = { 4002, "HTTP Activity", 4,
						      "Network Activity" };
static const struct ocsf_class ocsf_app_lifecycle = { 6002, "Application Lifecycle", 6,
						      "Application Activity" };

/* HTTP Activity activity ids of OCSF 1.1.0; other methods are 99 Other. */
static const char *const ocsf_http_methods[] = {
	NULL, "CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT", "TRACE",
};
static const char *const ocsf_http_activity_names[] = {
	"Unknown", "Connect", "Delete", "Get", "Head", "Options", "Post", "Put", "Trace",
};

/* The human hop of the chain: who actor.user is. */
struct ocsf_human {
	bool has_uid, has_session;
	json_int_t uid, session;
	const json_t *name; /* string or NULL */
};

/* --- time --- */

static bool ocsf_digits(const char *s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

static int ocsf_days_in_month(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil): no timegm, no TZ, no locale. */
static int64_t ocsf_days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int ocsf_parse_time(const char *s, size_t len, int64_t *ms)
{
	int y, mo, d, h, mi, sec, oh, om, frac = 0, off = 0;
	size_t i = 19;

	if (!s || len < 20)
		return -EINVAL;
	if (!ocsf_digits(s, 4, &y) || s[4] != '-' || !ocsf_digits(s + 5, 2, &mo) || s[7] != '-' ||
	    !ocsf_digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't') ||
	    !ocsf_digits(s + 11, 2, &h) || s[13] != ':' || !ocsf_digits(s + 14, 2, &mi) ||
	    s[16] != ':' || !ocsf_digits(s + 17, 2, &sec))
		return -EINVAL;
	if (mo < 1 || mo > 12 || d < 1 || d > ocsf_days_in_month(y, mo) || h > 23 || mi > 59 ||
	    sec > 60)
		return -EINVAL;
	if (s[i] == '.') {
		int n = 0;

		for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++, n++)
			if (n < 3)
				frac = frac * 10 + (s[i] - '0');
		if (n == 0)
			return -EINVAL;
		for (; n < 3; n++)
			frac *= 10;
	}
	if (i < len && (s[i] == 'Z' || s[i] == 'z')) {
		i++;
	} else if (i + 6 <= len && (s[i] == '+' || s[i] == '-') &&
		   ocsf_digits(s + i + 1, 2, &oh) && s[i + 3] == ':' &&
		   ocsf_digits(s + i + 4, 2, &om) && oh <= 23 && om <= 59) {
		off = (oh * 60 + om) * 60 * (s[i] == '-' ? -1 : 1);
		i += 6;
	} else {
		return -EINVAL;
	}
	if (i != len)
		return -EINVAL;
	*ms = (ocsf_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off) * 1000 +
	      frac;
	return 0;
}

/* --- JSON helpers: typed reads, and "take" = read and remove from rest --- */

static json_t *ocsf_obj_at(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_object(v) ? v : NULL;
}

static json_t *ocsf_str_at(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? v : NULL;
}

static bool ocsf_int_at(const json_t *o, const char *key, json_int_t *out)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v))
		return false;
	*out = json_integer_value(v);
	return true;
}

static json_t *ocsf_str_copy(const json_t *s)
{
	return s ? json_stringn(json_string_value(s), json_string_length(s)) : NULL;
}

/* A copy of o[key] when it is a string; the key is removed from o. */
static json_t *ocsf_take_str(json_t *o, const char *key)
{
	json_t *copy = ocsf_str_copy(ocsf_str_at(o, key));

	if (copy)
		json_object_del(o, key);
	return copy;
}

static bool ocsf_take_int(json_t *o, const char *key, json_int_t *out)
{
	if (!ocsf_int_at(o, key, out))
		return false;
	json_object_del(o, key);
	return true;
}

/* o[key] = v (a new reference, may be NULL: then nothing). */
static void ocsf_set(json_t *o, const char *key, json_t *v)
{
	if (v)
		json_object_set_new(o, key, v);
}

/* o[key] = v when v is a non-empty object; else v is dropped. */
static void ocsf_set_obj(json_t *o, const char *key, json_t *v)
{
	if (json_object_size(v) > 0)
		json_object_set_new(o, key, v);
	else
		json_decref(v);
}

/* OCSF ids such as user.uid and session.uid are strings. */
static json_t *ocsf_int_str(json_int_t v)
{
	return json_sprintf("%" JSON_INTEGER_FORMAT, v);
}

static void ocsf_set_enum(json_t *o, const char *id_key, int id, const char *name_key,
			  const char *name)
{
	ocsf_set(o, id_key, json_integer(id));
	ocsf_set(o, name_key, json_string(name));
}

/* The last component of path (a string), a new string; NULL when it has none. */
static json_t *ocsf_base_name(const json_t *path)
{
	const char *s = json_string_value(path), *slash;
	size_t len = json_string_length(path);

	if (!s)
		return NULL;
	while (len > 1 && s[len - 1] == '/')
		len--;
	slash = memrchr(s, '/', len);
	if (slash) {
		len -= slash + 1 - s;
		s = slash + 1;
	}
	return len ? json_stringn(s, len) : NULL;
}

/* An OCSF file {name, path, type_id, type} for path (ownership taken). */
static json_t *ocsf_file(json_t *path, int type_id)
{
	json_t *f = json_object();

	if (!f) {
		json_decref(path);
		return NULL;
	}
	if (path) {
		ocsf_set(f, "name", ocsf_base_name(path));
		ocsf_set(f, "path", path);
	}
	ocsf_set_enum(f, "type_id", type_id, "type",
		      type_id == OCSF_FILE_REGULAR ? "Regular File" : "Unknown");
	return f;
}

/* --- identity --- */

/* The first hop of the chain of the given kind, or NULL. */
static const json_t *ocsf_hop(const json_t *ev, const char *kind)
{
	json_t *chain = json_object_get(ev, "chain"), *h;
	size_t i;

	if (!json_is_array(chain))
		return NULL;
	json_array_foreach(chain, i, h) {
		const char *k = json_string_value(json_object_get(h, "kind"));

		if (json_is_object(h) && k && !strcmp(k, kind))
			return h;
	}
	return NULL;
}

static void ocsf_human_of(const json_t *ev, struct ocsf_human *hu)
{
	const json_t *h = ocsf_hop(ev, "human");

	memset(hu, 0, sizeof(*hu));
	if (!h)
		return;
	hu->has_uid = ocsf_int_at(h, "uid", &hu->uid) && hu->uid != OCSF_ID_UNSET;
	hu->has_session = ocsf_int_at(h, "session_id", &hu->session) &&
			  hu->session != OCSF_ID_UNSET;
	hu->name = ocsf_str_at(h, "user");
}

/* OCSF user {uid, name}: the name only when uid is the human's, whose name
 * the chain carries (a lookup in the same passwd database). */
static json_t *ocsf_user(json_int_t uid, const struct ocsf_human *hu)
{
	json_t *u = json_object();

	ocsf_set(u, "uid", ocsf_int_str(uid));
	if (hu->has_uid && hu->uid == uid)
		ocsf_set(u, "name", ocsf_str_copy(hu->name));
	return u;
}

static json_t *ocsf_session(json_int_t id)
{
	json_t *s = json_object();

	ocsf_set(s, "uid", ocsf_int_str(id));
	return s;
}

/* actor.user and actor.session from the human hop. */
static void ocsf_actor_human(json_t *actor, const struct ocsf_human *hu)
{
	json_t *u;

	if (hu->has_uid) {
		u = json_object();
		ocsf_set(u, "uid", ocsf_int_str(hu->uid));
		ocsf_set(u, "name", ocsf_str_copy(hu->name));
		ocsf_set_obj(actor, "user", u);
	}
	if (hu->has_session)
		ocsf_set_obj(actor, "session", ocsf_session(hu->session));
}

/* argv joined with spaces (elements already redacted); NULL when args is
 * not an array. */
static json_t *ocsf_cmd_line(const json_t *args)
{
	size_t i, len = 0, n = 0;
	json_t *a, *out;
	char *buf;

	if (!json_is_array(args))
		return NULL;
	json_array_foreach(args, i, a)
		if (json_is_string(a))
			len += json_string_length(a) + 1;
	buf = malloc(len + 1);
	if (!buf)
		return NULL;
	json_array_foreach(args, i, a) {
		if (!json_is_string(a))
			continue;
		if (n)
			buf[n++] = ' ';
		memcpy(buf + n, json_string_value(a), json_string_length(a));
		n += json_string_length(a);
	}
	out = json_stringn(buf, n);
	free(buf);
	return out;
}

/* process.lineage: ancestors' paths, oldest first, then the process's own;
 * NULL unless every ancestor the chain lists has an exe. */
static json_t *ocsf_lineage(const json_t *ancestors, const json_t *exe)
{
	json_t *out = json_array(), *a;
	size_t n = json_array_size(ancestors);

	for (size_t i = n; i-- > 0;) {
		a = ocsf_str_at(json_array_get(ancestors, i), "exe");
		if (!a) {
			json_decref(out);
			return NULL;
		}
		json_array_append_new(out, ocsf_str_copy(a));
	}
	json_array_append_new(out, ocsf_str_copy(exe));
	return out;
}

/* The pid an exec_id ("<boot>-<pid>-<image_ns>") names, or -1. */
static json_int_t exec_id_pid(const json_t *exec_id)
{
	const char *s = json_string_value(exec_id), *a, *b;
	json_int_t pid = 0;

	if (!s || !(a = strchr(s, '-')) || !(b = strchr(a + 1, '-')) || b == a + 1)
		return -1;
	for (const char *c = a + 1; c < b; c++) {
		if (*c < '0' || *c > '9' || pid > 99999999)
			return -1;
		pid = pid * 10 + (*c - '0');
	}
	return pid;
}

/* parent_process {pid, uid, file, name, user}: one process, the lineage's
 * parent image: uid is parent_exec_id and pid the pid it names (our ppid
 * but for a process that exec'd without a fork, whose parent image is its
 * own earlier one, and for clone(CLONE_PARENT)); the rest from the chain's
 * nearest ancestor, and only when it is that same image. */
static json_t *ocsf_parent(json_t *p, const json_t *ancestors, const struct ocsf_human *hu)
{
	json_t *out = json_object(), *pexec = ocsf_take_str(p, "parent_exec_id");
	const json_t *a = json_array_get(ancestors, 0);
	json_int_t v, ppid;
	bool has_pid = false;

	if (ocsf_take_int(p, "ppid", &v)) {
		ppid = exec_id_pid(pexec);
		ocsf_set(out, "pid", json_integer(ppid >= 0 ? ppid : v));
		has_pid = true;
	}
	if (pexec && json_is_object(a) && json_equal(json_object_get(a, "exec_id"), pexec)) {
		json_t *exe = ocsf_str_copy(ocsf_str_at(a, "exe"));

		if (!has_pid && ocsf_int_at(a, "pid", &v))
			ocsf_set(out, "pid", json_integer(v));
		if (exe) {
			ocsf_set(out, "name", ocsf_base_name(exe));
			ocsf_set(out, "file", ocsf_file(exe, OCSF_FILE_REGULAR));
		}
		if (ocsf_int_at(a, "uid", &v))
			ocsf_set(out, "user", ocsf_user(v, hu));
	}
	ocsf_set(out, "uid", pexec);
	return out;
}

/* OCSF process from our "process" object p (inside rest: what is mapped is
 * removed from it); p may be NULL. */
static json_t *ocsf_process(json_t *p, const json_t *ev, const struct ocsf_human *hu)
{
	json_t *out = json_object(), *exec_id, *exe, *ancestors = NULL;
	const json_t *phop = ocsf_hop(ev, "process");
	json_int_t v;

	if (!out || !p)
		return out;
	exec_id = ocsf_take_str(p, "exec_id");
	exe = ocsf_take_str(p, "exe");
	/* The chain's process hop describes this image only when exec_ids agree. */
	if (exec_id && phop && json_equal(json_object_get(phop, "exec_id"), exec_id) &&
	    json_is_array(json_object_get(phop, "ancestors")))
		ancestors = json_object_get(phop, "ancestors");
	if (ocsf_take_int(p, "pid", &v))
		ocsf_set(out, "pid", json_integer(v));
	ocsf_set(out, "uid", exec_id);
	if (exe) {
		ocsf_set(out, "name", ocsf_base_name(exe));
		if (ancestors)
			ocsf_set(out, "lineage", ocsf_lineage(ancestors, exe));
		ocsf_set(out, "file", ocsf_file(exe, OCSF_FILE_REGULAR));
	}
	ocsf_set(out, "cmd_line", ocsf_cmd_line(json_object_get(p, "args")));
	if (ocsf_take_int(p, "uid", &v))
		ocsf_set(out, "user", ocsf_user(v, hu));
	if (ocsf_int_at(p, "session_id", &v) && v != OCSF_ID_UNSET) {
		ocsf_set(out, "session", ocsf_session(v));
		json_object_del(p, "session_id");
	}
	ocsf_set_obj(out, "parent_process", ocsf_parent(p, ancestors, hu));
	return out;
}

/* --- classes --- */

/* 3 Medium when the provenance says identities crossed (a credential read
 * by another originator: credential_pivot on a credential.read; read,
 * presented or held by another: credential_crossed_identities on a
 * tls.request; a CI job claimed against its lineage); else 1 Informational. */
static int ocsf_severity(const json_t *ev)
{
	json_t *reasons = json_object_get(json_object_get(ev, "provenance"), "reasons"), *r;
	size_t i;

	json_array_foreach(reasons, i, r) {
		const char *s = json_string_value(r);

		if (s && (!strncmp(s, "credential_pivot:", 17) ||
			  !strncmp(s, "credential_crossed_identities:", 30) ||
			  !strncmp(s, "ci_context_conflict:", 20)))
			return OCSF_SEV_MEDIUM;
	}
	return OCSF_SEV_INFORMATIONAL;
}

static const char *ocsf_severity_name(int id)
{
	return id == OCSF_SEV_MEDIUM ? "Medium" : "Informational";
}

/* Class, activity, type, severity, time, metadata and device. */
static json_t *ocsf_base(const struct ocsf_class *c, int activity_id, const json_t *activity_name,
			 int severity_id, json_t *rest)
{
	json_t *out = json_object(), *meta, *product, *device, *host, *t;
	int64_t ms;

	if (!out)
		return NULL;
	ocsf_set(out, "class_uid", json_integer(c->uid));
	ocsf_set(out, "class_name", json_string(c->name));
	ocsf_set(out, "category_uid", json_integer(c->category_uid));
	ocsf_set(out, "category_name", json_string(c->category_name));
	ocsf_set(out, "activity_id", json_integer(activity_id));
	ocsf_set(out, "activity_name", ocsf_str_copy(activity_name));
	ocsf_set(out, "type_uid", json_integer((json_int_t)c->uid * 100 + activity_id));
	ocsf_set(out, "type_name",
		 json_sprintf("%s: %s", c->name, json_string_value(activity_name)));
	ocsf_set_enum(out, "severity_id", severity_id, "severity",
		      ocsf_severity_name(severity_id));

	meta = json_object();
	product = json_pack("{s:s, s:s, s:s}", "name", "idtrace", "vendor_name", "idtrace",
			    "version", IDTRACE_VERSION);
	ocsf_set(meta, "version", json_string(OCSF_SCHEMA_VERSION));
	ocsf_set(meta, "product", product);
	ocsf_set(meta, "profiles", json_pack("[s]", "host"));
	t = ocsf_str_at(rest, "time");
	if (t) {
		/* ms in "time"; the full ns precision as given in original_time */
		if (ocsf_parse_time(json_string_value(t), json_string_length(t), &ms) == 0)
			ocsf_set(out, "time", json_integer(ms));
		ocsf_set(meta, "original_time", ocsf_str_copy(t));
		json_object_del(rest, "time");
	}
	ocsf_set(out, "metadata", meta);

	device = json_object();
	host = ocsf_obj_at(rest, "host");
	ocsf_set(device, "hostname", ocsf_take_str(host, "hostname"));
	ocsf_set_enum(device, "type_id", 0, "type", "Unknown");
	ocsf_set(out, "device", device);
	return out;
}

static void ocsf_set_status(json_t *out, int id, json_t *code)
{
	ocsf_set_enum(out, "status_id", id, "status",
		      id == OCSF_STATUS_SUCCESS ? "Success" : "Failure");
	if (code) {
		ocsf_set(out, "status_code", json_copy(code));
		ocsf_set(out, "status_detail", code);
	}
}

/* process.exec: the launched image is "process"; the actor is the image
 * that called execve (its parent_process). Only successful execs are
 * reported by the probe. */
static void ocsf_exec(json_t *out, json_t *rest, const json_t *ev, const struct ocsf_human *hu)
{
	json_t *proc = ocsf_process(ocsf_obj_at(rest, "process"), ev, hu);
	json_t *actor = json_object();

	ocsf_set_obj(actor, "process", json_deep_copy(json_object_get(proc, "parent_process")));
	ocsf_actor_human(actor, hu);
	ocsf_set_obj(out, "actor", actor);
	ocsf_set_obj(out, "process", proc);
	ocsf_set_status(out, OCSF_STATUS_SUCCESS, NULL);
}

/* The actor of credential.read and tls.request: the process itself. */
static void ocsf_actor(json_t *out, json_t *rest, const json_t *ev, const struct ocsf_human *hu)
{
	json_t *actor = json_object();

	ocsf_set_obj(actor, "process", ocsf_process(ocsf_obj_at(rest, "process"), ev, hu));
	ocsf_actor_human(actor, hu);
	ocsf_set_obj(out, "actor", actor);
}

static void ocsf_cred(json_t *out, json_t *rest, const json_t *ev, const struct ocsf_human *hu)
{
	json_t *f = ocsf_obj_at(rest, "file"), *file, *dev, *res;
	json_int_t ino;

	ocsf_actor(out, rest, ev, hu);
	if (!f)
		return;
	/* type_id Unknown: the event does not say what kind of file it is */
	file = ocsf_file(ocsf_take_str(f, "path"), OCSF_FILE_UNKNOWN);
	dev = ocsf_str_at(f, "device");
	if (file && dev && ocsf_int_at(f, "inode", &ino)) {
		ocsf_set(file, "uid", json_sprintf("%s:%" JSON_INTEGER_FORMAT,
						   json_string_value(dev), ino));
		json_object_del(f, "device");
		json_object_del(f, "inode");
	}
	ocsf_set(out, "file", file);
	res = json_object_get(f, "result");
	if (json_is_string(res)) {
		/* the errno name of a failed open, e.g. "EACCES" */
		ocsf_set_status(out, OCSF_STATUS_FAILURE, ocsf_str_copy(res));
		json_object_del(f, "result");
	} else if (json_is_integer(res) && json_integer_value(res) < 0) {
		ocsf_set_status(out, OCSF_STATUS_FAILURE, ocsf_int_str(json_integer_value(res)));
		json_object_del(f, "result");
	} else if (json_is_integer(res)) {
		/* the fd: no OCSF home, stays in unmapped */
		ocsf_set_status(out, OCSF_STATUS_SUCCESS, NULL);
	}
}

/* "host[:port]", "[v6]:port" -> url.hostname, url.port. */
static void ocsf_url_host(json_t *url, const json_t *host)
{
	const char *s = json_string_value(host), *colon = NULL, *h = s;
	size_t len = json_string_length(host), hlen = len;
	long port = -1;

	if (len && s[0] == '[') {
		const char *close = memchr(s, ']', len);

		if (!close)
			goto whole;
		h = s + 1;
		hlen = close - h;
		if (close + 1 < s + len) {
			if (close[1] != ':')
				goto whole;
			colon = close + 1;
		}
	} else {
		colon = memchr(s, ':', len);
		if (colon && memchr(colon + 1, ':', s + len - colon - 1))
			goto whole; /* a bare IPv6 address */
		if (colon)
			hlen = colon - s;
	}
	if (colon) {
		const char *p = colon + 1, *end = s + len;

		if (p == end || end - p > 5)
			goto whole;
		for (port = 0; p < end; p++) {
			if (*p < '0' || *p > '9')
				goto whole;
			port = port * 10 + (*p - '0');
		}
		if (port < 1 || port > 65535)
			goto whole;
	}
	ocsf_set(url, "hostname", json_stringn(h, hlen));
	if (port > 0)
		ocsf_set(url, "port", json_integer(port));
	return;
whole:
	ocsf_set(url, "hostname", ocsf_str_copy(host));
}

/* An OCSF network endpoint {ip, port} from our {"ip","port"} (in rest). */
static json_t *ocsf_endpoint(json_t *tls, const char *key)
{
	json_t *e = ocsf_obj_at(tls, key), *out = json_object();
	json_int_t port;

	if (!e)
		return out;
	ocsf_set(out, "ip", ocsf_take_str(e, "ip"));
	if (ocsf_take_int(e, "port", &port))
		ocsf_set(out, "port", json_integer(port));
	if (json_object_size(e) == 0)
		json_object_del(tls, key);
	return out;
}

static void ocsf_tls_request(json_t *out, json_t *rest, const json_t *ev,
			     const struct ocsf_human *hu)
{
	json_t *h = ocsf_obj_at(rest, "http"), *t = ocsf_obj_at(rest, "tls");
	json_t *req = json_object(), *url = json_object(), *tls = json_object();
	json_t *dst, *host, *path, *tp, *sni;

	ocsf_actor(out, rest, ev, hu);

	ocsf_set(req, "http_method", ocsf_take_str(h, "method"));
	host = ocsf_str_at(h, "host");
	path = ocsf_str_at(h, "path");
	if (host || path) {
		ocsf_set(url, "scheme", json_string("https"));
		if (host)
			ocsf_url_host(url, host);
		ocsf_set(url, "path", ocsf_str_copy(path));
		if (host && path && json_string_value(path)[0] == '/')
			ocsf_set(url, "url_string",
				 json_sprintf("https://%s%s", json_string_value(host),
					      json_string_value(path)));
		if (host)
			json_object_del(h, "host");
		if (path)
			json_object_del(h, "path");
	}
	ocsf_set_obj(req, "url", url);
	ocsf_set(req, "user_agent", ocsf_take_str(h, "user_agent"));
	ocsf_set(req, "version", ocsf_take_str(h, "version"));
	tp = ocsf_take_str(h, "traceparent");
	if (tp)
		ocsf_set(req, "http_headers", json_pack("[{s:s, s:o}]", "name", "traceparent",
							"value", tp));
	ocsf_set_obj(out, "http_request", req);

	sni = ocsf_take_str(t, "server_name");
	dst = ocsf_endpoint(t, "remote");
	ocsf_set(dst, "hostname", ocsf_str_copy(sni));
	ocsf_set_obj(out, "dst_endpoint", dst);
	ocsf_set_obj(out, "src_endpoint", ocsf_endpoint(t, "local"));
	ocsf_set(tls, "sni", sni);
	ocsf_set_obj(out, "tls", tls);
}

static void ocsf_agent(json_t *out, json_t *rest)
{
	json_t *a = ocsf_obj_at(rest, "agent"), *actor = json_object(), *proc = json_object();
	json_t *app = json_pack("{s:s, s:s}", "name", "idtrace", "vendor_name", "idtrace");
	json_int_t pid;

	ocsf_set(app, "version", ocsf_take_str(a, "version"));
	ocsf_set(out, "app", app);
	if (ocsf_take_int(a, "pid", &pid))
		ocsf_set(proc, "pid", json_integer(pid));
	ocsf_set_obj(actor, "process", proc);
	ocsf_set_obj(out, "actor", actor);
}

/* HTTP Activity activity id from the method; its name for 99 Other is the
 * method itself. */
static int ocsf_http_activity_id(const json_t *ev, json_t **name)
{
	const json_t *m = ocsf_str_at(ocsf_obj_at(ev, "http"), "method");
	size_t n = sizeof(ocsf_http_methods) / sizeof(ocsf_http_methods[0]);

	if (!m) {
		*name = json_string(ocsf_http_activity_names[0]);
		return OCSF_ACT_UNKNOWN;
	}
	for (size_t i = 1; i < n; i++) {
		if (!strcmp(json_string_value(m), ocsf_http_methods[i]) &&
		    json_string_length(m) == strlen(ocsf_http_methods[i])) {
			*name = json_string(ocsf_http_activity_names[i]);
			return i;
		}
	}
	*name = ocsf_str_copy(m);
	return OCSF_ACT_OTHER;
}

/* Application Lifecycle for agent.*: ready is Start; stats, loss and any
 * later agent.* are 99 Other named after the event. */
static int ocsf_agent_activity(const char *type, json_t **name)
{
	if (!strcmp(type, "agent.ready")) {
		*name = json_string("Start");
		return OCSF_ACT_START;
	}
	if (!strcmp(type, "agent.stats"))
		*name = json_string("Stats");
	else if (!strcmp(type, "agent.loss"))
		*name = json_string("Loss");
	else
		*name = json_string(type);
	return OCSF_ACT_OTHER;
}

/* Drop the objects the mapping emptied; what is left goes to unmapped. */
static void ocsf_prune(json_t *rest)
{
	static const char *const keys[] = { "host", "process", "file", "tls", "http", "agent" };

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		json_t *o = ocsf_obj_at(rest, keys[i]);

		if (o && json_object_size(o) == 0)
			json_object_del(rest, keys[i]);
	}
}

json_t *ocsf_from_event(const json_t *ev)
{
	const json_t *tv = ocsf_str_at(ev, "type");
	const char *type = json_string_value(tv);
	const struct ocsf_class *c;
	json_t *out = NULL, *rest, *name = NULL;
	struct ocsf_human hu;
	int act, sev;

	if (!json_is_object(ev) || !type || strlen(type) != json_string_length(tv))
		return NULL;
	sev = ocsf_severity(ev);
	if (!strcmp(type, "process.exec")) {
		c = &ocsf_process_activity;
		act = OCSF_ACT_LAUNCH;
		name = json_string("Launch");
	} else if (!strcmp(type, "credential.read")) {
		c = &ocsf_file_activity;
		act = OCSF_ACT_OPEN;
		name = json_string("Open");
	} else if (!strcmp(type, "tls.request")) {
		c = &ocsf_http_activity;
		act = ocsf_http_activity_id(ev, &name);
	} else if (!strncmp(type, "agent.", 6)) {
		c = &ocsf_app_lifecycle;
		act = ocsf_agent_activity(type, &name);
		/* lost events are a blind spot in the record */
		sev = !strcmp(type, "agent.loss") ? OCSF_SEV_MEDIUM : OCSF_SEV_INFORMATIONAL;
	} else {
		return NULL;
	}
	rest = json_deep_copy(ev);
	if (!rest || !name)
		goto out;
	out = ocsf_base(c, act, name, sev, rest);
	if (!out)
		goto out;
	ocsf_human_of(ev, &hu);
	if (c == &ocsf_process_activity)
		ocsf_exec(out, rest, ev, &hu);
	else if (c == &ocsf_file_activity)
		ocsf_cred(out, rest, ev, &hu);
	else if (c == &ocsf_http_activity)
		ocsf_tls_request(out, rest, ev, &hu);
	else
		ocsf_agent(out, rest);
	ocsf_prune(rest);
	ocsf_set(out, "unmapped", json_pack("{s:O}", "idtrace", rest));
out:
	json_decref(name);
	json_decref(rest);
	return out;
}
