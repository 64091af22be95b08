// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The sink runner against a fake sink whose peer goes down on demand. Waits
 * are for events (a line arriving, a counter reaching a value), each with a
 * generous deadline that only a broken runner reaches; nothing asserts a
 * speed. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "host_info.h"
#include "outputs.h"
#include "sink.h"
#include "sink_runner.h"
#include "sink_spec.h"
#include "spool.h"

#define DEADLINE_S 20
/* A record of "l-NNNNN" (7 bytes) of type "t" in the spool: 12 + 1 + 7. */
#define R 20
#define SEG_HDR 8

struct fake {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool up;      /* connect and send succeed */
	int eagain;   /* this many next sends return -EAGAIN */
	bool gate;    /* connect() waits while set */
	int in_connect;
	char **lines, **types;
	size_t n, cap;
	int connects, connect_fails, send_fails, disconnects, flushes, reopens, destroyed;
	size_t acked;     /* take_unsent hands back lines[acked..n) */
	size_t took_back;
};

static struct fake *fake_new(bool up)
{
	struct fake *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->cond, NULL);
	f->up = up;
	return f;
}

static void fake_free(struct fake *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->lines[i]);
		free(f->types[i]);
	}
	free(f->lines);
	free(f->types);
	pthread_cond_destroy(&f->cond);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

static void fake_set(struct fake *f, bool up)
{
	pthread_mutex_lock(&f->lock);
	f->up = up;
	pthread_mutex_unlock(&f->lock);
}

static int fake_connect(void *st, char *err, size_t n)
{
	struct fake *f = st;
	int rc = 0;

	pthread_mutex_lock(&f->lock);
	f->in_connect = 1;
	pthread_cond_broadcast(&f->cond);
	while (f->gate)
		pthread_cond_wait(&f->cond, &f->lock);
	f->in_connect = 0;
	if (f->up) {
		f->connects++;
	} else {
		f->connect_fails++;
		snprintf(err, n, "fake peer refuses");
		rc = -ECONNREFUSED;
	}
	pthread_cond_broadcast(&f->cond);
	pthread_mutex_unlock(&f->lock);
	return rc;
}

static int fake_send(void *st, const char *line, size_t len, const char *type)
{
	struct fake *f = st;
	int rc = 0;

	pthread_mutex_lock(&f->lock);
	if (f->eagain > 0) {
		f->eagain--;
		rc = -EAGAIN;
	} else if (!f->up) {
		f->send_fails++;
		rc = -EPIPE;
	} else {
		if (f->n == f->cap) {
			f->cap = f->cap ? f->cap * 2 : 64;
			f->lines = realloc(f->lines, f->cap * sizeof(char *));
			f->types = realloc(f->types, f->cap * sizeof(char *));
			assert_non_null(f->lines);
			assert_non_null(f->types);
		}
		assert_int_equal(strlen(line), len); /* NUL-terminated, no newline */
		f->lines[f->n] = strndup(line, len);
		f->types[f->n++] = strdup(type);
	}
	pthread_cond_broadcast(&f->cond);
	pthread_mutex_unlock(&f->lock);
	return rc;
}

static int fake_flush(void *st)
{
	struct fake *f = st;

	pthread_mutex_lock(&f->lock);
	f->flushes++;
	pthread_cond_broadcast(&f->cond);
	pthread_mutex_unlock(&f->lock);
	return 0;
}

static void fake_disconnect(void *st)
{
	struct fake *f = st;

	pthread_mutex_lock(&f->lock);
	f->disconnects++;
	pthread_mutex_unlock(&f->lock);
}

static int fake_reopen(void *st, char *err, size_t n)
{
	struct fake *f = st;

	pthread_mutex_lock(&f->lock);
	f->reopens++;
	pthread_cond_broadcast(&f->cond);
	pthread_mutex_unlock(&f->lock);
	return 0;
}

static void fake_stats(void *st, json_t *obj)
{
	struct fake *f = st;

	pthread_mutex_lock(&f->lock);
	json_object_set_new(obj, "fake_lines", json_integer((json_int_t)f->n));
	pthread_mutex_unlock(&f->lock);
}

static void fake_destroy(void *st)
{
	struct fake *f = st;

	pthread_mutex_lock(&f->lock);
	f->destroyed++;
	pthread_mutex_unlock(&f->lock);
}

/* Lines [acked, n) were taken but not confirmed: hand them back. */
static size_t fake_take_unsent(void *st,
			       void (*cb)(const char *line, size_t len, const char *type, void *arg),
			       void *arg)
{
	struct fake *f = st;
	size_t k = 0;

	pthread_mutex_lock(&f->lock);
	for (size_t i = f->acked; i < f->n; i++, k++) {
		cb(f->lines[i], strlen(f->lines[i]), f->types[i], arg);
		free(f->lines[i]);
		free(f->types[i]);
	}
	f->n = f->acked;
	f->took_back += k;
	pthread_mutex_unlock(&f->lock);
	return k;
}

