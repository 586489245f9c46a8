/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The size syntax of every tool of the project (iub, iub-usb-recv, the
 * benchmark): one parser, so that "64MiB", "64M", "0x4000000" and
 * "67108864" mean the same everywhere. Documentation/iub.rst, "Sizes".
 */
#ifndef IUB_SIZE_H
#define IUB_SIZE_H

#include <stdint.h>

int iub_parse_size(const char *s, uint64_t *val);

#endif /* IUB_SIZE_H */
