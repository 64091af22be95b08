// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "event.h"
#include "proc_track.h"

/* process.args of record p, as compact JSON. */
static char *args_json_of(const struct proc *p)
{
	json_t *o = event_process(p);
	char *out;

	assert_non_null(o);
	out = json_dumps(json_object_get(o, "args"), JSON_COMPACT);
	assert_non_null(out);
	json_decref(o);
	return out;
}

/* process.args of a record whose argv is the n bytes at args (NUL-separated). */
static char *args_of(const char *args, size_t n)
{
	struct proc p = { .pid = 1, .exe = "/x", .args = (char *)args, .args_len = n };

	return args_json_of(&p);
}

#define ARGS_EQUAL(lit, want)                                   \
	do {                                                    \
		char *got = args_of(lit, sizeof(lit));          \
		assert_string_equal(got, want);                 \
		free(got);                                      \
	} while (0)

/* Each element is judged with the whole argv before it: a program's -pPW, an operand's
 * place; the last element may lack its NUL. */
static void test_event_args_argv_context(void **state)
{
	ARGS_EQUAL("/usr/bin/mysql\0-uroot\0-pq7canary\0db",
		   "[\"/usr/bin/mysql\",\"-uroot\",\"-p[REDACTED]\",\"db\"]");
	ARGS_EQUAL("sshpass\0-p\0" "1234\0ssh\0-p\0" "22\0h",
		   "[\"sshpass\",\"-p\",\"[REDACTED]\",\"ssh\",\"-p\",\"22\",\"h\"]");
	ARGS_EQUAL("htpasswd\0-nb\0bob\0q7canary",
		   "[\"htpasswd\",\"-nb\",\"bob\",\"[REDACTED]\"]");
	ARGS_EQUAL("patch\0-p1", "[\"patch\",\"-p1\"]");
	{
		static const char no_nul[] = { 'm', 'y', 's', 'q', 'l', 0, '-', 'p', 'x', 'y' };
		char *got = args_of(no_nul, sizeof(no_nul));

		assert_string_equal(got, "[\"mysql\",\"-p[REDACTED]\"]");
		free(got);
	}
}

/* child's args (a static argv) as JSON equal want */
#define CHILD_ARGS(argv, want)                                  \
	do {                                                    \
		child.args = (char *)(argv);                    \
		child.args_len = sizeof(argv);                  \
		got = args_json_of(&child);                     \
		assert_string_equal(got, want);                 \
		free(got);                                      \
	} while (0)

/* A CI job's token value in argv, in shapes no format rule knows (curl -u
 * TOKEN:, a URL's user name, a shell string), is redacted by its value: in
 * the process whose environment holds it, and in a descendant whose
 * environment was scrubbed (env -i, sudo) through its ancestors. */