static const struct sink_ops fake_ops = {
	.scheme = "fake",
	.connect = fake_connect,
	.send = fake_send,
	.flush = fake_flush,
	.disconnect = fake_disconnect,
	.reopen = fake_reopen,
	.stats = fake_stats,
	.destroy = fake_destroy,
};

static void deadline(struct timespec *ts)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += DEADLINE_S;
}

/* Wait until *field (under f->lock) reaches want. */
static void fake_wait(struct fake *f, const void *field, size_t size, long want, const char *what)
{
	struct timespec ts;
	long v;

	deadline(&ts);
	pthread_mutex_lock(&f->lock);
	for (;;) {
		if (size == sizeof(size_t))
			v = (long)*(const size_t *)field;
		else if (size == sizeof(int))
			v = *(const int *)field;
		else
			fail_msg("%s: not an int or a size_t", what);
		if (v >= want)
			break;
		if (pthread_cond_timedwait(&f->cond, &f->lock, &ts)) {
			pthread_mutex_unlock(&f->lock);
			fail_msg("timed out waiting for %s >= %ld (is %ld)", what, want, v);
		}
	}
	pthread_mutex_unlock(&f->lock);
}

#define FAKE_WAIT(f, field, want) fake_wait(f, &(f)->field, sizeof((f)->field), want, #field)

static long stat_of(struct sink_runner *r, const char *key)
{
	json_t *o = json_object();
	json_t *v;
	long x = 0;

	sink_runner_stats(r, o);
	v = json_object_get(o, key);
	if (json_is_boolean(v))
		x = json_is_true(v);
	else if (!json_is_integer(v))
		fail_msg("stats have no integer '%s'", key);
	else
		x = (long)json_integer_value(v);
	json_decref(o);
	return x;
}

/* Poll the runner's stats until sum of the keys equals want. */
static void stats_wait(struct sink_runner *r, const char *k1, const char *k2, long want)
{
	time_t end = time(NULL) + DEADLINE_S;
	long v;

	while ((v = stat_of(r, k1) + (k2 ? stat_of(r, k2) : 0)) != want) {
		if (time(NULL) > end)
			fail_msg("timed out waiting for %s%s%s == %ld (is %ld)", k1, k2 ? "+" : "",
				 k2 ? k2 : "", want, v);
		usleep(1000);
	}
}

static char root[64];

static int setup(void **state)
{
	strcpy(root, "/tmp/idtrace-runner-XXXXXX");
	signal(SIGPIPE, SIG_IGN);
	return mkdtemp(root) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) ? -1 : 0;
}

static char *loss_line(void *ctx, const char *uri, uint64_t dropped)
{
	char *s;

	(*(int *)ctx)++;
	if (asprintf(&s, "{\"type\":\"agent.loss\",\"sink\":\"%s\",\"dropped\":%llu}", uri,
		     (unsigned long long)dropped) < 0)
		return NULL;
	return s;
}

static int loss_calls;

static struct sink_runner_opts opts_for(const char *sub)
{
	static char dir[4][256];
	static int i;
	char *d = dir[i++ & 3];
	struct sink_runner_opts o = {
		.queue_max_lines = 100000,
		.spool_max_bytes = 1 << 20,
		.backoff_min_ms = 1,
		.backoff_max_ms = 8,
		.loss_line = loss_line,
		.loss_ctx = &loss_calls,
	};

	if (sub) {
		snprintf(d, 256, "%s/%s", root, sub);
		o.spool_dir = d;
	}
	return o;
}

static const struct sink_spec spec = { .uri = "fake://peer", .scheme = "fake" };

static struct sink_runner *start(struct fake *f, const struct sink_runner_opts *o)
{
	struct sink_runner *r = NULL;
	char err[256] = "";
	int rc = sink_runner_start(&fake_ops, f, &spec, o, &r, err, sizeof(err));

	if (rc)
		fail_msg("sink_runner_start: %d %s", rc, err);
	return r;
}

static void enqueue_range(struct sink_runner *r, int from, int to)
{
	char buf[16];

	for (int i = from; i < to; i++) {
		int n = snprintf(buf, sizeof(buf), "l-%05d", i);

		assert_int_equal(sink_runner_enqueue(r, buf, n, "t"), 0);
	}
}

