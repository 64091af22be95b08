// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Identity reuse between events (user/event.c): a process's "process",
 * "chain" and "provenance" are built once and reused until the process
 * tables change, and every event still gets containers of its own.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "event.h"
#include "json_write.h"
#include "proc_track.h"

struct fixture {
	struct event_ctx ctx;
	char root[64]; /* an empty directory as /proc: nothing to read there */
	struct proc *p;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->root, sizeof(f->root), "/tmp/idt-ev-XXXXXX");
	assert_non_null(mkdtemp(f->root));
	f->ctx.chain.workload = workload_ctx_new(f->root, NULL);
	assert_non_null(f->ctx.chain.workload);
	f->ctx.reuse_identity = true;
	f->p = proc_new(4242);
	f->p->exe = strdup("/usr/bin/curl");
	f->p->uid = f->p->euid = 1000;
	f->p->loginuid = 1000;
	f->p->sessionid = 7;
	snprintf(f->p->exec_id, sizeof(f->p->exec_id), "boot-4242-1");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	event_ctx_release(&f->ctx);
	workload_ctx_free(f->ctx.chain.workload);
	proc_put(f->p);
	rmdir(f->root);
	free(f);
	return 0;
}

static json_t *identity(struct fixture *f, struct proc *p)
{
	json_t *ev = json_object();

	assert_int_equal(event_attach_identity(&f->ctx, ev, p), 0);
	return ev;
}

static char *dump(const json_t *ev)
{
	char *s = json_dumps(ev, JSON_COMPACT | JSON_SORT_KEYS);

	assert_non_null(s);
	return s;
}

static json_int_t process_uid(const json_t *ev)
{
	return json_integer_value(json_object_get(json_object_get(ev, "process"), "uid"));
}

/* Two events of one process share the built parts and say the same. */
/* Token variables in an environment that names no provider: their names
 * (never values) are the process's, in the order of the environment. */
static void test_token_vars_without_provider(void **state)
{
	static const char env[] = "GITHUB_TOKEN=idtcanaryx\0PATH=/bin\0CI_JOB_TOKEN=idtcanaryy\0";
	struct fixture *f = *state;
	json_t *ev, *vars;
	char *s;

	proc_track_apply_ci(f->p, NULL, env, sizeof(env) - 1, true);
	assert_null(f->p->ci);
	ev = identity(f, f->p);
	vars = json_object_get(json_object_get(ev, "process"), "token_vars_present");
	assert_int_equal(json_array_size(vars), 2);
	assert_string_equal(json_string_value(json_array_get(vars, 0)), "GITHUB_TOKEN");
	assert_string_equal(json_string_value(json_array_get(vars, 1)), "CI_JOB_TOKEN");
	s = dump(ev);
	assert_null(strstr(s, "idtcanary"));
	free(s);
	json_decref(ev);
}

static void test_reused_until_tables_change(void **state)
{
	struct fixture *f = *state;
	json_t *a = identity(f, f->p), *b = identity(f, f->p);
	char *sa = dump(a), *sb = dump(b);

	assert_string_equal(sa, sb);
	assert_ptr_equal(json_object_get(a, "process"), json_object_get(b, "process"));
	assert_ptr_equal(json_array_get(json_object_get(a, "chain"), 0),
			 json_array_get(json_object_get(b, "chain"), 0));
	assert_int_equal(process_uid(b), 1000);
	free(sa);
	free(sb);
	json_decref(a);
	json_decref(b);
}

/* Later stages append hops and reasons: that stays in their own event. */
static void test_appends_stay_in_their_event(void **state)
{
	struct fixture *f = *state;
	json_t *a = identity(f, f->p), *b;
	size_t hops = json_array_size(json_object_get(a, "chain"));
	size_t reasons = json_array_size(json_object_get(json_object_get(a, "provenance"),
							  "reasons"));

	json_array_append_new(json_object_get(a, "chain"), json_pack("{s:s}", "kind", "credential"));
	json_array_append_new(json_object_get(json_object_get(a, "provenance"), "reasons"),
			      json_string("credential_crossed_identities:x"));
	b = identity(f, f->p);
	assert_ptr_equal(json_object_get(a, "process"), json_object_get(b, "process"));
	assert_int_equal(json_array_size(json_object_get(b, "chain")), hops);
	assert_int_equal(json_array_size(json_object_get(json_object_get(b, "provenance"),
							 "reasons")),
			 reasons);
	assert_int_equal(json_array_size(json_object_get(a, "chain")), hops + 1);
	json_decref(a);
	json_decref(b);
}

/* A change of the tables (here: a record changed in place, which its
 * changer announces) gives a fresh build with the new facts. */
static void test_rebuilt_after_a_change(void **state)
{
	struct fixture *f = *state;
	json_t *a = identity(f, f->p), *b, *c;

	f->p->uid = 0;
	b = identity(f, f->p); /* not announced: the kept identity stands */
	assert_int_equal(process_uid(b), 1000);
	proc_table_changed();
	c = identity(f, f->p);
	assert_int_equal(process_uid(c), 0);
	assert_ptr_not_equal(json_object_get(a, "process"), json_object_get(c, "process"));
	json_decref(a);
	json_decref(b);
	json_decref(c);
}

