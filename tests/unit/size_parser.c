// SPDX-License-Identifier: GPL-2.0
/*
 * unit/size-parser: iub_parse_size() (tools/lib/iub_size.c), the size
 * syntax of every tool. Built with sanitizers; TAP output.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "iub_size.h"

static const struct {
	const char *s;
	int ret;
	uint64_t val;
} cases[] = {
	{ "0", 0, 0 },
	{ "1", 0, 1 },
	{ "4096", 0, 4096 },
	{ "010", 0, 10 },		/* decimal, not octal */
	{ "4K", 0, 4096 },
	{ "4k", 0, 4096 },
	{ "4KiB", 0, 4096 },
	{ "4KB", 0, 4096 },
	{ "64M", 0, 64ull << 20 },
	{ "64MiB", 0, 64ull << 20 },
	{ "64mib", -EINVAL, 0 },	/* the "iB" is case-sensitive */
	{ "1G", 0, 1ull << 30 },
	{ "1GiB", 0, 1ull << 30 },
	{ "2T", 0, 2ull << 40 },
	{ "0x4000000", 0, 64ull << 20 },
	{ "0X10", 0, 16 },
	{ "0xffffffffffffffff", 0, UINT64_MAX },
	{ "0x10B", 0, 0x10b },		/* B is a hex digit */
	{ "0x1M", 0, 1ull << 20 },
	{ "18446744073709551615", 0, UINT64_MAX },
	{ "18446744073709551616", -ERANGE, 0 },
	{ "0x10000000000000000", -ERANGE, 0 },
	{ "16777216T", -ERANGE, 0 },
	{ "16777215T", 0, 16777215ull << 40 },
	{ "", -EINVAL, 0 },
	{ "0x", -EINVAL, 0 },
	{ "K", -EINVAL, 0 },
	{ "-1", -EINVAL, 0 },
	{ "+1", -EINVAL, 0 },
	{ " 1", -EINVAL, 0 },
	{ "1 ", -EINVAL, 0 },
	{ "1.5M", -EINVAL, 0 },
	{ "1X", -EINVAL, 0 },
	{ "1KK", -EINVAL, 0 },
	{ "1KiBB", -EINVAL, 0 },
	{ "1iB", -EINVAL, 0 },
	{ "1B", -EINVAL, 0 },
	{ "0x1g0", -EINVAL, 0 },
	{ "abc", -EINVAL, 0 },
	{ NULL, -EINVAL, 0 },
};

int main(void)
{
	unsigned int n = sizeof(cases) / sizeof(cases[0]), bad = 0;

	printf("1..%u\n", n);
	for (unsigned int i = 0; i < n; i++) {
		uint64_t v = 12345;
		int ret = iub_parse_size(cases[i].s, &v);
		/* on failure the result is left alone */
		uint64_t want = cases[i].ret ? 12345 : cases[i].val;
		int ok = ret == cases[i].ret && v == want;

		printf("%s %u - \"%s\": %d %" PRIu64 "", ok ? "ok" : "not ok",
		       i + 1, cases[i].s ? cases[i].s : "(null)", ret, v);
		if (!ok)
			printf(" (want %d %" PRIu64 ")", cases[i].ret, want);
		printf("\n");
		bad += !ok;
	}
	return bad ? 1 : 0;
}
