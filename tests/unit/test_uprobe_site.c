// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "uprobe_site.h"

#define WRITE_ARGS (UPROBE_ARG1 | UPROBE_ARG2 | UPROBE_ARG3)

/* Decode from an exactly-sized heap copy, so ASan sees any read past the end. */
static size_t site(const uint8_t *code, size_t n, uint32_t keep)
{
	uint8_t *copy = malloc(n ? n : 1);
	size_t off;

	assert_non_null(copy);
	if (n)
		memcpy(copy, code, n);
	off = uprobe_site_x86_64(copy, n, keep);
	free(copy);
	return off;
}

#define SITE(keep, ...)                                                                    \
	({                                                                                 \
		static const uint8_t c_[] = { __VA_ARGS__ };                               \
		site(c_, sizeof(c_), keep);                                                \
	})

/* Prologues of Debian 12's libssl.so.3 (OpenSSL 3.0) and libgnutls.so.30. */
static void test_real_prologues(void **state)
{
	(void)state;
	/* SSL_write: sub rsp; mov %fs:0x28,%rax; mov %rax,8(%rsp); xor eax; test edx; js */
	assert_int_equal(SITE(WRITE_ARGS, 0x48, 0x83, 0xec, 0x18, 0x64, 0x48, 0x8b, 0x04, 0x25, 0x28,
			      0x00, 0x00, 0x00, 0x48, 0x89, 0x44, 0x24, 0x08, 0x31, 0xc0, 0x85, 0xd2,
			      0x78, 0x2f, 0x48, 0x89, 0xe1),
			 0x16);
	/* SSL_write_ex: sub rsp; call */
	assert_int_equal(SITE(WRITE_ARGS, 0x48, 0x83, 0xec, 0x08, 0xe8, 0x87, 0xfb, 0xff, 0xff),
			 4);
	/* SSL_do_handshake: push rbx first */
	assert_int_equal(SITE(UPROBE_ARG1, 0x53, 0x48, 0x83, 0xec, 0x30), 0);
	/* SSL_connect: cmpq $0,0x30(%rdi); je */
	assert_int_equal(SITE(UPROBE_ARG1, 0x48, 0x83, 0x7f, 0x30, 0x00, 0x74, 0x09), 5);
	/* SSL_free: test rdi,rdi; je rel32 */
	assert_int_equal(SITE(UPROBE_ARG1, 0x48, 0x85, 0xff, 0x0f, 0x84, 0x97, 0x03, 0x00, 0x00),
			 3);
	/* gnutls_record_send: xor r8d,r8d; xor ecx,ecx; jmp */
	assert_int_equal(SITE(WRITE_ARGS, 0x45, 0x31, 0xc0, 0x31, 0xc9, 0xe9, 0x86, 0x9c, 0xff,
			      0xff),
			 5);
}

static void test_written_argument_stops_the_search(void **state)
{
	(void)state;
	/* xor ecx,ecx writes rcx: a probe that reads arg 4 stays at the entry */
	assert_int_equal(SITE(WRITE_ARGS | UPROBE_ARG4, 0x45, 0x31, 0xc0, 0x31, 0xc9, 0xe9, 0x86,
			      0x9c, 0xff, 0xff),
			 0);
	/* xor r8d,r8d writes r8 (REX.B) */
	assert_int_equal(SITE(UPROBE_ARG5, 0x45, 0x31, 0xc0, 0x31, 0xc9, 0xe9, 0, 0, 0, 0), 0);
	/* mov %rdi,%rbx only reads rdi; mov %rbx,%rdi writes it */
	assert_int_equal(SITE(UPROBE_ARG1, 0x48, 0x89, 0xfb, 0x53), 3);
	assert_int_equal(SITE(UPROBE_ARG1, 0x48, 0x89, 0xdf, 0x53), 0);
	/* movslq %edx,%rdx writes rdx (the reg field) */
	assert_int_equal(SITE(UPROBE_ARG3, 0x48, 0x63, 0xd2, 0x53), 0);
	assert_int_equal(SITE(UPROBE_ARG1, 0x48, 0x63, 0xd2, 0x53), 3);
	/* or $1,%ch: an 8-bit write to the high byte of rcx */
	assert_int_equal(SITE(UPROBE_ARG4, 0x80, 0xcd, 0x01, 0x53), 0);
	assert_int_equal(SITE(UPROBE_ARG1, 0x80, 0xcd, 0x01, 0x53), 3);
	/* mov $-1,%esi writes rsi */
	assert_int_equal(SITE(UPROBE_ARG2, 0xbe, 0xff, 0xff, 0xff, 0xff, 0x53), 0);
	assert_int_equal(SITE(UPROBE_ARG1, 0xbe, 0xff, 0xff, 0xff, 0xff, 0x53), 5);
	/* a store to memory writes no register */
	assert_int_equal(SITE(WRITE_ARGS, 0x48, 0x89, 0x7c, 0x24, 0x08, 0x55), 5);
}