static void test_event_args_lineage_secret_values(void **state)
{
	static const char job_env[] = "PATH=/bin\0CI_JOB_TOKEN=q7Zr2kLm9xWp4Tn8Vb3c\0"
				       "OTHER_TOKEN=short\0SSH_AUTH_SOCK=/tmp/ssh-x/agent.12\0"
				       "DEPLOY_PASSWORD=0123456789abcdef0123\0GITLAB_CI=true";
	static const char curl[] = "curl\0-u\0q7Zr2kLm9xWp4Tn8Vb3c:\0https://h/x";
	static const char git[] = "git\0ls-remote\0https://q7Zr2kLm9xWp4Tn8Vb3c@h/g/p.git";
	static const char sh[] = "sh\0-c\0echo q7Zr2kLm9xWp4Tn8Vb3c0123456789abcdef0123|login";
	static const char keep[] = "ls\0/tmp/ssh-x/agent.12\0short";
	static const char bare[] = "printf\0q7Zr2kLm9xWp4Tn8Vb3c";
	struct proc job = { .pid = 1, .exe = "/bin/sh" }, child = { .pid = 2, .exe = "/x" };
	char *got;

	proc_track_note_secret_values(&job, job_env, sizeof(job_env));
	assert_int_equal(job.n_secret_values, 2); /* the token and the password */
	child.parent = &job;
	/* the child's own environment holds the same: nothing kept twice */
	proc_track_note_secret_values(&child, job_env, sizeof(job_env));
	assert_int_equal(child.n_secret_values, 0);

	CHILD_ARGS(curl, "[\"curl\",\"-u\",\"[REDACTED]:\",\"https://h/x\"]");
	CHILD_ARGS(git, "[\"git\",\"ls-remote\",\"https://[REDACTED]@h/g/p.git\"]");
	/* two values side by side are one cut */
	CHILD_ARGS(sh, "[\"sh\",\"-c\",\"echo [REDACTED]|login\"]");
	/* a path and a short value of secret-named variables are not taken */
	CHILD_ARGS(keep, "[\"ls\",\"/tmp/ssh-x/agent.12\",\"short\"]");
	CHILD_ARGS(bare, "[\"printf\",\"[REDACTED]\"]");
	/* without the lineage, the token stays (no rule knows a bare value's shape) */
	child.parent = NULL;
	child.args = (char *)bare;
	child.args_len = sizeof(bare);
	got = args_json_of(&child);
	assert_non_null(strstr(got, "q7Zr2kLm9xWp4Tn8Vb3c"));
	free(got);
	free(job.secret_values);
	(void)state;
}

/* An argv the kernel's 4 KiB capture cut inside a URL's password: the part
 * kept has no '@', yet what follows the user's ':' is the password's start.
 * An element that was not cut keeps a host's port. */
static void test_event_args_cut_inside_password(void **state)
{
	static const char cut[] = "/bin/true\0aaaa\0postgres://user:469dd0add7fc02b92e";
	static const char whole[] = "/bin/true\0https://host:8443";
	struct proc p = { .pid = 1, .exe = "/bin/true", .flags = PROC_F_ARGS_TRUNC,
			  .args = (char *)cut, .args_len = sizeof(cut) - 1 };
	char *got = args_json_of(&p);

	assert_string_equal(got, "[\"/bin/true\",\"aaaa\",\"postgres://user:[REDACTED]\"]");
	free(got);
	p.flags = 0;
	p.args = (char *)whole;
	p.args_len = sizeof(whole);
	got = args_json_of(&p);
	assert_string_equal(got, "[\"/bin/true\",\"https://host:8443\"]");
	free(got);
	(void)state;
}

/* A CI job with many secret variables (40, as jobs with many integrations
 * carry): every value is cut, in the job's own argv and in a descendant
 * whose environment was scrubbed, none past a fixed first few. */
static void test_event_args_many_secret_values(void **state)
{
	char env[4096], args[4096], val[32];
	size_t e = 0, a = 0;
	struct proc job = { .pid = 1, .exe = "/bin/sh" }, child = { .pid = 2, .exe = "/bin/echo" };
	char *got;

	a += (size_t)snprintf(args + a, sizeof(args) - a, "echo") + 1;
	for (int i = 0; i < 40; i++) {
		snprintf(val, sizeof(val), "Zq%02dq7canaryXy%04d", i, i * 37);
		e += (size_t)snprintf(env + e, sizeof(env) - e, "S%02d_TOKEN=%s", i, val) + 1;
		a += (size_t)snprintf(args + a, sizeof(args) - a, "%s", val) + 1;
	}
	proc_track_note_secret_values(&job, env, e);
	assert_int_equal(job.n_secret_values, 40);
	job.args = args;
	job.args_len = a;
	got = args_json_of(&job);
	assert_null(strstr(got, "q7canary"));
	free(got);
	child.parent = &job;
	child.args = args;
	child.args_len = a;
	got = args_json_of(&child);
	assert_null(strstr(got, "q7canary"));
	free(got);
	free(job.secret_values);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_event_args_argv_context),
		cmocka_unit_test(test_event_args_lineage_secret_values),
		cmocka_unit_test(test_event_args_many_secret_values),
		cmocka_unit_test(test_event_args_cut_inside_password),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
