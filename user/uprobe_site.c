// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <fcntl.h>
#include <gelf.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>
#include "uprobe_site.h"

#define SITE_SCAN_MAX 64 /* bytes of a function looked at */

enum insn_kind {
	INSN_PLAIN,    /* decoded; the search may go on past it */
	INSN_EMULATED, /* the kernel emulates it: a cheap probe site */
};

struct insn {
	size_t len;
	enum insn_kind kind;
	uint32_t writes; /* registers it may write (bit = register number) */
};

/* What a ModRM instruction does with its operands. */
enum modrm_writes {
	W_NONE, /* flags or memory only */
	W_REG,	/* the ModRM reg field */
	W_RM,	/* the r/m operand, when it is a register */
};

struct modrm_op {
	uint8_t op;
	int8_t digit; /* required /digit (reg field), or -1 */
	uint8_t imm;  /* immediate bytes after the operand */
	enum modrm_writes writes;
	bool byte_op; /* 8-bit register operand: without REX, 4-7 are ah..bh */
};

/* The one-byte-opcode ModRM instructions found in function prologues. */
static const struct modrm_op modrm_ops[] = {
	{ 0x01, -1, 0, W_RM, false },  { 0x03, -1, 0, W_REG, false }, /* add */
	{ 0x09, -1, 0, W_RM, false },  { 0x0b, -1, 0, W_REG, false }, /* or */
	{ 0x21, -1, 0, W_RM, false },  { 0x23, -1, 0, W_REG, false }, /* and */
	{ 0x29, -1, 0, W_RM, false },  { 0x2b, -1, 0, W_REG, false }, /* sub */
	{ 0x31, -1, 0, W_RM, false },  { 0x33, -1, 0, W_REG, false }, /* xor */
	{ 0x38, -1, 0, W_NONE, true }, { 0x39, -1, 0, W_NONE, false }, /* cmp */
	{ 0x3a, -1, 0, W_NONE, true }, { 0x3b, -1, 0, W_NONE, false },
	{ 0x84, -1, 0, W_NONE, true }, { 0x85, -1, 0, W_NONE, false }, /* test */
	{ 0x88, -1, 0, W_RM, true },   { 0x89, -1, 0, W_RM, false },  /* mov */
	{ 0x8a, -1, 0, W_REG, true },  { 0x8b, -1, 0, W_REG, false },
	{ 0x63, -1, 0, W_REG, false }, /* movsxd */
	{ 0x8d, -1, 0, W_REG, false }, /* lea */
	{ 0x80, 7, 1, W_NONE, true },  { 0x81, 7, 4, W_NONE, false }, /* cmp imm */
	{ 0x83, 7, 1, W_NONE, false }, { 0x80, -1, 1, W_RM, true },   /* other imm ALU */
	{ 0x81, -1, 4, W_RM, false },  { 0x83, -1, 1, W_RM, false },
	{ 0xc6, 0, 1, W_RM, true },    { 0xc7, 0, 4, W_RM, false }, /* mov imm */
	{ 0xf6, 0, 1, W_NONE, true },  { 0xf7, 0, 4, W_NONE, false }, /* test imm */
};

static uint32_t reg_bit(unsigned r, bool byte_op, bool rex)
{
	/* ah, ch, dh, bh are bytes 1 of rax..rbx: count them as those */
	if (byte_op && !rex && r >= 4 && r < 8)
		return 1u << (r - 4);
	return 1u << r;
}

/* Decode the ModRM operand at c (n bytes): its length, or 0 if truncated. */
static size_t modrm_len(const uint8_t *c, size_t n)
{
	unsigned mod, rm;
	size_t len = 1;

	if (n < 1)
		return 0;
	mod = c[0] >> 6;
	rm = c[0] & 7;
	if (mod != 3 && rm == 4) { /* SIB */
		if (n < 2)
			return 0;
		len++;
		if (mod == 0 && (c[1] & 7) == 5)
			len += 4;
	} else if (mod == 0 && rm == 5) { /* rip + disp32 */
		len += 4;
	}
	if (mod == 1)
		len += 1;
	else if (mod == 2)
		len += 4;
	return len <= n ? len : 0;
}