static void test_operand_forms(void **state)
{
	(void)state;
	/* endbr64, then push */
	assert_int_equal(SITE(UPROBE_ARG1, 0xf3, 0x0f, 0x1e, 0xfa, 0x55), 4);
	/* mov rip+disp32 -> rax, then push */
	assert_int_equal(SITE(UPROBE_ARG1, 0x48, 0x8b, 0x05, 0x10, 0x20, 0x30, 0x40, 0x55), 7);
	/* cmpb $0,0x6b8(%rdi) (disp32), then jcc rel32 */
	assert_int_equal(SITE(UPROBE_ARG1, 0x80, 0xbf, 0xb8, 0x06, 0x00, 0x00, 0x00, 0x0f, 0x84,
			      0x12, 0x02, 0x00, 0x00),
			 7);
	/* push r15 (REX.B) */
	assert_int_equal(SITE(UPROBE_ARG1, 0x48, 0x83, 0xec, 0x08, 0x41, 0x57), 4);
	/* a 5-byte nop is decoded, not a site; the push after it is */
	assert_int_equal(SITE(UPROBE_ARG1, 0x0f, 0x1f, 0x44, 0x00, 0x00, 0x53), 5);
	/* sub $0x1000,%rsp (imm32) */
	assert_int_equal(SITE(UPROBE_ARG1, 0x48, 0x81, 0xec, 0x00, 0x10, 0x00, 0x00, 0x53), 7);
}

static void test_unknown_or_truncated_code_keeps_the_entry(void **state)
{
	(void)state;
	assert_int_equal(SITE(WRITE_ARGS, 0xc3), 0);		       /* ret */
	assert_int_equal(SITE(WRITE_ARGS, 0x66, 0x89, 0xc8, 0x53), 0); /* operand-size prefix */
	assert_int_equal(SITE(WRITE_ARGS, 0x48, 0x83), 0);	       /* cut inside sub */
	assert_int_equal(SITE(WRITE_ARGS, 0x48, 0x83, 0xec, 0x18, 0xe8, 0x00), 0); /* cut call */
	assert_int_equal(SITE(WRITE_ARGS, 0x64, 0x48, 0x8b, 0x04, 0x25, 0x28), 0); /* cut disp */
	assert_int_equal(SITE(WRITE_ARGS, 0xff, 0xd0, 0x53), 0); /* call *%rax: not known */
	assert_int_equal(site(NULL, 0, WRITE_ARGS), 0);
}

static void test_scan_is_bounded(void **state)
{
	uint8_t code[80];
	size_t i;

	(void)state;
	/* 21 x "test %rdi,%rdi" (63 bytes), then a push at 63: found */
	for (i = 0; i < 21; i++)
		memcpy(code + 3 * i, "\x48\x85\xff", 3);
	code[63] = 0x53;
	assert_int_equal(site(code, 64, UPROBE_ARG1), 63);
	/* 22 of them push the push past the 64 bytes looked at */
	for (i = 0; i < 22; i++)
		memcpy(code + 3 * i, "\x48\x85\xff", 3);
	code[66] = 0x53;
	assert_int_equal(site(code, sizeof(code), UPROBE_ARG1), 0);
}

/* A function of this binary with known bytes, found through its ELF symbol. */
void idt_site_fixture(void);
__attribute__((naked, noinline, used)) void idt_site_fixture(void)
{
	__asm__ volatile("sub $0x18,%rsp\n\t"
			 "test %edx,%edx\n\t"
			 "js 1f\n\t"
			 "1: add $0x18,%rsp\n\t"
			 "ret\n\t");
}

static void test_site_from_elf_symbol(void **state)
{
	(void)state;
	assert_int_equal(uprobe_site("/proc/self/exe", "idt_site_fixture", WRITE_ARGS), 6);
	/* the js reads no register, but the search stops at nothing else: arg 3 is kept */
	assert_int_equal(uprobe_site("/proc/self/exe", "idt_site_fixture", UPROBE_ARG3), 6);
	assert_int_equal(uprobe_site("/proc/self/exe", "no_such_function_here", WRITE_ARGS), 0);
	assert_int_equal(uprobe_site("/nonexistent/lib.so", "SSL_write", WRITE_ARGS), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_prologues),
		cmocka_unit_test(test_written_argument_stops_the_search),
		cmocka_unit_test(test_operand_forms),
		cmocka_unit_test(test_unknown_or_truncated_code_keeps_the_entry),
		cmocka_unit_test(test_scan_is_bounded),
		cmocka_unit_test(test_site_from_elf_symbol),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
