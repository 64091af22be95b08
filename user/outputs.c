// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "log.h"
#include "ocsf.h"
#include "json_write.h"
#include "outputs.h"
#include "sink_runner.h"
#include "sink_spec.h"

#define LINE_BUF (64 * 1024)

/* --output FILE: relative paths are taken from the current directory. */
static int file_spec(const char *path, struct sink_spec *s, char *err, size_t errn)
{
	char cwd[4096], abs[8192];

	if (path[0] != '/') {
		if (!getcwd(cwd, sizeof(cwd))) {
			snprintf(err, errn, "--output %s: cannot read the current directory", path);
			return -EINVAL;
		}
		snprintf(abs, sizeof(abs), "%s/%s", cwd, path);
	} else {
		snprintf(abs, sizeof(abs), "%s", path);
	}
	memset(s, 0, sizeof(*s));
	s->scheme = strdup("file");
	s->path = strdup(abs);
	s->options = json_pack("{s:i}", "max_size_mb", 0);
	if (asprintf(&s->uri, "file://%s", abs) < 0)
		s->uri = NULL;
	s->format = SINK_FORMAT_JSON;
	return s->scheme && s->path && s->options && s->uri ? 0 : -ENOMEM;
}

void outputs_specs_free(struct sink_spec *specs, int n)
{
	for (int i = 0; i < n; i++)
		sink_spec_free(&specs[i]);
	free(specs);
}

/* Two sinks on one destination would write every line twice (a file given
 * to --output and as file://, the same syslog server twice). */
static int check_distinct(const struct sink_spec *v, int k, char *err, size_t errn)
{
	for (int a = 0; a < k; a++)
		for (int b = a + 1; b < k; b++) {
			bool same = !strcmp(v[a].scheme, v[b].scheme) &&
				    (v[a].path && v[b].path ? !strcmp(v[a].path, v[b].path)
							    : !strcmp(v[a].uri, v[b].uri));

			if (same) {
				snprintf(err, errn, "%s is given twice (--output, --sink or the "
					 "config's sinks): every line would be written twice",
					 v[b].uri);
				return -EINVAL;
			}
		}
	return 0;
}

int outputs_specs(const struct config *cfg, struct sink_spec **specs, int *n, char *err,
		  size_t errn)
{
	size_t want = (cfg->sinks ? json_array_size(cfg->sinks) : 0) + 1, i;
	struct sink_spec *v = calloc(want, sizeof(*v));
	json_t *e;
	int k = 0, rc = 0;

	if (!v)
		return -ENOMEM;
	json_array_foreach(cfg->sinks, i, e) {
		const char *uri = json_is_string(e) ? json_string_value(e)
						    : json_string_value(json_object_get(e, "uri"));

		rc = sink_spec_parse(uri, json_is_object(e) ? e : NULL, &v[k], err, errn);
		if (rc)
			goto fail;
		k++;
	}
	if (cfg->output && strcmp(cfg->output, "-")) {
		rc = file_spec(cfg->output, &v[k], err, errn);
		k++;
	} else if (!k || (cfg->output && !strcmp(cfg->output, "-"))) {
		rc = sink_spec_parse("stdout", NULL, &v[k], err, errn);
		k += !rc;
	}
	if (rc)
		goto fail;
	rc = check_distinct(v, k, err, errn);
	if (rc)
		goto fail;
	*specs = v;
	*n = k;
	return 0;
fail:
	outputs_specs_free(v, k);
	return rc;
}

struct output_sink {
	struct outputs *set;
	struct sink_runner *runner;
	enum sink_format format;
	char *uri;
};

struct outputs {
	struct output_sink *sinks;
	int n, cap;
	const struct host_info *host;
	char json_buf[LINE_BUF];
	uint64_t unformatted; /* events OCSF has no class for (never happens for ours) */
};

/* ev as one compact line. Returns its length, with *line pointing at buf
 * or at a new string the caller frees (*big). 0 on failure. */
static size_t dump(const json_t *ev, const struct json_frags *frags, char *buf, size_t cap,
		   char **big)
{
	size_t n = json_write_compact_frags(ev, buf, cap, frags);

	*big = NULL;
	if (n && n <= cap)
		return n;
	*big = json_dumps(ev, JSON_COMPACT);
	return *big ? strlen(*big) : 0;
}

static void rfc3339_now(char *buf, size_t n)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec);
}

