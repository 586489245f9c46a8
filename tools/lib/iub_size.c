// SPDX-License-Identifier: GPL-2.0
/*
 * iub_parse_size(): byte counts on the command line. Documentation/iub.rst,
 * "Sizes".
 */
#include <errno.h>
#include <string.h>

#include "iub_size.h"

static int digit(char c, unsigned int base)
{
	unsigned int d;

	if (c >= '0' && c <= '9')
		d = (unsigned int)(c - '0');
	else if (c >= 'a' && c <= 'f')
		d = (unsigned int)(c - 'a' + 10);
	else if (c >= 'A' && c <= 'F')
		d = (unsigned int)(c - 'A' + 10);
	else
		return -1;
	return d < base ? (int)d : -1;
}

/**
 * iub_parse_size() - parse a byte count
 * @s: a decimal number, or a hexadecimal one after "0x" or "0X", then
 *     optionally a suffix K, M, G or T (powers of 1024, either case),
 *     which may be followed by "iB" or "B" (4K, 4KiB and 4KB are 4096)
 * @val: the result, set only on success
 *
 * No sign, no space, no fraction; leading zeros are decimal, not octal.
 * Zero is a valid result: callers reject it where it means nothing.
 *
 * Return: 0, or -EINVAL (empty, not a number, an unknown suffix) or
 * -ERANGE (more than 2^64 - 1).
 */
int iub_parse_size(const char *s, uint64_t *val)
{
	unsigned int base = 10, shift = 0;
	uint64_t v = 0;
	int d;

	if (!s)
		return -EINVAL;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (digit(*s, base) < 0)
		return -EINVAL;
	for (; (d = digit(*s, base)) >= 0; s++) {
		if (v > (UINT64_MAX - (uint64_t)d) / base)
			return -ERANGE;
		v = v * base + (uint64_t)d;
	}
	switch (*s) {
	case '\0': break;
	case 'k': case 'K': shift = 10; break;
	case 'm': case 'M': shift = 20; break;
	case 'g': case 'G': shift = 30; break;
	case 't': case 'T': shift = 40; break;
	default: return -EINVAL;
	}
	if (shift) {
		s++;
		if (!strcmp(s, "iB") || !strcmp(s, "B"))
			s += strlen(s);
	}
	if (*s)
		return -EINVAL;
	if (shift && v > (UINT64_MAX >> shift))
		return -ERANGE;
	*val = v << shift;
	return 0;
}