/* f->lines[at..] must be exactly l-from .. l-(to-1), of type t. */
static void expect_range(struct fake *f, size_t at, int from, int to)
{
	char want[16];

	pthread_mutex_lock(&f->lock);
	assert_true(f->n >= at + (size_t)(to - from));
	for (int i = from; i < to; i++, at++) {
		snprintf(want, sizeof(want), "l-%05d", i);
		if (strcmp(f->lines[at], want) || strcmp(f->types[at], "t")) {
			pthread_mutex_unlock(&f->lock);
			fail_msg("line %zu: got '%s' (%s), want '%s'", at, f->lines[at],
				 f->types[at], want);
		}
	}
	pthread_mutex_unlock(&f->lock);
}

static void expect_loss(struct fake *f, size_t at, long dropped)
{
	char want[128];

	snprintf(want, sizeof(want), "{\"type\":\"agent.loss\",\"sink\":\"fake://peer\",\"dropped\":%ld}",
		 dropped);
	pthread_mutex_lock(&f->lock);
	assert_true(f->n > at);
	assert_string_equal(f->lines[at], want);
	assert_string_equal(f->types[at], "agent.loss");
	pthread_mutex_unlock(&f->lock);
}

static size_t count_loss(struct fake *f)
{
	size_t k = 0;

	pthread_mutex_lock(&f->lock);
	for (size_t i = 0; i < f->n; i++)
		k += !strcmp(f->types[i], "agent.loss");
	pthread_mutex_unlock(&f->lock);
	return k;
}

static void stop_ok(struct sink_runner *r, unsigned ms, uint64_t want_left)
{
	uint64_t left = 12345;

	assert_int_equal(sink_runner_stop(r, ms, &left), 0);
	assert_int_equal(left, want_left);
}

static void test_in_order_when_up(void **state)
{
	struct fake *f = fake_new(true);
	struct sink_runner_opts o = opts_for("up");
	struct sink_runner *r = start(f, &o);
	json_t *st = json_object();

	enqueue_range(r, 0, 3000);
	FAKE_WAIT(f, n, 3000);
	expect_range(f, 0, 0, 3000);
	FAKE_WAIT(f, flushes, 1); /* idle: flushed */
	stats_wait(r, "delivered", NULL, 3000);
	sink_runner_stats(r, st);
	assert_int_equal(json_integer_value(json_object_get(st, "enqueued")), 3000);
	assert_int_equal(json_integer_value(json_object_get(st, "spooled")), 0);
	assert_int_equal(json_integer_value(json_object_get(st, "replayed")), 0);
	assert_int_equal(json_integer_value(json_object_get(st, "dropped")), 0);
	assert_int_equal(json_integer_value(json_object_get(st, "reconnects")), 0);
	assert_int_equal(json_integer_value(json_object_get(st, "spool_bytes")), 0);
	assert_true(json_is_true(json_object_get(st, "connected")));
	assert_true(json_is_null(json_object_get(st, "last_error")));
	assert_string_equal(json_string_value(json_object_get(st, "uri")), "fake://peer");
	assert_true(json_is_integer(json_object_get(json_object_get(st, "sink"), "fake_lines")));
	json_decref(st);
	stop_ok(r, 1000, 0);
	assert_int_equal(f->n, 3000);
	assert_int_equal(f->destroyed, 1);
	assert_int_equal(count_loss(f), 0);
	fake_free(f);
}

/* The peer goes away mid-stream and comes back: every line arrives once,
 * in order, the ones from the outage through the spool. */
static void test_outage_in_order(void **state)
{
	struct fake *f = fake_new(true);
	struct sink_runner_opts o = opts_for("outage");
	struct sink_runner *r = start(f, &o);

	enqueue_range(r, 0, 100);
	FAKE_WAIT(f, n, 100);
	fake_set(f, false);
	enqueue_range(r, 100, 300);
	/* The first line sent into the outage fails and is spooled; the rest
	 * follow it into the spool. */
	stats_wait(r, "spool_lines", NULL, 200);
	FAKE_WAIT(f, connect_fails, 2);
	assert_int_equal(stat_of(r, "connected"), 0);
	assert_int_equal(f->n, 100);
	assert_int_equal(f->send_fails, 1);
	fake_set(f, true);
	FAKE_WAIT(f, n, 300);
	enqueue_range(r, 300, 350);
	FAKE_WAIT(f, n, 350);
	expect_range(f, 0, 0, 350);
	stats_wait(r, "delivered", NULL, 350);
	assert_int_equal(stat_of(r, "spooled"), 200);
	assert_int_equal(stat_of(r, "replayed"), 200);
	assert_int_equal(stat_of(r, "reconnects"), 1);
	assert_int_equal(stat_of(r, "dropped"), 0);
	assert_int_equal(stat_of(r, "spool_lines"), 0);
	assert_int_equal(stat_of(r, "spool_bytes"), 0);
	stop_ok(r, 1000, 0);
	assert_int_equal(f->n, 350);
	assert_int_equal(count_loss(f), 0);
	assert_true(f->disconnects >= 1);
	fake_free(f);
}

