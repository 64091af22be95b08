// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "go_pclntab.h"

static const char *const want[] = { "crypto/tls.(*Conn).Write", "crypto/tls.(*Conn).Close",
				    "main.absent" };

struct table {
	unsigned char b[1024];
	size_t n;
};

static void put(unsigned char *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* A table as the linker writes it: header, names, function table, _func
 * records. Go 1.18+ (magic != 0xfffffffa): entries are 32-bit offsets from
 * textStart; 1.16/1.17: absolute 64-bit entries. */
static void build(struct table *t, uint32_t magic)
{
	static const char *const funcs[] = { "runtime.main", "crypto/tls.(*Conn).Write",
					     "crypto/tls.(*Conn).Close" };
	const uint64_t text = 0x401000, entry[] = { 0x0, 0x1200, 0x3400 };
	bool old = magic == 0xfffffffau;
	size_t names = 8 + 8 * 8, pcln, fn = 0, esz = old ? 16 : 8, rec;
	uint32_t nameoff[3];

	memset(t, 0, sizeof(*t));
	put(t->b, magic, 4);
	t->b[6] = 1; /* minLC */
	t->b[7] = 8; /* ptrSize */
	put(t->b + 8, 3, 8); /* nfunc */
	for (int i = 0; i < 3; i++) {
		nameoff[i] = (uint32_t)fn;
		memcpy(t->b + names + fn, funcs[i], strlen(funcs[i]) + 1);
		fn += strlen(funcs[i]) + 1;
	}
	pcln = (names + fn + 7) & ~(size_t)7;
	rec = pcln + 4 * esz; /* nfunc + 1 entries */
	for (int i = 0; i < 3; i++) {
		unsigned char *e = t->b + pcln + i * esz, *f = t->b + rec + i * 16;

		if (old) {
			put(e, text + entry[i], 8);
			put(e + 8, rec + i * 16 - pcln, 8);
			put(f, text + entry[i], 8);
			put(f + 8, nameoff[i], 4);
		} else {
			put(e, entry[i], 4);
			put(e + 4, rec + i * 16 - pcln, 4);
			put(f, entry[i], 4);
			put(f + 4, nameoff[i], 4);
		}
	}
	if (old) {
		put(t->b + 8 + 8 * 2, names, 8); /* funcnameOffset */
		put(t->b + 8 + 8 * 6, pcln, 8);	 /* pclnOffset */
	} else {
		put(t->b + 8 + 8 * 2, text, 8);	 /* textStart */
		put(t->b + 8 + 8 * 3, names, 8); /* funcnameOffset */
		put(t->b + 8 + 8 * 7, pcln, 8);	 /* pclnOffset */
	}
	t->n = rec + 3 * 16;
}

static void test_each_version(void **state)
{
	const uint32_t magics[] = { 0xfffffffau, 0xfffffff0u, 0xfffffff1u };
	struct table t;
	uint64_t pc[3];

	for (size_t m = 0; m < 3; m++) {
		build(&t, magics[m]);
		assert_int_equal(go_pclntab_version(t.b, t.n), m == 0 ? 116 : m == 1 ? 118 : 120);
		assert_int_equal(go_pclntab_find(t.b, t.n, want, 3, pc), 2);
		assert_int_equal(pc[0], 0x401000 + 0x1200);
		assert_int_equal(pc[1], 0x401000 + 0x3400);
		assert_int_equal(pc[2], 0);
	}
}

static void test_refused(void **state)
{
	struct table t;
	uint64_t pc[3] = { 1, 1, 1 };

	build(&t, 0xfffffff1u);
	assert_int_equal(go_pclntab_find(NULL, 0, want, 3, pc), -EINVAL);
	assert_int_equal(pc[0], 0); /* cleared whatever happens */
	assert_int_equal(go_pclntab_find(t.b, 40, want, 3, pc), -EINVAL); /* cut header */
	t.b[0] = 0xfb; /* Go 1.2's magic: not read */
	assert_int_equal(go_pclntab_find(t.b, t.n, want, 3, pc), -EINVAL);
	assert_int_equal(go_pclntab_version(t.b, t.n), -EINVAL);
	build(&t, 0xfffffff1u);
	t.b[7] = 4; /* 32-bit program */
	assert_int_equal(go_pclntab_find(t.b, t.n, want, 3, pc), -EINVAL);
	build(&t, 0xfffffff1u);
	put(t.b + 8, 1000000, 8); /* more functions than the table holds */
	assert_int_equal(go_pclntab_find(t.b, t.n, want, 3, pc), -EINVAL);
}

/* Every cut of a valid table: no read past the end, never a wrong match. */
static void test_every_cut(void **state)
{
	struct table t;
	uint64_t pc[3];

	build(&t, 0xfffffff0u);
	for (size_t n = 0; n <= t.n; n++) {
		unsigned char *copy = malloc(n ? n : 1);
		int r;

		assert_non_null(copy);
		memcpy(copy, t.b, n);
		r = go_pclntab_find(copy, n, want, 3, pc);
		assert_true(r == -EINVAL || (r >= 0 && r <= 2));
		assert_true(pc[0] == 0 || pc[0] == 0x402200);
		assert_true(pc[1] == 0 || pc[1] == 0x404400);
		free(copy);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_version),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_every_cut),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
