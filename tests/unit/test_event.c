// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "event.h"

/* process.args of a record whose argv is the n bytes at args (NUL-separated). */
static char *args_of(const char *args, size_t n)
{
	struct proc p = { .pid = 1, .exe = "/x", .args = (char *)args, .args_len = n };
	json_t *o = event_process(&p);
	char *out;

	assert_non_null(o);
	out = json_dumps(json_object_get(o, "args"), JSON_COMPACT);
	assert_non_null(out);
	json_decref(o);
	return out;
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_event_args_argv_context),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