/* The runner's agent.loss line for this sink (runs on its thread). */
static char *loss_line(void *ctx, const char *uri, uint64_t dropped)
{
	struct output_sink *s = ctx;
	char now[40];
	json_t *ev, *ocsf;
	char *line;

	rfc3339_now(now, sizeof(now));
	ev = json_pack("{s:i, s:s, s:s, s:{s:s, s:s}, s:{s:s, s:I, s:s}}", "schema_version", 1,
		       "type", "agent.loss", "time", now, "host", "hostname",
		       s->set->host->hostname, "boot_id", s->set->host->boot_id, "loss", "sink",
		       uri, "dropped", (json_int_t)dropped, "reason",
		       "spool full or memory queue full while the sink was down or slow");
	if (!ev)
		return NULL;
	if (s->format == SINK_FORMAT_OCSF) {
		ocsf = ocsf_from_event(ev);
		if (ocsf) {
			json_decref(ev);
			ev = ocsf;
		}
	}
	line = json_dumps(ev, JSON_COMPACT);
	json_decref(ev);
	return line;
}

/* One throw-away connection: the sink exists and answers. */
static int probe_sink(const struct sink_ops *ops, const struct sink_spec *spec, char *err,
		      size_t errn)
{
	char why[512] = "";
	void *st = ops->create(spec, why, sizeof(why));
	int rc;

	if (!st) {
		snprintf(err, errn, "sink %s: %s", spec->uri, why[0] ? why : "cannot be set up");
		return -EINVAL;
	}
	rc = ops->connect(st, why, sizeof(why));
	if (!rc && ops->reach)
		rc = ops->reach(st, why, sizeof(why));
	if (rc)
		snprintf(err, errn, "sink %s: cannot connect: %s", spec->uri,
			 why[0] ? why : strerror(-rc));
	else if (ops->disconnect)
		ops->disconnect(st);
	ops->destroy(st);
	return rc ? -EHOSTUNREACH : 0;
}

int outputs_check(const struct sink_spec *specs, int n, char *err, size_t errn)
{
	for (int i = 0; i < n; i++) {
		const struct sink_ops *ops = sink_ops_for(specs[i].scheme);
		int rc;

		if (!ops) {
			snprintf(err, errn, "sink %s: unknown scheme '%s'", specs[i].uri,
				 specs[i].scheme);
			return -EINVAL;
		}
		rc = sink_spec_check_options(&specs[i], ops->options, err, errn);
		if (rc)
			return rc;
		rc = probe_sink(ops, &specs[i], err, errn);
		if (rc)
			return rc;
	}
	return 0;
}

int outputs_open(const struct sink_spec *specs, int n, const struct outputs_opts *o,
		 struct outputs **out, char *err, size_t errn)
{
	struct outputs *set = calloc(1, sizeof(*set));
	int rc = -ENOMEM;

	if (!set || !(set->sinks = calloc(n ? n : 1, sizeof(*set->sinks)))) {
		free(set);
		return -ENOMEM;
	}
	set->host = o->host;
	set->cap = n;
	rc = outputs_check(specs, n, err, errn);
	if (rc)
		goto fail;
	for (int i = 0; i < n; i++) {
		const struct sink_ops *ops = sink_ops_for(specs[i].scheme);
		struct output_sink *s = &set->sinks[i];
		char spool[4096], why[512] = "";
		struct sink_runner_opts ro = {
			.spool_max_bytes = o->spool_max_bytes,
			.backoff_max_ms = o->backoff_max_ms,
			.defer_wakeups = o->defer_wakeups,
			.loss_line = loss_line,
			.loss_ctx = s,
		};
		void *st;

		s->set = set;
		s->format = specs[i].format;
		s->uri = strdup(specs[i].uri);
		if (o->state_dir) {
			rc = sink_runner_spool_dir(o->state_dir, specs[i].scheme, specs[i].uri, spool,
						   sizeof(spool));
			if (rc) {
				snprintf(err, errn, "sink %s: state directory path too long",
					 specs[i].uri);
				goto fail;
			}
			ro.spool_dir = spool;
		}
		st = ops->create(&specs[i], why, sizeof(why));
		if (!st) {
			snprintf(err, errn, "sink %s: %s", specs[i].uri, why);
			rc = -EINVAL;
			goto fail;
		}
		rc = sink_runner_start(ops, st, &specs[i], &ro, &s->runner, why, sizeof(why));
		if (rc) {
			ops->destroy(st);
			snprintf(err, errn, "sink %s: %s", specs[i].uri, why);
			goto fail;
		}
		set->n++;
	}
	*out = set;
	return 0;
fail:
	outputs_close(set, 0);
	return rc;
}

/* One event's lines: each format is made at most once, however many sinks
 * take it. err: -ENOMEM when a line could not be made. */
struct event_lines {
	const json_t *ev;
	const struct json_frags *frags;
	const char *line[2]; /* by enum sink_format; NULL: none (see err) */
	size_t len[2];
	bool done[2];
	char *owned[2];
	int err;
};

