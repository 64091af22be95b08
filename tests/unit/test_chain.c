// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The provenance verdict (user/chain.c) of hand-built lineages: who the
 * originator is, which hops appear and which reasons say why.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chain.h"
#include "proc_track.h"

#define UNSET 0xffffffffu

static const char gitlab_env[] = "PATH=/usr/bin:/bin\0GITLAB_CI=true\0"
				 "CI_PROJECT_PATH=grp/launder\0CI_PIPELINE_ID=6060\0";

struct fixture {
	struct chain_ctx ctx;
	char root[64]; /* an empty directory as /proc: nothing to read there */
	struct chain c;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->root, sizeof(f->root), "/tmp/idt-chain-XXXXXX");
	assert_non_null(mkdtemp(f->root));
	f->ctx.workload = workload_ctx_new(f->root, NULL);
	assert_non_null(f->ctx.workload);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	chain_release(&f->c);
	workload_ctx_free(f->ctx.workload);
	rmdir(f->root);
	free(f);
	return 0;
}

static struct proc *mkproc(__u32 pid, struct proc *parent, __u32 loginuid, const char *exe)
{
	struct proc *p = proc_new(pid);

	assert_non_null(p);
	p->ppid = parent ? parent->pid : 0;
	p->loginuid = loginuid;
	p->sessionid = UNSET;
	p->exe = strdup(exe);
	snprintf(p->exec_id, sizeof(p->exec_id), "boot-%u-1", pid);
	proc_set_parent(p, parent);
	return p;
}

static void build(struct fixture *f, struct proc *p)
{
	chain_release(&f->c);
	assert_int_equal(chain_build(&f->ctx, p, &f->c), 0);
}

static const char *originator(const struct fixture *f)
{
	return json_string_value(json_object_get(f->c.provenance, "originator"));
}

static bool has_reason(const struct fixture *f, const char *want)
{
	json_t *r;
	size_t i;

	json_array_foreach(json_object_get(f->c.provenance, "reasons"), i, r)
		if (!strcmp(json_string_value(r), want))
			return true;
	return false;
}


static json_t *find_hop(const struct fixture *f, const char *kind)
{
	json_t *h;
	size_t i;

	json_array_foreach(f->c.hops, i, h)
		if (!strcmp(json_string_value(json_object_get(h, "kind")), kind))
			return h;
	return NULL;
}

static bool has_hop(const struct fixture *f, const char *kind)
{
	return find_hop(f, kind) != NULL;
}

static __u32 own_ns(const char *name)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/self/ns/%s", name);
	assert_int_equal(stat(path, &st), 0);
	return st.st_ino;
}

/* The workload hop names the namespaces a process does not share with the
 * daemon (here the test), by inode number; unknown (0) and shared ones are
 * left out, and with none left there is no "namespaces" at all. */
static void test_workload_namespaces(void **state)
{
	struct fixture *f = *state;
	struct proc *p = mkproc(300, NULL, UNSET, "/usr/bin/bwrap");
	json_t *ns;

	p->mntns = own_ns("mnt");
	p->pidns = own_ns("pid") + 1;
	p->netns = own_ns("net");
	p->userns = 0;
	build(f, p);
	ns = json_object_get(find_hop(f, "workload"), "namespaces");
	assert_non_null(ns);
	assert_int_equal(json_object_size(ns), 1);
	assert_int_equal(json_integer_value(json_object_get(ns, "pid")), own_ns("pid") + 1);
	p->pidns = own_ns("pid");
	build(f, p);
	assert_null(json_object_get(find_hop(f, "workload"), "namespaces"));
	p->mntns = 4026530000u;
	p->userns = 4026530001u;
	build(f, p);
	ns = json_object_get(find_hop(f, "workload"), "namespaces");
	assert_int_equal(json_object_size(ns), 2);
	assert_int_equal(json_integer_value(json_object_get(ns, "mnt")), 4026530000u);
	assert_int_equal(json_integer_value(json_object_get(ns, "user")), 4026530001u);
	proc_put(p);
}

/* A root step of a job started without a login writes its loginuid: the job
 * stays the originator, no human hop, and a reason names the uid. */
static void test_login_set_inside_ci_job(void **state)
{
	struct fixture *f = *state;
	struct proc *runner = mkproc(100, NULL, UNSET, "/bin/sh");
	struct proc *step;

	proc_track_apply_ci(runner, NULL, gitlab_env, sizeof(gitlab_env) - 1, true);
	assert_non_null(runner->ci);
	step = mkproc(101, runner, 1001, "/bin/cat");
	proc_track_apply_ci(step, runner->ci, NULL, 0, false);
	build(f, step);
	assert_string_equal(originator(f), "ci:gitlab_ci:grp/launder#6060");
	assert_true(has_reason(f, "login_uid_set_inside_ci_job:auid=1001"));
	assert_false(has_hop(f, "human"));
	assert_true(has_hop(f, "ci_job"));
	assert_true(json_object_get(f->c.provenance, "collapsed") == json_false());
	/* the runner itself, above the write, says nothing of it */
	build(f, runner);
	assert_false(has_reason(f, "login_uid_set_inside_ci_job:auid=1001"));
	proc_put(step);
	proc_put(runner);
}