static int decode_modrm(const uint8_t *c, size_t n, size_t p, uint8_t op, uint8_t rex,
			struct insn *in)
{
	for (size_t i = 0; i < sizeof(modrm_ops) / sizeof(modrm_ops[0]); i++) {
		const struct modrm_op *m = &modrm_ops[i];
		unsigned mod, reg, rm;
		size_t ml;

		if (m->op != op || p >= n)
			continue;
		mod = c[p] >> 6;
		reg = ((c[p] >> 3) & 7) | (rex & 4 ? 8 : 0);
		rm = (c[p] & 7) | (rex & 1 ? 8 : 0);
		if (m->digit >= 0 && ((c[p] >> 3) & 7) != (unsigned)m->digit)
			continue;
		if (op == 0x8d && mod == 3)
			return -1;
		ml = modrm_len(c + p, n - p);
		if (!ml || p + ml + m->imm > n)
			return -1;
		in->len = p + ml + m->imm;
		in->kind = INSN_PLAIN;
		if (m->writes == W_REG)
			in->writes = reg_bit(reg, m->byte_op, rex);
		else if (m->writes == W_RM && mod == 3)
			in->writes = reg_bit(rm, m->byte_op, rex);
		return 0;
	}
	return -1;
}

/* One instruction at c; -1 if it is not one the decoder knows. */
static int decode(const uint8_t *c, size_t n, struct insn *in)
{
	static const uint8_t endbr64[] = { 0xf3, 0x0f, 0x1e, 0xfa };
	bool seg = false;
	uint8_t rex = 0, op;
	size_t p = 0;

	*in = (struct insn){ 0 };
	if (n >= sizeof(endbr64) && !memcmp(c, endbr64, sizeof(endbr64))) {
		in->len = sizeof(endbr64);
		return 0;
	}
	while (p < n && (c[p] == 0x64 || c[p] == 0x65)) { /* fs, gs: addressing only */
		seg = true;
		p++;
	}
	if (p < n && (c[p] & 0xf0) == 0x40)
		rex = c[p++];
	if (p >= n)
		return -1;
	op = c[p++];
	if (!seg) {
		if (op >= 0x50 && op <= 0x57 && (rex == 0 || rex == 0x41)) { /* push */
			in->len = p;
			in->kind = INSN_EMULATED;
			return 0;
		}
		if (op == 0x90 && !rex) { /* nop */
			in->len = p;
			in->kind = INSN_EMULATED;
			return 0;
		}
		if ((op == 0xe8 || op == 0xe9) && !rex && p + 4 <= n) { /* call, jmp rel32 */
			in->len = p + 4;
			in->kind = INSN_EMULATED;
			return 0;
		}
		if ((op == 0xeb || (op >= 0x70 && op <= 0x7f)) && !rex && p + 1 <= n) { /* jmp, jcc rel8 */
			in->len = p + 1;
			in->kind = INSN_EMULATED;
			return 0;
		}
		if (op == 0x0f && p < n && c[p] >= 0x80 && c[p] <= 0x8f && !rex && p + 5 <= n) {
			in->len = p + 5; /* jcc rel32 */
			in->kind = INSN_EMULATED;
			return 0;
		}
	}
	if (op >= 0xb8 && op <= 0xbf) { /* mov reg, imm32 (imm64 with REX.W) */
		size_t imm = rex & 8 ? 8 : 4;

		if (p + imm > n)
			return -1;
		in->len = p + imm;
		in->writes = 1u << ((op & 7) | (rex & 1 ? 8 : 0));
		return 0;
	}
	if (op == 0x0f) {
		size_t ml;

		if (p >= n)
			return -1;
		op = c[p++];
		if (op == 0x1f && p < n && ((c[p] >> 3) & 7) == 0) { /* multi-byte nop */
			ml = modrm_len(c + p, n - p);
			if (!ml)
				return -1;
			in->len = p + ml;
			return 0;
		}
		if ((op == 0xb6 || op == 0xb7) && p < n) { /* movzx */
			ml = modrm_len(c + p, n - p);
			if (!ml)
				return -1;
			in->len = p + ml;
			in->writes = 1u << (((c[p] >> 3) & 7) | (rex & 4 ? 8 : 0));
			return 0;
		}
		return -1;
	}
	return decode_modrm(c, n, p, op, rex, in);
}

