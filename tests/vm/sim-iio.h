/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the simulated-board tests: find a simulated IIO device, read
 * and write its sysfs attributes and its DMA channel's debugfs files.
 */
#ifndef _SIM_IIO_H
#define _SIM_IIO_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../../sim/iub_sim_stream.h"

#define SIM_IIO_SYSFS	"/sys/bus/iio/devices"
#define SIM_DMA_DEBUGFS	"/sys/kernel/debug/iub-sim-dma"

/*
 * The IIO DMABUF ioctls (Linux 6.11) are not in Debian 12's userspace
 * headers (linux-libc-dev 6.1): the definitions below are those of
 * include/uapi/linux/iio/buffer.h.
 */
#ifndef IIO_BUFFER_DMABUF_ATTACH_IOCTL
#include <linux/ioctl.h>
#include <linux/types.h>
#define IIO_BUFFER_DMABUF_CYCLIC		(1 << 0)
struct iio_dmabuf {
	__u32 fd;
	__u32 flags;
	__u64 bytes_used;
};
#define IIO_BUFFER_DMABUF_ATTACH_IOCTL		_IOW('i', 0x92, int)
#define IIO_BUFFER_DMABUF_DETACH_IOCTL		_IOW('i', 0x93, int)
#define IIO_BUFFER_DMABUF_ENQUEUE_IOCTL		_IOW('i', 0x94, struct iio_dmabuf)
#endif
#ifndef IIO_BUFFER_GET_FD_IOCTL
#define IIO_BUFFER_GET_FD_IOCTL			_IOWR('i', 0x91, int)
#endif

/* Write a string to a file; 0 or -errno. */
static inline int sim_write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;
	int err;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	err = n < 0 ? -errno : 0;
	close(fd);
	return err;
}

/* Read a file into @buf (NUL-terminated, trailing newline cut); 0 or -errno. */
static inline int sim_read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return 0;
}

/* A number from a file, or -1 on error. */
static inline long long sim_read_num(const char *path)
{
	char buf[64];

	if (sim_read_file(path, buf, sizeof(buf)))
		return -1;
	return strtoll(buf, NULL, 0);
}

static inline int sim_write_num(const char *path, long long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", v);
	return sim_write_file(path, buf);
}

/*
 * Find the IIO device whose label is @label (e.g. "iub-sim-adc-dmabuf.0")
 * and store its sysfs directory in @dir; returns the N of iio:deviceN, or
 * -1 when there is none.
 */
static inline int sim_iio_find(const char *label, char *dir, size_t size)
{
	char path[512], buf[128];
	struct dirent *de;
	int n = -1;
	DIR *d;

	d = opendir(SIM_IIO_SYSFS);
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "iio:device", 10))
			continue;
		snprintf(path, sizeof(path), SIM_IIO_SYSFS "/%.64s/label",
			 de->d_name);
		if (sim_read_file(path, buf, sizeof(buf)) || strcmp(buf, label))
			continue;
		n = atoi(de->d_name + 10);
		snprintf(dir, size, SIM_IIO_SYSFS "/%.64s", de->d_name);
		break;
	}
	closedir(d);
	return n;
}

/* @dir/@attr as a path in @path. */
static inline const char *sim_attr(char *path, size_t size, const char *dir,
				   const char *attr)
{
	snprintf(path, size, "%s/%s", dir, attr);
	return path;
}

/* Make sure debugfs is there. */
static inline int sim_debugfs(void)
{
	struct stat st;

	if (!stat(SIM_DMA_DEBUGFS, &st))
		return 0;
	mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	return stat(SIM_DMA_DEBUGFS, &st) ? -errno : 0;
}

/* The debugfs file @name of the DMA channel of the IIO device at @dir. */
static inline const char *sim_chan_file(char *path, size_t size,
					const char *dir, const char *name)
{
	char chan[32], p[512];

	if (sim_read_file(sim_attr(p, sizeof(p), dir, "sim_dma_channel"),
			  chan, sizeof(chan)))
		strcpy(chan, "none");
	snprintf(path, size, SIM_DMA_DEBUGFS "/%s/%s", chan, name);
	return path;
}

/*
 * Find a converter "PREFIX.N" whose DMA channel nobody has claimed (the
 * bridge keeps the channels it was given); its label goes to @label, its
 * sysfs directory to @dir. Returns N, or -1 if all are taken.
 */
static inline int sim_iio_find_free(const char *prefix, char *label,
				    size_t lsize, char *dir, size_t dsize)
{
	char p[512], info[4096];
	int n;

	for (n = 0; n < 8; n++) {
		snprintf(label, lsize, "%s.%d", prefix, n);
		if (sim_iio_find(label, dir, dsize) < 0)
			continue;
		if (sim_read_file(sim_chan_file(p, sizeof(p), dir, "info"),
				  info, sizeof(info)))
			continue;
		if (strstr(info, "claimed:          no"))
			return n;
	}
	return -1;
}

/* Seconds since an arbitrary point. */
static inline double sim_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Prepare the IIO device at @dir for a capture: buffer off, all @nchan
 * channels on, buffer length @length scans. 0 or -errno.
 */
static inline int sim_iio_setup(const char *dir, int nchan, long length)
{
	char p[512], attr[64];
	int i, err;

	err = sim_write_file(sim_attr(p, sizeof(p), dir, "buffer0/enable"), "0");
	if (err)
		return err;
	for (i = 0; i < nchan; i++) {
		snprintf(attr, sizeof(attr), "buffer0/in_voltage%d_en", i);
		err = sim_write_file(sim_attr(p, sizeof(p), dir, attr), "1");
		if (err)
			return err;
	}
	return sim_write_num(sim_attr(p, sizeof(p), dir, "buffer0/length"),
			     length);
}

static inline int sim_iio_enable(const char *dir, int on)
{
	char p[512];

	return sim_write_file(sim_attr(p, sizeof(p), dir, "buffer0/enable"),
			      on ? "1" : "0");
}

#endif /* _SIM_IIO_H */
