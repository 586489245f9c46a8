/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of iub-bench (Documentation/benchmark.rst): sysfs/configfs/debugfs
 * files, the IIO and FunctionFS DMABUF ioctls that Debian 12's userspace
 * headers (linux-libc-dev 6.1) lack, the guest's CPU accounting.
 */
#ifndef _IUB_BENCH_UTIL_H
#define _IUB_BENCH_UTIL_H

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <linux/dma-buf.h>
#include <linux/ioctl.h>
#include <linux/types.h>
#include <linux/udmabuf.h>

#include "iub_dmabuf.h"
#include "iub_size.h"

/* include/uapi/linux/iio/buffer.h (Linux 6.11) */
#ifndef IIO_BUFFER_DMABUF_ATTACH_IOCTL
struct iio_dmabuf {
	__u32 fd;
	__u32 flags;
	__u64 bytes_used;
};
#define IIO_BUFFER_DMABUF_ATTACH_IOCTL	_IOW('i', 0x92, int)
#define IIO_BUFFER_DMABUF_DETACH_IOCTL	_IOW('i', 0x93, int)
#define IIO_BUFFER_DMABUF_ENQUEUE_IOCTL	_IOW('i', 0x94, struct iio_dmabuf)
#endif
#ifndef IIO_BUFFER_GET_FD_IOCTL
#define IIO_BUFFER_GET_FD_IOCTL		_IOWR('i', 0x91, int)
#endif

/* include/uapi/linux/usb/functionfs.h (Linux 6.9) */
#ifndef FUNCTIONFS_DMABUF_ATTACH
struct usb_ffs_dmabuf_transfer_req {
	int fd;
	__u32 flags;
	__u64 length;
} __attribute__((packed));
#define FUNCTIONFS_DMABUF_ATTACH	_IOW('g', 131, int)
#define FUNCTIONFS_DMABUF_DETACH	_IOW('g', 132, int)
#define FUNCTIONFS_DMABUF_TRANSFER	_IOW('g', 133, struct usb_ffs_dmabuf_transfer_req)
#endif

#define MIB		(1024ull * 1024)
#define IIO_SYSFS	"/sys/bus/iio/devices"
#define FIX_DEBUGFS	"/sys/kernel/debug/iub-sim-udc"

static inline double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Write a string to a file; 0 or -errno. */
static inline int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

static inline int write_num(const char *path, long long v)
{
	char s[32];

	snprintf(s, sizeof(s), "%lld\n", v);
	return write_str(path, s);
}

/* Read a file into @buf, NUL-terminated, trailing newline cut; 0 or -errno. */
static inline int read_str(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = 0;
	return 0;
}

static inline long long read_num(const char *path)
{
	char s[64];

	return read_str(path, s, sizeof(s)) ? -1 : strtoll(s, NULL, 0);
}

/*
 * The IIO device labelled @label: its sysfs directory in @dir; returns N of
 * /dev/iio:deviceN, or -1.
 */
static inline int iio_find(const char *label, char *dir, size_t size)
{
	char path[512], buf[128];
	struct dirent *de;
	int n = -1;
	DIR *d = opendir(IIO_SYSFS);

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "iio:device", 10))
			continue;
		snprintf(path, sizeof(path), IIO_SYSFS "/%.64s/label", de->d_name);
		if (read_str(path, buf, sizeof(buf)) || strcmp(buf, label))
			continue;
		n = atoi(de->d_name + 10);
		snprintf(dir, size, IIO_SYSFS "/%.64s", de->d_name);
		break;
	}
	closedir(d);
	return n;
}

static inline int iio_attr(const char *dir, const char *attr, long long v)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", dir, attr);
	return write_num(p, v);
}

/* ---- the simulated SG UDC's debugfs (Documentation/sim-udc.rst) ---------- */

/* "KEY: value" of the fixture's state file, as a number, or -1. */
static inline long long fix_state_num(const char *key)
{
	char buf[4096], *p, *line;
	size_t klen = strlen(key);

	if (read_str(FIX_DEBUGFS "/state", buf, sizeof(buf)))
		return -1;
	for (line = strtok_r(buf, "\n", &p); line; line = strtok_r(NULL, "\n", &p))
		if (!strncmp(line, key, klen) && line[klen] == ':')
			return strtoll(line + klen + 2, NULL, 0);
	return -1;
}