size_t uprobe_site_x86_64(const uint8_t *code, size_t n, uint32_t keep_regs)
{
	size_t off = 0;
	struct insn in;

	if (n > SITE_SCAN_MAX)
		n = SITE_SCAN_MAX;
	while (off < n && decode(code + off, n - off, &in) == 0) {
		if (in.kind == INSN_EMULATED)
			return off;
		if (in.writes & keep_regs)
			break;
		off += in.len;
	}
	return 0;
}

/* Read up to cap bytes of func from the ELF file fd: its symbol (dynamic or
 * static) mapped to a file offset through its section. *file_off: where. */
static ssize_t read_func(int fd, const char *func, uint8_t *buf, size_t cap, size_t *file_off)
{
	Elf_Scn *scn = NULL;
	ssize_t got = -1;
	Elf *elf;

	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf)
		return -1;
	while (got < 0 && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;

		if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_DYNSYM && sh.sh_type != SHT_SYMTAB))
			continue;
		data = elf_getdata(scn, NULL);
		for (size_t i = 0; data && sh.sh_entsize && i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			GElf_Shdr text;
			const char *name;
			Elf_Scn *ts;
			size_t len;

			if (!gelf_getsym(data, (int)i, &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
			    sym.st_shndx == SHN_UNDEF || !sym.st_value)
				continue;
			name = elf_strptr(elf, sh.sh_link, sym.st_name);
			if (!name || strcmp(name, func))
				continue;
			ts = elf_getscn(elf, sym.st_shndx);
			if (!ts || !gelf_getshdr(ts, &text) || text.sh_type != SHT_PROGBITS ||
			    sym.st_value < text.sh_addr || sym.st_value >= text.sh_addr + text.sh_size)
				break;
			len = sym.st_size && sym.st_size < cap ? sym.st_size : cap;
			if (len > text.sh_addr + text.sh_size - sym.st_value)
				len = text.sh_addr + text.sh_size - sym.st_value;
			*file_off = sym.st_value - text.sh_addr + text.sh_offset;
			got = pread(fd, buf, len, (off_t)*file_off);
			break;
		}
	}
	elf_end(elf);
	return got;
}

/* func's offset in the file at path and its probe site within it. */
static int find_site(const char *path, const char *func, uint32_t keep_regs, size_t *file_off,
		     size_t *site)
{
	uint8_t code[SITE_SCAN_MAX];
	ssize_t n;
	int fd;

	*site = 0;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read_func(fd, func, code, sizeof(code), file_off);
	close(fd);
	if (n <= 0)
		return -1;
#if defined(__x86_64__)
	*site = uprobe_site_x86_64(code, (size_t)n, keep_regs);
#else
	(void)keep_regs;
#endif
	return 0;
}

size_t uprobe_site(const char *path, const char *func, uint32_t keep_regs)
{
	size_t file_off, site;

	return find_site(path, func, keep_regs, &file_off, &site) ? 0 : site;
}

long uprobe_site_file_offset(const char *path, const char *func, uint32_t keep_regs)
{
	size_t file_off, site;

	return find_site(path, func, keep_regs, &file_off, &site) ? -1 : (long)(file_off + site);
}