/* -EAGAIN: tried again, nothing spooled or lost. */
static void test_eagain_retries(void **state)
{
	struct fake *f = fake_new(true);
	struct sink_runner_opts o = opts_for("eagain");
	struct sink_runner *r;

	f->eagain = 7;
	r = start(f, &o);
	enqueue_range(r, 0, 20);
	FAKE_WAIT(f, n, 20);
	expect_range(f, 0, 0, 20);
	assert_int_equal(f->eagain, 0);
	assert_int_equal(stat_of(r, "spooled"), 0);
	assert_int_equal(stat_of(r, "dropped"), 0);
	assert_int_equal(f->disconnects, 0);
	stop_ok(r, 1000, 0);
	fake_free(f);
}

/* The sink is down and the spool holds 10 lines: of 25, 15 are dropped,
 * counted, and announced by exactly one agent.loss after the 10. */
static void test_spool_full_drops_and_announces(void **state)
{
	struct fake *f = fake_new(false);
	struct sink_runner_opts o = opts_for("tiny");
	struct sink_runner *r;

	o.spool_max_bytes = SEG_HDR + 10 * R;
	loss_calls = 0;
	r = start(f, &o);
	enqueue_range(r, 0, 25);
	stats_wait(r, "spooled", "dropped", 25);
	assert_int_equal(stat_of(r, "spooled"), 10);
	assert_int_equal(stat_of(r, "dropped"), 15);
	assert_int_equal(stat_of(r, "loss_pending"), 15);
	assert_int_equal(stat_of(r, "spool_lines"), 10);
	assert_int_equal(stat_of(r, "spool_bytes"), SEG_HDR + 10 * R);
	assert_int_equal(stat_of(r, "delivered"), 0);
	assert_int_equal(f->n, 0);

	fake_set(f, true);
	FAKE_WAIT(f, n, 11);
	expect_range(f, 0, 0, 10);
	expect_loss(f, 10, 15);
	stats_wait(r, "loss_lines", NULL, 1);
	assert_int_equal(stat_of(r, "loss_pending"), 0);
	assert_int_equal(stat_of(r, "dropped"), 15); /* cumulative */
	assert_int_equal(stat_of(r, "replayed"), 10);

	enqueue_range(r, 25, 28);
	FAKE_WAIT(f, n, 14);
	expect_range(f, 11, 25, 28);
	stop_ok(r, 1000, 0);
	assert_int_equal(f->n, 14);
	assert_int_equal(count_loss(f), 1);
	assert_int_equal(loss_calls, 1);
	fake_free(f);
}

static void expect_private_files(const char *dir)
{
	struct dirent *de;
	struct stat st;
	char p[512];
	int segs = 0;
	DIR *d;

	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		assert_int_equal(lstat(p, &st), 0);
		assert_true(S_ISREG(st.st_mode));
		assert_int_equal(st.st_mode & 0777, 0600);
		segs += strstr(de->d_name, ".spool") != NULL;
	}
	closedir(d);
	assert_true(segs >= 1);
}

/* stop() with the sink down keeps the lines on disk; the next run on the
 * same spool sends them first. */
static void test_stop_down_then_next_run(void **state)
{
	struct fake *f = fake_new(false);
	struct sink_runner_opts o = opts_for("restart");
	struct sink_runner *r = start(f, &o);

	enqueue_range(r, 0, 50);
	stats_wait(r, "spooled", NULL, 50);
	stop_ok(r, 20, 50);
	assert_int_equal(f->destroyed, 1);
	assert_int_equal(f->n, 0);
	expect_private_files(o.spool_dir);
	fake_free(f);

	f = fake_new(true);
	r = start(f, &o);
	enqueue_range(r, 50, 60);
	FAKE_WAIT(f, n, 60);
	expect_range(f, 0, 0, 60);
	stats_wait(r, "delivered", NULL, 60);
	/* New lines queue behind the old spool, so some may go through it. */
	assert_true(stat_of(r, "replayed") >= 50);
	assert_int_equal(stat_of(r, "replayed"), stat_of(r, "spooled") + 50);
	stop_ok(r, 1000, 0);
	assert_int_equal(f->n, 60);
	fake_free(f);
}

static const struct sink_ops fake_unsent_ops = {
	.scheme = "fake",
	.connect = fake_connect,
	.send = fake_send,
	.flush = fake_flush,
	.disconnect = fake_disconnect,
	.reopen = fake_reopen,
	.stats = fake_stats,
	.destroy = fake_destroy,
	.take_unsent = fake_take_unsent,
};