/* The @nth enabled IN endpoint of the fixture ("ep1in"); 0 or -ENOENT. */
static inline int fix_enabled_in(int nth, char *name, size_t size)
{
	char buf[4096], *p, *line, *colon;

	if (read_str(FIX_DEBUGFS "/state", buf, sizeof(buf)))
		return -ENOENT;
	for (line = strtok_r(buf, "\n", &p); line; line = strtok_r(NULL, "\n", &p)) {
		colon = strchr(line, ':');
		if (strncmp(line, "ep", 2) || !colon || !strstr(colon, " enabled "))
			continue;
		*colon = 0;
		if (!strstr(line, "in"))
			continue;
		if (nth-- == 0) {
			snprintf(name, size, "%s", line);
			return 0;
		}
	}
	return -ENOENT;
}

static inline long long fix_ep_get(const char *ep, const char *file)
{
	char path[256];

	snprintf(path, sizeof(path), FIX_DEBUGFS "/%s/%s", ep, file);
	return read_num(path);
}

/* The "first_mismatch: ..." of an endpoint's info file, in @out. */
static inline void fix_first_mismatch(const char *ep, char *out, size_t size)
{
	char path[256], buf[2048], *p;

	snprintf(path, sizeof(path), FIX_DEBUGFS "/%s/info", ep);
	if (read_str(path, buf, sizeof(buf)))
		return;
	p = strstr(buf, "first_mismatch: ");
	if (!p)
		return;
	p[strcspn(p, "\n")] = 0;
	snprintf(out, size, "%s: %s", ep, p + 16);
}

static inline int fix_ep_set(const char *ep, const char *file, long long v)
{
	char path[256];

	snprintf(path, sizeof(path), FIX_DEBUGFS "/%s/%s", ep, file);
	return write_num(path, v);
}

/* ---- the guest's own CPU accounting ---------------------------------------- */

/**
 * struct cpu_snap - CPU time of the whole guest and of its kernel threads
 * @user: /proc/stat user + nice, all CPUs, in seconds
 * @sys: system
 * @irq: irq + softirq (ticks that hit interrupt context)
 * @busy: everything but idle and iowait, from the ticks
 * @idle: idle + iowait (from the nohz idle clock: exact, not ticks)
 * @wall: CLOCK_MONOTONIC when it was taken
 * @kthreads: utime + stime of every kernel thread (kworkers, ksoftirqd...)
 * @self: this process (all threads), getrusage()
 */
struct cpu_snap {
	double user, sys, irq, busy, idle, wall;
	double self;
	int nkt;
	int kt_pid[4096];
	double kt_time[4096];
};

static inline void cpu_snap_take(struct cpu_snap *s)
{
	double hz = (double)sysconf(_SC_CLK_TCK);
	unsigned long long v[10] = { 0 };
	char buf[1024], path[64];
	struct rusage ru;
	struct dirent *de;
	DIR *d;
	FILE *f;

	f = fopen("/proc/stat", "r");
	if (f) {
		if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu",
			   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
			   &v[7]) != 8)
			memset(v, 0, sizeof(v));
		fclose(f);
	}
	s->user = (double)(v[0] + v[1]) / hz;
	s->sys = (double)v[2] / hz;
	s->irq = (double)(v[5] + v[6]) / hz;
	s->busy = (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / hz;
	s->idle = (double)(v[3] + v[4]) / hz;
	s->wall = now();

	getrusage(RUSAGE_SELF, &ru);
	s->self = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
		  (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;

	s->nkt = 0;
	d = opendir("/proc");
	while (d && (de = readdir(d)) && s->nkt < 4096) {
		unsigned long long flags, ut, st;
		char *p;
		int fd;
		ssize_t n;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%.16s/stat", de->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = 0;
		p = strrchr(buf, ')');
		/* ") state ppid pgrp session tty tpgid flags minflt cminflt
		 * majflt cmajflt utime stime" */
		if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %llu %*u %*u %*u %*u %llu %llu",
				 &flags, &ut, &st) != 3)
			continue;
		if (!(flags & 0x00200000))	/* PF_KTHREAD */
			continue;
		s->kt_pid[s->nkt] = atoi(de->d_name);
		s->kt_time[s->nkt++] = (double)(ut + st) / hz;
	}
	if (d)
		closedir(d);
}

/* Kernel-thread CPU time from @a to @b (threads born in between count whole). */
static inline double cpu_kthreads(const struct cpu_snap *a, const struct cpu_snap *b)
{
	double sum = 0;

	for (int i = 0; i < b->nkt; i++) {
		double before = 0;

		for (int j = 0; j < a->nkt; j++)
			if (a->kt_pid[j] == b->kt_pid[i]) {
				before = a->kt_time[j];
				break;
			}
		if (b->kt_time[i] > before)
			sum += b->kt_time[i] - before;
	}
	return sum;
}

#endif /* _IUB_BENCH_UTIL_H */
