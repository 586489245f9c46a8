/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Whole reads and writes on files and pipes, for the tools that move real
 * data between a file and the bridge or the USB host (iub stream,
 * iub-usb-recv --input and --output).
 */
#ifndef IUB_IO_H
#define IUB_IO_H

#include <stddef.h>
#include <sys/types.h>

ssize_t iub_read_full(int fd, void *buf, size_t len);
int iub_write_all(int fd, const void *buf, size_t len);

#endif /* IUB_IO_H */
