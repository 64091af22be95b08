// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "watch_rules.h"

static bool m(const struct watch_rule *r, const char *name)
{
	return watch_rule_match_name(r, name, strlen(name));
}

static void test_exact(void **state)
{
	struct watch_rule r;

	assert_int_equal(watch_rule_parse("~/.aws/credentials", "aws", NULL, &r), 0);
	assert_true(r.per_home);
	assert_string_equal(r.dir, "~/.aws");
	assert_int_equal(r.kind, WATCH_NAME_EXACT);
	assert_true(m(&r, "credentials"));
	assert_false(m(&r, "credentials.bak"));
	assert_false(m(&r, "credential"));
	watch_rule_free(&r);
}

static void test_prefix_with_exclude(void **state)
{
	struct watch_rule r;

	assert_int_equal(watch_rule_parse("~/.ssh/id_*", "ssh_private_key", ".pub", &r), 0);
	assert_int_equal(r.kind, WATCH_NAME_PREFIX);
	assert_true(m(&r, "id_rsa"));
	assert_true(m(&r, "id_ed25519"));
	assert_false(m(&r, "id_ed25519.pub"));
	assert_false(m(&r, "known_hosts"));
	assert_false(m(&r, "xid_rsa"));
	watch_rule_free(&r);
}

static void test_suffix_and_any(void **state)
{
	struct watch_rule r;

	assert_int_equal(watch_rule_parse("~/.aws/sso/cache/*.json", "aws", NULL, &r), 0);
	assert_int_equal(r.kind, WATCH_NAME_SUFFIX);
	assert_true(m(&r, "abc.json"));
	assert_false(m(&r, "abc.json.tmp"));
	watch_rule_free(&r);
	assert_int_equal(watch_rule_parse("/var/run/secrets/tokens/*", "k8s_service_account", NULL,
					  &r), 0);
	assert_false(r.per_home);
	assert_string_equal(r.dir, "/var/run/secrets/tokens");
	assert_int_equal(r.kind, WATCH_NAME_ANY);
	assert_true(m(&r, "vault-token"));
	assert_false(m(&r, ".."));
	assert_false(m(&r, "a/b"));
	watch_rule_free(&r);
}

static void test_glob_in_directory(void **state)
{
	struct watch_rule r;

	assert_int_equal(watch_rule_parse("~/.config/gcloud/legacy_credentials/*/*", "gcp", NULL, &r),
			 0);
	assert_string_equal(r.dir, "~/.config/gcloud/legacy_credentials/*");
	watch_rule_free(&r);
	assert_int_equal(watch_rule_parse("/etc/shadow", "shadow", NULL, &r), 0);
	assert_string_equal(r.dir, "/etc");
	watch_rule_free(&r);
	assert_int_equal(watch_rule_parse("/shadow", "shadow", NULL, &r), 0);
	assert_string_equal(r.dir, "/");
	watch_rule_free(&r);
}

static void test_rejects(void **state)
{
	struct watch_rule r;
	char longname[100];

	assert_int_equal(watch_rule_parse("relative/path", "custom", NULL, &r), -EINVAL);
	assert_int_equal(watch_rule_parse("/a/b*c", "custom", NULL, &r), -EINVAL);
	assert_int_equal(watch_rule_parse("/a/*b*", "custom", NULL, &r), -EINVAL);
	assert_int_equal(watch_rule_parse("/a/", "custom", NULL, &r), -EINVAL);
	assert_int_equal(watch_rule_parse("/a/..", "custom", NULL, &r), -EINVAL);
	memset(longname, 'x', sizeof(longname));
	memcpy(longname, "/tmp/", 5);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(watch_rule_parse(longname, "custom", NULL, &r), -EINVAL);
	assert_int_equal(watch_rule_parse(NULL, "custom", NULL, &r), -EINVAL);
}

static void test_defaults(void **state)
{
	struct watch_rule *rules;
	int n = watch_rules_defaults(&rules);
	bool shadow = false, ssh = false;

	assert_true(n >= 25);
	for (int i = 0; i < n; i++) {
		assert_true(watch_type_known(rules[i].type));
		if (!strcmp(rules[i].dir, "/etc") && !strcmp(rules[i].name, "shadow"))
			shadow = true;
		if (!strcmp(rules[i].dir, "~/.ssh")) {
			ssh = true;
			assert_string_equal(rules[i].exclude, ".pub");
		}
		watch_rule_free(&rules[i]);
	}
	free(rules);
	assert_true(shadow);
	assert_true(ssh);
	assert_false(watch_type_known("bogus"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact),
		cmocka_unit_test(test_prefix_with_exclude),
		cmocka_unit_test(test_suffix_and_any),
		cmocka_unit_test(test_glob_in_directory),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_defaults),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
