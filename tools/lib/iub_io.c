// SPDX-License-Identifier: GPL-2.0
/*
 * Whole reads and writes (iub_io.h).
 */
#include <errno.h>
#include <unistd.h>

#include "iub_io.h"

/**
 * iub_read_full() - read @len bytes, fewer only at the end of the file
 * @fd: a file or a pipe
 * @buf: where to
 * @len: how many
 *
 * Return: the bytes read (less than @len: the file ended), or -1 with
 * errno set.
 */
ssize_t iub_read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = read(fd, (char *)buf + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (!n)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/**
 * iub_write_all() - write all of @buf
 * @fd: a file or a pipe
 * @buf: the data
 * @len: its length
 *
 * Return: 0, or -1 with errno set.
 */
int iub_write_all(int fd, const void *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		buf = (const char *)buf + n;
		len -= (size_t)n;
	}
	return 0;
}