/* A sink that took lines it cannot confirm (Kafka at stop) hands them back:
 * they go to the spool ahead of the lines spooled while it was down, so the
 * next run sends everything in the original order. */
static void test_stop_takes_back_unsent(void **state)
{
	struct fake *f = fake_new(true);
	struct sink_runner_opts o = opts_for("unsent");
	struct sink_runner *r = NULL;
	char err[256] = "";

	assert_int_equal(sink_runner_start(&fake_unsent_ops, f, &spec, &o, &r, err, sizeof(err)),
			 0);
	enqueue_range(r, 0, 20);
	FAKE_WAIT(f, n, 20);
	pthread_mutex_lock(&f->lock);
	f->acked = 5; /* 0..4 confirmed, 5..19 only taken */
	pthread_mutex_unlock(&f->lock);
	fake_set(f, false);
	enqueue_range(r, 20, 30);
	stats_wait(r, "spooled", NULL, 10);
	stop_ok(r, 20, 25);
	assert_int_equal(f->took_back, 15);
	assert_int_equal(f->n, 5);
	fake_free(f);

	/* The next run: 5..19, then 20..29, then new lines. */
	f = fake_new(true);
	r = start(f, &o);
	enqueue_range(r, 30, 35);
	FAKE_WAIT(f, n, 30);
	expect_range(f, 0, 5, 35);
	stop_ok(r, 1000, 0);
	fake_free(f);

	/* Without a spool they are lost, and stop says so. */
	f = fake_new(true);
	o = opts_for(NULL);
	assert_int_equal(sink_runner_start(&fake_unsent_ops, f, &spec, &o, &r, err, sizeof(err)),
			 0);
	enqueue_range(r, 0, 3);
	FAKE_WAIT(f, n, 3);
	assert_int_equal(sink_runner_stop(r, 20, NULL), -EPIPE);
	assert_int_equal(f->took_back, 3);
	fake_free(f);
}

/* Drops not yet announced at stop are announced by the next run, after the
 * lines that were kept. */
static void test_loss_survives_restart(void **state)
{
	struct fake *f = fake_new(false);
	struct sink_runner_opts o = opts_for("loss-restart");
	struct sink_runner *r;

	o.spool_max_bytes = SEG_HDR + 10 * R;
	r = start(f, &o);
	enqueue_range(r, 0, 25);
	stats_wait(r, "spooled", "dropped", 25);
	stop_ok(r, 20, 11);
	fake_free(f);

	f = fake_new(true);
	r = start(f, &o);
	FAKE_WAIT(f, n, 11);
	expect_range(f, 0, 0, 10);
	expect_loss(f, 10, 15);
	enqueue_range(r, 25, 27);
	FAKE_WAIT(f, n, 13);
	expect_range(f, 11, 25, 27);
	assert_int_equal(stat_of(r, "dropped"), 0);
	stop_ok(r, 1000, 0);
	assert_int_equal(count_loss(f), 1);
	fake_free(f);
}

/* The memory queue full (the thread stuck in connect): push fails at once,
 * the drop is counted and announced. */
static void test_queue_full_drops(void **state)
{
	struct fake *f = fake_new(true);
	struct sink_runner_opts o = opts_for("qfull");
	struct sink_runner *r;
	char buf[16];

	o.queue_max_lines = 4;
	f->gate = true;
	r = start(f, &o);
	FAKE_WAIT(f, in_connect, 1);
	for (int i = 0; i < 10; i++) {
		int n = snprintf(buf, sizeof(buf), "l-%05d", i);

		assert_int_equal(sink_runner_enqueue(r, buf, n, "t"), i < 4 ? 0 : -ENOSPC);
	}
	assert_int_equal(stat_of(r, "enqueued"), 4);
	assert_int_equal(stat_of(r, "dropped"), 6);
	pthread_mutex_lock(&f->lock);
	f->gate = false;
	pthread_cond_broadcast(&f->cond);
	pthread_mutex_unlock(&f->lock);
	FAKE_WAIT(f, n, 5);
	/* Announced as soon as nothing older waits on disk: ahead of the
	 * lines still in memory. */
	expect_loss(f, 0, 6);
	expect_range(f, 1, 0, 4);
	stop_ok(r, 1000, 0);
	assert_int_equal(f->n, 5);
	fake_free(f);
}

