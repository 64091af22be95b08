// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include "go_pclntab.h"

#define MAGIC_116 0xfffffffau
#define MAGIC_118 0xfffffff0u
#define MAGIC_120 0xfffffff1u

static uint64_t le(const unsigned char *p, int n)
{
	uint64_t v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* Header word i (after the 8 fixed bytes), pointer-sized. */
static uint64_t word(const unsigned char *data, int i)
{
	return le(data + 8 + 8 * i, 8);
}

int go_pclntab_version(const unsigned char *data, size_t len)
{
	uint32_t magic;

	if (!data || len < 8)
		return -EINVAL;
	magic = (uint32_t)le(data, 4);
	return magic == MAGIC_116 ? 116 : magic == MAGIC_118 ? 118 : magic == MAGIC_120 ? 120
										: -EINVAL;
}

int go_pclntab_find(const unsigned char *data, size_t len, const char *const *names, int n,
		    uint64_t *pc)
{
	uint64_t nfunc, text = 0, nametab, pcln, entsz;
	uint32_t magic;
	bool old;
	int found = 0;

	for (int i = 0; i < n; i++)
		pc[i] = 0;
	if (!data || len < 8 + 8 * 8)
		return -EINVAL;
	magic = (uint32_t)le(data, 4);
	if ((magic != MAGIC_116 && magic != MAGIC_118 && magic != MAGIC_120) || data[4] ||
	    data[5] || data[7] != 8)
		return -EINVAL;
	old = magic == MAGIC_116;
	nfunc = word(data, 0);
	if (old) {
		nametab = word(data, 2);
		pcln = word(data, 6);
		entsz = 16; /* {entry uintptr, funcoff uintptr} */
	} else {
		text = word(data, 2);
		nametab = word(data, 3);
		pcln = word(data, 7);
		entsz = 8; /* {entryoff uint32, funcoff uint32} */
	}
	if (nametab >= len || pcln >= len || nfunc > (len - pcln) / entsz)
		return -EINVAL;
	for (uint64_t f = 0; f < nfunc && found < n; f++) {
		const unsigned char *e = data + pcln + f * entsz;
		uint64_t entry = old ? le(e, 8) : text + le(e, 4);
		uint64_t funcoff = old ? le(e + 8, 8) : le(e + 4, 4);
		uint64_t fo = pcln + funcoff, nameoff, no;
		const char *name;
		size_t room;

		/* _func: entry (uintptr, or uint32 entryOff), then nameOff int32 */
		if (funcoff >= len || fo > len - (old ? 12 : 8))
			continue;
		nameoff = le(data + fo + (old ? 8 : 4), 4);
		no = nametab + nameoff;
		if (nameoff & 0x80000000u || no >= len)
			continue;
		name = (const char *)data + no;
		room = len - no;
		for (int i = 0; i < n; i++) {
			size_t k = strlen(names[i]);

			if (!pc[i] && k < room && !memcmp(name, names[i], k + 1)) {
				pc[i] = entry;
				found++;
			}
		}
	}
	return found;
}