static const char *line_for(struct outputs *o, struct event_lines *el, enum sink_format f,
			    size_t *len)
{
	json_t *ocsf = NULL;

	if (!el->done[f]) {
		el->done[f] = true;
		if (f == SINK_FORMAT_JSON) {
			el->len[f] = dump(el->ev, el->frags, o->json_buf, sizeof(o->json_buf),
					  &el->owned[f]);
			el->line[f] = !el->len[f] ? NULL : el->owned[f] ? el->owned[f] : o->json_buf;
		} else if (!(ocsf = ocsf_from_event(el->ev))) {
			o->unformatted++; /* no OCSF class for it */
		} else {
			el->owned[f] = json_dumps(ocsf, JSON_COMPACT);
			json_decref(ocsf);
			el->line[f] = el->owned[f];
			el->len[f] = el->owned[f] ? strlen(el->owned[f]) : 0;
		}
		if (!el->line[f] && (f == SINK_FORMAT_JSON || ocsf))
			el->err = -ENOMEM;
	}
	*len = el->len[f];
	return el->line[f];
}

static void enqueue_all(struct outputs *o, struct event_lines *el, const char *type)
{
	for (int i = 0; i < o->n; i++) {
		size_t len;
		const char *line = line_for(o, el, o->sinks[i].format, &len);

		if (line)
			sink_runner_enqueue(o->sinks[i].runner, line, len, type);
	}
	free(el->owned[0]);
	free(el->owned[1]);
}

int outputs_emit(struct outputs *o, const json_t *ev, const struct json_frags *frags)
{
	struct event_lines el = { .ev = ev, .frags = frags };

	enqueue_all(o, &el, json_string_value(json_object_get(ev, "type")));
	return el.err;
}

void outputs_kick(struct outputs *o)
{
	for (int i = 0; i < o->n; i++)
		sink_runner_kick(o->sinks[i].runner);
}

bool outputs_gone(struct outputs *o)
{
	for (int i = 0; i < o->n; i++)
		if (!sink_runner_gone(o->sinks[i].runner))
			return false;
	return o->n > 0;
}

bool outputs_settle(struct outputs *o, unsigned timeout_ms)
{
	const struct timespec step = { .tv_nsec = 2 * 1000 * 1000 };

	outputs_kick(o);
	for (unsigned waited = 0;; waited += 2) {
		bool settled = true;

		for (int i = 0; i < o->n && settled; i++)
			settled = sink_runner_settled(o->sinks[i].runner);
		if (settled)
			return true;
		if (waited >= timeout_ms)
			return false;
		nanosleep(&step, NULL);
	}
}

int outputs_emit_line(struct outputs *o, const char *line, size_t len, const char *type)
{
	struct event_lines el = {
		.line = { [SINK_FORMAT_JSON] = line },
		.len = { [SINK_FORMAT_JSON] = len },
		.done = { [SINK_FORMAT_JSON] = true },
	};
	bool need_ocsf = false;
	json_t *ev = NULL;

	for (int i = 0; i < o->n; i++)
		need_ocsf |= o->sinks[i].format == SINK_FORMAT_OCSF;
	if (need_ocsf || !type) {
		ev = json_loadb(line, len, 0, NULL);
		if (!type)
			type = json_string_value(json_object_get(ev, "type"));
	}
	if (need_ocsf && !json_is_object(ev)) {
		/* not a JSON object (or no memory to parse it): JSON sinks only */
		el.done[SINK_FORMAT_OCSF] = true;
		el.err = -EINVAL;
	}
	el.ev = ev;
	enqueue_all(o, &el, type);
	json_decref(ev);
	return el.err;
}

void outputs_reopen(struct outputs *o)
{
	for (int i = 0; i < o->n; i++)
		sink_runner_reopen(o->sinks[i].runner);
}

json_t *outputs_stats(struct outputs *o)
{
	json_t *arr = json_array();

	for (int i = 0; i < o->n; i++) {
		json_t *s = json_object();

		sink_runner_stats(o->sinks[i].runner, s);
		json_object_set_new(s, "format",
				    json_string(o->sinks[i].format == SINK_FORMAT_OCSF ? "ocsf"
											: "json"));
		json_array_append_new(arr, s);
	}
	return arr;
}

uint64_t outputs_dropped(struct outputs *o)
{
	uint64_t total = 0;

	for (int i = 0; i < o->n; i++)
		total += sink_runner_dropped(o->sinks[i].runner);
	return total;
}

json_t *outputs_describe(const struct outputs *o)
{
	json_t *arr = json_array();

	for (int i = 0; i < o->n; i++)
		json_array_append_new(arr, json_string(o->sinks[i].uri));
	return arr;
}

int outputs_close(struct outputs *o, unsigned drain_ms)
{
	int rc = 0;

	if (!o)
		return 0;
	for (int i = 0; i < o->n; i++) {
		uint64_t left = 0;

		if (sink_runner_stop(o->sinks[i].runner, drain_ms, &left))
			rc = -EPIPE;
		if (left)
			log_warn("sink %s: %llu events kept in the spool for the next run",
				 o->sinks[i].uri, (unsigned long long)left);
	}
	for (int i = 0; i < o->cap; i++)
		free(o->sinks[i].uri);
	free(o->sinks);
	free(o);
	return rc;
}