static void test_reopen(void **state)
{
	struct fake *f = fake_new(true);
	struct sink_runner_opts o = opts_for("reopen");
	struct sink_runner *r = start(f, &o);

	FAKE_WAIT(f, connects, 1);
	sink_runner_reopen(r);
	FAKE_WAIT(f, reopens, 1);
	enqueue_range(r, 0, 3);
	FAKE_WAIT(f, n, 3);
	expect_range(f, 0, 0, 3);
	stop_ok(r, 1000, 0);
	fake_free(f);

	/* Down with a long back-off: reopen reconnects now. */
	f = fake_new(false);
	o = opts_for("reopen2");
	o.backoff_min_ms = o.backoff_max_ms = 3600 * 1000;
	r = start(f, &o);
	FAKE_WAIT(f, connect_fails, 1);
	enqueue_range(r, 0, 3);
	stats_wait(r, "spooled", NULL, 3);
	fake_set(f, true);
	sink_runner_reopen(r);
	FAKE_WAIT(f, n, 3);
	expect_range(f, 0, 0, 3);
	assert_int_equal(f->reopens, 0); /* was down: connect, not reopen */
	stop_ok(r, 1000, 0);
	fake_free(f);
}

/* stop() delivers what is queued when the sink is up. */
static void test_stop_drains(void **state)
{
	struct fake *f = fake_new(true);
	struct sink_runner_opts o = opts_for("drain");
	struct sink_runner *r = start(f, &o);

	enqueue_range(r, 0, 5000);
	stop_ok(r, 60000, 0);
	assert_int_equal(f->n, 5000);
	expect_range(f, 0, 0, 5000);
	assert_true(f->flushes >= 1);
	fake_free(f);
}

/* Without a spool lines wait in memory, in order; at stop with the sink
 * down they are lost, counted and reported. */
static void test_no_spool(void **state)
{
	struct fake *f = fake_new(false);
	struct sink_runner_opts o = opts_for(NULL);
	struct sink_runner *r = start(f, &o);
	uint64_t left = 99;

	FAKE_WAIT(f, connect_fails, 1);
	enqueue_range(r, 0, 5);
	fake_set(f, true);
	FAKE_WAIT(f, n, 5);
	expect_range(f, 0, 0, 5);
	assert_int_equal(stat_of(r, "spooled"), 0);
	fake_set(f, false);
	enqueue_range(r, 5, 8);
	FAKE_WAIT(f, send_fails, 1);
	assert_int_equal(sink_runner_stop(r, 10, &left), -EPIPE);
	assert_int_equal(left, 0);
	assert_int_equal(f->n, 5);
	fake_free(f);
}

static void test_refuses_unsafe_spool(void **state)
{
	struct fake *f = fake_new(true);
	struct sink_runner_opts o = opts_for("unsafe");
	struct sink_runner *r = NULL;
	char err[256] = "";

	assert_int_equal(mkdir(o.spool_dir, 0777), 0);
	assert_int_equal(chmod(o.spool_dir, 0777), 0);
	assert_int_equal(sink_runner_start(&fake_ops, f, &spec, &o, &r, err, sizeof(err)), -EPERM);
	assert_null(r);
	assert_non_null(strstr(err, o.spool_dir));
	assert_int_equal(f->destroyed, 0); /* still the caller's */
	fake_free(f);
}

static void test_spool_dir_name(void **state)
{
	char a[128], b[128], c[128];

	assert_int_equal(sink_runner_spool_dir("/var/lib/idtrace", "syslog+tls",
					       "syslog+tls://siem:6514", a, sizeof(a)), 0);
	assert_int_equal(sink_runner_spool_dir("/var/lib/idtrace", "syslog+tls",
					       "syslog+tls://siem:6514", b, sizeof(b)), 0);
	assert_int_equal(sink_runner_spool_dir("/var/lib/idtrace", "syslog+tls",
					       "syslog+tls://siem:6515", c, sizeof(c)), 0);
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	assert_int_equal(strncmp(a, "/var/lib/idtrace/spool/syslog_tls-", 34), 0);
	assert_int_equal(strlen(a), 34 + 16);
	assert_null(strstr(a, "siem"));
	assert_int_equal(sink_runner_spool_dir("/var/lib/idtrace", "file", "file:///x", a, 20),
			 -ENAMETOOLONG);
}

/* Point fd 1 at a new file name under root (*fd, open for reading it back);
 * returns the saved fd 1. */
static int stdout_to_file(const char *name, int *fd)
{
	char path[256];
	int saved;

	snprintf(path, sizeof(path), "%s/%s", root, name);
	*fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0600);
	assert_true(*fd >= 0);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	assert_true(saved >= 0);
	assert_int_equal(dup2(*fd, STDOUT_FILENO), STDOUT_FILENO);
	return saved;
}

