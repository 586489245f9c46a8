// SPDX-License-Identifier: GPL-2.0
/*
 * stream-check: verify a file (or stdin) against the simulated board's
 * stream format. Prints "N bytes, M mismatches"; exit 0 only when the whole
 * file is a continuous stream and at least MIN bytes long.
 *
 *   stream-check FILE|- [MIN_BYTES]
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "../../sim/iub_sim_stream.h"

int main(int argc, char **argv)
{
	static unsigned char buf[1 << 20];
	struct iub_sim_stream_check c;
	unsigned long long total = 0, min = argc > 2 ? strtoull(argv[2], NULL, 0) : 1;
	int fd = argc > 1 && argv[1][0] != '-' ? open(argv[1], O_RDONLY) : 0;
	size_t have = 0;
	ssize_t n;

	if (fd < 0) {
		perror(argv[1]);
		return 2;
	}
	iub_sim_stream_check_init(&c);
	/* whole words only: carry a partial word to the next read */
	while ((n = read(fd, buf + have, sizeof(buf) - have)) > 0) {
		size_t len = have + n, words = len / 4 * 4;

		iub_sim_stream_check_buf(&c, buf, words);
		total += words;
		have = len - words;
		for (size_t i = 0; i < have; i++)
			buf[i] = buf[words + i];
	}
	printf("stream-check: %llu bytes, %llu mismatches%s\n", total,
	       (unsigned long long)c.mismatches, have ? ", a partial word at the end" : "");
	return c.mismatches || have || total < min;
}
