/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for tests on the simulated SG UDC (sim/udc, Documentation/sim-udc.rst):
 * its debugfs files, configfs gadgets, FunctionFS, and the FunctionFS DMABUF
 * ioctls that Debian 12's userspace headers lack.
 */
#ifndef _UDC_UTIL_H
#define _UDC_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <linux/ioctl.h>
#include <linux/types.h>

#include "../../sim/iub_sim_stream.h"

#define UDC_SIM_NAME	"iub-sim-udc.0"
#define UDC_DEBUGFS	"/sys/kernel/debug/iub-sim-udc"
#define UDC_GADGETS	"/sys/kernel/config/usb_gadget"

/*
 * The FunctionFS DMABUF interface (Linux 6.9) is not in Debian 12's
 * linux-libc-dev (6.1): these are the definitions of the kernel's
 * include/uapi/linux/usb/functionfs.h.
 */
#ifndef FUNCTIONFS_DMABUF_ATTACH
struct usb_ffs_dmabuf_transfer_req {
	int fd;
	__u32 flags;
	__u64 length;
} __attribute__((packed));
#define FUNCTIONFS_DMABUF_ATTACH	_IOW('g', 131, int)
#define FUNCTIONFS_DMABUF_DETACH	_IOW('g', 132, int)
#define FUNCTIONFS_DMABUF_TRANSFER	_IOW('g', 133, \
					     struct usb_ffs_dmabuf_transfer_req)
#endif

/* Write a string to a file; returns 0 or -errno. */
static inline int udc_write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = 0;
	size_t n = strlen(s);

	if (fd < 0)
		return -errno;
	if (write(fd, s, n) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* Read a file into @buf (NUL-terminated, empty on failure); bytes or -errno. */
static inline int udc_read_str(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	buf[0] = 0;	/* empty on failure */
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	return n;
}

/* A decimal value of a file of an endpoint directory, or -1. */
static inline long long udc_ep_get(const char *ep, const char *file)
{
	char path[256], s[64];

	snprintf(path, sizeof(path), UDC_DEBUGFS "/%s/%s", ep, file);
	if (udc_read_str(path, s, sizeof(s)) <= 0)
		return -1;
	return strtoll(s, NULL, 0);
}

/* Write a decimal value to a file of an endpoint directory. */
static inline int udc_ep_set(const char *ep, const char *file, long long v)
{
	char path[256], s[32];

	snprintf(path, sizeof(path), UDC_DEBUGFS "/%s/%s", ep, file);
	snprintf(s, sizeof(s), "%lld\n", v);
	return udc_write_str(path, s);
}

/*
 * The value of "KEY: value" in the state file, copied into @val; returns 0
 * or -ENOENT.
 */
static inline int udc_state(const char *key, char *val, size_t size)
{
	char buf[4096], *p, *line;
	size_t klen = strlen(key);

	if (udc_read_str(UDC_DEBUGFS "/state", buf, sizeof(buf)) < 0)
		return -ENOENT;
	for (line = strtok_r(buf, "\n", &p); line;
	     line = strtok_r(NULL, "\n", &p)) {
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			snprintf(val, size, "%s", line + klen + 2);
			return 0;
		}
	}
	return -ENOENT;
}

static inline long long udc_state_num(const char *key)
{
	char v[64];

	return udc_state(key, v, sizeof(v)) ? -1 : strtoll(v, NULL, 0);
}

/* Wait up to @ms for "configured: 1"; returns 0 or -ETIMEDOUT. */
static inline int udc_wait_configured(unsigned int ms)
{
	for (unsigned int t = 0; t <= ms; t += 20) {
		if (udc_state_num("configured") == 1)
			return 0;
		usleep(20000);
	}
	return -ETIMEDOUT;
}

/*
 * The name of the @nth (from 0) enabled endpoint in direction @in
 * ("ep1in", ...), from the state file; returns 0 or -ENOENT.
 */
static inline int udc_enabled_ep(int in, int nth, char *name, size_t size)
{
	char buf[4096], *p, *line, *colon;

	if (udc_read_str(UDC_DEBUGFS "/state", buf, sizeof(buf)) < 0)
		return -ENOENT;
	for (line = strtok_r(buf, "\n", &p); line;
	     line = strtok_r(NULL, "\n", &p)) {
		colon = strchr(line, ':');
		if (strncmp(line, "ep", 2) || !colon ||
		    !strstr(colon, " enabled "))
			continue;
		*colon = 0;
		if ((strstr(line, "in") != NULL) != !!in)
			continue;
		if (nth-- == 0) {
			snprintf(name, size, "%s", line);
			return 0;
		}
	}
	return -ENOENT;
}

/* mkdir, tolerating EEXIST; returns 0 or -errno. */
static inline int udc_mkdir(const char *fmt, const char *a, const char *b)
{
	char path[512];

	snprintf(path, sizeof(path), fmt, a, b);
	return mkdir(path, 0755) && errno != EEXIST ? -errno : 0;
}

/* configfs gadget helpers: UDC_GADGETS/<gadget>/... */
static inline int udc_gadget_write(const char *gadget, const char *file,
				   const char *val)
{
	char path[512];

	snprintf(path, sizeof(path), UDC_GADGETS "/%s/%s", gadget, file);
	return udc_write_str(path, val);
}

/*
 * A gadget with one configuration holding the function @func (e.g.
 * "ffs.name", "SourceSink.0"). Returns 0 or -errno.
 */
static inline int udc_gadget_create(const char *gadget, const char *func)
{
	char src[512], dst[512];
	int ret;

	ret = udc_mkdir(UDC_GADGETS "/%s%s", gadget, "");
	ret = ret ?: udc_gadget_write(gadget, "idVendor", "0x1d6b");
	ret = ret ?: udc_gadget_write(gadget, "idProduct", "0x0104");
	ret = ret ?: udc_mkdir(UDC_GADGETS "/%s/%s", gadget, "configs/c.1");
	ret = ret ?: udc_mkdir(UDC_GADGETS "/%s/functions/%s", gadget, func);
	if (ret)
		return ret;
	snprintf(src, sizeof(src), UDC_GADGETS "/%s/functions/%s", gadget, func);
	snprintf(dst, sizeof(dst), UDC_GADGETS "/%s/configs/c.1/%s", gadget,
		 func);
	if (symlink(src, dst) && errno != EEXIST)
		return -errno;
	return 0;
}

/* Unbind (if bound) and remove what udc_gadget_create() made. */
static inline void udc_gadget_remove(const char *gadget, const char *func)
{
	char path[512];

	udc_gadget_write(gadget, "UDC", "\n");
	snprintf(path, sizeof(path), UDC_GADGETS "/%s/configs/c.1/%s", gadget,
		 func);
	unlink(path);
	snprintf(path, sizeof(path), UDC_GADGETS "/%s/configs/c.1", gadget);
	rmdir(path);
	snprintf(path, sizeof(path), UDC_GADGETS "/%s/functions/%s", gadget,
		 func);
	rmdir(path);
	snprintf(path, sizeof(path), UDC_GADGETS "/%s", gadget);
	rmdir(path);
}

static inline double udc_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

#endif /* _UDC_UTIL_H */