/* The stdout sink behind a runner, with fd 1 on a file. */
static void test_stdout_sink(void **state)
{
	struct sink_spec so = { .uri = "stdout", .scheme = "stdout" };
	struct sink_runner_opts o = opts_for(NULL);
	struct sink_runner *r = NULL;
	char err[256] = "", buf[64] = "";
	int fd, saved, pipefd[2];
	void *st;

	saved = stdout_to_file("stdout.txt", &fd);

	st = sink_stdout_ops.create(&so, err, sizeof(err));
	assert_non_null(st);
	assert_int_equal(sink_runner_start(&sink_stdout_ops, st, &so, &o, &r, err, sizeof(err)), 0);
	assert_int_equal(sink_runner_enqueue(r, "{\"a\":1}", 7, "t"), 0);
	assert_int_equal(sink_runner_enqueue(r, "b", 1, "t"), 0);
	assert_int_equal(sink_runner_enqueue(r, "", 0, "t"), 0);
	assert_int_equal(sink_runner_stop(r, 5000, NULL), 0);

	/* A reader that goes away: the write fails with -EPIPE, not 0, and the
	 * sink is gone for good. */
	assert_int_equal(pipe(pipefd), 0);
	assert_int_equal(dup2(pipefd[1], STDOUT_FILENO), STDOUT_FILENO);
	close(pipefd[1]);
	st = sink_stdout_ops.create(&so, err, sizeof(err));
	assert_int_equal(sink_stdout_ops.connect(st, err, sizeof(err)), 0);
	assert_false(sink_stdout_ops.gone(st));
	assert_int_equal(sink_stdout_ops.send(st, "x", 1, "t"), 0);
	close(pipefd[0]);
	assert_int_equal(sink_stdout_ops.flush(st), -EPIPE);
	assert_true(sink_stdout_ops.gone(st));
	sink_stdout_ops.destroy(st);
	/* One gone before anything was written: connect and gone say so. */
	st = sink_stdout_ops.create(&so, err, sizeof(err));
	assert_true(sink_stdout_ops.gone(st));
	assert_int_equal(sink_stdout_ops.connect(st, err, sizeof(err)), -EPIPE);
	assert_non_null(strstr(err, "reader closed"));
	sink_stdout_ops.destroy(st);

	assert_int_equal(dup2(saved, STDOUT_FILENO), STDOUT_FILENO);
	close(saved);
	assert_int_equal(pread(fd, buf, sizeof(buf) - 1, 0), 11);
	assert_string_equal(buf, "{\"a\":1}\nb\n\n");
	close(fd);
}

/* stdout's spool serves one run: lines an earlier run left are not replayed
 * into this run's reader; a reader that leaves while nothing is written is
 * seen by the runner (sink_runner_gone), which stops reconnecting. */
static void test_stdout_spool_per_run_and_gone(void **state)
{
	struct sink_spec so = { .uri = "stdout", .scheme = "stdout" };
	struct sink_runner_opts o = opts_for("stdout-spool");
	struct sink_runner *r = NULL;
	char err[256] = "", buf[64] = "";
	struct spool *sp = NULL;
	int fd, saved, pipefd[2], waited;
	uint64_t left = 7;
	void *st;

	/* an earlier run's leftovers */
	assert_int_equal(spool_open(o.spool_dir, 1 << 20, 0, &sp, err, sizeof(err)), 0);
	assert_int_equal(spool_append(sp, "stale-1", 7, "t"), 0);
	assert_int_equal(spool_append(sp, "stale-2", 7, "t"), 0);
	spool_close(sp);

	saved = stdout_to_file("stdout2.txt", &fd);
	st = sink_stdout_ops.create(&so, err, sizeof(err));
	assert_int_equal(sink_runner_start(&sink_stdout_ops, st, &so, &o, &r, err, sizeof(err)), 0);
	assert_int_equal(sink_runner_enqueue(r, "fresh", 5, "t"), 0);
	assert_int_equal(sink_runner_stop(r, 5000, &left), 0);
	assert_int_equal(left, 0);
	assert_int_equal(pread(fd, buf, sizeof(buf) - 1, 0), 6);
	assert_string_equal(buf, "fresh\n");
	close(fd);

	/* the reader leaves; no line is written after it */
	assert_int_equal(pipe(pipefd), 0);
	assert_int_equal(dup2(pipefd[1], STDOUT_FILENO), STDOUT_FILENO);
	close(pipefd[1]);
	st = sink_stdout_ops.create(&so, err, sizeof(err));
	assert_int_equal(sink_runner_start(&sink_stdout_ops, st, &so, &o, &r, err, sizeof(err)), 0);
	assert_false(sink_runner_gone(r));
	close(pipefd[0]);
	for (waited = 0; waited < 5000 && !sink_runner_gone(r); waited += 10)
		usleep(10000);
	assert_true(sink_runner_gone(r));
	/* what comes later is lost at exit, not kept for another reader */
	assert_int_equal(sink_runner_enqueue(r, "late", 4, "t"), 0);
	assert_int_equal(sink_runner_stop(r, 100, &left), -EPIPE);
	assert_int_equal(left, 0);

	assert_int_equal(dup2(saved, STDOUT_FILENO), STDOUT_FILENO);
	close(saved);
	assert_int_equal(spool_open(o.spool_dir, 1 << 20, 0, &sp, err, sizeof(err)), 0);
	assert_int_equal(spool_lines(sp), 0);
	spool_close(sp);
}