/* Another process in the same slot is never given the kept identity. */
static void test_other_process_same_slot(void **state)
{
	struct fixture *f = *state;
	struct proc *q = proc_new(4242 + EVENT_IDENT_SLOTS);
	json_t *a, *b;

	q->exe = strdup("/usr/bin/python3");
	snprintf(q->exec_id, sizeof(q->exec_id), "boot-other");
	a = identity(f, f->p);
	b = identity(f, q);
	assert_string_equal(json_string_value(json_object_get(json_object_get(b, "process"), "exe")),
			    "/usr/bin/python3");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(b, "process"), "pid")),
			 4242 + EVENT_IDENT_SLOTS);
	assert_true(json_object_get(json_object_get(b, "provenance"), "collapsed") == json_true());
	assert_true(json_object_get(json_object_get(a, "provenance"), "collapsed") == json_false());
	proc_put(q); /* the kept identity still holds it */
	json_decref(a);
	json_decref(b);
}

/* ev as the daemon writes it (with the kept renderings), which must be
 * what jansson writes of the same tree. */
static void assert_written_as_jansson(struct fixture *f, const json_t *ev)
{
	char *want = json_dumps(ev, JSON_COMPACT), buf[4096];
	size_t n = json_write_compact_frags(ev, buf, sizeof(buf), f->ctx.frags);

	assert_non_null(want);
	assert_int_equal(n, strlen(want));
	assert_memory_equal(buf, want, n);
	free(want);
}

/* The kept identity's process object and hops are rendered once, at its
 * second use (a process with one event costs no rendering); lines written
 * with those renderings are byte for byte the tree's, also after appends,
 * and a rebuild drops them (no stale uid). */
static void test_renderings_follow_the_identity(void **state)
{
	struct fixture *f = *state;
	json_t *a = identity(f, f->p), *b, *c;
	size_t hops = json_array_size(json_object_get(a, "chain"));
	size_t len;

	assert_int_equal(json_frags_count(f->ctx.frags), 0);
	assert_written_as_jansson(f, a);
	b = identity(f, f->p);
	assert_non_null(f->ctx.frags);
	assert_int_equal(json_frags_count(f->ctx.frags), 1 + hops);
	assert_non_null(json_frags_find(f->ctx.frags, json_object_get(a, "process"), &len));
	assert_written_as_jansson(f, a);
	json_array_append_new(json_object_get(a, "chain"), json_pack("{s:s}", "kind", "credential"));
	assert_written_as_jansson(f, a);
	assert_written_as_jansson(f, b);

	f->p->uid = 0;
	proc_table_changed();
	c = identity(f, f->p);
	assert_int_equal(process_uid(c), 0);
	/* the old identity's renderings went with it; the new one has none yet */
	assert_int_equal(json_frags_count(f->ctx.frags), 0);
	assert_null(json_frags_find(f->ctx.frags, json_object_get(a, "process"), &len));
	assert_written_as_jansson(f, c);
	assert_written_as_jansson(f, a); /* still alive in its event: walked */
	json_decref(identity(f, f->p));
	assert_int_equal(json_frags_count(f->ctx.frags), 1 + hops);
	assert_written_as_jansson(f, c);
	json_decref(a);
	json_decref(b);
	json_decref(c);
	event_ctx_release(&f->ctx);
	assert_null(f->ctx.frags);
}

/* Off (the default): every event is built from scratch. */
static void test_off_builds_each_time(void **state)
{
	struct fixture *f = *state;
	json_t *a, *b;

	f->ctx.reuse_identity = false;
	a = identity(f, f->p);
	b = identity(f, f->p);
	assert_ptr_not_equal(json_object_get(a, "process"), json_object_get(b, "process"));
	assert_null(f->ctx.frags); /* nothing kept, nothing rendered ahead */
	json_decref(a);
	json_decref(b);
}

/* event_add_missing keeps the identity's entries, and leaves the array it
 * shares with the identity cache as it was. */
static void test_add_missing_keeps_identity_entries(void **state)
{
	json_t *shared = json_pack("[{s:s, s:s}]", "field", "workload.cgroup_path", "reason", "gone");
	json_t *ev = json_pack("{s:{s:s, s:O}}", "enrichment", "status", "partial", "missing", shared);
	json_t *missing;

	(void)state;
	event_add_missing(ev, "credential.fingerprint", "empty credential");
	missing = json_object_get(json_object_get(ev, "enrichment"), "missing");
	assert_int_equal(json_array_size(missing), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(missing, 0), "field")),
			    "workload.cgroup_path");
	assert_string_equal(json_string_value(json_object_get(json_array_get(missing, 1), "field")),
			    "credential.fingerprint");
	assert_int_equal(json_array_size(shared), 1);
	json_decref(ev);
	ev = json_object();
	event_add_missing(ev, "http.authorization.fingerprint", "credential truncated");
	missing = json_object_get(json_object_get(ev, "enrichment"), "missing");
	assert_int_equal(json_array_size(missing), 1);
	assert_string_equal(json_string_value(json_object_get(json_object_get(ev, "enrichment"),
							      "status")),
			    "partial");
	json_decref(ev);
	json_decref(shared);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_token_vars_without_provider, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reused_until_tables_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_appends_stay_in_their_event, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rebuilt_after_a_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_process_same_slot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_renderings_follow_the_identity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_off_builds_each_time, setup, teardown),
		cmocka_unit_test(test_add_missing_keeps_identity_entries),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