/* A runner started from a login session: the human stays the originator. */
static void test_ci_job_started_in_login_session(void **state)
{
	struct fixture *f = *state;
	struct proc *runner = mkproc(200, NULL, 0, "/bin/sh");
	struct proc *step;
	json_t *r;
	size_t i;

	proc_track_apply_ci(runner, NULL, gitlab_env, sizeof(gitlab_env) - 1, true);
	step = mkproc(201, runner, 0, "/bin/cat");
	proc_track_apply_ci(step, runner->ci, NULL, 0, false);
	build(f, step);
	assert_string_equal(originator(f), "human:root");
	assert_true(has_hop(f, "human"));
	assert_true(has_hop(f, "ci_job"));
	json_array_foreach(json_object_get(f->c.provenance, "reasons"), i, r)
		assert_null(strstr(json_string_value(r), "login_uid_set_inside"));
	proc_put(step);
	proc_put(runner);
}

/* An environment cut by the kernel's bound: the missing job is in doubt, for
 * the process and for the descendants that would have inherited a job. */
static void test_ci_env_truncated(void **state)
{
	struct fixture *f = *state;
	struct proc *plain = mkproc(300, NULL, UNSET, "/bin/sh");
	struct proc *cut = mkproc(301, plain, UNSET, "/bin/sh");
	struct proc *child = mkproc(302, cut, UNSET, "/bin/true");

	cut->flags |= PROC_F_ENV_TRUNC;
	build(f, plain);
	assert_true(has_reason(f, "no_ci_context"));
	assert_false(has_reason(f, "ci_env_truncated"));
	build(f, cut);
	assert_true(has_reason(f, "no_ci_context"));
	assert_true(has_reason(f, "ci_env_truncated"));
	build(f, child);
	assert_true(has_reason(f, "ci_env_truncated"));
	proc_put(child);
	proc_put(cut);
	proc_put(plain);
}

/* A child of init seeded from /proc may be an orphan re-parented there: its
 * lineage (and its descendants') is incomplete, not started by init. */
static void test_seeded_child_of_init(void **state)
{
	struct fixture *f = *state;
	struct proc *init = mkproc(1, NULL, UNSET, "/sbin/init");
	struct proc *sh = mkproc(400, init, UNSET, "/bin/sh");
	struct proc *exe = mkproc(400, sh, UNSET, "/usr/bin/true");

	init->flags |= PROC_F_SEEDED;
	sh->flags |= PROC_F_SEEDED;
	build(f, sh);
	assert_true(has_reason(f, "lineage_incomplete"));
	assert_true(has_reason(f, "seeded_from_procfs"));
	assert_false(has_reason(f, "started_by_init"));
	build(f, exe); /* seen at exec: its parent is known, the shell's is not */
	assert_true(has_reason(f, "lineage_incomplete"));
	assert_true(has_reason(f, "seeded_from_procfs"));
	assert_false(has_reason(f, "started_by_init"));
	assert_string_equal(originator(f), "unknown");
	proc_put(exe);
	proc_put(sh);
	proc_put(init);
}

/* A child init started while the daemon watched: started_by_init, nothing
 * about the lineage. */
static void test_kernel_seen_child_of_init(void **state)
{
	struct fixture *f = *state;
	struct proc *init = mkproc(1, NULL, UNSET, "/sbin/init");
	struct proc *sh = mkproc(500, init, UNSET, "/bin/sh");

	init->flags |= PROC_F_SEEDED;
	build(f, sh);
	assert_true(has_reason(f, "started_by_init"));
	assert_false(has_reason(f, "lineage_incomplete"));
	assert_false(has_reason(f, "seeded_from_procfs"));
	proc_put(sh);
	proc_put(init);
}

/* Root in a login session writes /proc/self/loginuid, to shed the login or
 * to take another uid: a reason names the login it left. A login below a
 * process that had none (sshd's session) says nothing. */
static void test_login_uid_changed_below_login(void **state)
{
	struct fixture *f = *state;
	struct proc *sshd = mkproc(600, NULL, UNSET, "/usr/sbin/sshd");
	struct proc *sh = mkproc(601, sshd, 40001, "/bin/bash");
	struct proc *shed = mkproc(602, sh, UNSET, "/bin/sh");
	struct proc *deeper = mkproc(603, shed, UNSET, "/usr/bin/curl");
	struct proc *other = mkproc(604, sh, 40002, "/bin/sh");
	struct proc *below = mkproc(605, other, 40002, "/usr/bin/curl");

	build(f, sh);
	assert_string_equal(originator(f), "human:uid=40001");
	assert_false(has_reason(f, "login_uid_changed_below_login:auid=4294967295"));
	assert_int_equal(json_array_size(json_object_get(f->c.provenance, "reasons")), 0);
	build(f, shed);
	assert_true(has_reason(f, "login_uid_changed_below_login:auid=40001"));
	assert_true(has_reason(f, "no_login_uid"));
	build(f, deeper);
	assert_true(has_reason(f, "login_uid_changed_below_login:auid=40001"));
	build(f, other);
	assert_string_equal(originator(f), "human:uid=40002");
	assert_true(has_reason(f, "login_uid_changed_below_login:auid=40001"));
	build(f, below); /* the write was made above its parent */
	assert_true(has_reason(f, "login_uid_changed_below_login:auid=40001"));
	proc_put(below);
	proc_put(other);
	proc_put(deeper);
	proc_put(shed);
	proc_put(sh);
	proc_put(sshd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_login_set_inside_ci_job, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ci_job_started_in_login_session, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ci_env_truncated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seeded_child_of_init, setup, teardown),
		cmocka_unit_test_setup_teardown(test_workload_namespaces, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kernel_seen_child_of_init, setup, teardown),
		cmocka_unit_test_setup_teardown(test_login_uid_changed_below_login, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