static char *read_file(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *buf = calloc(1, 1 << 16);
	size_t n;

	assert_non_null(fp);
	assert_non_null(buf);
	n = fread(buf, 1, (1 << 16) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

/* outputs_emit_line(): a JSON sink gets the line as it is, an OCSF sink
 * gets it converted, with or without the type given. */
static void test_outputs_emit_line(void **state)
{
	static const char ev[] =
		"{\"schema_version\":1,\"type\":\"process.exec\",\"time\":\"2024-01-01T00:00:00Z\","
		"\"host\":{\"hostname\":\"h\",\"boot_id\":\"b\"},\"process\":{\"pid\":42,"
		"\"ppid\":1,\"exec_id\":\"b-42-1\",\"exe\":\"/bin/true\",\"args\":[\"true\"],"
		"\"uid\":0,\"euid\":0,\"gid\":0,\"egid\":0},\"chain\":[]}";
	char uri[2][256], path[2][256], err[512] = "";
	struct sink_spec specs[2];
	struct outputs_opts oo = { 0 };
	struct outputs *o = NULL;
	struct host_info hi;
	char *got;

	host_info_init(&hi);
	oo.host = &hi;
	for (int i = 0; i < 2; i++) {
		snprintf(path[i], sizeof(path[i]), "%s/emit-%d.jsonl", root, i);
		snprintf(uri[i], sizeof(uri[i]), "file://%s?max_size_mb=0%s", path[i],
			 i ? "&format=ocsf" : "");
		assert_int_equal(sink_spec_parse(uri[i], NULL, &specs[i], err, sizeof(err)), 0);
	}
	if (outputs_open(specs, 2, &oo, &o, err, sizeof(err)))
		fail_msg("outputs_open: %s", err);
	assert_int_equal(outputs_emit_line(o, ev, strlen(ev), "process.exec"), 0);
	assert_int_equal(outputs_emit_line(o, ev, strlen(ev), NULL), 0);
	assert_int_equal(outputs_emit_line(o, "not json", 8, "process.exec"), -EINVAL);
	assert_int_equal(outputs_close(o, 5000), 0);
	for (int i = 0; i < 2; i++)
		sink_spec_free(&specs[i]);

	got = read_file(path[0]);
	{
		char want[2048];

		snprintf(want, sizeof(want), "%s\n%s\nnot json\n", ev, ev);
		assert_string_equal(got, want);
	}
	free(got);
	got = read_file(path[1]);
	{
		char *nl = strchr(got, '\n');
		json_t *a, *b;

		assert_non_null(nl);
		*nl = '\0';
		a = json_loads(got, 0, NULL);
		b = json_loads(nl + 1, 0, NULL);
		assert_non_null(a);
		assert_non_null(b);
		assert_int_equal(json_integer_value(json_object_get(a, "class_uid")), 1007);
		assert_true(json_equal(a, b)); /* same event, same conversion */
		assert_null(strchr(strchr(nl + 1, '\n') + 1, '\n')); /* two lines only */
		json_decref(a);
		json_decref(b);
	}
	free(got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_order_when_up),
		cmocka_unit_test(test_outage_in_order),
		cmocka_unit_test(test_eagain_retries),
		cmocka_unit_test(test_spool_full_drops_and_announces),
		cmocka_unit_test(test_stop_down_then_next_run),
		cmocka_unit_test(test_stop_takes_back_unsent),
		cmocka_unit_test(test_loss_survives_restart),
		cmocka_unit_test(test_queue_full_drops),
		cmocka_unit_test(test_reopen),
		cmocka_unit_test(test_stop_drains),
		cmocka_unit_test(test_no_spool),
		cmocka_unit_test(test_refuses_unsafe_spool),
		cmocka_unit_test(test_spool_dir_name),
		cmocka_unit_test(test_stdout_sink),
		cmocka_unit_test(test_stdout_spool_per_run_and_gone),
		cmocka_unit_test(test_outputs_emit_line),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
